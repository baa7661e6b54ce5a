//! The terminal report: the dissection in the order an analyst writes it up.
//!
//! Headers → Sender → Content → Links → Verdict → Advice. Each section shows the facts first,
//! then the findings that belong to it with their weight, explanation and evidence. Colour is
//! used only when asked (the CLI asks when stdout is a terminal).

use std::fmt::Write;

use kaibo_core::{Analysis, Finding, Verdict};
use kaibo_model::analysis::AnalysedKind;
use kaibo_model::enrichment::{DnsStatus, FeedMatch};
use kaibo_model::visit::{Page, PageVisit, Screenshot, VisitOutcome};
use kaibo_model::{Dissection, Enrichment, Visit};

use crate::defang::defang_url;
pub use crate::words::Lang;
use crate::words::{ask_word, clip, verdict_word};

#[derive(Debug, Clone, Copy)]
pub struct TextOptions {
    pub lang: Lang,
    pub color: bool,
    /// Defang URLs, domains and addresses (on by default).
    pub defang: bool,
}

impl Default for TextOptions {
    fn default() -> Self {
        TextOptions { lang: Lang::En, color: false, defang: true }
    }
}

/// UI words in both languages.
struct Words {
    title: &'static str,
    headers: &'static str,
    sender: &'static str,
    content: &'static str,
    links: &'static str,
    verdict: &'static str,
    advice: &'static str,
    subject: &'static str,
    date: &'static str,
    to: &'static str,
    route: &'static str,
    auth: &'static str,
    upstream: &'static str,
    added_by: &'static str,
    none: &'static str,
    language: &'static str,
    text_excerpt: &'static str,
    hidden: &'static str,
    attachments: &'static str,
    encrypted: &'static str,
    listing_cut: &'static str,
    no_links: &'static str,
    shown_as: &'static str,
    domain: &'static str,
    country: &'static str,
    score: &'static str,
    reasons: &'static str,
    analysed_attached: &'static str,
    not_scored: &'static str,
    defects: &'static str,
    limits: &'static str,
}

const EN: Words = Words {
    title: "kaibo dissection",
    headers: "Headers",
    sender: "Sender",
    content: "Content",
    links: "Links",
    verdict: "Verdict",
    advice: "Advice for the recipient",
    subject: "Subject",
    date: "Date",
    to: "To",
    route: "Route (newest first)",
    auth: "Authentication",
    upstream: "Upstream verdicts",
    added_by: "added by",
    none: "none",
    language: "Language",
    text_excerpt: "Text (excerpt)",
    hidden: "Hidden text",
    attachments: "Attachments",
    encrypted: "(password-protected)",
    listing_cut: "… (listing cut: the archive names more files, see docs/limits.md)",
    no_links: "No links.",
    shown_as: "shown as",
    domain: "domain",
    country: "country",
    score: "score",
    reasons: "Why",
    analysed_attached: "This mail forwards another mail as an attachment; the attached mail is analysed below.",
    not_scored: "not scored",
    defects: "Defects",
    limits: "Limits reached (not everything was read; docs/limits.md)",
};

const JA: Words = Words {
    title: "kaibo 解剖レポート",
    headers: "ヘッダー",
    sender: "差出人",
    content: "本文",
    links: "リンク",
    verdict: "判定",
    advice: "受信者へのアドバイス",
    subject: "件名",
    date: "日時",
    to: "宛先",
    route: "配送経路(新しい順)",
    auth: "送信元認証",
    upstream: "経路上の判定",
    added_by: "付与",
    none: "なし",
    language: "言語",
    text_excerpt: "本文(抜粋)",
    hidden: "隠しテキスト",
    attachments: "添付ファイル",
    encrypted: "(パスワード付き)",
    listing_cut: "…(一覧は上限で打ち切り: アーカイブにはさらにファイルがあります。docs/limits.md 参照)",
    no_links: "リンクはありません。",
    shown_as: "表示",
    domain: "ドメイン",
    country: "国",
    score: "スコア",
    reasons: "根拠",
    analysed_attached: "このメールは別のメールを添付で転送しています。以下は添付されたメールの解析です。",
    not_scored: "スコア対象外",
    defects: "構造上の不備",
    limits: "上限に達した項目(すべては読んでいません。docs/limits.md 参照)",
};

struct Out<'a> {
    buf: String,
    opts: &'a TextOptions,
    w: &'static Words,
}

