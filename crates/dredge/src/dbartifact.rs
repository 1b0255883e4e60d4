//! The advisory database as an OCI artifact, for air-gapped use: `dredge db push REF` stores it
//! in any registry (an OCI manifest whose config and one layer have dredge's media types, the
//! layer a gzip of the SQLite file) and `dredge db pull REF` fetches it back, verifies the digest,
//! checks the schema, and replaces the local database atomically.
//!
//! Signing: `db push --sign-key FILE` signs (Ed25519, `ring`) the layer's digest and the build
//! time, and puts the signature in the manifest's annotations; `db pull` (and `db update
//! --db-repository`, and a scan's automatic pull) given `--db-public-key` refuses a database whose
//! signature is missing, made by another key, or made for another layer or build time. The digest
//! check binds the signature to the bytes; the build time, checked against the database itself,
//! keeps an old signed database from being replayed under a new manifest date.

use anyhow::{Context, Result, anyhow, bail};
use dredge_image::{Reference, RegistryClient, RegistryOptions};
use serde_json::{Value, json};
use sha2::Digest;
use std::io::{Read, Write};
use std::path::Path;

pub const ARTIFACT_TYPE: &str = "application/vnd.dredge.db.v1";
pub const CONFIG_TYPE: &str = "application/vnd.dredge.db.config.v1+json";
pub const LAYER_TYPE: &str = "application/vnd.dredge.db.sqlite.v1+gzip";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// Largest database accepted from a registry, uncompressed.
const MAX_DB: u64 = 8 << 30;

const SIGNATURE: &str = "dev.dredge.db.signature";
const SIGNING_KEY: &str = "dev.dredge.db.signing-key";
const CREATED: &str = "org.opencontainers.image.created";

/// What is signed: a domain label, the layer digest, and the database's build time.
fn signed_message(layer_digest: &str, built_at: &str) -> Vec<u8> {
    format!("dredge-db-signature-v1\n{layer_digest}\n{built_at}\n").into_bytes()
}

fn b64() -> base64::engine::general_purpose::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

/// Makes a signing key: the private key (PKCS#8, base64) to `out` (mode 0600, not replaced if it
/// exists), the public key (32 bytes, base64) to `out.pub`; returns the public key.
pub fn keygen(out: &Path) -> Result<String> {
    use base64::Engine as _;
    use ring::signature::KeyPair as _;
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| anyhow!("generating a key failed"))?;
    let pair = ring::signature::Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|_| anyhow!("the generated key is unusable"))?;
    let public = b64().encode(pair.public_key().as_ref());
    let mut pub_path = out.as_os_str().to_owned();
    pub_path.push(".pub");
    let pub_path = std::path::PathBuf::from(pub_path);
    // Both files are new, never written through a link, and made as a pair or not at all.
    let create = |path: &Path, mode: u32, text: &str| -> Result<()> {
        use std::os::unix::fs::OpenOptionsExt as _;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .custom_flags(dredge_cachedir::O_NOFOLLOW)
            .open(path)
            .with_context(|| format!("creating {} (an existing file is never replaced)", path.display()))?;
        writeln!(f, "{text}")?;
        Ok(())
    };
    if std::fs::symlink_metadata(&pub_path).is_ok() {
        bail!("{} exists: an existing file is never replaced", pub_path.display());
    }
    create(out, 0o600, &b64().encode(pkcs8.as_ref()))?;
    if let Err(e) = create(&pub_path, 0o644, &public) {
        let _ = std::fs::remove_file(out);
        return Err(e);
    }
    Ok(public)
}

/// The signing key: a file made by `db keygen`, or the key itself (the content of that file, as a
/// CI secret holds it). The value is never shown in a message: it may be the key.
pub fn read_signing_key(spec: &str) -> Result<ring::signature::Ed25519KeyPair> {
    use base64::Engine as _;
    let path = Path::new(spec);
    let (text, name) = match std::fs::metadata(path) {
        Ok(md) if md.is_file() => {
            use std::os::unix::fs::PermissionsExt as _;
            if md.permissions().mode() & 0o077 != 0 {
                say!(
                    "dredge: warning: the signing key {} can be read by others (mode {:o}): chmod 600 {}",
                    path.display(),
                    md.permissions().mode() & 0o777,
                    path.display()
                );
            }
            (
                std::fs::read_to_string(path).with_context(|| format!("reading the signing key {}", path.display()))?,
                path.display().to_string(),
            )
        }
        Ok(_) => bail!("--sign-key {}: not a file", path.display()),
        Err(_) => (spec.to_string(), "--sign-key".to_string()),
    };
    let der =
        b64().decode(text.trim()).map_err(|_| anyhow!("{name}: neither a readable key file nor a base64 key (the value is not shown)"))?;
    ring::signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der)
        .map_err(|_| anyhow!("{name}: not an Ed25519 private key (PKCS#8, as `dredge db keygen` writes it)"))
}

