//! Text → page model: title, intro, sections, networks, contacts,
//! organisation, update date and canonical URL, read by meaning.
//!
//! The DOM is flattened once into visible blocks ([`blocks`]); every field is
//! then found from headings and the Swedish labels the site used ("Sidan
//! uppdaterad", "Länk till sidan", "Postadress", "För mer information
//! kontakta"), never from one class name. What cannot be found is `None` or
//! empty, with a plain-words warning.

pub mod blocks;
pub mod dom;
mod labels;
mod networks;
mod people;
pub mod rules;

use std::time::Instant;
use url::Url;

use crate::clean::{unwrap_in_text, unwrap_url};
use crate::model::{Content, Link, Section};
use blocks::{Block, Flattened, PageLines, RawLink};

/// Everything the extractor reads from one document: the page's content,
/// and what the page model's `source` and `warnings` need from the read.
#[derive(Debug, Clone, Default)]
pub struct Extracted {
    pub content: Content,
    /// Wayback-rewritten URLs turned back into the originals.
    pub urls_unwrapped: usize,
    pub warnings: Vec<String>,
    /// Which section paragraphs were list items: `(section, paragraph)`
    /// indexes. Not part of the page JSON; the Markdown export reads it.
    pub list_items: Vec<(usize, usize)>,
    /// Which section paragraphs were table cells, and where.
    pub cells: Cells,
    /// The images of the main text, by the paragraph they stand before:
    /// `None` for the intro, else `(section, paragraph)`.
    pub images: Images<Link>,
}

/// Images by the paragraph they stand before: `None` for the intro, else
/// `(section, paragraph)`.
pub type Images<L> = Vec<(Option<(usize, usize)>, Vec<L>)>;

/// A table cell: its row over the page, its column (from 1), whether a header cell.
pub type Cell = (u32, u16, bool);

/// Table cells among the sections' paragraphs: `((section, paragraph), cell)`.
pub type Cells = Vec<((usize, usize), Cell)>;

