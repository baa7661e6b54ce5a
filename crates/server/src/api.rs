//! The REST API under `/api/v1` (described by `openapi.json` next to this file).
//!
//! Analyses are the CLI's JSON (`kaibo analyze --format json`) with the stored `id`, `sha256`
//! and `created` added. Errors are `{"error": "…"}` with a 4xx or 5xx status.

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use kaibo_model::Dissection;
use kaibo_report::Lang;
use kaibo_store::{Campaign, Stored};
use serde::Deserialize;
use serde_json::Value;

use crate::guard::{REPORT_CSP, error_response};
use crate::{SharedState, UploadError};

pub const OPENAPI: &str = include_str!("openapi.json");

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/analyses", get(list).post(upload))
        .route("/api/v1/analyses/{id}", get(fetch).delete(remove))
        .route("/api/v1/analyses/{id}/events", get(events))
        .route("/api/v1/analyses/{id}/{file}", get(report))
        .route("/api/v1/campaigns", get(campaigns))
        .route("/api/v1/campaigns/{id}", get(campaign))
        .route("/api/v1/campaigns/{id}/{file}", get(campaign_file))
}

/// An error under `/api`.
fn api_error(status: StatusCode, message: &str) -> Response {
    error_response("/api/", status, message)
}

fn store_error(e: impl std::fmt::Display) -> Response {
    api_error(StatusCode::INTERNAL_SERVER_ERROR, &format!("storage failed: {e}"))
}

async fn healthz() -> Response {
    axum::Json(serde_json::json!({ "status": "ok" })).into_response()
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

#[derive(Deserialize, Default)]
pub struct UploadParams {
    /// `1` analyses again a mail already stored.
    pub rerun: Option<String>,
    /// Online rungs to run (`dns,rdap,…`, `all`, `none`), within what the server allows.
    pub rungs: Option<String>,
}

fn truthy(v: &Option<String>) -> bool {
    matches!(v.as_deref(), Some("1" | "true" | "yes"))
}

/// The body of a request that is too large, or could not be read, as the API says it.
pub fn body_error(rejection: BytesRejection) -> (StatusCode, String) {
    let status = rejection.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        (status, "the mail is larger than the server's limit (max_size)".into())
    } else {
        (status, rejection.body_text())
    }
}

pub fn upload_error(e: UploadError) -> (StatusCode, String) {
    match e {
        UploadError::NotAMail(why) => (StatusCode::UNPROCESSABLE_ENTITY, format!("not a mail: {why}")),
        UploadError::TooLarge(size) => (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the mail is {size} bytes, larger than the server's limit"),
        ),
        UploadError::Store(why) => (StatusCode::INTERNAL_SERVER_ERROR, why),
        UploadError::Rungs(why) => (StatusCode::BAD_REQUEST, why),
    }
}

async fn upload(
    State(state): State<SharedState>,
    Query(p): Query<UploadParams>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(r) => {
            let (status, msg) = body_error(r);
            return api_error(status, &msg);
        }
    };
    match state.analyse_and_store(body.to_vec(), "api", truthy(&p.rerun), p.rungs.as_deref()).await {
        Ok((summary, created)) => match state.store.get(&summary.id) {
            Ok(Some(stored)) => {
                let status = if created { StatusCode::CREATED } else { StatusCode::OK };
                let mut r = (status, axum::Json(analysis_json(&stored))).into_response();
                if let Ok(v) = format!("/api/v1/analyses/{}", summary.id).parse() {
                    r.headers_mut().insert(header::LOCATION, v);
                }
                r
            }
            Ok(None) => api_error(StatusCode::INTERNAL_SERVER_ERROR, "the analysis vanished"),
            Err(e) => store_error(e),
        },
        Err(e) => {
            let (status, msg) = upload_error(e);
            api_error(status, &msg)
        }
    }
}

/// The stored dissection with its `id`, `sha256` and `created` (Unix milliseconds).
pub fn analysis_json(stored: &Stored) -> Value {
    let mut v: Value = serde_json::from_str(&stored.dissection_json).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut v {
        let mut out = serde_json::Map::new();
        out.insert("id".into(), stored.summary.id.clone().into());
        out.insert("sha256".into(), stored.summary.sha256.clone().into());
        out.insert("created".into(), stored.summary.created.into());
        out.insert("origin".into(), stored.summary.origin.clone().into());
        out.insert("online".into(), stored.summary.online.clone().into());
        out.append(map);
        return Value::Object(out);
    }
    v
}

