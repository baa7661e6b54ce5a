//! # kaibo-report: how an analysis is shown
//!
//! Renders a [`kaibo_core::Analysis`] for people (terminal text, in English or Japanese, in the
//! order an analyst tells the story: headers, sender, content, links, verdict, advice) and for
//! machines (JSON, the schema in `docs/json-schema.json`). Human formats defang indicators
//! (`hxxps://`, `[.]`) so that a copied report cannot be clicked by mistake; JSON keeps them raw.

pub mod abuse;
pub mod defang;
pub mod dissection;
pub mod html;
pub mod ids;
pub mod indicators;
pub mod inert;
pub mod map;
pub mod markdown;
pub mod misp;
pub mod stix;
pub mod text;

pub use abuse::{AbuseDraft, abuse_drafts, header_block};
pub use dissection::{ReportOptions, dissect};
pub use html::render_html;
pub use indicators::render_iocs;
pub use map::render_map_svg;
pub use markdown::render_markdown;
pub use misp::{ExportOptions, render_misp};
pub use stix::render_stix;
pub use text::{Lang, TextOptions, render_text, render_text_with, render_visit_text};

/// The `n` strongest scored findings, heaviest first. Online findings are appended after the
/// offline ones, so the analysis' own order is not enough.
pub fn strongest(a: &kaibo_core::Analysis, n: usize) -> Vec<&kaibo_core::Finding> {
    let mut top: Vec<&kaibo_core::Finding> = a.findings.iter().filter(|f| f.scored && f.weight > 0).collect();
    top.sort_by_key(|f| std::cmp::Reverse(f.weight));
    top.truncate(n);
    top
}

/// The first sentence of a finding's explanation, without its full stop.
pub fn first_sentence(f: &kaibo_core::Finding, lang: Lang) -> &str {
    match lang {
        Lang::En => f.explanation.en.split(". ").next().unwrap_or("").trim_end_matches('.'),
        Lang::Ja => f.explanation.ja.split('。').next().unwrap_or(""),
    }
}

/// The analysis as pretty-printed JSON (raw indicators, not defanged).
pub fn render_json(analysis: &kaibo_core::Analysis) -> String {
    serde_json::to_string_pretty(analysis).expect("the analysis model serialises")
}

/// The analysis as JSON with an `enrichment` section (what the lookup rungs found) and a
/// `visit` section (the landing pages), when they ran.
pub fn render_json_with(
    analysis: &kaibo_core::Analysis,
    enrichment: Option<&kaibo_enrich::Enrichment>,
) -> String {
    let Some(e) = enrichment else { return render_json(analysis) };
    let mut v = serde_json::to_value(analysis).expect("the analysis model serialises");
    if let serde_json::Value::Object(map) = &mut v {
        if !e.rungs.is_empty() {
            map.insert(
                "enrichment".into(),
                serde_json::to_value(e).expect("the enrichment model serialises"),
            );
        }
        if let Some(visit) = &e.visit {
            map.insert("visit".into(), serde_json::to_value(visit).expect("the visit model serialises"));
        }
    }
    serde_json::to_string_pretty(&v).expect("JSON values serialise")
}
