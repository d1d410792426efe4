//! Hostile pages and diffs through the CLI: each finishes well within a
//! generous guard (a hang check, never a timing; timings are in
//! docs/performance.md, from `cargo bench --bench hostile`).

#[path = "../benches/hostile/pages.rs"]
mod pages;

use crate::util::{assert_exit, run, sidarkiv, temp_dir};
use serde_json::Value;
use std::process::Stdio;
use std::time::{Duration, Instant};

const GUARD: Duration = Duration::from_secs(60);

fn parse_within_guard(html: &str) -> std::process::Output {
    let start = Instant::now();
    let out = run(&["parse", "-"], Some(html.as_bytes()));
    assert!(start.elapsed() < GUARD, "parse took {:?}", start.elapsed());
    out
}

#[test]
fn deep_nesting_parses_and_keeps_its_text() {
    // Regression: 100,000 nested <div>s took 27–47 s in html5ever.
    let out = parse_within_guard(&pages::nested_divs(100_000));
    assert_exit(&out, 0);
    let page: Value = serde_json::from_slice(&out.stdout).expect("page JSON");
    assert_eq!(page["title"], "Djup");
    assert_eq!(page["updated"], "2010-04-26");
    assert!(page.to_string().contains("innerst"));
}

#[test]
fn reopened_formatting_elements_end_quickly() {
    // Regression: 100,000 <b id=N> then 100,000 paragraphs ran over 300 s.
    // A page that small parses; one that large is refused, saying why.
    let small = parse_within_guard(&pages::reopened_formatting(2_000));
    assert_exit(&small, 0);
    let large = parse_within_guard(&pages::reopened_formatting(100_000));
    assert_exit(&large, 2);
    let err = String::from_utf8_lossy(&large.stderr);
    assert!(
        err.contains("standard input") && err.contains("formatting elements"),
        "{err}"
    );
}

#[test]
fn thousands_of_renamed_sections_diff_quickly() {
    // Regression: 2,000 renamed headings took 85 s, 4,000 over 300 s.
    let dir = temp_dir("hostile-diff");
    let (a, b) = (dir.join("a.html"), dir.join("b.html"));
    std::fs::write(&a, pages::sections(4_000, "Rubrik")).expect("write");
    std::fs::write(&b, pages::sections(4_000, "Ny rubrik")).expect("write");
    let start = Instant::now();
    let out = sidarkiv()
        .args([
            "diff",
            a.to_str().expect("utf-8"),
            b.to_str().expect("utf-8"),
        ])
        .stdin(Stdio::null())
        .output()
        .expect("diff");
    assert!(start.elapsed() < GUARD, "diff took {:?}", start.elapsed());
    assert_exit(&out, 1);
    let d: Value = serde_json::from_slice(&out.stdout).expect("diff JSON");
    assert_eq!(d["summary"]["renamed"], 4_000);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_page_over_its_time_budget_is_an_error_line_not_a_stalled_import() {
    let dir = temp_dir("hostile-budget");
    let pages_dir = dir.join("pages");
    std::fs::create_dir_all(&pages_dir).expect("dir");
    std::fs::write(pages_dir.join("a-slow.html"), pages::nested_divs(200_000)).expect("write");
    std::fs::write(
        pages_dir.join("b-ok.html"),
        "<html><body><h1>Liten</h1><p>L\u{e4}nk till sidan: <a href=\"http://example.se/a\">x</a></p></body></html>",
    )
    .expect("write");
    let out = sidarkiv()
        .current_dir(&dir)
        .args(["import", "pages"])
        // Far below what the large page needs (about 0.2 s), far above the small one's.
        .env("SIDARKIV_PAGE_TIME_BUDGET_SECONDS", "0.02")
        .stdin(Stdio::null())
        .output()
        .expect("import");
    assert_exit(&out, 3);
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    let slow = lines
        .iter()
        .find(|l| {
            l["input"]
                .as_str()
                .is_some_and(|i| i.ends_with("a-slow.html"))
        })
        .expect("a line for the slow page");
    assert_eq!(slow["status"], "error");
    assert!(
        slow["reason"]
            .as_str()
            .is_some_and(|r| r.contains("page_time_budget_seconds")),
        "{slow}"
    );
    assert!(lines.iter().any(|l| l["status"] == "ok"));
    let _ = std::fs::remove_dir_all(&dir);
}
