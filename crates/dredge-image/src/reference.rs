//! Image references as Docker reads them: `alpine` is `docker.io/library/alpine:latest`.

use crate::ImageError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// Registry host[:port] as written (`docker.io`, `127.0.0.1:5000`).
    pub registry: String,
    /// Repository path (`library/alpine`).
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl Reference {
    pub fn parse(s: &str) -> Result<Reference, ImageError> {
        let bad = |why: &str| ImageError::Invalid(format!("image reference {s:?}: {why}"));
        if s.is_empty() || s.len() > 4096 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("empty, too long, or has spaces"));
        }
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) => {
                if crate::spec::split_digest(d).is_none() {
                    return Err(bad("malformed digest"));
                }
                (r, Some(d.to_string()))
            }
            None => (s, None),
        };
        let (registry, path) = match rest.split_once('/') {
            Some((first, path)) if first.contains('.') || first.contains(':') || first == "localhost" => {
                (first.to_string(), path.to_string())
            }
            _ => ("docker.io".to_string(), rest.to_string()),
        };
        // A tag is after the last ':' that follows the last '/'.
        let (repo, tag) = match path.rsplit_once(':') {
            Some((r, t)) if !t.contains('/') => (r.to_string(), Some(t.to_string())),
            _ => (path, None),
        };
        if repo.is_empty() || repo.split('/').any(|c| c.is_empty() || c == "." || c == "..") {
            return Err(bad("malformed repository"));
        }
        if !repo.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-/".contains(&b)) {
            return Err(bad("repository names are lowercase letters, digits and . _ - /"));
        }
        if let Some(t) = &tag {
            if t.is_empty() || t.len() > 128 || !t.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)) {
                return Err(bad("malformed tag"));
            }
        }
        let repository = if registry == "docker.io" && !repo.contains('/') { format!("library/{repo}") } else { repo };
        let tag = if tag.is_none() && digest.is_none() { Some("latest".to_string()) } else { tag };
        Ok(Reference { registry, repository, tag, digest })
    }

    /// The host to talk to (Docker Hub's API lives on another name).
    pub fn api_host(&self) -> &str {
        if self.registry == "docker.io" { "registry-1.docker.io" } else { &self.registry }
    }

    /// The tag or digest to ask the registry for (digest wins).
    pub fn manifest_ref(&self) -> &str {
        self.digest.as_deref().or(self.tag.as_deref()).unwrap_or("latest")
    }

    /// `docker.io/library/alpine:3.20` (tag form, for comparisons and SBOM names).
    pub fn canonical(&self) -> String {
        let mut s = format!("{}/{}", self.registry, self.repository);
        if let Some(t) = &self.tag {
            s.push(':');
            s.push_str(t);
        }
        if let Some(d) = &self.digest {
            s.push('@');
            s.push_str(d);
        }
        s
    }

    /// `docker.io/library/alpine` without tag or digest.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hub_defaults() {
        let r = Reference::parse("alpine").expect("valid");
        assert_eq!(r.canonical(), "docker.io/library/alpine:latest");
        assert_eq!(r.api_host(), "registry-1.docker.io");
        assert_eq!(Reference::parse("bitnami/redis:7").expect("valid").canonical(), "docker.io/bitnami/redis:7");
    }

    #[test]
    fn registries_ports_and_digests() {
        let d = format!("sha256:{}", "ab".repeat(32));
        let r = Reference::parse(&format!("127.0.0.1:5000/team/app:v1@{d}")).expect("valid");
        assert_eq!((r.registry.as_str(), r.repository.as_str(), r.tag.as_deref()), ("127.0.0.1:5000", "team/app", Some("v1")));
        assert_eq!(r.manifest_ref(), d);
        assert_eq!(Reference::parse("localhost/x").expect("valid").registry, "localhost");
    }

    #[test]
    fn rejects_garbage() {
        for s in ["", "a b", "Alpine", "x/../y", "x@sha256:zz", "x:t@g", "reg.io/"] {
            assert!(Reference::parse(s).is_err(), "{s:?} should be rejected");
        }
    }
}
