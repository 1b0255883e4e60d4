//! The license scanner through the binary, on real images: Alpine's apk `L:` lines, Debian's
//! copyright files, pip-installed wheels and an npm package, jars, gems and Composer files; the
//! gate (a forbidden license fails it, an override passes it); licenses in SBOMs and read back by
//! `sbom-scan`; and `trivy image --scanners license` on the same images, package by package.
#![allow(clippy::panic, clippy::unwrap_used)]

mod common;
use common::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

fn alpine() -> String {
    format!("oci-archive:{}", repo().join("testdata/images/alpine-3.9.6.oci.tar").display())
}

fn lang_app() -> String {
    format!("oci-dir:{}:lang-app", images().join("oci").display())
}

fn scan(target: &str, extra: &[&str]) -> Run {
    let cache = tempfile::tempdir().unwrap();
    let mut args = vec!["image", target, "--scanners", "license", "--image-src", "registry"];
    if !extra.contains(&"--format") {
        args.extend_from_slice(&["--format", "json"]);
    }
    args.extend_from_slice(extra);
    dredge_in(cache.path(), &args)
}

/// package name → (expression, category, severity, source) of each package finding.
fn by_package(v: &Value) -> BTreeMap<String, (String, String, String, String)> {
    v["licenses"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["package"].is_object())
        .map(|f| {
            (
                f["package"]["name"].as_str().unwrap().to_string(),
                (
                    f["license"]["expression"].as_str().unwrap().to_string(),
                    f["license"]["category"].as_str().unwrap().to_string(),
                    f["severity"].as_str().unwrap().to_string(),
                    f["license"]["source"].as_str().unwrap().to_string(),
                ),
            )
        })
        .collect()
}

#[test]
fn alpine_apk_licenses_are_normalised_and_classified() {
    let v = scan(&alpine(), &[]).ok().json();
    let got = by_package(&v);
    // The `L:` lines of the image's /lib/apk/db/installed (read with awk from the fixture), and
    // what each is in SPDX and in the default classification, worked out by hand.
    let want: &[(&str, &str, &str, &str)] = &[
        ("musl", "MIT", "notice", "LOW"),
        ("busybox", "GPL-2.0-only", "restricted", "HIGH"),
        ("alpine-baselayout", "GPL-2.0-only", "restricted", "HIGH"),
        ("alpine-keys", "MIT", "notice", "LOW"),
        ("libcrypto1.1", "OpenSSL", "notice", "LOW"),
        ("libssl1.1", "OpenSSL", "notice", "LOW"),
        ("ca-certificates-cacert", "MPL-2.0 AND GPL-2.0-or-later", "restricted", "HIGH"),
        ("libtls-standalone", "ISC", "notice", "LOW"),
        ("ssl_client", "GPL-2.0-only", "restricted", "HIGH"),
        ("zlib", "Zlib", "notice", "LOW"),
        ("apk-tools", "GPL-2.0-only", "restricted", "HIGH"),
        ("scanelf", "GPL-2.0-only", "restricted", "HIGH"),
        ("musl-utils", "MIT AND BSD-3-Clause AND GPL-2.0-or-later", "restricted", "HIGH"),
        ("libc-utils", "BSD-3-Clause", "notice", "LOW"),
    ];
    assert_eq!(got.len(), want.len(), "{got:#?}");
    for (name, expr, cat, sev) in want {
        let g = &got[*name];
        assert_eq!((g.0.as_str(), g.1.as_str(), g.2.as_str(), g.3.as_str()), (*expr, *cat, *sev, "declared"), "{name}");
    }
    // The raw `L:` value is kept beside the expression where they differ.
    let f = v["licenses"].as_array().unwrap().iter().find(|f| f["package"]["name"] == "apk-tools").unwrap();
    assert_eq!(f["license"]["declared"], "GPL2");
    // Every apk package with an `L:` line has its finding (the oracle: awk over the fixture).
    let dir = tempfile::tempdir().unwrap();
    untar(&fixtures().join("alpine/alpine-minirootfs-3.9.6-x86_64.tar.gz"), dir.path());
    let db = std::fs::read_to_string(dir.path().join("lib/apk/db/installed")).unwrap();
    let with_l = db.split("\n\n").filter(|s| s.lines().any(|l| l.starts_with("L:"))).count();
    assert_eq!(with_l, want.len());
}

