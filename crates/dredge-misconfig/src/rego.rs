//! Custom policies in Rego (`--policy DIR`), evaluated in-process by regorus against the same
//! inputs the built-in checks read: an image's config and history, a parsed Dockerfile, one
//! Kubernetes document. docs/misconfig.md documents the input shapes and the policy contract:
//!
//! ```rego
//! package dredge.acme.no_docker_hub            # any package under `dredge.`
//! import rego.v1
//! metadata := {"id": "ACME-001", "title": "…", "severity": "HIGH", "input": "kubernetes"}
//! deny contains msg if { … }                   # a string, or {"msg": "…", "line": 12}
//! ```

use dredge_model::Severity;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A policy file larger than this is refused (a policy is code someone reviews).
const MAX_POLICY_BYTES: u64 = 1 << 20;
/// How long one policy may take on one input before it is stopped (a loop, a combinatorial
/// comprehension): a warning names the policy and the input.
pub const EVAL_LIMIT: std::time::Duration = std::time::Duration::from_secs(2);

/// What a policy applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Image,
    Dockerfile,
    Kubernetes,
}

impl InputKind {
    fn parse(s: &str) -> Option<InputKind> {
        match s {
            "image" => Some(InputKind::Image),
            "dockerfile" => Some(InputKind::Dockerfile),
            "kubernetes" => Some(InputKind::Kubernetes),
            _ => None,
        }
    }
}

/// A loaded policy: its package and what its `metadata` says.
#[derive(Debug, Clone)]
pub struct Policy {
    pub package: String,
    pub file: String,
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub description: String,
    pub remediation: String,
    pub references: Vec<String>,
    pub input: InputKind,
}

/// A policy directory that cannot be used: the file (and line, in regorus' message) and why.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {msg}")]
pub struct PolicyError {
    pub path: String,
    pub msg: String,
}

/// One result of a policy on one input: the policy, a line when the policy gives one, its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyHit {
    pub id: String,
    pub line: Option<usize>,
    pub msg: String,
}

/// Every policy of the `--policy` directories, in one engine.
pub struct Policies {
    engine: Mutex<regorus::Engine>,
    pub policies: Vec<Policy>,
    /// Hash of every policy text: part of the layer cache key (a changed policy re-reads layers).
    pub fingerprint: String,
}

impl std::fmt::Debug for Policies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Policies").field("policies", &self.policies).finish()
    }
}

fn rego_files(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) -> Result<(), PolicyError> {
    let err = |e: std::io::Error| PolicyError { path: dir.display().to_string(), msg: e.to_string() };
    if depth > 8 {
        return Ok(());
    }
    let meta = std::fs::metadata(dir).map_err(err)?;
    if meta.is_file() {
        out.push(dir.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).map_err(err)?.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        // Links are followed (a policy repository may link shared modules in); a loop ends at the
        // depth limit.
        let Ok(ft) = std::fs::metadata(&p).map(|m| m.file_type()) else { continue };
        if ft.is_dir() {
            rego_files(&p, out, depth + 1)?;
        } else if ft.is_file() && name.ends_with(".rego") && !name.ends_with("_test.rego") {
            out.push(p);
        }
    }
    Ok(())
}

