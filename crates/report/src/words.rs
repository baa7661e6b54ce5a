//! The words reports share: the report language, what a verdict and a form field are called,
//! clipping, and the sentences of `data/report.toml` (what the mail is after, what to do, where
//! to report it), loaded once through kaibo's data loader.

use std::sync::OnceLock;

use kaibo_model::{Analysis, Verdict, Visit};
use serde::Deserialize;

pub use kaibo_core::text::clip;

/// The language a report is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Ja,
}

/// What a verdict is called in a report.
pub fn verdict_word(v: Verdict, lang: Lang) -> &'static str {
    match (v, lang) {
        (Verdict::Phishing, Lang::En) => "PHISHING",
        (Verdict::Suspicious, Lang::En) => "SUSPICIOUS",
        (Verdict::Clean, Lang::En) => "CLEAN",
        (Verdict::Phishing, Lang::Ja) => "フィッシング",
        (Verdict::Suspicious, Lang::Ja) => "要注意",
        (Verdict::Clean, Lang::Ja) => "問題なし",
    }
}

/// A field the page asks for, in words.
pub fn ask_word(id: &str, ja: bool) -> String {
    kaibo_core::landing::catalog().ask_label(id, ja).unwrap_or(id).to_string()
}

#[derive(Deserialize)]
struct IntentDef {
    id: String,
    #[serde(default)]
    when_any: Vec<String>,
    en: String,
    ja: String,
    clicked_en: Vec<String>,
    clicked_ja: Vec<String>,
}

#[derive(Deserialize)]
struct ReportTo {
    name_en: String,
    name_ja: String,
    email: String,
    url: String,
    japan_only: bool,
}

#[derive(Deserialize)]
struct Received {
    en: Vec<String>,
    ja: Vec<String>,
}

#[derive(Deserialize)]
struct TerminalAdvice {
    flagged_en: Vec<String>,
    flagged_ja: Vec<String>,
    clean_en: Vec<String>,
    clean_ja: Vec<String>,
}

#[derive(Deserialize)]
struct ReportData {
    received: Received,
    terminal_advice: TerminalAdvice,
    intent: Vec<IntentDef>,
    fallback: IntentDef,
    report_to: Vec<ReportTo>,
}

fn data() -> &'static ReportData {
    static DATA: OnceLock<ReportData> = OnceLock::new();
    kaibo_core::data::compiled(&DATA, || {
        kaibo_core::data::toml("report.toml", include_str!("../../../data/report.toml"), 1)
    })
}

/// The advice to someone who received the mail (the published report's).
pub fn received_advice(lang: Lang) -> &'static [String] {
    let r = &data().received;
    if lang == Lang::Ja { &r.ja } else { &r.en }
}

/// The advice of the terminal report, for a flagged mail or a clean one.
pub fn terminal_advice(v: Verdict, lang: Lang) -> &'static [String] {
    let a = &data().terminal_advice;
    match (v, lang) {
        (Verdict::Phishing | Verdict::Suspicious, Lang::En) => &a.flagged_en,
        (Verdict::Phishing | Verdict::Suspicious, Lang::Ja) => &a.flagged_ja,
        (Verdict::Clean, Lang::En) => &a.clean_en,
        (Verdict::Clean, Lang::Ja) => &a.clean_ja,
    }
}

/// Where to report phishing: `(name, email, url)` in the language, for a Japanese context.
pub fn reporting_points(lang: Lang, japanese_context: bool) -> Vec<(String, String, String)> {
    data()
        .report_to
        .iter()
        .filter(|r| japanese_context || !r.japan_only)
        .map(|r| {
            let name = if lang == Lang::Ja { &r.name_ja } else { &r.name_en };
            (name.clone(), r.email.clone(), r.url.clone())
        })
        .collect()
}

/// The intent sentence and the advice for someone who clicked, with `{brand}` filled in.
pub fn intent(a: &Analysis, v: Option<&Visit>, lang: Lang) -> (String, String, Vec<String>) {
    let d = data();
    let ids: Vec<&str> =
        a.findings.iter().filter(|f| f.scored && f.weight > 0).map(|f| f.id.as_str()).collect();
    let def =
        d.intent.iter().find(|i| i.when_any.iter().any(|w| ids.contains(&w.as_str()))).unwrap_or(&d.fallback);
    let brand = imitated_brand(a, v)
        .unwrap_or_else(|| if lang == Lang::Ja { "サービス".into() } else { "the service".into() });
    let fill = |s: &str| s.replace("{brand}", &brand);
    let (sentence, clicked) = match lang {
        Lang::En => (fill(&def.en), def.clicked_en.iter().map(|s| fill(s)).collect()),
        Lang::Ja => (fill(&def.ja), def.clicked_ja.iter().map(|s| fill(s)).collect()),
    };
    (def.id.clone(), sentence, clicked)
}

/// The brand the mail or its landing page pretends to be.
fn imitated_brand(a: &Analysis, v: Option<&Visit>) -> Option<String> {
    let k = kaibo_core::knowledge::knowledge();
    if let Some(b) = v.and_then(|v| v.final_pages().flat_map(|(_, p)| &p.brands).find(|b| !b.owned).cloned())
    {
        return Some(b.name);
    }
    let text = format!(
        "{}\n{}",
        a.message.subject.as_deref().unwrap_or(""),
        a.text_excerpt.as_deref().unwrap_or("")
    );
    let sender = a.message.from.domain.as_deref().unwrap_or("");
    k.brand_mentions(&text)
        .into_iter()
        .find(|(bi, _)| !k.brands[*bi].owns(sender))
        .map(|(_, name)| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_data_loads_and_names_known_findings() {
        let k = kaibo_core::knowledge::knowledge();
        for i in &data().intent {
            for id in &i.when_any {
                assert!(k.finding(id).is_some(), "intent {} names unknown finding {id}", i.id);
            }
            assert_eq!(
                i.clicked_en.len(),
                i.clicked_ja.len(),
                "intent {}: en and ja advice differ in length",
                i.id
            );
        }
        assert_eq!(data().received.en.len(), data().received.ja.len());
        let t = &data().terminal_advice;
        assert_eq!((t.flagged_en.len(), t.clean_en.len()), (t.flagged_ja.len(), t.clean_ja.len()));
        assert!(reporting_points(Lang::Ja, true).iter().any(|(_, e, _)| e == "info@antiphishing.jp"));
        assert!(reporting_points(Lang::En, false).is_empty());
    }
}
