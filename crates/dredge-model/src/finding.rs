//! A vulnerability finding: a package, the advisory records that affect it, and why. Shared by
//! the matcher (which makes them) and every report format (which renders them), so that a
//! renderer needs nothing of the advisory database.

use crate::{Ecosystem, Location, Origin, Severity};
use serde::Serialize;
use std::collections::BTreeMap;

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

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
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

/// Counts per severity, highest first, for summaries.
pub fn counts(findings: &[Finding]) -> BTreeMap<Severity, usize> {
    let mut m = BTreeMap::new();
    for f in findings {
        *m.entry(f.severity).or_insert(0) += 1;
    }
    m
}
