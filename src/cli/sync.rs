//! `sidarkiv sync` (the scheduled job) and `sidarkiv report` (the editors'
//! report over the whole archive).

use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::diff::LangArg;
use super::store::open_archive;
use super::{Failure, print_json};
use sidarkiv::config::{Overrides, Settings};
use sidarkiv::error::chain;
use sidarkiv::fetch::Fetcher;
use sidarkiv::replay::{self, Recording};
use sidarkiv::report::{self, Entry, Lang};
use sidarkiv::sync::{FoundDiff, sync_page, sync_site};

/// Where the recorded Wayback responses for `--offline` live.
pub const DEFAULT_RECORDING: &str = "fixtures/wayback-recording.warc";

#[derive(Debug, clap::Args)]
pub struct SyncArgs {
    /// Config file (default: ./sidarkiv.toml).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Archive directory (default: `archive` from the config, else ./archive).
    #[arg(long)]
    archive: Option<PathBuf>,
    /// Base URL of a Wayback-compatible server.
    #[arg(long, conflicts_with = "offline")]
    wayback: Option<String>,
    /// Replay recorded Wayback responses instead of using the network.
    #[arg(long)]
    offline: bool,
    /// The recording `--offline` replays (a WARC of CDX answers and raw captures).
    #[arg(long, default_value = DEFAULT_RECORDING, requires = "offline")]
    recording: PathBuf,
    /// Write the editors' report of this run's changes (HTML, or Markdown for .md).
    #[arg(long)]
    report: Option<PathBuf>,
    /// Stop after this many new captures (exit 0); the next run goes on
    /// from there, so a big archive is filled over several nights.
    #[arg(long)]
    max_captures: Option<usize>,
}

