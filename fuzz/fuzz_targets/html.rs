//! Fuzzes the HTML scanner and the plain-text URL finder.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let _ = kaibo_core::html::analyze_html(&s);
    for u in kaibo_core::urls::find_urls_in_text(&s) {
        if let Some(url) = kaibo_core::urls::parse_web_url(u.text) {
            let _ = kaibo_core::urls::url_facts(&url, kaibo_core::knowledge::knowledge());
        }
    }
});
