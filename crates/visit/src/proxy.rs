//! A guarded forward proxy for the browser of the render rung.
//!
//! Chromium resolves and fetches on its own, so the fetcher's guard does not cover it. kaibo
//! therefore starts the browser with this proxy as its only way out (`--proxy-server`, with
//! loopback no longer bypassing it): every request of the page (the document, images, scripts,
//! an `<img src="http://169.254.169.254/">`) arrives here as `CONNECT host:port` or as an
//! absolute `GET http://host/…`. The proxy resolves the host itself, checks every address
//! with the same [`Guard`], connects only to an address that passed, and answers 403
//! otherwise. Each request is logged, so the report can tell what the page tried to reach (the
//! log keeps the first [`MAX_LOGGED`] and counts the rest).
//!
//! A plain-HTTP connection carries exactly one request: a browser reuses a proxy connection for
//! its next request, to any host, and a byte stream copied both ways after the first request
//! would carry that one to the first host unchecked and unlogged. So after the first request
//! (and its declared body) nothing more is read from the browser; the answer is passed back
//! with `Connection: close`, and the connection ends with it. Connections live at most as long
//! as the render.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hickory_resolver::TokioResolver;
pub use kaibo_model::visit::ProxyRequest;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::guard::Guard;

pub struct Proxy {
    pub addr: SocketAddr,
    log: Arc<Mutex<Log>>,
    task: tokio::task::JoinHandle<()>,
}

/// Requests kept in the log; past this many, they are only counted.
pub const MAX_LOGGED: usize = 500;

#[derive(Default)]
struct Log {
    requests: Vec<ProxyRequest>,
    dropped: usize,
}

impl Proxy {
    /// Starts the proxy on 127.0.0.1 (a free port). Each connection may last `lifetime`.
    pub async fn start(
        guard: Arc<Guard>,
        resolver: TokioResolver,
        lifetime: Duration,
    ) -> std::io::Result<Proxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let log: Arc<Mutex<Log>> = Arc::default();
        let task_log = log.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (guard, resolver, log) = (guard.clone(), resolver.clone(), task_log.clone());
                tokio::spawn(async move {
                    let _ = tokio::time::timeout(lifetime, serve(client, &guard, &resolver, &log)).await;
                });
            }
        });
        Ok(Proxy { addr, log, task })
    }

    /// What the browser asked for, in order (at most [`MAX_LOGGED`] entries).
    pub fn requests(&self) -> Vec<ProxyRequest> {
        self.log.lock().map(|l| l.requests.clone()).unwrap_or_default()
    }

    /// How many requests came after the log was full.
    pub fn requests_not_logged(&self) -> usize {
        self.log.lock().map(|l| l.dropped).unwrap_or_default()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

const MAX_HEAD: usize = 32 * 1024;

fn record(log: &Mutex<Log>, r: ProxyRequest) {
    if let Ok(mut l) = log.lock() {
        if l.requests.len() < MAX_LOGGED {
            l.requests.push(r);
        } else {
            l.dropped += 1;
        }
    }
}

async fn serve(
    mut client: TcpStream,
    guard: &Guard,
    resolver: &TokioResolver,
    log: &Mutex<Log>,
) -> std::io::Result<()> {
    let Some((head, rest)) = read_head(&mut client).await? else { return Ok(()) };
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or("");
    let mut parts = request_line.split_whitespace();
    let (method, target, version) =
        (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or("HTTP/1.1"));
    let (host, port, path) = match destination(method, target) {
        Ok(d) => d,
        Err(why) => return refuse(&mut client, log, target, why).await,
    };
    let shown = format!("{host}:{port}");
    if kaibo_core::landing::catalog().is_browser_service(&host) {
        return refuse(&mut client, log, &shown, "the browser's own service, not the page").await;
    }
    let mut upstream = match connect_vetted(&host, port, guard, resolver).await {
        Ok(s) => s,
        Err(why) => return refuse(&mut client, log, &shown, &why).await,
    };
    record(log, ProxyRequest { target: shown, allowed: true, reason: None });
    match path {
        None => {
            client.write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n").await?;
            if !rest.is_empty() {
                upstream.write_all(&rest).await?;
            }
            let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            Ok(())
        }
        Some(path) => {
            let request = Request { method, path: &path, version, headers: lines.collect() };
            forward_once(&mut client, &mut upstream, &request, &rest).await
        }
    }
}

/// The request head (up to its blank line) and what came after it; `None` when the browser
/// closed first. A head over [`MAX_HEAD`] is answered 431.
async fn read_head(client: &mut TcpStream) -> std::io::Result<Option<(String, Vec<u8>)>> {
    let mut buf = Vec::with_capacity(4096);
    let head_end = loop {
        let mut chunk = [0u8; 4096];
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > MAX_HEAD {
            client
                .write_all(b"HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n")
                .await?;
            return Ok(None);
        }
    };
    Ok(Some((String::from_utf8_lossy(&buf[..head_end]).to_string(), buf[head_end..].to_vec())))
}

/// Where a request goes: host, port, and the path of a plain-HTTP request (`None` for a
/// `CONNECT` tunnel); or why it is refused.
fn destination(method: &str, target: &str) -> Result<(String, u16, Option<String>), &'static str> {
    if method.eq_ignore_ascii_case("CONNECT") {
        let (h, p) = target.rsplit_once(':').ok_or("bad CONNECT target")?;
        let p = p.parse::<u16>().map_err(|_| "bad port")?;
        return Ok((h.trim_matches(['[', ']']).to_string(), p, None));
    }
    let u = url::Url::parse(target).map_err(|_| "not an absolute URL")?;
    if u.scheme() != "http" {
        return Err("only http:// is proxied in the clear");
    }
    let mut path = u.path().to_string();
    if let Some(q) = u.query() {
        path.push('?');
        path.push_str(q);
    }
    Ok((
        u.host_str().unwrap_or("").trim_matches(['[', ']']).to_string(),
        u.port_or_known_default().unwrap_or(80),
        Some(path),
    ))
}

