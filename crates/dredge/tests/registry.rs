//! Against a real registry (Debian's docker-registry on 127.0.0.1) with TLS, htpasswd basic auth
//! or bearer tokens, images pushed by skopeo (not by us): pulls, platform choice, credentials from
//! flags, environment and docker config, retries, and a cached re-scan that downloads no layer.
#![allow(clippy::panic, clippy::unwrap_used)]

mod common;
use common::registry::*;
use common::*;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};

fn dredge_env(cache: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dredge"));
    c.args(args)
        .env("DREDGE_CACHE_DIR", cache)
        .env_remove("DREDGE_USERNAME")
        .env_remove("DREDGE_PASSWORD")
        .env("DREDGE_OFFLINE", "1")
        .env("DREDGE_ALLOW_NO_DB", "1")
        .env("DOCKER_CONFIG", cache.join("no-docker-config"));
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.stdin(Stdio::null()).output().expect("dredge runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    }
}

fn layer_blob_gets(log: &str, digests: &[String]) -> usize {
    log.lines().filter(|l| l.contains("\"GET /v2/") && digests.iter().any(|d| l.contains(&format!("/blobs/{d}")))).count()
}

#[test]
fn tls_and_basic_auth() {
    let reg = Registry::start(true, Auth::Htpasswd);
    reg.push("alpine-3.9", "team/alpine:3.9", true);
    reg.push("alpine-3.20", "team/alpine:3.20", true);
    let cache = tempfile::tempdir().expect("tempdir");
    let target = format!("registry:{}/team/alpine:3.9", reg.host());
    let ca = reg.ca();
    let creds = ["--username", USER, "--password", PASS];

    // No credentials: the basic challenge is reported, exit 2.
    let r = dredge_env(cache.path(), &["image", &target, "--ca-cert", &ca], &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("authentication required"), "{}", r.stderr);
    // Wrong password.
    let r = dredge_env(cache.path(), &["image", &target, "--ca-cert", &ca, "--username", USER, "--password", "nope"], &[]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("unauthorized") || r.stderr.contains("refused"), "{}", r.stderr);
    // Unknown CA: a TLS error, not a scan.
    let r = dredge_env(cache.path(), &["image", &target, "--username", USER, "--password", PASS], &[]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.to_lowercase().contains("certificate") || r.stderr.contains("UnknownIssuer"), "{}", r.stderr);

    // The real pull.
    let mut args = vec!["image", target.as_str(), "--ca-cert", ca.as_str(), "--format", "json", "--debug"];
    args.extend_from_slice(&creds);
    let first = dredge_env(cache.path(), &args, &[]).ok();
    let v = first.json();
    assert_eq!(name_versions(&v), tsv(&images().join("expected/alpine-3.9.tsv")));
    assert_eq!(v["target"]["source"], "registry");
    let md = v["target"]["manifest_digest"].as_str().expect("manifest digest").to_string();
    assert_eq!(v["target"]["repo_digests"][0], format!("{}/team/alpine@{md}", reg.host()));
    let layer_digests: Vec<String> =
        v["target"]["layers"].as_array().expect("layers").iter().map(|l| l["digest"].as_str().unwrap_or("").to_string()).collect();
    assert_eq!(layer_blob_gets(&reg.log(), &layer_digests), layer_digests.len(), "first scan downloads each layer once");

    // Cached re-scan: the registry log shows no further layer download.
    let before = reg.log().len();
    let second = dredge_env(cache.path(), &args, &[]).ok();
    assert!(second.stderr.contains("from cache 1") && second.stderr.contains("blobs 1"), "{}", second.stderr);
    assert_eq!(layer_blob_gets(&reg.log()[before..], &layer_digests), 0, "a cached re-scan fetches no layer blob");
    assert_eq!(name_versions(&second.json()), name_versions(&v));

    // Multi-arch index pushed by skopeo: the platform picks the manifest.
    let t320 = format!("registry:{}/team/alpine:3.20", reg.host());
    let mut a = vec!["image", t320.as_str(), "--ca-cert", ca.as_str(), "--format", "json", "--platform", "linux/arm64"];
    a.extend_from_slice(&creds);
    let v = dredge_env(cache.path(), &a, &[]).ok().json();
    assert_eq!(name_versions(&v), tsv(&images().join("expected/alpine-3.20-arm64.tsv")));
    assert_eq!(v["target"]["platform"], "linux/arm64");

    // Credentials from the environment.
    let v = dredge_env(
        cache.path(),
        &["image", &target, "--ca-cert", &ca, "--format", "json"],
        &[("DREDGE_USERNAME", USER), ("DREDGE_PASSWORD", PASS)],
    )
    .ok()
    .json();
    assert_eq!(name_versions(&v).len(), 14);

    // Credentials from ~/.docker/config.json (`auths`).
    let dc = cache.path().join("docker-config");
    std::fs::create_dir_all(&dc).expect("mkdir");
    let auth = base64_encode(format!("{USER}:{PASS}").as_bytes());
    std::fs::write(dc.join("config.json"), format!(r#"{{"auths":{{"{}":{{"auth":"{auth}"}}}}}}"#, reg.host())).expect("write");
    let v = dredge_env(
        cache.path(),
        &["image", &target, "--ca-cert", &ca, "--format", "json"],
        &[("DOCKER_CONFIG", dc.to_str().expect("utf8"))],
    )
    .ok()
    .json();
    assert_eq!(name_versions(&v).len(), 14);

    // A credential helper (credsStore): a docker-credential-* program on PATH.
    let bin = cache.path().join("bin");
    std::fs::create_dir_all(&bin).expect("mkdir");
    let helper = bin.join("docker-credential-dredgetest");
    std::fs::write(
        &helper,
        format!("#!/bin/sh\nread server\necho '{{\"ServerURL\":\"'$server'\",\"Username\":\"{USER}\",\"Secret\":\"{PASS}\"}}'\n"),
    )
    .expect("write");
    sh(Command::new("chmod").arg("+x").arg(&helper));
    std::fs::write(dc.join("config.json"), r#"{"credsStore":"dredgetest"}"#).expect("write");
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let v = dredge_env(
        cache.path(),
        &["image", &target, "--ca-cert", &ca, "--format", "json"],
        &[("DOCKER_CONFIG", dc.to_str().expect("utf8")), ("PATH", &path)],
    )
    .ok()
    .json();
    assert_eq!(name_versions(&v).len(), 14);

    // The same helper named per registry (credHelpers).
    std::fs::write(dc.join("config.json"), format!(r#"{{"credHelpers":{{"{}":"dredgetest"}}}}"#, reg.host())).expect("write");
    let v = dredge_env(
        cache.path(),
        &["image", &target, "--ca-cert", &ca, "--format", "json"],
        &[("DOCKER_CONFIG", dc.to_str().expect("utf8")), ("PATH", &path)],
    )
    .ok()
    .json();
    assert_eq!(name_versions(&v).len(), 14);

    // A reference that does not exist.
    let r = dredge_env(
        cache.path(),
        &["image", &format!("registry:{}/team/nope:1", reg.host()), "--ca-cert", &ca, "--username", USER, "--password", PASS],
        &[],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not found") && r.stderr.contains("team/nope"), "{}", r.stderr);
}

fn base64_encode(b: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for c in b.chunks(3) {
        let n = (c[0] as u32) << 16 | (*c.get(1).unwrap_or(&0) as u32) << 8 | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                s.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

#[test]
fn bearer_token_challenge_flow() {
    let reg = Registry::start(true, Auth::Token);
    reg.push("debian-12", "team/debian:12", true);
    let cache = tempfile::tempdir().expect("tempdir");
    let target = format!("registry:{}/team/debian:12", reg.host());
    let ca = reg.ca();
    let r = dredge_env(cache.path(), &["image", &target, "--ca-cert", &ca], &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("token endpoint") && r.stderr.contains("401"), "{}", r.stderr);
    let r = dredge_env(
        cache.path(),
        &["image", &target, "--ca-cert", &ca, "--username", USER, "--password", PASS, "--format", "json", "--debug"],
        &[],
    )
    .ok();
    assert!(r.stderr.contains("tokens 1"), "one token serves every request of the scan: {}", r.stderr);
    let v = r.json();
    assert_eq!(v["packages"].as_array().map(|a| a.len()), Some(tsv(&images().join("expected/debian-12.tsv")).len()));
}

/// A TCP proxy whose first connections fail (503, then a reset) before it forwards.
fn flaky_proxy(upstream: u16, failures: usize) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for (i, conn) in l.incoming().enumerate() {
            let Ok(mut c) = conn else { continue };
            if i < failures {
                let mut buf = [0u8; 4096];
                let _ = c.read(&mut buf);
                if i % 2 == 0 {
                    let _ = c.write_all(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                }
                continue; // dropped: a reset for the odd ones
            }
            let Ok(up) = TcpStream::connect(("127.0.0.1", upstream)) else { continue };
            let (mut a, mut b) = (c.try_clone().expect("clone"), up.try_clone().expect("clone"));
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut a, &mut b);
            });
            let (mut c2, mut up2) = (c, up);
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut up2, &mut c2);
            });
        }
    });
    port
}

#[test]
fn insecure_plain_http_and_retries() {
    let reg = Registry::start(false, Auth::None);
    reg.push("alpine-3.9", "team/alpine:3.9", false);
    let cache = tempfile::tempdir().expect("tempdir");
    let target = format!("registry:{}/team/alpine:3.9", reg.host());
    // On loopback, plain HTTP is allowed without --insecure (as Docker does for localhost).
    let v = dredge_env(cache.path(), &["image", &target, "--format", "json", "--no-cache"], &[]).ok().json();
    assert_eq!(name_versions(&v), tsv(&images().join("expected/alpine-3.9.tsv")));
    // Elsewhere it is refused at once, with the reason and the flag (0.0.0.0 reaches this machine
    // but is not loopback to dredge, as to Docker).
    let started = std::time::Instant::now();
    let r = dredge_env(cache.path(), &["image", &format!("registry:0.0.0.0:{}/team/alpine:3.9", reg.port)], &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("answered plain HTTP") && r.stderr.contains("--insecure"), "{}", r.stderr);
    assert!(started.elapsed() < std::time::Duration::from_secs(3), "no retries: {:?}", started.elapsed());
    let v = dredge_env(cache.path(), &["image", &target, "--insecure", "--format", "json"], &[]).ok().json();
    assert_eq!(name_versions(&v), tsv(&images().join("expected/alpine-3.9.tsv")));
    // Through a proxy that fails the first connections: the scheme probe, a 503, a reset.
    let port = flaky_proxy(reg.port, 3);
    let c2 = tempfile::tempdir().expect("tempdir");
    let v = dredge_env(c2.path(), &["image", &format!("registry:127.0.0.1:{port}/team/alpine:3.9"), "--insecure", "--format", "json"], &[])
        .ok()
        .json();
    assert_eq!(name_versions(&v).len(), 14);
}
