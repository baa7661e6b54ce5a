//! From a parsed MIME message to the facts the checks read: decoded headers, addresses, the
//! Received chain, Authentication-Results, text and HTML bodies, attachments and attached mails.
//!
//! Parsing is mail-parser's (with `full_encoding`, so every Japanese charset decodes). Two
//! repairs happen here because attackers and old Japanese mailers rely on them: header bytes sent
//! as raw 8-bit without RFC 2047 are re-decoded from the raw message with a charset guess
//! (chardetng), and a body whose declared charset is wrong (ISO-2022-JP labelled text that is
//! really Shift_JIS, or the reverse) is re-decoded from its raw bytes when that gives fewer
//! replacement characters. Every repair is recorded as a defect.

use mail_parser::{
    Addr, Address, Encoding, HeaderName, HeaderValue, Message, MessagePart, MimeHeaders, PartType,
};
use sha2::{Digest, Sha256};

use crate::auth_results::{self, AuthResultsHeader};
use crate::limits::{
    ListingBudget, MAX_ATTACHED_DEPTH, MAX_ATTACHMENTS, MAX_BODY_PARTS, MAX_HEADER_FIELDS, MAX_HOPS,
    MAX_RECIPIENTS, QR_IMAGE_MAX_BYTES, QR_IMAGE_MIN_BYTES, bounded,
};
use kaibo_model::{AttachmentObservable, Mailbox, RouteHop};

/// One header as the checks see it: decoded text, in message order (top first).
#[derive(Debug, Clone)]
pub struct HeaderLine {
    pub name: String,
    pub value: String,
}

/// A non-body part: an attachment or an inline binary.
#[derive(Debug, Clone)]
pub struct Attachment {
    pub meta: AttachmentObservable,
    /// Text of HTML/SVG attachments, for link extraction.
    pub html: Option<String>,
    /// The bytes of an image, kept for QR decoding (which runs only when the mail calls for it).
    pub image: Option<Vec<u8>>,
}

/// Everything the checks need from one message (the mail or an attached one).
#[derive(Debug, Clone, Default)]
pub struct MailFacts {
    pub headers: Vec<HeaderLine>,
    pub subject: Option<String>,
    pub from: Mailbox,
    pub from_count: usize,
    pub reply_to: Vec<Mailbox>,
    pub return_path: Option<String>,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    pub date: Option<String>,
    pub date_timestamp: Option<i64>,
    /// Time stamp of the newest Received header that has one: when the receiving side got it.
    pub first_hop_timestamp: Option<i64>,
    pub message_id: Option<String>,
    pub hops: Vec<RouteHop>,
    /// Header index (into `headers`) of each hop's Received header.
    pub hop_header_index: Vec<usize>,
    pub auth_results: Vec<AuthResultsHeader>,
    pub text_parts: Vec<String>,
    pub html_parts: Vec<String>,
    pub attachments: Vec<Attachment>,
    /// Attached messages (message/rfc822), parsed.
    pub attached: Vec<MailFacts>,
    /// `multipart/report` report-type, lower case.
    pub report_type: Option<String>,
    /// Body of the machine-readable part of a report: message/delivery-status (RFC 3464) or
    /// message/feedback-report (RFC 5965).
    pub report_part: Option<String>,
    pub defects: Vec<String>,
    /// Limits reached while reading this message: what was left out (docs/limits.md).
    pub limits: Vec<String>,
}

