//! The renderers need nothing of the advisory database or the network (issue 12): dredge-report
//! depends on dredge-model for the findings it renders, not on the matcher.
#![allow(clippy::panic, clippy::unwrap_used)]

#[test]
fn dredge_report_is_free_of_database_and_network_crates() {
    let out = std::process::Command::new(env!("CARGO"))
        .args(["tree", "-p", "dredge-report", "-e", "normal", "--prefix", "none", "--offline"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let tree = String::from_utf8_lossy(&out.stdout);
    let names: std::collections::BTreeSet<&str> = tree.lines().filter_map(|l| l.split_whitespace().next()).collect();
    for heavy in ["rusqlite", "ureq", "rustls", "ring", "zip", "dredge-vulndb", "dredge-match"] {
        assert!(!names.contains(heavy), "dredge-report pulls in {heavy}");
    }
    assert!(names.contains("dredge-model"), "{tree}");
}
