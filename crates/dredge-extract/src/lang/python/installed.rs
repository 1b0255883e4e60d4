//! Installed Python distributions: `*.dist-info/METADATA` (wheels, pip), `*.egg-info/PKG-INFO`
//! (setuptools, many distro packages), `*.egg-info` as a single file (distutils), and
//! `*.egg/EGG-INFO/PKG-INFO` (unzipped eggs). Core-metadata headers, read up to the first blank
//! line (the description follows it). Zipped `.egg` files are `egg.rs`.

use dredge_layer::{ExtractError, Extractor, Pattern};
use dredge_model::{Ecosystem, Fact, Package};

pub struct PythonInstalled;

fn header<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    text.lines()
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty() && *v != "UNKNOWN")
}

/// `License-Expression` (PEP 639), else a one-line `License` that names a license, else the
/// trove classifiers `License :: …` (all of them apply), else a `License` of any kind.
fn declared_license(text: &str) -> Option<String> {
    if let Some(e) = header(text, "License-Expression") {
        return Some(e.to_string());
    }
    let license = header(text, "License");
    // Many packages paste their whole license text (or a copyright line) into `License`: the
    // first line of that names nothing, the classifiers do.
    let names_one = license.filter(|l| l.len() <= 100 && !l.to_ascii_lowercase().contains("copyright"));
    let classifiers: Vec<&str> = text
        .lines()
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':').filter(|(k, _)| k.trim().eq_ignore_ascii_case("Classifier")).map(|(_, v)| v.trim()))
        .filter(|v| v.starts_with("License ::"))
        .filter_map(|v| v.rsplit("::").next().map(str::trim))
        .filter(|v| !v.is_empty() && *v != "OSI Approved")
        .collect();
    // A one-line `License` that names a license wins; one that names nothing known (`SEE LICENSE
    // IN …`, `Dual License`) gives way to classifiers that do.
    if let Some(l) = names_one {
        let named = dredge_model::license::normalise(l).is_some_and(|n| n.unknown.is_empty());
        if named || classifiers.is_empty() {
            return Some(l.to_string());
        }
    }
    if !classifiers.is_empty() {
        return Some(classifiers.join(" AND "));
    }
    license.map(str::to_string)
}

impl Extractor for PythonInstalled {
    fn name(&self) -> &'static str {
        "lang/python/installed"
    }
    fn version(&self) -> u32 {
        3
    }
    fn patterns(&self) -> &'static [Pattern] {
        &[
            Pattern::Named("METADATA", ".dist-info"),
            Pattern::Named("PKG-INFO", ".egg-info"),
            Pattern::Named("PKG-INFO", "EGG-INFO"),
            Pattern::Ext(".egg-info"),
        ]
    }
    fn max_file_size(&self) -> u64 {
        // The description can be long; the headers come first.
        4 << 20
    }
    fn extract(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, ExtractError> {
        metadata(data).map(|p| vec![Fact::Package(Box::new(p))])
    }
}

/// A package from core-metadata text (`METADATA`, `PKG-INFO`).
pub fn metadata(data: &[u8]) -> Result<Package, ExtractError> {
    {
        let text = String::from_utf8_lossy(data);
        let text = text.replace("\r\n", "\n");
        let (Some(name), Some(version)) = (header(&text, "Name"), header(&text, "Version")) else {
            return Err(ExtractError::new("no Name and Version headers: not Python core metadata"));
        };
        let mut p = Package::new(Ecosystem::PyPI, name, version);
        p.license = declared_license(&text);
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_headers() {
        let m = "Metadata-Version: 2.1\nName: requests\nVersion: 2.19.0\nLicense: Apache 2.0\n\nName: not-a-header\n";
        let f = PythonInstalled.extract("x/requests-2.19.0.dist-info/METADATA", m.as_bytes()).expect("parses");
        let Fact::Package(p) = &f[0] else { panic!("package") };
        assert_eq!((p.name.as_str(), p.version.as_str(), p.license.as_deref()), ("requests", "2.19.0", Some("Apache 2.0")));
        assert!(PythonInstalled.extract("x", b"garbage").is_err());
        let m = "Name: a\nVersion: 1\nLicense: Copyright (c) 2010 Someone\n        Permission is hereby granted\n\
                 Classifier: License :: OSI Approved :: MIT License\nClassifier: License :: OSI Approved :: Apache Software License\n\
                 Classifier: Programming Language :: Python\n\nClassifier: License :: Not A Header\n";
        assert_eq!(declared_license(m).as_deref(), Some("MIT License AND Apache Software License"));
        let m = "Name: a\nVersion: 1\nLicense-Expression: MIT OR Apache-2.0\nLicense: BSD\n";
        assert_eq!(declared_license(m).as_deref(), Some("MIT OR Apache-2.0"));
        let m = "Name: a\nVersion: 1\nClassifier: License :: OSI Approved\n";
        assert_eq!(declared_license(m), None);
        let m = "Name: a\nVersion: 1\nLicense: SEE LICENSE IN LICENSE.txt\nClassifier: License :: OSI Approved :: MIT License\n";
        assert_eq!(declared_license(m).as_deref(), Some("MIT License"));
        let m = "Name: a\nVersion: 1\nClassifier: License :: Other/Proprietary License\n";
        assert_eq!(declared_license(m).as_deref(), Some("Other/Proprietary License"));
        assert!(PythonInstalled.extract("x", &[0xff, 0xfe, 0x00]).is_err());
    }
}
