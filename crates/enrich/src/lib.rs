//! # kaibo-enrich: what the network knows about a mail's domains and addresses
//!
//! The offline core ([`kaibo_core`]) reads the mail; this crate asks the outside world, and only
//! when the user opted in (`--online`, or `--enrich` with a list of rungs):
//!
//! - [`dns`]: addresses, CNAME chain, MX and NS of every link host; SPF and DMARC of the claimed
//!   sender's domain (hickory-resolver);
//! - [`registration`]: registrar, creation date, status, name servers and abuse contact of each
//!   registrable domain by RDAP (IANA bootstrap), or WHOIS for TLDs without RDAP; RDAP for IPs;
//! - [`geo`]: country, city, coordinates and ASN of every IP, from `.mmdb` files;
//! - [`feeds`]: OpenPhish, PhishTank, URLhaus and JPCERT/CC lists, loaded from local files.
//!
//! Lookups run concurrently under one global limit, each with a timeout, and their answers are
//! kept in an on-disk [`cache`] so a scan of many mails sharing domains asks once. A lookup that
//! fails or times out becomes a note in [`Enrichment::notes`], never a finding and never an
//! error of the analysis. [`apply`] turns the answers into findings of the same catalog as the
//! offline checks (`enrich.*` in `data/findings.toml`).
//!
//! Everything async stays inside [`Enricher::enrich`], which runs its own small Tokio runtime:
//! callers (the CLI, a scan worker) stay synchronous.

pub mod apis;
pub mod cache;
pub mod config;
pub mod dns;
pub mod feeds;
pub mod geo;
pub mod registration;

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use kaibo_core::{Analysis, Evidence};
use serde::{Deserialize, Serialize};

pub use config::Config;
use dns::{HostDns, SenderPolicy};
use feeds::{FeedHit, FeedIndex, FeedStatus};
use geo::{GeoDb, IpInfo};
use registration::{Bootstrap, Registration};

/// The rungs of the online ladder this crate climbs (the landing-page visit is not here).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rungs {
    pub dns: bool,
    pub rdap: bool,
    pub geo: bool,
    pub feeds: bool,
}

impl Rungs {
    /// All enrichment rungs: what `--online` means.
    pub fn all() -> Rungs {
        Rungs { dns: true, rdap: true, geo: true, feeds: true }
    }

    /// Parses `dns,rdap,geo,feeds` (`whois` is an alias of `rdap`).
    pub fn parse(list: &str) -> Result<Rungs, String> {
        let mut r = Rungs::default();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match item {
                "dns" => r.dns = true,
                "rdap" | "whois" => r.rdap = true,
                "geo" => r.geo = true,
                "feeds" => r.feeds = true,
                "all" => r = Rungs::all(),
                other => return Err(format!("unknown enrichment rung `{other}` (dns, rdap, geo, feeds)")),
            }
        }
        Ok(r)
    }

    pub fn any(&self) -> bool {
        self.dns || self.rdap || self.geo || self.feeds
    }

    pub fn names(&self) -> Vec<String> {
        [(self.dns, "dns"), (self.rdap, "rdap"), (self.geo, "geo"), (self.feeds, "feeds")]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, n)| n.to_string())
            .collect()
    }
}

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
    pub reputation: Vec<apis::ApiVerdict>,
    /// Lookups that failed or timed out, and missing databases.
    pub notes: Vec<String>,
    pub cache: CacheStats,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct CacheStats {
    pub hits: usize,
    pub misses: usize,
}

/// Limits per mail, so a mail with 500 links does not become 2,000 lookups.
const MAX_HOSTS: usize = 15;
const MAX_DOMAINS: usize = 8;
const MAX_IPS: usize = 16;
const MAX_IP_RDAP: usize = 4;

pub struct Enricher {
    cfg: Config,
    rungs: Rungs,
    cache: cache::Cache,
    data_dir: PathBuf,
    bootstrap: Bootstrap,
}

impl Enricher {
    /// `cache_dir: None` disables the cache.
    pub fn new(cfg: Config, rungs: Rungs, cache_dir: Option<PathBuf>, data_dir: PathBuf) -> Enricher {
        let bootstrap = cfg
            .rdap
            .bootstrap_file
            .clone()
            .or_else(|| Some(data_dir.join("rdap-dns.json")).filter(|p| p.exists()))
            .and_then(|p| std::fs::read_to_string(p).ok())
            .and_then(|t| Bootstrap::parse(&t).ok())
            .unwrap_or_else(Bootstrap::bundled);
        Enricher { cfg, rungs, cache: cache::Cache::new(cache_dir), data_dir, bootstrap }
    }

