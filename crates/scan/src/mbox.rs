//! Streaming mbox reader (RFC 4155).
//!
//! A message starts at a line beginning with `From ` at the start of the file or after a blank
//! line. Body lines quoted as `>From ` (mboxo) or `>>From ` (mboxrd) lose one `>`. When a message
//! declares `Content-Length` (mboxcl/mboxcl2) and the line after that many body bytes is a
//! separator or the end of the file, the length is trusted, so unquoted `From ` lines inside
//! the body do not split it.

use std::io::{self, BufRead};

/// Lines are read in pieces of at most this many bytes, so a file without line breaks costs a
/// buffer of this size, not of the file's.
pub const MAX_LINE_PIECE: usize = 64 * 1024;

/// Reads the next piece of a line into `buf` (cleared first): up to and including its `\n`, or
/// [`MAX_LINE_PIECE`] bytes of it. False at the end of the input.
pub fn read_line_piece<R: BufRead>(input: &mut R, buf: &mut Vec<u8>) -> io::Result<bool> {
    buf.clear();
    loop {
        let available = match input.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(!buf.is_empty());
        }
        let room = MAX_LINE_PIECE - buf.len();
        let window = &available[..available.len().min(room)];
        let (n, done) = match memchr::memchr(b'\n', window) {
            Some(i) => (i + 1, true),
            None => (window.len(), window.len() == room),
        };
        buf.extend_from_slice(&window[..n]);
        input.consume(n);
        if done {
            return Ok(true);
        }
    }
}

/// Iterates the messages of an mbox, one `Vec<u8>` each, reading line by line (in bounded
/// pieces: see [`read_line_piece`]). A message over the size limit is read past, not kept.
pub struct MboxReader<R> {
    input: R,
    pending_separator: bool,
    done: bool,
    max_message_bytes: usize,
    line: Vec<u8>,
    /// The piece in `line` starts a line (the one before ended with `\n`).
    at_line_start: bool,
}

/// One message of an mbox: its bytes, or a note that it was over the size limit (its bytes were
/// skipped, not kept).
pub enum MboxMessage {
    Mail(Vec<u8>),
    TooLarge(usize),
}

impl<R: BufRead> MboxReader<R> {
    pub fn new(input: R, max_message_bytes: usize) -> Self {
        MboxReader {
            input,
            pending_separator: false,
            done: false,
            max_message_bytes,
            line: Vec::new(),
            at_line_start: true,
        }
    }

    /// The next piece of a line; `at_line_start` tells whether it begins one.
    fn read_line(&mut self) -> io::Result<bool> {
        self.at_line_start = self.line.is_empty() || self.line.ends_with(b"\n");
        read_line_piece(&mut self.input, &mut self.line)
    }

    /// A separator: `From ` at the start of a line.
    fn at_separator(&self) -> bool {
        self.at_line_start && self.line.starts_with(b"From ")
    }

    /// The next message, or `None` at the end.
    pub fn next_message(&mut self) -> io::Result<Option<MboxMessage>> {
        if self.done {
            return Ok(None);
        }
        if !self.pending_separator {
            // Skip to the first separator.
            loop {
                if !self.read_line()? {
                    self.done = true;
                    return Ok(None);
                }
                if self.at_separator() {
                    break;
                }
            }
        }
        // The rest of a separator line longer than a piece.
        while !self.line.ends_with(b"\n") {
            if !self.read_line()? {
                self.done = true;
                break;
            }
        }
        self.pending_separator = false;
        let mut msg: Vec<u8> = Vec::new();
        let mut size = 0usize;
        let mut too_large = false;
        let mut in_headers = true;
        let mut content_length: Option<usize> = None;
        let mut body_bytes = 0usize;
        let mut prev_blank = false;
        loop {
            if !self.read_line()? {
                self.done = true;
                break;
            }
            let line_start = self.at_line_start;
            let is_blank = line_start && (self.line == b"\n" || self.line == b"\r\n");
            if self.at_separator() && (prev_blank || msg.is_empty() && size == 0) {
                let trust_length = content_length.is_some_and(|cl| body_bytes >= cl);
                if content_length.is_none() || trust_length {
                    self.pending_separator = true;
                    break;
                }
            }
            if in_headers {
                if is_blank {
                    in_headers = false;
                } else if line_start
                    && self.line.len() > 15
                    && self.line[..15].eq_ignore_ascii_case(b"content-length:")
                {
                    content_length =
                        std::str::from_utf8(&self.line[15..]).ok().and_then(|s| s.trim().parse().ok());
                }
            } else {
                body_bytes += self.line.len();
            }
            prev_blank = is_blank;
            // Unquote >From / >>From lines (one level).
            let unquoted: &[u8] = {
                let gt = if line_start { self.line.iter().take_while(|&&b| b == b'>').count() } else { 0 };
                if gt > 0 && self.line[gt..].starts_with(b"From ") { &self.line[1..] } else { &self.line }
            };
            size = size.saturating_add(unquoted.len());
            if size > self.max_message_bytes {
                too_large = true;
                msg = Vec::new();
            } else if !too_large {
                msg.extend_from_slice(unquoted);
            }
        }
        // The blank line before a separator belongs to the mbox format, not to the message.
        if msg.ends_with(b"\n\n") {
            msg.pop();
        } else if msg.ends_with(b"\r\n\r\n") {
            msg.truncate(msg.len() - 2);
        }
        Ok(Some(if too_large { MboxMessage::TooLarge(size) } else { MboxMessage::Mail(msg) }))
    }
}

