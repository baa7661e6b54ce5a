//! `kaibo watch`: the reporting mailbox, triaged.
//!
//! Staff forward suspicious mail to an address such as `phish-report@…`. The watcher logs in
//! to that mailbox over IMAP, and for every mail in the watched folder:
//!
//! 1. fetches it by UID (`BODY.PEEK[]`, so nothing is marked read before it is done);
//! 2. analyses it offline, as `kaibo analyze` does (a forward as attachment — `.eml`,
//!    `message/rfc822`, Outlook `.msg` — is unwrapped and the attached mail judged), unless an
//!    analysis of the same bytes is already stored;
//! 3. stores the analysis in the same database as `kaibo serve` (origin `watch`, with the
//!    reporter), one transaction;
//! 4. only then files the mail: the keyword `$Phishing`, `$Suspicious` or `$Clean` (when the
//!    server takes keywords) and a move into `kaibo/Phishing`, `kaibo/Suspicious` or
//!    `kaibo/Clean` (UID MOVE, or COPY + `\Deleted` + expunge), folders created when missing.
//!
//! **No loss, no duplicates.** A mail leaves the watched folder only after its analysis is
//! committed; if the watcher dies anywhere, the next run finds the mail still there, finds its
//! analysis by the SHA-256 of its bytes, and only files it. So every mail is analysed once and
//! filed once, whatever the crash.
//!
//! **Transport.** `imaps://` (TLS from the first byte) or `imap://` with STARTTLS; `imap://`
//! without TLS only to a loopback address. Passwords and OAuth2 tokens (XOAUTH2) come from a
//! file or the environment, never the command line.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use kaibo_model::Dissection;
use kaibo_store::{NewAnalysis, SqliteStore, Store};
use serde::Serialize;
use tokio::io::{AsyncRead, AsyncWrite};

pub mod reply;
pub mod url;

pub use reply::ReplyOptions;
pub use url::ImapUrl;

/// How to log in.
#[derive(Clone)]
pub enum Auth {
    Password(String),
    /// An OAuth2 access token, sent with SASL XOAUTH2 (Microsoft 365, Google Workspace).
    OAuth2(String),
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print a secret.
        f.write_str(match self {
            Auth::Password(_) => "Password(…)",
            Auth::OAuth2(_) => "OAuth2(…)",
        })
    }
}

/// The folders mail is filed into, under `parent`.
#[derive(Debug, Clone)]
pub struct Folders {
    pub parent: String,
    pub phishing: String,
    pub suspicious: String,
    pub clean: String,
}

impl Default for Folders {
    fn default() -> Self {
        Folders {
            parent: "kaibo".into(),
            phishing: "Phishing".into(),
            suspicious: "Suspicious".into(),
            clean: "Clean".into(),
        }
    }
}

#[derive(Clone)]
pub struct WatchOptions {
    pub url: ImapUrl,
    pub auth: Auth,
    pub data_dir: PathBuf,
    pub folders: Folders,
    /// Process what is there and return; else keep watching (IDLE, or polling).
    pub once: bool,
    /// Seconds between polls when the server has no IDLE, and the longest IDLE wait.
    pub poll_seconds: u64,
    /// Extra CA certificates (PEM) to trust, for a server with its own CA.
    pub ca_file: Option<PathBuf>,
    pub analyse: kaibo_core::Options,
    /// Answer the reporters (off when `None`).
    pub reply: Option<ReplyOptions>,
    /// Online rungs to run on each reported mail before it is stored (off when `None`).
    pub online: Option<Arc<kaibo_enrich::Enricher>>,
}

/// One processed mail, as `--format jsonl` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct Processed {
    pub uid: u32,
    pub sha256: String,
    /// The stored analysis (the id `kaibo serve` shows it under).
    pub id: String,
    pub verdict: String,
    pub score: i32,
    pub subject: Option<String>,
    pub reporter: Option<String>,
    /// The folder it was filed into.
    pub filed_to: String,
    /// The analysis was already stored (a run that stopped before filing it).
    pub reused: bool,
    /// What became of the answer to the reporter, when replies are on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply: Option<String>,
}

