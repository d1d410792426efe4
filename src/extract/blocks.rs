//! The DOM flattened into the blocks a reader sees, in document order.
//!
//! Each block is one paragraph, heading, list item or table cell: its visible
//! text split into lines at `<br>`, its links, and whether it reads as a
//! heading. Scripts, styles, hidden elements, navigation landmarks and the
//! Wayback toolbar produce no blocks. The walk is iterative (`traverse`), so
//! hostile nesting depth cannot overflow the stack.

use ego_tree::iter::Edge;
use scraper::{Html, Node};
use std::collections::HashSet;

/// One visible block of the page.
#[derive(Debug, Clone, Default)]
pub struct Block {
    /// `Some(1..=6)` for `<h1>`–`<h6>`; `Some(0)` for a paragraph set entirely
    /// in bold, the way old editors made headings; `None` for body text.
    pub heading: Option<u8>,
    /// The visible text, folded, split at `<br>`; never empty.
    pub lines: Vec<String>,
    pub links: Vec<RawLink>,
    /// Text of scripts met inside the block (e-mail addresses assembled by
    /// `document.write` live there).
    pub scripts: String,
    /// The first of several lines is set in bold: on pages set in `<font>`,
    /// a subheading followed by its text in one cell ("<b>Anmälan</b><br>…").
    pub first_line_bold: bool,
    /// The block is (inside) a list item.
    pub list_item: bool,
    /// Images in the block, or in image-only blocks just before it: `alt`
    /// as the text, `src` as the href.
    pub images: Vec<RawLink>,
    /// The table cell the block is in: (row number over the page, column,
    /// whether a header cell `<th>`).
    pub cell: Option<(u32, u16, bool)>,
}

impl Block {
    /// All lines joined by a space: the paragraph as one string.
    pub fn text(&self) -> String {
        self.lines.join(" ")
    }

    /// A paragraph made of links, as menus and tool bars are: its links
    /// hold seven tenths of its letters or more ("Start | Bo och leva |
    /// Kontakt": the separators are the menu's too). Text an editor wrote
    /// is not made of links.
    pub fn mostly_links(&self) -> bool {
        let text: usize = self
            .lines
            .iter()
            .flat_map(|l| l.chars())
            .filter(|c| !matches!(c, '|' | '·' | '•' | '/' | '>' | '»' | '›') && !c.is_whitespace())
            .count();
        let linked: usize = self
            .links
            .iter()
            .flat_map(|l| l.text.chars())
            .filter(|c| !c.is_whitespace())
            .count();
        self.heading.is_none() && text > 0 && linked * 10 >= text * 7
    }
}

/// A link as written in the page; the href is not yet unwrapped or resolved.
#[derive(Debug, Clone)]
pub struct RawLink {
    pub text: String,
    pub href: String,
}

/// What one pass over the document collects.
#[derive(Debug, Default)]
pub struct Flattened {
    pub blocks: Vec<Block>,
    pub title: Option<String>,
    pub lang: Option<String>,
    pub canonical: Option<String>,
    /// The links of a navigation landmark labelled as the page's trail
    /// (`<nav aria-label="Du är här">`, "Brödsmulor", "Breadcrumb"), which
    /// is otherwise skipped with the other menus.
    pub breadcrumb: Vec<RawLink>,
    /// The `src` of each `<frame>`: a frameset page's text is in them.
    pub frames: Vec<String>,
    /// A `<meta http-equiv="refresh">`'s content ("0; URL=/sv/ny/"): how
    /// old sites sent readers of a moved page on.
    pub refresh: Option<String>,
}

/// The numbers of the lines where one label matches, in order.
type Hits = std::rc::Rc<[usize]>;

/// Every line of every block joined by `\n`, so that a label is looked for
/// with one regex search over the page instead of one call per line (the
/// per-call cost dominated on pages of many short lines).
pub struct PageLines<'a> {
    blocks: &'a [Block],
    text: String,
    /// Per line, in order: where it starts in `text` and which block holds it.
    lines: Vec<(usize, usize)>,
    /// Every matching line of each label searched for, found in one pass on
    /// first use: the labels that end content are asked for from every
    /// contact box and footer, from many starting points.
    searched: std::cell::RefCell<Vec<(*const regex::Regex, Hits)>>,
    /// The blocks that may open the address footer, found once (see
    /// [`PageLines::footer_blocks`]).
    footer_blocks: std::cell::OnceCell<Vec<usize>>,
}

