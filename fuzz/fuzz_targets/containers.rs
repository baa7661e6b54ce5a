//! Fuzzes the readers of what holds mail and files: the mbox splitter (bounded line pieces,
//! `>From` unquoting, Content-Length), the shaping of a mail before MIME parsing, and the ZIP
//! and PDF readers with a mail's listing budget, the TNEF (`winmail.dat`) lister, and the
//! Outlook `.msg` converter (inputs are given the compound-file signature half the time).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut reader = kaibo_scan::mbox::MboxReader::new(data, 4096);
    let mut total = 0;
    while let Ok(Some(m)) = reader.next_message() {
        if let kaibo_scan::mbox::MboxMessage::Mail(bytes) = m {
            assert!(bytes.len() <= 4096);
            total += 1;
        }
        assert!(total <= data.len() + 1);
    }
    if let Some((shaped, _)) = kaibo_core::limits::shape_for_parser(data) {
        assert!(shaped.len() <= data.len());
    }
    let mut budget = kaibo_core::limits::ListingBudget::default();
    let zip = kaibo_core::files::inspect_zip(data, &mut budget);
    assert!(zip.entries.len() <= kaibo_core::limits::ZIP_MAX_ENTRIES);
    let _ = kaibo_core::files::inspect_pdf(data);

    let mut tnef = kaibo_core::files::tnef::SIGNATURE.to_le_bytes().to_vec();
    tnef.extend_from_slice(data);
    assert!(kaibo_core::files::tnef::entries(&tnef).len() <= kaibo_core::files::tnef::MAX_ENTRIES);
    let msg: std::borrow::Cow<[u8]> = if data.first().is_some_and(|b| b & 1 == 1) {
        let mut v = kaibo_core::msg::CFB_MAGIC.to_vec();
        v.extend_from_slice(data.get(8..).unwrap_or_default());
        v.into()
    } else {
        data.into()
    };
    if let Ok(mime) = kaibo_core::msg::to_mime(&msg, 1 << 20) {
        // Everything read counts against the budget; base64 and headers add at most this much.
        assert!(mime.len() <= (1 << 20) * 2 + 64 * 1024 * (kaibo_core::msg::MAX_ATTACHMENTS + 8));
    }
});
