//! The capture store: raw bytes content-addressed and never modified, the page
//! JSON beside them, and a per-URL index of captures.
//!
//! Layout (text and stable names, so `archive/` can be committed and its git
//! history read as a change log):
//!
//! ```text
//! archive/
//!   objects/<aa>/<sha256>              raw bytes as fetched or imported
//!   pages/<host>/<slug>-<hash>/
//!     captures.json                    the index: every capture of one URL, oldest first
//!     <timestamp>-<sha256[..12]>.json  the page JSON of one capture
//!   tmp/                               temporary files of writes in progress
//!   .lock                              held while writing
//! ```
//!
//! Every file is written whole before it gets its name: unnamed in its
//! destination directory (Linux `O_TMPFILE`, linked into place at commit;
//! nothing is left over if the process dies) or in `tmp/` and renamed into
//! place. Data is made durable before names, names before the index. The
//! index is written last: it is the commit point, so a process killed at any
//! moment leaves either the capture fully stored or not listed at all (an
//! unlisted object is harmless and reused on the next run). Leftovers in
//! `tmp/` are removed when the lock is next taken.

mod commit;
pub mod select;
pub mod verify;
pub mod warc;

pub use commit::temp_file_in;
use commit::{Staged, Unnamed};

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use thiserror::Error;

use crate::model::{Page, SourceKind};
use crate::timestamp::Timestamp;

#[derive(Debug, Error)]
pub enum ArchiveError {
    #[error("{}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: the archive is locked by another sidarkiv process (waited {waited:?})")]
    Locked { path: PathBuf, waited: Duration },
    #[error("{path}: damaged archive file: {reason}")]
    Damaged { path: PathBuf, reason: String },
    #[error("no capture matches {0:?}")]
    NotFound(String),
    #[error(
        "{reference:?} matches {count} captures ({}); name one by its sha256 (a longer prefix)",
        candidates.join(", ")
    )]
    Ambiguous {
        reference: String,
        count: usize,
        /// `URL@TIMESTAMP sha256:<first 16>` of each, so the user can pick one.
        candidates: Vec<String>,
    },
    #[error(
        "{0:?} is not a reference: use URL@TIMESTAMP (14 digits) or a sha256 prefix of at least 12 hex digits"
    )]
    BadReference(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ArchiveError + '_ {
    move |source| ArchiveError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// One stored capture, as the index lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptureRecord {
    pub url: String,
    pub timestamp: Timestamp,
    pub sha256: String,
    /// Base32 SHA-1, the form of the CDX `digest`.
    pub sha1: String,
    pub kind: SourceKind,
    pub original_url: Option<String>,
    /// HTTP status the page had when captured.
    pub status: u16,
    pub content_type: Option<String>,
    /// When sidarkiv stored it (RFC 3339, UTC).
    pub stored_at: String,
}

/// The index file of one URL.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Index {
    url: String,
    captures: Vec<CaptureRecord>,
}

/// What is known about a capture besides its bytes.
#[derive(Debug, Clone)]
pub struct StoreMeta {
    pub url: String,
    pub timestamp: Timestamp,
    pub kind: SourceKind,
    pub original_url: Option<String>,
    pub status: u16,
    pub content_type: Option<String>,
}

/// One capture ready to store: its raw bytes and digests, the page read
/// from them already serialized (on the caller's thread, so that parallel
/// importers share that work, and so that a queue of captures holds bytes
/// rather than page models), and where it came from.
#[derive(Debug)]
pub struct Capture {
    raw: Vec<u8>,
    sha256: String,
    sha1: String,
    page_json: Vec<u8>,
    meta: StoreMeta,
    /// The raw bytes and the page JSON already written, unnamed, by
    /// [`Archive::prepare`]; `raw` and `page_json` are then empty.
    written: Option<(Unnamed, Unnamed)>,
}

impl Capture {
    pub fn new(raw: Vec<u8>, page: &Page, meta: StoreMeta) -> Result<Capture, ArchiveError> {
        Ok(Capture {
            raw,
            sha256: page.source.sha256.clone(),
            sha1: page.source.sha1.clone(),
            page_json: pretty(page)?,
            meta,
            written: None,
        })
    }
}

/// The outcome of [`Archive::store`].
#[derive(Debug, Clone)]
pub struct Stored {
    pub record: CaptureRecord,
    /// False when the same bytes were already stored for this URL.
    pub new: bool,
}

/// An archive directory.
pub struct Archive {
    root: PathBuf,
    lock_wait: Duration,
}

