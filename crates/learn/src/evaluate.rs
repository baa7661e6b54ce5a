//! How well the fitted weights and the text model hold: in-sample (weights fitted on every
//! collection, the text model judging each mail out-of-fold) and **leave-one-source-out** (for
//! each collection, everything learned again without it, then measured on it), the honest
//! estimate for mail from a collection never seen.

use std::collections::BTreeMap;

use kaibo_core::text_model::TextModel;
use serde::Serialize;

use crate::corpus::Sample;
use crate::fit::{FLAG_AT, FitSettings, Fitted, fit};
use crate::text::{TextSettings, balanced_weights, info_of, train};

/// Everything learned from a corpus, with the measurements.
#[derive(Debug, Clone)]
pub struct Learned {
    pub fitted: Fitted,
    pub model: TextModel,
    pub report: FitReport,
}

#[derive(Debug, Clone, Serialize)]
pub struct FitReport {
    pub mails: usize,
    pub folds: usize,
    pub fp_cost: f64,
    pub sources: Vec<SourceRow>,
    /// Over all phishing / all legitimate mail: (in-sample, leave-one-source-out).
    pub phish_flagged: (f64, Option<f64>),
    pub ham_flagged: (f64, Option<f64>),
    pub fitted_findings: usize,
    pub hand_findings: usize,
    pub model_nonzero: usize,
    pub model_bytes: usize,
    /// Legitimate mails flagged in-sample (text model out-of-fold): location, source, score.
    pub false_positives: Vec<(String, String, i32)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceRow {
    pub source: String,
    pub phish: bool,
    pub mails: usize,
    /// Share flagged with the weights fitted on all collections (text model out-of-fold).
    pub fitted: f64,
    /// Share flagged when this collection was left out of all learning.
    pub left_out: Option<f64>,
}

/// The fold (0..k) of a mail: a hash of where it is, so folds do not depend on order.
fn fold_of(s: &Sample, k: usize) -> usize {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.location.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h % k as u64) as usize
}

/// The text model's probability for each sample, each from a model trained without its fold.
pub fn out_of_fold(samples: &[&Sample], k: usize, settings: &TextSettings) -> Vec<f64> {
    let groups: Vec<usize> = samples.iter().map(|s| fold_of(s, k)).collect();
    held_out(samples, &groups, settings)
}

/// The text model's probability for each sample from a model trained without the sample's
/// whole collection: what the model says of mail unlike anything it was trained on.
pub fn out_of_source(samples: &[&Sample], settings: &TextSettings) -> Vec<f64> {
    let mut sources: Vec<(&str, bool)> = samples.iter().map(|s| (s.source.as_str(), s.phish)).collect();
    sources.sort();
    sources.dedup();
    let groups: Vec<usize> = samples
        .iter()
        .map(|s| sources.binary_search(&(s.source.as_str(), s.phish)).unwrap_or_default())
        .collect();
    held_out(samples, &groups, settings)
}

/// For each group (`groups[i]` is sample i's), a model trained on the other groups judges its
/// samples; a group whose rest has one label only is left at 0.5.
fn held_out(samples: &[&Sample], groups: &[usize], settings: &TextSettings) -> Vec<f64> {
    let mut probs = vec![0.5; samples.len()];
    let n = groups.iter().max().map_or(0, |g| g + 1);
    for group in 0..n {
        let train_set: Vec<&Sample> =
            samples.iter().zip(groups).filter(|(_, g)| **g != group).map(|(s, _)| *s).collect();
        if train_set.iter().all(|s| s.phish) || train_set.iter().all(|s| !s.phish) {
            continue;
        }
        let model = train(&train_set, settings, Default::default());
        for (i, s) in samples.iter().enumerate() {
            if groups[i] == group {
                probs[i] = model.probability(&s.doc);
            }
        }
    }
    probs
}

/// Weights fitted on `samples` with out-of-fold text probabilities.
fn fit_with_text(
    samples: &[&Sample],
    folds: usize,
    text: &TextSettings,
    settings: &FitSettings,
) -> (Fitted, Vec<f64>) {
    let probs = match (settings.text_model, settings.text_out_of_source) {
        (false, _) => vec![0.0; samples.len()],
        (true, false) => out_of_fold(samples, folds, text),
        (true, true) => out_of_source(samples, text),
    };
    let weights = balanced_weights(samples);
    (fit(samples, settings.text_model.then_some(&probs[..]), &weights, settings), probs)
}

