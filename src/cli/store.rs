//! The archive commands `list`, `show`, `export`, `reparse`, and the
//! `--archive` argument every archive command shares.

use anyhow::Context;
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::{Failure, print_json};
use sidarkiv::archive::Archive;
use sidarkiv::config::{Overrides, Settings};
use sidarkiv::model::Page;

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
    /// The capture exactly as received (status line, headers, body bytes),
    /// not its page JSON.
    #[arg(long)]
    raw: bool,
    #[command(flatten)]
    archive: ArchiveArg,
}

pub fn show(args: ShowArgs) -> Result<ExitCode, Failure> {
    let archive = args.archive.open()?;
    let record = archive.resolve(&args.reference)?;
    if args.raw {
        let bytes = archive.received(&record)?;
        let mut out = std::io::stdout().lock();
        out.write_all(&bytes)?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
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
#[command(group(clap::ArgGroup::new("what").required(true).args(["warc", "pages"])))]
pub struct ExportArgs {
    /// The WARC file to write; gzip per record when it ends in `.gz`.
    #[arg(long)]
    warc: Option<PathBuf>,
    /// The migration export: `OUT.jsonl` (page JSON, `capture`,
    /// `markdown`), or a directory of Markdown files with YAML front matter.
    #[arg(long, value_name = "OUT")]
    pages: Option<PathBuf>,
    /// The date the site is exported as of (the end of the period a prefix
    /// names); default: the latest capture of each page.
    #[arg(long, value_parser = super::date_end, requires = "pages")]
    at: Option<sidarkiv::Timestamp>,
    /// Only URLs that start with this.
    #[arg(long, requires = "pages")]
    prefix: Option<String>,
    /// An `old_url,new_url` CSV: links to mapped pages get the new URL.
    #[arg(long, requires = "pages", value_name = "FILE.csv")]
    map: Option<PathBuf>,
    #[command(flatten)]
    archive: ArchiveArg,
}

pub fn export(args: ExportArgs) -> Result<ExitCode, Failure> {
    let archive = args.archive.open()?;
    if let Some(out) = &args.pages {
        return export_pages(&archive, out, &args);
    }
    let Some(warc) = &args.warc else {
        return Err(anyhow::anyhow!("export needs --warc FILE or --pages OUT").into());
    };
    let gzip = warc.to_string_lossy().to_ascii_lowercase().ends_with(".gz");
    let filename = warc
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut exported = None;
    super::write_output(warc, |mut out| {
        exported = Some(archive.export_warc(&mut out, gzip, &filename)?);
        Ok(())
    })?;
    let done = exported.unwrap_or_default();
    print_json(
        &json!({"warc": warc.display().to_string(), "captures": done.captures,
        "revisits": done.revisits, "pages": done.pages}),
    )?;
    Ok(ExitCode::SUCCESS)
}

/// `export --pages`: one page per archived URL as of `--at`; a progress
/// bar on a terminal; exit 3 when pages are listed in `problems.csv`.
fn export_pages(
    archive: &sidarkiv::archive::Archive,
    out: &std::path::Path,
    args: &ExportArgs,
) -> Result<ExitCode, Failure> {
    let map = match &args.map {
        Some(path) => sidarkiv::migrate::UrlMap::read(path)?,
        None => Default::default(),
    };
    let settings = sidarkiv::config::Settings::load(None, &Default::default())?;
    let opts = sidarkiv::migrate::ExportOptions {
        at: args.at,
        prefix: args.prefix.clone(),
        map,
        wayback: settings.wayback.to_string(),
    };
    let bar = indicatif::ProgressBar::new(0);
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    let done = sidarkiv::migrate::export_pages(archive, out, &opts, |n, total| {
        bar.set_length(total as u64);
        bar.set_position(n as u64);
    })?;
    bar.finish_and_clear();
    print_json(&json!({
        "pages": out.display().to_string(),
        "exported": done.pages,
        "problems": done.problems.len(),
        "problems_file": done.problems_file.display().to_string(),
        "unmapped_links": done.unmapped.len(),
        "unmapped_file": done.unmapped_file.display().to_string(),
    }))?;
    if let Some((url, reason)) = done.problems.first() {
        return Err(Failure::Partial(anyhow::anyhow!(
            "{} of {} pages not exported (listed in {}); the first: {url}: {reason}",
            done.problems.len(),
            done.problems.len() + done.pages,
            done.problems_file.display()
        )));
    }
    Ok(ExitCode::SUCCESS)
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
    let lock = archive.lock()?;
    let sidarkiv::archive::reparse::Reparsed { done, failed } =
        archive.reparse(&lock, settings.page_time_budget)?;
    drop(lock);
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
pub struct UpgradeArgs {
    #[command(flatten)]
    archive: ArchiveArg,
}

/// Converts an archive written in an earlier layout; prints what it did.
pub fn upgrade(args: UpgradeArgs) -> Result<ExitCode, Failure> {
    let root = args.archive.settings()?.archive;
    let done = sidarkiv::archive::upgrade::upgrade(&root)
        .with_context(|| format!("cannot upgrade {}", root.display()))?;
    print_json(&json!({"archive": root.display().to_string(), "upgraded": done}))?;
    Ok(ExitCode::SUCCESS)
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
    let superseded = report
        .problems
        .iter()
        .filter(|p| p.problem == sidarkiv::archive::verify::ProblemKind::Superseded)
        .count();
    eprintln!(
        "sidarkiv: verify: {} captures checked, {} problem(s), {superseded} superseded record(s)",
        report.captures,
        report.problems.len() - superseded
    );
    Ok(if !report.damaged() {
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
    let records = archive.list_pages().context("cannot list the archive")?;
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
