//! Fuzzes the readers of what holds mail and files: the mbox splitter (bounded line pieces,
//! `>From` unquoting, Content-Length), the shaping of a mail before MIME parsing, and the ZIP
//! and PDF readers with a mail's listing budget.
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
});
