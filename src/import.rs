//! The one-off migration of old pages into the archive (`sidarkiv import`,
//! whose CLI only prints the lines this hands it).
//!
//! A producer walks the inputs lazily (WARC records are read one at a time),
//! workers on every core parse, and this thread stores what they parsed in
//! group commits; memory holds a bounded queue, not the input.

use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use thiserror::Error;

use crate::archive::arc;
use crate::archive::warc::{self, Reader};
use crate::archive::{Archive, ArchiveError, Received, StoreMeta};
use crate::model::SourceKind;
use crate::{ParseOptions, Timestamp, parse_page};

/// What an import may do per page.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The pages' URL when a page does not name its own.
    pub url: Option<String>,
    pub max_body_bytes: u64,
    pub page_time_budget: std::time::Duration,
}

/// What an import did: pages stored and failed, and the first failure.
#[derive(Debug, Default)]
pub struct Imported {
    pub ok: usize,
    pub failed: usize,
    pub first_failure: Option<String>,
}

#[derive(Debug, Error)]
pub enum ImportError {
    /// The caller's line writer failed (stdout closed: `import … | head -1`).
    #[error("cannot write the import's lines")]
    Output(#[source] std::io::Error),
    #[error("cannot close the archive's segment")]
    Finish(#[source] ArchiveError),
}

/// One page to parse.
enum Job {
    File(PathBuf),
    /// A page's WARC record, whole: it is stored byte for byte.
    Record {
        input: String,
        head: Vec<u8>,
        block: Vec<u8>,
        url: String,
        timestamp: Option<Timestamp>,
        content_type: Option<String>,
        /// `WARC-Truncated`: why the crawler cut the record short.
        truncated: Option<String>,
    },
    /// A revisit record: stored byte for byte once its original is found
    /// (earlier in the inputs, or in the archive).
    Revisit(Revisit),
    Failed {
        input: String,
        reason: String,
    },
    /// An input file is read through: what it held, for its summary line.
    Input(InputSummary),
}

/// A revisit record as read, with what finds its original.
struct Revisit {
    input: String,
    url: String,
    timestamp: Option<Timestamp>,
    /// `WARC-Payload-Digest`: the original's payload digest.
    digest: String,
    /// `WARC-Refers-To-Target-URI`, for a revisit of another URL.
    refers_to: Option<String>,
    head: Vec<u8>,
    block: Vec<u8>,
}

/// The `"type": "input"` line of one input file, written once all its
/// pages are.
#[derive(Debug)]
struct InputSummary {
    input: String,
    format: &'static str,
    /// Records read (WARC, ARC, the WARCs in a WACZ), damaged ones
    /// included, or 1 (an HTML file).
    records: usize,
    /// Records passed over, by why: their WARC-Type (`warcinfo`,
    /// `request`, `metadata`, …), `not_http` or `not_html`.
    skipped: std::collections::BTreeMap<&'static str, usize>,
    /// Page lines this input gave: jobs sent for it.
    jobs: usize,
}

/// Which input file a job or its outcome came from.
type Source = usize;
/// A job's place in the order the inputs hold them.
type Seq = u64;

enum Done {
    Ok {
        input: String,
        capture: Box<crate::archive::Capture>,
        warnings: Vec<String>,
    },
    Err {
        input: String,
        reason: String,
    },
    Revisit(Revisit),
    Input(InputSummary),
}

/// Captures stored in one group commit at most.
const BATCH_MAX: usize = 256;
/// How long a group commit waits to fill up. Each commit costs three
/// barriers (syncfs); committing whatever happened to be parsed meanwhile made
/// batches of a few pages and the barriers the bottleneck.
const BATCH_WAIT: std::time::Duration = std::time::Duration::from_millis(250);

const HTML_EXTENSIONS: &[&str] = &["html", "htm", "xhtml", "shtml", "asp", "aspx", "php", "jsp"];

fn is_html(path: &Path) -> bool {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .is_some_and(|e| HTML_EXTENSIONS.contains(&e.as_str()))
}

/// Imports HTML files, folders (recursively) and WARC files into
/// `archive`, handing each JSON line (`"type": "page"` per page, `"type":
/// "input"` per input file) to `on_line` as its group commit ends. A
/// producer walks the inputs lazily, workers on every core parse, and this
/// thread stores what they parsed.
pub fn import(
    archive: &Archive,
    paths: &[PathBuf],
    opts: &ImportOptions,
    mut on_line: impl FnMut(&serde_json::Value) -> std::io::Result<()>,
) -> Result<Imported, ImportError> {
    let max_body = opts.max_body_bytes;
    let limits = Limits {
        max_body,
        budget: opts.page_time_budget,
    };
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let (job_tx, job_rx) = sync_channel::<(Seq, Source, Job)>(workers * 4);
    let plan = plan();
    let (done_tx, done_rx) = sync_channel::<(Seq, Source, Done)>(plan.queue);
    // Jobs out and not yet committed: what waits for an earlier one is bounded.
    let (permit_tx, permit_rx) = sync_channel::<()>(plan.queue);
    let job_rx = Arc::new(Mutex::new(job_rx));
    let (mut ok, mut failed) = (0usize, 0usize);
    let mut first_failure: Option<String> = None;
    let stages = Stages::default();
    let started = std::time::Instant::now();
    let result: Result<(), ImportError> = std::thread::scope(|s| {
        // Every channel end is owned by the thread that uses it, so that when
        // this loop stops early (stdout closed: `import … | head -1`) the
        // receivers drop, the workers' sends fail, and the producer's after
        // them: the scope ends instead of waiting for threads that wait for it.
        let (job_rx, done_rx, permit_rx) = (job_rx, done_rx, permit_rx);
        s.spawn(move || {
            let jobs = Jobs {
                tx: job_tx,
                permits: permit_tx,
                seq: std::cell::Cell::new(0),
            };
            produce(paths, max_body, &jobs);
        });
        for _ in 0..workers {
            let (rx, tx, url) = (job_rx.clone(), done_tx.clone(), opts.url.clone());
            let archive = plan.prepare.then_some(archive);
            let stages = &stages;
            s.spawn(move || work(&rx, &tx, url.as_deref(), limits, archive, stages));
        }
        drop((job_rx, done_tx));
        let mut per_input = Inputs::default();
        let mut order = InOrder::new(done_rx, permit_rx);
        // Group commit: what is parsed within BATCH_WAIT is stored together,
        // in the inputs' order.
        while let Some(first) = order.next(None) {
            let deadline = std::time::Instant::now() + BATCH_WAIT;
            let mut batch = vec![first];
            while batch.len() < plan.batch {
                match order.next(Some(deadline)) {
                    Some(d) => batch.push(d),
                    None => break,
                }
            }
            // One line per item, in the inputs' order; a stored page's line
            // is filled in once its commit ends.
            let mut lines: Vec<Option<serde_json::Value>> = Vec::with_capacity(batch.len());
            let (mut inputs, mut captures) = (Vec::new(), Vec::new());
            let mut fail =
                |source: Source, input: String, reason: String, per_input: &mut Inputs| {
                    failed += 1;
                    per_input.page(source, false);
                    first_failure.get_or_insert_with(|| format!("{input}: {reason}"));
                    json!({"type": "page", "input": input, "status": "error", "reason": reason})
                };
            for (source, done) in batch {
                let parsed = match done {
                    Done::Ok {
                        input,
                        capture,
                        warnings,
                    } => Ok((input, *capture, warnings)),
                    Done::Revisit(r) => {
                        resolve(archive, &captures, r).map(|(i, c)| (i, c, Vec::new()))
                    }
                    Done::Err { input, reason } => Err((input, reason)),
                    Done::Input(summary) => {
                        per_input.summary(source, summary);
                        continue;
                    }
                };
                match parsed {
                    Ok((input, capture, warnings)) => {
                        inputs.push((source, input, warnings, lines.len()));
                        captures.push(capture);
                        lines.push(None);
                    }
                    Err((input, reason)) => {
                        lines.push(Some(fail(source, input, reason, &mut per_input)))
                    }
                }
            }
            // The lock is held per batch, so that two imports share the
            // archive; each appends to its own segment.
            let stored = if captures.is_empty() {
                Ok(Vec::new())
            } else {
                archive
                    .lock()
                    .and_then(|lock| archive.store_each(&lock, captures))
            };
            // Per capture: on a full disk, what fits is stored.
            let stored: Vec<Result<_, String>> = match stored {
                Ok(each) => each
                    .into_iter()
                    .map(|r| r.map_err(|e| crate::error::chain(&e)))
                    .collect(),
                Err(e) => {
                    let reason = crate::error::chain(&e);
                    inputs.iter().map(|_| Err(reason.clone())).collect()
                }
            };
            for ((source, input, warnings, slot), stored) in inputs.into_iter().zip(stored) {
                lines[slot] = Some(match stored {
                    Ok(stored) => {
                        ok += 1;
                        per_input.page(source, true);
                        json!({"type": "page", "input": input, "status": "ok", "url": stored.record.url, "timestamp": stored.record.timestamp,
                               "sha256": stored.record.sha256, "record": stored.record.record, "new": stored.new, "warnings": warnings})
                    }
                    Err(e) => fail(source, input, format!("cannot store: {e}"), &mut per_input),
                });
            }
            let mut lines: Vec<serde_json::Value> = lines.into_iter().flatten().collect();
            lines.extend(per_input.finished());
            for line in &lines {
                on_line(line).map_err(ImportError::Output)?;
            }
        }
        archive.finish().map_err(ImportError::Finish)
    });
    let commits = archive.commit_times();
    tracing::info!(
        "import: {ok} stored, {failed} failed in {:.2} s; worker CPU (all threads): parse {:.2} s, compress {:.2} s, write page JSON {:.2} s; {} commits (wall): append {:.2} s, sync {:.2} s, name page JSON {:.2} s",
        started.elapsed().as_secs_f64(),
        stages.parse.secs(),
        stages.compress.secs(),
        stages.write.secs(),
        commits.commits,
        commits.append.as_secs_f64(),
        commits.sync.as_secs_f64(),
        commits.name.as_secs_f64(),
    );
    result?;
    Ok(Imported {
        ok,
        failed,
        first_failure,
    })
}

/// The workers' results in the order of their jobs, whatever order they
/// finish in; each one handed on gives its job's permit back.
struct InOrder {
    rx: Receiver<(Seq, Source, Done)>,
    permits: Receiver<()>,
    waiting: std::collections::BTreeMap<Seq, (Source, Done)>,
    next: Seq,
}

impl InOrder {
    fn new(rx: Receiver<(Seq, Source, Done)>, permits: Receiver<()>) -> InOrder {
        InOrder {
            rx,
            permits,
            waiting: Default::default(),
            next: 0,
        }
    }

    /// The next result in order; `None` when all are handed on, or when
    /// `deadline` passes first.
    fn next(&mut self, deadline: Option<std::time::Instant>) -> Option<(Source, Done)> {
        loop {
            if let Some(found) = self.waiting.remove(&self.next) {
                self.next += 1;
                // The producer may be done: then no permit is waited for.
                let _ = self.permits.try_recv();
                return Some(found);
            }
            let got = match deadline {
                None => self.rx.recv().ok(),
                Some(d) => {
                    let left = d.saturating_duration_since(std::time::Instant::now());
                    self.rx.recv_timeout(left).ok()
                }
            };
            match got {
                Some((seq, source, done)) => {
                    self.waiting.insert(seq, (source, done));
                }
                // Every job gets a result, so a gap means a worker is gone:
                // what is left goes on in order.
                None if deadline.is_none() => {
                    let (&seq, _) = self.waiting.iter().next()?;
                    self.next = seq;
                }
                None => return None,
            }
        }
    }
}

/// An imported revisit record with its original found: earlier in this
/// batch, or in the archive (earlier in the inputs, or stored before). A
/// revisit of another URL is looked for under `WARC-Refers-To-Target-URI`.
fn resolve(
    archive: &Archive,
    batch: &[crate::archive::Capture],
    r: Revisit,
) -> Result<(String, crate::archive::Capture), (String, String)> {
    let Some(key) = PayloadKey::parse(&r.digest) else {
        let reason = format!(
            "a revisit whose payload digest {:?} is not SHA-1 or SHA-256",
            r.digest
        );
        return Err((r.input, reason));
    };
    let Some(timestamp) = r.timestamp else {
        return Err((r.input, "a revisit without a WARC-Date".into()));
    };
    let urls: Vec<&str> = r
        .refers_to
        .iter()
        .map(String::as_str)
        .chain([r.url.as_str()])
        .collect();
    let in_batch = urls.iter().find_map(|u| {
        batch
            .iter()
            .rev()
            .find(|c| c.url() == *u && !c.is_revisit() && key.matches(c.sha1(), c.sha256()))
            .map(|c| (c.sha256().to_owned(), c.sha1().to_owned()))
    });
    let found = match in_batch {
        Some(found) => Some(found),
        None => {
            let mut found = None;
            for u in &urls {
                let listed = archive
                    .list(Some(u))
                    .map_err(|e| (r.input.clone(), crate::error::chain(&e)))?;
                if let Some(o) = listed.into_iter().find(|c| {
                    c.record != crate::archive::RecordType::Revisit
                        && key.matches(&c.sha1, &c.sha256)
                }) {
                    found = Some((o.sha256, o.sha1));
                    break;
                }
            }
            found
        }
    };
    let Some((sha256, sha1)) = found else {
        let reason = format!(
            "a revisit of {} (payload {}) whose original is neither earlier in the inputs nor in the archive; import the file holding it first",
            r.refers_to.as_deref().unwrap_or(&r.url),
            r.digest
        );
        return Err((r.input, reason));
    };
    let meta = StoreMeta {
        url: r.url,
        timestamp,
        kind: SourceKind::Warc,
        original_url: None,
    };
    match crate::archive::Capture::copied_revisit(r.head, r.block, sha256, sha1, meta) {
        Ok(c) => Ok((r.input, c)),
        Err(e) => Err((r.input, e.to_string())),
    }
}

/// A payload digest as a WARC header writes it (`sha1:BASE32`, `sha256:…`
/// in hex or base32), in the forms the archive keeps.
enum PayloadKey {
    Sha1(String),
    Sha256(String),
}

impl PayloadKey {
    fn parse(digest: &str) -> Option<PayloadKey> {
        let (algo, value) = digest.trim().split_once(':')?;
        let value = value.trim();
        match algo.to_ascii_lowercase().as_str() {
            "sha1" if value.len() == 40 => {
                let bytes = data_encoding::HEXLOWER_PERMISSIVE
                    .decode(value.as_bytes())
                    .ok()?;
                Some(PayloadKey::Sha1(data_encoding::BASE32.encode(&bytes)))
            }
            "sha1" => Some(PayloadKey::Sha1(value.to_ascii_uppercase())),
            "sha256" if value.len() == 64 => Some(PayloadKey::Sha256(value.to_ascii_lowercase())),
            "sha256" => {
                let bytes = data_encoding::BASE32
                    .decode(value.to_ascii_uppercase().as_bytes())
                    .ok()?;
                Some(PayloadKey::Sha256(data_encoding::HEXLOWER.encode(&bytes)))
            }
            _ => None,
        }
    }

    fn matches(&self, sha1: &str, sha256: &str) -> bool {
        match self {
            PayloadKey::Sha1(v) => v == sha1,
            PayloadKey::Sha256(v) => v == sha256,
        }
    }
}

/// The inputs whose pages are still being parsed and stored, so that each
/// input's summary line follows its last page line.
#[derive(Default)]
struct Inputs {
    /// Per input: its summary once the producer is through it, pages done, ok.
    open: std::collections::HashMap<Source, (Option<InputSummary>, usize, usize)>,
}

impl Inputs {
    fn page(&mut self, source: Source, ok: bool) {
        let entry = self.open.entry(source).or_default();
        entry.1 += 1;
        entry.2 += usize::from(ok);
    }

    fn summary(&mut self, source: Source, summary: InputSummary) {
        self.open.entry(source).or_default().0 = Some(summary);
    }

    /// The summary lines of the inputs all of whose pages are done, in input order.
    fn finished(&mut self) -> Vec<serde_json::Value> {
        let mut done: Vec<Source> = self
            .open
            .iter()
            .filter(|(_, (s, pages, _))| s.as_ref().is_some_and(|s| s.jobs == *pages))
            .map(|(k, _)| *k)
            .collect();
        done.sort_unstable();
        done.into_iter()
            .filter_map(|k| {
                let (summary, pages, ok) = self.open.remove(&k)?;
                let summary = summary?;
                Some(json!({
                    "type": "input",
                    "input": summary.input,
                    "format": summary.format,
                    "records": summary.records,
                    "pages_ok": ok,
                    "pages_failed": pages - ok,
                    "skipped": summary.skipped,
                }))
            })
            .collect()
    }
}

/// How parsed captures wait for a commit, within the process's descriptor
/// limit (raised to its hard limit first). A file being committed holds a
/// descriptor until the commit ends: three per capture (object, page JSON,
/// index). With enough descriptors the workers also write each capture's
/// files themselves ([`Archive::prepare`]), so each waiting capture holds two
/// more, and the queue has room for two batches, so that workers keep
/// parsing while one is committed. With fewer, captures wait as bytes and
/// batches shrink to fit.
struct Plan {
    queue: usize,
    batch: usize,
    prepare: bool,
}

fn plan() -> Plan {
    const SPARE: usize = 64;
    let limit = fd_limit();
    let queue = 2 * BATCH_MAX;
    if limit >= 2 * queue + 3 * BATCH_MAX + SPARE {
        return Plan {
            queue,
            batch: BATCH_MAX,
            prepare: true,
        };
    }
    let batch = (limit.saturating_sub(SPARE) / 3).clamp(1, BATCH_MAX);
    Plan {
        queue: batch.min(BATCH_MAX / 2),
        batch,
        prepare: false,
    }
}

#[cfg(target_os = "linux")]
fn fd_limit() -> usize {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let mut lim = getrlimit(Resource::Nofile);
    // `None` is unlimited; ask for at most 65,536 either way.
    let want = lim.maximum.unwrap_or(u64::MAX).min(1 << 16);
    if lim.current.is_some_and(|cur| cur < want) {
        let raised = Rlimit {
            current: Some(want),
            maximum: lim.maximum,
        };
        if setrlimit(Resource::Nofile, raised).is_ok() {
            lim = raised;
        }
    }
    lim.current
        .map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX))
}

