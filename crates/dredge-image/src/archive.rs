//! Local images: `docker save` archives (plain, gzipped, or unpacked), OCI image layout
//! directories and OCI archives. Archives holding several images are resolved by tag or digest
//! and by platform; every JSON document and blob read is checked against its digest.

use crate::spec::{self, ArchiveEntry, Descriptor, ImageConfig, MAX_JSON, ManifestDoc, Platform};
use crate::store::{BlobStore, DirStore, TarStore};
use crate::{Image, ImageError, LayerDesc, LayerOpener, OpenOptions, SourceKind, choose_platform, layers_from};
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

struct StoreOpener(Arc<dyn BlobStore>);

impl LayerOpener for StoreOpener {
    fn open(&self, layer: &LayerDesc) -> Result<Box<dyn Read + Send>, ImageError> {
        let member = layer.member.as_deref().ok_or_else(|| ImageError::Missing(format!("layer {} has no blob", layer.index)))?;
        self.0.open(member)
    }
}

/// Splits `PATH[:TAG]` / `PATH@DIGEST` where PATH exists on disk.
fn split_selector(spec: &str) -> (String, Option<String>) {
    if Path::new(spec).exists() {
        return (spec.to_string(), None);
    }
    for sep in ['@', ':'] {
        let mut idx = spec.len();
        while let Some(i) = spec[..idx].rfind(sep) {
            if Path::new(&spec[..i]).exists() {
                return (spec[..i].to_string(), Some(spec[i + 1..].to_string()));
            }
            idx = i;
        }
    }
    (spec.to_string(), None)
}

/// Opens a local image, detecting its kind unless `kind` says it.
pub fn open_local(kind: Option<SourceKind>, spec: &str, opts: &OpenOptions) -> Result<Image, ImageError> {
    let (path_s, selector) = split_selector(spec);
    let path = Path::new(&path_s);
    let md = std::fs::metadata(path).map_err(|e| ImageError::Missing(format!("{path_s}: {e}")))?;
    let (store, detected): (Arc<dyn BlobStore>, SourceKind) = if md.is_dir() {
        let s = DirStore::new(path);
        let k = if s.exists("oci-layout") || s.exists("index.json") {
            SourceKind::OciDir
        } else if s.exists("manifest.json") {
            SourceKind::DockerArchive
        } else {
            return Err(ImageError::Invalid(format!(
                "{path_s}: directory is neither an OCI layout (no oci-layout/index.json) nor an unpacked docker archive (no manifest.json); for a root filesystem use `dredge rootfs`"
            )));
        };
        (Arc::new(s), k)
    } else {
        let s = TarStore::open(path, &opts.spool_dir, opts.max_bytes)?;
        let k = if s.exists("manifest.json") {
            SourceKind::DockerArchive
        } else if s.exists("index.json") {
            SourceKind::OciArchive
        } else {
            return Err(ImageError::Invalid(format!(
                "{path_s}: tar archive has neither manifest.json (docker save) nor index.json (OCI archive)"
            )));
        };
        (Arc::new(s), k)
    };
    let kind = kind.unwrap_or(detected);
    match kind {
        SourceKind::DockerArchive => open_docker_archive(store, spec, selector.as_deref(), opts),
        SourceKind::OciDir | SourceKind::OciArchive => open_oci_layout(store, kind, spec, selector.as_deref(), opts),
        other => Err(ImageError::Invalid(format!("{} is not a local source", other.as_str()))),
    }
}

/// Reads a blob by digest from an OCI layout and verifies it.
fn read_blob(store: &dyn BlobStore, digest: &str) -> Result<Vec<u8>, ImageError> {
    let (alg, hex) = spec::split_digest(digest).ok_or_else(|| ImageError::Invalid(format!("malformed digest {digest:?}")))?;
    if alg != "sha256" {
        return Err(ImageError::Unsupported(format!("digest algorithm {alg} ({digest})")));
    }
    let bytes = store.read_small(&format!("blobs/{alg}/{hex}"), MAX_JSON)?;
    verify(&bytes, digest)?;
    Ok(bytes)
}

fn verify(bytes: &[u8], digest: &str) -> Result<(), ImageError> {
    let actual = spec::sha256_digest(bytes);
    if !actual.eq_ignore_ascii_case(digest) {
        return Err(ImageError::Digest(format!("blob {digest} hashes to {actual}")));
    }
    Ok(())
}

fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, ImageError> {
    serde_json::from_slice(bytes).map_err(|e| ImageError::Invalid(format!("{what}: {e}")))
}

/// `alpine` → `docker.io/library/alpine:latest`, for comparing tags written in different forms.
pub(crate) fn canonical_tag(t: &str) -> String {
    crate::reference::Reference::parse(t).map(|r| r.canonical()).unwrap_or_else(|_| t.to_string())
}

fn digest_matches(sel: &str, digest: &str) -> bool {
    let sel = sel.trim();
    digest.eq_ignore_ascii_case(sel)
        || (sel.len() >= 12 && digest.trim_start_matches("sha256:").starts_with(sel.trim_start_matches("sha256:")))
}

/// A docker save archive (or its unpacked directory).
pub fn open_docker_archive(
    store: Arc<dyn BlobStore>,
    target: &str,
    selector: Option<&str>,
    opts: &OpenOptions,
) -> Result<Image, ImageError> {
    let what = store.describe();
    let entries: Vec<ArchiveEntry> = parse_json(&store.read_small("manifest.json", MAX_JSON)?, &format!("{what}: manifest.json"))?;
    if entries.is_empty() {
        return Err(ImageError::Invalid(format!("{what}: manifest.json lists no image")));
    }
    let config_digest = |e: &ArchiveEntry| -> Option<String> {
        let name = e.config.rsplit('/').next().unwrap_or(&e.config).trim_end_matches(".json");
        spec::split_digest(&format!("sha256:{name}")).map(|(_, h)| format!("sha256:{h}"))
    };
    let selected: Vec<&ArchiveEntry> = match selector {
        None => entries.iter().collect(),
        Some(sel) if sel.starts_with("sha256:") || (sel.len() >= 12 && sel.bytes().all(|b| b.is_ascii_hexdigit())) => {
            entries.iter().filter(|e| config_digest(e).is_some_and(|d| digest_matches(sel, &d))).collect()
        }
        Some(sel) => {
            let want = canonical_tag(sel);
            entries
                .iter()
                .filter(|e| e.repo_tags.iter().flatten().any(|t| canonical_tag(t) == want || t.rsplit(':').next() == Some(sel)))
                .collect()
        }
    };
    if selected.is_empty() {
        let tags: Vec<String> = entries.iter().flat_map(|e| e.repo_tags.clone().unwrap_or_default()).collect();
        return Err(ImageError::Missing(format!(
            "{what}: no image matches {:?} (the archive has: {})",
            selector.unwrap_or(""),
            tags.join(", ")
        )));
    }
    if selector.is_none() && selected.len() > 1 {
        let tags: Vec<String> = selected.iter().map(|e| e.repo_tags.clone().unwrap_or_default().join("|")).collect();
        return Err(ImageError::Ambiguous(format!(
            "{what} holds {} images ({}); choose one with PATH:TAG or PATH@IMAGE-ID",
            selected.len(),
            tags.join(", ")
        )));
    }
    let mut cands = Vec::new();
    for e in selected {
        let bytes = store.read_small(&e.config, MAX_JSON)?;
        if let Some(d) = config_digest(e) {
            verify(&bytes, &d).map_err(|err| ImageError::Digest(format!("{what}: config {}: {err}", e.config)))?;
        }
        let config: ImageConfig = parse_json(&bytes, &format!("{what}: {}", e.config))?;
        let digest = spec::sha256_digest(&bytes);
        let raw = String::from_utf8(bytes).map_err(|_| ImageError::Invalid(format!("{what}: config {} is not UTF-8", e.config)))?;
        cands.push((config.platform(), (e, config, digest, raw)));
    }
    let (entry, config, cfg_digest, config_raw) = choose_platform(cands, opts.platform.as_ref(), &what)?;
    let blobs = entry
        .layers
        .iter()
        .map(|p| {
            let digest =
                p.strip_prefix("blobs/sha256/").and_then(|h| spec::split_digest(&format!("sha256:{h}")).map(|_| format!("sha256:{h}")));
            (digest, None, None, Some(p.clone()))
        })
        .collect();
    if entry.layers.is_empty() {
        return Err(ImageError::Invalid(format!("{what}: the image has no layers")));
    }
    let layers = layers_from(&config, blobs, &what)?;
    Ok(Image {
        target: target.to_string(),
        source: SourceKind::DockerArchive,
        tags: entry.repo_tags.clone().unwrap_or_default(),
        repo_digests: Vec::new(),
        manifest_digest: None,
        config_digest: cfg_digest,
        config,
        config_raw,
        layers,
        opener: Box::new(StoreOpener(store)),
        notes: Vec::new(),
    })
}