/// Learns weights and text model from `samples` and measures both; with `leave_out`, also
/// leave-one-source-out for every collection.
pub fn learn(
    samples: &[Sample],
    folds: usize,
    text: &TextSettings,
    settings: &FitSettings,
    leave_out: bool,
    command: &str,
) -> Learned {
    let all: Vec<&Sample> = samples.iter().collect();
    let (fitted, probs) = fit_with_text(&all, folds, text, settings);
    let model = train(&all, text, info_of(&all, command));
    let scores: Vec<i32> = all.iter().zip(&probs).map(|(s, &p)| fitted.score(s, Some(p))).collect();
    let flagged: Vec<bool> = scores.iter().map(|&x| f64::from(x) >= FLAG_AT).collect();
    let false_positives = all
        .iter()
        .zip(&scores)
        .filter(|(s, x)| !s.phish && f64::from(**x) >= FLAG_AT)
        .map(|(s, x)| (s.location.clone(), s.source.clone(), *x))
        .collect();

    let mut by_source: BTreeMap<(String, bool), Vec<usize>> = BTreeMap::new();
    for (i, s) in all.iter().enumerate() {
        by_source.entry((s.source.clone(), s.phish)).or_default().push(i);
    }
    let sources: Vec<(String, bool)> = by_source.keys().cloned().collect();
    let left_out: BTreeMap<(String, bool), Vec<bool>> =
        if leave_out { leave_one_source_out(&all, &sources, folds, text, settings) } else { BTreeMap::new() };
    let rate = |v: &[bool]| {
        if v.is_empty() { 0.0 } else { v.iter().filter(|x| **x).count() as f64 / v.len() as f64 }
    };
    let rows: Vec<SourceRow> = by_source
        .iter()
        .map(|((source, phish), idx)| SourceRow {
            source: source.clone(),
            phish: *phish,
            mails: idx.len(),
            fitted: rate(&idx.iter().map(|&i| flagged[i]).collect::<Vec<_>>()),
            left_out: left_out.get(&(source.clone(), *phish)).map(|v| rate(v)),
        })
        .collect();
    let overall = |phish: bool| {
        let ins: Vec<bool> =
            all.iter().zip(&flagged).filter(|(s, _)| s.phish == phish).map(|(_, f)| *f).collect();
        let lo: Vec<bool> =
            left_out.iter().filter(|((_, p), _)| *p == phish).flat_map(|(_, v)| v.iter().copied()).collect();
        (rate(&ins), leave_out.then(|| rate(&lo)))
    };
    let report = FitReport {
        mails: all.len(),
        folds,
        fp_cost: settings.fp_cost,
        phish_flagged: overall(true),
        ham_flagged: overall(false),
        sources: rows,
        fitted_findings: fitted.weights.len(),
        hand_findings: fitted.hand.len() - fitted.weights.len(),
        model_nonzero: model.nonzero(),
        model_bytes: model.to_bytes().len(),
        false_positives,
    };
    Learned { fitted, model, report }
}

/// For each collection: weights and text model learned without it, then its mails judged.
fn leave_one_source_out(
    all: &[&Sample],
    sources: &[(String, bool)],
    folds: usize,
    text: &TextSettings,
    settings: &FitSettings,
) -> BTreeMap<(String, bool), Vec<bool>> {
    let jobs = std::thread::available_parallelism().map_or(1, |n| n.get()).min(sources.len().max(1));
    let results = std::sync::Mutex::new(BTreeMap::new());
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(key) = sources.get(i) else { break };
                    let held: Vec<&Sample> =
                        all.iter().filter(|s| s.source == key.0 && s.phish == key.1).copied().collect();
                    let rest: Vec<&Sample> =
                        all.iter().filter(|s| !(s.source == key.0 && s.phish == key.1)).copied().collect();
                    let (fitted, _) = fit_with_text(&rest, folds, text, settings);
                    let model = train(&rest, text, Default::default());
                    let flagged: Vec<bool> = held
                        .iter()
                        .map(|s| f64::from(fitted.score(s, Some(model.probability(&s.doc)))) >= FLAG_AT)
                        .collect();
                    results.lock().unwrap().insert(key.clone(), flagged);
                }
            });
        }
    });
    results.into_inner().unwrap()
}

/// The report as a table.
pub fn render(r: &FitReport) -> String {
    let pct = |x: f64| format!("{:>7.2}%", x * 100.0);
    let mut out = format!(
        "{} mails; false positive cost {}; text model out-of-fold ({} folds)\n\n{:<22} {:<6} {:>6} {:>9} {:>15}\n",
        r.mails, r.fp_cost, r.folds, "source", "label", "mails", "fitted", "left out"
    );
    for s in &r.sources {
        out.push_str(&format!(
            "{:<22} {:<6} {:>6} {:>9} {:>15}\n",
            s.source,
            if s.phish { "phish" } else { "ham" },
            s.mails,
            pct(s.fitted),
            s.left_out.map_or("-".to_string(), pct)
        ));
    }
    let both =
        |(a, b): (f64, Option<f64>)| format!("{} in-sample, {} left out", pct(a), b.map_or("-".into(), pct));
    out.push_str(&format!(
        "\nphish flagged: {}\nham flagged:   {}\nweights: {} fitted, {} hand-set; text model: {} weights, {} bytes\n",
        both(r.phish_flagged),
        both(r.ham_flagged),
        r.fitted_findings,
        r.hand_findings,
        r.model_nonzero,
        r.model_bytes
    ));
    if !r.false_positives.is_empty() {
        out.push_str("\nlegitimate mail flagged (in-sample):\n");
        for (location, source, score) in &r.false_positives {
            out.push_str(&format!("  {score:>4}  {source:<20} {}\n", kaibo_core::inert::line(location)));
        }
    }
    out
}
