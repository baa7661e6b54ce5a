//! # kaibo-report: how an analysis is shown
//!
//! Renders a [`kaibo_core::Analysis`] for people (terminal text, in English or Japanese, in the
//! order an analyst tells the story: headers, sender, content, links, verdict, advice) and for
//! machines (JSON, the schema in `docs/json-schema.json`). Human formats defang indicators
//! (`hxxps://`, `[.]`) so that a copied report cannot be clicked by mistake; JSON keeps them raw.

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
pub use html::render_html;
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
