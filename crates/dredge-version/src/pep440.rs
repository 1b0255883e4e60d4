//! Python versions (PEP 440): `[N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]`, with the spelling
//! variants PEP 440 normalises (`alpha`, `-1` for post, `v` prefix, `_`/`-` separators), ordered
//! as the `packaging` library orders them. Strings that are not PEP 440 versions sort before all
//! valid ones, among themselves as text.

use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    epoch: u64,
    release: Vec<u64>,
    /// (0 = a, 1 = b, 2 = rc, number)
    pre: Option<(u8, u64)>,
    post: Option<u64>,
    dev: Option<u64>,
    local: Vec<Local>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Local {
    Num(u64),
    Str(String),
}

/// Reads a run of digits (an empty run is 0, as PEP 440's implicit numbers are).
fn num(s: &[u8], i: &mut usize) -> u64 {
    let mut v: u64 = 0;
    while *i < s.len() && s[*i].is_ascii_digit() {
        v = v.saturating_mul(10).saturating_add((s[*i] - b'0') as u64);
        *i += 1;
    }
    v
}

fn sep(s: &[u8], i: &mut usize) {
    if *i < s.len() && matches!(s[*i], b'.' | b'-' | b'_') {
        *i += 1;
    }
}

fn word(s: &[u8], i: usize, words: &[&str]) -> Option<usize> {
    words.iter().find(|w| s[i..].starts_with(w.as_bytes())).map(|w| w.len())
}

pub fn parse(v: &str) -> Option<Version> {
    let lower = v.trim().to_ascii_lowercase();
    let s = lower.strip_prefix('v').unwrap_or(&lower).as_bytes();
    let mut i = 0;
    if s.is_empty() || !s[0].is_ascii_digit() {
        return None;
    }
    let mut epoch = 0;
    let first = num(s, &mut i);
    let mut release = vec![first];
    if i < s.len() && s[i] == b'!' {
        i += 1;
        epoch = first;
        if i >= s.len() || !s[i].is_ascii_digit() {
            return None;
        }
        release = vec![num(s, &mut i)];
    }
    while i + 1 < s.len() && s[i] == b'.' && s[i + 1].is_ascii_digit() {
        i += 1;
        release.push(num(s, &mut i));
    }
    let mut pre = None;
    let mut post = None;
    let mut dev = None;
    // pre-release
    let mut j = i;
    sep(s, &mut j);
    let pres: [(&[&str], u8); 3] = [(&["alpha", "a"], 0), (&["beta", "b"], 1), (&["preview", "pre", "rc", "c"], 2)];
    for (words, kind) in pres {
        if let Some(n) = word(s, j, words) {
            let mut k = j + n;
            sep(s, &mut k);
            pre = Some((kind, num(s, &mut k)));
            i = k;
            break;
        }
    }
    // post-release: `.post1`, `-1`, `rev1`, `r1`
    let mut j = i;
    if j < s.len() && s[j] == b'-' && j + 1 < s.len() && s[j + 1].is_ascii_digit() {
        j += 1;
        post = Some(num(s, &mut j));
        i = j;
    } else {
        sep(s, &mut j);
        if let Some(n) = word(s, j, &["post", "rev", "r"]) {
            let mut k = j + n;
            sep(s, &mut k);
            post = Some(num(s, &mut k));
            i = k;
        }
    }
    let mut j = i;
    sep(s, &mut j);
    if let Some(n) = word(s, j, &["dev"]) {
        let mut k = j + n;
        sep(s, &mut k);
        dev = Some(num(s, &mut k));
        i = k;
    }
    let mut local = Vec::new();
    if i < s.len() && s[i] == b'+' {
        let rest = std::str::from_utf8(&s[i + 1..]).ok()?;
        if rest.is_empty() {
            return None;
        }
        for seg in rest.split(['.', '-', '_']) {
            if seg.is_empty() || !seg.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return None;
            }
            local.push(match seg.parse::<u64>() {
                Ok(n) if seg.bytes().all(|b| b.is_ascii_digit()) => Local::Num(n),
                _ => Local::Str(seg.to_string()),
            });
        }
        i = s.len();
    }
    if i != s.len() {
        return None;
    }
    Some(Version { epoch, release, pre, post, dev, local })
}

fn cmp_release(a: &[u64], b: &[u64]) -> Ordering {
    let trim = |r: &[u64]| r.len() - r.iter().rev().take_while(|&&x| x == 0).count();
    let (a, b) = (&a[..trim(a)], &b[..trim(b)]);
    a.cmp(b)
}

/// `packaging`'s sort key for the pre/post/dev parts, as comparable integers.
fn pre_key(v: &Version) -> (i8, u8, u64) {
    match (v.pre, v.post, v.dev) {
        (None, None, Some(_)) => (-1, 0, 0), // 1.0.dev0 sorts before 1.0a0
        (None, _, _) => (1, 0, 0),
        (Some((k, n)), _, _) => (0, k, n),
    }
}

fn cmp_local(a: &[Local], b: &[Local]) -> Ordering {
    for (x, y) in a.iter().zip(b.iter()) {
        let o = match (x, y) {
            (Local::Num(p), Local::Num(q)) => p.cmp(q),
            (Local::Str(p), Local::Str(q)) => p.cmp(q),
            (Local::Str(_), Local::Num(_)) => Ordering::Less,
            (Local::Num(_), Local::Str(_)) => Ordering::Greater,
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    a.len().cmp(&b.len())
}

pub fn compare_versions(a: &Version, b: &Version) -> Ordering {
    a.epoch
        .cmp(&b.epoch)
        .then_with(|| cmp_release(&a.release, &b.release))
        .then_with(|| pre_key(a).cmp(&pre_key(b)))
        .then_with(|| match (a.post, b.post) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(x), Some(y)) => x.cmp(&y),
        })
        .then_with(|| match (a.dev, b.dev) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(x), Some(y)) => x.cmp(&y),
        })
        .then_with(|| cmp_local(&a.local, &b.local))
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
            ("1.0", "1.0.0", Equal),
            ("1.0.dev1", "1.0a1", Less),
            ("1.0a1", "1.0b1", Less),
            ("1.0rc1", "1.0", Less),
            ("1.0", "1.0.post1", Less),
            ("1.0.post1.dev1", "1.0.post1", Less),
            ("1.0+abc", "1.0+1", Less),
            ("1.0", "1.0+local", Less),
            ("1!0.1", "2.0", Greater),
            ("1.0-1", "1.0.post1", Equal),
            ("1.0alpha1", "1.0a1", Equal),
            ("v1.2", "1.2", Equal),
        ] {
            assert_eq!(compare(a, b), o, "{a} vs {b}");
        }
        assert!(parse("not a version").is_none());
        assert!(parse("1.0+").is_none());
    }
}
