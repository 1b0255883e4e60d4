//! Matching an inventory against the advisory database: the OS release picks the OSV ecosystem,
//! each package is looked up by the name its advisories use (Debian: source package; Alpine:
//! origin; rpm: name), OSV ranges are evaluated with the ecosystem's version scheme, and every
//! finding records why it matched.

use dredge_model::{Ecosystem, Inventory, OsInfo, Package};
pub use dredge_model::{Status, Vulnerability, Why};
use dredge_version::Scheme;
use dredge_vulndb::osv::{Event, Range};
use dredge_vulndb::{Candidate, Db, DbError, Head, Ranges};
use serde::Serialize;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::collections::HashMap;
use std::sync::Arc;

pub mod suppress;
pub use dredge_vulndb::severity::{self, Severity, rate};

/// Choices that change which packages are matched.
#[derive(Debug, Clone, Copy, Default)]
pub struct MatchOptions {
    /// Match development-only dependencies of lockfiles too.
    pub include_dev: bool,
}

/// The OSV ecosystems that hold advisories for an OS release, most specific first.
/// The os-release ids [`os_ecosystems`] knows.
pub const OS_IDS: &[&str] = &[
    "alpine",
    "debian",
    "ubuntu",
    "almalinux",
    "rocky",
    "rhel",
    "opensuse-leap",
    "sles",
    "wolfi",
    "chainguard",
    "mariner",
    "azurelinux",
    "photon",
    "amzn",
    "ol",
    "openEuler",
    "mageia",
    "minimos",
    "echo",
    "alpaquita",
    "bellsoft-hardened-containers",
];

pub fn os_ecosystems(os: &OsInfo) -> Vec<String> {
    let v = os.version_id.clone().unwrap_or_default();
    let major = v.split('.').next().unwrap_or("").to_string();
    let minor2 = v.split('.').take(2).collect::<Vec<_>>().join(".");
    match os.id.as_str() {
        "alpine" => vec![format!("Alpine:v{minor2}")],
        "debian" => vec![format!("Debian:{major}")],
        "ubuntu" => vec![format!("Ubuntu:{v}:LTS"), format!("Ubuntu:{v}")],
        "almalinux" => vec![format!("AlmaLinux:{major}")],
        "rocky" => vec![format!("Rocky Linux:{major}")],
        "rhel" => vec![format!("Red Hat:enterprise_linux:{major}::baseos"), format!("Red Hat:enterprise_linux:{major}::appstream")],
        "opensuse-leap" => vec![format!("openSUSE:Leap {v}")],
        "sles" => vec![format!("SUSE:Linux Enterprise Server {}", v.replace('.', " SP"))],
        "wolfi" => vec!["Wolfi".into()],
        "chainguard" => vec!["Chainguard".into()],
        "mariner" => vec![format!("Mariner:{minor2}")],
        "azurelinux" => vec![format!("Azure Linux:{minor2}")],
        // VMware Photon OS: os-release VERSION_ID "4.0"; OSV records say "Photon OS:4.0".
        "photon" => vec![format!("Photon OS:{}", if v.contains('.') { minor2.clone() } else { format!("{v}.0") })],
        // Not in OSV: built from the distributions' own feeds (`db build --source` an
        // updateinfo.xml or an ELSA OVAL file). Amazon Linux 1 says VERSION_ID "2018.03".
        "amzn" => vec![format!(
            "Amazon Linux:{}",
            if major.len() == 4 && major.starts_with("20") && major.as_str() < "2022" { "1" } else { major.as_str() }
        )],
        "ol" => vec![format!("Oracle Linux:{major}")],
        // openEuler's VERSION_ID is "22.03"; the LTS and service pack are in PRETTY_NAME
        // ("openEuler 22.03 (LTS-SP3)"), and OSV's ecosystem names them: "openEuler:22.03-LTS-SP3".
        "openEuler" | "openeuler" => vec![format!("openEuler:{}", openeuler_release(os))],
        "mageia" => vec![format!("Mageia:{v}")],
        // Rolling distributions: one ecosystem whatever VERSION_ID says (MinimOS's is a date).
        "minimos" => vec!["MinimOS".into()],
        "echo" => vec!["Echo".into()],
        "alpaquita" => vec![format!("Alpaquita:{v}")],
        "bellsoft-hardened-containers" => vec![format!("BellSoft Hardened Containers:{v}")],
        _ => vec![],
    }
}

