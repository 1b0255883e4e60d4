//! The pipeline: resolve the target, analyse every layer once (in parallel, skipping cached
//! layers), merge bottom-up, assemble the inventory, and build the report.

use crate::target::{ImageSrc, TargetSpec};
use anyhow::{Context, Result, anyhow, bail};
use dredge_extract::{EXTRACTORS, assemble};
use dredge_image::{Daemon, Image, OpenOptions, Platform, Reference, RegistryClient, RegistryOptions};
use dredge_layer::{
    CacheDir, CacheKey, LayerCache, LayerFacts, LayerInput, Lookup, PluginSet, SizeBudget, merge, walk_dir_skipping, walk_layer,
};
use dredge_model::{LayerRef, Warning};
use dredge_report::{LayerInfo, ScanReport, Target};
use dredge_scanner::{ContentFact, Scanner, take_content};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Where compressed archives and daemon exports are decompressed to.
pub enum Spool {
    /// `<cache>/tmp`, a checked directory of the cache.
    Dir(PathBuf),
    /// A private temp dir (mode 0700, removed at the end) when there is no cache (`--no-cache`).
    Temp(tempfile::TempDir),
}

impl Spool {
    pub fn temp() -> std::io::Result<Spool> {
        tempfile::Builder::new().prefix("dredge-spool-").tempdir().map(Spool::Temp)
    }
    fn path(&self) -> PathBuf {
        match self {
            Spool::Dir(p) => p.clone(),
            Spool::Temp(t) => t.path().to_path_buf(),
        }
    }
}

pub struct ScanOptions {
    pub platform: Option<Platform>,
    /// The cache root as given (for messages and the default database path).
    pub cache_dir: PathBuf,
    /// The checked cache, `None` with `--no-cache`.
    pub cache: Option<CacheDir>,
    pub spool: Spool,
    pub cache_max_bytes: u64,
    pub max_image_size: u64,
    pub image_src: Vec<ImageSrc>,
    pub registry: RegistryOptions,
    pub quiet: bool,
    pub debug: bool,
    /// The scanners that run (their content scanners in the layer pass, then their analysis).
    pub scanners: Vec<Box<dyn Scanner>>,
}

/// The extractors, and the content scanners of the scanners that run.
fn plugin_set(scanners: &[Box<dyn Scanner>]) -> PluginSet<'_> {
    plugins_with(EXTRACTORS, scanners)
}

/// `extractors` (none for `dredge config`), and the content scanners of the scanners that run.
fn plugins_with<'a>(extractors: &'a [&'a dyn dredge_layer::Extractor], scanners: &'a [Box<dyn Scanner>]) -> PluginSet<'a> {
    let mut p = PluginSet::new(extractors);
    for s in scanners {
        if let Some(c) = s.content() {
            p = p.with_content(c);
        }
    }
    p
}

/// Runs every scanner's analysis on what the pass found, in registry order, and adds their
/// findings to the report. A secret in the build history is then redacted wherever the report
/// prints that history.
pub fn run_scanners(
    r: &mut ScanReport,
    scanners: &[Box<dyn Scanner>],
    config: Option<&serde_json::Value>,
    refs: &[LayerRef],
    content: &[ContentFact],
) -> Result<()> {
    let mut redact = Vec::new();
    for s in scanners {
        let mine: Vec<ContentFact> = content.iter().filter(|c| s.owns(&c.fact)).cloned().collect();
        let mut cx = dredge_scanner::Context { report: r, config, layers: refs, content: &mine, redact: &mut redact };
        if let Some(found) = s.analyse(&mut cx)? {
            r.add(s.info(), found);
        }
    }
    if !redact.is_empty() {
        let fix = |l: &mut LayerRef| {
            if let Some(c) = &mut l.created_by {
                for (secret, with) in &redact {
                    *c = c.replace(secret.as_str(), with);
                }
            }
        };
        for l in &mut r.target.layers {
            if let Some(c) = &mut l.created_by {
                for (secret, with) in &redact {
                    *c = c.replace(secret.as_str(), with);
                }
            }
        }
        for p in &mut r.packages {
            if let Some(l) = p.location.as_mut().and_then(|l| l.layer.as_mut()) {
                fix(l);
            }
        }
        for f in &mut r.findings {
            f.place.layer.iter_mut().chain(f.place.removed_in.iter_mut()).for_each(fix);
            if let dredge_model::Detail::Vulnerability(v) = &mut f.detail {
                if let Some(l) = v.location.as_mut().and_then(|l| l.layer.as_mut()) {
                    fix(l);
                }
            }
        }
    }
    Ok(())
}