#[cfg(not(target_os = "linux"))]
fn fd_limit() -> usize {
    1024
}

/// Walks the inputs lazily and hands out one job per page, then one
/// summary per input file; archive records are read here, one at a time, so
/// memory stays flat.
fn produce(paths: &[PathBuf], max_body: u64, jobs: &Jobs) {
    let mut p = Producer {
        next: 0,
        max_body,
        jobs,
    };
    for path in paths {
        if !path.is_dir() {
            // Named on the command line: read as given (`-`, a FIFO from
            // process substitution), its format told by its bytes.
            if !p.input(path) {
                return;
            }
            continue;
        }
        for entry in walkdir::WalkDir::new(path)
            .follow_links(true)
            .sort_by_file_name()
        {
            let sent = match entry {
                Ok(e) if e.file_type().is_dir() => true,
                Ok(e) => {
                    let wanted = is_html(e.path()) || archive_name(e.path()).is_some();
                    let kind = e.file_type();
                    if kind.is_file() && wanted {
                        p.input(e.path())
                    } else if !kind.is_file() && wanted {
                        p.failed(
                            e.path(),
                            "not a regular file (a FIFO, socket or device): not read".into(),
                        )
                    } else {
                        true
                    }
                }
                // walkdir names a symlink loop and the path it came back to.
                Err(e) => {
                    let at = e.path().unwrap_or(path).to_path_buf();
                    p.failed(&at, e.to_string())
                }
            };
            if !sent {
                return;
            }
        }
    }
}

