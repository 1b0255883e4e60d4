//! Thousands of generated version pairs compared by dredge and by the reference implementation on
//! this machine: `dpkg --compare-versions` and rpm's own `rpm.vercmp`.
#![allow(clippy::panic, clippy::unwrap_used)]

use dredge_version::{composer, dpkg, maven, pep440, rpm, rubygems, semver};
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

fn py_version(r: &mut Rng) -> String {
    let mut s = String::new();
    if r.next().is_multiple_of(8) {
        s.push_str(&format!("{}!", r.next() % 3));
    }
    if r.next().is_multiple_of(10) {
        s.push('v');
    }
    let parts = 1 + r.next() % 4;
    let nums: Vec<String> =
        (0..parts).map(|_| r.num().trim_start_matches('0').to_string()).map(|x| if x.is_empty() { "0".into() } else { x }).collect();
    s.push_str(&nums.join("."));
    if r.next().is_multiple_of(3) {
        s.push_str(r.pick(&["a", "b", "rc", "alpha", "beta", "c", "pre", "preview", ".a", "-rc", "_b"]));
        if !r.next().is_multiple_of(4) {
            s.push_str(&format!("{}", r.next() % 12));
        }
    }
    if r.next().is_multiple_of(4) {
        s.push_str(r.pick(&[".post", "post", "-", ".rev", "-post"]));
        s.push_str(&format!("{}", r.next() % 5));
    }
    if r.next().is_multiple_of(4) {
        s.push_str(r.pick(&[".dev", "dev", "-dev"]));
        if !r.next().is_multiple_of(3) {
            s.push_str(&format!("{}", r.next() % 5));
        }
    }
    if r.next().is_multiple_of(6) {
        s.push('+');
        s.push_str(r.pick(&["local", "1", "abc.2", "ubuntu-1", "7.x", "0"]));
    }
    s
}

#[test]
fn pep440_agrees_with_python_packaging() {
    let all = pairs(py_version, 5000, 0x1234_5678_9abc_def1);
    let script = "import sys\nfrom packaging.version import Version, InvalidVersion\nfor line in sys.stdin:\n    a, b = line.rstrip('\\n').split('\\t')\n    try:\n        x, y = Version(a), Version(b)\n        print(-1 if x < y else (1 if x > y else 0))\n    except InvalidVersion:\n        print('invalid')\n";
    let valid = against("python3", &["-c", script], &[], &all, |a, b| {
        // Both must also parse as PEP 440 for us, or the orderings cannot agree by accident.
        assert!(pep440::parse(a).is_some() && pep440::parse(b).is_some(), "{a} / {b} should parse");
        pep440::compare(a, b)
    });
    assert!(valid > 4000, "most generated pairs are valid PEP 440 ({valid})");
}

fn maven_version(r: &mut Rng) -> String {
    let mut s = r.num();
    for _ in 0..(r.next() % 5) {
        s.push_str(r.pick(&[".", ".", "-", "-", ""]));
        if r.next().is_multiple_of(2) {
            s.push_str(&r.num());
        } else {
            s.push_str(r.pick(&[
                "alpha",
                "a",
                "beta",
                "b",
                "m",
                "milestone",
                "rc",
                "cr",
                "SNAPSHOT",
                "ga",
                "final",
                "Final",
                "release",
                "sp",
                "foo",
                "jre",
                "RELEASE",
                "M",
            ]));
        }
    }
    s
}

#[test]
fn maven_agrees_with_comparable_version() {
    let all = pairs(maven_version, 5000, 0x0dd_ba11_cafe_f00d);
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("Cmp.java");
    std::fs::write(
        &src,
        "import org.apache.maven.artifact.versioning.ComparableVersion;\nimport java.io.*;\npublic class Cmp { public static void main(String[] a) throws Exception {\n  BufferedReader r = new BufferedReader(new InputStreamReader(System.in)); String l; StringBuilder sb = new StringBuilder();\n  while ((l = r.readLine()) != null) { String[] p = l.split(\"\\t\", -1); int c = new ComparableVersion(p[0]).compareTo(new ComparableVersion(p[1])); sb.append(c < 0 ? -1 : (c > 0 ? 1 : 0)).append('\\n'); }\n  System.out.print(sb); } }\n",
    )
    .unwrap();
    let jar = std::fs::read_dir("/usr/share/maven/lib")
        .expect("Maven's libraries (Debian package maven)")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("maven-artifact")))
        .expect("maven-artifact jar");
    let valid = against("java", &["-cp", jar.to_str().unwrap(), src.to_str().unwrap()], &[], &all, maven::compare);
    assert_eq!(valid, all.len(), "every string is a Maven version");
}

