//! Two page documents compared field by field: what an editor would call a
//! change ("the network CPMR is new"), not a text diff of markup.
//!
//! List items are matched by key — networks by acronym (else name), contacts
//! by name, sections by heading — compared case- and whitespace-insensitively.
//! `source` and `warnings` never produce changes: they describe how the bytes
//! were served, not what the page says.
//!
//! **Renames.** A removed and an added item of the same list are one item
//! renamed when everything but their key is non-empty and at least
//! [`RENAME_SIMILARITY`] alike by word-level similarity (`similar`'s ratio).
//! Pairs are taken best ratio first; each item pairs at most once. Beyond
//! [`RENAME_EXHAUSTIVE`] pairs (a redesign renames thousands of headings),
//! each added item is compared only with the few removed ones that share
//! the most of its rarer words, or its whole text: the diff stays linear
//! instead of comparing every removed item with every added one.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use similar::TextDiff;
use std::collections::{HashMap, HashSet, VecDeque};

mod target;
mod text;
pub use target::{Field, List, Target};
use text::same;
pub use text::{comparable, word_diff};

use crate::model::{Contact, Network, Page, Section, SourceKind};
use crate::timestamp::Timestamp;

/// Schema tag written into every diff document.
pub const DIFF_SCHEMA: &str = "sidarkiv.diff.v1";
/// How alike two items' content must be to count as one item renamed.
pub const RENAME_SIMILARITY: f32 = 0.8;
/// Removed × added pairs up to which every pair is compared.
pub const RENAME_EXHAUSTIVE: usize = 1024;
/// Removed items compared with one added item beyond that.
const RENAME_CANDIDATES: usize = 8;
/// A word in more removed items than this does not pick candidates.
const RARE_WORD_ITEMS: usize = 32;

/// The diff JSON (`sidarkiv.diff.v1`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageDiff {
    pub schema: String,
    pub from: Endpoint,
    pub to: Endpoint,
    pub changed: bool,
    pub changes: Vec<Change>,
    pub summary: Summary,
}

/// Which capture a side of the diff is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Endpoint {
    pub url: Option<String>,
    pub timestamp: Option<Timestamp>,
    pub sha256: String,
    pub updated: Option<String>,
    /// Whether the capture came from the Wayback Machine, so that a report
    /// may link to its copy there. Not part of the diff JSON.
    #[serde(skip)]
    pub from_wayback: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    Added,
    Removed,
    Changed,
    Moved,
    Renamed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub op: Op,
    /// Where the change is; written as `path`, an RFC 6901 pointer in which
    /// list items are named by key.
    #[serde(rename = "path")]
    pub target: Target,
    pub before: Value,
    pub after: Value,
    /// Word-level runs, for a changed text field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub words: Option<Vec<Words>>,
}

/// One run of a word diff: `{"equal": "…"}`, `{"delete": "…"}` or `{"insert": "…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Words {
    Equal(String),
    Delete(String),
    Insert(String),
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
    pub moved: usize,
    pub renamed: usize,
}

impl Change {
    /// The JSON Pointer the diff JSON gives as `path`.
    pub fn path(&self) -> String {
        self.target.pointer()
    }
}

impl Summary {
    /// The count of each op among `changes`.
    pub fn of<'a>(changes: impl IntoIterator<Item = &'a Change>) -> Summary {
        let mut s = Summary::default();
        for c in changes {
            *match c.op {
                Op::Added => &mut s.added,
                Op::Removed => &mut s.removed,
                Op::Changed => &mut s.changed,
                Op::Moved => &mut s.moved,
                Op::Renamed => &mut s.renamed,
            } += 1;
        }
        s
    }
}

