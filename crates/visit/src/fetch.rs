//! The fetch rung: follows a link hop by hop, the way a browser would, without being one.
//!
//! kaibo follows redirects itself (HTTP 3xx, meta refresh, and `location = "…"` assignments
//! read as text), so that every hop is recorded (URL, status, address, server, TLS certificate)
//! and checked by the [`guard`](crate::guard) before any connection is opened: each host name
//! is resolved here, every address is vetted, and the HTTP client is handed only the vetted
//! addresses through a pinning resolver, so it cannot resolve the name again and land
//! elsewhere. Only `GET` is ever sent: no cookies are kept, no credentials, no form is
//! submitted. Headers look like a browser's (kits cloak against crawlers); bodies are capped,
//! and the whole visit has one deadline, so a slow-loris server costs seconds, not a hang.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hickory_resolver::TokioResolver;
pub use kaibo_model::visit::{FetchHop, HopVia, TlsCert, VisitOutcome};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::time::Instant;
use url::Url;

use crate::guard::Guard;
use crate::page;

/// Browser-like request headers. kaibo identifies itself only when told to.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct Profile {
    pub user_agent: String,
    pub accept_language: String,
}

impl Profile {
    /// `desktop` (Chrome on Windows) or `mobile` (Safari on iPhone): kits often serve the
    /// phishing page only to one of them.
    pub fn named(name: &str) -> Option<Profile> {
        let ua = match name {
            "desktop" => {
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36"
            }
            "mobile" => {
                "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1"
            }
            _ => return None,
        };
        Some(Profile { user_agent: ua.into(), accept_language: "ja,en-US;q=0.9,en;q=0.8".into() })
    }
}

/// Limits of one visit.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_hops: usize,
    pub max_bytes: usize,
    pub total: Duration,
    pub connect: Duration,
}

/// How a visit ended, and what it read last.
#[derive(Debug, Default)]
pub struct Followed {
    pub chain: Vec<FetchHop>,
    pub outcome: VisitOutcome,
    pub final_url: Option<Url>,
    /// The final HTML, decoded.
    pub html: Option<String>,
}

/// The addresses vetted in one visit, per (host, port), and the host the client is about to
/// connect to. A visit's requests are made one after the other, so the HTTP client's resolver
/// (which is told only the host name) is answered from the last vetting of that host; after the
/// connection, the peer address is checked against the vetting of exactly that (host, port).
/// Each visit has its own table: concurrent visits, and the retry after a TLS error, cannot
/// connect where another visit vetted.
#[derive(Default)]
struct Pins(Mutex<PinTable>);

#[derive(Default)]
struct PinTable {
    vetted: HashMap<(String, u16), Vec<SocketAddr>>,
    active: HashMap<String, Vec<SocketAddr>>,
}

impl Pins {
    fn pin(&self, host: &str, port: u16, addrs: Vec<SocketAddr>) {
        if let Ok(mut t) = self.0.lock() {
            t.active.insert(host.to_string(), addrs.clone());
            t.vetted.insert((host.to_string(), port), addrs);
        }
    }

    /// Whether `peer` is an address vetted for (`host`, `port`).
    fn vetted(&self, host: &str, port: u16, peer: SocketAddr) -> bool {
        self.0.lock().is_ok_and(|t| {
            t.vetted
                .get(&(host.to_string(), port))
                .is_some_and(|addrs| addrs.iter().any(|a| a.ip() == peer.ip()))
        }) && peer.port() == port
    }
}

struct PinnedResolve(Arc<Pins>);

impl reqwest::dns::Resolve for PinnedResolve {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let found = self.0.0.lock().ok().and_then(|t| t.active.get(name.as_str()).cloned());
        Box::pin(async move {
            match found {
                Some(addrs) if !addrs.is_empty() => Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs),
                _ => Err("kaibo: this host was not vetted by the guard".into()),
            }
        })
    }
}

/// The fetcher: the resolver, the guard, the request profile and the limits. Each visit runs in
/// a [`Session`] of its own.
pub struct Fetcher {
    resolver: TokioResolver,
    pub guard: Arc<Guard>,
    profile: Profile,
    limits: Limits,
}

