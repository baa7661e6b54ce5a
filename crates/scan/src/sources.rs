//! Inputs: paths to a stream of messages, detected by shape.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::mbox::{MboxMessage, MboxReader, looks_like_mbox};

/// Where a message came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    pub path: String,
    /// 1-based position inside an mbox file; none for a single-message file.
    pub mbox_index: Option<usize>,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.mbox_index {
            Some(i) => write!(f, "{}#{i}", self.path),
            None => write!(f, "{}", self.path),
        }
    }
}

/// Why a message could not be read, or why a path was passed over.
#[derive(Debug, Clone)]
pub enum ReadError {
    Io(String),
    TooLarge {
        size: usize,
        limit: usize,
    },
    /// Not read on purpose (a symbolic link to a directory, a directory already read); the
    /// reason is in words. Not an error: the scan says what it left out.
    Skipped(String),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "{e}"),
            ReadError::TooLarge { size, limit } => {
                write!(f, "the message is {size} bytes or more, larger than the limit of {limit} bytes")
            }
            ReadError::Skipped(why) => write!(f, "skipped: {why}"),
        }
    }
}

/// How paths are read.
#[derive(Debug, Clone)]
pub struct WalkOptions {
    /// Larger messages are reported as too large, not read.
    pub max_bytes: usize,
    /// Read files that hold several mbox messages as mboxes (else every file is one mail).
    pub split_mbox: bool,
    /// Descend into symbolic links to directories found inside a directory (paths given
    /// directly are always read). Each directory is still read once, so a link loop ends.
    pub follow_links: bool,
}

type Emit<'a> = dyn FnMut(Location, Result<Vec<u8>, ReadError>) -> bool + 'a;

/// Walks `paths` and calls `emit` for every message, in a stable order (directory entries
/// sorted by name). `emit` returns false to stop early.
///
/// A directory is read once, however many links lead to it (tracked by device and inode), and
/// symbolic links to directories are not followed unless asked: a `cur/loop -> ..` made the
/// walk report every mail again and again, and two such links made it exponential. What is
/// passed over is emitted as [`ReadError::Skipped`].
pub fn for_each_message(paths: &[PathBuf], opts: &WalkOptions, emit: &mut Emit<'_>) {
    let mut walker = Walker { opts, seen_dirs: HashSet::new(), emit };
    for p in paths {
        if !walker.walk(p, true) {
            return;
        }
    }
}

fn loc(path: &Path) -> Location {
    Location { path: path.display().to_string(), mbox_index: None }
}

struct Walker<'a, 'e> {
    opts: &'a WalkOptions,
    seen_dirs: HashSet<DirKey>,
    emit: &'a mut Emit<'e>,
}

/// What identifies a directory: device and inode (on Unix), else its canonical path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum DirKey {
    #[cfg(unix)]
    Inode(u64, u64),
    #[cfg(not(unix))]
    Path(PathBuf),
}

fn dir_key(path: &Path, meta: &std::fs::Metadata) -> DirKey {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        let _ = path;
        DirKey::Inode(meta.dev(), meta.ino())
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        DirKey::Path(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()))
    }
}

impl Walker<'_, '_> {
    fn skip(&mut self, path: &Path, why: &str) -> bool {
        (self.emit)(loc(path), Err(ReadError::Skipped(why.to_string())))
    }

