//! Every corpus input and every saved crash of `fuzz/` goes through its target once: a crash
//! found by the fuzzer stays fixed.
#![allow(clippy::panic, clippy::unwrap_used)]

use std::path::PathBuf;

#[test]
fn corpus_and_crashes_run_clean() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut n = 0;
    for t in dredge_fuzz::TARGETS {
        let dir = root.join("corpus").join(t);
        let files: Vec<_> =
            std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).map(|e| e.unwrap().path()).collect();
        assert!(!files.is_empty(), "no corpus for {t}");
        for f in files {
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            dredge_fuzz::run(t, &dredge_fuzz::path_of(&name), &std::fs::read(&f).unwrap());
            n += 1;
        }
    }
    // Crash reproducers: `<target>-<hash>-<corpus name>`.
    for e in std::fs::read_dir(root.join("regressions")).into_iter().flatten() {
        let f = e.unwrap().path();
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let mut parts = name.splitn(3, '-');
        let (t, _, rest) = (parts.next().unwrap(), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let t = if t == "image" { "image-json" } else { t };
        dredge_fuzz::run(t, &dredge_fuzz::path_of(rest), &std::fs::read(&f).unwrap());
        n += 1;
    }
    assert!(n > 40, "{n} inputs");
}
