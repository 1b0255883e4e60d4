//! OpenVEX 0.2.0 (`--format openvex`): the vulnerability findings of a scan as VEX statements,
//! so that what a team states with dredge travels to other tools.
//!
//! - a finding the scan reports is `affected`, its action the fix (`Upgrade musl to 1.1.20-r5`);
//! - a finding an ignore file entry took out is `not_affected`: the entry's `justification` when
//!   it has one, else its `reason` as the impact statement;
//! - a finding a VEX document took out keeps that statement's status, justification and impact.
//!
//! The product is the image (its `pkg:oci` purl, when the manifest digest is known) and the
//! packages are its subcomponents; without an image purl each package is a product itself.
//! Statements that say the same of several packages are one statement.

use crate::{ScanReport, stable_uuid};
use dredge_model::Vulnerability;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// What one statement says, apart from the packages it says it of.
#[derive(PartialEq, Eq, PartialOrd, Ord, Clone)]
struct Said {
    id: String,
    aliases: Vec<String>,
    status: &'static str,
    justification: Option<String>,
    impact: Option<String>,
    action: Option<String>,
}

fn said(v: &Vulnerability, status: &'static str, justification: Option<String>, impact: Option<String>, action: Option<String>) -> Said {
    let mut aliases: Vec<String> = v.aliases.iter().filter(|a| **a != v.id).cloned().collect();
    aliases.sort();
    aliases.dedup();
    Said { id: v.id.clone(), aliases, status, justification, impact, action }
}

/// The OpenVEX document, or `None` when the scan has no vulnerability statement to make (the
/// format requires at least one).
pub fn to_openvex(r: &ScanReport) -> Option<String> {
    let mut statements: BTreeMap<Said, Vec<String>> = BTreeMap::new();
    for v in r.vulnerabilities().into_iter().flatten() {
        let action = if v.fixed_versions.is_empty() {
            format!("No fixed version of {} is known yet; remove the package or mitigate until one is released", v.package)
        } else {
            format!("Upgrade {} to {}", v.package, v.fixed_versions.join(" or "))
        };
        statements.entry(said(v, "affected", None, None, Some(action))).or_default().push(v.purl.clone());
    }
    for s in &r.suppressed {
        let status = match s.status.as_str() {
            "fixed" => "fixed",
            _ => "not_affected",
        };
        // OpenVEX: a not_affected statement has a justification or an impact statement, not both.
        let (justification, impact) = match (status, &s.justification, &s.impact_statement) {
            ("not_affected", Some(j), _) => (Some(j.clone()), None),
            ("not_affected", None, Some(i)) => (None, Some(i.clone())),
            ("not_affected", None, None) => (None, Some(format!("stated by {}", s.by))),
            _ => (None, None),
        };
        statements.entry(said(&s.vulnerability, status, justification, impact, None)).or_default().push(s.vulnerability.purl.clone());
    }
    if statements.is_empty() {
        return None;
    }
    let t = &r.target;
    let (name, _) = crate::cyclonedx::image_identity(t);
    let image = t.manifest_digest.as_deref().and_then(|m| crate::cyclonedx::oci_purl(&name, m, t.platform.as_deref()));
    let mut ids = Vec::new();
    let statements: Vec<Value> = statements
        .into_iter()
        .map(|(s, mut purls)| {
            purls.sort();
            purls.dedup();
            ids.push(format!("{} {} {}", s.id, s.status, purls.join(",")));
            let packages: Vec<Value> = purls.iter().map(|p| json!({"@id": p})).collect();
            let products = match &image {
                Some(img) => json!([{"@id": img, "subcomponents": packages}]),
                None => Value::Array(packages),
            };
            let mut vuln = json!({"name": s.id});
            if !s.aliases.is_empty() {
                vuln["aliases"] = json!(s.aliases);
            }
            let mut st = json!({"vulnerability": vuln, "products": products, "status": s.status});
            if let Some(j) = s.justification {
                st["justification"] = json!(j);
            }
            if let Some(i) = s.impact {
                st["impact_statement"] = json!(i);
            }
            if let Some(a) = s.action {
                st["action_statement"] = json!(a);
            }
            st
        })
        .collect();
    let doc = json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": format!("https://dredge.dev/vex/{}", stable_uuid(&format!("{}|{}|{}", t.name, r.created, ids.join(";")))),
        "author": format!("dredge {}", r.tool.version),
        "timestamp": r.created,
        "version": 1,
        "tooling": format!("dredge {} (https://dredge.dev)", r.tool.version),
        "statements": statements,
    });
    Some(serde_json::to_string_pretty(&doc).unwrap_or_default())
}
