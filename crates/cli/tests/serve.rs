//! `kaibo serve`: the real binary on an ephemeral loopback port, driven over HTTP/1.1 with a
//! plain TCP client (so every header the server sends is seen as sent).

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::{fixtures, kaibo, start_serve as start, temp_dir};
use serde_json::Value;

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.text()))
    }
}

fn request(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    parse_reply(&raw)
}

fn parse_reply(raw: &[u8]) -> Reply {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a complete response");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked")) {
        let mut out = Vec::new();
        let mut rest = &body[..];
        loop {
            let end = rest.windows(2).position(|w| w == b"\r\n").unwrap();
            let size = usize::from_str_radix(std::str::from_utf8(&rest[..end]).unwrap().trim(), 16).unwrap();
            if size == 0 {
                break;
            }
            out.extend_from_slice(&rest[end + 2..end + 2 + size]);
            rest = &rest[end + 2 + size + 2..];
        }
        body = out;
    }
    Reply { status, headers, body }
}

fn get(addr: &str, path: &str) -> Reply {
    request(addr, "GET", path, &[], b"")
}

fn post_mail(addr: &str, path: &str, mail: &[u8]) -> Reply {
    request(addr, "POST", path, &[("Content-Type", "message/rfc822")], mail)
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixtures().join(name)).unwrap()
}

/// A phishing mail whose link and wording vary.
fn phish(subject: &str, link: &str, body: &str) -> Vec<u8> {
    format!(
        "From: \"Microsoft 365 Security\" <alert@mailer-notify.example>\r\nTo: user@example.org\r\n\
Subject: {subject}\r\nDate: Tue, 14 Nov 2023 08:11:52 +0900\r\nMessage-ID: <{subject}@x.example>\r\n\
MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nDear user,\r\n\r\n{body}\r\n\r\n\
Your Microsoft 365 mailbox password expires today. Verify your account now or your mailbox will be \
suspended and incoming messages will be deleted.\r\n\r\nKeep my password: {link}\r\n"
    )
    .into_bytes()
}

fn assert_secure_headers(r: &Reply, what: &str) {
    let csp = r.header("content-security-policy").unwrap_or_else(|| panic!("{what}: no CSP"));
    assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert!(
        !csp.contains("http:") && !csp.contains("https:") && !csp.contains('*'),
        "{what}: outside origin in {csp}"
    );
    assert!(!csp.contains("script-src 'unsafe-inline'"), "{what}: {csp}");
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"), "{what}");
    assert_eq!(r.header("referrer-policy"), Some("no-referrer"), "{what}");
}

