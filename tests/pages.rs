//! `sidarkiv parse` on the page shapes a migration of the whole old site
//! meets (`fixtures/pages/`): department pages, news items, English pages,
//! older templates, pages that list networks, hide e-mail addresses or name
//! no one. Each has a golden page JSON, and the fields each shape is about
//! are asserted on their own, so that a golden update cannot hide a loss.

use crate::util::{assert_exit, files_under, names, parse_json, root, sidarkiv, temp_dir};
use serde_json::Value;
use std::path::PathBuf;

fn page(name: &str) -> Value {
    let path: PathBuf = root().join("fixtures/pages").join(name);
    parse_json(&path, &[])
}

#[test]
fn golden_page_json_for_every_page_shape() {
    let dir = root().join("fixtures/pages");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures/pages")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
        .collect();
    files.sort();
    assert!(files.len() >= 25, "{files:?}");
    for path in files {
        let json = parse_json(&path, &[]);
        let _: sidarkiv::Page = serde_json::from_value(json.clone()).expect("the model");
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        insta::assert_json_snapshot!(format!("pages__{name}"), json);
    }
}

#[test]
fn ordinary_subheadings_are_not_networks() {
    for name in [
        "department-page.html",
        "plain-page.html",
        "news-item.html",
        "older-template.html",
    ] {
        assert_eq!(page(name)["networks"], serde_json::json!([]), "{name}");
    }
}

#[test]
fn only_current_networks_under_a_networks_heading() {
    let p = page("networks-combined.html");
    assert_eq!(
        names(&p["networks"], "name"),
        ["Union of the Baltic Cities", "Euroregion Baltic"]
    );
    assert_eq!(names(&p["networks"], "acronym"), ["UBC", "ERB"]);
}

#[test]
fn networks_set_out_in_a_table() {
    let p = page("networks-table.html");
    assert_eq!(
        names(&p["networks"], "name"),
        ["Union of the Baltic Cities", "Euroregion Baltic"]
    );
    assert_eq!(names(&p["networks"], "acronym"), ["UBC", "ERB"]);
    assert_eq!(p["networks"][0]["links"][0]["href"], "http://www.ubc.net/");
    assert_eq!(p["networks"][1]["links"], serde_json::json!([]));
    // Its header row, set in bold, heads columns, not sections.
    assert_eq!(
        names(&p["sections"], "heading"),
        ["Nätverk där kommunen är medlem", "Vänorter"]
    );
    assert_eq!(p["sections"][0]["paragraphs"][0], "Nätverk");
    assert!(
        p["networks"][1]["description"]
            .as_str()
            .is_some_and(|d| d.starts_with("Regioner i fem länder"))
    );
}

#[test]
fn networks_written_as_a_list() {
    let p = page("networks-list.html");
    assert_eq!(names(&p["networks"], "acronym"), ["UBC", "SKL", "CPMR"]);
    assert_eq!(p["networks"][0]["name"], "Union of the Baltic Cities");
    assert_eq!(p["networks"][0]["links"][0]["href"], "http://www.ubc.net/");
    assert!(
        p["networks"][2]["description"]
            .as_str()
            .is_some_and(|d| d.starts_with("samlar"))
    );
}

#[test]
fn cloaked_addresses_are_decoded_and_placeholders_are_not_addresses() {
    let p = page("cloaked-emails.html");
    let emails: Vec<Value> = p["contacts"]
        .as_array()
        .expect("contacts")
        .iter()
        .map(|c| c["emails"].clone())
        .collect();
    assert_eq!(
        emails,
        [
            serde_json::json!(["anna.berg@karlskrona.se"]),
            serde_json::json!(["johan.lind@karlskrona.se"]),
            serde_json::json!(["karin.strom@karlskrona.se"]),
            serde_json::json!(["olof.holm@karlskrona.se"]),
            serde_json::json!([]),
        ]
    );
    assert_eq!(p["contacts"][4]["name"], "Sara Nyberg");
    assert!(!p.to_string().contains("\"This is an email address\""));
    assert!(
        p["warnings"].as_array().expect("warnings").iter().any(|w| w
            .as_str()
            .is_some_and(|w| w.contains("Sara Nyberg") && w.contains("hidden"))),
        "{}",
        p["warnings"]
    );
}

#[test]
fn english_pages_of_the_old_site() {
    let p = page("english-page.html");
    assert_eq!(
        p["url"],
        "http://www.karlskrona.se/en/Moving-to-Karlskrona/"
    );
    assert_eq!(p["updated"], "2010-05-03");
    let org = &p["organisation"];
    assert_eq!(org["org_number"], "212000-0829");
    assert_eq!(org["postal_address"]["postal_code"], "371 83");
    assert_eq!(org["invoice_address"]["street"], "Box 79");
    assert_eq!(p["contacts"][0]["name"], "Maria Svensson");
    assert_eq!(p["contacts"][0]["role"], "welcome coordinator");
}

