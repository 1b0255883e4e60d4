//! Distributions' own advisory feeds that OSV does not carry, turned into OSV records:
//! Amazon Linux's ALAS (the yum repositories' `updateinfo.xml`) and Oracle Linux's ELSA (OVAL).
//!
//! Both are read as a stream of XML events (quick-xml): one `<update>` or `<definition>` at a
//! time, so memory stays bounded by the largest advisory, not the feed (Oracle's
//! `com.oracle.elsa-all.xml` is hundreds of MiB). Everything an advisory needs is in its own
//! element: for OVAL, the criteria's comments (`Oracle Linux 8 is installed`, `Oracle Linux arch
//! is x86_64`, `openssl is earlier than 1:1.1.1k-7.el8_6`), as Trivy and vunnel read them; the
//! tests, objects and states after the definitions are not needed.

use crate::osv::{Advisory, Affected, Event, Package, Range, Reference};
use quick_xml::events::{BytesRef, BytesStart, Event as X};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::io::{BufRead, Read};
use std::rc::Rc;

/// Which feed a document is, from its root element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `<updates>`: a yum `updateinfo.xml` (Amazon Linux's ALAS).
    UpdateInfo,
    /// `<oval_definitions>`: an OVAL file (Oracle Linux's ELSA).
    Oval,
}

/// The kind of an XML feed from its first bytes, if it is one.
pub fn sniff(head: &[u8]) -> Option<Kind> {
    let text = String::from_utf8_lossy(&head[..head.len().min(4096)]);
    let t = text.trim_start_matches('\u{feff}').trim_start();
    if !t.starts_with('<') {
        return None;
    }
    if t.contains("<updates") {
        Some(Kind::UpdateInfo)
    } else if t.contains("<oval_definitions") {
        Some(Kind::Oval)
    } else {
        None
    }
}

/// Reads a feed (already decompressed), handing each advisory to `sink`. Returns the entries
/// skipped (`what: why`). Memory is bounded whatever the input: no single XML event (a text, a
/// tag with its attributes) may exceed [`MAX_EVENT`] bytes, the document [`MAX_FEED`] bytes, and
/// what is kept of each advisory is capped.
pub fn read(kind: Kind, r: impl Read, sink: &mut dyn FnMut(Advisory) -> Result<(), crate::DbError>) -> Result<Vec<String>, FeedError> {
    let since = Rc::new(Cell::new(0u64));
    let guarded = Guard { inner: r, since: since.clone(), total: 0 };
    let br = std::io::BufReader::with_capacity(64 << 10, guarded);
    let mut rd = quick_xml::Reader::from_reader(br);
    // Whitespace is kept inside texts (trimmed per field at the end): entity references
    // (`&amp;`) arrive as separate events, and the spaces around them must survive.
    rd.config_mut().trim_text(false);
    let expect = match kind {
        Kind::UpdateInfo => "updates",
        Kind::Oval => "oval_definitions",
    };
    let doc = Doc { rd, since, depth: 0, root: None, expect };
    match kind {
        Kind::UpdateInfo => read_updateinfo(doc, sink),
        Kind::Oval => read_oval(doc, sink),
    }
}

/// Largest XML event (one text or one tag): far above anything real (descriptions are a few KiB),
/// and what quick-xml may buffer at once.
pub const MAX_EVENT: u64 = 16 << 20;
/// Largest decompressed feed (Oracle's all-years OVAL file is well under this).
pub const MAX_FEED: u64 = 4 << 30;

/// Counts the bytes read since the last event (reset by [`Doc::next`]) and in all, and fails the
/// read past either limit: quick-xml buffers a whole event, so an endless text must be cut here.
struct Guard<R> {
    inner: R,
    since: Rc<Cell<u64>>,
    total: u64,
}

impl<R: Read> Read for Guard<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.total += n as u64;
        self.since.set(self.since.get() + n as u64);
        if self.since.get() > MAX_EVENT + (64 << 10) {
            return Err(std::io::Error::other(format!("one XML text or tag is longer than {} MiB", MAX_EVENT >> 20)));
        }
        if self.total > MAX_FEED {
            return Err(std::io::Error::other(format!("the document is larger than {} GiB", MAX_FEED >> 30)));
        }
        Ok(n)
    }
}

/// The event stream of one document, checking its shape: the root element the kind expects,
/// and every element closed at the end (a truncated download is an error, not a short feed).
struct Doc<R: BufRead> {
    rd: quick_xml::Reader<R>,
    since: Rc<Cell<u64>>,
    depth: usize,
    root: Option<String>,
    expect: &'static str,
}

