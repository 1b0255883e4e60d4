//! Version ordering, one module per scheme: dpkg, rpm, apk, PEP 440, Maven, SemVer (npm, crates,
//! Go), RubyGems. Each `compare` is total (any two strings compare,
//! malformed ones included, without panicking) and tested differentially against the scheme's
//! reference implementation where the machine has one.

use std::cmp::Ordering;

pub mod apk;
pub mod dpkg;
pub mod maven;
pub mod pep440;
pub mod rpm;
pub mod rubygems;
pub mod semver;

/// A version scheme dredge can order versions of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Dpkg,
    Rpm,
    Apk,
    /// Python (PEP 440).
    Pep440,
    /// Maven (`ComparableVersion`).
    Maven,
    /// SemVer 2 (npm, crates.io; Go modules with their `v` prefix and pseudo-versions).
    SemVer,
    /// RubyGems (`Gem::Version`).
    RubyGems,
}

impl Scheme {
    pub fn compare(self, a: &str, b: &str) -> Ordering {
        match self {
            Scheme::Dpkg => dpkg::compare(a, b),
            Scheme::Rpm => rpm::compare_evr(a, b),
            Scheme::Apk => apk::compare(a, b),
            Scheme::Pep440 => pep440::compare(a, b),
            Scheme::Maven => maven::compare(a, b),
            Scheme::SemVer => semver::compare(a, b),
            Scheme::RubyGems => rubygems::compare(a, b),
        }
    }
}