impl Policies {
    /// Loads every `*.rego` file under `dirs` (not `*_test.rego`; a file may be named directly).
    /// A policy that does not compile, or whose `metadata` is missing or wrong, is an error naming
    /// the file: a broken policy must not pass silently.
    pub fn load(dirs: &[PathBuf], builtin_ids: &dyn Fn(&str) -> bool) -> Result<Policies, PolicyError> {
        let mut files = Vec::new();
        for d in dirs {
            rego_files(d, &mut files, 0)?;
        }
        // The same file named twice (`--policy a --policy a`, a link to a file already listed).
        let mut seen = std::collections::HashSet::new();
        files.retain(|f| seen.insert(std::fs::canonicalize(f).unwrap_or_else(|_| f.clone())));
        let mut engine = regorus::Engine::new();
        engine.set_execution_timer_config(regorus::utils::limits::ExecutionTimerConfig {
            limit: EVAL_LIMIT,
            check_interval: std::num::NonZeroU32::MIN,
        });
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        let mut packages: Vec<(String, String)> = Vec::new();
        for f in &files {
            let shown = f.display().to_string();
            let bad = |msg: String| PolicyError { path: shown.clone(), msg };
            let len = std::fs::metadata(f).map_err(|e| bad(e.to_string()))?.len();
            if len > MAX_POLICY_BYTES {
                return Err(bad(format!("{len} bytes: larger than the 1 MiB a policy may have")));
            }
            let text = std::fs::read_to_string(f).map_err(|e| bad(e.to_string()))?;
            std::hash::Hash::hash(&text, &mut hasher);
            let pkg = engine.add_policy(shown.clone(), text).map_err(|e| bad(format!("does not compile: {}", one_line(&e.to_string()))))?;
            packages.push((pkg, shown));
        }
        if let Some((file, msg)) = recursive_function(&mut engine) {
            return Err(PolicyError { path: file, msg });
        }
        let mut policies: Vec<Policy> = Vec::new();
        let mut done = std::collections::HashSet::new();
        for (pkg, file) in packages {
            let bad = |msg: String| PolicyError { path: file.clone(), msg: format!("{pkg}: {msg}") };
            if !pkg.starts_with("data.dredge.") {
                continue; // a library module (helpers imported by policies)
            }
            // A package may span several files (Rego allows it): one policy.
            if !done.insert(pkg.clone()) {
                continue;
            }
            let meta = engine.eval_rule(format!("{pkg}.metadata")).map_err(|e| bad(format!("metadata: {}", one_line(&e.to_string()))))?;
            let meta: Value = meta.to_json_str().ok().and_then(|s| serde_json::from_str(&s).ok()).unwrap_or(Value::Null);
            let field = |k: &str| meta.get(k).and_then(Value::as_str).map(str::to_string);
            let id = field("id")
                .filter(|id| !id.trim().is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)))
                .ok_or_else(|| bad("no metadata.id, or one with other than letters, digits, -, _ and . (metadata := {\"id\": …, \"title\": …, \"severity\": …, \"input\": …})".into()))?;
            if builtin_ids(&id) || policies.iter().any(|p| p.id == id) {
                return Err(bad(format!("id {id} is already a check's or another policy's")));
            }
            let sev = field("severity").unwrap_or_default();
            let levels = [Severity::Critical, Severity::High, Severity::Medium, Severity::Low, Severity::Unknown];
            let severity = levels
                .into_iter()
                .find(|l| l.as_str().eq_ignore_ascii_case(&sev))
                .ok_or_else(|| bad(format!("metadata.severity {sev:?} is not CRITICAL, HIGH, MEDIUM, LOW or UNKNOWN")))?;
            let kind = field("input").unwrap_or_default();
            let input =
                InputKind::parse(&kind).ok_or_else(|| bad(format!("metadata.input {kind:?} is not image, dockerfile or kubernetes")))?;
            policies.push(Policy {
                title: field("title").unwrap_or_else(|| id.clone()),
                description: field("description").unwrap_or_default(),
                remediation: field("remediation").unwrap_or_default(),
                references: meta
                    .get("references")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect(),
                package: pkg.clone(),
                file: file.clone(),
                id,
                severity,
                input,
            });
        }
        let fingerprint = format!("{:016x}", std::hash::Hasher::finish(&hasher));
        Ok(Policies { engine: Mutex::new(engine), policies, fingerprint })
    }

    pub fn get(&self, id: &str) -> Option<&Policy> {
        self.policies.iter().find(|p| p.id == id)
    }

    pub fn wants(&self, kind: InputKind) -> bool {
        self.policies.iter().any(|p| p.input == kind)
    }

    /// Runs every policy for `kind` on `input`. A policy that fails or runs out of time on this
    /// input is a warning (`Err` entries), not the end of the scan.
    pub fn eval(&self, kind: InputKind, input: &Value) -> (Vec<PolicyHit>, Vec<String>) {
        let mut hits = Vec::new();
        let mut warnings = Vec::new();
        let Ok(mut engine) = self.engine.lock() else {
            return (hits, vec!["the policy engine failed earlier; policies not evaluated".into()]);
        };
        engine.set_input(regorus::Value::from(input.clone()));
        for p in self.policies.iter().filter(|p| p.input == kind) {
            match engine.eval_rule(format!("{}.deny", p.package)) {
                Ok(v) => {
                    let v: Value = v.to_json_str().ok().and_then(|s| serde_json::from_str(&s).ok()).unwrap_or(Value::Null);
                    if !v.is_array() && !v.is_null() && v != Value::String("<undefined>".into()) {
                        warnings.push(format!("policy {} ({}): deny must be a set (`deny contains msg if …`), not {v}", p.id, p.file));
                    }
                    for r in v.as_array().into_iter().flatten() {
                        let (msg, line) = match r {
                            Value::String(s) => (s.clone(), None),
                            Value::Object(o) => (
                                o.get("msg").and_then(Value::as_str).unwrap_or(&p.title).to_string(),
                                o.get("line").and_then(Value::as_u64).and_then(|l| usize::try_from(l).ok()).filter(|l| *l > 0),
                            ),
                            other => (other.to_string(), None),
                        };
                        hits.push(PolicyHit { id: p.id.clone(), line, msg: shorten(&msg) });
                    }
                }
                Err(e) => warnings.push(format!("policy {} ({}): {}", p.id, p.file, one_line(&e.to_string()))),
            }
        }
        (hits, warnings)
    }
}