/// What a run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub processed: usize,
    pub phishing: usize,
    pub suspicious: usize,
    pub clean: usize,
    /// Mails whose analysis was found stored (a previous run stopped before filing them).
    pub reused: usize,
}

/// The byte stream under the IMAP session: TCP, or TLS over it.
pub trait Transport: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug> Transport for T {}

type Session = async_imap::Session<Box<dyn Transport>>;

/// Runs the watcher: once (`opts.once`), or until the process is stopped, reconnecting with
/// backoff when the connection drops. `on_mail` is called after each mail is filed.
pub fn run(opts: &WatchOptions, mut on_mail: impl FnMut(&Processed)) -> Result<Summary, String> {
    std::fs::create_dir_all(&opts.data_dir).map_err(|e| format!("{}: {e}", opts.data_dir.display()))?;
    let db = opts.data_dir.join("kaibo.sqlite");
    let store = SqliteStore::open(&db).map_err(|e| format!("{}: {e}", db.display()))?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start: {e}"))?;
    let mut summary = Summary::default();
    rt.block_on(async {
        let mut backoff = Duration::from_secs(1);
        loop {
            match session_round(opts, &store, &mut summary, &mut on_mail).await {
                Ok(()) if opts.once => return Ok(()),
                Ok(()) => backoff = Duration::from_secs(1),
                // A login refused is not going to get better by retrying.
                Err(RoundError::Fatal(e)) => return Err(e),
                Err(RoundError::Connection(e)) if opts.once => return Err(e),
                Err(RoundError::Connection(e)) => {
                    eprintln!("kaibo watch: {e}; reconnecting in {} s", backoff.as_secs());
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(300));
                }
            }
        }
    })?;
    Ok(summary)
}

enum RoundError {
    /// Wrong credentials, a folder that does not exist: stop.
    Fatal(String),
    /// The connection failed or dropped: reconnect.
    Connection(String),
}

fn conn_err(what: &str) -> impl FnOnce(async_imap::error::Error) -> RoundError + '_ {
    move |e| RoundError::Connection(format!("{what}: {e}"))
}

/// One connection: log in, make the folders, then process the folder until it is empty (and,
/// watching, wait for more).
async fn session_round(
    opts: &WatchOptions,
    store: &SqliteStore,
    summary: &mut Summary,
    on_mail: &mut impl FnMut(&Processed),
) -> Result<(), RoundError> {
    let mut session = connect(opts).await?;
    let folders = make_folders(&mut session, &opts.folders).await?;
    let mailbox = session
        .select(&opts.url.folder)
        .await
        .map_err(|e| RoundError::Fatal(format!("cannot open the folder {:?}: {e}", opts.url.folder)))?;
    let keywords = mailbox.permanent_flags.iter().any(|f| matches!(f, async_imap::types::Flag::MayCreate));
    let caps = session.capabilities().await.map_err(conn_err("CAPABILITY"))?;
    let can_move = caps.has_str("MOVE");
    let uidplus = caps.has_str("UIDPLUS");
    let idle = caps.has_str("IDLE");
    loop {
        let mut uids: Vec<u32> =
            session.uid_search("ALL").await.map_err(conn_err("UID SEARCH"))?.into_iter().collect();
        uids.sort_unstable();
        let filing = Filing { folders: &folders, keywords, can_move, uidplus };
        for batch in uids.chunks(BATCH) {
            for p in process_batch(&mut session, store, opts, &filing, batch).await? {
                summary.processed += 1;
                summary.reused += usize::from(p.reused);
                match p.verdict.as_str() {
                    "phishing" => summary.phishing += 1,
                    "suspicious" => summary.suspicious += 1,
                    _ => summary.clean += 1,
                }
                on_mail(&p);
            }
        }
        if opts.once {
            let _ = session.logout().await;
            return Ok(());
        }
        session = wait_for_mail(session, idle, opts.poll_seconds).await?;
    }
}

