//! Links: where each link really goes, and the tricks that hide it.

use super::{Collector, Context};
use crate::body::Link;
use crate::urls::{find_urls_in_text, parse_web_url, registrable_domain};
use kaibo_model::Evidence;
use kaibo_model::ids;

pub fn check(ctx: &Context<'_>, out: &mut Collector) {
    let recipients = recipient_needles(ctx);
    let from_domain = ctx.mail.from.domain.as_deref().unwrap_or("");
    let from_brand = ctx.k.sender_domain_brand(from_domain);
    let home = home_country(ctx);
    // How many sites the mail links to: a page cited in a digest or a discussion is one of
    // many, a phishing page is the one place the mail sends the reader.
    let mut sites: Vec<&str> = Vec::new();
    for l in ctx.content.links.iter().filter(|l| l.is_clickable()) {
        if let Some(rd) = l.facts.registrable_domain.as_deref().or(l.facts.host.as_deref())
            && !sites.contains(&rd)
            && sites.len() < 8
        {
            sites.push(rd);
        }
    }
    for link in ctx.content.links.iter().filter(|l| l.is_clickable()) {
        let f = &link.facts;
        let url_ev = || Evidence::new(format!("url ({})", link.source), f.url.clone());

        if let Some((shown, shown_host)) = displayed_other_domain(link)
            && !click_tracking(ctx, link, &shown_host)
            && !honest_redirect(ctx, link, &shown_host)
        {
            out.add(ids::LINKS_DISPLAY_MISMATCH, vec![Evidence::new("link text", shown), url_ev()]);
        }
        // A link to a private or loopback address cannot reach an attacker's server; in
        // technical mail it is a device on the reader's own network.
        if f.is_ip && f.host.as_deref().and_then(|h| h.parse().ok()).is_some_and(crate::net::is_public_ip) {
            out.add(ids::LINKS_IP_LITERAL_HOST, vec![url_ev()]);
        }
        if let Some(host) = f.host.as_deref() {
            // The sender's own brand may host its pages there (Google on docs.google.com).
            let own = from_brand.is_some_and(|b| b.owns(host));
            // A URL written out in full hides nothing; it is a lure's only when it is
            // (nearly) all the mail links to.
            let cited = link.source == kaibo_model::LinkSource::Text && sites.len() > 2;
            if !own
                && !cited
                && let Some(service) = ctx.k.hosting_service(host)
            {
                out.add(ids::LINKS_CLOUD_HOSTED_PAGE, vec![url_ev(), Evidence::new("hosting", service)]);
            }
            if let Some(suffix) = ctx.k.abused_suffix(host) {
                out.add(ids::LINKS_ABUSED_TLD, vec![url_ev(), Evidence::new("suffix", format!(".{suffix}"))]);
            }
        }
        if let Some(ui) = &f.userinfo {
            out.add(ids::LINKS_USERINFO_TRICK, vec![url_ev(), Evidence::new("shown before @", ui.clone())]);
        }
        if f.host.as_deref().is_some_and(|h| ctx.k.is_shortener(h)) {
            out.add(ids::LINKS_SHORTENER, vec![url_ev()]);
        }
        // Unsubscribe links carry the address by design.
        let lower_url = f.url.to_ascii_lowercase();
        let unsubscribe = ctx.k.vocab.unsubscribe_markers.iter().any(|w| lower_url.contains(w.as_str()))
            || link.display_text.as_deref().is_some_and(|t| t.to_lowercase().contains("unsubscribe"));
        if !unsubscribe
            && let Some(r) = recipients.iter().find(|(needle, _)| lower_url.contains(needle.as_str()))
        {
            out.add(ids::LINKS_RECIPIENT_IN_URL, vec![url_ev(), Evidence::new("recipient", r.1.clone())]);
        }
        if f.punycode {
            let mut ev = vec![url_ev()];
            if let Some(u) = &f.host_unicode {
                ev.push(Evidence::new("host shown as", u.clone()));
            }
            out.add(ids::LINKS_PUNYCODE_HOST, ev);
        }
        brand_imitations(ctx, link, out);
        if let (Some(home), Some(country), Some(tld)) = (home, f.country.as_deref(), f.tld.as_deref())
            && country != home
            && !ctx.k.is_generic_cctld(tld)
        {
            let name = |code: &str| {
                ctx.k.country(code).map_or(code.to_string(), |c| match &c.ja {
                    Some(ja) => format!("{} / {ja} ({code})", c.en),
                    None => format!("{} ({code})", c.en),
                })
            };
            out.add(
                ids::LINKS_FOREIGN_COUNTRY_DOMAIN,
                vec![
                    url_ev(),
                    Evidence::new("link country", name(country)),
                    Evidence::new("mail written for", name(home)),
                ],
            );
        }
    }
}

