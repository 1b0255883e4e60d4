//! ELF binaries read from a forward-only stream (a tar entry) without holding the whole file.
//!
//! Most executables in an image are small and read whole. A large one (a 100 MB Go binary) is read
//! as a [`Sparse`] view: its first 64 KiB (ELF and program headers) and the first MiB of each
//! writable data segment, where Go keeps its build information. Only the bytes kept are held;
//! the rest of the stream is skipped. The parsing is hand-written because offsets must be known
//! before the bytes go past; `object`/`goblin` want the whole file (or random access).

use std::io::{self, Read};

/// Executables up to this size are read whole.
pub const ELF_FULL_READ: u64 = 32 << 20;
/// The head kept of a large binary.
const HEAD: u64 = 64 << 10;
/// What is kept of each writable segment of a large binary.
const WINDOW: u64 = 1 << 20;

/// Some byte ranges of a file of known size.
#[derive(Debug, Clone)]
pub struct Sparse {
    size: u64,
    pieces: Vec<(u64, Vec<u8>)>,
}

impl Sparse {
    /// The whole file.
    pub fn full(data: Vec<u8>) -> Sparse {
        Sparse { size: data.len() as u64, pieces: vec![(0, data)] }
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The whole file, when it was read whole.
    pub fn whole(&self) -> Option<&[u8]> {
        match self.pieces.as_slice() {
            [(0, d)] if d.len() as u64 == self.size => Some(d),
            _ => None,
        }
    }

    /// `len` bytes at `off`, when one kept piece holds them all.
    pub fn read_at(&self, off: u64, len: u64) -> Option<&[u8]> {
        let end = off.checked_add(len)?;
        self.pieces.iter().find_map(|(start, d)| {
            let pend = start + d.len() as u64;
            (off >= *start && end <= pend).then(|| &d[(off - start) as usize..(end - start) as usize])
        })
    }

    /// The kept pieces, in file order.
    pub fn pieces(&self) -> impl Iterator<Item = (u64, &[u8])> {
        self.pieces.iter().map(|(o, d)| (*o, d.as_slice()))
    }
}

/// The fields of the ELF file header dredge needs.
#[derive(Debug, Clone, Copy)]
pub struct Header {
    pub class64: bool,
    pub little: bool,
    pub phoff: u64,
    pub phentsize: u16,
    pub phnum: u16,
    pub shoff: u64,
    pub shentsize: u16,
    pub shnum: u16,
    pub shstrndx: u16,
}

/// A program header (segment).
#[derive(Debug, Clone, Copy)]
pub struct Segment {
    pub kind: u32,
    pub flags: u32,
    pub offset: u64,
    pub vaddr: u64,
    pub filesz: u64,
}

pub const PT_LOAD: u32 = 1;
pub const PF_X: u32 = 1;
pub const PF_W: u32 = 2;

/// A section header with its name resolved.
#[derive(Debug, Clone)]
pub struct Section {
    pub name: String,
    pub kind: u32,
    pub addr: u64,
    pub offset: u64,
    pub size: u64,
}

/// Endian-aware integer reads that fail (None) instead of panicking on short input.
#[derive(Clone, Copy)]
pub struct Endian(pub bool);

impl Endian {
    pub fn u16(self, b: &[u8], at: usize) -> Option<u16> {
        let s: [u8; 2] = b.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(if self.0 { u16::from_le_bytes(s) } else { u16::from_be_bytes(s) })
    }
    pub fn u32(self, b: &[u8], at: usize) -> Option<u32> {
        let s: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if self.0 { u32::from_le_bytes(s) } else { u32::from_be_bytes(s) })
    }
    pub fn u64(self, b: &[u8], at: usize) -> Option<u64> {
        let s: [u8; 8] = b.get(at..at.checked_add(8)?)?.try_into().ok()?;
        Some(if self.0 { u64::from_le_bytes(s) } else { u64::from_be_bytes(s) })
    }
    /// A pointer-sized word.
    pub fn word(self, b: &[u8], at: usize, wide: bool) -> Option<u64> {
        if wide { self.u64(b, at) } else { self.u32(b, at).map(u64::from) }
    }
}

pub fn is_elf(head: &[u8]) -> bool {
    head.starts_with(b"\x7fELF")
}

