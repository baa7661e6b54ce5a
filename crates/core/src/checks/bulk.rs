//! Counter-evidence from how legitimate mailings and notices behave.
//!
//! A newsletter and a phishing mail can tell the same words ("act now", a hidden preheader, a
//! tracked link carrying the reader's address); what differs is accountability. A legitimate
//! sender proves its domain (aligned DKIM or DMARC), offers an unsubscribe (RFC 2369, one-click
//! per RFC 8058), sends through a bulk-mail service under its own name, and links to its own
//! site. Each of those is a finding with negative weight, only for a sender that proved its
//! domain: anyone can write the headers.
//!
//! None of them excuses a credential lure that sends the reader elsewhere: [`guard`] takes every
//! piece of counter-evidence out of the score when the mail tells a credential story and links
//! to a domain outside the sender's own, and says so in its evidence.
//!
//! When the counter-evidence holds, the text model's reading is set aside too
//! ([`TEXT_MODEL_EXCUSED_BY`]): phishing copies the wording of real notices, so a bank's own
//! statement, proven to come from the bank and linking only to it, reads like phishing of it.
//! The words are no evidence against the one sender that has the right to them.

use kaibo_model::{Evidence, FindingId, ids};

use super::{Collector, Context};
use crate::Options;
use crate::auth_results;
use crate::body::Content;
use crate::knowledge::Knowledge;
use crate::mail::MailFacts;
use crate::urls::registrable_domain;

pub fn check(ctx: &Context<'_>, out: &mut Collector) {
    let Some(proven) = ctx.proven_sender.clone() else {
        if let Some(evidence) = unproven_brand_notice(ctx) {
            out.add(ids::LINKS_STAY_WITH_BRAND, evidence);
        }
        return;
    };
    let mail = ctx.mail;
    // A mailing list's unsubscribe is the list's, not the original sender's.
    let list_relay = mail.header("List-Post").is_some() || mail.header("X-Mailman-Version").is_some();
    if !list_relay && let Some(lu) = mail.header("List-Unsubscribe").filter(|v| has_unsubscribe_uri(v)) {
        let mut ev = vec![
            Evidence::new("authenticated as", proven.clone()),
            Evidence::new("header:List-Unsubscribe", lu),
        ];
        if let Some(post) = mail.header("List-Unsubscribe-Post") {
            ev.push(Evidence::new("header:List-Unsubscribe-Post", post));
        }
        out.add(ids::BULK_AUTHENTICATED_UNSUBSCRIBE, ev);
        let one_click = mail
            .header("List-Unsubscribe-Post")
            .is_some_and(|p| p.to_ascii_lowercase().replace(' ', "").contains("list-unsubscribe=one-click"));
        if one_click && lu.to_ascii_lowercase().contains("https://") {
            out.add(
                ids::BULK_ONE_CLICK_UNSUBSCRIBE,
                vec![Evidence::new(
                    "header:List-Unsubscribe-Post",
                    mail.header("List-Unsubscribe-Post").unwrap_or(""),
                )],
            );
        }
    }
    if let Some(service) = bulk_service(ctx) {
        out.add(
            ids::BULK_KNOWN_BULK_SERVICE,
            vec![Evidence::new("authenticated as", proven.clone()), Evidence::new(service.0, service.1)],
        );
    }
    links_stay_with_sender(ctx, out, &proven);
}

