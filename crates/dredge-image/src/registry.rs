//! A small OCI distribution client: manifests (index → platform), configs and streamed blobs,
//! with the bearer-token challenge flow, basic auth, docker config credentials, TLS options,
//! retries with backoff, and digest verification of everything it reads.
//!
//! Written on `ureq` (sync, rustls with ring) rather than `oci-client` (async, tokio): the layer
//! walk is synchronous and runs on rayon threads, so a blocking client streams a blob straight into
//! the tar reader without a runtime in between.

use crate::reference::Reference;
use crate::spec::{self, ImageConfig, MAX_JSON, ManifestDoc, Platform};
use crate::{Image, ImageError, LayerDesc, LayerOpener, SourceKind, choose_platform, layers_from};
use base64::Engine;
use std::collections::HashMap;
use std::io::Read;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use ureq::http::Response;

const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json;q=0.9, application/vnd.docker.distribution.manifest.v1+prettyjws;q=0.1";

#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    Basic {
        username: String,
        password: String,
    },
    /// A registry identity token (docker config `identitytoken`): exchanged for a bearer token.
    IdentityToken(String),
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print secrets, not even in debug output.
        match self {
            Credentials::Basic { username, .. } => write!(f, "Basic({username}, ***)"),
            Credentials::IdentityToken(_) => f.write_str("IdentityToken(***)"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct RegistryOptions {
    /// Explicit credentials (flags or environment); otherwise the docker config is asked.
    pub credentials: Option<Credentials>,
    /// Plain HTTP, or HTTPS without certificate verification when the registry speaks TLS.
    pub insecure: bool,
    /// PEM file with the CA certificates to trust instead of the built-in roots.
    pub ca_cert: Option<PathBuf>,
    /// Attempts per request on 429/5xx/connection errors.
    pub retries: u32,
    pub platform: Option<Platform>,
    /// Deadline for each request, retries and body included (`--timeout`).
    pub timeout: Duration,
}

impl Default for RegistryOptions {
    fn default() -> Self {
        RegistryOptions { credentials: None, insecure: false, ca_cert: None, retries: 4, platform: None, timeout: DEFAULT_TIMEOUT }
    }
}

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// Counts of requests made, for tests and `--debug` output.
#[derive(Debug, Default)]
pub struct RequestStats {
    pub manifests: AtomicU64,
    pub blobs: AtomicU64,
    pub tokens: AtomicU64,
}

struct Inner {
    agent: ureq::Agent,
    reference: Reference,
    scheme: Mutex<Option<&'static str>>,
    credentials: Option<Credentials>,
    /// The Authorization header that last worked for this repository.
    auth: Mutex<Option<String>>,
    opts: RegistryOptions,
    stats: Arc<RequestStats>,
}

#[derive(Clone)]
pub struct RegistryClient(Arc<Inner>);

fn agent(opts: &RegistryOptions, verify: bool) -> Result<ureq::Agent, ImageError> {
    use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};
    let mut tls = TlsConfig::builder();
    if let Some(ca) = &opts.ca_cert {
        let pem = std::fs::read(ca).map_err(|e| ImageError::io(format!("reading --ca-cert {}", ca.display()), e))?;
        let certs: Vec<Certificate<'static>> = ureq::tls::parse_pem(&pem)
            .filter_map(|i| match i {
                Ok(PemItem::Certificate(c)) => Some(c),
                _ => None,
            })
            .collect();
        if certs.is_empty() {
            return Err(ImageError::Invalid(format!("--ca-cert {}: no PEM certificate in the file", ca.display())));
        }
        tls = tls.root_certs(RootCerts::Specific(Arc::new(certs)));
    }
    if !verify {
        tls = tls.disable_verification(true);
    }
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .tls_config(tls.build())
        .timeout_connect(Some(Duration::from_secs(15)))
        // A registry that has not started answering in 30 s, or stops sending for 30 s, is not
        // going to: fail (each request also has an overall deadline, set per call).
        .timeout_recv_response(Some(STALL))
        .timeout_per_read(Some(STALL))
        .user_agent(format!("dredge/{}", env!("CARGO_PKG_VERSION")))
        // Redirects are followed by hand: never from HTTPS to plain HTTP, credentials only to
        // the same host.
        .max_redirects(0)
        .build();
    Ok(ureq::Agent::new_with_config(config))
}

/// Credentials for a registry from `~/.docker/config.json` (`auths`, `credsStore`, `credHelpers`;
/// helpers are run as `docker-credential-<name>`). `None` when there are none.
pub fn docker_config_credentials(registry: &str) -> Option<Credentials> {
    let key = if registry == "docker.io" || registry == "registry-1.docker.io" {
        "https://index.docker.io/v1/".to_string()
    } else {
        registry.to_string()
    };
    let found = docker_credential::get_credential(&key).or_else(|_| docker_credential::get_credential(&format!("https://{registry}")));
    match found {
        Ok(docker_credential::DockerCredential::UsernamePassword(username, password)) => Some(Credentials::Basic { username, password }),
        Ok(docker_credential::DockerCredential::IdentityToken(t)) => Some(Credentials::IdentityToken(t)),
        Err(_) => None,
    }
}

fn is_retryable_status(s: u16) -> bool {
    matches!(s, 408 | 429 | 500 | 502 | 503 | 504)
}

/// A TLS client hello answered with plain HTTP: rustls reads the HTTP status line as a record
/// of an unknown content type.
fn answered_plain_http(e: &ureq::Error) -> bool {
    let m = e.to_string();
    m.contains("InvalidContentType") || m.contains("invalid content type")
}

/// `localhost`, 127.0.0.0/8 and `::1`, with or without a port.
pub fn is_loopback(host: &str) -> bool {
    let h = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit())).map_or(host, |(h, _)| h)
    };
    h.eq_ignore_ascii_case("localhost") || h.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Connection trouble is retried; a timeout is not (a registry too slow once is slow again, and
/// retrying made a stalled registry cost minutes).
fn is_retryable_err(e: &ureq::Error) -> bool {
    matches!(e, ureq::Error::Io(_) | ureq::Error::ConnectionFailed | ureq::Error::Protocol(_))
}

/// No progress for this long (response head, or between body reads) fails the request.
const STALL: Duration = Duration::from_secs(30);
/// Manifests, configs and tokens are small: their whole exchange must fit in this (or in
/// `--timeout`, when shorter); a registry that drips a manifest byte by byte is cut off.
const SMALL_DEADLINE: Duration = Duration::from_secs(60);
const MAX_REDIRECTS: usize = 8;
/// An image with more layers than this is refused before any blob is fetched (Docker's own
/// limit is 125; overlay filesystems stop at 128).
pub const MAX_LAYERS: usize = 512;

/// Why one GET did not produce a response.
enum SendError {
    Http(ureq::Error),
    /// Refused by policy (a downgrade, too many redirects): never retried.
    Refused(String),
}

/// Resolves a `Location` header against the URL that answered with it.
fn join_url(base: &str, location: &str) -> Option<String> {
    if location.starts_with("https://") || location.starts_with("http://") {
        return Some(location.to_string());
    }
    let (scheme, rest) = base.split_once("://")?;
    if let Some(l) = location.strip_prefix("//") {
        return Some(format!("{scheme}://{l}"));
    }
    let host_end = rest.find('/').unwrap_or(rest.len());
    let host = &rest[..host_end];
    if location.starts_with('/') {
        return Some(format!("{scheme}://{host}{location}"));
    }
    let path = rest[host_end..].split('?').next().unwrap_or("");
    let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
    Some(format!("{scheme}://{host}{dir}/{location}"))
}

fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split(['/', '?']).next().unwrap_or("")
}

