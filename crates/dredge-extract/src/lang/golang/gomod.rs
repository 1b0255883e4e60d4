//! `go.mod`: the `require` directives (since Go 1.17 every module the build needs, indirect ones
//! marked `// indirect`), with `replace` directives applied.

use crate::lang::{facts, utf8};
use dredge_layer::{ExtractError, Extractor, Pattern};
use dredge_model::{Ecosystem, Fact, Package};
use std::collections::HashMap;

pub struct GoMod;

fn unquote(s: &str) -> &str {
    s.trim_matches(|c| c == '"' || c == '`')
}

impl Extractor for GoMod {
    fn name(&self) -> &'static str {
        "lang/go/go-mod"
    }
    fn version(&self) -> u32 {
        1
    }
    fn patterns(&self) -> &'static [Pattern] {
        &[Pattern::Named("go.mod", "")]
    }
    fn max_file_size(&self) -> u64 {
        8 << 20
    }
    fn extract(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, ExtractError> {
        let text = utf8(data)?;
        let mut block: Option<&str> = None;
        let mut requires: Vec<(String, String, bool)> = Vec::new();
        // (module, version or "" for any version) → (new module, new version)
        let mut replaces: HashMap<(String, String), (String, String)> = HashMap::new();
        let mut saw_module = false;
        for raw in text.lines() {
            let (code, comment) = raw.split_once("//").unwrap_or((raw, ""));
            let indirect = comment.trim() == "indirect" || comment.trim().starts_with("indirect;");
            let code = code.trim();
            if code.is_empty() {
                continue;
            }
            if code == ")" {
                block = None;
                continue;
            }
            let mut words: Vec<&str> = code.split_whitespace().collect();
            match (block, words.first().copied()) {
                (None, Some(kw @ ("require" | "replace" | "exclude" | "retract" | "module" | "go" | "toolchain" | "godebug"))) => {
                    saw_module |= kw == "module";
                    if words.get(1) == Some(&"(") {
                        block = Some(kw);
                        continue;
                    }
                    words.remove(0);
                    block_line(kw, &words, indirect, &mut requires, &mut replaces);
                }
                (Some(kw), _) => block_line(kw, &words, indirect, &mut requires, &mut replaces),
                _ => {}
            }
        }
        if !saw_module {
            return Err(ExtractError::new("not a go.mod: no module directive"));
        }
        Ok(facts(requires.into_iter().map(|(m, v, indirect)| {
            let (m, v) = replaces
                .get(&(m.clone(), v.clone()))
                .or_else(|| replaces.get(&(m.clone(), String::new())))
                .filter(|(_, nv)| !nv.is_empty())
                .cloned()
                .unwrap_or((m, v));
            let mut p = Package::locked(Ecosystem::Golang, m, v);
            p.direct = Some(!indirect);
            p
        })))
    }
}

fn block_line(
    kw: &str,
    w: &[&str],
    indirect: bool,
    requires: &mut Vec<(String, String, bool)>,
    replaces: &mut HashMap<(String, String), (String, String)>,
) {
    match kw {
        "require" => {
            if let [m, v, ..] = w {
                requires.push((unquote(m).to_string(), unquote(v).to_string(), indirect));
            }
        }
        "replace" => {
            let Some(arrow) = w.iter().position(|x| *x == "=>") else { return };
            let (from, to) = (&w[..arrow], &w[arrow + 1..]);
            let key = (
                from.first().map(|s| unquote(s).to_string()).unwrap_or_default(),
                from.get(1).map(|s| unquote(s).to_string()).unwrap_or_default(),
            );
            let val = (
                to.first().map(|s| unquote(s).to_string()).unwrap_or_default(),
                to.get(1).map(|s| unquote(s).to_string()).unwrap_or_default(),
            );
            replaces.insert(key, val);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requires_replaces_indirect() {
        let m = "module example.com/app\n\ngo 1.21\n\nrequire (\n\tgithub.com/a/b v1.2.3\n\tgolang.org/x/net v0.10.0 // indirect\n)\nrequire github.com/c/d v0.1.0\nreplace github.com/c/d => github.com/e/d v0.2.0\nreplace github.com/a/b v1.2.3 => ../b\n";
        let f = GoMod.extract("go.mod", m.as_bytes()).expect("parses");
        let got: Vec<(String, String, Option<bool>)> = f
            .iter()
            .filter_map(|f| if let Fact::Package(p) = f { Some((p.name.clone(), p.version.clone(), p.direct)) } else { None })
            .collect();
        assert_eq!(
            got,
            vec![
                ("github.com/a/b".into(), "v1.2.3".into(), Some(true)),
                ("golang.org/x/net".into(), "v0.10.0".into(), Some(false)),
                ("github.com/e/d".into(), "v0.2.0".into(), Some(true)),
            ]
        );
        assert!(GoMod.extract("go.mod", b"garbage").is_err());
    }
}
