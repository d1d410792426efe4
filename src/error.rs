//! Typed errors of the library. The CLI adds which input they concern.

use thiserror::Error;

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
