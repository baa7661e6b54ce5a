//! What the offline analysis concluded about one mail: findings, verdict, and the facts an
//! analyst reads (headers, route, authentication, links, attachments).

use serde::{Deserialize, Serialize};

/// Final classification of a mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Clean,
    Suspicious,
    Phishing,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Clean => "clean",
            Verdict::Suspicious => "suspicious",
            Verdict::Phishing => "phishing",
        }
    }
}

/// One piece of evidence behind a finding: where it was seen and what exactly was seen there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// Where: `header:Subject`, `header:From`, `body:text`, `body:html`, `url`, `attachment`, …
    pub source: String,
    /// What: the header value, the text span, the URL, the file name.
    pub value: String,
}

impl Evidence {
    /// Evidence; a value longer than [`MAX_FIELD_CHARS`] characters is cut (with `…`).
    pub fn new(source: impl Into<String>, value: impl Into<String>) -> Self {
        Evidence { source: source.into(), value: bounded(value.into()) }
    }
}

/// Explanation of a finding in the languages kaibo writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explanation {
    pub en: String,
    pub ja: String,
}

/// A finding: a named, weighted, explained piece of judgement with its evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub id: String,
    pub category: String,
    pub weight: i32,
    /// False when the finding is shown but left out of the score (e.g. upstream verdicts under
    /// `--ignore-upstream-verdicts`).
    pub scored: bool,
    pub evidence: Vec<Evidence>,
    pub explanation: Explanation,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mailbox {
    pub name: Option<String>,
    pub address: Option<String>,
    /// Domain part of the address, lower case.
    pub domain: Option<String>,
}

/// The headers an analyst reads first.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MessageSummary {
    pub subject: Option<String>,
    pub from: Mailbox,
    pub reply_to: Vec<Mailbox>,
    pub return_path: Option<String>,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    /// RFC 3339, as written in the Date header (with its offset).
    pub date: Option<String>,
    pub message_id: Option<String>,
    /// `ja` when the visible text is mostly Japanese, `en` for Latin script, else null.
    pub language: Option<String>,
}

/// Which message was analysed: the mail itself, or a mail attached to it by a forwarder.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AnalysedMessage {
    pub kind: AnalysedKind,
    /// When an attached message was analysed: the wrapper's subject and sender.
    pub wrapper_subject: Option<String>,
    pub wrapper_from: Option<String>,
    /// How many forward wrappers were unwrapped to reach the analysed mail: 0 for the mail
    /// itself, 2 for a forward of a forward.
    pub depth: usize,
    /// The file format the mail was read from when it was not MIME: `outlook_msg`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_format: Option<String>,
}

/// Whether the mail itself was analysed, or a mail it forwards as an attachment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnalysedKind {
    Message,
    AttachedMessage,
}

/// One Received hop, oldest last (as in the header block).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RouteHop {
    pub index: usize,
    pub from_host: Option<String>,
    /// The sending host's name as the receiving server looked it up (the name beside the IP in
    /// parentheses), when it wrote one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_rdns: Option<String>,
    pub from_ip: Option<String>,
    pub by_host: Option<String>,
    pub with: Option<String>,
    pub tls: Option<String>,
    /// RFC 3339.
    pub time: Option<String>,
    /// Seconds between the previous (older) hop and this one; negative when clocks disagree.
    pub delay_seconds: Option<i64>,
}

/// One method result of an Authentication-Results header.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AuthResult {
    pub method: String,
    pub result: String,
    /// `header.from=…`, `smtp.mailfrom=…`, `header.d=…` and the like.
    pub properties: Vec<(String, String)>,
    pub comment: Option<String>,
}

impl AuthResult {
    /// The value of a property (`header.from`, `smtp.mailfrom`…), by name in any case.
    pub fn property(&self, name: &str) -> Option<&str> {
        self.properties.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Authentication {
    /// The authserv-id of the Authentication-Results header that was trusted.
    pub authserv_id: Option<String>,
    /// Why that header was chosen: `topmost` or `configured`.
    pub trusted_because: Option<String>,
    pub spf: Option<String>,
    pub dkim: Vec<String>,
    pub dmarc: Option<String>,
    pub arc: Option<String>,
    pub results: Vec<AuthResult>,
    /// Every Authentication-Results header seen, top first (raw, unfolded).
    pub headers_seen: usize,
}

/// A verdict some server already wrote on the mail.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UpstreamVerdict {
    /// `subject_stamp`, `x-spam-flag`, `x-spam-status`, `microsoft-antispam`…
    pub kind: String,
    pub value: String,
    /// The host (Received `by`) that most likely added it, when the header position tells.
    pub added_by: Option<String>,
}

/// A URL found in the mail, with what kaibo could tell about it offline: the URL facts (host,
/// registrable domain, country…) flattened into the object, and where the link was.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UrlObservable {
    #[serde(flatten)]
    pub facts: UrlFacts,
    /// Where it came from.
    pub source: LinkSource,
    /// The text shown for the link (anchor text or alt text), when there is one.
    pub display_text: Option<String>,
    pub shortener: bool,
    /// The gateway-rewritten URL this link was unwrapped from (Safe Links, Proofpoint…).
    pub unwrapped_from: Option<String>,
}

