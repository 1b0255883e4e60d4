//! `poetry.lock` (TOML). Development groups: `category = "dev"` (lock format 1.x) or `groups`
//! without `main` (Poetry 2).

use crate::lang::{LOCKFILE_MAX, facts, toml};
use dredge_layer::{ExtractError, Extractor, Pattern};
use dredge_model::{Ecosystem, Fact, Package};
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
}

impl Extractor for PoetryLock {
    fn name(&self) -> &'static str {
        "lang/python/poetry-lock"
    }
    fn version(&self) -> u32 {
        1
    }
    fn patterns(&self) -> &'static [Pattern] {
        &[Pattern::Named("poetry.lock", "")]
    }
    fn max_file_size(&self) -> u64 {
        LOCKFILE_MAX
    }
    fn extract(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, ExtractError> {
        let lock: Lock = toml(data)?;
        Ok(facts(lock.package.into_iter().map(|e| {
            let mut p = Package::locked(Ecosystem::PyPI, e.name, e.version);
            p.dev = e.category.as_deref() == Some("dev") || e.groups.is_some_and(|g| !g.iter().any(|x| x == "main"));
            p
        })))
    }
}
