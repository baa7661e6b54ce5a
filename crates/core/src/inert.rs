//! Inert text: characters that act on a terminal, written as visible escapes.
//!
//! Mail is written by the attacker, and what kaibo shows people (reports, tables, evaluation
//! listings) must not let a subject or a file name retitle the terminal, clear it, hide text
//! (SGR 8), overwrite a line (`\r`), forge a line (`\n`) or reorder what is read (bidi
//! overrides). These functions are the one definition of such characters; `kaibo-report`'s
//! `inert` module applies them to whole models and finished reports.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` must not reach a terminal as it is. `keep_breaks` lets `\n` and `\t` through
/// (multi-line text).
pub fn is_active(c: char, keep_breaks: bool) -> bool {
    match c {
        '\n' | '\t' => !keep_breaks,
        // C0, DEL and C1 controls.
        '\0'..='\u{1f}' | '\u{7f}'..='\u{9f}' => true,
        // Bidi embeddings, overrides and isolates; line and paragraph separators.
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}' => true,
        _ => false,
    }
}

/// Writes `c` as a visible escape: `\n`, `\r`, `\t`, `\x1b`, or `\u{202e}` past ASCII.
pub fn escape_into(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x80 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

fn escape(s: &str, keep_breaks: bool) -> Cow<'_, str> {
    let Some(first) = s.char_indices().find(|&(_, c)| is_active(c, keep_breaks)).map(|(i, _)| i) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len() + 8);
    out.push_str(&s[..first]);
    let mut chars = s[first..].chars().peekable();
    while let Some(c) = chars.next() {
        if keep_breaks && c == '\r' && chars.peek() == Some(&'\n') {
            continue; // A CRLF line break is a line break.
        }
        if is_active(c, keep_breaks) { escape_into(&mut out, c) } else { out.push(c) }
    }
    Cow::Owned(out)
}

/// A value shown on one line (a subject, a name, a file name): every control character,
/// newlines and tabs included, is written as a visible escape.
pub fn line(s: &str) -> Cow<'_, str> {
    escape(s, false)
}

/// Text shown over several lines (an excerpt): as [`line()`], but line breaks and tabs stay.
pub fn text(s: &str) -> Cow<'_, str> {
    escape(s, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_become_visible() {
        assert_eq!(line("Hi \u{1b}]0;title\u{7} there\u{1b}[2J"), "Hi \\x1b]0;title\\x07 there\\x1b[2J");
        assert_eq!(line("a\r\nb\tc\u{9b}31m\u{202e}d"), "a\\r\\nb\\tc\\u{9b}31m\\u{202e}d");
        assert_eq!(text("line one\r\nline\ttwo\r"), "line one\nline\ttwo\\r");
        assert!(matches!(line("三井住友カード"), Cow::Borrowed(_)));
    }
}
