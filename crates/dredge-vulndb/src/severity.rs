//! Severity: the distro's own rating first, then CVSS vectors scored here (v4, v3.x, v2), then
//! the advisory's label. The source of the rating is reported with it.

use crate::osv::{Advisory, Affected};
use std::str::FromStr;

pub use dredge_model::Severity;

fn from_cvss(sev: cvss::Severity) -> Severity {
    match sev {
        cvss::Severity::None => Severity::Unknown,
        cvss::Severity::Low => Severity::Low,
        cvss::Severity::Medium => Severity::Medium,
        cvss::Severity::High => Severity::High,
        cvss::Severity::Critical => Severity::Critical,
    }
}

/// Scores a CVSS vector (`CVSS:3.1/...`, `CVSS:4.0/...`, or a bare v2 vector).
pub fn score_cvss(vector: &str) -> Option<(f64, Severity)> {
    if let Ok(c) = cvss::Cvss::from_str(vector) {
        return Some((c.score(), from_cvss(c.severity())));
    }
    let v2 = cvss::v2::Vector::from_str(vector.trim_start_matches("CVSS:2.0/")).ok()?;
    let s = v2.score();
    Some((s.value(), from_cvss(s.severity())))
}

/// How much a source of severity is trusted, for choosing among linked records.
pub fn source_rank(src: &str) -> u8 {
    if src.starts_with("distro") {
        3
    } else if src.starts_with("CVSS") {
        2
    } else if src == "advisory" {
        1
    } else {
        0
    }
}

fn label_in(v: &Option<serde_json::Value>) -> Option<Severity> {
    v.as_ref()?.get("severity")?.as_str().and_then(Severity::parse_label)
}

/// The severity of one record for one affected package, and where it came from.
pub fn rate(adv: &Advisory, aff: &Affected) -> (Severity, String) {
    // A distribution's own label (Ubuntu's priority is a record-level `"type": "Ubuntu"`).
    for s in aff.severity.iter().chain(adv.severity.iter()) {
        if !s.kind.starts_with("CVSS") {
            if let Some(l) = Severity::parse_label(&s.score) {
                return (l, format!("distro ({})", s.kind));
            }
        }
    }
    if let Some(l) = label_in(&aff.ecosystem_specific).or_else(|| label_in(&aff.database_specific)) {
        return (l, "distro".into());
    }
    if let Some(l) = summary_rating(adv) {
        return (l, "distro (summary)".into());
    }
    if let Some(best) = best_cvss(aff.severity.iter().chain(adv.severity.iter())) {
        return best;
    }
    if let Some(l) = label_in(&adv.database_specific) {
        return (l, "advisory".into());
    }
    (Severity::Unknown, "none".into())
}

/// The newest CVSS version among `sevs` (v4 over v3 over v2), scored: the rating and
/// `CVSS_V3 9.8` as its source.
pub fn best_cvss<'a>(sevs: impl Iterator<Item = &'a crate::osv::Severity>) -> Option<(Severity, String)> {
    let mut best: Option<(u8, f64, Severity, String)> = None;
    for s in sevs {
        let rank = match s.kind.as_str() {
            "CVSS_V4" => 3,
            "CVSS_V3" => 2,
            "CVSS_V2" => 1,
            _ => continue,
        };
        if let Some((score, sev)) = score_cvss(&s.score) {
            if best.as_ref().is_none_or(|b| rank > b.0) {
                best = Some((rank, score, sev, s.kind.clone()));
            }
        }
    }
    best.map(|(_, score, sev, kind)| (sev, format!("{kind} {score:.1}")))
}

/// The CVSS rating a record gives its CVE ids (its id, aliases and upstream ids that are CVEs),
/// for findings whose own records carry no rating. Distro labels are not carried over: a
/// distribution rates the CVE for its own build.
pub fn cve_cvss(adv: &Advisory) -> Vec<(String, Severity, String)> {
    let all = adv.severity.iter().chain(adv.affected.iter().flat_map(|a| a.severity.iter()));
    let Some((sev, src)) = best_cvss(all) else { return Vec::new() };
    let mut cves: Vec<String> =
        std::iter::once(&adv.id).chain(adv.aliases.iter()).chain(adv.upstream.iter()).filter(|x| x.starts_with("CVE-")).cloned().collect();
    cves.sort();
    cves.dedup();
    cves.into_iter().map(|c| (c, sev, src.clone())).collect()
}

/// Red Hat and its rebuilds rate an erratum in its summary: `Moderate: curl security update`.
/// Read only for those advisories (ALSA/ALBA/ALEA, RLSA/RLBA/RLEA, RHSA/RHBA/RHEA, ELSA/ELBA/ELEA),
/// where the prefix is the distributor's rating; "Important" is High, as everywhere in dredge.
fn summary_rating(adv: &Advisory) -> Option<Severity> {
    let prefix = adv.id.get(..4)?;
    if !["ALSA", "ALBA", "ALEA", "RLSA", "RLBA", "RLEA", "RHSA", "RHBA", "RHEA", "ELSA", "ELBA", "ELEA"].contains(&prefix) {
        return None;
    }
    let (label, _) = adv.summary.as_deref()?.split_once(':')?;
    Severity::parse_label(label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errata_summaries_carry_the_rating() {
        let adv = |id: &str, summary: &str| Advisory { id: id.into(), summary: Some(summary.into()), ..Default::default() };
        assert_eq!(
            summary_rating(&adv("ALSA-2023:6938", "Moderate: container-tools:4.0 security and bug fix update")),
            Some(Severity::Medium)
        );
        assert_eq!(summary_rating(&adv("RLSA-2024:1", "Important: kernel security update")), Some(Severity::High));
        assert_eq!(summary_rating(&adv("ALSA-2024:2", "Critical: x")), Some(Severity::Critical));
        assert_eq!(summary_rating(&adv("ALBA-2021:1099", "bind bug fix update")), None);
        assert_eq!(summary_rating(&adv("GHSA-xxxx", "Critical: not a distro rating")), None);
    }

    #[test]
    fn cvss_scores() {
        let (s, sev) = score_cvss("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").expect("v3");
        assert_eq!((s, sev), (9.8, Severity::Critical));
        let (s, sev) = score_cvss("AV:N/AC:L/Au:N/C:P/I:P/A:P").expect("v2");
        assert_eq!((s, sev), (7.5, Severity::High));
        let (_, sev) = score_cvss("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N").expect("v4");
        assert_eq!(sev, Severity::Critical);
        assert!(score_cvss("garbage").is_none());
    }

    #[test]
    fn ubuntu_rates_its_records_and_its_cvss_keys_the_upstream_cve() {
        // Ubuntu's real record (testdata/advisories/ubuntu, provenance there): priority "medium"
        // for Ubuntu's packages; CVSS 3.1 9.8 for the CVE it derives from.
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/advisories/ubuntu/UBUNTU-CVE-2019-14697.json");
        let adv: Advisory = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert_eq!(rate(&adv, &adv.affected[0]), (Severity::Medium, "distro (Ubuntu)".to_string()));
        assert_eq!(cve_cvss(&adv), vec![("CVE-2019-14697".to_string(), Severity::Critical, "CVSS_V3 9.8".to_string())]);
    }
}
