//! The capture store: every capture as received, in WARC 1.1 segments with
//! a CDXJ index, and the page JSON read from it beside them.
//!
//! Layout (pywb serves `warcs/` with `indexes/` as a collection as it is;
//! `cdxj-indexer warcs/*` gives the same lines as `indexes/`):
//!
//! ```text
//! archive/
//!   warcs/<segment>.warc.gz            records, one gzip member each, append-only
//!   indexes/<segment>.cdxj             the segment's CDXJ index, sorted
//!   indexes/<segment>.cdxj.open        the journal of a writer at work
//!   pages/<host>/
//!     <slug>-<hash>.<timestamp>-<sha256[..12]>.json   the page JSON of one capture
//!   tmp/                               temporary files of writes in progress
//!   .lock                              held while writing
//! ```
//!
//! A capture whose payload equals one already stored for its URL is a
//! `revisit` record with its own date (the identical-payload-digest
//! profile), so every date a page was seen is kept, and a page that goes
//! back to an earlier text shows as a change back. A group commit appends
//! the records and makes them durable, names the page JSON files, then
//! appends the index lines: the index is the commit point (see [`segment`]).

pub mod arc;
mod commit;
mod export;
mod index;
mod known;
pub mod reparse;
mod segment;
pub mod select;
pub mod surt;
pub mod upgrade;
pub mod verify;
pub mod warc;

pub use commit::temp_file_in;
use commit::{Staged, Unnamed};
pub use export::Exported;

use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
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
    /// The failure of the group commit this capture was part of.
    #[error("{0}")]
    Batch(String),
    #[error("the URL {0:?} holds control characters (a line break?): it cannot name a capture")]
    BadUrl(String),
    #[error(
        "{0} is a document a page links to, stored without a page JSON (`show --raw` gives it)"
    )]
    NotAPage(String),
    #[error(
        "{}: written by an earlier sidarkiv (raw bytes in objects/, an index per URL); run `sidarkiv upgrade --archive {}` to convert it, losing nothing",
        path.display(), path.display()
    )]
    OldLayout { path: PathBuf },
}

/// How large a stored body may grow when its Content-Encoding is undone
/// (`reparse`, `export --pages`, `site-report`): a record copied in from
/// another tool's WARC was never held to `max_body_bytes`, and a few
/// hundred kilobytes of gzip can unpack to gigabytes.
pub const MAX_DECODED_BYTES: u64 = 256 << 20;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ArchiveError + '_ {
    move |source| ArchiveError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What kind of WARC record holds a capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordType {
    /// An HTTP answer: status line, headers, body.
    Response,
    /// A document without HTTP (a local file).
    Resource,
    /// Seen again with the same payload as an earlier capture of the URL.
    Revisit,
}

/// Where a record is: a segment and the byte range of its gzip member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub filename: String,
    pub offset: u64,
    pub length: u64,
}

/// One stored capture, as the index lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptureRecord {
    /// The URL the capture was made of (a record's WARC-Target-URI).
    pub url: String,
    pub timestamp: Timestamp,
    /// Hex SHA-256 of the payload (the body as received).
    pub sha256: String,
    /// Base32 SHA-1 of the payload, the form of the CDX `digest`.
    pub sha1: String,
    pub kind: SourceKind,
    pub original_url: Option<String>,
    /// HTTP status the page had when captured; `None` without HTTP.
    pub status: Option<u16>,
    pub content_type: Option<String>,
    /// When sidarkiv stored it (RFC 3339, UTC).
    pub stored_at: String,
    pub record: RecordType,
    #[serde(flatten)]
    pub location: Location,
    /// Rebuilt by `upgrade` from a body an earlier layout kept without its headers.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reconstructed: bool,
    /// A document a page links to (PDF, Word, …), stored as received
    /// without a page JSON (`download_attachments`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub attachment: bool,
}

/// What is known about a capture besides what was received.
#[derive(Debug, Clone)]
pub struct StoreMeta {
    pub url: String,
    pub timestamp: Timestamp,
    pub kind: SourceKind,
    pub original_url: Option<String>,
}

/// A capture as it was received, kept as it is.
#[derive(Debug, Clone)]
pub enum Received {
    /// An HTTP answer: its status line, every header, and the body after
    /// transfer decoding (chunks joined), its `Content-Encoding` untouched.
    Http {
        status_line: String,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// A document without HTTP (a local file): a `resource` record.
    Document { content_type: String, body: Vec<u8> },
    /// A record of another tool's WARC, kept byte for byte: its header
    /// block as read and its block.
    Warc { head: Vec<u8>, block: Vec<u8> },
}

impl Received {
    /// The payload: the body, or a record block's body.
    fn payload(&self) -> &[u8] {
        match self {
            Received::Http { body, .. } | Received::Document { body, .. } => body,
            Received::Warc { head, block } => {
                if warc_type(head).eq_ignore_ascii_case("response") {
                    http_body_start(block).map_or(&block[..], |i| &block[i..])
                } else {
                    block
                }
            }
        }
    }

    fn status(&self) -> Option<u16> {
        match self {
            Received::Http { status_line, .. } => {
                status_line.split_whitespace().nth(1)?.parse().ok()
            }
            Received::Document { .. } => None,
            Received::Warc { head, block } => {
                let kind = warc_type(head);
                if kind.eq_ignore_ascii_case("response") || kind.eq_ignore_ascii_case("revisit") {
                    warc::parse_http_head(block).map(|h| h.status)
                } else {
                    None
                }
            }
        }
    }

    fn content_type(&self) -> Option<String> {
        match self {
            Received::Http { headers, .. } => headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
                .map(|(_, v)| v.clone()),
            Received::Document { content_type, .. } => Some(content_type.clone()),
            Received::Warc { head, block } => {
                let kind = warc_type(head);
                if kind.eq_ignore_ascii_case("response") || kind.eq_ignore_ascii_case("revisit") {
                    warc::parse_http_head(block)
                        .and_then(|h| h.header("Content-Type").map(str::to_owned))
                } else {
                    head_field(head, "Content-Type")
                }
            }
        }
    }

    /// Lets go of the payload, keeping what describes it (its headers).
    fn drop_payload(&mut self) {
        match self {
            Received::Http { body, .. } | Received::Document { body, .. } => *body = Vec::new(),
            Received::Warc { head, block } => {
                let keep = if warc_type(head).eq_ignore_ascii_case("response") {
                    http_body_start(block).unwrap_or(block.len())
                } else {
                    0
                };
                block.truncate(keep);
                block.shrink_to_fit();
            }
        }
    }

