//! `parse_page` on the bundled 2010 capture, raw and in Wayback view mode,
//! and on one page of the import benchmark (`benches/data/`, made by
//! `benches/import/gen_pages.py`: page 380 of seed 2010, 20.5 KB).
//! Run: `cargo bench --bench parse`; criterion prints the median time per page
//! and throughput in MB/s.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sidarkiv::{ParseOptions, parse_page};
use std::hint::black_box;

fn bench_parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");
    for name in [
        "fixtures/karlskrona-2010-raw.html",
        "fixtures/karlskrona-2010-wayback-view.html",
        "benches/data/generated-sida-00380.html",
    ] {
        let path = format!("{}/{name}", env!("CARGO_MANIFEST_DIR"));
        let bytes = std::fs::read(&path).expect("fixture");
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        let label = name.rsplit('/').next().unwrap_or(name);
        group.bench_function(label, |b| {
            b.iter(|| parse_page(black_box(&bytes), &ParseOptions::default()).expect("parses"))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_parse);
criterion_main!(benches);
