//! Runs the offline pipeline over every mail of the shared evaluation corpus
//! (`../shared/corpus`, beside the checkout) and proves that no input panics or hangs.
//!
//! The corpus is not part of the repository (it is real mail, kept outside on purpose). When it is
//! absent this test says so and checks nothing; CI and developer machines have it. Detection
//! figures are measured by `kaibo eval`, not here: this test only asserts robustness, and prints
//! what it saw.

use std::path::PathBuf;
use std::time::{Duration, Instant};

#[test]
fn every_corpus_mail_is_analysed_without_panic() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    let labels = root.join("labels.tsv");
    let Ok(tsv) = std::fs::read_to_string(&labels) else {
        eprintln!("corpus not found at {}: nothing to check", root.display());
        return;
    };
    let opts = kaibo_core::Options { ignore_upstream_verdicts: true, ..Default::default() };
    let started = Instant::now();
    let (mut files, mut bytes, mut errors) = (0usize, 0usize, Vec::new());
    let mut slowest = (Duration::ZERO, String::new());
    let mut per_source: std::collections::BTreeMap<String, (usize, usize, usize)> = Default::default();
    for line in tsv.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 3 {
            continue;
        }
        let raw = std::fs::read(root.join(cols[0])).expect("corpus file listed in labels.tsv is readable");
        let t = Instant::now();
        let result = kaibo_core::analyze(&raw, &opts);
        let took = t.elapsed();
        if took > slowest.0 {
            slowest = (took, cols[0].to_string());
        }
        files += 1;
        bytes += raw.len();
        let entry = per_source.entry(format!("{}/{}", cols[1], cols[2])).or_default();
        entry.0 += 1;
        match result {
            Ok(a) => {
                if a.verdict != kaibo_core::Verdict::Clean {
                    entry.1 += 1;
                }
                if a.verdict == kaibo_core::Verdict::Phishing {
                    entry.2 += 1;
                }
            }
            Err(e) => errors.push(format!("{}: {e}", cols[0])),
        }
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "corpus: {files} files, {:.1} MB in {secs:.2} s ({:.0} msgs/s); {} refused as not mail; slowest {:?} ({})",
        bytes as f64 / 1e6,
        files as f64 / secs,
        errors.len(),
        slowest.0,
        slowest.1
    );
    for (source, (n, flagged, phishing)) in &per_source {
        eprintln!("  {source:<24} {n:>5} mails, {flagged:>5} flagged, {phishing:>5} phishing");
    }
    for e in errors.iter().take(20) {
        eprintln!("  refused: {e}");
    }
    assert!(files > 0, "labels.tsv lists no files");
    assert!(slowest.0 < Duration::from_secs(5), "one mail took {:?}: {}", slowest.0, slowest.1);
    // Every corpus file is a real mail: none may be refused as unreadable.
    assert!(errors.len() * 100 <= files, "too many mails refused: {errors:?}");
}
