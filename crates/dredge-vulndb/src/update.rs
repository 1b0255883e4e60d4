//! `dredge db update`: download the configured sources over HTTP with conditional requests (an
//! unchanged source costs one request and no download), keep each in the cache, and rebuild the
//! database only when something changed. Every file is written to a temporary name and renamed,
//! so a killed update leaves the previous files and database usable.

use crate::{DbError, SourceSpec, Status, build};
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// OSV's public per-ecosystem exports of the distributions dredge matches.
/// The OSV ecosystems whose exports `db update` downloads by default: every one dredge can match
/// (the distributions it detects, the language ecosystems it catalogs) that OSV publishes.
/// `dredge-match`'s tests check this list against the OS and package mappings and against the
/// OSV schema's list of ecosystems (testdata/osv-ecosystems.txt).
pub const DEFAULT_ECOSYSTEMS: &[&str] = &[
    // distributions
    "Alpine",
    "Debian",
    "Ubuntu",
    "AlmaLinux",
    "Rocky Linux",
    "Red Hat",
    "SUSE",
    "openSUSE",
    "Wolfi",
    "Chainguard",
    "Photon OS",
    "openEuler",
    "Mageia",
    "MinimOS",
    "Echo",
    "Alpaquita",
    "BellSoft Hardened Containers",
    // language ecosystems
    "PyPI",
    "npm",
    "Maven",
    "Go",
    "crates.io",
    "RubyGems",
    "NuGet",
    "Packagist",
    "Pub",
    "Hex",
    "SwiftURL",
    "ConanCenter",
    // Bitnami's image components
    "Bitnami",
];

/// Where OSV publishes the export of one ecosystem (every record, one zip). `DREDGE_OSV_BASE`
/// replaces OSV's host (a mirror of the same layout: `<base>/<Ecosystem>/all.zip`).
pub fn osv_export_url(ecosystem: &str) -> String {
    let base = std::env::var("DREDGE_OSV_BASE")
        .ok()
        .filter(|b| !b.trim().is_empty())
        .unwrap_or_else(|| "https://osv-vulnerabilities.storage.googleapis.com".into());
    format!("{}/{}/all.zip", base.trim_end_matches('/'), ecosystem.replace(' ', "%20"))
}

/// The distributions OSV does not carry, from their own feeds: (name for `--ecosystems`, the OSV
/// ecosystem prefix its records get, where the distributor publishes it). Amazon's are yum mirror
/// lists, followed to the repository's `updateinfo.xml.gz`.
pub const DEFAULT_FEEDS: &[(&str, &str, &str)] = &[
    ("Amazon Linux 1", "Amazon Linux", "http://repo.us-west-2.amazonaws.com/2018.03/updates/x86_64/mirror.list"),
    ("Amazon Linux 2", "Amazon Linux", "https://cdn.amazonlinux.com/2/core/latest/x86_64/mirror.list"),
    ("Amazon Linux 2023", "Amazon Linux", "https://cdn.amazonlinux.com/al2023/core/mirrors/latest/x86_64/mirror.list"),
    ("Oracle Linux", "Oracle Linux", "https://linux.oracle.com/security/oval/com.oracle.elsa-all.xml.bz2"),
    ("CBL-Mariner 2.0", "Mariner", "https://raw.githubusercontent.com/microsoft/AzureLinuxVulnerabilityData/main/cbl-mariner-2.0-oval.xml"),
    (
        "Azure Linux 3.0",
        "Azure Linux",
        "https://raw.githubusercontent.com/microsoft/AzureLinuxVulnerabilityData/main/azurelinux-3.0-oval.xml",
    ),
];

/// Where a default feed is fetched from: `DREDGE_FEEDS_MIRROR` replaces the scheme and host of the
/// distributor's URL (a mirror of the same paths).
pub fn feed_url(url: &str) -> String {
    match std::env::var("DREDGE_FEEDS_MIRROR").ok().filter(|b| !b.trim().is_empty()) {
        Some(base) => {
            let path = url.split_once("://").and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..])).unwrap_or("/");
            format!("{}{path}", base.trim_end_matches('/'))
        }
        None => url.to_string(),
    }
}

/// The source of one name `--ecosystems` takes: an OSV ecosystem or a distribution feed.
pub fn named_source(name: &str) -> Option<String> {
    if DEFAULT_ECOSYSTEMS.contains(&name) {
        return Some(osv_export_url(name));
    }
    DEFAULT_FEEDS.iter().find(|(n, _, _)| *n == name).map(|(_, _, u)| feed_url(u))
}

/// Every name `--ecosystems` takes.
pub fn source_names() -> Vec<&'static str> {
    DEFAULT_ECOSYSTEMS.iter().copied().chain(DEFAULT_FEEDS.iter().map(|(n, _, _)| *n)).collect()
}

