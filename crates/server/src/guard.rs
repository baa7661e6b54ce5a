//! What every request passes through: authentication, origin checks, limits, and the headers
//! that keep a browser from doing anything the page did not mean.
//!
//! - **Tokens.** When any are configured, every route but `/healthz` and `/login` needs one:
//!   `Authorization: Bearer TOKEN`, or the session cookie the login form sets (its value is
//!   the token's SHA-256, `HttpOnly`, `SameSite=Strict`). Tokens are compared in constant time.
//! - **Origin.** A request that says `Sec-Fetch-Site: cross-site` (or `same-site`), or
//!   without that header carries an `Origin` of another site, may not change anything (403):
//!   a web page the user visits cannot post mail to a kaibo on their machine.
//! - **Limits.** Uploads are counted per client address per minute (429 past the limit), and
//!   at most `max_concurrent` analyses run at once while up to `max_queued` uploads wait for
//!   a slot; the next upload gets 503 before its body is read.
//! - **Headers.** Every response: a Content-Security-Policy with a fresh nonce (no outside
//!   origin, no inline script without the nonce, no framing), `X-Content-Type-Options`,
//!   `Referrer-Policy: no-referrer`, `Cache-Control: no-store`.

use std::collections::HashMap;
use std::io::Read;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

use crate::{ServerConfig, SharedState};

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "kaibo_session";

/// Limits shared by all requests.
pub struct Gate {
    /// Uploads in the server (running or waiting): taken before the body is read.
    uploads: Arc<Semaphore>,
    /// Analyses running: awaited by an upload once its body is in.
    pub analyses: Arc<Semaphore>,
    per_client: Mutex<HashMap<IpAddr, (Instant, u32)>>,
    rate_per_minute: u32,
    /// SHA-256 (hex) of each token: what the cookie holds and what a bearer token hashes to.
    token_hashes: Vec<String>,
}

impl Gate {
    pub fn new(config: &ServerConfig) -> Gate {
        Gate {
            uploads: Arc::new(Semaphore::new(config.max_queued)),
            analyses: Arc::new(Semaphore::new(config.max_concurrent)),
            per_client: Mutex::new(HashMap::new()),
            rate_per_minute: config.rate_per_minute,
            token_hashes: config.tokens.iter().map(|t| kaibo_store::sha256_hex(t.as_bytes())).collect(),
        }
    }

    pub fn needs_token(&self) -> bool {
        !self.token_hashes.is_empty()
    }

    /// Whether `hash` (hex SHA-256) is one of the tokens', compared in constant time.
    pub fn knows_hash(&self, hash: &str) -> bool {
        let mut found = false;
        for h in &self.token_hashes {
            found |= constant_time_eq(h.as_bytes(), hash.as_bytes());
        }
        found
    }

