//! Every bound the offline analysis puts on a mail, in one place.
//!
//! Mail is written by the attacker, so each size, depth and count that grows with the input is
//! capped here, and what kaibo does when a cap is hit is part of its output: a structure defect,
//! a `…_cut` flag, or a note. `docs/limits.md` lists these with what the output says; keep the
//! two in step (a test checks that every name here appears there).
//!
//! The caps are chosen so that a mail of the default maximum size (50 MB) stays well under 1 GB
//! of memory and a few seconds of time in the worst shapes known (docs/limits.md measures them).

/// Default bound on the size of one mail: 50 MB. `--max-size` changes it.
pub const DEFAULT_MAX_INPUT_BYTES: usize = 50 * 1024 * 1024;
/// The largest `--max-size` accepted: the MIME parser addresses a mail with 32-bit offsets, and
/// the analysis holds a few copies of it.
pub const MAX_INPUT_BYTES_CEILING: usize = 2 * 1024 * 1024 * 1024;

/// Attached mails (`message/rfc822`) are read this many levels deep; a forward of a forward of
/// a phishing mail is unwrapped down to the innermost one within this depth.
pub const MAX_ATTACHED_DEPTH: usize = 8;

/// Header fields read in full. Past this many, only the sender, recipient, subject, date and
/// Message-ID headers are read; the rest are counted.
pub const MAX_HEADER_FIELDS: usize = 10_000;
/// Received hops kept in the route (real mail has a few dozen at most).
pub const MAX_HOPS: usize = 100;
/// To and Cc addresses kept (a mail may name millions; redaction covers the kept ones).
pub const MAX_RECIPIENTS: usize = 1_000;
/// Text and HTML body parts read per message.
pub const MAX_BODY_PARTS: usize = 1_000;
/// Attachments listed per message.
pub const MAX_ATTACHMENTS: usize = 1_000;

/// Links read per mail as written (each distinct string once), before they are normalised.
pub const MAX_RAW_LINKS: usize = 2_000;
/// Links kept per mail (after de-duplication).
pub const MAX_LINKS: usize = 500;
/// `mailto:` addresses kept per mail.
pub const MAX_MAILTO: usize = 50;
/// Characters of the subject the checks read.
pub const MAX_SUBJECT_CHARS: usize = 1000;

/// Characters of one value from the mail kept in the analysis; the cut is the model's
/// (`kaibo_model::bounded`), so a value is bounded wherever evidence is made.
pub use kaibo_model::analysis::{MAX_FIELD_CHARS, bounded};
/// Authentication-Results: method results read per header, and properties per result.
pub const MAX_AUTH_RESULTS: usize = 50;
pub const MAX_AUTH_PROPERTIES: usize = 20;

/// HTML: elements deeper than this are read as text of their ancestor.
pub const HTML_MAX_DEPTH: usize = 256;
/// HTML: hidden text fragments kept, and characters of each.
pub const HTML_MAX_HIDDEN_FRAGMENTS: usize = 20;
pub const HTML_MAX_FRAGMENT_CHARS: usize = 200;
/// Scripts of an HTML or SVG document: bytes of script text read; base64 literals decoded and
/// the longest decoded; web addresses and decoded HTML documents kept.
pub const SCRIPT_MAX_BYTES: usize = 512 * 1024;
pub const SCRIPT_MAX_DECODED_LITERALS: usize = 16;
pub const SCRIPT_MAX_LITERAL_BYTES: usize = 256 * 1024;
pub const SCRIPT_MAX_URLS: usize = 16;
pub const SCRIPT_MAX_DECODED_DOCUMENTS: usize = 4;

/// PDF: streams looked at, bytes inflated per stream and in all, link targets kept.
pub const PDF_MAX_STREAMS: usize = 4_000;
pub const PDF_MAX_STREAM_OUT: u64 = 4 << 20;
pub const PDF_MAX_TOTAL_OUT: usize = 32 << 20;
pub const PDF_MAX_URIS: usize = 50;

