//! `sidarkiv snapshots` and `sidarkiv fetch`: the network commands.

use anyhow::{Context, bail};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use super::{Failure, print_json};
use sidarkiv::Timestamp;
use sidarkiv::config::{Overrides, Settings};
use sidarkiv::fetch::Fetcher;
use sidarkiv::model::SourceKind;
use sidarkiv::wayback;

#[derive(Debug, clap::Args)]
pub struct Common {
    /// Config file (default: ./sidarkiv.toml when it exists).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Base URL of a Wayback-compatible server.
    #[arg(long)]
    wayback: Option<String>,
    /// Archive directory `fetch` stores into (default: `archive` from the config, else ./archive).
    #[arg(long)]
    archive: Option<PathBuf>,
}

impl Common {
    fn settings(&self) -> anyhow::Result<Settings> {
        let flags = Overrides {
            wayback: self.wayback.clone(),
            archive: self.archive.clone(),
        };
        Ok(Settings::load(self.config.as_deref(), &flags)?)
    }
}

#[derive(Debug, clap::Args)]
pub struct SnapshotsArgs {
    /// The page whose captures to list.
    url: String,
    /// Earliest capture: YYYY, YYYY-MM, YYYY-MM-DD or a timestamp prefix (its start).
    #[arg(long, value_parser = super::date_start)]
    from: Option<Timestamp>,
    /// Latest capture: YYYY, YYYY-MM, YYYY-MM-DD or a timestamp prefix (its end).
    #[arg(long, value_parser = super::date_end)]
    to: Option<Timestamp>,
    #[command(flatten)]
    common: Common,
}

#[derive(Debug, clap::Args)]
pub struct FetchArgs {
    /// The page to fetch.
    url: String,
    /// The capture nearest to this date (the end of the period a prefix
    /// names); default: the newest.
    #[arg(long, conflicts_with = "live", value_parser = super::date_end)]
    at: Option<Timestamp>,
    /// Fetch the page from its own site instead of the Wayback Machine.
    #[arg(long)]
    live: bool,
    #[command(flatten)]
    common: Common,
}

fn check_url(url: &str) -> anyhow::Result<()> {
    match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(()),
        _ => bail!("{url:?} is not an http(s) URL"),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

pub fn snapshots(args: SnapshotsArgs) -> Result<ExitCode, Failure> {
    check_url(&args.url)?;
    let settings = args.common.settings()?;
    let fetcher = Fetcher::new(&settings).map_err(anyhow::Error::from)?;
    let progress = indicatif::ProgressBar::new_spinner();
    progress.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    let mut printed = 0usize;
    let result: anyhow::Result<()> = runtime()?.block_on(async {
        let mut out = std::io::stdout().lock();
        // Every capture the archive lists, in its order: `digest` shows
        // which hold the same bytes (a page that returns to an earlier text
        // lists that digest again).
        let mut write_rows = |rows: Vec<wayback::CdxRow>| -> std::io::Result<()> {
            for row in rows {
                serde_json::to_writer(&mut out, &row)?;
                out.write_all(b"\n")?;
                printed += 1;
            }
            out.flush()?;
            progress.set_message(format!("{printed} captures"));
            progress.tick();
            Ok(())
        };
        let query = wayback::CdxQuery {
            url: &args.url,
            from: args.from,
            to: args.to,
            filters: &settings.cdx_filter,
            prefix: false,
        };
        sidarkiv::sync::each_cdx_page(&fetcher, &query, |rows| Ok(write_rows(rows)?))
            .await
            .with_context(|| args.url.clone())
    });
    progress.finish_and_clear();
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) if printed > 0 => Err(Failure::Partial(
            e.context(format!("listed {printed} captures, then failed")),
        )),
        Err(e) => Err(e.into()),
    }
}

pub fn fetch(args: FetchArgs) -> Result<ExitCode, Failure> {
    check_url(&args.url)?;
    let settings = args.common.settings()?;
    let fetcher = Fetcher::new(&settings).map_err(anyhow::Error::from)?;
    let capture = runtime()?.block_on(async {
        if args.live {
            fetcher.live(&args.url).await
        } else {
            fetcher
                .capture(&args.url, args.at.unwrap_or_else(Timestamp::now))
                .await
        }
    });
    let capture = capture.map_err(anyhow::Error::from)?;
    let kind = if args.live {
        SourceKind::Live
    } else {
        SourceKind::Wayback
    };
    let page = capture
        .page(kind, &settings)
        .with_context(|| capture.original_url.clone())?;
    let archive = super::store::open_archive(&settings.archive)?;
    let at = capture.timestamp.unwrap_or_else(Timestamp::now);
    let (meta, received) = capture.into_stored(args.url.clone(), at, kind);
    let lock = archive.lock()?;
    let stored = archive.store(&lock, received, &page, meta)?;
    drop(lock);
    archive.finish()?;
    tracing::info!(sha256 = %stored.record.sha256, new = stored.new, "stored");
    print_json(&page)?;
    Ok(ExitCode::SUCCESS)
}