    /// The HTTP status line and headers a revisit record repeats.
    fn http_head(&self) -> Option<Vec<u8>> {
        match self {
            Received::Http {
                status_line,
                headers,
                ..
            } => Some(http_head(status_line, headers)),
            Received::Document { .. } => None,
            Received::Warc { head, block } => {
                if warc_type(head).eq_ignore_ascii_case("response") {
                    http_body_start(block).map(|i| block[..i].to_vec())
                } else {
                    None
                }
            }
        }
    }
}

fn http_head(status_line: &str, headers: &[(String, String)]) -> Vec<u8> {
    let mut out = format!("{status_line}\r\n");
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.into_bytes()
}

/// Where an HTTP message's body starts: after its blank line.
fn http_body_start(block: &[u8]) -> Option<usize> {
    warc::http_head_end(block).map(|(_, body)| body)
}

fn head_field(head: &[u8], name: &str) -> Option<String> {
    String::from_utf8_lossy(head).lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_owned())
    })
}

fn warc_type(head: &[u8]) -> String {
    head_field(head, "WARC-Type").unwrap_or_default()
}

/// Whether a URL can go into a header line.
fn clean_url(url: &str) -> Result<(), ArchiveError> {
    if url.chars().any(char::is_control) {
        return Err(ArchiveError::BadUrl(url.to_owned()));
    }
    Ok(())
}

fn digests(payload: &[u8]) -> (String, String) {
    use sha1::Digest as _;
    let sha256 = data_encoding::HEXLOWER.encode(&sha2::Sha256::digest(payload));
    let sha1 = data_encoding::BASE32.encode(&sha1::Sha1::digest(payload));
    (sha256, sha1)
}

/// One capture ready to store: what was received, the page read from it
/// already serialized (on the caller's thread, so that parallel importers
/// share that work), and where it came from.
#[derive(Debug)]
pub struct Capture {
    received: Received,
    sha256: String,
    sha1: String,
    page_json: Vec<u8>,
    meta: StoreMeta,
    /// The record as one gzip member, compressed ahead by [`Archive::prepare`].
    member: Option<Vec<u8>>,
    /// The page JSON already written, unnamed, by [`Archive::prepare`].
    written: Option<Unnamed>,
    reconstructed: bool,
    /// Known only by its digest ([`Capture::seen_again`]): a revisit or nothing.
    revisit_only: bool,
    /// A document stored without a page JSON ([`Capture::attachment`]).
    attachment: bool,
}

impl Capture {
    /// Refuses a URL that could forge a header line.
    pub fn new(received: Received, page: &Page, meta: StoreMeta) -> Result<Capture, ArchiveError> {
        Capture::parsed_from(received, page, meta, None)
    }

    /// As [`Capture::new`], for a page parsed from `parsed`: when those are
    /// the payload's bytes, the page's digests are the payload's, and are
    /// not computed again (an import's largest cost after parsing and
    /// compression).
    pub fn parsed_from(
        received: Received,
        page: &Page,
        meta: StoreMeta,
        parsed: Option<&[u8]>,
    ) -> Result<Capture, ArchiveError> {
        clean_url(&meta.url)?;
        if let Some(u) = &meta.original_url {
            clean_url(u)?;
        }
        let (sha256, sha1) = match parsed {
            Some(bytes) if bytes == received.payload() && !page.source.sha256.is_empty() => {
                (page.source.sha256.clone(), page.source.sha1.clone())
            }
            _ => digests(received.payload()),
        };
        // The page names the bytes received; a body read after undoing its
        // Content-Encoding was hashed decoded by the parser.
        let page_json = if page.source.sha256 == sha256 {
            pretty(page)?
        } else {
            let mut p = page.clone();
            p.source.sha256.clone_from(&sha256);
            p.source.sha1.clone_from(&sha1);
            pretty(&p)?
        };
        Ok(Capture {
            page_json,
            ..Capture::bare(received, sha256, sha1, meta)
        })
    }

    /// A capture seen again whose payload is `original`'s, known without
    /// downloading it (a CDX row with the stored digest): a revisit record
    /// with the status and type the listing gives.
    pub fn seen_again(
        original: &CaptureRecord,
        meta: StoreMeta,
        status: Option<u16>,
        mime: Option<&str>,
    ) -> Result<Capture, ArchiveError> {
        clean_url(&meta.url)?;
        let status_line = status.map(|s| {
            let reason = reqwest::StatusCode::from_u16(s)
                .ok()
                .and_then(|c| c.canonical_reason())
                .unwrap_or("");
            format!("HTTP/1.1 {s} {reason}").trim_end().to_owned()
        });
        let received = match status_line {
            Some(status_line) => Received::Http {
                status_line,
                headers: mime
                    .filter(|m| !m.chars().any(char::is_control))
                    .map(|m| vec![("Content-Type".to_owned(), m.to_owned())])
                    .unwrap_or_default(),
                body: Vec::new(),
            },
            None => Received::Document {
                content_type: mime.unwrap_or("").to_owned(),
                body: Vec::new(),
            },
        };
        Ok(Capture::revisit(
            received,
            original.sha256.clone(),
            original.sha1.clone(),
            meta,
        ))
    }

    /// A capture as received, without a page JSON (yet).
    fn bare(received: Received, sha256: String, sha1: String, meta: StoreMeta) -> Capture {
        Capture {
            received,
            sha256,
            sha1,
            page_json: Vec::new(),
            meta,
            member: None,
            written: None,
            reconstructed: false,
            revisit_only: false,
            attachment: false,
        }
    }

    /// A capture that holds no payload of its own: a revisit or nothing.
    fn revisit(received: Received, sha256: String, sha1: String, meta: StoreMeta) -> Capture {
        Capture {
            revisit_only: true,
            ..Capture::bare(received, sha256, sha1, meta)
        }
    }

    /// A document a page links to, stored as received without a page
    /// JSON: it is not parsed.
    pub fn attachment(received: Received, meta: StoreMeta) -> Result<Capture, ArchiveError> {
        clean_url(&meta.url)?;
        let (sha256, sha1) = digests(received.payload());
        Ok(Capture {
            attachment: true,
            ..Capture::bare(received, sha256, sha1, meta)
        })
    }

    /// A revisit record of another tool's WARC, kept byte for byte, whose
    /// original (payload `sha256` / `sha1`) the caller found stored, or
    /// ahead of it in the same commit.
    pub fn copied_revisit(
        head: Vec<u8>,
        block: Vec<u8>,
        sha256: String,
        sha1: String,
        meta: StoreMeta,
    ) -> Result<Capture, ArchiveError> {
        clean_url(&meta.url)?;
        Ok(Capture::revisit(
            Received::Warc { head, block },
            sha256,
            sha1,
            meta,
        ))
    }

