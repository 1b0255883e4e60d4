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

impl Extractor for Gemspec {
    fn name(&self) -> &'static str {
        "lang/ruby/gemspec"
    }
    fn version(&self) -> u32 {
        1
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
        p.license = field(&text, "licenses").or_else(|| field(&text, "license"));
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
        assert_eq!(field(s, "licenses").as_deref(), Some("MIT"));
        assert!(Gemspec.extract("x", b"puts 1").is_err());
    }
}
