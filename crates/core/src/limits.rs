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

/// Links kept per mail (after de-duplication).
pub const MAX_LINKS: usize = 500;
/// `mailto:` addresses kept per mail.
pub const MAX_MAILTO: usize = 50;
/// Characters of the subject the checks read.
pub const MAX_SUBJECT_CHARS: usize = 1000;

/// HTML: elements deeper than this are read as text of their ancestor.
pub const HTML_MAX_DEPTH: usize = 256;
/// HTML: hidden text fragments kept, and characters of each.
pub const HTML_MAX_HIDDEN_FRAGMENTS: usize = 20;
pub const HTML_MAX_FRAGMENT_CHARS: usize = 200;

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
