//! # kaibo-enrich: what the network knows about a mail's domains and addresses
//!
//! The offline core ([`kaibo_core`]) reads the mail; this crate asks the outside world, and only
//! when the user opted in (`--online`, or `--enrich` with a list of rungs):
//!
//! - [`dns`]: addresses, CNAME chain, MX and NS of every link host; SPF and DMARC of the claimed
//!   sender's domain (hickory-resolver);
//! - [`registration`]: registrar, creation date, status, name servers and abuse contact of each
//!   registrable domain by RDAP (IANA bootstrap), or WHOIS for TLDs without RDAP; RDAP for IPs;
//! - [`geo`]: country, city, coordinates and ASN of every IP, from `.mmdb` files;
//! - [`feeds`]: OpenPhish, PhishTank, URLhaus and JPCERT/CC lists, loaded from local files;
//! - [`apis`]: reputation services with the user's own keys (Safe Browsing, VirusTotal,
//!   urlscan.io);
//! - the landing-page visit ([`kaibo_visit`]): fetch and render, only when asked for by name
//!   (`--visit`, `--render`; `--online` does not include them, because visiting a link can tell
//!   the attacker that the mail was opened).
//!
//! Lookups run concurrently under one global limit, each with a timeout, and their answers are
//! kept in an on-disk [`cache`] so a scan of many mails sharing domains asks once. A lookup that
//! fails or times out becomes a note (`notes` of the [`Enrichment`]), never a finding and never
//! an error of the analysis.
//!
//! This crate owns no verdict logic. [`findings`] reads the answers and *proposes* findings of
//! the same catalog as the offline checks (`enrich.*` in `data/findings.toml`), as
//! [`kaibo_visit::findings()`] does for the visit; [`judge`] hands them all to the offline core's
//! ledger ([`kaibo_core::ledger::add_proposed`]), which merges, orders and scores them exactly
//! as it does offline findings. The result is one [`Dissection`], the value every renderer takes.
//!
//! Everything async stays inside [`Enricher::dissect`], which runs its own small Tokio runtime:
//! callers (the CLI, a scan worker) stay synchronous.

pub mod apis;
pub mod cache;
pub mod config;
pub mod dns;
pub mod download;
pub mod enricher;
pub mod feeds;
pub mod findings;
pub mod geo;
pub mod registration;
pub mod rungs;
pub mod targets;

use kaibo_core::Analysis;
use kaibo_model::{Dissection, Visit};

pub use config::Config;
pub use download::download;
pub use enricher::Enricher;
pub use kaibo_model::enrichment::{CacheStats, Enrichment};
pub use rungs::Rungs;

/// The dissection of a mail from its offline analysis and what the online rungs found: their
/// findings added and the mail judged again. The enrichment is kept when a lookup rung ran.
pub fn judge(
    mut analysis: Analysis,
    enrichment: Enrichment,
    visit: Option<Visit>,
    cfg: &Config,
) -> Dissection {
    let mut proposed = visit.as_ref().map(|v| kaibo_visit::findings(&analysis, v)).unwrap_or_default();
    proposed.extend(findings::findings(&analysis, &enrichment, cfg));
    kaibo_core::ledger::add_proposed(&mut analysis, proposed);
    let enrichment = (!enrichment.rungs.is_empty()).then_some(enrichment);
    Dissection { analysis, enrichment, visit }
}

#[cfg(test)]
mod tests {
    #[test]
    fn bundled_bootstrap_loads() {
        let b = crate::registration::Bootstrap::bundled();
        assert!(b.base_for("com").is_some_and(|u| u.starts_with("https://")));
        assert!(b.base_for("ru").is_none());
    }
}
