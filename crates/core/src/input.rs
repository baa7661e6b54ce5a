//! The raw input before parsing: what is refused as not a mail (empty, binary from its first
//! bytes, a first line that is no header field), and the repairs and bounds applied to what is
//! read (an mbox envelope line, NUL bytes in the header block, the shaping of
//! `limits::shape_for_parser`). An Outlook `.msg` file is converted to MIME first ([`crate::msg`]).

use std::borrow::Cow;

use mail_parser::Message;

use crate::AnalyzeError;

/// The raw mail made ready for the MIME parser, and what was done to it on the way.
pub struct Prepared<'a> {
    pub bytes: Cow<'a, [u8]>,
    /// Repairs, for the analysis' defects (after the parser's own).
    pub defects: Vec<String>,
    /// What the shaping left out, for the analysis' limits (before the parser's own).
    pub limits: Vec<String>,
    /// The file format the mail was converted from (`outlook_msg`), when it was not MIME.
    pub source_format: Option<&'static str>,
}

/// Checks the input and makes it ready for the parser: refuses what is too large, empty or
/// clearly not a mail; reads bare CR line ends as line breaks; drops an mbox envelope line;
/// blanks NULs in the header block; and shapes a hostile mail down to the parser's bounds.
pub fn prepare(raw: &[u8], max_input_bytes: usize) -> Result<Prepared<'_>, AnalyzeError> {
    if raw.len() > max_input_bytes {
        return Err(AnalyzeError::TooLarge { size: raw.len(), limit: max_input_bytes });
    }
    let mut defects = Vec::new();
    // Classic Mac OS mail ends lines with a bare CR; MIME parsers split on LF.
    let head = &raw[..raw.len().min(8192)];
    let mut bytes = if !head.contains(&b'\n') && head.contains(&b'\r') {
        defects.push("lines end in a bare CR (classic Mac OS), read as line breaks".to_string());
        Cow::Owned(raw.iter().map(|&b| if b == b'\r' { b'\n' } else { b }).collect())
    } else {
        Cow::Borrowed(raw)
    };
    let envelope = bytes.len() - skip_mbox_separator(&bytes).len();
    if envelope > 0 {
        bytes = match bytes {
            Cow::Borrowed(b) => Cow::Borrowed(&b[envelope..]),
            Cow::Owned(mut v) => {
                v.drain(..envelope);
                Cow::Owned(v)
            }
        };
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(AnalyzeError::Empty);
    }
    let mut source_format = None;
    if crate::msg::is_compound_file(&bytes) {
        let converted = std::panic::catch_unwind(|| crate::msg::to_mime(&bytes, max_input_bytes))
            .map_err(|_| AnalyzeError::NotAMail("the Outlook message reader failed on this input".into()))?
            .map_err(AnalyzeError::NotAMail)?;
        bytes = Cow::Owned(converted);
        source_format = Some("outlook_msg");
    }
    if let Some(why) = not_a_mail(&bytes) {
        return Err(AnalyzeError::NotAMail(why));
    }
    if let Some(fixed) = blank_header_nuls(&bytes) {
        defects.push("NUL bytes in the header block (read as spaces)".to_string());
        bytes = Cow::Owned(fixed);
    }
    let mut limits = Vec::new();
    if let Some((shaped, notes)) = crate::limits::shape_for_parser(&bytes) {
        bytes = Cow::Owned(shaped);
        limits = notes;
    }
    Ok(Prepared { bytes, defects, limits, source_format })
}

/// The mail without an mbox envelope line (`From …`) in front of it.
pub fn skip_mbox_separator(raw: &[u8]) -> &[u8] {
    if raw.starts_with(b"From ") {
        match memchr::memchr(b'\n', raw) {
            Some(i) => &raw[i + 1..],
            None => raw,
        }
    } else {
        raw
    }
}

/// Whether the input is clearly not a mail, and why. A mail starts with a header field; a
/// binary file shows itself in its first bytes (a file format's signature, or mostly control
/// bytes). A stray NUL or control byte inside a mail does not make it binary: phishing with one
/// must still be analysed, so only the shape of the start decides.
pub fn not_a_mail(raw: &[u8]) -> Option<String> {
    let head = &raw[..raw.len().min(4096)];
    if let Some(kind) =
        crate::mail::detect_type(head).filter(|t| !t.starts_with("text/") && !t.contains("svg"))
    {
        return Some(format!("binary data ({kind})"));
    }
    // Control bytes other than white space and ESC (ISO-2022-JP): text has almost none.
    let control =
        head.iter().filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b)).count();
    if control * 8 > head.len() {
        return Some("binary data (mostly control bytes)".into());
    }
    let first = head
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .find(|l| !l.iter().all(|&b| b == 0 || b.is_ascii_whitespace()))?;
    let colon = first.iter().position(|&b| b == b':');
    let valid = colon.is_some_and(|c| {
        c > 0 && first[..c].iter().all(|&b| ((33..=126).contains(&b) && b != b':') || b == 0)
    });
    (!valid).then(|| "the first line is not a header field".into())
}

/// NUL bytes in the header block, read as spaces (same length, so the parser's offsets stay
/// right). Mail parsers and clients differ on NULs; a mail must not escape analysis by one.
/// Bodies keep their bytes: a NUL there is data (and attachments keep their hashes).
pub fn blank_header_nuls(raw: &[u8]) -> Option<Vec<u8>> {
    let end = memchr::memmem::find(raw, b"\n\r\n")
        .or_else(|| memchr::memmem::find(raw, b"\n\n"))
        .unwrap_or(raw.len());
    let head = &raw[..end];
    memchr::memchr(0, head)?;
    let mut fixed = raw.to_vec();
    for b in &mut fixed[..end] {
        if *b == 0 {
            *b = b' ';
        }
    }
    Some(fixed)
}

/// Whether the parsed message has at least one header a mail has.
pub fn has_mail_headers(msg: &Message<'_>) -> bool {
    const KNOWN: &[&str] = &[
        "from",
        "to",
        "subject",
        "date",
        "message-id",
        "received",
        "return-path",
        "mime-version",
        "content-type",
        "delivered-to",
        "reply-to",
        "sender",
        "cc",
    ];
    msg.root_part().headers().iter().any(|h| KNOWN.iter().any(|k| h.name().eq_ignore_ascii_case(k)))
}
