//! Looking inside attached files: links and active content in PDFs, the file names inside ZIP
//! archives and Outlook's `winmail.dat` (TNEF), and QR codes in images.
//!
//! Phishing ships its link where filters do not read: in a PDF ("view the document"), in a
//! password-protected archive, or as a QR code the reader scans with a phone. These readers
//! are small and hand-written for exactly that question, not general file parsers, and every
//! one is bounded (bytes read, bytes inflated, entries, pixels), because the file is the
//! attacker's.
//!
//! One module per kind of file: `pdf`, `zip`, `tnef` and `qr`.

mod pdf;
mod qr;
pub mod tnef;
mod zip;

pub use pdf::{PdfFacts, inspect_pdf};
pub use qr::qr_codes;
pub use zip::{ArchiveFacts, inspect_zip};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::ListingBudget;
    use std::io::Write;

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
}
