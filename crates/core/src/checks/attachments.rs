//! Attachments: files that run code, names that disguise their type, and HTML/SVG pages.

use super::{Collector, Context};
use crate::report_model::Evidence;

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
            out.add(ctx.k, "attachment.password_in_text", vec![Evidence::new("body", span)]);
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
            out.add(ctx.k, "attachment.executable", ev());
        }
        if let (Some(last), Some(prev)) = (last, exts.get(1))
            && (ctx.k.is_executable_ext(last) || ctx.k.is_html_ext(last))
            && ctx.k.is_decoy_ext(prev)
            && prev != &last
        {
            out.add(ctx.k, "attachment.double_extension", ev());
        }
        if a.html.is_some() || last.is_some_and(|e| ctx.k.is_html_ext(e)) {
            let mut e = ev();
            e.push(Evidence::new("type", m.detected_type.clone().unwrap_or_else(|| m.declared_type.clone())));
            out.add(ctx.k, "attachment.html", e);
        }
    }
}
