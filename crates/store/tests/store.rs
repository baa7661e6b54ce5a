//! The SQLite store on real files: insert, search, campaigns, delete, retention, reopening.

use kaibo_model::Dissection;
use kaibo_store::{NewAnalysis, Query, SqliteStore, Store, StoreError};

/// A phishing mail in the style of a mailbox-password lure; `link` and `body` vary per test.
fn phish(subject: &str, link: &str, body: &str) -> Vec<u8> {
    format!(
        "From: \"Microsoft 365 Security\" <alert@mailer-notify.example>\r\n\
To: user@example.org\r\n\
Subject: {subject}\r\n\
Date: Tue, 14 Nov 2023 08:11:52 +0900\r\n\
Message-ID: <{subject}@mailer-notify.example>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: text/plain; charset=utf-8\r\n\r\n\
Dear user,\r\n\r\n{body}\r\n\r\n\
Your Microsoft 365 mailbox password expires today. Verify your account now or your\r\n\
mailbox will be suspended and incoming messages will be deleted.\r\n\r\n\
Keep my password: {link}\r\n\r\nMicrosoft Security Team\r\n"
    )
    .into_bytes()
}

fn dissect(raw: &[u8]) -> Dissection {
    let opts = kaibo_core::Options { ignore_upstream_verdicts: true, ..Default::default() };
    Dissection::offline(kaibo_core::analyze(raw, &opts).unwrap())
}

fn put(store: &dyn Store, raw: &[u8]) -> kaibo_store::Summary {
    let d = dissect(raw);
    store.insert(NewAnalysis { raw, dissection: &d, origin: "api", reporter: None, online: None }).unwrap()
}

