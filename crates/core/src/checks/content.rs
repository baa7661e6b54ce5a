//! Content: the lure (the story that makes the reader act), the signature, hidden text, a
//! brand the mail claims that its links do not belong to, and forms inside the mail.

use kaibo_model::{LinkSource, ids};
use std::collections::BTreeMap;

use super::{Collector, Context};
use crate::normalise::Normalised;
use crate::text::clip;
use crate::urls::registrable_domain;
use kaibo_model::Evidence;

pub fn check(ctx: &Context<'_>, out: &mut Collector) {
    lures(ctx, out);
    recipient_in_subject(ctx, out);
    // Millions from a stranger's personal account: news and business mail quote large sums
    // too, but from their own organisation's domain.
    let personal = |d: Option<&str>| d.is_some_and(|d| ctx.k.is_free_mail(d));
    let from_person = personal(ctx.mail.from.domain.as_deref())
        || ctx.mail.reply_to.iter().any(|r| personal(r.domain.as_deref()));
    let head = crate::text::head(&ctx.content.visible_text, 3000);
    if from_person
        && let Some(sum) =
            large_sum(&ctx.content.subject, &ctx.k.vocab).or_else(|| large_sum(head, &ctx.k.vocab))
    {
        out.add(ids::LURE_LARGE_SUM, vec![Evidence::new("amount", sum)]);
    }
    recipient_address_greeting(ctx, out);
    styled_letters(ctx, out);
    obfuscated_words(ctx, out);
    image_only(ctx, out);
    let head = crate::text::head(&ctx.content.visible_text, 2000);
    let mut mixed = mixed_script_words(&ctx.content.subject);
    mixed.extend(mixed_script_words(ctx.mail.from.name.as_deref().unwrap_or("")));
    mixed.extend(mixed_script_words(head));
    if !mixed.is_empty() {
        mixed.truncate(5);
        out.add(ids::CONTENT_MIXED_SCRIPT_WORDS, vec![Evidence::new("words", mixed.join(" "))]);
    }
    if let Some(token) = random_token(&ctx.content.subject) {
        out.add(
            ids::CONTENT_RANDOM_SUBJECT_TOKEN,
            vec![Evidence::new("header:Subject", ctx.content.subject.clone()), Evidence::new("token", token)],
        );
    }
    if ctx.content.invisible.count >= 2 {
        let mut ev = vec![Evidence::new("characters", ctx.content.invisible.count.to_string())];
        if let Some(s) = &ctx.content.invisible.sample {
            ev.push(Evidence::new("seen in", s.clone()));
        }
        out.add(ids::CONTENT_INVISIBLE_CHARACTERS, ev);
    }
    text_model(ctx, out);
    anonymous_signature(ctx, out);
    hidden_text(ctx, out);
    free_image_host(ctx, out);
    brand_mismatch(ctx, out);
    forms(ctx, out);
}

