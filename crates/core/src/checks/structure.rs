//! Structure: malformed mail, and genuine delivery-status notifications (counter-evidence).

use super::{Collector, Context, clip};
use crate::report_model::Evidence;

pub fn check(ctx: &Context<'_>, out: &mut Collector) {
    if !ctx.mail.defects.is_empty() {
        let ev = ctx.mail.defects.iter().map(|d| Evidence::new("structure", d.clone())).collect();
        out.add(ctx.k, "structure.malformed", ev);
    }
    if ctx.genuine_dsn {
        let mut ev =
            vec![Evidence::new("header:Content-Type", "multipart/report; report-type=delivery-status")];
        if let Some(ds) = &ctx.mail.delivery_status
            && let Some(line) = ds.lines().find(|l| l.to_ascii_lowercase().starts_with("reporting-mta"))
        {
            ev.push(Evidence::new("part:message/delivery-status", clip(line, 120)));
        }
        out.add(ctx.k, "structure.delivery_status_report", ev);
    }
}

/// A genuine delivery-status notification (RFC 3464): a multipart/report of report-type
/// delivery-status with a machine-readable status part that names a reporting MTA and at least
/// one recipient with an action and status, sent with a null or daemon sender, and whose
/// human-readable part links nowhere outside the reporting side's own domain. Phishing that
/// merely looks like a bounce is none of these.
pub fn is_genuine_dsn(ctx_mail: &crate::mail::MailFacts, content: &super::Content) -> bool {
    if ctx_mail.report_type.as_deref() != Some("delivery-status") {
        return false;
    }
    let Some(ds) = ctx_mail.delivery_status.as_deref() else { return false };
    let lower = ds.to_ascii_lowercase();
    let field = |name: &str| lower.lines().any(|l| l.trim_start().starts_with(name));
    if !(field("reporting-mta:") || field("final-recipient:")) || !field("action:") || !field("status:") {
        return false;
    }
    let null_sender = ctx_mail.return_path.as_deref().is_some_and(|rp| rp.is_empty() || rp == "<>");
    let daemon_from = ctx_mail.from.address.as_deref().map(|a| a.to_ascii_lowercase()).is_some_and(|a| {
        a.starts_with("mailer-daemon@") || a.starts_with("postmaster@") || a.starts_with("mail-daemon@")
    });
    if !null_sender && !daemon_from {
        return false;
    }
    let own = ctx_mail.from.domain.as_deref().and_then(crate::urls::registrable_domain);
    content
        .links
        .iter()
        .filter(|l| l.is_clickable())
        .all(|l| l.facts.registrable_domain.is_some() && l.facts.registrable_domain == own)
}
