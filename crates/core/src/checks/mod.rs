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
use kaibo_model::{Authentication, Evidence, FindingId, UpstreamVerdict};

use crate::ledger::Ledger;

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

/// What the checks found: findings (in the [`Ledger`]), and the facts two of them read out of
/// the headers on the way (which Authentication-Results header was trusted, and the verdicts of
/// other filters).
#[derive(Default)]
pub struct Collector {
    pub ledger: Ledger,
    pub authentication: Authentication,
    pub upstream: Vec<UpstreamVerdict>,
}

impl Collector {
    /// Adds finding `id` with its evidence (see [`Ledger::add`]).
    pub fn add(&mut self, id: FindingId, evidence: Vec<Evidence>) {
        self.ledger.add(id, evidence);
    }

    pub fn has(&self, id: FindingId) -> bool {
        self.ledger.has(id)
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
            match group.iter().find(|id| out.has(**id)) {
                Some(id) => made_of.push(id.as_str()),
                None => break,
            }
        }
        if made_of.len() == c.all.len() {
            out.add(c.id, vec![Evidence::new("findings", made_of.join(" + "))]);
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
