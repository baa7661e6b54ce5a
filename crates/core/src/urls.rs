//! URLs: finding them in plain text, normalising them, and what their host tells offline.
//!
//! Normalisation is WHATWG's (the `url` crate), the same a browser applies, so `http://0x7f.1/`
//! becomes `127.0.0.1` and `https://trusted@evil/` splits into userinfo and host exactly as the
//! click would. The registrable domain comes from the Public Suffix List (`psl`), the country
//! from the country-code TLD, and IDN hosts are shown in Unicode with their confusable skeleton
//! (UTS #39) so look-alikes of brand domains can be compared skeleton to skeleton.

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder};
use url::{Host, Url};

use crate::knowledge::Knowledge;

pub use kaibo_model::UrlFacts;

/// Parses and normalises a URL as a browser would. `www.` links get `http://`; scheme-relative
/// links (`//host/`) get `https:`. Non-web schemes return `None` (mailto is handled elsewhere).
pub fn parse_web_url(raw: &str) -> Option<Url> {
    let raw = raw.trim().trim_matches(|c| c == '<' || c == '>' || c == '"' || c == '\'');
    if raw.len() > 8192 {
        return None;
    }
    let lower = raw.get(..8).unwrap_or(raw).to_ascii_lowercase();
    let candidate: std::borrow::Cow<'_, str> = if lower.starts_with("www.") {
        format!("http://{raw}").into()
    } else if raw.starts_with("//") {
        format!("https:{raw}").into()
    } else if lower.starts_with("hxxp") {
        // Defanged input is refanged here only to parse it; kaibo never visits it offline.
        format!("http{}", &raw[4..]).replace("[.]", ".").into()
    } else {
        raw.into()
    };
    let url = Url::parse(&candidate).ok()?;
    let web = matches!(url.scheme(), "http" | "https" | "ftp") && url.host().is_some();
    web.then_some(url)
}

/// Facts about a parsed URL.
pub fn url_facts(url: &Url, k: &Knowledge) -> UrlFacts {
    let mut f = UrlFacts { url: url.to_string(), scheme: url.scheme().to_string(), ..Default::default() };
    if !url.username().is_empty() || url.password().is_some() {
        let mut ui = url.username().to_string();
        if let Some(p) = url.password() {
            ui.push(':');
            ui.push_str(p);
        }
        f.userinfo = Some(percent_decode(&ui));
    }
    match url.host() {
        Some(Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            facts_for_domain(&mut f, &d, k);
        }
        Some(Host::Ipv4(ip)) => {
            f.host = Some(ip.to_string());
            f.is_ip = true;
        }
        Some(Host::Ipv6(ip)) => {
            f.host = Some(ip.to_string());
            f.is_ip = true;
        }
        None => {}
    }
    f
}

/// Registrable domain, TLD, country and IDN facts of a domain name (ASCII, lower case).
pub fn facts_for_domain(f: &mut UrlFacts, domain: &str, k: &Knowledge) {
    f.host = Some(domain.to_string());
    f.punycode = domain.split('.').any(|l| l.starts_with("xn--"));
    if f.punycode {
        let (uni, res) = idna::domain_to_unicode(domain);
        if res.is_ok() {
            f.host_unicode = Some(uni);
        }
    }
    f.registrable_domain = registrable_domain(domain);
    let tld = domain.rsplit('.').next().unwrap_or(domain);
    if !tld.is_empty() {
        f.tld = Some(tld.to_string());
        f.country = k.country_of_tld(tld).map(|c| c.code.clone());
    }
    f.unknown_tld = psl::suffix(domain.as_bytes()).is_none_or(|s| !s.is_known());
}

/// The registrable domain (eTLD+1) of a host, from the Public Suffix List.
pub fn registrable_domain(host: &str) -> Option<String> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    psl::domain_str(&host).map(str::to_string)
}

