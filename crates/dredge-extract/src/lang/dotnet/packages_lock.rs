//! NuGet `packages.lock.json`: per target framework, each package `Direct`, `Transitive` or
//! `CentralTransitive` with its `resolved` version (`Project` entries are the solution's own), and
//! the packages it depends on.

use crate::lang::{LOCKFILE_MAX, facts, json};
use dredge_layer::{ExtractError, Extractor, Pattern};
use dredge_model::{DepRef, Ecosystem, Fact, Package};
use serde_json::Value;

pub struct PackagesLock;

impl Extractor for PackagesLock {
    fn name(&self) -> &'static str {
        "lang/dotnet/packages-lock"
    }
    fn version(&self) -> u32 {
        2
    }
    fn patterns(&self) -> &'static [Pattern] {
        &[Pattern::Named("packages.lock.json", "")]
    }
    fn max_file_size(&self) -> u64 {
        LOCKFILE_MAX
    }
    fn extract(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, ExtractError> {
        let v: Value = json(data)?;
        let Some(frameworks) = v["dependencies"].as_object() else {
            return Err(ExtractError::new("not a NuGet lock file: no dependencies"));
        };
        let mut out: Vec<Package> = Vec::new();
        for deps in frameworks.values().filter_map(Value::as_object) {
            // Within one target framework a dependency names a package of it (NuGet ids are
            // case-insensitive): the edges of the graph.
            let resolved: std::collections::HashMap<String, &str> = deps
                .iter()
                .filter(|(_, d)| d["type"].as_str() != Some("Project"))
                .filter_map(|(n, d)| Some((n.to_ascii_lowercase(), d["resolved"].as_str()?)))
                .collect();
            let names: std::collections::HashMap<String, &String> = deps.keys().map(|n| (n.to_ascii_lowercase(), n)).collect();
            for (name, d) in deps {
                let kind = d["type"].as_str().unwrap_or("");
                let Some(ver) = d["resolved"].as_str() else { continue };
                if kind == "Project" {
                    continue;
                }
                let edges: Vec<DepRef> = d["dependencies"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter_map(|(dn, _)| {
                        let key = dn.to_ascii_lowercase();
                        Some(DepRef { name: names.get(&key)?.to_string(), version: resolved.get(&key)?.to_string() })
                    })
                    .collect();
                // The same package under several frameworks is one package with every edge.
                if let Some(p) = out.iter_mut().find(|p| p.name == *name && p.version == ver) {
                    p.depends_on.extend(edges);
                    p.depends_on.sort();
                    p.depends_on.dedup();
                    continue;
                }
                let mut p = Package::locked(Ecosystem::NuGet, name.as_str(), ver);
                p.direct = Some(kind == "Direct");
                p.depends_on = edges;
                p.depends_on.sort();
                p.depends_on.dedup();
                out.push(p);
            }
        }
        Ok(facts(out))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Edges by name within a target framework, case-insensitively; a project reference gives
    /// none; one package under two frameworks has the edges of both.
    #[test]
    fn the_graph_per_framework() {
        let lock = r#"{"version": 1, "dependencies": {
            "net6.0": {
                "Serilog.Sinks.File": {"type": "Direct", "resolved": "5.0.0", "dependencies": {"serilog": "2.10.0"}},
                "Serilog": {"type": "Transitive", "resolved": "2.10.0"},
                "lib": {"type": "Project", "dependencies": {"Serilog": "[2.10.0, )"}}
            },
            "net8.0": {
                "Serilog.Sinks.File": {"type": "Direct", "resolved": "5.0.0", "dependencies": {"Serilog": "2.10.0", "System.Memory": "4.5.5"}},
                "Serilog": {"type": "Transitive", "resolved": "2.10.0"},
                "System.Memory": {"type": "Transitive", "resolved": "4.5.5"}
            }}}"#;
        let facts = PackagesLock.extract("/src/packages.lock.json", lock.as_bytes()).unwrap();
        let edges = crate::lang::edges_of(&facts);
        assert_eq!(
            edges,
            vec![
                ("Serilog".to_string(), vec![]),
                ("Serilog.Sinks.File".to_string(), vec!["Serilog@2.10.0".to_string(), "System.Memory@4.5.5".to_string()]),
                ("System.Memory".to_string(), vec![])
            ]
        );
    }
}
