//! The archive commands: `import`, `list`, `show`, `export`, `reparse`.

use anyhow::Context;
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

use super::{Failure, print_json};
use sidarkiv::archive::warc::{self, Reader};
use sidarkiv::archive::{Archive, CaptureRecord, StoreMeta};
use sidarkiv::config::{Overrides, Settings};
use sidarkiv::model::Page;
use sidarkiv::{ParseOptions, parse_page};

#[derive(Debug, clap::Args)]
pub struct ArchiveArg {
    /// Archive directory (default: `archive` from the config, else ./archive).
    #[arg(long)]
    archive: Option<PathBuf>,
    /// Config file (default: ./sidarkiv.toml when it exists).
    #[arg(long)]
    config: Option<PathBuf>,
}

impl ArchiveArg {
    pub fn settings(&self) -> anyhow::Result<Settings> {
        let flags = Overrides {
            archive: self.archive.clone(),
            ..Overrides::default()
        };
        Ok(Settings::load(self.config.as_deref(), &flags)?)
    }

    /// The archive, which must exist already: reading commands never create one.
    pub fn open(&self) -> anyhow::Result<Archive> {
        let settings = self.settings()?;
        if !settings.archive.is_dir() {
            anyhow::bail!(
                "{}: no archive here (the folder does not exist)",
                settings.archive.display()
            );
        }
        open_archive(&settings.archive)
    }
}

pub fn open_archive(dir: &Path) -> anyhow::Result<Archive> {
    let wait = std::env::var("SIDARKIV_LOCK_WAIT_SECONDS")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(std::time::Duration::from_secs_f64);
    let archive =
        Archive::open(dir).with_context(|| format!("cannot open the archive {}", dir.display()))?;
    Ok(match wait {
        Some(w) => archive.with_lock_wait(w),
        None => archive,
    })
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// HTML files, folders (searched recursively) and WARC / WARC.gz files.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// The pages' URL when a page does not name its own.
    #[arg(long)]
    url: Option<String>,
    #[command(flatten)]
    archive: ArchiveArg,
}

/// One page to parse.
enum Job {
    File(PathBuf),
    Record {
        input: String,
        bytes: Vec<u8>,
        url: String,
        timestamp: Option<String>,
        status: u16,
        content_type: Option<String>,
    },
    Failed {
        input: String,
        reason: String,
    },
}

enum Done {
    Ok {
        input: String,
        raw: Vec<u8>,
        page: Box<Page>,
        meta: StoreMeta,
    },
    Err {
        input: String,
        reason: String,
    },
}

/// Captures stored in one group commit at most.
const BATCH_MAX: usize = 256;

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

