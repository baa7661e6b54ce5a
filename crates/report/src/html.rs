//! The dissection as one self-contained HTML file: styles inline, the screenshot and the map
//! embedded as `data:` images, no script, and a Content-Security-Policy that forbids every
//! request (`default-src 'none'`), so the file renders offline and a reader's browser fetches
//! nothing from the attacker. All text is escaped; the mail's own HTML is never included.

use std::fmt::Write;

use base64::Engine as _;

use crate::document::{Block, Document, Inline};
use crate::words::Lang;

const CSP: &str =
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI','Noto Sans CJK JP','Hiragino Sans',sans-serif;\
max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.6;color:#1d2430;background:#fff}\
h1{font-size:1.6rem;line-height:1.3}h2{font-size:1.2rem;border-bottom:2px solid #e3e7ee;padding-bottom:.2rem;margin-top:2rem}\
.summary{padding:.8rem 1rem;border-radius:.4rem;background:#f4f6fa;border-left:.4rem solid #888}\
.phishing .summary{border-color:#c62828;background:#fdecea}.suspicious .summary{border-color:#ef8f00;background:#fff4e5}\
.clean .summary{border-color:#2e7d32;background:#edf7ed}\
.badge{display:inline-block;padding:.1rem .5rem;border-radius:.3rem;color:#fff;background:#888;font-weight:700}\
.phishing .badge{background:#c62828}.suspicious .badge{background:#ef8f00}.clean .badge{background:#2e7d32}\
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em;background:#f0f2f5;padding:.05rem .3rem;border-radius:.2rem;overflow-wrap:anywhere}\
blockquote{margin:1rem 0;padding:.5rem 1rem;border-left:.3rem solid #c9d1dc;background:#fafbfc;white-space:pre-wrap}\
table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{border:1px solid #dfe3ea;padding:.3rem .5rem;text-align:left;vertical-align:top}\
th{background:#f4f6fa}.finding{margin:.6rem 0;padding:.4rem .8rem;border-left:.25rem solid #c9d1dc}\
.finding .w{font-weight:700;margin-right:.4rem}.finding ul{margin:.2rem 0;padding-left:1.2rem;font-size:.9em}\
figure{margin:1rem 0}figure img{max-width:100%;border:1px solid #dfe3ea}figcaption{font-size:.85em;color:#5a6473}\
footer{margin-top:2rem;font-size:.85em;color:#5a6473}";

fn esc(s: &str) -> String {
    html_escape::encode_text(s).into_owned()
}

fn inlines(parts: &[Inline]) -> String {
    parts
        .iter()
        .map(|p| match p {
            Inline::Text(t) => esc(t),
            Inline::Code(c) => format!("<code>{}</code>", esc(c)),
            Inline::Strong(s) => format!("<strong>{}</strong>", esc(s)),
        })
        .collect()
}

pub fn render_html(doc: &Document) -> String {
    let lang = if doc.lang == Lang::Ja { "ja" } else { "en" };
    let class = doc.verdict.as_str();
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n\
<meta name=\"referrer\" content=\"no-referrer\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body class=\"{class}\">\n",
        esc(&doc.title)
    );
    out.push_str(&render_html_body(doc));
    out.push_str("</body>\n</html>\n");
    crate::inert::output(out, false)
}

/// The report's style sheet, for a page that embeds [`render_html_body`].
pub const REPORT_STYLE: &str = STYLE;

/// The report's content, the inside of `<body>` (title, summary, sections, footer), for a page
/// of its own around it (`kaibo serve`). Made inert like the whole report.
pub fn render_html_body(doc: &Document) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "<h1>{}</h1>", esc(&doc.title));
    let _ = writeln!(
        out,
        "<p class=\"summary\"><span class=\"badge\">{}</span> {}</p>",
        esc(&doc.verdict_label),
        inlines(&doc.summary[1..])
    );
    for s in &doc.sections {
        let _ = writeln!(out, "<section>\n<h2>{}</h2>", esc(&s.heading));
        for b in &s.blocks {
            match b {
                Block::Para(p) => {
                    let _ = writeln!(out, "<p>{}</p>", inlines(p));
                }
                Block::Quote(lines) => {
                    let body: Vec<String> = lines.iter().map(|l| esc(l)).collect();
                    let _ = writeln!(out, "<blockquote>{}</blockquote>", body.join("\n"));
                }
                Block::List(items) => {
                    out.push_str("<ul>\n");
                    for i in items {
                        let _ = writeln!(out, "<li>{}</li>", inlines(i));
                    }
                    out.push_str("</ul>\n");
                }
                Block::Table { head, rows } => {
                    out.push_str("<table>\n<thead><tr>");
                    for h in head {
                        let _ = write!(out, "<th>{}</th>", esc(h));
                    }
                    out.push_str("</tr></thead>\n<tbody>\n");
                    for r in rows {
                        out.push_str("<tr>");
                        for c in r {
                            let _ = write!(out, "<td>{}</td>", inlines(c));
                        }
                        out.push_str("</tr>\n");
                    }
                    out.push_str("</tbody>\n</table>\n");
                }
                Block::Finding { weight, id, text, evidence } => {
                    let _ = write!(
                        out,
                        "<div class=\"finding\"><span class=\"w\">{}</span><code>{}</code><br>{}",
                        esc(weight),
                        esc(id),
                        esc(text)
                    );
                    if !evidence.is_empty() {
                        out.push_str("<ul>");
                        for e in evidence {
                            let _ = write!(out, "<li><code>{}</code></li>", esc(e));
                        }
                        out.push_str("</ul>");
                    }
                    out.push_str("</div>\n");
                }
                Block::Image { alt, mime, bytes, .. } => {
                    let data = base64::engine::general_purpose::STANDARD.encode(bytes);
                    let _ = writeln!(
                        out,
                        "<figure><img alt=\"{}\" src=\"data:{mime};base64,{data}\"><figcaption>{}</figcaption></figure>",
                        html_escape::encode_double_quoted_attribute(alt),
                        esc(alt)
                    );
                }
            }
        }
        out.push_str("</section>\n");
    }
    let _ = writeln!(out, "<footer>{}</footer>", esc(&doc.footer));
    crate::inert::output(out, false)
}
