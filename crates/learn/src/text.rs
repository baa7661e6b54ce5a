//! Training the text model ([`kaibo_core::text_model`]) from labelled mail.
//!
//! Three things keep it from learning the corpus instead of phishing:
//!
//! - **Balance.** Phishing and legitimate mail weigh the same in total, and inside each label a
//!   collection weighs as the square root of its size, so a large collection does not drown a
//!   small one and a small one is not blown up mail by mail.
//! - **Features seen enough.** A bucket counts only when it is in at least `min_docs` mails and,
//!   for a corpus of several collections, in at least `min_sources` of them: a phrase that only
//!   one collection has (a list's footer, a honeypot's address, one campaign's wording) is that
//!   collection's, not phishing's.
//! - **The language is not evidence.** Public Japanese phishing far outnumbers public Japanese
//!   legitimate mail, so "is Japanese" would look like evidence. Training gives the model a
//!   separate indicator for Japanese text, fitted first and alone so that it soaks up the whole
//!   imbalance (learned alongside the words, it shared it with every common Japanese phrase, and
//!   a friend's note read as phishing), and the shipped model drops it: only what tells
//!   Japanese phishing from Japanese legitimate mail remains evidence.

use std::collections::HashMap;

use kaibo_core::text_model::{DEFAULT_BITS, ModelInfo, TextModel};

use crate::corpus::Sample;
use crate::logistic::{SparseExample, SparseSettings, train_sparse};

/// How the text model is trained.
#[derive(Debug, Clone, Copy)]
pub struct TextSettings {
    pub min_docs: usize,
    pub min_sources: usize,
    pub sgd: SparseSettings,
}

impl Default for TextSettings {
    fn default() -> Self {
        TextSettings {
            min_docs: 3,
            min_sources: 2,
            sgd: SparseSettings { indicators_first: true, ..SparseSettings::default() },
        }
    }
}

/// Per-mail training weights: each label totals the same, and inside a label each collection
/// weighs as the square root of its size.
pub fn balanced_weights(samples: &[&Sample]) -> Vec<f64> {
    let mut sizes: HashMap<(&str, bool), usize> = HashMap::new();
    for s in samples {
        *sizes.entry((s.source.as_str(), s.phish)).or_default() += 1;
    }
    let mut label_sqrt = [0f64; 2];
    let mut label_count = [0usize; 2];
    for (&(_, phish), &n) in &sizes {
        label_sqrt[usize::from(phish)] += (n as f64).sqrt();
        label_count[usize::from(phish)] += n;
    }
    let total = samples.len() as f64;
    samples
        .iter()
        .map(|s| {
            let l = usize::from(s.phish);
            let n = sizes[&(s.source.as_str(), s.phish)] as f64;
            // Share of the label's weight for this collection, spread over its mails, and each
            // label worth half of all mails.
            let share = n.sqrt() / label_sqrt[l];
            (total / 2.0) * share / n
        })
        .collect()
}

/// The buckets seen often enough, in enough collections.
fn usable_buckets(samples: &[&Sample], settings: &TextSettings) -> Vec<bool> {
    let dims = 1usize << DEFAULT_BITS;
    let mut docs = vec![0u32; dims];
    let mut sources: HashMap<&str, usize> = HashMap::new();
    for s in samples {
        let n = sources.len();
        sources.entry(s.source.as_str()).or_insert(n);
    }
    // A bit per collection (up to 64; beyond that every collection counts as new).
    let mut seen_in = vec![0u64; dims];
    for s in samples {
        let bit = 1u64 << (sources[s.source.as_str()] % 64);
        for &b in &s.doc.buckets {
            docs[b as usize] += 1;
            seen_in[b as usize] |= bit;
        }
    }
    let need_sources = settings.min_sources.min(sources.len()).max(1) as u32;
    (0..dims)
        .map(|b| docs[b] as usize >= settings.min_docs && seen_in[b].count_ones() >= need_sources)
        .collect()
}

