//! Structure: malformed mail, and genuine machine reports (bounces and abuse feedback reports),
//! which are counter-evidence.

use super::{Collector, Content, Context};
use crate::knowledge::Knowledge;
use crate::mail::MailFacts;
use crate::text::clip;
use kaibo_model::Evidence;
use kaibo_model::{LinkSource, ids};

/// A genuine report written by a mail system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MachineReport {
    /// A bounce: RFC 3464 delivery-status notification or an MTA's own bounce format.
    Bounce,
    /// An abuse feedback report (ARF, RFC 5965).
    Feedback,
}

pub fn check(ctx: &Context<'_>, out: &mut Collector) {
    if !ctx.mail.defects.is_empty() {
        let ev = ctx.mail.defects.iter().map(|d| Evidence::new("structure", d.clone())).collect();
        out.add(ids::STRUCTURE_MALFORMED, ev);
    }
    // Date against the first Received time stamp written by the receiving side.
    if let (Some(date), Some(received)) = (ctx.mail.date_timestamp, ctx.mail.first_hop_timestamp) {
        let skew = received - date;
        if !(-2 * 3600..=3 * 86_400).contains(&skew) {
            let how = if skew < 0 {
                format!("{} h in the future", -skew / 3600)
            } else {
                format!("{} days before it was received", skew / 86_400)
            };
            out.add(
                ids::STRUCTURE_DATE_MISMATCH,
                vec![
                    Evidence::new("header:Date", ctx.mail.date.clone().unwrap_or_default()),
                    Evidence::new("skew", how),
                ],
            );
        }
    }
    if let Some(fwd) = &ctx.content.inline_forward {
        let mut ev = vec![Evidence::new("forwarded From", fwd.from_line.clone())];
        if let Some(s) = &fwd.subject {
            ev.push(Evidence::new("forwarded Subject", s.clone()));
        }
        out.add(ids::STRUCTURE_INLINE_FORWARD, ev);
    }
    let Some(kind) = ctx.machine_report else { return };
    let mut ev = vec![Evidence::new("header:From", ctx.mail.header("From").unwrap_or("").to_string())];
    if let Some(ct) = ctx.mail.report_type.as_deref() {
        ev.push(Evidence::new("header:Content-Type", format!("multipart/report; report-type={ct}")));
    }
    if let Some(part) = &ctx.mail.report_part
        && let Some(line) = part.lines().find(|l| {
            let l = l.to_ascii_lowercase();
            l.starts_with("reporting-mta")
                || l.starts_with("feedback-type")
                || l.starts_with("final-recipient")
        })
    {
        ev.push(Evidence::new("report part", clip(line.trim(), 120)));
    } else if let Some(s) = &ctx.mail.subject {
        ev.push(Evidence::new("header:Subject", s.clone()));
    }
    let id = match kind {
        MachineReport::Bounce => ids::STRUCTURE_DELIVERY_STATUS_REPORT,
        MachineReport::Feedback => ids::STRUCTURE_FEEDBACK_REPORT,
    };
    out.add(id, ev);
}

/// Is the mail from a mail system rather than a person: a system local part
/// (`MAILER-DAEMON`, `postmaster`…), the null sender `<>`, or `Auto-Submitted`?
pub fn from_mail_system(mail: &MailFacts, k: &Knowledge) -> bool {
    let local = mail.from.address.as_deref().map(|a| a.split('@').next().unwrap_or(a)).unwrap_or("");
    let null_sender = mail.return_path.as_deref().is_some_and(|rp| rp.is_empty() || rp == "<>");
    let auto =
        mail.header("Auto-Submitted").is_some_and(|v| v.trim().to_ascii_lowercase().starts_with("auto-"));
    k.is_system_local_part(local) || null_sender || auto
}

/// Recognises a genuine machine report.
///
/// A bounce is an RFC 3464 multipart/report whose status part names a recipient, an action and
/// a status; or, in an MTA's own format, a mail from a system address whose subject or text reads
/// like a bounce (at least two MTA phrases). A feedback report is a multipart/report of type
/// feedback-report with a `Feedback-Type`. Either way its human-readable part may link only to
/// its own provider: a fake bounce that links to a login page is not a bounce.
pub fn classify(mail: &MailFacts, content: &Content, k: &Knowledge) -> Option<MachineReport> {
    let part = mail.report_part.as_deref().map(str::to_ascii_lowercase).unwrap_or_default();
    let field = |name: &str| part.lines().any(|l| l.trim_start().starts_with(name));
    let kind = match mail.report_type.as_deref() {
        Some("delivery-status")
            if (field("reporting-mta:") || field("final-recipient:"))
                && field("action:")
                && field("status:") =>
        {
            MachineReport::Bounce
        }
        Some("feedback-report") if field("feedback-type:") => MachineReport::Feedback,
        _ => {
            if !from_mail_system(mail, k) {
                return None;
            }
            let subject = mail.subject.as_deref().unwrap_or("").to_lowercase();
            let markers = k.bounce_marker_count(&content.visible_text.to_lowercase());
            let bounce_subject = k.is_bounce_subject(&subject);
            // A system address *and* the null sender with a bounce subject is how every MTA
            // returns mail, whatever words its text uses.
            let local = mail.from.address.as_deref().and_then(|a| a.split('@').next()).unwrap_or("");
            let null_sender = mail.return_path.as_deref().is_some_and(|rp| rp.is_empty());
            let canonical = bounce_subject && null_sender && k.is_system_local_part(local);
            if !(markers >= 2 || (bounce_subject && markers >= 1) || canonical) {
                return None;
            }
            MachineReport::Bounce
        }
    };
    if mail.report_type.is_some() && !from_mail_system(mail, k) && kind == MachineReport::Bounce {
        // A DSN always comes from the null sender or a system address.
        return None;
    }
    // Links: to the sender's own domain or brand, or help pages written out as plain text; never
    // a clickable anchor elsewhere, a hosting service, an abused TLD or a bare IP.
    let own = mail.from.domain.as_deref().unwrap_or("");
    let own_rd = crate::urls::registrable_domain(own);
    let own_brand = k.brands.iter().find(|b| b.owns(own));
    let links_ok = content.links.iter().filter(|l| l.is_clickable()).all(|l| {
        let rd = l.facts.registrable_domain.as_deref();
        let home = (rd.is_some() && rd == own_rd.as_deref())
            || own_brand.is_some_and(|b| l.facts.host.as_deref().is_some_and(|h| b.owns(h)));
        let host = l.facts.host.as_deref().unwrap_or("");
        let plain_help = l.source == LinkSource::Text
            && !l.facts.is_ip
            && k.hosting_service(host).is_none()
            && k.abused_suffix(host).is_none();
        home || plain_help
    });
    let asks_password = content.forms.iter().any(|f| f.has_password);
    (links_ok && !asks_password).then_some(kind)
}
