//! `sidarkiv site-report DIR`: the editors' website of the archive's
//! history, built from the walk-through's small site (a removal, a move,
//! edits, revisits) and a hostile capture, then checked as a browser and a
//! link checker would: every page renders in Debian's Chromium without a
//! console error, axe-core finds no serious or critical violation, every
//! local link resolves, and nothing of the hostile capture runs.

use crate::util::{assert_exit, available, root, run, s, sidarkiv, temp_dir};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A page that tries everything a sanitiser must stop.
const HOSTILE: &str = r#"<html><head><title>Elak sida</title>
<base href="http://evil.example/">
<meta http-equiv="refresh" content="0; url=http://evil.example/">
<script src="http://evil.example/x.js"></script>
<style>body { background: url(javascript:alert(1)) }</style>
</head><body onload="alert(1)">
<h1>Elak sida</h1>
<p>Text med <a href="javascript:alert(1)">en länk</a> och <a href="data:text/html,<script>alert(1)</script>">en till</a>.</p>
<img src="/bilder/x.png" onerror="alert(1)">
<div style="background-image: url('javascript:alert(1)')" onclick="alert(1)">Klicka</div>
<iframe src="http://evil.example/"></iframe>
<object data="http://evil.example/x.swf"></object><embed src="http://evil.example/y.swf">
<form action="http://evil.example/"><input name="q"><button>Skicka</button></form>
<svg onload="alert(1)"><circle r="4"/></svg>
<p>Sidan uppdaterad: 2011-05-01</p>
</body></html>"#;

/// An archive with the walk-through's site and a hostile page.
fn archive(dir: &Path) -> PathBuf {
    for link in ["fixtures", "examples"] {
        std::os::unix::fs::symlink(root().join(link), dir.join(link)).expect("symlink");
    }
    let out = sidarkiv()
        .current_dir(dir)
        .args([
            "sync",
            "--offline",
            "--recording",
            "fixtures/site-recording.warc",
            "--config",
            "examples/site.toml",
        ])
        .output()
        .expect("sync");
    assert_exit(&out, 0);
    let hostile = dir.join("elak.html");
    std::fs::write(&hostile, HOSTILE).expect("write");
    let archive = dir.join("site-archive");
    let out = run(
        &[
            "import",
            s(&hostile),
            "--url",
            "http://www.karlskrona.se/sv/elak/",
            "--archive",
            s(&archive),
        ],
        None,
    );
    assert_exit(&out, 0);
    archive
}

fn html_files(dir: &Path) -> Vec<PathBuf> {
    crate::util::files_under(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|x| x == "html"))
        .collect()
}

fn site_report(archive: &Path, dir: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["site-report", s(dir), "--archive", s(archive)];
    args.extend(extra);
    let out = run(&args, None);
    assert_exit(&out, 0);
    serde_json::from_slice(&out.stdout).expect("summary")
}

