use crate::image::{check_config, redactions, unpinned_reference};
use crate::run::{commands, world_writable};
use serde_json::{Value, json};

/// A config that passes every check: a user, a health check, an innocent port, a clean history.
fn clean() -> Value {
    json!({
        "config": {
            "User": "app",
            "Healthcheck": {"Test": ["CMD", "/app/healthcheck"]},
            "ExposedPorts": {"8080/tcp": {}},
            "Env": ["PATH=/usr/bin", "PASSWORD_FILE=/run/secrets/db", "PIP_NO_CACHE_DIR=1"],
            "Labels": {"org.opencontainers.image.base.name": "docker.io/library/debian:12.6"}
        },
        "history": [
            {"created_by": "/bin/sh -c #(nop) ADD file:0a1b2c in / "},
            {"created_by": "RUN /bin/sh -c apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u5 && rm -rf /var/lib/apt/lists/* # buildkit"},
            {"created_by": "RUN /bin/sh -c pip install --no-cache-dir flask==3.0.3 -r requirements.txt # buildkit"},
            {"created_by": "RUN /bin/sh -c npm ci && npm install -g npm@10.8.2 # buildkit"},
            {"created_by": "RUN /bin/sh -c chmod 755 /app && chmod -R u+rwX,go+rX /srv # buildkit"},
            {"created_by": "ADD --checksum=sha256:24454f830c https://example.com/tool.tgz /opt/ # buildkit"},
            {"created_by": "EXPOSE map[8080/tcp:{}]", "empty_layer": true},
            {"created_by": "USER app", "empty_layer": true}
        ]
    })
}

fn ids(config: &Value) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = check_config(config).into_iter().map(|h| h.0).collect();
    v.sort();
    v.dedup();
    v
}

/// `clean()` with one change: only `want` fires.
fn only(want: &str, change: impl FnOnce(&mut Value)) {
    let mut c = clean();
    change(&mut c);
    assert_eq!(ids(&c), vec![want], "{c:#}");
}

fn add_run(c: &mut Value, run: &str) {
    c["history"].as_array_mut().unwrap().push(json!({"created_by": format!("RUN /bin/sh -c {run} # buildkit")}));
}

#[test]
fn a_clean_image_has_no_finding() {
    assert_eq!(check_config(&clean()), vec![]);
}

#[test]
fn root_user() {
    only("DRG-IMG-001", |c| c["config"]["User"] = json!(""));
    only("DRG-IMG-001", |c| c["config"]["User"] = json!("0:0"));
    only("DRG-IMG-001", |c| c["config"]["User"] = json!("root"));
    // Pointed at the USER step when the history has one.
    let mut c = clean();
    c["config"]["User"] = json!("root");
    c["history"].as_array_mut().unwrap().push(json!({"created_by": "USER root", "empty_layer": true}));
    let h = check_config(&c);
    assert_eq!((h[0].1.as_str(), h[0].3.as_deref()), ("history[8]", Some("USER root")));
    // No User key at all (a config that never set it).
    let mut c = clean();
    c["config"].as_object_mut().unwrap().remove("User");
    assert_eq!(check_config(&c)[0].1, "config.User");
}

#[test]
fn healthcheck() {
    only("DRG-IMG-002", |c| {
        c["config"].as_object_mut().unwrap().remove("Healthcheck");
    });
    only("DRG-IMG-002", |c| c["config"]["Healthcheck"] = json!({"Test": ["NONE"]}));
}

