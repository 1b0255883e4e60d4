//! Julia `Manifest.toml`: format 2 (`[[deps.Name]]` under `manifest_format = "2.0"`) and format 1
//! (`[[Name]]` at the top level). Standard libraries have no version and are skipped.

use crate::lang::{LOCKFILE_MAX, facts, toml};
use dredge_layer::{ExtractError, Extractor, Pattern};
use dredge_model::{Ecosystem, Fact, Package};

pub struct JuliaManifest;

impl Extractor for JuliaManifest {
    fn name(&self) -> &'static str {
        "lang/julia/manifest"
    }
    fn version(&self) -> u32 {
        1
    }
    fn patterns(&self) -> &'static [Pattern] {
        &[Pattern::Named("Manifest.toml", ""), Pattern::Prefixed("Manifest-v", ".toml")]
    }
    fn max_file_size(&self) -> u64 {
        LOCKFILE_MAX
    }
    fn extract(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, ExtractError> {
        let doc: toml::Table = toml(data)?;
        let deps = match doc.get("deps").and_then(|d| d.as_table()) {
            Some(d) if doc.contains_key("manifest_format") => d.clone(),
            _ => doc.clone(),
        };
        let mut out = Vec::new();
        for (name, entries) in &deps {
            for e in entries.as_array().into_iter().flatten() {
                if let Some(v) = e.get("version").and_then(|v| v.as_str()) {
                    out.push(Package::locked(Ecosystem::Julia, name.as_str(), v));
                }
            }
        }
        Ok(facts(out))
    }
}
