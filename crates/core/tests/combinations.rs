//! Scam scripts told across findings (`[[combination]]` in data/lures.toml), on mails written
//! for this test.

fn ids(mail: &str) -> Vec<String> {
    let a = kaibo_core::analyze(mail.as_bytes(), &kaibo_core::Options::default()).unwrap();
    a.findings.into_iter().map(|f| f.id).collect()
}

#[test]
fn money_story_answered_elsewhere() {
    let mail = "From: Mrs Grace <grace.w@example.org>\r\nReply-To: grace.private@gmail.com\r\nTo: you@example.com\r\nSubject: Donation\r\n\r\nDear beloved, I am a widow and I wish to make a donation of my inheritance to you. Kindly respond with your details.\r\n";
    let found = ids(mail);
    assert!(found.iter().any(|i| i == "lure.advance_fee"), "{found:?}");
    assert!(found.iter().any(|i| i == "lure.money_reply_elsewhere"), "{found:?}");
    // The same story with answers to the sender is not the combination.
    let plain = mail.replace("Reply-To: grace.private@gmail.com\r\n", "");
    assert!(!ids(&plain).iter().any(|i| i == "lure.money_reply_elsewhere"));
}

#[test]
fn wallet_compliance_notice() {
    let mail = "From: Wallet Support <support@example-wallet.net>\r\nTo: you@example.com\r\nSubject: Compliance Alert\r\n\r\nYour wallet must be verified. Please verify your account to avoid an asset freeze of your bitcoin.\r\n";
    let found = ids(mail);
    assert!(found.iter().any(|i| i == "lure.wallet_verification"), "{found:?}");
    let a = kaibo_core::analyze(mail.as_bytes(), &kaibo_core::Options::default()).unwrap();
    let f = a.findings.iter().find(|f| f.id == "lure.wallet_verification").unwrap();
    assert_eq!(f.evidence[0].source, "findings");
    assert!(f.evidence[0].value.starts_with("lure.crypto + "));
}

/// The loader checks every id a combination names against the catalog; here, that each
/// combination has at least two groups and no empty one (a script is told across findings).
#[test]
fn combinations_are_told_across_findings() {
    let k = kaibo_core::knowledge::knowledge();
    assert!(!k.combinations.is_empty());
    for c in &k.combinations {
        assert!(c.all.len() >= 2 && c.all.iter().all(|g| !g.is_empty()), "{}", c.id);
        assert!(!c.all.iter().flatten().any(|id| *id == c.id), "{} names itself", c.id);
    }
}

#[test]
fn throwaway_sender_with_a_shortened_link() {
    let mail = "From: Offers <mq6gu0m76dmeoqu2beqq@example-mailer.com>\r\nTo: you@example.com\r\nSubject: hello\r\nContent-Type: text/html\r\n\r\n<p>See <a href=\"https://bit.ly/3xYz9Ab\">this</a>.</p>\r\n";
    let found = ids(mail);
    assert!(found.iter().any(|i| i == "sender.random_looking_address"), "{found:?}");
    assert!(found.iter().any(|i| i == "links.shortener"), "{found:?}");
    assert!(found.iter().any(|i| i == "sender.throwaway_with_hidden_link"), "{found:?}");
    let named = mail.replace("mq6gu0m76dmeoqu2beqq@", "offers@");
    assert!(!ids(&named).iter().any(|i| i == "sender.throwaway_with_hidden_link"));
}

#[test]
fn crypto_giveaway_and_money_behind_a_hidden_link() {
    let mail = "From: Airdrop Team <team@example-drop.com>\r\nTo: you@example.com\r\nSubject: Claim your tokens\r\nContent-Type: text/html\r\n\r\n<p>Join the airdrop! You have been selected: claim your reward at <a href=\"https://bit.ly/3xYz9Ab\">our page</a>.</p>\r\n";
    let found = ids(mail);
    assert!(found.iter().any(|i| i == "lure.crypto_giveaway"), "{found:?}");
    assert!(found.iter().any(|i| i == "lure.money_hidden_link"), "{found:?}");
    // The same mail with a plain link to the sender's own site hides nothing.
    let plain = mail.replace("https://bit.ly/3xYz9Ab", "https://example-drop.com/claim");
    let found = ids(&plain);
    assert!(found.iter().any(|i| i == "lure.crypto_giveaway"), "{found:?}");
    assert!(!found.iter().any(|i| i == "lure.money_hidden_link"), "{found:?}");
}

