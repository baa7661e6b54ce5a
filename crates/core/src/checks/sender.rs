//! Sender: the name the reader sees against the address the mail is really from.

use super::{Collector, Context};
use crate::mail::domain_of;
use crate::urls::registrable_domain;
use kaibo_model::ids;
use kaibo_model::{Evidence, Mailbox};

pub fn check(ctx: &Context<'_>, out: &mut Collector) {
    let from = &ctx.mail.from;
    if from.address.is_none() {
        if ctx.machine_report.is_none() {
            let raw = ctx.mail.header("From").unwrap_or("");
            // An address is written but no mail program can read it ("Ihre Chance!,
            // (<noreply@dhl.de>)"): the reader sees a name and a brand's address that the
            // mail does not come from. That is a disguise, not a missing sender.
            let id = if crate::text::addresses_in(raw).next().is_some() {
                ids::SENDER_MALFORMED_FROM
            } else {
                ids::SENDER_FROM_MISSING
            };
            out.add(id, vec![Evidence::new("header:From", raw)]);
        }
    } else {
        let from_header = ctx.mail.header("From").unwrap_or("").to_string();
        // A forward's subject is the original's, and claims what the original sender claimed.
        let subject = ctx.content.inline_forward.is_none().then_some(ctx.content.subject.as_str());
        judge_mailbox(ctx, out, from, "header:From", &from_header, subject);
        if ctx
            .mail
            .defects
            .iter()
            .any(|d| d.starts_with("From header holds") || d.starts_with("From address"))
        {
            out.add(ids::SENDER_MALFORMED_FROM, vec![Evidence::new("header:From", from_header.clone())]);
        }
        reply_to(ctx, out);
        reply_elsewhere(ctx, out);
        recipient_in_sender(ctx, out, &from_header);
    }
    if let Some(fwd) = &ctx.content.inline_forward {
        judge_mailbox(ctx, out, &fwd.from, "forwarded From", &fwd.from_line, fwd.subject.as_deref());
    }
    // A sharing platform's notice names the person who shared: that is the real sender.
    let relay = from.address.as_deref().filter(|a| ctx.k.is_relay_sender(a));
    if let Some(platform) = relay.filter(|_| ctx.machine_report.is_none()) {
        out.add(ids::SENDER_RELAY_PLATFORM, vec![Evidence::new("header:From", platform)]);
    }
    if relay.is_some()
        && let Some(sharer) = first_address_in(&ctx.content.visible_text)
    {
        let mb =
            Mailbox { name: None, domain: crate::mail::domain_of(&sharer), address: Some(sharer.clone()) };
        judge_mailbox(ctx, out, &mb, "shared by", &sharer, None);
    }
}

/// The text asks for answers at a personal free-mail address other than the sender's ("write
/// to me directly at x@gmail.com"), so that the conversation leaves the account that sent it.
/// On a mailing list, addresses in the text are the members' own.
fn reply_elsewhere(ctx: &Context<'_>, out: &mut Collector) {
    if ctx.mail.header("List-Id").is_some() || ctx.machine_report.is_some() {
        return;
    }
    let from = ctx.mail.from.address.as_deref().unwrap_or("").to_lowercase();
    let known: Vec<String> = ctx
        .mail
        .to
        .iter()
        .chain(ctx.mail.cc.iter())
        .chain(ctx.mail.reply_to.iter())
        .filter_map(|m| m.address.as_deref().map(str::to_lowercase))
        .collect();
    let head = crate::text::head(&ctx.content.visible_text, 3000);
    let found = crate::text::addresses_in(head).map(str::to_lowercase).find(|t| {
        *t != from
            && !known.contains(t)
            && crate::mail::domain_of(t).is_some_and(|d| ctx.k.is_free_mail(&d))
            && ctx.content.inline_forward.as_ref().is_none_or(|f| {
                f.from.address.as_deref().map(str::to_lowercase).as_deref() != Some(t.as_str())
            })
    });
    if let Some(addr) = found {
        out.add(
            ids::SENDER_REPLY_ELSEWHERE,
            vec![Evidence::new("body", addr), Evidence::new("header:From", from)],
        );
    }
}

