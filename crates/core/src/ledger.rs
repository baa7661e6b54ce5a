//! The findings ledger: the one place a finding is added, its evidence de-duplicated and capped,
//! the findings ordered and the mail judged.
//!
//! The offline checks add to a ledger as they run (later checks, such as the combinations, read
//! what earlier ones found); the online rungs do not touch the analysis, they *propose* findings
//! ([`ProposedFinding`]) that [`add_proposed`] adds to the analysis' ledger before it is judged
//! once more. So a finding has the same id, weight and explanations, and its evidence the same
//! rules, wherever it comes from.

use kaibo_model::{Analysis, Evidence, Finding, FindingId, ProposedFinding, Verdict};

use crate::knowledge::knowledge;

/// Pieces of evidence kept per finding.
pub const MAX_EVIDENCE: usize = 10;

/// Findings being gathered for one mail, in the order they were found.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    findings: Vec<Finding>,
}

/// The findings of a mail, ordered strongest first, with its score and verdict.
#[derive(Debug, Clone)]
pub struct Judged {
    pub findings: Vec<Finding>,
    pub score: i32,
    pub verdict: Verdict,
}

impl Ledger {
    pub fn new() -> Ledger {
        Ledger::default()
    }

    /// The ledger of findings already judged (an analysis that online findings are added to).
    pub fn of(findings: Vec<Finding>) -> Ledger {
        Ledger { findings }
    }

    /// Adds finding `id` from the catalog with its evidence. For an id already in the ledger,
    /// only its new evidence is added. Each piece of evidence is kept once, and at most
    /// [`MAX_EVIDENCE`] of them.
    pub fn add(&mut self, id: FindingId, evidence: Vec<Evidence>) {
        let at = match self.findings.iter().position(|f| f.id == id.as_str()) {
            Some(at) => at,
            None => {
                self.findings.push(knowledge().definition(id).finding(Vec::new()));
                self.findings.len() - 1
            }
        };
        let kept = &mut self.findings[at].evidence;
        for e in evidence {
            if kept.len() < MAX_EVIDENCE && !kept.contains(&e) {
                kept.push(e);
            }
        }
    }

    /// Adds finding `id` with a weight of its own instead of the catalog's: for findings whose
    /// weight depends on a measured strength (the text model's probability band).
    pub fn add_weighted(&mut self, id: FindingId, weight: i32, evidence: Vec<Evidence>) {
        self.add(id, evidence);
        if let Some(f) = self.findings.iter_mut().find(|f| f.id == id.as_str()) {
            f.weight = weight;
        }
    }

    /// Keeps finding `id` (when present) out of the score, with `reason` first in its evidence.
    pub fn unscore(&mut self, id: FindingId, reason: Evidence) {
        if let Some(f) = self.findings.iter_mut().find(|f| f.id == id.as_str()) {
            f.scored = false;
            if !f.evidence.contains(&reason) {
                f.evidence.insert(0, reason);
                f.evidence.truncate(MAX_EVIDENCE);
            }
        }
    }

    pub fn has(&self, id: FindingId) -> bool {
        self.findings.iter().any(|f| f.id == id.as_str())
    }

    pub fn get(&self, id: FindingId) -> Option<&Finding> {
        self.findings.iter().find(|f| f.id == id.as_str())
    }

    /// The findings so far, in the order they were found.
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// Orders the findings strongest first (ties keep the order they were found) and judges the
    /// mail. With `ignore_upstream`, the verdicts of other filters stay visible but unscored.
    pub fn close(mut self, ignore_upstream: bool) -> Judged {
        if ignore_upstream {
            for f in self.findings.iter_mut().filter(|f| f.category == "upstream") {
                f.scored = false;
            }
        }
        self.findings.sort_by_key(|f| std::cmp::Reverse(if f.scored { f.weight } else { 0 }));
        let (score, verdict) = crate::verdict::judge(&self.findings);
        Judged { findings: self.findings, score, verdict }
    }
}

/// Adds what the online rungs propose to a judged analysis and judges it again.
pub fn add_proposed(a: &mut Analysis, proposed: Vec<ProposedFinding>) {
    if proposed.is_empty() {
        return;
    }
    let mut ledger = Ledger::of(std::mem::take(&mut a.findings));
    for p in proposed {
        ledger.add(p.id, p.evidence);
    }
    let judged = ledger.close(false);
    a.findings = judged.findings;
    a.score = judged.score;
    a.verdict = judged.verdict;
}

#[cfg(test)]
mod tests {
    use super::*;
    use kaibo_model::ids;

    #[test]
    fn evidence_is_kept_once_and_capped() {
        let mut l = Ledger::new();
        let ev = |i: usize| Evidence::new("url", format!("https://x{i}.example/"));
        l.add(ids::LINKS_IP_LITERAL_HOST, vec![ev(0), ev(0), ev(1)]);
        l.add(ids::LINKS_IP_LITERAL_HOST, (0..20).map(ev).collect());
        let f = l.get(ids::LINKS_IP_LITERAL_HOST).unwrap();
        assert_eq!(f.evidence.len(), MAX_EVIDENCE);
        assert_eq!(f.evidence[1], ev(1));
        assert!(l.has(ids::LINKS_IP_LITERAL_HOST) && !l.has(ids::LURE_SYNC_ERROR));
    }

    #[test]
    fn closing_orders_strongest_first_and_judges() {
        let mut l = Ledger::new();
        for id in [ids::CONTENT_ANONYMOUS_SIGNATURE, ids::UPSTREAM_SPAM_FLAG, ids::SENDER_DISPLAY_NAME_SPOOF]
        {
            l.add(id, Vec::new());
        }
        let weight = |id: FindingId| knowledge().definition(id).weight;
        let judged = l.clone().close(false);
        assert!(judged.findings.windows(2).all(|w| w[0].weight >= w[1].weight));
        let all = weight(ids::CONTENT_ANONYMOUS_SIGNATURE)
            + weight(ids::UPSTREAM_SPAM_FLAG)
            + weight(ids::SENDER_DISPLAY_NAME_SPOOF);
        assert_eq!(judged.score, all);
        let without_upstream = l.close(true);
        assert_eq!(without_upstream.score, all - weight(ids::UPSTREAM_SPAM_FLAG));
        assert!(without_upstream.findings.iter().any(|f| f.id == "upstream.spam_flag" && !f.scored));
    }
}
