//! The lookup cache on disk: one JSON file per answer, named by a hash of its key.
//!
//! A file is written to a temporary name and renamed into place, so a crash leaves either the
//! old answer or the new one, never half a file; an unreadable file counts as a miss. Entries
//! carry the time they were stored, and the reader applies the time to live of their kind.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::{Serialize, de::DeserializeOwned};
use sha2::{Digest, Sha256};

pub struct Cache {
    dir: Option<PathBuf>,
    pub hits: AtomicUsize,
    pub misses: AtomicUsize,
}

#[derive(Serialize, serde::Deserialize)]
struct Entry<T> {
    stored_at: i64,
    key: String,
    value: T,
}

pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

impl Cache {
    /// `None` disables the cache.
    pub fn new(dir: Option<PathBuf>) -> Cache {
        Cache { dir, hits: AtomicUsize::new(0), misses: AtomicUsize::new(0) }
    }

    fn path(&self, kind: &str, key: &str) -> Option<PathBuf> {
        let digest = Sha256::digest(key.as_bytes());
        let name: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        self.dir.as_ref().map(|d| d.join(kind).join(format!("{name}.json")))
    }

    /// The stored answer, if younger than `ttl` seconds.
    pub fn get<T: DeserializeOwned>(&self, kind: &str, key: &str, ttl: u64) -> Option<T> {
        let found = self.path(kind, key).and_then(|p| std::fs::read(p).ok()).and_then(|bytes| {
            let entry: Entry<T> = serde_json::from_slice(&bytes).ok()?;
            (entry.key == key && now() - entry.stored_at < ttl as i64).then_some(entry.value)
        });
        let counter = if found.is_some() { &self.hits } else { &self.misses };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Stores an answer. Failing to write is not an error: the cache is an optimisation.
    pub fn put<T: Serialize>(&self, kind: &str, key: &str, value: &T) {
        let Some(path) = self.path(kind, key) else { return };
        let Some(parent) = path.parent() else { return };
        if std::fs::create_dir_all(parent).is_err() {
            return;
        }
        let entry = Entry { stored_at: now(), key: key.to_string(), value };
        let Ok(bytes) = serde_json::to_vec(&entry) else { return };
        let tmp = parent.join(format!(".{}.{}.tmp", std::process::id(), unique()));
        if std::fs::write(&tmp, bytes).is_ok() && std::fs::rename(&tmp, &path).is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
    }
}

fn unique() -> usize {
    static N: AtomicUsize = AtomicUsize::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_ttl_and_corruption() {
        let dir = std::env::temp_dir().join(format!("kaibo-cache-test-{}", std::process::id()));
        let c = Cache::new(Some(dir.clone()));
        assert_eq!(c.get::<String>("dns", "a.example", 60), None);
        c.put("dns", "a.example", &"1.2.3.4".to_string());
        assert_eq!(c.get::<String>("dns", "a.example", 60), Some("1.2.3.4".into()));
        // Expired.
        assert_eq!(c.get::<String>("dns", "a.example", 0), None);
        // A torn or foreign file is a miss, not an error.
        let p = c.path("dns", "a.example").unwrap();
        std::fs::write(&p, b"{\"stored_at\": 1, \"ke").unwrap();
        assert_eq!(c.get::<String>("dns", "a.example", 60), None);
        assert!(
            std::fs::read_dir(p.parent().unwrap()).unwrap().all(|e| !e
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".tmp"))
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
