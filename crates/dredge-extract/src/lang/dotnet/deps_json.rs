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
        1
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
        Ok(facts(libs.iter().filter(|(_, l)| l["type"] == "package").filter_map(|(k, _)| {
            let (n, ver) = k.split_once('/')?;
            Some(Package::new(Ecosystem::NuGet, n, ver))
        })))
    }
}
