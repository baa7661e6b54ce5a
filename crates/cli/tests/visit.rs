//! The landing-page visit through the real binary, against real servers on 127.0.0.1: dnsmasq
//! for the test zone, and an HTTP server written here that serves the pages of
//! `tests/fixtures/visit/` (imitation kits written for these tests), redirect chains, an
//! oversized body and a slow-loris response. The test allow list admits exactly the page
//! server's address and port; everything else private stays refused, which a second server
//! (the canary, which must never be contacted) proves.
//!
//! The render test needs Chromium (`.ci/run` installs Debian's `chromium`); under CI it fails
//! when the browser is missing instead of passing vacuously.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{fixtures, kaibo, temp_dir};
use serde_json::Value;

#[derive(Clone)]
enum Reply {
    Html(String),
    Redirect(String),
    Status(u16),
    File(&'static str, Vec<u8>),
    /// 200 with a body of this many bytes.
    Big(usize),
    /// Headers, then a byte now and then, forever.
    Trickle,
}

struct Server {
    port: u16,
    hits: Arc<AtomicUsize>,
}

fn serve(routes: Vec<(&'static str, Reply)>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let routes = Arc::new(routes);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            counter.fetch_add(1, Ordering::SeqCst);
            let routes = routes.clone();
            std::thread::spawn(move || answer(stream, &routes));
        }
    });
    Server { port, hits }
}

