//! Dart `pubspec.lock` (YAML): `packages: {name: {dependency: "direct main" | "direct dev" |
//! "transitive", source, version}}`. Only hosted (pub.dev) packages are published ones.

use crate::lang::{LOCKFILE_MAX, facts, yaml};
use dredge_layer::{ExtractError, Extractor, Pattern};
use dredge_model::{Ecosystem, Fact, Package};
use serde_json::Value;

pub struct PubspecLock;

impl Extractor for PubspecLock {
    fn name(&self) -> &'static str {
        "lang/dart/pubspec-lock"
    }
    fn version(&self) -> u32 {
        1
    }
    fn patterns(&self) -> &'static [Pattern] {
        &[Pattern::Named("pubspec.lock", "")]
    }
    fn max_file_size(&self) -> u64 {
        LOCKFILE_MAX
    }
    fn extract(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, ExtractError> {
        let doc: Value = yaml(data)?;
        let Some(pkgs) = doc["packages"].as_object() else {
            return Err(ExtractError::new("not a pubspec.lock: no packages"));
        };
        Ok(facts(pkgs.iter().filter(|(_, e)| e["source"] == "hosted").filter_map(|(name, e)| {
            let mut p = Package::locked(Ecosystem::Pub, name.as_str(), e["version"].as_str()?);
            let dep = e["dependency"].as_str().unwrap_or("");
            p.dev = dep == "direct dev";
            p.direct = Some(dep.starts_with("direct"));
            Some(p)
        })))
    }
}
