//! What an operator relies on: exit codes by the contract, one clear line
//! per error, and every date flag taking every date form. Each test is a
//! regression for a case the issue "Operators can trust it" found.

use crate::util::{assert_exit, run, s, sidarkiv, temp_dir};
use std::path::Path;
use std::process::{Command, Stdio};

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn page(i: usize) -> String {
    format!(
        "<html><body><h1>Sida {i}</h1><p>Text.</p>\
         <p>L\u{e4}nk till sidan: <a href=\"http://example.se/{i}\">x</a></p></body></html>"
    )
}

/// `import PAGES` with files limited to `kib` KiB: a file size limit (with
/// SIGXFSZ ignored, writes past it fail with EFBIG) stands in for a full
/// disk, as root too.
fn import_with_file_limit(kib: u32, pages: &Path, archive: &Path) -> std::process::Output {
    Command::new("bash")
        .args([
            "-c",
            "trap '' XFSZ; ulimit -f \"$3\" && exec \"$0\" import \"$1\" --archive \"$2\"",
            env!("CARGO_BIN_EXE_sidarkiv"),
            s(pages),
            s(archive),
            &kib.to_string(),
        ])
        .stdin(Stdio::null())
        .output()
        .expect("bash")
}

#[test]
fn an_import_that_can_store_nothing_exits_2() {
    // Regression: into a full disk every input failed "cannot store" and
    // the import exited 3, as if some had been kept. A file size limit of
    // 0 (with SIGXFSZ ignored, writes fail with EFBIG) stands in for the
    // full disk: it fails every write, as root too.
    let dir = temp_dir("trust-full-disk");
    let pages = dir.join("pages");
    std::fs::create_dir_all(&pages).expect("dir");
    for i in 0..5 {
        std::fs::write(pages.join(format!("p{i}.html")), page(i)).expect("write");
    }
    let archive = dir.join("archive");
    let out = import_with_file_limit(0, &pages, &archive);
    assert_exit(&out, 2);
    let err = stderr(&out);
    assert!(
        err.contains("nothing was done: all 5 inputs failed") && err.contains("cannot store"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        !err.contains(".tmp"),
        "a temp-file name in the error: {err}"
    );
}

#[test]
fn with_little_room_left_what_fits_is_stored_and_the_import_exits_3() {
    // A file size limit stands in for a nearly full disk: the segment can
    // take some of the pages' records, not all.
    let dir = temp_dir("trust-little-room");
    let pages = dir.join("pages");
    std::fs::create_dir_all(&pages).expect("dir");
    let mut rng = 7u64;
    for i in 0..30 {
        // 8 KB of text that does not compress: about 8 KB per record.
        let words: Vec<String> = (0..1000)
            .map(|_| {
                rng = rng
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                format!("{:07x}", rng >> 36)
            })
            .collect();
        let html = format!(
            "<html><body><h1>Sida {i}</h1><p>{}</p><p>L\u{e4}nk till sidan: <a href=\"http://example.se/{i}\">x</a></p></body></html>",
            words.join(" ")
        );
        std::fs::write(pages.join(format!("p{i:02}.html")), html).expect("write");
    }
    let archive = dir.join("archive");
    let out = import_with_file_limit(100, &pages, &archive);
    assert_exit(&out, 3);
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .filter(|l: &serde_json::Value| l["type"] == "page")
        .collect();
    let ok = lines.iter().filter(|l| l["status"] == "ok").count();
    let failed: Vec<&serde_json::Value> = lines.iter().filter(|l| l["status"] == "error").collect();
    assert!(
        ok >= 5 && !failed.is_empty(),
        "{ok} stored, {} failed",
        failed.len()
    );
    assert!(
        failed.iter().all(|l| l["reason"]
            .as_str()
            .is_some_and(|r| r.contains("too large"))),
        "the cause is named: {failed:?}"
    );
    // What was stored is whole and listed; nothing half-written is.
    let listed = run(&["list", "--archive", s(&archive)], None);
    assert_exit(&listed, 0);
    assert_eq!(String::from_utf8_lossy(&listed.stdout).lines().count(), ok);
    assert_exit(&run(&["verify", "--archive", s(&archive)], None), 0);
}

#[test]
fn os_causes_are_printed_once() {
    // Regression: "Permission denied (os error 13): Permission denied (os error 13)".
    let dir = temp_dir("trust-cause-once");
    let out = run(&["parse", s(&dir.join("absent.html"))], None);
    assert_exit(&out, 2);
    let err = stderr(&out);
    assert_eq!(err.matches("os error 2").count(), 1, "{err}");
    assert!(err.contains("absent.html"), "{err}");
}

#[test]
fn list_names_a_file_given_as_archive_for_what_it_is() {
    let dir = temp_dir("trust-archive-file");
    let file = dir.join("archive.txt");
    std::fs::write(&file, "not an archive").expect("write");
    let out = run(&["list", "--archive", s(&file)], None);
    assert_exit(&out, 2);
    let err = stderr(&out);
    assert!(err.contains("it is a file, not a folder"), "{err}");
    assert!(!err.contains("does not exist"), "{err}");
}

#[test]
fn parse_ignores_a_broken_config_beside_it() {
    let dir = temp_dir("trust-parse-config");
    std::fs::write(dir.join("sidarkiv.toml"), "max_retries = \"many\"\n[[").expect("write");
    std::fs::write(dir.join("p.html"), page(1)).expect("write");
    let out = sidarkiv()
        .current_dir(&dir)
        .args(["parse", "p.html"])
        .output()
        .expect("parse");
    assert_exit(&out, 0);
}

#[test]
fn toml_errors_keep_their_lines() {
    // Regression: toml's message, with its snippet and caret, was squashed onto one line.
    let dir = temp_dir("trust-toml");
    std::fs::write(
        dir.join("sidarkiv.toml"),
        "archive = \"a\"\nmax_retries = \"many\"\n",
    )
    .expect("write");
    let out = sidarkiv()
        .current_dir(&dir)
        .args(["list"])
        .output()
        .expect("list");
    assert_exit(&out, 2);
    let err = stderr(&out);
    assert!(err.lines().count() > 2, "{err}");
    assert!(
        err.contains("line 2") && err.contains("max_retries"),
        "{err}"
    );
}

#[test]
fn every_date_flag_takes_every_date_form() {
    // Regression: `report --since 2011` was refused ("expected two digit
    // month"), and `snapshots --from 2010-01-01` the other way round.
    let dir = temp_dir("trust-dates");
    std::fs::create_dir_all(dir.join("archive")).expect("dir");
    for date in ["2011", "2011-03", "2011-03-15", "201103", "20110315120000"] {
        let out = run(
            &[
                "report",
                "--since",
                date,
                "--format",
                "json",
                "--archive",
                s(&dir.join("archive")),
            ],
            None,
        );
        assert_exit(&out, 0);
    }
    for bad in ["2011-13", "20x1", "11"] {
        let out = run(
            &[
                "report",
                "--since",
                bad,
                "--archive",
                s(&dir.join("archive")),
            ],
            None,
        );
        assert_exit(&out, 2);
        assert_eq!(stderr(&out).trim().lines().count(), 1, "{}", stderr(&out));
    }
    // snapshots sends the dates to CDX as the start and end of their periods.
    let server = crate::server::Server::start(|_, _| crate::server::Reply::ok("[]", &[]));
    let out = crate::util::run_net(
        &[
            "snapshots",
            "http://example.se/",
            "--from",
            "2010-01-01",
            "--to",
            "2010-02",
            "--wayback",
            &server.base,
        ],
        &[],
    );
    assert_exit(&out, 0);
    let target = &server.hits()[0].target;
    assert!(
        target.contains("from=20100101000000") && target.contains("to=20100228235959"),
        "{target}"
    );
}

#[test]
fn a_stray_nul_byte_does_not_refuse_a_page() {
    let out = run(
        &["parse", "-"],
        Some(b"<html><body><h1>Rubrik</h1><p>F\xf6re\0efter</p></body></html>"),
    );
    assert_exit(&out, 0);
    let page: serde_json::Value = serde_json::from_slice(&out.stdout).expect("page JSON");
    assert_eq!(page["title"], "Rubrik");
}

#[test]
fn a_host_that_does_not_resolve_is_named_as_such_with_its_url_once() {
    // Regression: "gave up after 6 attempts: error sending request for url
    // (…)", the URL three times, after 16 s, never saying DNS.
    let url = "http://sidarkiv-test.invalid/sida";
    let out = crate::util::run_net(&["fetch", url, "--live"], &[]);
    assert_exit(&out, 2);
    let err = stderr(&out);
    let last = err.trim().lines().last().unwrap_or("");
    assert!(last.contains("did not resolve (DNS)"), "{err}");
    assert_eq!(last.matches(url).count(), 1, "{last}");
    assert!(last.contains("2 attempt"), "{last}");
}

#[test]
fn argument_errors_are_one_line_that_names_what_is_wrong() {
    let out = run(&["import"], None);
    assert_exit(&out, 2);
    let err = stderr(&out);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("<PATHS>"), "{err}");
    // No command at all: the help, and a usage error.
    let out = run(&[], None);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("Usage:"));
}