/// Reads the page model out of `html`. `source_url` is where the bytes came
/// from (the original URL, not a Wayback one), used when the page names no
/// canonical URL of its own and to resolve relative links. Only building
/// the tree can take long (see [`dom`]); it stops at `deadline`.
pub fn extract(
    html: &str,
    source_url: Option<&str>,
    deadline: Option<Instant>,
) -> Result<Extracted, dom::DomError> {
    let doc = dom::parse(html, deadline)?;
    let flat = blocks::flatten(&doc);
    drop(doc);
    let mut out = Extracted::default();
    let mut links = LinkFixer::default();

    let lines = PageLines::new(&flat.blocks);
    let page_link = page_link(&lines, &mut links);
    let canonical = flat
        .canonical
        .as_deref()
        .and_then(|c| links.fix(c, source_url));
    out.content.url = page_link
        .or(canonical)
        .or_else(|| source_url.map(|u| unwrap_url(u).unwrap_or_else(|| u.to_owned())));
    if out.content.url.is_none() {
        out.warnings.push(
            "no page URL found (no \"Länk till sidan\", no canonical link, no source URL)".into(),
        );
    }
    let base = out.content.url.as_deref().and_then(|u| Url::parse(u).ok());
    links.base = base.filter(|u| matches!(u.scheme(), "http" | "https"));

    if !flat.frames.is_empty() {
        let frames: Vec<String> = flat
            .frames
            .iter()
            .filter_map(|f| links.fix(f, None))
            .collect();
        out.warnings.push(format!(
            "a frameset: the page's text is in its frames ({}), each a page of its own",
            frames.join(", ")
        ));
    }
    if let Some((delay, target)) = flat.refresh.as_deref().and_then(refresh_target)
        && let Some(target) = links.fix(target, None)
    {
        out.warnings.push(format!(
            "the page sends its reader on to {target} after {delay} s (a meta refresh): it may have moved"
        ));
    }
    let (title_index, title) = title(&flat);
    out.content.title = title;
    if out.content.title.is_none() {
        out.warnings
            .push("no page title found (no <h1>, no <title>)".into());
    }

    let content_start = title_index.map_or_else(|| first_heading(&flat.blocks), |i| i + 1);
    // The contact box and any later labelled box ("Sidansvarig: …"), read
    // once: the text leaves them out, and their people are the page's.
    let contact_box = people::contact_box(&lines);
    let contact_box_end = contact_box.as_ref().map(|(_, b)| b.end);
    let boxes: Vec<(usize, people::ContactBox)> = contact_box
        .into_iter()
        .chain(people::later_boxes(&lines, contact_box_end))
        .collect();
    let content = content(&lines, content_start, &boxes);
    let Body {
        intro,
        sections,
        items: list_items,
        cells,
        images: raw_images,
    } = sections(&content, &mut links);
    out.content.intro = intro;
    out.content.sections = sections;
    out.content.networks = networks::networks(
        &out.content.sections,
        &list_items,
        &cells,
        out.content.title.as_deref(),
    );

    // The boxes' people, then those the text names: a staff table,
    // "Kontakta NN på telefon …".
    let mut contacts = Vec::new();
    for (_, b) in boxes {
        people::merge(&mut contacts, b.people);
        out.warnings.extend(b.notes);
    }
    people::merge(&mut contacts, people::contacts_in_text(&content));
    if contacts.is_empty() {
        out.warnings.push(
            "no contact person found (looked for a contact box \"För mer information kontakta\" / \"Kontakt\" / \"Sidansvarig\", a staff table with Namn and Telefon columns, \"Kontakta <namn> på telefon …\" and \"Namn, roll, telefon\" lines)"
                .into(),
        );
    }
    out.content.contacts = contacts;

    out.content.organisation = people::organisation(&lines, flat.title.as_deref());
    match &out.content.organisation {
        None => out
            .warnings
            .push("no organisation address block found (looked for \"Postadress\", \"Fakturaadress\", \"Organisationsnummer\" / \"Org.nr\", \"Postal address\", \"Corporate identity number\", and a postal code and town among the page's last lines)".into()),
        Some(org) => {
            if let (Some(n), Some(false)) = (&org.org_number, org.org_number_valid) {
                out.warnings
                    .push(format!("organisation number {n} fails the Luhn check"));
            }
        }
    }

    out.content.updated = updated(&lines, &mut out.warnings);
    out.content.published = labelled_date(&lines, &labels::PUBLISHED, "published").ok();
    out.content.breadcrumb = breadcrumb(&flat, &lines, &mut links);
    out.content.attachments = attachments(&flat.blocks, &mut links);
    out.content.lang = lang(&flat, &out);
    out.cells = cells;
    // Image addresses are read like links, but do not count as Wayback
    // links unwrapped: they are not part of the page JSON.
    let unwrapped = links.unwrapped;
    out.images = raw_images
        .into_iter()
        .map(|(at, raw)| (at, links.fix_all(&raw)))
        .filter(|(_, images)| !images.is_empty())
        .collect();
    links.unwrapped = unwrapped;
    out.urls_unwrapped = links.unwrapped;
    out.list_items = list_items
        .iter()
        .filter_map(|item| {
            let s = item.section?;
            let p = out
                .content
                .sections
                .get(s)?
                .paragraphs
                .iter()
                .position(|p| *p == item.text)?;
            Some((s, p))
        })
        .collect();
    Ok(out)
}

/// A meta refresh's delay and target: `0; URL=/sv/ny/`, `5;url='…'`. A
/// refresh without a URL reloads the page itself and sends no one on.
fn refresh_target(content: &str) -> Option<(u32, &str)> {
    let (delay, rest) = content.split_once([';', ','])?;
    let delay = delay.trim().split('.').next()?.parse().ok()?;
    let rest = rest.trim_start();
    let url = rest
        .get(..3)
        .filter(|k| k.eq_ignore_ascii_case("url"))
        .map_or(rest, |_| {
            rest[3..].trim_start().trim_start_matches('=').trim_start()
        });
    let url = url.trim_matches(['\'', '"']).trim();
    (!url.is_empty()).then_some((delay, url))
}