/// A public key given as its base64 text or as a file holding it.
pub fn public_key(spec: &str) -> Result<Vec<u8>> {
    use base64::Engine as _;
    // A key itself (32 bytes in base64) or a file holding one.
    let is_key = b64().decode(spec.trim()).is_ok_and(|k| k.len() == 32);
    let path = Path::new(spec);
    let text = match std::fs::metadata(path) {
        _ if is_key => spec.to_string(),
        Ok(md) if md.is_dir() => bail!("--db-public-key {spec}: a directory, not a key file"),
        Ok(_) => std::fs::read_to_string(path).with_context(|| format!("reading the public key {spec}"))?,
        Err(e) if spec.contains('/') || spec.starts_with('.') || spec.ends_with(".pub") => bail!("--db-public-key {spec}: {e}"),
        Err(_) => spec.to_string(),
    };
    let key = b64().decode(text.trim()).map_err(|e| anyhow!("--db-public-key: neither a file nor a base64 key ({e})"))?;
    if key.len() != 32 {
        bail!("--db-public-key: an Ed25519 public key is 32 bytes, this one is {}", key.len());
    }
    Ok(key)
}

/// A short name of a key for messages: the first 16 hex digits of its SHA-256.
fn key_id(key: &[u8]) -> String {
    hex::encode(&sha2::Sha256::digest(key)[..8])
}

pub fn push(db: &Path, reference: &str, reg: RegistryOptions, tmp: &Path, sign: Option<&str>) -> Result<String> {
    use base64::Engine as _;
    use ring::signature::KeyPair as _;
    let signer = sign.map(read_signing_key).transpose()?;
    let st = dredge_vulndb::Db::open(db)?.status()?;
    let r = Reference::parse(reference)?;
    std::fs::create_dir_all(tmp).with_context(|| format!("creating {}", tmp.display()))?;
    let gz = tempfile::Builder::new().prefix("db-push-").suffix(".gz").tempfile_in(tmp)?;
    {
        let mut enc = flate2::write::GzEncoder::new(gz.as_file(), flate2::Compression::new(6));
        let mut f = std::fs::File::open(db).with_context(|| format!("reading {}", db.display()))?;
        std::io::copy(&mut f, &mut enc)?;
        enc.finish()?;
    }
    let cfg = tempfile::Builder::new().prefix("db-config-").suffix(".json").tempfile_in(tmp)?;
    let config = json!({"schema_version": st.schema_version, "built_at": st.built_at, "advisories": st.advisories,
                        "sources": st.sources.iter().map(|s| s.location.clone()).collect::<Vec<_>>()});
    std::fs::write(cfg.path(), serde_json::to_vec(&config)?)?;
    let client = RegistryClient::new(r.clone(), reg)?;
    let (ld, ls) = client.push_blob(gz.path())?;
    let (cd, cs) = client.push_blob(cfg.path())?;
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": ARTIFACT_TYPE,
        "config": {"mediaType": CONFIG_TYPE, "digest": cd, "size": cs},
        "layers": [{"mediaType": LAYER_TYPE, "digest": ld, "size": ls, "annotations": {"org.opencontainers.image.title": "dredge.db.gz"}}],
        "annotations": {CREATED: st.built_at, "dev.dredge.db.schema-version": st.schema_version.to_string()},
    });
    let mut manifest = manifest;
    if let Some(k) = &signer {
        let sig = k.sign(&signed_message(&ld, &st.built_at));
        manifest["annotations"][SIGNATURE] = json!(format!("ed25519:{}", b64().encode(sig.as_ref())));
        manifest["annotations"][SIGNING_KEY] = json!(b64().encode(k.public_key().as_ref()));
    }
    let body = serde_json::to_vec(&manifest)?;
    let tag = r.tag.clone().unwrap_or_else(|| "latest".into());
    let digest = client.push_manifest(&tag, OCI_MANIFEST, &body)?;
    Ok(format!("{}:{tag}@{digest}", r.name()))
}

/// Hashes what it reads (the compressed layer), to compare with the manifest's digest.
struct Hashing<R> {
    inner: R,
    h: sha2::Sha256,
}
impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.h.update(&buf[..n]);
        Ok(n)
    }
}