impl MailFacts {
    /// Decoded values of every header named `name` (case-insensitive), top first.
    pub fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = (usize, &'a str)> + 'a {
        self.headers
            .iter()
            .enumerate()
            .filter(move |(_, h)| h.name.eq_ignore_ascii_case(name))
            .map(|(i, h)| (i, h.value.as_str()))
    }

    /// Mail distributed by a mailing list (List-Id or List-Post, RFC 2919 / 2369): its From,
    /// Reply-To and pictures are the members'.
    pub fn is_list_mail(&self) -> bool {
        self.header("List-Id").is_some() || self.header("List-Post").is_some()
    }

    pub fn header<'a>(&'a self, name: &'a str) -> Option<&'a str> {
        self.header_values(name).next().map(|(_, v)| v)
    }

    /// The `by` host of the nearest Received header below header `index`: the server that
    /// handled the mail when that header was added.
    pub fn hop_below(&self, index: usize) -> Option<&RouteHop> {
        self.hop_header_index.iter().position(|&i| i > index).and_then(|h| self.hops.get(h))
    }
}

/// Extracts the facts of a parsed message.
pub fn extract(msg: &Message<'_>) -> MailFacts {
    extract_at(msg, 0, &mut ListingBudget::default())
}

/// The facts of a message `depth` levels down from the mail kaibo was given; `budget` is shared
/// by the whole mail, attached mails included.
fn extract_at(msg: &Message<'_>, depth: usize, budget: &mut ListingBudget) -> MailFacts {
    // The whole buffer the offsets point into: for a mail attached unencoded, the outer mail's
    // bytes (`raw_message()` would be the attached mail's own slice, which the offsets miss).
    let raw: &[u8] = &msg.raw_message;
    let mut f = MailFacts::default();
    let root_headers = msg.root_part().headers();
    let mut reading = HeaderReading::default();
    for h in root_headers {
        reading.read(&mut f, h, raw);
    }
    reading.finish(&mut f, root_headers);
    multipart_shape(&mut f, msg, raw);
    read_parts(&mut f, msg, depth, budget);
    f
}

/// What reading a header block counts on the way.
#[derive(Default)]
struct HeaderReading {
    eight_bit: bool,
    hop_times: Vec<Option<i64>>,
    skipped: usize,
    recipients_seen: usize,
}

impl HeaderReading {
    /// Reads one header into `f`.
    fn read(&mut self, f: &mut MailFacts, h: &mail_parser::Header<'_>, raw: &[u8]) {
        // Past the cap, only the headers kaibo reads for the sender, the recipients, the subject
        // and the date are looked at; the rest are counted.
        let kept = f.headers.len() < MAX_HEADER_FIELDS;
        let identity = matches!(
            h.name,
            HeaderName::From
                | HeaderName::To
                | HeaderName::Cc
                | HeaderName::ReplyTo
                | HeaderName::Subject
                | HeaderName::ReturnPath
                | HeaderName::Date
                | HeaderName::MessageId
        );
        if !kept {
            self.skipped += 1;
            if !identity {
                return;
            }
        }
        let raw_value = raw.get(h.offset_start as usize..h.offset_end as usize).unwrap_or(b"");
        let needs_redecode = !raw_value.is_ascii() && std::str::from_utf8(raw_value).is_err();
        self.eight_bit |= needs_redecode;
        let value =
            if needs_redecode { unfold(&decode_guess(raw_value)) } else { header_text(h.value(), raw_value) };
        match &h.name {
            HeaderName::Subject => {
                if f.subject.is_none() {
                    f.subject = Some(bounded(value.clone()));
                }
            }
            HeaderName::From => {
                f.from_count += 1;
                if f.from_count == 1 {
                    f.from = if needs_redecode {
                        mailbox_from_text(&value)
                    } else {
                        match h.value().as_address() {
                            Some(a) => from_mailbox(a, &mut f.defects),
                            None => mailbox_from_text(&String::from_utf8_lossy(raw_value)),
                        }
                    };
                }
            }
            HeaderName::ReplyTo => f.reply_to.extend(addresses(h.value(), MAX_RECIPIENTS)),
            HeaderName::To | HeaderName::Cc => {
                let room = MAX_RECIPIENTS.saturating_sub(f.to.len() + f.cc.len());
                let list = if h.name == HeaderName::To { &mut f.to } else { &mut f.cc };
                list.extend(addresses(h.value(), room));
                self.recipients_seen += h.value().as_address().map_or(0, |a| a.iter().count());
            }
            HeaderName::ReturnPath if f.return_path.is_none() => {
                let rp = String::from_utf8_lossy(raw_value);
                let rp = rp.trim().trim_start_matches('<').trim_end_matches('>').trim();
                f.return_path = Some(bounded(rp.to_string()));
            }
            HeaderName::Date if f.date.is_none() => {
                if let Some(d) = h.value().as_datetime().filter(|d| d.is_valid()) {
                    f.date = Some(d.to_rfc3339());
                    f.date_timestamp = Some(d.to_timestamp());
                }
            }
            HeaderName::MessageId if f.message_id.is_none() => {
                f.message_id = h.value().as_text().map(|id| bounded(id.to_string()));
            }
            HeaderName::Received if kept && f.hops.len() < MAX_HOPS => {
                f.hop_header_index.push(f.headers.len());
                let received = h.value().as_received();
                self.hop_times
                    .push(received.and_then(|r| r.date()).filter(|d| d.is_valid()).map(|d| d.to_timestamp()));
                f.hops.push(hop(f.hops.len(), received));
            }
            HeaderName::Received if kept => {
                f.limits.push(format!("Received: the route lists the first {MAX_HOPS} hops of more"))
            }
            _ => {
                if kept
                    && h.name().eq_ignore_ascii_case("Authentication-Results")
                    && let Some(ar) = auth_results::parse(&value)
                {
                    f.auth_results.push(ar);
                }
            }
        }
        if kept {
            f.headers.push(HeaderLine { name: h.name().to_string(), value });
        }
    }

