//! The Docker daemon as an image source, through the Engine API on `/var/run/docker.sock` or
//! `DOCKER_HOST` (`unix://` or `tcp://`). The image is exported (`GET /images/{name}/get`, a docker
//! save archive) into the cache directory and read like any docker archive.

use crate::store::TarStore;
use crate::{Image, ImageError, IsCached, OpenOptions, SourceKind, http1};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone)]
enum Endpoint {
    Unix(PathBuf),
    Tcp(String),
}

#[derive(Debug, Clone)]
pub struct Daemon {
    endpoint: Endpoint,
    timeout: Duration,
}

/// A daemon that takes longer than this to answer a metadata request is treated as unreachable
/// (the registry is tried next); an export may pause this long between reads.
const INSPECT_STALL: Duration = Duration::from_secs(10);
const EXPORT_STALL: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error("cannot reach the Docker daemon at {0}")]
    Unreachable(String),
    #[error(transparent)]
    Image(#[from] ImageError),
}

trait Stream: Read + Write + Send {}
impl<T: Read + Write + Send> Stream for T {}

impl Daemon {
    /// `DOCKER_HOST`, else `unix:///var/run/docker.sock`.
    pub fn from_env() -> Result<Daemon, ImageError> {
        let host = std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".into());
        let endpoint = if let Some(p) = host.strip_prefix("unix://") {
            Endpoint::Unix(PathBuf::from(p))
        } else if let Some(a) = host.strip_prefix("tcp://") {
            Endpoint::Tcp(a.trim_end_matches('/').to_string())
        } else {
            return Err(ImageError::Daemon(format!("DOCKER_HOST {host:?}: only unix:// and tcp:// are supported")));
        };
        Ok(Daemon { endpoint, timeout: Duration::from_secs(600) })
    }

    fn describe(&self) -> String {
        match &self.endpoint {
            Endpoint::Unix(p) => format!("unix://{}", p.display()),
            Endpoint::Tcp(a) => format!("tcp://{a}"),
        }
    }