    /// One more upload from `ip`; false past the limit for this minute.
    fn admit(&self, ip: IpAddr) -> bool {
        let mut map = self.per_client.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if map.len() > 10_000 {
            map.retain(|_, (start, _)| now.duration_since(*start).as_secs() < 60);
        }
        let entry = map.entry(ip).or_insert((now, 0));
        if now.duration_since(entry.0).as_secs() >= 60 {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1 <= self.rate_per_minute
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The per-response nonce for inline script and style, set by [`guard`] for the handlers.
#[derive(Clone)]
pub struct Nonce(pub String);

fn fresh_nonce() -> String {
    let mut bytes = [0u8; 18];
    // The OS's randomness: a nonce an attacker could guess would let injected script run.
    if std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes)).is_err() {
        let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        bytes[..16].copy_from_slice(&t.as_nanos().to_le_bytes());
    }
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The policy for kaibo's own pages.
pub fn page_csp(nonce: &str) -> String {
    format!(
        "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; img-src 'self' data:; \
         connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
}

/// The policy of a downloaded HTML report: its own inline style, nothing else.
pub const REPORT_CSP: &str = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

/// An error the way the route's audience reads it: JSON under `/api`, a short page elsewhere.
pub fn error_response(path: &str, status: StatusCode, message: &str) -> Response {
    if path.starts_with("/api/") || path == "/healthz" {
        (status, axum::Json(serde_json::json!({ "error": message }))).into_response()
    } else {
        let body = format!(
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{status}</title></head><body><h1>{status}</h1><p>{}</p><p><a href=\"/\">kaibo</a></p></body></html>",
            html_escape::encode_text(message)
        );
        (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
    }
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn authenticated(gate: &Gate, headers: &HeaderMap) -> bool {
    if let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        return gate.knows_hash(&kaibo_store::sha256_hex(token.trim().as_bytes()));
    }
    cookie(headers, SESSION_COOKIE).is_some_and(|c| gate.knows_hash(&c))
}

/// Whether the request comes from another site (a page elsewhere posting here). Browsers say
/// so in `Sec-Fetch-Site`; that header wins, because with `Referrer-Policy: no-referrer` (which
/// every kaibo page sets) a browser sends `Origin: null` even for the page's own forms. Without
/// it, an `Origin` must name this host.
fn cross_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return !matches!(site, "same-origin" | "none");
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else { return false };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    let origin_host = origin.split_once("://").map_or(origin, |(_, h)| h);
    origin == "null" || !origin_host.eq_ignore_ascii_case(host)
}

/// Whether this request uploads a mail for analysis.
fn is_upload(method: &Method, path: &str) -> bool {
    method == Method::POST && (path == "/api/v1/analyses" || path == "/analyses")
}

pub async fn guard(
    State(state): State<SharedState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    let nonce = fresh_nonce();
    let open_route = path == "/healthz" || path == "/login";
    let response = 'checked: {
        if state.gate.needs_token() && !open_route && !authenticated(&state.gate, req.headers()) {
            break 'checked if path.starts_with("/api/") {
                error_response(
                    &path,
                    StatusCode::UNAUTHORIZED,
                    "an API token is needed: Authorization: Bearer TOKEN",
                )
            } else {
                axum::response::Redirect::to("/login").into_response()
            };
        }
        if !matches!(method, Method::GET | Method::HEAD) && cross_site(req.headers()) {
            break 'checked error_response(
                &path,
                StatusCode::FORBIDDEN,
                "a request from another site was refused",
            );
        }
        if is_upload(&method, &path) {
            if !state.gate.admit(peer.ip()) {
                let mut r = error_response(
                    &path,
                    StatusCode::TOO_MANY_REQUESTS,
                    "too many uploads; try again in a minute",
                );
                r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
                break 'checked r;
            }
            let Ok(permit) = state.gate.uploads.clone().try_acquire_owned() else {
                let mut r = error_response(
                    &path,
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the server is busy; try again shortly",
                );
                r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
                break 'checked r;
            };
            req.extensions_mut().insert(Nonce(nonce.clone()));
            // Held here, not in the request's extensions: extractors drop those before the
            // body is read, and the slot must stay taken until the analysis is done.
            let response = next.run(req).await;
            drop(permit);
            break 'checked response;
        }
        req.extensions_mut().insert(Nonce(nonce.clone()));
        next.run(req).await
    };
    secure_headers(response, &nonce)
}

fn secure_headers(mut response: Response, nonce: &str) -> Response {
    let h = response.headers_mut();
    if !h.contains_key(header::CONTENT_SECURITY_POLICY)
        && let Ok(v) = HeaderValue::from_str(&page_csp(nonce))
    {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    h.insert("cross-origin-resource-policy", HeaderValue::from_static("same-origin"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_of_other_sites_are_cross_site() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        assert!(!cross_site(&h), "no Origin: a tool such as curl");
        h.insert(header::ORIGIN, HeaderValue::from_static("http://127.0.0.1:8080"));
        assert!(!cross_site(&h));
        h.insert(header::ORIGIN, HeaderValue::from_static("https://evil.example"));
        assert!(cross_site(&h));
        h.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(cross_site(&h));
        // A browser's own form under no-referrer: Origin null, but Sec-Fetch-Site says it all.
        h.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(!cross_site(&h));
        h.insert("sec-fetch-site", HeaderValue::from_static("same-site"));
        assert!(cross_site(&h));
    }

    #[test]
    fn nonces_differ() {
        assert_ne!(fresh_nonce(), fresh_nonce());
        assert!(fresh_nonce().len() >= 24);
    }
}
