//! OSV range semantics, edge cases.

use super::*;
use dredge_vulndb::Ranges as Affected;
use dredge_vulndb::osv::{Event, Range};

fn ev(kind: &str, v: &str) -> Event {
    let mut e = Event::default();
    match kind {
        "i" => e.introduced = Some(v.into()),
        "f" => e.fixed = Some(v.into()),
        "l" => e.last_affected = Some(v.into()),
        _ => e.limit = Some(v.into()),
    }
    e
}

fn range(events: &[(&str, &str)]) -> Range {
    Range { kind: "ECOSYSTEM".into(), events: events.iter().map(|(k, v)| ev(k, v)).collect() }
}

#[test]
fn introduced_fixed() {
    let r = range(&[("i", "0"), ("f", "1.2-r0")]);
    assert!(in_range(&r, "1.1-r9", Scheme::Apk));
    assert!(!in_range(&r, "1.2-r0", Scheme::Apk));
    assert!(!in_range(&r, "1.2-r1", Scheme::Apk));
}

#[test]
fn last_affected_includes_its_version() {
    let r = range(&[("i", "1.0"), ("l", "1.5")]);
    assert!(!in_range(&r, "0.9", Scheme::Dpkg));
    assert!(in_range(&r, "1.0", Scheme::Dpkg));
    assert!(in_range(&r, "1.5", Scheme::Dpkg));
    assert!(!in_range(&r, "1.5.1", Scheme::Dpkg));
}

#[test]
fn several_windows_in_one_range_and_unsorted_events() {
    // Two windows, written out of order: [1.0, 1.2) and [2.0, 2.3).
    let r = range(&[("f", "2.3"), ("i", "2.0"), ("f", "1.2"), ("i", "1.0")]);
    for (v, want) in
        [("0.5", false), ("1.0", true), ("1.1", true), ("1.2", false), ("1.9", false), ("2.0", true), ("2.2", true), ("2.3", false)]
    {
        assert_eq!(in_range(&r, v, Scheme::Dpkg), want, "{v}");
    }
}

#[test]
fn limit_closes_the_range() {
    let r = range(&[("i", "0"), ("x", "3.0")]);
    assert!(in_range(&r, "2.9", Scheme::Rpm));
    assert!(!in_range(&r, "3.0", Scheme::Rpm));
}

#[test]
fn epochs_and_tildes() {
    let r = range(&[("i", "0"), ("f", "1:2.0-1")]);
    assert!(!in_range(&r, "1:2.0-1", Scheme::Rpm));
    assert!(in_range(&r, "3.0-1", Scheme::Rpm), "no epoch is epoch 0, below 1:");
    let r = range(&[("i", "0"), ("f", "1.0")]);
    assert!(in_range(&r, "1.0~rc1", Scheme::Dpkg));
}

#[test]
fn explicit_versions_and_next_fix() {
    let aff = Affected {
        versions: vec!["1.4".into()],
        ranges: vec![range(&[("i", "0"), ("f", "1.2"), ("i", "1.3"), ("f", "1.5"), ("f", "2.0")])],
        ..Default::default()
    };
    assert!(affects(&aff, "1.4", Scheme::Dpkg).is_some());
    let (m, fixed) = affects(&aff, "1.1", Scheme::Dpkg).expect("affected");
    assert!(m.contains("introduced 0"), "{m}");
    assert_eq!(fixed, vec!["1.2"], "the next fix up");
    assert!(affects(&aff, "1.2", Scheme::Dpkg).is_none());
    // GIT ranges are not evaluated on versions.
    let git = Affected { ranges: vec![Range { kind: "GIT".into(), events: vec![ev("i", "0")] }], ..Default::default() };
    assert!(affects(&git, "1.0", Scheme::Dpkg).is_none());
}

