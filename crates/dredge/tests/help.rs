//! The help and the docs stay in step with the flags (issue 10): every option of every command
//! has help text and is described in the docs, and every flag the docs mention exists.
#![allow(clippy::panic, clippy::unwrap_used)]

mod common;
use common::*;
use std::collections::BTreeSet;

const COMMANDS: &[&[&str]] = &[
    &["image"],
    &["sbom"],
    &["rootfs"],
    &["fs"],
    &["clean"],
    &["sbom-scan"],
    &["db", "build"],
    &["db", "status"],
    &["db", "update"],
    &["db", "push"],
    &["db", "pull"],
    &["db", "keygen"],
];

/// (option, its help text) of one command, from `--help`.
fn options(cmd: &[&str]) -> Vec<(String, String)> {
    let mut args = cmd.to_vec();
    args.push("--help");
    let r = dredge_in(std::path::Path::new("/nonexistent"), &args).ok();
    let lines: Vec<&str> = r.stdout.lines().collect();
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim_start();
        if !t.starts_with('-') {
            continue;
        }
        let long = t.split([' ', ',']).find(|w| w.starts_with("--")).unwrap_or("").to_string();
        if long.is_empty() {
            continue;
        }
        // The help is on the same line after the flag spec, or on the lines below, indented.
        let spec_end = t.find("  ").unwrap_or(t.len());
        let mut help = t[spec_end..].trim().to_string();
        if help.is_empty() {
            if let Some(next) = lines.get(i + 1) {
                if !next.trim_start().starts_with('-') && next.len() - next.trim_start().len() > l.len() - t.len() {
                    help = next.trim().to_string();
                }
            }
        }
        out.push((long, help));
    }
    out
}

fn docs() -> String {
    let mut all = std::fs::read_to_string(repo().join("README.md")).unwrap();
    for e in std::fs::read_dir(repo().join("docs")).unwrap() {
        all.push_str(&std::fs::read_to_string(e.unwrap().path()).unwrap());
    }
    all
}

#[test]
fn every_option_has_help_and_is_documented() {
    let docs = docs();
    let mut missing_help = Vec::new();
    let mut undocumented = BTreeSet::new();
    for cmd in COMMANDS {
        for (flag, help) in options(cmd) {
            if flag == "--help" || flag == "--version" {
                continue;
            }
            // `[env: ...]` or `[default: ...]` alone is not help.
            if help.is_empty() || help.starts_with('[') {
                missing_help.push(format!("dredge {} {flag}", cmd.join(" ")));
            }
            let documented = docs.contains(&format!("`{flag}")) || docs.contains(&format!("{flag} ")) || docs.contains(&format!("{flag}`"));
            if !documented {
                undocumented.insert(flag);
            }
        }
    }
    assert!(missing_help.is_empty(), "options without help: {missing_help:?}");
    assert!(undocumented.is_empty(), "options not described in README.md or docs/: {undocumented:?}");
}

#[test]
fn every_flag_the_docs_mention_exists() {
    let mut known: BTreeSet<String> = BTreeSet::new();
    for cmd in COMMANDS {
        known.extend(options(cmd).into_iter().map(|(f, _)| f));
    }
    known.insert("--help".into());
    known.insert("--version".into());
    // Flags of other programs the docs quote (curl, skopeo, docker, cargo, trivy ...).
    let foreign = [
        "--cacert",
        "--release",
        "--features",
        "--locked",
        "--all",
        "--nocapture",
        "--test-threads",
        "--seconds",
        "--seed",
        "--dest-creds",
        "--src-tls-verify",
        "--dest-tls-verify",
        "--dbpath",
        "--compare-versions",
        "--test",
        "--workspace",
        "--no-run",
        "--corpus",
        "--crashes",
        "--path",
        "--platform=",
        "--skip-db-update=",
        "--scanners=",
        "--list-all-pkgs",
        "--cache-dir=",
        "--no-progress",
        "--pkg-types",
        "--quiet=",
        "--skip-java-db-update",
        "--offline-scan",
        "--exit-code=",
    ];
    let flag = regex_lite(&[
        &std::fs::read_to_string(repo().join("README.md")).unwrap(),
        &std::fs::read_to_string(repo().join("docs/usage.md")).unwrap(),
    ]);
    let unknown: Vec<String> = flag.into_iter().filter(|f| !known.contains(f) && !foreign.contains(&f.as_str())).collect();
    assert!(unknown.is_empty(), "flags in README.md/docs/usage.md that no command has: {unknown:?}");
}

/// `--word-word` tokens of the texts.
fn regex_lite(texts: &[&str]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for t in texts {
        let b = t.as_bytes();
        let mut i = 0;
        while i + 2 < b.len() {
            if b[i] == b'-'
                && b[i + 1] == b'-'
                && (i == 0 || !b[i - 1].is_ascii_alphanumeric() && b[i - 1] != b'-')
                && b[i + 2].is_ascii_lowercase()
            {
                let mut j = i + 2;
                while j < b.len() && (b[j].is_ascii_lowercase() || b[j].is_ascii_digit() || b[j] == b'-') {
                    j += 1;
                }
                out.insert(String::from_utf8_lossy(&b[i..j]).trim_end_matches('-').to_string());
                i = j;
            } else {
                i += 1;
            }
        }
    }
    out
}

#[test]
fn the_top_level_help_is_current() {
    let r = dredge_in(std::path::Path::new("/nonexistent"), &["--help"]).ok();
    assert!(!r.stdout.contains("soon"), "{}", r.stdout);
    for word in ["vulnerabilities", "secrets", "SBOM"] {
        assert!(r.stdout.contains(word), "{word}: {}", r.stdout);
    }
    let r = dredge_in(std::path::Path::new("/nonexistent"), &["image", "--help"]).ok();
    for form in ["docker-archive:", "oci-dir:", "oci-archive:", "registry:", "docker:", "@sha256:"] {
        assert!(r.stdout.contains(form), "TARGET help names {form}: {}", r.stdout);
    }
}