pub fn import(args: ImportArgs) -> Result<ExitCode, Failure> {
    if let Some(u) = &args.url {
        url::Url::parse(u).with_context(|| format!("--url {u:?}: not a valid URL"))?;
    }
    let settings = args.archive.settings()?;
    let archive = open_archive(&settings.archive)?;
    let max_body = settings.max_body_bytes;
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let (job_tx, job_rx) = sync_channel::<Job>(workers * 4);
    let (done_tx, done_rx) = sync_channel::<Done>(workers * 4);
    let job_rx = Arc::new(Mutex::new(job_rx));
    let progress = indicatif::ProgressBar::new_spinner();
    progress.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    let (mut ok, mut failed) = (0usize, 0usize);
    let result: anyhow::Result<()> = std::thread::scope(|s| {
        let paths = &args.paths;
        s.spawn(move || produce(paths, max_body, &job_tx));
        for _ in 0..workers {
            let (rx, tx, url) = (job_rx.clone(), done_tx.clone(), args.url.clone());
            s.spawn(move || work(&rx, &tx, url.as_deref()));
        }
        drop(done_tx);
        let mut out = std::io::stdout().lock();
        // Group commit: whatever has been parsed meanwhile is stored together.
        while let Ok(first) = done_rx.recv() {
            let mut batch = vec![first];
            while batch.len() < BATCH_MAX {
                match done_rx.try_recv() {
                    Ok(d) => batch.push(d),
                    Err(_) => break,
                }
            }
            let mut lines: Vec<serde_json::Value> = Vec::with_capacity(batch.len());
            let mut pending = Vec::new();
            for done in batch {
                match done {
                    Done::Ok {
                        input,
                        raw,
                        page,
                        meta,
                    } => pending.push((input, raw, page, meta)),
                    Done::Err { input, reason } => {
                        failed += 1;
                        lines.push(json!({"input": input, "status": "error", "reason": reason}));
                    }
                }
            }
            let items: Vec<(&[u8], &Page, StoreMeta)> = pending
                .iter()
                .map(|(_, raw, page, meta)| (raw.as_slice(), page.as_ref(), meta.clone()))
                .collect();
            match archive
                .lock()
                .and_then(|lock| archive.store_batch(&lock, &items))
            {
                Ok(stored) => {
                    for ((input, _, page, _), stored) in pending.iter().zip(stored) {
                        ok += 1;
                        lines.push(json!({"input": input, "status": "ok", "url": stored.record.url, "timestamp": stored.record.timestamp,
                               "sha256": stored.record.sha256, "new": stored.new, "warnings": page.warnings}));
                    }
                }
                Err(e) => {
                    for (input, ..) in &pending {
                        failed += 1;
                        lines.push(json!({"input": input, "status": "error", "reason": format!("cannot store: {e}")}));
                    }
                }
            }
            for line in lines {
                serde_json::to_writer(&mut out, &line).map_err(std::io::Error::from)?;
                out.write_all(b"\n")?;
            }
            progress.set_message(format!("{ok} imported, {failed} failed"));
            progress.tick();
        }
        out.flush()?;
        Ok(())
    });
    progress.finish_and_clear();
    result?;
    match (ok, failed) {
        (0, 0) => Err(anyhow::anyhow!(
            "no HTML or WARC files found in {}",
            list_paths(&args.paths)
        )
        .into()),
        (_, 0) => Ok(ExitCode::SUCCESS),
        _ => Ok(ExitCode::from(3)),
    }
}

fn list_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Walks the inputs lazily and hands out one job per page; WARC records are
/// read here, one at a time, so memory stays flat.
fn produce(paths: &[PathBuf], max_body: u64, jobs: &SyncSender<Job>) {
    for path in paths {
        if path.is_dir() {
            for entry in walkdir::WalkDir::new(path).sort_by_file_name() {
                let job = match entry {
                    Ok(e) if e.file_type().is_file() && is_warc(e.path()) => {
                        read_warc(e.path(), max_body, jobs);
                        continue;
                    }
                    Ok(e) if e.file_type().is_file() && is_html(e.path()) => {
                        Job::File(e.into_path())
                    }
                    Ok(_) => continue,
                    Err(e) => Job::Failed {
                        input: e.path().map_or_else(
                            || path.display().to_string(),
                            |p| p.display().to_string(),
                        ),
                        reason: e.to_string(),
                    },
                };
                if jobs.send(job).is_err() {
                    return;
                }
            }
        } else if is_warc(path) {
            read_warc(path, max_body, jobs);
        } else if jobs.send(Job::File(path.clone())).is_err() {
            return;
        }
    }
}

