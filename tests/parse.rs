//! `sidarkiv parse` on the bundled fixtures: golden JSON, equivalence of
//! encodings and view mode, exit codes.

use crate::util::{fixture, names, parse_json, parse_stdin, run, temp_dir};
use serde_json::Value;

const FIXTURES: &[&str] = &[
    "karlskrona-2010-raw.html",
    "karlskrona-2010-wayback-view.html",
    "karlskrona-2011-raw.html",
    "enc-utf8-declared-but-windows-1252.html",
    "enc-no-charset.html",
    "enc-utf8-bom-meta-latin1.html",
    "enc-windows-1252-c1.html",
    "karlskrona-2021-modern.html",
];

#[test]
fn golden_page_json_for_every_fixture() {
    for name in FIXTURES {
        let page = parse_json(&fixture(name), &[]);
        // The output is the contract's schema: it deserialises into the model.
        let _: sidarkiv::Page =
            serde_json::from_value(page.clone()).expect("page JSON matches the model");
        insta::assert_json_snapshot!(*name, page);
    }
}

fn without_source(mut page: Value) -> Value {
    page.as_object_mut().expect("object").remove("source");
    page
}

#[test]
fn raw_view_mode_and_every_encoding_give_the_same_page() {
    let raw = without_source(parse_json(&fixture("karlskrona-2010-raw.html"), &[]));
    for name in &FIXTURES[1..] {
        if name.starts_with("karlskrona-2011") || name.starts_with("karlskrona-2021") {
            continue;
        }
        let other = without_source(parse_json(&fixture(name), &[]));
        assert_eq!(raw, other, "{name} differs from the raw capture");
    }
}

#[test]
fn encodings_are_read_as_declared_or_detected() {
    for (name, encoding, source) in [
        ("karlskrona-2010-raw.html", "windows-1252", "meta"),
        (
            "enc-utf8-declared-but-windows-1252.html",
            "windows-1252",
            "detected",
        ),
        ("enc-no-charset.html", "windows-1252", "detected"),
        ("enc-utf8-bom-meta-latin1.html", "UTF-8", "bom"),
        ("enc-windows-1252-c1.html", "windows-1252", "meta"),
    ] {
        let page = parse_json(&fixture(name), &[]);
        assert_eq!(page["source"]["encoding"], encoding, "{name}");
        assert_eq!(page["source"]["encoding_source"], source, "{name}");
        assert_eq!(page["source"]["decode_errors"], 0, "{name}");
    }
    // The C1 bytes 0x96 and 0x92 are an en dash and a right quote, not controls.
    let page = parse_json(&fixture("enc-windows-1252-c1.html"), &[]);
    let text = page.to_string();
    assert!(text.contains("juli\u{2013}augusti") && text.contains("\u{2019}SEB Trans\u{2019}"));
}

#[test]
fn charset_flag_is_the_transport_charset() {
    let page = parse_json(
        &fixture("karlskrona-2010-raw.html"),
        &["--charset", "iso-8859-2"],
    );
    assert_eq!(page["source"]["encoding"], "ISO-8859-2");
    assert_eq!(page["source"]["encoding_source"], "http");
    // A transport label that does not fit the bytes is re-checked like any other.
    let page = parse_json(
        &fixture("karlskrona-2010-raw.html"),
        &["--charset", "utf-8"],
    );
    assert_eq!(page["source"]["encoding"], "windows-1252");
    assert_eq!(page["title"], "Internationella nätverk");
}

#[test]
fn view_mode_copy_keeps_its_timestamp_and_loses_the_toolbar() {
    let page = parse_json(&fixture("karlskrona-2010-wayback-view.html"), &[]);
    assert_eq!(page["source"]["kind"], "wayback");
    assert_eq!(page["source"]["timestamp"], "20100426093512");
    assert_eq!(page["source"]["wayback_artifacts_removed"], true);
    assert_eq!(
        page["source"]["original_url"],
        "http://www.karlskrona.se/sv/Om-kommunen/Sa-arbetar-vi-med/Internationellt-samarbete/Internationella-natverk/"
    );
    let text = page.to_string();
    for artefact in ["/web/2010", "web.archive.org", "Wayback", "captures"] {
        assert!(!text.contains(artefact), "{artefact} left in the page JSON");
    }
}