/// ZIP listings. One archive lists at most this many entries and this many bytes of names; a
/// name longer than the cap is cut (with `…`). Over all the archives of one mail, the listing
/// budget is shared, so forty hostile archives cost no more than one large listing.
pub const ZIP_MAX_ENTRIES: usize = 500;
pub const ZIP_MAX_NAME_BYTES: usize = 512;
pub const ZIP_MAX_LISTING_BYTES: usize = 64 * 1024;
pub const MAIL_MAX_ARCHIVE_ENTRIES: usize = 2_000;
pub const MAIL_MAX_ARCHIVE_LISTING_BYTES: usize = 256 * 1024;

/// QR codes: pictures decoded per mail, their size in bytes and pixels, and the side they are
/// scaled down to before detection.
pub const QR_MAX_IMAGES: usize = 6;
pub const QR_IMAGE_MIN_BYTES: usize = 500;
pub const QR_IMAGE_MAX_BYTES: usize = 10 << 20;
pub const QR_MAX_PIXELS: u64 = 25_000_000;
pub const QR_WORK_SIDE: u32 = 1_200;
/// Memory the image decoder may allocate for one picture.
pub const QR_MAX_DECODE_ALLOC: u64 = 256 << 20;

/// How much of what an archive lists one mail may still spend.
#[derive(Debug, Clone)]
pub struct ListingBudget {
    pub entries: usize,
    pub bytes: usize,
}

impl Default for ListingBudget {
    fn default() -> Self {
        ListingBudget { entries: MAIL_MAX_ARCHIVE_ENTRIES, bytes: MAIL_MAX_ARCHIVE_LISTING_BYTES }
    }
}

/// MIME boundary lines (`--…`) read per mail; the mail is read up to the line past this many.
pub const MAX_MIME_DELIMITERS: usize = 10_000;

/// Headers kept past [`MAX_HEADER_FIELDS`] in one block when the block is shaped down before
/// parsing: who sent it, to whom, what it says it is, and how its body is encoded.
const KEPT_PAST_THE_CAP: &[&str] = &[
    "from",
    "to",
    "cc",
    "reply-to",
    "subject",
    "return-path",
    "date",
    "message-id",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "content-disposition",
];

/// The mail shaped so the MIME parser's memory stays bounded, and what was left out; `None`
/// when the mail is within the bounds (almost always, and then nothing is copied).
///
/// The parser keeps a record per header field and per MIME part, some hundreds of bytes each:
/// 50 MB of one-line header fields or of empty parts made it take a gigabyte. So, before
/// parsing, any run of more than [`MAX_HEADER_FIELDS`] consecutive header-field lines (in any
/// header block: the mail's, a part's, an attached mail's) keeps only the fields of
/// `KEPT_PAST_THE_CAP` after the cap, and the mail is read only up to its
/// [`MAX_MIME_DELIMITERS`]th boundary line.
pub fn shape_for_parser(raw: &[u8]) -> Option<(Vec<u8>, Vec<String>)> {
    // Neither cap can be passed in fewer lines than the caps (a fast count, for almost all mail).
    if memchr::memchr_iter(b'\n', raw).count() <= MAX_HEADER_FIELDS.min(MAX_MIME_DELIMITERS) {
        return None;
    }
    let mut out: Option<Vec<u8>> = None;
    let mut notes = Vec::new();
    let (mut run_fields, mut dropping, mut dropped, mut delimiters) = (0usize, false, 0usize, 0usize);
    let mut pos = 0;
    while pos < raw.len() {
        let end = memchr::memchr(b'\n', &raw[pos..]).map_or(raw.len(), |i| pos + i + 1);
        let line = &raw[pos..end];
        if line.starts_with(b"--") && line.get(2).is_some_and(|b| !b.is_ascii_whitespace()) {
            delimiters += 1;
            if delimiters > MAX_MIME_DELIMITERS {
                // The copy so far holds what was kept up to here.
                out.get_or_insert_with(|| raw[..pos].to_vec());
                notes.push(format!(
                    "MIME: more than {MAX_MIME_DELIMITERS} boundary lines; the mail was read up to there"
                ));
                break;
            }
        }
        let continuation = matches!(line.first(), Some(b' ' | b'\t')) && run_fields > 0;
        let name_end = field_name_end(line);
        let keep = if continuation {
            !dropping
        } else if let Some(n) = name_end {
            run_fields += 1;
            dropping = run_fields > MAX_HEADER_FIELDS
                && !KEPT_PAST_THE_CAP.iter().any(|k| line[..n].eq_ignore_ascii_case(k.as_bytes()));
            !dropping
        } else {
            run_fields = 0;
            dropping = false;
            true
        };
        match (&mut out, keep) {
            (Some(o), true) => o.extend_from_slice(line),
            (None, false) => out = Some(raw[..pos].to_vec()),
            _ => {}
        }
        if !keep {
            dropped += 1;
        }
        pos = end;
    }
    if dropped > 0 {
        notes.insert(
            0,
            format!(
                "headers: a header block of more than {MAX_HEADER_FIELDS} fields; {dropped} lines past them were not read (sender, recipient, subject, date and content headers were)"
            ),
        );
    }
    out.map(|o| (o, notes))
}

