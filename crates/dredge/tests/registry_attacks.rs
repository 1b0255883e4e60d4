//! A hostile registry (testdata/hostile-registry.py, over TLS with a test CA) against dredge
//! (issue 9, findings 4 and 5): credentials never go out over plain HTTP, a redirect never
//! downgrades to HTTP, a blob cannot run past its descriptor or the size budget, slow answers
//! time out, repeated layers are fetched once, and an image of thousands of layers is refused.
//! Each test records the time and peak memory of the scan (`cargo test -- --nocapture`).
#![allow(clippy::panic, clippy::unwrap_used)]

mod common;
use common::registry::{Proc, free_port, pki, wait_port};
use common::*;
use dredge_testkit::{Entry, Layer, apk_db, oci_layout};
use std::process::Command;
use std::time::{Duration, Instant};

struct Hostile {
    port: u16,
    dir: tempfile::TempDir,
    _proc: Proc,
}

impl Hostile {
    fn start(mode: &str) -> Hostile {
        let dir = tempfile::tempdir().unwrap();
        pki(dir.path());
        let layer = Layer::zstd(
            &[
                Entry::file("etc/os-release", "ID=alpine\nVERSION_ID=3.20.3\n"),
                Entry::file("lib/apk/db/installed", apk_db(&[("musl", "1.2.5-r0"), ("busybox", "1.36.1-r29")])),
            ],
            "base",
        );
        oci_layout(&dir.path().join("layout"), &[layer], "t", |_, _| {});
        let ports = dir.path().join("ports");
        let child = Command::new("python3")
            .arg(repo().join("testdata/hostile-registry.py"))
            .arg(&ports)
            .arg(dir.path().join("layout"))
            .arg(dir.path().join("events.log"))
            .arg(mode)
            .arg(dir.path().join("srv.pem"))
            .arg(dir.path().join("srv.key"))
            .spawn()
            .unwrap();
        let mut p = Proc(child);
        // The server binds port 0 and writes the ports it got: no window for another test to take them.
        let start = Instant::now();
        let port = loop {
            if let Ok(s) = std::fs::read_to_string(&ports) {
                break s.split_whitespace().next().and_then(|p| p.parse::<u16>().ok()).expect("hostile registry ports file");
            }
            if let Ok(Some(status)) = p.0.try_wait() {
                panic!("hostile registry exited before listening: {status}");
            }
            assert!(start.elapsed() < Duration::from_secs(20), "hostile registry did not start");
            std::thread::sleep(Duration::from_millis(50));
        };
        wait_port(port);
        Hostile { port, dir, _proc: p }
    }

    fn target(&self) -> String {
        format!("registry:127.0.0.1:{}/app:t", self.port)
    }

    fn ca(&self) -> String {
        self.dir.path().join("ca.pem").display().to_string()
    }

    fn events(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("events.log")).unwrap_or_default().lines().map(str::to_string).collect()
    }

    /// Runs a scan under GNU time; returns the run, its wall time and peak memory (KiB).
    fn scan(&self, extra: &[&str]) -> (Run, Duration, u64) {
        let cache = self.dir.path().join(format!("cache-{}", free_port()));
        let started = Instant::now();
        let out = Command::new("/usr/bin/time")
            .args(["-f", "maxrss_kb=%M"])
            .arg(bin())
            .args(["image", &self.target(), "--format", "json", "--scanners", "secret", "--ca-cert", &self.ca()])
            .args(extra)
            .env("DREDGE_CACHE_DIR", &cache)
            .env_remove("DOCKER_CONFIG")
            .output()
            .unwrap();
        let took = started.elapsed();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let rss = stderr.lines().find_map(|l| l.strip_prefix("maxrss_kb=")).and_then(|v| v.trim().parse().ok()).unwrap_or(0);
        let stderr = stderr.lines().filter(|l| !l.starts_with("maxrss_kb=")).collect::<Vec<_>>().join("\n");
        let run = Run { code: out.status.code().unwrap_or(-1), stdout: String::from_utf8_lossy(&out.stdout).into(), stderr };
        eprintln!("{:?}: exit {}, {:.1} s, peak {} KiB", extra, run.code, took.as_secs_f64(), rss);
        (run, took, rss)
    }
}