/// The job channel, numbering what it sends: the importer commits in that
/// order, whatever order the workers finish in, so that the same inputs
/// give the same archive every time, and a revisit record finds its
/// original already stored. Each job first takes a permit, given back
/// when it is committed: parsed captures waiting for an earlier one are
/// bounded by the permits.
struct Jobs {
    tx: SyncSender<(Seq, Source, Job)>,
    permits: SyncSender<()>,
    seq: std::cell::Cell<Seq>,
}

impl Jobs {
    /// False when the importer is gone.
    fn send(&self, source: Source, job: Job) -> bool {
        if self.permits.send(()).is_err() {
            return false;
        }
        let seq = self.seq.get();
        self.seq.set(seq + 1);
        self.tx.send((seq, source, job)).is_ok()
    }
}

/// Numbers the inputs and sends their jobs; each method returns false
/// when the workers are gone.
struct Producer<'a> {
    next: Source,
    max_body: u64,
    jobs: &'a Jobs,
}

impl Producer<'_> {
    fn source(&mut self) -> Source {
        self.next += 1;
        self.next - 1
    }

    fn input(&mut self, path: &Path) -> bool {
        let source = self.source();
        read_input(source, path, self.max_body, self.jobs)
    }

    /// An input that could not be read at all: its error line and its summary.
    fn failed(&mut self, path: &Path, reason: String) -> bool {
        let source = self.source();
        fail_input(source, path.display().to_string(), reason, self.jobs)
    }
}

