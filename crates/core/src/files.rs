//! Looking inside attached files: links and active content in PDFs, the file names inside ZIP
//! archives, and QR codes in images.
//!
//! Phishing ships its link where filters do not read: in a PDF ("view the document"), in a
//! password-protected archive, or as a QR code the reader scans with a phone. These readers
//! are small and hand-written for exactly that question, not general file parsers, and every
//! one is bounded (bytes read, bytes inflated, entries, pixels), because the file is the
//! attacker's.

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

/// Decodes the QR codes in an image (PNG, JPEG or GIF). Light-on-dark codes are found too.
pub fn qr_codes(bytes: &[u8]) -> Vec<String> {
    let Ok(reader) = image::ImageReader::new(std::io::Cursor::new(bytes)).with_guessed_format() else {
        return Vec::new();
    };
    let Ok((w, h)) = reader.into_dimensions() else { return Vec::new() };
    if u64::from(w) * u64::from(h) > QR_MAX_PIXELS || w < 21 || h < 21 {
        return Vec::new();
    }
    let Ok(mut reader) = image::ImageReader::new(std::io::Cursor::new(bytes)).with_guessed_format() else {
        return Vec::new();
    };
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(QR_MAX_DECODE_ALLOC);
    reader.limits(limits);
    let Ok(img) = reader.decode() else { return Vec::new() };
    let mut grey = greyscale_on_white(img);
    if grey.width().max(grey.height()) > QR_WORK_SIDE {
        let scale = f64::from(QR_WORK_SIDE) / f64::from(grey.width().max(grey.height()));
        let nw = ((f64::from(grey.width()) * scale) as u32).max(1);
        let nh = ((f64::from(grey.height()) * scale) as u32).max(1);
        grey = image::imageops::resize(&grey, nw, nh, image::imageops::FilterType::Triangle);
    }
    if !has_finder_pattern(&grey) {
        return Vec::new();
    }
    let mut found = decode_grids(&grey, false);
    // A light-on-dark code makes a mostly dark picture; looking for one in every picture would
    // double the time spent on pictures without any code.
    if found.is_empty() && mostly_dark(&grey) {
        found = decode_grids(&grey, true);
    }
    found
}

/// Grey levels as a mail program shows the picture: transparent pixels (usually stored black)
/// laid on white. Plain 8-bit pictures take a direct integer path; the `image` crate's generic
/// conversion is several times slower.
fn greyscale_on_white(img: image::DynamicImage) -> image::GrayImage {
    fn luma(r: u8, g: u8, b: u8) -> u32 {
        (u32::from(r) * 77 + u32::from(g) * 150 + u32::from(b) * 29 + 128) >> 8
    }
    fn on_white(l: u32, a: u8) -> u8 {
        ((l * u32::from(a) + 255 * (255 - u32::from(a))) / 255) as u8
    }
    let (w, h) = (img.width(), img.height());
    let pixels: Vec<u8> = match img {
        image::DynamicImage::ImageLuma8(g) => return g,
        image::DynamicImage::ImageRgb8(rgb) => {
            rgb.as_raw().chunks_exact(3).map(|p| luma(p[0], p[1], p[2]) as u8).collect()
        }
        image::DynamicImage::ImageRgba8(rgba) => {
            rgba.as_raw().chunks_exact(4).map(|p| on_white(luma(p[0], p[1], p[2]), p[3])).collect()
        }
        other => {
            let la = other.into_luma_alpha8();
            la.as_raw().chunks_exact(2).map(|p| on_white(u32::from(p[0]), p[1])).collect()
        }
    };
    image::GrayImage::from_raw(w, h, pixels).unwrap_or_else(|| image::GrayImage::new(1, 1))
}