    pub fn url(&self) -> &str {
        &self.meta.url
    }

    pub fn sha1(&self) -> &str {
        &self.sha1
    }

    /// Whether this is a revisit, holding no payload of its own.
    pub fn is_revisit(&self) -> bool {
        self.revisit_only
    }

    /// Compresses the record ahead of the commit, on the caller's thread:
    /// parallel importers share that work. (A revisit, decided at commit,
    /// does not use it.)
    pub fn compress(&mut self) {
        if self.member.is_none() {
            self.member = self.member().ok();
        }
        // The payload is in the member now; the headers stay, for a revisit
        // record and the index entry. A queue of captures holds less.
        if self.member.is_some() {
            self.received.drop_payload();
        }
    }

    /// Marks a capture rebuilt from a body kept without its headers.
    pub fn reconstructed(mut self) -> Capture {
        self.reconstructed = true;
        self
    }

    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    fn id(&self, what: &str) -> String {
        warc::record_id(
            format!(
                "{what} {} {} {}",
                self.meta.url, self.meta.timestamp, self.sha256
            )
            .as_bytes(),
        )
    }

    /// The whole record as one gzip member.
    fn member(&self) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        match &self.received {
            Received::Warc { head, block } => {
                let mut gz = flate2::write::GzEncoder::new(&mut out, warc::LEVEL);
                std::io::Write::write_all(&mut gz, head)?;
                std::io::Write::write_all(&mut gz, block)?;
                std::io::Write::write_all(&mut gz, b"\r\n\r\n")?;
                gz.finish()?;
            }
            Received::Http {
                status_line,
                headers,
                body,
            } => {
                let mut block = http_head(status_line, headers);
                block.extend_from_slice(body);
                let mut fields = self.fields("response");
                fields.push(("Content-Type", "application/http;msgtype=response".into()));
                fields.push(("WARC-Payload-Digest", format!("sha1:{}", self.sha1)));
                fields.push(("WARC-Block-Digest", warc::sha1_digest(&block)));
                warc::write_record(&mut out, &fields, &block, true)?;
            }
            Received::Document { content_type, body } => {
                let mut fields = self.fields("resource");
                let ct: String = content_type.chars().filter(|c| !c.is_control()).collect();
                fields.push(("Content-Type", ct));
                // The block is the payload: one digest, computed once.
                fields.push(("WARC-Payload-Digest", format!("sha1:{}", self.sha1)));
                fields.push(("WARC-Block-Digest", format!("sha1:{}", self.sha1)));
                warc::write_record(&mut out, &fields, body, true)?;
            }
        }
        Ok(out)
    }

    fn fields(&self, kind: &str) -> Vec<(&'static str, String)> {
        let mut f = vec![
            ("WARC-Type", kind.to_owned()),
            ("WARC-Record-ID", self.id(kind)),
            ("WARC-Date", self.meta.timestamp.iso()),
            ("WARC-Target-URI", self.meta.url.clone()),
        ];
        if self.reconstructed {
            f.push((
                "WARC-Sidarkiv-Reconstructed",
                "headers rebuilt by sidarkiv upgrade; the original ones were not kept".into(),
            ));
        }
        f
    }

    /// A revisit record of `original`: this capture's date and HTTP head,
    /// the payload by reference.
    fn revisit_member(&self, original: &CaptureRecord) -> std::io::Result<Vec<u8>> {
        let block = self.received.http_head().unwrap_or_default();
        let mut fields = self.fields("revisit");
        if self.revisit_only {
            fields.push((
                "WARC-Sidarkiv-Seen",
                "listed by the archive with this payload digest; not downloaded again".into(),
            ));
        }
        fields.extend([
            (
                "WARC-Profile",
                "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest".to_owned(),
            ),
            ("WARC-Refers-To-Target-URI", original.url.clone()),
            ("WARC-Refers-To-Date", original.timestamp.iso()),
            ("WARC-Payload-Digest", format!("sha1:{}", self.sha1)),
            ("WARC-Block-Digest", warc::sha1_digest(&block)),
        ]);
        if !block.is_empty() {
            fields.push(("Content-Type", "application/http;msgtype=response".into()));
        }
        let mut out = Vec::new();
        warc::write_record(&mut out, &fields, &block, true)?;
        Ok(out)
    }

    fn record(&self, record: RecordType, location: Location, stored_at: &str) -> CaptureRecord {
        CaptureRecord {
            url: self.meta.url.clone(),
            timestamp: self.meta.timestamp,
            sha256: self.sha256.clone(),
            sha1: self.sha1.clone(),
            kind: self.meta.kind,
            original_url: self.meta.original_url.clone(),
            status: self.received.status(),
            content_type: self.received.content_type(),
            stored_at: stored_at.to_owned(),
            record,
            location,
            reconstructed: self.reconstructed,
            attachment: self.attachment,
        }
    }
}

/// A capture on its way into a group commit.
struct Pending {
    /// Its place among the batch's outcomes.
    slot: usize,
    /// Its index entry, `offset` set once appended.
    record: CaptureRecord,
    member: Vec<u8>,
    /// Its page JSON and where it goes (none for a revisit).
    page: Option<(PathBuf, PageBody)>,
}

enum PageBody {
    Unnamed(Unnamed),
    Bytes(Vec<u8>),
}

/// The outcome of [`Archive::store`].
#[derive(Debug, Clone)]
pub struct Stored {
    pub record: CaptureRecord,
    /// False when this capture (URL, date and bytes) was already stored.
    pub new: bool,
}

/// A stored record read back.
#[derive(Debug, Clone)]
pub struct RecordBytes {
    pub headers: Vec<(String, String)>,
    /// The block: an HTTP message (response), a document (resource), an
    /// HTTP head (revisit).
    pub block: Vec<u8>,
}

/// Where a writer's group commits spent their time, summed.
#[derive(Debug, Default, Clone, Copy)]
pub struct CommitTimes {
    /// Appending the records to the segment.
    pub append: Duration,
    /// Making the segment and the journal durable.
    pub sync: Duration,
    /// The page JSON named, with its own barriers.
    pub name: Duration,
    pub commits: usize,
}

/// An archive directory. Dropping it closes the segment it wrote to.
pub struct Archive {
    times: Mutex<CommitTimes>,
    root: PathBuf,
    lock_wait: Duration,
    /// What the index holds, read on first use and brought up to date with
    /// each lock.
    cache: Mutex<Option<known::Known>>,
    /// This process's segment, kept from one lock to the next: each writer
    /// process appends to its own.
    writer: Mutex<Option<segment::Writer>>,
}

