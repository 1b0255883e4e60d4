//! The Docker daemon as an image source, against the machine's real Docker Engine: images loaded
//! from our skopeo-made archives and built `FROM scratch` from the fixtures.
#![allow(clippy::panic, clippy::unwrap_used)]

mod common;
use common::*;
use std::process::Command;

fn docker(args: &[&str]) -> String {
    let out = Command::new("docker").args(args).output().expect("docker CLI present (the engine runs on this machine kind)");
    assert!(out.status.success(), "docker {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn load(archive: &str) {
    docker(&["load", "-i", images().join(archive).to_str().expect("utf8")]);
}

#[test]
fn image_by_name_comes_from_the_daemon() {
    load("alpine-3.9.docker.tar");
    let c = tempfile::tempdir().expect("tempdir");
    let v = dredge_in(c.path(), &["image", "dredge-test/alpine:3.9", "--format", "json"]).ok().json();
    assert_eq!(v["target"]["source"], "docker-daemon");
    assert_eq!(name_versions(&v), tsv(&images().join("expected/alpine-3.9.tsv")));
    let id = docker(&["image", "inspect", "-f", "{{.Id}}", "dredge-test/alpine:3.9"]);
    assert_eq!(v["target"]["image_id"], id.trim());
    // The explicit prefix, and the daemon as the only source.
    let v = dredge_in(c.path(), &["sbom", "docker:dredge-test/alpine:3.9", "--format", "json"]).ok().json();
    assert_eq!(v["target"]["source"], "docker-daemon");
    // A second scan of the same daemon image exports nothing: the kept config and cached layers serve it.
    let again = dredge_in(c.path(), &["image", "dredge-test/alpine:3.9", "--format", "json", "--debug"]).ok();
    assert!(again.stderr.contains("layers analysed 0, from cache 1"), "{}", again.stderr);
    assert!(again.stderr.contains("daemon export skipped"), "{}", again.stderr);
    assert!(!c.path().join("tmp").read_dir().map(|mut d| d.next().is_some()).unwrap_or(false), "no spool left behind");
    assert_eq!(name_versions(&again.json()), name_versions(&v));
    let r = dredge_in(c.path(), &["image", "docker:dredge-test/not-there:1"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("has no image dredge-test/not-there:1"), "{}", r.stderr);
}

#[test]
fn built_from_scratch_with_history() {
    let ctx = tempfile::tempdir().expect("tempdir");
    std::fs::copy(fixtures().join("alpine/alpine-minirootfs-3.20.3-x86_64.tar.gz"), ctx.path().join("rootfs.tar.gz")).expect("copy");
    std::fs::write(ctx.path().join("motd"), "built by the dredge tests\n").expect("write");
    std::fs::write(ctx.path().join("Dockerfile"), "FROM scratch\nADD rootfs.tar.gz /\nENV APP=1\nCOPY motd /etc/motd\n").expect("write");
    docker(&["build", "-q", "-t", "dredge-test/scratch:3.20", ctx.path().to_str().expect("utf8")]);
    let c = tempfile::tempdir().expect("tempdir");
    let v = dredge_in(c.path(), &["image", "dredge-test/scratch:3.20", "--format", "json", "--image-src", "daemon"]).ok().json();
    assert_eq!(name_versions(&v), tsv(&images().join("expected/alpine-3.20-amd64.tsv")));
    let layers = v["target"]["layers"].as_array().expect("layers");
    assert_eq!(layers.len(), 2, "ADD and COPY make layers, ENV does not");
    assert!(layers[0]["created_by"].as_str().is_some_and(|s| s.contains("ADD")), "{}", v["target"]);
    assert!(layers[1]["created_by"].as_str().is_some_and(|s| s.contains("COPY")), "{}", v["target"]);
    assert_eq!(v["packages"][0]["location"]["layer"]["index"], 0);
}

#[test]
fn docker_save_of_several_images() {
    load("alpine-3.9.docker.tar");
    load("alpine-3.19-multi.docker.tar");
    let dir = tempfile::tempdir().expect("tempdir");
    let both = dir.path().join("both.tar");
    docker(&["save", "-o", both.to_str().expect("utf8"), "dredge-test/alpine:3.9", "dredge-test/alpine:3.19-multi"]);
    let b = both.to_str().expect("utf8");
    let c = dir.path().join("c");
    let v = dredge_in(&c, &["image", &format!("{b}:dredge-test/alpine:3.19-multi"), "--format", "json"]).ok().json();
    assert_eq!(name_versions(&v), tsv(&images().join("expected/alpine-3.19-multi.tsv")));
    let v = dredge_in(&c, &["image", &format!("docker-archive:{b}:dredge-test/alpine:3.9"), "--format", "json"]).ok().json();
    assert_eq!(name_versions(&v), tsv(&images().join("expected/alpine-3.9.tsv")));
    // Without a choice: both are linux/amd64, so say which exist.
    let r = dredge_in(&c, &["image", b]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("choose") || r.stderr.contains("several"), "{}", r.stderr);
}

#[test]
fn unreachable_daemon_is_a_clear_error() {
    let c = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_dredge"))
        .args(["image", "alpine:3.20", "--image-src", "daemon"])
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .env("DREDGE_CACHE_DIR", c.path())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("daemon not reachable") && e.contains("/nonexistent/docker.sock"), "{e}");
}

#[test]
fn a_platform_the_daemon_does_not_have_is_an_error() {
    load("alpine-3.9.docker.tar");
    let c = tempfile::tempdir().expect("tempdir");
    for _ in 0..2 {
        // The second time the config is kept and the layers cached: still checked.
        let r = dredge_in(c.path(), &["image", "dredge-test/alpine:3.9", "--platform", "linux/arm64", "--image-src", "daemon"]);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains("is linux/amd64, not linux/arm64"), "{}", r.stderr);
        dredge_in(c.path(), &["image", "dredge-test/alpine:3.9", "--platform", "linux/amd64", "--format", "json"]).ok();
    }
}
