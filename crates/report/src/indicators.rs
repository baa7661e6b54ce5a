//! The indicators of one mail, chosen once for every export (IOC list, MISP, STIX, reports).
//!
//! Not every URL in a phishing mail is malicious: the footer links to the brand's real site,
//! the images come from a CDN. An indicator is what a SOC may block or hunt for: the links
//! whose host is not a brand's own (free hosting still counts), their domains, the addresses
//! they resolved to, the sender's address and return path, the IPs of external hops, and the
//! attachments' hashes. Each knows whether it is *actionable* (`to_ids` in MISP, an indicator
//! in STIX): only when the verdict is not clean.

use std::collections::BTreeSet;

use kaibo_core::{Analysis, Verdict};

/// The recipient's own identity, kept out of published reports unless asked.
#[derive(Debug, Clone, Default)]
pub struct Recipient {
    pub addresses: Vec<String>,
    pub names: Vec<String>,
}

impl Recipient {
    pub fn of(a: &Analysis) -> Recipient {
        let mut r = Recipient::default();
        for m in a.message.to.iter().chain(&a.message.cc) {
            if let Some(ad) = &m.address
                && !ad.is_empty()
                && !r.addresses.contains(&ad.to_ascii_lowercase())
            {
                r.addresses.push(ad.to_ascii_lowercase());
            }
            if let Some(n) = &m.name
                && n.chars().count() >= 2
                && !r.names.contains(n)
            {
                r.names.push(n.clone());
            }
        }
        r
    }

    /// `s` with the recipient's addresses (plain or percent-encoded, any case) and names
    /// replaced by `mask`.
    pub fn redact(&self, s: &str, mask: &str) -> String {
        let mut out = s.to_string();
        for ad in &self.addresses {
            for form in [ad.clone(), ad.replace('@', "%40"), ad.replace('@', "%2540")] {
                out = replace_ignore_case(&out, &form, mask);
            }
        }
        for n in &self.names {
            out = out.replace(n.as_str(), mask);
        }
        out
    }
}

/// A URL for tools: as it is, or, when it carries the recipient's address and that is to be
/// kept out, cut before its query and fragment (a blocklist entry or a `LIKE` pattern on that
/// prefix still matches it; `[recipient]` in a URL would match nothing). The flag says it was
/// cut.
pub fn export_url(url: &str, recipient: &Recipient, keep_recipient: bool) -> (String, bool) {
    if keep_recipient || recipient.redact(url, "\u{0}") == url {
        return (url.to_string(), false);
    }
    let cut = url.find(['?', '#']).map_or(url, |i| &url[..i]);
    (recipient.redact(cut, "[recipient]"), true)
}

fn replace_ignore_case(hay: &str, needle: &str, with: &str) -> String {
    if needle.is_empty() {
        return hay.to_string();
    }
    let lower = hay.to_ascii_lowercase();
    let needle = needle.to_ascii_lowercase();
    let mut out = String::with_capacity(hay.len());
    let mut last = 0;
    for (i, _) in lower.match_indices(&needle) {
        if i < last {
            continue;
        }
        out.push_str(&hay[last..i]);
        out.push_str(with);
        last = i + needle.len();
    }
    out.push_str(&hay[last..]);
    out
}

