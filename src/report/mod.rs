//! Change reports for editors: a diff told in plain words, as Markdown (for
//! e-mail and chat) or as one self-contained HTML page.
//!
//! Both formats are built from the same [`Described`] changes, so they say the
//! same thing. HTML goes through minijinja with auto-escaping: archived text
//! is data, never markup.

pub mod site;
mod words;

use minijinja::{AutoEscape, Environment, context};
use serde::Serialize;
use serde_json::Value;

use crate::diff::{Change, Field, List, Op, PageDiff, Summary, Target, Words};
pub use words::Lang;
use words::{field_label, list_noun, summary_line, t};

/// Why a report could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("rendering the HTML report failed: {0}")]
    Template(#[from] minijinja::Error),
}

/// A piece of a headline: plain text, or a name set in bold.
#[derive(Debug, Clone, Serialize)]
pub struct Span {
    pub text: String,
    pub strong: bool,
}

/// One run of text for the before/after views; `kind` is `equal`, `delete` or `insert`.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    pub kind: &'static str,
    pub text: String,
}

/// A change told in words.
#[derive(Debug, Clone, Serialize)]
pub struct Described {
    pub op: Op,
    pub headline: Vec<Span>,
    /// Word runs of a changed text, before (equal + delete) and after (equal + insert).
    pub before_runs: Vec<Run>,
    pub after_runs: Vec<Run>,
    /// Readable before/after values of anything else.
    pub before: Option<String>,
    pub after: Option<String>,
    /// The whole texts, when the runs leave out unchanged words: shown
    /// only on demand.
    pub whole: Option<(String, String)>,
}

/// Tells the changes of `diff` in plain words. A section that is also
/// reported as a network is told once, as the network: networks are read from
/// sections, and an editor should not read the same news twice.
pub fn describe(diff: &PageDiff, lang: Lang) -> Vec<Described> {
    shown(diff).map(|c| describe_one(c, lang)).collect()
}

/// What an HTTP status says of the page, for an editor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    Page,
    Redirect,
    Gone,
    Other,
}

fn answer(status: &Value) -> Answer {
    match status.as_u64() {
        None => Answer::Page,
        Some(200..=299) => Answer::Page,
        Some(300..=399) => Answer::Redirect,
        Some(404 | 410) => Answer::Gone,
        Some(_) => Answer::Other,
    }
}

/// The change of the page's HTTP status, when the page was moved, removed
/// or came back: then that is the news, and the content changes that follow
/// from it (every section "removed") are not listed one by one.
fn status_news(diff: &PageDiff) -> Option<&Change> {
    diff.changes.iter().find(|c| {
        c.target == Target::Field(Field::Status)
            && (matches!(answer(&c.before), Answer::Redirect | Answer::Gone)
                || matches!(answer(&c.after), Answer::Redirect | Answer::Gone))
    })
}

fn shown(diff: &PageDiff) -> Box<dyn Iterator<Item = &Change> + '_> {
    if let Some(status) = status_news(diff) {
        // A redirect is told by its target ("now redirects to X"); the
        // status line tells a removal or a return.
        let new_target = diff
            .changes
            .iter()
            .any(|c| c.target == Target::Field(Field::Redirect) && !c.after.is_null());
        let told_by_target = new_target && answer(&status.after) == Answer::Redirect;
        return Box::new(diff.changes.iter().filter(move |c| match c.target {
            Target::Field(Field::Status) => !told_by_target,
            Target::Field(Field::Redirect) => !c.after.is_null(),
            _ => false,
        }));
    }
    let network_keys: Vec<String> = diff
        .changes
        .iter()
        .filter_map(|c| match c.target.item() {
            Some((List::Networks, key)) => Some(key.to_lowercase()),
            _ => None,
        })
        .collect();
    Box::new(diff.changes.iter().filter(move |c| {
        let Some((List::Sections, heading)) = c.target.item() else {
            return true;
        };
        let heading = heading.to_lowercase();
        !network_keys.iter().any(|k| {
            heading == *k || heading.starts_with(k.as_str()) || heading.ends_with(k.as_str())
        })
    }))
}

