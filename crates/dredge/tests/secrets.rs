#![allow(clippy::panic, clippy::unwrap_used)]
//! Secrets end to end: the planted image (testdata/make-images.sh) has secrets across layers, in
//! the config and in a history line; its clean twin and the real base images have none. No output
//! and no cache file ever holds a planted value in full.

mod common;
use common::*;
use serde_json::Value;
use std::path::Path;

fn planted() -> Vec<String> {
    std::fs::read_to_string(images().join("expected/secrets-values.txt")).unwrap().lines().map(str::to_string).collect()
}

fn img(name: &str) -> String {
    format!("docker-archive:{}", images().join(format!("{name}.docker.tar")).display())
}

/// (rule, path, line, layer, removed_in layer, source)
type Row = (String, String, u64, Option<u64>, Option<u64>, String);

fn secrets(v: &Value) -> Vec<Row> {
    v["secrets"]
        .as_array()
        .expect("a secrets list")
        .iter()
        .map(|s| {
            (
                s["rule"].as_str().unwrap().to_string(),
                s["path"].as_str().unwrap().to_string(),
                s["line"].as_u64().unwrap(),
                s["layer"]["index"].as_u64(),
                s["removed_in"]["index"].as_u64(),
                s["source"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() { stack.push(p) } else { out.push(p) }
        }
    }
    out
}

#[test]
fn planted_secrets_are_found_with_their_layers_and_never_shown_whole() {
    let cache = tempfile::tempdir().unwrap();
    let r = dredge_in(cache.path(), &["image", &img("secrets"), "--scanners", "secret", "--format", "json"]).ok();
    let v = r.json();
    let mut got = secrets(&v);
    got.sort();
    let f = |rule: &str, path: &str, line: u64, layer: Option<u64>, removed: Option<u64>, source: &str| {
        (rule.to_string(), path.to_string(), line, layer, removed, source.to_string())
    };
    let mut want = vec![
        // Layer 1 (COPY app /app); layer 2 deleted the key and rewrote .env: still in the image.
        f("env-secret", "/app/.env", 3, Some(1), Some(2), "file"),
        f("private-key", "/root/.ssh/id_ed25519", 2, Some(1), Some(2), "file"),
        f("aws-access-key-id", "/app/config/settings.py", 2, Some(1), None, "file"),
        f("aws-secret-access-key", "/app/config/settings.py", 3, Some(1), None, "file"),
        f("npm-access-token", "/app/.npmrc", 2, Some(1), None, "file"),
        // An executable script: sniffed for ELF, then scanned.
        f("github-pat", "/app/deploy.sh", 3, Some(1), None, "file"),
        // Only in the config's Env, and only in a build step's history line.
        f("gitlab-pat", "config.Env[0]", 1, None, None, "config"),
        f("github-pat", "history[2]", 1, Some(2), None, "history"),
    ];
    want.sort();
    assert_eq!(got, want);
    let env = v["secrets"].as_array().unwrap().iter().find(|s| s["rule"] == "env-secret").unwrap();
    assert_eq!(env["name"], "DB_PASSWORD");
    assert!(env["removed_in"]["created_by"].as_str().unwrap().contains("rm /root/.ssh/id_ed25519"));

    // The values: in no output format, not on stderr, not in the layer cache.
    let values = planted();
    assert_eq!(values.len(), 7);
    let mut outputs = vec![r.stdout.clone(), r.stderr.clone()];
    for fmt in ["table", "sarif"] {
        let o = dredge_in(cache.path(), &["image", &img("secrets"), "--scanners", "secret", "--format", fmt]).ok();
        outputs.push(o.stdout);
        outputs.push(o.stderr);
    }
    for p in files_under(cache.path()) {
        outputs.push(String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned());
    }
    assert!(outputs[2].contains("removed in layer 2"), "{}", outputs[2]);
    for val in &values {
        for (i, o) in outputs.iter().enumerate() {
            assert!(!o.contains(val.as_str()), "output {i} holds a planted secret in full");
            // Not even most of it.
            assert!(!o.contains(&val[..val.len() * 2 / 3]), "output {i} holds most of a planted secret");
        }
    }
    // SARIF: one result per finding, with the line.
    let sarif: Value = serde_json::from_str(&outputs[4]).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 8);
    assert!(results.iter().any(|x| x["ruleId"] == "private-key" && x["locations"][0]["physicalLocation"]["region"]["startLine"] == 2));
    // The Microsoft SARIF toolkit reads it and counts the same results.
    let f = cache.path().join("r.sarif");
    std::fs::write(&f, &outputs[4]).unwrap();
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg("import sys\nfrom sarif import loader\nprint(loader.load_sarif_file(sys.argv[1]).get_result_count())")
        .arg(&f)
        .output()
        .expect("python3 with sarif-tools (.ci/setup installs it)");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "8", "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn the_clean_twin_and_real_base_images_have_no_findings() {
    for name in ["secrets-clean", "alpine-3.9", "alpine-3.19-multi", "debian-12", "lang-full"] {
        let cache = tempfile::tempdir().unwrap();
        let v = dredge_in(cache.path(), &["image", &img(name), "--scanners", "secret", "--format", "json"]).ok().json();
        assert_eq!(secrets(&v), vec![], "{name}");
    }
}

#[test]
fn exit_code_severity_filter_and_scanner_choice() {
    let cache = tempfile::tempdir().unwrap();
    let r = dredge_in(cache.path(), &["image", &img("secrets"), "--scanners", "secret", "--exit-code", "5"]);
    assert_eq!(r.code, 5, "{}", r.stderr);
    let v =
        dredge_in(cache.path(), &["image", &img("secrets"), "--scanners", "secret", "--severity", "HIGH", "--format", "json"]).ok().json();
    let rules: Vec<&str> = v["secrets"].as_array().unwrap().iter().map(|s| s["rule"].as_str().unwrap()).collect();
    assert_eq!(rules.len(), 2, "{rules:?}");
    let clean = dredge_in(cache.path(), &["image", &img("secrets-clean"), "--scanners", "secret", "--exit-code", "5"]);
    assert_eq!(clean.code, 0, "{}", clean.stderr);
    // Packages only: no secrets section at all.
    let db = tempfile::tempdir().unwrap();
    let none = dredge_in(
        cache.path(),
        &["image", &img("secrets"), "--scanners", "vuln", "--format", "json", "--db", db.path().join("none.db").to_str().unwrap()],
    );
    let v: Value = serde_json::from_str(&none.stdout).unwrap_or_default();
    assert!(v.get("secrets").is_none(), "{}", none.stdout);
}

#[test]
fn custom_rules_and_allow_rules_from_a_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("dredge-secret.yaml");
    std::fs::write(
        &cfg,
        "rules:\n  - id: deploy-script-endpoint\n    title: GitHub API call in a deploy script\n    severity: low\n    regex: 'https://api\\.github\\.com/(?P<secret>user)'\n    keywords: [api.github.com]\n    path: ['**/deploy.sh']\nallow-rules:\n  - id: ignore-ssh\n    path: 'root/.ssh/**'\ndisable-rules: [npm-access-token]\n",
    )
    .unwrap();
    let v = dredge_in(
        dir.path(),
        &["image", &img("secrets"), "--scanners", "secret", "--format", "json", "--secret-config", cfg.to_str().unwrap()],
    )
    .ok()
    .json();
    let rules: Vec<&str> = v["secrets"].as_array().unwrap().iter().map(|s| s["rule"].as_str().unwrap()).collect();
    assert!(rules.contains(&"deploy-script-endpoint"), "{rules:?}");
    assert!(!rules.contains(&"private-key") && !rules.contains(&"npm-access-token"), "{rules:?}");
    std::fs::write(&cfg, "rules:\n  - id: broken\n    regex: '(('\n").unwrap();
    let r = dredge_in(dir.path(), &["image", &img("secrets"), "--scanners", "secret", "--secret-config", cfg.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("dredge-secret.yaml") && r.stderr.contains("broken"), "{}", r.stderr);
}

#[test]
fn a_root_filesystem_is_scanned_too() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("srv")).unwrap();
    let token = format!("ghp_{}", "Zq8Wm3Xv5Rn2Kp7Lc4Bd9Ft1Gy6Hu0Ij3Ok8");
    std::fs::write(dir.path().join("srv/app.conf"), format!("[github]\ntoken = {token}\n")).unwrap();
    let v = dredge_in(dir.path(), &["rootfs", dir.path().to_str().unwrap(), "--format", "json"]).ok().json();
    let s = &v["secrets"][0];
    assert_eq!((s["rule"].as_str(), s["path"].as_str(), s["line"].as_u64()), (Some("github-pat"), Some("/srv/app.conf"), Some(2)));
    assert!(!v.to_string().contains(&token));
}