/// `%XX` escapes decoded (invalid ones kept as written), read as UTF-8 (lossy).
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = ((b[i + 1] as char).to_digit(16), (b[i + 2] as char).to_digit(16))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A URL found in plain text, with its byte span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextUrl<'a> {
    pub text: &'a str,
    pub start: usize,
}

fn url_starts() -> &'static AhoCorasick {
    static AC: OnceLock<AhoCorasick> = OnceLock::new();
    AC.get_or_init(|| {
        AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .build(["http://", "https://", "hxxp://", "hxxps://", "www."])
            .expect("static patterns")
    })
}

/// URLs written out in plain text (scheme-anchored, plus bare `www.` names). Stops at white
/// space, quotes, angle brackets and CJK text, and drops trailing punctuation.
pub fn find_urls_in_text(text: &str) -> Vec<TextUrl<'_>> {
    let mut out = Vec::new();
    let mut next_allowed = 0;
    for m in url_starts().find_iter(text) {
        let start = m.start();
        if start < next_allowed {
            continue;
        }
        // `www.` inside an already found URL, or glued to a word, is not a new URL.
        if m.end() - start == 4 {
            let prev = text[..start].chars().next_back();
            if prev.is_some_and(|c| c.is_alphanumeric() || c == '/' || c == '.' || c == '@') {
                continue;
            }
        }
        let rest = &text[start..];
        let mut end = rest
            .char_indices()
            .find(|(_, c)| {
                c.is_whitespace()
                    || matches!(c, '"' | '<' | '>' | '`' | '{' | '}' | '|' | '\\' | '^')
                    || (!c.is_ascii() && !is_url_unicode(*c))
            })
            .map_or(rest.len(), |(i, _)| i);
        while end > 0 {
            let last = rest[..end].chars().next_back().unwrap_or(' ');
            let unbalanced_paren =
                last == ')' && rest[..end].matches('(').count() < rest[..end].matches(')').count();
            if matches!(last, '.' | ',' | ';' | ':' | '!' | '?' | '\'' | ']' | '*') || unbalanced_paren {
                end -= last.len_utf8();
            } else {
                break;
            }
        }
        if end > m.end() - start {
            out.push(TextUrl { text: &rest[..end], start });
            next_allowed = start + end;
        }
    }
    out
}

/// Non-ASCII letters allowed in a URL written in text: Latin, Greek and Cyrillic letters of IDN
/// hosts (look-alikes); CJK punctuation and text end the URL.
fn is_url_unicode(c: char) -> bool {
    c.is_alphabetic() && (c as u32) < 0x2000
}

/// Whether `host` is a mail gateway's link rewriter (Proofpoint v3 or one of `senders.toml`).
pub fn is_gateway_rewriter(host: &str, k: &Knowledge) -> bool {
    use crate::knowledge::domain_is_or_under;
    domain_is_or_under(host, "urldefense.com")
        || k.rewriters.iter().any(|r| domain_is_or_under(host, &r.host))
}

