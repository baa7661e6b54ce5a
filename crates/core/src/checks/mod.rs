//! Checks: each reads the mail's facts and adds findings by id.
//!
//! A check knows *how* to look; what to look for (phrases, brands, domains) comes from
//! [`crate::knowledge`], and what a finding weighs and how it is explained comes from
//! `data/findings.toml`. Checks are pure functions of the [`Context`]; the verdict is
//! reproducible.
//!
//! Order matters in three places, and [`run_all`] fixes it: whether the mail is a genuine bounce
//! or feedback report is decided before any check runs (it is in the context, and several
//! checks stand down for it); the scam scripts told across findings (`combinations`) run after
//! the others, because they read what those found; and [`bulk::guard`] runs last, taking the
//! counter-evidence out of the score of a credential lure that links elsewhere, and the text
//! model out of the score of a proven sender whose links stay with it. Otherwise a
//! check reads only the context and the findings it added itself. The order in which findings
//! are added changes neither score nor verdict: the ledger merges duplicates and orders the
//! findings by weight when it closes (the order of adding only breaks ties).

use crate::Options;
use crate::body::Content;
use crate::knowledge::Knowledge;
use crate::mail::MailFacts;
use kaibo_model::{Authentication, Evidence, FindingId, UpstreamVerdict};

use crate::ledger::Ledger;

pub mod attachments;
pub mod auth;
pub mod bulk;
pub mod content;
pub mod links;
pub mod sender;
pub mod structure;
pub mod upstream;

/// Everything a check may read.
pub struct Context<'a> {
    pub k: &'a Knowledge,
    pub mail: &'a MailFacts,
    pub content: &'a Content,
    pub opts: &'a Options,
    /// Set when the mail is a genuine bounce or feedback report (decided first).
    pub machine_report: Option<structure::MachineReport>,
    /// What the text model says of the mail's words, when a model is in use.
    pub text_verdict: Option<crate::text_model::TextVerdict>,
    /// The sender's registrable domain when authentication proves it ([`bulk::proven_domain`]).
    pub proven_sender: Option<String>,
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
    bulk::check(ctx, &mut out);
    combinations(ctx, &mut out);
    bulk::guard(ctx, &mut out);
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