#[test]
fn upload_dedupe_reports_search_delete_and_restart() {
    let dir = temp_dir("serve-main");
    let data = dir.join("data");
    let server = start(&data, &[], &[]);
    let a = &server.addr;
    assert_eq!(get(a, "/healthz").status, 200);
    assert!(data.join("kaibo.sqlite").exists(), "the data dir and database are made on first start");

    let seed = fixture("phish_seed_utf8.eml");
    let first = post_mail(a, "/api/v1/analyses", &seed);
    assert_eq!(first.status, 201, "{}", first.text());
    let v = first.json();
    let id = v["id"].as_str().unwrap().to_string();
    assert_eq!(v["verdict"], "phishing");
    assert!(v["findings"].as_array().unwrap().iter().any(|f| f["id"] == "sender.display_name_spoof"));
    assert_eq!(first.header("location"), Some(format!("/api/v1/analyses/{id}").as_str()));

    // The same mail again: the stored analysis; with rerun=1 a new one.
    let again = post_mail(a, "/api/v1/analyses", &seed);
    assert_eq!((again.status, again.json()["id"].as_str().unwrap()), (200, id.as_str()));
    let rerun = post_mail(a, "/api/v1/analyses?rerun=1", &seed);
    assert_eq!(rerun.status, 201);
    let rerun_id = rerun.json()["id"].as_str().unwrap().to_string();
    assert_ne!(rerun_id, id);

    let fetched = get(a, &format!("/api/v1/analyses/{id}"));
    assert_eq!(fetched.json()["score"], v["score"]);
    for (file, needle) in [
        ("report.html", "<!DOCTYPE html>"),
        ("report.md", "# "),
        ("report.json", "\"verdict\": \"phishing\""),
        ("report.misp", "\"Event\""),
        ("report.stix", "\"type\": \"bundle\""),
        ("report.iocs", "aorz[.]ru"),
        ("abuse.txt", "aorz"),
    ] {
        let r = get(a, &format!("/api/v1/analyses/{id}/{file}?lang=ja"));
        assert_eq!(r.status, 200, "{file}");
        assert!(r.text().contains(needle), "{file}: {}", &r.text()[..r.text().len().min(300)]);
        assert_secure_headers(&r, file);
    }
    let ja = get(a, &format!("/api/v1/analyses/{id}/report.md?lang=ja")).text();
    let en = get(a, &format!("/api/v1/analyses/{id}/report.md?lang=en")).text();
    assert_ne!(ja, en, "the language parameter is honoured");
    assert_eq!(get(a, &format!("/api/v1/analyses/{id}/report.exe")).status, 404);
    assert_eq!(get(a, "/api/v1/analyses/nope").status, 404);

    // An Outlook .msg is taken as it is.
    let msg = common::build_msg(&common::MsgSpec {
        subject: Some("Saved from Outlook".into()),
        from_address: Some("ann@corp.example".into()),
        text: Some("Hello".into()),
        ..Default::default()
    });
    let r = request(a, "POST", "/api/v1/analyses", &[("Content-Type", "application/vnd.ms-outlook")], &msg);
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["analysed"]["source_format"], "outlook_msg");
    let msg_id = r.json()["id"].as_str().unwrap().to_string();
    assert_eq!(request(a, "DELETE", &format!("/api/v1/analyses/{msg_id}"), &[], b"").status, 204);

    // Search: by domain, by verdict, by date; and the history page.
    let hits = get(a, "/api/v1/analyses?q=aorz.ru").json();
    assert_eq!(hits["items"].as_array().unwrap().len(), 2);
    assert_eq!(get(a, "/api/v1/analyses?verdict=clean").json()["items"].as_array().unwrap().len(), 0);
    assert_eq!(get(a, "/api/v1/analyses?until=2001-01-01").json()["items"].as_array().unwrap().len(), 0);
    let paged = get(a, "/api/v1/analyses?limit=1").json();
    assert_eq!(paged["items"][0]["id"], rerun_id.as_str(), "newest first");
    let next = paged["next"].as_str().unwrap();
    let second = get(a, &format!("/api/v1/analyses?limit=1&cursor={next}")).json();
    assert_eq!(second["items"][0]["id"], id.as_str());
    assert_eq!(get(a, "/api/v1/analyses?verdict=bogus").status, 400);
    let page = get(a, "/analyses?q=%E6%9C%AA%E9%85%8D%E4%BF%A1");
    assert!(page.text().contains("未配信メッセージ"), "Japanese search on the history page");

    // The analysis page is the report's body, the mail's HTML never rendered.
    let page = get(a, &format!("/analyses/{id}?lang=ja"));
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("data-verdict=\"phishing\"") && html.contains("class=\"badge\""));
    assert!(html.contains("aorz"));
    assert!(!html.contains("<a href=\"https://mail-sync"), "the mail's own links are not live");

    assert_eq!(request(a, "DELETE", &format!("/api/v1/analyses/{rerun_id}"), &[], b"").status, 204);
    assert_eq!(request(a, "DELETE", &format!("/api/v1/analyses/{rerun_id}"), &[], b"").status, 404);

    // kill -9 in the middle of an upload (headers and half the body sent), then restart on the
    // same data dir: what was committed is there, the half upload is not.
    let mut half = TcpStream::connect(a).unwrap();
    write!(half, "POST /api/v1/analyses HTTP/1.1\r\nHost: {a}\r\nContent-Length: {}\r\n\r\n", seed.len())
        .unwrap();
    half.write_all(&seed[..seed.len() / 2]).unwrap();
    half.flush().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    drop(server);
    drop(half);
    let server = start(&data, &[], &[]);
    let back = get(&server.addr, &format!("/api/v1/analyses/{id}"));
    assert_eq!(back.status, 200);
    assert_eq!(get(&server.addr, "/api/v1/analyses").json()["items"].as_array().unwrap().len(), 1);
    let spec = get(&server.addr, "/api/v1/openapi.json").json();
    for path in ["/api/v1/analyses", "/api/v1/analyses/{id}", "/api/v1/campaigns", "/healthz"] {
        assert!(spec["paths"][path].is_object(), "{path} in the OpenAPI document");
    }
}

