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
    let mut head = [0u8; 512];
    let head_len = match File::open(path).and_then(|mut f| read_up_to(&mut f, &mut head)) {
        Ok(n) => n,
        Err(e) => return emit(loc(path), Err(ReadError::Io(e.to_string()))),
    };
    if split_mbox && looks_like_mbox(&head[..head_len]) && is_multi_message_mbox(path) {
        return read_mbox(path, max_bytes, emit);
    }
    if meta.len() as usize > max_bytes {
        return emit(loc(path), Err(ReadError::TooLarge { size: meta.len() as usize, limit: max_bytes }));
    }
    let mut raw = Vec::with_capacity(meta.len() as usize);
    let result = File::open(path).and_then(|f| f.take(max_bytes as u64 + 1).read_to_end(&mut raw));
    match result {
        Ok(_) if raw.len() > max_bytes => {
            emit(loc(path), Err(ReadError::TooLarge { size: raw.len(), limit: max_bytes }))
        }
        Ok(_) => emit(loc(path), Ok(raw)),
        Err(e) => emit(loc(path), Err(ReadError::Io(e.to_string()))),
    }
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