fn answer(stream: TcpStream, routes: &[(&'static str, Reply)]) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    let _ = reader.read_line(&mut request_line);
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).map_or(true, |n| n == 0) || h == "\r\n" {
            break;
        }
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let bare = path.split('?').next().unwrap_or("").to_string();
    let mut s = stream;
    let reply = routes.iter().find(|(p, _)| *p == bare).map(|(_, r)| r.clone());
    let head = |status: &str, ctype: &str, len: usize| {
        format!(
            "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {len}\r\nServer: kaibo-test\r\nConnection: close\r\n\r\n"
        )
    };
    let _ = match reply {
        None => s
            .write_all(head("404 Not Found", "text/html", 9).as_bytes())
            .and_then(|_| s.write_all(b"not found")),
        Some(Reply::Html(body)) => s
            .write_all(head("200 OK", "text/html; charset=utf-8", body.len()).as_bytes())
            .and_then(|_| s.write_all(body.as_bytes())),
        Some(Reply::File(ctype, body)) => {
            s.write_all(head("200 OK", ctype, body.len()).as_bytes()).and_then(|_| s.write_all(&body))
        }
        Some(Reply::Redirect(to)) => s.write_all(
            format!("HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        ),
        Some(Reply::Status(code)) => s.write_all(head(&format!("{code} Gone"), "text/html", 0).as_bytes()),
        Some(Reply::Big(n)) => {
            let _ = s.write_all(head("200 OK", "text/html", n).as_bytes());
            let chunk = vec![b'a'; 64 * 1024];
            let mut sent = 0;
            while sent < n {
                let k = chunk.len().min(n - sent);
                if s.write_all(&chunk[..k]).is_err() {
                    break;
                }
                sent += k;
            }
            Ok(())
        }
        Some(Reply::Trickle) => {
            let _ = s.write_all(head("200 OK", "text/html", 1 << 20).as_bytes());
            let _ = s.write_all(b"<html><title>slow</title><body>");
            for _ in 0..120 {
                std::thread::sleep(Duration::from_millis(500));
                if s.write_all(b"x").and_then(|_| s.flush()).is_err() {
                    break;
                }
            }
            Ok(())
        }
    };
}

fn page(name: &str) -> String {
    std::fs::read_to_string(fixtures().join("visit").join(name)).unwrap()
}

const ZONE: &[&str] = &[
    "--address=/login.kaibo-phish.test/127.0.0.1",
    "--address=/internal.kaibo-phish.test/10.0.0.1",
    "--address=/ip6.kaibo-phish.test/fd00:ec2::254",
];

/// The configuration: dnsmasq as the resolver, and the test allow list admitting only the page
/// server (unless `allow` is false).
fn config(dir: &Path, dns_port: u16, page_port: u16, allow: bool, extra: &str) -> std::path::PathBuf {
    let allow_line =
        if allow { format!("allow_addresses = [\"127.0.0.1:{page_port}\"]") } else { String::new() };
    let cfg = format!(
        "timeout_ms = 2000\n[dns]\nresolvers = [\"127.0.0.1:{dns_port}\"]\n[visit]\n{allow_line}\n{extra}\n"
    );
    let path = dir.join("kaibo.toml");
    std::fs::write(&path, cfg).unwrap();
    path
}

fn kit_routes(canary_port: u16) -> Vec<(&'static str, Reply)> {
    vec![
        ("/r1", Reply::Redirect("/r2".into())),
        ("/r2", Reply::Html(r#"<html><head><meta http-equiv="refresh" content="0;url=/r3"></head><body>Loading…</body></html>"#.into())),
        ("/r3", Reply::Html(r#"<html><body><script>window.location.href = "/am_bin/amlogin";</script></body></html>"#.into())),
        ("/am_bin/amlogin", Reply::Html(page("active_mail.html"))),
        ("/static/am.ico", Reply::File("image/x-icon", b"\x00\x00\x01\x00kaibo-test-icon".to_vec())),
        ("/m365", Reply::Html(page("m365.html"))),
        ("/to-loopback", Reply::Redirect(format!("http://127.0.0.1:{canary_port}/"))),
        ("/to-mapped", Reply::Redirect(format!("http://[::ffff:127.0.0.1]:{canary_port}/"))),
        ("/to-metadata", Reply::Redirect("http://169.254.169.254/latest/meta-data/".into())),
        ("/to-internal", Reply::Redirect("http://internal.kaibo-phish.test/".into())),
        ("/to-ip6-metadata", Reply::Redirect("http://ip6.kaibo-phish.test/".into())),
        ("/gone", Reply::Status(410)),
        ("/big", Reply::Big(5 * 1024 * 1024)),
        ("/slow", Reply::Trickle),
    ]
}

/// A phishing mail like the reference case, whose button links to the test server.
fn write_mail(dir: &Path, port: u16) -> std::path::PathBuf {
    let mail = format!(
        "From: \"postmaster@example.co.jp\" <axh33983@biglobe.ne.jp>\r\n\
To: taro@example.co.jp\r\n\
Subject: =?UTF-8?B?5pyq6YWN5L+h44Oh44OD44K744O844K4ICgyKQ==?=\r\n\
Date: Tue, 14 Nov 2023 09:12:00 +0900\r\n\
Message-ID: <visit-test@kaibo.test>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: text/html; charset=utf-8\r\n\
\r\n\
<html><body><p>同期エラーのため、2 件のメッセージが配信されませんでした。</p>\r\n\
<p><a href=\"http://login.kaibo-phish.test:{port}/r1?u=taro\">メッセージを受け取る &gt;&gt;</a></p>\r\n\
<p>©2023、メールセンター</p></body></html>\r\n"
    );
    let path = dir.join("lure.eml");
    std::fs::write(&path, mail).unwrap();
    path
}

fn json(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// `kaibo visit --format json URL --config CFG`, parsed.
fn visit_json(url: &str, cfg: &Path) -> Value {
    json(&kaibo().args(["visit", "--format", "json", url, "--config"]).arg(cfg).output().unwrap())
}

/// `kaibo analyze MAIL ARGS… --config CFG`.
fn analyze(mail: &Path, args: &[&str], cfg: &Path) -> std::process::Output {
    kaibo().arg("analyze").arg(mail).args(args).arg("--config").arg(cfg).output().unwrap()
}

fn finding_ids(v: &Value) -> Vec<String> {
    v["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_string()).collect()
}

#[test]
fn fake_active_mail_login_behind_a_redirect_chain() {
    let dns = common::dnsmasq(ZONE);
    let canary = serve(vec![]);
    let server = serve(kit_routes(canary.port));
    let dir = temp_dir("visit-kit");
    let cfg = config(&dir, dns.port, server.port, true, "");
    let mail = write_mail(&dir, server.port);

    let out = analyze(&mail, &["--visit", "--format", "json"], &cfg);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let v = json(&out);
    let visit = &v["visit"];
    assert_eq!(visit["allow_list_in_use"], true);
    let pv = &visit["pages"][0];
    assert_eq!(pv["outcome"], "page");
    let vias: Vec<&str> =
        pv["chain"].as_array().unwrap().iter().map(|h| h["via"].as_str().unwrap()).collect();
    assert_eq!(vias, ["start", "http", "meta-refresh", "javascript"]);
    assert_eq!(pv["chain"][0]["status"], 302);
    assert_eq!(pv["chain"][3]["ip"], "127.0.0.1");
    assert_eq!(pv["chain"][3]["server"], "kaibo-test");
    let page = &pv["page"];
    assert_eq!(page["title"], "Active! mail ログイン");
    assert_eq!(page["kits"][0]["kit"], "active_mail");
    assert_eq!(page["asks_for"], serde_json::json!(["email_or_user_id", "password"]));
    assert_eq!(page["forms"][0]["offsite"], true);
    assert_eq!(page["forms"][0]["action_host"], "collector.kaibo-exfil.test");
    assert_eq!(page["addresses"], serde_json::json!(["taro@example.co.jp"]));
    assert_eq!(page["favicon"]["bytes"], 19);
    assert_eq!(
        page["favicon"]["url"],
        format!("http://login.kaibo-phish.test:{}/static/am.ico", server.port)
    );

    let ids = finding_ids(&v);
    for id in [
        "visit.webmail_kit",
        "visit.credential_form",
        "visit.credentials_offsite",
        "visit.recipient_prefilled",
        "visit.redirect_chain",
    ] {
        assert!(ids.iter().any(|i| i == id), "{id} missing: {ids:?}");
    }
    assert!(
        !ids.iter().any(|i| i == "visit.brand_impersonation"),
        "webmail products are judged by the kit finding"
    );
    // A visit alone adds no `enrichment` section (no lookup rung ran).
    assert!(v.get("enrichment").is_none());
    assert_eq!(canary.hits.load(Ordering::SeqCst), 0);

    // The output follows the published schema.
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("../../docs/json-schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> =
        validator.iter_errors(&v).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:#?}");

    // The text report tells it, in both languages, defanged.
    for (lang, heading, kit_line) in
        [("en", "== Landing page ==", "Kit"), ("ja", "== リンク先ページ ==", "キット")]
    {
        let out = analyze(&mail, &["--visit", "--lang", lang], &cfg);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(heading), "{text}");
        assert!(text.contains(kit_line) && text.contains("Active! mail"), "{text}");
        assert!(text.contains("hxxp://login[.]kaibo-phish[.]test"), "{text}");
        assert!(text.contains("visit.webmail_kit"), "{text}");
    }
}

#[test]
fn microsoft_365_imitation_and_exfiltration_to_a_bot() {
    let dns = common::dnsmasq(ZONE);
    let server = serve(kit_routes(1));
    let dir = temp_dir("visit-m365");
    let cfg = config(&dir, dns.port, server.port, true, "profile = \"mobile\"");
    // Defanged input is accepted and refanged inside.
    let url = format!("hxxp://login[.]kaibo-phish[.]test:{}/m365", server.port);
    let out = kaibo().args(["visit", "--format", "json", &url, "--config"]).arg(&cfg).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v = json(&out);
    assert_eq!(v["profile"], "mobile");
    assert_eq!(v["pages"][0]["outcome"], "page", "{}", v["pages"][0]);
    let page = &v["pages"][0]["page"];
    assert_eq!(v["pages"][0]["url"], url);
    assert_eq!(page["kits"][0]["kit"], "outlook_web_app");
    let brand = page["brands"].as_array().unwrap().iter().find(|b| b["brand"] == "microsoft365").unwrap();
    assert_eq!(brand["owned"], false);
    assert_eq!(page["exfiltration"], serde_json::json!(["api.telegram.org/bot"]));
    assert_eq!(page["scripts"][0], "https://aadcdn.msauth.net/shared/1.0/content/js/ConvergedLogin_PCore.js");
}

#[test]
fn the_guard_refuses_private_addresses_on_every_hop() {
    let dns = common::dnsmasq(ZONE);
    let canary = serve(vec![("/", Reply::Html("canary".into()))]);
    // The page server redirects to the canary, which is on loopback too but not allowed.
    let server = serve(kit_routes(canary.port));
    let dir = temp_dir("visit-guard");
    let cfg = config(&dir, dns.port, server.port, true, "");
    let base = format!("http://login.kaibo-phish.test:{}", server.port);
    for (path, reason) in [
        ("/to-loopback", "loopback"),
        ("/to-mapped", "loopback"),
        ("/to-metadata", "metadata"),
        ("/to-internal", "private"),
        ("/to-ip6-metadata", "metadata"),
    ] {
        let v = visit_json(&format!("{base}{path}"), &cfg);
        let pv = &v["pages"][0];
        assert_eq!(pv["outcome"], "refused", "{path}: {pv}");
        let chain = pv["chain"].as_array().unwrap();
        assert_eq!(chain.len(), 2, "{path}");
        let why = chain[1]["refused"].as_str().unwrap();
        assert!(why.contains(reason), "{path}: {why}");
        assert!(chain[1]["status"].is_null(), "no request was made");
    }
    assert_eq!(canary.hits.load(Ordering::SeqCst), 0, "the canary was contacted");

    // Without the allow list, the page server itself is refused before any connection.
    let before = server.hits.load(Ordering::SeqCst);
    let strict = config(&dir, dns.port, server.port, false, "");
    for url in [format!("{base}/m365"), format!("http://127.0.0.1:{}/m365", server.port)] {
        let v = visit_json(&url, &strict);
        assert_eq!(v["pages"][0]["outcome"], "refused", "{url}");
        assert_eq!(v["allow_list_in_use"], false);
    }
    assert_eq!(server.hits.load(Ordering::SeqCst), before);

    // In a mail, a refused hop is a finding.
    let mail = dir.join("private.eml");
    std::fs::write(
        &mail,
        format!("From: a@example.net\r\nTo: b@example.org\r\nSubject: hi\r\n\r\nsee {base}/to-metadata\r\n"),
    )
    .unwrap();
    let out = analyze(&mail, &["--visit", "--format", "json"], &cfg);
    assert!(finding_ids(&json(&out)).iter().any(|i| i == "visit.private_redirect"));
}

#[test]
fn concurrent_visits_connect_only_where_each_was_vetted() {
    // One name, two addresses; the allow list admits 127.0.0.1 on one port and 127.0.0.2 on
    // another. Two links of one visit run at once: the first (HTTPS) fails its handshake slowly
    // and is retried without certificate checks, by when the second has vetted 127.0.0.2. With
    // addresses pinned per host name and shared, the retry connected to 127.0.0.2 on the first
    // port, never vetted: the canary there must hear nothing.
    let slow_tls = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = slow_tls.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in slow_tls.incoming().flatten() {
            std::thread::spawn(move || {
                let mut s = stream;
                std::thread::sleep(Duration::from_millis(700));
                let _ = s.write_all(b"not TLS\r\n");
            });
        }
    });
    let canary = match TcpListener::bind(("127.0.0.2", port)) {
        Ok(l) => l,
        Err(e) => panic!("127.0.0.2:{port} is needed for this test: {e}"),
    };
    let canary_hits = Arc::new(AtomicUsize::new(0));
    {
        let hits = canary_hits.clone();
        std::thread::spawn(move || {
            for _ in canary.incoming().flatten() {
                hits.fetch_add(1, Ordering::SeqCst);
            }
        });
    }
    let other = TcpListener::bind("127.0.0.2:0").unwrap();
    let other_port = other.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in other.incoming().flatten() {
            std::thread::spawn(move || answer(stream, &[("/", Reply::Html("<title>other</title>".into()))]));
        }
    });
    let dns = common::dnsmasq(&[
        "--address=/multi.kaibo-phish.test/127.0.0.1",
        "--address=/multi.kaibo-phish.test/127.0.0.2",
    ]);
    let dir = temp_dir("visit-pins");
    let cfg = dir.join("kaibo.toml");
    std::fs::write(
        &cfg,
        format!(
            "timeout_ms = 2000\n[dns]\nresolvers = [\"127.0.0.1:{}\"]\n[visit]\nallow_addresses = [\"127.0.0.1:{port}\", \"127.0.0.2:{other_port}\"]\n",
            dns.port
        ),
    )
    .unwrap();
    let out = kaibo()
        .args(["visit", "--format", "json"])
        .arg(format!("https://multi.kaibo-phish.test:{port}/"))
        .arg(format!("http://multi.kaibo-phish.test:{other_port}/"))
        .arg("--config")
        .arg(&cfg)
        .output()
        .unwrap();
    let v = json(&out);
    assert_eq!(v["pages"][1]["outcome"], "page", "{v}");
    assert_eq!(v["pages"][0]["outcome"], "connect_failed", "{v}");
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(canary_hits.load(Ordering::SeqCst), 0, "a retry connected where it was never vetted: {v}");
}

#[test]
fn limits_bound_big_and_slow_answers() {
    let dns = common::dnsmasq(ZONE);
    let server = serve(kit_routes(1));
    let dir = temp_dir("visit-limits");
    let cfg = config(&dir, dns.port, server.port, true, "max_bytes = 65536\ntotal_ms = 2500");
    let base = format!("http://login.kaibo-phish.test:{}", server.port);

    let v = visit_json(&format!("{base}/big"), &cfg);
    let hop = &v["pages"][0]["chain"][0];
    assert_eq!(hop["truncated"], true);
    assert_eq!(hop["bytes"], 65536);

    let started = Instant::now();
    let v = visit_json(&format!("{base}/slow"), &cfg);
    let took = started.elapsed();
    assert_eq!(v["pages"][0]["outcome"], "timeout");
    assert!(v["pages"][0]["chain"][0]["error"].as_str().unwrap().contains("timed out"));
    assert!(took < Duration::from_secs(8), "the slow-loris server held kaibo for {took:?}");

    // A page that is gone is said so.
    let v = visit_json(&format!("{base}/gone"), &cfg);
    assert_eq!(v["pages"][0]["outcome"], "http_error");
    assert_eq!(v["pages"][0]["chain"][0]["status"], 410);
    let v = visit_json(&format!("http://nowhere.kaibo-phish.test:{}/", server.port), &cfg);
    assert_eq!(v["pages"][0]["outcome"], "nxdomain");
}

#[test]
fn screenshot_of_the_landing_page() {
    if common::chromium().is_none() {
        assert!(std::env::var_os("CI").is_none(), "CI must install chromium (.ci/run does)");
        eprintln!("chromium is not installed: the render test did not run");
        return;
    }
    let dns = common::dnsmasq(ZONE);
    let server = serve(kit_routes(1));
    let dir = temp_dir("visit-render");
    let cfg = config(&dir, dns.port, server.port, true, "");
    let mail = write_mail(&dir, server.port);
    let shots = dir.join("shots");
    let out_dir = shots.to_str().unwrap();
    let out = analyze(&mail, &["--render", "--format", "json", "--out-dir", out_dir], &cfg);
    let v = json(&out);
    let shot = &v["visit"]["pages"][0]["screenshot"];
    assert!(shot.is_object(), "no screenshot: {}", v["visit"]);
    assert_eq!(shot["width"], 1280);
    let path = shot["path"].as_str().unwrap();
    assert!(path.starts_with(shots.to_str().unwrap()));
    // The browser went out only through kaibo's proxy, to the page server.
    let requests = shot["requests"].as_array().unwrap();
    assert!(requests.iter().any(|r| r["allowed"] == true && r["target"] == format!("login.kaibo-phish.test:{}", server.port)));

    // It is a real picture of the page: the kit's blue bar (#0066cc) fills the top.
    let img = image::open(path).unwrap().to_rgb8();
    assert_eq!(img.width(), 1280);
    let blue = img.pixels().filter(|p| p.0[0] < 20 && (90..=115).contains(&p.0[1]) && p.0[2] > 190).count();
    let share = blue as f64 / (img.width() * img.height()) as f64;
    assert!(share > 0.10, "blue share {share}");
    assert!(img.get_pixel(640, 60).0[2] > 190, "the bar is at the top");
    let white = img.pixels().filter(|p| p.0.iter().all(|c| *c > 245)).count();
    assert!(white as f64 / (img.width() * img.height()) as f64 > 0.3, "the page body is rendered");
}

/// A page that asks WebRTC for STUN and TURN servers on 127.0.0.1 and on this machine's own
/// address (UDP), then paints itself green (proof that its script ran).
fn webrtc_page(udp_port: u16, own_ip: Option<std::net::IpAddr>) -> String {
    let mut servers = vec![
        format!("{{urls: 'stun:127.0.0.1:{udp_port}'}}"),
        format!("{{urls: 'turn:127.0.0.1:{udp_port}?transport=udp', username: 'u', credential: 'p'}}"),
    ];
    if let Some(ip) = own_ip {
        servers.push(format!("{{urls: 'stun:{ip}:{udp_port}'}}"));
    }
    format!(
        "<!doctype html><html><head><title>rtc</title></head><body style=\"background:#fff\"><script>\n\
         const pc = new RTCPeerConnection({{iceServers: [{}]}});\n\
         pc.createDataChannel('x');\n\
         pc.createOffer().then(o => pc.setLocalDescription(o))\n\
           .then(() => {{ document.body.style.background = '#00cc66'; }});\n\
         </script></body></html>",
        servers.join(", ")
    )
}

/// This machine's address on its default route, when it has one (a UDP `connect` sends nothing).
fn own_address() -> Option<std::net::IpAddr> {
    let s = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    s.connect("192.0.2.1:9").ok()?;
    s.local_addr().ok().map(|a| a.ip()).filter(|ip| !ip.is_loopback() && !ip.is_unspecified())
}

#[test]
fn webrtc_sends_no_udp_around_the_proxy() {
    if common::chromium().is_none() {
        assert!(std::env::var_os("CI").is_none(), "CI must install chromium (.ci/run does)");
        eprintln!("chromium is not installed: the WebRTC test did not run");
        return;
    }
    // Every datagram to this port, on any local address, is a leak.
    let udp = std::net::UdpSocket::bind("0.0.0.0:0").unwrap();
    let udp_port = udp.local_addr().unwrap().port();
    udp.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let heard = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let listener = {
        let (heard, stop) = (heard.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 2048];
            while !stop.load(Ordering::SeqCst) {
                if udp.recv_from(&mut buf).is_ok() {
                    heard.fetch_add(1, Ordering::SeqCst);
                }
            }
        })
    };
    let dns = common::dnsmasq(ZONE);
    let server = serve(vec![("/rtc", Reply::Html(webrtc_page(udp_port, own_address())))]);
    let dir = temp_dir("visit-webrtc");
    let cfg = config(&dir, dns.port, server.port, true, "");
    let shots = dir.join("shots");
    let out = kaibo()
        .args(["visit", "--render", "--format", "json", "--out-dir"])
        .arg(&shots)
        .arg(format!("http://login.kaibo-phish.test:{}/rtc", server.port))
        .arg("--config")
        .arg(&cfg)
        .output()
        .unwrap();
    let v = json(&out);
    // ICE gathering gives up on unanswered servers after a few seconds; listen past that.
    std::thread::sleep(Duration::from_secs(3));
    stop.store(true, Ordering::SeqCst);
    listener.join().unwrap();
    let shot = &v["pages"][0]["screenshot"];
    assert!(shot.is_object(), "no screenshot: {v}");
    let img = image::open(shot["path"].as_str().unwrap()).unwrap().to_rgb8();
    let green = img.pixels().filter(|p| p.0[0] < 20 && p.0[1] > 180 && (80..=120).contains(&p.0[2])).count();
    assert!(green * 2 > (img.width() * img.height()) as usize, "the page's script ran (the page is green)");
    assert_eq!(heard.load(Ordering::SeqCst), 0, "WebRTC sent UDP around the proxy");
}

#[test]
fn a_missing_browser_is_a_note_not_a_failure() {
    let dns = common::dnsmasq(ZONE);
    let server = serve(kit_routes(1));
    let dir = temp_dir("visit-nobrowser");
    let cfg = config(&dir, dns.port, server.port, true, "browser = \"/nonexistent/chromium\"");
    let mail = write_mail(&dir, server.port);
    let out = analyze(&mail, &["--render", "--format", "json"], &cfg);
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(v["visit"]["pages"][0]["outcome"], "page");
    assert!(v["visit"]["pages"][0]["screenshot"].is_null());
    let notes = v["visit"]["notes"].to_string();
    assert!(notes.contains("no browser found"), "{notes}");
}

/// An HTTPS server with the self-signed fixture certificate, serving the Microsoft 365 kit.
fn serve_tls() -> u16 {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let dir = fixtures().join("visit");
    let certs = vec![CertificateDer::from_pem_file(dir.join("tls-cert.pem")).unwrap()];
    let key = PrivateKeyDer::from_pem_file(dir.join("tls-key.pem")).unwrap();
    let config =
        rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap();
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let body = page("m365.html");
    std::thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let (config, body) = (config.clone(), body.clone());
            std::thread::spawn(move || {
                let conn = rustls::ServerConnection::new(config).unwrap();
                let mut tls = rustls::StreamOwned::new(conn, tcp);
                let mut line = String::new();
                let mut reader = BufReader::new(&mut tls);
                loop {
                    line.clear();
                    if reader.read_line(&mut line).map_or(true, |n| n == 0) || line == "\r\n" {
                        break;
                    }
                }
                let _ = write!(
                    tls,
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                tls.conn.send_close_notify();
                let _ = tls.flush();
            });
        }
    });
    port
}

#[test]
fn tls_certificate_is_recorded_and_a_bad_one_does_not_hide_the_page() {
    let dns = common::dnsmasq(ZONE);
    let port = serve_tls();
    let dir = temp_dir("visit-tls");
    let cfg = config(&dir, dns.port, port, true, "");
    let url = format!("https://login.kaibo-phish.test:{port}/");
    let v = visit_json(&url, &cfg);
    let pv = &v["pages"][0];
    assert_eq!(pv["outcome"], "page", "{pv}");
    let tls = &pv["chain"][0]["tls"];
    assert!(tls["subject"].as_str().unwrap().contains("CN=login.kaibo-phish.test"), "{tls}");
    assert_eq!(tls["subject"], tls["issuer"], "self-signed");
    assert_eq!(tls["verified"], false);
    assert!(tls["error"].as_str().unwrap().to_lowercase().contains("certificate"), "{tls}");
    assert_eq!(tls["not_after"], "2126-11-04");
    assert!(tls["age_days"].as_i64().unwrap() >= 0);
    assert_eq!(pv["page"]["kits"][0]["kit"], "outlook_web_app");
}

#[test]
fn scan_visits_each_mail_and_writes_visit_in_jsonl() {
    let dns = common::dnsmasq(ZONE);
    let server = serve(kit_routes(1));
    let dir = temp_dir("visit-scan");
    let cfg = config(&dir, dns.port, server.port, true, "");
    let mails = dir.join("mails");
    std::fs::create_dir_all(&mails).unwrap();
    write_mail(&mails, server.port);
    std::fs::write(
        mails.join("plain.eml"),
        "From: a@example.net\r\nTo: b@example.org\r\nSubject: lunch\r\n\r\nNoon?\r\n",
    )
    .unwrap();
    let out = kaibo()
        .args(["scan", "--format", "jsonl", "--visit", "--config"])
        .arg(&cfg)
        .arg(&mails)
        .output()
        .unwrap();
    let lines: Vec<Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    let lure = lines.iter().find(|l| l["location"].to_string().contains("lure.eml")).unwrap();
    assert_eq!(lure["visit"]["pages"][0]["page"]["kits"][0]["kit"], "active_mail");
    assert!(lure.get("enrichment").is_none());
    let plain = lines.iter().find(|l| l["location"].to_string().contains("plain.eml")).unwrap();
    assert_eq!(plain["visit"]["pages"], serde_json::json!([]));
    assert!(plain["visit"]["notes"][0].as_str().unwrap().contains("no web link"));
}
