//! Java archives: `.jar`, `.war`, `.ear`, `.par`, `.hpi`, `.jpi`, read from memory (never unpacked to
//! disk), with nested archives (Spring Boot `BOOT-INF/lib`, `WEB-INF/lib`, `lib/` of an ear)
//! read recursively.
//!
//! Identity, offline, from the archive's own metadata: every `META-INF/maven/**/pom.properties`
//! (a shaded jar carries several); without one, `MANIFEST.MF` (`Implementation-*`, `Bundle-*`)
//! and the file name. Depth, member sizes and the total inflated bytes are bounded, so a zip bomb
//! is a warning on that member.

use dredge_layer::{ExtractError, Extractor, Pattern};
use dredge_model::{Ecosystem, Fact, Package};
use std::io::{Cursor, Read};

pub struct JavaArchive;

pub const EXTENSIONS: [&str; 6] = [".jar", ".war", ".ear", ".par", ".hpi", ".jpi"];
/// Nested archives deeper than this are not opened.
const MAX_DEPTH: usize = 4;
/// Largest inflated nested archive and the inflated total per top-level archive.
const MAX_NESTED: u64 = 64 << 20;
const MAX_TOTAL: u64 = 512 << 20;
/// Metadata files (pom.properties, MANIFEST.MF) larger than this are not metadata.
const MAX_META: u64 = 1 << 20;

struct Walk {
    out: Vec<Package>,
    problems: Vec<String>,
    budget: u64,
}

fn is_archive(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    EXTENSIONS.iter().any(|e| lower.ends_with(e))
}

fn properties(text: &str) -> impl Iterator<Item = (&str, &str)> {
    text.lines().filter(|l| !l.trim_start().starts_with(['#', '!'])).filter_map(|l| {
        let (k, v) = l.split_once('=').or_else(|| l.split_once(':'))?;
        Some((k.trim(), v.trim()))
    })
}

