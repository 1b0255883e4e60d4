//! `*.deps.json`: written next to every built .NET application; its `libraries` are what the app
//! loads (`"Newtonsoft.Json/13.0.1": {"type": "package"}`). Projects (`type: project`) are the
//! application itself.

use crate::lang::{facts, json};
use dredge_layer::{ExtractError, Extractor, Pattern};
use dredge_model::{Ecosystem, Fact, Package};
use serde_json::Value;

pub struct DepsJson;

impl Extractor for DepsJson {
    fn name(&self) -> &'static str {
        "lang/dotnet/deps-json"
    }
    fn version(&self) -> u32 {
        2
    }
    fn patterns(&self) -> &'static [Pattern] {
        &[Pattern::Ext(".deps.json")]
    }
    fn max_file_size(&self) -> u64 {
        32 << 20
    }
    fn extract(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, ExtractError> {
        let v: Value = json(data)?;
        let Some(libs) = v["libraries"].as_object() else {
            return Err(ExtractError::new("not a .deps.json: no libraries"));
        };
        // `targets.<framework>.<Name/Version>.dependencies` names exact versions: the edges to
        // other packages of the file (project references are not packages and give none).
        let packages: std::collections::HashSet<&str> =
            libs.iter().filter(|(_, l)| l["type"] == "package").map(|(k, _)| k.as_str()).collect();
        let mut edges: std::collections::HashMap<&str, Vec<dredge_model::DepRef>> = std::collections::HashMap::new();
        for target in v["targets"].as_object().into_iter().flatten().filter_map(|(_, t)| t.as_object()) {
            for (k, t) in target {
                for (dn, dv) in t["dependencies"].as_object().into_iter().flatten() {
                    let Some(dv) = dv.as_str() else { continue };
                    if packages.contains(format!("{dn}/{dv}").as_str()) {
                        edges.entry(k.as_str()).or_default().push(dredge_model::DepRef { name: dn.clone(), version: dv.to_string() });
                    }
                }
            }
        }
        Ok(facts(libs.iter().filter(|(_, l)| l["type"] == "package").filter_map(|(k, _)| {
            let (n, ver) = k.split_once('/')?;
            let mut p = Package::new(Ecosystem::NuGet, n, ver);
            let mut deps = edges.remove(k.as_str()).unwrap_or_default();
            deps.sort();
            deps.dedup();
            p.depends_on = deps;
            Some(p)
        })))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A package's edges are the exact versions its target entry names, to packages of the file.
    #[test]
    fn the_recorded_graph() {
        let deps = r#"{"targets": {".NETCoreApp,Version=v8.0": {
                "app/1.0.0": {"dependencies": {"Serilog": "3.1.1"}},
                "Serilog/3.1.1": {"dependencies": {"System.Memory": "4.5.5", "Missing": "1.0.0"}},
                "System.Memory/4.5.5": {}}},
            "libraries": {"app/1.0.0": {"type": "project"}, "Serilog/3.1.1": {"type": "package"}, "System.Memory/4.5.5": {"type": "package"}}}"#;
        let facts = DepsJson.extract("/app/app.deps.json", deps.as_bytes()).unwrap();
        let edges = crate::lang::edges_of(&facts);
        assert_eq!(edges, vec![("Serilog".to_string(), vec!["System.Memory@4.5.5".to_string()]), ("System.Memory".to_string(), vec![])]);
    }
}
