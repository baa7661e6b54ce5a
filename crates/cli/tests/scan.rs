//! End-to-end tests of `kaibo scan` and `kaibo eval` on corpora the tests build from the
//! fixtures: a directory, an mbox, a maildir, and a small labelled corpus.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures").join(name)).unwrap()
}

fn kaibo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kaibo")).args(args).output().expect("kaibo runs")
}

struct TempDir(PathBuf);
impl TempDir {
    fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("kaibo-scan-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    fn path(&self) -> &Path {
        &self.0
    }
}
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn jsonl(out: &Output) -> Vec<Value> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line ({e}): {l}")))
        .collect()
}

/// An mbox of the fixtures, with mboxrd quoting of a body line that starts with "From ".
fn mbox_of(names: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    for n in names {
        out.extend(b"From MAILER-DAEMON Thu Jan  1 00:00:00 2024\n");
        let text = String::from_utf8(fixture(n)).unwrap().replace("\r\n", "\n");
        for line in text.lines() {
            if line.starts_with("From ") || line.starts_with(">From ") {
                out.push(b'>');
            }
            out.extend(line.as_bytes());
            out.push(b'\n');
        }
        out.push(b'\n');
    }
    out
}

#[test]
fn scans_a_directory_recursively_in_order_as_jsonl() {
    let dir = TempDir::new("dir");
    std::fs::create_dir_all(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("a.eml"), fixture("phish_seed_utf8.eml")).unwrap();
    std::fs::write(dir.path().join("sub/b.eml"), fixture("bounce_postfix.eml")).unwrap();
    std::fs::write(dir.path().join("sub/c.eml"), fixture("notice_isp_ja.eml")).unwrap();
    std::fs::write(dir.path().join(".hidden.eml"), b"junk").unwrap();
    let out = kaibo(&["scan", "--format", "jsonl", "-j", "2", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "a phishing mail in the scan means exit 1");
    let lines = jsonl(&out);
    let paths: Vec<String> =
        lines.iter().map(|l| l["location"]["path"].as_str().unwrap().to_string()).collect();
    assert_eq!(paths.len(), 3, "{paths:?}");
    assert!(
        paths[0].ends_with("a.eml") && paths[1].ends_with("sub/b.eml") && paths[2].ends_with("sub/c.eml")
    );
    assert_eq!(lines[0]["verdict"], "phishing");
    assert_eq!(lines[1]["verdict"], "clean");
    // The same object as `analyze --format json`, plus the location.
    assert!(lines[0]["findings"].is_array() && lines[0]["observables"]["urls"].is_array());
}

#[test]
fn scans_an_mbox_and_unquotes_from_lines() {
    let dir = TempDir::new("mbox");
    let mbox = dir.path().join("reported.mbox");
    std::fs::write(&mbox, mbox_of(&["notice_isp_ja.eml", "phish_seed_iso2022jp.eml", "bounce_postfix.eml"]))
        .unwrap();
    let out = kaibo(&["scan", "--format", "jsonl", mbox.to_str().unwrap()]);
    let lines = jsonl(&out);
    let idx: Vec<i64> = lines.iter().map(|l| l["location"]["mbox_index"].as_i64().unwrap()).collect();
    assert_eq!(idx, vec![1, 2, 3]);
    let verdicts: Vec<&str> = lines.iter().map(|l| l["verdict"].as_str().unwrap()).collect();
    assert_eq!(verdicts, vec!["clean", "phishing", "clean"]);
    assert_eq!(lines[1]["message"]["subject"], "[spam] 未配信メッセージ (2)");
}

#[test]
fn scans_a_maildir_and_skips_tmp() {
    let dir = TempDir::new("maildir");
    let md = dir.path().join("Maildir");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(md.join(sub)).unwrap();
    }
    std::fs::write(md.join("cur/1700000000.1.host:2,S"), fixture("notice_isp_ja.eml")).unwrap();
    std::fs::write(md.join("new/1700000001.2.host"), fixture("phish_seed_utf8.eml")).unwrap();
    std::fs::write(md.join("tmp/1700000002.3.host"), b"half-written").unwrap();
    let out = kaibo(&["scan", "--format", "jsonl", md.to_str().unwrap()]);
    let lines = jsonl(&out);
    assert_eq!(lines.len(), 2, "tmp/ must be skipped");
    assert!(lines.iter().all(|l| !l["location"]["path"].as_str().unwrap().contains("/Maildir/tmp/")));
}