#[test]
fn sensitive_ports() {
    only("DRG-IMG-003", |c| c["config"]["ExposedPorts"]["22/tcp"] = json!({}));
    only("DRG-IMG-003", |c| c["config"]["ExposedPorts"]["2375/tcp"] = json!({}));
    only("DRG-IMG-003", |c| c["config"]["ExposedPorts"]["5432"] = json!({}));
    // The EXPOSE step that added it, with its layer-less history index.
    let mut c = clean();
    c["config"]["ExposedPorts"]["22/tcp"] = json!({});
    c["history"].as_array_mut().unwrap().push(json!({"created_by": "/bin/sh -c #(nop)  EXPOSE 22/tcp 8080", "empty_layer": true}));
    let h = check_config(&c);
    assert_eq!((h[0].1.as_str(), h[0].2, h[0].3.as_deref()), ("history[8]", None, Some("EXPOSE 22/tcp (SSH)")));
    // 2222 is not 22.
    let mut c = clean();
    c["config"]["ExposedPorts"]["2222/tcp"] = json!({});
    assert_eq!(ids(&c), Vec::<&str>::new());
}

#[test]
fn remote_add() {
    only("DRG-IMG-004", |c| {
        c["history"].as_array_mut().unwrap().push(json!({"created_by": "ADD https://example.com/x.tgz /opt/ # buildkit"}))
    });
    only("DRG-IMG-004", |c| {
        c["history"].as_array_mut().unwrap().push(json!({"created_by": "/bin/sh -c #(nop) ADD http://example.com/a /a"}))
    });
}

#[test]
fn pipe_to_shell() {
    only("DRG-IMG-005", |c| add_run(c, "curl -fsSL https://get.example.com | sh"));
    only("DRG-IMG-005", |c| add_run(c, "wget -qO- https://x.example/install.sh | bash -"));
    // Through sudo: both checks.
    let mut c = clean();
    add_run(&mut c, "wget -qO- https://x.example/install.sh | sudo -E bash -");
    assert_eq!(ids(&c), vec!["DRG-IMG-005", "DRG-IMG-014"]);
    only("DRG-IMG-005", |c| add_run(c, "sh -c \"$(curl -fsSL https://x.example/i.sh)\""));
    only("DRG-IMG-005", |c| add_run(c, "curl -s https://bootstrap.pypa.io/get-pip.py | python3"));
    // Downloading to a file and checking it is the fix.
    let mut c = clean();
    add_run(&mut c, "curl -fsSLo /tmp/i.sh https://x.example/i.sh && echo 'abc  /tmp/i.sh' | sha256sum -c && sh /tmp/i.sh");
    assert_eq!(ids(&c), Vec::<&str>::new());
}

#[test]
fn apt_cleanup_and_pins() {
    only("DRG-IMG-006", |c| add_run(c, "apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10"));
    only("DRG-IMG-007", |c| add_run(c, "apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*"));
    let h = {
        let mut c = clean();
        add_run(
            &mut c,
            "apt-get -o Dpkg::Options::=--force-confnew install -y -o APT::Install-Recommends=false curl git=1:2.39.2-1.1 ./local.deb && rm -rf /var/lib/apt/lists/*",
        );
        check_config(&c)
    };
    assert_eq!(
        h.iter().map(|h| (h.0, h.3.clone().unwrap_or_default())).collect::<Vec<_>>(),
        vec![("DRG-IMG-007", "unpinned: curl".into())]
    );
}

#[test]
fn apk() {
    only("DRG-IMG-008", |c| add_run(c, "apk add curl=8.5.0-r0"));
    only("DRG-IMG-009", |c| add_run(c, "apk add --no-cache --virtual .build-deps gcc"));
    let mut c = clean();
    add_run(&mut c, "apk add --no-cache curl=8.5.0-r0 musl~1.2");
    assert_eq!(ids(&c), Vec::<&str>::new());
}

#[test]
fn yum_dnf() {
    only("DRG-IMG-010", |c| add_run(c, "yum install -y httpd-2.4.57"));
    only("DRG-IMG-010", |c| add_run(c, "microdnf install -y nginx-1.24.0"));
    let mut c = clean();
    add_run(&mut c, "dnf install -y nginx-1:1.24.0 @development ./local.rpm && dnf clean all");
    assert_eq!(ids(&c), Vec::<&str>::new());
}