/// Runs a reference implementation that reads `a\tb` lines and prints -1/0/1 or `invalid`, and
/// compares its answers with ours. Returns the number of valid pairs checked.
fn against(program: &str, args: &[&str], env: &[(&str, &str)], all: &[(String, String)], ours: fn(&str, &str) -> Ordering) -> usize {
    let mut c = Command::new(program);
    c.args(args).stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped());
    for (k, v) in env {
        c.env(k, v);
    }
    let mut child = c.spawn().unwrap_or_else(|e| panic!("{program}: {e} (.ci/setup installs it)"));
    {
        let mut stdin = child.stdin.take().unwrap();
        for (a, b) in all {
            writeln!(stdin, "{a}\t{b}").unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let answers: Vec<&str> = text.lines().collect();
    assert_eq!(answers.len(), all.len());
    let mut mismatches = Vec::new();
    let mut valid = 0;
    for ((a, b), ans) in all.iter().zip(answers) {
        let want = match ans.trim() {
            "invalid" => continue,
            "-1" => Ordering::Less,
            "0" => Ordering::Equal,
            _ => Ordering::Greater,
        };
        valid += 1;
        let got = ours(a, b);
        if got != want {
            mismatches.push(format!("{a} vs {b}: {program} {want:?}, dredge {got:?}"));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {valid} pairs differ:\n{}",
        mismatches.len(),
        mismatches.iter().take(30).cloned().collect::<Vec<_>>().join("\n")
    );
    valid
}

fn semver_version(r: &mut Rng) -> String {
    let n = |r: &mut Rng| (r.next() % 12).to_string();
    let mut s = format!("{}{}.{}.{}", r.pick(&["", "", "", "v"]), n(r), n(r), n(r));
    if r.next().is_multiple_of(2) {
        s.push('-');
        let k = 1 + r.next() % 3;
        let ids: Vec<String> = (0..k)
            .map(|_| r.pick(&["alpha", "beta", "rc", "0", "1", "2", "11", "x-y", "20191109021931", "daa7c04131f5", "a1"]).to_string())
            .collect();
        s.push_str(&ids.join("."));
    }
    if r.next().is_multiple_of(5) {
        s.push_str(r.pick(&["+build.1", "+incompatible", "+sha.5114f85"]));
    }
    s
}

#[test]
fn semver_agrees_with_node_semver() {
    let all = pairs(semver_version, 5000, 0x5e3e_5e3e_1234_0001);
    let js = "const s=require('semver');const rl=require('readline').createInterface({input:process.stdin});const out=[];rl.on('line',l=>{const [a,b]=l.split('\\t');out.push(s.valid(a)&&s.valid(b)?String(s.compare(a,b)):'invalid')});rl.on('close',()=>process.stdout.write(out.join('\\n')+'\\n'));";
    let valid = against("node", &["-e", js], &[("NODE_PATH", "/usr/share/nodejs")], &all, semver::compare);
    assert!(valid > 4000, "{valid}");
}

fn gem_version(r: &mut Rng) -> String {
    let mut s = r.num();
    for _ in 0..(r.next() % 4) {
        s.push('.');
        if r.next().is_multiple_of(3) {
            s.push_str(r.pick(&["a", "b", "rc", "pre", "beta", "alpha", "rc1", "b2"]));
        } else {
            s.push_str(&r.num());
        }
    }
    if r.next().is_multiple_of(6) {
        s.push('-');
        s.push_str(r.pick(&["rc1", "beta.2", "1", "pre"]));
    }
    s
}

#[test]
fn rubygems_agrees_with_gem_version() {
    let all = pairs(gem_version, 5000, 0x6e6d_0000_beef_0002);
    let rb = "STDIN.each_line { |l| a, b = l.chomp.split(\"\\t\", -1); if Gem::Version.correct?(a) && Gem::Version.correct?(b) then puts(Gem::Version.new(a) <=> Gem::Version.new(b)) else puts 'invalid' end }";
    let valid = against("ruby", &["-e", rb], &[], &all, rubygems::compare);
    assert!(valid > 4000, "{valid}");
}

fn composer_version(r: &mut Rng) -> String {
    let mut s = String::from(r.pick(&["", "", "", "v"]));
    let parts = 1 + r.next() % 4;
    s.push_str(&(0..parts).map(|_| (r.next() % 15).to_string()).collect::<Vec<_>>().join("."));
    if r.next().is_multiple_of(2) {
        s.push_str(r.pick(&["-", ".", "", "_"]));
        s.push_str(r.pick(&["alpha", "a", "beta", "b", "RC", "rc", "p", "pl", "patch", "stable", "dev", "foo"]));
        if r.next().is_multiple_of(2) {
            s.push_str(r.pick(&["", ".", "-"]));
            s.push_str(&(r.next() % 12).to_string());
        }
        if r.next().is_multiple_of(5) {
            s.push_str("-dev");
        }
    }
    s
}

#[test]
fn composer_agrees_with_composer_semver_and_php() {
    let all = pairs(composer_version, 5000, 0xc0de_c0de_5eed_0003);
    let php = r#"require "/usr/share/php/Composer/Semver/autoload.php"; $p = new Composer\Semver\VersionParser;
while (($l = fgets(STDIN)) !== false) { [$a, $b] = explode("\t", rtrim($l, "\n"));
  try { $x = $p->normalize($a); $y = $p->normalize($b); echo version_compare($x, $y), "\n"; } catch (\Exception $e) { echo "invalid\n"; } }"#;
    let valid = against("php", &["-r", php], &[], &all, |a, b| {
        assert!(composer::normalize(a).is_some() && composer::normalize(b).is_some(), "{a} / {b} should normalise");
        composer::compare(a, b)
    });
    assert!(valid > 2500, "{valid}");
}
