//! A guarded forward proxy for the browser of the render rung.
//!
//! Chromium resolves and fetches on its own, so the fetcher's guard does not cover it. kaibo
//! therefore starts the browser with this proxy as its only way out (`--proxy-server`, with
//! loopback no longer bypassing it): every request of the page (the document, images, scripts,
//! an `<img src="http://169.254.169.254/">`) arrives here as `CONNECT host:port` or as an
//! absolute `GET http://host/…`. The proxy resolves the host itself, checks every address
//! with the same [`Guard`], connects only to an address that passed, and answers 403
//! otherwise. Each request is logged, so the report can tell what the page tried to reach.
//! Connections live at most as long as the render.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hickory_resolver::TokioResolver;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::guard::Guard;

/// One request the browser made through the proxy.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ProxyRequest {
    /// `host:port`.
    pub target: String,
    pub allowed: bool,
    /// Why it was refused.
    pub reason: Option<String>,
}

pub struct Proxy {
    pub addr: SocketAddr,
    log: Arc<Mutex<Vec<ProxyRequest>>>,
    task: tokio::task::JoinHandle<()>,
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
        let log: Arc<Mutex<Vec<ProxyRequest>>> = Arc::default();
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

    /// What the browser asked for, in order (at most 500 entries).
    pub fn requests(&self) -> Vec<ProxyRequest> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

const MAX_HEAD: usize = 32 * 1024;

fn record(log: &Mutex<Vec<ProxyRequest>>, r: ProxyRequest) {
    if let Ok(mut l) = log.lock()
        && l.len() < 500
    {
        l.push(r);
    }
}

async fn serve(
    mut client: TcpStream,
    guard: &Guard,
    resolver: &TokioResolver,
    log: &Mutex<Vec<ProxyRequest>>,
) -> std::io::Result<()> {
    // The request head.
    let mut buf = Vec::with_capacity(4096);
    let head_end = loop {
        let mut chunk = [0u8; 4096];
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > MAX_HEAD {
            return client
                .write_all(b"HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n")
                .await;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let rest = buf[head_end..].to_vec();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or("");
    let mut parts = request_line.split_whitespace();
    let (method, target, version) =
        (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or("HTTP/1.1"));

    let (host, port, path) = if method.eq_ignore_ascii_case("CONNECT") {
        let Some((h, p)) = target.rsplit_once(':') else {
            return refuse(&mut client, log, target, "bad CONNECT target").await;
        };
        let Ok(p) = p.parse::<u16>() else { return refuse(&mut client, log, target, "bad port").await };
        (h.trim_matches(['[', ']']).to_string(), p, None)
    } else {
        let Ok(u) = url::Url::parse(target) else {
            return refuse(&mut client, log, target, "not an absolute URL").await;
        };
        if u.scheme() != "http" {
            return refuse(&mut client, log, target, "only http:// is proxied in the clear").await;
        }
        let mut path = u.path().to_string();
        if let Some(q) = u.query() {
            path.push('?');
            path.push_str(q);
        }
        (
            u.host_str().unwrap_or("").trim_matches(['[', ']']).to_string(),
            u.port_or_known_default().unwrap_or(80),
            Some(path),
        )
    };
    let shown = format!("{host}:{port}");
    if crate::page::catalog().is_browser_service(&host) {
        return refuse(&mut client, log, &shown, "the browser's own service, not the page").await;
    }

    // Resolve here, vet every address, connect to one that passed.
    let ips: Vec<std::net::IpAddr> = match host.parse() {
        Ok(ip) => vec![ip],
        Err(_) => match resolver.lookup_ip(format!("{host}.")).await {
            Ok(found) => found.iter().collect(),
            Err(e) if e.is_nx_domain() || e.is_no_records_found() => {
                return refuse(&mut client, log, &shown, "DNS: no address").await;
            }
            Err(_) => return refuse(&mut client, log, &shown, "DNS: lookup failed").await,
        },
    };
    let mut reasons = Vec::new();
    let mut upstream = None;
    for ip in ips {
        let addr = SocketAddr::new(ip, port);
        match guard.check(addr) {
            Err(why) => reasons.push(why),
            Ok(()) => {
                if let Ok(Ok(s)) =
                    tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(addr)).await
                {
                    upstream = Some(s);
                    break;
                }
            }
        }
    }
    let Some(mut upstream) = upstream else {
        let why = if reasons.is_empty() { "could not connect".to_string() } else { reasons.join("; ") };
        return refuse(&mut client, log, &shown, &why).await;
    };
    record(log, ProxyRequest { target: shown, allowed: true, reason: None });

    match path {
        None => {
            client.write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n").await?;
            if !rest.is_empty() {
                upstream.write_all(&rest).await?;
            }
        }
        Some(path) => {
            // Origin-form request line, the browser's headers minus proxy ones, one request
            // per connection.
            let mut out = format!("{method} {path} {version}\r\n");
            for line in lines.filter(|l| !l.is_empty()) {
                let name = line.split(':').next().unwrap_or("").trim().to_ascii_lowercase();
                if matches!(
                    name.as_str(),
                    "proxy-connection" | "proxy-authorization" | "connection" | "keep-alive"
                ) {
                    continue;
                }
                out.push_str(line);
                out.push_str("\r\n");
            }
            out.push_str("Connection: close\r\n\r\n");
            upstream.write_all(out.as_bytes()).await?;
            upstream.write_all(&rest).await?;
        }
    }
    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
    Ok(())
}

async fn refuse(
    client: &mut TcpStream,
    log: &Mutex<Vec<ProxyRequest>>,
    target: &str,
    why: &str,
) -> std::io::Result<()> {
    record(log, ProxyRequest { target: target.to_string(), allowed: false, reason: Some(why.to_string()) });
    client.write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").await
}
