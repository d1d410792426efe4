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
    },
    Failed {
        input: String,
        reason: String,
    },
    /// An input file is read through: what it held, for its summary line.
    Input(InputSummary),
}

/// The `"type": "input"` line of one input file, written once all its
/// pages are.
#[derive(Debug)]
struct InputSummary {
    input: String,
    format: &'static str,
    /// Records read (WARC), or 1 (an HTML file).
    records: usize,
    /// Records passed over, by why: their WARC-Type (`warcinfo`,
    /// `request`, `revisit`, …), `not_http`, `not_html` or `redirect`.
    skipped: std::collections::BTreeMap<&'static str, usize>,
    /// Page lines this input gave: jobs sent for it.
    jobs: usize,
}

/// Which input file a job or its outcome came from.
type Source = usize;

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
    Input(InputSummary),
}

/// Captures stored in one group commit at most.
const BATCH_MAX: usize = 256;
/// How long a group commit waits to fill up. Each commit costs three
/// barriers (syncfs); committing whatever happened to be parsed meanwhile made
/// batches of a few pages and the barriers the bottleneck.
const BATCH_WAIT: std::time::Duration = std::time::Duration::from_millis(250);

const HTML_EXTENSIONS: &[&str] = &["html", "htm", "xhtml", "shtml", "asp", "aspx", "php", "jsp"];