/// `DREDGE_DB_SOURCES` (comma-separated URLs or paths), else the OSV exports of
/// [`DEFAULT_ECOSYSTEMS`] and the distribution feeds of [`DEFAULT_FEEDS`].
pub fn default_sources() -> Vec<String> {
    match std::env::var("DREDGE_DB_SOURCES") {
        Ok(s) if !s.trim().is_empty() => s.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect(),
        _ => DEFAULT_ECOSYSTEMS.iter().map(|e| osv_export_url(e)).chain(DEFAULT_FEEDS.iter().map(|(_, _, u)| feed_url(u))).collect(),
    }
}

/// A yum repository's mirror list → the URL of its `updateinfo.xml.gz`: the first mirror, its
/// `repodata/repomd.xml`, the `<data type="updateinfo">` location there. An `https` list must
/// lead to `https` mirrors.
fn resolve_mirror_list(agent: &ureq::Agent, url: &str) -> Result<String, DbError> {
    let err = |m: String| DbError::Source { source_name: url.to_string(), message: m };
    let get = |u: &str, cap: u64| -> Result<String, DbError> {
        // The source itself is named by the error already; a URL it led to is named here.
        let at = if u == url { String::new() } else { format!("{u}: ") };
        let resp = agent.get(u).call().map_err(|e| err(format!("{at}{e}")))?;
        if resp.status().as_u16() != 200 {
            return Err(err(format!("{at}HTTP {}", resp.status().as_u16())));
        }
        let mut text = String::new();
        resp.into_body().into_reader().take(cap).read_to_string(&mut text).map_err(|e| err(format!("{at}{e}")))?;
        Ok(text)
    };
    let list = get(url, 64 << 10)?;
    let base = list
        .lines()
        .map(str::trim)
        .find(|l| is_url(l))
        .ok_or_else(|| err("the mirror list names no mirror".into()))?
        .trim_end_matches('/')
        .to_string();
    if url.starts_with("https://") && !base.starts_with("https://") {
        return Err(err(format!("the mirror list leads from https to {base}: refused")));
    }
    let repomd = get(&format!("{base}/repodata/repomd.xml"), 4 << 20)?;
    let href = updateinfo_location(&repomd).ok_or_else(|| err(format!("{base}/repodata/repomd.xml lists no updateinfo")))?;
    if href.contains("://") || href.starts_with('/') || href.split('/').any(|p| p == "..") {
        return Err(err(format!("repomd.xml points outside the repository: {href}")));
    }
    Ok(format!("{base}/{href}"))
}

/// `<data type="updateinfo"><location href="repodata/…-updateinfo.xml.gz"/></data>` of a
/// repomd.xml.
fn updateinfo_location(repomd: &str) -> Option<String> {
    use quick_xml::events::Event as X;
    let mut rd = quick_xml::Reader::from_str(repomd);
    let mut inside = false;
    loop {
        match rd.read_event().ok()? {
            X::Eof => return None,
            X::Start(e) if e.local_name().as_ref() == b"data" => {
                inside = e.attributes().flatten().any(|a| a.key.local_name().as_ref() == b"type" && a.value.as_ref() == b"updateinfo");
            }
            X::End(e) if e.local_name().as_ref() == b"data" => inside = false,
            X::Empty(e) | X::Start(e) if inside && e.local_name().as_ref() == b"location" => {
                return e
                    .attributes()
                    .flatten()
                    .find(|a| a.key.local_name().as_ref() == b"href")
                    .and_then(|a| a.unescape_value().ok())
                    .map(|v| v.into_owned());
            }
            _ => {}
        }
    }
}

/// Largest source accepted (OSV's biggest export is a few hundred MiB).
const MAX_SOURCE: u64 = 2 << 30;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Meta {
    url: String,
    etag: Option<String>,
    last_modified: Option<String>,
}

fn is_url(s: &str) -> bool {
    s.starts_with("http://") || s.starts_with("https://")
}

fn key(url: &str) -> String {
    use std::hash::{Hash, Hasher};
    // A stable, short, filesystem-safe name; collisions would only cost a re-download.
    let mut h = std::collections::hash_map::DefaultHasher::new();
    url.hash(&mut h);
    format!("{:016x}", h.finish())
}

/// The file extension `load_path` needs to read a download.
fn extension(url: &str) -> &'static str {
    let path = url.split(['?', '#']).next().unwrap_or(url).to_ascii_lowercase();
    if path.ends_with(".zip") {
        "zip"
    } else if path.ends_with(".tar.gz") || path.ends_with(".tgz") {
        "tar.gz"
    } else if path.ends_with(".yaml") || path.ends_with(".yml") {
        "yaml"
    } else if path.ends_with(".xml.gz") || path.ends_with("/mirror.list") {
        // A yum mirror list leads to the repository's updateinfo.xml.gz.
        "xml.gz"
    } else if path.ends_with(".xml.bz2") {
        "xml.bz2"
    } else if path.ends_with(".xml") {
        "xml"
    } else {
        "json"
    }
}