#[test]
fn the_site_report_is_a_safe_accessible_website_that_rebuilds_in_place() {
    let work = temp_dir("site-report");
    let archive = archive(&work);
    let site = work.join("site");
    let first = site_report(&archive, &site, &[]);
    assert_eq!(first["pages"], 25, "{first}");
    assert!(first["changes"].as_u64().unwrap_or(0) >= 8, "{first}");
    let files = html_files(&site);
    assert_eq!(first["written"].as_u64(), Some(files.len() as u64));

    // Nothing of the hostile capture runs, loads or submits.
    let tag_with_handler = regex::Regex::new(r"(?i)<[a-z][^>]*\son[a-z]+\s*=").expect("regex");
    for f in &files {
        let text = std::fs::read_to_string(f).expect("html");
        let lower = text.to_ascii_lowercase();
        let name = f.display();
        for bad in [
            "<script",
            "javascript:",
            "<iframe",
            "<object",
            "<embed",
            "<form",
            "<base",
            "http-equiv",
            "data:text",
        ] {
            assert!(!lower.contains(bad), "{name} holds {bad}");
        }
        assert!(
            !tag_with_handler.is_match(&text),
            "{name} holds an event handler"
        );
        assert!(
            !lower.contains("url(javascript"),
            "{name} holds a CSS url()"
        );
    }
    let copy = files
        .iter()
        .find(|f| f.to_string_lossy().contains("copies/elak-"))
        .expect("the hostile page's copy");
    let copy_text = std::fs::read_to_string(copy).expect("copy");
    assert!(
        copy_text.contains("Elak sida") && copy_text.contains("Klicka"),
        "the text is kept"
    );
    // Links to archived pages lead to their copies of that time; images to
    // the Wayback Machine's raw copy.
    let tourism = files
        .iter()
        .find(|f| {
            let name = f.to_string_lossy();
            name.contains("copies/Turism-") && name.contains("2011")
        })
        .map(|f| std::fs::read_to_string(f).expect("copy"))
        .expect("the tourism page's 2011 copy");
    assert!(tourism.contains("href=\"Kontakt-"), "{tourism}");
    assert!(
        tourism.contains("src=\"https://web.archive.org/web/20110315101500im_/http://www.karlskrona.se/sv/bilder/stadshuset.jpg\""),
        "{tourism}"
    );

    // Every local link leads to a file of the site.
    let attr = regex::Regex::new(r#"(?:href|src)="([^"]+)""#).expect("regex");
    let mut checked = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).expect("html");
        for c in attr.captures_iter(&text) {
            // Attribute values as a browser reads them (minijinja writes `/` as `&#x2f;`).
            let target = c[1]
                .replace("&#x2f;", "/")
                .replace("&#x27;", "'")
                .replace("&quot;", "\"")
                .replace("&amp;", "&");
            if target.contains("://") || target.starts_with("mailto:") || target.starts_with('#') {
                continue;
            }
            let path = f
                .parent()
                .expect("parent")
                .join(target.split('#').next().unwrap_or(""));
            assert!(path.is_file(), "{}: broken link {target}", f.display());
            checked += 1;
        }
    }
    assert!(checked > 100, "only {checked} local links");

    // A second build changes nothing but, at most, the start page's date.
    let again = site_report(&archive, &site, &[]);
    let total = files.len() as u64;
    assert!(
        again["unchanged"].as_u64().unwrap_or(0) + 1 >= total,
        "rebuilt: {again}"
    );

    // Every page renders in Chromium without a console error, and axe-core
    // finds no serious or critical violation.
    let browser = root().join("tests/browser");
    let ready = browser.join("node_modules/axe-core").is_dir()
        && browser.join("node_modules/puppeteer-core").is_dir()
        && Path::new("/usr/bin/chromium").exists();
    if available(
        "Chromium with puppeteer-core and axe-core (tests/browser)",
        ready,
    ) {
        let out = Command::new("node")
            .arg(browser.join("check.mjs"))
            .arg(&site)
            .output()
            .expect("node");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).expect("JSON line"))
            .collect();
        assert_eq!(lines.len(), files.len(), "every page was opened");
        for l in &lines {
            assert_eq!(l["errors"], serde_json::json!([]), "{l}");
            assert_eq!(l["violations"], serde_json::json!([]), "{l}");
        }
    }

    // In English, every label is there (a missing one fails the build).
    let english = work.join("site-en");
    site_report(&archive, &english, &["--lang", "en", "--since", "2011"]);
    let index = std::fs::read_to_string(english.join("index.html")).expect("index");
    assert!(
        index.contains("The site&#x27;s history") || index.contains("The site's history"),
        "{index}"
    );
    assert!(
        index.contains("Removed") && index.contains("Moved"),
        "{index}"
    );
    // --since 2011 leaves out the site's first captures of 2010; the page
    // imported today is the one new page.
    assert_eq!(index.matches(">New page<").count(), 1, "{index}");
}
