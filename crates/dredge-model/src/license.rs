//! Declared licenses as SPDX expressions. Package metadata writes licenses every way people do
//! (`GPLv2+`, `Apache 2.0`, `MIT/X11`, `BSD License`, `GPL-2+ and LGPL-2.1+`); [`normalise`]
//! turns them into a valid SPDX expression, each term an SPDX id where one is known and a
//! `LicenseRef-` of the original words where none is (those are listed as unknown, not guessed).
//! Pure and cheap: the SBOM writers, the license scanner and `sbom-scan` all call it.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::LazyLock;

/// A declared license, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalised {
    /// A valid SPDX expression (`MIT OR Apache-2.0`, `LicenseRef-Custom-Foo`).
    pub expression: String,
    /// The terms no SPDX id was found for, as written.
    pub unknown: Vec<String>,
}

/// How a license constrains those who ship it (the license policy's classes, after Google's
/// license classification), most constraining first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// Not to be shipped at all (AGPL, non-commercial licenses, SSPL).
    Forbidden,
    /// Strong copyleft: shipping obliges source release (GPL, LGPL).
    Restricted,
    /// Weak, file-level copyleft (MPL, EPL, CDDL).
    Reciprocal,
    /// Permissive with a notice to keep (MIT, BSD, Apache-2.0).
    Notice,
    /// Permissive without notable conditions.
    Permissive,
    /// Public-domain-like (CC0, Unlicense, 0BSD).
    Unencumbered,
    /// Not identified: someone has to read it.
    Unknown,
}

