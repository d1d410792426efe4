//! Integration tests: every test drives the real `sidarkiv` binary.

mod archive_cli;
mod conformance;
mod diff;
mod fetch;
mod hostile;
mod other_tools;
mod pages;
mod parse;
mod pipes;
mod readme;
mod server;
mod site;
mod site_report;
mod sync;
mod trust;
mod util;
mod warc_tools;
