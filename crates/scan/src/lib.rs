//! # kaibo-scan: many mails, all cores, bounded memory
//!
//! [`sources`] turns paths into a stream of messages: single files, directories (recursively),
//! mbox files (RFC 4155 `From ` separators, mboxrd/mboxo `>From ` unquoting, and
//! `Content-Length` of mboxcl) and maildir folders (`cur/` and `new/`; `tmp/` is skipped). The
//! [`runner`] reads them on one thread and analyses them on N worker threads; results come back
//! in input order through a bounded window, so memory stays flat whatever the corpus size.
//! [`eval`] measures detection and false positives against a labelled corpus.

pub mod eval;
pub mod mbox;
pub mod runner;
pub mod sources;

pub use runner::{ItemError, ScanItem, ScanOptions, scan, scan_with};
pub use sources::{Location, WalkOptions};