/// One link worth reporting.
#[derive(Debug, Clone)]
pub struct LinkIndicator {
    pub url: String,
    pub host: Option<String>,
    pub domain: Option<String>,
    pub display_text: Option<String>,
    pub source: String,
    /// Addresses the host resolved to (online enrichment).
    pub addresses: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Indicators {
    pub links: Vec<LinkIndicator>,
    pub domains: Vec<String>,
    /// Link addresses and external sending hops.
    pub ips: Vec<String>,
    pub sender: Option<String>,
    pub sender_display_name: Option<String>,
    pub return_path: Option<String>,
    pub reply_to: Vec<String>,
    /// `(file name, sha256)`.
    pub attachments: Vec<(Option<String>, String)>,
    /// Block or hunt for them (the verdict is not clean).
    pub actionable: bool,
}

impl Indicators {
    pub fn of(a: &Analysis, e: Option<&kaibo_enrich::Enrichment>) -> Indicators {
        let k = kaibo_core::knowledge::knowledge();
        let mut ind = Indicators { actionable: a.verdict != Verdict::Clean, ..Default::default() };
        let mut domains = BTreeSet::new();
        for u in &a.observables.urls {
            if u.source == "img" || ind.links.iter().any(|l| l.url == u.facts.url) {
                continue;
            }
            let host = u.facts.host.clone();
            let h = host.as_deref().unwrap_or("");
            if k.brands.iter().any(|b| b.owns(h)) && k.hosting_service(h).is_none() {
                continue;
            }
            let addresses: Vec<String> = e
                .into_iter()
                .flat_map(|e| &e.hosts)
                .filter(|d| Some(&d.host) == host.as_ref())
                .flat_map(|d| d.addresses.iter().map(|ip| ip.to_string()))
                .collect();
            if let Some(d) = &u.facts.registrable_domain {
                domains.insert(d.clone());
            }
            ind.links.push(LinkIndicator {
                url: u.facts.url.clone(),
                host,
                domain: u.facts.registrable_domain.clone(),
                display_text: u.display_text.clone(),
                source: u.source.clone(),
                addresses,
            });
            if ind.links.len() >= 50 {
                break;
            }
        }
        ind.domains = domains.into_iter().collect();
        let mut ips: Vec<String> = ind.links.iter().flat_map(|l| l.addresses.clone()).collect();
        for l in &ind.links {
            if let Some(h) = &l.host
                && h.trim_matches(['[', ']']).parse::<std::net::IpAddr>().is_ok()
            {
                ips.push(h.trim_matches(['[', ']']).to_string());
            }
        }
        // Sending hops, but not the recipient's own relays (hosts in the recipient's domain).
        let own: Vec<String> = Recipient::of(a)
            .addresses
            .iter()
            .filter_map(|r| r.rsplit_once('@').and_then(|(_, d)| kaibo_core::urls::registrable_domain(d)))
            .collect();
        for h in &a.hops {
            let Some(ip) = &h.from_ip else { continue };
            let internal = h
                .from_host
                .as_deref()
                .and_then(kaibo_core::urls::registrable_domain)
                .is_some_and(|d| own.contains(&d));
            if !internal && a.observables.ips.contains(ip) {
                ips.push(ip.clone());
            }
        }
        let mut seen = BTreeSet::new();
        ind.ips = ips.into_iter().filter(|ip| seen.insert(ip.clone())).collect();
        ind.sender = a.message.from.address.clone().filter(|s| !s.is_empty());
        ind.sender_display_name = a.message.from.name.clone();
        ind.return_path = a.message.return_path.clone().filter(|s| !s.is_empty());
        ind.reply_to = a.message.reply_to.iter().filter_map(|m| m.address.clone()).collect();
        ind.attachments =
            a.observables.attachments.iter().map(|at| (at.filename.clone(), at.sha256.clone())).collect();
        ind
    }

    /// Every indicator as `(type, value)`, in a stable order: URLs, domains, IPs, addresses,
    /// hashes.
    pub fn all(&self) -> Vec<(&'static str, String)> {
        let mut out: Vec<(&'static str, String)> = Vec::new();
        out.extend(self.links.iter().map(|l| ("url", l.url.clone())));
        out.extend(self.domains.iter().map(|d| ("domain", d.clone())));
        out.extend(self.ips.iter().map(|ip| ("ip", ip.clone())));
        out.extend(self.sender.iter().map(|s| ("email", s.clone())));
        for r in self.return_path.iter().chain(&self.reply_to) {
            if !out.iter().any(|(_, v)| v == r) {
                out.push(("email", r.clone()));
            }
        }
        out.extend(self.attachments.iter().map(|(_, h)| ("sha256", h.clone())));
        out
    }
}

/// Defangs an indicator for people: `hxxps://`, `[.]`, and `@` → `[at]`.
pub fn defang_ioc(s: &str) -> String {
    crate::defang::defang_text(s).replace('@', "[at]")
}

/// `--format iocs`: one indicator per line, defanged unless `raw`; the recipient's address is
/// replaced by `[recipient]` unless `keep_recipient`.
pub fn render_iocs(
    a: &Analysis,
    e: Option<&kaibo_enrich::Enrichment>,
    raw: bool,
    keep_recipient: bool,
) -> String {
    let recipient = Recipient::of(a);
    let mut out = String::new();
    for (kind, v) in Indicators::of(a, e).all() {
        let v = if kind == "url" {
            export_url(&v, &recipient, keep_recipient).0
        } else if keep_recipient {
            v
        } else {
            recipient.redact(&v, "[recipient]")
        };
        out.push_str(&if raw { v } else { defang_ioc(&v) });
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_covers_encoded_forms_and_case() {
        let r =
            Recipient { addresses: vec!["taro@example.co.jp".into()], names: vec!["山田太郎".into()] };
        assert_eq!(
            r.redact(
                "https://x.ru/?email=Taro%40Example.co.jp and taro@example.co.jp, 山田太郎様",
                "[recipient]"
            ),
            "https://x.ru/?email=[recipient] and [recipient], [recipient]様"
        );
    }

    #[test]
    fn iocs_are_defanged_with_at() {
        assert_eq!(defang_ioc("axh33983@biglobe.ne.jp"), "axh33983[at]biglobe[.]ne[.]jp");
        assert_eq!(defang_ioc("https://mail-sync.aorz.ru/x"), "hxxps://mail-sync[.]aorz[.]ru/x");
    }
}
