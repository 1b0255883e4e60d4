//! `conan.lock`: Conan 2 (`requires`/`build_requires` references `name/version#rev%time`) and
//! Conan 1 (`graph_lock.nodes` with `ref`). Build requirements are tools, marked dev.

use crate::lang::{LOCKFILE_MAX, facts, json};
use dredge_layer::{ExtractError, Extractor, Pattern};
use dredge_model::{Ecosystem, Fact, Package};
use serde_json::Value;

pub struct ConanLock;

/// `zlib/1.2.13#rev%123` or `zlib/1.2.11@user/channel#rev` → (zlib, version).
fn reference(r: &str) -> Option<(&str, &str)> {
    let r = r.split(['#', '%']).next()?;
    let r = r.split('@').next()?;
    let (n, v) = r.split_once('/')?;
    (!n.is_empty() && !v.is_empty()).then_some((n, v))
}

impl Extractor for ConanLock {
    fn name(&self) -> &'static str {
        "lang/conan/conan-lock"
    }
    fn version(&self) -> u32 {
        1
    }
    fn patterns(&self) -> &'static [Pattern] {
        &[Pattern::Named("conan.lock", "")]
    }
    fn max_file_size(&self) -> u64 {
        LOCKFILE_MAX
    }
    fn extract(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, ExtractError> {
        let v: Value = json(data)?;
        let mut out = Vec::new();
        for (key, dev) in [("requires", false), ("build_requires", true), ("python_requires", true)] {
            for r in v[key].as_array().into_iter().flatten().filter_map(Value::as_str) {
                if let Some((n, ver)) = reference(r) {
                    let mut p = Package::locked(Ecosystem::Conan, n, ver);
                    p.dev = dev;
                    out.push(p);
                }
            }
        }
        for node in v["graph_lock"]["nodes"].as_object().into_iter().flat_map(|m| m.values()) {
            if let Some((n, ver)) = node["ref"].as_str().and_then(reference) {
                out.push(Package::locked(Ecosystem::Conan, n, ver));
            }
        }
        if out.is_empty() && v.get("version").is_none() && v.get("graph_lock").is_none() {
            return Err(ExtractError::new("not a conan.lock: no requires or graph_lock"));
        }
        Ok(facts(out))
    }
}
