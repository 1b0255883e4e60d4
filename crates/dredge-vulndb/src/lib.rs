//! The advisory database: OSV (and secdb) sources ingested into one embedded SQLite file with a
//! versioned schema, an index by (ecosystem, package), and the provenance of every source.

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use serde::Serialize;
use std::collections::HashMap;
use std::path::Path;

pub mod feeds;
mod load;
pub mod osv;
pub mod secdb;
pub mod severity;
pub mod update;

pub use load::{Loaded, load_path, read_zip};
pub use osv::Advisory;

/// Bumped on incompatible schema changes; a database of another version is rebuilt, not read.
pub const SCHEMA_VERSION: u32 = 2;

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
    /// Affected entries whose stored ranges do not parse (a damaged or foreign database): they
    /// can match nothing, so `db status` counts them and a scan warns (counted by `status` only).
    pub unreadable_ranges: usize,
}

const SCHEMA: &str = "
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sources(location TEXT PRIMARY KEY, etag TEXT, last_modified TEXT, fetched_at TEXT NOT NULL,
                     records INTEGER NOT NULL, withdrawn INTEGER NOT NULL, errors INTEGER NOT NULL);
CREATE TABLE advisories(id TEXT PRIMARY KEY, source TEXT NOT NULL, modified TEXT, head TEXT NOT NULL);
CREATE TABLE affected(advisory_id TEXT NOT NULL, ecosystem TEXT NOT NULL, package TEXT NOT NULL, ranges TEXT NOT NULL,
                      severity TEXT NOT NULL, severity_source TEXT NOT NULL);
CREATE INDEX affected_by_package ON affected(ecosystem, package);
CREATE INDEX affected_by_advisory ON affected(advisory_id);
CREATE TABLE aliases(alias TEXT NOT NULL, advisory_id TEXT NOT NULL);
CREATE INDEX aliases_by_alias ON aliases(alias);
CREATE INDEX aliases_by_advisory ON aliases(advisory_id);
CREATE TABLE cvss(cve TEXT NOT NULL, advisory_id TEXT NOT NULL, severity TEXT NOT NULL, severity_source TEXT NOT NULL);
CREATE INDEX cvss_by_cve ON cvss(cve);
CREATE INDEX cvss_by_advisory ON cvss(advisory_id);
";

/// What a finding shows of an advisory (the rest of the record is not kept).
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct Head {
    pub id: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Related records (an erratum's CVEs): shown with findings, and matched by ignore files and
    /// VEX like aliases.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default)]
    pub references: Vec<String>,
}

/// What matching needs of an affected entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct Ranges {
    #[serde(default)]
    pub ranges: Vec<osv::Range>,
    #[serde(default)]
    pub versions: Vec<String>,
    /// Only packages of these architectures (Oracle's per-arch fixes); empty: any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arches: Vec<String>,
    /// Only builds of this flavour: `normal`, `ksplice`, `fips` (Oracle's feed says which build
    /// each fix is for); none (OSV entries): any build.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flavor: Option<String>,
}

impl Ranges {
    /// Does this entry apply to a package of this architecture and version at all? (Its ranges
    /// then say whether the version is affected.) OSV entries name neither and apply to all.
    pub fn applies_to(&self, arch: Option<&str>, version: &str) -> bool {
        let arch_ok = self.arches.is_empty() || arch.is_none_or(|a| a == "noarch" || self.arches.iter().any(|x| x == a));
        let flavor_ok = match self.flavor.as_deref() {
            None => true,
            Some(f) => feeds::oracle_flavor(version).unwrap_or("normal") == f,
        };
        arch_ok && flavor_ok
    }
}