#[derive(Default)]
pub struct Stats {
    pub analysed: AtomicUsize,
    pub cached: AtomicUsize,
    /// Cache entries that did not verify: each becomes a warning of the report.
    pub rejected: std::sync::Mutex<Vec<String>>,
}

fn open_options(o: &ScanOptions) -> OpenOptions {
    OpenOptions {
        platform: o.platform.clone(),
        spool_dir: o.spool.path(),
        max_bytes: o.max_image_size,
        config_dir: o.cache.as_ref().and_then(|c| c.subdir("configs").ok()),
    }
}

fn open_registry(name: &str, target: &str, o: &ScanOptions) -> Result<(Image, RegistryClient)> {
    let r = Reference::parse(name)?;
    let client = RegistryClient::new(r, RegistryOptions { platform: o.platform.clone(), ..o.registry.clone() })?;
    let img = client.resolve(target)?;
    Ok((img, client))
}

/// Resolves a target to an image. Returns the registry client too, when one was used, so its
/// request counts can be reported.
pub fn resolve(spec: &TargetSpec, target: &str, o: &ScanOptions) -> Result<(Image, Option<RegistryClient>)> {
    let opts = open_options(o);
    let fingerprint = plugin_set(&o.scanners).fingerprint();
    let cache = o.cache.as_ref().and_then(|c| LayerCache::open(c, o.cache_max_bytes).ok());
    let is_cached = |diff_id: &str| cache.as_ref().is_some_and(|c| c.contains(&CacheKey::new(diff_id, &fingerprint)));
    match spec {
        TargetSpec::Local(kind, path) => {
            Ok((dredge_image::open_local(*kind, path, &opts).with_context(|| format!("reading {path}"))?, None))
        }
        TargetSpec::Registry(name) => {
            let (i, c) = open_registry(name, target, o).with_context(|| format!("pulling {name}"))?;
            Ok((i, Some(c)))
        }
        TargetSpec::Daemon(name) => {
            let d = Daemon::from_env()?.with_timeout(o.registry.timeout);
            match d.open(name, target, &opts, &is_cached)? {
                Some(img) => Ok((img, None)),
                None => bail!("the Docker daemon has no image {name}"),
            }
        }
        TargetSpec::Name(name) => {
            let mut notes = Vec::new();
            for src in &o.image_src {
                match src {
                    ImageSrc::Daemon => {
                        let d = Daemon::from_env()?.with_timeout(o.registry.timeout);
                        match d.open(name, target, &opts, &is_cached) {
                            Ok(Some(img)) => return Ok((img, None)),
                            Ok(None) => notes.push("not in the Docker daemon".to_string()),
                            Err(dredge_image::DaemonError::Unreachable(e)) => notes.push(format!("daemon not reachable ({e})")),
                            Err(e) => {
                                return Err(anyhow!(e).context(format!("reading {name} from the Docker daemon")));
                            }
                        }
                    }
                    ImageSrc::Registry => {
                        return open_registry(name, target, o).map(|(i, c)| (i, Some(c))).with_context(|| {
                            if notes.is_empty() { format!("pulling {name}") } else { format!("pulling {name} ({})", notes.join("; ")) }
                        });
                    }
                }
            }
            bail!("{name}: {}", if notes.is_empty() { "no image source to look in (--image-src)".to_string() } else { notes.join("; ") })
        }
        TargetSpec::Rootfs(_) => bail!("a root filesystem is not an image"),
    }
}

fn progress(o: &ScanOptions, len: u64, what: &str) -> ProgressBar {
    let target = if o.quiet { ProgressDrawTarget::hidden() } else { ProgressDrawTarget::stderr() };
    let pb = ProgressBar::with_draw_target(Some(len), target);
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} {pos}/{len} layers [{elapsed}]").unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    pb.set_message(what.to_string());
    pb
}

