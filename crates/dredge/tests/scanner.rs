//! A scanner registered from outside the binary (the example crate) takes part in a scan like the
//! built-in ones: `--scanners` takes its id, its content scanner runs in the layer pass beside the
//! secret scanner, and its findings are in every output format and behind the one gate.
#![allow(clippy::panic, clippy::unwrap_used)]

mod common;

use common::*;
use dredge::scanners::ScannerDef;
use dredge_example_scanner::{Example, INFO, MARKER};
use serde_json::Value;
use std::path::Path;
use std::process::ExitCode;

fn example() -> ScannerDef {
    ScannerDef { info: INFO, build: |_| Ok(Box::new(Example { deny: vec!["flask".into(), "musl".into()] })) }
}

/// Runs the command line in-process with the example registered; returns the exit code and what
/// `--output` received.
fn run(args: &[&str], out: &Path) -> (ExitCode, String) {
    let mut all = vec!["dredge"];
    all.extend_from_slice(args);
    let o = out.to_str().unwrap();
    all.extend_from_slice(&["--output", o, "--quiet"]);
    let code = dredge::cli::run_with(all, &[example()]).unwrap_or_else(|e| panic!("{args:?}: {e:#}"));
    (code, std::fs::read_to_string(out).unwrap_or_default())
}

/// A source tree with a marker line, a denied package in a lockfile, and a planted token (so both
/// content scanners see the same files).
fn tree(dir: &Path) -> String {
    std::fs::create_dir_all(dir.join("app")).unwrap();
    std::fs::write(dir.join("app/notes.txt"), format!("hello\n{MARKER} here\n")).unwrap();
    std::fs::write(dir.join("app/requirements.txt"), "flask==2.0.0\nrequests==2.31.0\n").unwrap();
    // A GitHub token shape with enough entropy for the rule.
    let token = "ghp_8Vq2Lm4Xz9Tr1Kb6Wn3Ye7Ju5Hc0Pd2Fs9Ag";
    std::fs::write(dir.join("app/deploy.sh"), format!("#!/bin/sh\ncurl -H 'Authorization: token {token}' x\n")).unwrap();
    token.to_string()
}

#[test]
fn a_registered_scanner_is_seen_in_every_format() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("src");
    let token = tree(&root);
    let root = root.to_str().unwrap();
    let out = tmp.path().join("out");

    let (code, json) = run(&["fs", root, "--scanners", "example,secret", "--format", "json"], &out);
    assert_eq!(code, ExitCode::SUCCESS);
    let j: Value = serde_json::from_str(&json).unwrap();
    let ex = j["examples"].as_array().expect("the example scanner's key");
    let rules: Vec<(&str, &str)> = ex.iter().map(|f| (f["rule"].as_str().unwrap(), f["severity"].as_str().unwrap())).collect();
    assert_eq!(rules, vec![("EXAMPLE-DENY", "HIGH"), ("EXAMPLE-MARKER", "MEDIUM")], "{json}");
    let marker = &ex[1];
    assert_eq!((marker["path"].as_str(), marker["line"].as_u64()), (Some("/app/notes.txt"), Some(2)));
    assert_eq!(ex[0]["package"]["name"], "flask");
    assert_eq!(ex[0]["package"]["purl"], "pkg:pypi/flask@2.0.0");
    // The secret scanner saw the same pass.
    let s = j["secrets"].as_array().expect("secrets key");
    assert_eq!(s.len(), 1, "{json}");
    assert_eq!(s[0]["path"], "/app/deploy.sh");
    assert!(!json.contains(&token), "a secret is never printed whole");
    // The key order follows the registry: built-in scanners first.
    assert!(json.find("\"secrets\"").unwrap() < json.find("\"examples\"").unwrap());

    let (_, table) = run(&["fs", root, "--scanners", "example", "--format", "table"], &out);
    assert!(table.contains("Examples: 2 (UNKNOWN: 0, LOW: 0, MEDIUM: 1, HIGH: 1, CRITICAL: 0)"), "{table}");
    assert!(table.contains("/app/notes.txt:2") && table.contains("EXAMPLE-DENY") && table.contains("flask is on the deny list"), "{table}");

    let (_, sarif) = run(&["fs", root, "--scanners", "example", "--format", "sarif"], &out);
    let s: Value = serde_json::from_str(&sarif).unwrap();
    let results = s["runs"][0]["results"].as_array().unwrap();
    let ids: Vec<&str> = results.iter().map(|r| r["ruleId"].as_str().unwrap()).collect();
    assert_eq!(ids, vec!["EXAMPLE-DENY", "EXAMPLE-MARKER"]);
    let loc = &results[1]["locations"][0]["physicalLocation"];
    assert_eq!((loc["artifactLocation"]["uri"].as_str(), loc["region"]["startLine"].as_u64()), (Some("app/notes.txt"), Some(2)));
    let rule = &s["runs"][0]["tool"]["driver"]["rules"][0];
    assert_eq!((rule["name"].as_str(), rule["properties"]["tags"][0].as_str()), (Some("Example"), Some("example")));
    assert!(rule["help"]["text"].as_str().unwrap().ends_with("Remove flask"));

    // CycloneDX: the finding about a package is a `vulnerabilities` entry affecting its component;
    // the marker (a file, no component) is not.
    let (_, cdx) = run(&["fs", root, "--scanners", "example", "--format", "cyclonedx"], &out);
    let c: Value = serde_json::from_str(&cdx).unwrap();
    let vulns = c["vulnerabilities"].as_array().expect("vulnerabilities");
    assert_eq!(vulns.len(), 1, "{cdx}");
    assert_eq!(vulns[0]["id"], "EXAMPLE-DENY");
    let affected = vulns[0]["affects"][0]["ref"].as_str().unwrap();
    let comp = c["components"].as_array().unwrap().iter().find(|x| x["bom-ref"] == affected).expect("the affected component");
    assert_eq!(comp["name"], "flask");
}