    /// Reads `path`; `given` when the user named it (then a link is always followed).
    fn walk(&mut self, path: &Path, given: bool) -> bool {
        let (max_bytes, split_mbox) = (self.opts.max_bytes, self.opts.split_mbox);
        let is_link = !given && std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(_) if is_link => return self.skip(path, "a symbolic link to nothing"),
            Err(e) => return (self.emit)(loc(path), Err(ReadError::Io(e.to_string()))),
        };
        if meta.is_dir() {
            if is_link && !self.opts.follow_links {
                return self.skip(path, "a symbolic link to a directory (not followed; --follow reads it)");
            }
            if !self.seen_dirs.insert(dir_key(path, &meta)) {
                return self.skip(path, "a directory already read (a link loop, or a second link to it)");
            }
            let mut entries: Vec<PathBuf> = match std::fs::read_dir(path) {
                Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
                Err(e) => return (self.emit)(loc(path), Err(ReadError::Io(e.to_string()))),
            };
            entries.sort();
            let is_maildir = ["cur", "new", "tmp"].iter().filter(|d| path.join(d).is_dir()).count() >= 2;
            for e in entries {
                let name = e.file_name().and_then(|n| n.to_str()).unwrap_or("");
                // Hidden files and maildir's tmp/ (messages still being delivered) are not mail.
                if name.starts_with('.') || (is_maildir && name == "tmp") {
                    continue;
                }
                if !self.walk(&e, false) {
                    return false;
                }
            }
            return true;
        }
        if !meta.is_file() {
            return true;
        }
        read_file(path, &meta, max_bytes, split_mbox, self.emit)
    }
}

/// One file: a single mail, or an mbox of several.
fn read_file(
    path: &Path,
    meta: &std::fs::Metadata,
    max_bytes: usize,
    split_mbox: bool,
    emit: &mut Emit<'_>,
) -> bool {
    // One open per file: the head tells an mbox from a single mail, and a single mail is then
    // read on from there into a buffer of the file's size (`read_to_end` would grow its reads
    // from 8 KB, three or four calls for a typical mail).
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) => return emit(loc(path), Err(ReadError::Io(e.to_string()))),
    };
    let mut head = [0u8; 512];
    let head_len = match read_up_to(&mut file, &mut head) {
        Ok(n) => n,
        Err(e) => return emit(loc(path), Err(ReadError::Io(e.to_string()))),
    };
    // A file too large to be one mail that starts like an mbox is read as one: each of its
    // messages then gets the limit, instead of the whole file being refused.
    let mbox_like = split_mbox && looks_like_mbox(&head[..head_len]);
    if mbox_like && (meta.len() > max_bytes as u64 || named_like_mbox(path)) {
        return read_mbox(path, max_bytes, emit);
    }
    if meta.len() > max_bytes as u64 {
        let size = usize::try_from(meta.len()).unwrap_or(usize::MAX);
        return emit(loc(path), Err(ReadError::TooLarge { size, limit: max_bytes }));
    }
    let mut raw = head[..head_len].to_vec();
    let result = if head_len < head.len() {
        Ok(()) // The head was the whole file.
    } else {
        read_rest(&mut file, &mut raw, meta.len() as usize, max_bytes.saturating_add(1))
    };
    match result {
        // The file grew past the limit while it was read: an mbox being appended to.
        Ok(_) if mbox_like && (raw.len() > max_bytes || has_second_message(&raw)) => {
            read_mbox(path, max_bytes, emit)
        }
        Ok(_) if raw.len() > max_bytes => {
            emit(loc(path), Err(ReadError::TooLarge { size: raw.len(), limit: max_bytes }))
        }
        Ok(_) => emit(loc(path), Ok(raw)),
        Err(e) => emit(loc(path), Err(ReadError::Io(e.to_string()))),
    }
}

