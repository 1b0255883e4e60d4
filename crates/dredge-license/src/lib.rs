//! The license scanner. Declared licenses ride on the packages the extractors emit (dpkg copyright
//! files, apk `L:`, rpm `License`, Python, npm, Maven, gems, Composer, conda …); license texts
//! (LICENSE, COPYING, NOTICE files) are identified in the shared layer pass by this crate's
//! content scanner. After the merge each package gets one finding: its SPDX expression, the
//! expression's category (forbidden … unencumbered, unknown) and the category's severity; a license
//! text inside a package's own directory fills in the license of a package that declares none
//! (`license_concluded`), and one that no package claims is a finding of its own.

pub mod classify;
pub mod detect;

use classify::Classifier;
use dredge_model::license::{Category, license_ref, normalise};
use dredge_model::{Ecosystem, Fact, LicenseDetail, Package};
use dredge_scanner::{ContentScanner, Context, Detail, Finding, Place, ScannerInfo, Severity};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;

pub const INFO: ScannerInfo = ScannerInfo {
    id: "license",
    key: "licenses",
    title: "Licenses",
    rule_name: "License",
    help: "The license of every package and license file, normalised to SPDX and classified against a policy",
};

/// The scanner's settings (`dredge-license.yaml`, `--license-config`):
///
/// ```yaml
/// categories:              # license id → category, over the default table
///   LGPL-2.1-only: notice
///   LicenseRef-Acme-EULA: permissive
/// severity:                # category → severity
///   restricted: CRITICAL
/// packages:                # package name → category, whatever its license
///   busybox: notice
/// ignore:                  # no findings for these (a package, a license, or both)
///   - package: openssl
///   - license: MIT
/// confidence: 90           # least confidence (percent) of an identified license text
/// ```
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub categories: BTreeMap<String, String>,
    #[serde(default)]
    pub severity: BTreeMap<String, String>,
    #[serde(default)]
    pub packages: BTreeMap<String, String>,
    #[serde(default)]
    pub ignore: Vec<IgnoreEntry>,
    #[serde(default)]
    pub confidence: Option<u8>,
}

#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IgnoreEntry {
    /// A package name, or `ecosystem:name` (`apk:busybox`, `npm:busybox`) for one ecosystem.
    pub package: Option<String>,
    pub license: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
}

/// An ignore entry, its license as the ids it covers.
#[derive(Debug, Clone)]
struct Ignore {
    package: Option<String>,
    licenses: Vec<String>,
}

/// A license id as a config writes it, as the ids it stands for: `GPL-2.0+` is
/// `GPL-2.0-or-later`; Trivy's `GPL-2.0` (a deprecated id that did not say) is both
/// `GPL-2.0-only` and `GPL-2.0-or-later`; `LicenseRef-…` is itself. Anything else is an error.
pub fn license_key(raw: &str) -> Result<Vec<String>, String> {
    let raw = raw.trim();
    if let Some(id) = spdx::license_id(raw).filter(|id| id.is_deprecated() && id.is_gnu() && !raw.ends_with('+')) {
        let (only, later) = (spdx::gnu_license_id(id.name, false), spdx::gnu_license_id(id.name, true));
        if let (Some(a), Some(b)) = (only, later) {
            return Ok(vec![a.name.to_string(), b.name.to_string()]);
        }
    }
    match normalise(raw) {
        Some(n) if !n.expression.contains(' ') && (!n.expression.starts_with("LicenseRef-") || raw.starts_with("LicenseRef-")) => {
            Ok(vec![n.expression])
        }
        _ => Err(format!("{raw:?} is not one SPDX license id (write LicenseRef-… for a license of your own; docs/licenses.md)")),
    }
}

/// Whether a config's package key (`name` or `ecosystem:name`) names package `p`.
fn package_matches(key: &str, p: &Package) -> bool {
    match key.split_once(':') {
        Some((eco, name)) if Ecosystem::from_purl_type(eco).is_some() => p.ecosystem.purl_type() == eco && p.name == name,
        _ => p.name == key,
    }
}

/// A config that cannot be used: the file and what is wrong.
#[derive(Debug)]
pub struct ConfigError {
    pub path: String,
    pub msg: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.msg)
    }
}
impl std::error::Error for ConfigError {}

