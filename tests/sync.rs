//! `sidarkiv sync` end to end: a Wayback-compatible server on 127.0.0.1 with
//! several tracked pages and the archive's unpleasant answers; idempotence,
//! SIGKILL and re-run, the lock, failures, and the offline replay.

use crate::server::{Hit, Reply, Server, keeps_rate};
use crate::util::{assert_exit, fixture, root, sidarkiv, temp_dir};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

const MEMENTO: (&str, &str) = ("Memento-Datetime", "Mon, 26 Apr 2010 09:35:12 GMT");
const LATIN1: (&str, &str) = (
    "x-archive-orig-content-type",
    "text/html; charset=ISO-8859-1",
);

fn sha1_b32(bytes: &[u8]) -> String {
    use sha1::Digest;
    data_encoding::BASE32.encode(&sha1::Sha1::digest(bytes))
}

fn small_page(title: &str, text: &str) -> Vec<u8> {
    format!("<html><head><title>{title}</title></head><body><h1>{title}</h1><p>{text}</p><p>Sidan uppdaterad: 2010-01-01</p></body></html>").into_bytes()
}

/// `n` captures, one a year from 2010, each with different text.
pub fn yearly_captures(n: usize, title: &str) -> Vec<(String, u16, Vec<u8>)> {
    (0..n)
        .map(|i| {
            (
                format!("201{i}0101000000"),
                200,
                small_page(title, &format!("Text nummer {i}.")),
            )
        })
        .collect()
}

/// One tracked page's captures: (timestamp, status, body).
pub struct Site {
    pub url: String,
    pub captures: Vec<(String, u16, Vec<u8>)>,
}

/// A Wayback for `sites`; `fault(hit, n)` may answer instead (429, resets …).
pub fn wayback(
    sites: Vec<Site>,
    fault: impl Fn(&Hit, usize) -> Option<Reply> + Send + Sync + 'static,
) -> Server {
    let sites = Arc::new(sites);
    Server::start(move |hit, n| {
        if let Some(reply) = fault(hit, n) {
            return reply;
        }
        if hit.target.starts_with("/cdx/") {
            let url = url::Url::parse(&format!("http://x{}", hit.target)).expect("target");
            let q: HashMap<String, String> = url
                .query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            let from = q
                .get("from")
                .map(|f| format!("{f:0<14}"))
                .unwrap_or_default();
            let mut rows = vec![
                r#"["timestamp","original","mimetype","statuscode","digest","length"]"#.to_owned(),
            ];
            if let Some(site) = sites.iter().find(|s| Some(&s.url) == q.get("url")) {
                for (ts, status, body) in &site.captures {
                    if *ts >= from {
                        rows.push(format!(
                            r#"["{ts}","{}","text/html","{status}","{}","{}"]"#,
                            site.url,
                            sha1_b32(body),
                            body.len()
                        ));
                    }
                }
            }
            let body = if rows.len() == 1 {
                "[]".to_owned()
            } else {
                format!("[{}]", rows.join(","))
            };
            return Reply::ok(body, &[("Content-Type", "application/json")]);
        }
        for site in sites.iter() {
            for (ts, status, body) in &site.captures {
                if hit.target == format!("/web/{ts}id_/{}", site.url) {
                    return Reply::status(*status, body.clone(), &[MEMENTO, LATIN1]);
                }
            }
        }
        Reply::status(404, "unknown", &[])
    })
}

fn config(dir: &Path, server: &Server, urls: &[&str], extra: &str) -> PathBuf {
    let mut toml = format!(
        "archive = \"{}\"\nwayback = \"{}\"\n{extra}\n",
        dir.join("archive").display(),
        server.base
    );
    for u in urls {
        toml.push_str(&format!("[[page]]\nurl = \"{u}\"\nfrom = \"2009\"\n\n"));
    }
    let path = dir.join("sidarkiv.toml");
    std::fs::write(&path, toml).expect("config");
    path
}

pub fn sync(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = sidarkiv();
    cmd.current_dir(dir)
        .arg("sync")
        .args(args)
        .env("SIDARKIV_RATE_LIMIT_WAIT_SECONDS", "0.3")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run sync")
}

/// A `sync` left running in the background, to be killed or raced.
fn spawn_sync(dir: &Path) -> std::process::Child {
    sidarkiv()
        .current_dir(dir)
        .arg("sync")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn")
}

