//! rpm header blobs as stored in every rpm database format: `il` index entries and `dl` bytes of
//! data, all big-endian. Every offset and count is checked against the blob before use.

use dredge_layer::ExtractError;
use dredge_model::{Ecosystem, Package, SourcePackage};

const TAG_NAME: u32 = 1000;
const TAG_VERSION: u32 = 1001;
const TAG_RELEASE: u32 = 1002;
const TAG_EPOCH: u32 = 1003;
const TAG_VENDOR: u32 = 1011;
const TAG_LICENSE: u32 = 1014;
const TAG_PACKAGER: u32 = 1015;
const TAG_ARCH: u32 = 1022;
const TAG_SOURCERPM: u32 = 1044;
const TAG_DIRINDEXES: u32 = 1116;
const TAG_BASENAMES: u32 = 1117;
const TAG_DIRNAMES: u32 = 1118;
const TAG_MODULARITYLABEL: u32 = 5096;

const TYPE_INT32: u32 = 4;
const TYPE_STRING: u32 = 6;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;

/// rpm's own limits (`HEADER_TAGS_MAX`, `HEADER_DATA_MAX`).
const MAX_TAGS: usize = 0x10000;
const MAX_DATA: usize = 256 << 20;

struct Entry {
    tag: u32,
    ty: u32,
    offset: usize,
    count: usize,
}

pub struct Header<'a> {
    entries: Vec<Entry>,
    data: &'a [u8],
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4).map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

impl<'a> Header<'a> {
    pub fn parse(blob: &'a [u8]) -> Result<Self, ExtractError> {
        let il = be32(blob, 0).ok_or_else(|| ExtractError::new("rpm header shorter than 8 bytes"))? as usize;
        let dl = be32(blob, 4).ok_or_else(|| ExtractError::new("rpm header shorter than 8 bytes"))? as usize;
        if il == 0 || il > MAX_TAGS || dl > MAX_DATA {
            return Err(ExtractError::new(format!("rpm header with implausible sizes (il={il}, dl={dl})")));
        }
        let data_start = 8 + il * 16;
        let data = blob
            .get(data_start..data_start + dl)
            .ok_or_else(|| ExtractError::new(format!("rpm header truncated: needs {} bytes, has {}", data_start + dl, blob.len())))?;
        let mut entries = Vec::with_capacity(il);
        for i in 0..il {
            let at = 8 + i * 16;
            let (Some(tag), Some(ty), Some(offset), Some(count)) =
                (be32(blob, at), be32(blob, at + 4), be32(blob, at + 8), be32(blob, at + 12))
            else {
                return Err(ExtractError::new("rpm header index truncated"));
            };
            entries.push(Entry { tag, ty, offset: offset as usize, count: count as usize });
        }
        Ok(Header { entries, data })
    }

    fn entry(&self, tag: u32) -> Option<&Entry> {
        self.entries.iter().find(|e| e.tag == tag)
    }

    fn cstr(&self, at: usize) -> Option<(&'a str, usize)> {
        let rest = self.data.get(at..)?;
        let end = rest.iter().position(|&b| b == 0)?;
        Some((std::str::from_utf8(&rest[..end]).ok()?, at + end + 1))
    }

    pub fn string(&self, tag: u32) -> Option<String> {
        let e = self.entry(tag)?;
        match e.ty {
            TYPE_STRING | TYPE_STRING_ARRAY | TYPE_I18NSTRING => self.cstr(e.offset).map(|(s, _)| s.to_string()),
            _ => None,
        }
    }

    pub fn strings(&self, tag: u32) -> Vec<&'a str> {
        let Some(e) = self.entry(tag) else {
            return Vec::new();
        };
        if e.ty != TYPE_STRING_ARRAY && e.ty != TYPE_I18NSTRING {
            return Vec::new();
        }
        let mut out = Vec::with_capacity(e.count.min(self.data.len()));
        let mut at = e.offset;
        for _ in 0..e.count {
            match self.cstr(at) {
                Some((s, next)) => {
                    out.push(s);
                    at = next;
                }
                None => break,
            }
        }
        out
    }

    pub fn int32s(&self, tag: u32) -> Vec<u32> {
        let Some(e) = self.entry(tag) else {
            return Vec::new();
        };
        if e.ty != TYPE_INT32 {
            return Vec::new();
        }
        (0..e.count.min(self.data.len() / 4)).map_while(|i| be32(self.data, e.offset + i * 4)).collect()
    }
}

