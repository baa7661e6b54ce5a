//! Sender and content patterns on mails written for this test: each pattern fires on the mail
//! that shows it and stays quiet on the same mail without it.

fn ids(mail: &str) -> Vec<String> {
    let a = kaibo_core::analyze(mail.as_bytes(), &kaibo_core::Options::default()).unwrap();
    a.findings.into_iter().map(|f| f.id).collect()
}

fn has(found: &[String], id: &str) -> bool {
    found.iter().any(|i| i == id)
}

#[test]
fn reply_to_another_mailbox_at_the_same_free_mail_provider() {
    let mail = "From: Jean Smith <jeansmith2028@gmail.com>\r\nReply-To: jeansmith2059@gmail.com\r\nTo: you@example.com\r\nSubject: Project\r\n\r\nGood day, would you be able to handle a project for us?\r\n";
    assert!(has(&ids(mail), "sender.reply_to_divergent"));
    // The same mailbox, or the same mailbox with a sub-address tag, is the sender itself.
    for same in ["JeanSmith2028@gmail.com", "jeansmith2028+replies@gmail.com"] {
        let m = mail.replace("jeansmith2059@gmail.com", same);
        assert!(!has(&ids(&m), "sender.reply_to_divergent"), "{same}");
    }
}

#[test]
fn pictures_from_a_free_image_host() {
    let mail = "From: Deals <news@shop-example.com>\r\nTo: you@example.com\r\nSubject: Today\r\nContent-Type: text/html\r\n\r\n<p><a href=\"https://shop-example.com/x\"><img src=\"https://i.imgur.com/AbCdEf1.png\"></a> Our offer for you this week.</p>\r\n";
    let a = kaibo_core::analyze(mail.as_bytes(), &kaibo_core::Options::default()).unwrap();
    let f = a.findings.iter().find(|f| f.id == "content.free_image_host").expect("free image host");
    assert!(
        f.evidence.iter().any(|e| e.source == "image host" && e.value == "imgur.com"),
        "{:?}",
        f.evidence
    );
    // The business's own pictures, or a member's upload on a mailing list, are not the pattern.
    let own = mail.replace("i.imgur.com/AbCdEf1.png", "shop-example.com/banner.png");
    assert!(!has(&ids(&own), "content.free_image_host"));
    let list = mail.replace("Subject: Today\r\n", "Subject: Today\r\nList-Id: <users.lists.example.org>\r\n");
    assert!(!has(&ids(&list), "content.free_image_host"));
    // A link to the host is not a picture loaded from it.
    let linked =
        mail.replace("<img src=\"https://i.imgur.com/AbCdEf1.png\">", "see https://imgur.com/gallery/x");
    assert!(!has(&ids(&linked), "content.free_image_host"));
}

#[test]
fn an_address_no_server_sends_from_is_a_malformed_sender() {
    let mail = "From: \"Wholesale Stores\" <reward@victim.example@host!>\r\nTo: you@example.com\r\nSubject: You have won\r\n\r\nAnswer and win.\r\n";
    assert!(has(&ids(mail), "sender.malformed_from"), "{:?}", ids(mail));
    let fine = mail.replace("reward@victim.example@host!", "reward@stores.example");
    assert!(!has(&ids(&fine), "sender.malformed_from"));
}

#[test]
fn an_address_no_mail_program_can_read_is_a_malformed_sender_not_a_missing_one() {
    let mail = "From: Ihre Chance!,(<noreply@parcel.example>)\r\nTo: you@example.com\r\nSubject: Gewinn\r\n\r\nJetzt gewinnen.\r\n";
    let found = ids(mail);
    assert!(has(&found, "sender.malformed_from"), "{found:?}");
    assert!(!has(&found, "sender.from_missing"), "{found:?}");
    // A From with no address at all is missing.
    let none = mail.replace("Ihre Chance!,(<noreply@parcel.example>)", "Ihre Chance!");
    assert!(has(&ids(&none), "sender.from_missing"));
}

