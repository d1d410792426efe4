//! People named in the page's text rather than in a contact box: a staff
//! table, a sentence "Kontakta Gustav Lindahl på telefon …", a line
//! "Per Nilsson, bygglovshandläggare, 0455-30 31 11".

use super::{
    is_fax_line, is_personal_name, is_phone_line, labelled_name, name_and_role, push_unique,
};
use crate::extract::blocks::Block;
use crate::extract::{labels, rules};
use crate::model::{Contact, Phone};

/// People named in the page's text rather than in a contact box: a staff
/// table, a sentence "Kontakta Gustav Lindahl på telefon …", a line
/// "Per Nilsson, bygglovshandläggare, 0455-30 31 11".
pub fn contacts_in_text(content: &[&Block]) -> Vec<Contact> {
    let mut out = table_contacts(content);
    out.extend(stacked_contacts(content));
    for block in content
        .iter()
        .filter(|b| b.cell.is_none() && b.heading.is_none())
    {
        // Both forms need a phone number or an address: a line without a
        // digit or an at-sign (plain or cloaked) is not looked at further.
        let may_reach = |l: &str| {
            l.bytes().any(|b| b.is_ascii_digit() || b == b'@')
                || l.contains("(at)")
                || l.contains("[at]")
        };
        for line in block.lines.iter().filter(|l| may_reach(l)) {
            if let Some(c) = contact_sentence(line) {
                out.push(c);
                out.extend(also_named(line));
            } else if let Some(c) = contact_line(line) {
                out.push(c);
            }
        }
    }
    out
}

/// Lines below a name read as that person's, at most.
const STACKED_LINES_MAX: usize = 5;
/// Longest line taken for an address or a role under a name.
const STACKED_LINE_MAX_BYTES: usize = 80;

/// A person set out line by line outside a contact box, as a definition
/// list or a paragraph with line breaks does it: "Jonas Ek, avfallsingenjör"
/// (or the name, then the role on a line of its own), then "Telefon: …",
/// "Mobil: …", "E-post: …". A name is someone to contact only when a
/// number we can dial or an address follows; a unit's name ("Kundtjänst
/// Renhållning") or a place ("San Juan, PR 00918") above a number is no
/// person.
fn stacked_contacts(content: &[&Block]) -> Vec<Contact> {
    let lines: Vec<&str> = content
        .iter()
        .filter(|b| b.heading.is_none() && b.cell.is_none())
        .flat_map(|b| b.lines.iter().map(String::as_str))
        .collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        // Most lines are body text: a name line is short and capitalised.
        if line.len() > STACKED_LINE_MAX_BYTES || !line.starts_with(char::is_uppercase) {
            i += 1;
            continue;
        }
        let (name, role) = name_and_role(line);
        let wordy = |s: &Option<String>| {
            s.as_deref()
                .is_none_or(|r| !r.contains(|ch: char| ch.is_ascii_digit()))
        };
        if !is_personal_name(&name) || labels::UNIT_NAME.is_match(&name) || !wordy(&role) {
            i += 1;
            continue;
        }
        let mut c = Contact::named(name, role);
        let mut j = i + 1;
        while let Some(&l) = lines.get(j).filter(|_| j - i <= STACKED_LINES_MAX) {
            let reached = !c.phones.is_empty() || !c.emails.is_empty();
            let emails: Vec<String> = rules::emails(l).collect();
            if is_fax_line(l) {
                // Read, not dialled.
            } else if let Some(phone) = is_phone_line(l).filter(|p| p.e164.is_some()) {
                if !c.phones.contains(&phone) {
                    c.phones.push(phone);
                }
            } else if !emails.is_empty() && l.len() <= STACKED_LINE_MAX_BYTES {
                push_unique(&mut c.emails, emails);
            } else if !reached
                && c.role.is_none()
                && l.len() <= STACKED_LINE_MAX_BYTES
                && !is_personal_name(l)
                && !l.contains(|ch: char| ch.is_ascii_digit() || ch == '@' || ch == ':')
                && !l.ends_with(['.', '!', '?'])
            {
                c.role = Some(l.to_owned());
            } else {
                break;
            }
            j += 1;
        }
        if c.phones.is_empty() && c.emails.is_empty() {
            i += 1;
        } else {
            out.push(c);
            i = j;
        }
    }
    out
}

/// Adds `more` to `people`, merging a person named twice (by name, case-blind).
pub fn merge(people: &mut Vec<Contact>, more: Vec<Contact>) {
    for c in more {
        match people
            .iter_mut()
            .find(|p| p.name.to_lowercase() == c.name.to_lowercase())
        {
            Some(p) => {
                if p.role.is_none() {
                    p.role = c.role;
                }
                for phone in c.phones {
                    if !p.phones.contains(&phone) {
                        p.phones.push(phone);
                    }
                }
                push_unique(&mut p.emails, c.emails);
            }
            None => people.push(c),
        }
    }
}

