//! Fuzzes what the visit rung reads from an attacker's server: the landing-page analysis
//! (forms, kits, brands), the client-redirect reader and the charset decoder.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let base = url::Url::parse("https://landing.example/a/b?x=1").unwrap();
    let html = kaibo_visit::fetch::decode(data, Some("text/html"));
    let _ = kaibo_visit::page::client_redirect(&html, &base);
    let (mut page, _) = kaibo_visit::page::analyze_page(&base, &html);
    kaibo_visit::page::add_favicon(&mut page, base.as_str(), data);
});
