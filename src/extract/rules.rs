//! Small text rules of Swedish municipal pages: dates, phone numbers,
//! organisation numbers, acronyms in headings, e-mail addresses.

use regex::Regex;
use std::sync::LazyLock;

use crate::model::Phone;

macro_rules! re {
    ($name:ident, $pattern:expr) => {
        static $name: LazyLock<Regex> =
            LazyLock::new(|| Regex::new($pattern).expect("static regex"));
    };
}

re!(
    ISO_DATE,
    r"(?-u:\b)([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?-u:\b)"
);
re!(
    WORD_DATE,
    r"(?i)(?-u:\b)([0-9]{1,2})\s*(?:e\s+)?([a-zåäö]{3,9})\.?\s+([0-9]{4})(?-u:\b)"
);
// "April 26, 2010", "Apr. 26th 2010": English pages' month first.
re!(
    EN_WORD_DATE,
    r"(?i)(?-u:\b)([a-z]{3,9})\.?\s+([0-9]{1,2})(?:st|nd|rd|th)?,?\s+([0-9]{4})(?-u:\b)"
);
// "26.04.2010": day, month, year.
re!(
    DOT_DATE,
    r"(?-u:\b)([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})(?-u:\b)"
);
re!(
    SLASH_DATE,
    r"(?-u:\b)([0-9]{1,2})/([0-9]{1,2})[\s,/-]+([0-9]{4})(?-u:\b)"
);
re!(
    PHONE,
    r"(?:\+|(?-u:\b))[0-9][[0-9] \u{a0}\-\u{2013}/()]{4,}[0-9](?-u:\b)"
);
re!(
    ORG_NUMBER,
    r"(?-u:\b)([0-9]{6})\s?[-\u{2013}]?\s?([0-9]{4})(?-u:\b)"
);
re!(
    EMAIL,
    r"(?i)(?-u:\b)[a-z0-9][a-z0-9._%+-]*@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,24}(?-u:\b)"
);
re!(
    ACRONYM_COMMA,
    r"^(.+?)\s*[,\u{2013}-]\s*([A-ZÅÄÖ][A-ZÅÄÖ0-9&]{1,9})$"
);
re!(ACRONYM_PAREN, r"^(.+?)\s*\(([A-ZÅÄÖ][A-ZÅÄÖ0-9&]{1,9})\)$");
re!(
    ACRONYM_FIRST,
    r"^([A-ZÅÄÖ][A-ZÅÄÖ0-9&]{1,9})\s+[-\u{2013}:]\s+(.+)$"
);
// "anna.berg(at)karlskrona.se", "anna.berg [at] karlskrona.se",
// "anna.berg at karlskrona dot se", "karin.strom snabel-a karlskrona punkt se".
re!(
    CLOAKED_EMAIL,
    r"(?i)(?-u:\b)([a-z0-9][a-z0-9._%+-]*)\s*(?:[(\[{]\s*(?:at|snabel-?a|@)\s*[)\]}]|\s(?:at|snabel-?a)\s)\s*([a-z0-9-]+(?:\s*(?:\.|[(\[{]\s*(?:dot|punkt)\s*[)\]}]|\s(?:dot|punkt)\s)\s*[a-z0-9-]+)+)"
);
re!(
    CLOAKED_DOT,
    r"(?i)\s*(?:\.|[(\[{]\s*(?:dot|punkt)\s*[)\]}]|\s(?:dot|punkt)\s)\s*"
);
re!(JS_STRING, r#"'((?:[^'\\\n]|\\.)*)'|"((?:[^"\\\n]|\\.)*)""#);

/// Whether a link points at a document rather than a page: PDF, Word,
/// Excel, PowerPoint, OpenDocument or RTF, by the extension of its path.
pub fn is_document(href: &str) -> bool {
    let path = href.split(['?', '#']).next().unwrap_or("");
    let Some((_, ext)) = path.rsplit_once('.') else {
        return false;
    };
    const DOCUMENTS: &[&str] = &[
        "pdf", "doc", "docx", "dot", "xls", "xlsx", "xlsm", "ppt", "pptx", "pps", "ppsx", "odt",
        "ods", "odp", "odg", "rtf",
    ];
    !ext.contains('/') && DOCUMENTS.iter().any(|d| ext.eq_ignore_ascii_case(d))
}

/// Reads a date in any form the old and new karlskrona.se used
/// (`2010-04-26`, `2010-04-26 14:32`, `26 april 2010`, `26 apr. 2010`, `26/4 2010`,
/// `26.04.2010`, and English pages' `April 26, 2010`).
/// `us_order` reads `10/03/2017` as month/day, for English "Last updated" labels.
pub fn parse_date(text: &str, us_order: bool) -> Option<String> {
    let mut found: Vec<(usize, String)> = Vec::new();
    if let Some(c) = ISO_DATE.captures(text)
        && let Some(d) = ymd(&c[1], &c[2], &c[3])
    {
        found.push((c.get(0).map_or(0, |m| m.start()), d));
    }
    for c in WORD_DATE.captures_iter(text) {
        if let Some(month) = month_number(&c[2])
            && let Some(d) = ymd(&c[3], &month.to_string(), &c[1])
        {
            found.push((c.get(0).map_or(0, |m| m.start()), d));
            break;
        }
    }
    for c in EN_WORD_DATE.captures_iter(text) {
        if let Some(month) = month_number(&c[1])
            && let Some(d) = ymd(&c[3], &month.to_string(), &c[2])
        {
            found.push((c.get(0).map_or(0, |m| m.start()), d));
            break;
        }
    }
    if let Some(c) = DOT_DATE.captures(text)
        && let Some(d) = ymd(&c[3], &c[2], &c[1])
    {
        found.push((c.get(0).map_or(0, |m| m.start()), d));
    }
    if let Some(c) = SLASH_DATE.captures(text) {
        let (m, d) = if us_order {
            (&c[1], &c[2])
        } else {
            (&c[2], &c[1])
        };
        if let Some(date) = ymd(&c[3], m, d) {
            found.push((c.get(0).map_or(0, |m| m.start()), date));
        }
    }
    found.into_iter().min_by_key(|(at, _)| *at).map(|(_, d)| d)
}

fn ymd(y: &str, m: &str, d: &str) -> Option<String> {
    let date = jiff::civil::Date::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?).ok()?;
    (1990..=2100)
        .contains(&date.year())
        .then(|| date.to_string())
}

