//! rpm databases in their three formats, each its own extractor sharing the header parser.

mod bdb;
mod header;
mod ndb;
mod sqlite;

use dredge_layer::{ExtractError, Extractor, Pattern};
use dredge_model::Fact;

/// Turns header blobs into package facts; a bad blob is skipped, and reported only if nothing
/// could be read at all (a partly damaged database still yields what it can).
fn packages(blobs: Vec<Vec<u8>>) -> Result<Vec<Fact>, ExtractError> {
    let total = blobs.len();
    let mut facts = Vec::with_capacity(total);
    let mut first_err = None;
    for b in blobs {
        match header::package_from_blob(&b) {
            Ok(Some(p)) => facts.push(Fact::Package(Box::new(p))),
            Ok(None) => {}
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    match first_err {
        Some(e) if facts.is_empty() => Err(ExtractError::new(format!("no readable package in {total} records: {e}"))),
        _ => Ok(facts),
    }
}

const MAX_DB: u64 = 256 << 20;

pub struct RpmBdb;
impl Extractor for RpmBdb {
    fn name(&self) -> &'static str {
        "os/rpm/bdb"
    }
    fn version(&self) -> u32 {
        1
    }
    fn patterns(&self) -> &'static [Pattern] {
        &[Pattern::Exact("var/lib/rpm/Packages"), Pattern::Exact("usr/lib/sysimage/rpm/Packages")]
    }
    fn max_file_size(&self) -> u64 {
        MAX_DB
    }
    fn extract(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, ExtractError> {
        packages(bdb::values(data)?)
    }
}

pub struct RpmNdb;
impl Extractor for RpmNdb {
    fn name(&self) -> &'static str {
        "os/rpm/ndb"
    }
    fn version(&self) -> u32 {
        1
    }
    fn patterns(&self) -> &'static [Pattern] {
        &[Pattern::Exact("var/lib/rpm/Packages.db"), Pattern::Exact("usr/lib/sysimage/rpm/Packages.db")]
    }
    fn max_file_size(&self) -> u64 {
        MAX_DB
    }
    fn extract(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, ExtractError> {
        packages(ndb::values(data)?)
    }
}

pub struct RpmSqlite;
impl Extractor for RpmSqlite {
    fn name(&self) -> &'static str {
        "os/rpm/sqlite"
    }
    fn version(&self) -> u32 {
        1
    }
    fn patterns(&self) -> &'static [Pattern] {
        &[Pattern::Exact("var/lib/rpm/rpmdb.sqlite"), Pattern::Exact("usr/lib/sysimage/rpm/rpmdb.sqlite")]
    }
    fn max_file_size(&self) -> u64 {
        MAX_DB
    }
    fn extract(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, ExtractError> {
        packages(sqlite::values(data)?)
    }
}
