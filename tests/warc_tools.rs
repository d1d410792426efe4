//! The archive with the field's own tools, as an archivist would use them:
//! wget records a crawl of a site on 127.0.0.1, sidarkiv imports and exports
//! it, and warcio, cdxj-indexer and pywb read what sidarkiv wrote.

use crate::server::{Reply, Server};
use crate::util::{assert_exit, available, run, s, temp_dir};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn has(cmd: &str, arg: &str) -> bool {
    Command::new(cmd)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|st| st.success())
}

/// The old site's pages in windows-1252, linked from a start page.
fn site() -> Server {
    Server::start(|hit, _| {
        let page = |title: &str, text: &str| {
            let mut b =
                format!("<html><head><title>{title}</title></head><body><h1>{title}</h1><p>")
                    .into_bytes();
            b.extend_from_slice(text.as_bytes());
            b.extend_from_slice(
                b" \xe5\xe4\xf6 Karlskrona</p><p>Sidan uppdaterad: 2010-04-26</p></body></html>",
            );
            b
        };
        let latin1 = ("Content-Type", "text/html; charset=iso-8859-1");
        match hit.target.as_str() {
            "/" => Reply::ok(
                "<html><body><h1>Start</h1><a href=\"/natverk.html\">N</a> <a href=\"/kontakt.html\">K</a></body></html>",
                &[("Content-Type", "text/html")],
            ),
            "/natverk.html" => Reply::ok(page("Internationella n\u{e4}tverk", "UBC"), &[latin1]),
            "/kontakt.html" => Reply::ok(
                page("Kontakt", "Per Nilsson, 0455-30 31 11"),
                &[latin1, ("Last-Modified", "Mon, 26 Apr 2010 09:35:12 GMT")],
            ),
            _ => Reply::status(404, "not here", &[("Content-Type", "text/plain")]),
        }
    })
}

