//! Findings: what every scanner reports (a vulnerability, a secret, and the coming
//! misconfiguration, license and malware findings), in one shape that every report format
//! renders. Shared by the scanners (which make them) and the renderers, so that a renderer needs
//! nothing of the advisory database or any scanner's machinery.

use crate::{Ecosystem, LayerRef, Location, Origin, Severity};
use serde::Serialize;
use serde::ser::SerializeMap;
use std::collections::BTreeMap;

/// What a registered scanner is called, in flags, reports and docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScannerInfo {
    /// `--scanners` value: `vuln`, `secret`.
    pub id: &'static str,
    /// The key of its findings in the JSON report: `vulnerabilities`, `secrets`.
    pub key: &'static str,
    /// Heading in tables: `Secrets`.
    pub title: &'static str,
    /// The SARIF rule name of its findings: `Secret`.
    pub rule_name: &'static str,
    /// One line for `--help` and the docs.
    pub help: &'static str,
}

/// One finding of any scanner.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The [`ScannerInfo::id`] of the scanner that made it.
    pub scanner: &'static str,
    /// The rule or advisory id: `CVE-2024-1234`, `aws-access-key-id`.
    pub rule: String,
    pub title: String,
    pub severity: Severity,
    pub place: Place,
    /// What to do about it, for people.
    pub remediation: Option<String>,
    pub detail: Detail,
}

/// Where a finding is: a file (and line), or a field of the image config or history; the layer
/// that brought it and the later layer that removed it; the package it concerns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Place {
    /// Absolute path in the image (`/app/.env`).
    pub path: Option<String>,
    /// 1-based line in the file.
    pub line: Option<u32>,
    /// A config or history field (`config.Env[2]`, `history[4]`).
    pub field: Option<String>,
    pub layer: Option<LayerRef>,
    /// The later layer that deleted or replaced the file: what it held is still in the image.
    pub removed_in: Option<LayerRef>,
    /// The package the finding concerns: name, version, purl.
    pub package: Option<(String, String, String)>,
}

/// What only one kind of finding carries.
#[derive(Debug, Clone, PartialEq)]
pub enum Detail {
    Vulnerability(Box<Vulnerability>),
    /// A secret's redacted value and, for `NAME=value`, the variable name.
    Secret {
        redacted: String,
        name: Option<String>,
    },
    /// A check of how the image was built or will run (misconfigurations): why it matters, where
    /// to read more, and the text that triggered it.
    Check {
        description: String,
        references: Vec<String>,
        /// `USER root`, `RUN curl … | sh`: what the check saw (never a secret's value).
        evidence: Option<String>,
    },
    /// A license: the SPDX expression found, how it is classified, and where it came from.
    License(Box<LicenseDetail>),
    /// Nothing beyond the common fields.
    None,
}

/// What a license finding carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LicenseDetail {
    /// The SPDX expression (`GPL-2.0-or-later AND LGPL-2.1-or-later`).
    pub expression: String,
    pub category: crate::license::Category,
    /// `declared` (package metadata), `text` (a license file's text identified), or `file` (a
    /// license file no package claims).
    pub source: &'static str,
    /// The license as the package metadata writes it, when that differs from the expression.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declared: Option<String>,
    /// How well the text matched the SPDX license's text, in percent (text sources only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidence: Option<u8>,
    /// Terms of the declared license that no SPDX id was found for.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unknown: Vec<String>,
}

impl Finding {
    /// The finding for a matched vulnerability.
    pub fn vulnerability(v: Vulnerability) -> Finding {
        Finding {
            scanner: "vuln",
            rule: v.id.clone(),
            title: v.title.clone(),
            severity: v.severity,
            place: Place {
                path: v.location.as_ref().map(|l| l.path.clone()),
                layer: v.location.as_ref().and_then(|l| l.layer.clone()),
                package: Some((v.package.clone(), v.installed.clone(), v.purl.clone())),
                ..Place::default()
            },
            remediation: v.fixed_versions.first().map(|f| format!("upgrade {} to {f}", v.package)),
            detail: Detail::Vulnerability(Box::new(v)),
        }
    }

    pub fn as_vulnerability(&self) -> Option<&Vulnerability> {
        match &self.detail {
            Detail::Vulnerability(v) => Some(v),
            _ => None,
        }
    }

    /// Where, for people: `/app/.env:3`, `config.Env[0]:1`, `/var/lib/dpkg/status`.
    pub fn where_(&self) -> String {
        match (self.place.path.as_ref().or(self.place.field.as_ref()), self.place.line) {
            (Some(p), Some(l)) => format!("{p}:{l}"),
            (Some(p), None) => p.clone(),
            (None, _) => self.place.package.as_ref().map(|p| format!("{}@{}", p.0, p.1)).unwrap_or_else(|| "-".into()),
        }
    }

    /// The order of findings in reports: highest severity first, then by layer and place.
    pub fn sort(v: &mut [Finding]) {
        v.sort_by(|a, b| {
            b.severity.cmp(&a.severity).then_with(|| {
                let key = |f: &Finding| {
                    (f.place.layer.as_ref().map(|l| l.index), f.place.path.clone().or_else(|| f.place.field.clone()), f.place.line)
                };
                key(a).cmp(&key(b)).then_with(|| a.rule.cmp(&b.rule))
            })
        });
    }
}

