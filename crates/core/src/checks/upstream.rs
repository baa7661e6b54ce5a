//! Upstream verdicts: spam stamps and filter headers that servers on the path wrote on the mail.
//!
//! They are evidence from someone else's filter, so `--ignore-upstream-verdicts` keeps them in
//! the report but out of the score (to measure kaibo's own judgement). Which server added a
//! header is read from its position: headers are prepended, so a header sits just above the
//! Received header of the server that handled the mail when it was added.

use super::{Collector, Context};
use kaibo_model::ids;
use kaibo_model::{Evidence, UpstreamVerdict};

pub fn check(ctx: &Context<'_>, out: &mut Collector) {
    let mail = ctx.mail;
    let added_by = |index: usize| mail.hop_below(index).and_then(|h| h.by_host.clone());
    let mut first_filter_host: Option<String> = None;

    for (i, v) in mail.header_values("X-Spam-Flag") {
        if v.trim().to_ascii_lowercase().starts_with("yes") {
            push(out, "x-spam-flag", v, added_by(i), &mut first_filter_host);
            out.add(ids::UPSTREAM_SPAM_FLAG, vec![Evidence::new("header:X-Spam-Flag", v)]);
        }
    }
    for name in ["X-Spam-Status", "X-Spam"] {
        for (i, v) in mail.header_values(name) {
            if v.trim().to_ascii_lowercase().starts_with("yes") {
                push(out, &name.to_ascii_lowercase(), v, added_by(i), &mut first_filter_host);
                out.add(ids::UPSTREAM_SPAM_FLAG, vec![Evidence::new(format!("header:{name}"), v)]);
            }
        }
    }
    for name in [
        "X-MS-Exchange-Organization-SCL",
        "X-Forefront-Antispam-Report",
        "X-Microsoft-Antispam-Mailbox-Delivery",
    ] {
        for (i, v) in mail.header_values(name) {
            if ms_says_spam(v) {
                push(out, &name.to_ascii_lowercase(), v, added_by(i), &mut first_filter_host);
                out.add(
                    ids::UPSTREAM_MS_SPAM_VERDICT,
                    vec![Evidence::new(format!("header:{name}"), crate::text::clip(v.trim(), 160))],
                );
            }
        }
    }

    if let Some(subject) = &mail.subject
        && let Some(stamp) = ctx.k.subject_stamp(subject)
    {
        // The Subject line's position says nothing about who rewrote it; the filter that
        // left a spam header, else the final receiver, is the most likely author.
        let by = first_filter_host.clone().or_else(|| mail.hops.first().and_then(|h| h.by_host.clone()));
        out.upstream.push(UpstreamVerdict {
            kind: "subject_stamp".into(),
            value: stamp.to_string(),
            added_by: by,
        });
        out.add(ids::UPSTREAM_SPAM_STAMP, vec![Evidence::new("header:Subject", subject.clone())]);
    }
}

fn push(out: &mut Collector, kind: &str, value: &str, by: Option<String>, first: &mut Option<String>) {
    if first.is_none() {
        first.clone_from(&by);
    }
    out.upstream.push(UpstreamVerdict {
        kind: kind.into(),
        value: crate::text::clip(value.trim(), 160),
        added_by: by,
    });
}

/// Microsoft's spam confidence level 5–9, or a spam/phish filter verdict.
fn ms_says_spam(v: &str) -> bool {
    let upper = v.to_ascii_uppercase();
    let scl = if let Ok(n) = upper.trim().parse::<i32>() {
        Some(n)
    } else {
        upper
            .split(';')
            .find_map(|f| f.trim().strip_prefix("SCL:").and_then(|n| n.trim().parse::<i32>().ok()))
    };
    scl.is_some_and(|n| (5..=9).contains(&n))
        || upper
            .split(';')
            .any(|f| matches!(f.trim(), "SFV:SPM" | "CAT:PHSH" | "CAT:SPM" | "CAT:HPHSH" | "CAT:HSPM"))
}

#[cfg(test)]
mod tests {
    use super::ms_says_spam;

    #[test]
    fn microsoft_verdicts() {
        assert!(ms_says_spam("5"));
        assert!(ms_says_spam("CIP:1.2.3.4;CTRY:RU;LANG:ja;SCL:9;SRV:;IPV:NLI;SFV:SPM;"));
        assert!(!ms_says_spam("CIP:1.2.3.4;SCL:1;SFV:NSPM;"));
        assert!(!ms_says_spam("-1"));
    }
}
