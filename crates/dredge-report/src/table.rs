//! A plain table for people: readable without colour, one package per line.

use crate::ScanReport;
use dredge_model::{Detail, Finding, Severity, Vulnerability};
use std::fmt::Write;

/// The report as text tables, as wide as the data needs.
pub fn to_table(r: &ScanReport) -> String {
    to_table_width(r, None)
}

/// The report as text tables at most `width` columns wide (a terminal's): long cells are cut
/// with an ellipsis, wide columns shrink, and lower-value columns are left out on narrow
/// terminals. Every value stays in the JSON report.
pub fn to_table_width(r: &ScanReport, width: Option<usize>) -> String {
    let mut out = String::new();
    let t = &r.target;
    para(&mut out, &format!("{} ({}{})", t.name, t.source, t.platform.as_ref().map(|p| format!(", {p}")).unwrap_or_default()), width);
    if t.kind == "config" {
        // Configuration files: no OS, no packages; the findings only.
        other_findings(&mut out, r, width);
        return out;
    }
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
    if let Some(v) = r.vulnerabilities() {
        vulnerabilities(&mut out, r, &v, width);
        other_findings(&mut out, r, width);
        return out;
    }
    let rows: Vec<Vec<String>> = r
        .packages
        .iter()
        .map(|p| {
            let layer = p.location.as_ref().and_then(|l| l.layer.as_ref()).map(|l| l.index.to_string()).unwrap_or_else(|| "-".into());
            let from = found_in(p.ecosystem, p.found_at(), p.origin, p.dev);
            vec![p.name.clone(), p.version.clone(), p.ecosystem.purl_type().to_string(), p.arch.clone().unwrap_or_default(), layer, from]
        })
        .collect();
    let _ = writeln!(out);
    let cols = [
        Col::keep("NAME", 12),
        Col::keep("VERSION", 10),
        Col::drop("TYPE", 2),
        Col::drop("ARCH", 3),
        Col::drop("LAYER", 4),
        Col::flex("FOUND IN", 16, 1),
    ];
    grid(&mut out, &cols, &rows, width);
    let _ = writeln!(out);
    let _ = writeln!(out, "{} packages", r.packages.len());
    for n in &r.notes {
        para(&mut out, &format!("Note: {n}"), width);
    }
    other_findings(&mut out, r, width);
    out
}

