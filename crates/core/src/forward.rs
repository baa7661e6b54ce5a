//! Mail forwarded *inline*: the original's header block quoted at the top of the text
//! ("From: … Sent: … Subject: …", "De: … Enviado: … Assunto: …"). Reporters forward phishing
//! this way as often as as an attachment; the original sender is then only in the text, and the
//! outer mail's authentication belongs to the forwarder.

use crate::knowledge::ForwardVocabulary;
use crate::mail::domain_of;
use kaibo_model::Mailbox;

/// The quoted header block of an inline-forwarded mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineForward {
    pub from: Mailbox,
    pub subject: Option<String>,
    /// The `From:` line as quoted.
    pub from_line: String,
}

/// Finds the quoted header block near the top of `text`, when the subject or a marker says the
/// mail is a forward.
pub fn find(subject: &str, text: &str, vocab: &ForwardVocabulary) -> Option<InlineForward> {
    let head = crate::text::head(text, 1500);
    let lower = head.to_lowercase();
    let subj = subject.trim_start().to_lowercase();
    let fw_subject = vocab.subject_prefixes.iter().any(|p| subj.starts_with(p.as_str()));
    if !fw_subject && !vocab.markers.iter().any(|m| lower.contains(m.as_str())) {
        return None;
    }
    // The From label must start a line or follow a separator, and a date/recipient label must
    // follow it: that pair is what a quoted header block looks like.
    let (from_at, label) = vocab
        .from_labels
        .iter()
        .filter_map(|l| {
            lower
                .match_indices(l)
                .find(|(i, _)| *i == 0 || lower[..*i].ends_with(['\n', ' ', '*', '>']))
                .map(|(i, _)| (i, l.as_str()))
        })
        .min_by_key(|(i, _)| *i)?;
    let value_start = from_at + label.len();
    let rest = &lower[value_start..];
    let value_end = vocab
        .date_labels
        .iter()
        .filter_map(|l| rest.find(l.as_str()))
        .min()
        .unwrap_or_else(|| rest.find('\n').unwrap_or(rest.len()))
        .min(300);
    // At most 300 bytes, on a character boundary (of the text the value is cut from).
    // Indices in `lower` are indices in `head` only when lower-casing kept byte lengths, and
    // even then only where they fall on one of `head`'s character boundaries.
    let original = head.get(value_start..).filter(|_| lower.len() == head.len()).unwrap_or(rest);
    let original = &original[..original.floor_char_boundary(value_end)];
    let from_line = original.trim().trim_matches('*').trim().to_string();
    let from = mailbox_of(&from_line)?;
    let subject = vocab.subject_labels.iter().find_map(|l| {
        let i = lower.find(l.as_str())?;
        let s = i + l.len();
        let src = head.get(s..).filter(|_| lower.len() == head.len()).unwrap_or(&lower[s..]);
        let end = src.floor_char_boundary(src.find('\n').unwrap_or(src.len()).min(200));
        Some(src[..end].trim().to_string()).filter(|s| !s.is_empty())
    });
    Some(InlineForward { from, subject, from_line })
}

/// `Name <addr>`, `"Name" [mailto:addr]` or a bare address.
fn mailbox_of(s: &str) -> Option<Mailbox> {
    let addr_token = s
        .split(|c: char| {
            c.is_whitespace() || matches!(c, '<' | '>' | '[' | ']' | '(' | ')' | '"' | ';' | ',')
        })
        .map(|t| t.trim_start_matches("mailto:"))
        .find(|t| t.contains('@') && t.contains('.'))?;
    let address = addr_token.trim_matches(|c: char| !c.is_alphanumeric()).to_string();
    let name_end = s.find(addr_token).unwrap_or(0);
    let name = s[..name_end].trim().trim_end_matches(['<', '[', '(']).trim().trim_matches(['"', '*', ' ']);
    let domain = domain_of(&address);
    Some(Mailbox { name: (!name.is_empty()).then(|| name.to_string()), address: Some(address), domain })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(subject: &str, text: &str) -> Option<InlineForward> {
        super::find(subject, text, &crate::knowledge::knowledge().vocab.forward)
    }

    #[test]
    fn finds_quoted_headers_in_several_languages() {
        let pt = find(
            "Fw: FOR YOU COUPON",
            "De: *VlAGRAandClALlS ONLINE* <Jamie0147625s@levenlerenwerken.nl> Enviado: segunda-feira, 27 de fevereiro de 2023 05:11 Para: x@hotmail.com Assunto: FOR YOU COUPON\nbody",
        )
        .unwrap();
        assert_eq!(pt.from.address.as_deref(), Some("Jamie0147625s@levenlerenwerken.nl"));
        assert_eq!(pt.from.name.as_deref(), Some("VlAGRAandClALlS ONLINE"));
        let en = find(
            "FW: invoice",
            "See below\n\n-----Original Message-----\nFrom: PayPal Billing <billing@paypa1-secure.example>\nSent: Monday\nTo: me\nSubject: Your invoice\n",
        )
        .unwrap();
        assert_eq!(en.from.domain.as_deref(), Some("paypa1-secure.example"));
        assert_eq!(en.from.name.as_deref(), Some("PayPal Billing"));
        assert_eq!(en.subject.as_deref(), Some("Your invoice"));
        assert!(find("Meeting", "From: a@b.example\nSent: now").is_none());
    }

    #[test]
    fn cuts_fall_on_character_boundaries() {
        // The From value is cut at 300 bytes and the subject at 200: here both fall inside a
        // three-byte character (a fuzzer found the panic).
        let name = format!("{}あいうえお", "a".repeat(298));
        let subject = format!("{}かきくけこ", "s".repeat(199));
        let text = format!(
            "-----Original Message-----\nFrom: {name} <x@example.com>\nSubject: {subject}\nSent: now\n"
        );
        let _ = find("FW: x", &text);
        // Lower-casing that changes byte lengths ('İ' is two bytes, its lower case three).
        let text = format!(
            "-----Original Message-----\nFrom: {}İ{name} <x@example.com>\nSent: now\nSubject: {subject}\n",
            "İ".repeat(50)
        );
        let _ = find("FW: x", &text);
    }
}