impl<'a> PageLines<'a> {
    pub fn new(blocks: &'a [Block]) -> PageLines<'a> {
        let mut text = String::new();
        let mut lines = Vec::new();
        for (b, block) in blocks.iter().enumerate() {
            for line in &block.lines {
                lines.push((text.len(), b));
                text.push_str(line);
                text.push('\n');
            }
        }
        PageLines {
            blocks,
            text,
            lines,
            searched: Default::default(),
            footer_blocks: Default::default(),
        }
    }

    /// The blocks with a footer label ("Postadress", "Organisationsnummer",
    /// …) that may open the address footer, in order, found once per page
    /// (asked from every contact box). One before the page's last section
    /// (a heading that is no footer label, with text under it that is not a
    /// menu) belongs to the page's text: "Besöksadress" or "Postadress: …"
    /// on a contact page, then "Öppettider". A footer's own "Följ oss" and
    /// its links are no section.
    pub fn footer_blocks(&self) -> &[usize] {
        self.footer_blocks.get_or_init(|| {
            let label = &*super::labels::FOOTER;
            let last_section = self.blocks.windows(2).rposition(|w| {
                w[0].heading.is_some()
                    && w[1].heading.is_none()
                    && !w[1].mostly_links()
                    && !label.is_match(&w[0].text())
            });
            let mut out: Vec<usize> = self
                .hits_from(label, 0)
                .map(|(_, b)| b)
                .filter(|&b| last_section.is_none_or(|h| h < b))
                .collect();
            out.dedup();
            out
        })
    }

    /// Line `k` (numbered over the whole page).
    pub fn line(&self, k: usize) -> Option<&str> {
        let (start, _) = *self.lines.get(k)?;
        let end = self.lines.get(k + 1).map_or(self.text.len(), |&(s, _)| s);
        self.text.get(start..end - 1)
    }

    /// The lines where `re` matches, as (line number, block index), from
    /// block `from` on. Each line is tested on its own as before: a match of
    /// the joined text that runs into the next line only counts if the line
    /// alone matches. `^` must be written `(?m)^` to mean a line start.
    pub fn matching<'r>(
        &'r self,
        re: &'r regex::Regex,
        from: usize,
    ) -> impl Iterator<Item = (usize, usize)> + 'r {
        let mut line = self.lines.partition_point(|&(_, b)| b < from);
        std::iter::from_fn(move || {
            let k = self.next_match(re, line)?;
            line = k + 1;
            Some((k, self.lines[k].1))
        })
    }

    /// The first line from line `from` on where `re` matches.
    fn next_match(&self, re: &regex::Regex, from: usize) -> Option<usize> {
        let mut at = self.lines.get(from)?.0;
        while at < self.text.len() {
            let m = re.find_at(&self.text, at)?;
            let k = self
                .lines
                .partition_point(|&(s, _)| s <= m.start())
                .checked_sub(1)?;
            let line = self.line(k)?;
            at = self.lines.get(k + 1).map_or(self.text.len(), |&(s, _)| s);
            if m.end() < at || re.is_match(line) {
                return Some(k);
            }
        }
        None
    }

    /// The first block from `from` on with a line where `re` matches: a
    /// binary search in the label's matching lines, so that asking from many
    /// places stays cheap however many lines match (a page of 20,000
    /// "Postadress" lines took minutes when each question walked them all).
    pub fn first_block(&self, re: &regex::Regex, from: usize) -> Option<usize> {
        self.hits_from(re, from).next().map(|(_, block)| block)
    }

    /// The matching lines of [`PageLines::matching`] from block `from` on, as
    /// (line number, block index), from the label's remembered hits: for
    /// labels asked about from many places, as [`PageLines::first_block`].
    pub fn hits_from(
        &self,
        re: &regex::Regex,
        from: usize,
    ) -> impl Iterator<Item = (usize, usize)> + '_ {
        let from_line = self.lines.partition_point(|&(_, b)| b < from);
        let hits = self.hits(re);
        let start = hits.partition_point(|&k| k < from_line);
        (start..hits.len()).map(move |i| (hits[i], self.lines[hits[i]].1))
    }

    /// The lines where `re` matches, searched once per page and remembered.
    fn hits(&self, re: &regex::Regex) -> Hits {
        if let Some((_, hits)) = self
            .searched
            .borrow()
            .iter()
            .find(|(r, _)| std::ptr::eq(*r, re))
        {
            return hits.clone();
        }
        let hits: Hits = self.matching(re, 0).map(|(k, _)| k).collect();
        self.searched.borrow_mut().push((re, hits.clone()));
        hits
    }

    pub fn blocks(&self) -> &'a [Block] {
        self.blocks
    }
}

