//! Files attached to a mail: QR codes in images, links and script in PDFs, programs and
//! passwords on archives. The mails are built here, the images drawn with the `qrcode` crate.

use base64::Engine as _;
use std::io::Write;

/// A PNG of a QR code saying `text`, `scale` pixels per module, light-on-dark if `invert`,
/// on a transparent background if `transparent`.
fn qr_png(text: &str, scale: u32, invert: bool, transparent: bool) -> Vec<u8> {
    let code = qrcode::QrCode::new(text.as_bytes()).unwrap();
    let n = code.width() as u32;
    let side = (n + 8) * scale;
    let colors = code.to_colors();
    let dark_at = |x: u32, y: u32| {
        let (mx, my) = ((x / scale) as i64 - 4, (y / scale) as i64 - 4);
        mx >= 0
            && my >= 0
            && (mx as u32) < n
            && (my as u32) < n
            && colors[(my as u32 * n + mx as u32) as usize] == qrcode::Color::Dark
    };
    let mut png = Vec::new();
    if transparent {
        // Dark modules opaque black, the rest fully transparent (stored as black, as tools do).
        let img = image::RgbaImage::from_fn(side, side, |x, y| {
            image::Rgba([0, 0, 0, if dark_at(x, y) { 255 } else { 0 }])
        });
        img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
    } else {
        let img = image::GrayImage::from_fn(side, side, |x, y| {
            image::Luma([if dark_at(x, y) != invert { 0 } else { 255 }])
        });
        img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
    }
    png
}

fn b64(bytes: &[u8]) -> String {
    let s = base64::engine::general_purpose::STANDARD.encode(bytes);
    s.as_bytes().chunks(76).map(|c| std::str::from_utf8(c).unwrap()).collect::<Vec<_>>().join("\r\n")
}

fn mail(text: &str, attachment: Option<(&str, &str, &[u8])>) -> Vec<u8> {
    let mut m = String::from(
        "From: IT Desk <it@corp-helpdesk.example>\r\nTo: user@example.com\r\nSubject: Mailbox notice\r\n\
         Date: Mon, 2 Oct 2023 10:00:00 +0000\r\nMessage-ID: <a1@corp-helpdesk.example>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n",
    );
    m.push_str(text);
    m.push_str("\r\n");
    if let Some((name, ctype, bytes)) = attachment {
        m.push_str(&format!(
            "--b1\r\nContent-Type: {ctype}; name=\"{name}\"\r\nContent-Disposition: attachment; filename=\"{name}\"\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{}\r\n",
            b64(bytes)
        ));
    }
    m.push_str("--b1--\r\n");
    m.into_bytes()
}

fn analyse(raw: &[u8]) -> kaibo_core::Analysis {
    kaibo_core::analyze(raw, &kaibo_core::Options::default()).unwrap()
}

fn has(a: &kaibo_core::Analysis, id: &str) -> bool {
    a.findings.iter().any(|f| f.id == id)
}

#[test]
fn qr_code_in_an_attached_image_becomes_a_link() {
    let text = "Your mailbox password expires today. Scan the QR code with your phone to keep it.";
    for (scale, invert, transparent) in
        [(6, false, false), (4, true, false), (5, false, true), (40, false, false)]
    {
        let png = qr_png("https://mail-keep.phish.test/login?u=user@example.com", scale, invert, transparent);
        let a = analyse(&mail(text, Some(("scan.png", "image/png", &png))));
        assert!(has(&a, "attachment.qr_code"), "scale {scale} invert {invert} transparent {transparent}");
        let url = a
            .observables
            .urls
            .iter()
            .find(|u| u.source == kaibo_core::LinkSource::QrCode)
            .expect("the QR link is a link");
        assert_eq!(url.facts.host.as_deref(), Some("mail-keep.phish.test"));
        assert_eq!(
            a.observables.attachments[0].qr_codes,
            vec!["https://mail-keep.phish.test/login?u=user@example.com"]
        );
        // The link checks run on it like on any other: it carries the recipient's address.
        assert!(has(&a, "links.recipient_in_url"));
    }
}

#[test]
fn images_are_not_decoded_when_nothing_points_at_a_code() {
    // A long newsletter with a picture: no QR words, plenty of text, so no decoding.
    let words = "This week in the project we merged the new scheduler and fixed two bugs. ".repeat(6);
    let png = qr_png("https://example.org/", 6, false, false);
    let a = analyse(&mail(&words, Some(("photo.png", "image/png", &png))));
    assert!(!has(&a, "attachment.qr_code"));
    assert!(a.observables.attachments[0].qr_codes.is_empty());
}

