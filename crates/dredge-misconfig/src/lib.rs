//! Misconfigurations: how the image was built and how it will run, judged from its config and
//! build history (no Dockerfile needed), setuid/setgid files from the layers' tar headers, and the
//! Dockerfiles (`dockerfile.rs`, `dfcheck.rs`) and Kubernetes manifests (`k8s.rs`) in the image, a
//! tree, or given to `dredge config`. Registered as the `misconfig` scanner; every check has a
//! stable id (`DRG-IMG-001` …), listed with why it matters and how to fix it in `checks.rs` and
//! `docs/misconfig.md`.

pub mod checks;
pub mod dockerfile;
pub use dfcheck::check_dockerfile;
pub mod dfcheck;
pub mod history;
mod image;
pub mod k8s;
pub mod rego;
mod run;

pub use checks::{CHECKS, Check};
use dredge_model::{ContentHit, Detail, Fact, Finding, Place, ScannerInfo, Severity};
pub use image::{Hit, check_config, redactions};
use rego::{InputKind, Policies};
use std::io::Read as _;
use std::sync::Arc;

pub const INFO: ScannerInfo = ScannerInfo {
    id: "misconfig",
    key: "misconfigurations",
    title: "Misconfigurations",
    rule_name: "Misconfiguration",
    help: "misconfigurations of the image (root user, exposed admin ports, unverified downloads, unpinned or uncleaned installs, sudo, world-writable and setuid files, secrets in build args) and of the Dockerfiles and Kubernetes manifests it holds (docs/misconfig.md)",
};

/// The misconfiguration scanner: every check, less the disabled ones, at its own severity or the
/// one the config sets.
#[derive(Debug, Default)]
pub struct Scanner {
    disabled: Vec<String>,
    severity: std::collections::BTreeMap<String, Severity>,
    dockerfiles: Dockerfiles,
    policies: Option<Arc<Policies>>,
}

/// The layer pass's part: every Dockerfile (and Containerfile) and Kubernetes manifest is parsed
/// and checked where it is read; the hits are cached with the layer and become findings after the
/// merge.
#[derive(Debug, Default)]
pub struct Dockerfiles {
    policies: Option<Arc<Policies>>,
}

/// Directories of third-party code: a Dockerfile a dependency ships is not the image's.
const DEPENDENCY_DIRS: &[&str] =
    &["/node_modules/", "/site-packages/", "/dist-packages/", "/vendor/", "/go/pkg/mod/", "/.cargo/registry/", "/usr/share/doc/", "/gems/"];

/// `Dockerfile`, `Containerfile`, `Dockerfile.prod`, `api.Dockerfile` (any case). `exact`: the
/// name cannot be anything else (a parse error is then worth a warning).
pub fn dockerfile_name(path: &str) -> Option<bool> {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    if name == "dockerfile" || name == "containerfile" || name.ends_with(".dockerfile") || name.ends_with(".containerfile") {
        return Some(true);
    }
    (name.starts_with("dockerfile.") || name.starts_with("containerfile.")).then_some(false)
}

