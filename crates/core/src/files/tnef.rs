//! TNEF (`winmail.dat`, `application/ms-tnef`): the names of the files Outlook packed inside.
//!
//! Outlook sends rich-text mail with its attachments wrapped in one TNEF stream, so a reader
//! without Outlook sees only `winmail.dat`. kaibo lists what is inside, as it lists a ZIP's
//! entries, so an executable hidden there is seen. The stream is a sequence of attributes
//! (level, id, length, data, checksum); a file's name is its `attAttachTitle` (8.3), replaced
//! by the long name (`PR_ATTACH_LONG_FILENAME`) from its MAPI properties when present.

/// The TNEF signature, little-endian, at the start of the stream.
pub const SIGNATURE: u32 = 0x223E_9F78;
const ATT_ATTACH_TITLE: u32 = 0x0001_8010;
const ATT_ATTACH_REND_DATA: u32 = 0x0006_9002;
const ATT_ATTACHMENT: u32 = 0x0006_9005;
const LEVEL_ATTACHMENT: u8 = 2;
/// Entries listed at most.
pub const MAX_ENTRIES: usize = 256;

pub fn is_tnef(b: &[u8]) -> bool {
    b.len() >= 6 && u32::from_le_bytes([b[0], b[1], b[2], b[3]]) == SIGNATURE
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// The names of the attachments inside a TNEF stream, in order.
pub fn entries(b: &[u8]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    if !is_tnef(b) {
        return names;
    }
    let mut at = 6;
    // Whether the current attachment (started by attAttachRendData) has a name yet.
    let mut named = true;
    while at + 9 <= b.len() && names.len() < MAX_ENTRIES {
        let level = b[at];
        let (Some(id), Some(len)) = (u32_at(b, at + 1), u32_at(b, at + 5)) else { break };
        let start = at + 9;
        let Some(end) = start.checked_add(len as usize).filter(|&e| e <= b.len()) else { break };
        let data = &b[start..end];
        if level == LEVEL_ATTACHMENT {
            match id {
                ATT_ATTACH_REND_DATA => named = false,
                ATT_ATTACH_TITLE => {
                    let name =
                        String::from_utf8_lossy(data.split(|&c| c == 0).next().unwrap_or(&[])).into_owned();
                    if !name.is_empty() {
                        names.push(name);
                        named = true;
                    }
                }
                ATT_ATTACHMENT => {
                    if let Some(long) = long_file_name(data) {
                        match names.last_mut() {
                            Some(last) if named => *last = long,
                            _ => {
                                names.push(long);
                                named = true;
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        // Data, then a two-byte checksum.
        at = end + 2;
    }
    names
}

/// `PR_ATTACH_LONG_FILENAME` (0x3707) from an attachment's MAPI property block, read until
/// anything this reader does not know (named properties, multi-valued types) ends it.
fn long_file_name(b: &[u8]) -> Option<String> {
    let count = u32_at(b, 0)?;
    let mut at = 4;
    for _ in 0..count.min(1000) {
        let kind = u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?);
        let id = u16::from_le_bytes(b.get(at + 2..at + 4)?.try_into().ok()?);
        at += 4;
        if id >= 0x8000 || kind & 0x1000 != 0 {
            return None;
        }
        let fixed = match kind {
            0x0002 | 0x0003 | 0x0004 | 0x000A | 0x000B => Some(4),
            0x0005 | 0x0006 | 0x0007 | 0x0014 | 0x0040 => Some(8),
            0x0048 => Some(16),
            _ => None,
        };
        if let Some(n) = fixed {
            at += n;
            continue;
        }
        // Variable size: a count of values, each a length and the bytes, padded to 4.
        let values = u32_at(b, at)?;
        at += 4;
        for _ in 0..values.min(16) {
            let len = u32_at(b, at)? as usize;
            let data = b.get(at + 4..at + 4 + len)?;
            if id == 0x3707 {
                return match kind {
                    0x001F => {
                        let units: Vec<u16> =
                            data.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
                        Some(String::from_utf16_lossy(&units).trim_end_matches('\0').to_string())
                    }
                    _ => Some(String::from_utf8_lossy(data).trim_end_matches('\0').to_string()),
                }
                .filter(|s| !s.is_empty());
            }
            at += 4 + len.div_ceil(4) * 4;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(level: u8, id: u32, data: &[u8]) -> Vec<u8> {
        let mut v = vec![level];
        v.extend_from_slice(&id.to_le_bytes());
        v.extend_from_slice(&(data.len() as u32).to_le_bytes());
        v.extend_from_slice(data);
        let sum: u16 = data.iter().fold(0u16, |s, &b| s.wrapping_add(u16::from(b)));
        v.extend_from_slice(&sum.to_le_bytes());
        v
    }

    fn long_name_props(name: &str) -> Vec<u8> {
        let utf16: Vec<u8> = name.encode_utf16().chain([0]).flat_map(u16::to_le_bytes).collect();
        let mut v = 2u32.to_le_bytes().to_vec();
        // PR_ATTACH_SIZE (a long), then PR_ATTACH_LONG_FILENAME (Unicode).
        v.extend_from_slice(&0x0003u16.to_le_bytes());
        v.extend_from_slice(&0x0E20u16.to_le_bytes());
        v.extend_from_slice(&1234u32.to_le_bytes());
        v.extend_from_slice(&0x001Fu16.to_le_bytes());
        v.extend_from_slice(&0x3707u16.to_le_bytes());
        v.extend_from_slice(&1u32.to_le_bytes());
        v.extend_from_slice(&(utf16.len() as u32).to_le_bytes());
        v.extend_from_slice(&utf16);
        v.resize(v.len().div_ceil(4) * 4, 0);
        v
    }

    #[test]
    fn names_come_out_long_when_outlook_kept_them() {
        let mut b = SIGNATURE.to_le_bytes().to_vec();
        b.extend_from_slice(&0x1234u16.to_le_bytes());
        b.extend(attr(1, 0x0001_8004, b"IPM.Microsoft Mail.Note\0"));
        b.extend(attr(2, ATT_ATTACH_REND_DATA, &[0; 14]));
        b.extend(attr(2, ATT_ATTACH_TITLE, b"INVOIC~1.EXE\0"));
        b.extend(attr(2, ATT_ATTACHMENT, &long_name_props("Invoice 2024.pdf.exe")));
        b.extend(attr(2, ATT_ATTACH_REND_DATA, &[0; 14]));
        b.extend(attr(2, ATT_ATTACH_TITLE, b"notes.txt\0"));
        assert_eq!(entries(&b), vec!["Invoice 2024.pdf.exe".to_string(), "notes.txt".to_string()]);
    }

    #[test]
    fn broken_streams_end_the_listing() {
        assert!(entries(b"not tnef").is_empty());
        let mut b = SIGNATURE.to_le_bytes().to_vec();
        b.extend_from_slice(&[0, 0]);
        b.extend(attr(2, ATT_ATTACH_TITLE, b"a.exe\0"));
        b.extend_from_slice(&[2, 0x10, 0x80, 0x01, 0x00, 0xff, 0xff, 0xff, 0x7f]);
        assert_eq!(entries(&b), vec!["a.exe".to_string()]);
        assert!(long_file_name(&[0xff; 3]).is_none());
    }
}
