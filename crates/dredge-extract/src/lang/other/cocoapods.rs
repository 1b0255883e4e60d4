//! `Podfile.lock` (YAML): `PODS` lists `Name (1.2.3)` (a subspec `Name/Sub` is the same pod).
//! OSV has no CocoaPods advisories: listed in SBOMs, not matched.

use crate::lang::{LOCKFILE_MAX, facts, yaml};
use dredge_layer::{ExtractError, Extractor, Pattern};
use dredge_model::{Ecosystem, Fact, Package};
use serde_json::Value;

pub struct PodfileLock;

impl Extractor for PodfileLock {
    fn name(&self) -> &'static str {
        "lang/cocoapods/podfile-lock"
    }
    fn version(&self) -> u32 {
        1
    }
    fn patterns(&self) -> &'static [Pattern] {
        &[Pattern::Named("Podfile.lock", "")]
    }
    fn max_file_size(&self) -> u64 {
        LOCKFILE_MAX
    }
    fn extract(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, ExtractError> {
        let doc: Value = yaml(data)?;
        let Some(pods) = doc["PODS"].as_array() else {
            return Err(ExtractError::new("not a Podfile.lock: no PODS"));
        };
        let direct: Vec<&str> = doc["DEPENDENCIES"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|d| d.split(' ').next().unwrap_or(d))
            .collect();
        let mut out: Vec<Package> = Vec::new();
        for pod in pods {
            // `- Name (1.2.3)` or `- Name (1.2.3): [deps]`
            let entry = pod.as_str().or_else(|| pod.as_object().and_then(|m| m.keys().next()).map(String::as_str));
            let Some((name, rest)) = entry.and_then(|e| e.split_once(" (")) else { continue };
            let name = name.split('/').next().unwrap_or(name);
            let version = rest.trim_end_matches(')');
            if out.iter().any(|p| p.name == name) {
                continue;
            }
            let mut p = Package::locked(Ecosystem::Cocoapods, name, version);
            p.direct = Some(direct.iter().any(|d| d.split('/').next() == Some(name)));
            out.push(p);
        }
        Ok(facts(out))
    }
}
