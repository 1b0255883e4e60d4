//! Fuzz targets for every parser of untrusted input, and a small mutation engine to drive them on
//! stable Rust (CI runs it for a bounded time; see docs/architecture.md, "Fuzzing").
//!
//! Each target takes arbitrary bytes and must return without panicking, hanging or using
//! unbounded memory, whatever the bytes are. The targets are plain functions so that a
//! coverage-guided driver (cargo-fuzz on nightly) can call them unchanged.

use dredge_extract::EXTRACTORS;
use dredge_layer::{LayerInput, PluginSet, SizeBudget, walk_layer};
use std::io::Cursor;
use std::sync::{Arc, OnceLock};

/// The targets, by name.
pub const TARGETS: &[&str] = &["layer", "archive", "extractors", "secret", "image-json", "advisory", "dockerfile", "manifest", "license"];

fn secrets() -> &'static dredge_secret::Scanner {
    static S: OnceLock<dredge_secret::Scanner> = OnceLock::new();
    S.get_or_init(|| dredge_secret::Scanner::builtin().expect("the built-in rules compile"))
}

/// One layer blob (tar, gzip or zstd) through the whole walk: every extractor, the secret
/// scanner, whiteouts, links, digests; under a 64 MiB budget.
pub fn layer(data: &[u8]) {
    let plugins = PluginSet::new(EXTRACTORS).with_content(secrets());
    let budget = Arc::new(SizeBudget::new(64 << 20));
    let input = LayerInput {
        reader: Cursor::new(data),
        index: 0,
        expected_digest: None,
        expected_diff_id: None,
        label: "fuzz".into(),
        follow: Vec::new(),
    };
    if let Ok(facts) = walk_layer(input, &plugins, &budget) {
        let view = dredge_layer::merge(std::slice::from_ref(&facts));
        let _ = dredge_layer::links_to_follow(&view, &plugins);
        let _ = dredge_extract::assemble(&view, &[], "2026-01-01");
    }
}

/// A whole local image archive (docker save or OCI archive, possibly compressed): the outer tar
/// index, manifest.json / index.json, configs, then every layer.
pub fn archive(data: &[u8]) {
    let Ok(dir) = tempfile::tempdir() else { return };
    let path = dir.path().join("image.tar");
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let opts = dredge_image::OpenOptions { platform: None, spool_dir: dir.path().join("spool"), max_bytes: 64 << 20, config_dir: None };
    let Ok(img) = dredge_image::open_local(None, &path.display().to_string(), &opts) else { return };
    let plugins = PluginSet::new(EXTRACTORS);
    let budget = Arc::new(SizeBudget::new(64 << 20));
    for l in img.layers.iter().take(8) {
        let Ok(reader) = img.opener.open(l) else { continue };
        let input = LayerInput {
            reader,
            index: l.index,
            expected_digest: l.digest.clone(),
            expected_diff_id: Some(l.diff_id.clone()),
            label: format!("layer {}", l.index),
            follow: Vec::new(),
        };
        let _ = walk_layer(input, &plugins, &budget);
    }
}

/// One file given to every extractor that wants `path` (package databases, lockfiles, archives,
/// metadata), and to the ELF extractors when it is an ELF file.
pub fn extractors(path: &str, data: &[u8]) {
    let plugins = PluginSet::new(EXTRACTORS);
    let mut wanted = Vec::new();
    plugins.wanted_by(path, &mut wanted);
    for &i in &wanted {
        let p = plugins.get(i);
        if data.len() as u64 <= p.max_file_size() {
            let _ = p.extract(path, data);
        }
    }
    if data.starts_with(b"\x7fELF") {
        if let Ok(dredge_layer::elf::Sniffed::Elf(bin)) = dredge_layer::elf::sniff_elf(&mut Cursor::new(data), data.len() as u64) {
            for &i in plugins.elf() {
                let _ = plugins.get(i).extract_binary(path, &bin);
            }
        }
    }
}

/// The secret scanner on one file, whole and streamed in chunks.
pub fn secret(path: &str, data: &[u8]) {
    use dredge_layer::ContentScanner;
    let s = secrets();
    let _ = s.scan_bytes(path, data);
    let _ = s.scan_stream(path, &mut Cursor::new(data));
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = dredge_secret::image::scan_config(s, &v);
    }
}

