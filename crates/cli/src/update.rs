//! `kaibo db update` and `kaibo feeds update`: the only commands that download, and only what
//! the configuration names.

use std::time::Duration;

use crate::flags::OnlineArgs;

pub enum What {
    Databases,
    Feeds,
}

/// DB-IP's free "lite" databases: CC BY 4.0, redistributable with attribution, one file a month.
fn dbip_url(kind: &str) -> String {
    let now = kaibo_core::calendar::rfc3339_of(std::time::SystemTime::now());
    format!("https://download.db-ip.com/free/dbip-{kind}-lite-{}.mmdb.gz", &now[..7])
}

pub fn run(args: &OnlineArgs, what: What) -> std::process::ExitCode {
    let cfg = match args.config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("kaibo: error: {e}");
            return std::process::ExitCode::from(crate::EXIT_ERROR);
        }
    };
    let dir = args.data_dir();
    let timeout = Duration::from_millis(cfg.timeout_ms.max(30_000));
    let mut jobs: Vec<(String, std::path::PathBuf, &str)> = Vec::new();
    match what {
        What::Databases => {
            jobs.push((
                cfg.rdap.bootstrap_url.clone(),
                dir.join("rdap-dns.json"),
                "IANA RDAP bootstrap (public)",
            ));
            jobs.push((
                cfg.geo.city_url.clone().unwrap_or_else(|| dbip_url("city")),
                dir.join("geo/city.mmdb"),
                "IP Geolocation by DB-IP (https://db-ip.com), CC BY 4.0",
            ));
            jobs.push((
                cfg.geo.asn_url.clone().unwrap_or_else(|| dbip_url("asn")),
                dir.join("geo/asn.mmdb"),
                "IP to ASN by DB-IP (https://db-ip.com), CC BY 4.0",
            ));
        }
        What::Feeds => {
            for s in &cfg.feeds.sources {
                if let Some(url) = &s.url {
                    jobs.push((
                        url.clone(),
                        kaibo_enrich::feeds::feed_path(s, &dir),
                        "see the feed's terms of use",
                    ));
                }
            }
        }
    }
    let mut failed = false;
    for (url, dest, licence) in jobs {
        match kaibo_enrich::download(&url, &dest, timeout) {
            Ok(bytes) => println!("{} ← {url} ({bytes} bytes; {licence})", dest.display()),
            Err(e) => {
                eprintln!("kaibo: {e}");
                failed = true;
            }
        }
    }
    std::process::ExitCode::from(if failed { crate::EXIT_ERROR } else { crate::EXIT_CLEAN })
}
