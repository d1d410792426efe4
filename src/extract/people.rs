//! Contact persons ("För mer information kontakta") and the organisation's
//! footer block ("Postadress: …, organisationsnummer …, Tfn …").

mod text;
use text::{Column, column, opens_staff_table};
pub use text::{contacts_in_text, merge, staff_header_rows};

use super::blocks::{Block, PageLines};
use super::labels;
use super::rules;
use crate::model::{Address, Contact, Organisation, Phone};

/// Blocks after a contact label that can still belong to the contact box.
const CONTACT_BLOCKS_MAX: usize = 12;
/// Blocks of the address footer read after the one with "Postadress".
const FOOTER_BLOCKS_MAX: usize = 4;
/// Longest line of the footer's name, address and phone set above its labels.
const FOOTER_LINE_MAX_BYTES: usize = 80;

/// Index of the block that opens the contact box, if any. A page titled
/// "Kontakta oss" has its title as a label too: a label below it wins.
pub fn contact_label_index(blocks: &[Block]) -> Option<usize> {
    blocks
        .iter()
        .position(|b| b.heading != Some(1) && is_contact_label(b))
        .or_else(|| blocks.iter().position(is_contact_label))
}

/// The page's contact box: the first label under which persons are read
/// (a heading such as "Kontakt med kommunen" above the real box names no
/// one), else the first label, with its box empty.
pub fn contact_box(lines: &PageLines) -> Option<(usize, ContactBox)> {
    let blocks = lines.blocks();
    let first = contact_label_index(blocks)?;
    let found = (first..blocks.len())
        .filter(|&i| blocks[i].heading != Some(1) && is_contact_label(&blocks[i]))
        .map(|i| (i, contacts(lines, i)))
        .find(|(_, b)| !b.people.is_empty());
    found.or_else(|| Some((first, contacts(lines, first))))
}

/// Contact boxes after the first one's end (`after`) that name someone:
/// a "Sidansvarig:" line below the text, a second "Kontakt" box.
pub fn later_boxes<'p>(
    lines: &'p PageLines,
    after: Option<usize>,
) -> impl Iterator<Item = (usize, ContactBox)> + 'p {
    let blocks = lines.blocks();
    let from = after.unwrap_or(blocks.len());
    (from..blocks.len())
        .filter(|&i| blocks[i].heading != Some(1) && is_contact_label(&blocks[i]))
        .map(|i| (i, contacts(lines, i)))
        .filter(|(_, b)| !b.people.is_empty())
}

pub fn is_contact_label(b: &Block) -> bool {
    let first = &b.lines[0];
    let Some(m) = labels::CONTACT.find(first) else {
        return false;
    };
    // A heading, or a label standing on its own line ("Kontakt:" then names).
    b.heading.is_some() || m.end() == first.len() || first[..m.end()].trim_end().ends_with(':')
}

/// The first block from `from` on that ends a run of content: another
/// contact box, the address footer, "Länk till sidan" or a line opening with
/// "Sidan uppdaterad". `blocks.len()` when none does.
pub fn content_end(lines: &PageLines, from: usize) -> usize {
    let blocks = lines.blocks();
    let contact = blocks
        .get(from..)
        .and_then(|rest| rest.iter().position(is_contact_label))
        .map(|p| p + from);
    [
        contact,
        footer_block(lines, from).map(|f| footer_start(blocks, f).max(from)),
        lines.first_block(&labels::PAGE_LINK, from),
        lines.first_block(&labels::UPDATED_AT_START, from),
        end_of_text(lines, from),
    ]
    .into_iter()
    .flatten()
    .min()
    .unwrap_or(blocks.len())
}

/// The first heading (or short line of its own) from `from` on that opens
/// what follows an article rather than the article: "Läs också", "Mest
/// läst", "Fler nyheter", "Relaterade artiklar", "3 kommentarer", "Taggar".
fn end_of_text(lines: &PageLines, from: usize) -> Option<usize> {
    let blocks = lines.blocks();
    lines
        .hits_from(&labels::END_OF_TEXT, from)
        .find(|&(k, b)| {
            let block = &blocks[b];
            let Some(line) = lines.line(k) else {
                return false;
            };
            let Some(m) = labels::END_OF_TEXT.find(line) else {
                return false;
            };
            // At the line's start, or after a count ("3 kommentarer"); a
            // heading "Kommentarer till detaljplanen" is the page's own.
            let counted = line[..m.start()].trim().chars().all(|c| c.is_ascii_digit());
            let word = m.as_str().to_lowercase();
            let comments = word.starts_with("komment") || word.starts_with("comment");
            let rest = line[m.end()..].trim();
            let short = block.lines.len() == 1 && block.lines[0].chars().count() <= 40;
            counted
                && (!comments || rest.is_empty() || rest == ":")
                && (block.heading.is_some() || short)
        })
        .map(|(_, b)| b)
}