/// The registrable domain of the From address when the trusted Authentication-Results prove it:
/// DMARC passed, or a passing DKIM signature of the same organisational domain. Consumer domains
/// (anyone can open an account) and inline forwards (the forwarder authenticated) prove nothing.
/// Worked out once per mail, before the checks run ([`Context::proven_sender`]).
///
/// [`Context::proven_sender`]: super::Context::proven_sender
pub fn proven_domain(k: &Knowledge, mail: &MailFacts, content: &Content, opts: &Options) -> Option<String> {
    let from = mail.from.domain.as_deref()?;
    let from_rd = registrable_domain(from)?;
    // A consumer domain proves nothing about its millions of account holders; a subdomain of
    // it (mail.biglobe.ne.jp) is the provider's own system writing.
    if (k.is_consumer_domain(from) && from.eq_ignore_ascii_case(&from_rd)) || content.inline_forward.is_some()
    {
        return None;
    }
    let (ar, _) = auth_results::choose(&mail.auth_results, &opts.trusted_authserv_ids)?;
    let dmarc_pass = ar.result("dmarc").is_some_and(|d| d.result == "pass");
    let dkim_aligned = ar.all("dkim").any(|r| {
        r.result == "pass"
            && auth_results::dkim_signer(r).and_then(registrable_domain).is_some_and(|d| d == from_rd)
    });
    (dmarc_pass || dkim_aligned).then_some(from_rd)
}

/// A List-Unsubscribe value holding at least one `https:`, `http:` or `mailto:` URI (the
/// header parser may have taken off the angle brackets).
fn has_unsubscribe_uri(value: &str) -> bool {
    let v = value.to_ascii_lowercase();
    v.contains("http://") || v.contains("https://") || v.contains("mailto:")
}

/// Where the mail shows a bulk-mail service: the envelope sender (Return-Path), a DKIM signer
/// or the host that handed the mail over.
fn bulk_service(ctx: &Context<'_>) -> Option<(&'static str, String)> {
    let mail = ctx.mail;
    if let Some(rp) = mail.return_path.as_deref()
        && let Some(domain) = rp.rsplit('@').next()
        && let Some(s) = ctx.k.bulk_service(&domain.trim_end_matches('>').to_ascii_lowercase())
    {
        return Some(("header:Return-Path", s.to_string()));
    }
    if let Some((ar, _)) = auth_results::choose(&mail.auth_results, &ctx.opts.trusted_authserv_ids) {
        for r in ar.all("dkim").filter(|r| r.result == "pass") {
            if let Some(d) = auth_results::dkim_signer(r)
                && let Some(s) = ctx.k.bulk_service(&d.to_ascii_lowercase())
            {
                return Some(("dkim signer", s.to_string()));
            }
        }
    }
    // The oldest hop with a name is the sending side.
    mail.hops.iter().rev().find_map(|hop| {
        let host = hop.from_host.as_deref()?.to_ascii_lowercase();
        ctx.k.bulk_service(&host).map(|s| ("header:Received", s.to_string()))
    })
}

/// Hosts that belong to the proven sender: its organisational domain, or another domain of the
/// brand that owns it.
pub fn belongs_to_sender(ctx: &Context<'_>, proven: &str, host: &str) -> bool {
    let rd = registrable_domain(host);
    if rd.as_deref() == Some(proven) {
        return true;
    }
    if rd.as_deref().is_some_and(|rd| same_name_other_suffix(rd, proven)) {
        return true;
    }
    ctx.k.sender_domain_brand(proven).is_some_and(|b| b.owns(host))
}

/// Two registrable domains with the same name under different public suffixes (rakuten.co.jp
/// and rakuten.net): one organisation's sites, for a sender that proved one of them. Names
/// under four characters are too common to say so.
fn same_name_other_suffix(a: &str, b: &str) -> bool {
    let name = |d: &str| d.split('.').next().unwrap_or_default().to_ascii_lowercase();
    let (na, nb) = (name(a), name(b));
    na.len() >= 4 && na == nb
}

/// Do the mail's clickable links all stay with `owner` (a registrable domain)? Every one has a
/// host, none is `refused`, at least one is the owner's and the rest go to social profiles.
/// Returns how many went to the owner and how many to social profiles.
fn links_kept_by(ctx: &Context<'_>, owner: &str, refused: impl Fn(&str) -> bool) -> Option<(usize, usize)> {
    let (mut own, mut neutral) = (0, 0);
    for link in ctx.content.links.iter().filter(|l| l.is_clickable()) {
        let host = link.facts.host.as_deref()?;
        if refused(host) {
            return None;
        }
        // A host can be both the sender's and neutral (google.com for Google's own notices):
        // it counts once, as the sender's.
        if belongs_to_sender(ctx, owner, host) {
            own += 1;
        } else if ctx.k.is_neutral_link_host(host) {
            neutral += 1;
        } else {
            return None;
        }
    }
    (own >= 1).then_some((own, neutral))
}