/// The default severity of each category (as Trivy's license scanner has them).
pub fn default_severity(c: Category) -> Severity {
    match c {
        Category::Forbidden => Severity::Critical,
        Category::Restricted => Severity::High,
        Category::Reciprocal => Severity::Medium,
        Category::Notice | Category::Permissive | Category::Unencumbered => Severity::Low,
        Category::Unknown => Severity::Unknown,
    }
}

/// An expression's category, and each license's in it.
type Classified = (Category, Vec<(String, Category)>);

pub struct Scanner {
    classifier: Classifier,
    severity: HashMap<Category, Severity>,
    packages: HashMap<String, Category>,
    ignore: Vec<Ignore>,
    confidence: u8,
    /// Expressions classified in this scan.
    memo: std::sync::Mutex<HashMap<String, Classified>>,
}

impl Scanner {
    pub fn builtin() -> Scanner {
        Scanner {
            classifier: Classifier::default(),
            severity: Category::ALL.iter().map(|c| (*c, default_severity(*c))).collect(),
            packages: HashMap::new(),
            ignore: Vec::new(),
            confidence: (detect::THRESHOLD * 100.0) as u8,
            memo: Default::default(),
        }
    }

    /// The scanner as `cfg` sets it; a category, severity or license id that does not exist is
    /// an error (a typo must not silently leave a license unclassified).
    pub fn new(cfg: &Config, path: &str) -> Result<Scanner, ConfigError> {
        let bad = |msg: String| ConfigError { path: path.to_string(), msg };
        let category = |what: &str, s: &str| {
            Category::parse(s).ok_or_else(|| {
                bad(format!(
                    "{what}: {s:?} is not a category ({})",
                    Category::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")
                ))
            })
        };
        let mut s = Scanner::builtin();
        for (id, c) in &cfg.categories {
            let c = category(id, c)?;
            for id in license_key(id).map_err(|e| bad(format!("categories: {e}")))? {
                s.classifier.overrides.insert(id, c);
            }
        }
        for (c, sev) in &cfg.severity {
            let c = category("severity", c)?;
            let sev = Severity::parse_label(sev)
                .filter(|_| ["critical", "high", "medium", "low", "unknown"].contains(&sev.trim().to_ascii_lowercase().as_str()))
                .ok_or_else(|| bad(format!("{}: severity {sev:?} is not CRITICAL, HIGH, MEDIUM, LOW or UNKNOWN", c.as_str())))?;
            s.severity.insert(c, sev);
        }
        for (name, c) in &cfg.packages {
            s.packages.insert(name.trim().to_string(), category(name, c)?);
        }
        for i in &cfg.ignore {
            if i.package.is_none() && i.license.is_none() {
                return Err(bad("an ignore entry names neither a package nor a license".into()));
            }
            let licenses = match &i.license {
                Some(l) => license_key(l).map_err(|e| bad(format!("ignore: {e}")))?,
                None => Vec::new(),
            };
            s.ignore.push(Ignore { package: i.package.as_ref().map(|p| p.trim().to_string()), licenses });
        }
        if let Some(c) = cfg.confidence {
            if c > 100 {
                return Err(bad(format!("confidence {c} is over 100 (percent)")));
            }
            s.confidence = c;
        }
        Ok(s)
    }

    pub fn from_file(path: &std::path::Path) -> Result<Scanner, ConfigError> {
        let shown = path.display().to_string();
        let bad = |msg: String| ConfigError { path: shown.clone(), msg };
        // Read at most a byte past the limit (`/dev/zero` must not fill memory).
        let mut text = String::new();
        let f = std::fs::File::open(path).map_err(|e| bad(e.to_string()))?;
        f.take((1 << 20) + 1).read_to_string(&mut text).map_err(|e| bad(e.to_string()))?;
        if text.len() > 1 << 20 {
            return Err(bad("larger than 1 MiB; not a license config".into()));
        }
        let cfg: Config = serde_saphyr::from_str(&text).map_err(|e| bad(format!("invalid YAML: {e}")))?;
        Scanner::new(&cfg, &shown)
    }