/// "2 ändringar av avsnitt som också är nätverk visas en gång, som
/// nätverk": why the report's counts are below the diff JSON's.
fn told_once_note(diff: &PageDiff, lang: Lang) -> Option<String> {
    let hidden = diff.changes.len() - shown(diff).count();
    if hidden == 0 {
        return None;
    }
    // One word or its plural, by the count.
    let n = |one: &'static str, many: &'static str| if hidden == 1 { one } else { many };
    let status = status_news(diff).is_some();
    Some(match (lang, status) {
        (Lang::Sv, true) => format!(
            "{hidden} {} av sidans innehåll följer av detta och listas inte.",
            n("ändring", "ändringar")
        ),
        (Lang::En, true) => format!(
            "{hidden} {} to the page's content {} from this and {} not listed.",
            n("change", "changes"),
            n("follows", "follow"),
            n("is", "are")
        ),
        (Lang::Sv, false) => format!(
            "{hidden} {} av avsnitt som också är nätverk visas en gång, som nätverk.",
            n("ändring", "ändringar")
        ),
        (Lang::En, false) => format!(
            "{hidden} {} to sections that are also networks {} told once, as the network.",
            n("change", "changes"),
            n("is", "are")
        ),
    })
}

/// The counts of what the report shows.
fn shown_summary(diff: &PageDiff) -> Summary {
    Summary::of(shown(diff))
}

/// A value that says nothing is there: null, an empty text or list.
fn is_empty_value(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// What an editor would call the change: a field that had no value before
/// was added, one that has none after was removed ("the fax number was
/// removed", not "changed" to nothing).
fn editor_op(c: &Change) -> Op {
    match c.op {
        Op::Changed if is_empty_value(&c.before) && !is_empty_value(&c.after) => Op::Added,
        Op::Changed if !is_empty_value(&c.before) && is_empty_value(&c.after) => Op::Removed,
        op => op,
    }
}

fn describe_one(c: &Change, lang: Lang) -> Described {
    let op = editor_op(c);
    let plain = |s: &str| Span {
        text: s.to_owned(),
        strong: false,
    };
    let strong = |s: &str| Span {
        text: s.to_owned(),
        strong: true,
    };
    let mut headline = Vec::new();
    match &c.target {
        Target::Item { list, key } | Target::ItemField { list, key, .. } => {
            headline.push(plain(list_noun(*list, lang)));
            // Untitled body text has the empty key.
            headline.push(strong(if key.is_empty() {
                t("untitled_section", lang)
            } else {
                key
            }));
            match (c.op, &c.target) {
                (Op::Renamed, _) => {
                    headline.push(plain(t("renamed_to", lang)));
                    headline.push(strong(&human(&c.after)));
                }
                (_, Target::ItemField { field, .. }) => {
                    headline.push(plain(&format!(
                        ": {}{}",
                        field_label(field, lang),
                        t(op_word(op), lang)
                    )));
                }
                (_, _) => headline.push(plain(t(op_word(op), lang))),
            }
        }
        Target::Organisation(field) => {
            headline.push(plain(&format!(
                "{} {}",
                t("organisation_of", lang),
                field_label(field, lang)
            )));
            headline.push(plain(t(op_word(op), lang)));
        }
        Target::Field(Field::Redirect) if !c.after.is_null() => {
            headline.push(plain(t("now_redirects", lang)));
            headline.push(strong(&human(&c.after)));
            // The headline names the target; nothing more to show.
            return Described {
                op,
                headline,
                before_runs: Vec::new(),
                after_runs: Vec::new(),
                before: None,
                after: None,
                whole: None,
            };
        }
        Target::Field(Field::Status) if answer(&c.after) != answer(&c.before) => {
            let key = match answer(&c.after) {
                Answer::Page => "page_back",
                Answer::Redirect => "page_redirects",
                Answer::Gone => "page_removed",
                Answer::Other => "page_answer",
            };
            headline.push(plain(t(key, lang)));
        }
        Target::Field(field) => headline.push(plain(&format!(
            "{}{}",
            t(&format!("top_{}", field.as_str()), lang),
            t(op_word(op), lang)
        ))),
    }
    let mut d = Described {
        op,
        headline,
        before_runs: Vec::new(),
        after_runs: Vec::new(),
        before: None,
        after: None,
        whole: None,
    };
    match (&c.words, c.op) {
        (Some(words), _) => {
            for w in words {
                let (before, after) = match w {
                    // A two-word change in a long paragraph shows its
                    // context, not the paragraph twice.
                    Words::Equal(s) => {
                        let short = elide_middle(s, CONTEXT_WORDS);
                        if short.len() < s.len() {
                            d.whole = Some((human(&c.before), human(&c.after)));
                        }
                        (Some(run("equal", &short)), Some(run("equal", &short)))
                    }
                    Words::Delete(s) => (Some(run("delete", s)), None),
                    Words::Insert(s) => (None, Some(run("insert", s))),
                };
                d.before_runs.extend(before);
                d.after_runs.extend(after);
            }
        }
        (None, Op::Moved) => {
            d.before = Some(format!("{} {}", t("position", lang), position(&c.before)));
            d.after = Some(format!("{} {}", t("position", lang), position(&c.after)));
        }
        (None, Op::Renamed) => {}
        (None, _) => {
            d.before = (!is_empty_value(&c.before)).then(|| human(&c.before));
            d.after = (!is_empty_value(&c.after)).then(|| human(&c.after));
        }
    }
    d
}

/// Unchanged words kept on each side of a change in a word diff.
const CONTEXT_WORDS: usize = 6;

fn run(kind: &'static str, text: &str) -> Run {
    Run {
        kind,
        text: text.to_owned(),
    }
}

fn op_word(op: Op) -> &'static str {
    match op {
        Op::Added => "added",
        Op::Removed => "removed",
        Op::Changed => "changed",
        Op::Moved => "moved",
        Op::Renamed => "renamed_to",
    }
}

