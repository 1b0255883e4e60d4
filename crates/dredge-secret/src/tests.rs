use super::*;

fn sample_path(r: &RuleDef) -> String {
    match r.paths.first() {
        None => "app/config.txt".into(),
        Some(g) => g.trim_start_matches("**/").replace('*', "x"),
    }
}

fn hits_of(s: &Scanner, rule: &str, path: &str, text: &str) -> Vec<Hit> {
    s.scan(path, text.as_bytes()).unwrap_or_default().into_iter().filter(|h| h.rule == rule).collect()
}

#[test]
fn every_builtin_rule_finds_its_examples_and_not_its_look_alikes() {
    let s = Scanner::builtin().unwrap();
    assert_eq!(s.rule_count(), BUILTIN.len());
    let mut ids = BTreeSet::new();
    let mut failures = Vec::new();
    for r in BUILTIN {
        assert!(ids.insert(r.id), "duplicate rule id {}", r.id);
        assert!(!r.keywords.is_empty(), "{}: built-in rules have keywords", r.id);
        assert!(!r.examples.is_empty() && !r.not_examples.is_empty(), "{}: examples both ways", r.id);
        let path = sample_path(r);
        for ex in r.examples {
            let h = hits_of(&s, r.id, &path, ex);
            if h.len() != 1 {
                failures.push(format!("{}: example not found exactly once in {path}: {ex:?} → {h:?}", r.id));
                continue;
            }
            // Redacted: never the whole value.
            assert!(!ex.contains(h[0].redacted.trim_end_matches('*')) || h[0].redacted.trim_end_matches('*').len() <= 4, "{}", r.id);
            assert!(h[0].redacted.contains("****"), "{}: {}", r.id, h[0].redacted);
        }
        for nx in r.not_examples {
            let h = hits_of(&s, r.id, &path, nx);
            if !h.is_empty() {
                failures.push(format!("{}: look-alike found in {path}: {nx:?} → {h:?}", r.id));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(BUILTIN.len() >= 70, "{} built-in rules", BUILTIN.len());
}

#[test]
fn path_restricted_rules_stay_in_their_files() {
    let s = Scanner::builtin().unwrap();
    assert_eq!(hits_of(&s, "env-secret", "app/.env", "DB_PASSWORD=Zq8Wm3Xv5Rn\n").len(), 1);
    assert_eq!(hits_of(&s, "env-secret", "app/.env.production", "DB_PASSWORD=Zq8Wm3Xv5Rn\n").len(), 1);
    assert!(hits_of(&s, "env-secret", "usr/share/doc/x/README", "DB_PASSWORD=Zq8Wm3Xv5Rn\n").is_empty());
    assert_eq!(hits_of(&s, "netrc-password", "root/.netrc", "machine h login u password Xq7-Rt2Vm9Kp\n").len(), 1);
    assert!(hits_of(&s, "netrc-password", "root/notes.txt", "machine h login u password Xq7-Rt2Vm9Kp\n").is_empty());
}

#[test]
fn line_numbers_and_names() {
    let s = Scanner::builtin().unwrap();
    let h = s.scan("srv/.env", b"# config\nUSER=app\n\nDB_PASSWORD=Zq8Wm3Xv5Rn\n").unwrap();
    assert_eq!(h.len(), 1);
    assert_eq!((h[0].line, h[0].name.as_deref(), h[0].redacted.as_str()), (4, Some("DB_PASSWORD"), "Zq*********"));
    // A specific rule wins over the generic NAME=value rule on the same value.
    let h = s.scan("srv/.env", b"GITHUB_TOKEN=ghp_4Fq9ZkR2mT7xW1cV8bN3pL6sJ0hD5gY9aE2u\n").unwrap();
    assert_eq!(h.iter().map(|h| h.rule.as_str()).collect::<Vec<_>>(), ["github-pat"]);
}

#[test]
fn a_secret_across_a_chunk_boundary_is_found_once() {
    let s = Scanner::builtin().unwrap();
    let token = "ghp_4Fq9ZkR2mT7xW1cV8bN3pL6sJ0hD5gY9aE2u";
    for shift in [0usize, 10, 20, 39, 40, 41, OVERLAP - 5] {
        let mut text = String::new();
        let mut lines = 0;
        while text.len() + 1 < CHUNK - shift {
            text.push_str(&"a".repeat(99.min(CHUNK - shift - text.len() - 1)));
            text.push('\n');
            lines += 1;
        }
        text.push_str(token);
        text.push('\n');
        text.push_str(&"b\n".repeat(CHUNK / 2));
        text.push_str(token); // and once more in the second chunk
        let h = s.scan_reader("app/x.txt", &mut text.as_bytes()).unwrap().unwrap();
        let gh: Vec<&Hit> = h.iter().filter(|h| h.rule == "github-pat").collect();
        assert_eq!(gh.len(), 2, "shift {shift}: {gh:?}");
        assert_eq!(gh[0].line, lines + 1, "shift {shift}");
        assert_eq!(gh[1].line, lines + 2 + (CHUNK / 2) as u32, "shift {shift}");
        // Whole-buffer scanning agrees.
        assert_eq!(s.scan("app/x.txt", text.as_bytes()).unwrap(), h);
    }
}

#[test]
fn binaries_placeholders_and_entropy() {
    let s = Scanner::builtin().unwrap();
    let mut bin = b"\x7fELF\0\0\0".to_vec();
    bin.extend_from_slice(b"ghp_4Fq9ZkR2mT7xW1cV8bN3pL6sJ0hD5gY9aE2u");
    assert!(s.scan("usr/bin/x", &bin).is_none());
    assert!(s.scan_reader("usr/bin/x", &mut bin.as_slice()).unwrap().is_none());
    for p in ["${TOKEN}", "changeme", "<your-token>", "XXXXXXXXXXXXXXXX", "AKIAIOSFODNN7EXAMPLE", "{{ .Values.password }}"] {
        assert!(placeholder(p.as_bytes()), "{p}");
    }
    assert!(!placeholder(b"Zq8Wm3Xv5Rn2Kp7L"));
    assert!(entropy(b"aaaaaaaa") < 0.1 && entropy(b"Zq8Wm3Xv5Rn2Kp7L") > 3.5);
    assert_eq!(redact(b"ghp_4Fq9ZkR2mT7xW1cV8bN3pL6sJ0hD5gY9aE2u"), "ghp_****************");
    assert_eq!(redact(b"abc"), "****");
}

#[test]
fn custom_rules_allow_rules_and_disabled_rules() {
    let cfg: Config = serde_saphyr::from_str(
        r#"
rules:
  - id: acme-key
    title: ACME internal key
    severity: critical
    regex: 'acme_(?P<secret>[a-z0-9]{24})'
    keywords: [acme_]
    path: ["**/*.conf"]
allow-rules:
  - id: test-fixtures
    path: "**/testdata/**"
  - id: known-demo-token
    regex: '^ghp_4Fq9ZkR2'
disable-rules: [jwt]
"#,
    )
    .unwrap();
    let s = Scanner::new(&cfg).unwrap();
    assert_ne!(s.fingerprint(), Scanner::builtin().unwrap().fingerprint());
    let h = s.scan("etc/acme.conf", b"key = acme_3f9a1c7e5b2d8f4a6c0e9b7d\n").unwrap();
    assert_eq!((h.len(), h[0].rule.as_str(), h[0].severity.as_str()), (1, "acme-key", "CRITICAL"));
    assert!(s.scan("etc/acme.txt", b"key = acme_3f9a1c7e5b2d8f4a6c0e9b7d\n").unwrap().is_empty());
    assert!(s.scan("app/testdata/keys.txt", b"ghp_Zq8Wm3Xv5Rn2Kp7Lc4Bd9Ft1Gy6Hu0Ij3Ok8P").unwrap().is_empty());
    assert!(s.scan("app/x", b"ghp_4Fq9ZkR2mT7xW1cV8bN3pL6sJ0hD5gY9aE2u").unwrap().is_empty());
    assert!(
        s.scan("app/x", b"Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkZXBsb3kiLCJpYXQiOjE3MDAwMDAwMDB9.Zq8Wm3Xv5Rn2Kp7Lc4Bd9Ft1Gy6Hu0Ij")
            .unwrap()
            .is_empty()
    );
    for bad in [
        "rules:\n  - id: x\n    regex: '('\n",
        "rules:\n  - id: jwt\n    regex: 'x'\n",
        "nope: 1\n",
        "rules:\n  - id: y\n    regex: 'y'\n    severity: huge\n",
    ] {
        let cfg: Result<Config, _> = serde_saphyr::from_str(bad);
        let err = match cfg {
            Ok(c) => Scanner::new(&c).err().map(|e| e.to_string()),
            Err(e) => Some(e.to_string()),
        };
        assert!(err.is_some(), "{bad}");
    }
}

#[test]
fn globs() {
    let r = |g: &str, p: &str| regex::Regex::new(&glob_to_regex(g)).unwrap().is_match(p);
    assert!(r("**/.env", ".env") && r("**/.env", "a/b/.env") && !r("**/.env", "a/b/x.env"));
    assert!(r("**/*.env", "a/prod.env") && r("*.conf", "x.conf") && !r("*.conf", "a/x.conf"));
    assert!(r("**/testdata/**", "app/testdata/a/b.txt"));
    assert!(r("**/*.{png,svg}", "a/b.svg") && r("**/*.{png,svg}", "x.png") && !r("**/*.{png,svg}", "a/b.svgz"));
    assert!(r("a{b", "a{b") && r("x,y", "x,y") && !r("{a,b}", "{a,b}"));
    assert!(r("usr/lib/python3*/**", "usr/lib/python3.11/os.py") && !r("usr/lib/python3*/**", "usr/local/lib/python3.11/x.py"));
}

#[test]
fn rules_doc_is_generated_from_the_table() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/secret-rules.md");
    let want = rules_markdown();
    if std::env::var_os("DREDGE_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &want).expect("write docs");
    }
    assert_eq!(
        std::fs::read_to_string(&path).unwrap_or_default(),
        want,
        "docs/secret-rules.md is stale: run DREDGE_UPDATE_DOCS=1 cargo test -p dredge-secret rules_doc"
    );
}

#[test]
fn adversarial_content_is_scanned_in_bounded_time_and_memory() {
    // Keyword-dense text that makes every rule's regex run, and long runs regexes could chew on:
    // Rust's regex engine is linear-time, and chunking bounds the buffer.
    let s = Scanner::builtin().unwrap();
    let mut text = String::new();
    while text.len() < 4 << 20 {
        text.push_str("-----BEGIN PRIVATE KEY----- aws_secret_access_key= ghp_ xoxb- eyJ eyJ. :// password= AKIA ");
    }
    text.push_str(&"A".repeat(2 << 20));
    let h = s.scan_reader("app/.env", &mut text.as_bytes()).unwrap().unwrap();
    assert!(h.is_empty(), "{:?}", &h[..h.len().min(3)]);
}

#[test]
fn third_party_test_fixtures_are_allowed_unless_disabled() {
    let key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAzq8Wm3Xv5Rn2Kp7Lc4Bd9Ft1Gy6Hu0Ij3Ok8Pl2Am5Sn7Do4\nEp1Fq9Gr6Hs3It0Ju8Kv5Lw2Mx7Ny4Oz1Pa9Qb6Rc3Sd0Te8Uf5Vg2Wh7Xi4Yj1Zk\n-----END RSA PRIVATE KEY-----\n";
    let s = Scanner::builtin().unwrap();
    assert!(s.scan("usr/local/lib/python3.11/dist-packages/requests/tests/key.pem", key.as_bytes()).unwrap().is_empty());
    assert!(s.scan("app/node_modules/ssh2/test/fixtures/id_rsa", key.as_bytes()).unwrap().is_empty());
    assert_eq!(s.scan("app/certs/key.pem", key.as_bytes()).unwrap().len(), 1, "the application's own files are scanned");
    let cfg: Config = serde_saphyr::from_str("disable-rules: [python-dist-package-tests]\n").unwrap();
    let s = Scanner::new(&cfg).unwrap();
    assert_eq!(s.scan("usr/local/lib/python3.11/dist-packages/requests/tests/key.pem", key.as_bytes()).unwrap().len(), 1);
}

#[test]
fn what_the_os_package_manager_owns_is_skipped_unless_disabled() {
    use dredge_layer::ContentScanner as _;
    let key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAzq8Wm3Xv5Rn2Kp7Lc4Bd9Ft1Gy6Hu0Ij3Ok8Pl2Am5Sn7Do4\nEp1Fq9Gr6Hs3It0Ju8Kv5Lw2Mx7Ny4Oz1Pa9Qb6Rc3Sd0Te8Uf5Vg2Wh7Xi4Yj1Zk\n-----END RSA PRIVATE KEY-----\n";
    let s = Scanner::builtin().unwrap();
    for skipped in [
        "var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages",
        "var/lib/dpkg/info/openssl.postinst",
        "usr/share/nodejs/ssh2/lib/key.pem",
        "usr/lib/python3.11/test/keycert.pem",
        "usr/lib/x86_64-linux-gnu/perl5/5.36/Net/SSLeay.pm",
        "usr/include/openssl/pem.h",
        "app/static/logo.svg",
        "app/dist/bundle.tar.gz",
    ] {
        assert!(!s.wants(skipped, key.as_bytes()), "{skipped} is skipped");
        assert!(s.scan(skipped, key.as_bytes()).unwrap().is_empty(), "{skipped} is skipped");
    }
    // The application's files, /usr/local and the rest of /usr are scanned.
    for scanned in
        ["app/certs/key.pem", "usr/local/lib/python3.11/site-packages/app/key.pem", "usr/share/nginx/html/key.pem", "opt/app/key.pem"]
    {
        assert!(s.wants(scanned, key.as_bytes()), "{scanned} is scanned");
        assert_eq!(s.scan(scanned, key.as_bytes()).unwrap().len(), 1, "{scanned} is scanned");
    }
    // Binary content is not wanted, whatever the path.
    assert!(!s.wants("app/blob", b"\x7fELF\0\0\0\x01"));
    // Each group has an id that turns it off.
    let cfg: Config = serde_saphyr::from_str("disable-rules: [system-nodejs, media-files]\n").unwrap();
    let s = Scanner::new(&cfg).unwrap();
    assert_eq!(s.scan("usr/share/nodejs/ssh2/lib/key.pem", key.as_bytes()).unwrap().len(), 1);
    assert_eq!(s.scan("app/static/logo.svg", key.as_bytes()).unwrap().len(), 1);
    assert!(s.scan("var/lib/dpkg/info/openssl.postinst", key.as_bytes()).unwrap().is_empty());
}

#[test]
fn every_builtin_rule_compiles_and_is_compiled_only_when_its_keywords_occur() {
    // Built-in rules are compiled on first use (a scan error there would silently lose the rule).
    for r in BUILTIN {
        let c = Compiled::new(r.regex).unwrap_or_else(|e| panic!("rule {}: {e}", r.id));
        assert!(c.secret_group.is_some() || !r.regex.contains("?P<secret>"), "rule {}", r.id);
    }
    let s = Scanner::builtin().unwrap();
    assert!(s.rules.iter().all(|r| r.compiled.get().is_none()), "nothing compiled before a scan");
    s.scan("app/readme.txt", b"plain words, nothing to see").unwrap_or_default();
    let compiled: Vec<&str> = s.rules.iter().filter(|r| r.compiled.get().is_some()).map(|r| r.id.as_str()).collect();
    assert!(compiled.len() < s.rules.len() / 4, "only rules without keywords or whose keywords occur: {compiled:?}");
    // A config's own rule is compiled at load, so its error names it at once.
    let cfg: Config = serde_saphyr::from_str("rules:\n  - id: mine\n    regex: '(unclosed'\n    keywords: [x]\n").unwrap();
    let e = Scanner::new(&cfg).err().expect("invalid regex").to_string();
    assert!(e.contains("rule mine: invalid regex"), "{e}");
}
