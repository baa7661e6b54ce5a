//! The pipeline: bytes → parsed mail → facts → content → findings → verdict.

use kaibo_model::ids;
use std::panic::{AssertUnwindSafe, catch_unwind};

use mail_parser::{Message, MessageParser};

use crate::checks::{self, Content, Context, Link, QrCode};
use crate::html::HtmlLink;
use crate::html::analyze_html;
use crate::knowledge::{Knowledge, domain_is_or_under, knowledge};
use crate::limits::{MAX_LINKS, MAX_MAILTO, MAX_RAW_LINKS, MAX_SUBJECT_CHARS, QR_MAX_IMAGES};
use crate::mail::{MailFacts, extract};
use crate::urls::{find_urls_in_text, parse_web_url, registrable_domain, url_facts};
use crate::verdict;
use crate::{AnalyzeError, Options};
use kaibo_model::*;

/// Analyses one raw mail, offline.
pub fn analyze(raw: &[u8], opts: &Options) -> Result<Analysis, AnalyzeError> {
    if raw.len() > opts.max_input_bytes {
        return Err(AnalyzeError::TooLarge { size: raw.len(), limit: opts.max_input_bytes });
    }
    // Classic Mac OS mail ends lines with a bare CR; MIME parsers split on LF.
    let normalised: Vec<u8>;
    let mut raw = raw;
    let head = &raw[..raw.len().min(8192)];
    let bare_cr = !head.contains(&b'\n') && head.contains(&b'\r');
    if bare_cr {
        normalised = raw.iter().map(|&b| if b == b'\r' { b'\n' } else { b }).collect();
        raw = &normalised;
    }
    let raw = skip_mbox_separator(raw);
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Err(AnalyzeError::Empty);
    }
    if let Some(why) = not_a_mail(raw) {
        return Err(AnalyzeError::NotAMail(why));
    }
    let without_nuls = blank_header_nuls(raw);
    let raw = without_nuls.as_deref().unwrap_or(raw);
    let shaped = crate::limits::shape_for_parser(raw);
    let raw = shaped.as_ref().map_or(raw, |(s, _)| s.as_slice());
    let parsed = catch_unwind(AssertUnwindSafe(|| parser().parse(raw)))
        .map_err(|_| AnalyzeError::NotAMail("the MIME parser failed on this input".into()))?;
    let Some(msg) = parsed else {
        return Err(AnalyzeError::NotAMail("no header block".into()));
    };
    if !has_mail_headers(&msg) {
        return Err(AnalyzeError::NotAMail("no mail headers (From, To, Subject, Date, Received…)".into()));
    }
    let k = knowledge();
    let mut outer = extract(&msg);
    if bare_cr {
        outer.defects.push("lines end in a bare CR (classic Mac OS), read as line breaks".into());
    }
    if without_nuls.is_some() {
        outer.defects.push("NUL bytes in the header block (read as spaces)".into());
    }
    if let Some((_, notes)) = shaped {
        outer.limits.splice(0..0, notes);
    }
    Ok(analyze_facts(outer, k, opts))
}

/// The MIME parser, built once: its header table is the same for every mail.
///
/// Structured headers are parsed as mail-parser's default does. Every other header (the long
/// `X-`, `ARC-`, `DKIM-Signature` and antispam headers that make up most of a header block) is
/// only skipped by the parser: `mail::extract` reads its text from the raw bytes once, where the
/// default would decode it into a string kaibo then copied again.
pub(crate) fn parser() -> &'static MessageParser {
    use mail_parser::HeaderName as H;
    static PARSER: std::sync::OnceLock<MessageParser> = std::sync::OnceLock::new();
    PARSER.get_or_init(|| {
        let mut p = MessageParser::new()
            .with_mime_headers()
            .with_date_headers()
            .with_address_headers()
            .with_message_ids()
            .header_text(H::Subject)
            .header_text(H::Comments)
            .header_id(H::ReturnPath)
            .header_comma_separated(H::Keywords)
            .header_comma_separated(H::ContentLanguage)
            .header_received(H::Received)
            .header_raw(H::MimeVersion);
        for list in [
            H::ListArchive,
            H::ListHelp,
            H::ListId,
            H::ListOwner,
            H::ListPost,
            H::ListSubscribe,
            H::ListUnsubscribe,
        ] {
            p = p.header_address(list);
        }
        p.default_header_ignore()
    })
}