/// A link's host that imitates a brand: its real domain written at the front of another site's
/// host, or a domain that looks like the brand's.
fn brand_imitations(ctx: &Context<'_>, link: &Link, out: &mut Collector) {
    let f = &link.facts;
    let url_ev = || Evidence::new(format!("url ({})", link.source), f.url.clone());
    if let (Some(host), Some(rd)) = (f.host.as_deref(), f.registrable_domain.as_deref())
        && let Some((brand, written)) = ctx.k.brand_domain_in_host(host, rd)
    {
        out.add(
            ids::LINKS_BRAND_DOMAIN_IN_HOST,
            vec![
                url_ev(),
                Evidence::new(
                    "brand domain shown",
                    format!("{written} ({})", brand.names.first().unwrap_or(&brand.id)),
                ),
                Evidence::new("site belongs to", rd.to_string()),
            ],
        );
    }
    if let Some(rd) = &f.registrable_domain {
        let uni = if f.punycode { idna::domain_to_unicode(rd).0 } else { rd.clone() };
        if let Some(brand) = ctx.k.brand_lookalike(&uni) {
            out.add(
                ids::LINKS_CONFUSABLE_DOMAIN,
                vec![
                    url_ev(),
                    Evidence::new(
                        "imitates",
                        brand
                            .domains
                            .iter()
                            .find(|d| crate::text::skeleton(d) == crate::text::skeleton(&uni))
                            .cloned()
                            .unwrap_or_else(|| brand.id.clone()),
                    ),
                ],
            );
        }
    }
}

