//! `sidarkiv snapshots` and `sidarkiv fetch` against a Wayback-compatible
//! server on 127.0.0.1, including its unpleasant answers.

use crate::server::{Hit, Reply, Server, keeps_rate};
use crate::util::{fixture, run_net};
use serde_json::Value;
use std::time::{Duration, Instant};

const PAGE: &str = "http://www.karlskrona.se/sv/Om-kommunen/Sa-arbetar-vi-med/Internationellt-samarbete/Internationella-natverk/";
const TS: &str = "20100426093512";
const MEMENTO: (&str, &str) = ("Memento-Datetime", "Mon, 26 Apr 2010 09:35:12 GMT");
const LATIN1: (&str, &str) = (
    "x-archive-orig-content-type",
    "text/html; charset=ISO-8859-1",
);

fn raw_page() -> Vec<u8> {
    std::fs::read(fixture("karlskrona-2010-raw.html")).expect("fixture")
}

fn capture_path(ts: &str, url: &str) -> String {
    format!("/web/{ts}id_/{url}")
}

fn stdout_json(out: &std::process::Output) -> Value {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

fn lines(out: &std::process::Output) -> Vec<Value> {
    crate::util::json_lines(&out.stdout)
}

fn cdx_row(ts: &str, digest: &str) -> String {
    format!(r#"["{ts}","{PAGE}","text/html","200","{digest}","7895"]"#)
}

const CDX_HEADER: &str = r#"["timestamp","original","mimetype","statuscode","digest","length"]"#;

fn fetch(server: &Server, extra: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut args = vec!["fetch", PAGE, "--wayback", &server.base];
    args.extend_from_slice(extra);
    run_net(&args, env)
}

/// A capture handler: the raw page at TS, with headers like the archive's.
fn serve_capture(hit: &Hit) -> Reply {
    if hit.target == capture_path(TS, PAGE) {
        Reply::ok(raw_page(), &[MEMENTO, LATIN1])
    } else {
        Reply::status(404, "not here", &[])
    }
}

#[test]
fn cdx_paging_with_resume_keys_lists_every_capture() {
    let server = Server::start(|hit, _| {
        let body = if hit.target.contains("resumeKey=k2") {
            format!("[{CDX_HEADER},{}]", cdx_row("20120101000000", "DDD"))
        } else if hit.target.contains("resumeKey=k1") {
            format!(
                "[{CDX_HEADER},{},{},[],[\"k2\"]]",
                cdx_row("20110315120000", "BBB"),
                cdx_row("20110601000000", "AAA")
            )
        } else {
            format!("[{CDX_HEADER},{},[],[\"k1\"]]", cdx_row(TS, "AAA"))
        };
        Reply::ok(body, &[("Content-Type", "application/json")])
    });
    let out = run_net(
        &[
            "snapshots",
            PAGE,
            "--from",
            "2009",
            "--to",
            "2012",
            "--wayback",
            &server.base,
        ],
        &[],
    );
    let rows = lines(&out);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ts: Vec<&str> = rows
        .iter()
        .map(|r| r["timestamp"].as_str().unwrap_or(""))
        .collect();
    // Every capture, in order: a page that returns to earlier bytes (AAA,
    // BBB, AAA) lists AAA twice; the digest says they are the same.
    assert_eq!(
        ts,
        [TS, "20110315120000", "20110601000000", "20120101000000"],
    );
    assert_eq!(rows[2]["digest"], rows[0]["digest"]);
    assert_eq!(rows[0]["digest"], "AAA");
    assert_eq!(rows[0]["original"], PAGE);
    let hits = server.hits();
    assert_eq!(hits.len(), 3);
    assert!(hits[0].target.starts_with("/cdx/search/cdx?url="));
    for want in ["output=json", "from=2009", "to=2012", "showResumeKey=true"] {
        assert!(
            hits[0].target.contains(want),
            "{want} missing from {}",
            hits[0].target
        );
    }
    // No filter, no collapsing: redirects, archived errors and repeated
    // contents are captures too.
    assert!(!hits[0].target.contains("filter=") && !hits[0].target.contains("collapse="));
    assert!(hits[1].target.contains("resumeKey=k1") && hits[2].target.contains("resumeKey=k2"));
    assert!(hits[0].headers["user-agent"].starts_with("sidarkiv/"));
}

#[test]
fn cdx_filter_narrows_the_listing_and_a_bad_one_is_refused_before_any_request() {
    let server = Server::start(|_, _| Reply::ok("[]", &[]));
    let out = run_net(
        &["snapshots", PAGE, "--wayback", &server.base],
        &[(
            "SIDARKIV_CDX_FILTER",
            r#"["statuscode:200", "!mimetype:warc/revisit"]"#,
        )],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let hits = server.hits();
    assert_eq!(hits.len(), 1);
    assert!(
        hits[0]
            .target
            .contains("filter=statuscode%3A200&filter=%21mimetype%3Awarc%2Frevisit"),
        "{}",
        hits[0].target
    );
    let out = run_net(
        &["snapshots", PAGE, "--wayback", &server.base],
        &[("SIDARKIV_CDX_FILTER", "status:200")],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cdx_filter") && stderr.contains("status:200"),
        "{stderr}"
    );
    assert_eq!(server.hits().len(), 1, "nothing asked with a bad filter");
}

#[test]
fn empty_cdx_result_prints_nothing() {
    let server = Server::start(|_, _| Reply::ok("[]", &[]));
    let out = run_net(&["snapshots", PAGE, "--wayback", &server.base], &[]);
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
}

#[test]
fn archive_redirect_to_the_nearest_capture_is_followed() {
    let server = Server::start(|hit, _| {
        // `--at 2010` is the end of 2010, as the contract has it.
        if hit.target == capture_path("20101231235959", PAGE) {
            let to = capture_path(TS, PAGE);
            Reply::status(
                302,
                "",
                &[
                    ("Location", to.as_str()),
                    (
                        "X-Archive-Redirect-Reason",
                        "found capture at 20100426093512",
                    ),
                ],
            )
        } else {
            serve_capture(hit)
        }
    });
    let archive = crate::util::temp_dir("fetch-store").join("archive");
    let archive_env = archive.to_str().expect("utf-8").to_owned();
    let page = stdout_json(&fetch(
        &server,
        &["--at", "2010"],
        &[("SIDARKIV_ARCHIVE", archive_env.as_str())],
    ));
    assert_eq!(page["source"]["timestamp"], TS);
    assert_eq!(page["source"]["kind"], "wayback");
    // fetch stores what it fetched: the page is now in the archive under its URL.
    let listed = crate::util::run(&["list", PAGE, "--archive", &archive_env], None);
    let record: Value = serde_json::from_slice(&listed.stdout).expect("one record");
    assert_eq!(
        (record["timestamp"].as_str(), record["kind"].as_str()),
        (Some(TS), Some("wayback"))
    );
    assert_eq!(page["source"]["encoding"], "windows-1252");
    assert_eq!(
        page["source"]["encoding_source"], "http",
        "x-archive-orig-content-type is the transport charset"
    );
    assert_eq!(page["title"], "Internationella nätverk");
    assert_eq!(server.hits().len(), 2);
}

/// A redirect the site made at crawl time (a 3xx with `Memento-Datetime`)
/// is the capture, with its target: following it would file another
/// page's text under this address. The archive's own redirects (no
/// `Memento-Datetime`) are followed, and their loops refused.
#[test]
fn site_redirect_at_crawl_time_is_the_capture_and_archive_loops_are_refused() {
    let new_url = "http://www.karlskrona.se/sv/nytt-natverk/";
    let server = Server::start(move |hit, _| {
        if hit.target == capture_path(TS, PAGE) {
            let to = capture_path(TS, new_url);
            Reply::status(301, "", &[("Location", to.as_str()), MEMENTO])
        } else if hit.target == capture_path(TS, new_url) {
            Reply::ok(raw_page(), &[MEMENTO, LATIN1])
        } else if hit.target.contains("loop-a") {
            let to = capture_path(TS, "http://www.karlskrona.se/loop-b/");
            Reply::status(302, "", &[("Location", to.as_str())])
        } else {
            let to = capture_path(TS, "http://www.karlskrona.se/loop-a/");
            Reply::status(302, "", &[("Location", to.as_str())])
        }
    });
    let page = stdout_json(&fetch(&server, &["--at", TS], &[]));
    assert_eq!(page["source"]["original_url"], PAGE);
    assert_eq!(
        (&page["status"], &page["redirect"]),
        (&Value::from(301), &Value::from(new_url))
    );
    assert!(
        page["warnings"].to_string().contains("a redirect to"),
        "{page:#}"
    );
    assert_eq!(server.hits().len(), 1, "the redirect is not followed");
    let out = run_net(
        &[
            "fetch",
            "http://www.karlskrona.se/loop-a/",
            "--at",
            TS,
            "--wayback",
            &server.base,
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("redirect loop") && stderr.contains("loop-a"),
        "{stderr}"
    );
}

#[test]
fn too_many_requests_waits_then_retries() {
    let server = Server::start(|hit, n| {
        if n == 0 {
            Reply::status(429, "slow down", &[])
        } else {
            serve_capture(hit)
        }
    });
    let page = stdout_json(&fetch(
        &server,
        &["--at", TS],
        &[("SIDARKIV_RATE_LIMIT_WAIT_SECONDS", "1.5")],
    ));
    assert_eq!(page["source"]["timestamp"], TS);
    let hits = server.hits();
    assert_eq!(hits.len(), 2);
    let waited = hits[1].at.duration_since(hits[0].at);
    assert!(
        waited >= Duration::from_millis(1450),
        "waited only {waited:?}"
    );
    // Retry-After, when given, wins over the configured wait.
    let server = Server::start(|hit, n| {
        if n == 0 {
            Reply::status(429, "", &[("Retry-After", "0")])
        } else {
            serve_capture(hit)
        }
    });
    let started = Instant::now();
    stdout_json(&fetch(
        &server,
        &["--at", TS],
        &[("SIDARKIV_RATE_LIMIT_WAIT_SECONDS", "30")],
    ));
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn server_errors_resets_and_short_bodies_are_retried() {
    let body = raw_page();
    let server = Server::start(move |hit, n| match (hit.target.as_str(), n) {
        (_, 0) if hit.target.ends_with("a/") => Reply::status(503, "busy", &[]),
        (_, 0) if hit.target.ends_with("b/") => Reply::Reset,
        (_, 0) if hit.target.ends_with("c/") => Reply::Truncated {
            declared: body.len(),
            body: body[..body.len() / 2].to_vec(),
        },
        _ => Reply::ok(body.clone(), &[MEMENTO, LATIN1]),
    });
    for page in ["a/", "b/", "c/"] {
        let url = format!("http://www.karlskrona.se/{page}");
        let out = run_net(&["fetch", &url, "--at", TS, "--wayback", &server.base], &[]);
        let json = stdout_json(&out);
        assert_eq!(
            json["updated"], "2010-04-26",
            "{page}: the whole page arrived"
        );
        let tries = server
            .hits()
            .iter()
            .filter(|h| h.target.ends_with(page))
            .count();
        assert_eq!(tries, 2, "{page}");
    }
}

#[test]
fn refused_connections_wait_then_retry() {
    let server = Server::start_after(Duration::from_millis(1200), |hit, _| serve_capture(hit));
    let page = stdout_json(&fetch(
        &server,
        &["--at", TS],
        &[("SIDARKIV_MAX_RETRIES", "5")],
    ));
    assert_eq!(page["source"]["timestamp"], TS);
}

#[test]
fn bodies_over_max_body_bytes_fail_without_retry() {
    let server = Server::start(|hit, _| {
        if hit.target.contains("chunked") {
            Reply::Chunked {
                bytes: 200 * 1024 * 1024,
            }
        } else {
            Reply::ok(vec![b'a'; 50_000], &[MEMENTO])
        }
    });
    let out = fetch(
        &server,
        &["--at", TS],
        &[("SIDARKIV_MAX_BODY_BYTES", "10000")],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("max_body_bytes") && stderr.contains(TS),
        "{stderr}"
    );
    assert_eq!(server.hits().len(), 1, "a too-large body is not retried");
    // Without Content-Length the cap holds while streaming: 200 MiB offered, stopped at 1 MB.
    let started = Instant::now();
    let out = run_net(
        &[
            "fetch",
            "http://www.karlskrona.se/chunked/",
            "--at",
            TS,
            "--wayback",
            &server.base,
        ],
        &[("SIDARKIV_MAX_BODY_BYTES", "1000000")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("max_body_bytes"));
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn slow_server_times_out_and_the_error_names_the_url() {
    let server =
        Server::start(|hit, _| Reply::Slow(Duration::from_secs(3), Box::new(serve_capture(hit))));
    let out = fetch(
        &server,
        &["--at", TS],
        &[
            ("SIDARKIV_TIMEOUT_SECONDS", "0.5"),
            ("SIDARKIV_MAX_RETRIES", "1"),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("timed out") && stderr.contains(PAGE) && stderr.contains(TS),
        "{stderr}"
    );
    assert_eq!(server.hits().len(), 2);
}

#[test]
fn excluded_site_is_reported_and_not_retried() {
    let server = Server::start(|_, _| {
        Reply::status(
            403,
            "Blocked",
            &[(
                "X-Archive-Wayback-Runtime-Error",
                "org.archive.wayback.exception.AdministrativeAccessControlException: Blocked Site Error",
            )],
        )
    });
    let out = fetch(&server, &["--at", TS], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("excluded from the Wayback Machine"));
    assert_eq!(server.hits().len(), 1);
}

#[test]
fn archived_404_is_a_fact_not_a_failure() {
    let server = Server::start(|_, _| {
        Reply::status(
            404,
            "<html><head><title>Sidan finns inte</title></head><body><h1>Sidan finns inte</h1></body></html>",
            &[MEMENTO],
        )
    });
    let page = stdout_json(&fetch(&server, &["--at", TS], &[]));
    assert_eq!(page["title"], "Sidan finns inte");
    assert!(page["warnings"].to_string().contains("HTTP status 404"));
    assert_eq!(server.hits().len(), 1, "not retried");
}

#[test]
fn answers_without_memento_are_not_captures() {
    let server = Server::start(|_, _| Reply::ok("<html><body>a login wall</body></html>", &[]));
    let out = fetch(&server, &["--at", TS], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("without Memento-Datetime"));
}

#[test]
fn requests_keep_to_the_configured_rates() {
    // Captures: a chain of three requests (two archive redirects, the capture) at 2 per second.
    let server = Server::start(|hit, _| {
        // `--at 2010` is the end of 2010, as the contract has it.
        if hit.target == capture_path("20101231235959", PAGE) {
            let to = capture_path("20100426000000", PAGE);
            Reply::status(302, "", &[("Location", to.as_str())])
        } else if hit.target == capture_path("20100426000000", PAGE) {
            let to = capture_path(TS, PAGE);
            Reply::status(302, "", &[("Location", to.as_str())])
        } else {
            serve_capture(hit)
        }
    });
    stdout_json(&fetch(
        &server,
        &["--at", "2010"],
        &[("SIDARKIV_CAPTURES_PER_SECOND", "2")],
    ));
    let hits = server.hits();
    assert_eq!(hits.len(), 3);
    if let Err(e) = keeps_rate(&hits, Duration::from_millis(500)) {
        panic!("more than 2 requests per second: {e}");
    }
    assert_eq!(
        hits.iter().map(|h| h.connection).max(),
        Some(0),
        "one keep-alive connection"
    );
    // CDX: four pages at 120 per minute, i.e. one per half second.
    let cdx = Server::start(|hit, _| {
        let next = match hit.target.split("resumeKey=").nth(1) {
            None => "1",
            Some("1") => "2",
            Some("2") => "3",
            Some(_) => "",
        };
        let tail = if next.is_empty() {
            String::new()
        } else {
            format!(",[],[\"{next}\"]")
        };
        Reply::ok(format!("[{CDX_HEADER},{}{tail}]", cdx_row(TS, next)), &[])
    });
    let out = run_net(
        &["snapshots", PAGE, "--wayback", &cdx.base],
        &[("SIDARKIV_CDX_PER_MINUTE", "120")],
    );
    assert_eq!(lines(&out).len(), 4);
    assert_eq!(cdx.hits().len(), 4);
    if let Err(e) = keeps_rate(&cdx.hits(), Duration::from_millis(500)) {
        panic!("more than 120 CDX requests per minute: {e}");
    }
}

#[test]
fn live_pages_use_the_http_charset() {
    let server = Server::start(|_, _| {
        Reply::ok(
            raw_page(),
            &[("Content-Type", "text/html; charset=windows-1252")],
        )
    });
    let url = format!("{}/sv/Internationella-natverk/", server.base);
    let page = stdout_json(&run_net(&["fetch", &url, "--live"], &[]));
    assert_eq!(page["source"]["kind"], "live");
    assert_eq!(page["source"]["encoding_source"], "http");
    assert_eq!(page["source"]["timestamp"], Value::Null);
    assert_eq!(page["networks"].as_array().map(Vec::len), Some(4));
}

#[test]
fn bad_arguments_exit_2() {
    for args in [
        vec!["fetch", "not a url"],
        vec!["fetch", PAGE, "--at", "20x0"],
        vec!["snapshots", PAGE, "--from", "19"],
        vec!["snapshots", PAGE, "--wayback", "ftp://example.org"],
    ] {
        let out = run_net(&args, &[]);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr).trim().lines().count(),
            1,
            "{args:?}"
        );
    }
}

#[test]
fn an_archived_429_is_a_fact_about_the_page_not_a_rate_limit() {
    // Regression: the site's 429 to the crawler in 2015, archived with
    // Memento-Datetime, was retried for minutes as if the archive said it.
    let server = Server::start(|hit, _| {
        if hit.target == capture_path(TS, PAGE) {
            Reply::status(429, raw_page(), &[MEMENTO, LATIN1])
        } else {
            Reply::status(404, "not here", &[])
        }
    });
    let dir = crate::util::temp_dir("fetch-archived-429");
    let archive = dir.join("archive");
    let archive = archive.to_str().expect("utf-8");
    let start = Instant::now();
    let page = stdout_json(&fetch(&server, &["--at", TS, "--archive", archive], &[]));
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(server.hits().len(), 1, "fetched once, not retried");
    assert!(page["warnings"].to_string().contains("HTTP status 429"));
}

#[test]
fn an_exclusion_page_served_as_200_is_reported_as_excluded() {
    let server = Server::start(|_, _| {
        Reply::ok(
            "<html><body><p>Sorry.</p><p>This URL has been excluded from the Wayback Machine.</p></body></html>",
            &[],
        )
    });
    let out = fetch(&server, &["--at", TS], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("excluded from the Wayback Machine"), "{err}");
    assert!(!err.contains("not a Wayback capture"), "{err}");
}

#[test]
fn capture_urls_lose_the_default_port_and_host_case() {
    // The CDX `original` often carries `:80`; the Wayback Machine's key ignores it.
    let odd = "http://WWW.Karlskrona.se:80/sv/Om-kommunen/Sa-arbetar-vi-med/Internationellt-samarbete/Internationella-natverk/";
    let server = Server::start(move |hit, _| {
        if hit.target == capture_path(TS, odd) {
            Reply::ok(raw_page(), &[MEMENTO, LATIN1])
        } else {
            Reply::status(404, "not here", &[])
        }
    });
    let out = run_net(&["fetch", odd, "--at", TS, "--wayback", &server.base], &[]);
    let page = stdout_json(&out);
    assert_eq!(page["source"]["original_url"], PAGE);
}

#[test]
fn a_capture_is_kept_as_received_headers_and_compressed_body_and_all() {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&raw_page()).expect("gzip");
    let compressed = gz.finish().expect("gzip");
    let body = compressed.clone();
    let server = Server::start(move |hit, _| {
        if hit.target == capture_path(TS, PAGE) {
            Reply::ok(
                body.clone(),
                &[
                    MEMENTO,
                    LATIN1,
                    ("Content-Type", "text/html; charset=ISO-8859-1"),
                    ("Content-Encoding", "gzip"),
                    (
                        "x-archive-orig-last-modified",
                        "Mon, 26 Apr 2010 09:00:00 GMT",
                    ),
                    ("Link", "<http://www.karlskrona.se/>; rel=\"original\""),
                ],
            )
        } else {
            Reply::status(404, "not here", &[])
        }
    });
    let dir = crate::util::temp_dir("fetch-as-received");
    let archive = dir.join("archive");
    let archive = archive.to_str().expect("utf-8");
    // The page is read from the decompressed body.
    let page = stdout_json(&fetch(&server, &["--at", TS, "--archive", archive], &[]));
    assert_eq!(page["title"], "Internationella nätverk");
    // The client asked for no compression; the server sent it anyway.
    let asked = server.hits();
    assert!(
        asked
            .iter()
            .all(|h| !h.headers.contains_key("accept-encoding"))
    );
    // What was received comes back as it was: status line, the archive's
    // headers and the site's (x-archive-orig-*), the body still gzip.
    let raw = crate::util::run(
        &[
            "show",
            "--raw",
            &format!("{PAGE}@{TS}"),
            "--archive",
            archive,
        ],
        None,
    );
    assert!(
        raw.status.success(),
        "{}",
        String::from_utf8_lossy(&raw.stderr)
    );
    let split = raw
        .stdout
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP head");
    let head = String::from_utf8_lossy(&raw.stdout[..split]).to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 200 ok"), "{head}");
    for header in [
        "content-encoding: gzip",
        "x-archive-orig-last-modified: mon, 26 apr 2010 09:00:00 gmt",
        "memento-datetime: mon, 26 apr 2010 09:35:12 gmt",
        "link: <http://www.karlskrona.se/>",
    ] {
        assert!(head.contains(header), "{header} missing: {head}");
    }
    assert_eq!(&raw.stdout[split + 4..], compressed.as_slice());
    // The record's payload digest is the digest of the bytes received.
    let listed = crate::util::run(&["list", "--archive", archive], None);
    let record: Value =
        serde_json::from_slice(listed.stdout.split(|&b| b == b'\n').next().unwrap_or(b"{}"))
            .expect("list line");
    use sha1::Digest;
    let sha1 = data_encoding::BASE32.encode(&sha1::Sha1::digest(&compressed));
    assert_eq!(record["sha1"], sha1.as_str());
    // Read again from the record (decompressed to parse), the page still
    // names the bytes received, and the archive checks clean.
    for cmd in ["reparse", "verify"] {
        let out = crate::util::run(&[cmd, "--archive", archive], None);
        assert!(
            out.status.success(),
            "{cmd}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
