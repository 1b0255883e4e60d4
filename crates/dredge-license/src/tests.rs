#![allow(clippy::panic, clippy::unwrap_used)]
use super::*;
use std::path::PathBuf;

fn texts() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/texts")
}

fn text(name: &str) -> String {
    std::fs::read_to_string(texts().join(name)).unwrap()
}

/// Every text is the one SOURCES pins (the real file, unchanged).
#[test]
fn texts_are_the_pinned_real_files() {
    use sha2_check::sha256_hex;
    let sources = std::fs::read_to_string(texts().join("SOURCES")).unwrap();
    let mut n = 0;
    for line in sources.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f.len(), 5, "{line}");
        let data = std::fs::read(texts().join(f[0])).unwrap();
        assert_eq!(sha256_hex(&data), f[1], "{} differs from its pinned SHA-256", f[0]);
        assert!(f[2].starts_with("https://") && f[3].len() == 64, "{line}");
        n += 1;
    }
    assert_eq!(n, 10);
}

mod sha2_check {
    /// SHA-256 via the system's `sha256sum` (coreutils): this crate needs no hashing otherwise.
    pub fn sha256_hex(data: &[u8]) -> String {
        use std::io::Write;
        let mut c = std::process::Command::new("sha256sum")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("sha256sum");
        c.stdin.take().unwrap().write_all(data).unwrap();
        let out = c.wait_with_output().unwrap();
        String::from_utf8_lossy(&out.stdout).split_whitespace().next().unwrap_or("").to_string()
    }
}

const EXPECTED: &[(&str, &str)] = &[
    ("debian-GPL-2", "GPL-2.0"),
    ("debian-GPL-3", "GPL-3.0"),
    ("debian-LGPL-2.1", "LGPL-2.1"),
    ("debian-Apache-2.0", "Apache-2.0"),
    ("debian-MPL-2.0", "MPL-2.0"),
    ("debian-BSD", "BSD-3-Clause"),
    ("six-LICENSE", "MIT"),
    ("shellingham-LICENSE", "ISC"),
    ("pygments-LICENSE", "BSD-2-Clause"),
    ("edx-when-LICENSE.txt", "AGPL-3.0"),
];

/// The GNU texts do not say "only" or "or later" (the notice in each file does): the family and
/// version are what the text identifies.
fn same_license(got: &str, want: &str) -> bool {
    got == want || got.strip_prefix(want).is_some_and(|r| r == "-only" || r == "-or-later")
}

#[test]
fn real_license_files_are_identified() {
    for (file, want) in EXPECTED {
        let got = detect::identify(text(file).as_bytes()).unwrap();
        assert!(same_license(&got.license, want), "{file}: {got:?}, want {want}");
        assert!(got.confidence >= 90, "{file}: {got:?}");
    }
}

/// The same texts with another copyright holder and year, re-wrapped to other line lengths and
/// indented: still the same license.
#[test]
fn altered_copies_are_identified() {
    for (file, want) in EXPECTED {
        let t = text(file);
        let mut altered = String::from("Copyright (c) 2031 Someone Else <someone@example.org>\n\n");
        for para in t.split("\n\n") {
            let words: Vec<&str> = para.split_whitespace().filter(|w| !w.eq_ignore_ascii_case("copyright")).collect();
            for chunk in words.chunks(9) {
                altered.push_str("    ");
                altered.push_str(&chunk.join(" "));
                altered.push('\n');
            }
            altered.push('\n');
        }
        let got = detect::identify(altered.as_bytes()).unwrap();
        assert!(same_license(&got.license, want), "{file} altered: {got:?}, want {want}");
    }
}

