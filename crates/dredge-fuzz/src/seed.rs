//! The seed corpus: small real inputs of every target, written to `fuzz/corpus/<target>/`.
//! Built from the test builders (hostile layers and images), the extractor fixtures of
//! `crates/dredge-extract/testdata/lang`, and the shared real-data fixtures (Alpine's installed
//! database, rpm databases in all three formats) when `DREDGE_FIXTURES` or `../shared/fixtures`
//! has them.

use dredge_testkit::{Entry, Layer, apk_db, docker_archive, oci_layout};
use std::io::Read;
use std::path::{Path, PathBuf};

fn put(dir: &Path, target: &str, name: &str, data: &[u8]) -> Result<(), String> {
    let d = dir.join(target);
    std::fs::create_dir_all(&d).map_err(|e| format!("{}: {e}", d.display()))?;
    std::fs::write(d.join(name), data).map_err(|e| format!("{name}: {e}"))
}

fn name_of(path: &str) -> String {
    path.replace('/', "__")
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixtures() -> PathBuf {
    std::env::var_os("DREDGE_FIXTURES").map(PathBuf::from).unwrap_or_else(|| repo().join("../shared/fixtures"))
}

const STATUS: &str = "Package: zlib1g\nStatus: install ok installed\nPriority: required\nSource: zlib\nVersion: 1:1.2.13.dfsg-1\nArchitecture: amd64\n\nPackage: libc6\nStatus: install ok installed\nVersion: 2.36-9+deb12u4\nArchitecture: amd64\n\n";

fn layers() -> Vec<(&'static str, Layer)> {
    let db = apk_db(&[("musl", "1.2.5-r0"), ("busybox", "1.36.1-r29")]);
    let base = vec![
        Entry::Dir("lib/apk/db".into()),
        Entry::file("lib/apk/db/installed", &db),
        Entry::file("etc/os-release", "ID=alpine\nVERSION_ID=3.20.3\n"),
        Entry::file("etc/alpine-release", "3.20.3\n"),
    ];
    let hostile = vec![
        Entry::file("../../escape", "x"),
        Entry::file("/abs/file", "x"),
        Entry::CharDevice("dev/null".into()),
        Entry::Symlink("etc/os-release".into(), "../usr/lib/os-release".into()),
        Entry::file("usr/lib/os-release", "ID=debian\nVERSION_ID=\"12\"\n"),
        Entry::Hardlink("var/lib/dpkg/status".into(), "usr/lib/os-release".into()),
        Entry::file("lib/apk/db/.wh.installed", ""),
        Entry::file("usr/.wh..wh..opq", ""),
        Entry::Symlink("lib/apk/db/installed".into(), "real".into()),
        Entry::file("lib/apk/db/real", &db),
        Entry::PaxSize("app/creds.txt".into(), 0, b"aws_access_key_id = AKIAQWERTYUIOPASDFGHJ\n".to_vec()),
    ];
    let deb = vec![
        Entry::file("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n"),
        Entry::file("var/lib/dpkg/status", STATUS),
        Entry::file("var/lib/dpkg/info/zlib1g:amd64.list", "/usr/lib/x86_64-linux-gnu/libz.so.1\n"),
        Entry::file("usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\n"),
    ];
    let lang = vec![
        Entry::file(
            "app/package-lock.json",
            r#"{"name":"a","lockfileVersion":3,"packages":{"":{"name":"a"},"node_modules/x":{"version":"1.0.0"}}}"#,
        ),
        Entry::file("app/node_modules/x/package.json", r#"{"name":"x","version":"1.0.0"}"#),
        Entry::file("app/requirements.txt", "urllib3==1.24.1\nrequests==2.19.0\n"),
        Entry::file("app/Gemfile.lock", "GEM\n  remote: https://rubygems.org/\n  specs:\n    rack (2.2.3)\n\nDEPENDENCIES\n  rack\n"),
        Entry::file("app/.env", "DB_PASSWORD=Zx8v2Lq9Wm4Tn7Rb\n"),
    ];
    vec![
        ("alpine-plain.tar", Layer::plain(&base, "base")),
        ("alpine.tar.gz", Layer::gz(&base, "base")),
        ("alpine.tar.zst", Layer::zstd(&base, "base")),
        ("hostile.tar", Layer::plain(&hostile, "hostile")),
        ("debian.tar", Layer::plain(&deb, "deb")),
        ("lang.tar", Layer::plain(&lang, "lang")),
    ]
}

/// A fat jar: a pom.properties of its own and a nested jar with another.
fn jar() -> Result<Vec<u8>, String> {
    fn zip_of(entries: &[(&str, &[u8])]) -> Result<Vec<u8>, String> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, data) in entries {
            w.start_file(*name, zip::write::SimpleFileOptions::default()).map_err(|e| e.to_string())?;
            std::io::Write::write_all(&mut w, data).map_err(|e| e.to_string())?;
        }
        Ok(w.finish().map_err(|e| e.to_string())?.into_inner())
    }
    let inner = zip_of(&[
        ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\nImplementation-Title: commons-io\nImplementation-Version: 2.11.0\n"),
        ("META-INF/maven/commons-io/commons-io/pom.properties", b"groupId=commons-io\nartifactId=commons-io\nversion=2.11.0\n"),
    ])?;
    zip_of(&[
        ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\nMain-Class: app.Main\n"),
        ("META-INF/maven/org.example/app/pom.properties", b"groupId=org.example\nartifactId=app\nversion=1.0.0\n"),
        ("BOOT-INF/lib/commons-io-2.11.0.jar", &inner),
    ])
}

