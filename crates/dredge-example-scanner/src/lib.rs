//! A trivial scanner, registered only by the test that uses it (`crates/dredge/tests/scanner.rs`)
//! and shown in `docs/architecture.md`: it finds a marker line in files (a content scanner, run in
//! the layer pass beside the secret scanner), packages on a deny list, and an image config that
//! names no user.

use dredge_model::{ContentHit, Fact};
use dredge_scanner::{ContentScanner, Context, Detail, Finding, Place, Scanner, ScannerInfo, Severity};
use std::io::Read;

pub const INFO: ScannerInfo = ScannerInfo {
    id: "example",
    key: "examples",
    title: "Examples",
    rule_name: "Example",
    help: "A demonstration: marker lines, denied packages, a config with no user",
};

/// The line it looks for.
pub const MARKER: &str = "DREDGE-EXAMPLE-MARKER";

pub struct Example {
    /// Package names that are findings.
    pub deny: Vec<String>,
}

impl ContentScanner for Example {
    fn name(&self) -> &'static str {
        "example scanning"
    }
    fn fingerprint(&self) -> String {
        "example@1".into()
    }
    fn max_file_size(&self) -> u64 {
        1 << 20
    }
    fn wants(&self, _path: &str, head: &[u8]) -> bool {
        !head.contains(&0)
    }
    fn scan_bytes(&self, _path: &str, data: &[u8]) -> Vec<Fact> {
        let text = String::from_utf8_lossy(data);
        text.lines()
            .enumerate()
            .filter(|(_, l)| l.contains(MARKER))
            .map(|(i, _)| {
                Fact::Hit(Box::new(ContentHit {
                    scanner: INFO.id.into(),
                    rule: "EXAMPLE-MARKER".into(),
                    title: "A marker line".into(),
                    severity: Severity::Medium,
                    line: i as u32 + 1,
                    evidence: None,
                }))
            })
            .collect()
    }
    fn scan_stream(&self, path: &str, r: &mut dyn Read) -> std::io::Result<Vec<Fact>> {
        let mut data = Vec::new();
        r.take(self.max_file_size()).read_to_end(&mut data)?;
        Ok(self.scan_bytes(path, &data))
    }
}

impl Scanner for Example {
    fn info(&self) -> ScannerInfo {
        INFO
    }
    fn content(&self) -> Option<&dyn ContentScanner> {
        Some(self)
    }
    fn owns(&self, fact: &Fact) -> bool {
        matches!(fact, Fact::Hit(h) if h.scanner == INFO.id)
    }
    fn analyse(&self, cx: &mut Context<'_>) -> anyhow::Result<Option<Vec<Finding>>> {
        let mut out = Vec::new();
        for c in cx.content {
            let Fact::Hit(h) = &c.fact else { continue };
            out.push(Finding {
                scanner: INFO.id,
                rule: h.rule.clone(),
                title: h.title.clone(),
                severity: h.severity,
                place: Place {
                    path: Some(c.path.clone()),
                    line: Some(h.line),
                    layer: cx.layer(c.layer),
                    removed_in: c.removed_in.and_then(|i| cx.layer(i)),
                    ..Place::default()
                },
                remediation: Some("Remove the marker".into()),
                detail: Detail::None,
            });
        }
        for p in cx.report.packages.iter().filter(|p| self.deny.contains(&p.name)) {
            out.push(Finding {
                scanner: INFO.id,
                rule: "EXAMPLE-DENY".into(),
                title: format!("{} is on the deny list", p.name),
                severity: Severity::High,
                place: Place {
                    path: p.location.as_ref().map(|l| l.path.clone()),
                    layer: p.location.as_ref().and_then(|l| l.layer.clone()),
                    package: Some((p.name.clone(), p.version.clone(), p.purl.clone())),
                    ..Place::default()
                },
                remediation: Some(format!("Remove {}", p.name)),
                detail: Detail::None,
            });
        }
        if let Some(config) = cx.config {
            if config["config"]["User"].as_str().unwrap_or("").is_empty() {
                out.push(Finding {
                    scanner: INFO.id,
                    rule: "EXAMPLE-ROOT".into(),
                    title: "The image runs as root".into(),
                    severity: Severity::Low,
                    place: Place { field: Some("config.User".into()), ..Place::default() },
                    remediation: Some("Set USER in the Dockerfile".into()),
                    detail: Detail::None,
                });
            }
        }
        Finding::sort(&mut out);
        Ok(Some(out))
    }
}
