//! `--format stix`: a STIX 2.1 bundle.
//!
//! Cyber-observables for the mail (`email-message` with its `email-addr`s), each reported link
//! (`url`), its domain (`domain-name`, resolving to `ipv4-addr`/`ipv6-addr`) and address; an
//! `indicator` with a STIX pattern for each malicious URL (only when the verdict is not clean);
//! an `identity` for kaibo as the creator; and a `report` that ties them together. Observable
//! ids are the specification's deterministic UUIDv5 of their values; kaibo's own objects get
//! name-based ids too, so exporting the same mail twice gives the same bundle. Validated in the
//! tests against the OASIS STIX 2.1 JSON schemas.

use serde_json::{Value, json};

use crate::ids::{KAIBO_NAMESPACE, STIX_SCO_NAMESPACE, uuid5};
use crate::indicators::{Indicators, Recipient};
use crate::misp::ExportOptions;
use kaibo_model::{Analysis, Dissection};

fn sco_id(kind: &str, contributing: &Value) -> String {
    // The canonical JSON of the contributing properties (keys sorted, no spaces): serde_json
    // with sorted maps gives it for these flat objects.
    let canonical = serde_json::to_string(&sorted(contributing)).expect("JSON values serialise");
    format!("{kind}--{}", uuid5(&STIX_SCO_NAMESPACE, &canonical))
}

fn sorted(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            Value::Object(keys.into_iter().map(|k| (k.clone(), sorted(&m[k]))).collect())
        }
        other => other.clone(),
    }
}

/// A STIX pattern string literal: backslash and quote escaped.
fn pattern_literal(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\'', "\\'")
}

/// The bundle as pretty JSON.
pub fn render_stix(d: &Dissection, opts: &ExportOptions) -> String {
    serde_json::to_string_pretty(&stix_bundle(d, opts)).expect("JSON values serialise") + "\n"
}

pub fn stix_bundle(d: &Dissection, opts: &ExportOptions) -> Value {
    let a = &d.analysis;
    let key = format!(
        "{}|{}|{}",
        a.message.message_id.as_deref().unwrap_or(""),
        a.message.date.as_deref().unwrap_or(""),
        a.message.subject.as_deref().unwrap_or("")
    );
    let identity_id = format!("identity--{}", uuid5(&KAIBO_NAMESPACE, "identity/kaibo"));
    let mut b = Bundle {
        a,
        ind: Indicators::of(d),
        recipient: Recipient::of(a),
        opts,
        created: stix_time(opts.created),
        sent: a.message.date.as_deref().and_then(kaibo_core::calendar::unix_from_rfc3339),
        identity_id: identity_id.clone(),
        objects: vec![json!({
            "type": "identity",
            "spec_version": "2.1",
            "id": identity_id,
            "created": "2026-01-01T00:00:00.000Z",
            "modified": "2026-01-01T00:00:00.000Z",
            "name": "kaibo",
            "description": "kaibo (解剖), a phishing-mail analyser",
            "identity_class": "system",
        })],
        refs: Vec::new(),
    };
    b.message();
    b.observables();
    if b.ind.actionable {
        b.indicators();
    }
    let report = b.report(&key);
    b.objects.push(report);
    json!({
        "type": "bundle",
        "id": format!("bundle--{}", uuid5(&KAIBO_NAMESPACE, &format!("bundle/{key}/{}", opts.created))),
        "objects": b.objects,
    })
}

/// A bundle being written: the mail's facts, and the objects so far with the ids the report
/// refers to.
struct Bundle<'a> {
    a: &'a Analysis,
    ind: Indicators,
    recipient: Recipient,
    opts: &'a ExportOptions,
    created: String,
    sent: Option<i64>,
    identity_id: String,
    objects: Vec<Value>,
    refs: Vec<String>,
}

fn email_addr(value: &str, name: Option<&str>) -> Value {
    let mut v = json!({
        "type": "email-addr",
        "spec_version": "2.1",
        "id": sco_id("email-addr", &json!({ "value": value })),
        "value": value,
    });
    if let Some(n) = name.filter(|n| !n.is_empty()) {
        v["display_name"] = json!(n);
    }
    v
}

fn ip_addr(ip: &str) -> Value {
    let kind = if ip.contains(':') { "ipv6-addr" } else { "ipv4-addr" };
    json!({ "type": kind, "spec_version": "2.1", "id": sco_id(kind, &json!({ "value": ip })), "value": ip })
}

