//! `sidarkiv parse FILE|- [--url URL] [--charset LABEL]`

use anyhow::{Context, bail};
use std::path::PathBuf;
use std::process::ExitCode;

use super::{Failure, print_json, read_capped, read_file};
use sidarkiv::config::Settings;
use sidarkiv::model::SourceKind;
use sidarkiv::{ParseOptions, parse_page};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The HTML file to read, or `-` for standard input.
    #[arg(default_value = "-")]
    input: PathBuf,
    /// The page's original URL (used when the page names no URL of its own).
    #[arg(long)]
    url: Option<String>,
    /// The charset the document was served with (a WHATWG label, e.g. iso-8859-1).
    #[arg(long)]
    charset: Option<String>,
}

pub fn run(args: Args) -> Result<ExitCode, Failure> {
    if let Some(label) = &args.charset
        && encoding_rs::Encoding::for_label(label.trim().as_bytes()).is_none()
    {
        bail_fatal(format!("--charset {label:?}: not a known encoding label"))?;
    }
    if let Some(url) = &args.url {
        url::Url::parse(url).with_context(|| format!("--url {url:?}: not a valid URL"))?;
    }
    let stdin = args.input.as_os_str() == "-";
    let name = if stdin {
        "standard input".to_owned()
    } else {
        args.input.display().to_string()
    };
    // parse reads no config: a broken sidarkiv.toml beside the file is none of its business.
    let limit = Settings::default().max_body_bytes;
    let bytes = if stdin {
        read_capped(std::io::stdin().lock(), limit, &name)?
    } else {
        read_file(&args.input, limit)?
    };
    let opts = ParseOptions {
        url: args.url,
        charset: args.charset,
        kind: if stdin {
            SourceKind::Stdin
        } else {
            SourceKind::File
        },
        timestamp: None,
        budget: None,
        status: None,
        redirect: None,
    };
    let page = parse_page(&bytes, &opts).with_context(|| format!("cannot parse {name}"))?;
    print_json(&page)?;
    Ok(ExitCode::SUCCESS)
}

fn bail_fatal(message: String) -> anyhow::Result<()> {
    bail!(message)
}
