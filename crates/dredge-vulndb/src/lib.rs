//! The advisory database: OSV (and secdb) sources ingested into one embedded SQLite file with a
//! versioned schema, an index by (ecosystem, package), and the provenance of every source.

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use serde::Serialize;
use std::collections::HashMap;
use std::path::Path;

mod load;
pub mod osv;
pub mod secdb;
pub mod update;

pub use load::{Loaded, load_path, read_zip};
pub use osv::Advisory;

/// Bumped on incompatible schema changes; a database of another version is rebuilt, not read.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("advisory source {source_name}: {message}")]
    Source { source_name: String, message: String },
    #[error("advisory database {path}: {message}")]
    Database { path: String, message: String },
}

fn dberr(path: &Path) -> impl Fn(rusqlite::Error) -> DbError + '_ {
    move |e| DbError::Database { path: path.display().to_string(), message: e.to_string() }
}

/// Provenance of one source, as recorded in the database.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SourceInfo {
    pub location: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    pub fetched_at: String,
    pub records: usize,
    pub withdrawn: usize,
    pub errors: usize,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Status {
    pub path: String,
    pub schema_version: u32,
    pub built_at: String,
    /// Built, or last found unchanged by `db update`.
    pub current_at: String,
    pub dredge_version: String,
    pub advisories: usize,
    pub affected_packages: usize,
    pub ecosystems: Vec<(String, usize)>,
    pub sources: Vec<SourceInfo>,
}

/// A source to build from: what was loaded and how it was fetched.
pub struct BuildSource {
    pub loaded: Loaded,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

const SCHEMA: &str = "
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sources(location TEXT PRIMARY KEY, etag TEXT, last_modified TEXT, fetched_at TEXT NOT NULL,
                     records INTEGER NOT NULL, withdrawn INTEGER NOT NULL, errors INTEGER NOT NULL);
CREATE TABLE advisories(id TEXT PRIMARY KEY, source TEXT NOT NULL, modified TEXT, doc TEXT NOT NULL);
CREATE TABLE affected(advisory_id TEXT NOT NULL, ecosystem TEXT NOT NULL, package TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX affected_by_package ON affected(ecosystem, package);
CREATE TABLE aliases(alias TEXT NOT NULL, advisory_id TEXT NOT NULL);
CREATE INDEX aliases_by_alias ON aliases(alias);
";

/// Builds a database at `out` from sources, atomically: written to a temporary file beside it and
/// renamed over it, so an interrupted build leaves the previous database intact.
pub fn build(out: &Path, sources: Vec<BuildSource>, now: &str) -> Result<Status, DbError> {
    let dir = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| DbError::Database { path: dir.display().to_string(), message: e.to_string() })?;
    let tmp = dir.join(format!(".{}.tmp-{}", out.file_name().and_then(|n| n.to_str()).unwrap_or("db"), std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let e = dberr(&tmp);
    {
        let mut conn = Connection::open(&tmp).map_err(&e)?;
        conn.execute_batch("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA page_size=4096;").map_err(&e)?;
        conn.execute_batch(SCHEMA).map_err(&e)?;
        let tx = conn.transaction().map_err(&e)?;
        {
            // One record per id: the most recently modified copy wins when sources overlap.
            let mut best: HashMap<String, (usize, Advisory)> = HashMap::new();
            for (si, s) in sources.iter().enumerate() {
                for a in &s.loaded.advisories {
                    match best.get(&a.id) {
                        Some((_, old)) if old.modified >= a.modified => {}
                        _ => {
                            best.insert(a.id.clone(), (si, a.clone()));
                        }
                    }
                }
            }
            let mut ids: Vec<&String> = best.keys().collect();
            ids.sort();
            let mut ins_adv = tx.prepare("INSERT INTO advisories(id, source, modified, doc) VALUES (?1, ?2, ?3, ?4)").map_err(&e)?;
            let mut ins_aff =
                tx.prepare("INSERT INTO affected(advisory_id, ecosystem, package, doc) VALUES (?1, ?2, ?3, ?4)").map_err(&e)?;
            let mut ins_alias = tx.prepare("INSERT INTO aliases(alias, advisory_id) VALUES (?1, ?2)").map_err(&e)?;
            for id in ids {
                let (si, a) = &best[id];
                let mut head = a.clone();
                head.affected.clear();
                let doc = serde_json::to_string(&head).unwrap_or_default();
                ins_adv.execute(params![a.id, sources[*si].loaded.location, a.modified, doc]).map_err(&e)?;
                for aff in &a.affected {
                    let doc = serde_json::to_string(aff).unwrap_or_default();
                    ins_aff.execute(params![a.id, aff.package.ecosystem, aff.package.name, doc]).map_err(&e)?;
                }
                for alias in &a.aliases {
                    ins_alias.execute(params![alias, a.id]).map_err(&e)?;
                }
            }
            let mut ins_src = tx
                .prepare("INSERT OR REPLACE INTO sources(location, etag, last_modified, fetched_at, records, withdrawn, errors) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
                .map_err(&e)?;
            for s in &sources {
                ins_src
                    .execute(params![
                        s.loaded.location,
                        s.etag,
                        s.last_modified,
                        now,
                        s.loaded.advisories.len() as i64,
                        s.loaded.withdrawn as i64,
                        s.loaded.errors.len() as i64
                    ])
                    .map_err(&e)?;
            }
            let mut meta = tx.prepare("INSERT INTO meta(key, value) VALUES (?1, ?2)").map_err(&e)?;
            meta.execute(params!["schema_version", SCHEMA_VERSION.to_string()]).map_err(&e)?;
            meta.execute(params!["built_at", now]).map_err(&e)?;
            meta.execute(params!["dredge_version", env!("CARGO_PKG_VERSION")]).map_err(&e)?;
        }
        tx.commit().map_err(&e)?;
        conn.execute_batch("ANALYZE; VACUUM;").map_err(&e)?;
    }
    std::fs::rename(&tmp, out).map_err(|err| DbError::Database { path: out.display().to_string(), message: err.to_string() })?;
    Db::open(out)?.status()
}

/// One affected entry of an advisory for a package, with the advisory it belongs to.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub advisory: std::sync::Arc<Advisory>,
    pub affected: osv::Affected,
}

pub struct Db {
    conn: Connection,
    path: String,
}

impl Db {
    /// Opens a database read-only and checks its schema version.
    pub fn open(path: &Path) -> Result<Db, DbError> {
        let e = dberr(path);
        if !path.is_file() {
            return Err(DbError::Database {
                path: path.display().to_string(),
                message: "no such database: build one with `dredge db build --source ...` or `dredge db update`".into(),
            });
        }
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX).map_err(&e)?;
        let version: Option<String> =
            conn.query_row("SELECT value FROM meta WHERE key = 'schema_version'", [], |r| r.get(0)).optional().map_err(&e)?;
        match version.as_deref().map(str::parse::<u32>) {
            Some(Ok(SCHEMA_VERSION)) => Ok(Db { conn, path: path.display().to_string() }),
            Some(Ok(v)) => Err(DbError::Database {
                path: path.display().to_string(),
                message: format!("schema version {v}, this dredge reads {SCHEMA_VERSION}: rebuild or update it"),
            }),
            _ => Err(DbError::Database { path: path.display().to_string(), message: "not a dredge advisory database".into() }),
        }
    }

    fn err(&self, e: rusqlite::Error) -> DbError {
        DbError::Database { path: self.path.clone(), message: e.to_string() }
    }

    fn meta(&self, key: &str) -> String {
        self.conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).unwrap_or_default()
    }

    /// When the database was built (RFC 3339).
    pub fn built_at(&self) -> String {
        self.meta("built_at")
    }

    /// When the database was last known current: built, or checked by an update that found every
    /// source unchanged. Staleness is measured from here.
    pub fn current_at(&self) -> String {
        let checked = self.meta("checked_at");
        let built = self.built_at();
        if checked > built { checked } else { built }
    }

    /// Records that an update found the sources unchanged at `now`.
    pub fn mark_checked(path: &Path, now: &str) -> Result<(), DbError> {
        let e = dberr(path);
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE).map_err(&e)?;
        conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('checked_at', ?1)", [now]).map_err(&e)?;
        Ok(())
    }

