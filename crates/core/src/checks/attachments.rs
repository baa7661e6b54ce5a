//! Attachments: files that run code, names that disguise their type, HTML/SVG pages, PDFs that
//! link out or carry script, archives that hide an executable or are locked with a password,
//! and QR codes in images (the link the reader cannot see, opened on a phone).

use super::{Collector, Context};
use kaibo_model::Evidence;
use kaibo_model::ids;

pub fn check(ctx: &Context<'_>, out: &mut Collector) {
    let has_file = ctx.mail.attachments.iter().any(|a| {
        let t = a.meta.detected_type.as_deref().unwrap_or(&a.meta.declared_type);
        !t.starts_with("image/") && !t.starts_with("text/")
    });
    if has_file {
        let lower = ctx.content.visible_text.to_lowercase();
        if let Some(label) = ctx.k.vocab.password_labels.iter().find(|l| lower.contains(l.as_str())) {
            let i = lower.find(label.as_str()).unwrap_or(0);
            let line_end = lower[i..].find('\n').map_or(lower.len(), |j| i + j);
            let span: String = lower[i..line_end].chars().take(60).collect();
            out.add(ids::ATTACHMENT_PASSWORD_IN_TEXT, vec![Evidence::new("body", span)]);
        }
    }
    for a in &ctx.mail.attachments {
        let m = &a.meta;
        let name = m.filename.clone().unwrap_or_default();
        let lower = name.to_ascii_lowercase();
        let exts: Vec<&str> = lower.rsplit('.').take(3).collect();
        let last = if lower.contains('.') { exts.first().copied() } else { None };
        let label = || if name.is_empty() { m.declared_type.clone() } else { name.clone() };
        let ev = || vec![Evidence::new("attachment", label()), Evidence::new("sha256", m.sha256.clone())];

        let exec_by_name = last.is_some_and(|e| ctx.k.is_executable_ext(e));
        let exec_by_magic = m.detected_type.as_deref() == Some("application/x-msdownload");
        if exec_by_name || exec_by_magic {
            out.add(ids::ATTACHMENT_EXECUTABLE, ev());
        }
        if let (Some(last), Some(prev)) = (last, exts.get(1))
            && (ctx.k.is_executable_ext(last) || ctx.k.is_html_ext(last))
            && ctx.k.is_decoy_ext(prev)
            && prev != &last
        {
            out.add(ids::ATTACHMENT_DOUBLE_EXTENSION, ev());
        }
        if !m.links.is_empty() {
            let mut e = ev();
            e.extend(m.links.iter().take(3).map(|l| Evidence::new("link", l.clone())));
            out.add(ids::ATTACHMENT_PDF_LINK, e);
        }
        if !m.active_content.is_empty() {
            let mut e = ev();
            e.push(Evidence::new("contains", m.active_content.join(", ")));
            out.add(ids::ATTACHMENT_PDF_ACTIVE, e);
        }
        let inner_exec: Vec<&String> = m
            .archive_entries
            .iter()
            .filter(|n| {
                let n = n.to_ascii_lowercase();
                n.rsplit_once('.').is_some_and(|(_, e)| ctx.k.is_executable_ext(e) || ctx.k.is_html_ext(e))
            })
            .take(3)
            .collect();
        if !inner_exec.is_empty() {
            let mut e = ev();
            e.extend(inner_exec.iter().map(|n| Evidence::new("inside", (*n).clone())));
            out.add(ids::ATTACHMENT_ARCHIVE_EXECUTABLE, e);
        }
        if m.encrypted {
            out.add(ids::ATTACHMENT_ENCRYPTED_ARCHIVE, ev());
        }
        if a.html.is_some() || last.is_some_and(|e| ctx.k.is_html_ext(e)) {
            let mut e = ev();
            e.push(Evidence::new("type", m.detected_type.clone().unwrap_or_else(|| m.declared_type.clone())));
            out.add(ids::ATTACHMENT_HTML, e);
        }
    }
    for active in &ctx.content.active_attachments {
        let Some(a) = ctx.mail.attachments.get(active.attachment) else { continue };
        let m = &a.meta;
        let mut e =
            vec![Evidence::new("attachment", m.filename.clone().unwrap_or_else(|| m.declared_type.clone()))];
        let s = &active.scripts;
        for (what, names) in [("navigates", &s.navigates), ("sends", &s.sends), ("decodes", &s.decodes)] {
            if !names.is_empty() {
                e.push(Evidence::new(format!("script {what}"), names.join(", ")));
            }
        }
        if let Some(url) = &active.refresh {
            e.push(Evidence::new("refresh", url.clone()));
        }
        e.extend(s.urls.iter().take(3).map(|u| Evidence::new("address", u.clone())));
        if s.hidden_payload {
            e.push(Evidence::new("hidden", "a base64 text in the script decodes to a page or an address"));
        }
        e.push(Evidence::new("sha256", m.sha256.clone()));
        out.add(ids::ATTACHMENT_HTML_SCRIPT, e);
    }
    for q in &ctx.content.qr_codes {
        out.add(
            ids::ATTACHMENT_QR_CODE,
            vec![Evidence::new("image", q.place.clone()), Evidence::new("qr", q.payload.clone())],
        );
    }
}
