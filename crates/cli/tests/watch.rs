//! `kaibo watch` against a real Dovecot on loopback: filing by verdict, a second run that
//! changes nothing, TLS with the server's own CA, and kill -9 at random points of a 500-mail
//! run with every mail filed once and analysed once.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{dovecot, fixtures, kaibo, temp_dir};
use kaibo_store::{Query, SqliteStore, Store};
use serde_json::Value;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixtures().join(name)).unwrap()
}

/// `kaibo watch` on `url` with the password in `pw` and the database in `data`.
fn watch_command(url: &str, pw: &Path, data: &Path) -> Command {
    let mut cmd = kaibo();
    cmd.args(["watch", "--imap", url, "--password-file", pw.to_str().unwrap()])
        .args(["--data-dir", data.to_str().unwrap()])
        .env_remove("KAIBO_IMAP_PASSWORD")
        .env_remove("KAIBO_IMAP_OAUTH2_TOKEN");
    cmd
}

fn watch(url: &str, data: &Path, extra: &[&str]) -> std::process::Output {
    let pw = data.with_extension("pw");
    std::fs::write(&pw, "secret\n").unwrap();
    watch_command(url, &pw, data).args(extra).output().unwrap()
}

/// A reporter's forward with the phishing as an attachment.
fn forward_as_attachment(from: &str, inner: &[u8]) -> Vec<u8> {
    let mut m = format!(
        "From: {from}\r\nTo: phish-report@corp.example\r\nSubject: FW: is this real?\r\n\
Date: Tue, 14 Nov 2023 09:00:00 +0900\r\nMessage-ID: <fw-{}@corp.example>\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"fw\"\r\n\r\n--fw\r\nContent-Type: text/plain\r\n\r\nPlease check.\r\n\
--fw\r\nContent-Type: message/rfc822\r\n\r\n",
        inner.len()
    )
    .into_bytes();
    m.extend_from_slice(inner);
    m.extend_from_slice(b"\r\n--fw--\r\n");
    m
}

fn inline_forward(from: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: phish-report@corp.example\r\nSubject: Fwd: Your mailbox is full\r\n\
Date: Tue, 14 Nov 2023 09:05:00 +0900\r\nMessage-ID: <inline@corp.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
Got this one, looks odd.\r\n\r\n---------- Forwarded message ---------\r\n\
From: \"Mail Administrator\" <admin@quota-alerts.example>\r\nDate: Tue, 14 Nov 2023 08:00:00 +0900\r\n\
Subject: Your mailbox is full\r\nTo: <staff@corp.example>\r\n\r\n\
Your mailbox has exceeded its storage limit. Incoming messages will be deleted. Verify your account \
now to restore your mailbox: https://mailbox-restore.quota-alerts.ru/login?u=staff@corp.example\r\n\r\n\
Mail Administrator\r\n"
    )
    .into_bytes()
}