#[test]
fn older_template_footer_and_dated_lines() {
    let p = page("older-template.html");
    assert_eq!(p["updated"], "2007-11-05");
    let org = &p["organisation"];
    assert_eq!(org["postal_address"]["street"], "Ronnebygatan 2");
    assert_eq!(org["postal_address"]["city"], "Karlskrona");
    assert_eq!(org["phone"]["e164"], "+46455303000");
    assert_eq!(org["fax"]["e164"], "+46455303030");
    assert_eq!(org["org_number"], "212000-0829");
    assert_eq!(names(&p["sections"], "heading"), ["Anmälan", "Lokaler"]);
}

#[test]
fn news_items_have_a_publication_date_and_a_trail() {
    let p = page("news-item.html");
    assert_eq!(p["published"], "2010-03-12");
    assert_eq!(p["updated"], "2010-03-12");
    assert_eq!(names(&p["breadcrumb"], "text"), ["Start", "Nyheter"]);
    assert!(!p["intro"].as_str().unwrap_or("").starts_with("Publicerad"));
}

#[test]
fn department_pages_have_attachments_and_a_trail() {
    let p = page("department-page.html");
    assert_eq!(names(&p["breadcrumb"], "text"), ["Start", "Bygga och bo"]);
    assert_eq!(
        names(&p["attachments"], "href"),
        [
            "/download/18.1234/Ansokan-om-bygglov.pdf",
            "/download/18.5678/Taxa-2010.doc"
        ]
    );
}

#[test]
fn a_staff_table_under_a_contact_heading_is_read_row_by_row() {
    let p = page("staff-table-under-contact.html");
    assert_eq!(
        names(&p["contacts"], "name"),
        ["Britt Sjöholm", "Olle Dahl"]
    );
    assert_eq!(
        names(&p["contacts"], "role"),
        ["Miljöchef", "Miljöinspektör"]
    );
    assert_eq!(p["contacts"][1]["phones"][0]["e164"], "+46455303512");
    assert_eq!(p["contacts"][1]["emails"][0], "olle.dahl@karlskrona.se");
}

#[test]
fn a_staff_table_migrates_with_every_column_heading() {
    // "E-post" alone is the share bar's word too; in a table's header row
    // it names a column, and the migrated table keeps it.
    let dir = temp_dir("pages-staff-export");
    for args in [
        vec![
            "import".to_owned(),
            root()
                .join("fixtures/pages/staff-table-under-contact.html")
                .to_string_lossy()
                .into_owned(),
        ],
        vec!["export".into(), "--pages".into(), "out".into()],
    ] {
        let out = sidarkiv()
            .current_dir(&dir)
            .args(&args)
            .args(["--archive", "archive"])
            .output()
            .expect("sidarkiv");
        assert_exit(&out, 0);
    }
    let files = files_under(&dir.join("out"));
    let [file] = files.as_slice() else {
        panic!("one page exported: {files:?}");
    };
    let text = std::fs::read_to_string(file).expect("markdown");
    assert!(
        text.contains("| Namn | Befattning | Telefon | E-post |"),
        "{text}"
    );
}

#[test]
fn people_set_out_line_by_line_outside_a_contact_box() {
    let p = page("stacked-contacts.html");
    assert_eq!(
        names(&p["contacts"], "name"),
        ["Jonas Ekström", "Lena Svahn"]
    );
    assert_eq!(
        names(&p["contacts"], "role"),
        ["avfallsingenjör", "Projektledare"]
    );
    assert_eq!(
        p["contacts"][0]["phones"],
        serde_json::json!([
            {"display": "0455-30 30 52", "e164": "+46455303052"},
            {"display": "0708-12 34 56", "e164": "+46708123456"}
        ])
    );
    assert_eq!(p["contacts"][0]["emails"][0], "jonas.ekstrom@karlskrona.se");
    assert_eq!(p["contacts"][1]["emails"][0], "lena.svahn@karlskrona.se");
}

#[test]
fn contact_fields_under_their_labels() {
    let p = page("labelled-contact-fields.html");
    assert_eq!(names(&p["contacts"], "name"), ["Maja Ljung", "Henrik Alm"]);
    assert_eq!(
        names(&p["contacts"], "role"),
        ["Bygglovsarkitekt", "Bygglovsingenjör"]
    );
    assert_eq!(p["contacts"][0]["emails"][0], "maja.ljung@karlskrona.se");
    assert_eq!(p["contacts"][1]["phones"][0]["e164"], "+46455303121");
    assert!(
        !p["warnings"].to_string().contains("hidden"),
        "a label beside its value hides nothing: {}",
        p["warnings"]
    );
}

