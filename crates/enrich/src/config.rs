//! Every endpoint kaibo talks to, and every database it reads, in one TOML file (`--config`).
//!
//! Defaults are the public services; an air-gapped site or a test points each one at its own
//! server. Nothing here is contacted unless a rung that needs it was asked for.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// How many lookups run at once, over all rungs.
    pub concurrency: usize,
    /// Per-lookup timeout, in milliseconds.
    pub timeout_ms: u64,
    pub dns: DnsConfig,
    pub rdap: RdapConfig,
    pub whois: WhoisConfig,
    pub geo: GeoConfig,
    pub feeds: FeedsConfig,
    pub cache: CacheConfig,
    /// Reputation services with the user's keys.
    pub api: crate::apis::ApiConfig,
    /// Findings thresholds.
    pub young_domain_days: i64,
    /// The landing-page visit (`--visit`, `--render`).
    pub visit: kaibo_visit::VisitConfig,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DnsConfig {
    /// Name servers (`IP:PORT`); empty = the system's (`/etc/resolv.conf`).
    pub resolvers: Vec<SocketAddr>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RdapConfig {
    /// An IANA RDAP bootstrap file for domains (`dns.json` format); default: the copy bundled
    /// with kaibo, or the one `kaibo db update` downloaded into the data directory.
    pub bootstrap_file: Option<PathBuf>,
    /// Where `kaibo db update` fetches the bootstrap from.
    pub bootstrap_url: String,
    /// RDAP base URL per TLD, overriding the bootstrap (`ru = "http://127.0.0.1:8080/rdap/"`).
    pub servers: BTreeMap<String, String>,
    /// RDAP base URL for IP addresses (an RIR, or a redirector such as rdap.org).
    pub ip_server: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WhoisConfig {
    /// WHOIS server (`host:port`) per TLD, for TLDs without RDAP.
    pub servers: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GeoConfig {
    /// MaxMind-format databases: City (or Country) and ASN. Default: the files `kaibo db update`
    /// puts in the data directory.
    pub city: Option<PathBuf>,
    pub asn: Option<PathBuf>,
    /// Where `kaibo db update` fetches them from (gzip or plain `.mmdb`).
    pub city_url: Option<String>,
    pub asn_url: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FeedsConfig {
    pub sources: Vec<FeedSource>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedSource {
    /// A name shown in reports (`openphish`).
    pub name: String,
    /// `openphish` (one URL per line), `phishtank` (CSV), `urlhaus` (CSV), `jpcert` (CSV).
    pub format: String,
    /// The local file; default `<data dir>/feeds/<name>.txt`.
    pub file: Option<PathBuf>,
    /// Where `kaibo feeds update` downloads it from.
    pub url: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CacheConfig {
    /// Time to live per kind of answer, in seconds.
    pub dns_ttl: u64,
    pub rdap_ttl: u64,
    /// Reputation API answers (they change fast).
    pub api_ttl: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            concurrency: 16,
            timeout_ms: 5_000,
            dns: DnsConfig::default(),
            rdap: RdapConfig::default(),
            whois: WhoisConfig::default(),
            geo: GeoConfig::default(),
            feeds: FeedsConfig::default(),
            cache: CacheConfig::default(),
            api: crate::apis::ApiConfig::default(),
            young_domain_days: 30,
            visit: kaibo_visit::VisitConfig::default(),
        }
    }
}

impl Default for RdapConfig {
    fn default() -> Self {
        RdapConfig {
            bootstrap_file: None,
            bootstrap_url: "https://data.iana.org/rdap/dns.json".into(),
            servers: BTreeMap::new(),
            ip_server: "https://rdap.org/".into(),
        }
    }
}

impl Default for WhoisConfig {
    fn default() -> Self {
        // ccTLDs phishing uses that have no RDAP service.
        let servers = [
            ("ru", "whois.tcinet.ru:43"),
            ("su", "whois.tcinet.ru:43"),
            ("рф", "whois.tcinet.ru:43"),
            ("jp", "whois.jprs.jp:43"),
            ("cn", "whois.cnnic.cn:43"),
            ("kr", "whois.kr:43"),
            ("de", "whois.denic.de:43"),
            ("io", "whois.nic.io:43"),
            ("co", "whois.registry.co:43"),
            ("me", "whois.nic.me:43"),
        ];
        WhoisConfig { servers: servers.iter().map(|(t, s)| (t.to_string(), s.to_string())).collect() }
    }
}

impl Default for FeedsConfig {
    fn default() -> Self {
        let source = |name: &str, format: &str, url: &str| FeedSource {
            name: name.into(),
            format: format.into(),
            file: None,
            url: Some(url.into()),
        };
        FeedsConfig {
            sources: vec![
                source("openphish", "openphish", "https://openphish.com/feed.txt"),
                source("urlhaus", "urlhaus", "https://urlhaus.abuse.ch/downloads/csv_recent/"),
                source("phishtank", "phishtank", "https://data.phishtank.com/data/online-valid.csv"),
                source(
                    "jpcert",
                    "jpcert",
                    "https://raw.githubusercontent.com/JPCERTCC/phishurl-list/main/2024/202401.csv",
                ),
            ],
        }
    }
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig { dns_ttl: 3_600, rdap_ttl: 7 * 86_400, api_ttl: 3_600 }
    }
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// kaibo's data directory (databases, feeds, the RDAP bootstrap): `$KAIBO_DATA_DIR`, else
/// `$XDG_DATA_HOME/kaibo`, else `~/.local/share/kaibo`.
pub fn default_data_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("KAIBO_DATA_DIR") {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("XDG_DATA_HOME") {
        return PathBuf::from(d).join("kaibo");
    }
    home().join(".local/share/kaibo")
}

/// The lookup cache: `$XDG_CACHE_HOME/kaibo`, else `~/.cache/kaibo`.
pub fn default_cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(d).join("kaibo");
    }
    home().join(".cache/kaibo")
}

fn home() -> PathBuf {
    std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(std::env::temp_dir)
}
