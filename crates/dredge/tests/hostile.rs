//! Hostile and broken images: each is a clear error naming what and where (exit code 2) or a
//! warning on the one file, never a panic; memory stays bounded; nothing is written outside the
//! cache directory.
#![allow(clippy::panic, clippy::unwrap_used)]

mod common;
use common::*;
use dredge_testkit::{Entry, Layer, apk_db, docker_archive, gzip, layer_tar, oci_layout, sha256};
use std::path::Path;

fn ok_db() -> String {
    apk_db(&[("musl", "1.2.5-r0"), ("busybox", "1.36.1-r29")])
}

fn base() -> Layer {
    Layer::gz(
        &[Entry::Dir("lib/apk/db".into()), Entry::file("lib/apk/db/installed", ok_db()), Entry::file("etc/alpine-release", "3.20.3\n")],
        "base",
    )
}

fn run_layout(layers: &[Layer], tamper: impl Fn(&str, &mut Vec<u8>)) -> (Run, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let layout = dir.path().join("layout");
    oci_layout(&layout, layers, "t", tamper);
    let cache = dir.path().join("cache");
    let r = dredge_in(&cache, &["image", &format!("oci-dir:{}", layout.display()), "--format", "json", "--image-src", "registry"]);
    (r, dir)
}

fn expect_error(r: &Run, needles: &[&str]) {
    assert_eq!(r.code, 2, "exit code 2 expected\nstdout:{}\nstderr:{}", r.stdout, r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    assert_eq!(r.stderr.lines().filter(|l| l.starts_with("dredge: error:")).count(), 1, "one error line: {}", r.stderr);
    for n in needles {
        assert!(r.stderr.contains(n), "stderr should mention {n:?}: {}", r.stderr);
    }
}

fn no_tamper(_: &str, _: &mut Vec<u8>) {}

#[test]
fn compression_is_found_by_magic_not_media_type() {
    // The layout labels every layer tar+gzip; these are zstd, gzip and plain.
    let z = Layer::zstd(&[Entry::file("lib/apk/db/installed", apk_db(&[("zstd-pkg", "1-r0")]))], "zstd layer");
    let g = Layer::gz(&[Entry::file("etc/alpine-release", "3.20.3\n")], "gzip layer");
    let p = Layer::plain(&[Entry::file("usr/share/x", "y")], "plain layer");
    let (r, _d) = run_layout(&[z, g, p], no_tamper);
    let v = r.ok().json();
    assert_eq!(name_versions(&v).into_iter().collect::<Vec<_>>(), vec!["zstd-pkg\t1-r0"]);
    assert_eq!(v["os"]["id"], "alpine");
}

#[test]
fn whiteout_removes_the_database() {
    let wh = Layer::gz(&[Entry::file("lib/apk/db/.wh.installed", "")], "RUN rm /lib/apk/db/installed");
    let (r, _d) = run_layout(&[base(), wh], no_tamper);
    let r = r.ok().json();
    assert_eq!(r["packages"].as_array().map(|a| a.len()), Some(0), "{r}");
    assert_eq!(r["os"]["id"], "alpine");
}

#[test]
fn opaque_directory_hides_lower_content() {
    let opq = Layer::gz(
        &[Entry::file("lib/apk/db/.wh..wh..opq", ""), Entry::file("lib/apk/db/installed", apk_db(&[("only", "1-r0")]))],
        "RUN rebuild db",
    );
    let (r, _d) = run_layout(&[base(), opq], no_tamper);
    let r = r.ok().json();
    assert_eq!(name_versions(&r).into_iter().collect::<Vec<_>>(), vec!["only\t1-r0"]);
    assert_eq!(r["packages"][0]["location"]["layer"]["index"], 1);
    assert_eq!(r["packages"][0]["location"]["layer"]["created_by"], "RUN rebuild db");
}

#[test]
fn database_replaced_in_a_later_layer() {
    let newer = Layer::gz(&[Entry::file("lib/apk/db/installed", apk_db(&[("musl", "1.2.5-r1")]))], "RUN apk upgrade");
    let (r, _d) = run_layout(&[base(), newer], no_tamper);
    let r = r.ok().json();
    assert_eq!(name_versions(&r).into_iter().collect::<Vec<_>>(), vec!["musl\t1.2.5-r1"]);
}

#[test]
fn hardlinks_and_symlink_loops() {
    let l = Layer::gz(
        &[
            Entry::file("usr/lib/os-release", "ID=alpine\nVERSION_ID=3.20.3\n"),
            Entry::Hardlink("etc/os-release".into(), "usr/lib/os-release".into()),
            Entry::file("lib/apk/db/installed", ok_db()),
            Entry::Hardlink("usr/lib/sysimage/rpm/Packages".into(), "lib/apk/db/installed".into()),
        ],
        "x",
    );
    let (r, _d) = run_layout(&[l], no_tamper);
    let r = r.ok().json();
    assert_eq!(r["os"]["source_path"], "/etc/os-release");
    // The rpm extractor got the hardlinked bytes (an apk DB): a warning on that file, not a crash.
    assert!(r["warnings"].to_string().contains("/usr/lib/sysimage/rpm/Packages"), "{r}");
    let loops = Layer::gz(
        &[
            Entry::Symlink("etc/os-release".into(), "../usr/lib/os-release".into()),
            Entry::Symlink("usr/lib/os-release".into(), "/etc/os-release".into()),
            Entry::file("lib/apk/db/installed", ok_db()),
        ],
        "loop",
    );
    let (r, _d) = run_layout(&[loops], no_tamper);
    let r = r.ok().json();
    assert!(r.get("os").is_none(), "a symlink loop has no OS: {r}");
    assert_eq!(r["packages"].as_array().map(|a| a.len()), Some(2));
}

#[test]
fn symlink_out_of_the_root_never_reads_the_host() {
    // The host has /etc/os-release (Debian); the image's points far above its root.
    assert!(Path::new("/etc/os-release").exists());
    let l = Layer::gz(
        &[Entry::Symlink("etc/os-release".into(), "../../../../../../etc/os-release".into()), Entry::file("lib/apk/db/installed", ok_db())],
        "x",
    );
    let (r, _d) = run_layout(&[l], no_tamper);
    let r = r.ok().json();
    assert!(r.get("os").is_none(), "must not read the host's os-release: {r}");
}

#[test]
fn escaping_absolute_and_device_entries() {
    let l = Layer::gz(
        &[
            Entry::file("../../../../tmp/dredge-escape-marker", "pwned"),
            Entry::file("/lib/apk/db/installed", ok_db()),
            Entry::CharDevice("dev/null".into()),
            Entry::file("./etc/../etc/alpine-release", "3.20.3\n"),
        ],
        "x",
    );
    let (r, _d) = run_layout(&[l], no_tamper);
    let r = r.ok().json();
    assert_eq!(r["packages"].as_array().map(|a| a.len()), Some(2), "the absolute path is read inside the root");
    assert_eq!(r["os"]["id"], "alpine");
    assert!(r["warnings"].to_string().contains("escapes the image root"), "{r}");
    assert!(!Path::new("/tmp/dredge-escape-marker").exists());
}

#[test]
fn truncated_gzip_layer() {
    let full = base();
    let cut = full.blob[..full.blob.len() / 2].to_vec();
    let l = Layer::raw(cut, &full.diff_id);
    let (r, _d) = run_layout(std::slice::from_ref(&l), no_tamper);
    expect_error(&r, &["layer 0", &sha256(&l.blob)]);
}

#[test]
fn not_a_tar_layer() {
    let junk = gzip(&vec![0x42u8; 10_000]);
    let l = Layer::raw(junk.clone(), &sha256(&vec![0x42u8; 10_000]));
    let (r, _d) = run_layout(&[l], no_tamper);
    expect_error(&r, &["layer 0", "not a valid tar"]);
}

#[test]
fn tar_entry_longer_than_the_stream() {
    let tar = layer_tar(&[Entry::Lying("lib/apk/db/installed".into(), 1 << 20, b"P:x\n".to_vec())]);
    let l = Layer::raw(gzip(&tar), &sha256(&tar));
    let (r, _d) = run_layout(&[l], no_tamper);
    expect_error(&r, &["layer 0"]);
}

#[test]
fn tampered_blob_is_refused() {
    let l = base();
    let target = sha256(&l.blob);
    let (r, _d) = run_layout(&[l], move |d, b| {
        if d == target {
            // Same length, one byte changed, still valid gzip framing at the start.
            let n = b.len();
            b[n - 10] ^= 0xff;
        }
    });
    expect_error(&r, &["layer 0", "digest mismatch"]);
}

#[test]
fn wrong_diff_id_is_refused() {
    let good = base();
    let l = Layer::raw(good.blob.clone(), &sha256(b"something else"));
    let dir = tempfile::tempdir().expect("tempdir");
    let archive = dir.path().join("a.tar");
    docker_archive(&archive, &[l], "x:1");
    let r = dredge_in(&dir.path().join("c"), &["image", archive.to_str().expect("utf8")]);
    expect_error(&r, &["layer 0", "diff_id mismatch"]);
}

#[test]
fn missing_blob() {
    let l = base();
    let d = sha256(&l.blob);
    let dir = tempfile::tempdir().expect("tempdir");
    let layout = dir.path().join("layout");
    oci_layout(&layout, &[l], "t", no_tamper);
    std::fs::remove_file(layout.join("blobs/sha256").join(d.trim_start_matches("sha256:"))).expect("rm");
    let r = dredge_in(&dir.path().join("c"), &["image", &format!("oci-dir:{}", layout.display())]);
    expect_error(&r, &["not found", d.trim_start_matches("sha256:")]);
}

#[test]
fn image_without_layers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let layout = dir.path().join("layout");
    oci_layout(&layout, &[], "t", no_tamper);
    let r = dredge_in(&dir.path().join("c"), &["image", &format!("oci-dir:{}", layout.display())]);
    expect_error(&r, &["no layers"]);
}

