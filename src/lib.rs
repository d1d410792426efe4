//! sidarkiv: a scraper and archival importer for old municipal web pages.
//!
//! The modules follow the pipeline: [`clean`] cuts Wayback additions from the
//! raw bytes, [`decode`] turns bytes into text, [`extract`] reads the page
//! model ([`model`]) out of the text; [`parse`] runs the three in order.
//! The library never prints; it returns values and logs through `tracing`.
//!
//! ```
//! let html = "<html lang=sv><body><h1>Internationella n\u{e4}tverk</h1>\
//!             <p>Sidan uppdaterad: 2010-04-26</p></body></html>";
//! let page = sidarkiv::parse_page(html.as_bytes(), &Default::default()).unwrap();
//! assert_eq!(page.title.as_deref(), Some("Internationella nätverk"));
//! assert_eq!(page.updated.as_deref(), Some("2010-04-26"));
//! ```

pub mod archive;
pub mod clean;
pub mod config;
pub mod decode;
pub mod diff;
pub mod error;
pub mod extract;
pub mod fetch;
pub mod import;
pub mod input;
pub mod migrate;
pub mod model;
pub mod par;
pub mod parse;
pub mod replay;
pub mod report;
pub mod sync;
pub mod timestamp;
pub mod wayback;

pub use error::ParseError;
pub use model::Page;
pub use parse::{ParseOptions, parse_page};
pub use timestamp::Timestamp;