/// Waits for new mail: IDLE where the server has it (ended after `poll_seconds` to keep the
/// connection alive), else a pause and a NOOP.
async fn wait_for_mail(mut session: Session, idle: bool, poll_seconds: u64) -> Result<Session, RoundError> {
    let wait = Duration::from_secs(poll_seconds.max(1));
    if !idle {
        tokio::time::sleep(wait).await;
        session.noop().await.map_err(conn_err("NOOP"))?;
        return Ok(session);
    }
    let mut handle = session.idle();
    handle.init().await.map_err(conn_err("IDLE"))?;
    {
        let (waiting, _stop) = handle.wait_with_timeout(wait);
        let _ = waiting.await;
    }
    handle.done().await.map_err(conn_err("DONE"))
}

/// TCP, then TLS for `imaps://` (or STARTTLS for `imap://` beyond loopback), the greeting
/// read, then the login.
async fn connect(opts: &WatchOptions) -> Result<Session, RoundError> {
    let u = &opts.url;
    let tcp = tokio::net::TcpStream::connect((u.host.as_str(), u.port))
        .await
        .map_err(|e| RoundError::Connection(format!("cannot connect to {}:{}: {e}", u.host, u.port)))?;
    let greeting = |e: std::io::Error| RoundError::Connection(format!("no greeting from {}: {e}", u.host));
    let client = if u.tls {
        let mut c = async_imap::Client::new(Box::new(tls(opts, tcp).await?) as Box<dyn Transport>);
        c.read_response().await.map_err(greeting)?;
        c
    } else if u.is_loopback() {
        // A server on this machine: the password does not cross a network.
        let mut c = async_imap::Client::new(Box::new(tcp) as Box<dyn Transport>);
        c.read_response().await.map_err(greeting)?;
        c
    } else {
        let mut c = async_imap::Client::new(tcp);
        c.read_response().await.map_err(greeting)?;
        c.run_command_and_check_ok("STARTTLS", None).await.map_err(|e| {
            RoundError::Fatal(format!(
                "{} refused STARTTLS ({e}): a password would cross the network in clear; use imaps://",
                u.host
            ))
        })?;
        async_imap::Client::new(Box::new(tls(opts, c.into_inner()).await?) as Box<dyn Transport>)
    };
    let user = u.user.clone();
    let session = match &opts.auth {
        Auth::Password(p) => client.login(&user, p).await.map_err(|(e, _)| e),
        Auth::OAuth2(token) => {
            let auth = XOAuth2 { user: user.clone(), token: token.clone() };
            client.authenticate("XOAUTH2", auth).await.map_err(|(e, _)| e)
        }
    };
    // A refused login is final: retrying would only lock the account.
    session.map_err(|e| RoundError::Fatal(format!("login as {user} refused: {e}")))
}

/// SASL XOAUTH2: `user=…^Aauth=Bearer …^A^A`.
struct XOAuth2 {
    user: String,
    token: String,
}

impl async_imap::Authenticator for XOAuth2 {
    type Response = String;
    fn process(&mut self, _challenge: &[u8]) -> Self::Response {
        format!("user={}\x01auth=Bearer {}\x01\x01", self.user, self.token)
    }
}

async fn tls(
    opts: &WatchOptions,
    tcp: tokio::net::TcpStream,
) -> Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>, RoundError> {
    let mut roots = tokio_rustls::rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    if let Some(ca) = &opts.ca_file {
        let pem = std::fs::read(ca).map_err(|e| RoundError::Fatal(format!("{}: {e}", ca.display())))?;
        for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
            let cert = cert.map_err(|e| RoundError::Fatal(format!("{}: {e}", ca.display())))?;
            roots.add(cert).map_err(|e| RoundError::Fatal(format!("{}: {e}", ca.display())))?;
        }
    }
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = tokio_rustls::rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| RoundError::Fatal(format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = tokio_rustls::rustls::pki_types::ServerName::try_from(opts.url.host.clone())
        .map_err(|e| RoundError::Fatal(format!("TLS: {}: {e}", opts.url.host)))?;
    tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|e| RoundError::Connection(format!("TLS with {}: {e}", opts.url.host)))
}