/// `openEuler 24.03 (LTS-SP1)` → `24.03-LTS-SP1`, `openEuler 24.03 (LTS SP1)` → the same,
/// `openEuler 24.09` → `24.09`; without a PRETTY_NAME of that shape, VERSION_ID.
fn openeuler_release(os: &OsInfo) -> String {
    let v = os.version_id.clone().unwrap_or_default();
    let Some(rest) = os.pretty_name.as_deref().and_then(|p| p.trim().strip_prefix("openEuler")) else { return v };
    let rest = rest.trim();
    let (num, qual) = match rest.split_once('(') {
        Some((n, q)) => (n.trim(), q.trim_end().strip_suffix(')').map(str::trim)),
        None => (rest, None),
    };
    let ok = num.len() == 5 && num.as_bytes()[2] == b'.' && num.bytes().enumerate().all(|(i, b)| i == 2 || b.is_ascii_digit());
    match (ok, qual) {
        (false, _) => v,
        (true, None) => num.to_string(),
        (true, Some(q)) if q.starts_with("LTS") => {
            format!("{num}-{}", q.split([' ', '-']).filter(|x| !x.is_empty()).collect::<Vec<_>>().join("-"))
        }
        (true, Some(_)) => num.to_string(),
    }
}

/// The name and version an OS package is looked up by, where the distribution's advisories key
/// it differently from [`query`]: openEuler's, Mageia's and Microsoft's (CBL-Mariner, Azure
/// Linux) by source rpm, openEuler's versions without the epoch its OSV records leave out.
fn os_query(p: &Package, os: Option<&OsInfo>) -> (String, String) {
    let id = os.map(|o| o.id.as_str()).unwrap_or("");
    match (p.ecosystem, id) {
        // Microsoft's OVAL names source packages too (curl-libs is fixed with curl).
        (Ecosystem::Rpm, "openEuler" | "openeuler" | "mageia" | "mariner" | "azurelinux") => {
            let name = p.source.as_ref().map_or_else(|| p.name.clone(), |s| s.name.clone());
            let version = match (id, p.version.split_once(':')) {
                ("openEuler" | "openeuler", Some((_, v))) => v.to_string(),
                _ => p.version.clone(),
            };
            (name, version)
        }
        _ => query(p),
    }
}

pub use dredge_vulndb::normalize_pypi;

/// The name advisories use for a package, and the version to compare.
fn query(p: &Package) -> (String, String) {
    match p.ecosystem {
        // Debian advisories are per source package, and versions are source versions.
        Ecosystem::Deb => match &p.source {
            Some(s) => (s.name.clone(), s.version.clone().unwrap_or_else(|| p.version.clone())),
            None => (p.name.clone(), p.version.clone()),
        },
        // secdb and OSV Alpine data are per origin (the source package).
        Ecosystem::Apk => (p.source.as_ref().map_or_else(|| p.name.clone(), |s| s.name.clone()), p.version.clone()),
        Ecosystem::Rpm => (p.name.clone(), p.version.clone()),
        Ecosystem::PyPI => (normalize_pypi(&p.name), p.version.clone()),
        // Go module versions carry a `v` (v1.2.3); OSV's Go ranges do not.
        Ecosystem::Golang => (p.name.clone(), p.version.strip_prefix('v').unwrap_or(&p.version).to_string()),
        Ecosystem::Npm
        | Ecosystem::Maven
        | Ecosystem::Cargo
        | Ecosystem::Gem
        | Ecosystem::NuGet
        | Ecosystem::Composer
        | Ecosystem::Conda
        | Ecosystem::Pub
        | Ecosystem::Hex
        | Ecosystem::Swift
        | Ecosystem::Cocoapods
        | Ecosystem::Conan
        | Ecosystem::Julia
        | Ecosystem::Bitnami => (p.name.clone(), p.version.clone()),
    }
}