/// Splits a source rpm file name (`util-linux-2.32.1-42.el8_8.src.rpm`) into name and
/// version-release.
fn source_rpm(s: &str) -> Option<SourcePackage> {
    let base = s.strip_suffix(".src.rpm").or_else(|| s.strip_suffix(".nosrc.rpm"))?;
    let (rest, release) = base.rsplit_once('-')?;
    let (name, version) = rest.rsplit_once('-')?;
    Some(SourcePackage { name: name.to_string(), version: Some(format!("{version}-{release}")) })
}

/// One package from one header blob. `None` for pseudo-packages (`gpg-pubkey`: imported signing
/// keys, not software).
pub fn package_from_blob(blob: &[u8]) -> Result<Option<Package>, ExtractError> {
    let h = Header::parse(blob)?;
    let name = h.string(TAG_NAME).ok_or_else(|| ExtractError::new("rpm header without a NAME"))?;
    if name == "gpg-pubkey" {
        return Ok(None);
    }
    let version = h.string(TAG_VERSION).unwrap_or_default();
    let release = h.string(TAG_RELEASE).unwrap_or_default();
    let epoch = h.int32s(TAG_EPOCH).first().copied();
    let vr = if release.is_empty() { version } else { format!("{version}-{release}") };
    let full = match epoch {
        Some(e) if e > 0 => format!("{e}:{vr}"),
        _ => vr,
    };
    let mut p = Package::new(Ecosystem::Rpm, name, full);
    p.epoch = epoch;
    p.arch = h.string(TAG_ARCH);
    p.license = h.string(TAG_LICENSE);
    p.vendor = h.string(TAG_VENDOR);
    p.maintainer = h.string(TAG_PACKAGER);
    p.modularity_label = h.string(TAG_MODULARITYLABEL).filter(|s| !s.is_empty());
    p.source = h.string(TAG_SOURCERPM).and_then(|s| source_rpm(&s));
    let dirs = h.strings(TAG_DIRNAMES);
    let idx = h.int32s(TAG_DIRINDEXES);
    let mut files: Vec<String> =
        h.strings(TAG_BASENAMES).iter().zip(idx.iter()).filter_map(|(b, &i)| dirs.get(i as usize).map(|d| format!("{d}{b}"))).collect();
    files.sort();
    p.files = files;
    Ok(Some(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_rpm_names() {
        let s = source_rpm("util-linux-2.32.1-42.el8_8.src.rpm").expect("parses");
        assert_eq!((s.name.as_str(), s.version.as_deref()), ("util-linux", Some("2.32.1-42.el8_8")));
        assert!(source_rpm("garbage").is_none());
    }

    #[test]
    fn hostile_headers_are_errors() {
        assert!(Header::parse(&[]).is_err());
        assert!(Header::parse(&[0, 0, 0, 1, 0, 0, 0, 0]).is_err()); // index truncated
        assert!(Header::parse(&[0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]).is_err());
        // One STRING entry pointing past the data: no name, no panic.
        let mut b = vec![0, 0, 0, 1, 0, 0, 0, 2];
        b.extend_from_slice(&TAG_NAME.to_be_bytes());
        b.extend_from_slice(&TYPE_STRING.to_be_bytes());
        b.extend_from_slice(&1000u32.to_be_bytes());
        b.extend_from_slice(&1u32.to_be_bytes());
        b.extend_from_slice(b"ab");
        assert!(package_from_blob(&b).is_err());
        // A huge count on a string array stops at the data's end.
        let mut b = vec![0, 0, 0, 1, 0, 0, 0, 4];
        b.extend_from_slice(&TAG_BASENAMES.to_be_bytes());
        b.extend_from_slice(&TYPE_STRING_ARRAY.to_be_bytes());
        b.extend_from_slice(&0u32.to_be_bytes());
        b.extend_from_slice(&u32::MAX.to_be_bytes());
        b.extend_from_slice(b"a\0b\0");
        let h = Header::parse(&b).expect("valid");
        assert_eq!(h.strings(TAG_BASENAMES), vec!["a", "b"]);
    }
}