#[test]
fn license_file_names() {
    for p in [
        "app/LICENSE",
        "x/LICENCE.md",
        "COPYING",
        "COPYING.LIB",
        "COPYING3",
        "a/LICENSE-MIT",
        "a/MIT-LICENSE",
        "a/MIT-LICENSE.txt",
        "a/license.apache2",
        "NOTICE.txt",
        "a/UNLICENSE",
        "l/License",
        "licenses.txt",
        "a/COPYRIGHT",
        "r/LICENSES/GPL-3.0-or-later.txt",
        "a/LICENSE.AGPL-3.0+",
    ] {
        assert!(is_license_file(p), "{p}");
    }
    for p in [
        "license.py",
        "a/License.java",
        "lib/license.js",
        "licenses.json",
        "a/licensed-thing",
        "README",
        "copyrights.html",
        "LICENSE-checker-with-a-very-long-name.txt",
        "license_test.go",
        "license_handler.go",
        "license-utils.ts",
        "licence_check.sh",
        "license_check.pyc",
        "LICENSE.go.tmpl",
        "license-webpack-plugin.cjs.map",
    ] {
        assert!(!is_license_file(p), "{p}");
    }
}

#[test]
fn huge_binary_and_truncated_texts_never_panic() {
    let s = Scanner::builtin();
    // A binary named LICENSE is not wanted; a huge text is read on its first part only.
    assert!(!s.wants("LICENSE", b"\x7fELF\0\x01"));
    assert!(!s.wants("usr/share/doc/git/contrib/subtree/COPYING", b"GNU"));
    assert!(!s.wants("usr/share/nodejs/lodash-cli/template/license.jst", b"x"));
    let huge = text("debian-GPL-3").repeat(40);
    let facts = s.scan_stream("LICENSE", &mut huge.as_bytes()).unwrap();
    assert!(matches!(&facts[..], [Fact::LicenseText { license, .. }] if license.starts_with("GPL-3.0")), "{facts:?}");
    let cut = &text("debian-Apache-2.0")[..300];
    assert!(matches!(&s.scan_bytes("LICENSE", cut.as_bytes())[..], [Fact::LicenseText { .. }]));
    assert!(s.scan_bytes("LICENSE", &[0xff, 0xfe, 0xfd]).len() <= 1);
}

#[test]
fn config_values_are_checked() {
    let ok: Config = serde_saphyr::from_str("categories: {LGPL-2.1-only: notice}\nseverity: {restricted: critical}\npackages: {busybox: notice}\nignore: [{package: openssl}, {license: MIT}]\nconfidence: 90\n").unwrap();
    let s = Scanner::new(&ok, "x.yaml").unwrap();
    assert_eq!(s.classifier.id("LGPL-2.1-only"), Category::Notice);
    assert_eq!(s.severity(Category::Restricted), Severity::Critical);
    let pkg = |eco, name: &str| dredge_model::Package::new(eco, name, "1");
    let apk = dredge_model::Ecosystem::Apk;
    // A package-wide ignore: no finding at all.
    assert!(s.classify("AGPL-3.0-only", Some(&pkg(apk, "openssl"))).is_none());
    // An ignored license drops a package only when it is all the package has...
    assert!(s.classify("MIT", Some(&pkg(apk, "x"))).is_none());
    // ...and is no constraint beside another: `MIT AND AGPL-3.0-only` stays forbidden.
    assert_eq!(s.classify("MIT AND AGPL-3.0-only", Some(&pkg(apk, "x"))).map(|c| c.0), Some(Category::Forbidden));
    assert_eq!(s.classify("ISC", Some(&pkg(apk, "x"))).map(|c| c.0), Some(Category::Notice));
    // Per-package classes, by name or by ecosystem:name.
    assert_eq!(s.classify("GPL-2.0-only", Some(&pkg(apk, "busybox"))).map(|c| c.0), Some(Category::Notice));
    let s2 = Scanner::new(&serde_saphyr::from_str::<Config>("packages: {\"apk:busybox\": notice}").unwrap(), "x").unwrap();
    assert_eq!(s2.classify("GPL-2.0-only", Some(&pkg(apk, "busybox"))).map(|c| c.0), Some(Category::Notice));
    assert_eq!(s2.classify("GPL-2.0-only", Some(&pkg(dredge_model::Ecosystem::Npm, "busybox"))).map(|c| c.0), Some(Category::Restricted));
    // Trivy's spellings of ids in a policy: `GPL-2.0` covers both GNU forms, `GPL-2.0+` the later.
    assert_eq!(license_key("GPL-2.0").unwrap(), vec!["GPL-2.0-only".to_string(), "GPL-2.0-or-later".to_string()]);
    assert_eq!(license_key(" GPL-2.0+ ").unwrap(), vec!["GPL-2.0-or-later".to_string()]);
    assert_eq!(license_key("LicenseRef-Acme").unwrap(), vec!["LicenseRef-Acme".to_string()]);
    for bad in ["GPL-*", "Acme EULA", "MIT OR ISC", ""] {
        assert!(license_key(bad).is_err(), "{bad:?}");
    }
    let s3 = Scanner::builtin().ignore_licenses(&["MIT".into(), " ISC ".into()]).unwrap();
    assert!(s3.classify("ISC", None).is_none());
    assert!(Scanner::builtin().ignore_licenses(&["GPL-*".into()]).is_err());
    for (bad, says) in [
        ("categories: {MIT: fine}", "not a category"),
        ("severity: {restricted: urgent}", "is not CRITICAL"),
        ("severity: {bad: HIGH}", "not a category"),
        ("ignore: [{reason: x}]", "neither a package nor a license"),
        ("confidence: 101", "over 100"),
        ("categories: {GPL-*: forbidden}", "not one SPDX license id"),
        ("ignore: [{license: Acme EULA}]", "not one SPDX license id"),
    ] {
        let cfg: Config = serde_saphyr::from_str(bad).unwrap();
        let e = Scanner::new(&cfg, "dredge-license.yaml").err().unwrap_or_else(|| panic!("{bad} accepted"));
        assert!(e.to_string().contains(says) && e.to_string().starts_with("dredge-license.yaml"), "{bad}: {e}");
    }
    assert!(serde_saphyr::from_str::<Config>("colours: {}").is_err());
}