impl Category {
    pub const ALL: [Category; 7] = [
        Category::Forbidden,
        Category::Restricted,
        Category::Reciprocal,
        Category::Notice,
        Category::Permissive,
        Category::Unencumbered,
        Category::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Forbidden => "forbidden",
            Category::Restricted => "restricted",
            Category::Reciprocal => "reciprocal",
            Category::Notice => "notice",
            Category::Permissive => "permissive",
            Category::Unencumbered => "unencumbered",
            Category::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

/// Values that say "no license information".
fn is_none_value(s: &str) -> bool {
    ["unknown", "noassertion", "none", "-", "n/a", "na", "null", "other", "see license", "see license file", "license.txt", "license"]
        .contains(&s.to_ascii_lowercase().as_str())
}

/// Normalises a declared license; `None` when it says nothing (`UNKNOWN`, `NOASSERTION`, empty).
pub fn normalise(raw: &str) -> Option<Normalised> {
    let s = raw.trim().trim_matches(|c| c == '"' || c == '\'').trim();
    if s.is_empty() || is_none_value(s) {
        return None;
    }
    // A license name is short; more is a pasted license text or an attack on the tokenizer: one
    // reference of its first words, flagged.
    if s.len() > MAX_NAME {
        return Some(Normalised { expression: license_ref(s), unknown: vec![s.chars().take(200).collect()] });
    }
    // Valid as it stands (deprecated ids are not: `GPL-2.0+` becomes `GPL-2.0-or-later` below).
    // A `DocumentRef-` points into another document this one cannot carry: not kept as is.
    if !s.contains("DocumentRef-") && spdx::Expression::parse(s).is_ok() {
        return Some(Normalised { expression: s.to_string(), unknown: Vec::new() });
    }
    if let Some(id) = map_term(s) {
        return Some(Normalised { expression: id, unknown: Vec::new() });
    }
    // Debian's comma: `A, and B or C` is `A AND (B OR C)`; the comma binds loosest.
    if s.contains(',') && !s.contains('(') {
        let parts: Vec<&str> = s.split(',').map(str::trim).filter(|p| !p.is_empty()).collect();
        if parts.len() > 1 {
            let mut out = String::new();
            let mut unknown = Vec::new();
            for (i, part) in parts.iter().enumerate() {
                let lower = part.to_ascii_lowercase();
                let (op, rest) = if let Some(r) = lower.strip_prefix("and ") {
                    ("AND", &part[part.len() - r.len()..])
                } else if let Some(r) = lower.strip_prefix("or ") {
                    ("OR", &part[part.len() - r.len()..])
                } else {
                    ("AND", *part)
                };
                let Some(n) = normalise_plain(rest) else { continue };
                unknown.extend(n.unknown);
                if i > 0 && !out.is_empty() {
                    out.push_str(&format!(" {op} "));
                }
                if n.expression.contains(' ') {
                    out.push_str(&format!("({})", n.expression));
                } else {
                    out.push_str(&n.expression);
                }
            }
            if !out.is_empty() && valid(&out) {
                return Some(Normalised { expression: out, unknown });
            }
        }
    }
    normalise_plain(s)
}

/// Longest license string taken apart (longer ones are texts, not names).
const MAX_NAME: usize = 4096;

fn normalise_plain(s: &str) -> Option<Normalised> {
    if s.trim().is_empty() {
        return None;
    }
    let mut unknown = Vec::new();
    let mut out: Vec<String> = Vec::new();
    // Every license term met, for the fallback.
    let mut terms: Vec<String> = Vec::new();
    for tok in tokens(s) {
        match tok {
            Tok::Op(op) => {
                // Two operators in a row, or one at the start: drop it (`MIT, and BSD`).
                if out.last().is_some_and(|l| !is_op(l) && l != "(") {
                    out.push(op.to_string());
                }
            }
            Tok::Open => {
                if out.last().is_some_and(|l| !is_op(l) && l != "(") {
                    out.push("AND".into());
                }
                out.push("(".into());
            }
            Tok::Close => {
                if out.last().is_some_and(|l| is_op(l)) {
                    out.pop();
                }
                out.push(")".into());
            }
            Tok::Term(t) if out.last().is_some_and(|l| l == "WITH") => {
                let already = t.starts_with("AdditionRef-")
                    && license_ref(&t["AdditionRef-".len()..])["LicenseRef-".len()..] == t["AdditionRef-".len()..];
                let exception =
                    EXCEPTION_IDS.get(&t.to_ascii_lowercase()).map(|id| id.to_string()).or_else(|| already.then(|| t.to_string()));
                match exception {
                    Some(e) => out.push(e),
                    // `MIT WITH AGPL-3.0-only`: a license is no exception; both apply.
                    None if map_term(t).is_some() => {
                        out.pop();
                        out.push("AND".into());
                        let id = map_term(t).unwrap_or_default();
                        terms.push(id.clone());
                        out.push(id);
                    }
                    None => {
                        unknown.push(t.to_string());
                        out.push(license_ref(t).replacen("LicenseRef-", "AdditionRef-", 1));
                    }
                }
            }
            Tok::Term(t) => {
                // apk's `MPL-2.0 GPL-2.0-or-later`: ids side by side, all of which apply.
                let words: Option<Vec<String>> =
                    if t.contains(' ') && map_term(t).is_none() { t.split_whitespace().map(map_term).collect() } else { None };
                let id = match words {
                    Some(ids) if ids.len() > 1 => ids.join(" AND "),
                    _ => map_term(t).unwrap_or_else(|| {
                        unknown.push(t.to_string());
                        license_ref(t)
                    }),
                };
                terms.push(id.clone());
                // Two terms with no operator between them (apk's `MIT BSD`): both apply.
                if out.last().is_some_and(|l| !is_op(l) && l != "(") {
                    out.push("AND".into());
                }
                out.push(id);
            }
        }
    }
    while out.last().is_some_and(|l| is_op(l)) {
        out.pop();
    }
    let expression = out.join(" ").replace("( ", "(").replace(" )", ")");
    if !expression.is_empty() && valid(&expression) {
        return Some(Normalised { expression, unknown });
    }
    // Unbalanced parentheses or operator soup: every license named applies (a forbidden one
    // must not hide behind a stray parenthesis), with the whole text flagged.
    terms.dedup();
    let all = terms.join(" AND ");
    if !terms.is_empty() && valid(&all) {
        unknown.push(s.to_string());
        return Some(Normalised { expression: all, unknown });
    }
    Some(Normalised { expression: license_ref(s), unknown: vec![s.to_string()] })
}

/// A valid SPDX expression; deprecated ids are accepted (`BSD-2-Clause-NetBSD` is one Debian
/// still uses, and SPDX 2.3 documents may carry them).
pub fn valid(s: &str) -> bool {
    spdx::Expression::parse_mode(s, spdx::ParseMode { allow_deprecated: true, ..spdx::ParseMode::STRICT }).is_ok()
}

fn is_op(s: &str) -> bool {
    matches!(s, "AND" | "OR" | "WITH")
}

/// A `LicenseRef-` id made of the words of an unknown license (SPDX allows `[A-Za-z0-9.-]`).
pub fn license_ref(s: &str) -> String {
    let mut body = String::new();
    for c in s.chars().take(80) {
        if c.is_ascii_alphanumeric() || c == '.' {
            body.push(c);
        } else if !body.is_empty() && !body.ends_with('-') {
            body.push('-');
        }
    }
    let mut body = body.trim_matches(['-', '.']).to_string();
    if s.chars().count() > 80 {
        // Two long texts with the same start are two licenses: the rest tells them apart.
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        s.hash(&mut h);
        body = format!("{body}-{:08x}", h.finish() as u32);
    }
    format!("LicenseRef-{}", if body.is_empty() { "unknown" } else { &body })
}

enum Tok<'a> {
    Term(&'a str),
    Op(&'static str),
    Open,
    Close,
}

/// Splits on operators: words `and`/`or`/`with` (any case), `&`, `|`, `,` and `;` (all apply),
/// and `/` between two names (`GPLv2/GPLv3`: a choice; but not inside a version like `1/2`).
fn tokens<'a>(s: &'a str) -> Vec<Tok<'a>> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    let flush = |out: &mut Vec<Tok<'a>>, from: usize, to: usize| {
        let t = s[from..to].trim().trim_end_matches('.').trim();
        if !t.is_empty() {
            out.push(Tok::Term(t));
        }
    };
    while i < b.len() {
        let c = b[i];
        let word_op = |w: &str| {
            let end = i + w.len();
            (i == 0 || b[i - 1] == b' ')
                && s.get(i..end).is_some_and(|x| x.eq_ignore_ascii_case(w))
                && (end == b.len() || b[end] == b' ' || b[end] == b'(')
        };
        let (op, len): (Option<Tok<'a>>, usize) = match c {
            b'(' => (Some(Tok::Open), 1),
            b')' => (Some(Tok::Close), 1),
            b'&' | b',' | b';' => (Some(Tok::Op("AND")), 1),
            b'|' => (Some(Tok::Op("OR")), 1),
            b'/' if !(i > 0 && b[i - 1].is_ascii_digit() && b.get(i + 1).is_some_and(u8::is_ascii_digit)) => (Some(Tok::Op("OR")), 1),
            // Debian's `X and/or Y`: either applies.
            _ if word_op("and/or") => (Some(Tok::Op("OR")), 6),
            _ if word_op("and") => (Some(Tok::Op("AND")), 3),
            _ if word_op("or") => {
                // `GPL-2.0 or later`, `or any later version`: part of the term, not a choice.
                let mut end = (i + 16).min(s.len());
                while !s.is_char_boundary(end) {
                    end -= 1;
                }
                let rest = s[i + 2..end].trim_start().to_ascii_lowercase();
                if rest.starts_with("later") || rest.starts_with("any later") || rest.starts_with("newer") {
                    (None, 2)
                } else {
                    (Some(Tok::Op("OR")), 2)
                }
            }
            _ if word_op("with") => (Some(Tok::Op("WITH")), 4),
            _ => (None, 1),
        };
        if let Some(op) = op {
            flush(&mut out, start, i);
            out.push(op);
            start = i + len;
        }
        i += len;
    }
    flush(&mut out, start, b.len());
    out
}

/// Every SPDX license id by its lower-case spelling.
static IDS: LazyLock<HashMap<String, &'static str>> =
    LazyLock::new(|| spdx::identifiers::LICENSES.iter().map(|l| (l.name.to_ascii_lowercase(), l.name)).collect());

/// Every SPDX exception id by its lower-case spelling (only after `WITH`).
static EXCEPTION_IDS: LazyLock<HashMap<String, &'static str>> =
    LazyLock::new(|| spdx::identifiers::EXCEPTIONS.iter().map(|e| (e.name.to_ascii_lowercase(), e.name)).collect());

/// The spellings seen in package metadata that no rule below derives: rpm (Fedora's old short
/// names), Debian copyright files (DEP-5 short names), Python classifiers and free text.
const SPELLINGS: &[(&str, &str)] = &[
    ("expat", "MIT"),
    ("mit license", "MIT"),
    ("the mit license", "MIT"),
    ("mit/x11", "MIT"),
    ("x11", "X11"),
    ("mit-style", "MIT"),
    ("isc license", "ISC"),
    ("isc license (iscl)", "ISC"),
    ("iscl", "ISC"),
    ("bsd", "BSD-3-Clause"),
    ("bsd license", "BSD-3-Clause"),
    ("new bsd", "BSD-3-Clause"),
    ("new bsd license", "BSD-3-Clause"),
    ("modified bsd license", "BSD-3-Clause"),
    ("3-clause bsd", "BSD-3-Clause"),
    ("bsd 3-clause", "BSD-3-Clause"),
    ("bsd-3", "BSD-3-Clause"),
    ("bsd 3 clause", "BSD-3-Clause"),
    ("bsd-3-clause license", "BSD-3-Clause"),
    ("simplified bsd", "BSD-2-Clause"),
    ("simplified bsd license", "BSD-2-Clause"),
    ("freebsd", "BSD-2-Clause"),
    ("2-clause bsd", "BSD-2-Clause"),
    ("bsd 2-clause", "BSD-2-Clause"),
    ("bsd-2", "BSD-2-Clause"),
    ("bsd with advertising", "BSD-4-Clause"),
    ("bsd-4-clause-uc", "BSD-4-Clause-UC"),
    ("apache", "Apache-2.0"),
    ("apache 2", "Apache-2.0"),
    ("apache 2.0", "Apache-2.0"),
    ("apache-2", "Apache-2.0"),
    ("apache2", "Apache-2.0"),
    ("apache2.0", "Apache-2.0"),
    ("apache license", "Apache-2.0"),
    ("apache license 2.0", "Apache-2.0"),
    ("apache license, version 2.0", "Apache-2.0"),
    ("apache license version 2.0", "Apache-2.0"),
    ("apache software license", "Apache-2.0"),
    ("apache software license 2.0", "Apache-2.0"),
    ("apache software license, version 2.0", "Apache-2.0"),
    ("the apache software license, version 2.0", "Apache-2.0"),
    ("the apache license, version 2.0", "Apache-2.0"),
    ("apache public license 2.0", "Apache-2.0"),
    ("asl 2.0", "Apache-2.0"),
    ("asl2.0", "Apache-2.0"),
    ("asl 1.1", "Apache-1.1"),
    ("apache license 1.1", "Apache-1.1"),
    ("mpl", "MPL-2.0"),
    ("mplv2.0", "MPL-2.0"),
    ("mplv1.1", "MPL-1.1"),
    ("mpl 2.0", "MPL-2.0"),
    ("mpl-2", "MPL-2.0"),
    ("mozilla public license 2.0", "MPL-2.0"),
    ("mozilla public license 2.0 (mpl 2.0)", "MPL-2.0"),
    ("mozilla public license 1.1 (mpl 1.1)", "MPL-1.1"),
    ("epl", "EPL-1.0"),
    ("eclipse public license", "EPL-1.0"),
    ("eclipse public license 1.0", "EPL-1.0"),
    ("eclipse public license - v 1.0", "EPL-1.0"),
    ("eclipse public license 2.0", "EPL-2.0"),
    ("eclipse public license - v 2.0", "EPL-2.0"),
    ("eclipse distribution license - v 1.0", "BSD-3-Clause"),
    ("cddl", "CDDL-1.0"),
    ("cddl 1.1", "CDDL-1.1"),
    ("psf", "PSF-2.0"),
    ("psfl", "PSF-2.0"),
    ("python", "Python-2.0"),
    ("python software foundation license", "PSF-2.0"),
    ("python software foundation", "PSF-2.0"),
    ("zlib", "Zlib"),
    ("zlib/libpng", "Zlib"),
    ("zlib license", "Zlib"),
    ("boost", "BSL-1.0"),
    ("boost software license", "BSL-1.0"),
    ("boost software license 1.0 (bsl-1.0)", "BSL-1.0"),
    ("openssl", "OpenSSL"),
    ("openldap", "OLDAP-2.8"),
    ("postgresql", "PostgreSQL"),
    ("php", "PHP-3.01"),
    ("ruby", "Ruby"),
    ("artistic", "Artistic-1.0-Perl"),
    ("artistic 2.0", "Artistic-2.0"),
    ("artistic-2", "Artistic-2.0"),
    ("artistic license 2.0", "Artistic-2.0"),
    ("perl", "Artistic-1.0-Perl OR GPL-1.0-or-later"),
    ("cc0", "CC0-1.0"),
    ("cc0 1.0 universal", "CC0-1.0"),
    ("cc0 1.0 universal (cc0 1.0) public domain dedication", "CC0-1.0"),
    ("cc-by", "CC-BY-4.0"),
    ("cc-by-sa", "CC-BY-SA-4.0"),
    ("unlicense", "Unlicense"),
    ("the unlicense", "Unlicense"),
    ("the unlicense (unlicense)", "Unlicense"),
    ("wtfpl", "WTFPL"),
    ("public domain", "LicenseRef-Public-Domain"),
    ("public-domain", "LicenseRef-Public-Domain"),
    ("publicdomain", "LicenseRef-Public-Domain"),
    ("public domain dedication", "LicenseRef-Public-Domain"),
    ("academic free license (afl)", "AFL-3.0"),
    ("afl", "AFL-3.0"),
    ("ms-pl", "MS-PL"),
    ("microsoft public license", "MS-PL"),
    ("ncsa", "NCSA"),
    ("university of illinois/ncsa open source license", "NCSA"),
    ("sleepycat", "Sleepycat"),
    ("vim", "Vim"),
    ("ijg", "IJG"),
    ("libpng", "Libpng"),
    ("curl", "curl"),
    ("ofl", "OFL-1.1"),
    ("sil open font license 1.1 (ofl-1.1)", "OFL-1.1"),
    ("sspl", "SSPL-1.0"),
    ("server side public license", "SSPL-1.0"),
    ("elastic license 2.0", "Elastic-2.0"),
    ("busl-1.1", "BUSL-1.1"),
    ("business source license 1.1", "BUSL-1.1"),
    ("gpl+", "GPL-1.0-or-later"),
    ("lgpl+", "LGPL-2.0-or-later"),
    ("gfdl", "GFDL-1.1-or-later"),
    ("bsd 3-clause new or revised", "BSD-3-Clause"),
    ("bsd 2-clause simplified", "BSD-2-Clause"),
    ("apache license version 2.0, january 2004", "Apache-2.0"),
    ("zope public license", "ZPL-2.1"),
    ("other/proprietary", "LicenseRef-Proprietary"),
    ("proprietary", "LicenseRef-Proprietary"),
    ("commons clause", "LicenseRef-Commons-Clause"),
    ("commons-clause", "LicenseRef-Commons-Clause"),
    ("gfdl-niv-1.3", "GFDL-1.3-no-invariants-only"),
    ("gfdl-niv-1.3+", "GFDL-1.3-no-invariants-or-later"),
    ("gfdl-niv-1.2", "GFDL-1.2-no-invariants-only"),
    ("gfdl-niv-1.2+", "GFDL-1.2-no-invariants-or-later"),
    ("gfdl-1.3+-no-invariant", "GFDL-1.3-no-invariants-or-later"),
    ("gfdl-1.3-no-invariant", "GFDL-1.3-no-invariants-only"),
];

static SPELLING: LazyLock<HashMap<&'static str, &'static str>> = LazyLock::new(|| SPELLINGS.iter().copied().collect());

/// The SPDX id of one license name, or `None`.
fn map_term(t: &str) -> Option<String> {
    let t = t.trim().trim_end_matches('.').trim();
    // Already a reference (an expression normalised before): kept.
    if t.starts_with("LicenseRef-") && license_ref(&t["LicenseRef-".len()..]) == t {
        return Some(t.to_string());
    }
    // Python's trove classifiers: `License :: OSI Approved :: MIT License` (only those).
    let t = if t.to_ascii_lowercase().starts_with("license ::") { t.rsplit("::").next().unwrap_or(t).trim() } else { t };
    if t.contains("::") {
        return None;
    }
    let lower = t.to_ascii_lowercase();
    let plus = lower.ends_with('+');
    let base = lower.trim_end_matches('+');
    if let Some(id) = IDS.get(base) {
        return Some(current_id(id, plus));
    }
    if let Some(id) = SPELLING.get(lower.as_str()).or_else(|| SPELLING.get(collapse(&lower).as_str())) {
        return Some((*id).to_string());
    }
    // `Eclipse Public License 2.0 (EPL-2.0)`: a trailing SPDX id in parentheses names it.
    if let (Some(i), true) = (lower.rfind('('), lower.ends_with(')')) {
        let inner = lower[i + 1..lower.len() - 1].trim();
        if let Some(id) = IDS.get(inner).or_else(|| IDS.get(inner.replace(' ', "-").as_str())) {
            return Some(current_id(id, false));
        }
    }
    // `MIT License`, `Apache-2.0 License`, `The MIT License (MIT)`, `CC BY 4.0`, `MPL 1.1`.
    let bare = lower.trim_start_matches("the ").replace(['"', '\''], "");
    let bare = bare.trim_end_matches(" (mit)").trim();
    let bare = bare.trim_end_matches(" license").trim_end_matches(" licence").trim();
    if bare != lower {
        if let Some(id) = IDS.get(bare).or_else(|| SPELLING.get(bare)) {
            return Some(if IDS.contains_key(bare) { current_id(id, false) } else { (*id).to_string() });
        }
    }
    let dashed = bare.replace(' ', "-");
    if let Some(id) = IDS.get(dashed.as_str()) {
        return Some(current_id(id, false));
    }
    gnu(&lower)
}

fn collapse(s: &str) -> String {
    s.split(|c: char| c.is_whitespace() || c == '_').filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

/// A current id for an SPDX id that may be deprecated (`GPL-2.0+` → `GPL-2.0-or-later`,
/// `GPL-2.0` → `GPL-2.0-only`), `plus` meaning a trailing `+` was written.
fn current_id(id: &str, plus: bool) -> String {
    let gnu_family = ["GPL-", "LGPL-", "AGPL-", "GFDL-"].iter().any(|p| id.starts_with(p));
    if gnu_family && !id.ends_with("-only") && !id.ends_with("-or-later") {
        if let Some(l) = spdx::gnu_license_id(id, plus) {
            return l.name.to_string();
        }
    }
    if gnu_family && plus {
        if let Some(b) = id.strip_suffix("-only") {
            return format!("{b}-or-later");
        }
    }
    if plus && !gnu_family { format!("{id}+") } else { id.to_string() }
}

/// GNU licenses however they are spelled: `GPLv2+`, `GPL-2+` (Debian), `LGPLv2.1`, `GNU GPL v3`,
/// `GNU General Public License v2 or later (GPLv2+)`, `GNU Lesser General Public License v3`,
/// `AGPL-3`, `GNU Affero General Public License v3 or later`.
fn gnu(lower: &str) -> Option<String> {
    // A trailing `(GPLv2+)` repeats the name: the words before it decide (`GNU Affero General
    // Public License v3 (GPLv3)` is the AGPL, whatever the parentheses say).
    let s = match (lower.rfind('('), lower.ends_with(')')) {
        (Some(i), true) if i > 0 => lower[..i].trim(),
        _ => lower,
    };
    let s = s.replace("version", "v").replace("licence", "license");
    let s = s.trim_start_matches("the ").trim_start_matches("gnu ").trim();
    let (family, rest) = [
        ("affero general public license", "AGPL"),
        ("agpl", "AGPL"),
        ("lesser general public license", "LGPL"),
        ("library general public license", "LGPL"),
        ("lgpl", "LGPL"),
        ("general public license", "GPL"),
        ("gpl", "GPL"),
        ("free documentation license", "GFDL"),
        ("fdl", "GFDL"),
        ("gfdl", "GFDL"),
    ]
    .iter()
    .find_map(|(p, f)| s.strip_prefix(p).map(|r| (*f, r)))?;
    let rest = rest.trim_start_matches([' ', '-', ',']).trim_start_matches('v').trim_start_matches(['-', ' ']);
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    let tail = rest[digits.len()..].trim();
    let later =
        ["+", "or later", "-or-later", "or-later", "or any later", "or any later version", "or newer", "+ or later"].contains(&tail);
    if !(tail.is_empty() || later || tail == "only" || tail == "-only") {
        return None;
    }
    // No version: the GNU licenses let the licensee pick any version ever published.
    let (version, later) = match (family, digits.trim_end_matches('.')) {
        ("GPL", "") => ("1.0", true),
        ("LGPL", "") => ("2.0", true),
        ("AGPL", "") => ("3.0", true),
        ("GFDL", "") => ("1.1", true),
        (_, v) => (v, later),
    };
    let version = match (family, version) {
        (_, "1") => "1.0",
        (_, "2") => "2.0",
        (_, "3") => "3.0",
        (_, v) => v,
    };
    let id = spdx::gnu_license_id(&format!("{family}-{version}"), later)?;
    Some(id.name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> String {
        normalise(s).map(|n| n.expression).unwrap_or_default()
    }

    #[test]
    fn valid_expressions_are_kept() {
        assert_eq!(n("MIT OR Apache-2.0"), "MIT OR Apache-2.0");
        assert_eq!(n("GPL-2.0-or-later WITH Classpath-exception-2.0"), "GPL-2.0-or-later WITH Classpath-exception-2.0");
        assert_eq!(n("(MIT AND BSD-3-Clause) OR Apache-2.0"), "(MIT AND BSD-3-Clause) OR Apache-2.0");
        assert_eq!(n("LicenseRef-Proprietary"), "LicenseRef-Proprietary");
    }

    #[test]
    fn common_spellings_are_mapped() {
        for (raw, want) in [
            ("GPLv2+", "GPL-2.0-or-later"),
            ("GPLv2", "GPL-2.0-only"),
            ("GPLv3+", "GPL-3.0-or-later"),
            ("GPL-2+", "GPL-2.0-or-later"),
            ("GPL-2", "GPL-2.0-only"),
            ("LGPL-2.1+", "LGPL-2.1-or-later"),
            ("LGPLv2.1", "LGPL-2.1-only"),
            ("LGPLv2+", "LGPL-2.0-or-later"),
            ("GPL-2.0", "GPL-2.0-only"),
            ("GPL-2.0+", "GPL-2.0-or-later"),
            ("GNU General Public License v2 or later (GPLv2+)", "GPL-2.0-or-later"),
            ("License :: OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)", "LGPL-3.0-only"),
            ("GNU Affero General Public License v3 or later (AGPLv3+)", "AGPL-3.0-or-later"),
            ("AGPL-3", "AGPL-3.0-only"),
            ("Apache 2.0", "Apache-2.0"),
            ("Apache License, Version 2.0", "Apache-2.0"),
            ("Apache Software License", "Apache-2.0"),
            ("ASL 2.0", "Apache-2.0"),
            ("BSD", "BSD-3-Clause"),
            ("BSD License", "BSD-3-Clause"),
            ("Expat", "MIT"),
            ("MIT License", "MIT"),
            ("mit", "MIT"),
            ("bsd-3-clause", "BSD-3-Clause"),
            ("License :: OSI Approved :: MIT License", "MIT"),
            ("Public Domain", "LicenseRef-Public-Domain"),
            ("MPLv2.0", "MPL-2.0"),
            ("Apache-2.0+", "Apache-2.0+"),
        ] {
            assert_eq!(n(raw), want, "{raw}");
            assert!(normalise(raw).is_some_and(|x| x.unknown.is_empty()), "{raw}");
        }
    }

    #[test]
    fn compound_spellings_become_expressions() {
        assert_eq!(n("GPLv2+ and LGPLv2+"), "GPL-2.0-or-later AND LGPL-2.0-or-later");
        assert_eq!(n("GPL+ or Artistic"), "GPL-1.0-or-later OR Artistic-1.0-Perl");
        assert_eq!(n("MIT/X11"), "MIT");
        assert_eq!(n("GPLv2/GPLv3"), "GPL-2.0-only OR GPL-3.0-only");
        assert_eq!(n("MPL-2.0 GPL-2.0-or-later"), "MPL-2.0 AND GPL-2.0-or-later");
        assert_eq!(n("BSD-3-Clause, MIT"), "BSD-3-Clause AND MIT");
        assert_eq!(n("BSD-3-clause and/or GPL-3+"), "BSD-3-Clause OR GPL-3.0-or-later");
        assert_eq!(n("GFDL-NIV-1.3+"), "GFDL-1.3-no-invariants-or-later");
        // Normalising twice changes nothing (a deprecated id keeps the strict parser out).
        let once = n("BSD-2-clause-NetBSD and Custom Thing and GPLv2 with Foo exception");
        assert_eq!(n(&once), once);
        assert_eq!(n("GPL-2.0 or later"), "GPL-2.0-or-later");
        assert_eq!(n("(GPLv2+ or MIT) and BSD"), "(GPL-2.0-or-later OR MIT) AND BSD-3-Clause");
        assert_eq!(n("GPLv2 with exceptions"), "GPL-2.0-only WITH AdditionRef-exceptions");
        assert_eq!(
            n("BSD-3-clause and BSD-2-clause-NetBSD and public-domain-md4"),
            "BSD-3-Clause AND BSD-2-Clause-NetBSD AND LicenseRef-public-domain-md4"
        );
    }

    #[test]
    fn tricks_do_not_hide_a_license() {
        // A license after WITH is no exception: both apply.
        assert_eq!(n("MIT WITH AGPL-3.0-only"), "MIT AND AGPL-3.0-only");
        assert_eq!(n("Apache-2.0 with Commons Clause"), "Apache-2.0 AND LicenseRef-Commons-Clause");
        // Only trove classifiers lose their prefix.
        assert_ne!(n("AGPL-3.0-only::MIT"), "MIT");
        // The words before a parenthesis decide.
        assert_eq!(n("GNU Affero General Public License v3 (GPLv3)"), "AGPL-3.0-only");
        // A stray parenthesis: every license named still applies.
        assert_eq!(n("AGPL-3.0-only)"), "AGPL-3.0-only");
        assert_eq!(n("((AGPL-3.0-only OR MIT"), "AGPL-3.0-only AND MIT");
        // An exception id is not a license.
        assert!(n("Classpath-exception-2.0").starts_with("LicenseRef-"));
        // A DocumentRef cannot be carried into another document.
        assert!(n("DocumentRef-a:LicenseRef-b").starts_with("LicenseRef-"));
        // Debian's comma binds loosest.
        assert_eq!(n("AGPL-3, and MIT or BSD-3-clause"), "AGPL-3.0-only AND (MIT OR BSD-3-Clause)");
        assert_eq!(n("REGCOMP, and GPL-1+ or Artistic"), "LicenseRef-REGCOMP AND (GPL-1.0-or-later OR Artistic-1.0-Perl)");
        // No version: any version (the GNU licenses say so).
        assert_eq!(n("GPL"), "GPL-1.0-or-later");
        assert_eq!(n("LGPL"), "LGPL-2.0-or-later");
    }

    #[test]
    fn spellings_with_ids_inside() {
        for (raw, want) in [
            ("License :: OSI Approved :: Eclipse Public License 2.0 (EPL-2.0)", "EPL-2.0"),
            ("License :: OSI Approved :: MIT No Attribution License (MIT-0)", "MIT-0"),
            ("License :: OSI Approved :: European Union Public Licence 1.2 (EUPL 1.2)", "EUPL-1.2"),
            ("BSD 3-Clause License", "BSD-3-Clause"),
            ("Apache-2.0 License", "Apache-2.0"),
            ("MIT Licence", "MIT"),
            ("The MIT License (MIT)", "MIT"),
            ("CC BY 4.0", "CC-BY-4.0"),
            ("MPL 1.1", "MPL-1.1"),
            ("zlib/libpng License", "Zlib"),
            ("BSD 3-Clause \"New\" or \"Revised\" License", "BSD-3-Clause"),
            ("Apache License Version 2.0, January 2004", "Apache-2.0"),
            ("CC BY-NC 4.0", "CC-BY-NC-4.0"),
        ] {
            assert_eq!(n(raw), want, "{raw}");
        }
    }

    #[test]
    fn long_input_is_linear_and_refs_do_not_collide() {
        let t = std::time::Instant::now();
        let long = "MIT or ".repeat(150_000);
        let x = normalise(&long).unwrap();
        assert!(valid(&x.expression));
        let mid = "MIT or ".repeat(580);
        assert!(valid(&normalise(&mid).unwrap().expression));
        assert!(t.elapsed() < std::time::Duration::from_secs(5), "{:?}", t.elapsed());
        let a = format!("{} alpha", "Acme Corporation Proprietary Software License Agreement Version ".repeat(2));
        let b = format!("{} beta", "Acme Corporation Proprietary Software License Agreement Version ".repeat(2));
        assert_ne!(license_ref(&a), license_ref(&b));
    }

    #[test]
    fn unknown_text_is_kept_and_flagged() {
        let x = normalise("Custom Corp License v9").expect("some");
        assert_eq!(x.expression, "LicenseRef-Custom-Corp-License-v9");
        assert_eq!(x.unknown, vec!["Custom Corp License v9".to_string()]);
        let x = normalise("MIT and Foo Public License").expect("some");
        assert_eq!(x.expression, "MIT AND LicenseRef-Foo-Public-License");
        assert_eq!(x.unknown, vec!["Foo Public License".to_string()]);
        for s in ["", "UNKNOWN", "NOASSERTION", "  ", "none"] {
            assert_eq!(normalise(s), None, "{s:?}");
        }
        // Unbalanced or operator soup: one LicenseRef of the whole, never a panic.
        for s in ["((MIT", "MIT) OR (", "AND OR WITH", "/,;&|", "ü€ and ☃", &"x".repeat(100_000)] {
            let x = normalise(s);
            if let Some(x) = x {
                assert!(valid(&x.expression), "{s:?} → {}", x.expression);
            }
        }
    }
}