/// A finding in the dredge JSON report: a vulnerability as the matcher describes it, a secret as
/// schema 1 has it, any other kind in the common shape.
impl Serialize for Finding {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.detail {
            Detail::Vulnerability(v) => v.serialize(s),
            Detail::Secret { redacted, name } => {
                let mut m = s.serialize_map(None)?;
                m.serialize_entry("rule", &self.rule)?;
                m.serialize_entry("title", &self.title)?;
                m.serialize_entry("severity", &self.severity)?;
                let source = match &self.place.field {
                    Some(f) if f.starts_with("history") => "history",
                    Some(_) => "config",
                    None => "file",
                };
                m.serialize_entry("source", source)?;
                m.serialize_entry("path", self.place.path.as_ref().or(self.place.field.as_ref()).map_or("", |s| s.as_str()))?;
                m.serialize_entry("line", &self.place.line.unwrap_or(1))?;
                if let Some(l) = &self.place.layer {
                    m.serialize_entry("layer", l)?;
                }
                if let Some(l) = &self.place.removed_in {
                    m.serialize_entry("removed_in", l)?;
                }
                if let Some(n) = name {
                    m.serialize_entry("name", n)?;
                }
                m.serialize_entry("match", redacted)?;
                m.end()
            }
            Detail::None | Detail::Check { .. } | Detail::License(_) => {
                let mut m = s.serialize_map(None)?;
                m.serialize_entry("rule", &self.rule)?;
                m.serialize_entry("title", &self.title)?;
                m.serialize_entry("severity", &self.severity)?;
                for (k, v) in [("path", &self.place.path), ("field", &self.place.field)] {
                    if let Some(v) = v {
                        m.serialize_entry(k, v)?;
                    }
                }
                if let Some(l) = self.place.line {
                    m.serialize_entry("line", &l)?;
                }
                if let Some(l) = &self.place.layer {
                    m.serialize_entry("layer", l)?;
                }
                if let Some(l) = &self.place.removed_in {
                    m.serialize_entry("removed_in", l)?;
                }
                if let Some((name, version, purl)) = &self.place.package {
                    m.serialize_entry("package", &serde_json::json!({"name": name, "version": version, "purl": purl}))?;
                }
                if let Detail::Check { description, references, evidence } = &self.detail {
                    m.serialize_entry("description", description)?;
                    if let Some(e) = evidence {
                        m.serialize_entry("evidence", e)?;
                    }
                    m.serialize_entry("references", references)?;
                }
                if let Detail::License(l) = &self.detail {
                    m.serialize_entry("license", &**l)?;
                }
                if let Some(r) = &self.remediation {
                    m.serialize_entry("remediation", r)?;
                }
                m.end()
            }
        }
    }
}

/// Whether a fix exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// A fixed version exists: upgrade to it.
    Fixed,
    /// No fix is published yet.
    Affected,
}

/// Why a finding was reported: enough for a person to check it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Why {
    /// The ecosystem and package name that were looked up.
    pub ecosystem: String,
    pub package: String,
    /// The version compared (for Debian the source version), and the scheme.
    pub version: String,
    pub scheme: &'static str,
    /// The range or version list that contains it, as written in the advisory.
    pub matched: String,
    /// The advisory records that agree (ids), and the database source they came from.
    pub records: Vec<String>,
}

/// A package affected by an advisory: the package, the records that affect it, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Vulnerability {
    /// The id reported: a CVE when one of the linked records has it.
    pub id: String,
    pub aliases: Vec<String>,
    /// Related ids the records name (an AlmaLinux or Rocky erratum's CVEs): not the same problem,
    /// but what people search for; ignore files and VEX statements match them too.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<String>,
    pub package: String,
    pub ecosystem: Ecosystem,
    pub installed: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    pub purl: String,
    pub fixed_versions: Vec<String>,
    pub status: Status,
    pub severity: Severity,
    /// Which source gave the severity (`distro`, `CVSS_V3 7.5`, `advisory`, `none`).
    pub severity_source: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub title: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// The file (and archive member) the package was read from, for people.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found_at: Option<String>,
    /// Whether the package was found installed, in a lockfile or in a binary's build info.
    pub origin: Origin,
    /// A development-only dependency (reported only with `--include-dev-deps`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub dev: bool,
    /// Direct (`true`) or transitive (`false`) dependency, where the file says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direct: Option<bool>,
    pub why: Why,
}

/// A vulnerability finding that an ignore file entry or a VEX statement took out of the results,
/// with what the team stated: kept so that `--format openvex` can hand the statements on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suppressed {
    pub vulnerability: Vulnerability,
    /// The OpenVEX status: `not_affected` or `fixed`.
    pub status: String,
    /// One of OpenVEX's justifications (`vulnerable_code_not_in_execute_path` …), when stated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    /// Why, in words (an ignore entry's `reason`, a VEX statement's `impact_statement`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impact_statement: Option<String>,
    /// What took it out: `.dredgeignore entry 2`, `VEX vex.json`.
    pub by: String,
}

/// Counts per severity, for summaries.
pub fn counts<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> BTreeMap<Severity, usize> {
    let mut m = BTreeMap::new();
    for f in findings {
        *m.entry(f.severity).or_insert(0) += 1;
    }
    m
}
