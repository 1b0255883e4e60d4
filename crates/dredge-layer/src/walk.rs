//! One streaming pass over a layer: decompress by magic, read the tar entries once, hand wanted
//! files to the extractors, record whiteouts and links as data, and verify both digests.

use crate::path::{PathProblem, normalise};
use crate::pipe::{self, is_budget};
use crate::plugin::PluginSet;
use crate::visit::{self, Visitor};
use crate::{EntryKind, FileFacts, LayerError, LayerFacts, LayerStats};
use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

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
    pub(crate) fn spend(&self, n: u64, raw: bool) -> bool {
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

/// Walk one layer. Reads the whole stream exactly once; keeps in memory only the files a plugin
/// asked for (each under that plugin's size cap).
///
/// The pass is a pipeline (see `pipe`): one thread reads and hashes the blob, one decompresses
/// it, this thread parses the tar and runs the extractors, and each content scanner has its own
/// thread; bounded channels join them.
pub fn walk_layer<R: Read + Send>(
    input: LayerInput<R>,
    plugins: &PluginSet<'_>,
    budget: &Arc<SizeBudget>,
) -> Result<LayerFacts, LayerError> {
    let LayerInput { mut reader, index, expected_digest, expected_diff_id, label, follow } = input;
    let io_err = |what: &'static str, e: io::Error| {
        if is_budget(&e) {
            LayerError::TooLarge { layer: label.clone(), limit: budget.limit() }
        } else {
            LayerError::Io { layer: label.clone(), what, source: e }
        }
    };
    let mut first = Vec::new();
    pipe::fill(&mut reader, &mut first).map_err(|e| io_err("reading the layer blob", e))?;
    let compression = Compression::sniff(&first);
    // Parses the tar from `tar_in`, then drains the rest of the stream (tar end blocks, padding,
    // trailing compressed bytes) so both digests cover the whole blob.
    let parse = |tar_in: &mut dyn pipe::TarSource| {
        let (res, facts) = visit::with_visitor(plugins, Some(index), compression != Compression::None, |v| {
            read_tar(&mut *tar_in as &mut dyn Read, v, &follow, plugins, &label, budget.limit())
        });
        let drained =
            res.and_then(|()| io::copy(&mut *tar_in, &mut io::sink()).map(|_| ()).map_err(|e| io_err("reading the end of the layer", e)));
        (drained, facts, tar_in.digest(), tar_in.count())
    };
    std::thread::scope(|s| {
        let spawn_err = |e: io::Error| LayerError::Io { layer: label.clone(), what: "starting a thread", source: e };
        let (drained, mut facts, diff_hash, tar_bytes, raw_digest, raw_bytes) = match compression {
            // The uncompressed blob is the tar: read on this thread (a stage more would only copy
            // it once more), one hash for both digests.
            Compression::None => {
                let mut tar_in = pipe::HashRead::new(io::Cursor::new(first).chain(reader), budget.clone());
                let (drained, facts, digest, bytes) = parse(&mut tar_in);
                (drained, facts, None, bytes, digest, bytes)
            }
            Compression::Gzip | Compression::Zstd => {
                let (raw_tx, raw_rx) = pipe::link();
                let b = budget.clone();
                let source = std::thread::Builder::new()
                    .name("dredge-read".into())
                    .spawn_scoped(s, move || {
                        pipe::yield_to_inflate();
                        pipe::source(reader, first, raw_tx, b, true)
                    })
                    .map_err(spawn_err)?;
                let (tx, tar_rx) = pipe::link();
                let inflater = std::thread::Builder::new()
                    .name("dredge-inflate".into())
                    .spawn_scoped(s, move || match compression {
                        #[cfg(feature = "isal")]
                        Compression::Gzip => pipe::inflate(raw_rx, tx, |r| Ok(Box::new(isal::read::GzipDecoder::new(r)))),
                        #[cfg(not(feature = "isal"))]
                        Compression::Gzip => pipe::inflate(raw_rx, tx, |r| Ok(flate2::bufread::MultiGzDecoder::new(r))),
                        _ => pipe::inflate(raw_rx, tx, zstd::stream::read::Decoder::with_buffer),
                    })
                    .map_err(spawn_err)?;
                let mut tar_in = pipe::ChunkReader::new(tar_rx, Some(budget.clone()), true);
                let (drained, facts, diff_hash, tar_bytes) = parse(&mut tar_in);
                drop(tar_in); // a stage still sending (after an error) sees the channel closed and stops
                let _ = inflater.join();
                let (raw_digest, raw_bytes) = source.join().unwrap_or_default();
                (drained, facts, diff_hash, tar_bytes, raw_digest, raw_bytes)
            }
        };
        drained?;
        let raw_digest = raw_digest.unwrap_or_default();
        let diff_id = diff_hash.unwrap_or_else(|| raw_digest.clone());
        facts.compression = compression;
        facts.stats.uncompressed_bytes = tar_bytes;
        facts.stats.compressed_bytes = raw_bytes;
        if let Some(expected) = &expected_digest {
            if !expected.eq_ignore_ascii_case(&raw_digest) {
                return Err(LayerError::DigestMismatch { layer: label.clone(), expected: expected.clone(), actual: raw_digest });
            }
        }
        if let Some(expected) = &expected_diff_id {
            if !expected.eq_ignore_ascii_case(&diff_id) {
                return Err(LayerError::DiffIdMismatch { layer: label.clone(), expected: expected.clone(), actual: diff_id });
            }
        }
        facts.digest = Some(raw_digest);
        facts.diff_id = diff_id;
        Ok(facts)
    })
}