    /// Licenses to leave out (`--ignored-licenses`), as the config's `ignore: - license:`.
    pub fn ignore_licenses(mut self, ids: &[String]) -> Result<Scanner, ConfigError> {
        for l in ids.iter().map(|l| l.trim()).filter(|l| !l.is_empty()) {
            let licenses = license_key(l).map_err(|e| ConfigError { path: "--ignored-licenses".into(), msg: e })?;
            self.ignore.push(Ignore { package: None, licenses });
        }
        Ok(self)
    }

    /// The license ids ignored for package `p` (`None`: a package-wide ignore, no finding).
    fn ignored_ids(&self, p: Option<&Package>) -> Option<HashSet<&str>> {
        let mut ids = HashSet::new();
        for i in &self.ignore {
            let applies = match (&i.package, p) {
                (None, _) => true,
                (Some(key), Some(p)) => package_matches(key, p),
                (Some(_), None) => false,
            };
            if !applies {
                continue;
            }
            if i.licenses.is_empty() {
                return None;
            }
            ids.extend(i.licenses.iter().map(String::as_str));
        }
        Some(ids)
    }

    /// The category of `expression` for package `p`: the per-package class if the config has one,
    /// else the expression's with the ignored ids taken as no constraint. `None`: every license
    /// in it is ignored (or the package is), no finding.
    fn classify(&self, expression: &str, p: Option<&Package>) -> Option<Classified> {
        let ignored = self.ignored_ids(p)?;
        // Thousands of packages share a few dozen expressions: each is parsed once.
        let (category, each) = {
            let mut memo = self.memo.lock().unwrap_or_else(|e| e.into_inner());
            memo.entry(expression.to_string()).or_insert_with(|| self.classifier.expression(expression)).clone()
        };
        if let Some(c) = p.and_then(|p| self.packages.iter().find(|(k, _)| package_matches(k, p)).map(|(_, c)| *c)) {
            return Some((c, each));
        }
        if ignored.is_empty() {
            return Some((category, each));
        }
        let kept: Vec<&(String, Category)> = each.iter().filter(|(id, _)| !ignored.contains(id.as_str())).collect();
        if kept.is_empty() {
            return None;
        }
        if kept.len() == each.len() {
            return Some((category, each));
        }
        let mut c = self.classifier.clone();
        for id in &ignored {
            c.overrides.insert((*id).to_string(), Category::Unencumbered);
        }
        Some((c.expression(expression).0, each))
    }

    fn severity(&self, c: Category) -> Severity {
        self.severity.get(&c).copied().unwrap_or_else(|| default_severity(c))
    }
}

/// A file name that holds a license text: `LICENSE`, `LICENCE.md`, `COPYING.LIB`, `COPYING3`,
/// `LICENSE-MIT`, `MIT-LICENSE`, `license.apache2`, `NOTICE.txt`, `UNLICENSE`, `COPYRIGHT`, and
/// every file of a REUSE `LICENSES/` directory (not `license.py`, `License.java`,
/// `license_test.go` or `license-utils.ts`).
pub fn is_license_file(path: &str) -> bool {
    let mut parts = path.rsplit('/');
    let name = parts.next().unwrap_or(path).to_ascii_lowercase();
    if parts.next() == Some("LICENSES") && (name.ends_with(".txt") || !name.contains('.')) {
        return true;
    }
    let name = [".txt", ".md", ".rst", ".markdown"].iter().find_map(|e| name.strip_suffix(e)).unwrap_or(&name);
    let name = name.strip_prefix("mit-").unwrap_or(name);
    let Some(rest) = ["license", "licence", "copying", "notice", "unlicense", "copyright"].iter().find_map(|p| name.strip_prefix(p)) else {
        return false;
    };
    if rest.is_empty() || rest == "s" || rest.chars().all(|c| c.is_ascii_digit()) {
        return true;
    }
    const CODE: &[&str] = &[
        "py", "pyc", "js", "mjs", "cjs", "ts", "go", "rs", "java", "class", "kt", "c", "h", "cc", "cpp", "hpp", "json", "html", "htm",
        "css", "xml", "yml", "yaml", "sh", "rb", "php", "cs", "pm", "pl", "el", "elc", "vim", "tmpl", "map", "swift", "scala", "gz", "zip",
        "jst", "ejs", "hbs", "tpl", "erb", "jinja", "j2", "pyi", "pod", "1", "3", "gif", "png", "svg", "jsx", "tsx", "vue", "lua", "sql",
        "toml",
    ];
    let sep = rest.starts_with(['-', '_', '.']);
    let tail = &rest[1.min(rest.len())..];
    // The last part after a dot is an extension: code, data or a template is not a license text.
    let ext = tail.rsplit('.').next().unwrap_or(tail);
    sep && rest.len() <= 24
        && tail.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+'))
        && !CODE.contains(&ext)
        && !["test", "tests", "check", "checker", "utils", "util", "handler", "plugin", "manager", "service"]
            .iter()
            .any(|w| tail.starts_with(w))
}

