//! Who registered a domain and when: RDAP (RFC 9083) through the IANA bootstrap, with WHOIS
//! (port 43) for the TLDs that have no RDAP service, such as .ru (whois.tcinet.ru) and .jp
//! (whois.jprs.jp). Also RDAP for IP networks (name, country, abuse contact).
//!
//! WHOIS is free text: the parser reads the `key: value` form most registries use, the
//! bracketed form of JPRS (`[Created on]  2001/02/03`) and the `x. [Key]` form of JPRS's
//! organisational domains, and maps the registries' various key names onto one record.

use std::collections::BTreeMap;
use std::time::Duration;

pub use kaibo_model::enrichment::Registration;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The IANA RDAP bootstrap for domains: TLD → base URLs.
#[derive(Debug, Clone)]
pub struct Bootstrap {
    by_tld: BTreeMap<String, String>,
}

/// The copy bundled with kaibo (see `data/rdap-bootstrap-dns.json`).
const BUNDLED_BOOTSTRAP: &str = include_str!("../../../data/rdap-bootstrap-dns.json");

impl Bootstrap {
    /// Parses a bootstrap file (RFC 9224, `"version": "1.0"`) through kaibo's data loader.
    pub fn parse(file: &str, json: &str) -> Result<Bootstrap, kaibo_core::data::DataError> {
        let v: Value = kaibo_core::data::json(file, json, "1.0")?;
        let mut by_tld = BTreeMap::new();
        for service in v["services"].as_array().into_iter().flatten() {
            let (Some(tlds), Some(urls)) = (service[0].as_array(), service[1].as_array()) else { continue };
            // Prefer https.
            let url = urls
                .iter()
                .filter_map(Value::as_str)
                .find(|u| u.starts_with("https://"))
                .or_else(|| urls.iter().filter_map(Value::as_str).next());
            if let Some(url) = url {
                for t in tlds.iter().filter_map(Value::as_str) {
                    by_tld.insert(t.to_ascii_lowercase(), url.to_string());
                }
            }
        }
        Ok(Bootstrap { by_tld })
    }

    /// The copy compiled into kaibo (parsed once).
    pub fn bundled() -> &'static Bootstrap {
        static BUNDLED: std::sync::OnceLock<Bootstrap> = std::sync::OnceLock::new();
        kaibo_core::data::compiled(&BUNDLED, || {
            Bootstrap::parse("rdap-bootstrap-dns.json", BUNDLED_BOOTSTRAP)
        })
    }

    pub fn base_for(&self, tld: &str) -> Option<&str> {
        self.by_tld.get(&tld.to_ascii_lowercase()).map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.by_tld.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_tld.is_empty()
    }
}

fn join(base: &str, path: &str) -> String {
    if base.ends_with('/') { format!("{base}{path}") } else { format!("{base}/{path}") }
}

/// RDAP query (`domain/NAME` or `ip/ADDR`) against a base URL.
pub async fn rdap(
    client: &reqwest::Client,
    base: &str,
    kind: &str,
    query: &str,
) -> Result<Registration, String> {
    let url = join(base, &format!("{kind}/{query}"));
    let resp = client
        .get(&url)
        .header("Accept", "application/rdap+json, application/json")
        .send()
        .await
        .map_err(|e| format!("RDAP {url}: {e}"))?;
    let mut reg = Registration {
        query: query.to_string(),
        source: "rdap".into(),
        server: url.clone(),
        ..Default::default()
    };
    if resp.status() == reqwest::StatusCode::NOT_FOUND {
        return Ok(reg);
    }
    if !resp.status().is_success() {
        return Err(format!("RDAP {url}: HTTP {}", resp.status()));
    }
    let bytes = resp.bytes().await.map_err(|e| format!("RDAP {url}: {e}"))?;
    if bytes.len() > 2 << 20 {
        return Err(format!("RDAP {url}: answer too large"));
    }
    let v: Value = serde_json::from_slice(&bytes).map_err(|e| format!("RDAP {url}: {e}"))?;
    reg.found = true;
    read_rdap(&v, &mut reg);
    Ok(reg)
}

