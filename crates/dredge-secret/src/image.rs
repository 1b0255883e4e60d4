//! Secrets in an image: the scanner plugged into the layer walk, the findings taken out of every
//! layer (deleted and overwritten files included, with the layer that removed them), and the
//! image config and build history.

use crate::{Hit, MAX_FILE, Scanner};
use dredge_layer::{ContentScanner, LayerFacts, path_hash};
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

/// A secret in a file of a layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSecret {
    /// Absolute path in the image.
    pub path: String,
    /// The layer that wrote the file.
    pub layer: usize,
    /// The first later layer that deleted or replaced the file (the secret is still in the image).
    pub removed_in: Option<usize>,
    pub secret: SecretFact,
}

fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/').map(move |(i, _)| &path[..i])
}

/// Takes the secret facts out of every layer (they are not part of the merged view: a deleted
/// file's secret still ships with the image) and says which later layer removed each file.
pub fn collect(layers: &mut [LayerFacts]) -> Vec<FileSecret> {
    let mut found: Vec<(usize, String, SecretFact)> = Vec::new();
    for (i, l) in layers.iter_mut().enumerate() {
        for (path, ff) in l.files.iter_mut() {
            let mut kept = Vec::with_capacity(ff.facts.len());
            for f in ff.facts.drain(..) {
                match f {
                    Fact::Secret(s) => found.push((i, path.clone(), *s)),
                    other => kept.push(other),
                }
            }
            ff.facts = kept;
        }
    }
    let mut out: Vec<FileSecret> = found
        .into_iter()
        .map(|(i, path, secret)| {
            let h = path_hash(&path);
            let removed_in = layers.iter().enumerate().skip(i + 1).find_map(|(j, l)| {
                let deleted = l.whiteouts.iter().any(|w| *w == path || ancestors(&path).any(|a| a == w))
                    || l.opaque_dirs.iter().any(|d| d.is_empty() || ancestors(&path).any(|a| a == d));
                let rewritten = l.written.binary_search(&h).is_ok();
                (deleted || rewritten).then_some(j)
            });
            FileSecret { path: format!("/{path}"), layer: i, removed_in, secret }
        })
        .collect();
    out.sort_by(|a, b| (a.layer, &a.path, a.secret.line, &a.secret.rule).cmp(&(b.layer, &b.path, b.secret.line, &b.secret.rule)));
    out
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