#[test]
fn a_title_without_h1_and_menus_between_bars() {
    let p = page("title-in-a-div.html");
    assert_eq!(p["title"], "Miljö och hälsa");
    assert!(
        p["intro"]
            .as_str()
            .is_some_and(|i| i.starts_with("Kommunens miljöarbete")),
        "{}",
        p["intro"]
    );
    assert_eq!(names(&p["sections"], "heading"), ["Luft och buller"]);
    let text = p["sections"].to_string();
    assert!(
        !text.contains("Start") && !text.contains("Bo och leva"),
        "{text}"
    );
    assert_eq!(p["updated"], "2004-11-02");
}

#[test]
fn a_mail_link_in_a_contact_box_is_the_person_s_address() {
    let p = page("newer-contact-mail-link.html");
    assert_eq!(names(&p["contacts"], "name"), ["Karin Holmqvist"]);
    assert_eq!(
        p["contacts"][0]["emails"],
        serde_json::json!(["karin.holmqvist@karlskrona.se"])
    );
    assert_eq!(p["contacts"][0]["phones"][0]["e164"], "+46455303399");
}

#[test]
fn a_page_that_names_no_one_has_no_contacts_and_says_so() {
    let p = page("plain-page.html");
    assert_eq!(p["contacts"], serde_json::json!([]));
    assert_eq!(p["networks"], serde_json::json!([]));
    assert!(p["warnings"].to_string().contains("no update date found"));
}

#[test]
fn contacts_outside_the_contact_box() {
    // A staff table (Namn / Befattning / Område / Telefon / E-post).
    let p = page("department-page.html");
    assert_eq!(names(&p["contacts"], "name"), ["Per Nilsson", "Lena Ek"]);
    assert_eq!(p["contacts"][0]["role"], "Bygglovshandläggare");
    assert_eq!(p["contacts"][0]["phones"][0]["e164"], "+46455303111");
    assert_eq!(p["contacts"][1]["emails"][0], "lena.ek@karlskrona.se");
    // "Sidansvarig:", "Kontakta NN på telefon …", "Name, role, phone" under a question.
    let p = page("contact-sentence.html");
    assert_eq!(
        names(&p["contacts"], "name"),
        ["Eva Holm", "Gustav Lindahl", "Per Nilsson"]
    );
    assert_eq!(p["contacts"][0]["role"], "trafikenheten");
    assert_eq!(p["contacts"][1]["phones"][0]["e164"], "+46455303112");
    assert_eq!(
        p["contacts"][1]["emails"][0],
        "gustav.lindahl@karlskrona.se"
    );
    assert_eq!(p["contacts"][2]["role"], "parkeringshandläggare");
    // "ta kontakt med NN, roll. Du når henne på telefon …": the number in the next sentence.
    let p = page("contact-two-sentences.html");
    assert_eq!(names(&p["contacts"], "name"), ["Maria Holm"]);
    assert_eq!(
        p["contacts"][0]["role"],
        "torgansvarig på tekniska förvaltningen"
    );
    assert_eq!(p["contacts"][0]["phones"][0]["e164"], "+46455303940");
    assert_eq!(p["contacts"][0]["emails"][0], "maria.holm@karlskrona.se");
    // A "Kontakt:" line in a news item.
    let p = page("news-item.html");
    assert_eq!(names(&p["contacts"], "name"), ["Gustav Lindahl"]);
    assert_eq!(p["contacts"][0]["role"], "projektledare");
}

#[test]
fn the_intro_is_the_lead_and_untitled_body_text_is_a_section() {
    // Regression: the intro held the whole news item and `sections` was empty.
    let p = page("news-item.html");
    assert_eq!(
        p["intro"],
        "Under våren bygger Karlskrona kommun en ny gång- och cykelväg mellan Långö och centrum. Arbetet börjar i april."
    );
    assert_eq!(p["sections"][0]["heading"], serde_json::Value::Null);
    assert_eq!(
        p["sections"][0]["paragraphs"].as_array().map(Vec::len),
        Some(3)
    );
    // A lead followed by a list: the list is body text, not the intro.
    let p = page("networks-list.html");
    assert_eq!(
        p["intro"],
        "Här är de organisationer som Karlskrona kommun är medlem i."
    );
    assert_eq!(p["sections"][0]["heading"], serde_json::Value::Null);
}

fn without_source(mut page: Value) -> Value {
    page.as_object_mut().expect("object").remove("source");
    page
}

