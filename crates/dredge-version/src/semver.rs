//! Semantic Versioning 2.0 (npm, crates.io, NuGet's SemVer 2, Go modules with their `v`):
//! `MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]`, build metadata ignored, a pre-release below its
//! release, numeric identifiers below alphanumeric ones. Strings that are not SemVer sort before
//! all valid ones, among themselves as text.

use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    pub pre: Vec<Ident>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ident {
    Num(u64),
    Alpha(String),
}

fn number(s: &str) -> Option<u64> {
    // No leading zeros in SemVer numbers.
    if s.is_empty() || (s.len() > 1 && s.starts_with('0')) || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Parses a version; a leading `v` or `=` is accepted (npm and Go write them).
pub fn parse(v: &str) -> Option<Version> {
    let v = v.trim();
    let v = v.strip_prefix('=').unwrap_or(v);
    let v = v.strip_prefix('v').unwrap_or(v);
    let (v, build) = match v.split_once('+') {
        Some((a, b)) => (a, Some(b)),
        None => (v, None),
    };
    if let Some(b) = build {
        if b.is_empty() || !b.split('.').all(|x| !x.is_empty() && x.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')) {
            return None;
        }
    }
    let (core, pre) = match v.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (v, None),
    };
    let mut it = core.split('.');
    let (major, minor, patch) = (number(it.next()?)?, number(it.next()?)?, number(it.next()?)?);
    if it.next().is_some() {
        return None;
    }
    let mut ids = Vec::new();
    if let Some(p) = pre {
        for x in p.split('.') {
            if x.is_empty() || !x.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-') {
                return None;
            }
            if x.bytes().all(|c| c.is_ascii_digit()) {
                ids.push(Ident::Num(number(x)?));
            } else {
                ids.push(Ident::Alpha(x.to_string()));
            }
        }
    }
    Some(Version { major, minor, patch, pre: ids })
}

pub fn compare_versions(a: &Version, b: &Version) -> Ordering {
    (a.major, a.minor, a.patch).cmp(&(b.major, b.minor, b.patch)).then_with(|| match (a.pre.is_empty(), b.pre.is_empty()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => {
            for (x, y) in a.pre.iter().zip(b.pre.iter()) {
                let o = match (x, y) {
                    (Ident::Num(p), Ident::Num(q)) => p.cmp(q),
                    (Ident::Alpha(p), Ident::Alpha(q)) => p.cmp(q),
                    (Ident::Num(_), Ident::Alpha(_)) => Ordering::Less,
                    (Ident::Alpha(_), Ident::Num(_)) => Ordering::Greater,
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
            a.pre.len().cmp(&b.pre.len())
        }
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
    fn spec_examples() {
        // The precedence example of semver.org, in order.
        let chain =
            ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0"];
        for w in chain.windows(2) {
            assert_eq!(compare(w[0], w[1]), Less, "{} < {}", w[0], w[1]);
        }
        assert_eq!(compare("1.0.0+build.1", "1.0.0"), Equal);
        // Go: `v` prefix, pseudo-versions are pre-releases of the next patch.
        assert_eq!(compare("v0.0.0-20191109021931-daa7c04131f5", "v0.0.0"), Less);
        assert_eq!(compare("v1.2.4-0.20200101000000-abcdef123456", "v1.2.3"), Greater);
        assert_eq!(compare("v2.0.0+incompatible", "v2.0.0"), Equal);
        assert!(parse("1.02.3").is_none());
        assert!(parse("1.2").is_none());
    }
}
