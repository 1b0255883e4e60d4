//! The scanner contract. A scanner (vulnerabilities, secrets, and the coming misconfiguration,
//! license and malware scanners) is registered in the binary's static list (`SCANNERS` in
//! `crates/dredge/src/scanners.rs`) and takes part in a scan in two places:
//!
//! - in the layer pass, optionally, as a [`ContentScanner`] that sees every regular file's content
//!   (all content scanners share one read of each file, each on its own thread);
//! - after the merge, in [`Scanner::analyse`], with everything the pass found: the inventory
//!   (OS and packages), the image config and build history, and the facts its content scanner
//!   emitted in every layer (deleted and overwritten files included).
//!
//! It returns [`Finding`]s; the report formats render them without knowing the scanner.

pub use dredge_layer::ContentScanner;
use dredge_layer::LayerFacts;
pub use dredge_model::{Detail, Finding, Place, ScannerInfo, Severity};
use dredge_model::{Fact, LayerRef};
use dredge_report::ScanReport;

/// A fact a content scanner emitted for a file of a layer, taken out of the layer before the merge
/// (a deleted file's content still ships with the image).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentFact {
    /// The layer that wrote the file (`0` for a directory).
    pub layer: usize,
    /// Absolute path in the image.
    pub path: String,
    pub fact: Fact,
    /// The first later layer that deleted or replaced the file.
    pub removed_in: Option<usize>,
}

/// What a scanner sees after the merge.
pub struct Context<'a> {
    /// The report so far: target, OS, packages. Notes, warnings and the database description a
    /// scanner adds go here.
    pub report: &'a mut ScanReport,
    /// The image config (OCI or Docker JSON), `None` for a directory.
    pub config: Option<&'a serde_json::Value>,
    /// The image's layers, for [`Place::layer`].
    pub layers: &'a [LayerRef],
    /// What content scanners found in files, in layer and path order.
    pub content: &'a [ContentFact],
    /// `(text, replacement)`: a value to redact wherever the report prints the build history (a
    /// secret in a `RUN` line). Applied to the whole report after every scanner has run.
    pub redact: &'a mut Vec<(String, String)>,
}

impl Context<'_> {
    pub fn layer(&self, index: usize) -> Option<LayerRef> {
        self.layers.get(index).cloned()
    }
}

pub trait Scanner: Send + Sync {
    fn info(&self) -> ScannerInfo;
    /// The content scanner to run in the layer pass, if any. Its fingerprint is part of the
    /// layer cache key.
    fn content(&self) -> Option<&dyn ContentScanner> {
        None
    }
    /// Which facts its content scanner emits (they are taken out of the layers before the merge
    /// and handed back in [`Context::content`]).
    fn owns(&self, _fact: &Fact) -> bool {
        false
    }
    /// The findings, after the merge. `None`: the scanner could not run and the scan goes on
    /// without it (it says why in the report's notes; the report then has no key for it).
    fn analyse(&self, cx: &mut Context<'_>) -> anyhow::Result<Option<Vec<Finding>>>;
}

fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/').map(move |(i, _)| &path[..i])
}

/// Takes the facts `owned` selects out of every layer (before the merge), each with the later
/// layer that deleted or replaced its file.
pub fn take_content(layers: &mut [LayerFacts], owned: &dyn Fn(&Fact) -> bool) -> Vec<ContentFact> {
    let mut found: Vec<(usize, String, Fact)> = Vec::new();
    for (i, l) in layers.iter_mut().enumerate() {
        for (path, ff) in l.files.iter_mut() {
            if !ff.facts.iter().any(owned) {
                continue;
            }
            let (mine, rest): (Vec<Fact>, Vec<Fact>) = std::mem::take(&mut ff.facts).into_iter().partition(|f| owned(f));
            ff.facts = rest;
            found.extend(mine.into_iter().map(|f| (i, path.clone(), f)));
        }
    }
    found
        .into_iter()
        .map(|(i, path, fact)| {
            let h = dredge_layer::path_hash(&path);
            let removed_in = layers.iter().enumerate().skip(i + 1).find_map(|(j, l)| {
                let deleted = l.whiteouts.iter().any(|w| *w == path || ancestors(&path).any(|a| a == w))
                    || l.opaque_dirs.iter().any(|d| d.is_empty() || ancestors(&path).any(|a| a == d));
                let rewritten = l.written.binary_search(&h).is_ok();
                (deleted || rewritten).then_some(j)
            });
            ContentFact { layer: i, path: format!("/{path}"), fact, removed_in }
        })
        .collect()
}