#[test]
fn go_module_cache_paths() {
    assert_eq!(
        go_module_of("/root/go/pkg/mod/github.com/!burnt!sushi/toml@v1.2.0/LICENSE"),
        Some(("github.com/BurntSushi/toml".into(), "v1.2.0".into()))
    );
    assert_eq!(go_module_of("/root/go/pkg/mod/cache/download/x/@v/LICENSE"), None);
    assert_eq!(go_module_of("/app/LICENSE"), None);
}

/// The store dredge ships (`store.bin.zstd`) holds exactly the licenses [`detect::kept`] selects
/// from the `spdx` crate's full store, with their variants. `DREDGE_UPDATE_DOCS=1 cargo test -p
/// dredge-license store` rewrites it (after an `spdx` upgrade).
#[test]
fn shipped_store_is_the_pruned_spdx_store() {
    let full = spdx::detection::Store::load_inline().unwrap();
    let mut want = spdx::detection::Store::new();
    for (name, e) in full.iter().filter(|(n, _)| detect::kept(n)) {
        want.insert_entry(
            name.clone(),
            spdx::detection::LicenseEntry {
                original: e.original.clone(),
                aliases: e.aliases.clone(),
                headers: e.headers.clone(),
                alternates: e.alternates.clone(),
            },
        );
    }
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/store.bin.zstd");
    if std::env::var_os("DREDGE_UPDATE_DOCS").is_some() {
        let mut buf = Vec::new();
        want.to_cache(&mut buf).unwrap();
        std::fs::write(&path, buf).unwrap();
    }
    let have = spdx::detection::Store::from_cache(&std::fs::read(&path).unwrap()[..]).unwrap();
    let names = |s: &spdx::detection::Store| s.licenses().cloned().collect::<std::collections::BTreeSet<String>>();
    assert_eq!(names(&have), names(&want), "src/store.bin.zstd is stale: DREDGE_UPDATE_DOCS=1 cargo test -p dredge-license store");
    for n in names(&want) {
        let (a, b) = (have.iter().find(|(k, _)| **k == n).unwrap().1, want.iter().find(|(k, _)| **k == n).unwrap().1);
        assert_eq!((a.headers.len(), a.alternates.len()), (b.headers.len(), b.alternates.len()), "{n}");
        assert_eq!(a.original.lines(), b.original.lines(), "{n}");
    }
    // Every license of the classification table that has a text is in it.
    for (id, _) in classify::TABLE.iter().filter(|(k, _)| !k.ends_with('-')) {
        if full.get_original(id).is_some() && spdx::license_id(id).is_some_and(|l| !l.is_deprecated()) {
            assert!(have.get_original(id).is_some(), "{id}");
        }
    }
}
