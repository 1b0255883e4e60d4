//! Pure data shared by every dredge crate: packages, ecosystems, locations, facts that extractors
//! emit, and the inventory that the pipeline assembles. No I/O lives here.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

mod finding;
pub mod license;
mod purl;
pub use finding::{Detail, Finding, LicenseDetail, Place, ScannerInfo, Status, Suppressed, Vulnerability, Why, counts};
pub use purl::package_purl;

/// How bad a finding is, on the scale every scanner and report shares (lowest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    Unknown,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn parse_label(s: &str) -> Option<Severity> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "critical" => Severity::Critical,
            "high" | "important" => Severity::High,
            "medium" | "moderate" => Severity::Medium,
            "low" | "negligible" | "unimportant" | "minor" => Severity::Low,
            "unknown" | "not yet assigned" | "none" => Severity::Unknown,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Unknown => "UNKNOWN",
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }
}

/// Every package ecosystem dredge knows. Adding one adds a variant here; the compiler's exhaustive
/// `match`es then list every place that has to learn about it (purl type, version scheme, docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Ecosystem {
    /// Debian packages recorded by dpkg.
    Deb,
    /// Alpine packages recorded by apk.
    Apk,
    /// RPM packages (Red Hat, SUSE, Mariner, ...).
    Rpm,
    /// Python packages (PyPI).
    #[serde(rename = "pypi")]
    PyPI,
    /// Node packages (npm).
    Npm,
    /// Java artifacts (Maven coordinates `group:artifact`).
    Maven,
    /// Go modules.
    Golang,
    /// Rust crates.
    Cargo,
    /// Ruby gems.
    Gem,
    /// .NET packages.
    NuGet,
    /// PHP packages (Composer / Packagist).
    Composer,
    /// Conda packages (`conda-meta/*.json`); no advisory ecosystem.
    Conda,
    /// Dart / Flutter packages (pub.dev).
    Pub,
    /// Erlang / Elixir packages (hex.pm).
    Hex,
    /// Swift packages, named by repository URL (`github.com/apple/swift-nio`).
    Swift,
    /// CocoaPods; no advisory ecosystem.
    Cocoapods,
    /// C/C++ packages from ConanCenter.
    Conan,
    /// Julia packages.
    Julia,
    /// Components of Bitnami's images (`/opt/bitnami/<component>/.spdx-<component>.spdx`).
    Bitnami,
}

