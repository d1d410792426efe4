//! A whole site (`[[site]]`) through `sync`, against a Wayback-compatible
//! server on 127.0.0.1 that lists 200 pages under a prefix (paged by resume
//! key, every capture, sorted as CDX sorts), with images, search pages to
//! exclude, removed and redirected pages, a page listed under two forms of
//! its URL, and captures that repeat a payload.

use crate::server::{Hit, Reply, Server, keeps_rate};
use crate::sync::{stored, summary};
use crate::util::{assert_exit, json_lines, run, s, sidarkiv, temp_dir};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

const PREFIX: &str = "http://www.karlskrona.se/sv/";
const PAGES: usize = 200;
/// Rows per CDX answer before a resume key.
const CDX_PAGE: usize = 100;

/// One capture as the server keeps it.
struct Capture {
    original: String,
    ts: String,
    mime: &'static str,
    status: u16,
    body: Vec<u8>,
    location: Option<String>,
}

fn page_url(i: usize) -> String {
    format!("{PREFIX}avd{}/sida{i}/", i / 20)
}

/// A page of the site: a title, a paragraph, a link to the next page and
/// one to a document; the last page has a title and nothing else.
fn body(i: usize, version: usize) -> Vec<u8> {
    if i == PAGES - 1 {
        return format!("<html><head><title>Tom sida</title></head><body><h1>Tom sida</h1><p>Sidan uppdaterad: 201{version}-01-01</p></body></html>").into_bytes();
    }
    let next = page_url((i + 1) % PAGES);
    format!(
        "<html><head><title>Sida {i}</title></head><body><h1>Sida {i}</h1><p>Version {version} av sidan {i}: *inte* [markdown].</p>\
         <h2>Mer</h2><p>Läs vidare på <a href=\"{next}\">nästa sida</a>.</p>\
         <p><a href=\"/sv/dokument/protokoll{i}.pdf\">Protokoll {i} (pdf)</a></p><p>Sidan uppdaterad: 201{version}-01-01</p></body></html>"
    )
    .into_bytes()
}

/// Scheme, `www.` and the default port do not make another URL, as in CDX.
fn canon(url: &str) -> String {
    url.trim_start_matches("http://")
        .trim_start_matches("https://")
        .trim_start_matches("www.")
        .replacen(":80/", "/", 1)
}

fn captures() -> Vec<Capture> {
    let mut out = Vec::new();
    let html = |original: String, ts: &str, status: u16, body: Vec<u8>| Capture {
        original,
        ts: ts.to_owned(),
        mime: "text/html",
        status,
        body,
        location: None,
    };
    for i in 0..PAGES {
        let url = page_url(i);
        out.push(html(url.clone(), "20100301000000", 200, body(i, 1)));
        // The same text a year later: a revisit, written from the listing.
        out.push(html(url.clone(), "20110301000000", 200, body(i, 1)));
        let ts = "20120301000000";
        if i == 0 {
            // Listed once under another form of the same URL.
            let other = "http://karlskrona.se:80/sv/avd0/sida0/".to_owned();
            out.push(html(other, ts, 200, body(i, 2)));
        } else if i % 10 == 3 {
            out.push(html(
                url,
                ts,
                404,
                b"<html><body>Hittades inte</body></html>".to_vec(),
            ));
        } else if i % 15 == 7 {
            let mut c = html(url, ts, 301, Vec::new());
            c.location = Some(format!("{PREFIX}ny/sida{i}/"));
            out.push(c);
        } else {
            out.push(html(url, ts, 200, body(i, 2)));
        }
    }
    for j in 0..10 {
        out.push(Capture {
            original: format!("{PREFIX}bilder/b{j}.jpg"),
            ts: "20100301000000".into(),
            mime: "image/jpeg",
            status: 200,
            body: vec![0xff, 0xd8, 0xff, j as u8],
            location: None,
        });
    }
    for k in 0..5 {
        out.push(html(
            format!("{PREFIX}Sok/?q={k}"),
            "20100301000000",
            200,
            body(1000 + k, 1),
        ));
    }
    // Outside the prefix: never listed.
    out.push(html(
        "http://www.karlskrona.se/en/".into(),
        "20100301000000",
        200,
        body(2000, 1),
    ));
    out.sort_by(|a, b| (canon(&a.original), &a.ts).cmp(&(canon(&b.original), &b.ts)));
    out
}