/// Turns hrefs as written into absolute original URLs.
#[derive(Default)]
struct LinkFixer {
    base: Option<Url>,
    unwrapped: usize,
}

impl LinkFixer {
    fn fix(&mut self, href: &str, fallback_base: Option<&str>) -> Option<String> {
        let href = href.trim();
        let lower = href.get(..11).unwrap_or(href).to_ascii_lowercase();
        if href.is_empty() || href.starts_with('#') || lower.starts_with("javascript:") {
            return None;
        }
        if let Some(original) = unwrap_url(href) {
            self.unwrapped += 1;
            return Some(original);
        }
        if lower.starts_with("mailto:") || lower.starts_with("tel:") {
            return Some(href.to_owned());
        }
        let base = self
            .base
            .clone()
            .or_else(|| fallback_base.and_then(|b| Url::parse(b).ok()));
        match base {
            Some(base) => Some(
                base.join(href)
                    .map_or_else(|_| href.to_owned(), String::from),
            ),
            None => Some(href.to_owned()),
        }
    }

    fn fix_all(&mut self, raw: &[RawLink]) -> Vec<Link> {
        raw.iter()
            .filter_map(|l| {
                Some(Link {
                    text: l.text.clone(),
                    href: self.fix(&l.href, None)?,
                })
            })
            .collect()
    }
}

/// The "Länk till sidan" URL: the printed URL, else the link after the label.
fn page_link(lines: &PageLines, links: &mut LinkFixer) -> Option<String> {
    let block = &lines.blocks()[lines.first_block(&labels::PAGE_LINK, 0)?];
    let looks_like_url = |s: &str| s.starts_with("http://") || s.starts_with("https://");
    if let Some(l) = block.links.iter().find(|l| looks_like_url(&l.text)) {
        return Some(unwrap_url(&l.text).unwrap_or_else(|| l.text.clone()));
    }
    if let Some(l) = block.links.first() {
        return links.fix(&l.href, None);
    }
    let line = block.lines.iter().find(|l| labels::PAGE_LINK.is_match(l))?;
    let m = labels::PAGE_LINK.find(line)?;
    let rest = line[m.end()..].split_whitespace().next()?;
    looks_like_url(rest).then(|| unwrap_in_text(rest).into_owned())
}

/// The page title: the `<h1>` (the one echoed by `<title>` when there are
/// several), else the first part of `<title>`.
fn title(flat: &Flattened) -> (Option<usize>, Option<String>) {
    let h1s: Vec<usize> = (0..flat.blocks.len())
        .filter(|&i| flat.blocks[i].heading == Some(1))
        .collect();
    let tag = flat.title.as_deref().unwrap_or("");
    let chosen = h1s
        .iter()
        .copied()
        .find(|&i| h1s.len() == 1 || tag.contains(flat.blocks[i].text().as_str()))
        .or_else(|| h1s.first().copied());
    if let Some(i) = chosen {
        return (Some(i), Some(flat.blocks[i].text()));
    }
    let from_tag = labels::TITLE_SEPARATOR
        .split(tag)
        .map(str::trim)
        .find(|p| !p.is_empty())
        .map(str::to_owned);
    // No <h1>: a page set in <font> and <b> shows its title as its first
    // heading, an older template in a styled <div>; when that says what
    // <title> says, the content starts below it. A menu's link to the page
    // itself is no title.
    let same = |b: &Block, t: &str| b.text().trim().to_lowercase() == t.to_lowercase();
    let shown = from_tag.as_deref().and_then(|t| {
        let first = flat.blocks.iter().position(|b| b.heading.is_some());
        first.filter(|&i| same(&flat.blocks[i], t)).or_else(|| {
            flat.blocks
                .iter()
                .take(TITLE_BLOCKS_MAX)
                .position(|b| b.links.is_empty() && b.cell.is_none() && same(b, t))
        })
    });
    (shown, from_tag)
}

/// Blocks from the page's start among which a title without `<h1>` is looked for.
const TITLE_BLOCKS_MAX: usize = 40;