/// A section per scanner other than vulnerabilities (which have theirs, by package).
fn other_findings(out: &mut String, r: &ScanReport, width: Option<usize>) {
    for sc in r.scanned.iter().filter(|s| s.id != "vuln") {
        let f: Vec<&Finding> = r.findings.iter().filter(|f| f.scanner == sc.id).collect();
        findings(out, sc.title, &f, width);
    }
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

/// A column: its heading, how narrow it may get, and whether (and how early) it may be left
/// out when the terminal is too narrow (higher `drop` goes first; 0 never).
struct Col {
    head: &'static str,
    min: usize,
    drop: u8,
    flex: bool,
}

impl Col {
    fn keep(head: &'static str, min: usize) -> Col {
        Col { head, min, drop: 0, flex: false }
    }
    fn drop(head: &'static str, drop: u8) -> Col {
        Col { head, min: head.len(), drop, flex: false }
    }
    fn flex(head: &'static str, min: usize, drop: u8) -> Col {
        Col { head, min, drop, flex: true }
    }
}

/// A line of prose, wrapped at word boundaries to `width` (continuation lines indented).
fn para(out: &mut String, text: &str, width: Option<usize>) {
    let Some(max) = width else {
        let _ = writeln!(out, "{text}");
        return;
    };
    let mut line = String::new();
    for word in text.split(' ') {
        let len = line.chars().count();
        if len > 0 && len + 1 + word.chars().count() > max {
            let _ = writeln!(out, "{}", line.trim_end());
            line = format!("  {}", cut(word, max.saturating_sub(2)));
            continue;
        }
        if len > 0 {
            line.push(' ');
        }
        line.push_str(&cut(word, max));
    }
    let _ = writeln!(out, "{}", line.trim_end());
}

/// `s` cut to `w` characters, with an ellipsis when something was cut.
fn cut(s: &str, w: usize) -> String {
    if s.chars().count() <= w {
        return s.to_string();
    }
    let mut t: String = s.chars().take(w.saturating_sub(1)).collect();
    t.push('…');
    t
}

/// Lays out columns by their widest cell. With a width: flexible columns shrink first, then
/// columns are left out by their `drop` order, then every column is cut to fit. The last column
/// is not padded.
fn grid(out: &mut String, cols: &[Col], rows: &[Vec<String>], width: Option<usize>) {
    let rows: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(|c| crate::printable(c)).collect()).collect();
    let rows = rows.as_slice();
    let n = cols.len();
    // No cell is wider than this even without a terminal (a 70 KB license expression is cut).
    const WIDEST: usize = 1024;
    let natural: Vec<usize> = (0..n)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0).max(cols[i].head.chars().count()).min(WIDEST))
        .collect();
    let mut shown = vec![true; n];
    let mut w = natural.clone();
    if let Some(max) = width {
        // Columns with nothing in them say nothing on a narrow terminal.
        for i in 0..n {
            if cols[i].drop > 0 && rows.iter().all(|r| r[i].is_empty() || r[i] == "-") {
                shown[i] = false;
            }
        }
        let total = |w: &[usize], shown: &[bool]| {
            let k = shown.iter().filter(|s| **s).count();
            w.iter().zip(shown).filter(|(_, s)| **s).map(|(w, _)| *w).sum::<usize>() + 2 * k.saturating_sub(1)
        };
        loop {
            w.clone_from(&natural);
            // Shrink the widest flexible column, one character at a time, down to its minimum.
            while total(&w, &shown) > max {
                let pick = (0..n).filter(|&i| shown[i] && cols[i].flex && w[i] > cols[i].min).max_by_key(|&i| w[i]);
                match pick {
                    Some(i) => w[i] -= 1,
                    None => break,
                }
            }
            if total(&w, &shown) <= max {
                break;
            }
            let victim = (0..n).filter(|&i| shown[i] && cols[i].drop > 0).max_by_key(|&i| cols[i].drop);
            match victim {
                Some(i) => shown[i] = false,
                None => {
                    // Still too wide: cut every column, the widest first, down to 3 characters.
                    while total(&w, &shown) > max {
                        let Some(i) = (0..n).filter(|&i| shown[i] && w[i] > 3).max_by_key(|&i| w[i]) else { break };
                        w[i] -= 1;
                    }
                    break;
                }
            }
        }
    }
    let line = |cells: Vec<&str>| {
        cells
            .iter()
            .enumerate()
            .filter(|(i, _)| shown[*i])
            .map(|(i, c)| {
                // Padded by hand: `{:<width$}` takes widths up to 65,535 only.
                let c = cut(c, w[i]);
                let pad = w[i].saturating_sub(c.chars().count());
                format!("{c}{}", " ".repeat(pad))
            })
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let _ = writeln!(out, "{}", line(cols.iter().map(|c| c.head).collect()));
    for row in rows {
        let _ = writeln!(out, "{}", line(row.iter().map(String::as_str).collect()));
    }
}

