//! The `sidarkiv` command line: argument parsing, logging and exit codes.
//! All work happens in the library.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::run()
}