/// Trains a text model on `samples`.
pub fn train(samples: &[&Sample], settings: &TextSettings, info: ModelInfo) -> TextModel {
    let dims = 1usize << DEFAULT_BITS;
    let weights = balanced_weights(samples);
    let usable = usable_buckets(samples, settings);
    // Documents are hashed with the default bits, the bits every model kaibo trains has.
    let examples: Vec<SparseExample<'_>> = samples
        .iter()
        .zip(&weights)
        .map(|(s, &w)| SparseExample {
            buckets: &s.doc.buckets,
            value: s.doc.value(),
            extra: s.doc.japanese.then_some(0),
            phish: s.phish,
            weight: w as f32,
        })
        .collect();
    let (bias, w, _language) = train_sparse(&examples, dims, 1, &usable, settings.sgd);
    TextModel::new(DEFAULT_BITS, bias, w, info)
}

/// The description stored in a model trained on `samples`.
pub fn info_of(samples: &[&Sample], command: &str) -> ModelInfo {
    let mut sources: Vec<String> = samples.iter().map(|s| s.source.clone()).collect();
    sources.sort();
    sources.dedup();
    ModelInfo {
        phish: samples.iter().filter(|s| s.phish).count(),
        ham: samples.iter().filter(|s| !s.phish).count(),
        sources,
        command: command.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kaibo_core::text_model::Document;

    fn sample(text: &str, source: &str, phish: bool) -> Sample {
        Sample {
            location: String::new(),
            source: source.into(),
            phish,
            findings: vec![],
            doc: Document::new(text, DEFAULT_BITS),
            text_excused: false,
        }
    }

    /// Generated mail: phishing asks to verify an account, ham talks about meetings; each
    /// collection has a footer of its own, and the Japanese collection is all phishing.
    fn generated() -> Vec<Sample> {
        let mut out = Vec::new();
        for i in 0..60 {
            out.push(sample(&format!("verify your account now {i} footer alpha"), "phish-a", true));
            out.push(sample(&format!("please verify your password {i} footer beta"), "phish-b", true));
            out.push(sample(&format!("meeting notes for monday {i} footer gamma"), "ham-a", false));
            out.push(sample(&format!("the meeting moved to friday {i} footer delta"), "ham-b", false));
            out.push(sample(&format!("アカウントを確認してください {i}"), "phish-ja", true));
        }
        out.push(sample("会議の議事録です", "ham-ja", false));
        out
    }

    #[test]
    fn learns_the_words_not_the_collections() {
        let data = generated();
        let refs: Vec<&Sample> = data.iter().collect();
        let m = train(&refs, &TextSettings::default(), info_of(&refs, "test"));
        let p = |t: &str| m.probability(&Document::new(t, DEFAULT_BITS));
        assert!(p("verify your account") > 0.8, "{}", p("verify your account"));
        assert!(p("meeting on monday") < 0.2);
        // Footers belong to one collection each: not evidence.
        assert!(
            (p("footer alpha") - p("footer gamma")).abs() < 0.2,
            "{} {}",
            p("footer alpha"),
            p("footer gamma")
        );
        // Same data, same model.
        assert_eq!(m, train(&refs, &TextSettings::default(), info_of(&refs, "test")));
        assert_eq!(m.info.phish, 180);
    }

    #[test]
    fn weights_balance_labels_and_collections() {
        let data = generated();
        let refs: Vec<&Sample> = data.iter().collect();
        let w = balanced_weights(&refs);
        let total =
            |phish: bool| refs.iter().zip(&w).filter(|(s, _)| s.phish == phish).map(|(_, w)| w).sum::<f64>();
        assert!((total(true) - total(false)).abs() < 1e-6);
        // The one Japanese ham mail weighs more than one mail of a big collection, less than it.
        let ja = w[refs.iter().position(|s| s.source == "ham-ja").unwrap()];
        let big = w[refs.iter().position(|s| s.source == "ham-a").unwrap()];
        assert!(ja > big && ja < big * 60.0);
    }
}
