//! kaibo's history: every analysis the server (and the mailbox watcher) made, with the raw mail,
//! searchable, and grouped into campaigns.
//!
//! The store is one interface, [`Store`], so that a server database can stand in for a fleet
//! later; [`SqliteStore`] is the one there is: a single SQLite file in WAL mode (readers do not
//! wait for the writer, and a crash mid-write loses only the uncommitted transaction).
//!
//! - Raw mails are kept once per SHA-256; analyses point at them. A retention setting
//!   ([`Store::prune_raw`]) drops old raw mails and keeps the analyses.
//! - Every analysis is written in one transaction with its indicators and its search row, so a
//!   reader never sees half of one.
//! - The schema is migrated by numbered SQL files in `migrations/`, tracked by SQLite's
//!   `user_version`; a database from a newer kaibo is refused rather than misread.
//! - Search is SQLite FTS5 with the trigram tokenizer: any substring of three characters or
//!   more of the subject, sender, indicators (domains, URLs, IPs, hashes) or verdict, Japanese
//!   included; shorter queries fall back to a plain substring match.
//! - Campaigns are computed from the strong indicators ([`indicators`]) of flagged analyses:
//!   mails sharing one are joined, transitively.

pub mod indicators;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use kaibo_model::Dissection;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

pub use indicators::{Indicator, indicators_of};

/// The migrations, in order: migration `n` (1-based) brings the schema to `user_version` n.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_init.sql"),
    include_str!("../migrations/0002_online.sql"),
    include_str!("../migrations/0003_replies.sql"),
];

#[derive(Debug)]
pub enum StoreError {
    Db(rusqlite::Error),
    /// The database was written by a newer kaibo.
    TooNew {
        found: i64,
        known: i64,
    },
    Corrupt(String),
    /// A search cursor this store did not give.
    BadCursor,
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Db(e) => write!(f, "database: {e}"),
            StoreError::TooNew { found, known } => write!(
                f,
                "the database has schema version {found}, newer than this kaibo knows ({known}); use a newer kaibo"
            ),
            StoreError::Corrupt(e) => write!(f, "database: {e}"),
            StoreError::BadCursor => write!(f, "the cursor is not one this server gave"),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Db(e)
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// An analysis to store.
pub struct NewAnalysis<'a> {
    pub raw: &'a [u8],
    pub dissection: &'a Dissection,
    /// How it came: `upload` (the page), `api`, `watch`.
    pub origin: &'a str,
    /// Who reported it, when known.
    pub reporter: Option<&'a str>,
    /// The online rungs' state to start with (`pending:RUNGS` when they are to run).
    pub online: Option<&'a str>,
}

/// One stored analysis, without its dissection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub id: String,
    pub sha256: String,
    /// Unix milliseconds.
    pub created: i64,
    pub subject: Option<String>,
    pub sender: Option<String>,
    pub verdict: String,
    pub score: i32,
    pub origin: String,
    pub reporter: Option<String>,
    /// The online rungs' state: `pending:RUNGS`, `done:RUNGS`, `failed: WHY`, `interrupted`;
    /// none when only the offline analysis was asked for.
    pub online: Option<String>,
}

/// One stored analysis with its dissection (the CLI's JSON).
#[derive(Debug, Clone)]
pub struct Stored {
    pub summary: Summary,
    pub dissection_json: String,
}

impl Stored {
    pub fn dissection(&self) -> Result<Dissection> {
        serde_json::from_str(&self.dissection_json).map_err(|e| StoreError::Corrupt(e.to_string()))
    }
}

/// A search of the history.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Words to find in subject, sender, indicators or verdict (all of them).
    pub text: Option<String>,
    /// `clean`, `suspicious` or `phishing`.
    pub verdict: Option<String>,
    /// Unix milliseconds, inclusive.
    pub since: Option<i64>,
    pub until: Option<i64>,
    /// At most this many items (1–500; default 50).
    pub limit: Option<usize>,
    /// Where the previous page ended ([`Page::next`]).
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Page {
    pub items: Vec<Summary>,
    /// The cursor of the next page, when there is one.
    pub next: Option<String>,
}

/// Flagged analyses tied by shared strong indicators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Campaign {
    /// Stable while its first analysis stays: `c-` and that analysis's id.
    pub id: String,
    /// Oldest first.
    pub analyses: Vec<String>,
    /// The strong indicators shared by two of its analyses or more, as `kind:value`.
    pub indicators: Vec<String>,
    pub first_seen: i64,
    pub last_seen: i64,
}

