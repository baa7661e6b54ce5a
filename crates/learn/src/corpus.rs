//! Labelled mail, read once into what learning needs: for each mail its source, its label, the
//! findings the offline checks raised (the features of the weight fit) and the hashed features
//! of its text (the text model's input).
//!
//! Mails are analysed on all cores with the text model off (its own verdict must not become
//! a feature of the model that weighs it), and kept in a stable order (the label file's, or
//! the walk's) so that everything learned from them is reproducible.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use kaibo_core::text_model::{DEFAULT_BITS, Document};
use kaibo_core::{Options, TextModelChoice};
use kaibo_scan::eval::LabelRow;
use kaibo_scan::sources::{WalkOptions, for_each_message};

/// One labelled mail, as learning sees it.
#[derive(Debug, Clone)]
pub struct Sample {
    /// Where it was (path, `#n` for the n-th mail of an mbox).
    pub location: String,
    /// The collection it came from (a label file's source column, or the folder given).
    pub source: String,
    pub phish: bool,
    /// Ids of the findings that count in the score (upstream verdicts excluded).
    pub findings: Vec<String>,
    /// The text model's features of its words.
    pub doc: Document,
    /// The text model does not count for this mail (its sender's counter-evidence holds).
    pub text_excused: bool,
}

/// What could not be learned from.
#[derive(Debug, Clone)]
pub struct Unreadable {
    pub location: String,
    pub error: String,
}

/// The analysis options learning uses: upstream verdicts out, text model off.
pub fn learning_options(base: &Options) -> Options {
    Options { ignore_upstream_verdicts: true, text_model: TextModelChoice::Off, ..base.clone() }
}

/// Reads every mail of a label file (paths relative to `root`).
pub fn read_labelled(
    root: &Path,
    labels: &[LabelRow],
    opts: &Options,
    jobs: usize,
) -> (Vec<Sample>, Vec<Unreadable>) {
    let items: Vec<(String, String, bool)> = labels
        .iter()
        .map(|l| (root.join(&l.path).display().to_string(), l.source.clone(), l.phish))
        .collect();
    analyse_all(
        items.len(),
        jobs,
        |i| {
            let (path, source, phish) = &items[i];
            let raw = std::fs::read(path).map_err(|e| e.to_string())?;
            Ok((raw, path.clone(), source.clone(), *phish))
        },
        opts,
    )
}

/// Reads every mail under `paths` (files, directories, mbox files, maildirs), all with one
/// label; each path given is its own source.
pub fn read_folders(
    paths: &[PathBuf],
    phish: bool,
    opts: &Options,
    jobs: usize,
) -> (Vec<Sample>, Vec<Unreadable>) {
    let walk = WalkOptions { max_bytes: opts.max_input_bytes, split_mbox: true, follow_links: false };
    let mut raws: Vec<(Vec<u8>, String, String)> = Vec::new();
    let mut unreadable = Vec::new();
    for p in paths {
        let source = p.display().to_string();
        for_each_message(std::slice::from_ref(p), &walk, &mut |loc, raw| {
            match raw {
                Ok(raw) => raws.push((raw, loc.to_string(), source.clone())),
                Err(e) => unreadable.push(Unreadable { location: loc.to_string(), error: e.to_string() }),
            }
            true
        });
    }
    let raws = Mutex::new(raws.into_iter().map(Some).collect::<Vec<_>>());
    let n = raws.lock().unwrap().len();
    let (samples, mut more) = analyse_all(
        n,
        jobs,
        |i| {
            let (raw, loc, source) = raws.lock().unwrap()[i].take().expect("each mail is read once");
            Ok((raw, loc, source, phish))
        },
        opts,
    );
    unreadable.append(&mut more);
    (samples, unreadable)
}

type Loaded = Result<(Vec<u8>, String, String, bool), String>;

/// Analyses `n` mails on `jobs` threads; the results come back in index order.
fn analyse_all(
    n: usize,
    jobs: usize,
    load: impl Fn(usize) -> Loaded + Sync,
    opts: &Options,
) -> (Vec<Sample>, Vec<Unreadable>) {
    let opts = learning_options(opts);
    let jobs = kaibo_scan::runner::effective_jobs(jobs);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<Sample, Unreadable>>>> = Mutex::new(vec![None; n]);
    std::thread::scope(|s| {
        for _ in 0..jobs.max(1) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    let r = match load(i) {
                        Ok((raw, location, source, phish)) => sample(&raw, location, source, phish, &opts),
                        Err(error) => Err(Unreadable { location: format!("#{i}"), error }),
                    };
                    results.lock().unwrap()[i] = Some(r);
                }
            });
        }
    });
    let mut samples = Vec::with_capacity(n);
    let mut unreadable = Vec::new();
    for r in results.into_inner().unwrap().into_iter().flatten() {
        match r {
            Ok(s) => samples.push(s),
            Err(u) => unreadable.push(u),
        }
    }
    (samples, unreadable)
}

fn sample(
    raw: &[u8],
    location: String,
    source: String,
    phish: bool,
    opts: &Options,
) -> Result<Sample, Unreadable> {
    match kaibo_core::analyze::analyze_for_learning(raw, opts) {
        Ok((a, text)) => {
            let findings: Vec<String> = a
                .findings
                .iter()
                .filter(|f| f.scored && f.category != "upstream")
                .map(|f| f.id.clone())
                .collect();
            let text_excused = kaibo_core::checks::bulk::TEXT_MODEL_EXCUSED_BY
                .iter()
                .any(|id| findings.iter().any(|f| f == id.as_str()));
            Ok(Sample {
                location,
                source,
                phish,
                findings,
                doc: Document::new(&text, DEFAULT_BITS),
                text_excused,
            })
        }
        Err(e) => Err(Unreadable { location, error: e.to_string() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_are_read_in_order_with_their_findings() {
        let dir = std::env::temp_dir().join(format!("kaibo-learn-corpus-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (i, subject) in ["Your account is suspended", "Lunch on Friday?"].iter().enumerate() {
            let mail = format!(
                "From: a@example.com\r\nTo: b@example.org\r\nSubject: {subject}\r\n\r\nVerify your account now: https://x{i}.example.net/login\r\n"
            );
            std::fs::write(dir.join(format!("{i}.eml")), mail).unwrap();
        }
        std::fs::write(dir.join("junk.eml"), b"\x00\x01not a mail").unwrap();
        let (samples, unreadable) = read_folders(std::slice::from_ref(&dir), true, &Options::default(), 2);
        assert_eq!(samples.len(), 2);
        assert_eq!(unreadable.len(), 1);
        assert!(samples[0].location.ends_with("0.eml"));
        assert!(samples.iter().all(|s| s.phish && !s.doc.buckets.is_empty()));
        assert!(samples[0].findings.iter().any(|f| f.starts_with("lure.")), "{:?}", samples[0].findings);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
