//! The parallel pipeline: one reader thread, N analysis threads, results in input order.
//!
//! Messages travel in small batches (up to [`BATCH_MESSAGES`] or [`BATCH_BYTES`]), not one by
//! one: with a typical mail analysed in a few hundred microseconds, handing each over between
//! threads cost about a tenth of the CPU in wake-ups and context switches.
//!
//! Memory is bounded by a window of batches in flight: the reader takes a permit before it
//! fills a batch and the consumer returns it after the batch's results were handed out, so at
//! most `window` batches (bytes and analyses) exist at once, whatever the corpus size. Results
//! are handed out in input order, which keeps output reproducible.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crossbeam_channel::bounded;
use kaibo_core::{Analysis, Dissection};

use crate::sources::{Location, ReadError, WalkOptions, for_each_message};

#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub analyze: kaibo_core::Options,
    /// Analysis threads; 0 means one per core.
    pub jobs: usize,
    /// Read files that hold several mbox messages as mboxes (else every file is one mail).
    pub split_mbox: bool,
    /// Descend into symbolic links to directories (see [`WalkOptions`]).
    pub follow_links: bool,
}

/// Why a scan item has no analysis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemError {
    /// The message could not be read or analysed.
    Failed(String),
    /// The path was passed over on purpose (see [`ReadError::Skipped`]).
    Skipped(String),
}

impl std::fmt::Display for ItemError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ItemError::Failed(e) => write!(f, "{e}"),
            ItemError::Skipped(why) => write!(f, "skipped: {why}"),
        }
    }
}

/// The outcome for one message.
#[derive(Debug)]
pub struct ScanItem {
    /// 0-based position in the input order.
    pub seq: usize,
    pub location: Location,
    pub bytes: usize,
    /// The mail's dissection: the offline analysis, and what the online rungs found when a
    /// post-processing step ran them.
    pub result: Result<Dissection, ItemError>,
}

/// Totals of a scan.
#[derive(Debug, Clone, Default)]
pub struct ScanStats {
    pub messages: usize,
    pub bytes: usize,
    pub errors: usize,
    /// Paths passed over on purpose (not counted in `messages`).
    pub skipped: usize,
    pub elapsed: Duration,
}

