#![allow(clippy::panic, clippy::unwrap_used)]
//! Every folder of testdata/lang holds files of one format and `expected.tsv`
//! (`name<TAB>version<TAB>prod|dev`), written by the tool that made the files (`generate.sh`) or,
//! for formats whose tools cannot run here, by hand from the file (README.md there says which).
//! The folder is walked as a root filesystem with the whole registry, as a scan would.

use dredge_extract::EXTRACTORS;
use dredge_layer::{PluginSet, walk_dir};
use dredge_model::{Ecosystem, Fact};
use std::collections::BTreeSet;
use std::path::Path;

fn norm(eco: Ecosystem, name: &str) -> String {
    match eco {
        Ecosystem::PyPI => name.to_ascii_lowercase().replace(['_', '.'], "-"),
        _ => name.to_string(),
    }
}

fn found(dir: &Path) -> (BTreeSet<String>, Vec<String>) {
    let facts = walk_dir(dir, &PluginSet::new(EXTRACTORS)).unwrap();
    let mut got = BTreeSet::new();
    for ff in facts.files.values() {
        for f in &ff.facts {
            if let Fact::Package(p) = f {
                got.insert(format!("{}\t{}\t{}", norm(p.ecosystem, &p.name), p.version, if p.dev { "dev" } else { "prod" }));
            }
        }
    }
    (got, facts.warnings.iter().map(|w| w.to_string()).collect())
}

#[test]
fn every_format_folder_matches_its_oracle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/lang");
    let mut checked = 0;
    let mut failures = Vec::new();
    for entry in std::fs::read_dir(&root).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let text = std::fs::read_to_string(dir.join("expected.tsv")).unwrap_or_else(|_| panic!("{} has no expected.tsv", dir.display()));
        let want: BTreeSet<String> = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let c: Vec<&str> = l.split('\t').collect();
                assert_eq!(c.len(), 3, "{}: bad line {l:?}", dir.display());
                assert!(!c[1].is_empty(), "{}: no version in {l:?}", dir.display());
                // The oracle's names are compared as the ecosystem compares them (PyPI folds case).
                let py = ["uv-lock", "poetry-lock", "pdm-lock", "pipfile-lock", "requirements"].iter().any(|n| dir.ends_with(n));
                let name = if py { norm(Ecosystem::PyPI, c[0]) } else { c[0].to_string() };
                format!("{name}\t{}\t{}", c[1], c[2])
            })
            .collect();
        assert!(!want.is_empty(), "{}: empty oracle", dir.display());
        let (got, warnings) = found(&dir);
        if got != want || !warnings.is_empty() {
            failures.push(format!(
                "{}:\n  missing: {:?}\n  extra: {:?}\n  warnings: {warnings:?}",
                dir.file_name().unwrap().to_string_lossy(),
                want.difference(&got).collect::<Vec<_>>(),
                got.difference(&want).collect::<Vec<_>>()
            ));
        }
        checked += 1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 30, "only {checked} format folders");
}

#[test]
fn eggs_zipped_unzipped_and_single_file_egg_info() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/lang/egg");
    let facts = walk_dir(&root, &PluginSet::new(EXTRACTORS)).unwrap();
    let mut at: Vec<&str> =
        facts.files.iter().filter(|(_, ff)| ff.facts.iter().any(|f| matches!(f, Fact::Package(_)))).map(|(p, _)| p.as_str()).collect();
    at.sort();
    assert_eq!(at, ["site-packages/eggdemo-0.3.1-py3.11.egg", "unzipped/eggdemo-0.3.1-py3.11.egg/EGG-INFO/PKG-INFO"]);
    // distutils writes `name-version.egg-info` as a single file of core metadata.
    let set = PluginSet::new(EXTRACTORS);
    let mut wanted = Vec::new();
    set.wanted_by("usr/lib/python3/dist-packages/six-1.16.0.egg-info", &mut wanted);
    let f = set.get(wanted[0]).extract("x", b"Metadata-Version: 1.1\nName: six\nVersion: 1.16.0\n").unwrap();
    assert!(matches!(&f[0], Fact::Package(p) if p.name == "six" && p.version == "1.16.0"));
}