/// "Kontakta Gustav Lindahl[, miljöstrateg,] på telefon 0455-30 31 12 eller
/// e-post …": a person asked to be contacted, with what the sentence gives.
fn contact_sentence(line: &str) -> Option<Contact> {
    let c = labels::CONTACT_SENTENCE.captures(line)?;
    let name = c.get(1)?.as_str().trim();
    if !is_personal_name(name) {
        return None;
    }
    let after = &line[c.get(0)?.end()..];
    // The sentence ends at a full stop followed by a new sentence; when it
    // gives no number or address, the next one may ("Du når henne på …").
    let ends: Vec<usize> = sentence_ends(after).take(2).collect();
    let first = ends.first().map_or(after, |&i| &after[..i]);
    let reaches = |s: &str| rules::find_phone(s).is_some() || rules::emails(s).next().is_some();
    let sentence = if reaches(first) {
        first
    } else {
        ends.get(1).map_or(after, |&i| &after[..i])
    };
    let role = c
        .get(2)
        .map(|m| m.as_str().trim().to_owned())
        .filter(|r| !r.is_empty());
    let phones: Vec<Phone> = rules::find_phone(sentence).into_iter().collect();
    let emails: Vec<String> = rules::emails(sentence).collect();
    (!phones.is_empty() || !emails.is_empty()).then(|| Contact {
        name: name.to_owned(),
        role,
        phones,
        emails,
    })
}

/// Where sentences in `text` end: at each full stop followed by a space
/// and a capital.
fn sentence_ends(text: &str) -> impl Iterator<Item = usize> + '_ {
    text.match_indices(". ")
        .filter(|(i, _)| text[i + 2..].starts_with(char::is_uppercase))
        .map(|(i, _)| i)
}

/// The others a contact sentence names after its first person: "Kontakta
/// Anna Berg, 0455-30 35 10, eller Per Ek, 0455-30 35 11." Each with the
/// number or address that follows the name, up to the next name or the
/// sentence's end.
fn also_named(line: &str) -> Vec<Contact> {
    let Some(first) = labels::CONTACT_SENTENCE.find(line) else {
        return Vec::new();
    };
    let rest = &line[first.end()..];
    let sentence = &rest[..sentence_ends(rest).next().unwrap_or(rest.len())];
    let found: Vec<regex::Captures<'_>> = labels::ALSO_CONTACT.captures_iter(sentence).collect();
    let mut out = Vec::new();
    for (k, c) in found.iter().enumerate() {
        let (Some(all), Some(name)) = (c.get(0), c.get(1)) else {
            continue;
        };
        if !is_personal_name(name.as_str()) {
            continue;
        }
        let until = found
            .get(k + 1)
            .and_then(|n| n.get(0))
            .map_or(sentence.len(), |m| m.start());
        let theirs = &sentence[all.end()..until];
        let phones: Vec<Phone> = rules::find_phone(theirs).into_iter().collect();
        let emails: Vec<String> = rules::emails(theirs).collect();
        if phones.is_empty() && emails.is_empty() {
            continue;
        }
        out.push(Contact {
            name: name.as_str().to_owned(),
            role: c
                .get(2)
                .map(|m| m.as_str().trim().to_owned())
                .filter(|r| !r.is_empty()),
            phones,
            emails,
        });
    }
    out
}

/// "Per Nilsson, bygglovshandläggare, 0455-30 31 11": a line that is a
/// person's name, perhaps a role, and a phone number or an address.
fn contact_line(line: &str) -> Option<Contact> {
    let parts: Vec<&str> = line.split(", ").map(str::trim).collect();
    if !(2..=4).contains(&parts.len()) || line.len() > 160 {
        return None;
    }
    // "Per Nilsson, …", or the role first: "Projektledare: Ina Holm, …".
    let (name, role) = if is_personal_name(parts[0]) {
        (parts[0].to_owned(), None)
    } else {
        labelled_name(parts[0])?
    };
    let mut contact = Contact::named(name, role);
    for part in &parts[1..] {
        let part = part.trim_end_matches('.');
        let emails: Vec<String> = rules::emails(part).collect();
        if !emails.is_empty() {
            push_unique(&mut contact.emails, emails);
        } else if is_fax_line(part) {
            // A fax number is no way to call.
        } else if let Some(phone) = is_phone_line(part) {
            contact.phones.push(phone);
        } else if contact.role.is_none() && !part.chars().any(|c| c.is_ascii_digit()) {
            contact.role = Some(part.to_owned());
        } else {
            return None;
        }
    }
    (!contact.phones.is_empty() || !contact.emails.is_empty()).then_some(contact)
}

