//! Per-layer result cache: one JSON file per (diff_id, engine version, plugin set). A changed
//! plugin version changes the key, so exactly the stale entries stop matching; the size bound
//! evicts the least recently used entries. Entries are authenticated with a secret of the cache
//! (HMAC-SHA256 over the key and the content): a hand-edited, truncated or transplanted entry is a
//! miss with a warning, never believed.

use crate::{ENGINE_VERSION, LayerFacts};
use dredge_cachedir::{CacheDir, CacheDirError};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
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
    secret: Vec<u8>,
}

/// What a lookup found.
#[derive(Debug)]
pub enum Lookup {
    Hit(Box<LayerFacts>),
    Miss,
    /// An entry exists but does not verify (edited, truncated, written for another key, or by
    /// another cache): treated as a miss; the reason is for a warning.
    Rejected(String),
}

/// Cache entries are `<64 hex>.json`; nothing else in the directory is ever read or deleted.
fn is_entry_name(name: &str) -> bool {
    name.len() == 69 && name.ends_with(".json") && name[..64].bytes().all(|b| b.is_ascii_hexdigit())
}

/// The first line of an entry: what it was written for and its authentication code.
#[derive(serde::Serialize, serde::Deserialize)]
struct EntryHeader {
    key: String,
    mac: String,
}

/// Largest entry read back (facts, not files: real entries are far smaller).
const MAX_ENTRY: u64 = 512 << 20;

impl LayerCache {
    /// Opens (creating 0700) `<root>/layers` of a checked cache root. Nothing is ever written
    /// outside it, and no symlink inside it is followed.
    pub fn open(root: &CacheDir, max_bytes: u64) -> Result<Self, CacheDirError> {
        let dir = root.subdir("layers")?;
        let secret = dredge_cachedir::cache_secret(root)?;
        dredge_cachedir::remove_stale_temps(&dir);
        Ok(LayerCache { dir, max_bytes, secret })
    }

    fn file(&self, key: &CacheKey) -> PathBuf {
        self.dir.join(format!("{}.json", key.as_str()))
    }

