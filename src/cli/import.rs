//! `sidarkiv import`: arguments in, JSON lines out; the pipeline is
//! [`sidarkiv::import`].

use anyhow::Context;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use super::Failure;
use super::store::{ArchiveArg, open_archive};
use sidarkiv::import::{ImportOptions, Imported};

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

pub fn import(args: ImportArgs) -> Result<ExitCode, Failure> {
    if let Some(u) = &args.url {
        url::Url::parse(u).with_context(|| format!("--url {u:?}: not a valid URL"))?;
    }
    let settings = args.archive.settings()?;
    let archive = open_archive(&settings.archive)?;
    let opts = ImportOptions {
        url: args.url.clone(),
        max_body_bytes: settings.max_body_bytes,
        page_time_budget: settings.page_time_budget,
    };
    let progress = indicatif::ProgressBar::new_spinner();
    progress.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    let mut out = std::io::stdout().lock();
    let (mut ok, mut failed) = (0usize, 0usize);
    let result = sidarkiv::import::import(&archive, &args.paths, &opts, |line| {
        serde_json::to_writer(&mut out, line)?;
        out.write_all(b"\n")?;
        if line["type"] == "page" {
            match line["status"].as_str() {
                Some("ok") => ok += 1,
                _ => failed += 1,
            }
            progress.set_message(format!("{ok} imported, {failed} failed"));
            progress.tick();
        }
        Ok(())
    });
    progress.finish_and_clear();
    let Imported {
        ok,
        failed,
        first_failure,
    } = result?;
    out.flush()?;
    match (ok, failed) {
        (0, 0) => Err(anyhow::anyhow!(
            "no HTML or WARC files found in {}",
            args.paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )
        .into()),
        _ => super::tally("inputs", ok, failed, first_failure),
    }
}
