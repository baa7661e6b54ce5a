//! What the scripts of an HTML or SVG document would do, read as text and never run.
//!
//! A mail client runs no script in a message body, but a browser runs the script of an attached
//! `.html` or `.svg` file as soon as the reader opens it. Phishing kits ship that way: a "voice
//! message" or "remittance advice" attachment whose script decodes the real page (HTML
//! smuggling) or sends the browser to it, with the address written in base64 so that no filter
//! sees it. The questions asked of the script text are narrow and answerable without a
//! JavaScript engine:
//!
//! - does it send the browser elsewhere (`location = …`, `location.replace(…)`, `window.open(…)`)
//!   or send data out (`fetch`, `XMLHttpRequest`, `sendBeacon`, jQuery's `$.post`)?
//! - does it decode text at run time (`atob`, `unescape`, `fromCharCode`, `eval`…), and what do
//!   its base64 string literals decode to? A literal that decodes to a web address or to HTML
//!   is the hidden payload; the decoded HTML is read like any other document (one level deep).
//!
//! A saved web page's analytics snippet reads `document.location.protocol` and writes a script
//! tag with `unescape`: neither sends anyone anywhere nor hides a payload, so neither alone
//! makes a script active ([`ScriptSigns::is_active`]), and neither does sending data out alone
//! (a mail gateway's encrypted-message envelope posts its passphrase to its vendor). Everything is bounded: the script text
//! read per document, the literals decoded and their size, the addresses kept.

use base64::Engine;

use crate::limits::{
    SCRIPT_MAX_BYTES as MAX_SCRIPT_BYTES, SCRIPT_MAX_DECODED_DOCUMENTS as MAX_DECODED_DOCUMENTS,
    SCRIPT_MAX_DECODED_LITERALS as MAX_DECODED_LITERALS, SCRIPT_MAX_LITERAL_BYTES as MAX_LITERAL_BYTES,
    SCRIPT_MAX_URLS as MAX_URLS,
};

/// Shortest literal worth decoding: shorter ones are identifiers and keys, not payloads.
const MIN_LITERAL_BYTES: usize = 16;

/// Calls that send the browser to another page. Reading `location.protocol` is not one, and
/// pop-up windows (`window.open`) and form submission are left out: saved web pages define
/// helpers for them that run only on a click.
const NAVIGATES: [(&str, &str); 5] = [
    ("location.href=", "location.href ="),
    ("location=", "location ="),
    ("location.replace(", "location.replace()"),
    ("location.assign(", "location.assign()"),
    ("window.navigate(", "window.navigate()"),
];
/// Calls that send data out of the page (white space is squeezed out: `new XMLHttpRequest`).
const SENDS: [(&str, &str); 5] = [
    ("fetch(", "fetch()"),
    ("newxmlhttprequest", "XMLHttpRequest"),
    ("sendbeacon(", "navigator.sendBeacon()"),
    ("$.post(", "$.post()"),
    ("$.ajax(", "$.ajax()"),
];
/// Calls that decode or build code or text at run time.
const DECODES: [(&str, &str); 7] = [
    ("atob(", "atob()"),
    ("unescape(", "unescape()"),
    ("fromcharcode(", "String.fromCharCode()"),
    ("decodeuricomponent(", "decodeURIComponent()"),
    ("eval(", "eval()"),
    ("new function(", "new Function()"),
    ("document.write(", "document.write()"),
];

/// What one document's scripts do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScriptSigns {
    /// Bytes of script text read (`<script>` elements, `on…` handlers, `javascript:` links).
    pub bytes: usize,
    /// How it sends the browser elsewhere (names of the calls, each once).
    pub navigates: Vec<&'static str>,
    /// How it sends data out.
    pub sends: Vec<&'static str>,
    /// How it decodes text at run time.
    pub decodes: Vec<&'static str>,
    /// Web addresses written in the script or in what its base64 literals decode to.
    pub urls: Vec<String>,
    /// HTML that a base64 literal decodes to (the smuggled page).
    pub decoded_html: Vec<String>,
    /// A base64 literal decoded to a web address or to HTML.
    pub hidden_payload: bool,
}

