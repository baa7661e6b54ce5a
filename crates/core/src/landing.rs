//! What kaibo recognises on a landing page (`data/landing.toml`): login kits and their markers,
//! what a form field asks for (with its name in reports), parked-page and exfiltration markers,
//! and the browser's own services. The visit reads pages with it; reports name fields with it.

use std::sync::OnceLock;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct KitDef {
    pub id: String,
    pub brand: String,
    pub name: String,
    pub title: Vec<String>,
    pub text: Vec<String>,
    pub html: Vec<String>,
    pub favicon_sha256: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct AskDef {
    pub id: String,
    pub en: String,
    pub ja: String,
    #[serde(rename = "type")]
    pub types: Vec<String>,
    pub words: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct Markers {
    pub markers: Vec<String>,
}

/// The landing-page knowledge (`data/landing.toml`).
#[derive(Debug, Deserialize)]
pub struct Catalog {
    pub kit: Vec<KitDef>,
    pub ask: Vec<AskDef>,
    pub parked: Markers,
    pub exfiltration: Markers,
    pub browser: BrowserHosts,
}

#[derive(Debug, Deserialize)]
pub struct BrowserHosts {
    pub own_hosts: Vec<String>,
}

impl Catalog {
    /// How reports name what a field asks for (`password` → "password" / 「パスワード」).
    pub fn ask_label(&self, id: &str, ja: bool) -> Option<&str> {
        self.ask.iter().find(|a| a.id == id).map(|a| if ja { a.ja.as_str() } else { a.en.as_str() })
    }

    /// Is `host` one of the browser's own services (refused by the render proxy)?
    pub fn is_browser_service(&self, host: &str) -> bool {
        self.browser.own_hosts.iter().any(|h| h.eq_ignore_ascii_case(host))
    }

    /// Parses `landing.toml` and lower-cases its markers (matching is case-insensitive).
    pub fn parse(text: &str) -> Result<Catalog, crate::data::DataError> {
        let mut c: Catalog = crate::data::toml("landing.toml", text, 1)?;
        let lower = |v: &mut Vec<String>| v.iter_mut().for_each(|s| *s = s.to_lowercase());
        for k in &mut c.kit {
            lower(&mut k.title);
            lower(&mut k.text);
            lower(&mut k.html);
            lower(&mut k.favicon_sha256);
        }
        for a in &mut c.ask {
            lower(&mut a.words);
        }
        lower(&mut c.parked.markers);
        lower(&mut c.exfiltration.markers);
        Ok(c)
    }
}

/// The catalog compiled into kaibo.
pub fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    crate::data::compiled(&CATALOG, || Catalog::parse(include_str!("../../../data/landing.toml")))
}
