//! The archive through the binary: import (folders, WARC, bad files), list,
//! show, export (checked by Python's warcio), reparse, diff by reference,
//! SIGKILL at any moment, and two imports at once.

use crate::util::{assert_exit, available, fixture, json_lines, run, s, sidarkiv, temp_dir};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// The `"type": "page"` lines of an import's output.
fn page_lines(out: &[u8]) -> Vec<Value> {
    let (pages, inputs): (Vec<Value>, Vec<Value>) = json_lines(out)
        .into_iter()
        .partition(|l| l["type"] == "page");
    assert!(
        inputs.iter().all(|l| l["type"] == "input"),
        "every line is a page or an input line: {inputs:?}"
    );
    pages
}

/// The HTML fixtures (fixtures/*.html and fixtures/src/*.html) in a folder of their own.
fn html_fixtures(dir: &Path) -> PathBuf {
    let out = dir.join("html-fixtures");
    for sub in ["", "src"] {
        let from = fixture(sub);
        std::fs::create_dir_all(out.join(sub)).expect("dir");
        for entry in std::fs::read_dir(&from).expect("fixtures").flatten() {
            let p = entry.path();
            if p.extension().is_some_and(|e| e == "html") {
                std::fs::copy(&p, out.join(sub).join(entry.file_name())).expect("copy");
            }
        }
    }
    out
}