fn lures(ctx: &Context<'_>, out: &mut Collector) {
    // group index → (source, phrase as written in the mail)
    let mut groups: BTreeMap<usize, Vec<Evidence>> = BTreeMap::new();
    // group index → distinct catalogue phrases matched
    let mut phrases: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
    // Words joined by underscores ("Your_transaction_0.7495_Bitcoin_") are still words: bulk
    // tools join them so that filters matching whole words miss them. One underscore may be an
    // identifier; two or more between words are a disguise.
    let subject: std::borrow::Cow<'_, str> = if ctx.content.subject.matches('_').count() >= 2 {
        ctx.content.subject.replace('_', " ").into()
    } else {
        ctx.content.subject.as_str().into()
    };
    let subject = subject.as_ref();
    // The sender's name is text the reader sees first ("Casino deal", "Sex Dating").
    let name = ctx.mail.from.name.as_deref().unwrap_or("");
    // Quoted lines of a reply are someone else's words.
    let text = &ctx.content.visible_text;
    let own_words: std::borrow::Cow<'_, str> = if text.contains("\n>") || text.starts_with('>') {
        crate::text::own_lines(text).collect::<Vec<_>>().join("\n").into()
    } else {
        text.as_str().into()
    };
    // A trade named in the sender's own domain ("Diet Doctor" at dietdoctor.com) is the sender
    // naming itself, not a pitch.
    let from_domain = ctx.mail.from.domain.as_deref().unwrap_or("");
    let mut pitch_groups: Vec<usize> = Vec::new();
    let mut spaced_out: Vec<Evidence> = Vec::new();
    // Groups with a phrase that tells the story on its own (not a `weak` one).
    let mut told: Vec<usize> = Vec::new();
    for (source, text) in [("header:Subject", subject), ("header:From", name), ("body", own_words.as_ref())] {
        // Matched on the normalised text (widths folded, spaced-out letters closed up), quoted
        // from the text as written.
        let normalised = Normalised::new(text);
        for hit in ctx.k.lure_hits(&normalised.text) {
            let (start, end) = normalised.source_span(text, hit.start, hit.end);
            if source == "body" && in_unsubscribe_sentence(ctx, text, start, end) {
                continue;
            }
            if normalised.was_spaced_out(text, hit.start, hit.end) && spaced_out.len() < 4 {
                spaced_out.push(Evidence::new(source, format!("spaced out: {}", &text[start..end])));
            }
            if source == "header:From" && !from_domain.contains(&hit.phrase.replace(' ', "").to_lowercase()) {
                pitch_groups.push(hit.group);
            }
            if !hit.weak && !told.contains(&hit.group) {
                told.push(hit.group);
            }
            let seen_phrases = phrases.entry(hit.group).or_default();
            if !seen_phrases.contains(&hit.phrase) {
                seen_phrases.push(hit.phrase);
            }
            let ev = groups.entry(hit.group).or_default();
            let seen = context_span(text, start, end);
            if ev.len() < 4 && !ev.iter().any(|e| e.value == seen) {
                ev.push(Evidence::new(source, seen));
            }
        }
    }
    // A real bounce says its mail was undelivered, or the mailbox full: that is its job, not
    // a lure.
    if ctx.machine_report.is_some() {
        return;
    }
    // Weak phrases tell a story only in company: "investor" in a stock alert is no scam, with
    // "beneficiary" and "inheritance" beside it it is.
    groups.retain(|g, _| told.contains(g) || phrases.get(g).map_or(0, Vec::len) >= 2);
    if !spaced_out.is_empty() {
        out.add(ids::CONTENT_OBFUSCATED_WORDS, spaced_out);
    }
    // Several stories *and* a push to act, or one story told with four or more of its
    // phrases: a script, not an article that mentions fraud in passing.
    let mut stories = Vec::new();
    let mut push = false;
    let mut told_at_length = false;
    let mut pitch_in_name = Vec::new();
    for (group, evidence) in groups {
        let id = ctx.k.lure_groups[group];
        let name = id.as_str().split_once('.').map_or(id.as_str(), |(_, n)| n);
        if id == ids::LURE_CALL_TO_ACTION || id == ids::LURE_URGENCY {
            push = true;
        } else {
            stories.push(name.to_string());
            told_at_length |= phrases.get(&group).map_or(0, Vec::len) >= 4;
            if pitch_groups.contains(&group) {
                pitch_in_name.push(name.to_string());
            }
        }
        out.add(id, evidence);
    }
    // A "leaked interview" about a famous presenter or billionaire is the celebrity-endorsement
    // scam's opening: the name is what makes readers click through to the investment page.
    if stories.iter().any(|s| s == "fake_news") {
        let head = crate::text::head(&own_words, 3000);
        if let Some(celebrity) = ctx.k.celebrity_in(subject).or_else(|| ctx.k.celebrity_in(head)) {
            out.add(ids::LURE_CELEBRITY_STORY, vec![Evidence::new("name used", celebrity)]);
        }
    }
    // Senders name themselves ("Anna Schmidt", "Acme Bank"); a story where the name should be
    // ("Ukrainian Girls", "Your parcel", "Casino bonus") is bulk mail written to be read in
    // the inbox list. Pushes ("Act now") are left to the exclaiming-name check.
    if !pitch_in_name.is_empty() {
        out.add(
            ids::SENDER_PITCH_NAME,
            vec![Evidence::new("header:From", name), Evidence::new("stories", pitch_in_name.join(", "))],
        );
    }
    if (stories.len() >= 2 && push) || told_at_length {
        out.add(ids::LURE_COMBINED, vec![Evidence::new("stories", stories.join(", "))]);
    }
}

/// Words that mix Latin letters with Cyrillic or Greek ones ("Gеt" with a Cyrillic е). Whole
/// words in one script (Russian text, Greek text) are not mixed.
pub fn mixed_script_words(text: &str) -> Vec<String> {
    let script = |c: char| match c as u32 {
        0x41..=0x5a | 0x61..=0x7a | 0xc0..=0x24f => Some(0u8),
        0x370..=0x3ff => Some(1),
        0x400..=0x4ff => Some(2),
        _ => None,
    };
    text.split(|c: char| !c.is_alphabetic())
        .filter(|w| w.chars().count() >= 3)
        .filter(|w| {
            let mut seen = [false; 3];
            for c in w.chars() {
                if let Some(s) = script(c) {
                    seen[s as usize] = true;
                }
            }
            seen[0] && (seen[1] || seen[2])
        })
        .take(5)
        .map(str::to_string)
        .collect()
}

