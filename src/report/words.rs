//! The words of the reports, in Swedish (default) and English.

use crate::diff::List;
use std::collections::BTreeMap;

use crate::diff::Summary;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Sv,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Sv => "sv",
            Lang::En => "en",
        }
    }
}

/// `(key, Swedish, English)`.
const WORDS: &[(&str, &str, &str)] = &[
    ("added", " har lagts till", " was added"),
    ("removed", " har tagits bort", " was removed"),
    ("moved", " har flyttats", " was moved"),
    ("renamed_to", " har bytt namn till ", " was renamed to "),
    ("changed", " har ändrats", " changed"),
    ("position", "plats", "position"),
    ("organisation_of", "Organisationens", "The organisation's"),
    ("untitled", "(sida utan rubrik)", "(untitled page)"),
    ("untitled_section", "utan rubrik", "without a heading"),
    ("top_url", "Sidans adress", "The page address"),
    ("top_title", "Sidans rubrik", "The page title"),
    (
        "top_updated",
        "Datumet \"Sidan uppdaterad\"",
        "The \"page updated\" date",
    ),
    ("top_lang", "Sidans språk", "The page language"),
    ("top_intro", "Ingressen", "The introduction"),
    (
        "top_organisation",
        "Organisationsuppgifterna",
        "The organisation details",
    ),
    (
        "top_published",
        "Publiceringsdatumet",
        "The publication date",
    ),
    (
        "top_breadcrumb",
        "Sidans plats i webbplatsen (\"Du är här\")",
        "The page's place in the site (breadcrumb)",
    ),
    (
        "top_attachments",
        "Dokumenten som sidan länkar till",
        "The documents the page links to",
    ),
    (
        "top_status",
        "Svaret från webbplatsen (HTTP-status, t.ex. 200 finns, 404 borttagen)",
        "The site's answer (HTTP status, e.g. 200 found, 404 removed)",
    ),
    (
        "top_redirect",
        "Vidarebefordran till en annan adress",
        "The redirect to another address",
    ),
    (
        "now_redirects",
        "Sidan leder nu vidare till ",
        "The page now redirects to ",
    ),
    (
        "page_redirects",
        "Sidan leder nu vidare till en annan adress",
        "The page now redirects to another address",
    ),
    (
        "page_removed",
        "Sidan har tagits bort",
        "The page was removed",
    ),
    ("page_back", "Sidan finns igen", "The page is back"),
    (
        "page_answer",
        "Webbplatsens svar har ändrats",
        "The site's answer changed",
    ),
    // The site report.
    ("site_title", "Webbplatsens historik", "The site's history"),
    (
        "site_changes",
        "Ändringar under perioden",
        "Changes in the period",
    ),
    (
        "site_all_pages",
        "Alla arkiverade sidor",
        "Every archived page",
    ),
    ("site_page", "Sida", "Page"),
    ("site_what", "Vad hände", "What happened"),
    ("site_address", "Adress", "Address"),
    ("site_captures", "Sparade kopior", "Captures"),
    ("site_nav", "Du är här", "You are here"),
    ("site_timeline", "Sidans historik", "The page's history"),
    ("site_answer", "Svar", "Answer"),
    ("site_copy", "Kopia", "Copy"),
    ("site_read_copy", "Läs kopian", "Read the copy"),
    ("site_contacts", "Kontaktpersoner nu", "Contact persons now"),
    ("site_networks", "Nätverk nu", "Networks now"),
    ("site_none", "Inga.", "None."),
    ("site_first", "Första sparade kopian", "First capture"),
    (
        "site_same",
        "Samma innehåll som förra kopian",
        "The same content as the capture before",
    ),
    ("site_no_change", "Inga ändringar", "No changes"),
    (
        "site_not_compared",
        "Jämförs inte (webbplatsens fel den dagen)",
        "Not compared (the site's error that day)",
    ),
    ("site_added", "Ny sida", "New page"),
    ("site_removed", "Borttagen", "Removed"),
    ("site_moved", "Flyttad", "Moved"),
    ("site_back", "Tillbaka", "Back"),
    ("site_changed", "Ändrad", "Changed"),
    ("site_ok", "Sidan fanns", "The page was there"),
    ("site_gone", "Sidan fanns inte", "The page was gone"),
    ("site_redirect", "Vidare till", "Redirected to"),
    ("site_error", "Fel hos webbplatsen", "The site's error"),
    ("site_copy_of", "Arkiverad kopia av", "Archived copy of"),
    ("site_copy_when", "sparad", "captured"),
    (
        "site_copy_note",
        "Skript, formulär och inbäddat innehåll är borttagna. Länkar leder till andra arkiverade kopior, eller till Wayback Machine.",
        "Scripts, forms and embedded content are removed. Links lead to other archived copies, or to the Wayback Machine.",
    ),
    (
        "site_back_to_page",
        "Tillbaka till sidans historik",
        "Back to the page's history",
    ),
    // Labels of the HTML page.
    ("report_title", "Ändringar på sidan", "Changes to the page"),
    ("report_many", "Ändringsrapport", "Change report"),
    ("generated", "Rapporten skapades", "Report generated"),
    ("period", "Perioden", "Period"),
    ("from", "Före", "Before"),
    ("to", "Efter", "After"),
    ("updated", "Sidan uppdaterad", "Page updated"),
    ("captured", "Sparad i arkivet", "Captured"),
    (
        "wayback",
        "Se kopian i Wayback Machine",
        "See the Wayback Machine copy",
    ),
    ("no_changes", "Inga ändringar.", "No changes."),
    ("before", "Före", "Before"),
    ("show_whole", "Visa hela texten", "Show the whole text"),
    ("after", "Efter", "After"),
    (
        "made_by",
        "Rapporten är gjord av sidarkiv.",
        "Report made by sidarkiv.",
    ),
];