fn jsonl(out: &std::process::Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn analyses(data: &Path) -> Vec<kaibo_store::Summary> {
    let store = SqliteStore::open(&data.join("kaibo.sqlite")).unwrap();
    let mut all = Vec::new();
    let mut q = Query { limit: Some(500), ..Default::default() };
    loop {
        let page = store.search(&q).unwrap();
        all.extend(page.items);
        match page.next {
            Some(c) => q.cursor = Some(c),
            None => return all,
        }
    }
}

#[test]
fn reported_mail_is_analysed_stored_and_filed_by_verdict_once() {
    let imap = dovecot("file", false);
    imap.deliver(&[
        ("1.eml".into(), fixture("phish_seed_utf8.eml")),
        (
            "2.eml".into(),
            forward_as_attachment("Staff <staff@corp.example>", &fixture("phish_seed_iso2022jp.eml")),
        ),
        ("3.eml".into(), inline_forward("Staff <staff@corp.example>")),
        ("4.eml".into(), fixture("legit/newsletter_en.eml")),
        ("5.eml".into(), fixture("legit/list_post_en.eml")),
    ]);
    let dir = temp_dir("watch-file");
    let data = dir.join("data");
    let url = format!("imap://reporter@127.0.0.1:{}/INBOX", imap.port);
    let out = watch(&url, &data, &["--once", "--format", "jsonl"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let lines = jsonl(&out);
    assert_eq!(lines.len(), 5, "{lines:?}");
    assert!(imap.messages("INBOX").is_empty(), "the watched folder is empty");
    let phishing = imap.messages("kaibo/Phishing");
    let clean = imap.messages("kaibo/Clean");
    assert_eq!(phishing.len() + imap.messages("kaibo/Suspicious").len(), 3, "{lines:?}");
    assert_eq!(clean.len(), 2);
    // The forward as attachment: the attached mail judged, the forwarder is the reporter.
    let fw = lines.iter().find(|l| l["uid"] == 2).unwrap();
    assert_eq!(fw["verdict"], "phishing");
    assert_eq!(fw["reporter"], "staff@corp.example");
    assert!(String::from_utf8_lossy(&out.stderr).contains("5 mails filed"));
    // Keywords travel with the mail (Dovecot keeps them in the file name's flags).
    assert!(phishing.iter().all(|p| p.to_string_lossy().contains(",a")), "{phishing:?}");
    // Stored once each, in the history `kaibo serve` shows.
    let stored = analyses(&data);
    assert_eq!(stored.len(), 5);
    assert!(stored.iter().all(|s| s.origin == "watch"));

    // The history page of `kaibo serve` on the same data dir shows who reported each mail.
    let history = history_page(&data);
    assert!(history.contains("<td>staff@corp.example</td>"), "{history}");

    // A second run: nothing to do, nothing changes.
    let again = watch(&url, &data, &["--once", "--format", "jsonl"]);
    assert_eq!(again.status.code(), Some(0));
    assert!(jsonl(&again).is_empty());
    assert_eq!(analyses(&data).len(), 5);
    assert_eq!(imap.messages("kaibo/Phishing").len(), phishing.len());

    // Wrong password: a clear error, exit 2, nothing moved.
    let pw = dir.join("bad.pw");
    std::fs::write(&pw, "wrong\n").unwrap();
    let bad = watch_command(&url, &pw, &data).arg("--once").output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("login as reporter refused"));
    // A password in the URL is refused outright.
    let url_pw = format!("imap://reporter:secret@127.0.0.1:{}/INBOX", imap.port);
    assert_eq!(watch(&url_pw, &data, &["--once"]).status.code(), Some(2));
}

#[test]
fn tls_with_the_servers_own_ca() {
    let imap = dovecot("tls", true);
    imap.deliver(&[("1.eml".into(), fixture("phish_seed_utf8.eml"))]);
    let dir = temp_dir("watch-tls");
    let url = format!("imaps://reporter@localhost:{}/INBOX", imap.port);
    // Without the CA the certificate is not trusted: no login, nothing moved.
    let out = watch(&url, &dir.join("data"), &["--once"]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(imap.messages("INBOX").len(), 1);
    let ca = imap.ca.clone().unwrap();
    let out = watch(&url, &dir.join("data"), &["--once", "--ca-file", ca.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(imap.messages("INBOX").is_empty());
    assert_eq!(imap.messages("kaibo/Phishing").len(), 1);
}

/// 500 distinct mails: the seed phishing and a newsletter, each with its own Message-ID.
fn many_mails(n: usize) -> Vec<(String, Vec<u8>)> {
    let phish = String::from_utf8(fixture("phish_seed_utf8.eml")).unwrap();
    let ham = String::from_utf8(fixture("legit/newsletter_en.eml")).unwrap();
    (0..n)
        .map(|i| {
            let base = if i % 2 == 0 { &phish } else { &ham };
            (format!("{i}.eml"), format!("X-Report-Number: {i}\r\n{base}").into_bytes())
        })
        .collect()
}

#[test]
fn kill_9_at_random_points_loses_nothing_and_doubles_nothing() {
    let imap = dovecot("crash", false);
    let n = 500;
    imap.deliver(&many_mails(n));
    let dir = temp_dir("watch-crash");
    let data = dir.join("data");
    let url = format!("imap://reporter@127.0.0.1:{}/INBOX", imap.port);
    let pw = dir.join("pw");
    std::fs::write(&pw, "secret\n").unwrap();
    // A fixed sequence of kill times, so a failure can be replayed.
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut kills = 0;
    for _ in 0..40 {
        if imap.messages("INBOX").is_empty() {
            break;
        }
        let mut child = watch_command(&url, &pw, &data)
            .arg("--once")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let after = Duration::from_millis(30 + seed % 400);
        std::thread::sleep(after);
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            kills += 1;
        }
        child.wait().unwrap();
    }
    // Whatever is left, a last run finishes.
    let out = watch(&url, &data, &["--once"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(kills >= 2, "the watcher was killed {kills} times only: the test did not test");
    assert!(imap.messages("INBOX").is_empty());
    let filed = imap.messages("kaibo/Phishing").len()
        + imap.messages("kaibo/Suspicious").len()
        + imap.messages("kaibo/Clean").len();
    assert_eq!(filed, n, "every mail filed exactly once");
    let stored = analyses(&data);
    let mut shas: Vec<&str> = stored.iter().map(|s| s.sha256.as_str()).collect();
    shas.sort_unstable();
    shas.dedup();
    assert_eq!(shas.len(), n, "every mail analysed");
    assert_eq!(stored.len(), n, "and stored once");
}

/// An SMTP sink on loopback (Python aiosmtpd, Debian python3-aiosmtpd) writing what it receives
/// into a maildir.
struct SmtpSink {
    child: std::process::Child,
    port: u16,
    mbox: std::path::PathBuf,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn smtp_sink(dir: &Path) -> SmtpSink {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mbox = dir.join("sent");
    let python = if Path::new("/usr/bin/python3").exists() { "/usr/bin/python3" } else { "python3" };
    let child = Command::new(python)
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
        .arg(&mbox)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 with aiosmtpd (Debian python3-aiosmtpd)");
    // Owned from here, so it is stopped whatever happens.
    let sink = SmtpSink { child, port, mbox };
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return sink;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the SMTP sink did not start");
}

/// A forward from a reporter whose mail passed DMARC at the receiving server.
fn authenticated_forward(from: &str, subject: &str, inner: &[u8]) -> Vec<u8> {
    let domain = from.rsplit_once('@').unwrap().1.trim_end_matches('>');
    let mut m = format!("Authentication-Results: mx.corp.example;\r\n\tdmarc=pass header.from={domain}\r\n")
        .into_bytes();
    let fw = forward_as_attachment(from, inner);
    let fw =
        String::from_utf8_lossy(&fw).replace("Subject: FW: is this real?", &format!("Subject: {subject}"));
    m.extend_from_slice(fw.as_bytes());
    m
}

#[test]
fn reporters_get_one_answer_in_their_language_and_the_phisher_none() {
    let imap = dovecot("reply", false);
    imap.deliver(&[
        (
            "1.eml".into(),
            authenticated_forward(
                "Staff <staff@corp.example>",
                "FW: check please",
                &fixture("phish_seed_utf8.eml"),
            ),
        ),
        (
            "2.eml".into(),
            authenticated_forward(
                "Tanaka <tanaka@corp.example>",
                "転送: 確認してください",
                &fixture("phish_seed_utf8.eml"),
            ),
        ),
        // The phishing delivered straight into the mailbox: its sender is never answered.
        ("3.eml".into(), fixture("phish_seed_iso2022jp.eml")),
        // A forward from someone whose mail did not authenticate: no answer.
        (
            "4.eml".into(),
            forward_as_attachment("Someone <someone@elsewhere.example>", &fixture("phish_seed_utf8.eml")),
        ),
    ]);
    let dir = temp_dir("watch-reply");
    let sink = smtp_sink(&dir);
    let config = dir.join("watch.toml");
    std::fs::write(
        &config,
        format!(
            "[reply]\nsmtp = \"smtp://127.0.0.1:{}\"\nfrom = \"kaibo <phish-report@corp.example>\"\nserve_url = \"https://kaibo.corp.example\"\n",
            sink.port
        ),
    )
    .unwrap();
    let url = format!("imap://reporter@127.0.0.1:{}/INBOX", imap.port);
    let data = dir.join("data");
    let out = watch(&url, &data, &["--once", "--format", "jsonl", "--config", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let lines = jsonl(&out);
    assert_eq!(lines.len(), 4);
    let by_uid = |u: u64| lines.iter().find(|l| l["uid"] == u).unwrap();
    assert_eq!(by_uid(1)["reply"], "sent");
    assert_eq!(by_uid(2)["reply"], "sent");
    assert!(by_uid(3)["reply"].as_str().unwrap().starts_with("skipped"), "{}", by_uid(3));
    assert!(by_uid(4)["reply"].as_str().unwrap().contains("not authenticated"), "{}", by_uid(4));

    std::thread::sleep(Duration::from_millis(300));
    let received = received_mails(&sink.mbox);
    let mails: Vec<&str> = received.iter().map(String::as_str).collect();
    let sent_all = received.join("\n");
    let sent = sent_all.as_str();
    assert_eq!(mails.len(), 2, "exactly two replies:\n{sent}");
    assert!(sent.contains("To: staff@corp.example") && sent.contains("To: tanaka@corp.example"), "{sent}");
    assert!(!sent.contains("axh33983"), "never to the phishing sender");
    let english = mails.iter().find(|m| m.contains("To: staff@corp.example")).unwrap();
    assert!(english.contains("Thank you for reporting") || english.contains("VGhhbmsgeW91"), "{english}");
    assert!(
        english.contains("https://kaibo.corp.example/analyses/") || english.contains("aHR0cHM6Ly9rYWlibw"),
        "{english}"
    );
    let japanese = mails.iter().find(|m| m.contains("To: tanaka@corp.example")).unwrap();
    assert!(
        japanese.contains("Content-Transfer-Encoding: base64") || japanese.contains("ありがとう"),
        "{japanese}"
    );

    // Delivered again (a crash before filing would look like this): no second reply.
    imap.deliver(&[(
        "5.eml".into(),
        authenticated_forward(
            "Staff <staff@corp.example>",
            "FW: check please",
            &fixture("phish_seed_utf8.eml"),
        ),
    )]);
    let again = watch(&url, &data, &["--once", "--format", "jsonl", "--config", config.to_str().unwrap()]);
    let l = jsonl(&again);
    assert_eq!(l[0]["reply"], "skipped: already answered", "{l:?}");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(received_mails(&sink.mbox).len(), 2);
}

/// The mails the sink received, each as its header block and its decoded text.
fn received_mails(maildir: &Path) -> Vec<String> {
    use base64::Engine;
    let mut out = Vec::new();
    for sub in ["new", "cur"] {
        for e in std::fs::read_dir(maildir.join(sub)).into_iter().flatten().flatten() {
            let raw = std::fs::read_to_string(e.path()).unwrap().replace("\r\n", "\n");
            let (head, body) = raw.split_once("\n\n").unwrap_or((&raw, ""));
            let text = if head.contains("Content-Transfer-Encoding: base64") {
                let b64: String = body.split_whitespace().collect();
                String::from_utf8(base64::engine::general_purpose::STANDARD.decode(b64).unwrap()).unwrap()
            } else {
                body.to_string()
            };
            out.push(format!("{head}\n\n{text}"));
        }
    }
    out
}

#[test]
fn watching_survives_a_server_restart() {
    let mut imap = dovecot("restart", false);
    imap.deliver(&[("1.eml".into(), fixture("phish_seed_utf8.eml"))]);
    let dir = temp_dir("watch-restart");
    let config = dir.join("watch.toml");
    std::fs::write(&config, "poll_seconds = 1\n").unwrap();
    let pw = dir.join("pw");
    std::fs::write(&pw, "secret\n").unwrap();
    let url = format!("imap://reporter@127.0.0.1:{}/INBOX", imap.port);
    let child = watch_command(&url, &pw, &dir.join("data"))
        .args(["--config", config.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    struct Stop(std::process::Child);
    impl Drop for Stop {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _watcher = Stop(child);
    let filed = |imap: &common::Dovecot| {
        imap.messages("kaibo/Phishing").len()
            + imap.messages("kaibo/Clean").len()
            + imap.messages("kaibo/Suspicious").len()
    };
    let wait_for = |imap: &common::Dovecot, n: usize| {
        for _ in 0..150 {
            if filed(imap) == n {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    };
    assert!(wait_for(&imap, 1), "the first mail was filed while watching");
    imap.restart();
    imap.deliver(&[("2.eml".into(), fixture("legit/newsletter_en.eml"))]);
    assert!(wait_for(&imap, 2), "after the server restarted, the watcher reconnected and filed the new mail");
    assert!(imap.messages("INBOX").is_empty());
}

#[test]
fn online_rungs_run_on_reported_mail_when_configured() {
    let imap = dovecot("online", false);
    imap.deliver(&[("1.eml".into(), fixture("phish_seed_utf8.eml"))]);
    let dns = common::dnsmasq(&["--address=/mail-sync.aorz.ru/31.31.198.183"]);
    let dir = temp_dir("watch-online");
    let enrich = dir.join("enrich.toml");
    std::fs::write(&enrich, format!("timeout_ms = 3000\n[dns]\nresolvers = [\"127.0.0.1:{}\"]\n", dns.port))
        .unwrap();
    let config = dir.join("watch.toml");
    std::fs::write(&config, format!("[online]\nrungs = \"dns\"\nconfig = \"{}\"\n", enrich.display()))
        .unwrap();
    let data = dir.join("data");
    let url = format!("imap://reporter@127.0.0.1:{}/INBOX", imap.port);
    let out = watch(&url, &data, &["--once", "--format", "jsonl", "--config", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let id = jsonl(&out)[0]["id"].as_str().unwrap().to_string();
    let store = SqliteStore::open(&data.join("kaibo.sqlite")).unwrap();
    let d = store.get(&id).unwrap().unwrap().dissection().unwrap();
    let e = d.enrichment.expect("the enrichment is stored with the analysis");
    let host = e.hosts.iter().find(|h| h.host == "mail-sync.aorz.ru").expect("the link's host resolved");
    assert!(host.addresses.iter().any(|a| a.to_string() == "31.31.198.183"));
}

/// `/analyses` of a `kaibo serve` started on `data` (a plain HTTP GET).
fn history_page(data: &Path) -> String {
    use std::io::{Read, Write};
    let server = common::start_serve(data, &[], &[]);
    let addr = &server.addr;
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(s, "GET /analyses HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
    let mut page = String::new();
    s.read_to_string(&mut page).unwrap();
    page
}