#[test]
fn distro_ecosystem_names() {
    let os = |id: &str, v: &str| OsInfo { id: id.into(), version_id: Some(v.into()), ..Default::default() };
    assert_eq!(os_ecosystems(&os("alpine", "3.9.6")), vec!["Alpine:v3.9"]);
    assert_eq!(os_ecosystems(&os("debian", "12")), vec!["Debian:12"]);
    assert_eq!(os_ecosystems(&os("ubuntu", "22.04"))[0], "Ubuntu:22.04:LTS");
    // As OSV's Photon OS records name it ("Photon OS:4.0").
    assert_eq!(os_ecosystems(&os("photon", "4.0")), vec!["Photon OS:4.0"]);
    assert_eq!(os_ecosystems(&os("photon", "5")), vec!["Photon OS:5.0"]);
    assert_eq!(os_ecosystems(&os("almalinux", "9.3")), vec!["AlmaLinux:9"]);
}

fn finding(id: &str, aliases: &[&str], purl: &str) -> Vulnerability {
    Vulnerability {
        id: id.into(),
        aliases: aliases.iter().map(|s| s.to_string()).collect(),
        related: vec![],
        package: "musl".into(),
        ecosystem: dredge_model::Ecosystem::Apk,
        installed: "1.1.20-r4".into(),
        arch: None,
        purl: purl.into(),
        fixed_versions: vec![],
        status: Status::Fixed,
        severity: Severity::Unknown,
        severity_source: "none".into(),
        title: String::new(),
        references: vec![],
        location: None,
        found_at: None,
        origin: dredge_model::Origin::Installed,
        dev: false,
        direct: None,
        why: Why {
            ecosystem: String::new(),
            package: String::new(),
            version: String::new(),
            scheme: "apk",
            matched: String::new(),
            records: vec![],
        },
    }
}

#[test]
fn ignore_file_with_expiry_and_unused_entries() {
    use suppress::*;
    let f = IgnoreFile::parse(
        "ignore:\n  - id: CVE-1\n    reason: r\n  - id: GHSA-x\n    purl: pkg:apk/alpine/musl\n    expires: 2030-01-01\n    justification: vulnerable_code_not_present\n  - id: CVE-3\n    expires: 2020-01-01\n  - purl: pkg:apk/alpine/zlib\n",
    )
    .expect("valid");
    let purl = "pkg:apk/alpine/musl@1.1.20-r4?arch=x86_64&distro=alpine-3.9.6";
    let (kept, ignored, warnings) = apply_ignores(
        vec![finding("CVE-1", &[], purl), finding("CVE-2", &["GHSA-x"], purl), finding("CVE-3", &[], purl), finding("CVE-4", &[], purl)],
        &f,
        ".dredgeignore",
        "2026-11-29",
    );
    // What each entry states, for OpenVEX: the reason as the impact, or the justification alone.
    let said: Vec<_> = ignored
        .iter()
        .map(|s| (s.vulnerability.id.as_str(), s.status.as_str(), s.justification.as_deref(), s.impact_statement.as_deref(), s.by.as_str()))
        .collect();
    assert_eq!(
        said,
        vec![
            ("CVE-1", "not_affected", None, Some("r"), ".dredgeignore entry 1"),
            ("CVE-2", "not_affected", Some("vulnerable_code_not_present"), None, ".dredgeignore entry 2")
        ]
    );
    assert_eq!(kept.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(), vec!["CVE-3", "CVE-4"]);
    assert!(warnings.iter().any(|w| w.contains("expired on 2020-01-01")), "{warnings:?}");
    assert!(warnings.iter().any(|w| w.contains("pkg:apk/alpine/zlib") && w.contains("matched no finding")), "{warnings:?}");
    assert!(IgnoreFile::parse("ignore:\n  - reason: nothing to match\n").is_err());
    assert!(IgnoreFile::parse("ignore:\n  - id: X\n    expires: tomorrow\n").is_err());
    assert!(IgnoreFile::parse("ignore:\n  - id: X\n    typo: 1\n").is_err());
    assert!(IgnoreFile::parse("ignore:\n  - id: X\n    justification: we_checked\n").unwrap_err().contains("we_checked"));
}