/// A license file of any size is read on its start ([`detect::MAX_TEXT`] of text after leading
/// blank lines): the size limit only keeps the walk from warning about large files.
const MAX_FILE: u64 = 1 << 40;

/// Text, not a binary: UTF-16 with a byte-order mark, or few NULs in its first bytes.
fn looks_textual(head: &[u8]) -> bool {
    if head.starts_with(&[0xff, 0xfe]) || head.starts_with(&[0xfe, 0xff]) {
        return true;
    }
    let head = &head[..head.len().min(1024)];
    head.iter().filter(|b| **b == 0).count() * 8 <= head.len()
}

impl ContentScanner for Scanner {
    fn name(&self) -> &'static str {
        "license"
    }
    fn fingerprint(&self) -> String {
        // The detection store is the SPDX list of the spdx crate: part of the key.
        format!("license@2 spdx-list {} text {}", spdx::license_version(), detect::MAX_TEXT)
    }
    fn max_file_size(&self) -> u64 {
        MAX_FILE
    }
    fn wants(&self, path: &str, head: &[u8]) -> bool {
        // Package documentation (Debian's and rpm's `/usr/share/doc/<package>/`) belongs to an OS
        // package, whose declared license is already read: not matched again.
        let p = path.trim_start_matches('/');
        is_license_file(p) && !p.starts_with("usr/share/doc/") && looks_textual(head)
    }
    fn scan_bytes(&self, _path: &str, data: &[u8]) -> Vec<Fact> {
        match detect::identify(data) {
            Some(i) => vec![Fact::LicenseText { license: i.license, confidence: i.confidence }],
            None => Vec::new(),
        }
    }
    fn scan_stream(&self, path: &str, r: &mut dyn Read) -> std::io::Result<Vec<Fact>> {
        // Enough to skip leading blank lines and still have a whole text.
        let mut data = Vec::new();
        r.take(4 * detect::MAX_TEXT as u64).read_to_end(&mut data)?;
        Ok(self.scan_bytes(path, &data))
    }
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

