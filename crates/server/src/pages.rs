//! The browser pages: server-rendered HTML, every text escaped, no outside resource.
//!
//! The analysis page is the HTML report's body ([`kaibo_report::render_html_body`]) inside the
//! site's frame, so it reads exactly as `kaibo analyze --format html`. The only script is the
//! drop zone on the upload page (with the response's nonce); without it the file input and the
//! paste box still work.

use axum::Router;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form};
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use kaibo_report::Lang;
use serde::Deserialize;

use crate::SharedState;
use crate::api::{ListParams, blocking, document, pick_lang, upload_error};
use crate::guard::{Nonce, SESSION_COOKIE, error_response};

pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/", get(home))
        .route("/analyses", get(history).post(upload))
        .route("/analyses/{id}", get(analysis))
        .route("/analyses/{id}/delete", post(delete))
        .route("/campaigns", get(campaigns))
        .route("/login", get(login_form).post(login))
}

const SITE_STYLE: &str = "\
:root{--ink:#1d2330;--muted:#5b6475;--line:#d8dde6;--accent:#1a56b8}\
body{margin:0;font-family:system-ui,-apple-system,'Segoe UI','Noto Sans CJK JP','Hiragino Sans',sans-serif;color:var(--ink);line-height:1.55}\
header.site{display:flex;gap:1.2em;align-items:center;padding:.6em 1.2em;border-bottom:1px solid var(--line);background:#f6f8fb}\
header.site a{color:var(--ink);text-decoration:none}header.site .brand{font-weight:700;margin-right:1em}\
main{max-width:60em;margin:1.2em auto;padding:0 1.2em}\
#drop{border:2px dashed var(--line);border-radius:8px;padding:2.2em;text-align:center;margin:1em 0;color:var(--muted)}\
#drop.over{border-color:var(--accent);background:#eef4ff}\
textarea{width:100%;min-height:8em;font-family:ui-monospace,monospace;font-size:.85em}\
button,.button{background:var(--accent);color:#fff;border:0;border-radius:4px;padding:.45em 1em;font-size:1em;cursor:pointer;text-decoration:none}\
table.list{border-collapse:collapse;width:100%;font-size:.92em}table.list td,table.list th{border-bottom:1px solid var(--line);padding:.35em .5em;text-align:left;vertical-align:top}\
.v{display:inline-block;border-radius:3px;padding:0 .4em;font-size:.85em;color:#fff}.v-phishing{background:#b3261e}.v-suspicious{background:#b26a00}.v-clean{background:#2e7d32}\
.downloads a{margin-right:.8em}.muted{color:var(--muted)}form.inline{display:inline}\
.campaign{border:1px solid var(--line);border-radius:6px;padding:.6em 1em;margin:1em 0}";

const DROP_SCRIPT: &str = "\
const zone=document.getElementById('drop'),input=document.getElementById('mail'),form=document.getElementById('upload');\
zone.addEventListener('dragover',e=>{e.preventDefault();zone.classList.add('over')});\
zone.addEventListener('dragleave',()=>zone.classList.remove('over'));\
zone.addEventListener('drop',e=>{e.preventDefault();zone.classList.remove('over');\
if(e.dataTransfer.files.length){input.files=e.dataTransfer.files;form.submit();}});\
input.addEventListener('change',()=>{if(input.files.length)form.submit();});";

/// A whole page: the site's frame around `body`.
fn page(nonce: &Nonce, title: &str, body: &str, extra_style: &str, script: &str) -> Html<String> {
    let n = attr(&nonce.0);
    let script =
        if script.is_empty() { String::new() } else { format!("<script nonce=\"{n}\">{script}</script>") };
    Html(format!(
        "<!DOCTYPE html>\n<html lang=\"ja\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"referrer\" content=\"no-referrer\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>{} — kaibo</title>\n<style nonce=\"{n}\">{SITE_STYLE}{extra_style}</style>\n</head>\n<body>\n\
<header class=\"site\"><a class=\"brand\" href=\"/\">kaibo 解剖</a><a href=\"/\">Analyse 解析</a>\
<a href=\"/analyses\">History 履歴</a><a href=\"/campaigns\">Campaigns キャンペーン</a></header>\n\
<main>\n{body}\n</main>\n{script}\n</body>\n</html>\n",
        text(title)
    ))
}