fn skip_mbox_separator(raw: &[u8]) -> &[u8] {
    if raw.starts_with(b"From ") {
        match memchr::memchr(b'\n', raw) {
            Some(i) => &raw[i + 1..],
            None => raw,
        }
    } else {
        raw
    }
}

/// Whether the input is clearly not a mail, and why. A mail starts with a header field; a
/// binary file shows itself in its first bytes (a file format's signature, or mostly control
/// bytes). A stray NUL or control byte inside a mail does not make it binary: phishing with one
/// must still be analysed, so only the shape of the start decides.
fn not_a_mail(raw: &[u8]) -> Option<String> {
    let head = &raw[..raw.len().min(4096)];
    if let Some(kind) =
        crate::mail::detect_type(head).filter(|t| !t.starts_with("text/") && !t.contains("svg"))
    {
        return Some(format!("binary data ({kind})"));
    }
    // Control bytes other than white space and ESC (ISO-2022-JP): text has almost none.
    let control =
        head.iter().filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b)).count();
    if control * 8 > head.len() {
        return Some("binary data (mostly control bytes)".into());
    }
    let first = head
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .find(|l| !l.iter().all(|&b| b == 0 || b.is_ascii_whitespace()))?;
    let colon = first.iter().position(|&b| b == b':');
    let valid = colon.is_some_and(|c| {
        c > 0 && first[..c].iter().all(|&b| ((33..=126).contains(&b) && b != b':') || b == 0)
    });
    (!valid).then(|| "the first line is not a header field".into())
}

/// NUL bytes in the header block, read as spaces (same length, so the parser's offsets stay
/// right). Mail parsers and clients differ on NULs; a mail must not escape analysis by one.
/// Bodies keep their bytes: a NUL there is data (and attachments keep their hashes).
fn blank_header_nuls(raw: &[u8]) -> Option<Vec<u8>> {
    let end = memchr::memmem::find(raw, b"\n\r\n")
        .or_else(|| memchr::memmem::find(raw, b"\n\n"))
        .unwrap_or(raw.len());
    let head = &raw[..end];
    memchr::memchr(0, head)?;
    let mut fixed = raw.to_vec();
    for b in &mut fixed[..end] {
        if *b == 0 {
            *b = b' ';
        }
    }
    Some(fixed)
}

fn has_mail_headers(msg: &Message<'_>) -> bool {
    const KNOWN: &[&str] = &[
        "from",
        "to",
        "subject",
        "date",
        "message-id",
        "received",
        "return-path",
        "mime-version",
        "content-type",
        "delivered-to",
        "reply-to",
        "sender",
        "cc",
    ];
    msg.root_part().headers().iter().any(|h| KNOWN.iter().any(|k| h.name().eq_ignore_ascii_case(k)))
}

/// A forward wrapper: one attached mail and little content of its own. Abuse desks receive
/// phishing this way; the attached mail is then the subject of the analysis. A bounce's
/// returned mail is the recipient's own and never the subject.
fn forwarded_subject(outer: &MailFacts, content: &Content, k: &Knowledge) -> Option<usize> {
    if outer.attached.len() != 1
        || outer.report_type.is_some()
        || checks::structure::from_mail_system(outer, k)
    {
        return None;
    }
    let own_text = content
        .visible_text
        .lines()
        .filter(|l| !l.trim_start().starts_with('>'))
        .map(str::len)
        .sum::<usize>();
    let own_links = content.links.iter().filter(|l| l.is_clickable()).count();
    (own_text < 1500 && own_links <= 3).then_some(0)
}

