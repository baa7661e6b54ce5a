//! Fuzzes the whole offline pipeline and both renderers on arbitrary bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(a) = kaibo_core::analyze(data, &kaibo_core::Options::default()) {
        let _ = kaibo_report::render_json(&a);
        let _ = kaibo_report::render_text(&a, &kaibo_report::TextOptions::default());
    }
});