impl Ecosystem {
    pub const ALL: &'static [Ecosystem] = &[
        Ecosystem::Deb,
        Ecosystem::Apk,
        Ecosystem::Rpm,
        Ecosystem::PyPI,
        Ecosystem::Npm,
        Ecosystem::Maven,
        Ecosystem::Golang,
        Ecosystem::Cargo,
        Ecosystem::Gem,
        Ecosystem::NuGet,
        Ecosystem::Composer,
        Ecosystem::Conda,
        Ecosystem::Pub,
        Ecosystem::Hex,
        Ecosystem::Swift,
        Ecosystem::Cocoapods,
        Ecosystem::Conan,
        Ecosystem::Julia,
        Ecosystem::Bitnami,
    ];

    /// OS package managers (matched through the distribution's advisories).
    pub fn is_os(self) -> bool {
        matches!(self, Ecosystem::Deb | Ecosystem::Apk | Ecosystem::Rpm)
    }

    /// The package-url type.
    pub fn purl_type(self) -> &'static str {
        match self {
            Ecosystem::Deb => "deb",
            Ecosystem::Apk => "apk",
            Ecosystem::Rpm => "rpm",
            Ecosystem::PyPI => "pypi",
            Ecosystem::Npm => "npm",
            Ecosystem::Maven => "maven",
            Ecosystem::Golang => "golang",
            Ecosystem::Cargo => "cargo",
            Ecosystem::Gem => "gem",
            Ecosystem::NuGet => "nuget",
            Ecosystem::Composer => "composer",
            Ecosystem::Conda => "conda",
            Ecosystem::Pub => "pub",
            Ecosystem::Hex => "hex",
            Ecosystem::Swift => "swift",
            Ecosystem::Cocoapods => "cocoapods",
            Ecosystem::Conan => "conan",
            Ecosystem::Julia => "julia",
            Ecosystem::Bitnami => "bitnami",
        }
    }

    pub fn from_purl_type(t: &str) -> Option<Ecosystem> {
        Ecosystem::ALL.iter().copied().find(|e| e.purl_type() == t)
    }

    /// The version scheme used to order versions of this ecosystem.
    pub fn version_scheme(self) -> &'static str {
        match self {
            Ecosystem::Deb => "dpkg",
            Ecosystem::Apk => "apk",
            Ecosystem::Rpm => "rpm",
            Ecosystem::PyPI => "pep440",
            Ecosystem::Npm
            | Ecosystem::Golang
            | Ecosystem::Cargo
            | Ecosystem::Pub
            | Ecosystem::Hex
            | Ecosystem::Swift
            | Ecosystem::Cocoapods
            | Ecosystem::Conan
            | Ecosystem::Julia => "semver",
            Ecosystem::Conda => "pep440",
            Ecosystem::Maven => "maven",
            Ecosystem::Gem => "rubygems",
            Ecosystem::NuGet => "nuget",
            Ecosystem::Composer => "composer",
            // Bitnami's revisions (`18.4.0-0`) are not pre-releases: ordered as Debian versions.
            Ecosystem::Bitnami => "dpkg",
        }
    }

    /// The OSV ecosystem name of a language ecosystem (OS ones depend on the release; `None` also
    /// for ecosystems OSV has no advisories for).
    pub fn osv_name(self) -> Option<&'static str> {
        match self {
            Ecosystem::Deb | Ecosystem::Apk | Ecosystem::Rpm => None,
            Ecosystem::PyPI => Some("PyPI"),
            Ecosystem::Npm => Some("npm"),
            Ecosystem::Maven => Some("Maven"),
            Ecosystem::Golang => Some("Go"),
            Ecosystem::Cargo => Some("crates.io"),
            Ecosystem::Gem => Some("RubyGems"),
            Ecosystem::NuGet => Some("NuGet"),
            Ecosystem::Composer => Some("Packagist"),
            Ecosystem::Pub => Some("Pub"),
            Ecosystem::Hex => Some("Hex"),
            Ecosystem::Swift => Some("SwiftURL"),
            Ecosystem::Conan => Some("ConanCenter"),
            Ecosystem::Julia => Some("Julia"),
            Ecosystem::Bitnami => Some("Bitnami"),
            Ecosystem::Conda | Ecosystem::Cocoapods => None,
        }
    }

    /// The package manager / database that records it, for people.
    pub fn describe(self) -> &'static str {
        match self {
            Ecosystem::Deb => "dpkg",
            Ecosystem::Apk => "apk",
            Ecosystem::Rpm => "rpm",
            Ecosystem::PyPI => "Python",
            Ecosystem::Npm => "Node",
            Ecosystem::Maven => "Java",
            Ecosystem::Golang => "Go",
            Ecosystem::Cargo => "Rust",
            Ecosystem::Gem => "Ruby",
            Ecosystem::NuGet => ".NET",
            Ecosystem::Composer => "PHP",
            Ecosystem::Conda => "Conda",
            Ecosystem::Pub => "Dart",
            Ecosystem::Hex => "Elixir/Erlang",
            Ecosystem::Swift => "Swift",
            Ecosystem::Cocoapods => "CocoaPods",
            Ecosystem::Conan => "C/C++ (Conan)",
            Ecosystem::Julia => "Julia",
            Ecosystem::Bitnami => "Bitnami",
        }
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.purl_type())
    }
}

/// Which layer of an image something came from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LayerRef {
    /// 0-based position of the layer in the image (bottom first).
    pub index: usize,
    /// Digest of the layer blob as stored (compressed), when the source knows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// Digest of the uncompressed layer tar (`rootfs.diff_ids`).
    pub diff_id: String,
    /// The build-history line that created the layer, when the config has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
}

/// Where a fact was found: the file inside the image and the layer that wrote it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Location {
    /// Path inside the image, absolute (`/var/lib/dpkg/status`).
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<LayerRef>,
}

