//! Rust binaries built with `cargo auditable`: the `.dep-v0` section holds the zlib-compressed
//! JSON list of the crates compiled in (format of the `auditable-serde` crate: `packages` with
//! `name`, `version`, `source`, `kind`, `dependencies` as indexes, `root`).
//!
//! Hand-read (zlib + serde) rather than through `auditable-info`, because the section is found by
//! dredge's own streaming ELF reader and the format is three fields deep.

use dredge_layer::elf;
use dredge_layer::{ExtractError, Extractor, Pattern, Sparse};
use dredge_model::{Ecosystem, Fact, Origin, Package};
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
    Ok(info
        .packages
        .into_iter()
        .enumerate()
        // Crates built from a local path (the binary's own crate in a project build, path
        // dependencies) are the project, not published crates; a `cargo install`ed binary's root
        // comes from crates.io and is reported like any dependency.
        .filter(|(_, e)| e.source != "local")
        .map(|(i, e)| {
            let mut p = Package::new(Ecosystem::Cargo, e.name, e.version);
            p.origin = Origin::Binary;
            p.direct = Some(direct.contains(&i));
            p
        })
        .collect())
}

impl Extractor for CargoAuditable {
    fn name(&self) -> &'static str {
        "lang/rust/auditable"
    }
    fn version(&self) -> u32 {
        1
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
