//! `sidarkiv diff` through the binary: JSON, Markdown and HTML, exit codes,
//! escaping of hostile archived text, and the HTML report in a real browser.

use crate::util::{available, conformance, fixture, run, temp_dir};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn diff(a: &Path, b: &Path, extra: &[&str]) -> (Option<i32>, String) {
    let mut args = vec![
        "diff",
        a.to_str().expect("utf-8"),
        b.to_str().expect("utf-8"),
    ];
    args.extend_from_slice(extra);
    let out = run(&args, None);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        out.status.code(),
        String::from_utf8(out.stdout).expect("utf-8 output"),
    )
}

fn ops(json: &str) -> Vec<(String, String)> {
    let d: Value = serde_json::from_str(json).expect("diff JSON");
    assert_eq!(d["schema"], "sidarkiv.diff.v1");
    d["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| {
            (
                c["op"].as_str().unwrap_or("").to_owned(),
                c["path"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

#[test]
fn later_capture_diff_names_the_real_changes() {
    let (code, json) = diff(
        &fixture("karlskrona-2010-raw.html"),
        &fixture("karlskrona-2011-raw.html"),
        &[],
    );
    assert_eq!(code, Some(1));
    let got = ops(&json);
    for want in [
        ("changed", "/updated"),
        ("removed", "/networks/Baltic Link Association"),
        ("added", "/networks/CPMR"),
        ("changed", "/networks/UBC/description"),
        ("added", "/contacts/Anna Lindqvist"),
    ] {
        assert!(
            got.contains(&(want.0.to_owned(), want.1.to_owned())),
            "{want:?} missing from {got:?}"
        );
    }
    assert_eq!(got.len(), 8, "{got:?}");
    let d: Value = serde_json::from_str(&json).expect("json");
    assert_eq!(d["from"]["updated"], "2010-04-26");
    assert_eq!(d["to"]["updated"], "2011-03-15");
    assert_eq!(
        d["summary"],
        serde_json::json!({"added": 3, "removed": 2, "changed": 3, "moved": 0, "renamed": 0})
    );
}

#[test]
fn same_page_served_differently_is_no_change() {
    for other in [
        "karlskrona-2010-wayback-view.html",
        "enc-utf8-declared-but-windows-1252.html",
        "enc-no-charset.html",
        "enc-utf8-bom-meta-latin1.html",
        "enc-windows-1252-c1.html",
    ] {
        let (code, json) = diff(&fixture("karlskrona-2010-raw.html"), &fixture(other), &[]);
        assert_eq!(code, Some(0), "{other}: {json}");
        let d: Value = serde_json::from_str(&json).expect("json");
        assert_eq!(d["changed"], false, "{other}");
    }
}

#[test]
fn page_json_files_diff_like_the_html_they_came_from() {
    let dir = temp_dir("diff-json");
    let mut paths = Vec::new();
    for name in ["karlskrona-2010-raw.html", "karlskrona-2011-raw.html"] {
        let out = run(&["parse", fixture(name).to_str().expect("utf-8")], None);
        let path = dir.join(format!("{name}.json"));
        std::fs::write(&path, &out.stdout).expect("write");
        paths.push(path);
    }
    let (code, from_json) = diff(&paths[0], &paths[1], &[]);
    let (_, from_html) = diff(
        &fixture("karlskrona-2010-raw.html"),
        &fixture("karlskrona-2011-raw.html"),
        &[],
    );
    assert_eq!(code, Some(1));
    assert_eq!(from_json, from_html);
}

#[test]
fn markdown_tells_the_changes_in_plain_words() {
    let (code, md) = diff(
        &fixture("karlskrona-2010-raw.html"),
        &fixture("karlskrona-2011-raw.html"),
        &["--format", "markdown"],
    );
    assert_eq!(code, Some(1));
    assert!(md.starts_with("**Internationella nätverk** (2010-04-26 → 2011-03-15): 2 tillagda, 1 borttagen, 2 ändrade"), "{md}");
    assert!(
        md.contains("- Nätverket **Baltic Link Association** har tagits bort"),
        "{md}"
    );
    assert!(md.contains("- Nätverket **CPMR** har lagts till"), "{md}");
    assert!(md.contains("~~ett hundratal~~ **drygt hundra**"), "{md}");
    assert!(
        md.contains("- Kontaktpersonen **Anna Lindqvist** har lagts till"),
        "{md}"
    );
    let (_, en) = diff(
        &fixture("karlskrona-2010-raw.html"),
        &fixture("karlskrona-2011-raw.html"),
        &["--format", "markdown", "--lang", "en"],
    );
    assert!(
        en.contains("- The network **Baltic Link Association** was removed"),
        "{en}"
    );
}

/// The 2010 page with hostile text in a network description and a contact name.
fn hostile_capture(dir: &Path) -> std::path::PathBuf {
    let raw = std::fs::read(fixture("karlskrona-2010-raw.html")).expect("fixture");
    let text = encoding_rs::WINDOWS_1252.decode(&raw).0.into_owned();
    let text = text
        .replace(
            "med gemensam målsättning",
            "&lt;script&gt;alert('xss')&lt;/script&gt; &lt;img src=x onerror=alert(2)&gt; med gemensam målsättning",
        )
        .replace("Tore Almlöf", "Tore &lt;b onmouseover=alert(3)&gt;Almlöf&lt;/b&gt;");
    let path = dir.join("hostile.html");
    std::fs::write(&path, encoding_rs::WINDOWS_1252.encode(&text).0).expect("write");
    path
}

#[test]
fn html_report_escapes_archived_text() {
    let dir = temp_dir("diff-hostile");
    let hostile = hostile_capture(&dir);
    let (code, html) = diff(
        &fixture("karlskrona-2010-raw.html"),
        &hostile,
        &["--format", "html"],
    );
    assert_eq!(code, Some(1));
    assert!(!html.contains("<script"), "a script element in the report");
    assert!(!html.contains("<img"), "an img element in the report");
    assert!(
        !html.contains("<b onmouseover"),
        "markup from the capture in the report"
    );
    assert!(
        html.contains("&lt;script&gt;alert("),
        "the hostile text is not shown as text"
    );
    assert!(
        !html.contains("http-equiv=\"refresh\"")
            && !html.contains("@import")
            && !html.contains("src=\"http")
    );
    let (_, md) = diff(
        &fixture("karlskrona-2010-raw.html"),
        &hostile,
        &["--format", "markdown"],
    );
    assert!(md.contains("\\<script\\>"), "{md}");
    let unescaped = md.match_indices('<').any(|(i, _)| !md[..i].ends_with('\\'));
    assert!(!unescaped, "an unescaped < in the Markdown: {md}");
}

/// The installed Chromium, as the README's test command installs it; `None`
/// (the test skipped, loudly) where there is none.
fn chromium_bin() -> Option<&'static str> {
    let bin = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        });
    available("Chromium", bin.is_some())
        .then_some(bin)
        .flatten()
}

/// Headless Chromium with a quiet, offline profile.
fn chromium(bin: &str) -> Command {
    let mut cmd = Command::new(bin);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
    ]);
    cmd
}

