//! What a stored analysis is searched by and grouped by.
//!
//! Every indicator of the exports ([`kaibo_report::indicators::Indicators`]) is searchable. A few
//! are *strong*: infrastructure or content that two unrelated mails do not share by chance, so
//! two flagged mails sharing one belong to one campaign:
//!
//! - a link's registrable domain, unless it is a URL shortener, a hosting or cloud service
//!   (anyone can publish there), or the recipient's own domain;
//! - the host a link landed on, and the host a landing page's form submits to (online rungs);
//! - a phishing kit named on the landing page;
//! - an attachment's SHA-256;
//! - the lure's template: a fingerprint of the visible text with digits, addresses, links and
//!   the recipient's names taken out, so the same letter sent to many people matches.

use std::collections::BTreeSet;

use kaibo_model::Dissection;
use kaibo_report::indicators::{Indicators, Recipient};
use sha2::{Digest, Sha256};

/// One indicator of one analysis.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Indicator {
    /// `url`, `domain`, `landing_host`, `form_host`, `kit`, `ip`, `email`, `sha256`, `template`.
    pub kind: &'static str,
    pub value: String,
    pub strong: bool,
}

/// The indicators of a dissection, each once, in a stable order.
pub fn indicators_of(d: &Dissection) -> Vec<Indicator> {
    let k = kaibo_core::knowledge::knowledge();
    let ind = Indicators::of(d);
    let recipient = Recipient::of(&d.analysis);
    let own_domains: BTreeSet<String> = recipient
        .addresses
        .iter()
        .filter_map(|a| a.rsplit_once('@'))
        .filter_map(|(_, dom)| kaibo_core::urls::registrable_domain(dom))
        .collect();
    let mut out: BTreeSet<Indicator> = BTreeSet::new();
    let mut add = |kind: &'static str, value: &str, strong: bool| {
        let value = value.trim().to_lowercase();
        if !value.is_empty() && value.len() <= 2048 {
            out.insert(Indicator { kind, value, strong });
        }
    };
    for l in &ind.links {
        add("url", &l.url, false);
    }
    for dom in &ind.domains {
        let shared = k.is_shortener(dom) || k.hosting_service(dom).is_some() || own_domains.contains(dom);
        add("domain", dom, !shared);
    }
    for ip in &ind.ips {
        add("ip", ip, false);
    }
    for e in ind.sender.iter().chain(&ind.return_path).chain(&ind.reply_to) {
        add("email", e, false);
    }
    for (_, sha) in &ind.attachments {
        add("sha256", sha, true);
    }
    if let Some(visit) = &d.visit {
        for p in &visit.pages {
            let landing = p.final_url.as_deref().and_then(host_of);
            if let Some(h) = landing
                && !k.is_shortener(&h)
                && k.hosting_service(&h).is_none()
            {
                add("landing_host", &h, true);
            }
            if let Some(page) = &p.page {
                for f in &page.forms {
                    if let Some(h) = &f.action_host {
                        add("form_host", h, k.hosting_service(h).is_none());
                    }
                }
                for kit in &page.kits {
                    add("kit", &kit.kit, true);
                }
            }
        }
    }
    if let Some(t) = template_of(d, &recipient) {
        add("template", &t, true);
    }
    out.into_iter().collect()
}

fn host_of(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = host.split(':').next()?.trim_end_matches('.');
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// The lure's fingerprint, when there is enough text to tell letters apart (60 characters or
/// more once normalised): SHA-256 of the visible text's start, lower-cased, with digits read as
/// 0, addresses, links and the recipient's names and addresses removed, and spaces collapsed.
pub fn template_of(d: &Dissection, recipient: &Recipient) -> Option<String> {
    let text = d.analysis.text_excerpt.as_deref()?;
    let text = recipient.redact(text, " ");
    let mut norm = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if word.contains('@') || word.contains("://") || word.starts_with("www.") {
            continue;
        }
        for c in word.chars().flat_map(char::to_lowercase) {
            norm.push(if c.is_numeric() { '0' } else { c });
        }
        norm.push(' ');
    }
    if norm.chars().count() < 60 {
        return None;
    }
    let digest = Sha256::digest(norm.trim_end().as_bytes());
    Some(digest.iter().take(16).map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_read_from_urls() {
        assert_eq!(host_of("https://User@Evil.example:8443/x?y").as_deref(), Some("evil.example"));
        assert_eq!(host_of("http://a.example./"), Some("a.example".into()));
        assert_eq!(host_of("mailto:x@y"), None);
    }
}
