//! A root filesystem directory as a single pseudo-layer. Symlinks are recorded, never followed, so
//! a link out of the root (or a loop) cannot make dredge read the host's files.

use crate::plugin::PluginSet;
use crate::{Compression, EntryKind, FileFacts, LayerFacts};
use dredge_model::Warning;
use std::fs;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

pub fn walk_dir(root: &Path, plugins: &PluginSet<'_>) -> std::io::Result<LayerFacts> {
    walk_dir_skipping(root, plugins, &|_, _| false)
}

/// [`walk_dir`], leaving out every entry for which `skip(path, is_dir)` is true (a skipped
/// directory is not entered). Paths are relative to the root, without a leading `/`.
pub fn walk_dir_skipping(root: &Path, plugins: &PluginSet<'_>, skip: &dyn Fn(&str, bool) -> bool) -> std::io::Result<LayerFacts> {
    let mut facts = LayerFacts { index: 0, compression: Compression::None, diff_id: String::new(), ..Default::default() };
    let md = fs::metadata(root)?;
    if !md.is_dir() {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("{} is not a directory", root.display())));
    }
    let mut stack = vec![String::new()];
    let mut wanted = Vec::new();
    while let Some(rel) = stack.pop() {
        let dir = if rel.is_empty() { root.to_path_buf() } else { root.join(&rel) };
        let rd = match fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e) => {
                facts.warnings.push(Warning { path: Some(format!("/{rel}")), layer: None, message: format!("cannot list directory: {e}") });
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
            facts.stats.entries += 1;
            if ft.is_dir() {
                stack.push(path);
            } else if ft.is_symlink() {
                plugins.wanted_by(&path, &mut wanted);
                if !wanted.is_empty() {
                    let target = fs::read_link(e.path()).map(|t| t.to_string_lossy().into_owned()).unwrap_or_default();
                    facts.files.insert(path, FileFacts { kind: EntryKind::Symlink { target }, facts: Vec::new() });
                }
            } else if ft.is_file() {
                facts.stats.files += 1;
                let content = plugins.content();
                if content.is_some() {
                    facts.written.push(crate::walk::path_hash(&path));
                }
                plugins.wanted_by(&path, &mut wanted);
                let warn = |facts: &mut LayerFacts, message: String| {
                    facts.warnings.push(Warning { path: Some(format!("/{path}")), layer: None, message })
                };
                if wanted.is_empty() {
                    let Ok(md) = e.metadata() else { continue };
                    let exec = md.permissions().mode() & 0o111 != 0;
                    let sniff = !plugins.elf().is_empty() && exec && md.len() >= 64;
                    if !sniff && content.is_none() {
                        continue;
                    }
                    let mut f = match fs::File::open(e.path()) {
                        Ok(f) => f,
                        Err(err) => {
                            warn(&mut facts, format!("cannot read: {err}"));
                            continue;
                        }
                    };
                    let mut head = Vec::new();
                    if sniff {
                        match crate::elf::sniff_elf(&mut f, md.len()) {
                            Ok(crate::elf::Sniffed::Elf(bin)) => {
                                let ff = crate::walk::run_binary_plugins(plugins, &path, &bin, &mut facts.warnings, None);
                                facts.files.insert(path, ff);
                                continue;
                            }
                            Ok(crate::elf::Sniffed::Other(h)) => head = h,
                            Err(err) => {
                                warn(&mut facts, format!("cannot read: {err}"));
                                continue;
                            }
                        }
                    }
                    if let Some(c) = content {
                        match crate::walk::scan_content(
                            c,
                            &path,
                            md.len(),
                            &mut std::io::Cursor::new(head).chain(f),
                            &mut facts.warnings,
                            0,
                        ) {
                            Ok(found) if !found.is_empty() => {
                                facts.files.insert(path, FileFacts { kind: EntryKind::File, facts: found });
                            }
                            Ok(_) => {}
                            Err(err) => warn(&mut facts, format!("cannot read: {err}")),
                        }
                    }
                    continue;
                }
                let cap = wanted.iter().map(|&i| plugins.get(i).max_file_size()).max().unwrap_or(0);
                let mut data = Vec::new();
                // The size is known up front: a file over the cap is not read at all.
                let too_big = e.metadata().map(|m| m.len() > cap).unwrap_or(false);
                let read = if too_big {
                    Ok(cap as usize + 1)
                } else {
                    fs::File::open(e.path()).and_then(|f| f.take(cap + 1).read_to_end(&mut data))
                };
                let mut ff = FileFacts { kind: EntryKind::File, facts: Vec::new() };
                match read {
                    Err(err) => warn(&mut facts, format!("cannot read: {err}")),
                    Ok(n) if n as u64 > cap => {
                        warn(&mut facts, format!("file is larger than the {cap}-byte limit for its extractors; not read"))
                    }
                    Ok(_) => {
                        for &i in &wanted {
                            let p = plugins.get(i);
                            match p.extract(&path, &data) {
                                Ok(mut f) => ff.facts.append(&mut f),
                                Err(err) => warn(&mut facts, format!("{}: {err}", p.name())),
                            }
                        }
                        if let Some(c) = content {
                            ff.facts.extend(c.scan_bytes(&path, &data));
                        }
                    }
                }
                facts.files.insert(path, ff);
            } else {
                facts.stats.devices += 1;
            }
        }
    }
    facts.written.sort_unstable();
    facts.written.dedup();
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
    let ff = crate::walk::run_plugins(plugins, &wanted, link, &data, &mut warnings, 0);
    match warnings.into_iter().next() {
        Some(w) => Err(w.message),
        None => Ok(ff),
    }
}