fn first_heading(blocks: &[Block]) -> usize {
    blocks.iter().position(|b| b.heading.is_some()).unwrap_or(0)
}

/// The blocks of the page's text: from `start` to the footer or an end
/// label. `known` holds the contact boxes already read, in page order. Contact boxes are left out wherever they stand (the newer template
/// sets one beside the text, before it in the markup), and the text after
/// them is read too; a contact label under which no one is named ("Kontakt
/// med kommunen") is text. The page's dates right under the title (news
/// pages) do not end a text not yet begun.
fn content<'b>(
    lines: &PageLines<'b>,
    start: usize,
    known: &[(usize, people::ContactBox)],
) -> Vec<&'b Block> {
    let blocks = lines.blocks();
    let mut content = Vec::new();
    let mut from = start;
    loop {
        let end = people::content_end(lines, from);
        content.extend(blocks.get(from..end).unwrap_or_default());
        let Some(stop) = blocks.get(end) else {
            return content;
        };
        from = if people::is_contact_label(stop) {
            let computed;
            // `known` is in page order: one box among thousands is found
            // by halving, not by a walk from the first.
            let contact_box = match known
                .binary_search_by_key(&end, |(at, _)| *at)
                .ok()
                .and_then(|i| known.get(i))
            {
                Some((_, b)) => b,
                None => {
                    computed = people::contacts(lines, end);
                    &computed
                }
            };
            if contact_box.people.is_empty() {
                content.push(stop);
                end + 1
            } else {
                contact_box.end
            }
        } else if !content.iter().any(|b| is_body_text(b))
            && stop
                .lines
                .iter()
                .any(|l| labels::UPDATED_AT_START.is_match(l))
        {
            // A date line under the title or a byline ("Uppdaterad 12 mars
            // 2015 10:12"), before any of the text: the text has not begun.
            end + 1
        } else {
            return content;
        };
    }
}

/// A paragraph of running text, not a line of the page's furniture: a
/// dozen words or more.
fn is_body_text(b: &Block) -> bool {
    b.heading.is_none()
        && b.lines
            .iter()
            .map(|l| l.split_whitespace().count())
            .sum::<usize>()
            >= 12
}

/// Menus and tool bars: a block of several links and little else, or one
/// of three or more list items in a row that are each one link and nothing
/// more. Text an editor wrote is not made of links.
fn chrome(content: &[&Block]) -> Vec<bool> {
    let link_only = |b: &Block| b.mostly_links();
    let mut out: Vec<bool> = content
        .iter()
        .map(|b| b.links.len() >= 2 && link_only(b))
        .collect();
    let mut i = 0;
    while i < content.len() {
        let run = content[i..]
            .iter()
            .take_while(|b| b.list_item && b.links.len() == 1 && link_only(b))
            .count();
        if run >= 3 {
            out[i..i + run].iter_mut().for_each(|c| *c = true);
        }
        i += run.max(1);
    }
    out
}

/// A list item of the page's text, and where it stands: in the section of
/// that index, or in the intro (`None`). Networks are also written as lists.
struct ListItem {
    section: Option<usize>,
    text: String,
    links: Vec<Link>,
}

/// The main text: the intro, the sections, and the list items, table cells
/// and images among them.
struct Body {
    intro: Option<String>,
    sections: Vec<Section>,
    items: Vec<ListItem>,
    cells: Cells,
    /// Images by the paragraph they stand before (`None`: the intro), addresses as written.
    images: Images<RawLink>,
}

