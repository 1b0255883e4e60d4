//! Test builders: layer tars with any entry (including the hostile ones real tools refuse to
//! write: `../` paths, absolute paths, device files, whiteouts), and docker archives or OCI
//! layouts around them, with correct or deliberately wrong digests.

use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;

pub fn sha256(b: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(b)))
}

/// One tar entry.
#[derive(Clone, Debug)]
pub enum Entry {
    File(String, Vec<u8>),
    /// A regular file with these permission bits (`0o4755`: setuid).
    Mode(String, u32, Vec<u8>),
    Dir(String),
    Symlink(String, String),
    Hardlink(String, String),
    CharDevice(String),
    /// A regular file whose header claims `size` bytes but that carries only `data`.
    Lying(String, u64, Vec<u8>),
    /// A regular file preceded by a PAX extended header whose `size` record is the data's real
    /// length while the ustar header's size field says `header_size` (tar readers use the PAX
    /// value).
    PaxSize(String, u64, Vec<u8>),
}

impl Entry {
    pub fn file(path: &str, data: impl AsRef<[u8]>) -> Entry {
        Entry::File(path.into(), data.as_ref().to_vec())
    }
}

fn header(path: &str, kind: tar::EntryType, size: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    // Write the name bytes directly: `set_path` refuses `..`, which is exactly what we test.
    let name = path.as_bytes();
    let old = h.as_old_mut();
    let n = name.len().min(old.name.len());
    old.name[..n].copy_from_slice(&name[..n]);
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(if kind == tar::EntryType::Directory { 0o755 } else { 0o644 });
    h.set_mtime(1_700_000_000);
    h.set_cksum();
    h
}

/// A layer tar, uncompressed.
pub fn layer_tar(entries: &[Entry]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let r = match e {
            Entry::File(p, d) => b.append(&header(p, tar::EntryType::Regular, d.len() as u64), d.as_slice()),
            Entry::Mode(p, mode, d) => {
                let mut h = header(p, tar::EntryType::Regular, d.len() as u64);
                h.set_mode(*mode);
                h.set_cksum();
                b.append(&h, d.as_slice())
            }
            Entry::Dir(p) => b.append(&header(p, tar::EntryType::Directory, 0), std::io::empty()),
            Entry::Symlink(p, t) | Entry::Hardlink(p, t) => {
                let kind = if matches!(e, Entry::Symlink(..)) { tar::EntryType::Symlink } else { tar::EntryType::Link };
                let mut h = header(p, kind, 0);
                let old = h.as_old_mut();
                let n = t.len().min(old.linkname.len());
                old.linkname[..n].copy_from_slice(&t.as_bytes()[..n]);
                h.set_cksum();
                b.append(&h, std::io::empty())
            }
            Entry::CharDevice(p) => b.append(&header(p, tar::EntryType::Char, 0), std::io::empty()),
            Entry::PaxSize(p, header_size, d) => {
                let body = pax_record("size", &d.len().to_string());
                let mut x = header("PaxHeaders/x", tar::EntryType::XHeader, body.len() as u64);
                x.set_cksum();
                let out = b.get_mut();
                out.extend_from_slice(x.as_bytes());
                out.extend_from_slice(&body);
                pad(out);
                // The file header: a size field that lies (an octal field holds at most 8 GiB - 1).
                let mut h = header(p, tar::EntryType::Regular, 0);
                h.as_old_mut().size.copy_from_slice(format!("{:011o}\0", (*header_size).min(0o77777777777)).as_bytes());
                h.set_cksum();
                out.extend_from_slice(h.as_bytes());
                out.extend_from_slice(d);
                pad(out);
                Ok(())
            }
            Entry::Lying(p, size, d) => {
                // Header and the short data, without padding: the archive ends mid-file.
                let h = header(p, tar::EntryType::Regular, *size);
                let out = b.get_mut();
                out.extend_from_slice(h.as_bytes());
                out.extend_from_slice(d);
                return out_lying(b);
            }
        };
        r.expect("writing to a Vec cannot fail");
    }
    b.into_inner().expect("writing to a Vec cannot fail")
}

/// One PAX record: `<len> key=value\n`, where `<len>` counts the whole record including itself.
fn pax_record(key: &str, value: &str) -> Vec<u8> {
    let rest = format!(" {key}={value}\n");
    let mut n = rest.len() + 1;
    while format!("{n}{rest}").len() != n {
        n += 1;
    }
    format!("{n}{rest}").into_bytes()
}

fn pad(out: &mut Vec<u8>) {
    let rem = out.len() % 512;
    if rem != 0 {
        out.resize(out.len() + 512 - rem, 0);
    }
}

fn out_lying(b: tar::Builder<Vec<u8>>) -> Vec<u8> {
    // Do not let the builder append end-of-archive blocks after the truncated entry.
    let mut b = std::mem::ManuallyDrop::new(b);
    std::mem::take(b.get_mut())
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::fast());
    e.write_all(data).expect("in memory");
    e.finish().expect("in memory")
}