/// Where a header field's name ends (at its colon), when the line starts a header field.
fn field_name_end(line: &[u8]) -> Option<usize> {
    let colon = memchr::memchr(b':', &line[..line.len().min(256)])?;
    (colon > 0 && line[..colon].iter().all(|&b| (33..=126).contains(&b))).then_some(colon)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_limit_is_documented() {
        let doc = include_str!("../../../docs/limits.md");
        let names: Vec<&str> = include_str!("limits.rs")
            .lines()
            .filter_map(|l| l.trim_start().strip_prefix("pub const "))
            .filter_map(|l| l.split(':').next())
            .collect();
        assert!(names.len() > 20, "{names:?}");
        for name in names {
            assert!(
                doc.contains(&format!("`{name}`")) || doc.contains(&format!("{name}`")),
                "docs/limits.md does not name {name}"
            );
        }
    }

    #[test]
    fn ordinary_mail_is_not_copied() {
        let mail = b"From: a@example.com\r\nSubject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b--\r\n";
        assert!(shape_for_parser(mail).is_none());
    }

    #[test]
    fn long_header_blocks_keep_the_identity_headers_past_the_cap() {
        let mut mail = Vec::new();
        for i in 0..MAX_HEADER_FIELDS + 500 {
            mail.extend(format!("X-H{i}: v\r\n\tfolded\r\n").as_bytes());
        }
        mail.extend(b"From: a@example.com\r\nSubject: late\r\n\r\nbody line: with a colon\r\n");
        let (shaped, notes) = shape_for_parser(&mail).unwrap();
        let text = String::from_utf8(shaped).unwrap();
        assert!(text.contains(&format!("X-H{}: v\r\n\tfolded\r\n", MAX_HEADER_FIELDS - 1)));
        assert!(!text.contains(&format!("X-H{}:", MAX_HEADER_FIELDS)));
        assert!(text.ends_with("From: a@example.com\r\nSubject: late\r\n\r\nbody line: with a colon\r\n"));
        assert!(notes[0].contains("1000 lines past them"), "{notes:?}");
    }

    #[test]
    fn the_mail_is_read_up_to_the_boundary_cap() {
        let mut mail = b"From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n".to_vec();
        for _ in 0..MAX_MIME_DELIMITERS + 10 {
            mail.extend(b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n");
        }
        let (shaped, notes) = shape_for_parser(&mail).unwrap();
        assert_eq!(String::from_utf8_lossy(&shaped).matches("--b\r\n").count(), MAX_MIME_DELIMITERS);
        assert!(notes[0].starts_with("MIME:"));
    }
}
