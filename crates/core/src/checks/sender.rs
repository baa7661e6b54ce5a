//! Sender: the name the reader sees against the address the mail is really from.

use super::{Collector, Context};
use crate::mail::domain_of;
use crate::report_model::Evidence;
use crate::urls::registrable_domain;

pub fn check(ctx: &Context<'_>, out: &mut Collector) {
    let from = &ctx.mail.from;
    let Some(address) = from.address.as_deref() else {
        out.add(
            ctx.k,
            "sender.from_missing",
            vec![Evidence::new("header:From", ctx.mail.header("From").unwrap_or(""))],
        );
        return;
    };
    let from_header = ctx.mail.header("From").unwrap_or(address).to_string();
    let from_domain = from.domain.clone().unwrap_or_default();
    let from_rd = registrable_domain(&from_domain).unwrap_or_else(|| from_domain.clone());
    let name = from.name.as_deref().unwrap_or("");

    if let Some(claimed) = display_name_claims_other_sender(name, address, &from_rd) {
        out.add(
            ctx.k,
            "sender.display_name_spoof",
            vec![
                Evidence::new("header:From", from_header.clone()),
                Evidence::new("display name shows", claimed),
                Evidence::new("real address", address),
            ],
        );
    }

    let consumer = ctx.k.is_consumer_domain(&from_domain);
    let local = address.split('@').next().unwrap_or("");
    if consumer && let Some(role) = ctx.k.role_in(name).or_else(|| ctx.k.role_in(local)) {
        out.add(
            ctx.k,
            "sender.role_from_consumer_address",
            vec![
                Evidence::new("header:From", from_header.clone()),
                Evidence::new("role claimed", role),
                Evidence::new("consumer domain", from_domain.clone()),
            ],
        );
    }

    for (i, brand_name) in ctx.k.brand_mentions(name) {
        let brand = &ctx.k.brands[i];
        if !brand.owns(&from_domain) {
            out.add(
                ctx.k,
                "sender.brand_impersonation",
                vec![
                    Evidence::new("header:From", from_header.clone()),
                    Evidence::new("brand named", brand_name),
                    Evidence::new(
                        "brand domains",
                        brand.domains.iter().take(4).cloned().collect::<Vec<_>>().join(", "),
                    ),
                ],
            );
        }
    }

    for rt in &ctx.mail.reply_to {
        let Some(rt_domain) = rt.domain.as_deref() else { continue };
        let rt_rd = registrable_domain(rt_domain).unwrap_or_else(|| rt_domain.to_string());
        if rt_rd != from_rd && ctx.k.is_free_mail(rt_domain) {
            out.add(
                ctx.k,
                "sender.reply_to_divergent",
                vec![
                    Evidence::new("header:Reply-To", rt.address.clone().unwrap_or_default()),
                    Evidence::new("header:From", address),
                ],
            );
        }
    }
}

/// When a display name shows an address or a domain name other than the real sender's, returns
/// what it shows. Mailing-list rewrites ("Name via List") and the sender's own address or domain
/// shown in the name are not spoofing.
pub fn display_name_claims_other_sender(name: &str, address: &str, from_rd: &str) -> Option<String> {
    let lower = name.to_lowercase();
    if lower.contains(" via ") || lower.contains("on behalf of") {
        return None;
    }
    for token in lower.split(|c: char| {
        c.is_whitespace() || matches!(c, '<' | '>' | '(' | ')' | '"' | '\'' | ',' | '[' | ']')
    }) {
        let token = token.trim_matches(|c: char| c == ':' || c == ';');
        if token.contains('@') {
            if token.eq_ignore_ascii_case(address) {
                continue;
            }
            let claimed_rd = domain_of(token).and_then(|d| registrable_domain(&d));
            if claimed_rd.as_deref() != Some(from_rd) {
                return Some(token.to_string());
            }
        } else if looks_like_domain(token) {
            let claimed_rd = registrable_domain(token);
            if claimed_rd.is_some() && claimed_rd.as_deref() != Some(from_rd) {
                return Some(token.to_string());
            }
        }
    }
    None
}

fn looks_like_domain(token: &str) -> bool {
    let labels: Vec<&str> = token.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        && labels.last().is_some_and(|t| t.len() >= 2 && t.chars().all(|c| c.is_ascii_alphabetic()))
        && psl::suffix(token.as_bytes()).is_some_and(|s| s.is_known())
}

#[cfg(test)]
mod tests {
    use super::display_name_claims_other_sender as claims;

    #[test]
    fn display_name_spoofing() {
        assert_eq!(
            claims("postmaster@03.bounce..", "axh33983@biglobe.ne.jp", "biglobe.ne.jp").as_deref(),
            Some("postmaster@03.bounce..")
        );
        assert_eq!(
            claims("support@amazon.co.jp", "x@evil.example", "evil.example").as_deref(),
            Some("support@amazon.co.jp")
        );
        assert_eq!(claims("Amazon.co.jp", "x@evil.example", "evil.example").as_deref(), Some("amazon.co.jp"));
        assert_eq!(claims("Taro (taro@example.org)", "taro@example.org", "example.org"), None);
        assert_eq!(claims("info@shop.example.org", "news@mail.example.org", "example.org"), None);
        assert_eq!(claims("Taro Yamada", "taro@example.org", "example.org"), None);
        assert_eq!(claims("jane@corp.example via usrp-users", "list@lists.example", "lists.example"), None);
        assert_eq!(claims("Mr. J. Smith", "j@example.org", "example.org"), None);
    }
}