/// `…/pkg/mod/github.com/!burnt!sushi/toml@v1.2.0/LICENSE` → (`github.com/BurntSushi/toml`,
/// `v1.2.0`): a module in the Go module cache (upper-case letters escaped as `!x`).
fn go_module_of(path: &str) -> Option<(String, String)> {
    let (_, rest) = path.split_once("/pkg/mod/")?;
    if rest.starts_with("cache/") {
        return None;
    }
    let at = rest.find('@')?;
    let module = &rest[..at];
    let version = rest[at + 1..].split('/').next()?;
    let mut out = String::new();
    let mut up = false;
    for c in module.chars() {
        if c == '!' {
            up = true;
        } else if up {
            out.push(c.to_ascii_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    Some((out, version.to_string()))
}

/// The packages whose own directory holds license texts: installed Python distributions
/// (`*.dist-info/LICENSE`, `*.dist-info/licenses/…`) and npm packages (`node_modules/x/LICENSE`),
/// by directory.
fn package_dirs(packages: &[Package]) -> HashMap<String, usize> {
    let mut dirs = HashMap::new();
    for (i, p) in packages.iter().enumerate() {
        if p.origin != dredge_model::Origin::Installed || p.member.is_some() || !matches!(p.ecosystem, Ecosystem::PyPI | Ecosystem::Npm) {
            continue;
        }
        if let Some(l) = &p.location {
            let d = parent(&l.path);
            let is_own =
                d.ends_with(".dist-info") || d.ends_with(".egg-info") || d.contains("/node_modules/") || d.starts_with("node_modules/");
            if is_own {
                dirs.insert(d.to_string(), i);
            }
        }
    }
    dirs
}

impl dredge_scanner::Scanner for Scanner {
    fn info(&self) -> ScannerInfo {
        INFO
    }
    fn content(&self) -> Option<&dyn ContentScanner> {
        Some(self)
    }
    fn owns(&self, fact: &Fact) -> bool {
        matches!(fact, Fact::LicenseText { .. })
    }
    fn analyse(&self, cx: &mut Context<'_>) -> anyhow::Result<Option<Vec<Finding>>> {
        let mut out = Vec::new();
        // License texts: a package's own, or loose.
        // Which license files an OS package owns: only the few license files are looked up (the
        // OS packages' file lists are long).
        let text_paths: HashSet<&str> =
            cx.content.iter().filter(|c| matches!(c.fact, Fact::LicenseText { .. })).map(|c| c.path.as_str()).collect();
        let owned_by_os: HashSet<&str> = if text_paths.is_empty() {
            HashSet::new()
        } else {
            cx.report
                .packages
                .iter()
                .filter(|p| p.ecosystem.is_os())
                .flat_map(|p| p.files.iter().map(String::as_str))
                .filter(|f| text_paths.contains(f))
                .collect()
        };
        let dirs = package_dirs(&cx.report.packages);
        let mut go: HashMap<(String, String), usize> = HashMap::new();
        for (i, p) in cx.report.packages.iter().enumerate() {
            if p.ecosystem == Ecosystem::Golang {
                go.insert((p.name.clone(), p.version.clone()), i);
            }
        }
        // Per package: the identified texts of its own license files, and whether one of them
        // matched nothing.
        let mut texts: HashMap<usize, (Vec<String>, u8, Option<String>)> = HashMap::new();
        let mut loose = Vec::new();
        for c in cx.content {
            let Fact::LicenseText { license, confidence } = &c.fact else { continue };
            if c.removed_in.is_some() || owned_by_os.contains(c.path.as_str()) {
                continue;
            }
            let d = parent(&c.path);
            let own =
                dirs.get(d).or_else(|| dirs.get(parent(d))).copied().or_else(|| go_module_of(&c.path).and_then(|k| go.get(&k).copied()));
            let identified = !license.is_empty() && *confidence >= self.confidence;
            match own {
                Some(i) => {
                    let e = texts.entry(i).or_insert((Vec::new(), 100, None));
                    if identified {
                        for id in license.split(" AND ") {
                            if !e.0.iter().any(|x| x == id) {
                                e.0.push(id.to_string());
                            }
                        }
                        e.1 = e.1.min(*confidence);
                    } else if e.2.is_none() && !c.path.rsplit('/').next().unwrap_or("").to_ascii_lowercase().starts_with("notice") {
                        e.2 = Some(c.path.clone());
                    }
                }
                None => loose.push((c, identified)),
            }
        }
        for (i, (ids, _, _)) in &texts {
            if !ids.is_empty() {
                cx.report.packages[*i].license_concluded = Some(ids.join(" AND "));
            }
        }

        let mut undeclared = 0usize;
        // Thousands of packages share a few dozen license strings: each is normalised once.
        let mut normalised: HashMap<&str, Option<dredge_model::license::Normalised>> = HashMap::new();
        let finding =
            |p: &Package, expression: String, source: &'static str, unknown: Vec<String>, confidence: Option<u8>, note: Option<String>| {
                let (category, _) = self.classify(&expression, Some(p))?;
                Some(Finding {
                    scanner: INFO.id,
                    rule: expression.clone(),
                    title: match &note {
                        Some(n) => format!("{} {}: {} license ({n})", p.name, p.version, category.as_str()),
                        None => format!("{} {}: {} license", p.name, p.version, category.as_str()),
                    },
                    severity: self.severity(category),
                    place: Place {
                        path: p.found_at(),
                        layer: p.location.as_ref().and_then(|l| l.layer.clone()),
                        package: Some((p.name.clone(), p.version.clone(), p.purl.clone())),
                        ..Place::default()
                    },
                    remediation: remediation(category, &p.name),
                    detail: Detail::License(Box::new(LicenseDetail {
                        declared: p.license.clone().filter(|raw| *raw != expression && source == "declared"),
                        expression,
                        category,
                        source,
                        confidence,
                        unknown,
                    })),
                })
            };
        for (i, p) in cx.report.packages.iter().enumerate() {
            let declared = p.license.as_deref().and_then(|raw| normalised.entry(raw).or_insert_with(|| normalise(raw)).clone());
            let text = texts.get(&i);
            let text_ids: &[String] = text.map(|t| t.0.as_slice()).unwrap_or(&[]);
            let confidence = text.map(|t| t.1);
            match (&declared, text_ids.is_empty()) {
                (Some(d), _) => {
                    // The LicenseRefs of an expression normalised earlier are unknown too.
                    let mut unknown = d.unknown.clone();
                    for t in d.expression.split(|c: char| c.is_whitespace() || c == '(' || c == ')') {
                        if t.starts_with("LicenseRef-") && !unknown.iter().any(|u| license_ref(u) == t) {
                            unknown.push(t.to_string());
                        }
                    }
                    out.extend(finding(p, d.expression.clone(), "declared", unknown, None, None));
                    // Its license file says something the declaration does not: both are shown
                    // (a package declaring MIT that ships the AGPL's text).
                    let said: HashSet<&str> = d.expression.split(|c: char| c.is_whitespace() || c == '(' || c == ')').collect();
                    let other: Vec<&String> = text_ids.iter().filter(|id| !said.contains(id.as_str())).collect();
                    if !other.is_empty() {
                        let e = other.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" AND ");
                        out.extend(finding(
                            p,
                            e,
                            "text",
                            Vec::new(),
                            confidence,
                            Some("its license file, not its metadata, says so".to_string()),
                        ));
                    }
                }
                (None, false) => out.extend(finding(p, text_ids.join(" AND "), "text", Vec::new(), confidence, None)),
                (None, true) => match text.and_then(|t| t.2.as_ref()) {
                    // It ships a license file nobody can name: someone has to read it.
                    Some(path) => out.extend(finding(
                        p,
                        "LicenseRef-unidentified".into(),
                        "text",
                        Vec::new(),
                        None,
                        Some(format!("{path} matches no SPDX license")),
                    )),
                    None => undeclared += 1,
                },
            }
        }
        for (c, identified) in loose {
            let Fact::LicenseText { license, confidence } = &c.fact else { continue };
            let name = c.path.rsplit('/').next().unwrap_or("").to_ascii_lowercase();
            if !identified && name.starts_with("notice") {
                continue; // NOTICE files are attributions, rarely a license text
            }
            let expression = if identified { license.clone() } else { "LicenseRef-unidentified".to_string() };
            let Some((category, _)) = self.classify(&expression, None) else { continue };
            out.push(Finding {
                scanner: INFO.id,
                rule: expression.clone(),
                title: if identified {
                    format!("license file: {} license", category.as_str())
                } else {
                    format!("license file that matches no SPDX license (best {confidence}%)")
                },
                severity: self.severity(category),
                place: Place { path: Some(c.path.clone()), layer: cx.layer(c.layer), ..Place::default() },
                remediation: remediation(category, &c.path),
                detail: Detail::License(Box::new(LicenseDetail {
                    expression,
                    category,
                    source: "file",
                    declared: None,
                    confidence: Some(*confidence),
                    unknown: Vec::new(),
                })),
            });
        }
        if undeclared > 0 {
            cx.report.notes.push(format!(
                "{undeclared} packages declare no license and ship no license file dredge found (Rust binaries never do: cargo-auditable records none)"
            ));
        }
        Finding::sort(&mut out);
        Ok(Some(out))
    }
}

fn remediation(c: Category, what: &str) -> Option<String> {
    match c {
        Category::Forbidden => Some(format!("Remove {what}, or get it under a license your policy allows")),
        Category::Restricted | Category::Reciprocal => {
            Some(format!("Check that shipping {what} meets the license's source-release obligations"))
        }
        Category::Unknown => Some(format!("Read the license of {what} and classify it in the license config (`categories:`)")),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
