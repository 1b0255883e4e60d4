//! One report model and its renderings: dredge JSON, CycloneDX 1.6, SPDX 2.3, and a table.

use dredge_model::{Inventory, OsInfo, Package, Warning};
use serde::Serialize;

mod cyclonedx;
mod sarif;
mod sbom_in;
mod spdx_json;
mod table;

pub use cyclonedx::{to_cyclonedx, write_cyclonedx};
pub use sarif::to_sarif;
pub use sbom_in::{inventory_from_sbom, package_from_purl};
pub use spdx_json::to_spdx;
pub use table::{to_table, to_table_width};

/// Version of the dredge JSON schema (`docs/json-schema.md`). Bumped on incompatible changes.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct LayerInfo {
    pub index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    pub diff_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Target {
    /// What the user named (`alpine:3.20`, `./image.tar`, `/srv/rootfs`).
    pub name: String,
    /// `image` or `rootfs`.
    pub kind: &'static str,
    /// `docker-archive`, `oci-dir`, `oci-archive`, `registry`, `docker-daemon`, `directory`.
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest_digest: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub repo_digests: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<LayerInfo>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScanReport {
    pub schema: &'static str,
    pub schema_version: u32,
    pub tool: Tool,
    /// RFC 3339, UTC (`SOURCE_DATE_EPOCH` is honoured for reproducible output).
    pub created: String,
    pub target: Target,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os: Option<OsInfo>,
    pub packages: Vec<Package>,
    /// Present when the scan matched advisories (even if it found none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vulnerabilities: Option<Vec<dredge_model::Finding>>,
    /// Present when secrets were scanned for (even if none was found).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secrets: Option<Vec<SecretFinding>>,
    /// The advisory database the findings came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<DatabaseInfo>,
    /// Statements about coverage (no advisories for this OS, ignored findings ...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
}

/// A secret found in the image: in a file of a layer, the image config or the build history.
/// The value is redacted (a few leading characters); it is stored nowhere in full.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecretFinding {
    pub rule: String,
    pub title: String,
    pub severity: String,
    /// `file`, `config` or `history`.
    pub source: &'static str,
    /// The file (`/app/.env`) or the config field (`config.Env[2]`, `history[4]`).
    pub path: String,
    /// 1-based line in the file (1 for config strings).
    pub line: u32,
    /// The layer that added the file (or that the history step created).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<dredge_model::LayerRef>,
    /// The later layer that deleted or replaced the file: the secret is still in the image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed_in: Option<dredge_model::LayerRef>,
    /// The variable name, for `NAME=value` findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The redacted value.
    #[serde(rename = "match")]
    pub redacted: String,
}

/// Severity order for sorting and filtering.
pub fn severity_rank(s: &str) -> u8 {
    match s {
        "CRITICAL" => 4,
        "HIGH" => 3,
        "MEDIUM" => 2,
        "LOW" => 1,
        _ => 0,
    }
}

/// Which database a report used: a report says what it was computed from.
#[derive(Debug, Clone, Serialize)]
pub struct DatabaseInfo {
    pub path: String,
    pub built_at: String,
    pub schema_version: u32,
    pub sources: Vec<String>,
    /// Advisories the database holds.
    pub advisories: usize,
    /// Packages looked up in it (their ecosystem has advisories there).
    pub packages_checked: usize,
    /// Kinds of packages the database has no advisories for: listed, not checked.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unchecked: Vec<String>,
}

impl ScanReport {
    pub fn new(target: Target, inv: Inventory, created: String) -> Self {
        ScanReport {
            schema: "https://dredge.dev/schemas/inventory",
            schema_version: SCHEMA_VERSION,
            tool: Tool { name: "dredge", version: env!("CARGO_PKG_VERSION") },
            created,
            target,
            os: inv.os,
            packages: inv.packages,
            vulnerabilities: None,
            secrets: None,
            database: None,
            notes: Vec::new(),
            warnings: inv.warnings,
        }
    }
}

pub fn to_json(r: &ScanReport) -> String {
    serde_json::to_string_pretty(r).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

/// The current time as RFC 3339 (or `SOURCE_DATE_EPOCH`).
pub fn now_rfc3339() -> String {
    let t = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
        .unwrap_or_else(time::OffsetDateTime::now_utc);
    t.replace_nanosecond(0)
        .unwrap_or(t)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}

/// A stable UUID-shaped id derived from content (so the same scan gives the same ids).
pub(crate) fn stable_uuid(seed: &str) -> String {
    use sha2::Digest;
    let h = hex::encode(sha2::Sha256::digest(seed.as_bytes()));
    format!("{}-{}-5{}-a{}-{}", &h[0..8], &h[8..12], &h[13..16], &h[17..20], &h[20..32])
}

/// A license string as a valid SPDX expression, or `None` when it is not one (`GPL2`, `custom`).
pub(crate) fn spdx_expression(s: &str) -> Option<String> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if spdx::Expression::parse(s).is_ok() {
        return Some(s.to_string());
    }
    // apk writes several licenses separated by spaces (`MPL-2.0 GPL-2.0-or-later`): all apply.
    let words: Vec<&str> = s.split_whitespace().collect();
    if words.len() > 1 && !words.iter().any(|w| ["AND", "OR", "WITH", "and", "or"].contains(w)) {
        let joined = words.join(" AND ");
        if spdx::Expression::parse(&joined).is_ok() {
            return Some(joined);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_shape_is_stable() {
        let u = stable_uuid("x");
        assert_eq!(u, stable_uuid("x"));
        assert_eq!(u.len(), 36);
        assert_eq!(u.as_bytes()[14], b'5');
    }

    #[test]
    fn license_expressions() {
        assert_eq!(spdx_expression("MIT AND BSD-2-Clause").as_deref(), Some("MIT AND BSD-2-Clause"));
        assert_eq!(spdx_expression("GPL-2.0-only"), Some("GPL-2.0-only".into()));
        assert_eq!(spdx_expression("GPL2 or custom"), None);
        assert_eq!(spdx_expression("MPL-2.0 GPL-2.0-or-later").as_deref(), Some("MPL-2.0 AND GPL-2.0-or-later"));
    }
}
