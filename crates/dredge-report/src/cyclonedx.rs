//! CycloneDX 1.6 JSON. The image is the metadata component; the OS is an `operating-system`
//! component that owns the OS packages; each file language packages were read from (a lockfile,
//! a site-packages record, a jar, a binary) is an `application` component that owns them; every
//! package is a `library` with its purl and the layer that brought it in.
//!
//! One component per package identity (its purl): a package found in several files (installed
//! and in a lockfile, or in two jars) is one component with each place in `evidence.occurrences`.
//! The component's `dredge:` properties describe the first occurrence; each further one has its
//! own, numbered from 1 (`dredge:occurrence:1:location:path`, `…:layer:index`, `…:package:dev`),
//! so that `sbom-scan` gives every occurrence back.

use crate::{ScanReport, stable_uuid};
use dredge_model::Detail;
use dredge_model::Package;
use serde::Serialize;
use serde_json::{Value, json};
use std::borrow::Cow;

fn prop(name: &str, value: impl Into<String>) -> Value {
    json!({"name": name, "value": value.into()})
}

/// A property of a package component, borrowing from the report (an SBOM of thousands of
/// packages is written without building a JSON tree of them).
#[derive(Serialize)]
struct Prop<'a> {
    name: Cow<'static, str>,
    value: Cow<'a, str>,
}

#[derive(Serialize)]
struct Component<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "bom-ref")]
    bom_ref: String,
    name: &'a str,
    version: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    purl: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    licenses: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    supplier: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<Value>,
    properties: Vec<Prop<'a>>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Comp<'a> {
    Package(Component<'a>),
    Other(Value),
}

#[derive(Serialize)]
struct Bom<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    #[serde(rename = "bomFormat")]
    bom_format: &'static str,
    #[serde(rename = "specVersion")]
    spec_version: &'static str,
    #[serde(rename = "serialNumber")]
    serial_number: String,
    version: u32,
    metadata: Value,
    components: Vec<Comp<'a>>,
    dependencies: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vulnerabilities: Option<Vec<Value>>,
}

fn p<'a>(name: &'static str, value: impl Into<Cow<'a, str>>) -> Prop<'a> {
    Prop { name: Cow::Borrowed(name), value: value.into() }
}

/// The properties of a package component: what identifies the package, then its first
/// occurrence under the plain names and every further one numbered (`others`).
fn package_properties<'a>(pk: &'a Package, others: &[&'a Package]) -> Vec<Prop<'a>> {
    let mut props = vec![p("dredge:package:type", pk.ecosystem.purl_type())];
    let pkg = pk;
    if let Some(src) = &pkg.source {
        props.push(p("dredge:package:source-name", src.name.as_str()));
        if let Some(v) = &src.version {
            props.push(p("dredge:package:source-version", v.as_str()));
        }
    }
    // Trivy reads an OS package's source only from its own properties; its advisory lookups for
    // Debian, Ubuntu and Red Hat go by source package.
    if let Some((name, epoch, version, release)) = crate::source_parts(pkg) {
        props.push(p("aquasecurity:trivy:SrcName", name));
        props.push(p("aquasecurity:trivy:SrcVersion", version));
        if let Some(r) = release {
            props.push(p("aquasecurity:trivy:SrcRelease", r));
        }
        if let Some(e) = epoch {
            props.push(p("aquasecurity:trivy:SrcEpoch", e));
        }
    }
    if let Some(a) = &pkg.arch {
        props.push(p("dredge:package:arch", a.as_str()));
    }
    if let Some(e) = pkg.epoch {
        props.push(p("dredge:package:epoch", e.to_string()));
    }
    if let Some(m) = &pkg.modularity_label {
        props.push(p("dredge:package:modularity-label", m.as_str()));
    }
    occurrence_properties(pkg, None, &mut props);
    for (n, o) in others.iter().enumerate() {
        occurrence_properties(o, Some(n + 1), &mut props);
    }
    props
}

/// The occurrence properties of a package identity (first under the plain names, the others
/// numbered), as `name=value` lines: what SPDX carries in an annotation for `sbom-scan`.
pub(crate) fn occurrence_lines(first: &Package, others: &[&Package]) -> String {
    let mut props = Vec::new();
    occurrence_properties(first, None, &mut props);
    for (n, o) in others.iter().enumerate() {
        occurrence_properties(o, Some(n + 1), &mut props);
    }
    props.iter().map(|p| format!("{}={}", p.name, p.value.replace('\n', " "))).collect::<Vec<_>>().join("\n")
}

/// Where one occurrence of a package is and what it is there: `dredge:location:path`, or
/// `dredge:occurrence:N:location:path` for the N-th further one.
fn occurrence_properties<'a>(pkg: &'a Package, n: Option<usize>, props: &mut Vec<Prop<'a>>) {
    let mut push = |name: &'static str, value: Cow<'a, str>| {
        let name = match n {
            None => Cow::Borrowed(name),
            Some(n) => Cow::Owned(name.replacen("dredge:", &format!("dredge:occurrence:{n}:"), 1)),
        };
        props.push(Prop { name, value });
    };
    if !pkg.ecosystem.is_os() {
        push("dredge:package:origin", pkg.origin.as_str().into());
    }
    if let Some(m) = &pkg.member {
        push("dredge:location:member", m.as_str().into());
    }
    if pkg.dev {
        push("dredge:package:dev", "true".into());
    }
    if let Some(d) = pkg.direct {
        push("dredge:package:direct", if d { "true" } else { "false" }.into());
    }
    if let Some(loc) = &pkg.location {
        push("dredge:location:path", loc.path.as_str().into());
        if let Some(l) = &loc.layer {
            push("dredge:layer:index", l.index.to_string().into());
            if let Some(d) = &l.digest {
                push("dredge:layer:digest", d.as_str().into());
            }
            push("dredge:layer:diff-id", l.diff_id.as_str().into());
            if let Some(c) = &l.created_by {
                push("dredge:layer:created-by", c.as_str().into());
            }
        }
    }
}