impl Out<'_> {
    fn paint(&self, code: &str, s: &str) -> String {
        debug_assert!(crate::inert::PALETTE.contains(&code), "colour {code} is not in the palette");
        if self.opts.color { format!("\x1b[{code}m{s}\x1b[0m") } else { s.to_string() }
    }

    fn heading(&mut self, s: &str) {
        let h = self.paint("1;36", &format!("== {s} =="));
        let _ = writeln!(self.buf, "\n{h}");
    }

    fn field(&mut self, label: &str, value: &str) {
        // Pad by display width: CJK characters take two terminal columns.
        let pad = 14usize.saturating_sub(display_width(label));
        let _ = writeln!(self.buf, "  {label}{} {value}", " ".repeat(pad));
    }

    /// Indicators are defanged unless the user asked for raw output.
    /// Indicators in text: defanged, `@` as `[at]` (unless `--no-defang`).
    fn ioc(&self, s: &str) -> String {
        if self.opts.defang { crate::indicators::defang_ioc(s) } else { s.to_string() }
    }

    fn url(&self, s: &str) -> String {
        if self.opts.defang { defang_url(s).replace('@', "[at]") } else { s.to_string() }
    }

    fn finding(&mut self, f: &Finding) {
        let weight = if f.scored { format!("{:+}", f.weight) } else { format!("({})", self.w.not_scored) };
        let code = if !f.scored || f.weight <= 0 {
            "32"
        } else if f.weight >= 20 {
            "1;31"
        } else {
            "33"
        };
        let head = self.paint(code, &format!("[{weight}] {}", f.id));
        let expl = match self.opts.lang {
            Lang::En => &f.explanation.en,
            Lang::Ja => &f.explanation.ja,
        };
        let _ = writeln!(self.buf, "  {head}");
        let _ = writeln!(self.buf, "      {expl}");
        for e in &f.evidence {
            let v = if e.source.starts_with("url") { self.url(&e.value) } else { self.ioc(&e.value) };
            let _ = writeln!(self.buf, "      · {}: {v}", e.source);
        }
    }

    fn findings_of(&mut self, a: &Analysis, categories: &[&str]) {
        for f in a.findings.iter().filter(|f| categories.contains(&f.category.as_str())) {
            self.finding(f);
        }
    }
}

/// Renders the dissection as a terminal report, with the "Online lookups" and "Landing page"
/// sections when those rungs ran.
pub fn render_text(d: &Dissection, opts: &TextOptions) -> String {
    // Everything from the mail, the registries and the pages is printed from an inert copy.
    let d = &crate::inert::copy(d);
    let a = &d.analysis;
    let w = match opts.lang {
        Lang::En => &EN,
        Lang::Ja => &JA,
    };
    let mut o = Out { buf: String::new(), opts, w };
    let color = match a.verdict {
        Verdict::Phishing => "1;41;97",
        Verdict::Suspicious => "1;43;30",
        Verdict::Clean => "1;42;30",
    };
    o.title(a, color);
    o.headers_section(a);
    o.sender_section(a);
    o.content_section(a);
    o.links_section(a);
    if let Some(e) = d.enrichment.as_ref().filter(|e| !e.rungs.is_empty()) {
        online_section(&mut o, e);
        o.findings_of(a, &["enrich"]);
    }
    if let Some(v) = &d.visit {
        landing_section(&mut o, v);
        o.findings_of(a, &["visit"]);
    }
    o.verdict_section(a, color);
    crate::inert::output(o.buf, opts.color)
}