/// Analyses every layer of the image: from the cache when it has the layer, else one pass over
/// the blob. Several layers at once (bounded by the rayon pool).
pub fn analyse(img: &Image, o: &ScanOptions, stats: &Stats) -> Result<Vec<LayerFacts>> {
    let plugins = plugin_set(&o.scanners);
    let fingerprint = plugins.fingerprint();
    let cache = match &o.cache {
        None => None,
        Some(c) => Some(LayerCache::open(c, o.cache_max_bytes).with_context(|| format!("opening the cache in {}", o.cache_dir.display()))?),
    };
    let budget = Arc::new(SizeBudget::new(o.max_image_size));
    let pb = progress(o, img.layers.len() as u64, "analysing");
    // Downloads wait on the network, so allow a few more layers in flight than there are cores.
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).max(4);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build()?;
    // A layer listed several times (same blob, same diff_id) is fetched and walked once: a
    // hostile manifest repeating one layer cannot multiply the download.
    let mut first_of: std::collections::HashMap<(Option<&str>, &str), usize> = std::collections::HashMap::new();
    let rep: Vec<usize> =
        img.layers.iter().enumerate().map(|(i, l)| *first_of.entry((l.digest.as_deref(), l.diff_id.as_str())).or_insert(i)).collect();
    let unique: Vec<&dredge_image::LayerDesc> = img.layers.iter().enumerate().filter(|(i, _)| rep[*i] == *i).map(|(_, l)| l).collect();
    pb.set_length(unique.len() as u64);
    let results: Vec<Result<LayerFacts>> = pool.install(|| {
        unique
            .par_iter()
            .map(|&l| {
                let key = CacheKey::new(&l.diff_id, &fingerprint);
                let found = match cache.as_ref().map(|c| c.get(&key)) {
                    Some(Lookup::Hit(f)) => Some(*f),
                    Some(Lookup::Rejected(why)) => {
                        if let Ok(mut r) = stats.rejected.lock() {
                            r.push(format!("layer {}: cache entry not used ({why}); the layer was analysed again", l.index));
                        }
                        None
                    }
                    Some(Lookup::Miss) | None => None,
                };
                if let Some(mut f) = found {
                    stats.cached.fetch_add(1, Ordering::Relaxed);
                    f.index = l.index;
                    for w in &mut f.warnings {
                        w.layer = Some(l.index);
                    }
                    pb.inc(1);
                    return Ok(f);
                }
                let label = format!("layer {} ({})", l.index, l.digest.as_deref().unwrap_or(&l.diff_id));
                let reader = img.opener.open(l).with_context(|| format!("opening {label}"))?;
                let input = LayerInput {
                    reader,
                    index: l.index,
                    expected_digest: l.digest.clone(),
                    expected_diff_id: Some(l.diff_id.clone()),
                    label: label.clone(),
                    follow: Vec::new(),
                };
                let f = walk_layer(input, &plugins, &budget).map_err(|e| diagnose(img, l, &label, e))?;
                stats.analysed.fetch_add(1, Ordering::Relaxed);
                if let Some(c) = &cache {
                    // A cache that cannot be written costs speed next time, not correctness now.
                    if let Err(e) = c.put(&key, &f) {
                        if !o.quiet {
                            pb.suspend(|| say!("dredge: warning: cannot write the layer cache in {}: {e}", o.cache_dir.display()));
                        }
                    }
                }
                pb.inc(1);
                Ok(f)
            })
            .collect()
    });
    pb.finish_and_clear();
    // Back to image order: a first occurrence moves its facts; only a repeat copies them (from
    // its first occurrence, which comes earlier).
    let mut walked = results.into_iter();
    let mut out: Vec<LayerFacts> = Vec::with_capacity(img.layers.len());
    for (i, l) in img.layers.iter().enumerate() {
        let f = if rep[i] == i {
            walked.next().ok_or_else(|| anyhow!("layer {} was not analysed", l.index))??
        } else {
            let mut f = out[rep[i]].clone();
            f.index = l.index;
            for w in &mut f.warnings {
                w.layer = Some(l.index);
            }
            f
        };
        out.push(f);
    }
    Ok(out)
}