pub fn header(b: &[u8]) -> Option<Header> {
    if !is_elf(b) {
        return None;
    }
    let class64 = match b.get(4)? {
        1 => false,
        2 => true,
        _ => return None,
    };
    let little = match b.get(5)? {
        1 => true,
        2 => false,
        _ => return None,
    };
    let e = Endian(little);
    Some(if class64 {
        Header {
            class64,
            little,
            phoff: e.u64(b, 32)?,
            shoff: e.u64(b, 40)?,
            phentsize: e.u16(b, 54)?,
            phnum: e.u16(b, 56)?,
            shentsize: e.u16(b, 58)?,
            shnum: e.u16(b, 60)?,
            shstrndx: e.u16(b, 62)?,
        }
    } else {
        Header {
            class64,
            little,
            phoff: e.u32(b, 28)?.into(),
            shoff: e.u32(b, 32)?.into(),
            phentsize: e.u16(b, 42)?,
            phnum: e.u16(b, 44)?,
            shentsize: e.u16(b, 46)?,
            shnum: e.u16(b, 48)?,
            shstrndx: e.u16(b, 50)?,
        }
    })
}

/// The program headers, read from `f` (they sit in the head of every sane binary).
pub fn segments(f: &Sparse, h: &Header) -> Vec<Segment> {
    let e = Endian(h.little);
    let mut out = Vec::new();
    let min = if h.class64 { 56 } else { 32 };
    if usize::from(h.phentsize) < min {
        return out;
    }
    for i in 0..u64::from(h.phnum) {
        let Some(b) = h.phoff.checked_add(i * u64::from(h.phentsize)).and_then(|o| f.read_at(o, u64::from(h.phentsize))) else {
            break;
        };
        let s = if h.class64 {
            (|| {
                Some(Segment { kind: e.u32(b, 0)?, flags: e.u32(b, 4)?, offset: e.u64(b, 8)?, vaddr: e.u64(b, 16)?, filesz: e.u64(b, 32)? })
            })()
        } else {
            (|| {
                Some(Segment {
                    kind: e.u32(b, 0)?,
                    offset: e.u32(b, 4)?.into(),
                    vaddr: e.u32(b, 8)?.into(),
                    filesz: e.u32(b, 16)?.into(),
                    flags: e.u32(b, 24)?,
                })
            })()
        };
        if let Some(s) = s {
            out.push(s);
        }
    }
    out
}

/// The section headers with names; empty when they were not kept (a large binary) or are broken.
pub fn sections(f: &Sparse, h: &Header) -> Vec<Section> {
    let e = Endian(h.little);
    let min = if h.class64 { 64 } else { 40 };
    if usize::from(h.shentsize) < min || h.shnum == 0 {
        return Vec::new();
    }
    let mut raw = Vec::new();
    for i in 0..u64::from(h.shnum) {
        let Some(b) = h.shoff.checked_add(i * u64::from(h.shentsize)).and_then(|o| f.read_at(o, u64::from(h.shentsize))) else {
            return Vec::new();
        };
        let s = if h.class64 {
            (|| Some((e.u32(b, 0)?, e.u32(b, 4)?, e.u64(b, 16)?, e.u64(b, 24)?, e.u64(b, 32)?)))()
        } else {
            (|| Some((e.u32(b, 0)?, e.u32(b, 4)?, e.u32(b, 12)?.into(), e.u32(b, 16)?.into(), e.u32(b, 20)?.into())))()
        };
        match s {
            Some(s) => raw.push(s),
            None => return Vec::new(),
        }
    }
    let strtab = raw.get(usize::from(h.shstrndx)).and_then(|&(_, _, _, off, size)| f.read_at(off, size)).unwrap_or(&[]);
    raw.into_iter()
        .map(|(name, kind, addr, offset, size)| {
            let name = strtab
                .get(name as usize..)
                .map(|s| String::from_utf8_lossy(s.split(|&c| c == 0).next().unwrap_or(&[])).into_owned())
                .unwrap_or_default();
            Section { name, kind, addr, offset, size }
        })
        .collect()
}

/// What [`read_elf`] found.
pub enum Sniffed {
    Elf(Sparse),
    /// Not ELF: the bytes already read (at most 4), to be chained before the rest of the stream.
    Other(Vec<u8>),
}

