//! `bun.lock` (Bun 1.2+, JSON with trailing commas). `packages` maps an install key (`lodash`,
//! or `parent/lodash` for a nested copy) to `["name@version", registry, {dependencies}, hash]`;
//! workspaces name the roots. The binary `bun.lockb` is not read.

use super::split_at_version;
use crate::lang::{LOCKFILE_MAX, facts, json, mark_graph};
use dredge_layer::{ExtractError, Extractor, Pattern};
use dredge_model::{Ecosystem, Fact, Package};
use serde_json::Value;
use std::collections::HashMap;

pub struct BunLock;

/// Drops the commas JSON does not allow (before `}` or `]`), outside strings.
fn strip_trailing_commas(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let (mut in_str, mut esc) = (false, false);
    for (i, c) in s.char_indices() {
        if in_str {
            if esc {
                esc = false;
            } else if c == '\\' {
                esc = true;
            } else if c == '"' {
                in_str = false;
            }
        } else if c == '"' {
            in_str = true;
        } else if c == ',' {
            let next = b[i + 1..].iter().find(|x| !x.is_ascii_whitespace());
            if matches!(next, Some(b'}') | Some(b']')) {
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// The key a dependency `name` of the package at `from` resolves to: the nested copy when there
/// is one (`from/name`), else the hoisted one.
fn resolve(keys: &HashMap<String, Package>, from: &str, name: &str) -> String {
    let nested = format!("{from}/{name}");
    if keys.contains_key(&nested) { nested } else { name.to_string() }
}

impl Extractor for BunLock {
    fn name(&self) -> &'static str {
        "lang/node/bun-lock"
    }
    fn version(&self) -> u32 {
        2
    }
    fn patterns(&self) -> &'static [Pattern] {
        &[Pattern::Named("bun.lock", "")]
    }
    fn max_file_size(&self) -> u64 {
        LOCKFILE_MAX
    }
    fn extract(&self, path: &str, data: &[u8]) -> Result<Vec<Fact>, ExtractError> {
        if super::inside_node_modules(path) {
            return Ok(Vec::new());
        }
        let text = crate::lang::utf8(data)?;
        let doc: Value = json(strip_trailing_commas(text).as_bytes())?;
        let mut by_key: HashMap<String, Package> = HashMap::new();
        let mut deps_of: HashMap<String, Vec<String>> = HashMap::new();
        for (key, e) in doc["packages"].as_object().into_iter().flatten() {
            let Some((name, version)) = e[0].as_str().and_then(split_at_version) else { continue };
            if ["workspace:", "link:", "file:"].iter().any(|m| version.starts_with(m)) {
                continue;
            }
            by_key.insert(key.clone(), Package::locked(Ecosystem::Npm, name, version));
            let names: Vec<String> = ["dependencies", "optionalDependencies"]
                .iter()
                .flat_map(|k| e[2][*k].as_object().into_iter().flat_map(|m| m.keys().cloned()))
                .collect();
            deps_of.insert(key.clone(), names);
        }
        let graph: HashMap<String, Vec<String>> =
            deps_of.iter().map(|(k, names)| (k.clone(), names.iter().map(|n| resolve(&by_key, k, n)).collect())).collect();
        let (mut prod, mut dev) = (Vec::new(), Vec::new());
        for ws in doc["workspaces"].as_object().into_iter().flat_map(|m| m.values()) {
            for kind in ["dependencies", "optionalDependencies", "devDependencies"] {
                let into = if kind == "devDependencies" { &mut dev } else { &mut prod };
                into.extend(ws[kind].as_object().into_iter().flat_map(|m| m.keys().cloned()));
            }
        }
        let mut keys: Vec<String> = by_key.keys().cloned().collect();
        keys.sort();
        let mut pkgs: Vec<Package> = keys.iter().filter_map(|k| by_key.get(k).cloned()).collect();
        mark_graph(&mut pkgs, &keys, &graph, &prod, &dev);
        Ok(facts(pkgs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_commas() {
        assert_eq!(strip_trailing_commas(r#"{"a": [1, 2, ], "b": "x,}", }"#), r#"{"a": [1, 2 ], "b": "x,}" }"#);
    }
}