/// A WARC of the site, recorded by wget.
fn wget_crawl(dir: &Path, base: &str) -> PathBuf {
    let out = Command::new("wget")
        .current_dir(dir)
        .args([
            "-q",
            "-r",
            "-l",
            "1",
            "-e",
            "robots=off",
            "--warc-file=crawl",
            "-P",
            "mirror",
            base,
        ])
        .output()
        .expect("wget");
    // wget exits 8 when a link answers 404; the WARC is written either way.
    assert!(
        matches!(out.status.code(), Some(0 | 8)),
        "wget: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir.join("crawl.warc.gz")
}

const DIGESTS: &str = r#"
import sys, json
from warcio.archiveiterator import ArchiveIterator
out = {}
with open(sys.argv[1], 'rb') as f:
    for rec in ArchiveIterator(f):
        if rec.rec_type in ('response', 'revisit', 'resource'):
            uri = rec.rec_headers.get_header('WARC-Target-URI')
            out.setdefault(uri, []).append([rec.rec_type, rec.rec_headers.get_header('WARC-Payload-Digest')])
print(json.dumps(out, sort_keys=True))
"#;

fn payload_digests(warc: &Path) -> Value {
    let out = Command::new("python3")
        .args(["-c", DIGESTS, s(warc)])
        .output()
        .expect("python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("digests JSON")
}

fn warcio_check(warc: &Path) {
    let out = Command::new("warcio")
        .args(["check", "-v", s(warc)])
        .output()
        .expect("warcio");
    assert!(
        out.status.success(),
        "warcio check {}: {}{}",
        warc.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `crawl` imported into `dir/archive` and exported to
/// `dir/export.warc.gz`; warcio checks every segment and the export.
fn round_trip(dir: &Path, crawl: &Path) -> (PathBuf, PathBuf) {
    let archive = dir.join("archive");
    assert_exit(
        &run(&["import", s(crawl), "--archive", s(&archive)], None),
        0,
    );
    let segs = segments(&archive);
    assert!(!segs.is_empty());
    for seg in &segs {
        warcio_check(seg);
    }
    let export = dir.join("export.warc.gz");
    assert_exit(
        &run(
            &["export", "--warc", s(&export), "--archive", s(&archive)],
            None,
        ),
        0,
    );
    warcio_check(&export);
    (archive, export)
}

fn segments(archive: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(archive.join("warcs"))
        .expect("warcs")
        .flatten()
        .map(|e| e.path())
        .collect();
    out.sort();
    out
}

/// `(key, timestamp, digest, offset, length, filename)` of index lines.
fn index_keys(text: &str) -> BTreeSet<(String, String, String, String, String, String)> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut parts = l.splitn(3, ' ');
            let key = parts.next().unwrap_or("").to_owned();
            let ts = parts.next().unwrap_or("").to_owned();
            let json: Value = serde_json::from_str(parts.next().unwrap_or("")).expect("CDXJ JSON");
            let f = |k: &str| json[k].as_str().unwrap_or("").to_owned();
            (
                key,
                ts,
                f("digest"),
                f("offset"),
                f("length"),
                f("filename"),
            )
        })
        .collect()
}

#[test]
fn a_wget_crawl_round_trips_and_the_field_s_tools_read_the_archive() {
    let tools = has("wget", "--version")
        && has("warcio", "--help")
        && has("cdxj-indexer", "--help")
        && has("wayback", "--help");
    if !available("wget, warcio, cdxj-indexer and pywb", tools) {
        return;
    }
    let dir = temp_dir("warc-tools");
    let server = site();
    let crawl = wget_crawl(&dir, &format!("{}/", server.base));
    let (archive, export) = round_trip(&dir, &crawl);
    let segs = segments(&archive);
    // The export carries the source's payload digests, record for record.
    let source = payload_digests(&crawl);
    let exported = payload_digests(&export);
    let pages: Vec<String> = ["/", "/natverk.html", "/kontakt.html"]
        .iter()
        .map(|p| format!("{}{p}", server.base))
        .collect();
    for url in &pages {
        assert!(!source[url].is_null(), "wget recorded {url}: {source}");
        assert_eq!(exported[url], source[url], "{url}");
    }
    // Indexed, the export has one line per capture for each page's URL:
    // the page JSON beside it is indexed under its own urn, never the page's.
    let indexed = Command::new("cdxj-indexer")
        .arg(s(&export))
        .output()
        .expect("cdxj-indexer");
    assert!(indexed.status.success());
    let indexed = String::from_utf8_lossy(&indexed.stdout).into_owned();
    for url in &pages {
        let lines = indexed
            .lines()
            .filter(|l| l.contains(&format!("\"url\": \"{url}\"")))
            .count();
        assert_eq!(lines, 1, "{url} in the export's index:\n{indexed}");
    }
    assert_eq!(
        indexed
            .lines()
            .filter(|l| l.starts_with("urn:sidarkiv:page:"))
            .count(),
        3,
        "{indexed}"
    );

    // cdxj-indexer over the segments gives the lines of sidarkiv's index.
    let names: Vec<String> = segs
        .iter()
        .map(|p| {
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
        .collect();
    let theirs = Command::new("cdxj-indexer")
        .current_dir(archive.join("warcs"))
        .args(&names)
        .output()
        .expect("cdxj-indexer");
    assert!(
        theirs.status.success(),
        "{}",
        String::from_utf8_lossy(&theirs.stderr)
    );
    let mut ours = String::new();
    for e in std::fs::read_dir(archive.join("indexes"))
        .expect("indexes")
        .flatten()
    {
        ours.push_str(&std::fs::read_to_string(e.path()).expect("index"));
    }
    let theirs = index_keys(&String::from_utf8_lossy(&theirs.stdout));
    assert_eq!(index_keys(&ours), theirs);
    assert_eq!(theirs.len(), 3, "one line per capture: {theirs:?}");

    // pywb serves the archive as a collection and replays the bytes received.
    let replay = Pywb::start(&dir, &archive);
    let listed: Vec<Value> =
        String::from_utf8_lossy(&run(&["list", "--archive", s(&archive)], None).stdout)
            .lines()
            .map(|l| serde_json::from_str(l).expect("list line"))
            .collect();
    let kontakt = listed
        .iter()
        .find(|r| {
            r["url"]
                .as_str()
                .is_some_and(|u| u.ends_with("/kontakt.html"))
        })
        .expect("the contact page is listed");
    let ts = kontakt["timestamp"].as_str().expect("timestamp");
    let body = replay.get(&format!("/sidarkiv/{ts}id_/{}/kontakt.html", server.base));
    let served = String::from_utf8_lossy(
        &run(
            &[
                "show",
                "--raw",
                &format!("{}/kontakt.html@{ts}", server.base),
                "--archive",
                s(&archive),
            ],
            None,
        )
        .stdout,
    )
    .into_owned();
    assert!(
        body.windows(4).any(|w| w == b"Per "),
        "pywb replayed: {}",
        String::from_utf8_lossy(&body)
    );
    assert!(
        served.ends_with(&String::from_utf8_lossy(&body).into_owned()),
        "pywb's bytes are the body show --raw gives"
    );
    assert!(served.starts_with("HTTP/1.1 200"), "{served}");
    assert!(
        served.contains("Last-Modified: Mon, 26 Apr 2010"),
        "headers kept: {served}"
    );
}

/// pywb's `wayback` on a free port, serving `archive/` as the collection
/// `sidarkiv` with the config the README gives; killed on drop.
struct Pywb {
    _child: Running,
    port: u16,
}

impl Pywb {
    fn start(dir: &Path, archive: &Path) -> Pywb {
        let root = dir.join("pywb");
        std::fs::create_dir_all(&root).expect("pywb dir");
        let archive = std::fs::canonicalize(archive).expect("archive path");
        std::fs::write(
            root.join("config.yaml"),
            format!(
                "collections:\n  sidarkiv:\n    index_paths: {}/indexes/\n    archive_paths: {}/warcs/\n",
                s(&archive),
                s(&archive)
            ),
        )
        .expect("config");
        let port = free_port("127.0.0.1");
        let child = Command::new("wayback")
            .current_dir(&root)
            .args(["-b", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("wayback");
        let pywb = Pywb {
            _child: Running(child),
            port,
        };
        wait_for("127.0.0.1", port);
        pywb
    }

    /// The body of a GET; panics on a status other than 200.
    fn get(&self, path: &str) -> Vec<u8> {
        use std::io::{Read, Write};
        let mut conn = std::net::TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        write!(conn, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").expect("request");
        let mut answer = Vec::new();
        conn.read_to_end(&mut answer).expect("answer");
        let split = answer
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("an HTTP answer");
        let head = String::from_utf8_lossy(&answer[..split]).into_owned();
        assert!(
            head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200"),
            "{path}: {head}"
        );
        answer[split + 4..].to_vec()
    }
}

#[test]
fn index_keys_are_the_surt_package_s() {
    let has_surt = Command::new("python3")
        .args(["-c", "import surt"])
        .status()
        .is_ok_and(|s| s.success());
    if !available("Python's surt (installed with cdxj-indexer)", has_surt) {
        return;
    }
    let urls = [
        "http://www.karlskrona.se/sv/Om-kommunen/Sa-arbetar-vi-med/Internationellt-samarbete/Internationella-natverk/",
        "https://www.karlskrona.se/",
        "http://karlskrona.se",
        "http://www.karlskrona.se:80/sv/Nyheter/?id=12&a=1",
        "http://WWW2.Karlskrona.SE/templates/Page____1234.aspx?epslanguage=SV",
        "http://www.karlskrona.se/sv/Bo-och-bygga/%C3%85tervinning/",
        "http://www.karlskrona.se/sv/Bo och bygga/",
        "http://www.karlskrona.se/a/b/../c/./d.html#frag",
        "http://127.0.0.1:8080/x.html",
        "http://user:pw@example.se/",
        "http://example.se/?",
        "http://example.se/a?b",
        "file:///tmp/sida.html",
        "urn:sidarkiv:page:x",
    ];
    // sidarkiv's keys, from an archive holding one capture of each URL.
    let dir = temp_dir("surt-keys");
    let archive = dir.join("archive");
    let mut ours = Vec::new();
    for (i, url) in urls.iter().enumerate() {
        let page = dir.join(format!("p{i}.html"));
        std::fs::write(&page, format!("<html><h1>Sida {i}</h1></html>")).expect("page");
        let out = run(
            &["import", s(&page), "--url", url, "--archive", s(&archive)],
            None,
        );
        if url.starts_with("urn:") {
            continue;
        }
        assert_exit(&out, 0);
    }
    for e in std::fs::read_dir(archive.join("indexes"))
        .expect("indexes")
        .flatten()
    {
        for line in std::fs::read_to_string(e.path()).expect("index").lines() {
            let json: Value =
                serde_json::from_str(line.splitn(3, ' ').nth(2).unwrap_or("")).expect("json");
            ours.push((
                json["url"].as_str().unwrap_or("").to_owned(),
                line.split(' ').next().unwrap_or("").to_owned(),
            ));
        }
    }
    assert!(ours.len() >= urls.len() - 1);
    let script = "import sys, surt\nfor u in sys.argv[1:]: print(surt.surt(u))";
    let (names, keys): (Vec<String>, Vec<String>) = ours.into_iter().unzip();
    let out = Command::new("python3")
        .args(["-c", script])
        .args(&names)
        .output()
        .expect("python");
    let theirs: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    for ((url, ours), theirs) in names.iter().zip(&keys).zip(&theirs) {
        assert_eq!(ours, theirs, "{url}");
    }
}

/// A child process killed (SIGKILL) on drop, for servers a test starts.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port(ip: &str) -> u16 {
    std::net::TcpListener::bind((ip, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn wait_for(ip: &str, port: u16) {
    let started = Instant::now();
    while std::net::TcpStream::connect((ip, port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "nothing listens on {ip}:{port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_warcprox_recording_round_trips_with_its_payload_digests() {
    let tools = has("warcprox", "--version") && has("warcio", "--help");
    if !available("warcprox and warcio", tools) {
        return;
    }
    let dir = temp_dir("warcprox");
    let site = dir.join("site");
    std::fs::create_dir_all(&site).expect("site");
    std::fs::write(
        site.join("natverk.html"),
        b"<html><head><meta charset=\"iso-8859-1\"><title>N\xe4tverk</title></head><body><h1>Internationella n\xe4tverk</h1><p>UBC och CPMR.</p></body></html>".as_slice(),
    )
    .expect("page");
    std::fs::write(
        site.join("kontakt.html"),
        "<html><body><h1>Kontakt</h1><p>Per Nilsson, 0455-30 31 11</p></body></html>",
    )
    .expect("page");
    // warcprox refuses to proxy to 127.0.0.1 itself; the site answers on
    // another loopback address.
    let site_port = free_port("127.0.0.2");
    let _site = Running(
        Command::new("python3")
            .args([
                "-m",
                "http.server",
                &site_port.to_string(),
                "--bind",
                "127.0.0.2",
            ])
            .arg("--directory")
            .arg(&site)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("http.server"),
    );
    let proxy_port = free_port("127.0.0.1");
    let warcs = dir.join("warcs");
    let mut proxy = Running(
        Command::new("warcprox")
            .current_dir(&dir)
            .args([
                "-b",
                "127.0.0.1",
                "-p",
                &proxy_port.to_string(),
                "-z",
                "-n",
                "crawl",
            ])
            .arg("-d")
            .arg(&warcs)
            .arg("--certs-dir")
            .arg(dir.join("certs"))
            .arg("-c")
            .arg(dir.join("ca.pem"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("warcprox"),
    );
    wait_for("127.0.0.2", site_port);
    wait_for("127.0.0.1", proxy_port);
    let base = format!("http://127.0.0.2:{site_port}");
    let fetch = format!(
        "import urllib.request\no = urllib.request.build_opener(urllib.request.ProxyHandler({{'http': 'http://127.0.0.1:{proxy_port}'}}))\nfor p in ('/natverk.html', '/kontakt.html'):\n    o.open('{base}' + p).read()"
    );
    let fetched = Command::new("python3")
        .args(["-c", &fetch])
        .output()
        .expect("python");
    assert!(
        fetched.status.success(),
        "{}",
        String::from_utf8_lossy(&fetched.stderr)
    );
    // SIGINT: warcprox finishes its records and closes its WARC file.
    let pid = proxy.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .is_ok_and(|s| s.success())
    );
    let started = Instant::now();
    while proxy.0.try_wait().ok().flatten().is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "warcprox did not stop"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let crawl = std::fs::read_dir(&warcs)
        .expect("warcprox's WARC folder")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with(".warc.gz"))
        .expect("a closed WARC file");

    let (_, export) = round_trip(&dir, &crawl);
    let source = payload_digests(&crawl);
    let exported = payload_digests(&export);
    for page in ["/natverk.html", "/kontakt.html"] {
        let url = format!("{base}{page}");
        assert!(!source[&url].is_null(), "warcprox recorded {url}: {source}");
        assert_eq!(exported[&url], source[&url], "{url}");
    }
}