impl Out<'_> {
    /// The title line, the verdict badge and thresholds, and what was analysed.
    fn title(&mut self, a: &Analysis, color: &str) {
        let (w, opts, m) = (self.w, self.opts, &a.message);
        let verdict_label = verdict_word(a.verdict, opts.lang);
        let _ = writeln!(self.buf, "{} — {}", w.title, m.subject.as_deref().unwrap_or("(no subject)"));
        let badge = self.paint(color, &format!(" {verdict_label} "));
        let _ = writeln!(
            self.buf,
            "{badge}  {} {} ({} ≥ {}, {} ≥ {})",
            w.score,
            a.score,
            verdict_word(Verdict::Suspicious, opts.lang),
            a.thresholds.suspicious,
            verdict_word(Verdict::Phishing, opts.lang),
            a.thresholds.phishing
        );
        if a.analysed.kind == AnalysedKind::AttachedMessage {
            let _ = writeln!(self.buf, "{}", w.analysed_attached);
            if a.analysed.depth > 1 {
                let _ = match opts.lang {
                    Lang::En => {
                        writeln!(self.buf, "(a forward of a forward: {} levels unwrapped)", a.analysed.depth)
                    }
                    Lang::Ja => writeln!(self.buf, "(転送の転送: {} 段階を開いて解析)", a.analysed.depth),
                };
            }
        }
    }

    /// Headers: subject, date, Message-ID, recipients, other filters' verdicts, the route.
    fn headers_section(&mut self, a: &Analysis) {
        let (w, m) = (self.w, &a.message);
        self.heading(w.headers);
        self.field(w.subject, m.subject.as_deref().unwrap_or(w.none));
        self.field(w.date, m.date.as_deref().unwrap_or(w.none));
        self.field("Message-ID", &self.ioc(m.message_id.as_deref().unwrap_or(w.none)));
        let to = m.to.iter().filter_map(|t| t.address.clone()).collect::<Vec<_>>().join(", ");
        self.field(w.to, &self.ioc(if to.is_empty() { w.none } else { &to }));
        if !a.upstream_verdicts.is_empty() {
            let _ = writeln!(self.buf, "  {}:", w.upstream);
            for u in &a.upstream_verdicts {
                let by = u
                    .added_by
                    .as_deref()
                    .map(|b| format!(" ({} {})", w.added_by, self.ioc(b)))
                    .unwrap_or_default();
                let _ = writeln!(self.buf, "    - {}: {}{by}", u.kind, u.value);
            }
        }
        if !a.hops.is_empty() {
            let _ = writeln!(self.buf, "  {}:", w.route);
            for h in &a.hops {
                // The name the sender gave, then the one the receiving server looked up for its
                // address when they differ (a forged "rakuten.co.jp" shows its real host).
                let host = match (&h.from_host, &h.from_rdns) {
                    (Some(host), Some(rdns)) if !host.eq_ignore_ascii_case(rdns) => {
                        Some(format!("{host} ({rdns})"))
                    }
                    (host, rdns) => host.clone().or_else(|| rdns.clone()),
                };
                let from = match (host, &h.from_ip) {
                    (Some(host), Some(ip)) if host != *ip => format!("{host} [{ip}]"),
                    (Some(host), _) => host,
                    (None, Some(ip)) => format!("[{ip}]"),
                    (None, None) => "?".into(),
                };
                let mut line = format!(
                    "    {}. {} → {}",
                    h.index + 1,
                    self.ioc(&from),
                    self.ioc(h.by_host.as_deref().unwrap_or("?"))
                );
                if let Some(with) = &h.with {
                    let _ = write!(line, "  {with}");
                }
                if let Some(tls) = &h.tls {
                    let _ = write!(line, " {tls}");
                }
                if let Some(t) = &h.time {
                    let _ = write!(line, "  {t}");
                }
                if let Some(d) = h.delay_seconds {
                    let _ = write!(line, " (+{d}s)");
                }
                let _ = writeln!(self.buf, "{line}");
            }
        }
        if !a.limits.is_empty() {
            let _ = writeln!(self.buf, "  {}: {}", w.limits, a.limits.join("; "));
        }
        if !a.defects.is_empty() {
            let _ = writeln!(self.buf, "  {}: {}", w.defects, a.defects.join("; "));
        }
        self.findings_of(a, &["upstream", "structure"]);
    }

    /// Sender: From, Return-Path, Reply-To, authentication.
    fn sender_section(&mut self, a: &Analysis) {
        let (w, m) = (self.w, &a.message);
        self.heading(w.sender);
        let from = match (&m.from.name, &m.from.address) {
            (Some(n), Some(ad)) => format!("\"{n}\" <{ad}>"),
            (None, Some(ad)) => ad.clone(),
            (Some(n), None) => n.clone(),
            (None, None) => w.none.to_string(),
        };
        self.field("From", &self.ioc(&from));
        if let Some(rp) = &m.return_path {
            self.field("Return-Path", &self.ioc(if rp.is_empty() { "<>" } else { rp }));
        }
        for rt in &m.reply_to {
            self.field("Reply-To", &self.ioc(rt.address.as_deref().unwrap_or("")));
        }
        let auth = &a.authentication;
        if let Some(id) = &auth.authserv_id {
            let dash = "-".to_string();
            let summary = format!(
                "spf={} dkim={} dmarc={}{}  ({}: {})",
                auth.spf.as_deref().unwrap_or("-"),
                if auth.dkim.is_empty() { dash.clone() } else { auth.dkim.join(",") },
                auth.dmarc.as_deref().unwrap_or("-"),
                auth.arc.as_deref().map(|x| format!(" arc={x}")).unwrap_or_default(),
                self.ioc(id),
                auth.trusted_because.as_deref().unwrap_or("")
            );
            self.field(w.auth, &summary);
        } else {
            self.field(w.auth, w.none);
        }
        self.findings_of(a, &["sender", "auth"]);
    }

    /// Content: language, text, hidden text, attachments and what is inside them.
    fn content_section(&mut self, a: &Analysis) {
        let (w, m) = (self.w, &a.message);
        self.heading(w.content);
        if let Some(lang) = &m.language {
            self.field(w.language, lang);
        }
        if let Some(ex) = &a.text_excerpt {
            let _ = writeln!(self.buf, "  {}:", w.text_excerpt);
            for line in ex.lines().filter(|l| !l.trim().is_empty()).take(8) {
                let _ = writeln!(self.buf, "    │ {}", self.ioc(&clip(line.trim(), 100)));
            }
        }
        if !a.hidden_text.is_empty() {
            let hidden = a
                .hidden_text
                .iter()
                .take(3)
                .map(|h| format!("\"{}\"", clip(h, 60)))
                .collect::<Vec<_>>()
                .join(", ");
            self.field(w.hidden, &hidden);
        }
        for att in &a.observables.attachments {
            let name = att.filename.as_deref().unwrap_or("(unnamed)");
            let detected = att.detected_type.as_deref().map(|d| format!(", {d}")).unwrap_or_default();
            let line =
                format!("{name} ({}{detected}, {} B) sha256 {}", att.declared_type, att.size, att.sha256);
            self.field(w.attachments, &line);
            // What is inside: archive listing, PDF links and script, QR codes.
            let mut inside: Vec<String> = att.archive_entries.iter().take(5).map(|e| self.ioc(e)).collect();
            if att.archive_listing_cut {
                inside.push(w.listing_cut.to_string());
            }
            if att.encrypted {
                inside.push(w.encrypted.to_string());
            }
            inside.extend(att.active_content.iter().cloned());
            inside.extend(att.links.iter().chain(&att.qr_codes).take(5).map(|u| self.url(u)));
            for item in inside {
                let _ = writeln!(self.buf, "  {:14}   └ {item}", "");
            }
        }
        self.findings_of(a, &["lure", "content", "attachment"]);
    }

    /// Links: each link a reader can follow, with its domain and country.
    fn links_section(&mut self, a: &Analysis) {
        let w = self.w;
        self.heading(w.links);
        let clickable: Vec<_> = a.observables.urls.iter().filter(|u| !u.source.is_loaded()).collect();
        if clickable.is_empty() {
            let _ = writeln!(self.buf, "  {}", w.no_links);
        }
        for (i, u) in clickable.iter().enumerate().take(30) {
            let _ = writeln!(self.buf, "  {}. {}  ({})", i + 1, self.url(&u.facts.url), u.source);
            if let Some(t) = &u.display_text {
                let _ = writeln!(self.buf, "     {}: {}", w.shown_as, self.ioc(&clip(t, 80)));
            }
            let mut facts = Vec::new();
            if let Some(d) = &u.facts.registrable_domain {
                facts.push(format!("{}: {}", w.domain, self.ioc(d)));
            }
            if let Some(uni) = &u.facts.host_unicode {
                facts.push(format!("IDN: {uni}"));
            }
            if let Some(c) = &u.facts.country {
                facts.push(format!("{}: {}", w.country, c));
            }
            if u.facts.is_ip {
                facts.push("IP".into());
            }
            if !facts.is_empty() {
                let _ = writeln!(self.buf, "     {}", facts.join("  "));
            }
        }
        if clickable.len() > 30 {
            let _ = writeln!(self.buf, "  … {} more", clickable.len() - 30);
        }
        self.findings_of(a, &["links"]);
    }

    /// Verdict: the badge, the strongest reasons, and advice for the recipient.
    fn verdict_section(&mut self, a: &Analysis, color: &str) {
        let (w, opts) = (self.w, self.opts);
        let verdict_label = verdict_word(a.verdict, opts.lang);
        self.heading(w.verdict);
        let badge = self.paint(color, &format!(" {verdict_label} "));
        let _ = writeln!(self.buf, "  {badge}  {} {}", w.score, a.score);
        let top = crate::strongest(a, 6);
        if !top.is_empty() {
            let _ = writeln!(self.buf, "  {}:", w.reasons);
            for f in top {
                let _ = writeln!(
                    self.buf,
                    "    {:+} {} — {}",
                    f.weight,
                    f.id,
                    crate::first_sentence(f, opts.lang)
                );
            }
        }

        self.heading(w.advice);
        for line in crate::words::terminal_advice(a.verdict, opts.lang) {
            let _ = writeln!(self.buf, "  - {line}");
        }
    }
}

