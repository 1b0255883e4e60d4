//! `requirements*.txt`: only exactly pinned lines (`name==1.2.3`, `name===1.2.3`) name a version;
//! ranges, URLs, editable installs and options are not packages at a known version.

use crate::lang::{LOCKFILE_MAX, facts, utf8};
use dredge_layer::{ExtractError, Extractor, Pattern};
use dredge_model::{Ecosystem, Fact, Package};

pub struct Requirements;

fn pinned(line: &str) -> Option<(String, String)> {
    // Comments start at `#` preceded by whitespace (or the line start); markers after `;`.
    let line = match line.find(" #").or_else(|| line.starts_with('#').then_some(0)) {
        Some(i) => &line[..i],
        None => line,
    };
    let line = line.split(';').next()?.trim();
    if line.starts_with('-') || line.contains("://") || line.contains(" @ ") {
        return None;
    }
    let (name, version) = line.split_once("===").or_else(|| line.split_once("=="))?;
    let name = name.split('[').next()?.trim();
    // `--hash=...` options may follow the version on the same line.
    let version = version.split_whitespace().next()?.trim_end_matches('\\').trim();
    let ok_name = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    let ok_version = !version.is_empty() && !version.contains(['*', ',', '<', '>', '!', '=']);
    (ok_name && ok_version).then(|| (name.to_string(), version.to_string()))
}

impl Extractor for Requirements {
    fn name(&self) -> &'static str {
        "lang/python/requirements"
    }
    fn version(&self) -> u32 {
        1
    }
    fn patterns(&self) -> &'static [Pattern] {
        &[Pattern::Prefixed("requirements", ".txt")]
    }
    fn max_file_size(&self) -> u64 {
        LOCKFILE_MAX
    }
    fn extract(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, ExtractError> {
        let text = utf8(data)?;
        // Backslash continuations join lines (pip-compile puts hashes on them).
        let joined = text.replace("\\\r\n", " ").replace("\\\n", " ");
        Ok(facts(joined.lines().filter_map(pinned).map(|(n, v)| Package::locked(Ecosystem::PyPI, n, v))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinned_lines_only() {
        assert_eq!(pinned("requests==2.19.0"), Some(("requests".into(), "2.19.0".into())));
        assert_eq!(pinned("Django[argon2] == 3.2.1 ; python_version >= '3.8'  # web"), Some(("Django".into(), "3.2.1".into())));
        assert_eq!(pinned("pyyaml===5.3 --hash=sha256:abc"), Some(("pyyaml".into(), "5.3".into())));
        for l in ["# c", "flask>=2", "-r other.txt", "-e git+https://x/y#egg=z", "pkg @ https://x/p.whl", "a==1.*", "a==", "a!=1", ""] {
            assert_eq!(pinned(l), None, "{l}");
        }
    }
}
