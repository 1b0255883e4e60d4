//! Suppressing findings on purpose: an ignore file (`.dredgeignore`, YAML) with reasons and expiry
//! dates, and OpenVEX documents whose `not_affected`/`fixed` statements apply. Unused and
//! expired ignore entries are reported, so the file does not rot silently.

use crate::Vulnerability;
use dredge_model::Suppressed;
use serde::Deserialize;

/// `.dredgeignore`:
/// ```yaml
/// ignore:
///   - id: CVE-2019-14697            # an id or alias; omit to match every finding of the purl
///     purl: pkg:apk/alpine/musl     # optional: a purl or its prefix (without version = any)
///     expires: 2027-01-31           # optional: ignored until this date (inclusive)
///     reason: not reachable from our entrypoint
///     justification: vulnerable_code_not_in_execute_path   # optional: OpenVEX's words for it
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IgnoreFile {
    #[serde(default)]
    pub ignore: Vec<IgnoreRule>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IgnoreRule {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub purl: Option<String>,
    #[serde(default)]
    pub expires: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    /// One of [`JUSTIFICATIONS`]: what `--format openvex` states for the ignored findings.
    #[serde(default)]
    pub justification: Option<String>,
}

/// OpenVEX's justifications for `not_affected` (v0.2.0).
pub const JUSTIFICATIONS: &[&str] = &[
    "component_not_present",
    "vulnerable_code_not_present",
    "vulnerable_code_not_in_execute_path",
    "vulnerable_code_cannot_be_controlled_by_adversary",
    "inline_mitigations_already_exist",
];

impl IgnoreFile {
    pub fn parse(text: &str) -> Result<IgnoreFile, String> {
        // serde-saphyr renders a source snippet over several lines; a message is one line,
        // `line L column C: what`.
        let f: IgnoreFile = serde_saphyr::from_str(text).map_err(|e| {
            let full = e.to_string();
            let first = full.lines().next().unwrap_or("").trim();
            first.strip_prefix("error: ").unwrap_or(first).to_string()
        })?;
        for (i, r) in f.ignore.iter().enumerate() {
            if r.id.is_none() && r.purl.is_none() {
                return Err(format!("entry {}: needs an `id`, a `purl`, or both", i + 1));
            }
            if let Some(d) = &r.expires {
                if !valid_date(d) {
                    return Err(format!("entry {}: expires {d:?} is not a YYYY-MM-DD date", i + 1));
                }
            }
            if let Some(j) = r.justification.as_deref().filter(|j| !JUSTIFICATIONS.contains(j)) {
                return Err(format!("entry {}: justification {j:?} is not one of {}", i + 1, JUSTIFICATIONS.join(", ")));
            }
        }
        Ok(f)
    }
}

/// A real calendar date `YYYY-MM-DD` (2027-02-30 or 9999-99-99 would silence a finding forever).
fn valid_date(d: &str) -> bool {
    let b = d.as_bytes();
    if !(b.len() == 10 && b[4] == b'-' && b[7] == b'-' && d.chars().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())) {
        return false;
    }
    let (y, m, day) = (d[..4].parse::<u32>().unwrap_or(0), d[5..7].parse::<u32>().unwrap_or(0), d[8..].parse::<u32>().unwrap_or(0));
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

#[cfg(test)]
mod date_tests {
    use super::valid_date;

    #[test]
    fn only_real_dates() {
        for ok in ["2027-01-31", "2028-02-29", "2000-02-29", "2026-12-02"] {
            assert!(valid_date(ok), "{ok}");
        }
        for bad in ["2027-13-45", "2027-02-30", "9999-99-99", "2027-02-29", "1900-02-29", "2027-04-31", "2027-00-10", "2027-1-1"] {
            assert!(!valid_date(bad), "{bad}");
        }
    }
}

/// Does a purl pattern cover a finding's purl? A pattern without `@version` covers every version;
/// qualifiers of the finding's purl are ignored unless the pattern has some.
fn purl_covers(pattern: &str, purl: &str) -> bool {
    if pattern == purl {
        return true;
    }
    let base = purl.split(['?', '#']).next().unwrap_or(purl);
    if pattern == base {
        return true;
    }
    if !pattern.contains('@') {
        let name = base.split('@').next().unwrap_or(base);
        return pattern == name;
    }
    false
}

/// Every id a finding answers to: its id, aliases, and related ids (ignoring CVE-X suppresses an
/// erratum that fixes CVE-X).
fn names(f: &Vulnerability) -> impl Iterator<Item = &String> {
    std::iter::once(&f.id).chain(f.aliases.iter()).chain(f.related.iter())
}

/// Applies an ignore file (`name`, for people). Returns the kept findings, the ignored ones with
/// what the entry states (`not_affected`, its justification, or its reason as the impact
/// statement), and warnings about expired and unused entries. `today` is `YYYY-MM-DD`.
pub fn apply_ignores(
    findings: Vec<Vulnerability>,
    file: &IgnoreFile,
    name: &str,
    today: &str,
) -> (Vec<Vulnerability>, Vec<Suppressed>, Vec<String>) {
    let mut used = vec![false; file.ignore.len()];
    let mut warnings = Vec::new();
    let active: Vec<bool> = file
        .ignore
        .iter()
        .enumerate()
        .map(|(i, r)| match &r.expires {
            Some(d) if d.as_str() < today => {
                warnings.push(format!(
                    "ignore entry {} ({}) expired on {d}: its findings are reported again",
                    i + 1,
                    r.id.as_deref().or(r.purl.as_deref()).unwrap_or("")
                ));
                false
            }
            _ => true,
        })
        .collect();
    let mut ignored = Vec::new();
    let mut kept = Vec::new();
    'next: for f in findings {
        for (i, r) in file.ignore.iter().enumerate() {
            if !active[i] {
                continue;
            }
            let id_ok = r.id.as_ref().is_none_or(|id| names(&f).any(|n| n == id));
            let purl_ok = r.purl.as_ref().is_none_or(|p| purl_covers(p, &f.purl));
            if id_ok && purl_ok {
                used[i] = true;
                // OpenVEX wants a justification or an impact statement, not both.
                let impact = match (&r.justification, &r.reason) {
                    (Some(_), _) => None,
                    (None, Some(why)) => Some(why.clone()),
                    (None, None) => Some(format!("ignored in {name} (entry {}), no reason given", i + 1)),
                };
                ignored.push(Suppressed {
                    vulnerability: f,
                    status: "not_affected".into(),
                    justification: r.justification.clone(),
                    impact_statement: impact,
                    by: format!("{name} entry {}", i + 1),
                });
                continue 'next;
            }
        }
        kept.push(f);
    }
    for (i, r) in file.ignore.iter().enumerate() {
        if active[i] && !used[i] {
            warnings.push(format!("ignore entry {} ({}) matched no finding", i + 1, r.id.as_deref().or(r.purl.as_deref()).unwrap_or("")));
        }
    }
    (kept, ignored, warnings)
}

