//! # kaibo-visit: a safe visit of the page a phishing link leads to
//!
//! The top rungs of kaibo's online ladder, each asked for explicitly:
//!
//! - **fetch** (`--visit`): [`fetch`] follows the link hop by hop (HTTP 3xx, meta refresh, and
//!   `location = "…"` read as text), with browser-like headers, no cookies, no credentials and
//!   no form ever submitted, every hop recorded and checked by the SSRF [`guard`]; [`page`]
//!   then reads the final page: the forms and what they ask for, where they send it, hidden
//!   fields prefilled with the recipient's address, scripts, the favicon, and the brand or
//!   webmail kit it dresses up as;
//! - **render** (`--render`): [`render`] takes a screenshot in headless Chromium, whose only
//!   route out is kaibo's guarded [`proxy`].
//!
//! [`findings()`] reads a [`Visit`] and proposes `visit.*` findings of kaibo's catalog; the
//! offline core's ledger scores them with the rest (kaibo-enrich's `judge` does that). The
//! caller owns the async runtime (kaibo-enrich runs this inside its own).

pub mod fetch;
pub mod findings;
pub mod guard;
pub mod page;
pub mod proxy;
pub mod render;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hickory_resolver::TokioResolver;
use kaibo_core::{Analysis, LinkSource};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use url::Url;

pub use findings::findings;
pub use kaibo_model::visit::{FetchHop, HopVia, Page, PageVisit, Screenshot, TlsCert, Visit, VisitOutcome};

/// The `[visit]` section of kaibo's configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VisitConfig {
    /// How many of a mail's links are visited (the most telling first).
    pub max_pages: usize,
    pub max_hops: usize,
    /// Bytes read per response.
    pub max_bytes: usize,
    /// Time for one link, all hops included (milliseconds).
    pub total_ms: u64,
    pub connect_ms: u64,
    /// Request headers: `desktop` or `mobile`.
    pub profile: String,
    pub user_agent: Option<String>,
    pub accept_language: Option<String>,
    /// The browser for `--render` (default: chromium, chromium-browser or google-chrome on PATH).
    pub browser: Option<PathBuf>,
    pub render_ms: u64,
    pub window: [u32; 2],
    /// Where screenshots are written (the CLI's `--out-dir`; default: the current directory).
    pub screenshot_dir: Option<PathBuf>,
    /// FOR TESTS ONLY: addresses the guard lets through although they are private or loopback
    /// (`127.0.0.1:8080`, `127.0.0.0/8`). Empty by default; a visit that used it says so.
    pub allow_addresses: Vec<String>,
}

impl Default for VisitConfig {
    fn default() -> Self {
        VisitConfig {
            max_pages: 2,
            max_hops: 10,
            max_bytes: 2 * 1024 * 1024,
            total_ms: 20_000,
            connect_ms: 5_000,
            profile: "desktop".into(),
            user_agent: None,
            accept_language: None,
            browser: None,
            render_ms: 30_000,
            window: [1280, 900],
            screenshot_dir: None,
            allow_addresses: Vec::new(),
        }
    }
}

/// Runs the fetch rung (and the render rung when asked) for mails or single URLs.
pub struct Visitor {
    fetcher: fetch::Fetcher,
    resolver: TokioResolver,
    cfg: VisitConfig,
    render: bool,
    profile_name: String,
}

impl Visitor {
    pub fn new(cfg: VisitConfig, resolver: TokioResolver, render: bool) -> Result<Visitor, String> {
        let mut profile = fetch::Profile::named(&cfg.profile)
            .ok_or_else(|| format!("[visit] profile `{}`: use desktop or mobile", cfg.profile))?;
        if let Some(ua) = &cfg.user_agent {
            profile.user_agent = ua.clone();
        }
        if let Some(l) = &cfg.accept_language {
            profile.accept_language = l.clone();
        }
        let guard = Arc::new(guard::Guard::new(guard::AllowList::parse(&cfg.allow_addresses)?));
        let limits = fetch::Limits {
            max_hops: cfg.max_hops.max(1),
            max_bytes: cfg.max_bytes.max(1024),
            total: Duration::from_millis(cfg.total_ms),
            connect: Duration::from_millis(cfg.connect_ms),
        };
        let fetcher = fetch::Fetcher::new(resolver.clone(), guard, profile, limits)?;
        Ok(Visitor { fetcher, resolver, profile_name: cfg.profile.clone(), cfg, render })
    }

    /// Visits the most telling links of an analysed mail.
    pub async fn visit_mail(&self, a: &Analysis) -> Visit {
        let urls = targets(a, self.cfg.max_pages);
        let mut v = self.visit_urls(&urls).await;
        if urls.is_empty() {
            v.notes.push("the mail has no web link to visit".into());
        }
        v
    }

    /// Visits the given URLs (defanged ones are refanged first).
    pub async fn visit_urls(&self, urls: &[String]) -> Visit {
        let mut v = Visit {
            rungs: if self.render { vec!["fetch".into(), "render".into()] } else { vec!["fetch".into()] },
            profile: self.profile_name.clone(),
            allow_list_in_use: self.fetcher.guard.allow_list_in_use(),
            ..Default::default()
        };
        let jobs = urls.iter().map(|u| self.fetch_one(u));
        v.pages = futures_util::future::join_all(jobs).await;
        if self.render {
            self.render_pages(&mut v).await;
        }
        v
    }