/// The JSON documents of images: manifests, indexes, configs, docker save's manifest.json.
pub fn image_json(data: &[u8]) {
    if let Ok(m) = serde_json::from_slice::<dredge_image::spec::ManifestDoc>(data) {
        let _ = m.is_index();
    }
    if let Ok(c) = serde_json::from_slice::<dredge_image::ImageConfig>(data) {
        let _ = c.platform();
        let _ = c.layer_history();
    }
    // The misconfiguration checks read the config and history as JSON values.
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = dredge_misconfig::check_config(&v);
        let _ = dredge_misconfig::redactions(&v);
    }
    let _ = serde_json::from_slice::<Vec<dredge_image::spec::ArchiveEntry>>(data);
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = dredge_image::Reference::parse(s.trim());
        let _ = dredge_image::Platform::parse(s.trim());
        let _ = dredge_image::registry::parse_challenge(s);
    }
}

/// Advisory sources: the XML feeds (Amazon's updateinfo.xml, Oracle's OVAL), streamed, and an
/// OSV record as JSON.
pub fn advisory(data: &[u8]) {
    if let Some(kind) = dredge_vulndb::feeds::sniff(data) {
        let mut n = 0usize;
        let _ = dredge_vulndb::feeds::read(kind, data, &mut |a| {
            n += 1;
            for aff in &a.affected {
                let _ = dredge_vulndb::severity::rate(&a, aff);
            }
            Ok(())
        });
    }
    if let Ok(a) = serde_json::from_slice::<dredge_vulndb::Advisory>(data) {
        let _ = dredge_vulndb::severity::cve_cvss(&a);
    }
}

/// A Dockerfile: the parser and every check, as the layer pass and `dredge config` run them.
pub fn dockerfile(data: &[u8]) {
    let _ = dredge_misconfig::dockerfile_facts("Dockerfile", data, None);
}

/// A Kubernetes manifest (multi-document YAML or JSON): the parser, its budget and every check.
pub fn manifest(data: &[u8]) {
    let _ = dredge_misconfig::manifest_facts("pod.yaml", data, None);
}

/// A declared license (normalised, classified, put in an SBOM's form), a Debian copyright file,
/// and a license text (identified).
pub fn license(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let first = text.lines().next().unwrap_or("");
    if let Some(n) = dredge_model::license::normalise(first) {
        assert!(dredge_model::license::valid(&n.expression), "{first:?} normalised to an invalid expression {:?}", n.expression);
        let _ = dredge_license::classify::Classifier::default().expression(&n.expression);
    }
    use dredge_layer::Extractor;
    let _ = dredge_extract::os::dpkg_copyright::DpkgCopyright.extract("usr/share/doc/x/copyright", data);
    let _ = dredge_license::detect::identify(data);
}

/// Runs a target by name; `path` is the file name the input stands for (extractors, secret).
pub fn run(target: &str, path: &str, data: &[u8]) {
    match target {
        "layer" => layer(data),
        "archive" => archive(data),
        "extractors" => extractors(path, data),
        "secret" => secret(path, data),
        "image-json" => image_json(data),
        "advisory" => advisory(data),
        "dockerfile" => dockerfile(data),
        "manifest" => manifest(data),
        "license" => license(data),
        _ => {}
    }
}

/// Corpus file names stand for image paths: `lib__apk__db__installed` is `lib/apk/db/installed`.
pub fn path_of(file_name: &str) -> String {
    file_name.replace("__", "/")
}

/// xorshift64*: a tiny deterministic generator (a run is reproduced from its seed).
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next_u64() % n as u64) as usize }
    }
}

const TOKENS: &[&[u8]] = &[
    b"0",
    b"-1",
    b"4294967296",
    b"18446744073709551615",
    b"99999999999999999999",
    b"NaN",
    b"\"",
    b"{",
    b"[",
    b"]}",
    b"../",
    b"/",
    b"\0",
    b"\n",
    b"\xff\xfe",
    b"%",
    b"*&a",
    b"&a [*a, *a, *a]",
    b".wh.",
    b".wh..wh..opq",
    b"-----BEGIN RSA PRIVATE KEY-----",
    b"AKIA",
    b"\x1f\x8b",
    b"\x28\xb5\x2f\xfd",
];