pub fn summary(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "no summary; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// `(url, timestamp, sha256)` of every capture in `dir/archive`.
pub fn stored(dir: &Path) -> BTreeSet<(String, String, String)> {
    let out = sidarkiv()
        .current_dir(dir)
        .args(["list", "--archive", "archive"])
        .output()
        .expect("list");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("json"))
        .map(|c| {
            (
                c["url"].as_str().unwrap_or("").to_owned(),
                c["timestamp"].as_str().unwrap_or("").to_owned(),
                c["sha256"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

const A: &str = "http://www.karlskrona.se/sv/Internationella-natverk/";
const B: &str = "http://www.karlskrona.se/sv/Borttagen/";
const C: &str = "http://www.karlskrona.se/sv/Vanorter/";

fn scenario_sites() -> Vec<Site> {
    let raw2010 = std::fs::read(fixture("karlskrona-2010-raw.html")).expect("fixture");
    let raw2011 = std::fs::read(fixture("karlskrona-2011-raw.html")).expect("fixture");
    vec![
        Site {
            url: A.into(),
            captures: vec![
                ("20100426093512".into(), 200, raw2010.clone()),
                ("20100615080102".into(), 200, raw2010), // same digest: not fetched again
                ("20110315120000".into(), 200, raw2011),
            ],
        },
        Site {
            url: B.into(),
            captures: vec![
                (
                    "20100101000000".into(),
                    200,
                    small_page("Borttagen", "Sidan finns."),
                ),
                (
                    "20110101000000".into(),
                    404,
                    small_page("Sidan finns inte", "404"),
                ),
            ],
        },
        Site {
            url: C.into(),
            captures: vec![
                (
                    "20100301000000".into(),
                    200,
                    small_page("Vänorter", "Karlskrona har vänorter."),
                ),
                (
                    "20100901000000".into(),
                    200,
                    small_page("Vänorter", "Karlskrona har fyra vänorter."),
                ),
            ],
        },
    ]
}

/// 429 on the first CDX request and on one capture, a reset, a truncated body.
fn faults(hit: &Hit, n: usize) -> Option<Reply> {
    let t = &hit.target;
    if n > 0 {
        return None;
    }
    if t.starts_with("/cdx/") && t.contains("Internationella") && t.contains("from=2009") {
        return Some(Reply::status(429, "slow down", &[]));
    }
    if t.contains("20110315120000id_") {
        return Some(Reply::status(429, "slow down", &[]));
    }
    if t.contains("20100101000000id_") {
        return Some(Reply::Reset);
    }
    if t.contains("20100301000000id_") {
        return Some(Reply::Truncated {
            declared: 500,
            body: b"<html><body><h1>V".to_vec(),
        });
    }
    None
}

#[test]
fn first_run_stores_the_distinct_captures_second_run_fetches_nothing() {
    let dir = temp_dir("sync-scenario");
    let server = wayback(scenario_sites(), faults);
    config(
        &dir,
        &server,
        &[A, B, C],
        "captures_per_second = 5\ncdx_per_minute = 600",
    );
    let report = dir.join("report.html");
    let started = std::time::Instant::now();
    let out = sync(&dir, &["--report", report.to_str().expect("utf-8")], &[]);
    eprintln!("scenario: first run {:?}", started.elapsed());
    assert_exit(&out, 0);
    let s = summary(&out);
    assert_eq!(s["pages"], 3);
    assert_eq!(s["captures_stored"], 6, "{s:#}");
    // The same payload again is kept as a revisit with its own date,
    // written from the listing without a download.
    assert_eq!(s["revisits_stored"], 1, "{s:#}");
    assert_eq!(s["offline"], false);
    assert_eq!(stored(&dir).len(), 7);
    let archived_404 = stored(&dir)
        .into_iter()
        .find(|(u, t, _)| u == B && t == "20110101000000");
    assert!(
        archived_404.is_some(),
        "an archived 404 is stored as a fact"
    );
    // The status is a page field, and its change is a change.
    let d = sidarkiv()
        .current_dir(&dir)
        .args([
            "diff",
            &format!("{B}@20100101000000"),
            &format!("{B}@20110101000000"),
            "--archive",
            "archive",
        ])
        .output()
        .expect("diff");
    assert_exit(&d, 1);
    let d: Value = serde_json::from_slice(&d.stdout).expect("diff JSON");
    let status = d["changes"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["path"] == "/status"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (&status["before"], &status["after"]),
        (&Value::from(200), &Value::from(404)),
        "{d:#}"
    );
    let html = std::fs::read_to_string(&report).expect("report");
    for text in ["CPMR", "Baltic Link Association", "Anna Lindqvist", "fyra"] {
        assert!(html.contains(text), "{text} missing from the report");
    }
    assert!(
        // minijinja escapes "/" in attributes as &#x2f;, which browsers read back as "/".
        html.replace("&#x2f;", "/")
            .contains("href=\"https://web.archive.org/web/20110315120000/"),
        "no link to the Wayback copy"
    );
    let captures: Vec<Hit> = server
        .hits()
        .into_iter()
        .filter(|h| h.target.starts_with("/web/"))
        .collect();
    if let Err(e) = keeps_rate(&captures, Duration::from_millis(200)) {
        panic!("more than 5 captures per second: {e}");
    }
    assert!(
        !captures.iter().any(|h| h.target.contains("20100615080102")),
        "a duplicate digest was fetched"
    );
    // The report over the whole archive: every page's changes, newest first.
    let report_to = |args: &[&str]| -> Vec<String> {
        let out = sidarkiv()
            .current_dir(&dir)
            .args(["report", "--format", "json"])
            .args(args)
            .output()
            .expect("report");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let r: Value = serde_json::from_slice(&out.stdout).expect("json");
        r["diffs"]
            .as_array()
            .expect("diffs")
            .iter()
            .map(|d| d["to"]["timestamp"].as_str().unwrap_or("").to_owned())
            .collect()
    };
    assert_eq!(
        report_to(&[]),
        ["20110315120000", "20110101000000", "20100901000000"]
    );
    assert_eq!(
        report_to(&["--since", "2011-01-01"]),
        ["20110315120000", "20110101000000"]
    );
    let before = server.hits().len();

    let started = std::time::Instant::now();
    let again = sync(&dir, &[], &[]);
    eprintln!("scenario: second run {:?}", started.elapsed());
    assert_eq!(again.status.code(), Some(0));
    let s2 = summary(&again);
    assert_eq!(
        (s2["captures_new"].as_u64(), s2["captures_stored"].as_u64()),
        (Some(0), Some(0))
    );
    let new_hits: Vec<String> = server.hits()[before..]
        .iter()
        .map(|h| h.target.clone())
        .collect();
    assert!(
        new_hits.iter().all(|t| t.starts_with("/cdx/")),
        "the second run downloaded {new_hits:?}"
    );
    assert_eq!(new_hits.len(), 3, "one CDX question per page");
}

#[test]
fn sigkill_mid_run_then_rerun_ends_like_an_uninterrupted_run() {
    let many = yearly_captures(10, "Nyheter");
    let sites = || {
        vec![Site {
            url: A.into(),
            captures: many.clone(),
        }]
    };
    let dir = temp_dir("sync-kill");
    let server = wayback(sites(), |_, _| None);
    config(&dir, &server, &[A], "captures_per_second = 5");
    let mut child = spawn_sync(&dir);
    std::thread::sleep(Duration::from_millis(900));
    assert!(
        child.try_wait().expect("wait").is_none(),
        "sync finished before it could be killed"
    );
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    let partial = stored(&dir);
    assert!(
        !partial.is_empty() && partial.len() < 10,
        "killed mid-way: {} stored",
        partial.len()
    );
    let out = sync(&dir, &[], &[("SIDARKIV_CAPTURES_PER_SECOND", "0")]);
    assert_eq!(out.status.code(), Some(0));
    let reference = temp_dir("sync-kill-reference");
    let server2 = wayback(sites(), |_, _| None);
    config(&reference, &server2, &[A], "captures_per_second = 0");
    assert_eq!(sync(&reference, &[], &[]).status.code(), Some(0));
    assert_eq!(
        stored(&dir),
        stored(&reference),
        "the same archive as an uninterrupted run"
    );
    let mut per_capture: HashMap<String, usize> = HashMap::new();
    for h in server
        .hits()
        .into_iter()
        .filter(|h| h.target.starts_with("/web/"))
    {
        *per_capture.entry(h.target).or_default() += 1;
    }
    let twice = per_capture.values().filter(|&&n| n > 1).count();
    assert!(
        twice <= 1,
        "stored captures were fetched again: {per_capture:?}"
    );
}

#[test]
fn a_failing_page_does_not_stop_the_others() {
    let dir = temp_dir("sync-failure");
    let server = wayback(scenario_sites(), |hit, _| {
        (hit.target.starts_with("/cdx/") && hit.target.contains("Borttagen")).then(|| {
            Reply::status(
                403,
                "Blocked",
                &[(
                    "X-Archive-Wayback-Runtime-Error",
                    "AdministrativeAccessControlException: Blocked Site Error",
                )],
            )
        })
    });
    config(
        &dir,
        &server,
        &[A, B, C],
        "captures_per_second = 0\ncdx_per_minute = 0",
    );
    let out = sync(&dir, &[], &[]);
    assert_eq!(out.status.code(), Some(3));
    let s = summary(&out);
    assert_eq!(s["failures"][0]["url"], B);
    assert!(
        s["failures"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("excluded from the Wayback Machine"))
    );
    assert_eq!(s["captures_stored"], 4, "A and C were done and kept");
}

#[test]
fn an_overlapping_sync_waits_then_exits_2() {
    let slow = yearly_captures(6, "Sida");
    let dir = temp_dir("sync-lock");
    let server = wayback(
        vec![Site {
            url: A.into(),
            captures: slow,
        }],
        |_, _| None,
    );
    config(&dir, &server, &[A], "captures_per_second = 2");
    let mut first = spawn_sync(&dir);
    std::thread::sleep(Duration::from_millis(400));
    let second = sync(&dir, &[], &[("SIDARKIV_LOCK_WAIT_SECONDS", "0.5")]);
    let _ = first.wait();
    assert_eq!(second.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&second.stderr).contains("locked by another sidarkiv process"));
    assert_eq!(stored(&dir).len(), 6, "the first run finished undisturbed");
}

#[test]
fn offline_sync_replays_the_bundled_recording() {
    let dir = temp_dir("sync-offline");
    std::fs::copy(root().join("sidarkiv.toml"), dir.join("sidarkiv.toml")).expect("config");
    std::fs::create_dir_all(dir.join("fixtures")).expect("dir");
    std::fs::copy(
        fixture("wayback-recording.warc"),
        dir.join("fixtures/wayback-recording.warc"),
    )
    .expect("recording");
    let out = sync(&dir, &["--offline", "--report", "report.md"], &[]);
    assert_exit(&out, 0);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("replaying the recorded Wayback responses")
    );
    let s = summary(&out);
    assert_eq!(
        (
            s["offline"].as_bool(),
            s["captures_found"].as_u64(),
            s["captures_stored"].as_u64()
        ),
        (Some(true), Some(3), Some(2))
    );
    assert_eq!(s["revisits_stored"], 1, "seen unchanged on 2010-06-15");
    let md = std::fs::read_to_string(dir.join("report.md")).expect("report");
    assert!(md.contains("Nätverket **CPMR** har lagts till"), "{md}");
    let again = summary(&sync(&dir, &["--offline"], &[]));
    assert_eq!(again["captures_stored"], 0);
    let report = sidarkiv()
        .current_dir(&dir)
        .args(["report", "--format", "json"])
        .output()
        .expect("report");
    let r: Value = serde_json::from_slice(&report.stdout).expect("json");
    assert_eq!(r["diffs"].as_array().map(Vec::len), Some(1));
    assert_eq!(r["diffs"][0]["to"]["timestamp"], "20110315120000");
}

#[test]
fn sync_with_no_network_exits_2_and_still_prints_its_summary() {
    // Regression: every page failed, nothing was done, and sync exited 3,
    // which the README's systemd unit counts as success: an outage never alerted.
    let dir = temp_dir("sync-no-network");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    std::fs::write(
        dir.join("sidarkiv.toml"),
        format!(
            "wayback = \"http://127.0.0.1:{port}\"\nmax_retries = 1\nrate_limit_wait_seconds = 0\n\
             [[page]]\nurl = \"{A}\"\n[[page]]\nurl = \"{C}\"\n"
        ),
    )
    .expect("config");
    let out = sync(&dir, &[], &[("SIDARKIV_RATE_LIMIT_WAIT_SECONDS", "0")]);
    assert_exit(&out, 2);
    let s = summary(&out);
    assert_eq!(s["failures"].as_array().map(Vec::len), Some(2));
    let reason = s["failures"][0]["reason"].as_str().unwrap_or("");
    assert!(reason.contains("connection was refused"), "{reason}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("nothing was done: all 2 tracked pages and sites failed"),
        "{err}"
    );
}

#[test]
fn a_report_that_cannot_be_written_is_named_in_the_summary_and_exits_3() {
    // Regression: the captures were stored, then sync exited 2 with no
    // summary; the next run found nothing new and the changes were never reported.
    let dir = temp_dir("sync-report-error");
    let server = wayback(scenario_sites(), |_, _| None);
    config(
        &dir,
        &server,
        &[C],
        "captures_per_second = 0\ncdx_per_minute = 0",
    );
    let out = sync(&dir, &["--report", "/nonexistent/dir/r.html"], &[]);
    assert_exit(&out, 3);
    let s = summary(&out);
    assert_eq!(s["captures_stored"], 2);
    assert_eq!(s["changes"], 1);
    assert!(s["report"].is_null());
    assert!(
        s["report_error"]
            .as_str()
            .is_some_and(|e| e.contains("/nonexistent/dir/r.html")),
        "{s}"
    );
    assert_eq!(stored(&dir).len(), 2, "the captures are kept");
    let report = sidarkiv()
        .current_dir(&dir)
        .args(["report", "--format", "json", "--since", "2010"])
        .output()
        .expect("report");
    assert_exit(&report, 0);
    let r: Value = serde_json::from_slice(&report.stdout).expect("json");
    assert_eq!(
        r["diffs"].as_array().map(Vec::len),
        Some(1),
        "report --since writes them again"
    );
}

#[test]
fn a_capture_the_archive_cannot_serve_is_a_warning_not_a_failure() {
    let dir = temp_dir("sync-unservable");
    // The 2010-09 capture of C is listed, but its id_ answer is no capture
    // (no Memento-Datetime): the page is synced, the row skipped with a warning.
    let server = wayback(scenario_sites(), |hit, _| {
        hit.target
            .contains("20100901000000id_")
            .then(|| Reply::status(404, "not in the archive", &[]))
    });
    config(
        &dir,
        &server,
        &[C],
        "captures_per_second = 0\ncdx_per_minute = 0",
    );
    let out = sync(&dir, &[], &[]);
    assert_exit(&out, 0);
    let s = summary(&out);
    assert_eq!(s["captures_stored"], 1);
    let warnings = &s["results"][0]["warnings"];
    assert!(
        warnings[0]
            .as_str()
            .is_some_and(|w| w.contains("20100901000000") && w.contains("Memento-Datetime")),
        "{s}"
    );
}

#[test]
fn max_captures_spreads_a_big_archive_over_several_runs() {
    let dir = temp_dir("sync-budget");
    let server = wayback(
        vec![
            Site {
                url: A.into(),
                captures: yearly_captures(6, "Sida A"),
            },
            Site {
                url: C.into(),
                captures: yearly_captures(6, "Sida C"),
            },
        ],
        |_, _| None,
    );
    config(
        &dir,
        &server,
        &[A, C],
        "captures_per_second = 0\ncdx_per_minute = 0",
    );
    let first = sync(&dir, &["--max-captures", "4"], &[]);
    assert_exit(&first, 0);
    let s = summary(&first);
    assert_eq!(s["captures_stored"], 4);
    assert_eq!(s["captures_remaining"], 2);
    assert_eq!(s["pages_not_reached"], 1);
    let second = summary(&sync(&dir, &["--max-captures", "4"], &[]));
    assert_eq!(second["captures_stored"], 4);
    let third = summary(&sync(&dir, &["--max-captures", "4"], &[]));
    assert_eq!(third["captures_stored"], 4);
    assert_eq!(third["captures_remaining"], 0);
    let last = summary(&sync(&dir, &[], &[]));
    assert_eq!(last["captures_stored"], 0, "nothing fetched twice");
    assert_eq!(stored(&dir).len(), 12);
}

#[test]
fn pages_shows_each_url_as_of_a_date() {
    let dir = temp_dir("pages-at");
    std::fs::copy(root().join("sidarkiv.toml"), dir.join("sidarkiv.toml")).expect("config");
    std::fs::create_dir_all(dir.join("fixtures")).expect("dir");
    std::fs::copy(
        fixture("wayback-recording.warc"),
        dir.join("fixtures/wayback-recording.warc"),
    )
    .expect("recording");
    assert_exit(&sync(&dir, &["--offline"], &[]), 0);
    let pages = |args: &[&str]| -> Vec<Value> {
        let out = sidarkiv()
            .current_dir(&dir)
            .arg("pages")
            .args(args)
            .output()
            .expect("pages");
        assert_exit(&out, 0);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).expect("JSON line"))
            .collect()
    };
    let latest = pages(&[]);
    assert_eq!(latest.len(), 1);
    assert_eq!(latest[0]["capture"]["timestamp"], "20110315120000");
    assert_eq!(latest[0]["captures"], 3);
    assert_eq!(latest[0]["title"], "Internationella nätverk");
    let in_2010 = pages(&["--at", "2010"]);
    // Last seen in 2010 on 2010-06-15, unchanged since April (a revisit).
    assert_eq!(in_2010[0]["capture"]["timestamp"], "20100615080102");
    assert_eq!(in_2010[0]["updated"], "2010-04-26");
    assert!(in_2010[0]["warning"].is_null());
    let before_any = pages(&["--at", "2008-06"]);
    assert_eq!(before_any[0]["capture"]["timestamp"], "20100426093512");
    assert!(
        before_any[0]["warning"]
            .as_str()
            .is_some_and(|w| w.contains("earliest after"))
    );
    assert!(pages(&["http://www.example.org/"]).is_empty());
    assert_eq!(pages(&["http://www.karlskrona.se/sv/"]).len(), 1);
    // A damaged page JSON is a warning on its line, not the end of the listing.
    let page_json = walkdir::WalkDir::new(dir.join("archive/pages"))
        .into_iter()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().contains(".20110315120000-"))
        .expect("the 2011 page JSON")
        .into_path();
    std::fs::write(&page_json, "{ damaged").expect("write");
    let damaged = pages(&[]);
    assert_eq!(damaged.len(), 1);
    assert!(damaged[0]["title"].is_null());
    assert!(
        damaged[0]["warning"]
            .as_str()
            .is_some_and(|w| w.contains("damaged")),
        "{}",
        damaged[0]
    );
}