    /// The HMAC state over an entry: the key it is written for, then its content.
    fn hmac(&self, key: &CacheKey, body: &[u8]) -> Hmac<Sha256> {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&self.secret).expect("HMAC takes keys of any length");
        m.update(key.as_str().as_bytes());
        m.update(b"\n");
        m.update(body);
        m
    }

    /// The entry for `key`. A missing entry is a miss; one that does not verify is
    /// [`Lookup::Rejected`] (a miss the caller warns about), since the layer can always be
    /// analysed again.
    pub fn get(&self, key: &CacheKey) -> Lookup {
        let path = self.file(key);
        let bytes = match dredge_cachedir::read_nofollow(&path, MAX_ENTRY) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Lookup::Miss,
            Err(e) => return Lookup::Rejected(format!("{}: {e}", path.display())),
        };
        let Some(nl) = bytes.iter().position(|&b| b == b'\n') else {
            return Lookup::Rejected(format!("{}: no header (written by an older dredge, or edited)", path.display()));
        };
        let (head, body) = (&bytes[..nl], &bytes[nl + 1..]);
        let Ok(h) = serde_json::from_slice::<EntryHeader>(head) else {
            return Lookup::Rejected(format!("{}: unreadable header", path.display()));
        };
        if h.key != key.as_str() {
            return Lookup::Rejected(format!("{}: written for another layer", path.display()));
        }
        let Ok(expected) = hex::decode(&h.mac) else {
            return Lookup::Rejected(format!("{}: malformed checksum", path.display()));
        };
        // Constant-time comparison through the MAC type.
        if self.hmac(key, body).verify_slice(&expected).is_err() {
            return Lookup::Rejected(format!("{}: content does not match its checksum (edited or corrupt)", path.display()));
        }
        let facts: LayerFacts = match serde_json::from_slice(body) {
            Ok(f) => f,
            Err(e) => return Lookup::Rejected(format!("{}: {e}", path.display())),
        };
        // Touch: the size bound evicts by last use.
        if let Ok(f) = fs::File::options().append(true).custom_flags(dredge_cachedir::O_NOFOLLOW).open(&path) {
            let _ = f.set_modified(SystemTime::now());
        }
        Lookup::Hit(Box::new(facts))
    }

    /// Is there a regular entry file for `key`? (No read, no touch: a later `get` verifies it.)
    pub fn contains(&self, key: &CacheKey) -> bool {
        fs::symlink_metadata(self.file(key)).is_ok_and(|m| m.is_file())
    }

    /// Stores an entry atomically (temp file + rename, a planted symlink is replaced, not written
    /// through) and enforces the size bound.
    pub fn put(&self, key: &CacheKey, facts: &LayerFacts) -> std::io::Result<()> {
        let body = serde_json::to_vec(facts).map_err(std::io::Error::other)?;
        let head = serde_json::to_vec(&EntryHeader {
            key: key.as_str().to_string(),
            mac: hex::encode(self.hmac(key, &body).finalize().into_bytes()),
        })
        .map_err(std::io::Error::other)?;
        let (tmp, mut f) = dredge_cachedir::create_temp(&self.dir)?;
        let r = f.write_all(&head).and_then(|_| f.write_all(b"\n")).and_then(|_| f.write_all(&body)).and_then(|_| {
            let _ = f.sync_all();
            fs::rename(&tmp, self.file(key))
        });
        if r.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        r?;
        self.enforce_bound()
    }

    /// The cache's own entries: regular files named like entries (symlinks and other files are
    /// never counted, touched or deleted).
    fn entries(&self) -> std::io::Result<Vec<(PathBuf, u64, SystemTime)>> {
        let mut v = Vec::new();
        for e in fs::read_dir(&self.dir)? {
            let e = e?;
            if !is_entry_name(&e.file_name().to_string_lossy()) {
                continue;
            }
            // `DirEntry::metadata` does not follow symlinks.
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

    /// Removes every cached layer (and stale temp files); returns how many bytes were freed.
    pub fn clear(&self) -> std::io::Result<u64> {
        let mut freed = 0;
        for (path, len, _) in self.entries()? {
            fs::remove_file(path)?;
            freed += len;
        }
        Ok(freed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_depends_on_plugins_and_layer() {
        assert_ne!(CacheKey::new("sha256:a", "os/apk@1"), CacheKey::new("sha256:a", "os/apk@2"));
        assert_ne!(CacheKey::new("sha256:a", "os/apk@1"), CacheKey::new("sha256:b", "os/apk@1"));
    }

    fn cache() -> (tempfile::TempDir, LayerCache) {
        let t = tempfile::tempdir().expect("tempdir");
        let root = CacheDir::open(&t.path().join("cache")).expect("cache root");
        let c = LayerCache::open(&root, 10_000).expect("cache dir");
        (t, c)
    }

    #[test]
    fn roundtrip_and_bound() {
        let (_t, c) = cache();
        let k = CacheKey::new("sha256:a", "x");
        let f = LayerFacts { diff_id: "sha256:a".into(), ..Default::default() };
        c.put(&k, &f).expect("put");
        assert!(matches!(c.get(&k), Lookup::Hit(g) if *g == f));
        // Fill past the bound: old entries go, the size stays under it.
        for i in 0..200 {
            c.put(&CacheKey::new(&format!("sha256:{i}"), "x"), &f).expect("put");
        }
        assert!(c.size().expect("size") <= 10_000);
        c.clear().expect("clear");
        assert_eq!(c.size().expect("size"), 0);
    }

    #[test]
    fn edited_or_moved_entries_are_rejected() {
        let (_t, c) = cache();
        let k = CacheKey::new("sha256:a", "x");
        let f = LayerFacts { diff_id: "sha256:a".into(), whiteouts: vec!["lib".into()], ..Default::default() };
        c.put(&k, &f).expect("put");
        let path = c.file(&k);
        let text = fs::read_to_string(&path).expect("read");
        fs::write(&path, text.replace("\"lib\"", "\"etc\"")).expect("write");
        assert!(matches!(c.get(&k), Lookup::Rejected(r) if r.contains("checksum")));
        // A valid entry copied under another key's name.
        let other = CacheKey::new("sha256:b", "x");
        fs::write(c.file(&other), text).expect("write");
        assert!(matches!(c.get(&other), Lookup::Rejected(r) if r.contains("another layer")));
        // An entry without a header (an older dredge's plain JSON).
        fs::write(&path, serde_json::to_vec(&f).expect("json")).expect("write");
        assert!(matches!(c.get(&k), Lookup::Rejected(_)));
        assert!(matches!(c.get(&CacheKey::new("sha256:none", "x")), Lookup::Miss));
    }

    #[test]
    fn eviction_and_clear_touch_only_entries() {
        let (t, c) = cache();
        let readme = c.dir.join("README.txt");
        fs::write(&readme, "not an entry").expect("write");
        let outside = t.path().join("precious.json");
        fs::write(&outside, "x".repeat(50_000)).expect("write");
        std::os::unix::fs::symlink(&outside, c.dir.join(format!("{}.json", "a".repeat(64)))).expect("symlink");
        let f = LayerFacts::default();
        for i in 0..200 {
            c.put(&CacheKey::new(&format!("sha256:{i}"), "x"), &f).expect("put");
        }
        c.clear().expect("clear");
        assert!(readme.exists() && outside.exists());
    }
}