#[test]
fn view_mode_and_mislabelled_copies_read_as_the_page() {
    // The raw capture knows its URL from the fetch; the copy shows it.
    let raw = parse_json(
        &root().join("fixtures/pages/news-item.html"),
        &[
            "--url",
            "http://www.karlskrona.se/sv/Nyheter/Ny-gang-och-cykelvag/",
        ],
    );
    assert_eq!(
        without_source(page("news-item-wayback-view.html")),
        without_source(raw)
    );
    let mislabelled = page("department-page-utf8-declared-latin1.html");
    assert_eq!(mislabelled["source"]["encoding"], "UTF-8");
    assert_eq!(
        without_source(mislabelled),
        without_source(page("department-page.html"))
    );
}

/// Title, intro, then every section's heading and paragraphs: the main text.
fn main_text(p: &Value) -> String {
    let mut parts: Vec<String> = Vec::new();
    for v in [&p["title"], &p["intro"]] {
        if let Some(s) = v.as_str() {
            parts.push(s.to_owned());
        }
    }
    for s in p["sections"].as_array().into_iter().flatten() {
        if let Some(h) = s["heading"].as_str() {
            parts.push(h.to_owned());
        }
        for para in s["paragraphs"].as_array().into_iter().flatten() {
            parts.push(para.as_str().unwrap_or("").to_owned());
        }
    }
    parts.join("\n") + "\n"
}

#[test]
fn the_main_text_of_articles_leaves_the_site_out() {
    // Regression: an "Uppdaterad …" line under the byline ended the text (the
    // article was lost); teasers, "Mest läst", comments and menus were text.
    for template in [
        "old-municipal",
        "newer-municipal",
        "newspaper",
        "blog",
        "english-news",
        "municipal-tools",
    ] {
        let name = format!("article-{template}");
        let p = page(&format!("{name}.html"));
        let golden = std::fs::read_to_string(root().join(format!("fixtures/pages/{name}.txt")))
            .expect("golden main text");
        assert_eq!(main_text(&p), golden, "{name}");
        assert_eq!(p["networks"], serde_json::json!([]), "{name}");
    }
}

#[test]
fn more_page_shapes_read_as_a_reader_sees_them() {
    let p = page("newer-news-item.html");
    assert_eq!(
        p["url"],
        "https://www.karlskrona.se/nyheter/2023/nya-laddstolpar/"
    );
    assert_eq!(
        (p["published"].as_str(), p["updated"].as_str()),
        (Some("2023-04-05"), Some("2024-01-10"))
    );
    assert_eq!(names(&p["breadcrumb"], "text"), ["Start", "Nyheter"]);
    assert_eq!(p["contacts"][0]["name"], "Lina Björk");
    assert_eq!(p["organisation"]["postal_address"]["postal_code"], "371 83");
    assert!(
        p["intro"]
            .as_str()
            .is_some_and(|i| i.starts_with("Tolv nya laddplatser"))
    );

    let p = page("contact-us.html");
    assert_eq!(p["organisation"]["invoice_address"]["street"], "Box 79");
    assert_eq!(p["organisation"]["fax"]["e164"], "+46455303030");
    assert_eq!(p["organisation"]["org_number_valid"], true);

    let p = page("english-older.html");
    assert_eq!(p["updated"], "2017-10-03");
    assert_eq!(p["organisation"]["org_number"], "212000-0829");
    assert_eq!(p["organisation"]["postal_address"]["city"], "Karlskrona");

    let p = page("documents-page.html");
    assert_eq!(
        names(&p["breadcrumb"], "text"),
        ["Start", "Kommun och politik"]
    );
    assert_eq!(p["attachments"].as_array().map(Vec::len), Some(3));

    assert_eq!(page("twin-towns.html")["networks"], serde_json::json!([]));

    let p = page("reviewed-footer.html");
    assert_eq!(p["updated"], "2008-06-04");
    assert_eq!(p["organisation"]["postal_address"]["street"], "Box 79");
    assert_eq!(p["organisation"]["fax"]["e164"], "+46455303030");

    let p = page("scripted-email.html");
    assert_eq!(p["contacts"][0]["emails"][0], "elin.sjoberg@karlskrona.se");

    let p = page("no-structure.html");
    assert_eq!(p["title"], "Meddelande");
    for key in [
        "sections",
        "networks",
        "contacts",
        "breadcrumb",
        "attachments",
    ] {
        assert_eq!(p[key], serde_json::json!([]), "{key}");
    }
    let warnings = p["warnings"].to_string();
    for looked_for in [
        "update date",
        "contact person",
        "organisation address",
        "page URL",
    ] {
        assert!(warnings.contains(looked_for), "{looked_for}: {warnings}");
    }
}
