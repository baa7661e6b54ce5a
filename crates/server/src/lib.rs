//! `kaibo serve`: the dissection in a browser and over HTTP.
//!
//! One axum application serves two faces of the same thing:
//!
//! - **pages** ([`pages`]): server-rendered HTML: a form to drop a mail on, the dissection (the
//!   body of the HTML report, `kaibo analyze --format html`), the history with search, and the
//!   campaigns. A few lines of script (with a nonce) make the drop zone; everything works
//!   without it.
//! - **the API** ([`api`]) under `/api/v1`, JSON in the CLI's schema, described by
//!   `/api/v1/openapi.json`.
//!
//! Both sit behind the same guard ([`guard`]): tokens when any are configured (required beyond
//! loopback), security headers and a strict Content-Security-Policy on every response, a
//! same-origin check on form posts, a per-client rate limit and a cap on analyses in flight
//! (503 when full, before the body is read). The mail's own HTML is never rendered: the report
//! quotes it as text.
//!
//! Analyses run offline on blocking threads (the core is synchronous) and are written to the
//! store ([`kaibo_store`]) in one transaction each, so a crash loses only what was in flight.

pub mod api;
pub mod config;
pub mod guard;
pub mod online;
pub mod pages;

use std::sync::Arc;

use axum::Router;
use kaibo_model::Dissection;
use kaibo_store::{NewAnalysis, SqliteStore, Store, Summary};

pub use config::{FileConfig, ServerConfig};

/// What every handler shares.
pub struct AppState {
    pub config: ServerConfig,
    pub store: Arc<dyn Store>,
    pub analyse: kaibo_core::Options,
    pub gate: guard::Gate,
    /// The online rungs, when the config allows any.
    pub online: Option<Arc<online::Online>>,
}

pub type SharedState = Arc<AppState>;

/// Why an upload was not analysed.
#[derive(Debug)]
pub enum UploadError {
    /// Not a mail (422).
    NotAMail(String),
    /// Larger than the limit (413).
    TooLarge(usize),
    /// The store failed (500).
    Store(String),
    /// Online rungs the server does not run, or that are not rungs (400).
    Rungs(String),
}

impl AppState {
    /// Analyses `raw` (or finds the stored analysis of the same bytes, unless `rerun`) and
    /// stores it; then runs the online rungs asked for (`rungs`, see [`online::Online::choose`])
    /// in the background. Returns the summary and whether it is new.
    pub async fn analyse_and_store(
        self: &Arc<Self>,
        raw: Vec<u8>,
        origin: &'static str,
        rerun: bool,
        rungs: Option<&str>,
    ) -> Result<(Summary, bool), UploadError> {
        if raw.len() > self.config.max_size {
            return Err(UploadError::TooLarge(raw.len()));
        }
        let rungs = match (&self.online, rungs.map(str::trim)) {
            (Some(online), asked) => online.choose(asked).map_err(UploadError::Rungs)?,
            (None, None | Some("" | "none" | "offline")) => None,
            (None, Some(_)) => {
                return Err(UploadError::Rungs(
                    "this server runs no online rungs (see [online] in its config)".into(),
                ));
            }
        };
        // Wait for an analysis slot; the upload already holds its place in the queue.
        let slot = self
            .gate
            .analyses
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| UploadError::Store("shutting down".into()))?;
        let state = self.clone();
        tokio::task::spawn_blocking(move || {
            let _slot = slot;
            let sha = kaibo_store::sha256_hex(&raw);
            if !rerun
                && let Some(found) =
                    state.store.latest_for(&sha).map_err(|e| UploadError::Store(e.to_string()))?
            {
                return Ok((found, false, None));
            }
            let analysis = kaibo_core::analyze(&raw, &state.analyse).map_err(|e| match e {
                kaibo_core::AnalyzeError::TooLarge { size, .. } => UploadError::TooLarge(size),
                other => UploadError::NotAMail(other.to_string()),
            })?;
            let pending = rungs.map(|r| format!("pending:{}", r.names().join(",")));
            let d = Dissection::offline(analysis);
            let summary = state
                .store
                .insert(NewAnalysis {
                    raw: &raw,
                    dissection: &d,
                    origin,
                    reporter: None,
                    online: pending.as_deref(),
                })
                .map_err(|e| UploadError::Store(e.to_string()))?;
            Ok((summary, true, Some(d.analysis)))
        })
        .await
        .unwrap_or_else(|_| Err(UploadError::Store("the analysis failed".into())))
        .map(|(summary, created, analysis)| {
            if let (Some(online), Some(rungs), Some(analysis)) = (&self.online, rungs, analysis) {
                online.start(self.clone(), summary.id.clone(), analysis, rungs);
            }
            (summary, created)
        })
    }
}

/// Opens the data directory (created on first start) and its database.
pub fn open_state(config: ServerConfig) -> Result<SharedState, String> {
    std::fs::create_dir_all(&config.data_dir).map_err(|e| format!("{}: {e}", config.data_dir.display()))?;
    let db = config.data_dir.join("kaibo.sqlite");
    let store = SqliteStore::open(&db).map_err(|e| format!("{}: {e}", db.display()))?;
    // Online rungs that were running when the server stopped will not finish.
    store.interrupt_pending().map_err(|e| format!("{}: {e}", db.display()))?;
    let analyse = kaibo_core::Options { max_input_bytes: config.max_size, ..Default::default() };
    let gate = guard::Gate::new(&config);
    let online = match &config.online {
        Some(o) => {
            let cfg = match &o.config {
                Some(path) => kaibo_enrich::Config::load(path)?,
                None => kaibo_enrich::Config::default(),
            };
            let rungs = kaibo_enrich::Rungs::parse(&o.rungs)?;
            let cache = o.cache_dir.clone().unwrap_or_else(|| config.data_dir.join("cache"));
            let data = o.data_dir.clone().unwrap_or_else(kaibo_enrich::config::default_data_dir);
            Some(Arc::new(online::Online::new(rungs, o.default, cfg, Some(cache), data)))
        }
        None => None,
    };
    Ok(Arc::new(AppState { config, store: Arc::new(store), analyse, gate, online }))
}

/// Every route, behind the guard.
pub fn router(state: SharedState) -> Router {
    Router::new()
        .merge(pages::routes())
        .merge(api::routes())
        .layer(axum::middleware::from_fn_with_state(state.clone(), guard::guard))
        .layer(axum::extract::DefaultBodyLimit::max(state.config.max_size.saturating_add(64 * 1024)))
        .with_state(state)
}

/// Runs the server until SIGTERM or Ctrl-C, then finishes the requests in flight. `ready` is
/// called with the bound address once it accepts connections.
pub fn serve(config: ServerConfig, ready: impl FnOnce(std::net::SocketAddr)) -> Result<(), String> {
    let state = open_state(config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the server: {e}"))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(state.config.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", state.config.listen))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        spawn_retention(state.clone());
        ready(addr);
        axum::serve(listener, router(state).into_make_service_with_connect_info::<std::net::SocketAddr>())
            .with_graceful_shutdown(shutdown_signal())
            .await
            .map_err(|e| format!("server: {e}"))
    })
}

/// Drops raw mails past the retention period, at start and then hourly.
fn spawn_retention(state: SharedState) {
    if state.config.raw_retention_days == 0 {
        return;
    }
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            tick.tick().await;
            let store = state.store.clone();
            let keep = i64::from(state.config.raw_retention_days) * 86_400;
            let _ = tokio::task::spawn_blocking(move || {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs() as i64);
                store.prune_raw(now - keep)
            })
            .await;
        }
    });
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
