//! Vulnerabilities end to end on real advisory data: the Alpine 3.9 secdb and PyPA's OSV
//! database from ../shared/fixtures, built with `dredge db build`, matched against real images.
#![allow(clippy::panic, clippy::unwrap_used)]

mod common;
use common::*;
use dredge_testkit::{Entry, Layer, oci_layout};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn build_db(dir: &Path) -> PathBuf {
    let db = dir.join("advisories.db");
    let f = fixtures();
    let r = dredge_in(
        &dir.join("cache"),
        &[
            "db",
            "build",
            "--source",
            f.join("alpine-secdb/v3.9-main.yaml").to_str().unwrap(),
            "--source",
            f.join("alpine-secdb/v3.9-community.yaml").to_str().unwrap(),
            "--source",
            f.join("osv/pypa-advisory-database.tar.gz").to_str().unwrap(),
            "--output",
            db.to_str().unwrap(),
        ],
    )
    .ok();
    assert!(r.stderr.contains("built"), "{}", r.stderr);
    db
}

#[test]
fn real_sources_load_completely() {
    let dir = tempfile::tempdir().unwrap();
    let db = build_db(dir.path());
    let st = dredge_in(&dir.path().join("cache"), &["db", "status", "--db", db.to_str().unwrap(), "--format", "json"]).ok().json();
    assert_eq!(st["schema_version"], 2);
    // PyPA: every YAML record of the archive is either in the database or withdrawn; none unreadable.
    let listing = Command::new("tar").arg("tzf").arg(fixtures().join("osv/pypa-advisory-database.tar.gz")).output().unwrap();
    let files = String::from_utf8_lossy(&listing.stdout).lines().filter(|l| l.ends_with(".yaml")).count();
    let pypa = st["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["location"].as_str().unwrap().ends_with("pypa-advisory-database.tar.gz"))
        .unwrap()
        .clone();
    assert_eq!(pypa["errors"], 0, "{pypa}");
    assert!(pypa["withdrawn"].as_u64().unwrap() > 0, "PyPA has withdrawn records; they are excluded");
    assert_eq!(pypa["records"].as_u64().unwrap() + pypa["withdrawn"].as_u64().unwrap(), files as u64);
    let pypi = st["ecosystems"].as_array().unwrap().iter().find(|e| e[0] == "PyPI").unwrap().clone();
    assert_eq!(pypi[1], pypa["records"]);
    // secdb: one record per (package, fixed version, id), counted here with PyYAML.
    let count = Command::new("python3")
        .arg("-c")
        .arg(
            "import sys,yaml\nn=0\nfor f in sys.argv[1:]:\n  d=yaml.safe_load(open(f))\n  for p in d['packages']:\n    for k,v in p['pkg']['secfixes'].items():\n      if str(k)!='0': n+=len(v or [])\nprint(n)",
        )
        .arg(fixtures().join("alpine-secdb/v3.9-main.yaml"))
        .arg(fixtures().join("alpine-secdb/v3.9-community.yaml"))
        .output()
        .unwrap();
    let expected: u64 = String::from_utf8_lossy(&count.stdout).trim().parse().unwrap();
    let secdb_records: u64 = st["sources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["location"].as_str().unwrap().contains("alpine-secdb"))
        .map(|s| s["records"].as_u64().unwrap())
        .sum();
    assert_eq!(secdb_records, expected);
}

fn scan(db: &Path, target: &str, extra: &[&str]) -> Run {
    let c = tempfile::tempdir().unwrap();
    let mut args = vec!["image", target, "--db", db.to_str().unwrap(), "--format", "json", "--image-src", "registry"];
    args.extend_from_slice(extra);
    dredge_in(c.path(), &args)
}

#[test]
fn alpine_396_is_fully_patched_against_its_secdb() {
    // 3.9.6 is the last 3.9 point release: every fix in the 3.9 secdb is at or below its versions
    // (busybox 1.29.3-r10, musl 1.1.20-r5 are the newest fixes; openssl 1.1.1g > 1.1.1d-r0).
    let dir = tempfile::tempdir().unwrap();
    let db = build_db(dir.path());
    let v = scan(&db, &format!("oci-archive:{}", repo().join("testdata/images/alpine-3.9.6.oci.tar").display()), &[]).ok().json();
    assert_eq!(v["vulnerabilities"], Value::Array(vec![]));
    assert!(v["database"]["sources"].to_string().contains("v3.9-main.yaml"));
}

/// The real Alpine 3.9.6 installed database with three packages set back to older real releases.
fn downgraded_image(dir: &Path) -> String {
    let rootfs = dir.join("rootfs");
    std::fs::create_dir_all(&rootfs).unwrap();
    let st = Command::new("tar")
        .arg("xzf")
        .arg(fixtures().join("alpine/alpine-minirootfs-3.9.6-x86_64.tar.gz"))
        .arg("-C")
        .arg(&rootfs)
        .status()
        .unwrap();
    assert!(st.success());
    let db = std::fs::read_to_string(rootfs.join("lib/apk/db/installed")).unwrap();
    let old = db.replace("V:1.29.3-r10", "V:1.29.3-r9").replace("V:1.1.20-r5", "V:1.1.20-r4").replace("V:1.1.1g-r0", "V:1.1.1a-r1");
    assert_ne!(db, old);
    let os_release = std::fs::read_to_string(rootfs.join("etc/os-release")).unwrap();
    let layer = Layer::gz(&[Entry::file("etc/os-release", os_release), Entry::file("lib/apk/db/installed", old)], "ADD older packages");
    let layout = dir.join("layout");
    oci_layout(&layout, &[layer], "old", |_, _| {});
    format!("oci-dir:{}", layout.display())
}

#[test]
fn downgraded_packages_match_exactly_the_secdb_entries_above_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = build_db(dir.path());
    let target = downgraded_image(dir.path());
    let v = scan(&db, &target, &[]).ok().json();
    let got: BTreeSet<String> = v["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {} {} fixed:{}",
                f["package"].as_str().unwrap(),
                f["installed"].as_str().unwrap(),
                f["id"].as_str().unwrap(),
                f["fixed_versions"][0].as_str().unwrap()
            )
        })
        .collect();
    // Read by hand from v3.9-main.yaml: busybox (1.29.3-r10: CVE-2018-20679, CVE-2019-5747),
    // musl (1.1.20-r5: CVE-2019-14697), openssl (1.1.1b-r1: CVE-2019-1543; 1.1.1d-r0:
    // CVE-2019-1547, CVE-2019-1549, CVE-2019-1563; 1.1.1a-r0 is below 1.1.1a-r1). Each applies to
    // every binary package of that origin.
    let mut expected = BTreeSet::new();
    for p in ["busybox", "ssl_client"] {
        for id in ["CVE-2018-20679", "CVE-2019-5747"] {
            expected.insert(format!("{p} 1.29.3-r9 {id} fixed:1.29.3-r10"));
        }
    }
    for p in ["musl", "musl-utils"] {
        expected.insert(format!("{p} 1.1.20-r4 CVE-2019-14697 fixed:1.1.20-r5"));
    }
    for p in ["libcrypto1.1", "libssl1.1"] {
        expected.insert(format!("{p} 1.1.1a-r1 CVE-2019-1543 fixed:1.1.1b-r1"));
        for id in ["CVE-2019-1547", "CVE-2019-1549", "CVE-2019-1563"] {
            expected.insert(format!("{p} 1.1.1a-r1 {id} fixed:1.1.1d-r0"));
        }
    }
    assert_eq!(got, expected);
    let f = &v["vulnerabilities"][0];
    assert_eq!(f["status"], "fixed");
    assert_eq!(f["severity"], "UNKNOWN", "the secdb carries no severity");
    assert_eq!(f["why"]["ecosystem"], "Alpine:v3.9");
    assert_eq!(f["why"]["scheme"], "apk");
    assert!(f["why"]["matched"].as_str().unwrap().starts_with("ECOSYSTEM [introduced 0, fixed "), "{f}");
    assert_eq!(f["location"]["layer"]["created_by"], "ADD older packages");
    // The table: a summary line and one row per finding.
    let c = tempfile::tempdir().unwrap();
    let t = dredge_in(c.path(), &["image", &target, "--db", db.to_str().unwrap()]).ok();
    assert!(t.stdout.contains("Total: 14 (UNKNOWN: 14, LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 0)"), "{}", t.stdout);
    assert!(t.stdout.contains("CVE-2019-14697"));
}

