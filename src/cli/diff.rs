//! `sidarkiv diff A B [--format json|markdown|html] [--lang sv|en]`
//!
//! A and B are HTML files (parsed on the fly) or page JSON files. Exit 0 when
//! nothing changed, 1 when something did, 2 on error — like diff(1).

use anyhow::{Context, bail};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::{Failure, print_json};
use sidarkiv::report::{self, Lang};
use sidarkiv::{Page, ParseOptions, parse_page};

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    Json,
    Markdown,
    Html,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum LangArg {
    Sv,
    En,
}

impl From<LangArg> for Lang {
    fn from(l: LangArg) -> Self {
        match l {
            LangArg::Sv => Lang::Sv,
            LangArg::En => Lang::En,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The earlier capture: an HTML file, a page JSON file or an archive
    /// reference (URL@TIMESTAMP, or a sha256 prefix of at least 12 hex digits).
    a: PathBuf,
    /// The later capture, in the same forms.
    b: PathBuf,
    #[arg(long, value_enum, default_value = "json")]
    format: Format,
    /// Language of the Markdown and HTML reports.
    #[arg(long, value_enum, default_value = "sv")]
    lang: LangArg,
    #[command(flatten)]
    archive: super::store::ArchiveArg,
}

pub fn run(args: Args) -> Result<ExitCode, Failure> {
    let a = load_or_resolve(&args.a, &args.archive)?;
    let b = load_or_resolve(&args.b, &args.archive)?;
    let d = sidarkiv::diff::diff(&a, &b);
    let title = b.title.as_deref().or(a.title.as_deref());
    match args.format {
        Format::Json => print_json(&d)?,
        Format::Markdown => write_stdout(&report::markdown(&d, title, args.lang.into()))?,
        Format::Html => {
            let html = report::html(&d, title, args.lang.into())
                .context("cannot render the HTML report")?;
            write_stdout(&html)?
        }
    }
    Ok(ExitCode::from(u8::from(d.changed)))
}

/// A file when one exists at `arg`, else an archive reference.
fn load_or_resolve(arg: &Path, archive: &super::store::ArchiveArg) -> anyhow::Result<Page> {
    if arg.exists() {
        return load(arg, archive.settings()?.max_body_bytes);
    }
    let reference = arg.to_string_lossy();
    super::store::resolve_page(archive, &reference)
        .with_context(|| format!("{reference} is neither a file nor a capture in the archive"))
}

/// A page from a file: page JSON when it is JSON, else an HTML document.
pub fn load(path: &Path, limit: u64) -> anyhow::Result<Page> {
    let name = path.display();
    let bytes = super::read_file(path, limit)?;
    let start = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
    if start.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        let page: Page = serde_json::from_slice(start)
            .with_context(|| format!("{name} is JSON but not a sidarkiv page document"))?;
        if page.schema != sidarkiv::model::PAGE_SCHEMA {
            bail!(
                "{name}: schema {:?} is not {}",
                page.schema,
                sidarkiv::model::PAGE_SCHEMA
            );
        }
        return Ok(page);
    }
    let opts = ParseOptions {
        ..ParseOptions::default()
    };
    parse_page(&bytes, &opts).with_context(|| format!("cannot parse {name}"))
}

fn write_stdout(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    if !text.ends_with('\n') {
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}
