//! Attacks on the scanner itself (issue 9): each test reproduces one way a local user, a hostile
//! registry or a crafted image could blind dredge, make it delete or overwrite files, leak
//! credentials or download without end, and checks that it no longer can.
#![allow(clippy::panic, clippy::unwrap_used)]

mod common;
use common::*;
use dredge_testkit::{Entry, Layer, apk_db, oci_layout};
use std::path::Path;

fn alpine_base() -> Layer {
    Layer::gz(
        &[
            Entry::Dir("lib/apk/db".into()),
            Entry::file("lib/apk/db/installed", apk_db(&[("musl", "1.2.5-r0"), ("busybox", "1.36.1-r29")])),
            Entry::file("etc/os-release", "ID=alpine\nVERSION_ID=3.20.3\n"),
        ],
        "base",
    )
}

fn layout(dir: &Path, layers: &[Layer]) -> String {
    let l = dir.join("layout");
    oci_layout(&l, layers, "t", |_, _| {});
    format!("oci-dir:{}", l.display())
}

/// A random token of `n` characters from `alphabet` (planted secrets are never in the source).
fn rnd(alphabet: &str, n: usize) -> String {
    use std::hash::{BuildHasher, Hasher};
    let a: Vec<char> = alphabet.chars().collect();
    (0..n)
        .map(|i| {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_usize(i);
            a[(h.finish() % a.len() as u64) as usize]
        })
        .collect()
}

// ---- 3. A PAX size that disagrees with the tar header ----