    /// One request. The connection and every read are bounded by `stall` (a daemon that stops
    /// answering), and the whole response by `timeout` from now.
    fn request(&self, path: &str, stall: Duration) -> Result<http1::Response, DaemonError> {
        let unreachable = |e: std::io::Error| DaemonError::Unreachable(format!("{} ({e})", self.describe()));
        let stall = stall.min(self.timeout).max(Duration::from_millis(100));
        let stream: Box<dyn Stream> = match &self.endpoint {
            Endpoint::Unix(p) => {
                let s = std::os::unix::net::UnixStream::connect(p).map_err(unreachable)?;
                s.set_read_timeout(Some(stall)).map_err(unreachable)?;
                s.set_write_timeout(Some(stall)).map_err(unreachable)?;
                Box::new(s)
            }
            Endpoint::Tcp(a) => {
                use std::net::ToSocketAddrs;
                let addrs: Vec<_> = a.to_socket_addrs().map_err(unreachable)?.collect();
                let mut last = std::io::Error::new(std::io::ErrorKind::NotFound, "no address");
                let mut conn = None;
                for addr in addrs {
                    match std::net::TcpStream::connect_timeout(&addr, stall) {
                        Ok(s) => {
                            conn = Some(s);
                            break;
                        }
                        Err(e) => last = e,
                    }
                }
                let s = conn.ok_or_else(|| unreachable(last))?;
                s.set_read_timeout(Some(stall)).map_err(unreachable)?;
                s.set_write_timeout(Some(stall)).map_err(unreachable)?;
                Box::new(s)
            }
        };
        let deadline = std::time::Instant::now() + self.timeout;
        http1::get(StreamBox(stream), "docker", path, Some(deadline)).map_err(|e| {
            if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) {
                DaemonError::Unreachable(format!("{} did not answer {path} within {stall:?}", self.describe()))
            } else {
                DaemonError::Image(ImageError::Daemon(format!("{} {path}: {e}", self.describe())))
            }
        })
    }

    /// Bounds every request to the daemon (`--timeout`).
    pub fn with_timeout(mut self, timeout: Duration) -> Daemon {
        self.timeout = timeout;
        self
    }

    fn path_for(name: &str, suffix: &str) -> Result<String, ImageError> {
        // Names go into the request path: allow what references and IDs contain, nothing else.
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-/:@".contains(&b)) || name.contains("..") {
            return Err(ImageError::Invalid(format!("image name {name:?}")));
        }
        Ok(format!("/images/{name}/{suffix}"))
    }

    /// The daemon's inspect document for `name`, or `None` when it does not have the image.
    pub fn inspect(&self, name: &str) -> Result<Option<serde_json::Value>, DaemonError> {
        let mut resp = self.request(&Self::path_for(name, "json")?, INSPECT_STALL)?;
        let mut body = Vec::new();
        resp.body
            .by_ref()
            .take(8 << 20)
            .read_to_end(&mut body)
            .map_err(|e| ImageError::Daemon(format!("reading inspect of {name}: {e}")))?;
        match resp.status {
            200 => Ok(Some(serde_json::from_slice(&body).map_err(|e| ImageError::Daemon(format!("inspect of {name}: {e}")))?)),
            404 => Ok(None),
            s => Err(ImageError::Daemon(format!("asking for {name} failed (HTTP {s}): {}", daemon_message(&body))).into()),
        }
    }

    /// Exports and opens `name`; `None` when the daemon does not have it. When the image's config
    /// was kept from an earlier scan and every layer is cached, nothing is exported at all.
    pub fn open(&self, name: &str, target: &str, opts: &OpenOptions, is_cached: IsCached<'_>) -> Result<Option<Image>, DaemonError> {
        let Some(inspect) = self.inspect(name)? else {
            return Ok(None);
        };
        let strings = |k: &str| -> Vec<String> {
            inspect
                .get(k)
                .and_then(|v| v.as_array())
                .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
                .unwrap_or_default()
        };
        let id = inspect.get("Id").and_then(|v| v.as_str()).unwrap_or("").to_string();
        // The daemon keeps one platform of an image: a different one asked for is an error, as for
        // archives, never a silent scan of what the daemon happens to have.
        if let Some(want) = &opts.platform {
            let field = |k: &str| inspect.get(k).and_then(|v| v.as_str()).filter(|s| !s.is_empty()).map(str::to_string);
            let have = crate::Platform {
                os: field("Os").unwrap_or_else(|| "linux".into()),
                architecture: crate::spec::normalise_arch(&field("Architecture").unwrap_or_default()),
                variant: field("Variant"),
            };
            if !have.satisfies(want) {
                return Err(ImageError::Missing(format!(
                    "the Docker daemon's image {name} is {have}, not {want} (pull that platform into the daemon, or scan the registry: --image-src registry)"
                ))
                .into());
            }
        }
        if let Some(mut img) = self.image_from_kept_config(&id, target, opts, is_cached) {
            img.repo_digests = strings("RepoDigests");
            img.tags = strings("RepoTags");
            return Ok(Some(img));
        }
        let mut resp = self.request(&Self::path_for(name, "get")?, EXPORT_STALL)?;
        if resp.status != 200 {
            let mut body = Vec::new();
            let _ = resp.body.by_ref().take(64 << 10).read_to_end(&mut body);
            return Err(ImageError::Daemon(format!("exporting {name} failed (HTTP {}): {}", resp.status, daemon_message(&body))).into());
        }
        std::fs::create_dir_all(&opts.spool_dir).map_err(|e| ImageError::io(format!("creating {}", opts.spool_dir.display()), e))?;
        let tmp = tempfile::Builder::new()
            .prefix("daemon-")
            .suffix(".tar")
            .tempfile_in(&opts.spool_dir)
            .map_err(|e| ImageError::io(format!("creating a spool file in {}", opts.spool_dir.display()), e))?;
        let (mut file, path) = tmp.into_parts();
        let n = std::io::copy(&mut resp.body.by_ref().take(opts.max_bytes + 1), &mut file)
            .map_err(|e| ImageError::Daemon(format!("export of {name}: {e}")))?;
        if n > opts.max_bytes {
            return Err(
                ImageError::TooLarge(format!("daemon image {name} exceeds {} bytes (raise --max-image-size)", opts.max_bytes)).into()
            );
        }
        drop(file);
        let store = TarStore::open_spooled(path, format!("docker daemon image {name}"))?;
        let mut img = crate::archive::open_docker_archive(Arc::new(store), target, None, opts)?;
        img.source = SourceKind::Daemon;
        self.keep_config(&img, opts);
        img.repo_digests = strings("RepoDigests");
        let tags = strings("RepoTags");
        if !tags.is_empty() {
            img.tags = tags;
        }
        Ok(Some(img))
    }
}