fn read_warc(path: &Path, max_body: u64, jobs: &SyncSender<Job>) {
    let name = path.display().to_string();
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            let _ = jobs.send(Job::Failed {
                input: name,
                reason: format!("cannot read: {e}"),
            });
            return;
        }
    };
    let gz = name.to_ascii_lowercase().ends_with(".gz");
    let mut reader = Reader::new(file, gz, max_body.saturating_add(64 * 1024));
    let mut n = 0usize;
    let mut pages = 0usize;
    loop {
        n += 1;
        let record = match reader.next_record() {
            Ok(Some(r)) => r,
            Ok(None) => break,
            Err(e) => {
                let _ = jobs.send(Job::Failed {
                    input: format!("{name}#{n}"),
                    reason: format!("unreadable WARC: {e}"),
                });
                return;
            }
        };
        if !record
            .header("WARC-Type")
            .is_some_and(|t| t.eq_ignore_ascii_case("response"))
        {
            continue;
        }
        let Some(http) = warc::parse_http_response(&record.block) else {
            continue;
        };
        let content_type = http.header("Content-Type").map(str::to_owned);
        if !content_type
            .as_deref()
            .is_some_and(|c| c.to_ascii_lowercase().contains("html"))
        {
            continue;
        }
        pages += 1;
        let job = Job::Record {
            input: format!("{name}#{n}"),
            url: record
                .header("WARC-Target-URI")
                .unwrap_or("")
                .trim_matches(['<', '>'])
                .to_owned(),
            timestamp: record.header("WARC-Date").and_then(warc_date),
            status: http.status,
            content_type,
            bytes: http.body,
        };
        if jobs.send(job).is_err() {
            return;
        }
    }
    if pages == 0 {
        let _ = jobs.send(Job::Failed {
            input: name,
            reason: "no HTML response records in this WARC".into(),
        });
    }
}

/// `2010-04-26T09:35:12Z` → `20100426093512`.
fn warc_date(s: &str) -> Option<String> {
    let t: jiff::Timestamp = s.trim().parse().ok()?;
    Some(t.strftime("%Y%m%d%H%M%S").to_string())
}

fn work(jobs: &Mutex<Receiver<Job>>, done: &SyncSender<Done>, url: Option<&str>) {
    loop {
        let job = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        let result = match job {
            Job::Failed { input, reason } => Done::Err { input, reason },
            Job::File(path) => parse_file(&path, url),
            Job::Record {
                input,
                bytes,
                url: target,
                timestamp,
                status,
                content_type,
            } => {
                let opts = ParseOptions {
                    url: Some(target.clone())
                        .filter(|t| !t.is_empty())
                        .or(url.map(str::to_owned)),
                    charset: content_type
                        .as_deref()
                        .and_then(sidarkiv::fetch::charset_of),
                    kind: "warc".into(),
                    timestamp: timestamp.clone(),
                };
                finish(input, bytes, opts, timestamp, status, content_type, None)
            }
        };
        if done.send(result).is_err() {
            return;
        }
    }
}

fn parse_file(path: &Path, url: Option<&str>) -> Done {
    let input = path.display().to_string();
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            return Done::Err {
                input,
                reason: format!("cannot read: {e}"),
            };
        }
    };
    let mtime = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| jiff::Timestamp::try_from(t).ok())
        .map(|t| t.strftime("%Y%m%d%H%M%S").to_string());
    let file_url = std::fs::canonicalize(path)
        .ok()
        .and_then(|p| url::Url::from_file_path(p).ok())
        .map(String::from);
    let opts = ParseOptions {
        url: url.map(str::to_owned),
        charset: None,
        kind: "file".into(),
        timestamp: None,
    };
    finish(input, bytes, opts, mtime, 200, None, file_url)
}