fn starts_with_updated(line: &str) -> bool {
    labels::UPDATED_AT_START.is_match(line)
}

/// A contact box: its persons, and the block after its last one.
pub struct ContactBox {
    pub people: Vec<Contact>,
    pub end: usize,
    /// What could not be read, for the page's warnings.
    pub notes: Vec<String>,
}

/// The persons in the contact box that starts at `start`. The box ends at a
/// heading, at what ends content, or at a block that names no one once
/// someone has been named (the page's text resuming after an aside).
pub fn contacts(lines: &PageLines, start: usize) -> ContactBox {
    let mut people: Vec<Contact> = Vec::new();
    let mut current: Option<Contact> = None;
    let mut notes = Vec::new();
    let end = content_end(lines, start + 1);
    let blocks = lines.blocks().get(start..end).unwrap_or_default();
    let mut box_end = start + 1;
    for (i, block) in blocks.iter().take(CONTACT_BLOCKS_MAX + 1).enumerate() {
        let mut lines: Vec<&str> = block.lines.iter().map(String::as_str).collect();
        if i == 0 {
            // The label itself; text after it on the same line is a contact line.
            let first = lines.remove(0);
            let rest = labels::CONTACT
                .find(first)
                .map_or("", |m| &first[m.end()..]);
            if !rest.trim().is_empty() {
                lines.insert(0, rest);
            }
        } else if block.heading.is_some() || opens_staff_table(&blocks[i..]) {
            break;
        }
        let named_before = current.is_some();
        let mut used = false;
        for line in lines {
            for part in split_contact_line(line) {
                used |= read_contact_part(part, block, &mut current, &mut people, &mut notes);
            }
        }
        if used {
            box_end = start + i + 1;
        } else if named_before {
            break;
        }
    }
    people.extend(current);
    // Someone to contact has a way to be reached or a person's name: a
    // menu under "Contact us" ("Energy.gov Resources", then its links) is
    // neither.
    people.retain(|c| !c.phones.is_empty() || !c.emails.is_empty() || is_personal_name(&c.name));
    ContactBox {
        people,
        end: box_end,
        notes,
    }
}

/// "Tore Almlöf, tfn 0455-30 30 27" holds several facts on one line; a plain
/// role with a comma in it ("Chef, kommunledningen") does not.
fn split_contact_line(line: &str) -> Vec<&str> {
    let parts: Vec<&str> = line
        .split(", ")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let has_fact = parts
        .iter()
        .any(|p| rules::emails(p).next().is_some() || is_phone_line(p).is_some());
    if parts.len() > 1 && has_fact {
        parts
    } else {
        vec![line]
    }
}

