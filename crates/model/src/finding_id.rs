//! Typed finding ids: one constant per finding of the catalog (`data/findings.toml`), generated
//! at build time, so that a check cannot report a finding the catalog does not explain. Ids that
//! come from data (a lure group's finding, a combination) are checked once, when the data is
//! loaded, with [`FindingId::parse`].

/// The id of a finding of kaibo's catalog, such as `sender.display_name_spoof`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FindingId(&'static str);

impl FindingId {
    pub const fn as_str(self) -> &'static str {
        self.0
    }

    /// The catalog's id spelt `s`, if there is one.
    pub fn parse(s: &str) -> Option<FindingId> {
        ids::ALL.iter().copied().find(|id| id.0 == s)
    }

    /// The category: the part before the dot (`sender`, `lure`, `enrich`…).
    pub fn category(self) -> &'static str {
        self.0.split('.').next().unwrap_or(self.0)
    }
}

impl std::fmt::Display for FindingId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// A finding an online rung proposes for a mail: the core's ledger adds it to the analysis and
/// judges the mail again.
#[derive(Debug, Clone, PartialEq)]
pub struct ProposedFinding {
    pub id: FindingId,
    pub evidence: Vec<crate::Evidence>,
}

impl ProposedFinding {
    pub fn new(id: FindingId, evidence: Vec<crate::Evidence>) -> ProposedFinding {
        ProposedFinding { id, evidence }
    }
}

/// One constant per finding of `data/findings.toml` (`sender.display_name_spoof` is
/// `SENDER_DISPLAY_NAME_SPOOF`), and [`ALL`](ids::ALL).
// The constants' docs are the catalog's English explanations, written for readers, not rustdoc.
#[allow(rustdoc::bare_urls, rustdoc::broken_intra_doc_links)]
pub mod ids {
    use super::FindingId;
    include!(concat!(env!("OUT_DIR"), "/finding_ids.rs"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_the_catalogs() {
        assert_eq!(ids::SENDER_DISPLAY_NAME_SPOOF.as_str(), "sender.display_name_spoof");
        assert_eq!(FindingId::parse("lure.sync_error"), Some(ids::LURE_SYNC_ERROR));
        assert_eq!(FindingId::parse("lure.nothing_like_this"), None);
        assert_eq!(ids::ENRICH_YOUNG_DOMAIN.category(), "enrich");
        assert!(ids::ALL.len() > 100);
    }
}