fn verdict_badge(v: &str) -> String {
    format!("<span class=\"v v-{}\">{}</span>", attr(v), text(v))
}

fn when(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    kaibo_core::calendar::rfc3339_utc(secs).replace('T', " ").replace('Z', " UTC")
}

async fn home(
    State(state): State<SharedState>,
    Extension(nonce): Extension<Nonce>,
    headers: HeaderMap,
) -> Response {
    let ja = pick_lang(None, &headers) == Lang::Ja;
    let online = match &state.online {
        Some(o) if o.allowed.any() => {
            let boxes: String = o
                .allowed
                .names()
                .iter()
                .map(|r| {
                    let checked = if o.by_default { " checked" } else { "" };
                    format!("<label><input type=\"checkbox\" name=\"rung\" value=\"{0}\"{checked}> {0}</label> ", attr(r))
                })
                .collect();
            format!(
                "<p>Online lookups / オンライン調査: {boxes}<br><span class=\"muted\">They run after the offline \
analysis, from this server (DNS, RDAP, reputation feeds, a guarded visit of the landing page); the page follows them.</span></p>"
            )
        }
        _ => "<p class=\"muted\">Online lookups (DNS, RDAP, reputation, landing-page visits) are off on this server.</p>".into(),
    };
    let (sel_ja, sel_en) = if ja { (" selected", "") } else { ("", " selected") };
    let body = format!(
        "<h1>Dissect a suspicious mail / 不審なメールを解剖する</h1>\n\
<p class=\"muted\">Drop a saved mail (.eml) here, pick one, or paste its source. kaibo analyses it offline on this \
server: nothing is fetched from the links, and the mail's own HTML is never shown.<br>\
保存したメール (.eml) をここにドロップするか、選ぶか、ソースを貼り付けてください。解析はこのサーバー上でオフラインで行い、リンク先にはアクセスしません。</p>\n\
<form id=\"upload\" method=\"post\" action=\"/analyses\" enctype=\"multipart/form-data\">\n\
<div id=\"drop\"><span>Drop a mail here / ここにドロップ</span><br><br>\
<input type=\"file\" id=\"mail\" name=\"mail\" accept=\".eml,message/rfc822,.msg,.txt\"></div>\n\
<p><label for=\"raw\">…or paste the raw source / またはソースを貼り付け</label><br>\
<textarea id=\"raw\" name=\"raw\" spellcheck=\"false\"></textarea></p>\n\
<p><label>Report language / レポートの言語 <select name=\"lang\"><option value=\"ja\"{sel_ja}>日本語</option>\
<option value=\"en\"{sel_en}>English</option></select></label> \
<button type=\"submit\">Analyse / 解析</button></p>\n{online}\n</form>"
    );
    page(&nonce, "Analyse", &body, "", DROP_SCRIPT).into_response()
}