impl Bundle<'_> {
    /// Adds an object the report refers to, once.
    fn push(&mut self, v: Value) {
        let id = v["id"].as_str().unwrap_or("").to_string();
        if !self.refs.contains(&id) {
            self.refs.push(id);
            self.objects.push(v);
        }
    }

    fn redact(&self, s: &str) -> String {
        if self.opts.keep_recipient { s.to_string() } else { self.recipient.redact(s, "[recipient]") }
    }

    /// The mail and its addresses.
    fn message(&mut self) {
        let a = self.a;
        let mut message = json!({
            "type": "email-message",
            "spec_version": "2.1",
            "is_multipart": false,
        });
        if let Some(s) = self.ind.sender.clone() {
            let from = email_addr(&s, self.ind.sender_display_name.as_deref());
            message["from_ref"] = from["id"].clone();
            self.push(from);
        }
        if let Some(s) = &a.message.subject {
            message["subject"] = json!(self.redact(s));
        }
        if let Some(t) = self.sent {
            message["date"] = json!(stix_time(t));
        }
        if let Some(m) = &a.message.message_id {
            message["message_id"] = json!(m);
        }
        if self.opts.keep_recipient {
            let to: Vec<Value> = self.recipient.addresses.iter().map(|r| email_addr(r, None)).collect();
            message["to_refs"] = json!(to.iter().map(|t| t["id"].clone()).collect::<Vec<_>>());
            for t in to {
                self.push(t);
            }
        }
        let mut contributing = json!({});
        for k in ["from_ref", "subject"] {
            if !message[k].is_null() {
                contributing[k] = message[k].clone();
            }
        }
        message["id"] = json!(sco_id("email-message", &contributing));
        self.push(message);
    }

    /// A domain name with the addresses it resolved to (those first, so refs point back).
    fn domain_name(&mut self, name: &str, addresses: Vec<String>) {
        let ips: Vec<Value> = addresses.iter().map(|ip| ip_addr(ip)).collect();
        let mut dom = json!({
            "type": "domain-name", "spec_version": "2.1",
            "id": sco_id("domain-name", &json!({ "value": name })), "value": name,
        });
        if !ips.is_empty() {
            dom["resolves_to_refs"] = json!(ips.iter().map(|i| i["id"].clone()).collect::<Vec<_>>());
        }
        for i in ips {
            self.push(i);
        }
        self.push(dom);
    }

    /// Addresses, domains, URLs.
    fn observables(&mut self) {
        for d in self.ind.domains.clone() {
            let addresses = self
                .ind
                .links
                .iter()
                .filter(|l| l.domain.as_deref() == Some(d.as_str()) && l.host.as_deref() == Some(d.as_str()))
                .flat_map(|l| l.addresses.clone())
                .collect();
            self.domain_name(&d, addresses);
        }
        for l in self.ind.links.clone() {
            if let Some(h) = l.host.as_deref().filter(|h| Some(*h) != l.domain.as_deref())
                && h.parse::<std::net::IpAddr>().is_err()
            {
                self.domain_name(h, l.addresses.clone());
            }
            let (url, _) = crate::indicators::export_url(&l.url, &self.recipient, self.opts.keep_recipient);
            self.push(
                json!({ "type": "url", "spec_version": "2.1", "id": sco_id("url", &json!({ "value": url })), "value": url }),
            );
        }
        for ip in self.ind.ips.clone() {
            self.push(ip_addr(&ip));
        }
    }

    /// Indicators: one per malicious URL.
    fn indicators(&mut self) {
        let a = self.a;
        for l in self.ind.links.clone() {
            // A URL cut before the recipient's address is matched as a prefix.
            let (url, cut) = crate::indicators::export_url(&l.url, &self.recipient, self.opts.keep_recipient);
            let pattern = if cut {
                // STIX's LIKE has no escape: a `_` in the path matches any one character, which
                // only widens the match by a little.
                format!("[url:value LIKE '{}%']", pattern_literal(&url))
            } else {
                format!("[url:value = '{}']", pattern_literal(&url))
            };
            let id = format!("indicator--{}", uuid5(&KAIBO_NAMESPACE, &format!("indicator/{url}")));
            let indicator = json!({
                "type": "indicator",
                "spec_version": "2.1",
                "id": id,
                "created_by_ref": self.identity_id,
                "created": self.created,
                "modified": self.created,
                "name": format!("Phishing link in \"{}\"", self.redact(a.message.subject.as_deref().unwrap_or(""))),
                "description": format!("A link of a mail kaibo judged {} (score {}).", a.verdict.as_str(), a.score),
                "indicator_types": ["malicious-activity"],
                "pattern": pattern,
                "pattern_type": "stix",
                "pattern_version": "2.1",
                "valid_from": stix_time(self.sent.unwrap_or(self.opts.created)),
                "labels": ["phishing"],
            });
            self.push(indicator);
        }
    }

    /// The report that ties them together.
    fn report(&self, key: &str) -> Value {
        let a = self.a;
        let top: Vec<&str> = crate::strongest(a, 8).into_iter().map(|f| f.id.as_str()).collect();
        json!({
            "type": "report",
            "spec_version": "2.1",
            "id": format!("report--{}", uuid5(&KAIBO_NAMESPACE, &format!("report/{key}"))),
            "created_by_ref": self.identity_id,
            "created": self.created,
            "modified": self.created,
            "name": format!("Phishing mail: {}", self.redact(a.message.subject.as_deref().unwrap_or("(no subject)"))),
            "description": format!(
                "kaibo verdict: {} (score {}). Strongest findings: {}.",
                a.verdict.as_str(), a.score, top.join(", ")
            ),
            "report_types": ["threat-report"],
            "published": stix_time(self.opts.created),
            "object_refs": self.refs,
            "labels": [format!("kaibo-verdict-{}", a.verdict.as_str())],
        })
    }
}

/// STIX timestamps: UTC with milliseconds.
fn stix_time(unix: i64) -> String {
    kaibo_core::calendar::rfc3339_utc(unix).replace('Z', ".000Z")
}