/// The version scheme of an ecosystem (`None` would mean no ordering exists yet: the package is
/// listed and reported as not matched).
fn scheme(e: Ecosystem) -> Option<Scheme> {
    Some(match e {
        Ecosystem::Deb => Scheme::Dpkg,
        Ecosystem::Apk => Scheme::Apk,
        Ecosystem::Rpm => Scheme::Rpm,
        Ecosystem::PyPI => Scheme::Pep440,
        Ecosystem::Maven => Scheme::Maven,
        Ecosystem::Npm
        | Ecosystem::Golang
        | Ecosystem::Cargo
        | Ecosystem::Pub
        | Ecosystem::Hex
        | Ecosystem::Swift
        | Ecosystem::Cocoapods
        | Ecosystem::Conan
        | Ecosystem::Julia => Scheme::SemVer,
        Ecosystem::Conda => Scheme::Pep440,
        Ecosystem::Gem => Scheme::RubyGems,
        Ecosystem::NuGet => Scheme::NuGet,
        Ecosystem::Composer => Scheme::Composer,
        // Trivy orders Bitnami versions as Debian ones too: `18.4.0-0` is 18.4.0, not below it.
        Ecosystem::Bitnami => Scheme::Dpkg,
    })
}

fn scheme_name(s: Scheme) -> &'static str {
    match s {
        Scheme::Dpkg => "dpkg",
        Scheme::Rpm => "rpm",
        Scheme::Apk => "apk",
        Scheme::Pep440 => "pep440",
        Scheme::Maven => "maven",
        Scheme::SemVer => "semver",
        Scheme::RubyGems => "rubygems",
        Scheme::NuGet => "nuget",
        Scheme::Composer => "composer",
    }
}

/// Is `v` inside an OSV range? Events are applied in version order: `introduced` opens,
/// `fixed` and `limit` close at their version, `last_affected` closes after its version.
pub fn in_range(range: &Range, v: &str, s: Scheme) -> bool {
    fn key(e: &Event) -> (Option<&str>, u8) {
        if let Some(x) = &e.introduced {
            (Some(x.as_str()), 0)
        } else if let Some(x) = &e.fixed {
            (Some(x.as_str()), 1)
        } else if let Some(x) = &e.last_affected {
            (Some(x.as_str()), 2)
        } else {
            (e.limit.as_deref(), 3)
        }
    }
    let mut events: Vec<&Event> = range.events.iter().filter(|e| key(e).0.is_some()).collect();
    events.sort_by(|a, b| {
        let (va, ka) = key(a);
        let (vb, kb) = key(b);
        let (va, vb) = (va.unwrap_or("0"), vb.unwrap_or("0"));
        let ord = match (va == "0" && ka == 0, vb == "0" && kb == 0) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            _ => s.compare(va, vb),
        };
        ord.then(ka.cmp(&kb))
    });
    let mut affected = false;
    for e in events {
        if let Some(x) = &e.introduced {
            if x == "0" || s.compare(v, x) != Ordering::Less {
                affected = true;
            }
        } else if let Some(x) = &e.fixed {
            if s.compare(v, x) != Ordering::Less {
                affected = false;
            }
        } else if let Some(x) = &e.last_affected {
            if s.compare(v, x) == Ordering::Greater {
                affected = false;
            }
        } else if let Some(x) = &e.limit {
            if s.compare(v, x) != Ordering::Less {
                affected = false;
            }
        }
    }
    affected
}

fn describe(range: &Range) -> String {
    let parts: Vec<String> = range
        .events
        .iter()
        .filter_map(|e| {
            e.introduced
                .as_ref()
                .map(|x| format!("introduced {x}"))
                .or_else(|| e.fixed.as_ref().map(|x| format!("fixed {x}")))
                .or_else(|| e.last_affected.as_ref().map(|x| format!("last_affected {x}")))
                .or_else(|| e.limit.as_ref().map(|x| format!("limit {x}")))
        })
        .collect();
    format!("{} [{}]", range.kind, parts.join(", "))
}

