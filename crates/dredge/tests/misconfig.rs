//! Misconfigurations end to end (issue 13): an image built by the real Docker Engine with planted
//! misconfigurations (testdata/misconfig/planted/Dockerfile) and its clean twin, through the
//! binary in every output format and behind the gate.
#![allow(clippy::panic, clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::Value;
use std::collections::BTreeSet;

fn img(name: &str) -> String {
    format!("docker-archive:{}", images().join(format!("{name}.docker.tar")).display())
}

fn scan(name: &str, extra: &[&str]) -> Run {
    let cache = tempfile::tempdir().unwrap();
    let image = img(name);
    let mut args = vec!["image", image.as_str(), "--scanners", "misconfig"];
    args.extend_from_slice(extra);
    dredge_in(cache.path(), &args)
}

fn findings(v: &Value) -> &Vec<Value> {
    v["misconfigurations"].as_array().unwrap_or_else(|| panic!("no misconfigurations key: {v:#}"))
}

#[test]
fn every_planted_misconfiguration_is_found_where_it_was_made() {
    let v = scan("misconfig-planted", &["--format", "json"]).ok().json();
    let f = findings(&v);
    let ids: BTreeSet<&str> = f.iter().map(|x| x["rule"].as_str().unwrap()).collect();
    // Read off the Dockerfile: no USER, no HEALTHCHECK, EXPOSE 22, curl | sh, chmod -R 777,
    // apk add without --no-cache nor a pin, a build argument named like a token, a setuid copy of
    // busybox that no package installed.
    let want: BTreeSet<&str> = [
        "DRG-IMG-001",
        "DRG-IMG-002",
        "DRG-IMG-003",
        "DRG-IMG-005",
        "DRG-IMG-008",
        "DRG-IMG-009",
        "DRG-IMG-015",
        "DRG-IMG-016",
        "DRG-IMG-018",
    ]
    .into();
    assert_eq!(ids, want, "{f:#?}");
    assert_eq!(f.len(), want.len(), "one finding each: {f:#?}");
    let by = |id: &str| f.iter().find(|x| x["rule"] == id).unwrap();
    // The port comes from the EXPOSE step (history[5], no layer of its own); the chmod from the
    // RUN that made the image's second layer.
    assert_eq!(by("DRG-IMG-003")["field"], "history[5]");
    assert!(by("DRG-IMG-003").get("layer").is_none());
    assert_eq!(by("DRG-IMG-003")["evidence"], "EXPOSE 22/tcp (SSH)");
    assert_eq!(by("DRG-IMG-015")["field"], "history[3]");
    assert_eq!(by("DRG-IMG-015")["layer"]["index"], 1);
    assert_eq!(by("DRG-IMG-001")["field"], "config.User");
    // The setuid file: its path and the layer that added it, from the tar header.
    let suid = by("DRG-IMG-018");
    assert_eq!(
        (suid["path"].as_str(), suid["layer"]["index"].as_u64(), suid["evidence"].as_str()),
        (Some("/app/helper"), Some(1), Some("mode 4755 (setuid)"))
    );
    // Every finding explains itself.
    for x in f {
        for k in ["title", "severity", "description", "remediation"] {
            assert!(x[k].as_str().is_some_and(|s| !s.is_empty()), "{k} missing in {x:#}");
        }
        assert!(x["references"][0].as_str().unwrap().starts_with("https://"), "{x:#}");
    }
    // The build argument is named, its value is not printed.
    assert!(by("DRG-IMG-016")["evidence"].as_str().unwrap().contains("NPM_TOKEN"));
    for format in ["json", "table", "sarif", "cyclonedx"] {
        let out = scan("misconfig-planted", &["--format", format]).ok().stdout;
        assert!(!out.contains("planted-build-arg-value"), "{format} prints the build argument's value");
    }
}

