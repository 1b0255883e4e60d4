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
