//! Go binaries: the build information the Go linker embeds (`runtime/debug.BuildInfo`): the Go
//! version (so the standard library is matched, as package `stdlib`), the main module and every
//! dependency module with replacements applied.
//!
//! Found the way `debug/buildinfo` finds it: the `.go.buildinfo` section, else the start of the
//! writable data segments, searched for the 16-byte-aligned magic `\xff Go buildinf:`. Both the
//! inline-string format (Go 1.18+) and the older pointer format (whole files only) are read.

use dredge_layer::elf::{self, Endian, PF_W, PF_X, PT_LOAD, Segment};
use dredge_layer::{ExtractError, Extractor, Pattern, Sparse};
use dredge_model::{Ecosystem, Fact, Origin, Package};

pub struct GoBinary;

const MAGIC: &[u8] = b"\xff Go buildinf:";

/// Reads a uvarint-prefixed string.
fn varint_str(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let (mut n, mut shift, mut i) = (0u64, 0u32, 0usize);
    loop {
        let c = *b.get(i)?;
        n |= u64::from(c & 0x7f) << shift;
        i += 1;
        if c & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift > 63 {
            return None;
        }
    }
    let end = i.checked_add(usize::try_from(n).ok()?)?;
    Some((b.get(i..end)?, b.get(end..)?))
}

/// A virtual address → bytes of the file (pointer format).
fn at_vaddr<'a>(f: &'a Sparse, segs: &[Segment], addr: u64, len: u64) -> Option<&'a [u8]> {
    let end = addr.checked_add(len)?;
    let s = segs.iter().find(|s| s.kind == PT_LOAD && addr >= s.vaddr && s.vaddr.checked_add(s.filesz).is_some_and(|e| end <= e))?;
    f.read_at(s.offset + (addr - s.vaddr), len)
}

/// The version and module-info strings of the build-info blob starting at `b` (the magic).
fn decode(b: &[u8], f: &Sparse, segs: &[Segment]) -> Option<(String, String)> {
    let ptr_size = *b.get(14)?;
    let flags = *b.get(15)?;
    if flags & 2 != 0 {
        let (version, rest) = varint_str(b.get(32..)?)?;
        let (modinfo, _) = varint_str(rest)?;
        return Some((String::from_utf8_lossy(version).into_owned(), String::from_utf8_lossy(modinfo).into_owned()));
    }
    // Pointer format: two pointers to Go string headers (data pointer, length).
    let wide = match ptr_size {
        4 => false,
        8 => true,
        _ => return None,
    };
    let e = Endian(flags & 1 == 0);
    let ps = u64::from(ptr_size);
    let read_string = |ptr: u64| -> Option<String> {
        let hdr = at_vaddr(f, segs, ptr, 2 * ps)?;
        let data = e.word(hdr, 0, wide)?;
        let len = e.word(hdr, ps as usize, wide)?;
        if len > 1 << 20 {
            return None;
        }
        Some(String::from_utf8_lossy(at_vaddr(f, segs, data, len)?).into_owned())
    };
    let vp = e.word(b, 16, wide)?;
    let mp = e.word(b, 16 + ps as usize, wide)?;
    Some((read_string(vp)?, read_string(mp).unwrap_or_default()))
}

/// Where to look: the section when the headers were kept, else the writable segments.
fn candidates<'a>(f: &'a Sparse, h: &elf::Header, segs: &[Segment]) -> Vec<&'a [u8]> {
    if let Some(s) = elf::sections(f, h).into_iter().find(|s| s.name == ".go.buildinfo") {
        if let Some(b) = f.read_at(s.offset, s.size.min(64 << 10)) {
            return vec![b];
        }
    }
    segs.iter()
        .filter(|s| s.kind == PT_LOAD && s.flags & PF_W != 0 && s.flags & PF_X == 0)
        .filter_map(|s| {
            let len = s.filesz.min(1 << 20);
            f.read_at(s.offset, len).or_else(|| f.pieces().find(|(o, _)| *o == s.offset).map(|(_, d)| d))
        })
        .collect()
}

fn find_blob(region: &[u8]) -> Option<&[u8]> {
    (0..region.len()).step_by(16).find(|&i| region[i..].starts_with(MAGIC)).map(|i| &region[i..])
}