#[test]
fn dating_pitch_behind_a_hidden_link_and_hidden_padding() {
    let mail = "From: Dates <info@example-dates.com>\r\nTo: you@example.com\r\nSubject: Tonight\r\nContent-Type: text/html\r\n\r\n<p>Beautiful women near you want to meet you. <a href=\"https://meet.example-dates.xyz/p\">View my profile</a></p><div style=\"display:none\">weather garden river mountain breakfast</div>\r\n";
    let found = ids(mail);
    assert!(found.iter().any(|i| i == "lure.romance_hidden_link"), "{found:?}");
    assert!(found.iter().any(|i| i == "content.hidden_text_offer"), "{found:?}");
    let plain = mail
        .replace("https://meet.example-dates.xyz/p", "https://example-dates.com/p")
        .replace("<div style=\"display:none\">weather garden river mountain breakfast</div>", "");
    let found = ids(&plain);
    assert!(!found.iter().any(|i| i == "lure.romance_hidden_link"), "{found:?}");
    assert!(!found.iter().any(|i| i == "content.hidden_text_offer"), "{found:?}");
}

#[test]
fn a_mail_that_is_one_anonymous_picture() {
    let mail = "From: Deals <news@example-deals.com>\r\nTo: you@example.com\r\nSubject: For you\r\nContent-Type: text/html\r\n\r\n<a href=\"https://example-deals.com/go\"><img src=\"https://i.imgur.com/Zz9Yy8X.jpg\"></a>\r\n";
    let found = ids(mail);
    assert!(found.iter().any(|i| i == "content.anonymous_picture"), "{found:?}");
    let own = mail.replace("https://i.imgur.com/Zz9Yy8X.jpg", "https://example-deals.com/banner.jpg");
    assert!(!ids(&own).iter().any(|i| i == "content.anonymous_picture"));
}

#[test]
fn coins_waiting_behind_a_page_anyone_can_publish() {
    let mail = "From: Robert <robert.e1234@gmail.com>\r\nTo: you@example.com\r\nSubject: Confirm the receipt of virtual assets\r\n\r\nThe coin has been transmitted, have you received it?\r\nhttps://docs.google.com/drawings/d/1E-AgFS17Wy/preview\r\n";
    let found = ids(mail);
    assert!(found.iter().any(|i| i == "lure.crypto"), "{found:?}");
    assert!(found.iter().any(|i| i == "lure.money_hidden_link"), "{found:?}");
    let own_site = mail.replace("https://docs.google.com/drawings/d/1E-AgFS17Wy/preview", "");
    assert!(!ids(&own_site).iter().any(|i| i == "lure.money_hidden_link"));
}

#[test]
fn an_account_story_behind_a_link_that_goes_elsewhere() {
    let mail = |href: &str, text: &str| {
        format!(
            "From: Online Banking <service@bank-example.com>\r\nTo: you@example.com\r\nSubject: Account verification\r\nContent-Type: text/html\r\n\r\n<p>Please verify your account within 48 hours: <a href=\"{href}\">{text}</a></p>\r\n"
        )
    };
    let combined =
        |href: &str, text: &str| ids(&mail(href, text)).iter().any(|i| i == "lure.account_deceptive_link");
    assert!(
        combined("http://192.0.2.7/bank/login.php", "Sign in"),
        "{:?}",
        ids(&mail("http://192.0.2.7/bank/login.php", "Sign in"))
    );
    assert!(combined("http://verify.thief-example.ru/login", "https://www.bank-example.com/login"));
    // The same story linking to the site it names is the notice a bank sends.
    assert!(!combined("https://www.bank-example.com/login", "https://www.bank-example.com/login"));
    assert!(!combined("https://www.bank-example.com/login", "Sign in"));
}
