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
