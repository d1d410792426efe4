//! HTML → DOM with bounded work, whatever the page.
//!
//! html5ever builds the tree as the HTML standard says, and the standard has
//! two places where work grows with the square of the input:
//!
//! - **Deep nesting.** Each start tag scans the stack of open elements (is a
//!   `<p>` in button scope?), so 100,000 nested `<div>`s take minutes.
//!   Chromium and WebKit cap the tree depth at 512 and attach deeper elements
//!   to the nearest allowed ancestor; html5ever has no cap (its issue 788).
//!   Here a start tag that would open an element deeper than [`MAX_OPEN`] is
//!   dropped, and so is its end tag: its content joins the element at the
//!   cap, and no text is lost.
//! - **Reopened formatting elements.** Every unclosed `<b>`, `<font>`, `<a>`
//!   … is cloned into each new paragraph ("reconstruct the active formatting
//!   elements"); the Noah's Ark clause merges only identical ones, so
//!   thousands of `<b id=N>` are reopened in each of thousands of
//!   paragraphs. A depth cap does not bound that. Here at most
//!   [`MAX_FORMATTING`] formatting elements are left open (later ones only
//!   lose their formatting); and should clones still outgrow the page's own
//!   elements by [`MAX_CLONES`], the page is refused with that reason.
//!
//! Both sit between html5ever's tokenizer and its tree builder (a token
//! filter) and around scraper's tree sink (a counter), so the rest of the
//! parse is html5ever's own. A deadline, checked as tokens flow, bounds
//! what remains.

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use html5ever::tree_builder::{
    ElementFlags, NodeOrText, QuirksMode, Tracer, TreeBuilder, TreeBuilderOpts, TreeSink,
};
use html5ever::{Attribute, LocalName, QualName, local_name};
use scraper::{Html, HtmlTreeSink};
use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::time::Instant;

/// Open elements (and formatting entries) the tree builder may hold, as in Chromium.
pub const MAX_OPEN: usize = 512;
/// Formatting elements left open at once.
pub const MAX_FORMATTING: usize = 16;
/// Elements created beyond the page's own start tags (clones of formatting
/// elements) before the page is refused, unless the page has more tags.
pub const MAX_CLONES: usize = 200_000;
/// Input fed to the tokenizer at once; the deadline is also checked between pieces.
const PIECE: usize = 64 * 1024;
/// Tokens between two looks at the clock.
const CLOCK_EVERY: u32 = 1024;

/// Why a document was not turned into a tree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomError {
    #[error("parsing took longer than page_time_budget_seconds allows")]
    OverBudget,
    #[error(
        "the page reopens its unclosed formatting elements (<b>, <font>, …) in paragraph after paragraph: more than {MAX_CLONES} copies"
    )]
    TooManyClones,
}

/// Parses `html` as a whole document, within the bounds above and, when
/// given, before `deadline`.
pub fn parse(html: &str, deadline: Option<Instant>) -> Result<Html, DomError> {
    let sink = CountingSink {
        inner: HtmlTreeSink::new(Html::new_document()),
        elements: Cell::new(0),
    };
    let filter = Bounds {
        builder: TreeBuilder::new(sink, TreeBuilderOpts::default()),
        dropped: RefCell::new(HashMap::new()),
        formatting: RefCell::new(HashMap::new()),
        formatting_open: Cell::new(0),
        held_at: Cell::new((0, 0)),
        start_tags: Cell::new(0),
        tokens: Cell::new(0),
        deadline,
        stopped: Cell::new(None),
    };
    let tokenizer = Tokenizer::new(filter, TokenizerOpts::default());
    let queue = BufferQueue::default();
    let mut rest = html;
    while !rest.is_empty() {
        let mut cut = rest.len().min(PIECE);
        while !rest.is_char_boundary(cut) {
            cut += 1;
        }
        let (piece, after) = rest.split_at(cut);
        queue.push_back(StrTendril::from_slice(piece));
        rest = after;
        // A script result asks the caller to run a script; there is none to run.
        while let html5ever::TokenizerResult::Script(_) = tokenizer.feed(&queue) {}
        if let Some(e) = tokenizer.sink.stopped.take() {
            return Err(e);
        }
        if deadline.is_some_and(|d| Instant::now() > d) {
            return Err(DomError::OverBudget);
        }
    }
    tokenizer.end();
    if let Some(e) = tokenizer.sink.stopped.take() {
        return Err(e);
    }
    Ok(tokenizer.sink.builder.sink.inner.finish())
}