/// What a column of a staff table holds, by its header; also what a
/// labelled line of a contact box gives ("Namn: …", "Titel: …").
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Column {
    Name,
    Role,
    Phone,
    Email,
    Other,
}

pub(super) fn column(header: &str) -> Column {
    let h = header.trim().trim_end_matches(':').to_lowercase();
    match h.as_str() {
        "namn" | "name" | "kontaktperson" | "handläggare" => Column::Name,
        "befattning" | "titel" | "roll" | "title" | "role" | "funktion" | "tjänst" => Column::Role,
        "telefon" | "tfn" | "tel" | "tel." | "phone" | "telefonnummer" | "direkt" | "mobil" => {
            Column::Phone
        }
        "e-post" | "epost" | "e-mail" | "email" | "mejl" | "e-postadress" => Column::Email,
        _ => Column::Other,
    }
}

/// Runs of blocks of one table row: (row, start, end).
fn rows(content: &[&Block]) -> Vec<(u32, usize, usize)> {
    let mut rows: Vec<(u32, usize, usize)> = Vec::new();
    for (i, b) in content.iter().enumerate() {
        match (b.cell.map(|(row, _, _)| row), rows.last_mut()) {
            (Some(r), Some(last)) if last.0 == r && last.2 == i => last.2 = i + 1,
            (Some(r), _) => rows.push((r, i, i + 1)),
            (None, _) => {}
        }
    }
    rows
}

/// The rows of `content` that are staff tables' header rows: their cells
/// are column names ("E-post" too, which elsewhere is a share button).
pub fn staff_header_rows(content: &[&Block]) -> std::collections::HashSet<u32> {
    rows(content)
        .into_iter()
        .filter(|&(_, start, end)| staff_header(content[start..end].iter().copied()).is_some())
        .map(|(row, _, _)| row)
        .collect()
}

/// The columns a staff table's header row names, when `cells` (one row's
/// blocks) are one: a name column and a phone or e-mail column.
fn staff_header<'b>(cells: impl Iterator<Item = &'b Block>) -> Option<Vec<(u16, Column)>> {
    let header: Vec<(u16, Column)> = cells
        .filter_map(|b| Some((b.cell?.1, column(&b.text()))))
        .collect();
    let has = |c: Column| header.iter().any(|(_, h)| *h == c);
    (has(Column::Name) && (has(Column::Phone) || has(Column::Email))).then_some(header)
}

/// Whether `blocks` start with a staff table's header row: a contact box
/// ends there, and the table is read one person per row.
pub fn opens_staff_table(blocks: &[Block]) -> bool {
    let Some((row, _, _)) = blocks.first().and_then(|b| b.cell) else {
        return false;
    };
    staff_header(
        blocks
            .iter()
            .take_while(|b| b.cell.is_some_and(|(r, _, _)| r == row)),
    )
    .is_some()
}

/// A table whose header row names its columns Namn / Befattning / Telefon /
/// E-post (or their English words): one person per row after it.
fn table_contacts(content: &[&Block]) -> Vec<Contact> {
    let mut out = Vec::new();
    let mut columns: Option<(Vec<(u16, Column)>, usize)> = None; // header, end of its run
    for (_, start, end) in rows(content) {
        let cells: Vec<(u16, &Block)> = content[start..end]
            .iter()
            .filter_map(|b| Some((b.cell?.1, *b)))
            .collect();
        if let Some(header) = staff_header(cells.iter().map(|(_, b)| *b)) {
            columns = Some((header, end));
            continue;
        }
        // A data row belongs to the header only when it follows it directly.
        let Some((header, header_end)) = &columns else {
            continue;
        };
        if *header_end != start {
            columns = None;
            continue;
        }
        let mut contact = Contact::named(String::new(), None);
        for (col, b) in &cells {
            let kind = header
                .iter()
                .find(|(c, _)| c == col)
                .map_or(Column::Other, |(_, k)| *k);
            let text = b.text();
            match kind {
                Column::Name => contact.name = text,
                Column::Role => contact.role = Some(text).filter(|t| !t.is_empty()),
                Column::Phone => contact.phones.extend(rules::find_phone(&text)),
                Column::Email => {
                    let linked = b
                        .links
                        .iter()
                        .flat_map(|l| rules::emails(&l.href).collect::<Vec<_>>());
                    push_unique(
                        &mut contact.emails,
                        rules::emails(&text).chain(linked).collect(),
                    );
                }
                Column::Other => {}
            }
        }
        columns = Some((header.clone(), end));
        if !contact.name.is_empty() {
            out.push(contact);
        }
    }
    out
}