/// Elements that start a new block of text (the CSS display:block ones).
fn is_block(name: &str) -> bool {
    matches!(
        name,
        "address"
            | "article"
            | "aside"
            | "blockquote"
            | "body"
            | "caption"
            | "center"
            | "dd"
            | "details"
            | "dialog"
            | "dir"
            | "div"
            | "dl"
            | "dt"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "footer"
            | "form"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "header"
            | "hgroup"
            | "hr"
            | "html"
            | "legend"
            | "li"
            | "main"
            | "menu"
            | "nav"
            | "ol"
            | "p"
            | "pre"
            | "section"
            | "summary"
            | "table"
            | "tbody"
            | "td"
            | "tfoot"
            | "th"
            | "thead"
            | "tr"
            | "ul"
    )
}

/// Elements whose content a reader never sees as page text.
fn is_skipped(name: &str) -> bool {
    matches!(
        name,
        "audio"
            | "button"
            | "canvas"
            | "embed"
            | "iframe"
            | "map"
            | "math"
            | "nav"
            | "noembed"
            | "noframes"
            | "noscript"
            | "object"
            | "select"
            | "style"
            | "svg"
            | "template"
            | "textarea"
            | "video"
    )
}

/// Longest text a bold-only paragraph may have and still read as a heading.
const STYLED_HEADING_MAX_CHARS: usize = 120;

pub fn flatten(doc: &Html) -> Flattened {
    let mut out = Flattened::default();
    let mut b = Builder::default();
    let mut skip: Option<ego_tree::NodeId> = None;
    let mut in_title = false;
    let mut in_script = false;
    let mut title = String::new();
    // Ids of the panels that disclosure buttons open (`aria-controls`); a
    // set, so that a page of many buttons and panels stays linear.
    let mut controlled: HashSet<String> = HashSet::new();

    for edge in doc.tree.root().traverse() {
        match edge {
            Edge::Open(node) => {
                if skip.is_some() {
                    continue;
                }
                match node.value() {
                    Node::Text(t) if in_title => title.push_str(t),
                    Node::Text(t) if in_script => b.scripts.push_str(t),
                    Node::Text(t) => b.push_text(t),
                    Node::Element(e) => {
                        let name = e.name();
                        let toggle = name == "button" && is_toggle(e);
                        if (is_skipped(name) && !toggle)
                            || (is_hidden(e) && !is_disclosed(node, e, &controlled))
                        {
                            if out.breadcrumb.is_empty() && is_trail(e) {
                                out.breadcrumb = trail_links(node);
                            }
                            skip = Some(node.id());
                            continue;
                        }
                        if toggle {
                            if let Some(ids) = e.attr("aria-controls") {
                                controlled.extend(ids.split_ascii_whitespace().map(str::to_owned));
                            }
                            b.flush(&mut out.blocks);
                            b.toggle = true;
                        }
                        match name {
                            "title" => in_title = true,
                            "script" => in_script = true,
                            "html" => {
                                out.lang = e
                                    .attr("lang")
                                    .or_else(|| e.attr("xml:lang"))
                                    .map(str::to_owned)
                            }
                            "meta"
                                if e.attr("http-equiv")
                                    .is_some_and(|h| h.eq_ignore_ascii_case("refresh")) =>
                            {
                                out.refresh = e.attr("content").map(str::to_owned)
                            }
                            "meta" if out.lang.is_none() => out.lang = meta_lang(e),
                            "link" if out.canonical.is_none() && rel_is(e, "canonical") => {
                                out.canonical = e.attr("href").map(str::to_owned)
                            }
                            "frame" => out.frames.extend(e.attr("src").map(str::to_owned)),
                            "br" => b.line_break(&mut out.blocks),
                            "a" => b.open_link(e.attr("href")),
                            "img" => b.image(e.attr("src"), e.attr("alt")),
                            "b" | "strong" => b.strong += 1,
                            _ => {}
                        }
                        if is_block(name) {
                            b.flush(&mut out.blocks);
                            b.open_cell_structure(name);
                            if let Some(level) = heading_level(name) {
                                b.headings.push(level);
                            }
                        }
                    }
                    _ => {}
                }
            }
            Edge::Close(node) => {
                if let Some(id) = skip {
                    if id == node.id() {
                        skip = None;
                    }
                    continue;
                }
                if let Node::Element(e) = node.value() {
                    let name = e.name();
                    match name {
                        "title" => in_title = false,
                        "script" => {
                            in_script = false;
                            b.scripts.push('\n');
                        }
                        "a" => b.close_link(),
                        "b" | "strong" => b.strong = b.strong.saturating_sub(1),
                        // Only disclosure buttons get here; the others are skipped.
                        "button" => b.flush(&mut out.blocks),
                        _ => {}
                    }
                    if is_block(name) {
                        b.flush(&mut out.blocks);
                        b.close_cell_structure(name);
                        if heading_level(name).is_some() {
                            b.headings.pop();
                        }
                    }
                }
            }
        }
    }
    b.flush(&mut out.blocks);
    data_cells_are_no_headings(&mut out.blocks);
    let title = fold(&title);
    out.title = (!title.is_empty()).then_some(title);
    out
}