async fn upload(State(state): State<SharedState>, mut form: Multipart) -> Response {
    let mut raw: Option<Vec<u8>> = None;
    let mut lang = String::from("ja");
    let mut rungs: Vec<String> = Vec::new();
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                let status = e.status();
                let msg = if status == StatusCode::PAYLOAD_TOO_LARGE {
                    "the mail is larger than the server's limit".to_string()
                } else {
                    e.body_text()
                };
                return error_response("/analyses", status, &msg);
            }
        };
        let name = field.name().unwrap_or("").to_string();
        let bytes = match field.bytes().await {
            Ok(b) => b,
            Err(e) => {
                let status = e.status();
                return error_response("/analyses", status, &e.body_text());
            }
        };
        match name.as_str() {
            "mail" if !bytes.is_empty() => raw = Some(bytes.to_vec()),
            "raw" if raw.is_none() && !bytes.iter().all(u8::is_ascii_whitespace) => {
                // A pasted source comes with the browser's CRLF; the parser reads either.
                raw = Some(bytes.to_vec());
            }
            "lang" if matches!(&bytes[..], b"ja" | b"en") => {
                lang = String::from_utf8_lossy(&bytes).into_owned()
            }
            "rung" if bytes.len() <= 16 && rungs.len() < 8 => {
                rungs.push(String::from_utf8_lossy(&bytes).into_owned())
            }
            _ => {}
        }
    }
    let Some(raw) = raw else {
        return error_response(
            "/analyses",
            StatusCode::UNPROCESSABLE_ENTITY,
            "no mail: choose a file or paste its source",
        );
    };
    // A form without boxes ticked asks for no online rungs, whatever the server's default.
    let asked = if rungs.is_empty() { "none".to_string() } else { rungs.join(",") };
    let rerun = !rungs.is_empty();
    match state.analyse_and_store(raw, "upload", rerun, Some(&asked)).await {
        Ok((summary, _)) => Redirect::to(&format!("/analyses/{}?lang={lang}", summary.id)).into_response(),
        Err(e) => {
            let (status, msg) = upload_error(e);
            error_response("/analyses", status, &msg)
        }
    }
}

#[derive(Deserialize, Default)]
struct LangQuery {
    lang: Option<String>,
}