/// The country a mail is written for: Japan for Japanese text, else the country of the sender's
/// country-code domain, else none (an English mail can be meant for anyone).
fn home_country(ctx: &Context<'_>) -> Option<&'static str> {
    if ctx.content.language == Some("ja") {
        return Some("JP");
    }
    None
}

/// When a link's text shows a URL or domain name of another registrable domain than the link's
/// target, returns the text shown and the host it names.
pub fn displayed_other_domain(link: &Link) -> Option<(String, String)> {
    let text = link.display_text.as_deref()?.trim();
    let target = link.facts.registrable_domain.as_deref().or(link.facts.host.as_deref())?;
    let shown_host = if let Some(u) = find_urls_in_text(text).first() {
        parse_web_url(u.text).and_then(|u| u.host_str().map(str::to_string))
    } else {
        // A bare domain name as the whole text ("amazon.co.jp"); a file name such as
        // "report_v2.zip" is not one.
        let t = text.trim_end_matches('/').to_ascii_lowercase();
        (!t.contains(' ')
            && t.contains('.')
            && t.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-')
            && psl::suffix(t.as_bytes()).is_some_and(|s| s.is_known())
            && t.split('.').all(|l| !l.is_empty()))
        .then_some(t)
    }?;
    let shown_host = shown_host.trim_end_matches('.').to_ascii_lowercase();
    let shown_host = shown_host.trim_start_matches('[').trim_end_matches(']').to_string();
    if shown_host.parse::<std::net::IpAddr>().is_ok() || link.facts.is_ip {
        let target_host = link.facts.host.as_deref().unwrap_or("");
        return (shown_host != target_host).then(|| (text.chars().take(120).collect(), shown_host));
    }
    let shown = registrable_domain(&shown_host).unwrap_or_else(|| shown_host.clone());
    (shown != target && !shown.contains('@')).then(|| (text.chars().take(120).collect(), shown_host))
}

/// A mismatch that misleads no one: the link's own query carries the site shown (a redirector
/// that lands where the text says), or the text shown is a mail gateway's rewritten link, or a
/// gateway has defused the link (`lists.example.noclick_com`: no longer a host at all).
fn honest_redirect(ctx: &Context<'_>, link: &Link, shown_host: &str) -> bool {
    let not_a_host = |h: &str| h.rsplit('.').next().is_some_and(|tld| tld.contains('_'));
    if not_a_host(shown_host) || link.facts.host.as_deref().is_some_and(not_a_host) {
        return true;
    }
    if crate::urls::is_gateway_rewriter(shown_host, ctx.k) {
        return true;
    }
    // A parameter whose value is a URL of the site shown: `redirect=https%3a%2f%2folson.house.gov`.
    // Not for a brand's domain: any phishing link can carry `?r=https://www.paypal.com`.
    if ctx.k.sender_domain_brand(shown_host).is_some() {
        return false;
    }
    let shown = registrable_domain(shown_host).unwrap_or_else(|| shown_host.to_string());
    let url = &link.facts.url;
    let Some(q) = url.find('?') else { return false };
    let query = crate::urls::percent_decode(&url[q..]).to_ascii_lowercase();
    query.split(['&', '?']).filter_map(|p| p.split_once('=')).any(|(_, v)| {
        let rest = v.strip_prefix("https://").or_else(|| v.strip_prefix("http://")).unwrap_or("");
        let host = rest.split(['/', '?', '#', ':']).next().unwrap_or("");
        crate::knowledge::domain_is_or_under(host, &shown)
    })
}

/// A mailing's click tracking: a link that shows a domain and goes through a bulk-mail
/// service's redirector (or, for an authenticated sender, its own), where the domain shown is
/// no brand's (or the sender's own brand). Phishing that shows a bank's domain stays a mismatch.
fn click_tracking(ctx: &Context<'_>, link: &Link, shown_host: &str) -> bool {
    let Some(host) = link.facts.host.as_deref() else { return false };
    let shown_brand = ctx.k.sender_domain_brand(shown_host);
    match ctx.proven_sender.as_deref() {
        Some(proven) => {
            let through_sender =
                super::bulk::belongs_to_sender(ctx, proven, host) || ctx.k.bulk_service(host).is_some();
            through_sender && shown_brand.is_none_or(|b| b.owns(proven))
        }
        // Unproven, the redirector must be a bulk-mail service's or the From domain's own
        // (the sender's `r.aspx?ID=…` to its Facebook page).
        None => {
            let from_rd = ctx.mail.from.domain.as_deref().and_then(registrable_domain);
            let own = from_rd.is_some() && link.facts.registrable_domain == from_rd;
            (own || ctx.k.bulk_service(host).is_some()) && shown_brand.is_none()
        }
    }
}

/// The recipient's addresses as they may be written into a URL: plain, percent-encoded, and
/// base64 (common in phishing kits), lower case, paired with the address.
fn recipient_needles(ctx: &Context<'_>) -> Vec<(String, String)> {
    let mut addrs: Vec<String> =
        ctx.mail.to.iter().chain(ctx.mail.cc.iter()).filter_map(|m| m.address.clone()).collect();
    for name in ["Delivered-To", "X-Original-To"] {
        for (_, v) in ctx.mail.header_values(name) {
            addrs.push(v.trim().trim_matches(|c| c == '<' || c == '>').to_string());
        }
    }
    let mut out = Vec::new();
    for a in addrs {
        let a = a.to_ascii_lowercase();
        if !a.contains('@') || a.len() < 6 {
            continue;
        }
        out.push((a.clone(), a.clone()));
        out.push((a.replace('@', "%40"), a.clone()));
        out.push((base64(a.as_bytes()).trim_end_matches('=').to_ascii_lowercase(), a.clone()));
    }
    out
}

fn base64(b: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for c in b.chunks(3) {
        let n = (c[0] as u32) << 16 | (*c.get(1).unwrap_or(&0) as u32) << 8 | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                s.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::knowledge;
    use crate::urls::url_facts;
    use kaibo_model::LinkSource;

    fn link(url: &str, text: &str) -> Link {
        Link {
            facts: url_facts(&parse_web_url(url).unwrap(), knowledge()),
            source: LinkSource::Anchor,
            display_text: Some(text.into()),
            hidden: false,
            unwrapped_from: None,
        }
    }

    #[test]
    fn display_mismatch() {
        assert_eq!(
            displayed_other_domain(&link("https://evil.example/x", "https://www.amazon.co.jp/")),
            Some(("https://www.amazon.co.jp/".to_string(), "www.amazon.co.jp".to_string()))
        );
        assert_eq!(
            displayed_other_domain(&link("https://evil.example/x", "amazon.co.jp"))
                .map(|(t, _)| t)
                .as_deref(),
            Some("amazon.co.jp")
        );
        assert_eq!(displayed_other_domain(&link("https://www.amazon.co.jp/x", "https://amazon.co.jp")), None);
        assert_eq!(displayed_other_domain(&link("https://evil.example/x", "Click here")), None);
        assert_eq!(displayed_other_domain(&link("https://evil.example/x", "Dr. Smith")), None);
    }

    #[test]
    fn base64_matches_standard() {
        assert_eq!(base64(b"user@example.co.jp"), "dXNlckBleGFtcGxlLmNvLmpw");
        assert_eq!(base64(b"ab"), "YWI=");
    }
}