fn expect_error(r: &Run, needles: &[&str]) {
    assert_eq!(r.code, 2, "exit code 2 expected\nstdout:{}\nstderr:{}", r.stdout, r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    for n in needles {
        assert!(r.stderr.contains(n), "stderr should mention {n:?}: {}", r.stderr);
    }
}

/// Waits for the server to log the end of an endless body; returns the bytes it had sent.
fn endless_bytes(h: &Hostile) -> u64 {
    let start = Instant::now();
    loop {
        if let Some(n) = h.events().iter().find_map(|l| l.strip_prefix("endless-bytes ").and_then(|n| n.parse().ok())) {
            return n;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "the endless body never ended: {:?}", h.events());
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn credentials_are_never_sent_to_a_plain_http_token_endpoint() {
    let h = Hostile::start("realm-http");
    let (r, _, _) = h.scan(&["--username", "alice", "--password", "hunter2-secret"]);
    expect_error(&r, &["plain HTTP", "--insecure"]);
    assert!(!h.events().iter().any(|e| e.starts_with("other ") && e.contains("auth=Basic")), "credentials leaked: {:?}", h.events());
    // Without credentials there is nothing to leak: an anonymous token is fetched.
    let (r, _, _) = h.scan(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // The user may allow it explicitly.
    let (r, _, _) = h.scan(&["--username", "alice", "--password", "hunter2-secret", "--insecure"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(h.events().iter().any(|e| e.starts_with("other /token") && e.contains("auth=Basic")));
}

#[test]
fn a_blob_redirect_to_plain_http_is_refused() {
    let h = Hostile::start("redirect-http");
    let (r, _, _) = h.scan(&[]);
    expect_error(&r, &["not HTTPS", "--insecure"]);
    assert!(!h.events().iter().any(|e| e.starts_with("other /plain/")), "the downgrade was followed: {:?}", h.events());
    let (r, _, _) = h.scan(&["--insecure"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(name_versions(&r.json()).len(), 2);
}

/// Scans a registry whose layer body never ends; the scan must fail with `needles`, having read
/// a bounded amount, quickly and in bounded memory.
fn endless_is_stopped(mode: &str, extra: &[&str], needles: &[&str]) {
    let h = Hostile::start(mode);
    let (r, took, rss) = h.scan(extra);
    expect_error(&r, needles);
    let sent = endless_bytes(&h);
    eprintln!("{mode}: the registry sent {sent} bytes before dredge stopped reading");
    assert!(sent < 64 << 20, "{sent} bytes downloaded");
    assert!(took < Duration::from_secs(20) && rss < 200_000, "{took:?} {rss} KiB");
}

#[test]
fn an_endless_blob_is_stopped_at_its_descriptor_size() {
    endless_is_stopped("endless-blob", &[], &["more than", "bytes its descriptor says", "blob sha256:"]);
}

#[test]
fn a_lying_descriptor_is_stopped_by_the_size_budget() {
    // The manifest claims 100 GB, the body is endless skippable frames that decompress to
    // nothing: the compressed bytes count against --max-image-size too.
    endless_is_stopped("huge-descriptor", &["--max-image-size", "10MiB"], &["exceeds the image size limit"]);
}

#[test]
fn a_manifest_sent_byte_by_byte_times_out() {
    let h = Hostile::start("slow-manifest");
    let (r, took, _) = h.scan(&["--timeout", "4s"]);
    expect_error(&r, &["timed out"]);
    assert!(took < Duration::from_secs(15), "{took:?}");
}

#[test]
fn a_registry_that_never_answers_times_out_without_retrying_for_minutes() {
    let h = Hostile::start("slow-headers");
    let (r, took, _) = h.scan(&["--timeout", "3s"]);
    expect_error(&r, &["timed out"]);
    assert!(took < Duration::from_secs(12), "{took:?}");
    let asked = h.events().iter().filter(|e| e.contains("/manifests/")).count();
    assert_eq!(asked, 1, "a timeout is not retried: {:?}", h.events());
}

#[test]
fn a_layer_listed_many_times_is_fetched_once() {
    let h = Hostile::start("dup-layers");
    let (r, _, _) = h.scan(&["--no-cache"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = r.json();
    assert_eq!(v["target"]["layers"].as_array().unwrap().len(), 40);
    assert_eq!(name_versions(&v).len(), 2);
    let layer_gets = h.events().iter().filter(|e| e.starts_with("blob ")).count();
    // The config, and the layer once.
    assert_eq!(layer_gets, 2, "{:?}", h.events());
}

#[test]
fn an_image_of_thousands_of_layers_is_refused_before_any_download() {
    let h = Hostile::start("many-layers");
    let (r, _, _) = h.scan(&[]);
    expect_error(&r, &["5000 layers", "512"]);
    let blob_gets = h.events().iter().filter(|e| e.starts_with("blob ")).count();
    assert!(blob_gets <= 1, "only the config may be fetched: {:?}", h.events());
}