#[test]
fn a_page_that_goes_back_to_an_earlier_text_is_a_change_back() {
    let dir = temp_dir("sync-revert");
    let before = small_page("Vänorter", "Karlskrona har fyra vänorter.");
    let after = small_page("Vänorter", "Karlskrona har fem vänorter.");
    let server = wayback(
        vec![Site {
            url: C.into(),
            captures: vec![
                ("20100301000000".into(), 200, before.clone()),
                ("20100901000000".into(), 200, after),
                ("20110301000000".into(), 200, before.clone()),
                ("20110901000000".into(), 200, before),
            ],
        }],
        |_, _| None,
    );
    config(&dir, &server, &[C], "captures_per_second = 50");
    let out = sync(&dir, &[], &[]);
    assert_exit(&out, 0);
    let s = summary(&out);
    assert_eq!(
        (
            &s["captures_found"],
            &s["captures_stored"],
            &s["revisits_stored"]
        ),
        (&Value::from(4), &Value::from(2), &Value::from(2)),
        "{s:#}"
    );
    // fyra → fem, then fem → fyra; the last capture repeats the third.
    assert_eq!(s["changes"], 2, "{s:#}");
    let downloads = server
        .hits()
        .iter()
        .filter(|h| h.target.contains("id_/"))
        .count();
    assert_eq!(downloads, 2, "the revisits were written from the listing");
    // Every date is kept, each marked as what it is.
    let list = sidarkiv()
        .current_dir(&dir)
        .args(["list", "--archive", "archive"])
        .output()
        .expect("list");
    let kinds: Vec<String> = String::from_utf8_lossy(&list.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("json")["record"].to_string())
        .collect();
    assert_eq!(
        kinds,
        ["\"response\"", "\"response\"", "\"revisit\"", "\"revisit\""]
    );
    let report = sidarkiv()
        .current_dir(&dir)
        .args(["report", "--format", "json"])
        .output()
        .expect("report");
    let text = String::from_utf8_lossy(&report.stdout);
    assert!(
        text.contains("20110301000000"),
        "the change back is reported: {text}"
    );
    // A second run finds nothing new, and its report says when it ran and
    // what it looked at.
    let again = summary(&sync(&dir, &["--report", "quiet.md"], &[]));
    assert_eq!(again["captures_stored"], 0);
    assert_eq!(again["revisits_stored"], 0);
    let quiet = std::fs::read_to_string(dir.join("quiet.md")).expect("report");
    assert!(
        quiet.starts_with("Rapporten skapades")
            && quiet.contains("Perioden 2011-09-01 – ")
            && quiet.contains("Inga ändringar"),
        "{quiet}"
    );
}

