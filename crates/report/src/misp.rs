//! `--format misp`: a MISP event (MISP core format) that a SOC imports as it is.
//!
//! The mail becomes an `email` object (template version 19), every reported link a `url`
//! object, every link domain with its addresses a `domain-ip` object, and every located address
//! an `ip-port` object with its AS and country. Object relations, attribute types and
//! categories follow the MISP object templates (checked in the tests against the templates
//! vendored from PyMISP). `to_ids` is set on what a sensor should alert on: the links, their
//! domains and addresses, and the sender's address, and only when the verdict is not clean.
//! The recipient is never exported unless `--no-redact`. Tags say the verdict and TLP:AMBER.

use serde_json::{Value, json};

use crate::ids::{KAIBO_NAMESPACE, uuid5};
use crate::indicators::{Indicators, Recipient};
use kaibo_model::{Analysis, Dissection, Enrichment};

/// What the export needs besides the analysis.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// When the export was made (Unix time): MISP and STIX creation times.
    pub created: i64,
    /// Export the recipient's address (off by default).
    pub keep_recipient: bool,
}

struct Builder {
    event_uuid: String,
    timestamp: String,
}

impl Builder {
    fn attr(&self, relation: &str, kind: &str, category: &str, value: &str, to_ids: bool) -> Value {
        json!({
            "uuid": uuid5(&KAIBO_NAMESPACE, &format!("{}/{relation}/{kind}/{value}", self.event_uuid)),
            "object_relation": relation,
            "type": kind,
            "category": category,
            "value": value,
            "to_ids": to_ids,
            "disable_correlation": false,
            "distribution": "5",
            "timestamp": self.timestamp,
            "comment": "",
        })
    }

    fn object(&self, name: &str, template: (&str, &str), key: &str, attrs: Vec<Value>) -> Value {
        json!({
            "uuid": uuid5(&KAIBO_NAMESPACE, &format!("{}/object/{name}/{key}", self.event_uuid)),
            "name": name,
            "meta-category": "network",
            "template_uuid": template.0,
            "template_version": template.1,
            "description": format!("kaibo: {name} of the analysed mail"),
            "distribution": "5",
            "timestamp": self.timestamp,
            "comment": "",
            "Attribute": attrs,
        })
    }
}

const EMAIL_TEMPLATE: (&str, &str) = ("a0c666e0-fc65-4be8-b48f-3423d788b552", "19");
const URL_TEMPLATE: (&str, &str) = ("60efb77b-40b5-4c46-871b-ed1ed999fce5", "10");
const DOMAIN_IP_TEMPLATE: (&str, &str) = ("43b3b146-77eb-4931-b4cc-b66c60f28734", "11");
const IP_PORT_TEMPLATE: (&str, &str) = ("9f8cea74-16fe-4968-a2b4-026676949ac6", "10");

/// The MISP event as pretty JSON.
pub fn render_misp(d: &Dissection, opts: &ExportOptions) -> String {
    let v = misp_event(d, opts);
    serde_json::to_string_pretty(&v).expect("JSON values serialise") + "\n"
}

pub fn misp_event(d: &Dissection, opts: &ExportOptions) -> Value {
    let a = &d.analysis;
    let key = format!(
        "{}|{}|{}",
        a.message.message_id.as_deref().unwrap_or(""),
        a.message.date.as_deref().unwrap_or(""),
        a.message.subject.as_deref().unwrap_or("")
    );
    let event_uuid = uuid5(&KAIBO_NAMESPACE, &format!("misp-event/{key}"));
    let x = Event {
        b: Builder { event_uuid: event_uuid.clone(), timestamp: opts.created.to_string() },
        a,
        e: d.enrichment.as_ref(),
        ind: Indicators::of(d),
        recipient: Recipient::of(a),
        opts,
    };
    let sent = a.message.date.as_deref().and_then(kaibo_core::calendar::unix_from_rfc3339);
    let event_date = kaibo_core::calendar::civil_from_days(sent.unwrap_or(opts.created).div_euclid(86_400));
    let mut objects = vec![x.mail_object(sent)];
    objects.extend(x.link_objects());
    objects.extend(x.domain_objects());
    objects.extend(x.ip_objects());
    let attributes = x.loose_attributes();
    let subject = x.redact(a.message.subject.as_deref().unwrap_or("(no subject)"));
    let mut tags = vec![
        json!({ "name": "tlp:amber" }),
        json!({ "name": format!("kaibo:verdict=\"{}\"", a.verdict.as_str()) }),
    ];
    if x.ind.actionable {
        tags.push(json!({ "name": "rsit:fraud=\"phishing\"" }));
    }
    json!({
        "Event": {
            "uuid": event_uuid,
            "info": format!("Phishing mail: {subject} (kaibo: {})", a.verdict.as_str()),
            "date": event_date,
            "timestamp": opts.created.to_string(),
            "published": false,
            "threat_level_id": if a.verdict == kaibo_core::Verdict::Phishing { "2" } else { "3" },
            "analysis": "2",
            "distribution": "0",
            "Tag": tags,
            "Attribute": attributes,
            "Object": objects,
        }
    })
}

