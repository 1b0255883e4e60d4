//! OS identity: `etc/os-release`, `usr/lib/os-release`, and the distro-specific release files
//! that older and minimal images carry instead.

use dredge_layer::{ExtractError, Extractor, Pattern};
use dredge_model::Fact;
use std::collections::BTreeMap;

pub struct OsRelease;

/// The release files, in the order their evidence is trusted.
pub const RELEASE_FILES: &[&str] = &[
    "etc/os-release",
    "usr/lib/os-release",
    "etc/alpine-release",
    "etc/debian_version",
    "etc/redhat-release",
    "etc/centos-release",
    "etc/fedora-release",
    "etc/oracle-release",
    "etc/system-release",
];

/// Unquotes an os-release value (shell-like: `"..."` with `\` escapes, or `'...'`).
fn unquote(v: &str) -> String {
    let v = v.trim();
    if let Some(inner) = v.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        let mut out = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            } else {
                out.push(c);
            }
        }
        out
    } else if let Some(inner) = v.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
        inner.to_string()
    } else {
        v.to_string()
    }
}

pub fn parse_os_release(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .filter(|(k, _)| !k.trim().is_empty() && k.trim().chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .map(|(k, v)| (k.trim().to_string(), unquote(v)))
        .collect()
}

/// `Red Hat Enterprise Linux release 8.9 (Ootpa)` → (`rhel`, `8.9`).
fn redhat_like(text: &str) -> Option<(String, Option<String>)> {
    let lower = text.to_ascii_lowercase();
    let id = [
        ("red hat enterprise linux", "rhel"),
        ("centos stream", "centos"),
        ("centos", "centos"),
        ("rocky", "rocky"),
        ("almalinux", "almalinux"),
        ("fedora", "fedora"),
        ("oracle linux", "ol"),
        ("amazon linux", "amzn"),
    ]
    .iter()
    .find(|(needle, _)| lower.contains(needle))
    .map(|(_, id)| id.to_string())?;
    let version = text.split_whitespace().find(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit())).map(str::to_string);
    Some((id, version))
}

impl Extractor for OsRelease {
    fn name(&self) -> &'static str {
        "os/release"
    }
    fn version(&self) -> u32 {
        1
    }
    fn patterns(&self) -> &'static [Pattern] {
        &[
            Pattern::Exact("etc/os-release"),
            Pattern::Exact("usr/lib/os-release"),
            Pattern::Exact("etc/alpine-release"),
            Pattern::Exact("etc/debian_version"),
            Pattern::Exact("etc/redhat-release"),
            Pattern::Exact("etc/centos-release"),
            Pattern::Exact("etc/fedora-release"),
            Pattern::Exact("etc/oracle-release"),
            Pattern::Exact("etc/system-release"),
        ]
    }
    fn max_file_size(&self) -> u64 {
        64 << 10
    }
    fn extract(&self, path: &str, data: &[u8]) -> Result<Vec<Fact>, ExtractError> {
        let text = String::from_utf8_lossy(data);
        let first = text.lines().next().unwrap_or("").trim().to_string();
        let fact = match path {
            "etc/os-release" | "usr/lib/os-release" => {
                let fields = parse_os_release(&text);
                if !fields.contains_key("ID") && !fields.contains_key("NAME") {
                    return Err(ExtractError::new("no ID or NAME field"));
                }
                Fact::OsRelease { fields }
            }
            "etc/alpine-release" => Fact::OsHint { id: "alpine".into(), version: Some(first).filter(|s| !s.is_empty()), pretty_name: None },
            "etc/debian_version" => Fact::OsHint { id: "debian".into(), version: Some(first).filter(|s| !s.is_empty()), pretty_name: None },
            _ => match redhat_like(&first) {
                Some((id, version)) => Fact::OsHint { id, version, pretty_name: Some(first) },
                None => return Ok(Vec::new()),
            },
        };
        Ok(vec![fact])
    }
}

/// Known end-of-life dates (`YYYY-MM-DD`, end of the distro's standard or LTS support) of common
/// releases. A release not listed gets no end-of-life claim.
pub fn end_of_life(id: &str, version: &str) -> Option<&'static str> {
    let major_minor = |v: &str, parts: usize| v.split('.').take(parts).collect::<Vec<_>>().join(".");
    let table: &[(&str, &str, &str)] = &[
        ("alpine", "3.9", "2020-11-01"),
        ("alpine", "3.10", "2021-05-01"),
        ("alpine", "3.11", "2021-11-01"),
        ("alpine", "3.12", "2022-05-01"),
        ("alpine", "3.13", "2022-11-01"),
        ("alpine", "3.14", "2023-05-01"),
        ("alpine", "3.15", "2023-11-01"),
        ("alpine", "3.16", "2024-05-23"),
        ("alpine", "3.17", "2024-11-22"),
        ("alpine", "3.18", "2025-05-09"),
        ("alpine", "3.19", "2025-11-01"),
        ("alpine", "3.20", "2026-04-01"),
        ("alpine", "3.21", "2026-11-01"),
        ("alpine", "3.22", "2027-05-01"),
        ("debian", "8", "2020-06-30"),
        ("debian", "9", "2022-06-30"),
        ("debian", "10", "2024-06-30"),
        ("debian", "11", "2026-08-31"),
        ("debian", "12", "2028-06-30"),
        ("ubuntu", "16.04", "2021-04-30"),
        ("ubuntu", "18.04", "2023-05-31"),
        ("ubuntu", "20.04", "2025-05-31"),
        ("ubuntu", "22.04", "2027-06-01"),
        ("ubuntu", "24.04", "2029-05-31"),
        ("centos", "7", "2024-06-30"),
        ("centos", "8", "2021-12-31"),
        ("mariner", "1.0", "2023-07-31"),
        ("mariner", "2.0", "2025-07-31"),
        ("fedora", "38", "2024-05-21"),
        ("fedora", "39", "2024-11-26"),
        ("fedora", "40", "2025-05-13"),
    ];
    let key = match id {
        "alpine" | "ubuntu" | "mariner" => major_minor(version, 2),
        _ => major_minor(version, 1),
    };
    table.iter().find(|(i, v, _)| *i == id && *v == key).map(|(_, _, d)| *d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_release_quoting() {
        let f = parse_os_release("# c\nNAME=\"Debian GNU/Linux\"\nID=debian\nVERSION_ID='12'\nX=\"a \\\"q\\\"\"\n");
        assert_eq!(f["NAME"], "Debian GNU/Linux");
        assert_eq!(f["VERSION_ID"], "12");
        assert_eq!(f["X"], "a \"q\"");
    }

    #[test]
    fn redhat_release_lines() {
        assert_eq!(redhat_like("Red Hat Enterprise Linux release 8.9 (Ootpa)"), Some(("rhel".into(), Some("8.9".into()))));
        assert_eq!(redhat_like("CentOS Linux release 7.9.2009 (Core)"), Some(("centos".into(), Some("7.9.2009".into()))));
        assert_eq!(redhat_like("something else"), None);
    }

    #[test]
    fn eol_lookup() {
        assert_eq!(end_of_life("alpine", "3.9.6"), Some("2020-11-01"));
        assert_eq!(end_of_life("debian", "12.4"), Some("2028-06-30"));
        assert_eq!(end_of_life("plan9", "4"), None);
    }
}
