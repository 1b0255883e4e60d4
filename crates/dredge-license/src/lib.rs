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
use dredge_model::license::{Category, normalise};
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
    pub ignore: Vec<Ignore>,
    #[serde(default)]
    pub confidence: Option<u8>,
}

#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ignore {
    pub package: Option<String>,
    pub license: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
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

pub struct Scanner {
    classifier: Classifier,
    severity: HashMap<Category, Severity>,
    packages: HashMap<String, Category>,
    ignore: Vec<Ignore>,
    confidence: u8,
}

impl Scanner {
    pub fn builtin() -> Scanner {
        Scanner {
            classifier: Classifier::default(),
            severity: Category::ALL.iter().map(|c| (*c, default_severity(*c))).collect(),
            packages: HashMap::new(),
            ignore: Vec::new(),
            confidence: (detect::THRESHOLD * 100.0) as u8,
        }
    }

    /// The scanner as `cfg` sets it; a category or severity that does not exist is an error.
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
            s.classifier.overrides.insert(id.clone(), category(id, c)?);
        }
        for (c, sev) in &cfg.severity {
            let c = category("severity", c)?;
            let sev = Severity::parse_label(sev)
                .filter(|_| ["critical", "high", "medium", "low", "unknown"].contains(&sev.trim().to_ascii_lowercase().as_str()))
                .ok_or_else(|| bad(format!("{}: severity {sev:?} is not CRITICAL, HIGH, MEDIUM, LOW or UNKNOWN", c.as_str())))?;
            s.severity.insert(c, sev);
        }
        for (name, c) in &cfg.packages {
            s.packages.insert(name.clone(), category(name, c)?);
        }
        for i in &cfg.ignore {
            if i.package.is_none() && i.license.is_none() {
                return Err(bad("an ignore entry names neither a package nor a license".into()));
            }
        }
        s.ignore = cfg.ignore.clone();
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
        let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
        if text.len() > 1 << 20 {
            return Err(bad("larger than 1 MiB; not a license config".into()));
        }
        let cfg: Config = serde_saphyr::from_str(&text).map_err(|e| bad(format!("invalid YAML: {e}")))?;
        Scanner::new(&cfg, &shown)
    }

    /// Licenses to leave out (`--ignored-licenses`).
    pub fn ignore_licenses(mut self, ids: &[String]) -> Scanner {
        self.ignore.extend(ids.iter().map(|l| Ignore { package: None, license: Some(l.clone()), reason: None }));
        self
    }

    fn ignored(&self, package: Option<&str>, each: &[(String, Category)]) -> bool {
        self.ignore.iter().any(|i| {
            let pkg = i.package.as_deref().is_none_or(|p| Some(p) == package);
            let lic = i.license.as_deref().is_none_or(|l| each.iter().any(|(id, _)| id.eq_ignore_ascii_case(l)));
            pkg && lic
        })
    }

    fn severity(&self, c: Category) -> Severity {
        self.severity.get(&c).copied().unwrap_or_else(|| default_severity(c))
    }
}

/// A file name that holds a license text: `LICENSE`, `LICENCE.md`, `COPYING.LIB`, `LICENSE-MIT`,
/// `license.apache2`, `NOTICE.txt`, `UNLICENSE` (not `license.py` or `License.java`).
pub fn is_license_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    let name = [".txt", ".md", ".rst", ".markdown"].iter().find_map(|e| name.strip_suffix(e)).unwrap_or(&name);
    let Some(rest) = ["license", "licence", "copying", "notice", "unlicense"].iter().find_map(|p| name.strip_prefix(p)) else {
        return false;
    };
    if rest.is_empty() {
        return true;
    }
    const CODE: &[&str] = &[
        "py", "pyc", "js", "mjs", "cjs", "ts", "d.ts", "go", "rs", "java", "class", "kt", "c", "h", "cc", "cpp", "hpp", "json", "html",
        "htm", "css", "xml", "yml", "yaml", "sh", "rb", "php", "cs", "pm", "pl", "el", "elc", "vim", "tmpl", "map", "swift", "scala", "gz",
        "zip", "jst", "ejs", "hbs", "tpl", "erb", "jinja", "j2", "pyi", "pod", "1", "3", "gif", "png", "svg",
    ];
    let sep = rest.starts_with(['-', '_', '.']);
    let tail = &rest[1.min(rest.len())..];
    sep && rest.len() <= 24
        && tail.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !CODE.contains(&tail)
        && !tail.ends_with(".py")
        && !tail.ends_with(".js")
}

/// Largest license file read; bigger ones are reported by the walk and not scanned.
const MAX_FILE: u64 = 1 << 20;