/// Wanted paths that are symlinks to files no extractor read (`lib/apk/db/installed -> real`):
/// the target is looked for from the top layer down (stopping where a layer deletes it) and read
/// by the symlink's extractors in a follow-up walk of that one layer, cached like any layer
/// result. Its facts replace the symlink in the view. Unresolvable links are warnings.
fn follow_links(
    img: &Image,
    view: &mut std::collections::BTreeMap<String, dredge_layer::MergedFile>,
    shapes: &[LayerFacts],
    o: &ScanOptions,
) -> Result<Vec<Warning>> {
    let plugins = PluginSet::new(EXTRACTORS);
    let todo = dredge_layer::links_to_follow(view, &plugins);
    let mut warnings = Vec::new();
    if todo.is_empty() {
        return Ok(warnings);
    }
    let fingerprint = plugins.fingerprint();
    let cache = o.cache.as_ref().and_then(|c| LayerCache::open(c, o.cache_max_bytes).ok());
    let budget = Arc::new(SizeBudget::new(o.max_image_size));
    let warn = |warnings: &mut Vec<Warning>, link: &str, msg: String| {
        warnings.push(Warning { path: Some(format!("/{link}")), layer: None, message: msg });
    };
    for t in todo {
        let (link, mut target) = match t {
            dredge_layer::LinkTarget::Broken { link, why } => {
                warn(&mut warnings, &link, format!("a symlink that cannot be followed inside the image ({why}); not read"));
                continue;
            }
            dredge_layer::LinkTarget::Read { link, target } => (link, target),
        };
        let mut hops = 0;
        let mut done = false;
        let mut seen = std::collections::HashSet::new();
        'restart: while hops <= 40 {
            for (i, l) in img.layers.iter().enumerate().rev() {
                let key = CacheKey::new(&l.diff_id, &format!("{fingerprint}\nfollow {target} as {link}"));
                let found = match cache.as_ref().map(|c| c.get(&key)) {
                    Some(Lookup::Hit(f)) => *f,
                    _ => {
                        let label = format!("layer {} ({})", l.index, l.digest.as_deref().unwrap_or(&l.diff_id));
                        let reader = match img.opener.open(l) {
                            Ok(r) => r,
                            Err(e) => {
                                warn(&mut warnings, &link, format!("a symlink to /{target}, which could not be read: {e}"));
                                done = true;
                                break 'restart;
                            }
                        };
                        let input = LayerInput {
                            reader,
                            index: l.index,
                            expected_digest: l.digest.clone(),
                            expected_diff_id: Some(l.diff_id.clone()),
                            label,
                            follow: vec![(target.clone(), link.clone())],
                        };
                        let f = walk_layer(input, &plugins, &budget)?;
                        if let Some(c) = &cache {
                            let _ = c.put(&key, &f);
                        }
                        f
                    }
                };
                warnings.extend(found.warnings.iter().cloned().map(|mut w| {
                    w.layer = Some(l.index);
                    w
                }));
                match found.followed.get(&link).map(|f| (&f.kind, &f.facts)) {
                    Some((dredge_layer::EntryKind::Symlink { target: next }, _)) => {
                        hops += 1;
                        match dredge_layer::path::resolve_link(&target, next) {
                            Some(n) if view.get(&n).is_some_and(|m| !matches!(m.kind, dredge_layer::EntryKind::Symlink { .. })) => {
                                // The chain ends at a wanted file the walk read already.
                                done = true;
                                break 'restart;
                            }
                            Some(n) if seen.insert(n.clone()) && n != link => {
                                target = n;
                                continue 'restart;
                            }
                            Some(_) => break 'restart, // a loop
                            None => break 'restart,
                        }
                    }
                    Some((_, facts)) => {
                        view.insert(
                            link.clone(),
                            dredge_layer::MergedFile { layer: l.index, kind: dredge_layer::EntryKind::File, facts: facts.clone() },
                        );
                        done = true;
                        break 'restart;
                    }
                    None => {}
                }
                if shapes.get(i).is_some_and(|s| dredge_layer::deletes(&s.whiteouts, &s.opaque_dirs, &target)) {
                    break;
                }
            }
            break;
        }
        if !done {
            warn(&mut warnings, &link, format!("a symlink to /{target}, which is not in the image (or a loop); not read"));
        }
    }
    Ok(warnings)
}