/// Terminal columns of a string: East Asian wide characters take two.
fn display_width(s: &str) -> usize {
    s.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115f
            | 0x2e80..=0xa4cf
            | 0xac00..=0xd7a3
            | 0xf900..=0xfaff
            | 0xfe30..=0xfe4f
            | 0xff00..=0xff60
            | 0xffe0..=0xffe6 => 2,
            _ => 1,
        })
        .sum()
}

/// "Online lookups": what DNS, the registries, the geolocation databases and the feeds said.
fn online_section(o: &mut Out<'_>, e: &Enrichment) {
    let ja = matches!(o.opts.lang, Lang::Ja);
    let t = |en: &'static str, jp: &'static str| if ja { jp } else { en };
    o.heading(t("Online lookups", "オンライン調査"));
    o.field(t("Rungs", "実施内容"), &e.rungs.join(", "));
    for h in &e.hosts {
        let value = match h.status {
            DnsStatus::Nxdomain => t("does not exist (NXDOMAIN)", "存在しません(NXDOMAIN)").to_string(),
            DnsStatus::Failed => t("lookup failed", "問い合わせ失敗").to_string(),
            DnsStatus::Ok => {
                let mut parts: Vec<String> = h.addresses.iter().map(|ip| o.ioc(&ip.to_string())).collect();
                if !h.cname.is_empty() {
                    parts.push(format!("CNAME {}", o.ioc(&h.cname.join(" → "))));
                }
                if parts.is_empty() {
                    parts.push(t("no address", "アドレスなし").to_string());
                }
                parts.join(", ")
            }
        };
        o.field("DNS", &format!("{} → {value}", o.ioc(&h.host)));
    }
    if let Some(p) = &e.sender_policy {
        let dmarc = p.dmarc.as_deref().unwrap_or(t("(none published)", "(公開なし)"));
        let spf = p.spf.as_deref().unwrap_or(t("(none published)", "(公開なし)"));
        o.field("DMARC", &format!("{}: {}", o.ioc(&p.domain), o.ioc(dmarc)));
        o.field("SPF", &format!("{}: {}", o.ioc(&p.domain), o.ioc(spf)));
    }
    registrations(o, e);
    feeds_and_reputation(o, e);
}

