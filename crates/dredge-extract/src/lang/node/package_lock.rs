//! `package-lock.json` and `npm-shrinkwrap.json`: lockfile v2/v3 (`packages`, keyed by install
//! path, with workspaces) and v1 (nested `dependencies`). `dev`/`devOptional` mark dev-only
//! packages; a top-level package the project (or a workspace) names is direct. In v2/v3 each
//! package's dependencies are resolved as Node resolves them (the nearest `node_modules/NAME` up
//! from the package's own install path): the edges of the dependency graph.

use crate::lang::{LOCKFILE_MAX, facts, json};
use dredge_layer::{ExtractError, Extractor, Pattern};
use dredge_model::{DepRef, Ecosystem, Fact, Package};
use serde_json::Value;
use std::collections::HashSet;

pub struct PackageLock;

/// Install paths deeper than this give no dependency edges.
const MAX_DEPTH: usize = 64;

const DEP_KINDS: [&str; 4] = ["dependencies", "devDependencies", "optionalDependencies", "peerDependencies"];

fn v2(packages: &serde_json::Map<String, Value>) -> Vec<Package> {
    // The project and its workspaces are the entries not installed under node_modules.
    let mut named: HashSet<&str> = HashSet::new();
    for (k, e) in packages {
        if !k.contains("node_modules/") {
            for kind in DEP_KINDS {
                named.extend(e[kind].as_object().into_iter().flat_map(|m| m.keys().map(String::as_str)));
            }
        }
    }
    let mut out = Vec::new();
    for (key, e) in packages {
        let Some(i) = key.rfind("node_modules/") else { continue };
        if e["link"].as_bool() == Some(true) {
            continue; // a symlink to a workspace: the project itself
        }
        let name = e["name"].as_str().unwrap_or(&key[i + "node_modules/".len()..]);
        let Some(version) = e["version"].as_str() else { continue };
        let mut p = Package::locked(Ecosystem::Npm, name, version);
        p.dev = e["dev"].as_bool() == Some(true) || e["devOptional"].as_bool() == Some(true);
        p.direct = Some(key.matches("node_modules/").count() == 1 && named.contains(name));
        p.license = super::declared_license(e);
        let mut deps: Vec<DepRef> = DEP_KINDS
            .iter()
            .flat_map(|kind| e[*kind].as_object().into_iter().flat_map(|m| m.keys()))
            .filter_map(|dep| resolve(packages, key, dep))
            .collect();
        deps.sort();
        deps.dedup();
        p.depends_on = deps;
        out.push(p);
    }
    out
}

/// Where Node finds `dep` for the package installed at `from`: `from/node_modules/dep`, then the
/// same under each enclosing `node_modules` up to the top. Links and entries without a version
/// (workspace links, an optional dependency not installed) give no edge.
fn resolve(packages: &serde_json::Map<String, Value>, from: &str, dep: &str) -> Option<DepRef> {
    // Real trees are a few dozen levels deep at most; a hostile key thousands deep would make
    // every lookup walk (and hash) all of it.
    if from.matches("node_modules/").count() > MAX_DEPTH {
        return None;
    }
    let mut base = from;
    loop {
        let key = if base.is_empty() { format!("node_modules/{dep}") } else { format!("{base}/node_modules/{dep}") };
        if let Some(e) = packages.get(&key) {
            let version = e["version"].as_str().filter(|_| e["link"].as_bool() != Some(true))?;
            let name = e["name"].as_str().unwrap_or(dep);
            return Some(DepRef { name: name.to_string(), version: version.to_string() });
        }
        if base.is_empty() {
            return None;
        }
        // Up one level: drop the last `node_modules/NAME` (a scoped name has a slash of its own).
        base = match base.rfind("node_modules/") {
            Some(i) => base[..i].trim_end_matches('/'),
            None => "",
        };
    }
}

fn v1(deps: &serde_json::Map<String, Value>) -> Vec<Package> {
    let mut out = Vec::new();
    let mut stack: Vec<(&serde_json::Map<String, Value>, bool)> = vec![(deps, true)];
    while let Some((m, top)) = stack.pop() {
        for (name, e) in m {
            if let Some(version) = e["version"].as_str() {
                // `file:` and `link:` versions point at local code, not a published package.
                if !version.starts_with("file:") && !version.starts_with("link:") {
                    let mut p = Package::locked(Ecosystem::Npm, name.as_str(), version);
                    p.dev = e["dev"].as_bool() == Some(true);
                    if !top {
                        p.direct = Some(false);
                    }
                    out.push(p);
                }
            }
            if let Some(sub) = e["dependencies"].as_object() {
                stack.push((sub, false));
            }
        }
    }
    out
}

impl Extractor for PackageLock {
    fn name(&self) -> &'static str {
        "lang/node/package-lock"
    }
    fn version(&self) -> u32 {
        4
    }
    fn patterns(&self) -> &'static [Pattern] {
        &[Pattern::Named("package-lock.json", ""), Pattern::Named("npm-shrinkwrap.json", "")]
    }
    fn max_file_size(&self) -> u64 {
        LOCKFILE_MAX
    }
    fn extract(&self, path: &str, data: &[u8]) -> Result<Vec<Fact>, ExtractError> {
        if super::inside_node_modules(path) {
            return Ok(Vec::new());
        }
        let v: Value = json(data)?;
        if let Some(p) = v["packages"].as_object() {
            return Ok(facts(v2(p)));
        }
        if let Some(d) = v["dependencies"].as_object() {
            return Ok(facts(v1(d)));
        }
        if v.is_object() { Ok(Vec::new()) } else { Err(ExtractError::new("not a package-lock: the document is not an object")) }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// An install path thousands of levels deep (a hostile lockfile) resolves nothing rather than
    /// walking and hashing the whole path once per level and dependency; a real depth resolves.
    #[test]
    fn deep_install_paths_stay_cheap() {
        let deep = "node_modules/a/".repeat(3000) + "node_modules/x";
        let deps: serde_json::Map<String, Value> = (0..3000).map(|i| (format!("d{i}"), Value::String("1".into()))).collect();
        let mut packages = serde_json::Map::new();
        packages.insert(deep, serde_json::json!({"version": "1.0.0", "dependencies": deps}));
        packages.insert("node_modules/d1".into(), serde_json::json!({"version": "2.0.0"}));
        packages.insert("node_modules/y".into(), serde_json::json!({"version": "1.0.0", "dependencies": {"d1": "^2"}}));
        let t = std::time::Instant::now();
        let out = v2(&packages);
        assert!(t.elapsed() < std::time::Duration::from_secs(10), "{:?}", t.elapsed());
        let x = out.iter().find(|p| p.name == "x").unwrap();
        assert!(x.depends_on.is_empty());
        let y = out.iter().find(|p| p.name == "y").unwrap();
        assert_eq!(y.depends_on, vec![DepRef { name: "d1".into(), version: "2.0.0".into() }]);
    }
}