#[test]
fn later_capture_has_the_editorial_changes() {
    let page = parse_json(&fixture("karlskrona-2011-raw.html"), &[]);
    assert_eq!(page["updated"], "2011-03-15");
    let acronyms: Vec<&str> = page["networks"]
        .as_array()
        .expect("networks")
        .iter()
        .map(|n| n["acronym"].as_str().or(n["name"].as_str()).unwrap_or(""))
        .collect();
    assert_eq!(acronyms, ["UBC", "Baltic Sail", "ERB", "CPMR"]);
    assert_eq!(page["contacts"][1]["name"], "Anna Lindqvist");
    assert_eq!(
        page["contacts"][1]["emails"][0],
        "anna.lindqvist@karlskrona.se"
    );
}

#[test]
fn newer_site_template_is_read_by_the_same_labels() {
    let page = parse_json(&fixture("karlskrona-2021-modern.html"), &[]);
    assert_eq!(
        page["updated"], "2021-02-03",
        "\"Senast uppdaterad: 3 februari 2021\""
    );
    assert_eq!(
        page["url"],
        "https://www.karlskrona.se/kommun-och-politik/internationellt-samarbete/internationella-natverk/"
    );
    assert_eq!(page["networks"][0]["acronym"], "UBC", "acronym in brackets");
    assert_eq!(
        page["contacts"][0]["emails"][0],
        "tore.almlof@karlskrona.se"
    );
    assert_eq!(page["organisation"]["org_number"], "212000-0829");
    assert_eq!(page["organisation"]["email"], "kommun@karlskrona.se");
    assert!(
        !page.to_string().contains("Bo och leva"),
        "navigation is not content"
    );
}

/// Page shapes beyond the fixtures' template, written for these tests: an
/// older page set in `<font>`, `<b>` and `<br><br>` (windows-1252), and a
/// newer one with an accordion and its address above the labelled footer.
#[test]
fn older_font_layout_and_newer_accordion_pages() {
    let old = "<html><head><META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html;CHARSET=windows-1252\">\
        <title>F\u{e4}rdtj\u{e4}nst</title></head><body><table><tr><td><a href=\"/\">Hem</a><br><a href=\"/sv/Omsorg/\">Omsorg</a></td>\
        <td><font size=\"4\"><b>F\u{e4}rdtj\u{e4}nst</b></font><br><br>\
        <font size=\"2\">F\u{e4}rdtj\u{e4}nst \u{e4}r en form av kollektivtrafik.<br><br>\
        <b>F\u{f6}r mer information kontakta:</b><br>Karin Ek, f\u{e4}rdtj\u{e4}nsthandl\u{e4}ggare, tfn 0455-30 31 11<br>\
        Lars Berg, enhetschef, tfn 0455-30 31 12<br><br>Senast \u{e4}ndrad 2009-11-02</font></td></tr></table>\
        <p><font size=\"1\">Karlskrona kommun, 371 83 Karlskrona. V\u{e4}xel 0455-30 30 00. Org.nr 212000-0829</font></p></body></html>";
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(old);
    let page = parse_stdin(&bytes);
    assert_eq!(page["title"], "Färdtjänst");
    assert_eq!(page["intro"], "Färdtjänst är en form av kollektivtrafik.");
    assert_eq!(page["updated"], "2009-11-02");
    let names: Vec<&str> = page["contacts"]
        .as_array()
        .expect("contacts")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(names, ["Karin Ek", "Lars Berg"]);
    assert_eq!(page["organisation"]["org_number"], "212000-0829");
    assert_eq!(
        page["organisation"]["postal_address"]["street"],
        Value::Null
    );

    let newer = "<!DOCTYPE html><html lang=\"sv\"><head><meta charset=\"utf-8\"><title>Snöröjning - Karlskrona kommun</title></head>\
        <body><main><h1>Snöröjning</h1><p>Kommunen plogar gator och cykelvägar.</p>\
        <h2><button aria-expanded=\"false\" aria-controls=\"svar1\">Vilka gator plogas först?</button></h2>\
        <div id=\"svar1\" hidden><p>Huvudgator och bussgator.</p></div>\
        <p>Skriv ut kartan och ta med den.</p><div><a href=\"https://facebook.com/s\">Dela</a> | <a href=\"#\">Skriv ut</a> | <a href=\"#\">Lyssna</a></div>\
        <p>Senast uppdaterad: 12 januari 2024</p></main>\
        <footer><p>Karlskrona kommun<br>371 83 Karlskrona</p><p>Telefon: 0455-30 30 00</p>\
        <p>Organisationsnummer: 212000-0829</p></footer></body></html>";
    let page = parse_stdin(newer.as_bytes());
    assert_eq!(page["sections"][0]["heading"], "Vilka gator plogas först?");
    assert_eq!(
        page["sections"][0]["paragraphs"],
        serde_json::json!([
            "Huvudgator och bussgator.",
            "Skriv ut kartan och ta med den."
        ]),
        "the share and print tools are not text"
    );
    assert_eq!(page["updated"], "2024-01-12");
    let org = &page["organisation"];
    assert_eq!(org["postal_address"]["postal_code"], "371 83");
    assert_eq!(org["phone"]["display"], "0455-30 30 00");
}