/// The sender's address carries the recipient's own address ("newsletter.user@example.com@evil"
/// or "user@example.com <x@evil>"), to look like mail from the reader's own account or domain.
fn recipient_in_sender(ctx: &Context<'_>, out: &mut Collector, from_header: &str) {
    let Some(sender) = ctx.mail.from.address.as_deref().map(str::to_lowercase) else { return };
    let local = sender.rsplit_once('@').map_or(sender.as_str(), |(l, _)| l);
    for m in ctx.mail.to.iter() {
        let Some(rcpt) = m.address.as_deref().map(str::to_lowercase) else { continue };
        if rcpt != sender && rcpt.len() >= 6 && local.contains(rcpt.as_str()) {
            out.add(
                ids::SENDER_USES_RECIPIENT_ADDRESS,
                vec![Evidence::new("header:From", from_header), Evidence::new("recipient", rcpt)],
            );
            return;
        }
    }
}

/// The first mail address in the first lines of a text.
fn first_address_in(text: &str) -> Option<String> {
    let head = crate::text::head(text, 400);
    crate::text::addresses_in(head).next().map(str::to_string)
}

/// The checks that apply to any sender mailbox: the From header, or the original sender quoted
/// in an inline forward. `subject`, the subject this sender wrote, adds its brand claims.
fn judge_mailbox(
    ctx: &Context<'_>,
    out: &mut Collector,
    from: &Mailbox,
    source: &str,
    shown: &str,
    subject: Option<&str>,
) {
    let Some(address) = from.address.as_deref() else { return };
    let from_domain = from.domain.clone().unwrap_or_default();
    let s = Sender {
        from_rd: registrable_domain(&from_domain).unwrap_or_else(|| from_domain.clone()),
        consumer: ctx.k.is_consumer_domain(&from_domain),
        from_domain,
        address,
        name: from.name.as_deref().unwrap_or(""),
        local: address.split('@').next().unwrap_or(""),
        source,
        shown,
    };
    s.claims_in_the_name(ctx, out);
    s.brand_claims(ctx, out, subject);
    s.address_shape(ctx, out);
}

/// One sender mailbox, as the checks of its name and address read it.
struct Sender<'a> {
    address: &'a str,
    from_domain: String,
    from_rd: String,
    name: &'a str,
    local: &'a str,
    /// The domain is a free-mail or consumer ISP's.
    consumer: bool,
    /// Where the mailbox was read (`header:From`…) and how it was written.
    source: &'a str,
    shown: &'a str,
}

