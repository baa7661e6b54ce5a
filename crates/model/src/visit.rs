//! What the landing-page visit found: every request of each visited link, the final page (its
//! forms, what they ask for, the kit and brand it imitates) and the screenshot. Plain data:
//! `kaibo-visit` fills it in, the reports render it.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

/// What the visit rungs found for one mail (the JSON `visit` section).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Visit {
    pub rungs: Vec<String>,
    /// The request headers' profile.
    pub profile: String,
    pub pages: Vec<PageVisit>,
    /// True when the test-only allow list let private addresses through.
    pub allow_list_in_use: bool,
    pub notes: Vec<String>,
}

impl Visit {
    /// The recipient-facing summary of each visited link's final page, for reports.
    pub fn final_pages(&self) -> impl Iterator<Item = (&PageVisit, &Page)> {
        self.pages.iter().filter_map(|p| p.page.as_ref().map(|pg| (p, pg)))
    }
}

/// One visited link.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct PageVisit {
    /// The link as found in the mail.
    pub url: String,
    /// Every request, in order.
    pub chain: Vec<FetchHop>,
    pub outcome: VisitOutcome,
    pub final_url: Option<String>,
    pub page: Option<Page>,
    pub screenshot: Option<Screenshot>,
}

/// One request of a visit.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct FetchHop {
    pub url: String,
    /// How kaibo got here.
    pub via: HopVia,
    pub status: Option<u16>,
    /// The address kaibo connected to.
    pub ip: Option<IpAddr>,
    pub server: Option<String>,
    pub content_type: Option<String>,
    /// Bytes of the body read (at most the configured cap).
    pub bytes: usize,
    /// The body was longer than the cap and was cut.
    pub truncated: bool,
    /// SHA-256 of a complete non-HTML body (a file the link serves).
    pub sha256: Option<String>,
    pub tls: Option<TlsCert>,
    /// Why kaibo did not connect (the guard's reason).
    pub refused: Option<String>,
    pub error: Option<String>,
    pub elapsed_ms: u64,
}

/// The server's certificate, as presented.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct TlsCert {
    pub subject: String,
    pub issuer: String,
    pub not_before: String,
    pub not_after: String,
    /// Days between the certificate's issue and the visit (phishing sites use fresh ones).
    pub age_days: i64,
    /// The certificate chain was valid for the host name.
    pub verified: bool,
    /// Why verification failed, when it did.
    pub error: Option<String>,
}

/// A screenshot written by the render rung.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Screenshot {
    pub path: String,
    pub width: u32,
    pub height: u32,
    pub url: String,
    /// What the page asked for through the proxy, allowed and refused (the first 500).
    pub requests: Vec<ProxyRequest>,
    /// Requests made after the log was full: counted, not listed.
    #[serde(default)]
    pub requests_not_logged: usize,
}

/// One request the browser made through the proxy.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ProxyRequest {
    /// `host:port`.
    pub target: String,
    pub allowed: bool,
    /// Why it was refused.
    pub reason: Option<String>,
}

/// The final page of a visit.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Page {
    pub url: String,
    pub title: Option<String>,
    /// The first 400 characters of the visible text.
    pub text_excerpt: String,
    pub forms: Vec<Form>,
    /// What the page asks the visitor for, over all forms.
    pub asks_for: Vec<String>,
    /// Mail addresses the page carries in hidden fields or in its URL (a kit prefilled for the
    /// recipient).
    pub addresses: Vec<String>,
    /// External scripts (`script src`), at most 30.
    pub scripts: Vec<String>,
    /// Endpoints that collect what victims type outside the page's server (a Telegram bot…).
    pub exfiltration: Vec<String>,
    pub favicon: Option<Favicon>,
    pub brands: Vec<PageBrand>,
    pub kits: Vec<KitHit>,
    /// The marker of a parked or suspended page.
    pub parked: Option<String>,
}

impl Page {
    pub fn asks_for_password(&self) -> bool {
        self.forms.iter().any(|f| f.has_password)
    }
}

/// One form on the page (or the password fields outside any form, as a form without action).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Form {
    /// Where it submits to, resolved against the page URL; `None` when it submits to itself.
    pub action: Option<String>,
    pub method: String,
    pub action_host: Option<String>,
    /// The form sends its contents to another registrable domain than the page's (or by mail).
    pub offsite: bool,
    pub has_password: bool,
    pub fields: Vec<Field>,
    /// What the fields ask for (`password`, `email_or_user_id`, `card_number`…).
    pub asks_for: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Field {
    pub name: Option<String>,
    /// The input type (`text`, `password`, `hidden`…), or `select`/`textarea`.
    pub kind: String,
    /// A hidden field's value (kits put the victim's address here), at most 200 characters.
    pub value: Option<String>,
    pub asks: Option<String>,
}

/// A brand the page shows, and where.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct PageBrand {
    pub brand: String,
    pub name: String,
    /// `title`, `text`, `image alt`, `kit`, `favicon`.
    pub seen_in: Vec<String>,
    /// The page's host is one of the brand's own domains.
    pub owned: bool,
}

/// A login kit recognised on the page.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct KitHit {
    pub kit: String,
    pub name: String,
    pub brand: String,
    /// What matched (`title: Active! mail`, `html: /am_bin/`…).
    pub markers: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Favicon {
    pub url: String,
    pub sha256: String,
    pub bytes: usize,
}

/// How the visit of one link ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VisitOutcome {
    /// A final page was read.
    Page,
    /// The link serves a file.
    File,
    /// The server answered with an error status.
    HttpError,
    /// The guard refused an address (not public, or not a web port).
    Refused,
    /// The host does not exist.
    Nxdomain,
    DnsFailed,
    ConnectFailed,
    /// The time for the visit ran out.
    Timeout,
    TooManyHops,
    /// Not a URL kaibo can visit.
    #[default]
    BadUrl,
}

/// How the visit got to one of its requests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum HopVia {
    /// The link itself.
    #[default]
    #[serde(rename = "start")]
    Start,
    /// An HTTP 3xx `Location`.
    #[serde(rename = "http")]
    Http,
    /// A `<meta http-equiv=refresh>`.
    #[serde(rename = "meta-refresh")]
    MetaRefresh,
    /// A `location = "…"` assignment read in a script.
    #[serde(rename = "javascript")]
    Javascript,
}

impl HopVia {
    /// A redirect the page makes itself (meta refresh or script), not the server.
    pub fn is_client_side(self) -> bool {
        matches!(self, HopVia::MetaRefresh | HopVia::Javascript)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            HopVia::Start => "start",
            HopVia::Http => "http",
            HopVia::MetaRefresh => "meta-refresh",
            HopVia::Javascript => "javascript",
        }
    }
}

impl std::fmt::Display for HopVia {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
