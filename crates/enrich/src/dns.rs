//! DNS rung (hickory-resolver): addresses, CNAME chain, MX and NS of link hosts; SPF and DMARC
//! records of the claimed sender's domain.

use std::net::IpAddr;
use std::time::Duration;

use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::{RData, RecordType};
use hickory_resolver::{Resolver, TokioResolver};
pub use kaibo_model::enrichment::{DnsStatus, HostDns, SenderPolicy};

use crate::config::DnsConfig;

pub fn resolver(cfg: &DnsConfig, timeout: Duration) -> Result<TokioResolver, String> {
    let provider = TokioRuntimeProvider::default();
    let mut opts = ResolverOpts::default();
    opts.timeout = timeout;
    opts.attempts = 1;
    let builder = if cfg.resolvers.is_empty() {
        Resolver::builder(provider).map_err(|e| format!("system resolver: {e}"))?
    } else {
        let mut config = ResolverConfig::from_parts(None, Vec::new(), Vec::new());
        for addr in &cfg.resolvers {
            let mut udp = ConnectionConfig::udp();
            udp.port = addr.port();
            let mut tcp = ConnectionConfig::tcp();
            tcp.port = addr.port();
            config.add_name_server(NameServerConfig::new(addr.ip(), true, vec![udp, tcp]));
        }
        Resolver::builder_with_config(config, provider)
    };
    builder.with_options(opts).build().map_err(|e| format!("resolver: {e}"))
}

fn fqdn(host: &str) -> String {
    if host.ends_with('.') { host.to_string() } else { format!("{host}.") }
}

fn name_text(s: String) -> String {
    s.trim_end_matches('.').to_ascii_lowercase()
}

/// Records of one type; `Ok(None)` when the name does not exist.
async fn records(r: &TokioResolver, host: &str, t: RecordType) -> Result<Option<Vec<RData>>, String> {
    match r.lookup(fqdn(host), t).await {
        Ok(l) => Ok(Some(l.answers().iter().map(|rec| rec.data.clone()).collect())),
        Err(e) if e.is_nx_domain() => Ok(None),
        Err(e) if e.is_no_records_found() => Ok(Some(Vec::new())),
        Err(e) => Err(e.to_string()),
    }
}

pub async fn lookup_host(r: &TokioResolver, host: &str) -> HostDns {
    let mut out = HostDns { host: host.to_string(), status: DnsStatus::Ok, ..Default::default() };
    match records(r, host, RecordType::A).await {
        Ok(None) => {
            out.status = DnsStatus::Nxdomain;
            return out;
        }
        Ok(Some(data)) => absorb(&mut out, data),
        Err(_) => out.status = DnsStatus::Failed,
    }
    if let Ok(Some(data)) = records(r, host, RecordType::AAAA).await {
        absorb(&mut out, data);
    }
    for (t, into_mx) in [(RecordType::MX, true), (RecordType::NS, false)] {
        if let Ok(Some(data)) = records(r, host, t).await {
            for d in data {
                match d {
                    RData::MX(mx) if into_mx => out.mx.push(name_text(mx.exchange.to_string())),
                    RData::NS(ns) if !into_mx => out.ns.push(name_text(ns.0.to_string())),
                    _ => {}
                }
            }
        }
    }
    out
}

fn absorb(out: &mut HostDns, data: Vec<RData>) {
    for d in data {
        match d {
            RData::A(a) => push(&mut out.addresses, IpAddr::V4(a.0)),
            RData::AAAA(a) => push(&mut out.addresses, IpAddr::V6(a.0)),
            RData::CNAME(c) => push(&mut out.cname, name_text(c.0.to_string())),
            _ => {}
        }
    }
}

fn push<T: PartialEq>(v: &mut Vec<T>, x: T) {
    if !v.contains(&x) {
        v.push(x);
    }
}

async fn txt(r: &TokioResolver, name: &str) -> Vec<String> {
    match records(r, name, RecordType::TXT).await {
        Ok(Some(data)) => data
            .into_iter()
            .filter_map(|d| match d {
                RData::TXT(t) => Some(
                    t.txt_data.iter().map(|s| String::from_utf8_lossy(s).into_owned()).collect::<String>(),
                ),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

pub async fn sender_policy(r: &TokioResolver, domain: &str) -> SenderPolicy {
    let spf = txt(r, domain).await.into_iter().find(|t| t.to_ascii_lowercase().starts_with("v=spf1"));
    let dmarc = txt(r, &format!("_dmarc.{domain}"))
        .await
        .into_iter()
        .find(|t| t.to_ascii_lowercase().starts_with("v=dmarc1"));
    let dmarc_policy = dmarc.as_deref().and_then(dmarc_tag_p);
    SenderPolicy { domain: domain.to_string(), spf, dmarc, dmarc_policy }
}

/// The `p=` tag of a DMARC record.
pub fn dmarc_tag_p(record: &str) -> Option<String> {
    record.split(';').find_map(|tag| {
        let (k, v) = tag.split_once('=')?;
        (k.trim().eq_ignore_ascii_case("p")).then(|| v.trim().to_ascii_lowercase())
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn dmarc_policy_tag() {
        assert_eq!(super::dmarc_tag_p("v=DMARC1; p=Reject; rua=mailto:x@y").as_deref(), Some("reject"));
        assert_eq!(super::dmarc_tag_p("v=DMARC1;sp=none"), None);
    }
}