/// Intro paragraphs (before the first heading) and one section per heading,
/// and the list items, table cells and images among them.
fn sections(content: &[&Block], links: &mut LinkFixer) -> Body {
    let mut cells = Cells::new();
    let mut images = Vec::new();
    // A heading's images stand before the paragraph after it.
    let mut pending: Vec<RawLink> = Vec::new();
    let mut intro: Option<String> = None;
    let mut sections: Vec<Section> = Vec::new();
    let mut items: Vec<ListItem> = Vec::new();
    let mut last_real_level: Option<u8> = None;
    let first_real_level = content.iter().find_map(|b| b.heading.filter(|&l| l > 1));
    let chrome = chrome(content);
    let header_rows = people::staff_header_rows(content);
    for (block, _) in content.iter().zip(&chrome).filter(|(_, c)| !**c) {
        // "Dela | Skriv ut | Lyssna", "Hittade du det du letade efter?": the
        // site's tools, questions and dates, not the page's text; a staff
        // table's "E-post" column is its own.
        let text = block.text();
        let column_name = block
            .cell
            .is_some_and(|(row, _, _)| header_rows.contains(&row));
        let date_line =
            block.cell.is_none() && !block.list_item && labels::DATE_LINE.is_match(&text);
        if labels::NOT_TEXT.is_match(&text) && !column_name || date_line {
            continue;
        }
        // "<b>Anmälan</b><br>Anmälan görs …" in one cell: a subheading and its text.
        let (heading, text) = match (block.heading, bold_first_line(block)) {
            (None, Some((first, rest))) => (Some((0, first.to_owned())), Some(rest)),
            (Some(level), _) => (Some((level, text)), None),
            (None, None) => (None, Some(text)),
        };
        pending.extend(block.images.iter().cloned());
        if let Some((level, heading)) = heading {
            let level = if level == 0 {
                last_real_level.or(first_real_level).unwrap_or(2)
            } else {
                last_real_level = Some(level);
                level
            };
            sections.push(Section {
                heading: Some(heading),
                level,
                paragraphs: Vec::new(),
                links: if text.is_none() {
                    links.fix_all(&block.links)
                } else {
                    Vec::new()
                },
            });
        }
        let Some(text) = text else { continue };
        let block_links = links.fix_all(&block.links);
        if block.list_item {
            items.push(ListItem {
                section: sections.len().checked_sub(1),
                text: text.clone(),
                links: block_links.clone(),
            });
        }
        // The intro is the lead: the first paragraph, not a list. Text after
        // it and before the first heading is the page's untitled body.
        if sections.is_empty() && intro.is_none() && !block.list_item {
            intro = Some(text);
            if !pending.is_empty() {
                images.push((None, std::mem::take(&mut pending)));
            }
            continue;
        }
        if sections.is_empty() {
            sections.push(Section {
                heading: None,
                level: first_real_level.unwrap_or(2),
                paragraphs: Vec::new(),
                links: Vec::new(),
            });
        }
        if block.list_item
            && let Some(item) = items.last_mut()
        {
            item.section = Some(sections.len() - 1);
        }
        let at = sections.len().saturating_sub(1);
        if let Some(s) = sections.last_mut() {
            if let Some(cell) = block.cell {
                cells.push(((at, s.paragraphs.len()), cell));
            }
            if !pending.is_empty() {
                images.push((Some((at, s.paragraphs.len())), std::mem::take(&mut pending)));
            }
            s.paragraphs.push(text);
            s.links.extend(block_links);
        }
    }
    Body {
        intro,
        sections,
        items,
        cells,
        images,
    }
}

/// A block whose first line alone is bold and short, as a subheading, and
/// the rest of its lines as its text.
fn bold_first_line(block: &Block) -> Option<(&str, String)> {
    let (first, rest) = block.lines.split_first()?;
    (block.first_line_bold
        && !rest.is_empty()
        && first.chars().count() <= 80
        && !first.ends_with(['.', ',', ';', ':']))
    .then(|| (first.as_str(), rest.join(" ")))
}

/// The "Sidan uppdaterad" date, read from the label's line or the line after.
fn updated(lines: &PageLines, warnings: &mut Vec<String>) -> Option<String> {
    match labelled_date(lines, &labels::UPDATED, "updated") {
        Ok(date) => Some(date),
        Err(unreadable) => {
            warnings.push(match unreadable {
                Some(line) => format!("update date could not be read from \"{line}\""),
                None => {
                    "no update date found (\"Sidan uppdaterad\" / \"Senast uppdaterad\")".into()
                }
            });
            None
        }
    }
}