    /// What the whole header block says: limits reached, defects, the route's delays.
    fn finish(self, f: &mut MailFacts, headers: &[mail_parser::Header<'_>]) {
        f.limits.dedup();
        if self.skipped > 0 {
            f.limits.push(format!(
                "headers: the first {MAX_HEADER_FIELDS} header fields were read, {} more only for sender, recipients, subject and date",
                self.skipped
            ));
        }
        if self.recipients_seen > f.to.len() + f.cc.len() {
            f.limits.push(format!(
                "recipients: {} of {} To/Cc addresses kept",
                f.to.len() + f.cc.len(),
                self.recipients_seen
            ));
        }
        if self.eight_bit {
            f.defects
                .push("header with undeclared 8-bit characters (re-decoded with a charset guess)".into());
        }
        if f.from_count > 1 {
            f.defects.push(format!("{} From headers", f.from_count));
        }
        if headers.iter().filter(|h| h.name == HeaderName::Subject).count() > 1 {
            f.defects.push("more than one Subject header".into());
        }
        hop_delays(&mut f.hops, &self.hop_times);
        f.first_hop_timestamp = self.hop_times.iter().flatten().next().copied();
    }
}

/// A multipart mail's report type, and its defects: no boundary, or no closing boundary.
fn multipart_shape(f: &mut MailFacts, msg: &Message<'_>, raw: &[u8]) {
    let Some(ct) = msg.root_part().content_type() else { return };
    if !ct.ctype().eq_ignore_ascii_case("multipart") {
        return;
    }
    if ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report")) {
        f.report_type = ct.attribute("report-type").map(|s| s.to_ascii_lowercase());
    }
    match ct.attribute("boundary") {
        None => f.defects.push("multipart without a boundary".into()),
        Some(b) => {
            let close = format!("--{b}--");
            if memchr::memmem::find(raw, close.as_bytes()).is_none() {
                f.defects.push("multipart body without its closing boundary".into());
            }
        }
    }
}

/// The parts of a message: body text and HTML, attachments, attached mails, and the machine part
/// of a report.
fn read_parts(f: &mut MailFacts, msg: &Message<'_>, depth: usize, budget: &mut ListingBudget) {
    let raw: &[u8] = &msg.raw_message;
    let body_ids: std::collections::HashSet<u32> =
        msg.text_body.iter().chain(msg.html_body.iter()).copied().collect();
    let (mut bodies_skipped, mut attachments_skipped) = (0usize, 0usize);
    let too_deep =
        || format!("attached mails nested more than {MAX_ATTACHED_DEPTH} levels deep were not read");
    for (id, part) in msg.parts.iter().enumerate() {
        let (ctype, subtype) = part
            .content_type()
            .map(|c| (c.ctype().to_ascii_lowercase(), c.subtype().unwrap_or("").to_ascii_lowercase()))
            .unwrap_or_else(|| ("text".into(), "plain".into()));
        let is_mail = ctype == "message" && matches!(subtype.as_str(), "rfc822" | "global");
        let is_report = ctype == "message" && (subtype == "delivery-status" || subtype == "feedback-report");
        // mail-parser decodes encoded attached mails three levels deep and leaves deeper ones as
        // bytes (marked as an encoding problem): those are parsed here, within kaibo's own depth.
        if is_mail
            && let PartType::Binary(b) | PartType::InlineBinary(b) = &part.body
            && depth < MAX_ATTACHED_DEPTH
            && let Some(nested) = crate::mime::parser().parse(b.as_ref())
        {
            f.attached.push(extract_at(&nested, depth + 1, budget));
            continue;
        }
        if part.is_encoding_problem {
            f.defects.push(format!("part {id}: broken transfer encoding"));
        }
        let is_attachment =
            part.attachment_name().is_some() || part.content_disposition().is_some_and(|d| d.is_attachment());
        let is_body = body_ids.contains(&(id as u32)) && !is_attachment;
        let mut attach = |f: &mut MailFacts, bytes: &[u8]| {
            if f.attachments.len() >= MAX_ATTACHMENTS {
                attachments_skipped += 1;
            } else {
                f.attachments.push(attachment(part, bytes, &ctype, &subtype, budget));
            }
        };
        match &part.body {
            PartType::Multipart(_) => {}
            PartType::Message(nested) if depth < MAX_ATTACHED_DEPTH => {
                f.attached.push(extract_at(nested, depth + 1, budget));
            }
            PartType::Message(_) => f.defects.push(too_deep()),
            PartType::Text(t) | PartType::Html(t) => {
                let is_html = subtype == "html";
                if is_report {
                    f.report_part = Some(t.to_string());
                } else if ctype == "text" && subtype == "rfc822-headers" {
                    // The headers of a returned mail inside a bounce: the recipient's own mail.
                } else if is_body && ctype == "text" && (subtype == "plain" || is_html || subtype.is_empty())
                {
                    if f.text_parts.len() + f.html_parts.len() >= MAX_BODY_PARTS {
                        bodies_skipped += 1;
                        continue;
                    }
                    let text = repair_text(t, part, raw, &mut f.defects);
                    if is_html { f.html_parts.push(text) } else { f.text_parts.push(text) }
                } else {
                    attach(f, t.as_bytes());
                }
            }
            PartType::Binary(b) | PartType::InlineBinary(b) => {
                if is_report {
                    f.report_part = Some(String::from_utf8_lossy(b).into_owned());
                } else {
                    if is_mail && depth >= MAX_ATTACHED_DEPTH {
                        f.defects.push(too_deep());
                    }
                    attach(f, b);
                    // An Outlook item forwarded as a .msg file is an attached mail too.
                    if crate::msg::is_compound_file(b)
                        && depth < MAX_ATTACHED_DEPTH
                        && let Ok(Ok(mime)) = std::panic::catch_unwind(|| crate::msg::to_mime(b, b.len()))
                        && let Some(nested) = crate::mime::parser().parse(&mime)
                    {
                        f.attached.push(extract_at(&nested, depth + 1, budget));
                    }
                }
            }
        }
    }
    if bodies_skipped > 0 {
        f.limits.push(format!("body: {MAX_BODY_PARTS} text parts read, {bodies_skipped} more not read"));
    }
    if attachments_skipped > 0 {
        f.limits.push(format!("attachments: {MAX_ATTACHMENTS} listed, {attachments_skipped} more not read"));
    }
}

fn attachment(
    part: &MessagePart<'_>,
    bytes: &[u8],
    ctype: &str,
    subtype: &str,
    budget: &mut ListingBudget,
) -> Attachment {
    let detected = detect_type(bytes);
    let filename = part.attachment_name().map(str::to_string);
    let lower_name = filename.as_deref().unwrap_or("").to_ascii_lowercase();
    let is_htmlish = subtype == "html"
        || subtype == "svg+xml"
        || lower_name.ends_with(".html")
        || lower_name.ends_with(".htm")
        || lower_name.ends_with(".shtml")
        || lower_name.ends_with(".svg")
        || detected == Some("text/html")
        || detected == Some("image/svg+xml");
    let html = is_htmlish.then(|| String::from_utf8_lossy(bytes).into_owned());
    let is_pdf = detected == Some("application/pdf") || (subtype == "pdf" && bytes.starts_with(b"%PDF"));
    let pdf = is_pdf.then(|| crate::files::inspect_pdf(bytes));
    let zip = (detected == Some("application/zip")).then(|| crate::files::inspect_zip(bytes, budget));
    // winmail.dat: the files Outlook packed inside, listed like an archive's.
    let tnef = crate::files::tnef::is_tnef(bytes).then(|| crate::files::tnef::entries(bytes));
    let is_image = matches!(detected, Some("image/png" | "image/jpeg" | "image/gif"));
    let image = (is_image && (QR_IMAGE_MIN_BYTES..=QR_IMAGE_MAX_BYTES).contains(&bytes.len()))
        .then(|| bytes.to_vec());
    Attachment {
        meta: AttachmentObservable {
            filename,
            declared_type: format!("{ctype}/{subtype}"),
            detected_type: detected.map(str::to_string),
            size: bytes.len(),
            sha256: hex(&Sha256::digest(bytes)),
            links: pdf.as_ref().map(|p| p.uris.clone()).unwrap_or_default(),
            active_content: pdf
                .as_ref()
                .map(|p| p.active.iter().map(|a| a.to_string()).collect())
                .unwrap_or_default(),
            archive_entries: zip.as_ref().map(|z| z.entries.clone()).or(tnef).unwrap_or_default(),
            encrypted: zip.as_ref().is_some_and(|z| z.encrypted),
            archive_listing_cut: zip.as_ref().is_some_and(|z| z.listing_cut),
            qr_codes: Vec::new(),
        },
        html,
        image,
    }
}

fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 15) as usize] as char);
    }
    s
}

