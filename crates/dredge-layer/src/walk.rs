//! One streaming pass over a layer: decompress by magic, read the tar entries once, hand wanted
//! files to the extractors, record whiteouts and links as data, and verify both digests.

use crate::path::{PathProblem, normalise};
use crate::plugin::PluginSet;
use crate::{EntryKind, FileFacts, LayerError, LayerFacts, LayerStats};
use dredge_model::Warning;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// How a layer blob is compressed, found from its first bytes (media types lie; magic does not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

impl Compression {
    pub fn sniff(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }
}

/// The decompressed-size budget shared by all layers of one image (`--max-image-size`). It stops
/// decompression bombs early: the walk fails as soon as the budget is spent, before any more work.
///
/// Compressed bytes are counted too, separately against the same limit: a blob of zstd skippable
/// frames (or gzip members holding nothing) decompresses to nothing while it downloads forever.
#[derive(Debug)]
pub struct SizeBudget {
    limit: u64,
    used: AtomicU64,
    raw_used: AtomicU64,
}

impl SizeBudget {
    pub fn new(limit: u64) -> Self {
        SizeBudget { limit, used: AtomicU64::new(0), raw_used: AtomicU64::new(0) }
    }
    fn spend(&self, n: u64, raw: bool) -> bool {
        let counter = if raw { &self.raw_used } else { &self.used };
        counter.fetch_add(n, Ordering::Relaxed) + n <= self.limit
    }
    pub fn limit(&self) -> u64 {
        self.limit
    }
}

/// What the caller knows about the layer it hands to [`walk_layer`].
pub struct LayerInput<R> {
    pub reader: R,
    pub index: usize,
    /// The digest of the blob as stored (`sha256:...`), when known: verified.
    pub expected_digest: Option<String>,
    /// The `rootfs.diff_ids` entry for this layer: verified.
    pub expected_diff_id: Option<String>,
    /// For messages: `layer 2 (sha256:ab12…)`.
    pub label: String,
    /// A follow-up walk: only these `(target, link)` paths are looked at; a target's content goes
    /// to the extractors of `link` and into [`LayerFacts::followed`] (a symlink at the target is
    /// recorded there as a symlink, for the caller to follow further). Empty: a normal walk.
    pub follow: Vec<(String, String)>,
}

#[derive(Default)]
struct HashState {
    hasher: Sha256,
    bytes: u64,
}

/// A reader that hashes and counts what passes through it; the state stays reachable while the
/// reader itself is owned by a decoder.
struct Hashing<R> {
    inner: R,
    state: Arc<Mutex<HashState>>,
    budget: Option<Arc<SizeBudget>>,
    /// Counts against the budget's compressed (raw blob) bytes rather than decompressed ones.
    raw: bool,
    /// Off once an uncompressed blob is recognised: the tar hash then covers the same bytes.
    active: bool,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            if let Some(b) = &self.budget {
                if !b.spend(n as u64, self.raw) {
                    return Err(io::Error::other(BudgetExceeded));
                }
            }
            let mut st = self.state.lock().map_err(|_| io::Error::other("hash state poisoned"))?;
            if self.active {
                st.hasher.update(&buf[..n]);
            }
            st.bytes += n as u64;
        }
        Ok(n)
    }
}

#[derive(Debug)]
struct BudgetExceeded;
impl std::fmt::Display for BudgetExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("decompressed size budget exceeded")
    }
}
impl std::error::Error for BudgetExceeded {}

fn is_budget(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|i| i.is::<BudgetExceeded>())
}

fn finish(state: &Arc<Mutex<HashState>>) -> (String, u64) {
    match state.lock() {
        Ok(mut st) => {
            let h = std::mem::take(&mut st.hasher);
            (format!("sha256:{}", hex::encode(h.finalize())), st.bytes)
        }
        Err(_) => (String::new(), 0),
    }
}

/// Wanted files up to this size stay in memory for hard links to them later in the same layer
/// (package databases are small; a hard-linked 100 MB jar is not worth holding).
const KEEP_FOR_HARDLINKS: usize = 4 << 20;
/// And at most this much in total per layer: a layer of many wanted files cannot make the walk
/// hold them all (100 × 4 MiB `package.json` would otherwise stay in memory to the layer's end).
const KEEP_FOR_HARDLINKS_TOTAL: usize = 32 << 20;