/// The three folders, with the server's hierarchy separator, created when missing.
async fn make_folders(session: &mut Session, f: &Folders) -> Result<[String; 3], RoundError> {
    let sep = {
        let mut names = session.list(Some(""), Some("\"\"")).await.map_err(conn_err("LIST"))?;
        let mut sep = None;
        while let Some(n) = names.next().await {
            if let Ok(n) = n {
                sep = n.delimiter().map(str::to_string);
            }
        }
        sep.unwrap_or_else(|| "/".into())
    };
    let path =
        |leaf: &str| if f.parent.is_empty() { leaf.to_string() } else { format!("{}{sep}{leaf}", f.parent) };
    let all = [path(&f.phishing), path(&f.suspicious), path(&f.clean)];
    let mut wanted: Vec<String> = all.to_vec();
    if !f.parent.is_empty() {
        wanted.insert(0, f.parent.clone());
    }
    for name in wanted {
        // CREATE of an existing folder fails; that is fine, LIST tells the truth after.
        let _ = session.create(&name).await;
    }
    let mut existing = Vec::new();
    {
        let mut names = session.list(Some(""), Some("*")).await.map_err(conn_err("LIST"))?;
        while let Some(n) = names.next().await {
            if let Ok(n) = n {
                existing.push(n.name().to_string());
            }
        }
    }
    if let Some(missing) = all.iter().find(|n| !existing.contains(n)) {
        return Err(RoundError::Fatal(format!(
            "cannot create the folder {missing:?} (the server has {existing:?})"
        )));
    }
    Ok(all)
}

/// Who reported the mail: the sender of the forward that carried it, else the mail's sender.
fn reporter_of(d: &Dissection) -> Option<String> {
    let a = &d.analysis;
    a.analysed.wrapper_from.clone().or_else(|| a.message.from.address.clone())
}

/// Mails are fetched, stored and filed in batches of this many: one FETCH, then one keyword
/// STORE and one MOVE per verdict, instead of three round trips per mail.
const BATCH: usize = 64;

/// Where and how mail is filed on this server.
struct Filing<'a> {
    folders: &'a [String; 3],
    keywords: bool,
    can_move: bool,
    uidplus: bool,
}

/// A batch: fetched, each mail analysed (or its stored analysis found) and stored, then all
/// filed. Nothing moves before every analysis of the batch is committed.
async fn process_batch(
    session: &mut Session,
    store: &SqliteStore,
    opts: &WatchOptions,
    filing: &Filing<'_>,
    uids: &[u32],
) -> Result<Vec<Processed>, RoundError> {
    let set: Vec<String> = uids.iter().map(u32::to_string).collect();
    let mut raws: Vec<(u32, Vec<u8>)> = Vec::with_capacity(uids.len());
    {
        let mut fetches =
            session.uid_fetch(set.join(","), "BODY.PEEK[]").await.map_err(conn_err("UID FETCH"))?;
        while let Some(f) = fetches.next().await {
            let f = f.map_err(conn_err("UID FETCH"))?;
            if let (Some(uid), Some(body)) = (f.uid, f.body()) {
                raws.push((uid, body.to_vec()));
            }
        }
    }
    raws.sort_by_key(|(uid, _)| *uid);
    let mut done: Vec<Processed> = Vec::with_capacity(raws.len());
    // Per folder index (phishing, suspicious, clean): the UIDs to move there.
    let mut groups: [Vec<u32>; 3] = Default::default();
    for (uid, raw) in raws {
        match analyse_and_store(store, opts, uid, &raw).await? {
            Some(p) => {
                let g = match p.verdict.as_str() {
                    "phishing" => 0,
                    "suspicious" => 1,
                    _ => 2,
                };
                groups[g].push(uid);
                done.push(Processed { filed_to: filing.folders[g].clone(), ..p });
            }
            // Not a mail: filed as clean and said on stderr; nothing stored, not counted.
            None => groups[2].push(uid),
        }
    }
    for (g, keyword) in ["$Phishing", "$Suspicious", "$Clean"].iter().enumerate() {
        if !groups[g].is_empty() {
            let set: Vec<String> = groups[g].iter().map(u32::to_string).collect();
            file(session, &set.join(","), &filing.folders[g], keyword, filing).await?;
        }
    }
    Ok(done)
}

