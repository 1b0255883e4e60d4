//! Image sources: docker-archive, OCI layout directories and archives, registries, the Docker
//! daemon. Each resolves a user's target to one [`Image`]: its config, its layers (digest,
//! diff_id, history line) and a way to open each layer blob as a stream.

use std::io::Read;
use std::path::PathBuf;

mod archive;
mod daemon;
mod http1;
pub mod reference;
pub mod registry;
pub mod spec;
mod store;

pub use archive::{open_docker_archive, open_local, open_oci_layout};
pub use daemon::{Daemon, DaemonError};
pub use reference::Reference;
pub use registry::{Credentials, RegistryClient, RegistryOptions};
pub use spec::{ImageConfig, Platform};
pub use store::{BlobStore, DirStore, TarStore};

/// Why an image could not be read. Every variant names what and where.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("not found: {0}")]
    Missing(String),
    #[error("invalid image: {0}")]
    Invalid(String),
    #[error("corrupt image: {0}")]
    Corrupt(String),
    #[error("digest mismatch: {0}")]
    Digest(String),
    #[error("too large: {0}")]
    TooLarge(String),
    #[error("{0}")]
    Ambiguous(String),
    #[error("unsupported: {0}")]
    Unsupported(String),
    #[error("registry {registry}: {message}")]
    Registry { registry: String, message: String },
    #[error("registry {registry}: {message}")]
    Insecure { registry: String, message: String },
    #[error("unauthorized at {registry}: {message}")]
    Unauthorized { registry: String, message: String },
    #[error("docker daemon: {0}")]
    Daemon(String),
}

impl ImageError {
    pub fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        ImageError::Io { what: what.into(), source }
    }
}

/// Where an image came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    DockerArchive,
    OciDir,
    OciArchive,
    Registry,
    Daemon,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::DockerArchive => "docker-archive",
            SourceKind::OciDir => "oci-dir",
            SourceKind::OciArchive => "oci-archive",
            SourceKind::Registry => "registry",
            SourceKind::Daemon => "docker-daemon",
        }
    }
}

/// One layer of an image, bottom first.
#[derive(Debug, Clone)]
pub struct LayerDesc {
    pub index: usize,
    /// Digest of the stored blob, when the source knows it (verified while reading).
    pub digest: Option<String>,
    /// From the config's `rootfs.diff_ids` (verified while reading).
    pub diff_id: String,
    pub size: Option<u64>,
    pub media_type: Option<String>,
    pub created_by: Option<String>,
    /// Path of the blob inside the container (archives and layouts).
    pub(crate) member: Option<String>,
}

/// Opens layer blobs as streams (compressed as stored).
pub trait LayerOpener: Send + Sync {
    fn open(&self, layer: &LayerDesc) -> Result<Box<dyn Read + Send>, ImageError>;
}

/// A resolved image.
pub struct Image {
    /// What the user asked for.
    pub target: String,
    pub source: SourceKind,
    pub tags: Vec<String>,
    pub repo_digests: Vec<String>,
    /// Digest of the image manifest, when the source has one.
    pub manifest_digest: Option<String>,
    /// Digest of the config: the image ID.
    pub config_digest: String,
    pub config: ImageConfig,
    /// The config exactly as stored (its sha256 is `config_digest`).
    pub config_raw: String,
    pub layers: Vec<LayerDesc>,
    pub opener: Box<dyn LayerOpener>,
    /// How the source served the image, for `--debug` (`daemon export skipped: ...`).
    pub notes: Vec<String>,
}

impl Image {
    pub fn platform(&self) -> Platform {
        self.config.platform()
    }
}

/// What every source needs to know.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// Requested platform; `None`: the only one, else the host's, else linux/amd64.
    pub platform: Option<Platform>,
    /// Where compressed archives and daemon exports are spooled (inside the cache dir).
    pub spool_dir: PathBuf,
    /// Largest decompressed archive accepted.
    pub max_bytes: u64,
    /// Where image configs are kept by digest, so that a daemon image whose layers are all cached
    /// needs no export (`None`: no such cache).
    pub config_dir: Option<PathBuf>,
}

/// Answers whether a layer (by diff_id) is in the layer cache.
pub type IsCached<'a> = &'a (dyn Fn(&str) -> bool + Sync);

/// What a manifest says of one layer blob: digest, size, media type, path inside the container.
pub(crate) type BlobDesc = (Option<String>, Option<u64>, Option<String>, Option<String>);

/// Builds the layer list from a config and the manifest's layer descriptors, checking they agree.
pub(crate) fn layers_from(config: &ImageConfig, blobs: Vec<BlobDesc>, what: &str) -> Result<Vec<LayerDesc>, ImageError> {
    let diff_ids = &config.rootfs.diff_ids;
    if blobs.len() > registry::MAX_LAYERS {
        return Err(ImageError::TooLarge(format!(
            "{what}: {} layers; more than {} is refused (Docker's own limit is 125)",
            blobs.len(),
            registry::MAX_LAYERS
        )));
    }
    if diff_ids.len() != blobs.len() {
        return Err(ImageError::Invalid(format!(
            "{what}: the manifest lists {} layers but the config has {} diff_ids",
            blobs.len(),
            diff_ids.len()
        )));
    }
    for d in diff_ids {
        if spec::split_digest(d).is_none() {
            return Err(ImageError::Invalid(format!("{what}: malformed diff_id {d:?}")));
        }
    }
    let history = config.layer_history();
    Ok(blobs
        .into_iter()
        .enumerate()
        .map(|(i, (digest, size, media_type, member))| LayerDesc {
            index: i,
            digest,
            diff_id: diff_ids[i].clone(),
            size,
            media_type,
            created_by: history.get(i).cloned().flatten(),
            member,
        })
        .collect())
}

/// Chooses one of several candidates by platform: the requested one; without a request, the only
/// one, else the host's, else linux/amd64.
pub(crate) fn choose_platform<T>(cands: Vec<(Platform, T)>, want: Option<&Platform>, what: &str) -> Result<T, ImageError> {
    let listing = |c: &[(Platform, T)]| c.iter().map(|(p, _)| p.to_string()).collect::<Vec<_>>().join(", ");
    if let Some(w) = want {
        let all = listing(&cands);
        let mut m: Vec<(Platform, T)> = cands.into_iter().filter(|(p, _)| p.satisfies(w)).collect();
        return match m.len() {
            0 => Err(ImageError::Missing(format!("{what} has no image for platform {w} (it has: {all})"))),
            1 => Ok(m.remove(0).1),
            _ => Err(ImageError::Ambiguous(format!("{what} has several images for {w} ({}); add the variant", listing(&m)))),
        };
    }
    if cands.len() == 1 {
        return cands.into_iter().next().map(|(_, t)| t).ok_or_else(|| ImageError::Missing(what.to_string()));
    }
    let all = listing(&cands);
    for fallback in [Platform::host(), Platform { os: "linux".into(), architecture: "amd64".into(), variant: None }] {
        if let Some(pos) = cands.iter().position(|(p, _)| p.satisfies(&fallback)) {
            return cands.into_iter().nth(pos).map(|(_, t)| t).ok_or_else(|| ImageError::Missing(what.to_string()));
        }
    }
    Err(ImageError::Ambiguous(format!("{what} holds images for {all}; choose one with --platform")))
}
