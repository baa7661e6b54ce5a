//! Snapshot tests (insta) of what kaibo publishes for the reference case with its online answers
//! loaded from fixtures: the Markdown and HTML dissections in both languages, the MISP event and
//! the STIX bundle. A change to any of them shows up as a reviewable diff
//! (`cargo insta review`, or `INSTA_UPDATE=always` to accept).

mod common;

use base64::Engine as _;
use common::{CREATED, fixtures, reference};
use kaibo_report::{ExportOptions, Lang, ReportOptions};

fn report_opts(lang: Lang) -> ReportOptions {
    ReportOptions {
        lang,
        keep_recipient: false,
        asset_dir: Some(fixtures().join("report")),
        written_on: "2023-11-14".into(),
    }
}

/// The HTML with its embedded images replaced by their type and size, after checking that
/// they decode to real images (the screenshot byte for byte).
fn html_without_images(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(i) = rest.find("src=\"data:") {
        out.push_str(&rest[..i]);
        let tail = &rest[i + 10..];
        let end = tail.find('"').unwrap();
        let (mime, data) = tail[..end].split_once(";base64,").unwrap();
        let bytes = base64::engine::general_purpose::STANDARD.decode(data).unwrap();
        match mime {
            "image/png" => {
                assert_eq!(bytes, std::fs::read(fixtures().join("report/landing.png")).unwrap());
            }
            "image/svg+xml" => assert!(String::from_utf8(bytes.clone()).unwrap().starts_with("<svg")),
            other => panic!("unexpected image type {other}"),
        }
        out.push_str(&format!("src=\"data:{mime};base64,[{} bytes]\"", bytes.len()));
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    out
}

#[test]
fn markdown_dissection_en() {
    let d = reference();
    insta::assert_snapshot!(kaibo_report::render_markdown(&kaibo_report::document(
        &d,
        &report_opts(Lang::En)
    )));
}

#[test]
fn markdown_dissection_ja() {
    let d = reference();
    insta::assert_snapshot!(kaibo_report::render_markdown(&kaibo_report::document(
        &d,
        &report_opts(Lang::Ja)
    )));
}

#[test]
fn html_dissection_en() {
    let d = reference();
    let html = kaibo_report::render_html(&kaibo_report::document(&d, &report_opts(Lang::En)));
    insta::assert_snapshot!(html_without_images(&html));
}

#[test]
fn html_dissection_ja() {
    let d = reference();
    let html = kaibo_report::render_html(&kaibo_report::document(&d, &report_opts(Lang::Ja)));
    insta::assert_snapshot!(html_without_images(&html));
}

#[test]
fn misp_event() {
    let d = reference();
    insta::assert_snapshot!(kaibo_report::render_misp(
        &d,
        &ExportOptions { created: CREATED, keep_recipient: false }
    ));
}

#[test]
fn stix_bundle() {
    let d = reference();
    insta::assert_snapshot!(kaibo_report::render_stix(
        &d,
        &ExportOptions { created: CREATED, keep_recipient: false }
    ));
}

#[test]
fn published_reports_are_safe() {
    let d = reference();
    for lang in [Lang::En, Lang::Ja] {
        let doc = kaibo_report::document(&d, &report_opts(lang));
        for text in [kaibo_report::render_markdown(&doc), kaibo_report::render_html(&doc)] {
            // No live indicator, no recipient, no mail HTML.
            for live in ["https://mail-sync", "aorz.ru", "@biglobe", "user@example.co.jp", "example.co.jp 様"]
            {
                assert!(!text.contains(live), "{live} in a published report");
            }
            assert!(!text.contains("<script"));
            assert!(!text.contains("invoice meeting schedule</div>"));
        }
    }
    let html = kaibo_report::render_html(&kaibo_report::document(&d, &report_opts(Lang::En)));
    assert!(html.contains(
        r#"<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:"#
    ));
    // Nothing in the page points outside it.
    for attr in ["src=\"http", "href=\"http", "url(", "@import"] {
        assert!(!html.contains(attr), "{attr}");
    }
    // --no-redact keeps the recipient.
    let kept = ReportOptions { keep_recipient: true, ..report_opts(Lang::En) };
    assert!(
        kaibo_report::render_markdown(&kaibo_report::document(&d, &kept))
            .contains("user[at]example[.]co[.]jp")
    );
}