fn fail_input(source: Source, input: String, reason: String, jobs: &Jobs) -> bool {
    jobs.send(
        source,
        Job::Failed {
            input: input.clone(),
            reason,
        },
    ) && jobs.send(source, Job::Input(summary(input, "unknown", 0, 1)))
}

fn summary(input: String, format: &'static str, records: usize, jobs: usize) -> InputSummary {
    InputSummary {
        input,
        format,
        records,
        skipped: Default::default(),
        jobs,
    }
}

/// The archive formats read, by name (for walking folders).
fn archive_name(path: &Path) -> Option<&'static str> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    if name.ends_with(".warc") {
        Some("warc")
    } else if name.ends_with(".arc") {
        Some("arc")
    } else if name.ends_with(".wacz") {
        Some("wacz")
    } else {
        None
    }
}

/// What a file holds, told by its first bytes (through gzip), not its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Warc { gz: bool },
    Arc { gz: bool },
    Wacz,
    Html,
}

impl Format {
    fn label(self) -> &'static str {
        match self {
            Format::Warc { .. } => "warc",
            Format::Arc { .. } => "arc",
            Format::Wacz => "wacz",
            Format::Html => "html",
        }
    }
}

/// Reads the start of `file` (and rewinds it) to tell its format; gzip of
/// something else is a WARC when `named_archive` (its reader then names
/// what it finds), else a document (which the parser refuses as gzip).
fn sniff(file: &mut std::fs::File, named_archive: bool) -> std::io::Result<Format> {
    use std::io::{Read, Seek};
    let mut head = Vec::with_capacity(64);
    file.by_ref().take(64).read_to_end(&mut head)?;
    file.seek(std::io::SeekFrom::Start(0))?;
    let gz = head.starts_with(&[0x1f, 0x8b]);
    let start = if gz {
        let mut out = Vec::with_capacity(16);
        // A short read of a damaged member still shows its first bytes.
        let _ = flate2::read::GzDecoder::new(&mut *file)
            .take(16)
            .read_to_end(&mut out);
        file.seek(std::io::SeekFrom::Start(0))?;
        out
    } else {
        head.clone()
    };
    Ok(if start.starts_with(b"WARC/") {
        Format::Warc { gz }
    } else if start.starts_with(b"filedesc://") {
        Format::Arc { gz }
    } else if head.starts_with(b"PK\x03\x04") {
        Format::Wacz
    } else if gz && named_archive {
        Format::Warc { gz }
    } else {
        Format::Html
    })
}