/// The token filter between tokenizer and tree builder.
struct Bounds {
    builder: TreeBuilder<ego_tree::NodeId, CountingSink>,
    /// Start tags dropped at the caps, by name, whose end tags are dropped too.
    dropped: RefCell<HashMap<LocalName, u32>>,
    /// Formatting elements forwarded and not yet closed, by name.
    formatting: RefCell<HashMap<LocalName, u32>>,
    formatting_open: Cell<usize>,
    /// The handles held at the last count, and the elements created by
    /// then: each element created since adds at most two (an open element
    /// and a formatting entry or marker), so counting again can wait until
    /// that bound nears the cap.
    held_at: Cell<(usize, usize)>,
    start_tags: Cell<usize>,
    tokens: Cell<u32>,
    deadline: Option<Instant>,
    /// Set once the page is given up; every later token is dropped.
    stopped: Cell<Option<DomError>>,
}

/// Elements that never stay open (void), or whose content the tokenizer
/// must read as text: never dropped, since the tokenizer's state follows them.
fn never_dropped(name: &LocalName) -> bool {
    matches!(
        *name,
        local_name!("area")
            | local_name!("base")
            | local_name!("basefont")
            | local_name!("bgsound")
            | local_name!("br")
            | local_name!("col")
            | local_name!("embed")
            | local_name!("frame")
            | local_name!("hr")
            | local_name!("img")
            | local_name!("input")
            | local_name!("keygen")
            | local_name!("link")
            | local_name!("meta")
            | local_name!("param")
            | local_name!("source")
            | local_name!("track")
            | local_name!("wbr")
            | local_name!("html")
            | local_name!("head")
            | local_name!("body")
            | local_name!("script")
            | local_name!("style")
            | local_name!("textarea")
            | local_name!("title")
            | local_name!("xmp")
            | local_name!("iframe")
            | local_name!("noembed")
            | local_name!("noframes")
            | local_name!("noscript")
            | local_name!("plaintext")
    )
}

fn is_formatting(name: &LocalName) -> bool {
    matches!(
        *name,
        local_name!("a")
            | local_name!("b")
            | local_name!("big")
            | local_name!("code")
            | local_name!("em")
            | local_name!("font")
            | local_name!("i")
            | local_name!("nobr")
            | local_name!("s")
            | local_name!("small")
            | local_name!("strike")
            | local_name!("strong")
            | local_name!("tt")
            | local_name!("u")
    )
}

/// Counts the handles the tree builder holds: its open elements and its
/// active formatting entries (and a handful of fixed ones).
struct CountHandles(Cell<usize>);

impl Tracer for CountHandles {
    type Handle = ego_tree::NodeId;
    fn trace_handle(&self, _: &ego_tree::NodeId) {
        self.0.set(self.0.get() + 1);
    }
}

impl Bounds {
    /// Whether the tree builder holds [`MAX_OPEN`] handles. Counting them
    /// walks its stack, so it is done only when the bound says it could be so.
    fn at_cap(&self) -> bool {
        let elements = self.builder.sink.elements.get();
        let (held, then) = self.held_at.get();
        if held + 2 * (elements - then) < MAX_OPEN {
            return false;
        }
        let count = CountHandles(Cell::new(0));
        self.builder.trace_handles(&count);
        self.held_at.set((count.0.get(), elements));
        count.0.get() >= MAX_OPEN
    }