/// Does this affected entry cover `v`? Returns what matched and the fixed versions above `v`.
pub fn affects(aff: &Ranges, v: &str, s: Scheme) -> Option<(String, Vec<String>)> {
    if aff.versions.iter().any(|x| s.compare(x, v) == Ordering::Equal) {
        let fixed = aff
            .ranges
            .iter()
            .flat_map(|r| r.events.iter().filter_map(|e| e.fixed.clone()))
            .filter(|f| s.compare(f, v) == Ordering::Greater)
            .collect();
        return Some((format!("versions list contains {v}"), fixed));
    }
    for r in &aff.ranges {
        if r.kind != "ECOSYSTEM" && r.kind != "SEMVER" {
            continue; // GIT ranges need commit data
        }
        if in_range(r, v, s) {
            let mut fixed: Vec<String> =
                r.events.iter().filter_map(|e| e.fixed.clone()).filter(|f| s.compare(f, v) == Ordering::Greater).collect();
            fixed.sort_by(|a, b| s.compare(a, b));
            fixed.truncate(1); // the next fix up, not every later fix of other branches
            return Some((describe(r), fixed));
        }
    }
    None
}

/// Notes about the match (no advisories for this OS, unknown OS ...), for people.
#[derive(Debug, Default, Clone, Serialize)]
pub struct MatchResult {
    pub findings: Vec<Vulnerability>,
    pub notes: Vec<String>,
    /// Packages looked up in the database (their ecosystem has advisories there).
    pub packages_checked: usize,
    /// Kinds of packages present in the inventory that the database has no advisories for
    /// (`npm`, `Maven`, `alpine 3.20`): listed, not checked.
    pub unchecked: Vec<String>,
}

/// A record that affects a package: the entry, its advisory's head, what matched, the fixed
/// versions above the installed one.
type Hit = (Candidate, Arc<Head>, String, Vec<String>);

/// Links records that name each other (ids and aliases) into groups: one problem, one finding.
fn group(hits: Vec<Hit>) -> Vec<Vec<Hit>> {
    let mut groups: Vec<(Vec<String>, Vec<Hit>)> = Vec::new();
    for h in hits {
        let mut names: Vec<String> = h.1.aliases.clone();
        names.push(h.1.id.clone());
        let joined: Vec<usize> =
            groups.iter().enumerate().filter(|(_, (n, _))| n.iter().any(|x| names.contains(x))).map(|(i, _)| i).collect();
        let mut merged = (names, vec![h]);
        for i in joined.into_iter().rev() {
            let (n, mut m) = groups.remove(i);
            merged.0.extend(n);
            merged.1.append(&mut m);
        }
        groups.push(merged);
    }
    groups.into_iter().map(|(_, m)| m).collect()
}

/// Matches with the default options (development-only dependencies left out).
pub fn match_inventory(inv: &Inventory, db: &Db) -> Result<MatchResult, DbError> {
    match_inventory_with(inv, db, MatchOptions::default())
}