impl dredge_scanner::ContentScanner for Dockerfiles {
    fn name(&self) -> &'static str {
        "misconfiguration scanning"
    }
    fn fingerprint(&self) -> String {
        // The checks are the code: any change to the parser or a check re-reads cached layers
        // (a count of checks missed a changed check), as does a changed policy.
        format!("config-checks-3:{:016x}:{}", code_hash(), self.policies.as_ref().map_or("", |p| p.fingerprint.as_str()))
    }
    fn max_file_size(&self) -> u64 {
        dockerfile::MAX_DOCKERFILE as u64
    }
    fn wants(&self, path: &str, head: &[u8]) -> bool {
        let p = format!("/{}", path.trim_start_matches('/'));
        // A file named exactly like a Dockerfile is read whatever it holds (a warning says why it
        // could not be checked); `Dockerfile.bin` only when it looks like text.
        if DEPENDENCY_DIRS.iter().any(|d| p.contains(d)) {
            return false;
        }
        match dockerfile_name(&p) {
            Some(exact) => exact || !head.contains(&0),
            // Kubernetes manifests: YAML or JSON that says `apiVersion` and `kind` early.
            None => manifest_name(&p) && has(head, b"apiVersion") && has(head, b"kind"),
        }
    }
    fn scan_bytes(&self, path: &str, data: &[u8]) -> Vec<Fact> {
        config_facts(path, data, self.policies.as_deref())
    }
    fn scan_stream(&self, path: &str, r: &mut dyn std::io::Read) -> std::io::Result<Vec<Fact>> {
        let mut data = Vec::new();
        std::io::Read::take(r, dockerfile::MAX_DOCKERFILE as u64 + 1).read_to_end(&mut data)?;
        Ok(config_facts(path, &data, self.policies.as_deref()))
    }
    /// A named file is a Kubernetes manifest when its name or its content (`apiVersion` and
    /// `kind`) says so, else a Dockerfile whatever its name: one that does not parse, or holds no
    /// instruction, is a warning.
    fn scan_named(&self, path: &str, data: &[u8]) -> Vec<Fact> {
        let p = format!("/{}", path.trim_start_matches('/'));
        let pol = self.policies.as_deref();
        let problem = |f: &[Fact]| f.iter().any(|f| matches!(f, Fact::Problem { .. }));
        // What the content says wins over the name (a Pod saved as `Dockerfile`): a manifest has
        // `apiVersion` and `kind` as keys at the start of a line; a Dockerfile that merely
        // writes such lines (a heredoc) does not parse as one, and is then read as a Dockerfile.
        let keys =
            |k: &[u8]| data.split(|b| *b == b'\n').any(|l| l.starts_with(k) || l.trim_ascii_start().starts_with(&[b"\"", k].concat()));
        if manifest_name(&p) || (keys(b"apiVersion") && keys(b"kind")) {
            // A template (Helm's `{{ … }}`) is skipped in a tree; named, it must say so.
            let m = if has(data, b"{{") {
                vec![Fact::Problem {
                    message: "holds template expressions ({{ … }}): render it first (`helm template`) to check it; not checked".into(),
                }]
            } else {
                manifest_facts(path, data, pol)
            };
            if !problem(&m) || manifest_name(&p) {
                return m;
            }
            let d = dockerfile_facts_as(path, data, pol, true);
            // Neither: say why for both readings.
            return if problem(&d) { m.into_iter().chain(d).collect() } else { d };
        }
        dockerfile_facts_as(path, data, pol, true)
    }
}

/// A hash of the source of everything that turns a file into findings (FNV-1a, stable across
/// builds and platforms), computed once.
fn code_hash() -> u64 {
    static HASH: std::sync::LazyLock<u64> = std::sync::LazyLock::new(|| {
        let sources = [
            include_str!("lib.rs"),
            include_str!("checks.rs"),
            include_str!("dockerfile.rs"),
            include_str!("dfcheck.rs"),
            include_str!("run.rs"),
            include_str!("k8s.rs"),
            include_str!("rego.rs"),
        ];
        let mut h: u64 = 0xcbf29ce484222325;
        for b in sources.iter().flat_map(|s| s.bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x100000001b3);
        }
        h
    });
    *HASH
}

fn has(hay: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(hay, needle).is_some()
}

/// `*.yaml`, `*.yml`, `*.json` (any case).
pub fn manifest_name(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    [".yaml", ".yml", ".json"].iter().any(|e| name.ends_with(e))
}

/// The findings of one configuration file: a Kubernetes manifest by its extension, else a
/// Dockerfile.
pub fn config_facts(path: &str, data: &[u8], policies: Option<&Policies>) -> Vec<Fact> {
    if manifest_name(path) { manifest_facts(path, data, policies) } else { dockerfile_facts(path, data, policies) }
}

/// A check's or a custom policy's hit on a line of a file, as a fact (its metadata is looked up
/// again after the merge, where the config applies).
fn content_fact(rule: String, title: &str, severity: Severity, line: usize, evidence: String) -> Fact {
    Fact::Hit(Box::new(ContentHit {
        scanner: INFO.id.into(),
        rule,
        title: title.into(),
        severity,
        line: u32::try_from(line).unwrap_or(u32::MAX),
        evidence: Some(evidence),
    }))
}

