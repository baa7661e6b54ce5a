//! Writes the published report of the reference case, with the online answers of
//! `tests/fixtures/report/` (as the snapshot tests load them), to `docs/`:
//! `report-example.md`, `report-example.ja.md` and `report-example.html`.
//!
//!     cargo run -p kaibo-report --example reference_report

use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let fixtures = root.join("tests/fixtures");
    let raw = std::fs::read(fixtures.join("phish_seed_utf8.eml")).expect("the reference mail");
    let a = kaibo_core::analyze(&raw, &kaibo_core::Options::default()).expect("it analyses");
    let read = |name: &str| std::fs::read_to_string(fixtures.join("report").join(name)).expect("a fixture");
    let e: kaibo_enrich::Enrichment =
        serde_json::from_str(&read("enrichment.json")).expect("enrichment.json");
    let v = serde_json::from_str(&read("visit.json")).expect("visit.json");
    let d = kaibo_enrich::judge(a, e, Some(v), &kaibo_enrich::Config::default());
    for (lang, md) in
        [(kaibo_report::Lang::En, "report-example.md"), (kaibo_report::Lang::Ja, "report-example.ja.md")]
    {
        let opts = kaibo_report::ReportOptions {
            lang,
            keep_recipient: false,
            asset_dir: Some(fixtures.join("report")),
            written_on: "2023-11-14".into(),
        };
        let doc = kaibo_report::document(&d, &opts);
        // The Markdown links the screenshot by path: point it at the copy in docs/.
        let text = kaibo_report::render_markdown(&doc).replace("](landing.png)", "](visit-screenshot.png)");
        std::fs::write(root.join("docs").join(md), text).expect("docs/ is writable");
        if lang == kaibo_report::Lang::Ja {
            std::fs::write(root.join("docs/report-example.html"), kaibo_report::render_html(&doc))
                .expect("write");
        }
    }
    println!("wrote docs/report-example.md, docs/report-example.ja.md, docs/report-example.html");
}
