//! One report model and its renderings: dredge JSON, CycloneDX 1.6, SPDX 2.3, and a table.

use dredge_model::{Finding, Inventory, OsInfo, Package, ScannerInfo, Vulnerability, Warning};
use serde::Serialize;

mod cyclonedx;
mod openvex;
mod sarif;
mod sbom_in;
mod spdx_json;
mod table;

pub use cyclonedx::{to_cyclonedx, write_cyclonedx};
pub use openvex::to_openvex;
pub use sarif::to_sarif;
pub use sbom_in::{inventory_from_sbom, package_from_purl};
pub use spdx_json::to_spdx;
pub use table::{to_table, to_table_width};

/// Version of the dredge JSON schema (`docs/json-schema.md`). Bumped on incompatible changes.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct LayerInfo {
    pub index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    pub diff_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Target {
    /// What the user named (`alpine:3.20`, `./image.tar`, `/srv/rootfs`).
    pub name: String,
    /// `image` or `rootfs`.
    pub kind: &'static str,
    /// `docker-archive`, `oci-dir`, `oci-archive`, `registry`, `docker-daemon`, `directory`.
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest_digest: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub repo_digests: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<LayerInfo>,
}

#[derive(Debug, Clone)]
pub struct ScanReport {
    pub schema: &'static str,
    pub schema_version: u32,
    pub tool: Tool,
    /// RFC 3339, UTC (`SOURCE_DATE_EPOCH` is honoured for reproducible output).
    pub created: String,
    pub target: Target,
    pub os: Option<OsInfo>,
    pub packages: Vec<Package>,
    /// The scanners that ran, in registry order: each has its key in the JSON report (even with
    /// no findings), its section in the table.
    pub scanned: Vec<ScannerInfo>,
    /// Every scanner's findings, sorted as [`Finding::sort`] within each scanner.
    pub findings: Vec<Finding>,
    /// Vulnerability findings an ignore file or a VEX document took out, with what they state
    /// (for `--format openvex`; `suppressed` in JSON).
    pub suppressed: Vec<dredge_model::Suppressed>,
    /// The advisory database the findings came from.
    pub database: Option<DatabaseInfo>,
    /// Statements about coverage (no advisories for this OS, ignored findings ...).
    pub notes: Vec<String>,
    pub warnings: Vec<Warning>,
}

impl ScanReport {
    /// The findings of one scanner, `None` when it did not run.
    pub fn findings_of(&self, scanner: &str) -> Option<impl Iterator<Item = &Finding>> {
        self.scanned.iter().any(|s| s.id == scanner).then(|| self.findings.iter().filter(move |f| f.scanner == scanner))
    }

    /// The vulnerability findings, `None` when vulnerabilities were not scanned for.
    pub fn vulnerabilities(&self) -> Option<Vec<&Vulnerability>> {
        self.findings_of("vuln").map(|i| i.filter_map(Finding::as_vulnerability).collect())
    }

    /// Sets a scanner's findings (in the order the scanner gives them).
    pub fn add(&mut self, info: ScannerInfo, findings: Vec<Finding>) {
        if !self.scanned.contains(&info) {
            self.scanned.push(info);
        }
        self.findings.retain(|f| f.scanner != info.id);
        self.findings.extend(findings);
    }
}

/// The dredge JSON report (`docs/json-schema.md`): each scanner that ran has its key, holding
/// its findings.
impl Serialize for ScanReport {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("schema", self.schema)?;
        m.serialize_entry("schema_version", &self.schema_version)?;
        m.serialize_entry("tool", &self.tool)?;
        m.serialize_entry("created", &self.created)?;
        m.serialize_entry("target", &self.target)?;
        if let Some(os) = &self.os {
            m.serialize_entry("os", os)?;
        }
        m.serialize_entry("packages", &self.packages)?;
        for sc in &self.scanned {
            let of: Vec<&Finding> = self.findings.iter().filter(|f| f.scanner == sc.id).collect();
            m.serialize_entry(sc.key, &of)?;
        }
        if !self.suppressed.is_empty() {
            m.serialize_entry("suppressed", &self.suppressed)?;
        }
        if let Some(db) = &self.database {
            m.serialize_entry("database", db)?;
        }
        if !self.notes.is_empty() {
            m.serialize_entry("notes", &self.notes)?;
        }
        if !self.warnings.is_empty() {
            m.serialize_entry("warnings", &self.warnings)?;
        }
        m.end()
    }
}