#[test]
fn pip() {
    let no_env = |c: &mut Value| c["config"]["Env"] = json!(["PATH=/usr/bin"]);
    only("DRG-IMG-011", |c| {
        no_env(c);
        add_run(c, "pip install flask==3.0.3");
    });
    only("DRG-IMG-012", |c| add_run(c, "python3 -m pip install flask requests==2.32.3"));
    let mut c = clean();
    add_run(
        &mut c,
        "pip install --upgrade pip && pip3 install . && pip install -r requirements.txt && pip install 'django>=4.2,<5' ./dist/app.whl",
    );
    assert_eq!(ids(&c), Vec::<&str>::new());
}

#[test]
fn npm() {
    only("DRG-IMG-013", |c| add_run(c, "npm install -g typescript"));
    only("DRG-IMG-013", |c| add_run(c, "npm i @angular/cli"));
    let mut c = clean();
    add_run(&mut c, "npm install && npm install -g @angular/cli@17.3.0 ./local-pkg");
    assert_eq!(ids(&c), Vec::<&str>::new());
}

#[test]
fn sudo() {
    only("DRG-IMG-014", |c| add_run(c, "sudo -u app touch /srv/x"));
    only("DRG-IMG-014", |c| add_run(c, "make && sudo make install"));
    // A word containing sudo is not sudo.
    let mut c = clean();
    add_run(&mut c, "echo pseudo sudoers-check");
    assert_eq!(ids(&c), Vec::<&str>::new());
}

#[test]
fn world_writable_modes() {
    only("DRG-IMG-015", |c| add_run(c, "chmod 777 /app"));
    only("DRG-IMG-015", |c| add_run(c, "chmod -R 0777 /data"));
    only("DRG-IMG-015", |c| add_run(c, "chmod a+rwx /srv"));
    only("DRG-IMG-015", |c| add_run(c, "chmod o+w /etc/app.conf"));
    only("DRG-IMG-015", |c| add_run(c, "chmod 1777 /app/uploads"));
    // /tmp's own mode is not a finding.
    let mut c = clean();
    add_run(&mut c, "mkdir -p /tmp /var/tmp && chmod 1777 /tmp /var/tmp/ && chmod 1777 /app/tmp");
    assert_eq!(ids(&c), Vec::<&str>::new());
    for (m, ww) in [
        ("777", true),
        ("0666", true),
        ("1777", true),
        ("755", false),
        ("644", false),
        ("u+w", false),
        ("go+rX", false),
        ("o=rw", true),
        ("+x", false),
    ] {
        assert_eq!(world_writable(m), ww, "{m}");
    }
}

#[test]
fn secret_names_in_env_and_build_args() {
    only("DRG-IMG-016", |c| c["config"]["Env"].as_array_mut().unwrap().push(json!("AWS_SECRET_ACCESS_KEY=abc")));
    only("DRG-IMG-016", |c| {
        c["history"].as_array_mut().unwrap().push(json!({"created_by": "RUN |1 NPM_TOKEN=s3cr3t /bin/sh -c npm ci # buildkit"}))
    });
    only("DRG-IMG-016", |c| c["history"].as_array_mut().unwrap().push(json!({"created_by": "|2 DB_PASSWORD=x MODE=y /bin/sh -c make"})));
    only("DRG-IMG-016", |c| c["history"].as_array_mut().unwrap().push(json!({"created_by": "ARG API_KEY=default", "empty_layer": true})));
    // The evidence names the variable, never its value.
    let mut c = clean();
    c["config"]["Env"].as_array_mut().unwrap().push(json!("GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789"));
    let h = check_config(&c);
    assert_eq!(h[0].3.as_deref(), Some("ENV GITHUB_TOKEN=…"));
    // Empty values and names that point at a secret are fine.
    let mut c = clean();
    c["config"]["Env"] = json!(["TOKEN=", "SECRET_KEY_FILE=/run/secrets/k", "AUTH_URL=https://id.example"]);
    assert_eq!(ids(&c), Vec::<&str>::new());
}

