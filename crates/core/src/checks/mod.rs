//! Checks: each reads the mail's facts and adds findings by id.
//!
//! A check knows *how* to look; what to look for (phrases, brands, domains) comes from
//! [`crate::knowledge`], and what a finding weighs and how it is explained comes from
//! `data/findings.toml`. Checks are pure functions of the context, so their order does not
//! matter and the verdict is reproducible.

use crate::Options;
use crate::html::HtmlForm;
use crate::knowledge::Knowledge;
use crate::mail::MailFacts;
use crate::urls::UrlFacts;
use kaibo_model::{Authentication, Evidence, Finding, UpstreamVerdict};

pub mod attachments;
pub mod auth;
pub mod content;
pub mod links;
pub mod sender;
pub mod structure;
pub mod upstream;

/// A link as the checks see it.
#[derive(Debug, Clone)]
pub struct Link {
    pub facts: UrlFacts,
    /// Where the URL came from: `a`, `area`, `form`, `img`, `iframe`, `meta-refresh`, `text`,
    /// `attachment` (an HTML attachment), `pdf` (a PDF attachment's link), `qr` (a QR code).
    pub source: &'static str,
    pub display_text: Option<String>,
    pub hidden: bool,
    /// The destination of a gateway link rewriter, when this link went through one.
    pub unwrapped_from: Option<String>,
}

impl Link {
    /// Links a reader can click (not images or frames loaded by the page).
    pub fn is_clickable(&self) -> bool {
        matches!(self.source, "a" | "area" | "text" | "meta-refresh" | "form" | "attachment" | "pdf" | "qr")
    }
}

/// What the body says and links to.
#[derive(Debug, Clone, Default)]
pub struct Content {
    /// Visible text of the body parts (hidden text excluded), parts separated by blank lines.
    pub visible_text: String,
    pub hidden_text: Vec<String>,
    pub links: Vec<Link>,
    /// Addresses of `mailto:` links, in order, without their query.
    pub mailto: Vec<String>,
    pub forms: Vec<HtmlForm>,
    pub emails: Vec<String>,
    /// `ja` or `en`, when clear.
    pub language: Option<&'static str>,
    /// The subject with invisible characters removed.
    pub subject: String,
    /// Invisible characters slipped between letters of the subject and the text.
    pub invisible: crate::text::Invisible,
    /// The original's header block, when the mail forwards another one inline.
    pub inline_forward: Option<crate::forward::InlineForward>,
    /// QR codes decoded from images: where (attachment index or `None` for an inline data:
    /// image) and what they say.
    pub qr_codes: Vec<QrCode>,
    /// Limits reached while reading the content (docs/limits.md).
    pub limits: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct QrCode {
    pub attachment: Option<usize>,
    pub place: String,
    pub payload: String,
}

/// Everything a check may read.
pub struct Context<'a> {
    pub k: &'a Knowledge,
    pub mail: &'a MailFacts,
    pub content: &'a Content,
    pub opts: &'a Options,
    /// Set when the mail is a genuine bounce or feedback report (decided first).
    pub machine_report: Option<structure::MachineReport>,
}

/// Collects findings; looks up their weight and explanation in the catalog.
#[derive(Default)]
pub struct Collector {
    pub findings: Vec<Finding>,
    pub authentication: Authentication,
    pub upstream: Vec<UpstreamVerdict>,
}

impl Collector {
    /// Adds finding `id` with its evidence. An id missing from the catalog is a programming
    /// error caught by the tests; in a release build it is skipped rather than crash on mail.
    pub fn add(&mut self, k: &Knowledge, id: &str, evidence: Vec<Evidence>) {
        let Some(def) = k.finding(id) else {
            debug_assert!(false, "finding {id} is not in data/findings.toml");
            return;
        };
        if let Some(existing) = self.findings.iter_mut().find(|f| f.id == id) {
            for e in evidence {
                if !existing.evidence.contains(&e) && existing.evidence.len() < 10 {
                    existing.evidence.push(e);
                }
            }
            return;
        }
        self.findings.push(def.finding(evidence));
    }

    pub fn has(&self, id: &str) -> bool {
        self.findings.iter().any(|f| f.id == id)
    }
}

/// Runs every check.
pub fn run_all(ctx: &Context<'_>) -> Collector {
    let mut out = Collector::default();
    structure::check(ctx, &mut out);
    upstream::check(ctx, &mut out);
    auth::check(ctx, &mut out);
    sender::check(ctx, &mut out);
    content::check(ctx, &mut out);
    links::check(ctx, &mut out);
    attachments::check(ctx, &mut out);
    combinations(ctx, &mut out);
    out
}

/// Scam scripts told across findings (`[[combination]]` in lures.toml): found when every group
/// has one of its findings, with the findings that made it as evidence.
fn combinations(ctx: &Context<'_>, out: &mut Collector) {
    for c in &ctx.k.combinations {
        let mut made_of = Vec::new();
        for group in &c.all {
            match group.iter().find(|id| out.has(id)) {
                Some(id) => made_of.push(id.clone()),
                None => break,
            }
        }
        if made_of.len() == c.all.len() {
            out.add(ctx.k, &c.id, vec![Evidence::new("findings", made_of.join(" + "))]);
        }
    }
}

/// Shortens text for evidence, on a character boundary.
pub fn clip(s: &str, max_chars: usize) -> String {
    let s = s.trim();
    if s.chars().count() <= max_chars {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max_chars).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests {
    use crate::knowledge::knowledge;

    /// Every finding id written in a check exists in the catalog, so no check can report an
    /// unexplained finding.
    #[test]
    fn every_id_used_in_code_is_in_the_catalog() {
        let sources = [
            include_str!("attachments.rs"),
            include_str!("auth.rs"),
            include_str!("content.rs"),
            include_str!("links.rs"),
            include_str!("sender.rs"),
            include_str!("structure.rs"),
            include_str!("upstream.rs"),
            include_str!("../analyze.rs"),
        ];
        let prefixes =
            ["upstream.", "auth.", "sender.", "lure.", "content.", "links.", "structure.", "attachment."];
        let mut used = 0;
        for src in sources {
            for (i, _) in src.match_indices('"') {
                let rest = &src[i + 1..];
                let Some(end) = rest.find('"') else { continue };
                let lit = &rest[..end];
                if prefixes.iter().any(|p| lit.starts_with(p))
                    && lit.chars().all(|c| c.is_ascii_lowercase() || c == '.' || c == '_')
                {
                    used += 1;
                    assert!(
                        knowledge().finding(lit).is_some(),
                        "{lit} is used in code but missing from findings.toml"
                    );
                }
            }
        }
        assert!(used > 20, "found only {used} finding ids in the checks");
    }
}
