//! What the archive holds, compactly, for a writer's decisions: per URL,
//! each record's payload digest, date, whether it is a revisit, and where
//! its index line is. About 60 bytes a record, so that an import of 100,000
//! pages holds a few MB of it; a record itself is read back from its line
//! when one is needed (a duplicate, a revisit's original, `list URL`).

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::{ArchiveError, CaptureRecord, RecordType, index, io, segment};
use crate::timestamp::Timestamp;

#[derive(Debug, Clone, Copy)]
pub(super) struct Entry {
    sha256: [u8; 32],
    pub(super) timestamp: Timestamp,
    pub(super) revisit: bool,
    /// The index file (by number) and the byte its line starts at.
    file: u32,
    line: u64,
    /// The URL's entry taken in before this one ([`NONE`] for its first):
    /// one list threaded through one vector costs a URL no allocation.
    next: u32,
}

const NONE: u32 = u32::MAX;

/// The longest index line read: a damaged file without line breaks is not
/// read into memory whole. A real line is well under 2 KB.
const MAX_LINE: u64 = 1 << 20;

#[derive(Default)]
pub(super) struct Known {
    entries: Vec<Entry>,
    /// The latest entry of each URL, by a hash of the URL; a record read
    /// back is checked against the URL asked for.
    by_url: HashMap<u64, u32>,
    files: Vec<PathBuf>,
    file_ids: HashMap<PathBuf, u32>,
    /// Bytes of whole lines taken in, per index file.
    read: HashMap<PathBuf, u64>,
    /// Records taken in, by segment (number) and offset: a journal's line
    /// and its settled index's line are one record.
    seen: HashSet<(u32, u64)>,
    segments: HashMap<String, u32>,
}

fn url_hash(url: &str) -> u64 {
    let mut h = DefaultHasher::new();
    url.hash(&mut h);
    h.finish()
}

fn sha_bytes(hex: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    if let Ok(bytes) = data_encoding::HEXLOWER_PERMISSIVE.decode(hex.as_bytes()) {
        for (o, b) in out.iter_mut().zip(bytes) {
            *o = b;
        }
    }
    out
}

impl Known {
    /// Takes in the lines added since the last read: new index files and
    /// what journals gained (a settled index never changes). When a journal
    /// read before is gone (its writer settled it), everything is read
    /// again, since entries point into it.
    pub(super) fn refresh(&mut self, root: &Path) -> Result<(), ArchiveError> {
        let files = segment::index_files(root)?;
        let gone = self
            .read
            .keys()
            .any(|p| super::is_journal(p) && !files.contains(p));
        if gone {
            *self = Known::default();
        }
        for path in files {
            let from = self.read.get(&path).copied().unwrap_or(0);
            if from > 0 && !super::is_journal(&path) {
                continue;
            }
            let file = self.file_id(&path);
            let upto = each_line_from(&path, from, |line, text| {
                let record = index::parse(text).map_err(|reason| ArchiveError::Damaged {
                    path: path.clone(),
                    reason,
                })?;
                self.take(&record, file, line);
                Ok(())
            })?;
            self.read.insert(path.clone(), upto);
        }
        Ok(())
    }

    fn file_id(&mut self, path: &Path) -> u32 {
        if let Some(&id) = self.file_ids.get(path) {
            return id;
        }
        let id = u32::try_from(self.files.len()).unwrap_or(u32::MAX);
        self.files.push(path.to_path_buf());
        self.file_ids.insert(path.to_path_buf(), id);
        id
    }

    fn take(&mut self, record: &CaptureRecord, file: u32, line: u64) {
        let next = u32::try_from(self.segments.len()).unwrap_or(u32::MAX);
        let segment = *self
            .segments
            .entry(record.location.filename.clone())
            .or_insert(next);
        if !self.seen.insert((segment, record.location.offset)) {
            return;
        }
        let Ok(at) = u32::try_from(self.entries.len()) else {
            return;
        };
        let head = self.by_url.entry(url_hash(&record.url)).or_insert(NONE);
        self.entries.push(Entry {
            sha256: sha_bytes(&record.sha256),
            timestamp: record.timestamp,
            revisit: record.record == RecordType::Revisit,
            file,
            line,
            next: *head,
        });
        *head = at;
    }