/// Held while writing; released on drop.
pub struct Lock {
    _file: File,
}

impl Archive {
    /// Where this process's group commits spent their time.
    pub fn commit_times(&self) -> CommitTimes {
        self.times.lock().map(|t| *t).unwrap_or_default()
    }

    /// Closes the segment this process wrote to: its journal becomes its
    /// sorted index, under the lock (another writer clears `tmp/` when it
    /// takes the lock). Dropping the archive does the same, without a word
    /// on failure (the next writer settles the journal then).
    pub fn finish(&self) -> Result<(), ArchiveError> {
        let writer = self.writer.lock().ok().and_then(|mut w| w.take());
        let Some(writer) = writer else {
            return Ok(());
        };
        let lock = self.lock()?;
        // What was read points into the journal, which is now an index.
        if let Ok(mut c) = self.cache.lock() {
            *c = None;
        }
        let closed = writer.close(&self.root);
        drop(lock);
        closed
    }
}

impl Drop for Archive {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

const LOCK_POLL: Duration = Duration::from_millis(50);

impl Archive {
    /// Opens (creating if needed) the archive at `root`. An archive in the
    /// layout before WARC segments is refused, naming `upgrade`.
    pub fn open(root: &Path) -> Result<Archive, ArchiveError> {
        if upgrade::is_old_layout(root) {
            return Err(ArchiveError::OldLayout {
                path: root.to_path_buf(),
            });
        }
        Self::open_any(root)
    }

