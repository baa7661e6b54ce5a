//! Evaluation against a labelled corpus: how much phishing kaibo flags, how much ham it
//! wrongly flags, per source and overall, and which mails it got wrong and why.
//!
//! Labels come from a TSV file, `path<TAB>label<TAB>source[<TAB>bytes]` with a header line,
//! labels `phish` or `ham`, paths relative to the corpus root. A mail is *flagged* when kaibo
//! says `suspicious` or `phishing`.

use kaibo_core::inert;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use kaibo_core::Verdict;
use serde::Serialize;

use crate::runner::{ScanOptions, ScanStats, scan};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelRow {
    pub path: String,
    pub phish: bool,
    pub source: String,
}

/// Parses labels.tsv.
pub fn read_labels(text: &str) -> Result<Vec<LabelRow>, String> {
    let mut rows = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        if n == 0 && cols.first() == Some(&"path") {
            continue;
        }
        if cols.len() < 3 {
            return Err(format!("line {}: expected path<TAB>label<TAB>source", n + 1));
        }
        let phish = match cols[1] {
            "phish" => true,
            "ham" => false,
            other => return Err(format!("line {}: label {other:?} is neither phish nor ham", n + 1)),
        };
        rows.push(LabelRow { path: cols[0].to_string(), phish, source: cols[2].to_string() });
    }
    Ok(rows)
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    pub total: usize,
    pub flagged: usize,
    pub phishing: usize,
    pub errors: usize,
}

impl Counts {
    pub fn flagged_rate(&self) -> f64 {
        rate(self.flagged, self.total)
    }
    pub fn phishing_rate(&self) -> f64 {
        rate(self.phishing, self.total)
    }
}