/// A layer as stored: the blob bytes and the diff_id the config should list.
#[derive(Clone, Debug)]
pub struct Layer {
    pub blob: Vec<u8>,
    pub diff_id: String,
    pub created_by: String,
}

impl Layer {
    pub fn gz(entries: &[Entry], created_by: &str) -> Layer {
        let tar = layer_tar(entries);
        Layer { diff_id: sha256(&tar), blob: gzip(&tar), created_by: created_by.into() }
    }
    pub fn plain(entries: &[Entry], created_by: &str) -> Layer {
        let tar = layer_tar(entries);
        Layer { diff_id: sha256(&tar), blob: tar, created_by: created_by.into() }
    }
    pub fn zstd(entries: &[Entry], created_by: &str) -> Layer {
        let tar = layer_tar(entries);
        Layer { diff_id: sha256(&tar), blob: zstd::encode_all(tar.as_slice(), 3).expect("in memory"), created_by: created_by.into() }
    }
    /// Arbitrary blob bytes with an explicit diff_id (for corrupt and tampered layers).
    pub fn raw(blob: Vec<u8>, diff_id: &str) -> Layer {
        Layer { blob, diff_id: diff_id.into(), created_by: "raw".into() }
    }
}

pub fn config(layers: &[Layer], arch: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "architecture": arch,
        "os": "linux",
        "config": {"Env": ["PATH=/usr/bin"], "Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": layers.iter().map(|l| l.diff_id.clone()).collect::<Vec<_>>()},
        "history": layers.iter().map(|l| json!({"created_by": l.created_by})).collect::<Vec<_>>(),
    }))
    .expect("json")
}

/// Writes an OCI image layout with one image tagged `tag`. `tamper` lets a test change a blob
/// after its digest was computed.
pub fn oci_layout(dir: &Path, layers: &[Layer], tag: &str, tamper: impl Fn(&str, &mut Vec<u8>)) {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).expect("mkdir");
    let put = |bytes: &[u8]| -> (String, usize) {
        let d = sha256(bytes);
        let mut b = bytes.to_vec();
        tamper(&d, &mut b);
        std::fs::write(blobs.join(d.trim_start_matches("sha256:")), &b).expect("write blob");
        (d, bytes.len())
    };
    let cfg = config(layers, "amd64");
    let (cd, cs) = put(&cfg);
    let mut ls = Vec::new();
    for l in layers {
        let (d, s) = put(&l.blob);
        ls.push(json!({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": s}));
    }
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
        "layers": ls,
    }))
    .expect("json");
    let (md, ms) = put(&manifest);
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).expect("write");
    std::fs::write(
        dir.join("index.json"),
        serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": ms,
            "annotations": {"org.opencontainers.image.ref.name": tag}}]}))
        .expect("json"),
    )
    .expect("write");
}

/// Writes a docker-save archive (legacy layout: `<n>/layer.tar`) with one image.
pub fn docker_archive(path: &Path, layers: &[Layer], tag: &str) {
    let mut b = tar::Builder::new(Vec::new());
    let mut add = |name: &str, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_path(name).expect("valid name");
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append(&h, data).expect("in memory");
    };
    let cfg = config(layers, "amd64");
    let cfg_name = format!("{}.json", sha256(&cfg).trim_start_matches("sha256:"));
    add(&cfg_name, &cfg);
    let mut names = Vec::new();
    for (i, l) in layers.iter().enumerate() {
        let n = format!("layer{i}/layer.tar");
        add(&n, &l.blob);
        names.push(n);
    }
    let manifest = serde_json::to_vec(&json!([{"Config": cfg_name, "RepoTags": [tag], "Layers": names}])).expect("json");
    add("manifest.json", &manifest);
    std::fs::write(path, b.into_inner().expect("in memory")).expect("write archive");
}

/// The Alpine 3.9 installed database with the given packages (name, version).
pub fn apk_db(pkgs: &[(&str, &str)]) -> String {
    pkgs.iter().map(|(n, v)| format!("P:{n}\nV:{v}\nA:x86_64\n\n")).collect()
}

/// Checks that the `<!-- tag -->` … `<!-- /tag -->` section of the doc at `path` is `want` (a
/// generated list); with `DREDGE_UPDATE_DOCS` set, rewrites a stale section instead. `how` tells
/// the reader of a failure what to run.
#[allow(clippy::panic)]
pub fn check_doc_section(path: &std::path::Path, tag: &str, want: &str, how: &str) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let (start, end) = (format!("<!-- {tag} -->\n"), format!("<!-- /{tag} -->"));
    let (Some(a), Some(b)) = (text.find(&start), text.find(&end)) else { panic!("{} has no {start:?} section", path.display()) };
    let have = &text[a + start.len()..b];
    if have != want && std::env::var_os("DREDGE_UPDATE_DOCS").is_some() {
        std::fs::write(path, format!("{}{want}{}", &text[..a + start.len()], &text[b..])).expect("write docs");
        return;
    }
    assert_eq!(have, want, "{} is stale: run {how}", path.display());
}