/// Which database a report used: a report says what it was computed from.
#[derive(Debug, Clone, Serialize)]
pub struct DatabaseInfo {
    pub path: String,
    pub built_at: String,
    pub schema_version: u32,
    pub sources: Vec<String>,
    /// Advisories the database holds.
    pub advisories: usize,
    /// Packages looked up in it (their ecosystem has advisories there).
    pub packages_checked: usize,
    /// Kinds of packages the database has no advisories for: listed, not checked.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unchecked: Vec<String>,
}

impl ScanReport {
    pub fn new(target: Target, inv: Inventory, created: String) -> Self {
        ScanReport {
            schema: "https://dredge.dev/schemas/inventory",
            schema_version: SCHEMA_VERSION,
            tool: Tool { name: "dredge", version: env!("CARGO_PKG_VERSION") },
            created,
            target,
            os: inv.os,
            packages: inv.packages,
            scanned: Vec::new(),
            findings: Vec::new(),
            suppressed: Vec::new(),
            database: None,
            notes: Vec::new(),
            warnings: inv.warnings,
        }
    }
}

pub fn to_json(r: &ScanReport) -> String {
    serde_json::to_string_pretty(r).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

/// The current time as RFC 3339 (or `SOURCE_DATE_EPOCH`).
pub fn now_rfc3339() -> String {
    let t = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
        .unwrap_or_else(time::OffsetDateTime::now_utc);
    t.replace_nanosecond(0)
        .unwrap_or(t)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}

/// A stable UUID-shaped id derived from content (so the same scan gives the same ids).
pub(crate) fn stable_uuid(seed: &str) -> String {
    use sha2::Digest;
    let h = hex::encode(sha2::Sha256::digest(seed.as_bytes()));
    format!("{}-{}-5{}-a{}-{}", &h[0..8], &h[8..12], &h[13..16], &h[17..20], &h[20..32])
}

/// A package's declared license for an SBOM: the normalised SPDX expression, and the raw text of
/// each `LicenseRef-` in it (what the package wrote that has no SPDX id).
pub(crate) fn sbom_license(raw: &str) -> Option<(String, Vec<(String, String)>)> {
    let n = dredge_model::license::normalise(raw)?;
    // SPDX 2.3 has no `AdditionRef-` (an unknown exception): the whole text is one LicenseRef.
    if n.expression.contains("AdditionRef-") {
        let id = dredge_model::license::license_ref(raw);
        return Some((id.clone(), vec![(id, raw.to_string())]));
    }
    // Every LicenseRef- needs its text in the document: the words the package wrote, where the
    // normaliser made the id, else the id's own words (a declared license that already was one).
    let written: std::collections::HashMap<String, &String> =
        n.unknown.iter().map(|u| (dredge_model::license::license_ref(u), u)).collect();
    let mut refs: Vec<(String, String)> = Vec::new();
    for tok in n.expression.split(|c: char| c.is_whitespace() || c == '(' || c == ')') {
        if let Some(body) = tok.strip_prefix("LicenseRef-") {
            let text = written.get(tok).map(|w| (*w).clone()).unwrap_or_else(|| body.replace('-', " "));
            if !refs.iter().any(|(id, _)| id == tok) {
                refs.push((tok.to_string(), text));
            }
        }
    }
    Some((n.expression, refs))
}

/// Who owns each package in an SBOM's graph: the OS its OS packages, and every other package
/// the application it was read from (the file of its location: a lockfile, a site-packages
/// record, a jar, a binary). Indexes into `r.packages`.
pub(crate) struct Owners {
    pub os: Vec<usize>,
    /// `(path, ecosystem purl type, packages)`, in order of first appearance.
    pub apps: Vec<(String, &'static str, Vec<usize>)>,
    /// Packages with neither (no OS identified, or no location): the subject's own.
    pub unowned: Vec<usize>,
}

/// The source package of an OS package as consumers split it (Trivy's `SrcName`, `SrcEpoch`,
/// `SrcVersion`, `SrcRelease`): name, epoch, version and release. A source without its own
/// version was built at the binary's version. dpkg and rpm versions split at the epoch's `:` and
/// the last `-` (Debian revision, rpm release); apk versions are kept whole, as Trivy does. A
/// source rpm's file name has no epoch: it is the binary's.
pub(crate) fn source_parts(pk: &dredge_model::Package) -> Option<(&str, Option<String>, &str, Option<&str>)> {
    use dredge_model::Ecosystem;
    let src = pk.source.as_ref()?;
    let full = src.version.as_deref().unwrap_or(&pk.version);
    match pk.ecosystem {
        Ecosystem::Deb | Ecosystem::Rpm => {
            let (epoch, rest) = match full.split_once(':') {
                Some((e, r)) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => (Some(e.to_string()), r),
                _ => (if pk.ecosystem == Ecosystem::Rpm { pk.epoch.map(|e| e.to_string()) } else { None }, full),
            };
            let (version, release) = match rest.rsplit_once('-') {
                Some((v, r)) if !v.is_empty() && !r.is_empty() => (v, Some(r)),
                _ => (rest, None),
            };
            Some((src.name.as_str(), epoch, version, release))
        }
        Ecosystem::Apk => Some((src.name.as_str(), None, full, None)),
        _ => None,
    }
}

/// The packages of one identity: indexes into `r.packages`, grouped by purl (or ecosystem, name
/// and version when there is none), in the order they first appear; and for each package, its
/// group.
pub(crate) fn identities(r: &ScanReport) -> (Vec<Vec<usize>>, Vec<usize>) {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut by_key: std::collections::HashMap<(String, String, String, String), usize> = std::collections::HashMap::new();
    let mut group_of = Vec::with_capacity(r.packages.len());
    for (i, pk) in r.packages.iter().enumerate() {
        let key = if pk.purl.is_empty() {
            (String::new(), pk.ecosystem.purl_type().to_string(), pk.name.clone(), pk.version.clone())
        } else {
            (pk.purl.clone(), String::new(), String::new(), String::new())
        };
        let g = *by_key.entry(key).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[g].push(i);
        group_of.push(g);
    }
    (groups, group_of)
}

/// The package-to-package edges the files state (`Package::depends_on`), between package
/// identities (`group_of`: each package's identity): for each identity with edges, the
/// identities it depends on, sorted. An edge joins packages of the same file (and archive member).
pub(crate) fn package_edges(r: &ScanReport, group_of: &[usize]) -> std::collections::BTreeMap<usize, std::collections::BTreeSet<usize>> {
    use std::collections::{BTreeMap, BTreeSet, HashMap};
    let mut at: HashMap<(Option<String>, dredge_model::Ecosystem, &str, &str), usize> = HashMap::new();
    for (i, p) in r.packages.iter().enumerate() {
        at.entry((p.found_at(), p.ecosystem, p.name.as_str(), p.version.as_str())).or_insert(i);
    }
    // Installed npm packages by their package.json: an edge without a version is resolved as
    // Node resolves `require`, from the package's own directory up.
    let installed: HashMap<&str, usize> = r
        .packages
        .iter()
        .enumerate()
        .filter(|(_, p)| p.ecosystem == dredge_model::Ecosystem::Npm)
        .filter_map(|(i, p)| Some((p.location.as_ref()?.path.as_str(), i)))
        .collect();
    let node_resolve = |from: &str, dep: &str| -> Option<usize> {
        let mut dir = from.strip_suffix("/package.json")?;
        for _ in 0..64 {
            if let Some(&j) = installed.get(format!("{dir}/node_modules/{dep}/package.json").as_str()) {
                return Some(j);
            }
            dir = &dir[..dir.rfind("/node_modules/")?];
        }
        None
    };
    let mut edges: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
    for (i, p) in r.packages.iter().enumerate() {
        if p.depends_on.is_empty() {
            continue;
        }
        let place = p.found_at();
        for d in &p.depends_on {
            let j = if d.version.is_empty() {
                p.location.as_ref().and_then(|l| node_resolve(&l.path, &d.name))
            } else {
                at.get(&(place.clone(), p.ecosystem, d.name.as_str(), d.version.as_str())).copied()
            };
            if let Some(j) = j.filter(|j| group_of[*j] != group_of[i]) {
                edges.entry(group_of[i]).or_default().insert(group_of[j]);
            }
        }
    }
    edges
}

/// os-release `ID`s and the family names SBOM consumers know them by (Trivy's OS types: its
/// advisory lookups go by family, so `mariner` would find nothing where `cbl-mariner` does).
const OS_FAMILIES: &[(&str, &str)] =
    &[("mariner", "cbl-mariner"), ("rhel", "redhat"), ("amzn", "amazon"), ("almalinux", "alma"), ("ol", "oracle"), ("sle-micro", "slem")];

/// The name an SBOM gives an OS: its family as consumers know it.
pub(crate) fn os_family(id: &str) -> &str {
    OS_FAMILIES.iter().find(|(i, _)| *i == id).map_or(id, |(_, f)| f)
}

/// An OS family name read from an SBOM, back to the os-release `ID` (Trivy's older names too).
pub(crate) fn os_id_of_family(family: &str) -> String {
    let f = family.to_ascii_lowercase();
    let f = match f.as_str() {
        "suse linux enterprise server" => "sles",
        "opensuse.leap" => "opensuse-leap",
        "opensuse.tumbleweed" => "opensuse-tumbleweed",
        other => other,
    };
    OS_FAMILIES.iter().find(|(_, fam)| *fam == f).map_or(f, |(i, _)| i).to_string()
}

pub(crate) fn owners(r: &ScanReport) -> Owners {
    let mut o = Owners { os: Vec::new(), apps: Vec::new(), unowned: Vec::new() };
    for (i, pk) in r.packages.iter().enumerate() {
        if pk.ecosystem.is_os() && r.os.is_some() {
            o.os.push(i);
        } else if let (false, Some(loc)) = (pk.ecosystem.is_os(), &pk.location) {
            let kind = pk.ecosystem.purl_type();
            match o.apps.iter_mut().find(|(path, k, _)| *path == loc.path && *k == kind) {
                Some(a) => a.2.push(i),
                None => o.apps.push((loc.path.clone(), kind, vec![i])),
            }
        } else {
            o.unowned.push(i);
        }
    }
    o
}

/// Text may quote bytes from an image, a file or a server: control characters are escaped so that
/// nothing raw reaches the terminal (no escape sequences, no extra lines or fake table rows).
pub fn printable(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_shape_is_stable() {
        let u = stable_uuid("x");
        assert_eq!(u, stable_uuid("x"));
        assert_eq!(u.len(), 36);
        assert_eq!(u.as_bytes()[14], b'5');
    }

    /// A package found in two places is one SBOM entry; its license and supplier come from the
    /// place that states them, not only the first (a lockfile copy states none).
    #[test]
    fn one_identity_takes_what_any_place_states() {
        use dredge_model::{Ecosystem, Location, Package};
        let place = |path: &str, license: Option<&str>| {
            let mut p = Package::locked(Ecosystem::PyPI, "six", "1.16.0");
            p.purl = "pkg:pypi/six@1.16.0".into();
            p.location = Some(Location { path: path.into(), layer: None });
            p.license = license.map(str::to_string);
            p
        };
        let inv = dredge_model::Inventory {
            os: None,
            packages: vec![
                place("/app/poetry.lock", None),
                place("/usr/lib/python3/site-packages/six-1.16.0.dist-info/METADATA", Some("MIT")),
            ],
            warnings: Vec::new(),
        };
        let t = Target {
            name: "/app".into(),
            kind: "directory",
            source: "directory".into(),
            image_id: None,
            manifest_digest: None,
            repo_digests: Vec::new(),
            tags: Vec::new(),
            platform: None,
            layers: Vec::new(),
        };
        let r = ScanReport::new(t, inv, "2026-12-03T00:00:00Z".into());
        let cdx: serde_json::Value = serde_json::from_str(&to_cyclonedx(&r)).unwrap_or_default();
        let libs: Vec<&serde_json::Value> = cdx["components"].as_array().into_iter().flatten().filter(|c| c["type"] == "library").collect();
        assert_eq!(libs.len(), 1);
        assert_eq!(libs[0]["licenses"][0]["license"]["id"], "MIT");
        assert_eq!(libs[0]["evidence"]["occurrences"].as_array().map(Vec::len), Some(2));
        let spdx: serde_json::Value = serde_json::from_str(&to_spdx(&r)).unwrap_or_default();
        let pkgs: Vec<&serde_json::Value> = spdx["packages"].as_array().into_iter().flatten().filter(|p| p["name"] == "six").collect();
        assert_eq!(pkgs.len(), 1);
        assert_eq!(pkgs[0]["licenseDeclared"], "MIT");
    }

    #[test]
    fn source_parts_split_as_trivy_does() {
        use dredge_model::{Ecosystem, Package, SourcePackage};
        let pk = |eco, v: &str, src: &str, sv: Option<&str>, epoch| {
            let mut p = Package::new(eco, "bin", v);
            p.source = Some(SourcePackage { name: src.into(), version: sv.map(str::to_string) });
            p.epoch = epoch;
            p
        };
        // Debian: a source of its own version; one at the binary's (with an epoch); a native package.
        let p = pk(Ecosystem::Deb, "1:2.38.1-5+deb12u3", "util-linux", Some("2.38.1-5+deb12u3"), None);
        assert_eq!(source_parts(&p), Some(("util-linux", None, "2.38.1", Some("5+deb12u3"))));
        let p = pk(Ecosystem::Deb, "1:1.2-3-4", "x", None, None);
        assert_eq!(source_parts(&p), Some(("x", Some("1".into()), "1.2-3", Some("4"))));
        let p = pk(Ecosystem::Deb, "3.134", "adduser", None, None);
        assert_eq!(source_parts(&p), Some(("adduser", None, "3.134", None)));
        // rpm: the source rpm's name has no epoch; it is the binary's.
        let p = pk(Ecosystem::Rpm, "1:3.0.7-25.el9", "openssl", Some("3.0.7-25.el9"), Some(1));
        assert_eq!(source_parts(&p), Some(("openssl", Some("1".into()), "3.0.7", Some("25.el9"))));
        // apk: kept whole.
        let p = pk(Ecosystem::Apk, "1.36.1-r5", "busybox", None, None);
        assert_eq!(source_parts(&p), Some(("busybox", None, "1.36.1-r5", None)));
        assert_eq!(source_parts(&Package::new(Ecosystem::Npm, "a", "1.0.0-1")), None);
    }

    #[test]
    fn sbom_licenses() {
        let e = |s: &str| sbom_license(s).map(|x| x.0);
        assert_eq!(e("MIT AND BSD-2-Clause").as_deref(), Some("MIT AND BSD-2-Clause"));
        assert_eq!(e("GPLv2+").as_deref(), Some("GPL-2.0-or-later"));
        assert_eq!(
            sbom_license("GPL2 or custom"),
            Some(("GPL-2.0-only OR LicenseRef-custom".into(), vec![("LicenseRef-custom".into(), "custom".into())]))
        );
        assert_eq!(e("MPL-2.0 GPL-2.0-or-later").as_deref(), Some("MPL-2.0 AND GPL-2.0-or-later"));
        assert_eq!(e("GPLv2 with exceptions").as_deref(), Some("LicenseRef-GPLv2-with-exceptions"));
        assert_eq!(e("UNKNOWN"), None);
        assert_eq!(
            sbom_license("MIT AND LicenseRef-Public-Domain").map(|x| x.1),
            Some(vec![("LicenseRef-Public-Domain".into(), "Public Domain".into())])
        );
    }
}