/// Letters from the Mathematical Alphanumeric Symbols block (𝐁𝐨𝐥𝐝, 𝘪𝘵𝘢𝘭𝘪𝘤…) or enclosed
/// letters (🅰) in the subject or the sender's name. Full-width letters are ordinary in Japanese
/// mail and are not counted.
fn styled_letters(ctx: &Context<'_>, out: &mut Collector) {
    // Mathematical letters, enclosed letters, and overlay marks drawn through letters (a̷).
    let styled = |c: char| matches!(c as u32, 0x1d400..=0x1d7ff | 0x1f130..=0x1f189 | 0x24b6..=0x24e9 | 0x0334..=0x0338);
    let name = ctx.mail.from.name.as_deref().unwrap_or("");
    for (source, text) in [("header:Subject", ctx.content.subject.as_str()), ("header:From", name)] {
        if text.chars().filter(|&c| styled(c)).count() >= 3 {
            out.add(ids::CONTENT_STYLED_LETTERS, vec![Evidence::new(source, text)]);
            return;
        }
    }
}

/// An HTML mail that is a picture and a link: next to no words, at least one image, a link.
fn image_only(ctx: &Context<'_>, out: &mut Collector) {
    if ctx.mail.html_parts.is_empty() {
        return;
    }
    let words = ctx.content.visible_text.split_whitespace().count();
    let chars = ctx.content.visible_text.chars().filter(|c| c.is_alphanumeric()).count();
    let images = ctx.content.links.iter().filter(|l| l.source == LinkSource::Image).count()
        + ctx.mail.attachments.iter().filter(|a| a.meta.declared_type.starts_with("image/")).count();
    let clickable = ctx.content.links.iter().filter(|l| l.is_clickable()).count();
    if words <= 8 && chars <= 60 && images >= 1 && clickable >= 1 {
        out.add(
            ids::CONTENT_IMAGE_ONLY,
            vec![Evidence::new("body", format!("{words} words of text, {images} images, {clickable} links"))],
        );
    }
}

/// Pictures loaded from a free public image host (imgur, zupimages…): a business serves its own
/// pictures; an anonymous upload leads back to nobody. On a mailing list or a forum digest the
/// pictures are members' uploads, so those are left out.
fn free_image_host(ctx: &Context<'_>, out: &mut Collector) {
    if ctx.mail.is_list_mail() {
        return;
    }
    let mut ev: Vec<Evidence> = Vec::new();
    let mut hosts: Vec<&str> = Vec::new();
    for link in ctx.content.links.iter().filter(|l| l.source == LinkSource::Image) {
        let Some(service) = link.facts.host.as_deref().and_then(|h| ctx.k.image_host(h)) else { continue };
        if !hosts.contains(&service) && hosts.len() < 3 {
            hosts.push(service);
            ev.push(Evidence::new("image", link.facts.url.clone()));
        }
    }
    if !ev.is_empty() {
        ev.push(Evidence::new("image host", hosts.join(", ")));
        out.add(ids::CONTENT_FREE_IMAGE_HOST, ev);
    }
}

/// Words disguised against filters in the subject, the sender's name or the start of the text.
fn obfuscated_words(ctx: &Context<'_>, out: &mut Collector) {
    let name = ctx.mail.from.name.as_deref().unwrap_or("");
    let head = crate::text::head(&ctx.content.visible_text, 400);
    let mut ev = Vec::new();
    for (source, text) in
        [("header:Subject", ctx.content.subject.as_str()), ("header:From", name), ("body", head)]
    {
        let mut found = disguised_tokens(text, &ctx.k.vocab.disguise_targets);
        // Underscores and tildes in running text are code and paths, not disguise.
        if source == "body" {
            found.retain(|t| !t.contains(['_', '~']) && !t.contains(' '));
        }
        if !found.is_empty() {
            ev.push(Evidence::new(source, found.join(" ")));
        }
    }
    let count: usize = ev.iter().map(|e| e.value.split(' ').count()).sum();
    if count >= 2 {
        out.add(ids::CONTENT_OBFUSCATED_WORDS, ev);
    }
}