/// A row of several cells each set in bold alone ("Nätverk | Om
/// nätverket" in `<strong>`) is a table's header row, not sections of the
/// page. A layout table's bold title beside its menu cell stays a heading.
fn data_cells_are_no_headings(blocks: &mut [Block]) {
    // Per row: its first column, whether it has another, whether every
    // block in it is bold alone.
    let mut rows: std::collections::HashMap<u32, (u16, bool, bool)> =
        std::collections::HashMap::new();
    for b in blocks.iter() {
        let Some((row, col, _)) = b.cell else {
            continue;
        };
        let entry = rows.entry(row).or_insert((col, false, true));
        entry.1 |= entry.0 != col;
        entry.2 &= b.heading == Some(0);
    }
    for b in blocks.iter_mut().filter(|b| b.heading == Some(0)) {
        let header_row = b
            .cell
            .and_then(|(row, _, _)| rows.get(&row))
            .is_some_and(|&(_, several, all_bold)| several && all_bold);
        if header_row {
            b.heading = None;
        }
    }
}

/// A navigation landmark whose accessible name says it is the page's trail,
/// or which is marked up as one ("breadcrumb" is the web's common word for
/// it, in any site's class names, not one site's).
fn is_trail(e: &scraper::node::Element) -> bool {
    let named = |v: &str| {
        let v = v.to_lowercase();
        [
            "brödsmul",
            "breadcrumb",
            "du är här",
            "här är du",
            "you are here",
        ]
        .iter()
        .any(|w| v.contains(w))
    };
    (e.name() == "nav" || e.attr("role") == Some("navigation"))
        && e.attrs().any(|(name, value)| {
            matches!(name, "aria-label" | "title" | "class" | "id") && named(value)
        })
}

/// The links inside a trail landmark, with their visible text.
fn trail_links(node: ego_tree::NodeRef<'_, Node>) -> Vec<RawLink> {
    node.descendants()
        .filter_map(|n| {
            let e = n.value().as_element().filter(|e| e.name() == "a")?;
            let href = e.attr("href")?.to_owned();
            let text: String = n
                .descendants()
                .filter_map(|t| t.value().as_text().map(|t| &**t))
                .collect();
            let text = fold(&text);
            (!text.is_empty()).then_some(RawLink { text, href })
        })
        .collect()
}

fn heading_level(name: &str) -> Option<u8> {
    match name {
        "h1" => Some(1),
        "h2" => Some(2),
        "h3" => Some(3),
        "h4" => Some(4),
        "h5" => Some(5),
        "h6" => Some(6),
        _ => None,
    }
}

/// A button that shows and hides a panel (an accordion's question, "Visa
/// mer"): its text is the panel's heading, unlike other buttons' labels.
fn is_toggle(e: &scraper::node::Element) -> bool {
    e.attrs()
        .any(|(name, _)| matches!(name, "aria-expanded" | "aria-controls"))
}

