//! Local reputation feeds: OpenPhish (one URL per line), PhishTank, URLhaus and JPCERT/CC's
//! phishing URL list (CSV), indexed by normalised URL and by host for lookups in O(1).
//!
//! A hit is a fact with its source and date; "not listed" is reported as a fact too, never as
//! a sign of safety: feeds list a fraction of what is live.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub use kaibo_model::enrichment::{FeedHit, FeedMatch, FeedStatus};

use crate::config::FeedSource;

struct Entry {
    feed: usize,
    url: String,
    listed_at: Option<String>,
}

#[derive(Default)]
pub struct FeedIndex {
    names: Vec<String>,
    pub status: Vec<FeedStatus>,
    by_url: HashMap<String, Vec<usize>>,
    by_host: HashMap<String, Vec<usize>>,
    entries: Vec<Entry>,
}

pub fn feed_path(source: &FeedSource, data_dir: &Path) -> PathBuf {
    source.file.clone().unwrap_or_else(|| data_dir.join("feeds").join(format!("{}.txt", source.name)))
}

/// The normalised form feeds and mails are compared in (kaibo-core's URL normalisation).
fn normalise(url: &str) -> Option<(String, String)> {
    let u = kaibo_core::urls::parse_web_url(url.trim())?;
    let host = u.host_str()?.trim_end_matches('.').to_ascii_lowercase();
    Some((u.to_string(), host))
}

impl FeedIndex {
    pub fn load(sources: &[FeedSource], data_dir: &Path, notes: &mut Vec<String>) -> FeedIndex {
        let mut idx = FeedIndex::default();
        for s in sources {
            let path = feed_path(s, data_dir);
            let Ok(text) = std::fs::read(&path) else {
                notes.push(format!(
                    "feed {}: no file at {} (run `kaibo feeds update`)",
                    s.name,
                    path.display()
                ));
                continue;
            };
            let text = String::from_utf8_lossy(&text);
            let before = idx.entries.len();
            idx.names.push(s.name.clone());
            let feed = idx.names.len() - 1;
            for (url, listed_at) in parse_feed(&s.format, &text) {
                idx.add(feed, &url, listed_at);
            }
            let updated = std::fs::metadata(&path)
                .and_then(|m| m.modified())
                .ok()
                .map(kaibo_core::calendar::rfc3339_of);
            idx.status.push(FeedStatus {
                feed: s.name.clone(),
                file: path.display().to_string(),
                entries: idx.entries.len() - before,
                updated,
            });
        }
        idx
    }

    fn add(&mut self, feed: usize, url: &str, listed_at: Option<String>) {
        let Some((norm, host)) = normalise(url) else { return };
        let i = self.entries.len();
        self.entries.push(Entry { feed, url: norm.clone(), listed_at });
        self.by_url.entry(norm).or_default().push(i);
        self.by_host.entry(host).or_default().push(i);
    }

    pub fn lookup(&self, url: &str) -> Vec<FeedHit> {
        let Some((norm, host)) = normalise(url) else { return Vec::new() };
        let mut hits: Vec<FeedHit> = Vec::new();
        let hit = |i: &usize, matched: FeedMatch| {
            let e = &self.entries[*i];
            FeedHit {
                feed: self.names[e.feed].clone(),
                matched,
                url: url.to_string(),
                listed: e.url.clone(),
                listed_at: e.listed_at.clone(),
            }
        };
        for i in self.by_url.get(&norm).into_iter().flatten() {
            hits.push(hit(i, FeedMatch::Url));
        }
        for i in self.by_host.get(&host).into_iter().flatten().take(20) {
            let e = &self.entries[*i];
            if !hits.iter().any(|h| h.feed == self.names[e.feed]) {
                hits.push(hit(i, FeedMatch::Host));
            }
        }
        hits
    }
}

/// (URL, listed at) pairs of one feed file.
pub fn parse_feed(format: &str, text: &str) -> Vec<(String, Option<String>)> {
    let csv_rows = |skip_comments: bool| {
        let body: String = if skip_comments {
            text.lines().filter(|l| !l.starts_with('#')).collect::<Vec<_>>().join("\n")
        } else {
            text.to_string()
        };
        let mut rdr =
            csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(body.as_bytes());
        rdr.records().filter_map(Result::ok).collect::<Vec<_>>()
    };
    match format {
        "openphish" => text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| (l.to_string(), None))
            .collect(),
        // phish_id,url,phish_detail_url,submission_time,verified,verification_time,online,target
        "phishtank" => csv_rows(false)
            .iter()
            .filter(|r| r.get(1).is_some_and(|u| u.contains("://")))
            .map(|r| (r[1].to_string(), r.get(3).map(str::to_string)))
            .collect(),
        // id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter
        "urlhaus" => csv_rows(true)
            .iter()
            .filter(|r| r.get(2).is_some_and(|u| u.contains("://")))
            .map(|r| (r[2].to_string(), r.get(1).map(str::to_string)))
            .collect(),
        // date,URL,description
        "jpcert" => csv_rows(false)
            .iter()
            .filter(|r| r.get(1).is_some_and(|u| u.contains("://")))
            .map(|r| (r[1].to_string(), r.get(0).map(str::to_string)))
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let op = parse_feed("openphish", "https://a.example/login\n\n# c\nhttp://b.example/\n");
        assert_eq!(op.len(), 2);
        let pt = parse_feed(
            "phishtank",
            "phish_id,url,phish_detail_url,submission_time,verified,verification_time,online,target\n\
             1,https://p.example/x,http://www.phishtank.com/phish_detail.php?phish_id=1,2023-01-01T00:00:00+00:00,yes,2023-01-01T01:00:00+00:00,yes,Other\n",
        );
        assert_eq!(
            pt,
            vec![("https://p.example/x".to_string(), Some("2023-01-01T00:00:00+00:00".to_string()))]
        );
        let uh = parse_feed(
            "urlhaus",
            "# URLhaus\n# id,dateadded,url\n\"1\",\"2023-02-02 10:00:00\",\"http://u.example/a.exe\",\"online\",\"\",\"malware_download\",\"exe\",\"https://urlhaus.abuse.ch/url/1/\",\"r\"\n",
        );
        assert_eq!(uh[0].0, "http://u.example/a.exe");
        let jp = parse_feed("jpcert", "date,URL,description\n2023/03/01,https://j.example/,Amazon\n");
        assert_eq!(jp, vec![("https://j.example/".to_string(), Some("2023/03/01".to_string()))]);
    }
}