struct TempDir(std::path::PathBuf);
impl TempDir {
    fn new(name: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("kaibo-store-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn analyses_are_stored_found_and_deleted() {
    let store = SqliteStore::in_memory().unwrap();
    let raw = phish("Mailbox expiry", "https://login-verify.o365-secure.ru/owa/", "Act today.");
    let s = put(&store, &raw);
    assert_eq!(s.verdict, "phishing");
    assert_eq!(s.sha256, kaibo_store::sha256_hex(&raw));
    assert_eq!(store.latest_for(&s.sha256).unwrap().unwrap().id, s.id);
    let stored = store.get(&s.id).unwrap().unwrap();
    assert_eq!(stored.dissection().unwrap().analysis.score, s.score);
    assert_eq!(store.raw(&s.sha256).unwrap().unwrap(), raw);

    // Search by a domain, part of a URL, the sender, a Japanese or short word, and the hash.
    for q in ["o365-secure.ru", "login-verify", "mailer-notify", "Mailbox", &s.sha256[..20], "ru"] {
        let page = store.search(&Query { text: Some(q.into()), ..Default::default() }).unwrap();
        assert_eq!(page.items.len(), 1, "{q}");
    }
    for q in ["nothing-like-this", "\"unbalanced", "OR AND NOT"] {
        let page = store.search(&Query { text: Some(q.into()), ..Default::default() }).unwrap();
        assert!(page.items.is_empty(), "{q}");
    }
    let clean = store.search(&Query { verdict: Some("clean".into()), ..Default::default() }).unwrap();
    assert!(clean.items.is_empty());

    assert!(store.delete(&s.id).unwrap());
    assert!(!store.delete(&s.id).unwrap());
    assert!(store.get(&s.id).unwrap().is_none());
    assert!(store.raw(&s.sha256).unwrap().is_none(), "the raw mail goes with its last analysis");
    assert!(store.indicators(&s.id).unwrap().is_empty());
    assert!(
        store
            .search(&Query { text: Some("o365-secure".into()), ..Default::default() })
            .unwrap()
            .items
            .is_empty()
    );
}

#[test]
fn pages_follow_a_cursor_newest_first() {
    let store = SqliteStore::in_memory().unwrap();
    let ids: Vec<String> = (0..7)
        .map(|i| put(&store, &phish(&format!("Notice {i}"), "https://a.example-bad.ru/", "x")).id)
        .collect();
    let mut seen = Vec::new();
    let mut q = Query { limit: Some(3), ..Default::default() };
    loop {
        let page = store.search(&q).unwrap();
        seen.extend(page.items.iter().map(|s| s.id.clone()));
        match page.next {
            Some(c) => q.cursor = Some(c),
            None => break,
        }
    }
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(seen, newest_first);
    let bad = store.search(&Query { cursor: Some("nonsense".into()), ..Default::default() });
    assert!(matches!(bad, Err(StoreError::BadCursor)));
}

#[test]
fn campaigns_join_mails_sharing_a_domain_but_not_a_shortener() {
    let store = SqliteStore::in_memory().unwrap();
    let a = put(
        &store,
        &phish(
            "One",
            "https://login.evil-campaign.ru/a",
            "First wording of this letter, quite unlike the others in every way.",
        ),
    );
    let b = put(
        &store,
        &phish(
            "Two",
            "https://mail.evil-campaign.ru/b",
            "Second letter: its text differs, and so does the host under the same domain.",
        ),
    );
    // Two mails that share only a shortener (and different text) are not one campaign.
    let c = put(
        &store,
        &phish(
            "Three",
            "https://bit.ly/3abcdEF",
            "Third text about a parcel that could not be delivered to your home today.",
        ),
    );
    let d = put(
        &store,
        &phish(
            "Four",
            "https://bit.ly/9zyxWV",
            "Fourth text about an invoice that is overdue and must be paid this week.",
        ),
    );
    let campaigns = store.campaigns().unwrap();
    assert_eq!(campaigns.len(), 1, "{campaigns:?}");
    let camp = &campaigns[0];
    assert_eq!(camp.analyses, vec![a.id.clone(), b.id.clone()]);
    assert!(camp.indicators.contains(&"domain:evil-campaign.ru".to_string()), "{:?}", camp.indicators);
    assert_eq!(camp.id, format!("c-{}", a.id));
    assert!(camp.first_seen <= camp.last_seen);
    assert!(!camp.analyses.contains(&c.id) && !camp.analyses.contains(&d.id));

    // The same letter to another recipient, with links only to a shortener: joined by its template.
    let e = put(
        &store,
        &phish(
            "Five",
            "https://bit.ly/other",
            "First wording of this letter, quite unlike the others in every way.",
        ),
    );
    let campaigns = store.campaigns().unwrap();
    assert_eq!(campaigns.len(), 1);
    assert_eq!(campaigns[0].analyses, vec![a.id.clone(), b.id.clone(), e.id.clone()]);
    assert!(campaigns[0].indicators.iter().any(|i| i.starts_with("template:")));

    // Deleting the first mail keeps the rest together under a new first mail.
    store.delete(&a.id).unwrap();
    let campaigns = store.campaigns().unwrap();
    assert!(campaigns.iter().all(|c| !c.analyses.contains(&a.id)));
}

#[test]
fn an_analysis_is_updated_when_its_online_rungs_end() {
    let store = SqliteStore::in_memory().unwrap();
    let raw = phish("Online", "https://login.later-known.ru/", "x");
    let mut d = dissect(&raw);
    let s = store
        .insert(NewAnalysis {
            raw: &raw,
            dissection: &d,
            origin: "api",
            reporter: None,
            online: Some("pending:dns"),
        })
        .unwrap();
    assert_eq!(store.get(&s.id).unwrap().unwrap().summary.online.as_deref(), Some("pending:dns"));
    // What the rungs found changes the verdict and what the mail is found by.
    d.analysis.verdict = kaibo_model::Verdict::Suspicious;
    d.analysis.score = 42;
    d.analysis.message.subject = Some("Renamed by the update".into());
    assert!(store.update_dissection(&s.id, &d).unwrap());
    store.set_online(&s.id, Some("done:dns")).unwrap();
    let got = store.get(&s.id).unwrap().unwrap();
    assert_eq!((got.summary.verdict.as_str(), got.summary.score), ("suspicious", 42));
    assert_eq!(got.summary.online.as_deref(), Some("done:dns"));
    let found = store.search(&Query { text: Some("Renamed".into()), ..Default::default() }).unwrap();
    assert_eq!(found.items.len(), 1);
    assert!(!store.update_dissection("gone", &d).unwrap());

    // A server that stopped mid-lookup leaves them pending; the next start says interrupted.
    store.set_online(&s.id, Some("pending:dns")).unwrap();
    assert_eq!(store.interrupt_pending().unwrap(), 1);
    assert_eq!(store.get(&s.id).unwrap().unwrap().summary.online.as_deref(), Some("interrupted"));
}

#[test]
fn a_reply_is_claimed_once() {
    let store = SqliteStore::in_memory().unwrap();
    assert!(store.claim_reply("aa", "Staff@Corp.example", 100).unwrap());
    assert!(!store.claim_reply("aa", "staff@corp.example", 200).unwrap(), "never twice for one mail");
    assert!(store.claim_reply("bb", "staff@corp.example", 150).unwrap());
    store.finish_reply("bb", "failed: refused").unwrap();
    assert_eq!(store.replies_since("staff@corp.example", 0).unwrap(), 1, "failed ones do not count");
    store.finish_reply("aa", "sent").unwrap();
    assert_eq!(store.replies_since("STAFF@corp.example", 50).unwrap(), 1);
    assert_eq!(store.replies_since("staff@corp.example", 101).unwrap(), 0);
}

#[test]
fn the_database_survives_reopening_and_refuses_a_newer_schema() {
    let dir = TempDir::new("reopen");
    let path = dir.0.join("kaibo.sqlite");
    let id = {
        let store = SqliteStore::open(&path).unwrap();
        put(&store, &phish("Kept", "https://kept.example-bad.ru/", "x")).id
    };
    let store = SqliteStore::open(&path).unwrap();
    assert!(store.get(&id).unwrap().is_some());
    // Retention drops raw mails stored before a time, and keeps the analysis.
    let sha = store.get(&id).unwrap().unwrap().summary.sha256;
    assert_eq!(store.prune_raw(0).unwrap(), 0);
    assert_eq!(store.prune_raw(i64::MAX).unwrap(), 1);
    assert!(store.raw(&sha).unwrap().is_none());
    assert!(store.get(&id).unwrap().is_some());
    drop(store);

    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let err = SqliteStore::open(&path).err().unwrap();
    assert!(matches!(err, StoreError::TooNew { found: 99, .. }), "{err}");

    // A version 1 database (before the online column) is migrated when opened.
    let old = dir.0.join("v1.sqlite");
    let conn = rusqlite::Connection::open(&old).unwrap();
    conn.execute_batch(include_str!("../migrations/0001_init.sql")).unwrap();
    conn.pragma_update(None, "user_version", 1).unwrap();
    drop(conn);
    let store = SqliteStore::open(&old).unwrap();
    let s = put(&store, &phish("Migrated", "https://m.example-bad.ru/", "x"));
    assert_eq!(store.get(&s.id).unwrap().unwrap().summary.online, None);
}
