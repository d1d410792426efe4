//! Typed errors of the library. The CLI adds which input they concern.

use thiserror::Error;

/// An error and its causes in one line, `outer: cause: cause`, for JSON
/// lines and logs. A cause whose text its parent already shows (a wrapper
/// that prints its source) is not repeated.
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cause = c.source();
    }
    out
}

/// Why a document could not be read at all.
#[derive(Debug, Error)]
pub enum ParseError {
    #[error("the input is empty")]
    Empty,
    #[error("the input is not an HTML document: {0}")]
    Binary(String),
    #[error(transparent)]
    Dom(#[from] crate::extract::dom::DomError),
}