/// Walk one layer. Reads the whole stream exactly once; keeps in memory only the files a plugin
/// asked for (each under that plugin's size cap).
pub fn walk_layer<R: Read>(input: LayerInput<R>, plugins: &PluginSet<'_>, budget: &Arc<SizeBudget>) -> Result<LayerFacts, LayerError> {
    let label = input.label.clone();
    let io_err = |what: &'static str, e: io::Error| {
        if is_budget(&e) {
            LayerError::TooLarge { layer: label.clone(), limit: budget.limit() }
        } else {
            LayerError::Io { layer: label.clone(), what, source: e }
        }
    };

    let raw_state = Arc::new(Mutex::new(HashState::default()));
    let raw = Hashing { inner: input.reader, state: raw_state.clone(), budget: Some(budget.clone()), raw: true, active: true };
    let mut buffered = BufReader::with_capacity(256 << 10, raw);
    let head = buffered.fill_buf().map_err(|e| io_err("reading the layer blob", e))?;
    let compression = Compression::sniff(head);
    if compression == Compression::None {
        // The blob is the tar: hashing it once (as the diff_id) gives both digests.
        buffered.get_mut().active = false;
    }
    let decoded: Box<dyn Read> = match compression {
        Compression::None => Box::new(buffered),
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(buffered)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(buffered).map_err(|e| io_err("starting zstd", e))?),
    };
    let tar_state = Arc::new(Mutex::new(HashState::default()));
    let tar_reader = Hashing { inner: decoded, state: tar_state.clone(), budget: Some(budget.clone()), raw: false, active: true };

    let mut facts = LayerFacts { index: input.index, compression, ..Default::default() };
    // The tar reader asks for 512-byte headers; hash and count in large chunks below it.
    let mut archive = tar::Archive::new(BufReader::with_capacity(256 << 10, tar_reader));
    let mut wanted = Vec::new();
    // Bytes of wanted regular files seen in this layer, for hardlinks to them later in the layer.
    let mut kept: HashMap<String, Arc<Vec<u8>>> = HashMap::new();
    let mut kept_bytes = 0usize;
    {
        let entries = archive.entries().map_err(|e| io_err("reading the tar stream", e))?;
        for entry in entries {
            let mut entry = entry.map_err(|e| tar_error(&label, e, &facts.stats, budget.limit()))?;
            facts.stats.entries += 1;
            let raw_path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let np = match normalise(&raw_path) {
                Ok(p) => p,
                Err(PathProblem::Empty) => continue, // "./" — the root directory itself
                Err(PathProblem::EscapesRoot) => {
                    facts.warn(Some(&raw_path), "entry path escapes the image root (`..`); entry ignored");
                    facts.stats.rejected += 1;
                    continue;
                }
            };
            if np.was_absolute {
                facts.stats.absolute += 1;
            }
            let path = np.path;
            let kind = entry.header().entry_type();

            // Whiteouts: data, applied to lower layers by the merge.
            let (dir, file) = path.rsplit_once('/').map_or(("", path.as_str()), |(d, f)| (d, f));
            if let Some(rest) = file.strip_prefix(".wh.") {
                if rest == ".wh..opq" {
                    facts.opaque_dirs.push(dir.to_string());
                } else if !rest.starts_with(".wh.") && !rest.is_empty() {
                    facts.whiteouts.push(if dir.is_empty() { rest.to_string() } else { format!("{dir}/{rest}") });
                }
                continue;
            }

            if !input.follow.is_empty() {
                for (target, link) in &input.follow {
                    if *target != path {
                        continue;
                    }
                    let ff = match kind {
                        tar::EntryType::Regular | tar::EntryType::Continuous => {
                            plugins.wanted_by(link, &mut wanted);
                            let cap = wanted.iter().map(|&i| plugins.get(i).max_file_size()).max().unwrap_or(0);
                            let size = entry.size();
                            if size > cap {
                                facts.warn(
                                    Some(link),
                                    &format!("symlink target /{target} of {size} bytes is larger than the {cap}-byte limit; not read"),
                                );
                                FileFacts { kind: EntryKind::File, facts: Vec::new() }
                            } else {
                                let mut data = Vec::new();
                                (&mut entry).take(cap).read_to_end(&mut data).map_err(|e| io_err("reading a file from the layer", e))?;
                                run_plugins(plugins, &wanted, link, &data, &mut facts.warnings, input.index)
                            }
                        }
                        tar::EntryType::Symlink => FileFacts {
                            kind: EntryKind::Symlink {
                                target: entry.link_name_bytes().map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default(),
                            },
                            facts: Vec::new(),
                        },
                        _ => continue,
                    };
                    facts.followed.insert(link.clone(), ff);
                    break;
                }
                continue;
            }

            match kind {
                tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => {
                    facts.stats.files += 1;
                    let content = plugins.content();
                    if content.is_some() {
                        facts.written.push(path_hash(&path));
                    }
                    plugins.wanted_by(&path, &mut wanted);
                    // The effective size: a PAX `size` record overrides the ustar field, as in
                    // GNU tar, Go and Python (the raw field can be made to disagree to hide data).
                    let size = entry.size();
                    if wanted.is_empty() {
                        let exec = entry.header().mode().is_ok_and(|m| m & 0o111 != 0);
                        let mut head = Vec::new();
                        if exec && size >= 64 && !plugins.elf().is_empty() {
                            match crate::elf::sniff_elf(&mut entry, size).map_err(|e| io_err("reading a file from the layer", e))? {
                                crate::elf::Sniffed::Elf(bin) => {
                                    let ff = run_binary_plugins(plugins, &path, &bin, &mut facts.warnings, Some(input.index));
                                    facts.files.insert(path, ff);
                                    continue;
                                }
                                crate::elf::Sniffed::Other(h) => head = h,
                            }
                        }
                        if let Some(c) = content {
                            let found = scan_content(
                                c,
                                &path,
                                size,
                                &mut io::Cursor::new(head).chain(&mut entry),
                                &mut facts.warnings,
                                input.index,
                            )
                            .map_err(|e| io_err("reading a file from the layer", e))?;
                            if !found.is_empty() {
                                facts.files.insert(path, FileFacts { kind: EntryKind::File, facts: found });
                            }
                        }
                        continue; // the tar reader skips the rest of the data for us
                    }
                    let cap = wanted.iter().map(|&i| plugins.get(i).max_file_size()).max().unwrap_or(0);
                    if size > cap {
                        facts.warn(
                            Some(&path),
                            &format!("file of {size} bytes is larger than the {cap}-byte limit for its extractors; not read"),
                        );
                        let mut ff = FileFacts { kind: EntryKind::File, facts: Vec::new() };
                        if let Some(c) = content {
                            ff.facts = scan_content(c, &path, size, &mut entry, &mut facts.warnings, input.index)
                                .map_err(|e| io_err("reading a file from the layer", e))?;
                        }
                        facts.files.insert(path, ff);
                        continue;
                    }
                    let mut data = Vec::with_capacity(size as usize);
                    (&mut entry).take(cap).read_to_end(&mut data).map_err(|e| io_err("reading a file from the layer", e))?;
                    let data = Arc::new(data);
                    let mut ff = run_plugins(plugins, &wanted, &path, &data, &mut facts.warnings, input.index);
                    if let Some(c) = content {
                        ff.facts.extend(c.scan_bytes(&path, &data));
                    }
                    if data.len() <= KEEP_FOR_HARDLINKS && kept_bytes + data.len() <= KEEP_FOR_HARDLINKS_TOTAL {
                        kept_bytes += data.len();
                        if let Some(old) = kept.insert(path.clone(), data) {
                            kept_bytes -= old.len();
                        }
                    }
                    facts.files.insert(path, ff);
                }
                tar::EntryType::Link => {
                    plugins.wanted_by(&path, &mut wanted);
                    if wanted.is_empty() {
                        continue;
                    }
                    let target = entry.link_name_bytes().map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
                    let target_norm = normalise(&target).map(|p| p.path).unwrap_or_default();
                    match kept.get(&target_norm).cloned() {
                        Some(data) => {
                            let ff = run_plugins(plugins, &wanted, &path, &data, &mut facts.warnings, input.index);
                            facts.files.insert(path, ff);
                        }
                        None => {
                            facts.warn(Some(&path), &format!("hard link to {target} whose content was not kept; not read"));
                            facts.files.insert(path, FileFacts { kind: EntryKind::Hardlink { target }, facts: Vec::new() });
                        }
                    }
                }
                tar::EntryType::Symlink => {
                    plugins.wanted_by(&path, &mut wanted);
                    if wanted.is_empty() {
                        continue;
                    }
                    let target = entry.link_name_bytes().map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
                    facts.files.insert(path, FileFacts { kind: EntryKind::Symlink { target }, facts: Vec::new() });
                }
                tar::EntryType::Char | tar::EntryType::Block | tar::EntryType::Fifo => {
                    facts.stats.devices += 1;
                }
                _ => {}
            }
        }
    }
    // Drain the rest of the stream (tar end blocks, padding, trailing compressed bytes) so both
    // digests cover the whole blob.
    let mut tar_reader = archive.into_inner();
    io::copy(&mut tar_reader, &mut io::sink()).map_err(|e| io_err("reading the end of the layer", e))?;
    drop(tar_reader);
    let (diff_id, tar_bytes) = finish(&tar_state);
    let (raw_digest, raw_bytes) = finish(&raw_state);
    let digest = if compression == Compression::None { diff_id.clone() } else { raw_digest };
    facts.stats.uncompressed_bytes = tar_bytes;
    facts.stats.compressed_bytes = raw_bytes;
    if let Some(expected) = &input.expected_digest {
        if !expected.eq_ignore_ascii_case(&digest) {
            return Err(LayerError::DigestMismatch { layer: label, expected: expected.clone(), actual: digest });
        }
    }
    if let Some(expected) = &input.expected_diff_id {
        if !expected.eq_ignore_ascii_case(&diff_id) {
            return Err(LayerError::DiffIdMismatch { layer: label, expected: expected.clone(), actual: diff_id });
        }
    }
    facts.digest = Some(digest);
    facts.diff_id = diff_id;
    facts.written.sort_unstable();
    facts.written.dedup();
    Ok(facts)
}

