//! `pom.xml`: the declared `<dependencies>` whose versions are pinned (literal, or a property of
//! the same pom). Versions left to a parent or a BOM are unknown without fetching them, so those
//! dependencies are skipped. Test-scoped dependencies are dev; all are direct.

use crate::lang::{facts, utf8};
use dredge_layer::{ExtractError, Extractor, Pattern};
use dredge_model::{Ecosystem, Fact, Package};
use std::collections::HashMap;

pub struct PomXml;

fn child<'a>(n: roxmltree::Node<'a, 'a>, name: &str) -> Option<roxmltree::Node<'a, 'a>> {
    n.children().find(|c| c.is_element() && c.tag_name().name() == name)
}

fn text<'a>(n: roxmltree::Node<'a, 'a>, name: &str) -> Option<&'a str> {
    child(n, name).and_then(|c| c.text()).map(str::trim)
}

/// `${name}` → its value, one level (properties referring to properties are resolved up to a
/// few rounds; a loop stays unresolved).
fn resolve(v: &str, props: &HashMap<String, String>) -> Option<String> {
    let mut s = v.to_string();
    for _ in 0..5 {
        let Some(start) = s.find("${") else { return Some(s) };
        let end = s[start..].find('}')? + start;
        let val = props.get(&s[start + 2..end])?;
        s.replace_range(start..=end, val);
    }
    (!s.contains("${")).then_some(s)
}

impl Extractor for PomXml {
    fn name(&self) -> &'static str {
        "lang/java/pom-xml"
    }
    fn version(&self) -> u32 {
        1
    }
    fn patterns(&self) -> &'static [Pattern] {
        &[Pattern::Named("pom.xml", "")]
    }
    fn max_file_size(&self) -> u64 {
        8 << 20
    }
    fn extract(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, ExtractError> {
        let doc = roxmltree::Document::parse(utf8(data)?).map_err(|e| ExtractError::new(format!("invalid XML: {e}")))?;
        let project = doc.root_element();
        if project.tag_name().name() != "project" {
            return Err(ExtractError::new("not a Maven POM: the root element is not <project>"));
        }
        let mut props: HashMap<String, String> = HashMap::new();
        if let Some(p) = child(project, "properties") {
            for c in p.children().filter(|c| c.is_element()) {
                props.insert(c.tag_name().name().to_string(), c.text().unwrap_or("").trim().to_string());
            }
        }
        let parent = child(project, "parent");
        let own_version = text(project, "version").or_else(|| parent.and_then(|p| text(p, "version")));
        let own_group = text(project, "groupId").or_else(|| parent.and_then(|p| text(p, "groupId")));
        if let Some(v) = own_version {
            props.insert("project.version".into(), v.to_string());
        }
        if let Some(g) = own_group {
            props.insert("project.groupId".into(), g.to_string());
        }
        let mut out = Vec::new();
        for d in child(project, "dependencies").into_iter().flat_map(|ds| ds.children().filter(|c| c.has_tag_name("dependency"))) {
            let (Some(g), Some(a), Some(v)) = (text(d, "groupId"), text(d, "artifactId"), text(d, "version")) else { continue };
            let (Some(g), Some(a), Some(v)) = (resolve(g, &props), resolve(a, &props), resolve(v, &props)) else { continue };
            // Ranges (`[1.0,2.0)`) are not a pinned version.
            if v.starts_with(['[', '(']) {
                continue;
            }
            let mut p = Package::locked(Ecosystem::Maven, format!("{g}:{a}"), v);
            p.dev = text(d, "scope") == Some("test");
            p.direct = Some(true);
            out.push(p);
        }
        Ok(facts(out))
    }
}
