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
use kaibo_model::Dissection;

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
    let ind = Indicators::of(d);
    let recipient = Recipient::of(a);
    let redact =
        |s: &str| if opts.keep_recipient { s.to_string() } else { recipient.redact(s, "[recipient]") };
    let created = stix_time(opts.created);
    let sent = a.message.date.as_deref().and_then(kaibo_core::calendar::unix_from_rfc3339);
    let key = format!(
        "{}|{}|{}",
        a.message.message_id.as_deref().unwrap_or(""),
        a.message.date.as_deref().unwrap_or(""),
        a.message.subject.as_deref().unwrap_or("")
    );
    let identity_id = format!("identity--{}", uuid5(&KAIBO_NAMESPACE, "identity/kaibo"));
    let mut objects: Vec<Value> = vec![json!({
        "type": "identity",
        "spec_version": "2.1",
        "id": identity_id,
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
        "name": "kaibo",
        "description": "kaibo (解剖), a phishing-mail analyser",
        "identity_class": "system",
    })];
    let mut refs: Vec<String> = Vec::new();
    let push = |objects: &mut Vec<Value>, refs: &mut Vec<String>, v: Value| {
        let id = v["id"].as_str().unwrap_or("").to_string();
        if !refs.contains(&id) {
            refs.push(id);
            objects.push(v);
        }
    };

    // The mail and its addresses.
    let addr = |value: &str, name: Option<&str>| {
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
    };
    let mut message = json!({
        "type": "email-message",
        "spec_version": "2.1",
        "is_multipart": false,
    });
    if let Some(s) = &ind.sender {
        let from = addr(s, ind.sender_display_name.as_deref());
        message["from_ref"] = from["id"].clone();
        push(&mut objects, &mut refs, from);
    }
    if let Some(s) = &a.message.subject {
        message["subject"] = json!(redact(s));
    }
    if let Some(t) = sent {
        message["date"] = json!(stix_time(t));
    }
    if let Some(m) = &a.message.message_id {
        message["message_id"] = json!(m);
    }
    if opts.keep_recipient {
        let to: Vec<Value> = recipient.addresses.iter().map(|r| addr(r, None)).collect();
        message["to_refs"] = json!(to.iter().map(|t| t["id"].clone()).collect::<Vec<_>>());
        for t in to {
            push(&mut objects, &mut refs, t);
        }
    }
    let mut contributing = json!({});
    for k in ["from_ref", "subject"] {
        if !message[k].is_null() {
            contributing[k] = message[k].clone();
        }
    }
    message["id"] = json!(sco_id("email-message", &contributing));
    push(&mut objects, &mut refs, message);

    // Addresses, domains, URLs.
    let ip_obj = |ip: &str| {
        let kind = if ip.contains(':') { "ipv6-addr" } else { "ipv4-addr" };
        json!({ "type": kind, "spec_version": "2.1", "id": sco_id(kind, &json!({ "value": ip })), "value": ip })
    };
    // A domain name with the addresses it resolved to (those first, so refs point back).
    let add_name = |objects: &mut Vec<Value>, refs: &mut Vec<String>, name: &str, addresses: Vec<&String>| {
        let ips: Vec<Value> = addresses.into_iter().map(|ip| ip_obj(ip)).collect();
        let mut dom = json!({
            "type": "domain-name", "spec_version": "2.1",
            "id": sco_id("domain-name", &json!({ "value": name })), "value": name,
        });
        if !ips.is_empty() {
            dom["resolves_to_refs"] = json!(ips.iter().map(|i| i["id"].clone()).collect::<Vec<_>>());
        }
        for i in ips {
            push(objects, refs, i);
        }
        push(objects, refs, dom);
    };
    for d in &ind.domains {
        let addresses = ind
            .links
            .iter()
            .filter(|l| l.domain.as_deref() == Some(d.as_str()) && l.host.as_deref() == Some(d.as_str()))
            .flat_map(|l| &l.addresses)
            .collect();
        add_name(&mut objects, &mut refs, d, addresses);
    }
    for l in &ind.links {
        if let Some(h) = l.host.as_deref().filter(|h| Some(*h) != l.domain.as_deref())
            && h.parse::<std::net::IpAddr>().is_err()
        {
            add_name(&mut objects, &mut refs, h, l.addresses.iter().collect());
        }
        let (url, _) = crate::indicators::export_url(&l.url, &recipient, opts.keep_recipient);
        push(
            &mut objects,
            &mut refs,
            json!({ "type": "url", "spec_version": "2.1", "id": sco_id("url", &json!({ "value": url })), "value": url }),
        );
    }
    for ip in &ind.ips {
        push(&mut objects, &mut refs, ip_obj(ip));
    }

    // Indicators: one per malicious URL.
    if ind.actionable {
        for l in &ind.links {
            // A URL cut before the recipient's address is matched as a prefix.
            let (url, cut) = crate::indicators::export_url(&l.url, &recipient, opts.keep_recipient);
            let pattern = if cut {
                // STIX's LIKE has no escape: a `_` in the path matches any one character, which
                // only widens the match by a little.
                format!("[url:value LIKE '{}%']", pattern_literal(&url))
            } else {
                format!("[url:value = '{}']", pattern_literal(&url))
            };
            let id = format!("indicator--{}", uuid5(&KAIBO_NAMESPACE, &format!("indicator/{url}")));
            push(
                &mut objects,
                &mut refs,
                json!({
                    "type": "indicator",
                    "spec_version": "2.1",
                    "id": id,
                    "created_by_ref": identity_id,
                    "created": created,
                    "modified": created,
                    "name": format!("Phishing link in \"{}\"", redact(a.message.subject.as_deref().unwrap_or(""))),
                    "description": format!("A link of a mail kaibo judged {} (score {}).", a.verdict.as_str(), a.score),
                    "indicator_types": ["malicious-activity"],
                    "pattern": pattern,
                    "pattern_type": "stix",
                    "pattern_version": "2.1",
                    "valid_from": stix_time(sent.unwrap_or(opts.created)),
                    "labels": ["phishing"],
                }),
            );
        }
    }

    // The report that ties them together.
    let top: Vec<&str> = crate::strongest(a, 8).into_iter().map(|f| f.id.as_str()).collect();
    let report = json!({
        "type": "report",
        "spec_version": "2.1",
        "id": format!("report--{}", uuid5(&KAIBO_NAMESPACE, &format!("report/{key}"))),
        "created_by_ref": identity_id,
        "created": created,
        "modified": created,
        "name": format!("Phishing mail: {}", redact(a.message.subject.as_deref().unwrap_or("(no subject)"))),
        "description": format!(
            "kaibo verdict: {} (score {}). Strongest findings: {}.",
            a.verdict.as_str(), a.score, top.join(", ")
        ),
        "report_types": ["threat-report"],
        "published": stix_time(opts.created),
        "object_refs": refs,
        "labels": [format!("kaibo-verdict-{}", a.verdict.as_str())],
    });
    objects.push(report);
    json!({
        "type": "bundle",
        "id": format!("bundle--{}", uuid5(&KAIBO_NAMESPACE, &format!("bundle/{key}/{}", opts.created))),
        "objects": objects,
    })
}

/// STIX timestamps: UTC with milliseconds.
fn stix_time(unix: i64) -> String {
    kaibo_core::calendar::rfc3339_utc(unix).replace('Z', ".000Z")
}
