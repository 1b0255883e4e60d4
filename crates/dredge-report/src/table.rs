//! A plain table for people: readable without colour, one package per line.

use crate::ScanReport;
use std::fmt::Write;

pub fn to_table(r: &ScanReport) -> String {
    let mut out = String::new();
    let t = &r.target;
    let _ = writeln!(out, "{} ({}{})", t.name, t.source, t.platform.as_ref().map(|p| format!(", {p}")).unwrap_or_default());
    if let Some(os) = &r.os {
        let _ = writeln!(
            out,
            "OS: {}{}",
            os.pretty_name.clone().unwrap_or_else(|| format!("{} {}", os.id, os.version_id.as_deref().unwrap_or(""))),
            os.end_of_life.as_ref().map(|d| format!(" (end of life since {d})")).unwrap_or_default()
        );
    } else {
        let _ = writeln!(out, "OS: not detected");
    }
    if let Some(v) = &r.vulnerabilities {
        vulnerabilities(&mut out, r, v);
        if let Some(s) = &r.secrets {
            secrets(&mut out, s);
        }
        return out;
    }
    let rows: Vec<[String; 6]> = r
        .packages
        .iter()
        .map(|p| {
            let layer = p.location.as_ref().and_then(|l| l.layer.as_ref()).map(|l| l.index.to_string()).unwrap_or_else(|| "-".into());
            let from = found_in(p.ecosystem, p.found_at(), p.origin, p.dev);
            [p.name.clone(), p.version.clone(), p.ecosystem.purl_type().to_string(), p.arch.clone().unwrap_or_default(), layer, from]
        })
        .collect();
    let head = ["NAME", "VERSION", "TYPE", "ARCH", "LAYER", "FOUND IN"];
    let mut w = head.map(str::len);
    for row in &rows {
        for (i, c) in row.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let line = |cells: &[&str]| {
        cells.iter().enumerate().map(|(i, c)| format!("{c:<width$}", width = w[i])).collect::<Vec<_>>().join("  ").trim_end().to_string()
    };
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", line(&head));
    for row in &rows {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        let _ = writeln!(out, "{}", line(&cells));
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "{} packages", r.packages.len());
    for n in &r.notes {
        let _ = writeln!(out, "Note: {n}");
    }
    if let Some(s) = &r.secrets {
        secrets(&mut out, s);
    }
    out
}

/// Where a language package was found, and how (`/app/package-lock.json (lockfile, dev)`); OS
/// packages come from the package database and show nothing.
fn found_in(eco: dredge_model::Ecosystem, at: Option<String>, origin: dredge_model::Origin, dev: bool) -> String {
    if eco.is_os() {
        return String::new();
    }
    let path = at.unwrap_or_else(|| "-".into());
    let mut tags = Vec::new();
    if origin != dredge_model::Origin::Installed {
        tags.push(origin.as_str());
    }
    if dev {
        tags.push("dev");
    }
    if tags.is_empty() { path.to_string() } else { format!("{path} ({})", tags.join(", ")) }
}

/// Columns laid out by their widest cell; the last column is not padded.
fn grid(out: &mut String, head: &[&str], rows: &[Vec<String>]) {
    let mut w: Vec<usize> = head.iter().map(|h| h.len()).collect();
    for row in rows {
        for (i, c) in row.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        cells.iter().enumerate().map(|(i, c)| format!("{c:<width$}", width = w[i])).collect::<Vec<_>>().join("  ").trim_end().to_string()
    };
    let _ = writeln!(out, "{}", line(head.to_vec()));
    for row in rows {
        let _ = writeln!(out, "{}", line(row.iter().map(String::as_str).collect()));
    }
}

fn secrets(out: &mut String, s: &[crate::SecretFinding]) {
    let _ = writeln!(out);
    let count = |sev: &str| s.iter().filter(|f| f.severity == sev).count();
    let _ = writeln!(
        out,
        "Secrets: {} (UNKNOWN: {}, LOW: {}, MEDIUM: {}, HIGH: {}, CRITICAL: {})",
        s.len(),
        count("UNKNOWN"),
        count("LOW"),
        count("MEDIUM"),
        count("HIGH"),
        count("CRITICAL")
    );
    if s.is_empty() {
        return;
    }
    let _ = writeln!(out);
    let rows: Vec<Vec<String>> = s
        .iter()
        .map(|f| {
            let layer = f.layer.as_ref().map(|l| l.index.to_string()).unwrap_or_else(|| "-".into());
            let removed = f.removed_in.as_ref().map(|l| format!("removed in layer {}", l.index)).unwrap_or_default();
            let what = match &f.name {
                Some(n) => format!("{n}={}", f.redacted),
                None => f.redacted.clone(),
            };
            vec![f.severity.clone(), f.rule.clone(), format!("{}:{}", f.path, f.line), layer, what, removed]
        })
        .collect();
    grid(out, &["SEVERITY", "RULE", "WHERE", "LAYER", "MATCH", "NOTE"], &rows);
}

fn vulnerabilities(out: &mut String, r: &ScanReport, v: &[dredge_match::Finding]) {
    let counts = dredge_match::counts(v);
    let summary: Vec<String> = [
        dredge_match::Severity::Unknown,
        dredge_match::Severity::Low,
        dredge_match::Severity::Medium,
        dredge_match::Severity::High,
        dredge_match::Severity::Critical,
    ]
    .iter()
    .map(|s| format!("{}: {}", s.as_str(), counts.get(s).copied().unwrap_or(0)))
    .collect();
    let _ = writeln!(out);
    let _ = writeln!(out, "Total: {} ({})", v.len(), summary.join(", "));
    if let Some(db) = &r.database {
        let _ = writeln!(
            out,
            "Checked {} of {} packages against {} advisories ({})",
            db.packages_checked,
            r.packages.len(),
            db.advisories,
            db.path
        );
    }
    for n in &r.notes {
        let _ = writeln!(out, "Note: {n}");
    }
    if v.is_empty() {
        return;
    }
    let _ = writeln!(out);
    let rows: Vec<Vec<String>> = v
        .iter()
        .map(|f| {
            let mut title: String = f.title.chars().take(60).collect();
            if f.title.chars().count() > 60 {
                title.push_str("...");
            }
            vec![
                f.package.clone(),
                f.id.clone(),
                f.severity.as_str().to_string(),
                match f.status {
                    dredge_match::Status::Fixed => "fixed".to_string(),
                    dredge_match::Status::Affected => "affected".to_string(),
                },
                f.installed.clone(),
                f.fixed_versions.join(", "),
                f.location.as_ref().and_then(|l| l.layer.as_ref()).map(|l| l.index.to_string()).unwrap_or_else(|| "-".into()),
                title,
                found_in(f.ecosystem, f.found_at.clone(), f.origin, f.dev),
            ]
        })
        .collect();
    grid(out, &["PACKAGE", "VULNERABILITY", "SEVERITY", "STATUS", "INSTALLED", "FIXED", "LAYER", "TITLE", "FOUND IN"], &rows);
}
