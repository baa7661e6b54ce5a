//! `kaibo abuse`: drafts of abuse reports, one per contact the analysis found. kaibo never sends
//! them; it prints them or writes them to files for a person to check and send.
//!
//! Contacts, in order:
//! - the registrar of each link domain (its abuse address from RDAP/WHOIS);
//! - the network hosting each link address (RDAP for the IP);
//! - the sender's provider: the abuse address its registration names, or `abuse@` its domain
//!   (the RFC 2142 role mailbox, marked as unconfirmed);
//! - for mail in Japanese, the national reporting points (フィッシング対策協議会, JPCERT/CC,
//!   from `data/report.toml`).
//!
//! Each draft says what the URL is, when and how it was seen, the evidence, and carries the
//! original headers (the recipient redacted unless asked). Drafts are in English, with a
//! Japanese version first for `.jp` contacts and the Japanese reporting points.

use kaibo_model::{Analysis, Dissection, Enrichment};

use crate::indicators::{Indicators, Recipient, defang_ioc};
use crate::words::Lang;

/// One report to send.
#[derive(Debug, Clone, PartialEq)]
pub struct AbuseDraft {
    pub to: String,
    /// Who the contact is (`registrar of aorz.ru`).
    pub role: String,
    /// A file name for `-o DIR`.
    pub file_name: String,
    pub text: String,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Registrar,
    Hosting,
    Provider,
    National,
}

struct Contact {
    kind: Kind,
    to: String,
    role_en: String,
    role_ja: String,
    japanese: bool,
    note: Option<&'static str>,
}

/// The header block of the raw mail (up to the first empty line), at most 64 KiB, with its
/// control characters written as visible escapes (line breaks kept).
pub fn header_block(raw: &[u8]) -> String {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .or_else(|| raw.windows(2).position(|w| w == b"\n\n"))
        .unwrap_or(raw.len())
        .min(64 * 1024);
    crate::inert::text(&String::from_utf8_lossy(&raw[..end]).replace("\r\n", "\n")).into_owned()
}

fn contacts(a: &Analysis, e: Option<&Enrichment>, ind: &Indicators) -> Vec<Contact> {
    let mut out: Vec<Contact> = Vec::new();
    let mut add = |c: Contact| {
        if !out.iter().any(|x| x.to.eq_ignore_ascii_case(&c.to)) {
            out.push(c);
        }
    };
    if let Some(e) = e {
        for d in &ind.domains {
            if let Some(r) = e.registrations.iter().find(|r| &r.query == d)
                && let Some(ab) = &r.abuse_email
            {
                let who = r.registrar.clone().unwrap_or_else(|| "the registrar".into());
                add(Contact {
                    kind: Kind::Registrar,
                    to: ab.clone(),
                    role_en: format!("registrar of {d} ({who})"),
                    role_ja: format!("{d} のレジストラ({who})"),
                    japanese: ab.ends_with(".jp"),
                    note: None,
                });
            }
        }
        for ip in &ind.ips {
            let is_link = ind.links.iter().any(|l| l.addresses.contains(ip));
            if !is_link {
                continue;
            }
            if let Some(r) = e.registrations.iter().find(|r| &r.query == ip)
                && let Some(ab) = &r.abuse_email
            {
                let net = r.network.clone().unwrap_or_default();
                add(Contact {
                    kind: Kind::Hosting,
                    to: ab.clone(),
                    role_en: format!("network hosting {ip} {net}").trim_end().to_string(),
                    role_ja: format!("{ip} を収容するネットワーク {net}").trim_end().to_string(),
                    japanese: ab.ends_with(".jp"),
                    note: None,
                });
            }
        }
    }
    if let Some(d) = a.message.from.domain.as_deref().filter(|d| d.contains('.')) {
        let k = kaibo_core::knowledge::knowledge();
        // Only providers of consumer or free-mail accounts are told about an account; a
        // forged corporate domain is the victim, not the sender.
        if k.is_consumer_domain(d) {
            let reg = kaibo_core::urls::registrable_domain(d).unwrap_or(d.to_string());
            let named = e
                .and_then(|e| e.registrations.iter().find(|r| r.query == reg))
                .and_then(|r| r.abuse_email.clone());
            let (to, note) = match named {
                Some(ab) => (ab, None),
                None => {
                    (format!("abuse@{reg}"), Some("RFC 2142 role address, not confirmed by the registry"))
                }
            };
            add(Contact {
                kind: Kind::Provider,
                to,
                role_en: format!("the sender's provider ({reg})"),
                role_ja: format!("差出人のプロバイダー({reg})"),
                japanese: reg.ends_with(".jp"),
                note,
            });
        }
    }
    if a.message.language.as_deref() == Some("ja") {
        for (name, email, _) in crate::words::reporting_points(Lang::Ja, true) {
            let en = crate::words::reporting_points(Lang::En, true)
                .into_iter()
                .find(|(_, e2, _)| *e2 == email)
                .map(|(n, _, _)| n)
                .unwrap_or(name.clone());
            add(Contact {
                kind: Kind::National,
                to: email,
                role_en: en,
                role_ja: name,
                japanese: true,
                note: None,
            });
        }
    }
    out
}

