//! `kaibo watch`: flags and settings to [`kaibo_watch::run`], a line per mail, a summary.

use std::io::Write;

use serde::Deserialize;

use crate::flags::{WatchArgs, WatchFormat};

/// The watch settings file; every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct WatchConfig {
    parent: Option<String>,
    phishing: Option<String>,
    suspicious: Option<String>,
    clean: Option<String>,
    poll_seconds: Option<u64>,
    reply: Option<ReplyConfig>,
    online: Option<OnlineConfig>,
}

/// `[online]`: rungs to run on every reported mail.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OnlineConfig {
    /// `dns,rdap,geo,feeds,fetch,render`.
    rungs: String,
    /// The enrichment configuration (`kaibo analyze --config`).
    config: Option<std::path::PathBuf>,
    cache_dir: Option<std::path::PathBuf>,
    /// Geolocation databases and feeds (default: kaibo's data directory).
    data_dir: Option<std::path::PathBuf>,
}

/// `[reply]`: answer the reporters (see docs/watch.md).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplyConfig {
    smtp: String,
    from: String,
    user: Option<String>,
    password_file: Option<std::path::PathBuf>,
    #[serde(default)]
    allowed_domains: Vec<String>,
    per_hour: Option<usize>,
    serve_url: Option<String>,
}

/// A secret from a file (first line, trimmed) or the environment.
fn secret(file: Option<&std::path::Path>, env: &str) -> Result<Option<String>, String> {
    if let Some(f) = file {
        let text = std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?;
        let line = text.lines().next().unwrap_or("").trim().to_string();
        if line.is_empty() {
            return Err(format!("{}: empty", f.display()));
        }
        return Ok(Some(line));
    }
    Ok(std::env::var(env).ok().filter(|v| !v.is_empty()))
}

pub fn run(args: &WatchArgs) -> Result<u8, String> {
    let url = kaibo_watch::ImapUrl::parse(&args.imap)?;
    let auth = if args.oauth2_token_file.is_some() || std::env::var_os("KAIBO_IMAP_OAUTH2_TOKEN").is_some() {
        let token =
            secret(args.oauth2_token_file.as_deref(), "KAIBO_IMAP_OAUTH2_TOKEN")?.ok_or("no OAuth2 token")?;
        kaibo_watch::Auth::OAuth2(token)
    } else {
        let password = secret(args.password_file.as_deref(), "KAIBO_IMAP_PASSWORD")?
            .ok_or("no password: --password-file FILE or KAIBO_IMAP_PASSWORD (never on the command line)")?;
        kaibo_watch::Auth::Password(password)
    };
    let cfg = match &args.config {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
            toml::from_str::<WatchConfig>(&text).map_err(|e| format!("{}: {e}", p.display()))?
        }
        None => WatchConfig::default(),
    };
    let d = kaibo_watch::Folders::default();
    let folders = kaibo_watch::Folders {
        parent: cfg.parent.unwrap_or(d.parent),
        phishing: cfg.phishing.unwrap_or(d.phishing),
        suspicious: cfg.suspicious.unwrap_or(d.suspicious),
        clean: cfg.clean.unwrap_or(d.clean),
    };
    let data_dir = args.data_dir.clone().unwrap_or_else(kaibo_enrich::config::default_data_dir);
    let reply = match cfg.reply {
        Some(r) => Some(kaibo_watch::ReplyOptions {
            password: secret(r.password_file.as_deref(), "KAIBO_SMTP_PASSWORD")?,
            smtp: r.smtp,
            from: r.from,
            user: r.user,
            allowed_domains: r.allowed_domains,
            per_hour: r.per_hour.unwrap_or(20),
            serve_url: r.serve_url,
        }),
        None => None,
    };
    let online = match &cfg.online {
        Some(o) => {
            let rungs = kaibo_enrich::Rungs::parse(&o.rungs)?;
            let ecfg = match &o.config {
                Some(p) => kaibo_enrich::Config::load(p)?,
                None => kaibo_enrich::Config::default(),
            };
            let cache = o.cache_dir.clone().unwrap_or_else(|| data_dir.join("cache"));
            let data = o.data_dir.clone().unwrap_or_else(kaibo_enrich::config::default_data_dir);
            rungs
                .any()
                .then(|| std::sync::Arc::new(kaibo_enrich::Enricher::new(ecfg, rungs, Some(cache), data)))
        }
        None => None,
    };
    let opts = kaibo_watch::WatchOptions {
        url,
        auth,
        data_dir,
        folders,
        once: args.once,
        poll_seconds: cfg.poll_seconds.unwrap_or(60),
        ca_file: args.ca_file.clone(),
        analyse: kaibo_core::Options::default(),
        reply,
        online,
    };
    let format = args.format;
    let summary = kaibo_watch::run(&opts, |p| {
        let mut out = std::io::stdout().lock();
        let _ = match format {
            WatchFormat::Jsonl => writeln!(out, "{}", serde_json::to_string(p).unwrap_or_default()),
            WatchFormat::Text => writeln!(
                out,
                "{:<10} {:>4}  uid {:<6} {} → {}{}",
                p.verdict,
                p.score,
                p.uid,
                kaibo_core::inert::line(p.subject.as_deref().unwrap_or("(no subject)")),
                p.filed_to,
                if p.reused { " (analysed before)" } else { "" }
            ),
        };
        let _ = out.flush();
    })?;
    eprintln!(
        "kaibo watch: {} mails filed: {} phishing, {} suspicious, {} clean{}",
        summary.processed,
        summary.phishing,
        summary.suspicious,
        summary.clean,
        if summary.reused > 0 { format!(" ({} analysed before)", summary.reused) } else { String::new() }
    );
    Ok(crate::EXIT_CLEAN)
}