/// Tokens written to dodge filters: a digit standing for a letter inside a word ("C0NGRATS",
/// "F0R"), a lower-case l standing for I in a word in capitals ("VlAGRA"), or words glued with
/// runs of underscores or tildes ("Transfer__to__your__wallet").
pub fn disguised_tokens(text: &str, targets: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let double_seps = text.matches("__").count() + text.matches('~').count();
    let single_seps = text
        .as_bytes()
        .windows(3)
        .filter(|w| w[1] == b'_' && w[0].is_ascii_alphabetic() && w[2].is_ascii_alphabetic())
        .count();
    // "Your.transaction.0.7495.Bitcoin.": a line of words glued with dots, no space in it.
    let dot_seps = text
        .as_bytes()
        .windows(3)
        .filter(|w| w[1] == b'.' && w[0].is_ascii_alphanumeric() && w[2].is_ascii_alphanumeric())
        .count();
    let one_glued_line =
        !text.trim().contains(char::is_whitespace) && !text.contains('/') && !text.contains('@');
    if double_seps >= 3 || single_seps >= 5 || (dot_seps >= 4 && one_glued_line) {
        // A whole line glued this way counts as two disguised words: it is never an accident.
        let glued = text.chars().take(60).collect::<String>();
        out.push(glued.clone());
        out.push(glued);
    }
    for token in text.split(|c: char| !c.is_ascii_alphanumeric()) {
        let b = token.as_bytes();
        if b.len() < 3 {
            continue;
        }
        let letters = b.iter().filter(|c| c.is_ascii_alphabetic()).count();
        let digit_for_letter = (1..b.len() - 1).any(|i| {
            matches!(b[i], b'0' | b'1' | b'3')
                && b[i - 1].is_ascii_uppercase()
                && b[i + 1].is_ascii_uppercase()
        });
        let upper = b.iter().filter(|c| c.is_ascii_uppercase()).count();
        let lower_l = b.iter().filter(|c| **c == b'l').count();
        let other_lower = b.iter().filter(|c| c.is_ascii_lowercase() && **c != b'l').count();
        let l_for_i =
            b.len() >= 5 && upper >= 3 && lower_l >= 1 && other_lower == 0 && !token.starts_with('l');
        // A capital I standing for l in a lower-case word ("waIIet", "Iog in"): only for
        // the words phishing disguises, since "McIntosh" is a name.
        let i_for_l = token.contains('I')
            && b.iter().any(u8::is_ascii_lowercase)
            && targets.iter().any(|t| {
                t.len() == b.len()
                    && t.bytes()
                        .zip(b)
                        .all(|(t, &c)| t == (if c == b'I' { b'l' } else { c.to_ascii_lowercase() }))
            })
            && !targets.iter().any(|t| t.eq_ignore_ascii_case(token));
        if (digit_for_letter && letters >= 2) || l_for_i || i_for_l {
            out.push(token.to_string());
        }
    }
    out
}

/// The first words of the text address the reader by mail address. A reply's attribution
/// line ("On 4/16/07, Ann <ann@x> wrote:") names whom it quotes, often a recipient of the
/// reply: it is not the sender's own first words.
fn recipient_address_greeting(ctx: &Context<'_>, out: &mut Collector) {
    let attributions = &ctx.k.vocab.reply_attributions;
    let is_attribution = |l: &str| {
        let l = l.trim_end().to_lowercase();
        attributions.iter().any(|a| l.ends_with(a.as_str()))
    };
    let head: String = ctx
        .content
        .visible_text
        .lines()
        .filter(|l| !l.trim_start().starts_with('>'))
        .take(2)
        .filter(|l| !is_attribution(l))
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(150)
        .collect::<String>()
        .to_lowercase();
    // A greeting word followed by an address ("Dear x@y", "Olá x@y") is a greeting by address
    // whoever the address belongs to (forwarded mail keeps the original recipient's).
    let greeted = head.split_whitespace().collect::<Vec<_>>().windows(2).any(|w| {
        ctx.k.vocab.greetings.iter().any(|g| g == w[0].trim_end_matches(','))
            && w[1].contains('@')
            && w[1].contains('.')
    });
    for m in ctx.mail.to.iter().chain(ctx.mail.cc.iter()) {
        let Some(addr) = m.address.as_deref() else { continue };
        let addr = addr.to_lowercase();
        let local = addr.split('@').next().unwrap_or("");
        if greeted || (local.len() >= 2 && (head.contains(&addr) || head.contains(&format!("{local}@")))) {
            let first_line = ctx.content.visible_text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            out.add(
                ids::CONTENT_RECIPIENT_ADDRESS_GREETING,
                vec![Evidence::new("body", clip(first_line.trim(), 100))],
            );
            return;
        }
    }
}

/// A token of random letters and digits in mixed case ("6NwlyfzWcsNerv0"), the kind spam
/// tools append so that no two copies of a campaign look alike. Ticket numbers and order ids
/// (digits, or capitals and digits) are not random in this sense.
pub fn random_token(subject: &str) -> Option<String> {
    subject
        .split(|c: char| !c.is_ascii_alphanumeric())
        .find(|t| {
            let upper = t.chars().filter(char::is_ascii_uppercase).count();
            let lower = t.chars().filter(char::is_ascii_lowercase).count();
            let digits = t.chars().filter(char::is_ascii_digit).count();
            let case_switches = t
                .as_bytes()
                .windows(2)
                .filter(|w| {
                    w[0].is_ascii_alphabetic()
                        && w[1].is_ascii_alphabetic()
                        && w[0].is_ascii_uppercase() != w[1].is_ascii_uppercase()
                })
                .count();
            t.len() >= 10
                && upper >= 2
                && lower >= 2
                && ((digits >= 1 && case_switches >= 4) || case_switches >= 6)
        })
        .map(str::to_string)
}

