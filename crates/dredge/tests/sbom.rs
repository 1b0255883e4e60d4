//! SBOMs validated by the official tools (CycloneDX 1.6 JSON schema, SPDX 2.3 via spdx-tools),
//! and their content checked against the oracles.
#![allow(clippy::panic, clippy::unwrap_used)]

mod common;
use common::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
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

/// What `trivy sbom` (a real consumer) makes of dredge's SBOMs: every package, typed as its
/// ecosystem (OS packages as the OS's, a Python package as Python: before the application
/// components, CycloneDX hung every package under the OS and Trivy read them all as apk), and
/// the same from CycloneDX and SPDX.
#[test]
fn trivy_reads_every_package_with_its_type_from_both_formats() {
    // dredge ecosystem → the Trivy package type it must become (`gobinary`: Go binaries).
    let types: BTreeMap<&str, &str> = [
        ("apk", "alpine"),
        ("pypi", "python-pkg"),
        ("npm", "node-pkg"),
        ("golang", "gobinary"),
        ("maven", "jar"),
        ("cargo", "cargo"),
        ("gem", "gemspec"),
        ("nuget", "nuget"),
        ("composer", "composer"),
        ("pub", "pub"),
        ("hex", "hex"),
        ("cocoapods", "cocoapods"),
        ("conan", "conan"),
        ("conda", "conda-pkg"),
        ("swift", "swift"),
    ]
    .into();
    let mut deduplicated = false;
    for (name, target) in [
        ("lang-app", format!("oci-dir:{}:lang-app", images().join("oci").display())),
        ("lang-full", format!("docker-archive:{}", images().join("lang-full.docker.tar").display())),
    ] {
        let (inv, _, _d0) = sbom(&target, "json", &[]);
        // One SBOM package per package identity (purl): a package found in two files is one.
        let mut want: BTreeMap<String, usize> = BTreeMap::new();
        let mut seen = BTreeSet::new();
        for p in inv["packages"].as_array().unwrap() {
            let eco = p["ecosystem"].as_str().unwrap();
            // Trivy 0.59 has no Julia packages in SBOMs: left out of the comparison.
            if eco != "julia" && seen.insert(p["purl"].as_str().unwrap().to_string()) {
                *want.entry(types.get(eco).unwrap_or_else(|| panic!("no Trivy type for {eco}")).to_string()).or_default() += 1;
            }
        }
        deduplicated |= seen.len() < inv["packages"].as_array().unwrap().len();
        let mut seen = Vec::new();
        for format in ["cyclonedx", "spdx-json"] {
            let (_, path, _d) = sbom(&target, format, &[]);
            let v = trivy_json(&["sbom".as_ref(), "--scanners".as_ref(), "license".as_ref(), "--list-all-pkgs".as_ref(), path.as_os_str()]);
            let mut got: BTreeMap<String, usize> = BTreeMap::new();
            for r in v["Results"].as_array().into_iter().flatten() {
                if matches!(r["Class"].as_str(), Some("os-pkgs" | "lang-pkgs")) {
                    *got.entry(r["Type"].as_str().unwrap().to_string()).or_default() += r["Packages"].as_array().map_or(0, Vec::len);
                }
            }
            assert_eq!(got, want, "{name} {format}: package types as trivy reads them");
            seen.push(got);
        }
        assert_eq!(seen[0], seen[1], "{name}: CycloneDX and SPDX read alike");
    }
    assert!(deduplicated, "some package of the test images is found in two files");
}

