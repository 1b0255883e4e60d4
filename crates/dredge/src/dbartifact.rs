//! The advisory database as an OCI artifact, for air-gapped use: `dredge db push REF` stores it
//! in any registry (an OCI manifest whose config and one layer have dredge's media types, the
//! layer a gzip of the SQLite file) and `dredge db pull REF` fetches it back, verifies the digest,
//! checks the schema, and replaces the local database atomically.

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

pub fn push(db: &Path, reference: &str, reg: RegistryOptions, tmp: &Path) -> Result<String> {
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
        "annotations": {"org.opencontainers.image.created": st.built_at, "dev.dredge.db.schema-version": st.schema_version.to_string()},
    });
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

pub fn pull(reference: &str, db: &Path, reg: RegistryOptions) -> Result<dredge_vulndb::Status> {
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
    tmp.persist(db).map_err(|e| anyhow!("replacing {}: {}", db.display(), e.error))?;
    Ok(dredge_vulndb::Status { path: db.display().to_string(), ..st })
}

/// The tag or digest part of a reference (`latest` when it has neither).
fn reference_ref(reference: &str) -> Result<String> {
    let r = Reference::parse(reference)?;
    Ok(r.manifest_ref().to_string())
}
