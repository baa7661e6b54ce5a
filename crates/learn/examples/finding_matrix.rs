//! Diagnostic: how often each finding is raised in each source of a labelled corpus, `cargo
//! run --release -p kaibo-learn --example finding_matrix -- CORPUS_ROOT`. Shows which findings
//! only one source teaches the fit (docs/knowledge.md).
use kaibo_learn::corpus::read_labelled;
use std::collections::BTreeMap;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(root) = args.next() else {
        eprintln!("usage: finding_matrix CORPUS_ROOT");
        std::process::exit(2);
    };
    let root = std::path::PathBuf::from(root);
    let labels = std::fs::read_to_string(root.join("labels.tsv")).unwrap();
    let labels = kaibo_scan::eval::read_labels(&labels).unwrap();
    let (samples, _) = read_labelled(&root, &labels, &kaibo_core::Options::default(), 0);
    let mut sources: BTreeMap<String, usize> = BTreeMap::new();
    for s in &samples {
        *sources.entry(s.source.clone()).or_default() += 1;
    }
    let names: Vec<String> = sources.keys().cloned().collect();
    let mut m: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for s in &samples {
        for f in &s.findings {
            *m.entry(f.clone()).or_default().entry(s.source.clone()).or_default() += 1;
        }
    }
    print!("{:36}", "finding");
    for n in &names {
        print!(" {:>6}", &n[..6.min(n.len())]);
    }
    println!();
    for (f, row) in &m {
        print!("{f:36}");
        for n in &names {
            print!(" {:>6}", row.get(n).copied().unwrap_or(0));
        }
        println!();
    }
}
