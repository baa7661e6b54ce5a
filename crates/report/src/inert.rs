//! Inert text: what kaibo prints for people cannot act on the terminal that shows it.
//!
//! Subjects, names, header values, body excerpts, file names, landing-page titles and registry
//! answers are all written by the attacker. Printed raw, an escape sequence among them could
//! retitle the terminal, clear the screen, or hide the rest of a report (SGR 8) under a fake
//! "CLEAN"; a carriage return could overwrite a line, a newline could forge a section, and bidi
//! overrides could reorder what is read. So every human-facing renderer takes an *inert copy* of
//! the model, in which every such character is written as a visible escape (`\x1b`, `\n`,
//! `\u{202e}`), and the finished text passes a last check at the sink ([`output`]) that lets
//! through only line breaks, tabs and kaibo's own colour codes. JSON keeps the raw values: its
//! encoder escapes control characters itself.

use std::borrow::Cow;

use kaibo_core::inert::{escape_into, is_active};
pub use kaibo_core::inert::{line, text};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Fields of the model that are text over several lines.
const MULTI_LINE_FIELDS: &[&str] = &["text_excerpt"];

fn make_inert(v: &mut Value, multi_line: bool) {
    match v {
        Value::String(s) => {
            let escaped = if multi_line { text(s) } else { line(s) };
            if let Cow::Owned(e) = escaped {
                *s = e;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| make_inert(i, false)),
        Value::Object(map) => {
            // Keys come from kaibo's model, except in maps keyed by data (headers and the like).
            let keys: Vec<String> = map.keys().filter(|k| line(k) != k.as_str()).cloned().collect();
            for k in keys {
                if let Some(val) = map.remove(&k) {
                    map.insert(line(&k).into_owned(), val);
                }
            }
            for (k, val) in map.iter_mut() {
                make_inert(val, MULTI_LINE_FIELDS.contains(&k.as_str()));
            }
        }
        _ => {}
    }
}

/// An inert copy of a model value (an analysis, an enrichment, a visit): the same data, with
/// every string made safe to print.
pub fn copy<T: Serialize + DeserializeOwned + Clone>(model: &T) -> T {
    let Ok(mut v) = serde_json::to_value(model) else { return model.clone() };
    make_inert(&mut v, false);
    serde_json::from_value(v).unwrap_or_else(|_| model.clone())
}

/// The colours of kaibo's terminal report (SGR parameters): headings, weights, verdict badges
/// and the reset. [`output`] lets exactly these through, so even an escape that slipped past
/// the inert copy could not conceal text (SGR 8) or move the cursor.
pub const PALETTE: &[&str] = &["0", "1;36", "32", "33", "1;31", "1;41;97", "1;43;30", "1;42;30"];

/// The last check on finished text for people: control characters other than line breaks and
/// tabs become visible escapes. With `colour`, kaibo's own colour codes ([`PALETTE`]) are let
/// through; every other escape sequence is not.
pub fn output(s: String, colour: bool) -> String {
    let is_sgr_at = |rest: &str| {
        let Some(body) = rest.strip_prefix("\u{1b}[") else { return false };
        PALETTE.iter().any(|code| body.strip_prefix(code).is_some_and(|r| r.starts_with('m')))
    };
    if !s.chars().any(|c| is_active(c, true)) {
        return s;
    }
    let mut out = String::with_capacity(s.len() + 16);
    for (i, c) in s.char_indices() {
        if c == '\u{1b}' && colour && is_sgr_at(&s[i..]) {
            out.push(c);
        } else if is_active(c, true) {
            escape_into(&mut out, c);
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_copies_are_inert_and_keep_multi_line_text() {
        let v = serde_json::json!({"subject": "x\u{1b}[8my", "text_excerpt": "a\nb\u{7}",
            "list": ["c\nd"], "map": {"k\u{1b}": "v"}});
        let out = copy(&v);
        assert_eq!(out["subject"], "x\\x1b[8my");
        assert_eq!(out["text_excerpt"], "a\nb\\x07");
        assert_eq!(out["list"][0], "c\\nd");
        assert_eq!(out["map"]["k\\x1b"], "v");
    }

    #[test]
    fn output_lets_only_colour_codes_through() {
        let s = "\u{1b}[1;31mPHISHING\u{1b}[0m \u{1b}[8mhidden \u{1b}]0;t\u{7}\n".to_string();
        assert_eq!(output(s.clone(), true), "\u{1b}[1;31mPHISHING\u{1b}[0m \\x1b[8mhidden \\x1b]0;t\\x07\n");
        assert_eq!(output(s, false), "\\x1b[1;31mPHISHING\\x1b[0m \\x1b[8mhidden \\x1b]0;t\\x07\n");
    }
}
