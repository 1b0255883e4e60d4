//! An honest CI gate (issue 10): no silent pass without a database, typos in enumerated values
//! refused, ecosystems without advisories named in the table, a maximum database age.
#![allow(clippy::panic, clippy::unwrap_used)]

mod common;
use common::*;
use std::path::{Path, PathBuf};

fn alpine396() -> String {
    format!("oci-archive:{}", repo().join("testdata/images/alpine-3.9.6.oci.tar").display())
}

fn secdb(dir: &Path) -> PathBuf {
    build_db(dir, &repo().join("testdata/advisories/alpine-secdb-v3.9-main.yaml"), "adv.db")
}

const STRICT: &[(&str, &str)] = &[("DREDGE_ALLOW_NO_DB", "0")];

#[test]
fn no_database_is_an_error_not_a_silent_pass() {
    let c = tempfile::tempdir().unwrap();
    let img = alpine396();
    for extra in [&[][..], &["--quiet"][..]] {
        let mut args = vec!["image", img.as_str(), "--scanners", "vuln", "--exit-code", "1", "--offline"];
        args.extend_from_slice(extra);
        let r = dredge_in_env(c.path(), &args, STRICT);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains("vulnerabilities not checked") && r.stderr.contains("--offline"), "{}", r.stderr);
        assert!(r.stderr.contains("--allow-no-db"), "says how to opt out: {}", r.stderr);
        assert!(r.stdout.is_empty(), "no report that could be mistaken for a pass: {}", r.stdout);
    }
    // Opting out explicitly: packages, and one line in the table saying nothing was checked.
    let r = dredge_in_env(c.path(), &["image", &alpine396(), "--scanners", "vuln", "--offline", "--allow-no-db"], STRICT).ok();
    let notes: Vec<&str> = r.stdout.lines().filter(|l| l.starts_with("Note: vulnerabilities not checked")).collect();
    assert_eq!(notes.len(), 1, "{}", r.stdout);
    // Secrets alone need no database.
    dredge_in_env(c.path(), &["image", &alpine396(), "--scanners", "secret", "--offline"], STRICT).ok();
}

#[test]
fn a_database_older_than_max_db_age_fails_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    // SOURCE_DATE_EPOCH (2023-11) in the test environment dates the build.
    let db = secdb(dir.path());
    let args = ["image", &alpine396(), "--db", db.to_str().unwrap(), "--scanners", "vuln"];
    dredge_in_env(dir.path(), &args, STRICT).ok();
    let mut strict = args.to_vec();
    strict.extend(["--max-db-age", "7d"]);
    let r = dredge_in_env(dir.path(), &strict, STRICT);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--max-db-age 7d") && r.stderr.contains("dredge db update"), "{}", r.stderr);
}

#[test]
fn typos_in_enumerated_values_are_refused_before_scanning() {
    let c = tempfile::tempdir().unwrap();
    for (flag, bad) in [("--severity", "BOGUS"), ("--severity", "HIGH,CRITCAL"), ("--scanners", "vuln,secrets"), ("--format", "jsn")] {
        let r = dredge_in(c.path(), &["image", &alpine396(), flag, bad]);
        assert_eq!(r.code, 2, "{flag} {bad}: {}", r.stderr);
        let shown = bad.rsplit(',').next().unwrap();
        assert!(r.stderr.contains(shown), "names the bad value {shown}: {}", r.stderr);
        assert!(!r.stderr.contains("panicked"));
        assert!(r.stdout.is_empty());
    }
    let r = dredge_in(c.path(), &["image", &alpine396(), "--severity", "CRITCAL"]);
    assert!(r.stderr.contains("UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL"), "lists the accepted values: {}", r.stderr);
    // Lower case is the same severity, not a typo.
    let dir = tempfile::tempdir().unwrap();
    let db = secdb(dir.path());
    dredge_in(dir.path(), &["image", &alpine396(), "--db", db.to_str().unwrap(), "--severity", "critical,high"]).ok();
}

#[test]
fn ecosystems_without_advisories_are_named_in_one_table_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = secdb(dir.path());
    let img = images().join("lang-full.docker.tar").display().to_string();
    let r = dredge_in(dir.path(), &["image", &img, "--db", db.to_str().unwrap(), "--scanners", "vuln"]).ok();
    let lines: Vec<&str> = r.stdout.lines().filter(|l| l.contains("no advisories for:")).collect();
    assert_eq!(lines.len(), 1, "{}", r.stdout);
    for e in ["npm", "Maven", "Go", "PyPI"] {
        assert!(lines[0].contains(e), "{e} in {}", lines[0]);
    }
    assert!(r.stdout.contains("Checked "), "how many packages were checked: {}", r.stdout);
}

#[test]
fn the_table_fits_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let db = build_db(dir.path(), &fixtures().join("osv/pypa-advisory-database.tar.gz"), "pypa.db");
    let img = images().join("lang-full.docker.tar").display().to_string();
    let mut seen_title = false;
    for w in [80usize, 120, 200] {
        let cols = w.to_string();
        let r = dredge_in_env(dir.path(), &["image", &img, "--db", db.to_str().unwrap()], &[("COLUMNS", &cols)]).ok();
        for l in r.stdout.lines() {
            assert!(l.chars().count() <= w, "{w} columns: {} chars: {l}", l.chars().count());
        }
        let head = r.stdout.lines().find(|l| l.starts_with("PACKAGE")).unwrap();
        for c in ["PACKAGE", "VULNERABILITY", "SEVERITY", "INSTALLED", "FIXED"] {
            assert!(head.contains(c), "{w}: {head}");
        }
        assert!(r.stdout.contains("CVE-2024-3651"), "{w}");
        if w == 200 {
            assert!(head.contains("TITLE") && head.contains("FOUND IN"), "{head}");
            // PyPA records have no summary: the title is the first line of the details.
            let idna = r.stdout.lines().find(|l| l.contains("CVE-2024-3651")).unwrap();
            seen_title = idna.contains("A vulnerability was");
        }
        // The package-only table too.
        let r = dredge_in_env(dir.path(), &["image", &img, "--scanners", "none"], &[("COLUMNS", &cols)]).ok();
        assert!(r.stdout.lines().all(|l| l.chars().count() <= w), "{w}:\n{}", r.stdout);
    }
    assert!(seen_title, "titles from details");
    // Into a file or a pipe without COLUMNS: every value whole.
    let r = dredge_in(dir.path(), &["image", &img, "--db", db.to_str().unwrap()]).ok();
    assert!(r.stdout.lines().any(|l| l.contains("/srv/locks/pdm-lock/pdm.lock (lockfile)")), "{}", r.stdout);
}
