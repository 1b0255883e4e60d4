//! The cache directory, treated as a place other users may try to tamper with.
//!
//! Everything dredge keeps between runs (layer results, advisory databases, kept configs, spooled
//! archives) lives under one root. A scanner that trusts that root blindly can be blinded (a
//! hand-edited entry hides packages) or turned into a tool that deletes and overwrites files for
//! someone else (a `layers -> /home/victim` symlink). So, like ssh with its keys:
//!
//! * the root and every directory inside it are created `0700`; an existing one must be a real
//!   directory (not a symlink) owned by the current user and not writable by group or others,
//!   else it is refused with a message saying how to fix it;
//! * the root's ancestors must be owned by root or the current user and, unless sticky (as
//!   `/tmp` is), not writable by others: otherwise another user could swap the whole tree;
//! * files are opened with `O_NOFOLLOW`, written to a fresh temp file and renamed into place, and
//!   only names the cache itself produced are ever deleted.

use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum CacheDirError {
    #[error(
        "cache directory {path} is {problem}: refusing to use it (another user could change what dredge reports); {fix}, or choose another with --cache-dir"
    )]
    Unsafe { path: String, problem: String, fix: String },
    #[error("cache directory {path} exists and is not a directory: choose another with --cache-dir")]
    NotADirectory { path: String },
    #[error("cache directory {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
}

fn io_err(path: &Path, source: io::Error) -> CacheDirError {
    CacheDirError::Io { path: path.display().to_string(), source }
}

/// For opening files inside the cache by hand (`OpenOptionsExt::custom_flags`).
pub const O_NOFOLLOW: i32 = libc::O_NOFOLLOW;

/// The effective user id of this process, from `/proc/self/status` (no `unsafe` FFI needed).
pub fn current_uid() -> u32 {
    if let Ok(s) = fs::read_to_string("/proc/self/status") {
        for line in s.lines() {
            if let Some(rest) = line.strip_prefix("Uid:") {
                // real, effective, saved, filesystem
                if let Some(e) = rest.split_whitespace().nth(1).and_then(|v| v.parse().ok()) {
                    return e;
                }
            }
        }
    }
    fs::metadata("/proc/self").map(|m| m.uid()).unwrap_or(u32::MAX)
}

/// The default root: `$XDG_CACHE_HOME/dredge`, `$HOME/.cache/dredge`, else a per-user directory
/// in the temp dir (`dredge-<uid>`), which [`CacheDir::open`] creates exclusively or checks is
/// this user's own — never a fixed path shared by every user.
pub fn default_root() -> PathBuf {
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME").filter(|x| !x.is_empty()) {
        return PathBuf::from(x).join("dredge");
    }
    match std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        Some(h) => PathBuf::from(h).join(".cache").join("dredge"),
        None => std::env::temp_dir().join(format!("dredge-{}", current_uid())),
    }
}

/// Checks one directory of the cache (the root or one inside it).
fn check_own_dir(path: &Path, uid: u32) -> Result<(), CacheDirError> {
    let md = fs::symlink_metadata(path).map_err(|e| io_err(path, e))?;
    let unsafe_dir = |problem: String, fix: String| CacheDirError::Unsafe { path: path.display().to_string(), problem, fix };
    if md.file_type().is_symlink() {
        return Err(unsafe_dir(
            "a symbolic link (dredge follows no link inside its cache)".into(),
            "give the directory it points to instead, or remove the link".into(),
        ));
    }
    if !md.is_dir() {
        return Err(CacheDirError::NotADirectory { path: path.display().to_string() });
    }
    if md.uid() != uid {
        return Err(unsafe_dir(format!("owned by uid {} (dredge runs as uid {uid})", md.uid()), "remove it".into()));
    }
    let mode = md.permissions().mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Err(unsafe_dir(
            format!("writable by {} (mode {mode:04o})", if mode & 0o002 != 0 { "others" } else { "its group" }),
            format!("run `chmod 700 {}`", path.display()),
        ));
    }
    Ok(())
}

