//! NuGet `packages.lock.json`: per target framework, each package `Direct`, `Transitive` or
//! `CentralTransitive` with its `resolved` version (`Project` entries are the solution's own).

use crate::lang::{LOCKFILE_MAX, facts, json};
use dredge_layer::{ExtractError, Extractor, Pattern};
use dredge_model::{Ecosystem, Fact, Package};
use serde_json::Value;

pub struct PackagesLock;

impl Extractor for PackagesLock {
    fn name(&self) -> &'static str {
        "lang/dotnet/packages-lock"
    }
    fn version(&self) -> u32 {
        1
    }
    fn patterns(&self) -> &'static [Pattern] {
        &[Pattern::Named("packages.lock.json", "")]
    }
    fn max_file_size(&self) -> u64 {
        LOCKFILE_MAX
    }
    fn extract(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, ExtractError> {
        let v: Value = json(data)?;
        let Some(frameworks) = v["dependencies"].as_object() else {
            return Err(ExtractError::new("not a NuGet lock file: no dependencies"));
        };
        let mut out: Vec<Package> = Vec::new();
        for deps in frameworks.values().filter_map(Value::as_object) {
            for (name, d) in deps {
                let kind = d["type"].as_str().unwrap_or("");
                let Some(ver) = d["resolved"].as_str() else { continue };
                if kind == "Project" || out.iter().any(|p| p.name == *name && p.version == ver) {
                    continue;
                }
                let mut p = Package::locked(Ecosystem::NuGet, name.as_str(), ver);
                p.direct = Some(kind == "Direct");
                out.push(p);
            }
        }
        Ok(facts(out))
    }
}