/// The Wayback Machine's listing as it is: a CDX revisit row, an archived
/// redirect (its `Location` in the archive's own form, no body), an
/// archived 404, an archived 429 and 503 (each with `Memento-Datetime`),
/// the page back, and two captures in one second of which `id_` serves one.
#[test]
fn every_capture_in_the_listing_redirects_removals_and_archived_errors() {
    const P: &str = "http://www.karlskrona.se/sv/Flyttad/";
    const TARGET: &str = "http://www.karlskrona.se/sv/ny-adress/";
    let v1 = small_page("Flyttad", "Sidan finns här.");
    let v2 = small_page("Flyttad", "Den ena versionen.");
    let v3 = small_page("Flyttad", "Den andra versionen.");
    let v4 = small_page("Flyttad", "Den sista versionen.");
    let gone = small_page("Hittades inte", "Sidan finns inte.");
    let busy = b"Too many requests".to_vec();
    let down = b"Service unavailable".to_vec();
    // (timestamp, mimetype, status, digest, served status, served body)
    type Row = (
        &'static str,
        &'static str,
        &'static str,
        String,
        u16,
        Vec<u8>,
    );
    let rows: Vec<Row> = vec![
        (
            "20100101000000",
            "text/html",
            "200",
            sha1_b32(&v1),
            200,
            v1.clone(),
        ),
        (
            "20100601000000",
            "warc/revisit",
            "-",
            sha1_b32(&v1),
            200,
            v1.clone(),
        ),
        (
            "20110101000000",
            "text/html",
            "301",
            sha1_b32(b""),
            301,
            Vec::new(),
        ),
        (
            "20120101000000",
            "text/html",
            "404",
            sha1_b32(&gone),
            404,
            gone.clone(),
        ),
        (
            "20130101000000",
            "text/html",
            "429",
            sha1_b32(&busy),
            429,
            busy.clone(),
        ),
        (
            "20140101000000",
            "text/html",
            "200",
            sha1_b32(&v1),
            200,
            v1.clone(),
        ),
        (
            "20150101000000",
            "text/html",
            "503",
            sha1_b32(&down),
            503,
            down.clone(),
        ),
        (
            "20160101000000",
            "text/html",
            "200",
            sha1_b32(&v1),
            200,
            v1.clone(),
        ),
        // One second, two captures: `id_` serves v3 for both.
        (
            "20170101000000",
            "text/html",
            "200",
            sha1_b32(&v2),
            200,
            v3.clone(),
        ),
        (
            "20170101000000",
            "text/html",
            "200",
            sha1_b32(&v3),
            200,
            v3.clone(),
        ),
        (
            "20180101000000",
            "text/html",
            "200",
            sha1_b32(&v4),
            200,
            v4.clone(),
        ),
    ];
    let rows = Arc::new(rows);
    let listed = rows.clone();
    let server = Server::start(move |hit, _| {
        if hit.target.starts_with("/cdx/") {
            let from = hit
                .target
                .split("from=")
                .nth(1)
                .map(|f| format!("{:0<14}", &f[..f.find('&').unwrap_or(f.len())]))
                .unwrap_or_default();
            let mut out = vec![
                r#"["timestamp","original","mimetype","statuscode","digest","length"]"#.to_owned(),
            ];
            for (ts, mime, status, digest, _, body) in listed.iter() {
                if *ts >= from.as_str() {
                    out.push(format!(
                        r#"["{ts}","{P}","{mime}","{status}","{digest}","{}"]"#,
                        body.len()
                    ));
                }
            }
            return Reply::ok(
                format!("[{}]", out.join(",")),
                &[("Content-Type", "application/json")],
            );
        }
        for (ts, _, _, _, status, body) in listed.iter() {
            if hit.target == format!("/web/{ts}id_/{P}") {
                let location = format!("/web/{ts}id_/{TARGET}");
                let mut headers = vec![MEMENTO, LATIN1];
                if *status == 301 {
                    headers.push(("Location", location.as_str()));
                }
                return Reply::status(*status, body.clone(), &headers);
            }
        }
        Reply::status(404, "unknown", &[])
    });
    let dir = temp_dir("sync-every-capture");
    config(&dir, &server, &[P], "captures_per_second = 50");
    let out = sync(&dir, &[], &[]);
    assert_exit(&out, 0);
    let s = summary(&out);
    let cdx = server
        .hits()
        .into_iter()
        .find(|h| h.target.starts_with("/cdx/"))
        .expect("a CDX request");
    assert!(
        !cdx.target.contains("collapse") && !cdx.target.contains("filter"),
        "the listing is asked for whole: {}",
        cdx.target
    );
    let counts = (
        &s["captures_found"],
        &s["captures_stored"],
        &s["revisits_stored"],
    );
    assert_eq!(
        counts,
        (&Value::from(11), &Value::from(7), &Value::from(3)),
        "{s:#}"
    );
    let warnings: Vec<String> = s["results"][0]["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .map(|w| w.as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(warnings.len(), 3, "{warnings:#?}");
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("HTTP 429") && w.contains("20130101000000"))
    );
    assert!(warnings.iter().any(|w| w.contains("HTTP 503")));
    assert!(
        warnings.iter().any(|w| w.contains("20170101000000")
            && w.contains(&sha1_b32(&v2))
            && w.contains("same second")),
        "{warnings:#?}"
    );
    // 200 → 301, 301 → 404, 404 → 200 (a revisit), v1 → v3, v3 → v4; the
    // 429 and 503 are not compared, so v1 → 429 → v1 is no change.
    let changes: Vec<&str> = s["results"][0]["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| c["to"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        changes,
        [
            "20110101000000",
            "20120101000000",
            "20140101000000",
            "20170101000000",
            "20180101000000"
        ]
    );
    // The redirect is a capture with its target; the 429 is listed.
    let show = |reference: &str| -> Value {
        let out = sidarkiv()
            .current_dir(&dir)
            .args(["show", reference, "--archive", "archive"])
            .output()
            .expect("show");
        assert_exit(&out, 0);
        serde_json::from_slice(&out.stdout).expect("page JSON")
    };
    let moved = show(&format!("{P}@20110101000000"));
    assert_eq!(
        (&moved["status"], &moved["redirect"]),
        (&Value::from(301), &Value::from(TARGET))
    );
    assert_eq!(show(&format!("{P}@20140101000000"))["status"], 200);
    assert_eq!(show(&format!("{P}@20130101000000"))["status"], 429);
    assert!(
        !stored(&dir)
            .iter()
            .any(|(_, _, sha)| sha.starts_with(&sha256_hex(&v2)[..12])),
        "the capture the archive could not serve is not counted as stored"
    );
    // The editors read it in words, in both languages.
    for (lang, words) in [
        (
            "sv",
            [
                "Sidan leder nu vidare till",
                "Sidan har tagits bort",
                "Sidan finns igen",
            ],
        ),
        (
            "en",
            [
                "The page now redirects to",
                "The page was removed",
                "The page is back",
            ],
        ),
    ] {
        let out = sidarkiv()
            .current_dir(&dir)
            .args(["report", "--format", "markdown", "--lang", lang])
            .output()
            .expect("report");
        assert_exit(&out, 0);
        let text = String::from_utf8_lossy(&out.stdout);
        for w in words {
            assert!(text.contains(w), "{lang}: {w:?} missing from\n{text}");
        }
        assert!(text.contains(TARGET), "{text}");
        assert!(!text.contains("429") && !text.contains("503"), "{text}");
    }
    // A second run downloads nothing.
    let before = server.hits().len();
    let again = summary(&sync(&dir, &[], &[]));
    assert_eq!(
        (&again["captures_stored"], &again["revisits_stored"]),
        (&Value::from(0), &Value::from(0))
    );
    assert!(
        server.hits()[before..]
            .iter()
            .all(|h| h.target.starts_with("/cdx/"))
    );
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    data_encoding::HEXLOWER.encode(&sha2::Sha256::digest(bytes))
}

