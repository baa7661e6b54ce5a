//! PDF: the link actions (`/URI`) and active content (`/JavaScript`, `/Launch`,
//! `/EmbeddedFile`) of a document, read from plain and FlateDecode-compressed streams.

use std::io::Read;

use crate::limits::*;

/// What a PDF carries besides its pages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PdfFacts {
    /// Link targets (`/URI` actions), in order, without duplicates.
    pub uris: Vec<String>,
    /// Names of active content found: `/JavaScript`, `/Launch`, `/EmbeddedFile`.
    pub active: Vec<&'static str>,
}

/// Reads link actions and active content out of a PDF, including the compressed (FlateDecode)
/// streams and object streams where PDF 1.5 writers put them.
pub fn inspect_pdf(bytes: &[u8]) -> PdfFacts {
    let mut facts = PdfFacts::default();
    scan_pdf_segment(bytes, &mut facts);
    let mut inflated_total = 0usize;
    let mut streams = 0usize;
    let mut pos = 0usize;
    let finder = memchr::memmem::Finder::new(b"stream");
    while let Some(i) = finder.find(&bytes[pos..]) {
        let at = pos + i;
        pos = at + 6;
        // "endstream" also contains "stream".
        if at >= 3 && &bytes[at - 3..at] == b"end" {
            continue;
        }
        streams += 1;
        if streams > PDF_MAX_STREAMS || inflated_total >= PDF_MAX_TOTAL_OUT {
            break;
        }
        let dict_start = at.saturating_sub(1024);
        let dict = &bytes[dict_start..at];
        let Some(open) = memchr::memmem::rfind(dict, b"<<") else { continue };
        let dict = &dict[open..];
        if memchr::memmem::find(dict, b"/FlateDecode").is_none()
            && memchr::memmem::find(dict, b"/Fl ").is_none()
        {
            continue;
        }
        // Images are compressed too and carry no links.
        if memchr::memmem::find(dict, b"/Image").is_some() {
            continue;
        }
        let mut data_start = pos;
        if bytes.get(data_start) == Some(&b'\r') {
            data_start += 1;
        }
        if bytes.get(data_start) == Some(&b'\n') {
            data_start += 1;
        }
        let end =
            memchr::memmem::find(&bytes[data_start..], b"endstream").map_or(bytes.len(), |e| data_start + e);
        let mut out = Vec::new();
        // A truncated or corrupt stream still yields what inflated before the damage.
        let _ = flate2::read::ZlibDecoder::new(&bytes[data_start..end])
            .take(PDF_MAX_STREAM_OUT)
            .read_to_end(&mut out);
        inflated_total += out.len();
        scan_pdf_segment(&out, &mut facts);
        pos = end;
    }
    facts
}

fn scan_pdf_segment(seg: &[u8], facts: &mut PdfFacts) {
    for (name, label) in [
        (&b"/JavaScript"[..], "JavaScript"),
        (b"/JS", "JavaScript"),
        (b"/Launch", "Launch"),
        (b"/EmbeddedFile", "EmbeddedFile"),
    ] {
        if !facts.active.contains(&label) && has_name(seg, name) {
            facts.active.push(label);
        }
    }
    let finder = memchr::memmem::Finder::new(b"/URI");
    let mut pos = 0;
    while let Some(i) = finder.find(&seg[pos..]) {
        let mut j = pos + i + 4;
        pos = j;
        // "/URI" must end the name ("/URIs" is something else).
        if seg.get(j).is_some_and(|c| c.is_ascii_alphanumeric()) {
            continue;
        }
        while seg.get(j).is_some_and(|c| c.is_ascii_whitespace()) {
            j += 1;
        }
        let value = match seg.get(j) {
            Some(b'(') => literal_string(&seg[j + 1..]),
            Some(b'<') if seg.get(j + 1) != Some(&b'<') => hex_string(&seg[j + 1..]),
            _ => None,
        };
        if let Some(v) = value.map(|v| pdf_text(&v)).filter(|v| !v.trim().is_empty())
            && !facts.uris.contains(&v)
            && facts.uris.len() < PDF_MAX_URIS
        {
            facts.uris.push(v.trim().to_string());
        }
    }
}

