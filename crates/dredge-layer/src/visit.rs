//! The one file visitor behind both walks: a layer's tar entries ([`crate::walk_layer`]) and a
//! directory's files ([`crate::walk_dir`]) are handed to it the same way, and it decides what to
//! read: the files an extractor wants (whole, under the extractor's cap), executables sniffed for
//! ELF, and every other regular file streamed to the content scanners. Content scanners run on
//! their own threads (one per scanner), fed the same chunks of each file: one read of the file,
//! however many scanners look at it.

use crate::plugin::{ContentScanner, PluginSet};
use crate::{EntryKind, FileFacts, LayerFacts};
use dredge_model::{Fact, Warning};
use std::collections::HashMap;
use std::io::{self, Read};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};

/// Wanted files up to this size stay in memory for hard links to them later in the same layer
/// (package databases are small; a hard-linked 100 MB jar is not worth holding).
const KEEP_FOR_HARDLINKS: usize = 4 << 20;
/// And at most this much in total per layer: a layer of many wanted files cannot make the walk
/// hold them all (100 × 4 MiB `package.json` would otherwise stay in memory to the layer's end).
const KEEP_FOR_HARDLINKS_TOTAL: usize = 32 << 20;
/// A streamed file goes to the content scanners in chunks of this size.
const CHUNK: usize = 256 << 10;
/// Chunks in flight per content scanner: memory stays bounded (`CHUNK × DEPTH` per scanner)
/// whatever the file and layer sizes.
const DEPTH: usize = 16;
/// How much of a file the content scanners see before they say whether they want the rest.
pub const HEAD: usize = 8 << 10;

/// The content of an entry, opened only when the visitor needs it (a directory walk opens no file
/// that no plugin wants).
pub(crate) trait Body {
    fn reader(&mut self) -> io::Result<&mut dyn Read>;
}

/// A tar entry (or any reader) that is already open.
pub(crate) struct Open<'r>(pub &'r mut dyn Read);

impl Body for Open<'_> {
    fn reader(&mut self) -> io::Result<&mut dyn Read> {
        Ok(&mut *self.0)
    }
}

enum Msg {
    /// A file read whole for the extractors: the scanners see the same bytes.
    Whole {
        path: String,
        data: Arc<Vec<u8>>,
    },
    /// A streamed file: `Chunk`s follow, then `End`.
    Start {
        path: String,
    },
    Chunk(Arc<Vec<u8>>),
    End,
}

/// What one content scanner's thread found.
type Found = (Vec<(String, Vec<Fact>)>, Vec<Warning>);

/// The content-scanning stage: a thread per scanner, each behind a bounded channel.
struct ContentStage<'p> {
    scanners: Vec<&'p dyn ContentScanner>,
    senders: Vec<SyncSender<Msg>>,
    /// Chunk buffers the scanners are done with, for reuse.
    spare: Receiver<Vec<u8>>,
}

impl ContentStage<'_> {
    fn buffer(&self) -> Vec<u8> {
        match self.spare.try_recv() {
            Ok(mut v) => {
                v.clear();
                v
            }
            Err(_) => Vec::with_capacity(CHUNK),
        }
    }
}

/// Reads a streamed file's chunks off the channel for [`ContentScanner::scan_stream`].
struct ChunkStream<'a> {
    rx: &'a Receiver<Msg>,
    spare: &'a Sender<Vec<u8>>,
    cur: Arc<Vec<u8>>,
    pos: usize,
    ended: bool,
}

/// Hands a chunk back for reuse once no scanner holds it any more.
fn give_back(c: Arc<Vec<u8>>, spare: &Sender<Vec<u8>>) {
    if let Ok(v) = Arc::try_unwrap(c) {
        if v.capacity() >= CHUNK {
            let _ = spare.send(v);
        }
    }
}