#[test]
fn openvex_not_affected() {
    use suppress::*;
    let purl = "pkg:apk/alpine/musl@1.1.20-r4?arch=x86_64";
    let vex = Vex::parse(
        r#"{"@context":"https://openvex.dev/ns/v0.2.0","statements":[
            {"vulnerability":{"name":"CVE-1"},"products":[{"@id":"pkg:oci/app","subcomponents":[{"@id":"pkg:apk/alpine/musl@1.1.20-r4"}]}],"status":"not_affected","justification":"vulnerable_code_not_in_execute_path"},
            {"vulnerability":"CVE-2","products":["pkg:apk/alpine/zlib"],"status":"not_affected"},
            {"vulnerability":{"name":"CVE-3"},"products":[{"@id":"pkg:oci/app"}],"status":"under_investigation"},
            {"vulnerability":{"name":"CVE-4"},"products":[{"@id":"pkg:oci/app"}],"status":"fixed"}]}"#,
    )
    .expect("valid");
    let (kept, suppressed) = apply_vex(
        vec![finding("CVE-1", &[], purl), finding("CVE-2", &[], purl), finding("CVE-3", &[], purl), finding("X", &["CVE-4"], purl)],
        &[("team.vex.json".into(), vex)],
    );
    let said: Vec<_> =
        suppressed.iter().map(|s| (s.vulnerability.id.as_str(), s.status.as_str(), s.justification.as_deref(), s.by.as_str())).collect();
    assert_eq!(
        said,
        vec![
            ("CVE-1", "not_affected", Some("vulnerable_code_not_in_execute_path"), "VEX team.vex.json"),
            ("X", "fixed", None, "VEX team.vex.json")
        ]
    );
    assert_eq!(kept.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(), vec!["CVE-2", "CVE-3"]);
    assert!(Vex::parse("{").is_err());
}

/// Every OSV ecosystem dredge can ask the database for is either downloaded by default or
/// named here as not published by OSV; every default is an ecosystem of the OSV schema.
#[test]
fn default_sources_cover_every_matched_ecosystem_with_osv_names() {
    let osv: std::collections::BTreeSet<String> =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/osv-ecosystems.txt"))
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|l| l.trim().to_string())
            .collect();
    // Not ecosystems of the OSV schema (1.6.8): matched when a database carries them, never
    // downloaded by default.
    // Not OSV ecosystems: from the distributions' own feeds (downloaded by default too), or
    // (Julia) matched when a database carries them.
    let feeds: Vec<&str> = dredge_vulndb::update::DEFAULT_FEEDS.iter().map(|(_, e, _)| *e).collect();
    assert_eq!(feeds.iter().collect::<std::collections::BTreeSet<_>>().len(), 4);
    let not_in_osv: Vec<&str> = feeds.iter().copied().chain(["Julia"]).collect();
    let os = |id: &str, v: &str| OsInfo { id: id.into(), version_id: Some(v.into()), ..Default::default() };
    let mut used: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    for id in OS_IDS {
        for e in os_ecosystems(&os(id, "9.3")) {
            used.insert(e.split(':').next().unwrap().to_string());
        }
    }
    for e in dredge_model::Ecosystem::ALL {
        if let Some(n) = e.osv_name() {
            used.insert(n.to_string());
        }
    }
    let defaults: std::collections::BTreeSet<String> = dredge_vulndb::update::DEFAULT_ECOSYSTEMS.iter().map(|s| s.to_string()).collect();
    for e in &defaults {
        assert!(osv.contains(e), "default {e:?} is not an OSV ecosystem name");
    }
    for e in &used {
        assert!(defaults.contains(e) || not_in_osv.contains(&e.as_str()), "{e:?} is matched but not downloaded by default");
    }
    assert!(defaults.iter().all(|d| used.contains(d)), "every default is one dredge matches");
    assert_eq!(
        dredge_vulndb::update::osv_export_url("Rocky Linux"),
        "https://osv-vulnerabilities.storage.googleapis.com/Rocky%20Linux/all.zip"
    );
}

