//! Integration tests: every test drives the real `sidarkiv` binary.

mod conformance;
mod diff;
mod parse;
mod util;
