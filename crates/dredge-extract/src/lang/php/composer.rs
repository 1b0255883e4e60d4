//! Composer: `vendor/composer/installed.json` (what is installed; Composer 2 wraps the list in
//! `packages` and names the dev ones in `dev-package-names`, Composer 1 is a bare list) and
//! `composer.lock` (`packages` and `packages-dev`). Both formats share the package records.

use crate::lang::{LOCKFILE_MAX, facts, json};
use dredge_layer::{ExtractError, Extractor, Pattern};
use dredge_model::{Ecosystem, Fact, Origin, Package};
use serde_json::Value;

pub struct Composer;

fn record(v: &Value, origin: Origin, dev: bool) -> Option<Package> {
    let mut p = Package::new(Ecosystem::Composer, v["name"].as_str()?, v["version"].as_str()?);
    p.origin = origin;
    p.dev = dev;
    // A list of licenses is a choice (Composer's docs: "disjunctive").
    let names: Vec<&str> = match &v["license"] {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    p.license = (!names.is_empty())
        .then(|| names.iter().map(|n| if n.contains(' ') { format!("({n})") } else { n.to_string() }).collect::<Vec<_>>().join(" OR "));
    Some(p)
}

impl Extractor for Composer {
    fn name(&self) -> &'static str {
        "lang/php/composer"
    }
    fn version(&self) -> u32 {
        3
    }
    fn patterns(&self) -> &'static [Pattern] {
        &[Pattern::Named("installed.json", "composer"), Pattern::Named("composer.lock", "")]
    }
    fn max_file_size(&self) -> u64 {
        LOCKFILE_MAX
    }
    fn extract(&self, path: &str, data: &[u8]) -> Result<Vec<Fact>, ExtractError> {
        let v: Value = json(data)?;
        let mut out = Vec::new();
        if path.ends_with("composer.lock") {
            for (key, dev) in [("packages", false), ("packages-dev", true)] {
                out.extend(v[key].as_array().into_iter().flatten().filter_map(|p| record(p, Origin::Lockfile, dev)));
            }
        } else {
            let dev_names: Vec<&str> = v["dev-package-names"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
            let list = v["packages"].as_array().or_else(|| v.as_array());
            for p in list.into_iter().flatten() {
                let dev = p["name"].as_str().is_some_and(|n| dev_names.contains(&n));
                out.extend(record(p, Origin::Installed, dev));
            }
        }
        if out.is_empty() && !v.is_object() && !v.is_array() {
            return Err(ExtractError::new("not a Composer file: neither an object nor a list"));
        }
        // Each record's `require` names the packages it needs (platform entries like `php` and
        // `ext-json` are no packages here and give no edge).
        let records = v["packages"]
            .as_array()
            .or_else(|| v.as_array())
            .into_iter()
            .flatten()
            .chain(v["packages-dev"].as_array().into_iter().flatten());
        let mut graph: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
        for r in records {
            if let Some(n) = r["name"].as_str() {
                graph
                    .entry(n.to_ascii_lowercase())
                    .or_default()
                    .extend(r["require"].as_object().into_iter().flatten().map(|(d, _)| d.to_ascii_lowercase()));
            }
        }
        let keys: Vec<String> = out.iter().map(|p| p.name.to_ascii_lowercase()).collect();
        crate::lang::link_graph(&mut out, &keys, &graph);
        Ok(facts(out))
    }
}
