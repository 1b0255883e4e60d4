//! Debian's `usr/share/doc/<package>/copyright`: the package's declared licenses. Machine-readable
//! files (DEP-5, `Format: …copyright-format…`) name them in the `License:` field of each `Files:`
//! paragraph; free-form files are read on a best effort, from the `/usr/share/common-licenses/<name>`
//! references Debian policy asks them to make. The result is one SPDX expression of every
//! license found (all apply to some file of the package), attached to the package when the
//! inventory is assembled.

use super::dpkg::stanzas;
use dredge_layer::{ExtractError, Extractor, Pattern};
use dredge_model::{Ecosystem, Fact, license::normalise};

pub struct DpkgCopyright;

impl Extractor for DpkgCopyright {
    fn name(&self) -> &'static str {
        "os/dpkg/copyright"
    }
    fn version(&self) -> u32 {
        2
    }
    fn patterns(&self) -> &'static [Pattern] {
        &[Pattern::Named("copyright", "")]
    }
    fn max_file_size(&self) -> u64 {
        // Some (chromium, linux) run to megabytes; the header paragraphs come first.
        8 << 20
    }
    fn extract(&self, path: &str, data: &[u8]) -> Result<Vec<Fact>, ExtractError> {
        let Some(package) = path.strip_prefix("usr/share/doc/").and_then(|r| r.strip_suffix("/copyright")).filter(|p| !p.contains('/'))
        else {
            return Ok(Vec::new());
        };
        let package = package.split_once(':').map_or(package, |(n, _)| n);
        let text = String::from_utf8_lossy(data);
        let names = if is_dep5(&text) { dep5_licenses(&text) } else { common_license_refs(&text) };
        let mut exprs: Vec<String> = Vec::new();
        for n in names {
            let Some(x) = normalise(&n) else { continue };
            if !exprs.contains(&x.expression) {
                exprs.push(x.expression);
            }
        }
        let license = match exprs.len() {
            0 => return Ok(Vec::new()),
            1 => exprs.remove(0),
            _ => exprs.iter().map(|e| if e.contains(' ') { format!("({e})") } else { e.clone() }).collect::<Vec<_>>().join(" AND "),
        };
        Ok(vec![Fact::PackageLicense { ecosystem: Ecosystem::Deb, package: package.to_string(), license }])
    }
}

fn is_dep5(text: &str) -> bool {
    text.lines().take(3).any(|l| {
        let l = l.to_ascii_lowercase();
        (l.starts_with("format:") || l.starts_with("format-specification:"))
            && (l.contains("copyright-format") || l.contains("dep5") || l.contains("dep-5"))
    })
}

/// The `License:` short names of the header and the `Files:` paragraphs, in order (standalone
/// `License:` paragraphs only hold texts).
fn dep5_licenses(text: &str) -> Vec<String> {
    let st = stanzas(text);
    let mut out = Vec::new();
    for (i, s) in st.iter().enumerate() {
        let has_files = s.iter().any(|(k, _)| k.eq_ignore_ascii_case("Files"));
        if !(has_files || i == 0) {
            continue;
        }
        for (k, v) in s {
            if k.eq_ignore_ascii_case("License") && !v.is_empty() && !out.iter().any(|o: &String| o == v) {
                out.push(v.to_string());
            }
        }
    }
    out
}