#[test]
fn a_free_mail_sender_does_not_own_its_providers_hosting() {
    // gmail.com belongs to Google, but a gmail.com user is not Google: a Google Docs link from
    // them is a page anyone could publish.
    let mail = "From: someone <someone1234@gmail.com>\r\nTo: you@example.com\r\nSubject: hello\r\nContent-Type: text/html\r\n\r\n<p><a href=\"https://docs.google.com/forms/d/e/1FAIpQLSx/viewform\">Open</a></p>\r\n";
    assert!(has(&ids(mail), "links.cloud_hosted_page"), "{:?}", ids(mail));
    let google = mail.replace("someone1234@gmail.com", "forms-receipts@google.com");
    assert!(!has(&ids(&google), "links.cloud_hosted_page"));
}

#[test]
fn a_celebrity_in_the_senders_name() {
    let mail = "From: Advanced Energy by Elon Musk <promo@example-energy.com>\r\nTo: you@example.com\r\nSubject: The future\r\n\r\nRead about it.\r\n";
    assert!(has(&ids(mail), "sender.celebrity_name"));
    let plain = mail.replace(" by Elon Musk", "");
    assert!(!has(&ids(&plain), "sender.celebrity_name"));
}

#[test]
fn a_platform_notice_carrying_a_lure() {
    let mail = "From: Typeform Notifications <notifications@typeform.com>\r\nTo: you@example.com\r\nSubject: New response\r\n\r\nYou have earned a bonus: your balance is ready, withdraw your funds today.\r\n";
    let found = ids(mail);
    assert!(has(&found, "sender.relay_platform") && has(&found, "sender.relayed_lure"), "{found:?}");
    // An ordinary notice from the platform is only named as one.
    let plain = mail.replace(
        "You have earned a bonus: your balance is ready, withdraw your funds today.",
        "Someone answered your form.",
    );
    let found = ids(&plain);
    assert!(has(&found, "sender.relay_platform") && !has(&found, "sender.relayed_lure"), "{found:?}");
}

#[test]
fn a_disguised_brand_name_is_still_a_claim() {
    let mail = "From: \"_ U P S._\" <info@example-parcel.pro>\r\nTo: you@example.com\r\nSubject: Your parcel\r\n\r\nThe driver could not deliver your parcel.\r\n";
    let a = kaibo_core::analyze(mail.as_bytes(), &kaibo_core::Options::default()).unwrap();
    let f = a.findings.iter().find(|f| f.id == "sender.brand_impersonation").expect("brand claim");
    assert!(f.evidence.iter().any(|e| e.value.starts_with("UPS (written")), "{:?}", f.evidence);
    let plain = mail.replace("_ U P S._", "Parcel desk");
    assert!(!has(&ids(&plain), "sender.brand_impersonation"));
}

#[test]
fn a_legal_threat() {
    let mail = "From: Court Notice <notice@example-court.com>\r\nTo: you@example.com\r\nSubject: Urgente\r\n\r\nSegue abaixo uma carta de demanda: convocação para o tribunal e inclusão na lista negra.\r\n";
    assert!(has(&ids(mail), "lure.legal_threat"), "{:?}", ids(mail));
    let plain = mail.replace(
        "Segue abaixo uma carta de demanda: convocação para o tribunal e inclusão na lista negra.",
        "Segue abaixo a pauta da reunião.",
    );
    assert!(!has(&ids(&plain), "lure.legal_threat"));
}

#[test]
fn a_brand_notice_answering_to_another_domain_by_mailto() {
    let mail = "From: Account team <alerts@example-notice.com>\r\nTo: you@example.com\r\nSubject: Microsoft account unusual sign-in activity\r\nContent-Type: text/html\r\n\r\n<p>Microsoft account</p><p>Unusual sign-in activity. If this wasn't you, <a href=\"mailto:account_confirmation@example-report.online?subject=Report\">report the user</a>.</p>\r\n";
    let a = kaibo_core::analyze(mail.as_bytes(), &kaibo_core::Options::default()).unwrap();
    let f = a.findings.iter().find(|f| f.id == "content.brand_mismatch").expect("mailto mismatch");
    assert!(
        f.evidence
            .iter()
            .any(|e| e.source == "mailto" && e.value == "account_confirmation@example-report.online")
    );
    // A mailto: to the brand's own domain is not a mismatch.
    let own = mail.replace("account_confirmation@example-report.online", "account-security@microsoft.com");
    assert!(!has(&ids(&own), "content.brand_mismatch"));
}