async fn analysis(
    State(state): State<SharedState>,
    Extension(nonce): Extension<Nonce>,
    Path(id): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = pick_lang(q.lang.as_deref(), &headers);
    let stored = match blocking(&state, move |s| s.store.get(&id)).await {
        Ok(Some(s)) => s,
        Ok(None) => return error_response("/analyses", StatusCode::NOT_FOUND, "no such analysis"),
        Err(e) => return error_response("/analyses", StatusCode::INTERNAL_SERVER_ERROR, &e),
    };
    let d = match stored.dissection() {
        Ok(d) => d,
        Err(e) => return error_response("/analyses", StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    };
    let doc = document(&d, lang);
    let id = attr(&stored.summary.id).into_owned();
    let l = if lang == Lang::Ja { "ja" } else { "en" };
    let other = if lang == Lang::Ja { ("en", "English") } else { ("ja", "日本語") };
    let downloads = [
        ("report.html", "HTML"),
        ("report.md", "Markdown"),
        ("report.json", "JSON"),
        ("report.misp", "MISP"),
        ("report.stix", "STIX"),
        ("report.iocs", "IOC list"),
        ("abuse.txt", "abuse drafts"),
    ]
    .iter()
    .map(|(f, label)| format!("<a href=\"/api/v1/analyses/{id}/{f}?lang={l}\" download>{label}</a>"))
    .collect::<String>();
    let body = format!(
        "<p class=\"downloads\" data-verdict=\"{}\">Download / ダウンロード: {downloads} · <a href=\"/analyses/{id}?lang={}\">{}</a> \
<form class=\"inline\" method=\"post\" action=\"/analyses/{id}/delete\"><button type=\"submit\">Delete / 削除</button></form></p>\n\
<p class=\"muted\">Analysed {}{} · SHA-256 <code>{}</code></p>\n<article class=\"report {}\">\n{}</article>",
        attr(&stored.summary.verdict),
        other.0,
        other.1,
        text(&when(stored.summary.created)),
        match (&stored.summary.origin[..], &stored.summary.reporter) {
            ("watch", Some(r)) => format!(" · reported by {}", text(r)),
            ("watch", None) => " · from the reporting mailbox".to_string(),
            _ => String::new(),
        },
        text(&stored.summary.sha256),
        attr(&stored.summary.verdict),
        kaibo_report::render_html_body(&doc),
    );
    let (progress, script) = online_progress(&stored.summary);
    let body = format!("{progress}{body}");
    page(&nonce, &doc.title, &body, kaibo_report::REPORT_STYLE, &script).into_response()
}

/// The online rungs' state above the report, and while they run, the script that follows them
/// (server-sent events) and reloads the page when they end. Without script, a refresh link.
fn online_progress(s: &kaibo_store::Summary) -> (String, String) {
    let p = crate::online::Progress::from_stored(s.online.as_deref());
    let rungs = p.rungs.join(", ");
    let text = match p.state.as_str() {
        "none" => return (String::new(), String::new()),
        "running" => {
            format!("Online lookups running / オンライン調査中: {rungs} … <a href=\"?\">refresh</a>")
        }
        "done" => format!("Online lookups done / オンライン調査完了: {rungs}"),
        "failed" => format!("Online lookups failed / オンライン調査失敗: {}", p.message.unwrap_or_default()),
        _ => {
            "Online lookups were interrupted by a restart / 再起動で中断されました (analyse again with them)"
                .into()
        }
    };
    let html = format!("<p id=\"online\" class=\"muted\" data-state=\"{}\">{}</p>\n", attr(&p.state), text);
    if p.state != "running" {
        return (html, String::new());
    }
    let script = format!(
        "const box=document.getElementById('online');\
const es=new EventSource('/api/v1/analyses/{}/events');\
es.addEventListener('progress',e=>{{const p=JSON.parse(e.data);box.dataset.state=p.state;\
if(p.state!=='running'){{es.close();location.reload();}}}});",
        html_escape::encode_script_single_quoted_text(&s.id)
    );
    (html, script)
}

async fn delete(State(state): State<SharedState>, Path(id): Path<String>) -> Response {
    match blocking(&state, move |s| s.store.delete(&id)).await {
        Ok(_) => Redirect::to("/analyses").into_response(),
        Err(e) => error_response("/analyses", StatusCode::INTERNAL_SERVER_ERROR, &e),
    }
}

async fn history(
    State(state): State<SharedState>,
    Extension(nonce): Extension<Nonce>,
    Query(p): Query<ListParams>,
) -> Response {
    let q = match p.query() {
        Ok(q) => q,
        Err(e) => return error_response("/analyses", StatusCode::BAD_REQUEST, &e),
    };
    let page_items = match blocking(&state, move |s| s.store.search(&q)).await {
        Ok(p) => p,
        Err(e) => return error_response("/analyses", StatusCode::BAD_REQUEST, &e),
    };
    let v = p.verdict.as_deref().unwrap_or("");
    let option = |value: &str, label: &str| {
        format!("<option value=\"{value}\"{}>{label}</option>", if v == value { " selected" } else { "" })
    };
    let mut body = format!(
        "<h1>History / 履歴</h1>\n<form method=\"get\" action=\"/analyses\">\
<input type=\"search\" name=\"q\" value=\"{}\" placeholder=\"subject, sender, domain, URL, IP, hash / 件名・送信者・ドメイン…\" size=\"40\"> \
<select name=\"verdict\">{}{}{}{}</select> \
<label>from <input type=\"date\" name=\"since\" value=\"{}\"></label> <label>to <input type=\"date\" name=\"until\" value=\"{}\"></label> \
<button type=\"submit\">Search / 検索</button></form>\n",
        attr(p.q.as_deref().unwrap_or("")),
        option("", "any verdict"),
        option("phishing", "phishing"),
        option("suspicious", "suspicious"),
        option("clean", "clean"),
        attr(p.since.as_deref().unwrap_or("")),
        attr(p.until.as_deref().unwrap_or("")),
    );
    if page_items.items.is_empty() {
        body.push_str("<p class=\"muted\">No analyses found. / 該当する解析はありません。</p>");
    } else {
        body.push_str("<table class=\"list\"><thead><tr><th>verdict</th><th>score</th><th>subject</th><th>sender</th><th>reported by</th><th>analysed</th></tr></thead><tbody>\n");
        for s in &page_items.items {
            body.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td><a href=\"/analyses/{}\">{}</a></td><td>{}</td><td>{}</td><td class=\"muted\">{}</td></tr>\n",
                verdict_badge(&s.verdict),
                s.score,
                attr(&s.id),
                text(s.subject.as_deref().filter(|t| !t.is_empty()).unwrap_or("(no subject)")),
                text(s.sender.as_deref().unwrap_or("")),
                text(if s.origin == "watch" { s.reporter.as_deref().unwrap_or("") } else { "" }),
                text(&when(s.created)),
            ));
        }
        body.push_str("</tbody></table>\n");
    }
    if let Some(next) = &page_items.next {
        let mut params = vec![("cursor", next.clone())];
        for (k, v) in [("q", &p.q), ("verdict", &p.verdict), ("since", &p.since), ("until", &p.until)] {
            if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
                params.push((k, v.clone()));
            }
        }
        let qs: Vec<String> = params.iter().map(|(k, v)| format!("{k}={}", percent(v))).collect();
        body.push_str(&format!("<p><a href=\"/analyses?{}\">Older / 以前 →</a></p>", attr(&qs.join("&"))));
    }
    page(&nonce, "History", &body, "", "").into_response()
}