/// A contact box or the page's dates set above the text (the newer
/// template's aside under the `<h1>`, a news page's dates) do not end it.
#[test]
fn contact_aside_and_dates_above_the_text_do_not_hide_it() {
    let page = |html: &str| parse_stdin(html.as_bytes());
    let aside = page(
        "<html><head><meta charset=\"utf-8\"><title>Nätverk</title></head><body><main><h1>Internationella nätverk</h1>\
         <aside><h2>Kontakt</h2><p>Tore Almlöf<br>Strateg<br>0455-30 30 27</p></aside>\
         <p>Karlskrona kommun är medlem i flera nätverk.</p>\
         <h2>Euroregion Baltic, ERB</h2><p>ERB är ett samarbete mellan regioner.</p>\
         <p>Publicerad 2013-01-02 · Senast uppdaterad 2015-03-02</p>\
         <form><p>Hittade du det du letade efter?</p><button>Ja</button></form></main></body></html>",
    );
    assert_eq!(
        aside["intro"],
        "Karlskrona kommun är medlem i flera nätverk."
    );
    assert_eq!(aside["networks"][0]["acronym"], "ERB");
    assert_eq!(aside["contacts"][0]["name"], "Tore Almlöf");
    assert_eq!(aside["updated"], "2015-03-02");
    assert_eq!(
        aside["sections"][0]["paragraphs"],
        serde_json::json!(["ERB är ett samarbete mellan regioner."]),
        "the dates and the feedback question are not text"
    );
    // A heading that reads like a contact label but names no one is text;
    // the box below it that names someone is the contact box.
    let heading = page(
        "<html><head><meta charset=\"utf-8\"></head><body><h1>Synpunkter</h1><p>Vi vill veta vad du tycker.</p>\
         <h2>Kontakt med kommunen</h2><p>Du når oss enklast via e-tjänsten.</p>\
         <h3>För mer information kontakta</h3><p>Eva Sjöberg<br>Handläggare<br>0455-30 30 11</p>\
         <p>Sidan uppdaterad: 2010-04-26</p></body></html>",
    );
    assert_eq!(heading["sections"][0]["heading"], "Kontakt med kommunen");
    assert_eq!(
        heading["sections"][0]["paragraphs"][0],
        "Du når oss enklast via e-tjänsten."
    );
    assert_eq!(heading["sections"].as_array().map(Vec::len), Some(1));
    assert_eq!(heading["contacts"][0]["name"], "Eva Sjöberg");
    for dates in ["Senast uppdaterad: 2024-06-01", "Publicerad 12 maj 2023"] {
        let news = page(&format!(
            "<html><head><meta charset=\"utf-8\"></head><body><h1>Badplatser</h1><p>{dates}</p>\
             <p>Karlskrona har många badplatser.</p><h2>Tjurkö</h2><p>Sandstrand.</p></body></html>"
        ));
        assert_eq!(
            news["sections"][0]["paragraphs"][0], "Sandstrand.",
            "{dates}"
        );
        assert!(
            news["intro"]
                .as_str()
                .is_some_and(|i| i.ends_with("Karlskrona har många badplatser.")),
            "{dates}: {}",
            news["intro"]
        );
    }
}

