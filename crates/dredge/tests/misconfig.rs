//! Misconfigurations end to end (issue 13): an image built by the real Docker Engine with planted
//! misconfigurations (testdata/misconfig/planted/Dockerfile) and its clean twin, through the
//! binary in every output format and behind the gate.
#![allow(clippy::panic, clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

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

/// What Microsoft's SARIF toolkit (sarif-tools, from .ci/setup) counts in a SARIF file: it must
/// read what dredge writes.
fn sarif_result_count(path: &std::path::Path) -> String {
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg("import sys\nfrom sarif import loader\nprint(loader.load_sarif_file(sys.argv[1]).get_result_count())")
        .arg(path)
        .output()
        .expect("python3 with sarif-tools (.ci/setup installs it)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// `trivy config` (its built-in checks, offline) on `dir`: `(file, rule, line)` of each finding.
fn trivy_config(dir: &std::path::Path) -> Vec<(String, String, Option<u64>)> {
    let tcache = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(peer("trivy"))
        .args(["config", "--skip-check-update", "--quiet", "--format", "json", "--cache-dir"])
        .arg(tcache.path())
        .arg(dir)
        .env("TRIVY_NO_PROGRESS", "true")
        .output()
        .unwrap();
    let tv: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("trivy config: {e}: {}", String::from_utf8_lossy(&out.stderr)));
    let mut found = Vec::new();
    for r in tv["Results"].as_array().unwrap() {
        for m in r["Misconfigurations"].as_array().into_iter().flatten() {
            found.push((
                r["Target"].as_str().unwrap().to_string(),
                m["ID"].as_str().unwrap().to_string(),
                m["CauseMetadata"]["StartLine"].as_u64(),
            ));
        }
    }
    found
}

/// Whether dredge's check `rule` names the peer's rule `peer_id` among its peers.
fn covers(rule: &str, peer_id: &str) -> bool {
    dredge_misconfig::checks::check(rule).is_some_and(|c| c.peers.split(|ch: char| !ch.is_ascii_alphanumeric()).any(|w| w == peer_id))
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
    assert_eq!(sarif_result_count(&path), "9");
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

/// `(rule, path, line, layer, removed in)` of each finding, sorted.
fn places(f: &[Value]) -> Vec<(String, String, u64, u64, Option<u64>)> {
    let mut v: Vec<_> = f
        .iter()
        .map(|x| {
            (
                x["rule"].as_str().unwrap().to_string(),
                x["path"].as_str().unwrap_or("").to_string(),
                x["line"].as_u64().unwrap_or(0),
                x["layer"]["index"].as_u64().unwrap_or(99),
                x["removed_in"]["index"].as_u64(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn dockerfiles_inside_an_image_are_checked_deleted_ones_too() {
    // testdata/misconfig/dockerfiles: /src/Dockerfile (kept), /tmp/build.Dockerfile (deleted by
    // the next layer: it still ships), node_modules/pkg/Dockerfile (a dependency's: not checked).
    // Read off the files: src/Dockerfile has no USER and no HEALTHCHECK (line 1), pip install
    // without --no-cache-dir nor a pin (line 2), EXPOSE 22 (line 3); old.Dockerfile sets
    // AWS_SECRET_ACCESS_KEY (line 2). The image's own history is clean.
    let v = scan("misconfig-dockerfiles", &["--format", "json"]).ok().json();
    let s = |x: &str| x.to_string();
    assert_eq!(
        places(findings(&v)),
        vec![
            (s("DRG-IMG-001"), s("/src/Dockerfile"), 1, 1, None),
            (s("DRG-IMG-002"), s("/src/Dockerfile"), 1, 1, None),
            (s("DRG-IMG-003"), s("/src/Dockerfile"), 3, 1, None),
            (s("DRG-IMG-011"), s("/src/Dockerfile"), 2, 1, None),
            (s("DRG-IMG-012"), s("/src/Dockerfile"), 2, 1, None),
            (s("DRG-IMG-016"), s("/tmp/build.Dockerfile"), 2, 2, Some(3)),
            // src/k8s/pod.yaml: the token (the kind's line 2), hostPID (6), privileged (11), and
            // the restricted profile's and dredge's own checks at the container (8).
            (s("DRG-K8S-001"), s("/src/k8s/pod.yaml"), 11, 1, None),
            (s("DRG-K8S-002"), s("/src/k8s/pod.yaml"), 6, 1, None),
            (s("DRG-K8S-013"), s("/src/k8s/pod.yaml"), 8, 1, None),
            (s("DRG-K8S-014"), s("/src/k8s/pod.yaml"), 8, 1, None),
            (s("DRG-K8S-016"), s("/src/k8s/pod.yaml"), 8, 1, None),
            (s("DRG-K8S-017"), s("/src/k8s/pod.yaml"), 8, 1, None),
            (s("DRG-K8S-019"), s("/src/k8s/pod.yaml"), 8, 1, None),
            (s("DRG-K8S-020"), s("/src/k8s/pod.yaml"), 8, 1, None),
            (s("DRG-K8S-021"), s("/src/k8s/pod.yaml"), 2, 1, None),
        ],
        "{v:#}"
    );
    // The secret's value is not in the report (the evidence names the variable only).
    let text = serde_json::to_string(&v).unwrap();
    assert!(!text.contains("planted-secret-value"));
}

#[test]
fn dredge_config_checks_files_and_directories() {
    let dir = tempfile::tempdir().unwrap();
    let src = repo().join("testdata/misconfig/dockerfiles");
    let cache = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| dredge_in(cache.path(), args);
    // One file, named as the user likes: every check at its line.
    let one = src.join("src/Dockerfile");
    let v = run(&["config", one.to_str().unwrap(), "--format", "json"]).ok().json();
    let got: Vec<(String, u64)> = places(findings(&v)).into_iter().map(|p| (p.0, p.2)).collect();
    let want: Vec<(String, u64)> = [("DRG-IMG-001", 1), ("DRG-IMG-002", 1), ("DRG-IMG-003", 3), ("DRG-IMG-011", 2), ("DRG-IMG-012", 2)]
        .map(|(a, b)| (a.to_string(), b))
        .into();
    assert_eq!(got, want);
    assert_eq!(v["target"]["kind"], "config");
    assert!(v.get("packages").is_none_or(|p| p.as_array().is_some_and(|a| a.is_empty())), "{v:#}");
    // A file named on the command line is checked whatever its name: a Kubernetes manifest by its
    // content, else as a Dockerfile; one that is neither is a warning naming it (both passed
    // silently with 0 findings before).
    let manifest = dir.path().join("deploy-prod");
    std::fs::copy(src.join("src/k8s/pod.yaml"), &manifest).unwrap();
    let rules = |f: &Path| -> BTreeSet<(String, u64)> {
        let v = run(&["config", f.to_str().unwrap(), "--format", "json"]).ok().json();
        findings(&v).iter().map(|f| (f["rule"].as_str().unwrap().to_string(), f["line"].as_u64().unwrap())).collect()
    };
    let as_yaml = rules(&src.join("src/k8s/pod.yaml"));
    assert!(as_yaml.iter().any(|(r, _)| r == "DRG-K8S-001"), "{as_yaml:?}");
    assert_eq!(rules(&manifest), as_yaml);
    // The content wins over the name: a Pod saved as `Dockerfile` is a manifest; a Dockerfile
    // whose heredoc writes a manifest is a Dockerfile.
    let pod_as_dockerfile = dir.path().join("named/Dockerfile");
    std::fs::create_dir_all(pod_as_dockerfile.parent().unwrap()).unwrap();
    std::fs::copy(src.join("src/k8s/pod.yaml"), &pod_as_dockerfile).unwrap();
    assert_eq!(rules(&pod_as_dockerfile), as_yaml);
    let writes_yaml = dir.path().join("kube.df");
    std::fs::write(&writes_yaml, "FROM debian:12.6\nRUN <<EOF\ncat > /k.yaml <<K\napiVersion: v1\nkind: Config\nK\nchmod 777 /app\nEOF\n")
        .unwrap();
    let got: BTreeSet<String> = rules(&writes_yaml).into_iter().map(|r| r.0).collect();
    assert!(got.contains("DRG-IMG-015"), "{got:?}");
    let build = dir.path().join("build.txt");
    std::fs::copy(&one, &build).unwrap();
    let v = run(&["config", build.to_str().unwrap(), "--format", "json"]).ok().json();
    assert_eq!(findings(&v).len(), 5, "{v:#}");
    for (name, text) in [
        ("notes.txt", "remember to rotate the keys\n"),
        ("empty", ""),
        ("comments", "# only a comment\n"),
        ("deploy.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Values.name }}\n"),
    ] {
        let f = dir.path().join(name);
        std::fs::write(&f, text).unwrap();
        let v = run(&["config", f.to_str().unwrap(), "--format", "json"]).ok().json();
        assert_eq!(findings(&v).len(), 0);
        let w = v["warnings"].to_string();
        assert!(w.contains(name) && w.contains("not checked"), "{name}: {v:#}");
    }
    // A directory: every Dockerfile by name, none under node_modules; the gate.
    let r = run(&["config", src.to_str().unwrap(), "--format", "json", "--severity", "MEDIUM", "--exit-code", "5"]);
    assert_eq!(r.code, 5, "{}", r.stderr);
    let got: BTreeSet<(String, String)> =
        findings(&r.json()).iter().map(|x| (x["rule"].as_str().unwrap().into(), x["path"].as_str().unwrap().into())).collect();
    let want: BTreeSet<(String, String)> = [
        ("DRG-IMG-003", "/src/Dockerfile"),
        ("DRG-IMG-016", "/old.Dockerfile"),
        ("DRG-K8S-013", "/src/k8s/pod.yaml"),
        ("DRG-K8S-014", "/src/k8s/pod.yaml"),
    ]
    .map(|(a, b)| (a.into(), b.into()))
    .into();
    assert_eq!(got, want);
    // --skip-dirs leaves src out; the build Dockerfile of the image is clean.
    let r = run(&["config", src.to_str().unwrap(), "--skip-dirs", "src", "--format", "json", "--exit-code", "5"]);
    assert_eq!(places(findings(&r.json())).iter().map(|p| p.1.as_str()).collect::<Vec<_>>(), vec!["/old.Dockerfile"]);
    // SARIF: a result per finding with the file and line, read by the Microsoft SARIF toolkit.
    let sarif = run(&["config", one.to_str().unwrap(), "--format", "sarif"]).ok().stdout;
    let s: Value = serde_json::from_str(&sarif).unwrap();
    let results = s["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 5);
    let lines: BTreeSet<u64> =
        results.iter().map(|r| r["locations"][0]["physicalLocation"]["region"]["startLine"].as_u64().unwrap()).collect();
    assert_eq!(lines, [1, 2, 3].into());
    let p = dir.path().join("c.sarif");
    std::fs::write(&p, &sarif).unwrap();
    assert_eq!(sarif_result_count(&p), "5");
    // The table: findings only, with the evidence.
    let t = run(&["config", one.to_str().unwrap()]).ok().stdout;
    assert!(!t.contains("packages") && t.contains("pip install flask") && t.contains("Dockerfile:3"), "{t}");
}

#[test]
fn bad_dockerfiles_are_warnings_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("svc")).unwrap();
    std::fs::write(dir.path().join("Dockerfile"), "FROM debian:12.6\nFROBNICATE now\n").unwrap();
    std::fs::write(dir.path().join("svc/Containerfile"), b"FROM debian\x00\xff\xfe\n").unwrap();
    // Not a Dockerfile, named like one: no warning.
    std::fs::write(dir.path().join("dockerfile.go"), "package dockerfile\n").unwrap();
    // A manifest that does not parse, and a Helm template (YAML only once rendered: skipped).
    std::fs::write(dir.path().join("svc/deploy.yaml"), "apiVersion: v1\nkind: Pod\nspec:\n  hostPID: \"very\"\n").unwrap();
    std::fs::write(dir.path().join("svc/chart.yaml"), "apiVersion: v1\nkind: Pod\nspec:\n  hostPID: {{ .Values.host }}\n").unwrap();
    // 10 MB on one line.
    std::fs::write(dir.path().join("big.Dockerfile"), format!("FROM debian\nRUN echo {}\n", "x".repeat(10 << 20))).unwrap();
    let r = dredge_in(cache.path(), &["config", dir.path().to_str().unwrap(), "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = r.json();
    let w: Vec<String> = v["warnings"].as_array().unwrap().iter().map(|w| w.to_string()).collect();
    assert_eq!(w.len(), 4, "{w:#?}");
    assert!(w.iter().any(|w| w.contains("/svc/deploy.yaml") && w.contains("line 4")), "{w:#?}");
    assert!(w.iter().any(|w| w.contains("/Dockerfile") && w.contains("line 2") && w.contains("FROBNICATE")), "{w:#?}");
    assert!(w.iter().any(|w| w.contains("/svc/Containerfile") && w.contains("UTF-8")), "{w:#?}");
    assert!(w.iter().any(|w| w.contains("/big.Dockerfile") && w.contains("limit")), "{w:#?}");
    // The warnings go to stderr too, naming the file.
    assert!(r.stderr.contains("FROBNICATE"), "{}", r.stderr);
    // A path that does not exist: exit 2, named.
    let r = dredge_in(cache.path(), &["config", "/nonexistent/Dockerfile"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("/nonexistent/Dockerfile"), "{}", r.stderr);
}

#[test]
fn dredge_fs_checks_the_dockerfiles_of_a_tree() {
    let cache = tempfile::tempdir().unwrap();
    let src = repo().join("testdata/misconfig/dockerfiles/src");
    let v = dredge_in(cache.path(), &["fs", src.to_str().unwrap(), "--scanners", "misconfig", "--format", "json"]).ok().json();
    let paths: BTreeSet<&str> = findings(&v).iter().map(|x| x["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["/Dockerfile", "/k8s/pod.yaml"].into());
}

/// Where a peer and dredge differ on crates/dredge-misconfig/testdata/dockerfiles, and why
/// (docs/misconfig.md has the same table): `(tool, rule, file, line, why)`.
const PEER_ONLY: &[(&str, &str, &str, u64, &str)] = &[
    ("hadolint", "DL1000", "heredoc.Dockerfile", 9, "hadolint 2.15 cannot parse `COPY <<-EOF` heredocs; dredge parses and checks the file"),
    (
        "hadolint",
        "DL3009",
        "legacy.Dockerfile",
        5,
        "dredge reports the kept apt lists (DRG-IMG-006) on the install at line 6, not on the update",
    ),
    (
        "hadolint",
        "DL3025",
        "legacy.Dockerfile",
        20,
        "a shell-form HEALTHCHECK is not PID 1 and needs no signals; dredge asks JSON form of CMD and ENTRYPOINT only",
    ),
    ("hadolint", "DL3025", "legacy.Dockerfile", 21, "the same"),
    ("hadolint", "DL3025", "windows.Dockerfile", 10, "the same"),
    ("hadolint", "DL3059", "legacy.Dockerfile", 6, "consecutive RUNs: layer style, not a risk"),
    ("hadolint", "DL3059", "legacy.Dockerfile", 9, "the same"),
    ("hadolint", "DL3059", "legacy.Dockerfile", 10, "the same"),
    ("hadolint", "DL3066", "onbuild.Dockerfile", 6, "a user name rather than a uid: informational"),
    ("hadolint", "DL3066", "windows.Dockerfile", 9, "the same"),
    ("hadolint", "DL3029", "rpm-go.Dockerfile", 1, "FROM --platform pins a platform: a portability choice, not a risk"),
    ("hadolint", "DL3059", "rpm-go.Dockerfile", 8, "the same as legacy.Dockerfile's"),
    ("hadolint", "DL3059", "rpm-go.Dockerfile", 9, "the same"),
    ("hadolint", "DL3059", "rpm-go.Dockerfile", 10, "the same"),
    ("hadolint", "DL3046", "rpm-go.Dockerfile", 9, "useradd of a high uid without -l makes a large sparse lastlog: image size, not a risk"),
    ("hadolint", "DL3001", "rpm-go.Dockerfile", 10, "service, ps, top … in a build step: style, not a risk"),
    ("hadolint", "DL3044", "rpm-go.Dockerfile", 11, "ENV B=$A in the ENV that sets A: a build mistake, not a risk"),
    ("hadolint", "DL3045", "rpm-go.Dockerfile", 12, "COPY to a relative path with no WORKDIR: where files land, not a risk"),
    ("hadolint", "DL3059", "mistakes.Dockerfile", 7, "the same as legacy.Dockerfile's"),
    ("hadolint", "DL3059", "mistakes.Dockerfile", 8, "the same"),
    ("hadolint", "DL3059", "mistakes.Dockerfile", 9, "the same"),
    (
        "trivy",
        "DS012",
        "mistakes.Dockerfile",
        1,
        "Trivy points at the first stage of the name; dredge at the second (line 5), the one to rename",
    ),
    (
        "trivy",
        "DS017",
        "heredoc.Dockerfile",
        3,
        "Trivy reads the heredoc script as one command; its apt-get update is followed by an install in the same RUN",
    ),
];

#[test]
fn the_peers_findings_on_the_same_dockerfiles() {
    let dir = repo().join("crates/dredge-misconfig/testdata/dockerfiles");
    let cache = tempfile::tempdir().unwrap();
    let v = dredge_in(cache.path(), &["config", dir.to_str().unwrap(), "--format", "json"]).ok().json();
    // dredge: (file, line, check) and the peers' ids each check covers.
    let ours: Vec<(String, u64, String)> = findings(&v)
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().trim_start_matches('/').to_string(),
                f["line"].as_u64().unwrap(),
                f["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // The peers' findings: (tool, rule, file, line; None when the peer gives no line).
    let mut theirs: Vec<(&str, String, String, Option<u64>)> = Vec::new();
    let mut files: Vec<String> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    files.sort();
    for f in &files {
        let out = std::process::Command::new(peer("hadolint")).args(["-f", "json", "--no-fail", f]).current_dir(&dir).output().unwrap();
        let v: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("hadolint on {f}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
        for h in v.as_array().unwrap() {
            theirs.push(("hadolint", h["code"].as_str().unwrap().into(), f.clone(), h["line"].as_u64()));
        }
    }
    for (file, id, line) in trivy_config(&dir) {
        theirs.push(("trivy", id, file, line));
    }
    assert!(theirs.iter().filter(|t| t.0 == "trivy").count() >= 15, "trivy config found too little: {theirs:?}");
    // The files trip every Dockerfile check Trivy 0.59 has (DS001–DS031; there is no DS003,
    // DS018 or DS028), so each is compared with dredge's below.
    let trivy_ids: BTreeSet<&str> = theirs.iter().filter(|t| t.0 == "trivy").map(|t| t.1.as_str()).collect();
    let all: Vec<String> = (1..=31).filter(|n| ![3, 18, 28].contains(n)).map(|n| format!("DS{n:03}")).collect();
    let untested: Vec<&String> = all.iter().filter(|id| !trivy_ids.contains(id.as_str())).collect();
    assert!(untested.is_empty(), "no test Dockerfile trips {untested:?}");
    // Every peer finding is one of dredge's (same file, same line when the peer gives one, a
    // check that names the peer's rule), or explained in PEER_ONLY.
    let mut unexplained = Vec::new();
    let mut explained = Vec::new();
    for (tool, id, file, line) in &theirs {
        let matched = ours.iter().any(|(f, l, rule)| f == file && line.is_none_or(|n| n == *l) && covers(rule, id));
        if matched {
            continue;
        }
        match PEER_ONLY.iter().find(|p| p.0 == *tool && p.1 == id && p.2 == file && Some(p.3) == *line) {
            Some(p) => explained.push(p),
            None => unexplained.push((tool, id, file, line)),
        }
    }
    assert!(unexplained.is_empty(), "peer findings dredge does not report and PEER_ONLY does not explain: {unexplained:#?}");
    assert_eq!(explained.len(), PEER_ONLY.len(), "PEER_ONLY lists differences that no longer occur: {explained:#?}");
}

/// Where `trivy config` and dredge differ on crates/dredge-misconfig/testdata/k8s, and why
/// (docs/misconfig.md has the same table): `(file, Trivy rule, why)`. Trivy gives a container's
/// or the spec's first line, not the field's: manifests are compared per file.
const TRIVY_K8S_ONLY: &[(&str, &str, &str)] = &[
    ("cronjob.json", "KSV015", "CPU and memory requests are for scheduling, not a risk"),
    ("cronjob.json", "KSV016", "the same"),
    ("example-baseline-pod.yaml", "KSV015", "the same"),
    ("example-baseline-pod.yaml", "KSV016", "the same"),
    ("privileged.yaml", "KSV015", "the same"),
    ("privileged.yaml", "KSV016", "the same"),
    ("restricted.yaml", "KSV015", "the same"),
    ("restricted.yaml", "KSV016", "the same"),
    ("cronjob.json", "KSV020", "a uid or gid under 10000 is not a risk the Pod Security Standards name"),
    ("cronjob.json", "KSV021", "the same"),
    ("example-baseline-pod.yaml", "KSV020", "the same"),
    ("example-baseline-pod.yaml", "KSV021", "the same"),
    ("privileged.yaml", "KSV020", "the same"),
    ("privileged.yaml", "KSV021", "the same"),
    ("restricted.yaml", "KSV021", "the same"),
    ("cronjob.json", "KSV118", "a summary of the security-context findings reported one by one"),
    ("example-baseline-pod.yaml", "KSV118", "the same"),
    ("example-baseline-pod.yaml", "KSV117", "port 80 without NET_BIND_SERVICE fails to bind; both Pod Security Standards allow it"),
    ("restricted.yaml", "KSV022", "NET_BIND_SERVICE is the one capability the restricted profile allows to add"),
    ("restricted.yaml", "KSV026", "net.ipv4.ip_unprivileged_port_start is in the standards' safe set (Kubernetes 1.22 and later)"),
    ("privileged.yaml", "KSV030", "a container's seccomp Unconfined is reported once, as DRG-K8S-010"),
    ("privileged.yaml", "KSV106", "SYS_ADMIN is reported once, as DRG-K8S-005 (beyond the baseline set)"),
];

#[test]
fn trivy_on_the_same_kubernetes_manifests() {
    let dir = repo().join("crates/dredge-misconfig/testdata/k8s");
    let cache = tempfile::tempdir().unwrap();
    let v = dredge_in(cache.path(), &["config", dir.to_str().unwrap(), "--format", "json"]).ok().json();
    let ours: Vec<(String, String)> = findings(&v)
        .iter()
        .map(|f| (f["path"].as_str().unwrap().trim_start_matches('/').to_string(), f["rule"].as_str().unwrap().to_string()))
        .collect();
    let theirs: BTreeSet<(String, String)> = trivy_config(&dir).into_iter().map(|(file, id, _)| (file, id)).collect();
    assert!(theirs.len() >= 40, "trivy config found too little: {theirs:?}");
    let mut unexplained = Vec::new();
    let mut explained = 0;
    for (file, id) in &theirs {
        if ours.iter().any(|(f, rule)| f == file && covers(rule, id)) {
            continue;
        }
        if TRIVY_K8S_ONLY.iter().any(|t| t.0 == file && t.1 == id) {
            explained += 1;
        } else {
            unexplained.push((file, id));
        }
    }
    assert!(unexplained.is_empty(), "Trivy findings dredge does not report and TRIVY_K8S_ONLY does not explain: {unexplained:#?}");
    assert_eq!(explained, TRIVY_K8S_ONLY.len(), "TRIVY_K8S_ONLY lists differences that no longer occur");
}

#[test]
fn custom_rego_policies_through_the_binary() {
    let cache = tempfile::tempdir().unwrap();
    let policies = repo().join("testdata/policies");
    let pol = policies.to_str().unwrap();
    let k8s = repo().join("crates/dredge-misconfig/testdata/k8s");
    // Kubernetes input: testdata/policies/registry.rego (with a library module it imports) flags
    // every container image outside registry.acme.example: all four test manifests.
    let r = dredge_in(
        cache.path(),
        &["config", k8s.to_str().unwrap(), "--policy", pol, "--format", "json", "--severity", "HIGH", "--exit-code", "3"],
    );
    assert_eq!(r.code, 3, "{}", r.stderr);
    let v = r.json();
    let acme: Vec<(String, u64, String)> = findings(&v)
        .iter()
        .filter(|f| f["rule"] == "ACME-001")
        .map(|f| (f["path"].as_str().unwrap().to_string(), f["line"].as_u64().unwrap(), f["evidence"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(
        acme,
        vec![
            ("/cronjob.json".to_string(), 1, "CronJob report: container report uses python:latest".to_string()),
            ("/example-baseline-pod.yaml".into(), 1, "Pod nginx: container nginx uses nginx".into()),
            ("/privileged.yaml".into(), 2, "DaemonSet agent: container agent uses registry.example.com/agent:2.0.1".into()),
            (
                "/restricted.yaml".into(),
                10,
                "Deployment web: container web uses registry.example.com/web:1.4.2@sha256:0000000000000000000000000000000000000000000000000000000000000000".into()
            ),
        ]
    );
    let f = findings(&v).iter().find(|f| f["rule"] == "ACME-001").unwrap();
    assert_eq!((f["title"].as_str(), f["severity"].as_str()), (Some("Image not from the company registry"), Some("HIGH")));
    assert!(f["remediation"].as_str().unwrap().contains("registry.acme.example"));
    // Image input: the clean twin trips only the policy on its config.
    let v = scan("misconfig-clean", &["--policy", pol, "--format", "json"]).ok().json();
    let got: Vec<(&str, &str)> = findings(&v).iter().map(|f| (f["rule"].as_str().unwrap(), f["field"].as_str().unwrap_or(""))).collect();
    assert_eq!(got, vec![("ACME-003", "config")]);
    // Dockerfile input, with the line the policy returns; SARIF carries the policy as a rule.
    let df = repo().join("crates/dredge-misconfig/testdata/dockerfiles/multistage.Dockerfile");
    let s: Value =
        serde_json::from_str(&dredge_in(cache.path(), &["config", df.to_str().unwrap(), "--policy", pol, "--format", "sarif"]).ok().stdout)
            .unwrap();
    let lines: Vec<u64> = s["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["ruleId"] == "ACME-002")
        .map(|r| r["locations"][0]["physicalLocation"]["region"]["startLine"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![5, 16]);
    assert!(s["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap().iter().any(|r| r["id"] == "ACME-002"));
    // The config file turns a policy off or changes its severity like a built-in check.
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("m.yaml");
    std::fs::write(&cfg, "disable: [ACME-003]\nseverity:\n  ACME-002: CRITICAL\n").unwrap();
    let v = dredge_in(
        cache.path(),
        &["config", df.to_str().unwrap(), "--policy", pol, "--misconfig-config", cfg.to_str().unwrap(), "--format", "json"],
    )
    .ok()
    .json();
    assert!(findings(&v).iter().filter(|f| f["rule"] == "ACME-002").all(|f| f["severity"] == "CRITICAL"));
    let v = scan("misconfig-clean", &["--policy", pol, "--misconfig-config", cfg.to_str().unwrap(), "--format", "json"]).ok().json();
    assert_eq!(findings(&v), &Vec::<Value>::new());
}

#[test]
fn bad_policies_are_errors_or_warnings_naming_the_file() {
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let df = repo().join("crates/dredge-misconfig/testdata/dockerfiles/legacy.Dockerfile");
    let df = df.to_str().unwrap();
    let write = |name: &str, text: &str| {
        let d = dir.path().join(name.split('/').next().unwrap());
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(dir.path().join(name), text).unwrap();
        d.to_str().unwrap().to_string()
    };
    // Does not compile: exit 2, the file and line.
    let d = write(
        "broken/broken.rego",
        "package dredge.acme.broken\n\nimport rego.v1\n\nmetadata := {\"id\": \"ACME-010\"\n\ndeny contains \"x\" if { true }\n",
    );
    let r = dredge_in(cache.path(), &["config", df, "--policy", &d]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("broken.rego:7") && r.stderr.contains("does not compile"), "{}", r.stderr);
    // No metadata, a bad severity, a built-in check's id: exit 2, named.
    for (name, text, says) in [
        ("nometa/p.rego", "package dredge.acme.nometa\n\nimport rego.v1\n\ndeny contains \"x\" if { true }\n", "metadata"),
        // A recursive function overflowed regorus's stack and aborted the process (exit 134):
        // refused before anything runs, directly or through another function, at its line.
        (
            "recur/p.rego",
            "package dredge.acme.recur\n\nimport rego.v1\n\nmetadata := {\"id\": \"ACME-013\", \"severity\": \"LOW\", \"input\": \"dockerfile\"}\n\nf(n) := y if { y := f(n + 1) }\n\ndeny contains \"x\" if { f(1) }\n",
            "line 7: function f is recursive (f → f)",
        ),
        (
            "mutual/p.rego",
            "package dredge.acme.mutual\n\nimport rego.v1\n\nmetadata := {\"id\": \"ACME-014\", \"severity\": \"LOW\", \"input\": \"image\"}\n\nodd(n) if { n > 0; even(n - 1) }\n\neven(n) if { n == 0 }\n\neven(n) if { n > 0; data.dredge.acme.mutual.odd(n - 1) }\n\ndeny contains \"x\" if { odd(7) }\n",
            "function even is recursive (even → odd → even)",
        ),
        (
            "badsev/p.rego",
            "package dredge.acme.badsev\n\nimport rego.v1\n\nmetadata := {\"id\": \"ACME-012\", \"severity\": \"SEVERE\", \"input\": \"image\"}\n",
            "SEVERE",
        ),
        (
            "dup/p.rego",
            "package dredge.acme.dup\n\nimport rego.v1\n\nmetadata := {\"id\": \"DRG-IMG-001\", \"severity\": \"LOW\", \"input\": \"image\"}\n",
            "already",
        ),
    ] {
        let d = write(name, text);
        let r = dredge_in(cache.path(), &["config", df, "--policy", &d]);
        assert_eq!(r.code, 2, "{name}");
        assert!(r.stderr.contains(name.split('/').nth(1).unwrap()) && r.stderr.contains(says), "{name}: {}", r.stderr);
    }
    // Recursion however it is written (each aborted dredge with a stack overflow, exit 134), and
    // valid policies that merely look like it (each was refused).
    let head =
        |id: &str| format!("import rego.v1\n\nmetadata := {{\"id\": \"{id}\", \"severity\": \"LOW\", \"input\": \"dockerfile\"}}\n\n");
    let head_importing = |id: &str, import: &str| head(id).replacen("import rego.v1\n", &format!("import rego.v1\n\nimport {import}\n"), 1);
    type Files<'a> = &'a [(&'a str, String)];
    let cases: &[(&str, Files<'_>, Option<&str>)] = &[
        (
            "tab",
            &[(
                "p.rego",
                format!("package dredge.r.tab\n\n{}f(x) := y if {{ y := f\t(x) }}\n\ndeny contains \"x\" if {{ f(1) }}\n", head("R-1")),
            )],
            Some("f → f"),
        ),
        (
            "newline",
            &[(
                "p.rego",
                format!(
                    "package dredge.r.nl\n\n{}f(x) := y if {{\n  y := f\n  (x)\n}}\n\ndeny contains \"x\" if {{ f(1) }}\n",
                    head("R-2")
                ),
            )],
            Some("f → f"),
        ),
        (
            "with",
            &[(
                "p.rego",
                format!(
                    "package dredge.r.with\n\n{}g(x) := x\n\nf(x) := y if {{ y := g(x) with g as f }}\n\ndeny contains \"x\" if {{ f(1) }}\n",
                    head("R-3")
                ),
            )],
            Some("f → f"),
        ),
        (
            "bracket",
            &[(
                "p.rego",
                format!(
                    "package dredge.r.br\n\n{}f(x) := y if {{ y := data.dredge.r.br[\"f\"](x) }}\n\ndeny contains \"x\" if {{ f(1) }}\n",
                    head("R-4")
                ),
            )],
            Some("f → f"),
        ),
        (
            "imports",
            &[
                (
                    "p.rego",
                    format!(
                        "package dredge.r.imp\n\n{}h(x) := g(x)\n\ndeny contains \"x\" if {{ h(1) }}\n",
                        head_importing("R-5", "data.acme.rl.f as g")
                    ),
                ),
                ("l.rego", "package acme.rl\n\nimport rego.v1\n\nimport data.dredge.r.imp.h as k\n\nf(x) := k(x)\n".to_string()),
            ],
            Some("recursive"),
        ),
        (
            "deepwith",
            &[(
                "p.rego",
                format!(
                    "package dredge.r.a.b.c\n\n{}g(x) := x\n\nf(x) := y if {{ y := g(x) with data.dredge.r.a.b.c.g as f }}\n\ndeny contains \"x\" if {{ f(1) }}\n",
                    head("R-9")
                ),
            )],
            Some("f → f"),
        ),
        (
            "splitpkg",
            &[
                (
                    "a.rego",
                    format!(
                        "package dredge.r.split\n\n{}f(x) := l.g(x)\n\ndeny contains \"x\" if {{ f(1) }}\n",
                        head_importing("R-10", "data.acme.sl as l")
                    ),
                ),
                ("b.rego", "package dredge.r.split\n\nimport rego.v1\n\nf(x) := 1 if x == 0\n".to_string()),
                ("lib.rego", "package acme.sl\n\nimport rego.v1\n\nimport data.dredge.r.split\n\ng(x) := split.f(x)\n".to_string()),
            ],
            Some("recursive"),
        ),
        (
            "string",
            &[(
                "p.rego",
                format!("package dredge.r.str\n\n{}f(x) := sprintf(\"f(%v)\", [x])\n\ndeny contains f(1) if {{ true }}\n", head("R-6")),
            )],
            None,
        ),
        (
            "comment",
            &[(
                "p.rego",
                format!(
                    "package dredge.r.cm\n\n{}f(x) := y if {{\n  # do not call f(x) here\n  y := x\n}}\n\ndeny contains \"x\" if {{ f(1) }}\n",
                    head("R-7")
                ),
            )],
            None,
        ),
        (
            "wrapper",
            &[
                (
                    "p.rego",
                    format!(
                        "package dredge.r.wrap\n\n{}trusted(img) if wl.trusted(img)\n\ndeny contains \"x\" if {{ not trusted(\"x\") }}\n",
                        head_importing("R-8", "data.acme.wl")
                    ),
                ),
                (
                    "l.rego",
                    "package acme.wl\n\nimport rego.v1\n\ntrusted(image) if startswith(image, \"registry.acme.example/\")\n".to_string(),
                ),
            ],
            None,
        ),
    ];
    for (name, files, recursive) in cases {
        let mut d = String::new();
        for (f, text) in *files {
            d = write(&format!("{name}/{f}"), text);
        }
        let r = dredge_in(cache.path(), &["config", df, "--policy", &d, "--format", "json"]);
        match recursive {
            Some(says) => {
                assert_eq!(r.code, 2, "{name}: {}", r.stderr);
                assert!(r.stderr.contains("is recursive") && r.stderr.contains(says) && r.stderr.contains("line "), "{name}: {}", r.stderr);
            }
            None => assert_eq!(r.code, 0, "{name}: a valid policy: {}", r.stderr),
        }
    }
    // A policy that runs too long: stopped after 2 s, a warning naming it and the file; the scan
    // and the other checks go on.
    let d = write(
        "slow/slow.rego",
        "package dredge.acme.slow\n\nimport rego.v1\n\nmetadata := {\"id\": \"ACME-009\", \"title\": \"Slow\", \"severity\": \"LOW\", \"input\": \"dockerfile\"}\n\ndeny contains \"slow\" if {\n  n := count([x | some a in numbers.range(1, 3000); some b in numbers.range(1, 3000); x := a * b])\n  n > 0\n}\n",
    );
    let t = std::time::Instant::now();
    let r = dredge_in(cache.path(), &["config", df, "--policy", &d, "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(t.elapsed() < std::time::Duration::from_secs(30));
    let v = r.json();
    assert!(v["warnings"].to_string().contains("ACME-009") && v["warnings"].to_string().contains("time limit"), "{v:#}");
    assert!(findings(&v).iter().any(|f| f["rule"] == "DRG-IMG-014"));
    // --policy without the misconfiguration scanner: an error, not a silent no-op.
    let pol = repo().join("testdata/policies");
    let r = dredge_in(cache.path(), &["image", &img("misconfig-clean"), "--scanners", "secret", "--policy", pol.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--policy"), "{}", r.stderr);
}

#[test]
fn the_documented_policies_are_the_tested_ones() {
    let doc = std::fs::read_to_string(repo().join("docs/misconfig.md")).unwrap();
    for f in ["registry.rego", "lib/helpers.rego"] {
        let text = std::fs::read_to_string(repo().join("testdata/policies").join(f)).unwrap();
        assert!(doc.contains(&text), "docs/misconfig.md does not show testdata/policies/{f} as it is");
    }
    for f in ["authors.rego", "base-image.rego"] {
        let text = std::fs::read_to_string(repo().join("testdata/policies").join(f)).unwrap();
        let indented: String = text.lines().map(|l| if l.is_empty() { "\n".to_string() } else { format!("  {l}\n") }).collect();
        assert!(doc.contains(&indented), "docs/misconfig.md does not show testdata/policies/{f} as it is");
    }
}

#[test]
fn hostile_names_stay_one_table_row_and_findings_stay_distinct_alerts() {
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    // A pod whose name carries a terminal escape and a newline that would fake a table row.
    std::fs::write(
        dir.path().join("pod.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: \"evil\\e[2J\\nLOW  DRG-K8S-019  looks harmless\"\nspec:\n  hostPID: true\n  containers: []\n",
    )
    .unwrap();
    // Two world-writable chmods on one line: two findings, two SARIF alerts.
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM debian:12.6\nRUN chmod 777 /a && chmod 666 /b\nUSER app\nHEALTHCHECK CMD [\"true\"]\n",
    )
    .unwrap();
    let d = dir.path().to_str().unwrap();
    let t = dredge_in(cache.path(), &["config", d]).ok().stdout;
    assert!(!t.contains('\u{1b}'), "{t}");
    assert!(!t.lines().any(|l| l.starts_with("LOW  DRG-K8S-019")), "a fake row: {t}");
    assert!(t.contains("\\u{1b}[2J\\nLOW"), "escaped, not dropped: {t}");
    let s: Value = serde_json::from_str(&dredge_in(cache.path(), &["config", d, "--format", "sarif"]).ok().stdout).unwrap();
    let fps: BTreeSet<String> = s["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["ruleId"] == "DRG-IMG-015")
        .map(|r| r["partialFingerprints"]["dredge/v1"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(fps.len(), 2, "{fps:?}");
}
