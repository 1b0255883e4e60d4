//! Helpers for the CLI tests: the binary, the real-data test images (built once by
//! testdata/make-images.sh with umoci/skopeo), a private cache dir per test.
#![allow(dead_code, clippy::panic, clippy::unwrap_used)]

pub mod registry;

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The dredge binary under test: this build, or `DREDGE_BIN` (another build, e.g. an older one, to
/// see an attack test fail before its fix).
pub fn bin() -> PathBuf {
    std::env::var_os("DREDGE_BIN").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_dredge")))
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn fixtures() -> PathBuf {
    std::env::var_os("DREDGE_FIXTURES").map(PathBuf::from).unwrap_or_else(|| repo().join("../shared/fixtures"))
}

/// The generated test images; built on first use (fails loudly if the tools are missing).
pub fn images() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let out = std::env::var_os("DREDGE_TESTIMAGES").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/var/tmp/dredge-testimages"));
        let st =
            Command::new("bash").arg(repo().join("testdata/make-images.sh")).env("DREDGE_TESTIMAGES", &out).status().expect("bash runs");
        assert!(st.success(), "testdata/make-images.sh failed (needs umoci, skopeo, jq, debootstrap: run .ci/setup)");
        out
    })
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}\nstderr:\n{}", self.stdout, self.stderr))
    }
    pub fn ok(self) -> Self {
        assert_eq!(self.code, 0, "dredge failed:\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }
}

pub fn dredge_in(cache: &Path, args: &[&str]) -> Run {
    dredge_in_env(cache, args, &[])
}

/// As [`dredge_in`], with environment variables set after the defaults (so they override them).
pub fn dredge_in_env(cache: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut c = Command::new(bin());
    c.args(args)
        .env("DREDGE_CACHE_DIR", cache)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        // No advisory downloads unless a test asks for them (dbupdate.rs does); a scan without a
        // database lists packages (the gate tests in vulns.rs remove this to see the failure).
        .env("DREDGE_OFFLINE", "1")
        .env("DREDGE_ALLOW_NO_DB", "1")
        .env_remove("DOCKER_CONFIG");
    for (k, v) in env {
        c.env(k, v);
    }
    let out: Output = c.output().expect("dredge runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    }
}

pub fn tsv(path: &Path) -> BTreeSet<String> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// `name\tversion` of every package of a dredge JSON report.
pub fn name_versions(report: &Value) -> BTreeSet<String> {
    report["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| format!("{}\t{}", p["name"].as_str().unwrap_or(""), p["version"].as_str().unwrap_or("")))
        .collect()
}

/// Builds an advisory database from `source` into `dir/<name>` with `dredge db build`.
pub fn build_db(dir: &Path, source: &Path, name: &str) -> PathBuf {
    let db = dir.join(name);
    dredge_in(dir, &["db", "build", "--source", source.to_str().expect("utf8"), "--output", db.to_str().expect("utf8")]).ok();
    db
}

/// Unpacks a root filesystem tarball (gzip) into `dir` with GNU tar.
pub fn untar(tarball: &Path, dir: &Path) {
    std::fs::create_dir_all(dir).expect("mkdir");
    let st = Command::new("tar").arg("xzf").arg(tarball).arg("-C").arg(dir).status().expect("tar runs");
    assert!(st.success(), "tar xzf {}", tarball.display());
}

/// A peer scanner (`trivy`, `syft`, `hadolint`) as .ci/setup installs it into `$DREDGE_PEERS/bin`
/// (default /var/tmp/dredge-peers). Missing is a failure, not a skip: run .ci/setup.
#[allow(dead_code)]
pub fn peer(name: &str) -> PathBuf {
    let dir = std::env::var_os("DREDGE_PEERS").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/var/tmp/dredge-peers"));
    let p = dir.join("bin").join(name);
    assert!(p.is_file(), "{} is missing: run .ci/setup (it installs the peers from PyPI)", p.display());
    p
}

/// Trivy offline (`--skip-db-update --offline-scan --quiet --format json`, a fresh cache) with
/// these arguments (`image --scanners license --input X`, `sbom --scanners license FILE`): its
/// JSON report. Trivy failing or printing no JSON is a test failure.
#[allow(dead_code)]
pub fn trivy_json(args: &[&std::ffi::OsStr]) -> Value {
    let cache = tempfile::tempdir().expect("tempdir");
    let out = Command::new(peer("trivy"))
        .args(args)
        .args(["--skip-db-update", "--offline-scan", "--quiet", "--format", "json", "--cache-dir"])
        .arg(cache.path())
        .env("TRIVY_NO_PROGRESS", "true")
        .output()
        .expect("trivy runs");
    assert!(out.status.success(), "trivy {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("trivy {args:?}: {e}: {}", String::from_utf8_lossy(&out.stderr)))
}
