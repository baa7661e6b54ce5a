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
//! - [`feeds`]: OpenPhish, PhishTank, URLhaus and JPCERT/CC lists, loaded from local files;
//! - the landing-page visit ([`kaibo_visit`]): fetch and render, only when asked for by name
//!   (`--visit`, `--render`; `--online` does not include them, because visiting a link can tell
//!   the attacker that the mail was opened).
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
use std::time::Duration;

use kaibo_core::{Analysis, Evidence, FindingId, ProposedFinding, ids};
use kaibo_model::{Dissection, Visit};
use serde::{Deserialize, Serialize};

pub use config::Config;
use dns::HostDns;
use feeds::FeedIndex;
use geo::{GeoDb, IpInfo};
pub use kaibo_model::enrichment::{CacheStats, Enrichment};
use registration::{Bootstrap, Registration};

/// The rungs of the online ladder.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rungs {
    pub dns: bool,
    pub rdap: bool,
    pub geo: bool,
    pub feeds: bool,
    /// Visit the landing page (HTTP, no browser).
    pub fetch: bool,
    /// Screenshot the landing page in headless Chromium (implies `fetch`).
    pub render: bool,
}

impl Rungs {
    /// The lookup rungs: what `--online` means. The visit rungs are asked for by name.
    pub fn all() -> Rungs {
        Rungs { dns: true, rdap: true, geo: true, feeds: true, fetch: false, render: false }
    }

