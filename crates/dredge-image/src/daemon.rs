//! The Docker daemon as an image source, through the Engine API on `/var/run/docker.sock` or
//! `DOCKER_HOST` (`unix://` or `tcp://`). The image is exported (`GET /images/{name}/get`, a docker
//! save archive) into the cache directory and read like any docker archive.

use crate::store::TarStore;
use crate::{Image, ImageError, OpenOptions, SourceKind, http1};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Clone)]
enum Endpoint {
    Unix(PathBuf),
    Tcp(String),
}

#[derive(Debug, Clone)]
pub struct Daemon {
    endpoint: Endpoint,
}

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
        Ok(Daemon { endpoint })
    }

    fn describe(&self) -> String {
        match &self.endpoint {
            Endpoint::Unix(p) => format!("unix://{}", p.display()),
            Endpoint::Tcp(a) => format!("tcp://{a}"),
        }
    }

    fn request(&self, path: &str) -> Result<http1::Response, DaemonError> {
        let unreachable = |e: std::io::Error| DaemonError::Unreachable(format!("{} ({e})", self.describe()));
        let stream: Box<dyn Stream> = match &self.endpoint {
            Endpoint::Unix(p) => Box::new(std::os::unix::net::UnixStream::connect(p).map_err(unreachable)?),
            Endpoint::Tcp(a) => Box::new(std::net::TcpStream::connect(a).map_err(unreachable)?),
        };
        http1::get(StreamBox(stream), "docker", path)
            .map_err(|e| DaemonError::Image(ImageError::Daemon(format!("{} {path}: {e}", self.describe()))))
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
        let mut resp = self.request(&Self::path_for(name, "json")?)?;
        let mut body = Vec::new();
        resp.body
            .by_ref()
            .take(8 << 20)
            .read_to_end(&mut body)
            .map_err(|e| ImageError::Daemon(format!("reading inspect of {name}: {e}")))?;
        match resp.status {
            200 => Ok(Some(serde_json::from_slice(&body).map_err(|e| ImageError::Daemon(format!("inspect of {name}: {e}")))?)),
            404 => Ok(None),
            s => Err(ImageError::Daemon(format!("inspect of {name} answered {s}: {}", String::from_utf8_lossy(&body).trim())).into()),
        }
    }

    /// Exports and opens `name`; `None` when the daemon does not have it.
    pub fn open(&self, name: &str, target: &str, opts: &OpenOptions) -> Result<Option<Image>, DaemonError> {
        let Some(inspect) = self.inspect(name)? else {
            return Ok(None);
        };
        let mut resp = self.request(&Self::path_for(name, "get")?)?;
        if resp.status != 200 {
            return Err(ImageError::Daemon(format!("export of {name} answered {}", resp.status)).into());
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
        let strings = |k: &str| -> Vec<String> {
            inspect
                .get(k)
                .and_then(|v| v.as_array())
                .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
                .unwrap_or_default()
        };
        img.repo_digests = strings("RepoDigests");
        let tags = strings("RepoTags");
        if !tags.is_empty() {
            img.tags = tags;
        }
        Ok(Some(img))
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
