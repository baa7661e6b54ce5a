//! Outlook `.msg` files (MS-OXMSG, a Compound File Binary) read as the MIME mail they stand for.
//!
//! People save a suspicious mail from Outlook as `.msg`, and forward it as one. The file is a
//! small file system of property streams; this module reads the properties a dissection needs
//! and writes an RFC 5322 mail of them, which the rest of kaibo reads as any other:
//!
//! - the transport headers Outlook kept (`PR_TRANSPORT_MESSAGE_HEADERS`: Received,
//!   Authentication-Results, From, Date…) become the header block as they were, without their
//!   MIME structure fields (the body's structure is rebuilt); a message that never travelled
//!   (a draft) gets From, To and Subject from its properties;
//! - the plain and HTML bodies become a `multipart/alternative`, the HTML decoded from the code
//!   page the message names (`PR_INTERNET_CPID`);
//! - attachments become MIME parts with their names, types and bytes; an attached `.msg` is
//!   converted in turn (at most [`MAX_DEPTH`] levels) and attached as `message/rfc822`.
//!
//! Everything is bounded: the streams read add up to at most the input limit, and at most
//! [`MAX_ATTACHMENTS`] attachments and [`MAX_RECIPIENTS`] recipients are read. A file that is
//! not a valid compound file is refused as not a mail.

use std::io::{Cursor, Read, Seek};

use base64::Engine;

/// The first bytes of every compound file.
pub const CFB_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
pub const MAX_DEPTH: usize = 3;
pub const MAX_ATTACHMENTS: usize = 256;
pub const MAX_RECIPIENTS: usize = 500;

pub fn is_compound_file(raw: &[u8]) -> bool {
    raw.starts_with(&CFB_MAGIC)
}

/// Converts an Outlook message to a MIME mail.
pub fn to_mime(raw: &[u8], max_bytes: usize) -> Result<Vec<u8>, String> {
    let mut cfb = cfb::CompoundFile::open(Cursor::new(raw))
        .map_err(|e| format!("a compound file that cannot be read ({e})"))?;
    let has_props = cfb.exists("/__properties_version1.0")
        || cfb.read_root_storage().any(|e| e.name().starts_with("__substg1.0_"));
    if !has_props {
        return Err("a compound file that is not an Outlook message (an Office document?)".into());
    }
    let mut budget = max_bytes;
    let mut out = Vec::new();
    write_message(&mut cfb, "/", &mut budget, 0, &mut out)?;
    Ok(out)
}

/// Reads one property stream (`__substg1.0_PPPPTTTT`) under `dir`, within the byte budget.
fn read_prop<F: Read + Seek>(
    cfb: &mut cfb::CompoundFile<F>,
    dir: &str,
    id: u16,
    kind: u16,
    budget: &mut usize,
) -> Option<Vec<u8>> {
    let path = format!("{dir}__substg1.0_{id:04X}{kind:04X}");
    let mut stream = cfb.open_stream(&path).ok()?;
    let len = usize::try_from(stream.len()).ok()?;
    if len > *budget {
        return None;
    }
    *budget -= len;
    let mut buf = Vec::with_capacity(len);
    stream.read_to_end(&mut buf).ok()?;
    Some(buf)
}

/// A string property: Unicode (001F, UTF-16LE) or 8-bit (001E, read as UTF-8 or Latin-1).
fn read_string<F: Read + Seek>(
    cfb: &mut cfb::CompoundFile<F>,
    dir: &str,
    id: u16,
    budget: &mut usize,
) -> Option<String> {
    let s = if let Some(b) = read_prop(cfb, dir, id, 0x001F, budget) {
        let units: Vec<u16> = b.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
        String::from_utf16_lossy(&units)
    } else {
        let b = read_prop(cfb, dir, id, 0x001E, budget)?;
        match String::from_utf8(b) {
            Ok(s) => s,
            Err(e) => e.into_bytes().iter().map(|&b| b as char).collect(),
        }
    };
    let s = s.trim_end_matches('\0').to_string();
    (!s.trim().is_empty()).then_some(s)
}

/// A 32-bit property from the fixed-size property stream (`__properties_version1.0`), whose
/// header is 32 bytes for the top-level message, 24 for an embedded one, 8 for the rest.
fn read_long<F: Read + Seek>(
    cfb: &mut cfb::CompoundFile<F>,
    dir: &str,
    id: u16,
    header: usize,
) -> Option<u32> {
    let mut stream = cfb.open_stream(format!("{dir}__properties_version1.0")).ok()?;
    if stream.len() > 1 << 20 {
        return None;
    }
    let mut buf = Vec::new();
    stream.read_to_end(&mut buf).ok()?;
    let wanted = (u32::from(id) << 16) | 0x0003;
    buf.get(header..)?
        .chunks_exact(16)
        .find(|e| u32::from_le_bytes([e[0], e[1], e[2], e[3]]) == wanted)
        .map(|e| u32::from_le_bytes([e[8], e[9], e[10], e[11]]))
}