/// A hidden panel that a disclosure button opens: collapsed, not absent (an
/// accordion's answers are page text an editor wrote). Named by the button's
/// `aria-controls`, or right after the button (or after the heading that
/// holds it).
fn is_disclosed(
    node: ego_tree::NodeRef<'_, Node>,
    e: &scraper::node::Element,
    controlled: &HashSet<String>,
) -> bool {
    if e.id().is_some_and(|id| controlled.contains(id)) {
        return true;
    }
    let Some(before) = node.prev_siblings().find(|n| n.value().is_element()) else {
        return false;
    };
    let toggle = |n: ego_tree::NodeRef<'_, Node>| {
        n.value()
            .as_element()
            .is_some_and(|e| e.name() == "button" && is_toggle(e))
    };
    toggle(before) || before.children().any(toggle)
}

/// One pass over the attributes: `Element::attr` interns its argument, which
/// costs more than the scan on elements that have one or two attributes.
fn is_hidden(e: &scraper::node::Element) -> bool {
    e.attrs().any(|(name, value)| match name {
        "hidden" => true,
        "aria-hidden" => value == "true",
        "role" => matches!(value, "navigation" | "search"),
        // The Wayback toolbar when its comments were lost (saved copies, partial cleaning).
        "id" => value.starts_with("wm-ipp") || value.starts_with("donato"),
        "style" => hides(value),
        _ => false,
    })
}

/// `display: none` in an inline style, in any case and spacing, without allocating.
fn hides(style: &str) -> bool {
    let bytes = style.as_bytes();
    let mut from = 0;
    while let Some(at) = find_ci(&bytes[from..], b"display") {
        let rest = &style[from + at + "display".len()..];
        let rest = rest.trim_start();
        if let Some(value) = rest.strip_prefix(':')
            && value
                .trim_start()
                .get(..4)
                .is_some_and(|v| v.eq_ignore_ascii_case("none"))
        {
            return true;
        }
        from += at + 1;
    }
    false
}

fn find_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

fn rel_is(e: &scraper::node::Element, want: &str) -> bool {
    e.attr("rel").is_some_and(|r| {
        r.split_ascii_whitespace()
            .any(|t| t.eq_ignore_ascii_case(want))
    })
}

fn meta_lang(e: &scraper::node::Element) -> Option<String> {
    let key = e.attr("http-equiv").or_else(|| e.attr("name"))?;
    let is_lang = ["content-language", "dc.language", "language"]
        .iter()
        .any(|k| key.eq_ignore_ascii_case(k));
    is_lang
        .then(|| e.attr("content").map(str::to_owned))
        .flatten()
}

/// Folds whitespace runs (non-breaking spaces included) to one space and trims.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    fold_into(&mut out, s, &mut false);
    out
}

/// Appends `text` to `buf` with whitespace runs folded and invisible
/// characters dropped; `pending_space` carries a run of whitespace that ended
/// one text node into the next, so a space is written only between two words.
/// Returns whether any visible character was written.
///
/// Written by hand as a byte loop: this runs over every text node of every
/// page, and as an iterator chain over `char`s it was the largest single cost
/// of extraction. Stretches already in folded form (words and single spaces)
/// are copied whole.
fn fold_into(buf: &mut String, text: &str, pending_space: &mut bool) -> bool {
    let bytes = text.as_bytes();
    let mut visible = false;
    let mut run: Option<usize> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if !NEEDS_LOOK[usize::from(b)] {
            run.get_or_insert(i);
            i += 1;
            continue;
        }
        let single_space_in_run = b == b' '
            && run.is_some()
            && bytes
                .get(i + 1)
                .is_some_and(|&n| !NEEDS_LOOK[usize::from(n)]);
        if single_space_in_run {
            i += 1;
            continue;
        }
        // `i` is at a char boundary (ASCII, or a lead byte listed in
        // NEEDS_LOOK), so `get` cannot fail; it is used so nothing can panic.
        let Some(c) = text.get(i..).and_then(|t| t.chars().next()) else {
            break;
        };
        let space = c.is_whitespace();
        if !space && !is_invisible(c) {
            run.get_or_insert(i);
        } else {
            if let Some(start) = run.take() {
                push_run(buf, text.get(start..i).unwrap_or(""), pending_space);
                visible = true;
            }
            *pending_space |= space;
        }
        i += c.len_utf8();
    }
    if let Some(start) = run {
        push_run(buf, text.get(start..).unwrap_or(""), pending_space);
        visible = true;
    }
    visible
}