fn findings(out: &mut String, title: &str, s: &[&Finding], width: Option<usize>) {
    let _ = writeln!(out);
    let counts = dredge_model::counts(s.iter().copied());
    let count = |sev: Severity| counts.get(&sev).copied().unwrap_or(0);
    let line = format!(
        "{title}: {} (UNKNOWN: {}, LOW: {}, MEDIUM: {}, HIGH: {}, CRITICAL: {})",
        s.len(),
        count(Severity::Unknown),
        count(Severity::Low),
        count(Severity::Medium),
        count(Severity::High),
        count(Severity::Critical)
    );
    para(out, &line, width);
    if s.is_empty() {
        return;
    }
    let _ = writeln!(out);
    let rows: Vec<Vec<String>> = s
        .iter()
        .map(|f| {
            let layer = f.place.layer.as_ref().map(|l| l.index.to_string()).unwrap_or_else(|| "-".into());
            let mut removed = f.place.removed_in.as_ref().map(|l| format!("removed in layer {}", l.index)).unwrap_or_default();
            if let Detail::Check { evidence: Some(e), .. } = &f.detail {
                removed = if removed.is_empty() { e.clone() } else { format!("{e}; {removed}") };
            }
            let what = match &f.detail {
                Detail::Secret { redacted, name: Some(n) } => format!("{n}={redacted}"),
                Detail::Secret { redacted, name: None } => redacted.clone(),
                _ => f.title.clone(),
            };
            vec![f.severity.as_str().to_string(), f.rule.clone(), f.where_(), layer, what, removed]
        })
        .collect();
    let detail = if s.iter().all(|f| matches!(f.detail, Detail::Secret { .. })) { "MATCH" } else { "DETAIL" };
    let cols = [
        Col::keep("SEVERITY", 8),
        // License expressions run long: the rule column gives way on a narrow terminal.
        Col::flex("RULE", 12, 0),
        Col::flex("WHERE", 16, 0),
        Col::drop("LAYER", 3),
        Col::flex(detail, 10, 2),
        Col::flex("NOTE", 10, 4),
    ];
    grid(out, &cols, &rows, width);
}

fn vulnerabilities(out: &mut String, r: &ScanReport, v: &[&Vulnerability], width: Option<usize>) {
    let counts = dredge_model::counts(r.findings.iter().filter(|f| f.scanner == "vuln"));
    let summary: Vec<String> = [
        dredge_model::Severity::Unknown,
        dredge_model::Severity::Low,
        dredge_model::Severity::Medium,
        dredge_model::Severity::High,
        dredge_model::Severity::Critical,
    ]
    .iter()
    .map(|s| format!("{}: {}", s.as_str(), counts.get(s).copied().unwrap_or(0)))
    .collect();
    let _ = writeln!(out);
    para(out, &format!("Total: {} ({})", v.len(), summary.join(", ")), width);
    if let Some(db) = &r.database {
        let text =
            format!("Checked {} of {} packages against {} advisories ({})", db.packages_checked, r.packages.len(), db.advisories, db.path);
        para(out, &text, width);
    }
    for n in &r.notes {
        para(out, &format!("Note: {n}"), width);
    }
    if v.is_empty() {
        return;
    }
    let _ = writeln!(out);
    let rows: Vec<Vec<String>> = v
        .iter()
        .map(|f| {
            // Whole without a width (files, pipes); with one, it takes the room there is.
            let title = f.title.clone();
            vec![
                f.package.clone(),
                f.id.clone(),
                f.severity.as_str().to_string(),
                match f.status {
                    dredge_model::Status::Fixed => "fixed".to_string(),
                    dredge_model::Status::Affected => "affected".to_string(),
                },
                f.installed.clone(),
                f.fixed_versions.join(", "),
                f.location.as_ref().and_then(|l| l.layer.as_ref()).map(|l| l.index.to_string()).unwrap_or_else(|| "-".into()),
                title,
                found_in(f.ecosystem, f.found_at.clone(), f.origin, f.dev),
            ]
        })
        .collect();
    let cols = [
        Col::keep("PACKAGE", 10),
        Col::keep("VULNERABILITY", 13),
        Col::keep("SEVERITY", 8),
        Col::drop("STATUS", 5),
        Col::flex("INSTALLED", 9, 0),
        Col::flex("FIXED", 9, 0),
        Col::drop("LAYER", 6),
        Col::flex("TITLE", 24, 3),
        Col::flex("FOUND IN", 16, 4),
    ];
    grid(out, &cols, &rows, width);
}