#[test]
fn stdin_is_read_with_dash() {
    let bytes = std::fs::read(fixture("karlskrona-2010-raw.html")).expect("fixture");
    let page = parse_stdin(&bytes);
    assert_eq!(page["source"]["kind"], "stdin");
    assert_eq!(page["title"], "Internationella nätverk");
}

/// Exit 2 and one line on stderr naming the input and the cause.
fn assert_fatal(args: &[&str], stdin: Option<&[u8]>, must_name: &[&str]) {
    let out = run(args, stdin);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(out.stdout.is_empty(), "{args:?} printed to stdout");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
    for word in must_name {
        assert!(
            stderr.contains(word),
            "{args:?}: {stderr:?} does not name {word:?}"
        );
    }
}

#[test]
fn bad_input_exits_2_with_the_input_and_the_cause() {
    let dir = temp_dir("bad-input");
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.join(name);
        std::fs::write(&p, bytes).expect("write");
        p.to_str().expect("utf-8").to_owned()
    };
    let empty = write("empty.html", b"");
    assert_fatal(&["parse", &empty], None, &["empty.html", "empty"]);
    let blank = write("blank.html", b"  \n\t\n");
    assert_fatal(&["parse", &blank], None, &["blank.html", "empty"]);
    let png = write("logo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01");
    assert_fatal(&["parse", &png], None, &["logo.png", "PNG"]);
    let random: Vec<u8> = (0u32..4096)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let noise = write("noise.bin", &random);
    assert_fatal(
        &["parse", &noise],
        None,
        &["noise.bin", "not an HTML document"],
    );
    let missing = dir.join("no-such-file.html");
    assert_fatal(
        &["parse", missing.to_str().expect("utf-8")],
        None,
        &["no-such-file.html", "cannot read"],
    );
    assert_fatal(
        &["parse", dir.to_str().expect("utf-8")],
        None,
        &["cannot read"],
    );
    assert_fatal(&["parse", "-"], Some(b""), &["standard input", "empty"]);
    // An endless input stops at max_body_bytes instead of filling memory.
    assert_fatal(
        &["parse", "/dev/zero"],
        None,
        &["/dev/zero", "max_body_bytes"],
    );
    let page = fixture("karlskrona-2010-raw.html");
    let page = page.to_str().expect("utf-8");
    assert_fatal(
        &["parse", page, "--charset", "klingon"],
        None,
        &["--charset", "klingon"],
    );
    assert_fatal(&["parse", page, "--url", "not a url"], None, &["--url"]);
}

#[test]
fn truncated_page_yields_what_it_has_with_warnings() {
    let bytes = std::fs::read(fixture("karlskrona-2010-raw.html")).expect("fixture");
    let cut = bytes
        .windows(16)
        .position(|w| w == b"<h2 class=\"under")
        .expect("marker");
    let cut = cut
        + bytes[cut..]
            .windows(11)
            .skip(1)
            .position(|w| w == b"Baltic Sail")
            .expect("second");
    let page = parse_stdin(&bytes[..cut]);
    assert_eq!(page["title"], "Internationella nätverk");
    assert_eq!(page["networks"][0]["acronym"], "UBC");
    assert_eq!(page["updated"], Value::Null);
    let warnings = page["warnings"].to_string();
    assert!(
        warnings.contains("truncated") && warnings.contains("no update date"),
        "{warnings}"
    );
}