/// Reads one fact of a contact box into `current`; false when the part is
/// text that names no one (a sentence).
fn read_contact_part(
    part: &str,
    block: &Block,
    current: &mut Option<Contact>,
    people: &mut Vec<Contact>,
    notes: &mut Vec<String>,
) -> bool {
    // "Namn: Anna Berg", "Titel: …": the label says what the value is; a
    // label alone ("Telefon:" in a cell, its value in the next) is read past.
    if let Some((label, value)) = part.split_once(':') {
        let value = value.trim();
        match column(label) {
            Column::Name if !value.is_empty() => {
                begin(people, current, Contact::named(value.to_owned(), None));
                return true;
            }
            Column::Role if !value.is_empty() => {
                if let Some(c) = current.as_mut() {
                    c.role = Some(value.to_owned());
                }
                return true;
            }
            Column::Name | Column::Role | Column::Phone if value.is_empty() => return true,
            Column::Email if value.is_empty() && block.cell.is_some() => return true,
            _ => {}
        }
    }
    // "Projektledare: Ina Holm": the role first, then the person.
    if let Some((name, role)) = labelled_name(part) {
        begin(people, current, Contact::named(name, role));
        return true;
    }
    let mut written: Vec<String> = rules::emails(part).collect();
    // "E-post: This is an email address": a script was to write the
    // address. It is read from the script when the script holds it; the
    // placeholder text is never taken for an address or a name.
    let email_line = labels::EMAIL_LINE.is_match(part);
    if written.is_empty() && (email_line || rules::is_email_placeholder(part)) {
        if let Some(e) = rules::email_in_script(&block.scripts) {
            written.push(e);
        } else if let Some(c) = current.as_ref() {
            notes.push(format!(
                "the e-mail address of {} is hidden (written by a script, or a placeholder: \"{part}\"); not read",
                c.name
            ));
            return true;
        }
    }
    if !written.is_empty() {
        if let Some(c) = current.as_mut() {
            push_unique(&mut c.emails, written);
        }
        return true;
    }
    if is_fax_line(part) {
        return true;
    }
    if let Some(phone) = is_phone_line(part) {
        if let Some(c) = current.as_mut()
            && !c.phones.contains(&phone)
        {
            c.phones.push(phone);
        }
        return true;
    }
    // A name linked to its address: the address is only in the href.
    let linked: Vec<String> = block
        .links
        .iter()
        .filter(|l| l.text == part && l.href.to_ascii_lowercase().starts_with("mailto:"))
        .flat_map(|l| rules::emails(&l.href).collect::<Vec<_>>())
        .collect();
    // "Skicka e-post", "Mejla", linked to an address: the address of the
    // person above when they have none yet, not a person of its own.
    if !linked.is_empty()
        && !is_personal_name(part)
        && let Some(c) = current.as_mut().filter(|c| c.emails.is_empty())
    {
        push_unique(&mut c.emails, linked);
        return true;
    }
    // A text line: a new person once the current one has been given a way to reach them.
    let starts_new = current
        .as_ref()
        .is_none_or(|c| !c.phones.is_empty() || !c.emails.is_empty());
    if starts_new {
        if !looks_like_name(part) {
            // A sentence between the label and the people ("Ring oss gärna.").
            return false;
        }
        let (name, role) = name_and_role(part);
        let mut next = Contact::named(name, role);
        next.emails = linked;
        begin(people, current, next);
    } else if let Some(c) = current.as_mut() {
        c.role = Some(match c.role.take() {
            Some(role) => format!("{role}, {part}"),
            None => part.to_owned(),
        });
        push_unique(&mut c.emails, linked);
    }
    true
}

/// The person read so far is done; `next` is read from here on.
fn begin(people: &mut Vec<Contact>, current: &mut Option<Contact>, next: Contact) {
    people.extend(current.replace(next));
}

/// "Projektledare: Ina Holm" → the person and the role the label gives;
/// "Kontaktperson: Ina Holm" gives no role. The label is a few words
/// without digits, and what follows it a person's name.
fn labelled_name(line: &str) -> Option<(String, Option<String>)> {
    const LABEL_WORDS_MAX: usize = 3;
    let (label, value) = line.split_once(':')?;
    let label = label.trim();
    let value = value.trim();
    if label.is_empty()
        || label.split_whitespace().count() > LABEL_WORDS_MAX
        || label.contains(|c: char| c.is_ascii_digit())
        || !is_personal_name(value)
        || labels::UNIT_NAME.is_match(value)
    {
        return None;
    }
    let contact_word = labels::CONTACT
        .find(label)
        .is_some_and(|m| m.end() == label.len())
        || column(label) == Column::Name;
    Some((value.to_owned(), (!contact_word).then(|| label.to_owned())))
}

/// "Maria Svensson, welcome coordinator" → the name, and the role after
/// the comma; a line that does not start with a person's name stays whole
/// ("Chef, kommunledningen" is a unit).
fn name_and_role(line: &str) -> (String, Option<String>) {
    if let Some((name, role)) = line.split_once(", ")
        && is_personal_name(name)
        && !role.trim().is_empty()
    {
        return (name.trim().to_owned(), Some(role.trim().to_owned()));
    }
    (line.to_owned(), None)
}