#[test]
fn the_page_takes_an_upload_and_every_page_is_locked_down() {
    let dir = temp_dir("serve-pages");
    let server = start(&dir.join("data"), &[], &[]);
    let a = &server.addr;
    let home = get(a, "/");
    assert_eq!(home.status, 200);
    assert!(home.text().contains("type=\"file\"") && home.text().contains("<textarea"));
    // The one script carries the response's nonce.
    let csp = home.header("content-security-policy").unwrap().to_string();
    let nonce = csp.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap();
    assert!(home.text().contains(&format!("<script nonce=\"{nonce}\">")));
    assert_eq!(home.text().matches("<script").count(), 1);

    let boundary = "kaibo-test-boundary";
    let mut body = Vec::new();
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"mail\"; filename=\"seed.eml\"\r\nContent-Type: message/rfc822\r\n\r\n").as_bytes());
    body.extend_from_slice(&fixture("phish_seed_utf8.eml"));
    body.extend_from_slice(format!("\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"lang\"\r\n\r\nen\r\n--{boundary}--\r\n").as_bytes());
    let ct = format!("multipart/form-data; boundary={boundary}");
    let origin = format!("http://{a}");
    let r = request(a, "POST", "/analyses", &[("Content-Type", &ct), ("Origin", &origin)], &body);
    assert_eq!(r.status, 303, "{}", r.text());
    let location = r.header("location").unwrap().to_string();
    assert!(location.starts_with("/analyses/") && location.ends_with("lang=en"));
    let page = get(a, &location);
    assert!(page.text().contains("data-verdict=\"phishing\""));

    // A form posted from another site is refused, whatever it carries.
    let r =
        request(a, "POST", "/analyses", &[("Content-Type", &ct), ("Origin", "https://evil.example")], &body);
    assert_eq!(r.status, 403);
    let r =
        request(a, "POST", "/api/v1/analyses", &[("Sec-Fetch-Site", "cross-site")], b"Subject: x\r\n\r\nx");
    assert_eq!(r.status, 403);

    let id = location.trim_start_matches("/analyses/").split('?').next().unwrap().to_string();
    for path in [
        "/",
        "/analyses",
        &format!("/analyses/{id}"),
        "/campaigns",
        "/login",
        "/healthz",
        "/api/v1/analyses",
        "/nope",
    ] {
        let r = get(a, path);
        assert_secure_headers(&r, path);
    }
}