impl<R: BufRead> Doc<R> {
    fn next<'b>(&mut self, buf: &'b mut Vec<u8>) -> Result<X<'b>, FeedError> {
        buf.clear();
        self.since.set(0);
        let ev = self.rd.read_event_into(buf).map_err(|e| xml_err(&self.rd, e))?;
        match &ev {
            X::Start(e) | X::Empty(e) => {
                if self.root.is_none() {
                    let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                    if name != self.expect {
                        return Err(xml_err(&self.rd, format!("the root element is <{name}>, not <{}>", self.expect)));
                    }
                    self.root = Some(name);
                }
                if matches!(ev, X::Start(_)) {
                    self.depth += 1;
                }
            }
            X::End(_) => self.depth = self.depth.saturating_sub(1),
            X::Eof if self.root.is_none() => return Err(xml_err(&self.rd, format!("no <{}> element", self.expect))),
            X::Eof if self.depth > 0 => {
                return Err(xml_err(&self.rd, format!("the document ends with {} element(s) still open (truncated?)", self.depth)));
            }
            _ => {}
        }
        Ok(ev)
    }
}

/// The text an entity or character reference stands for (`&amp;` → `&`, `&#39;` → `'`); an
/// unknown entity is kept as written (no DTD is ever read: nothing is expanded).
fn ref_text(r: &BytesRef<'_>) -> String {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        return c.to_string();
    }
    let name = r.decode().map(|n| n.into_owned()).unwrap_or_default();
    match name.as_str() {
        "amp" => "&".into(),
        "lt" => "<".into(),
        "gt" => ">".into(),
        "quot" => "\"".into(),
        "apos" => "'".into(),
        _ => format!("&{name};"),
    }
}

#[derive(Debug)]
pub enum FeedError {
    /// The XML itself is broken (where, why).
    Xml(String),
    /// The sink refused (the database could not be written).
    Sink(crate::DbError),
}

/// Largest text of one field kept (real descriptions are a few KiB; longer ones are cut).
const MAX_TEXT: usize = 64 << 10;
/// Largest URL kept, and most references kept per advisory.
const MAX_URL: usize = 2048;
const MAX_REFS: usize = 256;
/// Largest number of packages or criteria of one advisory.
const MAX_ITEMS: usize = 100_000;

fn attr(e: &BytesStart<'_>, name: &[u8]) -> Option<String> {
    let a = e.attributes().flatten().find(|a| a.key.local_name().as_ref() == name)?;
    // An entity quick-xml does not know (`&xxe;`: no DTD is read) stays as written.
    Some(a.unescape_value().map(|v| v.into_owned()).unwrap_or_else(|_| String::from_utf8_lossy(&a.value).into_owned()))
}

fn xml_err<R>(r: &quick_xml::Reader<R>, e: impl std::fmt::Display) -> FeedError {
    FeedError::Xml(format!("at byte {}: {e}", r.buffer_position()))
}

/// `2018-01-11 21:05`, `2023-02-17 20:41:00`, `2021-09-09` → RFC 3339 (UTC), else `None`.
fn rfc3339(date: &str) -> Option<String> {
    let d = date.trim();
    let (day, time) = d.split_once([' ', 'T']).unwrap_or((d, "00:00:00"));
    let ok_day = day.len() == 10 && day.as_bytes()[4] == b'-' && day.as_bytes()[7] == b'-';
    if !ok_day || !day.bytes().enumerate().all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit()) {
        return None;
    }
    let time = time.trim_end_matches('Z');
    let time = match time.len() {
        5 => format!("{time}:00"),
        8 => time.to_string(),
        _ => return None,
    };
    if !time.bytes().enumerate().all(|(i, b)| if i == 2 || i == 5 { b == b':' } else { b.is_ascii_digit() }) {
        return None;
    }
    Some(format!("{day}T{time}Z"))
}

/// An rpm EVR as a fixed version: a zero epoch left out (`0:1.2-3` → `1.2-3`).
fn evr(epoch: Option<&str>, version: &str, release: Option<&str>) -> String {
    let mut s = String::new();
    if let Some(e) = epoch.map(str::trim).filter(|e| !e.is_empty() && *e != "0") {
        s.push_str(e);
        s.push(':');
    }
    s.push_str(version.trim());
    if let Some(r) = release.map(str::trim).filter(|r| !r.is_empty()) {
        s.push('-');
        s.push_str(r);
    }
    s
}

fn fixed_range(introduced: &str, fixed: &str) -> Range {
    Range {
        kind: "ECOSYSTEM".into(),
        events: vec![
            Event { introduced: Some(introduced.into()), ..Default::default() },
            Event { fixed: Some(fixed.into()), ..Default::default() },
        ],
    }
}

// ---------------------------------------------------------------------------------------------
// Amazon Linux: updateinfo.xml

/// The Amazon Linux release of an ALAS id: `ALAS-2011-1` → 1, `ALAS2-2018-939` → 2,
/// `ALAS2KERNEL-5.15-2022-001` → 2 (an extras repository of AL2), `ALAS2023-2023-001` → 2023.
pub fn amazon_release(id: &str) -> Option<&'static str> {
    let rest = id.strip_prefix("ALAS")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    match digits.as_str() {
        "" if rest.starts_with('-') => Some("1"),
        "2" => Some("2"),
        "2022" => Some("2022"),
        "2023" => Some("2023"),
        _ => None,
    }
}