fn sha1_b32(bytes: &[u8]) -> String {
    use sha1::Digest;
    data_encoding::BASE32.encode(&sha1::Sha1::digest(bytes))
}

fn query(target: &str) -> HashMap<String, String> {
    url::Url::parse(&format!("http://x{target}"))
        .expect("target")
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The Wayback Machine for `captures()`: prefix listings paged by resume
/// key, raw captures with `Memento-Datetime`, redirects in its own form.
fn wayback() -> Server {
    let all = Arc::new(captures());
    Server::start(move |hit, _| {
        if hit.target.starts_with("/cdx/") {
            let q = query(&hit.target);
            let url = q.get("url").cloned().unwrap_or_default();
            let prefix = q.get("matchType").is_some_and(|m| m == "prefix");
            let from = q
                .get("from")
                .map(|f| format!("{f:0<14}"))
                .unwrap_or_default();
            let to = q
                .get("to")
                .map(|t| format!("{t:9<14}"))
                .unwrap_or("9".repeat(14));
            let start: usize = q.get("resumeKey").and_then(|k| k.parse().ok()).unwrap_or(0);
            let matching: Vec<&Capture> = all
                .iter()
                .filter(|c| {
                    let (c_url, want) = (canon(&c.original), canon(&url));
                    (if prefix {
                        c_url.starts_with(&want)
                    } else {
                        c_url == want
                    }) && c.ts >= from
                        && c.ts <= to
                })
                .collect();
            let mut rows = vec![
                r#"["timestamp","original","mimetype","statuscode","digest","length"]"#.to_owned(),
            ];
            for c in matching.iter().skip(start).take(CDX_PAGE) {
                rows.push(format!(
                    r#"["{}","{}","{}","{}","{}","{}"]"#,
                    c.ts,
                    c.original,
                    c.mime,
                    c.status,
                    sha1_b32(&c.body),
                    c.body.len()
                ));
            }
            if start + CDX_PAGE < matching.len() {
                rows.push("[]".into());
                rows.push(format!("[\"{}\"]", start + CDX_PAGE));
            }
            return Reply::ok(
                format!("[{}]", rows.join(",")),
                &[("Content-Type", "application/json")],
            );
        }
        for c in all.iter() {
            if hit.target == format!("/web/{}id_/{}", c.ts, c.original) {
                let memento = ("Memento-Datetime", "Thu, 01 Mar 2012 00:00:00 GMT");
                let kind = ("x-archive-orig-content-type", c.mime);
                let location = c.location.as_ref().map(|l| format!("/web/{}id_/{l}", c.ts));
                let mut headers = vec![memento, kind];
                if let Some(l) = &location {
                    headers.push(("Location", l.as_str()));
                }
                return Reply::status(c.status, c.body.clone(), &headers);
            }
        }
        Reply::status(404, "unknown", &[])
    })
}

fn config(dir: &Path, server: &Server) -> PathBuf {
    let toml = format!(
        "archive = \"archive\"\nwayback = \"{}\"\n\n[[site]]\nprefix = \"{PREFIX}\"\nfrom = \"2009\"\nto = \"2013\"\nexclude = [\"/sv/Sok/\"]\n",
        server.base
    );
    let path = dir.join("sidarkiv.toml");
    std::fs::write(&path, toml).expect("config");
    path
}

/// Rates raised for the test through the environment, as an operator would.
const RATES: [(&str, &str); 3] = [
    ("SIDARKIV_CAPTURES_PER_SECOND", "50"),
    ("SIDARKIV_CDX_PER_MINUTE", "1200"),
    ("SIDARKIV_RATE_LIMIT_WAIT_SECONDS", "0.2"),
];

fn sync(dir: &Path, args: &[&str]) -> Output {
    crate::sync::sync(dir, args, &RATES)
}

fn downloads(hits: &[Hit]) -> Vec<Hit> {
    hits.iter()
        .filter(|h| h.target.starts_with("/web/"))
        .cloned()
        .collect()
}

#[test]
fn a_whole_site_is_found_archived_within_the_rates_and_resumed_after_a_budget_or_a_kill() {
    // One run, unbudgeted.
    let whole = temp_dir("site-whole");
    let server = wayback();
    config(&whole, &server);
    let out = sync(&whole, &[]);
    assert_exit(&out, 0);
    let s1 = summary(&out);
    let site = &s1["sites"][0];
    assert_eq!(site["urls_found"], PAGES + 5, "{site}");
    assert_eq!(site["urls_excluded"], 5, "{site}");
    assert_eq!(s1["pages"], PAGES);
    assert_eq!(s1["captures_stored"], 2 * PAGES, "{:#}", s1["failures"]);
    assert_eq!(s1["revisits_stored"], PAGES);
    let archived = stored(&whole);
    assert_eq!(archived.len(), 3 * PAGES);
    let urls: BTreeSet<String> = archived.iter().map(|(u, _, _)| u.clone()).collect();
    let expected: BTreeSet<String> = (0..PAGES).map(page_url).collect();
    assert_eq!(
        urls, expected,
        "every HTML page, no image, no excluded search page, one URL per page"
    );
    // The removed and the redirected pages are captures with their status.
    let show = |reference: &str| -> Value {
        let out = run(
            &["show", reference, "--archive", s(&whole.join("archive"))],
            None,
        );
        assert_exit(&out, 0);
        serde_json::from_slice(&out.stdout).expect("page JSON")
    };
    assert_eq!(
        show(&format!("{}@20120301000000", page_url(3)))["status"],
        404
    );
    let moved = show(&format!("{}@20120301000000", page_url(7)));
    assert_eq!(moved["redirect"], format!("{PREFIX}ny/sida7/"));
    // Within the rates the environment set.
    let hits = server.hits();
    let cdx: Vec<Hit> = hits
        .iter()
        .filter(|h| h.target.starts_with("/cdx/"))
        .cloned()
        .collect();
    assert!(
        cdx.len() >= 6,
        "the listing is paged: {} CDX requests",
        cdx.len()
    );
    keeps_rate(&cdx, Duration::from_millis(50)).unwrap_or_else(|e| panic!("CDX rate: {e}"));
    let got = downloads(&hits);
    assert_eq!(got.len(), 2 * PAGES, "each new payload fetched once");
    keeps_rate(&got, Duration::from_millis(20)).unwrap_or_else(|e| panic!("capture rate: {e}"));
    // A second run lists again and fetches nothing.
    let before = server.hits().len();
    let again = summary(&sync(&whole, &[]));
    assert_eq!(
        (&again["captures_stored"], &again["revisits_stored"]),
        (&Value::from(0), &Value::from(0))
    );
    assert!(downloads(&server.hits()[before..]).is_empty());

    // Over several nights: a budget per run, the same archive in the end.
    let nights = temp_dir("site-budget");
    let server = wayback();
    config(&nights, &server);
    let mut runs = 0;
    loop {
        runs += 1;
        assert!(runs <= 10, "still not done after 10 budgeted runs");
        let out = sync(&nights, &["--max-captures", "150"]);
        assert_exit(&out, 0);
        let s = summary(&out);
        assert!(s["captures_stored"].as_u64().unwrap_or(0) <= 150, "{s:#}");
        if s["captures_remaining"] == 0 && s["pages_not_reached"] == 0 {
            break;
        }
    }
    assert!(
        runs >= 3,
        "400 downloads at 150 a run take three runs, not {runs}"
    );
    assert_eq!(stored(&nights), archived);

    // Killed at any moment: the rerun fetches nothing already stored.
    let killed = temp_dir("site-kill");
    let server = wayback();
    config(&killed, &server);
    let mut child = sidarkiv()
        .current_dir(&killed)
        .arg("sync")
        .envs(RATES)
        .env("SIDARKIV_CAPTURES_PER_SECOND", "40")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    std::thread::sleep(Duration::from_millis(2500));
    assert!(
        child.try_wait().expect("wait").is_none(),
        "finished before the kill"
    );
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    let partial = stored(&killed);
    assert!(
        !partial.is_empty() && partial.len() < archived.len(),
        "{} stored",
        partial.len()
    );
    let first = server.hits().len();
    assert_exit(&sync(&killed, &[]), 0);
    let refetched: Vec<String> = downloads(&server.hits()[first..])
        .iter()
        .map(|h| h.target.clone())
        .filter(|t| {
            partial
                .iter()
                .any(|(url, ts, _)| t.ends_with(&format!("{ts}id_/{url}")))
        })
        .collect();
    assert!(
        refetched.is_empty(),
        "stored captures fetched again: {refetched:?}"
    );
    assert_eq!(stored(&killed), archived);
}

/// The CommonMark body of an exported file, after its front matter.
fn split_front_matter(text: &str) -> (&str, &str) {
    let rest = text.strip_prefix("---\n").expect("front matter first");
    let end = rest.find("\n---\n").expect("front matter closed");
    (&rest[..end], &rest[end + 5..])
}

#[test]
fn the_site_exported_for_the_new_cms_as_of_a_date() {
    let dir = temp_dir("site-export");
    let server = wayback();
    config(&dir, &server);
    assert_exit(&sync(&dir, &[]), 0);
    let archive = dir.join("archive");
    let map = dir.join("map.csv");
    std::fs::write(
        &map,
        format!(
            "old_url,new_url\n{},https://ny.karlskrona.se/sida-1\n\"{}\",https://ny.karlskrona.se/sida-2\n",
            page_url(1),
            page_url(2).replace("http://www.", "http://WWW.")
        ),
    )
    .expect("map");

    // As of 2011 every page stood: one JSON line each, chosen at that date.
    let jsonl = dir.join("2011/site.jsonl");
    std::fs::create_dir_all(jsonl.parent().expect("parent")).expect("dir");
    let export = |out: &Path, at: &str| {
        run(
            &[
                "export",
                "--pages",
                s(out),
                "--at",
                at,
                "--map",
                s(&map),
                "--archive",
                s(&archive),
            ],
            None,
        )
    };
    let out = export(&jsonl, "2011");
    // The page without text is in problems.csv, not exported empty.
    assert_exit(&out, 3);
    let lines = json_lines(&std::fs::read(&jsonl).expect("jsonl"));
    assert_eq!(lines.len(), PAGES - 1);
    for l in &lines {
        assert_eq!(l["capture"]["timestamp"], "20110301000000", "{}", l["url"]);
        assert!(
            l["markdown"]
                .as_str()
                .is_some_and(|m| m.starts_with("# Sida "))
        );
        assert_eq!(l["schema"], "sidarkiv.page.v1");
    }
    let problems = std::fs::read_to_string(dir.join("2011/problems.csv")).expect("problems.csv");
    assert_eq!(problems.lines().count(), 2, "{problems}");
    assert!(problems.contains(&page_url(PAGES - 1)) && problems.contains("no main content"));

    // As of 2012, Markdown files: removed and moved pages are problems.
    let md = dir.join("2012/site");
    let out = export(&md, "2012");
    assert_exit(&out, 3);
    let problems = std::fs::read_to_string(dir.join("2012/problems.csv")).expect("problems.csv");
    assert!(
        problems.contains(&format!(
            "{},on that date the page answered HTTP 404",
            page_url(3)
        )),
        "{problems}"
    );
    assert!(
        problems.contains(&format!("redirected (HTTP 301) to {PREFIX}ny/sida7/")),
        "{problems}"
    );
    let removed = (0..PAGES).filter(|i| i % 10 == 3).count();
    let moved = (0..PAGES).filter(|i| i % 10 != 3 && i % 15 == 7).count();
    let files: Vec<PathBuf> = crate::util::files_under(&md);
    assert_eq!(files.len(), PAGES - removed - moved - 1);
    // Paths follow the old URLs.
    // (Page 0's 2012 capture was made under another form of its URL.)
    let fifth = std::fs::read_to_string(md.join("www.karlskrona.se/sv/avd0/sida5/index.md"))
        .expect("sida5");
    let (front, _) = split_front_matter(&fifth);
    // YAML front matter, read by a YAML parser as the CMS's importer would.
    let yaml = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, yaml, json; print(json.dumps(yaml.safe_load(sys.stdin.read()), default=str))",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().expect("stdin").write_all(front.as_bytes())?;
            child.wait_with_output()
        })
        .expect("python3 yaml");
    let meta: Value = serde_json::from_slice(&yaml.stdout).expect("YAML front matter");
    assert_eq!(meta["title"], "Sida 5");
    assert_eq!(meta["url"], page_url(5));
    assert_eq!(meta["updated"], "2012-01-01");
    assert_eq!(
        meta["attachments"][0]["href"],
        format!("{PREFIX}dokument/protokoll5.pdf")
    );
    let first = std::fs::read_to_string(md.join("www.karlskrona.se/sv/avd0/sida0/index.md"))
        .expect("sida0");
    let (_, body) = split_front_matter(&first);
    // Where a copy of the document is, worked out at export.
    assert_eq!(meta["attachments"][0]["archived"], false);
    assert_eq!(
        meta["attachments"][0]["wayback"],
        format!("https://web.archive.org/web/20120301000000/{PREFIX}dokument/protokoll5.pdf")
    );
    for key in ["captured", "published", "breadcrumb", "contacts"] {
        assert!(meta.get(key).is_some(), "{key} missing from {meta}");
    }
    // The body is CommonMark: the title a heading, the page's asterisks
    // and brackets text, no raw HTML, the link through the map.
    use pulldown_cmark::{Event, Parser, Tag};
    let events: Vec<Event> = Parser::new(body).collect();
    assert!(
        matches!(events.first(), Some(Event::Start(Tag::Heading { .. }))),
        "{body}"
    );
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::Html(_) | Event::InlineHtml(_)))
    );
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::Start(Tag::Emphasis))),
        "{body}"
    );
    let links: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::Start(Tag::Link { dest_url, .. }) => Some(dest_url.to_string()),
            _ => None,
        })
        .collect();
    assert!(
        links.contains(&"https://ny.karlskrona.se/sida-1".to_owned()),
        "{links:?}"
    );
    // The map's keys are compared as the archive compares URLs.
    let second = std::fs::read_to_string(md.join("www.karlskrona.se/sv/avd0/sida1/index.md"))
        .expect("sida1");
    assert!(
        second.contains("(<https://ny.karlskrona.se/sida-2>)"),
        "{second}"
    );
    // Every exported file parses, and the links without a new URL are listed.
    for f in &files {
        let text = std::fs::read_to_string(f).expect("md");
        let (_, body) = split_front_matter(&text);
        assert!(Parser::new(body).count() > 3, "{}", f.display());
    }
    let unmapped = std::fs::read_to_string(dir.join("2012/unmapped-links.csv")).expect("unmapped");
    assert!(unmapped.starts_with("page,link\n"));
    assert!(
        unmapped.contains(&format!("{},{}", page_url(2), page_url(3))),
        "{unmapped}"
    );
    assert!(
        !unmapped.contains(&format!(",{}\n", page_url(1))),
        "mapped links are not listed"
    );
}