/// What the registries say about each domain and network.
fn registrations(o: &mut Out<'_>, e: &Enrichment) {
    let ja = matches!(o.opts.lang, Lang::Ja);
    let t = |en: &'static str, jp: &'static str| if ja { jp } else { en };
    for r in &e.registrations {
        if !r.found {
            let missing = if r.query.parse::<std::net::IpAddr>().is_ok() {
                t("no network record at this RDAP server", "この RDAP サーバーにネットワーク情報なし")
            } else {
                t("not registered (the registry has no record)", "登録なし(レジストリに記録なし)")
            };
            o.field(t("Registry", "登録情報"), &format!("{}: {missing}", o.ioc(&r.query)));
            continue;
        }
        let mut parts = Vec::new();
        if let Some(reg) = &r.registrar {
            parts.push(format!("{} {reg}", t("registrar", "レジストラ")));
        }
        if let Some(c) = &r.created {
            parts.push(format!("{} {c}", t("created", "登録日")));
        }
        if let Some(n) = &r.network {
            parts.push(n.clone());
        }
        if let Some(c) = &r.country {
            parts.push(c.clone());
        }
        if let Some(a) = &r.abuse_email {
            parts.push(format!("abuse {}", o.ioc(a)));
        }
        o.field(
            t("Registry", "登録情報"),
            &format!(
                "{}: {}  ({} {})",
                o.ioc(&r.query),
                parts.join(", "),
                r.source.to_uppercase(),
                o.ioc(&r.server)
            ),
        );
    }
    for ip in &e.ips {
        let mut place = Vec::new();
        if let Some(c) = &ip.city {
            place.push(c.clone());
        }
        if let Some(c) = ip.country_name.as_ref().or(ip.country.as_ref()) {
            place.push(c.clone());
        }
        let mut line = format!("{} ({})", o.ioc(&ip.ip), ip.seen_as.join(", "));
        if !place.is_empty() {
            line.push_str(&format!(": {}", place.join(", ")));
        }
        if let (Some(lat), Some(lon)) = (ip.latitude, ip.longitude) {
            line.push_str(&format!(" [{lat:.2}, {lon:.2}]"));
        }
        if let Some(asn) = ip.asn {
            line.push_str(&format!("  AS{asn} {}", ip.as_org.as_deref().unwrap_or("")));
        }
        o.field("IP", line.trim_end());
    }
}