/// The version stream of an Amazon Linux 2 Extras advisory: `ALAS2KERNEL-5.10-2022-001` → 5.10,
/// `ALAS2GOLANG1.19-2023-001` → 1.19. Its fixes concern that stream only: the core kernel 4.14
/// is not "before 5.10.90" (grype-db had this false positive).
pub fn amazon_extras_stream(id: &str) -> Option<String> {
    let rest = id.strip_prefix("ALAS2")?;
    if !rest.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let after_topic = rest.trim_start_matches(|c: char| c.is_ascii_alphabetic()).trim_start_matches('-');
    let v: String = after_topic.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    let v = v.trim_end_matches('.');
    (v.contains('.') && after_topic[v.len()..].starts_with('-')).then(|| v.to_string())
}

#[derive(Default)]
struct Update {
    kind: String,
    id: String,
    title: String,
    severity: String,
    description: String,
    issued: Option<String>,
    updated: Option<String>,
    cves: Vec<String>,
    refs: Vec<String>,
    /// Binary package name → fixed EVR (the highest, when arches differ).
    packages: BTreeMap<String, String>,
}

fn read_updateinfo<R: BufRead>(
    mut doc: Doc<R>,
    sink: &mut dyn FnMut(Advisory) -> Result<(), crate::DbError>,
) -> Result<Vec<String>, FeedError> {
    let mut buf = Vec::new();
    let mut skipped = Vec::new();
    let mut cur: Option<Update> = None;
    let mut field: Option<&'static str> = None;
    loop {
        let ev = doc.next(&mut buf)?;
        match ev {
            X::Eof => break,
            X::Start(ref e) | X::Empty(ref e) => {
                let name = e.local_name();
                match (name.as_ref(), cur.as_mut()) {
                    (b"update", None) => cur = Some(Update { kind: attr(e, b"type").unwrap_or_default(), ..Default::default() }),
                    (b"id", Some(_)) => field = Some("id"),
                    (b"title", Some(_)) => field = Some("title"),
                    (b"severity", Some(_)) => field = Some("severity"),
                    (b"description", Some(_)) => field = Some("description"),
                    (b"issued", Some(u)) => u.issued = attr(e, b"date").as_deref().and_then(rfc3339),
                    (b"updated", Some(u)) => u.updated = attr(e, b"date").as_deref().and_then(rfc3339),
                    (b"reference", Some(u)) => {
                        if attr(e, b"type").as_deref() == Some("cve") {
                            if let Some(id) = attr(e, b"id").filter(|i| !i.is_empty() && !u.cves.contains(i)) {
                                u.cves.push(id);
                            }
                        }
                        if let Some(h) = attr(e, b"href").filter(|h| h.starts_with("http") && h.len() <= MAX_URL) {
                            if u.refs.len() < MAX_REFS {
                                u.refs.push(h);
                            }
                        }
                    }
                    (b"package", Some(u)) => {
                        if let (Some(n), Some(v)) = (attr(e, b"name"), attr(e, b"version")) {
                            if u.packages.len() >= MAX_ITEMS {
                                return Err(xml_err(&doc.rd, format!("more than {MAX_ITEMS} packages in one update")));
                            }
                            let fixed = evr(attr(e, b"epoch").as_deref(), &v, attr(e, b"release").as_deref());
                            let slot = u.packages.entry(n).or_insert_with(|| fixed.clone());
                            if dredge_version::rpm::compare_evr(&fixed, slot) == std::cmp::Ordering::Greater {
                                *slot = fixed;
                            }
                        }
                    }
                    _ => {}
                }
            }
            X::Text(t) => {
                if let (Some(f), Some(u)) = (field, cur.as_mut()) {
                    let text = t.decode().map_err(|e| xml_err(&doc.rd, e))?;
                    push_text(u, f, &text);
                }
            }
            X::GeneralRef(r) => {
                if let (Some(f), Some(u)) = (field, cur.as_mut()) {
                    push_text(u, f, &ref_text(&r));
                }
            }
            X::CData(t) => {
                if let (Some(f), Some(u)) = (field, cur.as_mut()) {
                    push_text(u, f, &String::from_utf8_lossy(&t));
                }
            }
            X::End(ref e) => match e.local_name().as_ref() {
                b"update" => {
                    field = None;
                    if let Some(u) = cur.take() {
                        if let Some(a) = alas_advisory(u, &mut skipped) {
                            sink(a).map_err(FeedError::Sink)?;
                        }
                    }
                }
                b"id" | b"title" | b"severity" | b"description" => field = None,
                _ => {}
            },
            _ => {}
        }
    }
    Ok(skipped)
}

fn push_text(u: &mut Update, field: &str, text: &str) {
    let slot = match field {
        "id" => &mut u.id,
        "title" => &mut u.title,
        "severity" => &mut u.severity,
        _ => &mut u.description,
    };
    if slot.len() + text.len() <= MAX_TEXT {
        slot.push_str(text);
    }
}

