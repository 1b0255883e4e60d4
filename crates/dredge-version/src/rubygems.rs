//! RubyGems versions, ordered as `Gem::Version#<=>`: `-` means `.pre.`, segments are runs of
//! digits or letters, a letter segment marks a pre-release (below numbers), trailing zeros of the
//! numeric and of the pre-release part do not count.

use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Num(String),
    Str(String),
}

/// `Gem::Version.correct?`: digits, then `.`-separated alphanumerics, optionally a `-` part.
pub fn valid(v: &str) -> bool {
    let v = v.trim();
    if v.is_empty() {
        return true;
    }
    let (main, pre) = match v.split_once('-') {
        Some((m, p)) => (m, Some(p)),
        None => (v, None),
    };
    let mut parts = main.split('.');
    let first_ok = parts.next().is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    first_ok
        && parts.all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric()))
        && pre.is_none_or(|p| p.split('.').all(|x| !x.is_empty() && x.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')))
}

fn segments(v: &str) -> Vec<Seg> {
    let prepared = v.trim().replace('-', ".pre.");
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut kind: Option<bool> = None; // Some(true) digits, Some(false) letters
    for c in prepared.chars() {
        let k = if c.is_ascii_digit() {
            Some(true)
        } else if c.is_ascii_alphabetic() {
            Some(false)
        } else {
            None
        };
        if k != kind || k.is_none() {
            if let Some(d) = kind {
                out.push(if d { Seg::Num(cur.trim_start_matches('0').to_string()) } else { Seg::Str(cur.clone()) });
            }
            cur.clear();
        }
        if k.is_some() {
            cur.push(c);
        }
        kind = k;
    }
    if let Some(d) = kind {
        out.push(if d { Seg::Num(cur.trim_start_matches('0').to_string()) } else { Seg::Str(cur) });
    }
    out
}

/// The numeric part and the rest, each without trailing zeros.
fn canonical(v: &str) -> Vec<Seg> {
    let segs = segments(v);
    let split = segs.iter().position(|s| matches!(s, Seg::Str(_))).unwrap_or(segs.len());
    let (num, rest) = segs.split_at(split);
    let trim = |s: &[Seg]| -> Vec<Seg> {
        let mut v = s.to_vec();
        while v.last().is_some_and(|x| *x == Seg::Num(String::new())) {
            v.pop();
        }
        v
    };
    let mut out = trim(num);
    out.extend(trim(rest));
    out
}

pub fn compare(a: &str, b: &str) -> Ordering {
    match (valid(a), valid(b)) {
        (false, true) => return Ordering::Less,
        (true, false) => return Ordering::Greater,
        (false, false) => return a.cmp(b),
        _ => {}
    }
    let (l, r) = (canonical(a), canonical(b));
    let zero = Seg::Num(String::new());
    for i in 0..l.len().max(r.len()) {
        let (x, y) = (l.get(i).unwrap_or(&zero), r.get(i).unwrap_or(&zero));
        let o = match (x, y) {
            (Seg::Num(p), Seg::Num(q)) => p.len().cmp(&q.len()).then_with(|| p.cmp(q)),
            (Seg::Str(p), Seg::Str(q)) => p.cmp(q),
            (Seg::Str(_), Seg::Num(_)) => Ordering::Less,
            (Seg::Num(_), Seg::Str(_)) => Ordering::Greater,
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn known_orderings() {
        for (a, b, o) in [
            ("1.0", "1.0.0", Equal),
            ("1.0.a", "1.0", Less),
            ("1.0.0.rc1", "1.0.0", Less),
            ("1.0.0-rc1", "1.0.0.pre.rc1", Equal),
            ("2.0.0.b", "2.0.0.a", Greater),
            ("1.10", "1.9", Greater),
            ("1.0.0.1", "1.0.0", Greater),
        ] {
            assert_eq!(compare(a, b), o, "{a} vs {b}");
        }
        assert!(!valid("a.1"));
        assert!(!valid("1..2"));
    }
}