/// Two to four words, each capitalised ("Anna Berg", "Per-Olof af Ekström"
/// allows a lower-case particle between capitalised words).
pub fn is_personal_name(text: &str) -> bool {
    // Asked of every line of a page: no allocation, and a long paragraph
    // is turned down at its fifth word.
    let capitalised = |w: &str| w.chars().next().is_some_and(char::is_uppercase);
    let mut count = 0;
    let mut last = "";
    for w in text.split_whitespace() {
        count += 1;
        let fits = (count > 1 || capitalised(w))
            && (capitalised(w) || matches!(w, "af" | "von" | "van" | "de" | "la"))
            && w.chars()
                .all(|c| c.is_alphabetic() || c == '-' || c == '\'');
        if count > 4 || !fits {
            return false;
        }
        last = w;
    }
    count >= 2 && capitalised(last)
}

/// A person's (or a unit's) name: a few words, no digits, not a sentence.
fn looks_like_name(text: &str) -> bool {
    let words = text.split_whitespace().count();
    (1..=6).contains(&words)
        && !text.chars().any(|c| c.is_ascii_digit())
        && !text.ends_with(['.', '!', '?', ':'])
        && text.chars().next().is_some_and(char::is_uppercase)
}

fn push_unique(into: &mut Vec<String>, new: Vec<String>) {
    for e in new {
        if !into.contains(&e) {
            into.push(e);
        }
    }
}

/// A fax number ("Fax 0455-30 30 99", "Telefax: …"): read as a line of
/// the contact, never as a number to call.
fn is_fax_line(line: &str) -> bool {
    labels::FAX
        .find(line.trim_start())
        .is_some_and(|m| m.start() == 0)
        && rules::find_phone(line).is_some()
}

/// A line that is a phone number, possibly labelled ("Tfn 0455-30 34 56").
fn is_phone_line(line: &str) -> Option<Phone> {
    let phone = rules::find_phone(line)?;
    let rest = line.replacen(&phone.display, "", 1);
    let rest = labels::PHONE.replace_all(&rest, "");
    let rest = labels::FAX.replace_all(&rest, "");
    let letters = rest.chars().filter(|c| c.is_alphabetic()).count();
    (letters <= 6).then_some(phone)
}

/// Where the address footer begins, given `labelled`, its first block with a
/// footer label: the newer template sets the name and postal address
/// ("Karlskrona kommun" / "371 83 Karlskrona") and the phone above the
/// labelled lines, in short blocks of their own. Walks back over at most a
/// few such blocks: each line an address, the organisation's name or a
/// "Label: value" line; a heading or anything else (a person's name, body
/// text) ends the walk.
fn footer_start(blocks: &[Block], labelled: usize) -> usize {
    let is_footer_line = |l: &String| {
        l.len() <= FOOTER_LINE_MAX_BYTES
            && (labels::ADDRESS.is_match(l)
                || (labels::ORG_NAME.is_match(l) && l.len() <= 60 && !l.contains(':'))
                || l.split_once(':').is_some_and(|(label, value)| {
                    !value.trim().is_empty()
                        && (labels::PHONE.is_match(label)
                            || labels::FAX.is_match(label)
                            || labels::EMAIL.is_match(label)
                            || labels::FOOTER.is_match(label))
                }))
    };
    let mut start = labelled;
    while start > 0 && labelled - start < FOOTER_BLOCKS_MAX {
        let b = &blocks[start - 1];
        if b.heading.is_some() || b.lines.len() > 3 || !b.lines.iter().all(is_footer_line) {
            break;
        }
        start -= 1;
    }
    start
}

