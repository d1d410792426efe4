//! decode + clean + extract on arbitrary bytes, with and without a transport
//! charset: must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sidarkiv::{ParseOptions, parse_page};

fuzz_target!(|data: &[u8]| {
    let _ = parse_page(data, &ParseOptions::default());
    let opts = ParseOptions {
        charset: Some("utf-8".into()),
        url: Some("http://www.karlskrona.se/sv/".into()),
        ..ParseOptions::default()
    };
    let _ = parse_page(data, &opts);
});