#[test]
fn feed_entries_apply_to_their_arches_and_build_flavour_only() {
    let osv = Affected::default();
    assert!(osv.applies_to(Some("aarch64"), "1:1.1.1g-15.el8_3") && osv.applies_to(None, "2:1.1.1g-15.ksplice1.el8_3"));
    let x86 = Affected { arches: vec!["x86_64".into()], flavor: Some("normal".into()), ..Default::default() };
    assert!(x86.applies_to(Some("x86_64"), "8.24.0-57.0.2.el7_9.3"));
    assert!(!x86.applies_to(Some("aarch64"), "8.24.0-57.0.2.el7_9.3"));
    assert!(x86.applies_to(Some("noarch"), "1.0-1.el7"), "noarch packages are any machine's");
    assert!(!x86.applies_to(Some("x86_64"), "2:1.1.1g-14.ksplice1.el8_3"), "a Ksplice build is another line");
    let ks = Affected { flavor: Some("ksplice".into()), ..Default::default() };
    assert!(ks.applies_to(Some("x86_64"), "2:1.1.1g-14.ksplice1.el8_3"));
    assert!(!ks.applies_to(Some("x86_64"), "1:1.1.1g-15.el8_3"));
    let fips = Affected { flavor: Some("fips".into()), ..Default::default() };
    assert!(fips.applies_to(None, "10:3.6.16-4.0.1.el8_fips") && !fips.applies_to(None, "3.6.16-4.el8"));
}

#[test]
fn newly_detected_distributions_map_to_osv_ecosystem_names() {
    // (ID, VERSION_ID, PRETTY_NAME) as the os-release files in testdata/os-release say.
    let os = |id: &str, v: &str, pretty: Option<&str>| OsInfo {
        id: id.into(),
        version_id: Some(v.into()),
        pretty_name: pretty.map(str::to_string),
        ..Default::default()
    };
    let cases = [
        (os("openEuler", "22.03", Some("openEuler 22.03 (LTS-SP3)")), "openEuler:22.03-LTS-SP3"),
        (os("openEuler", "24.03", Some("openEuler 24.03 (LTS SP1)")), "openEuler:24.03-LTS-SP1"),
        (os("openEuler", "24.03", Some("openEuler 24.03 (LTS)")), "openEuler:24.03-LTS"),
        (os("openEuler", "24.09", Some("openEuler 24.09")), "openEuler:24.09"),
        (os("openEuler", "22.03", None), "openEuler:22.03"),
        (os("mageia", "9", Some("Mageia 9")), "Mageia:9"),
        (os("minimos", "20241031", Some("MinimOS")), "MinimOS"),
        (os("echo", "1", None), "Echo"),
        (os("alpaquita", "stream", None), "Alpaquita:stream"),
        (os("bellsoft-hardened-containers", "stream", None), "BellSoft Hardened Containers:stream"),
        (os("amzn", "2018.03", None), "Amazon Linux:1"),
        (os("amzn", "2", None), "Amazon Linux:2"),
        (os("amzn", "2023", None), "Amazon Linux:2023"),
        (os("ol", "8.10", None), "Oracle Linux:8"),
    ];
    for (o, want) in cases {
        assert_eq!(os_ecosystems(&o), vec![want.to_string()], "{o:?}");
    }
}

#[test]
fn a_record_named_after_its_upstream_cve_is_reported_under_the_cve() {
    // Ubuntu's and Debian's per-CVE records (`UBUNTU-CVE-2019-14697`) name the CVE only as
    // `upstream`: the finding carries the CVE as its id, the record's id as an alias.
    let dir = tempfile::tempdir().unwrap();
    let rec = serde_json::json!({"id": "UBUNTU-CVE-2024-0001", "upstream": ["CVE-2024-0001"], "related": ["USN-1-1"],
        "affected": [{"package": {"ecosystem": "PyPI", "name": "demo"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0"}]}]}]});
    std::fs::write(dir.path().join("r.json"), rec.to_string()).unwrap();
    let spec = dredge_vulndb::SourceSpec { location: "r".into(), path: dir.path().join("r.json"), etag: None, last_modified: None };
    let (_, _) = dredge_vulndb::build(&dir.path().join("db"), &[spec], "2026-01-01T00:00:00Z").unwrap();
    let db = Db::open(&dir.path().join("db")).unwrap();
    let inv = Inventory { packages: vec![Package::new(Ecosystem::PyPI, "demo", "1.0")], ..Default::default() };
    let r = match_inventory(&inv, &db).unwrap();
    assert_eq!(r.findings.len(), 1);
    let f = &r.findings[0];
    assert_eq!(
        (f.id.as_str(), f.aliases.clone(), f.related.clone()),
        ("CVE-2024-0001", vec!["UBUNTU-CVE-2024-0001".to_string()], vec!["USN-1-1".to_string()])
    );
}
