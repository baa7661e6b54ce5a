//! Authentication: the receiving server's SPF, DKIM, DMARC and ARC results.

use super::{Collector, Context};
use crate::auth_results;
use crate::urls::registrable_domain;
use kaibo_model::ids;
use kaibo_model::{AuthResult, Evidence};

pub fn check(ctx: &Context<'_>, out: &mut Collector) {
    let mail = ctx.mail;
    out.authentication.headers_seen = mail.auth_results.len();
    let Some((ar, why)) = auth_results::choose(&mail.auth_results, &ctx.opts.trusted_authserv_ids) else {
        return;
    };
    record(&mut out.authentication, ar, why);

    // An inline forward's authentication is the forwarder's, not the original sender's: it is
    // no evidence either way about the forwarded mail.
    let forwarded = ctx.content.inline_forward.is_some();
    // Passing authentication of a free-mail or consumer ISP domain proves a real account at the
    // provider, which anyone can open: no evidence about the person writing.
    let consumer = mail.from.domain.as_deref().is_some_and(|d| ctx.k.is_consumer_domain(d));
    let no_counter_evidence = forwarded || consumer;
    let source = if ar.authserv_id.is_empty() {
        "header:Authentication-Results".to_string()
    } else {
        format!("header:Authentication-Results ({})", ar.authserv_id)
    };
    let ev = |r: &AuthResult| {
        let mut s = format!("{}={}", r.method, r.result);
        if let Some(c) = &r.comment {
            s.push_str(&format!(" ({c})"));
        }
        for (k, v) in &r.properties {
            s.push_str(&format!(" {k}={v}"));
        }
        vec![Evidence::new(source.clone(), s)]
    };

    let dmarc = ar.result("dmarc");
    // DMARC passes on SPF or DKIM aligned with the From domain: once it has passed, a failing
    // SPF is the path the mail took (a forwarder, an unlisted outbound host), not its sender.
    let dmarc_passed = dmarc.is_some_and(|d| d.result == "pass");
    if let Some(spf) = ar.result("spf").filter(|_| !dmarc_passed) {
        match spf.result.as_str() {
            "fail" => out.add(ids::AUTH_SPF_FAIL, ev(spf)),
            "softfail" => out.add(ids::AUTH_SPF_SOFTFAIL, ev(spf)),
            _ => {}
        }
    }
    let dkim_pass = ar.all("dkim").any(|r| r.result == "pass");
    if !dkim_pass && let Some(fail) = ar.all("dkim").find(|r| r.result == "fail") {
        out.add(ids::AUTH_DKIM_FAIL, ev(fail));
    }
    match dmarc.map(|d| d.result.as_str()) {
        Some("fail") => out.add(ids::AUTH_DMARC_FAIL, ev(dmarc.unwrap())),
        Some("pass") if !no_counter_evidence => out.add(ids::AUTH_DMARC_PASS, ev(dmarc.unwrap())),
        Some("pass") => {}
        _ => {
            // Without a DMARC result, a passing DKIM signature of the From domain still proves
            // the visible sender.
            let from_rd = mail.from.domain.as_deref().and_then(registrable_domain);
            if let Some(aligned) = ar.all("dkim").filter(|_| !no_counter_evidence).find(|r| {
                r.result == "pass"
                    && r.property("header.d").and_then(registrable_domain).is_some_and(|d| Some(d) == from_rd)
            }) {
                out.add(ids::AUTH_DKIM_PASS_ALIGNED, ev(aligned));
            }
        }
    }
    // Only where DMARC gave no verdict of its own: a DMARC fail already says this.
    if !forwarded && dmarc.is_none_or(|d| d.result != "pass" && d.result != "fail") {
        alignment(ctx, out, ar, &source);
    }
    // Authenticated as a brand's own domain: the brand sent it. Free-mail domains are excluded:
    // anyone can authenticate as gmail.com.
    let authenticated = out.has(ids::AUTH_DMARC_PASS) || out.has(ids::AUTH_DKIM_PASS_ALIGNED);
    // A platform relaying someone else's content (a shared document) proves only itself.
    let relay = mail.from.address.as_deref().is_some_and(|a| ctx.k.is_relay_sender(a));
    if let Some(domain) = mail.from.domain.as_deref()
        && authenticated
        && !relay
        && let Some(brand) = ctx.k.sender_domain_brand(domain)
    {
        out.add(
            ids::AUTH_BRAND_DOMAIN_AUTHENTICATED,
            vec![Evidence::new("header:From", domain), Evidence::new("brand", brand.id.clone())],
        );
    }
    if let Some(arc) = ar.result("arc").filter(|r| r.result == "fail") {
        out.add(ids::AUTH_ARC_FAIL, ev(arc));
    }
}

/// The trusted header's results, as facts of the analysis.
fn record(a: &mut kaibo_model::Authentication, ar: &auth_results::AuthResultsHeader, why: &str) {
    a.authserv_id = (!ar.authserv_id.is_empty()).then(|| ar.authserv_id.clone());
    a.trusted_because = Some(why.to_string());
    a.spf = ar.result("spf").map(|r| r.result.clone());
    a.dkim = ar.all("dkim").map(|r| r.result.clone()).collect();
    a.dmarc = ar.result("dmarc").map(|r| r.result.clone());
    a.arc = ar.result("arc").map(|r| r.result.clone());
    a.results = ar.results.clone();
}

/// Alignment, as DMARC defines it, whether or not the domain publishes DMARC: does SPF's domain
/// or a passing DKIM signature's domain match the From domain?
fn alignment(ctx: &Context<'_>, out: &mut Collector, ar: &auth_results::AuthResultsHeader, source: &str) {
    let from_rd = ctx.mail.from.domain.as_deref().and_then(registrable_domain);
    if let Some(from_rd) = &from_rd {
        let spf_rd = ar
            .result("spf")
            .filter(|r| r.result == "pass")
            .and_then(|r| r.property("smtp.mailfrom"))
            .map(|m| m.rsplit('@').next().unwrap_or(m))
            .and_then(registrable_domain);
        let dkim_aligned = ar
            .all("dkim")
            .filter(|r| r.result == "pass")
            .filter_map(|r| r.property("header.d").or(r.property("header.i")))
            .any(|d| registrable_domain(d.trim_start_matches('@')).as_ref() == Some(from_rd));
        let spf_known = ar.result("spf").is_some_and(|r| r.property("smtp.mailfrom").is_some());
        if spf_known && spf_rd.as_ref() != Some(from_rd) && !dkim_aligned {
            out.add(
                ids::AUTH_UNALIGNED_SENDER,
                vec![
                    Evidence::new("header:From", from_rd.clone()),
                    Evidence::new(
                        source,
                        format!(
                            "spf={} smtp.mailfrom={}; dkim={}",
                            ar.result("spf").map_or("-", |r| r.result.as_str()),
                            ar.result("spf").and_then(|r| r.property("smtp.mailfrom")).unwrap_or("-"),
                            ar.all("dkim").map(|r| r.result.as_str()).collect::<Vec<_>>().join(",")
                        ),
                    ),
                ],
            );
        }
    }
}
