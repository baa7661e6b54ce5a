//! The server's settings: command-line flags over a TOML file over defaults.
//!
//! ```toml
//! listen = "127.0.0.1:8080"
//! data_dir = "/var/lib/kaibo"
//! tokens = ["…"]                # required to listen beyond loopback; KAIBO_TOKENS adds more
//! max_size = 26214400           # bytes of one uploaded mail
//! max_concurrent = 2            # analyses running at once (default: one per core)
//! max_queued = 64               # uploads running or waiting for a slot; more get 503
//! rate_per_minute = 120         # uploads per client address per minute; more get 429
//! raw_retention_days = 90       # raw mails older than this are dropped (analyses stay); 0 keeps
//!
//! [online]                      # absent: analyses are offline only
//! rungs = "dns,rdap,geo,feeds"  # what an upload may ask for (fetch and render too)
//! default = false               # run them when an upload does not say
//! config = "/etc/kaibo/enrich.toml"   # resolvers, RDAP, geo databases, feeds, API keys
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The settings as read from a config file; every key optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    #[serde(default)]
    pub tokens: Vec<String>,
    pub max_size: Option<usize>,
    pub max_concurrent: Option<usize>,
    pub max_queued: Option<usize>,
    pub rate_per_minute: Option<u32>,
    pub raw_retention_days: Option<u32>,
    pub online: Option<OnlineConfig>,
}

/// The `[online]` table: which rungs uploads may ask for.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OnlineConfig {
    /// `dns,rdap,geo,feeds,fetch,render` (a subset).
    pub rungs: String,
    /// Run the allowed rungs when an upload does not say.
    #[serde(default)]
    pub default: bool,
    /// The enrichment configuration (`kaibo analyze --config`).
    pub config: Option<PathBuf>,
    /// The lookup cache (default: `cache` in the data directory).
    pub cache_dir: Option<PathBuf>,
    /// Geolocation databases and feeds (default: kaibo's data directory, `kaibo db update`).
    pub data_dir: Option<PathBuf>,
}

impl FileConfig {
    pub fn read(path: &Path) -> Result<FileConfig, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// The settings the server runs with.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// API tokens; when there are any, every request needs one.
    pub tokens: Vec<String>,
    pub max_size: usize,
    /// Analyses running at once; uploads beyond wait for a slot.
    pub max_concurrent: usize,
    /// Uploads running or waiting; beyond this they get 503. Bounds memory at about
    /// `max_queued × max_size`.
    pub max_queued: usize,
    pub rate_per_minute: u32,
    pub raw_retention_days: u32,
    pub online: Option<OnlineConfig>,
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_MAX_SIZE: usize = 25 * 1024 * 1024;

impl ServerConfig {
    /// Flags (`Some`) win over the file, the file over the defaults; `KAIBO_TOKENS`
    /// (comma-separated) adds tokens to the file's.
    pub fn resolve(
        file: FileConfig,
        listen: Option<SocketAddr>,
        data_dir: Option<PathBuf>,
        max_size: Option<usize>,
        env_tokens: Option<String>,
    ) -> Result<ServerConfig, String> {
        let mut tokens = file.tokens;
        if let Some(env) = env_tokens {
            tokens.extend(env.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_string));
        }
        if let Some(short) = tokens.iter().find(|t| t.len() < 16) {
            return Err(format!(
                "an API token must be 16 characters or more (one has {}); make one with `openssl rand -hex 24`",
                short.len()
            ));
        }
        let listen =
            listen.or(file.listen).unwrap_or_else(|| DEFAULT_LISTEN.parse().expect("a valid address"));
        if !listen.ip().is_loopback() && tokens.is_empty() {
            return Err(format!(
                "refusing to listen on {listen} without an API token: anyone who can reach it could read every \
                 analysed mail. Set `tokens` in the config or KAIBO_TOKENS, or listen on 127.0.0.1"
            ));
        }
        // kaibo's one data directory, shared with the online rungs' databases.
        let data_dir = data_dir.or(file.data_dir).unwrap_or_else(kaibo_enrich::config::default_data_dir);
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Ok(ServerConfig {
            listen,
            data_dir,
            tokens,
            max_size: max_size.or(file.max_size).unwrap_or(DEFAULT_MAX_SIZE),
            max_concurrent: file.max_concurrent.unwrap_or(cores).max(1),
            max_queued: file.max_queued.unwrap_or(64).max(1),
            rate_per_minute: file.rate_per_minute.unwrap_or(120),
            raw_retention_days: file.raw_retention_days.unwrap_or(90),
            online: match file.online {
                Some(o) => {
                    kaibo_enrich::Rungs::parse(&o.rungs).map_err(|e| format!("[online] rungs: {e}"))?;
                    Some(o)
                }
                None => None,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beyond_loopback_needs_a_token() {
        let any: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        let dir = Some(PathBuf::from("/tmp/x"));
        let err =
            ServerConfig::resolve(FileConfig::default(), Some(any), dir.clone(), None, None).unwrap_err();
        assert!(err.contains("without an API token"), "{err}");
        let ok =
            ServerConfig::resolve(FileConfig::default(), Some(any), dir.clone(), None, Some("a".repeat(20)));
        assert_eq!(ok.unwrap().tokens.len(), 1);
        let short =
            ServerConfig::resolve(FileConfig::default(), None, dir.clone(), None, Some("short".into()));
        assert!(short.unwrap_err().contains("16 characters"));
        let local = ServerConfig::resolve(FileConfig::default(), None, dir, None, None).unwrap();
        assert_eq!(local.listen.to_string(), DEFAULT_LISTEN);
        assert!(local.tokens.is_empty());
    }

    #[test]
    fn the_file_is_read_and_flags_win() {
        let file: FileConfig =
            toml::from_str("listen = \"127.0.0.1:9000\"\nmax_size = 1000\nmax_concurrent = 3\n").unwrap();
        let c = ServerConfig::resolve(file, None, Some("/d".into()), Some(50), None).unwrap();
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.max_size, 50);
        assert_eq!(c.max_concurrent, 3);
        assert!(toml::from_str::<FileConfig>("nonsense = 1").is_err());
    }
}
