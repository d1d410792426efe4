//! Archives other tools wrote, imported as a migration would: the sample
//! WARC and ARC files pywb ships in its source package (wget, wpull,
//! warcprox-style revisits, url-agnostic revisits, damaged files; fetched by
//! scripts/test, never committed), and a WACZ packed by py-wacz. warcio
//! says how many records each holds; sidarkiv must read as many.

use crate::util::{assert_exit, available, json_lines, run, s, temp_dir};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// pywb 2.10.0's `sample_archive/warcs`, as scripts/test unpacks it.
fn samples() -> Option<PathBuf> {
    let dir = crate::util::root().join(".field-samples/pywb-2.10.0/sample_archive/warcs");
    available(
        &format!("pywb's sample archives in {}", dir.display()),
        dir.is_dir(),
    )
    .then_some(dir)
}

fn has_python(module: &str) -> bool {
    let present = Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success());
    available(&format!("the Python package {module}"), present)
}

/// Records warcio's ArchiveIterator yields (ARC read as WARC), or `None`
/// when warcio gives up on the file.
fn warcio_count(path: &Path) -> Option<u64> {
    const COUNT: &str = r#"
import sys
from warcio.archiveiterator import ArchiveIterator
n = 0
try:
    with open(sys.argv[1], 'rb') as fh:
        for _ in ArchiveIterator(fh, arc2warc=True):
            n += 1
except Exception:
    print('failed')
    sys.exit(0)
print(n)
"#;
    let out = Command::new("python3")
        .args(["-c", COUNT, s(path)])
        .output()
        .expect("python3");
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

/// `(url, timestamp, sha256, record)` of every stored capture, in order.
fn listed(archive: &Path) -> Vec<(String, String, String, String)> {
    let out = run(&["list", "--archive", s(archive)], None);
    assert_exit(&out, 0);
    json_lines(&out.stdout)
        .iter()
        .map(|c| {
            let f = |k: &str| c[k].as_str().unwrap_or("").to_owned();
            (f("url"), f("timestamp"), f("sha256"), f("record"))
        })
        .collect()
}

fn import(inputs: &[&Path], archive: &Path) -> (std::process::Output, Vec<Value>) {
    let mut args = vec!["import"];
    args.extend(inputs.iter().map(|p| s(p)));
    args.extend(["--archive", s(archive)]);
    let out = run(&args, None);
    let lines = json_lines(&out.stdout);
    (out, lines)
}

#[test]
fn every_pywb_sample_gives_warcio_s_record_counts() {
    let Some(dir) = samples() else { return };
    if !has_python("warcio") {
        return;
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("samples")
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    assert!(files.len() >= 15, "{files:?}");
    let work = temp_dir("pywb-samples");
    let mut compared = 0;
    for (i, file) in files.iter().enumerate() {
        let archive = work.join(format!("archive-{i}"));
        let (out, lines) = import(&[file], &archive);
        let name = file.display();
        assert!(
            matches!(out.status.code(), Some(0 | 2 | 3)),
            "{name}: exit {:?}: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        for l in &lines {
            assert!(l["type"] == "page" || l["type"] == "input", "{name}: {l}");
        }
        let summary: Vec<&Value> = lines.iter().filter(|l| l["type"] == "input").collect();
        assert_eq!(summary.len(), 1, "{name}: one summary line: {lines:?}");
        let summary = summary[0];
        // Every record is accounted for: a page line, or a count by type.
        let pages = lines.iter().filter(|l| l["type"] == "page").count() as u64;
        let skipped: u64 = summary["skipped"]
            .as_object()
            .expect("skipped")
            .values()
            .filter_map(Value::as_u64)
            .sum();
        let records = summary["records"].as_u64().expect("records");
        assert!(
            pages + skipped >= records,
            "{name}: {records} records, {pages} page lines, {skipped} counted as skipped"
        );
        match warcio_count(file) {
            Some(n) => {
                assert_eq!(records, n, "{name}: warcio reads {n} records: {summary}");
                compared += 1;
            }
            // warcio refuses a WARC gzipped whole rather than per record
            // (example-bad.warc.gz.bad); sidarkiv reads it.
            None => assert!(records > 0, "{name}: {summary}"),
        }
    }
    assert!(compared >= 15, "only {compared} files compared with warcio");
}

#[test]
fn arc_files_read_as_their_warc_twins() {
    let Some(dir) = samples() else { return };
    let work = temp_dir("pywb-arc");
    let archive = work.join("archive");
    let (out, lines) = import(
        &[&dir.join("example.arc"), &dir.join("example.arc.gz")],
        &archive,
    );
    assert_exit(&out, 0);
    let pages: Vec<&Value> = lines.iter().filter(|l| l["type"] == "page").collect();
    assert_eq!(pages.len(), 2, "{lines:?}");
    // The same capture in both: stored once, the second is the same capture again.
    assert_eq!(pages[0]["sha256"], pages[1]["sha256"]);
    assert_eq!(pages[0]["url"], "http://example.com/");
    assert_eq!(pages[0]["timestamp"], "20140216050221");
    assert_eq!(
        (&pages[0]["new"], &pages[1]["new"]),
        (&Value::from(true), &Value::from(false))
    );
    let shown = run(
        &[
            "show",
            "http://example.com/@20140216050221",
            "--archive",
            s(&archive),
        ],
        None,
    );
    assert_exit(&shown, 0);
    let page: Value = serde_json::from_slice(&shown.stdout).expect("page JSON");
    assert_eq!(
        (&page["title"], &page["status"]),
        (&Value::from("Example Domain"), &Value::from(200))
    );
    // The converted record is a WARC record warcio reads, and verify checks.
    assert_exit(&run(&["verify", "--archive", s(&archive)], None), 0);
    let raw = run(
        &[
            "show",
            "--raw",
            "http://example.com/@20140216050221",
            "--archive",
            s(&archive),
        ],
        None,
    );
    assert!(
        raw.stdout.starts_with(b"HTTP/1.1 200 OK"),
        "{}",
        String::from_utf8_lossy(&raw.stdout[..80.min(raw.stdout.len())])
    );
    // bad.arc: lengths of -1 and "abc"; each damaged record is named, the
    // rest read.
    let (out, lines) = import(&[&dir.join("bad.arc")], &work.join("archive-bad"));
    assert!(matches!(out.status.code(), Some(2 | 3)));
    let damaged = lines
        .iter()
        .filter(|l| {
            l["reason"]
                .as_str()
                .is_some_and(|r| r.contains("not a byte count"))
        })
        .count();
    assert_eq!(damaged, 3, "{lines:?}");
}

#[test]
fn revisits_find_their_originals_in_the_inputs_in_the_archive_and_under_other_urls() {
    let Some(dir) = samples() else { return };
    let work = temp_dir("pywb-revisits");
    // dupes.warc.gz revisits pages whose originals are in iana.warc.gz.
    let alone = work.join("alone");
    let (out, lines) = import(&[&dir.join("dupes.warc.gz")], &alone);
    assert_exit(&out, 3);
    assert!(
        lines
            .iter()
            .any(|l| l["reason"].as_str().is_some_and(|r| r
                .contains("whose original is neither earlier in the inputs nor in the archive"))),
        "{lines:?}"
    );
    let both = work.join("both");
    let (out, lines) = import(
        &[&dir.join("iana.warc.gz"), &dir.join("dupes.warc.gz")],
        &both,
    );
    assert_exit(&out, 0);
    let revisits: Vec<&Value> = lines.iter().filter(|l| l["record"] == "revisit").collect();
    assert!(!revisits.is_empty(), "{lines:?}");
    // The same again, one input after the other into one archive: the
    // originals are found in the archive.
    let later = work.join("later");
    assert_exit(&import(&[&dir.join("iana.warc.gz")], &later).0, 0);
    let (out, lines) = import(&[&dir.join("dupes.warc.gz")], &later);
    assert_exit(&out, 0);
    assert_eq!(
        lines.iter().filter(|l| l["record"] == "revisit").count(),
        revisits.len()
    );
    // A url-agnostic revisit: another URL, the same payload.
    let agnostic = work.join("agnostic");
    let (out, lines) = import(
        &[
            &dir.join("example-url-agnostic-orig.warc.gz"),
            &dir.join("example-url-agnostic-revisit.warc.gz"),
        ],
        &agnostic,
    );
    assert_exit(&out, 0);
    let revisit = lines
        .iter()
        .find(|l| l["record"] == "revisit")
        .unwrap_or_else(|| panic!("{lines:?}"));
    let reference = format!(
        "{}@{}",
        revisit["url"].as_str().unwrap_or(""),
        revisit["timestamp"].as_str().unwrap_or("")
    );
    let shown = run(&["show", &reference, "--archive", s(&agnostic)], None);
    assert_exit(&shown, 0);
    let page: Value = serde_json::from_slice(&shown.stdout).expect("page JSON");
    assert_eq!(page["title"], "Example Domain");
    assert_eq!(
        page["source"]["timestamp"], revisit["timestamp"],
        "the revisit's date is kept"
    );
    for archive in [&both, &later, &agnostic] {
        assert_exit(&run(&["verify", "--archive", s(archive)], None), 0);
    }
    // What was copied in is still a web archive the field's tools read.
    if has_python("warcio") {
        for seg in std::fs::read_dir(both.join("warcs"))
            .expect("warcs")
            .flatten()
        {
            let out = Command::new("warcio")
                .args(["check", s(&seg.path())])
                .output()
                .expect("warcio");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
    }
}

#[test]
fn a_wacz_reads_as_the_warcs_packed_in_it() {
    let Some(dir) = samples() else { return };
    if !has_python("wacz") {
        return;
    }
    let work = temp_dir("wacz");
    let warcs = [dir.join("example.warc.gz"), dir.join("iana.warc.gz")];
    let wacz = work.join("site.wacz");
    let out = Command::new("python3")
        .args([
            "-m",
            "wacz",
            "create",
            "-o",
            s(&wacz),
            s(&warcs[0]),
            s(&warcs[1]),
        ])
        .current_dir(&work)
        .output()
        .expect("py-wacz");
    assert!(
        out.status.success(),
        "wacz create: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let direct = work.join("direct");
    assert_exit(&import(&[&warcs[0], &warcs[1]], &direct).0, 0);
    let packed = work.join("packed");
    let (out, lines) = import(&[&wacz], &packed);
    assert_exit(&out, 0);
    let summary = lines
        .iter()
        .find(|l| l["type"] == "input")
        .expect("summary");
    assert_eq!(summary["format"], "wacz");
    let expected = warcs.iter().filter_map(|w| warcio_count(w)).sum::<u64>();
    assert_eq!(summary["records"], expected, "{summary}");
    assert_eq!(listed(&packed), listed(&direct));
    assert!(lines.iter().filter(|l| l["type"] == "page").all(|l| {
        l["input"]
            .as_str()
            .is_some_and(|i| i.contains("site.wacz#archive/"))
    }));
}

#[test]
fn the_same_inputs_give_the_same_archive_every_time() {
    let Some(dir) = samples() else { return };
    let work = temp_dir("deterministic");
    let inputs = [
        dir.join("iana.warc.gz"),
        dir.join("dupes.warc.gz"),
        dir.join("example.warc"),
    ];
    let refs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    let mut seen = BTreeSet::new();
    for run_no in 0..3 {
        let archive = work.join(format!("archive-{run_no}"));
        let (out, _) = import(&refs, &archive);
        assert!(matches!(out.status.code(), Some(0 | 3)));
        seen.insert(listed(&archive));
    }
    assert_eq!(
        seen.len(),
        1,
        "three imports stored different captures or record types"
    );
}
