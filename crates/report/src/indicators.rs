//! The indicators of one mail, chosen once for every export (IOC list, MISP, STIX, reports).
//!
//! Not every URL in a phishing mail is malicious: the footer links to the brand's real site,
//! the images come from a CDN. An indicator is what a SOC may block or hunt for: the links
//! whose host is not a brand's own (free hosting still counts), their domains, the addresses
//! they resolved to, the sender's address and return path, the IPs of external hops, and the
//! attachments' hashes. Each knows whether it is *actionable* (`to_ids` in MISP, an indicator
//! in STIX): only when the verdict is not clean.

use std::collections::{BTreeSet, HashSet};

use kaibo_model::{Analysis, Dissection, Verdict};

/// The recipient's own identity, kept out of published reports unless asked.
///
/// A mail may name thousands of recipients, and every string of a report passes through
/// [`Recipient::redact`], so the cost of one call must not grow with their number: addresses
/// are found by their `@` (or `%40`, `%2540` in URLs) and looked up in a hash set, and names
/// are found by one automaton built once (over at most [`MAX_REDACTED_NAMES`] of them).
#[derive(Debug, Clone, Default)]
pub struct Recipient {
    /// Lower case, each once, in header order.
    pub addresses: Vec<String>,
    pub names: Vec<String>,
    /// `addresses` as a set, the domains they are at, and the longest local part.
    address_set: HashSet<String>,
    domains: HashSet<String>,
    longest_local: usize,
    names_matcher: Option<aho_corasick::AhoCorasick>,
}

/// Names of recipients redacted in free text; past this many (a mail sent to a list of
/// thousands), the rest are not looked for. Addresses have no such cap.
pub const MAX_REDACTED_NAMES: usize = 10_000;

impl Recipient {
    pub fn of(a: &Analysis) -> Recipient {
        let mut seen_addresses = HashSet::new();
        let mut seen_names = HashSet::new();
        let (mut addresses, mut names) = (Vec::new(), Vec::new());
        for m in a.message.to.iter().chain(&a.message.cc) {
            if let Some(ad) = &m.address
                && ad.contains('@')
                && seen_addresses.insert(ad.to_ascii_lowercase())
            {
                addresses.push(ad.to_ascii_lowercase());
            }
            if let Some(n) = &m.name
                && n.chars().count() >= 2
                && seen_names.insert(n.as_str())
            {
                names.push(n.clone());
            }
        }
        Recipient::new(addresses, names)
    }

    /// The recipient with these addresses and names.
    pub fn new(addresses: Vec<String>, names: Vec<String>) -> Recipient {
        let mut r = Recipient { names, ..Default::default() };
        for ad in addresses {
            let ad = ad.to_ascii_lowercase();
            let Some((local, domain)) = ad.rsplit_once('@') else { continue };
            if local.is_empty() || domain.is_empty() {
                continue;
            }
            r.longest_local = r.longest_local.max(local.len());
            r.domains.insert(domain.to_string());
            if r.address_set.insert(ad.clone()) {
                r.addresses.push(ad);
            }
        }
        let names: Vec<&str> =
            r.names.iter().map(String::as_str).filter(|n| !n.is_empty()).take(MAX_REDACTED_NAMES).collect();
        r.names_matcher = (!names.is_empty())
            .then(|| {
                aho_corasick::AhoCorasick::builder()
                    .match_kind(aho_corasick::MatchKind::LeftmostLongest)
                    .build(&names)
                    .ok()
            })
            .flatten();
        r
    }

    /// Byte ranges of the recipient's addresses in `s`, in order, not overlapping.
    fn address_spans(&self, s: &str) -> Vec<(usize, usize)> {
        let mut spans = Vec::new();
        if self.address_set.is_empty() {
            return spans;
        }
        let b = s.as_bytes();
        let is_local = |c: u8| c.is_ascii_alphanumeric() || b".!#$%&'*+/=?^_`{|}~-".contains(&c);
        let is_domain = |c: u8| c.is_ascii_alphanumeric() || c == b'.' || c == b'-';
        let mut candidate = String::new();
        let mut i = 0;
        while let Some(at) = memchr::memchr2(b'@', b'%', &b[i..]).map(|k| i + k) {
            i = at + 1;
            // The separator: `@`, or `%40` / `%2540` inside URLs.
            let sep = if b[at] == b'@' {
                1
            } else if b[at..].starts_with(b"%40") {
                3
            } else if b[at..].starts_with(b"%2540") {
                5
            } else {
                continue;
            };
            let start_floor = spans.last().map_or(0, |&(_, end)| end);
            let mut local_start = at;
            while local_start > start_floor
                && at - local_start < self.longest_local
                && is_local(b[local_start - 1])
            {
                local_start -= 1;
            }
            let domain_start = at + sep;
            let mut domain_end = domain_start;
            while domain_end < b.len() && is_domain(b[domain_end]) {
                domain_end += 1;
            }
            // The longest domain that is a recipient's: the whole run, or the run up to a dot
            // (a sentence's full stop, a longer host name).
            let domain = (domain_start..=domain_end)
                .rev()
                .filter(|&e| e == domain_end || b[e] == b'.')
                .map(|e| (e, s[domain_start..e].to_ascii_lowercase()))
                .find(|(_, d)| self.domains.contains(d));
            let Some((end, domain)) = domain else { continue };
            // The longest local part ending at the separator that makes a recipient's address
            // (the local run is ASCII, so every start is a character boundary).
            let found = (local_start..at).find(|&st| {
                candidate.clear();
                candidate.push_str(&s[st..at].to_ascii_lowercase());
                candidate.push('@');
                candidate.push_str(&domain);
                self.address_set.contains(&candidate)
            });
            if let Some(st) = found {
                spans.push((st, end));
                i = end;
            }
        }
        spans
    }