fn analyze_facts(outer: MailFacts, k: &Knowledge, opts: &Options) -> Analysis {
    // A forward of a forward (an abuse desk passing on a user's report) is unwrapped level by
    // level: the innermost mail is the one to judge.
    let mut content = build_content(&outer, k);
    let mut mail = outer;
    let mut wrappers: Vec<MailFacts> = Vec::new();
    while wrappers.len() < crate::limits::MAX_ATTACHED_DEPTH
        && let Some(i) = forwarded_subject(&mail, &content, k)
    {
        let inner = std::mem::take(&mut mail.attached[i]);
        content = build_content(&inner, k);
        wrappers.push(std::mem::replace(&mut mail, inner));
    }
    let subject = match wrappers.first() {
        Some(outermost) => AnalysedMessage {
            kind: "attached_message".into(),
            wrapper_subject: outermost.subject.clone(),
            wrapper_from: outermost.from.address.clone(),
            depth: wrappers.len(),
        },
        None => {
            AnalysedMessage { kind: "message".into(), wrapper_subject: None, wrapper_from: None, depth: 0 }
        }
    };

    let machine_report = checks::structure::classify(&mail, &content, k);
    let ctx = Context { k, mail: &mail, content: &content, opts, machine_report };
    let mut collected = checks::run_all(&ctx);
    if !wrappers.is_empty() {
        let mut ev: Vec<Evidence> = wrappers
            .iter()
            .map(|w| {
                Evidence::new(
                    "wrapper",
                    format!(
                        "{} <{}>",
                        w.subject.clone().unwrap_or_default(),
                        w.from.address.clone().unwrap_or_default()
                    ),
                )
            })
            .collect();
        if let Some(s) = &mail.subject {
            ev.push(Evidence::new("attached mail", s.clone()));
        }
        collected.add(ids::STRUCTURE_FORWARDED_ATTACHMENT, ev);
    }
    let judged = collected.ledger.close(opts.ignore_upstream_verdicts);

    let observables = observables(&mail, &content);
    Analysis {
        kaibo_version: env!("CARGO_PKG_VERSION").to_string(),
        verdict: judged.verdict,
        score: judged.score,
        thresholds: verdict::THRESHOLDS,
        findings: judged.findings,
        analysed: subject,
        message: MessageSummary {
            subject: mail.subject.clone(),
            from: mail.from.clone(),
            reply_to: mail.reply_to.clone(),
            return_path: mail.return_path.clone(),
            to: mail.to.clone(),
            cc: mail.cc.clone(),
            date: mail.date.clone(),
            message_id: mail.message_id.clone(),
            language: content.language.map(str::to_string),
        },
        observables,
        hops: mail.hops.clone(),
        authentication: collected.authentication,
        upstream_verdicts: collected.upstream,
        text_excerpt: excerpt(&content.visible_text, 400),
        hidden_text: content.hidden_text.clone(),
        defects: mail.defects.clone(),
        limits: mail.limits.iter().chain(&content.limits).cloned().collect(),
    }
}

fn excerpt(text: &str, max_chars: usize) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| checks::clip(t, max_chars))
}

/// QR decoding costs milliseconds per image, so it runs only when the mail points at a code
/// (its text mentions one) or is little more than pictures, the two shapes quishing takes.
fn wants_qr_scan(mail: &MailFacts, c: &Content, raw_links: &[HtmlLink], k: &Knowledge) -> bool {
    let inline_images = raw_links.iter().filter(|l| l.source == "img" && is_data_image(&l.url)).count();
    let attached_images = mail.attachments.iter().filter(|a| a.image.is_some()).count();
    if inline_images + attached_images == 0 {
        return false;
    }
    let words = c.visible_text.split_whitespace().count();
    if words <= 30 {
        return true;
    }
    let lower_subject = c.subject.to_lowercase();
    let head = crate::text::head(&c.visible_text, 4000).to_lowercase();
    k.vocab.qr_words.iter().any(|w| {
        [&lower_subject, &head].iter().any(|t| {
            // "qr" alone must stand as a word, not inside one.
            if w == "qr" {
                t.match_indices("qr").any(|(i, _)| {
                    let before = t[..i].chars().next_back();
                    let after = t[i + 2..].chars().next();
                    !before.is_some_and(|ch| ch.is_ascii_alphabetic())
                        && !after.is_some_and(|ch| ch.is_ascii_alphabetic())
                })
            } else {
                t.contains(w.as_str())
            }
        })
    })
}