/// One visit: its vetted addresses and two HTTP clients resolving only from them (one verifying
/// certificates, one that reads a page whose certificate is bad, so the analysis still sees it).
pub struct Session<'f> {
    fetcher: &'f Fetcher,
    pins: Arc<Pins>,
    strict: reqwest::Client,
    lax: reqwest::Client,
}

enum Vetted {
    Pinned,
    Stop { outcome: VisitOutcome, refused: Option<String>, error: Option<String> },
}

impl Fetcher {
    pub fn new(
        resolver: TokioResolver,
        guard: Arc<Guard>,
        profile: Profile,
        limits: Limits,
    ) -> Result<Fetcher, String> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let fetcher = Fetcher { resolver, guard, profile, limits };
        // Fail early on a client that cannot be built, not at the first visit.
        fetcher.session()?;
        Ok(fetcher)
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// A new visit, with its own pins and clients (building them takes a few milliseconds).
    pub fn session(&self) -> Result<Session<'_>, String> {
        let pins = Arc::new(Pins::default());
        let build = |lax: bool| {
            reqwest::Client::builder()
                .dns_resolver(Arc::new(PinnedResolve(pins.clone())))
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
                .connect_timeout(self.limits.connect)
                .pool_max_idle_per_host(0)
                .tls_info(true)
                .danger_accept_invalid_certs(lax)
                .build()
                .map_err(|e| format!("HTTP client: {e}"))
        };
        Ok(Session { fetcher: self, strict: build(false)?, lax: build(true)?, pins })
    }
}