#[test]
fn a_fake_celebrity_news_story() {
    let mail = "From: News <n@example-news.com>\r\nTo: you@example.com\r\nSubject: Career over?\r\n\r\nHe had no idea the camera was still rolling. The scandalous interview that threatens his career.\r\n";
    assert!(has(&ids(mail), "lure.fake_news"), "{:?}", ids(mail));
    let plain = mail.replace(
        "He had no idea the camera was still rolling. The scandalous interview that threatens his career.",
        "The interview is online.",
    );
    assert!(!has(&ids(&plain), "lure.fake_news"));
}

#[test]
fn one_phrase_can_tell_two_stories() {
    // "verify your wallet" is a verification request and a crypto story at once.
    let mail = "From: Meta Service <noreply@example-isp.es>\r\nTo: you@example.com\r\nSubject: New important update!\r\n\r\nPlease make sure to verify your wallet as soon as possible.\r\n";
    let found = ids(mail);
    for id in ["lure.account_verification", "lure.crypto", "lure.wallet_verification"] {
        assert!(has(&found, id), "{id}: {found:?}");
    }
}

#[test]
fn a_reservation_to_confirm_on_a_form() {
    let mail = "From: support <j.rodriguez@example-univ.ac.cr>\r\nTo: you@example.com\r\nSubject: Finish the process\r\n\r\nDear guest! Please confirm your reservation on https://forms.gle/swApmnQazhy2iu3y9 otherwise your reservation will be canceled.\r\n";
    let found = ids(mail);
    assert!(has(&found, "lure.account_verification") && has(&found, "links.cloud_hosted_page"), "{found:?}");
    assert!(has(&found, "lure.account_on_hosted_page"), "{found:?}");
    let own = mail.replace("https://forms.gle/swApmnQazhy2iu3y9", "https://example-univ.ac.cr/booking");
    assert!(!has(&ids(&own), "lure.account_on_hosted_page"));
}

#[test]
fn a_threat_behind_a_hidden_link() {
    let mail = "From: Tribunal <notice@example-court.com>\r\nTo: you@example.com\r\nSubject: Intimação\r\nContent-Type: text/html\r\n\r\n<p>INTIMAÇÃO ELETRÔNICA: processo em seu nome. <a href=\"https://docs.example-files.xyz/p\">Ver processo</a></p>\r\n";
    let found = ids(mail);
    assert!(has(&found, "lure.legal_threat") && has(&found, "lure.threat_hidden_link"), "{found:?}");
    let own = mail.replace("https://docs.example-files.xyz/p", "https://example-court.com/p");
    assert!(!has(&ids(&own), "lure.threat_hidden_link"));
}

#[test]
fn words_joined_by_underscores_in_the_subject_are_still_words() {
    let mail = "From: Louann <louann1234@gmail.com>\r\nTo: you@example.com\r\nSubject: Your_transaction_0.7495_Bitcoin_\r\n\r\nWhen you get your money.\r\n";
    assert!(has(&ids(mail), "lure.crypto"), "{:?}", ids(mail));
    // One underscore is an identifier, not a disguise.
    let one = mail.replace("Your_transaction_0.7495_Bitcoin_", "report_Bitcoin");
    assert!(!has(&ids(&one), "lure.crypto"));
}

#[test]
fn a_mail_that_vouches_for_itself() {
    let mail = "From: Pakket <info@example-parcel.nl>\r\nTo: you@example.com\r\nSubject: Levering\r\n\r\nThis message is from a trusted sender.\r\nUw pakket wacht op bezorging.\r\n";
    assert!(has(&ids(mail), "lure.fake_safety_banner"), "{:?}", ids(mail));
    // Asking to be added to the reader's trusted senders is ordinary newsletter furniture.
    let newsletter = mail.replace(
        "This message is from a trusted sender.",
        "Add us as a trusted sender to keep receiving our news.",
    );
    assert!(!has(&ids(&newsletter), "lure.fake_safety_banner"));
}

#[test]
fn a_brand_name_that_is_also_a_word_counts_in_the_senders_name() {
    let mail = "From: Correos <alert@example-univ.edu>\r\nTo: you@example.com\r\nSubject: Tercer intento fallido\r\n\r\nSu paquete no pudo ser entregado.\r\n";
    assert!(has(&ids(mail), "sender.brand_impersonation"), "{:?}", ids(mail));
    // In the text the same word is only a word.
    let text = mail
        .replace("From: Correos <", "From: Soporte <")
        .replace("Su paquete", "Le enviamos correos: su paquete");
    assert!(!has(&ids(&text), "sender.brand_impersonation"));
    assert!(!has(&ids(&text), "content.brand_mismatch"));
}