#[test]
fn unpinned_base() {
    only("DRG-IMG-017", |c| c["config"]["Labels"]["org.opencontainers.image.base.name"] = json!("docker.io/library/debian:latest"));
    only("DRG-IMG-017", |c| c["config"]["Labels"]["org.opencontainers.image.base.name"] = json!("localhost:5000/base"));
    assert!(!unpinned_reference("debian@sha256:abcd"));
    assert!(!unpinned_reference("localhost:5000/base:1.2"));
}

#[test]
fn the_shell_splitter() {
    let c = commands("A=1 env B=2 apt-get install -y 'a b' \"c\" && sudo -u app x; y | z \\\n  w");
    // What sudo runs is judged too (last).
    assert_eq!(c, vec![vec!["apt-get", "install", "-y", "a b", "c"], vec!["sudo", "-u", "app", "x"], vec!["y"], vec!["z", "w"], vec!["x"]]);
    // Unterminated quotes and lone escapes do not panic.
    assert_eq!(commands("echo 'open"), vec![vec!["echo", "open"]]);
    assert_eq!(commands("\\"), Vec::<Vec<String>>::new());
}

#[test]
fn hostile_configs_do_not_panic() {
    for c in [
        json!(null),
        json!([]),
        json!({"config": null, "history": "x"}),
        json!({"config": {"User": 5, "ExposedPorts": [1], "Env": [1, "=", "X"], "Labels": {"org.opencontainers.image.base.name": 3}}}),
        json!({"history": [{"created_by": "RUN |99999999999999999999 A"}, {"created_by": 7}, {"created_by": "|"}]}),
        json!({"history": [{"created_by": "x".repeat(1 << 20)}]}),
    ] {
        let _ = check_config(&c);
    }
}

#[test]
fn every_check_has_an_id_text_and_a_test() {
    let src = include_str!("tests.rs");
    let mut seen = std::collections::HashSet::new();
    for c in crate::CHECKS {
        assert!(seen.insert(c.id), "duplicate {}", c.id);
        assert!(!c.title.is_empty() && !c.why.is_empty() && !c.fix.is_empty() && c.reference.starts_with("https://"), "{}", c.id);
        // Config checks have a failing example here; file checks (DRG-IMG-018) in the end-to-end
        // test of the binary.
        let cli = include_str!("../../dredge/tests/misconfig.rs");
        let df = include_str!("dftests.rs");
        let k8s = include_str!("k8stests.rs");
        assert!(
            src.contains(&format!("only(\"{}\"", c.id))
                || cli.contains(&format!("\"{}\"", c.id))
                || df.contains(&format!("fails(\"{}\"", c.id))
                || k8s.contains(&format!("\"{}\"", c.id)),
            "{} has no failing example in tests.rs, dftests.rs, k8stests.rs or crates/dredge/tests/misconfig.rs",
            c.id
        );
    }
}

#[test]
fn misconfig_doc_is_generated_from_the_checks() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/misconfig.md");
    let how = "DREDGE_UPDATE_DOCS=1 cargo test -p dredge-misconfig";
    dredge_testkit::check_doc_section(&path, "checks", &crate::checks::markdown(), how);
}

#[test]
fn patterns_compile() {
    for p in crate::run::patterns() {
        assert!(!p.as_str().is_empty());
    }
}

#[test]
fn zypper() {
    only("DRG-IMG-019", |c| add_run(c, "zypper --non-interactive install -y curl=8.0.1"));
    only("DRG-IMG-028", |c| add_run(c, "zypper in -y curl && zypper clean -a"));
    only("DRG-IMG-028", |c| add_run(c, "yum install -y httpd mod_ssl-2.4.57 && yum clean all"));
    let mut c = clean();
    add_run(&mut c, "zypper refresh && zypper install -y curl=8.0.1 && zypper cc -a");
    assert_eq!(ids(&c), Vec::<&str>::new());
}

