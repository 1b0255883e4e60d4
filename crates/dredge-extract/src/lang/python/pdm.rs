//! `pdm.lock` (TOML): each package lists the groups that need it; one without `default` is dev.

use crate::lang::{LOCKFILE_MAX, facts, link_graph, toml};
use dredge_layer::{ExtractError, Extractor, Pattern};
use dredge_model::{Ecosystem, Fact, Package, normalize_pypi};
use serde::Deserialize;

pub struct PdmLock;

#[derive(Deserialize)]
struct Lock {
    #[serde(default)]
    package: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    name: String,
    version: String,
    #[serde(default)]
    groups: Option<Vec<String>>,
    /// PEP 508 requirements (`name[extra]>=1; marker`).
    #[serde(default)]
    dependencies: Vec<String>,
}

/// The package a PEP 508 requirement names, normalised (PEP 503).
fn requirement_name(req: &str) -> String {
    let name: String = req.trim().chars().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')).collect();
    normalize_pypi(&name)
}

impl Extractor for PdmLock {
    fn name(&self) -> &'static str {
        "lang/python/pdm-lock"
    }
    fn version(&self) -> u32 {
        2
    }
    fn patterns(&self) -> &'static [Pattern] {
        &[Pattern::Named("pdm.lock", "")]
    }
    fn max_file_size(&self) -> u64 {
        LOCKFILE_MAX
    }
    fn extract(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, ExtractError> {
        let lock: Lock = toml(data)?;
        let graph: std::collections::HashMap<String, Vec<String>> =
            lock.package.iter().map(|e| (normalize_pypi(&e.name), e.dependencies.iter().map(|d| requirement_name(d)).collect())).collect();
        let keys: Vec<String> = lock.package.iter().map(|e| normalize_pypi(&e.name)).collect();
        let mut pkgs: Vec<Package> = lock
            .package
            .into_iter()
            .map(|e| {
                let mut p = Package::locked(Ecosystem::PyPI, e.name, e.version);
                p.dev = e.groups.is_some_and(|g| !g.iter().any(|x| x == "default"));
                p
            })
            .collect();
        link_graph(&mut pkgs, &keys, &graph);
        Ok(facts(pkgs))
    }
}