fn read_rdap(v: &Value, reg: &mut Registration) {
    for e in v["events"].as_array().into_iter().flatten() {
        let date = e["eventDate"].as_str().map(day);
        match e["eventAction"].as_str() {
            Some("registration") => reg.created = date,
            Some("expiration") => reg.expires = date,
            _ => {}
        }
    }
    reg.status =
        v["status"].as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_string).collect();
    reg.nameservers = v["nameservers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n["ldhName"].as_str())
        .map(|n| n.trim_end_matches('.').to_ascii_lowercase())
        .collect();
    if let Some(name) = v["name"].as_str() {
        let range = match (v["startAddress"].as_str(), v["endAddress"].as_str()) {
            (Some(s), Some(e)) => format!(" ({s} – {e})"),
            _ => String::new(),
        };
        reg.network = Some(format!("{name}{range}"));
    }
    reg.country = v["country"].as_str().map(str::to_string);
    read_entities(v, reg);
}

fn read_entities(v: &Value, reg: &mut Registration) {
    for ent in v["entities"].as_array().into_iter().flatten() {
        let roles: Vec<&str> =
            ent["roles"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        if roles.contains(&"registrar") && reg.registrar.is_none() {
            reg.registrar = vcard(ent, "fn");
        }
        if roles.contains(&"abuse") && reg.abuse_email.is_none() {
            reg.abuse_email = vcard(ent, "email");
        }
        // The abuse contact sits inside the registrar entity.
        read_entities(ent, reg);
    }
}

/// A property of an entity's jCard (`["vcard", [["fn", {}, "text", "REG.RU"], …]]`).
fn vcard(ent: &Value, prop: &str) -> Option<String> {
    ent["vcardArray"][1]
        .as_array()?
        .iter()
        .find(|p| p[0].as_str() == Some(prop))
        .and_then(|p| p[3].as_str())
        .map(str::to_string)
        .filter(|s| !s.is_empty())
}

/// `2019-03-14T12:00:00Z`, `2019/03/14`, `2019.03.14`, `14-Mar-2019` → `2019-03-14`.
pub fn day(s: &str) -> String {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() >= 10 && b[..4].iter().all(u8::is_ascii_digit) && matches!(b[4], b'-' | b'/' | b'.') {
        return s[..10].replace(['/', '.'], "-");
    }
    // dd-Mon-yyyy
    const MONTHS: [&str; 12] =
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    let parts: Vec<&str> = s.split(['-', ' ']).collect();
    if parts.len() >= 3
        && let Some(m) = MONTHS.iter().position(|m| parts[1].to_ascii_lowercase().starts_with(m))
        && let (Ok(d), Ok(y)) = (parts[0].parse::<u32>(), parts[2].get(..4).unwrap_or("").parse::<u32>())
    {
        return format!("{y:04}-{:02}-{d:02}", m + 1);
    }
    s.to_string()
}

pub use kaibo_core::calendar::days_from_civil;

/// Queries a WHOIS server (`host:port`) and parses the answer.
pub async fn whois(server: &str, domain: &str, timeout: Duration) -> Result<Registration, String> {
    let addr = if server.contains(':') { server.to_string() } else { format!("{server}:43") };
    // JPRS answers in Japanese (ISO-2022-JP) unless asked for English with "/e".
    let query = if domain.ends_with(".jp") { format!("{domain}/e\r\n") } else { format!("{domain}\r\n") };
    let work = async {
        let mut s = tokio::net::TcpStream::connect(&addr).await.map_err(|e| format!("WHOIS {addr}: {e}"))?;
        s.write_all(query.as_bytes()).await.map_err(|e| format!("WHOIS {addr}: {e}"))?;
        let mut buf = Vec::new();
        s.take(256 * 1024).read_to_end(&mut buf).await.map_err(|e| format!("WHOIS {addr}: {e}"))?;
        Ok::<_, String>(buf)
    };
    let buf = tokio::time::timeout(timeout, work).await.map_err(|_| format!("WHOIS {addr}: timed out"))??;
    let text = String::from_utf8_lossy(&buf);
    let mut reg = parse_whois(&text);
    reg.query = domain.to_string();
    reg.server = server.to_string();
    Ok(reg)
}

/// Reads a WHOIS answer in the formats of tcinet.ru, JPRS and the gTLD registries.
pub fn parse_whois(text: &str) -> Registration {
    let mut reg = Registration { source: "whois".into(), ..Default::default() };
    let lower = text.to_ascii_lowercase();
    let not_found =
        ["no entries found", "no match", "not found", "no data found", "status: free", "no object found"];
    let mut fields = 0;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('%') || line.starts_with('#') || line.is_empty() {
            continue;
        }
        let Some((key, value)) = split_field(line) else { continue };
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        let key = key.trim().to_ascii_lowercase();
        fields += 1;
        match key.as_str() {
            "registrar" | "sponsoring registrar" | "registrar name" => {
                reg.registrar.get_or_insert_with(|| value.to_string());
            }
            "created"
            | "creation date"
            | "created on"
            | "registered date"
            | "registration time"
            | "registered on"
            | "domain registration date"
            | "created date" => {
                reg.created.get_or_insert_with(|| day(value));
            }
            "paid-till"
            | "registry expiry date"
            | "expires on"
            | "expiration date"
            | "registrar registration expiration date"
            | "expiry date" => {
                reg.expires.get_or_insert_with(|| day(value));
            }
            "nserver" | "name server" | "nameserver" | "name servers" => {
                let ns =
                    value.split_whitespace().next().unwrap_or("").trim_end_matches('.').to_ascii_lowercase();
                if !ns.is_empty() && !reg.nameservers.contains(&ns) {
                    reg.nameservers.push(ns);
                }
            }
            "state" | "status" | "domain status" => {
                for s in value.split(',') {
                    let s = s.split_whitespace().next().unwrap_or("").to_string();
                    if !s.is_empty() && !reg.status.contains(&s) {
                        reg.status.push(s);
                    }
                }
            }
            "registrar abuse contact email" | "abuse-mailbox" | "abuse email" => {
                reg.abuse_email.get_or_insert_with(|| value.to_string());
            }
            _ => {}
        }
    }
    reg.found = fields > 0 && !not_found.iter().any(|n| lower.contains(n));
    reg
}