/// Where analyses live. Every method is one transaction.
pub trait Store: Send + Sync {
    /// Stores an analysis (and its raw mail, once per content).
    fn insert(&self, new: NewAnalysis<'_>) -> Result<Summary>;
    /// The newest analysis of this raw mail.
    fn latest_for(&self, sha256: &str) -> Result<Option<Summary>>;
    fn get(&self, id: &str) -> Result<Option<Stored>>;
    /// The raw mail, unless retention dropped it.
    fn raw(&self, sha256: &str) -> Result<Option<Vec<u8>>>;
    /// Deletes an analysis, and its raw mail when no other analysis uses it.
    fn delete(&self, id: &str) -> Result<bool>;
    fn search(&self, q: &Query) -> Result<Page>;
    fn campaigns(&self) -> Result<Vec<Campaign>>;
    /// The indicators stored for an analysis.
    fn indicators(&self, id: &str) -> Result<Vec<Indicator>>;
    /// Drops raw mails stored before `before` (Unix seconds); returns how many.
    fn prune_raw(&self, before: i64) -> Result<usize>;
    /// Replaces an analysis's dissection (the online rungs ran), with its verdict, score,
    /// indicators and search row, in one transaction; false when the analysis is gone.
    fn update_dissection(&self, id: &str, dissection: &Dissection) -> Result<bool>;
    /// Sets the online rungs' state.
    fn set_online(&self, id: &str, state: Option<&str>) -> Result<()>;
    /// Marks every analysis whose online rungs were still running as `interrupted` (at start:
    /// a previous server stopped before they finished); returns how many.
    fn interrupt_pending(&self) -> Result<usize>;
    /// Claims the one reply to the reporter of the mail `sha256`: true when this call made the
    /// claim (and the reply is to be sent), false when a reply was claimed before.
    fn claim_reply(&self, sha256: &str, reporter: &str, at: i64) -> Result<bool>;
    /// Records how the claimed reply ended (`sent`, `failed: …`, `skipped: …`).
    fn finish_reply(&self, sha256: &str, state: &str) -> Result<()>;
    /// Replies sent (or being sent) to `reporter` since `since` (Unix seconds).
    fn replies_since(&self, reporter: &str, since: i64) -> Result<usize>;
}

/// The SQLite store: one file, WAL mode, one writer at a time.
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

/// Analyses are numbered within a millisecond by this counter, so ids never collide.
static SEQUENCE: AtomicU64 = AtomicU64::new(0);

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl SqliteStore {
    /// Opens (creating and migrating) the database at `path`.
    pub fn open(path: &Path) -> Result<SqliteStore> {
        let conn = Connection::open(path)?;
        Self::setup(conn)
    }

    /// A database in memory, for tests.
    pub fn in_memory() -> Result<SqliteStore> {
        Self::setup(Connection::open_in_memory()?)
    }

    fn setup(mut conn: Connection) -> Result<SqliteStore> {
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        // WAL: readers go on while a write is in flight; `synchronous = NORMAL` is durable
        // across a process crash (kill -9), which is what the server needs.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        migrate(&mut conn)?;
        Ok(SqliteStore { conn: Mutex::new(conn) })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock left no transaction open (rusqlite rolls back on
        // drop), so the connection is still good.
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn migrate(conn: &mut Connection) -> Result<()> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let known = MIGRATIONS.len() as i64;
    if version > known {
        return Err(StoreError::TooNew { found: version, known });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

const SUMMARY_COLUMNS: &str =
    "id, sha256, created, subject, sender, verdict, score, origin, reporter, online";

fn summary_from(row: &rusqlite::Row<'_>) -> rusqlite::Result<Summary> {
    Ok(Summary {
        id: row.get(0)?,
        sha256: row.get(1)?,
        created: row.get(2)?,
        subject: row.get(3)?,
        sender: row.get(4)?,
        verdict: row.get(5)?,
        score: row.get(6)?,
        origin: row.get(7)?,
        reporter: row.get(8)?,
        online: row.get(9)?,
    })
}

/// The FTS5 query for `text`: each word a quoted string (so no word is read as an operator),
/// all required. Words shorter than three characters cannot use the trigram index and are
/// matched with LIKE instead (returned second).
fn fts_query(text: &str) -> (Option<String>, Vec<String>) {
    let mut fts = Vec::new();
    let mut short = Vec::new();
    for w in text.split_whitespace().take(16) {
        if w.chars().count() >= 3 {
            fts.push(format!("\"{}\"", w.replace('"', "\"\"")));
        } else {
            short.push(w.to_string());
        }
    }
    ((!fts.is_empty()).then(|| fts.join(" AND ")), short)
}

impl Store for SqliteStore {
    fn insert(&self, new: NewAnalysis<'_>) -> Result<Summary> {
        let sha256 = sha256_hex(new.raw);
        let a = &new.dissection.analysis;
        let created = now_ms();
        let seq = SEQUENCE.fetch_add(1, Ordering::Relaxed);
        // Sortable by time, and within one millisecond by the order this process stored them
        // (the sequence); the hash part keeps two servers' ids apart.
        let salt = sha256_hex(format!("{sha256}{created}{seq}{}", std::process::id()).as_bytes());
        let id = format!("{created:012x}{:04x}{}", seq & 0xffff, &salt[..4]);
        let summary = Summary {
            id: id.clone(),
            sha256: sha256.clone(),
            created,
            subject: a.message.subject.clone(),
            sender: a.message.from.address.clone(),
            verdict: a.verdict.as_str().to_string(),
            score: a.score,
            origin: new.origin.to_string(),
            reporter: new.reporter.map(str::to_string),
            online: new.online.map(str::to_string),
        };
        let json = serde_json::to_string(new.dissection).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT OR IGNORE INTO raw_mails (sha256, bytes, stored) VALUES (?1, ?2, ?3)",
            params![sha256, new.raw, created / 1000],
        )?;
        tx.execute(
            "INSERT INTO analyses (id, sha256, created, subject, sender, verdict, score, origin, reporter, dissection, online)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                id,
                sha256,
                created,
                summary.subject,
                summary.sender,
                summary.verdict,
                summary.score,
                summary.origin,
                summary.reporter,
                json,
                summary.online
            ],
        )?;
        write_index(&tx, &id, &sha256, new.dissection)?;
        tx.commit()?;
        Ok(summary)
    }

    fn latest_for(&self, sha256: &str) -> Result<Option<Summary>> {
        let conn = self.conn();
        Ok(conn
            .query_row(
                &format!(
                    "SELECT {SUMMARY_COLUMNS} FROM analyses WHERE sha256 = ?1 ORDER BY created DESC, id DESC LIMIT 1"
                ),
                [sha256],
                summary_from,
            )
            .optional()?)
    }

    fn get(&self, id: &str) -> Result<Option<Stored>> {
        let conn = self.conn();
        Ok(conn
            .query_row(
                &format!("SELECT {SUMMARY_COLUMNS}, dissection FROM analyses WHERE id = ?1"),
                [id],
                |row| Ok(Stored { summary: summary_from(row)?, dissection_json: row.get(10)? }),
            )
            .optional()?)
    }

    fn raw(&self, sha256: &str) -> Result<Option<Vec<u8>>> {
        let conn = self.conn();
        Ok(conn
            .query_row("SELECT bytes FROM raw_mails WHERE sha256 = ?1", [sha256], |r| r.get(0))
            .optional()?)
    }

    fn delete(&self, id: &str) -> Result<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let sha: Option<String> =
            tx.query_row("SELECT sha256 FROM analyses WHERE id = ?1", [id], |r| r.get(0)).optional()?;
        let Some(sha) = sha else { return Ok(false) };
        tx.execute("DELETE FROM indicators WHERE analysis_id = ?1", [id])?;
        tx.execute("DELETE FROM analyses_fts WHERE id = ?1", [id])?;
        tx.execute("DELETE FROM analyses WHERE id = ?1", [id])?;
        tx.execute(
            "DELETE FROM raw_mails WHERE sha256 = ?1 AND NOT EXISTS (SELECT 1 FROM analyses WHERE sha256 = ?1)",
            [&sha],
        )?;
        tx.commit()?;
        Ok(true)
    }

    fn search(&self, q: &Query) -> Result<Page> {
        let limit = q.limit.unwrap_or(50).clamp(1, 500);
        let mut sql = format!("SELECT {SUMMARY_COLUMNS} FROM analyses WHERE 1 = 1");
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        // Adds a parameter and returns its placeholder.
        fn param(args: &mut Vec<rusqlite::types::Value>, v: impl Into<rusqlite::types::Value>) -> String {
            args.push(v.into());
            format!("?{}", args.len())
        }
        if let Some(text) = q.text.as_deref().filter(|t| !t.trim().is_empty()) {
            let (fts, short) = fts_query(text);
            if let Some(fts) = fts {
                let p = param(&mut args, fts);
                sql.push_str(&format!(
                    " AND id IN (SELECT id FROM analyses_fts WHERE analyses_fts MATCH {p})"
                ));
            }
            for w in short {
                let p = param(&mut args, format!("%{}%", w.replace(['%', '_'], "")));
                sql.push_str(&format!(
                    " AND id IN (SELECT id FROM analyses_fts WHERE subject LIKE {p} OR sender LIKE {p} OR indicators LIKE {p} OR verdict LIKE {p})"
                ));
            }
        }
        if let Some(v) = &q.verdict {
            let p = param(&mut args, v.clone());
            sql.push_str(&format!(" AND verdict = {p}"));
        }
        if let Some(s) = q.since {
            let p = param(&mut args, s);
            sql.push_str(&format!(" AND created >= {p}"));
        }
        if let Some(u) = q.until {
            let p = param(&mut args, u);
            sql.push_str(&format!(" AND created <= {p}"));
        }
        if let Some(c) = &q.cursor {
            let (created, id) = c
                .split_once(':')
                .and_then(|(c, id)| Some((c.parse::<i64>().ok()?, id.to_string())))
                .ok_or_else(|| StoreError::BadCursor)?;
            let pc = param(&mut args, created);
            let pi = param(&mut args, id);
            sql.push_str(&format!(" AND (created < {pc} OR (created = {pc} AND id < {pi}))"));
        }
        sql.push_str(&format!(" ORDER BY created DESC, id DESC LIMIT {}", limit + 1));
        let conn = self.conn();
        let mut stmt = conn.prepare(&sql)?;
        let mut items: Vec<Summary> = stmt
            .query_map(rusqlite::params_from_iter(args), summary_from)?
            .collect::<rusqlite::Result<_>>()?;
        let next = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|s| format!("{}:{}", s.created, s.id))
        } else {
            None
        };
        Ok(Page { items, next })
    }

