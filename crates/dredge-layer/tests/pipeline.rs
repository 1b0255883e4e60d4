//! The pipelined layer pass: errors in any stage end the walk (no hang), content scanners each see
//! every byte of the files they want (one read shared), a slow or early-stopping scanner neither
//! blocks nor breaks the digests, and a directory walk sees what a layer walk sees.

use dredge_layer::{ContentScanner, LayerError, LayerInput, PluginSet, SizeBudget, walk_dir, walk_layer};
use dredge_model::{ContentHit, Fact, Severity};
use dredge_testkit::{Entry, gzip, layer_tar, sha256};
use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Counts the bytes and files it is given; optionally slow, optionally stops reading early.
struct Counting {
    id: &'static str,
    bytes: AtomicU64,
    files: AtomicUsize,
    slow: bool,
    stop_after: Option<u64>,
    only_txt: bool,
}

impl Counting {
    fn new(id: &'static str) -> Self {
        Counting { id, bytes: AtomicU64::new(0), files: AtomicUsize::new(0), slow: false, stop_after: None, only_txt: false }
    }
    fn hit(&self, n: u64) -> Vec<Fact> {
        self.bytes.fetch_add(n, Ordering::Relaxed);
        self.files.fetch_add(1, Ordering::Relaxed);
        vec![Fact::Hit(Box::new(ContentHit {
            scanner: self.id.into(),
            rule: "bytes".into(),
            title: n.to_string(),
            severity: Severity::Low,
            line: 1,
            evidence: None,
        }))]
    }
}

impl ContentScanner for Counting {
    fn name(&self) -> &'static str {
        "counting"
    }
    fn fingerprint(&self) -> String {
        self.id.into()
    }
    fn max_file_size(&self) -> u64 {
        1 << 30
    }
    fn wants(&self, path: &str, _head: &[u8]) -> bool {
        !self.only_txt || path.ends_with(".txt")
    }
    fn scan_bytes(&self, _path: &str, data: &[u8]) -> Vec<Fact> {
        self.hit(data.len() as u64)
    }
    fn scan_stream(&self, _path: &str, r: &mut dyn Read) -> std::io::Result<Vec<Fact>> {
        let mut buf = vec![0u8; 64 << 10];
        let mut n = 0u64;
        loop {
            if self.stop_after.is_some_and(|s| n >= s) {
                break;
            }
            let k = r.read(&mut buf)?;
            if k == 0 {
                break;
            }
            n += k as u64;
            if self.slow {
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
        }
        Ok(self.hit(n))
    }
}

/// Bytes that do not compress (so a gzip layer is as large as its content) and hold no NUL.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            b'A' + (x % 26) as u8
        })
        .collect()
}

fn entries() -> Vec<Entry> {
    let mut e = Vec::new();
    for i in 0..6u64 {
        // 0, 1 and 3 MiB-ish files: each several chunks, more than a channel holds.
        let len = [0, 10, (1 << 20) + 7, 3 << 20, 5 << 20, 300][i as usize];
        e.push(Entry::file(&format!("data/f{i}.txt"), noise(len, i + 1)));
    }
    e.push(Entry::file("data/skip.bin", noise(2 << 20, 99)));
    e
}

fn walk(blob: Vec<u8>, diff_id: &str, plugins: &PluginSet<'_>, budget: u64) -> Result<dredge_layer::LayerFacts, LayerError> {
    let digest = sha256(&blob);
    let input = LayerInput {
        reader: std::io::Cursor::new(blob),
        index: 0,
        expected_digest: Some(digest),
        expected_diff_id: Some(diff_id.to_string()),
        label: "layer 0".into(),
        follow: Vec::new(),
    };
    walk_layer(input, plugins, &Arc::new(SizeBudget::new(budget)))
}

#[test]
fn content_scanners_share_one_read_and_see_every_byte() {
    let tar = layer_tar(&entries());
    let total: u64 =
        entries().iter().map(|e| if let Entry::File(p, d) = e { if p.ends_with(".txt") { d.len() as u64 } else { 0 } } else { 0 }).sum();
    for blob in [tar.clone(), gzip(&tar), zstd::encode_all(&tar[..], 1).unwrap()] {
        let a = Counting::new("a");
        let mut b = Counting::new("b");
        b.slow = true;
        b.only_txt = true;
        let plugins = PluginSet::new(&[]).with_content(&a).with_content(&b);
        let facts = walk(blob, &sha256(&tar), &plugins, 1 << 30).expect("walk");
        // Both saw every byte of the text files; `a` also the binary-named one, `b` did not want it.
        assert_eq!(b.bytes.load(Ordering::Relaxed), total);
        assert_eq!(a.bytes.load(Ordering::Relaxed), total + (2 << 20));
        assert_eq!(b.files.load(Ordering::Relaxed), 5, "the empty file is not scanned");
        // Each file's facts name both scanners' results.
        let f = &facts.files["data/f4.txt"].facts;
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(facts.stats.uncompressed_bytes == tar.len() as u64);
    }
}