#[test]
fn debian_copyright_files_give_the_declared_licenses() {
    let img = images().join("debian-12.docker.tar");
    let v = scan(img.to_str().unwrap(), &[]).ok().json();
    let got = by_package(&v);
    // Read off the image's /usr/share/doc/<package>/copyright by hand:
    let want: &[(&str, &str)] = &[
        // DEP-5, `License: GPL-2` (the whole package).
        ("hostname", "GPL-2.0-only"),
        // DEP-5 with `License: Zlib` for every paragraph.
        ("zlib1g", "Zlib"),
        // DEP-5: BSD-3-clause, BSD-3-clause-Aaron-D-Gifford, BSD-2-clause, BSD-2-clause-NetBSD (a
        // deprecated SPDX id, kept), ISC, Beerware, three public-domain variants.
        (
            "libmd0",
            "BSD-3-Clause AND LicenseRef-BSD-3-clause-Aaron-D-Gifford AND BSD-2-Clause AND BSD-2-Clause-NetBSD AND ISC AND Beerware AND LicenseRef-public-domain-md4 AND LicenseRef-public-domain-md5 AND LicenseRef-public-domain-sha1",
        ),
        // Free-form: "version 2.1 of the License, or (at your option) any later version" before
        // the `common-licenses/LGPL` reference, "General Public License, version 2." before `GPL`.
        ("libsemanage2", "LGPL-2.1-or-later AND GPL-2.0-only"),
        // Free-form: LGPL-2.1 "or (at your option) any later version"; GPL "version 2.".
        ("libselinux1", "LGPL-2.1-or-later AND GPL-2.0-only"),
        // DEP-5 `License: public-domain`.
        ("tzdata", "LicenseRef-Public-Domain"),
    ];
    for (name, expr) in want {
        assert_eq!(got.get(*name).map(|g| g.0.as_str()), Some(*expr), "{name}: {:?}", got.get(*name));
    }
    assert_eq!(got["tzdata"].1, "unencumbered");
    assert_eq!(got["libmd0"].1, "unknown", "LicenseRefs nobody classified make the package unknown");
    // Nearly every package of a Debian image has a copyright file dredge can read.
    let pkgs = v["packages"].as_array().unwrap().len();
    assert!(got.len() * 100 >= pkgs * 95, "{} of {pkgs} packages have a license", got.len());
    // The OS's own license texts (/usr/share/common-licenses, owned by base-files) are not loose
    // license files.
    assert!(!v["licenses"].as_array().unwrap().iter().any(|f| f["path"].as_str().is_some_and(|p| p.contains("common-licenses"))));
}

#[test]
fn python_and_npm_packages_and_vendored_license_files() {
    let v = scan(&lang_app(), &[]).ok().json();
    let got = by_package(&v);
    // METADATA `License:` headers of the wheels pip installed (and the npm package.json).
    for (name, expr) in [
        ("Django", "BSD-3-Clause"),
        ("Flask", "BSD-3-Clause"),
        ("Jinja2", "BSD-3-Clause"),
        ("requests", "Apache-2.0"),
        ("urllib3", "MIT"),
        ("semver", "ISC"),
    ] {
        assert_eq!(got[name].0, expr, "{name}");
        assert_eq!(got[name].3, "declared", "{name}");
    }
    // The license file in each wheel's dist-info is identified as the same license (concluded).
    let pkgs: BTreeMap<&str, &Value> = v["packages"].as_array().unwrap().iter().map(|p| (p["name"].as_str().unwrap(), p)).collect();
    for (name, concluded) in [("Django", "BSD-3-Clause"), ("requests", "Apache-2.0"), ("urllib3", "MIT")] {
        assert_eq!(pkgs[name]["license_concluded"], concluded, "{name}");
    }
    // Code Django vendors under its own tree (jQuery, Select2) is found by its license files.
    let files: BTreeMap<&str, &str> = v["licenses"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["license"]["source"] == "file")
        .map(|f| (f["path"].as_str().unwrap(), f["license"]["expression"].as_str().unwrap()))
        .collect();
    assert_eq!(files.get("/usr/lib/python3.12/site-packages/django/contrib/admin/static/admin/js/vendor/jquery/LICENSE.txt"), Some(&"MIT"));
    assert_eq!(files.get("/usr/lib/python3.12/site-packages/django/contrib/admin/static/admin/js/vendor/select2/LICENSE.md"), Some(&"MIT"));
    for f in v["licenses"].as_array().unwrap().iter().filter(|f| f["license"]["source"] == "file") {
        assert!(f["license"]["confidence"].as_u64().unwrap() >= 85, "{f}");
    }
}

