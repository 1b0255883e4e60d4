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
    let rows: Vec<[String; 5]> = r
        .packages
        .iter()
        .map(|p| {
            let layer = p.location.as_ref().and_then(|l| l.layer.as_ref()).map(|l| l.index.to_string()).unwrap_or_else(|| "-".into());
            [p.name.clone(), p.version.clone(), p.ecosystem.purl_type().to_string(), p.arch.clone().unwrap_or_default(), layer]
        })
        .collect();
    let head = ["NAME", "VERSION", "TYPE", "ARCH", "LAYER"];
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
    out
}