/// Bytes that may start a whitespace or invisible character: ASCII
/// whitespace, and the UTF-8 lead bytes of U+0085–U+00AD, U+1680,
/// U+2000–U+206F, U+3000 and U+FEFF. Every other byte is part of a word.
const NEEDS_LOOK: [bool; 256] = {
    let mut t = [false; 256];
    let marked = [
        b' ', b'\t', b'\n', b'\r', 0x0b, 0x0c, 0xc2, 0xe1, 0xe2, 0xe3, 0xef,
    ];
    let mut k = 0;
    while k < marked.len() {
        t[marked[k] as usize] = true;
        k += 1;
    }
    t
};

/// Appends one stretch of words, after a space if one is pending.
fn push_run(buf: &mut String, run: &str, pending_space: &mut bool) {
    if *pending_space && !buf.is_empty() && !buf.ends_with('\n') {
        buf.push(' ');
    }
    buf.push_str(run);
    *pending_space = false;
}

/// Soft hyphens and zero-width characters: present in bytes, absent on screen.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{ad}' | '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}' | '\u{feff}'
    )
}

#[derive(Default)]
struct Builder {
    buf: String,
    pending_space: bool,
    /// Whether the block has visible text, and whether any of it is outside bold.
    visible: bool,
    plain_visible: bool,
    strong: u32,
    /// The block is a disclosure button's label: a heading, question mark or not.
    toggle: bool,
    headings: Vec<u8>,
    links: Vec<RawLink>,
    open_links: Vec<(usize, String)>,
    scripts: String,
    /// Whether the first line was all bold, known at its `<br>`.
    first_line_bold: Option<bool>,
    list_depth: u32,
    /// Images met since the last block with text.
    images: Vec<RawLink>,
    /// Rows seen so far; per open table, the current row and column.
    rows: u32,
    cells: Vec<(u32, u16, bool)>,
}

impl Builder {
    fn push_text(&mut self, text: &str) {
        if fold_into(&mut self.buf, text, &mut self.pending_space) {
            self.visible = true;
            if self.strong == 0 {
                self.plain_visible = true;
            }
        }
    }

    /// A `<br>`. Two in a row (`<br><br>`, the paragraph break of pages
    /// set in `<font>` and table cells) end the block: a reader sees a blank
    /// line, and a label or heading after it starts a block of its own.
    fn line_break(&mut self, blocks: &mut Vec<Block>) {
        if self.buf.ends_with('\n') && self.visible {
            self.flush(blocks);
            return;
        }
        if self.first_line_bold.is_none() && self.visible {
            self.first_line_bold = Some(!self.plain_visible);
        }
        self.buf.push('\n');
        self.pending_space = false;
    }

    fn image(&mut self, src: Option<&str>, alt: Option<&str>) {
        let src = src.unwrap_or("").trim();
        if src.is_empty()
            || src
                .get(..5)
                .is_some_and(|s| s.eq_ignore_ascii_case("data:"))
        {
            return;
        }
        self.images.push(RawLink {
            text: fold(alt.unwrap_or("")),
            href: src.to_owned(),
        });
    }

    fn open_link(&mut self, href: Option<&str>) {
        let start = self.buf.len();
        self.open_links
            .push((start, href.unwrap_or("").trim().to_owned()));
    }

    fn close_link(&mut self) {
        let Some((start, href)) = self.open_links.pop() else {
            return;
        };
        let text = fold(self.buf.get(start..).unwrap_or(""));
        if !href.is_empty() && !text.is_empty() {
            self.links.push(RawLink { text, href });
        }
    }

    fn flush(&mut self, blocks: &mut Vec<Block>) {
        // A link spanning blocks keeps only the text of the block it ends in.
        for (start, _) in &mut self.open_links {
            *start = 0;
        }
        self.pending_space = false;
        let toggle = std::mem::take(&mut self.toggle);
        if !self.visible {
            self.buf.clear();
            self.links.clear();
            return;
        }
        let lines: Vec<String> = self
            .buf
            .split('\n')
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect();
        let styled = !self.plain_visible
            && lines.len() == 1
            && lines[0].chars().count() <= STYLED_HEADING_MAX_CHARS
            && !lines[0].ends_with(['.', ',', ';', '!', '?']);
        let heading = self
            .headings
            .last()
            .copied()
            .or((styled || (toggle && lines.len() == 1)).then_some(0));
        let first_line_bold = lines.len() > 1 && self.first_line_bold == Some(true);
        blocks.push(Block {
            heading,
            lines,
            links: std::mem::take(&mut self.links),
            scripts: std::mem::take(&mut self.scripts),
            first_line_bold,
            list_item: self.list_depth > 0,
            images: std::mem::take(&mut self.images),
            cell: self.cells.last().copied(),
        });
        self.buf.clear();
        self.visible = false;
        self.plain_visible = false;
        self.first_line_bold = None;
    }

