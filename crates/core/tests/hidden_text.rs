//! Hidden text on mails written for this test: a newsletter's inbox preview line
//! ("preheader", padded with `&zwnj;&nbsp;`) is standard practice, not hiding; filler for spam
//! filters is.

fn ids(html: &str) -> Vec<String> {
    let mail = format!(
        "From: News <news@example.org>\r\nTo: you@example.com\r\nSubject: October\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n"
    );
    let a = kaibo_core::analyze(mail.as_bytes(), &kaibo_core::Options::default()).unwrap();
    a.findings.into_iter().map(|f| f.id).collect()
}

const BODY: &str = "<p>Dear reader, here is what happened in the club this month: the garden party, the new members and the autumn walk.</p>";

#[test]
fn a_preheader_is_not_hidden_text() {
    let padding = "&zwnj;&nbsp;".repeat(80);
    let found = ids(&format!(
        r#"<div style="display:none;max-height:0;overflow:hidden">Claim your seat at the autumn walk (and bring a friend!) {padding}</div>{BODY}"#
    ));
    assert!(!found.iter().any(|i| i.starts_with("content.hidden")), "{found:?}");
}

#[test]
fn filler_and_hidden_text_after_the_message_still_count() {
    let filler = "apple river stone cloud table garden window paper ".repeat(6);
    let found = ids(&format!(r#"<div style="display:none">{filler}</div>{BODY}"#));
    assert!(found.iter().any(|i| i == "content.hidden_text"), "{found:?}");
    assert!(found.iter().any(|i| i == "content.hidden_filler"), "{found:?}");
    // A list of words with no stop before the text is filler, not a preview line.
    let found =
        ids(&format!(r#"<div style="display:none">invoice meeting schedule lunch report team</div>{BODY}"#));
    assert!(found.iter().any(|i| i == "content.hidden_text"), "{found:?}");
    // Hidden after the visible text is no preview line.
    let found = ids(&format!(r#"{BODY}<div style="display:none">cheap pills for you today</div>"#));
    assert!(found.iter().any(|i| i == "content.hidden_text"), "{found:?}");
    // Two hidden texts are not one preview line.
    let found = ids(&format!(
        r#"<div style="display:none">Our October news</div>{BODY}<span style="font-size:0">cheap pills for you today</span>"#
    ));
    assert!(found.iter().any(|i| i == "content.hidden_text"), "{found:?}");
}
