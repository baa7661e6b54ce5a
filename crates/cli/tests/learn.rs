//! End-to-end tests of `kaibo learn`, `--model` and `kaibo eval --fit` on generated mail: two
//! kinds of mail that differ only in their words.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

fn kaibo(args: &[&str]) -> Output {
    common::kaibo().args(args).output().expect("kaibo runs")
}

/// `kaibo analyze --format json --model MODEL MAIL`.
fn analyze_with(model: &Path, mail: &Path) -> Value {
    let out =
        kaibo(&["analyze", "--format", "json", "--model", model.to_str().unwrap(), mail.to_str().unwrap()]);
    serde_json::from_slice(&out.stdout).unwrap()
}

const PHISH_WORDS: [&str; 6] = ["parcel", "customs", "fee", "redelivery", "tracking", "unpaid"];
const HAM_WORDS: [&str; 6] = ["rehearsal", "choir", "tenor", "sheet", "music", "concert"];

/// A plain mail whose body uses `words`, varied by `i`; no link, so the findings are the same
/// for both kinds and only the words differ.
fn mail(i: usize, words: &[&str], subject: &str) -> String {
    let body: Vec<String> = (0..12).map(|j| words[(i + j) % words.len()].to_string()).collect();
    format!(
        "From: Sender {i} <s{i}@example.org>\r\nTo: reader@example.net\r\nSubject: {subject} {i}\r\n\
         Date: Mon, 13 Nov 2023 10:00:00 +0000\r\nMessage-ID: <{i}.{subject}@example.org>\r\n\r\n\
         Hello,\r\n{}\r\nregards\r\n",
        body.join(" ")
    )
}

fn write_corpus(dir: &Path) -> (PathBuf, PathBuf) {
    let (phish, ham) = (dir.join("phish"), dir.join("ham"));
    std::fs::create_dir_all(&phish).unwrap();
    std::fs::create_dir_all(&ham).unwrap();
    for i in 0..40 {
        std::fs::write(phish.join(format!("{i}.eml")), mail(i, &PHISH_WORDS, "notice")).unwrap();
        std::fs::write(ham.join(format!("{i}.eml")), mail(i, &HAM_WORDS, "notice")).unwrap();
    }
    (phish, ham)
}

#[test]
fn learn_writes_a_model_that_analyze_uses_and_is_reproducible() {
    let dir = common::temp_dir("learn-model");
    let (phish, ham) = write_corpus(dir.as_path());
    let model = dir.as_path().join("model.kbtm");
    let args = |out: &Path| {
        vec![
            "learn".to_string(),
            "--phish".into(),
            phish.display().to_string(),
            "--ham".into(),
            ham.display().to_string(),
            "-o".into(),
            out.display().to_string(),
        ]
    };
    let out = kaibo(&args(&model).iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("trained on 40 phishing and 40 legitimate mails"), "{text}");
    assert!(text.contains("out-of-fold"), "{text}");
    // Same mail, same command, same model, bit for bit.
    let first = std::fs::read(&model).unwrap();
    assert_eq!(kaibo(&args(&model).iter().map(String::as_str).collect::<Vec<_>>()).status.code(), Some(0));
    assert_eq!(first, std::fs::read(&model).unwrap());

    // The model reads a new mail in the phishing words as phishing, and names the words.
    let new_mail = dir.as_path().join("new.eml");
    std::fs::write(&new_mail, mail(99, &PHISH_WORDS, "notice")).unwrap();
    let v = analyze_with(&model, &new_mail);
    let finding = v["findings"].as_array().unwrap().iter().find(|f| f["id"] == "content.text_model");
    let finding = finding.unwrap_or_else(|| panic!("no text model finding: {v:#}"));
    let shown = finding["evidence"].to_string();
    assert!(PHISH_WORDS.iter().any(|w| shown.contains(w)), "{shown}");
    // And a mail in the other words not at all.
    std::fs::write(&new_mail, mail(99, &HAM_WORDS, "notice")).unwrap();
    let v = analyze_with(&model, &new_mail);
    assert!(!v["findings"].as_array().unwrap().iter().any(|f| f["id"] == "content.text_model"), "{v:#}");
}

#[test]
fn a_file_that_is_not_a_model_is_an_error() {
    let dir = common::temp_dir("learn-bad");
    let bad = dir.as_path().join("bad.kbtm");
    std::fs::write(&bad, b"not a model").unwrap();
    let out = kaibo(&["analyze", "--sample", "--model", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("not a kaibo text model"), "{err}");
    let out = kaibo(&[
        "learn",
        "--phish",
        dir.as_path().to_str().unwrap(),
        "--ham",
        dir.as_path().to_str().unwrap(),
        "-o",
        "x",
    ]);
    assert_eq!(out.status.code(), Some(2), "nothing readable to learn from");
}

#[test]
fn eval_fit_writes_weights_and_model_deterministically() {
    let dir = common::temp_dir("learn-fit");
    write_corpus(dir.as_path());
    let mut labels = String::from("path\tlabel\tsource\n");
    for i in 0..40 {
        // Two collections per label, so leave-one-source-out has something to leave out.
        let half = if i % 2 == 0 { "a" } else { "b" };
        labels.push_str(&format!("phish/{i}.eml\tphish\tphish_{half}\nham/{i}.eml\tham\tham_{half}\n"));
    }
    std::fs::write(dir.as_path().join("labels.tsv"), labels).unwrap();
    let run = |out: &str| {
        let out_dir = dir.as_path().join(out);
        let o =
            kaibo(&["eval", dir.as_path().to_str().unwrap(), "--fit", "--write", out_dir.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
        let report = String::from_utf8(o.stdout).unwrap();
        (
            report,
            std::fs::read_to_string(out_dir.join("weights.toml")).unwrap(),
            std::fs::read(out_dir.join("text-model.kbtm")).unwrap(),
        )
    };
    let (report, weights, model) = run("one");
    assert!(report.contains("left out") && report.contains("phish_a"), "{report}");
    assert!(weights.contains("version = 1") && weights.contains("labels_sha256"), "{weights}");
    assert!(weights.contains("[text_model]"), "{weights}");
    // Same corpus, same command: the same files, bit for bit.
    let (_, weights2, model2) = run("one");
    assert_eq!(weights, weights2);
    assert_eq!(model, model2);
}