/// A large sum of money: a currency sign or code next to an amount of 100,000 or more, or to
/// "million" (in the languages scam letters use).
pub fn large_sum(text: &str, vocab: &crate::knowledge::Vocabulary) -> Option<String> {
    let lower = text.to_lowercase();
    let b = lower.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit()
            || (i > 0 && (b[i - 1].is_ascii_digit() || b[i - 1] == b'.' || b[i - 1] == b','))
        {
            i += 1;
            continue;
        }
        // The number: digits with thousands separators and decimals.
        let start = i;
        while i < b.len()
            && (b[i].is_ascii_digit()
                || ((b[i] == b',' || b[i] == b'.' || b[i] == b' ')
                    && b.get(i + 1).is_some_and(u8::is_ascii_digit)))
        {
            i += 1;
        }
        let number = &lower[start..i];
        let digits: String = number
            .split(['.', ','])
            .collect::<Vec<_>>()
            .iter()
            .enumerate()
            .filter(|(k, part)| *k == 0 || part.len() == 3)
            .map(|(_, p)| p.replace(' ', ""))
            .collect();
        let before = &lower[lower[..start].char_indices().rev().nth(5).map_or(0, |(k, _)| k)..start];
        let after_end = lower[i..].char_indices().nth(14).map_or(lower.len(), |(k, _)| i + k);
        let after = &lower[i..after_end];
        // "23.5 M USD": an abbreviated million before the currency.
        let unit = after.trim_start();
        let abbreviated = vocab
            .million_abbreviations
            .iter()
            .find_map(|m| unit.strip_prefix(m.as_str()).and_then(|rest| rest.strip_prefix(' ')));
        let currency = vocab.currencies.iter().any(|c| {
            before.contains(c.as_str())
                || unit.starts_with(c.as_str())
                || abbreviated.is_some_and(|rest| rest.starts_with(c.as_str()))
        });
        let million = abbreviated.is_some() || vocab.millions.iter().any(|m| unit.starts_with(m.as_str()));
        let big = digits.len() >= 6;
        if currency && (big || million) {
            let from = lower[..start].char_indices().rev().nth(4).map_or(0, |(k, _)| k);
            return Some(text.get(from..after_end).unwrap_or(number).trim().to_string());
        }
    }
    None
}

/// The subject addresses the reader by mail address: `local@` of a recipient appears in it.
fn recipient_in_subject(ctx: &Context<'_>, out: &mut Collector) {
    let subject = ctx.content.subject.to_lowercase();
    for m in ctx.mail.to.iter().chain(ctx.mail.cc.iter()) {
        let Some(addr) = m.address.as_deref() else { continue };
        let Some((local, _)) =
            addr.to_lowercase().split_once('@').map(|(l, d)| (l.to_string(), d.to_string()))
        else {
            continue;
        };
        if local.len() >= 2 && subject.contains(&format!("{local}@")) {
            out.add(
                ids::CONTENT_RECIPIENT_IN_SUBJECT,
                vec![
                    Evidence::new("header:Subject", ctx.content.subject.clone()),
                    Evidence::new("recipient", addr),
                ],
            );
            return;
        }
    }
}

/// The text model's verdict, weighted by the band its probability reaches.
fn text_model(ctx: &Context<'_>, out: &mut Collector) {
    let Some(v) = &ctx.text_verdict else { return };
    let weight = ctx.k.text_model_weight(v.probability);
    if weight <= 0 {
        return;
    }
    let mut ev = vec![Evidence::new("probability", format!("{:.3}", v.probability))];
    if !v.phrases.is_empty() {
        let phrases: Vec<&str> = v.phrases.iter().map(|(p, _)| p.as_str()).collect();
        ev.push(Evidence::new("phrases that weighed most", phrases.join(", ")));
    }
    out.ledger.add_weighted(ids::CONTENT_TEXT_MODEL, weight, ev);
}

/// Whether the sentence around `start..end` offers to stop the mail ("click here if you want
/// to update your information or unsubscribe"): a bulk mail's footer.
fn in_unsubscribe_sentence(ctx: &Context<'_>, text: &str, start: usize, end: usize) -> bool {
    let stop = |c: char| matches!(c, '.' | '!' | '?' | '\n' | '。' | '！' | '？');
    let from = text[..start].rfind(stop).map_or(0, |i| i + 1).max(start.saturating_sub(300));
    let to = text[end..].find(stop).map_or(text.len(), |i| end + i).min(end + 300);
    let (from, to) = (text.floor_char_boundary(from), text.floor_char_boundary(to));
    let sentence = text[from..to].to_lowercase();
    ctx.k.vocab.unsubscribe_words.iter().any(|w| sentence.contains(w.as_str()))
}

/// The phrase with a little of the text around it, on one line.
fn context_span(text: &str, start: usize, end: usize) -> String {
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[end..].find('\n').map_or(text.len(), |i| end + i);
    let line = &text[line_start..line_end];
    if line.chars().count() <= 80 {
        return line.trim().to_string();
    }
    let before: String =
        text[line_start..start].chars().rev().take(20).collect::<Vec<_>>().into_iter().rev().collect();
    let after: String = text[end..line_end].chars().take(30).collect();
    format!("…{before}{}{after}…", &text[start..end])
}