/// What one event is made of: the mail's analysis and online facts, its indicators, and who not
/// to name.
struct Event<'a> {
    b: Builder,
    a: &'a Analysis,
    e: Option<&'a Enrichment>,
    ind: Indicators,
    recipient: Recipient,
    opts: &'a ExportOptions,
}

impl Event<'_> {
    fn redact(&self, s: &str) -> String {
        if self.opts.keep_recipient { s.to_string() } else { self.recipient.redact(s, "[recipient]") }
    }

    /// The email object: sender, return path, subject, Message-ID, date, recipients when kept,
    /// the route's public addresses, attachment names.
    fn mail_object(&self, sent: Option<i64>) -> Value {
        let opts = self.opts;
        let redact = |s: &str| self.redact(s);
        let (b, a, ind, recipient, ids) = (&self.b, self.a, &self.ind, &self.recipient, self.ind.actionable);
        let mut mail = Vec::new();
        if let Some(s) = &ind.sender {
            mail.push(b.attr("from", "email-src", "Payload delivery", s, ids));
            if let Some(d) = s.rsplit_once('@').map(|(_, d)| d) {
                mail.push(b.attr("from-domain", "domain", "Payload delivery", d, false));
            }
        }
        if let Some(n) = ind.sender_display_name.as_deref().filter(|n| !n.is_empty()) {
            mail.push(b.attr("from-display-name", "email-src-display-name", "Payload delivery", n, false));
        }
        if let Some(rp) = &ind.return_path {
            mail.push(b.attr("return-path", "email-src", "Payload delivery", rp, false));
        }
        for r in &ind.reply_to {
            mail.push(b.attr("reply-to", "email-reply-to", "Payload delivery", r, ids));
        }
        if let Some(s) = a.message.subject.as_deref() {
            mail.push(b.attr("subject", "email-subject", "Payload delivery", &redact(s), false));
        }
        if let Some(m) = a.message.message_id.as_deref() {
            mail.push(b.attr("message-id", "email-message-id", "Payload delivery", m, false));
        }
        if let Some(t) = sent {
            mail.push(b.attr("send-date", "datetime", "Other", &kaibo_core::calendar::rfc3339_utc(t), false));
        }
        if opts.keep_recipient {
            for r in &recipient.addresses {
                mail.push(b.attr("to", "email-dst", "Payload delivery", r, false));
            }
        }
        for h in a.hops.iter().filter_map(|h| h.from_ip.as_deref()) {
            if let Ok(ip) = h.parse::<std::net::IpAddr>()
                && kaibo_core::net::is_public_ip(ip)
            {
                mail.push(b.attr("received-header-ip", "ip-src", "Network activity", h, false));
            }
        }
        for (name, _) in &ind.attachments {
            if let Some(n) = name {
                mail.push(b.attr("attachment", "email-attachment", "Payload delivery", n, false));
            }
        }
        b.object("email", EMAIL_TEMPLATE, "mail", mail)
    }

    /// One url object per link worth reporting.
    fn link_objects(&self) -> Vec<Value> {
        let opts = self.opts;
        let (b, ind, recipient, ids) = (&self.b, &self.ind, &self.recipient, self.ind.actionable);
        let mut objects = Vec::new();
        for l in &ind.links {
            let (url, cut) = crate::indicators::export_url(&l.url, recipient, opts.keep_recipient);
            let mut attrs = vec![b.attr("url", "url", "Network activity", &url, ids)];
            if cut {
                attrs[0]["comment"] = json!("query removed: it carried the recipient's address");
            }
            if let Some(h) = &l.host {
                attrs.push(b.attr("host", "hostname", "Network activity", h, false));
            }
            if let Some(d) = &l.domain {
                attrs.push(b.attr("domain", "domain", "Network activity", d, false));
            }
            for ip in &l.addresses {
                attrs.push(b.attr("ip", "ip-dst", "Network activity", ip, false));
            }
            objects.push(b.object("url", URL_TEMPLATE, &url, attrs));
        }
        objects
    }

    /// Domains with their host names, addresses and registration date.
    fn domain_objects(&self) -> Vec<Value> {
        let e = self.e;
        let (b, ind, ids) = (&self.b, &self.ind, self.ind.actionable);
        let mut objects = Vec::new();
        for d in &ind.domains {
            let mut attrs = vec![b.attr("domain", "domain", "Network activity", d, ids)];
            for l in ind.links.iter().filter(|l| l.domain.as_deref() == Some(d.as_str())) {
                if let Some(h) = l.host.as_deref().filter(|h| h != d) {
                    attrs.push(b.attr("hostname", "hostname", "Network activity", h, false));
                }
                for ip in &l.addresses {
                    attrs.push(b.attr("ip", "ip-dst", "Network activity", ip, ids));
                }
            }
            if let Some(created) = e
                .and_then(|e| e.registrations.iter().find(|r| r.query == *d))
                .and_then(|r| r.created.as_deref())
            {
                attrs.push(b.attr(
                    "registration-date",
                    "datetime",
                    "Other",
                    &format!("{created}T00:00:00Z"),
                    false,
                ));
            }
            attrs.dedup_by(|x, y| x["object_relation"] == y["object_relation"] && x["value"] == y["value"]);
            objects.push(b.object("domain-ip", DOMAIN_IP_TEMPLATE, d, attrs));
        }
        objects
    }

    /// Located addresses: ASN and country.
    fn ip_objects(&self) -> Vec<Value> {
        let (b, e) = (&self.b, self.e);
        let mut objects = Vec::new();
        for ip in e.into_iter().flat_map(|e| &e.ips) {
            if ip.asn.is_none() && ip.country.is_none() {
                continue;
            }
            let mut attrs = vec![b.attr("ip", "ip-dst", "Network activity", &ip.ip, false)];
            if let Some(asn) = ip.asn {
                attrs.push(b.attr("AS", "AS", "Network activity", &format!("AS{asn}"), false));
            }
            if let Some(c) = &ip.country {
                attrs.push(b.attr("country-code", "text", "Network activity", c, false));
            }
            objects.push(b.object("ip-port", IP_PORT_TEMPLATE, &ip.ip, attrs));
        }
        objects
    }

    /// Loose attributes: the attachments' hashes, and the verdict in words.
    fn loose_attributes(&self) -> Vec<Value> {
        let (b, a, ind, ids) = (&self.b, self.a, &self.ind, self.ind.actionable);
        let mut attributes = Vec::new();
        for (name, sha) in &ind.attachments {
            let mut at = b.attr("", "sha256", "Payload delivery", sha, ids);
            at.as_object_mut().map(|o| o.remove("object_relation"));
            at["comment"] = json!(name.clone().unwrap_or_default());
            attributes.push(at);
        }
        let top: Vec<&str> = crate::strongest(a, 8).into_iter().map(|f| f.id.as_str()).collect();
        let mut verdict = b.attr(
            "",
            "text",
            "Other",
            &format!(
                "kaibo verdict: {} (score {}); findings: {}",
                a.verdict.as_str(),
                a.score,
                top.join(", ")
            ),
            false,
        );
        verdict.as_object_mut().map(|o| o.remove("object_relation"));
        attributes.push(verdict);
        attributes
    }
}