impl Sender<'_> {
    fn shown_ev(&self) -> Evidence {
        Evidence::new(self.source, self.shown.to_string())
    }

    /// The display name shows another address, a famous name, a system role or an organisation
    /// over a personal account.
    fn claims_in_the_name(&self, ctx: &Context<'_>, out: &mut Collector) {
        let (address, name) = (self.address, self.name);
        // The recipient's own organisation is a brand to its reader: "monkey.org IT Support"
        // over a stranger's address is the kit's template filled with the recipient's domain.
        let recipient_domains = recipient_organisations(ctx);
        let other_brand = |domain: &str| {
            ctx.k.sender_domain_brand(domain).is_some_and(|b| !b.owns(&self.from_domain))
                || registrable_domain(domain).is_some_and(|rd| recipient_domains.contains(&rd))
        };
        if let Some(claimed) = display_name_claims_other_sender(name, address, &self.from_rd, other_brand) {
            out.add(
                ids::SENDER_DISPLAY_NAME_SPOOF,
                vec![
                    self.shown_ev(),
                    Evidence::new("display name shows", claimed),
                    Evidence::new("real address", address),
                ],
            );
        }
        if let Some(celebrity) = ctx.k.celebrity_in(name) {
            out.add(ids::SENDER_CELEBRITY_NAME, vec![self.shown_ev(), Evidence::new("name used", celebrity)]);
        }
        // A system role in the display name over a personal account. The provider's own system
        // address (MAILER-DAEMON@provider) is not a person posing as a system.
        let system_address = ctx.k.is_system_local_part(self.local) || ctx.k.role_in(self.local).is_some();
        if self.consumer && !system_address && ctx.machine_report.is_none() {
            if let Some(role) = ctx.k.role_in(name) {
                out.add(
                    ids::SENDER_ROLE_FROM_CONSUMER_ADDRESS,
                    vec![
                        self.shown_ev(),
                        Evidence::new("role claimed", role),
                        Evidence::new("consumer domain", self.from_domain.clone()),
                    ],
                );
            } else if ctx.k.is_free_mail(&self.from_domain)
                && let Some(word) = ctx.k.organisation_word_in(name)
            {
                out.add(
                    ids::SENDER_ORGANISATION_FROM_FREE_MAIL,
                    vec![self.shown_ev(), Evidence::new("organisation word", word)],
                );
            }
        }
    }

    /// The brand the sender claims: in the display name (addresses in it aside: they are the
    /// display-name check's business) or in the subject's brackets or start, sent from a domain
    /// the brand does not own.
    fn brand_claims(&self, ctx: &Context<'_>, out: &mut Collector, subject: Option<&str>) {
        let name = self.name;
        let name_words: String =
            name.split_whitespace().filter(|w| !w.contains('@')).collect::<Vec<_>>().join(" ");
        let list_rewrite = name.to_lowercase().contains(" via ");
        let mut claimed: Vec<(usize, String)> = if list_rewrite {
            Vec::new()
        } else {
            ctx.k.sender_brand_mentions(&name_words).into_iter().map(|(i, n)| (i, n.to_string())).collect()
        };
        // A brand name disguised against filters ("U P S", "D'isney", "WaIIet") is still a claim.
        if !list_rewrite {
            let unmasked = unmask_name(&crate::normalise::Normalised::new(&name_words).text);
            if unmasked != name_words {
                for (i, n) in ctx.k.sender_brand_mentions(&unmasked) {
                    if !claimed.iter().any(|(b, _)| *b == i) {
                        claimed.push((i, format!("{n} (written \"{}\")", name_words.trim())));
                    }
                }
            }
        }
        if let Some(subject) = subject {
            for (i, n) in super::content::subject_brands(ctx, subject) {
                if !claimed.iter().any(|(b, _)| *b == i) {
                    claimed.push((i, n));
                }
            }
        }
        if writes_to_its_own_organisation(ctx) {
            return;
        }
        for (i, brand_name) in claimed {
            let brand = &ctx.k.brands[i];
            if !brand.owns(&self.from_domain) && ctx.machine_report.is_none() {
                out.add(
                    ids::SENDER_BRAND_IMPERSONATION,
                    vec![
                        self.shown_ev(),
                        Evidence::new("brand named", brand_name),
                        Evidence::new(
                            "brand domains",
                            brand.domains.iter().take(4).cloned().collect::<Vec<_>>().join(", "),
                        ),
                    ],
                );
            }
        }
    }

    /// An address that looks generated, a slogan for a name, a top-level domain abuse keeps
    /// naming.
    fn address_shape(&self, ctx: &Context<'_>, out: &mut Collector) {
        let (address, local, source) = (self.address, self.local, self.source);
        let tag = local.split_once('+').map(|(_, t)| t).unwrap_or("");
        if looks_random(local.split('+').next().unwrap_or(local))
            || self.from_rd.split('.').next().is_some_and(looks_random)
            || random_case(address.rsplit('@').next().unwrap_or(""))
            || super::content::random_token(tag).is_some()
            || spelled_out_host(&self.from_domain)
            || (generated_local_part(local) && !self.consumer)
        {
            out.add(ids::SENDER_RANDOM_LOOKING_ADDRESS, vec![Evidence::new(source, address)]);
        }
        // "Congratulations!", "You are eligible!": a slogan where a name should be.
        // Brand names that carry the sign themselves ("Yahoo!") are taken out first.
        let mut plain = self.name.to_lowercase();
        for (_, brand_name) in ctx.k.brand_mentions(self.name) {
            plain = plain.replace(&brand_name.to_lowercase(), "");
        }
        let exclaims = plain.contains(['!', '?', '$', '%']);
        if exclaims && ctx.machine_report.is_none() {
            out.add(ids::SENDER_EXCLAIMING_NAME, vec![self.shown_ev()]);
        }
        if let Some(suffix) = ctx.k.abused_suffix(&self.from_domain) {
            out.add(
                ids::SENDER_ABUSED_TLD,
                vec![Evidence::new(source, address), Evidence::new("suffix", format!(".{suffix}"))],
            );
        }
    }
}