fn month_number(word: &str) -> Option<i8> {
    const MONTHS: [(&str, &str); 12] = [
        ("januari", "january"),
        ("februari", "february"),
        ("mars", "march"),
        ("april", "april"),
        ("maj", "may"),
        ("juni", "june"),
        ("juli", "july"),
        ("augusti", "august"),
        ("september", "september"),
        ("oktober", "october"),
        ("november", "november"),
        ("december", "december"),
    ];
    let w = word.to_lowercase();
    let w = w.trim_end_matches('.');
    let hit = |full: &str| full == w || (w.len() >= 3 && full.starts_with(w));
    MONTHS
        .iter()
        .position(|(sv, en)| hit(sv) || hit(en) || (w == "okt" && *sv == "oktober"))
        .and_then(|i| i8::try_from(i + 1).ok())
}

/// The first phone number in `text`, if any.
pub fn find_phone(text: &str) -> Option<Phone> {
    PHONE.find_iter(text).find_map(|m| phone(m.as_str()))
}

/// A phone number from its display form; `None` when it has too few or too
/// many digits to be one (a year, a postal code, an org number).
pub fn phone(display: &str) -> Option<Phone> {
    let display = display.trim().trim_end_matches(['-', '/', '(']).trim();
    let digits: String = display.chars().filter(char::is_ascii_digit).collect();
    if !(7..=15).contains(&digits.len())
        || ORG_NUMBER.is_match(display) && digits.len() == 10 && !display.starts_with('0')
    {
        return None;
    }
    let e164 = if display.starts_with('+') {
        Some(format!("+{}", digits_without_trunk_zero(&digits)))
    } else if let Some(rest) = digits.strip_prefix("00") {
        Some(format!("+{rest}"))
    } else if let Some(national) = digits.strip_prefix('0') {
        // Swedish numbers: trunk 0, then 7–9 digits.
        (7..=9)
            .contains(&national.len())
            .then(|| format!("+46{national}"))
    } else {
        None
    };
    Some(Phone {
        display: display.to_owned(),
        e164,
    })
}

/// `+46 (0)455 …` is written with the trunk zero in brackets; E.164 drops it.
fn digits_without_trunk_zero(digits: &str) -> String {
    match digits.strip_prefix("460") {
        Some(rest) => format!("46{rest}"),
        None => digits.to_owned(),
    }
}

