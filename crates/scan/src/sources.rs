//! Inputs: paths to a stream of messages, detected by shape.

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

/// Why a message could not be read.
#[derive(Debug, Clone)]
pub enum ReadError {
    Io(String),
    TooLarge { size: usize, limit: usize },
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "{e}"),
            ReadError::TooLarge { size, limit } => {
                write!(f, "the message is {size} bytes or more, larger than the limit of {limit} bytes")
            }
        }
    }
}

/// Walks `paths` and calls `emit` for every message, in a stable order (directory entries
/// sorted by name). `emit` returns false to stop early.
pub fn for_each_message(
    paths: &[PathBuf],
    max_bytes: usize,
    split_mbox: bool,
    emit: &mut dyn FnMut(Location, Result<Vec<u8>, ReadError>) -> bool,
) {
    for p in paths {
        if !walk(p, max_bytes, split_mbox, emit) {
            return;
        }
    }
}

fn loc(path: &Path) -> Location {
    Location { path: path.display().to_string(), mbox_index: None }
}

fn walk(
    path: &Path,
    max_bytes: usize,
    split_mbox: bool,
    emit: &mut dyn FnMut(Location, Result<Vec<u8>, ReadError>) -> bool,
) -> bool {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => return emit(loc(path), Err(ReadError::Io(e.to_string()))),
    };
    if meta.is_dir() {
        let mut entries: Vec<PathBuf> = match std::fs::read_dir(path) {
            Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
            Err(e) => return emit(loc(path), Err(ReadError::Io(e.to_string()))),
        };
        entries.sort();
        let is_maildir = ["cur", "new", "tmp"].iter().filter(|d| path.join(d).is_dir()).count() >= 2;
        for e in entries {
            let name = e.file_name().and_then(|n| n.to_str()).unwrap_or("");
            // Hidden files and maildir's tmp/ (messages still being delivered) are not mail.
            if name.starts_with('.') || (is_maildir && name == "tmp") {
                continue;
            }
            if !walk(&e, max_bytes, split_mbox, emit) {
                return false;
            }
        }
        return true;
    }
    if !meta.is_file() {
        return true;
    }
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
    if split_mbox && looks_like_mbox(&head[..head_len]) && is_multi_message_mbox(path) {
        return read_mbox(path, max_bytes, emit);
    }
    if meta.len() as usize > max_bytes {
        return emit(loc(path), Err(ReadError::TooLarge { size: meta.len() as usize, limit: max_bytes }));
    }
    let mut raw = head[..head_len].to_vec();
    let result = if head_len < head.len() {
        Ok(()) // The head was the whole file.
    } else {
        read_rest(&mut file, &mut raw, meta.len() as usize, max_bytes + 1)
    };
    match result {
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
fn is_multi_message_mbox(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("").to_ascii_lowercase();
    if name.ends_with(".mbox") || name.ends_with(".mbx") || name == "mbox" {
        return true;
    }
    let Ok(f) = File::open(path) else { return false };
    let mut reader = BufReader::new(f);
    let mut line = Vec::new();
    let mut prev_blank = false;
    let mut first = true;
    use std::io::BufRead;
    while reader.read_until(b'\n', &mut line).unwrap_or(0) > 0 {
        if !first && prev_blank && line.starts_with(b"From ") {
            return true;
        }
        first = false;
        prev_blank = line == b"\n" || line == b"\r\n";
        line.clear();
    }
    false
}

fn read_mbox(
    path: &Path,
    max_bytes: usize,
    emit: &mut dyn FnMut(Location, Result<Vec<u8>, ReadError>) -> bool,
) -> bool {
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

    fn read_all(path: &Path, max_bytes: usize) -> Vec<Result<Vec<u8>, String>> {
        let mut out = Vec::new();
        for_each_message(&[path.to_path_buf()], max_bytes, true, &mut |_, r| {
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
