//! Alpine's and Wolfi's "secdb" (`secfixes`: fixed version → ids), YAML or JSON, turned into OSV
//! advisories: one per (id, package) with the range `introduced 0, fixed <version>`.

use crate::osv::{Advisory, Affected, Event, Package, Range, Reference};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Deserialize)]
pub struct SecDb {
    #[serde(default)]
    pub distroversion: String,
    #[serde(default)]
    pub reponame: String,
    #[serde(default)]
    pub packages: Vec<PkgEntry>,
}

#[derive(Debug, Deserialize)]
pub struct PkgEntry {
    pub pkg: Pkg,
}

#[derive(Debug, Deserialize)]
pub struct Pkg {
    pub name: String,
    /// Fixed version → ids. YAML keys such as `0` come as numbers: read as scalars.
    #[serde(default)]
    pub secfixes: BTreeMap<Scalar, Option<Vec<Scalar>>>,
}

/// A YAML scalar read as text whatever its YAML type (`0`, `1.2`, `1.2.3-r0`). Numbers keep
/// the text they were written with, so `1.10` stays `1.10`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Scalar(pub String);

impl<'de> serde::Deserialize<'de> for Scalar {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a scalar")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
        }
        d.deserialize_str(V)
    }
}

impl Scalar {
    pub fn text(&self) -> String {
        self.0.clone()
    }
}

/// `CVE-2019-1234`, also from `CVE 2019-1234`, `CVE_2019-1234` and `CVE-2019-1234 (note)`;
/// other ids such as `XSA-284` as written. `CVE-????-?????  XSA-284` gives the XSA id.
fn normalise_id(raw: &str) -> Option<String> {
    let t = raw.trim().replace("CVE ", "CVE-").replace("CVE_", "CVE-");
    for tok in t.split_whitespace() {
        if let Some(rest) = tok.strip_prefix("CVE-") {
            let mut parts = rest.splitn(2, '-');
            let (y, n) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            let n: String = n.chars().take_while(|c| c.is_ascii_digit()).collect();
            if y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()) && !n.is_empty() {
                return Some(format!("CVE-{y}-{n}"));
            }
            continue;
        }
        // Other advisory ids: letters, a dash, digits (`XSA-284`, `GHSA-...`).
        if let Some((pfx, num)) = tok.split_once('-') {
            if !pfx.is_empty()
                && pfx.bytes().all(|b| b.is_ascii_uppercase())
                && !num.is_empty()
                && num.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            {
                return Some(tok.to_string());
            }
        }
    }
    None
}

/// The OSV ecosystem of a secdb: `Alpine:v3.9` (the distro version as the secdb names it).
pub fn ecosystem(db: &SecDb, family: &str) -> String {
    if db.distroversion.is_empty() { family.to_string() } else { format!("{family}:{}", db.distroversion) }
}

/// Converts a secdb to advisories. `family` is `Alpine` or `Wolfi`.
pub fn to_advisories(db: &SecDb, family: &str) -> (Vec<Advisory>, usize) {
    let eco = ecosystem(db, family);
    let mut out = Vec::new();
    let mut skipped = 0;
    for entry in &db.packages {
        for (fixed, ids) in &entry.pkg.secfixes {
            let fixed = fixed.text();
            for raw in ids.iter().flatten() {
                let Some(id) = normalise_id(&raw.text()) else {
                    skipped += 1;
                    continue;
                };
                // `0`: the package was never affected (fixed in every version).
                let events = if fixed == "0" {
                    continue;
                } else {
                    vec![
                        Event { introduced: Some("0".into()), ..Default::default() },
                        Event { fixed: Some(fixed.clone()), ..Default::default() },
                    ]
                };
                out.push(Advisory {
                    id: format!("{}-{}-{}", family.to_ascii_uppercase(), id, entry.pkg.name),
                    aliases: vec![id.clone()],
                    summary: Some(format!("{id} fixed in {} {fixed}", entry.pkg.name)),
                    affected: vec![Affected {
                        package: Package { ecosystem: eco.clone(), name: entry.pkg.name.clone(), purl: None },
                        ranges: vec![Range { kind: "ECOSYSTEM".into(), events }],
                        ..Default::default()
                    }],
                    references: if id.starts_with("CVE-") {
                        vec![Reference { kind: "ADVISORY".into(), url: format!("https://security.alpinelinux.org/vuln/{id}") }]
                    } else {
                        vec![]
                    },
                    ..Default::default()
                });
            }
        }
    }
    (out, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert_eq!(normalise_id("CVE-2019-1234").as_deref(), Some("CVE-2019-1234"));
        assert_eq!(normalise_id("CVE 2018-16859").as_deref(), Some("CVE-2018-16859"));
        assert_eq!(normalise_id("CVE-2019-1234 (some note)").as_deref(), Some("CVE-2019-1234"));
        assert_eq!(normalise_id("XSA-123").as_deref(), Some("XSA-123"));
        assert_eq!(normalise_id("CVE-abc"), None);
        assert_eq!(normalise_id("CVE-????-?????  XSA-284").as_deref(), Some("XSA-284"));
        assert_eq!(normalise_id("CVE_2019-2426").as_deref(), Some("CVE-2019-2426"));
    }

    #[test]
    fn yaml_with_numeric_keys() {
        let y = "distroversion: v3.9\nreponame: main\npackages:\n  - pkg:\n      name: musl\n      secfixes:\n        1.1.20-r5:\n          - CVE-2019-14697\n        0:\n          - CVE-2020-1\n        1.10:\n          - CVE-2021-2\n";
        let db: SecDb = serde_saphyr::from_str(y).expect("parses");
        let (adv, skipped) = to_advisories(&db, "Alpine");
        assert_eq!(skipped, 0);
        assert_eq!(adv.len(), 2, "the `0` entry is not an advisory: {adv:?}");
        assert!(adv.iter().all(|a| a.affected[0].package.ecosystem == "Alpine:v3.9"));
        assert!(adv.iter().any(|a| a.affected[0].ranges[0].events[1].fixed.as_deref() == Some("1.10")), "{adv:?}");
    }
}
