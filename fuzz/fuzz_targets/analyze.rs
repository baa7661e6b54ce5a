//! Fuzzes the whole offline pipeline and every human renderer on arbitrary bytes, and checks
//! the inert-output property: whatever the mail holds, no text for people carries a control
//! character other than a line break or a tab (colour is off).
#![no_main]

use libfuzzer_sys::fuzz_target;

fn assert_inert(what: &str, out: &str) {
    let bad = out.chars().find(|&c| kaibo_core::inert::is_active(c, true));
    assert!(bad.is_none(), "{what} prints {bad:?}");
}

fuzz_target!(|data: &[u8]| {
    if let Ok(a) = kaibo_core::analyze(data, &kaibo_core::Options::default()) {
        let d = kaibo_core::Dissection::offline(a);
        let _ = kaibo_report::render_json(&d);
        assert_inert("text", &kaibo_report::render_text(&d, &kaibo_report::TextOptions::default()));
        let opts = kaibo_report::ReportOptions {
            lang: kaibo_report::Lang::En,
            keep_recipient: false,
            asset_dir: None,
            written_on: "2026-12-01".into(),
        };
        let doc = kaibo_report::document(&d, &opts);
        assert_inert("markdown", &kaibo_report::render_markdown(&doc));
        assert_inert("html", &kaibo_report::render_html(&doc));
        assert_inert("iocs", &kaibo_report::render_iocs(&d, true, true));
    }
});
