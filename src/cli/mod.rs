//! Arguments → validated options → library calls → JSON on stdout.
//! Errors are mapped to the contract's exit codes in one place ([`exit_code`]).

mod diff;
mod import;
mod net;
mod parse;
mod store;
mod sync;

use clap::{Parser, Subcommand};
use std::io::{self, Write};
use std::process::ExitCode;

/// Scraper and archival importer for old municipal web pages.
#[derive(Debug, Parser)]
#[command(name = "sidarkiv", version, about)]
struct Cli {
    /// More log output on stderr (repeat for more).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// Only errors on stderr.
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Decode, clean and extract one HTML document; print the page JSON.
    Parse(parse::Args),
    /// List a page's captures from the Wayback CDX API, one JSON object per line.
    Snapshots(net::SnapshotsArgs),
    /// Download one capture (raw) or the live page; store it; print its page JSON.
    Fetch(net::FetchArgs),
    /// Compare two captures field by field; exit 1 when they differ.
    Diff(diff::Args),
    /// Import HTML files, folders and WARC files into the archive.
    Import(import::ImportArgs),
    /// List stored captures as JSON lines, oldest first per URL.
    List(store::ListArgs),
    /// Print the stored page JSON of one capture (URL@TIMESTAMP or a sha256 prefix).
    Show(store::ShowArgs),
    /// Write every stored capture to a WARC 1.1 file.
    Export(store::ExportArgs),
    /// Rebuild every stored page JSON from the raw bytes.
    Reparse(store::ReparseArgs),
    /// Check every stored capture; one JSON line per problem; exit 1 on damage.
    Verify(store::VerifyArgs),
    /// Convert an archive written in an earlier layout, losing nothing.
    Upgrade(store::UpgradeArgs),
    /// One JSON line per archived URL, with the capture chosen for a date.
    Pages(store::PagesArgs),
    /// The scheduled job: fetch, store and diff new captures of every tracked page.
    Sync(sync::SyncArgs),
    /// Change report for editors over the whole archive.
    Report(sync::ReportArgs),
    /// A static website of the archive's history for editors.
    SiteReport(sync::SiteReportArgs),
}

/// A failure the contract gives its own exit code. Deliberately not an
/// `Error` itself, so that `?` turns any error into a [`Failure::Fatal`].
#[derive(Debug)]
pub enum Failure {
    /// Bad arguments or unreadable input: nothing was done (exit 2).
    Fatal(anyhow::Error),
    /// Some items failed, the rest were done and kept (exit 3).
    Partial(anyhow::Error),
}

impl<E: Into<anyhow::Error>> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure::Fatal(e.into())
    }
}

pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help, --version: wanted output, on stdout.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            // `sidarkiv` alone: the help, on stderr, and a usage error.
            let _ = e.print();
            return ExitCode::from(2);
        }
        Err(e) => {
            // One line, as for every fatal error: the message up to the
            // usage block, its lines joined; `--help` has the rest.
            let text = e.to_string();
            let message: Vec<&str> = text
                .lines()
                .map(str::trim)
                .take_while(|l| !l.is_empty() && !l.starts_with("Usage:"))
                .collect();
            eprintln!(
                "sidarkiv: {} (see --help)",
                message.join(" ").trim_start_matches("error: ")
            );
            return ExitCode::from(2);
        }
    };
    init_logging(cli.verbose, cli.quiet);
    let result = match cli.command {
        Command::Parse(args) => parse::run(args),
        Command::Snapshots(args) => net::snapshots(args),
        Command::Fetch(args) => net::fetch(args),
        Command::Diff(args) => diff::run(args),
        Command::Import(args) => import::import(args),
        Command::List(args) => store::list(args),
        Command::Show(args) => store::show(args),
        Command::Export(args) => store::export(args),
        Command::Reparse(args) => store::reparse(args),
        Command::Verify(args) => store::verify(args),
        Command::Upgrade(args) => store::upgrade(args),
        Command::Pages(args) => store::pages(args),
        Command::Sync(args) => sync::sync(args),
        Command::Report(args) => sync::report(args),
        Command::SiteReport(args) => sync::site_report(args),
    };
    match result {
        Ok(code) => code,
        Err(failure) => exit_code(failure),
    }
}

/// The contract's exit code for a run over many items (pages, inputs):
/// 0 when none failed; 3 when some failed and some were done; 2, with one
/// line naming the first failure, when none was done.
pub fn tally(
    what: &str,
    done: usize,
    failed: usize,
    first: Option<String>,
) -> Result<ExitCode, Failure> {
    match (done, failed) {
        (_, 0) => Ok(ExitCode::SUCCESS),
        (0, n) => Err(Failure::Fatal(anyhow::anyhow!(
            "nothing was done: all {n} {what} failed{}",
            first
                .map(|f| format!("; the first: {f}"))
                .unwrap_or_default()
        ))),
        (_, n) => Err(Failure::Partial(anyhow::anyhow!(
            "{n} {what} failed, the rest were done and kept{}",
            first
                .map(|f| format!("; the first: {f}"))
                .unwrap_or_default()
        ))),
    }
}

fn exit_code(failure: Failure) -> ExitCode {
    let (e, code) = match failure {
        Failure::Fatal(e) => (e, 2),
        Failure::Partial(e) => (e, 3),
    };
    if is_broken_pipe(&e) {
        return ExitCode::SUCCESS;
    }
    eprintln!("sidarkiv: {}", sidarkiv::error::chain(e.as_ref()));
    ExitCode::from(code)
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

fn init_logging(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("SIDARKIV_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(io::stderr)
        .with_ansi(io::IsTerminal::is_terminal(&io::stderr()))
        .try_init();
}

/// `--from`, `--since`: the start of the period a date names (`2011` is
/// 2011-01-01 00:00:00). Every date flag goes through this or [`date_end`].
pub fn date_start(s: &str) -> Result<sidarkiv::Timestamp, sidarkiv::timestamp::TimestampError> {
    sidarkiv::Timestamp::bound(s, sidarkiv::timestamp::Edge::Start)
}

/// `--to`, `--at`: the end of the period a date names (`2010` is 2010-12-31 23:59:59).
pub fn date_end(s: &str) -> Result<sidarkiv::Timestamp, sidarkiv::timestamp::TimestampError> {
    sidarkiv::Timestamp::bound(s, sidarkiv::timestamp::Edge::End)
}

pub use sidarkiv::input::{read_capped, read_file};

/// Writes an output file (a report, an exported WARC) whole or not at all:
/// into a temporary file beside it, made durable, then renamed over it.
/// A target that exists and is not a regular file (`/dev/stdout`, a pipe, a
/// FIFO) is written to directly: renaming over it would replace the device
/// or the link with a file. Errors name `path`, never the temporary file.
pub fn write_output(
    path: &std::path::Path,
    write: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    use anyhow::Context;
    let name = || format!("cannot write {}", path.display());
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .with_context(name)?;
        let mut out = io::BufWriter::new(file);
        write(&mut out)?;
        return out.flush().with_context(name);
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let mut tmp = sidarkiv::archive::temp_file_in(dir).with_context(name)?;
    {
        let mut out = io::BufWriter::new(tmp.as_file_mut());
        write(&mut out)?;
        out.flush().with_context(name)?;
    }
    tmp.as_file()
        .sync_all()
        .and_then(|()| tmp.persist(path).map(drop).map_err(|e| e.error))
        .with_context(name)
}

/// Writes one value as pretty JSON and a newline to stdout.
pub fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value).map_err(io::Error::from)?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}
