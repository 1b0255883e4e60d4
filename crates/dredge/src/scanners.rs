//! The registered scanners. Adding one is a crate that implements [`dredge_scanner::Scanner`]
//! and one line in [`SCANNERS`]: `--scanners` takes its id, `--help` and `docs/scanners.md` list
//! it, every report format renders its findings, and `--severity`/`--exit-code` gate on them.

use anyhow::Result;
use dredge_model::ScannerInfo;
use dredge_scanner::Scanner;
use std::path::PathBuf;

/// A scanner in the registry: what it is called, and how the command line makes one.
#[derive(Clone, Copy)]
pub struct ScannerDef {
    pub info: ScannerInfo,
    pub build: fn(&Settings) -> Result<Box<dyn Scanner>>,
}

/// What the command line knows that a scanner may need to be built.
#[derive(Default)]
pub struct Settings {
    /// `--secret-config`, else `dredge-secret.yaml` in the current directory when there is one.
    pub secret_config: Option<PathBuf>,
    /// `--misconfig-config`, else `dredge-misconfig.yaml` in the current directory when there is one.
    pub misconfig_config: Option<PathBuf>,
    /// `--policy`: directories (or files) of custom Rego policies.
    pub policy_dirs: Vec<PathBuf>,
    /// `--license-config`, else `dredge-license.yaml` in the current directory when there is one.
    pub license_config: Option<PathBuf>,
    /// `--ignored-licenses`.
    pub ignored_licenses: Vec<String>,
    /// The advisory database and its policy (`--db`, `--offline`, ignore files, VEX ...).
    pub(crate) vuln: Option<crate::cli::VulnSetup>,
}

/// Every built-in scanner, in the order their findings appear in reports.
pub static SCANNERS: &[ScannerDef] = &[
    ScannerDef { info: crate::cli::VULN_INFO, build: crate::cli::vuln_scanner },
    ScannerDef { info: dredge_secret::image::INFO, build: secret_scanner },
    ScannerDef { info: dredge_misconfig::INFO, build: misconfig_scanner },
    ScannerDef { info: dredge_license::INFO, build: license_scanner },
];

fn license_scanner(s: &Settings) -> Result<Box<dyn Scanner>> {
    let default = PathBuf::from("dredge-license.yaml");
    let path = s.license_config.clone().or_else(|| default.is_file().then_some(default));
    let scanner = match path {
        Some(p) => dredge_license::Scanner::from_file(&p)?,
        None => dredge_license::Scanner::builtin(),
    };
    Ok(Box::new(scanner.ignore_licenses(&s.ignored_licenses)?))
}

fn secret_scanner(s: &Settings) -> Result<Box<dyn Scanner>> {
    let default = PathBuf::from("dredge-secret.yaml");
    let path = s.secret_config.clone().or_else(|| default.is_file().then_some(default));
    Ok(Box::new(match path {
        Some(p) => dredge_secret::Scanner::from_file(&p)?,
        None => dredge_secret::Scanner::builtin()?,
    }))
}

fn misconfig_scanner(s: &Settings) -> Result<Box<dyn Scanner>> {
    let default = PathBuf::from("dredge-misconfig.yaml");
    let path = s.misconfig_config.clone().or_else(|| default.is_file().then_some(default));
    let policies = if s.policy_dirs.is_empty() {
        None
    } else {
        Some(dredge_misconfig::rego::Policies::load(&s.policy_dirs, &|id| dredge_misconfig::checks::check(id).is_some())?)
    };
    Ok(Box::new(match path {
        Some(p) => dredge_misconfig::Scanner::from_file(&p, policies)?,
        None => dredge_misconfig::Scanner::with_policies(&dredge_misconfig::Config::default(), "", policies)?,
    }))
}

/// The `--scanners` section of `docs/scanners.md`, generated from the registry (a test keeps the
/// file current).
pub fn markdown(defs: &[ScannerDef]) -> String {
    let mut s = String::from(
        "<!-- generated from crates/dredge/src/scanners.rs by `DREDGE_UPDATE_DOCS=1 cargo test -p dredge --lib`; do not edit -->\n\n| `--scanners` | finds | JSON key |\n|---|---|---|\n",
    );
    for d in defs {
        s.push_str(&format!("| `{}` | {} | `{}` |\n", d.info.id, d.info.help, d.info.key));
    }
    s.push_str("| `none` | nothing: the OS and packages only | |\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scanners_doc_is_generated_from_the_registry() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/scanners.md");
        let how = "DREDGE_UPDATE_DOCS=1 cargo test -p dredge --lib scanners_doc";
        dredge_testkit::check_doc_section(&path, "scanners", &markdown(SCANNERS), how);
    }

    #[test]
    fn ids_and_keys_are_unique() {
        let mut ids: Vec<&str> = SCANNERS.iter().map(|d| d.info.id).collect();
        let mut keys: Vec<&str> = SCANNERS.iter().map(|d| d.info.key).collect();
        ids.sort();
        keys.sort();
        let n = ids.len();
        ids.dedup();
        keys.dedup();
        assert!(ids.len() == n && keys.len() == n && !ids.contains(&"none"));
    }
}
