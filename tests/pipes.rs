//! `sidarkiv … | head -1`: every command that can print much exits quietly
//! with 0 when its reader goes away, however many inputs are still queued.
//!
//! Regression: `import DIR | head -1` with 1,000 or more files never exited
//! (the committing loop stopped, but the workers and the producer waited on
//! channels whose other ends it still held).

use crate::server::{Reply, Server};
use crate::util::{sidarkiv, temp_dir};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A guard against hangs, not a timing: a correct run takes about a second.
const GUARD: Duration = Duration::from_secs(120);

/// Runs `cmd` with its stdout read up to the first line and then closed, as
/// `| head -1` does; returns the exit code, failing the test on a hang.
fn first_line_then_close(mut cmd: Command) -> (Option<i32>, String) {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sidarkiv");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read a line");
    // The reader is dropped here: the pipe is closed, as by head.
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut e, &mut err);
            }
            assert!(err.is_empty() || !err.contains("panicked"), "{err}");
            return (status.code(), line);
        }
        if start.elapsed() > GUARD {
            let _ = child.kill();
            panic!("{cmd:?} did not exit within {GUARD:?} after its reader went away");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn write_pages(dir: &Path, n: usize) {
    std::fs::create_dir_all(dir).expect("dir");
    for i in 0..n {
        let html = format!(
            "<html><head><title>Sida {i}</title></head><body><h1>Sida {i}</h1>\
             <p>Text {i}.</p><p>Sidan uppdaterad: 2010-04-{:02}</p>\
             <p>L\u{e4}nk till sidan: <a href=\"http://www.karlskrona.se/sv/s{}/\">x</a></p></body></html>",
            1 + i % 28,
            i % 50
        );
        std::fs::write(dir.join(format!("p{i:05}.html")), html).expect("write");
    }
}

fn cmd(dir: &Path, args: &[&str]) -> Command {
    let mut c = sidarkiv();
    c.current_dir(dir).args(args);
    c
}

#[test]
fn every_printing_command_exits_0_when_its_reader_goes_away() {
    let dir = temp_dir("pipes");
    // 3,000 files of 50 URLs: 2,950 captures follow one another per URL, so
    // `report` has thousands of changes to print.
    write_pages(&dir.join("pages"), 3000);

    let (code, first) = first_line_then_close(cmd(&dir, &["import", "pages"]));
    assert_eq!(code, Some(0), "import | head -1");
    assert!(first.contains("\"status\""), "{first}");

    // The whole import, for the readers below.
    let out = cmd(&dir, &["import", "pages"])
        .stdout(Stdio::null())
        .output()
        .expect("import");
    assert_eq!(out.status.code(), Some(0));

    // Files that are not regular files are written to, not replaced: the
    // output goes into the pipe. (Regression: `export --warc /dev/stdout`
    // renamed a temporary file over /dev/stdout. /proc/self/fd/1 is used
    // here because no temporary file can be made in /proc/self/fd, so a
    // regression fails the test instead of harming the machine.)
    for args in [
        &["list"][..],
        &["pages"],
        &["report", "--format", "json"],
        &["report", "--format", "markdown"],
        &["report", "--format", "json", "-o", "/proc/self/fd/1"],
        &["export", "--warc", "/proc/self/fd/1"],
    ] {
        let (code, _) = first_line_then_close(cmd(&dir, args));
        assert_eq!(code, Some(0), "{args:?} | head -1");
    }

    // One document of thousands of lines: a page of 4,000 sections, and
    // the diff of two such pages whose every heading was renamed.
    let sections = |prefix: &str| {
        let mut page = String::from("<html><body><h1>Avsnitt</h1>");
        for i in 0..4000 {
            page.push_str(&format!("<h2>{prefix} {i}</h2><p>Stycke {i}.</p>"));
        }
        page + "</body></html>"
    };
    std::fs::write(dir.join("a.html"), sections("Rubrik")).expect("write");
    std::fs::write(dir.join("b.html"), sections("Ny rubrik")).expect("write");
    let (code, _) = first_line_then_close(cmd(&dir, &["parse", "a.html"]));
    assert_eq!(code, Some(0), "parse | head -1");
    let (code, _) = first_line_then_close(cmd(&dir, &["diff", "a.html", "b.html"]));
    assert_eq!(
        code,
        Some(0),
        "diff | head -1: quietly 0, not 1, when the reader left"
    );

    // A CDX listing of 5,000 rows on one page.
    let rows: String = (0..5000)
        .map(|i| {
            format!(
                ",[\"2010{:02}{:02}000000\",\"http://example.se/\",\"text/html\",\"200\",\"D{i}\",\"10\"]",
                1 + i % 12,
                1 + i % 28
            )
        })
        .collect();
    let body = format!(
        "[[\"timestamp\",\"original\",\"mimetype\",\"statuscode\",\"digest\",\"length\"]{rows}]"
    );
    let server = Server::start(move |_, _| Reply::ok(body.clone(), &[]));
    let (code, first) = first_line_then_close(cmd(
        &dir,
        &["snapshots", "http://example.se/", "--wayback", &server.base],
    ));
    assert_eq!(code, Some(0), "snapshots | head -1");
    assert!(first.contains("timestamp"), "{first}");
    let _ = std::fs::remove_dir_all(&dir);
}
