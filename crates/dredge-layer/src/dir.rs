//! A root filesystem directory as a single pseudo-layer. Symlinks are recorded, never followed, so
//! a link out of the root (or a loop) cannot make dredge read the host's files.

use crate::plugin::PluginSet;
use crate::visit::{Body, with_visitor};
use crate::{Compression, FileFacts, LayerFacts};
use std::fs;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

pub fn walk_dir(root: &Path, plugins: &PluginSet<'_>) -> std::io::Result<LayerFacts> {
    walk_dir_skipping(root, plugins, &|_, _| false)
}

/// A directory's file, opened (without following a symlink) only when the visitor reads it.
struct Lazy<'a> {
    path: &'a Path,
    file: Option<fs::File>,
}

impl Body for Lazy<'_> {
    fn reader(&mut self) -> std::io::Result<&mut dyn Read> {
        let f = match self.file.take() {
            Some(f) => f,
            None => crate::open_regular(self.path)?,
        };
        Ok(self.file.insert(f))
    }
}

/// [`walk_dir`], leaving out every entry for which `skip(path, is_dir)` is true (a skipped
/// directory is not entered). Paths are relative to the root, without a leading `/`.
pub fn walk_dir_skipping(root: &Path, plugins: &PluginSet<'_>, skip: &dyn Fn(&str, bool) -> bool) -> std::io::Result<LayerFacts> {
    let md = fs::metadata(root)?;
    if !md.is_dir() {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("{} is not a directory", root.display())));
    }
    let ((), mut facts) = with_visitor(plugins, None, false, |v| {
        let mut stack = vec![String::new()];
        while let Some(rel) = stack.pop() {
            let dir = if rel.is_empty() { root.to_path_buf() } else { root.join(&rel) };
            let rd = match fs::read_dir(&dir) {
                Ok(rd) => rd,
                Err(e) => {
                    v.warn(&rel, format!("cannot list directory: {e}"));
                    continue;
                }
            };
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let path = if rel.is_empty() { name } else { format!("{rel}/{name}") };
                let Ok(ft) = e.file_type() else { continue };
                if skip(&path, ft.is_dir()) {
                    continue;
                }
                v.facts.stats.entries += 1;
                if ft.is_dir() {
                    stack.push(path);
                } else if ft.is_symlink() {
                    v.symlink(path, || fs::read_link(e.path()).map(|t| t.to_string_lossy().into_owned()).unwrap_or_default());
                } else if ft.is_file() {
                    let Ok(md) = e.metadata() else { continue };
                    let mode = md.permissions().mode();
                    let full = e.path();
                    if let Err(err) = v.regular(path.clone(), md.len(), mode, &mut Lazy { path: &full, file: None }) {
                        v.warn(&path, format!("cannot read: {err}"));
                    }
                } else {
                    v.facts.stats.devices += 1;
                }
            }
        }
    });
    facts.compression = Compression::None;
    Ok(facts)
}

/// Reads `target` (a path relative to `root`) for the extractors of the wanted symlink `link`:
/// every component is resolved inside `root` by hand (a symlink is followed as the kernel would
/// with `root` as `/`, at most 40 times), so nothing outside the root is ever read.
pub fn read_link_target(root: &Path, link: &str, target: &str, plugins: &PluginSet<'_>) -> Result<FileFacts, String> {
    let mut pending: Vec<String> = target.split('/').filter(|c| !c.is_empty()).map(str::to_string).collect();
    pending.reverse();
    let mut cur: Vec<String> = Vec::new();
    let mut hops = 0;
    while let Some(c) = pending.pop() {
        let rel = if cur.is_empty() { c.clone() } else { format!("{}/{c}", cur.join("/")) };
        let full = root.join(&rel);
        let md = fs::symlink_metadata(&full).map_err(|e| format!("/{rel}: {e}"))?;
        if md.file_type().is_symlink() {
            hops += 1;
            if hops > 40 {
                return Err("a symlink loop".into());
            }
            let t = fs::read_link(&full).map_err(|e| format!("/{rel}: {e}"))?.to_string_lossy().into_owned();
            let next = crate::path::resolve_link(&rel, &t).ok_or_else(|| format!("/{rel} points at the root"))?;
            let mut rest: Vec<String> = next.split('/').map(str::to_string).collect();
            rest.reverse();
            cur.clear();
            pending.extend(rest);
            continue;
        }
        cur.push(c);
    }
    let rel = cur.join("/");
    let full = root.join(&rel);
    let md = fs::symlink_metadata(&full).map_err(|e| format!("/{rel}: {e}"))?;
    if !md.is_file() {
        return Err(format!("/{rel} is not a regular file"));
    }
    let mut wanted = Vec::new();
    plugins.wanted_by(link, &mut wanted);
    let cap = wanted.iter().map(|&i| plugins.get(i).max_file_size()).max().unwrap_or(0);
    if md.len() > cap {
        return Err(format!("/{rel} is larger than the {cap}-byte limit for its extractors"));
    }
    let mut data = Vec::new();
    crate::open_regular(&full).and_then(|f| f.take(cap).read_to_end(&mut data)).map_err(|e| format!("/{rel}: {e}"))?;
    let mut warnings = Vec::new();
    let facts = crate::visit::run_plugins(plugins, &wanted, link, &data, &mut warnings, None);
    match warnings.into_iter().next() {
        Some(w) => Err(w.message),
        None => Ok(FileFacts { kind: crate::EntryKind::File, facts }),
    }
}