/// The encoding of a Windows code page, for the ones mail is written in.
fn code_page(cpid: u32) -> Option<&'static encoding_rs::Encoding> {
    Some(match cpid {
        65001 => encoding_rs::UTF_8,
        932 => encoding_rs::SHIFT_JIS,
        50220..=50222 => encoding_rs::ISO_2022_JP,
        51932 | 20932 => encoding_rs::EUC_JP,
        936 | 54936 => encoding_rs::GB18030,
        949 => encoding_rs::EUC_KR,
        950 => encoding_rs::BIG5,
        1250 => encoding_rs::WINDOWS_1250,
        1251 => encoding_rs::WINDOWS_1251,
        1252 | 20127 | 28591 => encoding_rs::WINDOWS_1252,
        1253 => encoding_rs::WINDOWS_1253,
        1254 => encoding_rs::WINDOWS_1254,
        1255 => encoding_rs::WINDOWS_1255,
        1256 => encoding_rs::WINDOWS_1256,
        874 => encoding_rs::WINDOWS_874,
        _ => return None,
    })
}

/// A header value in RFC 2047 form when it is not plain ASCII.
fn encoded_word(s: &str) -> String {
    let s: String = s.chars().map(|c| if c == '\r' || c == '\n' { ' ' } else { c }).collect();
    if s.is_ascii() {
        return s;
    }
    format!("=?utf-8?b?{}?=", base64::engine::general_purpose::STANDARD.encode(s.as_bytes()))
}

/// `"Name" <address>` for a From or To field.
fn mailbox(name: Option<&str>, address: Option<&str>) -> String {
    let address = address.filter(|a| a.contains('@'));
    match (name, address) {
        (Some(n), Some(a)) => format!("{} <{a}>", encoded_word(&format!("\"{}\"", n.replace('"', "'")))),
        (None, Some(a)) => format!("<{a}>"),
        (Some(n), None) => format!("{}:;", encoded_word(&n.replace([':', ';', ','], " "))),
        (None, None) => "undisclosed-recipients:;".into(),
    }
}