/// Reads an ELF file of `size` bytes from `r` (positioned at its start). Large files come back
/// sparse. Content that is not ELF costs 4 bytes of reading, handed back.
pub fn sniff_elf<R: Read>(r: &mut R, size: u64) -> io::Result<Sniffed> {
    let mut head = Vec::new();
    r.by_ref().take(4).read_to_end(&mut head)?;
    if !is_elf(&head) {
        return Ok(Sniffed::Other(head));
    }
    read_elf_rest(r, size, head).map(Sniffed::Elf)
}

/// [`sniff_elf`], for callers that need nothing of content that is not ELF.
pub fn read_elf<R: Read>(r: &mut R, size: u64) -> io::Result<Option<Sparse>> {
    Ok(match sniff_elf(r, size)? {
        Sniffed::Elf(s) => Some(s),
        Sniffed::Other(_) => None,
    })
}

fn read_elf_rest<R: Read>(r: &mut R, size: u64, mut head: Vec<u8>) -> io::Result<Sparse> {
    if size <= ELF_FULL_READ {
        let mut data = head;
        data.reserve(size as usize);
        r.by_ref().take(size.saturating_sub(4)).read_to_end(&mut data)?;
        return Ok(Sparse::full(data));
    }
    r.by_ref().take(HEAD - 4).read_to_end(&mut head)?;
    let mut sparse = Sparse { size, pieces: vec![(0, head)] };
    let Some(h) = header(&sparse.pieces[0].1) else {
        return Ok(sparse);
    };
    let mut windows: Vec<(u64, u64)> = segments(&sparse, &h)
        .into_iter()
        .filter(|s| s.kind == PT_LOAD && s.flags & PF_W != 0 && s.flags & PF_X == 0)
        .map(|s| (s.offset.max(HEAD), s.offset.saturating_add(s.filesz.min(WINDOW)).min(size)))
        .filter(|(a, b)| a < b)
        .collect();
    windows.sort_unstable();
    let mut pos = HEAD;
    for (start, end) in windows {
        let start = start.max(pos);
        if start >= end {
            continue;
        }
        io::copy(&mut r.by_ref().take(start - pos), &mut io::sink())?;
        let mut buf = Vec::with_capacity((end - start) as usize);
        r.by_ref().take(end - start).read_to_end(&mut buf)?;
        pos = start + buf.len() as u64;
        let short = (buf.len() as u64) < end - start;
        sparse.pieces.push((start, buf));
        if short {
            break;
        }
    }
    Ok(sparse)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_elf_and_truncated() {
        assert!(read_elf(&mut &b"#!/bin/sh\necho hi\n"[..], 18).expect("reads").is_none());
        let s = read_elf(&mut &b"\x7fELF\x02\x01"[..], 6).expect("reads").expect("elf");
        let h = header(s.whole().expect("whole"));
        assert!(h.is_none(), "a 6-byte ELF has no header");
        // A header claiming absurd tables yields nothing, without panicking.
        let mut b = vec![0u8; 64];
        b[..4].copy_from_slice(b"\x7fELF");
        b[4] = 2;
        b[5] = 1;
        b[32..40].copy_from_slice(&u64::MAX.to_le_bytes());
        b[40..48].copy_from_slice(&u64::MAX.to_le_bytes());
        b[54..56].copy_from_slice(&56u16.to_le_bytes());
        b[56..58].copy_from_slice(&u16::MAX.to_le_bytes());
        b[58..60].copy_from_slice(&64u16.to_le_bytes());
        b[60..62].copy_from_slice(&u16::MAX.to_le_bytes());
        let f = Sparse::full(b);
        let h = header(f.whole().expect("whole")).expect("header");
        assert!(segments(&f, &h).is_empty());
        assert!(sections(&f, &h).is_empty());
    }

    #[test]
    fn sparse_read_at() {
        let s = Sparse { size: 100, pieces: vec![(0, vec![1; 10]), (50, vec![2; 10])] };
        assert_eq!(s.read_at(2, 3), Some(&[1u8, 1, 1][..]));
        assert_eq!(s.read_at(55, 5), Some(&[2u8; 5][..]));
        assert_eq!(s.read_at(8, 5), None);
        assert_eq!(s.read_at(u64::MAX, 2), None);
        assert!(s.whole().is_none());
    }
}
