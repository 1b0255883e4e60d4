//! NuGet versions: `Major.Minor[.Patch[.Revision]][-prerelease][+metadata]` (SemVer 2 with
//! NuGet's fourth number), missing numbers are 0, metadata ignored, pre-release labels compared
//! case-insensitively (numeric labels numerically, below alphanumeric ones), a pre-release below
//! its release. No reference implementation runs on this machine: known orderings only.

use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    nums: [u64; 4],
    pre: Vec<String>,
}

pub fn parse(v: &str) -> Option<Version> {
    let v = v.trim();
    let v = v.split_once('+').map_or(v, |(a, _)| a);
    let (core, pre) = match v.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (v, None),
    };
    let parts: Vec<&str> = core.split('.').collect();
    if parts.len() < 2 || parts.len() > 4 {
        return None;
    }
    let mut nums = [0u64; 4];
    for (i, p) in parts.iter().enumerate() {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        nums[i] = p.parse().ok()?;
    }
    let pre = match pre {
        Some(p) => {
            let labels: Vec<String> = p.split('.').map(|l| l.to_ascii_lowercase()).collect();
            if labels.iter().any(|l| l.is_empty() || !l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')) {
                return None;
            }
            labels
        }
        None => Vec::new(),
    };
    Some(Version { nums, pre })
}

fn label_cmp(a: &str, b: &str) -> Ordering {
    let na = a.bytes().all(|c| c.is_ascii_digit());
    let nb = b.bytes().all(|c| c.is_ascii_digit());
    match (na, nb) {
        (true, true) => a
            .trim_start_matches('0')
            .len()
            .cmp(&b.trim_start_matches('0').len())
            .then_with(|| a.trim_start_matches('0').cmp(b.trim_start_matches('0'))),
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => a.cmp(b),
    }
}

pub fn compare_versions(a: &Version, b: &Version) -> Ordering {
    a.nums.cmp(&b.nums).then_with(|| match (a.pre.is_empty(), b.pre.is_empty()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => a
            .pre
            .iter()
            .zip(&b.pre)
            .map(|(x, y)| label_cmp(x, y))
            .find(|o| *o != Ordering::Equal)
            .unwrap_or_else(|| a.pre.len().cmp(&b.pre.len())),
    })
}

pub fn compare(a: &str, b: &str) -> Ordering {
    crate::compare_parsed(a, b, parse, compare_versions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn known_orderings() {
        for (a, b, o) in [
            ("1.0", "1.0.0.0", Equal),
            ("1.0.0-beta", "1.0.0", Less),
            ("1.0.0-Beta.2", "1.0.0-beta.10", Less),
            ("1.0.0-alpha", "1.0.0-ALPHA", Equal),
            ("1.0.0.1", "1.0.0", Greater),
            ("13.0.1", "9.0.1", Greater),
            ("1.0.0+build", "1.0.0", Equal),
            ("1.0.0-1", "1.0.0-a", Less),
        ] {
            assert_eq!(compare(a, b), o, "{a} vs {b}");
        }
        assert!(parse("1").is_none());
        assert!(parse("1.2.3.4.5").is_none());
    }
}
