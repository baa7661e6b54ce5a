//! MISP and STIX exports of the reference case, validated against their published schemas
//! (vendored in `tests/fixtures/schemas/`, see its README): the STIX 2.1 JSON schemas of OASIS,
//! and for MISP the event schema, the object templates and the attribute type/category table.

mod common;

use std::collections::HashMap;

use common::{CREATED, fixtures, reference};
use kaibo_report::ExportOptions;
use serde_json::Value;

fn opts() -> ExportOptions {
    ExportOptions { created: CREATED, keep_recipient: false }
}

/// Serves the vendored STIX schemas by their `$id`, so relative `$ref`s resolve offline.
struct Schemas(HashMap<String, Value>);

impl jsonschema::Retrieve for Schemas {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        self.0.get(uri.as_str()).cloned().ok_or_else(|| format!("schema not vendored: {uri}").into())
    }
}

fn stix_schemas() -> HashMap<String, Value> {
    let mut all = HashMap::new();
    let root = fixtures().join("schemas/stix2.1");
    for dir in ["common", "observables", "sdos", "sros"] {
        for f in std::fs::read_dir(root.join(dir)).unwrap().flatten() {
            let v: Value = serde_json::from_str(&std::fs::read_to_string(f.path()).unwrap()).unwrap();
            let id = v["$id"].as_str().unwrap().to_string();
            all.insert(id, v);
        }
    }
    all
}

fn validate(schema: &Value, instance: &Value, schemas: &HashMap<String, Value>) -> Vec<String> {
    let v = jsonschema::options()
        .with_retriever(Schemas(schemas.clone()))
        .build(schema)
        .unwrap_or_else(|e| panic!("schema does not build: {e}"));
    v.iter_errors(instance).map(|e| format!("{e} at {}", e.instance_path())).collect()
}

#[test]
fn stix_bundle_follows_the_stix_2_1_schemas() {
    let d = reference();
    let bundle = kaibo_report::stix::stix_bundle(&d, &opts());
    let schemas = stix_schemas();
    let bundle_schema = schemas.values().find(|s| s["title"] == "bundle").unwrap().clone();
    let errors = validate(&bundle_schema, &bundle, &schemas);
    assert!(errors.is_empty(), "bundle: {errors:#?}");
    // Every object against the schema of its own type.
    let by_type: HashMap<String, &Value> =
        schemas.values().filter_map(|s| Some((s["title"].as_str()?.to_string(), s))).collect();
    let mut types = Vec::new();
    for o in bundle["objects"].as_array().unwrap() {
        let t = o["type"].as_str().unwrap();
        types.push(t.to_string());
        let schema = by_type.get(t).unwrap_or_else(|| panic!("no schema for {t}"));
        let errors = validate(schema, o, &schemas);
        assert!(errors.is_empty(), "{t}: {errors:#?}\n{o:#}");
    }
    for t in
        ["identity", "email-message", "email-addr", "url", "domain-name", "ipv4-addr", "indicator", "report"]
    {
        assert!(types.iter().any(|x| x == t), "no {t} in {types:?}");
    }
    // The indicator's pattern names the URL, with the recipient redacted.
    let ind = bundle["objects"].as_array().unwrap().iter().find(|o| o["type"] == "indicator").unwrap();
    // The URL carried the recipient's address: it is cut before the query and matched as a prefix.
    assert_eq!(ind["pattern"], "[url:value LIKE 'https://mail-sync.aorz.ru/webmail/index.php%']");
    // The report refers to every other object, and only to objects in the bundle.
    let report = bundle["objects"].as_array().unwrap().iter().find(|o| o["type"] == "report").unwrap();
    let ids: Vec<&str> =
        bundle["objects"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap()).collect();
    for r in report["object_refs"].as_array().unwrap() {
        assert!(ids.contains(&r.as_str().unwrap()), "dangling ref {r}");
    }
    assert_eq!(
        report["object_refs"].as_array().unwrap().len(),
        ids.len() - 2,
        "all but the identity and itself"
    );
    // Reproducible.
    assert_eq!(bundle, kaibo_report::stix::stix_bundle(&d, &opts()));
    // The validation has teeth: a broken indicator and a bad id are caught.
    let mut broken = ind.clone();
    broken.as_object_mut().unwrap().remove("valid_from");
    assert!(!validate(by_type["indicator"], &broken, &schemas).is_empty());
    let mut bad_id = report.clone();
    bad_id["id"] = Value::from("report--not-a-uuid");
    assert!(!validate(by_type["report"], &bad_id, &schemas).is_empty());
}

