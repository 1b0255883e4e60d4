//! apk: `lib/apk/db/installed`, one record per package (`P:` name, `V:` version, `F:`/`R:` files).

use dredge_layer::{ExtractError, Extractor, Pattern};
use dredge_model::{Ecosystem, Fact, Package, SourcePackage};

pub struct Apk;

fn finish(cur: &mut Option<Package>, dir: &mut String, out: &mut Vec<Fact>) {
    if let Some(mut p) = cur.take() {
        if !p.name.is_empty() && !p.version.is_empty() {
            p.files.sort();
            out.push(Fact::Package(Box::new(p)));
        }
    }
    dir.clear();
}

impl Extractor for Apk {
    fn name(&self) -> &'static str {
        "os/apk"
    }
    fn version(&self) -> u32 {
        1
    }
    fn patterns(&self) -> &'static [Pattern] {
        &[Pattern::Exact("lib/apk/db/installed")]
    }
    fn extract(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, ExtractError> {
        let text = String::from_utf8_lossy(data);
        let mut out = Vec::new();
        let mut cur: Option<Package> = None;
        let mut dir = String::new();
        let mut saw_field = false;
        for line in text.lines() {
            if line.is_empty() {
                finish(&mut cur, &mut dir, &mut out);
                continue;
            }
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            if k.len() != 1 {
                continue;
            }
            saw_field = true;
            let p = cur.get_or_insert_with(|| Package::new(Ecosystem::Apk, "", ""));
            match k {
                "P" => p.name = v.to_string(),
                "V" => p.version = v.to_string(),
                "A" => p.arch = Some(v.to_string()),
                "L" => p.license = Some(v.to_string()).filter(|s| !s.is_empty()),
                "m" => p.maintainer = Some(v.to_string()),
                "o" => p.source = Some(SourcePackage { name: v.to_string(), version: None }),
                "F" => dir = v.to_string(),
                "R" => p.files.push(if dir.is_empty() { format!("/{v}") } else { format!("/{dir}/{v}") }),
                _ => {}
            }
        }
        finish(&mut cur, &mut dir, &mut out);
        if !saw_field && !text.trim().is_empty() {
            return Err(ExtractError::new("no `X:value` records: not an apk installed database"));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_with_files() {
        let db = "C:Q1abc\nP:musl\nV:1.2.5-r0\nA:x86_64\nL:MIT\no:musl\nF:lib\nR:ld-musl-x86_64.so.1\nR:libc.musl-x86_64.so.1\n\nP:busybox\nV:1.36.1-r29\nF:bin\nR:busybox\n";
        let f = Apk.extract("lib/apk/db/installed", db.as_bytes()).expect("parses");
        assert_eq!(f.len(), 2);
        let Fact::Package(p) = &f[0] else { panic!("package expected") };
        assert_eq!((p.name.as_str(), p.version.as_str(), p.license.as_deref()), ("musl", "1.2.5-r0", Some("MIT")));
        assert_eq!(p.files, vec!["/lib/ld-musl-x86_64.so.1", "/lib/libc.musl-x86_64.so.1"]);
    }

    #[test]
    fn truncated_record_without_version_is_dropped() {
        let f = Apk.extract("lib/apk/db/installed", b"P:musl\nV:1\n\nP:half").expect("parses");
        assert_eq!(f.len(), 1);
        assert!(Apk.extract("lib/apk/db/installed", b"\x00\x01binary junk").is_err());
    }
}
