//! Secret scanning. Rules (built-in, plus custom ones from a config file) are compiled into one
//! keyword automaton; a file's text is searched once for every keyword, then only the regexes of
//! the rules whose keywords occur run. Matches pass allow rules (placeholders, documentation
//! examples, allowed paths) and an entropy floor, and leave the scanner redacted: the full value is
//! never stored, cached or printed.
//!
//! Large files are scanned in chunks with an overlap longer than any secret, so a secret on a
//! chunk boundary is found once; files whose first 8 KiB contain a NUL byte are binary and skipped.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::bytes::{Regex, RegexSet};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::io::{self, Read};

pub mod image;
pub mod rules;
pub use rules::{BUILTIN, BUILTIN_ALLOW_PATHS, RuleDef};

/// Bumped whenever what the scanner reports changes (part of the layer cache key).
pub const ENGINE_VERSION: u32 = 1;
/// Text is scanned in chunks of this size ...
pub const CHUNK: usize = 1 << 20;
/// ... overlapping by this much: longer than any secret the rules match.
pub const OVERLAP: usize = 16 << 10;
const _: () = assert!(OVERLAP > AFTER, "a chunk's overlap must exceed the window after a keyword");
/// Files larger than this are not scanned (a warning says so); the docs state it.
pub const MAX_FILE: u64 = 256 << 20;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {msg}")]
    Invalid { path: String, msg: String },
}

/// One finding, already redacted.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hit {
    pub line: u32,
    /// Byte offsets of the secret in the file (not secret themselves).
    pub start: u64,
    pub end: u64,
    pub rule: String,
    pub title: String,
    pub severity: String,
    /// A few leading characters of the secret and asterisks.
    pub redacted: String,
    /// For `NAME=value` rules: the variable name (not secret, helps to find it).
    pub name: Option<String>,
}

/// The custom rules file (`dredge-secret.yaml`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub rules: Vec<CustomRule>,
    #[serde(default, rename = "allow-rules")]
    pub allow_rules: Vec<AllowRule>,
    #[serde(default, rename = "disable-rules")]
    pub disable_rules: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomRule {
    pub id: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub severity: Option<String>,
    pub regex: String,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub path: Vec<String>,
    #[serde(default, rename = "min-entropy")]
    pub min_entropy: Option<f64>,
}

/// An allow rule: a finding is dropped when its secret matches `regex`, or its file matches
/// `path` (a glob).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowRule {
    pub id: String,
    #[serde(default)]
    pub regex: Option<String>,
    #[serde(default)]
    pub path: Option<String>,
}

/// A rule before compilation: id, title, severity, keywords, regex, path globs, entropy floor.
type Def = (String, String, String, Vec<String>, String, Vec<String>, f64);

struct Rule {
    id: String,
    title: String,
    severity: String,
    pattern: String,
    /// Compiled on first use: most rules' keywords never occur in a scan (a warm scan reads only
    /// the image config and history), and compiling all of them costs more than such a scan.
    /// A config's own rules are compiled when it is loaded, so their errors show at once; the
    /// built-in ones are tested to compile.
    compiled: std::sync::OnceLock<Option<Compiled>>,
    paths: Option<RegexSet>,
    min_entropy: f64,
}

struct Compiled {
    regex: Regex,
    secret_group: Option<usize>,
    name_group: Option<usize>,
}

impl Compiled {
    fn new(pattern: &str) -> Result<Compiled, regex::Error> {
        let regex = regex::bytes::RegexBuilder::new(pattern).size_limit(8 << 20).build()?;
        let secret_group = regex.capture_names().position(|n| n == Some("secret"));
        let name_group = regex.capture_names().position(|n| n == Some("name"));
        Ok(Compiled { regex, secret_group, name_group })
    }
}

impl Rule {
    fn compiled(&self) -> Option<&Compiled> {
        self.compiled.get_or_init(|| Compiled::new(&self.pattern).ok()).as_ref()
    }
}

/// Compiled rules.
pub struct Scanner {
    rules: Vec<Rule>,
    /// Keywords of the rules that apply to every file.
    global: Keywords,
    /// Keywords of path-scoped rules, searched only in files one of them applies to.
    scoped: Keywords,
    /// rules without keywords (custom ones may omit them): always run
    always: Vec<usize>,
    allow_values: Vec<Regex>,
    allow_paths: Option<RegexSet>,
    fingerprint: String,
}