    fn campaigns(&self) -> Result<Vec<Campaign>> {
        let conn = self.conn();
        // Strong indicators that two flagged analyses or more share.
        let mut stmt = conn.prepare(
            "SELECT i.kind, i.value, i.analysis_id, a.created FROM indicators i
             JOIN analyses a ON a.id = i.analysis_id
             WHERE i.strong = 1 AND a.verdict != 'clean' AND (i.kind, i.value) IN (
                 SELECT i2.kind, i2.value FROM indicators i2 JOIN analyses a2 ON a2.id = i2.analysis_id
                 WHERE i2.strong = 1 AND a2.verdict != 'clean'
                 GROUP BY i2.kind, i2.value HAVING COUNT(DISTINCT i2.analysis_id) >= 2)
             ORDER BY i.kind, i.value",
        )?;
        let rows: Vec<(String, String, String, i64)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<rusqlite::Result<_>>()?;
        // Union-find over analyses, joined by each shared indicator.
        let mut created: HashMap<String, i64> = HashMap::new();
        let mut by_indicator: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (kind, value, id, at) in rows {
            created.insert(id.clone(), at);
            by_indicator.entry(format!("{kind}:{value}")).or_default().push(id);
        }
        let mut parent: HashMap<String, String> = created.keys().map(|k| (k.clone(), k.clone())).collect();
        fn root(parent: &mut HashMap<String, String>, x: &str) -> String {
            let mut r = x.to_string();
            while parent[&r] != r {
                r = parent[&r].clone();
            }
            // Path compression keeps later lookups short.
            let mut y = x.to_string();
            while parent[&y] != r {
                let next = parent[&y].clone();
                parent.insert(y, r.clone());
                y = next;
            }
            r
        }
        for ids in by_indicator.values() {
            for w in ids.windows(2) {
                let (a, b) = (root(&mut parent, &w[0]), root(&mut parent, &w[1]));
                if a != b {
                    // The older analysis is the root, so the campaign's id is its first mail.
                    let (keep, join) = if (created[&a], &a) <= (created[&b], &b) { (a, b) } else { (b, a) };
                    parent.insert(join, keep);
                }
            }
        }
        // Per root: the members (oldest first) and the indicators that joined them.
        type Group = (BTreeSet<(i64, String)>, BTreeSet<String>);
        let mut groups: BTreeMap<String, Group> = BTreeMap::new();
        for (indicator, ids) in &by_indicator {
            let r = root(&mut parent, &ids[0]);
            let g = groups.entry(r).or_default();
            g.1.insert(indicator.clone());
            for id in ids {
                g.0.insert((created[id], id.clone()));
            }
        }
        let mut out: Vec<Campaign> = groups
            .into_iter()
            .map(|(root, (members, indicators))| Campaign {
                id: format!("c-{root}"),
                first_seen: members.first().map_or(0, |m| m.0),
                last_seen: members.last().map_or(0, |m| m.0),
                analyses: members.into_iter().map(|(_, id)| id).collect(),
                indicators: indicators.into_iter().collect(),
            })
            .collect();
        out.sort_by(|a, b| b.last_seen.cmp(&a.last_seen).then(a.id.cmp(&b.id)));
        Ok(out)
    }