#[test]
fn apt_prompts_recommends_and_upgrades() {
    only("DRG-IMG-020", |c| add_run(c, "apt-get install --no-install-recommends curl=7.88.1-10 && rm -rf /var/lib/apt/lists/*"));
    only("DRG-IMG-021", |c| add_run(c, "apt-get install -y curl=7.88.1-10 && rm -rf /var/lib/apt/lists/*"));
    only("DRG-IMG-022", |c| add_run(c, "apt-get update && apt-get -y dist-upgrade && rm -rf /var/lib/apt/lists/*"));
    only("DRG-IMG-023", |c| add_run(c, "apt-get update"));
    only("DRG-IMG-023", |c| add_run(c, "apk update"));
    // -qq implies -y; the recommends option by -o; apk update followed by add.
    let mut c = clean();
    add_run(&mut c, "apt-get update && apt-get -qq install -o APT::Install-Recommends=0 curl=7.88.1-10 && rm -rf /var/lib/apt/lists/*");
    add_run(&mut c, "apk update && apk add --no-cache curl=8.5.0-r0");
    assert_eq!(ids(&c), Vec::<&str>::new());
}

#[test]
fn cd_wget_curl_and_maintainer() {
    only("DRG-IMG-024", |c| add_run(c, "cd /src && make"));
    only("DRG-IMG-025", |c| {
        add_run(c, "wget -q https://example.com/a.tgz");
        add_run(c, "curl -fsSLO https://example.com/b.tgz");
    });
    only("DRG-IMG-026", |c| {
        c["history"].as_array_mut().unwrap().push(json!({"created_by": "/bin/sh -c #(nop)  MAINTAINER x@example.com", "empty_layer": true}))
    });
    // One tool, installed or used, is not both.
    let mut c = clean();
    add_run(&mut c, "curl -fsSLO https://example.com/b.tgz && make -C /src");
    assert_eq!(ids(&c), Vec::<&str>::new());
    let h = {
        let mut c = clean();
        add_run(&mut c, "wget -q https://example.com/a.tgz");
        add_run(&mut c, "curl -fsSLO https://example.com/b.tgz");
        check_config(&c)
    };
    assert_eq!((h[0].1.as_str(), h[0].3.as_deref()), ("history[8]", Some("wget here, curl in history[9]")));
}

#[test]
fn credentials_in_a_step() {
    only("DRG-IMG-027", |c| add_run(c, "aws configure set aws_secret_access_key $AWS_SECRET"));
    only("DRG-IMG-027", |c| add_run(c, "echo x | docker login -u me --password=hunter2 registry.example.com"));
    only("DRG-IMG-027", |c| add_run(c, "gcloud auth activate-service-account --key-file=/tmp/key.json"));
    only("DRG-IMG-027", |c| add_run(c, "az login --service-principal -u app -p secret --tenant t"));
    let mut c = clean();
    add_run(&mut c, "aws configure set region eu-west-1 && docker login --password-stdin -u me r.example.com");
    assert_eq!(ids(&c), Vec::<&str>::new());
}

#[test]
fn rpm_prompts_and_zypper_upgrades() {
    only("DRG-IMG-020", |c| add_run(c, "yum install httpd-2.4.57 && yum clean all"));
    only("DRG-IMG-020", |c| add_run(c, "dnf install httpd-2.4.57 && dnf clean all"));
    only("DRG-IMG-020", |c| add_run(c, "zypper install curl=8.0.1 && zypper clean -a"));
    only("DRG-IMG-022", |c| add_run(c, "zypper -n dup && zypper clean -a"));
    // -y in a short-option group, --assumeyes, zypper's global -n; microdnf never prompts.
    let mut c = clean();
    add_run(&mut c, "yum -qy install httpd-2.4.57 && dnf install --assumeyes curl-8.0.1 && microdnf install tar-1.34 && yum clean all");
    add_run(&mut c, "zypper -n install curl=8.0.1 && zypper in --no-confirm tar=1.34 && zypper clean -a");
    assert_eq!(ids(&c), Vec::<&str>::new());
}