#[test]
fn the_last_second_s_other_capture_is_not_asked_for_again() {
    const P: &str = "http://www.karlskrona.se/sv/Tva-i-sekunden/";
    let early = small_page("Två", "Den första versionen.");
    let served = small_page("Två", "Den version arkivet ger.");
    let hidden = small_page("Två", "Den version arkivet inte ger.");
    // The last second listed holds two captures; `id_` serves one of them.
    let rows = Arc::new(vec![
        ("20100101000000", sha1_b32(&early), early.clone()),
        ("20110101000000", sha1_b32(&served), served.clone()),
        ("20110101000000", sha1_b32(&hidden), served.clone()),
    ]);
    let listed = rows.clone();
    let server = Server::start(move |hit, _| {
        if hit.target.starts_with("/cdx/") {
            let mut out = vec![
                r#"["timestamp","original","mimetype","statuscode","digest","length"]"#.to_owned(),
            ];
            for (ts, digest, body) in listed.iter() {
                out.push(format!(
                    r#"["{ts}","{P}","text/html","200","{digest}","{}"]"#,
                    body.len()
                ));
            }
            return Reply::ok(
                format!("[{}]", out.join(",")),
                &[("Content-Type", "application/json")],
            );
        }
        listed
            .iter()
            .find(|(ts, _, _)| hit.target == format!("/web/{ts}id_/{P}"))
            .map(|(_, _, body)| Reply::status(200, body.clone(), &[MEMENTO, LATIN1]))
            .unwrap_or_else(|| Reply::status(404, "unknown", &[]))
    });
    let dir = temp_dir("sync-last-second");
    config(&dir, &server, &[P], "captures_per_second = 50");
    let downloads = |from: usize| {
        server.hits()[from..]
            .iter()
            .filter(|h| h.target.starts_with("/web/"))
            .count()
    };
    let first = summary(&sync(&dir, &[], &[]));
    assert_eq!(first["captures_stored"], 2, "{first:#}");
    let warned = |s: &Value| {
        s["results"][0]["warnings"].as_array().is_some_and(|w| {
            w.iter().any(|w| {
                w.as_str()
                    .is_some_and(|w| w.contains(&sha1_b32(&hidden)) && w.contains("same second"))
            })
        })
    };
    assert!(warned(&first), "{first:#}");
    let before = server.hits().len();
    let out = sync(&dir, &[], &[]);
    assert_exit(&out, 0);
    let again = summary(&out);
    assert_eq!(again["captures_stored"], 0, "{again:#}");
    assert!(
        warned(&again),
        "the capture out of reach is still named: {again:#}"
    );
    assert_eq!(downloads(before), 0, "nothing is downloaded again");
    assert_eq!(stored(&dir).len(), 2);
}
