//! The render rung: a screenshot of the final page in headless Chromium.
//!
//! This is the one rung where the attacker's JavaScript runs, because a screenshot of what the
//! victim sees needs it. It is contained:
//! - the browser is given only the final URL the fetch rung reached and vetted;
//! - its only route out is kaibo's guarded [`proxy`](crate::proxy), loopback included
//!   (`--proxy-server` with `--proxy-bypass-list=<-loopback>`), so a sub-request to a private
//!   address is refused like a redirect would be; QUIC is off, and WebRTC may not send UDP
//!   around the proxy (`--webrtc-ip-handling-policy=disable_non_proxied_udp`, and the same
//!   policy as a preference of the fresh profile, so either alone holds: a STUN request to
//!   127.0.0.1 or to the machine's own address left the browser before, tested with a UDP
//!   listener that must hear nothing);
//! - a fresh temporary profile (deleted afterwards), no extensions, no sync, no background
//!   networking or component updates, no first-run, notifications and permission prompts
//!   denied; headless Chromium saves no downloads unless told to over DevTools, which kaibo
//!   never does;
//! - Chromium's own sandbox stays on, except when kaibo runs as root (Chromium refuses to start
//!   sandboxed as root): run kaibo as an unprivileged user in production;
//! - the process is killed when the time budget is spent.
//!
//! The browser is driven through its command line (`--screenshot`), so no DevTools client is
//! compiled into kaibo.

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use kaibo_model::visit::Screenshot;

/// The configured browser, or the first Chromium/Chrome found on `PATH`.
pub fn find_browser(configured: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = configured {
        return p.is_file().then(|| p.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in [
            "chromium",
            "chromium-browser",
            "google-chrome",
            "google-chrome-stable",
            "chrome",
            "headless_shell",
        ] {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt as _;
    std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false)
}

/// Width and height from a PNG's IHDR, or `None` when the file is not a PNG.
pub fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.len() < 24 || &bytes[..8] != b"\x89PNG\r\n\x1a\n" || &bytes[12..16] != b"IHDR" {
        return None;
    }
    let w = u32::from_be_bytes(bytes[16..20].try_into().ok()?);
    let h = u32::from_be_bytes(bytes[20..24].try_into().ok()?);
    Some((w, h))
}

/// WebRTC may not send UDP around the proxy (an HTTP proxy carries none, so no UDP at all), nor
/// gather more than the proxied route. Chromium's own preference names.
const PROFILE_PREFERENCES: &str = r#"{"webrtc":{"ip_handling_policy":"disable_non_proxied_udp","multiple_routes_enabled":false,"nonproxied_udp_enabled":false}}"#;

/// Renders `url` to `out` (PNG) through the proxy at `proxy`, within `budget`.
pub async fn screenshot(
    browser: &Path,
    url: &str,
    out: &Path,
    proxy: std::net::SocketAddr,
    window: (u32, u32),
    budget: Duration,
) -> Result<(u32, u32), String> {
    static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let profile = std::env::temp_dir().join(format!("kaibo-render-{}-{n}", std::process::id()));
    std::fs::create_dir_all(profile.join("Default")).map_err(|e| format!("{}: {e}", profile.display()))?;
    // The same WebRTC policy as a profile preference, the setting the switch overrides: should a
    // Chromium ignore or rename the switch, the profile still keeps UDP inside the proxy.
    std::fs::write(profile.join("Default").join("Preferences"), PROFILE_PREFERENCES)
        .map_err(|e| format!("{}: {e}", profile.display()))?;
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let _ = std::fs::remove_file(out);
    let mut cmd = tokio::process::Command::new(browser);
    cmd.arg("--headless")
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--proxy-server=http://{proxy}"))
        .arg("--proxy-bypass-list=<-loopback>")
        .arg("--webrtc-ip-handling-policy=disable_non_proxied_udp")
        .args([
            "--disable-quic",
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-component-extensions-with-background-pages",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-default-apps",
            "--disable-domain-reliability",
            "--disable-client-side-phishing-detection",
            "--disable-breakpad",
            "--disable-notifications",
            "--deny-permission-prompts",
            "--metrics-recording-only",
            "--mute-audio",
            "--hide-scrollbars",
            "--ignore-certificate-errors",
            "--no-pings",
            "--disable-features=Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider,AutofillServerCommunication,CertificateTransparencyComponentUpdater,InterestFeedContentSuggestions,AcceptCHFrame,PrivacySandboxSettings4",
            "--disable-field-trial-config",
        ])
        .arg(format!("--window-size={},{}", window.0, window.1))
        .arg(format!("--screenshot={}", out.display()))
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    if running_as_root() {
        cmd.arg("--no-sandbox");
    }
    let result = async {
        let child = cmd.spawn().map_err(|e| format!("{}: {e}", browser.display()))?;
        match tokio::time::timeout(budget, child.wait_with_output()).await {
            Err(_) => Err(format!("the browser did not finish within {} s", budget.as_secs())),
            Ok(Err(e)) => Err(format!("{}: {e}", browser.display())),
            Ok(Ok(output)) => {
                let bytes = std::fs::read(out).map_err(|_| {
                    let err = String::from_utf8_lossy(&output.stderr);
                    let last = err.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
                    format!("the browser wrote no screenshot (exit {}): {last}", output.status)
                })?;
                png_size(&bytes).ok_or_else(|| "the browser wrote something that is not a PNG".to_string())
            }
        }
    }
    .await;
    let _ = std::fs::remove_dir_all(&profile);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_header() {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.extend_from_slice(&1280u32.to_be_bytes());
        png.extend_from_slice(&900u32.to_be_bytes());
        assert_eq!(png_size(&png), Some((1280, 900)));
        assert_eq!(png_size(b"GIF89a"), None);
    }

    #[test]
    fn missing_configured_browser_is_none() {
        assert!(find_browser(Some(Path::new("/nonexistent/chromium"))).is_none());
    }
}