impl ScriptSigns {
    /// Reads one piece of script text.
    pub fn read(&mut self, code: &str) {
        let room = MAX_SCRIPT_BYTES.saturating_sub(self.bytes);
        if room == 0 || code.trim().is_empty() {
            return;
        }
        let code = &code[..code.floor_char_boundary(room)];
        self.bytes += code.len();
        // One lower-case copy without white space, so `location .href= x` and
        // `window . open (` read as written plainly.
        let squeezed: String =
            code.chars().filter(|c| !c.is_whitespace()).map(|c| c.to_ascii_lowercase()).collect();
        for (list, out) in [
            (&NAVIGATES[..], &mut self.navigates),
            (&SENDS[..], &mut self.sends),
            (&DECODES[..], &mut self.decodes),
        ] {
            for (needle, name) in list {
                if !out.contains(name) && contains_call(&squeezed, needle) {
                    out.push(name);
                }
            }
        }
        self.literals(code);
    }

    /// Whether the script does something a document opened from a mail has no business doing:
    /// sends the browser elsewhere, or carries a hidden payload. Sending data out alone does not
    /// count: the encrypted-mail envelopes of mail gateways (`securedoc.html`) post the reader's
    /// passphrase to their vendor, and a kit's form that posts a password out is
    /// `content.html_form`'s to name.
    pub fn is_active(&self) -> bool {
        !self.navigates.is_empty() || self.hidden_payload
    }

    /// The string literals of the script: web addresses written plainly, and base64 payloads.
    fn literals(&mut self, code: &str) {
        let mut decoded = 0;
        for lit in string_literals(code) {
            if self.urls.len() < MAX_URLS {
                for u in crate::urls::find_urls_in_text(lit) {
                    self.push_url(u.text);
                }
            }
            if decoded >= MAX_DECODED_LITERALS
                || lit.len() < MIN_LITERAL_BYTES
                || lit.len() > MAX_LITERAL_BYTES
            {
                continue;
            }
            let Some(text) = decode_base64_text(lit) else { continue };
            decoded += 1;
            let before = self.urls.len();
            for u in crate::urls::find_urls_in_text(&text) {
                self.push_url(u.text);
            }
            let is_html = looks_like_html(&text);
            if is_html && self.decoded_html.len() < MAX_DECODED_DOCUMENTS {
                self.decoded_html.push(text.clone());
            }
            if is_html || self.urls.len() > before || text.trim_start().starts_with("http") {
                self.hidden_payload = true;
            }
        }
    }

    /// Adds what a page decoded from this one does (its own decoded pages are not kept).
    pub fn merge(&mut self, other: &ScriptSigns) {
        for (mine, theirs) in [
            (&mut self.navigates, &other.navigates),
            (&mut self.sends, &other.sends),
            (&mut self.decodes, &other.decodes),
        ] {
            for name in theirs {
                if !mine.contains(name) {
                    mine.push(name);
                }
            }
        }
        for url in &other.urls {
            self.push_url(url);
        }
        self.hidden_payload |= other.hidden_payload;
    }

    fn push_url(&mut self, url: &str) {
        if self.urls.len() < MAX_URLS && !self.urls.iter().any(|u| u == url) {
            self.urls.push(url.to_string());
        }
    }
}

/// `needle` (lower case, no white space) in `squeezed` as a call or property, not inside a
/// longer name (`mylocation=` is not `location=`, `location==` is a comparison).
fn contains_call(squeezed: &str, needle: &str) -> bool {
    let b = squeezed.as_bytes();
    let mut from = 0;
    while let Some(i) = squeezed[from..].find(needle).map(|i| i + from) {
        let before_ok = i == 0
            || needle.starts_with('.')
            || needle.starts_with('$')
            || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_' || b[i - 1] == b'$');
        let end = i + needle.len();
        let comparison = needle.ends_with('=') && b.get(end) == Some(&b'=');
        if before_ok && !comparison {
            return true;
        }
        from = i + 1;
    }
    false
}

/// The quoted string literals of script text ('…', "…" and `…`), escapes left as written.
fn string_literals(code: &str) -> impl Iterator<Item = &str> {
    let b = code.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < b.len() {
            let q = b[i];
            i += 1;
            if q != b'\'' && q != b'"' && q != b'`' {
                continue;
            }
            let start = i;
            while i < b.len() && b[i] != q && b[i] != b'\n' {
                // Skip an escaped character, whatever it is.
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            let end = i.min(b.len());
            i = end + 1;
            // Quotes are ASCII, so both ends are character boundaries.
            return Some(&code[start..end]);
        }
        None
    })
}

