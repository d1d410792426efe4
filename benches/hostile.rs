//! Hostile pages through `parse_page`, and the diff of two pages whose every
//! section was renamed: medians of a few runs, for docs/performance.md.
//! Run: `cargo bench --bench hostile`.

#[path = "hostile/pages.rs"]
mod pages;

use sidarkiv::{ParseOptions, parse_page};
use std::time::{Duration, Instant};

const RUNS: usize = 5;

fn median(mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[RUNS / 2]
}

fn parse(name: &str, html: &str) {
    let opts = ParseOptions::default();
    let mut outcome = String::new();
    let t = median(|| {
        outcome = match parse_page(html.as_bytes(), &opts) {
            Ok(p) => format!("ok, {} sections", p.sections.len()),
            Err(e) => format!("refused: {e}"),
        };
    });
    println!(
        "parse  {name:<34} {:>8.1} KB  median {:>9.3} s  ({outcome})",
        html.len() as f64 / 1024.0,
        t.as_secs_f64()
    );
}

fn main() {
    for n in [10_000, 50_000, 100_000, 200_000] {
        parse(&format!("nested <div> × {n}"), &pages::nested_divs(n));
    }
    for n in [2_000, 5_000, 10_000, 100_000] {
        parse(
            &format!("<b id=N> × {n}, then <p> × {n}"),
            &pages::reopened_formatting(n),
        );
    }
    for n in [10_000, 50_000] {
        parse(&format!("nested <table> × {n}"), &pages::nested_tables(n));
    }
    for n in [1_000, 2_000, 4_000] {
        let opts = ParseOptions::default();
        let a = parse_page(pages::sections(n, "Rubrik").as_bytes(), &opts).expect("parses");
        let b = parse_page(pages::sections(n, "Ny rubrik").as_bytes(), &opts).expect("parses");
        let mut summary = String::new();
        let t = median(|| summary = format!("{:?}", sidarkiv::diff::diff(&a, &b).summary));
        println!(
            "diff   {:<34} median {:>9.3} s  ({summary})",
            format!("{n} sections, every heading renamed"),
            t.as_secs_f64()
        );
    }
}
