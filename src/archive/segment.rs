//! WARC segments: append-only `.warc.gz` files, one gzip member per record,
//! written by one lock holder at a time, each with its index beside it.
//!
//! While a writer works, its index lines go to `indexes/<segment>.cdxj.open`
//! (a journal, appended after the records it names are durable, and locked
//! by its writer while it lives); when it is done, the journal becomes the
//! sorted `indexes/<segment>.cdxj`. A writer killed on the way leaves a
//! journal whose lock the system has let go; the next lock holder settles
//! it: torn lines and lines past the segment's end are dropped, the segment
//! is cut after its last indexed record (a torn tail goes), and the rest is
//! sorted. So the index never names a byte that is not a whole, durable
//! record. Writers of several processes each have their own segment.

use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::{ArchiveError, Location, io, warc};

/// A segment is closed and another begun past this size.
pub(super) const SEGMENT_MAX: u64 = 1 << 30;
const JOURNAL: &str = ".cdxj.open";

pub(super) fn warcs(root: &Path) -> PathBuf {
    root.join("warcs")
}

pub(super) fn indexes(root: &Path) -> PathBuf {
    root.join("indexes")
}

/// The segment being written and its journal.
pub(super) struct Writer {
    pub(super) name: String,
    segment: File,
    journal: File,
    pub(super) len: u64,
}

impl Writer {
    /// A new segment, named by the time and process so that writers never
    /// share one, starting with a `warcinfo` record.
    pub(super) fn create(root: &Path) -> Result<Writer, ArchiveError> {
        let now = crate::timestamp::Timestamp::now();
        // Names sort in the order segments were begun (a repair's copy
        // after the record it replaces).
        let nanos = jiff::Timestamp::now().subsec_nanosecond();
        let name = format!("sidarkiv-{now}{nanos:09}-{}.warc.gz", std::process::id());
        let (wdir, idir) = (warcs(root), indexes(root));
        for d in [&wdir, &idir] {
            fs::create_dir_all(d).map_err(io(d))?;
        }
        // The journal first: a segment is never without one to settle it.
        let jpath = journal_path(root, &name);
        let journal = File::options()
            .create_new(true)
            .append(true)
            .open(&jpath)
            .map_err(io(&jpath))?;
        // Held while this writer lives: others settle only dead writers' journals.
        journal.try_lock().map_err(|e| io(&jpath)(e.into()))?;
        let spath = wdir.join(&name);
        let mut segment = File::options()
            .create_new(true)
            .read(true)
            .append(true)
            .open(&spath)
            .map_err(io(&spath))?;
        let info = format!(
            "software: sidarkiv/{}\r\nformat: WARC File Format 1.1\r\nconformsTo: https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/\r\n",
            env!("CARGO_PKG_VERSION")
        );
        let mut member = Vec::new();
        warc::write_record(
            &mut member,
            &[
                ("WARC-Type", "warcinfo".into()),
                (
                    "WARC-Record-ID",
                    warc::record_id(format!("{name}{info}").as_bytes()),
                ),
                ("WARC-Date", now.iso()),
                ("WARC-Filename", name.clone()),
                ("Content-Type", "application/warc-fields".into()),
            ],
            info.as_bytes(),
            true,
        )
        .map_err(io(&spath))?;
        segment.write_all(&member).map_err(io(&spath))?;
        for d in [&wdir, &idir] {
            File::open(d).and_then(|f| f.sync_all()).map_err(io(d))?;
        }
        Ok(Writer {
            name,
            segment,
            journal,
            len: member.len() as u64,
        })
    }

    /// Appends gzip members; their offset. On failure (a full disk) the
    /// segment is cut back to where it was.
    pub(super) fn append(&mut self, root: &Path, members: &[u8]) -> Result<u64, ArchiveError> {
        let at = self.len;
        let path = warcs(root).join(&self.name);
        if let Err(e) = self.segment.write_all(members) {
            let _ = self.segment.set_len(at);
            return Err(io(&path)(e));
        }
        self.len += members.len() as u64;
        Ok(at)
    }

    /// Takes records appended after `len` back off (a commit that failed
    /// after its append).
    pub(super) fn truncate(&mut self, root: &Path, len: u64) -> Result<(), ArchiveError> {
        let path = warcs(root).join(&self.name);
        self.segment.set_len(len).map_err(io(&path))?;
        self.len = len;
        Ok(())
    }

    /// Makes the appended records durable.
    pub(super) fn sync(&self, root: &Path) -> Result<(), ArchiveError> {
        let path = warcs(root).join(&self.name);
        self.segment.sync_data().map_err(io(&path))
    }

    /// Appends index lines (records already durable) and makes them durable:
    /// the commit point. The byte the first of them starts at.
    pub(super) fn journal(&mut self, root: &Path, lines: &str) -> Result<u64, ArchiveError> {
        let path = journal_path(root, &self.name);
        let before = self.journal.metadata().map_err(io(&path))?.len();
        let written = self
            .journal
            .write_all(lines.as_bytes())
            .and_then(|()| self.journal.sync_data());
        if let Err(e) = written {
            // No torn line for the next append to run into.
            let _ = self.journal.set_len(before);
            return Err(io(&path)(e));
        }
        Ok(before)
    }

    /// Turns the journal into the segment's sorted index.
    pub(super) fn close(self, root: &Path) -> Result<(), ArchiveError> {
        let Writer {
            name,
            segment,
            journal,
            ..
        } = self;
        drop(segment);
        settle_held(root, &name, journal).map(drop)
    }
}

pub(super) fn journal_path(root: &Path, segment: &str) -> PathBuf {
    indexes(root).join(format!("{segment}{JOURNAL}"))
}