#[test]
fn ci_gate_contract() {
    let dir = tempfile::tempdir().unwrap();
    let db = build_db(dir.path());
    let target = downgraded_image(dir.path());
    assert_eq!(scan(&db, &target, &["--exit-code", "1"]).code, 1, "findings over the threshold");
    let r = scan(&db, &target, &["--exit-code", "1", "--severity", "CRITICAL,HIGH"]);
    assert_eq!(r.code, 0, "all findings are UNKNOWN: none over HIGH\n{}", r.stderr);
    assert_eq!(r.json()["vulnerabilities"], Value::Array(vec![]));
    assert_eq!(scan(&db, &target, &["--exit-code", "3", "--severity", "UNKNOWN"]).code, 3);
    assert_eq!(scan(&db, &target, &["--exit-code", "1", "--ignore-unfixed"]).code, 1, "every finding has a fix");
    // Operational failures stay 2 whatever --exit-code says.
    let r = scan(Path::new("/nonexistent/db.sqlite"), &target, &["--exit-code", "1"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("/nonexistent/db.sqlite"), "{}", r.stderr);
    let r = scan(&db, &target, &["--severity", "BAD"]);
    assert_eq!(r.code, 2);
    // Without any database: an error (a gate must not pass unchecked), unless --allow-no-db.
    let c = tempfile::tempdir().unwrap();
    let r = dredge_in_env(c.path(), &["image", &target, "--format", "json", "--exit-code", "1"], &[("DREDGE_ALLOW_NO_DB", "0")]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("no advisory database"), "{}", r.stderr);
    let r = dredge_in(c.path(), &["image", &target, "--format", "json", "--exit-code", "1", "--allow-no-db"]).ok();
    assert!(r.json()["notes"].to_string().contains("vulnerabilities not checked: no advisory database"));
}

#[test]
fn sarif_and_cyclonedx_reports() {
    let dir = tempfile::tempdir().unwrap();
    let db = build_db(dir.path());
    let target = downgraded_image(dir.path());
    let c = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("r.sarif");
    dredge_in(c.path(), &["image", &target, "--db", db.to_str().unwrap(), "--format", "sarif", "-o", sarif.to_str().unwrap()]).ok();
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    assert_eq!(run["results"].as_array().unwrap().len(), 14);
    // One rule per advisory id (CVE-2019-14697 affects two packages: one rule, two results).
    assert_eq!(run["tool"]["driver"]["rules"].as_array().unwrap().len(), 7);
    assert_eq!(run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "lib/apk/db/installed");
    // sarif-tools (the Microsoft SARIF toolkit) reads it and counts the same results.
    let out = Command::new("python3")
        .arg("-c")
        .arg("import sys\nfrom sarif import loader\nprint(loader.load_sarif_file(sys.argv[1]).get_result_count())")
        .arg(&sarif)
        .output()
        .expect("python3 with sarif-tools (.ci/setup installs it)");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "14", "{}", String::from_utf8_lossy(&out.stderr));
    // CycloneDX with a vulnerabilities section, validated by the official schema.
    let cdx = dir.path().join("r.cdx.json");
    dredge_in(c.path(), &["image", &target, "--db", db.to_str().unwrap(), "--format", "cyclonedx", "-o", cdx.to_str().unwrap()]).ok();
    let out = Command::new("python3").arg(repo().join("testdata/validate-sbom.py")).arg("cyclonedx").arg(&cdx).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&cdx).unwrap()).unwrap();
    let vulns = v["vulnerabilities"].as_array().unwrap();
    assert_eq!(vulns.len(), 14);
    let refs: BTreeSet<&str> = v["components"].as_array().unwrap().iter().filter_map(|c| c["bom-ref"].as_str()).collect();
    for x in vulns {
        assert!(refs.contains(x["affects"][0]["ref"].as_str().unwrap()), "affects points at a component: {x}");
    }
}