fn rate(n: usize, d: usize) -> f64 {
    if d == 0 { 0.0 } else { n as f64 / d as f64 }
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceCounts {
    pub source: String,
    pub label: &'static str,
    #[serde(flatten)]
    pub counts: Counts,
    pub flagged_rate: f64,
    /// Rspamd's verdicts on the same files, when given (see [`add_rspamd`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rspamd: Option<RspamdCounts>,
}

/// How many of a source's mails Rspamd judged, and flagged (any action but `no action` and
/// `greylist`: *add header*, *rewrite subject*, *soft reject*, *reject*).
#[derive(Debug, Clone, Default, Serialize)]
pub struct RspamdCounts {
    pub judged: usize,
    pub flagged: usize,
    pub flagged_rate: f64,
}

/// A mail kaibo got wrong (or could not read).
#[derive(Debug, Clone, Serialize)]
pub struct Case {
    pub path: String,
    pub source: String,
    pub verdict: Option<&'static str>,
    pub score: Option<i32>,
    pub subject: Option<String>,
    /// Strongest scored findings, `id(+weight)`.
    pub top_findings: Vec<String>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Bucket {
    pub range: String,
    pub phish: usize,
    pub ham: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    pub root: String,
    pub ignore_upstream_verdicts: bool,
    pub sources: Vec<SourceCounts>,
    pub phish: Counts,
    pub ham: Counts,
    /// Rspamd over all phish and all ham, when its verdicts were given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rspamd_phish: Option<RspamdCounts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rspamd_ham: Option<RspamdCounts>,
    /// Share of phish flagged (suspicious or phishing).
    pub detection_rate: f64,
    /// Share of phish judged `phishing`.
    pub phishing_rate: f64,
    /// Share of ham flagged.
    pub false_positive_rate: f64,
    pub score_distribution: Vec<Bucket>,
    pub misses: Vec<Case>,
    pub false_positives: Vec<Case>,
    pub errors: Vec<Case>,
    pub messages: usize,
    pub megabytes: f64,
    pub seconds: f64,
    pub msgs_per_sec: f64,
    pub mb_per_sec: f64,
}

const BUCKETS: &[(i32, i32, &str)] = &[
    (i32::MIN, -1, "< 0"),
    (0, 14, "0–14"),
    (15, 29, "15–29"),
    (30, 44, "30–44"),
    (45, 59, "45–59"),
    (60, 89, "60–89"),
    (90, 149, "90–149"),
    (150, i32::MAX, "≥ 150"),
];

/// Runs the scan over every labelled file under `root` and measures.
pub fn evaluate(root: &Path, labels: &[LabelRow], opts: &ScanOptions) -> EvalReport {
    let paths: Vec<PathBuf> = labels.iter().map(|l| root.join(&l.path)).collect();
    let by_path: HashMap<String, usize> =
        paths.iter().enumerate().map(|(i, p)| (p.display().to_string(), i)).collect();
    let mut per_source: BTreeMap<(String, bool), Counts> = BTreeMap::new();
    let (mut phish, mut ham) = (Counts::default(), Counts::default());
    let mut buckets = vec![(0usize, 0usize); BUCKETS.len()];
    let (mut misses, mut fps, mut errors) = (Vec::new(), Vec::new(), Vec::new());
    let opts = ScanOptions { split_mbox: false, ..opts.clone() };

    let stats: ScanStats = scan(&paths, &opts, |item| {
        let Some(&i) = by_path.get(&item.location.path) else { return true };
        let label = &labels[i];
        let src = per_source.entry((label.source.clone(), label.phish)).or_default();
        let all = if label.phish { &mut phish } else { &mut ham };
        src.total += 1;
        all.total += 1;
        match &item.result {
            Err(e) => {
                src.errors += 1;
                all.errors += 1;
                errors.push(Case {
                    path: label.path.clone(),
                    source: label.source.clone(),
                    verdict: None,
                    score: None,
                    subject: None,
                    top_findings: vec![],
                    error: Some(e.to_string()),
                });
            }
            Ok(d) => {
                let a = &d.analysis;
                let flagged = a.verdict != Verdict::Clean;
                if flagged {
                    src.flagged += 1;
                    all.flagged += 1;
                }
                if a.verdict == Verdict::Phishing {
                    src.phishing += 1;
                    all.phishing += 1;
                }
                if let Some(b) = BUCKETS.iter().position(|(lo, hi, _)| a.score >= *lo && a.score <= *hi) {
                    if label.phish { buckets[b].0 += 1 } else { buckets[b].1 += 1 }
                }
                if label.phish != flagged {
                    let case = Case {
                        path: label.path.clone(),
                        source: label.source.clone(),
                        verdict: Some(a.verdict.as_str()),
                        score: Some(a.score),
                        subject: a.message.subject.clone(),
                        top_findings: a
                            .findings
                            .iter()
                            .filter(|f| f.scored && f.weight != 0)
                            .take(5)
                            .map(|f| format!("{}({:+})", f.id, f.weight))
                            .collect(),
                        error: None,
                    };
                    if label.phish { misses.push(case) } else { fps.push(case) }
                }
            }
        }
        true
    });

    EvalReport {
        root: root.display().to_string(),
        ignore_upstream_verdicts: opts.analyze.ignore_upstream_verdicts,
        sources: per_source
            .into_iter()
            .map(|((source, is_phish), counts)| SourceCounts {
                source,
                label: if is_phish { "phish" } else { "ham" },
                flagged_rate: counts.flagged_rate(),
                counts,
                rspamd: None,
            })
            .collect(),
        detection_rate: phish.flagged_rate(),
        phishing_rate: phish.phishing_rate(),
        false_positive_rate: ham.flagged_rate(),
        phish,
        ham,
        rspamd_phish: None,
        rspamd_ham: None,
        score_distribution: BUCKETS
            .iter()
            .zip(buckets)
            .map(|((_, _, r), (p, h))| Bucket { range: r.to_string(), phish: p, ham: h })
            .collect(),
        misses,
        false_positives: fps,
        errors,
        messages: stats.messages,
        megabytes: stats.bytes as f64 / 1e6,
        seconds: stats.elapsed.as_secs_f64(),
        msgs_per_sec: stats.msgs_per_sec(),
        mb_per_sec: stats.mb_per_sec(),
    }
}

/// Reads what `rspamc -j` prints for a folder: one JSON object per file, each with its
/// `filename` and `action`. Returns whether Rspamd flagged each file, by its canonical path.
pub fn read_rspamd_results(text: &str) -> Result<HashMap<PathBuf, bool>, String> {
    #[derive(serde::Deserialize)]
    struct Reply {
        filename: Option<String>,
        action: Option<String>,
    }
    let mut out = HashMap::new();
    for reply in serde_json::Deserializer::from_str(text).into_iter::<Reply>() {
        let reply = reply.map_err(|e| format!("not rspamc -j output: {e}"))?;
        let (Some(file), Some(action)) = (reply.filename, reply.action) else { continue };
        let path = Path::new(&file);
        let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        out.insert(path, !matches!(action.as_str(), "no action" | "greylist"));
    }
    Ok(out)
}

/// Adds Rspamd's verdicts on the same files beside kaibo's, per source and overall. Mails
/// Rspamd did not judge are left out of its counts (`judged` says how many it did).
pub fn add_rspamd(
    report: &mut EvalReport,
    root: &Path,
    labels: &[LabelRow],
    rspamd: &HashMap<PathBuf, bool>,
) {
    let mut per_source: BTreeMap<(String, bool), RspamdCounts> = BTreeMap::new();
    let (mut phish, mut ham) = (RspamdCounts::default(), RspamdCounts::default());
    for label in labels {
        let path = root.join(&label.path);
        let path = path.canonicalize().unwrap_or(path);
        let Some(&flagged) = rspamd.get(&path) else { continue };
        let all = if label.phish { &mut phish } else { &mut ham };
        for c in [per_source.entry((label.source.clone(), label.phish)).or_default(), all] {
            c.judged += 1;
            c.flagged += usize::from(flagged);
            c.flagged_rate = rate(c.flagged, c.judged);
        }
    }
    for src in &mut report.sources {
        src.rspamd = per_source.remove(&(src.source.clone(), src.label == "phish"));
    }
    report.rspamd_phish = Some(phish);
    report.rspamd_ham = Some(ham);
}

/// The report as text: the tables first, then what went wrong (at most `show` cases per list).
pub fn render_eval_text(r: &EvalReport, show: usize) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let pct = |x: f64| format!("{:.2}%", x * 100.0);
    let _ = writeln!(
        s,
        "kaibo eval — {}{}",
        r.root,
        if r.ignore_upstream_verdicts { " (upstream verdicts ignored)" } else { "" }
    );
    let with_rspamd = r.rspamd_phish.is_some();
    let _ = writeln!(
        s,
        "\n{:<22} {:<6} {:>6} {:>8} {:>9} {:>9} {:>7}{}",
        "source",
        "label",
        "mails",
        "flagged",
        "flagged%",
        "phishing",
        "errors",
        if with_rspamd { "   rspamd%" } else { "" }
    );
    for src in &r.sources {
        let c = &src.counts;
        let rspamd = match &src.rspamd {
            Some(rc) => format!(" {:>9}", pct(rc.flagged_rate)),
            None if with_rspamd => format!(" {:>9}", "-"),
            None => String::new(),
        };
        let _ = writeln!(
            s,
            "{:<22} {:<6} {:>6} {:>8} {:>9} {:>9} {:>7}{rspamd}",
            src.source,
            src.label,
            c.total,
            c.flagged,
            pct(src.flagged_rate),
            c.phishing,
            c.errors
        );
    }
    let _ = writeln!(
        s,
        "\nphish: {} mails, {} flagged = detection {}; {} judged phishing ({})",
        r.phish.total,
        r.phish.flagged,
        pct(r.detection_rate),
        r.phish.phishing,
        pct(r.phishing_rate)
    );
    let _ = writeln!(
        s,
        "ham:   {} mails, {} flagged = false positives {}",
        r.ham.total,
        r.ham.flagged,
        pct(r.false_positive_rate)
    );
    if let (Some(p), Some(h)) = (&r.rspamd_phish, &r.rspamd_ham) {
        let _ = writeln!(
            s,
            "rspamd: {} of {} phish flagged ({}), {} of {} ham ({})",
            p.flagged,
            p.judged,
            pct(p.flagged_rate),
            h.flagged,
            h.judged,
            pct(h.flagged_rate)
        );
    }
    let _ = writeln!(s, "\nscore distribution:");
    let _ = writeln!(s, "  {:<9} {:>7} {:>7}", "score", "phish", "ham");
    for b in &r.score_distribution {
        let _ = writeln!(s, "  {:<9} {:>7} {:>7}", b.range, b.phish, b.ham);
    }
    for (title, list) in
        [("false positives", &r.false_positives), ("misses", &r.misses), ("errors", &r.errors)]
    {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(s, "\n{title} ({}):", list.len());
        for c in list.iter().take(show) {
            match &c.error {
                Some(e) => {
                    let _ = writeln!(s, "  {}  {e}", inert::line(&c.path));
                }
                None => {
                    let subject: String =
                        inert::line(c.subject.as_deref().unwrap_or("")).chars().take(50).collect();
                    let _ = writeln!(
                        s,
                        "  {} [{} {}] {subject}",
                        inert::line(&c.path),
                        c.verdict.unwrap_or(""),
                        c.score.unwrap_or(0)
                    );
                    if !c.top_findings.is_empty() {
                        let _ = writeln!(s, "      {}", c.top_findings.join(" "));
                    }
                }
            }
        }
        if list.len() > show {
            let _ = writeln!(s, "  … {} more (--show N)", list.len() - show);
        }
    }
    let _ = writeln!(
        s,
        "\n{} messages, {:.1} MB in {:.2} s: {:.0} msgs/s, {:.1} MB/s",
        r.messages, r.megabytes, r.seconds, r.msgs_per_sec, r.mb_per_sec
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_parse() {
        let rows =
            read_labels("path\tlabel\tsource\tbytes\na.eml\tphish\tpot\t10\nb.eml\tham\tlist\t5\n").unwrap();
        assert_eq!(rows.len(), 2);
        assert!(rows[0].phish);
        assert_eq!(rows[1].source, "list");
        assert!(read_labels("a.eml\tspam\tx\n").is_err());
        assert!(read_labels("a.eml\n").is_err());
    }

    #[test]
    fn rspamd_results_parse_and_count_per_source() {
        let dir = std::env::temp_dir().join(format!("kaibo-rspamd-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for f in ["a.eml", "b.eml", "c.eml"] {
            std::fs::write(dir.join(f), "Subject: x\n\nx\n").unwrap();
        }
        let out = format!(
            "{{\"action\": \"add header\", \"score\": 7.1, \"filename\": \"{0}/a.eml\"}}\n\
             {{\"action\": \"no action\", \"filename\": \"{0}/b.eml\"}}\n\
             {{\"action\": \"reject\", \"filename\": \"{0}/c.eml\"}}\n",
            dir.display()
        );
        let results = read_rspamd_results(&out).unwrap();
        assert_eq!(results.len(), 3);
        let labels =
            read_labels("a.eml\tphish\tpot\nb.eml\tphish\tpot\nc.eml\tham\tlist\nd.eml\tham\tlist\n")
                .unwrap();
        let mut report = EvalReport {
            root: dir.display().to_string(),
            ignore_upstream_verdicts: true,
            sources: vec![],
            phish: Counts::default(),
            ham: Counts::default(),
            rspamd_phish: None,
            rspamd_ham: None,
            detection_rate: 0.0,
            phishing_rate: 0.0,
            false_positive_rate: 0.0,
            score_distribution: vec![],
            misses: vec![],
            false_positives: vec![],
            errors: vec![],
            messages: 0,
            megabytes: 0.0,
            seconds: 0.0,
            msgs_per_sec: 0.0,
            mb_per_sec: 0.0,
        };
        add_rspamd(&mut report, &dir, &labels, &results);
        let p = report.rspamd_phish.as_ref().unwrap();
        assert_eq!((p.judged, p.flagged), (2, 1));
        // d.eml was never judged: counted out, not as clean.
        let h = report.rspamd_ham.as_ref().unwrap();
        assert_eq!((h.judged, h.flagged), (1, 1));
        assert!(
            render_eval_text(&report, 5)
                .contains("rspamd: 1 of 2 phish flagged (50.00%), 1 of 1 ham (100.00%)")
        );
        assert!(read_rspamd_results("not json").is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