fn alas_advisory(u: Update, skipped: &mut Vec<String>) -> Option<Advisory> {
    let id = u.id.trim().to_string();
    if u.kind != "security" {
        return None; // bug fix and enhancement updates fix no vulnerability
    }
    let Some(release) = amazon_release(&id) else {
        skipped.push(format!("{}: not an Amazon Linux advisory id", if id.is_empty() { "(no id)" } else { &id }));
        return None;
    };
    if u.packages.is_empty() {
        skipped.push(format!("{id}: no packages"));
        return None;
    }
    let ecosystem = format!("Amazon Linux:{release}");
    let severity = u.severity.trim().to_ascii_lowercase();
    let stream = amazon_extras_stream(&id);
    let affected = u
        .packages
        .iter()
        .map(|(name, fixed)| Affected {
            package: Package { ecosystem: ecosystem.clone(), name: name.clone(), purl: None },
            ranges: vec![fixed_range(stream.as_deref().unwrap_or("0"), fixed)],
            // The distributor's rating, per package as OSV's distro records carry it.
            database_specific: (!severity.is_empty()).then(|| serde_json::json!({ "severity": severity })),
            ..Default::default()
        })
        .collect();
    let mut references: Vec<Reference> = vec![Reference {
        kind: "ADVISORY".into(),
        url: format!(
            "https://alas.aws.amazon.com/{}{id}.html",
            match release {
                "1" => "",
                "2" => "AL2/",
                _ => "AL2023/",
            }
        ),
    }];
    references.extend(u.refs.into_iter().map(|url| Reference { kind: "WEB".into(), url }));
    Some(Advisory {
        modified: u.updated.clone().or_else(|| u.issued.clone()),
        published: u.issued,
        related: u.cves,
        summary: Some(u.title.trim().to_string()).filter(|t| !t.is_empty()),
        details: Some(u.description.trim().to_string()).filter(|t| !t.is_empty()),
        affected,
        references,
        database_specific: (!severity.is_empty()).then(|| serde_json::json!({ "severity": severity, "source": "ALAS" })),
        id,
        ..Default::default()
    })
}

// ---------------------------------------------------------------------------------------------
// Oracle Linux: ELSA OVAL

/// What one criterion of a definition's tree says, from its comment.
#[derive(Debug, PartialEq)]
enum Said {
    Os(String),
    Arch(String),
    Earlier { name: String, evr: String },
    Other,
}

fn said(comment: &str) -> Said {
    let c = comment.trim();
    if let Some(v) = c.strip_prefix("Oracle Linux ").and_then(|r| r.strip_suffix(" is installed")) {
        return Said::Os(v.trim().to_string());
    }
    if let Some(a) = c.strip_prefix("Oracle Linux arch is ") {
        return Said::Arch(a.trim().to_string());
    }
    if let Some((name, evr)) = c.split_once(" is earlier than ") {
        if !name.trim().is_empty() && !name.contains(' ') && !evr.trim().is_empty() {
            return Said::Earlier { name: name.trim().to_string(), evr: evr.trim().to_string() };
        }
    }
    Said::Other
}

/// The build flavour of an Oracle version: Ksplice userspace builds and FIPS builds are
/// separate lines, fixed separately (their versions do not compare with the normal build's).
pub fn oracle_flavor(version: &str) -> Option<&'static str> {
    let v = version.to_ascii_lowercase();
    if v.ends_with("_fips") {
        Some("fips")
    } else if v.split(['.', '-']).any(|p| p.starts_with("ksplice")) {
        Some("ksplice")
    } else {
        None
    }
}

#[derive(Default)]
struct Definition {
    /// The definition's id (`oval:com.microsoft.cbl-mariner:def:27817`).
    id: String,
    /// Microsoft's `<patchable>`: `true`, `false` (no fix yet), `Not Applicable`.
    patchable: String,
    /// Microsoft's `<advisory_date>`.
    date: Option<String>,
    /// The `test_ref` of every criterion (Microsoft's feed is read through its tests).
    test_refs: Vec<String>,
    title: String,
    severity: String,
    description: String,
    issued: Option<String>,
    cves: Vec<String>,
    refs: Vec<String>,
    /// (os major, arch or "", package, fixed evr) for every "earlier than" leaf, with the OS and
    /// arch of the criteria around it.
    fixes: Vec<(String, String, String, String)>,
    /// The criteria nesting: the OS and arch each open `criteria` level has set.
    stack: Vec<(Option<String>, Option<String>)>,
}

impl Definition {
    fn context(&self) -> (Option<String>, Option<String>) {
        let os = self.stack.iter().rev().find_map(|(o, _)| o.clone());
        let arch = self.stack.iter().rev().find_map(|(_, a)| a.clone());
        (os, arch)
    }
}

/// Microsoft's OVAL (CBL-Mariner, Azure Linux) names the package and version in its tests,
/// objects and states, after all the definitions: those are kept until the end of the document.
#[derive(Default)]
struct Microsoft {
    defs: Vec<Definition>,
    /// test id → (object id, state id)
    tests: std::collections::HashMap<String, (String, String)>,
    /// object id → package name
    objects: std::collections::HashMap<String, String>,
    /// state id → (operation, evr)
    states: std::collections::HashMap<String, (String, String)>,
    /// The test, object or state being read.
    open: Option<(u8, String)>,
}