/// The image, not the file it was read from, is the SBOM's subject: named by its reference (the
/// tag an archive or layout carries), versioned by its digest (the manifest's, which skopeo
/// computes independently, or the config's for a `docker save` archive, which has no manifest),
/// with a `pkg:oci` purl when the manifest is known.
#[test]
fn the_image_is_the_metadata_component() {
    let sha = |args: &[&str]| {
        let out = Command::new("skopeo").args(args).output().expect("skopeo");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let mut c = Command::new("sha256sum").stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).spawn().unwrap();
        std::io::Write::write_all(&mut c.stdin.take().unwrap(), &out.stdout).unwrap();
        format!("sha256:{}", String::from_utf8_lossy(&c.wait_with_output().unwrap().stdout).split_whitespace().next().unwrap())
    };
    let layout = images().join("oci");
    let manifest = sha(&["inspect", "--raw", &format!("oci:{}:lang-app", layout.display())]);
    let (v, _, _d) = sbom(&format!("oci-dir:{}:lang-app", layout.display()), "cyclonedx", &[]);
    let c = &v["metadata"]["component"];
    assert_eq!(
        (c["type"].as_str(), c["name"].as_str(), c["version"].as_str()),
        (Some("container"), Some("lang-app"), Some(manifest.as_str()))
    );
    assert_eq!(c["purl"], format!("pkg:oci/lang-app@{}?arch=amd64", manifest.replace(':', "%3A")));
    assert_eq!(c["hashes"][0]["content"], manifest.trim_start_matches("sha256:"));
    let archive = images().join("lang-full.docker.tar");
    let config = sha(&["inspect", "--raw", "--config", &format!("docker-archive:{}", archive.display())]);
    let (v, _, _d) = sbom(&format!("docker-archive:{}", archive.display()), "cyclonedx", &[]);
    let c = &v["metadata"]["component"];
    assert_eq!((c["name"].as_str(), c["version"].as_str()), (Some("docker.io/dredge-test/lang-full:1"), Some(config.as_str())));
    assert!(c["purl"].is_null(), "no manifest, no oci purl: {c}");
    let path = c["properties"].as_array().unwrap().iter().find(|p| p["name"] == "dredge:target:path").unwrap();
    assert!(path["value"].as_str().unwrap().ends_with("lang-full.docker.tar"));
}

/// SPDX says the same as CycloneDX: the document DESCRIBES the image, which CONTAINS its OS and
/// its applications, each of which CONTAINS its packages (every package exactly once).
#[test]
fn spdx_relationships_follow_the_owners() {
    let (v, _, _d) = sbom(&format!("oci-dir:{}:lang-app", images().join("oci").display()), "spdx-json", &[]);
    let purpose: BTreeMap<&str, &str> = v["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["SPDXID"].as_str().unwrap(), p["primaryPackagePurpose"].as_str().unwrap_or("")))
        .collect();
    let rels = v["relationships"].as_array().unwrap();
    let describes: Vec<&str> =
        rels.iter().filter(|r| r["relationshipType"] == "DESCRIBES").map(|r| r["relatedSpdxElement"].as_str().unwrap()).collect();
    assert_eq!(describes.len(), 1);
    assert_eq!(purpose[describes[0]], "CONTAINER");
    let mut container_of: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for r in rels.iter().filter(|r| r["relationshipType"] == "CONTAINS") {
        container_of.entry(r["relatedSpdxElement"].as_str().unwrap()).or_default().push(r["spdxElementId"].as_str().unwrap());
    }
    let purl = |id: &str| {
        v["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["SPDXID"] == id)
            .and_then(|p| p["externalRefs"][0]["referenceLocator"].as_str())
            .unwrap_or("")
            .to_string()
    };
    let mut libs = 0;
    for (id, p) in &purpose {
        if *p != "LIBRARY" {
            continue;
        }
        libs += 1;
        let owners = &container_of[id];
        assert_eq!(owners.len(), 1, "{id}");
        let want = if purl(id).starts_with("pkg:apk/") { "OPERATING-SYSTEM" } else { "APPLICATION" };
        assert_eq!(purpose[owners[0]], want, "{id}");
    }
    assert_eq!(libs, 20, "14 apk, 5 Python, 1 npm packages");
}

/// `syft convert` reads both formats without losing a package: every purl dredge wrote comes
/// back with its package type.
#[test]
fn syft_convert_keeps_every_package() {
    let target = format!("oci-dir:{}:lang-app", images().join("oci").display());
    let (inv, _, _d0) = sbom(&target, "json", &[]);
    let want: BTreeSet<(String, String)> = inv["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let kind = match p["ecosystem"].as_str().unwrap() {
                "pypi" => "python",
                e => e,
            };
            (p["purl"].as_str().unwrap().to_string(), kind.to_string())
        })
        .collect();
    assert_eq!(want.len(), 20);
    for format in ["cyclonedx", "spdx-json"] {
        let (_, path, _d) = sbom(&target, format, &[]);
        let out = Command::new(peer("syft")).args(["convert"]).arg(&path).args(["-o", "syft-json"]).output().unwrap();
        let v: Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("syft convert: {e}: {}", String::from_utf8_lossy(&out.stderr)));
        let got: BTreeSet<(String, String)> = v["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["purl"].as_str().is_some_and(|p| !p.is_empty()))
            .map(|a| (a["purl"].as_str().unwrap().to_string(), a["type"].as_str().unwrap().to_string()))
            .collect();
        assert_eq!(got, want, "{format}");
    }
}