/// The source package a binary package was built from (dpkg `Source:`, rpm `SOURCERPM`, apk origin).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SourcePackage {
    pub name: String,
    /// Present when the source version differs from the binary version (dpkg `Source: x (1.2)`),
    /// or always for rpm (from the source rpm file name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// One installed package.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Package {
    pub ecosystem: Ecosystem,
    pub name: String,
    /// The full version as the package manager orders it. For rpm: `[epoch:]version-release`.
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// rpm only: epoch, kept separately because purls and matchers want it apart.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epoch: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<SourcePackage>,
    /// The license the package declares, as its metadata writes it (`GPLv2+`, `MIT OR Apache-2.0`);
    /// [`license::normalise`] gives the SPDX expression.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    /// The license identified from the text of its license file (an SPDX expression), when the
    /// license scanner read one for this package.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_concluded: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maintainer: Option<String>,
    /// rpm only: the module stream the package belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modularity_label: Option<String>,
    /// Files the package manager says this package owns (absolute paths), sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
    /// Filled in when the inventory is assembled (needs the OS).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub purl: String,
    /// Filled in by the merge: the database file and the layer that last wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// What kind of evidence the package comes from (installed metadata, a lockfile, a binary).
    #[serde(default)]
    pub origin: Origin,
    /// Only needed to develop or test the project (a lockfile's dev group): excluded from
    /// vulnerability results unless asked for.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dev: bool,
    /// `Some(true)` for a direct dependency of the project, `Some(false)` for a transitive one,
    /// `None` where the file does not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direct: Option<bool>,
    /// Inside an archive: the member the package was read from (`BOOT-INF/lib/x.jar`, nested
    /// members joined with `!`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// The packages of the same file this one depends on, where the file says (a lockfile's
    /// resolved graph): the edges of the SBOMs' dependency graph.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<DepRef>,
}

/// A dependency edge's far end: a package of the same file, by name and version. An empty version
/// (an installed `node_modules` package) means the one Node finds from the package's own place.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct DepRef {
    pub name: String,
    pub version: String,
}

/// What kind of evidence a package comes from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// A package manager's record of what is installed (dpkg status, `*.dist-info`,
    /// `node_modules/*/package.json`, gemspecs, Composer's `installed.json`, a Java archive's own
    /// Maven metadata).
    #[default]
    Installed,
    /// A lockfile: what a build pinned, which may or may not be installed in the image.
    Lockfile,
    /// Build information embedded in a compiled binary (Go build info, cargo-auditable).
    Binary,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Installed => "installed",
            Origin::Lockfile => "lockfile",
            Origin::Binary => "binary",
        }
    }
}

impl Package {
    /// Where the package was found, for people: `/app/app.jar!BOOT-INF/lib/x.jar`.
    pub fn found_at(&self) -> Option<String> {
        let path = &self.location.as_ref()?.path;
        Some(match &self.member {
            Some(m) => format!("{path}!{m}"),
            None => path.clone(),
        })
    }

    pub fn new(ecosystem: Ecosystem, name: impl Into<String>, version: impl Into<String>) -> Self {
        Package {
            ecosystem,
            name: name.into(),
            version: version.into(),
            arch: None,
            epoch: None,
            source: None,
            license: None,
            license_concluded: None,
            vendor: None,
            maintainer: None,
            modularity_label: None,
            files: Vec::new(),
            purl: String::new(),
            location: None,
            origin: Origin::Installed,
            dev: false,
            direct: None,
            member: None,
            depends_on: Vec::new(),
        }
    }

    /// A package pinned by a lockfile.
    pub fn locked(ecosystem: Ecosystem, name: impl Into<String>, version: impl Into<String>) -> Self {
        Package { origin: Origin::Lockfile, ..Package::new(ecosystem, name, version) }
    }
}

