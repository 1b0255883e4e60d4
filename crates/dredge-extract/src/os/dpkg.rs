//! dpkg: `var/lib/dpkg/status` (and the one-file-per-package `status.d/` of distroless images)
//! for packages, `var/lib/dpkg/info/*.list` for the files each package owns.

use dredge_layer::{ExtractError, Extractor, Pattern};
use dredge_model::{Ecosystem, Fact, Package, SourcePackage};

pub struct Dpkg;

/// Parses deb822 stanzas: `Field: value` with continuation lines, stanzas split by blank lines.
/// Field names are case-insensitive; only the first line of a multi-line value is kept.
pub(crate) fn stanzas(text: &str) -> Vec<Vec<(&str, &str)>> {
    let mut out = Vec::new();
    let mut cur: Vec<(&str, &str)> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
        } else if line.starts_with([' ', '\t']) || line.starts_with('#') {
            // continuation of the previous field (descriptions, conffiles): not needed
        } else if let Some((k, v)) = line.split_once(':') {
            cur.push((k.trim(), v.trim()));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn field<'a>(st: &[(&'a str, &'a str)], name: &str) -> Option<&'a str> {
    st.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| *v).filter(|v| !v.is_empty())
}

fn package(st: &[(&str, &str)], require_status: bool) -> Option<Package> {
    let name = field(st, "Package")?;
    let version = field(st, "Version")?;
    match field(st, "Status") {
        // "want flag state": only packages whose state is installed are in the image.
        Some(status) if status.split_whitespace().nth(2) != Some("installed") => return None,
        None if require_status => return None,
        _ => {}
    }
    let mut p = Package::new(Ecosystem::Deb, name, version);
    p.arch = field(st, "Architecture").map(str::to_string);
    p.maintainer = field(st, "Maintainer").map(str::to_string);
    p.source = Some(match field(st, "Source") {
        // `Source: name (version)` when the source version differs from the binary's.
        Some(src) => match src.split_once('(') {
            Some((n, v)) => SourcePackage { name: n.trim().to_string(), version: Some(v.trim_end_matches(')').trim().to_string()) },
            None => SourcePackage { name: src.to_string(), version: None },
        },
        None => SourcePackage { name: name.to_string(), version: None },
    });
    Some(p)
}

impl Extractor for Dpkg {
    fn name(&self) -> &'static str {
        "os/dpkg"
    }
    fn version(&self) -> u32 {
        1
    }
    fn patterns(&self) -> &'static [Pattern] {
        &[
            Pattern::Exact("var/lib/dpkg/status"),
            Pattern::DirFiles("var/lib/dpkg/status.d", ""),
            Pattern::DirFiles("var/lib/dpkg/info", ".list"),
        ]
    }
    fn extract(&self, path: &str, data: &[u8]) -> Result<Vec<Fact>, ExtractError> {
        if let Some(list) = path.strip_prefix("var/lib/dpkg/info/") {
            // `name.list` or `name:arch.list` (multi-arch: same).
            let Some(stem) = list.strip_suffix(".list") else {
                return Ok(Vec::new());
            };
            let pkg = stem.split_once(':').map_or(stem, |(n, _)| n);
            let text = String::from_utf8_lossy(data);
            let files = text.lines().filter(|l| l.starts_with('/') && *l != "/.").map(str::to_string).collect();
            return Ok(vec![Fact::OwnedFiles { ecosystem: Ecosystem::Deb, package: pkg.to_string(), files }]);
        }
        if path.starts_with("var/lib/dpkg/status.d/") && path.ends_with(".md5sums") {
            return Ok(Vec::new());
        }
        let text = std::str::from_utf8(data).map_err(|e| ExtractError::new(format!("not UTF-8 text: {e}")))?;
        let status_file = path == "var/lib/dpkg/status";
        let st = stanzas(text);
        if !text.trim().is_empty() && st.iter().all(|s| field(s, "Package").is_none()) {
            return Err(ExtractError::new("no `Package:` field in any stanza: not a dpkg status file"));
        }
        Ok(st.iter().filter_map(|s| package(s, status_file)).map(|p| Fact::Package(Box::new(p))).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkgs(path: &str, text: &str) -> Vec<Package> {
        Dpkg.extract(path, text.as_bytes())
            .expect("parses")
            .into_iter()
            .filter_map(|f| if let Fact::Package(p) = f { Some(*p) } else { None })
            .collect()
    }

    #[test]
    fn status_with_source_versions_and_states() {
        let text = "Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nSource: glibc\nVersion: 2.36-9\nDescription: x\n more\n\n\
                    Package: gcc-12-base\nStatus: install ok installed\nSource: gcc-12 (12.2.0-14)\nVersion: 12.2.0-14+b1\n\n\
                    Package: gone\nStatus: deinstall ok config-files\nVersion: 1\n";
        let p = pkgs("var/lib/dpkg/status", text);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].source.as_ref().map(|s| s.name.as_str()), Some("glibc"));
        assert_eq!(p[1].source, Some(SourcePackage { name: "gcc-12".into(), version: Some("12.2.0-14".into()) }));
    }

    #[test]
    fn distroless_status_d_has_no_status_field() {
        assert_eq!(pkgs("var/lib/dpkg/status.d/base", "Package: base-files\nVersion: 12.4\nArchitecture: amd64\n").len(), 1);
        assert!(pkgs("var/lib/dpkg/status.d/base.md5sums", "abc  /etc/x\n").is_empty());
    }

    #[test]
    fn list_files_become_ownership() {
        let f = Dpkg.extract("var/lib/dpkg/info/libc6:amd64.list", b"/.\n/lib\n/lib/x.so\n").expect("parses");
        assert_eq!(
            f,
            vec![Fact::OwnedFiles { ecosystem: Ecosystem::Deb, package: "libc6".into(), files: vec!["/lib".into(), "/lib/x.so".into()] }]
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(Dpkg.extract("var/lib/dpkg/status", &[0xff, 0xfe, 0]).is_err());
        assert!(Dpkg.extract("var/lib/dpkg/status", b"hello: world\n").is_err());
        assert!(pkgs("var/lib/dpkg/status", "").is_empty());
    }
}
