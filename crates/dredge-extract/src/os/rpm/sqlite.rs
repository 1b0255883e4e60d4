//! rpm's SQLite database (`rpmdb.sqlite`, rpm >= 4.16 on Fedora/RHEL 9/Mariner): table
//! `Packages(hnum, blob)`. Opened from memory (no temp file), read-only.

use dredge_layer::ExtractError;
use rusqlite::config::DbConfig;
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
    // The file comes from an image: no schema-defined SQL is trusted (views, triggers, defaults
    // calling functions), defensive mode forbids writes to the schema, and every statement runs
    // under a step budget so a crafted query plan cannot run forever.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true).map_err(err)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false).map_err(err)?;
    let started = std::time::Instant::now();
    let mut calls: u64 = 0;
    conn.progress_handler(
        PROGRESS_EVERY,
        Some(move || {
            calls += 1;
            calls > MAX_PROGRESS_CALLS || started.elapsed() > MAX_TIME
        }),
    );
    conn.deserialize_read_exact(rusqlite::MAIN_DB, copy.as_slice(), copy.len(), true).map_err(err)?;
    // `Packages` must be a plain table: a view (possibly recursive) or a virtual table is code.
    let kind: Option<(String, String)> = conn
        .query_row("SELECT type, coalesce(sql, '') FROM sqlite_master WHERE name = 'Packages' COLLATE NOCASE", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .ok();
    match kind {
        Some((t, sql)) if t == "table" && !sql.trim_start().to_ascii_uppercase().starts_with("CREATE VIRTUAL") => {}
        Some((t, _)) => return Err(ExtractError::new(format!("`Packages` is a {t}, not a plain table; refusing to query it"))),
        None => return Err(ExtractError::new("no `Packages` table")),
    }
    let mut stmt = conn.prepare("SELECT blob FROM Packages ORDER BY hnum").map_err(err)?;
    let rows = stmt.query_map([], |r| r.get::<_, Vec<u8>>(0)).map_err(err)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(|e| match e {
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::OperationInterrupted => {
            ExtractError::new(format!("sqlite: reading Packages took more than its budget ({MAX_TIME:?}); stopped"))
        }
        e => err(e),
    })
}

/// SQLite calls the progress handler every this many virtual machine steps.
const PROGRESS_EVERY: i32 = 10_000;
/// 2·10⁹ steps: a real database of 10,000 packages needs a few million.
const MAX_PROGRESS_CALLS: u64 = 200_000;
const MAX_TIME: std::time::Duration = std::time::Duration::from_secs(20);

#[cfg(test)]
mod tests {
    use super::*;

    fn db(schema: &str) -> Vec<u8> {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(schema).unwrap();
        c.serialize(rusqlite::MAIN_DB).unwrap().to_vec()
    }

    #[test]
    fn a_recursive_view_is_refused_at_once() {
        let data = db(
            "CREATE VIEW Packages(hnum, blob) AS WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c) SELECT n, x'00' FROM c;",
        );
        let t = std::time::Instant::now();
        let e = values(&data).unwrap_err().to_string();
        assert!(e.contains("view"), "{e}");
        assert!(t.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn a_real_table_is_read() {
        let data = db("CREATE TABLE Packages(hnum INTEGER PRIMARY KEY, blob BLOB NOT NULL); INSERT INTO Packages VALUES (1, x'0102');");
        assert_eq!(values(&data).unwrap(), vec![vec![1u8, 2]]);
    }
}
