//! Real images built from ../shared/fixtures by umoci and skopeo, read through every local source,
//! with package lists equal to the oracles (apk's installed DB, dpkg-query).
#![allow(clippy::panic, clippy::unwrap_used)]

mod common;
use common::*;

fn cache() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

fn scan(args: &[&str]) -> serde_json::Value {
    let c = cache();
    let mut a = vec!["image", "--format", "json", "--image-src", "registry"];
    a.extend_from_slice(args);
    dredge_in(c.path(), &a).ok().json()
}

fn img(name: &str) -> String {
    images().join(name).display().to_string()
}

#[test]
fn alpine_39_from_every_local_source_equals_the_installed_db() {
    let expected = tsv(&images().join("expected/alpine-3.9.tsv"));
    assert_eq!(expected.len(), 14);
    for target in [
        format!("docker-archive:{}", img("alpine-3.9.docker.tar")),
        img("alpine-3.9.docker.tar"),
        img("alpine-3.9.docker.tar.gz"),
        img("alpine-3.9.gzlayers.docker.tar"),
        img("alpine-3.9.oci.tar"),
        format!("oci-dir:{}:alpine-3.9", img("oci")),
        format!("oci-archive:{}:alpine-3.9", img("multi.oci.tar")),
    ] {
        let r = scan(&[&target]);
        assert_eq!(name_versions(&r), expected, "{target}");
        assert_eq!(r["os"]["id"], "alpine", "{target}");
        assert_eq!(r["os"]["version_id"], "3.9.6", "{target}");
        assert_eq!(r["os"]["end_of_life"], "2020-11-01", "{target}");
        let p = &r["packages"][0];
        assert!(p["purl"].as_str().unwrap_or("").starts_with("pkg:apk/alpine/"), "{target}: {p}");
        assert!(p["purl"].as_str().unwrap_or("").contains("distro=alpine-3.9.6"), "{target}: {p}");
        assert_eq!(p["location"]["path"], "/lib/apk/db/installed");
        assert_eq!(p["location"]["layer"]["index"], 0);
        assert_eq!(p["location"]["layer"]["created_by"], "ADD alpine-minirootfs-3.9.6-x86_64.tar.gz /", "{target}");
    }
}

#[test]
fn input_flag_detects_the_kind() {
    let c = cache();
    let r = dredge_in(c.path(), &["sbom", "--input", &img("alpine-3.9.oci.tar"), "--format", "json"]).ok().json();
    assert_eq!(r["target"]["source"], "oci-archive");
    let r = dredge_in(c.path(), &["sbom", "--input", &img("alpine-3.9.docker.tar"), "--format", "json"]).ok().json();
    assert_eq!(r["target"]["source"], "docker-archive");
    // skopeo writes the tag in its canonical form.
    assert_eq!(r["target"]["tags"][0], "docker.io/dredge-test/alpine:3.9");
}

#[test]
fn a_package_removed_in_a_later_layer_is_gone() {
    let r = scan(&[&img("alpine-3.19-multi.docker.tar")]);
    let got = name_versions(&r);
    assert_eq!(got, tsv(&images().join("expected/alpine-3.19-multi.tsv")));
    assert!(!got.iter().any(|p| p.starts_with("libc-utils\t")));
    assert_eq!(r["target"]["layers"].as_array().map(|a| a.len()), Some(3));
    // The database was rewritten by layer 1: every package now comes from it.
    assert_eq!(r["packages"][0]["location"]["layer"]["index"], 1);
    assert_eq!(r["packages"][0]["location"]["layer"]["created_by"], "RUN apk del libc-utils");
}

#[test]
fn multi_arch_index_picks_the_platform() {
    let layout = img("oci");
    let amd = tsv(&images().join("expected/alpine-3.20-amd64.tsv"));
    let arm = tsv(&images().join("expected/alpine-3.20-arm64.tsv"));
    let r = scan(&[&format!("oci-dir:{layout}:alpine-3.20"), "--platform", "linux/amd64"]);
    assert_eq!(name_versions(&r), amd);
    assert_eq!(r["target"]["platform"], "linux/amd64");
    assert!(r["packages"][0]["arch"] == "x86_64");
    let r = scan(&[&format!("oci-dir:{layout}:alpine-3.20"), "--platform", "linux/arm64"]);
    assert_eq!(name_versions(&r), arm);
    assert_eq!(r["packages"][0]["arch"], "aarch64");
    // An index nested in an index, and the multi-image OCI archive.
    let r = scan(&[&format!("oci-dir:{layout}:nested"), "--platform", "linux/arm64/v8"]);
    assert_eq!(r["target"]["platform"], "linux/arm64");
    assert_eq!(name_versions(&r), arm);
    let r = scan(&[&format!("{}:alpine-3.20", img("multi.oci.tar")), "--platform", "linux/arm64"]);
    assert_eq!(name_versions(&r), arm);
    // By digest of the index.
    let digest = std::fs::read_to_string(images().join("expected/alpine-3.20-index.digest")).expect("digest").trim().to_string();
    let r = scan(&[&format!("oci-dir:{layout}@{digest}"), "--platform", "linux/arm64"]);
    assert_eq!(name_versions(&r), arm);
}