/// The SBOM of a directory is one `trivy sbom` reads (its subject is an application: CycloneDX's
/// `file` made trivy stop at once).
#[test]
fn trivy_reads_a_directory_sbom() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("tree/usr/lib/python3/site-packages/six-1.16.0.dist-info");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("METADATA"), "Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\nLicense: MIT\n\n").unwrap();
    let out = dir.path().join("tree.cdx.json");
    dredge_in(
        &dir.path().join("cache"),
        &["sbom", dir.path().join("tree").to_str().unwrap(), "--format", "cyclonedx", "--output", out.to_str().unwrap()],
    )
    .ok();
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(v["metadata"]["component"]["type"], "application");
    let tv = trivy_json(&["sbom".as_ref(), "--scanners".as_ref(), "license".as_ref(), "--list-all-pkgs".as_ref(), out.as_os_str()]);
    let python: usize = tv["Results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["Type"] == "python-pkg")
        .map(|r| r["Packages"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(python, 1);
}

/// Trivy looks up Debian, Ubuntu and Red Hat advisories by source package, so an SBOM it reads
/// must carry each OS package's source: `trivy sbom` on dredge's CycloneDX and SPDX gives every
/// OS package the source name and version that `trivy image` reads from the image itself (the
/// oracle: its own dpkg, apk and rpm parsers). Before, 62 of debian-12's 88 packages came back
/// as their own source (`bsdutils` instead of `util-linux`).
#[test]
fn trivy_reads_the_source_package_of_every_os_package() {
    // Trivy's version fields joined as its FormatVersion does: epoch:version-release.
    let full = |p: &Value, pre: &str| {
        let e = p[format!("{pre}Epoch")].as_u64().unwrap_or(0);
        let v = p[format!("{pre}Version")].as_str().unwrap_or_default();
        let r = p[format!("{pre}Release")].as_str().unwrap_or_default();
        format!("{}{v}{}", if e > 0 { format!("{e}:") } else { String::new() }, if r.is_empty() { String::new() } else { format!("-{r}") })
    };
    let sources = |v: &Value| -> BTreeSet<(String, String, String, String)> {
        v["Results"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["Class"] == "os-pkgs")
            .flat_map(|r| r["Packages"].as_array().cloned().unwrap_or_default())
            .map(|p| {
                (
                    p["Name"].as_str().unwrap().to_string(),
                    full(&p, ""),
                    p["SrcName"].as_str().unwrap_or_default().to_string(),
                    full(&p, "Src"),
                )
            })
            .collect()
    };
    let tmp = tempfile::tempdir().unwrap();
    let rpm = tmp.path().join("rpm-sqlite.docker.tar");
    let st = Command::new("skopeo")
        .args([
            "copy",
            "-q",
            &format!("oci:{}:rpm-sqlite", images().join("oci").display()),
            &format!("docker-archive:{}:dredge-test/rpm:1", rpm.display()),
        ])
        .status()
        .expect("skopeo");
    assert!(st.success());
    for archive in [images().join("debian-12.docker.tar"), images().join("alpine-3.19-multi.docker.tar"), rpm] {
        let image = trivy_json(&[
            "image".as_ref(),
            "--scanners".as_ref(),
            "license".as_ref(),
            "--list-all-pkgs".as_ref(),
            "--input".as_ref(),
            archive.as_os_str(),
        ]);
        let want = sources(&image);
        // The OS family as Trivy names it (its advisory lookups go by it): `cbl-mariner`, not
        // os-release's `mariner`.
        let family = |v: &Value| v["Metadata"]["OS"]["Family"].as_str().unwrap_or_default().to_string();
        assert!(!family(&image).is_empty());
        assert!(want.len() > 10, "{}: trivy found {} OS packages", archive.display(), want.len());
        assert!(want.iter().any(|(n, _, s, _)| n != s), "{}: some binary package has another source", archive.display());
        for format in ["cyclonedx", "spdx-json"] {
            let (_, path, _d) = sbom(&archive.display().to_string(), format, &[]);
            let read =
                trivy_json(&["sbom".as_ref(), "--scanners".as_ref(), "license".as_ref(), "--list-all-pkgs".as_ref(), path.as_os_str()]);
            assert_eq!(family(&read), family(&image), "{} {format}: OS family", archive.display());
            let got = sources(&read);
            let missing: Vec<_> = want.difference(&got).take(5).collect();
            let extra: Vec<_> = got.difference(&want).take(5).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{} {format}: trivy image has {missing:?}, trivy sbom of dredge's has {extra:?}",
                archive.display()
            );
        }
    }
}

/// One component per package identity: a package found in several files (lang-full has the same
/// Python packages in three lockfiles, and jars in two places) is one CycloneDX component with
/// each place in `evidence.occurrences`, and `sbom-scan` gives every occurrence back with its
/// path, jar member, origin and dev flag — the image's inventory, package for package.
#[test]
fn one_component_per_package_with_every_occurrence() {
    let target = img("lang-full.docker.tar");
    let (inv, _, _d0) = sbom(&target, "json", &[]);
    let (v, path, d) = sbom(&target, "cyclonedx", &[]);
    validate("cyclonedx", &path);
    let libs: Vec<&Value> = v["components"].as_array().unwrap().iter().filter(|c| c["type"] == "library").collect();
    let purls: BTreeSet<&str> = libs.iter().map(|c| c["purl"].as_str().unwrap()).collect();
    assert_eq!(purls.len(), libs.len(), "a purl is on two components");
    let refs: BTreeSet<&str> = v["components"].as_array().unwrap().iter().map(|c| c["bom-ref"].as_str().unwrap()).collect();
    assert_eq!(refs.len(), v["components"].as_array().unwrap().len(), "bom-refs are unique");
    // Every package of the inventory is one occurrence of its component.
    let packages = inv["packages"].as_array().unwrap();
    let occurrences: usize = libs.iter().map(|c| c["evidence"]["occurrences"].as_array().map_or(0, Vec::len)).sum();
    assert_eq!(occurrences, packages.iter().filter(|p| p["location"].is_object()).count());
    assert!(libs.len() < packages.len(), "lang-full has packages found in several files");
    assert!(libs.iter().any(|c| c["evidence"]["occurrences"].as_array().is_some_and(|o| o.len() >= 3)));
    // Every dependsOn names a component.
    for dep in v["dependencies"].as_array().unwrap() {
        for r in dep["dependsOn"].as_array().unwrap() {
            assert!(refs.contains(r.as_str().unwrap()), "dependsOn {r} names no component");
        }
    }
    // sbom-scan expands the occurrences back: the same packages, place by place.
    let key = |p: &Value| {
        format!(
            "{} {} {} {} {}",
            p["purl"].as_str().unwrap(),
            p["location"]["path"].as_str().unwrap_or("-"),
            p["member"].as_str().unwrap_or("-"),
            p["origin"].as_str().unwrap_or("-"),
            p["dev"].as_bool().unwrap_or(false)
        )
    };
    let db = build_db(d.path(), &repo().join("testdata/advisories/alpine-secdb-v3.9-main.yaml"), "adv.db");
    let want: BTreeSet<String> =
        packages.iter().filter(|p| !p["ecosystem"].as_str().is_some_and(|e| ["julia"].contains(&e))).map(key).collect();
    // SPDX too: one package per identity, each place in a dredge annotation.
    let (_, spdx, _d2) = sbom(&target, "spdx-json", &[]);
    validate("spdx", &spdx);
    for doc in [&path, &spdx] {
        let back = dredge_in(&d.path().join("c"), &["sbom-scan", doc.to_str().unwrap(), "--db", db.to_str().unwrap(), "--format", "json"])
            .ok()
            .json();
        let got: BTreeSet<String> = back["packages"].as_array().unwrap().iter().map(key).collect();
        let missing: Vec<_> = want.difference(&got).take(5).collect();
        let extra: Vec<_> = got.difference(&want).take(5).collect();
        assert!(missing.is_empty() && extra.is_empty(), "sbom-scan of {} lost {missing:?}, made up {extra:?}", doc.display());
    }
}

/// `trivy fs --format cyclonedx` (offline, a fresh cache) on `dir`: its document.
fn trivy_fs_cyclonedx(dir: &std::path::Path, extra: &[&str]) -> Value {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("trivy.cdx.json");
    let st = Command::new(peer("trivy"))
        .arg("fs")
        .args(extra)
        .args(["--format", "cyclonedx", "--skip-db-update", "--offline-scan", "--quiet", "--cache-dir"])
        .arg(work.path().join("cache"))
        .arg("-o")
        .arg(&out)
        .arg(dir)
        .env("TRIVY_NO_PROGRESS", "true")
        .status()
        .unwrap();
    assert!(st.success(), "trivy fs {}", dir.display());
    serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap()
}

/// The edges of a CycloneDX document between library components, as `name@version` pairs.
fn cdx_edges(v: &Value) -> (BTreeSet<(String, String)>, BTreeSet<String>) {
    let names: BTreeMap<&str, String> = v["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "library")
        // By purl without qualifiers: tools split scoped npm names differently (`group`), the
        // purl says the same.
        .map(|c| {
            let id = match c["purl"].as_str() {
                Some(p) => p.split(['?', '#']).next().unwrap_or(p).to_string(),
                None => format!("{}@{}", c["name"].as_str().unwrap(), c["version"].as_str().unwrap_or("")),
            };
            (c["bom-ref"].as_str().unwrap(), id)
        })
        .collect();
    let mut edges = BTreeSet::new();
    for d in v["dependencies"].as_array().into_iter().flatten() {
        let Some(from) = names.get(d["ref"].as_str().unwrap()) else { continue };
        for t in d["dependsOn"].as_array().into_iter().flatten() {
            if let Some(to) = names.get(t.as_str().unwrap()) {
                edges.insert((from.clone(), to.clone()));
            }
        }
    }
    (edges, names.into_values().collect())
}

/// Package-to-package edges where the lockfile states them, checked against the tools that own
/// the formats: this repository's own Cargo.lock (212 crates) against Trivy's reading of it, the
/// poetry, uv, pnpm (v6, v9) and yarn (v1, berry) lockfiles against Trivy's, and an npm v3 lockfile with nested
/// installs against `npm ls`. CycloneDX `dependsOn` and SPDX
/// `DEPENDS_ON` say the same.
#[test]
fn lockfile_graphs_are_the_edges_their_tools_see() {
    let dir = tempfile::tempdir().unwrap();
    let cargo = dir.path().join("cargo");
    std::fs::create_dir_all(&cargo).unwrap();
    std::fs::copy(repo().join("Cargo.lock"), cargo.join("Cargo.lock")).unwrap();
    let (v, _, _d) = sbom(cargo.to_str().unwrap(), "cyclonedx", &[]);
    let (ours, packages) = cdx_edges(&v);
    assert!(packages.len() > 100 && ours.len() > 200, "{} crates, {} edges", packages.len(), ours.len());
    let tv = trivy_fs_cyclonedx(&cargo, &[]);
    // Trivy lists the workspace members too (the project, not dependencies): compared on the
    // crates both list.
    let (theirs, their_packages) = cdx_edges(&tv);
    assert!(packages.is_subset(&their_packages));
    let theirs: BTreeSet<_> = theirs.into_iter().filter(|(a, b)| packages.contains(a) && packages.contains(b)).collect();
    assert_eq!(ours, theirs, "Cargo.lock edges: dredge and Trivy");
    let (s, _, _d) = sbom(cargo.to_str().unwrap(), "spdx-json", &[]);
    let name_of: BTreeMap<&str, String> = s["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let purl = p["externalRefs"][0]["referenceLocator"].as_str().unwrap_or_default();
            (p["SPDXID"].as_str().unwrap(), purl.split(['?', '#']).next().unwrap_or(purl).to_string())
        })
        .collect();
    let spdx: BTreeSet<(String, String)> = s["relationships"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["relationshipType"] == "DEPENDS_ON")
        .map(|r| (name_of[r["spdxElementId"].as_str().unwrap()].clone(), name_of[r["relatedSpdxElement"].as_str().unwrap()].clone()))
        .collect();
    assert_eq!(spdx, ours, "SPDX DEPENDS_ON = CycloneDX dependsOn");

    // The lockfile fixtures whose formats record a graph Trivy reads too (dev dependencies
    // included, as dredge lists them): the same edges.
    // yarn v1: ranges that resolve to one entry, an entry two ranges share, a scoped package.
    let yarn1 = dir.path().join("yarn-v1-graph");
    std::fs::create_dir_all(&yarn1).unwrap();
    std::fs::write(yarn1.join("package.json"), r#"{"name":"app","version":"1.0.0","dependencies":{"a":"^1.0.0","@s/b":"^2.0.0"}}"#)
        .unwrap();
    std::fs::write(
        yarn1.join("yarn.lock"),
        "# yarn lockfile v1\n\n\"@s/b@^2.0.0\":\n  version \"2.1.0\"\n  resolved \"https://registry.yarnpkg.com/@s/b/-/b-2.1.0.tgz\"\n  dependencies:\n    c \"^3.1.0\"\n\na@^1.0.0:\n  version \"1.2.0\"\n  resolved \"https://registry.yarnpkg.com/a/-/a-1.2.0.tgz\"\n  dependencies:\n    \"@s/b\" \"^2.0.0\"\n    c \"^3.0.0\"\n  optionalDependencies:\n    d \"~1.0.0\"\n\nc@^3.0.0, c@^3.1.0:\n  version \"3.1.4\"\n  resolved \"https://registry.yarnpkg.com/c/-/c-3.1.4.tgz\"\n\nd@~1.0.0:\n  version \"1.0.2\"\n  resolved \"https://registry.yarnpkg.com/d/-/d-1.0.2.tgz\"\n",
    )
    .unwrap();
    // Gemfile.lock (a spec's dependencies indented under it) and composer.lock (`require`;
    // platform entries like `php` and `ext-json` give no edge).
    let gems = dir.path().join("gemfile-graph");
    std::fs::create_dir_all(&gems).unwrap();
    std::fs::write(gems.join("Gemfile"), "source \"https://rubygems.org\"\ngem \"actionpack\"\n").unwrap();
    std::fs::write(
        gems.join("Gemfile.lock"),
        "GEM\n  remote: https://rubygems.org/\n  specs:\n    actionpack (7.1.3)\n      actionview (= 7.1.3)\n      rack (>= 2.2.4)\n    actionview (7.1.3)\n      erubi (~> 1.11)\n    erubi (1.12.0)\n    rack (3.0.9)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  actionpack\n\nBUNDLED WITH\n   2.5.6\n",
    )
    .unwrap();
    let composer = dir.path().join("composer-graph");
    std::fs::create_dir_all(&composer).unwrap();
    std::fs::write(
        composer.join("composer.lock"),
        r#"{"packages":[{"name":"monolog/monolog","version":"3.5.0","require":{"php":">=8.1","psr/log":"^2.0 || ^3.0"}},{"name":"psr/log","version":"3.0.0","require":{"php":">=8.0.0"}}],
            "packages-dev":[{"name":"phpunit/phpunit","version":"10.5.0","require":{"ext-json":"*","sebastian/diff":"^5.0"}},{"name":"sebastian/diff","version":"5.1.0","require":{}}]}"#,
    )
    .unwrap();
    for fixture in ["poetry-lock", "uv-lock", "pnpm-v6", "pnpm-v9", "yarn-berry"]
        .iter()
        .map(|n| repo().join("crates/dredge-extract/testdata/lang").join(n))
        .chain([yarn1.clone(), gems.clone(), composer.clone()])
    {
        let name = fixture.file_name().unwrap().to_string_lossy().into_owned();
        let (v, _, _d) = sbom(fixture.to_str().unwrap(), "cyclonedx", &[]);
        let (ours, packages) = cdx_edges(&v);
        let (theirs, their_packages) = cdx_edges(&trivy_fs_cyclonedx(&fixture, &["--include-dev-deps"]));
        // Compared on the packages both list (Trivy 0.59 reads no composer `packages-dev`).
        let both = |(a, b): &(String, String)| {
            packages.contains(a) && packages.contains(b) && their_packages.contains(a) && their_packages.contains(b)
        };
        let theirs: BTreeSet<_> = theirs.into_iter().filter(both).collect();
        if name == "composer-graph" {
            assert!(
                ours.contains(&("pkg:composer/phpunit/phpunit@10.5.0".to_string(), "pkg:composer/sebastian/diff@5.1.0".to_string())),
                "{ours:?}"
            );
        }
        if name == "yarn-v1-graph" {
            // Trivy leaves yarn v1's optionalDependencies out (the package and its edge); yarn
            // installs them for the package that lists them, and dredge keeps the edge.
            let optional = ("pkg:npm/a@1.2.0".to_string(), "pkg:npm/d@1.0.2".to_string());
            assert!(ours.contains(&optional) && !theirs.contains(&optional), "{ours:?} {theirs:?}");
        }
        let ours: BTreeSet<_> = ours.into_iter().filter(both).collect();
        assert!(!ours.is_empty(), "{name}: no edges");
        assert_eq!(ours, theirs, "{name}: dredge and Trivy");
    }

    // pdm.lock (PEP 508 requirements, which Trivy 0.59 does not read) locks the same project as
    // the uv.lock fixture: the same graph.
    let lang = repo().join("crates/dredge-extract/testdata/lang");
    let edges_of = |d: &str| cdx_edges(&sbom(lang.join(d).to_str().unwrap(), "cyclonedx", &[]).0).0;
    let pdm = edges_of("pdm-lock");
    assert!(pdm.len() >= 10, "{pdm:?}");
    assert_eq!(pdm, edges_of("uv-lock"), "pdm.lock and uv.lock of one project");

    // npm: `c` at two versions (one nested under `a`), a scoped package, a package nested two
    // levels down that finds `c` at its parent's level, a dev dependency.
    let npm = dir.path().join("npm");
    std::fs::create_dir_all(&npm).unwrap();
    std::fs::write(
        npm.join("package.json"),
        r#"{"name":"app","version":"1.0.0","dependencies":{"a":"^1.0.0","b":"^2.0.0"},"devDependencies":{"t":"^3.0.0"}}"#,
    )
    .unwrap();
    let r = |n: &str, v: &str| format!("https://registry.npmjs.org/{n}/-/{}-{v}.tgz", n.rsplit('/').next().unwrap());
    let lock = serde_json::json!({"name": "app", "version": "1.0.0", "lockfileVersion": 3, "requires": true, "packages": {
        "": {"name": "app", "version": "1.0.0", "dependencies": {"a": "^1.0.0", "b": "^2.0.0"}, "devDependencies": {"t": "^3.0.0"}},
        "node_modules/a": {"version": "1.0.0", "resolved": r("a", "1.0.0"), "dependencies": {"c": "^1.0.0", "f": "^1.0.0"}},
        "node_modules/a/node_modules/c": {"version": "1.5.0", "resolved": r("c", "1.5.0")},
        "node_modules/a/node_modules/f": {"version": "1.0.0", "resolved": r("f", "1.0.0"), "dependencies": {"c": "^1.0.0", "@s/d": "*"}},
        "node_modules/b": {"version": "2.0.0", "resolved": r("b", "2.0.0"), "dependencies": {"c": "^2.0.0", "@s/d": "*"}},
        "node_modules/c": {"version": "2.1.0", "resolved": r("c", "2.1.0")},
        "node_modules/@s/d": {"version": "0.1.0", "resolved": r("@s/d", "0.1.0"), "dependencies": {"c": "^2.0.0"}},
        "node_modules/t": {"version": "3.0.0", "resolved": r("t", "3.0.0"), "dev": true, "dependencies": {"c": "^2.0.0"}}
    }});
    std::fs::write(npm.join("package-lock.json"), serde_json::to_string_pretty(&lock).unwrap()).unwrap();
    let (v, _, _d) = sbom(npm.to_str().unwrap(), "cyclonedx", &[]);
    let (ours, _) = cdx_edges(&v);
    let out = Command::new("npm").args(["ls", "--package-lock-only", "--all", "--json"]).current_dir(&npm).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let tree: Value = serde_json::from_slice(&out.stdout).unwrap();
    fn walk(name: &str, node: &Value, out: &mut BTreeSet<(String, String)>) {
        for (child, sub) in node["dependencies"].as_object().into_iter().flatten() {
            let to = format!("pkg:npm/{}@{}", child.replace('@', "%40"), sub["version"].as_str().unwrap());
            if !name.is_empty() {
                out.insert((name.to_string(), to.clone()));
            }
            walk(&to, sub, out);
        }
    }
    let mut theirs = BTreeSet::new();
    walk("", &tree, &mut theirs);
    assert!(theirs.len() >= 7, "{theirs:?}");
    assert_eq!(ours, theirs, "package-lock edges: dredge and npm ls");

    // An installed node_modules tree (no lockfile): each package.json's dependencies resolved as
    // Node does from the package's own directory — what `npm ls` reads from the same tree.
    let tree = dir.path().join("tree");
    let pj = |rel: &str, text: serde_json::Value| {
        let d = tree.join(rel);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("package.json"), text.to_string()).unwrap();
    };
    pj("", serde_json::json!({"name": "app", "version": "1.0.0", "dependencies": {"a": "^1.0.0", "b": "^2.0.0"}}));
    pj("node_modules/a", serde_json::json!({"name": "a", "version": "1.0.0", "dependencies": {"c": "^1.0.0"}}));
    pj("node_modules/a/node_modules/c", serde_json::json!({"name": "c", "version": "1.5.0"}));
    pj("node_modules/b", serde_json::json!({"name": "b", "version": "2.0.0", "dependencies": {"c": "^2.0.0", "@s/d": "*"}}));
    pj("node_modules/c", serde_json::json!({"name": "c", "version": "2.1.0"}));
    pj("node_modules/@s/d", serde_json::json!({"name": "@s/d", "version": "0.1.0", "dependencies": {"c": "^2.0.0"}}));
    let (v, _, _d) = sbom(tree.to_str().unwrap(), "cyclonedx", &[]);
    let (ours, _) = cdx_edges(&v);
    let out = Command::new("npm").args(["ls", "--all", "--json"]).current_dir(&tree).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut theirs = BTreeSet::new();
    walk("", &serde_json::from_slice(&out.stdout).unwrap(), &mut theirs);
    assert!(theirs.len() >= 4, "{theirs:?}");
    assert_eq!(ours, theirs, "node_modules edges: dredge and npm ls");
}