/// The first date that follows `label`, on its line or the next, in any
/// form the site wrote dates in (a time after it is left alone). An English
/// label (holding `english`) reads `10/03/2017` month first. `Err` holds
/// the first labelled line whose date could not be read, if any.
fn labelled_date(
    lines: &PageLines,
    label: &regex::Regex,
    english: &str,
) -> Result<String, Option<String>> {
    let mut unreadable = None;
    for (k, _) in lines.matching(label, 0) {
        let Some(line) = lines.line(k) else { continue };
        let Some(m) = label.find(line) else {
            continue;
        };
        let us_order = line[m.start()..m.end()]
            .to_ascii_lowercase()
            .contains(english);
        let candidates = [Some(&line[m.end()..]), lines.line(k + 1)];
        for text in candidates.into_iter().flatten() {
            if let Some(date) = rules::parse_date(text, us_order) {
                return Ok(date);
            }
        }
        unreadable.get_or_insert_with(|| line.to_string());
    }
    Err(unreadable)
}

/// The trail: a landmark labelled as one, else a block that starts "Du är här:".
fn breadcrumb(flat: &Flattened, lines: &PageLines, links: &mut LinkFixer) -> Vec<Link> {
    if !flat.breadcrumb.is_empty() {
        return links.fix_all(&flat.breadcrumb);
    }
    lines
        .matching(&labels::TRAIL, 0)
        .find(|&(k, _)| {
            lines
                .line(k)
                .and_then(|l| labels::TRAIL.find(l))
                .is_some_and(|m| m.start() == 0)
        })
        .map(|(_, i)| links.fix_all(&flat.blocks[i].links))
        .unwrap_or_default()
}

/// Links to documents anywhere in the page's blocks, once each.
fn attachments(blocks: &[Block], links: &mut LinkFixer) -> Vec<Link> {
    let mut seen = std::collections::HashSet::new();
    blocks
        .iter()
        .flat_map(|b| b.links.iter())
        .filter(|l| rules::is_document(&l.href))
        .filter_map(|l| links.fix_all(std::slice::from_ref(l)).pop())
        .filter(|l| seen.insert(l.href.clone()))
        .collect()
}

/// The page's language: its own declaration, else a guess from common words.
fn lang(flat: &Flattened, out: &Extracted) -> Option<String> {
    if let Some(declared) = &flat.lang {
        let primary = declared
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if (2..=3).contains(&primary.len()) && primary.chars().all(|c| c.is_ascii_alphabetic()) {
            return Some(primary);
        }
    }
    let sample: String = out
        .content
        .intro
        .iter()
        .chain(
            out.content
                .sections
                .iter()
                .flat_map(|s| s.paragraphs.iter()),
        )
        .take(20)
        .map(|s| s.to_lowercase())
        .collect::<Vec<_>>()
        .join(" ");
    let count = |words: &[&str]| {
        sample
            .split_whitespace()
            .filter(|w| words.contains(w))
            .count()
    };
    let sv = count(&[
        "och", "är", "att", "för", "med", "som", "på", "av", "till", "det",
    ]);
    let en = count(&[
        "the", "and", "of", "to", "is", "for", "with", "that", "on", "are",
    ]);
    if sv >= 3 && sv > en * 2 {
        Some("sv".into())
    } else if en >= 3 && en > sv * 2 {
        Some("en".into())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::refresh_target;

    #[test]
    fn meta_refresh_targets_in_the_forms_pages_wrote() {
        for (content, want) in [
            ("0; URL=/sv/ny/", Some((0, "/sv/ny/"))),
            ("5;url='http://x.se/a'", Some((5, "http://x.se/a"))),
            ("3, URL = \"b.htm\"", Some((3, "b.htm"))),
            ("0;/sv/ny/", Some((0, "/sv/ny/"))),
            ("30", None),
            ("0; URL=", None),
            ("soon; URL=/a", None),
        ] {
            assert_eq!(refresh_target(content), want, "{content}");
        }
    }
}