/// The text a base64 literal decodes to, when it is all base64 and decodes to readable text.
fn decode_base64_text(lit: &str) -> Option<String> {
    let lit = lit.trim();
    if !lit.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=' | b'-' | b'_')) {
        return None;
    }
    // Plain words and hex are base64 characters too: a payload has both cases or digits mixed.
    let upper = lit.bytes().any(|c| c.is_ascii_uppercase());
    let lower = lit.bytes().any(|c| c.is_ascii_lowercase());
    if !(upper && lower) {
        return None;
    }
    let trimmed = lit.trim_end_matches('=');
    let engine = if lit.contains(['-', '_']) {
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
    } else {
        &base64::engine::general_purpose::STANDARD_NO_PAD
    };
    let bytes = engine.decode(trimmed).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let printable = text.chars().filter(|c| !c.is_control() || c.is_whitespace()).count();
    (printable * 10 >= text.chars().count() * 9).then_some(text)
}

fn looks_like_html(text: &str) -> bool {
    let head = text[..text.floor_char_boundary(4096)].to_ascii_lowercase();
    ["<html", "<body", "<form", "<input", "<div", "<script", "<svg", "<iframe", "<meta"]
        .iter()
        .any(|t| head.contains(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signs(code: &str) -> ScriptSigns {
        let mut s = ScriptSigns::default();
        s.read(code);
        s
    }

    #[test]
    fn a_base64_redirect_is_decoded_and_named() {
        // "https://vm-audio.example.xyz/play?id=7"
        let s = signs(
            "var u=atob('aHR0cHM6Ly92bS1hdWRpby5leGFtcGxlLnh5ei9wbGF5P2lkPTc=');window.location.href=u;",
        );
        assert_eq!(s.decodes, vec!["atob()"]);
        assert_eq!(s.navigates, vec!["location.href ="]);
        assert_eq!(s.urls, vec!["https://vm-audio.example.xyz/play?id=7"]);
        assert!(s.hidden_payload && s.is_active());
    }

    #[test]
    fn smuggled_html_is_kept_for_reading() {
        let page = base64::engine::general_purpose::STANDARD
            .encode("<html><body><form action='https://kit.example.top/p.php'><input type=password></form></body></html>");
        let s = signs(&format!("document.write(atob(\"{page}\"));"));
        assert_eq!(s.decoded_html.len(), 1);
        assert!(s.decoded_html[0].contains("kit.example.top"));
        assert!(s.is_active() && s.navigates.is_empty());
    }

    #[test]
    fn an_analytics_snippet_is_not_active() {
        let s = signs(
            r#"var gaJsHost = (("https:" == document.location.protocol) ? "https://ssl." : "http://www.");
               document.write(unescape("%3Cscript src='" + gaJsHost + "google-analytics.com/ga.js' type='text/javascript'%3E%3C/script%3E"));
               if (location == top.location) { var mylocation= 1; }
               function pop(page) { win = window.open(page, 'w', 'height=400'); win.focus(); }"#,
        );
        assert!(s.navigates.is_empty() && s.sends.is_empty(), "{s:?}");
        assert!(!s.hidden_payload && !s.is_active());
        assert!(s.decodes.contains(&"unescape()"));
        // An envelope that posts its passphrase to its vendor sends data, and is not active.
        let envelope = signs(
            "function go(){ var x = new XMLHttpRequest(); x.open('POST', 'https://res.vendor.example/decrypt'); }",
        );
        assert_eq!(envelope.sends, vec!["XMLHttpRequest"]);
        assert!(!envelope.is_active());
    }

    #[test]
    fn plain_words_and_hex_are_not_payloads() {
        assert_eq!(decode_base64_text("abcdefghijklmnopqrstuvwxyz"), None);
        assert_eq!(decode_base64_text("0123456789abcdef0123456789abcdef"), None);
        assert_eq!(decode_base64_text("aGVsbG8gd29ybGQsIGhlbGxvIQ=="), Some("hello world, hello!".into()));
    }

    #[test]
    fn reading_is_bounded() {
        let mut s = ScriptSigns::default();
        let big = format!("'{}'", "QUJD".repeat(MAX_SCRIPT_BYTES));
        s.read(&big);
        s.read("location.replace('https://late.example/')");
        assert!(s.bytes <= MAX_SCRIPT_BYTES);
        assert!(s.navigates.is_empty());
        // Unterminated literals and stray quotes do not panic.
        signs("'\\");
        signs("\"abc\\\"");
        signs("`é`'ü");
    }
}
