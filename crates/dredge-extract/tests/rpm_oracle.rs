//! The three rpm database formats from ../shared/fixtures, compared with rpm itself (sqlite, bdb)
//! and with the published expected list (ndb, which Debian's rpm cannot read).
#![allow(clippy::panic, clippy::unwrap_used)]

use dredge_extract::os::rpm::{RPM_BDB, RPM_NDB, RPM_SQLITE};
use dredge_layer::Extractor;
use dredge_model::Fact;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

fn fixtures() -> PathBuf {
    std::env::var_os("DREDGE_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures"))
}

/// (name, epoch or "", version, release, arch) as rpm prints them.
fn ours(ex: &dyn Extractor, file: &str) -> BTreeSet<String> {
    let data = std::fs::read(fixtures().join(file)).expect("fixture present");
    ex.extract("var/lib/rpm/x", &data)
        .expect("database parses")
        .into_iter()
        .filter_map(|f| match f {
            Fact::Package(p) => {
                let vr = p.version.split_once(':').map_or(p.version.as_str(), |(_, v)| v).to_string();
                let (v, r) = vr.rsplit_once('-').map(|(a, b)| (a.to_string(), b.to_string())).expect("version-release");
                let epoch = p.epoch.map(|e| e.to_string()).unwrap_or_default();
                Some(format!("{}\t{}\t{}\t{}\t{}", p.name, epoch, v, r, p.arch.unwrap_or_default()))
            }
            _ => None,
        })
        .collect()
}

fn rpm_qa(dir: &str, extra: &[&str]) -> BTreeSet<String> {
    // rpm opens its database read-write (SQLite writes -shm/-wal files beside it): give it a copy,
    // never the shared fixtures themselves.
    let tmp = tempfile::tempdir().expect("tempdir");
    for e in std::fs::read_dir(fixtures().join(dir)).expect("fixture dir") {
        let p = e.expect("entry").path();
        let name = p.file_name().expect("name").to_string_lossy().into_owned();
        if !name.ends_with("-shm") && !name.ends_with("-wal") {
            std::fs::copy(&p, tmp.path().join(&name)).expect("copy");
        }
    }
    let dbpath = tmp.path().to_path_buf();
    let out = Command::new("rpm")
        .args(extra)
        .arg("--dbpath")
        .arg(&dbpath)
        .args(["-qa", "--qf", "%{NAME}\t%|EPOCH?{%{EPOCH}}:{}|\t%{VERSION}\t%{RELEASE}\t%{ARCH}\n"])
        .output()
        .expect("rpm is installed (apt-get install rpm; .ci/run does)");
    assert!(out.status.success(), "rpm failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().filter(|l| !l.starts_with("gpg-pubkey\t")).map(str::to_string).collect()
}

#[test]
fn sqlite_matches_rpm() {
    let expected = rpm_qa("rpmdb/cbl-mariner-2.0", &[]);
    assert_eq!(expected.len(), 129);
    assert_eq!(ours(&RPM_SQLITE, "rpmdb/cbl-mariner-2.0/rpmdb.sqlite"), expected);
}

#[test]
fn berkeley_db_matches_rpm() {
    let expected = rpm_qa("rpmdb/libuuid", &["-D", "_db_backend bdb_ro"]);
    assert_eq!(expected.len(), 1);
    assert_eq!(ours(&RPM_BDB, "rpmdb/libuuid/Packages"), expected);
}

#[test]
fn ndb_matches_expected_list() {
    let tsv = std::fs::read_to_string(fixtures().join("rpmdb/sle15-bci/expected-packages.tsv")).expect("fixture");
    let expected: BTreeSet<String> = tsv.lines().skip(1).map(str::to_string).collect();
    assert_eq!(expected.len(), 35);
    assert_eq!(ours(&RPM_NDB, "rpmdb/sle15-bci/Packages.db"), expected);
}

#[test]
fn damaged_databases_are_errors_not_panics() {
    for (ex, file) in [
        (&RPM_SQLITE as &dyn Extractor, "rpmdb/cbl-mariner-2.0/rpmdb.sqlite"),
        (&RPM_BDB, "rpmdb/libuuid/Packages"),
        (&RPM_NDB, "rpmdb/sle15-bci/Packages.db"),
    ] {
        let data = std::fs::read(fixtures().join(file)).expect("fixture");
        // Truncations at many points, and bytes flipped: never a panic.
        for cut in [0, 1, 15, 16, 100, 4096, data.len() / 3, data.len() / 2, data.len() - 1] {
            let _ = ex.extract("x", &data[..cut.min(data.len())]);
        }
        let mut flipped = data.clone();
        for i in (0..flipped.len()).step_by(97) {
            flipped[i] ^= 0x5a;
        }
        let _ = ex.extract("x", &flipped);
        assert!(ex.extract("x", b"definitely not a database").is_err());
    }
}