    /// Parses `dns,rdap,geo,feeds,fetch,render` (`whois` is an alias of `rdap`, `visit` of
    /// `fetch`; `render` implies `fetch`).
    pub fn parse(list: &str) -> Result<Rungs, String> {
        let mut r = Rungs::default();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match item {
                "dns" => r.dns = true,
                "rdap" | "whois" => r.rdap = true,
                "geo" => r.geo = true,
                "feeds" => r.feeds = true,
                "fetch" | "visit" => r.fetch = true,
                "render" => (r.fetch, r.render) = (true, true),
                "all" => r = Rungs { fetch: r.fetch, render: r.render, ..Rungs::all() },
                other => {
                    return Err(format!(
                        "unknown enrichment rung `{other}` (dns, rdap, geo, feeds, fetch, render)"
                    ));
                }
            }
        }
        Ok(r)
    }

    pub fn any(&self) -> bool {
        self.dns || self.rdap || self.geo || self.feeds || self.fetch || self.render
    }

    /// Whether a lookup rung (not a visit rung) was asked for.
    pub fn any_lookup(&self) -> bool {
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

/// Limits per mail, so a mail with 500 links does not become 2,000 lookups.
const MAX_HOSTS: usize = 15;
const MAX_DOMAINS: usize = 8;
const MAX_IPS: usize = 16;
const MAX_IP_RDAP: usize = 4;

/// Runs the rungs. Everything that does not depend on the mail is set up once, here: the
/// runtime, the resolver (with its own answer cache), the HTTP client, the geolocation
/// databases and the feed index, so a scan of many mails pays for them once.
pub struct Enricher {
    cfg: Config,
    rungs: Rungs,
    cache: cache::Cache,
    bootstrap: Bootstrap,
    /// Shared by the threads that call [`Enricher::enrich`] (a scan's workers).
    rt: Option<tokio::runtime::Runtime>,
    resolver: Result<hickory_resolver::TokioResolver, String>,
    client: Result<reqwest::Client, String>,
    geo: Option<GeoDb>,
    feeds: Option<FeedIndex>,
    visitor: Option<kaibo_visit::Visitor>,
    /// What went wrong while setting up (a missing database or feed file), told with every mail.
    setup_notes: Vec<String>,
}

impl Enricher {
    /// `cache_dir: None` disables the cache.
    pub fn new(cfg: Config, rungs: Rungs, cache_dir: Option<PathBuf>, data_dir: PathBuf) -> Enricher {
        let bootstrap = cfg
            .rdap
            .bootstrap_file
            .clone()
            .or_else(|| existing(data_dir.join("rdap-dns.json")))
            .and_then(|p| std::fs::read_to_string(p).ok())
            .and_then(|t| Bootstrap::parse(&t).ok())
            .unwrap_or_else(Bootstrap::bundled);
        let mut setup_notes = Vec::new();
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build();
        let rt = match rt {
            Ok(rt) => Some(rt),
            Err(e) => {
                setup_notes.push(format!("cannot start the lookup runtime: {e}"));
                None
            }
        };
        let timeout = Duration::from_millis(cfg.timeout_ms);
        // The resolver binds to the runtime it is built in.
        let resolver = match &rt {
            Some(rt) if rungs.dns || rungs.fetch => {
                let _inside = rt.enter();
                dns::resolver(&cfg.dns, timeout)
            }
            _ => Err("DNS was not asked for".to_string()),
        };
        let client = http_client(timeout);
        let geo = rungs.geo.then(|| {
            let city = cfg.geo.city.clone().or_else(|| existing(data_dir.join("geo/city.mmdb")));
            let asn = cfg.geo.asn.clone().or_else(|| existing(data_dir.join("geo/asn.mmdb")));
            let db = GeoDb::open(city.as_deref(), asn.as_deref(), &mut setup_notes);
            if db.is_empty() {
                setup_notes.push(
                    "geolocation: no database (run `kaibo db update`, or set [geo] in the config)".into(),
                );
            }
            db
        });
        let feeds = rungs.feeds.then(|| FeedIndex::load(&cfg.feeds.sources, &data_dir, &mut setup_notes));
        let visitor = match (&rt, &resolver) {
            (Some(rt), Ok(r)) if rungs.fetch => {
                let _inside = rt.enter();
                match kaibo_visit::Visitor::new(cfg.visit.clone(), r.clone(), rungs.render) {
                    Ok(v) => Some(v),
                    Err(e) => {
                        setup_notes.push(format!("visit: {e}"));
                        None
                    }
                }
            }
            (_, Err(e)) if rungs.fetch => {
                setup_notes.push(format!("visit: {e}"));
                None
            }
            _ => None,
        };
        Enricher {
            cfg,
            rungs,
            cache: cache::Cache::new(cache_dir),
            bootstrap,
            rt,
            resolver,
            client,
            geo,
            feeds,
            visitor,
            setup_notes,
        }
    }

    pub fn rungs(&self) -> Rungs {
        self.rungs
    }

    /// Runs the chosen rungs on an analysed mail and judges it again with what they found: the
    /// mail's dissection. The enrichment is in it when a lookup rung ran, the visit when the
    /// landing page was visited.
    pub fn dissect(&self, analysis: Analysis) -> Dissection {
        let (enrichment, visit) = self.gather(&analysis);
        judge(analysis, enrichment, visit, &self.cfg)
    }

    /// Runs the chosen rungs for one analysed mail.
    fn gather(&self, a: &Analysis) -> (Enrichment, Option<Visit>) {
        let Some(rt) = &self.rt else {
            let e = Enrichment {
                rungs: self.rungs.names(),
                notes: self.setup_notes.clone(),
                ..Default::default()
            };
            return (e, None);
        };
        let before = (
            self.cache.hits.load(std::sync::atomic::Ordering::Relaxed),
            self.cache.misses.load(std::sync::atomic::Ordering::Relaxed),
        );
        let (mut e, visit) = rt.block_on(self.run(a));
        // Other scan workers share the counters: this is approximate under parallelism.
        e.cache.hits = self.cache.hits.load(std::sync::atomic::Ordering::Relaxed).saturating_sub(before.0);
        e.cache.misses =
            self.cache.misses.load(std::sync::atomic::Ordering::Relaxed).saturating_sub(before.1);
        (e, visit)
    }

    /// The cached answer of `kind`/`key`, or `fetch`'s, which is then cached. Errors are not.
    async fn cached<T: Serialize + serde::de::DeserializeOwned>(
        &self,
        kind: &str,
        key: &str,
        ttl: u64,
        fetch: impl std::future::Future<Output = Result<T, String>>,
    ) -> Result<T, String> {
        if let Some(hit) = self.cache.get::<T>(kind, key, ttl) {
            return Ok(hit);
        }
        let found = fetch.await;
        if let Ok(v) = &found {
            self.cache.put(kind, key, v);
        }
        found
    }

    async fn run(&self, a: &Analysis) -> (Enrichment, Option<Visit>) {
        let mut e =
            Enrichment { rungs: self.rungs.names(), notes: self.setup_notes.clone(), ..Default::default() };
        let timeout = Duration::from_millis(self.cfg.timeout_ms);
        let limit = tokio::sync::Semaphore::new(self.cfg.concurrency.max(1));
        let limit = &limit;
        let targets = Targets::of(a);
        let ttl = &self.cfg.cache;

        // DNS: link hosts, then the sender's policy.
        if self.rungs.dns {
            match &self.resolver {
                Ok(r) => {
                    let jobs = targets.hosts.iter().map(|h| async move {
                        let lookup = async {
                            let _permit = limit.acquire().await;
                            match tokio::time::timeout(timeout * 4, dns::lookup_host(r, h)).await {
                                Ok(found) if found.status != "failed" => Ok(found),
                                _ => Err(format!("DNS lookup of {h} failed")),
                            }
                        };
                        self.cached("dns", h, ttl.dns_ttl, lookup).await
                    });
                    for r in futures_util::future::join_all(jobs).await.into_iter().zip(&targets.hosts) {
                        match r {
                            (Ok(found), _) => e.hosts.push(found),
                            (Err(note), h) => {
                                e.notes.push(note);
                                e.hosts.push(HostDns {
                                    host: h.clone(),
                                    status: "failed".into(),
                                    ..Default::default()
                                });
                            }
                        }
                    }
                    if let Some(d) = &targets.sender_domain {
                        let lookup = async {
                            tokio::time::timeout(timeout * 2, dns::sender_policy(r, d))
                                .await
                                .map_err(|_| format!("DNS lookup of the policies of {d} timed out"))
                        };
                        match self.cached("dns", &format!("policy:{d}"), ttl.dns_ttl, lookup).await {
                            Ok(p) => e.sender_policy = Some(p),
                            Err(note) => e.notes.push(note),
                        }
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
            let client = match &self.client {
                Ok(c) => Some(c),
                Err(err) => {
                    e.notes.push(err.clone());
                    None
                }
            };
            let jobs = targets.domains.iter().map(|d| async move {
                let lookup = async {
                    let _permit = limit.acquire().await;
                    self.registration(client, d, timeout).await
                };
                self.cached("rdap", d, ttl.rdap_ttl, lookup).await
            });
            let public_ips = ips.iter().map(|(ip, _)| *ip).filter(|ip| kaibo_core::net::is_public_ip(*ip));
            let ip_jobs = public_ips.take(MAX_IP_RDAP).map(|ip| async move {
                let key = ip.to_string();
                let lookup = async {
                    let client = client.ok_or("RDAP: no HTTP client")?;
                    let _permit = limit.acquire().await;
                    tokio::time::timeout(
                        timeout,
                        registration::rdap(client, &self.cfg.rdap.ip_server, "ip", &key),
                    )
                    .await
                    .map_err(|_| format!("RDAP {key}: timed out"))?
                };
                self.cached("rdap-ip", &key, ttl.rdap_ttl, lookup).await
            });
            let (domains, ips_found) = futures_util::future::join(
                futures_util::future::join_all(jobs),
                futures_util::future::join_all(ip_jobs),
            )
            .await;
            for r in domains.into_iter().chain(ips_found) {
                match r {
                    Ok(r) => e.registrations.push(r),
                    Err(note) => e.notes.push(note),
                }
            }
        }

        e.ips = ips
            .iter()
            .map(|(ip, seen_as)| {
                let mut info = IpInfo { ip: ip.to_string(), seen_as: seen_as.clone(), ..Default::default() };
                if let Some(db) = &self.geo {
                    db.lookup(*ip, &mut info);
                }
                info
            })
            .collect();

        if let Some(index) = &self.feeds {
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
            self.reputation_apis(&targets, &mut e).await;
        }

        // The landing pages, last: the lookups above never depend on them.
        let visit = if let Some(visitor) = &self.visitor {
            let v = visitor.visit_mail(a).await;
            self.locate_hops(&v, &mut e);
            Some(v)
        } else if self.rungs.fetch {
            let notes = self.setup_notes.iter().filter(|n| n.starts_with("visit")).cloned().collect();
            Some(Visit { rungs: vec!["fetch".into()], notes, ..Default::default() })
        } else {
            None
        };
        (e, visit)
    }

    /// Visits URLs given directly (`kaibo visit URL…`).
    pub fn visit_urls(&self, urls: &[String]) -> Option<Visit> {
        let (rt, visitor) = (self.rt.as_ref()?, self.visitor.as_ref()?);
        let v = rt.block_on(visitor.visit_urls(urls));
        Some(v)
    }

    /// Geolocates the addresses the visit connected to, when a database is loaded.
    fn locate_hops(&self, v: &Visit, e: &mut Enrichment) {
        let Some(db) = &self.geo else { return };
        for hop in v.pages.iter().flat_map(|p| &p.chain) {
            let Some(ip) = hop.ip else { continue };
            let key = ip.to_string();
            if e.ips.iter().any(|i| i.ip == key) || e.ips.len() >= MAX_IPS + 4 {
                continue;
            }
            let mut info = IpInfo { ip: key, seen_as: vec!["landing page".into()], ..Default::default() };
            db.lookup(ip, &mut info);
            e.ips.push(info);
        }
    }

    /// Why the visit rungs could not run, when they were asked for and could not start.
    pub fn setup_notes(&self) -> &[String] {
        &self.setup_notes
    }

    /// Reputation services, for the services the user has a key for.
    async fn reputation_apis(&self, targets: &Targets, e: &mut Enrichment) {
        let api = &self.cfg.api;
        let (gsb, vt, us) = (api.gsb(), api.virustotal(), api.urlscan());
        if gsb.is_none() && vt.is_none() && us.is_none() {
            return;
        }
        let client = match &self.client {
            Ok(c) => c,
            Err(note) => return e.notes.push(note.clone()),
        };
        let ttl = self.cfg.cache.api_ttl;
        let urls: Vec<String> = targets.urls.iter().take(10).cloned().collect();
        if let Some(key) = gsb.filter(|_| !urls.is_empty()) {
            let lookup = apis::safe_browsing(client, &api.gsb_url, &key, &urls);
            match self.cached("api-gsb", &urls.join("\n"), ttl, lookup).await {
                Ok(v) => e.reputation.extend(v),
                Err(note) => e.notes.push(note),
            }
        }
        let mut asked: Vec<Result<apis::ApiVerdict, String>> = Vec::new();
        if let Some(key) = &vt {
            for url in urls.iter().take(4) {
                let lookup = apis::virustotal(client, &api.virustotal_url, key, url);
                asked.push(self.cached("api-vt", url, ttl, lookup).await);
            }
        }
        if let Some(key) = &us {
            for d in targets.link_domains.iter().take(4) {
                let lookup = apis::urlscan(client, &api.urlscan_url, key, d);
                asked.push(self.cached("api-urlscan", d, ttl, lookup).await);
            }
        }
        for r in asked {
            match r {
                Ok(v) => e.reputation.push(v),
                Err(note) => e.notes.push(note),
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

/// The dissection of a mail from its offline analysis and what the online rungs found: their
/// findings added and the mail judged again. The enrichment is kept when a lookup rung ran.
pub fn judge(
    mut analysis: Analysis,
    enrichment: Enrichment,
    visit: Option<Visit>,
    cfg: &Config,
) -> Dissection {
    let mut proposed = visit.as_ref().map(|v| kaibo_visit::findings(&analysis, v)).unwrap_or_default();
    proposed.extend(findings(&analysis, &enrichment, cfg));
    kaibo_core::ledger::add_proposed(&mut analysis, proposed);
    let enrichment = (!enrichment.rungs.is_empty()).then_some(enrichment);
    Dissection { analysis, enrichment, visit }
}

/// The findings what the lookup rungs found makes, for the core's ledger to add.
fn findings(a: &Analysis, e: &Enrichment, cfg: &Config) -> Vec<ProposedFinding> {
    let mut out = Vec::new();
    let mut propose = |id: FindingId, evidence: Vec<Evidence>| out.push(ProposedFinding::new(id, evidence));
    // Feeds.
    let mut exact: Vec<Evidence> = Vec::new();
    let mut host: Vec<Evidence> = Vec::new();
    for h in &e.feed_hits {
        let when = h.listed_at.as_deref().map(|d| format!(" (listed {d})")).unwrap_or_default();
        let ev = Evidence::new(format!("feed:{}", h.feed), format!("{}{when}", h.listed));
        if h.matched == "url" { exact.push(ev) } else { host.push(ev) }
    }
    if !exact.is_empty() {
        propose(ids::ENRICH_FEED_LISTED, exact);
    } else if !host.is_empty() {
        propose(ids::ENRICH_FEED_LISTED_HOST, host);
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
        propose(ids::ENRICH_SAFE_BROWSING_LISTED, listed);
    }
    let malicious = by("virustotal", "malicious");
    if !malicious.is_empty() {
        propose(ids::ENRICH_VIRUSTOTAL_MALICIOUS, malicious);
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
            propose(
                ids::ENRICH_YOUNG_DOMAIN,
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
        propose(ids::ENRICH_ABUSED_REGISTRAR, abused);
    }
    // Link hosts that do not exist.
    let gone: Vec<Evidence> = e
        .hosts
        .iter()
        .filter(|h| h.status == "nxdomain")
        .map(|h| Evidence::new("dns", format!("{}: NXDOMAIN", h.host)))
        .collect();
    if !gone.is_empty() {
        propose(ids::ENRICH_LINK_HOST_GONE, gone);
    }
    // The sender's domain forbids what this mail did.
    if let Some(p) = &e.sender_policy
        && matches!(p.dmarc_policy.as_deref(), Some("reject" | "quarantine"))
        && a.authentication.dmarc.as_deref() == Some("fail")
    {
        propose(
            ids::ENRICH_SENDER_DMARC_ENFORCED,
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
            propose(ids::ENRICH_LINK_COUNTRY_DIFFERS, differing);
        }
    }
    out
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
            Rungs { dns: true, rdap: true, ..Default::default() }
        );
        assert!(Rungs::parse("dns,screenshot").is_err());
        assert_eq!(Rungs::parse("all").unwrap(), Rungs::all());
        assert!(!Rungs::all().fetch, "--online does not visit links");
        let r = Rungs::parse("render").unwrap();
        assert!(r.fetch && r.render && !r.any_lookup());
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
