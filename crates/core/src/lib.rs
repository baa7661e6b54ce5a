//! # kaibo-core: the offline dissection of one email
//!
//! `bytes → facts → findings → verdict`, with no network, no async and no global state beyond
//! the knowledge data parsed once. Everything an analyst can tell from the mail itself is done
//! here; enrichment (DNS, RDAP, reputation, landing pages) and reports build on the
//! [`Analysis`] this crate returns.
//!
//! The pipeline, one module per step ([`analyze()`] runs it; `docs/architecture.md` draws it):
//! - [`input`]: what is refused as not a mail, and the repairs and bounds before parsing;
//! - [`mime`] and [`mail`]: MIME parsing (mail-parser) into [`mail::MailFacts`] (decoded
//!   headers, addresses, route, [`auth_results`], parts, attached mails), with charset repairs;
//! - [`body`]: what a reader meets: visible and hidden text ([`html`], [`text`]), every link and
//!   where it really goes ([`urls`]), links inside attached files ([`files`]), inline forwards
//!   ([`forward`]);
//! - [`checks`]: facts into findings, by id, from [`knowledge`] (the data files, read by
//!   [`data`]);
//! - [`ledger`]: the one place a finding is added, de-duplicated, capped and ordered, and the
//!   mail judged ([`verdict`]); online findings join through it too.
//!
//! The result is a [`kaibo_model::Analysis`]: the types live in kaibo-model, shared with the
//! online crates and the renderers. [`limits`] holds every bound, [`inert`] makes mail text
//! safe to print.
//!
//! Mail is hostile input: every size and depth is bounded, the parser runs under
//! `catch_unwind`, and malformed mail is analysed best-effort with a `structure.malformed`
//! finding naming the defect.

pub mod analyze;
pub mod auth_results;
pub mod body;
pub mod calendar;
pub mod checks;
pub mod data;
pub mod files;
pub mod forward;
pub mod html;
pub mod inert;
pub mod input;
pub mod knowledge;
pub mod landing;
pub mod ledger;
pub mod limits;
pub mod mail;
pub mod mime;
pub mod msg;
pub mod net;
pub mod normalise;
pub mod script;
pub mod text;
pub mod text_model;
pub mod urls;
pub mod verdict;
pub mod word_pattern;

pub use analyze::analyze;
pub use kaibo_model::analysis::*;
pub use kaibo_model::{Dissection, Enrichment, FindingId, ProposedFinding, Visit, ids};

pub use limits::DEFAULT_MAX_INPUT_BYTES;

/// How to analyse.
#[derive(Debug, Clone)]
pub struct Options {
    /// Larger input is refused with [`AnalyzeError::TooLarge`].
    pub max_input_bytes: usize,
    /// Keep upstream verdicts (spam stamps, filter headers) out of the score.
    pub ignore_upstream_verdicts: bool,
    /// authserv-ids whose Authentication-Results are trusted; empty = trust the topmost header.
    pub trusted_authserv_ids: Vec<String>,
    /// Which text model judges the mail's words (`content.text_model`).
    pub text_model: TextModelChoice,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_input_bytes: DEFAULT_MAX_INPUT_BYTES,
            ignore_upstream_verdicts: false,
            trusted_authserv_ids: Vec::new(),
            text_model: TextModelChoice::Bundled,
        }
    }
}

/// The text model an analysis uses.
#[derive(Debug, Clone, Default)]
pub enum TextModelChoice {
    /// The model shipped with kaibo (`data/text-model.kbtm`).
    #[default]
    Bundled,
    /// A model the user trained (`kaibo learn`, `--model FILE`).
    Custom(std::sync::Arc<text_model::TextModel>),
    /// No text model (training kaibo's own weights uses this).
    Off,
}

impl TextModelChoice {
    pub fn model(&self) -> Option<&text_model::TextModel> {
        match self {
            TextModelChoice::Bundled => text_model::TextModel::bundled(),
            TextModelChoice::Custom(m) => Some(m),
            TextModelChoice::Off => None,
        }
    }
}

/// Why a mail could not be analysed at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnalyzeError {
    Empty,
    TooLarge { size: usize, limit: usize },
    NotAMail(String),
}

impl std::fmt::Display for AnalyzeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AnalyzeError::Empty => write!(f, "the input is empty"),
            AnalyzeError::TooLarge { size, limit } => {
                write!(
                    f,
                    "the input is {size} bytes, larger than the limit of {limit} bytes (see --max-size)"
                )
            }
            AnalyzeError::NotAMail(why) => write!(f, "not an email: {why}"),
        }
    }
}

impl std::error::Error for AnalyzeError {}