/// A source to build from.
#[derive(Debug, Clone)]
pub struct SourceSpec {
    /// What provenance records (URL or path).
    pub location: String,
    /// Where the data is on disk.
    pub path: std::path::PathBuf,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// PEP 503 name normalisation (shared with the extractors, which key lockfile graphs by it).
pub use dredge_model::normalize_pypi;

fn insert(tx: &rusqlite::Transaction<'_>, source: &str, a: Advisory) -> rusqlite::Result<()> {
    let existing: Option<Option<String>> =
        tx.query_row("SELECT modified FROM advisories WHERE id = ?1", [&a.id], |r| r.get(0)).optional()?;
    if let Some(old) = existing {
        // One record per id: the most recently modified copy wins when sources overlap.
        if old >= a.modified {
            return Ok(());
        }
        tx.execute("DELETE FROM affected WHERE advisory_id = ?1", [&a.id])?;
        tx.execute("DELETE FROM aliases WHERE advisory_id = ?1", [&a.id])?;
        tx.execute("DELETE FROM cvss WHERE advisory_id = ?1", [&a.id])?;
        tx.execute("DELETE FROM advisories WHERE id = ?1", [&a.id])?;
    }
    let head = Head {
        id: a.id.clone(),
        aliases: a.aliases.clone(),
        // Upstream ids (`UBUNTU-CVE-X` → `CVE-X`) are shown and matched like related ones.
        related: {
            let mut r = a.related.clone();
            for u in &a.upstream {
                if !r.contains(u) && !a.aliases.contains(u) && *u != a.id {
                    r.push(u.clone());
                }
            }
            r
        },
        // Records without a summary (PyPA's) get the first line of their details as the title.
        summary: a.summary.clone().filter(|s| !s.trim().is_empty()).or_else(|| {
            a.details.as_deref().and_then(|d| d.lines().map(str::trim).find(|l| !l.is_empty())).map(|l| l.chars().take(200).collect())
        }),
        references: a.references.iter().map(|r| r.url.clone()).collect(),
    };
    tx.prepare_cached("INSERT INTO advisories(id, source, modified, head) VALUES (?1, ?2, ?3, ?4)")?.execute(params![
        a.id,
        source,
        a.modified,
        serde_json::to_string(&head).unwrap_or_default()
    ])?;
    let mut ins = tx.prepare_cached(
        "INSERT INTO affected(advisory_id, ecosystem, package, ranges, severity, severity_source) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for aff in &a.affected {
        let (sev, src) = severity::rate(&a, aff);
        let own = aff.ecosystem_specific.as_ref().and_then(|e| e.get("dredge"));
        let ranges = Ranges {
            ranges: aff.ranges.clone(),
            versions: aff.versions.clone(),
            arches: own
                .and_then(|o| o.get("arches"))
                .and_then(|a| a.as_array())
                .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
                .unwrap_or_default(),
            flavor: own.and_then(|o| o.get("flavor")).and_then(|f| f.as_str()).map(str::to_string),
        };
        ins.execute(params![
            a.id,
            aff.package.ecosystem,
            aff.package.name,
            serde_json::to_string(&ranges).unwrap_or_default(),
            sev.as_str(),
            src
        ])?;
    }
    let mut al = tx.prepare_cached("INSERT INTO aliases(alias, advisory_id) VALUES (?1, ?2)")?;
    for alias in &a.aliases {
        al.execute(params![alias, a.id])?;
    }
    let mut cv = tx.prepare_cached("INSERT INTO cvss(cve, advisory_id, severity, severity_source) VALUES (?1, ?2, ?3, ?4)")?;
    for (cve, sev, src) in severity::cve_cvss(&a) {
        cv.execute(params![cve, a.id, sev.as_str(), src])?;
    }
    Ok(())
}

/// Builds a database at `out` from sources, streaming their records into it (memory stays
/// bounded by the largest record), atomically: written to a temporary file beside it and renamed
/// over it, so an interrupted build leaves the previous database intact.
pub fn build(out: &Path, sources: &[SourceSpec], now: &str) -> Result<(Status, Vec<Loaded>), DbError> {
    let dir = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| DbError::Database { path: dir.display().to_string(), message: e.to_string() })?;
    let tmp = dir.join(format!(".{}.tmp-{}", out.file_name().and_then(|n| n.to_str()).unwrap_or("db"), std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    // A failed build leaves nothing behind (not even the partial file).
    let reports = match write_db(&tmp, sources, now) {
        Ok(r) => r,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    std::fs::rename(&tmp, out).map_err(|err| DbError::Database { path: out.display().to_string(), message: err.to_string() })?;
    Ok((Db::open(out)?.status()?, reports))
}

/// Writes a new database into `tmp` from `sources`.
fn write_db(tmp: &Path, sources: &[SourceSpec], now: &str) -> Result<Vec<Loaded>, DbError> {
    let e = dberr(tmp);
    let mut reports = Vec::new();
    {
        let mut conn = Connection::open(tmp).map_err(&e)?;
        conn.execute_batch("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA page_size=4096; PRAGMA cache_size=-65536;")
            .map_err(&e)?;
        conn.execute_batch(SCHEMA).map_err(&e)?;
        let tx = conn.transaction().map_err(&e)?;
        for spec in sources {
            let mut sink = |a: Advisory| insert(&tx, &spec.location, a).map_err(&e);
            let mut loaded = load_path(&spec.path, &mut sink)?;
            loaded.location = spec.location.clone();
            tx.prepare_cached(
                "INSERT OR REPLACE INTO sources(location, etag, last_modified, fetched_at, records, withdrawn, errors) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .and_then(|mut st| {
                st.execute(params![
                    spec.location,
                    spec.etag,
                    spec.last_modified,
                    now,
                    loaded.records as i64,
                    loaded.withdrawn as i64,
                    loaded.errors.len() as i64
                ])
            })
            .map_err(&e)?;
            reports.push(loaded);
        }
        for (k, v) in [
            ("schema_version", SCHEMA_VERSION.to_string()),
            ("built_at", now.to_string()),
            ("dredge_version", env!("CARGO_PKG_VERSION").to_string()),
        ] {
            tx.execute("INSERT INTO meta(key, value) VALUES (?1, ?2)", params![k, v]).map_err(&e)?;
        }
        tx.commit().map_err(&e)?;
        conn.execute_batch("ANALYZE; VACUUM;").map_err(&e)?;
    }
    Ok(reports)
}

/// One affected entry for a looked-up package: its ranges, its severity (rated when the database
/// was built), and the advisory's head, parsed only when the entry matches.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub advisory_id: String,
    pub ranges: Ranges,
    pub severity: severity::Severity,
    pub severity_source: String,
    head: std::sync::Arc<str>,
}

impl Candidate {
    pub fn head(&self) -> Head {
        serde_json::from_str(&self.head).unwrap_or_else(|_| Head { id: self.advisory_id.clone(), ..Default::default() })
    }
}

pub struct Db {
    conn: Connection,
    path: String,
    /// Rows skipped by lookups because their ranges did not parse.
    skipped: std::cell::Cell<usize>,
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
            Some(Ok(SCHEMA_VERSION)) => Ok(Db { conn, path: path.display().to_string(), skipped: std::cell::Cell::new(0) }),
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

