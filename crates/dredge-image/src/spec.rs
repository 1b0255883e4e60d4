//! The JSON documents of images: OCI and Docker schema 2 manifests and indexes, the image config,
//! and docker-archive's `manifest.json`. Our own small structs, lenient on unknown fields, because
//! we read both the OCI and the Docker media types and must reject schema 1 with a clear message.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_SCHEMA1: &str = "application/vnd.docker.distribution.manifest.v1+json";
pub const DOCKER_SCHEMA1_SIGNED: &str = "application/vnd.docker.distribution.manifest.v1+prettyjws";

/// Largest manifest, index or config we read (registries cap manifests at 4 MiB).
pub const MAX_JSON: u64 = 8 << 20;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

impl Platform {
    /// Parses `os/arch[/variant]`.
    pub fn parse(s: &str) -> Option<Platform> {
        let mut it = s.split('/');
        let os = it.next().filter(|s| !s.is_empty())?.to_string();
        let architecture = normalise_arch(it.next().filter(|s| !s.is_empty())?);
        let variant = it.next().map(str::to_string);
        if it.next().is_some() {
            return None;
        }
        Some(Platform { os, architecture, variant })
    }

    /// linux and this machine's architecture.
    pub fn host() -> Platform {
        Platform { os: "linux".into(), architecture: normalise_arch(std::env::consts::ARCH), variant: None }
    }

    /// Does an image of platform `self` satisfy a request for `want`? A request without a variant
    /// accepts any variant.
    pub fn satisfies(&self, want: &Platform) -> bool {
        self.os == want.os
            && normalise_arch(&self.architecture) == want.architecture
            && (want.variant.is_none() || self.variant == want.variant || (want.variant.as_deref() == Some("v8") && self.variant.is_none()))
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// Go's GOARCH names, which images use (`x86_64` → `amd64`, `aarch64` → `arm64`).
pub fn normalise_arch(a: &str) -> String {
    match a {
        "x86_64" | "x86-64" => "amd64".into(),
        "aarch64" => "arm64".into(),
        "i386" | "i686" => "386".into(),
        other => other.to_string(),
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    #[serde(default)]
    pub media_type: String,
    pub digest: String,
    #[serde(default)]
    pub size: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// An image index / manifest list, or an image manifest: one struct, told apart by its fields.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManifestDoc {
    #[serde(default)]
    pub schema_version: i64,
    #[serde(default)]
    pub media_type: String,
    #[serde(default)]
    pub manifests: Option<Vec<Descriptor>>,
    #[serde(default)]
    pub config: Option<Descriptor>,
    #[serde(default)]
    pub layers: Option<Vec<Descriptor>>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

impl ManifestDoc {
    pub fn is_index(&self) -> bool {
        self.manifests.is_some() && self.config.is_none()
    }
    pub fn is_schema1(&self) -> bool {
        self.schema_version == 1 || self.media_type == DOCKER_SCHEMA1 || self.media_type == DOCKER_SCHEMA1_SIGNED
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootFs {
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub diff_ids: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub empty_layer: bool,
}

/// The runtime settings of the image (`config` of the image config).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RunConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmd: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposed_ports: Option<BTreeMap<String, serde_json::Value>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageConfig {
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub os: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<RunConfig>,
    #[serde(default)]
    pub rootfs: RootFs,
    #[serde(default)]
    pub history: Vec<History>,
}

impl ImageConfig {
    pub fn platform(&self) -> Platform {
        Platform { os: self.os.clone(), architecture: normalise_arch(&self.architecture), variant: self.variant.clone() }
    }

    /// The history line of each non-empty layer, in layer order.
    pub fn layer_history(&self) -> Vec<Option<String>> {
        let mut v: Vec<Option<String>> = self.history.iter().filter(|h| !h.empty_layer).map(|h| h.created_by.clone()).collect();
        v.resize(self.rootfs.diff_ids.len(), None);
        v
    }
}

/// One entry of docker-archive's `manifest.json`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ArchiveEntry {
    pub config: String,
    #[serde(default)]
    pub repo_tags: Option<Vec<String>>,
    #[serde(default)]
    pub layers: Vec<String>,
}

/// `sha256:<64 hex>` (or another algorithm with a hex value). Returns (algorithm, hex).
pub fn split_digest(d: &str) -> Option<(&str, &str)> {
    let (alg, hex) = d.split_once(':')?;
    let alg_ok = !alg.is_empty() && alg.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"+._-".contains(&b));
    let hex_ok = hex.len() >= 32 && hex.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
    (alg_ok && hex_ok).then_some((alg, hex))
}

pub fn sha256_digest(bytes: &[u8]) -> String {
    use sha2::Digest;
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms() {
        let p = Platform::parse("linux/arm64/v8").expect("valid");
        assert_eq!(p.to_string(), "linux/arm64/v8");
        assert_eq!(Platform::parse("linux/x86_64").map(|p| p.architecture), Some("amd64".into()));
        assert!(Platform::parse("linux").is_none());
        assert!(Platform::parse("a/b/c/d").is_none());
        let img = Platform { os: "linux".into(), architecture: "arm64".into(), variant: Some("v8".into()) };
        assert!(img.satisfies(&Platform::parse("linux/arm64").expect("valid")));
        assert!(!img.satisfies(&Platform::parse("linux/amd64").expect("valid")));
    }

    #[test]
    fn digests() {
        assert!(split_digest(&format!("sha256:{}", "a".repeat(64))).is_some());
        assert!(split_digest("sha256:../../etc/passwd").is_none());
        assert!(split_digest("sha256").is_none());
        assert!(split_digest(&format!("SHA256:{}", "a".repeat(64))).is_none());
    }
}