pub fn write(dir: &Path) -> Result<(), String> {
    // layer: blobs as stored.
    let all = layers();
    for (name, l) in &all {
        put(dir, "layer", name, &l.blob)?;
    }
    // archive: a docker save and an OCI archive around some of them; image-json: their documents.
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let picked: Vec<Layer> = all.iter().filter(|(n, _)| *n != "hostile.tar").map(|(_, l)| l.clone()).collect();
    let da = tmp.path().join("d.tar");
    docker_archive(&da, &picked[..2], "app:1");
    put(dir, "archive", "docker-save.tar", &std::fs::read(&da).map_err(|e| e.to_string())?)?;
    let layout = tmp.path().join("layout");
    oci_layout(&layout, &picked[1..3], "t", |_, _| {});
    let mut b = tar::Builder::new(Vec::new());
    b.append_dir_all(".", &layout).map_err(|e| e.to_string())?;
    let oci = b.into_inner().map_err(|e| e.to_string())?;
    put(dir, "archive", "oci-archive.tar", &oci)?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &std::fs::read(&da).map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
    put(dir, "archive", "docker-save.tar.gz", &gz.finish().map_err(|e| e.to_string())?)?;
    let idx = std::fs::read(layout.join("index.json")).map_err(|e| e.to_string())?;
    put(dir, "image-json", "index.json", &idx)?;
    for e in std::fs::read_dir(layout.join("blobs/sha256")).map_err(|e| e.to_string())?.flatten() {
        let data = std::fs::read(e.path()).map_err(|e| e.to_string())?;
        if data.first() == Some(&b'{') {
            put(dir, "image-json", &format!("blob-{}", &e.file_name().to_string_lossy()[..12]), &data)?;
        }
    }
    put(dir, "image-json", "docker-manifest.json", br#"[{"Config":"abc.json","RepoTags":["app:1"],"Layers":["l/layer.tar"]}]"#)?;
    put(
        dir,
        "image-json",
        "reference",
        b"registry.example.com:5000/team/app:1.2@sha256:0000000000000000000000000000000000000000000000000000000000000000",
    )?;
    put(dir, "image-json", "challenge", br#"Bearer realm="https://auth.example.com/token",service="registry",scope="repository:a:pull""#)?;
    // dockerfile: the parser's test files and the test images' Dockerfiles.
    for d in ["crates/dredge-misconfig/testdata/dockerfiles", "testdata/misconfig/planted", "testdata/misconfig/dockerfiles"] {
        for e in std::fs::read_dir(repo().join(d)).map_err(|e| e.to_string())?.flatten() {
            if e.path().is_file() {
                let name = format!("{}-{}", d.rsplit('/').next().unwrap_or(d), e.file_name().to_string_lossy());
                put(dir, "dockerfile", &name, &std::fs::read(e.path()).map_err(|e| e.to_string())?)?;
            }
        }
    }
    // license: the real license texts, spellings, and Debian copyright files.
    for e in std::fs::read_dir(repo().join("crates/dredge-license/testdata/texts")).map_err(|e| e.to_string())?.flatten() {
        put(dir, "license", &e.file_name().to_string_lossy(), &std::fs::read(e.path()).map_err(|e| e.to_string())?)?;
    }
    for (name, text) in [
        ("spelling-1", "GPLv2+ and (LGPLv2+ or MIT/X11) with Classpath-exception-2.0"),
        ("spelling-2", "License :: OSI Approved :: GNU Affero General Public License v3 or later (AGPLv3+)"),
        ("spelling-3", "BSD-3-clause and/or GPL-3+ with Bison exception, Custom Corp v9; Apache 2.0 | ASL 2.0"),
        (
            "dep5",
            "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nLicense: GPL-2+ or Artistic\n\nLicense: Artistic\n text\n",
        ),
        ("free-form", "either version 2.1 of the License, or (at your option) any later version.\n/usr/share/common-licenses/LGPL'.\n"),
    ] {
        put(dir, "license", name, text.as_bytes())?;
    }
    // manifest: the Kubernetes test manifests.
    for e in std::fs::read_dir(repo().join("crates/dredge-misconfig/testdata/k8s")).map_err(|e| e.to_string())?.flatten() {
        if e.path().is_file() {
            put(dir, "manifest", &e.file_name().to_string_lossy(), &std::fs::read(e.path()).map_err(|e| e.to_string())?)?;
        }
    }
    // extractors: every extractor fixture (named by the path it stands for), OS databases.
    let lang = repo().join("crates/dredge-extract/testdata/lang");
    let plugins = dredge_layer::PluginSet::new(dredge_extract::EXTRACTORS);
    let mut stack = vec![lang.clone()];
    let mut wanted = Vec::new();
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).map_err(|e| e.to_string())?.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let Ok(rel) = p.strip_prefix(&lang) else { continue };
            // `poetry-lock/poetry.lock` stands for `app/poetry-lock/poetry.lock`.
            let path = format!("app/{}", rel.to_string_lossy());
            let data = std::fs::read(&p).map_err(|e| e.to_string())?;
            plugins.wanted_by(&path, &mut wanted);
            if (!wanted.is_empty() || data.starts_with(b"\x7fELF")) && data.len() <= 2 << 20 {
                put(dir, "extractors", &name_of(&path), &data)?;
            }
        }
    }
    put(dir, "extractors", &name_of("var/lib/dpkg/status"), STATUS.as_bytes())?;
    put(
        dir,
        "extractors",
        &name_of("app/node_modules/x/package.json"),
        br#"{"name":"x","version":"1.0.0","license":"MIT","dependencies":{"y":"^2"}}"#,
    )?;
    put(
        dir,
        "extractors",
        &name_of("usr/lib/python3/site-packages/six-1.16.0.dist-info/METADATA"),
        b"Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\nLicense: MIT\n\nSix is a Python 2 and 3 compatibility library.\n",
    )?;
    put(dir, "extractors", &name_of("app/lib/app.jar"), &jar()?)?;
    put(
        dir,
        "extractors",
        &name_of("etc/os-release"),
        b"NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.20.3\nPRETTY_NAME=\"Alpine Linux v3.20\"\n",
    )?;
    put(dir, "extractors", &name_of("etc/redhat-release"), b"Red Hat Enterprise Linux release 8.9 (Ootpa)\n")?;
    let fx = fixtures();
    if let Ok(f) = std::fs::File::open(fx.join("alpine/alpine-minirootfs-3.19.4-x86_64.tar.gz")) {
        let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(f));
        for e in ar.entries().map_err(|e| e.to_string())?.flatten() {
            let mut e = e;
            if e.path().map(|p| p.to_string_lossy().trim_start_matches("./") == "lib/apk/db/installed").unwrap_or(false) {
                let mut v = Vec::new();
                e.read_to_end(&mut v).map_err(|e| e.to_string())?;
                put(dir, "extractors", &name_of("lib/apk/db/installed"), &v)?;
            }
        }
    }
    if let Ok(b) = std::fs::read(fx.join("rpmdb/libuuid/Packages")) {
        put(dir, "extractors", &name_of("var/lib/rpm/Packages"), &b)?;
    }
    if let Ok(b) = std::fs::read(fx.join("rpmdb/sle15-bci/Packages.db")) {
        put(dir, "extractors", &name_of("usr/lib/sysimage/rpm/Packages.db"), &b)?;
    }
    // A small SQLite rpm database: three real headers from the CBL-Mariner one.
    if let Ok(src) =
        rusqlite::Connection::open_with_flags(fx.join("rpmdb/cbl-mariner-2.0/rpmdb.sqlite"), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
    {
        let blobs: Vec<Vec<u8>> = src
            .prepare("SELECT blob FROM Packages ORDER BY hnum LIMIT 3")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .map_err(|e| e.to_string())?;
        let out = rusqlite::Connection::open_in_memory().map_err(|e| e.to_string())?;
        out.execute_batch("CREATE TABLE Packages(hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL);")
            .map_err(|e| e.to_string())?;
        for b in blobs {
            out.execute("INSERT INTO Packages(blob) VALUES (?1)", [b]).map_err(|e| e.to_string())?;
        }
        let bytes = out.serialize(rusqlite::MAIN_DB).map_err(|e| e.to_string())?;
        put(dir, "extractors", &name_of("var/lib/rpm/rpmdb.sqlite"), &bytes)?;
    }
    // secret: files that hold (made-up) secrets of several kinds, and an image config.
    put(dir, "secret", &name_of("app/.env"), b"DB_PASSWORD=Zx8v2Lq9Wm4Tn7Rb\nGITHUB_TOKEN=ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A\n")?;
    put(
        dir,
        "secret",
        &name_of("app/settings.py"),
        b"aws_access_key_id = \"AKIAQWERTYUIOPASDFGHJ\"\naws_secret_access_key = \"q8W3e5R7t9Y1u3I5o7P9a1S3d5F7g9H1j3K5l7Z9\"\n",
    )?;
    put(dir, "secret", &name_of("root/.ssh/id_rsa"), b"-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx8v2Lq9Wm4Tn7RbZx8v2Lq9Wm4Tn7RbZx8v2Lq9Wm4Tn7Rb\n-----END RSA PRIVATE KEY-----\n")?;
    put(dir, "secret", &name_of("app/.npmrc"), b"//registry.npmjs.org/:_authToken=npm_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A\n")?;
    put(dir, "secret", "config.json", br#"{"config":{"Env":["TOKEN=glpat-aB3dE5fG7hJ9kL1mN3pQ"]},"history":[{"created_by":"RUN |1 TOKEN=ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A /bin/sh"}]}"#)?;
    Ok(())
}