/// A layer that failed to decompress or parse may simply have been tampered with: when the
/// blob's digest is known, hash it again so the error names the real cause.
fn diagnose(img: &Image, l: &dredge_image::LayerDesc, label: &str, e: dredge_layer::LayerError) -> anyhow::Error {
    if matches!(e, dredge_layer::LayerError::Io { .. } | dredge_layer::LayerError::NotTar { .. }) {
        if let (Some(expected), Ok(mut r)) = (l.digest.as_deref(), img.opener.open(l)) {
            use sha2::Digest;
            let mut h = sha2::Sha256::new();
            let mut buf = vec![0u8; 1 << 16];
            let mut intact = true;
            loop {
                match std::io::Read::read(&mut r, &mut buf) {
                    Ok(0) => break,
                    Ok(n) => h.update(&buf[..n]),
                    Err(_) => {
                        intact = false;
                        break;
                    }
                }
            }
            let actual = format!("sha256:{}", hex::encode(h.finalize()));
            if intact && !actual.eq_ignore_ascii_case(expected) {
                return anyhow!(dredge_layer::LayerError::DigestMismatch {
                    layer: label.to_string(),
                    expected: expected.to_string(),
                    actual
                });
            }
        }
    }
    anyhow!(e)
}

pub fn today() -> String {
    let d = time::OffsetDateTime::now_utc().date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

fn collect_warnings(layers: &[LayerFacts], mut inv_warnings: Vec<Warning>) -> Vec<Warning> {
    let mut w: Vec<Warning> = layers.iter().flat_map(|l| l.warnings.iter().cloned()).collect();
    w.append(&mut inv_warnings);
    w.sort();
    w.dedup();
    w
}

pub fn scan_image(spec: &TargetSpec, target: &str, o: &ScanOptions) -> Result<ScanReport> {
    let (img, client) = resolve(spec, target, o)?;
    let stats = Stats::default();
    let mut layers = analyse(&img, o, &stats)?;
    // What content scanners found is taken out of every layer before the merge: a deleted file's
    // secret still ships with the image.
    let content = take_content(&mut layers, &|f| o.scanners.iter().any(|s| s.owns(f)));
    // Warnings first, then the facts are moved into the merged view (held once, not copied).
    // The whiteouts stay too: following a symlink needs to know which layer deleted its target.
    let mut layer_warnings: Vec<LayerFacts> = layers
        .iter_mut()
        .map(|l| LayerFacts {
            warnings: std::mem::take(&mut l.warnings),
            whiteouts: l.whiteouts.clone(),
            opaque_dirs: l.opaque_dirs.clone(),
            ..Default::default()
        })
        .collect();
    let mut view = dredge_layer::merge_owned(layers);
    let follow_warnings = follow_links(&img, &mut view, &layer_warnings, o)?;
    if let Some(top) = layer_warnings.last_mut() {
        top.warnings.extend(follow_warnings);
    }
    let layers = layer_warnings;
    let refs: Vec<LayerRef> = img
        .layers
        .iter()
        .map(|l| LayerRef { index: l.index, digest: l.digest.clone(), diff_id: l.diff_id.clone(), created_by: l.created_by.clone() })
        .collect();
    let mut inv = assemble(&view, &refs, &today());
    inv.warnings = collect_warnings(&layers, std::mem::take(&mut inv.warnings));
    for message in stats.rejected.lock().map(|mut r| std::mem::take(&mut *r)).unwrap_or_default() {
        inv.warnings.push(Warning { path: None, layer: None, message });
    }
    if o.debug {
        for n in &img.notes {
            say!("dredge: debug: {n}");
        }
        say!(
            "dredge: debug: layers analysed {}, from cache {}{}",
            stats.analysed.load(Ordering::Relaxed),
            stats.cached.load(Ordering::Relaxed),
            client
                .map(|c| {
                    let s = c.stats();
                    format!(
                        "; registry requests: manifests {}, blobs {}, tokens {}",
                        s.manifests.load(Ordering::Relaxed),
                        s.blobs.load(Ordering::Relaxed),
                        s.tokens.load(Ordering::Relaxed)
                    )
                })
                .unwrap_or_default()
        );
    }
    let t = Target {
        name: target.to_string(),
        kind: "image",
        source: img.source.as_str().to_string(),
        image_id: Some(img.config_digest.clone()),
        manifest_digest: img.manifest_digest.clone(),
        repo_digests: img.repo_digests.clone(),
        tags: img.tags.clone(),
        platform: Some(img.platform().to_string()),
        layers: img
            .layers
            .iter()
            .map(|l| LayerInfo {
                index: l.index,
                digest: l.digest.clone(),
                diff_id: l.diff_id.clone(),
                size: l.size,
                created_by: l.created_by.clone(),
            })
            .collect(),
    };
    let mut r = ScanReport::new(t, inv, dredge_report::now_rfc3339());
    let config: serde_json::Value = serde_json::from_str(&img.config_raw).unwrap_or_default();
    run_scanners(&mut r, &o.scanners, Some(&config), &refs, &content)?;
    Ok(r)
}

pub fn scan_rootfs(dir: &str, scanners: &[Box<dyn Scanner>]) -> Result<ScanReport> {
    scan_dir(dir, scanners, None, false)
}

/// `dredge config PATH`: configuration files only (no packages). A directory is walked like a
/// source tree and each scanner's content scanner picks its files by name; a file is given to
/// every content scanner as is (the user named it).
pub fn scan_config(path: &str, scanners: &[Box<dyn Scanner>], skip: &Skip) -> Result<ScanReport> {
    let meta = std::fs::metadata(path).with_context(|| format!("reading {path}"))?;
    if meta.is_dir() {
        return scan_dir(path, scanners, Some(skip), true);
    }
    let name = std::path::Path::new(path).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.to_string());
    let mut content = Vec::new();
    let mut warnings = Vec::new();
    // One read, as large as the most generous content scanner accepts.
    let limit = scanners.iter().filter_map(|s| s.content()).map(|c| c.max_file_size()).max().unwrap_or(0);
    let mut data = Vec::new();
    let f = std::fs::File::open(path).with_context(|| format!("reading {path}"))?;
    std::io::Read::read_to_end(&mut std::io::Read::take(f, limit + 1), &mut data).with_context(|| format!("reading {path}"))?;
    for c in scanners.iter().filter_map(|s| s.content()) {
        if data.len() as u64 > c.max_file_size() {
            warnings.push(Warning {
                path: Some(path.to_string()),
                layer: None,
                message: format!("larger than the {} MiB limit for {}; not checked", c.max_file_size() >> 20, c.name()),
            });
            continue;
        }
        for fact in c.scan_named(&name, &data) {
            match fact {
                dredge_model::Fact::Problem { message } => warnings.push(Warning { path: Some(path.to_string()), layer: None, message }),
                fact => content.push(ContentFact { layer: 0, path: path.to_string(), fact, removed_in: None }),
            }
        }
    }
    let mut inv = assemble(&merge(&[]), &[], &today());
    inv.warnings = warnings;
    let mut r = ScanReport::new(local_target(path, "config", "file"), inv, dredge_report::now_rfc3339());
    run_scanners(&mut r, scanners, None, &[], &content)?;
    Ok(r)
}

