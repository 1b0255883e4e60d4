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

/// Reads every header blob of one database format.
type ReadBlobs = fn(&[u8]) -> Result<Vec<Vec<u8>>, ExtractError>;

/// One rpm database format: where it lives and how to get the header blobs out of it.
pub struct RpmDb {
    name: &'static str,
    patterns: &'static [Pattern],
    values: ReadBlobs,
}

impl Extractor for RpmDb {
    fn name(&self) -> &'static str {
        self.name
    }
    fn version(&self) -> u32 {
        1
    }
    fn patterns(&self) -> &'static [Pattern] {
        self.patterns
    }
    fn max_file_size(&self) -> u64 {
        // rpm databases of large images reach tens of MiB.
        256 << 20
    }
    fn extract(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, ExtractError> {
        packages((self.values)(data)?)
    }
}

/// SQLite (`rpmdb.sqlite`, rpm >= 4.16: Fedora, RHEL 9, Mariner, Amazon Linux 2023).
pub static RPM_SQLITE: RpmDb = RpmDb {
    name: "os/rpm/sqlite",
    patterns: &[Pattern::Exact("var/lib/rpm/rpmdb.sqlite"), Pattern::Exact("usr/lib/sysimage/rpm/rpmdb.sqlite")],
    values: sqlite::values,
};

/// Berkeley DB hash (`Packages`, rpm < 4.16: RHEL/CentOS <= 8, Amazon Linux 2).
pub static RPM_BDB: RpmDb = RpmDb {
    name: "os/rpm/bdb",
    patterns: &[Pattern::Exact("var/lib/rpm/Packages"), Pattern::Exact("usr/lib/sysimage/rpm/Packages")],
    values: bdb::values,
};

/// rpm's own ndb format (`Packages.db`: SUSE).
pub static RPM_NDB: RpmDb = RpmDb {
    name: "os/rpm/ndb",
    patterns: &[Pattern::Exact("var/lib/rpm/Packages.db"), Pattern::Exact("usr/lib/sysimage/rpm/Packages.db")],
    values: ndb::values,
};
