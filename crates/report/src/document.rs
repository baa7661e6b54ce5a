//! The published dissection: the write-up a security blogger or an office admin would post, in
//! the order an analyst tells it (what arrived, who really sent it, the lure, the links, where
//! they lead, the landing page, the conclusion and the advice), as a [`Document`] that the Markdown
//! and HTML renderers turn into files.
//!
//! Safe to publish by construction: every indicator goes through `Dissector::ioc` (defanged,
//! `@` → `[at]`), every text through the recipient redaction, and the mail's HTML is never
//! included: only its visible text, quoted. Intents and the advice for people who already
//! clicked are data (`data/report.toml`).

use std::path::PathBuf;

use kaibo_core::{Analysis, Finding, Verdict};
use kaibo_model::enrichment::FeedMatch;
use kaibo_model::{Dissection, Enrichment, Visit};

use crate::indicators::{Indicators, Recipient, defang_ioc};
use crate::words::{Lang, intent, reporting_points, verdict_word};

/// A piece of running text.
#[derive(Debug, Clone, PartialEq)]
pub enum Inline {
    Text(String),
    /// An indicator or a header value, shown as code.
    Code(String),
    Strong(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Para(Vec<Inline>),
    Quote(Vec<String>),
    List(Vec<Vec<Inline>>),
    Table {
        head: Vec<String>,
        rows: Vec<Vec<Vec<Inline>>>,
    },
    /// A finding: weight, id, explanation, evidence.
    Finding {
        weight: String,
        id: String,
        text: String,
        evidence: Vec<String>,
    },
    /// An image: PNG or SVG bytes (inlined in HTML; Markdown links `path`).
    Image {
        alt: String,
        path: Option<String>,
        mime: &'static str,
        bytes: Vec<u8>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub heading: String,
    pub blocks: Vec<Block>,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub lang: Lang,
    pub title: String,
    pub verdict: Verdict,
    pub verdict_label: String,
    pub summary: Vec<Inline>,
    pub sections: Vec<Section>,
    pub footer: String,
}

/// Options of the published report.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    pub lang: Lang,
    /// Keep the recipient's address and name (off: they are replaced by "\[recipient\]").
    pub keep_recipient: bool,
    /// Where relative screenshot paths are read from (default: the current directory).
    pub asset_dir: Option<PathBuf>,
    /// The date the report says it was written (`YYYY-MM-DD`).
    pub written_on: String,
}

struct Dissector<'a> {
    a: &'a Analysis,
    e: Option<&'a Enrichment>,
    v: Option<&'a Visit>,
    opts: &'a ReportOptions,
    recipient: Recipient,
    ja: bool,
}

impl Dissector<'_> {
    fn t<'s>(&self, en: &'s str, ja: &'s str) -> &'s str {
        if self.ja { ja } else { en }
    }

    fn redact(&self, s: &str) -> String {
        if self.opts.keep_recipient {
            s.to_string()
        } else {
            self.recipient.redact(s, self.t("[recipient]", "[受信者]"))
        }
    }

    /// An indicator for people: redacted, defanged.
    fn ioc(&self, s: &str) -> String {
        defang_ioc(&self.redact(s))
    }

    fn code(&self, s: &str) -> Inline {
        Inline::Code(self.ioc(s))
    }

    fn text(&self, s: impl AsRef<str>) -> Inline {
        Inline::Text(self.redact(s.as_ref()))
    }

    fn findings(&self, categories: &[&str]) -> Vec<Block> {
        self.a
            .findings
            .iter()
            .filter(|f| categories.contains(&f.category.as_str()))
            .map(|f| self.finding(f))
            .collect()
    }

    fn finding(&self, f: &Finding) -> Block {
        let weight = if f.scored {
            format!("{:+}", f.weight)
        } else {
            self.t("not scored", "スコア対象外").to_string()
        };
        let text = if self.ja { &f.explanation.ja } else { &f.explanation.en };
        Block::Finding {
            weight,
            id: f.id.clone(),
            text: text.clone(),
            evidence: f
                .evidence
                .iter()
                .map(|ev| format!("{}: {}", self.ioc(&ev.source), self.ioc(&ev.value)))
                .collect(),
        }
    }

    fn date(&self) -> Option<String> {
        let d = self.a.message.date.as_deref()?;
        // The date as the sender's clock wrote it, with its offset: what the reader saw.
        kaibo_core::calendar::unix_from_rfc3339(d)?;
        Some(if self.ja {
            let (y, m, day) = (&d[0..4], d[5..7].trim_start_matches('0'), d[8..10].trim_start_matches('0'));
            format!("{y}年{m}月{day}日 {}", &d[11..16])
        } else {
            format!("{} {} ({})", &d[0..10], &d[11..16], &d[19..])
        })
    }
}

