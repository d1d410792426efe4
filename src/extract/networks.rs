//! Which sections (or list items) present the networks the municipality
//! takes part in, decided by the page's structure and wording.

use super::{ListItem, labels, rules};
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
    for item in items {
        let in_ctx = match item.section {
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
        if let (true, Some(n)) = (in_ctx, listed_network(item)) {
            out.push(n);
        }
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
