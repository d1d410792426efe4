//! The reports' words and shapes, tested on the fixtures.

use super::*;
use crate::{ParseOptions, parse_page};

#[test]
fn addresses_read_on_one_line() {
    let full =
        serde_json::json!({"street": "Box 79", "postal_code": "371 21", "city": "Karlskrona"});
    assert_eq!(human(&full), "Box 79, 371 21 Karlskrona");
    let town_only =
        serde_json::json!({"street": null, "postal_code": "371 83", "city": "Karlskrona"});
    assert_eq!(human(&town_only), "371 83 Karlskrona");
    let street_only =
        serde_json::json!({"street": "Ronnebygatan 15", "postal_code": null, "city": null});
    assert_eq!(human(&street_only), "Ronnebygatan 15");
}

fn page(name: &str) -> crate::Page {
    let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    parse_page(
        &std::fs::read(path).expect("fixture"),
        &ParseOptions::default(),
    )
    .expect("parses")
}

#[test]
fn a_value_that_is_gone_was_removed_and_one_that_came_was_added() {
    // Regression: a removed fax showed as "har ändrats" with "Efter: —";
    // an added e-mail printed "~~~~ → **…**" in Markdown.
    let a = page("karlskrona-2011-raw.html");
    let mut b = a.clone();
    if let Some(org) = b.organisation.as_mut() {
        org.fax = None;
    }
    b.contacts[0].emails = vec!["tore.almlof@karlskrona.se".into()];
    let d = crate::diff::diff(&a, &b);
    let md = markdown(&d, Some("Sida"), Lang::Sv);
    assert!(
        md.contains("Organisationens faxnummer har tagits bort"),
        "{md}"
    );
    assert!(md.contains("e-postadresserna har lagts till"), "{md}");
    assert!(!md.contains("~~~~"), "{md}");
    let described = describe(&d, Lang::Sv);
    assert!(described.iter().any(|c| c.op == Op::Removed));
    assert!(described.iter().any(|c| c.op == Op::Added));
}

#[test]
fn counts_read_in_the_right_number_and_reports_say_when_and_what() {
    let s = Summary {
        added: 1,
        removed: 1,
        changed: 2,
        moved: 0,
        renamed: 0,
    };
    assert_eq!(
        summary_line(&s, Lang::Sv),
        "1 tillagd, 1 borttagen, 2 ändrade"
    );
    let a = page("karlskrona-2010-raw.html");
    let b = page("karlskrona-2011-raw.html");
    let d = crate::diff::diff(&a, &b);
    // The report's counts leave out sections told as networks, and say so.
    let md = markdown(&d, None, Lang::Sv);
    assert!(
        md.contains("3 ändringar av avsnitt som också är nätverk visas en gång"),
        "{md}"
    );
    // Three diffs of one page are one page with three changes.
    let entries: Vec<Entry<'_>> = (0..3)
        .map(|_| Entry {
            title: None,
            diff: &d,
        })
        .collect();
    let html = html_many(&entries, Lang::Sv, None).expect("renders");
    assert!(html.contains("1 sida, 3 ändringar"), "{html}");
    assert!(html.contains("Rapporten skapades"));
    assert!(!html.contains("sha256"));
    // minijinja escapes the slash itself.
    assert!(
        html.contains("&#x2f;<wbr>"),
        "the URL breaks only after a slash"
    );
    // A run without changes says when it ran and what it looked at.
    let covered = Some((
        "20100101000000".parse().expect("ts"),
        "20121231235959".parse().expect("ts"),
    ));
    let md = markdown_many(&[], Lang::Sv, covered);
    assert!(
        md.starts_with("Rapporten skapades")
            && md.contains("Perioden 2010-01-01 – 2012-12-31")
            && md.contains("Inga ändringar"),
        "{md}"
    );
    let html = html_many(&[], Lang::En, covered).expect("renders");
    assert!(
        html.contains("Period 2010-01-01 – 2012-12-31") && html.contains("No changes."),
        "{html}"
    );
}

#[test]
fn a_long_paragraph_shows_the_change_in_context_and_the_whole_text_on_demand() {
    let a = page("karlskrona-2010-raw.html");
    let mut b = a.clone();
    let long = b.sections[0].paragraphs[0].clone();
    assert!(long.split_whitespace().count() > 20, "{long}");
    b.sections[0].paragraphs[0] = long.replacen("städer", "kommuner", 1);
    let d = crate::diff::diff(&a, &b);
    let html = html(&d, Some("Sida"), Lang::Sv).expect("renders");
    assert!(
        html.contains("<details><summary>Visa hela texten</summary>"),
        "{html}"
    );
    assert!(
        html.contains(" … "),
        "the unchanged words are cut to a little context"
    );
    let whole = html.split("<details>").nth(1).unwrap_or("");
    assert!(
        whole.contains("kommuner") && whole.contains("Östersjöregionen"),
        "{whole}"
    );
    let en = super::html(&d, Some("Page"), Lang::En).expect("renders");
    assert!(en.contains("Show the whole text"));
}

#[test]
fn every_label_the_templates_use_is_in_the_words_table_in_both_languages() {
    let used = regex::Regex::new(r"\bl\.([a-z_]+)").expect("regex");
    let templates = [
        include_str!("templates/diff.html"),
        include_str!("templates/site_index.html"),
        include_str!("templates/site_page.html"),
        include_str!("templates/site_copy.html"),
    ];
    let (sv, en) = (words::labels(Lang::Sv), words::labels(Lang::En));
    let mut n = 0;
    for t in templates {
        for c in used.captures_iter(t) {
            let key = &c[1];
            assert!(
                sv.get(key).is_some_and(|w| !w.is_empty()),
                "{key} has no Swedish label"
            );
            assert!(
                en.get(key).is_some_and(|w| !w.is_empty()),
                "{key} has no English label"
            );
            n += 1;
        }
    }
    assert!(n > 40, "only {n} labels found");
}