#[test]
fn update_lines_in_the_forms_pages_wrote_them() {
    for (line, want) in [
        ("Sidan uppdaterad: 26 april 2010", "2010-04-26"),
        ("Sidan ändrad: 2010-04-27", "2010-04-27"),
        ("Uppdaterad: 28.04.2010", "2010-04-28"),
        ("Last updated: April 29, 2010", "2010-04-29"),
        ("Page updated: Apr. 30th 2010", "2010-04-30"),
    ] {
        let html = format!(
            "<html><head><title>Sida</title></head><body><h1>Rubrik</h1>\
             <p>Text om något som kommunen gör.</p><p>{line}</p></body></html>"
        );
        let page = parse_stdin(html.as_bytes());
        assert_eq!(page["updated"], want, "{line}");
    }
}

#[test]
fn a_frameset_page_names_its_frames_and_shows_no_markup_as_text() {
    let html = "<html><head><title>Karlskrona kommun</title></head>\
        <frameset cols=\"200,*\"><frame src=\"meny.htm\"><frame src=\"start.htm\">\
        <noframes><body><p>Din webbläsare visar inte ramar. Gå till \
        <a href=\"start.htm\">startsidan</a>.</p></body></noframes></frameset></html>";
    let page = parse_stdin(html.as_bytes());
    assert_eq!(page["title"], "Karlskrona kommun");
    assert_eq!(page["intro"], Value::Null, "{page}");
    assert_eq!(page["sections"], serde_json::json!([]));
    assert!(
        page["warnings"]
            .to_string()
            .contains("a frameset: the page's text is in its frames (meny.htm, start.htm)"),
        "{page}"
    );
}

#[test]
fn a_page_that_sends_its_reader_on_says_where() {
    let html = "<html><head><title>Sidan har flyttat</title>\
        <meta http-equiv=\"Refresh\" content=\"0; URL='/sv/Ny-sida/'\"></head>\
        <body><p>Sidan har flyttat.</p></body></html>";
    let out = crate::util::run(
        &["parse", "-", "--url", "http://www.karlskrona.se/sv/Gammal/"],
        Some(html.as_bytes()),
    );
    let page: Value = serde_json::from_slice(&out.stdout).expect("page JSON");
    assert!(
        page["warnings"]
            .to_string()
            .contains("sends its reader on to http://www.karlskrona.se/sv/Ny-sida/ after 0 s"),
        "{page}"
    );
    assert_eq!(page["redirect"], Value::Null, "a 3xx's target only");
}

#[test]
fn a_role_written_before_the_person() {
    let html = "<html><head><title>Projekt</title></head><body><h1>Projekt</h1>\
        <p>Projektet pågår till 2011.</p>\
        <p>Projektledare: Ina Holm, tfn 0455-30 30 10, ina.holm@karlskrona.se</p></body></html>";
    let page = parse_stdin(html.as_bytes());
    assert_eq!(page["contacts"][0]["name"], "Ina Holm", "{page}");
    assert_eq!(page["contacts"][0]["role"], "Projektledare");
    assert_eq!(page["contacts"][0]["emails"][0], "ina.holm@karlskrona.se");
}

#[test]
fn a_date_line_under_the_title_is_no_text_but_dates_in_a_table_are() {
    let html = "<html><head><title>Nyhet</title></head><body><h1>Tömning flyttas</h1>\
        <p>Datum: 2010-04-20</p><p>Sophämtningen flyttas en dag under påskveckan.</p>\
        <table><tr><td>Område</td><td>Ny dag</td></tr>\
        <tr><td>Nättraby</td><td>2010-04-06</td></tr></table></body></html>";
    let page = parse_stdin(html.as_bytes());
    assert_eq!(
        page["intro"], "Sophämtningen flyttas en dag under påskveckan.",
        "{page}"
    );
    assert_eq!(
        page["sections"][0]["paragraphs"],
        serde_json::json!(["Område", "Ny dag", "Nättraby", "2010-04-06"])
    );
}

