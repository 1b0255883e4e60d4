//! Reading advisory sources: OSV records as JSON or YAML files, directories of them, zip archives
//! laid out like OSV's per-ecosystem `all.zip`, tar.gz archives, and Alpine/Wolfi secdb files.

use crate::DbError;
use crate::osv::Advisory;
use crate::secdb;
use std::io::Read;
use std::path::Path;

/// Largest single record file read (the biggest real OSV records are a few MiB).
const MAX_RECORD: u64 = 32 << 20;

/// What one source yielded; the records themselves go to the sink as they are read, so memory
/// stays bounded by the largest record, not the source.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Where it came from (path or URL), for provenance.
    pub location: String,
    /// Records handed to the sink.
    pub records: usize,
    /// Withdrawn records, excluded.
    pub withdrawn: usize,
    /// Files or entries that could not be read (`file: why`).
    pub errors: Vec<String>,
    pub files: usize,
}

/// Receives each record; an error stops the load (the database could not be written).
pub type Sink<'a> = &'a mut dyn FnMut(Advisory) -> Result<(), DbError>;

impl Loaded {
    fn take(&mut self, name: &str, bytes: &[u8], sink: Sink<'_>) -> Result<(), DbError> {
        self.files += 1;
        let yaml = name.ends_with(".yaml") || name.ends_with(".yml");
        match parse_document(bytes, yaml) {
            Ok(Doc::Advisories(list)) => {
                for a in list {
                    if a.withdrawn.is_some() {
                        self.withdrawn += 1;
                    } else if a.id.is_empty() {
                        self.errors.push(format!("{name}: record without an id"));
                    } else {
                        self.records += 1;
                        sink(a)?;
                    }
                }
            }
            Ok(Doc::SecDb(db, family)) => {
                let (adv, skipped) = secdb::to_advisories(&db, family);
                if skipped > 0 {
                    self.errors.push(format!("{name}: {skipped} secfixes entries without a recognisable id"));
                }
                for a in adv {
                    self.records += 1;
                    sink(a)?;
                }
            }
            Err(e) => self.errors.push(format!("{name}: {e}")),
        }
        Ok(())
    }
}

