//! External material from `../shared/conformance/` (never committed here):
//! html5lib's encoding-sniffing suite and real Wayback view-mode pages.
//! Each test says plainly when the folder is absent and it was skipped.

use crate::util::{conformance, parse_json};
use sidarkiv::decode::decode;

/// `(data, expected label)` pairs of an html5lib `.dat` file.
fn html5lib_cases(bytes: &[u8]) -> Vec<(Vec<u8>, String)> {
    let mut cases = Vec::new();
    for chunk in bytes
        .split_inclusive(|&b| b == b'\n')
        .collect::<Vec<_>>()
        .split(|l| *l == b"#data\n")
    {
        let joined: Vec<u8> = chunk.concat();
        if let Some(at) = joined.windows(10).position(|w| w == b"#encoding\n") {
            let data = joined[..at]
                .strip_suffix(b"\n")
                .unwrap_or(&joined[..at])
                .to_vec();
            let label = String::from_utf8_lossy(&joined[at + 10..])
                .trim()
                .to_owned();
            cases.push((data, label));
        }
    }
    cases
}

#[test]
fn html5lib_encoding_sniffing_suite() {
    let Some(dir) = conformance("html5lib-encoding") else {
        return;
    };
    let mut checked = 0;
    for file in ["tests1.dat", "tests2.dat"] {
        let bytes = std::fs::read(dir.join(file)).expect("read suite");
        let cases = html5lib_cases(&bytes);
        assert!(!cases.is_empty(), "{file}: no cases found");
        for (data, label) in cases {
            let want = encoding_rs::Encoding::for_label(label.as_bytes()).expect("known label");
            let got = decode(&data, None, None).encoding;
            assert_eq!(got, want, "{file}: {}", String::from_utf8_lossy(&data));
            checked += 1;
        }
    }
    assert_eq!(checked, 59 + 22, "every case of tests1.dat and tests2.dat");
}

#[test]
fn html5lib_scripted_and_chardet_material_does_not_crash() {
    let Some(dir) = conformance("html5lib-encoding") else {
        return;
    };
    for file in [
        "scripted/tests1.dat",
        "chardet/test_big5.txt",
        "test-yahoo-jp.dat",
    ] {
        let bytes = std::fs::read(dir.join(file)).expect("read");
        let d = decode(&bytes, None, None);
        assert!(!d.text.is_empty(), "{file}");
        let page = sidarkiv::parse_page(&bytes, &Default::default());
        assert!(page.is_ok(), "{file}: {page:?}");
    }
    let big5 = std::fs::read(dir.join("chardet/test_big5.txt")).expect("read");
    assert_eq!(decode(&big5, None, Some(b"tw")).encoding, encoding_rs::BIG5);
    let yahoo = html5lib_cases(&std::fs::read(dir.join("test-yahoo-jp.dat")).expect("read"));
    assert_eq!(
        decode(&yahoo[0].0, None, None).encoding,
        encoding_rs::EUC_JP
    );
}

#[test]
fn real_wayback_pages_are_cleaned_and_decoded() {
    let Some(dir) = conformance("wayback-real") else {
        return;
    };
    let web_link = regex::Regex::new(r"/web/\d{4,14}").expect("regex");
    for (file, title, timestamp) in [
        (
            "01-wayback2015-jipcookbook-9140-datasets-msimages.html",
            "Java Image Processing Cookbook",
            "20150322034217",
        ),
        (
            "02-wayback2016-yc8z-gb18030.html",
            "宜昌市第八中学（三峡大学附属中学）！",
            "20160404111319",
        ),
        (
            "03-wayback2019-rubysec-partially-cleaned.html",
            "Rubysec",
            "20190417075712",
        ),
    ] {
        let page = parse_json(&dir.join(file), &[]);
        assert_eq!(page["title"], title, "{file}");
        assert_eq!(page["source"]["timestamp"], timestamp, "{file}");
        assert_eq!(page["source"]["wayback_artifacts_removed"], true, "{file}");
        assert_eq!(page["source"]["decode_errors"], 0, "{file}");
        let text = page.to_string();
        assert!(
            !web_link.is_match(&text),
            "{file}: a /web/<ts>/ link remains"
        );
        for artefact in [
            "wm-ipp",
            "__wm",
            "FILE ARCHIVED",
            "playback timings",
            "Wayback Machine",
            "archive_analytics",
        ] {
            assert!(!text.contains(artefact), "{file}: {artefact} remains");
        }
    }
    // Mojibake that was already in the page is kept as it is, not repaired.
    let bytes = std::fs::read(dir.join("01-wayback2015-jipcookbook-9140-datasets-msimages.html"))
        .expect("read");
    assert!(decode(&bytes, None, None).text.contains("Publica√ß√µes"));
    let gb = parse_json(&dir.join("02-wayback2016-yc8z-gb18030.html"), &[]);
    assert_eq!(gb["source"]["encoding"], "gb18030");
    assert_eq!(gb["url"], "http://www.yc8z.com/");
}

#[test]
fn edgi_pages_parse_and_unknown_charset_falls_back() {
    let Some(dir) = conformance("diff-pairs-edgi") else {
        return;
    };
    let page = parse_json(&dir.join("unknown-encoding/page.html"), &[]);
    assert_eq!(page["source"]["encoding"], "windows-1252");
    for (pair, title) in [
        ("fema-hurricane-maria", "Hurricane Maria"),
        ("doe-energy-gov", "Department of Energy"),
    ] {
        for side in ["before.html", "after.html"] {
            let page = parse_json(&dir.join(pair).join(side), &[]);
            assert_eq!(page["title"], title, "{pair}/{side}");
            assert!(
                !page["sections"].as_array().expect("sections").is_empty(),
                "{pair}/{side}"
            );
            // Pages of other organisations name no network of ours, and a
            // menu under "Contact us" is no contact person.
            assert_eq!(page["networks"], serde_json::json!([]), "{pair}/{side}");
            assert_eq!(page["contacts"], serde_json::json!([]), "{pair}/{side}");
        }
    }
    // Fragments without <html>, <head> or a title still parse, with warnings.
    for pair in [
        "example-add-paragraph",
        "example-change-href",
        "example-remove-list",
        "example-change-title",
    ] {
        for side in ["before.html", "after.html"] {
            let page = parse_json(&dir.join(pair).join(side), &[]);
            assert!(
                page["warnings"].as_array().is_some_and(|w| !w.is_empty()),
                "{pair}/{side}"
            );
        }
    }
}
