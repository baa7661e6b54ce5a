//! `kaibo serve` in a real browser: headless Chromium driven over WebDriver (Debian's
//! `chromium-driver`) uploads the reference sample through the page's file input, waits for
//! the dissection and checks the verdict badge and that the page loaded nothing from another
//! origin. The screenshot it takes is the README's (`target/kaibo-serve-screenshot.png`).

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{fixtures, temp_dir};
use fantoccini::{ClientBuilder, Locator};

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// chromedriver on a free port, ready when it answers /status.
fn start_chromedriver() -> (Killed, u16) {
    for _ in 0..5 {
        let port = free_port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (Debian chromium-driver) is installed");
        let child = Killed(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return (child, port);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    panic!("chromedriver did not start");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_dissects_a_dropped_mail_in_chromium() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = temp_dir("browser");
    let server = common::start_serve(&dir.join("data"), &[], &[]);
    let addr = server.addr.clone();
    let (_driver, port) = start_chromedriver();
    let mut caps = serde_json::Map::new();
    let mut args = vec![
        "--headless=new",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1200,1500",
        "--lang=ja",
    ];
    // Chromium refuses its sandbox as root (CI runs as root).
    if std::env::var("USER").as_deref() == Ok("root") || running_as_root() {
        args.push("--no-sandbox");
    }
    caps.insert("goog:chromeOptions".into(), serde_json::json!({ "args": args }));
    let client = ClientBuilder::rustls()
        .expect("a TLS connector")
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a WebDriver session");
    let base = format!("http://{addr}");
    client.goto(&format!("{base}/")).await.unwrap();
    let input = client.find(Locator::Css("#mail")).await.unwrap();
    let sample = fixtures().join("phish_seed_utf8.eml").canonicalize().unwrap();
    // Choosing the file submits the form (the page's script); the browser follows the redirect.
    input.send_keys(sample.to_str().unwrap()).await.unwrap();
    let badge = match client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("article.report .badge"))
        .await
    {
        Ok(b) => b,
        Err(e) => {
            let url = client.current_url().await.map(|u| u.to_string()).unwrap_or_default();
            let src = client.source().await.unwrap_or_default();
            panic!("no dissection page ({e}): at {url}\n{}", &src[..src.len().min(1500)]);
        }
    };
    let url = client.current_url().await.unwrap();
    assert!(url.path().starts_with("/analyses/"), "{url}");
    let verdict = client.find(Locator::Css("p.downloads")).await.unwrap().attr("data-verdict").await.unwrap();
    assert_eq!(verdict.as_deref(), Some("phishing"));
    let badge_text = badge.text().await.unwrap();
    assert!(!badge_text.trim().is_empty());
    let html = client.source().await.unwrap();
    assert!(html.contains("aorz"), "the report names the phishing host");

    // Everything the page loaded came from the server itself.
    let loaded = client
        .execute(
            "return performance.getEntriesByType('resource').map(e => e.name).concat([location.href]);",
            vec![],
        )
        .await
        .unwrap();
    for u in loaded.as_array().unwrap() {
        let u = u.as_str().unwrap();
        assert!(u.starts_with(&base), "a request left for another origin: {u}");
    }

    let png = client.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    let out =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/kaibo-serve-screenshot.png");
    std::fs::write(&out, &png).unwrap();
    client.close().await.unwrap();
}

fn running_as_root() -> bool {
    // /proc/self/status says the effective uid without a libc call.
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}