fn tar_error(label: &str, e: io::Error, stats: &LayerStats, limit: u64) -> LayerError {
    if is_budget(&e) {
        return LayerError::TooLarge { layer: label.to_string(), limit };
    }
    LayerError::NotTar { layer: label.to_string(), after_entries: stats.entries, source: e }
}

/// A stable 64-bit hash of a path (FNV-1a): layers record the paths they write as these, so a
/// secret in a lower layer can be told "overwritten in layer N" without storing every path.
pub fn path_hash(path: &str) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in path.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

/// Streams one file through the content scanner, unless it is too large (a warning).
pub(crate) fn scan_content(
    c: &dyn crate::plugin::ContentScanner,
    path: &str,
    size: u64,
    r: &mut dyn Read,
    warnings: &mut Vec<Warning>,
    layer: usize,
) -> io::Result<Vec<dredge_model::Fact>> {
    if size == 0 {
        return Ok(Vec::new());
    }
    if size > c.max_file_size() {
        warnings.push(Warning {
            path: Some(format!("/{path}")),
            layer: Some(layer),
            message: format!("file of {size} bytes is larger than the {}-byte limit for secret scanning; not scanned", c.max_file_size()),
        });
        return Ok(Vec::new());
    }
    c.scan_stream(path, r)
}