fn position(v: &Value) -> String {
    v.as_u64().map_or_else(|| human(v), |i| (i + 1).to_string())
}

/// A value as an editor reads it: text as it is, phones by their display
/// form, addresses on one line, items by their main text.
pub fn human(v: &Value) -> String {
    match v {
        Value::Null => "—".into(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => items.iter().map(human).collect::<Vec<_>>().join("; "),
        Value::Object(o) => {
            let s = |k: &str| o.get(k).and_then(Value::as_str);
            if let Some(d) = s("display") {
                return d.to_owned();
            }
            if o.contains_key("street") {
                let town = [s("postal_code"), s("city")]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                return [s("street"), Some(town.as_str())]
                    .into_iter()
                    .flatten()
                    .filter(|part| !part.is_empty())
                    .collect::<Vec<_>>()
                    .join(", ");
            }
            if let (Some(text), Some(href)) = (s("text"), s("href")) {
                return format!("{text} <{href}>");
            }
            for main in ["description", "paragraphs"] {
                if let Some(text) = s(main) {
                    return text.to_owned();
                }
            }
            ["role", "phones", "emails"]
                .iter()
                .filter_map(|k| o.get(*k))
                .filter(|v| !v.is_null() && v.as_array().is_none_or(|a| !a.is_empty()))
                .map(human)
                .collect::<Vec<_>>()
                .join(", ")
        }
    }
}

/// The capture a report side points at, with its Wayback copy when known.
#[derive(Debug, Clone, Serialize)]
struct Side {
    date: Option<String>,
    timestamp: Option<crate::timestamp::Timestamp>,
    wayback: Option<String>,
}

fn side(e: &crate::diff::Endpoint) -> Side {
    let wayback = match (&e.timestamp, &e.url) {
        (Some(ts), Some(url)) if e.from_wayback => {
            Some(format!("https://web.archive.org/web/{ts}/{url}"))
        }
        _ => None,
    };
    Side {
        date: e.updated.clone(),
        timestamp: e.timestamp,
        wayback,
    }
}

/// The report as Markdown: a one-line summary, then one bullet per change.
pub fn markdown(diff: &PageDiff, page_title: Option<&str>, lang: Lang) -> String {
    let title = page_title
        .or(diff.to.url.as_deref())
        .unwrap_or(t("untitled", lang));
    let dates = |e: &crate::diff::Endpoint| {
        e.updated
            .clone()
            .or_else(|| e.timestamp.map(|t| t.date()))
            .unwrap_or_else(|| "?".into())
    };
    let mut out = format!(
        "**{}** ({} → {}): {}\n",
        md_escape(title),
        md_escape(&dates(&diff.from)),
        md_escape(&dates(&diff.to)),
        summary_line(&shown_summary(diff), lang)
    );
    if let Some(note) = told_once_note(diff, lang) {
        out.push_str(&format!("\n{}\n", md_escape(&note)));
    }
    let described = describe(diff, lang);
    if !described.is_empty() {
        out.push('\n');
    }
    for d in described {
        out.push_str("- ");
        for s in &d.headline {
            if s.strong {
                out.push_str(&format!("**{}**", md_escape(&s.text)));
            } else {
                out.push_str(&md_escape(&s.text));
            }
        }
        if !d.before_runs.is_empty() || !d.after_runs.is_empty() {
            out.push_str(": ");
            out.push_str(&md_runs(&d.before_runs, &d.after_runs));
        } else if let (Some(b), Some(a)) = (&d.before, &d.after) {
            out.push_str(&format!(": ~~{}~~ → **{}**", md_escape(b), md_escape(a)));
        } else if let Some(text) = d.after.as_ref().or(d.before.as_ref()) {
            out.push_str(&format!(" — {}", md_escape(&elide(text, 30))));
        }
        out.push('\n');
    }
    out
}

/// One line of merged runs: ~~deleted~~ and **inserted** words in context,
/// long unchanged stretches shortened.
fn md_runs(before: &[Run], after: &[Run]) -> String {
    let mut parts = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < before.len() || j < after.len() {
        match (before.get(i), after.get(j)) {
            (Some(b), Some(a)) if b.kind == "equal" && a.kind == "equal" => {
                parts.push(md_escape(&b.text));
                i += 1;
                j += 1;
            }
            (Some(b), _) if b.kind == "delete" => {
                parts.push(format!("~~{}~~", md_escape(&b.text)));
                i += 1;
            }
            (_, Some(a)) if a.kind == "insert" => {
                parts.push(format!("**{}**", md_escape(&a.text)));
                j += 1;
            }
            _ => {
                i += 1;
                j += 1;
            }
        }
    }
    parts.join(" ")
}

fn elide(text: &str, words: usize) -> String {
    let w: Vec<&str> = text.split_whitespace().collect();
    if w.len() <= words {
        text.to_owned()
    } else {
        format!("{} …", w[..words].join(" "))
    }
}

fn elide_middle(text: &str, keep: usize) -> String {
    let w: Vec<&str> = text.split_whitespace().collect();
    if w.len() <= keep * 2 + 1 {
        text.to_owned()
    } else {
        format!(
            "{} … {}",
            w[..keep].join(" "),
            w[w.len() - keep..].join(" ")
        )
    }
}

/// Archived text must not become Markdown or HTML: punctuation is escaped.
pub fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '~' | '|' | '&' | '!'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

const HTML_TEMPLATE: &str = include_str!("templates/diff.html");

/// One page's part of a report: its title and the diff of two of its captures.
pub struct Entry<'a> {
    pub title: Option<&'a str>,
    pub diff: &'a PageDiff,
}