/// Whether the picture holds something shaped like a QR finder (the three nested squares in a
/// code's corners): a run of shades in the proportions 1:1:3:1:1 across, crossed by the same
/// proportions down through its centre. rqrr finds no code without finders, and this scan costs
/// a fraction of its thresholding, so pictures without one (photos, logos, banners, most text)
/// are passed over. The threshold is the picture's mean shade; the proportions are checked in
/// either shade, so light-on-dark codes pass, and along any line through a finder's centre,
/// so rotated codes pass too.
fn has_finder_pattern(grey: &image::GrayImage) -> bool {
    let (w, h) = (grey.width() as usize, grey.height() as usize);
    let px = grey.as_raw();
    if w == 0 || h == 0 || px.len() < w * h {
        return false;
    }
    let mean = px.iter().map(|&v| u64::from(v)).sum::<u64>() / px.len() as u64;
    let dark = |x: usize, y: usize| u64::from(px[y * w + x]) < mean;
    for y in 0..h {
        let row = &px[y * w..(y + 1) * w];
        // The last five runs on this row, oldest first, and the length of the current one.
        let mut runs = [0usize; 5];
        let mut run = 1;
        let mut shade = u64::from(row[0]) < mean;
        for (x, &v) in row.iter().enumerate().skip(1) {
            let d = u64::from(v) < mean;
            if d == shade {
                run += 1;
                continue;
            }
            runs.rotate_left(1);
            runs[4] = run;
            run = 1;
            shade = d;
            if runs[0] > 0 && finder_proportions(&runs) {
                let centre_x = x - runs[4] - runs[3] - runs[2] / 2 - 1;
                if crosses_vertically(centre_x, y, h, &dark, runs.iter().sum()) {
                    return true;
                }
            }
        }
    }
    false
}

/// Five run lengths in the proportions 1:1:3:1:1, with the tolerance of common QR scanners
/// widened a little for anti-aliased and JPEG-compressed pictures.
fn finder_proportions(runs: &[usize; 5]) -> bool {
    let total: usize = runs.iter().sum();
    if total < 7 {
        return false;
    }
    let module = total as f32 / 7.0;
    let slack = module * 0.6;
    let near = |r: usize, modules: f32| (r as f32 - module * modules).abs() < slack * modules;
    near(runs[0], 1.0) && near(runs[1], 1.0) && near(runs[2], 3.0) && near(runs[3], 1.0) && near(runs[4], 1.0)
}

/// Whether the column through (`x`, `y`) shows finder proportions too, about as tall as the
/// row's pattern is wide (`across`).
fn crosses_vertically(
    x: usize,
    y: usize,
    h: usize,
    dark: &impl Fn(usize, usize) -> bool,
    across: usize,
) -> bool {
    let centre = dark(x, y);
    let limit = across * 2;
    let up = runs_from(centre, (0..y).rev().take(limit).map(|yy| dark(x, yy)));
    let down = runs_from(centre, (y + 1..h).take(limit).map(|yy| dark(x, yy)));
    let runs = [up[2], up[1], up[0] + down[0] + 1, down[1], down[2]];
    let tall: usize = runs.iter().sum();
    runs[0] > 0 && runs[4] > 0 && finder_proportions(&runs) && tall * 2 >= across && tall <= across * 2
}

/// Walking away from a finder's centre (of shade `centre`) over `shades`: the length of the rest
/// of the centre run, then of the next two runs.
fn runs_from(centre: bool, shades: impl Iterator<Item = bool>) -> [usize; 3] {
    let mut runs = [0usize; 3];
    let (mut k, mut shade) = (0, centre);
    for d in shades {
        if d != shade {
            k += 1;
            shade = d;
            if k == 3 {
                break;
            }
        }
        runs[k] += 1;
    }
    runs
}

/// Whether at least 45% of the pixels are dark.
fn mostly_dark(grey: &image::GrayImage) -> bool {
    let dark = grey.as_raw().iter().filter(|&&v| v < 128).count();
    dark * 100 >= grey.as_raw().len() * 45
}

