//! The online rungs in the server: opt-in per upload, within what the server's config allows.
//!
//! An upload is analysed offline and stored at once, so its page answers immediately; when
//! online rungs were asked for, they run afterwards on a blocking thread (DNS, RDAP, feeds,
//! the landing-page visit… through [`kaibo_enrich::Enricher`], with its SSRF guard), and the
//! stored dissection is replaced by the enriched one. The analysis's `online` state says where
//! that stands (`pending:RUNGS`, `done:RUNGS`, `failed: …`, `interrupted` after a restart), and
//! `GET /api/v1/analyses/{id}/events` streams it as server-sent events while it runs.
//!
//! One `Enricher` is built per set of rungs asked for and kept: it holds the resolver, the
//! HTTP client, the geolocation databases and the lookup cache, which mails share.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use kaibo_enrich::{Enricher, Rungs};
use kaibo_model::{Analysis, Dissection};
use serde::Serialize;
use tokio::sync::watch;

use crate::SharedState;

/// Where an analysis's online rungs stand, as the events stream sends it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Progress {
    /// `running`, `done`, `failed`, `interrupted` or `none`.
    pub state: String,
    pub rungs: Vec<String>,
    pub elapsed_ms: u64,
    /// Why it failed, or what the rungs noted.
    pub message: Option<String>,
}

impl Progress {
    pub fn finished(&self) -> bool {
        self.state != "running"
    }

    /// The state stored with an analysis (`Summary::online`), read back.
    pub fn from_stored(online: Option<&str>) -> Progress {
        let (state, rest) = match online {
            None => ("none", ""),
            Some(s) => match s.split_once(':') {
                Some(("pending", r)) => ("running", r),
                Some(("done", r)) => ("done", r),
                Some(("failed", why)) => ("failed", why),
                _ => (s, ""),
            },
        };
        let rungs = if state == "failed" {
            Vec::new()
        } else {
            rest.split(',').filter(|r| !r.is_empty()).map(str::to_string).collect()
        };
        let message = (state == "failed").then(|| rest.trim().to_string());
        Progress { state: state.to_string(), rungs, elapsed_ms: 0, message }
    }
}

/// What the server may run online, and the runs in flight.
pub struct Online {
    pub allowed: Rungs,
    /// Run the allowed rungs on uploads that do not say otherwise.
    pub by_default: bool,
    cfg: kaibo_enrich::Config,
    cache_dir: Option<PathBuf>,
    data_dir: PathBuf,
    enrichers: Mutex<HashMap<Vec<String>, Arc<Enricher>>>,
    running: Mutex<HashMap<String, watch::Sender<Progress>>>,
}

impl Online {
    pub fn new(
        allowed: Rungs,
        by_default: bool,
        cfg: kaibo_enrich::Config,
        cache_dir: Option<PathBuf>,
        data_dir: PathBuf,
    ) -> Online {
        Online {
            allowed,
            by_default,
            cfg,
            cache_dir,
            data_dir,
            enrichers: Mutex::new(HashMap::new()),
            running: Mutex::new(HashMap::new()),
        }
    }

    /// The rungs to run for an upload that asked for `asked` (`dns,rdap,…`, `all`, `none`, or
    /// nothing: the server's default). An ask beyond what the server allows is refused.
    pub fn choose(&self, asked: Option<&str>) -> Result<Option<Rungs>, String> {
        let rungs = match asked.map(str::trim) {
            None | Some("") => {
                if self.by_default {
                    self.allowed
                } else {
                    return Ok(None);
                }
            }
            Some("none" | "offline") => return Ok(None),
            Some("all" | "1" | "true") => self.allowed,
            Some(list) => Rungs::parse(list)?,
        };
        let a = self.allowed;
        let beyond: Vec<&str> = [
            (rungs.dns && !a.dns, "dns"),
            (rungs.rdap && !a.rdap, "rdap"),
            (rungs.geo && !a.geo, "geo"),
            (rungs.feeds && !a.feeds, "feeds"),
            (rungs.fetch && !a.fetch, "fetch"),
            (rungs.render && !a.render, "render"),
        ]
        .into_iter()
        .filter_map(|(beyond, name)| beyond.then_some(name))
        .collect();
        if !beyond.is_empty() {
            return Err(format!(
                "this server does not run {} (it allows: {})",
                beyond.join(", "),
                if a.any() { a.names().join(", ") } else { "no online rungs".into() }
            ));
        }
        Ok(rungs.any().then_some(rungs))
    }