/// Does this start look like an mbox: a `From ` line followed by a header field?
pub fn looks_like_mbox(head: &[u8]) -> bool {
    if !head.starts_with(b"From ") {
        return false;
    }
    let Some(nl) = memchr::memchr(b'\n', head) else { return false };
    let next = &head[nl + 1..];
    let colon = next.iter().position(|&b| b == b':');
    colon.is_some_and(|c| c > 0 && next[..c].iter().all(|&b| b.is_ascii_graphic()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(data: &[u8]) -> Vec<Vec<u8>> {
        let mut r = MboxReader::new(data, 1 << 20);
        let mut out = Vec::new();
        while let Some(m) = r.next_message().unwrap() {
            match m {
                MboxMessage::Mail(m) => out.push(m),
                MboxMessage::TooLarge(_) => out.push(b"TOO LARGE".to_vec()),
            }
        }
        out
    }

    #[test]
    fn splits_and_unquotes() {
        let mbox = b"From a@x Mon Jan 1 00:00:00 2024\nSubject: one\n\nhello\n>From the start\n>>From deeper\n\nFrom b@x Mon Jan 1 00:00:00 2024\nSubject: two\n\nbye\n";
        let msgs = all(mbox);
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0], b"Subject: one\n\nhello\nFrom the start\n>From deeper\n");
        assert_eq!(msgs[1], b"Subject: two\n\nbye\n");
    }

    #[test]
    fn content_length_keeps_unquoted_from_lines() {
        let body = "line\n\nFrom here on it is body\n";
        let mbox = format!(
            "From a@x Mon Jan 1 00:00:00 2024\nContent-Length: {}\nSubject: cl\n\n{body}\nFrom b@x Mon Jan 1 00:00:00 2024\nSubject: two\n\nx\n",
            body.len()
        );
        let msgs = all(mbox.as_bytes());
        assert_eq!(msgs.len(), 2, "{msgs:?}");
        assert!(String::from_utf8_lossy(&msgs[0]).contains("From here on it is body"));
    }

    #[test]
    fn oversized_messages_are_skipped_not_kept() {
        let mbox =
            format!("From a@x\nSubject: big\n\n{}\n\nFrom b@x\nSubject: small\n\nx\n", "y".repeat(5000));
        let mut r = MboxReader::new(mbox.as_bytes(), 1000);
        assert!(matches!(r.next_message().unwrap(), Some(MboxMessage::TooLarge(_))));
        assert!(matches!(r.next_message().unwrap(), Some(MboxMessage::Mail(_))));
        assert!(r.next_message().unwrap().is_none());
    }

    #[test]
    fn lines_are_read_in_bounded_pieces() {
        // A message whose one line is far longer than a piece: kept whole while under the
        // limit, skipped (not buffered) when over it; a "From " inside the line is no separator.
        let long = "x".repeat(3 * MAX_LINE_PIECE) + "From inside the line";
        let mbox = format!("From a@x\nSubject: long\n\n{long}\n\nFrom b@x\nSubject: two\n\nx\n");
        let msgs = all(mbox.as_bytes());
        assert_eq!(msgs.len(), 2);
        assert!(msgs[0].ends_with(format!("{long}\n").as_bytes()));
        let mut r = MboxReader::new(mbox.as_bytes(), MAX_LINE_PIECE);
        assert!(
            matches!(r.next_message().unwrap(), Some(MboxMessage::TooLarge(n)) if n > 3 * MAX_LINE_PIECE)
        );
        assert!(matches!(r.next_message().unwrap(), Some(MboxMessage::Mail(_))));
        // No line break at all after the header: the reader's buffer stays one piece.
        let endless = format!("From a@x\nSubject: x\n{}", "y".repeat(10 * MAX_LINE_PIECE));
        let mut r = MboxReader::new(endless.as_bytes(), 1000);
        assert!(matches!(r.next_message().unwrap(), Some(MboxMessage::TooLarge(_))));
        assert!(r.line.capacity() <= 2 * MAX_LINE_PIECE);
        assert!(r.next_message().unwrap().is_none());
    }

    #[test]
    fn detects_mbox() {
        assert!(looks_like_mbox(b"From a@x Mon Jan 1\nSubject: x\n"));
        assert!(!looks_like_mbox(b"From: a@x\nSubject: x\n"));
        assert!(!looks_like_mbox(b"From here on\nthis is prose\n"));
    }
}
