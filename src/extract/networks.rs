//! Which sections (or list items) present the networks the municipality
//! takes part in, decided by the page's structure and wording.

use super::{Cells, ListItem, labels, rules};
use crate::model::{Network, Section};

/// The networks the page presents: the sections (or list items) that name
/// an organisation, where the page or a heading above them says they are
/// networks or memberships. A section about twin towns, partners or
/// cooperation that has ended is not, nor is what stands under it; outside
/// such a context only a section whose heading carries an acronym and whose
/// text speaks of a network counts.
pub(super) fn networks(
    sections: &[Section],
    items: &[ListItem],
    cells: &Cells,
    title: Option<&str>,
) -> Vec<Network> {
    let page_context = title.is_some_and(|t| {
        labels::NETWORK_HEADING.is_match(t) && !labels::NOT_NETWORK_HEADING.is_match(t)
    });
    // Per section: whether it stands in a networks context, and whether a
    // heading says it is none.
    let mut context: Vec<(u8, bool)> = Vec::new(); // (level, is networks context)
    let mut in_context = Vec::with_capacity(sections.len());
    for s in sections {
        while context.last().is_some_and(|&(level, _)| level >= s.level) {
            context.pop();
        }
        let inherited = context.last().map_or(page_context, |&(_, c)| c);
        let heading = s.heading.as_deref().unwrap_or("");
        let state = if labels::NOT_NETWORK_HEADING.is_match(heading) {
            false
        } else if labels::NETWORK_HEADING.is_match(heading) {
            true
        } else {
            inherited
        };
        context.push((s.level, state));
        in_context.push((inherited && state, state));
    }
    let mut out = Vec::new();
    for (i, s) in sections.iter().enumerate() {
        let (in_ctx, allowed) = in_context[i];
        // Untitled body text presents no one network (a list in it may).
        let Some(heading) = s.heading.as_deref() else {
            continue;
        };
        if s.paragraphs.is_empty()
            || labels::GENERIC_HEADING.is_match(heading)
            || labels::NETWORK_HEADING.is_match(heading)
            || !allowed
        {
            continue;
        }
        let (name, acronym) = rules::split_acronym(heading);
        let description = s.paragraphs.join("\n\n");
        let listed_here = items.iter().any(|it| it.section == Some(i));
        let presents = if in_ctx {
            names_organisation(heading) && !listed_here
        } else {
            acronym.is_some() && labels::NETWORK_TEXT.is_match(&description)
        };
        if presents {
            out.push(Network {
                name,
                acronym,
                description,
                links: s.links.clone(),
            });
        }
    }
    // Lists and tables under a networks heading (or on a networks page)
    // present one network per item or row.
    let listing = |section: Option<usize>| match section {
        Some(i) => {
            in_context[i].1
                && (in_context[i].0
                    || sections[i]
                        .heading
                        .as_deref()
                        .is_some_and(|h| labels::NETWORK_HEADING.is_match(h)))
        }
        None => page_context,
    };
    for item in items {
        if let (true, Some(n)) = (listing(item.section), listed_network(item)) {
            out.push(n);
        }
    }
    out.extend(table_networks(sections, cells, |i| listing(Some(i))));
    out
}

/// Words a table row's other cells need to be a network's description,
/// not a header row ("Nätverk | Beskrivning") set without `<th>`.
const ROW_DESCRIPTION_WORDS_MIN: usize = 3;

/// "Union of the Baltic Cities (UBC) | Över hundra städer …": a table row
/// whose first cell names an organisation and whose other cells describe
/// it, in a section `listing` allows.
fn table_networks(
    sections: &[Section],
    cells: &Cells,
    listing: impl Fn(usize) -> bool,
) -> Vec<Network> {
    // Rows in page order: (section, row) → [(column, paragraph)].
    type Row = ((usize, u32), Vec<(u16, usize)>);
    let mut rows: Vec<Row> = Vec::new();
    for &((s, p), (row, column, header)) in cells {
        if header || !listing(s) {
            continue;
        }
        match rows.last_mut() {
            Some((key, cols)) if *key == (s, row) => cols.push((column, p)),
            _ => rows.push(((s, row), vec![(column, p)])),
        }
    }
    let mut out = Vec::new();
    for ((s, _), mut cols) in rows {
        let section = &sections[s];
        cols.sort_by_key(|&(column, _)| column);
        let text = |p: usize| section.paragraphs.get(p).map_or("", String::as_str);
        let Some((&(_, first), rest)) = cols.split_first() else {
            continue;
        };
        let head = text(first);
        let description = rest
            .iter()
            .map(|&(_, p)| text(p))
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join("\n\n");
        if description.split_whitespace().count() < ROW_DESCRIPTION_WORDS_MIN
            || !names_organisation(head)
        {
            continue;
        }
        let (name, acronym) = rules::split_acronym(head);
        let in_row = |t: &str| cols.iter().any(|&(_, p)| text(p).contains(t));
        out.push(Network {
            name,
            acronym,
            description,
            links: section
                .links
                .iter()
                .filter(|l| !l.text.is_empty() && in_row(&l.text))
                .cloned()
                .collect(),
        });
    }
    out
}

/// "Union of the Baltic Cities (UBC) – ett nätverk av städer …": a list item
/// that opens with an organisation's name, then a dash or colon and its text.
fn listed_network(item: &ListItem) -> Option<Network> {
    let (head, description) = labels::LIST_NAME_SEPARATOR
        .splitn(&item.text, 2)
        .collect::<Vec<_>>()
        .try_into()
        .map(|[h, d]: [&str; 2]| (h.trim(), d.trim()))
        .ok()?;
    if !names_organisation(head) {
        return None;
    }
    let (name, acronym) = rules::split_acronym(head);
    Some(Network {
        name,
        acronym,
        description: description.to_owned(),
        links: item.links.clone(),
    })
}

/// Whether a heading names an organisation rather than a topic: it carries
/// an acronym, a word that organisations have in their names, or is a
/// proper name of two or more capitalised words ("Baltic Sail"). "Så
/// ansöker du" and "Öppettider" are topics.
fn names_organisation(heading: &str) -> bool {
    let (name, acronym) = rules::split_acronym(heading);
    if acronym.is_some() || labels::ORGANISATION_WORD.is_match(&name) {
        return true;
    }
    let words: Vec<&str> = name.split_whitespace().collect();
    let capitalised = words
        .iter()
        .filter(|w| w.chars().next().is_some_and(char::is_uppercase))
        .count();
    words.len() >= 2 && capitalised >= 2 && capitalised * 2 >= words.len() && !name.ends_with('?')
}