/// What every draft tells, whatever its language.
struct Facts {
    urls: Vec<String>,
    sender: String,
    subject: String,
    sent: String,
    /// Final landing URL, and what the page is (title, kit).
    landing: Vec<(String, Vec<String>)>,
}

/// The words of a draft's body in one language.
struct Words {
    take_down: &'static str,
    suspend: &'static str,
    for_information: &'static str,
    from: &'static str,
    subject: &'static str,
    received: &'static str,
    landing: &'static str,
    list_sep: &'static str,
    open: &'static str,
    close: &'static str,
    evidence: &'static str,
    defanged: &'static str,
}

const EN: Words = Words {
    take_down: "We received a phishing mail. The URL below is a page made to steal account credentials; please take it down.",
    suspend: "We received a phishing mail sent from an account of yours (below); please investigate and suspend it.",
    for_information: "We received a phishing mail and report it for your information.",
    from: "From",
    subject: "Subject",
    received: "Received",
    landing: "Landing page",
    list_sep: ", ",
    open: " (",
    close: ")",
    evidence: "Evidence (analysed by kaibo):",
    defanged: "URLs are defanged to prevent accidental clicks (hxxps → https, [.] → .).",
};

const JA: Words = Words {
    take_down: "フィッシングメールを受信しましたので報告します。以下の URL はアカウント情報を盗むためのページと判断しました。停止などのご対応をお願いいたします。",
    suspend: "貴社のアカウントから送信されたフィッシングメールを受信しましたので報告します。アカウントの調査と利用停止などのご対応をお願いいたします。",
    for_information: "フィッシングメールを受信しましたので、情報提供として報告します。",
    from: "差出人",
    subject: "件名",
    received: "受信日時",
    landing: "リンク先",
    list_sep: "、",
    open: "(",
    close: ")",
    evidence: "根拠(kaibo による解析):",
    defanged: "URL は誤クリック防止のため無害化しています(hxxps → https、[.] → .)。",
};

/// The request, the facts and the evidence, in the words of one language.
fn body(text: &mut String, w: &Words, kind: Kind, f: &Facts, evidence: &str) {
    let request = match kind {
        Kind::Registrar | Kind::Hosting => w.take_down,
        Kind::Provider => w.suspend,
        Kind::National => w.for_information,
    };
    text.push_str(&format!("{request}\n\n"));
    for u in &f.urls {
        text.push_str(&format!("  URL: {u}\n"));
    }
    text.push_str(&format!(
        "  {}: {}\n  {}: {}\n  {}: {}\n\n",
        w.from, f.sender, w.subject, f.subject, w.received, f.sent
    ));
    for (url, what) in &f.landing {
        text.push_str(&format!("  {}: {url}{}{}{}\n", w.landing, w.open, what.join(w.list_sep), w.close));
    }
    text.push_str(&format!("{}\n{evidence}\n\n{}\n", w.evidence, w.defanged));
}