struct OciCandidate {
    desc: Descriptor,
    names: Vec<String>,
    parents: Vec<String>,
}

fn collect(
    store: &dyn BlobStore,
    descs: &[Descriptor],
    names: &[String],
    parents: &[String],
    depth: usize,
    out: &mut Vec<OciCandidate>,
) -> Result<(), ImageError> {
    if depth > 4 {
        return Err(ImageError::Invalid("image indexes nested more than 4 deep".into()));
    }
    for d in descs {
        let mut names = names.to_vec();
        for key in ["org.opencontainers.image.ref.name", "io.containerd.image.name"] {
            if let Some(n) = d.annotations.get(key) {
                names.push(n.clone());
            }
        }
        match d.media_type.as_str() {
            spec::OCI_INDEX | spec::DOCKER_LIST => {
                let bytes = read_blob(store, &d.digest)?;
                let doc: ManifestDoc = parse_json(&bytes, &format!("index {}", d.digest))?;
                let mut parents = parents.to_vec();
                parents.push(d.digest.clone());
                collect(store, doc.manifests.as_deref().unwrap_or(&[]), &names, &parents, depth + 1, out)?;
            }
            spec::OCI_MANIFEST | spec::DOCKER_MANIFEST | "" => out.push(OciCandidate { desc: d.clone(), names, parents: parents.to_vec() }),
            spec::DOCKER_SCHEMA1 | spec::DOCKER_SCHEMA1_SIGNED => {
                return Err(ImageError::Unsupported(format!(
                    "{}: Docker schema 1 manifests (deprecated in 2017); convert the image with a current tool",
                    d.digest
                )));
            }
            _ => {} // attestations, signatures and other artifacts are not images
        }
    }
    Ok(())
}

fn name_matches(names: &[String], sel: &str) -> bool {
    let want = canonical_tag(sel);
    names.iter().any(|n| n == sel || canonical_tag(n) == want || n.rsplit_once(':').is_some_and(|(_, t)| t == sel))
}

/// Loads an image manifest and its config by manifest digest, verifying both.
pub(crate) fn load_manifest(bytes: &[u8], digest: &str) -> Result<ManifestDoc, ImageError> {
    let doc: ManifestDoc = parse_json(bytes, &format!("manifest {digest}"))?;
    if doc.is_schema1() {
        return Err(ImageError::Unsupported(format!(
            "{digest}: Docker schema 1 manifests (deprecated in 2017); push the image again with a current client"
        )));
    }
    if doc.config.is_none() {
        return Err(ImageError::Invalid(format!("manifest {digest} has no config")));
    }
    Ok(doc)
}