fn is_microsoft(id: &str) -> bool {
    id.starts_with("oval:com.microsoft.")
}

fn read_oval<R: BufRead>(mut doc: Doc<R>, sink: &mut dyn FnMut(Advisory) -> Result<(), crate::DbError>) -> Result<Vec<String>, FeedError> {
    let mut buf = Vec::new();
    let mut skipped = Vec::new();
    let mut cur: Option<Definition> = None;
    let mut field: Option<&'static str> = None;
    let mut ms = Microsoft::default();
    let mut evr_op = String::new();
    loop {
        let ev = doc.next(&mut buf)?;
        match ev {
            X::Eof => break,
            X::Start(ref e) | X::Empty(ref e) => {
                let empty = matches!(ev, X::Empty(_));
                let name = e.local_name();
                match (name.as_ref(), cur.as_mut()) {
                    (b"definition", None) if !empty => {
                        cur = Some(Definition { id: attr(e, b"id").unwrap_or_default(), ..Default::default() })
                    }
                    (b"patchable", Some(_)) => field = Some("patchable"),
                    (b"advisory_date", Some(_)) => field = Some("date"),
                    (b"title", Some(_)) => field = Some("title"),
                    (b"severity", Some(_)) => field = Some("severity"),
                    (b"description", Some(_)) => field = Some("description"),
                    (b"issued", Some(d)) => d.issued = attr(e, b"date").as_deref().and_then(rfc3339),
                    (b"reference", Some(d)) => {
                        let source = attr(e, b"source").unwrap_or_default();
                        if let Some(id) = attr(e, b"ref_id") {
                            if source.eq_ignore_ascii_case("CVE") && !d.cves.contains(&id) {
                                d.cves.push(id);
                            }
                        }
                        if let Some(u) = attr(e, b"ref_url").filter(|u| u.starts_with("http") && u.len() <= MAX_URL) {
                            if d.refs.len() < MAX_REFS {
                                d.refs.push(u);
                            }
                        }
                    }
                    (b"criteria", Some(d)) if !empty => d.stack.push((None, None)),
                    (b"criterion", Some(d)) => {
                        if let Some(t) = attr(e, b"test_ref") {
                            if d.test_refs.len() < MAX_ITEMS {
                                d.test_refs.push(t);
                            }
                        }
                        let comment = attr(e, b"comment").unwrap_or_default();
                        match said(&comment) {
                            Said::Os(v) => {
                                if let Some(top) = d.stack.last_mut() {
                                    top.0 = Some(v);
                                }
                            }
                            Said::Arch(a) => {
                                if let Some(top) = d.stack.last_mut() {
                                    top.1 = Some(a);
                                }
                            }
                            Said::Earlier { name, evr } => {
                                if d.fixes.len() >= MAX_ITEMS {
                                    return Err(xml_err(&doc.rd, format!("more than {MAX_ITEMS} criteria in one definition")));
                                }
                                let (os, arch) = d.context();
                                d.fixes.push((os.unwrap_or_default(), arch.unwrap_or_default(), name, evr));
                            }
                            Said::Other => {}
                        }
                    }
                    // Microsoft's tests, objects and states (only kept when its definitions came).
                    (b"rpminfo_test", None) if !ms.defs.is_empty() && ms.tests.len() < 4 * MAX_ITEMS => {
                        ms.open = attr(e, b"id").map(|i| (b't', i))
                    }
                    (b"rpminfo_object", None) if !ms.defs.is_empty() => ms.open = attr(e, b"id").map(|i| (b'o', i)),
                    (b"rpminfo_state", None) if !ms.defs.is_empty() => ms.open = attr(e, b"id").map(|i| (b's', i)),
                    (b"object", None) | (b"state", None) if !ms.defs.is_empty() => {
                        if let Some((b't', id)) = &ms.open {
                            let slot = ms.tests.entry(id.clone()).or_default();
                            if let Some(o) = attr(e, b"object_ref") {
                                slot.0 = o;
                            }
                            if let Some(st) = attr(e, b"state_ref") {
                                slot.1 = st;
                            }
                        }
                    }
                    (b"name", None) if matches!(ms.open, Some((b'o', _))) => field = Some("ms-name"),
                    (b"evr", None) if matches!(ms.open, Some((b's', _))) => {
                        evr_op = attr(e, b"operation").unwrap_or_default();
                        field = Some("ms-evr");
                    }
                    _ => {}
                }
            }
            X::Text(_) | X::GeneralRef(_) | X::CData(_) => {
                if let Some(f) = field {
                    let text = match &ev {
                        X::Text(t) => t.decode().map_err(|e| xml_err(&doc.rd, e))?.into_owned(),
                        X::GeneralRef(r) => ref_text(r),
                        X::CData(c) => String::from_utf8_lossy(c).into_owned(),
                        _ => String::new(),
                    };
                    match (f, cur.as_mut(), &ms.open) {
                        ("ms-name", _, Some((_, id))) if ms.objects.len() < 4 * MAX_ITEMS && text.len() <= MAX_URL => {
                            ms.objects.entry(id.clone()).or_default().push_str(&text);
                        }
                        ("ms-evr", _, Some((_, id))) if ms.states.len() < 4 * MAX_ITEMS && text.len() <= MAX_URL => {
                            let e = ms.states.entry(id.clone()).or_insert_with(|| (evr_op.clone(), String::new()));
                            e.1.push_str(&text);
                        }
                        ("ms-name" | "ms-evr", _, _) => {}
                        (_, Some(d), _) => {
                            let slot = match f {
                                "title" => &mut d.title,
                                "severity" => &mut d.severity,
                                "patchable" => &mut d.patchable,
                                "date" => {
                                    d.date = rfc3339(&text);
                                    continue;
                                }
                                _ => &mut d.description,
                            };
                            if slot.len() + text.len() <= MAX_TEXT {
                                slot.push_str(&text);
                            }
                        }
                        _ => {}
                    }
                }
            }
            X::End(ref e) => match e.local_name().as_ref() {
                b"definition" => {
                    field = None;
                    if let Some(d) = cur.take() {
                        if is_microsoft(&d.id) {
                            // Kept until the end of the document: only what the record shows.
                            let mut d = d;
                            if d.description.len() > 4096 {
                                let mut cut = 4096;
                                while !d.description.is_char_boundary(cut) {
                                    cut -= 1;
                                }
                                d.description.truncate(cut);
                            }
                            if ms.defs.len() >= 4 * MAX_ITEMS {
                                return Err(xml_err(&doc.rd, "too many definitions"));
                            }
                            ms.defs.push(d);
                        } else if let Some(a) = elsa_advisory(d, &mut skipped) {
                            sink(a).map_err(FeedError::Sink)?;
                        }
                    }
                }
                b"rpminfo_test" | b"rpminfo_object" | b"rpminfo_state" => ms.open = None,
                b"name" | b"evr" => field = None,
                b"criteria" => {
                    // The OS and arch a level named stay with the leaves inside it only.
                    if let Some(d) = cur.as_mut() {
                        d.stack.pop();
                    }
                }
                b"title" | b"severity" | b"description" | b"patchable" | b"advisory_date" => field = None,
                _ => {}
            },
            _ => {}
        }
    }
    let Microsoft { defs, tests, objects, states, .. } = ms;
    for d in defs {
        if let Some(a) = microsoft_advisory(d, &tests, &objects, &states, &mut skipped) {
            sink(a).map_err(FeedError::Sink)?;
        }
    }
    Ok(skipped)
}