/// Every `/usr/share/common-licenses/<name>` a free-form file points to, as the name. A GNU
/// license's reference follows the notice that gives its terms: the version and "or (at your
/// option) any later version" are read from the text before the reference (the bare `GPL`,
/// `LGPL` name the latest version's file, not the terms).
fn common_license_refs(text: &str) -> Vec<String> {
    const AT: &str = "/usr/share/common-licenses/";
    let mut out: Vec<String> = Vec::new();
    // The notice of one reference ends where the previous reference is.
    let mut prev_end = 0;
    for (i, _) in text.match_indices(AT) {
        let window_start = prev_end.max(i.saturating_sub(1500));
        prev_end = i + AT.len();
        let rest = &text[i + AT.len()..];
        let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+')).collect();
        let name = name.trim_end_matches('.').to_string();
        let (family, version) = match name.split_once('-') {
            Some((f, v)) => (f.to_string(), Some(v.to_string())),
            None => (name.clone(), None),
        };
        let mapped = if ["GPL", "LGPL", "AGPL", "GFDL"].contains(&family.as_str()) {
            let mut start = window_start;
            while !text.is_char_boundary(start) {
                start += 1;
            }
            let before = text[start..i].to_ascii_lowercase();
            let later = before.contains("any later version") || before.contains("or later");
            // A version this license has (a GFDL "Version 1.3" next to an LGPL reference is not
            // the LGPL's).
            let versions: &[&str] = match family.as_str() {
                "GPL" => &["1", "2", "3"],
                "LGPL" => &["2", "2.1", "3"],
                "AGPL" => &["3"],
                _ => &["1.1", "1.2", "1.3"],
            };
            let stated = before.rmatch_indices("version ").find_map(|(j, _)| {
                let v: String = before[j + 8..].chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
                let v = v.trim_end_matches('.').to_string();
                versions.contains(&v.as_str()).then_some(v)
            });
            let latest = match family.as_str() {
                "GFDL" => "1.3",
                _ => "3",
            };
            let v = version.or(stated).unwrap_or_else(|| latest.to_string());
            format!("{family}-{v}{}", if later { "+" } else { "" })
        } else {
            name
        };
        if !mapped.is_empty() && !out.contains(&mapped) {
            out.push(mapped);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn license(path: &str, text: &str) -> Option<String> {
        match DpkgCopyright.extract(path, text.as_bytes()).expect("never an error").pop() {
            Some(Fact::PackageLicense { license, package, .. }) => Some(format!("{package}: {license}")),
            _ => None,
        }
    }

    #[test]
    fn machine_readable() {
        let t = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: zlib\n\n\
                 Files: *\nCopyright: 1995 Jean-loup Gailly\nLicense: Zlib\n\n\
                 Files: contrib/*\nCopyright: x\nLicense: GPL-2+ or Artistic\n\n\
                 Files: debian/*\nLicense: Zlib\n\n\
                 License: Zlib\n This software is provided 'as-is'\n .\n License: not-a-field\n";
        assert_eq!(
            license("usr/share/doc/zlib1g/copyright", t).as_deref(),
            Some("zlib1g: Zlib AND (GPL-2.0-or-later OR Artistic-1.0-Perl)")
        );
    }

    #[test]
    fn one_expression_keeps_its_parentheses() {
        let t = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nLicense: AGPL-3 and (MIT or BSD-3-clause)\n";
        assert_eq!(license("usr/share/doc/x/copyright", t).as_deref(), Some("x: AGPL-3.0-only AND (MIT OR BSD-3-Clause)"));
        let t = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nLicense: (GPL-2+ or Artistic) and BSD-3-clause\n";
        assert_eq!(license("usr/share/doc/x/copyright", t).as_deref(), Some("x: (GPL-2.0-or-later OR Artistic-1.0-Perl) AND BSD-3-Clause"));
    }

    #[test]
    fn free_form_points_to_common_licenses() {
        let t = "This is Debian's prepackaged version of sed.\n\nOn Debian systems, the complete text of the GNU General\n\
                 Public License can be found in `/usr/share/common-licenses/GPL-3'.\n";
        assert_eq!(license("usr/share/doc/sed/copyright", t).as_deref(), Some("sed: GPL-3.0-only"));
        // libsemanage's: the notice states the version and "any later version".
        let t = "    modify it under the terms of the GNU Lesser General Public\n    License as published by the Free Software Foundation; either\n\
                 \x20   version 2.1 of the License, or (at your option) any later version.\n\nOn Debian systems, the complete text of the GNU Lesser General\n\
                 Public License can be found in `/usr/share/common-licenses/LGPL'.\n";
        assert_eq!(license("usr/share/doc/libsemanage2/copyright", t).as_deref(), Some("libsemanage2: LGPL-2.1-or-later"));
        // libselinux1's: "any later" belongs to the LGPL notice, not to the GPL one after it.
        let t = "either version 2.1 of the License, or (at\nyour option) any later version.\n\
                 General Public License can be found in `/usr/share/common-licenses/LGPL-2.1'.\n\n\
                 This program is free software under the GNU General Public License, version 2.\n\
                 Public License can be found in `/usr/share/common-licenses/GPL-2'.\n";
        assert_eq!(license("usr/share/doc/libselinux1/copyright", t).as_deref(), Some("libselinux1: LGPL-2.1-or-later AND GPL-2.0-only"));
        let t = "see /usr/share/common-licenses/LGPL-2.1 and /usr/share/common-licenses/BSD.";
        assert_eq!(license("usr/share/doc/libx:amd64/copyright", t).as_deref(), Some("libx: LGPL-2.1-only AND BSD-3-Clause"));
    }

    #[test]
    fn other_copyright_files_and_garbage() {
        assert_eq!(license("opt/app/copyright", "License: MIT"), None);
        assert_eq!(license("usr/share/doc/x/y/copyright", "License: MIT"), None);
        assert_eq!(license("usr/share/doc/x/copyright", "no licence named here"), None);
        assert_eq!(license("usr/share/doc/x/copyright", "\u{0}\u{1}\u{ff}"), None);
        let bad = "Format: copyright-format/1.0\n\nFiles: *\nLicense:\n\nFiles: a\nLicense: ((((\n";
        assert!(license("usr/share/doc/x/copyright", bad).is_some_and(|l| spdx::Expression::parse(&l[3..]).is_ok()));
    }
}