#[derive(Serialize)]
struct PageView {
    title: String,
    /// The URL in pieces that end at `/`, `?` or `&`: the page may break
    /// the line there, never inside a word.
    url_parts: Vec<String>,
    from: Side,
    to: Side,
    summary: String,
    /// Why the report tells fewer changes than the diff JSON counts.
    note: Option<String>,
    changes: Vec<Described>,
}

fn page_view(e: &Entry<'_>, lang: Lang) -> PageView {
    let d = e.diff;
    PageView {
        title: e
            .title
            .or(d.to.url.as_deref())
            .unwrap_or(t("untitled", lang))
            .to_owned(),
        url_parts: d
            .to
            .url
            .as_deref()
            .or(d.from.url.as_deref())
            .map(url_parts)
            .unwrap_or_default(),
        from: side(&d.from),
        to: side(&d.to),
        summary: summary_line(&shown_summary(d), lang),
        note: told_once_note(d, lang),
        changes: describe(d, lang),
    }
}

fn url_parts(url: &str) -> Vec<String> {
    url.split_inclusive(['/', '?', '&'])
        .map(str::to_owned)
        .collect()
}

/// The report of one diff as one self-contained HTML page (inline CSS, no
/// scripts). It depends on the diff alone: no generation date.
pub fn html(diff: &PageDiff, page_title: Option<&str>, lang: Lang) -> Result<String, ReportError> {
    let entry = [Entry {
        title: page_title,
        diff,
    }];
    render(&entry, lang, None, None)
}