pub fn sync(args: SyncArgs) -> Result<ExitCode, Failure> {
    let flags = Overrides {
        archive: args.archive.clone(),
        wayback: args.wayback.clone(),
    };
    let config = args
        .config
        .clone()
        .unwrap_or_else(|| PathBuf::from(sidarkiv::config::DEFAULT_FILE));
    if !config.is_file() {
        return Err(anyhow::anyhow!(
            "{}: no config file; sync needs one listing the [[page]]s to track",
            config.display()
        )
        .into());
    }
    let mut settings = Settings::load(Some(&config), &flags)?;
    if settings.pages.is_empty() && settings.sites.is_empty() {
        return Err(
            anyhow::anyhow!("{}: no [[page]] or [[site]] to track", config.display()).into(),
        );
    }
    let recording = if args.offline {
        let rec = Recording::load(&args.recording)?;
        eprintln!(
            "sidarkiv: offline: replaying the recorded Wayback responses in {}; nothing is fetched from the network",
            args.recording.display()
        );
        Some(rec)
    } else {
        None
    };
    let archive = open_archive(&settings.archive)?;
    let lock = archive.lock()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut diffs: Vec<FoundDiff> = Vec::new();
    let (outcomes, sites, page_outcomes) = runtime.block_on(async {
        if let Some(rec) = recording {
            settings.wayback = url::Url::parse(&replay::serve(rec).await?)?;
            // Politeness is for the real archive; the replay is ours, on loopback.
            settings.cdx_per_minute = None;
            settings.captures_per_second = None;
        }
        let fetcher = Fetcher::new(&settings)?;
        let progress = indicatif::ProgressBar::new(settings.pages.len() as u64);
        progress.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        let mut outcomes = Vec::new();
        let mut budget = args.max_captures;
        for page in &settings.pages {
            if budget == Some(0) {
                break;
            }
            progress.set_message(page.url.clone());
            outcomes
                .push(sync_page(&fetcher, &archive, &lock, page, &mut diffs, &mut budget).await);
            progress.inc(1);
        }
        let page_outcomes = outcomes.len();
        let mut sites = Vec::new();
        for site in &settings.sites {
            if budget == Some(0) {
                break;
            }
            progress.set_message(site.prefix.clone());
            let mut done =
                sync_site(&fetcher, &archive, &lock, site, &mut diffs, &mut budget).await;
            outcomes.append(&mut done.pages);
            sites.push(done);
        }
        progress.finish_and_clear();
        anyhow::Ok((outcomes, sites, page_outcomes))
    })?;
    drop(lock);
    // The run's segment gets its sorted index; what failed here is settled
    // by the next writer, and nothing stored is lost.
    if let Err(e) = archive.finish() {
        tracing::warn!("{}", chain(&e));
    }
    let failures: Vec<_> = outcomes
        .iter()
        .filter_map(|o| {
            o.error
                .as_ref()
                .map(|e| json!({"url": o.url, "reason": chain(e)}))
        })
        .chain(sites.iter().filter_map(|s| {
            s.error
                .as_ref()
                .map(|e| json!({"url": s.prefix, "reason": chain(e)}))
        }))
        .collect();
    // Tracked pages and site pages a spent `--max-captures` left for the next run.
    let not_reached = settings.pages.len().saturating_sub(page_outcomes)
        + sites.iter().map(|s| s.urls_not_reached).sum::<usize>();
    // What the run looked at: from the earliest point a listing started, to now.
    let covered = outcomes
        .iter()
        .filter_map(|o| o.looked_from)
        .min()
        .map(|from| (from, sidarkiv::Timestamp::now()));
    // The captures are stored whatever happens to the report: a failed
    // write is named in the summary (exit 3), and `report --since` writes
    // the same changes again.
    let (report_path, report_error) = match &args.report {
        Some(path) => match write_report(path, &diffs, Lang::Sv, covered) {
            Ok(()) => (Some(path.display().to_string()), None),
            Err(e) => (
                None,
                Some(format!("{}: {}", path.display(), chain(e.as_ref()))),
            ),
        },
        None => (None, None),
    };
    print_json(&json!({
        "schema": "sidarkiv.sync.v1",
        "offline": args.offline,
        "replayed_from": args.offline.then(|| args.recording.display().to_string()),
        "archive": settings.archive.display().to_string(),
        "pages": outcomes.len(),
        "captures_found": outcomes.iter().map(|o| o.captures_found).sum::<usize>(),
        "captures_new": outcomes.iter().map(|o| o.captures_new).sum::<usize>(),
        "captures_stored": outcomes.iter().map(|o| o.captures_stored).sum::<usize>(),
        "revisits_stored": outcomes.iter().map(|o| o.revisits_stored).sum::<usize>(),
        "captures_remaining": outcomes.iter().map(|o| o.captures_remaining).sum::<usize>(),
        "attachments_stored": outcomes.iter().map(|o| o.attachments_stored).sum::<usize>(),
        "pages_not_reached": not_reached,
        "sites_not_reached": settings.sites.len() - sites.len(),
        "sites": sites,
        "changes": diffs.len(),
        "report": report_path,
        "report_error": report_error,
        "results": outcomes,
        "failures": failures,
    }))?;
    let first = failures.first().map(|f| {
        format!(
            "{}: {}",
            f["url"].as_str().unwrap_or(""),
            f["reason"].as_str().unwrap_or("")
        )
    });
    let code = super::tally(
        "tracked pages and sites",
        (outcomes.len() + sites.len()).saturating_sub(failures.len()),
        failures.len(),
        first,
    )?;
    match report_error {
        Some(e) => Err(Failure::Partial(anyhow::anyhow!(
            "the report could not be written ({e}); the changes are stored: `sidarkiv report --since …` writes them"
        ))),
        None => Ok(code),
    }
}

fn write_report(
    path: &Path,
    diffs: &[FoundDiff],
    lang: Lang,
    covered: report::Covered,
) -> anyhow::Result<()> {
    let entries = entries(diffs);
    let text = if is_markdown(path) {
        report::markdown_many(&entries, lang, covered)
    } else {
        report::html_many(&entries, lang, covered)?
    };
    super::write_output(path, |out| Ok(out.write_all(text.as_bytes())?))
}

fn entries(found: &[FoundDiff]) -> Vec<Entry<'_>> {
    found
        .iter()
        .map(|d| Entry {
            title: d.title.as_deref(),
            diff: &d.diff,
        })
        .collect()
}