pub(super) fn index_path(root: &Path, segment: &str) -> PathBuf {
    indexes(root).join(format!("{segment}.cdxj"))
}

/// Segments whose journals were left by writers that did not finish.
pub(super) fn unsettled(root: &Path) -> Vec<String> {
    let Ok(dir) = fs::read_dir(indexes(root)) else {
        return Vec::new();
    };
    let mut out: Vec<String> = dir
        .flatten()
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(JOURNAL))
                .map(str::to_owned)
        })
        .collect();
    out.sort();
    out
}

/// Settles the journal of a writer that is gone (see the module doc);
/// false when its writer still lives.
pub(super) fn settle(root: &Path, segment: &str) -> Result<bool, ArchiveError> {
    let jpath = journal_path(root, segment);
    let journal = match File::open(&jpath) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(io(&jpath)(e)),
    };
    match journal.try_lock() {
        Ok(()) => settle_held(root, segment, journal),
        Err(fs::TryLockError::WouldBlock) => Ok(false),
        Err(fs::TryLockError::Error(e)) => Err(io(&jpath)(e)),
    }
}

/// Settles a journal whose lock `journal` holds.
fn settle_held(root: &Path, segment: &str, journal: File) -> Result<bool, ArchiveError> {
    let jpath = journal_path(root, segment);
    let spath = warcs(root).join(segment);
    if !jpath.exists() {
        return Ok(false);
    }
    let size = match fs::metadata(&spath) {
        Ok(m) => m.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
        Err(e) => return Err(io(&spath)(e)),
    };
    // The lines to keep, by their sort key (SURT key and date) and where
    // they are in the journal: read as a stream, the lines themselves
    // copied afterwards, so a journal of 100,000 lines is not held whole.
    let mut keep: Vec<(String, u64, usize)> = Vec::new();
    let mut end = 0u64;
    super::known::each_line_from(&jpath, 0, |at, line| {
        let Ok(record) = super::index::parse(line) else {
            return Ok(());
        };
        let stop = record
            .location
            .offset
            .saturating_add(record.location.length);
        if record.location.filename != segment || stop > size {
            return Ok(());
        }
        end = end.max(stop);
        let key = line.splitn(3, ' ').take(2).collect::<Vec<_>>().join(" ");
        keep.push((key, at, line.len()));
        Ok(())
    })?;
    if keep.is_empty() {
        let _ = fs::remove_file(&spath);
    } else {
        if size > end {
            let f = File::options()
                .write(true)
                .open(&spath)
                .map_err(io(&spath))?;
            f.set_len(end)
                .and_then(|()| f.sync_all())
                .map_err(io(&spath))?;
        }
        keep.sort_unstable();
        let ipath = index_path(root, segment);
        let mut tmp = super::commit::temp_file_in(&root.join("tmp")).map_err(io(&ipath))?;
        {
            let mut source = File::open(&jpath).map_err(io(&jpath))?;
            let mut out = std::io::BufWriter::new(tmp.as_file_mut());
            let mut line = Vec::new();
            for (_, at, len) in &keep {
                line.resize(*len, 0);
                source
                    .seek(SeekFrom::Start(*at))
                    .and_then(|_| source.read_exact(&mut line))
                    .map_err(io(&jpath))?;
                out.write_all(&line)
                    .and_then(|()| out.write_all(b"\n"))
                    .map_err(io(&ipath))?;
            }
            out.flush().map_err(io(&ipath))?;
        }
        tmp.as_file().sync_all().map_err(io(&ipath))?;
        tmp.persist(&ipath).map_err(|e| io(&ipath)(e.error))?;
    }
    fs::remove_file(&jpath).map_err(io(&jpath))?;
    drop(journal);
    let dir = indexes(root);
    File::open(&dir)
        .and_then(|f| f.sync_all())
        .map_err(io(&dir))?;
    Ok(true)
}

/// The index files to read: settled ones and the journals of writers at
/// work (whose torn last line, if any, is left out by the reader).
pub(super) fn index_files(root: &Path) -> Result<Vec<PathBuf>, ArchiveError> {
    let dir = indexes(root);
    let entries = match fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(&dir)(e)),
    };
    let mut out: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let n = p.to_string_lossy();
            n.ends_with(".cdxj") || n.ends_with(JOURNAL)
        })
        .collect();
    out.sort();
    Ok(out)
}

/// The bytes of one record, as written: its gzip member undone.
pub(super) fn read(root: &Path, at: &Location) -> Result<Vec<u8>, ArchiveError> {
    // The file name comes from an index line: it must name a segment, not a path.
    if at.filename.contains(['/', '\\']) || at.filename.starts_with('.') {
        return Err(ArchiveError::Damaged {
            path: indexes(root),
            reason: format!("{:?} is not a segment name", at.filename),
        });
    }
    let path = warcs(root).join(&at.filename);
    let mut file = File::open(&path).map_err(io(&path))?;
    file.seek(SeekFrom::Start(at.offset)).map_err(io(&path))?;
    let mut member = Vec::new();
    (&mut file)
        .take(at.length)
        .read_to_end(&mut member)
        .map_err(io(&path))?;
    if (member.len() as u64) < at.length {
        return Err(ArchiveError::Damaged {
            path,
            reason: format!(
                "the record at offset {} is cut short: {} of {} bytes",
                at.offset,
                member.len(),
                at.length
            ),
        });
    }
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(member.as_slice())
        .read_to_end(&mut out)
        .map_err(|e| ArchiveError::Damaged {
            path: path.clone(),
            reason: format!("the record at offset {} does not inflate: {e}", at.offset),
        })?;
    Ok(out)
}