/// The CycloneDX document, ready to serialize.
fn bom(r: &ScanReport) -> Bom<'_> {
    let t = &r.target;
    let (name, digest) = image_identity(t);
    // The serial number's seed, as before: the config digest.
    let subject_version = t.image_id.clone().unwrap_or_default();
    let subject_ref = format!("target:{}", t.name);
    let mut subject = json!({
        // A directory is an application here (CycloneDX's `file` stops `trivy sbom` at once).
        "type": if t.kind == "image" { "container" } else { "application" },
        "bom-ref": subject_ref,
        "name": name,
    });
    if let Some(d) = &digest {
        subject["version"] = json!(d);
        if let Some(hex) = d.strip_prefix("sha256:") {
            subject["hashes"] = json!([{"alg": "SHA-256", "content": hex}]);
        }
    }
    if let Some(purl) = t.manifest_digest.as_deref().and_then(|m| oci_purl(&name, m, t.platform.as_deref())) {
        subject["purl"] = json!(purl);
    }
    let mut sprops = vec![prop("dredge:target:source", &t.source)];
    if name != t.name {
        sprops.push(prop("dredge:target:path", &t.name));
    }
    if let Some(p) = &t.platform {
        sprops.push(prop("dredge:image:platform", p));
    }
    if let Some(d) = &t.manifest_digest {
        sprops.push(prop("dredge:image:manifest-digest", d));
    }
    for tag in &t.tags {
        sprops.push(prop("dredge:image:tag", tag));
    }
    for d in &t.repo_digests {
        sprops.push(prop("dredge:image:repo-digest", d));
    }
    for l in &t.layers {
        sprops.push(prop("dredge:image:layer", format!("{} {}", l.index, l.digest.as_deref().unwrap_or(&l.diff_id))));
    }
    subject["properties"] = Value::Array(sprops);

    let mut components: Vec<Comp<'_>> = Vec::new();
    let mut deps_of_subject = Vec::new();
    let os_ref = r.os.as_ref().map(|os| {
        let bom_ref = format!("os:{}@{}", os.id, os.version_id.as_deref().unwrap_or("unknown"));
        // Named by its family as consumers know it (`cbl-mariner`); the os-release id is kept.
        let mut c = json!({"type": "operating-system", "bom-ref": bom_ref, "name": crate::os_family(&os.id)});
        if let Some(v) = &os.version_id {
            c["version"] = json!(v);
        }
        if let Some(p) = &os.pretty_name {
            c["description"] = json!(p);
        }
        let mut props = vec![prop("dredge:os:id", &os.id), prop("dredge:os:source", &os.source_path)];
        if let Some(eol) = &os.end_of_life {
            props.push(prop("dredge:os:end-of-life", eol));
        }
        c["properties"] = Value::Array(props);
        components.push(Comp::Other(c));
        deps_of_subject.push(json!(bom_ref));
        bom_ref
    });
    // One component per package identity; its bom-ref is its purl (unique: the identity).
    let (groups, group_of) = crate::identities(r);
    let group_ref = |g: usize| {
        let first = &r.packages[groups[g][0]];
        if first.purl.is_empty() { format!("pkg:{}", groups[g][0]) } else { first.purl.clone() }
    };
    let pkg_ref = |i: usize| group_ref(group_of[i]);
    let owners = crate::owners(r);
    for (g, members) in groups.iter().enumerate() {
        let pk = &r.packages[members[0]];
        let others: Vec<&Package> = members[1..].iter().map(|&i| &r.packages[i]).collect();
        let occurrences: Vec<Value> = members
            .iter()
            .filter_map(|&i| {
                let o = &r.packages[i];
                let mut v = json!({"location": o.found_at()?});
                if let Some(l) = o.location.as_ref().and_then(|l| l.layer.as_ref()) {
                    v["additionalContext"] = json!(format!("layer {} ({})", l.index, l.digest.as_deref().unwrap_or(&l.diff_id)));
                }
                Some(v)
            })
            .collect();
        components.push(Comp::Package(Component {
            kind: "library",
            bom_ref: group_ref(g),
            name: &pk.name,
            version: &pk.version,
            purl: (!pk.purl.is_empty()).then_some(pk.purl.as_str()),
            // From the first place that states them (a lockfile copy may carry no license
            // where the installed copy does).
            licenses: members.iter().find_map(|&i| cdx_licenses(&r.packages[i])),
            supplier: members
                .iter()
                .find_map(|&i| r.packages[i].vendor.as_ref().or(r.packages[i].maintainer.as_ref()))
                .map(|v| json!({"name": v})),
            evidence: (!occurrences.is_empty()).then(|| json!({"occurrences": occurrences})),
            properties: package_properties(pk, &others),
        }));
    }
    // The graph: the OS owns the OS packages, each application the packages read from it, so
    // that consumers (`trivy sbom`) read a Python package as a Python package.
    // A component once per owner, however often the owner holds it.
    let refs = |ix: &[usize]| {
        let mut seen = std::collections::HashSet::new();
        ix.iter().filter(|i| seen.insert(group_of[**i])).map(|i| json!(pkg_ref(*i))).collect::<Vec<_>>()
    };
    let mut dependencies = Vec::new();
    if let Some(os_ref) = &os_ref {
        dependencies.push(json!({"ref": os_ref, "dependsOn": refs(&owners.os)}));
    }
    for (path, kind, pkgs) in &owners.apps {
        let app_ref = format!("app:{kind}:{path}");
        components.push(Comp::Other(json!({
            "type": "application",
            "bom-ref": app_ref,
            "name": path,
            "properties": [prop("dredge:application:type", *kind), prop("dredge:location:path", path)],
        })));
        deps_of_subject.push(json!(app_ref));
        dependencies.push(json!({"ref": app_ref, "dependsOn": refs(pkgs)}));
    }
    deps_of_subject.extend(refs(&owners.unowned));
    dependencies.insert(0, json!({"ref": subject_ref, "dependsOn": deps_of_subject}));
    // Package to package, where the file states it (a lockfile's resolved graph).
    for (g, to) in crate::package_edges(r, &group_of) {
        dependencies.push(json!({"ref": group_ref(g), "dependsOn": to.iter().map(|t| group_ref(*t)).collect::<Vec<_>>()}));
    }
    let component_of = |purl: &str, name: &str, version: &str| {
        r.packages.iter().position(|p| p.purl == purl && p.name == name && p.version == version).map(pkg_ref)
    };
    let mut vulnerabilities: Option<Vec<Value>> = r.vulnerabilities().map(|v| {
        v.iter()
            .enumerate()
            .map(|(i, f)| {
                let target = component_of(&f.purl, &f.package, &f.installed);
                let (method, score) = match f.severity_source.split_whitespace().collect::<Vec<_>>().as_slice() {
                    ["CVSS_V4", s] => ("CVSSv4", s.parse::<f64>().ok()),
                    ["CVSS_V3", s] => ("CVSSv31", s.parse::<f64>().ok()),
                    ["CVSS_V2", s] => ("CVSSv2", s.parse::<f64>().ok()),
                    _ => ("other", None),
                };
                let mut rating = json!({"severity": f.severity.as_str().to_ascii_lowercase(), "method": method, "source": {"name": f.severity_source}});
                if let Some(sc) = score {
                    rating["score"] = json!(sc);
                }
                let mut v = json!({
                    "bom-ref": format!("vuln:{i}"),
                    "id": f.id,
                    "source": {"name": f.why.records.join(", ")},
                    "ratings": [rating],
                    "advisories": f.references.iter().filter(|u| u.starts_with("http")).map(|u| json!({"url": u})).collect::<Vec<_>>(),
                    "properties": [
                        prop("dredge:status", match f.status { dredge_model::Status::Fixed => "fixed", dredge_model::Status::Affected => "affected" }),
                        prop("dredge:why:matched", &f.why.matched),
                    ],
                });
                if !f.aliases.is_empty() || !f.related.is_empty() {
                    let refs = f
                        .aliases
                        .iter()
                        .map(|a| json!({"id": a, "source": {"name": "alias"}}))
                        .chain(f.related.iter().map(|a| json!({"id": a, "source": {"name": "related"}})));
                    v["references"] = Value::Array(refs.collect());
                }
                if !f.title.is_empty() {
                    v["description"] = json!(f.title);
                }
                if !f.fixed_versions.is_empty() {
                    v["recommendation"] = json!(format!("Upgrade {} to {}", f.package, f.fixed_versions.join(" or ")));
                }
                if let Some(t) = target {
                    v["affects"] = json!([{"ref": t, "versions": [{"version": f.installed, "status": "affected"}]}]);
                }
                v
            })
            .collect()
    });
    // Other scanners' findings about a package (a component of this BOM) are listed with the
    // vulnerabilities, their source named after the scanner; so are checks of the image itself
    // (misconfigurations), which affect the image, the BOM's subject. Secrets in files have no
    // component to point at and are in the other formats only.
    for f in r.findings.iter().filter(|f| f.scanner != "vuln") {
        let affects = match (&f.place.package, &f.detail) {
            (Some((name, version, purl)), _) => {
                component_of(purl, name, version).map(|t| json!([{"ref": t, "versions": [{"version": version, "status": "affected"}]}]))
            }
            (None, Detail::Check { .. }) => Some(json!([{"ref": subject_ref}])),
            (None, _) => continue,
        };
        let list = vulnerabilities.get_or_insert_with(Vec::new);
        let mut v = json!({
            "bom-ref": format!("{}:{}", f.scanner, list.len()),
            "id": f.rule,
            "source": {"name": format!("dredge {}", f.scanner)},
            "ratings": [{"severity": f.severity.as_str().to_ascii_lowercase(), "method": "other", "source": {"name": f.scanner}}],
            "description": f.title,
        });
        if let (None, Detail::Check { description, references, evidence }) = (&f.place.package, &f.detail) {
            let mut detail = description.clone();
            if let Some(e) = evidence {
                detail.push_str(&format!(" Found: {e} ({}).", f.where_()));
            }
            v["detail"] = json!(detail);
            if let Some(u) = references.first() {
                v["source"]["url"] = json!(u);
            }
        }
        if let Some(rem) = &f.remediation {
            v["recommendation"] = json!(rem);
        }
        if let Some(a) = affects {
            v["affects"] = a;
        }
        list.push(v);
    }
    let seed = format!("{}|{}|{}", t.name, subject_version, r.packages.iter().map(|p| p.purl.as_str()).collect::<Vec<_>>().join(","));
    Bom {
        schema: "http://cyclonedx.org/schema/bom-1.6.schema.json",
        bom_format: "CycloneDX",
        spec_version: "1.6",
        serial_number: format!("urn:uuid:{}", stable_uuid(&seed)),
        version: 1,
        metadata: json!({
            "timestamp": r.created,
            "tools": {"components": [{"type": "application", "name": r.tool.name, "version": r.tool.version}]},
            "component": subject,
        }),
        components,
        dependencies,
        vulnerabilities,
    }
}

