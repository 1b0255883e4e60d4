//! Version ordering, one module per scheme: dpkg, rpm, apk, PEP 440, Maven, SemVer (npm, crates,
//! Go), RubyGems, NuGet, Composer. Each `compare` is total (any two strings compare,
//! malformed ones included, without panicking) and tested differentially against the scheme's
//! reference implementation where the machine has one.

use std::cmp::Ordering;

pub mod apk;
pub mod composer;
pub mod dpkg;
pub mod maven;
pub mod nuget;
pub mod pep440;
pub mod rpm;
pub mod rubygems;
pub mod semver;

/// Orders two strings of a scheme with a parser: valid versions by `cmp`, strings the parser
/// rejects before every valid version and among themselves as text (a total order, never a panic).
pub(crate) fn compare_parsed<T>(a: &str, b: &str, parse: fn(&str) -> Option<T>, cmp: fn(&T, &T) -> Ordering) -> Ordering {
    match (parse(a), parse(b)) {
        (Some(x), Some(y)) => cmp(&x, &y),
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

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
    /// NuGet (SemVer 2 with a fourth number).
    NuGet,
    /// Composer (normalised, then PHP's `version_compare`).
    Composer,
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
            Scheme::NuGet => nuget::compare(a, b),
            Scheme::Composer => composer::compare(a, b),
        }
    }
}
