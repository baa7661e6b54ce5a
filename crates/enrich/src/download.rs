//! Downloads of databases and feeds (`kaibo db update`, `kaibo feeds update`).

use std::time::Duration;

/// Downloads `url` to `dest` (gunzipping a gzip answer), writing a temporary file and renaming
/// it into place so a failed download never replaces a good file. Returns the bytes written.
pub fn download(url: &str, dest: &std::path::Path, timeout: Duration) -> Result<u64, String> {
    use std::io::Read as _;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    let body = rt.block_on(async {
        let client = crate::enricher::http_client(timeout)?;
        let resp = client.get(url).send().await.map_err(|e| format!("{url}: {e}"))?;
        if !resp.status().is_success() {
            return Err(format!("{url}: HTTP {}", resp.status()));
        }
        resp.bytes().await.map_err(|e| format!("{url}: {e}"))
    })?;
    let data = if body.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&body[..])
            .take(2 << 30)
            .read_to_end(&mut out)
            .map_err(|e| format!("{url}: gzip: {e}"))?;
        out
    } else {
        body.to_vec()
    };
    let parent = dest.parent().ok_or("destination has no folder")?;
    std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    let tmp = parent.join(format!(".{}.download", std::process::id()));
    std::fs::write(&tmp, &data).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, dest).map_err(|e| format!("{}: {e}", dest.display()))?;
    Ok(data.len() as u64)
}