#[test]
fn go_install_and_yarn() {
    only("DRG-IMG-030", |c| add_run(c, "go install golang.org/x/tools/cmd/goimports"));
    only("DRG-IMG-030", |c| add_run(c, "CGO_ENABLED=0 go install -trimpath github.com/a/b/cmd/b@latest"));
    only("DRG-IMG-031", |c| add_run(c, "yarn install --frozen-lockfile"));
    only("DRG-IMG-031", |c| add_run(c, "yarn global add typescript@5.4.5"));
    // A version, a local package, the current module; the yarn cache cleaned in the same step.
    let mut c = clean();
    add_run(&mut c, "go install golang.org/x/tools/cmd/goimports@v0.21.0 ./cmd/... && go install");
    add_run(&mut c, "yarn install --frozen-lockfile && yarn cache clean");
    assert_eq!(ids(&c), Vec::<&str>::new());
}

#[test]
fn gem() {
    only("DRG-IMG-029", |c| add_run(c, "gem install bundler"));
    let mut c = clean();
    add_run(&mut c, "gem install bundler -v 2.5.6 && gem install rails:7.1.3 ./local.gem");
    assert_eq!(ids(&c), Vec::<&str>::new());
}

#[test]
fn secret_named_build_argument_values_are_redacted_in_the_history() {
    let c = json!({"history": [
        {"created_by": "|2 NPM_TOKEN=s3cr3t-value-123 MODE=release /bin/sh -c npm ci"},
        {"created_by": "RUN |1 GITHUB_TOKEN=${GITHUB_TOKEN} /bin/sh -c make # buildkit"},
        {"created_by": "ARG DB_PASSWORD=correct-horse-battery", "empty_layer": true},
        {"created_by": "|1 API_KEY=short /bin/sh -c true"}
    ]});
    assert_eq!(
        redactions(&c),
        vec![
            ("NPM_TOKEN=s3cr3t-value-123".to_string(), "NPM_TOKEN=***".to_string()),
            ("DB_PASSWORD=correct-horse-battery".to_string(), "DB_PASSWORD=***".to_string())
        ]
    );
}

#[test]
fn the_config_disables_and_overrides_and_refuses_typos() {
    use crate::{Config, Scanner};
    let cfg: Config = serde_saphyr::from_str("disable: [DRG-IMG-002]\nseverity:\n  DRG-IMG-003: high\n").unwrap();
    let s = Scanner::new(&cfg, "m.yaml").unwrap();
    assert_eq!(s.disabled, vec!["DRG-IMG-002"]);
    assert_eq!(s.severity.get("DRG-IMG-003"), Some(&dredge_model::Severity::High));
    for (yaml, msg) in [
        ("disable: [DRG-IMG-999]\n", "m.yaml: no check \"DRG-IMG-999\""),
        ("severity: {DRG-IMG-001: SEVERE}\n", "m.yaml: DRG-IMG-001: severity \"SEVERE\" is not"),
    ] {
        let cfg: Config = serde_saphyr::from_str(yaml).unwrap();
        let e = Scanner::new(&cfg, "m.yaml").unwrap_err().to_string();
        assert!(e.starts_with(msg), "{e}");
    }
    // An unknown key is a typo, not something to ignore.
    assert!(serde_saphyr::from_str::<Config>("disabled: [DRG-IMG-002]\n").is_err());
}

#[test]
fn a_large_hostile_history_stays_linear() {
    // 100,000 steps, each with secret-named build arguments: the checks and redactions finish fast.
    let history: Vec<Value> = (0..100_000)
        .map(|i| json!({"created_by": format!("|2 TOKEN_{i}=value-number-{i} API_KEY=same-value-here /bin/sh -c chmod 777 /x{i}")}))
        .collect();
    let c = json!({"history": history});
    let t = std::time::Instant::now();
    assert_eq!(check_config(&c).len(), 2 + 100_000 + 1 + 100_000);
    assert_eq!(redactions(&c).len(), 100_001);
    assert!(t.elapsed() < std::time::Duration::from_secs(20), "{:?}", t.elapsed());
}