/// `**/x`, `*.env`, `dir/*/file` → an anchored regex over the path (without a leading `/`).
pub fn glob_to_regex(glob: &str) -> String {
    let g = glob.trim_start_matches('/');
    let mut out = String::from("^");
    let mut depth = 0usize;
    // Unbalanced braces are literal characters.
    let braces = g.matches('{').count() == g.matches('}').count();
    let mut chars = g.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                if chars.peek() == Some(&'/') {
                    chars.next();
                    out.push_str("(?:.*/)?");
                } else {
                    out.push_str(".*");
                }
            }
            '*' => out.push_str("[^/]*"),
            '?' => out.push_str("[^/]"),
            // `{a,b}`: either.
            '{' if braces => {
                depth += 1;
                out.push_str("(?:");
            }
            '}' if depth > 0 => {
                depth -= 1;
                out.push(')');
            }
            ',' if depth > 0 => out.push('|'),
            c => out.push_str(&regex::escape(&c.to_string())),
        }
    }
    out.push('$');
    out
}

/// Shannon entropy in bits per character.
pub fn entropy(s: &[u8]) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in s {
        counts[b as usize] += 1;
    }
    let n = s.len() as f64;
    counts.iter().filter(|&&c| c > 0).map(|&c| f64::from(c) / n).map(|p| -p * p.log2()).sum()
}

/// Values that stand for a secret rather than being one.
fn placeholder(s: &[u8]) -> bool {
    let t = String::from_utf8_lossy(s).to_ascii_lowercase();
    const WORDS: [&str; 16] = [
        "example",
        "placeholder",
        "changeme",
        "change_me",
        "change-me",
        "your_",
        "your-",
        "<your",
        "redacted",
        "dummy",
        "sample",
        "xxxxxx",
        "******",
        "replace_me",
        "replace-me",
        "insert",
    ];
    if WORDS.iter().any(|w| t.contains(w)) {
        return true;
    }
    if matches!(
        t.as_str(),
        "password"
            | "secret"
            | "passw0rd"
            | "test"
            | "testing"
            | "foobar"
            | "admin"
            | "root"
            | "token"
            | "none"
            | "null"
            | "true"
            | "false"
    ) {
        return true;
    }
    // Template variables: ${X}, $(x), {{ x }}, %X%, <x>.
    if t.starts_with("${") || t.starts_with("$(") || t.starts_with("{{") || t.starts_with('<') || (t.starts_with('%') && t.ends_with('%')) {
        return true;
    }
    // One character repeated (0000..., aaaa..., after any fixed prefix).
    let distinct: BTreeSet<u8> = s.iter().copied().filter(|c| c.is_ascii_alphanumeric()).collect();
    distinct.len() <= 2
}

/// A few leading characters and asterisks: at most a quarter of the value, never more than 4.
pub fn redact(secret: &[u8]) -> String {
    let s = String::from_utf8_lossy(secret);
    let n = s.chars().count();
    let shown = (n / 4).min(4);
    let head: String = s.chars().take(shown).collect();
    format!("{head}{}", "*".repeat((n - shown).clamp(4, 16)))
}

impl Scanner {
    /// The built-in rules (the table is tested to compile; an error here is a bug).
    pub fn builtin() -> Result<Scanner, ConfigError> {
        Scanner::new(&Config::default())
    }

