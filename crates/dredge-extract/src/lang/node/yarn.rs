//! `yarn.lock`: Yarn 1 (its own indented format) and Yarn 2+ "berry" (YAML with `__metadata`).
//! The lockfile does not record which dependencies are dev-only (package.json does).

use super::split_at_version;
use crate::lang::{LOCKFILE_MAX, facts, utf8, yaml};
use dredge_layer::{ExtractError, Extractor, Pattern};
use dredge_model::{DepRef, Ecosystem, Fact, Package};
use serde_json::Value;
use std::collections::HashMap;

pub struct YarnLock;

fn unquote(s: &str) -> &str {
    s.trim().trim_matches('"')
}

/// Each dependency descriptor (`name@range`) resolved to the locked package it names: the
/// entries' keys list the descriptors they satisfy.
fn link(out: &mut [Package], by_descriptor: &HashMap<String, usize>, wants: &[Vec<String>]) {
    let found: Vec<Vec<DepRef>> = wants
        .iter()
        .map(|ds| {
            let mut deps: Vec<DepRef> = ds
                .iter()
                .filter_map(|d| by_descriptor.get(d))
                .map(|&j| DepRef { name: out[j].name.clone(), version: out[j].version.clone() })
                .collect();
            deps.sort();
            deps.dedup();
            deps
        })
        .collect();
    for (p, deps) in out.iter_mut().zip(found) {
        p.depends_on = deps;
    }
}

fn classic(text: &str) -> Vec<Package> {
    let mut out = Vec::new();
    let mut by_descriptor: HashMap<String, usize> = HashMap::new();
    let mut wants: Vec<Vec<String>> = Vec::new();
    let mut name: Option<String> = None;
    let mut descriptors: Vec<String> = Vec::new();
    // The entry being read (its index in `out`), and whether its dependency block is open.
    let mut current: Option<usize> = None;
    let mut in_deps = false;
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if !line.starts_with(' ') {
            // `"@babel/core@^7.0.0", "@babel/core@^7.1.0":` — the first descriptor names it; each
            // is a range that resolves to this entry.
            let keys: Vec<&str> = line.trim_end_matches(':').split(", ").collect();
            name = keys.first().and_then(|first| split_at_version(unquote(first))).map(|(n, _)| n.to_string());
            descriptors = keys.iter().map(|k| unquote(k).to_string()).collect();
            current = None;
            in_deps = false;
            continue;
        }
        if let (Some(n), Some(v)) = (&name, line.strip_prefix("  version ")) {
            out.push(Package::locked(Ecosystem::Npm, n.clone(), unquote(v)));
            wants.push(Vec::new());
            for d in descriptors.drain(..) {
                by_descriptor.insert(d, out.len() - 1);
            }
            current = Some(out.len() - 1);
            name = None;
            continue;
        }
        if let Some(k) = line.strip_prefix("  ").filter(|k| !k.starts_with(' ')) {
            in_deps = k.trim_end() == "dependencies:" || k.trim_end() == "optionalDependencies:";
            continue;
        }
        // `    name "range"` inside a dependency block.
        if let (true, Some(i), Some(dep)) = (in_deps, current, line.strip_prefix("    ")) {
            if let Some((n, range)) = dep.trim().split_once(' ') {
                wants[i].push(format!("{}@{}", unquote(n), unquote(range)));
            }
        }
    }
    link(&mut out, &by_descriptor, &wants);
    out
}

fn berry(doc: &Value) -> Vec<Package> {
    let mut out = Vec::new();
    let mut by_descriptor: HashMap<String, usize> = HashMap::new();
    let mut wants: Vec<Vec<String>> = Vec::new();
    for (key, e) in doc.as_object().into_iter().flatten() {
        if key == "__metadata" {
            continue;
        }
        let resolution = e["resolution"].as_str().unwrap_or(key);
        // Workspaces, links and portals are the project's own code.
        if ["@workspace:", "@link:", "@portal:", "@file:"].iter().any(|m| resolution.contains(m)) {
            continue;
        }
        let Some((name, _)) = split_at_version(resolution) else { continue };
        let version = match &e["version"] {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => continue,
        };
        out.push(Package::locked(Ecosystem::Npm, name, version));
        for d in key.split(", ") {
            by_descriptor.insert(d.trim().to_string(), out.len() - 1);
        }
        // `name: "npm:^1.2"` (a bare range is npm's).
        let mut ds = Vec::new();
        for kind in ["dependencies", "optionalDependencies"] {
            for (dn, range) in e[kind].as_object().into_iter().flatten() {
                let Some(range) = range.as_str() else { continue };
                let range = if range.contains(':') { range.to_string() } else { format!("npm:{range}") };
                ds.push(format!("{dn}@{range}"));
            }
        }
        wants.push(ds);
    }
    link(&mut out, &by_descriptor, &wants);
    out
}

impl Extractor for YarnLock {
    fn name(&self) -> &'static str {
        "lang/node/yarn-lock"
    }
    fn version(&self) -> u32 {
        3
    }
    fn patterns(&self) -> &'static [Pattern] {
        &[Pattern::Named("yarn.lock", "")]
    }
    fn max_file_size(&self) -> u64 {
        LOCKFILE_MAX
    }
    fn extract(&self, path: &str, data: &[u8]) -> Result<Vec<Fact>, ExtractError> {
        if super::inside_node_modules(path) {
            return Ok(Vec::new());
        }
        let text = utf8(data)?;
        if text.lines().any(|l| l.starts_with("__metadata:")) {
            let doc: Value = yaml(data)?;
            return Ok(facts(berry(&doc)));
        }
        if !text.lines().any(|l| l.starts_with("  version ")) && !text.trim().is_empty() && !text.starts_with('#') {
            return Err(ExtractError::new("not a yarn.lock: no entry has a version"));
        }
        Ok(facts(classic(text)))
    }
}
