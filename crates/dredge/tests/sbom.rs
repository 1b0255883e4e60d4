//! SBOMs validated by the official tools (CycloneDX 1.6 JSON schema, SPDX 2.3 via spdx-tools),
//! and their content checked against the oracles.
#![allow(clippy::panic, clippy::unwrap_used)]

mod common;
use common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::process::Command;

fn sbom(target: &str, format: &str, extra: &[&str]) -> (Value, std::path::PathBuf, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join(format!("sbom.{format}.json"));
    let mut args = vec!["sbom", target, "--format", format, "--output", out.to_str().expect("utf8"), "--image-src", "registry"];
    args.extend_from_slice(extra);
    let r = dredge_in(&dir.path().join("cache"), &args).ok();
    assert!(r.stdout.is_empty(), "--output writes the file, not stdout");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&out).expect("sbom written")).expect("json");
    (v, out, dir)
}

fn validate(kind: &str, path: &std::path::Path) {
    let out = Command::new("python3")
        .arg(repo().join("testdata/validate-sbom.py"))
        .arg(kind)
        .arg(path)
        .output()
        .expect("python3 with cyclonedx-python-lib and spdx-tools (.ci/setup installs them)");
    assert!(
        out.status.success(),
        "{kind} validation failed for {}:\n{}{}",
        path.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_validators_reject_broken_documents() {
    // The oracle itself must be able to fail: break one field of each format.
    let (mut v, path, _d) = sbom(&img("alpine-3.9.docker.tar"), "cyclonedx", &[]);
    v["components"][1]["type"] = "bogus".into();
    std::fs::write(&path, v.to_string()).expect("write");
    let st = Command::new("python3").arg(repo().join("testdata/validate-sbom.py")).arg("cyclonedx").arg(&path).output().expect("python3");
    assert!(!st.status.success());
    let (mut v, path, _d) = sbom(&img("alpine-3.9.docker.tar"), "spdx-json", &[]);
    v["packages"][1]["SPDXID"] = "bad id".into();
    std::fs::write(&path, v.to_string()).expect("write");
    let st = Command::new("python3").arg(repo().join("testdata/validate-sbom.py")).arg("spdx").arg(&path).output().expect("python3");
    assert!(!st.status.success());
}

fn img(n: &str) -> String {
    images().join(n).display().to_string()
}

#[test]
fn cyclonedx_validates_and_carries_purls_and_layers() {
    for t in [img("debian-12.docker.tar"), img("alpine-3.19-multi.docker.tar"), format!("oci-dir:{}:rpm-sqlite", img("oci"))] {
        let (v, path, _d) = sbom(&t, "cyclonedx", &[]);
        validate("cyclonedx", &path);
        assert_eq!(v["specVersion"], "1.6");
        assert_eq!(v["metadata"]["component"]["type"], "container");
        assert!(v["metadata"]["component"]["version"].as_str().is_some_and(|s| s.starts_with("sha256:")));
        let comps = v["components"].as_array().expect("components");
        let libs: Vec<&Value> = comps.iter().filter(|c| c["type"] == "library").collect();
        assert!(!libs.is_empty());
        for c in &libs {
            assert!(c["purl"].as_str().is_some_and(|p| p.starts_with("pkg:")), "{c}");
            let props = c["properties"].to_string();
            assert!(props.contains("dredge:layer:diff-id") && props.contains("dredge:location:path"), "{c}");
        }
        assert!(comps.iter().any(|c| c["type"] == "operating-system"), "{t}");
    }
}

#[test]
fn spdx_validates() {
    for t in [img("debian-12.docker.tar"), img("alpine-3.9.docker.tar"), format!("oci-dir:{}:rpm-ndb", img("oci"))] {
        let (v, path, _d) = sbom(&t, "spdx-json", &[]);
        validate("spdx", &path);
        assert_eq!(v["spdxVersion"], "SPDX-2.3");
        let pkgs = v["packages"].as_array().expect("packages");
        assert!(pkgs.iter().any(|p| p["primaryPackagePurpose"] == "CONTAINER"));
        assert!(pkgs.iter().filter(|p| p["primaryPackagePurpose"] == "LIBRARY").all(|p| p["externalRefs"][0]["referenceType"] == "purl"));
    }
}

#[test]
fn sbom_of_a_rootfs_directory_validates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let st = Command::new("tar")
        .arg("xzf")
        .arg(fixtures().join("alpine/alpine-minirootfs-3.19.4-x86_64.tar.gz"))
        .arg("-C")
        .arg(dir.path())
        .status()
        .expect("tar");
    assert!(st.success());
    let (_, path, _d) = sbom(dir.path().to_str().expect("utf8"), "cyclonedx", &[]);
    validate("cyclonedx", &path);
    let (v, path, _d) = sbom(&format!("dir:{}", dir.path().display()), "spdx-json", &[]);
    validate("spdx", &path);
    assert_eq!(v["packages"][0]["primaryPackagePurpose"], "FILE");
}

/// (name, epoch, version, release, arch) of rpm packages in a dredge JSON report.
fn rpm_rows(v: &Value) -> BTreeSet<String> {
    v["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| {
            let full = p["version"].as_str().unwrap_or("");
            let vr = full.split_once(':').map_or(full, |(_, r)| r);
            let (ver, rel) = vr.rsplit_once('-').unwrap_or((vr, ""));
            let epoch = p["epoch"].as_u64().map(|e| e.to_string()).unwrap_or_default();
            format!("{}\t{}\t{}\t{}\t{}", p["name"].as_str().unwrap_or(""), epoch, ver, rel, p["arch"].as_str().unwrap_or(""))
        })
        .collect()
}

#[test]
fn rpm_images_in_all_three_database_formats() {
    for (tag, expected) in [("rpm-sqlite", "rpm-sqlite.tsv"), ("rpm-bdb", "rpm-bdb.tsv"), ("rpm-ndb", "rpm-ndb.tsv")] {
        let (v, _, _d) = sbom(&format!("oci-dir:{}:{tag}", img("oci")), "json", &[]);
        assert_eq!(rpm_rows(&v), tsv(&images().join("expected").join(expected)), "{tag}");
    }
    let (v, _, _d) = sbom(&format!("oci-dir:{}:rpm-sqlite", img("oci")), "json", &[]);
    let curl = v["packages"].as_array().and_then(|a| a.iter().find(|p| p["name"] == "curl")).expect("curl").clone();
    assert!(curl["purl"].as_str().is_some_and(|p| p.starts_with("pkg:rpm/mariner/curl@") && p.contains("distro=mariner-2.0")), "{curl}");
    assert_eq!(curl["source"]["name"], "curl");
    assert!(curl["license"].as_str().is_some_and(|l| !l.is_empty()), "{curl}");
    assert!(curl["files"].as_array().is_some_and(|f| f.iter().any(|x| x == "/usr/bin/curl")), "{curl}");
}

#[test]
fn stdout_and_deterministic_output() {
    let c = tempfile::tempdir().expect("tempdir");
    let t = img("alpine-3.9.docker.tar");
    let a = dredge_in(c.path(), &["sbom", &t, "--format", "cyclonedx"]).ok();
    let b = dredge_in(c.path(), &["sbom", &t, "--format", "cyclonedx"]).ok();
    assert_eq!(a.stdout, b.stdout, "same input, same SBOM (SOURCE_DATE_EPOCH fixes the time)");
    let v: Value = serde_json::from_str(&a.stdout).expect("json");
    assert_eq!(v["metadata"]["timestamp"], "2023-11-14T22:13:20Z");
}
