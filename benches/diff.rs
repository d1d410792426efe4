//! `diff` on the fixture pair (2010 → 2011), pages already parsed, and the
//! Markdown and HTML reports of it. Run: `cargo bench --bench diff`.

use criterion::{Criterion, criterion_group, criterion_main};
use sidarkiv::report::{self, Lang};
use sidarkiv::{Page, ParseOptions, parse_page};
use std::hint::black_box;

fn page(name: &str) -> Page {
    let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).expect("fixture");
    parse_page(&bytes, &ParseOptions::default()).expect("parses")
}

fn bench_diff(c: &mut Criterion) {
    let a = page("karlskrona-2010-raw.html");
    let b = page("karlskrona-2011-raw.html");
    c.bench_function("diff/2010-2011", |bench| {
        bench.iter(|| sidarkiv::diff::diff(black_box(&a), black_box(&b)))
    });
    let d = sidarkiv::diff::diff(&a, &b);
    c.bench_function("report/markdown", |bench| {
        bench.iter(|| report::markdown(black_box(&d), Some("Internationella nätverk"), Lang::Sv))
    });
    c.bench_function("report/html", |bench| {
        bench.iter(|| {
            report::html(black_box(&d), Some("Internationella nätverk"), Lang::Sv).expect("renders")
        })
    });
}

criterion_group!(benches, bench_diff);
criterion_main!(benches);