/// An SBOM is untrusted input: the occurrence numbers it holds must not drive the work. One
/// component numbering its occurrence 18446744073709551615 ran `sbom-scan` out of memory (the
/// numbers between were walked), and 20,000 numbered occurrences took 33 s (each looked up by
/// a scan of all properties).
#[test]
fn occurrence_numbers_in_a_hostile_sbom_cost_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = build_db(dir.path(), &repo().join("testdata/advisories/alpine-secdb-v3.9-main.yaml"), "adv.db");
    let comp = |props: Vec<Value>| serde_json::json!({"type": "library", "bom-ref": "a", "name": "six", "version": "1.16.0", "purl": "pkg:pypi/six@1.16.0", "properties": props});
    let prop = |n: &str, v: &str| serde_json::json!({"name": n, "value": v});
    let doc = |c: Value| serde_json::json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": [c]});
    let dense: Vec<Value> =
        (1..=20_000).map(|n| prop(&format!("dredge:occurrence:{n}:location:path"), &format!("/app/{n}/requirements.txt"))).collect();
    for (name, d, packages) in [
        ("umax", doc(comp(vec![prop("dredge:occurrence:18446744073709551615:location:path", "/x")])), 2),
        ("beyond", doc(comp(vec![prop("dredge:occurrence:99999999999999999999999:location:path", "/x")])), 1),
        (
            "signs",
            doc(comp(vec![
                prop("dredge:occurrence:+2:location:path", "/x"),
                prop("dredge:occurrence:-1:location:path", "/y"),
                prop("dredge:occurrence:0:location:path", "/z"),
            ])),
            1,
        ),
        ("dense", doc(comp(dense)), 20_001),
        // SPDX: the places go with the package's first purl only (two purls × three places made
        // six packages; a package of thousands of purls made millions).
        (
            "spdx-two-purls",
            serde_json::json!({"spdxVersion": "SPDX-2.3", "packages": [{
                "name": "six", "SPDXID": "SPDXRef-a",
                "externalRefs": [
                    {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:pypi/six@1.16.0"},
                    {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:pypi/six@1.16.0?x=1"}],
                "annotations": [{"annotationType": "OTHER", "annotator": "Tool: t", "annotationDate": "2026-01-01T00:00:00Z",
                    "comment": "dredge:location:path=/a\ndredge:occurrence:1:location:path=/b\ndredge:occurrence:2:location:path=/c"}]}]}),
            4,
        ),
    ] {
        let f = dir.path().join(format!("{name}.cdx.json"));
        std::fs::write(&f, d.to_string()).unwrap();
        let t = std::time::Instant::now();
        let v = dredge_in(&dir.path().join("c"), &["sbom-scan", f.to_str().unwrap(), "--db", db.to_str().unwrap(), "--format", "json"])
            .ok()
            .json();
        assert!(t.elapsed() < std::time::Duration::from_secs(60), "{name}: {:?}", t.elapsed());
        assert_eq!(v["packages"].as_array().unwrap().len(), packages, "{name}");
    }
}