impl Read for ChunkStream<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.cur.len() {
            if self.ended {
                return Ok(0);
            }
            match self.rx.recv() {
                Ok(Msg::Chunk(c)) => {
                    give_back(std::mem::replace(&mut self.cur, c), self.spare);
                    self.pos = 0;
                }
                Ok(Msg::End) => self.ended = true,
                Ok(_) | Err(_) => {
                    self.ended = true;
                    return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the walk stopped in the middle of a file"));
                }
            }
        }
        let n = buf.len().min(self.cur.len() - self.pos);
        buf[..n].copy_from_slice(&self.cur[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

fn content_worker(scanner: &dyn ContentScanner, rx: Receiver<Msg>, spare: Sender<Vec<u8>>, layer: Option<usize>) -> Found {
    let mut found = Vec::new();
    let mut warnings = Vec::new();
    while let Ok(msg) = rx.recv() {
        match msg {
            Msg::Whole { path, data } => {
                let f = scanner.scan_bytes(&path, &data);
                if !f.is_empty() {
                    found.push((path, f));
                }
            }
            Msg::Start { path } => {
                let mut s = ChunkStream { rx: &rx, spare: &spare, cur: Arc::new(Vec::new()), pos: 0, ended: false };
                match scanner.scan_stream(&path, &mut s) {
                    Ok(f) if !f.is_empty() => found.push((path, f)),
                    Ok(_) => {}
                    Err(e) => warnings.push(Warning { path: Some(format!("/{path}")), layer, message: format!("not scanned: {e}") }),
                }
                // The scanner may stop early (a binary): the rest of the file is dropped here.
                while !s.ended {
                    match rx.recv() {
                        Ok(Msg::Chunk(c)) => give_back(c, &spare),
                        _ => s.ended = true,
                    }
                }
                give_back(std::mem::take(&mut s.cur), &spare);
            }
            Msg::Chunk(_) | Msg::End => {}
        }
    }
    (found, warnings)
}

/// Runs `f` with a visitor for one layer (`layer: None` for a directory), content scanners on
/// their own threads, and returns what `f` returned with the layer's facts. `behind_inflate`: the
/// layer is being decompressed, and the content scanners give way to the inflater (on an
/// uncompressed layer they are on the critical path themselves: measured 8% slower when they
/// gave way there too).
pub(crate) fn with_visitor<T>(
    plugins: &PluginSet<'_>,
    layer: Option<usize>,
    behind_inflate: bool,
    f: impl FnOnce(&mut Visitor<'_, '_>) -> T,
) -> (T, LayerFacts) {
    std::thread::scope(|s| {
        let mut senders = Vec::new();
        let mut handles = Vec::new();
        let (spare_tx, spare) = channel();
        for &c in plugins.content() {
            let (tx, rx) = sync_channel::<Msg>(DEPTH);
            senders.push(tx);
            let back = spare_tx.clone();
            handles.push(std::thread::Builder::new().name("dredge-content".into()).spawn_scoped(s, move || {
                if behind_inflate {
                    crate::pipe::yield_to_inflate();
                }
                content_worker(c, rx, back, layer)
            }));
        }
        let stage = ContentStage { scanners: plugins.content().to_vec(), senders, spare };
        let mut v = Visitor {
            plugins,
            layer,
            facts: LayerFacts { index: layer.unwrap_or(0), ..Default::default() },
            wanted: Vec::new(),
            kept: HashMap::new(),
            kept_bytes: 0,
            content: stage,
            marked: false,
        };
        let out = f(&mut v);
        let Visitor { mut facts, content, .. } = v;
        drop(content); // closes the channels: the workers finish
        for h in handles {
            match h.map_err(|e| e.to_string()).and_then(|h| h.join().map_err(|_| "a content scanner panicked".to_string())) {
                Ok((found, warnings)) => {
                    facts.warnings.extend(warnings);
                    for (path, f) in found {
                        facts.files.entry(path).or_insert_with(|| FileFacts { kind: EntryKind::File, facts: Vec::new() }).facts.extend(f);
                    }
                }
                Err(e) => facts.warnings.push(Warning { path: None, layer, message: format!("content scanning failed: {e}") }),
            }
        }
        facts.written.sort_unstable();
        facts.written.dedup();
        (out, facts)
    })
}

pub(crate) struct Visitor<'a, 'p> {
    plugins: &'a PluginSet<'p>,
    layer: Option<usize>,
    pub facts: LayerFacts,
    wanted: Vec<usize>,
    /// Bytes of wanted regular files seen in this layer, for hardlinks to them later in the layer.
    kept: HashMap<String, Arc<Vec<u8>>>,
    kept_bytes: usize,
    content: ContentStage<'p>,
    /// Whether a setuid/setgid file has been marked in this layer (rare): only then can a later
    /// entry of the same path have a mark to drop.
    marked: bool,
}

impl Visitor<'_, '_> {
    pub fn warn(&mut self, path: &str, message: String) {
        self.facts.warnings.push(Warning { path: Some(format!("/{path}")), layer: self.layer, message });
    }

    /// A regular file of `size` bytes with permission bits `mode`. An error is one reading `body`.
    /// A setuid or setgid file is recorded ([`Fact::SetId`]) whatever else it holds: the header
    /// says so, no read needed.
    pub fn regular(&mut self, path: String, size: u64, mode: u32, body: &mut dyn Body) -> io::Result<()> {
        let setid = (mode & 0o6000 != 0).then(|| path.clone());
        if setid.is_none() && self.marked {
            // The same path again in this layer, no longer setuid: the earlier entry's mark goes.
            if let Some(ff) = self.facts.files.get_mut(&path) {
                ff.facts.retain(|f| !matches!(f, Fact::SetId { .. }));
            }
        }
        let res = self.regular_file(path, size, mode & 0o111 != 0, body);
        if let Some(p) = setid {
            let ff = self.facts.files.entry(p).or_insert_with(|| FileFacts { kind: EntryKind::File, facts: Vec::new() });
            ff.facts.push(Fact::SetId { mode: mode & 0o7777 });
            self.marked = true;
        }
        res
    }

    /// A regular file of `size` bytes (`exec`: any execute bit).
    fn regular_file(&mut self, path: String, size: u64, exec: bool, body: &mut dyn Body) -> io::Result<()> {
        self.facts.stats.files += 1;
        let scanning = !self.content.scanners.is_empty();
        if scanning {
            self.facts.written.push(crate::walk::path_hash(&path));
        }
        let plugins = self.plugins;
        plugins.wanted_by(&path, &mut self.wanted);
        if self.wanted.is_empty() {
            let sniff = exec && size >= 64 && !plugins.elf().is_empty();
            if !sniff && !scanning {
                return Ok(());
            }
            let mut r = body.reader()?;
            let mut head = Vec::new();
            if sniff {
                match crate::elf::sniff_elf(&mut r, size)? {
                    crate::elf::Sniffed::Elf(bin) => {
                        let ff = run_binary_plugins(plugins, &path, &bin, &mut self.facts.warnings, self.layer);
                        self.facts.files.insert(path, ff);
                        return Ok(());
                    }
                    crate::elf::Sniffed::Other(h) => head = h,
                }
            }
            return self.stream(&path, size, &mut io::Cursor::new(head).chain(r));
        }
        let cap = self.wanted.iter().map(|&i| plugins.get(i).max_file_size()).max().unwrap_or(0);
        let mut ff = FileFacts { kind: EntryKind::File, facts: Vec::new() };
        if size > cap {
            self.warn(&path, format!("file of {size} bytes is larger than the {cap}-byte limit for its extractors; not read"));
            let r = body.reader()?;
            self.stream(&path, size, r)?;
            self.facts.files.insert(path, ff);
            return Ok(());
        }
        let mut data = Vec::with_capacity(size as usize);
        // One byte over the cap tells a file that grew since its size was taken (a directory).
        body.reader()?.take(cap + 1).read_to_end(&mut data)?;
        if data.len() as u64 > cap {
            self.warn(&path, format!("file is larger than the {cap}-byte limit for its extractors; not read"));
            self.facts.files.insert(path, ff);
            return Ok(());
        }
        let data = Arc::new(data);
        ff.facts = run_plugins(plugins, &self.wanted, &path, &data, &mut self.facts.warnings, self.layer);
        if scanning && !data.is_empty() {
            for (c, tx) in self.content.scanners.iter().zip(&self.content.senders) {
                if c.wants(&path, &data[..data.len().min(HEAD)]) {
                    let _ = tx.send(Msg::Whole { path: path.clone(), data: data.clone() });
                }
            }
        }
        if data.len() <= KEEP_FOR_HARDLINKS && self.kept_bytes + data.len() <= KEEP_FOR_HARDLINKS_TOTAL {
            self.kept_bytes += data.len();
            if let Some(old) = self.kept.insert(path.clone(), data) {
                self.kept_bytes -= old.len();
            }
        }
        self.facts.files.insert(path, ff);
        Ok(())
    }

    /// Streams a file no extractor reads to the content scanners that want it (none: nothing
    /// more is read).
    fn stream(&mut self, path: &str, size: u64, r: &mut dyn Read) -> io::Result<()> {
        if self.content.scanners.is_empty() || size == 0 {
            return Ok(());
        }
        let mut head = Vec::with_capacity(HEAD.min(size as usize));
        r.take(HEAD as u64).read_to_end(&mut head)?;
        let mut to: Vec<usize> = Vec::new();
        let scanners = self.content.scanners.clone();
        for (i, c) in scanners.iter().enumerate() {
            if size > c.max_file_size() {
                let max = c.max_file_size();
                self.warn(path, format!("file of {size} bytes is larger than the {max}-byte limit for {}; not scanned", c.name()));
            } else if c.wants(path, &head) {
                to.push(i);
            }
        }
        if to.is_empty() {
            return Ok(());
        }
        let senders: Vec<&SyncSender<Msg>> = to.iter().map(|&i| &self.content.senders[i]).collect();
        for tx in &senders {
            let _ = tx.send(Msg::Start { path: path.to_string() });
        }
        let mut chunk = head;
        let res = loop {
            if chunk.len() < CHUNK {
                let want = (CHUNK - chunk.len()) as u64;
                if let Err(e) = r.take(want).read_to_end(&mut chunk) {
                    break Err(e);
                }
            }
            if chunk.is_empty() {
                break Ok(());
            }
            let full = chunk.len() == CHUNK;
            let c = Arc::new(std::mem::replace(&mut chunk, self.content.buffer()));
            for tx in &senders {
                let _ = tx.send(Msg::Chunk(c.clone()));
            }
            if !full {
                break Ok(());
            }
        };
        for tx in &senders {
            let _ = tx.send(Msg::End);
        }
        res
    }

    /// A hard link: read through its target when the target is a wanted file kept in memory.
    pub fn hardlink(&mut self, path: String, target: String) {
        let plugins = self.plugins;
        plugins.wanted_by(&path, &mut self.wanted);
        if self.wanted.is_empty() {
            return;
        }
        let target_norm = crate::path::normalise(&target).map(|p| p.path).unwrap_or_default();
        match self.kept.get(&target_norm).cloned() {
            Some(data) => {
                let facts = run_plugins(plugins, &self.wanted, &path, &data, &mut self.facts.warnings, self.layer);
                self.facts.files.insert(path, FileFacts { kind: EntryKind::File, facts });
            }
            None => {
                self.warn(&path, format!("hard link to {target} whose content was not kept; not read"));
                self.facts.files.insert(path, FileFacts { kind: EntryKind::Hardlink { target }, facts: Vec::new() });
            }
        }
    }

    /// A symbolic link: recorded (never followed) when its path is wanted.
    pub fn symlink(&mut self, path: String, target: impl FnOnce() -> String) {
        self.plugins.wanted_by(&path, &mut self.wanted);
        if !self.wanted.is_empty() {
            self.facts.files.insert(path, FileFacts { kind: EntryKind::Symlink { target: target() }, facts: Vec::new() });
        }
    }
}

/// Runs the ELF extractors on one binary. `layer` is `None` for a root filesystem directory.
pub(crate) fn run_binary_plugins(
    plugins: &PluginSet<'_>,
    path: &str,
    bin: &crate::Sparse,
    warnings: &mut Vec<Warning>,
    layer: Option<usize>,
) -> FileFacts {
    let mut out = Vec::new();
    for &i in plugins.elf() {
        let p = plugins.get(i);
        match p.extract_binary(path, bin) {
            Ok(mut f) => out.append(&mut f),
            Err(e) => warnings.push(Warning { path: Some(format!("/{path}")), layer, message: format!("{}: {}", p.name(), e) }),
        }
    }
    FileFacts { kind: EntryKind::File, facts: out }
}

/// Runs the wanting extractors on a file read whole.
pub(crate) fn run_plugins(
    plugins: &PluginSet<'_>,
    wanted: &[usize],
    path: &str,
    data: &[u8],
    warnings: &mut Vec<Warning>,
    layer: Option<usize>,
) -> Vec<Fact> {
    let mut out = Vec::new();
    for &i in wanted {
        let p = plugins.get(i);
        if data.len() as u64 > p.max_file_size() {
            continue;
        }
        match p.extract(path, data) {
            Ok(mut f) => out.append(&mut f),
            Err(e) => warnings.push(Warning { path: Some(format!("/{path}")), layer, message: format!("{}: {}", p.name(), e) }),
        }
    }
    out
}
