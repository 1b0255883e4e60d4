//! A real registry for tests: Debian's docker-registry on 127.0.0.1 with TLS (a test CA),
//! htpasswd basic auth or a bearer-token server, started per test and stopped on drop.
#![allow(dead_code, clippy::panic, clippy::unwrap_used)]

use super::{images, repo};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

pub struct Proc(pub Child);
impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// Starts a server on a free port, `make(port)` building its command. Choosing a port and the
/// server binding it are two steps, so a parallel test can take the same port in between: then
/// one server exits, and the other one answers both. After the port answers, the child must still
/// be running a moment later, else it lost the race and is started again on another port.
pub fn spawn_on_free_port(mut make: impl FnMut(u16) -> Command) -> (Proc, u16) {
    for _ in 0..8 {
        let port = free_port();
        let mut child = Proc(make(port).spawn().unwrap_or_else(|e| panic!("starting a server: {e}")));
        let start = Instant::now();
        let mut up = false;
        while start.elapsed() < Duration::from_secs(20) {
            if let Ok(Some(_)) = child.0.try_wait() {
                break;
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                up = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(Duration::from_millis(150));
        if up && matches!(child.0.try_wait(), Ok(None)) {
            return (child, port);
        }
    }
    panic!("a server did not start on a free port after 8 tries");
}

pub fn wait_port(port: u16) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(20), "server on port {port} did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn sh(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
}

/// A CA, a server certificate for 127.0.0.1 signed by it, and a token-signing key pair.
pub fn pki(dir: &Path) {
    let o = |args: &[&str]| sh(Command::new("openssl").args(args).current_dir(dir));
    o(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=dredge-test-ca",
    ]);
    o(&["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=127.0.0.1"]);
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    )
    .expect("write");
    o(&[
        "x509",
        "-req",
        "-in",
        "srv.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "srv.pem",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ]);
    o(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "tok.key",
        "-out",
        "tok.pem",
        "-days",
        "2",
        "-subj",
        "/CN=dredge-token-issuer",
    ]);
    std::fs::create_dir_all(dir.join("certs.d")).expect("mkdir");
    std::fs::copy(dir.join("ca.pem"), dir.join("certs.d/ca.crt")).expect("copy");
}

#[derive(PartialEq)]
pub enum Auth {
    None,
    Htpasswd,
    Token,
}

pub struct Registry {
    pub port: u16,
    pub dir: PathBuf,
    pub tls: bool,
    _procs: Vec<Proc>,
    _tmp: tempfile::TempDir,
}

pub const USER: &str = "dredge";
pub const PASS: &str = "s3cret-pass";

impl Registry {
    pub fn start(tls: bool, auth: Auth) -> Registry {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().to_path_buf();
        pki(&dir);
        let mut procs = Vec::new();
        let mut cfg = format!(
            "version: 0.1\nlog:\n  level: info\n  formatter: text\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:PORT\n",
            dir.join("data").display()
        );
        if tls {
            cfg.push_str(&format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                dir.join("srv.pem").display(),
                dir.join("srv.key").display()
            ));
        }
        match auth {
            Auth::None => {}
            Auth::Htpasswd => {
                sh(Command::new("htpasswd").args(["-Bbc", "htpasswd", USER, PASS]).current_dir(&dir));
                cfg.push_str(&format!("auth:\n  htpasswd:\n    realm: dredge-test\n    path: {}\n", dir.join("htpasswd").display()));
            }
            Auth::Token => {
                let (child, tport) = spawn_on_free_port(|tport| {
                    let mut c = Command::new("python3");
                    c.arg(repo().join("testdata/token-server.py"))
                        .args([&tport.to_string(), "tok.key", "tok.pem", USER, PASS, "dredge-issuer", "dredge-registry"])
                        // Over TLS like a real token endpoint (the test CA signs 127.0.0.1).
                        .args(if tls { vec!["srv.pem", "srv.key"] } else { vec![] })
                        .current_dir(&dir)
                        .stderr(std::fs::File::create(dir.join("token.log")).expect("log"));
                    c
                });
                procs.push(child);
                cfg.push_str(&format!(
                    "auth:\n  token:\n    realm: {}://127.0.0.1:{tport}/token\n    service: dredge-registry\n    issuer: dredge-issuer\n    rootcertbundle: {}\n",
                    if tls { "https" } else { "http" },
                    dir.join("tok.pem").display()
                ));
            }
        }
        let (child, port) = spawn_on_free_port(|port| {
            let cfg = cfg.replace("127.0.0.1:PORT", &format!("127.0.0.1:{port}"));
            std::fs::write(dir.join("config.yml"), cfg).expect("write config");
            let log = std::fs::File::create(dir.join("registry.log")).expect("log");
            let mut c = Command::new("docker-registry");
            c.arg("serve").arg(dir.join("config.yml")).stdout(log.try_clone().expect("dup")).stderr(log);
            c
        });
        procs.push(child);
        Registry { port, dir, tls, _procs: procs, _tmp: tmp }
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Pushes a tag of the test layout with skopeo (`--all` keeps a multi-arch index).
    pub fn push(&self, layout_tag: &str, repo_tag: &str, creds: bool) {
        let mut c = Command::new("skopeo");
        c.args(["copy", "-q", "--all"]);
        if self.tls {
            c.arg("--dest-cert-dir").arg(self.dir.join("certs.d"));
        } else {
            c.arg("--dest-tls-verify=false");
        }
        if creds {
            c.arg("--dest-creds").arg(format!("{USER}:{PASS}"));
        }
        c.arg(format!("oci:{}:{layout_tag}", images().join("oci").display())).arg(format!("docker://{}/{repo_tag}", self.host()));
        sh(&mut c);
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("registry.log")).unwrap_or_default()
    }

    pub fn ca(&self) -> String {
        self.dir.join("ca.pem").display().to_string()
    }
}