#[test]
fn html_report_renders_in_a_real_browser() {
    let Some(bin) = chromium_bin() else {
        return;
    };
    let dir = temp_dir("diff-browser");
    let hostile = hostile_capture(&dir);
    for (name, a, b) in [
        (
            "changes",
            fixture("karlskrona-2010-raw.html"),
            fixture("karlskrona-2011-raw.html"),
        ),
        ("hostile", fixture("karlskrona-2010-raw.html"), hostile),
    ] {
        let (_, html) = diff(&a, &b, &["--format", "html"]);
        let report = dir.join(format!("{name}.html"));
        std::fs::write(&report, html).expect("write report");
        let url = format!("file://{}", report.display());
        let profile = dir.join(format!("profile-{name}"));
        let out = chromium(bin)
            .arg(format!("--user-data-dir={}", profile.display()))
            .args(["--dump-dom", &url])
            .output()
            .expect("run chromium");
        let dom = String::from_utf8_lossy(&out.stdout);
        assert!(
            dom.contains("</html>"),
            "no DOM from chromium: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Nothing from a capture became an element: the report has no script,
        // img or b elements of its own, so any here would be injected.
        for tag in ["<script", "<img", "<b ", "<iframe"] {
            assert!(
                !dom.contains(tag),
                "{name}: {tag} element in the rendered DOM"
            );
        }
        if name == "changes" {
            for text in [
                "Baltic Link Association",
                "CPMR",
                "Anna Lindqvist",
                "<del>ett hundratal</del>",
                "<ins>drygt hundra</ins>",
            ] {
                assert!(
                    dom.contains(text),
                    "{text} missing from the rendered report"
                );
            }
            let shot = dir.join("report.png");
            let status = chromium(bin)
                .arg(format!(
                    "--user-data-dir={}",
                    dir.join("profile-shot").display()
                ))
                .args([
                    "--window-size=1000,1400",
                    &format!("--screenshot={}", shot.display()),
                    &url,
                ])
                .output()
                .expect("screenshot");
            assert!(
                shot.metadata().is_ok_and(|m| m.len() > 10_000),
                "no screenshot: {status:?}"
            );
        } else {
            assert!(
                dom.contains("&lt;script&gt;alert('xss')&lt;/script&gt;"),
                "hostile text not shown as text"
            );
            assert!(dom.contains("&lt;img src=x onerror=alert(2)&gt;"));
        }
    }
}

#[test]
fn bad_inputs_exit_2() {
    let dir = temp_dir("diff-bad");
    let not_page = dir.join("other.json");
    std::fs::write(&not_page, br#"{"hello": "world"}"#).expect("write");
    let raw = fixture("karlskrona-2010-raw.html");
    let raw = raw.to_str().expect("utf-8");
    for (args, names) in [
        (
            vec!["diff", raw, "/no/such/file.html"],
            "/no/such/file.html",
        ),
        (
            vec!["diff", not_page.to_str().expect("utf-8"), raw],
            "other.json",
        ),
    ] {
        let out = run(&args, None);
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(names), "{stderr}");
    }
}

#[test]
fn edgi_pairs_report_content_not_churn() {
    let Some(dir) = conformance("diff-pairs-edgi") else {
        return;
    };
    let pair = |p: &str| {
        (
            dir.join(p).join("before.html"),
            dir.join(p).join("after.html"),
        )
    };
    // FEMA: the update date and content change; the after capture is
    // double-encoded (mojibake) and its scripts carry new tokens: neither is a change.
    let (a, b) = pair("fema-hurricane-maria");
    let (code, json) = diff(&a, &b, &[]);
    assert_eq!(code, Some(1));
    let got = ops(&json);
    assert!(
        got.contains(&("changed".into(), "/updated".into())),
        "{got:?}"
    );
    let d: Value = serde_json::from_str(&json).expect("json");
    let updated = d["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|c| c["path"] == "/updated")
        .expect("updated");
    assert_eq!(
        (updated["before"].as_str(), updated["after"].as_str()),
        (Some("2017-10-03"), Some("2017-10-05"))
    );
    assert!(
        got.contains(&(
            "removed".into(),
            "/sections/Power Restoration and Fuel Impacts".into()
        )),
        "{got:?}"
    );
    assert!(!json.contains("theme_token"), "script churn reported");
    // Word runs compare text with mojibake undone: no run is mojibake alone.
    let runs: Vec<&Value> = d["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter_map(|c| c["words"].as_array())
        .flatten()
        .collect();
    assert!(!runs.is_empty());
    assert!(
        !runs.iter().any(|r| r.to_string().contains("Ã")),
        "mojibake in a word run"
    );
    assert!(
        !got.iter().any(|(op, _)| op == "renamed"),
        "mojibake made a rename: {got:?}"
    );
    // DOE: the news list changed; the mojibake in both captures is not a change.
    let (a, b) = pair("doe-energy-gov");
    let (code, json) = diff(&a, &b, &[]);
    assert_eq!(code, Some(1));
    assert_eq!(
        ops(&json),
        [
            ("changed".into(), "/sections/Energy News/paragraphs".into()),
            ("changed".into(), "/sections/Energy News/links".into())
        ]
    );
    assert!(!json.contains("theme_token"));
    // Small examples: an appended paragraph and a removed list item are found.
    for p in ["example-add-paragraph", "example-remove-list"] {
        let (a, b) = pair(p);
        assert_eq!(diff(&a, &b, &[]).0, Some(1), "{p}");
    }
}
