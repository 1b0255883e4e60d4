//! SARIF 2.1.0 for code scanning (GitHub accepts it): one rule per advisory id, one result per
//! finding, located at the package database that lists the package.

use crate::ScanReport;
use dredge_model::{Detail, Severity, Vulnerability};
use serde_json::{Value, json};

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Unknown => "note",
    }
}

/// GitHub orders alerts by `security-severity` (a CVSS-like number): the CVSS score when the
/// severity came from one, else the middle of the rating's band.
fn security_severity(f: &Vulnerability) -> String {
    if let Some(score) = f.severity_source.strip_prefix("CVSS_").and_then(|s| s.split_whitespace().nth(1)) {
        return score.to_string();
    }
    match f.severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "2.0",
        Severity::Unknown => "0.0",
    }
    .to_string()
}

pub fn to_sarif(r: &ScanReport) -> String {
    let findings: Vec<&Vulnerability> = r.vulnerabilities().unwrap_or_default();
    let mut rules: Vec<Value> = Vec::new();
    let mut index: Vec<String> = Vec::new();
    let mut results = Vec::new();
    for f in findings {
        let rule_index = match index.iter().position(|id| *id == f.id) {
            Some(i) => i,
            None => {
                index.push(f.id.clone());
                let help = format!(
                    "Vulnerability {}\nSeverity: {}\nPackage: {}\nFixed version: {}\n{}",
                    f.id,
                    f.severity.as_str(),
                    f.package,
                    if f.fixed_versions.is_empty() { "none yet".to_string() } else { f.fixed_versions.join(", ") },
                    f.references.first().cloned().unwrap_or_default()
                );
                let mut rule = json!({
                    "id": f.id,
                    "name": "OsPackageVulnerability",
                    "shortDescription": {"text": format!("{} in {}", f.id, f.package)},
                    "fullDescription": {"text": if f.title.is_empty() { f.id.clone() } else { f.title.clone() }},
                    "defaultConfiguration": {"level": level(f.severity)},
                    "help": {"text": help.clone(), "markdown": help.replace('\n', "  \n")},
                    "properties": {
                        "security-severity": security_severity(f),
                        "precision": "very-high",
                        "tags": ["vulnerability", "security", f.severity.as_str()],
                    },
                });
                if let Some(u) = f.references.first() {
                    rule["helpUri"] = json!(u);
                }
                rules.push(rule);
                index.len() - 1
            }
        };
        let path = f.location.as_ref().map(|l| l.path.trim_start_matches('/').to_string()).unwrap_or_default();
        results.push(json!({
            "ruleId": f.id,
            "ruleIndex": rule_index,
            "level": level(f.severity),
            "message": {"text": format!(
                "Package: {}\nInstalled version: {}\nVulnerability: {}\nSeverity: {}\nFixed version: {}\nImage: {}",
                f.package,
                f.installed,
                f.id,
                f.severity.as_str(),
                if f.fixed_versions.is_empty() { "none yet".to_string() } else { f.fixed_versions.join(", ") },
                r.target.name
            )},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": path, "uriBaseId": "ROOTPATH"},
                    "region": {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 1}
                },
                "message": {"text": format!("{}: {}@{}", r.target.name, f.package, f.installed)}
            }],
            "partialFingerprints": {"dredge/v1": format!("{}:{}:{}", f.id, f.package, f.installed)},
        }));
    }
    // Every other scanner's findings, one shape: located at the file (and line) or the config
    // field they were found in.
    for sc in r.scanned.iter().filter(|s| s.id != "vuln") {
        for f in r.findings.iter().filter(|f| f.scanner == sc.id) {
            let sev = f.severity.as_str();
            let rule_index = match index.iter().position(|id| *id == f.rule) {
                Some(i) => i,
                None => {
                    index.push(f.rule.clone());
                    let score = match f.severity {
                        Severity::Critical => "9.5",
                        Severity::High => "8.0",
                        Severity::Medium => "5.5",
                        _ => "2.0",
                    };
                    let mut help = format!("{}: {}\nSeverity: {sev}", sc.rule_name, f.title);
                    if let Detail::Check { description, .. } = &f.detail {
                        help.push_str(&format!("\n{description}"));
                    }
                    if let Some(rem) = &f.remediation {
                        help.push_str(&format!("\n{rem}"));
                    }
                    let mut rule = json!({
                        "id": f.rule,
                        "name": sc.rule_name,
                        "shortDescription": {"text": f.title},
                        "fullDescription": {"text": format!("{} ({} rule {})", f.title, sc.id, f.rule)},
                        "defaultConfiguration": {"level": level(f.severity)},
                        "help": {"text": help},
                        "properties": {"security-severity": score, "precision": "high", "tags": [sc.id, "security", sev]},
                    });
                    if let Detail::Check { references, .. } = &f.detail {
                        if let Some(u) = references.first() {
                            rule["helpUri"] = json!(u);
                        }
                    }
                    rules.push(rule);
                    index.len() - 1
                }
            };
            let removed =
                f.place.removed_in.as_ref().map(|l| format!(" (removed in layer {}, still in the image)", l.index)).unwrap_or_default();
            let detail = match &f.detail {
                Detail::Secret { redacted, .. } => format!("; match {redacted}"),
                Detail::Check { evidence: Some(e), .. } => format!("; {e}"),
                _ => String::new(),
            };
            let path = f.place.path.as_ref().or(f.place.field.as_ref()).cloned().unwrap_or_default();
            let line = f.place.line.unwrap_or(1);
            results.push(json!({
                "ruleId": f.rule,
                "ruleIndex": rule_index,
                "level": level(f.severity),
                "message": {"text": format!(
                    "{sev}: {} at {}{}{removed}{detail}",
                    f.title,
                    f.where_(),
                    f.place.layer.as_ref().map(|l| format!(" (layer {})", l.index)).unwrap_or_default(),
                )},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": path.trim_start_matches('/'), "uriBaseId": "ROOTPATH"},
                        "region": {"startLine": line, "startColumn": 1, "endLine": line, "endColumn": 1}
                    },
                    "message": {"text": format!("{}: {}", r.target.name, path)}
                }],
                // Two findings of one rule on one line (two chmods, two capabilities) are two alerts.
                "partialFingerprints": {"dredge/v1": format!(
                    "{}:{}:{}:{}{}{}",
                    f.rule,
                    path,
                    line,
                    f.place.layer.as_ref().map(|l| l.index).unwrap_or(0),
                    match &f.detail {
                        Detail::Check { evidence: Some(e), .. } => format!(":{e}"),
                        _ => String::new(),
                    },
                    // Packages recorded in one database file (dpkg's status) are one alert each.
                    f.place.package.as_ref().map(|p| format!(":{}@{}", p.0, p.1)).unwrap_or_default()
                )},
            }));
        }
    }
    let doc = json!({
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [{
            "tool": {"driver": {
                "name": "dredge",
                "version": r.tool.version,
                "informationUri": "https://github.com/dredge-scanner/dredge",
                "fullName": format!("dredge {}", r.tool.version),
                "rules": rules,
            }},
            "results": results,
            "columnKind": "utf16CodeUnits",
            "originalUriBaseIds": {"ROOTPATH": {"uri": "file:///"}},
            "properties": {"imageName": r.target.name, "imageID": r.target.image_id, "repoDigests": r.target.repo_digests},
        }],
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}
