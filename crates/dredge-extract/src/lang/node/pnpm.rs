//! `pnpm-lock.yaml`, lockfile versions 5, 6 and 9. Versions 5/6 mark dev-only packages with
//! `dev: true`; version 9 does not, so dev-only is worked out from the importers' `devDependencies`
//! through the `snapshots` graph.

use super::split_at_version;
use crate::lang::{LOCKFILE_MAX, facts, mark_graph, yaml};
use dredge_layer::{ExtractError, Extractor, Pattern};
use dredge_model::{Ecosystem, Fact, Package};
use serde_json::Value;
use std::collections::HashMap;

pub struct PnpmLock;

/// Strips peer-dependency suffixes: `1.2.3(react@18.0.0)` (v6+) and `1.2.3_react@18.0.0` (v5).
fn bare_version(v: &str) -> &str {
    let v = v.split('(').next().unwrap_or(v);
    v.split('_').next().unwrap_or(v)
}

/// A `packages` key → (name, version): `/name/1.2.3` (v5), `/name@1.2.3` (v6), `name@1.2.3` (v9).
fn parse_key(key: &str, v5: bool) -> Option<(String, String)> {
    let k = key.strip_prefix('/').unwrap_or(key);
    let k = k.split('(').next().unwrap_or(k);
    if v5 {
        let (n, v) = k.rsplit_once('/')?;
        return Some((n.to_string(), bare_version(v).to_string()));
    }
    let (n, v) = split_at_version(k)?;
    Some((n.to_string(), v.to_string()))
}

fn lock_version(doc: &Value) -> f64 {
    match &doc["lockfileVersion"] {
        Value::String(s) => s.parse().unwrap_or(0.0),
        Value::Number(n) => n.as_f64().unwrap_or(0.0),
        _ => 0.0,
    }
}

/// The root dependency maps: `importers` (workspaces, v6+) or the top level (single project).
fn roots(doc: &Value) -> Vec<&Value> {
    match doc["importers"].as_object() {
        Some(m) => m.values().collect(),
        None => vec![doc],
    }
}

/// `name@version` → the `name@version`s it depends on, from entries keyed like `packages`.
fn graph_of(entries: &Value, v5: bool) -> HashMap<String, Vec<String>> {
    let mut graph: HashMap<String, Vec<String>> = HashMap::new();
    for (k, e) in entries.as_object().into_iter().flatten() {
        let Some((n, v)) = parse_key(k, v5) else { continue };
        let next = graph.entry(format!("{n}@{}", bare_version(&v))).or_default();
        for kind in ["dependencies", "optionalDependencies"] {
            for (dn, dv) in e[kind].as_object().into_iter().flatten() {
                if let Some(dv) = dep_version(dv) {
                    next.push(format!("{dn}@{}", bare_version(dv)));
                }
            }
        }
    }
    graph
}

fn dep_version(v: &Value) -> Option<&str> {
    v.as_str().or_else(|| v["version"].as_str())
}

impl Extractor for PnpmLock {
    fn name(&self) -> &'static str {
        "lang/node/pnpm-lock"
    }
    fn version(&self) -> u32 {
        3
    }
    fn patterns(&self) -> &'static [Pattern] {
        &[Pattern::Named("pnpm-lock.yaml", "")]
    }
    fn max_file_size(&self) -> u64 {
        LOCKFILE_MAX
    }
    fn extract(&self, path: &str, data: &[u8]) -> Result<Vec<Fact>, ExtractError> {
        if super::inside_node_modules(path) {
            return Ok(Vec::new());
        }
        let doc: Value = yaml(data)?;
        if !doc.is_object() {
            return Err(ExtractError::new("not a pnpm lockfile: the document is not a mapping"));
        }
        let ver = lock_version(&doc);
        let v5 = ver < 6.0;
        let mut pkgs = Vec::new();
        for (key, e) in doc["packages"].as_object().into_iter().flatten() {
            let Some((mut name, mut version)) = parse_key(key, v5) else { continue };
            if let (Some(n), Some(v)) = (e["name"].as_str(), e["version"].as_str()) {
                (name, version) = (n.to_string(), v.to_string());
            }
            let mut p = Package::locked(Ecosystem::Npm, name, version);
            p.dev = e["dev"].as_bool() == Some(true);
            pkgs.push(p);
        }
        // Direct dependencies, and (v9) dev-only packages from the graph.
        let (mut prod, mut dev) = (Vec::new(), Vec::new());
        for r in roots(&doc) {
            for kind in ["dependencies", "optionalDependencies", "devDependencies"] {
                let into = if kind == "devDependencies" { &mut dev } else { &mut prod };
                for (n, v) in r[kind].as_object().into_iter().flatten() {
                    if let Some(v) = dep_version(v).filter(|v| !v.starts_with("link:")) {
                        into.push(format!("{n}@{}", bare_version(v)));
                    }
                }
            }
        }
        let key = |p: &Package| format!("{}@{}", p.name, p.version);
        let keys: Vec<String> = pkgs.iter().map(key).collect();
        // The graph: v9 keeps it in `snapshots`; before, each package entry lists its own
        // dependencies (`name: version`).
        let graph = if ver >= 9.0 { graph_of(&doc["snapshots"], false) } else { graph_of(&doc["packages"], v5) };
        crate::lang::link_graph(&mut pkgs, &keys, &graph);
        if ver >= 9.0 {
            mark_graph(&mut pkgs, &keys, &graph, &prod, &dev);
        } else {
            for p in &mut pkgs {
                let k = key(p);
                p.direct = Some(prod.contains(&k) || dev.contains(&k));
            }
        }
        Ok(facts(pkgs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_each_version() {
        assert_eq!(parse_key("/@babel/core/7.1.0_peer@1", true), Some(("@babel/core".into(), "7.1.0".into())));
        assert_eq!(parse_key("/@babel/core@7.1.0(react@18.0.0)", false), Some(("@babel/core".into(), "7.1.0".into())));
        assert_eq!(parse_key("lodash@4.17.21", false), Some(("lodash".into(), "4.17.21".into())));
        assert_eq!(parse_key("nonsense", false), None);
    }
}
