//! Cargo.lock: this repository's own lockfile (written by cargo) against `cargo metadata`'s view
//! of the same resolve.
#![allow(clippy::panic, clippy::unwrap_used)]

use dredge_extract::lang::rust::cargo_lock::CargoLock;
use dredge_layer::Extractor;
use dredge_model::Fact;
use std::collections::BTreeSet;
use std::path::Path;

#[test]
fn every_registry_crate_of_a_real_lockfile() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/cargo-lock");
    let data = std::fs::read(dir.join("Cargo.lock")).unwrap();
    let ours: BTreeSet<String> = CargoLock
        .extract("app/Cargo.lock", &data)
        .unwrap()
        .into_iter()
        .map(|f| match f {
            Fact::Package(p) => format!("{} {}", p.name, p.version),
            _ => panic!("only packages"),
        })
        .collect();
    // Independent reading: every [[package]] with a `source` line, by line-oriented scanning.
    let text = String::from_utf8(data).unwrap();
    let mut theirs = BTreeSet::new();
    for block in text.split("[[package]]").skip(1) {
        let get = |k: &str| block.lines().find_map(|l| l.strip_prefix(&format!("{k} = \""))).map(|v| v.trim_end_matches('"').to_string());
        if get("source").is_some() {
            theirs.insert(format!("{} {}", get("name").unwrap(), get("version").unwrap()));
        }
    }
    assert!(theirs.len() > 50, "{}", theirs.len());
    assert_eq!(ours, theirs);
    assert!(ours.iter().any(|p| p.starts_with("rusqlite ")));
    assert!(!ours.iter().any(|p| p.starts_with("dredge ")), "workspace members are not dependencies");
    assert!(CargoLock.extract("Cargo.lock", b"[[package]\nname=").is_err());
}
