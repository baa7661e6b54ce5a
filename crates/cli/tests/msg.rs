//! Outlook .msg input: files built here as Outlook lays them out, read by `kaibo analyze` and
//! `kaibo scan` as the mail they stand for.

mod common;

use common::{MsgSpec, build_msg, kaibo, temp_dir};
use serde_json::Value;

/// The reference case as Outlook saves it: the transport headers it kept, a Shift_JIS HTML
/// body (code page 932) and a PDF attachment.
fn seed_as_msg() -> MsgSpec {
    let headers = "Return-Path: <axh33983@biglobe.ne.jp>\r\n\
Received: from [185.220.101.47] (unknown [185.220.101.47])\r\n\tby mx01.example.co.jp (Postfix) with ESMTP id 0A1B2C3D4E\r\n\tfor <user@example.co.jp>; Tue, 14 Nov 2023 08:11:57 +0900 (JST)\r\n\
Authentication-Results: mx01.example.co.jp;\r\n\tspf=softfail smtp.mailfrom=axh33983@biglobe.ne.jp;\r\n\tdkim=none;\r\n\tdmarc=fail (p=NONE) header.from=biglobe.ne.jp\r\n\
Subject: =?utf-8?b?5pyq6YWN5L+h44Oh44OD44K744O844K4ICgyKQ==?=\r\n\
From: \"postmaster@03.bounce..\" <axh33983@biglobe.ne.jp>\r\n\
To: user@example.co.jp\r\n\
Date: Tue, 14 Nov 2023 08:11:52 +0900\r\n\
Message-ID: <20231114081152.7F3A9@biglobe.ne.jp>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/alternative;\r\n\tboundary=\"outlook-lost-this\"\r\n\r\n";
    let html = "<html><body><p>user@example.co.jp 様</p><p>同期エラーにより 2 件のメールが差出人に返送されました。</p>\
<p><a href=\"https://mail-sync.aorz.ru/webmail/index.php?email=user@example.co.jp\">メッセージを受け取る &gt;&gt;</a></p>\
<p>©2023、メールセンター</p></body></html>";
    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(html);
    MsgSpec {
        transport_headers: Some(headers.into()),
        subject: Some("未配信メッセージ (2)".into()),
        text: Some("同期エラーにより 2 件のメールが差出人に返送されました。".into()),
        html: Some((sjis.into_owned(), 932)),
        attachments: vec![("請求書.pdf".into(), "application/pdf".into(), b"%PDF-1.4\n%fake\n".to_vec())],
        ..Default::default()
    }
}

fn analyze_json(path: &std::path::Path) -> (i32, Value) {
    let out = kaibo().args(["analyze", "--format", "json", path.to_str().unwrap()]).output().unwrap();
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap(), v)
}

#[test]
fn a_saved_outlook_message_is_dissected_like_its_mime_original() {
    let dir = temp_dir("msg-seed");
    let path = dir.join("seed.msg");
    std::fs::write(&path, build_msg(&seed_as_msg())).unwrap();
    let (code, v) = analyze_json(&path);
    assert_eq!(code, 1);
    assert_eq!(v["analysed"]["source_format"], "outlook_msg");
    assert_eq!(v["verdict"], "phishing");
    assert_eq!(v["message"]["subject"], "未配信メッセージ (2)");
    assert_eq!(v["message"]["from"]["address"], "axh33983@biglobe.ne.jp");
    let ids: Vec<&str> = v["findings"].as_array().unwrap().iter().filter_map(|f| f["id"].as_str()).collect();
    assert!(ids.contains(&"sender.display_name_spoof"), "{ids:?}");
    // The Shift_JIS HTML was decoded: the link and its Japanese text are read.
    let urls = v["observables"]["urls"].as_array().unwrap();
    assert!(urls.iter().any(|u| u["registrable_domain"] == "aorz.ru"), "{urls:?}");
    assert!(v["text_excerpt"].as_str().unwrap().contains("同期エラー"));
    let att = &v["observables"]["attachments"][0];
    assert_eq!(att["filename"], "請求書.pdf");
    assert_eq!(att["size"], 15);
    // The received route and authentication results come from the kept headers.
    assert_eq!(v["authentication"]["dmarc"], "fail");
}

#[test]
fn a_draft_and_a_forward_as_outlook_item() {
    let dir = temp_dir("msg-forward");
    // A message that never travelled: From and To from its properties.
    let draft = MsgSpec {
        subject: Some("Quarterly figures".into()),
        from_name: Some("Ann Example".into()),
        from_address: Some("ann@corp.example".into()),
        to: vec![("Bob".into(), "bob@corp.example".into())],
        text: Some("Hi Bob, the figures are attached. Ann".into()),
        ..Default::default()
    };
    let path = dir.join("draft.msg");
    std::fs::write(&path, build_msg(&draft)).unwrap();
    let (_, v) = analyze_json(&path);
    assert_eq!(v["verdict"], "clean");
    assert_eq!(v["message"]["from"]["address"], "ann@corp.example");
    assert_eq!(v["message"]["to"][0]["address"], "bob@corp.example");

    // A report to the abuse desk with the phishing attached as an Outlook item: the attached
    // mail is the one judged.
    let report = MsgSpec {
        subject: Some("FW: suspicious".into()),
        from_name: Some("Staff".into()),
        from_address: Some("staff@corp.example".into()),
        text: Some("Is this real?".into()),
        embedded: Some(Box::new(seed_as_msg())),
        ..Default::default()
    };
    let path = dir.join("report.msg");
    std::fs::write(&path, build_msg(&report)).unwrap();
    let (_, v) = analyze_json(&path);
    assert_eq!(v["analysed"]["kind"], "attached_message");
    assert_eq!(v["analysed"]["wrapper_from"], "staff@corp.example");
    assert_eq!(v["verdict"], "phishing");

    // scan reads .msg files among the rest.
    let out = kaibo().args(["scan", "--format", "jsonl", dir.to_str().unwrap()]).output().unwrap();
    let lines: Vec<Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|l| l["analysed"]["source_format"] == "outlook_msg"), "{lines:?}");
}

