//! Reading SBOMs back into an inventory (`dredge sbom-scan`): CycloneDX JSON and SPDX 2.x JSON, from
//! dredge or from other tools. Packages come from purls (OS and language ecosystems); the OS from the operating-system
//! component (CycloneDX), the OPERATING-SYSTEM package (SPDX) or the purls' `distro` qualifier.

use dredge_model::{Ecosystem, Inventory, Location, Origin, OsInfo, Package, SourcePackage, package_purl};
use packageurl::PackageUrl;
use serde_json::Value;
use std::str::FromStr;

/// A package from its purl, or `None` for ecosystems dredge does not match yet.
pub fn package_from_purl(purl: &str) -> Option<(Package, Option<String>)> {
    let p = PackageUrl::from_str(purl).ok()?;
    let ecosystem = Ecosystem::from_purl_type(p.ty())?;
    if !ecosystem.is_os() {
        // Language packages: the name as their ecosystem's advisories write it.
        let ns = p.namespace().filter(|n| !n.is_empty());
        let name = match (ecosystem, ns) {
            (Ecosystem::Maven, Some(g)) => format!("{g}:{}", p.name()),
            (Ecosystem::Npm | Ecosystem::Golang | Ecosystem::Composer | Ecosystem::Swift, Some(n)) => format!("{n}/{}", p.name()),
            _ => p.name().to_string(),
        };
        let version = p.version()?.to_string();
        return Some((Package::new(ecosystem, name, version), None));
    }
    let q = |k: &str| p.qualifiers().iter().find(|(key, _)| key.as_ref() == k).map(|(_, v)| v.to_string());
    let version = p.version()?.to_string();
    let epoch = q("epoch").and_then(|e| e.parse::<u32>().ok());
    let full = match (ecosystem, epoch) {
        (Ecosystem::Rpm, Some(e)) if e > 0 => format!("{e}:{version}"),
        _ => version,
    };
    let mut pkg = Package::new(ecosystem, p.name(), full);
    pkg.arch = q("arch");
    pkg.epoch = epoch;
    pkg.source = q("upstream").map(|u| {
        // `name`, `name@version` (deb), or `name-version-release.src.rpm` (rpm).
        if ecosystem == Ecosystem::Rpm {
            let base = u.trim_end_matches(".src.rpm");
            let mut parts = base.rsplitn(3, '-');
            let (r, v, n) = (parts.next(), parts.next(), parts.next());
            match (n, v, r) {
                (Some(n), Some(v), Some(r)) => SourcePackage { name: n.to_string(), version: Some(format!("{v}-{r}")) },
                _ => SourcePackage { name: base.to_string(), version: None },
            }
        } else {
            match u.split_once('@') {
                Some((n, v)) => SourcePackage { name: n.to_string(), version: Some(v.to_string()) },
                None => SourcePackage { name: u, version: None },
            }
        }
    });
    if pkg.source.is_none() && ecosystem == Ecosystem::Deb {
        pkg.source = Some(SourcePackage { name: pkg.name.clone(), version: None });
    }
    Some((pkg, q("distro")))
}

/// `alpine-3.9.6` → (alpine, 3.9.6); a bare `3.9.6` (Trivy) needs the id from elsewhere.
fn os_from_distro(distro: &str, ns: Option<&str>) -> Option<OsInfo> {
    let (id, version) = match distro.rsplit_once('-') {
        Some((id, v)) if v.chars().next().is_some_and(|c| c.is_ascii_digit()) && !id.is_empty() => (id.to_string(), v.to_string()),
        _ => (ns?.to_string(), distro.to_string()),
    };
    Some(OsInfo { id, version_id: Some(version), source_path: "(sbom)".into(), ..Default::default() })
}

/// A component's purl and what dredge's own properties say about it (dev-only, origin, path), so
/// that a dredge SBOM scans to the same findings as the image.
struct Component {
    purl: String,
    dev: bool,
    origin: Option<Origin>,
    path: Option<String>,
    member: Option<String>,
    /// Declared and concluded licenses, as the document states them.
    license: Option<String>,
    concluded: Option<String>,
}

/// A CycloneDX component's licenses: `(declared, concluded)`. An expression or the ids / names
/// of the license list (several: all apply); `acknowledgement: concluded` marks a concluded one.
fn cdx_licenses(c: &Value) -> (Option<String>, Option<String>) {
    let (mut declared, mut concluded) = (Vec::new(), Vec::new());
    for l in c["licenses"].as_array().into_iter().flatten() {
        let text =
            l["expression"].as_str().or_else(|| l["license"]["id"].as_str()).or_else(|| l["license"]["name"].as_str()).map(str::to_string);
        let ack = l["acknowledgement"].as_str().or_else(|| l["license"]["acknowledgement"].as_str());
        if let Some(t) = text {
            if ack == Some("concluded") { concluded.push(t) } else { declared.push(t) }
        }
    }
    let join = |v: Vec<String>| match v.len() {
        0 => None,
        1 => v.into_iter().next(),
        _ => Some(v.iter().map(|x| if x.contains(' ') { format!("({x})") } else { x.clone() }).collect::<Vec<_>>().join(" AND ")),
    };
    (join(declared), join(concluded))
}

