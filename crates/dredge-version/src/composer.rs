//! Composer (Packagist) versions: normalised as Composer's `VersionParser::normalize` does
//! (`v1.2` → `1.2.0.0`, `1.0-b2` → `1.0.0.0-beta2`, `-p1` → `-patch1`, a trailing `-dev`), then
//! ordered as PHP's `version_compare` (`dev` < `alpha` < `beta` < `RC` < numbers < `patch`).
//! Strings Composer rejects sort before every valid version.

use std::cmp::Ordering;

fn expand_stability(s: &str) -> Option<&'static str> {
    Some(match s.to_ascii_lowercase().as_str() {
        "a" | "alpha" => "alpha",
        "b" | "beta" => "beta",
        "p" | "pl" | "patch" => "patch",
        "rc" => "RC",
        "stable" => "stable",
        _ => return None,
    })
}

/// Reads `[._-]?(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?\d+)*)?([.-]?dev)?` from `rest`.
fn modifier(rest: &str) -> Option<String> {
    let mut r = rest;
    let mut out = String::new();
    if r.is_empty() {
        return Some(out);
    }
    let lower = r.to_ascii_lowercase();
    let sep_len = usize::from(lower.starts_with(['.', '_', '-']));
    let after_sep = &lower[sep_len..];
    let words = ["stable", "beta", "b", "rc", "alpha", "a", "patch", "pl", "p"];
    if let Some(w) = words.iter().find(|w| after_sep.starts_with(**w)) {
        r = &r[sep_len + w.len()..];
        let stab = expand_stability(w)?;
        // Digits, optionally separated by `.` or `-`.
        let mut num = String::new();
        loop {
            let b = r.as_bytes();
            let skip = usize::from(!b.is_empty() && (b[0] == b'.' || b[0] == b'-') && b.get(1).is_some_and(|c| c.is_ascii_digit()));
            let digits = r[skip..].bytes().take_while(|c| c.is_ascii_digit()).count();
            if digits == 0 {
                break;
            }
            num.push_str(&r[..skip + digits]);
            r = &r[skip + digits..];
        }
        if stab != "stable" {
            out.push('-');
            out.push_str(stab);
            out.push_str(num.trim_start_matches(['.', '-']));
        }
    } else if sep_len == 1 && after_sep == "dev" {
        return Some("-dev".into());
    }
    let lr = r.to_ascii_lowercase();
    match lr.as_str() {
        "" => Some(out),
        "dev" | ".dev" | "-dev" => Some(out + "-dev"),
        _ => None,
    }
}

/// Composer's normal form, or `None` for what Composer rejects (branch names are not ordered).
pub fn normalize(v: &str) -> Option<String> {
    let v = v.trim();
    let v = v.split_once('+').map_or(v, |(a, _)| a);
    let v = v.strip_prefix(['v', 'V']).unwrap_or(v);
    let b = v.as_bytes();
    let mut i = 0;
    let mut parts: Vec<&str> = Vec::new();
    while parts.len() < 4 {
        let start = i + usize::from(!parts.is_empty());
        if !parts.is_empty() && b.get(i) != Some(&b'.') {
            break;
        }
        let n = b.get(start..).map_or(0, |s| s.iter().take_while(|c| c.is_ascii_digit()).count());
        if n == 0 {
            break;
        }
        if parts.is_empty() && n > 5 {
            return None;
        }
        parts.push(&v[start..start + n]);
        i = start + n;
    }
    if parts.is_empty() {
        return None;
    }
    let mut out = parts.join(".");
    for _ in parts.len()..4 {
        out.push_str(".0");
    }
    Some(out + &modifier(&v[i..])?)
}

/// PHP's `version_compare` canonical form: `-`, `_`, `+` become `.`, and a `.` goes between
/// digits and non-digits.
fn canonical(v: &str) -> String {
    let mut out = String::new();
    let mut chars = v.chars();
    // The first character is copied as it is (PHP does; `#N#` keeps its `#`).
    let mut last: Option<char> = chars.next();
    if let Some(c) = last {
        out.push(c);
    }
    for c in chars {
        let isdig = |x: char| x.is_ascii_digit();
        let isndig = |x: char| !x.is_ascii_digit() && x != '.';
        if matches!(c, '-' | '_' | '+') {
            if !out.ends_with('.') {
                out.push('.');
            }
        } else if last.is_some_and(|l| (isndig(l) && isdig(c)) || (isdig(l) && isndig(c))) {
            if !out.ends_with('.') {
                out.push('.');
            }
            out.push(c);
        } else if !c.is_ascii_alphanumeric() && c != '.' {
            if !out.ends_with('.') {
                out.push('.');
            }
        } else {
            out.push(c);
        }
        last = Some(c);
    }
    out
}

