//! Integration tests: every test drives the real `sidarkiv` binary.

mod conformance;
mod parse;
mod util;