#[test]
fn one_gate_for_every_scanner() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("src");
    tree(&root);
    let root = root.to_str().unwrap();
    let out = tmp.path().join("out");
    // HIGH: the denied package is left, so the gate fails.
    let (code, json) =
        run(&["fs", root, "--scanners", "example,secret", "--severity", "HIGH", "--exit-code", "3", "--format", "json"], &out);
    assert_eq!(code, ExitCode::from(3));
    let j: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(j["examples"].as_array().unwrap().len(), 1);
    assert_eq!(j["secrets"].as_array().unwrap().len(), 0, "the token is CRITICAL: left out by --severity HIGH");
    // LOW only: nothing of either scanner is left, so it passes (and both keys stay, empty).
    let (code, json) =
        run(&["fs", root, "--scanners", "example,secret", "--severity", "LOW", "--exit-code", "3", "--format", "json"], &out);
    assert_eq!(code, ExitCode::SUCCESS);
    let j: Value = serde_json::from_str(&json).unwrap();
    assert_eq!((j["examples"].as_array().map(Vec::len), j["secrets"].as_array().map(Vec::len)), (Some(0), Some(0)));
    // A severity that does not exist is an error, not an empty filter.
    let c = dredge::cli::run_with(["dredge", "fs", root, "--scanners", "example", "--severity", "SEVERE", "-q"], &[example()]).unwrap();
    assert_eq!(c, ExitCode::from(2));
}

#[test]
fn scanners_values_and_help_come_from_the_registry() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_str().unwrap();
    // Not registered: refused (exit 2), naming the choices.
    let c = dredge::cli::run_with(["dredge", "fs", root, "--scanners", "example", "-q"], &[]).unwrap();
    assert_eq!(c, ExitCode::from(2));
    let c = dredge::cli::run_with(["dredge", "fs", root, "--scanners", "bogus", "-q"], &[example()]).unwrap();
    assert_eq!(c, ExitCode::from(2));
    // The binary's help lists the built-in scanners with their help lines.
    let help = std::process::Command::new(bin()).args(["image", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("vuln") && help.contains("Secrets in every file of every layer"), "{help}");
}

#[test]
fn an_image_scan_gives_the_scanner_the_config_and_layers() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let img = images().join("secrets.docker.tar");
    let (code, json) = run(&["image", img.to_str().unwrap(), "--scanners", "example", "--format", "json", "--no-cache"], &out);
    assert_eq!(code, ExitCode::SUCCESS);
    let j: Value = serde_json::from_str(&json).unwrap();
    let ex = j["examples"].as_array().unwrap();
    // musl is on the deny list, from layer 0; the config sets no user.
    let deny = ex.iter().find(|f| f["rule"] == "EXAMPLE-DENY").expect("musl denied");
    assert_eq!((deny["package"]["name"].as_str(), deny["layer"]["index"].as_u64()), (Some("musl"), Some(0)));
    assert!(ex.iter().any(|f| f["rule"] == "EXAMPLE-ROOT" && f["field"] == "config.User"), "{json}");
    assert!(j.get("secrets").is_none() && j.get("vulnerabilities").is_none(), "only the scanners asked for have keys");
}
