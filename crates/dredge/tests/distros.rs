//! Distributions whose advisories OSV does not carry (issue 11): Amazon Linux (ALAS, from the
//! repositories' `updateinfo.xml`) and Oracle Linux (ELSA OVAL), from real excerpts of the
//! feeds (testdata/advisories, provenance there), matched end to end through the binary on
//! root filesystems made of the distribution's real os-release (testdata/os-release) and an rpm
//! database written by the real `rpm` (Debian's package) from packages `rpmbuild` makes with
//! the names, versions and architectures each case needs.
#![allow(clippy::panic, clippy::unwrap_used)]

mod common;
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// (name, epoch, version, release, arch)
type Rpm<'a> = (&'a str, &'a str, &'a str, &'a str, &'a str);

/// A root filesystem: `etc/os-release` from testdata/os-release/`os`, and an rpm database at
/// `var/lib/rpm` holding `pkgs`, written by `rpm --justdb`.
fn rootfs(dir: &Path, os: &str, pkgs: &[Rpm<'_>]) -> PathBuf {
    let root = dir.join(format!("root-{os}-{}", pkgs.len()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::copy(repo().join("testdata/os-release").join(os), root.join("etc/os-release")).unwrap();
    let top = dir.join("rpmbuild");
    let spec = dir.join("pkg.spec");
    let head = "Name: %{sname}\nVersion: %{pver}\nRelease: %{prel}\nEpoch: %{pepoch}\nSummary: test\nLicense: MIT\n%description\ntest\n";
    let mut files = Vec::new();
    for (spec_name, epoch, version, release, arch) in pkgs {
        // `binary@source`: a binary package built from a differently named source rpm.
        let (name, source) = spec_name.split_once('@').unwrap_or((spec_name, spec_name));
        let body = if name == source {
            "%files\n".to_string()
        } else {
            "%package -n %{pname}\nSummary: test\n%description -n %{pname}\ntest\n%files -n %{pname}\n".to_string()
        };
        std::fs::write(&spec, format!("{head}{body}")).unwrap();
        let st = Command::new("rpmbuild")
            .args(["-bb", "--quiet", "--target", arch])
            .args(["--define", &format!("_topdir {}", top.display())])
            .args(["--define", &format!("pname {name}"), "--define", &format!("sname {source}"), "--define", &format!("pver {version}")])
            .args(["--define", &format!("prel {release}"), "--define", &format!("pepoch {epoch}")])
            .arg(&spec)
            .output()
            .expect("rpmbuild runs (Debian package rpm)");
        assert!(st.status.success(), "rpmbuild {name}: {}", String::from_utf8_lossy(&st.stderr));
        files.push(top.join(format!("RPMS/{arch}/{name}-{version}-{release}.{arch}.rpm")));
    }
    let dbpath = root.join("var/lib/rpm");
    std::fs::create_dir_all(&dbpath).unwrap();
    let rpm = |args: &[&str]| {
        let out = Command::new("rpm").arg("--dbpath").arg(&dbpath).args(args).output().expect("rpm runs");
        assert!(out.status.success(), "rpm {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    rpm(&["--initdb"]);
    let mut install = vec!["-i", "--justdb", "--nodeps", "--noscripts", "--ignorearch", "--ignoreos"];
    install.extend(files.iter().map(|f| f.to_str().unwrap()));
    rpm(&install);
    // The oracle: what rpm itself lists.
    let listed = rpm(&["-qa", "--qf", "%{NAME}\n"]);
    assert_eq!(listed.lines().count(), pkgs.len(), "{listed}");
    // Fold the write-ahead log into the database file, as a finished rpm transaction leaves it.
    let st = Command::new("python3")
        .args(["-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('PRAGMA wal_checkpoint(TRUNCATE)'); c.execute('PRAGMA journal_mode=DELETE'); c.close()"])
        .arg(dbpath.join("rpmdb.sqlite"))
        .status()
        .unwrap();
    assert!(st.success());
    root
}

fn db_of(dir: &Path, name: &str, sources: &[&str]) -> PathBuf {
    let out = dir.join(name);
    let mut args = vec!["db".to_string(), "build".into()];
    for s in sources {
        args.push("--source".into());
        args.push(repo().join(s).display().to_string());
    }
    args.push("--output".into());
    args.push(out.display().to_string());
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    dredge_in(dir, &a).ok();
    out
}

fn scan(dir: &Path, root: &Path, db: &Path) -> Value {
    dredge_in(dir, &["rootfs", root.to_str().unwrap(), "--db", db.to_str().unwrap(), "--format", "json", "--scanners", "vuln"]).ok().json()
}

/// `package id severity fixed` of every finding, sorted.
fn rows(v: &Value) -> Vec<String> {
    let mut r: Vec<String> = v["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {} {} {}",
                f["package"].as_str().unwrap(),
                f["id"].as_str().unwrap(),
                f["severity"].as_str().unwrap(),
                f["fixed_versions"].as_array().unwrap().iter().map(|x| x.as_str().unwrap()).collect::<Vec<_>>().join(",")
            )
        })
        .collect();
    r.sort();
    r
}

#[test]
fn amazon_linux_alas_from_updateinfo() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let db = db_of(d, "amazon.db", &["testdata/advisories/amazon/al1-updateinfo.xml", "testdata/advisories/amazon/al2-updateinfo.xml"]);
    let st = dredge_in(d, &["db", "status", "--db", db.to_str().unwrap(), "--format", "json"]).ok().json();
    let ecos: Vec<String> = st["ecosystems"].as_array().unwrap().iter().map(|e| e[0].as_str().unwrap().to_string()).collect();
    assert_eq!(ecos, ["Amazon Linux:1", "Amazon Linux:2"]);

    // Amazon Linux 2: the kernel before ALAS2-2018-939's fix, kernel-headers at it, qemu-kvm
    // (epoch 10) one build before ALAS2-2018-942's.
    let root = rootfs(
        d,
        "amzn-2",
        &[
            ("kernel", "0", "4.9.62", "10.57.amzn2", "x86_64"),
            ("kernel-headers", "0", "4.9.76", "38.79.amzn2", "x86_64"),
            ("qemu-kvm", "10", "1.5.3", "141.amzn2.5.2", "x86_64"),
            ("httpd", "0", "2.2.20", "1.amzn1", "x86_64"),
        ],
    );
    let v = scan(d, &root, &db);
    assert_eq!(v["os"]["id"], "amzn");
    assert_eq!(
        rows(&v),
        ["kernel ALAS2-2018-939 CRITICAL 4.9.76-38.79.amzn2", "qemu-kvm ALAS2-2018-942 HIGH 10:1.5.3-141.amzn2.5.3"],
        "Amazon Linux 1's httpd advisory does not apply to Amazon Linux 2"
    );
    let kernel = &v["vulnerabilities"].as_array().unwrap().iter().find(|f| f["package"] == "kernel").unwrap().clone();
    assert_eq!(kernel["related"], serde_json::json!(["CVE-2017-5715", "CVE-2017-5754"]));
    assert_eq!(kernel["severity_source"], "distro");
    assert_eq!(kernel["why"]["ecosystem"], "Amazon Linux:2");
    assert!(kernel["references"].as_array().unwrap().iter().any(|r| r == "https://alas.aws.amazon.com/AL2/ALAS2-2018-939.html"));

    // Amazon Linux 1 (VERSION_ID 2018.03): httpd before ALAS-2011-1's fix, mod_ssl (epoch 1) at it.
    let root =
        rootfs(d, "amzn-2018.03", &[("httpd", "0", "2.2.20", "1.amzn1", "x86_64"), ("mod_ssl", "1", "2.2.21", "1.18.amzn1", "x86_64")]);
    let v = scan(d, &root, &db);
    assert_eq!(rows(&v), ["httpd ALAS-2011-1 MEDIUM 2.2.21-1.18.amzn1"]);

    // Amazon Linux 2023 has no advisories in this database: listed as not checked, not passed.
    let root = rootfs(d, "amzn-2023", &[("httpd", "0", "2.2.20", "1.amzn1", "x86_64")]);
    let v = scan(d, &root, &db);
    assert!(rows(&v).is_empty());
    assert_eq!(v["database"]["unchecked"], serde_json::json!(["amzn 2023"]), "{}", v["database"]);
}

#[test]
fn oracle_linux_elsa_from_oval_per_arch_and_build_flavour() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let db = db_of(
        d,
        "oracle.db",
        &[
            "testdata/advisories/oracle/ELSA-2021-9151.xml",
            "testdata/advisories/oracle/elsa-all-excerpt.xml",
            "testdata/advisories/oracle/ELSA-2015-1207.xml",
        ],
    );
    // ELSA-2022-4803 fixed rsyslog on Oracle Linux 7 in 8.24.0-57.0.4 for aarch64 but already in
    // 57.0.1 for x86_64: 57.0.2 is affected on one arch only.
    for (arch, expected) in [("x86_64", vec![]), ("aarch64", vec!["rsyslog ELSA-2022-4803 HIGH 8.24.0-57.0.4.el7_9.3".to_string()])] {
        let root = rootfs(d, "ol-7.7", &[("rsyslog", "0", "8.24.0", "57.0.2.el7_9.3", arch)]);
        let v = scan(d, &root, &db);
        assert_eq!(v["os"]["id"], "ol");
        assert_eq!(rows(&v), expected, "{arch}");
    }
    // ELSA-2021-9151 fixes the Ksplice userspace build of openssl (2:1.1.1g-15.ksplice1.el8_3):
    // a normal build (epoch 1, which compares lower than epoch 2) is not that line and is not
    // reported; an older Ksplice build is.
    let root = rootfs(
        d,
        "ol-8.10",
        &[("openssl", "1", "1.1.1g", "15.el8_3", "x86_64"), ("openssl-libs", "2", "1.1.1g", "14.ksplice1.el8_3", "x86_64")],
    );
    let v = scan(d, &root, &db);
    assert_eq!(rows(&v), ["openssl-libs ELSA-2021-9151 HIGH 2:1.1.1g-15.ksplice1.el8_3"]);
    let f = &v["vulnerabilities"][0];
    assert!(
        f["related"].as_array().unwrap().iter().all(|c| c.as_str().unwrap().starts_with("CVE-"))
            && f["related"].as_array().unwrap().len() >= 2
    );
    assert_eq!(f["title"], "openssl security update");
    // ELSA-2015-1207 names Oracle Linux 5, 6 and 7 and no arch: firefox on 7 before its fix.
    let root = rootfs(d, "ol-7.7", &[("firefox", "0", "31.7.0", "1.0.1.el7_1", "x86_64")]);
    let v = scan(d, &root, &db);
    assert_eq!(rows(&v), ["firefox ELSA-2015-1207 CRITICAL 38.1.0-1.0.1.el7_1"]);
    // Oracle Linux 9 has none here: not checked, said so.
    let root = rootfs(d, "ol-9.2", &[("firefox", "0", "31.7.0", "1.0.1.el7_1", "x86_64")]);
    assert_eq!(scan(d, &root, &db)["database"]["unchecked"], serde_json::json!(["ol 9.2"]));
}

#[test]
fn broken_feeds_are_named_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Cut in the middle of an update: the first update is kept, the break is reported with its
    // byte offset; a foreign XML document is refused by name.
    let text = std::fs::read_to_string(repo().join("testdata/advisories/amazon/al2-updateinfo.xml")).unwrap();
    let cut = text.find("ALAS2-2018-942").unwrap() + 40;
    let broken = d.join("updateinfo.xml");
    std::fs::write(&broken, format!("{}</pkglist></update>", &text[..cut])).unwrap();
    let out = d.join("b.db");
    let r = dredge_in(d, &["db", "build", "--source", broken.to_str().unwrap(), "--output", out.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("invalid XML at byte") && r.stderr.contains("the 1 advisories before it were read"), "{}", r.stderr);
    let foreign = d.join("pom.xml");
    std::fs::write(&foreign, "<?xml version=\"1.0\"?><project><modelVersion>4.0.0</modelVersion></project>").unwrap();
    let r = dredge_in(d, &["db", "build", "--source", foreign.to_str().unwrap(), "--output", out.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("not a known XML advisory feed"), "{}", r.stderr);
    // gzip, as the repositories publish updateinfo.xml.gz.
    let gz = d.join("updateinfo.xml.gz");
    let st = Command::new("sh")
        .arg("-c")
        .arg(format!("gzip -c {} > {}", repo().join("testdata/advisories/amazon/al2-updateinfo.xml").display(), gz.display()))
        .status()
        .unwrap();
    assert!(st.success());
    let r = dredge_in(d, &["db", "build", "--source", gz.to_str().unwrap(), "--output", out.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let st = dredge_in(d, &["db", "status", "--db", out.to_str().unwrap(), "--format", "json"]).ok().json();
    assert_eq!(st["advisories"], 2);
}

/// A root filesystem with a text package database (dpkg's status or apk's installed) and an
/// os-release (from testdata/os-release, or the given text).
fn text_rootfs(dir: &Path, name: &str, os_release: &str, db_path: &str, db: &str) -> PathBuf {
    let root = dir.join(name);
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("etc")).unwrap();
    let rel = repo().join("testdata/os-release").join(os_release);
    let text = if rel.is_file() { std::fs::read_to_string(rel).unwrap() } else { os_release.to_string() };
    std::fs::write(root.join("etc/os-release"), text).unwrap();
    let p = root.join(db_path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, db).unwrap();
    root
}

#[test]
fn openeuler_by_source_rpm_and_release_from_pretty_name() {
    // openEuler 22.03 LTS SP3 (VERSION_ID "22.03"; the LTS-SP3 is in PRETTY_NAME): booth-core
    // from source booth, one build before OESA-2024-2048's fix, carrying an epoch the record
    // leaves out (its fix is "1.0-7.oe2203sp3"); pacemaker is not in the record.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let db = db_of(d, "oe.db", &["testdata/advisories/openeuler/OESA-2024-2048.json"]);
    let root = rootfs(
        d,
        "openEuler-22.03-LTS-SP3",
        &[("booth-core@booth", "1", "1.0", "6.oe2203sp3", "x86_64"), ("pacemaker", "0", "2.1.5", "1.oe2203sp3", "x86_64")],
    );
    let v = scan(d, &root, &db);
    assert_eq!(v["os"]["id"], "openEuler");
    // openEuler rates the advisory in `database_specific.severity` ("High").
    assert_eq!(rows(&v), ["booth-core OESA-2024-2048 HIGH 1.0-7.oe2203sp3"]);
    let f = &v["vulnerabilities"][0];
    assert_eq!(f["severity_source"], "advisory");
    assert_eq!(f["why"]["ecosystem"], "openEuler:22.03-LTS-SP3");
    assert_eq!((f["why"]["package"].as_str(), f["why"]["version"].as_str()), (Some("booth"), Some("1.0-6.oe2203sp3")));
    assert!(f["related"].as_array().unwrap().iter().any(|c| c.as_str().unwrap().starts_with("CVE-")), "upstream CVE shown: {f}");
    // At the fixed build: nothing.
    let root = rootfs(d, "openEuler-22.03-LTS-SP3", &[("booth-core@booth", "1", "1.0", "7.oe2203sp3", "x86_64")]);
    assert!(rows(&scan(d, &root, &db)).is_empty());
}

#[test]
fn echo_alpaquita_and_bitnami_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let db = db_of(
        d,
        "more.db",
        &[
            "testdata/advisories/echo/ECHO-003f-2632-599c.json",
            "testdata/advisories/echo/ECHO-7db2-03aa-5591.json",
            "testdata/advisories/alpaquita/BELL-CVE-2024-0232.json",
            "testdata/advisories/bitnami/BIT-brotli-2020-8927.json",
            "testdata/advisories/bitnami/BIT-consul-2021-37219.json",
        ],
    );
    // Echo (Debian-based, dpkg): openssh-client from source openssh one Echo build before the fix;
    // python3-pip at its fixed Echo rebuild (25.3+dfsg-1+e2).
    let status = "Package: openssh-client\nStatus: install ok installed\nArchitecture: amd64\nSource: openssh\nVersion: 1:9.2p1-2+deb12u5\n\n\
                  Package: python3-pip\nStatus: install ok installed\nArchitecture: all\nSource: python-pip\nVersion: 25.3+dfsg-1+e2\n";
    let root = text_rootfs(d, "echo", "echo", "var/lib/dpkg/status", status);
    let v = scan(d, &root, &db);
    assert_eq!(v["os"]["id"], "echo");
    assert_eq!(rows(&v), ["openssh-client CVE-2008-3234 UNKNOWN 1:9.2p1-2+deb12u6"]);
    assert_eq!(v["vulnerabilities"][0]["why"]["ecosystem"], "Echo");
    // Alpaquita (apk): sqlite-libs from origin sqlite inside BELL-CVE-2024-0232's window.
    let installed = "P:sqlite-libs\nV:3.43.1-r0\nA:x86_64\no:sqlite\n\nP:musl\nV:1.2.4-r2\nA:x86_64\no:musl\n\n";
    let os = "NAME=\"BellSoft Alpaquita Linux Stream\"\nID=alpaquita\nVERSION_ID=stream\n";
    let root = text_rootfs(d, "alpaquita", os, "lib/apk/db/installed", installed);
    let v = scan(d, &root, &db);
    // BellSoft names the CVE as `upstream` (not an alias) and rates it in the record: reported
    // under the CVE, the record's id as an alias.
    assert_eq!(rows(&v), ["sqlite-libs CVE-2024-0232 MEDIUM 3.43.2-r0"]);
    assert_eq!(v["vulnerabilities"][0]["aliases"], serde_json::json!(["BELL-CVE-2024-0232"]));
    assert_eq!(v["vulnerabilities"][0]["why"]["ecosystem"], "Alpaquita:stream");
    // Bitnami: PostgreSQL's real component SPDX (PostgreSQL, GEOS, Proj, GDAL: no advisories
    // here), consul inside the second window of BIT-consul-2021-37219, and brotli at its fix
    // with Bitnami's revision suffix ("1.0.8-0" is 1.0.8, not a pre-release below it).
    let root = d.join("bitnami");
    let spdx = repo().join("crates/dredge-extract/testdata/lang/bitnami-spdx/opt/bitnami/postgresql/.spdx-postgresql.spdx");
    let component = |name: &str, version: &str| {
        serde_json::json!({"spdxVersion": "SPDX-2.3", "packages": [{"name": name, "versionInfo": version,
            "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                              "referenceLocator": format!("pkg:bitnami/{name}@{version}?arch=amd64&distro=debian-12")}]}]})
        .to_string()
    };
    let files = [
        ("postgresql", std::fs::read_to_string(spdx).unwrap()),
        ("consul", component("consul", "1.9.8-0")),
        ("brotli", component("brotli", "1.0.8-0")),
    ];
    for (c, text) in files {
        let p = root.join(format!("opt/bitnami/{c}/.spdx-{c}.spdx"));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let v = scan(d, &root, &db);
    let mut pkgs: Vec<String> = v["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| format!("{} {}", p["name"].as_str().unwrap(), p["purl"].as_str().unwrap()))
        .collect();
    pkgs.sort();
    assert_eq!(
        pkgs,
        [
            "brotli pkg:bitnami/brotli@1.0.8-0",
            "consul pkg:bitnami/consul@1.9.8-0",
            "gdal pkg:bitnami/gdal@3.7.1",
            "geos pkg:bitnami/geos@3.8.3",
            "postgresql pkg:bitnami/postgresql@15.3.0",
            "proj pkg:bitnami/proj@6.3.2"
        ]
    );
    assert_eq!(rows(&v), ["consul CVE-2021-37219 HIGH 1.9.9"]);
    assert_eq!(v["vulnerabilities"][0]["why"]["scheme"], "dpkg");
}

#[test]
fn cbl_mariner_and_azure_linux_from_microsofts_oval() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let db = db_of(
        d,
        "ms.db",
        &[
            "testdata/advisories/microsoft/cbl-mariner-2.0-oval-excerpt.xml",
            "testdata/advisories/microsoft/mariner-truncated-2.0-oval.xml",
            "testdata/advisories/microsoft/azure-linux-truncated-3.0-oval.xml",
        ],
    );
    let st = dredge_in(d, &["db", "status", "--db", db.to_str().unwrap(), "--format", "json"]).ok().json();
    let ecos: Vec<String> = st["ecosystems"].as_array().unwrap().iter().map(|e| e[0].as_str().unwrap().to_string()).collect();
    assert_eq!(ecos, ["Azure Linux:3.0", "Mariner:2.0"]);
    // The real CBL-Mariner 2.0 rpm database of the rpm-sqlite test image (129 packages): curl and
    // openssl 7.76.0-6.cm2 / 1.1.1k-7.cm2 with their -libs subpackages, before the fixes of
    // CVE-2023-32001 (8.2.1-1) and CVE-2023-3817 (1.1.1k-26). Each binary package is reported,
    // looked up by its source package as Microsoft's feed names them.
    let img = format!("oci-dir:{}:rpm-sqlite", images().join("oci").display());
    let v = dredge_in(d, &["image", &img, "--db", db.to_str().unwrap(), "--format", "json", "--scanners", "vuln"]).ok().json();
    assert_eq!(
        rows(&v),
        [
            "curl CVE-2023-32001 MEDIUM 8.2.1-1.cm2",
            "curl-libs CVE-2023-32001 MEDIUM 8.2.1-1.cm2",
            "openssl CVE-2023-3817 MEDIUM 1.1.1k-26.cm2",
            "openssl-libs CVE-2023-3817 MEDIUM 1.1.1k-26.cm2"
        ]
    );
    let f = &v["vulnerabilities"][1];
    assert_eq!((f["why"]["package"].as_str(), f["why"]["ecosystem"].as_str()), (Some("curl"), Some("Mariner:2.0")));
    assert_eq!(f["aliases"], serde_json::json!(["oval:com.microsoft.cbl-mariner:def:27795"]));

    // Microsoft's other shapes, on a root filesystem with Mariner 2.0's os-release: a fix with a
    // lower bound (golang: above 1.19.0, below 1.20.7-1), no fix yet (bind: "installed with
    // 9.16.33-1 or earlier", patchable false: affected up to that version, no fixed version),
    // and "Not Applicable" (glibc: left out, as Trivy and vunnel do).
    let root = rootfs(
        d,
        "mariner-2.0",
        &[
            ("golang", "0", "1.20.6", "1.cm2", "x86_64"),
            ("golang-src@golang", "0", "1.18.8", "1.cm2", "noarch"),
            ("bind-utils@bind", "0", "9.16.33", "1.cm2", "x86_64"),
            ("bind-libs@bind", "0", "9.16.34", "1.cm2", "x86_64"),
            ("glibc", "0", "2.35", "3.cm2", "x86_64"),
        ],
    );
    let v = scan(d, &root, &db);
    assert_eq!(rows(&v), ["bind-utils CVE-2022-3736 HIGH ", "golang CVE-2023-29404 CRITICAL 1.20.7-1.cm2"]);
    let bind = v["vulnerabilities"].as_array().unwrap().iter().find(|f| f["package"] == "bind-utils").unwrap().clone();
    assert_eq!(bind["status"], "affected");
    // Azure Linux 3.0: ceph before 18.2.1-1.azl3.
    let root = rootfs(
        d,
        "azurelinux-3.0",
        &[("ceph-common@ceph", "0", "18.2.0", "3.azl3", "x86_64"), ("freeglut", "0", "3.4.0", "1.azl3", "x86_64")],
    );
    let v = scan(d, &root, &db);
    assert_eq!(rows(&v), ["ceph-common CVE-2020-27304 CRITICAL 18.2.1-1.azl3"]);
}

#[test]
fn mageia_and_minimos_end_to_end_with_records_written_here() {
    // No real Mageia (MGASA) or MinimOS OSV record was at hand: these two are written here in
    // the shape OSV's ecosystems take (`Mageia:9` rpm versions, `MinimOS` apk versions); the
    // os-release files are the real ones (testdata/os-release). What this shows is dredge's part:
    // detection, the ecosystem name, the key (source rpm, apk origin) and the version order.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let recs = d.join("recs");
    std::fs::create_dir_all(&recs).unwrap();
    let rec = |id: &str, eco: &str, name: &str, fixed: &str| {
        serde_json::json!({"id": id, "modified": "2026-01-01T00:00:00Z", "upstream": [format!("CVE-2099-{}", &id[id.len() - 4..])],
            "affected": [{"package": {"ecosystem": eco, "name": name},
                          "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}]}]})
        .to_string()
    };
    std::fs::write(recs.join("m.json"), rec("MGASA-2099-0001", "Mageia:9", "curl", "8.9.1-1.mga9")).unwrap();
    std::fs::write(recs.join("n.json"), rec("MINI-test-0002", "MinimOS", "openssl", "3.3.2-r0")).unwrap();
    let db = d.join("mm.db");
    dredge_in(d, &["db", "build", "--source", recs.to_str().unwrap(), "--output", db.to_str().unwrap()]).ok();
    // Mageia 9: libcurl4 built from source curl 8.9.0-1.mga9, looked up as curl.
    let root = rootfs(d, "mageia-9", &[("libcurl4@curl", "0", "8.9.0", "1.mga9", "x86_64"), ("curl", "0", "8.9.1", "1.mga9", "x86_64")]);
    let v = scan(d, &root, &db);
    assert_eq!(v["os"]["id"], "mageia");
    assert_eq!(rows(&v), ["libcurl4 MGASA-2099-0001 UNKNOWN 8.9.1-1.mga9"]);
    assert_eq!(v["vulnerabilities"][0]["why"]["ecosystem"], "Mageia:9");
    // MinimOS (VERSION_ID is a date, not a release): libssl3 from origin openssl.
    let installed = "P:libssl3\nV:3.3.1-r4\nA:x86_64\no:openssl\n\nP:openssl\nV:3.3.2-r0\nA:x86_64\no:openssl\n\n";
    let root = text_rootfs(d, "minimos", "minimos", "lib/apk/db/installed", installed);
    let v = scan(d, &root, &db);
    assert_eq!(rows(&v), ["libssl3 MINI-test-0002 UNKNOWN 3.3.2-r0"]);
    assert_eq!(v["vulnerabilities"][0]["why"]["ecosystem"], "MinimOS");
}