/// One input file's jobs and summary; false when the workers are gone.
fn read_input(source: Source, path: &Path, max_body: u64, jobs: &Jobs) -> bool {
    let name = path.display().to_string();
    // A FIFO or a device is not opened for sniffing (that would consume it):
    // an HTML file read as a whole by the worker.
    let regular = std::fs::metadata(path).is_ok_and(|m| m.is_file());
    let named = archive_name(path);
    let opened = if regular {
        std::fs::File::open(path).and_then(|mut f| Ok((sniff(&mut f, named.is_some())?, Some(f))))
    } else {
        Ok((Format::Html, None))
    };
    let (format, file) = match opened {
        Ok(found) => found,
        Err(e) => return fail_input(source, name, format!("cannot read: {e}"), jobs),
    };
    if let (Format::Html, Some(kind), Some(_)) = (format, named, &file) {
        let reason = format!(
            "named like a {} file, but its bytes are not one (no WARC/ version line, no ARC filedesc, no zip)",
            kind.to_ascii_uppercase()
        );
        return fail_input(source, name, reason, jobs);
    }
    let file = match (format, file) {
        (Format::Html, _) | (_, None) => {
            return jobs.send(source, Job::File(path.to_path_buf()))
                && jobs.send(source, Job::Input(summary(name, "html", 1, 1)));
        }
        (_, Some(file)) => file,
    };
    let mut reading = Reading {
        source,
        jobs,
        max_body,
        done: summary(name.clone(), format.label(), 0, 0),
        pages: 0,
    };
    let mut go_on = match format {
        Format::Warc { gz } | Format::Arc { gz } => {
            let records = Records::open(format, file, gz, max_body, &name);
            reading.records(records, &name)
        }
        Format::Wacz => read_wacz(&mut reading, path, file),
        Format::Html => true,
    };
    if go_on && reading.pages == 0 && reading.done.jobs == 0 {
        go_on = reading.send(Job::Failed {
            input: name,
            reason: format!(
                "no HTML response, resource or revisit records in this {}",
                format.label().to_ascii_uppercase()
            ),
        });
    }
    go_on && jobs.send(source, Job::Input(reading.done))
}

/// A record reader of either format.
enum Records {
    Warc(Reader),
    Arc(arc::Reader),
}

impl Records {
    fn open(
        format: Format,
        read: impl std::io::Read + Send + 'static,
        gz: bool,
        max_body: u64,
        name: &str,
    ) -> Records {
        let max_block = max_body.saturating_add(64 * 1024);
        match format {
            Format::Arc { .. } => Records::Arc(arc::Reader::new(read, gz, max_block, name)),
            _ => Records::Warc(Reader::new(read, gz, max_block)),
        }
    }

    fn next_record(&mut self) -> std::io::Result<Option<warc::Record>> {
        match self {
            Records::Warc(r) => r.next_record(),
            Records::Arc(r) => r.next_record(),
        }
    }
}

/// One input file being read: its summary so far and where its jobs go.
struct Reading<'a> {
    source: Source,
    jobs: &'a Jobs,
    max_body: u64,
    done: InputSummary,
    pages: usize,
}

/// Damaged records in a row after which a file is given up: the reader
/// is not finding records any more.
const MAX_DAMAGED_IN_A_ROW: usize = 100;

