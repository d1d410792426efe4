//! The client's own overhead: list 100 captures through CDX (one page) and
//! download and parse all 100 from a server on 127.0.0.1, rate limits off.
//! Run: `cargo bench --bench fetch`.

#[path = "../tests/server.rs"]
mod server;

use criterion::{Criterion, criterion_group, criterion_main};
use server::{Reply, Server};
use sidarkiv::config::Settings;
use sidarkiv::fetch::{Fetcher, Kind};
use sidarkiv::{ParseOptions, parse_page, wayback};

const PAGE: &str = "http://www.karlskrona.se/sv/Internationella-natverk/";

fn bench_fetch(c: &mut Criterion) {
    let body = std::fs::read(format!(
        "{}/fixtures/karlskrona-2010-raw.html",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture");
    let rows: Vec<String> = (0..100)
        .map(|i| {
            format!(
                r#"["2010042609{:04}","{PAGE}","text/html","200","D{i}","7895"]"#,
                i
            )
        })
        .collect();
    let cdx = format!(
        "[[\"timestamp\",\"original\",\"mimetype\",\"statuscode\",\"digest\",\"length\"],{}]",
        rows.join(",")
    );
    let server = Server::start(move |hit, _| {
        if hit.target.starts_with("/cdx/") {
            Reply::ok(cdx.clone(), &[])
        } else {
            Reply::ok(
                body.clone(),
                &[
                    ("Memento-Datetime", "Mon, 26 Apr 2010 09:35:12 GMT"),
                    (
                        "x-archive-orig-content-type",
                        "text/html; charset=ISO-8859-1",
                    ),
                ],
            )
        }
    });
    let settings = Settings {
        wayback: url::Url::parse(&server.base).expect("url"),
        cdx_per_minute: None,
        captures_per_second: None,
        ..Settings::default()
    };
    let fetcher = Fetcher::new(&settings).expect("client");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut group = c.benchmark_group("fetch");
    group.sample_size(20);
    group.bench_function("snapshots+100 captures", |b| {
        b.iter(|| {
            rt.block_on(async {
                let query = wayback::CdxQuery {
                    url: PAGE,
                    from: None,
                    to: None,
                    filters: &[],
                    prefix: false,
                };
                let q = wayback::cdx_url(&settings.wayback, &query, 1000, None);
                let r = fetcher.get(Kind::Cdx, q.as_str()).await.expect("cdx");
                let page = wayback::parse_cdx(&r.body).expect("rows");
                for row in page.rows {
                    let cap = fetcher
                        .capture(&row.original, row.timestamp)
                        .await
                        .expect("capture");
                    let opts = ParseOptions {
                        url: Some(cap.original_url),
                        charset: cap.charset,
                        kind: sidarkiv::model::SourceKind::Wayback,
                        timestamp: cap.timestamp,
                        budget: None,
                        status: Some(cap.status),
                        redirect: None,
                    };
                    parse_page(&cap.body, &opts).expect("parse");
                }
            })
        })
    });
    group.finish();
}

criterion_group!(benches, bench_fetch);
criterion_main!(benches);