#[test]
fn a_lure_story_in_the_display_name_is_a_pitch() {
    let mail = "From: Oekraïense Meisjes <info@mail.dating-example.com>\r\nTo: you@example.com\r\nSubject: Vandaag\r\n\r\nHallo, er is nieuws voor je.\r\n";
    let a = kaibo_core::analyze(mail.as_bytes(), &kaibo_core::Options::default()).unwrap();
    let f = a.findings.iter().find(|f| f.id == "sender.pitch_name").expect("pitch in the name");
    assert_eq!(f.evidence[0].value, "Oekraïense Meisjes");
    assert!(f.evidence.iter().any(|e| e.source == "stories" && e.value == "romance"), "{:?}", f.evidence);
    // A person's or a company's name is not a pitch; nor is a push alone ("Act now" is the
    // exclaiming-name check's business).
    for name in ["Anna de Vries", "Acme Logistics", "Act now"] {
        let m = mail.replace("Oekraïense Meisjes", name);
        assert!(!has(&ids(&m), "sender.pitch_name"), "{name}");
    }
    // A trade named in the sender's own domain is the sender naming itself.
    let own = mail
        .replace("Oekraïense Meisjes", "Casino Royal")
        .replace("mail.dating-example.com", "casinoroyal.example");
    assert!(!has(&ids(&own), "sender.pitch_name"));
    let elsewhere = own.replace("casinoroyal.example", "mail.offers-example.com");
    assert!(has(&ids(&elsewhere), "sender.pitch_name"));
}

#[test]
fn a_sensational_story_about_a_famous_name_is_a_celebrity_scam() {
    let mail = "From: Nieuws <info@news-example.com>\r\nTo: you@example.com\r\nSubject: The interview that shocked the nation\r\n\r\nGünther Jauch did not know the camera was still on when he revealed where his money comes from.\r\n";
    let found = ids(mail);
    assert!(has(&found, "lure.fake_news"), "{found:?}");
    assert!(has(&found, "lure.celebrity_story"), "{found:?}");
    // The same story about nobody in particular is only the story.
    let anonymous = mail.replace("Günther Jauch", "A presenter");
    let found = ids(&anonymous);
    assert!(has(&found, "lure.fake_news") && !has(&found, "lure.celebrity_story"), "{found:?}");
    // A famous name in ordinary news is not the scam.
    let news = mail
        .replace("The interview that shocked the nation", "Saturday's show")
        .replace("did not know the camera was still on when he revealed", "explained");
    assert!(!has(&ids(&news), "lure.celebrity_story"));
}

#[test]
fn a_forwards_subject_claims_a_brand_for_the_original_sender() {
    let mail = "From: Reporter <reporter@corp.example>\r\nTo: abuse@corp.example\r\nSubject: Fw: Microsoft_unusual signin activity\r\n\r\nDe: Security-Notice. <newsletters@magazine-example.com>\r\nEnviado: terça-feira, 14 de fevereiro de 2023 12:49\r\nPara: reporter@corp.example\r\nAssunto: Microsoft_unusual signin activity\r\n\r\nReport User\r\n";
    let a = kaibo_core::analyze(mail.as_bytes(), &kaibo_core::Options::default()).unwrap();
    let f = a.findings.iter().find(|f| f.id == "sender.brand_impersonation").expect("brand claim");
    assert!(f.evidence.iter().any(|e| e.source == "forwarded From"), "{:?}", f.evidence);
    assert!(!f.evidence.iter().any(|e| e.source == "header:From"), "{:?}", f.evidence);
    // Microsoft's own mail, forwarded, claims nothing false.
    let own = mail.replace(
        "newsletters@magazine-example.com",
        "account-security-noreply@accountprotection.microsoft.com",
    );
    assert!(!has(&ids(&own), "sender.brand_impersonation"));
}

