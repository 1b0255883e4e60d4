//! Language packages: installed metadata, lockfiles and binaries' build info, one file per format
//! (grouped by ecosystem). Shared helpers for the parsers live here.

pub mod dotnet;
pub mod golang;
pub mod java;
pub mod node;
pub mod other;
pub mod php;
pub mod python;
pub mod ruby;
pub mod rust;

use dredge_layer::ExtractError;
use dredge_model::{Fact, Package};
use serde::de::DeserializeOwned;
use std::collections::{HashMap, HashSet};

/// Lockfiles and manifests are read up to this size (a huge lockfile is a warning, not memory).
pub(crate) const LOCKFILE_MAX: u64 = 64 << 20;

pub(crate) fn utf8(data: &[u8]) -> Result<&str, ExtractError> {
    let s = std::str::from_utf8(data).map_err(|e| ExtractError::new(format!("not UTF-8: {e}")))?;
    Ok(s.strip_prefix('\u{feff}').unwrap_or(s))
}

pub(crate) fn json<T: DeserializeOwned>(data: &[u8]) -> Result<T, ExtractError> {
    serde_json::from_slice(data.strip_prefix(b"\xef\xbb\xbf").unwrap_or(data)).map_err(|e| ExtractError::new(format!("invalid JSON: {e}")))
}

pub(crate) fn toml<T: DeserializeOwned>(data: &[u8]) -> Result<T, ExtractError> {
    toml::from_str(utf8(data)?).map_err(|e| ExtractError::new(format!("invalid TOML: {}", e.message())))
}

pub(crate) fn yaml<T: DeserializeOwned>(data: &[u8]) -> Result<T, ExtractError> {
    serde_saphyr::from_str(utf8(data)?).map_err(|e| ExtractError::new(format!("invalid YAML: {e}")))
}

pub(crate) fn facts(pkgs: impl IntoIterator<Item = Package>) -> Vec<Fact> {
    pkgs.into_iter().filter(|p| !p.name.is_empty() && !p.version.is_empty()).map(|p| Fact::Package(Box::new(p))).collect()
}

/// Everything reachable from `roots` in a dependency graph (keys are whatever identifies a node
/// in the lockfile). Iterative, so a deep or cyclic graph cannot overflow the stack.
pub(crate) fn reachable<'a>(graph: &'a HashMap<String, Vec<String>>, roots: impl IntoIterator<Item = &'a String>) -> HashSet<&'a str> {
    let mut seen: HashSet<&str> = HashSet::new();
    let mut stack: Vec<&str> = roots.into_iter().map(String::as_str).collect();
    while let Some(n) = stack.pop() {
        if !seen.insert(n) {
            continue;
        }
        if let Some(next) = graph.get(n) {
            stack.extend(next.iter().map(String::as_str).filter(|x| !seen.contains(x)));
        }
    }
    seen
}

/// Sets each package's dependency edges from a lockfile's graph: `keys[i]` is package `i`'s node
/// id in `graph`, whose edges name other nodes; an edge to a node that is no package here (the
/// project itself, a platform-only entry) is dropped.
pub(crate) fn link_graph(pkgs: &mut [Package], keys: &[String], graph: &HashMap<String, Vec<String>>) {
    let at: HashMap<&str, (String, String)> =
        keys.iter().zip(pkgs.iter()).map(|(k, p)| (k.as_str(), (p.name.clone(), p.version.clone()))).collect();
    for (p, k) in pkgs.iter_mut().zip(keys) {
        let mut deps: Vec<dredge_model::DepRef> = graph
            .get(k)
            .into_iter()
            .flatten()
            .filter(|d| *d != k)
            .filter_map(|d| at.get(d.as_str()))
            .map(|(name, version)| dredge_model::DepRef { name: name.clone(), version: version.clone() })
            .collect();
        deps.sort();
        deps.dedup();
        p.depends_on = deps;
    }
}

/// Each package fact's name and edges (`name@version`), for tests of the graph an extractor reads.
#[cfg(test)]
pub(crate) fn edges_of(facts: &[Fact]) -> Vec<(String, Vec<String>)> {
    facts
        .iter()
        .filter_map(|f| match f {
            Fact::Package(p) => Some((p.name.clone(), p.depends_on.iter().map(|d| format!("{}@{}", d.name, d.version)).collect())),
            _ => None,
        })
        .collect()
}

/// Marks packages from a graph: `dev` when reachable only from the development roots, `direct`
/// when a root lists it. `keys[i]` is package `i`'s node id in `graph`.
pub(crate) fn mark_graph(
    pkgs: &mut [Package],
    keys: &[String],
    graph: &HashMap<String, Vec<String>>,
    prod_roots: &[String],
    dev_roots: &[String],
) {
    let prod = reachable(graph, prod_roots);
    let dev = reachable(graph, dev_roots);
    for (p, k) in pkgs.iter_mut().zip(keys) {
        p.dev = dev.contains(k.as_str()) && !prod.contains(k.as_str());
        p.direct = Some(prod_roots.contains(k) || dev_roots.contains(k));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dredge_model::Ecosystem;

    #[test]
    fn graph_marks_dev_and_direct_and_survives_cycles() {
        let g: HashMap<String, Vec<String>> = [("a", vec!["b"]), ("b", vec!["a", "c"]), ("t", vec!["d", "c"])]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.into_iter().map(str::to_string).collect()))
            .collect();
        let mut p: Vec<Package> = ["a", "b", "c", "d", "t"].iter().map(|n| Package::new(Ecosystem::Npm, *n, "1")).collect();
        let keys: Vec<String> = p.iter().map(|p| p.name.clone()).collect();
        mark_graph(&mut p, &keys, &g, &["a".into()], &["t".into()]);
        let dev: Vec<&str> = p.iter().filter(|p| p.dev).map(|p| p.name.as_str()).collect();
        let direct: Vec<&str> = p.iter().filter(|p| p.direct == Some(true)).map(|p| p.name.as_str()).collect();
        assert_eq!(dev, ["d", "t"]);
        assert_eq!(direct, ["a", "t"]);
    }
}