/// `MANIFEST.MF` main section: `Key: value`, continuation lines start with one space.
fn manifest(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.replace("\r\n", "\n").lines() {
        if line.is_empty() {
            break; // the per-entry sections follow
        }
        if let Some(cont) = line.strip_prefix(' ') {
            if let Some(last) = out.last_mut() {
                last.1.push_str(cont);
            }
        } else if let Some((k, v)) = line.split_once(':') {
            out.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    out
}

/// `commons-lang3-3.12.0.jar` → (`commons-lang3`, `3.12.0`): the version starts at the first `-`
/// followed by a digit.
fn from_file_name(file: &str) -> Option<(String, String)> {
    let stem = file.rsplit('/').next()?.rsplit_once('.')?.0;
    let bytes = stem.as_bytes();
    let i = (1..bytes.len()).find(|&i| bytes[i - 1] == b'-' && bytes[i].is_ascii_digit())?;
    Some((stem[..i - 1].to_string(), stem[i..].to_string()))
}

fn read_member<R: Read>(r: R, declared: u64, cap: u64) -> Result<Vec<u8>, String> {
    if declared > cap {
        return Err(format!("declares {declared} bytes inflated, over the {cap}-byte limit"));
    }
    let mut buf = Vec::new();
    r.take(cap + 1).read_to_end(&mut buf).map_err(|e| format!("cannot inflate: {e}"))?;
    if buf.len() as u64 > cap {
        return Err(format!("inflates past the {cap}-byte limit (a zip bomb?)"));
    }
    Ok(buf)
}

/// The `<licenses>` of a pom.xml: names (else URLs) of each `<license>`; several are a choice
/// (the POM reference: "the user can select any of them").
fn pom_licenses(xml: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(xml).ok()?;
    let doc = roxmltree::Document::parse_with_options(text, roxmltree::ParsingOptions { allow_dtd: false, ..Default::default() }).ok()?;
    let names: Vec<String> = doc
        .root_element()
        .children()
        .filter(|n| n.has_tag_name("licenses") || n.tag_name().name() == "licenses")
        .flat_map(|l| l.children().filter(|n| n.tag_name().name() == "license"))
        .filter_map(|l| {
            let field =
                |f: &str| l.children().find(|n| n.tag_name().name() == f).and_then(|n| n.text()).map(str::trim).filter(|t| !t.is_empty());
            field("name").or_else(|| field("url")).map(str::to_string)
        })
        .collect();
    match names.len() {
        0 => None,
        1 => names.into_iter().next(),
        _ => Some(names.iter().map(|n| format!("({n})")).collect::<Vec<_>>().join(" OR ")),
    }
}

fn scan(data: &[u8], file_name: &str, member: Option<&str>, depth: usize, w: &mut Walk) -> Result<(), String> {
    let mut zip = zip::ZipArchive::new(Cursor::new(data)).map_err(|e| format!("not a readable zip archive: {e}"))?;
    let mut found: Vec<(Option<String>, Package)> = Vec::new();
    let mut licenses: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    let mut manifest_fields = Vec::new();
    let mut nested: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 0..zip.len() {
        let mut f = match zip.by_index(i) {
            Ok(f) => f,
            Err(e) => {
                w.problems.push(format!("{}: entry {i}: {e}", member.unwrap_or(file_name)));
                continue;
            }
        };
        if !f.is_file() {
            continue;
        }
        let name = f.name().map(|n| n.into_owned()).unwrap_or_default();
        let maven_meta = name.starts_with("META-INF/maven/") && (name.ends_with("/pom.properties") || name.ends_with("/pom.xml"));
        let wants_meta = maven_meta || name == "META-INF/MANIFEST.MF";
        if is_archive(&name) && depth >= MAX_DEPTH {
            w.problems.push(format!("{}!{name}: nested deeper than {MAX_DEPTH} archives; not opened", member.unwrap_or(file_name)));
        }
        let wants_nested = is_archive(&name) && depth < MAX_DEPTH;
        if !wants_meta && !wants_nested {
            continue;
        }
        let cap = if wants_meta { MAX_META } else { MAX_NESTED.min(w.budget) };
        let inner = match member {
            Some(m) => format!("{m}!{name}"),
            None => name.clone(),
        };
        let declared = f.size();
        let bytes = match read_member(&mut f, declared, cap) {
            Ok(b) => b,
            Err(e) => {
                w.problems.push(format!("{inner}: {e}"));
                continue;
            }
        };
        if wants_nested {
            // A member named like an archive that is not a zip (data files named `*.par`) is
            // just a file.
            if !bytes.starts_with(b"PK\x03\x04") {
                continue;
            }
            w.budget = w.budget.saturating_sub(bytes.len() as u64);
            nested.push((inner, bytes));
        } else if name == "META-INF/MANIFEST.MF" {
            manifest_fields = manifest(&String::from_utf8_lossy(&bytes));
        } else if let Some(dir) = name.strip_suffix("pom.xml") {
            if let Some(l) = pom_licenses(&bytes) {
                licenses.insert(dir.to_string(), l);
            }
        } else {
            let text = String::from_utf8_lossy(&bytes);
            // `META-INF/maven/<group>/<artifact>/pom.properties`: the path names the coordinates
            // when the file leaves one out (some builds write no groupId).
            let parts: Vec<&str> = name.split('/').collect();
            let (mut g, mut a, mut v) = (parts.get(2).map(|s| s.to_string()), parts.get(3).map(|s| s.to_string()), None);
            for (k, val) in properties(&text) {
                match k {
                    "groupId" => g = Some(val.to_string()),
                    "artifactId" => a = Some(val.to_string()),
                    "version" => v = Some(val.to_string()),
                    _ => {}
                }
            }
            if let (Some(g), Some(a), Some(v)) = (g, a, v) {
                if !v.contains("${") {
                    let dir = name.trim_end_matches("pom.properties").to_string();
                    found.push((Some(dir), Package::new(Ecosystem::Maven, format!("{g}:{a}"), v)));
                }
            }
        }
    }
    if found.is_empty() {
        // No Maven metadata: the manifest, then the file name.
        let get = |k: &str| manifest_fields.iter().find(|(key, _)| key.eq_ignore_ascii_case(k)).map(|(_, v)| v.clone());
        let file = member.map(|m| m.rsplit('!').next().unwrap_or(m)).unwrap_or(file_name);
        let by_name = from_file_name(file);
        let stem = file.rsplit('/').next().and_then(|f| f.rsplit_once('.')).map(|(s, _)| s.to_string());
        let version = get("Implementation-Version").or_else(|| get("Bundle-Version")).or_else(|| by_name.as_ref().map(|(_, v)| v.clone()));
        // The artifact: a one-word title, else the file name without its version, else the
        // OSGi symbolic name.
        let artifact = get("Implementation-Title")
            .filter(|t| !t.contains(' '))
            .or_else(|| by_name.as_ref().map(|(n, _)| n.clone()))
            .or_else(|| stem.filter(|_| version.is_some()))
            .or_else(|| get("Bundle-SymbolicName").map(|s| s.split(';').next().unwrap_or("").trim().to_string()));
        if let (Some(a), Some(v)) = (artifact, version) {
            // A group is only known when the vendor id says it; without one the name is the bare
            // artifact (listed, but matching needs `group:artifact`).
            let name = match get("Implementation-Vendor-Id") {
                Some(g) if !g.contains(' ') && !a.contains(':') => format!("{g}:{a}"),
                _ => a,
            };
            let mut p = Package::new(Ecosystem::Maven, name, v);
            p.license = get("Bundle-License").filter(|l| !l.contains("://"));
            found.push((None, p));
        }
    }
    for (dir, mut p) in found {
        if let Some(l) = dir.and_then(|d| licenses.get(&d)) {
            p.license = Some(l.clone());
        }
        p.member = member.map(str::to_string);
        w.out.push(p);
    }
    for (inner, bytes) in nested {
        if let Err(e) = scan(&bytes, file_name, Some(&inner), depth + 1, w) {
            w.problems.push(format!("{inner}: {e}"));
        }
    }
    Ok(())
}

impl Extractor for JavaArchive {
    fn name(&self) -> &'static str {
        "lang/java/archive"
    }
    fn version(&self) -> u32 {
        2
    }
    fn patterns(&self) -> &'static [Pattern] {
        &[
            Pattern::Ext(".jar"),
            Pattern::Ext(".war"),
            Pattern::Ext(".ear"),
            Pattern::Ext(".par"),
            Pattern::Ext(".hpi"),
            Pattern::Ext(".jpi"),
        ]
    }
    fn max_file_size(&self) -> u64 {
        // The zip directory is at the end: an archive is read whole, in memory.
        512 << 20
    }
    fn extract(&self, path: &str, data: &[u8]) -> Result<Vec<Fact>, ExtractError> {
        let mut w = Walk { out: Vec::new(), problems: Vec::new(), budget: MAX_TOTAL };
        scan(data, path, None, 0, &mut w).map_err(ExtractError::new)?;
        let mut facts = crate::lang::facts(w.out);
        facts.extend(w.problems.into_iter().map(|message| Fact::Problem { message }));
        Ok(facts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pom_license_names() {
        let pom = br#"<?xml version="1.0"?><project xmlns="http://maven.apache.org/POM/4.0.0"><licenses>
            <license><name>Apache License, Version 2.0</name><url>https://www.apache.org/licenses/LICENSE-2.0.txt</url></license>
            <license><url>https://opensource.org/licenses/MIT</url></license></licenses></project>"#;
        assert_eq!(pom_licenses(pom).as_deref(), Some("(Apache License, Version 2.0) OR (https://opensource.org/licenses/MIT)"));
        assert_eq!(pom_licenses(b"<project/>"), None);
        assert_eq!(pom_licenses(b"<!DOCTYPE x [<!ENTITY a 'b'>]><project/>"), None);
        assert_eq!(pom_licenses(&[0xff, 0]), None);
    }

    #[test]
    fn names_and_manifests() {
        assert_eq!(from_file_name("lib/commons-lang3-3.12.0.jar"), Some(("commons-lang3".into(), "3.12.0".into())));
        assert_eq!(from_file_name("app.jar"), None);
        let m = manifest("Manifest-Version: 1.0\r\nImplementation-Title: foo\r\nImplementation-Version: 1.\r\n 2.3\r\n\r\nName: x\r\n");
        assert_eq!(m[2], ("Implementation-Version".into(), "1.2.3".into()));
        assert!(JavaArchive.extract("a.jar", b"PK\x03\x04 truncated").is_err());
    }
}