/// Where the addresses are, and what feeds and reputation services say.
fn feeds_and_reputation(o: &mut Out<'_>, e: &Enrichment) {
    let ja = matches!(o.opts.lang, Lang::Ja);
    let t = |en: &'static str, jp: &'static str| if ja { jp } else { en };
    for f in &e.feeds {
        o.field(
            t("Feed", "フィード"),
            &format!(
                "{}: {} {} ({} {})",
                f.feed,
                f.entries,
                t("entries", "件"),
                t("updated", "更新"),
                f.updated.as_deref().unwrap_or("?")
            ),
        );
    }
    for h in &e.feed_hits {
        let when = h.listed_at.as_deref().map(|d| format!(" ({d})")).unwrap_or_default();
        let how = if h.matched == FeedMatch::Url {
            t("this URL", "この URL")
        } else {
            t("another URL on this host", "同じホストの別の URL")
        };
        o.field(t("Listed", "掲載"), &format!("{} — {how} {} {}{when}", o.url(&h.url), t("on", "→"), h.feed));
    }
    if !e.feeds.is_empty() && !e.not_listed.is_empty() {
        o.field(
            t("Not listed", "未掲載"),
            &format!(
                "{} {}",
                e.not_listed.len(),
                t(
                    "URL(s) are on none of the feeds above — a fact, not a sign of safety",
                    "件の URL は上記のどのフィードにも掲載されていません(安全という意味ではありません)"
                )
            ),
        );
    }
    for r in &e.reputation {
        let detail = if r.detail.is_empty() { String::new() } else { format!(" ({})", r.detail) };
        o.field(
            t("Reputation", "評判"),
            &format!(
                "{} {}: {}{detail}  [{}]",
                r.service,
                o.ioc(&r.subject),
                r.verdict.replace('_', " "),
                r.checked_at
            ),
        );
    }
    for n in &e.notes {
        o.field(t("Note", "注記"), n);
    }
    if e.cache.hits > 0 {
        o.field(
            t("Cache", "キャッシュ"),
            &format!(
                "{} {}, {} {}",
                e.cache.hits,
                t("answers from the cache", "件をキャッシュから"),
                e.cache.misses,
                t("asked", "件を問い合わせ")
            ),
        );
    }
}

/// Just the "Landing page" section, for `kaibo visit URL`.
pub fn render_visit_text(v: &Visit, opts: &TextOptions) -> String {
    let w = match opts.lang {
        Lang::En => &EN,
        Lang::Ja => &JA,
    };
    let v = &crate::inert::copy(v);
    let mut o = Out { buf: String::new(), opts, w };
    landing_section(&mut o, v);
    crate::inert::output(o.buf.trim_start_matches('\n').to_string(), opts.color)
}

