#![allow(clippy::panic, clippy::unwrap_used)]
//! The lang-full image (testdata/make-images.sh): every language ecosystem in one image, each
//! layer made by the ecosystem's own tool, scanned end to end and compared with oracles that are
//! not dredge (npm ls, Python's zipfile, a byte search for Go's module lines, cargo metadata, the
//! tools that wrote the lockfiles).

mod common;
use common::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

fn scan() -> Value {
    let cache = tempfile::tempdir().unwrap();
    let img = format!("docker-archive:{}", images().join("lang-full.docker.tar").display());
    dredge_in(cache.path(), &["image", &img, "--format", "json"]).ok().json()
}

fn pkgs(r: &Value) -> Vec<&Value> {
    r["packages"].as_array().unwrap().iter().collect()
}

fn path(p: &Value) -> &str {
    p["location"]["path"].as_str().unwrap_or("")
}

fn row(p: &Value, with_group: bool) -> String {
    let mut s = format!("{}\t{}", p["name"].as_str().unwrap(), p["version"].as_str().unwrap());
    if with_group {
        s.push_str(if p["dev"].as_bool() == Some(true) { "\tdev" } else { "\tprod" });
    }
    s
}

fn lower_py(eco: &str, line: &str) -> String {
    if eco == "pypi" { line.to_ascii_lowercase().replace('_', "-") } else { line.to_string() }
}

#[test]
fn every_ecosystem_in_an_image_matches_its_oracle() {
    let r = scan();
    let all = pkgs(&r);
    let oracle = |name: &str| tsv(&images().join("expected").join(name));

    // npm: installed node_modules and the lockfile npm wrote, both against `npm ls`.
    let npm = oracle("lang-full-npm.tsv");
    let installed: BTreeSet<String> = all
        .iter()
        .filter(|p| path(p).starts_with("/srv/node/node_modules/") && p["origin"] == "installed")
        .map(|p| row(p, false))
        .collect();
    let plain: BTreeSet<String> = npm.iter().map(|l| l.rsplit_once('\t').unwrap().0.to_string()).collect();
    assert_eq!(installed, plain, "node_modules");
    let locked: BTreeSet<String> = all.iter().filter(|p| path(p) == "/srv/node/package-lock.json").map(|p| row(p, true)).collect();
    assert_eq!(locked, npm, "package-lock.json");
    assert!(all.iter().filter(|p| path(p) == "/srv/node/package-lock.json").all(|p| p["origin"] == "lockfile"));

    // Java: every pom.properties of every archive, nested ones included, with the top-level file.
    let maven: BTreeSet<String> = all
        .iter()
        .filter(|p| p["ecosystem"] == "maven" && path(p).starts_with("/opt/app/"))
        .map(|p| format!("{}\t{}", row(p, false), path(p)))
        .collect();
    assert_eq!(maven, oracle("lang-full-maven.tsv"), "Java archives");
    let nested = all.iter().find(|p| p["member"] == "shop.war!WEB-INF/lib/log4j-core-2.19.0.jar").expect("ear → war → jar");
    assert_eq!(nested["purl"], "pkg:maven/org.apache.logging.log4j/log4j-core@2.19.0");

    // Go binaries: Debian's age (GOPATH build: the toolchain only) and upstream shfmt (modules).
    for b in ["age", "shfmt"] {
        let got: BTreeSet<String> = all.iter().filter(|p| path(p) == format!("/usr/local/bin/{b}")).map(|p| row(p, false)).collect();
        assert_eq!(got, oracle(&format!("lang-full-go-{b}.tsv")), "{b}");
    }
    // The same binary padded past the whole-read limit is read sparsely, with the same result.
    let large: BTreeSet<String> = all.iter().filter(|p| path(p) == "/usr/local/bin/shfmt-large").map(|p| row(p, false)).collect();
    assert_eq!(large, oracle("lang-full-go-shfmt.tsv"), "shfmt-large (sparse read)");
    let stdlib = all.iter().find(|p| p["name"] == "stdlib" && path(p) == "/usr/local/bin/age").unwrap();
    assert_eq!((stdlib["origin"].as_str(), stdlib["purl"].as_str()), (Some("binary"), Some("pkg:golang/stdlib@1.19.8")));
    assert_eq!(stdlib["location"]["layer"]["index"], 3, "the layer that added the binary");

    // Rust: the cargo-auditable binary.
    let lang = repo().join("crates/dredge-extract/testdata/lang");
    let audited: BTreeSet<String> = all.iter().filter(|p| path(p) == "/usr/local/bin/audited").map(|p| row(p, true)).collect();
    assert_eq!(audited, tsv(&lang.join("cargo-auditable/expected.tsv")));

    // Every lockfile fixture, read from the image's layer rather than a directory.
    let mut by_folder: BTreeMap<String, (String, BTreeSet<String>)> = BTreeMap::new();
    for p in &all {
        if let Some(rest) = path(p).strip_prefix("/srv/locks/") {
            let folder = rest.split('/').next().unwrap().to_string();
            let eco = p["ecosystem"].as_str().unwrap().to_string();
            let e = by_folder.entry(folder).or_insert_with(|| (eco.clone(), BTreeSet::new()));
            e.1.insert(lower_py(&eco, &row(p, true)));
        }
    }
    let mut folders = 0;
    for entry in std::fs::read_dir(&lang).unwrap() {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        // cargo-auditable is a binary (checked as /usr/local/bin/audited); Bitnami's SPDX files
        // count only under /opt/bitnami (tests/distros.rs), not under /srv/locks.
        if !dir.is_dir() || name == "cargo-auditable" || name == "bitnami-spdx" {
            continue;
        }
        let got = by_folder.remove(&name);
        if name == "yarn-v1" {
            assert!(got.is_none(), "a lockfile deleted by a later layer is not reported: {got:?}");
            continue;
        }
        let (eco, got) = got.unwrap_or_else(|| panic!("nothing found in /srv/locks/{name}"));
        let want: BTreeSet<String> = tsv(&dir.join("expected.tsv")).iter().map(|l| lower_py(&eco, l)).collect();
        assert_eq!(got, want, "/srv/locks/{name}");
        folders += 1;
    }
    assert!(by_folder.is_empty(), "packages outside the fixtures: {by_folder:?}");
    assert!(folders >= 28, "{folders} fixture folders checked");
}