    /// Table structure, for tables of people (Namn / Telefon / E-post).
    fn open_cell_structure(&mut self, name: &str) {
        match name {
            "table" => self.cells.push((0, 0, false)),
            "tr" => {
                self.rows += 1;
                if let Some(c) = self.cells.last_mut() {
                    *c = (self.rows, 0, false);
                }
            }
            "td" | "th" => {
                if let Some(c) = self.cells.last_mut() {
                    c.1 += 1;
                    c.2 = name == "th";
                }
            }
            "li" => self.list_depth += 1,
            _ => {}
        }
    }

    fn close_cell_structure(&mut self, name: &str) {
        match name {
            "table" => {
                self.cells.pop();
            }
            "li" => self.list_depth = self.list_depth.saturating_sub(1),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(html: &str) -> Vec<Block> {
        flatten(&Html::parse_document(html)).blocks
    }

    #[test]
    fn disclosure_panels_are_text_other_hidden_content_is_not() {
        let b = blocks(
            "<h3><button aria-expanded='false' aria-controls='p1'>Vilka gator plogas först?</button></h3>\
             <div id='p1' hidden><p>Huvudgator först.</p></div>\
             <button aria-expanded='false'>När sandar ni?</button><div hidden><p>När det är halt.</p></div>\
             <button type='submit'>Sök</button><div hidden>gömd</div>\
             <p style='display:none'>dold</p><p>Slut</p>",
        );
        let got: Vec<_> = b.iter().map(|b| (b.heading, b.text())).collect();
        assert_eq!(
            got,
            vec![
                (Some(3), "Vilka gator plogas först?".to_string()),
                (None, "Huvudgator först.".to_string()),
                (Some(0), "När sandar ni?".to_string()),
                (None, "När det är halt.".to_string()),
                (None, "Slut".to_string()),
            ]
        );
    }

    #[test]
    fn a_blank_line_of_two_breaks_ends_a_block() {
        let b = blocks(
            "<td><font size='4'><b>Färdtjänst</b></font><br><br>\n<font size='2'>Första stycket.<br>\n<br>\
             <b>För mer information kontakta:</b><br>Karin Ek, tfn 0455-30 31 11<br><br>Senast ändrad 2009-11-02</font></td>",
        );
        let got: Vec<_> = b.iter().map(|b| (b.heading, b.lines.clone())).collect();
        assert_eq!(
            got,
            vec![
                (Some(0), vec!["Färdtjänst".to_string()]),
                (None, vec!["Första stycket.".to_string()]),
                (
                    None,
                    vec![
                        "För mer information kontakta:".to_string(),
                        "Karin Ek, tfn 0455-30 31 11".to_string()
                    ]
                ),
                (None, vec!["Senast ändrad 2009-11-02".to_string()]),
            ]
        );
    }

    #[test]
    fn headings_real_and_styled() {
        let b = blocks(
            "<h2>Baltic&nbsp;Sail</h2><p><strong>Baltic Link Association</strong></p>\
             <p><b>Not a heading.</b></p><p>Text <b>with</b> bold</p>",
        );
        let got: Vec<_> = b.iter().map(|b| (b.heading, b.text())).collect();
        assert_eq!(
            got,
            [
                (Some(2), "Baltic Sail".to_owned()),
                (Some(0), "Baltic Link Association".to_owned()),
                (None, "Not a heading.".to_owned()),
                (None, "Text with bold".to_owned()),
            ]
        );
    }

    #[test]
    fn lines_links_and_hidden_content() {
        let b = blocks(
            "<p>Tore  Almlöf<br/>Chef\n för planering<br>0455-30 30 27</p>\
             <div style='display: none'>hidden</div><script>var x='a@b.se';</script>\
             <p>Läs <a href='/x'>mer  här</a>.</p><nav><a href='/'>Start</a></nav>",
        );
        assert_eq!(
            b[0].lines,
            ["Tore Almlöf", "Chef för planering", "0455-30 30 27"]
        );
        assert_eq!(b[1].text(), "Läs mer här.");
        assert_eq!(
            (b[1].links[0].text.as_str(), b[1].links[0].href.as_str()),
            ("mer här", "/x")
        );
        assert!(b[1].scripts.contains("a@b.se"));
        assert_eq!(b.len(), 2);
    }

    #[test]
    fn head_facts() {
        let f = flatten(&Html::parse_document(
            "<html lang='sv-SE'><head><title> Sida  - Karlskrona kommun</title>\
             <link rel='canonical' href='http://x.se/a'></head><body><p>x</p></body></html>",
        ));
        assert_eq!(f.title.as_deref(), Some("Sida - Karlskrona kommun"));
        assert_eq!(f.lang.as_deref(), Some("sv-SE"));
        assert_eq!(f.canonical.as_deref(), Some("http://x.se/a"));
    }

    #[test]
    fn fold_whitespace_and_invisible_characters() {
        let cases = [
            ("  Östra\u{a0}Hamngatan \t 7B\n", "Östra Hamngatan 7B"),
            ("Karls\u{ad}krona", "Karlskrona"),
            ("a \u{ad} b\u{200b}", "a b"),
            (
                "\u{feff}\u{2003}ord\u{3000}och\u{2028}ord €",
                "ord och ord €",
            ),
            ("\u{ad}", ""),
            ("åäö  ÅÄÖ", "åäö ÅÄÖ"),
        ];
        for (input, want) in cases {
            assert_eq!(fold(input), want, "{input:?}");
        }
        // A space pending at the end of one text node is written before the next word.
        let (mut buf, mut pending) = (String::new(), false);
        assert!(fold_into(&mut buf, "Tore ", &mut pending));
        assert!(!fold_into(&mut buf, " \u{ad} ", &mut pending));
        assert!(fold_into(&mut buf, "Almlöf", &mut pending));
        assert!(fold_into(&mut buf, "s", &mut pending));
        assert_eq!(buf, "Tore Almlöfs");
    }

    proptest::proptest! {
        #[test]
        fn fold_is_split_filter_join(s in "[ a-zåÖ\u{a0}\u{ad}\u{200b}\u{2003}\t\n€.]{0,60}") {
            let want = s
                .split(char::is_whitespace)
                .map(|w| w.chars().filter(|&c| !is_invisible(c)).collect::<String>())
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            proptest::prop_assert_eq!(fold(&s), want);
        }
    }

    #[test]
    fn page_lines_search_line_by_line() {
        let b = blocks(
            "<p>Länk till<br>sidan: x</p><p>Postadress: Box 1</p><p>intro</p>\
             <p>Sidan uppdaterad: 2010-01-01<br>Postadress: Box 2</p>",
        );
        let lines = PageLines::new(&b);
        let link = regex::Regex::new(r"Länk\s+till\s+sidan").expect("regex");
        // "Länk till" + "sidan" only match across a line break: no hit.
        assert_eq!(lines.first_block(&link, 0), None);
        let postal = regex::Regex::new("Postadress").expect("regex");
        assert_eq!(lines.first_block(&postal, 0), Some(1));
        assert_eq!(lines.first_block(&postal, 2), Some(3));
        assert_eq!(lines.first_block(&postal, 1), Some(1));
        let at_start = regex::Regex::new("(?m)^Sidan").expect("regex");
        let hits: Vec<_> = lines.matching(&at_start, 0).collect();
        assert_eq!(hits, [(4, 3)]);
        assert_eq!(lines.line(5), Some("Postadress: Box 2"));
        assert_eq!(lines.line(6), None);
        assert_eq!(lines.first_block(&postal, 4), None);
        // One search per label, however often and from wherever it is asked:
        // a page of many matching lines must not be walked once per question.
        assert_eq!(lines.searched.borrow().len(), 2, "link and postal");
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        // html5ever itself is quadratic in nesting depth, so keep this modest.
        let html = "<div>".repeat(5_000) + "deep" + &"</div>".repeat(5_000);
        assert_eq!(blocks(&html).len(), 1);
    }
}