async fn fetch(State(state): State<SharedState>, Path(id): Path<String>) -> Response {
    match blocking(&state, move |s| s.store.get(&id)).await {
        Ok(Some(stored)) => axum::Json(analysis_json(&stored)).into_response(),
        Ok(None) => api_error(StatusCode::NOT_FOUND, "no such analysis"),
        Err(e) => store_error(e),
    }
}

async fn remove(State(state): State<SharedState>, Path(id): Path<String>) -> Response {
    match blocking(&state, move |s| s.store.delete(&id)).await {
        Ok(true) => StatusCode::NO_CONTENT.into_response(),
        Ok(false) => api_error(StatusCode::NOT_FOUND, "no such analysis"),
        Err(e) => store_error(e),
    }
}

/// Runs a store call on a blocking thread.
pub async fn blocking<T: Send + 'static>(
    state: &SharedState,
    f: impl FnOnce(&crate::AppState) -> kaibo_store::Result<T> + Send + 'static,
) -> Result<T, String> {
    let state = state.clone();
    tokio::task::spawn_blocking(move || f(&state).map_err(|e| e.to_string()))
        .await
        .unwrap_or_else(|_| Err("the store call failed".into()))
}

/// The online rungs' progress as server-sent events (`event: progress`, JSON data), until
/// they end; for an analysis with nothing running, its stored state once.
async fn events(State(state): State<SharedState>, Path(id): Path<String>) -> Response {
    use axum::response::sse::{Event, KeepAlive, Sse};
    let following = state.online.as_ref().and_then(|o| o.follow(&id));
    let first = match &following {
        Some(rx) => rx.borrow().clone(),
        None => {
            let key = id.clone();
            match blocking(&state, move |s| s.store.get(&key)).await {
                Ok(Some(stored)) => crate::online::Progress::from_stored(stored.summary.online.as_deref()),
                Ok(None) => return api_error(StatusCode::NOT_FOUND, "no such analysis"),
                Err(e) => return store_error(e),
            }
        }
    };
    let event = |p: &crate::online::Progress| {
        Ok::<_, std::convert::Infallible>(Event::default().event("progress").json_data(p).unwrap_or_default())
    };
    // Sent: the state now, then each change, until a finished one.
    let stream = futures_util::stream::unfold((Some(first), following), move |(next, rx)| async move {
        if let Some(p) = next {
            let more = if p.finished() { None } else { rx };
            return Some((event(&p), (None, more)));
        }
        let mut rx = rx?;
        rx.changed().await.ok()?;
        let p = rx.borrow_and_update().clone();
        let more = if p.finished() { None } else { Some(rx) };
        Some((event(&p), (None, more)))
    });
    Sse::new(stream).keep_alive(KeepAlive::default()).into_response()
}

#[derive(Deserialize, Default)]
pub struct LangParam {
    pub lang: Option<String>,
}

/// `?lang=ja|en`, else the browser's first language, else English.
pub fn pick_lang(param: Option<&str>, headers: &HeaderMap) -> Lang {
    match param {
        Some("ja") => return Lang::Ja,
        Some("en") => return Lang::En,
        _ => {}
    }
    let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if accept.trim_start().to_ascii_lowercase().starts_with("ja") { Lang::Ja } else { Lang::En }
}

fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// The report document for a page or a download.
pub fn document(d: &Dissection, lang: Lang) -> kaibo_report::Document {
    let opts = kaibo_report::ReportOptions {
        lang,
        keep_recipient: false,
        asset_dir: None,
        written_on: kaibo_core::calendar::civil_from_days(now_secs().div_euclid(86_400)),
    };
    kaibo_report::document(d, &opts)
}