    fn open_any(root: &Path) -> Result<Archive, ArchiveError> {
        for dir in [
            segment::warcs(root),
            segment::indexes(root),
            root.join("pages"),
            root.join("tmp"),
        ] {
            fs::create_dir_all(&dir).map_err(io(&dir))?;
        }
        Ok(Archive {
            root: root.to_path_buf(),
            lock_wait: Duration::from_secs(30),
            cache: Mutex::new(None),
            writer: Mutex::new(None),
            times: Mutex::new(CommitTimes::default()),
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
    /// release it, then settles what interrupted writers left and reads
    /// what other writers added.
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
        for name in segment::unsettled(&self.root) {
            segment::settle(&self.root, &name)?;
        }
        if let Ok(mut guard) = self.cache.lock()
            && let Some(cache) = guard.as_mut()
        {
            cache.refresh(&self.root)?;
        }
        Ok(Lock { _file: file })
    }

    /// Stores one capture.
    pub fn store(
        &self,
        lock: &Lock,
        received: Received,
        page: &Page,
        meta: StoreMeta,
    ) -> Result<Stored, ArchiveError> {
        let capture = Capture::new(received, page, meta)?;
        let mut stored = self.store_batch(lock, vec![capture])?;
        stored.pop().ok_or_else(|| ArchiveError::Damaged {
            path: self.root.clone(),
            reason: "a store returned nothing".into(),
        })
    }

    /// Writes a capture's page JSON ahead of [`Archive::store_batch`], on
    /// the caller's thread and without the lock: unnamed, nothing visible
    /// until a commit names it. Importers call this on their parsing threads.
    pub fn prepare(&self, capture: &mut Capture) {
        if capture.written.is_none() {
            let page = self.page_path(&capture.meta.url, &capture.meta.timestamp, &capture.sha256);
            capture.written = commit::write_unnamed(&page, &capture.page_json);
            if capture.written.is_some() {
                capture.page_json = Vec::new();
            }
        }
    }

    /// The index, read whole on first use: every URL's records, oldest
    /// first; of records of one capture (a repaired one), the last stored.
    fn cache(&self) -> Result<MutexGuard<'_, Option<known::Known>>, ArchiveError> {
        let mut guard = self.cache.lock().map_err(|_| ArchiveError::Damaged {
            path: self.root.clone(),
            reason: "the index cache was poisoned by a panic".into(),
        })?;
        if guard.is_none() {
            let mut cache = known::Known::default();
            cache.refresh(&self.root)?;
            *guard = Some(cache);
        }
        Ok(guard)
    }

    /// Stores many captures with one group commit; fails whole if any
    /// capture fails (see [`Archive::store_each`]).
    pub fn store_batch(
        &self,
        lock: &Lock,
        items: Vec<Capture>,
    ) -> Result<Vec<Stored>, ArchiveError> {
        self.store_each(lock, items)?.into_iter().collect()
    }

    /// Stores many captures with one group commit: the records appended to
    /// the segment and made durable, the page JSON named, then the index
    /// lines journaled. A crash at any point leaves each capture either
    /// fully stored and listed, or unlisted. When the batch does not fit
    /// (a full disk), the captures that fit are stored and the others get
    /// the error. `Err` when nothing could be tried at all.
    pub fn store_each(
        &self,
        _lock: &Lock,
        items: Vec<Capture>,
    ) -> Result<Vec<Result<Stored, ArchiveError>>, ArchiveError> {
        let mut writer_slot = self.writer.lock().map_err(|_| ArchiveError::Damaged {
            path: self.root.clone(),
            reason: "the segment writer was poisoned by a panic".into(),
        })?;
        if writer_slot
            .as_ref()
            .is_some_and(|w| w.len > segment::SEGMENT_MAX)
            && let Some(w) = writer_slot.take()
        {
            w.close(&self.root)?;
        }
        if writer_slot.is_none() {
            *writer_slot = Some(segment::Writer::create(&self.root)?);
        }
        let Some(writer) = writer_slot.as_mut() else {
            return Err(ArchiveError::Damaged {
                path: self.root.clone(),
                reason: "no segment to write".into(),
            });
        };
        let mut cache_guard = self.cache()?;
        let cache = cache_guard.get_or_insert_with(known::Known::default);
        let now = jiff::Timestamp::now()
            .round(jiff::Unit::Second)
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
            .to_string();
        let mut out: Vec<Option<Result<Stored, ArchiveError>>> = Vec::with_capacity(items.len());
        let mut pending: Vec<Pending> = Vec::new();
        for mut item in items {
            let mut stored_before = Vec::new();
            for e in cache.same_payload(&item.meta.url, &item.sha256) {
                // Only what could matter is read back: this date, or an original.
                if e.timestamp == item.meta.timestamp || !e.revisit {
                    let r = cache.load(&e)?;
                    if r.url == item.meta.url {
                        stored_before.push(r);
                    }
                }
            }
            // A redirect's meaning is in its headers (Location), not its
            // payload: it is never a revisit of another.
            let redirect = item
                .received
                .status()
                .is_some_and(|s| (300..400).contains(&s));
            let in_batch = pending.iter().map(|p| &p.record);
            let same_payload = stored_before
                .iter()
                .chain(in_batch.filter(|r| r.url == item.meta.url && r.sha256 == item.sha256));
            // The last stored record of this very capture; the oldest
            // record holding the payload.
            let mut original: Option<CaptureRecord> = None;
            let mut again = None;
            for r in same_payload {
                if r.timestamp == item.meta.timestamp {
                    again = Some(r.clone());
                } else if r.record != RecordType::Revisit
                    && !redirect
                    && original.as_ref().is_none_or(|o| r.timestamp < o.timestamp)
                {
                    original = Some(r.clone());
                }
            }
            // The same capture again: nothing to store, unless what is
            // stored for it no longer reads back (then this copy repairs it).
            if let Some(r) = again
                && (pending.iter().any(|p| p.record == r) || self.check(&r).is_ok())
            {
                out.push(Some(Ok(Stored {
                    record: r,
                    new: false,
                })));
                continue;
            }
            // Another tool's revisit record is copied as it is.
            let copied = item.revisit_only && matches!(item.received, Received::Warc { .. });
            let (member, kind) = match &original {
                _ if copied => (
                    item.member.take().map_or_else(|| item.member(), Ok),
                    RecordType::Revisit,
                ),
                Some(o) => (item.revisit_member(o), RecordType::Revisit),
                None if item.revisit_only => {
                    out.push(Some(Err(ArchiveError::NotFound(format!(
                        "{} with payload {}: nothing stored to revisit",
                        item.meta.url, item.sha256
                    )))));
                    continue;
                }
                None => {
                    let kind = match item.received {
                        Received::Document { .. } => RecordType::Resource,
                        Received::Warc { ref head, .. }
                            if warc_type(head).eq_ignore_ascii_case("resource") =>
                        {
                            RecordType::Resource
                        }
                        _ => RecordType::Response,
                    };
                    (item.member.take().map_or_else(|| item.member(), Ok), kind)
                }
            };
            let member = match member {
                Ok(m) => m,
                Err(e) => {
                    out.push(Some(Err(io(&self.root)(e))));
                    continue;
                }
            };
            let page = (kind != RecordType::Revisit && !item.attachment).then(|| {
                let path = self.page_path(&item.meta.url, &item.meta.timestamp, &item.sha256);
                match item.written.take() {
                    Some(file) => (path, PageBody::Unnamed(file)),
                    None => (path, PageBody::Bytes(std::mem::take(&mut item.page_json))),
                }
            });
            let location = Location {
                filename: writer.name.clone(),
                offset: 0,
                length: member.len() as u64,
            };
            pending.push(Pending {
                slot: out.len(),
                record: item.record(kind, location, &now),
                member,
                page,
            });
            out.push(None);
        }
        if !pending.is_empty() {
            let outcome = self.commit(writer, &mut pending);
            let journal = segment::journal_path(&self.root, &writer.name);
            for (p, result) in pending.into_iter().zip(outcome) {
                let result = result.map(|line| {
                    cache.add(&p.record, &journal, line);
                    Stored {
                        record: p.record,
                        new: true,
                    }
                });
                if let Some(slot) = out.get_mut(p.slot) {
                    *slot = Some(result);
                }
            }
        }
        Ok(out
            .into_iter()
            .map(|r| {
                r.unwrap_or_else(|| {
                    Err(ArchiveError::Damaged {
                        path: self.root.clone(),
                        reason: "a capture was left without an outcome".into(),
                    })
                })
            })
            .collect())
    }

    /// Appends the pending records (all at once, else one by one as far as
    /// they fit), syncs them, names their page JSON, journals their index
    /// lines; each pending capture's outcome. What fails after the append
    /// takes the batch's records back off the segment.
    /// Each pending capture's outcome: the byte its index line starts at
    /// in the journal.
    fn commit(
        &self,
        writer: &mut segment::Writer,
        pending: &mut [Pending],
    ) -> Vec<Result<u64, ArchiveError>> {
        let start = writer.len;
        let clock = Instant::now();
        let mut times = CommitTimes {
            commits: 1,
            ..CommitTimes::default()
        };
        let outcome = self.commit_timed(writer, pending, start, &mut times, clock);
        if let Ok(mut t) = self.times.lock() {
            t.append += times.append;
            t.sync += times.sync;
            t.name += times.name;
            t.commits += times.commits;
        }
        outcome
    }

    fn commit_timed(
        &self,
        writer: &mut segment::Writer,
        pending: &mut [Pending],
        start: u64,
        times: &mut CommitTimes,
        mut clock: Instant,
    ) -> Vec<Result<u64, ArchiveError>> {
        let mut lap = |into: &mut Duration| {
            *into += clock.elapsed();
            clock = Instant::now();
        };
        let mut outcome: Vec<Result<u64, ArchiveError>> = Vec::with_capacity(pending.len());
        let whole: Vec<u8> = pending
            .iter()
            .flat_map(|p| p.member.iter().copied())
            .collect();
        match writer.append(&self.root, &whole) {
            Ok(mut at) => {
                for p in pending.iter_mut() {
                    p.record.location.offset = at;
                    at += p.record.location.length;
                    outcome.push(Ok(0));
                }
            }
            // A full disk: store what fits.
            Err(first) => {
                let mut first = Some(first);
                for p in pending.iter_mut() {
                    match writer.append(&self.root, &p.member) {
                        Ok(at) => {
                            p.record.location.offset = at;
                            outcome.push(Ok(0));
                        }
                        Err(e) => outcome.push(Err(first.take().unwrap_or(e))),
                    }
                }
            }
        }
        lap(&mut times.append);
        if outcome.iter().all(Result::is_err) {
            return outcome;
        }
        let fail_all = |outcome: &mut Vec<Result<u64, ArchiveError>>,
                        writer: &mut segment::Writer,
                        e: ArchiveError| {
            let _ = writer.truncate(&self.root, start);
            let cause = crate::error::chain(&e);
            for o in outcome.iter_mut().filter(|o| o.is_ok()) {
                *o = Err(ArchiveError::Batch(cause.clone()));
            }
        };
        if let Err(e) = writer.sync(&self.root) {
            fail_all(&mut outcome, writer, e);
            return outcome;
        }
        lap(&mut times.sync);
        let mut staged = Staged::new(&self.root);
        for (p, o) in pending.iter_mut().zip(&outcome) {
            if o.is_err() {
                continue;
            }
            let staged_page = match p.page.take() {
                Some((path, PageBody::Unnamed(file))) => {
                    staged.add_unnamed(path, file, true);
                    Ok(())
                }
                Some((path, PageBody::Bytes(bytes))) => staged.add(path, &bytes, true),
                None => Ok(()),
            };
            if let Err(e) = staged_page {
                fail_all(&mut outcome, writer, e);
                return outcome;
            }
        }
        if let Err(e) = staged.commit() {
            fail_all(&mut outcome, writer, e);
            return outcome;
        }
        lap(&mut times.name);
        let mut lines = String::new();
        for (p, o) in pending.iter().zip(outcome.iter_mut()) {
            if let Ok(at) = o {
                *at = lines.len() as u64;
                lines.push_str(&index::line(&p.record));
            }
        }
        match writer.journal(&self.root, &lines) {
            Ok(start) => {
                for at in outcome.iter_mut().flatten() {
                    *at += start;
                }
            }
            Err(e) => fail_all(&mut outcome, writer, e),
        }
        lap(&mut times.sync);
        outcome
    }

    /// Every stored capture, URL by URL (sorted), oldest first per URL; of
    /// records of one capture (a repaired one), the last stored.
    pub fn list(&self, url: Option<&str>) -> Result<Vec<CaptureRecord>, ArchiveError> {
        let Some(url) = url else {
            return self.list_all();
        };
        let guard = self.cache()?;
        let Some(known) = guard.as_ref() else {
            return Ok(Vec::new());
        };
        let mut records = Vec::new();
        for e in known.entries(url) {
            let r = known.load(&e)?;
            if r.url == url {
                records.push(r);
            }
        }
        order(&mut records);
        Ok(records)
    }

    /// Every index line read, as it is on disk now.
    fn list_all(&self) -> Result<Vec<CaptureRecord>, ArchiveError> {
        let mut by_url: std::collections::BTreeMap<String, Vec<CaptureRecord>> =
            std::collections::BTreeMap::new();
        let mut seen: HashSet<(String, u64)> = HashSet::new();
        for path in segment::index_files(&self.root)? {
            known::each_line_from(&path, 0, |_, line| {
                let r = index::parse(line).map_err(|reason| ArchiveError::Damaged {
                    path: path.clone(),
                    reason,
                })?;
                if seen.insert((r.location.filename.clone(), r.location.offset)) {
                    by_url.entry(r.url.clone()).or_default().push(r);
                }
                Ok(())
            })?;
        }
        Ok(by_url
            .into_values()
            .flat_map(|mut records| {
                order(&mut records);
                records
            })
            .collect())
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
        // A sha256 names content: its first capture, not the revisits of it.
        let found = self
            .list(None)?
            .into_iter()
            .filter(|c| c.sha256.starts_with(&prefix) && c.record != RecordType::Revisit)
            .collect();
        one(reference, found)
    }

    /// Every stored capture of a page, oldest first per URL: the documents
    /// pages link to (`download_attachments`) left out, having no page JSON.
    pub fn list_pages(&self) -> Result<Vec<CaptureRecord>, ArchiveError> {
        let mut all = self.list(None)?;
        all.retain(|r| !r.attachment);
        Ok(all)
    }

    /// The capture whose payload a revisit repeats; the record itself otherwise.
    pub fn original(&self, record: &CaptureRecord) -> Result<CaptureRecord, ArchiveError> {
        if record.record != RecordType::Revisit {
            return Ok(record.clone());
        }
        let holds =
            |r: &CaptureRecord| r.sha256 == record.sha256 && r.record != RecordType::Revisit;
        if let Some(found) = self.list(Some(&record.url))?.into_iter().find(holds) {
            return Ok(found);
        }
        // A revisit of another URL (warcprox and pywb write them): the
        // payload is its original's wherever it was crawled.
        self.list(None)?
            .into_iter()
            .find(holds)
            .ok_or_else(|| ArchiveError::Damaged {
                path: segment::warcs(&self.root).join(&record.location.filename),
                reason: format!(
                    "the revisit of {} at {} refers to a capture that is not stored",
                    record.url, record.timestamp
                ),
            })
    }

    /// The stored page JSON of a capture (of a revisit: its original's, with
    /// the revisit's date).
    pub fn page(&self, record: &CaptureRecord) -> Result<Page, ArchiveError> {
        if record.attachment {
            return Err(ArchiveError::NotAPage(format!(
                "{}@{}",
                record.url, record.timestamp
            )));
        }
        let original = self.original(record)?;
        let path = self.page_path(&original.url, &original.timestamp, &original.sha256);
        let bytes = fs::read(&path).map_err(io(&path))?;
        let mut page: Page = serde_json::from_slice(&bytes).map_err(|e| ArchiveError::Damaged {
            path,
            reason: e.to_string(),
        })?;
        if record.record == RecordType::Revisit {
            page.source.timestamp = Some(record.timestamp);
            if record.status.is_some() {
                page.content.status = record.status;
            }
        }
        Ok(page)
    }

    /// One record as stored: its WARC headers and block, checked against the
    /// index (same URL, payload digest).
    pub fn record(&self, record: &CaptureRecord) -> Result<RecordBytes, ArchiveError> {
        let bytes = segment::read(&self.root, &record.location)?;
        let path = || segment::warcs(&self.root).join(&record.location.filename);
        let mut reader = warc::Reader::new(std::io::Cursor::new(bytes), false, u64::MAX);
        let rec = match reader.next_record() {
            Ok(Some(r)) => r,
            Ok(None) => {
                return Err(ArchiveError::Damaged {
                    path: path(),
                    reason: format!("no record at offset {}", record.location.offset),
                });
            }
            Err(e) => {
                return Err(ArchiveError::Damaged {
                    path: path(),
                    reason: format!("the record at offset {}: {e}", record.location.offset),
                });
            }
        };
        let target = rec
            .header("WARC-Target-URI")
            .unwrap_or("")
            .trim_matches(['<', '>']);
        if target != record.url {
            return Err(ArchiveError::Damaged {
                path: path(),
                reason: format!(
                    "the record at offset {} is of {target:?}, the index says {}",
                    record.location.offset, record.url
                ),
            });
        }
        Ok(RecordBytes {
            headers: rec.headers,
            block: rec.block,
        })
    }

    /// A record holding a payload (not a revisit), read once, its payload
    /// checked against its digest: the record and where the payload starts.
    fn checked(&self, original: &CaptureRecord) -> Result<(RecordBytes, usize), ArchiveError> {
        use sha2::Digest;
        let rec = self.record(original)?;
        let start = match original.record {
            RecordType::Response => http_body_start(&rec.block).unwrap_or(0),
            _ => 0,
        };
        let sha256 = data_encoding::HEXLOWER.encode(&sha2::Sha256::digest(&rec.block[start..]));
        if sha256 != original.sha256 {
            return Err(ArchiveError::Damaged {
                path: segment::warcs(&self.root).join(&original.location.filename),
                reason: format!(
                    "the payload at offset {} hashes to {sha256}, not {}",
                    original.location.offset, original.sha256
                ),
            });
        }
        Ok((rec, start))
    }

    /// The payload as received (the body, its Content-Encoding untouched),
    /// checked against its digest; a revisit's is its original's.
    pub fn payload(&self, record: &CaptureRecord) -> Result<Vec<u8>, ArchiveError> {
        let (mut rec, start) = self.checked(&self.original(record)?)?;
        Ok(rec.block.split_off(start))
    }

    /// The bytes to parse: the payload with its Content-Encoding undone,
    /// at most [`MAX_DECODED_BYTES`] of them.
    pub fn raw(&self, record: &CaptureRecord) -> Result<Vec<u8>, ArchiveError> {
        let original = self.original(record)?;
        let (mut rec, start) = self.checked(&original)?;
        let coding = warc::parse_http_head(&rec.block[..start])
            .and_then(|h| h.header("Content-Encoding").map(str::to_owned));
        let body = rec.block.split_off(start);
        match warc::decode_body(coding.as_deref(), &body, MAX_DECODED_BYTES) {
            Ok(std::borrow::Cow::Owned(decoded)) => Ok(decoded),
            Ok(std::borrow::Cow::Borrowed(_)) => Ok(body),
            Err(reason) => Err(ArchiveError::Damaged {
                path: segment::warcs(&self.root).join(&original.location.filename),
                reason,
            }),
        }
    }

    /// What was received, as it was: an HTTP answer's status line, headers
    /// and body; a document's bytes. A revisit's own head with its
    /// original's body.
    pub fn received(&self, record: &CaptureRecord) -> Result<Vec<u8>, ArchiveError> {
        let original = self.original(record)?;
        let block = self.record(&original)?.block;
        if record.record != RecordType::Revisit {
            return Ok(block);
        }
        let own = self.record(record)?.block;
        if own.is_empty() {
            return Ok(block);
        }
        let body = http_body_start(&block).map_or(&block[..], |i| &block[i..]);
        let mut out = own;
        out.extend_from_slice(body);
        Ok(out)
    }

    /// The record as written (uncompressed), for an export.
    pub fn record_bytes(&self, record: &CaptureRecord) -> Result<Vec<u8>, ArchiveError> {
        segment::read(&self.root, &record.location)
    }

    /// Whether a record reads back whole and matches its digest.
    fn check(&self, record: &CaptureRecord) -> Result<(), ArchiveError> {
        match record.record {
            RecordType::Revisit => self.record(record).map(drop),
            _ => self.checked(record).map(drop),
        }
    }

    /// Rewrites the page JSON of one capture (after the extractor improved).
    pub fn rewrite_page(
        &self,
        _lock: &Lock,
        record: &CaptureRecord,
        page: &Page,
    ) -> Result<(), ArchiveError> {
        let path = self.page_path(&record.url, &record.timestamp, &record.sha256);
        let mut staged = Staged::new(&self.root);
        staged.add(path, &pretty(page)?, true)?;
        staged.commit()
    }

    /// The page JSON file of one capture: one file per capture in its
    /// host's folder, a URL's captures side by side (no folder per URL: a
    /// migration of 10,000 URLs made 10,000 folders, a fifth of its time).
    pub fn page_path(&self, url: &str, timestamp: &Timestamp, sha256: &str) -> PathBuf {
        let (host, slug) = url_key(url);
        let name = format!(
            "{slug}.{timestamp}-{}.json",
            sha256.get(..12).unwrap_or(sha256)
        );
        self.root.join("pages").join(host).join(name)
    }
}

fn is_journal(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "open")
}

/// The whole lines of an index file: a journal's torn last line is left out.
fn index_lines(path: &Path) -> Result<Vec<String>, ArchiveError> {
    let mut lines = Vec::new();
    known::each_line_from(path, 0, |_, line| {
        lines.push(line.to_owned());
        Ok(())
    })?;
    Ok(lines)
}

/// Oldest first, and of one capture's records the order they were stored in.
fn order_stored(records: &mut [CaptureRecord]) {
    records.sort_by(|a, b| {
        (
            &a.timestamp,
            &a.sha256,
            &a.stored_at,
            &a.location.filename,
            a.location.offset,
        )
            .cmp(&(
                &b.timestamp,
                &b.sha256,
                &b.stored_at,
                &b.location.filename,
                b.location.offset,
            ))
    });
}

/// Oldest first; of two records of one capture (URL, date, payload), the
/// later stored (a repair) stands.
fn order(records: &mut Vec<CaptureRecord>) {
    order_stored(records);
    let mut i = records.len();
    while i > 1 {
        i -= 1;
        let (a, b) = (&records[i - 1], &records[i]);
        if a.timestamp == b.timestamp && a.sha256 == b.sha256 && a.record == b.record {
            records.remove(i - 1);
        }
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
            kind: SourceKind::Wayback,
            original_url: None,
        }
    }

