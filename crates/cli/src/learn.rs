//! `kaibo eval --fit` (kaibo's own weights and text model, from a labelled corpus) and
//! `kaibo learn` (a user's text model, from folders of mail). The learning is in kaibo-learn;
//! this reads the input, prints the measurements and writes the files.

use std::io::Write;
use std::path::Path;

use kaibo_learn::corpus::{Sample, Unreadable, read_folders, read_labelled};
use kaibo_learn::evaluate::{learn, out_of_fold, render};
use kaibo_learn::fit::{FitSettings, weights_toml};
use kaibo_learn::text::{TextSettings, info_of, train};
use sha2::{Digest, Sha256};

use crate::EXIT_CLEAN;
use crate::flags::{EvalArgs, LearnArgs};

/// The command line as typed, for the files' provenance (arguments are paths and numbers).
fn command_line() -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    format!("kaibo {}", args.join(" "))
}

fn report_unreadable(unreadable: &[Unreadable]) {
    for u in unreadable.iter().take(10) {
        eprintln!(
            "kaibo: skipped {}: {}",
            kaibo_core::inert::line(&u.location),
            kaibo_core::inert::line(&u.error)
        );
    }
    if unreadable.len() > 10 {
        eprintln!("kaibo: skipped {} more", unreadable.len() - 10);
    }
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// `kaibo eval ROOT --fit [--write DIR]`.
pub fn run_fit(args: &EvalArgs) -> Result<u8, String> {
    let (labels_path, labels_text, labels) = crate::bulk::eval_labels(args)?;
    let opts = args.judge.options()?;
    let (samples, unreadable) = read_labelled(&args.root, &labels, &opts, args.jobs);
    report_unreadable(&unreadable);
    if !samples.iter().any(|s| s.phish) || samples.iter().all(|s| s.phish) {
        return Err("fitting needs both phishing and legitimate mail".into());
    }
    let command = command_line();
    // --no-text-model fits the findings alone.
    let settings = FitSettings {
        fp_cost: args.fp_cost,
        text_model: !args.judge.no_text_model,
        ..FitSettings::default()
    };
    let learned = learn(
        &samples,
        usize::from(args.folds),
        &TextSettings::default(),
        &settings,
        !args.no_leave_out,
        &command,
    );
    let rendered = match args.format {
        crate::flags::PlainFormat::Json => {
            serde_json::to_string_pretty(&learned.report).map_err(|e| e.to_string())? + "\n"
        }
        crate::flags::PlainFormat::Text => render(&learned.report),
    };
    let _ = std::io::stdout().lock().write_all(rendered.as_bytes());
    if let Some(dir) = &args.write {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let provenance = [
            ("command", command),
            ("labels", labels_path.display().to_string()),
            ("labels_sha256", hex(&Sha256::digest(labels_text.as_bytes()))),
            ("mails", counts(&samples)),
        ];
        let weights = dir.join("weights.toml");
        write_file(&weights, weights_toml(&learned.fitted, &provenance).as_bytes())?;
        let model = dir.join("text-model.kbtm");
        write_file(&model, &learned.model.to_bytes())?;
        eprintln!("kaibo: wrote {} and {}", weights.display(), model.display());
    }
    Ok(EXIT_CLEAN)
}

/// "N phishing, M legitimate, from S collections".
fn counts(samples: &[Sample]) -> String {
    let phish = samples.iter().filter(|s| s.phish).count();
    let mut sources: Vec<&str> = samples.iter().map(|s| s.source.as_str()).collect();
    sources.sort_unstable();
    sources.dedup();
    format!("{phish} phishing, {} legitimate, from {} collections", samples.len() - phish, sources.len())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `kaibo learn --phish PATH… --ham PATH… -o FILE`.
pub fn run_learn(args: &LearnArgs) -> Result<u8, String> {
    let opts = kaibo_core::Options { max_input_bytes: args.max_size, ..kaibo_core::Options::default() };
    let (mut samples, mut unreadable) = read_folders(&args.phish, true, &opts, args.jobs);
    let (ham, more) = read_folders(&args.ham, false, &opts, args.jobs);
    samples.extend(ham);
    unreadable.extend(more);
    report_unreadable(&unreadable);
    let phish = samples.iter().filter(|s| s.phish).count();
    let ham = samples.len() - phish;
    if phish == 0 || ham == 0 {
        return Err(format!(
            "a text model needs both kinds of mail (read {phish} phishing, {ham} legitimate)"
        ));
    }
    // The user's folders are one kind of mail each: a phrase need not recur across them.
    let settings = TextSettings { min_sources: 1, ..TextSettings::default() };
    let refs: Vec<&Sample> = samples.iter().collect();
    let model = train(&refs, &settings, info_of(&refs, &command_line()));
    let bytes = model.to_bytes();
    write_file(&args.output, &bytes)?;

    // How it does on mail it was not trained on: each mail judged by a model trained without
    // its fold.
    let k = usize::from(args.folds);
    let probs = out_of_fold(&refs, k, &settings);
    let share = |phish: bool, at: f64| {
        let v: Vec<f64> =
            refs.iter().zip(&probs).filter(|(s, _)| s.phish == phish).map(|(_, p)| *p).collect();
        100.0 * v.iter().filter(|p| **p >= at).count() as f64 / v.len() as f64
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "trained on {phish} phishing and {ham} legitimate mails ({} skipped): {} weights, {} bytes → {}",
        unreadable.len(),
        model.nonzero(),
        bytes.len(),
        args.output.display()
    );
    let _ = writeln!(out, "out-of-fold ({k} folds), share of mail the model alone finds phishing:");
    for at in [0.5, 0.9] {
        let _ = writeln!(
            out,
            "  p ≥ {at}: phishing {:.1}%, legitimate {:.1}%",
            share(true, at),
            share(false, at)
        );
    }
    let _ = writeln!(out, "use it with: kaibo analyze --model {} MAIL", args.output.display());
    Ok(EXIT_CLEAN)
}
