//! `yarn.lock`: Yarn 1 (its own indented format) and Yarn 2+ "berry" (YAML with `__metadata`).
//! The lockfile does not record which dependencies are dev-only (package.json does).

use super::split_at_version;
use crate::lang::{LOCKFILE_MAX, facts, utf8, yaml};
use dredge_layer::{ExtractError, Extractor, Pattern};
use dredge_model::{Ecosystem, Fact, Package};
use serde_json::Value;

pub struct YarnLock;

fn unquote(s: &str) -> &str {
    s.trim().trim_matches('"')
}

fn classic(text: &str) -> Vec<Package> {
    let mut out = Vec::new();
    let mut name: Option<String> = None;
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if !line.starts_with(' ') {
            // `"@babel/core@^7.0.0", "@babel/core@^7.1.0":` — the first descriptor names it.
            let first = line.trim_end_matches(':').split(", ").next().unwrap_or("");
            name = split_at_version(unquote(first)).map(|(n, _)| n.to_string());
            continue;
        }
        if let (Some(n), Some(v)) = (&name, line.strip_prefix("  version ")) {
            out.push(Package::locked(Ecosystem::Npm, n.clone(), unquote(v)));
            name = None;
        }
    }
    out
}

fn berry(doc: &Value) -> Vec<Package> {
    let mut out = Vec::new();
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
    }
    out
}

impl Extractor for YarnLock {
    fn name(&self) -> &'static str {
        "lang/node/yarn-lock"
    }
    fn version(&self) -> u32 {
        2
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