    pub fn rungs(&self) -> Rungs {
        self.rungs
    }

    /// Runs the chosen rungs for one analysed mail.
    pub fn enrich(&self, a: &Analysis) -> Enrichment {
        let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(rt) => rt,
            Err(e) => {
                return Enrichment {
                    notes: vec![format!("cannot start the lookup runtime: {e}")],
                    ..Default::default()
                };
            }
        };
        let before = (
            self.cache.hits.load(std::sync::atomic::Ordering::Relaxed),
            self.cache.misses.load(std::sync::atomic::Ordering::Relaxed),
        );
        let mut e = rt.block_on(self.run(a));
        e.cache.hits = self.cache.hits.load(std::sync::atomic::Ordering::Relaxed) - before.0;
        e.cache.misses = self.cache.misses.load(std::sync::atomic::Ordering::Relaxed) - before.1;
        e
    }

    async fn run(&self, a: &Analysis) -> Enrichment {
        let mut e = Enrichment { rungs: self.rungs.names(), ..Default::default() };
        let timeout = Duration::from_millis(self.cfg.timeout_ms);
        let limit = Arc::new(tokio::sync::Semaphore::new(self.cfg.concurrency.max(1)));
        let targets = Targets::of(a);

        // DNS: link hosts, then the sender's policy.
        if self.rungs.dns {
            match dns::resolver(&self.cfg.dns, timeout) {
                Ok(r) => {
                    let jobs = targets.hosts.iter().map(|h| {
                        let r = &r;
                        let limit = limit.clone();
                        async move {
                            if let Some(hit) = self.cache.get::<HostDns>("dns", h, self.cfg.cache.dns_ttl) {
                                return hit;
                            }
                            let _permit = limit.acquire().await;
                            let found = match tokio::time::timeout(timeout * 4, dns::lookup_host(r, h)).await
                            {
                                Ok(found) => found,
                                Err(_) => {
                                    HostDns { host: h.clone(), status: "failed".into(), ..Default::default() }
                                }
                            };
                            if found.status != "failed" {
                                self.cache.put("dns", h, &found);
                            }
                            found
                        }
                    });
                    e.hosts = futures_util::future::join_all(jobs).await;
                    for h in e.hosts.iter().filter(|h| h.status == "failed") {
                        e.notes.push(format!("DNS lookup of {} failed", h.host));
                    }
                    if let Some(d) = &targets.sender_domain {
                        let key = format!("policy:{d}");
                        e.sender_policy =
                            match self.cache.get::<SenderPolicy>("dns", &key, self.cfg.cache.dns_ttl) {
                                Some(p) => Some(p),
                                None => match tokio::time::timeout(timeout * 2, dns::sender_policy(&r, d))
                                    .await
                                {
                                    Ok(p) => {
                                        self.cache.put("dns", &key, &p);
                                        Some(p)
                                    }
                                    Err(_) => {
                                        e.notes.push(format!("DNS lookup of the policies of {d} timed out"));
                                        None
                                    }
                                },
                            };
                    }
                }
                Err(err) => e.notes.push(format!("DNS: {err}")),
            }
        }

        // Registration data of the registrable domains, and of a few IPs.
        let mut ips = targets.ips.clone();
        for h in &e.hosts {
            for ip in &h.addresses {
                push_ip(&mut ips, *ip, &format!("link host {}", h.host));
            }
        }
        ips.truncate(MAX_IPS);
        if self.rungs.rdap {
            let client = match http_client(timeout) {
                Ok(c) => Some(c),
                Err(err) => {
                    e.notes.push(err);
                    None
                }
            };
            let client = client.as_ref();
            let jobs = targets.domains.iter().map(|d| {
                let limit = limit.clone();
                async move {
                    if let Some(hit) = self.cache.get::<Registration>("rdap", d, self.cfg.cache.rdap_ttl) {
                        return Ok(hit);
                    }
                    let _permit = limit.acquire().await;
                    let found = self.registration(client, d, timeout).await;
                    if let Ok(r) = &found {
                        self.cache.put("rdap", d, r);
                    }
                    found
                }
            });
            for r in futures_util::future::join_all(jobs).await {
                match r {
                    Ok(r) => e.registrations.push(r),
                    Err(note) => e.notes.push(note),
                }
            }
            let ip_jobs =
                ips.iter().filter(|(ip, _)| kaibo_core::analyze::is_public_ip(*ip)).take(MAX_IP_RDAP).map(
                    |(ip, _)| {
                        let limit = limit.clone();
                        let key = ip.to_string();
                        async move {
                            if let Some(hit) =
                                self.cache.get::<Registration>("rdap-ip", &key, self.cfg.cache.rdap_ttl)
                            {
                                return Ok(hit);
                            }
                            let Some(client) = client else { return Err("RDAP: no HTTP client".to_string()) };
                            let _permit = limit.acquire().await;
                            let found = tokio::time::timeout(
                                timeout,
                                registration::rdap(client, &self.cfg.rdap.ip_server, "ip", &key),
                            )
                            .await
                            .map_err(|_| format!("RDAP {key}: timed out"))
                            .and_then(|r| r);
                            if let Ok(r) = &found {
                                self.cache.put("rdap-ip", &key, r);
                            }
                            found
                        }
                    },
                );
            for r in futures_util::future::join_all(ip_jobs).await {
                match r {
                    Ok(r) => e.registrations.push(r),
                    Err(note) => e.notes.push(note),
                }
            }
        }

        if self.rungs.geo {
            let city = self.cfg.geo.city.clone().or_else(|| existing(self.data_dir.join("geo/city.mmdb")));
            let asn = self.cfg.geo.asn.clone().or_else(|| existing(self.data_dir.join("geo/asn.mmdb")));
            let db = GeoDb::open(city.as_deref(), asn.as_deref(), &mut e.notes);
            if db.is_empty() {
                e.notes.push(
                    "geolocation: no database (run `kaibo db update`, or set [geo] in the config)".into(),
                );
            }
            for (ip, seen_as) in &ips {
                let mut info = IpInfo { ip: ip.to_string(), seen_as: seen_as.clone(), ..Default::default() };
                db.lookup(*ip, &mut info);
                e.ips.push(info);
            }
        } else {
            e.ips = ips
                .iter()
                .map(|(ip, s)| IpInfo { ip: ip.to_string(), seen_as: s.clone(), ..Default::default() })
                .collect();
        }

        if self.rungs.feeds {
            let index = FeedIndex::load(&self.cfg.feeds.sources, &self.data_dir, &mut e.notes);
            e.feeds = index.status.clone();
            if !e.feeds.is_empty() {
                for url in &targets.urls {
                    let hits = index.lookup(url);
                    if hits.is_empty() {
                        e.not_listed.push(url.clone());
                    }
                    e.feed_hits.extend(hits);
                }
            }
            self.reputation_apis(&targets, timeout, &mut e).await;
        }
        e
    }

    /// Reputation services, for the services the user has a key for.
    async fn reputation_apis(&self, targets: &Targets, timeout: Duration, e: &mut Enrichment) {
        let api = &self.cfg.api;
        let (gsb, vt, us) = (api.gsb(), api.virustotal(), api.urlscan());
        if gsb.is_none() && vt.is_none() && us.is_none() {
            return;
        }
        let client = match http_client(timeout) {
            Ok(c) => c,
            Err(note) => return e.notes.push(note),
        };
        let ttl = self.cfg.cache.api_ttl;
        let urls: Vec<String> = targets.urls.iter().take(10).cloned().collect();
        if let Some(key) = gsb.filter(|_| !urls.is_empty()) {
            let cache_key = urls.join("\n");
            match self.cache.get::<Vec<apis::ApiVerdict>>("api-gsb", &cache_key, ttl) {
                Some(v) => e.reputation.extend(v),
                None => match apis::safe_browsing(&client, &api.gsb_url, &key, &urls).await {
                    Ok(v) => {
                        self.cache.put("api-gsb", &cache_key, &v);
                        e.reputation.extend(v);
                    }
                    Err(note) => e.notes.push(note),
                },
            }
        }
        if let Some(key) = vt {
            for url in urls.iter().take(4) {
                match self.cache.get::<apis::ApiVerdict>("api-vt", url, ttl) {
                    Some(v) => e.reputation.push(v),
                    None => match apis::virustotal(&client, &api.virustotal_url, &key, url).await {
                        Ok(v) => {
                            self.cache.put("api-vt", url, &v);
                            e.reputation.push(v);
                        }
                        Err(note) => e.notes.push(note),
                    },
                }
            }
        }
        if let Some(key) = us {
            for d in targets.link_domains.iter().take(4) {
                match self.cache.get::<apis::ApiVerdict>("api-urlscan", d, ttl) {
                    Some(v) => e.reputation.push(v),
                    None => match apis::urlscan(&client, &api.urlscan_url, &key, d).await {
                        Ok(v) => {
                            self.cache.put("api-urlscan", d, &v);
                            e.reputation.push(v);
                        }
                        Err(note) => e.notes.push(note),
                    },
                }
            }
        }
    }

    async fn registration(
        &self,
        client: Option<&reqwest::Client>,
        domain: &str,
        timeout: Duration,
    ) -> Result<Registration, String> {
        let tld = domain.rsplit('.').next().unwrap_or(domain).to_ascii_lowercase();
        let rdap_base = self.cfg.rdap.servers.get(&tld).map(String::as_str).or_else(|| {
            // A configured WHOIS server wins over the bundled bootstrap, but not over a
            // configured RDAP server.
            if self.cfg.whois.servers.contains_key(&tld) { None } else { self.bootstrap.base_for(&tld) }
        });
        if let (Some(base), Some(client)) = (rdap_base, client) {
            return tokio::time::timeout(timeout, registration::rdap(client, base, "domain", domain))
                .await
                .map_err(|_| format!("RDAP {domain}: timed out"))?;
        }
        if let Some(server) = self.cfg.whois.servers.get(&tld) {
            return registration::whois(server, domain, timeout).await;
        }
        Err(format!(
            "no RDAP or WHOIS server known for .{tld} (add one under [rdap.servers] or [whois.servers])"
        ))
    }
}