/// Percent-encodes a query value.
fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn campaigns(State(state): State<SharedState>, Extension(nonce): Extension<Nonce>) -> Response {
    let found = blocking(&state, |s| {
        let mut out = Vec::new();
        for c in s.store.campaigns()? {
            let mut members = Vec::new();
            for id in &c.analyses {
                if let Some(stored) = s.store.get(id)? {
                    members.push(stored.summary);
                }
            }
            out.push((c, members));
        }
        Ok(out)
    })
    .await;
    let found = match found {
        Ok(f) => f,
        Err(e) => return error_response("/campaigns", StatusCode::INTERNAL_SERVER_ERROR, &e),
    };
    let mut body = String::from(
        "<h1>Campaigns / キャンペーン</h1>\n<p class=\"muted\">Flagged mails that share infrastructure: a link's \
domain (not a shortener, a hosting service or your own), a landing host or form target, a phishing kit, an \
attachment, or the same letter. / 同じ基盤や文面を共有する不審なメールのまとまり。</p>\n",
    );
    if found.is_empty() {
        body.push_str("<p class=\"muted\">No campaigns yet. / まだありません。</p>");
    }
    for (c, members) in &found {
        let cid = attr(&c.id);
        body.push_str(&format!(
            "<section class=\"campaign\" id=\"{cid}\"><h2>{} <span class=\"muted\">({} mails)</span></h2>\
<p class=\"muted\">first seen {} · last seen {} · <a href=\"/api/v1/campaigns/{cid}/export.misp\" download>MISP event</a> \
<a href=\"/api/v1/campaigns/{cid}/export.stix\" download>STIX bundle</a></p><p>Shared / 共通: {}</p><ul>",
            text(&c.id),
            c.analyses.len(),
            text(&when(c.first_seen)),
            text(&when(c.last_seen)),
            c.indicators.iter().map(|i| format!("<code>{}</code>", text(i))).collect::<Vec<_>>().join(" "),
        ));
        for m in members {
            body.push_str(&format!(
                "<li>{} <a href=\"/analyses/{}\">{}</a> <span class=\"muted\">{}</span></li>",
                verdict_badge(&m.verdict),
                attr(&m.id),
                text(m.subject.as_deref().unwrap_or("(no subject)")),
                text(&when(m.created)),
            ));
        }
        body.push_str("</ul></section>\n");
    }
    page(&nonce, "Campaigns", &body, "", "").into_response()
}

async fn login_form(Extension(nonce): Extension<Nonce>) -> Response {
    let body = "<h1>Sign in / ログイン</h1>\n<form method=\"post\" action=\"/login\">\
<p><label>API token / トークン <input type=\"password\" name=\"token\" autocomplete=\"current-password\" size=\"40\"></label> \
<button type=\"submit\">Sign in</button></p></form>";
    page(&nonce, "Sign in", body, "", "").into_response()
}

#[derive(Deserialize)]
struct LoginForm {
    token: String,
}

async fn login(State(state): State<SharedState>, Form(f): Form<LoginForm>) -> Response {
    let hash = kaibo_store::sha256_hex(f.token.trim().as_bytes());
    if !state.gate.knows_hash(&hash) {
        return error_response("/login", StatusCode::UNAUTHORIZED, "that token is not one of this server's");
    }
    let mut r = Redirect::to("/").into_response();
    if let Ok(v) = format!("{SESSION_COOKIE}={hash}; Path=/; HttpOnly; SameSite=Strict").parse() {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}