/// The header block Outlook kept, without the fields of its MIME structure.
fn transport_header_block(headers: &str) -> String {
    let mut out = String::new();
    let mut keep = true;
    for line in headers.lines() {
        if line.is_empty() {
            break;
        }
        if !line.starts_with([' ', '\t']) {
            let name = line.split(':').next().unwrap_or("").trim().to_ascii_lowercase();
            keep = !matches!(name.as_str(), "content-type" | "content-transfer-encoding" | "mime-version");
        }
        if keep {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out
}

fn base64_lines(bytes: &[u8], out: &mut Vec<u8>) {
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    for chunk in encoded.as_bytes().chunks(76) {
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\r\n");
    }
}

fn write_message<F: Read + Seek>(
    cfb: &mut cfb::CompoundFile<F>,
    dir: &str,
    budget: &mut usize,
    depth: usize,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    let subject = read_string(cfb, dir, 0x0037, budget);
    match read_string(cfb, dir, 0x007D, budget) {
        Some(h) if h.contains(':') => out.extend_from_slice(transport_header_block(&h).as_bytes()),
        _ => {
            let from_name =
                read_string(cfb, dir, 0x0C1A, budget).or_else(|| read_string(cfb, dir, 0x0042, budget));
            let from_address = read_string(cfb, dir, 0x5D01, budget)
                .or_else(|| read_string(cfb, dir, 0x0C1F, budget))
                .or_else(|| read_string(cfb, dir, 0x0065, budget));
            out.extend_from_slice(
                format!("From: {}\r\n", mailbox(from_name.as_deref(), from_address.as_deref())).as_bytes(),
            );
            let to = recipients(cfb, dir, budget);
            out.extend_from_slice(
                format!("To: {}\r\n", if to.is_empty() { mailbox(None, None) } else { to.join(",\r\n ") })
                    .as_bytes(),
            );
            if let Some(s) = &subject {
                out.extend_from_slice(format!("Subject: {}\r\n", encoded_word(s)).as_bytes());
            }
            if let Some(id) = read_string(cfb, dir, 0x1035, budget) {
                out.extend_from_slice(format!("Message-ID: {}\r\n", encoded_word(&id)).as_bytes());
            }
        }
    }
    let text = read_string(cfb, dir, 0x1000, budget);
    let header_len = if dir == "/" { 32 } else { 24 };
    let html = read_prop(cfb, dir, 0x1013, 0x0102, budget)
        .map(|b| match read_long(cfb, dir, 0x3FDE, header_len).and_then(code_page) {
            Some(enc) => enc.decode(&b).0.into_owned(),
            None => String::from_utf8_lossy(&b).into_owned(),
        })
        .or_else(|| read_string(cfb, dir, 0x1013, budget));
    let boundary = format!("kaibo-msg-{depth}-{:x}", out.len());
    out.extend_from_slice(
        format!("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n")
            .as_bytes(),
    );
    let alt = format!("{boundary}-alt");
    out.extend_from_slice(
        format!("--{boundary}\r\nContent-Type: multipart/alternative; boundary=\"{alt}\"\r\n\r\n").as_bytes(),
    );
    for (kind, body) in [("plain", &text), ("html", &html)] {
        if let Some(body) = body {
            out.extend_from_slice(
                format!("--{alt}\r\nContent-Type: text/{kind}; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n").as_bytes(),
            );
            base64_lines(body.as_bytes(), out);
        }
    }
    out.extend_from_slice(format!("--{alt}--\r\n").as_bytes());
    write_attachments(cfb, dir, budget, depth, &boundary, out)?;
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    Ok(())
}

/// `To` entries from the recipient storages.
fn recipients<F: Read + Seek>(cfb: &mut cfb::CompoundFile<F>, dir: &str, budget: &mut usize) -> Vec<String> {
    let dirs: Vec<String> = match cfb.read_storage(dir) {
        Ok(entries) => entries
            .filter(|e| e.is_storage() && e.name().starts_with("__recip_version1.0_"))
            .take(MAX_RECIPIENTS)
            .map(|e| format!("{dir}{}/", e.name()))
            .collect(),
        Err(_) => return Vec::new(),
    };
    dirs.iter()
        .map(|d| {
            let name = read_string(cfb, d, 0x3001, budget);
            let address = read_string(cfb, d, 0x39FE, budget).or_else(|| read_string(cfb, d, 0x3003, budget));
            mailbox(name.as_deref(), address.as_deref())
        })
        .collect()
}

fn write_attachments<F: Read + Seek>(
    cfb: &mut cfb::CompoundFile<F>,
    dir: &str,
    budget: &mut usize,
    depth: usize,
    boundary: &str,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    let dirs: Vec<String> = match cfb.read_storage(dir) {
        Ok(entries) => entries
            .filter(|e| e.is_storage() && e.name().starts_with("__attach_version1.0_"))
            .take(MAX_ATTACHMENTS)
            .map(|e| format!("{dir}{}/", e.name()))
            .collect(),
        Err(_) => return Ok(()),
    };
    for a in dirs {
        let name = read_string(cfb, &a, 0x3707, budget).or_else(|| read_string(cfb, &a, 0x3704, budget));
        let disposition = name
            .as_deref()
            .map(|n| {
                format!(
                    "Content-Disposition: attachment; filename=\"{}\"\r\n",
                    encoded_word(&n.replace('"', "'"))
                )
            })
            .unwrap_or_else(|| "Content-Disposition: attachment\r\n".into());
        let embedded = format!("{a}__substg1.0_3701000D/");
        if cfb.is_storage(&embedded) {
            if depth + 1 >= MAX_DEPTH {
                continue;
            }
            let mut inner = Vec::new();
            write_message(cfb, &embedded, budget, depth + 1, &mut inner)?;
            out.extend_from_slice(
                format!("--{boundary}\r\nContent-Type: message/rfc822\r\n{disposition}\r\n").as_bytes(),
            );
            out.extend_from_slice(&inner);
            out.extend_from_slice(b"\r\n");
            continue;
        }
        let Some(data) = read_prop(cfb, &a, 0x3701, 0x0102, budget) else { continue };
        let mime = read_string(cfb, &a, 0x370E, budget)
            .filter(|m| m.contains('/') && m.is_ascii() && !m.contains(['\r', '\n', ';']))
            .unwrap_or_else(|| "application/octet-stream".into());
        out.extend_from_slice(
            format!("--{boundary}\r\nContent-Type: {mime}\r\n{disposition}Content-Transfer-Encoding: base64\r\n\r\n").as_bytes(),
        );
        base64_lines(&data, out);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_not_a_message_is_refused() {
        assert!(!is_compound_file(b"From: a@b\r\n"));
        let mut junk = CFB_MAGIC.to_vec();
        junk.extend(std::iter::repeat_n(0xAB, 4000));
        assert!(to_mime(&junk, 1 << 20).is_err());
        // An empty compound file (an Office container with nothing in it) is no message.
        let mut buf = Cursor::new(Vec::new());
        cfb::CompoundFile::create(&mut buf).unwrap().flush().unwrap();
        let err = to_mime(buf.get_ref(), 1 << 20).unwrap_err();
        assert!(err.contains("not an Outlook message"), "{err}");
    }

    #[test]
    fn transport_headers_lose_their_mime_fields() {
        let h = "Received: from a\r\n\tby b\r\nContent-Type: multipart/mixed;\r\n\tboundary=x\r\nSubject: hi\r\n\r\nbody";
        assert_eq!(transport_header_block(h), "Received: from a\r\n\tby b\r\nSubject: hi\r\n");
    }

    #[test]
    fn header_values_are_encoded() {
        assert_eq!(encoded_word("plain"), "plain");
        assert!(encoded_word("未配信").starts_with("=?utf-8?b?"));
        assert_eq!(mailbox(Some("Ann"), Some("ann@x.example")), "\"Ann\" <ann@x.example>");
        assert_eq!(mailbox(None, Some("no-at")), "undisclosed-recipients:;");
    }
}