/// The organisation block: the first block naming a postal address or an
/// organisation number, the short blocks of name, address and phone just
/// above it, and the few after it.
pub fn organisation(lines: &PageLines, title_tag: Option<&str>) -> Option<Organisation> {
    let blocks = lines.blocks();
    let labelled = footer_block(lines, 0).or_else(|| unlabelled_footer(blocks))?;
    let start = footer_start(blocks, labelled);
    let footer: Vec<&Block> = blocks[start..]
        .iter()
        .take(FOOTER_BLOCKS_MAX + labelled - start)
        .take_while(|b| {
            !b.lines.iter().any(|l| {
                footer_parts(l).count() < 2
                    && (starts_with_updated(l) || labels::PAGE_LINK.is_match(l))
            })
        })
        .collect();
    // A footer on one line may open with the page's date ("Sidan
    // uppdaterad … | Karlskrona kommun | …"): that part is not the footer's.
    let text = footer
        .iter()
        .flat_map(|b| b.lines.iter())
        .map(|l| {
            if footer_parts(l).count() < 2 {
                return l.clone();
            }
            footer_parts(l)
                .filter(|p| !starts_with_updated(p) && !labels::PAGE_LINK.is_match(p))
                .collect::<Vec<_>>()
                .join(" | ")
        })
        .collect::<Vec<_>>()
        .join("\n");

    let org_number = after(&labels::ORG_NUMBER, &text, 30).and_then(rules::find_org_number);
    let email = footer
        .iter()
        .flat_map(|b| &b.links)
        .find(|l| l.href.to_ascii_lowercase().starts_with("mailto:"))
        .and_then(|l| rules::emails(&l.href).next())
        .or_else(|| rules::emails(&text).next())
        .or_else(|| {
            footer
                .iter()
                .find_map(|b| rules::email_in_script(&b.scripts))
        });
    let name = footer_name(&blocks[..start], &text).or_else(|| title_tag.and_then(name_from_title));
    Some(Organisation {
        name,
        org_number_valid: org_number.as_deref().map(rules::luhn_valid),
        org_number,
        postal_address: after(&labels::POSTAL, &text, 120)
            .and_then(address)
            .or_else(|| unlabelled_address(blocks[..start].last(), &footer)),
        invoice_address: after(&labels::INVOICE, &text, 120).and_then(address),
        phone: after(&labels::PHONE, &text, 40).and_then(rules::find_phone),
        fax: after(&labels::FAX, &text, 40).and_then(rules::find_phone),
        email,
    })
}

/// The first block from `from` on where the address footer may begin (see
/// [`PageLines::footer_blocks`]).
fn footer_block(lines: &PageLines, from: usize) -> Option<usize> {
    let found = lines.footer_blocks();
    found.get(found.partition_point(|&b| b < from)).copied()
}

/// What separates the parts of a footer set on one line: "Karlskrona
/// kommun | 371 83 Karlskrona | Tel 0455-30 30 00".
const FOOTER_SEPARATORS: [char; 3] = ['|', '·', '•'];

/// The parts of a footer line between its separators, trimmed.
fn footer_parts(line: &str) -> impl DoubleEndedIterator<Item = &str> {
    line.split(FOOTER_SEPARATORS)
        .map(str::trim)
        .filter(|p| !p.is_empty())
}

/// A footer without any of the labels: among the page's last few blocks,
/// a short one that is a postal code and town ("371 83 Karlskrona"), as the
/// newer template sets its footer, or one line whose parts are separated
/// ("… | 371 83 Karlskrona | …").
fn unlabelled_footer(blocks: &[Block]) -> Option<usize> {
    const LAST_BLOCKS: usize = 8;
    const ONE_LINE_MAX: usize = 200;
    let ends_in_address = |l: &str| labels::ADDRESS.find(l).is_some_and(|m| m.end() == l.len());
    let from = blocks.len().saturating_sub(LAST_BLOCKS);
    (from..blocks.len()).rev().find(|&i| {
        let b = &blocks[i];
        let stacked = b.lines.len() <= 3
            && b.lines.iter().all(|l| l.chars().count() <= 60)
            && b.lines.iter().any(|l| ends_in_address(l));
        // Between bars, or between commas with the organisation named
        // ("Karlskrona kommun, 371 83 Karlskrona, tel …").
        let one_line = b.lines.iter().any(|l| {
            let commas = || l.split(", ").map(str::trim);
            l.chars().count() <= ONE_LINE_MAX
                && ((footer_parts(l).count() >= 2 && footer_parts(l).any(ends_in_address))
                    || (commas().count() >= 3
                        && commas().any(ends_in_address)
                        && labels::ORG_NAME.is_match(l)))
        });
        b.heading.is_none() && (stacked || one_line)
    })
}

/// The text following a label, at most `len` bytes (cut on a char boundary).
fn after<'t>(label: &regex::Regex, text: &'t str, len: usize) -> Option<&'t str> {
    let m = label.find(text)?;
    let rest = &text[m.end()..];
    let mut end = rest.len().min(len);
    while !rest.is_char_boundary(end) {
        end -= 1;
    }
    Some(&rest[..end])
}

