//! Installed gems: `specifications/*.gemspec`, the Ruby files RubyGems writes on install
//! (`s.name = "rake".freeze`). Read as text, never evaluated.

use crate::lang::facts;
use dredge_layer::{ExtractError, Extractor, Pattern};
use dredge_model::{Ecosystem, Fact, Package};

pub struct Gemspec;

/// The first string literal of `s.<field> = ...` (also `spec.`, `Gem::Version.new("...")`).
fn field(text: &str, name: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let l = l.trim();
        let (lhs, rhs) = l.split_once('=')?;
        let lhs = lhs.trim();
        let (_, f) = lhs.split_once('.')?;
        if f != name {
            return None;
        }
        let start = rhs.find(['"', '\''])?;
        let q = rhs.as_bytes()[start] as char;
        let rest = &rhs[start + 1..];
        Some(rest[..rest.find(q)?].to_string())
    })
}

/// `s.licenses = ["MIT".freeze, "Ruby".freeze]` (all quoted names; RubyGems lets a gem name
/// several, users choose: `OR`) or `s.license = "MIT"`.
fn licenses(text: &str) -> Option<String> {
    let line = text.lines().map(str::trim).find(|l| {
        l.split_once('=').and_then(|(lhs, _)| lhs.trim().split_once('.')).is_some_and(|(_, f)| f == "licenses" || f == "license")
    })?;
    let rhs = line.split_once('=')?.1;
    let mut names = Vec::new();
    let mut rest = rhs;
    while let Some(start) = rest.find(['"', '\'']) {
        let q = rest.as_bytes()[start] as char;
        let after = &rest[start + 1..];
        let Some(end) = after.find(q) else { break };
        if !after[..end].trim().is_empty() {
            names.push(after[..end].trim().to_string());
        }
        rest = &after[end + 1..];
    }
    match names.len() {
        0 => None,
        1 => names.pop(),
        _ => Some(names.iter().map(|n| if n.contains(' ') { format!("({n})") } else { n.clone() }).collect::<Vec<_>>().join(" OR ")),
    }
}

impl Extractor for Gemspec {
    fn name(&self) -> &'static str {
        "lang/ruby/gemspec"
    }
    fn version(&self) -> u32 {
        2
    }
    fn patterns(&self) -> &'static [Pattern] {
        &[Pattern::InDir("specifications", ".gemspec")]
    }
    fn max_file_size(&self) -> u64 {
        1 << 20
    }
    fn extract(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, ExtractError> {
        let text = String::from_utf8_lossy(data);
        let (Some(name), Some(version)) = (field(&text, "name"), field(&text, "version")) else {
            return Err(ExtractError::new("no s.name and s.version: not a gem specification"));
        };
        let mut p = Package::new(Ecosystem::Gem, name, version);
        p.license = licenses(&text);
        Ok(facts([p]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installed_spec() {
        let s = "# -*- encoding: utf-8 -*-\nGem::Specification.new do |s|\n  s.name = \"rake\".freeze\n  s.version = \"13.0.6\"\n  s.licenses = [\"MIT\".freeze]\nend\n";
        assert_eq!(field(s, "name").as_deref(), Some("rake"));
        assert_eq!(field(s, "version").as_deref(), Some("13.0.6"));
        assert_eq!(licenses(s).as_deref(), Some("MIT"));
        assert_eq!(licenses("s.licenses = [\"Ruby\".freeze, \"BSD-2-Clause\".freeze]").as_deref(), Some("Ruby OR BSD-2-Clause"));
        assert_eq!(licenses("s.license = 'MIT'").as_deref(), Some("MIT"));
        assert_eq!(licenses("s.licenses = [\"unterminated"), None);
        assert!(Gemspec.extract("x", b"puts 1").is_err());
    }
}