/// Checks the manifest's signature of `layer_digest` against the trusted key; returns the build
/// time it vouches for.
fn verify(reference: &str, m: &Value, layer_digest: &str, key: &[u8]) -> Result<String> {
    use base64::Engine as _;
    let ann = &m["annotations"];
    let Some(sig) = ann[SIGNATURE].as_str() else {
        bail!("{reference} is not signed, and --db-public-key asks for a signature by key {}", key_id(key));
    };
    let sig = sig.strip_prefix("ed25519:").ok_or_else(|| anyhow!("{reference}: unknown signature kind in {SIGNATURE}"))?;
    let sig = b64().decode(sig).map_err(|e| anyhow!("{reference}: the signature is not base64 ({e})"))?;
    let built_at = ann[CREATED].as_str().unwrap_or_default().to_string();
    let signer = ann[SIGNING_KEY].as_str().and_then(|k| b64().decode(k).ok());
    let ok = ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, key)
        .verify(&signed_message(layer_digest, &built_at), &sig)
        .is_ok();
    if !ok {
        let by = match signer {
            Some(s) if s != key => format!("it names key {}, not the trusted {}", key_id(&s), key_id(key)),
            _ => format!("not a valid signature of this layer and build time by key {}", key_id(key)),
        };
        bail!("{reference}: signature check failed: {by}");
    }
    Ok(built_at)
}

pub fn pull(reference: &str, db: &Path, reg: RegistryOptions, key: Option<&[u8]>) -> Result<dredge_vulndb::Status> {
    let r = Reference::parse(reference)?;
    let client = RegistryClient::new(r, reg)?;
    let (bytes, _) = client.fetch_manifest(reference_ref(reference)?.as_str())?;
    let m: Value = serde_json::from_slice(&bytes).context("the artifact manifest is not JSON")?;
    if m["config"]["mediaType"] != CONFIG_TYPE && m["artifactType"] != ARTIFACT_TYPE {
        bail!("{reference} is not a dredge database (config media type {})", m["config"]["mediaType"]);
    }
    let layer = m["layers"]
        .as_array()
        .and_then(|l| l.iter().find(|x| x["mediaType"] == LAYER_TYPE))
        .ok_or_else(|| anyhow!("{reference}: no layer of type {LAYER_TYPE}"))?;
    let digest = layer["digest"].as_str().ok_or_else(|| anyhow!("{reference}: layer without a digest"))?.to_string();
    // Before any download: a signature that does not check out is not worth the bytes.
    let vouched = key.map(|k| verify(reference, &m, &digest, k)).transpose()?;
    let dir = db.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let tmp = tempfile::Builder::new().prefix(".dredge-db-pull-").tempfile_in(dir)?;
    let size = layer["size"].as_u64();
    let mut src = Hashing { inner: client.blob(&digest, size)?, h: sha2::Sha256::new() };
    {
        let mut dec = flate2::read::GzDecoder::new(&mut src).take(MAX_DB + 1);
        let mut out = tmp.as_file();
        let n = std::io::copy(&mut dec, &mut out).with_context(|| format!("downloading {digest}"))?;
        if n > MAX_DB {
            bail!("{reference}: the database is larger than {MAX_DB} bytes");
        }
        out.flush()?;
    }
    std::io::copy(&mut src, &mut std::io::sink())?;
    let actual = format!("sha256:{}", hex::encode(src.h.finalize()));
    if actual != digest {
        bail!("{reference}: layer {digest} hashes to {actual} (tampered or corrupt)");
    }
    let st = dredge_vulndb::Db::open(tmp.path())?.status()?;
    // No going back: a database older than the local one is refused (a replayed old signed
    // build would otherwise hide every advisory published since).
    if let Some(local) = dredge_vulndb::Db::open(db).ok().and_then(|d| d.info().ok()) {
        if !local.built_at.is_empty() && st.built_at < local.built_at {
            bail!(
                "{reference}: built at {}, older than the local database {} (built at {}): refused; remove the local file to go back on purpose",
                st.built_at,
                db.display(),
                local.built_at
            );
        }
    }
    if let Some(built_at) = vouched {
        if st.built_at != built_at {
            bail!("{reference}: the signature vouches for a database built at {built_at}, this one was built at {}", st.built_at);
        }
    }
    tmp.persist(db).map_err(|e| anyhow!("replacing {}: {}", db.display(), e.error))?;
    Ok(dredge_vulndb::Status { path: db.display().to_string(), ..st })
}

/// The tag or digest part of a reference (`latest` when it has neither).
fn reference_ref(reference: &str) -> Result<String> {
    let r = Reference::parse(reference)?;
    Ok(r.manifest_ref().to_string())
}