pub fn match_inventory_with(inv: &Inventory, db: &Db, opts: MatchOptions) -> Result<MatchResult, DbError> {
    let mut res = MatchResult::default();
    let dev = inv.packages.iter().filter(|p| p.dev).count();
    let kept;
    let inv = if dev > 0 && !opts.include_dev {
        res.notes.push(format!("{dev} development-only dependencies were not matched (--include-dev-deps matches them)"));
        kept = Inventory { packages: inv.packages.iter().filter(|p| !p.dev).cloned().collect(), ..inv.clone() };
        &kept
    } else {
        inv
    };
    // Which OSV ecosystems hold the advisories of each kind of package.
    let mut ecos_of: BTreeMap<Ecosystem, Vec<String>> = BTreeMap::new();
    let kinds: std::collections::BTreeSet<Ecosystem> = inv.packages.iter().map(|p| p.ecosystem).collect();
    for kind in kinds {
        if scheme(kind).is_none() {
            res.notes.push(format!(
                "{} packages are listed but not matched yet: dredge has no {} version ordering",
                kind.describe(),
                kind.version_scheme()
            ));
            continue;
        }
        let wanted: Vec<String> = if kind.is_os() {
            match &inv.os {
                Some(os) => os_ecosystems(os),
                None => {
                    res.notes.push("no OS detected: OS packages are not matched".into());
                    continue;
                }
            }
        } else {
            kind.osv_name().map(|n| vec![n.to_string()]).unwrap_or_default()
        };
        let mut present = Vec::new();
        for e in &wanted {
            if db.has_ecosystem(e)? {
                present.push(e.clone());
            }
        }
        if present.is_empty() {
            let what = match (&inv.os, kind.is_os()) {
                (Some(os), true) => format!("{} {}", os.id, os.version_id.as_deref().unwrap_or("")).trim().to_string(),
                _ => kind.osv_name().map(str::to_string).unwrap_or_else(|| kind.describe().to_string()),
            };
            if !res.unchecked.contains(&what) {
                res.unchecked.push(what);
            }
            continue;
        }
        ecos_of.insert(kind, present);
    }
    // One query per ecosystem for every package name that needs it.
    let mut names_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for p in &inv.packages {
        if let Some(ecos) = ecos_of.get(&p.ecosystem) {
            let name = os_query(p, inv.os.as_ref()).0;
            for e in ecos {
                names_of.entry(e.clone()).or_default().push(name.clone());
            }
        }
    }
    let mut by_eco: HashMap<String, HashMap<String, Vec<Candidate>>> = HashMap::new();
    for (e, mut names) in names_of {
        names.sort();
        names.dedup();
        by_eco.insert(e.clone(), db.lookup_many(&e, &names)?);
    }
    let mut heads: HashMap<String, Arc<Head>> = HashMap::new();
    if !res.unchecked.is_empty() {
        res.notes.push(format!(
            "no advisories for: {} — those packages were not checked (add their advisory sources: `dredge db update --source ...`)",
            res.unchecked.join(", ")
        ));
    }
    for p in &inv.packages {
        let (Some(ecos), Some(s)) = (ecos_of.get(&p.ecosystem), scheme(p.ecosystem)) else { continue };
        res.packages_checked += 1;
        let (name, version) = os_query(p, inv.os.as_ref());
        let mut hits = Vec::new();
        for e in ecos {
            for c in by_eco.get(e).and_then(|m| m.get(&name)).into_iter().flatten() {
                if !c.ranges.applies_to(p.arch.as_deref(), &version) {
                    continue; // another architecture's or another build flavour's fix
                }
                if let Some((matched, fixed)) = affects(&c.ranges, &version, s) {
                    let head = heads.entry(c.advisory_id.clone()).or_insert_with(|| Arc::new(c.head())).clone();
                    hits.push((c.clone(), head, matched, fixed));
                }
            }
        }
        for g in group(hits) {
            res.findings.push(finding(p, &name, &version, s, ecos, g));
        }
    }
    rate_by_cve(&mut res.findings, db)?;
    res.findings.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.package.cmp(&b.package)).then_with(|| a.id.cmp(&b.id)));
    Ok(res)
}

