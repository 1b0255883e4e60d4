//! Misconfigurations: how the image was built and how it will run, judged from its config and
//! build history (no Dockerfile needed). Registered as the `misconfig` scanner; every check has a
//! stable id (`DRG-IMG-001` …), listed with why it matters and how to fix it in `checks.rs` and
//! `docs/misconfig.md`.

pub mod checks;
pub mod history;
mod image;

pub use checks::{CHECKS, Check};
use dredge_model::{Detail, Finding, Place, ScannerInfo, Severity};

pub const INFO: ScannerInfo = ScannerInfo {
    id: "misconfig",
    key: "misconfigurations",
    title: "Misconfigurations",
    rule_name: "Misconfiguration",
    help: "misconfigurations of the image: root user, exposed admin ports, unverified downloads, unpinned or uncleaned installs, sudo, world-writable files, secrets in build args (docs/misconfig.md)",
};

/// The misconfiguration scanner.
#[derive(Debug, Default)]
pub struct Scanner;

/// A finding of `check` at `place`, with what triggered it.
fn finding(c: &Check, place: Place, evidence: Option<String>) -> Finding {
    Finding {
        scanner: INFO.id,
        rule: c.id.to_string(),
        title: c.title.to_string(),
        severity: c.severity,
        place,
        remediation: Some(c.fix.to_string()),
        detail: Detail::Check { description: c.why.to_string(), references: vec![c.reference.to_string()], evidence },
    }
}

impl dredge_scanner::Scanner for Scanner {
    fn info(&self) -> ScannerInfo {
        INFO
    }
    fn analyse(&self, cx: &mut dredge_scanner::Context<'_>) -> anyhow::Result<Option<Vec<Finding>>> {
        let mut out = Vec::new();
        if let Some(config) = cx.config {
            cx.redact.extend(image::redactions(config));
            for (id, field, layer, evidence) in image::check_config(config) {
                let Some(c) = checks::check(id) else { continue };
                let layer = layer.and_then(|i| cx.layer(i));
                out.push(finding(c, Place { field: Some(field), layer, ..Place::default() }, evidence));
            }
        }
        Finding::sort(&mut out);
        Ok(Some(out))
    }
}

/// Severity of a check by id (for tests and docs).
pub fn severity_of(id: &str) -> Option<Severity> {
    checks::check(id).map(|c| c.severity)
}

#[cfg(test)]
mod tests;
