//! Elixir `mix.lock`: an Elixir map, one line per dependency:
//! `"plug": {:hex, :plug, "1.14.0", "sha", [:mix], [...], "hexpm", "sha"},`. Git dependencies
//! (`{:git, ...}`) have no published version.

use crate::lang::{LOCKFILE_MAX, facts, utf8};
use dredge_layer::{ExtractError, Extractor, Pattern};
use dredge_model::{Ecosystem, Fact, Package};

pub struct MixLock;

impl Extractor for MixLock {
    fn name(&self) -> &'static str {
        "lang/elixir/mix-lock"
    }
    fn version(&self) -> u32 {
        1
    }
    fn patterns(&self) -> &'static [Pattern] {
        &[Pattern::Named("mix.lock", "")]
    }
    fn max_file_size(&self) -> u64 {
        LOCKFILE_MAX
    }
    fn extract(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, ExtractError> {
        let text = utf8(data)?;
        if !text.trim_start().starts_with("%{") {
            return Err(ExtractError::new("not a mix.lock: it does not start with %{"));
        }
        Ok(facts(text.lines().filter_map(|l| {
            let (_, tuple) = l.split_once(": {:hex, :")?;
            let mut parts = tuple.splitn(3, ", ");
            let name = parts.next()?.trim();
            let version = parts.next()?.trim().trim_matches('"');
            Some(Package::locked(Ecosystem::Hex, name, version))
        })))
    }
}