    /// Whether the tag goes on to the tree builder.
    fn admit(&self, kind: TagKind, name: &LocalName) -> bool {
        match kind {
            TagKind::StartTag => {
                if never_dropped(name) {
                    self.start_tags.set(self.start_tags.get() + 1);
                    return true;
                }
                let formatting = is_formatting(name);
                let full =
                    (formatting && self.formatting_open.get() >= MAX_FORMATTING) || self.at_cap();
                if full {
                    *self.dropped.borrow_mut().entry(name.clone()).or_default() += 1;
                    return false;
                }
                self.start_tags.set(self.start_tags.get() + 1);
                if formatting {
                    *self
                        .formatting
                        .borrow_mut()
                        .entry(name.clone())
                        .or_default() += 1;
                    self.formatting_open.set(self.formatting_open.get() + 1);
                }
                true
            }
            TagKind::EndTag => {
                if let Some(n) = self.dropped.borrow_mut().get_mut(name).filter(|n| **n > 0) {
                    *n -= 1;
                    return false;
                }
                if let Some(n) = self
                    .formatting
                    .borrow_mut()
                    .get_mut(name)
                    .filter(|n| **n > 0)
                {
                    *n -= 1;
                    self.formatting_open
                        .set(self.formatting_open.get().saturating_sub(1));
                }
                true
            }
        }
    }

    /// Gives the page up when it is over its deadline or its clones outgrow it.
    fn check(&self) -> Option<DomError> {
        let n = self.tokens.get().wrapping_add(1);
        self.tokens.set(n);
        if !n.is_multiple_of(CLOCK_EVERY) {
            return None;
        }
        let clones = self
            .builder
            .sink
            .elements
            .get()
            .saturating_sub(self.start_tags.get());
        // Implied elements (a `<tbody>` per `<table><tr>`) are fewer than the tags.
        if clones > MAX_CLONES.max(self.start_tags.get()) {
            return Some(DomError::TooManyClones);
        }
        self.deadline
            .is_some_and(|d| Instant::now() > d)
            .then_some(DomError::OverBudget)
    }
}

impl TokenSink for Bounds {
    type Handle = ego_tree::NodeId;

    fn process_token(&self, token: Token, line: u64) -> TokenSinkResult<Self::Handle> {
        let stopped = self.stopped.take();
        if let Some(e) = stopped.or_else(|| self.check()) {
            self.stopped.set(Some(e));
            return TokenSinkResult::Continue;
        }
        if let Token::TagToken(tag) = &token
            && !self.admit(tag.kind, &tag.name)
        {
            return TokenSinkResult::Continue;
        }
        self.builder.process_token(token, line)
    }

    fn end(&self) {
        self.builder.end();
    }

    fn adjusted_current_node_present_but_not_in_html_namespace(&self) -> bool {
        self.builder
            .adjusted_current_node_present_but_not_in_html_namespace()
    }
}

/// scraper's tree sink, counting the elements it is asked to create.
struct CountingSink {
    inner: HtmlTreeSink,
    elements: Cell<usize>,
}

type Handle = ego_tree::NodeId;

impl TreeSink for CountingSink {
    type Output = Html;
    type Handle = Handle;
    type ElemName<'a> = <HtmlTreeSink as TreeSink>::ElemName<'a>;