/// Runs the ELF extractors on one binary. `layer` is `None` for a root filesystem directory.
pub(crate) fn run_binary_plugins(
    plugins: &PluginSet<'_>,
    path: &str,
    bin: &crate::Sparse,
    warnings: &mut Vec<Warning>,
    layer: Option<usize>,
) -> FileFacts {
    let mut out = Vec::new();
    for &i in plugins.elf() {
        let p = plugins.get(i);
        match p.extract_binary(path, bin) {
            Ok(mut f) => out.append(&mut f),
            Err(e) => warnings.push(Warning { path: Some(format!("/{path}")), layer, message: format!("{}: {}", p.name(), e) }),
        }
    }
    FileFacts { kind: EntryKind::File, facts: out }
}

pub(crate) fn run_plugins(
    plugins: &PluginSet<'_>,
    wanted: &[usize],
    path: &str,
    data: &[u8],
    warnings: &mut Vec<Warning>,
    layer: usize,
) -> FileFacts {
    let mut out = Vec::new();
    for &i in wanted {
        let p = plugins.get(i);
        if data.len() as u64 > p.max_file_size() {
            continue;
        }
        match p.extract(path, data) {
            Ok(mut f) => out.append(&mut f),
            Err(e) => {
                warnings.push(Warning { path: Some(format!("/{path}")), layer: Some(layer), message: format!("{}: {}", p.name(), e) })
            }
        }
    }
    FileFacts { kind: EntryKind::File, facts: out }
}
