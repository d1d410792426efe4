//! The Swedish (and a few English) labels the extractor keys on. Pages are
//! read by what they say, not by class names, so these are the vocabulary.

use regex::Regex;
use std::sync::LazyLock;

macro_rules! label {
    ($name:ident, $pattern:expr) => {
        pub static $name: LazyLock<Regex> =
            LazyLock::new(|| Regex::new($pattern).expect("static regex"));
    };
}

label!(
    CONTACT,
    r"(?i)^(?:för\s+mer\s+information,?\s+(?:kontakta|kontakt)|mer\s+information\s+lämnas\s+av|frågor\s+besvaras\s+av|kontakta\s+oss|kontaktpersoner|kontaktperson|kontaktuppgifter|kontakt|sidansvarig|ansvarig\s+för\s+(?:sidan|innehållet)|contact\s+us|contact)(?-u:\b)\s*:?\s*"
);
const UPDATED_LABEL: &str = r"(?i)(?:sidan\s+(?:är\s+)?(?:senast\s+)?(?:uppdaterad(?:es)?|ändrad|granskad)|senast\s+(?:uppdaterad|ändrad|granskad)|last\s+updated|page\s+updated|uppdaterad(?:es)?|updated)\s*(?:den\s+)?:?\s*";
label!(UPDATED, UPDATED_LABEL);
// The same label at the start of a line only (`(?m)`: of each line of a page's text).
label!(UPDATED_AT_START, &format!("(?m)^{UPDATED_LABEL}"));
label!(
    PAGE_LINK,
    r"(?i)(?:länk\s+till\s+(?:sidan|denna\s+sida)|link\s+to\s+(?:this\s+)?page)\s*:?\s*"
);
label!(
    PUBLISHED,
    r"(?i)(?-u:\b)(?:publicerad|publicerat|publiceringsdatum|published)(?-u:\b)\s*(?:den\s+)?:?\s*"
);
// The page's trail, when written out: "Du är här: Start / Om kommunen / …".
// Not anchored (a line-start anchor made the page-wide search 15 times
// slower); the caller checks that a line starts with it.
label!(
    TRAIL,
    r"(?i)(?:du\s+är\s+här|här\s+är\s+du|you\s+are\s+here)\s*:"
);
label!(
    FOOTER,
    // Measured: a "visiting\s+address" alternative made this search 14 times slower.
    r"(?i)(?-u:\b)(?:postadress|besöksadress|fakturaadress|organisationsnummer|org\.?\s*(?:nr|no)|postal\s+address|invoice\s+address|corporate\s+identity)(?-u:\b)"
);
label!(
    POSTAL,
    r"(?i)(?-u:\b)(?:postadress|postal\s+address)(?-u:\b)\s*:?\s*"
);
label!(
    INVOICE,
    r"(?i)(?-u:\b)(?:fakturaadress|invoice\s+address|billing\s+address)(?-u:\b)\s*:?\s*"
);
label!(
    ORG_NUMBER,
    r"(?i)(?-u:\b)(?:organisationsnummer|org\.?\s*nr|orgnr|org\.?\s*nummer|corporate\s+identity\s+number|organi[sz]ation\s+number|org\.\s*no)(?-u:\b)\.?\s*:?\s*"
);
label!(
    PHONE,
    r"(?i)(?-u:\b)(?:tfn|tel|telefon|växel|phone)(?-u:\b)\.?\s*:?\s*"
);
label!(EMAIL, r"(?i)(?-u:\b)(?:e-?post|e-?mail|mejl)(?-u:\b)");
// "Kontakta Gustav Lindahl[, miljöstrateg,] på telefon …": a name after a
// verb of contacting, with an optional role between commas.
label!(
    CONTACT_SENTENCE,
    r"(?i:kontakta|(?:ta\s+)?kontakt\s+med|hör\s+av\s+dig\s+till|ring(?:\s+till)?|mejla|maila|vänd\s+dig\s+till|contact|call|e-mail)\s+(\p{Lu}[\p{L}'-]+(?:\s+(?:af\s+|von\s+|van\s+|de\s+)?\p{Lu}[\p{L}'-]+){1,3})(?:,\s*([^,.0-9]{2,80}?)[,.])?"
);
// "… eller Per Ek, 0455-30 35 11": another person the same sentence names.
label!(
    ALSO_CONTACT,
    r"\s(?:eller|och|alternativt|or|and)\s+(\p{Lu}[\p{L}'-]+(?:\s+(?:af\s+|von\s+|van\s+|de\s+)?\p{Lu}[\p{L}'-]+){1,3})(?:,\s*([^,.0-9]{2,80}?)[,.])?"
);
// A line that gives an e-mail address: "E-post: …".
label!(
    EMAIL_LINE,
    r"(?i)^\s*(?:e-?post|e-?mail|mejl)(?:adress)?\s*:"
);
label!(FAX, r"(?i)(?-u:\b)(?:fax|telefax)(?-u:\b)\.?\s*:?\s*");
label!(
    ORG_NAME,
    r"(?i)(?-u:\b)(?:kommun|region|landsting|stad|länsstyrelsen|förvaltning|municipality|county\s+council|city\s+council)(?-u:\b)"
);
// A unit's name rather than a person's ("Kundtjänst Renhållning",
// "Kontaktcenter"): a name of two capitalised words may be either.
label!(
    UNIT_NAME,
    r"(?i)(?:kundtjänst|kundservice|kontaktcenter|växel|reception|enhet(?:en)?|förvaltning|avdelning|kontor(?:et)?|center|centrum|service|nämnd|kommun|kansli|expedition|byrå|support|helpdesk|office|department|desk)(?-u:\b)"
);
// A title or heading that says what follows are networks or memberships.
label!(
    NETWORK_HEADING,
    r"(?i)(?-u:\b)(?:nätverk|networks?|medlemskap|memberships?|medlem\s+i|organisationer\s+(?:vi|som)|internationella\s+organisationer)"
);
// A heading whose items are not current networks: twin towns, partners,
// cooperation that has ended.
label!(
    NOT_NETWORK_HEADING,
    r"(?i)(?:vänort|vänstäder|vänskapsort|twin\s+towns?|sister\s+cit|partnerstäder|projektpartner|tidigare|avslutade|före\s+detta|former|previous|past\s+)"
);
// Words that organisations have in their names.
label!(
    ORGANISATION_WORD,
    r"(?i)(?-u:\b)(?:union|association|förening|förbund|nätverk|network|forum|council|råd|euroregion|conference|konferens|kommission|commission|organi[sz]ation|partnership|alliance|samverkan|sekretariat|institut|committee|kommitté|federation)"
);
// A paragraph that is a date and nothing else ("Datum: 2010-04-20",
// "2010-04-20 14:05"): a news item's date line, not its text. Not asked of
// table cells or list items, where dates are data.
label!(
    DATE_LINE,
    r"(?i)^(?:(?:(?:datum|date)\s*:?\s*)?[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:\s+(?:kl\.?\s*)?[0-9]{1,2}[:.][0-9]{2})?|(?:datum|date)\s*:?\s*[0-9][^\n]{0,30})$"
);
// "Name (ACR) – text", "Name: text": where a listed organisation's name ends.
label!(LIST_NAME_SEPARATOR, r"\s+[\u{2013}\u{2014}-]\s+|:\s+");
label!(
    NETWORK_TEXT,
    r"(?i)nätverk|network|förening|association|samarbete|medlem|organisation|union|euroregion|forum|council|råd"
);
// A block that is the site's, not the page's text: a line of share/print/
// listen tools, a feedback question, or the newer template's dates
// ("Publicerad 2023-04-05 · Senast uppdaterad 2024-01-10"). Anchored at the
// start: one short look per block.
label!(
    NOT_TEXT,
    concat!(
        r"(?i)^(?:",
        r"(?:(?:dela(?:\s+sidan)?|skriv\s+ut|lyssna|läs\s+upp|tipsa(?:\s+en\s+vän)?|facebook|twitter|linkedin|e-post|share|print|listen)(?:\s*[|·•/-]?\s*|$))+$",
        r"|(?:hittade\s+du\s+(?:det|vad)\s+du\s+(?:letade\s+efter|sökte)|var\s+(?:informationen|sidan|innehållet)\s+(?:till\s+hjälp|användbar|bra)|hjälpte\s+(?:informationen|sidan)\s+dig|did\s+you\s+find\s+what\s+you\s+were\s+looking\s+for|was\s+this\s+page\s+helpful)\s*\??$",
        r"|(?:publicerad|publicerat|published)(?-u:\b)[^\n]{0,40}?[·|•]\s*(?:senast\s+)?(?:uppdaterad|ändrad|updated)",
        // A date line of its own under a news item's title: "Publicerad: 2010-03-01".
        r"|(?:publicerad|publicerat|publiceringsdatum|published)\s*(?:den\s+)?:?\s*[0-9][^\n]{0,30}$",
        r"|(?:du\s+är\s+här|här\s+är\s+du|you\s+are\s+here)\s*:",
        // Bylines and date lines of articles and blog posts.
        r"|(?:av|by|postat\s+av|skrivet\s+av|posted\s+by|written\s+by)\s+\p{Lu}[\p{L}-]+(?:\s+\p{Lu}[\p{L}-]+){0,2}(?:\s+(?:den|on)\s+[^\n]{0,30})?$",
        r"|(?:uppdaterad|updated|senast\s+uppdaterad)\s*:?\s*[0-9][^\n]{0,40}$",
        r"|(?:taggar|tags|kategori|kategorier|categories)\s*:",
        r")"
    )
);
// What follows an article rather than belongs to it, as a heading or a
// short line: teasers, most-read lists, comments ("3 kommentarer"), tags.
// Case-sensitive but for the first letter, without anchors and without a
// leading number: each of those cost the page-wide search its literal
// prefilter (measured 44 µs against 8 µs on a 20 KB page); the caller
// checks where on the line it stands.
label!(
    END_OF_TEXT,
    r"(?:[Ll]äs\s+(?:också|även)|[Mm]est\s+(?:lästa?|read|popular|viewed)|[Ff]ler\s+nyheter|[Aa]ndra\s+nyheter|[Rr]elaterade\s+(?:artiklar|nyheter|sidor|inlägg)|[Rr]elated\s+(?:articles|stories|posts|content)|[Ss]enaste\s+(?:inläggen|nyheterna)|[Kk]ommentar(?:er)?|[Cc]omments?|[Ll]ämna\s+en\s+kommentar|[Ll]eave\s+a\s+(?:reply|comment)|[Tt]aggar\s*:|[Tt]ags\s*:)"
);
label!(
    GENERIC_HEADING,
    r"(?i)^(?:kontakt|läs\s+mer|relaterad|relaterade|dokument|länkar|se\s+även|mer\s+information|nyheter|om\s+oss|dela|skriv\s+ut)"
);
// Street, postal code, town; a town of two words ("Lilla Edet") stays on
// its line, so the label of the next line is not read as part of it.
label!(
    ADDRESS,
    r"^\s*(?:([^,\n]+?)\s*,?\s+)?(?:SE?-\s?)?([0-9]{3}\s?[0-9]{2})\s+([\p{Lu}][\p{L}-]+(?: [\p{Lu}][\p{L}-]+)?)"
);
// A postal code and town anywhere in a line of the footer ("Karlskrona
// kommun, Ronnebygatan 2, 371 83 Karlskrona. Växel: …"), for footers that
// give the address without a "Postadress" label.
label!(
    POSTCODE_TOWN,
    r"(?:^|[,;.]\s*|\s)(?:SE?-\s?)?([0-9]{3}\s?[0-9]{2})\s+([\p{Lu}][\p{L}-]+(?: [\p{Lu}][\p{L}-]+)?)"
);
label!(TITLE_SEPARATOR, r"\s+(?:[-|\u{2013}\u{2014}]|::)\s+");