/// The formats an analysis downloads as: `report.html`, `.md`, `.json`, `.misp`, `.stix`,
/// `.iocs`, and `abuse.txt` (the abuse-report drafts).
pub fn render_file(
    d: &Dissection,
    raw: Option<&[u8]>,
    file: &str,
    lang: Lang,
) -> Option<(&'static str, String)> {
    let exports = kaibo_report::ExportOptions { created: now_secs(), keep_recipient: false };
    Some(match file {
        "report.html" => ("text/html; charset=utf-8", kaibo_report::render_html(&document(d, lang))),
        "report.md" => ("text/markdown; charset=utf-8", kaibo_report::render_markdown(&document(d, lang))),
        "report.json" => ("application/json", kaibo_report::render_json(d) + "\n"),
        "report.misp" => ("application/json", kaibo_report::render_misp(d, &exports)),
        "report.stix" => ("application/json", kaibo_report::render_stix(d, &exports)),
        "report.iocs" => ("text/plain; charset=utf-8", kaibo_report::render_iocs(d, false, false)),
        "abuse.txt" => {
            let header = raw.map(kaibo_report::header_block).unwrap_or_default();
            let drafts = kaibo_report::abuse_drafts(d, &header, false);
            let text = if drafts.is_empty() {
                "No abuse contact found offline (the server's online rungs find registrars and networks).\n"
                    .to_string()
            } else {
                drafts
                    .iter()
                    .map(|d| d.text.as_str())
                    .collect::<Vec<_>>()
                    .join("\n========================================\n\n")
            };
            ("text/plain; charset=utf-8", text)
        }
        _ => return None,
    })
}

