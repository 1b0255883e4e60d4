//! Bitnami's images record each component they ship in an SPDX document (JSON, despite the
//! name) at `/opt/bitnami/<component>/.spdx-<component>.spdx`: the component and what it bundles
//! (PostgreSQL with GEOS, Proj, GDAL), each with a `pkg:bitnami/<name>@<version>` purl. Bitnami's
//! advisories (OSV ecosystem `Bitnami`) are keyed by those names.

use crate::lang::{LOCKFILE_MAX, facts, json};
use dredge_layer::{ExtractError, Extractor, Pattern};
use dredge_model::{Ecosystem, Fact, Package};
use serde_json::Value;

pub struct BitnamiSpdx;

impl Extractor for BitnamiSpdx {
    fn name(&self) -> &'static str {
        "lang/bitnami/spdx"
    }
    fn version(&self) -> u32 {
        1
    }
    fn patterns(&self) -> &'static [Pattern] {
        &[Pattern::Prefixed(".spdx-", ".spdx")]
    }
    fn max_file_size(&self) -> u64 {
        LOCKFILE_MAX
    }
    fn extract(&self, path: &str, data: &[u8]) -> Result<Vec<Fact>, ExtractError> {
        // Only Bitnami's own place: an `.spdx-*.spdx` elsewhere is someone else's document.
        if !path.starts_with("opt/bitnami/") {
            return Ok(Vec::new());
        }
        let doc: Value = json(data)?;
        let Some(pkgs) = doc["packages"].as_array() else {
            return Err(ExtractError::new("not an SPDX JSON document: no packages"));
        };
        Ok(facts(pkgs.iter().filter_map(|p| {
            let purl = p["externalRefs"].as_array()?.iter().find_map(|r| {
                (r["referenceType"] == "purl").then(|| r["referenceLocator"].as_str()).flatten()?.strip_prefix("pkg:bitnami/")
            })?;
            let purl = purl.split(['?', '#']).next().unwrap_or(purl);
            let (name, version) = match purl.split_once('@') {
                Some((n, v)) => (n, v.to_string()),
                None => (purl, p["versionInfo"].as_str()?.to_string()),
            };
            if name.is_empty() || version.is_empty() {
                return None;
            }
            let mut pkg = Package::new(Ecosystem::Bitnami, name, version);
            pkg.license =
                p["licenseConcluded"].as_str().or(p["licenseDeclared"].as_str()).filter(|l| *l != "NOASSERTION").map(str::to_string);
            Some(pkg)
        })))
    }
}
