//! License texts identified by their words: the `spdx` crate's detection (askalono's
//! normalised bigram matching against the texts of the SPDX license list, inlined in the crate
//! as a 2 MB compressed store). Loading the store takes ~0.1 s and one match ~10–30 ms, so the
//! store is loaded on the first license file only, and a text whose words (copyright lines
//! aside) were already matched in this process is not matched again: the thousand MIT files of a
//! `node_modules` tree cost one match.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Mutex, OnceLock};

/// Texts beyond this are matched on their first part only (a license is at the start of the
/// file; concatenated third-party notices run to megabytes).
pub const MAX_TEXT: usize = 64 << 10;

/// Matches under this confidence are "unidentified" (askalono's default is 0.8; a lower bar
/// names licenses a text only resembles).
pub const THRESHOLD: f32 = 0.85;

#[derive(Debug, Clone, PartialEq)]
pub struct Identified {
    /// Current SPDX ids (`GPL-2.0-or-later`, `Apache-2.0 AND MIT`): the best match, whatever its
    /// confidence.
    pub license: String,
    /// 0..=100.
    pub confidence: u8,
}

/// Which licenses of the SPDX list the shipped store holds: those on the OSI or FSF lists and those
/// the classification table names — 295 of the ~700 with a text. A text of a license outside it
/// scores low against all of them and is reported unidentified (class `unknown`), which is the
/// class an unlisted license has anyway; the store loads in ~70 ms instead of ~110 and a match
/// takes half the time.
pub fn kept(name: &str) -> bool {
    let Some(id) = spdx::license_id(name) else { return false };
    !id.is_deprecated()
        && (id.is_osi_approved()
            || id.is_fsf_free_libre()
            || crate::classify::Classifier::default().id(name) != dredge_model::license::Category::Unknown)
}

/// The pruned store (`store.bin.zstd`, generated from the `spdx` crate's by a test).
const STORE_CACHE: &[u8] = include_bytes!("store.bin.zstd");

fn store() -> Option<&'static spdx::detection::Store> {
    static STORE: OnceLock<Option<spdx::detection::Store>> = OnceLock::new();
    STORE.get_or_init(|| spdx::detection::Store::from_cache(STORE_CACHE).ok()).as_ref()
}

/// A key that is equal for two copies of one license text that differ in copyright lines,
/// whitespace, case or punctuation.
fn key(text: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for line in text.lines() {
        let l = line.trim().to_ascii_lowercase();
        if l.starts_with("copyright") || l.starts_with("(c)") || l.starts_with("©") || l.contains("copyright (c)") {
            continue;
        }
        for w in l.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
            w.hash(&mut h);
        }
    }
    h.finish()
}

/// The text of a license file: UTF-16 with a byte-order mark decoded, NULs and leading blank
/// lines dropped, cut to [`MAX_TEXT`]; `None` when it is binary (NULs in most of its start).
fn text_of(data: &[u8]) -> Option<String> {
    let text = if let Some(rest) = data.strip_prefix(&[0xff, 0xfe]) {
        String::from_utf16_lossy(&rest.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).take(MAX_TEXT).collect::<Vec<_>>())
    } else if let Some(rest) = data.strip_prefix(&[0xfe, 0xff]) {
        String::from_utf16_lossy(&rest.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])).take(MAX_TEXT).collect::<Vec<_>>())
    } else {
        let head = &data[..data.len().min(1024)];
        if head.iter().filter(|b| **b == 0).count() * 8 > head.len() {
            return None;
        }
        String::from_utf8_lossy(&data[..data.len().min(4 * MAX_TEXT)]).replace('\0', "")
    };
    let text = text.trim_start();
    let mut end = text.len().min(MAX_TEXT);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let text = &text[..end];
    (!text.trim().is_empty()).then(|| text.to_string())
}

/// Identifies a license text; `None` for binary content. `license` is the best match whatever
/// its score (the caller applies its confidence); a file holding several licenses (Apache-2.0
/// followed by the Commons Clause) gives all of them joined with `AND`, the confidence being the
/// lowest.
pub fn identify(data: &[u8]) -> Option<Identified> {
    let text = text_of(data)?;
    static SEEN: OnceLock<Mutex<HashMap<u64, Identified>>> = OnceLock::new();
    let seen = SEEN.get_or_init(Default::default);
    let k = key(&text);
    if let Some(hit) = seen.lock().ok().and_then(|m| m.get(&k).cloned()) {
        return Some(hit);
    }
    let store = store()?;
    let td = spdx::detection::TextData::new(&text);
    let m = store.analyze(&td);
    let (mut name, mut score) = (m.name.to_string(), m.score);
    if score < THRESHOLD {
        // A license followed by more (third-party notices): the license is at the start, so
        // its first half or quarter may match where the whole does not. (askalono's
        // region-optimising scan was tried: it names a wrong license on such files.)
        let lines: Vec<&str> = text.lines().collect();
        for part in [2, 4] {
            if lines.len() < 8 * part {
                break;
            }
            let head = lines[..lines.len() / part].join("\n");
            let m = store.analyze(&spdx::detection::TextData::new(&head));
            if m.score > score {
                (name, score) = (m.name.to_string(), m.score);
            }
        }
    }
    let mut names = vec![current(&name)];
    if score < PERFECT {
        // Not a clean copy of one license: find where it is, blank those lines, and match what
        // is left (a second license appended must not hide behind the first).
        let mut rest = td;
        let mut last = name.clone();
        for _ in 0..3 {
            let Some(original) = store.get_original(&last) else { break };
            let (found, _) = rest.optimize_bounds(original);
            let left = found.white_out();
            if left.lines().iter().map(|l| l.split_whitespace().count()).sum::<usize>() < 25 {
                break;
            }
            let m = store.analyze(&left);
            if m.score < THRESHOLD {
                break;
            }
            let id = current(m.name);
            if !names.contains(&id) {
                names.push(id);
                score = score.min(m.score);
            }
            last = m.name.to_string();
            rest = left;
        }
    }
    let confidence = (score.clamp(0.0, 1.0) * 100.0).round() as u8;
    let found = Identified { license: names.join(" AND "), confidence };
    if let Ok(mut m) = seen.lock() {
        if m.len() < 10_000 {
            m.insert(k, found.clone());
        }
    }
    Some(found)
}

/// A match this good is one clean copy of a license.
const PERFECT: f32 = 0.98;

/// The store names some licenses by deprecated ids (`GPL-2.0+`): the current id.
fn current(name: &str) -> String {
    match dredge_model::license::normalise(name) {
        Some(n) if n.unknown.is_empty() => n.expression,
        _ => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copyright_lines_and_spacing_do_not_change_the_key() {
        let a = "MIT License\n\nCopyright (c) 2020 Alice\n\nPermission is hereby granted, free of charge";
        let b = "MIT   License\nCopyright (c) 1999-2024 Bob and others\n  permission is hereby\ngranted, free of charge.";
        assert_eq!(key(a), key(b));
        assert_ne!(key(a), key("Apache License\nVersion 2.0"));
    }

    #[test]
    fn binary_and_empty_are_not_texts() {
        assert_eq!(identify(b"\x7fELF\0\0\0"), None);
        assert_eq!(identify(b"   \n"), None);
        let junk = identify(b"hello world, this is not a license at all").expect("text");
        assert!(junk.confidence < 50, "{junk:?}");
    }
}