    pub fn status(&self) -> Result<Status, DbError> {
        let count = |sql: &str| -> Result<usize, DbError> {
            self.conn.query_row(sql, [], |r| r.get::<_, i64>(0)).map(|n| n as usize).map_err(|e| self.err(e))
        };
        let mut st = self
            .conn
            .prepare("SELECT ecosystem, COUNT(DISTINCT advisory_id) FROM affected GROUP BY ecosystem ORDER BY ecosystem")
            .map_err(|e| self.err(e))?;
        let ecosystems = st
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as usize)))
            .map_err(|e| self.err(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))?;
        let mut st = self
            .conn
            .prepare("SELECT location, etag, last_modified, fetched_at, records, withdrawn, errors FROM sources ORDER BY location")
            .map_err(|e| self.err(e))?;
        let sources = st
            .query_map([], |r| {
                Ok(SourceInfo {
                    location: r.get(0)?,
                    etag: r.get(1)?,
                    last_modified: r.get(2)?,
                    fetched_at: r.get(3)?,
                    records: r.get::<_, i64>(4)? as usize,
                    withdrawn: r.get::<_, i64>(5)? as usize,
                    errors: r.get::<_, i64>(6)? as usize,
                })
            })
            .map_err(|e| self.err(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))?;
        Ok(Status {
            path: self.path.clone(),
            schema_version: SCHEMA_VERSION,
            built_at: self.built_at(),
            current_at: self.current_at(),
            dredge_version: self.meta("dredge_version"),
            advisories: count("SELECT COUNT(*) FROM advisories")?,
            affected_packages: count("SELECT COUNT(*) FROM affected")?,
            ecosystems,
            sources,
        })
    }

    /// Every affected entry for `package` in `ecosystem`, with its advisory.
    pub fn lookup(&self, ecosystem: &str, package: &str) -> Result<Vec<Candidate>, DbError> {
        let mut st = self
            .conn
            .prepare_cached("SELECT a.doc, f.doc FROM affected f JOIN advisories a ON a.id = f.advisory_id WHERE f.ecosystem = ?1 AND f.package = ?2 ORDER BY a.id")
            .map_err(|e| self.err(e))?;
        let rows =
            st.query_map(params![ecosystem, package], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))).map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (a, f) = row.map_err(|e| self.err(e))?;
            let (Ok(advisory), Ok(affected)) = (serde_json::from_str::<Advisory>(&a), serde_json::from_str::<osv::Affected>(&f)) else {
                continue;
            };
            out.push(Candidate { advisory: std::sync::Arc::new(advisory), affected });
        }
        Ok(out)
    }

    /// Does the database know this ecosystem at all? (Distinguishes "no advisories for this OS"
    /// from "nothing affects these packages".)
    pub fn has_ecosystem(&self, ecosystem: &str) -> Result<bool, DbError> {
        self.conn
            .query_row("SELECT 1 FROM affected WHERE ecosystem = ?1 LIMIT 1", [ecosystem], |_| Ok(()))
            .optional()
            .map(|o| o.is_some())
            .map_err(|e| self.err(e))
    }
}
