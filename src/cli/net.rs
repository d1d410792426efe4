//! `sidarkiv snapshots` and `sidarkiv fetch`: the network commands.

use anyhow::{Context, bail};
use std::collections::HashSet;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use super::{Failure, print_json};
use sidarkiv::config::{Overrides, Settings, is_timestamp_prefix};
use sidarkiv::fetch::Fetcher;
use sidarkiv::{ParseOptions, parse_page, wayback};

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
    /// Earliest capture, as a timestamp prefix (2010, 201004, …).
    #[arg(long)]
    from: Option<String>,
    /// Latest capture, as a timestamp prefix.
    #[arg(long)]
    to: Option<String>,
    #[command(flatten)]
    common: Common,
}

#[derive(Debug, clap::Args)]
pub struct FetchArgs {
    /// The page to fetch.
    url: String,
    /// The capture nearest to this timestamp (prefix); default: the newest.
    #[arg(long, conflicts_with = "live")]
    at: Option<String>,
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

fn check_ts(flag: &str, ts: Option<&str>) -> anyhow::Result<()> {
    match ts {
        Some(t) if !is_timestamp_prefix(t) => {
            bail!("{flag} {t:?}: expected a timestamp prefix of 4 to 14 digits")
        }
        _ => Ok(()),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

pub fn snapshots(args: SnapshotsArgs) -> Result<ExitCode, Failure> {
    check_url(&args.url)?;
    check_ts("--from", args.from.as_deref())?;
    check_ts("--to", args.to.as_deref())?;
    let settings = args.common.settings()?;
    let fetcher = Fetcher::new(&settings).map_err(anyhow::Error::from)?;
    let progress = indicatif::ProgressBar::new_spinner();
    progress.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    let mut printed = 0usize;
    let result: anyhow::Result<()> = runtime()?.block_on(async {
        let mut digests = HashSet::new();
        let mut out = std::io::stdout().lock();
        let mut write_rows = |rows: Vec<wayback::CdxRow>| -> std::io::Result<()> {
            for row in rows {
                if digests.insert(row.digest.clone()) {
                    serde_json::to_writer(&mut out, &row)?;
                    out.write_all(b"\n")?;
                    printed += 1;
                }
            }
            out.flush()?;
            progress.set_message(format!("{printed} captures"));
            progress.tick();
            Ok(())
        };
        let mut io_error: Option<std::io::Error> = None;
        let listed = sidarkiv::sync::each_cdx_page(
            &fetcher,
            &args.url,
            args.from.as_deref(),
            args.to.as_deref(),
            |rows| {
                write_rows(rows).map_err(|e| {
                    let message = e.to_string();
                    io_error = Some(e);
                    message
                })
            },
        )
        .await;
        if let Some(e) = io_error {
            return Err(e.into());
        }
        listed.map_err(|e| anyhow::anyhow!("{}: {e}", args.url))
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
    check_ts("--at", args.at.as_deref())?;
    let settings = args.common.settings()?;
    let fetcher = Fetcher::new(&settings).map_err(anyhow::Error::from)?;
    let capture = runtime()?.block_on(async {
        if args.live {
            fetcher.live(&args.url).await
        } else {
            let at = args.at.clone().unwrap_or_else(now_timestamp);
            fetcher.capture(&args.url, &at).await
        }
    });
    let capture = capture.map_err(anyhow::Error::from)?;
    let opts = ParseOptions {
        url: Some(capture.original_url.clone()),
        charset: capture.charset.clone(),
        kind: if args.live { "live" } else { "wayback" }.into(),
        timestamp: capture.timestamp.clone(),
        budget: Some(settings.page_time_budget),
    };
    let mut page = parse_page(&capture.body, &opts)
        .with_context(|| format!("cannot parse {}", capture.original_url))?;
    if capture.status != 200 {
        page.warnings.push(format!(
            "the page answered with HTTP status {} when it was captured",
            capture.status
        ));
    }
    let archive = super::store::open_archive(&settings.archive)?;
    let meta = sidarkiv::archive::StoreMeta {
        url: args.url.clone(),
        timestamp: capture.timestamp.clone().unwrap_or_else(now_timestamp),
        kind: opts.kind.clone(),
        original_url: Some(capture.original_url.clone()),
        status: capture.status,
        content_type: capture.content_type.clone(),
    };
    let lock = archive.lock()?;
    let stored = archive.store(&lock, &capture.body, &page, meta)?;
    tracing::info!(sha256 = %stored.record.sha256, new = stored.new, "stored");
    print_json(&page)?;
    Ok(ExitCode::SUCCESS)
}

/// Now as a Wayback timestamp: the nearest capture to it is the newest.
fn now_timestamp() -> String {
    jiff::Timestamp::now().strftime("%Y%m%d%H%M%S").to_string()
}
