//! `Pipfile.lock` (JSON): `default` and `develop` sections, versions written `==1.2.3`.

use crate::lang::{LOCKFILE_MAX, facts, json};
use dredge_layer::{ExtractError, Extractor, Pattern};
use dredge_model::{Ecosystem, Fact, Package};
use serde_json::Value;

pub struct PipfileLock;

impl Extractor for PipfileLock {
    fn name(&self) -> &'static str {
        "lang/python/pipfile-lock"
    }
    fn version(&self) -> u32 {
        1
    }
    fn patterns(&self) -> &'static [Pattern] {
        &[Pattern::Named("Pipfile.lock", "")]
    }
    fn max_file_size(&self) -> u64 {
        LOCKFILE_MAX
    }
    fn extract(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, ExtractError> {
        let v: Value = json(data)?;
        if !v.is_object() {
            return Err(ExtractError::new("not a Pipfile.lock: the document is not an object"));
        }
        let mut out = Vec::new();
        for (section, dev) in [("default", false), ("develop", true)] {
            for (name, e) in v[section].as_object().into_iter().flatten() {
                let Some(ver) = e["version"].as_str().and_then(|s| s.strip_prefix("==")) else { continue };
                let mut p = Package::locked(Ecosystem::PyPI, name.as_str(), ver);
                p.dev = dev;
                out.push(p);
            }
        }
        // A package in both sections is needed at run time.
        let prod: std::collections::HashSet<(String, String)> =
            out.iter().filter(|p| !p.dev).map(|p| (p.name.clone(), p.version.clone())).collect();
        out.retain(|p| !p.dev || !prod.contains(&(p.name.clone(), p.version.clone())));
        Ok(facts(out))
    }
}
