//! The pipeline: bytes → parsed mail → facts → content → findings → verdict.

use std::panic::{AssertUnwindSafe, catch_unwind};

use kaibo_model::*;

use crate::body::Content;
use crate::checks::{self, Context};
use crate::knowledge::{Knowledge, knowledge};
use crate::mail::{MailFacts, extract};
use crate::urls::registrable_domain;
use crate::{AnalyzeError, Options, input, verdict};

/// Analyses one raw mail, offline.
pub fn analyze(raw: &[u8], opts: &Options) -> Result<Analysis, AnalyzeError> {
    analyze_inner(raw, opts, false).map(|(a, _)| a)
}

/// The analysis of one mail and the text the text model reads of it ([`text_model::model_text`]):
/// what training reads.
///
/// [`text_model::model_text`]: crate::text_model::model_text
pub fn analyze_for_learning(raw: &[u8], opts: &Options) -> Result<(Analysis, String), AnalyzeError> {
    analyze_inner(raw, opts, true).map(|(a, t)| (a, t.unwrap_or_default()))
}

fn analyze_inner(
    raw: &[u8],
    opts: &Options,
    want_text: bool,
) -> Result<(Analysis, Option<String>), AnalyzeError> {
    let prepared = input::prepare(raw, opts.max_input_bytes)?;
    let parsed = catch_unwind(AssertUnwindSafe(|| crate::mime::parser().parse(&prepared.bytes)))
        .map_err(|_| AnalyzeError::NotAMail("the MIME parser failed on this input".into()))?;
    let Some(msg) = parsed else {
        return Err(AnalyzeError::NotAMail("no header block".into()));
    };
    if !input::has_mail_headers(&msg) {
        return Err(AnalyzeError::NotAMail("no mail headers (From, To, Subject, Date, Received…)".into()));
    }
    let mut outer = extract(&msg);
    outer.defects.extend(prepared.defects);
    outer.limits.splice(0..0, prepared.limits);
    let (mut analysis, text) = analyze_facts(outer, knowledge(), opts, want_text);
    analysis.analysed.source_format = prepared.source_format.map(str::to_string);
    Ok((analysis, text))
}

/// A forward wrapper: one attached mail and little content of its own. Abuse desks receive
/// phishing this way; the attached mail is then the subject of the analysis. A bounce's
/// returned mail is the recipient's own and never the subject.
fn forwarded_subject(outer: &MailFacts, content: &Content, k: &Knowledge) -> Option<usize> {
    if outer.attached.len() != 1
        || outer.report_type.is_some()
        || checks::structure::from_mail_system(outer, k)
    {
        return None;
    }
    let own_text = content
        .visible_text
        .lines()
        .filter(|l| !l.trim_start().starts_with('>'))
        .map(str::len)
        .sum::<usize>();
    let own_links = content.links.iter().filter(|l| l.is_clickable()).count();
    (own_text < 1500 && own_links <= 3).then_some(0)
}