/// The packages of a module-info text.
fn modules(version: &str, modinfo: &str) -> Vec<Package> {
    let mut out: Vec<Package> = Vec::new();
    // The text is framed by 16-byte sentinels.
    let text = if modinfo.len() >= 33 && modinfo.as_bytes()[modinfo.len() - 17] == b'\n' {
        modinfo.get(16..modinfo.len() - 16).unwrap_or(modinfo)
    } else {
        modinfo
    };
    for line in text.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        match f.as_slice() {
            ["mod", path, ver, ..] if *ver != "(devel)" => {
                let mut p = Package::new(Ecosystem::Golang, *path, *ver);
                p.origin = Origin::Binary;
                out.push(p);
            }
            ["dep", path, ver, ..] => {
                let mut p = Package::new(Ecosystem::Golang, *path, *ver);
                p.origin = Origin::Binary;
                out.push(p);
            }
            // A replacement of the previous dependency; a local directory has no version.
            ["=>", path, ver, ..] if !ver.is_empty() => {
                if let Some(last) = out.last_mut() {
                    last.name = path.to_string();
                    last.version = ver.to_string();
                }
            }
            _ => {}
        }
    }
    // `go1.21.5`, `go1.22.0 X:boringcrypto`; development toolchains have no release to match.
    let go = version.split_whitespace().next().unwrap_or("");
    if let Some(v) = go.strip_prefix("go").filter(|v| v.starts_with(|c: char| c.is_ascii_digit())) {
        let mut p = Package::new(Ecosystem::Golang, "stdlib", v);
        p.origin = Origin::Binary;
        out.push(p);
    }
    out
}

impl Extractor for GoBinary {
    fn name(&self) -> &'static str {
        "lang/go/binary"
    }
    fn version(&self) -> u32 {
        1
    }
    fn patterns(&self) -> &'static [Pattern] {
        &[Pattern::Elf]
    }
    fn extract(&self, _path: &str, _data: &[u8]) -> Result<Vec<Fact>, ExtractError> {
        Ok(Vec::new())
    }
    fn extract_binary(&self, _path: &str, f: &Sparse) -> Result<Vec<Fact>, ExtractError> {
        let Some(h) = f.read_at(0, 64.min(f.size())).and_then(elf::header) else { return Ok(Vec::new()) };
        let segs = elf::segments(f, &h);
        for region in candidates(f, &h, &segs) {
            if let Some(blob) = find_blob(region) {
                let Some((version, modinfo)) = decode(blob, f, &segs) else {
                    return Err(ExtractError::new(
                        "Go build information present but unreadable (pointer format in a file too large to read whole)",
                    ));
                };
                return Ok(crate::lang::facts(modules(&version, &modinfo)));
            }
        }
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_info_lines() {
        let info = "0123456789abcdef\npath\tfiloippo.io/age/cmd/age\nmod\tfilippo.io/age\t(devel)\t\ndep\tgolang.org/x/crypto\tv0.4.0\th1:x\ndep\tgithub.com/a/b\tv1.0.0\n=>\tgithub.com/c/b\tv1.1.0\th1:y\ndep\tgithub.com/l/l\tv1.0.0\n=>\t../local\t\t\nbuild\tGOOS=linux\n\u{f9}2\u{10}2\u{e0}\u{12}0123456789ab";
        let p = modules("go1.19.8", info);
        let got: Vec<(&str, &str)> = p.iter().map(|p| (p.name.as_str(), p.version.as_str())).collect();
        assert!(got.contains(&("golang.org/x/crypto", "v0.4.0")));
        assert!(got.contains(&("github.com/c/b", "v1.1.0")), "replacement applied: {got:?}");
        assert!(got.contains(&("github.com/l/l", "v1.0.0")), "local replacement keeps the original");
        assert!(got.contains(&("stdlib", "1.19.8")));
        assert!(!got.iter().any(|(n, _)| *n == "filippo.io/age"), "(devel) main module is not a version");
        assert!(modules("devel go1.23-abc", "").is_empty());
        assert!(varint_str(&[0xff; 20]).is_none());
        assert!(varint_str(&[5, b'a']).is_none());
    }
}