/// Writes the CycloneDX document (pretty JSON) to `w`.
pub fn write_cyclonedx<W: std::io::Write>(r: &ScanReport, w: W) -> serde_json::Result<()> {
    serde_json::to_writer_pretty(w, &bom(r))
}

pub fn to_cyclonedx(r: &ScanReport) -> String {
    serde_json::to_string_pretty(&bom(r)).unwrap_or_default()
}

/// A component's `licenses`: CycloneDX allows either license objects or one expression, not both.
/// One SPDX id is `license.id`; an expression is `expression`; a license without any SPDX id is
/// `license.name` as written. The declared license wins; a license only known from its text is
/// given with `acknowledgement: concluded`.
fn cdx_licenses(pk: &dredge_model::Package) -> Option<Value> {
    let (raw, ack) = match (&pk.license, &pk.license_concluded) {
        (Some(l), _) => (l, "declared"),
        (None, Some(c)) => (c, "concluded"),
        (None, None) => return None,
    };
    let n = dredge_model::license::normalise(raw)?;
    Some(if n.unknown.len() == 1 && n.expression == dredge_model::license::license_ref(&n.unknown[0]) {
        json!([{"license": {"name": raw, "acknowledgement": ack}}])
    } else if spdx::license_id(&n.expression).is_some() && !n.expression.ends_with('+') {
        json!([{"license": {"id": n.expression, "acknowledgement": ack}}])
    } else {
        json!([{"expression": n.expression, "acknowledgement": ack}])
    })
}

