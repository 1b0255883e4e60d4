//! rpm's own "ndb" format (`Packages.db`, SUSE, rpm >= 4.16): a header, slot pages pointing at
//! blobs, each blob one rpm header. All fields little-endian.

use dredge_layer::ExtractError;

const HEADER_MAGIC: u32 = u32::from_le_bytes(*b"RpmP");
const SLOT_MAGIC: u32 = u32::from_le_bytes(*b"Slot");
const BLOB_MAGIC: u32 = u32::from_le_bytes(*b"BlbS");
const PAGE: usize = 4096;
const BLOCK: usize = 16;
/// rpm refuses more slot pages than this too.
const MAX_SLOT_PAGES: usize = 2048;

fn le32(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4).map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

pub fn values(data: &[u8]) -> Result<Vec<Vec<u8>>, ExtractError> {
    if le32(data, 0) != Some(HEADER_MAGIC) || le32(data, 4) != Some(0) {
        return Err(ExtractError::new("not an rpm ndb database (bad magic or version)"));
    }
    let npages = le32(data, 12).unwrap_or(0) as usize;
    if npages == 0 || npages > MAX_SLOT_PAGES {
        return Err(ExtractError::new(format!("ndb database with {npages} slot pages")));
    }
    let slots_end = (npages * PAGE).min(data.len());
    let mut out = Vec::new();
    // The first two 16-byte slots hold the database header.
    let mut at = 2 * BLOCK;
    while at + BLOCK <= slots_end {
        let (Some(magic), Some(pkg), Some(blk)) = (le32(data, at), le32(data, at + 4), le32(data, at + 8)) else {
            break;
        };
        at += BLOCK;
        if magic != SLOT_MAGIC {
            return Err(ExtractError::new(format!("bad ndb slot magic at offset {}", at - BLOCK)));
        }
        if pkg == 0 {
            continue;
        }
        let start = blk as usize * BLOCK;
        let (Some(bmagic), Some(bpkg), Some(len)) = (le32(data, start), le32(data, start + 4), le32(data, start + 12)) else {
            return Err(ExtractError::new(format!("ndb blob of package {pkg} is past the end of the file")));
        };
        if bmagic != BLOB_MAGIC || bpkg != pkg {
            return Err(ExtractError::new(format!("ndb blob of package {pkg} has a bad header")));
        }
        let blob = data
            .get(start + BLOCK..start + BLOCK + len as usize)
            .ok_or_else(|| ExtractError::new(format!("ndb blob of package {pkg} is truncated")))?;
        out.push(blob.to_vec());
    }
    Ok(out)
}
