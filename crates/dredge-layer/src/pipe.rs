//! The stages of a layer pass before the tar parser, each on its own thread, joined by bounded
//! channels of chunks: reading the blob (and hashing it), then decompressing it. The tar parser
//! reads the last channel through a [`ChunkReader`], which hashes what it receives (the diff_id).
//! On a 2-core machine decompression then runs beside hashing, tar parsing, extraction and
//! content scanning instead of before them; memory stays at `DEPTH × CHUNK` per channel whatever
//! the layer's size.

use crate::walk::SizeBudget;
use sha2::{Digest, Sha256};
use std::io::{self, BufRead, Read};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};

/// Bytes per chunk between stages.
pub(crate) const CHUNK: usize = 256 << 10;
/// Chunks in flight per channel.
pub(crate) const DEPTH: usize = 8;

pub(crate) type Chunk = io::Result<Vec<u8>>;

/// The sending end of a stage's channel. Buffers the receiver is done with come back on `spare`
/// and are reused, so a layer's bytes do not cost a fresh allocation (and its page faults) per
/// chunk.
pub(crate) struct Tx {
    data: SyncSender<Chunk>,
    spare: Receiver<Vec<u8>>,
}

/// The receiving end: chunks in, used buffers back.
pub(crate) struct Rx {
    data: Receiver<Chunk>,
    spare: Sender<Vec<u8>>,
}

/// A bounded channel of [`DEPTH`] chunks between two stages.
pub(crate) fn link() -> (Tx, Rx) {
    let (dtx, drx) = sync_channel(DEPTH);
    let (stx, srx) = channel();
    (Tx { data: dtx, spare: srx }, Rx { data: drx, spare: stx })
}

impl Tx {
    fn buffer(&self) -> Vec<u8> {
        match self.spare.try_recv() {
            Ok(mut v) => {
                v.clear();
                v
            }
            Err(_) => Vec::with_capacity(CHUNK),
        }
    }
    /// False when the receiver is gone (its stage stopped).
    fn send(&self, c: Chunk) -> bool {
        self.data.send(c).is_ok()
    }
}

#[derive(Debug)]
pub(crate) struct BudgetExceeded;
impl std::fmt::Display for BudgetExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("decompressed size budget exceeded")
    }
}
impl std::error::Error for BudgetExceeded {}

pub(crate) fn is_budget(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|i| i.is::<BudgetExceeded>())
}

/// Reads `r` to its end in chunks (the first one given), counting them against the budget's raw
/// bytes, and sends them on. An error is sent as the last message. Returns what it read, and
/// its SHA-256 when `hash` is set. A closed receiver (the parser stopped) ends the stage.
pub(crate) fn source(mut r: impl Read, first: Vec<u8>, tx: Tx, budget: Arc<SizeBudget>, hash: bool) -> (Option<String>, u64) {
    let mut h = hash.then(Sha256::new);
    let mut total = 0u64;
    let mut chunk = first;
    loop {
        if chunk.is_empty() {
            match fill(&mut r, &mut chunk) {
                Ok(()) if chunk.is_empty() => break,
                Ok(()) => {}
                Err(e) => {
                    tx.send(Err(e));
                    break;
                }
            }
        }
        total += chunk.len() as u64;
        if !budget.spend(chunk.len() as u64, true) {
            tx.send(Err(io::Error::other(BudgetExceeded)));
            break;
        }
        if let Some(h) = h.as_mut() {
            h.update(&chunk);
        }
        let next = tx.buffer();
        if !tx.send(Ok(std::mem::replace(&mut chunk, next))) {
            break;
        }
    }
    (h.map(|h| format!("sha256:{}", hex::encode(h.finalize()))), total)
}