/// A blob body that may not run past its descriptor's size: a registry sending more (an endless
/// stream, zstd skippable frames that decompress to nothing) is stopped at once, named.
struct Capped<R> {
    inner: R,
    left: u64,
    size: u64,
    what: String,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.left == 0 {
            // Exactly `size` bytes were read: anything more is the registry lying.
            let mut one = [0u8; 1];
            return match self.inner.read(&mut one)? {
                0 => Ok(0),
                _ => Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{} sends more than the {} bytes its descriptor says; refusing the rest", self.what, self.size),
                )),
            };
        }
        let want = buf.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// Parses `Bearer realm="...",service="...",scope="..."` into its scheme and parameters.
pub fn parse_challenge(h: &str) -> Option<(String, HashMap<String, String>)> {
    let h = h.trim();
    let (scheme, rest) = h.split_once(' ').unwrap_or((h, ""));
    let mut params = HashMap::new();
    let mut rest = rest.trim();
    while !rest.is_empty() {
        let (k, after) = rest.split_once('=')?;
        let after = after.trim_start();
        let (v, next) = if let Some(q) = after.strip_prefix('"') {
            let end = q.find('"')?;
            (&q[..end], q[end + 1..].trim_start().trim_start_matches(',').trim_start())
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (&after[..end], after[end..].trim_start_matches(',').trim_start())
        };
        params.insert(k.trim().to_ascii_lowercase(), v.to_string());
        rest = next;
    }
    Some((scheme.to_ascii_lowercase(), params))
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

impl RegistryClient {
    pub fn new(reference: Reference, mut opts: RegistryOptions) -> Result<Self, ImageError> {
        if opts.retries == 0 {
            opts.retries = 4;
        }
        let credentials = opts.credentials.clone().or_else(|| docker_config_credentials(&reference.registry));
        let verify = !opts.insecure;
        Ok(RegistryClient(Arc::new(Inner {
            agent: agent(&opts, verify)?,
            reference,
            scheme: Mutex::new(None),
            credentials,
            auth: Mutex::new(None),
            opts,
            stats: Arc::new(RequestStats::default()),
        })))
    }

    pub fn stats(&self) -> Arc<RequestStats> {
        self.0.stats.clone()
    }

    fn host(&self) -> &str {
        self.0.reference.api_host()
    }

    fn err(&self, message: impl Into<String>) -> ImageError {
        ImageError::Registry { registry: self.host().to_string(), message: message.into() }
    }

    /// HTTPS, unless the registry answers only plain HTTP and either `--insecure` was given or the
    /// registry is on this machine's loopback (`localhost`, 127.0.0.0/8, `::1`), which Docker
    /// also treats as insecure-allowed. Credentials still go over plain HTTP only with
    /// `--insecure`.
    fn scheme(&self) -> Result<&'static str, ImageError> {
        let mut s = self.0.scheme.lock().map_err(|_| self.err("lock poisoned"))?;
        if let Some(s) = *s {
            return Ok(s);
        }
        let probe = || self.0.agent.get(format!("https://{}/v2/", self.host())).config().timeout_global(Some(STALL)).build().call();
        let chosen = if self.0.opts.insecure {
            match probe() {
                Ok(_) => "https",
                Err(_) => "http",
            }
        } else if is_loopback(self.host()) {
            match probe() {
                Err(e) if answered_plain_http(&e) => "http",
                _ => "https",
            }
        } else {
            "https"
        };
        *s = Some(chosen);
        Ok(chosen)
    }

    /// A transport error in words; a timeout says which limit was hit.
    fn describe(&self, e: &ureq::Error) -> String {
        match e {
            ureq::Error::Timeout(t) => format!(
                "timed out ({t}: each request must finish within --timeout {:?}, small documents within {:?}, with no pause over {STALL:?})",
                self.0.opts.timeout,
                self.0.opts.timeout.min(SMALL_DEADLINE)
            ),
            e => e.to_string(),
        }
    }

    /// The deadline of one request (retries, redirects and body included).
    fn deadline(&self, small: bool) -> Instant {
        let t = if small { self.0.opts.timeout.min(SMALL_DEADLINE) } else { self.0.opts.timeout };
        Instant::now() + t
    }

    /// One GET, following redirects by hand: a redirect from HTTPS to plain HTTP is refused
    /// unless `--insecure`, and the Authorization header goes only to the host it was meant for.
    fn send_once(&self, url: &str, accept: Option<&str>, auth: Option<&str>, deadline: Instant) -> Result<Response<ureq::Body>, SendError> {
        let mut cur = url.to_string();
        let mut auth = auth;
        for _ in 0..=MAX_REDIRECTS {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(SendError::Http(ureq::Error::Timeout(ureq::Timeout::Global)));
            }
            let mut req = self.0.agent.get(&cur);
            if let Some(a) = accept {
                req = req.header("Accept", a);
            }
            if let Some(a) = auth {
                req = req.header("Authorization", a);
            }
            let resp = req.config().timeout_global(Some(left)).build().call().map_err(SendError::Http)?;
            if !resp.status().is_redirection() {
                return Ok(resp);
            }
            let Some(loc) = resp.headers().get("location").and_then(|v| v.to_str().ok()) else {
                return Ok(resp);
            };
            let next = join_url(&cur, loc).ok_or_else(|| SendError::Refused(format!("unreadable redirect {loc:?} from {cur}")))?;
            if cur.starts_with("https://") && !next.starts_with("https://") && !self.0.opts.insecure {
                return Err(SendError::Refused(format!(
                    "{cur} redirects to {next}, which is not HTTPS: refusing to downgrade (use --insecure to allow)"
                )));
            }
            if host_of(&next) != host_of(&cur) {
                auth = None;
            }
            cur = next;
        }
        Err(SendError::Refused(format!("{url}: more than {MAX_REDIRECTS} redirects")))
    }

    fn send(&self, url: &str, accept: Option<&str>, auth: Option<&str>, deadline: Instant) -> Result<Response<ureq::Body>, ImageError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let left = deadline.saturating_duration_since(Instant::now());
            match self.send_once(url, accept, auth, deadline) {
                Ok(resp) if is_retryable_status(resp.status().as_u16()) && attempt < self.0.opts.retries => {
                    let wait = resp
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(|s| Duration::from_secs(s.min(10)))
                        .unwrap_or_else(|| backoff(attempt));
                    if wait >= left {
                        return Ok(resp);
                    }
                    std::thread::sleep(wait);
                }
                Ok(resp) => return Ok(resp),
                Err(SendError::Http(e)) if answered_plain_http(&e) => {
                    return Err(ImageError::Insecure {
                        registry: self.host().to_string(),
                        message: "the registry answered plain HTTP to a TLS connection: use --insecure to allow plain HTTP (registries on loopback — localhost, 127.0.0.0/8, ::1 — are allowed it without the flag)".into(),
                    });
                }
                Err(SendError::Http(e)) if is_retryable_err(&e) && attempt < self.0.opts.retries && backoff(attempt) < left => {
                    std::thread::sleep(backoff(attempt))
                }
                Err(SendError::Http(e)) => return Err(self.err(format!("GET {url}: {}", self.describe(&e)))),
                Err(SendError::Refused(m)) => return Err(ImageError::Insecure { registry: self.host().to_string(), message: m }),
            }
        }
    }

    /// GET with authentication: the cached Authorization first; on 401, answer the challenge.
    fn get(&self, path: &str, accept: Option<&str>, deadline: Instant) -> Result<Response<ureq::Body>, ImageError> {
        let url = format!("{}://{}{}", self.scheme()?, self.host(), path);
        let cached = self.0.auth.lock().map_err(|_| self.err("lock poisoned"))?.clone();
        let resp = self.send(&url, accept, cached.as_deref(), deadline)?;
        if resp.status().as_u16() != 401 {
            return Ok(resp);
        }
        let challenge = resp.headers().get("www-authenticate").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let header = self.answer(&challenge)?;
        let resp = self.send(&url, accept, Some(&header), deadline)?;
        if resp.status().as_u16() == 401 {
            return Err(ImageError::Unauthorized {
                registry: self.host().to_string(),
                message: format!("credentials refused for {} (check --username/--password or `docker login`)", self.0.reference.repository),
            });
        }
        *self.0.auth.lock().map_err(|_| self.err("lock poisoned"))? = Some(header);
        Ok(resp)
    }

    /// Runs a request with the cached Authorization; on 401 answers the challenge and runs it
    /// once more (push needs a token with the push scope, which the challenge names).
    fn authed(&self, run: &Attempt<'_>, what: &str) -> Result<Response<ureq::Body>, ImageError> {
        let cached = self.0.auth.lock().map_err(|_| self.err("lock poisoned"))?.clone();
        let resp = run(cached.as_deref()).map_err(|e| self.err(format!("{what}: {e}")))?;
        if resp.status().as_u16() != 401 {
            return Ok(resp);
        }
        let challenge = resp.headers().get("www-authenticate").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let header = self.answer(&challenge)?;
        let resp = run(Some(&header)).map_err(|e| self.err(format!("{what}: {e}")))?;
        if resp.status().as_u16() == 401 || resp.status().as_u16() == 403 {
            return Err(ImageError::Unauthorized {
                registry: self.host().to_string(),
                message: format!("{what}: not allowed for these credentials"),
            });
        }
        *self.0.auth.lock().map_err(|_| self.err("lock poisoned"))? = Some(header);
        Ok(resp)
    }

    /// Uploads a file as a blob (one monolithic PUT) unless the registry has it; returns its
    /// digest and size.
    pub fn push_blob(&self, file: &std::path::Path) -> Result<(String, u64), ImageError> {
        let digest = {
            use sha2::Digest;
            let mut f = std::fs::File::open(file).map_err(|e| ImageError::io(format!("reading {}", file.display()), e))?;
            let mut h = sha2::Sha256::new();
            std::io::copy(&mut f, &mut h).map_err(|e| ImageError::io(format!("reading {}", file.display()), e))?;
            format!("sha256:{}", hex::encode(h.finalize()))
        };
        let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
        let base = format!("{}://{}", self.scheme()?, self.host());
        let repo = &self.0.reference.repository;
        let head = format!("{base}/v2/{repo}/blobs/{digest}");
        let r = self.authed(
            &|auth| {
                let mut q = self.0.agent.head(&head);
                if let Some(a) = auth {
                    q = q.header("Authorization", a);
                }
                q.call()
            },
            "checking for the blob",
        )?;
        if r.status().as_u16() == 200 {
            return Ok((digest, size));
        }
        let start = format!("{base}/v2/{repo}/blobs/uploads/");
        let r = self.authed(
            &|auth| {
                let mut q = self.0.agent.post(&start).header("Content-Length", "0");
                if let Some(a) = auth {
                    q = q.header("Authorization", a);
                }
                q.send(&[][..])
            },
            "starting an upload",
        )?;
        if r.status().as_u16() != 202 {
            return Err(self.err(format!("starting an upload answered {}", r.status())));
        }
        let loc =
            r.headers().get("location").and_then(|v| v.to_str().ok()).ok_or_else(|| self.err("upload without a Location"))?.to_string();
        let loc = if loc.starts_with("http") { loc } else { format!("{base}{loc}") };
        let put = format!("{loc}{}digest={digest}", if loc.contains('?') { '&' } else { '?' });
        let r = self.authed(
            &|auth| {
                let f = std::fs::File::open(file).map_err(ureq::Error::Io)?;
                let mut q = self.0.agent.put(&put).header("Content-Type", "application/octet-stream");
                if let Some(a) = auth {
                    q = q.header("Authorization", a);
                }
                q.send(&f)
            },
            "uploading the blob",
        )?;
        if r.status().as_u16() != 201 {
            return Err(self.err(format!("uploading {digest} answered {}", r.status())));
        }
        Ok((digest, size))
    }

    /// Stores a manifest under a tag; returns its digest.
    pub fn push_manifest(&self, tag: &str, media_type: &str, body: &[u8]) -> Result<String, ImageError> {
        let url = format!("{}://{}/v2/{}/manifests/{tag}", self.scheme()?, self.host(), self.0.reference.repository);
        let r = self.authed(
            &|auth| {
                let mut q = self.0.agent.put(&url).header("Content-Type", media_type);
                if let Some(a) = auth {
                    q = q.header("Authorization", a);
                }
                q.send(body)
            },
            "storing the manifest",
        )?;
        if r.status().as_u16() != 201 {
            return Err(self.err(format!("storing the manifest answered {}", r.status())));
        }
        Ok(spec::sha256_digest(body))
    }

    /// A manifest by tag or digest: its bytes and verified digest.
    pub fn fetch_manifest(&self, reference: &str) -> Result<(Vec<u8>, String), ImageError> {
        self.manifest(reference).map(|(b, d, _)| (b, d))
    }

    fn basic(&self) -> Option<String> {
        match &self.0.credentials {
            Some(Credentials::Basic { username, password }) => {
                Some(format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"))))
            }
            _ => None,
        }
    }

    fn answer(&self, challenge: &str) -> Result<String, ImageError> {
        let unauthorized = |m: String| ImageError::Unauthorized { registry: self.host().to_string(), message: m };
        let (scheme, params) =
            parse_challenge(challenge).ok_or_else(|| unauthorized(format!("unreadable WWW-Authenticate challenge {challenge:?}")))?;
        // Credentials never travel unencrypted unless the user said so.
        let plain_http_refused = |to: &str| ImageError::Insecure {
            registry: self.host().to_string(),
            message: format!("the registry asks for credentials to be sent to {to} over plain HTTP: refusing (use --insecure to allow)"),
        };
        match scheme.as_str() {
            "basic" if self.basic().is_some() && self.scheme()? == "http" && !self.0.opts.insecure => {
                Err(plain_http_refused(&format!("http://{}", self.host())))
            }
            "basic" => self.basic().ok_or_else(|| {
                unauthorized(
                    "authentication required: pass --username/--password, set DREDGE_USERNAME/DREDGE_PASSWORD, or `docker login`".into(),
                )
            }),
            "bearer" => {
                let realm = params.get("realm").ok_or_else(|| unauthorized("bearer challenge without realm".into()))?;
                if !(realm.starts_with("https://") || realm.starts_with("http://")) {
                    return Err(unauthorized(format!("bearer realm {realm:?} is not an http(s) URL")));
                }
                let has_credentials = self.0.credentials.is_some();
                if has_credentials && realm.starts_with("http://") && !self.0.opts.insecure {
                    return Err(plain_http_refused(realm));
                }
                let scope = params.get("scope").cloned().unwrap_or_else(|| format!("repository:{}:pull", self.0.reference.repository));
                let mut url = format!("{realm}{}scope={}", if realm.contains('?') { '&' } else { '?' }, percent_encode(&scope));
                if let Some(s) = params.get("service") {
                    url.push_str(&format!("&service={}", percent_encode(s)));
                }
                self.0.stats.tokens.fetch_add(1, Ordering::Relaxed);
                let auth = match &self.0.credentials {
                    Some(Credentials::IdentityToken(t)) => {
                        // OAuth2 refresh-token exchange, as docker does with identity tokens.
                        let form = format!(
                            "grant_type=refresh_token&client_id=dredge&refresh_token={}&scope={}{}",
                            percent_encode(t),
                            percent_encode(&scope),
                            params.get("service").map(|s| format!("&service={}", percent_encode(s))).unwrap_or_default()
                        );
                        let mut resp = self
                            .0
                            .agent
                            .post(realm)
                            .header("Content-Type", "application/x-www-form-urlencoded")
                            .config()
                            .timeout_global(Some(self.0.opts.timeout.min(SMALL_DEADLINE)))
                            .build()
                            .send(form.as_bytes())
                            .map_err(|e| unauthorized(format!("token endpoint {realm}: {e}")))?;
                        return bearer_from(&mut resp, realm).map_err(unauthorized);
                    }
                    _ => self.basic(),
                };
                let mut resp = self.send(&url, None, auth.as_deref(), self.deadline(true))?;
                let status = resp.status().as_u16();
                if status != 200 {
                    return Err(unauthorized(format!(
                        "token endpoint {realm} answered {status}{}",
                        if auth.is_none() { " (no credentials given)" } else { "" }
                    )));
                }
                bearer_from(&mut resp, realm).map_err(unauthorized)
            }
            other => Err(unauthorized(format!("unsupported authentication scheme {other:?}"))),
        }
    }

    /// Fetches a manifest or index by tag or digest; returns its bytes and verified digest.
    fn manifest(&self, reference: &str) -> Result<(Vec<u8>, String, String), ImageError> {
        self.0.stats.manifests.fetch_add(1, Ordering::Relaxed);
        let path = format!("/v2/{}/manifests/{}", self.0.reference.repository, reference);
        let mut resp = self.get(&path, Some(ACCEPT), self.deadline(true))?;
        let status = resp.status().as_u16();
        if status == 404 {
            return Err(ImageError::Missing(format!("{}:{} in {}", self.0.reference.repository, reference, self.host())));
        }
        if status != 200 {
            return Err(self.err(format!("GET {path} answered {status}")));
        }
        let content_type = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let header_digest = resp.headers().get("docker-content-digest").and_then(|v| v.to_str().ok()).map(str::to_string);
        let body = resp
            .body_mut()
            .with_config()
            .limit(MAX_JSON)
            .read_to_vec()
            .map_err(|e| self.err(format!("reading manifest {reference}: {}", self.describe(&e))))?;
        let actual = spec::sha256_digest(&body);
        if reference.starts_with("sha256:") && !actual.eq_ignore_ascii_case(reference) {
            return Err(ImageError::Digest(format!("manifest {reference} from {} hashes to {actual}", self.host())));
        }
        if let Some(h) = header_digest {
            if h.starts_with("sha256:") && !h.eq_ignore_ascii_case(&actual) {
                return Err(ImageError::Digest(format!(
                    "manifest {reference}: Docker-Content-Digest says {h}, content hashes to {actual}"
                )));
            }
        }
        Ok((body, actual, content_type))
    }

    fn blob_small(&self, digest: &str) -> Result<Vec<u8>, ImageError> {
        let mut r = self.blob_with(digest, None, self.deadline(true))?.take(MAX_JSON + 1);
        let mut v = Vec::new();
        r.read_to_end(&mut v).map_err(|e| ImageError::io(format!("reading blob {digest} from {}", self.host()), e))?;
        if v.len() as u64 > MAX_JSON {
            return Err(ImageError::TooLarge(format!("blob {digest} is larger than {MAX_JSON} bytes")));
        }
        let actual = spec::sha256_digest(&v);
        if !actual.eq_ignore_ascii_case(digest) {
            return Err(ImageError::Digest(format!("blob {digest} from {} hashes to {actual}", self.host())));
        }
        Ok(v)
    }

    /// Streams a blob (verification is the reader's job: the layer walk hashes as it reads).
    /// With a known `size` (the descriptor's), the body may not run past it.
    pub fn blob(&self, digest: &str, size: Option<u64>) -> Result<Box<dyn Read + Send>, ImageError> {
        self.blob_with(digest, size, self.deadline(false))
    }

    fn blob_with(&self, digest: &str, size: Option<u64>, deadline: Instant) -> Result<Box<dyn Read + Send>, ImageError> {
        if spec::split_digest(digest).is_none() {
            return Err(ImageError::Invalid(format!("malformed digest {digest:?}")));
        }
        self.0.stats.blobs.fetch_add(1, Ordering::Relaxed);
        let path = format!("/v2/{}/blobs/{}", self.0.reference.repository, digest);
        let resp = self.get(&path, None, deadline)?;
        match resp.status().as_u16() {
            200 => {
                let body = resp.into_body().into_reader();
                Ok(match size {
                    Some(size) => Box::new(Capped { inner: body, left: size, size, what: format!("blob {digest}") }),
                    None => Box::new(body),
                })
            }
            404 => Err(ImageError::Missing(format!("blob {digest} in {}/{}", self.host(), self.0.reference.repository))),
            s => Err(self.err(format!("GET {path} answered {s}"))),
        }
    }

    /// Resolves the reference to one image (choosing the platform from an index).
    pub fn resolve(&self, target: &str) -> Result<Image, ImageError> {
        let r = self.0.reference.clone();
        let (bytes, digest, content_type) = self.manifest(r.manifest_ref())?;
        if content_type.starts_with(spec::DOCKER_SCHEMA1) || content_type.starts_with(spec::DOCKER_SCHEMA1_SIGNED) {
            return Err(ImageError::Unsupported(format!(
                "{}: Docker schema 1 manifest (deprecated in 2017); push the image again with a current client",
                r.canonical()
            )));
        }
        let doc: ManifestDoc =
            serde_json::from_slice(&bytes).map_err(|e| ImageError::Invalid(format!("manifest of {}: {e}", r.canonical())))?;
        let (doc, digest) = if doc.is_index() {
            let cands: Vec<(Platform, spec::Descriptor)> = doc
                .manifests
                .unwrap_or_default()
                .into_iter()
                .filter(|d| d.media_type != spec::OCI_INDEX && d.media_type != spec::DOCKER_LIST)
                .filter_map(|d| d.platform.clone().map(|p| (Platform { architecture: spec::normalise_arch(&p.architecture), ..p }, d)))
                .filter(|(p, _)| p.os != "unknown")
                .collect();
            let chosen = choose_platform(cands, self.0.opts.platform.as_ref(), &r.canonical())?;
            let (bytes, d, _) = self.manifest(&chosen.digest)?;
            (crate::archive::load_manifest(&bytes, &d)?, d)
        } else {
            (crate::archive::load_manifest(&bytes, &digest)?, digest)
        };
        let cfg_desc = doc.config.clone().ok_or_else(|| ImageError::Invalid(format!("manifest {digest} has no config")))?;
        let cfg_bytes = self.blob_small(&cfg_desc.digest)?;
        let config: ImageConfig =
            serde_json::from_slice(&cfg_bytes).map_err(|e| ImageError::Invalid(format!("config {}: {e}", cfg_desc.digest)))?;
        if let Some(want) = &self.0.opts.platform {
            if !config.platform().satisfies(want) {
                return Err(ImageError::Missing(format!("{} is {} only, not {want}", r.canonical(), config.platform())));
            }
        }
        let blobs = doc
            .layers
            .clone()
            .unwrap_or_default()
            .into_iter()
            .map(|l| (Some(l.digest), u64::try_from(l.size).ok(), Some(l.media_type), None))
            .collect();
        let layers = layers_from(&config, blobs, &r.canonical())?;
        if layers.is_empty() {
            return Err(ImageError::Invalid(format!("{}: the image has no layers", r.canonical())));
        }
        Ok(Image {
            target: target.to_string(),
            source: SourceKind::Registry,
            tags: r.tag.iter().map(|t| format!("{}:{t}", r.name())).collect(),
            repo_digests: vec![format!("{}@{digest}", r.name())],
            manifest_digest: Some(digest),
            config_digest: cfg_desc.digest,
            config,
            config_raw: String::from_utf8_lossy(&cfg_bytes).into_owned(),
            layers,
            opener: Box::new(self.clone()),
            notes: Vec::new(),
        })
    }
}