fn analyze_facts(
    outer: MailFacts,
    k: &Knowledge,
    opts: &Options,
    want_text: bool,
) -> (Analysis, Option<String>) {
    // A forward of a forward (an abuse desk passing on a user's report) is unwrapped level by
    // level: the innermost mail is the one to judge.
    let mut content = crate::body::read(&outer, k);
    let mut mail = outer;
    let mut wrappers: Vec<MailFacts> = Vec::new();
    while wrappers.len() < crate::limits::MAX_ATTACHED_DEPTH
        && let Some(i) = forwarded_subject(&mail, &content, k)
    {
        let inner = std::mem::take(&mut mail.attached[i]);
        content = crate::body::read(&inner, k);
        wrappers.push(std::mem::replace(&mut mail, inner));
    }
    let subject = match wrappers.first() {
        Some(outermost) => AnalysedMessage {
            kind: AnalysedKind::AttachedMessage,
            wrapper_subject: outermost.subject.clone(),
            wrapper_from: outermost.from.address.clone(),
            depth: wrappers.len(),
            source_format: None,
        },
        None => AnalysedMessage {
            kind: AnalysedKind::Message,
            wrapper_subject: None,
            wrapper_from: None,
            depth: 0,
            source_format: None,
        },
    };

    let machine_report = checks::structure::classify(&mail, &content, k);
    // A bounce or a feedback report quotes the mail it reports: its words are not the sender's.
    let model = opts.text_model.model().filter(|_| machine_report.is_none());
    let model_text =
        (want_text || model.is_some()).then(|| crate::text_model::model_text(&mail, &content, k));
    let text_verdict = model.zip(model_text.as_deref()).map(|(m, t)| crate::text_model::judge(m, t, k));
    let proven_sender = checks::bulk::proven_domain(k, &mail, &content, opts);
    let ctx =
        Context { k, mail: &mail, content: &content, opts, machine_report, text_verdict, proven_sender };
    let mut collected = checks::run_all(&ctx);
    if !wrappers.is_empty() {
        let mut ev: Vec<Evidence> = wrappers
            .iter()
            .map(|w| {
                Evidence::new(
                    "wrapper",
                    format!(
                        "{} <{}>",
                        w.subject.clone().unwrap_or_default(),
                        w.from.address.clone().unwrap_or_default()
                    ),
                )
            })
            .collect();
        if let Some(s) = &mail.subject {
            ev.push(Evidence::new("attached mail", s.clone()));
        }
        collected.add(ids::STRUCTURE_FORWARDED_ATTACHMENT, ev);
    }
    let judged = collected.ledger.close(opts.ignore_upstream_verdicts);

    let observables = observables(&mail, &content);
    let analysis = Analysis {
        kaibo_version: env!("CARGO_PKG_VERSION").to_string(),
        verdict: judged.verdict,
        score: judged.score,
        thresholds: verdict::THRESHOLDS,
        findings: judged.findings,
        analysed: subject,
        message: MessageSummary {
            subject: mail.subject.clone(),
            from: mail.from.clone(),
            reply_to: mail.reply_to.clone(),
            return_path: mail.return_path.clone(),
            to: mail.to.clone(),
            cc: mail.cc.clone(),
            date: mail.date.clone(),
            message_id: mail.message_id.clone(),
            language: content.language.map(str::to_string),
        },
        observables,
        hops: mail.hops.clone(),
        authentication: collected.authentication,
        upstream_verdicts: collected.upstream,
        text_excerpt: excerpt(&content.visible_text, 400),
        hidden_text: content.hidden_text.clone(),
        defects: mail.defects.clone(),
        limits: mail.limits.iter().chain(&content.limits).cloned().collect(),
    };
    (analysis, model_text.filter(|_| want_text))
}

fn excerpt(text: &str, max_chars: usize) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| crate::text::clip(t, max_chars))
}

fn observables(mail: &MailFacts, content: &Content) -> Observables {
    let mut o = Observables::default();
    let push_unique = |v: &mut Vec<String>, s: String| {
        if !s.is_empty() && !v.contains(&s) {
            v.push(s);
        }
    };
    for l in &content.links {
        let f = &l.facts;
        o.urls.push(UrlObservable {
            facts: f.clone(),
            source: l.source,
            display_text: l.display_text.clone(),
            shortener: f.host.as_deref().is_some_and(|h| knowledge().is_shortener(h)),
            unwrapped_from: l.unwrapped_from.clone(),
        });
        if f.is_ip {
            push_unique(&mut o.ips, f.host.clone().unwrap_or_default());
        } else if let Some(rd) = &f.registrable_domain {
            push_unique(&mut o.domains, rd.clone());
        }
    }
    let sender_domains = [mail.from.domain.clone()]
        .into_iter()
        .chain(mail.reply_to.iter().map(|m| m.domain.clone()))
        .chain([mail.return_path.as_deref().and_then(crate::mail::domain_of)]);
    for d in sender_domains.flatten() {
        push_unique(&mut o.domains, registrable_domain(&d).unwrap_or(d));
    }
    for h in &mail.hops {
        if let Some(ip) = h.from_ip.as_deref().and_then(|s| s.parse::<std::net::IpAddr>().ok())
            && crate::net::is_public_ip(ip)
        {
            push_unique(&mut o.ips, ip.to_string());
        }
    }
    let addrs = [mail.from.address.clone()]
        .into_iter()
        .chain(mail.reply_to.iter().map(|m| m.address.clone()))
        .chain([mail.return_path.clone()])
        .flatten()
        .chain(content.emails.iter().cloned());
    for a in addrs {
        if a.contains('@') {
            push_unique(&mut o.emails, a);
        }
    }
    o.attachments = mail.attachments.iter().map(|a| a.meta.clone()).collect();
    for q in &content.qr_codes {
        if let Some(a) = q.attachment.and_then(|i| o.attachments.get_mut(i)) {
            a.qr_codes.push(q.payload.clone());
        }
    }
    o
}