impl ContentScanner for Scanner {
    fn name(&self) -> &'static str {
        "license"
    }
    fn fingerprint(&self) -> String {
        // The detection store is the SPDX list of the spdx crate: part of the key.
        format!("license@1 spdx-list {} text {}", spdx::license_version(), detect::MAX_TEXT)
    }
    fn max_file_size(&self) -> u64 {
        MAX_FILE
    }
    fn wants(&self, path: &str, head: &[u8]) -> bool {
        // Package documentation (Debian's and rpm's `/usr/share/doc/<package>/`) belongs to an OS
        // package, whose declared license is already read: not matched again.
        let p = path.trim_start_matches('/');
        is_license_file(p) && !p.starts_with("usr/share/doc/") && !head.contains(&0)
    }
    fn scan_bytes(&self, _path: &str, data: &[u8]) -> Vec<Fact> {
        match detect::identify(data) {
            Some(i) => vec![Fact::LicenseText { license: i.license, confidence: i.confidence }],
            None => Vec::new(),
        }
    }
    fn scan_stream(&self, path: &str, r: &mut dyn Read) -> std::io::Result<Vec<Fact>> {
        let mut data = Vec::new();
        r.take(detect::MAX_TEXT as u64).read_to_end(&mut data)?;
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
        let owned_by_os: HashSet<&str> =
            cx.report.packages.iter().filter(|p| p.ecosystem.is_os()).flat_map(|p| p.files.iter().map(String::as_str)).collect();
        let dirs = package_dirs(&cx.report.packages);
        let mut go: HashMap<(String, String), usize> = HashMap::new();
        for (i, p) in cx.report.packages.iter().enumerate() {
            if p.ecosystem == Ecosystem::Golang {
                go.insert((p.name.clone(), p.version.clone()), i);
            }
        }
        let mut concluded: Vec<(usize, String, u8)> = Vec::new();
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
                Some(i) if identified => concluded.push((i, license.clone(), *confidence)),
                Some(_) => {}
                None => loose.push((c, identified)),
            }
        }
        let mut confidence_of: HashMap<usize, u8> = HashMap::new();
        for (i, license, conf) in concluded {
            let p = &mut cx.report.packages[i];
            let joined = match p.license_concluded.take() {
                Some(prev) if prev != license && !prev.split(" AND ").any(|x| x == license) => format!("{prev} AND {license}"),
                Some(prev) => prev,
                None => license,
            };
            p.license_concluded = Some(joined);
            let e = confidence_of.entry(i).or_insert(conf);
            *e = (*e).min(conf);
        }

        let mut undeclared = 0usize;
        // Thousands of packages share a few dozen license strings: each is normalised and
        // classified once.
        let mut normalised: HashMap<&str, Option<dredge_model::license::Normalised>> = HashMap::new();
        let mut classified: HashMap<String, (Category, Vec<(String, Category)>)> = HashMap::new();
        for (i, p) in cx.report.packages.iter().enumerate() {
            let declared = p.license.as_deref().and_then(|raw| normalised.entry(raw).or_insert_with(|| normalise(raw)).clone());
            let (expression, source, unknown) = match (&declared, &p.license_concluded) {
                (Some(d), _) => (d.expression.clone(), "declared", d.unknown.clone()),
                (None, Some(c)) => (c.clone(), "text", Vec::new()),
                (None, None) => {
                    undeclared += 1;
                    continue;
                }
            };
            let (mut category, each) =
                classified.entry(expression.clone()).or_insert_with(|| self.classifier.expression(&expression)).clone();
            if let Some(c) = self.packages.get(&p.name) {
                category = *c;
            }
            if self.ignored(Some(&p.name), &each) {
                continue;
            }
            let declared_raw = p.license.clone().filter(|raw| *raw != expression);
            out.push(Finding {
                scanner: INFO.id,
                rule: expression.clone(),
                title: format!("{} {}: {} license", p.name, p.version, category.as_str()),
                severity: self.severity(category),
                place: Place {
                    path: p.found_at(),
                    layer: p.location.as_ref().and_then(|l| l.layer.clone()),
                    package: Some((p.name.clone(), p.version.clone(), p.purl.clone())),
                    ..Place::default()
                },
                remediation: remediation(category, &p.name),
                detail: Detail::License(Box::new(LicenseDetail {
                    expression,
                    category,
                    source,
                    declared: declared_raw,
                    confidence: if source == "text" { confidence_of.get(&i).copied() } else { None },
                    unknown,
                })),
            });
        }
        for (c, identified) in loose {
            let Fact::LicenseText { license, confidence } = &c.fact else { continue };
            let name = c.path.rsplit('/').next().unwrap_or("").to_ascii_lowercase();
            if !identified && name.starts_with("notice") {
                continue; // NOTICE files are attributions, rarely a license text
            }
            let expression = if identified { license.clone() } else { "LicenseRef-unidentified".to_string() };
            let (category, each) = self.classifier.expression(&expression);
            if self.ignored(None, &each) {
                continue;
            }
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
                "{undeclared} packages declare no license and have no license file dredge could read (Rust binaries never do: cargo-auditable records none)"
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