/// The `Authorization` header from a token endpoint's answer (at most 1 MiB of JSON).
fn bearer_from(resp: &mut Response<ureq::Body>, realm: &str) -> Result<String, String> {
    let body = resp.body_mut().with_config().limit(1 << 20).read_to_vec().map_err(|e| format!("token endpoint {realm}: {e}"))?;
    token_from(&body).map(|t| format!("Bearer {t}")).ok_or_else(|| format!("token endpoint {realm} returned no token"))
}

/// One try of a request, given the Authorization header to send (if any).
type Attempt<'a> = dyn Fn(Option<&str>) -> Result<Response<ureq::Body>, ureq::Error> + 'a;

fn token_from(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v.get("token").or_else(|| v.get("access_token")).and_then(|t| t.as_str()).filter(|t| !t.is_empty()).map(str::to_string)
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis((250u64 << attempt.min(5)).min(4000))
}

impl LayerOpener for RegistryClient {
    fn open(&self, layer: &LayerDesc) -> Result<Box<dyn Read + Send>, ImageError> {
        let d = layer.digest.as_deref().ok_or_else(|| ImageError::Missing(format!("layer {} has no digest", layer.index)))?;
        self.blob(d, layer.size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges() {
        let (s, p) = parse_challenge(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull""#,
        )
        .expect("parses");
        assert_eq!(s, "bearer");
        assert_eq!(p["realm"], "https://auth.docker.io/token");
        assert_eq!(p["scope"], "repository:library/alpine:pull");
        let (s, p) = parse_challenge(r#"Basic realm="Registry Realm""#).expect("parses");
        assert_eq!((s.as_str(), p["realm"].as_str()), ("basic", "Registry Realm"));
        assert!(parse_challenge(r#"Bearer realm="unterminated"#).is_none());
    }

    #[test]
    fn loopback_hosts() {
        for h in ["localhost:5000", "127.0.0.1:5000", "127.1.2.3", "[::1]:5000", "LOCALHOST"] {
            assert!(is_loopback(h), "{h}");
        }
        for h in ["0.0.0.0:5000", "registry.example.com", "10.0.0.1:5000", "localhost.example.com"] {
            assert!(!is_loopback(h), "{h}");
        }
        assert_eq!(join_url("https://r/v2/a/blobs/x", "/b?c=1").as_deref(), Some("https://r/b?c=1"));
        assert_eq!(join_url("https://r/v2/a/blobs/x", "//s3/x").as_deref(), Some("https://s3/x"));
        assert_eq!(join_url("https://r/v2/a/blobs/x", "y").as_deref(), Some("https://r/v2/a/blobs/y"));
        assert_eq!(host_of("https://r:5000/v2/"), "r:5000");
    }

    #[test]
    fn debug_hides_passwords() {
        let c = Credentials::Basic { username: "u".into(), password: "hunter2".into() };
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
