//! rpm's SQLite database (`rpmdb.sqlite`, rpm >= 4.16 on Fedora/RHEL 9/Mariner): table
//! `Packages(hnum, blob)`. Opened from memory (no temp file), read-only.

use dredge_layer::ExtractError;
use rusqlite::{Connection, OpenFlags};

pub fn values(data: &[u8]) -> Result<Vec<Vec<u8>>, ExtractError> {
    if !data.starts_with(b"SQLite format 3\0") {
        return Err(ExtractError::new("not an SQLite database"));
    }
    let err = |e: rusqlite::Error| ExtractError::new(format!("sqlite: {e}"));
    // rpm keeps the database in WAL mode; an in-memory copy cannot use a WAL, so mark the copy
    // as a rollback-journal database (header bytes 18/19), which changes nothing else.
    let mut copy = data.to_vec();
    if copy.len() > 19 && copy[18] == 2 && copy[19] == 2 {
        copy[18] = 1;
        copy[19] = 1;
    }
    let mut conn =
        Connection::open_with_flags(":memory:", OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX).map_err(err)?;
    conn.deserialize_read_exact(rusqlite::MAIN_DB, copy.as_slice(), copy.len(), true).map_err(err)?;
    let mut stmt = conn.prepare("SELECT blob FROM Packages ORDER BY hnum").map_err(err)?;
    let rows = stmt.query_map([], |r| r.get::<_, Vec<u8>>(0)).map_err(err)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(err)
}
