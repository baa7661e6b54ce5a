//! The rungs of the online ladder, as the user asks for them (`--online`, `--enrich LIST`,
//! `--visit`, `--render`).

/// The rungs of the online ladder.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rungs {
    pub dns: bool,
    pub rdap: bool,
    pub geo: bool,
    pub feeds: bool,
    /// Visit the landing page (HTTP, no browser).
    pub fetch: bool,
    /// Screenshot the landing page in headless Chromium (implies `fetch`).
    pub render: bool,
}

impl Rungs {
    /// The lookup rungs: what `--online` means. The visit rungs are asked for by name.
    pub fn all() -> Rungs {
        Rungs { dns: true, rdap: true, geo: true, feeds: true, fetch: false, render: false }
    }

    /// Parses `dns,rdap,geo,feeds,fetch,render` (`whois` is an alias of `rdap`, `visit` of
    /// `fetch`; `render` implies `fetch`).
    pub fn parse(list: &str) -> Result<Rungs, String> {
        let mut r = Rungs::default();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match item {
                "dns" => r.dns = true,
                "rdap" | "whois" => r.rdap = true,
                "geo" => r.geo = true,
                "feeds" => r.feeds = true,
                "fetch" | "visit" => r.fetch = true,
                "render" => (r.fetch, r.render) = (true, true),
                "all" => r = Rungs { fetch: r.fetch, render: r.render, ..Rungs::all() },
                other => {
                    return Err(format!(
                        "unknown enrichment rung `{other}` (dns, rdap, geo, feeds, fetch, render)"
                    ));
                }
            }
        }
        Ok(r)
    }

    pub fn any(&self) -> bool {
        self.dns || self.rdap || self.geo || self.feeds || self.fetch || self.render
    }

    pub fn names(&self) -> Vec<String> {
        [(self.dns, "dns"), (self.rdap, "rdap"), (self.geo, "geo"), (self.feeds, "feeds")]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, n)| n.to_string())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rungs() {
        assert_eq!(
            Rungs::parse("dns, whois").unwrap(),
            Rungs { dns: true, rdap: true, ..Default::default() }
        );
        assert!(Rungs::parse("dns,screenshot").is_err());
        assert_eq!(Rungs::parse("all").unwrap(), Rungs::all());
        assert!(!Rungs::all().fetch, "--online does not visit links");
        let r = Rungs::parse("render").unwrap();
        assert!(r.fetch && r.render && !(r.dns || r.rdap || r.geo || r.feeds));
    }
}
