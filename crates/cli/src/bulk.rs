//! `kaibo scan` and `kaibo eval`: output for many mails.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use kaibo_core::{Analysis, Dissection, Verdict, inert};
use kaibo_scan::eval::{LabelRow, add_rspamd, evaluate, read_labels, read_rspamd_results, render_eval_text};
use kaibo_scan::runner::effective_jobs;
use kaibo_scan::{ItemError, Location, ScanItem, ScanOptions, scan_with};
use serde::Serialize;

use crate::flags::{EvalArgs, PlainFormat, ScanArgs, ScanFormat, When};
use crate::{EXIT_CLEAN, EXIT_ERROR, EXIT_FLAGGED};

/// One line of `scan --format jsonl`: where the mail was, and its dissection (the object
/// `analyze --format json` writes).
#[derive(Serialize)]
struct JsonLine<'a> {
    location: &'a Location,
    #[serde(flatten)]
    dissection: &'a Dissection,
}

#[derive(Serialize)]
struct JsonError<'a> {
    location: &'a Location,
    error: &'a str,
}

/// A path the scan passed over on purpose, and why.
#[derive(Serialize)]
struct JsonSkipped<'a> {
    location: &'a Location,
    skipped: &'a str,
}

/// A location as people see it: a file name may hold any byte but `/` and NUL.
fn shown(location: &Location) -> String {
    inert::line(&location.to_string()).into_owned()
}