impl Session<'_> {
    /// Resolves `url`'s host (or takes its literal address) and keeps the addresses the guard
    /// allows for its port.
    async fn vet(&self, url: &Url, deadline: Instant) -> Vetted {
        let port = url.port_or_known_default().unwrap_or(0);
        let ips: Vec<IpAddr> = match url.host() {
            Some(url::Host::Ipv4(ip)) => vec![IpAddr::V4(ip)],
            Some(url::Host::Ipv6(ip)) => vec![IpAddr::V6(ip)],
            Some(url::Host::Domain(name)) => {
                let fqdn = if name.ends_with('.') { name.to_string() } else { format!("{name}.") };
                match tokio::time::timeout_at(deadline, self.fetcher.resolver.lookup_ip(fqdn)).await {
                    Err(_) => {
                        return Vetted::Stop {
                            outcome: VisitOutcome::Timeout,
                            refused: None,
                            error: Some("DNS timed out".into()),
                        };
                    }
                    Ok(Err(e)) if e.is_nx_domain() => {
                        return Vetted::Stop {
                            outcome: VisitOutcome::Nxdomain,
                            refused: None,
                            error: Some(format!("{name}: NXDOMAIN")),
                        };
                    }
                    Ok(Err(e)) if e.is_no_records_found() => {
                        return Vetted::Stop {
                            outcome: VisitOutcome::Nxdomain,
                            refused: None,
                            error: Some(format!("{name}: no address")),
                        };
                    }
                    Ok(Err(e)) => {
                        return Vetted::Stop {
                            outcome: VisitOutcome::DnsFailed,
                            refused: None,
                            error: Some(e.to_string()),
                        };
                    }
                    Ok(Ok(found)) => found.iter().collect(),
                }
            }
            None => {
                return Vetted::Stop {
                    outcome: VisitOutcome::BadUrl,
                    refused: None,
                    error: Some("no host".into()),
                };
            }
        };
        let mut ok = Vec::new();
        let mut reasons = Vec::new();
        for ip in ips {
            let addr = SocketAddr::new(ip, port);
            match self.fetcher.guard.check(addr) {
                Ok(()) => ok.push(addr),
                Err(why) => reasons.push(why),
            }
        }
        if ok.is_empty() {
            let why = if reasons.is_empty() { "no address".to_string() } else { reasons.join("; ") };
            return Vetted::Stop { outcome: VisitOutcome::Refused, refused: Some(why), error: None };
        }
        if let Some(name) = url.host_str() {
            self.pins.pin(name.trim_matches(['[', ']']), port, ok);
        }
        Vetted::Pinned
    }

    /// Follows `start` to its final page, within the limits.
    pub async fn follow(&self, start: &Url) -> Followed {
        let limits = &self.fetcher.limits;
        let deadline = Instant::now() + limits.total;
        let mut out = Followed::default();
        let mut url = start.clone();
        let mut via = HopVia::Start;
        for _ in 0..=limits.max_hops {
            if out.chain.len() == limits.max_hops {
                out.outcome = VisitOutcome::TooManyHops;
                return out;
            }
            let began = Instant::now();
            let mut hop = FetchHop { url: url.to_string(), via, ..Default::default() };
            if !matches!(url.scheme(), "http" | "https") {
                hop.refused = Some(format!("the scheme {}: is not fetched", url.scheme()));
                out.chain.push(hop);
                out.outcome = VisitOutcome::Refused;
                return out;
            }
            match self.vet(&url, deadline).await {
                Vetted::Stop { outcome, refused, error } => {
                    hop.refused = refused;
                    hop.error = error;
                    hop.elapsed_ms = began.elapsed().as_millis() as u64;
                    out.chain.push(hop);
                    out.outcome = outcome;
                    return out;
                }
                Vetted::Pinned => {}
            }
            let got = self.get(&url, deadline, limits.max_bytes, &mut hop).await;
            hop.elapsed_ms = began.elapsed().as_millis() as u64;
            let Some((status, location, body)) = got else {
                out.outcome = if hop.refused.is_some() {
                    VisitOutcome::Refused
                } else if Instant::now() >= deadline {
                    VisitOutcome::Timeout
                } else {
                    VisitOutcome::ConnectFailed
                };
                out.chain.push(hop);
                return out;
            };
            if (300..400).contains(&status)
                && let Some(next) = location.and_then(|l| url.join(&l).ok())
            {
                out.chain.push(hop);
                url = next;
                via = HopVia::Http;
                continue;
            }
            let is_html = hop
                .content_type
                .as_deref()
                .map(|t| t.to_ascii_lowercase().contains("html"))
                .unwrap_or_else(|| body.iter().take(512).any(|b| *b == b'<'));
            if !is_html {
                if !hop.truncated && status < 400 {
                    hop.sha256 = Some(hex(&Sha256::digest(&body)));
                }
                out.chain.push(hop);
                out.outcome = if status >= 400 { VisitOutcome::HttpError } else { VisitOutcome::File };
                out.final_url = Some(url);
                return out;
            }
            let html = decode(&body, hop.content_type.as_deref());
            out.chain.push(hop);
            if status < 400
                && Instant::now() < deadline
                && let Some((next, how)) = page::client_redirect(&html, &url)
                && next != url
            {
                url = next;
                via = how;
                continue;
            }
            // A body cut by the deadline is still analysed, but the visit says it ran out of time.
            let timed_out = Instant::now() >= deadline;
            out.outcome = if timed_out {
                VisitOutcome::Timeout
            } else if status >= 400 {
                VisitOutcome::HttpError
            } else {
                VisitOutcome::Page
            };
            out.final_url = Some(url);
            out.html = Some(html);
            return out;
        }
        out.outcome = VisitOutcome::TooManyHops;
        out
    }

    /// A small extra request within the same visit (the favicon): vetted like any hop.
    pub async fn get_small(&self, url: &Url, cap: usize, within: Duration) -> Option<Vec<u8>> {
        let deadline = Instant::now() + within;
        if let Vetted::Stop { .. } = self.vet(url, deadline).await {
            return None;
        }
        let mut hop = FetchHop::default();
        let (status, _, body) = self.get(url, deadline, cap, &mut hop).await?;
        (status == 200 && !hop.truncated && !body.is_empty()).then_some(body)
    }

    /// One GET: status, Location and the body up to `cap` bytes. Fills the hop's facts. A
    /// certificate that does not verify is recorded and the page read anyway (nothing is sent).
    async fn get(
        &self,
        url: &Url,
        deadline: Instant,
        cap: usize,
        hop: &mut FetchHop,
    ) -> Option<(u16, Option<String>, Vec<u8>)> {
        let profile = &self.fetcher.profile;
        let send = |client: &reqwest::Client| {
            client
                .get(url.clone())
                .header(reqwest::header::USER_AGENT, &profile.user_agent)
                .header(
                    reqwest::header::ACCEPT,
                    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                )
                .header(reqwest::header::ACCEPT_LANGUAGE, &profile.accept_language)
                .send()
        };
        let mut tls_error = None;
        let resp = match tokio::time::timeout_at(deadline, send(&self.strict)).await {
            Err(_) => {
                hop.error = Some("timed out".into());
                return None;
            }
            Ok(Ok(r)) => r,
            Ok(Err(e)) if url.scheme() == "https" && !e.is_timeout() => {
                let why = error_chain(&e);
                match tokio::time::timeout_at(deadline, send(&self.lax)).await {
                    Ok(Ok(r)) => {
                        tls_error = Some(why);
                        r
                    }
                    Ok(Err(e2)) => {
                        hop.error = Some(error_chain(&e2));
                        return None;
                    }
                    Err(_) => {
                        hop.error = Some("timed out".into());
                        return None;
                    }
                }
            }
            Ok(Err(e)) => {
                hop.error = Some(error_chain(&e));
                return None;
            }
        };
        // The connection must have gone where the guard vetted this (host, port): anything else
        // is refused and its answer is not read.
        let port = url.port_or_known_default().unwrap_or(0);
        let host = url.host_str().unwrap_or("").trim_matches(['[', ']']);
        match resp.remote_addr() {
            Some(peer) if self.pins.vetted(host, port, peer) && self.fetcher.guard.check(peer).is_ok() => {}
            peer => {
                hop.ip = peer.map(|a| a.ip());
                hop.refused = Some(match peer {
                    Some(p) => format!("connected to {p}, which was not vetted for {host}:{port}"),
                    None => "the connected address is unknown, so it could not be checked".into(),
                });
                return None;
            }
        }
        let status = resp.status().as_u16();
        hop.status = Some(status);
        hop.ip = resp.remote_addr().map(|a| a.ip());
        let header = |name: reqwest::header::HeaderName| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.chars().take(300).collect::<String>())
        };
        hop.server = header(reqwest::header::SERVER);
        hop.content_type = header(reqwest::header::CONTENT_TYPE);
        let location = header(reqwest::header::LOCATION);
        if let Some(info) = resp.extensions().get::<reqwest::tls::TlsInfo>()
            && let Some(der) = info.peer_certificate()
        {
            hop.tls = cert_facts(der, tls_error.is_none(), tls_error.clone());
        }
        let mut resp = resp;
        let mut body = Vec::new();
        loop {
            match tokio::time::timeout_at(deadline, resp.chunk()).await {
                Err(_) => {
                    hop.error = Some(format!("timed out reading the body after {} bytes", body.len()));
                    hop.bytes = body.len();
                    // What arrived is kept: a slow page is still a page.
                    return if body.is_empty() { None } else { Some((status, location, body)) };
                }
                Ok(Err(e)) => {
                    hop.error = Some(error_chain(&e));
                    break;
                }
                Ok(Ok(None)) => break,
                Ok(Ok(Some(chunk))) => {
                    let room = cap.saturating_sub(body.len());
                    if chunk.len() > room {
                        body.extend_from_slice(&chunk[..room]);
                        hop.truncated = true;
                        break;
                    }
                    body.extend_from_slice(&chunk);
                }
            }
        }
        hop.bytes = body.len();
        Some((status, location, body))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The error and its causes ("error sending request: … : invalid peer certificate: …").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    s.chars().take(400).collect()
}

