//! `dredge db update` against a local HTTP server (the real download path): conditional requests,
//! only changed sources downloaded, an interrupted update leaves the old database working, and
//! stale databases updated before a scan unless --skip-db-update/--offline.
#![allow(clippy::panic, clippy::unwrap_used)]

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

struct Server {
    port: u16,
    root: PathBuf,
    log: PathBuf,
    _child: common::registry::Proc,
    _dir: tempfile::TempDir,
}

fn serve(slow: Option<&str>) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("www");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::copy(fixtures().join("alpine-secdb/v3.9-main.yaml"), root.join("alpine-v3.9-main.yaml")).unwrap();
    std::fs::copy(fixtures().join("osv/pypa-advisory-database.tar.gz"), root.join("pypa.tar.gz")).unwrap();
    let log = dir.path().join("requests.log");
    let (child, port) = common::registry::spawn_on_free_port(|port| {
        let mut c = Command::new("python3");
        c.arg(repo().join("testdata/http-source.py")).arg(port.to_string()).arg(&root).arg(&log);
        if let Some(s) = slow {
            c.arg(s);
        }
        c
    });
    Server { port, root, log, _child: child, _dir: dir }
}

impl Server {
    fn url(&self, p: &str) -> String {
        format!("http://127.0.0.1:{}/{p}", self.port)
    }
    fn requests(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log).unwrap_or_default().lines().map(str::to_string).collect()
    }
}

fn dredge(cache: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut c = Command::new(bin());
    c.args(args).env("DREDGE_CACHE_DIR", cache).env_remove("SOURCE_DATE_EPOCH");
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    }
}

fn status(cache: &Path, db: &Path) -> serde_json::Value {
    dredge(cache, &["db", "status", "--db", db.to_str().unwrap(), "--format", "json"], &[]).ok().json()
}

#[test]
fn conditional_requests_and_partial_changes() {
    let s = serve(None);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("adv.db");
    let (a, p) = (s.url("alpine-v3.9-main.yaml"), s.url("pypa.tar.gz"));
    let r = dredge(dir.path(), &["db", "update", "--db", db.to_str().unwrap(), "--source", &a, "--source", &p], &[]).ok();
    assert!(r.stderr.contains("rebuilt"), "{}", r.stderr);
    assert_eq!(s.requests(), vec!["GET /alpine-v3.9-main.yaml 200", "GET /pypa.tar.gz 200"]);
    let st = status(dir.path(), &db);
    assert!(st["sources"].to_string().contains("\"etag\""), "the ETag is recorded: {st}");
    let first = st["advisories"].as_u64().unwrap();
    // Nothing changed: one conditional request per source, no download, no rebuild.
    let built = st["built_at"].clone();
    let r = dredge(dir.path(), &["db", "update", "--db", db.to_str().unwrap()], &[]).ok();
    assert!(r.stderr.contains("is up to date"), "{}", r.stderr);
    assert_eq!(s.requests()[2..], ["GET /alpine-v3.9-main.yaml 304", "GET /pypa.tar.gz 304"]);
    assert_eq!(status(dir.path(), &db)["built_at"], built, "not rebuilt");
    // One source changes: only it is downloaded, and the database is rebuilt.
    let y = s.root.join("alpine-v3.9-main.yaml");
    let text = std::fs::read_to_string(&y).unwrap().replace(
        "        1.1.20-r5:\n          - CVE-2019-14697\n",
        "        1.1.20-r6:\n          - CVE-2019-14697\n          - CVE-2099-0001\n",
    );
    std::fs::write(&y, text).unwrap();
    let r = dredge(dir.path(), &["db", "update", "--db", db.to_str().unwrap()], &[]).ok();
    assert!(r.stderr.contains("rebuilt"), "{}", r.stderr);
    assert_eq!(s.requests()[4..], ["GET /alpine-v3.9-main.yaml 200", "GET /pypa.tar.gz 304"]);
    assert_eq!(status(dir.path(), &db)["advisories"].as_u64().unwrap(), first + 1);
    // An unreachable source is an error; the database stays as it was.
    let r = dredge(dir.path(), &["db", "update", "--db", db.to_str().unwrap(), "--source", &s.url("missing.zip")], &[]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("missing.zip") && r.stderr.contains("404"), "{}", r.stderr);
    assert_eq!(status(dir.path(), &db)["advisories"].as_u64().unwrap(), first + 1);
}