/// The file type from its first bytes (magic numbers), for the types phishing ships.
pub fn detect_type(b: &[u8]) -> Option<&'static str> {
    let starts = |m: &[u8]| b.starts_with(m);
    if starts(b"%PDF-") {
        Some("application/pdf")
    } else if starts(b"PK\x03\x04") {
        Some("application/zip")
    } else if starts(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if starts(b"\xff\xd8\xff") {
        Some("image/jpeg")
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        Some("image/gif")
    } else if starts(b"MZ") {
        Some("application/x-msdownload")
    } else if starts(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") {
        Some("application/x-ole-storage")
    } else if starts(b"Rar!\x1a\x07") {
        Some("application/vnd.rar")
    } else if starts(b"7z\xbc\xaf\x27\x1c") {
        Some("application/x-7z-compressed")
    } else if starts(b"\x1f\x8b") {
        Some("application/gzip")
    } else if starts(b"RIFF") && b.get(8..12) == Some(b"WEBP") {
        Some("image/webp")
    } else {
        let head = String::from_utf8_lossy(&b[..b.len().min(512)]).to_ascii_lowercase();
        let head = head.trim_start_matches('\u{feff}').trim_start();
        if head.starts_with("<svg") || (head.starts_with("<?xml") && head.contains("<svg")) {
            Some("image/svg+xml")
        } else if head.starts_with("<!doctype html")
            || head.starts_with("<html")
            || head.contains("<script")
            || head.contains("<form")
            || head.contains("<body")
        {
            Some("text/html")
        } else {
            None
        }
    }
}