const FIELDS: &[(&str, &str, &str)] = &[
    ("description", "beskrivningen", "the description"),
    ("paragraphs", "texten", "the text"),
    ("links", "länkarna", "the links"),
    ("level", "rubriknivån", "the heading level"),
    ("heading", "rubriken", "the heading"),
    ("name", "namnet", "the name"),
    ("acronym", "förkortningen", "the acronym"),
    ("role", "rollen", "the role"),
    ("phones", "telefonnumren", "the phone numbers"),
    ("emails", "e-postadresserna", "the e-mail addresses"),
    ("org_number", "organisationsnummer", "organisation number"),
    (
        "org_number_valid",
        "organisationsnummerkontroll",
        "organisation number check",
    ),
    ("postal_address", "postadress", "postal address"),
    ("invoice_address", "fakturaadress", "invoice address"),
    ("phone", "telefonnummer", "phone number"),
    ("fax", "faxnummer", "fax number"),
    ("email", "e-postadress", "e-mail address"),
];

fn pick<'a>(table: &'a [(&str, &'a str, &'a str)], key: &str, lang: Lang) -> Option<&'a str> {
    table
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, sv, en)| if lang == Lang::Sv { *sv } else { *en })
}

/// A phrase; an unknown key is shown as itself rather than hidden.
pub fn t(key: &str, lang: Lang) -> &str {
    pick(WORDS, key, lang).unwrap_or(key)
}

pub fn field_label(field: &str, lang: Lang) -> String {
    pick(FIELDS, field, lang).unwrap_or(field).to_owned()
}

pub fn list_noun(list: List, lang: Lang) -> &'static str {
    match (list, lang) {
        (List::Sections, Lang::Sv) => "Avsnittet ",
        (List::Sections, Lang::En) => "The section ",
        (List::Networks, Lang::Sv) => "Nätverket ",
        (List::Networks, Lang::En) => "The network ",
        (List::Contacts, Lang::Sv) => "Kontaktpersonen ",
        (List::Contacts, Lang::En) => "The contact person ",
    }
}

/// "3 tillagda, 1 borttagen" — the counts that are not zero, each word in
/// the number it needs.
pub fn summary_line(s: &Summary, lang: Lang) -> String {
    let parts: Vec<String> = [
        (s.added, "tillagd", "tillagda", "added"),
        (s.removed, "borttagen", "borttagna", "removed"),
        (s.changed, "ändrad", "ändrade", "changed"),
        (s.moved, "flyttad", "flyttade", "moved"),
        (s.renamed, "namnbyte", "namnbyten", "renamed"),
    ]
    .iter()
    .filter(|(n, ..)| *n > 0)
    .map(|(n, one, many, en)| {
        let word = match lang {
            Lang::Sv if *n == 1 => one,
            Lang::Sv => many,
            Lang::En => en,
        };
        format!("{n} {word}")
    })
    .collect();
    if parts.is_empty() {
        t("no_changes", lang).trim_end_matches('.').to_owned()
    } else {
        parts.join(", ")
    }
}

/// "1 sida, 3 ändringar": how many pages a report covers and how many
/// changes between captures it tells.
pub fn overall_line(pages: usize, changes: usize, lang: Lang) -> String {
    match lang {
        Lang::Sv => format!(
            "{pages} {}, {changes} {}",
            if pages == 1 { "sida" } else { "sidor" },
            if changes == 1 {
                "ändring"
            } else {
                "ändringar"
            }
        ),
        Lang::En => format!(
            "{pages} {}, {changes} {}",
            if pages == 1 { "page" } else { "pages" },
            if changes == 1 { "change" } else { "changes" }
        ),
    }
}

/// Every phrase of the HTML page, for the template.
pub fn labels(lang: Lang) -> BTreeMap<&'static str, &'static str> {
    WORDS
        .iter()
        .map(|(k, sv, en)| (*k, if lang == Lang::Sv { *sv } else { *en }))
        .collect()
}
