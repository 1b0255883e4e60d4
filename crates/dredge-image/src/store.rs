//! Random access to the files of an image container: a directory (OCI layout, unpacked docker
//! save) or a tar file (docker save, OCI archive) indexed once so several layers can be read at
//! the same time. A compressed tar is first decompressed into the cache directory.

use crate::ImageError;
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

pub trait BlobStore: Send + Sync {
    /// Opens a member by its path inside the container (normalised, relative).
    fn open(&self, path: &str) -> Result<Box<dyn Read + Send>, ImageError>;
    fn exists(&self, path: &str) -> bool;
    /// Reads a small JSON member, refusing anything above `max` bytes.
    fn read_small(&self, path: &str, max: u64) -> Result<Vec<u8>, ImageError> {
        let mut r = self.open(path)?.take(max + 1);
        let mut v = Vec::new();
        r.read_to_end(&mut v).map_err(|e| ImageError::io(format!("reading {path}"), e))?;
        if v.len() as u64 > max {
            return Err(ImageError::Invalid(format!("{path} is larger than {max} bytes")));
        }
        Ok(v)
    }
    fn describe(&self) -> String;
}

fn clean(path: &str) -> Option<String> {
    let mut parts = Vec::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => return None,
            c => parts.push(c),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

pub struct DirStore {
    root: PathBuf,
}

impl DirStore {
    pub fn new(root: &Path) -> Self {
        DirStore { root: root.to_path_buf() }
    }
}

impl BlobStore for DirStore {
    fn open(&self, path: &str) -> Result<Box<dyn Read + Send>, ImageError> {
        let rel = clean(path).ok_or_else(|| ImageError::Invalid(format!("member path {path:?} escapes {}", self.root.display())))?;
        let full = self.root.join(&rel);
        // A symlinked blob could point anywhere on this machine: refuse it.
        let md = std::fs::symlink_metadata(&full).map_err(|e| ImageError::Missing(format!("{} ({e})", full.display())))?;
        if md.file_type().is_symlink() {
            return Err(ImageError::Invalid(format!("{} is a symlink; refusing to follow it", full.display())));
        }
        let f = File::open(&full).map_err(|e| ImageError::Missing(format!("{} ({e})", full.display())))?;
        Ok(Box::new(BufReader::with_capacity(256 << 10, f)))
    }
    fn exists(&self, path: &str) -> bool {
        clean(path).is_some_and(|rel| self.root.join(rel).is_file())
    }
    fn describe(&self) -> String {
        self.root.display().to_string()
    }
}

#[derive(Debug, Clone)]
enum Member {
    File { offset: u64, size: u64 },
    Link(String),
}

/// A tar file indexed by member path.
pub struct TarStore {
    file: PathBuf,
    members: HashMap<String, Member>,
    /// A decompressed copy in the cache dir, removed when the store is dropped.
    _spool: Option<tempfile::TempPath>,
    label: String,
}

impl TarStore {
    /// Indexes `path`. A gzip- or zstd-compressed tar is decompressed into `spool_dir` first
    /// (at most `max_bytes`), since compressed streams cannot be read at random offsets.
    pub fn open(path: &Path, spool_dir: &Path, max_bytes: u64) -> Result<Self, ImageError> {
        let label = path.display().to_string();
        let f = File::open(path).map_err(|e| ImageError::io(format!("opening {label}"), e))?;
        let mut br = BufReader::new(f);
        let head = br.fill_buf().map_err(|e| ImageError::io(format!("reading {label}"), e))?.to_vec();
        let compressed = head.starts_with(&[0x1f, 0x8b]) || head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]);
        if !compressed {
            return Self::index(path.to_path_buf(), None, label);
        }
        std::fs::create_dir_all(spool_dir).map_err(|e| ImageError::io(format!("creating {}", spool_dir.display()), e))?;
        let tmp = tempfile::Builder::new()
            .prefix("spool-")
            .suffix(".tar")
            .tempfile_in(spool_dir)
            .map_err(|e| ImageError::io(format!("creating a spool file in {}", spool_dir.display()), e))?;
        let (mut out, tmp_path) = tmp.into_parts();
        let mut dec: Box<dyn Read> = if head.starts_with(&[0x1f, 0x8b]) {
            Box::new(flate2::bufread::MultiGzDecoder::new(br))
        } else {
            Box::new(zstd_reader(br).map_err(|e| ImageError::io(format!("decompressing {label}"), e))?)
        };
        let n = io::copy(&mut (&mut dec).take(max_bytes + 1), &mut out).map_err(|e| {
            if e.kind() == io::ErrorKind::UnexpectedEof {
                ImageError::Corrupt(format!("{label}: the compressed archive is truncated (it ends before its compressed stream does)"))
            } else {
                ImageError::Corrupt(format!("{label}: decompressing the archive: {e}"))
            }
        })?;
        if n > max_bytes {
            return Err(ImageError::TooLarge(format!("{label} decompresses to more than {max_bytes} bytes (raise --max-image-size)")));
        }
        Self::index(tmp_path.to_path_buf(), Some(tmp_path), label)
    }

    /// Indexes a plain tar already spooled into the cache dir; it is removed with the store.
    pub fn open_spooled(path: tempfile::TempPath, label: String) -> Result<Self, ImageError> {
        Self::index(path.to_path_buf(), Some(path), label)
    }

    fn index(file: PathBuf, spool: Option<tempfile::TempPath>, label: String) -> Result<Self, ImageError> {
        let f = File::open(&file).map_err(|e| ImageError::io(format!("opening {label}"), e))?;
        let file_len = f.metadata().map(|m| m.len()).unwrap_or(u64::MAX);
        let mut ar = tar::Archive::new(BufReader::new(f));
        let mut members = HashMap::new();
        let not_an_archive = || ImageError::Corrupt(format!("{label}: not a tar, gzip or zstd archive (not a docker save or OCI archive)"));
        // Seek over member data: indexing a large archive reads its headers only.
        let entries = ar.entries_with_seek().map_err(|_| not_an_archive())?;
        let mut seen = 0u64;
        for e in entries {
            let e = match e {
                Ok(e) => e,
                Err(_) if seen == 0 => return Err(not_an_archive()),
                Err(e) => return Err(ImageError::Corrupt(format!("{label}: not a valid tar archive after {seen} members: {e}"))),
            };
            seen += 1;
            // Seeking past the data hides a short file: a member must end inside it.
            let end = e.raw_file_position().saturating_add(e.size());
            if end > file_len {
                return Err(ImageError::Corrupt(format!(
                    "{label}: the archive is truncated at byte {file_len} (member {} needs {end} bytes)",
                    String::from_utf8_lossy(&e.path_bytes())
                )));
            }
            let raw = String::from_utf8_lossy(&e.path_bytes()).into_owned();
            let Some(path) = clean(&raw) else { continue };
            match e.header().entry_type() {
                tar::EntryType::Regular | tar::EntryType::Continuous => {
                    members.insert(path, Member::File { offset: e.raw_file_position(), size: e.size() });
                }
                tar::EntryType::Symlink | tar::EntryType::Link => {
                    let target = e.link_name_bytes().map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
                    let resolved = if e.header().entry_type() == tar::EntryType::Symlink && !target.starts_with('/') {
                        let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
                        format!("{dir}/{target}")
                    } else {
                        target
                    };
                    if let Some(t) = clean(&resolved) {
                        members.insert(path, Member::Link(t));
                    }
                }
                _ => {}
            }
        }
        if members.is_empty() {
            return Err(if seen == 0 { not_an_archive() } else { ImageError::Corrupt(format!("{label}: a tar archive without files")) });
        }
        Ok(TarStore { file, members, _spool: spool, label })
    }

    fn find(&self, path: &str) -> Option<(u64, u64)> {
        let mut cur = clean(path)?;
        for _ in 0..16 {
            match self.members.get(&cur)? {
                Member::File { offset, size } => return Some((*offset, *size)),
                Member::Link(t) => cur = t.clone(),
            }
        }
        None
    }

    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.members.keys().map(String::as_str)
    }
}

fn zstd_reader<R: BufRead>(r: R) -> io::Result<impl Read> {
    zstd::stream::read::Decoder::with_buffer(r)
}

impl BlobStore for TarStore {
    fn open(&self, path: &str) -> Result<Box<dyn Read + Send>, ImageError> {
        let (offset, size) = self.find(path).ok_or_else(|| ImageError::Missing(format!("{path} in {}", self.label)))?;
        let mut f = File::open(&self.file).map_err(|e| ImageError::io(format!("opening {}", self.label), e))?;
        f.seek(SeekFrom::Start(offset)).map_err(|e| ImageError::io(format!("seeking in {}", self.label), e))?;
        Ok(Box::new(BufReader::with_capacity(256 << 10, f.take(size))))
    }
    fn exists(&self, path: &str) -> bool {
        self.find(path).is_some()
    }
    fn describe(&self) -> String {
        self.label.clone()
    }
}