#[test]
fn jars_gems_composer_and_conda_declare_theirs() {
    let img = images().join("lang-full.docker.tar");
    let v = scan(img.to_str().unwrap(), &[]).ok().json();
    let got = by_package(&v);
    // jackson-core's pom.xml inside the jar: "The Apache Software License, Version 2.0".
    assert_eq!(got["com.fasterxml.jackson.core:jackson-core"].0, "Apache-2.0");
    // Composer's `license: ["MIT"]`, a gemspec's `s.licenses = ["MIT"]`, conda's `license`.
    assert_eq!(got["monolog/monolog"].0, "MIT");
    assert_eq!(got["rake"].0, "MIT");
    assert_eq!(got["openssl"].0, "Apache-2.0");
    // Rust binaries (cargo-auditable) record no license: said in the notes, not guessed.
    let notes = v["notes"].to_string();
    assert!(notes.contains("declare no license") && notes.contains("cargo-auditable"), "{notes}");
}

#[test]
fn a_forbidden_license_fails_the_gate_and_an_override_passes_it() {
    let dir = tempfile::tempdir().unwrap();
    let forbid = dir.path().join("forbid.yaml");
    std::fs::write(&forbid, "categories:\n  GPL-2.0-only: forbidden\n").unwrap();
    let gate = ["--severity", "CRITICAL", "--exit-code", "3"];
    let mut args = vec!["--license-config", forbid.to_str().unwrap()];
    args.extend_from_slice(&gate);
    let r = scan(&alpine(), &args);
    assert_eq!(r.code, 3, "{}", r.stderr);
    let crit: BTreeSet<String> =
        r.json()["licenses"].as_array().unwrap().iter().map(|f| f["package"]["name"].as_str().unwrap().to_string()).collect();
    assert_eq!(crit, ["alpine-baselayout", "apk-tools", "busybox", "scanelf", "ssl_client"].map(String::from).into());
    // The same policy with the five packages accepted by name passes.
    let accept = dir.path().join("accept.yaml");
    std::fs::write(
        &accept,
        "categories:\n  GPL-2.0-only: forbidden\npackages:\n  busybox: notice\n  alpine-baselayout: notice\n  apk-tools: notice\n  scanelf: notice\nignore:\n  - package: ssl_client\n    reason: replaced in the next release\n",
    )
    .unwrap();
    let mut args = vec!["--license-config", accept.to_str().unwrap()];
    args.extend_from_slice(&gate);
    let r = scan(&alpine(), &args);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    // --ignored-licenses (Trivy's flag) leaves a license out entirely.
    let mut args = vec!["--license-config", forbid.to_str().unwrap(), "--ignored-licenses", "GPL-2.0-only"];
    args.extend_from_slice(&gate);
    assert_eq!(scan(&alpine(), &args).code, 0);
    // The default gate: restricted is HIGH.
    assert_eq!(scan(&alpine(), &["--severity", "HIGH", "--exit-code", "1"]).code, 1);
    // A config that does not make sense is an operational error naming the file.
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "categories:\n  MIT: fine\n").unwrap();
    let r = scan(&alpine(), &["--license-config", bad.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("bad.yaml") && r.stderr.contains("not a category"), "{}", r.stderr);
    // The license flags without the license scanner are a mistake, not silently ignored.
    let cache = tempfile::tempdir().unwrap();
    let r = dredge_in(cache.path(), &["image", &alpine(), "--scanners", "secret", "--ignored-licenses", "MIT"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("add license to --scanners"), "{}", r.stderr);
}

#[test]
fn table_and_sarif_show_license_findings() {
    let r = scan(&alpine(), &["--format", "table"]).ok();
    assert!(r.stdout.contains("Licenses: 14 (UNKNOWN: 0, LOW: 7, MEDIUM: 0, HIGH: 7, CRITICAL: 0)"), "{}", r.stdout);
    assert!(r.stdout.contains("busybox 1.29.3-r10: restricted license"), "{}", r.stdout);
    let s = scan(&alpine(), &["--format", "sarif"]).ok().json();
    let results = s["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 14);
    // Packages recorded in one database file are distinct alerts.
    let prints: BTreeSet<&str> = results.iter().map(|r| r["partialFingerprints"]["dredge/v1"].as_str().unwrap()).collect();
    assert_eq!(prints.len(), 14);
}

#[test]
fn sboms_carry_licenses_and_sbom_scan_reads_them_back() {
    let dir = tempfile::tempdir().unwrap();
    let cdx = dir.path().join("app.cdx.json");
    let spdx = dir.path().join("app.spdx.json");
    let cache = dir.path().join("cache");
    dredge_in(&cache, &["sbom", &lang_app(), "--format", "cyclonedx", "--output", cdx.to_str().unwrap()]).ok();
    dredge_in(&cache, &["sbom", &lang_app(), "--format", "spdx-json", "--output", spdx.to_str().unwrap()]).ok();
    let c: Value = serde_json::from_str(&std::fs::read_to_string(&cdx).unwrap()).unwrap();
    let comp = |name: &str| c["components"].as_array().unwrap().iter().find(|x| x["name"] == name).unwrap().clone();
    // One SPDX id: `license.id`; an apk expression: `expression`; both acknowledged as declared.
    assert_eq!(comp("requests")["licenses"], serde_json::json!([{"license": {"id": "Apache-2.0", "acknowledgement": "declared"}}]));
    assert_eq!(comp("musl-utils")["licenses"][0]["expression"], "MIT AND BSD-2-Clause AND GPL-2.0-or-later");
    let s: Value = serde_json::from_str(&std::fs::read_to_string(&spdx).unwrap()).unwrap();
    let pkg = s["packages"].as_array().unwrap().iter().find(|p| p["name"] == "Django").unwrap();
    assert_eq!(pkg["licenseDeclared"], "BSD-3-Clause");
    // Read back: the same declared licenses.
    let db = build_db(dir.path(), &repo().join("testdata/advisories/alpine-secdb-v3.9-main.yaml"), "adv.db");
    for f in [&cdx, &spdx] {
        let v = dredge_in(&cache, &["sbom-scan", f.to_str().unwrap(), "--db", db.to_str().unwrap(), "--format", "json"]).ok().json();
        let lic: BTreeMap<&str, &str> =
            v["packages"].as_array().unwrap().iter().filter_map(|p| Some((p["name"].as_str()?, p["license"].as_str()?))).collect();
        assert_eq!(lic.get("requests"), Some(&"Apache-2.0"), "{}", f.display());
        assert_eq!(lic.get("musl-utils"), Some(&"MIT AND BSD-2-Clause AND GPL-2.0-or-later"), "{}", f.display());
        assert_eq!(lic.get("semver"), Some(&"ISC"), "{}", f.display());
    }
}

/// SPDX license families a report names for each package (`GPL-2.0`, `MIT`): ids on the SPDX
/// list only, `-only`/`-or-later`/`+` and exceptions dropped (Trivy and dredge read those from
/// different places, see docs/licenses.md).
fn families(ids: impl Iterator<Item = String>) -> BTreeSet<String> {
    ids.filter(|x| spdx::license_id(x).is_some())
        // Deprecated ids with the exception in the name (`GPL-3.0-with-autoconf-exception+`).
        .map(|x| x.split("-with-").next().unwrap_or(&x).to_string())
        .map(|x| x.trim_end_matches('+').trim_end_matches("-only").trim_end_matches("-or-later").to_string())
        .collect()
}

fn trivy_licenses(archive: &std::path::Path) -> BTreeMap<String, BTreeSet<String>> {
    let v = trivy_json(&["image".as_ref(), "--scanners".as_ref(), "license".as_ref(), "--input".as_ref(), archive.as_os_str()]);
    let mut raw: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in v["Results"].as_array().into_iter().flatten() {
        for l in r["Licenses"].as_array().into_iter().flatten() {
            raw.entry(l["PkgName"].as_str().unwrap().to_string()).or_default().push(l["Name"].as_str().unwrap().to_string());
        }
    }
    raw.into_iter().map(|(k, v)| (k, families(v.into_iter()))).collect()
}

fn dredge_licenses(archive: &std::path::Path) -> BTreeMap<String, BTreeSet<String>> {
    let v = scan(archive.to_str().unwrap(), &[]).ok().json();
    let mut raw: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in v["licenses"].as_array().unwrap() {
        let key = f["package"]["name"].as_str().map(str::to_string).unwrap_or_else(|| f["path"].as_str().unwrap().to_string());
        let e = f["license"]["expression"].as_str().unwrap();
        let ids = e.split(|c: char| c.is_whitespace() || c == '(' || c == ')').filter(|t| !t.is_empty() && !["AND", "OR"].contains(t));
        let mut skip = false;
        for t in ids {
            if t == "WITH" {
                skip = true;
                continue;
            }
            if !std::mem::take(&mut skip) {
                raw.entry(key.clone()).or_default().push(t.to_string());
            }
        }
    }
    raw.into_iter().map(|(k, v)| (k, families(v.into_iter()))).collect()
}

/// Every package where the two disagree, and why (the table in docs/licenses.md).
const EXPLAINED: &[(&str, &str, &str)] = &[
    ("debian-12", "bash", "common-licenses reference (GFDL-1.3); MIT-like"),
    ("debian-12", "coreutils", "common-licenses reference (GFDL-1.3)"),
    ("debian-12", "diffutils", "common-licenses reference (GFDL-1.3)"),
    ("debian-12", "findutils", "common-licenses reference (GFDL-1.3)"),
    ("debian-12", "sed", "common-licenses reference (GFDL-1.3)"),
    ("debian-12", "gzip", "GFDL-1.3+-no-invariant"),
    ("debian-12", "gcc-12-base", "Artistic; LGPL version read from the notice"),
    ("debian-12", "libdb5.3", "Artistic"),
    ("debian-12", "perl-base", "Artistic; common-licenses reference (LGPL-2.1)"),
    ("debian-12", "libacl1", "common-licenses reference (LGPL-2.1)"),
    ("debian-12", "libattr1", "common-licenses reference (LGPL-2.1)"),
    ("debian-12", "libaudit-common", "common-licenses reference (GPL-1)"),
    ("debian-12", "libaudit1", "common-licenses reference (GPL-1)"),
    ("debian-12", "liblzma5", "common-licenses references (GPL-3, LGPL-2)"),
    ("debian-12", "libtasn1-6", "bare LGPL reference"),
    ("debian-12", "libgcrypt20", "bare LGPL reference; version read from the notice"),
    ("debian-12", "libsemanage-common", "bare LGPL reference; version read from the notice"),
    ("debian-12", "libsemanage2", "bare LGPL reference; version read from the notice"),
    ("debian-12", "libbz2-1.0", "BSD-variant"),
    ("debian-12", "libgnutls30", "License: lines in a free-form file"),
    ("debian-12", "libtinfo6", "MIT/X11"),
    ("debian-12", "e2fsprogs", "bare GPL: any version"),
    ("debian-12", "libcom-err2", "bare GPL: any version"),
    ("debian-12", "libext2fs2", "bare GPL: any version"),
    ("debian-12", "libss2", "bare GPL: any version"),
    ("debian-12", "logsave", "bare GPL: any version"),
    ("debian-12", "libffi8", "bare GPL: any version"),
    ("debian-12", "libpam-modules", "bare GPL: any version"),
    ("debian-12", "libpam-modules-bin", "bare GPL: any version"),
    ("debian-12", "libpam-runtime", "bare GPL: any version"),
    ("debian-12", "libpam0g", "bare GPL: any version"),
    ("debian-12", "ncurses-base", "MIT/X11"),
    ("debian-12", "ncurses-bin", "MIT/X11"),
    ("lang-full", "com.fasterxml.jackson.core:jackson-core", "pom.xml inside the jar"),
    ("lang-full", "guzzlehttp/psr7", "composer.lock licenses"),
    ("lang-full", "symfony/http-foundation", "composer.lock licenses"),
    ("lang-full", "phpunit/phpunit", "composer.lock licenses"),
    ("lang-full", "openssl", "conda-meta license"),
    ("lang-full", "gdal", "Bitnami SPDX file outside /opt/bitnami"),
    ("lang-full", "geos", "Bitnami SPDX file outside /opt/bitnami"),
    ("lang-full", "postgresql", "Bitnami SPDX file outside /opt/bitnami"),
    ("lang-full", "proj", "Bitnami SPDX file outside /opt/bitnami"),
];

#[test]
fn trivy_agrees_package_by_package_or_the_difference_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    let alpine_tar = dir.path().join("alpine.tar");
    let app_tar = dir.path().join("lang-app.tar");
    for (from, to) in [
        (format!("oci-archive:{}", repo().join("testdata/images/alpine-3.9.6.oci.tar").display()), &alpine_tar),
        (format!("oci:{}:lang-app", images().join("oci").display()), &app_tar),
    ] {
        let st = std::process::Command::new("skopeo")
            .args(["copy", "-q", &from, &format!("docker-archive:{}:t/t:1", to.display())])
            .status()
            .unwrap();
        assert!(st.success(), "skopeo {from}");
    }
    let mut agreed = BTreeMap::new();
    let mut unexplained = Vec::new();
    for (name, archive) in [
        ("alpine-3.9", alpine_tar.clone()),
        ("debian-12", images().join("debian-12.docker.tar")),
        ("lang-app", app_tar.clone()),
        ("lang-full", images().join("lang-full.docker.tar")),
    ] {
        let theirs = trivy_licenses(&archive);
        let ours = dredge_licenses(&archive);
        let mut same = 0;
        for k in theirs.keys().chain(ours.keys()).collect::<BTreeSet<_>>() {
            // Loose license files: Trivy reads them only with --license-full.
            if k.starts_with('/') && !theirs.contains_key(k) {
                continue;
            }
            if theirs.get(k) == ours.get(k) {
                same += 1;
            } else if !EXPLAINED.iter().any(|(img, p, _)| *img == name && p == k) {
                unexplained.push(format!("{name} {k}: trivy {:?}, dredge {:?}", theirs.get(k), ours.get(k)));
            }
        }
        agreed.insert(name, same);
    }
    assert!(unexplained.is_empty(), "differences not in docs/licenses.md:\n{}", unexplained.join("\n"));
    eprintln!("packages agreeing with trivy: {agreed:?}");
    assert_eq!(agreed["alpine-3.9"], 14);
    assert!(agreed["debian-12"] >= 50, "{agreed:?}");
    // Every explained difference is in the docs table.
    let doc = std::fs::read_to_string(repo().join("docs/licenses.md")).unwrap();
    for (img, p, _) in EXPLAINED {
        assert!(doc.contains(&format!("| {img} | `{p}` |")), "docs/licenses.md lacks {img} {p}");
    }
}

/// Writes `data` at `rel` under `root`, making the directories.
fn write_under(root: &std::path::Path, rel: &str, data: &[u8]) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, data).unwrap();
}