#[test]
fn pax_size_larger_than_the_header_size_does_not_hide_secrets() {
    let aws = format!("AKIA{}", rnd("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16));
    let key = format!(
        "-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----\n",
        rnd("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 64)
    );
    let body = format!("aws_access_key_id = {aws}\n{key}");
    let hidden = Layer::gz(&[Entry::PaxSize("app/creds.txt".into(), 0, body.clone().into_bytes())], "COPY creds");
    let dir = tempfile::tempdir().unwrap();
    let target = layout(dir.path(), &[alpine_base(), hidden]);
    let r = dredge_in(&dir.path().join("cache"), &["image", &target, "--scanners", "secret", "--format", "json"]).ok();
    let v = r.json();
    let rules: Vec<&str> = v["secrets"].as_array().unwrap().iter().map(|s| s["rule"].as_str().unwrap()).collect();
    assert!(rules.iter().any(|r| r.contains("aws")), "the AWS key is found: {rules:?}");
    assert!(rules.iter().any(|r| r.contains("private-key")), "the private key is found: {rules:?}");
    assert!(!r.stdout.contains(&aws) && !r.stderr.contains(&aws), "redacted");
}

#[test]
fn pax_size_smaller_than_the_header_size_reads_the_database() {
    let db = apk_db(&[("musl", "1.2.5-r0"), ("busybox", "1.36.1-r29")]);
    let l = Layer::gz(
        &[
            Entry::file("etc/os-release", "ID=alpine\nVERSION_ID=3.20.3\n"),
            Entry::PaxSize("lib/apk/db/installed".into(), (8 << 30) - 1, db.into_bytes()),
        ],
        "base",
    );
    let dir = tempfile::tempdir().unwrap();
    let target = layout(dir.path(), &[l]);
    let r = dredge_in(&dir.path().join("cache"), &["image", &target, "--scanners", "secret", "--format", "json"]).ok();
    let v = r.json();
    assert_eq!(name_versions(&v).len(), 2, "{v}");
    assert!(!r.stderr.contains("larger than"), "no misleading size warning: {}", r.stderr);
}

// ---- 7. A broken pipe is not a panic ----

fn run_with_closed(args: &[&str], close_stdout: bool, close_stderr: bool) -> i32 {
    use std::process::{Command, Stdio};
    let cache = tempfile::tempdir().unwrap();
    let mut c = Command::new(bin());
    c.args(args)
        .env("DREDGE_CACHE_DIR", cache.path())
        .env("DREDGE_OFFLINE", "1")
        .env("DREDGE_ALLOW_NO_DB", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    // Closing the read end at once is what `| head -0` does; `head -1` closes it after a line.
    if close_stdout {
        drop(child.stdout.take());
    }
    if close_stderr {
        drop(child.stderr.take());
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    out.status.code().unwrap_or(-1)
}

#[test]
fn a_closed_stdout_or_stderr_is_never_a_panic() {
    let img = format!("oci-dir:{}:alpine-3.20", images().join("oci").display());
    for _ in 0..5 {
        // A large report into a closed pipe: quiet, and the exit code the scan decided.
        assert_eq!(run_with_closed(&["sbom", &img, "--format", "json"], true, false), 0);
        assert_eq!(run_with_closed(&["sbom", &img, "--format", "cyclonedx"], true, false), 0);
        assert_eq!(run_with_closed(&["image", &img, "--format", "json", "--scanners", "secret"], true, false), 0);
        // An error of several causes into a closed stderr: exit code 2, not 101.
        assert_eq!(run_with_closed(&["image", "oci-dir:/nonexistent/layout", "--image-src", "registry"], false, true), 2);
        assert_eq!(run_with_closed(&["image", "oci-dir:/nonexistent/layout"], true, true), 2);
    }
}

// ---- 9. Files kept for hard links are capped in total ----

#[test]
fn files_kept_for_hardlinks_are_bounded_in_total() {
    // 100 wanted files of (almost) 4 MiB each in one layer: before the cap, all stayed in memory.
    let mut entries = Vec::new();
    for i in 0..100 {
        let meta = format!("Metadata-Version: 2.1\nName: p{i}\nVersion: 1.0\n\n{}\n", "x".repeat((4 << 20) - 1000));
        entries.push(Entry::file(&format!("usr/lib/python3/site-packages/p{i}-1.0.dist-info/METADATA"), meta));
    }
    let l = Layer::gz(&entries, "npm install");
    let dir = tempfile::tempdir().unwrap();
    let target = layout(dir.path(), &[l]);
    let out = std::process::Command::new("/usr/bin/time")
        .args(["-f", "maxrss_kb=%M"])
        .arg(bin())
        .args(["sbom", &target, "--format", "json", "--no-cache"])
        .env("DREDGE_CACHE_DIR", dir.path().join("cache"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["packages"].as_array().unwrap().len(), 100);
    let rss: u64 = stderr.lines().find_map(|l| l.strip_prefix("maxrss_kb=")).and_then(|v| v.trim().parse().ok()).unwrap();
    eprintln!("peak memory with 100 x 4 MiB wanted files: {rss} KiB");
    assert!(rss < 160_000, "peak memory {rss} KiB: the kept files are not bounded");
}

// ---- 1. The layer cache is not trusted blindly ----

fn alpine_oci() -> String {
    format!("oci-dir:{}:alpine-3.20", images().join("oci").display())
}

fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
}

#[test]
fn a_hand_edited_cache_entry_is_not_believed() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let args = ["sbom", &alpine_oci(), "--format", "json"];
    let truth = dredge_in(&cache, &args).ok().json();
    let n = name_versions(&truth).len();
    assert!(n > 10, "{n}");
    // Keep only the OS facts and delete the package database, as an attacker editing the
    // entry would (the header line, when there is one, is kept as it was).
    let mut edited = 0;
    for e in std::fs::read_dir(cache.join("layers")).unwrap() {
        let p = e.unwrap().path();
        if !p.to_string_lossy().ends_with(".json") {
            continue;
        }
        let text = std::fs::read_to_string(&p).unwrap();
        let (head, body) = match text.split_once('\n') {
            Some((h, b)) if h.contains("\"mac\"") => (format!("{h}\n"), b.to_string()),
            _ => (String::new(), text.clone()),
        };
        let mut v: serde_json::Value = serde_json::from_str(&body).unwrap();
        if let Some(files) = v["files"].as_object_mut() {
            files.retain(|k, _| k == "etc/os-release");
        }
        v["whiteouts"] = serde_json::json!(["lib/apk/db/installed"]);
        std::fs::write(&p, format!("{head}{v}")).unwrap();
        edited += 1;
    }
    assert!(edited > 0);
    let r = dredge_in(&cache, &args).ok();
    let v = r.json();
    assert_eq!(name_versions(&v).len(), n, "a tampered cache entry hid packages");
    assert!(r.stderr.contains("cache entry not used"), "the rejection is flagged: {}", r.stderr);
    assert!(v["warnings"].to_string().contains("cache entry not used"), "and in the report");
    // The entry was rewritten: the next scan uses it again without a warning.
    let r = dredge_in(&cache, &args).ok();
    assert!(!r.stderr.contains("cache entry"), "{}", r.stderr);
}

#[test]
fn cache_dirs_are_private_and_refused_when_others_can_write() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("new/cache");
    dredge_in(&cache, &["sbom", &alpine_oci(), "--format", "json"]).ok();
    for d in [&cache, &cache.join("layers"), &cache.join("tmp")] {
        assert_eq!(mode(d), 0o700, "{}", d.display());
    }
    std::fs::set_permissions(cache.join("layers"), std::fs::Permissions::from_mode(0o777)).unwrap();
    let r = dredge_in(&cache, &["sbom", &alpine_oci(), "--format", "json"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("writable by others") && r.stderr.contains("chmod 700"), "{}", r.stderr);
    assert!(!r.stderr.contains("panicked"));
}

#[test]
fn without_home_the_cache_is_a_private_per_user_dir() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let run = || {
        let out = std::process::Command::new(bin())
            .args(["sbom", &alpine_oci(), "--format", "json"])
            .env_remove("HOME")
            .env_remove("XDG_CACHE_HOME")
            .env_remove("DREDGE_CACHE_DIR")
            .env("TMPDIR", &tmp)
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (code, stderr) = run();
    assert_eq!(code, Some(0), "{stderr}");
    let made: Vec<_> = std::fs::read_dir(&tmp).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(made.len(), 1, "{made:?}");
    let name = made[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with("dredge-") && name != "dredge-cache", "a per-user name: {name}");
    assert_eq!(mode(&made[0]), 0o700);
    // Someone else created it first (a planted directory or a symlink): refused, not used.
    std::fs::remove_dir_all(&made[0]).unwrap();
    let other = dir.path().join("attacker");
    std::fs::create_dir(&other).unwrap();
    std::os::unix::fs::symlink(&other, &made[0]).unwrap();
    let (code, stderr) = run();
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("symbolic link"), "{stderr}");
    assert_eq!(std::fs::read_dir(&other).unwrap().count(), 0, "nothing written through the link");
}

// ---- 2. Symlinks in the cache directory are never followed ----

#[test]
fn eviction_and_clean_never_delete_through_a_symlink_or_other_files() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    dredge_in(&cache, &["sbom", &alpine_oci(), "--format", "json"]).ok();
    // A file that is not an entry inside layers/: kept by eviction and by clean.
    let readme = cache.join("layers/README.txt");
    std::fs::write(&readme, "keep me").unwrap();
    dredge_in(&cache, &["sbom", &alpine_oci(), "--format", "json", "--no-cache"]).ok();
    let other = images().join("alpine-3.19-multi.docker.tar").display().to_string();
    dredge_in(&cache, &["sbom", &other, "--format", "json", "--cache-max-size", "1"]).ok();
    assert!(readme.exists(), "eviction deleted a file that is not a cache entry");
    dredge_in(&cache, &["clean"]).ok();
    assert!(readme.exists(), "clean deleted a file that is not a cache entry");
    // layers/ replaced by a symlink to a directory of someone's files.
    let victim = dir.path().join("victim");
    std::fs::create_dir(&victim).unwrap();
    std::fs::write(victim.join(format!("{}.json", "a".repeat(64))), "precious").unwrap();
    std::fs::write(victim.join("notes.txt"), "precious").unwrap();
    std::fs::remove_dir_all(cache.join("layers")).unwrap();
    std::os::unix::fs::symlink(&victim, cache.join("layers")).unwrap();
    for args in [vec!["clean"], vec!["sbom", &alpine_oci(), "--format", "json", "--cache-max-size", "1"]] {
        let r = dredge_in(&cache, &args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains("symbolic link"), "{}", r.stderr);
    }
    assert_eq!(std::fs::read_dir(&victim).unwrap().count(), 2, "files behind the link were deleted");
}

// ---- 9. A Docker socket that never answers ----

#[test]
fn a_stuck_docker_daemon_times_out_and_the_registry_is_tried_next() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("docker.sock");
    let listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    // Accepts connections and never answers.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for c in listener.incoming() {
            held.push(c);
        }
    });
    let host = format!("unix://{}", sock.display());
    let started = std::time::Instant::now();
    let r = dredge_in_env(&dir.path().join("cache"), &["image", "docker:app:1", "--timeout", "2s"], &[("DOCKER_HOST", &host)]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("did not answer"), "{}", r.stderr);
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "{:?}", started.elapsed());
    // A bare name: the daemon is tried first, then the registry (unreachable here: a fast error).
    let started = std::time::Instant::now();
    let r = dredge_in_env(&dir.path().join("cache"), &["image", "127.0.0.1:1/app:1", "--timeout", "2s"], &[("DOCKER_HOST", &host)]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("did not answer") && r.stderr.contains("127.0.0.1:1"), "{}", r.stderr);
    assert!(started.elapsed() < std::time::Duration::from_secs(15), "{:?}", started.elapsed());
}

