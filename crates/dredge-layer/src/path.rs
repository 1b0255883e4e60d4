//! Normalising tar entry paths: no leading `/`, no `.`, `..` resolved, never above the root.

/// What was wrong with an entry path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathProblem {
    /// `..` climbs above the image root.
    EscapesRoot,
    /// Empty after normalisation (the root itself).
    Empty,
}

/// A normalised path and whether the raw path was absolute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NormalPath {
    pub path: String,
    pub was_absolute: bool,
}

/// Normalise a path as written in a layer tar. `./a/../b/` becomes `b`; `/etc/x` becomes `etc/x`
/// (flagged absolute); `../x` is refused.
pub fn normalise(raw: &str) -> Result<NormalPath, PathProblem> {
    let was_absolute = raw.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for c in raw.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(PathProblem::EscapesRoot);
                }
            }
            c => parts.push(c),
        }
    }
    if parts.is_empty() {
        return Err(PathProblem::Empty);
    }
    Ok(NormalPath { path: parts.join("/"), was_absolute })
}

/// Resolve a symlink target found at `link_path` to a path inside the image, the way the kernel
/// would inside a chroot: absolute targets start at the image root and `..` stops at the root.
pub fn resolve_link(link_path: &str, target: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    if !target.starts_with('/') {
        parts.extend(link_path.split('/').filter(|c| !c.is_empty()));
        parts.pop(); // the link itself
    }
    for c in target.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    if parts.is_empty() { None } else { Some(parts.join("/")) }
}

/// Is `path` equal to `dir` or below it?
pub fn is_within(path: &str, dir: &str) -> bool {
    path == dir || (path.len() > dir.len() && path.starts_with(dir) && path.as_bytes()[dir.len()] == b'/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_dots_and_slashes() {
        assert_eq!(normalise("./var/lib/../lib/dpkg//status").map(|p| p.path), Ok("var/lib/dpkg/status".into()));
        assert_eq!(normalise("etc/").map(|p| p.path), Ok("etc".into()));
        let abs = normalise("/etc/passwd").expect("absolute paths are kept inside the root");
        assert_eq!(abs.path, "etc/passwd");
        assert!(abs.was_absolute);
    }

    #[test]
    fn refuses_escapes() {
        assert_eq!(normalise("../etc/passwd"), Err(PathProblem::EscapesRoot));
        assert_eq!(normalise("a/../../b"), Err(PathProblem::EscapesRoot));
        assert_eq!(normalise("./"), Err(PathProblem::Empty));
    }

    #[test]
    fn links_resolve_inside_the_root() {
        assert_eq!(resolve_link("etc/os-release", "../usr/lib/os-release").as_deref(), Some("usr/lib/os-release"));
        assert_eq!(resolve_link("etc/os-release", "/usr/lib/os-release").as_deref(), Some("usr/lib/os-release"));
        assert_eq!(resolve_link("etc/x", "../../../../etc/shadow").as_deref(), Some("etc/shadow"));
        assert_eq!(resolve_link("etc/x", ".."), None);
    }

    #[test]
    fn within() {
        assert!(is_within("var/lib/dpkg/status", "var/lib/dpkg"));
        assert!(is_within("var/lib/dpkg", "var/lib/dpkg"));
        assert!(!is_within("var/lib/dpkgx", "var/lib/dpkg"));
    }
}