    fn indicators(&self, id: &str) -> Result<Vec<Indicator>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT kind, value, strong FROM indicators WHERE analysis_id = ?1 ORDER BY kind, value",
        )?;
        let rows = stmt
            .query_map([id], |r| {
                let kind: String = r.get(0)?;
                Ok(Indicator { kind: intern_kind(&kind), value: r.get(1)?, strong: r.get(2)? })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    fn prune_raw(&self, before: i64) -> Result<usize> {
        let conn = self.conn();
        Ok(conn.execute("DELETE FROM raw_mails WHERE stored < ?1", [before])?)
    }

    fn update_dissection(&self, id: &str, d: &Dissection) -> Result<bool> {
        let json = serde_json::to_string(d).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let sha: Option<String> =
            tx.query_row("SELECT sha256 FROM analyses WHERE id = ?1", [id], |r| r.get(0)).optional()?;
        let Some(sha) = sha else { return Ok(false) };
        tx.execute(
            "UPDATE analyses SET dissection = ?2, verdict = ?3, score = ?4 WHERE id = ?1",
            params![id, json, d.analysis.verdict.as_str(), d.analysis.score],
        )?;
        write_index(&tx, id, &sha, d)?;
        tx.commit()?;
        Ok(true)
    }

    fn set_online(&self, id: &str, state: Option<&str>) -> Result<()> {
        let conn = self.conn();
        conn.execute("UPDATE analyses SET online = ?2 WHERE id = ?1", params![id, state])?;
        Ok(())
    }

    fn interrupt_pending(&self) -> Result<usize> {
        let conn = self.conn();
        Ok(conn.execute("UPDATE analyses SET online = 'interrupted' WHERE online LIKE 'pending%'", [])?)
    }

    fn claim_reply(&self, sha256: &str, reporter: &str, at: i64) -> Result<bool> {
        let conn = self.conn();
        let n = conn.execute(
            "INSERT OR IGNORE INTO replies (sha256, reporter, state, at) VALUES (?1, ?2, 'sending', ?3)",
            params![sha256, reporter.to_ascii_lowercase(), at],
        )?;
        Ok(n == 1)
    }

    fn finish_reply(&self, sha256: &str, state: &str) -> Result<()> {
        let conn = self.conn();
        conn.execute("UPDATE replies SET state = ?2 WHERE sha256 = ?1", params![sha256, state])?;
        Ok(())
    }

    fn replies_since(&self, reporter: &str, since: i64) -> Result<usize> {
        let conn = self.conn();
        let n: i64 = conn.query_row(
            "SELECT COUNT(*) FROM replies WHERE reporter = ?1 AND at >= ?2 AND (state = 'sent' OR state = 'sending')",
            params![reporter.to_ascii_lowercase(), since],
            |r| r.get(0),
        )?;
        Ok(n as usize)
    }
}

/// Writes an analysis's indicators and search row (after deleting the old ones).
fn write_index(tx: &rusqlite::Transaction<'_>, id: &str, sha256: &str, d: &Dissection) -> Result<()> {
    tx.execute("DELETE FROM indicators WHERE analysis_id = ?1", [id])?;
    tx.execute("DELETE FROM analyses_fts WHERE id = ?1", [id])?;
    let found = indicators_of(d);
    {
        let mut ins = tx.prepare_cached(
            "INSERT INTO indicators (analysis_id, kind, value, strong) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for i in &found {
            ins.execute(params![id, i.kind, i.value, i.strong])?;
        }
    }
    let a = &d.analysis;
    let mut words: Vec<&str> = found.iter().map(|i| i.value.as_str()).collect();
    words.push(sha256);
    tx.execute(
        "INSERT INTO analyses_fts (id, subject, sender, indicators, verdict) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            id,
            a.message.subject.clone().unwrap_or_default(),
            format!(
                "{} {}",
                a.message.from.name.clone().unwrap_or_default(),
                a.message.from.address.clone().unwrap_or_default()
            ),
            words.join(" "),
            a.verdict.as_str()
        ],
    )?;
    Ok(())
}

/// The static name of an indicator kind read back from the database.
fn intern_kind(kind: &str) -> &'static str {
    const KINDS: &[&str] =
        &["url", "domain", "landing_host", "form_host", "kit", "ip", "email", "sha256", "template"];
    KINDS.iter().find(|k| **k == kind).copied().unwrap_or("other")
}