/// "Landing page": the redirect chain of each visited link, and what its final page is.
fn landing_section(o: &mut Out<'_>, v: &Visit) {
    let ja = matches!(o.opts.lang, Lang::Ja);
    let t = |en: &'static str, jp: &'static str| if ja { jp } else { en };
    o.heading(t("Landing page", "リンク先ページ"));
    if v.allow_list_in_use {
        o.field(
            t("Warning", "警告"),
            t(
                "the test-only allow list let private addresses through",
                "テスト用の許可リストでプライベートアドレスへの接続を許可しています",
            ),
        );
    }
    for (i, pv) in v.pages.iter().enumerate() {
        request_chain(o, i, pv);
        o.field(t("Outcome", "結果"), outcome_words(pv.outcome, ja));
        let Some(p) = &pv.page else { continue };
        page_facts(o, p);
        if let Some(s) = &pv.screenshot {
            browser_requests(o, s);
        }
    }
    if v.pages.is_empty() && v.notes.is_empty() {
        let _ = writeln!(o.buf, "  {}", t("No link was visited.", "訪問したリンクはありません。"));
    }
    for n in &v.notes {
        o.field(t("Note", "注記"), n);
    }
}

/// One visited link: the link, then every request of its chain with what the server said.
fn request_chain(o: &mut Out<'_>, i: usize, pv: &PageVisit) {
    let ja = matches!(o.opts.lang, Lang::Ja);
    let t = |en: &'static str, jp: &'static str| if ja { jp } else { en };
    let _ = writeln!(o.buf, "  {}. {}", i + 1, o.url(&pv.url));
    for (n, h) in pv.chain.iter().enumerate() {
        let mut line = format!("     {}{}", if n == 0 { "" } else { "→ " }, o.url(&h.url));
        if h.via.is_client_side() {
            line.push_str(&format!("  ({})", h.via));
        }
        let mut facts = Vec::new();
        if let Some(s) = h.status {
            facts.push(format!("HTTP {s}"));
        }
        if let Some(ip) = h.ip {
            facts.push(o.ioc(&ip.to_string()));
        }
        if let Some(sv) = &h.server {
            facts.push(sv.clone());
        }
        if h.truncated {
            facts.push(format!("{} {} B", t("cut at", "打ち切り"), h.bytes));
        }
        if !facts.is_empty() {
            line.push_str(&format!("  [{}]", facts.join(", ")));
        }
        let _ = writeln!(o.buf, "{line}");
        if let Some(tls) = &h.tls {
            let validity = if tls.verified {
                t("valid", "有効").to_string()
            } else {
                format!("{}: {}", t("NOT valid", "無効"), clip(tls.error.as_deref().unwrap_or(""), 80))
            };
            let _ = writeln!(
                o.buf,
                "        TLS: {} / {} {} / {} {} ({} {}) — {validity}",
                o.ioc(&tls.subject),
                t("issuer", "発行者"),
                tls.issuer,
                t("issued", "発行日"),
                tls.not_before,
                tls.age_days,
                t("days ago", "日前")
            );
        }
        if let Some(r) = &h.refused {
            let _ = writeln!(o.buf, "        {}: {}", t("REFUSED", "接続拒否"), o.ioc(r));
        } else if let Some(e) = &h.error {
            let _ = writeln!(o.buf, "        {}: {}", t("error", "エラー"), clip(e, 120));
        }
        if let Some(sha) = &h.sha256 {
            let _ = writeln!(o.buf, "        {}: sha256 {sha}", t("file served", "配布ファイル"));
        }
    }
}

/// How a visit ended, in words.
fn outcome_words(outcome: VisitOutcome, ja: bool) -> &'static str {
    let t = |en: &'static str, jp: &'static str| if ja { jp } else { en };
    match outcome {
        VisitOutcome::Page => t("final page reached", "最終ページに到達"),
        VisitOutcome::File => t("the link serves a file", "リンク先はファイル"),
        VisitOutcome::HttpError => t("the server answered with an error", "サーバーがエラーを返しました"),
        VisitOutcome::Refused => {
            t("refused by the guard (not a public address)", "安全のため接続を拒否(公開アドレスではない)")
        }
        VisitOutcome::Nxdomain => t("the host does not exist", "ホストが存在しません"),
        VisitOutcome::DnsFailed => t("DNS lookup failed", "DNS 問い合わせに失敗"),
        VisitOutcome::ConnectFailed => t("could not connect", "接続できませんでした"),
        VisitOutcome::Timeout => t("time limit reached", "制限時間に到達"),
        VisitOutcome::TooManyHops => t("too many redirects", "リダイレクトが多すぎます"),
        VisitOutcome::BadUrl => t("not a URL kaibo can visit", "訪問できない URL"),
    }
}

