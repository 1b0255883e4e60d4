//! Thousands of generated version pairs compared by dredge and by the reference implementation on
//! this machine: `dpkg --compare-versions` and rpm's own `rpm.vercmp`.
#![allow(clippy::panic, clippy::unwrap_used)]

use dredge_version::{dpkg, rpm};
use std::cmp::Ordering;
use std::io::Write;
use std::process::Command;

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
    fn num(&mut self) -> String {
        let n = self.next() % 5;
        match n {
            0 => "0".into(),
            1 => format!("0{}", self.next() % 10),
            2 => format!("{}", self.next() % 10),
            3 => format!("{}", self.next() % 100),
            _ => format!("{}", self.next() % 100_000),
        }
    }
}

/// Versions that stress the edge cases: tildes, pluses, letters, leading zeros, epochs.
fn deb_version(r: &mut Rng) -> String {
    let mut s = String::new();
    if r.next().is_multiple_of(5) {
        s.push_str(&format!("{}:", r.next() % 3));
    }
    s.push_str(&r.num());
    for _ in 0..(r.next() % 4) {
        s.push_str(r.pick(&[".", ".", "+", "~", "a", "b", "~rc", "+dfsg", ".git", "~~", "z"]));
        if !r.next().is_multiple_of(3) {
            s.push_str(&r.num());
        }
    }
    if r.next().is_multiple_of(2) {
        s.push('-');
        s.push_str(&r.num());
        for _ in 0..(r.next() % 3) {
            s.push_str(r.pick(&["+deb12u", "ubuntu", ".", "~bpo", "+b", "build"]));
            s.push_str(&r.num());
        }
    }
    s
}

fn rpm_version(r: &mut Rng) -> String {
    let mut s = String::new();
    if r.next().is_multiple_of(5) {
        s.push_str(&format!("{}:", r.next() % 3));
    }
    s.push_str(&r.num());
    for _ in 0..(r.next() % 4) {
        s.push_str(r.pick(&[".", ".", "_", "~", "^", "a", "p", "rc", "git", "..", "+"]));
        if !r.next().is_multiple_of(3) {
            s.push_str(&r.num());
        }
    }
    if r.next().is_multiple_of(2) {
        s.push('-');
        s.push_str(&r.num());
        s.push_str(r.pick(&[".el8", ".el9_3", ".fc39", ".cm2", "", ".1", "~beta"]));
    }
    s
}

fn pairs(make: fn(&mut Rng) -> String, n: usize, seed: u64) -> Vec<(String, String)> {
    let mut r = Rng(seed);
    (0..n)
        .map(|i| {
            let a = make(&mut r);
            // Every few pairs, compare a version with a small change of itself.
            let b = if i % 4 == 0 { format!("{a}{}", r.pick(&["~", "0", ".0", "a", "-1", "+1"])) } else { make(&mut r) };
            (a, b)
        })
        .collect()
}

#[test]
fn dpkg_agrees_with_dpkg_compare_versions() {
    let mut mismatches = Vec::new();
    let all = pairs(deb_version, 3000, 0x9e37_79b9_7f4a_7c15);
    for (a, b) in &all {
        let lt = Command::new("dpkg").args(["--compare-versions", a, "lt", b]).status().expect("dpkg runs");
        let want = if lt.success() {
            Ordering::Less
        } else {
            let eq = Command::new("dpkg").args(["--compare-versions", a, "eq", b]).status().expect("dpkg runs");
            if eq.success() { Ordering::Equal } else { Ordering::Greater }
        };
        let got = dpkg::compare(a, b);
        if got != want {
            mismatches.push(format!("{a} vs {b}: dpkg {want:?}, dredge {got:?}"));
        }
    }
    assert!(mismatches.is_empty(), "{} of {} pairs differ:\n{}", mismatches.len(), all.len(), mismatches.join("\n"));
}

#[test]
fn rpm_agrees_with_rpm_vercmp() {
    let all = pairs(rpm_version, 5000, 0x2545_f491_4f6c_dd1d);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pairs.tsv");
    let mut f = std::fs::File::create(&file).unwrap();
    for (a, b) in &all {
        writeln!(f, "{a}\t{b}").unwrap();
    }
    drop(f);
    let lua = format!(
        "%{{lua: for line in io.lines('{}') do local a, b = line:match('([^\\t]*)\\t(.*)'); print(rpm.vercmp(a, b) .. ',') end}}",
        file.display()
    );
    let out = Command::new("rpm").arg("--eval").arg(lua).output().expect("rpm runs (apt-get install rpm)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let results: Vec<&str> = text.trim().trim_end_matches(',').split(',').collect();
    assert_eq!(results.len(), all.len(), "one answer per pair");
    let mut mismatches = Vec::new();
    for ((a, b), r) in all.iter().zip(results) {
        let want = match r.trim() {
            "-1" => Ordering::Less,
            "0" => Ordering::Equal,
            "1" => Ordering::Greater,
            other => panic!("rpm said {other:?} for {a} vs {b}"),
        };
        let got = rpm::compare_evr(a, b);
        if got != want {
            mismatches.push(format!("{a} vs {b}: rpm {want:?}, dredge {got:?}"));
        }
    }
    assert!(mismatches.is_empty(), "{} of {} pairs differ:\n{}", mismatches.len(), all.len(), mismatches.join("\n"));
}
