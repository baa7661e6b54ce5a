//! The reference case with its online answers loaded from fixtures, for reproducible reports.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use kaibo_core::{Analysis, Dissection};
use kaibo_enrich::Enrichment;

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

/// 2023-11-14T10:30:00Z: when the fixtures' report is said to be made.
pub const CREATED: i64 = 1_699_957_800;

/// The reference mail analysed offline, then judged with `tests/fixtures/report/enrichment.json`
/// and `visit.json` as the CLI judges online answers.
pub fn reference() -> Dissection {
    let e: Enrichment =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("report/enrichment.json")).unwrap())
            .unwrap();
    let v = serde_json::from_str(&std::fs::read_to_string(fixtures().join("report/visit.json")).unwrap())
        .unwrap();
    kaibo_enrich::judge(offline_analysis(), e, Some(v), &kaibo_enrich::Config::default())
}

fn offline_analysis() -> Analysis {
    let raw = std::fs::read(fixtures().join("phish_seed_utf8.eml")).unwrap();
    kaibo_core::analyze(&raw, &kaibo_core::Options::default()).unwrap()
}

/// The reference mail analysed offline only.
pub fn offline() -> Dissection {
    Dissection::offline(offline_analysis())
}