    /// The built-in rules, less the disabled ones, plus the config's.
    pub fn new(cfg: &Config) -> Result<Scanner, ConfigError> {
        let bad = |msg: String| ConfigError::Invalid { path: "secret rules".into(), msg };
        let mut defs: Vec<Def> = Vec::new();
        for r in BUILTIN.iter().filter(|r| !cfg.disable_rules.iter().any(|d| d == r.id)) {
            defs.push((
                r.id.into(),
                r.title.into(),
                r.severity.into(),
                r.keywords.iter().map(|k| k.to_string()).collect(),
                r.regex.into(),
                r.paths.iter().map(|p| p.to_string()).collect(),
                r.min_entropy,
            ));
        }
        let builtin = defs.len();
        for c in &cfg.rules {
            if defs.iter().any(|d| d.0 == c.id) {
                return Err(bad(format!("rule id {:?} is used twice", c.id)));
            }
            let sev = c.severity.clone().unwrap_or_else(|| "HIGH".into()).to_ascii_uppercase();
            if !["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"].contains(&sev.as_str()) {
                return Err(bad(format!("rule {}: severity {sev:?} is not CRITICAL, HIGH, MEDIUM, LOW or UNKNOWN", c.id)));
            }
            defs.push((
                c.id.clone(),
                c.title.clone().unwrap_or_else(|| c.id.clone()),
                sev,
                c.keywords.clone(),
                c.regex.clone(),
                c.path.clone(),
                c.min_entropy.unwrap_or(0.0),
            ));
        }
        let mut rules = Vec::new();
        let mut always = Vec::new();
        let mut global_kw: Vec<(usize, String, bool)> = Vec::new();
        let mut scoped_kw: Vec<(usize, String, bool)> = Vec::new();
        for (i, (id, title, severity, keywords, re, paths, min_entropy)) in defs.iter().enumerate() {
            let compiled = std::sync::OnceLock::new();
            if i >= builtin {
                let c = Compiled::new(re).map_err(|e| bad(format!("rule {id}: invalid regex: {e}")))?;
                let _ = compiled.set(Some(c));
            }
            let paths = if paths.is_empty() {
                None
            } else {
                Some(RegexSet::new(paths.iter().map(|p| glob_to_regex(p))).map_err(|e| bad(format!("rule {id}: invalid path: {e}")))?)
            };
            let scoped_rule = paths.is_some();
            rules.push(Rule {
                id: id.clone(),
                title: title.clone(),
                severity: severity.clone(),
                pattern: re.clone(),
                compiled,
                paths,
                min_entropy: *min_entropy,
            });
            if keywords.is_empty() {
                always.push(i);
            }
            // A rule whose regex ignores case wants its keywords in any case; the others
            // (token prefixes such as `ghp_`, `AKIA`, `SK`) exactly as written.
            let exact = !re.starts_with("(?i)");
            let into = if scoped_rule { &mut scoped_kw } else { &mut global_kw };
            into.extend(keywords.iter().map(|k| (i, k.clone(), exact)));
        }
        let global = Keywords::new(&global_kw).map_err(|e| bad(format!("keywords: {e}")))?;
        let scoped = Keywords::new(&scoped_kw).map_err(|e| bad(format!("keywords: {e}")))?;
        let mut allow_values = Vec::new();
        let mut allow_paths: Vec<String> = BUILTIN_ALLOW_PATHS
            .iter()
            .filter(|(id, _)| !cfg.disable_rules.iter().any(|d| d == id))
            .map(|(_, g)| glob_to_regex(g))
            .collect();
        for a in &cfg.allow_rules {
            if let Some(r) = &a.regex {
                allow_values.push(Regex::new(r).map_err(|e| bad(format!("allow rule {}: invalid regex: {e}", a.id)))?);
            }
            if let Some(p) = &a.path {
                allow_paths.push(glob_to_regex(p));
            }
        }
        let allow_paths =
            if allow_paths.is_empty() { None } else { Some(RegexSet::new(&allow_paths).map_err(|e| bad(format!("allow paths: {e}")))?) };
        // The fingerprint names everything that changes results: engine, rule ids and patterns.
        let mut fp = format!("secret@{ENGINE_VERSION}");
        for d in &defs {
            fp.push_str(&format!(";{}:{}:{}:{:?}:{}", d.0, d.2, d.4, d.5, d.6));
        }
        for a in &cfg.allow_rules {
            fp.push_str(&format!(";allow:{}:{:?}:{:?}", a.id, a.regex, a.path));
        }
        for (id, _) in BUILTIN_ALLOW_PATHS.iter().filter(|(id, _)| !cfg.disable_rules.iter().any(|d| d == id)) {
            fp.push_str(&format!(";builtin-allow:{id}"));
        }
        Ok(Scanner { rules, global, scoped, always, allow_values, allow_paths, fingerprint: short_hash(&fp) })
    }