fn is_data_image(url: &str) -> bool {
    url.get(..11).is_some_and(|p| p.eq_ignore_ascii_case("data:image/"))
}

/// Decodes QR codes in attached images and in inline `data:` images of the HTML.
fn scan_qr_codes(mail: &MailFacts, raw_links: &[HtmlLink]) -> Vec<QrCode> {
    use base64::Engine as _;
    // Mail writers drop the padding or add stray characters; take what decodes.
    const LENIENT_BASE64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    let mut out: Vec<QrCode> = Vec::new();
    let mut decoded = 0;
    for (i, a) in mail.attachments.iter().enumerate() {
        let Some(bytes) = &a.image else { continue };
        if decoded >= QR_MAX_IMAGES {
            break;
        }
        decoded += 1;
        let place = a.meta.filename.clone().unwrap_or_else(|| a.meta.declared_type.clone());
        for payload in crate::files::qr_codes(bytes) {
            out.push(QrCode { attachment: Some(i), place: place.clone(), payload });
        }
    }
    for url in raw_links.iter().filter(|l| l.source == "img" && is_data_image(&l.url)).map(|l| &l.url) {
        if decoded >= QR_MAX_IMAGES {
            break;
        }
        let Some((head, data)) = url.split_once(',') else { continue };
        if !head.to_ascii_lowercase().ends_with(";base64") {
            continue;
        }
        let clean: String = data.chars().filter(|c| !c.is_whitespace()).collect();
        let Ok(bytes) = LENIENT_BASE64.decode(clean) else { continue };
        decoded += 1;
        for payload in crate::files::qr_codes(&bytes) {
            out.push(QrCode { attachment: None, place: "inline image".into(), payload });
        }
    }
    out
}

/// The links of a mail as written, in reading order, each distinct string once (the first
/// occurrence, which is the one the analysis keeps) and at most [`MAX_RAW_LINKS`] of them: a
/// body of millions of URLs costs no more than that. Strings are remembered by hash, as inline
/// `data:` pictures are long.
#[derive(Default)]
struct RawLinks {
    items: Vec<HtmlLink>,
    seen: std::collections::HashSet<u64>,
    cut: bool,
}

impl RawLinks {
    fn push(&mut self, url: String, source: &'static str, display_text: Option<String>, hidden: bool) {
        use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
        let hash = BuildHasherDefault::<DefaultHasher>::default().hash_one(&url);
        if self.seen.contains(&hash) {
            return;
        }
        if self.items.len() >= MAX_RAW_LINKS {
            self.cut = true;
            return;
        }
        self.seen.insert(hash);
        self.items.push(HtmlLink { url, source, display_text, hidden });
    }
}