/// `dredge fs` on a tree: a Go module's license from the module cache, a license name nobody
/// knows, a license file no package claims, and hostile license files (huge, binary, a directory,
/// a dangling link) that must not stop the scan.
#[test]
fn module_cache_unknown_names_and_hostile_license_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("tree");
    let w = |p: &str, data: &[u8]| write_under(&root, p, data);
    let mit = std::fs::read(repo().join("crates/dredge-license/testdata/texts/six-LICENSE")).unwrap();
    let apache = std::fs::read(repo().join("crates/dredge-license/testdata/texts/debian-Apache-2.0")).unwrap();
    // go.mod requires github.com/BurntSushi/toml v1.2.0; the module cache holds its LICENSE
    // (upper case escaped as `!b` on disk, as the go command writes it).
    w("app/go.mod", b"module example.com/app\n\ngo 1.21\n\nrequire github.com/BurntSushi/toml v1.2.0\n");
    w("app/go.sum", b"github.com/BurntSushi/toml v1.2.0 h1:x=\ngithub.com/BurntSushi/toml v1.2.0/go.mod h1:y=\n");
    w("root/go/pkg/mod/github.com/!burnt!sushi/toml@v1.2.0/LICENSE", &mit);
    // A Python package declaring a license no SPDX id names.
    w(
        "site/custom-1.0.dist-info/METADATA",
        b"Metadata-Version: 2.1\nName: custom\nVersion: 1.0\nLicense: Acme Corp Internal License v3\n\n",
    );
    // A NuGet lock file, and the global packages folder a restore filled: the nuspec declares it.
    w(
        "dotnet/packages.lock.json",
        &std::fs::read(repo().join("crates/dredge-extract/testdata/lang/packages-lock/packages.lock.json")).unwrap(),
    );
    w(
        "root/.nuget/packages/newtonsoft.json/13.0.1/newtonsoft.json.nuspec",
        br#"<?xml version="1.0" encoding="utf-8"?><package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd"><metadata minClientVersion="2.12"><id>Newtonsoft.Json</id><version>13.0.1</version><license type="expression">MIT</license><licenseUrl>https://licenses.nuget.org/MIT</licenseUrl></metadata></package>"#,
    );
    // Vendored code's license file, no package around it.
    w("app/third_party/lib/LICENSE.txt", &apache);
    // Hostile: 20 MB LICENSE (over the size limit), binary COPYING, a directory named LICENSE,
    // a dangling LICENSE link, garbage that is no license.
    w("junk/big/LICENSE", &vec![b'a'; 20 << 20]);
    w("junk/bin/COPYING", b"\x7fELF\x02\x01\x01\0\0\0\0garbage");
    std::fs::create_dir_all(root.join("junk/dir/LICENSE")).unwrap();
    std::os::unix::fs::symlink("/nonexistent/LICENSE", root.join("junk/link-LICENSE")).unwrap();
    w("junk/text/LICENSE", "\u{1b}[31mnot a license at all, just words\u{1b}[0m\n".as_bytes());
    let cache = dir.path().join("cache");
    let r = dredge_in(&cache, &["fs", root.to_str().unwrap(), "--scanners", "license", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = r.json();
    let got = by_package(&v);
    assert_eq!(got["github.com/BurntSushi/toml"], ("MIT".into(), "notice".into(), "LOW".into(), "text".into()));
    assert_eq!(got["Newtonsoft.Json"], ("MIT".into(), "notice".into(), "LOW".into(), "declared".into()));
    let custom = v["licenses"].as_array().unwrap().iter().find(|f| f["package"]["name"] == "custom").unwrap();
    assert_eq!(custom["license"]["expression"], "LicenseRef-Acme-Corp-Internal-License-v3");
    assert_eq!(custom["license"]["unknown"], serde_json::json!(["Acme Corp Internal License v3"]));
    assert_eq!(custom["license"]["category"], "unknown");
    assert_eq!(custom["severity"], "UNKNOWN");
    let files: BTreeMap<String, (String, String)> = v["licenses"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["license"]["source"] == "file")
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                (f["license"]["expression"].as_str().unwrap().to_string(), f["license"]["category"].as_str().unwrap().to_string()),
            )
        })
        .collect();
    assert_eq!(files.get("/app/third_party/lib/LICENSE.txt"), Some(&("Apache-2.0".to_string(), "notice".to_string())));
    // Words that are no license: unidentified, someone must read them.
    assert_eq!(files.get("/junk/text/LICENSE"), Some(&("LicenseRef-unidentified".to_string(), "unknown".to_string())));
    // A huge license file is read on its start (no warning, no silence); a binary is no text.
    assert_eq!(files.get("/junk/big/LICENSE").map(|f| f.0.as_str()), Some("LicenseRef-unidentified"));
    assert!(!files.contains_key("/junk/bin/COPYING"), "{files:?}");
    assert!(!r.stderr.contains("limit for license"), "{}", r.stderr);
    // The table never passes the file's escape sequences to the terminal.
    let t = dredge_in(&cache, &["fs", root.to_str().unwrap(), "--scanners", "license"]);
    assert!(!t.stdout.contains('\u{1b}'), "raw escape in table output");
}