#[test]
fn malformed_package_databases_are_warnings() {
    let l = Layer::gz(
        &[
            Entry::file("lib/apk/db/installed", [0u8, 159, 146, 150, 1, 2, 3]),
            Entry::file("var/lib/dpkg/status", "this is not a status file\n"),
            Entry::file("var/lib/rpm/rpmdb.sqlite", b"SQLite format 3\0garbage garbage"),
            Entry::file("var/lib/rpm/Packages", vec![7u8; 9000]),
            Entry::file("etc/os-release", "\u{0}\u{1}"),
        ],
        "x",
    );
    let (r, _d) = run_layout(&[l], no_tamper);
    let r = r.ok();
    let j = r.json();
    let w = j["warnings"].to_string();
    for p in ["/lib/apk/db/installed", "/var/lib/dpkg/status", "/var/lib/rpm/rpmdb.sqlite", "/var/lib/rpm/Packages", "/etc/os-release"] {
        assert!(w.contains(p), "warning for {p}: {w}");
    }
    assert!(r.stderr.contains("dredge: warning:"), "{}", r.stderr);
}

#[test]
fn schema1_and_garbage_documents() {
    let dir = tempfile::tempdir().expect("tempdir");
    let layout = dir.path().join("layout");
    std::fs::create_dir_all(layout.join("blobs/sha256")).expect("mkdir");
    let m = br#"{"schemaVersion":1,"name":"x","tag":"1","fsLayers":[]}"#;
    let d = sha256(m);
    std::fs::write(layout.join("blobs/sha256").join(d.trim_start_matches("sha256:")), m).expect("write");
    std::fs::write(
        layout.join("index.json"),
        format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{d}","size":{}}}]}}"#,
            m.len()
        ),
    )
    .expect("write");
    let r = dredge_in(&dir.path().join("c"), &["image", &format!("oci-dir:{}", layout.display())]);
    expect_error(&r, &["schema 1"]);
    std::fs::write(layout.join("index.json"), "{not json").expect("write");
    let r = dredge_in(&dir.path().join("c"), &["image", &format!("oci-dir:{}", layout.display())]);
    expect_error(&r, &["index.json"]);
    let junk = dir.path().join("junk.tar");
    std::fs::write(&junk, vec![1u8; 5000]).expect("write");
    let r = dredge_in(&dir.path().join("c"), &["image", junk.to_str().expect("utf8")]);
    expect_error(&r, &["junk.tar"]);
    let r = dredge_in(&dir.path().join("c"), &["image", "/nonexistent/image.tar"]);
    expect_error(&r, &["/nonexistent/image.tar"]);
}