#[test]
fn a_visiting_address_heading_is_a_section_not_the_footer() {
    // A contact page's "Besöksadress" section, then more sections: the
    // text goes on to the real footer, which is still the organisation's.
    let html = "<html><head><title>Kontakta kommunen</title></head><body>\
        <h1>Kontakta kommunen</h1><p>Här finns kommunens adresser och öppettider.</p>\
        <h2>Besöksadress</h2><p>Stadshuset, Ronnebygatan 2, Karlskrona</p>\
        <h2>Öppettider</h2><p>Måndag–fredag 8–17.</p>\
        <h2>Parkering</h2><p>Besökare parkerar på Hoglands parkering.</p>\
        <div id=\"footer\"><p>Postadress: Karlskrona kommun, 371 83 Karlskrona</p>\
        <p>Organisationsnummer: 212000-0829</p></div></body></html>";
    let page = parse_stdin(html.as_bytes());
    assert_eq!(
        names(&page["sections"], "heading"),
        ["Besöksadress", "Öppettider", "Parkering"],
        "{page}"
    );
    assert_eq!(
        page["organisation"]["postal_address"]["postal_code"],
        "371 83"
    );
    assert_eq!(page["organisation"]["org_number"], "212000-0829");
}

#[test]
fn a_contact_sentence_that_names_two_people() {
    let html = "<html><head><title>Bygglov</title></head><body><h1>Bygglov</h1>\
        <p>Om bygglov för altaner.</p><h3>Frågor</h3>\
        <p>Kontakta Anna Berg, bygglovsarkitekt, på telefon 0455-30 35 10 eller \
        Per Ek, handläggare, på 0455-30 35 11. Och fråga gärna om Stora Torget.</p></body></html>";
    let page = parse_stdin(html.as_bytes());
    let people: Vec<(&str, &str, &str)> = page["contacts"]
        .as_array()
        .expect("contacts")
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap_or(""),
                c["role"].as_str().unwrap_or(""),
                c["phones"][0]["display"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        people,
        [
            ("Anna Berg", "bygglovsarkitekt", "0455-30 35 10"),
            ("Per Ek", "handläggare", "0455-30 35 11")
        ],
        "{page}"
    );
}

#[test]
fn addresses_in_the_text_are_the_page_s_and_the_footer_is_the_last() {
    // "Postadress: …" as a paragraph of a contact page, sections after it,
    // then the footer: the text goes on, the organisation is the footer's.
    let contact = "<html><head><title>Kontakt</title></head><body><h1>Kontakta oss</h1>\
        <p>Så når du kommunen.</p><h2>Adresser</h2>\
        <p>Postadress: Karlskrona kommun, 371 83 Karlskrona</p><p>Besöksadress: Ronnebygatan 2</p>\
        <h2>Öppettider</h2><p>Vardagar 8–17.</p>\
        <div id=\"footer\"><p>Karlskrona kommun, 371 83 Karlskrona, växel 0455-30 30 00</p>\
        <p>Organisationsnummer 212000-0829</p></div></body></html>";
    let page = parse_stdin(contact.as_bytes());
    assert_eq!(
        names(&page["sections"], "heading"),
        ["Adresser", "Öppettider"],
        "{page}"
    );
    assert_eq!(page["organisation"]["org_number"], "212000-0829");
    // A footer with its own "Följ oss" and links after its labels is still
    // the footer, and the text ends above it.
    let newer = "<html><head><title>Bygglov</title></head><body><h1>Bygglov</h1>\
        <p>Om bygglov för altaner och plank.</p>\
        <footer><p>Postadress: Karlskrona kommun, 371 83 Karlskrona</p>\
        <p>Organisationsnummer: 212000-0829</p><h2>Följ oss</h2>\
        <p><a href=\"https://facebook.com/k\">Facebook</a> | <a href=\"https://instagram.com/k\">Instagram</a></p>\
        </footer></body></html>";
    let page = parse_stdin(newer.as_bytes());
    assert_eq!(page["organisation"]["org_number"], "212000-0829", "{page}");
    assert_eq!(page["sections"], serde_json::json!([]), "{page}");
}