    fn finish(self) -> Html {
        self.inner.finish()
    }
    fn parse_error(&self, msg: Cow<'static, str>) {
        self.inner.parse_error(msg);
    }
    fn get_document(&self) -> Handle {
        self.inner.get_document()
    }
    fn elem_name<'a>(&'a self, target: &'a Handle) -> Self::ElemName<'a> {
        self.inner.elem_name(target)
    }
    fn create_element(&self, name: QualName, attrs: Vec<Attribute>, flags: ElementFlags) -> Handle {
        self.elements.set(self.elements.get() + 1);
        self.inner.create_element(name, attrs, flags)
    }
    fn create_comment(&self, text: StrTendril) -> Handle {
        self.inner.create_comment(text)
    }
    fn create_pi(&self, target: StrTendril, data: StrTendril) -> Handle {
        self.inner.create_pi(target, data)
    }
    fn append(&self, parent: &Handle, child: NodeOrText<Handle>) {
        self.inner.append(parent, child);
    }
    fn append_based_on_parent_node(
        &self,
        element: &Handle,
        prev_element: &Handle,
        child: NodeOrText<Handle>,
    ) {
        self.inner
            .append_based_on_parent_node(element, prev_element, child);
    }
    fn append_doctype_to_document(
        &self,
        name: StrTendril,
        public_id: StrTendril,
        system_id: StrTendril,
    ) {
        self.inner
            .append_doctype_to_document(name, public_id, system_id);
    }
    fn get_template_contents(&self, target: &Handle) -> Handle {
        self.inner.get_template_contents(target)
    }
    fn same_node(&self, x: &Handle, y: &Handle) -> bool {
        self.inner.same_node(x, y)
    }
    fn set_quirks_mode(&self, mode: QuirksMode) {
        self.inner.set_quirks_mode(mode);
    }
    fn append_before_sibling(&self, sibling: &Handle, new_node: NodeOrText<Handle>) {
        self.inner.append_before_sibling(sibling, new_node);
    }
    fn add_attrs_if_missing(&self, target: &Handle, attrs: Vec<Attribute>) {
        self.inner.add_attrs_if_missing(target, attrs);
    }
    fn remove_from_parent(&self, target: &Handle) {
        self.inner.remove_from_parent(target);
    }
    fn reparent_children(&self, node: &Handle, new_parent: &Handle) {
        self.inner.reparent_children(node, new_parent);
    }
    fn is_mathml_annotation_xml_integration_point(&self, handle: &Handle) -> bool {
        self.inner
            .is_mathml_annotation_xml_integration_point(handle)
    }
}

/// The hostile page generators of `benches/hostile.rs`, for the tests below.
#[cfg(test)]
#[path = "../../benches/hostile/pages.rs"]
mod hostile_pages;

#[cfg(test)]
mod tests {
    use super::hostile_pages as pages;
    use super::*;
    use scraper::Selector;

    fn text(html: &Html) -> String {
        html.root_element().text().collect()
    }

    fn depth(html: &Html) -> usize {
        html.tree
            .nodes()
            .map(|n| n.ancestors().count())
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn ordinary_pages_parse_as_html5ever_does() {
        let page = "<!doctype html><html><head><title>T</title><script>if (a<b) x()</script></head>\
                    <body><h1>Rubrik</h1><p>Ett <b>fett <i>ord</b> kvar</i><table><tr><td>cell</table>\
                    <ul><li>ett<li>två</ul><p>a<p>b<textarea><p>inte en tagg</textarea></body></html>";
        let ours = parse(page, None).expect("parse");
        let theirs = Html::parse_document(page);
        assert_eq!(ours.html(), theirs.html());
    }

    #[test]
    fn deep_nesting_is_capped_and_keeps_its_text() {
        let html = parse(&pages::nested_divs(20_000), None).expect("parse");
        assert!(depth(&html) <= MAX_OPEN + 2, "depth {}", depth(&html));
        let t = text(&html);
        assert!(
            t.contains("innerst") && t.contains("Sidan uppdaterad"),
            "{t}"
        );
        // The paragraph after the nest is not inside it: the dropped end tags did not close real divs.
        let p = Selector::parse("body > p").expect("selector");
        assert_eq!(html.select(&p).count(), 1);
    }

    #[test]
    fn reopened_formatting_elements_are_bounded() {
        let n = 5_000;
        let html = parse(&pages::reopened_formatting(n), None).expect("parse");
        let b = Selector::parse("b").expect("selector");
        let count = html.select(&b).count();
        assert!(count <= MAX_FORMATTING * (n + 1), "{count} <b> elements");
        assert_eq!(text(&html).matches('x').count(), n);
    }

    #[test]
    fn a_passed_deadline_stops_the_parse() {
        let page = "<p>x</p>".repeat(50_000);
        let past = Instant::now() - std::time::Duration::from_secs(1);
        assert_eq!(parse(&page, Some(past)).err(), Some(DomError::OverBudget));
    }
}