/// A link back from a report to where it was reached from.
#[derive(Debug, Clone, Serialize)]
pub struct Nav {
    pub href: String,
    pub text: String,
    /// The navigation landmark's name.
    pub label: String,
}

/// As [`html`], with a link back (the site report's change pages).
pub fn html_with_nav(
    diff: &PageDiff,
    page_title: Option<&str>,
    lang: Lang,
    nav: Nav,
) -> Result<String, ReportError> {
    let entry = [Entry {
        title: page_title,
        diff,
    }];
    render(&entry, lang, None, Some(nav))
}

/// The period a report covers when its changes do not say: a run's
/// captures looked for, from and to.
pub type Covered = Option<(crate::Timestamp, crate::Timestamp)>;

/// When a report was made and what period it covers: its changes', else
/// `covered` (a run without changes still says what it looked at).
fn made(entries: &[Entry<'_>], lang: Lang, covered: Covered) -> (String, Option<String>) {
    let generated = crate::Timestamp::now();
    let generated = format!(
        "{} {} {} UTC",
        t("generated", lang),
        generated.date(),
        &generated.iso()[11..16]
    );
    let from = entries.iter().filter_map(|e| e.diff.from.timestamp).min();
    let to = entries.iter().filter_map(|e| e.diff.to.timestamp).max();
    let period = from
        .zip(to)
        .or(covered)
        .map(|(a, b)| format!("{} {} – {}", t("period", lang), a.date(), b.date()));
    (generated, period)
}

/// A report over several diffs (pages, or consecutive captures of a page),
/// with when it was made and the period its changes cover.
pub fn html_many(
    entries: &[Entry<'_>],
    lang: Lang,
    covered: Covered,
) -> Result<String, ReportError> {
    render(entries, lang, Some(made(entries, lang, covered)), None)
}

fn render(
    entries: &[Entry<'_>],
    lang: Lang,
    made: Option<(String, Option<String>)>,
    nav: Option<Nav>,
) -> Result<String, ReportError> {
    let mut env = Environment::new();
    // A label missing from the words table is an error, not an empty space.
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.add_template("diff.html", HTML_TEMPLATE)?;
    let tmpl = env.get_template("diff.html")?;
    let pages: Vec<PageView> = entries.iter().map(|e| page_view(e, lang)).collect();
    let (generated, period) = made.unzip();
    Ok(tmpl.render(context! {
        lang => lang.code(),
        l => words::labels(lang),
        overall => overall(entries, lang),
        generated => generated,
        period => period.flatten(),
        pages => pages,
        nav => nav,
    })?)
}

/// "1 sida, 3 ändringar": pages counted by URL, not by diff.
fn overall(entries: &[Entry<'_>], lang: Lang) -> String {
    let pages: std::collections::HashSet<Option<&str>> = entries
        .iter()
        .map(|e| e.diff.to.url.as_deref().or(e.diff.from.url.as_deref()))
        .collect();
    let changes = entries.iter().filter(|e| e.diff.changed).count();
    words::overall_line(pages.len(), changes, lang)
}

/// Several Markdown reports, one after the other, under a line saying
/// when the report was made, what it covers and over which period.
pub fn markdown_many(entries: &[Entry<'_>], lang: Lang, covered: Covered) -> String {
    let (generated, period) = made(entries, lang, covered);
    let mut head = generated;
    if let Some(p) = period {
        head.push_str(&format!(" · {p}"));
    }
    if entries.is_empty() {
        return format!("{head}\n\n{}\n", t("no_changes", lang));
    }
    head.push_str(&format!(" · {}\n\n", overall(entries, lang)));
    head + &entries
        .iter()
        .map(|e| markdown(e.diff, e.title, lang))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests;
