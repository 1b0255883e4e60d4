//! `conda-meta/*.json`: one record per package installed in a Conda environment. Conda packages are
//! their own ecosystem (python, openssl and numpy alike); OSV has no Conda advisories, so they
//! are listed in SBOMs and not matched.

use crate::lang::{facts, json};
use dredge_layer::{ExtractError, Extractor, Pattern};
use dredge_model::{Ecosystem, Fact, Package};
use serde::Deserialize;

pub struct CondaMeta;

#[derive(Deserialize)]
struct Record {
    name: String,
    version: String,
    #[serde(default)]
    license: Option<String>,
    #[serde(default)]
    subdir: Option<String>,
}

impl Extractor for CondaMeta {
    fn name(&self) -> &'static str {
        "lang/python/conda-meta"
    }
    fn version(&self) -> u32 {
        1
    }
    fn patterns(&self) -> &'static [Pattern] {
        &[Pattern::InDir("conda-meta", ".json")]
    }
    fn max_file_size(&self) -> u64 {
        // Records list every file of the package.
        16 << 20
    }
    fn extract(&self, path: &str, data: &[u8]) -> Result<Vec<Fact>, ExtractError> {
        if path.ends_with("/history") {
            return Ok(Vec::new());
        }
        let r: Record = json(data)?;
        let mut p = Package::new(Ecosystem::Conda, r.name, r.version);
        p.license = r.license;
        p.arch = r.subdir;
        Ok(facts([p]))
    }
}