fn is_warc(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    name.ends_with(".warc") || name.ends_with(".warc.gz")
}

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
    let (job_tx, job_rx) = sync_channel::<(Source, Job)>(workers * 4);
    let plan = plan();
    let (done_tx, done_rx) = sync_channel::<(Source, Done)>(plan.queue);
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
        let (job_rx, done_rx) = (job_rx, done_rx);
        s.spawn(move || produce(paths, max_body, &job_tx));
        for _ in 0..workers {
            let (rx, tx, url) = (job_rx.clone(), done_tx.clone(), opts.url.clone());
            let archive = plan.prepare.then_some(archive);
            let stages = &stages;
            s.spawn(move || work(&rx, &tx, url.as_deref(), limits, archive, stages));
        }
        drop((job_rx, done_tx));
        let mut per_input = Inputs::default();
        // Group commit: what is parsed within BATCH_WAIT is stored together.
        while let Ok(first) = done_rx.recv() {
            let deadline = std::time::Instant::now() + BATCH_WAIT;
            let mut batch = vec![first];
            while batch.len() < plan.batch {
                let left = deadline.saturating_duration_since(std::time::Instant::now());
                match done_rx.recv_timeout(left) {
                    Ok(d) => batch.push(d),
                    Err(_) => break,
                }
            }
            let mut lines: Vec<serde_json::Value> = Vec::with_capacity(batch.len());
            let (mut inputs, mut captures) = (Vec::new(), Vec::new());
            for (source, done) in batch {
                match done {
                    Done::Ok {
                        input,
                        capture,
                        warnings,
                    } => {
                        inputs.push((source, input, warnings));
                        captures.push(*capture);
                    }
                    Done::Err { input, reason } => {
                        failed += 1;
                        per_input.page(source, false);
                        first_failure.get_or_insert_with(|| format!("{input}: {reason}"));
                        lines.push(json!({"type": "page", "input": input, "status": "error", "reason": reason}));
                    }
                    Done::Input(summary) => per_input.summary(source, summary),
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
            for ((source, input, warnings), stored) in inputs.iter().zip(stored) {
                match stored {
                    Ok(stored) => {
                        ok += 1;
                        per_input.page(*source, true);
                        lines.push(json!({"type": "page", "input": input, "status": "ok", "url": stored.record.url, "timestamp": stored.record.timestamp,
                               "sha256": stored.record.sha256, "record": stored.record.record, "new": stored.new, "warnings": warnings}));
                    }
                    Err(e) => {
                        let reason = format!("cannot store: {e}");
                        failed += 1;
                        per_input.page(*source, false);
                        first_failure.get_or_insert_with(|| format!("{input}: {reason}"));
                        lines.push(json!({"type": "page", "input": input, "status": "error", "reason": reason}));
                    }
                }
            }
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
/// summary per input file; WARC records are read here, one at a time, so
/// memory stays flat.
fn produce(paths: &[PathBuf], max_body: u64, jobs: &SyncSender<(Source, Job)>) {
    let mut p = Producer {
        next: 0,
        max_body,
        jobs,
    };
    for path in paths {
        if !path.is_dir() {
            if !p.input(path) {
                return;
            }
            continue;
        }
        for entry in walkdir::WalkDir::new(path).sort_by_file_name() {
            let sent = match entry {
                Ok(e) if e.file_type().is_dir() => true,
                Ok(e) => {
                    // A symlink counts as what it points to; other entries'
                    // kinds come from the directory listing (no extra stat).
                    let kind = if e.file_type().is_symlink() {
                        std::fs::metadata(e.path()).map(|m| m.file_type())
                    } else {
                        Ok(e.file_type())
                    };
                    let wanted =
                        is_warc(e.path()) || is_html(e.path()) || other_archive(e.path()).is_some();
                    match kind {
                        Ok(k) if k.is_file() && wanted => p.input(e.path()),
                        Ok(k) if !k.is_dir() && wanted => p.failed(
                            e.path(),
                            "not a regular file (a FIFO, socket or device): not read".into(),
                        ),
                        _ => true,
                    }
                }
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

/// Numbers the inputs and sends their jobs; each method returns false
/// when the workers are gone.
struct Producer<'a> {
    next: Source,
    max_body: u64,
    jobs: &'a SyncSender<(Source, Job)>,
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

fn fail_input(
    source: Source,
    input: String,
    reason: String,
    jobs: &SyncSender<(Source, Job)>,
) -> bool {
    jobs.send((
        source,
        Job::Failed {
            input: input.clone(),
            reason,
        },
    ))
    .is_ok()
        && jobs
            .send((source, Job::Input(summary(input, "unknown", 0, 1))))
            .is_ok()
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

/// The archive formats of other tools that are not read yet.
fn other_archive(path: &Path) -> Option<&'static str> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    if name.ends_with(".arc") || name.ends_with(".arc.gz") {
        Some("ARC")
    } else if name.ends_with(".wacz") {
        Some("WACZ")
    } else {
        None
    }
}

/// One input file's jobs and summary; false when the workers are gone.
fn read_input(
    source: Source,
    path: &Path,
    max_body: u64,
    jobs: &SyncSender<(Source, Job)>,
) -> bool {
    let name = path.display().to_string();
    if let Some(format) = other_archive(path) {
        let reason = format!("{format} files are not read yet (WARC and WARC.gz are)");
        return fail_input(source, name, reason, jobs);
    }
    if is_warc(path) {
        return read_warc(source, path, max_body, jobs);
    }
    jobs.send((source, Job::File(path.to_path_buf()))).is_ok()
        && jobs
            .send((source, Job::Input(summary(name, "html", 1, 1))))
            .is_ok()
}

/// Whether the bytes start as gzip does: the name may say otherwise.
fn starts_gzip(file: &mut std::fs::File) -> std::io::Result<bool> {
    use std::io::{Read, Seek};
    let mut magic = [0u8; 2];
    let n = file.read(&mut magic)?;
    file.seek(std::io::SeekFrom::Start(0))?;
    Ok(n == 2 && magic == [0x1f, 0x8b])
}

fn read_warc(source: Source, path: &Path, max_body: u64, jobs: &SyncSender<(Source, Job)>) -> bool {
    let name = path.display().to_string();
    let mut done = summary(name.clone(), "warc", 0, 0);
    let send = |job: Job, done: &mut InputSummary| {
        done.jobs += 1;
        jobs.send((source, job)).is_ok()
    };
    let opened = std::fs::File::open(path).and_then(|mut f| Ok((starts_gzip(&mut f)?, f)));
    let (gz, file) = match opened {
        Ok(found) => found,
        Err(e) => {
            let reason = format!("cannot read: {e}");
            return send(
                Job::Failed {
                    input: name,
                    reason,
                },
                &mut done,
            ) && jobs.send((source, Job::Input(done))).is_ok();
        }
    };
    let mut reader = Reader::new(file, gz, max_body.saturating_add(64 * 1024));
    let mut n = 0usize;
    let mut pages = 0usize;
    loop {
        n += 1;
        let mut record = match reader.next_record() {
            Ok(Some(r)) => r,
            Ok(None) => break,
            Err(e) => {
                let job = Job::Failed {
                    input: format!("{name}#{n}"),
                    reason: format!("unreadable WARC: {e}"),
                };
                return send(job, &mut done) && jobs.send((source, Job::Input(done))).is_ok();
            }
        };
        done.records += 1;
        if record.skipped_before > 0 {
            let job = Job::Failed {
                input: format!("{name}#{n}"),
                reason: format!(
                    "{} bytes before this record did not read as a record (a wrong Content-Length in the one before?); passed over",
                    record.skipped_before
                ),
            };
            if !send(job, &mut done) {
                return false;
            }
        }
        let is_html =
            |ct: Option<&str>| ct.is_some_and(|c| c.to_ascii_lowercase().contains("html"));
        let kind = record
            .header("WARC-Type")
            .unwrap_or("")
            .to_ascii_lowercase();
        // A page is a `response` (HTTP status, headers, body) or a
        // `resource` (the document itself, as ArchiveWeb.page and wget's
        // local files write them); every other record is counted by type.
        let content_type = match kind.as_str() {
            "response" => {
                let Some(http) = warc::parse_http_head(&record.block) else {
                    *done.skipped.entry("not_http").or_default() += 1;
                    continue;
                };
                let content_type = http.header("Content-Type").map(str::to_owned);
                if !is_html(content_type.as_deref()) {
                    *done.skipped.entry("not_html").or_default() += 1;
                    continue;
                }
                // A redirect is a fact about the URL, not a page to parse.
                if (300..400).contains(&http.status) {
                    *done.skipped.entry("redirect").or_default() += 1;
                    continue;
                }
                content_type
            }
            "resource" => {
                let content_type = record.header("Content-Type").map(str::to_owned);
                if !is_html(content_type.as_deref()) {
                    *done.skipped.entry("not_html").or_default() += 1;
                    continue;
                }
                content_type
            }
            _ => {
                let key = match kind.as_str() {
                    "warcinfo" => "warcinfo",
                    "request" => "request",
                    "metadata" => "metadata",
                    "revisit" => "revisit",
                    "conversion" => "conversion",
                    "continuation" => "continuation",
                    _ => "other",
                };
                *done.skipped.entry(key).or_default() += 1;
                continue;
            }
        };
        pages += 1;
        let input = format!("{name}#{n}");
        let job = Job::Record {
            input,
            url: record
                .header("WARC-Target-URI")
                .unwrap_or("")
                .trim_matches(['<', '>'])
                .to_owned(),
            timestamp: record.header("WARC-Date").and_then(warc_date),
            content_type,
            head: std::mem::take(&mut record.head),
            block: std::mem::take(&mut record.block),
        };
        if !send(job, &mut done) {
            return false;
        }
    }
    if pages == 0 {
        let job = Job::Failed {
            input: name,
            reason: "no HTML response or resource records in this WARC".into(),
        };
        if !send(job, &mut done) {
            return false;
        }
    }
    jobs.send((source, Job::Input(done))).is_ok()
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
    jobs: &Mutex<Receiver<(Source, Job)>>,
    done: &SyncSender<(Source, Done)>,
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
        let Ok((source, job)) = job else { return };
        let clock = cpu_now();
        let mut result = match job {
            Job::Failed { input, reason } => Done::Err { input, reason },
            Job::Input(summary) => Done::Input(summary),
            Job::File(path) => parse_file(&path, url, limits),
            Job::Record {
                input,
                head,
                block,
                url: target,
                timestamp,
                content_type,
            } => {
                let target = Some(target).filter(|t| !t.is_empty());
                // A response record's HTTP status; none for a resource.
                let status = warc::parse_http_head(&block).map(|h| h.status);
                let opts = ParseOptions {
                    url: target.clone().or(url.map(str::to_owned)),
                    charset: content_type.as_deref().and_then(crate::fetch::charset_of),
                    kind: SourceKind::Warc,
                    timestamp,
                    budget: Some(limits.budget),
                    status,
                    redirect: None,
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
                        finish(input, &bytes, opts, at, Received::Warc { head, block })
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
        if done.send((source, result)).is_err() {
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
    finish(input, &bytes, opts, at, received)
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
) -> Done {
    let mut page = match parse_page(bytes, &opts) {
        Ok(p) => p,
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
