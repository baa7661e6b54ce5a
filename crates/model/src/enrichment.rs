//! What the online lookup rungs found about a mail's hosts, domains and addresses: DNS,
//! registration (RDAP/WHOIS), geolocation and ASN, feeds and reputation services. Plain data:
//! `kaibo-enrich` fills it in, the reports render it.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

/// Everything the online rungs found, for the JSON `enrichment` section and the reports.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Enrichment {
    pub rungs: Vec<String>,
    pub hosts: Vec<HostDns>,
    pub sender_policy: Option<SenderPolicy>,
    pub registrations: Vec<Registration>,
    pub ips: Vec<IpInfo>,
    pub feeds: Vec<FeedStatus>,
    pub feed_hits: Vec<FeedHit>,
    /// URLs checked against the feeds and found on none (a fact, not a sign of safety).
    pub not_listed: Vec<String>,
    /// What reputation services said (Safe Browsing, VirusTotal, urlscan.io), with keys only.
    pub reputation: Vec<ApiVerdict>,
    /// Lookups that failed or timed out, and missing databases.
    pub notes: Vec<String>,
    pub cache: CacheStats,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct CacheStats {
    pub hits: usize,
    pub misses: usize,
}

/// What DNS says about one host name.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct HostDns {
    pub host: String,
    pub status: DnsStatus,
    pub cname: Vec<String>,
    pub addresses: Vec<IpAddr>,
    pub mx: Vec<String>,
    pub ns: Vec<String>,
}

/// The claimed sender domain's published mail policy.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct SenderPolicy {
    pub domain: String,
    pub spf: Option<String>,
    pub dmarc: Option<String>,
    /// The DMARC `p=` tag: `none`, `quarantine` or `reject`.
    pub dmarc_policy: Option<String>,
}

/// What a registry says about a domain or an IP network.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Registration {
    /// The domain, or the IP address looked up.
    pub query: String,
    /// `rdap` or `whois`.
    pub source: String,
    /// The server that answered (RDAP URL or WHOIS host).
    pub server: String,
    /// False when the registry says it does not know the name (404 / "No entries found").
    pub found: bool,
    pub registrar: Option<String>,
    /// Creation date, `YYYY-MM-DD`.
    pub created: Option<String>,
    pub expires: Option<String>,
    pub status: Vec<String>,
    pub nameservers: Vec<String>,
    pub abuse_email: Option<String>,
    /// For IP networks: the network's name, range and country.
    pub network: Option<String>,
    pub country: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct IpInfo {
    pub ip: String,
    /// Why kaibo looked it up: `link host web.example.ru`, `sender hop`, `link`.
    pub seen_as: Vec<String>,
    pub country: Option<String>,
    pub country_name: Option<String>,
    pub city: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub asn: Option<u32>,
    pub as_org: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FeedHit {
    pub feed: String,
    pub matched: FeedMatch,
    /// The URL from the mail.
    pub url: String,
    /// The listed URL.
    pub listed: String,
    /// When the feed says it was listed, when it says.
    pub listed_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FeedStatus {
    pub feed: String,
    pub file: String,
    pub entries: usize,
    /// The file's modification time (UTC, RFC 3339): how fresh the list is.
    pub updated: Option<String>,
}

/// One service's answer about one URL or domain.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ApiVerdict {
    pub service: ReputationService,
    /// The URL or domain asked about.
    pub subject: String,
    /// `listed`, `not_listed`, `malicious`, `clean`, `unknown` (never scanned), `seen` (urlscan).
    pub verdict: String,
    /// The service's own words: threat types, engine counts, number of scans.
    pub detail: String,
    /// When kaibo asked (UTC, RFC 3339).
    pub checked_at: String,
}

/// What DNS said of a host name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DnsStatus {
    /// It has records.
    #[default]
    Ok,
    /// The name does not exist: never registered, or taken down.
    Nxdomain,
    /// The lookup failed or timed out.
    Failed,
}

/// How a feed lists a link of the mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FeedMatch {
    /// This exact URL is listed.
    Url,
    /// Another URL on the same host is.
    Host,
}

/// A reputation service kaibo asks (with the user's key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReputationService {
    SafeBrowsing,
    Virustotal,
    Urlscan,
}

impl ReputationService {
    /// The name in JSON (`safe_browsing`).
    pub fn as_str(self) -> &'static str {
        match self {
            ReputationService::SafeBrowsing => "safe_browsing",
            ReputationService::Virustotal => "virustotal",
            ReputationService::Urlscan => "urlscan",
        }
    }
}

impl std::fmt::Display for ReputationService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
