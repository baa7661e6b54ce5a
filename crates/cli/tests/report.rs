//! Publishable reports and exports through the real binary: `analyze --format md|html|misp|stix|iocs`,
//! `-o`, `--no-redact`, and `kaibo abuse`. The HTML report is rendered in headless Chromium with
//! its network routed to a recording proxy, to show that it displays and makes no request.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use common::{kaibo, temp_dir};
use serde_json::Value;

fn run(args: &[&str]) -> std::process::Output {
    kaibo().args(args).output().unwrap()
}

#[test]
fn every_format_from_the_sample() {
    let dir = temp_dir("report-formats");
    let md = dir.join("r.md");
    let out = run(&["analyze", "--sample", "--format", "md", "--lang", "ja", "-o", md.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout.is_empty(), "-o writes the file, not stdout");
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(
        text.starts_with("# 「\\[spam\\] 未配信メッセージ (2)」というフィッシングメールの解剖"),
        "{text}"
    );
    assert!(text.contains("`hxxps://mail-sync[.]aorz[.]ru/webmail/index.php?email=[受信者]`"));

    let html = String::from_utf8(run(&["analyze", "--sample", "--format", "html"]).stdout).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("Content-Security-Policy"));
    assert!(!html.contains("user@example.co.jp"));

    let misp: Value =
        serde_json::from_slice(&run(&["analyze", "--sample", "--format", "misp"]).stdout).unwrap();
    assert_eq!(misp["Event"]["Object"][0]["name"], "email");
    let stix: Value =
        serde_json::from_slice(&run(&["analyze", "--sample", "--format", "stix"]).stdout).unwrap();
    assert_eq!(stix["type"], "bundle");
    assert!(stix["objects"].as_array().unwrap().iter().any(|o| o["type"] == "indicator"));

    let iocs = String::from_utf8(run(&["analyze", "--sample", "--format", "iocs"]).stdout).unwrap();
    assert_eq!(iocs.lines().next(), Some("hxxps://mail-sync[.]aorz[.]ru/webmail/index.php"));
    let raw =
        String::from_utf8(run(&["analyze", "--sample", "--format", "iocs", "--raw", "--no-redact"]).stdout)
            .unwrap();
    assert_eq!(
        raw.lines().next(),
        Some("https://mail-sync.aorz.ru/webmail/index.php?email=user@example.co.jp")
    );
    assert!(raw.contains("axh33983@biglobe.ne.jp"));
}

#[test]
fn abuse_drafts_are_written_not_sent() {
    let dir = temp_dir("report-abuse");
    let mail = dir.join("sample.eml");
    std::fs::write(&mail, run(&["sample"]).stdout).unwrap();
    let out_dir = dir.join("drafts");
    let out = kaibo().arg("abuse").arg(&mail).arg("-o").arg(&out_dir).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    // Offline, the contacts are the sender's provider and the Japanese reporting points.
    let listed = String::from_utf8(out.stdout).unwrap();
    let files: Vec<&str> = listed.lines().map(|l| l.split('\t').nth(1).unwrap()).collect();
    assert_eq!(files, ["abuse@biglobe.ne.jp", "info@antiphishing.jp", "info@jpcert.or.jp"]);
    let first = std::fs::read_to_string(out_dir.join("abuse-01-biglobe.ne.jp.txt")).unwrap();
    assert!(first.contains("----- Original headers -----"));
}

/// A proxy that records the first line of every request and refuses it.
fn recording_proxy() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = log.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut line = String::new();
            let _ = BufReader::new(stream.try_clone().unwrap()).read_line(&mut line);
            // A connection opened and closed without a request line (Chromium preconnects to
            // the proxy) asks for nothing.
            if !line.trim().is_empty() {
                seen.lock().unwrap().push(line.trim().to_string());
            }
            let mut s = stream;
            let _ = s.write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    (port, log)
}

/// Renders `url` and returns the hosts the browser asked the proxy for.
fn render(
    browser: &std::path::Path,
    url: &str,
    png: &std::path::Path,
    profile: &std::path::Path,
) -> Vec<String> {
    let (port, log) = recording_proxy();
    let mut cmd = std::process::Command::new(browser);
    cmd.args([
        "--headless",
        "--disable-gpu",
        "--no-first-run",
        "--hide-scrollbars",
        "--window-size=1000,1600",
        "--proxy-bypass-list=<-loopback>",
    ])
    .arg(format!("--proxy-server=http://127.0.0.1:{port}"))
    .arg(format!("--user-data-dir={}", profile.display()))
    .arg(format!("--screenshot={}", png.display()))
    .arg(url);
    if std::fs::metadata("/proc/self").map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0).unwrap_or(false)
    {
        cmd.arg("--no-sandbox");
    }
    let out = cmd.output().unwrap();
    assert!(png.is_file(), "no screenshot: {}", String::from_utf8_lossy(&out.stderr));
    let hosts: Vec<String> = log
        .lock()
        .unwrap()
        .iter()
        .map(|l| {
            let target = l.split_whitespace().nth(1).unwrap_or("").to_string();
            target.trim_start_matches("http://").split(['/', ':']).next().unwrap_or("").to_string()
        })
        .collect();
    hosts
}

#[test]
fn html_report_renders_offline_and_requests_nothing() {
    let Some(browser) = common::chromium() else {
        assert!(std::env::var_os("CI").is_none(), "CI must install chromium (.ci/run does)");
        eprintln!("chromium is not installed: the HTML render test did not run");
        return;
    };
    let dir = temp_dir("report-render");
    let html = dir.join("report.html");
    let out = run(&["analyze", "--sample", "--format", "html", "--lang", "ja", "-o", html.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    // What Chromium asks for by itself, for an empty Japanese page: its own services (updates,
    // sign-in, and the translation offer for a page not in the browser's language).
    let blank = dir.join("blank.html");
    std::fs::write(&blank, "<!DOCTYPE html><html lang=\"ja\"><meta charset=\"utf-8\"><title>空</title><p>空のページです。日本語のテキスト。</p></html>").unwrap();
    let baseline =
        render(&browser, &format!("file://{}", blank.display()), &dir.join("blank.png"), &dir.join("p1"));
    let hosts =
        render(&browser, &format!("file://{}", html.display()), &dir.join("report.png"), &dir.join("p2"));
    for h in &hosts {
        assert!(baseline.contains(h), "the report made the browser request {h} (baseline: {baseline:?})");
    }
    // The check can fail: a page with an outside image does make the browser ask for it.
    let leaky = dir.join("leaky.html");
    std::fs::write(&leaky, "<!DOCTYPE html><html lang=\"ja\"><p>画像</p><img src=\"http://tracker.kaibo-test.example/pixel.png\"></html>").unwrap();
    let leaked =
        render(&browser, &format!("file://{}", leaky.display()), &dir.join("leaky.png"), &dir.join("p3"));
    assert!(leaked.iter().any(|h| h == "tracker.kaibo-test.example"), "{leaked:?}");
    // The screenshot shows the report: the red verdict banner and a white page.
    let img = image::open(dir.join("report.png")).unwrap().to_rgb8();
    let red = img.pixels().filter(|p| p.0[0] > 180 && p.0[1] < 70 && p.0[2] < 70).count();
    assert!(red > 200, "no verdict badge ({red} red pixels)");
    let white = img.pixels().filter(|p| p.0.iter().all(|c| *c > 245)).count();
    assert!(white as f64 / (img.width() * img.height()) as f64 > 0.4);
}