    /// A URL's entries, latest taken in first.
    fn chain(&self, url: &str) -> impl Iterator<Item = &Entry> {
        let mut at = self.by_url.get(&url_hash(url)).copied().unwrap_or(NONE);
        std::iter::from_fn(move || {
            let e = self.entries.get(at as usize)?;
            at = e.next;
            Some(e)
        })
    }

    /// A record just journaled at byte `line` of `journal`.
    pub(super) fn add(&mut self, record: &CaptureRecord, journal: &Path, line: u64) {
        let file = self.file_id(journal);
        self.take(record, file, line);
    }

    /// The entries of records of `url` with this payload (perhaps a few of
    /// another URL of the same hash: check what [`Known::load`] gives).
    pub(super) fn same_payload(&self, url: &str, sha256: &str) -> Vec<Entry> {
        let sha = sha_bytes(sha256);
        let mut out: Vec<Entry> = self
            .chain(url)
            .filter(|e| e.sha256 == sha)
            .copied()
            .collect();
        out.reverse();
        out
    }

    /// A URL's entries in the order taken in.
    pub(super) fn entries(&self, url: &str) -> Vec<Entry> {
        let mut out: Vec<Entry> = self.chain(url).copied().collect();
        out.reverse();
        out
    }

    /// The record an entry stands for, read back from its index line.
    pub(super) fn load(&self, entry: &Entry) -> Result<CaptureRecord, ArchiveError> {
        let path = self
            .files
            .get(entry.file as usize)
            .ok_or_else(|| ArchiveError::Damaged {
                path: PathBuf::from("indexes"),
                reason: "an index entry without its file".into(),
            })?;
        let mut file = File::open(path).map_err(io(path))?;
        file.seek(SeekFrom::Start(entry.line)).map_err(io(path))?;
        let mut text = Vec::new();
        BufReader::new(file.take(MAX_LINE))
            .read_until(b'\n', &mut text)
            .map_err(io(path))?;
        let text = String::from_utf8_lossy(&text);
        index::parse(text.trim_end()).map_err(|reason| ArchiveError::Damaged {
            path: path.clone(),
            reason,
        })
    }
}

/// Calls `each` with every whole line from byte `from` on and the byte it
/// starts at, reading as it goes; the byte after the last whole line. A
/// journal's torn last line is left for a later read.
pub(super) fn each_line_from(
    path: &Path,
    from: u64,
    mut each: impl FnMut(u64, &str) -> Result<(), ArchiveError>,
) -> Result<u64, ArchiveError> {
    let file = match File::open(path) {
        Ok(f) => f,
        // Settled (renamed) between the listing and the read.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(from),
        Err(e) => return Err(io(path)(e)),
    };
    let mut reader = BufReader::with_capacity(64 * 1024, file);
    reader.seek(SeekFrom::Start(from)).map_err(io(path))?;
    let mut at = from;
    let mut raw = Vec::new();
    loop {
        raw.clear();
        let n = (&mut reader)
            .take(MAX_LINE)
            .read_until(b'\n', &mut raw)
            .map_err(io(path))?;
        if n as u64 == MAX_LINE && raw.last() != Some(&b'\n') {
            return Err(ArchiveError::Damaged {
                path: path.to_path_buf(),
                reason: format!("a line at byte {at} is longer than {MAX_LINE} bytes"),
            });
        }
        if n == 0 {
            return Ok(at);
        }
        if raw.last() != Some(&b'\n') && super::is_journal(path) {
            return Ok(at);
        }
        let line = String::from_utf8_lossy(&raw);
        if !line.trim().is_empty() {
            each(at, line.trim_end_matches(['\n', '\r']))?;
        }
        at += n as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_index_without_line_breaks_is_damaged_not_read_whole() {
        let dir = std::env::temp_dir().join(format!(
            "sidarkiv-known-{}-{}",
            std::process::id(),
            fastrand::u64(..)
        ));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("x.cdxj");
        std::fs::write(&path, vec![b'a'; (MAX_LINE as usize) * 2]).expect("write");
        let mut seen = 0;
        let err = each_line_from(&path, 0, |_, _| {
            seen += 1;
            Ok(())
        });
        assert!(matches!(err, Err(ArchiveError::Damaged { .. })), "{err:?}");
        assert_eq!(seen, 0);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