fn file_response(content_type: &'static str, name: String, body: String) -> Response {
    let mut r = ([(header::CONTENT_TYPE, content_type)], body).into_response();
    if content_type.starts_with("text/html")
        && let Ok(v) = REPORT_CSP.parse()
    {
        r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    if let Ok(v) = format!("inline; filename=\"{name}\"").parse() {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

async fn report(
    State(state): State<SharedState>,
    Path((id, file)): Path<(String, String)>,
    Query(lang): Query<LangParam>,
    headers: HeaderMap,
) -> Response {
    let lang = pick_lang(lang.lang.as_deref(), &headers);
    let found = blocking(&state, move |s| {
        let Some(stored) = s.store.get(&id)? else { return Ok(None) };
        let raw = s.store.raw(&stored.summary.sha256)?;
        Ok(Some((stored, raw)))
    })
    .await;
    let (stored, raw) = match found {
        Ok(Some(x)) => x,
        Ok(None) => return api_error(StatusCode::NOT_FOUND, "no such analysis"),
        Err(e) => return store_error(e),
    };
    let d = match stored.dissection() {
        Ok(d) => d,
        Err(e) => return store_error(e),
    };
    match render_file(&d, raw.as_deref(), &file, lang) {
        Some((ct, body)) => file_response(ct, format!("kaibo-{}-{file}", stored.summary.id), body),
        None => api_error(
            StatusCode::NOT_FOUND,
            "no such file: report.html, report.md, report.json, report.misp, report.stix, report.iocs or abuse.txt",
        ),
    }
}

#[derive(Deserialize, Default)]
pub struct ListParams {
    pub q: Option<String>,
    pub verdict: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub limit: Option<usize>,
    pub cursor: Option<String>,
}

/// A time bound: Unix milliseconds, `YYYY-MM-DD` (the start of the day, or its end for
/// `until`), or an RFC 3339 time.
pub fn parse_time(s: &str, end_of_day: bool) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(ms) = s.parse::<i64>() {
        return Some(ms);
    }
    if s.len() == 10 {
        let days = kaibo_core::calendar::days_from_civil(s)?;
        let start = days * 86_400_000;
        return Some(if end_of_day { start + 86_399_999 } else { start });
    }
    kaibo_core::calendar::unix_from_rfc3339(s).map(|t| t * 1000)
}

impl ListParams {
    pub fn query(&self) -> Result<kaibo_store::Query, String> {
        let verdict = match self.verdict.as_deref().map(str::trim) {
            None | Some("") | Some("any") => None,
            Some(v @ ("clean" | "suspicious" | "phishing")) => Some(v.to_string()),
            Some(other) => return Err(format!("verdict {other:?} is not clean, suspicious or phishing")),
        };
        let time = |v: &Option<String>, end: bool, name: &str| -> Result<Option<i64>, String> {
            match v.as_deref().map(str::trim) {
                None | Some("") => Ok(None),
                Some(t) => parse_time(t, end).map(Some).ok_or_else(|| format!("{name}: not a date ({t:?})")),
            }
        };
        Ok(kaibo_store::Query {
            text: self.q.clone().filter(|q| !q.trim().is_empty()),
            verdict,
            since: time(&self.since, false, "since")?,
            until: time(&self.until, true, "until")?,
            limit: self.limit,
            cursor: self.cursor.clone().filter(|c| !c.is_empty()),
        })
    }
}

async fn list(State(state): State<SharedState>, Query(p): Query<ListParams>) -> Response {
    let q = match p.query() {
        Ok(q) => q,
        Err(e) => return api_error(StatusCode::BAD_REQUEST, &e),
    };
    match blocking(&state, move |s| s.store.search(&q)).await {
        Ok(page) => axum::Json(page).into_response(),
        Err(e) if e.contains("cursor") => api_error(StatusCode::BAD_REQUEST, &e),
        Err(e) => store_error(e),
    }
}

async fn campaigns(State(state): State<SharedState>) -> Response {
    match blocking(&state, |s| s.store.campaigns()).await {
        Ok(items) => axum::Json(serde_json::json!({ "items": items })).into_response(),
        Err(e) => store_error(e),
    }
}

pub async fn find_campaign(state: &SharedState, id: String) -> Result<Option<Campaign>, String> {
    blocking(state, move |s| Ok(s.store.campaigns()?.into_iter().find(|c| c.id == id))).await
}

async fn campaign(State(state): State<SharedState>, Path(id): Path<String>) -> Response {
    match find_campaign(&state, id).await {
        Ok(Some(c)) => axum::Json(c).into_response(),
        Ok(None) => api_error(StatusCode::NOT_FOUND, "no such campaign"),
        Err(e) => store_error(e),
    }
}

/// One MISP event or one STIX bundle with every mail of the campaign.
pub fn campaign_export(ds: &[Dissection], campaign: &Campaign, file: &str) -> Option<String> {
    let exports = kaibo_report::ExportOptions { created: now_secs(), keep_recipient: false };
    match file {
        "export.stix" => {
            let mut objects: Vec<Value> = Vec::new();
            let mut seen = std::collections::HashSet::new();
            for d in ds {
                let b = kaibo_report::stix::stix_bundle(d, &exports);
                for o in b["objects"].as_array().into_iter().flatten() {
                    let id = o["id"].as_str().unwrap_or("").to_string();
                    if seen.insert(id) {
                        objects.push(o.clone());
                    }
                }
            }
            let id = kaibo_store::sha256_hex(campaign.id.as_bytes());
            let uuid =
                format!("{}-{}-4{}-8{}-{}", &id[..8], &id[8..12], &id[13..16], &id[17..20], &id[20..32]);
            let bundle =
                serde_json::json!({ "type": "bundle", "id": format!("bundle--{uuid}"), "objects": objects });
            Some(serde_json::to_string_pretty(&bundle).ok()? + "\n")
        }
        "export.misp" => {
            let mut event: Option<Value> = None;
            for d in ds {
                let e = kaibo_report::misp::misp_event(d, &exports);
                match &mut event {
                    None => event = Some(e),
                    Some(first) => {
                        for key in ["Attribute", "Object"] {
                            let more = e["Event"][key].as_array().cloned().unwrap_or_default();
                            if let Some(list) = first["Event"][key].as_array_mut() {
                                for item in more {
                                    let dup = list.iter().any(|x| {
                                        x["value"] == item["value"]
                                            && x["type"] == item["type"]
                                            && !item["value"].is_null()
                                    });
                                    if !dup {
                                        list.push(item);
                                    }
                                }
                            }
                        }
                    }
                }
            }
            let mut event = event?;
            event["Event"]["info"] =
                format!("Phishing campaign {} ({} mails, kaibo)", campaign.id, campaign.analyses.len())
                    .into();
            Some(serde_json::to_string_pretty(&event).ok()? + "\n")
        }
        _ => None,
    }
}

async fn campaign_export_route(state: &SharedState, id: String, file: String) -> Response {
    let Ok(Some(c)) = find_campaign(state, id).await else {
        return api_error(StatusCode::NOT_FOUND, "no such campaign");
    };
    let ids = c.analyses.clone();
    let ds = blocking(state, move |s| {
        let mut out = Vec::new();
        for id in &ids {
            if let Some(stored) = s.store.get(id)? {
                out.push(stored.dissection()?);
            }
        }
        Ok(out)
    })
    .await;
    let ds = match ds {
        Ok(ds) => ds,
        Err(e) => return store_error(e),
    };
    match campaign_export(&ds, &c, &file) {
        Some(body) => file_response("application/json", format!("kaibo-{}-{file}", c.id), body),
        None => api_error(StatusCode::NOT_FOUND, "no such file: export.misp or export.stix"),
    }
}

async fn campaign_file(
    State(state): State<SharedState>,
    Path((id, file)): Path<(String, String)>,
) -> Response {
    campaign_export_route(&state, id, file).await
}
