//! `Gemfile.lock`: the `specs:` of the GEM (and GIT/PATH) sections, four-space indented
//! `name (version[-platform])`; `DEPENDENCIES` names the direct ones. Bundler's lockfile does
//! not record groups, so development gems cannot be told apart.

use crate::lang::{LOCKFILE_MAX, facts, utf8};
use dredge_layer::{ExtractError, Extractor, Pattern};
use dredge_model::{Ecosystem, Fact, Package};
use std::collections::HashSet;

pub struct GemfileLock;

const PLATFORMS: [&str; 8] = ["-x86_64", "-aarch64", "-arm64", "-x86", "-java", "-universal", "-arm", "-mingw"];

impl Extractor for GemfileLock {
    fn name(&self) -> &'static str {
        "lang/ruby/gemfile-lock"
    }
    fn version(&self) -> u32 {
        2
    }
    fn patterns(&self) -> &'static [Pattern] {
        &[Pattern::Named("Gemfile.lock", ""), Pattern::Named("gems.locked", "")]
    }
    fn max_file_size(&self) -> u64 {
        LOCKFILE_MAX
    }
    fn extract(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, ExtractError> {
        let text = utf8(data)?;
        let (mut section, mut out, mut direct) = ("", Vec::new(), HashSet::new());
        // Each spec's dependencies (the lines indented under it), by name.
        let mut graph: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
        let mut current: Option<String> = None;
        for line in text.lines() {
            if !line.starts_with(' ') && !line.trim().is_empty() {
                section = line.trim();
                current = None;
                continue;
            }
            if section == "DEPENDENCIES" {
                if let Some(n) = line.trim().split([' ', '!']).next().filter(|n| !n.is_empty()) {
                    direct.insert(n.to_string());
                }
            } else if matches!(section, "GEM" | "GIT" | "PATH" | "PLUGIN SOURCE") {
                if let (Some(dep), Some(of)) = (line.strip_prefix("      ").filter(|s| !s.starts_with(' ')), &current) {
                    if let Some(n) = dep.split([' ', '!']).next().filter(|n| !n.is_empty()) {
                        graph.entry(of.clone()).or_default().push(n.to_string());
                    }
                    continue;
                }
                let Some(spec) = line.strip_prefix("    ").filter(|s| !s.starts_with(' ')) else { continue };
                let Some((name, rest)) = spec.split_once(" (") else { continue };
                let mut version = rest.trim_end_matches(')');
                if let Some(i) = PLATFORMS.iter().filter_map(|p| version.find(p)).min() {
                    version = &version[..i];
                }
                current = Some(name.to_string());
                out.push(Package::locked(Ecosystem::Gem, name, version));
            }
        }
        if out.is_empty() && !text.contains("GEM") && !text.trim().is_empty() {
            return Err(ExtractError::new("not a Gemfile.lock: no GEM section"));
        }
        for p in &mut out {
            p.direct = Some(direct.contains(&p.name));
        }
        let keys: Vec<String> = out.iter().map(|p| p.name.clone()).collect();
        crate::lang::link_graph(&mut out, &keys, &graph);
        Ok(facts(out))
    }
}
