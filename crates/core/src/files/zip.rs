//! ZIP: the names of the files inside an archive, and whether any is encrypted.

use crate::limits::*;

/// The listing of a ZIP archive.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArchiveFacts {
    /// Names of the files inside, in archive order, each at most [`ZIP_MAX_NAME_BYTES`] long.
    pub entries: Vec<String>,
    /// At least one entry is encrypted: filters cannot look inside, the mail gives the password.
    pub encrypted: bool,
    /// The listing stopped at a limit (per archive or per mail): the archive names more.
    pub listing_cut: bool,
}

/// Lists a ZIP archive from its central directory (or, when that is missing or damaged, from
/// its local file headers), spending at most `budget` (shared by every archive of a mail).
///
/// Each header claims its own name length, up to 64 KiB, and nothing stops a hostile archive
/// from making those names overlap the headers after them: walking every `PK\3\4` would then
/// read each byte hundreds of times. So the walk continues after a header's name and extra
/// field (and its data, when the header gives the size), names are cut at
/// [`ZIP_MAX_NAME_BYTES`], and the listing stops at the per-archive and per-mail caps with
/// `listing_cut` set.
pub fn inspect_zip(b: &[u8], budget: &mut ListingBudget) -> ArchiveFacts {
    let mut facts = ArchiveFacts::default();
    let mut spent = 0usize;
    // Adds one entry; false when a cap stops the listing.
    let mut push = |facts: &mut ArchiveFacts, name: &[u8]| -> bool {
        let name = clip_name(name);
        if facts.entries.len() >= ZIP_MAX_ENTRIES
            || budget.entries == 0
            || spent + name.len() > ZIP_MAX_LISTING_BYTES
            || name.len() > budget.bytes
        {
            facts.listing_cut = true;
            return false;
        }
        spent += name.len();
        budget.entries -= 1;
        budget.bytes -= name.len();
        facts.entries.push(name);
        true
    };
    // End of central directory: the last "PK\5\6" within the final 64 KiB + 22 bytes.
    let tail_start = b.len().saturating_sub(65_557);
    let central =
        memchr::memmem::rfind(&b[tail_start..], b"PK\x05\x06").map(|i| tail_start + i).and_then(|eocd| {
            let offset = u32::from_le_bytes(b.get(eocd + 16..eocd + 20)?.try_into().ok()?) as usize;
            (offset < b.len()).then_some(offset)
        });
    if let Some(mut p) = central {
        while b.get(p..p + 4) == Some(b"PK\x01\x02") {
            let Some(h) = b.get(p..p + 46) else { break };
            let flags = u16::from_le_bytes([h[8], h[9]]);
            let name_len = u16::from_le_bytes([h[28], h[29]]) as usize;
            let extra_len = u16::from_le_bytes([h[30], h[31]]) as usize;
            let comment_len = u16::from_le_bytes([h[32], h[33]]) as usize;
            let Some(name) = b.get(p + 46..p + 46 + name_len) else { break };
            facts.encrypted |= flags & 1 == 1;
            if !push(&mut facts, name) {
                break;
            }
            p += 46 + name_len + extra_len + comment_len;
        }
    }
    if facts.entries.is_empty() && !facts.listing_cut {
        let finder = memchr::memmem::Finder::new(b"PK\x03\x04");
        let mut pos = 0;
        while let Some(i) = finder.find(&b[pos..]).map(|i| pos + i) {
            let Some(h) = b.get(i..i + 30) else { break };
            let flags = u16::from_le_bytes([h[6], h[7]]);
            let compressed = u32::from_le_bytes([h[18], h[19], h[20], h[21]]) as usize;
            let name_len = u16::from_le_bytes([h[26], h[27]]) as usize;
            let extra_len = u16::from_le_bytes([h[28], h[29]]) as usize;
            let Some(name) = b.get(i + 30..i + 30 + name_len) else { break };
            facts.encrypted |= flags & 1 == 1;
            if !push(&mut facts, name) {
                break;
            }
            // The next header starts after this one's name and extra field, and after its data
            // when the size is in the header (bit 3 puts it in a descriptor after the data).
            let data = if flags & 8 == 0 { compressed } else { 0 };
            pos = (i + 30 + name_len + extra_len).saturating_add(data).min(b.len());
        }
    }
    facts
}

/// An entry name as text, cut at [`ZIP_MAX_NAME_BYTES`] on a character boundary.
fn clip_name(name: &[u8]) -> String {
    let text = String::from_utf8_lossy(&name[..name.len().min(ZIP_MAX_NAME_BYTES + 4)]);
    if text.len() <= ZIP_MAX_NAME_BYTES {
        return text.into_owned();
    }
    let mut end = ZIP_MAX_NAME_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A local file header claiming a name of `name_len` bytes, followed by `body`.
    fn local_header(name_len: u16, body: &[u8]) -> Vec<u8> {
        let mut h = b"PK\x03\x04\x14\x00\x00\x00\x00\x00".to_vec();
        h.extend_from_slice(&[0u8; 16]);
        h.extend_from_slice(&name_len.to_le_bytes());
        h.extend_from_slice(&[0, 0]);
        h.extend_from_slice(body);
        h
    }

    #[test]
    fn overlapping_local_headers_are_read_once() {
        // 500 headers 160 bytes apart, each claiming a 65,535-byte name that runs over the
        // headers after it: before, the listing held 32 MiB of names.
        let mut zip = Vec::new();
        for i in 0..500 {
            let mut body = format!("n{i:04}").into_bytes();
            body.resize(130, b'A');
            zip.extend(local_header(u16::MAX, &body));
        }
        let facts = inspect_zip(&zip, &mut ListingBudget::default());
        assert_eq!(facts.entries.len(), 1, "the first name swallows the rest");
        assert!(facts.entries[0].chars().count() <= ZIP_MAX_NAME_BYTES + 1);
        assert!(facts.entries[0].ends_with('…'));
        let total: usize = facts.entries.iter().map(String::len).sum();
        assert!(total <= ZIP_MAX_NAME_BYTES + 3);
    }

    #[test]
    fn listings_stop_at_the_archive_and_mail_caps() {
        let mut zip = Vec::new();
        for i in 0..(ZIP_MAX_ENTRIES + 100) {
            zip.extend(local_header(9, format!("f{i:08}").as_bytes()));
        }
        let mut budget = ListingBudget::default();
        let facts = inspect_zip(&zip, &mut budget);
        assert_eq!(facts.entries.len(), ZIP_MAX_ENTRIES);
        assert!(facts.listing_cut);
        assert_eq!(facts.entries[1], "f00000001");
        // The mail's budget is shared: after four such archives, the fifth lists nothing.
        for _ in 0..3 {
            assert_eq!(inspect_zip(&zip, &mut budget).entries.len(), ZIP_MAX_ENTRIES);
        }
        let last = inspect_zip(&zip, &mut budget);
        assert!(last.entries.is_empty() && last.listing_cut);
        // Long names spend the byte budget of one archive first.
        let long: Vec<u8> = (0..400).flat_map(|i| local_header(500, &[b'a' + (i % 26) as u8; 500])).collect();
        let facts = inspect_zip(&long, &mut ListingBudget::default());
        assert_eq!(facts.entries.len(), ZIP_MAX_LISTING_BYTES / 500);
        assert!(facts.listing_cut);
    }
}
