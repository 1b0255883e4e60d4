//! `poetry.lock` (TOML). Development groups: `category = "dev"` (lock format 1.x) or `groups`
//! without `main` (Poetry 2).

use crate::lang::{LOCKFILE_MAX, facts, link_graph, toml};
use dredge_layer::{ExtractError, Extractor, Pattern};
use dredge_model::{Ecosystem, Fact, Package, normalize_pypi};
use serde::Deserialize;

pub struct PoetryLock;

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
    category: Option<String>,
    #[serde(default)]
    groups: Option<Vec<String>>,
    /// `name = "constraint"` (or a table): the packages this one needs, by name.
    #[serde(default)]
    dependencies: std::collections::BTreeMap<String, ::toml::Value>,
}

impl Extractor for PoetryLock {
    fn name(&self) -> &'static str {
        "lang/python/poetry-lock"
    }
    fn version(&self) -> u32 {
        2
    }
    fn patterns(&self) -> &'static [Pattern] {
        &[Pattern::Named("poetry.lock", "")]
    }
    fn max_file_size(&self) -> u64 {
        LOCKFILE_MAX
    }
    fn extract(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, ExtractError> {
        let lock: Lock = toml(data)?;
        let graph: std::collections::HashMap<String, Vec<String>> =
            lock.package.iter().map(|e| (normalize_pypi(&e.name), e.dependencies.keys().map(|d| normalize_pypi(d)).collect())).collect();
        let keys: Vec<String> = lock.package.iter().map(|e| normalize_pypi(&e.name)).collect();
        let mut pkgs: Vec<Package> = lock
            .package
            .into_iter()
            .map(|e| {
                let mut p = Package::locked(Ecosystem::PyPI, e.name, e.version);
                p.dev = e.category.as_deref() == Some("dev") || e.groups.is_some_and(|g| !g.iter().any(|x| x == "main"));
                p
            })
            .collect();
        link_graph(&mut pkgs, &keys, &graph);
        Ok(facts(pkgs))
    }
}