/// Held while writing; released on drop.
pub struct Lock {
    _file: File,
}

const LOCK_POLL: Duration = Duration::from_millis(50);

impl Archive {
    /// Opens (creating if needed) the archive at `root`.
    pub fn open(root: &Path) -> Result<Archive, ArchiveError> {
        for sub in ["objects", "pages", "tmp"] {
            let dir = root.join(sub);
            fs::create_dir_all(&dir).map_err(io(&dir))?;
        }
        Ok(Archive {
            root: root.to_path_buf(),
            lock_wait: Duration::from_secs(30),
        })
    }

    /// How long [`Archive::lock`] waits for another process before failing.
    pub fn with_lock_wait(mut self, wait: Duration) -> Archive {
        self.lock_wait = wait;
        self
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Takes the write lock, waiting a bounded time for another process to
    /// release it, then clears leftovers of interrupted writes.
    pub fn lock(&self) -> Result<Lock, ArchiveError> {
        let path = self.root.join(".lock");
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io(&path))?;
        let started = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(fs::TryLockError::WouldBlock) if started.elapsed() < self.lock_wait => {
                    std::thread::sleep(LOCK_POLL)
                }
                Err(fs::TryLockError::WouldBlock) => {
                    return Err(ArchiveError::Locked {
                        path: self.root.clone(),
                        waited: started.elapsed(),
                    });
                }
                Err(fs::TryLockError::Error(e)) => return Err(io(&path)(e)),
            }
        }
        let tmp = self.root.join("tmp");
        for entry in fs::read_dir(&tmp).map_err(io(&tmp))?.flatten() {
            let _ = fs::remove_file(entry.path());
        }
        Ok(Lock { _file: file })
    }

    /// Stores a capture: the raw bytes, the page JSON and the index entry.
    /// The same bytes for the same URL are stored once.
    pub fn store(
        &self,
        lock: &Lock,
        raw: &[u8],
        page: &Page,
        meta: StoreMeta,
    ) -> Result<Stored, ArchiveError> {
        let capture = Capture::new(raw.to_vec(), page, meta)?;
        let mut stored = self.store_batch(lock, vec![capture])?;
        stored.pop().ok_or_else(|| ArchiveError::Damaged {
            path: self.root.clone(),
            reason: "a store returned nothing".into(),
        })
    }

    /// Writes a capture's files ahead of [`Archive::store_batch`], on the
    /// caller's thread and without the lock: unnamed in their destination
    /// directories, so nothing is visible and nothing is left over until a
    /// commit names them. Where the system cannot, the capture is left as
    /// it was and is written at commit. Importers call this on their parsing
    /// threads, which takes the file writes off the committing one.
    pub fn prepare(&self, capture: &mut Capture) {
        if capture.written.is_some() {
            return;
        }
        let object = self.object_path(&capture.sha256);
        let page = self.page_path(&capture.meta.url, &capture.meta.timestamp, &capture.sha256);
        // A directory made here is a URL not stored before: there is no page
        // file to look for. Otherwise one already stored (a re-run) needs
        // nothing written ahead; the commit skips it. Bytes stored before
        // under another URL are not looked for: that is rare, and the
        // commit's link then finds the object there.
        let new_url = page.parent().is_some_and(|dir| match fs::create_dir(dir) {
            Ok(()) => true,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => fs::create_dir_all(dir).is_ok(),
            Err(_) => false,
        });
        if !new_url && page.exists() {
            return;
        }
        let Some(object_file) = commit::write_unnamed(&object, &capture.raw) else {
            return;
        };
        let Some(page_file) = commit::write_unnamed(&page, &capture.page_json) else {
            return;
        };
        capture.written = Some((object_file, page_file));
        capture.raw = Vec::new();
        capture.page_json = Vec::new();
    }

    /// Stores many captures with one group commit: every file (indexes
    /// included) is written whole, unnamed ([`Archive::prepare`]) or in
    /// `tmp/`, and made durable together; objects and page JSON are named and
    /// made durable; only then are the indexes renamed into place. A crash at
    /// any point leaves each capture either fully stored and listed, or unlisted.
    pub fn store_batch(
        &self,
        _lock: &Lock,
        items: Vec<Capture>,
    ) -> Result<Vec<Stored>, ArchiveError> {
        let mut indexes: Vec<(PathBuf, Index, bool)> = Vec::new();
        let mut slots: HashMap<PathBuf, usize> = HashMap::new();
        let mut staged = Staged::new(&self.root);
        let mut out = Vec::with_capacity(items.len());
        let now = jiff::Timestamp::now()
            .round(jiff::Unit::Second)
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
            .to_string();
        for item in items {
            let meta = &item.meta;
            let dir = self.page_dir(&meta.url);
            let index_path = dir.join("captures.json");
            let slot = match slots.get(&index_path) {
                Some(&i) => i,
                None => {
                    let index = self.read_index(&index_path)?.unwrap_or_else(|| Index {
                        url: meta.url.clone(),
                        captures: Vec::new(),
                    });
                    slots.insert(index_path.clone(), indexes.len());
                    indexes.push((index_path, index, false));
                    indexes.len() - 1
                }
            };
            let (_, index, dirty) = &mut indexes[slot];
            if let Some(existing) = index.captures.iter().find(|c| c.sha256 == item.sha256) {
                out.push(Stored {
                    record: existing.clone(),
                    new: false,
                });
                continue;
            }
            let object = self.object_path(&item.sha256);
            let page_path = self.page_path(&meta.url, &meta.timestamp, &item.sha256);
            match item.written {
                Some((object_file, page_file)) => {
                    // Linked without overwriting: an object already there stays.
                    staged.add_unnamed(object, object_file, false);
                    staged.add_unnamed(page_path, page_file, true);
                }
                None => {
                    if !object.exists() {
                        staged.add(object, &item.raw, false)?;
                    }
                    staged.add(page_path, &item.page_json, true)?;
                }
            }
            let record = CaptureRecord {
                url: meta.url.clone(),
                timestamp: meta.timestamp,
                sha256: item.sha256.clone(),
                sha1: item.sha1.clone(),
                kind: meta.kind,
                original_url: meta.original_url.clone(),
                status: meta.status,
                content_type: meta.content_type.clone(),
                stored_at: now.clone(),
            };
            index.captures.push(record.clone());
            *dirty = true;
            out.push(Stored { record, new: true });
        }
        for (path, index, dirty) in &mut indexes {
            if *dirty {
                index
                    .captures
                    .sort_by(|a, b| (&a.timestamp, &a.sha256).cmp(&(&b.timestamp, &b.sha256)));
                staged.add_last(path.clone(), &pretty(index)?)?;
            }
        }
        staged.commit()?;
        Ok(out)
    }

    /// Every stored capture, URL by URL (sorted), oldest first per URL.
    pub fn list(&self, url: Option<&str>) -> Result<Vec<CaptureRecord>, ArchiveError> {
        if let Some(url) = url {
            let path = self.page_dir(url).join("captures.json");
            return Ok(self
                .read_index(&path)?
                .map(|i| i.captures)
                .unwrap_or_default());
        }
        let mut indexes: Vec<Index> = Vec::new();
        for path in self.index_files()? {
            if let Some(index) = self.read_index(&path)? {
                indexes.push(index);
            }
        }
        indexes.sort_by(|a, b| a.url.cmp(&b.url));
        Ok(indexes.into_iter().flat_map(|i| i.captures).collect())
    }

    /// Every URL's index file, in path order.
    fn index_files(&self) -> Result<Vec<PathBuf>, ArchiveError> {
        let pages = self.root.join("pages");
        if !pages.is_dir() {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for entry in walkdir::WalkDir::new(&pages).min_depth(3).max_depth(3) {
            let entry = entry.map_err(|e| ArchiveError::Io {
                path: pages.clone(),
                source: e.into(),
            })?;
            if entry.file_name() == "captures.json" {
                out.push(entry.into_path());
            }
        }
        out.sort();
        Ok(out)
    }

    /// The capture a reference names: `URL@TIMESTAMP` or a sha256 prefix (≥ 12 hex digits).
    pub fn resolve(&self, reference: &str) -> Result<CaptureRecord, ArchiveError> {
        if let Some((url, ts)) = reference.rsplit_once('@')
            && let Ok(ts) = Timestamp::parse(ts)
        {
            // Two captures can share a second (a WARC of quick re-fetches).
            let found = self
                .list(Some(url))?
                .into_iter()
                .filter(|c| c.timestamp == ts)
                .collect();
            return one(reference, found);
        }
        let prefix = reference.to_ascii_lowercase();
        if prefix.len() < 12 || prefix.len() > 64 || !prefix.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Err(ArchiveError::BadReference(reference.to_owned()));
        }
        let found = self
            .list(None)?
            .into_iter()
            .filter(|c| c.sha256.starts_with(&prefix))
            .collect();
        one(reference, found)
    }

    /// The stored page JSON of a capture.
    pub fn page(&self, record: &CaptureRecord) -> Result<Page, ArchiveError> {
        let path = self.page_path(&record.url, &record.timestamp, &record.sha256);
        let bytes = fs::read(&path).map_err(io(&path))?;
        serde_json::from_slice(&bytes).map_err(|e| ArchiveError::Damaged {
            path,
            reason: e.to_string(),
        })
    }

    /// The raw bytes of a capture, checked against their address.
    pub fn raw(&self, record: &CaptureRecord) -> Result<Vec<u8>, ArchiveError> {
        use sha2::Digest;
        let path = self.object_path(&record.sha256);
        let bytes = fs::read(&path).map_err(io(&path))?;
        let actual = data_encoding::HEXLOWER.encode(&sha2::Sha256::digest(&bytes));
        if actual != record.sha256 {
            return Err(ArchiveError::Damaged {
                path,
                reason: format!("content hashes to {actual}"),
            });
        }
        Ok(bytes)
    }

    /// Rewrites the page JSON of one capture (after the extractor improved).
    pub fn rewrite_page(
        &self,
        _lock: &Lock,
        record: &CaptureRecord,
        page: &Page,
    ) -> Result<(), ArchiveError> {
        let path = self.page_path(&record.url, &record.timestamp, &record.sha256);
        self.write_atomic(&path, &pretty(page)?, true)
    }

    fn read_index(&self, path: &Path) -> Result<Option<Index>, ArchiveError> {
        match fs::read(path) {
            Ok(bytes) => {
                serde_json::from_slice(&bytes)
                    .map(Some)
                    .map_err(|e| ArchiveError::Damaged {
                        path: path.to_path_buf(),
                        reason: e.to_string(),
                    })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(path)(e)),
        }
    }

    fn object_path(&self, sha256: &str) -> PathBuf {
        self.root
            .join("objects")
            .join(sha256.get(..2).unwrap_or("00"))
            .join(sha256)
    }

    fn page_dir(&self, url: &str) -> PathBuf {
        let (host, slug) = url_key(url);
        self.root.join("pages").join(host).join(slug)
    }

    /// The page JSON file of one capture.
    fn page_path(&self, url: &str, timestamp: &Timestamp, sha256: &str) -> PathBuf {
        let name = format!("{timestamp}-{}.json", sha256.get(..12).unwrap_or(sha256));
        self.page_dir(url).join(name)
    }

    /// One file, atomically: the same path as a batch of one.
    fn write_atomic(&self, dest: &Path, bytes: &[u8], overwrite: bool) -> Result<(), ArchiveError> {
        let mut staged = Staged::new(&self.root);
        staged.add(dest.to_path_buf(), bytes, overwrite)?;
        staged.commit()
    }
}

