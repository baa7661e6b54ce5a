//! What to look up for one mail: its link hosts, registrable domains and addresses, the sender's
//! domain, and the URLs to check against feeds and reputation services (each list capped, so a
//! mail with 500 links does not become 2,000 lookups).

use std::net::IpAddr;

use kaibo_core::Analysis;

/// Limits per mail.
pub const MAX_HOSTS: usize = 15;
pub const MAX_DOMAINS: usize = 8;
pub const MAX_IPS: usize = 16;
pub const MAX_IP_RDAP: usize = 4;

/// What to look up for one mail.
pub struct Targets {
    pub hosts: Vec<String>,
    pub domains: Vec<String>,
    pub ips: Vec<(IpAddr, Vec<String>)>,
    pub urls: Vec<String>,
    /// Registrable domains of the links only (the sender's is in `domains` too).
    pub link_domains: Vec<String>,
    pub sender_domain: Option<String>,
}

impl Targets {
    pub fn of(a: &Analysis) -> Targets {
        let mut t = Targets {
            hosts: Vec::new(),
            domains: Vec::new(),
            ips: Vec::new(),
            urls: Vec::new(),
            link_domains: Vec::new(),
            sender_domain: None,
        };
        for u in &a.observables.urls {
            if !t.urls.contains(&u.facts.url) && t.urls.len() < 50 {
                t.urls.push(u.facts.url.clone());
            }
            let Some(host) = &u.facts.host else { continue };
            if u.facts.is_ip {
                if let Ok(ip) = host.trim_matches(['[', ']']).parse() {
                    push_ip(&mut t.ips, ip, "link");
                }
                continue;
            }
            if !t.hosts.contains(host) && t.hosts.len() < MAX_HOSTS {
                t.hosts.push(host.clone());
            }
            if let Some(d) = &u.facts.registrable_domain
                && !t.domains.contains(d)
                && t.domains.len() < MAX_DOMAINS
            {
                t.domains.push(d.clone());
            }
            if let Some(d) = &u.facts.registrable_domain
                && !t.link_domains.contains(d)
            {
                t.link_domains.push(d.clone());
            }
        }
        if let Some(d) = sender_domain(a).filter(|d| d.contains('.')) {
            if let Some(reg) = kaibo_core::urls::registrable_domain(&d)
                && !t.domains.contains(&reg)
                && t.domains.len() < MAX_DOMAINS
            {
                t.domains.push(reg);
            }
            t.sender_domain = Some(d);
        }
        for ip in &a.observables.ips {
            if let Ok(ip) = ip.parse::<IpAddr>()
                && !t.ips.iter().any(|(i, _)| *i == ip)
            {
                push_ip(&mut t.ips, ip, "sender hop");
            }
        }
        t
    }
}

/// The domain of the From address, lower-cased.
pub fn sender_domain(a: &Analysis) -> Option<String> {
    let address = a.message.from.address.as_deref()?;
    address.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase())
}

/// Adds `ip` with why it was looked up, or the reason to one already there.
pub fn push_ip(ips: &mut Vec<(IpAddr, Vec<String>)>, ip: IpAddr, why: &str) {
    if let Some((_, seen)) = ips.iter_mut().find(|(i, _)| *i == ip) {
        if !seen.iter().any(|s| s == why) {
            seen.push(why.to_string());
        }
    } else {
        ips.push((ip, vec![why.to_string()]));
    }
}
