//! Answering the person who reported a mail (off unless configured).
//!
//! A short mail in the reporter's language: thanks, the verdict with its one-line reason, what
//! to do if they clicked, and the analysis page when `kaibo serve` has a public URL. Sent over
//! SMTP submission (`smtps://` or `smtp://` with STARTTLS; plain `smtp://` only to loopback).
//!
//! It goes only to a reporter who is **authenticated**: the reporting mail passed DMARC for the
//! reporter's domain (the receiving server's topmost `Authentication-Results`), or the domain is
//! in `allowed_domains`. Never to the analysed mail's sender, so a phishing mail that lands in
//! the mailbox directly gets no answer. At most `per_hour` replies per reporter, and at most one
//! per reported mail: the reply is claimed in the database before it is sent, so a crash never
//! sends it twice (it may then not be sent at all, which is the safe side).

use kaibo_model::{Analysis, Verdict};
use kaibo_store::Store;

/// The `[reply]` settings.
#[derive(Debug, Clone)]
pub struct ReplyOptions {
    /// `smtps://HOST[:PORT]` or `smtp://HOST[:PORT]`.
    pub smtp: String,
    /// The reply's From, e.g. `kaibo <phish-report@corp.example>`.
    pub from: String,
    pub user: Option<String>,
    pub password: Option<String>,
    /// Reporters at these domains are answered even without a DMARC pass.
    pub allowed_domains: Vec<String>,
    pub per_hour: usize,
    /// `kaibo serve`'s public address, for a link to the analysis.
    pub serve_url: Option<String>,
}

/// Whether the reporting mail's own sender is proven: DMARC passed for its domain in the first
/// `Authentication-Results` field of the raw mail, or the domain is allowed outright.
pub fn reporter_authenticated(raw: &[u8], reporter: &str, allowed: &[String]) -> bool {
    let Some((_, domain)) = reporter.rsplit_once('@') else { return false };
    let domain = domain.to_ascii_lowercase();
    if allowed.iter().any(|a| a.eq_ignore_ascii_case(&domain)) {
        return true;
    }
    let head_end = memchr_blank_line(raw).unwrap_or(raw.len());
    let head = String::from_utf8_lossy(&raw[..head_end]);
    // The header block unfolded; the first Authentication-Results is the receiving server's.
    let unfolded = head.replace("\r\n", "\n").replace("\n\t", " ").replace("\n ", " ");
    let Some(ar) = unfolded
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("authentication-results:"))
        .map(str::to_ascii_lowercase)
    else {
        return false;
    };
    ar.contains("dmarc=pass") && ar.contains(&format!("header.from={domain}"))
}

fn memchr_blank_line(raw: &[u8]) -> Option<usize> {
    raw.windows(4).position(|w| w == b"\r\n\r\n").or_else(|| raw.windows(2).position(|w| w == b"\n\n"))
}

/// The reporter's language: that of the forward's subject (the words the reporter wrote), or of
/// the mail itself when it was not forwarded as an attachment.
fn japanese(a: &Analysis) -> bool {
    let cjk = |s: &str| s.chars().any(|c| matches!(c as u32, 0x3040..=0x30ff | 0x4e00..=0x9fff));
    match a.analysed.wrapper_subject.as_deref() {
        Some(subject) => cjk(subject),
        None => a.message.language.as_deref() == Some("ja"),
    }
}

/// The reply's subject and text.
pub fn compose(a: &Analysis, id: &str, serve_url: Option<&str>) -> (String, String) {
    let ja = japanese(a);
    let subject =
        a.analysed.wrapper_subject.clone().or_else(|| a.message.subject.clone()).unwrap_or_default();
    let reason = a
        .findings
        .iter()
        .filter(|f| f.scored && f.weight > 0)
        .max_by_key(|f| f.weight)
        .map(|f| if ja { f.explanation.ja.clone() } else { f.explanation.en.clone() })
        .unwrap_or_default();
    let link = serve_url.map(|u| format!("{}/analyses/{id}", u.trim_end_matches('/')));
    let text = if ja {
        let verdict = match a.verdict {
            Verdict::Phishing => "フィッシング",
            Verdict::Suspicious => "不審",
            Verdict::Clean => "問題は見つかりませんでした",
        };
        let mut t = format!(
            "不審なメールのご報告ありがとうございます。\n\n判定: {verdict}(スコア {})\n理由: {reason}\n\n",
            a.score
        );
        if a.verdict != Verdict::Clean {
            t.push_str("このメールのリンクを開いたり、パスワードなどを入力したりした場合は、すぐにパスワードを変更し、情報システム担当者に連絡してください。メールは削除してかまいません。\n");
        } else {
            t.push_str("自動判定で問題は見つかりませんでしたが、不安な場合は情報システム担当者に確認してください。\n");
        }
        if let Some(l) = link {
            t.push_str(&format!("\n解析結果: {l}\n"));
        }
        t
    } else {
        let verdict = match a.verdict {
            Verdict::Phishing => "phishing",
            Verdict::Suspicious => "suspicious",
            Verdict::Clean => "no sign of phishing found",
        };
        let mut t = format!(
            "Thank you for reporting this mail.\n\nVerdict: {verdict} (score {})\nWhy: {reason}\n\n",
            a.score
        );
        if a.verdict != Verdict::Clean {
            t.push_str("If you opened a link in it or typed a password or other details, change that password now and tell your IT team. You can delete the mail.\n");
        } else {
            t.push_str("The automatic check found nothing wrong; if you are unsure, ask your IT team.\n");
        }
        if let Some(l) = link {
            t.push_str(&format!("\nThe analysis: {l}\n"));
        }
        t
    };
    (format!("Re: {subject}"), text)
}