/// The one capture a reference names, or why there is not exactly one.
fn one(reference: &str, mut found: Vec<CaptureRecord>) -> Result<CaptureRecord, ArchiveError> {
    match found.len() {
        0 => Err(ArchiveError::NotFound(reference.to_owned())),
        1 => Ok(found.remove(0)),
        count => Err(ArchiveError::Ambiguous {
            reference: reference.to_owned(),
            count,
            candidates: found
                .iter()
                .map(|c| {
                    format!(
                        "{}@{} sha256:{}",
                        c.url,
                        c.timestamp,
                        c.sha256.get(..16).unwrap_or(&c.sha256)
                    )
                })
                .collect(),
        }),
    }
}

fn pretty<T: Serialize>(value: &T) -> Result<Vec<u8>, ArchiveError> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|e| ArchiveError::Damaged {
        path: PathBuf::from("<page>"),
        reason: e.to_string(),
    })?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// A directory name for a URL that is safe on every file system and cannot
/// leave the archive: `[a-z0-9.-]` only, bounded length, never `.` or `..`,
/// made unique by a hash of the whole URL.
pub fn url_key(url: &str) -> (String, String) {
    use sha2::Digest;
    let hash = data_encoding::HEXLOWER.encode(&sha2::Sha256::digest(url.as_bytes()));
    let parsed = url::Url::parse(url).ok();
    let host = parsed
        .as_ref()
        .and_then(|u| u.host_str())
        .unwrap_or("local");
    let path = parsed.as_ref().map_or(url, |u| u.path());
    let clean = |s: &str, max: usize| -> String {
        let mut out = String::new();
        for c in s.chars().flat_map(char::to_lowercase) {
            if c.is_ascii_alphanumeric() {
                out.push(c);
            } else if !out.ends_with('-') {
                out.push('-');
            }
        }
        out.trim_matches('-').chars().take(max).collect()
    };
    let host = clean(host, 64);
    let host = if host.is_empty() {
        "local".to_owned()
    } else {
        host
    };
    let slug = clean(path, 80);
    let slug = if slug.is_empty() {
        format!("root-{}", &hash[..10])
    } else {
        format!("{slug}-{}", &hash[..10])
    };
    (host, slug)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ParseOptions, parse_page};

    fn temp() -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "sidarkiv-archive-{}-{}",
            std::process::id(),
            fastrand::u64(..)
        ));
        let _ = fs::remove_dir_all(&d);
        d
    }

    fn meta(url: &str, ts: &str) -> StoreMeta {
        StoreMeta {
            url: url.into(),
            timestamp: ts.parse().expect("a test timestamp"),
            kind: SourceKind::File,
            original_url: None,
            status: 200,
            content_type: None,
        }
    }

    fn stored(a: &Archive, raw: &[u8], url: &str, ts: &str) -> Stored {
        let page = parse_page(raw, &ParseOptions::default()).expect("parses");
        let lock = a.lock().expect("lock");
        a.store(&lock, raw, &page, meta(url, ts)).expect("store")
    }

    #[test]
    fn same_bytes_same_url_are_stored_once() {
        let a = Archive::open(&temp()).expect("open");
        let raw = b"<html><body><h1>Rubrik</h1><p>Text</p></body></html>";
        assert!(stored(&a, raw, "http://x.se/a", "20100101000000").new);
        assert!(!stored(&a, raw, "http://x.se/a", "20110101000000").new);
        assert!(
            stored(&a, raw, "http://x.se/b", "20100101000000").new,
            "another URL keeps its own entry"
        );
        assert_eq!(a.list(None).expect("list").len(), 2);
        let objects = walkdir::WalkDir::new(a.root().join("objects"))
            .into_iter()
            .flatten()
            .filter(|e| e.file_type().is_file())
            .count();
        assert_eq!(objects, 1, "one object for identical bytes");
    }

    fn files_under(dir: &Path) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
            .into_iter()
            .flatten()
            .filter(|e| e.file_type().is_file() && e.file_name() != ".lock")
            .map(|e| e.into_path())
            .collect();
        files.sort();
        files
    }

    #[test]
    fn prepared_captures_appear_only_when_committed() {
        let dir = temp();
        let a = Archive::open(&dir).expect("open");
        let capture = |url: &str, raw: &[u8], ts: &str| {
            let page = parse_page(raw, &ParseOptions::default()).expect("parses");
            let mut c = Capture::new(raw.to_vec(), &page, meta(url, ts)).expect("capture");
            a.prepare(&mut c);
            c
        };
        let raw = b"<html><body><h1>Rubrik</h1><p>Text</p></body></html>";
        let first = capture("http://x.se/a", raw, "20100101000000");
        if cfg!(target_os = "linux") {
            assert!(first.written.is_some() && first.raw.is_empty());
        }
        assert!(
            files_under(&dir).is_empty(),
            "nothing visible before the commit"
        );
        // A prepared duplicate is dropped; its unnamed files leave nothing behind.
        let again = capture("http://x.se/a", raw, "20100101000000");
        let lock = a.lock().expect("lock");
        let stored = a.store_batch(&lock, vec![first, again]).expect("store");
        assert_eq!((stored[0].new, stored[1].new), (true, false));
        assert_eq!(files_under(&dir).len(), 3, "object, page JSON, index");
        assert_eq!(a.raw(&stored[0].record).expect("raw"), raw);

        // The same bytes under another URL, prepared after the object is
        // stored: the object is kept as it is, the new URL gets its files.
        let elsewhere = capture("http://x.se/b", raw, "20100101000000");
        let stored = a.store_batch(&lock, vec![elsewhere]).expect("store");
        assert!(stored[0].new);
        assert_eq!(
            files_under(&dir).len(),
            5,
            "one object, two page JSON, two indexes"
        );
        assert_eq!(a.raw(&stored[0].record).expect("raw"), raw);
        assert_eq!(a.list(None).expect("list").len(), 2);

        // A page JSON already there (an interrupted run, an older extractor)
        // is replaced by a prepared one, atomically.
        let other = b"<html><body><h1>Ny rubrik</h1><p>Text</p></body></html>";
        let second = capture("http://x.se/a", other, "20110101000000");
        let ts: Timestamp = "20110101000000".parse().expect("timestamp");
        let stale = a.page_path("http://x.se/a", &ts, &second.sha256);
        fs::write(&stale, b"stale").expect("stale");
        let stored = a.store_batch(&lock, vec![second]).expect("store");
        assert!(stored[0].new);
        assert_eq!(
            a.page(&stored[0].record).expect("page").title.as_deref(),
            Some("Ny rubrik")
        );
        assert_eq!(fs::read_dir(dir.join("tmp")).expect("tmp").count(), 0);
    }

    #[test]
    fn raw_bytes_come_back_unaltered_and_refs_resolve() {
        let a = Archive::open(&temp()).expect("open");
        let raw = b"<html><body><h1>K\xf6p</h1></body></html>";
        let s = stored(&a, raw, "http://x.se/a", "20100426093512");
        assert_eq!(a.raw(&s.record).expect("raw"), raw);
        assert_eq!(
            a.resolve("http://x.se/a@20100426093512")
                .expect("by url")
                .sha256,
            s.record.sha256
        );
        assert_eq!(
            a.resolve(&s.record.sha256[..12])
                .expect("by prefix")
                .timestamp,
            "20100426093512"
        );
        assert!(matches!(
            a.resolve("abc"),
            Err(ArchiveError::BadReference(_))
        ));
        assert!(matches!(
            a.resolve("http://x.se/a@20990101000000"),
            Err(ArchiveError::NotFound(_))
        ));
        assert_eq!(
            a.page(&s.record).expect("page").title.as_deref(),
            Some("Köp")
        );
    }

    #[test]
    fn a_reference_naming_two_captures_is_ambiguous() {
        let a = Archive::open(&temp()).expect("open");
        let one = stored(&a, b"<h1>Ett</h1>", "http://x.se/a", "20110315120000");
        let two = stored(&a, b"<h1>Tv\xe5</h1>", "http://x.se/a", "20110315120000");
        let err = a.resolve("http://x.se/a@20110315120000");
        assert!(matches!(err, Err(ArchiveError::Ambiguous { count: 2, .. })));
        // The message names both, so the user can pick one.
        let text = err.err().map(|e| e.to_string()).unwrap_or_default();
        for s in [&one, &two] {
            assert!(text.contains(&s.record.sha256[..16]), "{text}");
        }
        for s in [one, two] {
            assert_eq!(
                a.resolve(&s.record.sha256[..16]).expect("by sha").sha256,
                s.record.sha256
            );
        }
    }

    #[test]
    fn damaged_objects_are_detected() {
        let a = Archive::open(&temp()).expect("open");
        let s = stored(&a, b"<p>original</p>", "http://x.se/a", "20100101000000");
        fs::write(a.object_path(&s.record.sha256), b"<p>altered</p>").expect("tamper");
        assert!(matches!(
            a.raw(&s.record),
            Err(ArchiveError::Damaged { .. })
        ));
    }

    #[test]
    fn url_keys_cannot_escape() {
        for url in [
            "http://x.se/../../etc/passwd",
            "file:///../../..",
            "http://x.se/%2e%2e/",
            "..",
            "",
            "http://X.se/Å/ä?q=1#f",
        ] {
            let (host, slug) = url_key(url);
            for part in [&host, &slug] {
                assert!(
                    !part.is_empty() && !part.starts_with('.') && part.len() <= 91,
                    "{url}: {part}"
                );
                assert!(
                    part.chars().all(|c| c.is_ascii_lowercase()
                        || c.is_ascii_digit()
                        || c == '-'
                        || c == '.'),
                    "{part}"
                );
            }
        }
        assert_ne!(url_key("http://x.se/a?b=1"), url_key("http://x.se/a?b=2"));
    }

    #[test]
    fn a_second_lock_waits_then_fails() {
        let dir = temp();
        let a = Archive::open(&dir).expect("open");
        let _held = a.lock().expect("first");
        let b = Archive::open(&dir)
            .expect("open")
            .with_lock_wait(Duration::from_millis(200));
        assert!(matches!(b.lock(), Err(ArchiveError::Locked { .. })));
    }

    #[test]
    fn leftovers_of_interrupted_writes_are_cleared() {
        let a = Archive::open(&temp()).expect("open");
        fs::write(a.root().join("tmp").join(".tmpXYZ"), b"half").expect("leftover");
        drop(a.lock().expect("lock"));
        assert_eq!(fs::read_dir(a.root().join("tmp")).expect("tmp").count(), 0);
    }
}