/// Parses and decides URL and timestamp: the page's own URL, else `--url`,
/// else the file's `file://` URL (with a warning); the capture time a
/// view-mode copy shows, else the WARC date, else the file's modification time.
fn finish(
    input: String,
    bytes: Vec<u8>,
    opts: ParseOptions,
    fallback_ts: Option<String>,
    status: u16,
    content_type: Option<String>,
    file_url: Option<String>,
) -> Done {
    let mut page = match parse_page(&bytes, &opts) {
        Ok(p) => p,
        Err(e) => {
            return Done::Err {
                input,
                reason: e.to_string(),
            };
        }
    };
    let url = match (&page.url, file_url) {
        (Some(u), _) => u.clone(),
        (None, Some(f)) => {
            page.warnings
                .push(format!("no URL in the page and no --url: stored under {f}"));
            f
        }
        (None, None) => {
            return Done::Err {
                input,
                reason: "no URL: the page names none and no --url was given".into(),
            };
        }
    };
    let Some(timestamp) = page.source.timestamp.clone().or(fallback_ts) else {
        return Done::Err {
            input,
            reason: "no capture time known".into(),
        };
    };
    let meta = StoreMeta {
        url,
        timestamp,
        // parse_page already says `wayback` for a view-mode copy read from a file.
        kind: page.source.kind.clone(),
        original_url: page.source.original_url.clone(),
        status,
        content_type,
    };
    Done::Ok {
        input,
        raw: bytes,
        page: Box::new(page),
        meta,
    }
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Only the captures of this URL.
    url: Option<String>,
    #[command(flatten)]
    archive: ArchiveArg,
}

pub fn list(args: ListArgs) -> Result<ExitCode, Failure> {
    let archive = args.archive.open()?;
    let mut out = std::io::stdout().lock();
    for record in archive
        .list(args.url.as_deref())
        .context("cannot list the archive")?
    {
        serde_json::to_writer(&mut out, &record).map_err(std::io::Error::from)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// URL@TIMESTAMP (14 digits) or a sha256 prefix of at least 12 hex digits.
    reference: String,
    #[command(flatten)]
    archive: ArchiveArg,
}

pub fn show(args: ShowArgs) -> Result<ExitCode, Failure> {
    let archive = args.archive.open()?;
    let record = archive.resolve(&args.reference)?;
    print_json(&archive.page(&record)?)?;
    Ok(ExitCode::SUCCESS)
}

/// A page from the archive, for `diff`.
pub fn resolve_page(archive: &ArchiveArg, reference: &str) -> anyhow::Result<Page> {
    let archive = archive.open()?;
    let record = archive.resolve(reference)?;
    Ok(archive.page(&record)?)
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The WARC file to write; gzip per record when it ends in `.gz`.
    #[arg(long, required = true)]
    warc: PathBuf,
    #[command(flatten)]
    archive: ArchiveArg,
}

pub fn export(args: ExportArgs) -> Result<ExitCode, Failure> {
    let archive = args.archive.open()?;
    let records = archive.list(None).context("cannot list the archive")?;
    let gzip = args
        .warc
        .to_string_lossy()
        .to_ascii_lowercase()
        .ends_with(".gz");
    let dir = args
        .warc
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    {
        let mut out = std::io::BufWriter::new(tmp.as_file_mut());
        let info = format!(
            "software: sidarkiv/{}\r\nformat: WARC File Format 1.1\r\nconformsTo: https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/\r\ncaptures: {}\r\n",
            env!("CARGO_PKG_VERSION"),
            records.len()
        );
        let filename = args
            .warc
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        warc::write_record(
            &mut out,
            &[
                ("WARC-Type", "warcinfo".into()),
                ("WARC-Record-ID", warc::record_id(info.as_bytes())),
                ("WARC-Date", now()),
                ("WARC-Filename", filename),
                ("Content-Type", "application/warc-fields".into()),
            ],
            info.as_bytes(),
            gzip,
        )?;
        for record in &records {
            write_capture(&archive, record, &mut out, gzip)?;
        }
        out.flush()?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(&args.warc)
        .with_context(|| format!("cannot write {}", args.warc.display()))?;
    print_json(&json!({"warc": args.warc.display().to_string(), "captures": records.len()}))?;
    Ok(ExitCode::SUCCESS)
}

fn write_capture(
    archive: &Archive,
    record: &CaptureRecord,
    out: &mut impl Write,
    gzip: bool,
) -> anyhow::Result<()> {
    use data_encoding::BASE32;
    use sha1::{Digest, Sha1};
    let raw = archive.raw(record)?;
    let page = archive.page(record)?;
    let content_type = record
        .content_type
        .clone()
        .unwrap_or_else(|| "text/html".into());
    let content_type: String = content_type.chars().filter(|c| !c.is_control()).collect();
    let mut block = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        record.status,
        reason(record.status),
        raw.len()
    )
    .into_bytes();
    block.extend_from_slice(&raw);
    let date = ts_to_iso(&record.timestamp);
    let id =
        warc::record_id(format!("{}{}{}", record.url, record.timestamp, record.sha256).as_bytes());
    warc::write_record(
        out,
        &[
            ("WARC-Type", "response".into()),
            ("WARC-Record-ID", id.clone()),
            ("WARC-Date", date.clone()),
            ("WARC-Target-URI", record.url.clone()),
            ("Content-Type", "application/http;msgtype=response".into()),
            ("WARC-Payload-Digest", format!("sha1:{}", record.sha1)),
            (
                "WARC-Block-Digest",
                format!("sha1:{}", BASE32.encode(&Sha1::digest(&block))),
            ),
        ],
        &block,
        gzip,
    )?;
    let mut json = serde_json::to_vec_pretty(&page)?;
    json.push(b'\n');
    warc::write_record(
        out,
        &[
            ("WARC-Type", "metadata".into()),
            (
                "WARC-Record-ID",
                warc::record_id(format!("metadata{id}").as_bytes()),
            ),
            ("WARC-Date", date),
            ("WARC-Target-URI", record.url.clone()),
            ("WARC-Refers-To", id),
            ("Content-Type", "application/json".into()),
            (
                "WARC-Block-Digest",
                format!("sha1:{}", BASE32.encode(&Sha1::digest(&json))),
            ),
        ],
        &json,
        gzip,
    )?;
    Ok(())
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        404 => "Not Found",
        410 => "Gone",
        500 => "Internal Server Error",
        _ => "Status",
    }
}