impl Reading<'_> {
    fn send(&mut self, job: Job) -> bool {
        self.done.jobs += 1;
        self.jobs.send(self.source, job)
    }

    fn skip(&mut self, why: &'static str) {
        *self.done.skipped.entry(why).or_default() += 1;
    }

    /// Every record of one WARC or ARC stream; `label` names it in lines.
    fn records(&mut self, mut records: Records, label: &str) -> bool {
        let mut n = 0usize;
        let mut damaged_in_a_row = 0usize;
        loop {
            n += 1;
            let input = format!("{label}#{n}");
            let mut record = match records.next_record() {
                Ok(Some(r)) => r,
                Ok(None) => return true,
                Err(e) => {
                    // A record that does not read is reported, and reading
                    // goes on at the next one (as warcio does); other
                    // errors (gzip, I/O) end the file, also reported.
                    let recoverable = e.kind() == std::io::ErrorKind::InvalidData
                        && damaged_in_a_row < MAX_DAMAGED_IN_A_ROW;
                    damaged_in_a_row += 1;
                    self.done.records += 1;
                    let reason = if recoverable {
                        format!("damaged record: {e}")
                    } else {
                        format!("unreadable from here on: {e}")
                    };
                    if !self.send(Job::Failed { input, reason }) {
                        return false;
                    }
                    if recoverable {
                        continue;
                    }
                    return true;
                }
            };
            damaged_in_a_row = 0;
            self.done.records += 1;
            if record.skipped_before > 0 {
                let reason = format!(
                    "{} bytes before this record did not read as a record (a wrong Content-Length in the one before?); passed over",
                    record.skipped_before
                );
                let job = Job::Failed {
                    input: input.clone(),
                    reason,
                };
                if !self.send(job) {
                    return false;
                }
            }
            if let Some(reason) = record.damage.take() {
                if !self.send(Job::Failed { input, reason }) {
                    return false;
                }
                continue;
            }
            let Some(job) = self.record_job(record, input) else {
                continue;
            };
            self.pages += 1;
            if !self.send(job) {
                return false;
            }
        }
    }

    /// The job of one record, or why it is passed over (counted).
    fn record_job(&mut self, mut record: warc::Record, input: String) -> Option<Job> {
        let is_html =
            |ct: Option<&str>| ct.is_some_and(|c| c.to_ascii_lowercase().contains("html"));
        let kind = record
            .header("WARC-Type")
            .unwrap_or("")
            .to_ascii_lowercase();
        let url = record
            .header("WARC-Target-URI")
            .unwrap_or("")
            .trim_matches(['<', '>'])
            .to_owned();
        let timestamp = record.header("WARC-Date").and_then(warc_date);
        // A page is a `response` (HTTP status, headers, body), a `resource`
        // (the document itself, as ArchiveWeb.page and wget's local files
        // write them) or a `revisit` of one; every other record is counted
        // by type.
        let content_type = match kind.as_str() {
            "response" => {
                let Some(http) = warc::parse_http_head(&record.block) else {
                    self.skip("not_http");
                    return None;
                };
                let content_type = http.header("Content-Type").map(str::to_owned);
                // A redirect often has no type, or no body at all: it is a
                // capture all the same (the page moved). A page an old
                // server sent without a type is told by its first bytes.
                let redirect = (300..400).contains(&http.status);
                let untyped_html = content_type.is_none()
                    && http.header("Content-Encoding").is_none()
                    && warc::http_head_end(&record.block)
                        .is_some_and(|(_, body)| warc::sniffs_as_html(&record.block[body..]));
                if !(is_html(content_type.as_deref())
                    || redirect && content_type.is_none()
                    || untyped_html)
                {
                    self.skip("not_html");
                    return None;
                }
                content_type
            }
            "resource" => {
                let content_type = record.header("Content-Type").map(str::to_owned);
                let untyped_html = content_type.is_none() && warc::sniffs_as_html(&record.block);
                if !(is_html(content_type.as_deref()) || untyped_html) {
                    self.skip("not_html");
                    return None;
                }
                content_type
            }
            "revisit" => {
                // Of an HTML page, when its HTTP head says; a revisit
                // without one is taken as the page it repeats.
                if let Some(http) = warc::parse_http_head(&record.block)
                    && let Some(ct) = http.header("Content-Type")
                    && !is_html(Some(ct))
                {
                    self.skip("not_html");
                    return None;
                }
                let Some(digest) = record.header("WARC-Payload-Digest").map(str::to_owned) else {
                    self.skip("revisit_without_digest");
                    return None;
                };
                let refers_to = record
                    .header("WARC-Refers-To-Target-URI")
                    .map(|u| u.trim_matches(['<', '>']).to_owned());
                return Some(Job::Revisit(Revisit {
                    input,
                    url,
                    timestamp,
                    digest,
                    refers_to,
                    head: std::mem::take(&mut record.head),
                    block: std::mem::take(&mut record.block),
                }));
            }
            _ => {
                let key = match kind.as_str() {
                    "warcinfo" => "warcinfo",
                    "request" => "request",
                    "metadata" => "metadata",
                    "conversion" => "conversion",
                    "continuation" => "continuation",
                    _ => "other",
                };
                self.skip(key);
                return None;
            }
        };
        let truncated = record.header("WARC-Truncated").map(str::to_owned);
        Some(Job::Record {
            truncated,
            input,
            url,
            timestamp,
            content_type,
            head: std::mem::take(&mut record.head),
            block: std::mem::take(&mut record.block),
        })
    }
}