/// Compares `a` (before) with `b` (after).
pub fn diff(a: &Page, b: &Page) -> PageDiff {
    let mut d = Differ::default();
    d.field(Field::Url, &a.url, &b.url);
    d.field(Field::Title, &a.title, &b.title);
    d.field(Field::Updated, &a.updated, &b.updated);
    d.field(Field::Lang, &a.lang, &b.lang);
    d.field(Field::Intro, &a.intro, &b.intro);
    d.list(List::Sections, &a.sections, &b.sections, section_item);
    d.list(List::Networks, &a.networks, &b.networks, network_item);
    d.list(List::Contacts, &a.contacts, &b.contacts, contact_item);
    match (&a.organisation, &b.organisation) {
        (Some(x), Some(y)) => d.organisation(&to_value(x), &to_value(y)),
        (x, y) => d.field(Field::Organisation, x, y),
    }
    d.field(Field::Published, &a.published, &b.published);
    d.field(Field::Breadcrumb, &a.breadcrumb, &b.breadcrumb);
    d.field(Field::Attachments, &a.attachments, &b.attachments);
    d.field(Field::Status, &a.status, &b.status);
    d.field(Field::Redirect, &a.redirect, &b.redirect);
    let summary = Summary::of(&d.changes);
    PageDiff {
        schema: DIFF_SCHEMA.to_owned(),
        from: endpoint(a),
        to: endpoint(b),
        changed: !d.changes.is_empty(),
        changes: d.changes,
        summary,
    }
}

fn endpoint(p: &Page) -> Endpoint {
    Endpoint {
        url: p.url.clone(),
        timestamp: p.source.timestamp,
        sha256: p.source.sha256.clone(),
        updated: p.updated.clone(),
        from_wayback: p.source.kind == SourceKind::Wayback,
    }
}

/// A list item seen by the differ: its display key and its fields in order.
struct Item {
    key: String,
    fields: Vec<(&'static str, Value)>,
}

impl Item {
    fn content(&self) -> String {
        self.fields
            .iter()
            .filter(|(name, _)| !KEY_FIELDS.contains(name))
            .map(|(_, v)| plain(v))
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn value(&self) -> Value {
        Value::Object(
            self.fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        )
    }
}

/// Fields that make up an item's key, left out of its content for renames.
const KEY_FIELDS: &[&str] = &["heading", "name", "acronym"];

fn section_item(s: &Section) -> Item {
    Item {
        key: s.heading.clone().unwrap_or_default(),
        fields: vec![
            ("heading", json!(s.heading)),
            ("level", json!(s.level)),
            ("paragraphs", json!(s.paragraphs.join("\n\n"))),
            ("links", to_value(&s.links)),
        ],
    }
}

fn network_item(n: &Network) -> Item {
    Item {
        key: n.acronym.clone().unwrap_or_else(|| n.name.clone()),
        fields: vec![
            ("name", json!(n.name)),
            ("acronym", json!(n.acronym)),
            ("description", json!(n.description)),
            ("links", to_value(&n.links)),
        ],
    }
}

fn contact_item(c: &Contact) -> Item {
    Item {
        key: c.name.clone(),
        fields: vec![
            ("name", json!(c.name)),
            ("role", json!(c.role)),
            ("phones", to_value(&c.phones)),
            ("emails", to_value(&c.emails)),
        ],
    }
}

fn to_value<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// Text of a value for similarity: strings as they are, anything else as JSON.
fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Keys compare case- and whitespace-insensitively.
fn norm_key(k: &str) -> String {
    comparable(k).to_lowercase()
}

#[derive(Default)]
struct Differ {
    changes: Vec<Change>,
}

impl Differ {
    fn push(&mut self, op: Op, target: Target, before: Value, after: Value) {
        let words = match (op, &before, &after) {
            (Op::Changed, Value::String(x), Value::String(y)) => {
                Some(word_diff(&comparable(x), &comparable(y)))
            }
            _ => None,
        };
        self.changes.push(Change {
            op,
            target,
            before,
            after,
            words,
        });
    }

    fn field<T: Serialize>(&mut self, field: Field, a: &T, b: &T) {
        let (a, b) = (to_value(a), to_value(b));
        if !same(&a, &b) {
            self.push(Op::Changed, Target::Field(field), a, b);
        }
    }