#[test]
fn sboms_carry_origin_dev_and_nested_members() {
    let cache = tempfile::tempdir().unwrap();
    let img = format!("docker-archive:{}", images().join("lang-full.docker.tar").display());
    let cdx = dredge_in(cache.path(), &["sbom", &img, "--format", "cyclonedx"]).ok().json();
    let comps = cdx["components"].as_array().unwrap();
    let prop = |c: &Value, n: &str| {
        c["properties"].as_array().and_then(|ps| ps.iter().find(|p| p["name"] == n)).and_then(|p| p["value"].as_str()).map(str::to_string)
    };
    let vitest = comps.iter().find(|c| c["name"] == "vitest").unwrap();
    assert_eq!(prop(vitest, "dredge:package:dev").as_deref(), Some("true"));
    assert_eq!(prop(vitest, "dredge:package:origin").as_deref(), Some("lockfile"));
    let nested =
        comps.iter().find(|c| prop(c, "dredge:location:member").as_deref() == Some("BOOT-INF/lib/commons-lang3-3.12.0.jar")).unwrap();
    assert_eq!(nested["purl"], "pkg:maven/org.apache.commons/commons-lang3@3.12.0");
    assert!(comps.iter().any(|c| c["purl"] == "pkg:golang/mvdan.cc/sh/v3@v3.13.0"));
    assert!(comps.iter().any(|c| c["purl"] == "pkg:cargo/smallvec@1.6.0"));
}