#[test]
fn a_scanner_that_stops_early_costs_no_correctness() {
    let tar = layer_tar(&entries());
    let mut a = Counting::new("a");
    a.stop_after = Some(100);
    let plugins = PluginSet::new(&[]).with_content(&a);
    let facts = walk(gzip(&tar), &sha256(&tar), &plugins, 1 << 30).expect("digests still verify");
    assert_eq!(facts.diff_id, sha256(&tar));
    assert!(a.bytes.load(Ordering::Relaxed) < 6 * (64 << 10) + 600);
}

#[test]
fn corrupt_or_truncated_gzip_is_an_error_in_every_stage() {
    let tar = layer_tar(&entries());
    let gz = gzip(&tar);
    let a = Counting::new("a");
    let plugins = PluginSet::new(&[]).with_content(&a);
    // Cut in the middle: the inflater's error reaches the parser.
    let cut = gz[..gz.len() / 2].to_vec();
    let e = walk(cut, &sha256(&tar), &plugins, 1 << 30).expect_err("truncated");
    assert!(matches!(e, LayerError::NotTar { .. } | LayerError::Io { .. }), "{e}");
    // Garbage in the middle of the deflate stream.
    let mut bad = gz.clone();
    let mid = bad.len() / 3;
    for b in &mut bad[mid..mid + 64] {
        *b ^= 0x5a;
    }
    let e = walk(bad, &sha256(&tar), &plugins, 1 << 30).expect_err("corrupt");
    assert!(e.to_string().starts_with("layer 0"), "{e}");
    // A blob whose tar is fine but whose diff_id is not the one expected.
    let e = walk(gz, &sha256(b"other"), &plugins, 1 << 30).expect_err("wrong diff_id");
    assert!(matches!(e, LayerError::DiffIdMismatch { .. }), "{e}");
}

#[test]
fn the_size_budget_stops_every_stage() {
    let tar = layer_tar(&entries());
    let a = Counting::new("a");
    let plugins = PluginSet::new(&[]).with_content(&a);
    for blob in [tar.clone(), gzip(&tar)] {
        let e = walk(blob, &sha256(&tar), &plugins, 2 << 20).expect_err("over budget");
        assert!(matches!(e, LayerError::TooLarge { .. }), "{e}");
    }
}

#[test]
fn a_directory_walk_sees_what_a_layer_walk_sees() {
    let dir = tempfile::tempdir().unwrap();
    for e in entries() {
        if let Entry::File(p, d) = e {
            let path = dir.path().join(&p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, d).unwrap();
        }
    }
    let tar = layer_tar(&entries());
    let a = Counting::new("a");
    let plugins = PluginSet::new(&[]).with_content(&a);
    let from_tar = walk(tar.clone(), &sha256(&tar), &plugins, 1 << 30).unwrap();
    let from_dir = walk_dir(dir.path(), &plugins).unwrap();
    assert_eq!(from_tar.files, from_dir.files);
    assert_eq!(from_tar.written, from_dir.written);
    assert_eq!(from_tar.stats.files, from_dir.stats.files);
}

#[test]
fn a_gzip_layer_of_several_members_is_read_to_its_end() {
    // eStargz layers and `pigz --independent`-style blobs are gzip members one after the other: the
    // inflater (zlib-rs, or ISA-L with the `isal` feature) must read every member, or files past the
    // first member would go unseen and the diff_id would not match.
    let tar = layer_tar(&entries());
    let cut = tar.len() / 3;
    let mut blob = gzip(&tar[..cut]);
    blob.extend(gzip(&tar[cut..2 * cut]));
    blob.extend(gzip(&tar[2 * cut..]));
    let a = Counting::new("a");
    let plugins = PluginSet::new(&[]).with_content(&a);
    let facts = walk(blob, &sha256(&tar), &plugins, 1 << 30).expect("three members");
    assert_eq!(facts.diff_id, sha256(&tar));
    assert_eq!(facts.stats.uncompressed_bytes, tar.len() as u64);
    assert!(facts.files.contains_key("data/skip.bin"), "the last file, in the last member");
    assert_eq!(a.files.load(Ordering::Relaxed), 6);
}

#[test]
fn setuid_and_setgid_files_are_marked_from_their_headers() {
    use dredge_model::Fact;
    let tar = layer_tar(&[
        Entry::Mode("usr/bin/helper".into(), 0o4755, b"\x7fELF-not-really".to_vec()),
        Entry::Mode("usr/bin/grouped".into(), 0o2711, b"x".to_vec()),
        Entry::Mode("usr/bin/plain".into(), 0o755, b"x".to_vec()),
        // Written twice in the layer, the second time without the bit: not marked.
        Entry::Mode("usr/bin/again".into(), 0o4755, b"x".to_vec()),
        Entry::Mode("usr/bin/again".into(), 0o755, b"y".to_vec()),
    ]);
    // With no extractor nor content scanner at all: the header is enough.
    let plugins = PluginSet::new(&[]);
    let facts = walk(gzip(&tar), &sha256(&tar), &plugins, 1 << 30).unwrap();
    let marked: Vec<(&str, u32)> = facts
        .files
        .iter()
        .flat_map(|(p, ff)| {
            ff.facts.iter().filter_map(move |f| if let Fact::SetId { mode } = f { Some((p.as_str(), *mode)) } else { None })
        })
        .collect();
    assert_eq!(marked, vec![("usr/bin/grouped", 0o2711), ("usr/bin/helper", 0o4755)]);
}