/// Checks the ancestors of the root: another user must not be able to replace the path.
fn check_ancestors(root: &Path, uid: u32) -> Result<(), CacheDirError> {
    check_ancestors_from(root, root.parent(), uid)
}

/// Checks `start` and every directory above it, for a cache at `root` below them.
fn check_ancestors_from(root: &Path, start: Option<&Path>, uid: u32) -> Result<(), CacheDirError> {
    let mut cur = start;
    while let Some(dir) = cur {
        if dir.as_os_str().is_empty() {
            break;
        }
        // Ancestors may be symlinks (e.g. a home on another volume): their targets are checked.
        let md = fs::metadata(dir).map_err(|e| io_err(dir, e))?;
        let mode = md.permissions().mode() & 0o7777;
        let sticky = mode & 0o1000 != 0;
        let problem = if md.uid() != 0 && md.uid() != uid {
            Some(format!("inside {}, which belongs to uid {}", dir.display(), md.uid()))
        } else if mode & 0o002 != 0 && !sticky {
            Some(format!("inside {}, which anyone may write to (mode {mode:04o}, not sticky)", dir.display()))
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(CacheDirError::Unsafe {
                path: root.display().to_string(),
                problem,
                fix: "keep the cache in a directory only you control".into(),
            });
        }
        cur = dir.parent();
    }
    Ok(())
}

/// Creates `path` with mode 0700 when missing (the parent must exist), then checks it.
fn ensure_dir(path: &Path, uid: u32) -> Result<(), CacheDirError> {
    match fs::DirBuilder::new().mode(0o700).create(path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(io_err(path, e)),
    }
    check_own_dir(path, uid)
}

/// A checked cache root.
#[derive(Debug, Clone)]
pub struct CacheDir {
    root: PathBuf,
    uid: u32,
}

impl CacheDir {
    /// Opens the root, creating it (and missing parents) with mode 0700, and checks it and its
    /// ancestors.
    pub fn open(root: &Path) -> Result<CacheDir, CacheDirError> {
        let uid = current_uid();
        let root = if root.is_absolute() { root.to_path_buf() } else { std::env::current_dir().map_err(|e| io_err(root, e))?.join(root) };
        // Missing parents are created 0700 too (a fresh ~/.cache, or the per-user temp dir), but
        // only after what exists above them has been checked: a refused place is left untouched.
        let mut missing = Vec::new();
        let mut cur = root.as_path();
        while fs::symlink_metadata(cur).is_err() {
            missing.push(cur.to_path_buf());
            match cur.parent() {
                Some(p) => cur = p,
                None => break,
            }
        }
        if !missing.is_empty() {
            let existing = fs::metadata(cur).map_err(|e| io_err(cur, e))?;
            if !existing.is_dir() {
                return Err(CacheDirError::NotADirectory { path: cur.display().to_string() });
            }
            check_ancestors_from(&root, Some(cur), uid)?;
        }
        for dir in missing.iter().rev() {
            match fs::DirBuilder::new().mode(0o700).create(dir) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(io_err(dir, e)),
            }
        }
        check_ancestors(&root, uid)?;
        check_own_dir(&root, uid)?;
        Ok(CacheDir { root, uid })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A directory inside the cache (`layers`, `db/sources`), created 0700 and checked at every
    /// level; never reached through a symlink.
    pub fn subdir(&self, rel: &str) -> Result<PathBuf, CacheDirError> {
        let mut cur = self.root.clone();
        for part in rel.split('/').filter(|p| !p.is_empty()) {
            if part == ".." || part == "." {
                return Err(io_err(Path::new(rel), io::Error::new(io::ErrorKind::InvalidInput, "not a plain relative path")));
            }
            cur.push(part);
            ensure_dir(&cur, self.uid)?;
        }
        Ok(cur)
    }
}

