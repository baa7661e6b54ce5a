//! # kaibo-report: how a dissection is shown
//!
//! Every renderer takes one [`kaibo_model::Dissection`] (the offline analysis, plus the
//! enrichment and the visit when those rungs ran) and nothing else, so every format tells the
//! same story from the same facts. This crate depends on the model and the offline core only,
//! never on the crates that go online.
//!
//! - For people: the terminal report ([`text`], English or Japanese, in the order an analyst
//!   tells it: headers, sender, content, links, online lookups, landing page, verdict, advice)
//!   and the write-up to publish ([`document()`] builds it once, [`markdown`] and [`html`] print
//!   it), with the world map ([`map`]) and abuse-report drafts ([`abuse`]).
//! - For machines: JSON ([`render_json`], schema in `docs/json-schema.json`), MISP ([`misp`]),
//!   STIX 2.1 ([`stix`]) and plain indicator lists ([`indicators`]).
//!
//! Human formats defang indicators (`hxxps://`, `[.]`, [`defang`]) so that a copied report
//! cannot be clicked by mistake, redact the recipient, and print nothing from the mail that a
//! terminal would obey ([`inert`]); JSON and the exports keep indicators raw for tools. The
//! sentences and words they share, in both languages, are in [`words`] and `data/report.toml`.

pub mod abuse;
pub mod defang;
pub mod document;
pub mod html;
pub mod ids;
pub mod indicators;
pub mod inert;
pub mod map;
pub mod markdown;
pub mod misp;
pub mod stix;
pub mod text;
pub mod words;

pub use abuse::{AbuseDraft, abuse_drafts, header_block};
pub use document::{Document, ReportOptions, document};
pub use html::{REPORT_STYLE, render_html, render_html_body};
pub use indicators::render_iocs;
pub use map::render_map_svg;
pub use markdown::render_markdown;
pub use misp::{ExportOptions, render_misp};
pub use stix::render_stix;
pub use text::{TextOptions, render_text, render_visit_text};
pub use words::Lang;

/// The `n` strongest scored findings, heaviest first (the ledger keeps the findings in that
/// order, online ones included).
pub fn strongest(a: &kaibo_model::Analysis, n: usize) -> Vec<&kaibo_model::Finding> {
    a.findings.iter().filter(|f| f.scored && f.weight > 0).take(n).collect()
}

/// The first sentence of a finding's explanation, without its full stop.
pub fn first_sentence(f: &kaibo_core::Finding, lang: Lang) -> &str {
    match lang {
        Lang::En => f.explanation.en.split(". ").next().unwrap_or("").trim_end_matches('.'),
        Lang::Ja => f.explanation.ja.split('。').next().unwrap_or(""),
    }
}

/// The dissection as pretty-printed JSON (raw indicators, not defanged): the analysis, with
/// `enrichment` and `visit` when the online rungs ran (schema: `docs/json-schema.json`).
pub fn render_json(d: &kaibo_model::Dissection) -> String {
    serde_json::to_string_pretty(d).expect("the model serialises")
}
