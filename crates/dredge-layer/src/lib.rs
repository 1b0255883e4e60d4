//! The layer engine: one streaming pass per layer ([`walk_layer`]), results cached per layer
//! ([`LayerCache`]), and a bottom-up [`merge`] that applies whiteouts and keeps each fact's layer.

use dredge_model::{Fact, Warning};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

mod cache;
mod dir;
pub mod elf;
pub mod path;
mod pipe;
pub mod plugin;
mod visit;
mod walk;

pub use cache::{CacheKey, LayerCache, Lookup};
pub use dir::{read_link_target, walk_dir, walk_dir_skipping};
pub use dredge_cachedir::{CacheDir, CacheDirError};
pub use elf::{ELF_FULL_READ, Sparse};
pub use plugin::{ContentScanner, ExtractError, Extractor, Pattern, PluginSet};
pub use visit::HEAD as CONTENT_HEAD;
pub use walk::{Compression, LayerInput, SizeBudget, path_hash, walk_layer};

/// Bumped when the walk itself changes what it records: invalidates every cached layer.
pub const ENGINE_VERSION: u32 = 2;

/// What kind of entry a recorded path was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum EntryKind {
    File,
    Symlink { target: String },
    Hardlink { target: String },
}

/// The facts from one wanted file of a layer. A file that was wanted but yielded nothing (or could
/// not be read) is still recorded: it replaces the same path of lower layers in the merge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileFacts {
    #[serde(flatten)]
    pub kind: EntryKind,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub facts: Vec<Fact>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerStats {
    pub entries: u64,
    pub files: u64,
    pub devices: u64,
    pub rejected: u64,
    pub absolute: u64,
    pub compressed_bytes: u64,
    pub uncompressed_bytes: u64,
}

/// Everything one layer contributes. Cached by diff_id + plugin versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerFacts {
    pub index: usize,
    pub diff_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    pub compression: Compression,
    /// Wanted paths (normalised, no leading `/`) and what they yielded.
    pub files: BTreeMap<String, FileFacts>,
    /// Paths this layer deletes from the layers below (`.wh.<name>`).
    pub whiteouts: Vec<String>,
    /// Directories whose lower-layer content this layer hides (`.wh..wh..opq`).
    pub opaque_dirs: Vec<String>,
    pub stats: LayerStats,
    pub warnings: Vec<Warning>,
    /// With a content scanner: [`path_hash`] of every regular file the layer writes (sorted), so a
    /// later layer's rewrite of a file with a secret can be named.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub written: Vec<u64>,
    /// From a follow-up walk ([`LayerInput::follow`]): the content of a symlink's target, read by
    /// the extractors of the symlink's (wanted) path, keyed by that path.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub followed: BTreeMap<String, FileFacts>,
}

impl Default for LayerFacts {
    fn default() -> Self {
        LayerFacts {
            index: 0,
            diff_id: String::new(),
            digest: None,
            compression: Compression::None,
            files: BTreeMap::new(),
            whiteouts: Vec::new(),
            opaque_dirs: Vec::new(),
            stats: LayerStats::default(),
            warnings: Vec::new(),
            written: Vec::new(),
            followed: BTreeMap::new(),
        }
    }
}

impl LayerFacts {
    fn warn(&mut self, path: Option<&str>, msg: &str) {
        self.warnings.push(Warning {
            path: path.map(|p| if p.starts_with('/') { p.to_string() } else { format!("/{p}") }),
            layer: Some(self.index),
            message: msg.to_string(),
        });
    }
}

/// Why a layer could not be analysed. Each names the layer; the binary turns it into exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum LayerError {
    #[error("{layer}: {what}: {source}")]
    Io {
        layer: String,
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("{layer}: not a valid tar stream (after {after_entries} entries): {source}")]
    NotTar {
        layer: String,
        after_entries: u64,
        #[source]
        source: std::io::Error,
    },
    #[error("{layer}: blob digest mismatch: expected {expected}, content hashes to {actual} (tampered or corrupt blob)")]
    DigestMismatch { layer: String, expected: String, actual: String },
    #[error("{layer}: diff_id mismatch: the config says {expected}, the uncompressed layer hashes to {actual} (tampered or corrupt layer)")]
    DiffIdMismatch { layer: String, expected: String, actual: String },
    #[error(
        "{layer}: content exceeds the image size limit of {limit} bytes, compressed or decompressed (a decompression bomb or an endless blob, or raise --max-image-size)"
    )]
    TooLarge { layer: String, limit: u64 },
}

