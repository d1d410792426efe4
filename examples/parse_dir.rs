//! The parsing side of `sidarkiv import` alone, for the README's account of
//! where the import's time goes: every `.html` file of a folder read into
//! memory first, then `parse_page` and the page JSON on one thread, timed.
//!
//! usage: cargo run --release --example parse_dir -- DIR

use sidarkiv::{ParseOptions, parse_page};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).ok_or("usage: parse_dir DIR")?;
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "html") {
            files.push(path);
        }
    }
    files.sort();
    let pages = files
        .iter()
        .map(std::fs::read)
        .collect::<Result<Vec<_>, _>>()?;
    if pages.is_empty() {
        return Err(format!("no .html files in {dir}").into());
    }
    let start = Instant::now();
    let mut json_bytes = 0;
    for bytes in &pages {
        let page = parse_page(bytes, &ParseOptions::default())?;
        json_bytes += serde_json::to_vec_pretty(&page)?.len();
    }
    let elapsed = start.elapsed();
    println!(
        "{} pages: {:.2} s, {:.0} µs per page, page JSON {:.0} KB per page",
        pages.len(),
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / pages.len() as f64,
        json_bytes as f64 / 1e3 / pages.len() as f64
    );
    Ok(())
}
