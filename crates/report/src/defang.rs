//! Defanging: making indicators unclickable in human-readable output.
//!
//! `https://evil.example/x` → `hxxps://evil[.]example/x`, `user@evil.example` →
//! `user@evil[.]example`. Only scheme and host are changed; paths stay readable. The reports
//! then write `@` as `[at]` (`defang_ioc` in the indicators module).

use kaibo_core::urls::find_urls_in_text;

/// Defangs one URL.
pub fn defang_url(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (s, r),
        None => return defang_domains(url),
    };
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "http" => "hxxp".to_string(),
        "https" => "hxxps".to_string(),
        "ftp" => "fxp".to_string(),
        other => other.to_string(),
    };
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(host_end);
    format!("{scheme}://{}{tail}", authority.replace('.', "[.]"))
}

/// Defangs every URL, domain name and address in free text.
pub fn defang_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut last = 0;
    for u in find_urls_in_text(text) {
        out.push_str(&defang_domains(&text[last..u.start]));
        out.push_str(&defang_url(u.text));
        last = u.start + u.text.len();
    }
    out.push_str(&defang_domains(&text[last..]));
    out
}

/// Defangs domain-like tokens (a dot between letters, ending in a known public suffix).
pub fn defang_domains(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut token = String::new();
    let flush = |token: &mut String, out: &mut String| {
        if is_domainish(token) {
            let trimmed = token.trim_end_matches('.');
            out.push_str(&trimmed.replace('.', "[.]"));
            out.push_str(&token[trimmed.len()..]);
        } else {
            out.push_str(token);
        }
        token.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
            token.push(c);
        } else {
            flush(&mut token, &mut out);
            out.push(c);
        }
    }
    flush(&mut token, &mut out);
    out
}

fn is_domainish(token: &str) -> bool {
    let t = token.trim_end_matches('.');
    let labels: Vec<&str> = t.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| !l.is_empty())
        && labels.last().is_some_and(|l| l.len() >= 2 && l.chars().all(|c| c.is_ascii_alphabetic()))
        && labels.iter().any(|l| l.chars().any(|c| c.is_ascii_alphabetic()))
        && psl::suffix(t.to_ascii_lowercase().as_bytes()).is_some_and(|s| s.is_known())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defangs_urls_domains_and_addresses() {
        assert_eq!(
            defang_url("https://mail-sync.aorz.ru/webmail/index.php?e=a.b"),
            "hxxps://mail-sync[.]aorz[.]ru/webmail/index.php?e=a.b"
        );
        assert_eq!(
            defang_text("from axh33983@biglobe.ne.jp, see http://x.example/a."),
            "from axh33983@biglobe[.]ne[.]jp, see hxxp://x[.]example/a."
        );
        assert_eq!(defang_text("version 1.2.3 and e.g. text"), "version 1.2.3 and e.g. text");
        assert_eq!(defang_text("aorz.ru"), "aorz[.]ru");
    }
}