/// Builds the report document of a dissection, for Markdown and HTML.
pub fn document(input: &Dissection, opts: &ReportOptions) -> Document {
    // The document is built from an inert copy: nothing from the mail can act on a terminal that
    // shows the Markdown, or hide in the HTML.
    let input = &crate::inert::copy(input);
    let (a, e, v) = (&input.analysis, input.enrichment.as_ref(), input.visit.as_ref());
    let ja = opts.lang == Lang::Ja;
    let d = Dissector { a, e, v, opts, recipient: Recipient::of(a), ja };
    let m = &a.message;
    let subject = d.redact(m.subject.as_deref().unwrap_or(d.t("(no subject)", "(件名なし)")));
    let kind = match (a.verdict, ja) {
        (Verdict::Phishing, false) => "phishing mail",
        (Verdict::Suspicious, false) => "suspicious mail",
        (Verdict::Clean, false) => "mail",
        (Verdict::Phishing, true) => "フィッシングメール",
        (Verdict::Suspicious, true) => "不審なメール",
        (Verdict::Clean, true) => "メール",
    };
    let title = if ja {
        format!("「{subject}」という{kind}の解剖")
    } else {
        format!("Dissecting a {kind}: “{subject}”")
    };
    let verdict_label = verdict_word(a.verdict, opts.lang).to_string();
    let (_, intent_sentence, clicked) = intent(a, v, opts.lang);
    let summary = vec![
        Inline::Strong(format!("{verdict_label} ({} {})", d.t("score", "スコア"), a.score)),
        Inline::Text(if a.verdict == Verdict::Clean {
            d.t(" — kaibo found no sign of phishing.", " — フィッシングの兆候は見つかりませんでした。")
                .to_string()
        } else {
            format!(" — {intent_sentence}")
        }),
    ];
    let mut sections = vec![d.what_arrived(&subject), d.who_sent_it(), d.lure(), d.links()];
    sections.extend(d.where_links_lead());
    sections.extend(d.landing_page());
    sections.push(d.conclusion(&verdict_label, &intent_sentence));
    sections.extend(d.advice(clicked));
    sections.extend(d.indicators(input));
    let footer = d.footer();
    Document { lang: opts.lang, title, verdict: a.verdict, verdict_label, summary, sections, footer }
}