/// Resolves `host` here, vets every address, and connects to one that passed; or says why not.
async fn connect_vetted(
    host: &str,
    port: u16,
    guard: &Guard,
    resolver: &TokioResolver,
) -> Result<TcpStream, String> {
    let ips: Vec<std::net::IpAddr> = match host.parse() {
        Ok(ip) => vec![ip],
        Err(_) => match resolver.lookup_ip(format!("{host}.")).await {
            Ok(found) => found.iter().collect(),
            Err(e) if e.is_nx_domain() || e.is_no_records_found() => return Err("DNS: no address".into()),
            Err(_) => return Err("DNS: lookup failed".into()),
        },
    };
    let mut reasons = Vec::new();
    for ip in ips {
        let addr = SocketAddr::new(ip, port);
        match guard.check(addr) {
            Err(why) => reasons.push(why),
            Ok(()) => {
                if let Ok(Ok(s)) =
                    tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(addr)).await
                {
                    return Ok(s);
                }
            }
        }
    }
    Err(if reasons.is_empty() { "could not connect".to_string() } else { reasons.join("; ") })
}

/// A plain-HTTP request as the browser sent it to the proxy.
struct Request<'a> {
    method: &'a str,
    path: &'a str,
    version: &'a str,
    headers: Vec<&'a str>,
}