    fn http(body: &[u8]) -> Received {
        Received::Http {
            status_line: "HTTP/1.1 200 OK".into(),
            headers: vec![
                (
                    "Content-Type".into(),
                    "text/html; charset=iso-8859-1".into(),
                ),
                (
                    "Last-Modified".into(),
                    "Mon, 26 Apr 2010 09:35:12 GMT".into(),
                ),
            ],
            body: body.to_vec(),
        }
    }

    fn stored(a: &Archive, raw: &[u8], url: &str, ts: &str) -> Stored {
        let page = parse_page(raw, &ParseOptions::default()).expect("parses");
        let lock = a.lock().expect("lock");
        let s = a
            .store(&lock, http(raw), &page, meta(url, ts))
            .expect("store");
        drop(lock);
        a.finish().expect("finish");
        s
    }

    #[test]
    fn what_was_received_comes_back_as_it_was() {
        let a = Archive::open(&temp()).expect("open");
        let raw = b"<html><body><h1>K\xf6p</h1></body></html>";
        let s = stored(&a, raw, "http://x.se/a", "20100426093512");
        assert_eq!(s.record.record, RecordType::Response);
        assert_eq!(s.record.status, Some(200));
        assert_eq!(a.raw(&s.record).expect("raw"), raw);
        let received = a.received(&s.record).expect("received");
        assert!(received.starts_with(b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=iso-8859-1\r\nLast-Modified: Mon, 26 Apr 2010"));
        assert!(received.ends_with(raw));
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
    fn the_same_bytes_again_are_a_revisit_and_a_revert_keeps_its_date() {
        let a = Archive::open(&temp()).expect("open");
        let (one, two) = (
            b"<html><body><h1>Ett</h1></body></html>".as_slice(),
            b"<html><body><h1>Tva</h1></body></html>".as_slice(),
        );
        let first = stored(&a, one, "http://x.se/a", "20100101000000");
        stored(&a, two, "http://x.se/a", "20110101000000");
        let back = stored(&a, one, "http://x.se/a", "20120101000000");
        assert!(back.new);
        assert_eq!(back.record.record, RecordType::Revisit);
        // A re-run stores nothing.
        assert!(!stored(&a, one, "http://x.se/a", "20120101000000").new);
        let listed = a.list(Some("http://x.se/a")).expect("list");
        let kinds: Vec<RecordType> = listed.iter().map(|r| r.record).collect();
        assert_eq!(
            kinds,
            [
                RecordType::Response,
                RecordType::Response,
                RecordType::Revisit
            ]
        );
        // The revisit reads as its original, with its own date.
        let page = a.page(&back.record).expect("page");
        assert_eq!(page.title.as_deref(), Some("Ett"));
        assert_eq!(page.source.timestamp, Some(back.record.timestamp));
        assert_eq!(a.raw(&back.record).expect("raw"), one);
        // A sha256 names the content: its first capture.
        assert_eq!(
            a.resolve(&first.record.sha256).expect("by sha").timestamp,
            first.record.timestamp
        );
        // Another URL with the same bytes keeps its own record.
        let other = stored(&a, one, "http://x.se/b", "20100101000000");
        assert_eq!(other.record.record, RecordType::Response);
        // The index survives a new process: read back from the files.
        let again = Archive::open(a.root()).expect("open");
        assert_eq!(again.list(None).expect("list").len(), 4);
    }

    #[test]
    fn a_reference_naming_two_captures_of_one_second_is_ambiguous() {
        let a = Archive::open(&temp()).expect("open");
        let one = stored(&a, b"<h1>Ett</h1>", "http://x.se/a", "20110315120000");
        let two = stored(&a, b"<h1>Tv\xe5</h1>", "http://x.se/a", "20110315120000");
        assert!(one.new && two.new);
        let err = a.resolve("http://x.se/a@20110315120000");
        assert!(matches!(err, Err(ArchiveError::Ambiguous { count: 2, .. })));
        let text = err.err().map(|e| e.to_string()).unwrap_or_default();
        for s in [&one, &two] {
            assert!(text.contains(&s.record.sha256[..16]), "{text}");
        }
    }

    #[test]
    fn a_url_with_a_line_break_is_refused() {
        let page = parse_page(b"<h1>x</h1>", &ParseOptions::default()).expect("parses");
        for url in ["http://x.se/a\r\nWARC-Type: metadata", "http://x.se/\u{7}"] {
            let err = Capture::new(http(b"<h1>x</h1>"), &page, meta(url, "20100101000000"));
            assert!(matches!(err, Err(ArchiveError::BadUrl(_))), "{url:?}");
        }
    }

    #[test]
    fn a_local_file_is_a_resource_record() {
        let a = Archive::open(&temp()).expect("open");
        let raw = b"<html><h1>Lokal</h1></html>";
        let page = parse_page(raw, &ParseOptions::default()).expect("parses");
        let lock = a.lock().expect("lock");
        let received = Received::Document {
            content_type: "text/html".into(),
            body: raw.to_vec(),
        };
        let s = a
            .store(
                &lock,
                received,
                &page,
                meta("file:///tmp/lokal.html", "20100101000000"),
            )
            .expect("store");
        assert_eq!(
            (s.record.record, s.record.status),
            (RecordType::Resource, None)
        );
        assert_eq!(a.received(&s.record).expect("received"), raw);
        let rec = a.record(&s.record).expect("record");
        assert!(
            rec.headers
                .iter()
                .any(|(k, v)| k == "WARC-Type" && v == "resource")
        );
    }

    #[test]
    fn a_killed_writer_leaves_an_archive_the_next_lock_settles() {
        let dir = temp();
        let a = Archive::open(&dir).expect("open");
        let s = stored(&a, b"<h1>Kvar</h1>", "http://x.se/a", "20100101000000");
        // A writer killed mid-batch: its journal has a whole line and a torn
        // one, its segment a torn record after the last indexed one.
        let lock = a.lock().expect("lock");
        let page = parse_page(b"<h1>Halv</h1>", &ParseOptions::default()).expect("parses");
        a.store(
            &lock,
            http(b"<h1>Halv</h1>"),
            &page,
            meta("http://x.se/b", "20100101000000"),
        )
        .expect("store");
        // Killed: the writer's files close without it settling its journal.
        let writer = a.writer.lock().expect("writer").take().expect("a writer");
        let segment_name = writer.name.clone();
        drop(writer);
        drop(lock);
        let journal = segment::indexes(&dir).join(format!("{segment_name}.cdxj.open"));
        let mut text = fs::read(&journal).expect("journal");
        text.extend_from_slice(b"se,x)/c 2010 {\"url\":");
        fs::write(&journal, text).expect("torn line");
        let seg = segment::warcs(&dir).join(&segment_name);
        let before = fs::metadata(&seg).expect("segment").len();
        let mut bytes = fs::read(&seg).expect("segment");
        bytes.extend_from_slice(&[0x1f, 0x8b, 8, 0, 1, 2, 3]);
        fs::write(&seg, bytes).expect("torn tail");
        // Readers meanwhile see the whole lines only.
        let reader = Archive::open(&dir).expect("open");
        assert_eq!(reader.list(None).expect("list").len(), 2);
        // The next lock holder settles it.
        let b = Archive::open(&dir).expect("open");
        let lock = b.lock().expect("lock");
        assert!(!journal.exists(), "the journal is settled");
        assert_eq!(
            fs::metadata(&seg).expect("segment").len(),
            before,
            "torn tail cut"
        );
        assert!(segment::index_path(&dir, &segment_name).exists());
        assert_eq!(b.list(None).expect("list").len(), 2);
        for r in b.list(None).expect("list") {
            assert!(b.check(&r).is_ok(), "{r:?}");
        }
        assert!(b.check(&s.record).is_ok());
        drop(lock);
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
}