/// Runs the custom policies of `kind` on `input`; their results and failures as facts.
fn policy_facts(policies: Option<&Policies>, kind: InputKind, input: &serde_json::Value, default_line: usize, out: &mut Vec<Fact>) {
    let Some(p) = policies.filter(|p| p.wants(kind)) else { return };
    let (hits, warnings) = p.eval(kind, input);
    for h in hits {
        if let Some(meta) = p.get(&h.id) {
            out.push(content_fact(h.id.clone(), &meta.title, meta.severity, h.line.unwrap_or(default_line), h.msg));
        }
    }
    out.extend(warnings.into_iter().map(|message| Fact::Problem { message }));
}

fn hit_fact(id: &'static str, line: usize, evidence: String) -> Option<Fact> {
    let c = checks::check(id)?;
    Some(content_fact(id.into(), c.title, c.severity, line, evidence))
}

/// The hits of a Kubernetes manifest (every document) as facts; one that does not parse is a
/// problem (a warning) naming the line. Helm templates (`{{ … }}`) are not YAML until rendered:
/// skipped.
pub fn manifest_facts(path: &str, data: &[u8], policies: Option<&Policies>) -> Vec<Fact> {
    if has(data, b"{{") {
        return Vec::new();
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return vec![Fact::Problem { message: "a Kubernetes manifest that is not UTF-8 text; not checked".into() }];
    };
    match k8s::check_manifests(text) {
        Ok(hits) => {
            let mut out: Vec<Fact> = hits.into_iter().filter_map(|(id, line, evidence)| hit_fact(id, line, evidence)).collect();
            if policies.is_some_and(|p| p.wants(InputKind::Kubernetes)) {
                for (index, line, document) in k8s::documents(text) {
                    let input = serde_json::json!({"path": format!("/{}", path.trim_start_matches('/')), "index": index, "line": line, "document": document});
                    policy_facts(policies, InputKind::Kubernetes, &input, line, &mut out);
                }
            }
            out
        }
        Err(e) => vec![Fact::Problem { message: format!("Kubernetes manifest not checked: {e}") }],
    }
}

/// The hits of one Dockerfile as facts; a file that does not parse is a problem (a warning)
/// when its name says it is a Dockerfile, and nothing otherwise (`dockerfile.go`).
pub fn dockerfile_facts(path: &str, data: &[u8], policies: Option<&Policies>) -> Vec<Fact> {
    let exact = dockerfile_name(&format!("/{}", path.trim_start_matches('/'))) == Some(true);
    dockerfile_facts_as(path, data, policies, exact)
}

/// `exact`: the file is known to be a Dockerfile (its name, or the user named it), so what keeps
/// it from being checked is a warning.
fn dockerfile_facts_as(path: &str, data: &[u8], policies: Option<&Policies>, exact: bool) -> Vec<Fact> {
    let problem = |message: String| if exact { vec![Fact::Problem { message }] } else { Vec::new() };
    let Ok(text) = std::str::from_utf8(data) else { return problem("a Dockerfile that is not UTF-8 text; not checked".into()) };
    match dockerfile::parse(text) {
        Ok(df) if df.stages.is_empty() => problem("no Dockerfile instruction (FROM …) in it; not checked".into()),
        Ok(df) => {
            let mut out: Vec<Fact> =
                dfcheck::check_dockerfile(&df).into_iter().filter_map(|(id, line, evidence)| hit_fact(id, line, evidence)).collect();
            if policies.is_some_and(|p| p.wants(InputKind::Dockerfile)) {
                let input = dockerfile::policy_input(&format!("/{}", path.trim_start_matches('/')), &df);
                let first = df.stages.first().map_or(1, |s| s.line);
                policy_facts(policies, InputKind::Dockerfile, &input, first, &mut out);
            }
            out
        }
        Err(e) => problem(format!("Dockerfile not checked: {e}")),
    }
}

/// `--misconfig-config FILE` (YAML):
///
/// ```yaml
/// disable: [DRG-IMG-002]          # checks that do not apply here
/// severity:                       # a check's severity, overridden
///   DRG-IMG-003: HIGH
/// ```
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub disable: Vec<String>,
    #[serde(default)]
    pub severity: std::collections::BTreeMap<String, String>,
}

