//! Rust: `Cargo.lock` (the exact crate versions a build used). Workspace members (no `source`)
//! are the project itself, not dependencies.

use dredge_layer::{ExtractError, Extractor, Pattern};
use dredge_model::{Ecosystem, Fact, Package};
use serde::Deserialize;

pub struct CargoLock;

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
    source: Option<String>,
    #[serde(default)]
    dependencies: Vec<String>,
}

impl Extractor for CargoLock {
    fn name(&self) -> &'static str {
        "lang/rust/cargo-lock"
    }
    fn version(&self) -> u32 {
        1
    }
    fn patterns(&self) -> &'static [Pattern] {
        &[Pattern::Named("Cargo.lock", "")]
    }
    fn max_file_size(&self) -> u64 {
        16 << 20
    }
    fn extract(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, ExtractError> {
        let text = std::str::from_utf8(data).map_err(|e| ExtractError::new(format!("not UTF-8: {e}")))?;
        let lock: Lock = toml::from_str(text).map_err(|e| ExtractError::new(format!("invalid Cargo.lock: {e}")))?;
        // Workspace members list the direct dependencies (`name` or `name version (source)`).
        let direct: std::collections::HashSet<String> = lock
            .package
            .iter()
            .filter(|p| p.source.is_none())
            .flat_map(|p| p.dependencies.iter().map(|d| d.split_whitespace().next().unwrap_or("").to_string()))
            .collect();
        Ok(lock
            .package
            .into_iter()
            .filter(|p| p.source.is_some())
            .map(|p| {
                let d = direct.contains(&p.name);
                let mut pkg = Package::locked(Ecosystem::Cargo, p.name, p.version);
                pkg.direct = Some(d);
                Fact::Package(Box::new(pkg))
            })
            .collect())
    }
}