/// The image as consumers name it: the reference the user gave, or for a local archive or
/// layout the first tag it carries (not the file's path); and the digest that identifies it: the
/// manifest's when known, else the config's (a `docker save` archive has no manifest).
pub(crate) fn image_identity(t: &crate::Target) -> (String, Option<String>) {
    let local = matches!(t.source.as_str(), "docker-archive" | "oci-archive" | "oci-dir");
    // dredge's own source prefixes (`registry:`, `docker:`) are not part of the reference.
    let given = ["registry:", "docker-daemon:", "docker:"].iter().find_map(|p| t.name.strip_prefix(p)).unwrap_or(&t.name);
    let name = match t.tags.first() {
        Some(tag) if local => tag.clone(),
        _ => given.to_string(),
    };
    let digest = t
        .manifest_digest
        .clone()
        .or_else(|| t.repo_digests.first().and_then(|d| d.split_once('@')).map(|(_, d)| d.to_string()))
        .or_else(|| t.image_id.clone());
    (name, digest)
}

/// `pkg:oci/<name>@<manifest digest>?repository_url=<repository>&arch=<arch>` (the purl spec's
/// oci type: the version is the manifest digest).
pub(crate) fn oci_purl(reference: &str, manifest: &str, platform: Option<&str>) -> Option<String> {
    let without_digest = reference.split('@').next().unwrap_or(reference);
    // A tag is after the last ':' that follows the last '/' (a registry port is not a tag).
    let repo = match without_digest.rfind(':') {
        Some(i) if i > without_digest.rfind('/').map_or(0, |j| j) => &without_digest[..i],
        _ => without_digest,
    };
    let base = repo.rsplit('/').next().filter(|b| !b.is_empty())?.to_ascii_lowercase();
    let mut p = packageurl::PackageUrl::new("oci", base).ok()?;
    p.with_version(manifest.to_string()).ok()?;
    if repo.contains('/') {
        p.add_qualifier("repository_url", repo.to_string()).ok()?;
    }
    if let Some(arch) = platform.and_then(|pl| pl.split('/').nth(1)) {
        p.add_qualifier("arch", arch.to_string()).ok()?;
    }
    // The spec's oci examples encode the digest's colon (`sha256%3A…`); the crate leaves it.
    Some(p.to_string().replacen("@sha256:", "@sha256%3A", 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(name: &str, source: &str, tags: &[&str], manifest: Option<&str>) -> crate::Target {
        crate::Target {
            name: name.into(),
            kind: "image",
            source: source.into(),
            image_id: Some("sha256:cfg".into()),
            manifest_digest: manifest.map(str::to_string),
            repo_digests: Vec::new(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            platform: Some("linux/arm64".into()),
            layers: Vec::new(),
        }
    }

    #[test]
    fn the_image_is_named_by_its_reference() {
        // dredge's source prefixes are not part of the reference.
        let t = target("registry:127.0.0.1:5000/team/app:1.0", "registry", &[], Some("sha256:abc"));
        assert_eq!(image_identity(&t), ("127.0.0.1:5000/team/app:1.0".into(), Some("sha256:abc".into())));
        let purl = oci_purl(&image_identity(&t).0, "sha256:abc", t.platform.as_deref()).unwrap();
        assert_eq!(purl, "pkg:oci/app@sha256%3Aabc?arch=arm64&repository_url=127.0.0.1:5000%2Fteam%2Fapp");
        let t = target("docker:app:1", "docker-daemon", &[], None);
        assert_eq!(image_identity(&t), ("app:1".into(), Some("sha256:cfg".into())));
        // An archive is named by the tag it carries.
        let t = target("/tmp/x.tar", "docker-archive", &["docker.io/library/app:1"], None);
        assert_eq!(image_identity(&t).0, "docker.io/library/app:1");
    }
}