/// The parts of an OpenVEX document (v0.2.0; the v0.0.x string forms are read too).
#[derive(Debug, Clone, Deserialize)]
pub struct Vex {
    #[serde(default)]
    pub statements: Vec<VexStatement>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct VexStatement {
    pub vulnerability: VexVuln,
    #[serde(default)]
    pub products: Vec<VexProduct>,
    pub status: String,
    #[serde(default)]
    pub justification: Option<String>,
    #[serde(default)]
    pub impact_statement: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum VexVuln {
    Id(String),
    Obj {
        #[serde(default)]
        name: Option<String>,
        #[serde(rename = "@id", default)]
        id: Option<String>,
        #[serde(default)]
        aliases: Vec<String>,
    },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum VexProduct {
    Id(String),
    Obj {
        #[serde(rename = "@id", default)]
        id: Option<String>,
        #[serde(default)]
        subcomponents: Vec<VexProduct>,
        #[serde(default)]
        identifiers: Option<serde_json::Value>,
    },
}

impl VexVuln {
    fn ids(&self) -> Vec<&str> {
        match self {
            VexVuln::Id(s) => vec![s.as_str()],
            VexVuln::Obj { name, id, aliases } => name.iter().chain(id.iter()).chain(aliases.iter()).map(String::as_str).collect(),
        }
    }
}

impl VexProduct {
    /// The purls this product names: itself and its subcomponents.
    fn purls(&self) -> (Option<String>, Vec<String>) {
        match self {
            VexProduct::Id(s) => (Some(s.clone()), vec![]),
            VexProduct::Obj { id, subcomponents, identifiers } => {
                let own =
                    id.clone().or_else(|| identifiers.as_ref().and_then(|v| v.get("purl")).and_then(|p| p.as_str()).map(str::to_string));
                let subs = subcomponents.iter().filter_map(|s| s.purls().0).collect();
                (own, subs)
            }
        }
    }
}

impl Vex {
    pub fn parse(text: &str) -> Result<Vex, String> {
        serde_json::from_str(text).map_err(|e| format!("not an OpenVEX document: {e}"))
    }
}

/// Removes findings that a VEX statement declares `not_affected` or `fixed`. A product that is
/// the image (`pkg:oci/...`) or has no subcomponents applies to the packages it names; one with
/// subcomponents applies to those. `docs` come with their names, for people. Returns the kept
/// findings and the suppressed ones with the statement's status, justification and impact.
pub fn apply_vex(findings: Vec<Vulnerability>, docs: &[(String, Vex)]) -> (Vec<Vulnerability>, Vec<Suppressed>) {
    let mut suppressed = Vec::new();
    let mut kept = Vec::new();
    'next: for f in findings {
        for (name, d) in docs {
            for s in &d.statements {
                if s.status != "not_affected" && s.status != "fixed" {
                    continue;
                }
                if !s.vulnerability.ids().iter().any(|v| names(&f).any(|n| n == v)) {
                    continue;
                }
                let applies = s.products.is_empty()
                    || s.products.iter().any(|p| {
                        let (own, subs) = p.purls();
                        if subs.is_empty() {
                            own.is_some_and(|o| o.starts_with("pkg:oci/") || purl_covers(&o, &f.purl))
                        } else {
                            subs.iter().any(|sp| purl_covers(sp, &f.purl))
                        }
                    });
                if applies {
                    suppressed.push(Suppressed {
                        vulnerability: f,
                        status: s.status.clone(),
                        justification: s.justification.clone().filter(|j| JUSTIFICATIONS.contains(&j.as_str())),
                        impact_statement: s.impact_statement.clone(),
                        by: format!("VEX {name}"),
                    });
                    continue 'next;
                }
            }
        }
        kept.push(f);
    }
    (kept, suppressed)
}