/// Mutates `data` with 1–4 operations: bit flips, interesting bytes and tokens, insertions,
/// deletions, duplications, truncation, splicing with `other`, and tar-header edits (size, type,
/// names) with the checksum fixed so the reader gets past it.
pub fn mutate(rng: &mut Rng, data: &[u8], other: &[u8]) -> Vec<u8> {
    let mut d = data.to_vec();
    for _ in 0..1 + rng.below(4) {
        let len = d.len();
        match rng.below(10) {
            0 if len > 0 => {
                let i = rng.below(len);
                d[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                d[i] = [0u8, 0xff, 0x7f, 0x80, b'0', b'7', b' '][rng.below(7)];
            }
            2 => {
                let i = rng.below(len + 1);
                let n = 1 + rng.below(64);
                let bytes: Vec<u8> = (0..n).map(|_| rng.next_u64() as u8).collect();
                d.splice(i..i, bytes);
            }
            3 if len > 0 => {
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(4096));
                d.drain(i..i + n);
            }
            4 if len > 0 => {
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(4096));
                let chunk = d[i..i + n].to_vec();
                let at = rng.below(len + 1);
                for _ in 0..1 + rng.below(4) {
                    d.splice(at..at, chunk.iter().copied());
                }
            }
            5 if len > 0 => d.truncate(rng.below(len)),
            6 if !other.is_empty() => {
                let keep = rng.below(len + 1);
                d.truncate(keep);
                let from = rng.below(other.len());
                d.extend_from_slice(&other[from..]);
            }
            7 => {
                let t = TOKENS[rng.below(TOKENS.len())];
                let i = rng.below(len + 1);
                if rng.below(2) == 0 || i + t.len() > len {
                    d.splice(i..i, t.iter().copied());
                } else {
                    d[i..i + t.len()].copy_from_slice(t);
                }
            }
            _ => tar_edit(rng, &mut d),
        }
        if d.len() > 8 << 20 {
            d.truncate(8 << 20);
        }
    }
    d
}

/// Edits one ustar header of a tar in place (size, type flag, name, link name, mode) and fixes
/// its checksum.
fn tar_edit(rng: &mut Rng, d: &mut [u8]) {
    let headers: Vec<usize> =
        (0..d.len() / 512).map(|b| b * 512).filter(|&o| d.len() >= o + 512 && &d[o + 257..o + 262] == b"ustar").collect();
    if headers.is_empty() {
        return;
    }
    let o = headers[rng.below(headers.len())];
    let h = &mut d[o..o + 512];
    match rng.below(6) {
        0 => {
            let sizes = ["00000000000\0", "77777777777\0", "00000001000\0", "0000000000x\0", "\u{80}0000000000\0"];
            let s = sizes[rng.below(sizes.len())].as_bytes();
            h[124..124 + s.len().min(12)].copy_from_slice(&s[..s.len().min(12)]);
        }
        1 => h[156] = b"012345678xgLKSD\0"[rng.below(16)],
        2 => {
            let names: &[&[u8]] = &[b"../../etc/passwd", b"/abs/path", b"lib/apk/db/installed", b"a/.wh..wh..opq", b"a/.wh.b", b"./", b""];
            let n = names[rng.below(names.len())];
            h[..100].fill(0);
            h[..n.len()].copy_from_slice(n);
        }
        3 => {
            let links: &[&[u8]] = &[b"../../../../etc/shadow", b"/", b"lib/apk/db/installed", b"self", b""];
            let n = links[rng.below(links.len())];
            h[157..257].fill(0);
            h[157..157 + n.len()].copy_from_slice(n);
        }
        4 => h[100..108].copy_from_slice(b"0007777\0"),
        _ => {
            let i = rng.below(512);
            h[i] = rng.next_u64() as u8;
        }
    }
    h[148..156].fill(b' ');
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    let s = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(s.as_bytes());
}