/// Answers the reporter of one mail, when the rules allow; returns what happened.
pub fn answer(
    store: &dyn Store,
    opts: &ReplyOptions,
    raw: &[u8],
    sha256: &str,
    analysis: &Analysis,
    id: &str,
    reporter: Option<&str>,
) -> String {
    let Some(reporter) = reporter.filter(|r| r.contains('@')) else { return "skipped: no reporter".into() };
    if analysis.message.from.address.as_deref().is_some_and(|s| s.eq_ignore_ascii_case(reporter)) {
        return "skipped: the reporter is the analysed mail's sender".into();
    }
    if !reporter_authenticated(raw, reporter, &opts.allowed_domains) {
        return "skipped: the reporter is not authenticated (no DMARC pass, domain not allowed)".into();
    }
    let now =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    match store.replies_since(reporter, now - 3600) {
        Ok(n) if n >= opts.per_hour => return "skipped: rate limit for this reporter".into(),
        Err(e) => return format!("skipped: {e}"),
        Ok(_) => {}
    }
    match store.claim_reply(sha256, reporter, now) {
        Ok(true) => {}
        Ok(false) => return "skipped: already answered".into(),
        Err(e) => return format!("skipped: {e}"),
    }
    let (subject, text) = compose(analysis, id, opts.serve_url.as_deref());
    let state = match send(opts, reporter, &subject, &text) {
        Ok(()) => "sent".to_string(),
        Err(e) => format!("failed: {e}"),
    };
    let _ = store.finish_reply(sha256, &state);
    state
}

fn send(opts: &ReplyOptions, to: &str, subject: &str, text: &str) -> Result<(), String> {
    use lettre::Transport;
    let msg = lettre::Message::builder()
        .from(opts.from.parse().map_err(|e| format!("from: {e}"))?)
        .to(to.parse().map_err(|e| format!("to: {e}"))?)
        .subject(subject)
        .header(lettre::message::header::ContentType::TEXT_PLAIN)
        .body(text.to_string())
        .map_err(|e| e.to_string())?;
    let (scheme, rest) = opts.smtp.split_once("://").ok_or("smtp: not smtp:// or smtps://")?;
    let (host, port) = match rest.trim_end_matches('/').rsplit_once(':') {
        Some((h, p)) => (h.to_string(), Some(p.parse::<u16>().map_err(|_| "smtp: bad port")?)),
        None => (rest.trim_end_matches('/').to_string(), None),
    };
    let loopback = host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    let mut builder = match scheme {
        "smtps" => lettre::SmtpTransport::relay(&host).map_err(|e| e.to_string())?,
        "smtp" if loopback => lettre::SmtpTransport::builder_dangerous(&host),
        "smtp" => lettre::SmtpTransport::starttls_relay(&host).map_err(|e| e.to_string())?,
        other => return Err(format!("smtp: unknown scheme {other}")),
    };
    if let Some(p) = port {
        builder = builder.port(p);
    }
    if let (Some(u), Some(p)) = (&opts.user, &opts.password) {
        builder = builder
            .credentials(lettre::transport::smtp::authentication::Credentials::new(u.clone(), p.clone()));
    }
    builder
        .timeout(Some(std::time::Duration::from_secs(30)))
        .build()
        .send(&msg)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_proven_reporter_is_answered() {
        let raw = b"Authentication-Results: mx.corp.example;\r\n\tdkim=pass header.d=corp.example;\r\n\tdmarc=pass header.from=corp.example\r\nFrom: staff@corp.example\r\n\r\nbody";
        assert!(reporter_authenticated(raw, "staff@corp.example", &[]));
        assert!(!reporter_authenticated(raw, "x@other.example", &[]));
        assert!(reporter_authenticated(raw, "x@other.example", &["Other.example".into()]));
        let fail = b"Authentication-Results: mx; dmarc=fail header.from=corp.example\r\n\r\n";
        assert!(!reporter_authenticated(fail, "staff@corp.example", &[]));
        assert!(!reporter_authenticated(b"From: a@b\r\n\r\n", "a@b", &[]));
    }
}