/// Opens a file for reading without following a symlink in its last component; anything but a
/// regular file is an error.
pub fn open_nofollow(path: &Path) -> io::Result<fs::File> {
    let f = fs::OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK).open(path)?;
    if !f.metadata()?.is_file() {
        return Err(io::Error::new(io::ErrorKind::InvalidData, format!("{} is not a regular file", path.display())));
    }
    Ok(f)
}

/// Reads a whole file of at most `max` bytes without following symlinks.
pub fn read_nofollow(path: &Path, max: u64) -> io::Result<Vec<u8>> {
    let f = open_nofollow(path)?;
    let mut v = Vec::new();
    f.take(max + 1).read_to_end(&mut v)?;
    if v.len() as u64 > max {
        return Err(io::Error::new(io::ErrorKind::InvalidData, format!("{} is larger than {max} bytes", path.display())));
    }
    Ok(v)
}

/// A new file in `dir` that did not exist before (`O_CREAT|O_EXCL|O_NOFOLLOW`, mode 0600), named
/// `.tmp-<pid>-<n>`; the caller renames it into place.
pub fn create_temp(dir: &Path) -> io::Result<(PathBuf, fs::File)> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    loop {
        let name = format!(".tmp-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed));
        let path = dir.join(name);
        match fs::OpenOptions::new().write(true).create_new(true).mode(0o600).custom_flags(libc::O_NOFOLLOW).open(&path) {
            Ok(f) => return Ok((path, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Writes `bytes` to `dir/name` atomically: a fresh temp file renamed over the name. A symlink
/// planted at the name is replaced, never written through.
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    let (tmp, mut f) = create_temp(dir)?;
    let r = f.write_all(bytes).and_then(|_| f.sync_all()).and_then(|_| fs::rename(&tmp, dir.join(name)));
    if r.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    r
}

/// Removes temp files (`.tmp-<pid>-<n>`, `*.download-<pid>`) left in `dir` by processes that no
/// longer run (a killed scan or download). Only regular files with those names are touched.
pub fn remove_stale_temps(dir: &Path) {
    let Ok(rd) = fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let pid = name
            .strip_prefix(".tmp-")
            .and_then(|r| r.split('-').next())
            .or_else(|| name.rsplit_once(".download-").map(|(_, p)| p))
            .and_then(|p| p.parse::<u32>().ok());
        let Some(pid) = pid else { continue };
        if pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        if e.file_type().is_ok_and(|t| t.is_file()) {
            let _ = fs::remove_file(e.path());
        }
    }
}

/// A secret of this cache (32 random bytes in `<root>/key`, mode 0600), used to authenticate
/// entries: an entry edited by hand, or copied from another machine's cache, no longer verifies.
pub fn cache_secret(dir: &CacheDir) -> Result<Vec<u8>, CacheDirError> {
    let path = dir.root().join("key");
    match read_nofollow(&path, 64) {
        Ok(k) if k.len() == 32 => return Ok(k),
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_err(&path, e)),
    }
    let mut k = vec![0u8; 32];
    getrandom::fill(&mut k).map_err(|e| io_err(&path, io::Error::other(e.to_string())))?;
    // Another process may write its key at the same time: the rename makes one win; read it back.
    write_atomic(dir.root(), "key", &k).map_err(|e| io_err(&path, e))?;
    let k = read_nofollow(&path, 64).map_err(|e| io_err(&path, e))?;
    Ok(k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_private_and_refused_when_not() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("a/b/cache");
        let c = CacheDir::open(&root).unwrap();
        assert_eq!(fs::metadata(&root).unwrap().permissions().mode() & 0o777, 0o700);
        assert_eq!(fs::metadata(t.path().join("a")).unwrap().permissions().mode() & 0o777, 0o700);
        let layers = c.subdir("layers").unwrap();
        assert_eq!(fs::metadata(&layers).unwrap().permissions().mode() & 0o777, 0o700);
        fs::set_permissions(&layers, fs::Permissions::from_mode(0o777)).unwrap();
        let e = c.subdir("layers").unwrap_err().to_string();
        assert!(e.contains("writable by others") && e.contains("chmod 700"), "{e}");
        fs::set_permissions(&root, fs::Permissions::from_mode(0o770)).unwrap();
        assert!(CacheDir::open(&root).unwrap_err().to_string().contains("writable by its group"));
        fs::set_permissions(&root, fs::Permissions::from_mode(0o700)).unwrap();
        // Owned by someone else (nobody): refused whatever its mode. Giving a directory away
        // takes root, which CI is.
        fs::set_permissions(&layers, fs::Permissions::from_mode(0o700)).unwrap();
        if current_uid() == 0 {
            std::os::unix::fs::chown(&layers, Some(65534), Some(65534)).unwrap();
            let e = c.subdir("layers").unwrap_err().to_string();
            assert!(e.contains("owned by uid 65534"), "{e}");
        }
    }

    #[test]
    fn symlinks_inside_are_refused() {
        let t = tempfile::tempdir().unwrap();
        let c = CacheDir::open(&t.path().join("cache")).unwrap();
        let elsewhere = t.path().join("elsewhere");
        fs::create_dir(&elsewhere).unwrap();
        std::os::unix::fs::symlink(&elsewhere, c.root().join("layers")).unwrap();
        assert!(c.subdir("layers").unwrap_err().to_string().contains("symbolic link"));
    }

    #[test]
    fn world_writable_non_sticky_ancestor_is_refused() {
        let t = tempfile::tempdir().unwrap();
        let open = t.path().join("open");
        fs::create_dir(&open).unwrap();
        fs::set_permissions(&open, fs::Permissions::from_mode(0o777)).unwrap();
        let e = CacheDir::open(&open.join("cache/deeper")).unwrap_err().to_string();
        assert!(e.contains("anyone may write"), "{e}");
        assert!(!open.join("cache").exists(), "nothing created in a refused place");
        let file = t.path().join("file");
        fs::write(&file, "x").unwrap();
        let e = CacheDir::open(&file).unwrap_err().to_string();
        assert!(e.contains("is not a directory") && !e.contains("remove"), "{e}");
        fs::set_permissions(&open, fs::Permissions::from_mode(0o1777)).unwrap();
        CacheDir::open(&open.join("cache")).unwrap();
    }

    #[test]
    fn atomic_write_replaces_a_planted_symlink_instead_of_writing_through_it() {
        let t = tempfile::tempdir().unwrap();
        let victim = t.path().join("victim");
        fs::write(&victim, "precious").unwrap();
        let dir = t.path().join("d");
        fs::create_dir(&dir).unwrap();
        std::os::unix::fs::symlink(&victim, dir.join("x.json")).unwrap();
        write_atomic(&dir, "x.json", b"new").unwrap();
        assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
        assert_eq!(fs::read_to_string(dir.join("x.json")).unwrap(), "new");
        std::os::unix::fs::symlink(&victim, dir.join("y.json")).unwrap();
        assert!(read_nofollow(&dir.join("y.json"), 100).is_err());
    }

    #[test]
    fn stale_temps_of_dead_processes_are_removed() {
        let t = tempfile::tempdir().unwrap();
        // pid 4194304 is above Linux's pid_max: never a running process.
        fs::write(t.path().join("x.zip.download-4194304"), "partial").unwrap();
        fs::write(t.path().join(".tmp-4194304-0"), "partial").unwrap();
        fs::write(t.path().join(format!(".tmp-{}-9", std::process::id())), "mine").unwrap();
        fs::write(t.path().join("README.txt"), "not ours").unwrap();
        remove_stale_temps(t.path());
        let mut left: Vec<String> = fs::read_dir(t.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into()).collect();
        left.sort();
        assert_eq!(left, vec![format!(".tmp-{}-9", std::process::id()), "README.txt".to_string()]);
    }
}