#[test]
fn a_broken_compound_file_is_refused_cleanly() {
    let dir = temp_dir("msg-broken");
    let mut good = build_msg(&seed_as_msg());
    // Truncated, and with its sector tables overwritten: an error, exit 2, no panic.
    for (name, bytes) in [
        ("cut.msg", good[..700].to_vec()),
        ("junk.msg", {
            for b in good.iter_mut().skip(512).step_by(7) {
                *b ^= 0x5A;
            }
            good.clone()
        }),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let out = kaibo().args(["analyze", path.to_str().unwrap()]).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.code() == Some(2) || out.status.code() == Some(0) || out.status.code() == Some(1),
            "{name}: {err}"
        );
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
}

/// A TNEF attribute: level, id, length, data, checksum.
fn tnef_attr(level: u8, id: u32, data: &[u8]) -> Vec<u8> {
    let mut v = vec![level];
    v.extend_from_slice(&id.to_le_bytes());
    v.extend_from_slice(&(data.len() as u32).to_le_bytes());
    v.extend_from_slice(data);
    let sum: u16 = data.iter().fold(0u16, |s, &b| s.wrapping_add(u16::from(b)));
    v.extend_from_slice(&sum.to_le_bytes());
    v
}

#[test]
fn the_files_inside_winmail_dat_are_listed() {
    use base64::Engine;
    let mut tnef = 0x223E_9F78u32.to_le_bytes().to_vec();
    tnef.extend_from_slice(&[0x01, 0x00]);
    tnef.extend(tnef_attr(2, 0x0006_9002, &[0; 14]));
    tnef.extend(tnef_attr(2, 0x0001_8010, b"invoice.exe\0"));
    tnef.extend(tnef_attr(2, 0x0006_9002, &[0; 14]));
    tnef.extend(tnef_attr(2, 0x0001_8010, b"readme.txt\0"));
    let b64 = base64::engine::general_purpose::STANDARD.encode(&tnef);
    let mail = format!(
        "From: Billing <billing@vendor.example>\r\nTo: ap@corp.example\r\nSubject: Invoice\r\n\
Date: Tue, 14 Nov 2023 08:11:52 +0000\r\nMessage-ID: <t1@vendor.example>\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nPlease see the invoice.\r\n\
--b\r\nContent-Type: application/ms-tnef; name=\"winmail.dat\"\r\nContent-Disposition: attachment; filename=\"winmail.dat\"\r\n\
Content-Transfer-Encoding: base64\r\n\r\n{b64}\r\n--b--\r\n"
    );
    let dir = temp_dir("msg-tnef");
    let path = dir.join("tnef.eml");
    std::fs::write(&path, mail).unwrap();
    let (_, v) = analyze_json(&path);
    let att = &v["observables"]["attachments"][0];
    assert_eq!(att["filename"], "winmail.dat");
    assert_eq!(att["archive_entries"], serde_json::json!(["invoice.exe", "readme.txt"]));
    let ids: Vec<&str> = v["findings"].as_array().unwrap().iter().filter_map(|f| f["id"].as_str()).collect();
    assert!(ids.contains(&"attachment.archive_executable"), "{ids:?}");
}

#[test]
fn an_outlook_item_forwarded_as_a_msg_file_is_the_mail_judged() {
    use base64::Engine;
    let msg = build_msg(&seed_as_msg());
    let b64 = base64::engine::general_purpose::STANDARD.encode(&msg);
    let lines: Vec<&str> = b64.as_bytes().chunks(76).map(|c| std::str::from_utf8(c).unwrap()).collect();
    let mail = format!(
        "From: Staff <staff@corp.example>\r\nTo: phish-report@corp.example\r\nSubject: FW: odd mail\r\n\
Date: Tue, 14 Nov 2023 09:00:00 +0900\r\nMessage-ID: <fw-msg@corp.example>\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nIs this real?\r\n\
--b\r\nContent-Type: application/vnd.ms-outlook; name=\"odd.msg\"\r\nContent-Disposition: attachment; filename=\"odd.msg\"\r\n\
Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--b--\r\n",
        lines.join("\r\n")
    );
    let dir = temp_dir("msg-attached");
    let path = dir.join("report.eml");
    std::fs::write(&path, mail).unwrap();
    let (_, v) = analyze_json(&path);
    assert_eq!(v["analysed"]["kind"], "attached_message", "{}", v["analysed"]);
    assert_eq!(v["analysed"]["wrapper_from"], "staff@corp.example");
    assert_eq!(v["verdict"], "phishing");
    assert_eq!(v["message"]["subject"], "未配信メッセージ (2)");
}