    /// The organisation present on both sides, field by field.
    fn organisation(&mut self, a: &Value, b: &Value) {
        let (Value::Object(x), Value::Object(y)) = (a, b) else {
            if !same(a, b) {
                self.push(
                    Op::Changed,
                    Target::Field(Field::Organisation),
                    a.clone(),
                    b.clone(),
                );
            }
            return;
        };
        for (k, va) in x {
            let vb = y.get(k).unwrap_or(&Value::Null);
            if !same(va, vb) {
                self.push(
                    Op::Changed,
                    Target::Organisation(k.clone()),
                    va.clone(),
                    vb.clone(),
                );
            }
        }
    }

    fn list<T>(&mut self, list: List, a: &[T], b: &[T], item: fn(&T) -> Item) {
        let at = |key: &str| Target::Item {
            list,
            key: key.to_owned(),
        };
        let xs: Vec<Item> = a.iter().map(item).collect();
        let ys: Vec<Item> = b.iter().map(item).collect();
        let keys_a: Vec<String> = xs.iter().map(|i| norm_key(&i.key)).collect();
        let keys_b: Vec<String> = ys.iter().map(|i| norm_key(&i.key)).collect();
        // Duplicate keys pair up in order: the n-th "X" before with the n-th "X" after.
        let mut pair_of_b: Vec<Option<usize>> = vec![None; ys.len()];
        let mut taken = vec![false; xs.len()];
        let mut by_key: HashMap<&str, VecDeque<usize>> = HashMap::new();
        for (i, ka) in keys_a.iter().enumerate() {
            by_key.entry(ka).or_default().push_back(i);
        }
        for (j, kb) in keys_b.iter().enumerate() {
            if let Some(i) = by_key.get_mut(kb.as_str()).and_then(VecDeque::pop_front) {
                taken[i] = true;
                pair_of_b[j] = Some(i);
            }
        }
        let renames = self.renames(&xs, &ys, &taken, &pair_of_b);
        for &(j, i) in &renames {
            pair_of_b[j] = Some(i);
            taken[i] = true;
        }
        for (i, x) in xs.iter().enumerate() {
            if !taken[i] {
                self.push(Op::Removed, at(&x.key), x.value(), Value::Null);
            }
        }
        let stay = in_order(&pair_of_b);
        for (j, y) in ys.iter().enumerate() {
            let Some(i) = pair_of_b[j] else {
                self.push(Op::Added, at(&y.key), Value::Null, y.value());
                continue;
            };
            let x = &xs[i];
            let renamed = renames.iter().any(|(rj, _)| *rj == j);
            if renamed {
                self.push(Op::Renamed, at(&x.key), json!(x.key), json!(y.key));
            }
            for ((name, va), (_, vb)) in x.fields.iter().zip(&y.fields) {
                // The rename already says the key field changed.
                let is_key = renamed && *va == json!(x.key) && *vb == json!(y.key);
                if !is_key && !same(va, vb) {
                    let target = Target::ItemField {
                        list,
                        key: y.key.clone(),
                        field: (*name).to_owned(),
                    };
                    self.push(Op::Changed, target, va.clone(), vb.clone());
                }
            }
            if !stay[j] {
                self.push(Op::Moved, at(&y.key), json!(i), json!(j));
            }
        }
    }