/// The OSV ecosystem of a Microsoft rpm version, from its dist tag: `.cm2` is CBL-Mariner 2.0,
/// `.azl3` Azure Linux 3.0 (the definitions name no release; the file name does, which the
/// reader is not given).
fn microsoft_ecosystem(evr: &str) -> Option<String> {
    let tag = evr.rsplit('.').next()?;
    if let Some(n) = tag.strip_prefix("cm").filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())) {
        return Some(format!("Mariner:{n}.0"));
    }
    if let Some(n) = tag.strip_prefix("azl").filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())) {
        return Some(format!("Azure Linux:{n}.0"));
    }
    None
}

/// One Microsoft definition (one CVE of one source package): `less than` is the fixed version,
/// `less than or equal` the last affected one (`patchable` false: no fix yet), `greater than` the
/// lower bound; `Not Applicable` definitions are left out, as Trivy and vunnel do.
fn microsoft_advisory(
    d: Definition,
    tests: &std::collections::HashMap<String, (String, String)>,
    objects: &std::collections::HashMap<String, String>,
    states: &std::collections::HashMap<String, (String, String)>,
    skipped: &mut Vec<String>,
) -> Option<Advisory> {
    let patchable = d.patchable.trim().to_ascii_lowercase();
    if patchable == "not applicable" {
        return None;
    }
    let mut name: Option<String> = None;
    let mut ecosystem: Option<String> = None;
    let mut events = Vec::new();
    let mut introduced = "0".to_string();
    for t in &d.test_refs {
        let Some((obj, ste)) = tests.get(t) else { continue };
        let (Some(n), Some((op, evr))) = (objects.get(obj), states.get(ste)) else { continue };
        let evr = evr.trim();
        let version = evr.strip_prefix("0:").unwrap_or(evr).to_string();
        if ecosystem.is_none() {
            ecosystem = microsoft_ecosystem(evr);
        }
        name.get_or_insert_with(|| n.trim().to_string());
        match op.as_str() {
            "less than" => events.push(Event { fixed: Some(version), ..Default::default() }),
            "less than or equal" => events.push(Event { last_affected: Some(version), ..Default::default() }),
            // OSV's lower bounds include their version; "greater than" excludes it (it is the
            // release before the affected ones): the one version itself is the only difference.
            "greater than" | "greater than or equal" => introduced = version,
            _ => {}
        }
    }
    let what = if d.id.is_empty() { "(definition without an id)".to_string() } else { d.id.clone() };
    let (Some(name), Some(ecosystem)) = (name, ecosystem) else {
        skipped.push(format!("{what}: no package test with a CBL-Mariner or Azure Linux version"));
        return None;
    };
    if events.is_empty() {
        skipped.push(format!("{what}: no upper bound"));
        return None;
    }
    events.insert(0, Event { introduced: Some(introduced), ..Default::default() });
    let severity = d.severity.trim().to_ascii_lowercase();
    let title = d.title.split_whitespace().collect::<Vec<_>>().join(" ");
    Some(Advisory {
        id: d.id,
        modified: d.date.clone(),
        published: d.date,
        aliases: d.cves,
        summary: Some(title).filter(|t| !t.is_empty()),
        details: Some(d.description.trim().to_string()).filter(|t| !t.is_empty()),
        affected: vec![Affected {
            package: Package { ecosystem, name, purl: None },
            ranges: vec![Range { kind: "ECOSYSTEM".into(), events }],
            database_specific: (!severity.is_empty()).then(|| serde_json::json!({ "severity": severity })),
            ..Default::default()
        }],
        references: d.refs.into_iter().map(|url| Reference { kind: "ADVISORY".into(), url }).collect(),
        database_specific: Some(serde_json::json!({ "source": "Microsoft OVAL", "patchable": patchable })),
        ..Default::default()
    })
}