/// Where a link was found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LinkSource {
    /// An anchor (`<a href>`) of the HTML body.
    #[default]
    #[serde(rename = "a")]
    Anchor,
    /// An image map's `<area href>`.
    #[serde(rename = "area")]
    Area,
    /// A form's `action`.
    #[serde(rename = "form")]
    Form,
    /// A picture the mail loads (`<img src>`).
    #[serde(rename = "img")]
    Image,
    /// A frame the mail loads.
    #[serde(rename = "iframe")]
    Frame,
    /// A `<meta http-equiv=refresh>` redirect.
    #[serde(rename = "meta-refresh")]
    MetaRefresh,
    /// A URL written as text.
    #[serde(rename = "text")]
    Text,
    /// A link of an HTML or SVG attachment.
    #[serde(rename = "attachment")]
    Attachment,
    /// A link action of a PDF attachment.
    #[serde(rename = "pdf")]
    Pdf,
    /// The content of a QR code in a picture.
    #[serde(rename = "qr")]
    QrCode,
}

impl LinkSource {
    /// Links a reader can follow (not pictures or frames the mail loads by itself).
    pub fn is_clickable(self) -> bool {
        !matches!(self, LinkSource::Image | LinkSource::Frame)
    }

    /// Loaded by the mail itself when it is shown: a picture or a frame.
    pub fn is_loaded(self) -> bool {
        matches!(self, LinkSource::Image | LinkSource::Frame)
    }

    /// The name used in JSON and evidence (`a`, `img`, `meta-refresh`…).
    pub fn as_str(self) -> &'static str {
        match self {
            LinkSource::Anchor => "a",
            LinkSource::Area => "area",
            LinkSource::Form => "form",
            LinkSource::Image => "img",
            LinkSource::Frame => "iframe",
            LinkSource::MetaRefresh => "meta-refresh",
            LinkSource::Text => "text",
            LinkSource::Attachment => "attachment",
            LinkSource::Pdf => "pdf",
            LinkSource::QrCode => "qr",
        }
    }
}

impl std::fmt::Display for LinkSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttachmentObservable {
    pub filename: Option<String>,
    pub declared_type: String,
    pub detected_type: Option<String>,
    pub size: usize,
    pub sha256: String,
    /// Link targets inside the file (PDF link actions).
    pub links: Vec<String>,
    /// Active content inside the file: `JavaScript`, `Launch`, `EmbeddedFile` (PDF).
    pub active_content: Vec<String>,
    /// Names of the files inside an archive.
    pub archive_entries: Vec<String>,
    /// The archive is password-protected.
    pub encrypted: bool,
    /// The archive names more files than listed: the listing stopped at a limit
    /// (docs/limits.md).
    pub archive_listing_cut: bool,
    /// Contents of the QR codes in an image.
    pub qr_codes: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Observables {
    pub urls: Vec<UrlObservable>,
    pub domains: Vec<String>,
    pub ips: Vec<String>,
    pub emails: Vec<String>,
    pub attachments: Vec<AttachmentObservable>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Thresholds {
    pub suspicious: i32,
    pub phishing: i32,
}

/// Everything kaibo concluded about one mail.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Analysis {
    pub kaibo_version: String,
    pub verdict: Verdict,
    pub score: i32,
    pub thresholds: Thresholds,
    pub findings: Vec<Finding>,
    pub analysed: AnalysedMessage,
    pub message: MessageSummary,
    pub observables: Observables,
    pub hops: Vec<RouteHop>,
    pub authentication: Authentication,
    pub upstream_verdicts: Vec<UpstreamVerdict>,
    /// The start of the visible text, as the reader sees it (at most 400 characters).
    pub text_excerpt: Option<String>,
    /// Hidden text fragments found in HTML (shown, not read as content).
    pub hidden_text: Vec<String>,
    /// Structural defects of the mail, in words.
    pub defects: Vec<String>,
    /// Limits reached while reading the mail, in words: what was left out (docs/limits.md).
    /// Not a defect and not scored: a mail to a million recipients is only large.
    #[serde(default)]
    pub limits: Vec<String>,
}

/// What kaibo knows about one URL's host, offline.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UrlFacts {
    /// The normalised URL.
    pub url: String,
    pub scheme: String,
    pub host: Option<String>,
    /// Unicode form of an IDN host.
    pub host_unicode: Option<String>,
    pub registrable_domain: Option<String>,
    pub tld: Option<String>,
    /// ISO 3166 alpha-2 of a country-code TLD, else null.
    pub country: Option<String>,
    pub is_ip: bool,
    /// The `user:pass@` part, when present.
    pub userinfo: Option<String>,
    pub punycode: bool,
    /// The TLD is not in the Public Suffix List.
    pub unknown_tld: bool,
}

/// Characters of one value from the mail kept in the analysis (a subject, a name, a Message-ID,
/// a host of the route, an evidence value); longer ones end in `…`. Real mail stays far below
/// (the longest subject in the evaluation corpus has 1,482).
pub const MAX_FIELD_CHARS: usize = 4_000;

/// `s`, or its first [`MAX_FIELD_CHARS`] characters and `…`.
pub fn bounded(s: String) -> String {
    if s.len() <= MAX_FIELD_CHARS {
        return s;
    }
    match s.char_indices().nth(MAX_FIELD_CHARS) {
        Some((end, _)) => format!("{}…", &s[..end]),
        None => s,
    }
}
