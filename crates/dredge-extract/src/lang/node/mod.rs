//! Node: installed packages (`node_modules`) and the lockfiles of npm, Yarn, pnpm and Bun.

pub mod bun;
pub mod node_modules;
pub mod package_lock;
pub mod pnpm;
pub mod yarn;

/// `name@version` → (name, version), where the name may start with `@scope/`.
pub(crate) fn split_at_version(s: &str) -> Option<(&str, &str)> {
    let i = s.get(1..)?.rfind('@')? + 1;
    let (n, v) = (&s[..i], &s[i + 1..]);
    (!n.is_empty() && !v.is_empty()).then_some((n, v))
}

/// A lockfile inside `node_modules` belongs to an installed package's own development (npm ignores
/// it when installing; the installed packages are read from node_modules itself): not reported.
pub(crate) fn inside_node_modules(path: &str) -> bool {
    path.starts_with("node_modules/") || path.contains("/node_modules/")
}

/// The license a `package.json` (or a lockfile entry) declares: `license` as an SPDX expression,
/// the old object form `{"type": …}`, or the legacy `licenses` list (alternatives: `OR`).
pub(crate) fn declared_license(v: &serde_json::Value) -> Option<String> {
    let one =
        |x: &serde_json::Value| x.as_str().or_else(|| x["type"].as_str()).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    if let Some(l) = one(&v["license"]) {
        return Some(l);
    }
    let list = v["licenses"].as_array().or_else(|| v["license"].as_array())?;
    let names: Vec<String> = list.iter().filter_map(one).collect();
    match names.len() {
        0 => None,
        1 => names.into_iter().next(),
        _ => Some(names.iter().map(|n| if n.contains(' ') { format!("({n})") } else { n.clone() }).collect::<Vec<_>>().join(" OR ")),
    }
}

#[cfg(test)]
mod license_tests {
    use super::declared_license;
    use serde_json::json;

    #[test]
    fn every_form_of_package_json_license() {
        assert_eq!(declared_license(&json!({"license": "MIT"})).as_deref(), Some("MIT"));
        assert_eq!(declared_license(&json!({"license": {"type": "ISC", "url": "x"}})).as_deref(), Some("ISC"));
        assert_eq!(declared_license(&json!({"licenses": [{"type": "MIT"}, {"type": "Apache-2.0"}]})).as_deref(), Some("MIT OR Apache-2.0"));
        assert_eq!(declared_license(&json!({"licenses": ["BSD"]})).as_deref(), Some("BSD"));
        assert_eq!(declared_license(&json!({"license": 3})), None);
        assert_eq!(declared_license(&json!({"licenses": [1, {}]})), None);
    }
}
