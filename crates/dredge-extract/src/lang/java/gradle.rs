//! `gradle.lockfile` (and per-configuration `*.lockfile` under `gradle/dependency-locks`):
//! `group:artifact:version=configuration,...`. A package only test configurations need is dev.

use crate::lang::{LOCKFILE_MAX, facts, utf8};
use dredge_layer::{ExtractError, Extractor, Pattern};
use dredge_model::{Ecosystem, Fact, Package};

pub struct GradleLockfile;

impl Extractor for GradleLockfile {
    fn name(&self) -> &'static str {
        "lang/java/gradle-lockfile"
    }
    fn version(&self) -> u32 {
        1
    }
    fn patterns(&self) -> &'static [Pattern] {
        &[Pattern::Named("gradle.lockfile", ""), Pattern::InDir("dependency-locks", ".lockfile")]
    }
    fn max_file_size(&self) -> u64 {
        LOCKFILE_MAX
    }
    fn extract(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, ExtractError> {
        let mut out = Vec::new();
        for line in utf8(data)?.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
            let (coord, configs) = line.split_once('=').unwrap_or((line, ""));
            let parts: Vec<&str> = coord.split(':').collect();
            let [g, a, v] = parts.as_slice() else { continue };
            let mut p = Package::locked(Ecosystem::Maven, format!("{g}:{a}"), *v);
            let configs: Vec<&str> = configs.split(',').filter(|c| !c.is_empty()).collect();
            p.dev = !configs.is_empty() && configs.iter().all(|c| c.to_ascii_lowercase().starts_with("test"));
            out.push(p);
        }
        Ok(facts(out))
    }
}