fn finding(p: &Package, name: &str, version: &str, s: Scheme, ecos: &[String], g: Vec<Hit>) -> Vulnerability {
    let mut ids: Vec<String> = Vec::new();
    for (_, h, _, _) in &g {
        for x in std::iter::once(&h.id).chain(h.aliases.iter()) {
            if !ids.contains(x) {
                ids.push(x.clone());
            }
        }
    }
    ids.sort();
    // The CVE when a record has it as id or alias; else the CVE a record is named after and
    // derives from (Ubuntu's `UBUNTU-CVE-2019-14697`, upstream `CVE-2019-14697`), as people
    // search for it; else the first id.
    let upstream_cve = || {
        ids.iter().find_map(|x| {
            let cve = &x[x.find("-CVE-")? + 1..];
            g.iter().any(|(_, h, _, _)| h.related.iter().any(|r| r == cve)).then(|| cve.to_string())
        })
    };
    let id = ids.iter().find(|x| x.starts_with("CVE-")).cloned().or_else(upstream_cve).unwrap_or_else(|| ids[0].clone());
    if !ids.contains(&id) {
        ids.push(id.clone());
        ids.sort();
    }
    let aliases: Vec<String> = ids.iter().filter(|x| **x != id).cloned().collect();
    let mut fixed: Vec<String> = g.iter().flat_map(|(_, _, _, f)| f.clone()).collect();
    fixed.sort_by(|a, b| s.compare(a, b));
    fixed.dedup();
    // The best-rated record decides the severity, distro ratings first.
    let (severity, severity_source) = g
        .iter()
        .map(|(c, _, _, _)| (c.severity, c.severity_source.clone()))
        .max_by_key(|(sev, src)| (severity::source_rank(src), *sev))
        .unwrap_or((Severity::Unknown, "none".into()));
    let title = g.iter().find_map(|(_, h, _, _)| h.summary.clone().filter(|t| !t.is_empty())).unwrap_or_default();
    let mut references: Vec<String> = g.iter().flat_map(|(_, h, _, _)| h.references.iter().cloned()).collect();
    references.sort();
    references.dedup();
    let mut related: Vec<String> =
        g.iter().flat_map(|(_, h, _, _)| h.related.iter().cloned()).filter(|r| *r != id && !aliases.contains(r)).collect();
    related.sort();
    related.dedup();
    let matched = g.first().map(|(_, _, m, _)| m.clone()).unwrap_or_default();
    let mut records: Vec<String> = g.iter().map(|(c, _, _, _)| c.advisory_id.clone()).collect();
    records.sort();
    records.dedup();
    Vulnerability {
        id,
        aliases,
        related,
        package: p.name.clone(),
        ecosystem: p.ecosystem,
        installed: p.version.clone(),
        arch: p.arch.clone(),
        purl: p.purl.clone(),
        status: if fixed.is_empty() { Status::Affected } else { Status::Fixed },
        fixed_versions: fixed,
        severity,
        severity_source,
        title,
        references,
        location: p.location.clone(),
        found_at: p.found_at(),
        origin: p.origin,
        dev: p.dev,
        direct: p.direct,
        why: Why {
            ecosystem: ecos.join(", "),
            package: name.to_string(),
            version: version.to_string(),
            scheme: scheme_name(s),
            matched,
            records,
        },
    }
}

/// Findings whose records carry no rating take the CVSS score the database holds for their CVE
/// (the id, an alias, or a related id such as an erratum's CVEs), with its source named:
/// `CVSS_V3 9.8 (CVE-2019-14697 in UBUNTU-CVE-2019-14697)`. Where several CVEs apply, the
/// highest rating is taken.
fn rate_by_cve(findings: &mut [Vulnerability], db: &Db) -> Result<(), DbError> {
    let cves_of = |f: &Vulnerability| -> Vec<String> {
        std::iter::once(&f.id).chain(f.aliases.iter()).chain(f.related.iter()).filter(|x| x.starts_with("CVE-")).cloned().collect()
    };
    let mut wanted: Vec<String> = findings.iter().filter(|f| f.severity == Severity::Unknown).flat_map(cves_of).collect();
    if wanted.is_empty() {
        return Ok(());
    }
    wanted.sort();
    wanted.dedup();
    let known = db.cvss_for(&wanted)?;
    for f in findings.iter_mut().filter(|f| f.severity == Severity::Unknown) {
        let best = cves_of(f).into_iter().filter_map(|c| known.get(&c).map(|k| (c, k))).max_by_key(|(_, k)| k.0);
        if let Some((cve, (sev, src, record))) = best {
            if *sev > Severity::Unknown {
                f.severity = *sev;
                f.severity_source = format!("{src} ({cve} in {record})");
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
