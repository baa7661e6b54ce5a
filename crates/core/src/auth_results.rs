//! Authentication-Results (RFC 8601): what the receiving server concluded about SPF, DKIM,
//! DMARC and ARC. kaibo reads these verdicts; it never re-verifies signatures or SPF itself
//! offline (the keys and records live in DNS, and the receiving server saw the real connection).
//!
//! Which header to trust matters: anyone can write an Authentication-Results header into the
//! mail they send. Only the receiving side's own header is evidence, so kaibo trusts the topmost
//! one by default (added last, by the final receiver), or the topmost one whose authserv-id is in
//! a configured list.

use crate::limits::{MAX_AUTH_PROPERTIES, MAX_AUTH_RESULTS, bounded};
use kaibo_model::AuthResult;

/// One parsed Authentication-Results header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthResultsHeader {
    pub authserv_id: String,
    pub results: Vec<AuthResult>,
}

impl AuthResultsHeader {
    /// The first result of `method` (`spf`, `dkim`, `dmarc`, `arc`…).
    pub fn result(&self, method: &str) -> Option<&AuthResult> {
        self.results.iter().find(|r| r.method == method)
    }

    pub fn all(&self, method: &str) -> impl Iterator<Item = &AuthResult> {
        self.results.iter().filter(move |r| r.method == method)
    }
}

/// The domain a DKIM result was signed by: `header.d`, else the domain of `header.i`.
pub fn dkim_signer(r: &AuthResult) -> Option<&str> {
    r.property("header.d").or_else(|| r.property("header.i").map(|i| i.rsplit('@').next().unwrap_or(i)))
}

/// Splits on `;` outside quotes and comments, and returns comments separately per segment.
fn segments(value: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut comment = String::new();
    let mut depth = 0usize;
    let mut quoted = false;
    let mut escaped = false;
    let mut comments: Vec<String> = Vec::new();
    for c in value.chars() {
        if escaped {
            if depth > 0 {
                comment.push(c)
            } else {
                cur.push(c)
            }
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '"' if depth == 0 => quoted = !quoted,
            '(' if !quoted => {
                if depth > 0 {
                    comment.push(c);
                }
                depth += 1;
            }
            ')' if !quoted && depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    comments.push(std::mem::take(&mut comment));
                    cur.push(' ');
                } else {
                    comment.push(c);
                }
            }
            ';' if !quoted && depth == 0 => {
                let c = (!comments.is_empty()).then(|| comments.join(" "));
                out.push((std::mem::take(&mut cur), c));
                comments.clear();
            }
            _ if depth > 0 => comment.push(c),
            _ => cur.push(c),
        }
    }
    let c = (!comments.is_empty()).then(|| comments.join(" "));
    out.push((cur, c));
    out
}

/// Parses one header value. Lenient: unknown or broken segments are skipped.
pub fn parse(value: &str) -> Option<AuthResultsHeader> {
    let segs = segments(value);
    let first = segs.first()?.0.split_whitespace().next()?.trim().to_ascii_lowercase();
    // The authserv-id may be followed by a version number. Some receivers (Exchange Online)
    // write no authserv-id at all and start with the first result: the id is then empty.
    let (authserv_id, skip) = if first.contains('=') { (String::new(), 0) } else { (first, 1) };
    let mut results = Vec::new();
    for (seg, comment) in segs.into_iter().skip(skip) {
        let mut words = seg.split_whitespace();
        let Some(head) = words.next() else { continue };
        let Some((method, result)) = head.split_once('=') else { continue };
        let method = method.split('/').next().unwrap_or(method).to_ascii_lowercase();
        if method.is_empty() || method == "none" {
            continue;
        }
        if results.len() >= MAX_AUTH_RESULTS {
            break;
        }
        let mut properties = Vec::new();
        for w in words.take(MAX_AUTH_PROPERTIES) {
            if let Some((k, v)) = w.split_once('=')
                && k.contains('.')
            {
                properties.push((bounded(k.to_ascii_lowercase()), bounded(v.trim_matches('"').to_string())));
            }
        }
        results.push(AuthResult {
            method: bounded(method),
            result: bounded(result.trim_matches('"').to_ascii_lowercase()),
            properties,
            comment: comment.map(bounded),
        });
    }
    Some(AuthResultsHeader { authserv_id, results })
}

/// Chooses the header to trust among all A-R headers (top first): the topmost one whose
/// authserv-id is in `trusted`, or, with no list, the topmost one. Returns the header and why.
pub fn choose<'a>(
    headers: &'a [AuthResultsHeader],
    trusted: &[String],
) -> Option<(&'a AuthResultsHeader, &'static str)> {
    if trusted.is_empty() {
        return headers.first().map(|h| (h, "topmost"));
    }
    headers
        .iter()
        .find(|h| trusted.iter().any(|t| t.eq_ignore_ascii_case(&h.authserv_id)))
        .map(|h| (h, "configured"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_reference_header() {
        let h = parse(
            "mx01.example.co.jp; spf=softfail (domain of biglobe.ne.jp does not designate 185.220.101.47 as permitted sender) smtp.mailfrom=axh33983@biglobe.ne.jp; dkim=none; dmarc=fail (p=NONE sp=NONE dis=NONE) header.from=biglobe.ne.jp",
        )
        .unwrap();
        assert_eq!(h.authserv_id, "mx01.example.co.jp");
        assert_eq!(h.result("spf").unwrap().result, "softfail");
        assert_eq!(h.result("spf").unwrap().property("smtp.mailfrom"), Some("axh33983@biglobe.ne.jp"));
        assert_eq!(h.result("dkim").unwrap().result, "none");
        let dmarc = h.result("dmarc").unwrap();
        assert_eq!(dmarc.result, "fail");
        assert_eq!(dmarc.property("header.from"), Some("biglobe.ne.jp"));
        assert_eq!(dmarc.comment.as_deref(), Some("p=NONE sp=NONE dis=NONE"));
    }

    #[test]
    fn versions_quotes_and_junk() {
        let h = parse("mx.example 1; dkim=pass header.d=\"a;b.example\" header.s=s1; arc=pass; garbage; =x")
            .unwrap();
        assert_eq!(h.authserv_id, "mx.example");
        assert_eq!(h.result("dkim").unwrap().property("header.d"), Some("a;b.example"));
        assert_eq!(h.result("arc").unwrap().result, "pass");
        assert!(parse("").is_none());
        let no_id = parse("spf=fail (sender IP is 192.0.2.1) smtp.mailfrom=x.example; dkim=none (message not signed) header.d=none;dmarc=fail action=none header.from=y.example;compauth=fail reason=001").unwrap();
        assert_eq!(no_id.authserv_id, "");
        assert_eq!(no_id.result("spf").unwrap().result, "fail");
        assert_eq!(no_id.result("dmarc").unwrap().property("header.from"), Some("y.example"));
        let none = parse("mx.example; none").unwrap();
        assert!(none.results.is_empty());
    }

    #[test]
    fn trust_topmost_or_configured() {
        let a = parse("mx.receiver.example; spf=pass").unwrap();
        let b = parse("forged.example; spf=pass; dmarc=pass").unwrap();
        let all = vec![a.clone(), b.clone()];
        assert_eq!(choose(&all, &[]).unwrap().0, &a);
        assert_eq!(choose(&all, &["FORGED.example".into()]).unwrap(), (&b, "configured"));
        assert!(choose(&all, &["other.example".into()]).is_none());
    }
}