// ---- 8. Database rows whose ranges do not parse are counted and warned about ----

#[test]
fn unparseable_ranges_are_counted_and_warned_once_per_scan() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let db = dir.path().join("adv.db");
    let secdb = repo().join("testdata/advisories/alpine-secdb-v3.9-main.yaml");
    dredge_in(&cache, &["db", "build", "--source", secdb.to_str().unwrap(), "--output", db.to_str().unwrap()]).ok();
    // Damage the ranges of every musl and busybox entry, as a broken or foreign database might.
    let st = std::process::Command::new("python3")
        .args([
            "-c",
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); n=c.execute(\"UPDATE affected SET ranges='{not json' WHERE package IN ('musl','busybox')\").rowcount; c.commit(); print(n)",
            db.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let damaged: usize = String::from_utf8_lossy(&st.stdout).trim().parse().unwrap();
    assert!(damaged >= 2, "{damaged}");
    let status = dredge_in(&cache, &["db", "status", "--db", db.to_str().unwrap(), "--format", "json"]).ok().json();
    assert_eq!(status["unreadable_ranges"].as_u64(), Some(damaged as u64));
    let table = dredge_in(&cache, &["db", "status", "--db", db.to_str().unwrap()]).ok();
    assert!(table.stdout.contains(&format!("unreadable: {damaged} affected entries")), "{}", table.stdout);
    let img = format!("oci-archive:{}", repo().join("testdata/images/alpine-3.9.6.oci.tar").display());
    let r = dredge_in(&cache, &["image", &img, "--db", db.to_str().unwrap(), "--scanners", "vuln", "--format", "json"]).ok();
    let warnings: Vec<&str> = r.stderr.lines().filter(|l| l.contains("do not parse")).collect();
    assert_eq!(warnings.len(), 1, "one warning per scan: {}", r.stderr);
    assert!(r.json()["warnings"].to_string().contains("do not parse"));
}

// ---- 6. A package database behind a symlink ----

fn scan_layers(layers: &[Layer]) -> (Run, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let target = layout(dir.path(), layers);
    let r = dredge_in(&dir.path().join("cache"), &["sbom", &target, "--format", "json"]);
    (r, dir)
}

#[test]
fn a_package_database_behind_a_symlink_is_read_through_it() {
    let db = apk_db(&[("musl", "1.2.5-r0"), ("busybox", "1.36.1-r29")]);
    let osr = Entry::file("etc/os-release", "ID=alpine\nVERSION_ID=3.20.3\n");
    // Same layer, the target after the link in the tar stream.
    let l =
        Layer::gz(&[osr.clone(), Entry::Symlink("lib/apk/db/installed".into(), "real".into()), Entry::file("lib/apk/db/real", &db)], "x");
    let (r, dir) = scan_layers(std::slice::from_ref(&l));
    let v = r.ok().json();
    assert_eq!(name_versions(&v).len(), 2, "{v}");
    // Again from the cache: the same.
    let target = format!("oci-dir:{}", dir.path().join("layout").display());
    let again = dredge_in(&dir.path().join("cache"), &["sbom", &target, "--format", "json", "--debug"]).ok();
    assert_eq!(name_versions(&again.json()).len(), 2);
    // The target in a lower layer, through a chain of two links (absolute and relative).
    let low = Layer::gz(&[osr.clone(), Entry::file("var/lib/apk-real/db", &db)], "low");
    let high = Layer::gz(
        &[
            Entry::Symlink("lib/apk/db/installed".into(), "/lib/apk/db/hop".into()),
            Entry::Symlink("lib/apk/db/hop".into(), "../../../var/lib/apk-real/db".into()),
        ],
        "high",
    );
    let (r, _d) = scan_layers(&[low.clone(), high]);
    let v = r.ok().json();
    assert_eq!(name_versions(&v).len(), 2, "{v}");
    assert_eq!(v["packages"][0]["location"]["layer"]["index"], 0, "the layer that holds the content");
    // dpkg too (every extractor): status -> status.real.
    let status = "Package: zlib1g\nStatus: install ok installed\nVersion: 1:1.2.13.dfsg-1\nArchitecture: amd64\n\n";
    let deb = Layer::gz(
        &[
            Entry::file("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n"),
            Entry::file("var/lib/dpkg/status.real", status),
            Entry::Symlink("var/lib/dpkg/status".into(), "status.real".into()),
        ],
        "deb",
    );
    let (r, _d) = scan_layers(&[deb]);
    assert_eq!(name_versions(&r.ok().json()).into_iter().collect::<Vec<_>>(), vec!["zlib1g\t1:1.2.13.dfsg-1"]);
}

#[test]
fn unresolvable_database_symlinks_are_warnings() {
    let db = apk_db(&[("musl", "1.2.5-r0")]);
    let osr = Entry::file("etc/os-release", "ID=alpine\nVERSION_ID=3.20.3\n");
    // The target deleted by a later layer.
    let low = Layer::gz(&[osr.clone(), Entry::file("lib/apk/db/real", &db)], "low");
    let high = Layer::gz(&[Entry::file("lib/apk/db/.wh.real", ""), Entry::Symlink("lib/apk/db/installed".into(), "real".into())], "rm");
    let (r, _d) = scan_layers(&[low, high]);
    let v = r.ok().json();
    assert_eq!(name_versions(&v).len(), 0);
    assert!(v["warnings"].to_string().contains("/lib/apk/db/installed"), "{v}");
    // A loop through a path no extractor wants.
    let l = Layer::gz(
        &[
            osr.clone(),
            Entry::Symlink("lib/apk/db/installed".into(), "a".into()),
            Entry::Symlink("lib/apk/db/a".into(), "installed".into()),
        ],
        "loop",
    );
    let (r, _d) = scan_layers(&[l]);
    let v = r.ok().json();
    assert!(v["warnings"].to_string().contains("/lib/apk/db/installed"), "{v}");
    // A link out of the root stays inside it (`..` stops at `/`), and finds nothing there.
    let l = Layer::gz(&[osr, Entry::Symlink("lib/apk/db/installed".into(), "../../../../../../etc/shadow".into())], "escape");
    let (r, _d) = scan_layers(&[l]);
    let v = r.ok().json();
    assert_eq!(name_versions(&v).len(), 0);
    assert!(v["warnings"].to_string().contains("/etc/shadow"), "{v}");
}

#[test]
fn a_root_filesystem_database_behind_a_symlink_is_read_inside_the_root() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir_all(root.join("lib/apk/db")).unwrap();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("etc/os-release"), "ID=alpine\nVERSION_ID=3.20.3\n").unwrap();
    std::fs::write(root.join("lib/apk/db/real"), apk_db(&[("musl", "1.2.5-r0"), ("busybox", "1.36.1-r29")])).unwrap();
    std::os::unix::fs::symlink("real", root.join("lib/apk/db/installed")).unwrap();
    let r = dredge_in(&dir.path().join("cache"), &["rootfs", root.to_str().unwrap(), "--format", "json", "--scanners", "none"]).ok();
    assert_eq!(name_versions(&r.json()).len(), 2, "{}", r.stdout);
    // An absolute link resolves inside the root, never on the host (which has /etc/passwd).
    std::fs::remove_file(root.join("lib/apk/db/installed")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", root.join("lib/apk/db/installed")).unwrap();
    let r = dredge_in(&dir.path().join("cache"), &["rootfs", root.to_str().unwrap(), "--format", "json", "--scanners", "none"]).ok();
    let v = r.json();
    assert_eq!(name_versions(&v).len(), 0);
    assert!(v["warnings"].to_string().contains("/etc/passwd"), "{v}");
}