fn cert_facts(der: &[u8], verified: bool, error: Option<String>) -> Option<TlsCert> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let validity = cert.validity();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let day = |t: &x509_parser::time::ASN1Time| {
        let secs = t.timestamp();
        let days = secs.div_euclid(86_400);
        kaibo_core::calendar::civil_from_days(days)
    };
    Some(TlsCert {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        not_before: day(&validity.not_before),
        not_after: day(&validity.not_after),
        age_days: (now - validity.not_before.timestamp()).div_euclid(86_400),
        verified,
        error,
    })
}

/// Decodes an HTML body: the charset of the Content-Type, else of a `<meta>` in the first
/// 2 KB, else a guess (Japanese kits still come in Shift_JIS and EUC-JP).
pub fn decode(body: &[u8], content_type: Option<&str>) -> String {
    let label = |s: &str| {
        let lower = s.to_ascii_lowercase();
        let i = lower.find("charset=")?;
        let rest = &lower[i + 8..];
        let v: String = rest
            .trim_start_matches(['"', '\''])
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        encoding_rs::Encoding::for_label(v.as_bytes())
    };
    let head = String::from_utf8_lossy(&body[..body.len().min(2048)]);
    let enc = content_type
        .and_then(label)
        .or_else(|| {
            let lower = head.to_ascii_lowercase();
            let i = lower.find("<meta")?;
            label(&lower[i..])
        })
        .unwrap_or_else(|| {
            let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Allow);
            det.feed(&body[..body.len().min(64 * 1024)], true);
            det.guess(None, chardetng::Utf8Detection::Allow)
        });
    enc.decode(body).0.into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_declared_and_guessed_charsets() {
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("<title>ログイン</title>");
        assert!(decode(&sjis, Some("text/html; charset=Shift_JIS")).contains("ログイン"));
        let mut meta = b"<meta charset=\"shift_jis\">".to_vec();
        meta.extend_from_slice(&sjis);
        assert!(decode(&meta, Some("text/html")).contains("ログイン"));
        assert!(decode("<p>パスワード</p>".as_bytes(), None).contains("パスワード"));
    }

    #[test]
    fn pins_belong_to_one_visit_and_one_port() {
        let a: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let b: SocketAddr = "127.0.0.2:9090".parse().unwrap();
        let (one, two) = (Pins::default(), Pins::default());
        one.pin("login.example", 8080, vec![a]);
        two.pin("login.example", 9090, vec![b]);
        // Another visit's vetting of the same host changes nothing here.
        assert_eq!(one.0.lock().unwrap().active["login.example"], vec![a]);
        assert!(one.vetted("login.example", 8080, a));
        // An address vetted for one port is not vetted for another, nor is another address.
        assert!(!one.vetted("login.example", 9090, "127.0.0.1:9090".parse().unwrap()));
        assert!(!one.vetted("login.example", 8080, "127.0.0.2:8080".parse().unwrap()));
        assert!(!one.vetted("other.example", 8080, a));
        assert!(two.vetted("login.example", 9090, b));
    }

    #[test]
    fn sessions_do_not_share_pins() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let config = hickory_resolver::config::ResolverConfig::from_parts(None, Vec::new(), Vec::new());
            let resolver = hickory_resolver::Resolver::builder_with_config(
                config,
                hickory_resolver::net::runtime::TokioRuntimeProvider::default(),
            )
            .build()
            .unwrap();
            let limits = Limits {
                max_hops: 3,
                max_bytes: 1024,
                total: Duration::from_secs(1),
                connect: Duration::from_secs(1),
            };
            let guard = Arc::new(Guard::new(
                crate::guard::AllowList::parse(&["127.0.0.1:8080".into(), "127.0.0.2:9090".into()]).unwrap(),
            ));
            let f = Fetcher::new(resolver, guard, Profile::named("desktop").unwrap(), limits).unwrap();
            let (s1, s2) = (f.session().unwrap(), f.session().unwrap());
            let deadline = Instant::now() + Duration::from_secs(1);
            assert!(matches!(
                s1.vet(&Url::parse("http://127.0.0.1:8080/").unwrap(), deadline).await,
                Vetted::Pinned
            ));
            assert!(matches!(
                s2.vet(&Url::parse("http://127.0.0.2:9090/").unwrap(), deadline).await,
                Vetted::Pinned
            ));
            assert!(matches!(
                s2.vet(&Url::parse("http://127.0.0.2:8080/").unwrap(), deadline).await,
                Vetted::Stop { outcome: VisitOutcome::Refused, .. }
            ));
            assert!(s1.pins.vetted("127.0.0.1", 8080, "127.0.0.1:8080".parse().unwrap()));
            assert!(!s1.pins.vetted("127.0.0.2", 9090, "127.0.0.2:9090".parse().unwrap()));
            assert!(!s2.pins.vetted("127.0.0.2", 8080, "127.0.0.2:8080".parse().unwrap()));
        });
    }

    #[test]
    fn profiles() {
        assert!(Profile::named("desktop").unwrap().user_agent.contains("Chrome"));
        assert!(Profile::named("mobile").unwrap().user_agent.contains("iPhone"));
        assert!(Profile::named("nope").is_none());
    }
}