fn now() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// `20100426093512` → `2010-04-26T09:35:12Z`.
fn ts_to_iso(ts: &str) -> String {
    if ts.len() == 14 && ts.bytes().all(|b| b.is_ascii_digit()) {
        format!(
            "{}-{}-{}T{}:{}:{}Z",
            &ts[..4],
            &ts[4..6],
            &ts[6..8],
            &ts[8..10],
            &ts[10..12],
            &ts[12..14]
        )
    } else {
        now()
    }
}

#[derive(Debug, clap::Args)]
pub struct ReparseArgs {
    #[command(flatten)]
    archive: ArchiveArg,
}

/// Rebuilds every page JSON from the stored raw bytes.
pub fn reparse(args: ReparseArgs) -> Result<ExitCode, Failure> {
    let archive = args.archive.open()?;
    let records = archive.list(None)?;
    let lock = archive.lock()?;
    let (mut done, mut failed) = (0usize, Vec::new());
    for record in &records {
        let result = archive
            .raw(record)
            .map_err(anyhow::Error::from)
            .and_then(|raw| {
                let opts = ParseOptions {
                    url: record
                        .original_url
                        .clone()
                        .or_else(|| Some(record.url.clone())),
                    charset: record
                        .content_type
                        .as_deref()
                        .and_then(sidarkiv::fetch::charset_of),
                    kind: record.kind.clone(),
                    timestamp: Some(record.timestamp.clone()),
                };
                let page = parse_page(&raw, &opts)?;
                archive.rewrite_page(&lock, record, &page)?;
                Ok(())
            });
        match result {
            Ok(()) => done += 1,
            Err(e) => failed.push(format!("{}@{}: {e:#}", record.url, record.timestamp)),
        }
    }
    print_json(&json!({"reparsed": done, "failed": failed}))?;
    if failed.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else if done == 0 {
        Err(anyhow::anyhow!("no capture could be reparsed: {}", failed.join("; ")).into())
    } else {
        Ok(ExitCode::from(3))
    }
}
