//! Analyses every file under the given paths N times in one thread, for profilers:
//! `cargo run --release -p kaibo-core --example profile_corpus -- 3 ../shared/corpus`.
//! With `SLOWEST=N` it also lists the N mails that took longest, and their share of the time.
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
            let bytes = std::fs::read(&p).unwrap();
            files.push((p, bytes));
        }
    }
    let opts = kaibo_core::Options::default();
    let mut spent = vec![0f64; files.len()];
    let t = std::time::Instant::now();
    let bytes: usize = files.iter().map(|(_, f)| f.len()).sum();
    for _ in 0..rounds {
        for (i, (_, f)) in files.iter().enumerate() {
            let one = std::time::Instant::now();
            let _ = kaibo_core::analyze(f, &opts);
            spent[i] += one.elapsed().as_secs_f64();
        }
    }
    let s = t.elapsed().as_secs_f64();
    eprintln!(
        "{} msgs, {:.1} MB/s, {:.0} msgs/s (one thread)",
        files.len() * rounds,
        (bytes * rounds) as f64 / 1e6 / s,
        (files.len() * rounds) as f64 / s
    );
    if let Some(n) = std::env::var("SLOWEST").ok().and_then(|n| n.parse::<usize>().ok()) {
        let mut order: Vec<usize> = (0..files.len()).collect();
        order.sort_by(|a, b| spent[*b].total_cmp(&spent[*a]));
        let top: f64 = order.iter().take(n).map(|i| spent[*i]).sum();
        eprintln!("the {n} slowest took {:.1}% of the time", 100.0 * top / s);
        for i in order.into_iter().take(n) {
            let ms = 1e3 * spent[i] / rounds as f64;
            eprintln!("{ms:8.2} ms {:9} bytes  {}", files[i].1.len(), files[i].0.display());
        }
    }
}
