//! The body as a reader meets it: the visible and hidden text of the body parts, every link (in
//! the HTML, the text, HTML and PDF attachments, QR codes in pictures) with where it really goes
//! (gateway rewriters unwrapped), the forms, and the language. This is what the checks read.

use kaibo_model::LinkSource;

use crate::html::{HtmlForm, HtmlLink, analyze_html, analyze_html_file};
use crate::knowledge::Knowledge;
use crate::limits::{MAX_LINKS, MAX_MAILTO, MAX_RAW_LINKS, MAX_SUBJECT_CHARS, QR_MAX_IMAGES};
use crate::mail::MailFacts;
use crate::urls::{UrlFacts, find_urls_in_text, parse_web_url, unwrap_gateway, url_facts};

/// A link as the reader meets it, and where it really goes.
#[derive(Debug, Clone)]
pub struct Link {
    pub facts: UrlFacts,
    pub source: LinkSource,
    pub display_text: Option<String>,
    pub hidden: bool,
    /// The destination of a gateway link rewriter, when this link went through one.
    pub unwrapped_from: Option<String>,
}

impl Link {
    /// Links a reader can click (not images or frames loaded by the page).
    pub fn is_clickable(&self) -> bool {
        self.source.is_clickable()
    }
}

/// What the body says and links to: what the checks read.
#[derive(Debug, Clone, Default)]
pub struct Content {
    /// Visible text of the body parts (hidden text excluded), parts separated by blank lines.
    pub visible_text: String,
    pub hidden_text: Vec<String>,
    /// The first hidden text is an HTML part's preview line, before any visible text.
    pub preheader: bool,
    /// Words in the hidden text, counted in full ([`crate::html::hidden_words`]).
    pub hidden_words: usize,
    pub links: Vec<Link>,
    /// Addresses of `mailto:` links, in order, without their query.
    pub mailto: Vec<String>,
    pub forms: Vec<HtmlForm>,
    pub emails: Vec<String>,
    /// `ja` or `en`, when clear.
    pub language: Option<&'static str>,
    /// The subject with invisible characters removed.
    pub subject: String,
    /// Invisible characters slipped between letters of the subject and the text.
    pub invisible: crate::text::Invisible,
    /// The original's header block, when the mail forwards another one inline.
    pub inline_forward: Option<crate::forward::InlineForward>,
    /// QR codes decoded from images: where (attachment index or `None` for an inline data:
    /// image) and what they say.
    pub qr_codes: Vec<QrCode>,
    /// HTML and SVG attachments whose scripts or refresh would act when opened.
    pub active_attachments: Vec<ActiveAttachment>,
    /// Limits reached while reading the content (docs/limits.md).
    pub limits: Vec<String>,
}

/// An HTML or SVG attachment that acts when a browser opens it.
#[derive(Debug, Clone)]
pub struct ActiveAttachment {
    /// Index into the mail's attachments.
    pub attachment: usize,
    /// What its scripts do (and what the pages they decode do).
    pub scripts: crate::script::ScriptSigns,
    /// Where a `<meta http-equiv=refresh>` sends the browser.
    pub refresh: Option<String>,
}

/// A QR code found in a picture of the mail.
#[derive(Debug, Clone)]
pub struct QrCode {
    pub attachment: Option<usize>,
    pub place: String,
    pub payload: String,
}

/// QR decoding costs milliseconds per image, so it runs only when the mail points at a code
/// (its text mentions one) or is little more than pictures, the two shapes quishing takes.
fn wants_qr_scan(mail: &MailFacts, c: &Content, raw_links: &[HtmlLink], k: &Knowledge) -> bool {
    let inline_images =
        raw_links.iter().filter(|l| l.source == LinkSource::Image && is_data_image(&l.url)).count();
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
    for url in
        raw_links.iter().filter(|l| l.source == LinkSource::Image && is_data_image(&l.url)).map(|l| &l.url)
    {
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
    fn push(&mut self, url: String, source: LinkSource, display_text: Option<String>, hidden: bool) {
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

/// An HTML or SVG attachment: its links and forms, those of the pages its scripts decode (one
/// level deep: a decoded page's own payloads are named, not read), and whether it acts when opened.
/// Only a named file is opened in a browser; an unnamed HTML part of a multipart/mixed mail is
/// shown by the mail client, which runs no script (old newsletters carry pop-up scripts there).
fn read_html_attachment(index: usize, named: bool, html: &str, c: &mut Content, raw: &mut RawLinks) {
    let doc = if named { analyze_html_file(html) } else { analyze_html(html) };
    let refresh = doc.links.iter().find(|l| l.source == LinkSource::MetaRefresh).map(|l| l.url.clone());
    let mut scripts = doc.scripts;
    let mut pages = vec![(doc.links, doc.forms)];
    for page in std::mem::take(&mut scripts.decoded_html) {
        let d = analyze_html_file(&page);
        scripts.merge(&d.scripts);
        pages.push((d.links, d.forms));
    }
    for (links, forms) in pages {
        for l in links {
            raw.push(l.url, LinkSource::Attachment, l.display_text, l.hidden);
        }
        c.forms.extend(forms);
    }
    for url in &scripts.urls {
        raw.push(url.clone(), LinkSource::Attachment, None, false);
    }
    if named && (scripts.is_active() || refresh.is_some()) {
        c.active_attachments.push(ActiveAttachment { attachment: index, scripts, refresh });
    }
}

/// Reads the body parts and HTML attachments into visible text, hidden text and links.
pub fn read(mail: &MailFacts, k: &Knowledge) -> Content {
    let mut c = Content::default();
    let mut texts: Vec<String> = Vec::new();
    let mut raw = RawLinks::default();

    for html in &mail.html_parts {
        let doc = analyze_html(html);
        for l in doc.links {
            raw.push(l.url, l.source, l.display_text, l.hidden);
        }
        if c.hidden_text.is_empty() {
            c.preheader = doc.preheader;
        }
        c.hidden_words += doc.hidden_words;
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
                raw.push(u.text.to_string(), LinkSource::Text, None, false);
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
        raw.push(u.text.to_string(), LinkSource::Text, None, false);
    }
    for (index, a) in mail.attachments.iter().enumerate() {
        if let Some(html) = &a.html {
            read_html_attachment(index, a.meta.filename.is_some(), html, &mut c, &mut raw);
        }
        for uri in &a.meta.links {
            raw.push(uri.clone(), LinkSource::Pdf, None, false);
        }
    }
    if wants_qr_scan(mail, &c, &raw.items, k) {
        c.qr_codes = scan_qr_codes(mail, &raw.items);
        for q in &c.qr_codes {
            raw.push(q.payload.clone(), LinkSource::QrCode, None, false);
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
            let Some(dest) = unwrap_gateway(&current, k) else { break };
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
    c.language = crate::text::language(&c.subject, &c.visible_text);
    c.inline_forward = crate::forward::find(&c.subject, &c.visible_text, &k.vocab.forward);
    c
}
