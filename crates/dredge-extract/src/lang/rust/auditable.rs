//! Rust binaries built with `cargo auditable`: the `.dep-v0` section holds the zlib-compressed
//! JSON list of the crates compiled in (format of the `auditable-serde` crate: `packages` with
//! `name`, `version`, `source`, `kind`, `dependencies` as indexes, `root`).
//!
//! Hand-read (zlib + serde) rather than through `auditable-info`, because the section is found by
//! dredge's own streaming ELF reader and the format is three fields deep.

use dredge_layer::elf;
use dredge_layer::{ExtractError, Extractor, Pattern, Sparse};
use dredge_model::{DepRef, Ecosystem, Fact, Origin, Package};
use serde::Deserialize;
use std::io::Read;

pub struct CargoAuditable;

/// Inflated JSON larger than this is not a dependency list.
const MAX_JSON: u64 = 16 << 20;

#[derive(Deserialize)]
struct Info {
    packages: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    name: String,
    version: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    dependencies: Vec<usize>,
    #[serde(default)]
    root: bool,
}

pub fn parse(compressed: &[u8]) -> Result<Vec<Package>, ExtractError> {
    let mut json = Vec::new();
    flate2::read::ZlibDecoder::new(compressed)
        .take(MAX_JSON + 1)
        .read_to_end(&mut json)
        .map_err(|e| ExtractError::new(format!(".dep-v0: cannot inflate: {e}")))?;
    if json.len() as u64 > MAX_JSON {
        return Err(ExtractError::new(format!(".dep-v0: inflates past {MAX_JSON} bytes")));
    }
    let info: Info = serde_json::from_slice(&json).map_err(|e| ExtractError::new(format!(".dep-v0: invalid JSON: {e}")))?;
    let direct: std::collections::HashSet<usize> =
        info.packages.iter().filter(|p| p.root).flat_map(|p| p.dependencies.iter().copied()).collect();
    // The graph the binary records: each dependency an index into the list (local crates, the
    // project itself, are not packages and give no edge; an index out of range is ignored).
    let dep = |k: &usize| {
        info.packages.get(*k).filter(|d| d.source != "local").map(|d| DepRef { name: d.name.clone(), version: d.version.clone() })
    };
    Ok(info
        .packages
        .iter()
        .enumerate()
        // Crates built from a local path (the binary's own crate in a project build, path
        // dependencies) are the project, not published crates; a `cargo install`ed binary's root
        // comes from crates.io and is reported like any dependency.
        .filter(|(_, e)| e.source != "local")
        .map(|(i, e)| {
            let mut p = Package::new(Ecosystem::Cargo, e.name.clone(), e.version.clone());
            p.origin = Origin::Binary;
            p.direct = Some(direct.contains(&i));
            let mut deps: Vec<DepRef> = e.dependencies.iter().filter_map(dep).collect();
            deps.sort();
            deps.dedup();
            p.depends_on = deps;
            p
        })
        .collect())
}

impl Extractor for CargoAuditable {
    fn name(&self) -> &'static str {
        "lang/rust/auditable"
    }
    fn version(&self) -> u32 {
        2
    }
    fn patterns(&self) -> &'static [Pattern] {
        &[Pattern::Elf]
    }
    fn extract(&self, _path: &str, _data: &[u8]) -> Result<Vec<Fact>, ExtractError> {
        Ok(Vec::new())
    }
    fn extract_binary(&self, _path: &str, f: &Sparse) -> Result<Vec<Fact>, ExtractError> {
        // Section headers are only kept for binaries read whole (up to ELF_FULL_READ).
        let Some(whole) = f.whole() else { return Ok(Vec::new()) };
        let Some(h) = elf::header(whole) else { return Ok(Vec::new()) };
        let Some(s) = elf::sections(f, &h).into_iter().find(|s| s.name == ".dep-v0") else { return Ok(Vec::new()) };
        let data = f.read_at(s.offset, s.size).ok_or_else(|| ExtractError::new(".dep-v0 section lies outside the file"))?;
        Ok(crate::lang::facts(parse(data)?))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::io::Write;

    /// The dependency graph cargo-auditable records (indices into its package list) becomes the
    /// packages' edges; the local root crate gives none, a bad index is ignored.
    #[test]
    fn the_recorded_graph_is_kept() {
        let json = r#"{"packages":[
            {"name":"app","version":"0.1.0","source":"local","kind":"build","dependencies":[1,2],"root":true},
            {"name":"serde","version":"1.0.200","source":"crates.io","dependencies":[3]},
            {"name":"itoa","version":"1.0.11","source":"crates.io","dependencies":[99]},
            {"name":"serde_derive","version":"1.0.200","source":"crates.io","dependencies":[0]}
        ]}"#;
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(json.as_bytes()).unwrap();
        let pkgs = parse(&z.finish().unwrap()).unwrap();
        let edges: Vec<(&str, Vec<&str>)> =
            pkgs.iter().map(|p| (p.name.as_str(), p.depends_on.iter().map(|d| d.name.as_str()).collect())).collect();
        assert_eq!(edges, vec![("serde", vec!["serde_derive"]), ("itoa", vec![]), ("serde_derive", vec![])]);
        assert_eq!(pkgs.iter().filter(|p| p.direct == Some(true)).count(), 2);
    }
}