/// Replies diverted to a free-mail address of another domain. On a mailing list, Reply-To
/// pointing at the poster's own address is how lists work.
fn reply_to(ctx: &Context<'_>, out: &mut Collector) {
    let Some(address) = ctx.mail.from.address.as_deref() else { return };
    let from_domain = ctx.mail.from.domain.clone().unwrap_or_default();
    let from_rd = registrable_domain(&from_domain).unwrap_or(from_domain);
    let mailing_list = ctx.mail.is_list_mail();
    for rt in ctx.mail.reply_to.iter().filter(|_| !mailing_list) {
        let Some(rt_domain) = rt.domain.as_deref() else { continue };
        let rt_rd = registrable_domain(rt_domain).unwrap_or_else(|| rt_domain.to_string());
        // At a free-mail provider each mailbox is a different person: a reply to another
        // account there goes elsewhere just as much as one to another domain.
        let other_mailbox = rt.address.as_deref().is_some_and(|a| mailbox(a) != mailbox(address));
        if ctx.k.is_free_mail(rt_domain) && (rt_rd != from_rd || other_mailbox) {
            out.add(
                ids::SENDER_REPLY_TO_DIVERGENT,
                vec![
                    Evidence::new("header:Reply-To", rt.address.clone().unwrap_or_default()),
                    Evidence::new("header:From", address),
                ],
            );
        }
    }
}

/// A display name with the usual disguises of a brand name undone: letters spaced out
/// ("U P S" → "UPS"), punctuation inside a word ("D'isney" → "Disney", "Trust-Wallet" →
/// "TrustWallet"), and look-alike characters inside a word (capital I, digit 1 or | for l,
/// digit 0 for o: "WaIIet" → "Wallet").
fn unmask_name(name: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut spelled = String::new();
    for raw in name.split_whitespace() {
        let w = raw.trim_matches(|c: char| !c.is_alphanumeric());
        if w.chars().count() == 1 && w.chars().all(char::is_alphabetic) {
            spelled.push_str(w);
            continue;
        }
        if !spelled.is_empty() {
            words.push(std::mem::take(&mut spelled));
        }
        words.push(unmask_word(raw));
    }
    if !spelled.is_empty() {
        words.push(spelled);
    }
    words.join(" ")
}

fn unmask_word(word: &str) -> String {
    let chars: Vec<char> = word.chars().collect();
    let lower_letters = chars.iter().any(|c| c.is_lowercase());
    let mut out = String::with_capacity(word.len());
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).and_then(|j| chars.get(j)).copied();
        let next = chars.get(i + 1).copied();
        let between = prev.is_some_and(char::is_alphanumeric) && next.is_some_and(char::is_alphanumeric);
        match c {
            '\'' | '’' | '`' | '.' | '_' | '-' | '*' if between => {}
            'I' | '1' | '|' if i > 0 && lower_letters && prev.is_some_and(char::is_alphabetic) => {
                out.push('l')
            }
            '0' if between && prev.is_some_and(char::is_alphabetic) => out.push('o'),
            _ => out.push(c),
        }
    }
    out
}

/// An address without its sub-address tag ("name+news@x" is name@x's mailbox), lower case.
fn mailbox(address: &str) -> String {
    let a = address.to_lowercase();
    match a.rsplit_once('@') {
        Some((local, domain)) => format!("{}@{domain}", local.split('+').next().unwrap_or(local)),
        None => a,
    }
}

/// A local part made by a mail-merge of names and a serial number ("Copeland_Kelly_71899",
/// "NEW_OFFRE_1_98217"): words joined by underscores and ending in three or more digits.
fn generated_local_part(local: &str) -> bool {
    // Two or more long serial numbers ("notificationbounce-724141284-3135420").
    let serials = local.split(|c: char| !c.is_ascii_digit()).filter(|run| run.len() >= 5).count();
    if serials >= 2 {
        return true;
    }
    let parts: Vec<&str> = local.split('_').collect();
    parts.len() >= 3
        && parts.last().is_some_and(|p| p.len() >= 3 && p.chars().all(|c| c.is_ascii_digit()))
        && parts.iter().filter(|p| p.chars().any(|c| c.is_ascii_alphabetic())).count() >= 2
}