/// A WACZ (a zip of WARCs and their indexes, as Webrecorder and
/// ArchiveWeb.page write it): every WARC or ARC inside, in the zip's order.
/// The zip crate reads the directory; each member is read straight from
/// the file (WACZ stores them uncompressed), one record at a time.
fn read_wacz(reading: &mut Reading<'_>, path: &Path, file: std::fs::File) -> bool {
    use std::io::{Read, Seek};
    let name = path.display().to_string();
    let mut zip = match zip::ZipArchive::new(file) {
        Ok(z) => z,
        Err(e) => {
            let reason = format!("not a readable WACZ (zip): {e}");
            return reading.send(Job::Failed {
                input: name,
                reason,
            });
        }
    };
    let mut members = Vec::new();
    for i in 0..zip.len() {
        let Ok(m) = zip.by_index_raw(i) else { continue };
        if m.is_dir() {
            continue;
        }
        let Ok(inner) = m.name().map(|n| n.into_owned()) else {
            let reason = format!("member {i} has a name that cannot be read");
            if !reading.send(Job::Failed {
                input: name.clone(),
                reason,
            }) {
                return false;
            }
            continue;
        };
        // Its indexes and datapackage describe the WARCs; they are not records.
        if archive_name(Path::new(&inner)).is_none_or(|f| f == "wacz") {
            continue;
        }
        match m.data_start() {
            Some(start) => members.push((inner, start, m.compressed_size(), m.compression())),
            None => {
                let reason = "its place in the zip cannot be read".to_owned();
                if !reading.send(Job::Failed {
                    input: format!("{name}#{inner}"),
                    reason,
                }) {
                    return false;
                }
            }
        }
    }
    drop(zip);
    if members.is_empty() {
        let reason = "no WARC files in this WACZ (archive/*.warc.gz)".to_owned();
        return reading.send(Job::Failed {
            input: name,
            reason,
        });
    }
    for (inner, start, size, method) in members {
        let label = format!("{name}#{inner}");
        let opened = std::fs::File::open(path).and_then(|mut f| {
            f.seek(std::io::SeekFrom::Start(start))?;
            Ok(f.take(size))
        });
        let raw = match opened {
            Ok(r) => r,
            Err(e) => {
                let reason = format!("cannot read: {e}");
                if !reading.send(Job::Failed {
                    input: label,
                    reason,
                }) {
                    return false;
                }
                continue;
            }
        };
        let member: Box<dyn Read + Send> = match method {
            zip::CompressionMethod::Stored => Box::new(raw),
            zip::CompressionMethod::Deflated => Box::new(flate2::read::DeflateDecoder::new(raw)),
            other => {
                let reason = format!("compressed with {other:?}, which is not read");
                if !reading.send(Job::Failed {
                    input: label,
                    reason,
                }) {
                    return false;
                }
                continue;
            }
        };
        // The member's format, by its first bytes as a file's would be.
        let mut buffered = std::io::BufReader::new(member);
        let format = match std::io::BufRead::fill_buf(&mut buffered) {
            Ok(b) if b.starts_with(&[0x1f, 0x8b]) => {
                let mut out = Vec::new();
                let _ = flate2::read::GzDecoder::new(b)
                    .take(16)
                    .read_to_end(&mut out);
                if out.starts_with(b"filedesc://") {
                    Format::Arc { gz: true }
                } else {
                    Format::Warc { gz: true }
                }
            }
            Ok(b) if b.starts_with(b"filedesc://") => Format::Arc { gz: false },
            _ => Format::Warc { gz: false },
        };
        let gz = matches!(format, Format::Warc { gz: true } | Format::Arc { gz: true });
        let records = Records::open(format, buffered, gz, reading.max_body, &label);
        if !reading.records(records, &label) {
            return false;
        }
    }
    true
}

/// `2010-04-26T09:35:12Z` → `20100426093512`.
fn warc_date(s: &str) -> Option<Timestamp> {
    Some(Timestamp::from_jiff(s.trim().parse().ok()?))
}

/// What one page may cost: bytes read, time parsing.
#[derive(Clone, Copy)]
struct Limits {
    max_body: u64,
    budget: std::time::Duration,
}

/// CPU time the workers spent, summed over threads: reading and parsing,
/// compressing records, writing page JSON ahead of the commit.
#[derive(Default)]
struct Stages {
    parse: Nanos,
    compress: Nanos,
    write: Nanos,
}

/// This thread's CPU time (user and system), where the system tells it;
/// else the wall clock since the process began.
fn cpu_now() -> std::time::Duration {
    #[cfg(target_os = "linux")]
    {
        let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
        std::time::Duration::new(
            u64::try_from(t.tv_sec).unwrap_or(0),
            u32::try_from(t.tv_nsec).unwrap_or(0),
        )
    }
    #[cfg(not(target_os = "linux"))]
    {
        static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
        START.get_or_init(std::time::Instant::now).elapsed()
    }
}

#[derive(Default)]
struct Nanos(std::sync::atomic::AtomicU64);

impl Nanos {
    fn add(&self, d: std::time::Duration) {
        let n = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.0.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
    }

    fn secs(&self) -> f64 {
        self.0.load(std::sync::atomic::Ordering::Relaxed) as f64 / 1e9
    }
}

