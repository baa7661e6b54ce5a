//! # kaibo-model: the one model every output renders
//!
//! Plain data (owned strings, serde), with no parsing, no network and no judgement:
//!
//! - [`analysis`]: what the offline analysis concluded ([`Analysis`]: findings with their
//!   evidence, verdict, and the facts an analyst reads);
//! - [`enrichment`]: what the online lookup rungs found ([`Enrichment`]: DNS, registration,
//!   geolocation, feeds, reputation services);
//! - [`visit`]: what the landing-page visit found ([`Visit`]: requests, pages, screenshots);
//! - [`FindingId`] and [`ids`]: the catalog's finding ids as constants, generated from
//!   `data/findings.toml`;
//! - [`Dissection`]: the three together, the document `kaibo analyze --format json` writes and
//!   every renderer reads.
//!
//! `kaibo-core` produces the analysis, `kaibo-enrich` and `kaibo-visit` produce the online facts
//! (and propose findings, which the core's ledger judges), `kaibo-report` renders; none of them
//! needs another's internals to read these. Field names are kaibo's JSON contract
//! (`docs/json-schema.json`): add fields, do not rename them.

pub mod analysis;
pub mod enrichment;
pub mod finding_id;
pub mod visit;

pub use analysis::*;
pub use enrichment::Enrichment;
pub use finding_id::{FindingId, ProposedFinding, ids};
pub use visit::Visit;

use serde::{Deserialize, Serialize};

/// Everything kaibo found about one mail: the offline analysis, and what the online rungs found
/// when they ran. Serialised flat: the analysis' fields, then `enrichment` (when a lookup rung
/// ran) and `visit` (when the landing page was visited).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Dissection {
    #[serde(flatten)]
    pub analysis: Analysis,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrichment: Option<Enrichment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visit: Option<Visit>,
}

impl Dissection {
    /// The offline analysis alone.
    pub fn offline(analysis: Analysis) -> Dissection {
        Dissection { analysis, enrichment: None, visit: None }
    }
}
