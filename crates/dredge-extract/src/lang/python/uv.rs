//! `uv.lock` (TOML). The project itself (an editable or virtual source) is the root: what its
//! `dependencies` reach is needed at run time, what only its `dev-dependencies` reach is dev.

use crate::lang::{LOCKFILE_MAX, facts, link_graph, mark_graph, toml};
use dredge_layer::{ExtractError, Extractor, Pattern};
use dredge_model::{Ecosystem, Fact, Package};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

pub struct UvLock;

#[derive(Deserialize)]
struct Lock {
    #[serde(default)]
    package: Vec<Entry>,
}

#[derive(Deserialize)]
struct Dep {
    name: String,
}

#[derive(Deserialize)]
struct Entry {
    name: String,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    source: BTreeMap<String, toml::Value>,
    #[serde(default)]
    dependencies: Vec<Dep>,
    #[serde(default, rename = "optional-dependencies")]
    optional: BTreeMap<String, Vec<Dep>>,
    #[serde(default, rename = "dev-dependencies")]
    dev: BTreeMap<String, Vec<Dep>>,
}

impl Extractor for UvLock {
    fn name(&self) -> &'static str {
        "lang/python/uv-lock"
    }
    fn version(&self) -> u32 {
        2
    }
    fn patterns(&self) -> &'static [Pattern] {
        &[Pattern::Named("uv.lock", "")]
    }
    fn max_file_size(&self) -> u64 {
        LOCKFILE_MAX
    }
    fn extract(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, ExtractError> {
        let lock: Lock = toml(data)?;
        let is_root = |e: &Entry| e.source.contains_key("editable") || e.source.contains_key("virtual");
        let mut graph: HashMap<String, Vec<String>> = HashMap::new();
        let (mut prod, mut dev) = (Vec::new(), Vec::new());
        for e in &lock.package {
            let mut next: Vec<String> = e.dependencies.iter().map(|d| d.name.clone()).collect();
            next.extend(e.optional.values().flatten().map(|d| d.name.clone()));
            if is_root(e) {
                prod.extend(next.iter().cloned());
                dev.extend(e.dev.values().flatten().map(|d| d.name.clone()));
            }
            graph.entry(e.name.clone()).or_default().extend(next);
        }
        let has_root = lock.package.iter().any(is_root);
        let mut pkgs: Vec<Package> = lock
            .package
            .into_iter()
            .filter(|e| !is_root(e))
            .filter_map(|e| Some(Package::locked(Ecosystem::PyPI, e.name, e.version?)))
            .collect();
        let keys: Vec<String> = pkgs.iter().map(|p| p.name.clone()).collect();
        if has_root {
            mark_graph(&mut pkgs, &keys, &graph, &prod, &dev);
        }
        link_graph(&mut pkgs, &keys, &graph);
        Ok(facts(pkgs))
    }
}