/// Reads the body parts and HTML attachments into visible text, hidden text and links.
pub(crate) fn build_content(mail: &MailFacts, k: &Knowledge) -> Content {
    let mut c = Content::default();
    let mut texts: Vec<String> = Vec::new();
    let mut raw = RawLinks::default();

    for html in &mail.html_parts {
        let doc = analyze_html(html);
        for l in doc.links {
            raw.push(l.url, l.source, l.display_text, l.hidden);
        }
        c.hidden_text.extend(doc.hidden_text);
        c.forms.extend(doc.forms);
        texts.push(doc.visible_text);
    }
    // Text parts are read when there is no HTML to read (in multipart/alternative they say the
    // same); their links always count.
    let use_text = mail.html_parts.is_empty();
    for t in &mail.text_parts {
        if use_text {
            texts.push(t.trim().to_string());
        } else {
            for u in find_urls_in_text(t) {
                raw.push(u.text.to_string(), "text", None, false);
            }
        }
    }
    let (visible, mut invisible) = crate::text::strip_invisible(&texts.join("\n\n"));
    c.visible_text = visible;
    // A subject is a line; checks read at most its first characters.
    let raw_subject = crate::text::head(mail.subject.as_deref().unwrap_or(""), MAX_SUBJECT_CHARS);
    let (subject, in_subject) = crate::text::strip_invisible(raw_subject);
    c.subject = subject;
    if in_subject.count > 0 {
        invisible.count += in_subject.count;
        invisible.sample = in_subject.sample.or(invisible.sample);
    }
    c.invisible = invisible;
    for u in find_urls_in_text(&c.visible_text) {
        raw.push(u.text.to_string(), "text", None, false);
    }
    for a in &mail.attachments {
        if let Some(html) = &a.html {
            let doc = analyze_html(html);
            for l in doc.links {
                raw.push(l.url, "attachment", l.display_text, l.hidden);
            }
            c.forms.extend(doc.forms);
        }
        for uri in &a.meta.links {
            raw.push(uri.clone(), "pdf", None, false);
        }
    }
    if wants_qr_scan(mail, &c, &raw.items, k) {
        c.qr_codes = scan_qr_codes(mail, &raw.items);
        for q in &c.qr_codes {
            raw.push(q.payload.clone(), "qr", None, false);
        }
    }
    if raw.cut {
        c.limits.push(format!("links: the first {MAX_RAW_LINKS} distinct links as written were read"));
    }

    let mut seen = std::collections::HashSet::new();
    let mut emails = std::collections::HashSet::new();
    let mut links_cut = false;
    for HtmlLink { url, source, display_text: display, hidden } in raw.items {
        if let Some(addr) = url.trim().strip_prefix("mailto:").or_else(|| url.trim().strip_prefix("MAILTO:"))
        {
            let addr = addr.split('?').next().unwrap_or("").trim().to_string();
            if addr.contains('@') && emails.insert(addr.clone()) {
                if c.mailto.len() < MAX_MAILTO {
                    c.mailto.push(addr.clone());
                }
                c.emails.push(addr);
            }
            continue;
        }
        let Some(parsed) = parse_web_url(&url) else { continue };
        let mut facts = url_facts(&parsed, k);
        let mut unwrapped_from = None;
        // Gateways wrap each other (Safe Links around Proofpoint): unwrap a few layers.
        let mut current = parsed;
        for _ in 0..3 {
            let Some(dest) = unwrap_rewriter(&current, k) else { break };
            unwrapped_from.get_or_insert_with(|| facts.url.clone());
            facts = url_facts(&dest, k);
            current = dest;
        }
        // An anchor and the same URL written as its text are one link.
        if seen.contains(&facts.url) {
            continue;
        }
        if c.links.len() >= MAX_LINKS {
            links_cut = true;
            break;
        }
        seen.insert(facts.url.clone());
        c.links.push(Link { facts, source, display_text: display, hidden, unwrapped_from });
    }
    if links_cut {
        c.limits.push(format!("links: the first {MAX_LINKS} distinct links were kept"));
    }
    c.language = detect_language(&c.subject, &c.visible_text);
    c.inline_forward = crate::forward::find(&c.subject, &c.visible_text, &k.vocab.forward);
    c
}

fn unwrap_rewriter(url: &url::Url, k: &Knowledge) -> Option<url::Url> {
    let host = url.host_str()?.to_ascii_lowercase();
    // Proofpoint v3 carries the URL verbatim between double underscores.
    if domain_is_or_under(&host, "urldefense.com") {
        let s = url.as_str();
        let start = s.find("/__")? + 3;
        let end = start + s[start..].find("__")?;
        return parse_web_url(&s[start..end]);
    }
    let rw = k.rewriters.iter().find(|r| domain_is_or_under(&host, &r.host))?;
    let (_, dest) = url.query_pairs().find(|(n, _)| n == rw.param.as_str())?;
    // Proofpoint v2 escapes the URL: '-' for '%', '_' for '/'.
    if domain_is_or_under(&host, "urldefense.proofpoint.com") && !dest.contains("://") {
        let escaped = dest.replace('_', "/").replace('-', "%");
        let decoded = url::form_urlencoded::parse(format!("u={escaped}").as_bytes()).next()?.1.into_owned();
        return parse_web_url(&decoded);
    }
    parse_web_url(&dest)
}

