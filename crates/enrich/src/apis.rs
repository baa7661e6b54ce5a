//! Reputation services with the user's own API keys: Google Safe Browsing (v4 Lookup API),
//! VirusTotal (v3 URL reports) and urlscan.io (search). Each answer is kept with the time it
//! was asked; "not listed" is a fact about that moment, not a sign of safety.
//!
//! Keys come from the config (`[api]`) or the environment (`KAIBO_GSB_KEY`, `KAIBO_VT_KEY`,
//! `KAIBO_URLSCAN_KEY`); a service without a key is not asked.

use base64::Engine as _;
pub use kaibo_model::enrichment::{ApiVerdict, ReputationService};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiConfig {
    pub gsb_key: Option<String>,
    pub gsb_url: String,
    pub virustotal_key: Option<String>,
    pub virustotal_url: String,
    pub urlscan_key: Option<String>,
    pub urlscan_url: String,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            gsb_key: None,
            gsb_url: "https://safebrowsing.googleapis.com/v4/threatMatches:find".into(),
            virustotal_key: None,
            virustotal_url: "https://www.virustotal.com/api/v3/".into(),
            urlscan_key: None,
            urlscan_url: "https://urlscan.io/api/v1/search/".into(),
        }
    }
}

impl ApiConfig {
    fn key(configured: &Option<String>, env: &str) -> Option<String> {
        configured.clone().or_else(|| std::env::var(env).ok()).filter(|k| !k.trim().is_empty())
    }
    pub fn gsb(&self) -> Option<String> {
        Self::key(&self.gsb_key, "KAIBO_GSB_KEY")
    }
    pub fn virustotal(&self) -> Option<String> {
        Self::key(&self.virustotal_key, "KAIBO_VT_KEY")
    }
    pub fn urlscan(&self) -> Option<String> {
        Self::key(&self.urlscan_key, "KAIBO_URLSCAN_KEY")
    }
}

fn now() -> String {
    kaibo_core::calendar::rfc3339_of(std::time::SystemTime::now())
}

/// Safe Browsing v4 Lookup API: all URLs in one request.
pub async fn safe_browsing(
    client: &reqwest::Client,
    base: &str,
    key: &str,
    urls: &[String],
) -> Result<Vec<ApiVerdict>, String> {
    let body = json!({
        "client": {"clientId": "kaibo", "clientVersion": env!("CARGO_PKG_VERSION")},
        "threatInfo": {
            "threatTypes": ["MALWARE", "SOCIAL_ENGINEERING", "UNWANTED_SOFTWARE", "POTENTIALLY_HARMFUL_APPLICATION"],
            "platformTypes": ["ANY_PLATFORM"],
            "threatEntryTypes": ["URL"],
            "threatEntries": urls.iter().map(|u| json!({"url": u})).collect::<Vec<_>>(),
        }
    });
    let resp = client
        .post(format!("{base}?key={key}"))
        .json(&body)
        .send()
        .await
        .map_err(|e| format!("Safe Browsing: {}", e.without_url()))?;
    if !resp.status().is_success() {
        return Err(format!("Safe Browsing: HTTP {}", resp.status()));
    }
    let v: Value = resp.json().await.map_err(|e| format!("Safe Browsing: {e}"))?;
    let checked_at = now();
    Ok(urls
        .iter()
        .map(|u| {
            let threats: Vec<&str> = v["matches"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|m| m["threat"]["url"].as_str() == Some(u))
                .filter_map(|m| m["threatType"].as_str())
                .collect();
            ApiVerdict {
                service: ReputationService::SafeBrowsing,
                subject: u.clone(),
                verdict: if threats.is_empty() { "not_listed" } else { "listed" }.into(),
                detail: threats.join(", "),
                checked_at: checked_at.clone(),
            }
        })
        .collect())
}

/// VirusTotal v3: the last analysis of a URL (`urls/{base64url(url)}`).
pub async fn virustotal(
    client: &reqwest::Client,
    base: &str,
    key: &str,
    url: &str,
) -> Result<ApiVerdict, String> {
    let id = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(url.as_bytes());
    let resp = client
        .get(format!("{base}urls/{id}"))
        .header("x-apikey", key)
        .send()
        .await
        .map_err(|e| format!("VirusTotal: {}", e.without_url()))?;
    let checked_at = now();
    if resp.status() == reqwest::StatusCode::NOT_FOUND {
        return Ok(ApiVerdict {
            service: ReputationService::Virustotal,
            subject: url.into(),
            verdict: "unknown".into(),
            detail: "never scanned".into(),
            checked_at,
        });
    }
    if !resp.status().is_success() {
        return Err(format!("VirusTotal: HTTP {}", resp.status()));
    }
    let v: Value = resp.json().await.map_err(|e| format!("VirusTotal: {e}"))?;
    let stats = &v["data"]["attributes"]["last_analysis_stats"];
    let count = |k: &str| stats[k].as_u64().unwrap_or(0);
    let (mal, sus) = (count("malicious"), count("suspicious"));
    Ok(ApiVerdict {
        service: ReputationService::Virustotal,
        subject: url.into(),
        verdict: if mal >= 2 { "malicious" } else { "clean" }.into(),
        detail: format!(
            "{mal} malicious, {sus} suspicious, {} harmless, {} undetected",
            count("harmless"),
            count("undetected")
        ),
        checked_at,
    })
}

/// urlscan.io search: how often a domain was scanned, and the newest scan.
pub async fn urlscan(
    client: &reqwest::Client,
    base: &str,
    key: &str,
    domain: &str,
) -> Result<ApiVerdict, String> {
    // Domains are letters, digits, dots and hyphens: nothing to escape in the query.
    let resp = client
        .get(format!("{base}?q=domain:{domain}&size=10"))
        .header("API-Key", key)
        .send()
        .await
        .map_err(|e| format!("urlscan.io: {}", e.without_url()))?;
    if !resp.status().is_success() {
        return Err(format!("urlscan.io: HTTP {}", resp.status()));
    }
    let v: Value = resp.json().await.map_err(|e| format!("urlscan.io: {e}"))?;
    let total = v["total"].as_u64().unwrap_or(0);
    let newest = v["results"][0]["task"]["time"].as_str().unwrap_or("");
    let (verdict, detail) = if total == 0 {
        ("not_listed", "no scan".to_string())
    } else {
        (
            "seen",
            format!("{total} scans, newest {newest}: {}", v["results"][0]["result"].as_str().unwrap_or("")),
        )
    };
    Ok(ApiVerdict {
        service: ReputationService::Urlscan,
        subject: domain.into(),
        verdict: verdict.into(),
        detail,
        checked_at: now(),
    })
}