/// The postal address when no "Postadress" label names it, as in the newer
/// template's footer ("Karlskrona kommun" / "371 83 Karlskrona"): a short
/// block just above the labelled footer, or a footer block without labels,
/// that ends in a postal code and a town.
fn unlabelled_address(before: Option<&Block>, footer: &[&Block]) -> Option<Address> {
    let short = before
        .into_iter()
        .chain(footer.iter().copied())
        .filter(|b| b.lines.len() <= 3 && !b.lines.iter().any(|l| l.contains(':')))
        .find_map(|b| {
            let text = b.lines.join("\n");
            labels::ADDRESS
                .is_match(&text)
                .then(|| address(&text))
                .flatten()
        });
    // Older footers run everything on one line: "Karlskrona kommun,
    // Ronnebygatan 2, 371 83 Karlskrona. Växel: …".
    short.or_else(|| {
        footer
            .iter()
            .flat_map(|b| b.lines.iter())
            .find_map(|l| address_in_line(l))
    })
}

/// A postal code and town inside a longer line, with the street before it
/// when the part before is one (a number in it, or a box).
fn address_in_line(line: &str) -> Option<Address> {
    let c = labels::POSTCODE_TOWN.captures(line)?;
    let whole = c.get(0)?;
    let code: String = c[1].chars().filter(char::is_ascii_digit).collect();
    let before = line[..whole.start()].trim_end_matches([',', ' ', '|', '·', '•']);
    let street = before
        .rsplit([',', '.', ';', '|', '·', '•'])
        .next()
        .map(str::trim)
        .filter(|s| s.contains(|c: char| c.is_ascii_digit()) && !labels::ORG_NAME.is_match(s))
        .map(str::to_owned);
    Some(Address {
        street,
        postal_code: Some(format!("{} {}", code.get(..3)?, code.get(3..)?)),
        city: Some(c[2].to_owned()),
    })
}

/// "Östra Hamngatan 7B, 371 83 Karlskrona" → street, postal code, city.
fn address(text: &str) -> Option<Address> {
    if let Some(c) = labels::ADDRESS.captures(text) {
        let code: String = c[2].chars().filter(char::is_ascii_digit).collect();
        return Some(Address {
            // "Karlskrona kommun, 371 83 Karlskrona": the name, not a street.
            street: c
                .get(1)
                .and_then(|m| footer_parts(m.as_str().trim_end_matches(',')).next_back())
                .map(str::to_owned)
                .filter(|s| {
                    s.contains(|c: char| c.is_ascii_digit()) || !labels::ORG_NAME.is_match(s)
                }),
            postal_code: Some(format!("{} {}", &code[..3], &code[3..])),
            city: Some(c[3].to_owned()),
        });
    }
    let street = text.split([',', '\n']).next()?.trim();
    (!street.is_empty()).then(|| Address {
        street: Some(street.to_owned()),
        postal_code: None,
        city: None,
    })
}

/// A line naming the organisation just above or inside the footer.
fn footer_name(before: &[Block], footer_text: &str) -> Option<String> {
    let candidates = before
        .iter()
        .rev()
        .take(1)
        .flat_map(|b| b.lines.iter().map(String::as_str))
        .chain(footer_text.lines());
    // "Postal address: Karlskrona kommun, 371 83 …": the value after a label counts.
    candidates
        .flat_map(|l| l.split(", ").flat_map(footer_parts))
        .map(|part| part.rsplit(':').next().unwrap_or(part).trim())
        .find(|l| labels::ORG_NAME.is_match(l) && l.len() <= 60 && !labels::FOOTER.is_match(l))
        .map(str::to_owned)
}