#[test]
fn gzip_bomb_stops_early_with_bounded_memory() {
    // 64 MiB of zeros compress to ~64 KiB; 64 concatenated gzip members expand to 4 GiB.
    let zeros = gzip(&vec![0u8; 64 << 20]);
    let mut bomb = Vec::with_capacity(zeros.len() * 64);
    for _ in 0..64 {
        bomb.extend_from_slice(&zeros);
    }
    let l = Layer::raw(bomb, &sha256(b"unknowable"));
    let dir = tempfile::tempdir().expect("tempdir");
    let layout = dir.path().join("layout");
    oci_layout(&layout, &[l], "t", no_tamper);
    let out = std::process::Command::new("/usr/bin/time")
        .args(["-f", "maxrss_kb=%M"])
        .arg(env!("CARGO_BIN_EXE_dredge"))
        .args(["image", &format!("oci-dir:{}", layout.display()), "--max-image-size", "256MiB", "--no-cache"])
        .output()
        .expect("GNU time (package `time`) runs dredge");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("exceeds the image size limit"), "{stderr}");
    let rss: u64 = stderr.lines().find_map(|l| l.strip_prefix("maxrss_kb=")).and_then(|v| v.trim().parse().ok()).expect("maxrss");
    assert!(rss < 200_000, "peak memory {rss} KiB should stay far below the bomb's size");
}

