//! Analyses every file under the given paths N times in one thread, for profilers:
//! `cargo run --release -p kaibo-core --example profile_corpus -- 3 ../shared/corpus`.
fn main() {
    let mut args = std::env::args().skip(1);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let mut files = Vec::new();
    let mut stack: Vec<std::path::PathBuf> = args.map(Into::into).collect();
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            for e in std::fs::read_dir(&p).unwrap().flatten() {
                stack.push(e.path());
            }
        } else if p.extension().is_some_and(|e| e == "eml") {
            files.push(std::fs::read(&p).unwrap());
        }
    }
    let opts = kaibo_core::Options::default();
    let t = std::time::Instant::now();
    let bytes: usize = files.iter().map(Vec::len).sum();
    for _ in 0..rounds {
        for f in &files {
            let _ = kaibo_core::analyze(f, &opts);
        }
    }
    let s = t.elapsed().as_secs_f64();
    eprintln!(
        "{} msgs, {:.1} MB/s, {:.0} msgs/s (one thread)",
        files.len() * rounds,
        (bytes * rounds) as f64 / 1e6 / s,
        (files.len() * rounds) as f64 / s
    );
}
