//! The MIME parser (mail-parser), set up once for every mail kaibo reads.

use mail_parser::MessageParser;

/// The MIME parser, built once: its header table is the same for every mail.
///
/// Structured headers are parsed as mail-parser's default does. Every other header (the long
/// `X-`, `ARC-`, `DKIM-Signature` and antispam headers that make up most of a header block) is
/// only skipped by the parser: `mail::extract` reads its text from the raw bytes once, where the
/// default would decode it into a string kaibo then copied again.
pub fn parser() -> &'static MessageParser {
    use mail_parser::HeaderName as H;
    static PARSER: std::sync::OnceLock<MessageParser> = std::sync::OnceLock::new();
    PARSER.get_or_init(|| {
        let mut p = MessageParser::new()
            .with_mime_headers()
            .with_date_headers()
            .with_address_headers()
            .with_message_ids()
            .header_text(H::Subject)
            .header_text(H::Comments)
            .header_id(H::ReturnPath)
            .header_comma_separated(H::Keywords)
            .header_comma_separated(H::ContentLanguage)
            .header_received(H::Received)
            .header_raw(H::MimeVersion);
        for list in [
            H::ListArchive,
            H::ListHelp,
            H::ListId,
            H::ListOwner,
            H::ListPost,
            H::ListSubscribe,
            H::ListUnsubscribe,
        ] {
            p = p.header_address(list);
        }
        p.default_header_ignore()
    })
}