/// Forwards one plain-HTTP request (origin-form, the browser's headers minus the proxy ones,
/// its declared body) and passes the answer back.
async fn forward_once(
    client: &mut TcpStream,
    upstream: &mut TcpStream,
    r: &Request<'_>,
    rest: &[u8],
) -> std::io::Result<()> {
    let mut out = format!("{} {} {}\r\n", r.method, r.path, r.version);
    let mut body_len = 0u64;
    for line in r.headers.iter().filter(|l| !l.is_empty()) {
        let name = line.split(':').next().unwrap_or("").trim().to_ascii_lowercase();
        if matches!(name.as_str(), "proxy-connection" | "proxy-authorization" | "connection" | "keep-alive") {
            continue;
        }
        if name == "content-length" {
            body_len = line.split_once(':').and_then(|(_, v)| v.trim().parse().ok()).unwrap_or(0);
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("Connection: close\r\n\r\n");
    upstream.write_all(out.as_bytes()).await?;
    // The request's own body, and not a byte more: what follows would be the next request,
    // which has not been vetted.
    let body_in_head = rest.len().min(body_len as usize);
    upstream.write_all(&rest[..body_in_head]).await?;
    let more = body_len - body_in_head as u64;
    if more > 0 {
        tokio::io::copy(&mut (&mut *client).take(more), upstream).await?;
    }
    answer_once(client, upstream, r.method.eq_ignore_ascii_case("HEAD")).await
}

/// Passes the upstream answer back with `Connection: close` and ends the connection after its
/// body (framed by Content-Length or chunked encoding, else read to the upstream's close), so
/// the browser sends its next request on a new connection, vetted and logged like this one. An
/// upstream that ignores `Connection: close` does not keep the connection.
async fn answer_once(
    client: &mut TcpStream,
    upstream: &mut TcpStream,
    head_only: bool,
) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(4096);
    let head_end = loop {
        let mut chunk = [0u8; 4096];
        let n = upstream.read(&mut chunk).await?;
        if n == 0 {
            // Closed before a whole head: pass on what came.
            client.write_all(&buf).await?;
            return client.shutdown().await;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = memchr::memmem::find(&buf, b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > MAX_HEAD {
            client
                .write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                .await?;
            return client.shutdown().await;
        }
    };
    let text = String::from_utf8_lossy(&buf[..head_end - 4]).into_owned();
    let status: u16 = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let mut out = String::with_capacity(head_end + 24);
    let (mut length, mut chunked) = (None, false);
    for (i, line) in text.split("\r\n").enumerate() {
        let (name, value) = line.split_once(':').unwrap_or((line, ""));
        let name = name.trim().to_ascii_lowercase();
        if i > 0 && matches!(name.as_str(), "connection" | "keep-alive" | "proxy-connection") {
            continue;
        }
        if name == "content-length" {
            length = value.trim().parse::<u64>().ok();
        }
        if name == "transfer-encoding" && value.to_ascii_lowercase().contains("chunked") {
            chunked = true;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("Connection: close\r\n\r\n");
    client.write_all(out.as_bytes()).await?;
    let mut body = Body { upstream, client, pending: buf.split_off(head_end) };
    let no_body = head_only || (100..200).contains(&status) || status == 204 || status == 304;
    if !no_body {
        let _ = match (chunked, length) {
            (true, _) => body.chunked().await,
            (false, Some(n)) => body.exactly(n).await,
            (false, None) => body.until_close().await,
        };
    }
    body.client.shutdown().await
}

/// The body of one answer, passed from upstream to the browser by its framing. `pending` holds
/// what was read past the head.
struct Body<'a> {
    upstream: &'a mut TcpStream,
    client: &'a mut TcpStream,
    pending: Vec<u8>,
}

impl Body<'_> {
    /// More bytes into `pending`; false at the upstream's end.
    async fn fill(&mut self) -> std::io::Result<bool> {
        let mut chunk = [0u8; 16 * 1024];
        let n = self.upstream.read(&mut chunk).await?;
        self.pending.extend_from_slice(&chunk[..n]);
        Ok(n > 0)
    }

    /// Passes on `n` bytes.
    async fn exactly(&mut self, mut n: u64) -> std::io::Result<()> {
        while n > 0 {
            if self.pending.is_empty() && !self.fill().await? {
                return Ok(());
            }
            let take = self.pending.len().min(usize::try_from(n).unwrap_or(usize::MAX));
            self.client.write_all(&self.pending[..take]).await?;
            self.pending.drain(..take);
            n -= take as u64;
        }
        Ok(())
    }

    /// Passes on one line (up to and including its CRLF), returned without it.
    async fn line(&mut self) -> std::io::Result<Option<String>> {
        loop {
            if let Some(i) = memchr::memmem::find(&self.pending, b"\r\n") {
                let line = String::from_utf8_lossy(&self.pending[..i]).into_owned();
                self.exactly(i as u64 + 2).await?;
                return Ok(Some(line));
            }
            if self.pending.len() > MAX_HEAD || !self.fill().await? {
                return Ok(None);
            }
        }
    }

    /// Passes on a chunked body: chunks up to the last (size 0), then the trailers.
    async fn chunked(&mut self) -> std::io::Result<()> {
        loop {
            let Some(size_line) = self.line().await? else { return Ok(()) };
            let hex = size_line.split(';').next().unwrap_or("").trim();
            let Ok(size) = u64::from_str_radix(hex, 16) else { return Ok(()) };
            if size == 0 {
                while let Some(trailer) = self.line().await? {
                    if trailer.is_empty() {
                        break;
                    }
                }
                return Ok(());
            }
            self.exactly(size.saturating_add(2)).await?;
        }
    }

    /// Passes on everything until the upstream closes (a body framed by the close).
    async fn until_close(&mut self) -> std::io::Result<()> {
        loop {
            self.client.write_all(&self.pending).await?;
            self.pending.clear();
            if !self.fill().await? {
                return Ok(());
            }
        }
    }
}

async fn refuse(client: &mut TcpStream, log: &Mutex<Log>, target: &str, why: &str) -> std::io::Result<()> {
    record(log, ProxyRequest { target: target.to_string(), allowed: false, reason: Some(why.to_string()) });
    client.write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").await
}
