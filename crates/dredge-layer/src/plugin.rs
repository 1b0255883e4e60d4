//! The extractor contract and the one matcher compiled from every extractor's path patterns.

use dredge_model::Fact;
use std::collections::HashMap;

/// A path an extractor wants, relative to the image root, without a leading `/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    /// Exactly this path (`var/lib/dpkg/status`).
    Exact(&'static str),
    /// Any regular file directly inside this directory whose name ends with the suffix
    /// (`DirFiles("var/lib/dpkg/info", ".list")`; an empty suffix takes every file).
    DirFiles(&'static str, &'static str),
    /// A file with this name anywhere, whose parent directory's name ends with the suffix
    /// (`Named("METADATA", ".dist-info")`; an empty suffix takes any parent).
    Named(&'static str, &'static str),
    /// Any file whose name ends with this suffix, which must contain a `.` (`Ext(".jar")`,
    /// `Ext(".deps.json")`).
    Ext(&'static str),
    /// Any file whose name starts with the prefix and ends with the suffix (which must contain a
    /// `.`): `Prefixed("requirements", ".txt")`.
    Prefixed(&'static str, &'static str),
    /// A file directly inside a directory with exactly this name, ending with the suffix (which
    /// must contain a `.`): `InDir("conda-meta", ".json")`.
    InDir(&'static str, &'static str),
    /// Any executable regular file whose content starts with the ELF magic. The walk sniffs the
    /// first bytes and calls [`Extractor::extract_binary`] with a [`crate::Sparse`] view.
    Elf,
}

impl Pattern {
    /// The extension key (text after the last `.`) of the suffix-based patterns.
    fn ext_key(&self) -> Option<&'static str> {
        match *self {
            Pattern::Ext(s) | Pattern::Prefixed(_, s) | Pattern::InDir(_, s) => s.rsplit_once('.').map(|(_, e)| e),
            _ => None,
        }
    }

    fn matches_name(&self, dir: &str, file: &str) -> bool {
        match *self {
            Pattern::Ext(s) => file.len() > s.len() && file.ends_with(s),
            Pattern::Prefixed(p, s) => file.len() >= p.len() + s.len() && file.starts_with(p) && file.ends_with(s),
            Pattern::InDir(d, s) => file.ends_with(s) && dir.rsplit('/').next() == Some(d),
            _ => false,
        }
    }

    /// How the pattern reads in docs.
    pub fn describe(&self) -> String {
        match *self {
            Pattern::Exact(f) => format!("`/{f}`"),
            Pattern::DirFiles(d, "") => format!("`/{d}/*`"),
            Pattern::DirFiles(d, s) => format!("`/{d}/*{s}`"),
            Pattern::Named(f, "") => format!("`**/{f}`"),
            Pattern::Named(f, s) => format!("`**/*{s}/{f}`"),
            Pattern::Ext(s) => format!("`**/*{s}`"),
            Pattern::Prefixed(p, s) => format!("`**/{p}*{s}`"),
            Pattern::InDir(d, s) => format!("`**/{d}/*{s}`"),
            Pattern::Elf => "executable ELF files".to_string(),
        }
    }
}

/// Why an extractor could not read a file. The scan goes on; this becomes a warning on the file.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ExtractError(pub String);

impl ExtractError {
    pub fn new(msg: impl Into<String>) -> Self {
        ExtractError(msg.into())
    }
}

/// An extractor reads one file at a time and emits facts.
///
/// Contract:
/// - `extract` sees only the file it is given: it must not open other files. Context (the OS of the
///   image, other files of the same package manager) is joined after the layers are merged.
/// - It must not panic on any input; malformed input is an `ExtractError` (a warning on that
///   file) or a partial result plus warnings pushed into `facts`' caller via the error.
/// - `version` is part of the layer cache key: bump it whenever the facts it emits change.
pub trait Extractor: Send + Sync {
    /// Path-like unique name: `os/dpkg`, `os/apk`, `os/rpm/sqlite`.
    fn name(&self) -> &'static str;
    fn version(&self) -> u32;
    fn patterns(&self) -> &'static [Pattern];
    /// Files larger than this are not read; the walk records a warning instead.
    fn max_file_size(&self) -> u64 {
        64 << 20
    }
    fn extract(&self, path: &str, data: &[u8]) -> Result<Vec<Fact>, ExtractError>;
    /// For [`Pattern::Elf`] extractors: the binary as a sparse view (whole when it is at most
    /// [`crate::ELF_FULL_READ`] bytes; otherwise its headers and writable data segments only).
    fn extract_binary(&self, _path: &str, _file: &crate::Sparse) -> Result<Vec<Fact>, ExtractError> {
        Ok(Vec::new())
    }
}