fn decode_grids(grey: &image::GrayImage, invert: bool) -> Vec<String> {
    let (w, h) = (grey.width() as usize, grey.height() as usize);
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
        let v = grey.get_pixel(x as u32, y as u32).0[0];
        if invert { 255 - v } else { v }
    });
    let mut out = Vec::new();
    for grid in prepared.detect_grids().into_iter().take(4) {
        if let Ok((_, content)) = grid.decode()
            && !content.is_empty()
            && !out.contains(&content)
        {
            out.push(content);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A picture `side` pixels square: a QR code of `scale` pixels per module drawn at
    /// (`left`, `top`) over a background, turned by `degrees` about the centre.
    fn qr_scene(
        scale: u32,
        left: u32,
        top: u32,
        side: u32,
        degrees: f32,
        background: impl Fn(u32, u32) -> u8,
    ) -> image::GrayImage {
        let code = qrcode::QrCode::new(b"https://scan.phish.test/k?u=user@example.com").unwrap();
        let n = code.width() as u32;
        let colors = code.to_colors();
        let (sin, cos) = degrees.to_radians().sin_cos();
        let c = side as f32 / 2.0;
        image::GrayImage::from_fn(side, side, |x, y| {
            // Sample the unturned scene at the point that lands on (x, y).
            let (dx, dy) = (x as f32 - c, y as f32 - c);
            let (sx, sy) = (c + dx * cos + dy * sin, c - dx * sin + dy * cos);
            if sx < left as f32 || sy < top as f32 {
                return image::Luma([background(x, y)]);
            }
            let (mx, my) =
                (((sx - left as f32) / scale as f32) as u32, ((sy - top as f32) / scale as f32) as u32);
            let v = if mx < n + 8 && my < n + 8 {
                let inside = (4..n + 4).contains(&mx) && (4..n + 4).contains(&my);
                if inside && colors[((my - 4) * n + mx - 4) as usize] == qrcode::Color::Dark {
                    20
                } else {
                    235
                }
            } else {
                background(x, y)
            };
            image::Luma([v])
        })
    }

    fn jpeg_round_trip(img: &image::GrayImage, quality: u8) -> image::GrayImage {
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, quality).encode_image(img).unwrap();
        image::load_from_memory(&jpeg).unwrap().into_luma8()
    }

    #[test]
    fn finder_scan_lets_through_every_code_rqrr_reads() {
        let gradient = |x: u32, y: u32| (90 + (x + y) % 140) as u8;
        let mut decoded = 0;
        for scale in [2, 3, 5, 8] {
            for degrees in [0.0, 30.0, 90.0] {
                for plain_background in [true, false] {
                    let side = (33 + 8) * scale + 120;
                    let img = if plain_background {
                        qr_scene(scale, 40, 50, side, degrees, |_, _| 250)
                    } else {
                        qr_scene(scale, 40, 50, side, degrees, gradient)
                    };
                    for img in [img.clone(), jpeg_round_trip(&img, 60)] {
                        let read = !decode_grids(&img, false).is_empty();
                        decoded += usize::from(read);
                        if read {
                            assert!(
                                has_finder_pattern(&img),
                                "scale {scale}, {degrees}°, plain {plain_background}"
                            );
                        }
                    }
                }
            }
        }
        // The scenes are readable: the check above is not vacuous.
        assert!(decoded >= 40, "{decoded}");
    }

    #[test]
    fn finder_scan_passes_over_pictures_without_a_code() {
        // A smooth photo-like gradient, a striped banner and bars of text-like strokes.
        let gradient =
            image::GrayImage::from_fn(400, 300, |x, y| image::Luma([((x * 255 / 400 + y / 3) % 256) as u8]));
        let stripes =
            image::GrayImage::from_fn(400, 100, |x, _| image::Luma([if x % 12 < 6 { 30 } else { 220 }]));
        let strokes = image::GrayImage::from_fn(400, 60, |x, y| {
            let ink = (20..40).contains(&y) && matches!(x % 16, 2 | 3 | 7 | 11);
            image::Luma([if ink { 0 } else { 255 }])
        });
        for img in [gradient, stripes, strokes] {
            assert!(!has_finder_pattern(&img));
        }
    }

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

    /// Mutated and truncated files never panic the readers (they are the attacker's bytes).
    #[test]
    fn mutated_files_are_harmless() {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(b"<< /S /URI /URI (https://a.test/) >> /JS (x)").unwrap();
        let mut pdf = b"%PDF-1.7\n1 0 obj << /Filter /FlateDecode >>\nstream\n".to_vec();
        pdf.extend(z.finish().unwrap());
        pdf.extend_from_slice(b"\nendstream /URI <68747470> (a\\(b) /Launch");
        let mut png = Vec::new();
        image::GrayImage::from_fn(64, 64, |x, y| image::Luma([((x ^ y) & 1) as u8 * 255]))
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let zip = b"PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x05\x00\x00\x00a.exePK\x05\x06\x00\x00\x00\x00\x01\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00".to_vec();
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for i in 0..1500 {
            for base in [&pdf, &png, &zip] {
                let mut b = base.clone();
                for _ in 0..(1 + next() % 4) {
                    let at = (next() as usize) % b.len();
                    b[at] = next() as u8;
                }
                b.truncate(b.len() - (next() as usize % (b.len() / 2 + 1)) * (i % 2));
                let _ = inspect_pdf(&b);
                let _ = inspect_zip(&b, &mut ListingBudget::default());
                if i % 10 == 0 {
                    let _ = qr_codes(&b);
                }
            }
        }
    }

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

    #[test]
    fn not_an_image() {
        assert!(qr_codes(b"\x89PNG\r\n\x1a\ngarbage").is_empty());
        assert!(qr_codes(b"").is_empty());
    }
}