#[test]
fn credentials_in_quoted_commands_are_masked() {
    use crate::run::redact;
    let token = "ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    for cmd in [
        format!("curl -H \"Authorization: token {token}\" https://api.github.com | sh"),
        format!("curl -H 'Authorization: Bearer {token}' https://x | bash"),
        format!("wget -qO- https://x.example/i.sh?access_token={token}&v=1 | sh"),
        format!("GITHUB_TOKEN={token} make"),
        format!("docker login -p {token} registry.example.com"),
        format!("git clone https://oauth2:{token}@gitlab.example.com/x.git"),
    ] {
        let r = redact(&cmd);
        assert!(!r.contains(&token[8..]), "{r}");
        assert!(r.contains("***"), "{r}");
    }
    // What evidence needs stays: versions, paths, URLs, digests.
    for plain in [
        "pip install flask==3.0.3 requests>=2.32",
        "ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.com/tool.tgz /opt/",
        "cp /usr/lib/x86_64-linux-gnu/libssl.so.3 /app/ && chmod 755 /app",
        "apt-get install -y curl=7.88.1-10+deb12u5",
    ] {
        assert_eq!(redact(plain), plain);
    }
    // Through the checks: the evidence of curl | sh does not carry the token.
    let mut c = clean();
    add_run(&mut c, &format!("curl -H \"Authorization: token {token}\" https://api.github.com/x | sh"));
    let h = check_config(&c);
    assert!(h.iter().all(|h| !h.3.clone().unwrap_or_default().contains(&token[8..])), "{h:?}");
}

#[test]
fn policy_files_split_linked_or_named_twice() {
    let dir = std::env::temp_dir().join(format!("dredge-policy-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("a")).unwrap();
    std::fs::write(
        dir.join("a/p1.rego"),
        "package dredge.t.split\n\nimport rego.v1\n\nmetadata := {\"id\": \"T-1\", \"severity\": \"LOW\", \"input\": \"image\"}\n",
    )
    .unwrap();
    std::fs::write(dir.join("a/p2.rego"), "package dredge.t.split\n\nimport rego.v1\n\ndeny contains \"x\" if { input.config }\n").unwrap();
    std::os::unix::fs::symlink(dir.join("a"), dir.join("linked")).unwrap();
    let none = |_: &str| false;
    // One package in two files, the directory named twice and reached through a link: one policy.
    let p = crate::rego::Policies::load(&[dir.clone(), dir.join("a")], &none).unwrap();
    assert_eq!(p.policies.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(), vec!["T-1"]);
    let (hits, warnings) = p.eval(crate::rego::InputKind::Image, &json!({"config": {}}));
    assert_eq!((hits.len(), warnings.len()), (1, 0));
    // An empty id is refused; a deny that is not a set is a warning.
    std::fs::write(
        dir.join("a/p1.rego"),
        "package dredge.t.split\n\nimport rego.v1\n\nmetadata := {\"id\": \"\", \"severity\": \"LOW\", \"input\": \"image\"}\n",
    )
    .unwrap();
    assert!(crate::rego::Policies::load(&[dir.join("a")], &none).unwrap_err().to_string().contains("metadata.id"));
    std::fs::write(
        dir.join("a/p1.rego"),
        "package dredge.t.split\n\nimport rego.v1\n\nmetadata := {\"id\": \"T-1\", \"severity\": \"LOW\", \"input\": \"image\"}\n",
    )
    .unwrap();
    std::fs::write(dir.join("a/p2.rego"), "package dredge.t.split\n\nimport rego.v1\n\ndeny := true\n").unwrap();
    let p = crate::rego::Policies::load(&[dir.join("a")], &none).unwrap();
    let (_, warnings) = p.eval(crate::rego::InputKind::Image, &json!({}));
    assert!(warnings.iter().any(|w| w.contains("must be a set")), "{warnings:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