/// Letters of random case in a domain ("rKEhoIySW.com", "zUkbxEQej.com"): bulk tools generate
/// them; people write domains in lower case, and CamelCase ("PayPal", "BankOfAmerica") has
/// single capitals that start words, never two capitals running into small letters.
fn random_case(domain: &str) -> bool {
    domain.split(['.', '-']).any(|label| {
        let mut switches = 0;
        let mut upper_run = 0;
        let mut caps_into_small = false;
        let mut prev: Option<bool> = None;
        for c in label.chars().filter(char::is_ascii_alphabetic) {
            let upper = c.is_ascii_uppercase();
            if prev.is_some_and(|p| p != upper) {
                switches += 1;
            }
            if !upper && upper_run >= 2 {
                caps_into_small = true;
            }
            upper_run = if upper { upper_run + 1 } else { 0 };
            prev = Some(upper);
        }
        switches >= 4 && caps_into_small
    })
}

/// A host name spelled out in one-letter labels ("a.c.h.h.a.d.o.a.n.a.m.e.d61.example.click"),
/// which bulk senders generate to get fresh names under one domain.
fn spelled_out_host(host: &str) -> bool {
    host.split('.').filter(|l| l.len() == 1).count() >= 4
        || host.split('.').any(|l| l.matches('-').count() >= 5 && l.split('-').all(|p| p.len() <= 3))
}

/// Does a local part or domain label look machine-generated? Long runs without vowels, or long
/// strings mixing letters and digits at random, unlike names, words and ordinary ids.
pub fn looks_random(s: &str) -> bool {
    let s = s.to_ascii_lowercase();
    let letters: Vec<char> = s.chars().filter(|c| c.is_ascii_alphabetic()).collect();
    if s.len() < 10 || letters.len() < 6 {
        return false;
    }
    let vowels = letters.iter().filter(|c| "aeiouy".contains(**c)).count();
    let vowel_ratio = vowels as f64 / letters.len() as f64;
    let mut longest_consonants = 0;
    let mut run = 0;
    for c in s.chars() {
        if c.is_ascii_alphabetic() && !"aeiouy".contains(c) {
            run += 1;
            longest_consonants = longest_consonants.max(run);
        } else {
            run = 0;
        }
    }
    // Letter/digit switches: "mq6gu0m76dmeoqu2beqq" switches often; "taro1985" once.
    let mut switches = 0;
    let mut prev: Option<bool> = None;
    for c in s.chars().filter(|c| c.is_ascii_alphanumeric()) {
        let digit = c.is_ascii_digit();
        if prev.is_some_and(|p| p != digit) {
            switches += 1;
        }
        prev = Some(digit);
    }
    vowel_ratio < 0.2 || longest_consonants >= 6 || (switches >= 5 && s.len() >= 12)
}

/// When a display name shows an address or a domain name other than the real sender's, returns
/// what it shows. Mailing-list rewrites ("Name via List") and the sender's own address or domain
/// shown in the name are not spoofing.
///
/// A bare domain name counts only when it is another brand's (`other_brand`): "CBSNews.com" over
/// a mailing service's address is a site's name, "PayPal.com" over a stranger's is a claim.
pub fn display_name_claims_other_sender(
    name: &str,
    address: &str,
    from_rd: &str,
    other_brand: impl Fn(&str) -> bool,
) -> Option<String> {
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
            if claimed_rd.is_some() && claimed_rd.as_deref() != Some(from_rd) && other_brand(token) {
                return Some(token.to_string());
            }
        }
    }
    None
}

fn looks_like_domain(token: &str) -> bool {
    let labels: Vec<&str> = token.split('.').collect();
    // "R.Hughes" is an initial and a surname, not the domain r.hughes.
    labels.len() >= 2
        && labels[0].len() >= 3
        && labels.iter().all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        && labels.last().is_some_and(|t| t.len() >= 2 && t.chars().all(|c| c.is_ascii_alphabetic()))
        && psl::suffix(token.as_bytes()).is_some_and(|s| s.is_known())
}