#[test]
fn ambiguous_and_missing_choices_are_clear_errors() {
    let c = cache();
    let layout = img("oci");
    // Several images in the layout, no tag: say which exist.
    let r = dredge_in(c.path(), &["image", &format!("oci-dir:{layout}")]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("holds several images") && r.stderr.contains("alpine-3.9, alpine-3.19"), "{}", r.stderr);
    let r = dredge_in(c.path(), &["image", &format!("oci-dir:{layout}:no-such-tag")]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no image matches") && r.stderr.contains("alpine-3.9"), "{}", r.stderr);
    let r = dredge_in(c.path(), &["image", &format!("oci-dir:{layout}:alpine-3.20"), "--platform", "windows/amd64"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no image for platform windows/amd64") && r.stderr.contains("linux/arm64"), "{}", r.stderr);
}

#[test]
fn debian_minbase_equals_dpkg_query() {
    let r = scan(&[&img("debian-12.docker.tar")]);
    let got: std::collections::BTreeSet<String> = r["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| {
            let v = p["version"].as_str().unwrap_or("");
            format!(
                "{}\t{}\t{}\t{}\t{}",
                p["name"].as_str().unwrap_or(""),
                v,
                p["arch"].as_str().unwrap_or(""),
                p["source"]["name"].as_str().unwrap_or(""),
                p["source"]["version"].as_str().unwrap_or(v)
            )
        })
        .collect();
    let expected = tsv(&images().join("expected/debian-12.tsv"));
    assert!(expected.len() > 80, "minbase has ~90 packages");
    assert_eq!(got, expected);
    assert_eq!(r["os"]["id"], "debian");
    assert_eq!(r["os"]["version_id"], "12");
    let libc = r["packages"].as_array().and_then(|a| a.iter().find(|p| p["name"] == "libc6")).expect("libc6").clone();
    assert!(libc["purl"].as_str().unwrap_or("").starts_with("pkg:deb/debian/libc6@"), "{libc}");
    assert!(
        libc["purl"].as_str().unwrap_or("").contains("distro=debian-12") && libc["purl"].as_str().unwrap_or("").contains("upstream=glibc"),
        "{libc}"
    );
    // Ownership from info/*.list.
    assert!(libc["files"].as_array().is_some_and(|f| f.iter().any(|x| x.as_str().is_some_and(|s| s.contains("libc.so.6")))), "{libc}");
}

#[test]
fn second_scan_is_served_from_the_cache() {
    let c = cache();
    let t = img("alpine-3.19-multi.docker.tar");
    let first = dredge_in(c.path(), &["image", &t, "--format", "json", "--debug"]).ok();
    assert!(first.stderr.contains("layers analysed 3, from cache 0"), "{}", first.stderr);
    let second = dredge_in(c.path(), &["image", &t, "--format", "json", "--debug"]).ok();
    assert!(second.stderr.contains("layers analysed 0, from cache 3"), "{}", second.stderr);
    assert_eq!(name_versions(&first.json()), name_versions(&second.json()));
    // `dredge clean` empties it.
    let cl = dredge_in(c.path(), &["clean"]).ok();
    assert!(cl.stdout.contains("removed"), "{}", cl.stdout);
    let third = dredge_in(c.path(), &["image", &t, "--format", "json", "--debug"]).ok();
    assert!(third.stderr.contains("layers analysed 3, from cache 0"), "{}", third.stderr);
}

#[test]
fn rootfs_directory_scan() {
    let dir = tempfile::tempdir().expect("tempdir");
    let st = std::process::Command::new("tar")
        .arg("xzf")
        .arg(fixtures().join("alpine/alpine-minirootfs-3.20.3-x86_64.tar.gz"))
        .arg("-C")
        .arg(dir.path())
        .status()
        .expect("tar");
    assert!(st.success());
    let c = cache();
    let r = dredge_in(c.path(), &["rootfs", dir.path().to_str().expect("utf8"), "--format", "json"]).ok().json();
    assert_eq!(name_versions(&r), tsv(&images().join("expected/alpine-3.20-amd64.tsv")));
    let t = dredge_in(c.path(), &["rootfs", dir.path().to_str().expect("utf8")]).ok();
    assert!(t.stdout.contains("NAME") && t.stdout.contains("musl") && t.stdout.contains("packages"), "{}", t.stdout);
}

#[test]
fn progress_shows_on_a_terminal_only() {
    let c = cache();
    let t = img("debian-12.docker.tar");
    let cmd = format!(
        "DREDGE_OFFLINE=1 DREDGE_ALLOW_NO_DB=1 {} image --cache-dir {} {t} --format json -o /dev/null",
        env!("CARGO_BIN_EXE_dredge"),
        c.path().display()
    );
    // `script` gives dredge a pseudo-terminal.
    let tty = std::process::Command::new("script").args(["-qec", &cmd, "/dev/null"]).output().expect("script (bsdutils) runs");
    assert!(String::from_utf8_lossy(&tty.stdout).contains("analysing"), "{}", String::from_utf8_lossy(&tty.stdout));
    let quiet = std::process::Command::new("script")
        .args(["-qec", &format!("{cmd} --quiet --no-cache"), "/dev/null"])
        .output()
        .expect("script runs");
    assert!(!String::from_utf8_lossy(&quiet.stdout).contains("analysing"));
    // Not a terminal: nothing on stderr but the report's warnings.
    let piped = dredge_in(c.path(), &["image", &t, "--format", "json", "--no-cache"]).ok();
    assert!(!piped.stderr.contains("analysing"), "{}", piped.stderr);
}

#[test]
fn distroless_status_d_and_linked_os_release() {
    let v = scan(&[&format!("oci-dir:{}:distroless", img("oci"))]);
    assert_eq!(name_versions(&v), tsv(&images().join("expected/distroless.tsv")));
    assert_eq!(v["os"]["id"], "debian");
    assert_eq!(v["os"]["source_path"], "/usr/lib/os-release", "etc/os-release is a symlink to it");
    assert!(v["packages"][0]["location"]["path"].as_str().is_some_and(|p| p.starts_with("/var/lib/dpkg/status.d/")));
}
