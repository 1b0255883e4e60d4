//! Errors a user can act on (issue 10): each names what failed and what to do, in one line,
//! with nothing raw from the input reaching the terminal.
#![allow(clippy::panic, clippy::unwrap_used)]

mod common;
use common::*;

fn one_error_line(r: &Run) -> String {
    assert_eq!(r.code, 2, "stdout:{}\nstderr:{}", r.stdout, r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    let errs: Vec<&str> = r.stderr.lines().filter(|l| l.starts_with("dredge: error:")).collect();
    assert_eq!(errs.len(), 1, "{}", r.stderr);
    errs[0].to_string()
}

#[test]
fn truncated_and_foreign_archives_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let whole = std::fs::read(images().join("alpine-3.9.docker.tar")).unwrap();
    let cut = dir.path().join("cut.tar");
    std::fs::write(&cut, &whole[..whole.len() / 2]).unwrap();
    let e = one_error_line(&dredge_in(&dir.path().join("c"), &["image", cut.to_str().unwrap()]));
    assert!(e.contains("truncated at byte"), "{e}");
    // A truncated gzipped archive.
    let gz = std::fs::read(images().join("alpine-3.9.docker.tar.gz")).unwrap();
    let cutgz = dir.path().join("cut.tar.gz");
    std::fs::write(&cutgz, &gz[..gz.len() / 2]).unwrap();
    let e = one_error_line(&dredge_in(&dir.path().join("c"), &["image", cutgz.to_str().unwrap()]));
    assert!(e.contains("truncated"), "{e}");
    // Random bytes (an ELF binary): not raw bytes on the terminal, a sentence.
    let e = one_error_line(&dredge_in(&dir.path().join("c"), &["image", "--input", env!("CARGO_BIN_EXE_dredge")]));
    assert!(e.contains("not a tar, gzip or zstd archive"), "{e}");
}

#[test]
fn control_characters_in_errors_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let evil = dir.path().join("image\x1b[31mRED\x07\nsecond line.tar");
    std::fs::write(&evil, b"\x1b]0;pwned\x07 not an archive at all, with escapes \x1b[2J").unwrap();
    let r = dredge_in(&dir.path().join("c"), &["image", evil.to_str().unwrap()]);
    let e = one_error_line(&r);
    assert!(!r.stderr.contains('\x1b') && !r.stderr.contains('\x07'), "raw control bytes: {:?}", r.stderr);
    assert!(e.contains("\\u{1b}"), "{e}");
}

#[test]
fn db_commands_agree_on_dredge_db_and_record_sources_absolute() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("via-env.db");
    let cache = dir.path().join("cache");
    let env = [("DREDGE_DB", db.to_str().unwrap())];
    // A relative --source, run from the repository root.
    let out = std::process::Command::new(bin())
        .current_dir(repo())
        .args(["db", "build", "--source", "testdata/advisories/alpine-secdb-v3.9-main.yaml"])
        .env("DREDGE_CACHE_DIR", &cache)
        .env("DREDGE_DB", &db)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(db.is_file(), "db build writes to DREDGE_DB");
    let st = dredge_in_env(&cache, &["db", "status", "--format", "json"], &env).ok().json();
    let loc = st["sources"][0]["location"].as_str().unwrap().to_string();
    assert!(loc.starts_with('/') && loc.ends_with("testdata/advisories/alpine-secdb-v3.9-main.yaml"), "{loc}");
    // `db update` from another directory finds the source, and with nothing changed does not rebuild.
    let r = dredge_in_env(&cache, &["db", "update"], &env).ok();
    assert!(r.stderr.contains("is up to date"), "{}", r.stderr);
    let again = dredge_in_env(&cache, &["db", "status", "--format", "json"], &env).ok().json();
    assert_eq!(again["built_at"], st["built_at"]);
    // `--db` is accepted by db build as an alias of --output.
    let other = dir.path().join("alias.db");
    let src = repo().join("testdata/advisories/alpine-secdb-v3.9-main.yaml");
    dredge_in(&cache, &["db", "build", "--source", src.to_str().unwrap(), "--db", other.to_str().unwrap()]).ok();
    assert!(other.is_file());
}