/// An OCI image layout (directory or archive).
pub fn open_oci_layout(
    store: Arc<dyn BlobStore>,
    kind: SourceKind,
    target: &str,
    selector: Option<&str>,
    opts: &OpenOptions,
) -> Result<Image, ImageError> {
    let what = store.describe();
    if store.exists("oci-layout") {
        let layout: serde_json::Value = parse_json(&store.read_small("oci-layout", 64 << 10)?, &format!("{what}: oci-layout"))?;
        if layout.get("imageLayoutVersion").and_then(|v| v.as_str()).is_some_and(|v| !v.starts_with("1.")) {
            return Err(ImageError::Unsupported(format!("{what}: image layout version {}", layout["imageLayoutVersion"])));
        }
    }
    let index: ManifestDoc = parse_json(&store.read_small("index.json", MAX_JSON)?, &format!("{what}: index.json"))?;
    let mut cands = Vec::new();
    collect(store.as_ref(), index.manifests.as_deref().unwrap_or(&[]), &[], &[], 0, &mut cands)?;
    if cands.is_empty() {
        return Err(ImageError::Invalid(format!("{what}: the layout holds no image manifest")));
    }
    let mut all_names: Vec<String> = Vec::new();
    for n in cands.iter().flat_map(|c| c.names.iter()) {
        if !all_names.contains(n) {
            all_names.push(n.clone());
        }
    }
    if let Some(sel) = selector {
        cands.retain(|c| {
            if sel.starts_with("sha256:") {
                digest_matches(sel, &c.desc.digest) || c.parents.iter().any(|p| digest_matches(sel, p))
            } else {
                name_matches(&c.names, sel)
            }
        });
        if cands.is_empty() {
            return Err(ImageError::Missing(format!("{what}: no image matches {sel:?} (the layout has: {})", all_names.join(", "))));
        }
    }
    // Several images (not several platforms of one image) need a choice.
    if selector.is_none() {
        let mut groups: Vec<&Vec<String>> = cands.iter().map(|c| &c.names).collect();
        groups.sort();
        groups.dedup();
        if groups.len() > 1 {
            return Err(ImageError::Ambiguous(format!(
                "{what} holds several images ({}); choose one with PATH:TAG or PATH@DIGEST",
                all_names.join(", ")
            )));
        }
    }
    // The same manifest reached through several index entries is one image.
    let mut unique: Vec<OciCandidate> = Vec::new();
    for c in cands {
        match unique.iter_mut().find(|u| u.desc.digest == c.desc.digest) {
            Some(u) => u.names.extend(c.names.into_iter().filter(|n| !u.names.contains(n)).collect::<Vec<_>>()),
            None => unique.push(c),
        }
    }
    let mut by_platform = Vec::new();
    for c in unique {
        let bytes = read_blob(store.as_ref(), &c.desc.digest)?;
        let doc = load_manifest(&bytes, &c.desc.digest)?;
        let cfg_desc = doc.config.clone().ok_or_else(|| ImageError::Invalid(format!("manifest {} has no config", c.desc.digest)))?;
        let cfg_bytes = read_blob(store.as_ref(), &cfg_desc.digest)?;
        let config: ImageConfig = parse_json(&cfg_bytes, &format!("config {}", cfg_desc.digest))?;
        let raw = String::from_utf8(cfg_bytes).map_err(|_| ImageError::Invalid(format!("config {} is not UTF-8", cfg_desc.digest)))?;
        let platform = c
            .desc
            .platform
            .clone()
            .map(|p| Platform { architecture: spec::normalise_arch(&p.architecture), ..p })
            .unwrap_or_else(|| config.platform());
        by_platform.push((platform, (c, doc, config, cfg_desc.digest, raw)));
    }
    let (cand, doc, config, cfg_digest, config_raw) = choose_platform(by_platform, opts.platform.as_ref(), &what)?;
    let mut blobs = Vec::new();
    for l in doc.layers.clone().unwrap_or_default() {
        let (alg, hex) =
            spec::split_digest(&l.digest).ok_or_else(|| ImageError::Invalid(format!("{what}: malformed layer digest {:?}", l.digest)))?;
        if alg != "sha256" {
            return Err(ImageError::Unsupported(format!("layer digest algorithm {alg}")));
        }
        let foreign = l.media_type.contains("nondistributable") || l.media_type.contains("foreign");
        if foreign && !store.exists(&format!("blobs/{alg}/{hex}")) {
            return Err(ImageError::Missing(format!("{what}: foreign layer {} is not in the layout", l.digest)));
        }
        blobs.push((Some(l.digest.clone()), u64::try_from(l.size).ok(), Some(l.media_type.clone()), Some(format!("blobs/{alg}/{hex}"))));
    }
    if blobs.is_empty() {
        return Err(ImageError::Invalid(format!("{what}: the image has no layers")));
    }
    let layers = layers_from(&config, blobs, &what)?;
    let tags = cand.names.iter().filter(|n| !n.is_empty()).cloned().collect();
    Ok(Image {
        target: target.to_string(),
        source: kind,
        tags,
        repo_digests: Vec::new(),
        manifest_digest: Some(cand.desc.digest.clone()),
        config_digest: cfg_digest,
        config,
        config_raw,
        layers,
        opener: Box::new(StoreOpener(store)),
        notes: Vec::new(),
    })
}