/// The downgraded Alpine image, its database, and a working directory holding `files` (an ignore
/// file, VEX documents); `run(args)` scans the image there: exit code, stdout, stderr.
struct Suppressing {
    dir: tempfile::TempDir,
    db: PathBuf,
    target: String,
    work: PathBuf,
}

impl Suppressing {
    fn new(files: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = build_db(dir.path());
        let target = downgraded_image(dir.path());
        let work = dir.path().join("work");
        std::fs::create_dir_all(&work).unwrap();
        for (name, text) in files {
            std::fs::write(work.join(name), text).unwrap();
        }
        Suppressing { dir, db, target, work }
    }
    fn run(&self, args: &[&str]) -> (Option<i32>, String, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_dredge"))
            .args(["image", &self.target, "--db", self.db.to_str().unwrap()])
            .args(args)
            .current_dir(&self.work)
            .env("DREDGE_CACHE_DIR", self.dir.path().join("c"))
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[test]
fn ignore_file_with_expiry_and_vex_through_the_binary() {
    let s = Suppressing::new(&[
        (
            ".dredgeignore",
            "ignore:\n  - purl: pkg:apk/alpine/busybox\n    reason: no shell in production\n  - purl: pkg:apk/alpine/ssl_client\n    expires: 2999-12-31\n    reason: unused\n  - id: CVE-2019-14697\n    expires: 2020-01-01\n    reason: old exception\n  - id: CVE-1999-0001\n    reason: never matches\n",
        ),
        (
            "app.vex.json",
            r#"{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://example.com/vex/1","author":"dredge tests","timestamp":"2026-11-01T00:00:00Z","version":1,
            "statements":[{"vulnerability":{"name":"CVE-2019-1543"},"products":[{"@id":"pkg:oci/app"}],"status":"not_affected","justification":"vulnerable_code_not_in_execute_path"}]}"#,
        ),
    ]);
    let run = |extra: &[&str]| {
        let (code, out, err) = s.run(&[&["--format", "json"], extra].concat());
        (code, serde_json::from_str::<Value>(&out).unwrap_or(Value::Null), err)
    };
    // The default .dredgeignore in the working directory: busybox and ssl_client findings go;
    // the expired exception for musl is reported again, with a warning; the unused one is named.
    let (code, v, err) = run(&["--exit-code", "4"]);
    assert_eq!(code, Some(4));
    let ids: Vec<String> = v["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{} {}", f["package"].as_str().unwrap(), f["id"].as_str().unwrap()))
        .collect();
    assert_eq!(ids.len(), 10, "{ids:?}");
    assert!(!ids.iter().any(|x| x.starts_with("busybox ") || x.starts_with("ssl_client ")));
    assert!(ids.iter().any(|x| x == "musl CVE-2019-14697"));
    assert!(err.contains("expired on 2020-01-01") && err.contains("CVE-1999-0001") && err.contains("matched no finding"), "{err}");
    assert!(v["notes"].to_string().contains("4 findings ignored by .dredgeignore"), "{}", v["notes"]);
    // VEX on top: CVE-2019-1543 is not_affected for the whole image (both openssl packages).
    let (_, v, _) = run(&["--vex", "app.vex.json"]);
    assert_eq!(v["vulnerabilities"].as_array().unwrap().len(), 8);
    assert!(!v["vulnerabilities"].to_string().contains("CVE-2019-1543"));
    // A broken ignore file or VEX document is an operational error.
    std::fs::write(s.work.join("bad.yaml"), "ignore:\n  - id: X\n    expires: soon\n").unwrap();
    let (code, _, err) = run(&["--ignorefile", "bad.yaml", "--exit-code", "1"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("bad.yaml") && err.contains("expires"), "{err}");
    let (code, _, _) = run(&["--vex", "missing.json"]);
    assert_eq!(code, Some(2));
}

#[test]
fn rescanning_the_sbom_gives_the_same_findings() {
    let dir = tempfile::tempdir().unwrap();
    let db = build_db(dir.path());
    let target = downgraded_image(dir.path());
    let c = tempfile::tempdir().unwrap();
    let key = |v: &Value| -> BTreeSet<String> {
        v["vulnerabilities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| format!("{} {} {} {} {} {}", f["id"], f["package"], f["installed"], f["fixed_versions"], f["severity"], f["purl"]))
            .collect()
    };
    let direct = dredge_in(c.path(), &["image", &target, "--db", db.to_str().unwrap(), "--format", "json"]).ok().json();
    assert_eq!(key(&direct).len(), 14);
    for fmt in ["cyclonedx", "spdx-json"] {
        let sbom = dir.path().join(format!("sbom.{fmt}"));
        dredge_in(c.path(), &["sbom", &target, "--format", fmt, "-o", sbom.to_str().unwrap()]).ok();
        let again =
            dredge_in(c.path(), &["sbom-scan", sbom.to_str().unwrap(), "--db", db.to_str().unwrap(), "--format", "json"]).ok().json();
        assert_eq!(key(&again), key(&direct), "{fmt}");
        assert_eq!(again["target"]["kind"], "sbom");
    }
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"hello\": 1}").unwrap();
    let r = dredge_in(c.path(), &["sbom-scan", bad.to_str().unwrap(), "--db", db.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("neither a CycloneDX nor an SPDX"), "{}", r.stderr);
}

/// The PyPA advisories that affect these (name, version) pairs, computed without dredge: PyYAML
/// reads the records, Python's `packaging` orders versions, OSV's range rules are applied in
/// Python. Returns `normalized-name advisory-id` lines.
fn pypa_expected(pkgs: &[(&str, &str)]) -> BTreeSet<String> {
    let script = r#"
import sys, tarfile, yaml, re
from packaging.version import Version, InvalidVersion
pkgs = {}
for n, v in (a.split("=") for a in sys.argv[2:]):
    pkgs.setdefault(re.sub(r"[-_.]+", "-", n).lower(), []).append(Version(v))
def affected(v, ranges, versions):
    if str(v) in versions or any(Version(x) == v for x in versions if _ok(x)): return True
    for r in ranges:
        if r.get("type") != "ECOSYSTEM": continue
        evs = []
        for e in r.get("events", []):
            (k, x), = e.items()
            if x == "0" and k == "introduced": evs.append((Version("0"), 0, k))
            elif _ok(x): evs.append((Version(x), {"introduced": 0, "fixed": 1, "last_affected": 2, "limit": 3}[k], k))
        evs.sort(key=lambda t: (t[0], t[1]))
        state = False
        for x, _, k in evs:
            if k == "introduced" and v >= x: state = True
            elif k in ("fixed", "limit") and v >= x: state = False
            elif k == "last_affected" and v > x: state = False
        if state: return True
    return False
def _ok(x):
    try: Version(x); return True
    except InvalidVersion: return False
out = set()
with tarfile.open(sys.argv[1]) as t:
    for m in t.getmembers():
        if not m.name.endswith(".yaml"): continue
        d = yaml.safe_load(t.extractfile(m))
        if d.get("withdrawn"): continue
        for a in d.get("affected", []):
            p = a.get("package", {})
            if p.get("ecosystem") != "PyPI": continue
            n = re.sub(r"[-_.]+", "-", p.get("name", "")).lower()
            if any(affected(v, a.get("ranges", []), a.get("versions", [])) for v in pkgs.get(n, [])):
                out.add(f"{n} {d['id']}")
print("\n".join(sorted(out)))
"#;
    let tgz = fixtures().join("osv/pypa-advisory-database.tar.gz");
    let mut cmd = Command::new("python3");
    cmd.arg("-c").arg(script).arg(&tgz);
    for (n, ver) in pkgs {
        cmd.arg(format!("{n}={ver}"));
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect()
}

fn pypa_db(dir: &Path) -> PathBuf {
    let db = dir.join("pypa.db");
    let tgz = fixtures().join("osv/pypa-advisory-database.tar.gz");
    dredge_in(&dir.join("c"), &["db", "build", "--source", tgz.to_str().unwrap(), "--output", db.to_str().unwrap()]).ok();
    db
}

/// `normalized-name record-id` for every record behind every finding.
fn records_of(v: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for f in v["vulnerabilities"].as_array().unwrap() {
        for r in f["why"]["records"].as_array().unwrap() {
            out.insert(format!("{} {}", f["package"].as_str().unwrap().to_lowercase().replace('_', "-"), r.as_str().unwrap()));
        }
    }
    out
}

#[test]
fn python_packages_installed_by_pip_in_an_image() {
    // pip-installed wheels (real dist-info) in an Alpine image, matched against PyPA.
    let dir = tempfile::tempdir().unwrap();
    let db = pypa_db(dir.path());
    let v = scan(&db, &format!("oci-dir:{}:lang-app", images().join("oci").display()), &[]).ok().json();
    let pkgs: Vec<(String, String)> = tsv(&images().join("expected/lang-app-pypi.tsv"))
        .iter()
        .map(|l| l.split_once('\t').map(|(a, b)| (a.to_string(), b.to_string())).unwrap())
        .collect();
    let listed: BTreeSet<String> = v["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["ecosystem"] == "pypi")
        .map(|p| format!("{}\t{}", p["name"].as_str().unwrap(), p["version"].as_str().unwrap()))
        .collect();
    assert_eq!(listed, tsv(&images().join("expected/lang-app-pypi.tsv")));
    let npm: BTreeSet<String> = v["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["ecosystem"] == "npm")
        .map(|p| format!("{}\t{}", p["name"].as_str().unwrap(), p["version"].as_str().unwrap()))
        .collect();
    assert_eq!(npm, tsv(&images().join("expected/lang-app-npm.tsv")));
    let django = v["packages"].as_array().unwrap().iter().find(|p| p["name"] == "Django").unwrap().clone();
    assert_eq!(django["purl"], "pkg:pypi/django@2.2");
    assert_eq!(django["location"]["layer"]["index"], 1);
    assert!(django["location"]["path"].as_str().unwrap().ends_with("Django-2.2.dist-info/METADATA"));
    let refs: Vec<(&str, &str)> = pkgs.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let expected = pypa_expected(&refs);
    assert!(expected.len() > 20, "{}", expected.len());
    assert_eq!(records_of(&v), expected);
}

/// Old releases of popular Python packages, as an SBOM (a CycloneDX document written here).
const OLD_PYTHON: &[(&str, &str)] = &[
    ("Django", "2.2.0"),
    ("requests", "2.19.0"),
    ("PyYAML", "5.3"),
    ("Jinja2", "2.10"),
    ("urllib3", "1.24.1"),
    ("Flask", "0.12.2"),
    ("pillow", "6.2.0"),
];

#[test]
fn python_packages_against_the_pypa_database_every_finding_cross_checked() {
    let dir = tempfile::tempdir().unwrap();
    let db = pypa_db(dir.path());
    let comps: Vec<Value> = OLD_PYTHON
        .iter()
        .map(|(n, v)| serde_json::json!({"type": "library", "name": n, "version": v, "purl": format!("pkg:pypi/{}@{v}", n.to_lowercase())}))
        .collect();
    let sbom = dir.path().join("python.cdx.json");
    std::fs::write(
        &sbom,
        serde_json::json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": comps}).to_string(),
    )
    .unwrap();
    let v = dredge_in(&dir.path().join("c"), &["sbom-scan", sbom.to_str().unwrap(), "--db", db.to_str().unwrap(), "--format", "json"])
        .ok()
        .json();
    let mut ours: BTreeSet<String> = BTreeSet::new();
    for f in v["vulnerabilities"].as_array().unwrap() {
        assert_eq!(f["why"]["ecosystem"], "PyPI");
        assert_eq!(f["why"]["scheme"], "pep440");
        for r in f["why"]["records"].as_array().unwrap() {
            ours.insert(format!("{} {}", f["package"].as_str().unwrap().to_lowercase(), r.as_str().unwrap()));
        }
    }
    assert!(ours.len() > 50, "old releases of these packages have many advisories: {}", ours.len());
    // The same question answered independently: PyYAML reads the records, Python's `packaging`
    // orders the versions, OSV's range rules are applied in Python.
    let theirs = pypa_expected(OLD_PYTHON);
    assert_eq!(ours, theirs);
}

/// Writes OSV records (JSON, one per file) into a directory source.
fn osv_dir(dir: &Path, records: &[Value]) -> PathBuf {
    let d = dir.join("osv");
    std::fs::create_dir_all(&d).unwrap();
    for r in records {
        std::fs::write(d.join(format!("{}.json", r["id"].as_str().unwrap())), r.to_string()).unwrap();
    }
    d
}

#[test]
fn debian_source_packages_severity_precedence_and_aliases() {
    // The debootstrap Debian 12 image: libc6 is built from glibc, libgcc-s1 and gcc-12-base from
    // gcc-12. Debian's advisories name source packages; these records are written here in the OSV
    // form Debian publishes, with fixed versions just above and below what the image has.
    let dir = tempfile::tempdir().unwrap();
    let aff = |eco: &str, pkg: &str, fixed: &str| serde_json::json!({"package": {"ecosystem": eco, "name": pkg}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}]});
    let src = osv_dir(
        dir.path(),
        &[
            // Fixed above the installed 2.36-9+deb12u14 (u15 > u14 in dpkg order): affects libc6.
            serde_json::json!({"id": "DSA-9001-1", "aliases": ["CVE-2099-1000"], "summary": "glibc problem",
                "affected": [aff("Debian:12", "glibc", "2.36-9+deb12u15")],
                "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]}),
            // The same problem under its CVE id, from another database: one finding, not two.
            serde_json::json!({"id": "CVE-2099-1000", "affected": [aff("Debian:12", "glibc", "2.36-9+deb12u15")]}),
            // A distro rating beats the CVSS vector.
            serde_json::json!({"id": "DSA-9002-1", "aliases": ["CVE-2099-2000"],
                "affected": [{"package": {"ecosystem": "Debian:12", "name": "gcc-12"}, "ecosystem_specific": {"severity": "low"},
                              "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "12.2.0-14+deb12u2"}]}]}],
                "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]}),
            // Fixed below what is installed (the ~ sorts before): not a finding.
            serde_json::json!({"id": "DSA-9003-1", "affected": [aff("Debian:12", "glibc", "2.36-9+deb12u14~1")]}),
            // A binary package name is not what Debian advisories use: never matches.
            serde_json::json!({"id": "DSA-9004-1", "affected": [aff("Debian:12", "libc6", "9.99")]}),
            // No fix yet: status affected.
            serde_json::json!({"id": "DSA-9005-1", "affected": [{"package": {"ecosystem": "Debian:12", "name": "gcc-12"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]}),
        ],
    );
    let db = dir.path().join("deb.db");
    dredge_in(&dir.path().join("c"), &["db", "build", "--source", src.to_str().unwrap(), "--output", db.to_str().unwrap()]).ok();
    let img = images().join("debian-12.docker.tar");
    let v = scan(&db, img.to_str().unwrap(), &[]).ok().json();
    let got: BTreeSet<String> = v["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {} {} {} {}",
                f["package"].as_str().unwrap(),
                f["id"].as_str().unwrap(),
                f["status"].as_str().unwrap(),
                f["severity"].as_str().unwrap(),
                f["severity_source"].as_str().unwrap()
            )
        })
        .collect();
    // Every binary package of those sources, as dpkg-query lists them (the oracle's source column).
    let mut expected = BTreeSet::new();
    for line in tsv(&images().join("expected/debian-12.tsv")) {
        let cols: Vec<&str> = line.split('\t').collect();
        match cols[3] {
            "glibc" => {
                expected.insert(format!("{} CVE-2099-1000 fixed CRITICAL CVSS_V3 9.8", cols[0]));
            }
            "gcc-12" => {
                expected.insert(format!("{} CVE-2099-2000 fixed LOW distro", cols[0]));
                expected.insert(format!("{} DSA-9005-1 affected UNKNOWN none", cols[0]));
            }
            _ => {}
        }
    }
    assert!(expected.len() >= 5, "{expected:?}");
    assert_eq!(got, expected);
    let libc = v["vulnerabilities"].as_array().unwrap().iter().find(|f| f["package"] == "libc6").unwrap().clone();
    assert_eq!(libc["aliases"], serde_json::json!(["DSA-9001-1"]));
    assert_eq!(libc["why"]["package"], "glibc", "looked up by source package");
    assert_eq!(libc["why"]["records"], serde_json::json!(["CVE-2099-1000", "DSA-9001-1"]));
    assert_eq!(libc["fixed_versions"], serde_json::json!(["2.36-9+deb12u15"]));
}

#[test]
fn secdb_in_json_form() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("v3.9-main.json");
    std::fs::write(
        &f,
        r#"{"distroversion":"v3.9","reponame":"main","urlprefix":"x","apkurl":"x","packages":[{"pkg":{"name":"musl","secfixes":{"1.1.20-r5":["CVE-2019-14697"],"0":["CVE-2000-0001"]}}}]}"#,
    )
    .unwrap();
    let db = dir.path().join("j.db");
    dredge_in(&dir.path().join("c"), &["db", "build", "--source", f.to_str().unwrap(), "--output", db.to_str().unwrap()]).ok();
    let st = dredge_in(&dir.path().join("c"), &["db", "status", "--db", db.to_str().unwrap(), "--format", "json"]).ok().json();
    assert_eq!(st["advisories"], 1);
    assert_eq!(st["ecosystems"][0][0], "Alpine:v3.9");
}

#[test]
fn python_lockfiles_in_an_image_dev_dependencies_only_on_request() {
    // The lockfiles that uv, Poetry, PDM, Pipenv and pip-compile wrote for one project (prod:
    // requests 2.19.0, PyYAML 5.3; dev: pytest 7.0.1), inside the lang-full image.
    let dir = tempfile::tempdir().unwrap();
    let db = pypa_db(dir.path());
    let img = format!("docker-archive:{}", images().join("lang-full.docker.tar").display());
    let lang = repo().join("crates/dredge-extract/testdata/lang");
    let mut prod: BTreeSet<(String, String)> = BTreeSet::new();
    let mut all: BTreeSet<(String, String)> = BTreeSet::new();
    for f in ["uv-lock", "poetry-lock", "pdm-lock", "pipfile-lock", "requirements"] {
        for l in tsv(&lang.join(f).join("expected.tsv")) {
            let c: Vec<&str> = l.split('\t').collect();
            let key = (c[0].to_lowercase(), c[1].to_string());
            if c[2] == "prod" {
                prod.insert(key.clone());
            }
            all.insert(key);
        }
    }
    let expected = |set: &BTreeSet<(String, String)>| {
        let refs: Vec<(&str, &str)> = set.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        pypa_expected(&refs)
    };
    let pypi_records = |v: &Value| -> BTreeSet<String> {
        let only: Value = serde_json::json!({"vulnerabilities": v["vulnerabilities"].as_array().unwrap().iter().filter(|f| f["ecosystem"] == "pypi").cloned().collect::<Vec<_>>()});
        records_of(&only)
    };

    let v = scan(&db, &img, &[]).ok().json();
    let want = expected(&prod);
    assert!(want.iter().any(|r| r.starts_with("requests ")) && want.iter().any(|r| r.starts_with("pyyaml ")), "{want:?}");
    assert_eq!(pypi_records(&v), want, "production dependencies of the lockfiles");
    for f in v["vulnerabilities"].as_array().unwrap().iter().filter(|f| f["ecosystem"] == "pypi") {
        assert_eq!(f["origin"], "lockfile", "{f}");
        assert!(f["found_at"].as_str().unwrap().starts_with("/srv/locks/"), "{f}");
        assert!(f.get("dev").is_none(), "no dev finding without --include-dev-deps: {f}");
    }
    let notes = v["notes"].as_array().unwrap();
    assert!(notes.iter().any(|n| n.as_str().unwrap().contains("development-only dependencies were not matched")), "{notes:?}");
    // The same request-level finding is reported once per lockfile that pins it.
    let requests_files: BTreeSet<&str> = v["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["package"] == "requests")
        .map(|f| f["found_at"].as_str().unwrap())
        .collect();
    assert_eq!(requests_files.len(), 5, "{requests_files:?}");

    let v = scan(&db, &img, &["--include-dev-deps"]).ok().json();
    let want_all = expected(&all);
    assert!(want_all.len() > want.len(), "the dev dependencies (py 1.11.0) have advisories too");
    assert_eq!(pypi_records(&v), want_all);
    assert!(v["vulnerabilities"].as_array().unwrap().iter().any(|f| f["dev"] == true));
}

/// `--format openvex`: what a team states with dredge, handed on as OpenVEX. Reported findings
/// are `affected` with their fix; what the ignore file takes out is `not_affected` with the
/// entry's justification or reason; what a VEX input takes out keeps its statement. The document
/// validates against the OpenVEX project's schema, and fed back with `--vex` (instead of the
/// ignore file) it takes out the same findings.
#[test]
fn openvex_out_carries_the_teams_statements() {
    let s = Suppressing::new(&[
        (
            "team.ignore",
            "ignore:\n  - purl: pkg:apk/alpine/busybox\n    reason: no shell in production\n  - id: CVE-2019-14697\n    justification: vulnerable_code_not_in_execute_path\n",
        ),
        (
            "in.vex.json",
            r#"{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://example.com/vex/1","author":"t","timestamp":"2026-11-01T00:00:00Z","version":1,
            "statements":[{"vulnerability":{"name":"CVE-2019-1543"},"products":[{"@id":"pkg:oci/app"}],"status":"fixed"}]}"#,
        ),
    ]);
    let run = |args: &[&str]| s.run(args);
    let work = &s.work;
    let ids = |json: &str| -> BTreeSet<String> {
        let v: Value = serde_json::from_str(json).unwrap();
        v["vulnerabilities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| format!("{} {}", f["purl"].as_str().unwrap(), f["id"].as_str().unwrap()))
            .collect()
    };
    let (_, all, _) = run(&["--format", "json"]);
    let all = ids(&all);
    let (_, kept, _) = run(&["--format", "json", "--ignorefile", "team.ignore", "--vex", "in.vex.json"]);
    let kept = ids(&kept);
    let (code, vex, err) =
        run(&["--format", "openvex", "--ignorefile", "team.ignore", "--vex", "in.vex.json", "-o", "out.vex.json", "--exit-code", "5"]);
    assert_eq!(code, Some(5), "the gate is the same whatever the format: {err}");
    assert!(vex.is_empty());
    let path = work.join("out.vex.json");
    let st = Command::new("python3").arg(repo().join("testdata/validate-sbom.py")).arg("openvex").arg(&path).output().unwrap();
    assert!(st.status.success(), "{}{}", String::from_utf8_lossy(&st.stdout), String::from_utf8_lossy(&st.stderr));
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    // Every finding once, with its status: (purl, id) → (status, justification, impact, action).
    let mut said: std::collections::BTreeMap<String, (String, Value, Value, Value)> = std::collections::BTreeMap::new();
    for s in doc["statements"].as_array().unwrap() {
        // The image is the product (a layout: its manifest is known), the packages its parts.
        let product = &s["products"][0];
        assert!(product["@id"].as_str().unwrap().starts_with("pkg:oci/"), "{s}");
        for sub in product["subcomponents"].as_array().unwrap() {
            let key = format!("{} {}", sub["@id"].as_str().unwrap(), s["vulnerability"]["name"].as_str().unwrap());
            let v = (
                s["status"].as_str().unwrap().to_string(),
                s["justification"].clone(),
                s["impact_statement"].clone(),
                s["action_statement"].clone(),
            );
            assert!(said.insert(key.clone(), v).is_none(), "{key} stated twice");
        }
    }
    assert_eq!(said.keys().cloned().collect::<BTreeSet<_>>(), all, "every finding of the scan is stated");
    for (k, (status, j, i, a)) in &said {
        match status.as_str() {
            "affected" => {
                assert!(kept.contains(k), "{k}");
                assert!(a.as_str().is_some_and(|a| a.starts_with("Upgrade ")), "{k}: {a}");
            }
            "not_affected" if k.starts_with("pkg:apk/alpine/busybox") => assert_eq!(i, "no shell in production", "{k}"),
            "not_affected" => {
                assert!(k.ends_with("CVE-2019-14697"), "{k}");
                assert_eq!(j, "vulnerable_code_not_in_execute_path");
                assert!(i.is_null(), "a justification or an impact statement, not both");
            }
            "fixed" => assert!(k.ends_with("CVE-2019-1543"), "{k}"),
            other => panic!("{k}: {other}"),
        }
    }
    assert!(said.values().any(|s| s.0 == "fixed") && said.values().filter(|s| s.0 == "not_affected").count() >= 2);
    // Handed back as the only statement of the team: the same findings go.
    let (_, again, _) = run(&["--format", "json", "--vex", "out.vex.json", "--ignorefile", "/dev/null"]);
    assert_eq!(ids(&again), kept);
    // Nothing to state: no document (OpenVEX needs a statement), a message, the gate's code.
    let (_, none, _) = run(&["--format", "json", "--severity", "CRITICAL", "--ignorefile", "/dev/null"]);
    assert!(ids(&none).is_empty(), "the image has no CRITICAL finding");
    let (code, out, err) = run(&["--format", "openvex", "--severity", "CRITICAL", "--ignorefile", "/dev/null", "--exit-code", "5"]);
    assert_eq!((code, out.as_str()), (Some(0), ""), "{err}");
    assert!(err.contains("no OpenVEX document written"), "{err}");
    // Without the vulnerability scanner there is nothing to state: an operational error.
    let (code, _, err) = run(&["--format", "openvex", "--scanners", "secret"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--format openvex"), "{err}");
}