/// Reads the rest of `f` onto `raw`, expecting `size` bytes in all and stopping at `limit`.
fn read_rest(f: &mut File, raw: &mut Vec<u8>, size: usize, limit: usize) -> io::Result<()> {
    let mut filled = raw.len();
    // One byte more than expected, so that the end is seen without growing the buffer.
    raw.resize((size + 1).clamp(filled + 1, limit.max(filled + 1)), 0);
    loop {
        if filled == raw.len() {
            if raw.len() >= limit {
                break; // The caller reports it as too large.
            }
            // The file grew since it was measured.
            raw.resize((raw.len() * 2).min(limit), 0);
        }
        match f.read(&mut raw[filled..]) {
            Ok(0) => break,
            Ok(k) => filled += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    raw.truncate(filled);
    Ok(())
}

fn read_up_to(f: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// A file that starts with an mbox separator is read as an mbox when it holds a second
/// separator, or is named like one; a single mail saved with its envelope line stays one mail.
/// The search reads lines in bounded pieces and stops after `max_bytes` (past that, the first
/// message alone is over the limit and the file is read as an mbox anyway).
fn named_like_mbox(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("").to_ascii_lowercase();
    name.ends_with(".mbox") || name.ends_with(".mbx") || name == "mbox"
}

/// Whether a mail read whole holds an mbox separator after its first line: a blank line, then
/// a line starting `From `. Searched in the bytes already read, so the file is read once.
fn has_second_message(raw: &[u8]) -> bool {
    let first_line_end = memchr::memchr(b'\n', raw).map_or(raw.len(), |i| i + 1);
    let rest = &raw[first_line_end..];
    memchr::memmem::find_iter(rest, b"\nFrom ").any(|i| {
        // `i` is the newline ending the blank line; the line before it must be empty.
        let before = &rest[..i];
        let before = before.strip_suffix(b"\r").unwrap_or(before);
        before.is_empty() && first_line_end > 0 && raw[first_line_end - 1] == b'\n' || before.ends_with(b"\n")
    })
}

fn read_mbox(path: &Path, max_bytes: usize, emit: &mut Emit<'_>) -> bool {
    let f = match File::open(path) {
        Ok(f) => f,
        Err(e) => return emit(loc(path), Err(ReadError::Io(e.to_string()))),
    };
    let mut reader = MboxReader::new(BufReader::with_capacity(1 << 16, f), max_bytes);
    let mut index = 0;
    loop {
        index += 1;
        let here = Location { path: path.display().to_string(), mbox_index: Some(index) };
        match reader.next_message() {
            Ok(None) => return true,
            Ok(Some(MboxMessage::Mail(m))) => {
                if !emit(here, Ok(m)) {
                    return false;
                }
            }
            Ok(Some(MboxMessage::TooLarge(size))) => {
                if !emit(here, Err(ReadError::TooLarge { size, limit: max_bytes })) {
                    return false;
                }
            }
            Err(e) => return emit(here, Err(ReadError::Io(e.to_string()))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_message_needs_a_blank_line_before_its_from_line() {
        assert!(has_second_message(b"From a@b Mon\nSubject: 1\n\nbody\n\nFrom c@d Tue\nSubject: 2\n"));
        assert!(has_second_message(b"From a@b Mon\r\nSubject: 1\r\n\r\nbody\r\n\r\nFrom c@d Tue\r\n"));
        // The blank line straight after the envelope line counts too.
        assert!(has_second_message(b"From a@b Mon\n\nFrom c@d Tue\n"));
        // "From " inside a paragraph is prose, and the envelope line itself is not a second mail.
        assert!(!has_second_message(b"From a@b Mon\nSubject: 1\n\nsaid\nFrom here on\n"));
        assert!(!has_second_message(b"From a@b Mon\nSubject: 1\n"));
        assert!(!has_second_message(b"From a@b"));
    }

    fn read_all(path: &Path, max_bytes: usize) -> Vec<Result<Vec<u8>, String>> {
        let mut out = Vec::new();
        let opts = WalkOptions { max_bytes, split_mbox: true, follow_links: false };
        for_each_message(&[path.to_path_buf()], &opts, &mut |_, r| {
            out.push(r.map_err(|e| e.to_string()));
            true
        });
        out
    }

    #[test]
    fn files_read_whole_around_the_head_size_and_bounded() {
        let dir = std::env::temp_dir().join(format!("kaibo-sources-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for size in [0, 1, 511, 512, 513, 8_192, 100_000] {
            let body: Vec<u8> = (0..size).map(|i| b'a' + (i % 26) as u8).collect();
            let path = dir.join(format!("{size}.eml"));
            std::fs::write(&path, &body).unwrap();
            assert_eq!(read_all(&path, 1 << 20), vec![Ok(body.clone())], "{size} bytes");
            if size > 600 {
                let r = read_all(&path, 600);
                assert!(matches!(&r[..], [Err(e)] if e.contains("larger than the limit")), "{size}: {r:?}");
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
