//! Rust: `Cargo.lock` (the exact crate versions a build used), with the resolved graph (each
//! package's `dependencies`: `name`, or `name version` when several versions are locked).
//! Workspace members (no `source`) are the project itself, not dependencies.

use dredge_layer::{ExtractError, Extractor, Pattern};
use dredge_model::{DepRef, Ecosystem, Fact, Package};
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
        2
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
        // A dependency names a locked package: by name alone when one version is locked, else by
        // name and version (a source after them tells two of one version apart: not needed here).
        let mut versions: std::collections::HashMap<&str, Vec<&str>> = std::collections::HashMap::new();
        for p in lock.package.iter().filter(|p| p.source.is_some()) {
            versions.entry(p.name.as_str()).or_default().push(p.version.as_str());
        }
        let resolve = |d: &str| -> Option<DepRef> {
            let mut w = d.split_whitespace();
            let name = w.next()?;
            let version = match (w.next(), versions.get(name).map(Vec::as_slice)) {
                (Some(v), Some(vs)) if vs.contains(&v) => v,
                (None, Some([only])) => only,
                _ => return None, // a workspace member, or not in the lockfile
            };
            Some(DepRef { name: name.to_string(), version: version.to_string() })
        };
        let out: Vec<Fact> = lock
            .package
            .iter()
            .filter(|p| p.source.is_some())
            .map(|p| {
                let mut pkg = Package::locked(Ecosystem::Cargo, p.name.clone(), p.version.clone());
                pkg.direct = Some(direct.contains(&p.name));
                pkg.depends_on = p.dependencies.iter().filter_map(|d| resolve(d)).collect();
                Fact::Package(Box::new(pkg))
            })
            .collect();
        Ok(out)
    }
}