#[test]
fn an_interrupted_update_leaves_the_old_database_working() {
    let s = serve(Some("/pypa.tar.gz"));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("adv.db");
    dredge(dir.path(), &["db", "update", "--db", db.to_str().unwrap(), "--source", &s.url("alpine-v3.9-main.yaml")], &[]).ok();
    let before = status(dir.path(), &db);
    // The PyPA archive trickles out in 4 KiB pieces: kill the update in the middle of it.
    let mut child = Command::new(env!("CARGO_BIN_EXE_dredge"))
        .args([
            "db",
            "update",
            "--db",
            db.to_str().unwrap(),
            "--source",
            &s.url("alpine-v3.9-main.yaml"),
            "--source",
            &s.url("pypa.tar.gz"),
        ])
        .env("DREDGE_CACHE_DIR", dir.path())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !s.requests().iter().any(|l| l.contains("pypa.tar.gz")) {
        assert!(start.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(500));
    child.kill().unwrap();
    let st = child.wait().unwrap();
    assert!(!st.success(), "killed mid-download");
    let after = status(dir.path(), &db);
    assert_eq!(after["advisories"], before["advisories"]);
    assert_eq!(after["sources"], before["sources"]);
    // And it still serves scans.
    let img = format!("oci-archive:{}", repo().join("testdata/images/alpine-3.9.6.oci.tar").display());
    let v = dredge(dir.path(), &["image", &img, "--db", db.to_str().unwrap(), "--format", "json", "--offline"], &[]).ok().json();
    assert_eq!(v["vulnerabilities"], serde_json::json!([]));
}

#[test]
fn stale_databases_are_updated_before_a_scan() {
    let s = serve(None);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("adv.db");
    // Built "in 2023": older than a day.
    dredge(
        dir.path(),
        &["db", "update", "--db", db.to_str().unwrap(), "--source", &s.url("alpine-v3.9-main.yaml")],
        &[("SOURCE_DATE_EPOCH", "1700000000")],
    )
    .ok();
    let img = format!("oci-archive:{}", repo().join("testdata/images/alpine-3.9.6.oci.tar").display());
    let n = s.requests().len();
    for flag in ["--offline", "--skip-db-update"] {
        let r = dredge(dir.path(), &["image", &img, "--db", db.to_str().unwrap(), flag], &[]).ok();
        assert!(r.stderr.contains("days old"), "a stale database is a warning: {}", r.stderr);
    }
    assert_eq!(s.requests().len(), n, "--offline and --skip-db-update make no request");
    let r = dredge(dir.path(), &["image", &img, "--db", db.to_str().unwrap()], &[]).ok();
    assert_eq!(s.requests()[n..], ["GET /alpine-v3.9-main.yaml 304"]);
    assert!(!r.stderr.contains("days old"), "checked just now: {}", r.stderr);
    let r = dredge(dir.path(), &["image", &img, "--db", db.to_str().unwrap()], &[]).ok();
    assert_eq!(s.requests().len(), n + 1, "a fresh database is not checked again: {}", r.stderr);
}

#[test]
fn the_first_scan_downloads_a_database() {
    let s = serve(None);
    let dir = tempfile::tempdir().unwrap();
    let img = format!("oci-archive:{}", repo().join("testdata/images/alpine-3.9.6.oci.tar").display());
    // No database anywhere: the scan fetches the default sources (here the local server).
    let r = dredge(dir.path(), &["image", &img, "--format", "json"], &[("DREDGE_DB_SOURCES", &s.url("alpine-v3.9-main.yaml"))]).ok();
    let v = r.json();
    assert_eq!(v["vulnerabilities"], serde_json::json!([]));
    assert!(dir.path().join("db/dredge.db").is_file());
    // Not a terminal: a line per source says what is being downloaded.
    assert!(r.stderr.contains(&format!("dredge: downloading advisories from {}", s.url("alpine-v3.9-main.yaml"))), "{}", r.stderr);
    assert_eq!(s.requests(), vec!["GET /alpine-v3.9-main.yaml 200"]);
    // --offline never downloads: without a database that is an error saying why, or with
    // --allow-no-db packages only and a note.
    let d2 = tempfile::tempdir().unwrap();
    let env = [("DREDGE_DB_SOURCES", s.url("alpine-v3.9-main.yaml"))];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = dredge(d2.path(), &["image", &img, "--format", "json", "--offline"], &env);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--offline forbids downloading one"), "{}", r.stderr);
    let v = dredge(d2.path(), &["image", &img, "--format", "json", "--offline", "--allow-no-db"], &env).ok().json();
    assert!(v.get("vulnerabilities").is_none());
    assert!(v["notes"].to_string().contains("no advisory database"));
    assert_eq!(s.requests().len(), 1);
    // An unreachable source: an error naming the failed download; with --allow-no-db a warning,
    // and the scan still lists packages.
    let d3 = tempfile::tempdir().unwrap();
    let r = dredge(d3.path(), &["image", &img, "--format", "json"], &[("DREDGE_DB_SOURCES", &s.url("missing.zip"))]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("downloading one failed"), "{}", r.stderr);
    let r = dredge(d3.path(), &["image", &img, "--format", "json", "--allow-no-db"], &[("DREDGE_DB_SOURCES", &s.url("missing.zip"))]).ok();
    assert!(r.stderr.contains("downloading one failed"), "{}", r.stderr);
    assert_eq!(r.json()["packages"].as_array().unwrap().len(), 14);
}

#[test]
fn planted_symlinks_in_the_sources_dir_are_never_written_through() {
    // Issue 9: `db update` wrote `<hash>.meta.json` with File::create, through a planted symlink.
    let s = serve(None);
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let db = dir.path().join("adv.db");
    let a = s.url("alpine-v3.9-main.yaml");
    dredge(&cache, &["db", "update", "--db", db.to_str().unwrap(), "--source", &a], &[]).ok();
    let sources = cache.join("db/sources");
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    let mut planted = 0;
    for e in std::fs::read_dir(&sources).unwrap() {
        let p = e.unwrap().path();
        if p.to_string_lossy().ends_with(".meta.json") {
            std::fs::remove_file(&p).unwrap();
            std::os::unix::fs::symlink(&victim, &p).unwrap();
            planted += 1;
        }
    }
    assert_eq!(planted, 1);
    // A download killed earlier left its partial file: removed on the next run.
    let stale = sources.join("x.yaml.download-4194304");
    std::fs::write(&stale, "partial").unwrap();
    // The source changes, so it is downloaded again and its metadata rewritten.
    let y = s.root.join("alpine-v3.9-main.yaml");
    std::fs::write(&y, std::fs::read_to_string(&y).unwrap() + "\n").unwrap();
    let r = dredge(&cache, &["db", "update", "--db", db.to_str().unwrap()], &[]).ok();
    assert!(r.stderr.contains("rebuilt"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious", "the symlink's target was overwritten");
    assert!(!stale.exists(), "the killed download's file is cleaned up");
    // The meta file is a regular file again, and holds the new ETag.
    let metas: Vec<_> =
        std::fs::read_dir(&sources).unwrap().map(|e| e.unwrap().path()).filter(|p| p.to_string_lossy().ends_with(".meta.json")).collect();
    assert_eq!(metas.len(), 1);
    assert!(std::fs::symlink_metadata(&metas[0]).unwrap().is_file());
}

#[test]
fn on_a_terminal_the_first_download_shows_a_progress_bar() {
    // `script` (util-linux) runs dredge on a pseudo-terminal: stderr is a TTY.
    let s = serve(Some("/alpine-v3.9-main.yaml"));
    let dir = tempfile::tempdir().unwrap();
    let img = format!("oci-archive:{}", repo().join("testdata/images/alpine-3.9.6.oci.tar").display());
    let cmd = format!("{} image {img} --format json -o /dev/null", bin().display());
    let out = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env("DREDGE_CACHE_DIR", dir.path())
        .env("DREDGE_DB_SOURCES", s.url("alpine-v3.9-main.yaml"))
        .env("TERM", "xterm")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    // The bar (bytes of the source, redrawn in place), not the line meant for logs.
    assert!(text.contains("downloading advisories from") && text.contains("KiB"), "{text}");
    assert!(!text.contains("dredge: downloading advisories from"), "{text}");
    assert!(text.contains(&format!("dredge: downloaded {}", s.url("alpine-v3.9-main.yaml"))), "{text}");
}

#[test]
fn db_update_without_sources_fetches_every_default_ecosystem() {
    // A mirror of OSV's layout (`<Ecosystem>/all.zip`) for every default ecosystem: the real
    // AlmaLinux 8 and PyPA records where the fixtures have them, empty exports for the others; and
    // the distributions' own feeds at their published paths (DREDGE_FEEDS_MIRROR): Amazon's yum
    // mirror lists → repomd.xml → updateinfo.xml.gz (the real AL1 and AL2 excerpts; an empty
    // AL2023 one), Oracle's OVAL as .xml.bz2, Microsoft's OVAL files.
    let s = serve(None);
    let ecos = dredge_vulndb::update::DEFAULT_ECOSYSTEMS.join(",");
    let st = Command::new("python3")
        .arg(repo().join("testdata/advisory-mirror.py"))
        .arg(&s.root)
        .arg(fixtures().join("osv/almalinux8-osv.tar.gz"))
        .arg(fixtures().join("osv/pypa-advisory-database.tar.gz"))
        .arg(&ecos)
        .arg(s.port.to_string())
        .status()
        .unwrap();
    assert!(st.success());
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("all.db");
    let base = format!("http://127.0.0.1:{}", s.port);
    let env = [("DREDGE_OSV_BASE", base.as_str()), ("DREDGE_FEEDS_MIRROR", base.as_str())];
    let r = dredge(dir.path(), &["db", "update", "--db", db.to_str().unwrap()], &env).ok();
    assert!(r.stderr.contains("rebuilt"), "{}", r.stderr);
    let n_osv = dredge_vulndb::update::DEFAULT_ECOSYSTEMS.len();
    let n = n_osv + dredge_vulndb::update::DEFAULT_FEEDS.len();
    let reqs = s.requests();
    let downloads: Vec<&String> = reqs.iter().filter(|r| !r.contains("mirror.list") && !r.contains("repomd.xml")).collect();
    assert_eq!(downloads.len(), n, "{reqs:?}");
    assert!(reqs.iter().all(|r| r.ends_with(" 200")), "{reqs:?}");
    assert!(reqs.iter().any(|r| r == "GET /Rocky%20Linux/all.zip 200"), "{reqs:?}");
    assert!(reqs.iter().any(|r| r == "GET /repos/al2/repodata/0fal2-updateinfo.xml.gz 200"), "{reqs:?}");
    let st = status(dir.path(), &db);
    let sources = st["sources"].as_array().unwrap();
    assert_eq!(sources.len(), n);
    let records = |suffix: &str| {
        sources.iter().find(|x| x["location"].as_str().unwrap().ends_with(suffix)).unwrap_or_else(|| panic!("{suffix}"))["records"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(records("/AlmaLinux/all.zip"), 3237);
    assert!(records("/PyPI/all.zip") > 2000);
    assert_eq!(records("/2018.03/updates/x86_64/mirror.list"), 2);
    assert_eq!(records("/2/core/latest/x86_64/mirror.list"), 2);
    assert_eq!(records("/al2023/core/mirrors/latest/x86_64/mirror.list"), 0);
    assert_eq!(records("/com.oracle.elsa-all.xml.bz2"), 3);
    assert_eq!(records("/cbl-mariner-2.0-oval.xml"), 4, "six definitions, two Not Applicable");
    assert_eq!(records("/azurelinux-3.0-oval.xml"), 3);
    let ecosystems = st["ecosystems"].to_string();
    for e in ["Amazon Linux:1", "Amazon Linux:2", "Oracle Linux:7", "Oracle Linux:8", "Mariner:2.0", "Azure Linux:3.0"] {
        assert!(ecosystems.contains(e), "{e}: {ecosystems}");
    }
    // Nothing changed: one conditional request per source (a mirror list is followed again to
    // find the file, then the file is asked for conditionally), no rebuild.
    let r = dredge(dir.path(), &["db", "update", "--db", db.to_str().unwrap()], &env).ok();
    assert!(r.stderr.contains("is up to date"), "{}", r.stderr);
    let again = s.requests();
    let second: Vec<&String> = again[reqs.len()..].iter().filter(|r| !r.contains("mirror.list") && !r.contains("repomd.xml")).collect();
    assert_eq!(second.len(), n);
    assert!(second.iter().all(|r| r.ends_with(" 304")), "{second:?}");
    // A repository whose updateinfo moved (a new file name): downloaded again, rebuilt.
    let repomd = s.root.join("repos/al2/repodata/repomd.xml");
    std::fs::write(&repomd, std::fs::read_to_string(&repomd).unwrap().replace("0fal2-updateinfo", "1fal2-updateinfo")).unwrap();
    std::fs::copy(s.root.join("repos/al2/repodata/0fal2-updateinfo.xml.gz"), s.root.join("repos/al2/repodata/1fal2-updateinfo.xml.gz"))
        .unwrap();
    let r = dredge(dir.path(), &["db", "update", "--db", db.to_str().unwrap()], &env).ok();
    assert!(r.stderr.contains("rebuilt"), "{}", r.stderr);
    assert!(s.requests().iter().any(|r| r == "GET /repos/al2/repodata/1fal2-updateinfo.xml.gz 200"));
    // A repomd.xml may not point outside its repository.
    std::fs::write(
        s.root.join("repos/al2/repodata/repomd.xml"),
        "<repomd><data type=\"updateinfo\"><location href=\"../../secret.xml.gz\"/></data></repomd>",
    )
    .unwrap();
    let r = dredge(dir.path(), &["db", "update", "--db", db.to_str().unwrap(), "--ecosystems", "Amazon Linux 2"], &env);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("points outside the repository"), "{}", r.stderr);
    // --ecosystems narrows the default sources; a name that is not one of them is refused.
    let small = dir.path().join("small.db");
    dredge(dir.path(), &["db", "update", "--db", small.to_str().unwrap(), "--ecosystems", "AlmaLinux,Rocky Linux"], &env).ok();
    assert_eq!(status(dir.path(), &small)["sources"].as_array().unwrap().len(), 2);
    let r = dredge(dir.path(), &["db", "update", "--db", small.to_str().unwrap(), "--ecosystems", "Alma"], &env);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("\"Alma\"") && r.stderr.contains("AlmaLinux"), "{}", r.stderr);
    // db status says how old each source is.
    let table = dredge(dir.path(), &["db", "status", "--db", small.to_str().unwrap()], &[]).ok();
    assert!(table.stdout.contains("3237 records") && table.stdout.contains(" ago)"), "{}", table.stdout);
}