fn existing(p: PathBuf) -> Option<PathBuf> {
    p.exists().then_some(p)
}

fn push_ip(ips: &mut Vec<(IpAddr, Vec<String>)>, ip: IpAddr, why: &str) {
    if let Some((_, seen)) = ips.iter_mut().find(|(i, _)| *i == ip) {
        if !seen.iter().any(|s| s == why) {
            seen.push(why.to_string());
        }
    } else {
        ips.push((ip, vec![why.to_string()]));
    }
}

fn http_client(timeout: Duration) -> Result<reqwest::Client, String> {
    // ring as the TLS provider; installing twice is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(timeout)
        .user_agent(concat!("kaibo/", env!("CARGO_PKG_VERSION"), " (phishing analysis; RDAP client)"))
        .build()
        .map_err(|e| format!("HTTP client: {e}"))
}

/// What to look up for one mail.
struct Targets {
    hosts: Vec<String>,
    domains: Vec<String>,
    ips: Vec<(IpAddr, Vec<String>)>,
    urls: Vec<String>,
    /// Registrable domains of the links only (the sender's is in `domains` too).
    link_domains: Vec<String>,
    sender_domain: Option<String>,
}

impl Targets {
    fn of(a: &Analysis) -> Targets {
        let mut t = Targets {
            hosts: Vec::new(),
            domains: Vec::new(),
            ips: Vec::new(),
            urls: Vec::new(),
            link_domains: Vec::new(),
            sender_domain: None,
        };
        for u in &a.observables.urls {
            if !t.urls.contains(&u.facts.url) && t.urls.len() < 50 {
                t.urls.push(u.facts.url.clone());
            }
            let Some(host) = &u.facts.host else { continue };
            if u.facts.is_ip {
                if let Ok(ip) = host.trim_matches(['[', ']']).parse() {
                    push_ip(&mut t.ips, ip, "link");
                }
                continue;
            }
            if !t.hosts.contains(host) && t.hosts.len() < MAX_HOSTS {
                t.hosts.push(host.clone());
            }
            if let Some(d) = &u.facts.registrable_domain
                && !t.domains.contains(d)
                && t.domains.len() < MAX_DOMAINS
            {
                t.domains.push(d.clone());
            }
            if let Some(d) = &u.facts.registrable_domain
                && !t.link_domains.contains(d)
            {
                t.link_domains.push(d.clone());
            }
        }
        if let Some(d) = sender_domain(a).filter(|d| d.contains('.')) {
            if let Some(reg) = kaibo_core::urls::registrable_domain(&d)
                && !t.domains.contains(&reg)
                && t.domains.len() < MAX_DOMAINS
            {
                t.domains.push(reg);
            }
            t.sender_domain = Some(d);
        }
        for ip in &a.observables.ips {
            if let Ok(ip) = ip.parse::<IpAddr>()
                && !t.ips.iter().any(|(i, _)| *i == ip)
            {
                push_ip(&mut t.ips, ip, "sender hop");
            }
        }
        t
    }
}