    /// Loads a YAML config file.
    pub fn from_file(path: &std::path::Path) -> Result<Scanner, ConfigError> {
        let bad = |msg: String| ConfigError::Invalid { path: path.display().to_string(), msg };
        let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
        let cfg: Config = serde_saphyr::from_str(&text).map_err(|e| bad(format!("invalid YAML: {e}")))?;
        Scanner::new(&cfg).map_err(|e| match e {
            ConfigError::Invalid { msg, .. } => bad(msg),
        })
    }

    /// Identifies the rule set in cache keys.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// Scans a whole buffer. `path` is relative to the image root (or a pseudo path such as
    /// `(config)` for the image config); `None` when the content is binary.
    pub fn scan(&self, path: &str, data: &[u8]) -> Option<Vec<Hit>> {
        if self.allowed_path(path) {
            return Some(Vec::new());
        }
        if is_binary(data) {
            return None;
        }
        let mut hits = Vec::new();
        self.scan_into(path, data, 0, 0, &mut hits, &mut BTreeSet::new());
        Some(finish(hits))
    }

    /// Scans a stream of `size` bytes in overlapping chunks. `None` when binary.
    pub fn scan_reader<R: Read + ?Sized>(&self, path: &str, r: &mut R) -> io::Result<Option<Vec<Hit>>> {
        if self.allowed_path(path) {
            return Ok(Some(Vec::new()));
        }
        let mut buf: Vec<u8> = Vec::with_capacity(CHUNK + OVERLAP);
        let mut base: u64 = 0; // file offset of buf[0]
        let mut base_line: u32 = 0; // newlines before buf[0]
        let mut seen = BTreeSet::new();
        let mut hits = Vec::new();
        // The binary check needs only the first 8 KiB: a binary's rest is never copied.
        Read::take(&mut *r, 8192).read_to_end(&mut buf)?;
        if is_binary(&buf) {
            return Ok(None);
        }
        let mut kept = 0usize; // bytes at the start of `buf` already scanned (the overlap)
        loop {
            // Up to CHUNK new bytes after the kept overlap.
            let target = kept + CHUNK;
            if buf.len() < target {
                Read::take(&mut *r, (target - buf.len()) as u64).read_to_end(&mut buf)?;
            }
            if buf.len() == kept {
                break;
            }
            self.scan_into(path, &buf, base, base_line, &mut hits, &mut seen);
            if buf.len() < target {
                break; // the end of the stream
            }
            // Keep the overlap; count the lines of what is dropped.
            let drop = buf.len().saturating_sub(OVERLAP);
            base_line += buf[..drop].iter().filter(|&&b| b == b'\n').count() as u32;
            base += drop as u64;
            buf.drain(..drop);
            kept = buf.len();
        }
        Ok(Some(finish(hits)))
    }

    /// Files an allow rule excludes (built-in third-party test and doc paths, configured ones).
    pub fn allowed_path(&self, path: &str) -> bool {
        self.allow_paths.as_ref().is_some_and(|s| s.is_match(path.as_bytes()))
    }