/// The organisation number after its label, as `NNNNNN-NNNN`.
pub fn find_org_number(text: &str) -> Option<String> {
    ORG_NUMBER
        .captures(text)
        .map(|c| format!("{}-{}", &c[1], &c[2]))
}

/// The Luhn check over the ten digits of a Swedish organisation number.
pub fn luhn_valid(number: &str) -> bool {
    let digits: Vec<u32> = number.chars().filter_map(|c| c.to_digit(10)).collect();
    if digits.len() != 10 {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .enumerate()
        .map(|(i, &d)| {
            let v = if i % 2 == 0 { d * 2 } else { d };
            if v > 9 { v - 9 } else { v }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Splits a network heading into name and acronym:
/// `Euroregion Baltic, ERB`, `Union of the Baltic Cities (UBC)`, `UBC – Union of …`.
pub fn split_acronym(heading: &str) -> (String, Option<String>) {
    for re in [&*ACRONYM_COMMA, &*ACRONYM_PAREN] {
        if let Some(c) = re.captures(heading)
            && is_acronym(&c[2])
            && c[1].chars().any(char::is_lowercase)
        {
            return (c[1].trim().to_owned(), Some(c[2].to_owned()));
        }
    }
    if let Some(c) = ACRONYM_FIRST.captures(heading)
        && is_acronym(&c[1])
    {
        return (c[2].trim().to_owned(), Some(c[1].to_owned()));
    }
    (heading.trim().to_owned(), None)
}

fn is_acronym(s: &str) -> bool {
    s.chars().filter(|c| c.is_uppercase()).count() >= 2
}

/// Every e-mail address in `text`, in order: written plainly, or cloaked
/// against harvesters ("fornamn.efternamn(at)karlskrona.se", "[at]",
/// " at ", "snabel-a", "punkt"/"dot" for the dots), decoded.
pub fn emails(text: &str) -> impl Iterator<Item = String> + '_ {
    let plain = EMAIL.find_iter(text).map(|m| m.as_str().to_lowercase());
    // Looked for only where no address is written plainly: one cloaked
    // form beside a plain one is the same address.
    let cloaked_text = if text.contains('@') { "" } else { text };
    let cloaked = CLOAKED_EMAIL.captures_iter(cloaked_text).filter_map(|c| {
        let domain = CLOAKED_DOT.replace_all(&c[2], ".").to_lowercase();
        let address = format!("{}@{domain}", c[1].to_lowercase());
        EMAIL.is_match(&address).then_some(address)
    });
    plain.chain(cloaked)
}

/// Whether `text` is the placeholder an old cloaking script leaves where it
/// could not write the address (Joomla: "This is an email address").
pub fn is_email_placeholder(text: &str) -> bool {
    let t = text.to_lowercase();
    t.contains("this is an email address")
        || t.contains("this email address is being protected")
        || t.contains("javascript") && (t.contains("e-post") || t.contains("email"))
}

/// The e-mail address a script assembles for `document.write`: the string
/// literals joined, entities decoded, searched for an address. This is how
/// SiteVision and Joomla cloaked addresses from harvesters.
pub fn email_in_script(script: &str) -> Option<String> {
    if !script.contains("document.write") && !script.contains("innerHTML") {
        return None;
    }
    let joined: String = JS_STRING
        .captures_iter(script)
        .filter_map(|c| c.get(1).or_else(|| c.get(2)))
        .map(|m| {
            m.as_str()
                .replace("\\'", "'")
                .replace("\\\"", "\"")
                .replace("\\/", "/")
        })
        .collect();
    let decoded = decode_entities(&joined);
    if let Some(at) = decoded.find("mailto:") {
        let rest = &decoded[at + "mailto:".len()..];
        if let Some(e) = emails(rest).next() {
            return Some(e);
        }
    }
    emails(&decoded).next()
}

/// Numeric character references and the few named ones cloaking scripts use.
fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let Some(semi) = rest.find(';').filter(|&i| i <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..semi];
        let c = if let Some(hex) = entity
            .strip_prefix("#x")
            .or_else(|| entity.strip_prefix("#X"))
        {
            u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)
        } else if let Some(dec) = entity.strip_prefix('#') {
            dec.parse().ok().and_then(char::from_u32)
        } else {
            match entity {
                "amp" => Some('&'),
                "commat" => Some('@'),
                "period" => Some('.'),
                _ => None,
            }
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_every_form() {
        for (text, want) in [
            ("2010-04-26", "2010-04-26"),
            ("2010-04-26 14:32", "2010-04-26"),
            ("26 april 2010", "2010-04-26"),
            ("26 apr. 2010", "2010-04-26"),
            ("26 Apr 2010", "2010-04-26"),
            ("15 mars 2011", "2011-03-15"),
            ("3 okt. 2012", "2012-10-03"),
            ("26/4 2010", "2010-04-26"),
            ("den 1 december 2009 kl 10.00", "2009-12-01"),
            ("26.04.2010", "2010-04-26"),
            ("April 26, 2010", "2010-04-26"),
            ("Apr. 26th 2010 at 10:00", "2010-04-26"),
        ] {
            assert_eq!(parse_date(text, false).as_deref(), Some(want), "{text}");
        }
        assert_eq!(
            parse_date("10/03/2017 - 08:59", true).as_deref(),
            Some("2017-10-03")
        );
        for bad in [
            "2010-13-40",
            "31 februari 2010",
            "igår",
            "26 foo 2010",
            "Ring 12 2010",
            "40.13.2010",
        ] {
            assert_eq!(parse_date(bad, false), None, "{bad}");
        }
    }

    #[test]
    fn phones() {
        let p = phone("0455-30 30 27").expect("phone");
        assert_eq!(
            (p.display.as_str(), p.e164.as_deref()),
            ("0455-30 30 27", Some("+46455303027"))
        );
        assert_eq!(
            phone("+46 (0)455 30 30 00").and_then(|p| p.e164).as_deref(),
            Some("+46455303000")
        );
        assert_eq!(
            phone("08-508 290 00").and_then(|p| p.e164).as_deref(),
            Some("+46850829000")
        );
        assert_eq!(
            phone("0046 455 30 30 00").and_then(|p| p.e164).as_deref(),
            Some("+46455303000")
        );
        assert!(phone("371 83").is_none());
        assert_eq!(
            find_phone("Tfn 0455-30 30 00, Fax")
                .map(|p| p.display)
                .as_deref(),
            Some("0455-30 30 00")
        );
        assert!(find_phone("Box 79, 371 21 Karlskrona").is_none());
    }

    #[test]
    fn org_numbers() {
        assert_eq!(
            find_org_number("organisationsnummer 212000-0829,").as_deref(),
            Some("212000-0829")
        );
        assert_eq!(
            find_org_number("orgnr 2120000829").as_deref(),
            Some("212000-0829")
        );
        assert!(luhn_valid("212000-0829"));
        assert!(!luhn_valid("212000-0828"));
        assert!(!luhn_valid("21200-0829"));
    }

    #[test]
    fn acronyms() {
        let s = |h: &str| split_acronym(h);
        assert_eq!(
            s("Euroregion Baltic, ERB"),
            ("Euroregion Baltic".into(), Some("ERB".into()))
        );
        assert_eq!(
            s("Union of the Baltic Cities (UBC)"),
            ("Union of the Baltic Cities".into(), Some("UBC".into()))
        );
        assert_eq!(
            s("CPMR – Conference of Peripheral Maritime Regions"),
            (
                "Conference of Peripheral Maritime Regions".into(),
                Some("CPMR".into())
            )
        );
        assert_eq!(s("Baltic Sail"), ("Baltic Sail".into(), None));
        assert_eq!(
            s("Baltic Link Association"),
            ("Baltic Link Association".into(), None)
        );
        assert_eq!(s("Kontakt, Kommun"), ("Kontakt, Kommun".into(), None));
    }

    #[test]
    fn cloaked_email() {
        let script = r#"var prefix = '&#109;a' + 'i&#108;' + '&#116;o';
 var path = 'hr' + 'ef' + '=';
 var addy1 = 'kommunen' + '&#64;';
 addy1 = addy1 + 'karlskrona' + '&#46;' + 'se';
 document.write( '<a ' + path + '\'' + prefix + ':' + addy1 + '\'>' );"#;
        assert_eq!(
            email_in_script(script).as_deref(),
            Some("kommunen@karlskrona.se")
        );
        assert_eq!(email_in_script("var x = 1;"), None);
    }
}