/// A target that is not an image: a directory, a file, an SBOM.
pub(crate) fn local_target(name: &str, kind: &'static str, source: &str) -> Target {
    Target {
        name: name.to_string(),
        kind,
        source: source.into(),
        image_id: None,
        manifest_digest: None,
        repo_digests: vec![],
        tags: vec![],
        platform: None,
        layers: vec![],
    }
}

/// What `dredge fs` leaves out of a source tree: version-control directories always, and the
/// user's `--skip-dirs`/`--skip-files` globs (matched against the path relative to the root).
pub struct Skip {
    pub dirs: Vec<regex::Regex>,
    pub files: Vec<regex::Regex>,
}

impl Skip {
    /// Version-control metadata holds no dependencies, only history (secrets in history are a
    /// repository scanner's job, not a tree's).
    const VCS: &'static [&'static str] = &[".git", ".hg", ".svn"];

    /// `root` is the scanned directory: `./vendor` and `/abs/path/to/root/vendor` mean `vendor`.
    pub fn new(root: &str, dirs: &[String], files: &[String]) -> Result<Skip> {
        let root_abs = std::path::absolute(root).ok();
        let compile = |g: &String| {
            let mut g = g.trim_end_matches('/').to_string();
            if let Some(r) = &root_abs {
                if let Ok(rel) = std::path::Path::new(&g).strip_prefix(r) {
                    g = rel.to_string_lossy().into_owned();
                }
            }
            while let Some(rest) = g.strip_prefix("./") {
                g = rest.to_string();
            }
            regex::Regex::new(&dredge_secret::glob_to_regex(&g)).with_context(|| format!("--skip pattern {g:?}"))
        };
        Ok(Skip { dirs: dirs.iter().map(compile).collect::<Result<_>>()?, files: files.iter().map(compile).collect::<Result<_>>()? })
    }

    /// Is `path` (a file) or one of the directories above it left out?
    fn covers(&self, path: &str) -> bool {
        let mut dir = path;
        while let Some((parent, _)) = dir.rsplit_once('/') {
            if self.skips(parent, true) {
                return true;
            }
            dir = parent;
        }
        self.skips(path, false)
    }

    fn skips(&self, path: &str, is_dir: bool) -> bool {
        if is_dir {
            let name = path.rsplit('/').next().unwrap_or(path);
            Self::VCS.contains(&name) || self.dirs.iter().any(|r| r.is_match(path))
        } else {
            self.files.iter().any(|r| r.is_match(path))
        }
    }
}