/// The decoded text of a header for the checks.
fn header_text(value: &HeaderValue<'_>, raw: &[u8]) -> String {
    match value {
        HeaderValue::Text(t) => t.to_string(),
        HeaderValue::TextList(l) => l.join(", "),
        HeaderValue::Address(a) => a
            .iter()
            .map(|addr| match (addr.name(), addr.address()) {
                (Some(n), Some(a)) => format!("{n} <{a}>"),
                (None, Some(a)) => a.to_string(),
                (Some(n), None) => n.to_string(),
                (None, None) => String::new(),
            })
            .collect::<Vec<_>>()
            .join(", "),
        // Unstructured headers (left unparsed, see `mime::parser`) and the rest: the raw text.
        _ => match std::str::from_utf8(raw) {
            Ok(text) => unfold(text),
            Err(_) => unfold(&String::from_utf8_lossy(raw)),
        },
    }
}

/// Header text with folding and runs of white space collapsed to single spaces.
fn unfold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut push = |word: &str| {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    };
    if !s.is_ascii() {
        s.split_whitespace().for_each(push);
        return out;
    }
    // Most header text: ASCII, split on bytes (faster than `split_ascii_whitespace`, and the
    // vertical tab counts as white space as it does for `split_whitespace`).
    let is_space = |b: u8| b.is_ascii_whitespace() || b == 0x0b;
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        while i < bytes.len() && is_space(bytes[i]) {
            i += 1;
        }
        let start = i;
        while i < bytes.len() && !is_space(bytes[i]) {
            i += 1;
        }
        if start < i {
            push(&s[start..i]);
        }
    }
    out
}

/// Decodes bytes of an unknown charset: UTF-8 when valid, else the charset chardetng guesses.
pub fn decode_guess(bytes: &[u8]) -> String {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return s.to_string();
    }
    if bytes.contains(&0x1b) {
        let (s, _, _) = encoding_rs::ISO_2022_JP.decode(bytes);
        return s.into_owned();
    }
    let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Allow);
    det.feed(bytes, true);
    let enc = det.guess(None, chardetng::Utf8Detection::Allow);
    let (s, _, _) = enc.decode(bytes);
    s.into_owned()
}