/// What the final page is: title, text, what it asks for and where it sends it, kit, brand.
fn page_facts(o: &mut Out<'_>, p: &Page) {
    let ja = matches!(o.opts.lang, Lang::Ja);
    let t = |en: &'static str, jp: &'static str| if ja { jp } else { en };
    if let Some(title) = &p.title {
        o.field(t("Title", "タイトル"), &clip(title, 100));
    }
    if !p.text_excerpt.is_empty() {
        o.field(t("Text", "テキスト"), &o.ioc(&clip(&p.text_excerpt, 100)));
    }
    if !p.asks_for.is_empty() {
        let asks: Vec<String> = p.asks_for.iter().map(|a| ask_word(a, ja)).collect();
        o.field(t("Asks for", "求める情報"), &asks.join(if ja { "、" } else { ", " }));
    }
    for f in p.forms.iter().filter(|f| f.has_password || f.offsite) {
        let to = match &f.action {
            Some(a) => o.url(a),
            None => t("(the page itself, or by script)", "(ページ自身、またはスクリプト)").to_string(),
        };
        let off = if f.offsite { t(" — another domain", " — 別のドメイン") } else { "" };
        o.field(t("Sends to", "送信先"), &format!("{} {to}{off}", f.method.to_uppercase()));
    }
    for x in &p.exfiltration {
        o.field(
            t("Sends to", "送信先"),
            &format!("{} ({})", o.ioc(x), t("in the page source", "ページのソース内")),
        );
    }
    for k in &p.kits {
        o.field(t("Kit", "キット"), &format!("{} ({})", k.name, o.ioc(&k.markers.join(", "))));
    }
    for b in &p.brands {
        let places: Vec<&str> = b
            .seen_in
            .iter()
            .map(|w| match (w.as_str(), ja) {
                ("title", true) => "タイトル",
                ("text", true) => "本文",
                ("image alt", true) => "画像の代替テキスト",
                ("kit", true) => "キット",
                ("favicon", true) => "ファビコン",
                ("form action", true) => "フォームの送信先",
                (other, _) => other,
            })
            .collect();
        let own = if b.owned {
            t("its own site", "本物のサイト")
        } else {
            t("NOT its site", "本物のサイトではありません")
        };
        o.field(
            t("Brand", "ブランド"),
            &format!("{} ({} {}) — {own}", b.name, t("seen in", "表示箇所:"), places.join(", ")),
        );
    }
    if !p.addresses.is_empty() {
        o.field(t("Addresses", "埋込アドレス"), &o.ioc(&p.addresses.join(", ")));
    }
    if let Some(f) = &p.favicon {
        o.field("Favicon", &format!("sha256 {} ({} B)", f.sha256, f.bytes));
    }
    if let Some(m) = &p.parked {
        o.field(t("Parked", "駐車/停止"), m);
    }
    if !p.scripts.is_empty() {
        o.field(t("Scripts", "スクリプト"), &format!("{} {}", p.scripts.len(), t("external", "件(外部)")));
    }
}

/// The screenshot, and what the browser asked for through the proxy.
fn browser_requests(o: &mut Out<'_>, s: &Screenshot) {
    let ja = matches!(o.opts.lang, Lang::Ja);
    let t = |en: &'static str, jp: &'static str| if ja { jp } else { en };
    {
        o.field(t("Screenshot", "スクリーンショット"), &format!("{} ({}×{})", s.path, s.width, s.height));
        // The browser's own service calls (updates, sign-in) are refused quietly: not the page's.
        let own = |r: &&kaibo_model::visit::ProxyRequest| {
            r.reason.as_deref().is_some_and(|why| why.starts_with("the browser's own"))
        };
        let refused: Vec<&kaibo_model::visit::ProxyRequest> =
            s.requests.iter().filter(|r| !r.allowed && !own(r)).collect();
        let allowed = s.requests.iter().filter(|r| r.allowed).count();
        o.field(
            t("Browser", "ブラウザー"),
            &format!(
                "{} {}, {} {}",
                allowed,
                t("requests allowed", "件の通信を許可"),
                refused.len(),
                t("refused", "件を拒否")
            ),
        );
        for r in refused.iter().take(5) {
            let _ =
                writeln!(o.buf, "        {}: {}", o.ioc(&r.target), o.ioc(r.reason.as_deref().unwrap_or("")));
        }
    }
}
