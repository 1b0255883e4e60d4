//! Package URLs for OS packages, in the forms the purl spec and the peers use:
//! `pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=debian-12&upstream=glibc`.

use crate::{Ecosystem, OsInfo, Package};
use packageurl::PackageUrl;

/// The purl namespace of an OS package: the distro id, with a fallback per ecosystem when the
/// image has no recognisable OS.
fn namespace(pkg: &Package, os: Option<&OsInfo>) -> String {
    match os {
        Some(os) if !os.id.is_empty() => os.id.to_ascii_lowercase(),
        _ => match pkg.ecosystem {
            Ecosystem::Deb => "debian".into(),
            Ecosystem::Apk => "alpine".into(),
            _ => "unknown".into(),
        },
    }
}

/// Builds the purl of an OS package. Returns an empty string only if the name cannot form a purl
/// (empty name), which the extractors never emit.
pub fn package_purl(pkg: &Package, os: Option<&OsInfo>) -> String {
    if !pkg.ecosystem.is_os() {
        return language_purl(pkg);
    }
    let Ok(mut purl) = PackageUrl::new(pkg.ecosystem.purl_type(), pkg.name.as_str()) else {
        return String::new();
    };
    let ns = namespace(pkg, os);
    // Each setter only fails on empty or invalid keys, which are constants here.
    let _ = purl.with_namespace(ns.clone());
    let version = match pkg.ecosystem {
        // The rpm purl carries the epoch as a qualifier and version-release as the version.
        Ecosystem::Rpm => pkg.version.split_once(':').map_or(pkg.version.as_str(), |(_, v)| v),
        _ => pkg.version.as_str(),
    };
    let _ = purl.with_version(version);
    if let Some(arch) = &pkg.arch {
        let _ = purl.add_qualifier("arch", arch.as_str());
    }
    if let Some(epoch) = pkg.epoch {
        if epoch != 0 {
            let _ = purl.add_qualifier("epoch", epoch.to_string());
        }
    }
    if let Some(os) = os {
        if let Some(v) = &os.version_id {
            let _ = purl.add_qualifier("distro", format!("{ns}-{v}"));
        }
    }
    if let Some(src) = &pkg.source {
        match pkg.ecosystem {
            Ecosystem::Deb | Ecosystem::Apk if src.name != pkg.name => {
                let upstream = match &src.version {
                    Some(v) if pkg.ecosystem == Ecosystem::Deb => format!("{}@{}", src.name, v),
                    _ => src.name.clone(),
                };
                let _ = purl.add_qualifier("upstream", upstream);
            }
            Ecosystem::Rpm => {
                if let Some(v) = &src.version {
                    let _ = purl.add_qualifier("upstream", format!("{}-{}.src.rpm", src.name, v));
                }
            }
            _ => {}
        }
    }
    purl.to_string()
}

/// Language packages: no distro qualifiers; names split into namespace and name per purl type.
fn language_purl(pkg: &Package) -> String {
    let (ns, name) = match pkg.ecosystem {
        // PyPI names are lowercased with `_` as `-` in purls.
        Ecosystem::PyPI => (None, pkg.name.to_ascii_lowercase().replace('_', "-")),
        Ecosystem::Maven => match pkg.name.split_once(':') {
            Some((g, a)) => (Some(g.to_string()), a.to_string()),
            None => (None, pkg.name.clone()),
        },
        Ecosystem::Npm | Ecosystem::Golang | Ecosystem::Composer | Ecosystem::Swift => match pkg.name.rsplit_once('/') {
            Some((n, a)) => (Some(n.to_string()), a.to_string()),
            None => (None, pkg.name.clone()),
        },
        _ => (None, pkg.name.clone()),
    };
    let Ok(mut purl) = PackageUrl::new(pkg.ecosystem.purl_type(), name) else {
        return String::new();
    };
    if let Some(n) = ns {
        let _ = purl.with_namespace(n);
    }
    let _ = purl.with_version(pkg.version.as_str());
    purl.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SourcePackage;

    fn os(id: &str, v: &str) -> OsInfo {
        OsInfo { id: id.into(), version_id: Some(v.into()), source_path: "/etc/os-release".into(), ..Default::default() }
    }

    #[test]
    fn deb_purl_has_arch_distro_and_upstream() {
        let mut p = Package::new(Ecosystem::Deb, "libc6", "2.36-9+deb12u4");
        p.arch = Some("amd64".into());
        p.source = Some(SourcePackage { name: "glibc".into(), version: None });
        assert_eq!(
            package_purl(&p, Some(&os("debian", "12"))),
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc"
        );
    }

    #[test]
    fn rpm_purl_splits_epoch() {
        let mut p = Package::new(Ecosystem::Rpm, "openssl", "1:3.0.7-25.el9");
        p.epoch = Some(1);
        p.arch = Some("x86_64".into());
        assert_eq!(package_purl(&p, Some(&os("rhel", "9.3"))), "pkg:rpm/rhel/openssl@3.0.7-25.el9?arch=x86_64&distro=rhel-9.3&epoch=1");
    }

    #[test]
    fn language_purls() {
        assert_eq!(package_purl(&Package::new(Ecosystem::PyPI, "PyYAML", "5.3"), None), "pkg:pypi/pyyaml@5.3");
        assert_eq!(package_purl(&Package::new(Ecosystem::Npm, "@babel/core", "7.0.0"), None), "pkg:npm/%40babel/core@7.0.0");
        assert_eq!(
            package_purl(&Package::new(Ecosystem::Maven, "org.apache.logging.log4j:log4j-core", "2.14.1"), None),
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
        );
    }

    #[test]
    fn apk_without_os_falls_back_to_alpine() {
        let p = Package::new(Ecosystem::Apk, "musl", "1.2.5-r0");
        assert_eq!(package_purl(&p, None), "pkg:apk/alpine/musl@1.2.5-r0");
    }
}