/// A path in the merged view of the image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergedFile {
    /// Index of the layer that last wrote the path.
    pub layer: usize,
    pub kind: EntryKind,
    pub facts: Vec<Fact>,
}

fn remove_within(map: &mut BTreeMap<String, MergedFile>, dir: &str) {
    if dir.is_empty() {
        map.clear();
        return;
    }
    map.remove(dir);
    let prefix = format!("{dir}/");
    let doomed: Vec<String> = map.range(prefix.clone()..).take_while(|(k, _)| k.starts_with(&prefix)).map(|(k, _)| k.clone()).collect();
    for k in doomed {
        map.remove(&k);
    }
}

/// Merge layers bottom-up (they must be in image order): a layer's whiteouts and opaque dirs
/// delete what lower layers wrote, then its own files replace lower writers of the same path.
pub fn merge(layers: &[LayerFacts]) -> BTreeMap<String, MergedFile> {
    merge_owned(layers.to_vec())
}

/// [`merge`], consuming the layers: facts are moved, not copied (a large image's facts are held
/// once).
pub fn merge_owned(layers: Vec<LayerFacts>) -> BTreeMap<String, MergedFile> {
    let mut view: BTreeMap<String, MergedFile> = BTreeMap::new();
    for l in layers {
        for d in &l.opaque_dirs {
            // An opaque dir hides the lower layers' children, not the directory itself.
            let prefix = format!("{d}/");
            let doomed: Vec<String> = if d.is_empty() {
                view.keys().cloned().collect()
            } else {
                view.range(prefix.clone()..).take_while(|(k, _)| k.starts_with(&prefix)).map(|(k, _)| k.clone()).collect()
            };
            for k in doomed {
                view.remove(&k);
            }
        }
        for w in &l.whiteouts {
            remove_within(&mut view, w);
        }
        for (path, ff) in l.files {
            view.insert(path, MergedFile { layer: l.index, kind: ff.kind, facts: ff.facts });
        }
    }
    view
}

/// Follow symlinks recorded in the merged view (up to 40 hops, as the kernel does) to the path
/// that holds content. `None` for a dangling link or a loop.
pub fn resolve<'a>(view: &'a BTreeMap<String, MergedFile>, path: &str) -> Option<(String, &'a MergedFile)> {
    let mut cur = path.to_string();
    for _ in 0..40 {
        let f = view.get(&cur)?;
        match &f.kind {
            EntryKind::Symlink { target } => cur = path::resolve_link(&cur, target)?,
            _ => return Some((cur, f)),
        }
    }
    None
}

/// A wanted path of the merged view that is a symlink whose content no extractor has read yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkTarget {
    /// `target` (not a wanted path, so not read by the walk) must be read and given to the
    /// extractors of `link`.
    Read { link: String, target: String },
    /// Cannot be resolved inside the image: a loop, a link to the root, or a wanted target that
    /// is not there.
    Broken { link: String, why: String },
}

/// The wanted symlinks of `view` whose content was not read: package databases installed as a
/// symlink to another file are read through it, as the package manager would. Links are followed
/// inside the image only (at most 40 hops, as the kernel does).
pub fn links_to_follow(view: &BTreeMap<String, MergedFile>, plugins: &PluginSet<'_>) -> Vec<LinkTarget> {
    let mut out = Vec::new();
    let mut wanted = Vec::new();
    for (link, f) in view {
        if !matches!(f.kind, EntryKind::Symlink { .. }) {
            continue;
        }
        let mut cur = link.clone();
        let mut hops = 0;
        loop {
            match view.get(&cur).map(|f| &f.kind) {
                Some(EntryKind::Symlink { target }) => {
                    hops += 1;
                    if hops > 40 {
                        out.push(LinkTarget::Broken { link: link.clone(), why: "a symlink loop".into() });
                        break;
                    }
                    match path::resolve_link(&cur, target) {
                        Some(next) => cur = next,
                        None => {
                            out.push(LinkTarget::Broken { link: link.clone(), why: format!("points at the root ({target})") });
                            break;
                        }
                    }
                }
                // Read by the walk already (both paths are wanted).
                Some(_) => break,
                None => {
                    plugins.wanted_by(&cur, &mut wanted);
                    if wanted.is_empty() {
                        out.push(LinkTarget::Read { link: link.clone(), target: cur });
                    } else {
                        // A wanted path is recorded whenever it exists: this one does not.
                        out.push(LinkTarget::Broken { link: link.clone(), why: format!("its target /{cur} is not in the image") });
                    }
                    break;
                }
            }
        }
    }
    out
}