/// Registrars abuse statistics keep naming (`data/infrastructure.toml`).
fn abused_registrars() -> &'static [String] {
    #[derive(Deserialize)]
    struct File {
        abused_registrars: Vec<String>,
    }
    static LIST: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    LIST.get_or_init(|| {
        toml::from_str::<File>(include_str!("../../../data/infrastructure.toml"))
            .map(|f| f.abused_registrars.into_iter().map(|r| r.to_lowercase()).collect())
            .unwrap_or_default()
    })
}

/// The domain of the From address, lower-cased.
fn sender_domain(a: &Analysis) -> Option<String> {
    let address = a.message.from.address.as_deref()?;
    address.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase())
}

/// Turns what the rungs found into findings of the catalog, and judges the mail again.
pub fn apply(a: &mut Analysis, e: &Enrichment, cfg: &Config) {
    // Feeds.
    let mut exact: Vec<Evidence> = Vec::new();
    let mut host: Vec<Evidence> = Vec::new();
    for h in &e.feed_hits {
        let when = h.listed_at.as_deref().map(|d| format!(" (listed {d})")).unwrap_or_default();
        let ev = Evidence::new(format!("feed:{}", h.feed), format!("{}{when}", h.listed));
        if h.matched == "url" { exact.push(ev) } else { host.push(ev) }
    }
    if !exact.is_empty() {
        a.add_finding("enrich.feed_listed", exact);
    } else if !host.is_empty() {
        a.add_finding("enrich.feed_listed_host", host);
    }
    // Reputation services.
    let by = |service: &str, verdict: &str| -> Vec<Evidence> {
        e.reputation
            .iter()
            .filter(|r| r.service == service && r.verdict == verdict)
            .map(|r| {
                Evidence::new(format!("{service} ({})", r.checked_at), format!("{}: {}", r.subject, r.detail))
            })
            .collect()
    };
    let listed = by("safe_browsing", "listed");
    if !listed.is_empty() {
        a.add_finding("enrich.safe_browsing_listed", listed);
    }
    let malicious = by("virustotal", "malicious");
    if !malicious.is_empty() {
        a.add_finding("enrich.virustotal_malicious", malicious);
    }
    // Young domains: the links' and the sender's (a domain registered last week sending "your
    // account" mail is as telling as a link to one).
    let sent_day = a
        .message
        .date
        .as_deref()
        .and_then(registration::days_from_civil)
        .unwrap_or_else(|| cache::now().div_euclid(86_400));
    for r in e.registrations.iter().filter(|r| r.query.parse::<IpAddr>().is_err()) {
        let Some(created) = r.created.as_deref().and_then(registration::days_from_civil) else { continue };
        let age = sent_day - created;
        if (0..=cfg.young_domain_days).contains(&age) {
            a.add_finding(
                "enrich.young_domain",
                vec![
                    Evidence::new("domain", r.query.clone()),
                    Evidence::new(
                        r.source.clone(),
                        format!(
                            "created {} — {age} days before the mail",
                            r.created.clone().unwrap_or_default()
                        ),
                    ),
                ],
            );
        }
    }
    // Registrars that abuse statistics keep naming (links' domains only).
    let link_domains: Vec<&str> =
        a.observables.urls.iter().filter_map(|u| u.facts.registrable_domain.as_deref()).collect();
    let abused: Vec<Evidence> = e
        .registrations
        .iter()
        .filter(|r| link_domains.contains(&r.query.as_str()))
        .filter_map(|r| {
            let name = r.registrar.as_deref()?;
            let lower = name.to_lowercase();
            abused_registrars()
                .iter()
                .any(|x| lower.contains(x.as_str()))
                .then(|| Evidence::new(r.source.clone(), format!("{}: registrar {name}", r.query)))
        })
        .collect();
    if !abused.is_empty() {
        a.add_finding("enrich.abused_registrar", abused);
    }
    // Link hosts that do not exist.
    let gone: Vec<Evidence> = e
        .hosts
        .iter()
        .filter(|h| h.status == "nxdomain")
        .map(|h| Evidence::new("dns", format!("{}: NXDOMAIN", h.host)))
        .collect();
    if !gone.is_empty() {
        a.add_finding("enrich.link_host_gone", gone);
    }
    // The sender's domain forbids what this mail did.
    if let Some(p) = &e.sender_policy
        && matches!(p.dmarc_policy.as_deref(), Some("reject" | "quarantine"))
        && a.authentication.dmarc.as_deref() == Some("fail")
    {
        a.add_finding(
            "enrich.sender_dmarc_enforced",
            vec![Evidence::new(format!("dns:_dmarc.{}", p.domain), p.dmarc.clone().unwrap_or_default())],
        );
    }
    // A ccTLD sender linking to a server in another country.
    let sender_country = sender_domain(a)
        .and_then(|d| kaibo_core::urls::parse_web_url(&format!("http://{d}/")))
        .and_then(|u| kaibo_core::urls::url_facts(&u, kaibo_core::knowledge::knowledge()).country);
    if let Some(sc) = sender_country {
        let differing: Vec<Evidence> = e
            .ips
            .iter()
            .filter(|i| i.seen_as.iter().any(|s| s.starts_with("link")))
            .filter_map(|i| {
                let c = i.country.as_deref()?;
                (!c.eq_ignore_ascii_case(&sc)).then(|| {
                    Evidence::new(
                        "geo",
                        format!("{} ({}) in {c}, sender domain in {sc}", i.ip, i.seen_as.join(", ")),
                    )
                })
            })
            .collect();
        if !differing.is_empty() {
            a.add_finding("enrich.link_country_differs", differing);
        }
    }
}