/// A sign-off that names only a department ("©2023、メールセンター", "Mail Center"), with no
/// organisation, domain or contact, near the end of the text.
fn anonymous_signature(ctx: &Context<'_>, out: &mut Collector) {
    let lines: Vec<&str> =
        ctx.content.visible_text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    for line in lines.iter().rev().take(6) {
        if line.chars().count() > 60 || line.contains('@') || line.contains("://") || line.contains("www.") {
            continue;
        }
        let Some(phrase) = ctx.k.signature_hits(line).next() else { continue };
        if !ctx.k.brand_mentions(line).is_empty() {
            continue;
        }
        // What is left besides the phrase, copyright marks, years and punctuation would be an
        // organisation's name: then the signature is not anonymous.
        let lower = line.to_lowercase();
        let rest = lower.replacen(&phrase.to_lowercase(), "", 1);
        let rest = rest.replace("(c)", "").replace("copyright", "").replace("all rights reserved", "");
        let left = rest.chars().filter(|c| c.is_alphabetic() && !matches!(c, '©')).count();
        if left <= 3 {
            out.add(ids::CONTENT_ANONYMOUS_SIGNATURE, vec![Evidence::new("body", *line)]);
            return;
        }
    }
}

/// Most words an inbox preview line ("preheader") has.
const PREHEADER_MAX_WORDS: usize = 30;

fn hidden_text(ctx: &Context<'_>, out: &mut Collector) {
    let words = ctx.content.hidden_words;
    // A newsletter hides one line before its visible text for the inbox preview: standard
    // practice, and nothing a filter is fooled by. More hidden text than that still counts.
    // It is a sentence: a list of words with no stop is filler for statistical filters.
    let sentence = |t: &str| t.contains(['.', '!', '?', '…', '。', '！', '？']);
    if ctx.content.preheader
        && ctx.content.hidden_text.len() == 1
        && words <= PREHEADER_MAX_WORDS
        && sentence(&ctx.content.hidden_text[0])
    {
        return;
    }
    if words >= 3 {
        let ev = ctx
            .content
            .hidden_text
            .iter()
            .take(3)
            .map(|t| Evidence::new("body:html (hidden)", clip(t.trim(), 120)))
            .collect();
        out.add(ids::CONTENT_HIDDEN_TEXT, ev);
        if words >= 40 {
            out.add(ids::CONTENT_HIDDEN_FILLER, vec![Evidence::new("hidden words", words.to_string())]);
        }
    }
}

/// The brands a mail claims to come from: named in the sender's display name, bracketed or first
/// in the subject (「【Amazon】…」), or in the first or last lines of the text (letterhead and
/// signature). A brand merely mentioned in passing is not a claim.
pub fn claimed_brands(ctx: &Context<'_>) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut places: Vec<String> = Vec::new();
    if let Some(n) = &ctx.mail.from.name
        && !n.to_lowercase().contains(" via ")
    {
        places.push(n.split_whitespace().filter(|w| !w.contains('@')).collect::<Vec<_>>().join(" "));
    }
    out.extend(subject_brands(ctx, &ctx.content.subject));
    // Letterhead and signature; on a mailing list those lines are list furniture and quotes.
    let mailing_list = ctx.mail.header("List-Id").is_some();
    let lines: Vec<&str> = ctx
        .content
        .visible_text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('>'))
        .collect();
    if !mailing_list {
        places.extend(lines.iter().take(2).map(|l| l.chars().take(80).collect::<String>()));
    }
    brands_in(ctx, &places, &mut out);
    if !mailing_list {
        let signature: Vec<String> =
            lines.iter().rev().take(3).map(|l| l.chars().take(80).collect()).collect();
        let mut named = Vec::new();
        brands_in(ctx, &signature, &mut named);
        for (i, name) in named {
            // A "follow us" button whose whole text is the brand's name ("Facebook", "Twitter")
            // points to the sender's page there: it claims nothing about who sent the mail.
            if !out.iter().any(|(b, _)| *b == i) && !is_brand_button(ctx, i) {
                out.push((i, name));
            }
        }
    }
    out
}

/// A link a reader can click whose whole text is one of the brand's names.
fn is_brand_button(ctx: &Context<'_>, brand: usize) -> bool {
    let names = &ctx.k.brands[brand].names;
    ctx.content.links.iter().filter(|l| l.is_clickable() && !l.hidden).any(|l| {
        l.display_text.as_deref().is_some_and(|t| names.iter().any(|n| n.eq_ignore_ascii_case(t.trim())))
    })
}