/// The drafts for a dissected mail. `raw_headers` is the mail's header block.
pub fn abuse_drafts(d: &Dissection, raw_headers: &str, keep_recipient: bool) -> Vec<AbuseDraft> {
    let d = &crate::inert::copy(d);
    let (a, e) = (&d.analysis, d.enrichment.as_ref());
    let ind = Indicators::of(d);
    let recipient = Recipient::of(a);
    let redact = |s: &str| if keep_recipient { s.to_string() } else { recipient.redact(s, "[recipient]") };
    let urls: Vec<String> = ind.links.iter().map(|l| defang_ioc(&redact(&l.url))).collect();
    let sent = a.message.date.clone().unwrap_or_else(|| "(no Date header)".into());
    let sender = ind.sender.as_deref().map(defang_ioc).unwrap_or_default();
    let subject = redact(a.message.subject.as_deref().unwrap_or(""));
    let evidence = |lang: Lang, w: &Words| -> String {
        crate::strongest(a, 6)
            .into_iter()
            .map(|f| format!("- {}{}{}{}", crate::first_sentence(f, lang), w.open, f.id, w.close))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let landing: Vec<(String, Vec<String>)> = d
        .visit
        .as_ref()
        .map(|v| {
            v.final_pages()
                .map(|(pv, p)| {
                    let mut what = Vec::new();
                    if let Some(t) = &p.title {
                        what.push(t.clone());
                    }
                    what.extend(p.kits.iter().map(|k| k.name.clone()));
                    (defang_ioc(&redact(pv.final_url.as_deref().unwrap_or(&pv.url))), what)
                })
                .collect()
        })
        .unwrap_or_default();
    let headers = redact(raw_headers);
    let facts = Facts { urls, sender, subject, sent, landing };
    let mut drafts = Vec::new();
    for (i, c) in contacts(a, e, &ind).into_iter().enumerate() {
        let mut text = String::new();
        text.push_str(&format!("To: {}\n", c.to));
        let subj_en = format!(
            "Phishing report: {}",
            facts.urls.first().cloned().unwrap_or_else(|| facts.sender.clone())
        );
        if c.japanese {
            text.push_str(&format!("Subject: フィッシング報告 / {subj_en}\n\n"));
            text.push_str(&format!("{} ご担当者様\n\n", c.role_ja));
            body(&mut text, &JA, c.kind, &facts, &evidence(Lang::Ja, &JA));
            text.push_str("元のメールのヘッダーを末尾に添付します。\n\n---- English ----\n\n");
        } else {
            text.push_str(&format!("Subject: {subj_en}\n\n"));
        }
        text.push_str(&format!("To the abuse team of {},\n\n", c.role_en));
        if let Some(n) = c.note {
            text.push_str(&format!("(This address is a guess: {n}.)\n\n"));
        }
        body(&mut text, &EN, c.kind, &facts, &evidence(Lang::En, &EN));
        text.push_str("The original headers follow.\n\n----- Original headers -----\n");
        text.push_str(&headers);
        if !headers.ends_with('\n') {
            text.push('\n');
        }
        let slug: String =
            c.to.rsplit('@')
                .next()
                .unwrap_or("contact")
                .chars()
                .map(|ch| if ch.is_ascii_alphanumeric() || ch == '.' || ch == '-' { ch } else { '_' })
                .collect();
        drafts.push(AbuseDraft {
            to: c.to.clone(),
            role: c.role_en.clone(),
            file_name: format!("abuse-{:02}-{slug}.txt", i + 1),
            text: crate::inert::output(text, false),
        });
    }
    drafts
}