fn list(archive: &Path) -> Vec<Value> {
    let out = run(&["list", "--archive", s(archive)], None);
    assert!(
        out.status.success(),
        "list failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    json_lines(&out.stdout)
}

/// (url, sha256) of every listed capture.
fn captures(archive: &Path) -> BTreeSet<(String, String)> {
    list(archive)
        .iter()
        .map(|c| {
            (
                c["url"].as_str().unwrap_or("").to_owned(),
                c["sha256"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

/// `n` small old-style pages, each naming its own URL.
fn generate_pages(dir: &Path, n: usize) -> PathBuf {
    let pages = dir.join("pages");
    std::fs::create_dir_all(&pages).expect("dir");
    for i in 0..n {
        let html = format!(
            "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-1\"><title>Sida {i}</title></head>\
             <body><h1>Sida {i}</h1><p>Karlskrona kommun \u{e4}r medlem i n\u{e4}tverk nummer {i}.</p>\
             <h2>Avsnitt</h2><p>Text {i}.</p><p>Sidan uppdaterad: 2010-04-26</p>\
             <p>L\u{e4}nk till sidan: <a href=\"http://www.karlskrona.se/sv/sida-{i}/\">http://www.karlskrona.se/sv/sida-{i}/</a></p></body></html>"
        );
        std::fs::write(
            pages.join(format!("sida-{i:04}.html")),
            encoding_rs::WINDOWS_1252.encode(&html).0,
        )
        .expect("write");
    }
    pages
}

#[test]
fn import_folder_list_show_and_reimport_is_idempotent() {
    let dir = temp_dir("import-folder");
    let archive = dir.join("archive");
    let inputs = html_fixtures(&dir);
    let out = run(&["import", s(&inputs), "--archive", s(&archive)], None);
    assert_exit(&out, 0);
    let lines = page_lines(&out.stdout);
    assert_eq!(
        lines.len(),
        10,
        "8 HTML fixtures and the 2 sources in fixtures/src"
    );
    assert!(
        lines
            .iter()
            .all(|l| l["status"] == "ok" && l["new"] == true)
    );
    let view = lines
        .iter()
        .find(|l| {
            l["input"]
                .as_str()
                .is_some_and(|i| i.ends_with("wayback-view.html"))
        })
        .expect("view");
    assert_eq!(
        view["timestamp"], "20100426093512",
        "the capture time a view-mode copy shows"
    );
    let before = captures(&archive);
    assert_eq!(before.len(), 10);
    // Every stored file gets the same mode as a file the user writes (0644
    // less the umask), whichever way it was written; none is private to root.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let reference = dir.join("mode-reference");
        std::fs::write(&reference, b"").expect("write");
        let want = std::fs::metadata(&reference)
            .expect("meta")
            .permissions()
            .mode()
            & 0o644;
        for entry in walkdir::WalkDir::new(&archive).into_iter().flatten() {
            if entry.file_type().is_file() && entry.file_name() != ".lock" {
                let mode = entry.metadata().expect("meta").permissions().mode() & 0o777;
                assert_eq!(mode, want, "{}", entry.path().display());
            }
        }
    }

    let again = run(&["import", s(&inputs), "--archive", s(&archive)], None);
    assert_eq!(again.status.code(), Some(0));
    assert!(
        page_lines(&again.stdout).iter().all(|l| l["new"] == false),
        "the same bytes are stored once"
    );
    assert_eq!(captures(&archive), before);

    let url = view["url"].as_str().expect("url");
    let by_ref = run(
        &[
            "show",
            &format!("{url}@20100426093512"),
            "--archive",
            s(&archive),
        ],
        None,
    );
    assert!(by_ref.status.success());
    let page: Value = serde_json::from_slice(&by_ref.stdout).expect("page");
    assert_eq!(page["title"], "Internationella nätverk");
    let sha = view["sha256"].as_str().expect("sha");
    let by_sha = run(&["show", &sha[..12], "--archive", s(&archive)], None);
    assert_eq!(by_sha.stdout, by_ref.stdout);
    let missing = dir.join("no-such-archive");
    let out = run(&["list", "--archive", s(&missing)], None);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a reading command never creates an archive"
    );
    assert!(!missing.exists());
    for bad in ["abc", "http://nowhere/@20100101000000", "ffffffffffffffff"] {
        let out = run(&["show", bad, "--archive", s(&archive)], None);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(bad));
    }
    let one_url = run(&["list", url, "--archive", s(&archive)], None);
    let ts: Vec<String> = json_lines(&one_url.stdout)
        .iter()
        .map(|c| c["timestamp"].as_str().unwrap_or("").to_owned())
        .collect();
    let mut sorted = ts.clone();
    sorted.sort();
    assert_eq!(ts, sorted, "oldest first");

    // diff by archive reference
    let lines2: Vec<&Value> = lines
        .iter()
        .filter(|l| {
            l["input"]
                .as_str()
                .is_some_and(|i| i.contains("karlskrona-201"))
        })
        .collect();
    let sha_2010 = lines2
        .iter()
        .find(|l| {
            l["input"]
                .as_str()
                .is_some_and(|i| i.ends_with("2010-raw.html"))
        })
        .expect("2010")["sha256"]
        .as_str()
        .expect("sha");
    let sha_2011 = lines2
        .iter()
        .find(|l| {
            l["input"]
                .as_str()
                .is_some_and(|i| i.ends_with("2011-raw.html"))
        })
        .expect("2011")["sha256"]
        .as_str()
        .expect("sha");
    let d = run(
        &[
            "diff",
            &sha_2010[..16],
            &sha_2011[..16],
            "--archive",
            s(&archive),
        ],
        None,
    );
    assert_exit(&d, 1);

    // reparse rebuilds every page JSON from the raw bytes, to the same result
    let page_before = run(&["show", &sha[..12], "--archive", s(&archive)], None).stdout;
    let r = run(&["reparse", "--archive", s(&archive)], None);
    assert!(r.status.success());
    let summary: Value = serde_json::from_slice(&r.stdout).expect("json");
    assert_eq!(summary["reparsed"], 10);
    assert_eq!(
        run(&["show", &sha[..12], "--archive", s(&archive)], None).stdout,
        page_before
    );
}

#[test]
fn bad_files_do_not_stop_the_import() {
    let dir = temp_dir("import-bad");
    let input = dir.join("in");
    std::fs::create_dir_all(&input).expect("dir");
    std::fs::write(input.join("empty.html"), b"").expect("w");
    std::fs::write(input.join("logo.html"), b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").expect("w");
    std::fs::copy(
        fixture("karlskrona-2011-raw.html"),
        input.join("sida med mellanslag & ö #1.html"),
    )
    .expect("copy");
    std::fs::write(
        input.join("utan-url.html"),
        b"<html><body><h1>Ingen adress</h1></body></html>",
    )
    .expect("w");
    let archive = dir.join("archive");
    let missing = dir.join("finns-inte.html");
    let out = run(
        &[
            "import",
            s(&input),
            s(&missing),
            "/dev/zero",
            "--archive",
            s(&archive),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(3), "some failed, the rest went in");
    let lines = page_lines(&out.stdout);
    assert_eq!(lines.len(), 6);
    let status = |name: &str| {
        let l = lines
            .iter()
            .find(|l| l["input"].as_str().is_some_and(|i| i.ends_with(name)))
            .expect(name);
        (
            l["status"].as_str().unwrap_or("").to_owned(),
            l["reason"].as_str().unwrap_or("").to_owned(),
        )
    };
    assert_eq!(status("sida med mellanslag & ö #1.html").0, "ok");
    assert_eq!(
        status("utan-url.html").0,
        "ok",
        "stored under its file:// URL"
    );
    assert!(status("empty.html").1.contains("empty"));
    assert!(status("logo.html").1.contains("PNG"));
    assert!(status("finns-inte.html").1.contains("cannot read"));
    // An endless input stops at max_body_bytes instead of filling memory.
    assert!(status("/dev/zero").1.contains("max_body_bytes"));
    let urls: Vec<String> = list(&archive)
        .iter()
        .map(|c| c["url"].as_str().unwrap_or("").to_owned())
        .collect();
    assert!(
        urls.iter()
            .any(|u| u.starts_with("file://") && u.ends_with("utan-url.html")),
        "{urls:?}"
    );
    assert_eq!(urls.len(), 2);
}

fn warc_record(kind: &str, uri: &str, date: &str, block: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Target-URI: {uri}\r\nWARC-Date: {date}\r\nWARC-Record-ID: <urn:uuid:{}>\r\nContent-Length: {}\r\n\r\n",
        "12345678-1234-5678-1234-567812345678",
        block.len()
    )
    .into_bytes();
    r.extend_from_slice(block);
    r.extend_from_slice(b"\r\n\r\n");
    r
}

#[test]
fn a_page_sent_without_a_type_is_told_by_its_bytes() {
    // Old servers often sent no Content-Type; a browser sniffed the page.
    let dir = temp_dir("import-untyped");
    let page = b"\n<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\">\n<html><head><title>Utan typ</title></head><body><h1>Utan typ</h1><p>Servern sa inget om typen.</p></body></html>";
    let mut http = b"HTTP/1.0 200 OK\r\nServer: old\r\n\r\n".to_vec();
    http.extend_from_slice(page);
    let mut warc = Vec::new();
    warc.extend(warc_record(
        "response",
        "http://www.karlskrona.se/utan-typ.asp",
        "2003-05-01T10:00:00Z",
        &http,
    ));
    warc.extend(warc_record(
        "response",
        "http://www.karlskrona.se/bild",
        "2003-05-01T10:00:01Z",
        b"HTTP/1.0 200 OK\r\n\r\nGIF89a\x01\x00",
    ));
    warc.extend(warc_record(
        "resource",
        "file:///sparad/sida.htm",
        "2003-05-01T10:00:02Z",
        page,
    ));
    std::fs::write(dir.join("old.warc"), &warc).expect("w");
    let out = run(
        &[
            "import",
            s(&dir.join("old.warc")),
            "--archive",
            s(&dir.join("archive")),
        ],
        None,
    );
    assert_exit(&out, 0);
    let lines = json_lines(&out.stdout);
    let urls: Vec<&str> = lines
        .iter()
        .filter(|l| l["type"] == "page" && l["status"] == "ok")
        .filter_map(|l| l["url"].as_str())
        .collect();
    assert_eq!(
        urls,
        [
            "http://www.karlskrona.se/utan-typ.asp",
            "file:///sparad/sida.htm"
        ]
    );
    let input = lines.iter().find(|l| l["type"] == "input").expect("input");
    assert_eq!(
        input["skipped"],
        serde_json::json!({"not_html": 1}),
        "{input}"
    );
}

#[test]
fn a_capture_the_crawler_cut_short_says_so_and_keeps_saying_it() {
    let dir = temp_dir("import-truncated");
    let http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html><head><title>Lang sida</title></head><body><h1>Lang sida</h1><p>Borjan av en lang";
    let mut record = warc_record(
        "response",
        "http://www.karlskrona.se/lang/",
        "2009-02-01T10:00:00Z",
        http,
    );
    // Heritrix's mark of a record cut at its size limit.
    let at = record
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of head");
    record.splice(at..at, b"\r\nWARC-Truncated: length".iter().copied());
    std::fs::write(dir.join("cut.warc"), &record).expect("w");
    let archive = dir.join("archive");
    let out = run(
        &["import", s(&dir.join("cut.warc")), "--archive", s(&archive)],
        None,
    );
    assert_exit(&out, 0);
    let show = || -> Value {
        let out = run(
            &[
                "show",
                "http://www.karlskrona.se/lang/@20090201100000",
                "--archive",
                s(&archive),
            ],
            None,
        );
        serde_json::from_slice(&out.stdout).expect("page JSON")
    };
    let said = |page: &Value| {
        page["warnings"]
            .to_string()
            .contains("the crawler cut this capture short (WARC-Truncated: length)")
    };
    assert!(said(&show()), "{}", show());
    assert_exit(&run(&["reparse", "--archive", s(&archive)], None), 0);
    assert!(said(&show()), "a reparse keeps it: {}", show());
}

#[test]
fn warc_and_warc_gz_input() {
    use std::io::Write;
    let dir = temp_dir("import-warc");
    let page = std::fs::read(fixture("karlskrona-2011-raw.html")).expect("fixture");
    let mut http =
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=iso-8859-1\r\n\r\n".to_vec();
    http.extend_from_slice(&page);
    let plain_page = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n1c\r\n<html><h1>Utan l\xe4nk</h1></p>\r\n0\r\n\r\n";
    let mut warc = Vec::new();
    warc.extend(warc_record(
        "warcinfo",
        "",
        "2011-03-15T12:00:00Z",
        b"software: test\r\n",
    ));
    warc.extend(warc_record(
        "request",
        "http://www.karlskrona.se/x",
        "2011-03-15T12:00:00Z",
        b"GET /x HTTP/1.1\r\n\r\n",
    ));
    warc.extend(warc_record(
        "response",
        "http://www.karlskrona.se/x",
        "2011-03-15T12:00:00Z",
        &http,
    ));
    warc.extend(warc_record(
        "response",
        "http://www.karlskrona.se/logo.png",
        "2011-03-15T12:00:01Z",
        b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\r\n\x89PNG",
    ));
    warc.extend(warc_record(
        "response",
        "http://www.karlskrona.se/utan-lank",
        "2011-03-16T08:00:00Z",
        plain_page,
    ));
    std::fs::write(dir.join("crawl.warc"), &warc).expect("w");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&warc).expect("gz");
    std::fs::write(dir.join("crawl.warc.gz"), gz.finish().expect("gz")).expect("w");
    for name in ["crawl.warc", "crawl.warc.gz"] {
        let archive = dir.join(format!("archive-{name}"));
        let out = run(
            &["import", s(&dir.join(name)), "--archive", s(&archive)],
            None,
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let lines = page_lines(&out.stdout);
        assert_eq!(lines.len(), 2, "{name}: two HTML responses");
        // Pages are parsed in parallel: lines come in any order.
        let first = lines
            .iter()
            .find(|l| l["input"].as_str().is_some_and(|i| i.ends_with("#3")))
            .expect("record 3");
        assert_eq!(first["timestamp"], "20110315120000", "the WARC-Date");
        // The URL crawled is the capture's; the page's own link is a page field.
        assert_eq!(first["url"], "http://www.karlskrona.se/x");
        let shown = run(
            &[
                "show",
                "http://www.karlskrona.se/x@20110315120000",
                "--archive",
                s(&archive),
            ],
            None,
        );
        let shown: Value = serde_json::from_slice(&shown.stdout).expect("page JSON");
        assert!(
            shown["url"]
                .as_str()
                .is_some_and(|u| u.ends_with("Internationella-natverk/")),
            "{shown}"
        );
        let second = lines
            .iter()
            .find(|l| l["input"].as_str().is_some_and(|i| i.ends_with("#5")))
            .expect("record 5");
        assert_eq!(
            second["url"], "http://www.karlskrona.se/utan-lank",
            "else the target URI"
        );
        assert_eq!(second["timestamp"], "20110316080000");
    }
    let broken = dir.join("broken.warc");
    std::fs::write(&broken, &warc[..warc.len() - 300]).expect("w");
    let out = run(
        &[
            "import",
            s(&broken),
            "--archive",
            s(&dir.join("archive-broken")),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("damaged record: the file ends inside a record's headers"),
        "the damaged record is reported: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

fn python_has_warcio() -> bool {
    Command::new("python3")
        .args(["-c", "import warcio"])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn export_is_readable_by_warcio() {
    if !available("Python's warcio", python_has_warcio()) {
        return;
    }
    let dir = temp_dir("export");
    let archive = dir.join("archive");
    assert!(
        run(
            &["import", s(&html_fixtures(&dir)), "--archive", s(&archive)],
            None
        )
        .status
        .success()
    );
    for name in ["all.warc", "all.warc.gz"] {
        let warc = dir.join(name);
        let out = run(
            &["export", "--warc", s(&warc), "--archive", s(&archive)],
            None,
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let check = Command::new("warcio")
            .args(["check", "-v", s(&warc)])
            .output();
        let check = match check {
            Ok(o) => o,
            Err(_) => Command::new("python3")
                .args(["-m", "warcio.cli", "check", "-v", s(&warc)])
                .output()
                .expect("warcio"),
        };
        assert!(
            check.status.success(),
            "warcio check {name}: {}{}",
            String::from_utf8_lossy(&check.stdout),
            String::from_utf8_lossy(&check.stderr)
        );
        let script = r#"
import sys, json, hashlib, base64
from warcio.archiveiterator import ArchiveIterator
counts = {}
with open(sys.argv[1], 'rb') as f:
    for rec in ArchiveIterator(f):
        t = rec.rec_type
        counts[t] = counts.get(t, 0) + 1
        if t == 'response':
            body = rec.content_stream().read()
            digest = 'sha1:' + base64.b32encode(hashlib.sha1(body).digest()).decode()
            assert digest == rec.rec_headers.get_header('WARC-Payload-Digest'), (digest, rec.rec_headers.get_header('WARC-Payload-Digest'))
            assert rec.http_headers.get_statuscode() == '200'
        if t == 'metadata':
            page = json.loads(rec.content_stream().read())
            assert page['schema'] == 'sidarkiv.page.v1'
print(json.dumps(counts, sort_keys=True))
"#;
        let read = Command::new("python3")
            .args(["-c", script, s(&warc)])
            .output()
            .expect("python");
        assert!(
            read.status.success(),
            "{}",
            String::from_utf8_lossy(&read.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&read.stdout).trim(),
            r#"{"metadata": 10, "resource": 10, "warcinfo": 1}"#
        );
    }
}

/// Kills `sidarkiv import` with SIGKILL after `after`; returns whether it was still running.
fn import_killed_after(pages: &Path, archive: &Path, after: Duration) -> bool {
    let mut child = sidarkiv()
        .args(["import", s(pages), "--archive", s(archive)])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    std::thread::sleep(after);
    let running = child.try_wait().expect("wait").is_none();
    let _ = child.kill(); // SIGKILL on Unix
    let _ = child.wait();
    running
}

fn assert_readable(archive: &Path) {
    // Killed before it made the archive (a slow start on a busy machine):
    // nothing was stored, and nothing is there to read.
    if !archive.exists() {
        return;
    }
    for c in list(archive) {
        let sha = c["sha256"].as_str().expect("sha");
        let out = run(&["show", &sha[..16], "--archive", s(archive)], None);
        assert!(
            out.status.success(),
            "show {sha}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Value>(&out.stdout).expect("page JSON");
    }
}

#[test]
fn sigkill_at_any_moment_leaves_a_readable_archive_and_a_rerun_completes_it() {
    let dir = temp_dir("crash");
    let pages = generate_pages(&dir, 600);
    let archive = dir.join("archive");
    let mut killed_mid_run = 0;
    for ms in [30, 80, 150, 250, 400, 600] {
        if import_killed_after(&pages, &archive, Duration::from_millis(ms)) {
            killed_mid_run += 1;
        }
        assert_readable(&archive);
    }
    assert!(
        killed_mid_run >= 2,
        "the import finished too fast to be killed mid-run"
    );
    let out = run(&["import", s(&pages), "--archive", s(&archive)], None);
    assert_eq!(out.status.code(), Some(0));
    let reference = dir.join("reference");
    assert!(
        run(&["import", s(&pages), "--archive", s(&reference)], None)
            .status
            .success()
    );
    let got = captures(&archive);
    assert_eq!(got.len(), 600, "every page exactly once");
    assert_eq!(
        got,
        captures(&reference),
        "the same archive as an uninterrupted import"
    );
    assert_eq!(list(&archive).len(), 600, "no capture listed twice");
    assert_eq!(
        std::fs::read_dir(archive.join("tmp")).expect("tmp").count(),
        0,
        "leftovers cleared"
    );
    // Every killed writer's journal is settled, every segment's tail whole.
    let verify = run(&["verify", "--archive", s(&archive)], None);
    assert_exit(&verify, 0);
    let journals = std::fs::read_dir(archive.join("indexes"))
        .expect("indexes")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".open"))
        .count();
    assert_eq!(journals, 0, "no journal left unsettled");
    if available("Python's warcio", python_has_warcio()) {
        for seg in std::fs::read_dir(archive.join("warcs"))
            .expect("warcs")
            .flatten()
        {
            let check = Command::new("python3")
                .args(["-m", "warcio.cli", "check", s(&seg.path())])
                .output()
                .expect("warcio");
            assert!(
                check.status.success(),
                "warcio check {}: {}",
                seg.path().display(),
                String::from_utf8_lossy(&check.stdout)
            );
        }
    }
}

#[test]
fn two_imports_at_once_into_one_archive() {
    let dir = temp_dir("concurrent");
    let pages = generate_pages(&dir, 300);
    let archive = dir.join("archive");
    let spawn = || {
        sidarkiv()
            .args(["import", s(&pages), "--archive", s(&archive)])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn")
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (
        a.wait_with_output().expect("a"),
        b.wait_with_output().expect("b"),
    );
    assert_exit(&a, 0);
    assert_exit(&b, 0);
    let new = |o: &std::process::Output| {
        page_lines(&o.stdout)
            .iter()
            .filter(|l| l["new"] == true)
            .count()
    };
    assert_eq!(
        new(&a) + new(&b),
        300,
        "each page stored by exactly one of them"
    );
    assert_eq!(list(&archive).len(), 300);
    assert_readable(&archive);

    // A reader that stops early (`| head -1`) is no error: exit 0, nothing on stderr.
    use std::io::BufRead;
    let mut child = sidarkiv()
        .args(["list", "--archive", s(&archive)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("one line");
    let out = child.wait_with_output().expect("wait");
    assert!(first.contains("sha256"));
    assert_exit(&out, 0);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn import_fits_a_small_descriptor_limit() {
    // Batches and the queue hold open files; under a limit of 64 descriptors
    // the import must shrink them, not fail pages with "Too many open files".
    let dir = temp_dir("fd-limit");
    let pages = generate_pages(&dir, 120);
    let archive = dir.join("archive");
    let out = std::process::Command::new("bash")
        .args([
            "-c",
            "ulimit -n 64 && exec \"$0\" import \"$1\" --archive \"$2\"",
            env!("CARGO_BIN_EXE_sidarkiv"),
            s(&pages),
            s(&archive),
        ])
        .output()
        .expect("bash");
    assert_exit(&out, 0);
    let lines = page_lines(&out.stdout);
    assert_eq!(lines.len(), 120);
    assert!(lines.iter().all(|l| l["status"] == "ok"), "{lines:?}");
    assert_eq!(list(&archive).len(), 120);
}

#[test]
fn warc_bodies_with_a_content_encoding_are_decompressed() {
    use std::io::Write;
    let dir = temp_dir("import-warc-encoded");
    let page = |title: &str| {
        format!(
            "<html><head><title>{title}</title></head><body><h1>{title}</h1>\
             <p>Karlskrona kommun.</p></body></html>"
        )
        .into_bytes()
    };
    let response = |coding: &str, body: &[u8]| {
        let mut http = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Encoding: {coding}\r\n\r\n"
        )
        .into_bytes();
        http.extend_from_slice(body);
        http
    };
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&page("Gzip")).expect("gzip");
    let gz = gz.finish().expect("gzip");
    let mut br = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut br, 4096, 5, 22);
        w.write_all(&page("Brotli")).expect("br");
    }
    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    zlib.write_all(&page("Deflate")).expect("deflate");
    let zlib = zlib.finish().expect("deflate");
    let records = [
        ("http://x.se/gzip", response("gzip", &gz)),
        ("http://x.se/br", response("br", &br)),
        ("http://x.se/deflate", response("deflate", &zlib)),
        // Labelled compressed by a tool that had already decompressed it.
        ("http://x.se/plain", response("gzip", &page("Plain"))),
        (
            "http://x.se/broken",
            response("gzip", b"\x1f\x8b\x08\x00broken"),
        ),
    ];
    let mut warc = Vec::new();
    for (uri, http) in &records {
        warc.extend(warc_record("response", uri, "2011-03-15T12:00:00Z", http));
    }
    let path = dir.join("encoded.warc");
    std::fs::write(&path, &warc).expect("write");
    let archive = dir.join("archive");
    let out = run(&["import", s(&path), "--archive", s(&archive)], None);
    assert_exit(&out, 3);
    let lines = page_lines(&out.stdout);
    let titles: BTreeSet<String> = list(&archive)
        .iter()
        .map(|c| {
            let shown = run(
                &[
                    "show",
                    c["sha256"].as_str().expect("sha"),
                    "--archive",
                    s(&archive),
                ],
                None,
            );
            serde_json::from_slice::<Value>(&shown.stdout).expect("page")["title"]
                .as_str()
                .unwrap_or("")
                .to_owned()
        })
        .collect();
    assert_eq!(
        titles,
        ["Brotli", "Deflate", "Gzip", "Plain"]
            .map(String::from)
            .into_iter()
            .collect()
    );
    let failed: Vec<&Value> = lines.iter().filter(|l| l["status"] == "error").collect();
    assert_eq!(failed.len(), 1, "{lines:?}");
    assert!(
        failed[0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("Content-Encoding gzip")),
        "{failed:?}"
    );
}

#[test]
fn verify_finds_a_flipped_byte_a_deleted_record_a_broken_index_and_a_reimport_repairs() {
    let dir = temp_dir("verify");
    let archive = dir.join("archive");
    let pages = generate_pages(&dir, 3);
    let import = || run(&["import", s(&pages), "--archive", s(&archive)], None);
    assert_exit(&import(), 0);
    let verify = || run(&["verify", "--archive", s(&archive)], None);
    let clean = verify();
    assert_exit(&clean, 0);
    assert!(clean.stdout.is_empty());
    assert!(String::from_utf8_lossy(&clean.stderr).contains("3 captures checked, 0 problem(s)"));

    let mut records = list(&archive);
    records.sort_by_key(|r| r["offset"].as_u64());
    let segment = archive
        .join("warcs")
        .join(records[0]["filename"].as_str().expect("filename"));
    let at = |r: &Value, what: &str| r[what].as_u64().expect("a number") as usize;
    let mut bytes = std::fs::read(&segment).expect("segment");
    // A flipped byte in the first record; the second record deleted, so
    // that its index line names the third's bytes, and the third's line
    // names bytes past the end.
    bytes[at(&records[0], "offset") + at(&records[0], "length") / 2] ^= 0x20;
    let second = at(&records[1], "offset")..at(&records[1], "offset") + at(&records[1], "length");
    bytes.drain(second);
    std::fs::write(&segment, bytes).expect("write");
    let damaged = verify();
    assert_exit(&damaged, 1);
    let problems = json_lines(&damaged.stdout);
    let mut found: Vec<(String, String)> = problems
        .iter()
        .map(|p| {
            (
                p["problem"].as_str().unwrap_or("").to_owned(),
                p["url"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    found.sort();
    let mut expected: Vec<(String, String)> = records
        .iter()
        .map(|r| {
            (
                "damaged_record".to_owned(),
                r["url"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    expected.sort();
    assert_eq!(found, expected, "{problems:?}");
    // Reading a damaged capture is an error naming it, not a wrong page.
    let reference = format!(
        "{}@{}",
        records[2]["url"].as_str().unwrap_or(""),
        records[2]["timestamp"].as_str().unwrap_or("")
    );
    let shown = run(
        &["show", "--raw", &reference, "--archive", s(&archive)],
        None,
    );
    assert_exit(&shown, 2);

    // Importing the same pages again appends good copies; the damaged
    // records are superseded, not damage.
    assert_exit(&import(), 0);
    let repaired = verify();
    assert_exit(&repaired, 0);
    let lines = json_lines(&repaired.stdout);
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(
        lines.iter().all(|p| p["problem"] == "superseded"),
        "{lines:?}"
    );
    assert_exit(
        &run(
            &["show", "--raw", &reference, "--archive", s(&archive)],
            None,
        ),
        0,
    );
    assert_eq!(list(&archive).len(), 3, "one capture each still");

    // An index line that no longer reads as one; a segment gone.
    let index = walkdir::WalkDir::new(archive.join("indexes"))
        .into_iter()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().ends_with(".cdxj"))
        .expect("an index")
        .into_path();
    let mut text = std::fs::read_to_string(&index).expect("index");
    text.push_str("se,x)/ 2010 { not json\n");
    std::fs::write(&index, text).expect("write");
    // The repair's segment gone: its copies are missing, the old ones damaged.
    let repair = std::fs::read_dir(archive.join("warcs"))
        .expect("warcs")
        .flatten()
        .map(|e| e.path())
        .find(|p| p != &segment)
        .expect("the repair's segment");
    std::fs::remove_file(&repair).expect("remove");
    let out = verify();
    assert_exit(&out, 1);
    let kinds: BTreeSet<String> = json_lines(&out.stdout)
        .iter()
        .filter_map(|p| p["problem"].as_str().map(str::to_owned))
        .collect();
    assert!(
        kinds.contains("damaged_index") && kinds.contains("missing_segment"),
        "{kinds:?}"
    );

    // Not an archive at all: could not check.
    assert_exit(
        &run(&["verify", "--archive", s(&dir.join("nothing"))], None),
        2,
    );
}

#[test]
fn every_input_gets_a_summary_line_and_nothing_is_passed_over_silently() {
    use std::io::Write;
    let dir = temp_dir("import-inputs");
    let inputs = dir.join("in");
    std::fs::create_dir_all(&inputs).expect("dir");
    let page = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><h1>Sida</h1><p>L\xc3\xa4nk till sidan: <a href=\"http://example.se/a\">x</a></p></body></html>";
    let image = b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\r\n\x89PNG....";
    let mut warc = warc_record(
        "warcinfo",
        "",
        "2010-04-26T09:35:12Z",
        b"software: test\r\n",
    );
    warc.extend(warc_record(
        "request",
        "http://example.se/a",
        "2010-04-26T09:35:12Z",
        b"GET /a HTTP/1.1\r\n\r\n",
    ));
    warc.extend(warc_record(
        "response",
        "http://example.se/a",
        "2010-04-26T09:35:12Z",
        page,
    ));
    warc.extend(warc_record(
        "response",
        "http://example.se/logo.png",
        "2010-04-26T09:35:13Z",
        image,
    ));
    // A redirect is counted, not failed; an HTML `resource` is a page.
    warc.extend(warc_record(
        "response",
        "http://example.se/old",
        "2010-04-26T09:35:14Z",
        b"HTTP/1.1 301 Moved Permanently\r\nLocation: http://example.se/a\r\nContent-Type: text/html\r\nContent-Length: 0\r\n\r\n",
    ));
    let mut resource = warc_record(
        "resource",
        "http://example.se/c",
        "2010-04-26T09:35:15Z",
        "<html><body><h1>Resurs</h1><p>Länk till sidan: <a href=\"http://example.se/c\">x</a></p></body></html>".as_bytes(),
    );
    let at = resource
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("header end");
    resource.splice(
        at..at,
        b"\r\nContent-Type: text/html; charset=utf-8"
            .iter()
            .copied(),
    );
    warc.extend(resource);
    // gzip recognised by its bytes, whatever the name says.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&warc).expect("gzip");
    std::fs::write(inputs.join("crawl.warc"), gz.finish().expect("gzip")).expect("write");
    std::fs::write(
        inputs.join("old.arc"),
        b"filedesc://old.arc 0.0.0.0 20100426093512 text/plain 10\n",
    )
    .expect("write");
    // A symlinked page is read; a FIFO named like a page is named as such.
    std::fs::write(dir.join("real.html"), "<html><body><h1>L\u{e4}nkad</h1><p>L\u{e4}nk till sidan: <a href=\"http://example.se/b\">x</a></p></body></html>").expect("write");
    std::os::unix::fs::symlink(dir.join("real.html"), inputs.join("linked.html")).expect("symlink");
    // A file named like a WARC whose bytes are not one is named as such,
    // not read as a page.
    std::fs::write(inputs.join("fake.warc"), "hello, not a WARC").expect("write");
    // A folder linked into itself is followed once, then named as a loop.
    std::os::unix::fs::symlink(&inputs, inputs.join("loop")).expect("symlink");
    let fifo = inputs.join("pipe.html");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());

    let archive = dir.join("archive");
    let out = run(&["import", s(&inputs), "--archive", s(&archive)], None);
    assert_exit(&out, 3);
    let lines = json_lines(&out.stdout);
    let input = |name: &str| {
        lines
            .iter()
            .find(|l| {
                l["type"] == "input" && l["input"].as_str().is_some_and(|i| i.ends_with(name))
            })
            .unwrap_or_else(|| panic!("no input line for {name}: {lines:?}"))
            .clone()
    };
    let crawl = input("crawl.warc");
    assert_eq!(crawl["format"], "warc");
    assert_eq!(crawl["records"], 6);
    // The redirect is a capture too: the page moved.
    assert_eq!(crawl["pages_ok"], 3, "{crawl}");
    assert_eq!(crawl["skipped"]["warcinfo"], 1);
    assert_eq!(crawl["skipped"]["request"], 1);
    assert_eq!(crawl["skipped"]["not_html"], 1);
    assert!(crawl["skipped"].get("redirect").is_none(), "{crawl}");
    assert_eq!(input("linked.html")["pages_ok"], 1);
    assert_eq!(input("old.arc")["pages_failed"], 1);
    assert_eq!(input("pipe.html")["pages_failed"], 1);
    let reason = |name: &str| {
        lines
            .iter()
            .find(|l| l["type"] == "page" && l["input"].as_str().is_some_and(|i| i.ends_with(name)))
            .map(|l| l["reason"].as_str().unwrap_or("").to_owned())
            .unwrap_or_default()
    };
    assert!(
        reason("old.arc#1")
            .contains("damaged record: an ARC record of filedesc://old.arc is cut short"),
        "{}",
        reason("old.arc#1")
    );
    assert!(reason("pipe.html").contains("not a regular file"));
    assert!(reason("loop").contains("loop"), "{lines:?}");
    assert!(
        reason("fake.warc").contains("named like a WARC file, but its bytes are not one"),
        "{lines:?}"
    );
    // Each input's summary comes after its page lines.
    let position = |pred: &dyn Fn(&Value) -> bool| lines.iter().position(pred).expect("line");
    let page_at = position(&|l| l["type"] == "page" && l["url"] == "http://example.se/a");
    let input_at = position(&|l| {
        l["type"] == "input"
            && l["input"]
                .as_str()
                .is_some_and(|i| i.ends_with("crawl.warc"))
    });
    assert!(page_at < input_at);
    let moved = run(
        &[
            "show",
            "http://example.se/old@20100426093514",
            "--archive",
            s(&archive),
        ],
        None,
    );
    assert_exit(&moved, 0);
    let moved: Value = serde_json::from_slice(&moved.stdout).expect("page JSON");
    assert_eq!(
        (&moved["status"], &moved["redirect"]),
        (&Value::from(301), &Value::from("http://example.se/a"))
    );
}

#[test]
fn a_record_with_a_wrong_length_does_not_end_the_reading_of_the_file() {
    // Regression: one record whose Content-Length was too short ended the
    // file; every record after it got no line at all. warcio reads them all.
    let dir = temp_dir("import-wrong-length");
    let page = |i: usize| {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html><body><h1>Sida {i}</h1><p>\u{f6} text</p><p>L\u{e4}nk till sidan: <a href=\"http://example.se/{i}\">x</a></p></body></html>"
        )
        .into_bytes()
    };
    let mut warc = Vec::new();
    for i in 0..20 {
        let mut record = warc_record(
            "response",
            &format!("http://example.se/{i}"),
            "2010-04-26T09:35:12Z",
            &page(i),
        );
        if i == 3 {
            // Declare 30 bytes less than the block has.
            let declared = format!("Content-Length: {}", page(i).len());
            let short = format!("Content-Length: {}", page(i).len() - 30);
            let text = String::from_utf8_lossy(&record).replace(&declared, &short);
            record = text.into_bytes();
        }
        warc.extend(record);
    }
    let file = dir.join("crawl.warc");
    std::fs::write(&file, &warc).expect("write");
    let archive = dir.join("archive");
    let out = run(&["import", s(&file), "--archive", s(&archive)], None);
    assert_exit(&out, 3);
    let pages = page_lines(&out.stdout);
    let ok = pages.iter().filter(|l| l["status"] == "ok").count();
    assert_eq!(ok, 20, "every record read, the short one cut: {pages:?}");
    assert!(
        pages.iter().any(|l| l["reason"]
            .as_str()
            .is_some_and(|r| r.contains("did not read as a record"))),
        "the damage is named: {pages:?}"
    );
}

#[test]
fn upgrade_converts_an_archive_of_the_old_layout_losing_nothing() {
    let dir = temp_dir("upgrade");
    let archive = dir.join("archive");
    for entry in walkdir::WalkDir::new(fixture("archive-v0"))
        .into_iter()
        .flatten()
    {
        let rel = entry
            .path()
            .strip_prefix(fixture("archive-v0"))
            .expect("under the fixture");
        let to = archive.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&to).expect("dir");
        } else {
            std::fs::copy(entry.path(), &to).expect("copy");
        }
    }
    // Before: every command names the way forward.
    let refused = run(&["list", "--archive", s(&archive)], None);
    assert_exit(&refused, 2);
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("sidarkiv upgrade"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let pages_before: Vec<(String, Value)> = walkdir::WalkDir::new(archive.join("pages"))
        .into_iter()
        .flatten()
        .filter(|e| e.file_name() != "captures.json" && e.file_type().is_file())
        .map(|e| {
            let page: Value =
                serde_json::from_slice(&std::fs::read(e.path()).expect("page")).expect("json");
            (
                page["source"]["sha256"].as_str().unwrap_or("").to_owned(),
                page,
            )
        })
        .collect();
    assert_eq!(pages_before.len(), 4);

    let out = run(&["upgrade", "--archive", s(&archive)], None);
    assert_exit(&out, 0);
    let done: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(done["upgraded"]["captures"], 4, "{done}");
    assert!(
        !archive.join("objects").exists(),
        "the old objects are gone"
    );

    // The same captures, the same pages.
    let old = json_lines(&std::fs::read(fixture("archive-v0.list.jsonl")).expect("old list"));
    let new = list(&archive);
    let key = |c: &Value| {
        (
            c["url"].to_string(),
            c["timestamp"].to_string(),
            c["sha256"].to_string(),
            c["sha1"].to_string(),
            c["kind"].to_string(),
            c["original_url"].to_string(),
        )
    };
    assert_eq!(
        old.iter().map(key).collect::<Vec<_>>(),
        new.iter().map(key).collect::<Vec<_>>()
    );
    for c in &new {
        assert_eq!(c["reconstructed"], true, "{c}");
        let expected = if c["kind"] == "file" {
            "resource"
        } else {
            "response"
        };
        assert_eq!(c["record"], expected, "{c}");
    }
    for (sha, before) in &pages_before {
        let shown = run(&["show", sha, "--archive", s(&archive)], None);
        assert_exit(&shown, 0);
        let mut after: Value = serde_json::from_slice(&shown.stdout).expect("page JSON");
        // The old page JSON had no `status` or `redirect`; the status comes
        // from the old index, the rest is as it was.
        let listed = new
            .iter()
            .find(|c| c["sha256"] == sha.as_str())
            .expect("listed");
        assert_eq!(after["status"], listed["status"], "{sha}");
        assert_eq!(after["redirect"], Value::Null);
        if let Some(o) = after.as_object_mut() {
            o.remove("status");
            o.remove("redirect");
        }
        assert_eq!(&after, before, "{sha}");
        let raw = run(&["show", "--raw", sha, "--archive", s(&archive)], None);
        assert_exit(&raw, 0);
    }
    assert_exit(&run(&["verify", "--archive", s(&archive)], None), 0);
    // A second upgrade has nothing to do.
    let again = run(&["upgrade", "--archive", s(&archive)], None);
    assert_exit(&again, 0);
    let again: Value = serde_json::from_slice(&again.stdout).expect("JSON");
    assert_eq!(again["upgraded"]["captures"], 0);
}

#[test]
fn a_url_with_a_line_break_is_refused_and_never_reaches_a_header() {
    let dir = temp_dir("crlf");
    let archive = dir.join("archive");
    let page = dir.join("sida.html");
    std::fs::write(
        &page,
        "<html><head><link rel=\"canonical\" href=\"http://www.karlskrona.se/sv/a&#13;&#10;WARC-Type: metadata\"></head><body><h1>Rubrik</h1><p>Text</p></body></html>",
    )
    .expect("page");
    let plain = dir.join("utan-lank.html");
    std::fs::write(
        &plain,
        "<html><body><h1>Rubrik</h1><p>Text</p></body></html>",
    )
    .expect("page");
    let by_link = run(&["import", s(&page), "--archive", s(&archive)], None);
    let by_flag = run(
        &[
            "import",
            s(&plain),
            "--url",
            "http://x.se/a\r\nX: y",
            "--archive",
            s(&archive),
        ],
        None,
    );
    for out in [&by_link, &by_flag] {
        assert_exit(out, 2);
        let line = &page_lines(&out.stdout)[0];
        assert_eq!(line["status"], "error");
        assert!(
            line["reason"]
                .as_str()
                .is_some_and(|r| r.contains("control characters")),
            "{line}"
        );
    }
    let stored = walkdir::WalkDir::new(archive.join("warcs"))
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .count();
    assert_eq!(stored, 0, "nothing written");
}