/// Brands the subject claims as its sender: a bracketed name (「【Amazon】…」, "\[PayPal\] …")
/// or a name that opens the subject before a separator ("Amazon: your order", "PayPal - …").
/// A subject that merely talks about a brand ("Apple Sauced again") claims nothing.
pub fn subject_brands(ctx: &Context<'_>, subject: &str) -> Vec<(usize, String)> {
    let mut places: Vec<String> = Vec::new();
    let s = subject.trim();
    for (open, close) in [('【', '】'), ('[', ']'), ('「', '」'), ('<', '>'), ('(', ')')] {
        let mut rest = s;
        while let Some(i) = rest.find(open) {
            let after = &rest[i + open.len_utf8()..];
            let Some(j) = after.find(close) else { break };
            // The bracket holds a sender's name, not a sentence.
            if after[..j].chars().count() <= 30 {
                places.push(after[..j].to_string());
            }
            rest = &after[j..];
        }
    }
    let unprefixed = s.trim_start_matches(|c: char| c.is_whitespace() || "!*#".contains(c));
    if let Some(i) = unprefixed.find([':', '|', '-', '：', '｜', '—', '_']) {
        let head = &unprefixed[..i];
        // "Re: …" and "Fwd: …" open replies and forwards, not a sender's name ("Rewards: …" may).
        let lower = head.trim().to_lowercase();
        let vocab = &ctx.k.vocab;
        let is_prefix = vocab
            .reply_prefixes
            .iter()
            .chain(vocab.forward.subject_prefixes.iter())
            .any(|p| p.trim_end_matches([':', '：']) == lower);
        if head.chars().count() <= 30 && !is_prefix {
            places.push(head.to_string());
        }
    }
    let mut out: Vec<(usize, String)> = Vec::new();
    brands_in(ctx, &places, &mut out);
    out
}

/// Adds the brands named in `places` to `out`, once each.
fn brands_in(ctx: &Context<'_>, places: &[String], out: &mut Vec<(usize, String)>) {
    for p in places {
        // An address is not a claim: "you@gmail.com" in a footer names no brand.
        let normalised = Normalised::new(p);
        let text = without_addresses(&normalised.text);
        for (i, name) in ctx.k.brand_mentions(&text) {
            if !out.iter().any(|(b, _)| *b == i) {
                out.push((i, name.to_string()));
            }
        }
    }
}

/// `text` with every word holding an `@` between other characters blanked (same length, so
/// offsets hold). Not [`crate::text::addresses_in`]: places are cut at 80 characters, and an
/// address cut to "you@gmai" must go too.
fn without_addresses(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('@') {
        return std::borrow::Cow::Borrowed(text);
    }
    let is_addr_char = |c: char| c.is_alphanumeric() || "._%+-@".contains(c);
    let mut out = String::with_capacity(text.len());
    for word in text.split_inclusive(|c: char| !is_addr_char(c)) {
        let core = word.trim_end_matches(|c: char| !is_addr_char(c));
        if core.contains('@') && !core.starts_with('@') && !core.ends_with('@') {
            out.extend(std::iter::repeat_n(' ', core.len()));
            out.push_str(&word[core.len()..]);
        } else {
            out.push_str(word);
        }
    }
    std::borrow::Cow::Owned(out)
}

fn brand_mismatch(ctx: &Context<'_>, out: &mut Collector) {
    let clickable: Vec<_> = ctx.content.links.iter().filter(|l| l.is_clickable() && !l.hidden).collect();
    // A mailto: button ("Report the user") answers to its domain as much as a link goes to one.
    let mailto: Vec<(&str, String)> = ctx
        .content
        .mailto
        .iter()
        .filter_map(|a| crate::mail::domain_of(a).map(|d| (a.as_str(), d)))
        .collect();
    if clickable.is_empty() && mailto.is_empty() {
        return;
    }
    let from_domain = ctx.mail.from.domain.as_deref().unwrap_or("");
    // The brand's own mail may send the reader elsewhere (a partner, a tracker); a From in the
    // brand's domain for which the receiving server's DMARC check failed is forged and is not.
    // (Not "unproven": a Gmail user's DMARC pass proves no one, yet Google owns gmail.com.)
    let from_forged = crate::auth_results::choose(&ctx.mail.auth_results, &ctx.opts.trusted_authserv_ids)
        .is_some_and(|(ar, _)| ar.result("dmarc").is_some_and(|d| d.result == "fail"));
    for (i, name) in claimed_brands(ctx) {
        let brand = &ctx.k.brands[i];
        // A webmail product's login page lives on each customer's own server.
        if brand.is_webmail() || (brand.owns(from_domain) && !from_forged) {
            continue;
        }
        // Web links decide when there are any: a mailto: to the brand's real address beside
        // them is decoration.
        let owned = if clickable.is_empty() {
            mailto.iter().any(|(_, d)| brand.owns(d))
        } else {
            clickable.iter().any(|l| l.facts.host.as_deref().is_some_and(|h| brand.owns(h)))
        };
        if owned {
            continue;
        }
        let mut ev = vec![Evidence::new("brand named", name)];
        for (address, _) in mailto.iter().filter(|(_, d)| !brand.owns(d)).take(2) {
            ev.push(Evidence::new("mailto", *address));
        }
        let mut seen = Vec::new();
        for l in &clickable {
            if let Some(rd) = l.facts.registrable_domain.clone().or_else(|| l.facts.host.clone())
                && !seen.contains(&rd)
                && seen.len() < 3
            {
                ev.push(Evidence::new("url", l.facts.url.clone()));
                seen.push(rd);
            }
        }
        ev.push(Evidence::new(
            "brand domains",
            brand.domains.iter().take(4).cloned().collect::<Vec<_>>().join(", "),
        ));
        out.add(ids::CONTENT_BRAND_MISMATCH, ev);
    }
}