#[test]
fn a_weak_lure_phrase_counts_only_in_company() {
    let mail = "From: Investor Relations <ir@corp-example.com>\r\nTo: you@example.com\r\nSubject: Quarterly results\r\n\r\nDear investor, our quarterly results are online.\r\n";
    assert!(!has(&ids(mail), "lure.advance_fee"), "{:?}", ids(mail));
    // Beside a phrase that tells the story, or another of its ordinary words, it is the story.
    let strong = mail.replace("are online", "name you as next of kin");
    assert!(has(&ids(&strong), "lure.advance_fee"), "{:?}", ids(&strong));
    let two_weak = mail.replace("are online", "concern an inheritance");
    assert!(has(&ids(&two_weak), "lure.advance_fee"), "{:?}", ids(&two_weak));
}

#[test]
fn a_replys_attribution_line_is_no_greeting_by_address() {
    let mail = "From: Bob <bob@example.org>\r\nTo: ann@example.net\r\nSubject: Re: lunch\r\n\r\nOn Mon, Apr 16, 2007, Ann <ann@example.net> wrote:\r\n> Lunch on Friday?\r\n\r\nFriday is fine.\r\n";
    assert!(!has(&ids(mail), "content.recipient_address_greeting"), "{:?}", ids(mail));
    let greeting =
        mail.replace("On Mon, Apr 16, 2007, Ann <ann@example.net> wrote:", "Dear ann@example.net,");
    assert!(has(&ids(&greeting), "content.recipient_address_greeting"), "{:?}", ids(&greeting));
}

#[test]
fn a_form_that_asks_for_several_things_elsewhere_is_a_harvesting_form() {
    let form = |action: &str, fields: &str| {
        format!(
            "From: Bank <service@bank-example.com>\r\nTo: you@example.com\r\nSubject: Update\r\nContent-Type: text/html\r\n\r\n<form action=\"{action}\" method=\"post\">{fields}<input type=\"hidden\" name=\"t\" value=\"1\"><input type=\"submit\" value=\"Send\"></form>\r\n"
        )
    };
    let two = "<input type=\"text\" name=\"card\"><input name=\"pin\">";
    let collector = "https://collect.thief-example.ru/p.php";
    assert!(has(&ids(&form(collector, two)), "content.html_form"));
    // A password alone is enough.
    assert!(has(&ids(&form(collector, "<input type=\"password\" name=\"p\">")), "content.html_form"));
    // One field is a search box or a sign-up; answers sent to the From domain go where the
    // mail says it comes from.
    assert!(!has(&ids(&form(collector, "<input type=\"text\" name=\"q\">")), "content.html_form"));
    assert!(!has(&ids(&form("https://www.bank-example.com/survey", two)), "content.html_form"));
}

#[test]
fn a_redirect_that_lands_where_its_text_says_is_no_mismatch() {
    let mail = |href: &str, text: &str| {
        format!(
            "From: News <news@org-example.org>\r\nTo: you@example.com\r\nSubject: This week\r\nContent-Type: text/html\r\n\r\n<p>Read more at <a href=\"{href}\">{text}</a>.</p>\r\n"
        )
    };
    let mismatch = |href: &str, text: &str| has(&ids(&mail(href, text)), "links.display_mismatch");
    assert!(mismatch("https://track.other-example.net/r?id=1", "www.town-example.gov"));
    // The redirect's query carries the site shown.
    assert!(!mismatch(
        "https://track.other-example.net/r?id=1&url=https%3A%2F%2Fwww.town-example.gov%2Fnews",
        "www.town-example.gov"
    ));
    // A gateway defused the link: what is shown is no longer a host.
    assert!(!mismatch("https://track.other-example.net/r?id=1", "lists.town-example.noclick_gov"));
    // Click tracking through a bulk-mail service, showing no brand's domain.
    assert!(!mismatch("https://click.mlsend.com/link/c/abc", "www.org-example.org"));
    // A brand's domain shown over a tracker is still a mismatch, and so is a brand's domain
    // tucked into the query of a link that goes elsewhere.
    assert!(mismatch("https://click.mlsend.com/link/c/abc", "www.paypal.com"));
    assert!(mismatch("https://login.thief-example.ru/x?r=https%3A%2F%2Fwww.paypal.com", "www.paypal.com"));
}