/// `dredge fs`: a source tree (a repository checkout): its lockfiles, manifests, binaries and
/// secrets, read as `rootfs` reads a root filesystem, minus what `skip` leaves out.
pub fn scan_fs(dir: &str, scanners: &[Box<dyn Scanner>], skip: &Skip) -> Result<ScanReport> {
    scan_dir(dir, scanners, Some(skip), false)
}

/// `config_only`: no extractors, only the scanners' content scanners (`dredge config`).
fn scan_dir(dir: &str, scanners: &[Box<dyn Scanner>], skip: Option<&Skip>, config_only: bool) -> Result<ScanReport> {
    let plugins = if config_only { plugins_with(&[], scanners) } else { plugin_set(scanners) };
    let what = if skip.is_some() { "directory" } else { "root filesystem" };
    let mut facts = walk_dir_skipping(std::path::Path::new(dir), &plugins, &|p, d| skip.is_some_and(|sk| sk.skips(p, d)))
        .with_context(|| format!("reading {what} {dir}"))?;
    let content = take_content(std::slice::from_mut(&mut facts), &|f| scanners.iter().any(|s| s.owns(f)));
    let layers = vec![facts];
    let mut view = merge(&layers);
    let mut link_warnings = Vec::new();
    let root = std::path::Path::new(dir);
    for t in dredge_layer::links_to_follow(&view, &plugins) {
        match t {
            // In a source tree, a link into what is left out (`.git`, --skip-dirs) is not read.
            dredge_layer::LinkTarget::Read { link, target } if skip.is_some_and(|sk| sk.covers(&target)) => link_warnings.push(Warning {
                path: Some(format!("/{link}")),
                layer: None,
                message: format!("a symlink to /{target}, which is in a skipped directory (.git, .hg, .svn or --skip-dirs); not read"),
            }),
            dredge_layer::LinkTarget::Read { link, target } => match dredge_layer::read_link_target(root, &link, &target, &plugins) {
                Ok(ff) => {
                    view.insert(link, dredge_layer::MergedFile { layer: 0, kind: dredge_layer::EntryKind::File, facts: ff.facts });
                }
                Err(why) => link_warnings.push(Warning {
                    path: Some(format!("/{link}")),
                    layer: None,
                    message: format!("a symlink to /{target}, which cannot be read inside the root ({why}); not read"),
                }),
            },
            dredge_layer::LinkTarget::Broken { link, why } => link_warnings.push(Warning {
                path: Some(format!("/{link}")),
                layer: None,
                message: format!(
                    "a symlink that cannot be followed inside the root ({}); not read",
                    if skip.is_some() { why.replace("not in the image", "not in the tree (or left out)") } else { why }
                ),
            }),
        }
    }
    let mut inv = assemble(&view, &[], &today());
    inv.warnings = collect_warnings(&layers, std::mem::take(&mut inv.warnings));
    inv.warnings.extend(link_warnings);
    // A directory has no layers to name.
    inv.warnings.iter_mut().for_each(|w| w.layer = None);
    let kind = if config_only {
        "config"
    } else if skip.is_some() {
        "filesystem"
    } else {
        "rootfs"
    };
    let mut r = ScanReport::new(local_target(dir, kind, "directory"), inv, dredge_report::now_rfc3339());
    run_scanners(&mut r, scanners, None, &[], &content)?;
    Ok(r)
}
