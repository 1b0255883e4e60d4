//! The checks of an image config and its build history.

use crate::history::{Step, steps};
use regex::Regex;
use serde_json::Value;
use std::sync::LazyLock;

/// `(check id, config or history field, layer, evidence)`.
pub type Hit = (&'static str, String, Option<usize>, Option<String>);

/// Ports an image should not expose, with what listens there.
const SENSITIVE_PORTS: &[(u16, &str)] = &[
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

// The patterns are literals, tested to compile (`tests::patterns_compile`).
#[allow(clippy::unwrap_used)]
static PIPE_TO_SHELL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        \b(?:curl|wget)\b[^|;&\n]*\|\s*(?:sudo\s+(?:-\S+\s+)*)?(?:\S*/)?(?:env\s+)?(?:sh|bash|zsh|ash|dash|ksh|python[0-9.]*|perl|ruby|node)\b
        | \b(?:sh|bash|zsh)\b[^;&|\n]*(?:\$\(|<\(|`)\s*(?:curl|wget)\b",
    )
    .unwrap()
});
#[allow(clippy::unwrap_used)]
static SECRET_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(passw(or)?d|passwd|secret|token|api_?key|access_?key|private_?key|credential|auth_?key|client_?secret)").unwrap()
});
#[allow(clippy::unwrap_used)]
static WORLD_WRITABLE_SYMBOLIC: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[ugoa]*[oa][ugoa]*[+=][rwxXst]*w").unwrap());

/// Everything the checks find in `config` (an OCI or Docker image config).
pub fn check_config(config: &Value) -> Vec<Hit> {
    let mut out = Vec::new();
    let c = &config["config"];
    let steps = steps(config);
    let step_field = |s: &Step| format!("history[{}]", s.index);

    // DRG-IMG-001: the user the container starts as.
    let user = c["User"].as_str().unwrap_or("").trim();
    let name = user.split(':').next().unwrap_or("");
    if name.is_empty() || name == "root" || name == "0" {
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
    for s in &steps {
        let field = step_field(s);
        match s.instruction.as_str() {
            "ADD" => {
                let src = s.args.split_whitespace().find(|a| !a.starts_with("--"));
                if let Some(src) = src.filter(|a| a.starts_with("http://") || a.starts_with("https://")) {
                    if !s.args.contains("--checksum=") {
                        out.push(("DRG-IMG-004", field.clone(), s.layer, Some(format!("ADD {src}"))));
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
            "RUN" => run_checks(s, &field, pip_no_cache, &mut secret_args, &mut out),
            _ => {}
        }
    }
    out
}

fn run_checks(s: &Step, field: &str, pip_no_cache: bool, secret_args: &mut std::collections::HashSet<String>, out: &mut Vec<Hit>) {
    let mut hit = |id: &'static str, evidence: String| out.push((id, field.to_string(), s.layer, Some(evidence)));
    for (name, _) in &s.build_args {
        if secret_name(name) && !secret_args.contains(name) {
            hit("DRG-IMG-016", format!("build argument {name}=… (stored in the history of this RUN)"));
            secret_args.insert(name.clone());
        }
    }
    let cmd = s.args.as_str();
    if let Some(m) = PIPE_TO_SHELL.find(cmd) {
        hit("DRG-IMG-005", shorten(m.as_str()));
    }
    for words in commands(cmd) {
        let w: Vec<&str> = words.iter().map(String::as_str).collect();
        let Some(&first) = w.first() else { continue };
        match first {
            "sudo" => hit("DRG-IMG-014", shorten(&w.join(" "))),
            "chmod" => {
                if let Some(mode) = w[1..].iter().find(|a| !a.starts_with('-')) {
                    if world_writable(mode) {
                        hit("DRG-IMG-015", shorten(&w.join(" ")));
                    }
                }
            }
            "apt-get" | "apt" if w.contains(&"install") => {
                if !cmd.contains("/var/lib/apt/lists") {
                    hit("DRG-IMG-006", shorten(&w.join(" ")));
                }
                let unpinned = packages(&w, "install", &["-o", "-t", "--target-release"]);
                let unpinned: Vec<&str> = unpinned.into_iter().filter(|p| !p.contains('=') && !p.ends_with(".deb")).collect();
                if !unpinned.is_empty() {
                    hit("DRG-IMG-007", format!("unpinned: {}", unpinned.join(" ")));
                }
            }
            "apk" if w.contains(&"add") => {
                if !w.contains(&"--no-cache") && !cmd.contains("/var/cache/apk") {
                    hit("DRG-IMG-008", shorten(&w.join(" ")));
                }
                let unpinned = packages(&w, "add", &["-t", "--virtual", "-X", "--repository", "--root", "-p"]);
                let unpinned: Vec<&str> =
                    unpinned.into_iter().filter(|p| !p.contains('=') && !p.contains('~') && !p.ends_with(".apk")).collect();
                if !unpinned.is_empty() {
                    hit("DRG-IMG-009", format!("unpinned: {}", unpinned.join(" ")));
                }
            }
            "yum" | "dnf" | "microdnf" if w.contains(&"install") => {
                let cleaned = ["yum clean all", "dnf clean all", "microdnf clean all", "/var/cache/yum", "/var/cache/dnf"]
                    .iter()
                    .any(|c| cmd.contains(c));
                if !cleaned {
                    hit("DRG-IMG-010", shorten(&w.join(" ")));
                }
            }
            _ => {}
        }
        // pip, also as `python -m pip`.
        let pip_at = if first.starts_with("pip") {
            Some(0)
        } else if first.starts_with("python") && w.get(1) == Some(&"-m") && w.get(2).is_some_and(|p| p.starts_with("pip")) {
            Some(2)
        } else {
            None
        };
        if let Some(at) = pip_at {
            let w = &w[at..];
            if w.get(1) == Some(&"install") {
                if !pip_no_cache && !w.contains(&"--no-cache-dir") {
                    hit("DRG-IMG-011", shorten(&w.join(" ")));
                }
                let takes_value = [
                    "-r",
                    "--requirement",
                    "-c",
                    "--constraint",
                    "-e",
                    "--editable",
                    "-i",
                    "--index-url",
                    "--extra-index-url",
                    "-f",
                    "--find-links",
                    "--target",
                    "-t",
                    "--prefix",
                    "--root",
                ];
                if !w.iter().any(|a| ["-r", "--requirement"].contains(a)) {
                    let unpinned: Vec<&str> = packages(w, "install", &takes_value)
                        .into_iter()
                        .filter(|p| {
                            !["==", "~=", ">=", "<=", "<", ">", "@", "/", ".whl", ".tar.gz", ".zip"].iter().any(|m| p.contains(m))
                                && *p != "."
                        })
                        .filter(|p| !(p.starts_with("pip") && w.contains(&"--upgrade") && p.len() <= 4))
                        .collect();
                    if !unpinned.is_empty() {
                        hit("DRG-IMG-012", format!("unpinned: {}", unpinned.join(" ")));
                    }
                }
            }
        }
        if first == "npm" && w.get(1).is_some_and(|a| ["install", "i", "add"].contains(a)) {
            let verb = w[1];
            let unpinned: Vec<&str> = packages(&w, verb, &["--registry", "--prefix", "--tag"])
                .into_iter()
                .filter(|p| !p.starts_with('.') && !p.starts_with('/') && !p.contains(':') && !p.trim_start_matches('@').contains('@'))
                .collect();
            if !unpinned.is_empty() {
                hit("DRG-IMG-013", format!("unpinned: {}", unpinned.join(" ")));
            }
        }
    }
}

/// The words after `verb` that are not options (nor the values of `takes_value` options).
fn packages<'a>(w: &[&'a str], verb: &str, takes_value: &[&str]) -> Vec<&'a str> {
    let Some(at) = w.iter().position(|a| *a == verb) else { return Vec::new() };
    let mut out = Vec::new();
    let mut skip = false;
    for a in &w[at + 1..] {
        if skip {
            skip = false;
            continue;
        }
        if a.starts_with('-') {
            skip = takes_value.contains(a);
            continue;
        }
        if a.starts_with('$') || a.contains("$(") || a.contains('`') {
            continue; // from a variable or a command: cannot be judged
        }
        out.push(*a);
    }
    out
}

/// The simple commands of a shell line, as words (quotes removed, no expansion): split at `&&`,
/// `||`, `;`, `|`, `&` and newlines. Enough for the checks; not a shell.
pub(crate) fn commands(cmd: &str) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = vec![Vec::new()];
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut chars = cmd.chars().peekable();
    let end_word = |word: &mut String, out: &mut Vec<Vec<String>>| {
        if !word.is_empty() {
            if let Some(last) = out.last_mut() {
                last.push(std::mem::take(word));
            }
        }
    };
    while let Some(ch) = chars.next() {
        match (quote, ch) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => quote = Some(ch),
            (None, '\\') => {
                // A line continuation joins; an escaped character is kept.
                match chars.next() {
                    Some('\n') | None => {}
                    Some(c) => word.push(c),
                }
            }
            (None, ';' | '&' | '|' | '\n' | '(' | ')') => {
                end_word(&mut word, &mut out);
                if out.last().is_some_and(|l| !l.is_empty()) {
                    out.push(Vec::new());
                }
            }
            (None, c) if c.is_whitespace() => end_word(&mut word, &mut out),
            (None, c) => word.push(c),
        }
    }
    end_word(&mut word, &mut out);
    out.retain(|c| !c.is_empty());
    // `env A=1 cmd`, `A=1 cmd`, `exec cmd`, `time cmd`: judge the command itself.
    for c in &mut out {
        while c.first().is_some_and(|w| w.contains('=') && !w.starts_with('-') || ["env", "exec", "time", "nohup"].contains(&w.as_str())) {
            c.remove(0);
        }
    }
    out.retain(|c| !c.is_empty());
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

fn secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    // A name that holds where a secret is, not the secret.
    let pointer =
        ["_FILE", "_PATH", "_DIR", "_URL", "_ENDPOINT", "_HEADER", "_NAME", "_TYPE", "_LENGTH"].iter().any(|s| upper.ends_with(s));
    SECRET_NAME.is_match(name) && !pointer
}

/// Octal modes with the write bit for others, or symbolic ones granting it.
pub(crate) fn world_writable(mode: &str) -> bool {
    if !mode.is_empty() && mode.len() <= 4 && mode.chars().all(|c| ('0'..='7').contains(&c)) {
        return mode.chars().last().and_then(|c| c.to_digit(8)).is_some_and(|d| d & 2 != 0) && mode.len() >= 3;
    }
    mode.split(',').any(|m| WORLD_WRITABLE_SYMBOLIC.is_match(m))
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

fn shorten(s: &str) -> String {
    let s = s.trim();
    if s.chars().count() <= 120 { s.to_string() } else { format!("{}…", s.chars().take(119).collect::<String>()) }
}