#[test]
fn a_hosted_page_cited_among_many_links_is_no_lure() {
    let only = "From: someone <someone1234@gmail.com>\r\nTo: you@example.com\r\nSubject: hello\r\n\r\nSee https://storage.googleapis.com/bucket-x/page.html\r\n";
    assert!(has(&ids(only), "links.cloud_hosted_page"), "{:?}", ids(only));
    let digest = only.replace(
        "See ",
        "Links this week: https://a-example.com/1 https://b-example.org/2 https://c-example.net/3 and ",
    );
    assert!(!has(&ids(&digest), "links.cloud_hosted_page"), "{:?}", ids(&digest));
}

#[test]
fn a_follow_button_in_the_footer_claims_no_brand() {
    let mail = "From: Garden Club <news@example-garden.org>\r\nTo: you@example.com\r\nSubject: October news\r\nContent-Type: text/html\r\n\r\n<p>Dear members, the autumn walk is on Saturday.</p><p>See the programme on our site.</p><p><a href=\"https://go.example-garden.org/r/1\">Facebook</a> <a href=\"https://go.example-garden.org/r/2\">Twitter</a></p>\r\n";
    assert!(!has(&ids(mail), "content.brand_mismatch"), "{:?}", ids(mail));
    // The same brand signed as text, not as a button, is still a claim the links do not keep.
    let signed =
        mail.replace("<a href=\"https://go.example-garden.org/r/1\">Facebook</a>", "Facebook Security Team");
    assert!(has(&ids(&signed), "content.brand_mismatch"), "{:?}", ids(&signed));
}

#[test]
fn a_lure_phrase_in_the_sentence_that_offers_to_unsubscribe_is_a_footer() {
    let mail = "From: News <news@campaign.example>\r\nTo: you@example.com\r\nSubject: This week\r\n\r\nOur volunteers met 200 voters this week.\r\nClick here if you want to update your information or unsubscribe.\r\n";
    assert!(!has(&ids(mail), "lure.account_verification"), "{:?}", ids(mail));
    // The same words as a request of their own are the story.
    let asked = mail.replace(
        "Click here if you want to update your information or unsubscribe.",
        "Please update your information today.",
    );
    assert!(has(&ids(&asked), "lure.account_verification"), "{:?}", ids(&asked));
}

#[test]
fn a_balance_or_a_refund_is_no_story_on_its_own() {
    // A broker's deposit notice: speaking of the balance is what such a notice does.
    let notice = "From: Broker <info@broker.example.co.jp>\r\nTo: you@example.jp\r\nSubject: =?UTF-8?B?5YWl6YeR44Gu44GK55+l44KJ44Gb?=\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n以下の入金を確認いたしました。口座残高はお客様専用ページでご確認ください。\r\n";
    assert!(!has(&ids(notice), "lure.money_waiting"));
    let english = "From: Bank <alerts@bank.example.com>\r\nTo: you@example.com\r\nSubject: Statement\r\n\r\nYour statement is ready. Your balance is shown in online banking.\r\n";
    assert!(!has(&ids(english), "lure.money_waiting"));
    // Beside money said to be waiting, the balance counts: it is evidence of the same story.
    let lure =
        english.replace("Your statement is ready.", "Funds have been released for you: pending withdrawal.");
    let a = kaibo_core::analyze(lure.as_bytes(), &kaibo_core::Options::default()).unwrap();
    let f = a.findings.iter().find(|f| f.id == "lure.money_waiting").expect("lure.money_waiting");
    assert!(f.evidence.iter().any(|e| e.value.contains("Your balance")), "{:?}", f.evidence);
}

#[test]
fn a_failing_spf_counts_only_where_dmarc_did_not_pass() {
    let mail = |dmarc: &str| {
        format!(
            "Authentication-Results: mx.example.net; spf=softfail smtp.mailfrom=news@shop.example.com; dkim=pass header.d=shop.example.com; dmarc={dmarc} header.from=shop.example.com\r\nFrom: Shop <news@shop.example.com>\r\nTo: you@example.net\r\nSubject: News\r\n\r\nOur autumn news.\r\n"
        )
    };
    // Forwarded on: SPF sees the forwarder's address, the aligned signature still proves the sender.
    let passed = ids(&mail("pass"));
    assert!(has(&passed, "auth.dmarc_pass"), "{passed:?}");
    assert!(!has(&passed, "auth.spf_softfail"), "{passed:?}");
    assert!(has(&ids(&mail("none")), "auth.spf_softfail"));
}
