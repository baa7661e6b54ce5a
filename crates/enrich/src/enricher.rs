//! The enricher: runs the asked-for rungs for one analysed mail, concurrently under one limit,
//! each lookup with a timeout and its answer cached, and hands the mail back judged with what
//! they found.

use std::path::PathBuf;
use std::time::Duration;

use kaibo_core::Analysis;
use kaibo_model::{Dissection, Visit};
use serde::Serialize;

use crate::dns::{self, DnsStatus, HostDns};
use crate::feeds::FeedIndex;
use crate::geo::{GeoDb, IpInfo};
use crate::registration::{self, Bootstrap, Registration};
use crate::targets::{MAX_IP_RDAP, MAX_IPS, Targets, push_ip};
use crate::{Config, Enrichment, Rungs, apis, cache};

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
        let mut setup_notes = Vec::new();
        // A downloaded bootstrap that does not read is said, and the bundled one used.
        let bootstrap =
            match cfg.rdap.bootstrap_file.clone().or_else(|| existing(data_dir.join("rdap-dns.json"))) {
                Some(path) => std::fs::read_to_string(&path)
                    .map_err(|e| format!("{}: {e}", path.display()))
                    .and_then(|t| {
                        Bootstrap::parse(&path.display().to_string(), &t).map_err(|e| e.to_string())
                    })
                    .unwrap_or_else(|why| {
                        setup_notes.push(format!("RDAP bootstrap: {why}; the bundled one is used"));
                        Bootstrap::bundled().clone()
                    }),
                None => Bootstrap::bundled().clone(),
            };
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
        crate::judge(analysis, enrichment, visit, &self.cfg)
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
        let limit = tokio::sync::Semaphore::new(self.cfg.concurrency.max(1));
        let targets = Targets::of(a);
        // DNS: link hosts, then the sender's policy.
        if self.rungs.dns {
            self.dns(&targets, &mut e, &limit).await;
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
            self.registrations(&targets, &ips, &mut e, &limit).await;
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

    /// DNS: the link hosts, then the sender's policy.
    async fn dns(&self, targets: &Targets, e: &mut Enrichment, limit: &tokio::sync::Semaphore) {
        let timeout = Duration::from_millis(self.cfg.timeout_ms);
        let ttl = &self.cfg.cache;
        match &self.resolver {
            Ok(r) => {
                let jobs = targets.hosts.iter().map(|h| async move {
                    let lookup = async {
                        let _permit = limit.acquire().await;
                        match tokio::time::timeout(timeout * 4, dns::lookup_host(r, h)).await {
                            Ok(found) if found.status != DnsStatus::Failed => Ok(found),
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
                                status: DnsStatus::Failed,
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

    /// What the registries say about the registrable domains, and about a few public IPs.
    async fn registrations(
        &self,
        targets: &Targets,
        ips: &[(std::net::IpAddr, Vec<String>)],
        e: &mut Enrichment,
        limit: &tokio::sync::Semaphore,
    ) {
        let timeout = Duration::from_millis(self.cfg.timeout_ms);
        let ttl = &self.cfg.cache;
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

pub(crate) fn http_client(timeout: Duration) -> Result<reqwest::Client, String> {
    // ring as the TLS provider; installing twice is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(timeout)
        .user_agent(concat!("kaibo/", env!("CARGO_PKG_VERSION"), " (phishing analysis; RDAP client)"))
        .build()
        .map_err(|e| format!("HTTP client: {e}"))
}