    fn enricher(&self, rungs: Rungs) -> Arc<Enricher> {
        let mut map = self.enrichers.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(rungs.names())
            .or_insert_with(|| {
                Arc::new(Enricher::new(
                    self.cfg.clone(),
                    rungs,
                    self.cache_dir.clone(),
                    self.data_dir.clone(),
                ))
            })
            .clone()
    }

    /// The progress of a run in flight, to follow.
    pub fn follow(&self, id: &str) -> Option<watch::Receiver<Progress>> {
        self.running.lock().unwrap_or_else(|e| e.into_inner()).get(id).map(watch::Sender::subscribe)
    }

    /// Runs `rungs` on a stored analysis in the background, then stores the enriched
    /// dissection and the final state.
    pub fn start(self: &Arc<Self>, state: SharedState, id: String, analysis: Analysis, rungs: Rungs) {
        let names = rungs.names();
        let (tx, _) = watch::channel(Progress {
            state: "running".into(),
            rungs: names.clone(),
            elapsed_ms: 0,
            message: None,
        });
        self.running.lock().unwrap_or_else(|e| e.into_inner()).insert(id.clone(), tx.clone());
        let online = self.clone();
        tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            let enricher = online.enricher(rungs);
            let outcome =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| enricher.dissect(analysis)));
            let (stored, progress) = match outcome {
                Ok(d) => {
                    let notes = notes_of(&d);
                    match state.store.update_dissection(&id, &d) {
                        Ok(_) => (format!("done:{}", names.join(",")), ("done", notes)),
                        Err(e) => (format!("failed: {e}"), ("failed", Some(e.to_string()))),
                    }
                }
                Err(_) => (
                    "failed: the online rungs failed".into(),
                    ("failed", Some("the online rungs failed".into())),
                ),
            };
            let _ = state.store.set_online(&id, Some(&stored));
            online.running.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
            let _ = tx.send(Progress {
                state: progress.0.into(),
                rungs: names,
                elapsed_ms: started.elapsed().as_millis() as u64,
                message: progress.1,
            });
        });
    }
}

/// The enrichment's notes (a database missing, a lookup that failed), in one line.
fn notes_of(d: &Dissection) -> Option<String> {
    let notes: Vec<&str> =
        d.enrichment.iter().flat_map(|e| e.notes.iter().map(String::as_str)).take(5).collect();
    (!notes.is_empty()).then(|| notes.join("; "))
}

impl Drop for Online {
    fn drop(&mut self) {
        // Each enricher owns a runtime, which may not be dropped inside the server's async
        // context: drop them on a thread of their own.
        let enrichers = std::mem::take(&mut *self.enrichers.lock().unwrap_or_else(|e| e.into_inner()));
        let _ = std::thread::spawn(move || drop(enrichers)).join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn online(allowed: &str, by_default: bool) -> Online {
        Online::new(
            Rungs::parse(allowed).unwrap(),
            by_default,
            kaibo_enrich::Config::default(),
            None,
            PathBuf::from("/nonexistent"),
        )
    }

    #[test]
    fn asks_are_held_to_what_the_server_allows() {
        let o = online("dns,rdap", false);
        assert_eq!(o.choose(None).unwrap(), None);
        assert_eq!(o.choose(Some("all")).unwrap(), Some(Rungs::parse("dns,rdap").unwrap()));
        assert_eq!(o.choose(Some("dns")).unwrap(), Some(Rungs::parse("dns").unwrap()));
        let err = o.choose(Some("dns,fetch")).unwrap_err();
        assert!(err.contains("does not run fetch"), "{err}");
        assert!(o.choose(Some("bogus")).is_err());
        assert_eq!(online("dns", true).choose(None).unwrap(), Some(Rungs::parse("dns").unwrap()));
        assert_eq!(online("dns", true).choose(Some("none")).unwrap(), None);
    }

    #[test]
    fn stored_states_read_back() {
        assert_eq!(Progress::from_stored(Some("pending:dns,rdap")).rungs, vec!["dns", "rdap"]);
        assert_eq!(Progress::from_stored(Some("pending:dns")).state, "running");
        let f = Progress::from_stored(Some("failed: no resolver"));
        assert_eq!((f.state.as_str(), f.message.as_deref()), ("failed", Some("no resolver")));
        assert_eq!(Progress::from_stored(Some("interrupted")).state, "interrupted");
        assert_eq!(Progress::from_stored(None).state, "none");
    }
}
