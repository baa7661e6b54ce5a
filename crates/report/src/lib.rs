//! # kaibo-report: how an analysis is shown
//!
//! Renders a [`kaibo_core::Analysis`] for people (terminal text, in English or Japanese, in the
//! order an analyst tells the story: headers, sender, content, links, verdict, advice) and for
//! machines (JSON, the schema in `docs/json-schema.json`). Human formats defang indicators
//! (`hxxps://`, `[.]`) so that a copied report cannot be clicked by mistake; JSON keeps them raw.

pub mod defang;
pub mod text;

pub use text::{Lang, TextOptions, render_text};

/// The analysis as pretty-printed JSON (raw indicators, not defanged).
pub fn render_json(analysis: &kaibo_core::Analysis) -> String {
    serde_json::to_string_pretty(analysis).expect("the analysis model serialises")
}