/// One mail's analysis: the stored one for the same bytes, or a new one (with the online rungs
/// when configured), stored.
async fn analyse_and_store(
    store: &SqliteStore,
    opts: &WatchOptions,
    uid: u32,
    raw: &[u8],
) -> Result<Option<Processed>, RoundError> {
    let sha256 = kaibo_store::sha256_hex(raw);
    let stored = store.latest_for(&sha256).map_err(|e| RoundError::Fatal(e.to_string()))?;
    let (summary, reused, analysis) = match stored {
        Some(s) => (s, true, None),
        None => {
            let analysis = match kaibo_core::analyze(raw, &opts.analyse) {
                Ok(a) => a,
                Err(e) => {
                    eprintln!("kaibo watch: UID {uid}: {e}");
                    return Ok(None);
                }
            };
            let d = match &opts.online {
                // The enricher runs its own runtime: called from a blocking thread, not this one.
                Some(enricher) => {
                    let enricher = enricher.clone();
                    let offline = analysis.clone();
                    tokio::task::spawn_blocking(move || enricher.dissect(analysis))
                        .await
                        .unwrap_or_else(|_| Dissection::offline(offline))
                }
                None => Dissection::offline(analysis),
            };
            let reporter = reporter_of(&d);
            let s = store
                .insert(NewAnalysis {
                    raw,
                    dissection: &d,
                    origin: "watch",
                    reporter: reporter.as_deref(),
                    online: None,
                })
                .map_err(|e| RoundError::Fatal(format!("storing the analysis: {e}")))?;
            (s, false, Some(d.analysis))
        }
    };
    // The answer, after the analysis is committed and before the mail moves: a crash in
    // between finds the reply claimed and does not send it again.
    let reply = match &opts.reply {
        Some(r) => {
            let analysis = match analysis {
                Some(a) => Some(a),
                None => store
                    .get(&summary.id)
                    .ok()
                    .flatten()
                    .and_then(|s| s.dissection().ok())
                    .map(|d| d.analysis),
            };
            analysis
                .map(|a| reply::answer(store, r, raw, &sha256, &a, &summary.id, summary.reporter.as_deref()))
        }
        None => None,
    };
    Ok(Some(Processed {
        uid,
        sha256,
        id: summary.id,
        verdict: summary.verdict,
        score: summary.score,
        subject: summary.subject,
        reporter: summary.reporter,
        filed_to: String::new(),
        reused,
        reply,
    }))
}

/// The keyword, then the move out of the watched folder, for a UID set.
async fn file(
    session: &mut Session,
    uids: &str,
    folder: &str,
    keyword: &str,
    f: &Filing<'_>,
) -> Result<(), RoundError> {
    if f.keywords {
        // The keyword travels with the message into the folder.
        let mut updates =
            session.uid_store(uids, format!("+FLAGS ({keyword})")).await.map_err(conn_err("UID STORE"))?;
        while updates.next().await.is_some() {}
    }
    if f.can_move {
        return session.uid_mv(uids, folder).await.map_err(conn_err("UID MOVE"));
    }
    session.uid_copy(uids, folder).await.map_err(conn_err("UID COPY"))?;
    {
        let mut updates =
            session.uid_store(uids, "+FLAGS (\\Deleted)").await.map_err(conn_err("UID STORE"))?;
        while updates.next().await.is_some() {}
    }
    if f.uidplus {
        let expunged = session.uid_expunge(uids).await.map_err(conn_err("UID EXPUNGE"))?;
        futures_util::pin_mut!(expunged);
        while expunged.next().await.is_some() {}
    } else {
        let expunged = session.expunge().await.map_err(conn_err("EXPUNGE"))?;
        futures_util::pin_mut!(expunged);
        while expunged.next().await.is_some() {}
    }
    Ok(())
}
