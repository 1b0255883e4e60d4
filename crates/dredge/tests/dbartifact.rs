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

/// GET or PUT a manifest on the test registry with curl (not dredge).
fn curl_manifest(reg: &Registry, path: &str, put: Option<&[u8]>) -> Vec<u8> {
    let url = format!("https://{}/v2/{path}", reg.host());
    let mut c = Command::new("curl");
    c.args(["-sS", "--fail", "--cacert", &reg.ca(), "-u", &format!("{USER}:{PASS}")]);
    c.args(["-H", "Accept: application/vnd.oci.image.manifest.v1+json", "-H", "Content-Type: application/vnd.oci.image.manifest.v1+json"]);
    if put.is_some() {
        c.args(["-X", "PUT", "--data-binary", "@-"]);
        c.stdin(std::process::Stdio::piped());
    }
    c.arg(url).stdout(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    if let Some(body) = put {
        use std::io::Write as _;
        child.stdin.take().unwrap().write_all(body).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "curl {path}");
    out.stdout
}

#[test]
fn signed_databases_are_verified_before_use() {
    let reg = Registry::start(true, Auth::Htpasswd);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cache = d.join("cache");
    // Built at different times (the signature covers the build time).
    let build = |name: &str, source: &std::path::Path, epoch: &str| {
        let p = d.join(name);
        let args = ["db", "build", "--source", source.to_str().unwrap(), "--output", p.to_str().unwrap()];
        dredge_in_env(&cache, &args, &[("SOURCE_DATE_EPOCH", epoch)]).ok();
        p
    };
    let alpine = build("alpine.db", &fixtures().join("alpine-secdb/v3.9-main.yaml"), "1700000000");
    let other = build("other.db", &repo().join("testdata/advisories/ubuntu/UBUNTU-CVE-2019-14697.json"), "1700003600");
    // Two key pairs; the private key file is 0600 and never replaced.
    let (k1, k2) = (d.join("k1"), d.join("k2"));
    let pub1 = dredge_in(&cache, &["db", "keygen", k1.to_str().unwrap()]).ok().stdout.trim().to_string();
    dredge_in(&cache, &["db", "keygen", k2.to_str().unwrap()]).ok();
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(std::fs::metadata(&k1).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(std::fs::read_to_string(d.join("k1.pub")).unwrap().trim(), pub1);
    let r = dredge_in(&cache, &["db", "keygen", k1.to_str().unwrap()]);
    assert_eq!(r.code, 2, "an existing key is not replaced: {}", r.stderr);
    // FILE.pub is never written through a link nor replaced, and then no private key is left.
    std::fs::write(d.join("victim"), "important\n").unwrap();
    std::os::unix::fs::symlink(d.join("victim"), d.join("k3.pub")).unwrap();
    let r = dredge_in(&cache, &["db", "keygen", d.join("k3").to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(d.join("victim")).unwrap(), "important\n");
    assert!(!d.join("k3").exists());

    let ca = reg.ca();
    let creds = ["--username", USER, "--password", PASS, "--ca-cert", ca.as_str()];
    let run = |args: &[&str]| {
        let mut a = args.to_vec();
        a.extend_from_slice(&creds);
        dredge_in(&cache, &a)
    };
    let repo_ref = |tag: &str| format!("{}/mirror/dredge-db:{tag}", reg.host());
    let (signed, unsigned, other_signed) = (repo_ref("signed"), repo_ref("unsigned"), repo_ref("other"));
    assert!(
        run(&["db", "push", &signed, "--db", alpine.to_str().unwrap(), "--sign-key", k1.to_str().unwrap()])
            .ok()
            .stderr
            .contains("(signed)")
    );
    run(&["db", "push", &unsigned, "--db", alpine.to_str().unwrap()]).ok();
    run(&["db", "push", &other_signed, "--db", other.to_str().unwrap(), "--sign-key", k1.to_str().unwrap()]).ok();

    let pulled = d.join("pulled.db");
    let key1 = d.join("k1.pub");
    // The right key: pulled (key as a file, then as text through the environment).
    run(&["db", "pull", &signed, "--db", pulled.to_str().unwrap(), "--db-public-key", key1.to_str().unwrap()]).ok();
    let mut a = vec!["db", "pull", signed.as_str(), "--db", pulled.to_str().unwrap()];
    a.extend_from_slice(&creds);
    dredge_in_env(&cache, &a, &[("DREDGE_DB_PUBLIC_KEY", pub1.as_str())]).ok();
    let before = std::fs::read(&pulled).unwrap();
    let refused = |reference: &str, key: &str, why: &str| {
        let r = run(&["db", "pull", reference, "--db", pulled.to_str().unwrap(), "--db-public-key", key]);
        assert_eq!(r.code, 2, "{reference}: {}", r.stderr);
        assert!(r.stderr.contains(why), "{reference}: {}", r.stderr);
        assert_eq!(std::fs::read(&pulled).unwrap(), before, "the local database is untouched");
    };
    // Another key, no signature, a bad key text.
    refused(&signed, d.join("k2.pub").to_str().unwrap(), "signature check failed: it names key");
    refused(&unsigned, key1.to_str().unwrap(), "is not signed");
    refused(&signed, "bm90IGEga2V5", "32 bytes");
    // A forged manifest: the signed manifest of the Alpine database, its layer swapped for the
    // other (also signed, by the same key) database's layer. The signature covers the layer
    // digest and build time, so the swap is caught.
    let good: serde_json::Value = serde_json::from_slice(&curl_manifest(&reg, "mirror/dredge-db/manifests/signed", None)).unwrap();
    let swap: serde_json::Value = serde_json::from_slice(&curl_manifest(&reg, "mirror/dredge-db/manifests/other", None)).unwrap();
    let mut forged = good.clone();
    forged["layers"] = swap["layers"].clone();
    curl_manifest(&reg, "mirror/dredge-db/manifests/forged", Some(&serde_json::to_vec(&forged).unwrap()));
    refused(&repo_ref("forged"), key1.to_str().unwrap(), "not a valid signature of this layer and build time");
    // The other way round: the other database's layer and signature under the Alpine build time.
    let mut replay = swap.clone();
    replay["annotations"]["org.opencontainers.image.created"] = good["annotations"]["org.opencontainers.image.created"].clone();
    curl_manifest(&reg, "mirror/dredge-db/manifests/replay", Some(&serde_json::to_vec(&replay).unwrap()));
    refused(&repo_ref("replay"), key1.to_str().unwrap(), "not a valid signature");
    // The key may be given as its content (a CI secret): it signs, and a wrong value is refused
    // without being shown.
    let content = std::fs::read_to_string(&k1).unwrap();
    let mut a = vec!["db", "push", repo_ref("from-env").leak() as &str, "--db", alpine.to_str().unwrap()];
    a.extend_from_slice(&creds);
    assert!(dredge_in_env(&cache, &a, &[("DREDGE_DB_SIGNING_KEY", content.trim())]).ok().stderr.contains("(signed)"));
    let wrong = "MFECAQEwBQYDK2VwBCIEIZZZZ-not-a-key-ZZZZ";
    let r = dredge_in_env(&cache, &a, &[("DREDGE_DB_SIGNING_KEY", wrong)]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("the value is not shown") && !r.stderr.contains(wrong), "{}", r.stderr);
    // A key file others can read is used, with a warning.
    std::fs::set_permissions(&k1, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let r = run(&["db", "push", &repo_ref("loose"), "--db", alpine.to_str().unwrap(), "--sign-key", k1.to_str().unwrap()]).ok();
    assert!(r.stderr.contains("can be read by others"), "{}", r.stderr);
    // No rollback: the newer signed database pulled, the older one is then refused.
    let fresh = d.join("fresh.db");
    run(&["db", "pull", &other_signed, "--db", fresh.to_str().unwrap(), "--db-public-key", key1.to_str().unwrap()]).ok();
    let r = run(&["db", "pull", &signed, "--db", fresh.to_str().unwrap(), "--db-public-key", key1.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("older than the local database"), "{}", r.stderr);
    // db update --db-repository checks it too.
    let upd = d.join("updated.db");
    let mut a = vec!["db", "update", "--db", upd.to_str().unwrap(), "--db-repository", unsigned.as_str(), "--db-public-key", pub1.as_str()];
    a.extend_from_slice(&creds);
    let r = dredge_in_env(&cache, &a, &[("DREDGE_OFFLINE", "0")]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(!upd.exists());
}