pub fn run_scan(args: &ScanArgs) -> u8 {
    let analyze = match args.judge.options() {
        Ok(o) => o,
        Err(msg) => {
            eprintln!("kaibo: error: {}", inert::line(&msg));
            return EXIT_ERROR;
        }
    };
    let opts = ScanOptions { analyze, jobs: args.jobs, split_mbox: true, follow_links: args.follow };
    let enricher = match args.online.enricher() {
        Ok(e) => e,
        Err(msg) => {
            eprintln!("kaibo: error: {msg}");
            return EXIT_ERROR;
        }
    };
    // Enrichment runs on the analysis threads; the disk cache makes mails that share domains
    // ask once.
    let dissect = |a: Analysis| match &enricher {
        Some(enricher) => enricher.dissect(a),
        None => Dissection::offline(a),
    };
    let bar = progress_bar(args.progress);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut verdicts = [0usize; 3];
    let mut broken_pipe = false;
    if args.format == ScanFormat::Text {
        let _ = writeln!(
            out,
            "{:<10} {:>5}  {:<34} {:<40} location",
            "verdict", "score", "top finding", "subject"
        );
    }
    let stats = scan_with(&args.paths, &opts, &dissect, |item| {
        if let Some(b) = &bar {
            b.inc(1);
        }
        if let Ok(d) = &item.result {
            let at = match d.analysis.verdict {
                Verdict::Clean => 0,
                Verdict::Suspicious => 1,
                Verdict::Phishing => 2,
            };
            verdicts[at] += 1;
        }
        if write_item(&mut out, &item, args.format).is_err() {
            broken_pipe = true;
            return false;
        }
        true
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let [clean, suspicious, phishing] = verdicts;
    if args.format == ScanFormat::Text && !broken_pipe {
        let _ = writeln!(
            out,
            "\n{} mails: {phishing} phishing, {suspicious} suspicious, {clean} clean, {} errors{} — {:.1} MB in {:.2} s ({:.0} msgs/s, {:.1} MB/s, {} threads)",
            stats.messages,
            stats.errors,
            if stats.skipped > 0 { format!(", {} paths skipped", stats.skipped) } else { String::new() },
            stats.bytes as f64 / 1e6,
            stats.elapsed.as_secs_f64(),
            stats.msgs_per_sec(),
            stats.mb_per_sec(),
            effective_jobs(args.jobs)
        );
    }
    let _ = out.flush();
    if stats.errors > 0 {
        EXIT_ERROR
    } else if phishing + suspicious > 0 {
        EXIT_FLAGGED
    } else {
        EXIT_CLEAN
    }
}

/// A progress line on stderr, when asked for (auto: when stderr is a terminal).
fn progress_bar(when: When) -> Option<indicatif::ProgressBar> {
    let show = match when {
        When::Always => true,
        When::Never => false,
        When::Auto => std::io::stderr().is_terminal(),
    };
    show.then(|| {
        let b = indicatif::ProgressBar::new_spinner();
        b.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {pos} mails  {per_sec}  {elapsed}  {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        b.enable_steady_tick(Duration::from_millis(200));
        b
    })
}

/// One scanned path: a table row or a JSON line, and a note on stderr for what was not
/// analysed.
fn write_item(out: &mut impl Write, item: &ScanItem, format: ScanFormat) -> std::io::Result<()> {
    let location = &item.location;
    match (&item.result, format) {
        (Ok(d), ScanFormat::Jsonl) => json_line(out, &JsonLine { location, dissection: d }),
        (Err(ItemError::Skipped(why)), ScanFormat::Jsonl) => {
            eprintln!("kaibo: skipped {}: {why}", shown(location));
            json_line(out, &JsonSkipped { location, skipped: why })
        }
        (Err(ItemError::Skipped(why)), ScanFormat::Text) => {
            eprintln!("kaibo: skipped {}: {why}", shown(location));
            Ok(())
        }
        (Err(ItemError::Failed(e)), ScanFormat::Jsonl) => {
            eprintln!("kaibo: error: {}: {e}", shown(location));
            json_line(out, &JsonError { location, error: e })
        }
        (Ok(d), ScanFormat::Text) => {
            let a = &d.analysis;
            let top = a.findings.iter().find(|f| f.scored && f.weight > 0).map_or("-", |f| f.id.as_str());
            // A row is one line: nothing from the mail or a file name may end it or act on the
            // terminal.
            let subject: String =
                inert::line(a.message.subject.as_deref().unwrap_or("")).chars().take(40).collect();
            let verdict = a.verdict.as_str();
            writeln!(out, "{verdict:<10} {:>5}  {top:<34} {subject:<40} {}", a.score, shown(location))
        }
        (Err(ItemError::Failed(e)), ScanFormat::Text) => {
            eprintln!("kaibo: error: {}: {e}", shown(location));
            writeln!(out, "{:<10} {:>5}  {:<34} {:<40} {}", "error", "-", "-", "", shown(location))
        }
    }
}

/// One JSON object on its own line.
fn json_line(out: &mut impl Write, v: &impl Serialize) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, v).map_err(std::io::Error::other)?;
    out.write_all(b"\n")
}

/// The label file of an evaluation, read and parsed.
pub fn eval_labels(args: &EvalArgs) -> Result<(PathBuf, String, Vec<LabelRow>), String> {
    let labels_path = args.labels.clone().unwrap_or_else(|| args.root.join("labels.tsv"));
    let text =
        std::fs::read_to_string(&labels_path).map_err(|e| format!("{}: {e}", labels_path.display()))?;
    let labels = read_labels(&text).map_err(|e| format!("{}: {e}", labels_path.display()))?;
    if labels.is_empty() {
        return Err(format!("{}: no labelled mail", labels_path.display()));
    }
    Ok((labels_path, text, labels))
}

pub fn run_eval(args: &EvalArgs) -> Result<u8, String> {
    let (_, _, labels) = eval_labels(args)?;
    let opts = ScanOptions {
        analyze: args.judge.options()?,
        jobs: args.jobs,
        split_mbox: false,
        follow_links: false,
    };
    let mut report = evaluate(&args.root, &labels, &opts);
    if let Some(file) = &args.rspamd {
        let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let results = read_rspamd_results(&text).map_err(|e| format!("{}: {e}", file.display()))?;
        add_rspamd(&mut report, &args.root, &labels, &results);
    }
    let rendered = match args.format {
        PlainFormat::Json => serde_json::to_string_pretty(&report).map_err(|e| e.to_string())? + "\n",
        PlainFormat::Text => render_eval_text(&report, args.show),
    };
    let _ = std::io::stdout().lock().write_all(rendered.as_bytes());
    Ok(EXIT_CLEAN)
}