#[test]
fn nothing_is_written_outside_the_cache_dir() {
    let root = tempfile::tempdir().expect("tempdir");
    let (home, cwd, tmp) = (root.path().join("home"), root.path().join("cwd"), root.path().join("tmp"));
    for d in [&home, &cwd, &tmp] {
        std::fs::create_dir_all(d).expect("mkdir");
    }
    // A gzipped archive (spooled into the cache), an escaping entry, and a tampered layout.
    let archive = root.path().join("in.tar.gz");
    let layers = [base(), Layer::gz(&[Entry::file("../../escape", "x")], "x")];
    docker_archive(&root.path().join("in.tar"), &layers, "x:1");
    std::fs::write(&archive, gzip(&std::fs::read(root.path().join("in.tar")).expect("read"))).expect("write");
    for args in [vec!["image", archive.to_str().expect("utf8")], vec!["sbom", archive.to_str().expect("utf8"), "-o", "/dev/null"]] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_dredge"))
            .args(&args)
            .current_dir(&cwd)
            .env("HOME", &home)
            .env("TMPDIR", &tmp)
            .env("DREDGE_OFFLINE", "1")
            .env("DREDGE_ALLOW_NO_DB", "1")
            .env_remove("XDG_CACHE_HOME")
            .env_remove("DREDGE_CACHE_DIR")
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let mut written = Vec::new();
    let mut stack = vec![home.clone(), cwd.clone(), tmp.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("list").flatten() {
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                stack.push(e.path());
            } else {
                written.push(e.path());
            }
        }
    }
    let cache = home.join(".cache/dredge");
    assert!(!written.is_empty(), "the cache should hold the layers");
    for w in &written {
        assert!(w.starts_with(&cache), "{} was written outside the cache dir", w.display());
    }
    assert!(!cache.join("tmp").read_dir().map(|mut d| d.next().is_some()).unwrap_or(false), "the spooled archive is removed");
}

#[test]
fn a_python_package_owned_by_dpkg_is_reported_once_as_the_os_package() {
    let status = "Package: python3-six\nStatus: install ok installed\nVersion: 1.16.0-4\nArchitecture: all\nSource: six\n\n";
    let owned = "/usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO";
    let l = Layer::gz(
        &[
            Entry::file("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n"),
            Entry::file("var/lib/dpkg/status", status),
            Entry::file("var/lib/dpkg/info/python3-six.list", format!("/.\n/usr\n{owned}\n")),
            Entry::file(&owned[1..], "Metadata-Version: 1.2\nName: six\nVersion: 1.16.0\n"),
            // Installed by pip, owned by nobody: a PyPI package.
            Entry::file(
                "usr/local/lib/python3.11/site-packages/six-1.17.0.dist-info/METADATA",
                "Metadata-Version: 2.1\nName: six\nVersion: 1.17.0\n",
            ),
        ],
        "x",
    );
    let (r, _d) = run_layout(&[l], no_tamper);
    let v = r.ok().json();
    let got: Vec<String> = v["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| format!("{} {} {}", p["ecosystem"].as_str().unwrap(), p["name"].as_str().unwrap(), p["version"].as_str().unwrap()))
        .collect();
    assert_eq!(got, vec!["deb python3-six 1.16.0-4", "pypi six 1.17.0"]);
}