impl ScanStats {
    pub fn msgs_per_sec(&self) -> f64 {
        self.messages as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
    pub fn mb_per_sec(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

pub fn effective_jobs(jobs: usize) -> usize {
    if jobs > 0 { jobs } else { std::thread::available_parallelism().map_or(1, |n| n.get()) }
}

type Job = (usize, Location, Result<Vec<u8>, ReadError>);

/// Most messages in one batch.
pub const BATCH_MESSAGES: usize = 16;
/// A batch is sent once its messages reach this many bytes (a larger mail travels alone).
pub const BATCH_BYTES: usize = 512 * 1024;

/// Scans `paths`, calling `on_item` for every message in input order. `on_item` returns false
/// to stop the scan.
pub fn scan(paths: &[PathBuf], opts: &ScanOptions, on_item: impl FnMut(ScanItem) -> bool) -> ScanStats {
    scan_with(paths, opts, &Dissection::offline, on_item)
}

/// [`scan`] with a step that turns each offline analysis into its dissection on the analysis
/// threads (online enrichment: its lookups then overlap across messages).
pub fn scan_with(
    paths: &[PathBuf],
    opts: &ScanOptions,
    dissect: &(dyn Fn(Analysis) -> Dissection + Sync),
    mut on_item: impl FnMut(ScanItem) -> bool,
) -> ScanStats {
    let jobs = effective_jobs(opts.jobs);
    let window = jobs * 2;
    let started = Instant::now();
    // Batches are numbered; a batch's results come back as one vector in message order.
    let (job_tx, job_rx) = bounded::<(usize, Vec<Job>)>(window);
    let (res_tx, res_rx) = bounded::<(usize, Vec<ScanItem>)>(window);
    let (permit_tx, permit_rx) = bounded::<()>(window);
    let mut stats = ScanStats::default();

    std::thread::scope(|s| {
        let walk = WalkOptions {
            max_bytes: opts.analyze.max_input_bytes,
            split_mbox: opts.split_mbox,
            follow_links: opts.follow_links,
        };
        s.spawn(move || {
            let mut seq = 0;
            let mut batch_no = 0;
            let mut batch: Vec<Job> = Vec::with_capacity(BATCH_MESSAGES);
            let mut batch_bytes = 0;
            let mut send = |batch: &mut Vec<Job>, batch_bytes: &mut usize| -> bool {
                if permit_tx.send(()).is_err() {
                    return false;
                }
                let ok = job_tx.send((batch_no, std::mem::take(batch))).is_ok();
                batch_no += 1;
                *batch_bytes = 0;
                ok
            };
            let mut open = true;
            for_each_message(paths, &walk, &mut |loc, raw| {
                batch_bytes += raw.as_ref().map_or(0, Vec::len);
                batch.push((seq, loc, raw));
                seq += 1;
                if batch.len() >= BATCH_MESSAGES || batch_bytes >= BATCH_BYTES {
                    open = send(&mut batch, &mut batch_bytes);
                }
                open
            });
            if open && !batch.is_empty() {
                send(&mut batch, &mut batch_bytes);
            }
        });
        for _ in 0..jobs {
            let job_rx = job_rx.clone();
            let res_tx = res_tx.clone();
            let aopts = &opts.analyze;
            s.spawn(move || {
                for (batch_no, jobs) in job_rx {
                    let items = jobs
                        .into_iter()
                        .map(|(seq, location, raw)| {
                            let (bytes, result) = analyze_one(raw, aopts, dissect);
                            ScanItem { seq, location, bytes, result }
                        })
                        .collect();
                    if res_tx.send((batch_no, items)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(job_rx);
        drop(res_tx);

        let mut pending: BTreeMap<usize, Vec<ScanItem>> = BTreeMap::new();
        let mut next = 0;
        let mut stopped = false;
        'results: for (batch_no, items) in res_rx.iter() {
            pending.insert(batch_no, items);
            while let Some(items) = pending.remove(&next) {
                next += 1;
                let _ = permit_rx.recv();
                for item in items {
                    match &item.result {
                        Err(ItemError::Skipped(_)) => stats.skipped += 1,
                        Err(ItemError::Failed(_)) => {
                            stats.messages += 1;
                            stats.errors += 1;
                        }
                        Ok(_) => stats.messages += 1,
                    }
                    stats.bytes += item.bytes;
                    if !on_item(item) {
                        stopped = true;
                        break 'results;
                    }
                }
            }
        }
        // Close the permit channel so the reader stops, and let the workers finish what they hold.
        drop(permit_rx);
        if stopped {
            for _ in res_rx.iter() {}
        }
    });
    stats.elapsed = started.elapsed();
    stats
}

/// One message through the offline analysis and the dissect step, a panic in either turned
/// into an error for this message alone.
fn analyze_one(
    raw: Result<Vec<u8>, ReadError>,
    aopts: &kaibo_core::Options,
    dissect: &(dyn Fn(Analysis) -> Dissection + Sync),
) -> (usize, Result<Dissection, ItemError>) {
    let (bytes, result) = match raw {
        Ok(raw) => {
            let r = match catch_unwind(AssertUnwindSafe(|| kaibo_core::analyze(&raw, aopts))) {
                Ok(Ok(a)) => Ok(a),
                Ok(Err(e)) => Err(ItemError::Failed(e.to_string())),
                Err(_) => Err(ItemError::Failed("internal error while analysing this message".to_string())),
            };
            (raw.len(), r)
        }
        Err(ReadError::Skipped(why)) => (0, Err(ItemError::Skipped(why))),
        Err(e) => (0, Err(ItemError::Failed(e.to_string()))),
    };
    let result = result.and_then(|a| {
        catch_unwind(AssertUnwindSafe(|| dissect(a)))
            .map_err(|_| ItemError::Failed("internal error while enriching this message".to_string()))
    });
    (bytes, result)
}