    async fn fetch_one(&self, raw: &str) -> PageVisit {
        let refanged = guard::refang(raw);
        let mut pv = PageVisit { url: raw.to_string(), ..Default::default() };
        let Ok(start) = Url::parse(&refanged) else {
            pv.outcome = VisitOutcome::BadUrl;
            return pv;
        };
        // Each link is its own session: its vetted addresses are its own.
        let session = match self.fetcher.session() {
            Ok(s) => s,
            Err(e) => {
                pv.outcome = VisitOutcome::ConnectFailed;
                pv.chain.push(FetchHop { url: refanged, error: Some(e), ..Default::default() });
                return pv;
            }
        };
        let followed = session.follow(&start).await;
        pv.chain = followed.chain;
        pv.outcome = followed.outcome;
        pv.final_url = followed.final_url.as_ref().map(Url::to_string);
        if let (Some(url), Some(html)) = (&followed.final_url, &followed.html) {
            let (mut page, favicon_url) = page::analyze_page(url, html);
            if let Some(fu) = favicon_url
                && let Some(bytes) =
                    session.get_small(&fu, 256 * 1024, Duration::from_millis(self.cfg.connect_ms)).await
            {
                page::add_favicon(&mut page, fu.as_str(), &bytes);
            }
            pv.page = Some(page);
        }
        pv
    }

    async fn render_pages(&self, v: &mut Visit) {
        let Some(browser) = render::find_browser(self.cfg.browser.as_deref()) else {
            v.notes.push(
                "render: no browser found (install Debian's `chromium`, or set [visit] browser); the visit itself is complete"
                    .into(),
            );
            return;
        };
        let dir = self.cfg.screenshot_dir.clone().unwrap_or_else(|| PathBuf::from("."));
        let budget = Duration::from_millis(self.cfg.render_ms);
        for pv in v.pages.iter_mut() {
            // Only a final page the fetch rung reached, and vetted, is given to the browser.
            let (Some(url), VisitOutcome::Page | VisitOutcome::HttpError) =
                (pv.final_url.clone(), pv.outcome)
            else {
                continue;
            };
            let proxy =
                match proxy::Proxy::start(self.fetcher.guard.clone(), self.resolver.clone(), budget).await {
                    Ok(p) => p,
                    Err(e) => {
                        v.notes.push(format!("render: cannot start the proxy: {e}"));
                        return;
                    }
                };
            let hash: String =
                Sha256::digest(url.as_bytes()).iter().take(6).map(|b| format!("{b:02x}")).collect();
            let out = dir.join(format!("kaibo-landing-{hash}.png"));
            let window = (self.cfg.window[0], self.cfg.window[1]);
            match render::screenshot(&browser, &url, &out, proxy.addr, window, budget).await {
                Ok((width, height)) => {
                    pv.screenshot = Some(Screenshot {
                        path: out.display().to_string(),
                        width,
                        height,
                        url: url.clone(),
                        requests: proxy.requests(),
                        requests_not_logged: proxy.requests_not_logged(),
                    });
                }
                Err(e) => v.notes.push(format!("render of {url}: {e}")),
            }
        }
    }
}

/// The links worth visiting, most telling first: links that findings point at, shorteners
/// (where they lead is the question), anchors and QR/PDF links; not images, and not links to
/// a brand's own domains unless those are free hosting.
pub fn targets(a: &Analysis, max: usize) -> Vec<String> {
    let k = kaibo_core::knowledge::knowledge();
    let evidence: Vec<&str> =
        a.findings.iter().flat_map(|f| f.evidence.iter().map(|e| e.value.as_str())).collect();
    let mut scored: Vec<(i32, usize, &str)> = Vec::new();
    for (i, u) in a.observables.urls.iter().enumerate() {
        let url = u.facts.url.as_str();
        let lower = url.to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://")) || u.source == LinkSource::Image {
            continue;
        }
        let host = u.facts.host.as_deref().unwrap_or("");
        if k.brands.iter().any(|b| b.owns(host)) && k.hosting_service(host).is_none() {
            continue;
        }
        if scored.iter().any(|(_, _, s)| *s == url) {
            continue;
        }
        let mut score = 0;
        if evidence.iter().any(|e| e.contains(url) || (!host.is_empty() && e.contains(host))) {
            score += 10;
        }
        if u.shortener {
            score += 3;
        }
        // Links built to be followed: anchors, forms, codes, documents, redirects.
        if matches!(
            u.source,
            LinkSource::Anchor
                | LinkSource::Area
                | LinkSource::Form
                | LinkSource::QrCode
                | LinkSource::Pdf
                | LinkSource::MetaRefresh
        ) {
            score += 2;
        }
        if u.display_text.is_some() {
            score += 1;
        }
        scored.push((score, i, url));
    }
    scored.sort_by_key(|(s, i, _)| (-s, *i));
    scored.into_iter().take(max).map(|(_, _, u)| u.to_string()).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn config_defaults_are_safe() {
        let c = super::VisitConfig::default();
        assert!(c.allow_addresses.is_empty());
        assert!(c.max_bytes <= 4 * 1024 * 1024);
    }
}