/// The Engine API's error body is `{"message": "..."}`: its message as a sentence, else the
/// body's text (cut, on one line).
fn daemon_message(body: &[u8]) -> String {
    let text = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_string))
        .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let cut: String = one_line.chars().take(300).collect();
    if cut.is_empty() { "no reason given".into() } else { cut }
}

struct NoBlobs;
impl crate::LayerOpener for NoBlobs {
    fn open(&self, layer: &crate::LayerDesc) -> Result<Box<dyn Read + Send>, ImageError> {
        Err(ImageError::Missing(format!("layer {} was expected in the cache", layer.index)))
    }
}

impl Daemon {
    fn keep_config(&self, img: &Image, opts: &OpenOptions) {
        let Some(dir) = &opts.config_dir else { return };
        let Some((_, hex)) = crate::spec::split_digest(&img.config_digest) else { return };
        if let Ok(bytes) = serde_json::to_vec(&img.config_raw) {
            // `dir` is a checked directory of the cache; the write never follows a planted link.
            let _ = dredge_cachedir::write_atomic(dir, &format!("{hex}.json"), &bytes);
        }
    }

    /// An image from a config kept by an earlier scan, if it still hashes to the image ID and
    /// all its layers are cached.
    fn image_from_kept_config(&self, id: &str, target: &str, opts: &OpenOptions, is_cached: IsCached<'_>) -> Option<Image> {
        let dir = opts.config_dir.as_ref()?;
        let (_, hex) = crate::spec::split_digest(id)?;
        let kept = dredge_cachedir::read_nofollow(&dir.join(format!("{hex}.json")), crate::spec::MAX_JSON * 2).ok()?;
        let raw: String = serde_json::from_slice(&kept).ok()?;
        if !crate::spec::sha256_digest(raw.as_bytes()).eq_ignore_ascii_case(id) {
            return None;
        }
        let config: crate::ImageConfig = serde_json::from_str(&raw).ok()?;
        if config.rootfs.diff_ids.is_empty() || !config.rootfs.diff_ids.iter().all(|d| is_cached(d)) {
            return None;
        }
        let blobs = config.rootfs.diff_ids.iter().map(|_| (None, None, None, None)).collect();
        let layers = crate::layers_from(&config, blobs, target).ok()?;
        Some(Image {
            target: target.to_string(),
            source: SourceKind::Daemon,
            tags: Vec::new(),
            repo_digests: Vec::new(),
            manifest_digest: None,
            config_digest: id.to_string(),
            config,
            config_raw: raw,
            layers,
            opener: Box::new(NoBlobs),
            notes: vec!["daemon export skipped: config and every layer cached".into()],
        })
    }
}

struct StreamBox(Box<dyn Stream>);
impl Read for StreamBox {
    fn read(&mut self, b: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(b)
    }
}
impl Write for StreamBox {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.write(b)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daemon_errors_are_sentences() {
        assert_eq!(daemon_message(br#"{"message":"No such image: x:1"}"#), "No such image: x:1");
        assert_eq!(daemon_message(b"plain\ntext"), "plain text");
        assert_eq!(daemon_message(b""), "no reason given");
    }
}
