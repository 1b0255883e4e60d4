//! Alpine (apk) versions: `1.2.3a_rc1_p2-r4`, ordered by apk-tools' token rules: numbers, a
//! letter, suffixes (`_alpha`, `_beta`, `_pre`, `_rc` before the release; `_cvs`, `_svn`, `_git`,
//! `_hg`, `_p` after), then the `-rN` revision.

use std::cmp::Ordering;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Tok {
    Invalid = -1,
    DigitOrZero = 0,
    Digit,
    Letter,
    Suffix,
    SuffixNo,
    RevisionNo,
    End,
}

const PRE: [&str; 4] = ["alpha", "beta", "pre", "rc"];
const POST: [&str; 5] = ["cvs", "svn", "git", "hg", "p"];

struct Cursor<'a> {
    s: &'a [u8],
    t: Tok,
}

impl Cursor<'_> {
    fn next_token(&mut self) {
        let mut n = Tok::Invalid;
        match self.s.first() {
            None | Some(0) => n = Tok::End,
            Some(&c) if matches!(self.t, Tok::Digit | Tok::DigitOrZero) && c.is_ascii_lowercase() => n = Tok::Letter,
            Some(&c) if self.t == Tok::Letter && c.is_ascii_digit() => n = Tok::Digit,
            Some(&c) if self.t == Tok::Suffix && c.is_ascii_digit() => n = Tok::SuffixNo,
            Some(&c) => {
                match c {
                    b'.' => n = Tok::DigitOrZero,
                    b'_' => n = Tok::Suffix,
                    b'-' if self.s.get(1) == Some(&b'r') => {
                        n = Tok::RevisionNo;
                        self.s = &self.s[1..];
                    }
                    _ => {}
                }
                self.s = &self.s[1..];
            }
        }
        if n < self.t
            && !((n == Tok::DigitOrZero && self.t == Tok::Digit)
                || (n == Tok::Suffix && self.t == Tok::SuffixNo)
                || (n == Tok::Digit && self.t == Tok::Letter))
        {
            n = Tok::Invalid;
        }
        self.t = n;
    }

    fn get_token(&mut self) -> i64 {
        if self.s.is_empty() {
            self.t = Tok::End;
            return 0;
        }
        let mut i = 0;
        let v: i64;
        let mut nt = Tok::Invalid;
        let digits = |s: &[u8], i: &mut usize| {
            let mut v: i64 = 0;
            while *i < s.len() && s[*i].is_ascii_digit() {
                v = v.saturating_mul(10).saturating_add((s[*i] - b'0') as i64);
                *i += 1;
            }
            v
        };
        match self.t {
            Tok::DigitOrZero if self.s[0] == b'0' => {
                // Leading zeros: "1.01" sorts before "1.1".
                while i < self.s.len() && self.s[i] == b'0' {
                    i += 1;
                }
                nt = Tok::Digit;
                v = -(i as i64);
            }
            Tok::DigitOrZero | Tok::Digit | Tok::SuffixNo | Tok::RevisionNo => v = digits(self.s, &mut i),
            Tok::Letter => {
                v = self.s[0] as i64;
                i = 1;
            }
            Tok::Suffix => {
                if let Some(k) = PRE.iter().position(|p| self.s.starts_with(p.as_bytes())) {
                    i = PRE[k].len();
                    v = k as i64 - PRE.len() as i64;
                } else if let Some(k) = POST.iter().position(|p| self.s.starts_with(p.as_bytes())) {
                    i = POST[k].len();
                    v = k as i64;
                } else {
                    self.t = Tok::Invalid;
                    return -1;
                }
            }
            _ => {
                self.t = Tok::Invalid;
                return -1;
            }
        }
        self.s = &self.s[i..];
        if self.s.is_empty() {
            self.t = Tok::End;
        } else if nt != Tok::Invalid {
            self.t = nt;
        } else {
            self.next_token();
        }
        v
    }
}

pub fn compare(a: &str, b: &str) -> Ordering {
    let mut ca = Cursor { s: a.trim().as_bytes(), t: Tok::Digit };
    let mut cb = Cursor { s: b.trim().as_bytes(), t: Tok::Digit };
    let (mut av, mut bv) = (0i64, 0i64);
    while ca.t == cb.t && ca.t != Tok::End && ca.t != Tok::Invalid && av == bv {
        av = ca.get_token();
        bv = cb.get_token();
    }
    if av != bv {
        return av.cmp(&bv);
    }
    if ca.t == cb.t {
        return Ordering::Equal;
    }
    // Equal so far: the longer version is newer, unless what follows is a pre-release suffix.
    if ca.t == Tok::Suffix {
        let mut t = Cursor { s: ca.s, t: ca.t };
        if t.get_token() < 0 {
            return Ordering::Less;
        }
    }
    if cb.t == Tok::Suffix {
        let mut t = Cursor { s: cb.s, t: cb.t };
        if t.get_token() < 0 {
            return Ordering::Greater;
        }
    }
    if ca.t > cb.t {
        Ordering::Less
    } else if cb.t > ca.t {
        Ordering::Greater
    } else {
        Ordering::Equal
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn known_orderings() {
        for (a, b, o) in [
            ("1.2.3", "1.2.3", Equal),
            ("1.2.3-r0", "1.2.3-r1", Less),
            ("1.2.3", "1.2.3-r1", Less),
            ("1.2.3_rc1", "1.2.3", Less),
            ("1.2.3_p1", "1.2.3", Greater),
            ("1.2.3a", "1.2.3", Greater),
            ("1.2.3a", "1.2.3b", Less),
            ("1.1.1g-r0", "1.1.1k-r0", Less),
            ("1.01", "1.1", Less),
            ("1.10", "1.9", Greater),
            ("1.2_alpha", "1.2_beta", Less),
            ("1.2_rc1", "1.2_rc2", Less),
            ("2.10.3-r1", "2.10.4-r0", Less),
            ("1.36.1-r29", "1.36.1-r30", Less),
        ] {
            assert_eq!(compare(a, b), o, "{a} vs {b}");
            assert_eq!(compare(b, a), o.reverse(), "{b} vs {a}");
        }
    }

    #[test]
    fn garbage_does_not_panic() {
        for s in ["", "-", "-r", "_", "_x", "1..2", "a", "1-r", "9999999999999999999999999", "1_rc_rc", "\0"] {
            let _ = compare(s, "1.0");
            let _ = compare("1.0", s);
        }
    }
}
