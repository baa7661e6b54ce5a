//! The lookups' findings: feeds and reputation services that list a link, young domains,
//! registrars abuse statistics keep naming, link hosts that do not exist, a sender domain whose
//! DMARC policy this mail broke, and servers in another country than the sender's. They are
//! proposed to the core's ledger by id with their evidence.

use std::net::IpAddr;

use kaibo_core::{Analysis, Evidence, FindingId, ProposedFinding, ids};
use kaibo_model::enrichment::{DnsStatus, FeedMatch, ReputationService};
use serde::Deserialize;

use crate::targets::sender_domain;
use crate::{Config, Enrichment, cache, registration};

/// The findings what the lookup rungs found makes, for the core's ledger to add.
pub fn findings(a: &Analysis, e: &Enrichment, cfg: &Config) -> Vec<ProposedFinding> {
    let mut out = Vec::new();
    listings(e, &mut out);
    registrations(a, e, cfg, &mut out);
    hosts_and_places(a, e, &mut out);
    out
}

/// Proposes finding `id` with its evidence.
fn propose(out: &mut Vec<ProposedFinding>, id: FindingId, evidence: Vec<Evidence>) {
    out.push(ProposedFinding::new(id, evidence));
}

/// Feeds and reputation services that list a link.
fn listings(e: &Enrichment, out: &mut Vec<ProposedFinding>) {
    // Feeds.
    let mut exact: Vec<Evidence> = Vec::new();
    let mut host: Vec<Evidence> = Vec::new();
    for h in &e.feed_hits {
        let when = h.listed_at.as_deref().map(|d| format!(" (listed {d})")).unwrap_or_default();
        let ev = Evidence::new(format!("feed:{}", h.feed), format!("{}{when}", h.listed));
        if h.matched == FeedMatch::Url { exact.push(ev) } else { host.push(ev) }
    }
    if !exact.is_empty() {
        propose(out, ids::ENRICH_FEED_LISTED, exact);
    } else if !host.is_empty() {
        propose(out, ids::ENRICH_FEED_LISTED_HOST, host);
    }
    // Reputation services.
    let by = |service: ReputationService, verdict: &str| -> Vec<Evidence> {
        e.reputation
            .iter()
            .filter(|r| r.service == service && r.verdict == verdict)
            .map(|r| {
                Evidence::new(format!("{service} ({})", r.checked_at), format!("{}: {}", r.subject, r.detail))
            })
            .collect()
    };
    let listed = by(ReputationService::SafeBrowsing, "listed");
    if !listed.is_empty() {
        propose(out, ids::ENRICH_SAFE_BROWSING_LISTED, listed);
    }
    let malicious = by(ReputationService::Virustotal, "malicious");
    if !malicious.is_empty() {
        propose(out, ids::ENRICH_VIRUSTOTAL_MALICIOUS, malicious);
    }
}

/// Young domains, and registrars abuse statistics keep naming.
fn registrations(a: &Analysis, e: &Enrichment, cfg: &Config, out: &mut Vec<ProposedFinding>) {
    // Young domains: the links' and the sender's (a domain registered last week sending "your
    // account" mail is as telling as a link to one).
    let sent_day = a
        .message
        .date
        .as_deref()
        .and_then(registration::days_from_civil)
        .unwrap_or_else(|| cache::now().div_euclid(86_400));
    for r in e.registrations.iter().filter(|r| r.query.parse::<IpAddr>().is_err()) {
        let Some(created) = r.created.as_deref().and_then(registration::days_from_civil) else { continue };
        let age = sent_day - created;
        if (0..=cfg.young_domain_days).contains(&age) {
            propose(
                out,
                ids::ENRICH_YOUNG_DOMAIN,
                vec![
                    Evidence::new("domain", r.query.clone()),
                    Evidence::new(
                        r.source.clone(),
                        format!(
                            "created {} — {age} days before the mail",
                            r.created.clone().unwrap_or_default()
                        ),
                    ),
                ],
            );
        }
    }
    // Registrars that abuse statistics keep naming (links' domains only).
    let link_domains: Vec<&str> =
        a.observables.urls.iter().filter_map(|u| u.facts.registrable_domain.as_deref()).collect();
    let abused: Vec<Evidence> = e
        .registrations
        .iter()
        .filter(|r| link_domains.contains(&r.query.as_str()))
        .filter_map(|r| {
            let name = r.registrar.as_deref()?;
            let lower = name.to_lowercase();
            abused_registrars()
                .iter()
                .any(|x| lower.contains(x.as_str()))
                .then(|| Evidence::new(r.source.clone(), format!("{}: registrar {name}", r.query)))
        })
        .collect();
    if !abused.is_empty() {
        propose(out, ids::ENRICH_ABUSED_REGISTRAR, abused);
    }
}

/// Link hosts that do not exist, a sender domain whose DMARC policy this mail broke, servers in
/// another country than the sender's.
fn hosts_and_places(a: &Analysis, e: &Enrichment, out: &mut Vec<ProposedFinding>) {
    // Link hosts that do not exist.
    let gone: Vec<Evidence> = e
        .hosts
        .iter()
        .filter(|h| h.status == DnsStatus::Nxdomain)
        .map(|h| Evidence::new("dns", format!("{}: NXDOMAIN", h.host)))
        .collect();
    if !gone.is_empty() {
        propose(out, ids::ENRICH_LINK_HOST_GONE, gone);
    }
    // The sender's domain forbids what this mail did.
    if let Some(p) = &e.sender_policy
        && matches!(p.dmarc_policy.as_deref(), Some("reject" | "quarantine"))
        && a.authentication.dmarc.as_deref() == Some("fail")
    {
        propose(
            out,
            ids::ENRICH_SENDER_DMARC_ENFORCED,
            vec![Evidence::new(format!("dns:_dmarc.{}", p.domain), p.dmarc.clone().unwrap_or_default())],
        );
    }
    // A ccTLD sender linking to a server in another country.
    let sender_country = sender_domain(a)
        .and_then(|d| kaibo_core::urls::parse_web_url(&format!("http://{d}/")))
        .and_then(|u| kaibo_core::urls::url_facts(&u, kaibo_core::knowledge::knowledge()).country);
    if let Some(sc) = sender_country {
        let differing: Vec<Evidence> = e
            .ips
            .iter()
            .filter(|i| i.seen_as.iter().any(|s| s.starts_with("link")))
            .filter_map(|i| {
                let c = i.country.as_deref()?;
                (!c.eq_ignore_ascii_case(&sc)).then(|| {
                    Evidence::new(
                        "geo",
                        format!("{} ({}) in {c}, sender domain in {sc}", i.ip, i.seen_as.join(", ")),
                    )
                })
            })
            .collect();
        if !differing.is_empty() {
            propose(out, ids::ENRICH_LINK_COUNTRY_DIFFERS, differing);
        }
    }
}

/// Registrars abuse statistics keep naming (`data/infrastructure.toml`), lower case.
fn abused_registrars() -> &'static [String] {
    #[derive(Deserialize)]
    struct File {
        abused_registrars: Vec<String>,
    }
    static LIST: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let list: &Vec<String> = kaibo_core::data::compiled(&LIST, || {
        let f: File = kaibo_core::data::toml(
            "infrastructure.toml",
            include_str!("../../../data/infrastructure.toml"),
            1,
        )?;
        Ok(f.abused_registrars.into_iter().map(|r| r.to_lowercase()).collect())
    });
    list
}

#[cfg(test)]
mod tests {
    #[test]
    fn abused_registrar_list_loads() {
        assert!(super::abused_registrars().iter().any(|r| r == "regru"));
    }
}