/// `key: value`, `[Key]   value` or `a. [Key]   value`.
fn split_field(line: &str) -> Option<(&str, &str)> {
    let rest = match line.as_bytes() {
        [c, b'.', b' ', ..] if c.is_ascii_lowercase() => line[3..].trim_start(),
        _ => line,
    };
    if let Some(r) = rest.strip_prefix('[') {
        let (k, v) = r.split_once(']')?;
        return Some((k, v));
    }
    let (k, v) = rest.split_once(':')?;
    // "http://…" on its own is not a field.
    if k.contains(' ') && k.split_whitespace().count() > 5 {
        return None;
    }
    Some((k, v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(day("2019-03-14T12:34:56Z"), "2019-03-14");
        assert_eq!(day("2001/02/03"), "2001-02-03");
        assert_eq!(day("14-Mar-2019"), "2019-03-14");
        assert_eq!(days_from_civil("1970-01-01"), Some(0));
        assert_eq!(days_from_civil("2023-06-01").unwrap() - days_from_civil("2023-05-02").unwrap(), 30);
        assert_eq!(days_from_civil("garbage"), None);
    }

    #[test]
    fn whois_not_found() {
        assert!(!parse_whois("No entries found for the selected source(s).\n").found);
        assert!(!parse_whois("").found);
    }
}