/// A scanner of every regular file's content (secrets, malware). It sees each file once: whole
/// when an extractor also read it, else as a stream. Each content scanner runs on its own thread,
/// fed the same chunks as the others (one read of the file for all of them).
pub trait ContentScanner: Send + Sync {
    /// What it scans for, in messages (`secret` → "the limit for secret scanning").
    fn name(&self) -> &'static str;
    /// Identifies the scanner and its rules in the layer cache key.
    fn fingerprint(&self) -> String;
    /// Files larger than this are not scanned; the walk records a warning.
    fn max_file_size(&self) -> u64;
    /// Whether to scan the file at `path` whose content starts with `head` (its first
    /// [`crate::CONTENT_HEAD`] bytes, or all of it when shorter): a scanner that says no costs the
    /// walk nothing more for the file (its rest is not copied or sent).
    fn wants(&self, _path: &str, _head: &[u8]) -> bool {
        true
    }
    fn scan_bytes(&self, path: &str, data: &[u8]) -> Vec<Fact>;
    fn scan_stream(&self, path: &str, r: &mut dyn std::io::Read) -> std::io::Result<Vec<Fact>>;
    /// A file the user named (`dredge config FILE`): read as what it is meant to be whatever its
    /// name, and said so when it cannot be (a gate on a file nothing checked must not pass
    /// silently).
    fn scan_named(&self, path: &str, data: &[u8]) -> Vec<Fact> {
        self.scan_bytes(path, data)
    }
}

/// Every extractor's patterns compiled into one lookup: one hash probe for exact paths and one for
/// the parent directory, so the cost per tar entry does not grow with the number of plugins.
pub struct PluginSet<'a> {
    plugins: Vec<&'a dyn Extractor>,
    exact: HashMap<&'static str, Vec<usize>>,
    dirs: HashMap<&'static str, Vec<(usize, &'static str)>>,
    named: HashMap<&'static str, Vec<(usize, &'static str)>>,
    by_ext: HashMap<&'static str, Vec<(usize, Pattern)>>,
    elf: Vec<usize>,
    content: Vec<&'a dyn ContentScanner>,
}

impl<'a> PluginSet<'a> {
    pub fn new(plugins: &[&'a dyn Extractor]) -> Self {
        let mut exact: HashMap<&'static str, Vec<usize>> = HashMap::new();
        let mut dirs: HashMap<&'static str, Vec<(usize, &'static str)>> = HashMap::new();
        let mut named: HashMap<&'static str, Vec<(usize, &'static str)>> = HashMap::new();
        let mut by_ext: HashMap<&'static str, Vec<(usize, Pattern)>> = HashMap::new();
        let mut elf = Vec::new();
        for (i, p) in plugins.iter().enumerate() {
            for pat in p.patterns() {
                match *pat {
                    Pattern::Exact(path) => exact.entry(path).or_default().push(i),
                    Pattern::DirFiles(dir, suffix) => dirs.entry(dir).or_default().push((i, suffix)),
                    Pattern::Named(file, dir_suffix) => named.entry(file).or_default().push((i, dir_suffix)),
                    Pattern::Elf => elf.push(i),
                    other => {
                        if let Some(key) = other.ext_key() {
                            by_ext.entry(key).or_default().push((i, other));
                        }
                    }
                }
            }
        }
        PluginSet { plugins: plugins.to_vec(), exact, dirs, named, by_ext, elf, content: Vec::new() }
    }

    /// The indexes of the plugins that want `path` (normalised, no leading `/`).
    pub fn wanted_by(&self, path: &str, out: &mut Vec<usize>) {
        out.clear();
        if let Some(v) = self.exact.get(path) {
            out.extend_from_slice(v);
        }
        if let Some((dir, file)) = path.rsplit_once('/') {
            if let Some(v) = self.dirs.get(dir) {
                for &(i, suffix) in v {
                    if file.ends_with(suffix) && !out.contains(&i) {
                        out.push(i);
                    }
                }
            }
        }
        let (dir, file) = path.rsplit_once('/').unwrap_or(("", path));
        if let Some(v) = self.named.get(file) {
            let parent = dir.rsplit('/').next().unwrap_or(dir);
            for &(i, suffix) in v {
                if parent.ends_with(suffix) && !out.contains(&i) {
                    out.push(i);
                }
            }
        }
        if let Some((_, ext)) = file.rsplit_once('.') {
            if let Some(v) = self.by_ext.get(ext) {
                for (i, pat) in v {
                    if pat.matches_name(dir, file) && !out.contains(i) {
                        out.push(*i);
                    }
                }
            }
        }
    }

    /// Adds a content scanner (secrets) that sees every regular file.
    pub fn with_content(mut self, c: &'a dyn ContentScanner) -> Self {
        self.content.push(c);
        self
    }

    pub fn content(&self) -> &[&'a dyn ContentScanner] {
        &self.content
    }

    /// The extractors that want executable ELF files, sniffed by content.
    pub fn elf(&self) -> &[usize] {
        &self.elf
    }

    pub fn get(&self, i: usize) -> &'a dyn Extractor {
        self.plugins[i]
    }

    pub fn plugins(&self) -> &[&'a dyn Extractor] {
        &self.plugins
    }

    /// `name@version` of every plugin, sorted: part of the layer cache key.
    pub fn fingerprint(&self) -> String {
        let mut v: Vec<String> = self.plugins.iter().map(|p| format!("{}@{}", p.name(), p.version())).collect();
        for c in &self.content {
            v.push(format!("content:{}", c.fingerprint()));
        }
        v.sort();
        v.join(",")
    }
}
