//! The archive commands `list`, `show`, `export`, `reparse`, and the
//! `--archive` argument every archive command shares.

use anyhow::Context;
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::{Failure, print_json};
use sidarkiv::archive::warc;
use sidarkiv::archive::{Archive, CaptureRecord};
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
        let dir = &settings.archive;
        match std::fs::metadata(dir) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => anyhow::bail!(
                "{}: not an archive: it is a file, not a folder",
                dir.display()
            ),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                anyhow::bail!(
                    "{}: no archive here (the folder does not exist)",
                    dir.display()
                )
            }
            Err(e) => {
                return Err(anyhow::Error::new(e)
                    .context(format!("cannot open the archive {}", dir.display())));
            }
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
    super::write_output(&args.warc, |mut out| {
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
                ("WARC-Date", sidarkiv::Timestamp::now().iso()),
                ("WARC-Filename", filename),
                ("Content-Type", "application/warc-fields".into()),
            ],
            info.as_bytes(),
            gzip,
        )?;
        for record in &records {
            write_capture(&archive, record, &mut out, gzip)?;
        }
        Ok(())
    })?;
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
    let date = record.timestamp.iso();
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

#[derive(Debug, clap::Args)]
pub struct ReparseArgs {
    #[command(flatten)]
    archive: ArchiveArg,
}

/// Rebuilds every page JSON from the stored raw bytes.
pub fn reparse(args: ReparseArgs) -> Result<ExitCode, Failure> {
    let settings = args.archive.settings()?;
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
                    kind: record.kind,
                    timestamp: Some(record.timestamp),
                    budget: Some(settings.page_time_budget),
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

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    archive: ArchiveArg,
}

/// Checks every stored capture: exit 0 when clean, 1 when damage was found
/// (as `diff` finding changes), 2 when the archive could not be checked.
pub fn verify(args: VerifyArgs) -> Result<ExitCode, Failure> {
    let archive = args.archive.open()?;
    let report = archive.verify().context("cannot check the archive")?;
    let mut out = std::io::stdout().lock();
    for problem in &report.problems {
        serde_json::to_writer(&mut out, problem).map_err(std::io::Error::from)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    eprintln!(
        "sidarkiv: verify: {} captures checked, {} problem(s)",
        report.captures,
        report.problems.len()
    );
    Ok(if report.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

#[derive(Debug, clap::Args)]
pub struct PagesArgs {
    /// Only URLs that start with this.
    prefix: Option<String>,
    /// The date the pages are shown as of (the end of the period a prefix
    /// names: `--at 2010` is 2010-12-31 23:59:59); default: the latest.
    #[arg(long, value_parser = super::date_end)]
    at: Option<sidarkiv::Timestamp>,
    #[command(flatten)]
    archive: ArchiveArg,
}

/// One line per archived URL: the capture that stands for it as of `--at`
/// (the latest at or before, else the earliest after, with a warning),
/// with the page's title, update date and status.
pub fn pages(args: PagesArgs) -> Result<ExitCode, Failure> {
    let archive = args.archive.open()?;
    let records = archive.list(None).context("cannot list the archive")?;
    let mut out = std::io::stdout().lock();
    let prefix = args.prefix.as_deref().unwrap_or("");
    for captures in records
        .chunk_by(|a, b| a.url == b.url)
        .filter(|c| c[0].url.starts_with(prefix))
    {
        let Some(chosen) = sidarkiv::archive::select::as_of(captures, args.at) else {
            continue;
        };
        let r = chosen.record;
        // One damaged page JSON is that line's warning, not the end of
        // the listing (`sidarkiv verify` says more, `reparse` rebuilds it).
        let (page, damaged) = match archive.page(r) {
            Ok(p) => (Some(p), None),
            Err(e) => (None, Some(sidarkiv::error::chain(&e))),
        };
        let early = chosen.after.then(|| {
            format!(
                "no capture at or before {}; this is the earliest after it",
                args.at.map(|t| t.date()).unwrap_or_default()
            )
        });
        let warning = match (early, damaged) {
            (Some(a), Some(b)) => Some(format!("{a}; {b}")),
            (a, b) => a.or(b),
        };
        serde_json::to_writer(
            &mut out,
            &json!({
                "url": r.url,
                "captures": captures.len(),
                "capture": {"timestamp": r.timestamp, "sha256": r.sha256, "kind": r.kind},
                "title": page.as_ref().and_then(|p| p.title.clone()),
                "updated": page.as_ref().and_then(|p| p.updated.clone()),
                "published": page.as_ref().and_then(|p| p.published.clone()),
                "status": r.status,
                "warning": warning,
            }),
        )
        .map_err(std::io::Error::from)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