fn elsa_advisory(d: Definition, skipped: &mut Vec<String>) -> Option<Advisory> {
    // `ELSA-2021-9151:  openssl security update (IMPORTANT)`
    let title = d.title.split_whitespace().collect::<Vec<_>>().join(" ");
    let (id, rest) = title.split_once(':').map(|(i, r)| (i.trim().to_string(), r.trim())).unwrap_or((title.clone(), ""));
    if !id.starts_with("ELSA-") {
        skipped.push(format!("{}: not an ELSA definition", if id.is_empty() { "(no title)" } else { &id }));
        return None;
    }
    let summary = match rest.rfind(" (") {
        Some(i) if rest.ends_with(')') => rest[..i].trim(),
        _ => rest,
    };
    // (os, name, flavor) → arch → highest fixed version.
    let mut by_pkg: BTreeMap<(String, String, Option<&'static str>), BTreeMap<String, String>> = BTreeMap::new();
    for (os, arch, name, fixed) in d.fixes {
        let major = os.split('.').next().unwrap_or("").to_string();
        if major.is_empty() || !major.bytes().all(|b| b.is_ascii_digit()) {
            continue; // a package criterion outside any "Oracle Linux N is installed"
        }
        let fixed = fixed.strip_prefix("0:").unwrap_or(&fixed).to_string();
        let slot = by_pkg.entry((major, name, oracle_flavor(&fixed))).or_default().entry(arch).or_insert_with(|| fixed.clone());
        if dredge_version::rpm::compare_evr(&fixed, slot) == std::cmp::Ordering::Greater {
            *slot = fixed;
        }
    }
    if by_pkg.is_empty() {
        skipped.push(format!("{id}: no package criteria under an Oracle Linux release"));
        return None;
    }
    let severity = d.severity.trim().to_ascii_lowercase();
    let mut affected = Vec::new();
    for ((major, name, flavor), arches) in by_pkg {
        // One entry per distinct fixed version, naming the arches it is for ("" = any arch).
        let mut by_fix: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (arch, fixed) in arches {
            by_fix.entry(fixed).or_default().push(arch);
        }
        for (fixed, mut arches) in by_fix {
            arches.retain(|a| !a.is_empty());
            let mut spec = serde_json::Map::new();
            if !arches.is_empty() {
                spec.insert("arches".into(), serde_json::json!(arches));
            }
            spec.insert("flavor".into(), serde_json::json!(flavor.unwrap_or("normal")));
            affected.push(Affected {
                package: Package { ecosystem: format!("Oracle Linux:{major}"), name: name.clone(), purl: None },
                ranges: vec![fixed_range("0", &fixed)],
                ecosystem_specific: Some(serde_json::json!({ "dredge": spec })),
                database_specific: (!severity.is_empty()).then(|| serde_json::json!({ "severity": severity })),
                ..Default::default()
            });
        }
    }
    let mut references = vec![Reference { kind: "ADVISORY".into(), url: format!("https://linux.oracle.com/errata/{id}.html") }];
    references.extend(d.refs.into_iter().filter(|u| !u.ends_with(&format!("{id}.html"))).map(|url| Reference { kind: "WEB".into(), url }));
    Some(Advisory {
        modified: d.issued.clone(),
        published: d.issued,
        related: d.cves,
        summary: Some(summary.to_string()).filter(|s| !s.is_empty()),
        details: Some(d.description.trim().to_string()).filter(|t| !t.is_empty()),
        affected,
        references,
        database_specific: (!severity.is_empty()).then(|| serde_json::json!({ "severity": severity, "source": "ELSA OVAL" })),
        id,
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(kind: Kind, xml: &str) -> Result<Vec<Advisory>, String> {
        let mut out = Vec::new();
        read(kind, xml.as_bytes(), &mut |a| {
            out.push(a);
            Ok(())
        })
        .map_err(|e| match e {
            FeedError::Xml(m) => m,
            FeedError::Sink(e) => e.to_string(),
        })?;
        Ok(out)
    }

    #[test]
    fn hostile_and_broken_documents() {
        let upd = |title: &str, id: &str| {
            format!(
                r#"<update type="security"><id>{id}</id><title>{title}</title><severity>important</severity><pkglist><collection><package name="kernel" epoch="0" version="5.10.90" release="100.1.amzn2"/></collection></pkglist></update>"#
            )
        };
        // Entities: the five of XML and character references are text; unknown ones stay as written.
        let a = records(
            Kind::UpdateInfo,
            &format!("<updates>{}</updates>", upd("AT&amp;T &lt;fix&gt; for &quot;x&quot; &#39;y&#x27; &xxe;", "ALAS2-2020-1")),
        )
        .unwrap();
        assert_eq!(a[0].summary.as_deref(), Some("AT&T <fix> for \"x\" 'y' &xxe;"));
        // An extras advisory fixes its stream only.
        let a = records(Kind::UpdateInfo, &format!("<updates>{}</updates>", upd("t", "ALAS2KERNEL-5.10-2022-001"))).unwrap();
        assert_eq!(a[0].affected[0].ranges[0].events[0].introduced.as_deref(), Some("5.10"));
        // Truncated, wrong root, no root: errors naming why.
        let doc = format!("<updates>{}{}</updates>", upd("a", "ALAS2-2020-1"), upd("b", "ALAS2-2020-2"));
        let cut = &doc[..doc.find("ALAS2-2020-2").unwrap()];
        assert!(records(Kind::UpdateInfo, cut).unwrap_err().contains("still open (truncated?)"));
        assert!(records(Kind::UpdateInfo, "<foo><updates/></foo>").unwrap_err().contains("root element is <foo>"));
        assert!(records(Kind::UpdateInfo, "<?xml version=\"1.0\"?>").unwrap_err().contains("no <updates>"));
        assert!(records(Kind::UpdateInfo, "<updates/>").unwrap().is_empty());
        // An endless text is cut off by the guard, not buffered.
        let big = format!("<updates><update><description>{}", "a".repeat((MAX_EVENT + (1 << 20)) as usize));
        assert!(records(Kind::UpdateInfo, &big).unwrap_err().contains("longer than 16 MiB"));
    }

    #[test]
    fn dates_ids_and_criteria() {
        assert_eq!(rfc3339("2018-01-11 21:05").as_deref(), Some("2018-01-11T21:05:00Z"));
        assert_eq!(rfc3339("2023-02-17 20:41:00").as_deref(), Some("2023-02-17T20:41:00Z"));
        assert_eq!(rfc3339("2021-09-09").as_deref(), Some("2021-09-09T00:00:00Z"));
        assert_eq!(rfc3339("yesterday"), None);
        assert_eq!(amazon_release("ALAS-2011-1"), Some("1"));
        assert_eq!(amazon_release("ALAS2-2018-939"), Some("2"));
        assert_eq!(amazon_release("ALAS2KERNEL-5.15-2022-001"), Some("2"));
        assert_eq!(amazon_release("ALAS2023-2023-001"), Some("2023"));
        assert_eq!(amazon_release("ALAS2023LIVEPATCH-2023-001"), Some("2023"));
        assert_eq!(amazon_release("RHSA-2011:1245"), None);
        assert_eq!(amazon_extras_stream("ALAS2KERNEL-5.10-2022-001").as_deref(), Some("5.10"));
        assert_eq!(amazon_extras_stream("ALAS2GOLANG1.19-2023-001").as_deref(), Some("1.19"));
        assert_eq!(amazon_extras_stream("ALAS2-2018-939"), None);
        assert_eq!(amazon_extras_stream("ALAS2023-2023-001"), None);
        assert_eq!(amazon_extras_stream("ALAS2DOCKER-2023-001"), None);
        assert_eq!(said("Oracle Linux 8 is installed"), Said::Os("8".into()));
        assert_eq!(said("Oracle Linux arch is aarch64"), Said::Arch("aarch64".into()));
        assert_eq!(
            said("openssl is earlier than 1:1.1.1g-15.ksplice1.el8_3"),
            Said::Earlier { name: "openssl".into(), evr: "1:1.1.1g-15.ksplice1.el8_3".into() }
        );
        assert_eq!(said("openssl is signed with the Oracle Linux 8 key"), Said::Other);
        assert_eq!(said("Module virt:kvm_utils is enabled"), Said::Other);
        assert_eq!(oracle_flavor("2:1.1.1g-15.ksplice1.el8_3"), Some("ksplice"));
        assert_eq!(oracle_flavor("10:3.6.16-4.0.1.el8_fips"), Some("fips"));
        assert_eq!(oracle_flavor("1.1.1k-7.el8_6"), None);
        assert_eq!(evr(Some("0"), "4.9.76", Some("38.79.amzn2")), "4.9.76-38.79.amzn2");
        assert_eq!(evr(Some("10"), "1.5.3", Some("141.amzn2.5.3")), "10:1.5.3-141.amzn2.5.3");
    }
}
