//! Diagnostic for the leave-one-source-out figures: `cargo run --release -p kaibo-learn
//! --example loso_detail -- CORPUS_ROOT SOURCE` fits without SOURCE, judges SOURCE, and lists
//! the findings of the mails it gets wrong and right with their weights fitted without it and
//! with it (`SHOW=1` also lists the wrong mails). Used to find the findings a source's absence
//! leaves over- or under-weighted (docs/evaluation.md).
use kaibo_learn::corpus::read_labelled;
use kaibo_learn::evaluate::out_of_fold;
use kaibo_learn::fit::{FLAG_AT, FitSettings, fit};
use kaibo_learn::text::{TextSettings, balanced_weights, train};
use std::collections::BTreeMap;

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(root), Some(held_src)) = (args.next(), args.next()) else {
        eprintln!("usage: loso_detail CORPUS_ROOT SOURCE");
        std::process::exit(2);
    };
    let root = std::path::PathBuf::from(root);
    let labels = std::fs::read_to_string(root.join("labels.tsv")).unwrap();
    let labels = kaibo_scan::eval::read_labels(&labels).unwrap();
    let (samples, _) = read_labelled(&root, &labels, &kaibo_core::Options::default(), 0);
    let text = TextSettings::default();
    let settings = FitSettings::default();
    let all: Vec<&_> = samples.iter().collect();
    let rest: Vec<&_> = all.iter().filter(|s| s.source != held_src).copied().collect();
    let held: Vec<&_> = all.iter().filter(|s| s.source == held_src).copied().collect();
    let probs = out_of_fold(&rest, 5, &text);
    let w = balanced_weights(&rest);
    let f = fit(&rest, Some(&probs), &w, &settings);
    let pf = out_of_fold(&all, 5, &text);
    let wf = balanced_weights(&all);
    let full = fit(&all, Some(&pf), &wf, &settings);
    let model = train(&rest, &text, Default::default());
    let mut count: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut hist = [0usize; 11];
    let mut n_wrong = 0;
    for s in &held {
        let p = model.probability(&s.doc);
        let sc = f.score(s, Some(p));
        let wrong = (f64::from(sc) >= FLAG_AT) != s.phish;
        if wrong {
            n_wrong += 1;
            hist[(p * 10.0) as usize] += 1;
            if std::env::var("SHOW").is_ok() {
                println!("{sc:4} p={p:.2} {} {:?}", s.location, s.findings);
            }
        }
        for id in &s.findings {
            let e = count.entry(id.clone()).or_default();
            if wrong { e.0 += 1 } else { e.1 += 1 }
        }
    }
    println!("wrong {n_wrong}/{}; text p histogram of wrong: {hist:?}", held.len());
    println!("bands loso {:?} full {:?}", f.bands, full.bands);
    let mut v: Vec<_> = count.into_iter().collect();
    v.sort_by_key(|(_, (a, _))| std::cmp::Reverse(*a));
    for (id, (a, b)) in v.iter().take(40) {
        println!(
            "{id:40} wrong {a:4} right {b:4}  loso {:4} full {:4} hand {:4} support_loso {:?}",
            f.weight(id),
            full.weight(id),
            f.hand.get(id).copied().unwrap_or_default(),
            f.support.get(id)
        );
    }
}
