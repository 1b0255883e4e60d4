//! What the user asked to scan: `alpine:3.20`, `docker-archive:img.tar`, `oci-dir:layout:tag`,
//! `registry:host/repo:tag`, `docker:name`, `dir:/rootfs`, or a path.

use dredge_image::SourceKind;
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetSpec {
    /// A local archive or layout; `None` = detect the kind.
    Local(Option<SourceKind>, String),
    Registry(String),
    Daemon(String),
    /// A name: the sources of `--image-src` in order (default daemon, then registry).
    Name(String),
    Rootfs(String),
}

/// Where a name is looked up, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ImageSrc {
    Daemon,
    Registry,
}

fn is_image_layout_dir(p: &Path) -> bool {
    p.join("oci-layout").exists() || p.join("index.json").exists() || p.join("manifest.json").exists()
}

/// Builds a target from the text after its prefix.
type Ctor = fn(String) -> TargetSpec;

pub fn parse(target: Option<&str>, input: Option<&str>) -> Result<TargetSpec, String> {
    if let Some(i) = input {
        if target.is_some() {
            return Err("give either a target or --input, not both".into());
        }
        return Ok(TargetSpec::Local(None, i.to_string()));
    }
    let t = target.ok_or("nothing to scan: give an image name, a path, or --input FILE")?;
    let prefixed: &[(&str, Ctor)] = &[
        ("docker-archive:", |s| TargetSpec::Local(Some(SourceKind::DockerArchive), s)),
        ("oci-dir:", |s| TargetSpec::Local(Some(SourceKind::OciDir), s)),
        ("oci-archive:", |s| TargetSpec::Local(Some(SourceKind::OciArchive), s)),
        ("registry:", TargetSpec::Registry),
        ("docker:", TargetSpec::Daemon),
        ("docker-daemon:", TargetSpec::Daemon),
        ("dir:", TargetSpec::Rootfs),
        ("rootfs:", TargetSpec::Rootfs),
    ];
    for (p, f) in prefixed {
        if let Some(rest) = t.strip_prefix(p) {
            if rest.is_empty() {
                return Err(format!("{t}: nothing after the prefix"));
            }
            return Ok(f(rest.to_string()));
        }
    }
    let path = Path::new(t);
    if path.is_dir() {
        return Ok(if is_image_layout_dir(path) { TargetSpec::Local(None, t.into()) } else { TargetSpec::Rootfs(t.into()) });
    }
    if path.exists() || t.starts_with('/') || t.starts_with("./") || t.starts_with("../") {
        return Ok(TargetSpec::Local(None, t.into()));
    }
    // `layout:tag`, `archive.tar@sha256:...`: an existing path with a selector.
    for sep in ['@', ':'] {
        if let Some((p, sel)) = t.rsplit_once(sep) {
            if !sel.is_empty() && Path::new(p).exists() {
                return Ok(TargetSpec::Local(None, t.into()));
            }
        }
    }
    Ok(TargetSpec::Name(t.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_and_names() {
        assert_eq!(parse(Some("alpine:3.20"), None), Ok(TargetSpec::Name("alpine:3.20".into())));
        assert_eq!(parse(Some("registry:localhost:5000/x"), None), Ok(TargetSpec::Registry("localhost:5000/x".into())));
        assert_eq!(parse(Some("oci-dir:/l:tag"), None), Ok(TargetSpec::Local(Some(SourceKind::OciDir), "/l:tag".into())));
        assert_eq!(parse(None, Some("x.tar")), Ok(TargetSpec::Local(None, "x.tar".into())));
        assert!(parse(Some("a"), Some("b")).is_err());
        assert!(parse(None, None).is_err());
        assert!(parse(Some("docker:"), None).is_err());
        assert_eq!(parse(Some("/"), None), Ok(TargetSpec::Rootfs("/".into())));
    }
}