    fn scan_into(&self, path: &str, data: &[u8], base: u64, base_line: u32, hits: &mut Vec<Hit>, seen: &mut BTreeSet<(usize, u64)>) {
        // Which rules may run on this path (path-scoped rules elsewhere never do).
        let eligible: Vec<bool> = self.rules.iter().map(|r| r.paths.as_ref().is_none_or(|p| p.is_match(path.as_bytes()))).collect();
        // Keyword occurrences per rule: a rule's regex runs only in windows around them.
        let mut at: Vec<Vec<usize>> = vec![Vec::new(); self.rules.len()];
        self.global.occurrences(data, &eligible, &mut at);
        if self.scoped.rules_of.iter().flatten().any(|&r| eligible[r]) {
            self.scoped.occurrences(data, &eligible, &mut at);
        }
        let mut lines = LineCounter::new(data, base_line);
        for (i, rule) in self.rules.iter().enumerate() {
            let windows: Vec<(usize, usize)> = if self.always.contains(&i) {
                if eligible[i] { vec![(0, data.len())] } else { Vec::new() }
            } else {
                at[i].sort_unstable();
                merge_windows(&at[i], data.len())
            };
            let Some(c) = (if windows.is_empty() { None } else { rule.compiled() }) else { continue };
            for (ws, we) in windows {
                for caps in c.regex.captures_iter(&data[ws..we]) {
                    let Some(secret) = c.secret_group.and_then(|g| caps.get(g)).or_else(|| caps.get(0)) else { continue };
                    let value = secret.as_bytes();
                    if value.is_empty() || placeholder(value) || self.allow_values.iter().any(|a| a.is_match(value)) {
                        continue;
                    }
                    if rule.min_entropy > 0.0 && entropy(value) < rule.min_entropy {
                        continue;
                    }
                    let start = ws + secret.start();
                    let abs = base + start as u64;
                    if !seen.insert((i, abs)) {
                        continue;
                    }
                    hits.push(Hit {
                        start: abs,
                        end: base + (ws + secret.end()) as u64,
                        line: lines.line_of(start),
                        rule: rule.id.clone(),
                        title: rule.title.clone(),
                        severity: rule.severity.clone(),
                        redacted: redact(value),
                        name: c.name_group.and_then(|g| caps.get(g)).map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned()),
                    });
                }
            }
        }
    }
}

/// The keywords of a set of rules, searched in one pass.
///
/// The search is leftmost-longest and non-overlapping (which lets the automaton skip ahead with
/// its prefilter), so an occurrence of keyword B that overlaps a match of keyword A is not
/// reported by itself. Every keyword therefore also stands for the rules of each keyword it
/// contains or overlaps with: B's occurrence lies within A's match, inside the same window.
struct Keywords {
    ac: AhoCorasick,
    /// keyword → the rules it stands for
    rules_of: Vec<Vec<usize>>,
}

/// Can `a` and `b` overlap in a text (one contains the other, or a suffix of one is a prefix of
/// the other), ignoring ASCII case?
fn can_overlap(a: &str, b: &str) -> bool {
    let (a, b) = (a.to_ascii_lowercase(), b.to_ascii_lowercase());
    if a.contains(&b) || b.contains(&a) {
        return true;
    }
    (1..a.len().min(b.len())).any(|n| a.ends_with(&b[..n]) || b.ends_with(&a[..n]))
}

impl Keywords {
    fn new(kw: &[(usize, String, bool)]) -> Result<Keywords, aho_corasick::BuildError> {
        // The automaton is case-sensitive (its prefilter and DFA are much faster so): a keyword of
        // a case-sensitive rule is searched as written; one of a rule that ignores case as written
        // and as `heroku`, `HEROKU`, `Heroku` (names in code, environment variables, prose).
        let mut text: Vec<String> = Vec::new();
        let mut rules_of: Vec<Vec<usize>> = Vec::new();
        let mut add = |t: String, rule: usize| {
            let j = match text.iter().position(|x| *x == t) {
                Some(j) => j,
                None => {
                    text.push(t);
                    rules_of.push(Vec::new());
                    text.len() - 1
                }
            };
            if !rules_of[j].contains(&rule) {
                rules_of[j].push(rule);
            }
        };
        for (rule, k, exact) in kw {
            if *exact {
                add(k.clone(), *rule);
            } else {
                let lower = k.to_ascii_lowercase();
                let mut title = lower.clone();
                if let Some(f) = title.get_mut(..1) {
                    f.make_ascii_uppercase();
                }
                for v in [k.clone(), lower, k.to_ascii_uppercase(), title] {
                    add(v, *rule);
                }
            }
        }
        // An occurrence hidden by an overlapping match stands in the same window.
        let own = rules_of.clone();
        for a in 0..text.len() {
            for b in 0..text.len() {
                if a != b && can_overlap(&text[a], &text[b]) {
                    let extra: Vec<usize> = own[b].iter().copied().filter(|r| !rules_of[a].contains(r)).collect();
                    rules_of[a].extend(extra);
                }
            }
        }
        let ac =
            AhoCorasickBuilder::new().match_kind(MatchKind::LeftmostLongest).kind(Some(aho_corasick::AhoCorasickKind::DFA)).build(&text)?;
        Ok(Keywords { ac, rules_of })
    }