/// Found by trying to hide a forbidden license from the gate (each failed before the fix).
#[test]
fn a_forbidden_license_cannot_hide() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("tree");
    let w = |p: &str, data: &[u8]| write_under(&root, p, data);
    let text = |f: &str| std::fs::read_to_string(repo().join("crates/dredge-license/testdata/texts").join(f)).unwrap();
    // 1. A license file holding Apache-2.0 and then the AGPL.
    w("vendor/thing/LICENSE", format!("{}\n\n{}", text("debian-Apache-2.0"), text("edx-when-LICENSE.txt")).as_bytes());
    // 2. An npm package declaring MIT whose license file is the AGPL.
    w("app/node_modules/sly/package.json", br#"{"name":"sly","version":"1.0.0","license":"MIT"}"#);
    w("app/node_modules/sly/LICENSE", text("edx-when-LICENSE.txt").as_bytes());
    // 3. `MIT AND AGPL-3.0-only`, with MIT ignored.
    w("app/node_modules/both/package.json", br#"{"name":"both","version":"1.0.0","license":"MIT AND AGPL-3.0-only"}"#);
    // 4. The AGPL after WITH, and behind a stray parenthesis.
    w("app/node_modules/with/package.json", br#"{"name":"with","version":"1.0.0","license":"MIT WITH AGPL-3.0-only"}"#);
    w("app/node_modules/paren/package.json", br#"{"name":"paren","version":"1.0.0","license":"AGPL-3.0-only)"}"#);
    // 5. A package that declares nothing and ships a license nobody can name.
    w("app/node_modules/secret/package.json", br#"{"name":"secret","version":"1.0.0"}"#);
    w("app/node_modules/secret/LICENSE", b"Proprietary. All rights reserved by Acme. Do not redistribute in any form.\n");
    // 6. A license string long enough to overflow a table cell.
    let long = format!(r#"{{"name":"long","version":"1.0.0","license":"{}"}}"#, vec!["MIT"; 9000].join(" AND "));
    w("app/node_modules/long/package.json", long.as_bytes());
    let cache = dir.path().join("cache");
    let scan = |extra: &[&str]| {
        let mut a = vec!["fs", root.to_str().unwrap(), "--scanners", "license", "--ignored-licenses", "MIT"];
        a.extend_from_slice(extra);
        dredge_in(&cache, &a)
    };
    let v = scan(&["--format", "json"]).ok().json();
    let forbidden: BTreeSet<String> = v["licenses"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["license"]["category"] == "forbidden")
        .map(|f| f["package"]["name"].as_str().or(f["path"].as_str()).unwrap().to_string())
        .collect();
    assert_eq!(forbidden, ["/vendor/thing/LICENSE", "both", "paren", "sly", "with"].map(String::from).into(), "{v:#}");
    let secret = v["licenses"].as_array().unwrap().iter().find(|f| f["package"]["name"] == "secret").unwrap();
    assert_eq!((secret["rule"].as_str(), secret["severity"].as_str()), (Some("LicenseRef-unidentified"), Some("UNKNOWN")));
    // The gate fails, and the table (piped, no terminal width) does not panic on the long cell.
    assert_eq!(scan(&["--severity", "CRITICAL", "--exit-code", "1"]).code, 1);
    let t = scan(&[]);
    assert_eq!(t.code, 0, "{}", t.stderr);
    assert!(t.stdout.contains("long 1.0.0"));
}

/// rpm's `License` tag, read by rpm itself (the oracle), is what dredge declares for every
/// package of the CBL-Mariner database; Fedora's short names are mapped by hand-checked rules.
#[test]
fn rpm_license_tags_match_rpm_and_are_normalised() {
    let db = fixtures().join("rpmdb/cbl-mariner-2.0");
    let out = std::process::Command::new("rpm")
        .arg("--dbpath")
        .arg(&db)
        .args(["-qa", "--qf", "%{NAME}\t%{LICENSE}\n"])
        .output()
        .expect("rpm (Debian package rpm; .ci/setup installs it)");
    let oracle: BTreeMap<String, String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .filter(|(n, _)| !n.starts_with("gpg-pubkey"))
        .map(|(n, l)| (n.to_string(), l.to_string()))
        .collect();
    assert!(oracle.len() > 100, "{}", String::from_utf8_lossy(&out.stderr));
    let target = format!("oci-dir:{}:rpm-sqlite", images().join("oci").display());
    let v = scan(&target, &[]).ok().json();
    let mut seen = 0;
    for f in v["licenses"].as_array().unwrap() {
        let name = f["package"]["name"].as_str().unwrap();
        let declared = f["license"]["declared"].as_str().or(f["rule"].as_str()).unwrap();
        assert_eq!(Some(declared), oracle.get(name).map(String::as_str), "{name}");
        seen += 1;
    }
    assert_eq!(seen, oracle.len());
    let got = by_package(&v);
    assert_eq!(got["bash"].0, "GPL-3.0-only");
    assert_eq!(got["zlib"].0, "Zlib");
    assert_eq!(got["glibc"].0, "BSD-3-Clause AND GPL-2.0-or-later AND LicenseRef-Inner-Net AND ISC AND LGPL-2.0-or-later AND MIT");
    assert_eq!(got["glibc"].1, "restricted");
}