/// Parses the tar stream and hands each entry to the visitor (or, for a follow-up walk, reads
/// only the followed targets).
fn read_tar(
    input: &mut dyn Read,
    v: &mut Visitor<'_, '_>,
    follow: &[(String, String)],
    plugins: &PluginSet<'_>,
    label: &str,
    limit: u64,
) -> Result<(), LayerError> {
    let io_err = |what: &'static str, e: io::Error| {
        if is_budget(&e) {
            LayerError::TooLarge { layer: label.to_string(), limit }
        } else {
            LayerError::Io { layer: label.to_string(), what, source: e }
        }
    };
    let read_err = |e| io_err("reading a file from the layer", e);
    let mut archive = tar::Archive::new(input);
    let mut wanted = Vec::new();
    let entries = archive.entries().map_err(|e| io_err("reading the tar stream", e))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| tar_error(label, e, &v.facts.stats, limit))?;
        v.facts.stats.entries += 1;
        let raw_path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let np = match normalise(&raw_path) {
            Ok(p) => p,
            Err(PathProblem::Empty) => continue, // "./" — the root directory itself
            Err(PathProblem::EscapesRoot) => {
                v.facts.warn(Some(&raw_path), "entry path escapes the image root (`..`); entry ignored");
                v.facts.stats.rejected += 1;
                continue;
            }
        };
        if np.was_absolute {
            v.facts.stats.absolute += 1;
        }
        let path = np.path;
        let kind = entry.header().entry_type();

        // Whiteouts: data, applied to lower layers by the merge.
        let (dir, file) = path.rsplit_once('/').map_or(("", path.as_str()), |(d, f)| (d, f));
        if let Some(rest) = file.strip_prefix(".wh.") {
            if rest == ".wh..opq" {
                v.facts.opaque_dirs.push(dir.to_string());
            } else if !rest.starts_with(".wh.") && !rest.is_empty() {
                v.facts.whiteouts.push(if dir.is_empty() { rest.to_string() } else { format!("{dir}/{rest}") });
            }
            continue;
        }

        if !follow.is_empty() {
            for (target, link) in follow {
                if *target != path {
                    continue;
                }
                let ff = match kind {
                    tar::EntryType::Regular | tar::EntryType::Continuous => {
                        plugins.wanted_by(link, &mut wanted);
                        let cap = wanted.iter().map(|&i| plugins.get(i).max_file_size()).max().unwrap_or(0);
                        let size = entry.size();
                        if size > cap {
                            v.warn(link, format!("symlink target /{target} of {size} bytes is larger than the {cap}-byte limit; not read"));
                            FileFacts { kind: EntryKind::File, facts: Vec::new() }
                        } else {
                            let mut data = Vec::new();
                            (&mut entry).take(cap).read_to_end(&mut data).map_err(read_err)?;
                            let facts = visit::run_plugins(plugins, &wanted, link, &data, &mut v.facts.warnings, Some(v.facts.index));
                            FileFacts { kind: EntryKind::File, facts }
                        }
                    }
                    tar::EntryType::Symlink => FileFacts { kind: EntryKind::Symlink { target: link_name(&entry) }, facts: Vec::new() },
                    _ => continue,
                };
                v.facts.followed.insert(link.clone(), ff);
                break;
            }
            continue;
        }

        match kind {
            tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => {
                // The effective size: a PAX `size` record overrides the ustar field, as in GNU
                // tar, Go and Python (the raw field can be made to disagree to hide data).
                let size = entry.size();
                let mode = entry.header().mode().unwrap_or(0);
                // The tar reader skips whatever of the data the visitor does not read.
                v.regular(path, size, mode, &mut visit::Open(&mut entry)).map_err(read_err)?;
            }
            tar::EntryType::Link => {
                let target = link_name(&entry);
                v.hardlink(path, target);
            }
            tar::EntryType::Symlink => v.symlink(path, || link_name(&entry)),
            tar::EntryType::Char | tar::EntryType::Block | tar::EntryType::Fifo => {
                v.facts.stats.devices += 1;
            }
            _ => {}
        }
    }
    Ok(())
}

fn link_name<R: Read>(entry: &tar::Entry<'_, R>) -> String {
    entry.link_name_bytes().map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default()
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