/// A config that cannot be used: the file and what is wrong, for the user to fix.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {msg}")]
pub struct ConfigError {
    pub path: String,
    pub msg: String,
}

impl Scanner {
    /// Every check at its own severity.
    pub fn builtin() -> Scanner {
        Scanner::default()
    }

    /// The checks as `cfg` sets them; an unknown check id or severity is an error (a typo must not
    /// silently keep a check on).
    pub fn new(cfg: &Config, path: &str) -> Result<Scanner, ConfigError> {
        Scanner::with_policies(cfg, path, None)
    }

    /// The checks as `cfg` sets them, and the custom `policies` (their ids may be configured too).
    pub fn with_policies(cfg: &Config, path: &str, policies: Option<Policies>) -> Result<Scanner, ConfigError> {
        let bad = |msg: String| ConfigError { path: path.to_string(), msg };
        let known = |id: &str| checks::check(id).is_some() || policies.as_ref().is_some_and(|p| p.get(id).is_some());
        for id in cfg.disable.iter().chain(cfg.severity.keys()) {
            if !known(id) {
                return Err(bad(format!("no check {id:?} (the checks: docs/misconfig.md)")));
            }
        }
        let mut severity = std::collections::BTreeMap::new();
        for (id, s) in &cfg.severity {
            let levels = [Severity::Critical, Severity::High, Severity::Medium, Severity::Low, Severity::Unknown];
            let Some(sev) = levels.into_iter().find(|l| l.as_str().eq_ignore_ascii_case(s)) else {
                return Err(bad(format!("{id}: severity {s:?} is not CRITICAL, HIGH, MEDIUM, LOW or UNKNOWN")));
            };
            severity.insert(id.clone(), sev);
        }
        let policies = policies.map(Arc::new);
        Ok(Scanner { disabled: cfg.disable.clone(), severity, dockerfiles: Dockerfiles { policies: policies.clone() }, policies })
    }

    /// Loads a YAML config file (and the custom policies).
    pub fn from_file(path: &std::path::Path, policies: Option<Policies>) -> Result<Scanner, ConfigError> {
        let shown = path.display().to_string();
        let bad = |msg: String| ConfigError { path: shown.clone(), msg };
        let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
        if text.len() > 1 << 20 {
            return Err(bad("larger than 1 MiB; not a misconfiguration config".into()));
        }
        let cfg: Config = serde_saphyr::from_str(&text).map_err(|e| bad(format!("invalid YAML: {e}")))?;
        Scanner::with_policies(&cfg, &shown, policies)
    }
}

impl Scanner {
    /// The finding of check `id` at `place`, with what triggered it, at the configured severity;
    /// `None` when the config disables the check.
    fn finding(&self, id: &str, place: Place, evidence: Option<String>) -> Option<Finding> {
        if self.disabled.iter().any(|d| d == id) {
            return None;
        }
        let Some(c) = checks::check(id) else {
            // A custom policy's finding, described by its metadata.
            let p = self.policies.as_ref()?.get(id)?;
            return Some(Finding {
                scanner: INFO.id,
                rule: p.id.clone(),
                title: p.title.clone(),
                severity: self.severity.get(id).copied().unwrap_or(p.severity),
                place,
                remediation: (!p.remediation.is_empty()).then(|| p.remediation.clone()),
                detail: Detail::Check { description: p.description.clone(), references: p.references.clone(), evidence },
            });
        };
        Some(Finding {
            scanner: INFO.id,
            rule: c.id.to_string(),
            title: c.title.to_string(),
            severity: self.severity.get(id).copied().unwrap_or(c.severity),
            place,
            remediation: Some(c.fix.to_string()),
            detail: Detail::Check { description: c.why.to_string(), references: vec![c.reference.to_string()], evidence },
        })
    }
}