fn mailbox(a: &Addr<'_>) -> Mailbox {
    let address = a.address().map(|s| bounded(s.trim().to_string())).filter(|s| !s.is_empty());
    let domain = address.as_deref().and_then(domain_of);
    Mailbox {
        name: a.name().map(|n| bounded(n.trim().to_string())).filter(|n| !n.is_empty()),
        address,
        domain,
    }
}

/// One `@`, something on each side, and a domain of letters, digits, dots and hyphens (or an
/// address literal). "reward@victim@host!" is not an address a server would deliver from.
fn plausible_address(address: &str) -> bool {
    let Some((local, domain)) = address.rsplit_once('@') else { return false };
    !local.is_empty()
        && !local.contains('@')
        && !domain.is_empty()
        && (domain.starts_with('[')
            || domain.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-' || c == '_'))
}

/// The sender from a From header. A name split off by a stray comma (`Brand team ,<x@y>`) parses
/// as two mailboxes, one without an address: the name still belongs to the sender, and the
/// shape is recorded as a defect.
fn from_mailbox(a: &Address<'_>, defects: &mut Vec<String>) -> Mailbox {
    let all: Vec<&Addr<'_>> = a.iter().collect();
    let Some(pos) = all.iter().position(|x| x.address().is_some_and(|s| s.contains('@'))) else {
        return all.first().map(|x| mailbox(x)).unwrap_or_default();
    };
    let mut m = mailbox(all[pos]);
    if let Some(address) = m.address.as_deref()
        && !plausible_address(address)
    {
        defects.push(format!("From address {address:?} is not a valid address"));
    }
    if all.len() > 1 {
        defects.push(format!("From header holds {} mailboxes", all.len()));
        let names: Vec<String> = all[..=pos]
            .iter()
            .filter_map(|x| {
                x.name().or(if x.address().is_some_and(|s| !s.contains('@')) { x.address() } else { None })
            })
            .map(|n| n.trim_matches(|c: char| c == '_' || c == ',' || c.is_whitespace()).to_string())
            .filter(|n| !n.is_empty())
            .collect();
        if !names.is_empty() {
            m.name = Some(names.join(" "));
        }
    }
    m
}

/// At most `max` mailboxes of an address header.
fn addresses(v: &HeaderValue<'_>, max: usize) -> Vec<Mailbox> {
    v.as_address().map(|a| a.iter().take(max).map(mailbox).collect()).unwrap_or_default()
}

/// The lower-case domain of an address.
pub fn domain_of(address: &str) -> Option<String> {
    let (_, d) = address.rsplit_once('@')?;
    let d = d.trim().trim_end_matches('>').trim_end_matches('.').to_ascii_lowercase();
    (!d.is_empty()).then_some(d)
}

/// `Name <addr>` or a bare address, from text (for re-decoded 8-bit headers).
fn mailbox_from_text(s: &str) -> Mailbox {
    let m = mailbox_from_unbounded_text(s);
    Mailbox { name: m.name.map(bounded), address: m.address.map(bounded), domain: m.domain.map(bounded) }
}

fn mailbox_from_unbounded_text(s: &str) -> Mailbox {
    let s = s.trim();
    let (name, address) = match (s.rfind('<'), s.rfind('>')) {
        (Some(l), Some(r)) if l < r => {
            (Some(s[..l].trim().trim_matches('"').trim().to_string()), s[l + 1..r].trim().to_string())
        }
        _ => (None, s.to_string()),
    };
    let address = address.contains('@').then_some(address);
    let domain = address.as_deref().and_then(domain_of);
    Mailbox { name: name.filter(|n| !n.is_empty()), address, domain }
}

fn hop(index: usize, r: Option<&mail_parser::Received<'_>>) -> RouteHop {
    let Some(r) = r else { return RouteHop { index, ..Default::default() } };
    let host = |h: Option<&mail_parser::Host<'_>>| {
        h.map(|h| match h {
            mail_parser::Host::Name(n) => bounded(n.to_string()),
            mail_parser::Host::IpAddr(ip) => ip.to_string(),
        })
    };
    RouteHop {
        index,
        from_host: host(r.from()).or_else(|| host(r.helo())),
        from_rdns: r
            .from_iprev()
            .filter(|n| n.contains('.') && !n.eq_ignore_ascii_case("unknown"))
            .map(|n| bounded(n.trim_end_matches('.').to_ascii_lowercase())),
        from_ip: r.from_ip().map(|ip| ip.to_string()),
        by_host: host(r.by()),
        with: r.with().map(|w| w.as_str().to_string()),
        tls: r.tls_version().map(|t| t.as_str().to_string()),
        time: r.date().filter(|d| d.is_valid()).map(|d| d.to_rfc3339()),
        delay_seconds: None,
    }
}