enum Doc {
    Advisories(Vec<Advisory>),
    SecDb(secdb::SecDb, &'static str),
}

fn parse_document(bytes: &[u8], yaml: bool) -> Result<Doc, String> {
    // The common case, one OSV JSON record, straight into the typed model.
    if !yaml && bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') && !contains(bytes, b"\"secfixes\"") {
        return serde_json::from_slice::<Advisory>(bytes).map(|a| Doc::Advisories(vec![a])).map_err(|e| format!("not an OSV record: {e}"));
    }
    let value: serde_json::Value = if yaml {
        let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
        serde_saphyr::from_str(text).map_err(|e| format!("invalid YAML: {e}"))?
    } else {
        serde_json::from_slice(bytes).map_err(|e| format!("invalid JSON: {e}"))?
    };
    if value.get("packages").is_some() && (value.get("distroversion").is_some() || value.get("apkurl").is_some()) {
        let family = if value.to_string().contains("wolfi") { "Wolfi" } else { "Alpine" };
        // Re-read with the typed secdb model (YAML keys such as `0` are scalars there).
        let db: secdb::SecDb = if yaml {
            serde_saphyr::from_str(std::str::from_utf8(bytes).map_err(|e| e.to_string())?).map_err(|e| format!("invalid secdb: {e}"))?
        } else {
            serde_json::from_slice(bytes).map_err(|e| format!("invalid secdb: {e}"))?
        };
        return Ok(Doc::SecDb(db, family));
    }
    match value {
        serde_json::Value::Array(items) => items
            .into_iter()
            .map(|v| serde_json::from_value::<Advisory>(v).map_err(|e| format!("not an OSV record: {e}")))
            .collect::<Result<Vec<_>, _>>()
            .map(Doc::Advisories),
        v => serde_json::from_value::<Advisory>(v).map(|a| Doc::Advisories(vec![a])).map_err(|e| format!("not an OSV record: {e}")),
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn wanted(name: &str) -> bool {
    name.ends_with(".json") || name.ends_with(".yaml") || name.ends_with(".yml") || is_xml(name)
}

/// Distribution feeds in XML (Amazon's `updateinfo.xml`, Oracle's and Microsoft's OVAL), plain,
/// gzipped or bzip2ed (Oracle publishes `com.oracle.elsa-all.xml.bz2`).
fn is_xml(name: &str) -> bool {
    name.ends_with(".xml") || name.ends_with(".xml.gz") || name.ends_with(".xml.bz2")
}

/// Streams one XML feed (plain or gzip) into the sink, one advisory at a time.
fn read_xml_feed(name: &str, r: impl Read, out: &mut Loaded, sink: Sink<'_>) -> Result<(), DbError> {
    let r: Box<dyn Read> = if name.ends_with(".gz") {
        Box::new(flate2::read::MultiGzDecoder::new(r))
    } else if name.ends_with(".bz2") {
        Box::new(bzip2::read::MultiBzDecoder::new(r))
    } else {
        Box::new(r)
    };
    let mut br = std::io::BufReader::with_capacity(64 << 10, r);
    let head = match std::io::BufRead::fill_buf(&mut br) {
        Ok(h) => h.to_vec(),
        Err(e) => {
            out.errors.push(format!("{name}: {e}"));
            return Ok(());
        }
    };
    out.files += 1;
    let Some(kind) = crate::feeds::sniff(&head) else {
        out.errors.push(format!("{name}: not a known XML advisory feed (an updateinfo.xml or an OVAL file)"));
        return Ok(());
    };
    let mut n = 0usize;
    let mut counting = |a: Advisory| {
        n += 1;
        sink(a)
    };
    match crate::feeds::read(kind, br, &mut counting) {
        Ok(skipped) => {
            out.records += n;
            out.errors.extend(skipped.into_iter().map(|s| format!("{name}: {s}")));
        }
        Err(crate::feeds::FeedError::Sink(e)) => return Err(e),
        Err(crate::feeds::FeedError::Xml(e)) => {
            out.records += n;
            out.errors.push(format!("{name}: invalid XML {e} (the {n} advisories before it were read)"));
        }
    }
    Ok(())
}

/// Loads one source from a local path: a record file, a directory (recursively), a `.zip` or a
/// `.tar.gz`/`.tgz`.
pub fn load_path(path: &Path, sink: Sink<'_>) -> Result<Loaded, DbError> {
    let location = path.display().to_string();
    let mut out = Loaded { location: location.clone(), ..Default::default() };
    let md = std::fs::metadata(path).map_err(|e| DbError::Source { source_name: location.clone(), message: e.to_string() })?;
    if md.is_dir() {
        let mut stack = vec![path.to_path_buf()];
        while let Some(d) = stack.pop() {
            let mut entries: Vec<_> = std::fs::read_dir(&d)
                .map_err(|e| DbError::Source { source_name: d.display().to_string(), message: e.to_string() })?
                .flatten()
                .collect();
            entries.sort_by_key(|e| e.file_name());
            for e in entries {
                let p = e.path();
                let Ok(ft) = e.file_type() else { continue };
                if ft.is_dir() {
                    stack.push(p);
                } else if ft.is_file() && wanted(&p.to_string_lossy()) {
                    read_file(&p, &mut out, sink)?;
                }
            }
        }
    } else {
        let name = path.to_string_lossy().to_string();
        if name.ends_with(".zip") {
            let f = std::fs::File::open(path).map_err(|e| DbError::Source { source_name: location.clone(), message: e.to_string() })?;
            read_zip(f, &mut out, sink)?;
        } else if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
            let f = std::fs::File::open(path).map_err(|e| DbError::Source { source_name: location.clone(), message: e.to_string() })?;
            read_targz(f, &mut out, sink)?;
        } else {
            read_file(path, &mut out, sink)?;
        }
    }
    if out.records == 0 && !out.errors.is_empty() {
        return Err(DbError::Source { source_name: location, message: format!("nothing readable: {}", out.errors[0]) });
    }
    Ok(out)
}

fn read_file(p: &Path, out: &mut Loaded, sink: Sink<'_>) -> Result<(), DbError> {
    let name = p.display().to_string();
    if is_xml(&name) {
        return match std::fs::File::open(p) {
            Ok(f) => read_xml_feed(&name, f, out, sink),
            Err(e) => {
                out.errors.push(format!("{name}: {e}"));
                Ok(())
            }
        };
    }
    match std::fs::File::open(p).and_then(|f| {
        let mut v = Vec::new();
        f.take(MAX_RECORD + 1).read_to_end(&mut v).map(|_| v)
    }) {
        Ok(v) if v.len() as u64 > MAX_RECORD => out.errors.push(format!("{name}: larger than {MAX_RECORD} bytes")),
        Ok(v) => out.take(&name, &v, sink)?,
        Err(e) => out.errors.push(format!("{name}: {e}")),
    }
    Ok(())
}

/// Reads an OSV-style zip (one record per `.json` entry) from any seekable reader.
pub fn read_zip<R: Read + std::io::Seek>(r: R, out: &mut Loaded, sink: Sink<'_>) -> Result<(), DbError> {
    let mut z = zip::ZipArchive::new(r)
        .map_err(|e| DbError::Source { source_name: out.location.clone(), message: format!("not a zip archive: {e}") })?;
    for i in 0..z.len() {
        let mut f = match z.by_index(i) {
            Ok(f) => f,
            Err(e) => {
                out.errors.push(format!("zip entry {i}: {e}"));
                continue;
            }
        };
        let name = f.name().map(|n| n.into_owned()).unwrap_or_default();
        if !f.is_file() || !wanted(&name) {
            continue;
        }
        if is_xml(&name) {
            read_xml_feed(&name, &mut f, out, sink)?;
            continue;
        }
        if f.size() > MAX_RECORD {
            out.errors.push(format!("{name}: larger than {MAX_RECORD} bytes"));
            continue;
        }
        let mut v = Vec::with_capacity(f.size() as usize);
        // The declared size may lie (zip bombs): read at most the cap.
        match (&mut f).take(MAX_RECORD + 1).read_to_end(&mut v) {
            Ok(_) if v.len() as u64 > MAX_RECORD => out.errors.push(format!("{name}: larger than {MAX_RECORD} bytes")),
            Ok(_) => out.take(&name, &v, sink)?,
            Err(e) => out.errors.push(format!("{name}: {e}")),
        }
    }
    Ok(())
}

fn read_targz<R: Read>(r: R, out: &mut Loaded, sink: Sink<'_>) -> Result<(), DbError> {
    let loc = out.location.clone();
    let bad = |m: String| DbError::Source { source_name: loc.clone(), message: m };
    let mut ar = tar::Archive::new(flate2::read::MultiGzDecoder::new(r));
    let entries = ar.entries().map_err(|e| bad(format!("not a tar.gz archive: {e}")))?;
    for e in entries {
        let mut e = e.map_err(|e| bad(format!("corrupt tar.gz archive: {e}")))?;
        let name = String::from_utf8_lossy(&e.path_bytes()).into_owned();
        if e.header().entry_type() != tar::EntryType::Regular || !wanted(&name) {
            continue;
        }
        if is_xml(&name) {
            read_xml_feed(&name, &mut e, out, sink)?;
            continue;
        }
        let mut v = Vec::new();
        (&mut e).take(MAX_RECORD + 1).read_to_end(&mut v).map_err(|e| bad(format!("{name}: {e}")))?;
        if v.len() as u64 > MAX_RECORD {
            out.errors.push(format!("{name}: larger than {MAX_RECORD} bytes"));
        } else {
            out.take(&name, &v, sink)?;
        }
    }
    Ok(())
}