#[test]
fn the_clean_twin_has_none() {
    let r = scan("misconfig-clean", &["--format", "json", "--exit-code", "1"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(findings(&r.json()), &Vec::<Value>::new());
}

#[test]
fn the_gate_and_every_format() {
    // HIGH and above: the root user, curl | sh and chmod 777.
    let r = scan("misconfig-planted", &["--severity", "HIGH,CRITICAL", "--exit-code", "4", "--format", "json"]);
    assert_eq!(r.code, 4, "{}", r.stderr);
    let ids: BTreeSet<String> = findings(&r.json()).iter().map(|x| x["rule"].as_str().unwrap().to_string()).collect();
    assert_eq!(ids, ["DRG-IMG-001", "DRG-IMG-005", "DRG-IMG-015"].map(String::from).into());
    // The table has a section with every rule.
    let t = scan("misconfig-planted", &[]).ok().stdout;
    assert!(t.contains("Misconfigurations"), "{t}");
    for id in ["DRG-IMG-001", "DRG-IMG-003", "DRG-IMG-016"] {
        assert!(t.contains(id), "{id} not in the table:\n{t}");
    }
    // SARIF: one rule per check, with its help text and link; one result per finding. The
    // Microsoft SARIF toolkit reads it.
    let cache = tempfile::tempdir().unwrap();
    let s = scan("misconfig-planted", &["--format", "sarif"]).ok().stdout;
    let v: Value = serde_json::from_str(&s).unwrap();
    let rules = v["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    let root = rules.iter().find(|r| r["id"] == "DRG-IMG-001").unwrap();
    assert!(root["help"]["text"].as_str().unwrap().contains("root on the host"), "{root:#}");
    assert!(root["helpUri"].as_str().unwrap().starts_with("https://docs.docker.com/"));
    assert_eq!(v["runs"][0]["results"].as_array().unwrap().len(), 9);
    let path = cache.path().join("m.sarif");
    std::fs::write(&path, &s).unwrap();
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg("import sys\nfrom sarif import loader\nprint(loader.load_sarif_file(sys.argv[1]).get_result_count())")
        .arg(&path)
        .output()
        .expect("python3 with sarif-tools (.ci/setup installs it)");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "9", "{}", String::from_utf8_lossy(&out.stderr));
    // CycloneDX: each check is a vulnerability of the image (the BOM's subject), and the document
    // is valid against the 1.6 schema.
    let c = scan("misconfig-planted", &["--format", "cyclonedx"]).ok().stdout;
    let v: Value = serde_json::from_str(&c).unwrap();
    let subject = v["metadata"]["component"]["bom-ref"].as_str().unwrap();
    let vulns = v["vulnerabilities"].as_array().unwrap();
    let checks: Vec<&Value> = vulns.iter().filter(|x| x["id"].as_str().unwrap().starts_with("DRG-IMG-")).collect();
    assert_eq!(checks.len(), 9);
    assert!(checks.iter().all(|x| x["affects"][0]["ref"] == subject));
    let path = cache.path().join("m.cdx.json");
    std::fs::write(&path, &c).unwrap();
    let out =
        std::process::Command::new("python3").arg(repo().join("testdata/validate-sbom.py")).arg("cyclonedx").arg(&path).output().unwrap();
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

#[test]
fn off_unless_asked_for() {
    // The default scanners stay vuln and secret: no misconfigurations key, no findings.
    let cache = tempfile::tempdir().unwrap();
    let v = dredge_in(cache.path(), &["image", &img("misconfig-planted"), "--format", "json"]).ok().json();
    assert!(v.get("misconfigurations").is_none(), "{v:#}");
}

#[test]
fn a_config_file_disables_checks_and_overrides_severities() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("m.yaml");
    std::fs::write(&cfg, "disable: [DRG-IMG-002, DRG-IMG-009]\nseverity:\n  DRG-IMG-003: CRITICAL\n").unwrap();
    let c = cfg.to_str().unwrap();
    let v = scan("misconfig-planted", &["--misconfig-config", c, "--format", "json"]).ok().json();
    let f = findings(&v);
    let ids: BTreeSet<&str> = f.iter().map(|x| x["rule"].as_str().unwrap()).collect();
    assert!(!ids.contains("DRG-IMG-002") && !ids.contains("DRG-IMG-009"), "{ids:?}");
    assert_eq!(ids.len(), 7);
    assert_eq!(f.iter().find(|x| x["rule"] == "DRG-IMG-003").unwrap()["severity"], "CRITICAL");
    // The gate sees the overridden severity.
    let r = scan("misconfig-planted", &["--misconfig-config", c, "--severity", "CRITICAL", "--exit-code", "7"]);
    assert_eq!(r.code, 7, "{}", r.stderr);
    // A typo in a check id is an error naming the file, exit code 2.
    std::fs::write(&cfg, "disable: [DRG-IMG-02]\n").unwrap();
    let r = scan("misconfig-planted", &["--misconfig-config", c]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("m.yaml") && r.stderr.contains("no check \"DRG-IMG-02\""), "{}", r.stderr);
}

#[test]
fn setuid_files_of_os_packages_are_not_findings() {
    // The Debian test image ships su, mount, passwd … setuid (the oracle: the layer's tar headers,
    // read by Python's tarfile), all installed by dpkg: none is a finding.
    let image = images().join("debian-12.docker.tar");
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg("import json,sys,tarfile\nt=tarfile.open(sys.argv[1])\nm=json.load(t.extractfile('manifest.json'))[0]\nn=0\nfor l in m['Layers']:\n  for e in tarfile.open(fileobj=t.extractfile(l)):\n    n+=e.isfile() and bool(e.mode & 0o4000)\nprint(n)")
        .arg(&image)
        .output()
        .unwrap();
    let n: usize =
        String::from_utf8_lossy(&out.stdout).trim().parse().unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    assert!(n >= 3, "the Debian image has setuid files ({n})");
    let v = scan("debian-12", &["--format", "json"]).ok().json();
    assert!(findings(&v).iter().all(|f| f["rule"] != "DRG-IMG-018"), "{:#?}", findings(&v));
}
