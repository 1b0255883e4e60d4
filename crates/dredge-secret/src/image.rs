//! Secrets in an image: the scanner plugged into the layer walk as a content scanner, and as a
//! registered scanner whose analysis turns what it found in every layer (deleted and overwritten
//! files included, with the layer that removed them), the image config and the build history
//! into findings.

use crate::{Hit, MAX_FILE, Scanner};
use dredge_layer::ContentScanner;
use dredge_model::{Fact, SecretFact};
use serde_json::Value;
use std::io::{self, Read};

fn to_fact(h: Hit) -> Fact {
    Fact::Secret(Box::new(SecretFact {
        rule: h.rule,
        title: h.title,
        severity: h.severity,
        line: h.line,
        redacted: h.redacted,
        name: h.name,
    }))
}

impl ContentScanner for Scanner {
    fn name(&self) -> &'static str {
        "secret scanning"
    }
    fn wants(&self, path: &str, head: &[u8]) -> bool {
        !self.allowed_path(path) && !crate::is_binary(head)
    }
    fn fingerprint(&self) -> String {
        self.fingerprint.clone()
    }
    fn max_file_size(&self) -> u64 {
        MAX_FILE
    }
    fn scan_bytes(&self, path: &str, data: &[u8]) -> Vec<Fact> {
        self.scan(path, data).unwrap_or_default().into_iter().map(to_fact).collect()
    }
    fn scan_stream(&self, path: &str, r: &mut dyn Read) -> io::Result<Vec<Fact>> {
        Ok(self.scan_reader(path, r)?.unwrap_or_default().into_iter().map(to_fact).collect())
    }
}

/// A string of the image config or history to scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigText {
    /// `config.Env[2]`, `config.Cmd`, `config.Entrypoint`, `config.Labels[key]`, `history[3]`.
    pub source: String,
    /// For history entries: the layer the step created, when it created one.
    pub layer: Option<usize>,
    pub text: String,
}

/// The scannable strings of an image config (OCI or Docker).
pub fn config_texts(config: &Value) -> Vec<ConfigText> {
    let mut out = Vec::new();
    let c = &config["config"];
    for (i, e) in c["Env"].as_array().into_iter().flatten().enumerate() {
        if let Some(s) = e.as_str() {
            out.push(ConfigText { source: format!("config.Env[{i}]"), layer: None, text: s.to_string() });
        }
    }
    for key in ["Cmd", "Entrypoint"] {
        let parts: Vec<&str> = c[key].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        if !parts.is_empty() {
            out.push(ConfigText { source: format!("config.{key}"), layer: None, text: parts.join(" ") });
        }
    }
    for (k, v) in c["Labels"].as_object().into_iter().flatten() {
        if let Some(v) = v.as_str() {
            out.push(ConfigText { source: format!("config.Labels[{k}]"), layer: None, text: format!("{k}={v}") });
        }
    }
    let mut layer = 0usize;
    for (i, h) in config["history"].as_array().into_iter().flatten().enumerate() {
        let empty = h["empty_layer"].as_bool() == Some(true);
        if let Some(s) = h["created_by"].as_str() {
            out.push(ConfigText { source: format!("history[{i}]"), layer: (!empty).then_some(layer), text: s.to_string() });
        }
        if !empty {
            layer += 1;
        }
    }
    out
}

/// Scans the config strings: `Env` as an environment file, history lines as build steps (where
/// `ENV`, `ARG` and `RUN` with build arguments leak values).
pub fn scan_config(scanner: &Scanner, config: &Value) -> Vec<(ConfigText, Hit)> {
    let mut out = Vec::new();
    for t in config_texts(config) {
        let pseudo = if t.source.starts_with("history") { "(history)" } else { "(config)" };
        for h in scanner.scan(pseudo, t.text.as_bytes()).unwrap_or_default() {
            out.push((t.clone(), h));
        }
    }
    out
}

/// What the secret scanner is called in flags and reports.
pub const INFO: dredge_scanner::ScannerInfo = dredge_scanner::ScannerInfo {
    id: "secret",
    key: "secrets",
    title: "Secrets",
    rule_name: "Secret",
    help: "Secrets in every file of every layer (deleted ones too), the image config and the build history",
};

const REMEDIATION: &str = "Remove it from the image and rotate it: a deleted file's content stays in its layer.";

fn severity(s: &str) -> dredge_model::Severity {
    dredge_model::Severity::parse_label(s).unwrap_or(dredge_model::Severity::Unknown)
}

impl dredge_scanner::Scanner for Scanner {
    fn info(&self) -> dredge_scanner::ScannerInfo {
        INFO
    }
    fn content(&self) -> Option<&dyn ContentScanner> {
        Some(self)
    }
    fn owns(&self, fact: &Fact) -> bool {
        matches!(fact, Fact::Secret(_))
    }
    fn analyse(&self, cx: &mut dredge_scanner::Context<'_>) -> anyhow::Result<Option<Vec<dredge_model::Finding>>> {
        use dredge_model::{Detail, Finding, Place};
        let mut out = Vec::new();
        for c in cx.content {
            let Fact::Secret(s) = &c.fact else { continue };
            let s = s.as_ref().clone();
            out.push(Finding {
                scanner: INFO.id,
                rule: s.rule,
                title: s.title,
                severity: severity(&s.severity),
                place: Place {
                    path: Some(c.path.clone()),
                    line: Some(s.line),
                    layer: cx.layer(c.layer),
                    removed_in: c.removed_in.and_then(|i| cx.layer(i)),
                    ..Place::default()
                },
                remediation: Some(REMEDIATION.into()),
                detail: Detail::Secret { redacted: s.redacted, name: s.name },
            });
        }
        // The config (`Env`, `Cmd`, `Entrypoint`, `Labels`) and the build history: a history
        // line with a secret is shown redacted everywhere the report prints it.
        if let Some(config) = cx.config {
            for (t, h) in scan_config(self, config) {
                let history = t.source.starts_with("history");
                let layer = if history { t.layer } else { None };
                if history {
                    if let Some(secret) = t.text.get(h.start as usize..h.end as usize) {
                        cx.redact.push((secret.to_string(), h.redacted.clone()));
                    }
                }
                out.push(Finding {
                    scanner: INFO.id,
                    rule: h.rule,
                    title: h.title,
                    severity: severity(&h.severity),
                    place: Place { field: Some(t.source), line: Some(h.line), layer: layer.and_then(|i| cx.layer(i)), ..Place::default() },
                    remediation: Some(REMEDIATION.into()),
                    detail: Detail::Secret { redacted: h.redacted, name: h.name },
                });
            }
        }
        Finding::sort(&mut out);
        Ok(Some(out))
    }
}