#[test]
fn pdf_links_and_script() {
    let mut pdf = b"%PDF-1.7\n1 0 obj << /Type /Catalog /OpenAction 2 0 R >> endobj\n".to_vec();
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(b"2 0 obj << /S /JavaScript /JS (this.exportDataObject) >> endobj 3 0 obj << /Type /Annot /Subtype /Link /A << /S /URI /URI (https://docs-view.phish.test/open) >> >> endobj").unwrap();
    let data = z.finish().unwrap();
    pdf.extend_from_slice(
        format!("4 0 obj << /Type /ObjStm /Filter /FlateDecode /Length {} >>\nstream\n", data.len())
            .as_bytes(),
    );
    pdf.extend_from_slice(&data);
    pdf.extend_from_slice(b"\nendstream\nendobj\ntrailer << /Root 1 0 R >>\n%%EOF\n");
    let a =
        analyse(&mail("Please review the attached invoice.", Some(("invoice.pdf", "application/pdf", &pdf))));
    assert!(has(&a, "attachment.pdf_link"));
    assert!(has(&a, "attachment.pdf_active"));
    let url =
        a.observables.urls.iter().find(|u| u.source == kaibo_core::LinkSource::Pdf).expect("PDF link listed");
    assert_eq!(url.facts.registrable_domain.as_deref(), Some("phish.test"));
    assert_eq!(a.observables.attachments[0].active_content, vec!["JavaScript"]);
}

#[test]
fn archive_with_a_program_and_a_password() {
    let name = b"Invoice_0923.pdf.js";
    let mut zip = Vec::new();
    zip.extend_from_slice(
        b"PK\x03\x04\x14\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
    );
    zip.extend_from_slice(&(name.len() as u16).to_le_bytes());
    zip.extend_from_slice(&[0, 0]);
    zip.extend_from_slice(name);
    let cd = zip.len() as u32;
    zip.extend_from_slice(b"PK\x01\x02\x14\x00\x14\x00\x01\x00");
    zip.extend_from_slice(&[0u8; 18]);
    zip.extend_from_slice(&(name.len() as u16).to_le_bytes());
    zip.extend_from_slice(&[0u8; 16]);
    zip.extend_from_slice(name);
    zip.extend_from_slice(b"PK\x05\x06\x00\x00\x00\x00\x01\x00\x01\x00");
    zip.extend_from_slice(&(46 + name.len() as u32).to_le_bytes());
    zip.extend_from_slice(&cd.to_le_bytes());
    zip.extend_from_slice(&[0, 0]);
    let a = analyse(&mail(
        "The invoice is attached. Password: 1234",
        Some(("invoice.zip", "application/zip", &zip)),
    ));
    for id in ["attachment.archive_executable", "attachment.encrypted_archive", "attachment.password_in_text"]
    {
        assert!(has(&a, id), "{id}");
    }
    assert_eq!(a.observables.attachments[0].archive_entries, vec!["Invoice_0923.pdf.js"]);
    // Without its central directory (a truncated file) the local headers still list it.
    let cut = kaibo_core::files::inspect_zip(&zip[..cd as usize], &mut Default::default());
    assert_eq!(cut.entries, vec!["Invoice_0923.pdf.js"]);
    assert!(cut.encrypted);
    assert!(kaibo_core::files::inspect_zip(b"PK\x03\x04", &mut Default::default()).entries.is_empty());
}

#[test]
fn pdf_wrapping_a_link_to_free_hosting() {
    let pdf = |uri: &str| {
        format!(
            "%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n2 0 obj << /Type /Annot /Subtype /Link /A << /S /URI /URI ({uri}) >> >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
        )
        .into_bytes()
    };
    let hosted = pdf("https://cartoes.z13.web.core.windows.net/liberar");
    let a = analyse(&mail(
        "Veja como efetuar a liberação no PDF em anexo.",
        Some(("aviso.pdf", "application/pdf", &hosted)),
    ));
    assert!(has(&a, "attachment.pdf_link") && has(&a, "links.cloud_hosted_page"));
    assert!(has(&a, "attachment.pdf_hidden_link"));
    let plain = pdf("https://www.example.com/terms");
    let a = analyse(&mail("Veja o PDF em anexo.", Some(("aviso.pdf", "application/pdf", &plain))));
    assert!(has(&a, "attachment.pdf_link") && !has(&a, "attachment.pdf_hidden_link"));
}
