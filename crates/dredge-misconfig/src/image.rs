//! The checks of an image config and its build history.

use crate::history::{Step, steps};
use crate::run::{RunCtx, check_run, shorten};
use regex::Regex;
use serde_json::Value;
use std::sync::LazyLock;

/// `(check id, config or history field, layer, evidence)`.
pub type Hit = (&'static str, String, Option<usize>, Option<String>);

/// Ports an image should not expose, with what listens there.
pub(crate) const SENSITIVE_PORTS: &[(u16, &str)] = &[
    (21, "FTP"),
    (22, "SSH"),
    (23, "Telnet"),
    (2375, "the Docker API, unencrypted"),
    (2376, "the Docker API"),
    (3389, "RDP"),
    (5900, "VNC"),
    (1433, "SQL Server"),
    (1521, "Oracle Database"),
    (2379, "etcd"),
    (3306, "MySQL"),
    (5432, "PostgreSQL"),
    (5984, "CouchDB"),
    (6379, "Redis"),
    (9200, "Elasticsearch"),
    (11211, "memcached"),
    (27017, "MongoDB"),
];

#[allow(clippy::unwrap_used)]
static SECRET_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(passw(or)?d|passwd|secret|token|api_?key|access_?key|private_?key|credential|auth_?key|client_?secret)").unwrap()
});
/// Everything the checks find in `config` (an OCI or Docker image config).
pub fn check_config(config: &Value) -> Vec<Hit> {
    let mut out = Vec::new();
    let c = &config["config"];
    let steps = steps(config);
    let step_field = |s: &Step| format!("history[{}]", s.index);

    // DRG-IMG-001: the user the container starts as.
    let user = c["User"].as_str().unwrap_or("").trim();
    if crate::run::is_root_user(user) {
        let last_user = steps.iter().rev().find(|s| s.instruction == "USER");
        let evidence = if user.is_empty() { "no USER: runs as root".to_string() } else { format!("USER {user}") };
        match last_user {
            Some(s) if !user.is_empty() => out.push(("DRG-IMG-001", step_field(s), s.layer, Some(evidence))),
            _ => out.push(("DRG-IMG-001", "config.User".into(), None, Some(evidence))),
        }
    }

    // DRG-IMG-002: a health check (a HEALTHCHECK NONE counts as none).
    let hc = &c["Healthcheck"]["Test"];
    let disabled = hc.as_array().and_then(|a| a.first()).and_then(Value::as_str) == Some("NONE");
    if hc.is_null() || disabled {
        out.push((
            "DRG-IMG-002",
            "config.Healthcheck".into(),
            None,
            Some(if disabled { "HEALTHCHECK NONE" } else { "no HEALTHCHECK" }.into()),
        ));
    }

    // DRG-IMG-003: exposed ports, pointed at the EXPOSE step that added them when the history has it.
    for key in c["ExposedPorts"].as_object().into_iter().flat_map(|m| m.keys()) {
        let port: Option<u16> = key.split('/').next().and_then(|p| p.parse().ok());
        let Some((port, what)) = port.and_then(|p| SENSITIVE_PORTS.iter().find(|(q, _)| *q == p)) else { continue };
        let step = steps.iter().find(|s| s.instruction == "EXPOSE" && mentions_port(&s.args, *port));
        let evidence = Some(format!("EXPOSE {key} ({what})"));
        match step {
            Some(s) => out.push(("DRG-IMG-003", step_field(s), s.layer, evidence)),
            None => out.push(("DRG-IMG-003", format!("config.ExposedPorts[{key}]"), None, evidence)),
        }
    }

    // DRG-IMG-016 (ENV): names that look like secrets, whose value is set.
    for (i, e) in c["Env"].as_array().into_iter().flatten().enumerate() {
        let Some((name, value)) = e.as_str().and_then(|e| e.split_once('=')) else { continue };
        if secret_name(name) && !value.is_empty() {
            out.push(("DRG-IMG-016", format!("config.Env[{i}]"), None, Some(format!("ENV {name}=…"))));
        }
    }
    let pip_no_cache = c["Env"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .any(|e| e.split_once('=').is_some_and(|(n, v)| n == "PIP_NO_CACHE_DIR" && !matches!(v, "" | "0" | "false" | "off" | "no")));

    // DRG-IMG-017: the base image, when the builder recorded it.
    let base_label = "org.opencontainers.image.base.name";
    if let Some(base) = c["Labels"][base_label].as_str() {
        if unpinned_reference(base) {
            out.push(("DRG-IMG-017", format!("config.Labels[{base_label}]"), None, Some(format!("FROM {base}"))));
        }
    }

    let mut secret_args: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut wget_steps: Vec<&Step> = Vec::new();
    let mut curl_step: Option<usize> = None;
    for s in &steps {
        let field = step_field(s);
        match s.instruction.as_str() {
            "ADD" => {
                let src = s.args.split_whitespace().find(|a| !a.starts_with("--"));
                if let Some(src) = src.filter(|a| a.starts_with("http://") || a.starts_with("https://")) {
                    if !s.args.contains("--checksum=") {
                        out.push(("DRG-IMG-004", field.clone(), s.layer, Some(crate::run::redact(&format!("ADD {src}")))));
                    }
                }
            }
            "ARG" => {
                let name = s.args.split(['=', ' ']).next().unwrap_or("").to_string();
                // An ARG with a default value stores it; one without is harmless until a RUN uses it.
                if secret_name(&name) && s.args.contains('=') && !secret_args.contains(&name) {
                    out.push(("DRG-IMG-016", field.clone(), s.layer, Some(format!("ARG {name}=…"))));
                    secret_args.insert(name);
                }
            }
            "RUN" => {
                for (name, _) in &s.build_args {
                    if secret_name(name) && !secret_args.contains(name) {
                        out.push((
                            "DRG-IMG-016",
                            field.clone(),
                            s.layer,
                            Some(format!("build argument {name}=… (stored in the history of this RUN)")),
                        ));
                        secret_args.insert(name.clone());
                    }
                }
                let cx = RunCtx { pip_no_cache, secret_mount: false };
                let u = check_run(&s.args, cx, &mut |id, evidence| out.push((id, field.clone(), s.layer, Some(evidence))));
                if u.wget {
                    wget_steps.push(s);
                }
                curl_step = curl_step.or(u.curl.then_some(s.index));
            }
            "MAINTAINER" => out.push(("DRG-IMG-026", field.clone(), s.layer, Some(shorten(&format!("MAINTAINER {}", s.args))))),
            _ => {}
        }
    }
    // DRG-IMG-025: wget and curl both, reported where wget is used.
    if let Some(c) = curl_step {
        for s in wget_steps {
            out.push(("DRG-IMG-025", step_field(s), s.layer, Some(format!("wget here, curl in history[{c}]"))));
        }
    }
    out
}

/// `(NAME=value, NAME=***)` for every build argument or ARG default with a secret-looking name
/// and a value of 8 characters or more: the report prints the history (each layer's
/// `created_by`), and these values must not appear in it.
pub fn redactions(config: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for s in steps(config) {
        let mut pairs = s.build_args.clone();
        if s.instruction == "ARG" {
            if let Some((n, v)) = s.args.split_once('=') {
                pairs.push((n.trim().to_string(), v.trim().to_string()));
            }
        }
        for (name, value) in pairs {
            if secret_name(&name) && value.chars().count() >= 8 && !value.starts_with('$') {
                let pair = (format!("{name}={value}"), format!("{name}=***"));
                if seen.insert(pair.clone()) {
                    out.push(pair);
                }
            }
        }
    }
    out
}

fn mentions_port(args: &str, port: u16) -> bool {
    args.split(|c: char| !c.is_ascii_digit()).any(|n| n.parse::<u16>().ok() == Some(port))
}

pub(crate) fn secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    // A name that holds where a secret is, not the secret.
    let pointer =
        ["_FILE", "_PATH", "_DIR", "_URL", "_ENDPOINT", "_HEADER", "_NAME", "_TYPE", "_LENGTH"].iter().any(|s| upper.ends_with(s));
    SECRET_NAME.is_match(name) && !pointer
}

/// `debian`, `debian:latest`, `docker.io/library/debian:latest`: no version chosen.
pub(crate) fn unpinned_reference(r: &str) -> bool {
    if r.contains('@') {
        return false;
    }
    let last = r.rsplit('/').next().unwrap_or(r);
    match last.split_once(':') {
        None => true,
        Some((_, tag)) => tag == "latest",
    }
}
