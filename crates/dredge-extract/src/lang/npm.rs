//! Installed Node packages: `node_modules/<name>/package.json` and
//! `node_modules/@scope/<name>/package.json` (a project's own package.json is not a dependency).

use dredge_layer::{ExtractError, Extractor, Pattern};
use dredge_model::{Ecosystem, Fact, Package};

pub struct NodeModules;

/// Is this the manifest of a package installed in a node_modules directory?
fn installed(path: &str) -> bool {
    let Some(i) = path.rfind("node_modules/") else { return false };
    if i > 0 && !path[..i].ends_with('/') {
        return false;
    }
    let rest = &path[i + "node_modules/".len()..];
    let parts: Vec<&str> = rest.split('/').collect();
    match parts.as_slice() {
        [name, "package.json"] => !name.starts_with('.') && !name.starts_with('@'),
        [scope, name, "package.json"] => scope.starts_with('@') && !name.starts_with('.'),
        _ => false,
    }
}

impl Extractor for NodeModules {
    fn name(&self) -> &'static str {
        "lang/npm/node-modules"
    }
    fn version(&self) -> u32 {
        1
    }
    fn patterns(&self) -> &'static [Pattern] {
        &[Pattern::Named("package.json", "")]
    }
    fn max_file_size(&self) -> u64 {
        1 << 20
    }
    fn extract(&self, path: &str, data: &[u8]) -> Result<Vec<Fact>, ExtractError> {
        if !installed(path) {
            return Ok(Vec::new());
        }
        let v: serde_json::Value = serde_json::from_slice(data).map_err(|e| ExtractError::new(format!("invalid JSON: {e}")))?;
        let (Some(name), Some(version)) = (v["name"].as_str(), v["version"].as_str()) else {
            // Nested test fixtures and partial packages have manifests without a version.
            return Ok(Vec::new());
        };
        let mut p = Package::new(Ecosystem::Npm, name, version);
        p.license = v["license"].as_str().or_else(|| v["license"]["type"].as_str()).map(str::to_string);
        Ok(vec![Fact::Package(Box::new(p))])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_installed_manifests() {
        assert!(installed("app/node_modules/semver/package.json"));
        assert!(installed("node_modules/@babel/core/package.json"));
        assert!(installed("a/node_modules/x/node_modules/y/package.json"));
        assert!(!installed("app/package.json"));
        assert!(!installed("app/node_modules/x/lib/package.json"));
        assert!(!installed("app/my_node_modules/x/package.json"));
        let f = NodeModules
            .extract("node_modules/semver/package.json", br#"{"name":"semver","version":"7.3.5","license":"ISC"}"#)
            .expect("parses");
        assert_eq!(f.len(), 1);
        assert!(NodeModules.extract("node_modules/x/package.json", b"{nope").is_err());
        assert!(NodeModules.extract("node_modules/x/package.json", br#"{"name":"x"}"#).expect("ok").is_empty());
    }
}
