//! The visit's findings: what the request chain and the final page show, proposed to the core's
//! ledger by id with their evidence.

use kaibo_core::{Analysis, Evidence, FindingId, ProposedFinding, ids};
use kaibo_model::visit::{Page, PageVisit, VisitOutcome};
use url::Url;

use crate::Visit;

/// The findings what the visit found makes, for the core's ledger to add.
pub fn findings(a: &Analysis, v: &Visit) -> Vec<ProposedFinding> {
    let recipients: Vec<String> = a
        .message
        .to
        .iter()
        .chain(&a.message.cc)
        .filter_map(|m| m.address.as_deref())
        .map(str::to_ascii_lowercase)
        .collect();
    let recipient_domains: Vec<String> = recipients
        .iter()
        .filter_map(|r| r.rsplit_once('@').map(|(_, d)| d.to_string()))
        .filter_map(|d| kaibo_core::urls::registrable_domain(&d).or(Some(d)))
        .collect();
    let mut found: Vec<(FindingId, Evidence)> = Vec::new();
    for pv in &v.pages {
        chain_findings(pv, &mut found);
        if let Some(page) = &pv.page {
            page_findings(pv, page, &recipients, &recipient_domains, &mut found);
        }
    }
    found.into_iter().map(|(id, ev)| ProposedFinding::new(id, vec![ev])).collect()
}

/// What the requests show: a hop refused as private, a redirect chain across domains or by
/// script, a page that is gone.
fn chain_findings(pv: &PageVisit, found: &mut Vec<(FindingId, Evidence)>) {
    // The chain.
    if let Some(h) = pv.chain.iter().find(|h| {
        h.refused.as_deref().is_some_and(|r| !r.starts_with("port") && !r.starts_with("the scheme"))
    }) {
        found.push((
            ids::VISIT_PRIVATE_REDIRECT,
            Evidence::new("refused hop", format!("{} — {}", h.url, h.refused.as_deref().unwrap_or_default())),
        ));
    }
    let mut domains: Vec<String> = Vec::new();
    for h in &pv.chain {
        let host = host_of(&h.url);
        let d = kaibo_core::urls::registrable_domain(&host).unwrap_or(host);
        if !domains.contains(&d) {
            domains.push(d);
        }
    }
    if let Some(h) = pv.chain.iter().find(|h| h.via.is_client_side()) {
        found.push((
            ids::VISIT_REDIRECT_CHAIN,
            Evidence::new(format!("url (redirect by {})", h.via), h.url.clone()),
        ));
    } else if domains.len() >= 3 {
        found.push((ids::VISIT_REDIRECT_CHAIN, Evidence::new("redirect chain", domains.join(" → "))));
    }
    // Gone.
    let last = pv.chain.last();
    if pv.outcome == VisitOutcome::Nxdomain
        || last.and_then(|h| h.status).is_some_and(|s| s == 404 || s == 410)
    {
        let what = last.map(|h| match h.status {
            Some(s) => format!("{}: HTTP {s}", h.url),
            None => format!("{}: {}", h.url, h.error.clone().unwrap_or_default()),
        });
        found.push((ids::VISIT_TAKEN_DOWN, Evidence::new("page", what.unwrap_or_default())));
    }
}

/// What the final page shows: a password form off the brand's site, where it sends it, a fresh
/// certificate, a brand or webmail kit imitated, the recipient's address prefilled.
fn page_findings(
    pv: &PageVisit,
    page: &Page,
    recipients: &[String],
    recipient_domains: &[String],
    found: &mut Vec<(FindingId, Evidence)>,
) {
    let k = kaibo_core::knowledge::knowledge();
    let final_url = pv.final_url.clone().unwrap_or_default();
    let page_host = host_of(&final_url);
    if let Some(m) = &page.parked {
        found.push((
            ids::VISIT_TAKEN_DOWN,
            Evidence::new("page", format!("{final_url} — parked or suspended: \"{m}\"")),
        ));
    }
    let owned_brand = page.brands.iter().any(|b| b.owned);
    if page.asks_for_password() && !owned_brand {
        let asks = page.asks_for.join(", ");
        found.push((
            ids::VISIT_CREDENTIAL_FORM,
            Evidence::new("page", format!("{final_url} — asks for: {asks}")),
        ));
        for f in page.forms.iter().filter(|f| f.has_password && f.offsite) {
            let to = f.action.clone().unwrap_or_default();
            found.push((ids::VISIT_CREDENTIALS_OFFSITE, Evidence::new("url (form action)", to)));
        }
        if let Some(tls) =
            pv.chain.last().and_then(|h| h.tls.as_ref()).filter(|t| (0..=7).contains(&t.age_days))
        {
            found.push((
                ids::VISIT_FRESH_CERTIFICATE,
                Evidence::new(
                    "TLS certificate",
                    format!(
                        "{} issued {} ({} days before the visit)",
                        tls.subject, tls.not_before, tls.age_days
                    ),
                ),
            ));
        }
    }
    for x in &page.exfiltration {
        found.push((ids::VISIT_CREDENTIALS_OFFSITE, Evidence::new("page source", x.clone())));
    }
    for b in page.brands.iter().filter(|b| !b.owned) {
        let is_webmail = k.brands.iter().find(|kb| kb.id == b.brand).is_some_and(|kb| kb.is_webmail());
        let strong = b.seen_in.iter().any(|s| s != "text") || page.asks_for_password();
        if !is_webmail && strong {
            found.push((
                ids::VISIT_BRAND_IMPERSONATION,
                Evidence::new("page", format!("{page_host}: {} (seen in {})", b.name, b.seen_in.join(", "))),
            ));
        }
    }
    for kit in &page.kits {
        let is_webmail = k.brands.iter().find(|kb| kb.id == kit.brand).is_some_and(|kb| kb.is_webmail());
        let page_domain = kaibo_core::urls::registrable_domain(&page_host).unwrap_or(page_host.clone());
        let recipients_server = recipient_domains.contains(&page_domain);
        if is_webmail && !recipients_server && page.asks_for_password() {
            let whose = if recipient_domains.is_empty() {
                String::new()
            } else {
                format!("; the recipient's domain is {}", recipient_domains.join(", "))
            };
            found.push((
                ids::VISIT_WEBMAIL_KIT,
                Evidence::new(
                    "page",
                    format!("{page_host}: {} ({}){whose}", kit.name, kit.markers.join(", ")),
                ),
            ));
        }
    }
    for addr in page.addresses.iter().filter(|x| recipients.contains(x)) {
        found.push((
            ids::VISIT_RECIPIENT_PREFILLED,
            Evidence::new("page", format!("{final_url} — carries {addr}")),
        ));
    }
}

/// The lower-case host of a URL (empty when it has none).
fn host_of(url: &str) -> String {
    Url::parse(url).ok().and_then(|u| u.host_str().map(|h| h.to_ascii_lowercase())).unwrap_or_default()
}