/// Fills `buf` (empty) with up to [`CHUNK`] bytes; empty at the end of the stream.
pub(crate) fn fill(r: &mut impl Read, buf: &mut Vec<u8>) -> io::Result<()> {
    buf.reserve(CHUNK);
    loop {
        match r.by_ref().take((CHUNK - buf.len()) as u64).read_to_end(buf) {
            Ok(0) => return Ok(()),
            Ok(_) if buf.len() >= CHUNK => return Ok(()),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Decompresses what `rx` carries with `decoder` (built over a reader of it) and sends the output
/// on in chunks. Errors (corrupt data, a budget exceeded upstream) are sent as the last message.
pub(crate) fn inflate<D: Read>(rx: Rx, tx: Tx, decoder: impl FnOnce(ChunkReader) -> io::Result<D>) {
    let mut d = match decoder(ChunkReader::new(rx, None, false)) {
        Ok(d) => d,
        Err(e) => {
            tx.send(Err(e));
            return;
        }
    };
    loop {
        let mut chunk = tx.buffer();
        match fill(&mut d, &mut chunk) {
            Ok(()) if chunk.is_empty() => return,
            Ok(()) => {
                if !tx.send(Ok(chunk)) {
                    return;
                }
            }
            Err(e) => {
                tx.send(Err(e));
                return;
            }
        }
    }
}

/// The receiving end of a stage: a [`BufRead`] over the chunks, optionally hashing them and
/// counting them against the decompressed-size budget as they arrive.
pub(crate) struct ChunkReader {
    rx: Rx,
    cur: Vec<u8>,
    pos: usize,
    done: bool,
    hasher: Option<Sha256>,
    budget: Option<Arc<SizeBudget>>,
    pub bytes: u64,
}

impl ChunkReader {
    pub(crate) fn new(rx: Rx, budget: Option<Arc<SizeBudget>>, hash: bool) -> Self {
        ChunkReader { rx, cur: Vec::new(), pos: 0, done: false, hasher: hash.then(Sha256::new), budget, bytes: 0 }
    }

    /// The SHA-256 of everything received (when hashing).
    pub(crate) fn digest(&mut self) -> Option<String> {
        self.hasher.take().map(|h| format!("sha256:{}", hex::encode(h.finalize())))
    }
}

impl BufRead for ChunkReader {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.pos >= self.cur.len() && !self.done {
            match self.rx.data.recv() {
                Ok(Ok(c)) => {
                    if let Some(b) = &self.budget {
                        if !b.spend(c.len() as u64, false) {
                            self.done = true;
                            return Err(io::Error::other(BudgetExceeded));
                        }
                    }
                    if let Some(h) = self.hasher.as_mut() {
                        h.update(&c);
                    }
                    self.bytes += c.len() as u64;
                    let used = std::mem::replace(&mut self.cur, c);
                    if used.capacity() >= CHUNK {
                        let _ = self.rx.spare.send(used);
                    }
                    self.pos = 0;
                }
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                // The sender finished without error: the end of the stream.
                Err(_) => self.done = true,
            }
        }
        Ok(if self.pos < self.cur.len() { &self.cur[self.pos..] } else { &[] })
    }

    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.cur.len());
    }
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(buf.len());
        buf[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

/// What the tar parser reads from: the bytes, their SHA-256 and count.
pub(crate) trait TarSource: Read {
    fn digest(&mut self) -> Option<String>;
    fn count(&self) -> u64;
}

impl TarSource for ChunkReader {
    fn digest(&mut self) -> Option<String> {
        ChunkReader::digest(self)
    }
    fn count(&self) -> u64 {
        self.bytes
    }
}

/// An uncompressed blob read on the parser's own thread: hashed and counted (against both of
/// the budget's counters) as the parser reads it, with no copy in between.
pub(crate) struct HashRead<R> {
    inner: R,
    hasher: Option<Sha256>,
    budget: Arc<SizeBudget>,
    bytes: u64,
}

impl<R: Read> HashRead<R> {
    pub(crate) fn new(inner: R, budget: Arc<SizeBudget>) -> Self {
        HashRead { inner, hasher: Some(Sha256::new()), budget, bytes: 0 }
    }
}

impl<R: Read> Read for HashRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            if !self.budget.spend(n as u64, true) || !self.budget.spend(n as u64, false) {
                return Err(io::Error::other(BudgetExceeded));
            }
            if let Some(h) = self.hasher.as_mut() {
                h.update(&buf[..n]);
            }
            self.bytes += n as u64;
        }
        Ok(n)
    }
}

impl<R: Read> TarSource for HashRead<R> {
    fn digest(&mut self) -> Option<String> {
        self.hasher.take().map(|h| format!("sha256:{}", hex::encode(h.finalize())))
    }
    fn count(&self) -> u64 {
        self.bytes
    }
}

/// Lowers this thread's scheduling priority (Linux: a thread's own nice value) so that, when
/// more stages are busy than there are cores, the scheduler runs the inflater — the stage every
/// other waits on — first. Best effort: an error leaves the priority as it was.
pub(crate) fn yield_to_inflate() {
    #[cfg(target_os = "linux")]
    {
        let tid = rustix::thread::gettid();
        let _ = rustix::process::setpriority_process(Some(tid), 10);
    }
}
