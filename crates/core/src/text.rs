//! Text the reader sees, cleaned for matching: invisible characters removed and counted.
//!
//! Zero-width and formatting characters render as nothing, so a reader sees "アカウント" where a
//! filter sees "アカ\u{2061}ウント". kaibo matches phrases on the text without them, and reports
//! the ones slipped *between letters*, which ordinary text never needs (emoji sequences, Persian
//! and Indic joiners and soft hyphens are left alone).

/// The first `max_chars` characters of `text`, borrowed: checks read the head of long texts
/// without copying it.
pub fn head(text: &str, max_chars: usize) -> &str {
    // No more bytes than characters wanted, or ASCII all the way: no need to count characters.
    if text.len() <= max_chars {
        return text;
    }
    if text.as_bytes()[..max_chars].is_ascii() {
        return &text[..max_chars];
    }
    text.char_indices().nth(max_chars).map_or(text, |(i, _)| &text[..i])
}

/// The lines of a text that are not quoted (`>`): in a reply, the quoted lines are someone
/// else's words.
pub fn own_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().filter(|l| !l.trim_start().starts_with('>'))
}

/// The mail addresses written in a text, in order, without the punctuation around them
/// (`<x@y>`, `(x@y)`, `mailto:x@y`).
pub fn addresses_in(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| {
        c.is_whitespace() || matches!(c, '(' | ')' | '<' | '>' | '[' | ']' | '"' | ',' | ';' | ':')
    })
    .map(|t| t.trim_matches(|c: char| !c.is_alphanumeric()))
    .filter(|t| t.contains('@') && t.rsplit('@').next().is_some_and(|d| d.contains('.')))
}

/// Characters that render as nothing.
#[inline]
pub fn is_invisible(c: char) -> bool {
    // Every invisible character is above U+00AC: one comparison for ASCII and most Latin-1.
    if (c as u32) < 0xad {
        return false;
    }
    matches!(c as u32,
        0x200b..=0x200f | 0x202a..=0x202e | 0x2060..=0x2064 | 0x2066..=0x206f | 0xfeff | 0x180e
        | 0xfe00..=0xfe0f | 0xad | 0x034f | 0x115f | 0x1160 | 0x3164 | 0xffa0 | 0xe0000..=0xe007f)
}

/// Joiners and soft hyphens have legitimate uses between letters.
fn legit_between_letters(c: char) -> bool {
    matches!(c, '\u{200c}' | '\u{200d}' | '\u{ad}')
}

/// Invisible characters found between letters, with a sample of where.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Invisible {
    pub count: usize,
    /// The first word they were found in, with each invisible character shown as `[U+XXXX]`.
    pub sample: Option<String>,
}

/// Removes invisible characters from `text`; counts those slipped between two letters.
pub fn strip_invisible(text: &str) -> (String, Invisible) {
    if text.is_ascii() || !text.chars().any(is_invisible) {
        return (text.to_string(), Invisible::default());
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut found = Invisible::default();
    for (i, &c) in chars.iter().enumerate() {
        if !is_invisible(c) {
            out.push(c);
            continue;
        }
        if legit_between_letters(c) {
            continue;
        }
        let before = chars[..i].iter().rev().find(|c| !is_invisible(**c));
        let after = chars[i + 1..].iter().find(|c| !is_invisible(**c));
        if before.is_some_and(|c| c.is_alphabetic()) && after.is_some_and(|c| c.is_alphabetic()) {
            found.count += 1;
            if found.sample.is_none() {
                let start = chars[..i].iter().rposition(|c| c.is_whitespace()).map_or(0, |p| p + 1);
                let end = chars[i..].iter().position(|c| c.is_whitespace()).map_or(chars.len(), |p| i + p);
                let word: String = chars[start..end]
                    .iter()
                    .take(40)
                    .map(|&c| if is_invisible(c) { format!("[U+{:04X}]", c as u32) } else { c.to_string() })
                    .collect();
                found.sample = Some(word);
            }
        }
    }
    (out, found)
}

/// `ja` when the text has Japanese kana, `en` when it reads as English, else none.
pub fn language(subject: &str, text: &str) -> Option<&'static str> {
    // Read in place, without copying the sample: this runs on every mail.
    let sample = || subject.chars().chain(std::iter::once(' ')).chain(text.chars().take(4000));
    if sample().filter(|c| matches!(*c as u32, 0x3040..=0x30ff)).nth(4).is_some() {
        return Some("ja");
    }
    let mut english = 0;
    // The current ASCII word, lower-cased; only words of six letters or fewer can match.
    let mut word = [0u8; 6];
    let mut len = 0;
    for c in sample().chain(std::iter::once(' ')) {
        if c.is_ascii_alphabetic() {
            if let Some(slot) = word.get_mut(len) {
                *slot = c.to_ascii_lowercase() as u8;
            }
            len += 1;
            continue;
        }
        if len <= word.len()
            && matches!(
                &word[..len],
                b"the" | b"and" | b"you" | b"your" | b"to" | b"of" | b"is" | b"for" | b"please"
            )
        {
            english += 1;
        }
        len = 0;
    }
    (english >= 3).then_some("en")
}

/// The confusable skeleton (UTS #39) of a text (a domain's Unicode form): two look-alikes
/// have the same one.
pub fn skeleton(text: &str) -> String {
    unicode_security::skeleton(&text.to_lowercase()).collect::<String>().to_lowercase()
}

/// `s` cut to its first `max_chars` characters, with `…` when cut.
pub fn clip(s: &str, max_chars: usize) -> String {
    match s.char_indices().nth(max_chars) {
        Some((end, _)) => format!("{}…", &s[..end]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_japanese_and_english() {
        assert_eq!(language("お知らせ", "ご確認ください"), Some("ja"));
        assert_eq!(language("Your account", "Please verify the details of your payment."), Some("en"));
        // Words are whole: "theory", "island" and "Tofu" are not "the", "is" and "to".
        assert_eq!(language("Theory", "island Tofu yourself"), None);
        assert_eq!(language("", "THE AND YOU"), Some("en"));
        assert_eq!(language("", ""), None);
    }

    #[test]
    fn finds_addresses() {
        let found: Vec<&str> =
            addresses_in("Ann (ann@x.example) wrote to <bob@y.example>, mailto:c@z.example; not@home")
                .collect();
        assert_eq!(found, vec!["ann@x.example", "bob@y.example", "c@z.example"]);
    }

    #[test]
    fn strips_and_counts_only_between_letters() {
        let (clean, inv) = strip_invisible("【コインチ\u{2061}ェック株\u{2061}式会社】お知ら\u{fe09}せ");
        assert_eq!(clean, "【コインチェック株式会社】お知らせ");
        assert_eq!(inv.count, 3);
        assert_eq!(inv.sample.as_deref(), Some("【コインチ[U+2061]ェック株[U+2061]式会社】お知ら[U+FE09]せ"));
        // Emoji variation selectors and joiners, soft hyphens: not counted.
        let (_, inv) =
            strip_invisible("I \u{2764}\u{fe0f} it \u{1f468}\u{200d}\u{1f469} Zusammen\u{ad}arbeit");
        assert_eq!(inv.count, 0);
        assert_eq!(strip_invisible("plain").0, "plain");
    }

    #[test]
    fn head_cuts_on_a_character_boundary() {
        assert_eq!(head("未配信メッセージ", 3), "未配信");
        assert_eq!(head("abcdef", 3), "abc");
        assert_eq!(head("ab未配信", 3), "ab未");
        assert_eq!(head("未", 2), "未");
        assert_eq!(head("short", 10), "short");
        assert_eq!(head("", 3), "");
    }
}