/// A user function that calls itself, directly or through other functions. Rego forbids
/// recursion (OPA refuses such a policy when it compiles it); regorus detects recursive rules
/// when it evaluates them, but a recursive function overflows the stack and aborts the process.
/// So the call graph of the loaded functions is checked before anything runs. Each function's
/// text after its head is read with regorus's own lexer (comments and strings are not calls):
/// a call is a name, a dotted path or a `path["name"]` followed by `(`, resolved as Rego does —
/// an import alias, `data.…`, else the function's own package; `with X as F` counts as a call to
/// F. Where the text cannot say, it errs towards refusing. Gives the file and `line L: …` of
/// the first function in a cycle.
fn recursive_function(engine: &mut regorus::Engine) -> Option<(String, String)> {
    use regorus::unstable::{Lexer, Rule, RuleHead, Source, TokenKind};
    use std::collections::{BTreeMap, BTreeSet, HashMap};
    /// One definition of a function: its file, line, the call paths in its text, and the
    /// package and import aliases of its file (a package may span files with other imports).
    type Def = (String, u32, Vec<Vec<String>>, (String, HashMap<String, String>));
    // qualified name → its definitions
    let mut funcs: BTreeMap<String, Vec<Def>> = BTreeMap::new();
    for m in engine.get_modules().iter() {
        let pkg = format!("data.{}", m.package.refr.span().text().trim());
        // Import aliases: `import data.a.b` → `b`; `import data.a.b as c` → `c`.
        let mut aliases: HashMap<String, String> = HashMap::new();
        for i in &m.imports {
            let path = i.refr.span().text().trim().to_string();
            let alias = match &i.r#as {
                Some(a) => a.text().trim().to_string(),
                None => path.rsplit('.').next().unwrap_or_default().to_string(),
            };
            aliases.insert(alias, path);
        }
        for rule in &m.policy {
            let Rule::Spec { span, head: RuleHead::Func { refr, .. }, .. } = rule.as_ref() else { continue };
            let name = format!("{pkg}.{}", refr.span().text().trim());
            let after_head = span.text().get((refr.span().end.saturating_sub(span.start)) as usize..).unwrap_or_default();
            // The head's parameter list holds no calls.
            let body = after_head.split_once(')').map_or(after_head, |(_, rest)| rest);
            let mut calls: Vec<Vec<String>> = Vec::new();
            if let Ok(src) = Source::from_contents(span.source.file().clone(), body.to_string()) {
                let mut lx = Lexer::new(&src);
                let mut toks: Vec<(TokenKind, String)> = Vec::new();
                while let Ok(t) = lx.next_token() {
                    if t.0 == TokenKind::Eof {
                        break;
                    }
                    toks.push((t.0, t.1.text().to_string()));
                }
                let is = |k: usize, kind: TokenKind, text: &str| toks.get(k).is_some_and(|t| t.0 == kind && t.1 == text);
                for k in 0..toks.len() {
                    // A call: the path that ends just before `(`.
                    if is(k, TokenKind::Symbol, "(") && k > 0 {
                        let mut path: Vec<String> = Vec::new();
                        let mut j = k;
                        loop {
                            match toks.get(j.wrapping_sub(1)) {
                                Some((TokenKind::Ident, id)) if j > 0 => {
                                    path.insert(0, id.clone());
                                    j -= 1;
                                }
                                Some((TokenKind::Symbol, b))
                                    if b == "]"
                                        && j >= 3
                                        && matches!(toks[j - 2].0, TokenKind::String | TokenKind::RawString)
                                        && is(j - 3, TokenKind::Symbol, "[") =>
                                {
                                    path.insert(0, toks[j - 2].1.trim_matches(['"', '`']).to_string());
                                    j -= 3;
                                }
                                _ => break,
                            }
                            if j > 0 && is(j - 1, TokenKind::Symbol, ".") {
                                j -= 1;
                            } else if !(j > 0 && is(j - 1, TokenKind::Symbol, "]")) {
                                break;
                            }
                        }
                        if !path.is_empty() {
                            calls.push(path);
                        }
                    }
                    // `with X as F`: inside, X is F. X is a path (`data.a.b.g`, `x["g"]`), however long.
                    let with_before = || {
                        let mut j = k;
                        while j > 0 {
                            let (kind, text) = &toks[j - 1];
                            match kind {
                                TokenKind::Ident if text == "with" => return true,
                                TokenKind::Ident | TokenKind::String | TokenKind::RawString => j -= 1,
                                TokenKind::Symbol if text == "." || text == "[" || text == "]" => j -= 1,
                                _ => return false,
                            }
                        }
                        false
                    };
                    if is(k, TokenKind::Ident, "as") && with_before() {
                        let mut path = Vec::new();
                        let mut j = k + 1;
                        while let Some((TokenKind::Ident, id)) = toks.get(j) {
                            path.push(id.clone());
                            if is(j + 1, TokenKind::Symbol, ".") { j += 2 } else { break }
                        }
                        if !path.is_empty() {
                            calls.push(path);
                        }
                    }
                }
            }
            funcs.entry(name).or_default().push((span.source.file().clone(), span.line, calls, (pkg.clone(), aliases.clone())));
        }
    }
    // Resolve a call path in the scope of one definition to a qualified function name.
    let resolve = |(pkg, aliases): &(String, HashMap<String, String>), path: &[String]| -> Option<String> {
        let full = match path.first().map(String::as_str) {
            Some("data") => path.join("."),
            Some(first) => match aliases.get(first) {
                Some(target) => std::iter::once(target.clone()).chain(path[1..].iter().cloned()).collect::<Vec<_>>().join("."),
                None => format!("{pkg}.{}", path.join(".")),
            },
            None => return None,
        };
        funcs.contains_key(&full).then_some(full)
    };
    let graph: BTreeMap<&str, BTreeSet<String>> = funcs
        .iter()
        .map(|(name, defs)| {
            (name.as_str(), defs.iter().flat_map(|(_, _, calls, scope)| calls.iter().filter_map(move |c| resolve(scope, c))).collect())
        })
        .collect();
    // Depth-first search for a cycle; `path` is the current chain of calls.
    fn visit<'a>(
        n: &'a str,
        g: &'a BTreeMap<&'a str, BTreeSet<String>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<&'a str>> {
        if let Some(at) = path.iter().position(|p| *p == n) {
            let mut cycle = path[at..].to_vec();
            cycle.push(n);
            return Some(cycle);
        }
        if !done.insert(n) {
            return None;
        }
        path.push(n);
        for c in g.get(n).into_iter().flatten() {
            if let Some(cycle) = visit(c, g, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        None
    }
    let short = |q: &str| q.rsplit('.').next().unwrap_or(q).to_string();
    let mut done = BTreeSet::new();
    for name in graph.keys() {
        if let Some(cycle) = visit(name, &graph, &mut Vec::new(), &mut done) {
            let (file, line, _, _) = &funcs[cycle[0]][0];
            let chain: Vec<String> = cycle.iter().map(|c| short(c)).collect();
            return Some((
                file.clone(),
                format!("line {line}: function {} is recursive ({}); Rego does not allow recursion", short(cycle[0]), chain.join(" → ")),
            ));
        }
    }
    None
}

fn one_line(s: &str) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    shorten(&s)
}

fn shorten(s: &str) -> String {
    if s.chars().count() <= 300 { s.to_string() } else { format!("{}…", s.chars().take(299).collect::<String>()) }
}