#[test]
fn campaigns_group_shared_domains_not_shorteners() {
    let dir = temp_dir("serve-campaigns");
    let server = start(&dir.join("data"), &[], &[]);
    let a = &server.addr;
    let mails = [
        phish(
            "One",
            "https://login.evil-campaign.ru/a",
            "First wording of this letter, quite unlike the others in every way.",
        ),
        phish(
            "Two",
            "https://mail.evil-campaign.ru/b",
            "Second letter: its text differs, and so does the host under the same domain.",
        ),
        phish(
            "Three",
            "https://bit.ly/3abcdEF",
            "Third text about a parcel that could not be delivered to your home today.",
        ),
        phish(
            "Four",
            "https://bit.ly/9zyxWV",
            "Fourth text about an invoice that is overdue and must be paid this week.",
        ),
    ];
    let ids: Vec<String> = mails
        .iter()
        .map(|m| {
            let r = post_mail(a, "/api/v1/analyses", m);
            assert_eq!(r.status, 201, "{}", r.text());
            r.json()["id"].as_str().unwrap().to_string()
        })
        .collect();
    let list = get(a, "/api/v1/campaigns").json();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    assert_eq!(items[0]["analyses"], serde_json::json!([ids[0], ids[1]]));
    assert!(items[0]["indicators"].as_array().unwrap().iter().any(|i| i == "domain:evil-campaign.ru"));
    let cid = items[0]["id"].as_str().unwrap();
    assert_eq!(get(a, &format!("/api/v1/campaigns/{cid}")).json()["id"], cid);
    let stix = get(a, &format!("/api/v1/campaigns/{cid}/export.stix")).json();
    let objects = stix["objects"].as_array().unwrap();
    assert!(objects.iter().filter(|o| o["type"] == "email-message").count() >= 2, "both mails in the bundle");
    let misp = get(a, &format!("/api/v1/campaigns/{cid}/export.misp")).json();
    assert!(misp["Event"]["info"].as_str().unwrap().contains(cid));
    assert_eq!(get(a, "/api/v1/campaigns/c-none").status, 404);
    let page = get(a, "/campaigns").text();
    assert!(page.contains("evil-campaign.ru") && page.contains(&ids[1]));
}

#[test]
fn limits_and_tokens() {
    let dir = temp_dir("serve-limits");
    // Beyond loopback without a token: refused at start, exit 2.
    let out = kaibo()
        .args(["serve", "--listen", "0.0.0.0:0", "--data-dir", dir.join("x").to_str().unwrap()])
        .env_remove("KAIBO_TOKENS")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("without an API token"));

    let config = dir.join("kaibo.toml");
    std::fs::write(&config, "max_queued = 1\nrate_per_minute = 5\n").unwrap();
    let token = "t0ken-for-the-test-0123456789";
    let server = start(
        &dir.join("data"),
        &["--config", config.to_str().unwrap(), "--max-size", "4K"],
        &[("KAIBO_TOKENS", token)],
    );
    let a = &server.addr;
    let bearer = format!("Bearer {token}");
    let auth = [("Authorization", bearer.as_str())];
    // Every API call and page needs the token; /healthz and the login form do not.
    assert_eq!(get(a, "/healthz").status, 200);
    assert_eq!(get(a, "/api/v1/analyses").status, 401);
    assert!(get(a, "/api/v1/analyses").json()["error"].is_string());
    assert_eq!(
        request(a, "GET", "/api/v1/analyses", &[("Authorization", "Bearer wrong-token-0123456789")], b"")
            .status,
        401
    );
    let page = get(a, "/analyses");
    assert_eq!((page.status, page.header("location")), (303, Some("/login")));
    assert_eq!(request(a, "GET", "/api/v1/analyses", &auth, b"").status, 200);
    // The login form sets a session cookie that opens the pages.
    let login = request(
        a,
        "POST",
        "/login",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        format!("token={token}").as_bytes(),
    );
    assert_eq!(login.status, 303);
    let cookie = login.header("set-cookie").unwrap().split(';').next().unwrap().to_string();
    assert!(login.header("set-cookie").unwrap().contains("HttpOnly"));
    assert_eq!(request(a, "GET", "/analyses", &[("Cookie", &cookie)], b"").status, 200);
    let bad =
        request(a, "POST", "/login", &[("Content-Type", "application/x-www-form-urlencoded")], b"token=nope");
    assert_eq!(bad.status, 401);

    // 413 over --max-size, 422 for what is not a mail.
    let big = vec![b'a'; 10_000];
    let r = request(a, "POST", "/api/v1/analyses", &auth, &big);
    assert_eq!(r.status, 413, "{}", r.text());
    assert!(r.json()["error"].is_string());
    let r = request(a, "POST", "/api/v1/analyses", &auth, b"\x00\x01binary junk");
    assert_eq!(r.status, 422, "{}", r.text());

    // 503 while the one upload place is taken: a client that sent headers and holds its body.
    let mut slow = TcpStream::connect(a).unwrap();
    write!(slow, "POST /api/v1/analyses HTTP/1.1\r\nHost: {a}\r\nAuthorization: {bearer}\r\nContent-Length: 3000\r\n\r\nFrom: x").unwrap();
    slow.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let r = request(a, "POST", "/api/v1/analyses", &auth, b"Subject: x\r\n\r\nx\r\n");
    assert_eq!(r.status, 503, "{}", r.text());
    assert!(r.header("retry-after").is_some());
    drop(slow);
    std::thread::sleep(Duration::from_millis(300));

    // 429 past the per-client rate (5 uploads a minute: four were counted above).
    let r = request(a, "POST", "/api/v1/analyses", &auth, b"Subject: x\r\n\r\nx\r\n");
    assert_eq!(r.status, 201, "{}", r.text());
    let r = request(a, "POST", "/api/v1/analyses", &auth, b"Subject: y\r\n\r\ny\r\n");
    assert_eq!(r.status, 429, "{}", r.text());
    assert!(r.json()["error"].as_str().unwrap().contains("too many"));
}