    /// `s` with the recipient's addresses (plain or percent-encoded, any case) and names
    /// replaced by `mask`.
    pub fn redact(&self, s: &str, mask: &str) -> String {
        let spans = self.address_spans(s);
        let mut out = String::with_capacity(s.len());
        let mut last = 0;
        for (start, end) in spans {
            out.push_str(&s[last..start]);
            out.push_str(mask);
            last = end;
        }
        out.push_str(&s[last..]);
        match &self.names_matcher {
            Some(m) if m.is_match(&out) => {
                let mut named = String::with_capacity(out.len());
                m.replace_all_with(&out, &mut named, |_, _, dst| {
                    dst.push_str(mask);
                    true
                });
                named
            }
            _ => out,
        }
    }

    /// Whether `s` names the recipient.
    pub fn appears_in(&self, s: &str) -> bool {
        !self.address_spans(s).is_empty() || self.names_matcher.as_ref().is_some_and(|m| m.is_match(s))
    }
}

/// A URL for tools: as it is, or, when it carries the recipient's address and that is to be
/// kept out, cut before its query and fragment (a blocklist entry or a `LIKE` pattern on that
/// prefix still matches it; `[recipient]` in a URL would match nothing). The flag says it was
/// cut.
pub fn export_url(url: &str, recipient: &Recipient, keep_recipient: bool) -> (String, bool) {
    if keep_recipient || !recipient.appears_in(url) {
        return (url.to_string(), false);
    }
    let cut = url.find(['?', '#']).map_or(url, |i| &url[..i]);
    (recipient.redact(cut, "[recipient]"), true)
}

/// One link worth reporting.
#[derive(Debug, Clone)]
pub struct LinkIndicator {
    pub url: String,
    pub host: Option<String>,
    pub domain: Option<String>,
    pub display_text: Option<String>,
    pub source: kaibo_model::LinkSource,
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
    pub fn of(d: &Dissection) -> Indicators {
        let (a, e) = (&d.analysis, d.enrichment.as_ref());
        let k = kaibo_core::knowledge::knowledge();
        let mut ind = Indicators { actionable: a.verdict != Verdict::Clean, ..Default::default() };
        let mut domains = BTreeSet::new();
        for u in &a.observables.urls {
            if u.source == kaibo_model::LinkSource::Image || ind.links.iter().any(|l| l.url == u.facts.url) {
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
                source: u.source,
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
        let own: HashSet<String> = a
            .message
            .to
            .iter()
            .chain(&a.message.cc)
            .filter_map(|m| m.domain.as_deref())
            .collect::<HashSet<&str>>()
            .into_iter()
            .filter_map(kaibo_core::urls::registrable_domain)
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
pub fn render_iocs(d: &Dissection, raw: bool, keep_recipient: bool) -> String {
    let recipient = Recipient::of(&d.analysis);
    let mut out = String::new();
    for (kind, v) in Indicators::of(d).all() {
        let v = if kind == "url" {
            export_url(&v, &recipient, keep_recipient).0
        } else if keep_recipient {
            v
        } else {
            recipient.redact(&v, "[recipient]")
        };
        // One indicator per line, and nothing in it that acts on a terminal.
        out.push_str(&crate::inert::line(&if raw { v } else { defang_ioc(&v) }));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_covers_encoded_forms_and_case() {
        let r = Recipient::new(vec!["taro@example.co.jp".into()], vec!["山田太郎".into()]);
        assert_eq!(
            r.redact(
                "https://x.ru/?email=Taro%40Example.co.jp and taro@example.co.jp, 山田太郎様",
                "[recipient]"
            ),
            "https://x.ru/?email=[recipient] and [recipient], [recipient]様"
        );
        // Double-encoded, inside a longer local part, before a full stop; not a longer domain.
        assert_eq!(
            r.redact("u=TARO%2540example.co.jp x.taro@example.co.jp. taro@example.co.jpn", "[r]"),
            "u=[r] x.[r]. taro@example.co.jpn"
        );
        assert!(r.appears_in("?e=taro%40example.co.jp"));
        assert!(!r.appears_in("?e=hanako%40example.co.jp"));
        assert_eq!(Recipient::default().redact("taro@example.co.jp", "[r]"), "taro@example.co.jp");
    }

    #[test]
    fn redaction_costs_the_same_with_a_hundred_thousand_recipients() {
        let addresses: Vec<String> = (0..100_000).map(|i| format!("user{i}@example{}.org", i % 97)).collect();
        let names: Vec<String> = (0..100_000).map(|i| format!("User Number {i}")).collect();
        let started = std::time::Instant::now();
        let r = Recipient::new(addresses, names);
        let text =
            "Dear User Number 77, see https://evil.example/?e=user5%40example5.org or user7@example7.org "
                .repeat(2_000);
        for _ in 0..50 {
            let out = r.redact(&text, "[r]");
            assert!(!out.contains("user5") && !out.contains("Number 77"));
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(3), "{:?}", started.elapsed());
    }

    #[test]
    fn iocs_are_defanged_with_at() {
        assert_eq!(defang_ioc("axh33983@biglobe.ne.jp"), "axh33983[at]biglobe[.]ne[.]jp");
        assert_eq!(defang_ioc("https://mail-sync.aorz.ru/x"), "hxxps://mail-sync[.]aorz[.]ru/x");
    }
}