    fn occurrences(&self, data: &[u8], eligible: &[bool], at: &mut [Vec<usize>]) {
        for m in self.ac.find_iter(data) {
            for &r in &self.rules_of[m.pattern().as_usize()] {
                if eligible[r] && at[r].last() != Some(&m.start()) {
                    at[r].push(m.start());
                }
            }
        }
    }
}

/// How far before a keyword a match may start (vendor-name rules put the keyword first; `NAME=`
/// rules have it inside the name) and after it end (a private key block).
const BEFORE: usize = 1 << 10;
const AFTER: usize = 12 << 10;

/// Windows around keyword positions, merged where they overlap.
fn merge_windows(positions: &[usize], len: usize) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for &p in positions {
        let (s, e) = (p.saturating_sub(BEFORE), (p + AFTER).min(len));
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

/// 1-based line numbers of offsets, counted incrementally (offsets may come in any order).
struct LineCounter<'a> {
    data: &'a [u8],
    pos: usize,
    line: u32,
    base: u32,
}

impl<'a> LineCounter<'a> {
    fn new(data: &'a [u8], base: u32) -> Self {
        LineCounter { data, pos: 0, line: 0, base }
    }
    fn line_of(&mut self, off: usize) -> u32 {
        if off < self.pos {
            self.pos = 0;
            self.line = 0;
        }
        self.line += self.data[self.pos..off].iter().filter(|&&b| b == b'\n').count() as u32;
        self.pos = off;
        self.base + self.line + 1
    }
}

/// Catch-all rules (any `NAME=value`, any value in a credentials file): a specific rule on the
/// same value wins.
const GENERIC: [&str; 7] =
    ["env-secret", "npmrc-auth", "pypirc-password", "netrc-password", "dockerconfig-auth", "kubeconfig-token", "git-credentials"];

fn finish(mut hits: Vec<Hit>) -> Vec<Hit> {
    let specific: Vec<(u64, u64)> = hits.iter().filter(|h| !GENERIC.contains(&h.rule.as_str())).map(|h| (h.start, h.end)).collect();
    hits.retain(|h| !GENERIC.contains(&h.rule.as_str()) || !specific.iter().any(|&(s, e)| s < h.end && h.start < e));
    hits.sort_by(|a, b| (a.line, a.start, &a.rule).cmp(&(b.line, b.start, &b.rule)));
    hits
}

pub(crate) fn is_binary(data: &[u8]) -> bool {
    data[..data.len().min(8192)].contains(&0)
}

/// A stable short id for cache keys (the layer walk's FNV-1a path hash, in hex).
fn short_hash(s: &str) -> String {
    format!("{:016x}", dredge_layer::path_hash(s))
}

/// The table of built-in rules in `docs/secret-rules.md` (a test keeps the file equal to this).
pub fn rules_markdown() -> String {
    let mut out = String::from(
        "# Built-in secret rules\n\nGenerated from `crates/dredge-secret/src/rules.rs` by \
         `DREDGE_UPDATE_DOCS=1 cargo test -p dredge-secret rules_doc`; do not edit by hand. Disable a rule with \
         `disable-rules: [id]` in the config file ([secrets.md](secrets.md)).\n\n\
         | id | what | severity | keywords | files |\n|---|---|---|---|---|\n",
    );
    for r in BUILTIN {
        let files =
            if r.paths.is_empty() { "all".to_string() } else { r.paths.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ") };
        let kw = r.keywords.iter().map(|k| format!("`{}`", k.replace('|', "\\|"))).collect::<Vec<_>>().join(" ");
        out.push_str(&format!("| `{}` | {} | {} | {kw} | {files} |\n", r.id, r.title, r.severity));
    }
    out.push_str(&format!("\n{} rules.\n\n## Built-in allow rules\n\nFiles under these paths are not scanned (third-party test fixtures and documentation, whose example keys are public). Disable one by id with `disable-rules`.\n\n| id | path |\n|---|---|\n", BUILTIN.len()));
    for (id, g) in BUILTIN_ALLOW_PATHS {
        out.push_str(&format!("| `{id}` | `{g}` |\n"));
    }
    out
}

#[cfg(test)]
mod tests;