#[test]
fn online_rungs_run_after_the_offline_answer_and_stream_their_progress() {
    let dir = temp_dir("serve-online");
    let dns = common::dnsmasq(&["--address=/mail-sync.aorz.ru/31.31.198.183"]);
    let enrich = dir.join("enrich.toml");
    std::fs::write(&enrich, format!("timeout_ms = 3000\n[dns]\nresolvers = [\"127.0.0.1:{}\"]\n", dns.port))
        .unwrap();
    let config = dir.join("kaibo.toml");
    std::fs::write(&config, format!("[online]\nrungs = \"dns\"\nconfig = \"{}\"\n", enrich.display()))
        .unwrap();
    let server = start(&dir.join("data"), &["--config", config.to_str().unwrap()], &[]);
    let a = &server.addr;
    assert!(
        get(a, "/").text().contains("name=\"rung\" value=\"dns\""),
        "the form offers what the server allows"
    );

    // Beyond what the server allows: 400, nothing stored.
    let seed = fixture("phish_seed_utf8.eml");
    let r = post_mail(a, "/api/v1/analyses?rungs=rdap", &seed);
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.json()["error"].as_str().unwrap().contains("does not run rdap"));

    let r = post_mail(a, "/api/v1/analyses?rungs=dns", &seed);
    assert_eq!(r.status, 201, "{}", r.text());
    let v = r.json();
    let id = v["id"].as_str().unwrap().to_string();
    assert_eq!(v["online"], "pending:dns", "the offline answer comes first");
    assert_eq!(v["verdict"], "phishing");

    // The events stream ends with the final state.
    let events = get(a, &format!("/api/v1/analyses/{id}/events"));
    assert_eq!(events.header("content-type"), Some("text/event-stream"));
    let text = events.text();
    assert!(text.contains("event: progress"), "{text}");
    assert!(text.contains("\"state\":\"done\""), "{text}");
    let v = get(a, &format!("/api/v1/analyses/{id}")).json();
    assert_eq!(v["online"], "done:dns");
    let hosts = v["enrichment"]["hosts"].as_array().unwrap();
    let host = hosts.iter().find(|h| h["host"] == "mail-sync.aorz.ru").expect("the link's host was resolved");
    assert!(host["addresses"].to_string().contains("31.31.198.183"), "{host}");
    let page = get(a, &format!("/analyses/{id}")).text();
    assert!(page.contains("data-state=\"done\""));
    // The stored state of a finished run is streamed once.
    assert!(get(a, &format!("/api/v1/analyses/{id}/events")).text().contains("\"state\":\"done\""));
    assert_eq!(get(a, "/api/v1/analyses/nope/events").status, 404);
}

#[test]
fn a_server_without_online_rungs_refuses_them() {
    let dir = temp_dir("serve-offline");
    let server = start(&dir.join("data"), &[], &[]);
    let r = post_mail(&server.addr, "/api/v1/analyses?rungs=dns", &fixture("phish_seed_utf8.eml"));
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.json()["error"].as_str().unwrap().contains("runs no online rungs"));
    assert_eq!(
        post_mail(&server.addr, "/api/v1/analyses?rungs=none", &fixture("phish_seed_utf8.eml")).status,
        201
    );
}