/// `path` made absolute (not resolved through symlinks), as text.
pub fn absolute(path: &str) -> String {
    std::path::absolute(path).map(|p| p.display().to_string()).unwrap_or_else(|_| path.to_string())
}

/// A fingerprint of a local source: the SHA-256 of a file, or of the names, sizes and contents of
/// every file below a directory (sorted), as `sha256:<hex>`.
pub fn local_fingerprint(path: &Path) -> std::io::Result<String> {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    let md = std::fs::metadata(path)?;
    if md.is_file() {
        std::io::copy(&mut std::fs::File::open(path)?, &mut h)?;
    } else {
        let mut files = Vec::new();
        let mut stack = vec![path.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d)? {
                let e = e?;
                let t = e.file_type()?;
                if t.is_dir() {
                    stack.push(e.path());
                } else if t.is_file() {
                    files.push(e.path());
                }
            }
        }
        files.sort();
        for f in files {
            h.update(f.strip_prefix(path).unwrap_or(&f).to_string_lossy().as_bytes());
            h.update([0]);
            std::io::copy(&mut std::fs::File::open(&f)?, &mut h)?;
        }
    }
    Ok(format!("sha256:{}", hex::encode(h.finalize())))
}

/// What happened to one source.
#[derive(Debug, Clone, Serialize)]
pub struct Fetch {
    pub location: String,
    /// Downloaded anew (false: 304 Not Modified, or a local path).
    pub downloaded: bool,
    pub bytes: u64,
}

/// Told how downloads go, for people (a progress bar on a terminal, a line per source otherwise).
pub trait Progress {
    /// A download of `url` starts; `total` is its Content-Length when known.
    fn start(&self, _url: &str, _total: Option<u64>) {}
    /// `bytes` have arrived so far.
    fn advance(&self, _bytes: u64) {}
    /// The source is done: downloaded anew, or unchanged (304).
    fn done(&self, _url: &str, _bytes: u64, _downloaded: bool) {}
}

/// Says nothing.
pub struct Quiet;
impl Progress for Quiet {}

/// Counts bytes through to a [`Progress`].
struct Counting<'a, R> {
    inner: R,
    n: u64,
    progress: &'a dyn Progress,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let k = self.inner.read(buf)?;
        let before = self.n;
        self.n += k as u64;
        if self.n >> 18 != before >> 18 {
            self.progress.advance(self.n);
        }
        Ok(k)
    }
}

fn fetch(agent: &ureq::Agent, source: &str, dir: &Path, progress: &dyn Progress) -> Result<(PathBuf, Meta, Fetch), DbError> {
    // Named and cached by the source as configured; a mirror list is followed to the file.
    let base = dir.join(key(source));
    let file = base.with_extension(extension(source));
    let resolved;
    let url = if source.ends_with("/mirror.list") {
        resolved = resolve_mirror_list(agent, source)?;
        resolved.as_str()
    } else {
        source
    };
    let err = |m: String| DbError::Source { source_name: url.to_string(), message: m };
    let meta_path = base.with_extension("meta.json");
    // Nothing in the cache is read or written through a symlink (dredge_cachedir).
    let old: Option<Meta> = dredge_cachedir::read_nofollow(&meta_path, 1 << 20)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .filter(|_| std::fs::symlink_metadata(&file).is_ok_and(|m| m.is_file()))
        // A mirror list that now leads elsewhere (a new updateinfo file name) is a new download.
        .filter(|m: &Meta| m.url == url);
    let mut req = agent.get(url);
    if let Some(m) = &old {
        if let Some(e) = &m.etag {
            req = req.header("If-None-Match", e);
        }
        if let Some(l) = &m.last_modified {
            req = req.header("If-Modified-Since", l);
        }
    }
    let resp = req.call().map_err(|e| err(e.to_string()))?;
    let status = resp.status().as_u16();
    if status == 304 {
        if let Some(m) = old {
            progress.done(url, 0, false);
            return Ok((file, m, Fetch { location: source.to_string(), downloaded: false, bytes: 0 }));
        }
    }
    if status != 200 {
        return Err(err(format!("HTTP {status}")));
    }
    let header = |h: &str| resp.headers().get(h).and_then(|v| v.to_str().ok()).map(str::to_string);
    let meta = Meta { url: url.to_string(), etag: header("etag"), last_modified: header("last-modified") };
    let tmp = base.with_extension(format!("download-{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp); // a stale one of a reused pid (a link is removed, not followed)
    let mut out = std::fs::File::options()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(dredge_cachedir::O_NOFOLLOW)
        .open(&tmp)
        .map_err(|e| err(format!("{}: {e}", tmp.display())))?;
    let total = resp.headers().get("content-length").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    progress.start(url, total);
    let mut body = Counting { inner: resp.into_body().into_reader(), n: 0, progress }.take(MAX_SOURCE + 1);
    let n = std::io::copy(&mut body, &mut out).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        err(format!("download interrupted: {e}"))
    })?;
    if n > MAX_SOURCE {
        let _ = std::fs::remove_file(&tmp);
        return Err(err(format!("larger than {MAX_SOURCE} bytes")));
    }
    out.sync_all().ok();
    std::fs::rename(&tmp, &file).map_err(|e| err(e.to_string()))?;
    let meta_name = meta_path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    dredge_cachedir::write_atomic(dir, &meta_name, &serde_json::to_vec(&meta).unwrap_or_default())
        .map_err(|e| err(format!("{}: {e}", meta_path.display())))?;
    progress.done(url, n, true);
    Ok((file, meta, Fetch { location: source.to_string(), downloaded: true, bytes: n }))
}