    /// Unmatched removed/added pairs whose content is alike: `(after index, before index)`.
    fn renames(
        &self,
        xs: &[Item],
        ys: &[Item],
        taken: &[bool],
        pair_of_b: &[Option<usize>],
    ) -> Vec<(usize, usize)> {
        let removed: Vec<(usize, String)> = (0..xs.len())
            .filter(|&i| !taken[i])
            .map(|i| (i, xs[i].content()))
            .filter(|(_, c)| !c.trim().is_empty())
            .collect();
        let added: Vec<(usize, String)> = (0..ys.len())
            .filter(|&j| pair_of_b[j].is_none())
            .map(|j| (j, ys[j].content()))
            .filter(|(_, c)| !c.trim().is_empty())
            .collect();
        let pick = Candidates::new(&removed, removed.len() * added.len() > RENAME_EXHAUSTIVE);
        let mut candidates: Vec<(f32, usize, usize)> = Vec::new();
        for (j, cy) in &added {
            for k in pick.for_text(cy) {
                let (i, cx) = &removed[k];
                let ratio = TextDiff::from_words(cx.as_str(), cy.as_str()).ratio();
                if ratio >= RENAME_SIMILARITY {
                    candidates.push((ratio, *j, *i));
                }
            }
        }
        // Best first; ties in page order, so that the result never depends on hashing.
        candidates.sort_by(|p, q| q.0.total_cmp(&p.0).then((p.1, p.2).cmp(&(q.1, q.2))));
        let mut used_a = vec![false; xs.len()];
        let mut used_b = vec![false; ys.len()];
        let mut out: Vec<(usize, usize)> = Vec::new();
        for (_, j, i) in candidates {
            if !used_a[i] && !used_b[j] {
                used_a[i] = true;
                used_b[j] = true;
                out.push((j, i));
            }
        }
        out
    }
}

/// Which removed items an added item is compared with: all of them, or,
/// when that is too many pairs, those sharing the most rare words with it
/// and those with the very same text.
struct Candidates<'a> {
    all: usize,
    /// Distinct word → removed items holding it; `None` when comparing all.
    words: Option<HashMap<&'a str, Vec<usize>>>,
    same_text: HashMap<&'a str, Vec<usize>>,
}

impl<'a> Candidates<'a> {
    fn new(removed: &'a [(usize, String)], indexed: bool) -> Candidates<'a> {
        let mut words: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut same_text: HashMap<&str, Vec<usize>> = HashMap::new();
        if indexed {
            for (k, (_, text)) in removed.iter().enumerate() {
                let distinct: HashSet<&str> = text.split_whitespace().collect();
                for w in distinct {
                    words.entry(w).or_default().push(k);
                }
                same_text.entry(text.as_str()).or_default().push(k);
            }
        }
        Candidates {
            all: removed.len(),
            words: indexed.then_some(words),
            same_text,
        }
    }

    fn for_text(&self, text: &str) -> Vec<usize> {
        let Some(words) = &self.words else {
            return (0..self.all).collect();
        };
        let mut shared: HashMap<usize, usize> = HashMap::new();
        let distinct: HashSet<&str> = text.split_whitespace().collect();
        for w in distinct {
            if let Some(items) = words.get(w).filter(|v| v.len() <= RARE_WORD_ITEMS) {
                for &k in items {
                    *shared.entry(k).or_default() += 1;
                }
            }
        }
        let mut best: Vec<(usize, usize)> = shared.into_iter().collect();
        best.sort_by(|p, q| q.1.cmp(&p.1).then(p.0.cmp(&q.0)));
        let mut out: Vec<usize> = best
            .into_iter()
            .take(RENAME_CANDIDATES)
            .map(|(k, _)| k)
            .collect();
        for &k in self.same_text.get(text).into_iter().flatten() {
            if out.len() >= 2 * RENAME_CANDIDATES {
                break;
            }
            if !out.contains(&k) {
                out.push(k);
            }
        }
        out
    }
}

/// Which matched items kept their relative order: those on a longest
/// increasing run of before-indices. The others moved.
fn in_order(pair_of_b: &[Option<usize>]) -> Vec<bool> {
    let matched: Vec<(usize, usize)> = pair_of_b
        .iter()
        .enumerate()
        .filter_map(|(j, i)| i.map(|i| (j, i)))
        .collect();
    let n = matched.len();
    let mut len = vec![1usize; n];
    let mut prev = vec![usize::MAX; n];
    for k in 0..n {
        for l in 0..k {
            if matched[l].1 < matched[k].1 && len[l] + 1 > len[k] {
                len[k] = len[l] + 1;
                prev[k] = l;
            }
        }
    }
    let mut keep = vec![true; pair_of_b.len()];
    if n == 0 {
        return keep;
    }
    let mut on_run = vec![false; n];
    let mut k = (0..n)
        .max_by_key(|&k| (len[k], std::cmp::Reverse(k)))
        .unwrap_or(0);
    loop {
        on_run[k] = true;
        if prev[k] == usize::MAX {
            break;
        }
        k = prev[k];
    }
    for (m, (j, _)) in matched.iter().enumerate() {
        keep[*j] = on_run[m];
    }
    keep
}

#[cfg(test)]
mod tests;
