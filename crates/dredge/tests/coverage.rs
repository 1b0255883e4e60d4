//! Advisory coverage (issue 11, first part): the distributor's rating and the related CVE ids of
//! AlmaLinux errata, end to end through the binary on the real AlmaLinux 8 OSV data.
#![allow(clippy::panic, clippy::unwrap_used)]

mod common;
use common::*;
use serde_json::Value;

#[test]
fn almalinux_errata_carry_their_rating_and_cves() {
    let dir = tempfile::tempdir().unwrap();
    let db = build_db(dir.path(), &fixtures().join("osv/almalinux8-osv.tar.gz"), "alma.db");
    let sbom = repo().join("testdata/sboms/almalinux8-curl.cdx.json");
    let scan = |extra: &[&str]| {
        let mut args = vec!["sbom-scan", sbom.to_str().unwrap(), "--db", db.to_str().unwrap(), "--format", "json"];
        args.extend_from_slice(extra);
        dredge_in(dir.path(), &args).ok().json()
    };
    let v = scan(&[]);
    let vulns = v["vulnerabilities"].as_array().unwrap();
    assert!(vulns.len() >= 10, "{}", vulns.len());
    // Every erratum is rated by its summary ("Moderate: curl security update"), none is unknown.
    for f in vulns {
        let title = f["title"].as_str().unwrap();
        let rating = title.split(':').next().unwrap();
        let expected = match rating {
            "Critical" => "CRITICAL",
            "Important" => "HIGH",
            "Moderate" => "MEDIUM",
            "Low" => "LOW",
            other => panic!("unexpected summary prefix {other:?} in {title}"),
        };
        assert_eq!(f["severity"], expected, "{f}");
        assert_eq!(f["severity_source"], "distro (summary)");
    }
    // The CVEs an erratum fixes are shown with it.
    let alsa = vulns.iter().find(|f| f["id"] == "ALSA-2022:5313" && f["package"] == "curl").unwrap();
    let related: Vec<&str> = alsa["related"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
    assert!(related.len() >= 2 && related.iter().all(|r| r.starts_with("CVE-")), "{related:?}");
    // Ignoring one of those CVEs suppresses the erratum (for every package it affects).
    let ign = dir.path().join("ignore.yaml");
    std::fs::write(&ign, format!("ignore:\n  - id: {}\n", related[0])).unwrap();
    let v2 = scan(&["--ignorefile", ign.to_str().unwrap()]);
    let ids = |v: &Value| -> Vec<String> {
        v["vulnerabilities"].as_array().unwrap().iter().map(|f| format!("{} {}", f["id"], f["package"])).collect()
    };
    assert!(!ids(&v2).iter().any(|i| i.starts_with("\"ALSA-2022:5313\"")), "{:?}", ids(&v2));
    // Exactly the findings that name that CVE (as id, alias or related id) are gone.
    let names_it = |f: &Value| {
        f["id"] == related[0] || ["aliases", "related"].iter().any(|k| f[k].as_array().is_some_and(|a| a.iter().any(|x| x == related[0])))
    };
    let expected: Vec<String> = vulns.iter().filter(|f| !names_it(f)).map(|f| format!("{} {}", f["id"], f["package"])).collect();
    assert!(expected.len() < vulns.len());
    assert_eq!(ids(&v2), expected);
    // CycloneDX carries them as references.
    let cdx = dredge_in(dir.path(), &["sbom-scan", sbom.to_str().unwrap(), "--db", db.to_str().unwrap(), "--format", "cyclonedx"]).ok();
    assert!(cdx.stdout.contains(related[0]) && cdx.stdout.contains("\"related\""), "{}", cdx.stdout);
}

#[test]
fn rootfs_scans_vulnerabilities_like_image() {
    // The real Alpine 3.9.6 root filesystem, with musl put back one release (before its fix).
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    untar(&fixtures().join("alpine/alpine-minirootfs-3.9.6-x86_64.tar.gz"), &root);
    let db_file = root.join("lib/apk/db/installed");
    let text = std::fs::read_to_string(&db_file).unwrap();
    assert!(text.contains("P:musl\nV:1.1.20-r5\n"));
    std::fs::write(&db_file, text.replace("P:musl\nV:1.1.20-r5\n", "P:musl\nV:1.1.20-r4\n")).unwrap();
    let db = build_db(dir.path(), &repo().join("testdata/advisories/alpine-secdb-v3.9-main.yaml"), "adv.db");
    let r =
        dredge_in(dir.path(), &["rootfs", root.to_str().unwrap(), "--db", db.to_str().unwrap(), "--format", "json", "--exit-code", "3"]);
    assert_eq!(r.code, 3, "a finding trips the gate: {}", r.stderr);
    let v = r.json();
    let ids: Vec<String> = v["vulnerabilities"].as_array().unwrap().iter().map(|f| format!("{} {}", f["package"], f["id"])).collect();
    assert_eq!(ids, vec!["\"musl\" \"CVE-2019-14697\"".to_string()]);
    assert!(v.get("secrets").is_some(), "secrets scanned too by default");
    // Without a database, the gate is honest here as well.
    let r = dredge_in_env(dir.path(), &["rootfs", root.to_str().unwrap(), "--offline"], &[("DREDGE_ALLOW_NO_DB", "0")]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    // `--scanners secret` needs none.
    dredge_in_env(dir.path(), &["rootfs", root.to_str().unwrap(), "--scanners", "secret"], &[("DREDGE_ALLOW_NO_DB", "0")]).ok();
}

#[test]
fn fs_scans_a_source_tree_without_its_history_or_skipped_parts() {
    // A repository checkout: a requirements file (real PyPA advisories), a secret in its config,
    // and the same kinds of things where `fs` must not look: `.git`, a skipped directory and a
    // skipped file.
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("repo");
    let token = |n: u8| format!("ghp_{}{}", "Zq8Wm3Xv5Rn2Kp7Lc4Bd9Ft1Gy6Hu0Ij3Ok", char::from(b'a' + n));
    let files = [
        ("requirements.txt", "requests==2.19.0\n".to_string()),
        ("config/app.conf", format!("[github]\ntoken = {}\n", token(0))),
        (".git/objects/requirements.txt", "django==2.2\n".to_string()),
        (".git/config", format!("[github]\ntoken = {}\n", token(1))),
        ("vendor/lib/requirements.txt", "flask==0.12.2\n".to_string()),
        ("tools/requirements-dev.txt", "jinja2==2.10\n".to_string()),
    ];
    for (p, text) in &files {
        let p = tree.join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    // A link into .git is not a way in.
    std::os::unix::fs::symlink(".git/objects/requirements.txt", tree.join("requirements-link.txt")).unwrap();
    std::fs::write(tree.join(".git/reqs"), "flask==0.12.2\n").unwrap();
    std::os::unix::fs::symlink(".git/reqs", tree.join("requirements-other.txt")).unwrap();
    let db = build_db(dir.path(), &fixtures().join("osv/pypa-advisory-database.tar.gz"), "pypa.db");
    let t = tree.to_str().unwrap();
    let scan = |extra: &[&str]| {
        let mut args = vec!["fs", t, "--db", db.to_str().unwrap(), "--format", "json"];
        args.extend_from_slice(extra);
        dredge_in(dir.path(), &args).ok().json()
    };
    let names = |v: &Value| -> Vec<String> {
        let mut n: Vec<String> = v["packages"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_lowercase()).collect();
        n.sort();
        n
    };
    let v = scan(&["--skip-dirs", "./vendor", "--skip-files", "**/requirements-dev.txt"]);
    assert_eq!(v["target"]["kind"], "filesystem");
    for link in ["/requirements-link.txt", "/requirements-other.txt"] {
        let w = v["warnings"].as_array().unwrap().iter().find(|w| w["path"] == link);
        assert!(w.is_some_and(|w| w["message"].as_str().unwrap().ends_with("not read")), "the link into .git is named: {}", v["warnings"]);
    }
    assert_eq!(names(&v), vec!["requests"]);
    // requests 2.19.0 leaks credentials on redirects: CVE-2018-18074, fixed in 2.20.0 (PyPA's
    // PYSEC-2018-28), among its findings.
    let ids: Vec<&str> = v["vulnerabilities"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"CVE-2018-18074"), "{ids:?}");
    // The secret of the tree is found, the one in .git is not.
    let secrets: Vec<&str> = v["secrets"].as_array().unwrap().iter().map(|s| s["path"].as_str().unwrap()).collect();
    assert_eq!(secrets, vec!["/config/app.conf"]);
    // Without the skips, the skipped parts are read (and .git still is not).
    assert_eq!(names(&scan(&[])), vec!["flask", "jinja2", "requests"]);
    // A skipped directory anywhere in the tree (`**/`), its secrets included.
    let v = scan(&["--skip-dirs", "**/config,vendor", "--skip-files", "tools/*"]);
    assert!(v["secrets"].as_array().unwrap().is_empty(), "{}", v["secrets"]);
    assert_eq!(names(&v), vec!["requests"]);
}

#[test]
fn a_finding_without_a_rating_takes_the_cvss_of_its_cve_from_another_record() {
    // Alpine's secdb rates nothing. The real Alpine 3.9.6 root filesystem with musl one release
    // before the fix of CVE-2019-14697; Ubuntu's real OSV record of that CVE (its `upstream`)
    // carries CVSS 3.1 9.8 — and Ubuntu's own priority, which is Ubuntu's and is not carried over.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    untar(&fixtures().join("alpine/alpine-minirootfs-3.9.6-x86_64.tar.gz"), &root);
    let db_file = root.join("lib/apk/db/installed");
    let text = std::fs::read_to_string(&db_file).unwrap();
    std::fs::write(&db_file, text.replace("P:musl\nV:1.1.20-r5\n", "P:musl\nV:1.1.20-r4\n")).unwrap();
    let secdb = repo().join("testdata/advisories/alpine-secdb-v3.9-main.yaml");
    let ubuntu = repo().join("testdata/advisories/ubuntu/UBUNTU-CVE-2019-14697.json");
    let both = dir.path().join("both.db");
    dredge_in(
        dir.path(),
        &["db", "build", "--source", secdb.to_str().unwrap(), "--source", ubuntu.to_str().unwrap(), "--output", both.to_str().unwrap()],
    )
    .ok();
    let alone = build_db(dir.path(), &secdb, "alone.db");
    let scan = |db: &std::path::Path| {
        let r = dredge_in(
            dir.path(),
            &[
                "rootfs",
                root.to_str().unwrap(),
                "--db",
                db.to_str().unwrap(),
                "--format",
                "json",
                "--severity",
                "CRITICAL",
                "--exit-code",
                "4",
            ],
        );
        (r.code, r.json())
    };
    let (code, v) = scan(&both);
    assert_eq!(code, 4, "a CRITICAL finding trips the gate");
    let f = &v["vulnerabilities"][0];
    assert_eq!((f["id"].as_str(), f["package"].as_str()), (Some("CVE-2019-14697"), Some("musl")));
    assert_eq!(f["severity"], "CRITICAL");
    assert_eq!(f["severity_source"], "CVSS_V3 9.8 (CVE-2019-14697 in UBUNTU-CVE-2019-14697)");
    // Without a record rating the CVE, the finding stays UNKNOWN and the CRITICAL gate passes.
    let (code, v) = scan(&alone);
    assert_eq!(code, 0);
    assert!(v["vulnerabilities"].as_array().unwrap().is_empty(), "filtered by --severity: {}", v["vulnerabilities"]);
    let r = dredge_in(dir.path(), &["rootfs", root.to_str().unwrap(), "--db", alone.to_str().unwrap(), "--format", "json"]).ok().json();
    assert_eq!(r["vulnerabilities"][0]["severity"], "UNKNOWN");
}

#[test]
fn language_ecosystems_matched_on_real_advisories_in_the_lang_full_image() {
    // Real OSV records of npm, Maven, Go, crates.io, RubyGems, Packagist, NuGet, Hex, Pub and
    // SwiftURL (testdata/advisories/lang, provenance in its README) against the lang-full test
    // image (installed npm modules, Java archives, Go and Rust binaries, every lockfile fixture;
    // yarn-v1's lockfile deleted by the top layer). The expected set was worked out from each
    // record's ranges by hand (README), not read from dredge's output.
    let dir = tempfile::tempdir().unwrap();
    let db = build_db(dir.path(), &repo().join("testdata/advisories/lang"), "lang.db");
    let image = images().join("lang-full.docker.tar");
    let v =
        dredge_in(dir.path(), &["image", image.to_str().unwrap(), "--db", db.to_str().unwrap(), "--format", "json", "--scanners", "vuln"])
            .ok()
            .json();
    let got: std::collections::BTreeSet<String> = v["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {} {} {}",
                f["package"].as_str().unwrap(),
                f["installed"].as_str().unwrap(),
                f["why"]["records"][0].as_str().unwrap(),
                f["found_at"].as_str().unwrap()
            )
        })
        .collect();
    let want: std::collections::BTreeSet<String> = [
        // Log4Shell: [2.13.0, 2.15.0) holds the pom's ${log4j.version} 2.14.1; the jars' 2.19.0 is in no range.
        "org.apache.logging.log4j:log4j-core 2.14.1 GHSA-jfh8-c2jp-5v3q /srv/locks/pom-xml/pom.xml",
        // [1.0, 32.0.0-android) holds 31.1-jre (Maven order: 31 < 32 first).
        "com.google.guava:guava 31.1-jre GHSA-7g45-4rm6-3mm3 /srv/locks/gradle-lockfile/gradle.lockfile",
        // [0, 1.6.1) holds the smallvec 1.6.0 cargo-auditable recorded; RUSTSEC-2018-0003 is below 0.6.3.
        "smallvec 1.6.0 RUSTSEC-2021-0003 /usr/local/bin/audited",
        // [0, 1.19.9) holds age's go1.19.8 (GO-2023-1704's fix is 1.19.8 itself); shfmt's go1.26.1 is past both.
        "stdlib 1.19.8 GO-2023-1752 /usr/local/bin/age",
        "golang.org/x/text v0.3.5 GO-2021-0113 /srv/locks/go-mod/go.mod",
        "github.com/gin-gonic/gin v1.7.0 GO-2021-0052 /srv/locks/go-mod/go.mod",
        // [0, 13.0.1) holds 11.0.1 and 12.0.1, in three .NET files.
        "Newtonsoft.Json 11.0.1 GHSA-5crp-9r3c-p9vr /srv/locks/packages-config/packages.config",
        "Newtonsoft.Json 12.0.1 GHSA-5crp-9r3c-p9vr /srv/locks/deps-json/app.deps.json",
        "Newtonsoft.Json 12.0.1 GHSA-5crp-9r3c-p9vr /srv/locks/packages-lock/packages.lock.json",
        // Both psr7 records' ranges hold 1.8.2.
        "guzzlehttp/psr7 1.8.2 GHSA-q7rv-6hp3-vh96 /srv/locks/composer-lock/composer.lock",
        "guzzlehttp/psr7 1.8.2 GHSA-wxmh-65f7-jcvw /srv/locks/composer-lock/composer.lock",
        // npm: [0, 4.19.2) holds express 4.17.1; [0, 1.14.8) holds follow-redirects 1.14.7. lodash
        // 4.17.21 is GHSA-35jh's fix; yarn-v1's lodash 4.17.4 is in a deleted file.
        "express 4.17.1 GHSA-rv95-896h-c2vc /srv/locks/pnpm-v6/pnpm-lock.yaml",
        "follow-redirects 1.14.7 GHSA-pw2r-vq6v-hr8c /srv/locks/bun-lock/bun.lock",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(got, want);
    // rake 13.0.6, plug 1.14.0, http 0.13.6, swift-nio 2.54.0, minimist 1.2.7, jQuery 3.3.1:
    // checked against records whose ranges miss them.
    let unchecked: Vec<&str> = v["database"]["unchecked"].as_array().unwrap().iter().map(|x| x.as_str().unwrap()).collect();
    for e in ["npm", "Maven", "Go", "crates.io", "RubyGems", "Packagist", "NuGet", "Hex", "Pub", "SwiftURL"] {
        assert!(!unchecked.contains(&e), "{e} checked: {unchecked:?}");
    }
}