/// Delay of each hop after the one below it (headers are newest first).
fn hop_delays(hops: &mut [RouteHop], times: &[Option<i64>]) {
    for (i, hop) in hops.iter_mut().enumerate() {
        if let (Some(Some(t)), Some(Some(prev))) = (times.get(i), times.get(i + 1)) {
            hop.delay_seconds = Some(t - prev);
        }
    }
}

/// Replacement characters and stray escapes (undecoded ISO-2022-JP): the marks of a wrong charset.
/// Counted on bytes, as every body passes through here.
fn undecodable_chars(text: &str) -> usize {
    let bytes = text.as_bytes();
    memchr::memchr_iter(0x1b, bytes).count() + memchr::memmem::find_iter(bytes, "\u{fffd}".as_bytes()).count()
}

/// Re-decodes a text body from its raw bytes when the declared charset was evidently wrong.
fn repair_text(decoded: &str, part: &MessagePart<'_>, raw: &[u8], defects: &mut Vec<String>) -> String {
    let bad = undecodable_chars(decoded);
    if bad == 0 {
        return decoded.to_string();
    }
    let Some(body) = raw.get(part.offset_body as usize..part.offset_end as usize) else {
        return decoded.to_string();
    };
    let bytes = match part.encoding {
        Encoding::Base64 => mail_parser::decoders::base64::base64_decode(body),
        Encoding::QuotedPrintable => mail_parser::decoders::quoted_printable::quoted_printable_decode(body),
        Encoding::None => Some(body.to_vec()),
    };
    let Some(bytes) = bytes else { return decoded.to_string() };
    let guess = decode_guess(&bytes);
    let guess_bad = undecodable_chars(&guess);
    if guess_bad < bad {
        defects.push("text part in another charset than declared (re-decoded)".into());
        guess
    } else {
        decoded.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(raw: &[u8]) -> MailFacts {
        extract(&crate::mime::parser().parse(raw).unwrap())
    }

    #[test]
    fn unstructured_headers_unfolded_in_the_mail_and_in_an_attached_one() {
        let raw = b"From: a@example.com\r\nX-Spam-Status: Yes, score=9\r\n\ttests=A,\r\n B\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: message/rfc822\r\n\r\nReturn-Path: <x@example.org>\r\nAuthentication-Results: mx.example.net;\r\n spf=fail smtp.mailfrom=example.org\r\nDate: Tue, 14 Nov 2023 08:12:03 +0900\r\nFrom: x@example.org\r\nSubject: inner\r\n\r\nhi\r\n--b--\r\n";
        let f = facts(raw);
        assert_eq!(f.header("X-Spam-Status"), Some("Yes, score=9 tests=A, B"));
        let inner = &f.attached[0];
        // Offsets of an unencoded attached mail point into the outer mail's bytes.
        assert_eq!(inner.return_path.as_deref(), Some("x@example.org"));
        assert_eq!(
            inner.header("Authentication-Results"),
            Some("mx.example.net; spf=fail smtp.mailfrom=example.org")
        );
        assert_eq!(inner.auth_results.len(), 1);
        assert_eq!(inner.header("Date"), Some("Tue, 14 Nov 2023 08:12:03 +0900"));
    }

    #[test]
    fn unfold_collapses_white_space() {
        assert_eq!(unfold("  a\r\n\t b  c "), "a b c");
        assert_eq!(unfold("\u{3000}件名\u{3000} と\r\n 本文"), "件名 と 本文");
        assert_eq!(unfold(" \r\n "), "");
    }

    #[test]
    fn japanese_charsets_in_headers_and_bodies() {
        // ISO-2022-JP encoded-word, Shift_JIS Q-word, EUC-JP B-word.
        let sjis = encoding_rs::SHIFT_JIS.encode("三井住友カード").0;
        let q: String = sjis.iter().map(|b| format!("={b:02X}")).collect();
        let raw = format!(
            "From: =?ISO-2022-JP?B?GyRCOzAwZj07TScbKEI=?= <a@example.jp>\r\nSubject: =?shift_jis?Q?{q}?=\r\nTo: =?EUC-JP?B?pcaluaXI?= <b@example.jp>\r\n\r\nbody"
        );
        let f = facts(raw.as_bytes());
        assert_eq!(f.subject.as_deref(), Some("三井住友カード"));
        assert_eq!(f.from.name.as_deref(), Some("三井住友"));
        assert_eq!(f.to[0].name.as_deref(), Some("テスト"));
    }

    #[test]
    fn undeclared_8bit_shift_jis_subject_is_redecoded() {
        let mut raw = b"From: a@example.jp\r\nSubject: ".to_vec();
        raw.extend(encoding_rs::SHIFT_JIS.encode("【重要】アカウントの確認のお願い").0.iter());
        raw.extend(b"\r\n\r\nbody\r\n");
        let f = facts(&raw);
        assert_eq!(f.subject.as_deref(), Some("【重要】アカウントの確認のお願い"));
        assert!(f.defects.iter().any(|d| d.contains("8-bit")));
    }

    #[test]
    fn mislabelled_body_charset_is_repaired() {
        let mut raw =
            b"From: a@example.jp\r\nSubject: x\r\nContent-Type: text/plain; charset=iso-2022-jp\r\n\r\n"
                .to_vec();
        raw.extend(
            encoding_rs::SHIFT_JIS
                .encode("パスワードの有効期限が切れます。本日中に更新してください。")
                .0
                .iter(),
        );
        let f = facts(&raw);
        assert!(f.text_parts[0].contains("パスワードの有効期限"), "{:?}", f.text_parts);
    }

    #[test]
    fn cp932_and_euc_jp_bodies() {
        for (label, enc) in [
            ("Shift_JIS", encoding_rs::SHIFT_JIS),
            ("cp932", encoding_rs::SHIFT_JIS),
            ("windows-31j", encoding_rs::SHIFT_JIS),
            ("EUC-JP", encoding_rs::EUC_JP),
        ] {
            let mut raw = format!("From: a@example.jp\r\nSubject: x\r\nContent-Type: text/plain; charset={label}\r\nContent-Transfer-Encoding: 8bit\r\n\r\n").into_bytes();
            raw.extend(enc.encode("①お支払い方法の更新").0.iter());
            let f = facts(&raw);
            assert!(f.text_parts[0].contains("お支払い方法の更新"), "{label}: {:?}", f.text_parts);
        }
    }

    #[test]
    fn from_split_by_a_stray_comma_keeps_name_and_address() {
        let f = facts(
            b"From: Microsoft account team ,_<no-reply@access-accsecurity.example>\r\nSubject: x\r\n\r\nx",
        );
        assert_eq!(f.from.address.as_deref(), Some("no-reply@access-accsecurity.example"));
        assert_eq!(f.from.name.as_deref(), Some("Microsoft account team"));
        assert!(f.defects.iter().any(|d| d.contains("mailboxes")));
    }

    #[test]
    fn received_chain_and_delays() {
        let raw = b"Received: from b.example (b.example [192.0.2.2]) by c.example with ESMTPS id 1; Tue, 14 Nov 2023 08:12:03 +0900\r\nReceived: from a.example (a.example [192.0.2.1]) by b.example with ESMTP id 2; Tue, 14 Nov 2023 08:11:57 +0900\r\nFrom: x@example.com\r\n\r\nx";
        let f = facts(raw);
        assert_eq!(f.hops.len(), 2);
        assert_eq!(f.hops[0].by_host.as_deref(), Some("c.example"));
        assert_eq!(f.hops[1].from_ip.as_deref(), Some("192.0.2.1"));
        assert_eq!(f.hops[0].delay_seconds, Some(6));
        assert_eq!(f.hops[1].delay_seconds, None);
    }

    #[test]
    fn detects_types() {
        assert_eq!(detect_type(b"%PDF-1.7"), Some("application/pdf"));
        assert_eq!(detect_type(b"MZ\x90\x00"), Some("application/x-msdownload"));
        assert_eq!(detect_type(b"  <html><form>"), Some("text/html"));
        assert_eq!(detect_type(b"hello"), None);
    }
}
