//! The dissection as Markdown (CommonMark with GitHub tables), ready for a blog or a ticket.
//! Images are linked by path (the screenshot file written by `--render`); the map is only in
//! the HTML report, which embeds it.

use std::fmt::Write;

use crate::document::{Block, Document, Inline};

/// Escapes the characters Markdown would read as markup in running text.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn code(s: &str) -> String {
    // A code span that can hold backticks: fence it with one more than it contains.
    let ticks = s.split(|c| c != '`').map(str::len).max().unwrap_or(0) + 1;
    let fence = "`".repeat(ticks);
    let pad = if s.starts_with('`') || s.ends_with('`') { " " } else { "" };
    format!("{fence}{pad}{}{pad}{fence}", s.replace('|', "\\|"))
}

fn inlines(parts: &[Inline]) -> String {
    parts
        .iter()
        .map(|p| match p {
            Inline::Text(t) => esc(t),
            Inline::Code(c) => code(c),
            Inline::Strong(s) => format!("**{}**", esc(s)),
        })
        .collect()
}

pub fn render_markdown(doc: &Document) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", esc(&doc.title));
    let _ = writeln!(out, "> {}\n", inlines(&doc.summary));
    for s in &doc.sections {
        let _ = writeln!(out, "## {}\n", esc(&s.heading));
        for b in &s.blocks {
            match b {
                Block::Para(p) => {
                    let _ = writeln!(out, "{}\n", inlines(p));
                }
                Block::Quote(lines) => {
                    for l in lines {
                        let _ = writeln!(out, "> {}", esc(l));
                    }
                    out.push('\n');
                }
                Block::List(items) => {
                    for i in items {
                        let _ = writeln!(out, "- {}", inlines(i));
                    }
                    out.push('\n');
                }
                Block::Table { head, rows } => {
                    let _ =
                        writeln!(out, "| {} |", head.iter().map(|h| esc(h)).collect::<Vec<_>>().join(" | "));
                    let _ = writeln!(out, "|{}", "---|".repeat(head.len()));
                    for r in rows {
                        let cells: Vec<String> = r.iter().map(|c| inlines(c).replace('\n', " ")).collect();
                        let _ = writeln!(out, "| {} |", cells.join(" | "));
                    }
                    out.push('\n');
                }
                Block::Finding { weight, id, text, evidence } => {
                    let _ = writeln!(out, "- **{}** {} — {}", esc(weight), code(id), esc(text));
                    for e in evidence {
                        let _ = writeln!(out, "  - {}", code(e));
                    }
                    out.push('\n');
                }
                Block::Image { alt, path, .. } => {
                    if let Some(p) = path {
                        let _ = writeln!(out, "![{}]({})\n", esc(alt), p.replace(' ', "%20"));
                    }
                }
            }
        }
    }
    let _ = writeln!(out, "---\n\n*{}*", esc(&doc.footer));
    crate::inert::output(out, false)
}