/// An SPDX license field: `None` for NOASSERTION/NONE; a `LicenseRef-` the document extracted is
/// given back as its text when that is the whole field (an unknown license, as declared).
fn spdx_license(field: &Value, extracted: &std::collections::HashMap<String, String>) -> Option<String> {
    let s = field.as_str()?.trim();
    if s.is_empty() || s == "NOASSERTION" || s == "NONE" {
        return None;
    }
    Some(extracted.get(s).cloned().unwrap_or_else(|| s.to_string()))
}

/// One component per occurrence of a package from its `dredge:` properties: the first under the
/// plain names, each further one numbered (`dredge:occurrence:N:…`). The properties are read once
/// into maps: an SBOM is untrusted, so its size bounds the work, not the numbers it holds.
/// Returns how many further occurrences there were.
fn occurrences<'a>(
    purl: &str,
    props: impl Iterator<Item = (&'a str, &'a str)>,
    license: Option<String>,
    concluded: Option<String>,
    out: &mut Vec<Component>,
) -> usize {
    use std::collections::{BTreeMap, HashMap};
    let mut first: HashMap<&str, &str> = HashMap::new();
    let mut further: BTreeMap<usize, HashMap<String, &str>> = BTreeMap::new();
    for (name, value) in props {
        match name.strip_prefix("dredge:occurrence:").and_then(|r| r.split_once(':')) {
            Some((n, rest)) => {
                if let Some(k) = n.parse::<usize>().ok().filter(|k| *k > 0 && n.bytes().all(|b| b.is_ascii_digit())) {
                    further.entry(k).or_default().entry(format!("dredge:{rest}")).or_insert(value);
                }
            }
            None => {
                first.entry(name).or_insert(value);
            }
        }
    }
    let occurrence = |get: &dyn Fn(&str) -> Option<String>| Component {
        purl: purl.to_string(),
        dev: get("dredge:package:dev").as_deref() == Some("true"),
        origin: get("dredge:package:origin").and_then(|o| serde_json::from_value(Value::String(o)).ok()),
        path: get("dredge:location:path"),
        member: get("dredge:location:member"),
        license: license.clone(),
        concluded: concluded.clone(),
    };
    out.push(occurrence(&|k| first.get(k).map(|v| v.to_string())));
    for props in further.values() {
        out.push(occurrence(&|k| props.get(k).map(|v| v.to_string())));
    }
    further.len()
}

/// `extra`: how many packages the components stand for beyond one each (further occurrences).
fn walk_cdx(components: &[Value], purls: &mut Vec<Component>, os: &mut Option<OsInfo>, extra: &mut usize) {
    for c in components {
        if c["type"] == "operating-system" && os.is_none() {
            if let Some(name) = c["name"].as_str() {
                // dredge's own id when it wrote one, else the family back to an os-release id.
                let own = c["properties"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|p| p["name"] == "dredge:os:id")
                    .and_then(|p| p["value"].as_str());
                *os = Some(OsInfo {
                    id: own.map_or_else(|| crate::os_id_of_family(name), str::to_string),
                    version_id: c["version"].as_str().map(str::to_string),
                    source_path: "(sbom)".into(),
                    ..Default::default()
                });
            }
        }
        if let Some(p) = c["purl"].as_str() {
            // One package per occurrence, as in the image scan (see `occurrences`).
            let props = c["properties"].as_array().into_iter().flatten().filter_map(|p| Some((p["name"].as_str()?, p["value"].as_str()?)));
            let (license, concluded) = cdx_licenses(c);
            *extra += occurrences(p, props, license, concluded, purls);
        }
        if let Some(sub) = c["components"].as_array() {
            walk_cdx(sub, purls, os, extra);
        }
    }
}

