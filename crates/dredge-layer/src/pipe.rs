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
use std::sync::mpsc::{Receiver, SyncSender};

/// Bytes per chunk between stages.
pub(crate) const CHUNK: usize = 256 << 10;
/// Chunks in flight per channel.
pub(crate) const DEPTH: usize = 8;

pub(crate) type Chunk = io::Result<Vec<u8>>;

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
pub(crate) fn source(
    mut r: impl Read,
    first: Vec<u8>,
    tx: SyncSender<Chunk>,
    budget: Arc<SizeBudget>,
    hash: bool,
) -> (Option<String>, u64) {
    let mut h = hash.then(Sha256::new);
    let mut total = 0u64;
    let mut chunk = first;
    loop {
        if chunk.is_empty() {
            match fill(&mut r, &mut chunk) {
                Ok(()) if chunk.is_empty() => break,
                Ok(()) => {}
                Err(e) => {
                    let _ = tx.send(Err(e));
                    break;
                }
            }
        }
        total += chunk.len() as u64;
        if !budget.spend(chunk.len() as u64, true) {
            let _ = tx.send(Err(io::Error::other(BudgetExceeded)));
            break;
        }
        if let Some(h) = h.as_mut() {
            h.update(&chunk);
        }
        if tx.send(Ok(std::mem::take(&mut chunk))).is_err() {
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
pub(crate) fn inflate<D: Read>(rx: Receiver<Chunk>, tx: SyncSender<Chunk>, decoder: impl FnOnce(ChunkReader) -> io::Result<D>) {
    let mut d = match decoder(ChunkReader::new(rx, None, false)) {
        Ok(d) => d,
        Err(e) => {
            let _ = tx.send(Err(e));
            return;
        }
    };
    loop {
        let mut chunk = Vec::new();
        match fill(&mut d, &mut chunk) {
            Ok(()) if chunk.is_empty() => return,
            Ok(()) => {
                if tx.send(Ok(chunk)).is_err() {
                    return;
                }
            }
            Err(e) => {
                let _ = tx.send(Err(e));
                return;
            }
        }
    }
}

/// The receiving end of a stage: a [`BufRead`] over the chunks, optionally hashing them and
/// counting them against the decompressed-size budget as they arrive.
pub(crate) struct ChunkReader {
    rx: Receiver<Chunk>,
    cur: Vec<u8>,
    pos: usize,
    done: bool,
    hasher: Option<Sha256>,
    budget: Option<Arc<SizeBudget>>,
    pub bytes: u64,
}

impl ChunkReader {
    pub(crate) fn new(rx: Receiver<Chunk>, budget: Option<Arc<SizeBudget>>, hash: bool) -> Self {
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
            match self.rx.recv() {
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
                    self.cur = c;
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