    /// What a scan needs to know (age, sources) without counting the whole database.
    pub fn info(&self) -> Result<Status, DbError> {
        Ok(Status {
            path: self.path.clone(),
            schema_version: SCHEMA_VERSION,
            built_at: self.built_at(),
            current_at: self.current_at(),
            dredge_version: self.meta("dredge_version"),
            sources: self.sources()?,
            advisories: self.conn.query_row("SELECT COUNT(*) FROM advisories", [], |r| r.get::<_, i64>(0)).map_err(|e| self.err(e))?
                as usize,
            ..Default::default()
        })
    }

    fn sources(&self) -> Result<Vec<SourceInfo>, DbError> {
        let mut st = self
            .conn
            .prepare("SELECT location, etag, last_modified, fetched_at, records, withdrawn, errors FROM sources ORDER BY location")
            .map_err(|e| self.err(e))?;
        let rows = st
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
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
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
        let sources = self.sources()?;
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
            unreadable_ranges: self.count_unreadable_ranges()?,
        })
    }

    /// Every affected entry for `package` in `ecosystem`.
    pub fn lookup(&self, ecosystem: &str, package: &str) -> Result<Vec<Candidate>, DbError> {
        Ok(self.lookup_many(ecosystem, &[package.to_string()])?.remove(package).unwrap_or_default())
    }

    /// Affected entries for many packages of one ecosystem in one query (a scan asks for all its
    /// packages at once), keyed by package name.
    pub fn lookup_many(&self, ecosystem: &str, packages: &[String]) -> Result<HashMap<String, Vec<Candidate>>, DbError> {
        let names = serde_json::to_string(packages).unwrap_or_else(|_| "[]".into());
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT f.package, f.advisory_id, f.ranges, f.severity, f.severity_source, a.head FROM affected f \
                 JOIN advisories a ON a.id = f.advisory_id \
                 WHERE f.ecosystem = ?1 AND f.package IN (SELECT value FROM json_each(?2)) ORDER BY f.package, f.advisory_id",
            )
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map(params![ecosystem, names], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        let mut out: HashMap<String, Vec<Candidate>> = HashMap::new();
        for row in rows {
            let (package, advisory_id, ranges, sev, sev_src, head) = row.map_err(|e| self.err(e))?;
            let Ok(ranges) = serde_json::from_str::<Ranges>(&ranges) else {
                self.skipped.set(self.skipped.get() + 1);
                continue;
            };
            out.entry(package).or_default().push(Candidate {
                advisory_id,
                ranges,
                severity: severity::Severity::parse_label(&sev).unwrap_or(severity::Severity::Unknown),
                severity_source: sev_src,
                head: head.into(),
            });
        }
        Ok(out)
    }

    /// How many affected rows lookups have skipped so far because their ranges did not parse.
    pub fn skipped_rows(&self) -> usize {
        self.skipped.get()
    }

    /// Affected rows whose ranges do not parse (a full pass over the table).
    pub fn count_unreadable_ranges(&self) -> Result<usize, DbError> {
        let mut st = self.conn.prepare("SELECT ranges FROM affected").map_err(|e| self.err(e))?;
        let mut rows = st.query([]).map_err(|e| self.err(e))?;
        let mut bad = 0;
        while let Some(r) = rows.next().map_err(|e| self.err(e))? {
            let text: String = r.get(0).unwrap_or_default();
            if serde_json::from_str::<Ranges>(&text).is_err() {
                bad += 1;
            }
        }
        Ok(bad)
    }

    /// The CVSS rating the database holds for each of `cves` (from any record naming it as its
    /// id, alias or upstream id), the highest where records disagree: (rating, its source, the
    /// record it came from).
    pub fn cvss_for(&self, cves: &[String]) -> Result<HashMap<String, (severity::Severity, String, String)>, DbError> {
        let names = serde_json::to_string(cves).unwrap_or_else(|_| "[]".into());
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT cve, severity, severity_source, advisory_id FROM cvss WHERE cve IN (SELECT value FROM json_each(?1)) \
                 ORDER BY cve, advisory_id",
            )
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map([names], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?)))
            .map_err(|e| self.err(e))?;
        let mut out: HashMap<String, (severity::Severity, String, String)> = HashMap::new();
        for row in rows {
            let (cve, sev, src, id) = row.map_err(|e| self.err(e))?;
            let sev = severity::Severity::parse_label(&sev).unwrap_or(severity::Severity::Unknown);
            if out.get(&cve).is_none_or(|(s, _, _)| sev > *s) {
                out.insert(cve, (sev, src, id));
            }
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