/// Opens a regular file without following a symlink in its last component.
pub(crate) fn open_regular(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    dredge_cachedir::open_nofollow(path)
}

/// Does a layer with these whiteouts and opaque directories delete `path` from lower layers?
pub fn deletes(whiteouts: &[String], opaque_dirs: &[String], path: &str) -> bool {
    whiteouts.iter().any(|w| path::is_within(path, w)) || opaque_dirs.iter().any(|d| d.is_empty() || path::is_within(path, d) && path != d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use dredge_model::{Ecosystem, Package};

    fn layer(index: usize, files: &[(&str, &str)], whiteouts: &[&str], opaque: &[&str]) -> LayerFacts {
        LayerFacts {
            index,
            files: files
                .iter()
                .map(|(p, name)| {
                    let facts =
                        if name.is_empty() { vec![] } else { vec![Fact::Package(Box::new(Package::new(Ecosystem::Apk, *name, "1")))] };
                    (p.to_string(), FileFacts { kind: EntryKind::File, facts })
                })
                .collect(),
            whiteouts: whiteouts.iter().map(|s| s.to_string()).collect(),
            opaque_dirs: opaque.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn later_writer_replaces_and_keeps_its_layer() {
        let v = merge(&[layer(0, &[("a/db", "old")], &[], &[]), layer(1, &[("a/db", "new")], &[], &[])]);
        assert_eq!(v["a/db"].layer, 1);
        assert!(matches!(&v["a/db"].facts[0], Fact::Package(p) if p.name == "new"));
    }

    #[test]
    fn whiteout_deletes_file_and_subtree() {
        let v = merge(&[layer(0, &[("a/db", "x"), ("a/b/c", "y"), ("ab", "z")], &[], &[]), layer(1, &[], &["a"], &[])]);
        assert_eq!(v.keys().collect::<Vec<_>>(), vec!["ab"]);
    }

    #[test]
    fn opaque_dir_hides_lower_children_but_not_same_layer() {
        let v = merge(&[layer(0, &[("d/old", "x"), ("e/keep", "y")], &[], &[]), layer(1, &[("d/new", "z")], &[], &["d"])]);
        assert_eq!(v.keys().collect::<Vec<_>>(), vec!["d/new", "e/keep"]);
    }

    #[test]
    fn whiteout_then_rewrite_in_same_layer() {
        let v = merge(&[layer(0, &[("a/db", "x")], &[], &[]), layer(1, &[("a/db", "y")], &["a"], &[])]);
        assert_eq!(v["a/db"].layer, 1);
    }

    #[test]
    fn symlink_loops_do_not_hang() {
        let mut l = LayerFacts::default();
        l.files.insert("a".into(), FileFacts { kind: EntryKind::Symlink { target: "b".into() }, facts: vec![] });
        l.files.insert("b".into(), FileFacts { kind: EntryKind::Symlink { target: "a".into() }, facts: vec![] });
        l.files.insert("c".into(), FileFacts { kind: EntryKind::Symlink { target: "/x/../d".into() }, facts: vec![] });
        l.files.insert("d".into(), FileFacts { kind: EntryKind::File, facts: vec![] });
        let v = merge(&[l]);
        assert!(resolve(&v, "a").is_none());
        assert_eq!(resolve(&v, "c").map(|(p, _)| p), Some("d".to_string()));
    }
}