fn links_stay_with_sender(ctx: &Context<'_>, out: &mut Collector, proven: &str) {
    if let Some((own, neutral)) = links_kept_by(ctx, proven, |_| false) {
        out.add(
            ids::LINKS_STAY_WITH_SENDER,
            vec![
                Evidence::new("authenticated as", proven.to_string()),
                Evidence::new("links", format!("{own} to {proven}, {neutral} to social profiles")),
            ],
        );
    }
}

/// Credential stories: what a phish tells to get a password, a card or a login.
const CREDENTIAL_LURES: [FindingId; 9] = [
    ids::LURE_ACCOUNT_VERIFICATION,
    ids::LURE_ACCOUNT_SUSPENSION,
    ids::LURE_PASSWORD_EXPIRY,
    ids::LURE_SECURITY_ALERT,
    ids::LURE_PAYMENT_PROBLEM,
    ids::LURE_UNDELIVERED_MESSAGES,
    ids::LURE_MAILBOX_QUOTA,
    ids::LURE_SYNC_ERROR,
    ids::LURE_WALLET_VERIFICATION,
];

/// Counter-evidence that a credential lure with a link elsewhere takes out of the score.
const EXCUSES: [FindingId; 7] = [
    ids::AUTH_DMARC_PASS,
    ids::AUTH_DKIM_PASS_ALIGNED,
    ids::AUTH_BRAND_DOMAIN_AUTHENTICATED,
    ids::BULK_AUTHENTICATED_UNSUBSCRIBE,
    ids::BULK_ONE_CLICK_UNSUBSCRIBE,
    ids::BULK_KNOWN_BULK_SERVICE,
    ids::LINKS_STAY_WITH_SENDER,
];

/// Findings that, when they count, take the text model out of the score: the sender proved
/// its domain and the mail's links stay with it (or the domain is the brand's own), or, with
/// nothing authenticated, every sign the mail carries says it is the brand's own notice.
pub const TEXT_MODEL_EXCUSED_BY: [FindingId; 3] =
    [ids::AUTH_BRAND_DOMAIN_AUTHENTICATED, ids::LINKS_STAY_WITH_SENDER, ids::LINKS_STAY_WITH_BRAND];

/// Runs last: counter-evidence is not counted for a credential lure that links elsewhere, and
/// the text model is not counted for a sender whose counter-evidence holds.
pub fn guard(ctx: &Context<'_>, out: &mut Collector) {
    guard_excuses(ctx, out);
    fn scored(out: &Collector, id: FindingId) -> bool {
        out.ledger.get(id).is_some_and(|f| f.scored)
    }
    let Some(by) = TEXT_MODEL_EXCUSED_BY.iter().copied().find(|id| scored(out, *id)) else { return };
    let whose = if by == ids::LINKS_STAY_WITH_BRAND {
        "the mail is the brand's own by every sign it carries"
    } else {
        "the sender proved its domain"
    };
    if scored(out, ids::CONTENT_TEXT_MODEL) {
        let reason = Evidence::new(
            "not counted",
            format!("{}: {whose}, and its words are its own to use", by.as_str()),
        );
        out.ledger.unscore(ids::CONTENT_TEXT_MODEL, reason);
    }
    // With nothing authenticated, a credential story whose every link goes to the brand's own
    // site has nowhere else to take the reader: a spoofer gains nothing by it, the brand is
    // telling its own customer. (With results, DMARC and the brand's counter-evidence decide.)
    if by == ids::LINKS_STAY_WITH_BRAND {
        let reason = Evidence::new(
            "not counted",
            format!(
                "{}: every link goes to the brand's own site, nowhere else to take the reader",
                by.as_str()
            ),
        );
        for id in CREDENTIAL_LURES.iter().copied().chain([ids::LURE_COMBINED]) {
            if scored(out, id) {
                out.ledger.unscore(id, reason.clone());
            }
        }
    }
    // A platform's own notice (a password reset from GitHub) linking only to the platform
    // relays no one's lure.
    if scored(out, ids::SENDER_RELAYED_LURE) {
        let reason =
            Evidence::new("not counted", format!("{}: every link stays with the sender", by.as_str()));
        out.ledger.unscore(ids::SENDER_RELAYED_LURE, reason);
    }
}