fn is_markdown(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("md") || e.eq_ignore_ascii_case("markdown"))
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ReportFormat {
    Html,
    Markdown,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Only changes captured on or after this date: YYYY, YYYY-MM,
    /// YYYY-MM-DD or a timestamp prefix (its start).
    #[arg(long, value_parser = super::date_start)]
    since: Option<sidarkiv::Timestamp>,
    #[arg(long, value_enum, default_value = "html")]
    format: ReportFormat,
    /// Write to this file instead of standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "sv")]
    lang: LangArg,
    #[command(flatten)]
    archive: super::store::ArchiveArg,
}

/// Every page's changes between consecutive captures, newest first.
pub fn report(args: ReportArgs) -> Result<ExitCode, Failure> {
    let since = args.since;
    let archive = args.archive.open()?;
    let records = archive.list_pages()?;
    let mut found: Vec<FoundDiff> = Vec::new();
    // Each page JSON is read once: the later capture of one pair is the
    // earlier of the next.
    let mut previous: Option<(&sidarkiv::archive::CaptureRecord, sidarkiv::model::Page)> = None;
    for b in &records {
        let pb = archive.page(b)?;
        // An archived 429 or 503 says nothing of the page: skipped over.
        if !pb.is_compared() {
            continue;
        }
        if let Some((a, pa)) = &previous
            && a.url == b.url
            && since.is_none_or(|s| b.timestamp >= s)
        {
            let d = sidarkiv::diff::diff(pa, &pb);
            if d.changed {
                found.push(FoundDiff::new(pa, &pb, d));
            }
        }
        previous = Some((b, pb));
    }
    found.sort_by_key(|d| std::cmp::Reverse(d.diff.to.timestamp));
    let first = records.iter().map(|r| r.timestamp).min();
    let last = records.iter().map(|r| r.timestamp).max();
    let covered = since.or(first).zip(last);
    let lang: Lang = args.lang.into();
    let entries = entries(&found);
    let text = match args.format {
        ReportFormat::Html => report::html_many(&entries, lang, covered)?,
        ReportFormat::Markdown => report::markdown_many(&entries, lang, covered),
        ReportFormat::Json => {
            let diffs: Vec<_> = found.iter().map(|d| &d.diff).collect();
            let mut s = serde_json::to_string_pretty(
                &json!({"schema": "sidarkiv.report.v1", "diffs": diffs}),
            )?;
            s.push('\n');
            s
        }
    };
    match &args.output {
        Some(path) => super::write_output(path, |out| Ok(out.write_all(text.as_bytes())?))?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, clap::Args)]
pub struct SiteReportArgs {
    /// The folder to write the site into (made if missing; brought up to
    /// date if it holds an earlier build).
    dir: PathBuf,
    /// The start page lists changes captured on or after this date: YYYY,
    /// YYYY-MM, YYYY-MM-DD or a timestamp prefix (its start).
    #[arg(long, value_parser = super::date_start)]
    since: Option<sidarkiv::Timestamp>,
    #[arg(long, value_enum, default_value = "sv")]
    lang: LangArg,
    #[command(flatten)]
    archive: super::store::ArchiveArg,
}

/// `site-report DIR`: the archive's history as a static website.
pub fn site_report(args: SiteReportArgs) -> Result<ExitCode, Failure> {
    let archive = args.archive.open()?;
    let settings = Settings::load(None, &Overrides::default())?;
    let opts = sidarkiv::report::site::SiteOptions {
        since: args.since,
        lang: args.lang.into(),
        wayback: settings.wayback.to_string(),
    };
    let done = sidarkiv::report::site::write_site(&archive, &args.dir, &opts)?;
    print_json(&json!({
        "site": args.dir.display().to_string(),
        "start": args.dir.join("index.html").display().to_string(),
        "pages": done.pages,
        "changes": done.changes,
        "copies": done.copies,
        "written": done.written,
        "unchanged": done.unchanged,
    }))?;
    Ok(ExitCode::SUCCESS)
}