/// Parses an SBOM (CycloneDX JSON or SPDX JSON) into an inventory. Returns the inventory and the
/// number of components that were skipped (no purl, or an ecosystem not matched yet).
pub fn inventory_from_sbom(text: &str) -> Result<(Inventory, usize), String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let mut purls = Vec::new();
    let mut os = None;
    let mut total = 0;
    if v["bomFormat"] == "CycloneDX" {
        let comps = v["components"].as_array().cloned().unwrap_or_default();
        // Application components group packages; they are not packages themselves.
        let mut extra = 0;
        walk_cdx(&comps, &mut purls, &mut os, &mut extra);
        total = comps.iter().filter(|c| c["type"] != "application").count() + extra;
    } else if v["spdxVersion"].as_str().is_some_and(|s| s.starts_with("SPDX-2")) {
        let extracted: std::collections::HashMap<String, String> = v["hasExtractedLicensingInfos"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| Some((e["licenseId"].as_str()?.to_string(), e["extractedText"].as_str()?.to_string())))
            .collect();
        for p in v["packages"].as_array().cloned().unwrap_or_default() {
            // Application packages group packages; they are not packages themselves.
            if p["primaryPackagePurpose"] == "APPLICATION" && p["externalRefs"].is_null() {
                continue;
            }
            total += 1;
            if p["primaryPackagePurpose"] == "OPERATING-SYSTEM" && os.is_none() {
                if let Some(name) = p["name"].as_str() {
                    os = Some(OsInfo {
                        id: crate::os_id_of_family(name),
                        version_id: p["versionInfo"].as_str().map(str::to_string),
                        source_path: "(sbom)".into(),
                        ..Default::default()
                    });
                }
            }
            // dredge's own annotation carries each place of the package (`name=value` lines).
            let lines: Vec<(&str, &str)> = p["annotations"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| a["comment"].as_str())
                .flat_map(str::lines)
                .filter(|l| l.starts_with("dredge:"))
                .filter_map(|l| l.split_once('='))
                .collect();
            // The places belong to the package's first purl (dredge writes one): any other purl
            // of it is one package, so the work stays bounded by the document's size.
            let mut places: &[(&str, &str)] = &lines;
            for r in p["externalRefs"].as_array().cloned().unwrap_or_default() {
                if r["referenceType"] == "purl" {
                    if let Some(l) = r["referenceLocator"].as_str() {
                        let (declared, concluded) =
                            (spdx_license(&p["licenseDeclared"], &extracted), spdx_license(&p["licenseConcluded"], &extracted));
                        total += occurrences(l, places.iter().copied(), declared, concluded, &mut purls);
                        places = &[];
                    }
                }
            }
        }
    } else {
        return Err("neither a CycloneDX nor an SPDX 2 JSON document".into());
    }
    let mut packages = Vec::new();
    for c in &purls {
        let p = &c.purl;
        let Some((mut pkg, distro)) = package_from_purl(p) else { continue };
        if os.is_none() {
            let ns = PackageUrl::from_str(p).ok().and_then(|u| u.namespace().map(str::to_string));
            os = distro.as_deref().and_then(|d| os_from_distro(d, ns.as_deref()));
        }
        pkg.purl = p.clone();
        pkg.dev = c.dev;
        if let Some(o) = c.origin {
            pkg.origin = o;
        }
        if let Some(path) = &c.path {
            pkg.location = Some(Location { path: path.clone(), layer: None });
        }
        pkg.member = c.member.clone();
        pkg.license = c.license.clone();
        pkg.license_concluded = c.concluded.clone();
        packages.push(pkg);
    }
    for p in &mut packages {
        if p.purl.is_empty() {
            p.purl = package_purl(p, os.as_ref());
        }
    }
    // As in the image scan.
    dredge_model::dedup_packages(&mut packages);
    let skipped = total.saturating_sub(packages.len() + usize::from(os.is_some()));
    Ok((Inventory { os, packages, warnings: Vec::new() }, skipped))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls_of_dredge_syft_and_trivy() {
        let (p, d) = package_from_purl("pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc").expect("deb");
        assert_eq!(
            (p.name.as_str(), p.version.as_str(), p.source.as_ref().map(|s| s.name.as_str())),
            ("libc6", "2.36-9+deb12u4", Some("glibc"))
        );
        assert_eq!(d.as_deref(), Some("debian-12"));
        let (p, _) =
            package_from_purl("pkg:rpm/rhel/openssl@3.0.7-25.el9?arch=x86_64&epoch=1&upstream=openssl-3.0.7-25.el9.src.rpm").expect("rpm");
        assert_eq!(p.version, "1:3.0.7-25.el9");
        assert_eq!(p.source, Some(SourcePackage { name: "openssl".into(), version: Some("3.0.7-25.el9".into()) }));
        let (p, _) = package_from_purl("pkg:npm/%40babel/core@7.0.0").expect("npm");
        assert_eq!((p.ecosystem, p.name.as_str()), (Ecosystem::Npm, "@babel/core"));
        let (p, _) = package_from_purl("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1").expect("maven");
        assert_eq!(p.name, "org.apache.logging.log4j:log4j-core");
        assert!(package_from_purl("pkg:generic/thing@1").is_none());
        // Trivy writes `distro=3.9.6`; the namespace gives the id.
        let os = os_from_distro("3.9.6", Some("alpine")).expect("os");
        assert_eq!((os.id.as_str(), os.version_id.as_deref()), ("alpine", Some("3.9.6")));
        assert!(inventory_from_sbom("{\"x\":1}").is_err());
    }
}