/// The outcome of an update.
#[derive(Debug, Clone, Serialize)]
pub struct UpdateOutcome {
    pub fetches: Vec<Fetch>,
    /// The database was rebuilt (false: every source was unchanged).
    pub rebuilt: bool,
    pub status: Status,
}

/// Updates the database at `db` from `sources` (URLs or local paths; empty = the sources the
/// database was built from, else the OSV exports of [`DEFAULT_ECOSYSTEMS`]). Downloads live in `sources_dir`, a
/// checked directory of the cache (`CacheDir::subdir("db/sources")`); what a killed download left
/// there is removed first.
pub fn update(db: &Path, sources: &[String], sources_dir: &Path, now: &str) -> Result<UpdateOutcome, DbError> {
    update_with(db, sources, sources_dir, now, &Quiet)
}

/// [`update`], telling `progress` how each download goes.
pub fn update_with(
    db: &Path,
    sources: &[String],
    sources_dir: &Path,
    now: &str,
    progress: &dyn Progress,
) -> Result<UpdateOutcome, DbError> {
    let recorded_info: Vec<crate::SourceInfo> = crate::Db::open(db).ok().and_then(|d| d.info().ok()).map(|s| s.sources).unwrap_or_default();
    let recorded_set: Vec<String> = recorded_info.iter().map(|s| s.location.clone()).collect();
    let sources: Vec<String> = if !sources.is_empty() {
        // A relative path is recorded absolute, so a later update from elsewhere finds it.
        sources.iter().map(|s| if is_url(s) { s.clone() } else { absolute(s) }).collect()
    } else {
        let recorded =
            crate::Db::open(db).ok().and_then(|d| d.info().ok()).map(|s| s.sources.into_iter().map(|s| s.location).collect::<Vec<_>>());
        match recorded {
            Some(r) if !r.is_empty() => r,
            _ => default_sources(),
        }
    };
    let dir = sources_dir.to_path_buf();
    dredge_cachedir::remove_stale_temps(&dir);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(Duration::from_secs(15)))
        .timeout_recv_response(Some(Duration::from_secs(60)))
        .user_agent(format!("dredge/{}", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let mut fetches = Vec::new();
    let mut built = Vec::new();
    for s in &sources {
        if is_url(s) {
            let (file, meta, f) = fetch(&agent, s, &dir, progress)?;
            built.push(SourceSpec { location: s.clone(), path: file, etag: meta.etag, last_modified: meta.last_modified });
            fetches.push(f);
        } else {
            // A local source is "changed" when its content fingerprint differs from the one the
            // database recorded: an unchanged file does not trigger a rebuild.
            let fp = local_fingerprint(Path::new(s)).map_err(|e| DbError::Source { source_name: s.clone(), message: e.to_string() })?;
            let before = recorded_info.iter().find(|r| r.location == *s).and_then(|r| r.etag.clone());
            let changed = before.as_deref() != Some(fp.as_str());
            built.push(SourceSpec { location: s.clone(), path: PathBuf::from(s), etag: Some(fp), last_modified: None });
            fetches.push(Fetch { location: s.clone(), downloaded: changed, bytes: 0 });
        }
    }
    let any_local = false;
    let mut wanted: Vec<&String> = sources.iter().collect();
    wanted.sort();
    let mut had: Vec<&String> = recorded_set.iter().collect();
    had.sort();
    let changed = fetches.iter().any(|f| f.downloaded) || any_local || wanted != had || crate::Db::open(db).is_err();
    if !changed {
        crate::Db::mark_checked(db, now)?;
        let status = crate::Db::open(db)?.status()?;
        return Ok(UpdateOutcome { fetches, rebuilt: false, status });
    }
    let (status, _) = build(db, &built, now)?;
    Ok(UpdateOutcome { fetches, rebuilt: true, status })
}
