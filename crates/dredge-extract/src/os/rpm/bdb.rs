//! Berkeley DB hash databases (`Packages`, rpm < 4.16): walk every hash page, follow the
//! off-page (overflow) chains of the values, each value is one rpm header.

use dredge_layer::ExtractError;

const HASH_MAGIC: u32 = 0x0006_1561;
const PAGE_HEADER: usize = 26;
const P_HASH_UNSORTED: u8 = 2;
const P_OVERFLOW: u8 = 7;
const P_HASH: u8 = 13;
const H_OFFPAGE: u8 = 3;

struct Db<'a> {
    data: &'a [u8],
    page_size: usize,
    big_endian: bool,
}

impl<'a> Db<'a> {
    fn u32_at(&self, at: usize) -> Option<u32> {
        let b: [u8; 4] = self.data.get(at..at + 4)?.try_into().ok()?;
        Some(if self.big_endian { u32::from_be_bytes(b) } else { u32::from_le_bytes(b) })
    }
    fn u16_at(&self, at: usize) -> Option<u16> {
        let b: [u8; 2] = self.data.get(at..at + 2)?.try_into().ok()?;
        Some(if self.big_endian { u16::from_be_bytes(b) } else { u16::from_le_bytes(b) })
    }
    fn page(&self, n: usize) -> Option<&'a [u8]> {
        self.data.get(n.checked_mul(self.page_size)?..(n + 1).checked_mul(self.page_size)?)
    }
}

/// Every value (rpm header blob) stored in the database.
pub fn values(data: &[u8]) -> Result<Vec<Vec<u8>>, ExtractError> {
    let magic_le = data.get(12..16).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    let magic_be = data.get(12..16).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
    let big_endian = match (magic_le, magic_be) {
        (Some(HASH_MAGIC), _) => false,
        (_, Some(HASH_MAGIC)) => true,
        _ => {
            return Err(ExtractError::new("not a Berkeley DB hash database (bad magic)"));
        }
    };
    let mut db = Db { data, page_size: 0, big_endian };
    let page_size = db.u32_at(20).unwrap_or(0) as usize;
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(ExtractError::new(format!("Berkeley DB with invalid page size {page_size}")));
    }
    if data.get(24).copied().unwrap_or(0) != 0 {
        return Err(ExtractError::new("encrypted Berkeley DB is not supported"));
    }
    db.page_size = page_size;
    let last = db.u32_at(32).unwrap_or(0) as usize;
    let pages = (data.len() / page_size).min(last + 1);
    let mut out = Vec::new();
    for n in 0..pages {
        let Some(page) = db.page(n) else { break };
        let ty = page[25];
        if ty != P_HASH && ty != P_HASH_UNSORTED {
            continue;
        }
        let base = n * page_size;
        let entries = db.u16_at(base + 20).unwrap_or(0) as usize;
        // Entries are key/value pairs; values are the odd ones.
        for i in (1..entries).step_by(2) {
            let Some(off) = db.u16_at(base + PAGE_HEADER + i * 2) else {
                break;
            };
            let off = off as usize;
            if off >= page_size || page[off] != H_OFFPAGE {
                continue; // inline values are never rpm headers (they do not fit a page)
            }
            let Some(first) = db.u32_at(base + off + 4) else {
                continue;
            };
            let total = db.u32_at(base + off + 8).unwrap_or(0) as usize;
            out.push(overflow_chain(&db, first as usize, total, pages)?);
        }
    }
    Ok(out)
}

fn overflow_chain(db: &Db<'_>, first: usize, total: usize, pages: usize) -> Result<Vec<u8>, ExtractError> {
    let mut value = Vec::with_capacity(total.min(db.data.len()));
    let mut cur = first;
    let mut hops = 0;
    while cur != 0 {
        hops += 1;
        if hops > pages {
            return Err(ExtractError::new("overflow page chain loops"));
        }
        let page = db.page(cur).ok_or_else(|| ExtractError::new(format!("overflow page {cur} is past the end of the file")))?;
        if page[25] != P_OVERFLOW {
            return Err(ExtractError::new(format!("page {cur} should be an overflow page")));
        }
        let base = cur * db.page_size;
        let next = db.u32_at(base + 16).unwrap_or(0) as usize;
        // On overflow pages the "free area offset" field holds the number of bytes used.
        let used = db.u16_at(base + 22).unwrap_or(0) as usize;
        let end = if next == 0 { (PAGE_HEADER + used).min(db.page_size) } else { db.page_size };
        value.extend_from_slice(&page[PAGE_HEADER..end.max(PAGE_HEADER)]);
        cur = next;
    }
    Ok(value)
}