fn work(
    jobs: &Mutex<Receiver<(Seq, Source, Job)>>,
    done: &SyncSender<(Seq, Source, Done)>,
    url: Option<&str>,
    limits: Limits,
    archive: Option<&Archive>,
    stages: &Stages,
) {
    loop {
        let job = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok((seq, source, job)) = job else { return };
        let clock = cpu_now();
        let mut result = match job {
            Job::Failed { input, reason } => Done::Err { input, reason },
            Job::Revisit(r) => Done::Revisit(r),
            Job::Input(summary) => Done::Input(summary),
            Job::File(path) => parse_file(&path, url, limits),
            Job::Record {
                input,
                head,
                block,
                url: target,
                timestamp,
                content_type,
                truncated,
            } => {
                let target = Some(target).filter(|t| !t.is_empty());
                // A response record's HTTP status; none for a resource.
                let http = warc::parse_http_head(&block);
                let status = http.as_ref().map(|h| h.status);
                // Where a redirect pointed, absolute, as the site wrote it.
                let redirect = http
                    .as_ref()
                    .filter(|h| (300..400).contains(&h.status))
                    .and_then(|h| h.header("Location"))
                    .map(|l| {
                        target
                            .as_deref()
                            .and_then(|t| url::Url::parse(t).ok()?.join(l.trim()).ok())
                            .map_or_else(|| l.trim().to_owned(), String::from)
                    });
                let opts = ParseOptions {
                    url: target.clone().or(url.map(str::to_owned)),
                    charset: content_type.as_deref().and_then(crate::fetch::charset_of),
                    kind: SourceKind::Warc,
                    timestamp,
                    budget: Some(limits.budget),
                    status,
                    redirect,
                };
                let body = if status.is_some() {
                    warc::parse_http_response(&block)
                        .ok_or_else(|| "not an HTTP response".to_owned())
                        .and_then(|h| h.into_decoded_body(limits.max_body))
                } else {
                    Ok(block.clone())
                };
                match body {
                    Ok(bytes) => {
                        let at = Origin {
                            url: target,
                            timestamp,
                            file: None,
                        };
                        // A crawler's limit cut the page: kept as received, said.
                        let notes = truncated.as_deref().map(crate::parse::cut_short);
                        finish(
                            input,
                            &bytes,
                            opts,
                            at,
                            Received::Warc { head, block },
                            notes,
                        )
                    }
                    Err(reason) => Done::Err { input, reason },
                }
            }
        };
        stages.parse.add(cpu_now().saturating_sub(clock));
        // Compression and the page JSON's write happen here, in parallel,
        // rather than on the committing thread.
        if let Done::Ok { capture, .. } = &mut result {
            let clock = cpu_now();
            capture.compress();
            stages.compress.add(cpu_now().saturating_sub(clock));
            if let Some(archive) = archive {
                let clock = cpu_now();
                archive.prepare(capture);
                stages.write.add(cpu_now().saturating_sub(clock));
            }
        }
        if done.send((seq, source, result)).is_err() {
            return;
        }
    }
}

fn parse_file(path: &Path, url: Option<&str>, limits: Limits) -> Done {
    let input = path.display().to_string();
    let (bytes, metadata) = match crate::input::read_file_with_metadata(path, limits.max_body) {
        Ok(read) => read,
        Err(e) => {
            return Done::Err {
                input,
                reason: format!("{e:#}"),
            };
        }
    };
    let mtime = metadata
        .and_then(|m| m.modified().ok())
        .and_then(|t| jiff::Timestamp::try_from(t).ok())
        .map(Timestamp::from_jiff);
    let opts = ParseOptions {
        url: url.map(str::to_owned),
        charset: None,
        kind: SourceKind::File,
        timestamp: None,
        budget: Some(limits.budget),
        status: None,
        redirect: None,
    };
    let at = Origin {
        url: None,
        timestamp: mtime,
        file: Some(path),
    };
    let received = Received::Document {
        content_type: "text/html".into(),
        body: bytes.clone(),
    };
    finish(input, &bytes, opts, at, received, None)
}

/// Where a capture was made, as far as its input says.
struct Origin<'a> {
    /// The URL crawled (a record's WARC-Target-URI).
    url: Option<String>,
    /// The WARC date, or a file's modification time.
    timestamp: Option<Timestamp>,
    file: Option<&'a Path>,
}

/// Parses and decides URL and timestamp: the URL crawled, else the page's
/// own, else `--url`, else the file's `file://` URL (with a warning); the
/// capture time a view-mode copy shows, else the WARC date, else the file's
/// modification time.
fn finish(
    input: String,
    bytes: &[u8],
    opts: ParseOptions,
    at: Origin<'_>,
    received: Received,
    note: Option<String>,
) -> Done {
    let mut page = match parse_page(bytes, &opts) {
        Ok(mut p) => {
            p.warnings.extend(note);
            p
        }
        Err(e) => {
            return Done::Err {
                input,
                reason: e.to_string(),
            };
        }
    };
    // Resolved only when needed: canonicalize costs a readlink per path component.
    let file_url = || {
        let path = std::fs::canonicalize(at.file?).ok()?;
        url::Url::from_file_path(path).ok().map(String::from)
    };
    let url = if let Some(u) = at.url.as_ref().or(page.url.as_ref()) {
        u.clone()
    } else if let Some(f) = file_url() {
        page.warnings
            .push(format!("no URL in the page and no --url: stored under {f}"));
        f
    } else {
        return Done::Err {
            input,
            reason: "no URL: the page names none and no --url was given".into(),
        };
    };
    let Some(timestamp) = page.source.timestamp.or(at.timestamp) else {
        return Done::Err {
            input,
            reason: "no capture time known".into(),
        };
    };
    let meta = StoreMeta {
        url,
        timestamp,
        // parse_page already says `wayback` for a view-mode copy read from a file.
        kind: page.source.kind,
        original_url: page.source.original_url.clone(),
    };
    match crate::archive::Capture::parsed_from(received, &page, meta, Some(bytes)) {
        Ok(capture) => Done::Ok {
            input,
            capture: Box::new(capture),
            warnings: page.warnings,
        },
        Err(e) => Done::Err {
            input,
            reason: e.to_string(),
        },
    }
}