fn forms(ctx: &Context<'_>, out: &mut Collector) {
    let from_rd = ctx.mail.from.domain.as_deref().and_then(registrable_domain);
    for form in &ctx.content.forms {
        let Some(action) = &form.action else { continue };
        if !action.to_ascii_lowercase().starts_with("http") {
            continue;
        }
        // A form of one field is a search box or a newsletter sign-up ("search our site"); a
        // harvesting form asks for several things (account, card number, PIN) or a password.
        if form.fields < 2 && !form.has_password {
            continue;
        }
        let target =
            crate::urls::parse_web_url(action).and_then(|u| u.host_str().and_then(registrable_domain));
        // What is typed goes back to the domain the mail says it is from: even a forged From
        // hands the answers to the one it impersonates, not to a thief.
        if target.is_some() && target == from_rd {
            continue;
        }
        let mut ev = vec![Evidence::new("form action", action.clone())];
        if form.has_password {
            ev.push(Evidence::new("form", "asks for a password"));
        }
        if let Some(rd) = target {
            ev.push(Evidence::new("submits to", rd));
        }
        out.add(ids::CONTENT_HTML_FORM, ev);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn addresses_are_blanked_even_when_cut() {
        use super::without_addresses as w;
        assert_eq!(w("Write to you@gmail.com, or Gmail"), "Write to              , or Gmail");
        assert_eq!(w("<plop@gmai"), "<         ");
        assert_eq!(w("@handle and a@"), "@handle and a@");
        assert_eq!(w("no address"), "no address");
    }

    #[test]
    fn large_sums() {
        let large_sum = |s: &str| super::large_sum(s, &crate::knowledge::knowledge().vocab);
        for s in [
            "YOUR $2.500,000.00",
            "donated $ 3,500,000.00 USD to you",
            "US$18.5 million",
            "€4,000,000",
            "R$ 1.200.000,00",
            "her asset funds, 23.5 M USD overseas",
        ] {
            assert!(large_sum(s).is_some(), "{s}");
        }
        for s in [
            "$19/month",
            "costs $1,500",
            "version 4.000.000 of the code",
            "in 2024 we had 5000 users",
            "12,000 km",
            "walk 500 m to the station, tickets $5",
        ] {
            assert!(large_sum(s).is_none(), "{s}");
        }
    }

    #[test]
    fn mixed_scripts() {
        use super::mixed_script_words;
        assert_eq!(
            mixed_script_words("Gеt A High Lеvеl Of Vеhicle Pгotеction"),
            vec!["Gеt", "Lеvеl", "Vеhicle", "Pгotеction"]
        );
        assert!(mixed_script_words("Привет, world! Καλημέρα café naïve").is_empty());
    }

    #[test]
    fn disguised_words() {
        let targets = &crate::knowledge::knowledge().vocab.disguise_targets;
        let disguised_tokens = |s: &str| super::disguised_tokens(s, targets);
        assert_eq!(disguised_tokens("Verify your waIIet: Someone tried to Iog in"), vec!["waIIet", "Iog"]);
        assert_eq!(disguised_tokens("Your.transaction.0.7495.Bitcoin.").len(), 2);
        assert!(disguised_tokens("Meet McIntosh at www.example.co.jp or Ilona in Iowa").is_empty());
        assert_eq!(disguised_tokens("FOR YOU COUPON 5% VlAGRA,ClALlS... SUPER"), vec!["VlAGRA", "ClALlS"]);
        assert_eq!(disguised_tokens("__2ND~'ATTEMPT'~F0R' ~~*_ C0NGRATS").len(), 4);
        assert!(!disguised_tokens("Transfer__to__your__Bitcoin__address__0.7495__BTC").is_empty());
        for fine in [
            "Re: [USRP-users] rx_samples_to_file on X310 and B210",
            "MP3 H264 IPv4 Win10 COVID-19",
            "HTML and CSS3 for B2B",
            "Ubuntu 20.04 LTS",
            "Hello World",
        ] {
            assert!(disguised_tokens(fine).is_empty(), "{fine}");
        }
    }

    #[test]
    fn random_subject_tokens() {
        use super::random_token;
        for s in [
            "Liberação de IRPF - 6NwlyfzWcsNerv0",
            "Atenção Itau - fg46qFdZiRVH3jI",
            "Crédito IR Liberado - maHSkh0WLRUIpDf6t",
        ] {
            assert!(random_token(s).is_some(), "{s}");
        }
        for s in [
            "Order #AB12345678 shipped",
            "Re: [USRP-users] UHD 4.0 on Ubuntu",
            "Your JavaScript questions",
            "Ticket 2024110512345",
            "MacBookPro issues",
            "Meeting with McDonald",
        ] {
            assert!(random_token(s).is_none(), "{s}");
        }
    }
}
