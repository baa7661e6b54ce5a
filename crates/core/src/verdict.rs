//! From findings to a score and a verdict.
//!
//! The score is the sum of the weights of the scored findings; counter-evidence has negative
//! weight, so the score can be below zero. Thresholds: `phishing` from 60, `suspicious` from 30,
//! otherwise `clean` (documented in docs/findings.md). A single strong signal (about 30) makes
//! a mail suspicious; it takes several independent ones to call it phishing.

use kaibo_model::{Finding, Thresholds, Verdict};

pub const THRESHOLDS: Thresholds = Thresholds { suspicious: 30, phishing: 60 };

pub fn judge(findings: &[Finding]) -> (i32, Verdict) {
    let score: i32 = findings.iter().filter(|f| f.scored).map(|f| f.weight).sum();
    let verdict = if score >= THRESHOLDS.phishing {
        Verdict::Phishing
    } else if score >= THRESHOLDS.suspicious {
        Verdict::Suspicious
    } else {
        Verdict::Clean
    };
    (score, verdict)
}