/// "Internationella nätverk - Karlskrona kommun" → "Karlskrona kommun".
pub fn name_from_title(title: &str) -> Option<String> {
    labels::TITLE_SEPARATOR
        .split(title)
        .map(str::trim)
        .skip(1)
        .find(|part| labels::ORG_NAME.is_match(part))
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::blocks::flatten;

    fn postal(html: &str) -> Option<Address> {
        let flat = flatten(&scraper::Html::parse_document(html));
        organisation(&PageLines::new(&flat.blocks), None)?.postal_address
    }

    #[test]
    fn contacts_under_a_label_below_a_contact_page_title() {
        let flat = flatten(&scraper::Html::parse_document(
            "<h1>Kontakta oss</h1><p>Ring oss gärna om du har frågor.</p>\
             <h2>För mer information kontakta</h2>\
             <table><tr><td>Anna Lindqvist</td><td>Utvecklingsledare</td><td>Tfn: 0455-30 30 27</td></tr>\
             <tr><td>Per Öberg</td><td>Telefon 070-123 45 67</td></tr></table>",
        ));
        let lines = PageLines::new(&flat.blocks);
        let start = contact_label_index(&flat.blocks).expect("label");
        assert_eq!(flat.blocks[start].heading, Some(2));
        let people = contacts(&lines, start).people;
        let got: Vec<_> = people
            .iter()
            .map(|c| (c.name.as_str(), c.role.as_deref(), c.phones.len()))
            .collect();
        assert_eq!(
            got,
            [
                ("Anna Lindqvist", Some("Utvecklingsledare"), 1),
                ("Per Öberg", None, 1)
            ]
        );
        // A sentence right under the label is not a person.
        let flat = flatten(&scraper::Html::parse_document(
            "<h2>Kontakt</h2><p>Ring oss gärna.</p><p>Eva Sjöberg<br>0455-30 30 11</p>",
        ));
        let people = contacts(&PageLines::new(&flat.blocks), 0).people;
        assert_eq!(people.len(), 1);
        assert_eq!(people[0].name, "Eva Sjöberg");
    }

    #[test]
    fn postal_address_with_and_without_its_label() {
        let labelled = postal(
            "<p>Postadress: Östra Hamngatan 7B, 371 83 Karlskrona, organisationsnummer 212000-0829</p>",
        )
        .expect("labelled");
        assert_eq!(labelled.street.as_deref(), Some("Östra Hamngatan 7B"));
        let no_street = postal("<p>Postadress: 371 83 Karlskrona<br>Telefon: 0455-30 30 00</p>")
            .expect("code and town");
        assert_eq!(
            (
                no_street.street,
                no_street.postal_code.as_deref(),
                no_street.city.as_deref()
            ),
            (None, Some("371 83"), Some("Karlskrona")),
            "the next line's label is not part of the town"
        );
        let two_words = postal("<p>Postadress: Box 1, 463 80 Lilla Edet</p>").expect("two words");
        assert_eq!(two_words.city.as_deref(), Some("Lilla Edet"));
        let unlabelled = postal(
            "<footer><p>Karlskrona kommun<br>371 83 Karlskrona</p>\
             <p>Besöksadress: Ronnebygatan 15</p></footer>",
        )
        .expect("unlabelled");
        assert_eq!(
            (
                unlabelled.postal_code.as_deref(),
                unlabelled.city.as_deref()
            ),
            (Some("371 83"), Some("Karlskrona"))
        );
        // The newer footer: name, address and phone above the first label.
        let flat = flatten(&scraper::Html::parse_document(
            "<h2>Kontakt</h2><p>Eva Sjöberg<br>0455-30 30 11</p><p>Senast uppdaterad: 12 januari 2024</p>\
             <footer><p>Karlskrona kommun<br>371 83 Karlskrona</p><p>Telefon: 0455-30 30 00</p>\
             <p>Organisationsnummer: 212000-0829</p></footer>",
        ));
        let lines = PageLines::new(&flat.blocks);
        let org = organisation(&lines, None).expect("organisation");
        let address = org.postal_address.expect("postal address");
        assert_eq!(
            (address.street, address.postal_code.as_deref()),
            (None, Some("371 83")),
            "the name is not a street"
        );
        assert_eq!(
            org.phone.map(|p| p.display).as_deref(),
            Some("0455-30 30 00")
        );
        assert_eq!(org.name.as_deref(), Some("Karlskrona kommun"));
        let people = contacts(&lines, 0).people;
        assert_eq!(people.len(), 1, "the footer is not a contact: {people:?}");
        // English pages of the old site.
        let flat = flatten(&scraper::Html::parse_document(
            "<p>Postal address: Karlskrona kommun, 371 83 Karlskrona, Sweden</p>",
        ));
        let org = organisation(&PageLines::new(&flat.blocks), None).expect("english label");
        assert_eq!(org.name.as_deref(), Some("Karlskrona kommun"));
        let english = org.postal_address.expect("postal address");
        assert_eq!(
            (english.street, english.city.as_deref()),
            (None, Some("Karlskrona"))
        );
        // Body text that happens to end in a postal code is not an address block.
        let body = postal(
            "<p>Mässan hölls i Ronneby.<br>Nästa år flyttar den till hamnen.<br>\
             Anmälan görs senast 1 mars.<br>Adressen blir 371 83 Karlskrona</p>\
             <p>Besöksadress: Ronnebygatan 15</p>",
        );
        assert_eq!(body, None);
    }

    #[test]
    fn the_role_first_then_the_person() {
        let flat = flatten(&scraper::Html::parse_document(
            "<h2>Kontakt</h2><p>Projektledare: Ina Holm<br>Telefon: 0455-30 30 10<br>\
             Handläggare: Per Ek<br>0455-30 30 11</p>",
        ));
        let people = contacts(&PageLines::new(&flat.blocks), 0).people;
        let read: Vec<(&str, Option<&str>)> = people
            .iter()
            .map(|p| (p.name.as_str(), p.role.as_deref()))
            .collect();
        assert_eq!(
            read,
            [("Ina Holm", Some("Projektledare")), ("Per Ek", None)]
        );
        assert_eq!(
            labelled_name("Kontaktperson: Per Ek"),
            Some(("Per Ek".into(), None)),
            "a contact label is no role"
        );
        assert_eq!(
            labelled_name("Öppettider: Måndag–fredag 8–17"),
            None,
            "no person"
        );
        assert_eq!(labelled_name("Ring 0455-30 30 00: Anna Berg"), None);
        assert_eq!(
            labelled_name("Om du har frågor: Anna Berg"),
            None,
            "a label of more than three words is a sentence"
        );
    }

    #[test]
    fn a_fax_number_is_no_number_to_call() {
        for html in [
            "<h2>Kontakt</h2><p>Anna Berg<br>Tel. 0455-30 30 00, fax 0455-30 30 99</p>",
            "<h2>Kontakt</h2><p>Anna Berg<br>0455-30 30 00<br>Telefax: 0455-30 30 99<br>anna.berg@karlskrona.se</p>",
        ] {
            let flat = flatten(&scraper::Html::parse_document(html));
            let people = contacts(&PageLines::new(&flat.blocks), 0).people;
            let phones: Vec<&str> = people
                .iter()
                .flat_map(|p| p.phones.iter().map(|p| p.display.as_str()))
                .collect();
            assert_eq!(phones, ["0455-30 30 00"], "{html}");
        }
    }

    #[test]
    fn a_footer_on_one_line_between_bars() {
        for (html, street) in [
            (
                "<p>Nyheter i korthet.</p><div>Karlskrona kommun | 371 83 Karlskrona | Tel 0455-30 30 00 | kommun@karlskrona.se</div>",
                None,
            ),
            (
                "<p>Nyheter i korthet.</p><div>Karlskrona kommun · Ronnebygatan 2 · 371 83 Karlskrona · Växel 0455-30 30 00</div>",
                Some("Ronnebygatan 2"),
            ),
            (
                "<p>Nyheter i korthet.</p><div>Sidan uppdaterad 2010-04-26 | Karlskrona kommun | 371 83 Karlskrona | Tel 0455-30 30 00</div>",
                None,
            ),
            (
                "<p>Nyheter i korthet.</p><div>Karlskrona kommun, 371 83 Karlskrona, tel 0455-30 30 00, kommun@karlskrona.se</div>",
                None,
            ),
        ] {
            let flat = flatten(&scraper::Html::parse_document(html));
            let org = organisation(&PageLines::new(&flat.blocks), None).expect(html);
            let address = org.postal_address.expect("postal address");
            assert_eq!(
                (
                    address.street.as_deref(),
                    address.postal_code.as_deref(),
                    address.city.as_deref()
                ),
                (street, Some("371 83"), Some("Karlskrona")),
                "{html}"
            );
            assert_eq!(org.name.as_deref(), Some("Karlskrona kommun"), "{html}");
            assert_eq!(
                org.phone.and_then(|p| p.e164).as_deref(),
                Some("+46455303000"),
                "{html}"
            );
        }
        // A line of links between bars is no footer, nor a sentence that
        // gives an address between commas.
        for html in [
            "<p>Text.</p><div>Start | Nyheter | Kontakt</div>",
            "<p>Text.</p><p>Vi finns på Ronnebygatan 2, 371 83 Karlskrona, välkommen in</p>",
        ] {
            let flat = flatten(&scraper::Html::parse_document(html));
            assert!(
                organisation(&PageLines::new(&flat.blocks), None).is_none(),
                "{html}"
            );
        }
    }
}