/// PEP 503 name normalisation: lowercase, runs of `-`, `_`, `.` become one `-`.
pub fn normalize_pypi(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// Sorts packages and drops repeats. An OS package is one record however many database files
/// mention it; a language package is kept once per file (and archive member) that declares it,
/// because each lockfile or install is a separate place to fix.
pub fn dedup_packages(packages: &mut Vec<Package>) {
    let where_ = |p: &Package| if p.ecosystem.is_os() { None } else { p.found_at() };
    packages.sort_by_cached_key(|p| (p.ecosystem, p.name.clone(), p.version.clone(), p.arch.clone(), where_(p)));
    packages.dedup_by(|a, b| {
        let same = a.ecosystem == b.ecosystem && a.name == b.name && a.version == b.version && a.arch == b.arch && where_(a) == where_(b);
        // Copies at two install paths of one lockfile can resolve their dependencies to
        // different versions: the kept one has the edges of both.
        if same && !a.depends_on.is_empty() {
            b.depends_on.append(&mut a.depends_on);
            b.depends_on.sort();
            b.depends_on.dedup();
        }
        same
    });
}

/// The operating system of an image.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsInfo {
    /// `ID` of os-release (`debian`, `alpine`, `rhel`, `sles`, `mariner` ...).
    pub id: String,
    /// `VERSION_ID` (`12`, `3.20.3`, `8.9`), or the release read from a distro-specific file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_codename: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pretty_name: Option<String>,
    /// `ID_LIKE`, split.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub id_like: Vec<String>,
    /// The file the identity came from.
    pub source_path: String,
    /// Set when the release is known to be past its end of life (`YYYY-MM-DD`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_of_life: Option<String>,
}

/// Something an extractor learned from one file. Facts are joined into an [`Inventory`] only
/// after the layers are merged, so an extractor never needs another file for context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fact {
    /// Key/value pairs of an os-release file.
    OsRelease { fields: BTreeMap<String, String> },
    /// A distro-specific release file (`/etc/alpine-release`, `/etc/debian_version`,
    /// `/etc/redhat-release` ...): weaker evidence than os-release.
    OsHint { id: String, version: Option<String>, pretty_name: Option<String> },
    /// An installed package as recorded by a package manager database.
    Package(Box<Package>),
    /// The files a package owns, from a file other than the package record (dpkg `info/*.list`).
    OwnedFiles { ecosystem: Ecosystem, package: String, files: Vec<String> },
    /// A package's declared license, from a file other than the package record (Debian's
    /// `usr/share/doc/<package>/copyright`): an SPDX expression.
    PackageLicense { ecosystem: Ecosystem, package: String, license: String },
    /// A problem with part of a file that did not stop the extractor (a nested archive that could
    /// not be read); becomes a warning on the file.
    Problem { message: String },
    /// A secret found in the file's content, already redacted.
    Secret(Box<SecretFact>),
    /// A license text (LICENSE, COPYING …) identified by the license scanner: the SPDX id (empty
    /// when no license matched well enough) and the match confidence in percent.
    LicenseText { license: String, confidence: u8 },
    /// What another content scanner found in the file (its own rule), for its analysis.
    Hit(Box<ContentHit>),
    /// A regular file with the setuid or setgid bit, from its tar header (or directory entry):
    /// its permission bits (`0o4755`).
    SetId { mode: u32 },
}

/// A content scanner's match in a file: the scanner's id, its rule, and the line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentHit {
    pub scanner: String,
    pub rule: String,
    pub title: String,
    pub severity: Severity,
    /// 1-based.
    pub line: u32,
    /// What matched, for the report (never a secret's value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
}

/// A secret in a file, as the content scanner reports it: never the full value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SecretFact {
    pub rule: String,
    pub title: String,
    pub severity: String,
    /// 1-based line of the secret's first character.
    pub line: u32,
    /// A few leading characters and asterisks.
    pub redacted: String,
    /// The variable name, for `NAME=value` findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A problem with one file or layer that did not stop the scan.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Warning {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<usize>,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(l) = self.layer {
            write!(f, "layer {l}: ")?;
        }
        if let Some(p) = &self.path {
            write!(f, "{p}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// What dredge found in a target after the merge: the OS and its packages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os: Option<OsInfo>,
    pub packages: Vec<Package>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
}

#[cfg(test)]
mod dedup_tests {
    use super::*;

    /// Two copies of one package in one lockfile (two install paths) are one package with the
    /// dependency edges of both.
    #[test]
    fn repeats_keep_every_edge() {
        let copy = |dep: &str| {
            let mut p = Package::locked(Ecosystem::Npm, "d", "1.0.0");
            p.location = Some(Location { path: "/app/package-lock.json".into(), layer: None });
            p.depends_on = vec![DepRef { name: "e".into(), version: dep.into() }];
            p
        };
        let mut v = vec![copy("2.0.0"), copy("1.0.0")];
        dedup_packages(&mut v);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].depends_on.iter().map(|d| d.version.as_str()).collect::<Vec<_>>(), vec!["1.0.0", "2.0.0"]);
    }
}