/// `links.stay_with_brand`: a brand's notice that nothing proves or disproves. No trusted
/// Authentication-Results at all (a mail saved without them, an old archive), the From in a
/// brand's own domain, handed over by the brand's own servers ([`handed_over_by`]), and every
/// link to that brand, none of them forwarding elsewhere. Its words read like phishing of the
/// brand because phishing copies them; but a spoofer who links only to the brand's real site
/// has nowhere to take the reader. The text model, a relayed-lure reading and the credential
/// stories are set aside ([`guard`]); a callback number or an attachment still counts, and a
/// failed check (DMARC, SPF) means there are results, so this never applies to a proven spoof.
/// Only for brands: a domain that agrees with itself (its own servers, its own links) says
/// nothing about who owns it (docs/evaluation.md, rounds 7 and 10).
fn unproven_brand_notice(ctx: &Context<'_>) -> Option<Vec<Evidence>> {
    let mail = ctx.mail;
    if auth_results::choose(&mail.auth_results, &ctx.opts.trusted_authserv_ids).is_some()
        || ctx.content.inline_forward.is_some()
    {
        return None;
    }
    let from = mail.from.domain.as_deref()?;
    let brand = ctx.k.sender_domain_brand(from)?;
    let from_rd = registrable_domain(from)?;
    // Replies that go elsewhere are a way out of the brand's site, except from a platform that
    // relays a person's message (a DocuSign envelope answers to the person who sent it).
    let relay = mail.from.address.as_deref().is_some_and(|a| ctx.k.is_relay_sender(a));
    let replies_elsewhere = !relay
        && mail.reply_to.iter().any(|r| {
            r.domain.as_deref().and_then(registrable_domain).is_some_and(|d| d != from_rd && !brand.owns(&d))
        });
    if replies_elsewhere {
        return None;
    }
    let server = handed_over_by(ctx, &from_rd, brand)?;
    // A brand's hosting or shortening service (amazonaws.com, goo.gl) serves anyone's page.
    let refused = |h: &str| ctx.k.hosting_service(h).is_some() || ctx.k.is_shortener(h);
    let (own, neutral) = links_kept_by(ctx, &from_rd, refused)?;
    // A link to the brand's site that forwards elsewhere ("…/redirect?url=https://evil…", an
    // open redirect) is a way out after all.
    if redirects_elsewhere(ctx, &from_rd) {
        return None;
    }
    Some(vec![
        Evidence::new("brand", brand.id.clone()),
        Evidence::new("header:From", from.to_string()),
        Evidence::new("header:Received", server.to_string()),
        Evidence::new("links", format!("{own} to {}, {neutral} to social profiles", brand.id)),
        Evidence::new("authentication", "no Authentication-Results from a trusted server"),
    ])
}