/// The destination of a gateway link rewriter (Microsoft Safe Links, Proofpoint and the ones of
/// `senders.toml`), when `url` is one.
pub fn unwrap_gateway(url: &url::Url, k: &Knowledge) -> Option<url::Url> {
    use crate::knowledge::domain_is_or_under;
    let host = url.host_str()?.to_ascii_lowercase();
    // Proofpoint v3 carries the URL verbatim between double underscores.
    if domain_is_or_under(&host, "urldefense.com") {
        let s = url.as_str();
        let start = s.find("/__")? + 3;
        let end = start + s[start..].find("__")?;
        return parse_web_url(&s[start..end]);
    }
    let rw = k.rewriters.iter().find(|r| domain_is_or_under(&host, &r.host))?;
    let (_, dest) = url.query_pairs().find(|(n, _)| n == rw.param.as_str())?;
    // Proofpoint v2 escapes the URL: '-' for '%', '_' for '/'.
    if domain_is_or_under(&host, "urldefense.proofpoint.com") && !dest.contains("://") {
        let escaped = dest.replace('_', "/").replace('-', "%");
        let decoded = url::form_urlencoded::parse(format!("u={escaped}").as_bytes()).next()?.1.into_owned();
        return parse_web_url(&decoded);
    }
    parse_web_url(&dest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::knowledge;

    #[test]
    fn normalises_like_a_browser() {
        let k = knowledge();
        let u = parse_web_url("HTTPS://Mail-Sync.AORZ.ru/webmail/?email=a@b.jp").unwrap();
        let f = url_facts(&u, k);
        assert_eq!(f.host.as_deref(), Some("mail-sync.aorz.ru"));
        assert_eq!(f.registrable_domain.as_deref(), Some("aorz.ru"));
        assert_eq!(f.country.as_deref(), Some("RU"));
        let ip = url_facts(&parse_web_url("http://0x7f.1/x").unwrap(), k);
        assert!(ip.is_ip);
        assert_eq!(ip.host.as_deref(), Some("127.0.0.1"));
        let ui = url_facts(&parse_web_url("https://www.amazon.co.jp@evil.example/login").unwrap(), k);
        assert_eq!(ui.userinfo.as_deref(), Some("www.amazon.co.jp"));
        assert_eq!(ui.host.as_deref(), Some("evil.example"));
        let co = url_facts(&parse_web_url("http://shop.example.co.uk/").unwrap(), k);
        assert_eq!(co.registrable_domain.as_deref(), Some("example.co.uk"));
        assert_eq!(co.country.as_deref(), Some("GB"));
        assert!(parse_web_url("javascript:alert(1)").is_none());
        assert!(parse_web_url("mailto:a@b.c").is_none());
        assert_eq!(parse_web_url("hxxps://evil[.]example/x").unwrap().host_str(), Some("evil.example"));
    }

    #[test]
    fn idn_hosts_get_unicode_and_skeleton() {
        let k = knowledge();
        // Cyrillic 'а' in place of Latin 'a'.
        let u = parse_web_url("https://\u{430}mazon.co.jp/").unwrap();
        let f = url_facts(&u, k);
        assert!(f.punycode);
        assert_eq!(f.host_unicode.as_deref(), Some("\u{430}mazon.co.jp"));
        assert_eq!(
            crate::text::skeleton(f.host_unicode.as_deref().unwrap()),
            crate::text::skeleton("amazon.co.jp")
        );
        assert_eq!(crate::text::skeleton("arnazon.co.jp"), crate::text::skeleton("amazon.co.jp"));
    }

    #[test]
    fn finds_urls_in_text() {
        let t = "見てください https://a.example/x?y=1。 and (see www.b.example/p). <http://c.example/>, end";
        let found: Vec<&str> = find_urls_in_text(t).iter().map(|u| u.text).collect();
        assert_eq!(found, vec!["https://a.example/x?y=1", "www.b.example/p", "http://c.example/"]);
        assert!(find_urls_in_text("no links here, just www. and http://").is_empty());
    }

    #[test]
    fn unwraps_gateway_rewriters() {
        let k = knowledge();
        let cases = [
            (
                "https://urldefense.proofpoint.com/v2/url?u=http-3A__gnuradio.cn_en_page-5Fusrp.html&d=DwMFaQ&c=x",
                "http://gnuradio.cn/en/page_usrp.html",
            ),
            ("https://urldefense.com/v3/__https://evil.example/login__;!!abc", "https://evil.example/login"),
            (
                "https://nam02.safelinks.protection.outlook.com/?url=https%3A%2F%2Fevil.example%2Fx&data=1",
                "https://evil.example/x",
            ),
        ];
        for (wrapped, want) in cases {
            let url = parse_web_url(wrapped).unwrap();
            assert_eq!(unwrap_gateway(&url, k).map(|u| u.to_string()).as_deref(), Some(want), "{wrapped}");
        }
    }
}