fn special(form: &str) -> i32 {
    const FORMS: [(&str, i32); 10] =
        [("dev", 0), ("alpha", 1), ("a", 1), ("beta", 2), ("b", 2), ("RC", 3), ("rc", 3), ("#", 4), ("pl", 5), ("p", 5)];
    FORMS.iter().find(|(name, _)| form.starts_with(name)).map_or(-1, |(_, o)| *o)
}

fn part_cmp(p1: &str, p2: &str) -> Ordering {
    let d1 = p1.starts_with(|c: char| c.is_ascii_digit());
    let d2 = p2.starts_with(|c: char| c.is_ascii_digit());
    match (d1, d2) {
        (true, true) => {
            let (a, b) = (p1.trim_start_matches('0'), p2.trim_start_matches('0'));
            let (a, b) =
                (a.split(|c: char| !c.is_ascii_digit()).next().unwrap_or(""), b.split(|c: char| !c.is_ascii_digit()).next().unwrap_or(""));
            a.len().cmp(&b.len()).then_with(|| a.cmp(b))
        }
        (false, false) => special(p1).cmp(&special(p2)),
        (true, false) => special("#N#").cmp(&special(p2)),
        (false, true) => special(p1).cmp(&special("#N#")),
    }
}

/// PHP's `version_compare` on two strings.
pub fn php_version_compare(a: &str, b: &str) -> Ordering {
    if a.is_empty() || b.is_empty() {
        return (!a.is_empty()).cmp(&!b.is_empty());
    }
    let (ca, cb) = (canonical(a), canonical(b));
    let pa: Vec<&str> = ca.split('.').collect();
    let pb: Vec<&str> = cb.split('.').collect();
    let n = pa.len().min(pb.len());
    for i in 0..n {
        let o = part_cmp(pa[i], pb[i]);
        if o != Ordering::Equal {
            return o;
        }
    }
    if pa.len() > n {
        let rest = pa[n..].join(".");
        if rest.starts_with(|c: char| c.is_ascii_digit()) { Ordering::Greater } else { php_version_compare(&rest, "#N#") }
    } else if pb.len() > n {
        let rest = pb[n..].join(".");
        if rest.starts_with(|c: char| c.is_ascii_digit()) { Ordering::Less } else { php_version_compare("#N#", &rest) }
    } else {
        Ordering::Equal
    }
}

pub fn compare(a: &str, b: &str) -> Ordering {
    crate::compare_parsed(a, b, normalize, |x, y| php_version_compare(x, y))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn normal_forms() {
        assert_eq!(normalize("v1.2").as_deref(), Some("1.2.0.0"));
        assert_eq!(normalize("1.0.0-beta2").as_deref(), Some("1.0.0.0-beta2"));
        assert_eq!(normalize("1.0-b.2").as_deref(), Some("1.0.0.0-beta2"));
        assert_eq!(normalize("1.0.0-p1").as_deref(), Some("1.0.0.0-patch1"));
        assert_eq!(normalize("1.0.0-RC1-dev").as_deref(), Some("1.0.0.0-RC1-dev"));
        assert_eq!(normalize("2.0.0-stable").as_deref(), Some("2.0.0.0"));
        assert_eq!(normalize("dev-master"), None);
        assert_eq!(normalize("1.0.0-foo"), None);
    }

    #[test]
    fn known_orderings() {
        for (a, b, o) in [
            ("1.0.0", "1.0.0.0", Equal),
            ("1.0.0-beta1", "1.0.0", Less),
            ("1.0.0-RC1", "1.0.0-beta3", Greater),
            ("1.0.0-p1", "1.0.0", Greater),
            ("1.0.0-dev", "1.0.0-alpha1", Less),
            ("1.10.0", "1.9.9", Greater),
        ] {
            assert_eq!(compare(a, b), o, "{a} vs {b}");
        }
    }
}