/// Does a clickable link carry, in its query or fragment, a web address outside `owner` and
/// the neutral hosts? That is the shape of an open redirect on the owner's site.
fn redirects_elsewhere(ctx: &Context<'_>, owner: &str) -> bool {
    ctx.content.links.iter().filter(|l| l.is_clickable()).any(|link| {
        let Ok(url) = url::Url::parse(&link.facts.url) else { return false };
        let fragment = url.fragment().map(std::borrow::Cow::Borrowed);
        url.query_pairs().map(|(_, v)| v).chain(fragment).any(|value| {
            let value = value.trim();
            let scheme = value.get(..8).unwrap_or(value).to_ascii_lowercase();
            (scheme.starts_with("http://") || scheme.starts_with("https://"))
                && crate::urls::parse_web_url(value)
                    .and_then(|inner| inner.host_str().map(str::to_ascii_lowercase))
                    .is_some_and(|h| !belongs_to_sender(ctx, owner, &h) && !ctx.k.is_neutral_link_host(&h))
        })
    })
}

/// Did the brand's own servers (or a bulk-mail service) hand the mail to the first server
/// outside them? The newest Received line from a public address, not a relay inside the
/// receiving organisation, is the one the recipient's side wrote: the name it looked up for
/// the sending address cannot be chosen by the sender. Mail through a mailing list or a
/// forwarder fails this, and keeps the text model.
fn handed_over_by<'a>(ctx: &Context<'a>, from_rd: &str, brand: &crate::knowledge::Brand) -> Option<&'a str> {
    let sending = ctx.mail.hops.iter().find(|hop| {
        let public =
            hop.from_ip.as_deref().and_then(|ip| ip.parse().ok()).is_some_and(crate::net::is_public_ip);
        let internal = match (hop.from_rdns.as_deref(), hop.by_host.as_deref()) {
            (Some(f), Some(b)) => registrable_domain(f).is_some_and(|f| registrable_domain(b) == Some(f)),
            _ => false,
        };
        public && !internal
    });
    let rdns = sending.and_then(|hop| hop.from_rdns.as_deref())?;
    (registrable_domain(rdns).is_some_and(|d| d == from_rd)
        || brand.owns(rdns)
        || ctx.k.bulk_service(rdns).is_some())
    .then_some(rdns)
}

/// A credential lure linking outside the sender's own domains is not excused by how
/// well-behaved the sending is (a hijacked or look-alike account sends it just as well). The
/// counter-evidence stays visible, unscored, with the reason.
fn guard_excuses(ctx: &Context<'_>, out: &mut Collector) {
    let Some(lure) = CREDENTIAL_LURES.iter().find(|id| out.has(**id)) else { return };
    let from_rd = ctx.mail.from.domain.as_deref().and_then(registrable_domain);
    let Some(own) = ctx.proven_sender.clone().or(from_rd) else { return };
    let elsewhere = ctx
        .content
        .links
        .iter()
        .filter(|l| l.is_clickable())
        .filter_map(|l| l.facts.host.as_deref().map(|h| (h, l.facts.url.as_str())))
        .find(|(h, _)| !belongs_to_sender(ctx, &own, h) && !ctx.k.is_neutral_link_host(h));
    let Some((_, url)) = elsewhere else { return };
    let reason = Evidence::new(
        "not counted",
        format!("{} with a link outside {own}: {}", lure.as_str(), crate::text::clip(url, 120)),
    );
    for id in EXCUSES {
        out.ledger.unscore(id, reason.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsubscribe_uris() {
        assert!(has_unsubscribe_uri("<https://example.com/u?x=1>, <mailto:u@example.com>"));
        assert!(has_unsubscribe_uri("<MAILTO:leave@example.com>"));
        assert!(has_unsubscribe_uri("https://example.com/u"));
        assert!(!has_unsubscribe_uri("please write to us"));
        assert!(!has_unsubscribe_uri(""));
    }

    #[test]
    fn sibling_domains() {
        assert!(same_name_other_suffix("rakuten.net", "rakuten.co.jp"));
        assert!(same_name_other_suffix("Example-Bank.com", "example-bank.jp"));
        assert!(!same_name_other_suffix("rakuten-secure.net", "rakuten.co.jp"));
        assert!(!same_name_other_suffix("abc.net", "abc.co.jp"));
    }
}