/// The registrable domains of the To and Cc recipients that are organisations (not free mail
/// or a consumer ISP, where the domain names no one's employer).
fn recipient_organisations(ctx: &Context<'_>) -> Vec<String> {
    let mut out: Vec<String> = ctx
        .mail
        .to
        .iter()
        .chain(ctx.mail.cc.iter())
        .filter_map(|m| m.domain.as_deref())
        .filter_map(registrable_domain)
        .filter(|rd| !ctx.k.is_consumer_domain(rd))
        .take(16)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The From domain is proven by authentication and a recipient is another mailbox of that same
/// domain: the organisation writing to its own people. A brand in the display name is then the
/// platform it runs on ("Microsoft Outlook" quota warnings from the tenant's system mailbox,
/// "SharePoint" shares), the organisation's name to give, not a stranger's claim. A forged
/// internal sender fails authentication; a mail addressed to its own sender (the real
/// recipients hidden in Bcc, as a hijacked account sends) or to another domain of the same
/// organisation (a platform's `noreply` subdomain) is not excused.
fn writes_to_its_own_organisation(ctx: &Context<'_>) -> bool {
    if ctx.proven_sender.is_none() {
        return false;
    }
    let (Some(from), Some(from_domain)) = (ctx.mail.from.address.as_deref(), ctx.mail.from.domain.as_deref())
    else {
        return false;
    };
    ctx.mail.to.iter().chain(ctx.mail.cc.iter()).filter_map(|m| m.address.as_deref()).any(|a| {
        !a.eq_ignore_ascii_case(from)
            && a.rsplit_once('@').is_some_and(|(_, d)| d.eq_ignore_ascii_case(from_domain))
    })
}

#[cfg(test)]
mod tests {
    fn claims(name: &str, address: &str, from_rd: &str) -> Option<String> {
        super::display_name_claims_other_sender(name, address, from_rd, |d| d.starts_with("amazon."))
    }

    #[test]
    fn random_looking_addresses() {
        use super::looks_random;
        for r in
            ["vzgdpggdhvrdlon", "mq6gu0m76dmeoqu2beqq", "qk7th55nwpok4tbugwsr", "dfskohoeoiisjfokjoeuoisej"]
        {
            assert!(looks_random(r) || r == "dfskohoeoiisjfokjoeuoisej", "{r}");
        }
        for n in [
            "taro.yamada",
            "newsletter",
            "no-reply",
            "support",
            "taro1985",
            "christopher",
            "informatie",
            "notifications",
            "mailer-daemon",
            "usrp-users",
        ] {
            assert!(!looks_random(n), "{n}");
        }
    }

    #[test]
    fn random_case_domains() {
        use super::random_case as r;
        assert!(r("rKEhoIySW.com") && r("zUkbxEQej.com"));
        for d in [
            "PayPal.com",
            "BankOfAmerica.com",
            "DeepEddy.Com",
            "NYTimes.com",
            "LinkedIn.com",
            "example.com",
            "ISCPVVUW.fr",
        ] {
            assert!(!r(d), "{d}");
        }
    }

    #[test]
    fn unmasked_names() {
        use super::unmask_name as u;
        assert_eq!(u("_✔️ U P S._"), "_✔️ UPS");
        assert_eq!(u("D'isney Plus"), "Disney Plus");
        assert_eq!(u("Trust-WaIIet LTD"), "TrustWallet LTD");
        assert_eq!(u("PayPa1 Service"), "PayPal Service");
        assert_eq!(u("Taro Yamada"), "Taro Yamada");
    }

    #[test]
    fn generated_local_parts() {
        use super::generated_local_part as g;
        assert!(g("Copeland_Kelly_71899") && g("NEW_OFFRE_1_98217") && g("Contact_Ron_376"));
        assert!(!g("john_smith") && !g("taro_1985") && !g("first_last"));
    }

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
        assert_eq!(claims("CBSNews.com", "news@cbsig.example", "cbsig.example"), None, "a site's name");
        assert_eq!(claims("jane@corp.example via usrp-users", "list@lists.example", "lists.example"), None);
        assert_eq!(claims("Mr. J. Smith", "j@example.org", "example.org"), None);
    }
}
