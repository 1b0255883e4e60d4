//! SPDX 2.3 JSON. The image is a CONTAINER package the document DESCRIBES; it CONTAINS its OS and
//! its applications, which CONTAIN their packages. One package per package identity (as in
//! CycloneDX): a package found in several files is one SPDX package, contained by each of their
//! owners, with every place in its comment. Licenses that are not valid SPDX expressions become
//! declared `LicenseRef-`s.

use crate::{ScanReport, sbom_license, stable_uuid};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// SPDX ids allow letters, digits, `.` and `-` only.
fn spdx_id(prefix: &str, s: &str) -> String {
    let clean: String = s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '-' }).collect();
    format!("SPDXRef-{prefix}-{clean}")
}

/// A package that stands for the image, its OS or an application (no license of its own).
fn grouping(name: &str, id: &str, purpose: &str) -> Value {
    json!({
        "name": name,
        "SPDXID": id,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": "NOASSERTION",
        "copyrightText": "NOASSERTION",
        "primaryPackagePurpose": purpose,
    })
}

pub fn to_spdx(r: &ScanReport) -> String {
    let t = &r.target;
    // The namespace must be unique per document (SPDX 2.3 §6.5): the target, the time it was made
    // (fixed by SOURCE_DATE_EPOCH, so reproducible builds stay byte-identical) and what it lists.
    let listed: Vec<&str> = r.packages.iter().map(|p| p.purl.as_str()).collect();
    let seed = format!("{}|{}|{}|{}", t.name, t.image_id.as_deref().unwrap_or(""), r.created, listed.join(","));
    let uuid = stable_uuid(&seed);
    let root_id = spdx_id(if t.kind == "image" { "Image" } else { "Directory" }, &t.name);
    let (name, digest) = crate::cyclonedx::image_identity(t);
    let mut root = grouping(&name, &root_id, if t.kind == "image" { "CONTAINER" } else { "FILE" });
    if let Some(id) = &digest {
        root["versionInfo"] = json!(id);
        if let Some(hex) = id.strip_prefix("sha256:") {
            root["checksums"] = json!([{"algorithm": "SHA256", "checksumValue": hex}]);
        }
    }
    if let Some(purl) = t.manifest_digest.as_deref().and_then(|m| crate::cyclonedx::oci_purl(&name, m, t.platform.as_deref())) {
        root["externalRefs"] = json!([{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": purl}]);
    }
    let mut comment = vec![format!("source: {}", t.source)];
    if name != t.name {
        comment.push(format!("path: {}", t.name));
    }
    if let Some(p) = &t.platform {
        comment.push(format!("platform: {p}"));
    }
    if !t.tags.is_empty() {
        comment.push(format!("tags: {}", t.tags.join(", ")));
    }
    if let Some(d) = &t.manifest_digest {
        comment.push(format!("manifest: {d}"));
    }
    root["comment"] = json!(comment.join("; "));

    let mut packages = vec![root];
    let mut relationships =
        vec![json!({"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": root_id})];
    let mut license_refs: BTreeMap<String, String> = BTreeMap::new();
    if let Some(os) = &r.os {
        let id = spdx_id("OperatingSystem", &os.id);
        let mut p = grouping(crate::os_family(&os.id), &id, "OPERATING-SYSTEM");
        if let Some(v) = &os.version_id {
            p["versionInfo"] = json!(v);
        }
        packages.push(p);
        relationships.push(json!({"spdxElementId": root_id, "relationshipType": "CONTAINS", "relatedSpdxElement": id}));
    }
    // The image CONTAINS its OS and its applications; each CONTAINS its packages (as CycloneDX's
    // graph, see `owners`).
    let owners = crate::owners(r);
    let (groups, group_of) = crate::identities(r);
    let pkg_id = |g: usize| {
        let i = groups[g][0];
        spdx_id("Package", &format!("{}-{}-{i}", r.packages[i].ecosystem.purl_type(), r.packages[i].name))
    };
    let mut owner_of: Vec<String> = vec![root_id.clone(); r.packages.len()];
    if let Some(os) = &r.os {
        for i in &owners.os {
            owner_of[*i] = spdx_id("OperatingSystem", &os.id);
        }
    }
    for (n, (path, kind, pkgs)) in owners.apps.iter().enumerate() {
        let id = spdx_id("Application", &format!("{kind}-{n}"));
        let mut app = grouping(path, &id, "APPLICATION");
        app["comment"] = json!(format!("{kind} packages read from {path}"));
        packages.push(app);
        relationships.push(json!({"spdxElementId": root_id, "relationshipType": "CONTAINS", "relatedSpdxElement": id}));
        for i in pkgs {
            owner_of[*i] = id.clone();
        }
    }
    for (g, members) in groups.iter().enumerate() {
        let p = &r.packages[members[0]];
        let id = pkg_id(g);
        let mut license = |raw: &Option<String>| match raw.as_deref().and_then(sbom_license) {
            None => "NOASSERTION".to_string(),
            Some((expr, refs)) => {
                license_refs.extend(refs);
                expr
            }
        };
        // From the first place that states them (a lockfile copy may carry no license where the
        // installed copy does).
        let stated = |f: fn(&dredge_model::Package) -> &Option<String>| {
            members.iter().map(|&i| f(&r.packages[i])).find(|l| l.is_some()).cloned().flatten()
        };
        let declared = license(&stated(|p| &p.license));
        let concluded = license(&stated(|p| &p.license_concluded));
        let mut pkg = json!({
            "name": p.name,
            "SPDXID": id,
            "versionInfo": p.version,
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": false,
            "licenseConcluded": concluded,
            "licenseDeclared": declared,
            "copyrightText": "NOASSERTION",
            "primaryPackagePurpose": "LIBRARY",
        });
        if !p.purl.is_empty() {
            pkg["externalRefs"] = json!([{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": p.purl}]);
        }
        if let Some(v) = members.iter().find_map(|&i| r.packages[i].vendor.as_ref()) {
            pkg["supplier"] = json!(format!("Organization: {v}"));
        }
        // The form Trivy and Syft write and Trivy reads back: `built package from: NAME VERSION`.
        if let Some((name, epoch, version, release)) = crate::source_parts(p) {
            let epoch = epoch.map(|e| format!("{e}:")).unwrap_or_default();
            let release = release.map(|r| format!("-{r}")).unwrap_or_default();
            pkg["sourceInfo"] = json!(format!("built package from: {name} {epoch}{version}{release}"));
        }
        let places: Vec<String> = members
            .iter()
            .filter_map(|&i| {
                let o = &r.packages[i];
                let layer = o
                    .location
                    .as_ref()?
                    .layer
                    .as_ref()
                    .map(|l| format!(", layer {} {}", l.index, l.digest.as_deref().unwrap_or(&l.diff_id)))
                    .unwrap_or_default();
                Some(format!("{}{layer}", o.found_at()?))
            })
            .collect();
        if !places.is_empty() {
            pkg["comment"] = json!(format!("found in {}", places.join("; ")));
        }
        // Each place with what the package is there (origin, dev-only, direct, archive member,
        // layer), machine-readable for `sbom-scan`: the properties CycloneDX carries, as one
        // annotation of `name=value` lines.
        let others: Vec<&dredge_model::Package> = members[1..].iter().map(|&i| &r.packages[i]).collect();
        let lines = crate::cyclonedx::occurrence_lines(p, &others);
        if !lines.is_empty() {
            pkg["annotations"] = json!([{
                "annotationType": "OTHER",
                "annotator": format!("Tool: dredge-{}", r.tool.version),
                "annotationDate": r.created,
                "comment": lines,
            }]);
        }
        packages.push(pkg);
        // Each owner CONTAINS the package once.
        let mut owners_seen = std::collections::HashSet::new();
        for &i in members {
            if owners_seen.insert(owner_of[i].clone()) {
                relationships.push(json!({"spdxElementId": owner_of[i], "relationshipType": "CONTAINS", "relatedSpdxElement": id}));
            }
        }
    }
    // Package to package, where the file states it (a lockfile's resolved graph).
    for (g, to) in crate::package_edges(r, &group_of) {
        for t in to {
            relationships.push(json!({"spdxElementId": pkg_id(g), "relationshipType": "DEPENDS_ON", "relatedSpdxElement": pkg_id(t)}));
        }
    }
    let mut doc = json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": t.name,
        "documentNamespace": format!("https://dredge.dev/spdx/{}-{uuid}", t.name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '-' }).collect::<String>()),
        "creationInfo": {"created": r.created, "creators": [format!("Tool: dredge-{}", r.tool.version)]},
        "packages": packages,
        "relationships": relationships,
    });
    if !license_refs.is_empty() {
        doc["hasExtractedLicensingInfos"] = Value::Array(
            license_refs.into_iter().map(|(id, text)| json!({"licenseId": id, "extractedText": text, "name": text})).collect(),
        );
    }
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}