impl dredge_scanner::Scanner for Scanner {
    fn info(&self) -> ScannerInfo {
        INFO
    }
    fn content(&self) -> Option<&dyn dredge_scanner::ContentScanner> {
        Some(&self.dockerfiles)
    }
    /// The layer pass marks setuid/setgid files from their headers (no content read), and checks
    /// Dockerfiles.
    fn owns(&self, fact: &Fact) -> bool {
        matches!(fact, Fact::SetId { .. }) || matches!(fact, Fact::Hit(h) if h.scanner == INFO.id)
    }
    fn analyse(&self, cx: &mut dredge_scanner::Context<'_>) -> anyhow::Result<Option<Vec<Finding>>> {
        let mut out = Vec::new();
        if let Some(config) = cx.config {
            cx.redact.extend(image::redactions(config));
            if let Some(p) = self.policies.as_deref().filter(|p| p.wants(InputKind::Image)) {
                let history: Vec<serde_json::Value> = history::steps(config)
                    .into_iter()
                    .map(|s| serde_json::json!({"index": s.index, "layer": s.layer, "instruction": s.instruction, "args": s.args}))
                    .collect();
                let input = serde_json::json!({"config": config, "history": history});
                let (hits, warnings) = p.eval(InputKind::Image, &input);
                for h in hits {
                    out.extend(self.finding(&h.id, Place { field: Some("config".into()), ..Place::default() }, Some(h.msg)));
                }
                cx.report.warnings.extend(warnings.into_iter().map(|message| dredge_model::Warning { path: None, layer: None, message }));
            }
            for (id, field, layer, evidence) in image::check_config(config) {
                let layer = layer.and_then(|i| cx.layer(i));
                out.extend(self.finding(id, Place { field: Some(field), layer, ..Place::default() }, evidence));
            }
        }
        // Dockerfiles in the image or the tree, deleted ones too (they still ship).
        for c in cx.content {
            let Fact::Hit(h) = &c.fact else { continue };
            let place = Place {
                path: Some(c.path.clone()),
                line: Some(h.line),
                layer: cx.layer(c.layer),
                removed_in: c.removed_in.and_then(|i| cx.layer(i)),
                ..Place::default()
            };
            out.extend(self.finding(&h.rule, place, h.evidence.clone()));
        }
        // setuid/setgid files still in the image that no OS package owns (the distribution's own,
        // `su`, `passwd`, `mount`, are reviewed and patched with it).
        let setid: Vec<(&dredge_scanner::ContentFact, u32)> = cx
            .content
            .iter()
            .filter_map(|c| match c.fact {
                dredge_model::Fact::SetId { mode } if c.removed_in.is_none() => Some((c, mode)),
                _ => None,
            })
            .collect();
        if !setid.is_empty() {
            // Merged /usr (Debian 12, Fedora …): dpkg lists `/bin/mount`, the file is at
            // `/usr/bin/mount` behind the `/bin -> usr/bin` link. The names to look for are few;
            // the OS packages' file lists are long: one pass over them, probing a small set.
            let alias = |path: &str| -> Option<String> {
                ["/usr/bin/", "/usr/sbin/", "/usr/lib/", "/usr/lib64/", "/usr/lib32/", "/usr/libx32/"]
                    .iter()
                    .find(|p| path.starts_with(*p))
                    .map(|_| path["/usr".len()..].to_string())
            };
            let mut wanted: std::collections::HashSet<String> = std::collections::HashSet::new();
            for (c, _) in &setid {
                wanted.insert(c.path.clone());
                wanted.extend(alias(&c.path));
            }
            let owned: std::collections::HashSet<&str> = cx
                .report
                .packages
                .iter()
                .filter(|p| p.ecosystem.is_os())
                .flat_map(|p| p.files.iter().map(String::as_str))
                .filter(|f| wanted.contains(*f))
                .collect();
            for (c, mode) in setid {
                if owned.contains(c.path.as_str()) || alias(&c.path).is_some_and(|a| owned.contains(a.as_str())) {
                    continue;
                }
                let bits = match (mode & 0o4000 != 0, mode & 0o2000 != 0) {
                    (true, true) => "setuid and setgid",
                    (true, false) => "setuid",
                    _ => "setgid",
                };
                let place = Place { path: Some(c.path.clone()), layer: cx.layer(c.layer), ..Place::default() };
                out.extend(self.finding("DRG-IMG-018", place, Some(format!("mode {mode:04o} ({bits})"))));
            }
        }
        Finding::sort(&mut out);
        Ok(Some(out))
    }
}

#[cfg(test)]
mod dftests;
#[cfg(test)]
mod k8stests;
#[cfg(test)]
mod tests;