/// Downloads `url` to `dest` (gunzipping a gzip answer), writing a temporary file and renaming
/// it into place so a failed download never replaces a good file. Returns the bytes written.
pub fn download(url: &str, dest: &std::path::Path, timeout: Duration) -> Result<u64, String> {
    use std::io::Read as _;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    let body = rt.block_on(async {
        let client = http_client(timeout)?;
        let resp = client.get(url).send().await.map_err(|e| format!("{url}: {e}"))?;
        if !resp.status().is_success() {
            return Err(format!("{url}: HTTP {}", resp.status()));
        }
        resp.bytes().await.map_err(|e| format!("{url}: {e}"))
    })?;
    let data = if body.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&body[..])
            .take(2 << 30)
            .read_to_end(&mut out)
            .map_err(|e| format!("{url}: gzip: {e}"))?;
        out
    } else {
        body.to_vec()
    };
    let parent = dest.parent().ok_or("destination has no folder")?;
    std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    let tmp = parent.join(format!(".{}.download", std::process::id()));
    std::fs::write(&tmp, &data).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, dest).map_err(|e| format!("{}: {e}", dest.display()))?;
    Ok(data.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rungs() {
        assert_eq!(
            Rungs::parse("dns, whois").unwrap(),
            Rungs { dns: true, rdap: true, geo: false, feeds: false }
        );
        assert!(Rungs::parse("dns,fetch").is_err());
        assert_eq!(Rungs::parse("all").unwrap(), Rungs::all());
    }

    /// Every `enrich.*` id this crate reports is in the catalog.
    #[test]
    fn finding_ids_exist() {
        let src = include_str!("lib.rs");
        let k = kaibo_core::knowledge::knowledge();
        let mut n = 0;
        for (i, _) in src.match_indices("\"enrich.") {
            let id: String = src[i + 1..].chars().take_while(|c| *c != '"').collect();
            if id.chars().all(|c| c.is_ascii_lowercase() || c == '.' || c == '_') && id.len() > 7 {
                assert!(k.finding(&id).is_some(), "{id} missing from data/findings.toml");
                n += 1;
            }
        }
        assert!(n >= 6);
    }

    #[test]
    fn abused_registrar_list_loads() {
        assert!(abused_registrars().iter().any(|r| r == "regru"));
    }

    #[test]
    fn bundled_bootstrap_loads() {
        let b = Bootstrap::bundled();
        assert!(b.base_for("com").is_some_and(|u| u.starts_with("https://")));
        assert!(b.base_for("ru").is_none());
    }
}