#[test]
fn usage_errors_and_daemon_errors_are_sentences() {
    let dir = tempfile::tempdir().unwrap();
    let r = dredge_in(dir.path(), &["image", "x", "--no-such-flag"]);
    let e = one_error_line(&r);
    assert!(e.starts_with("dredge: error: unexpected argument '--no-such-flag'"), "{e}");
    // A daemon answering with the Engine API's JSON error body.
    let sock = dir.path().join("docker.sock");
    let listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for mut c in listener.incoming().flatten() {
            // Read the whole request head before answering.
            let mut got = Vec::new();
            let mut buf = [0u8; 1024];
            while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                match c.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                }
            }
            let body = r#"{"message":"write /var/lib/docker/tmp/x: no space left on device"}"#;
            let _ = write!(
                c,
                "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
        }
    });
    let host = format!("unix://{}", sock.display());
    let r = dredge_in_env(&dir.path().join("c"), &["image", "docker:app:1"], &[("DOCKER_HOST", &host)]);
    let e = one_error_line(&r);
    assert!(e.contains("asking for app:1 failed (HTTP 500): write /var/lib/docker/tmp/x: no space left on device"), "{e}");
    assert!(!e.contains("{\""), "no raw JSON: {e}");
    // A malformed .dredgeignore: one line naming the file, line and column.
    let ign = dir.path().join("bad.dredgeignore");
    std::fs::write(&ign, "ignore:\n  - id: [unclosed\n").unwrap();
    let db = dir.path().join("adv.db");
    let src = repo().join("testdata/advisories/alpine-secdb-v3.9-main.yaml");
    dredge_in(dir.path(), &["db", "build", "--source", src.to_str().unwrap(), "--output", db.to_str().unwrap()]).ok();
    let img = format!("oci-archive:{}", repo().join("testdata/images/alpine-3.9.6.oci.tar").display());
    let r = dredge_in(dir.path(), &["image", &img, "--db", db.to_str().unwrap(), "--ignorefile", ign.to_str().unwrap()]);
    let e = one_error_line(&r);
    assert!(e.contains(&format!("{}:2:", ign.display())), "{e}");
    assert_eq!(r.stderr.lines().count(), r.stderr.lines().filter(|l| l.starts_with("dredge:")).count(), "{}", r.stderr);
    // --scanners none lists packages only.
    let r = dredge_in(dir.path(), &["image", &img, "--scanners", "none", "--format", "json"]).ok();
    let v = r.json();
    assert!(v.get("vulnerabilities").is_none() && v.get("secrets").is_none());
    assert_eq!(name_versions(&v).len(), 14);
}

#[test]
fn no_cache_needs_no_writable_cache_dir() {
    // A cache dir that cannot exist: --no-cache spools the gzipped archive to a private temp dir.
    let gz = images().join("alpine-3.9.docker.tar.gz").display().to_string();
    let nowhere = std::path::Path::new("/proc/no-such-dir/cache");
    let v = dredge_in(nowhere, &["sbom", &gz, "--no-cache", "--format", "json"]).ok().json();
    assert_eq!(name_versions(&v), tsv(&images().join("expected/alpine-3.9.tsv")));
    let r = dredge_in(nowhere, &["image", &gz, "--no-cache", "--allow-no-db", "--format", "json"]).ok();
    assert!(r.json()["notes"].to_string().contains("vulnerabilities not checked"));
    // Without --no-cache, the same cache dir is an error naming it.
    let e = one_error_line(&dredge_in(nowhere, &["sbom", &gz]));
    assert!(e.contains("/proc/no-such-dir"), "{e}");
}

#[test]
fn fixtures_are_checked_against_their_pinned_digests() {
    let script = repo().join("testdata/fixtures.sh");
    let run = |mirror: &std::path::Path, download: &std::path::Path| {
        let out = std::process::Command::new("bash")
            .arg(&script)
            .env("DREDGE_FIXTURES", mirror)
            .env("DREDGE_FIXTURES_DOWNLOAD", download)
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).trim().to_string(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    // The real mirror verifies.
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(&fixtures(), &dir.path().join("dl"));
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(std::path::Path::new(&out).canonicalize().unwrap(), fixtures().canonicalize().unwrap());
    // A copy with one file changed is refused, naming the file.
    let copy = dir.path().join("mirror");
    for line in
        std::fs::read_to_string(repo().join("testdata/fixtures.lock")).unwrap().lines().filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let path = line.split('\t').next().unwrap();
        std::fs::create_dir_all(copy.join(path).parent().unwrap()).unwrap();
        std::fs::copy(fixtures().join(path), copy.join(path)).unwrap();
    }
    std::fs::write(copy.join("alpine-secdb/v3.9-main.yaml"), "tampered").unwrap();
    let (code, _, err) = run(&copy, &dir.path().join("dl"));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("alpine-secdb/v3.9-main.yaml") && err.contains("pins"), "{err}");
}

#[test]
fn impossible_expiry_dates_and_refused_cache_dirs() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let db = build_db(dir.path(), &repo().join("testdata/advisories/alpine-secdb-v3.9-main.yaml"), "adv.db");
    let img = format!("oci-archive:{}", repo().join("testdata/images/alpine-3.9.6.oci.tar").display());
    // A date that does not exist would silence a finding forever: an error naming the entry.
    for bad in ["2027-02-30", "9999-99-99", "2027-13-45"] {
        let ign = dir.path().join("i.yaml");
        std::fs::write(&ign, format!("ignore:\n  - id: CVE-2019-14697\n    expires: {bad}\n")).unwrap();
        let e =
            one_error_line(&dredge_in(dir.path(), &["image", &img, "--db", db.to_str().unwrap(), "--ignorefile", ign.to_str().unwrap()]));
        assert!(e.contains(bad) && e.contains("YYYY-MM-DD"), "{e}");
    }
    // A cache dir inside a world-writable directory is refused before anything is created there.
    let open = dir.path().join("open");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
    let e = one_error_line(&dredge_in(&open.join("cache"), &["sbom", &img]));
    assert!(e.contains("anyone may write"), "{e}");
    assert_eq!(std::fs::read_dir(&open).unwrap().count(), 0, "nothing created in the refused place");
    // A file as the cache dir: said plainly, no advice to delete it.
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let e = one_error_line(&dredge_in(&file, &["sbom", &img]));
    assert!(e.contains("is not a directory") && !e.contains("remove"), "{e}");
}
