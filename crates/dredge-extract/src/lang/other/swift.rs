//! Swift Package Manager `Package.resolved`: version 1 (`object.pins` with `repositoryURL`) and
//! versions 2/3 (`pins` with `location`). Packages are named by repository
//! (`github.com/apple/swift-nio`), as OSV's SwiftURL ecosystem names them; branch or revision pins
//! have no version.

use crate::lang::{LOCKFILE_MAX, facts, json};
use dredge_layer::{ExtractError, Extractor, Pattern};
use dredge_model::{Ecosystem, Fact, Package};
use serde_json::Value;

pub struct PackageResolved;

/// `https://github.com/apple/swift-nio.git` → `github.com/apple/swift-nio`.
fn repo_name(url: &str) -> String {
    let s = url.split_once("://").map_or(url, |(_, r)| r);
    let s = s.strip_prefix("git@").map(|r| r.replacen(':', "/", 1)).unwrap_or_else(|| s.to_string());
    s.trim_end_matches('/').trim_end_matches(".git").to_string()
}

impl Extractor for PackageResolved {
    fn name(&self) -> &'static str {
        "lang/swift/package-resolved"
    }
    fn version(&self) -> u32 {
        1
    }
    fn patterns(&self) -> &'static [Pattern] {
        &[Pattern::Named("Package.resolved", "")]
    }
    fn max_file_size(&self) -> u64 {
        LOCKFILE_MAX
    }
    fn extract(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, ExtractError> {
        let v: Value = json(data)?;
        let Some(pins) = v["pins"].as_array().or_else(|| v["object"]["pins"].as_array()) else {
            return Err(ExtractError::new("not a Package.resolved: no pins"));
        };
        Ok(facts(pins.iter().filter_map(|p| {
            let url = p["location"].as_str().or_else(|| p["repositoryURL"].as_str())?;
            let version = p["state"]["version"].as_str()?;
            Some(Package::locked(Ecosystem::Swift, repo_name(url), version))
        })))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn repository_names() {
        assert_eq!(super::repo_name("https://github.com/apple/swift-nio.git"), "github.com/apple/swift-nio");
        assert_eq!(super::repo_name("git@github.com:a/b.git"), "github.com/a/b");
    }
}