impl Dissector<'_> {
    /// 1. What arrived: the subject, the sender as shown and as it is, the servers' verdicts, the headers.
    fn what_arrived(&self, subject: &str) -> Section {
        let (d, a, ja) = (self, self.a, self.ja);
        let m = &a.message;
        let mut blocks = Vec::new();
        let display = m.from.name.clone().unwrap_or_default();
        let address = m.from.address.clone().unwrap_or_default();
        let when = d.date();
        let mut p = Vec::new();
        match (ja, &when) {
            (false, Some(w)) => p.push(d.text(format!("On {w}, a mail titled “{subject}” arrived. "))),
            (false, None) => p.push(d.text(format!("A mail titled “{subject}” arrived. "))),
            (true, Some(w)) => p.push(d.text(format!("{w}に「{subject}」という件名のメールが届きました。"))),
            (true, None) => p.push(d.text(format!("「{subject}」という件名のメールが届きました。"))),
        }
        if !display.is_empty() && !address.is_empty() {
            if ja {
                p.push(d.text(format!("差出人の表示名は「{}」ですが、実際のアドレスは ", d.ioc(&display))));
                p.push(d.code(&address));
                p.push(d.text(" です。表示名は送り手が自由に書ける欄で、信用できません。"));
            } else {
                p.push(d.text(format!(
                    "The sender calls itself “{}”, but the address it really came from is ",
                    d.ioc(&display)
                )));
                p.push(d.code(&address));
                p.push(d.text(". A display name is whatever the sender types; it proves nothing."));
            }
        } else if !address.is_empty() {
            p.push(d.text(d.t("It came from ", "差出人のアドレスは ")));
            p.push(d.code(&address));
            p.push(d.text(d.t(".", " です。")));
        }
        blocks.push(Block::Para(p));
        // The servers' verdicts, one sentence per server that added them.
        let mut by_server: Vec<(Option<String>, Vec<String>)> = Vec::new();
        for u in &a.upstream_verdicts {
            let by = u.added_by.as_deref().map(|b| d.ioc(b));
            let what = format!("{} {}", u.kind, d.redact(&u.value));
            match by_server.iter_mut().find(|(b, _)| *b == by) {
                Some((_, list)) => list.push(what),
                None => by_server.push((by, vec![what])),
            }
        }
        for (by, verdicts) in by_server {
            let mut p = vec![match (ja, by) {
                (false, Some(b)) => {
                    d.text(format!("Before it reached the inbox, the server {b} had already marked it: "))
                }
                (false, None) => d.text("A server on the way had already marked it: "),
                (true, Some(b)) => d.text(format!(
                    "受信箱に届く前に、経路上のサーバー {b} がすでに迷惑メールと判定しています: "
                )),
                (true, None) => d.text("経路上のサーバーがすでに迷惑メールと判定しています: "),
            }];
            for (i, v) in verdicts.into_iter().enumerate() {
                if i > 0 {
                    p.push(Inline::Text(", ".into()));
                }
                p.push(Inline::Code(v));
            }
            p.push(Inline::Text(d.t(".", "。").into()));
            blocks.push(Block::Para(p));
        }
        let mut rows: Vec<Vec<Vec<Inline>>> = Vec::new();
        let mut row = |k: &str, v: Vec<Inline>| rows.push(vec![vec![Inline::Text(k.to_string())], v]);
        row(d.t("Subject", "件名"), vec![d.text(m.subject.as_deref().unwrap_or("—"))]);
        row(
            d.t("From (shown)", "差出人(表示名)"),
            vec![d.text(d.ioc(if display.is_empty() { "—" } else { &display }))],
        );
        row(
            d.t("From (address)", "差出人(アドレス)"),
            vec![d.code(if address.is_empty() { "—" } else { &address })],
        );
        if let Some(rp) = &m.return_path {
            row("Return-Path", vec![d.code(if rp.is_empty() { "<>" } else { rp })]);
        }
        for r in &m.reply_to {
            row("Reply-To", vec![d.code(r.address.as_deref().unwrap_or(""))]);
        }
        let to: Vec<String> = m.to.iter().filter_map(|t| t.address.clone()).collect();
        if !to.is_empty() {
            row(d.t("To", "宛先"), vec![d.code(&to.join(", "))]);
        }
        if let Some(w) = &when {
            row(d.t("Date", "日時"), vec![d.text(w)]);
        }
        if let Some(id) = &m.message_id {
            row("Message-ID", vec![d.code(id)]);
        }
        blocks.push(Block::Table {
            head: vec![d.t("Header", "ヘッダー").into(), d.t("Value", "値").into()],
            rows,
        });
        blocks.extend(d.findings(&["upstream", "structure"]));
        Section { heading: d.t("What arrived", "届いたメール").into(), blocks }
    }

    /// 2. Who really sent it: authentication, the domain's policy, where the mail came in.
    fn who_sent_it(&self) -> Section {
        let (d, a, e, ja) = (self, self.a, self.e, self.ja);
        let mut blocks = Vec::new();
        let auth = &a.authentication;
        if auth.authserv_id.is_some() {
            let dkim = if auth.dkim.is_empty() { "none".to_string() } else { auth.dkim.join(", ") };
            let mut p = vec![d.text(d.t(
                "The receiving server checked whether the sender's domain vouches for this mail: ",
                "受信サーバーは、差出人のドメインがこのメールを保証しているかを確認しています: ",
            ))];
            p.push(Inline::Code(format!(
                "SPF={} DKIM={} DMARC={}",
                auth.spf.as_deref().unwrap_or("none"),
                dkim,
                auth.dmarc.as_deref().unwrap_or("none")
            )));
            if auth.dmarc.as_deref() == Some("fail") {
                p.push(d.text(d.t(
                    ". DMARC failed: the domain in From did not send this mail.",
                    "。DMARC が fail なので、From のドメインはこのメールを送っていません。",
                )));
            } else {
                p.push(d.text(d.t(".", "。")));
            }
            blocks.push(Block::Para(p));
        } else {
            blocks.push(Block::Para(vec![d.text(d.t(
                "The mail carries no authentication result of the receiving server.",
                "受信サーバーによる送信元認証の結果はメールに記録されていません。",
            ))]));
        }
        if let Some(p) = e.and_then(|e| e.sender_policy.as_ref())
            && let Some(policy) = &p.dmarc_policy
        {
            let mut para = vec![d.text(d.t("The domain ", "ドメイン "))];
            para.push(d.code(&p.domain));
            para.push(d.text(if ja {
                format!(
                    " は DMARC ポリシー p={policy} を公開しています(送信元として認めないメールの扱いを指定)。"
                )
            } else {
                format!(
                    " publishes the DMARC policy p={policy} (what receivers should do with mail it did not send)."
                )
            }));
            blocks.push(Block::Para(para));
        }
        // The server that handed the mail over, located when enrichment ran.
        if let Some(hop) = a.hops.iter().rev().find(|h| {
            h.from_ip.as_deref().and_then(|ip| ip.parse().ok()).is_some_and(kaibo_core::net::is_public_ip)
        }) && let Some(ip) = &hop.from_ip
        {
            let mut para = vec![d.text(d.t("The mail entered the recipient's network from ", "メールは "))];
            para.push(d.code(ip));
            if let Some(info) = e.and_then(|e| e.ips.iter().find(|i| &i.ip == ip)) {
                para.push(d.text(format!(" ({})", place(info, ja))));
            }
            para.push(d.text(d.t(".", " から受信者側のネットワークに入っています。")));
            blocks.push(Block::Para(para));
        }
        blocks.extend(d.findings(&["auth", "sender"]));
        Section { heading: d.t("Who really sent it", "差出人の正体").into(), blocks }
    }

    /// 3. The lure: what the mail says, and the findings about it.
    fn lure(&self) -> Section {
        let (d, a) = (self, self.a);
        let mut blocks = Vec::new();
        if let Some(ex) = &a.text_excerpt {
            blocks.push(Block::Para(vec![d.text(d.t("The mail says:", "本文にはこう書かれています。"))]));
            let lines: Vec<String> =
                ex.lines().map(str::trim).filter(|l| !l.is_empty()).take(10).map(|l| d.ioc(l)).collect();
            blocks.push(Block::Quote(lines));
        }
        let lure = d.findings(&["lure", "content", "attachment"]);
        if !lure.is_empty() {
            blocks.push(Block::Para(vec![d.text(d.t(
                "Why it works, and what gives it away:",
                "この文面が狙っていることと、見破るポイント:",
            ))]));
            blocks.extend(lure);
        }
        Section { heading: d.t("The lure", "本文の手口").into(), blocks }
    }

    /// 4. The links: shown as, real destination, domain, country.
    fn links(&self) -> Section {
        let (d, a, ja) = (self, self.a, self.ja);
        let mut blocks = Vec::new();
        let links: Vec<_> = a.observables.urls.iter().filter(|u| !u.source.is_loaded()).take(20).collect();
        if links.is_empty() {
            blocks.push(Block::Para(vec![d.text(d.t("The mail has no links.", "リンクはありません。"))]));
        } else {
            let k = kaibo_core::knowledge::knowledge();
            let rows = links
                .iter()
                .map(|u| {
                    let country = u
                        .facts
                        .country
                        .as_deref()
                        .map(|c| match k.country(c) {
                            Some(cn) if ja => format!("{} ({c})", cn.ja.clone().unwrap_or(cn.en.clone())),
                            Some(cn) => format!("{} ({c})", cn.en),
                            None => c.to_string(),
                        })
                        .unwrap_or_else(|| "—".into());
                    vec![
                        vec![d.text(u.display_text.as_deref().unwrap_or("—"))],
                        vec![d.code(&u.facts.url)],
                        vec![d.code(u.facts.registrable_domain.as_deref().unwrap_or("—"))],
                        vec![Inline::Text(country)],
                    ]
                })
                .collect();
            blocks.push(Block::Table {
                head: vec![
                    d.t("Shown as", "表示").into(),
                    d.t("Real destination", "実際のリンク先").into(),
                    d.t("Domain", "ドメイン").into(),
                    d.t("Country (TLD)", "国(TLD)").into(),
                ],
                rows,
            });
        }
        blocks.extend(d.findings(&["links"]));
        Section { heading: d.t("The links", "リンク").into(), blocks }
    }

    /// 5. Where the links lead: what the online lookups found (when they ran).
    fn where_links_lead(&self) -> Option<Section> {
        let (d, a, e, ja) = (self, self.a, self.e, self.ja);
        let en = e.filter(|en| !en.rungs.is_empty())?;
        {
            let mut blocks = Vec::new();
            let sent_day = a.message.date.as_deref().and_then(kaibo_core::calendar::days_from_civil);
            let mut items = Vec::new();
            for r in
                en.registrations.iter().filter(|r| r.found && r.query.parse::<std::net::IpAddr>().is_err())
            {
                let mut item = vec![d.code(&r.query), d.text(": ")];
                let mut parts = Vec::new();
                if let Some(reg) = &r.registrar {
                    parts.push(format!("{} {reg}", d.t("registrar", "レジストラ")));
                }
                if let Some(c) = &r.created {
                    let age = sent_day.zip(kaibo_core::calendar::days_from_civil(c)).map(|(s, c)| s - c);
                    parts.push(match (age, ja) {
                        (Some(n), false) => format!("created {c}, {n} days before the mail"),
                        (Some(n), true) => format!("登録日 {c}(メールの {n} 日前)"),
                        (None, false) => format!("created {c}"),
                        (None, true) => format!("登録日 {c}"),
                    });
                }
                if let Some(ab) = &r.abuse_email {
                    parts.push(format!("abuse {}", d.ioc(ab)));
                }
                parts.push(format!("({} {})", r.source.to_uppercase(), d.ioc(&r.server)));
                item.push(d.text(parts.join(if ja { "、" } else { ", " })));
                items.push(item);
            }
            for ip in en
                .ips
                .iter()
                .filter(|i| i.seen_as.iter().any(|s| s.starts_with("link") || s.starts_with("landing")))
            {
                items.push(vec![d.code(&ip.ip), d.text(format!(": {}", place(ip, ja)))]);
            }
            for h in &en.feed_hits {
                let when = h.listed_at.as_deref().map(|t| format!(" ({t})")).unwrap_or_default();
                let status = en
                    .feeds
                    .iter()
                    .find(|f| f.feed == h.feed)
                    .and_then(|f| f.updated.clone())
                    .unwrap_or_default();
                let what = if h.matched == FeedMatch::Url {
                    d.t("this URL", "この URL")
                } else {
                    d.t("its host", "同じホスト")
                };
                items.push(vec![d.text(if ja {
                    format!("{} に{what}が掲載されています{when}(リスト更新 {status})", h.feed)
                } else {
                    format!("Listed on {} ({what}){when}; list updated {status}", h.feed)
                })]);
            }
            for r in &en.reputation {
                items.push(vec![
                    d.text(format!("{}: ", r.service.as_str().replace('_', " "))),
                    d.code(&r.subject),
                    d.text(format!(" → {} {} [{}]", r.verdict.replace('_', " "), r.detail, r.checked_at)),
                ]);
            }
            if !items.is_empty() {
                blocks.push(Block::List(items));
            }
            if let Some(svg) = crate::map::render_map_svg(en) {
                blocks.push(Block::Image {
                    alt: d.t("Where the addresses are", "アドレスの所在地").into(),
                    path: None,
                    mime: "image/svg+xml",
                    bytes: svg.into_bytes(),
                });
            }
            blocks.extend(d.findings(&["enrich"]));
            Some(Section { heading: d.t("Where the links lead", "リンク先の調査").into(), blocks })
        }
    }

    /// 6. The landing page: each visited link's requests, screenshot and page (when visited).
    fn landing_page(&self) -> Option<Section> {
        let (d, v, ja, opts) = (self, self.v, self.ja, self.opts);
        let v = v?;
        {
            let mut blocks = Vec::new();
            for pv in &v.pages {
                let chain: Vec<Vec<Inline>> = pv
                    .chain
                    .iter()
                    .map(|h| {
                        let mut item = vec![d.code(&h.url)];
                        let mut facts = Vec::new();
                        if let Some(s) = h.status {
                            facts.push(format!("HTTP {s}"));
                        }
                        if h.via.is_client_side() {
                            facts.push(h.via.to_string());
                        }
                        if let Some(tls) = &h.tls {
                            facts.push(if ja {
                                format!(
                                    "証明書 {} 発行 {}({} 日前)",
                                    tls.issuer, tls.not_before, tls.age_days
                                )
                            } else {
                                format!(
                                    "certificate by {} issued {} ({} days before)",
                                    tls.issuer, tls.not_before, tls.age_days
                                )
                            });
                        }
                        if let Some(r) = &h.refused {
                            facts.push(format!("{}: {r}", d.t("refused", "接続拒否")));
                        }
                        if !facts.is_empty() {
                            item.push(d.text(format!(" — {}", facts.join(", "))));
                        }
                        item
                    })
                    .collect();
                blocks.push(Block::Para(vec![d.text(d.t(
                    "kaibo followed the link itself, request by request, without running the page's scripts or sending anything:",
                    "kaibo はページのスクリプトを実行せず、何も送信せずに、リンクを1段ずつたどりました。",
                ))]));
                blocks.push(Block::List(chain));
                if let Some(shot) = &pv.screenshot {
                    let path = PathBuf::from(&shot.path);
                    let full = if path.is_absolute() {
                        path
                    } else {
                        opts.asset_dir.clone().unwrap_or_default().join(path)
                    };
                    if let Ok(bytes) = std::fs::read(&full) {
                        blocks.push(Block::Image {
                            alt: d
                                .t("Screenshot of the landing page", "リンク先ページのスクリーンショット")
                                .into(),
                            path: Some(shot.path.clone()),
                            mime: "image/png",
                            bytes,
                        });
                    }
                }
                let Some(page) = &pv.page else { continue };
                let mut items = Vec::new();
                if let Some(t) = &page.title {
                    items.push(vec![d.text(d.t("Title: ", "タイトル: ")), d.text(t)]);
                }
                if !page.asks_for.is_empty() {
                    let asks: Vec<String> =
                        page.asks_for.iter().map(|x| crate::words::ask_word(x, ja)).collect();
                    items.push(vec![
                        d.text(d.t("Asks for: ", "入力を求める情報: ")),
                        Inline::Strong(asks.join(if ja { "、" } else { ", " })),
                    ]);
                }
                for f in page.forms.iter().filter(|f| f.has_password) {
                    if let Some(act) = &f.action {
                        items.push(vec![d.text(d.t("Sends it to: ", "送信先: ")), d.code(act)]);
                    }
                }
                for x in &page.exfiltration {
                    items.push(vec![d.text(d.t("Also sends to: ", "ほかの送信先: ")), d.code(x)]);
                }
                for b in page.brands.iter().filter(|b| !b.owned) {
                    items.push(vec![
                        d.text(d.t("Imitates: ", "なりすましている対象: ")),
                        Inline::Strong(b.name.clone()),
                        d.text(d.t(" (on a host that is not the brand's)", "(本物のサイトではありません)")),
                    ]);
                }
                if !items.is_empty() {
                    blocks.push(Block::List(items));
                }
            }
            blocks.extend(d.findings(&["visit"]));
            Some(Section { heading: d.t("The landing page", "リンク先のページ").into(), blocks })
        }
    }

    /// 7. Conclusion: the verdict, its intent, and the strongest findings.
    fn conclusion(&self, verdict_label: &str, intent_sentence: &str) -> Section {
        let (d, a, opts) = (self, self.a, self.opts);
        let mut blocks = Vec::new();
        let mut p = vec![Inline::Strong(format!("{verdict_label} ({} {})", d.t("score", "スコア"), a.score))];
        if a.verdict != Verdict::Clean {
            p.push(Inline::Text(format!(" — {intent_sentence}")));
        }
        blocks.push(Block::Para(p));
        let reasons: Vec<Vec<Inline>> = crate::strongest(a, 6)
            .into_iter()
            .map(|f| {
                let first = crate::first_sentence(f, opts.lang);
                vec![Inline::Code(format!("{:+} {}", f.weight, f.id)), Inline::Text(format!(" {first}"))]
            })
            .collect();
        if !reasons.is_empty() {
            blocks.push(Block::List(reasons));
        }
        Section { heading: d.t("Conclusion", "結論").into(), blocks }
    }

    /// 8. Advice for who received it and who clicked (for a mail that is not clean).
    fn advice(&self, clicked: Vec<String>) -> Vec<Section> {
        let (d, a, opts) = (self, self.a, self.opts);
        let mut sections = Vec::new();
        if a.verdict != Verdict::Clean {
            let got = crate::words::received_advice(opts.lang);
            sections.push(Section {
                heading: d.t("If you received this mail", "このメールを受け取った方へ").into(),
                blocks: vec![Block::List(got.iter().map(|s| vec![Inline::Text(s.clone())]).collect())],
            });
            let mut items: Vec<Vec<Inline>> = clicked.into_iter().map(|s| vec![Inline::Text(s)]).collect();
            let japanese = a.message.language.as_deref() == Some("ja");
            for (name, email, url) in reporting_points(opts.lang, japanese) {
                items.push(vec![
                    d.text(d.t("Report it to ", "報告先: ")),
                    Inline::Strong(name),
                    d.text(" "),
                    Inline::Code(defang_ioc(&email)),
                    d.text(" "),
                    Inline::Code(defang_ioc(&url)),
                ]);
            }
            sections.push(Section {
                heading: d
                    .t(
                        "If you clicked, or entered a password",
                        "リンクを開いた、またはパスワードを入力してしまった方へ",
                    )
                    .into(),
                blocks: vec![Block::List(items)],
            });
        }

        sections
    }

    /// 9. Indicators, defanged.
    fn indicators(&self, input: &Dissection) -> Option<Section> {
        let d = self;
        let ind = Indicators::of(input);
        let rows: Vec<Vec<Vec<Inline>>> = ind
            .all()
            .into_iter()
            .map(|(kind, v)| vec![vec![Inline::Text(kind.into())], vec![d.code(&v)]])
            .collect();
        (!rows.is_empty()).then(|| Section {
            heading: d.t("Indicators (defanged)", "IOC 一覧(無害化済み)").into(),
            blocks: vec![Block::Table {
                head: vec![d.t("Type", "種別").into(), d.t("Value", "値").into()],
                rows,
            }],
        })
    }

    /// Who wrote the report, when, and what was defanged and redacted.
    fn footer(&self) -> String {
        let (a, opts) = (self.a, self.opts);
        if self.ja {
            format!(
                "kaibo {} が {} に作成。URL・ドメイン・アドレスは無害化(hxxps://、[.]、[at])しています。{}",
                a.kaibo_version,
                opts.written_on,
                if opts.keep_recipient {
                    ""
                } else {
                    "受信者のアドレスと名前は伏せています。"
                }
            )
        } else {
            format!(
                "Written by kaibo {} on {}. URLs, domains and addresses are defanged (hxxps://, [.], [at]).{}",
                a.kaibo_version,
                opts.written_on,
                if opts.keep_recipient { "" } else { " The recipient's address and name are redacted." }
            )
        }
    }
}

/// "Moscow, Russia, AS197695 REG.RU Ltd".
fn place(ip: &kaibo_model::enrichment::IpInfo, ja: bool) -> String {
    let k = kaibo_core::knowledge::knowledge();
    let country = ip.country.as_deref().map(|c| match k.country(c) {
        Some(cn) if ja => cn.ja.clone().unwrap_or(cn.en.clone()),
        Some(cn) => cn.en.clone(),
        None => ip.country_name.clone().unwrap_or(c.to_string()),
    });
    let mut parts: Vec<String> = ip.city.iter().cloned().chain(country).collect();
    if let Some(asn) = ip.asn {
        parts.push(format!("AS{asn} {}", ip.as_org.as_deref().unwrap_or("")).trim_end().to_string());
    }
    if parts.is_empty() {
        return if ja { "所在地不明".into() } else { "location unknown".into() };
    }
    parts.join(", ")
}