#[test]
fn an_unreadable_file_is_reported_and_the_scan_goes_on() {
    let dir = TempDir::new("errors");
    std::fs::write(dir.path().join("1.eml"), fixture("notice_isp_ja.eml")).unwrap();
    std::fs::write(dir.path().join("2.txt"), b"not a mail at all, just words\n").unwrap();
    std::fs::write(dir.path().join("3.eml"), fixture("bounce_postfix.eml")).unwrap();
    let out = kaibo(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "errors mean exit 2");
    let text = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("2.txt") && stderr.contains("not an email"), "{stderr}");
    assert!(text.contains("3.eml"), "the scan went on after the error:\n{text}");
    assert!(text.contains("3 mails: 0 phishing, 0 suspicious, 2 clean, 1 errors"), "{text}");
    let missing = kaibo(&["scan", "--format", "jsonl", dir.path().join("nope").to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(jsonl(&missing)[0]["error"].as_str().unwrap().contains("No such file"));
}

#[test]
fn clean_scan_exits_zero_and_oversized_mail_is_an_error() {
    let dir = TempDir::new("clean");
    std::fs::write(dir.path().join("ok.eml"), fixture("notice_isp_ja.eml")).unwrap();
    assert_eq!(kaibo(&["scan", dir.path().to_str().unwrap()]).status.code(), Some(0));
    let big = kaibo(&["scan", "--max-size", "100", "--format", "jsonl", dir.path().to_str().unwrap()]);
    assert_eq!(big.status.code(), Some(2));
    assert!(jsonl(&big)[0]["error"].as_str().unwrap().contains("larger than the limit"));
}

#[test]
fn eval_measures_a_labelled_corpus() {
    let dir = TempDir::new("eval");
    for (name, fx) in [
        ("p/seed.eml", "phish_seed_utf8.eml"),
        ("p/seed2.eml", "phish_seed_iso2022jp.eml"),
        ("h/bounce.eml", "bounce_postfix.eml"),
        ("h/notice.eml", "notice_isp_ja.eml"),
    ] {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, fixture(fx)).unwrap();
    }
    std::fs::write(
        dir.path().join("labels.tsv"),
        "path\tlabel\tsource\tbytes\np/seed.eml\tphish\tseed\t0\np/seed2.eml\tphish\tseed\t0\nh/bounce.eml\tham\tbounces\t0\nh/notice.eml\tham\tnotices\t0\n",
    )
    .unwrap();
    let out =
        kaibo(&["eval", "--format", "json", "--ignore-upstream-verdicts", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["phish"]["total"], 2);
    assert_eq!(r["phish"]["flagged"], 2);
    assert_eq!(r["ham"]["total"], 2);
    assert_eq!(r["ham"]["flagged"], 0);
    assert_eq!(r["detection_rate"], 1.0);
    assert_eq!(r["false_positive_rate"], 0.0);
    assert_eq!(r["sources"].as_array().unwrap().len(), 3);
    let buckets: u64 = r["score_distribution"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["phish"].as_u64().unwrap() + b["ham"].as_u64().unwrap())
        .sum();
    assert_eq!(buckets, 4);

    // Rspamd's verdicts on the same files (rspamc -j output, absolute paths) become a column.
    let root = dir.path().canonicalize().unwrap();
    let rspamd = dir.path().join("rspamd.json");
    std::fs::write(
        &rspamd,
        format!(
            "{{\"action\": \"no action\", \"filename\": \"{0}/p/seed.eml\"}}\n\
             {{\"action\": \"add header\", \"filename\": \"{0}/p/seed2.eml\"}}\n\
             {{\"action\": \"no action\", \"filename\": \"{0}/h/bounce.eml\"}}\n",
            root.display()
        ),
    )
    .unwrap();
    let out = kaibo(&["eval", "--rspamd", rspamd.to_str().unwrap(), dir.path().to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("rspamd%"), "{text}");
    assert!(text.contains("rspamd: 1 of 2 phish flagged (50.00%), 0 of 1 ham (0.00%)"), "{text}");
    let out = kaibo(&[
        "eval",
        "--format",
        "json",
        "--rspamd",
        rspamd.to_str().unwrap(),
        dir.path().to_str().unwrap(),
    ]);
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let seed = r["sources"].as_array().unwrap().iter().find(|s| s["source"] == "seed").unwrap();
    assert_eq!(seed["rspamd"]["flagged"], 1);
    std::fs::write(&rspamd, "not json").unwrap();
    let out = kaibo(&["eval", "--rspamd", rspamd.to_str().unwrap(), dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));

    // Relabel the bounce as phish: it becomes a miss, listed with its top findings.
    std::fs::write(
        dir.path().join("labels.tsv"),
        "path\tlabel\tsource\nh/bounce.eml\tphish\tx\np/seed.eml\tham\ty\n",
    )
    .unwrap();
    let text = String::from_utf8(kaibo(&["eval", dir.path().to_str().unwrap()]).stdout).unwrap();
    assert!(text.contains("misses (1)") && text.contains("h/bounce.eml"), "{text}");
    assert!(text.contains("false positives (1)") && text.contains("sender.display_name_spoof"), "{text}");
    assert!(text.contains("detection 0.00%") && text.contains("false positives 100.00%"), "{text}");
}