#[test]
fn misp_event_follows_the_format_the_templates_and_the_type_table() {
    let d = reference();
    let event = kaibo_report::misp::misp_event(&d, &opts());
    let dir = fixtures().join("schemas/misp");
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("schema-lax.json")).unwrap()).unwrap();
    let errors = validate(&schema, &event, &HashMap::new());
    assert!(errors.is_empty(), "{errors:#?}");
    let mut broken = event.clone();
    broken["Event"]["Attribute"][0]["to_ids"] = Value::from("yes");
    assert!(!validate(&schema, &broken, &HashMap::new()).is_empty(), "the schema checks attributes");

    let types: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("describeTypes.json")).unwrap()).unwrap();
    let types = &types["result"];
    let known_type = |t: &str| types["types"].as_array().unwrap().iter().any(|x| x == t);
    let category_allows = |c: &str, t: &str| {
        types["category_type_mappings"][c].as_array().is_some_and(|l| l.iter().any(|x| x == t))
    };
    let ev = &event["Event"];
    for at in ev["Attribute"].as_array().unwrap() {
        let (t, c) = (at["type"].as_str().unwrap(), at["category"].as_str().unwrap());
        assert!(known_type(t), "unknown type {t}");
        assert!(category_allows(c, t), "category {c} does not take {t}");
    }
    let mut names = Vec::new();
    for o in ev["Object"].as_array().unwrap() {
        let name = o["name"].as_str().unwrap();
        names.push(name.to_string());
        let template: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("objects").join(name).join("definition.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(o["template_uuid"], template["uuid"], "{name}");
        assert_eq!(o["template_version"], template["version"].to_string(), "{name}");
        assert_eq!(o["meta-category"], template["meta-category"], "{name}");
        let relations: Vec<&str> = o["Attribute"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["object_relation"].as_str().unwrap())
            .collect();
        for at in o["Attribute"].as_array().unwrap() {
            let rel = at["object_relation"].as_str().unwrap();
            let def = &template["attributes"][rel];
            assert!(def.is_object(), "{name}: no relation {rel} in the template");
            let t = at["type"].as_str().unwrap();
            assert_eq!(def["misp-attribute"], t, "{name}.{rel}");
            let c = at["category"].as_str().unwrap();
            match def["categories"].as_array() {
                Some(allowed) => assert!(allowed.iter().any(|x| x == c), "{name}.{rel}: category {c}"),
                None => assert!(category_allows(c, t), "{name}.{rel}: category {c} does not take {t}"),
            }
            if def["multiple"] != true {
                assert_eq!(relations.iter().filter(|r| **r == rel).count(), 1, "{name}.{rel} repeated");
            }
        }
        let one_of: Vec<&str> = template["requiredOneOf"]
            .as_array()
            .map(|l| l.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        assert!(one_of.is_empty() || relations.iter().any(|r| one_of.contains(r)), "{name}: requiredOneOf");
    }
    for n in ["email", "url", "domain-ip", "ip-port"] {
        assert!(names.iter().any(|x| x == n), "no {n} object");
    }
    // to_ids on the link and the sender, not on the subject; the recipient is not exported.
    let all: Vec<&Value> =
        ev["Object"].as_array().unwrap().iter().flat_map(|o| o["Attribute"].as_array().unwrap()).collect();
    let find = |rel: &str| all.iter().find(|x| x["object_relation"] == rel).unwrap();
    assert_eq!(find("url")["to_ids"], true);
    assert_eq!(find("from")["to_ids"], true);
    assert_eq!(find("subject")["to_ids"], false);
    assert!(!serde_json::to_string(&event).unwrap().contains("user@example.co.jp"));
    assert!(all.iter().all(|x| x["object_relation"] != "to"));
}

#[test]
fn exports_keep_the_recipient_only_when_asked() {
    let d = reference();
    let keep = ExportOptions { created: CREATED, keep_recipient: true };
    let event = serde_json::to_string(&kaibo_report::misp::misp_event(&d, &keep)).unwrap();
    assert!(event.contains("user@example.co.jp"));
    let bundle = serde_json::to_string(&kaibo_report::stix::stix_bundle(&d, &keep)).unwrap();
    assert!(bundle.contains("\"to_refs\""));
}

#[test]
fn ioc_list() {
    let d = reference();
    assert_eq!(
        kaibo_report::render_iocs(&d, false, false),
        "hxxps://mail-sync[.]aorz[.]ru/webmail/index.php\naorz[.]ru\n31.31.198.183\n185.220.101.47\naxh33983[at]biglobe[.]ne[.]jp\n"
    );
    let raw = kaibo_report::render_iocs(&d, true, true);
    assert!(
        raw.starts_with("https://mail-sync.aorz.ru/webmail/index.php?email=user@example.co.jp\naorz.ru\n")
    );
}

#[test]
fn abuse_drafts_for_each_contact() {
    let d = reference();
    let raw = std::fs::read(fixtures().join("phish_seed_utf8.eml")).unwrap();
    let drafts = kaibo_report::abuse_drafts(&d, &kaibo_report::header_block(&raw), false);
    let to: Vec<&str> = drafts.iter().map(|d| d.to.as_str()).collect();
    // REG.RU is both registrar and host: one draft. Then the sender's provider (RFC 2142 guess)
    // and the two Japanese reporting points.
    assert_eq!(to, ["abuse@reg.ru", "abuse@biglobe.ne.jp", "info@antiphishing.jp", "info@jpcert.or.jp"]);
    let reg = &drafts[0];
    assert!(reg.role.starts_with("registrar of aorz.ru"));
    assert!(reg.text.contains("please take it down"));
    assert!(!reg.text.contains("フィッシング報告"), "English only for a .ru contact");
    assert!(reg.text.contains("URL: hxxps://mail-sync[.]aorz[.]ru/webmail/index.php?email=[recipient]"));
    assert!(reg.text.contains("Landing page: hxxps://mail-sync[.]aorz[.]ru/am_bin/amlogin"));
    assert!(reg.text.contains("----- Original headers -----\nReturn-Path: <axh33983@biglobe.ne.jp>"));
    assert!(!reg.text.contains("user@example.co.jp"), "the recipient is redacted, headers included");
    let provider = &drafts[1];
    assert!(provider.text.contains("RFC 2142"));
    assert!(provider.text.starts_with("To: abuse@biglobe.ne.jp\nSubject: フィッシング報告"));
    assert!(provider.text.contains("利用停止"));
    assert_eq!(drafts[2].file_name, "abuse-03-antiphishing.jp.txt");
    let kept = kaibo_report::abuse_drafts(&d, &kaibo_report::header_block(&raw), true);
    assert!(kept[0].text.contains("for <user@example.co.jp>"));
}
