//! The advisory database as an OCI artifact in a real registry (TLS + htpasswd): push, pull with
//! digest verification, and scans that pull it with --db-repository.
#![allow(clippy::panic, clippy::unwrap_used)]

mod common;
use common::registry::*;
use common::*;
use std::process::Command;

#[test]
fn push_pull_and_scan_with_db_repository() {
    let reg = Registry::start(true, Auth::Htpasswd);
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let built = dir.path().join("built.db");
    dredge_in(
        &cache,
        &["db", "build", "--source", fixtures().join("alpine-secdb/v3.9-main.yaml").to_str().unwrap(), "--output", built.to_str().unwrap()],
    )
    .ok();
    let reference = format!("{}/mirror/dredge-db:v1", reg.host());
    let ca = reg.ca();
    let creds = ["--username", USER, "--password", PASS, "--ca-cert", ca.as_str()];
    let mut push = vec!["db", "push", reference.as_str(), "--db", built.to_str().unwrap()];
    push.extend_from_slice(&creds);
    let r = dredge_in(&cache, &push).ok();
    assert!(r.stderr.contains("pushed"), "{}", r.stderr);
    // skopeo (not dredge) reads the artifact's manifest.
    let out = Command::new("skopeo")
        .args(["inspect", "--raw", "--cert-dir", reg.dir.join("certs.d").to_str().unwrap(), "--creds", &format!("{USER}:{PASS}")])
        .arg(format!("docker://{reference}"))
        .output()
        .unwrap();
    let m: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(m["artifactType"], "application/vnd.dredge.db.v1");
    assert_eq!(m["layers"][0]["mediaType"], "application/vnd.dredge.db.sqlite.v1+gzip");

    // Pull into another place: same database.
    let pulled = dir.path().join("pulled.db");
    let mut pull = vec!["db", "pull", reference.as_str(), "--db", pulled.to_str().unwrap()];
    pull.extend_from_slice(&creds);
    dredge_in(&cache, &pull).ok();
    let a = dredge_in(&cache, &["db", "status", "--db", built.to_str().unwrap(), "--format", "json"]).ok().json();
    let b = dredge_in(&cache, &["db", "status", "--db", pulled.to_str().unwrap(), "--format", "json"]).ok().json();
    assert_eq!((&a["advisories"], &a["built_at"], &a["sources"]), (&b["advisories"], &b["built_at"], &b["sources"]));
    // `db update --db-repository` takes the same fast path (the prebuilt database of the workflow).
    let updated = dir.path().join("updated.db");
    let mut update = vec!["db", "update", "--db", updated.to_str().unwrap(), "--db-repository", reference.as_str()];
    update.extend_from_slice(&creds);
    let r = dredge_in_env(&cache, &update, &[("DREDGE_OFFLINE", "0")]).ok();
    assert!(r.stderr.contains("pulled"), "{}", r.stderr);
    let c = dredge_in(&cache, &["db", "status", "--db", updated.to_str().unwrap(), "--format", "json"]).ok().json();
    assert_eq!((&a["advisories"], &a["built_at"]), (&c["advisories"], &c["built_at"]));

    // A scan with --db-repository and no local database pulls it first.
    let scanned_db = dir.path().join("scan.db");
    let img = format!("oci-archive:{}", repo().join("testdata/images/alpine-3.9.6.oci.tar").display());
    let mut scan =
        vec!["image", img.as_str(), "--db", scanned_db.to_str().unwrap(), "--db-repository", reference.as_str(), "--format", "json"];
    scan.extend_from_slice(&creds);
    let v = dredge_in_env(&cache, &scan, &[("DREDGE_OFFLINE", "0")]).ok().json();
    assert!(scanned_db.is_file());
    assert_eq!(v["vulnerabilities"], serde_json::json!([]));
    assert!(v["database"]["sources"].to_string().contains("v3.9-main.yaml"));

    // Something that is not a dredge database is refused, and the local file is untouched.
    reg.push("alpine-3.9", "team/alpine:3.9", true);
    let mut bad = vec!["db", "pull", "", "--db", pulled.to_str().unwrap()];
    let other = format!("{}/team/alpine:3.9", reg.host());
    bad[2] = other.as_str();
    bad.extend_from_slice(&creds);
    let r = dredge_in(&cache, &bad);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("not a dredge database"), "{}", r.stderr);
    let c = dredge_in(&cache, &["db", "status", "--db", pulled.to_str().unwrap(), "--format", "json"]).ok().json();
    assert_eq!(c["advisories"], a["advisories"]);
    // Without credentials the push is refused with a clear message.
    let r = dredge_in(&cache, &["db", "push", &reference, "--db", built.to_str().unwrap(), "--ca-cert", &ca]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("authentication required"), "{}", r.stderr);
}
