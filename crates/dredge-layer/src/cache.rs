//! Per-layer result cache: one JSON file per (diff_id, engine version, plugin set). A changed
//! plugin version changes the key, so exactly the stale entries stop matching; the size bound
//! evicts the least recently used entries.

use crate::{ENGINE_VERSION, LayerFacts};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The cache key of one layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheKey(String);

impl CacheKey {
    pub fn new(diff_id: &str, plugin_fingerprint: &str) -> Self {
        let mut h = Sha256::new();
        h.update(format!("engine={ENGINE_VERSION}\ndiff_id={diff_id}\nplugins={plugin_fingerprint}\n"));
        CacheKey(hex::encode(h.finalize()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub struct LayerCache {
    dir: PathBuf,
    max_bytes: u64,
}

impl LayerCache {
    /// Opens (creating) `<root>/layers`. Nothing is ever written outside `root`.
    pub fn open(root: &Path, max_bytes: u64) -> std::io::Result<Self> {
        let dir = root.join("layers");
        fs::create_dir_all(&dir)?;
        Ok(LayerCache { dir, max_bytes })
    }

    fn file(&self, key: &CacheKey) -> PathBuf {
        self.dir.join(format!("{}.json", key.as_str()))
    }

    /// A cached entry, or `None` (missing, unreadable or from an incompatible build: all treated as
    /// a miss, since the layer can always be analysed again).
    pub fn get(&self, key: &CacheKey) -> Option<LayerFacts> {
        let path = self.file(key);
        let bytes = fs::read(&path).ok()?;
        let facts: LayerFacts = serde_json::from_slice(&bytes).ok()?;
        // Touch: the size bound evicts by last use.
        if let Ok(f) = fs::File::options().append(true).open(&path) {
            let _ = f.set_modified(SystemTime::now());
        }
        Some(facts)
    }

    /// Is there an entry for `key`? (No read, no touch.)
    pub fn contains(&self, key: &CacheKey) -> bool {
        self.file(key).is_file()
    }

    /// Stores an entry atomically (temp file + rename) and enforces the size bound.
    pub fn put(&self, key: &CacheKey, facts: &LayerFacts) -> std::io::Result<()> {
        let bytes = serde_json::to_vec(facts).map_err(std::io::Error::other)?;
        let mut tmp = tempfile_in(&self.dir)?;
        tmp.1.write_all(&bytes)?;
        tmp.1.sync_all().ok();
        fs::rename(&tmp.0, self.file(key))?;
        self.enforce_bound()
    }

    fn entries(&self) -> std::io::Result<Vec<(PathBuf, u64, SystemTime)>> {
        let mut v = Vec::new();
        for e in fs::read_dir(&self.dir)? {
            let e = e?;
            let md = e.metadata()?;
            if md.is_file() {
                v.push((e.path(), md.len(), md.modified().unwrap_or(SystemTime::UNIX_EPOCH)));
            }
        }
        Ok(v)
    }

    /// Total bytes used by cached layers.
    pub fn size(&self) -> std::io::Result<u64> {
        Ok(self.entries()?.iter().map(|e| e.1).sum())
    }

    fn enforce_bound(&self) -> std::io::Result<()> {
        let mut entries = self.entries()?;
        let mut total: u64 = entries.iter().map(|e| e.1).sum();
        if total <= self.max_bytes {
            return Ok(());
        }
        entries.sort_by_key(|e| e.2);
        for (path, len, _) in entries {
            if total <= self.max_bytes / 10 * 9 {
                break;
            }
            if fs::remove_file(&path).is_ok() {
                total = total.saturating_sub(len);
            }
        }
        Ok(())
    }

    /// Removes every cached layer; returns how many bytes were freed.
    pub fn clear(&self) -> std::io::Result<u64> {
        let mut freed = 0;
        for (path, len, _) in self.entries()? {
            fs::remove_file(path)?;
            freed += len;
        }
        Ok(freed)
    }
}

/// A uniquely named temp file inside `dir` (not a separate crate: two lines of std suffice here).
fn tempfile_in(dir: &Path) -> std::io::Result<(PathBuf, fs::File)> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let name = format!(".tmp-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed));
    let path = dir.join(name);
    let f = fs::File::options().write(true).create_new(true).open(&path)?;
    Ok((path, f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_depends_on_plugins_and_layer() {
        assert_ne!(CacheKey::new("sha256:a", "os/apk@1"), CacheKey::new("sha256:a", "os/apk@2"));
        assert_ne!(CacheKey::new("sha256:a", "os/apk@1"), CacheKey::new("sha256:b", "os/apk@1"));
    }

    #[test]
    fn roundtrip_and_bound() {
        let dir = std::env::temp_dir().join(format!("dredge-cache-test-{}", std::process::id()));
        let c = LayerCache::open(&dir, 10_000).expect("cache dir");
        let k = CacheKey::new("sha256:a", "x");
        let f = LayerFacts { diff_id: "sha256:a".into(), ..Default::default() };
        c.put(&k, &f).expect("put");
        assert_eq!(c.get(&k), Some(f.clone()));
        // Fill past the bound: old entries go, the size stays under it.
        for i in 0..200 {
            c.put(&CacheKey::new(&format!("sha256:{i}"), "x"), &f).expect("put");
        }
        assert!(c.size().expect("size") <= 10_000);
        c.clear().expect("clear");
        assert_eq!(c.size().expect("size"), 0);
        let _ = fs::remove_dir_all(dir);
    }
}