/// A PDF name followed by a delimiter, so `/JS` does not match `/JSON`.
fn has_name(seg: &[u8], name: &[u8]) -> bool {
    memchr::memmem::find_iter(seg, name)
        .any(|i| seg.get(i + name.len()).is_none_or(|c| !c.is_ascii_alphanumeric()))
}

/// A PDF literal string after its `(`: balanced parentheses, backslash escapes, octal codes.
fn literal_string(s: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut depth = 1;
    let mut i = 0;
    while i < s.len() && out.len() < 4096 {
        let c = s[i];
        match c {
            b'\\' => {
                i += 1;
                let Some(&e) = s.get(i) else { break };
                match e {
                    b'n' => out.push(b'\n'),
                    b'r' => out.push(b'\r'),
                    b't' => out.push(b'\t'),
                    b'b' => out.push(8),
                    b'f' => out.push(12),
                    b'0'..=b'7' => {
                        let mut v = 0u32;
                        let mut n = 0;
                        while n < 3 && s.get(i).is_some_and(|d| (b'0'..=b'7').contains(d)) {
                            v = v * 8 + u32::from(s[i] - b'0');
                            i += 1;
                            n += 1;
                        }
                        out.push(v as u8);
                        continue;
                    }
                    b'\r' | b'\n' => {
                        if e == b'\r' && s.get(i + 1) == Some(&b'\n') {
                            i += 1;
                        }
                    }
                    other => out.push(other),
                }
            }
            b'(' => {
                depth += 1;
                out.push(c);
            }
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(out);
                }
                out.push(c);
            }
            _ => out.push(c),
        }
        i += 1;
    }
    None
}

fn hex_string(s: &[u8]) -> Option<Vec<u8>> {
    let end = memchr::memchr(b'>', &s[..s.len().min(8192)])?;
    let digits: Vec<u8> =
        s[..end].iter().filter_map(|c| (*c as char).to_digit(16).map(|d| d as u8)).collect();
    Some(digits.chunks(2).map(|p| (p[0] << 4) | p.get(1).copied().unwrap_or(0)).collect())
}

/// PDF text strings are PDFDocEncoding (Latin-1 for URLs) or UTF-16BE with a byte-order mark.
fn pdf_text(b: &[u8]) -> String {
    if let Some(rest) = b.strip_prefix(&[0xfe, 0xff]) {
        let units: Vec<u16> = rest.chunks_exact(2).map(|p| u16::from_be_bytes([p[0], p[1]])).collect();
        return String::from_utf16_lossy(&units);
    }
    b.iter().map(|&c| c as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn pdf_uris_plain_and_compressed() {
        let mut pdf = b"%PDF-1.7\n1 0 obj << /Type /Annot /A << /S /URI /URI (https://example.test/a\\(1\\)) >> >> endobj\n".to_vec();
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(b"2 0 obj << /S /URI /URI <68747470733A2F2F7068697368 2E74657374> >> /S /JavaScript /JS (app.alert)")
            .unwrap();
        let data = z.finish().unwrap();
        pdf.extend_from_slice(b"3 0 obj << /Type /ObjStm /Filter /FlateDecode /Length 99 >>\nstream\r\n");
        pdf.extend_from_slice(&data);
        pdf.extend_from_slice(b"\nendstream\nendobj\n%%EOF");
        let f = inspect_pdf(&pdf);
        assert_eq!(f.uris, vec!["https://example.test/a(1)".to_string(), "https://phish.test".to_string()]);
        assert_eq!(f.active, vec!["JavaScript"]);
    }

    #[test]
    fn pdf_garbage_is_harmless() {
        let mut junk = b"%PDF-1.4 stream <</Filter/FlateDecode>> stream\n".to_vec();
        junk.extend(std::iter::repeat_n(0x78u8, 10_000));
        junk.extend_from_slice(b"/URI (unterminated");
        let f = inspect_pdf(&junk);
        assert!(f.uris.is_empty());
        assert!(!has_name(b"/JSON", b"/JS"));
    }
}