/// `ja` when the text has Japanese kana, `en` when it reads as English, else none.
fn detect_language(subject: &str, text: &str) -> Option<&'static str> {
    let sample: String = subject.chars().chain(" ".chars()).chain(text.chars().take(4000)).collect();
    let kana = sample.chars().filter(|c| matches!(*c as u32, 0x3040..=0x30ff)).count();
    if kana >= 5 {
        return Some("ja");
    }
    let lower = sample.to_ascii_lowercase();
    let english = lower
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| matches!(*w, "the" | "and" | "you" | "your" | "to" | "of" | "is" | "for" | "please"))
        .count();
    (english >= 3).then_some("en")
}

fn observables(mail: &MailFacts, content: &Content) -> Observables {
    let mut o = Observables::default();
    let push_unique = |v: &mut Vec<String>, s: String| {
        if !s.is_empty() && !v.contains(&s) {
            v.push(s);
        }
    };
    for l in &content.links {
        let f = &l.facts;
        o.urls.push(UrlObservable {
            facts: f.clone(),
            source: l.source.to_string(),
            display_text: l.display_text.clone(),
            shortener: f.host.as_deref().is_some_and(|h| knowledge().is_shortener(h)),
            unwrapped_from: l.unwrapped_from.clone(),
        });
        if f.is_ip {
            push_unique(&mut o.ips, f.host.clone().unwrap_or_default());
        } else if let Some(rd) = &f.registrable_domain {
            push_unique(&mut o.domains, rd.clone());
        }
    }
    let sender_domains = [mail.from.domain.clone()]
        .into_iter()
        .chain(mail.reply_to.iter().map(|m| m.domain.clone()))
        .chain([mail.return_path.as_deref().and_then(crate::mail::domain_of)]);
    for d in sender_domains.flatten() {
        push_unique(&mut o.domains, registrable_domain(&d).unwrap_or(d));
    }
    for h in &mail.hops {
        if let Some(ip) = h.from_ip.as_deref().and_then(|s| s.parse::<std::net::IpAddr>().ok())
            && is_public_ip(ip)
        {
            push_unique(&mut o.ips, ip.to_string());
        }
    }
    let addrs = [mail.from.address.clone()]
        .into_iter()
        .chain(mail.reply_to.iter().map(|m| m.address.clone()))
        .chain([mail.return_path.clone()])
        .flatten()
        .chain(content.emails.iter().cloned());
    for a in addrs {
        if a.contains('@') {
            push_unique(&mut o.emails, a);
        }
    }
    o.attachments = mail.attachments.iter().map(|a| a.meta.clone()).collect();
    for q in &content.qr_codes {
        if let Some(a) = q.attachment.and_then(|i| o.attachments.get_mut(i)) {
            a.qr_codes.push(q.payload.clone());
        }
    }
    o
}

/// Not loopback, private, link-local, shared (CGNAT), documentation-free-for-all or unspecified.
pub fn is_public_ip(ip: std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || (o[0] == 100 && (64..128).contains(&o[1])))
        }
        std::net::IpAddr::V6(v6) => {
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unwraps_gateway_rewriters() {
        let k = knowledge();
        let cases = [
            (
                "https://urldefense.proofpoint.com/v2/url?u=http-3A__gnuradio.cn_en_page-5Fusrp.html&d=DwMFaQ&c=x",
                "http://gnuradio.cn/en/page_usrp.html",
            ),
            ("https://urldefense.com/v3/__https://evil.example/login__;!!abc", "https://evil.example/login"),
            (
                "https://nam02.safelinks.protection.outlook.com/?url=https%3A%2F%2Fevil.example%2Fx&data=1",
                "https://evil.example/x",
            ),
        ];
        for (wrapped, want) in cases {
            let url = parse_web_url(wrapped).unwrap();
            assert_eq!(unwrap_rewriter(&url, k).map(|u| u.to_string()).as_deref(), Some(want), "{wrapped}");
        }
    }
}
