//! The migration export (`sidarkiv export --pages`): the old site as it
//! stood on a date, one page per archived URL, as clean content for a new
//! CMS — JSON Lines, or Markdown files with YAML front matter — with links
//! rewritten through an old→new URL map, and what could not be exported
//! listed for review.
//!
//! The Markdown is written from the page JSON (the main content only: no
//! menus, footer or Wayback residue), CommonMark with every piece of page
//! text escaped, so that text is never read as markup.

use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use thiserror::Error;

use crate::archive::{Archive, ArchiveError, CaptureRecord, select};
use crate::model::{Link, Page};
use crate::timestamp::Timestamp;

#[derive(Debug, Error)]
pub enum MigrateError {
    #[error("cannot read the archive")]
    Archive(#[from] ArchiveError),
    #[error("{path}: {reason}")]
    Map { path: PathBuf, reason: String },
    #[error("cannot write {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// What to export.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// The date the site is taken as of; `None`: the latest capture.
    pub at: Option<Timestamp>,
    /// Only URLs that start with this.
    pub prefix: Option<String>,
    /// Old URL → new URL, for links.
    pub map: UrlMap,
    /// The Wayback Machine that copies of documents are linked at.
    pub wayback: String,
}

/// An `old_url,new_url` map, keyed as the archive's key compares URLs
/// (host case, default port), so that `http://www.x.se:80/a` finds `http://www.x.se/a`.
#[derive(Debug, Clone, Default)]
pub struct UrlMap(HashMap<String, String>);

impl UrlMap {
    /// Reads a CSV of `old_url,new_url` rows; a first row naming the
    /// columns (`old_url,new_url`) is skipped.
    pub fn read(path: &Path) -> Result<UrlMap, MigrateError> {
        let bad = |reason: String| MigrateError::Map {
            path: path.to_path_buf(),
            reason,
        };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_path(path)
            .map_err(|e| bad(e.to_string()))?;
        let mut map = HashMap::new();
        for (i, row) in reader.records().enumerate() {
            let row = row.map_err(|e| bad(e.to_string()))?;
            let (Some(old), Some(new)) = (row.get(0), row.get(1)) else {
                return Err(bad(format!(
                    "line {}: not two columns (old_url,new_url)",
                    i + 1
                )));
            };
            let (old, new) = (old.trim(), new.trim());
            if i == 0 && old.eq_ignore_ascii_case("old_url") {
                continue;
            }
            if url::Url::parse(old).is_err() {
                return Err(bad(format!(
                    "line {}: {old:?} is not an absolute URL",
                    i + 1
                )));
            }
            map.insert(key(old), new.to_owned());
        }
        Ok(UrlMap(map))
    }

    fn get(&self, url: &str) -> Option<&str> {
        self.0.get(&key(url)).map(String::as_str)
    }
}

fn key(url: &str) -> String {
    let mut k = crate::wayback::normalize_url(url);
    // A fragment points into the page; the page is what is mapped.
    if let Some(i) = k.find('#') {
        k.truncate(i);
    }
    k
}

/// What the export did.
#[derive(Debug, Default)]
pub struct Exported {
    pub pages: usize,
    /// `(url, reason)` of the pages not exported.
    pub problems: Vec<(String, String)>,
    /// `(page url, link)` of internal links the map has no new URL for.
    pub unmapped: Vec<(String, String)>,
    /// Where `problems.csv` and `unmapped-links.csv` went.
    pub problems_file: PathBuf,
    pub unmapped_file: PathBuf,
}

/// Exports every archived URL (under `opts.prefix`) as of `opts.at` to
/// `out`: a `.jsonl` file, else a directory of Markdown files.
/// `progress(done, total)` is called after each page.
pub fn export_pages(
    archive: &Archive,
    out: &Path,
    opts: &ExportOptions,
    mut progress: impl FnMut(usize, usize),
) -> Result<Exported, MigrateError> {
    let records = archive.list_pages()?;
    let prefix = opts.prefix.as_deref().unwrap_or("");
    let urls: Vec<&[CaptureRecord]> = records
        .chunk_by(|a, b| a.url == b.url)
        .filter(|c| c[0].url.starts_with(prefix))
        .collect();
    let jsonl = out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("jsonl"));
    let beside = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let mut done = Exported {
        problems_file: beside.join("problems.csv"),
        unmapped_file: beside.join("unmapped-links.csv"),
        ..Exported::default()
    };
    let write_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| MigrateError::Write { path, source }
    };
    // Each URL's capture as of the date, and (for Markdown) its file, named
    // in URL order so that clashes resolve the same way every time.
    let mut names = Names::default();
    let chosen: Vec<(&CaptureRecord, Option<PathBuf>)> = urls
        .iter()
        .filter_map(|captures| select::as_of(captures, opts.at))
        .map(|c| {
            let path = (!jsonl).then(|| out.join(names.path_for(&c.record.url)));
            (c.record, path)
        })
        .collect();
    std::fs::create_dir_all(if jsonl { &beside } else { out }).map_err(write_err(out))?;
    // JSON Lines stream to a temporary file, named at the end.
    let mut lines = if jsonl {
        let tmp = crate::archive::temp_file_in(&beside).map_err(write_err(out))?;
        Some(std::io::BufWriter::new(tmp))
    } else {
        None
    };
    let job = Job {
        archive,
        opts,
        out: (!jsonl).then_some(out),
    };
    // Pages are read and written on every core, and handed on in order.
    let mut handed = 0;
    progress(0, chosen.len());
    crate::par::in_order(
        &chosen,
        |(record, path)| job.page(record, path.as_deref()),
        |chunk, results| {
            handed += chunk.len();
            for ((record, _), result) in chunk.iter().zip(results) {
                match result {
                    Some(Ok(Outcome::Exported { unmapped, line })) => {
                        done.pages += 1;
                        done.unmapped.extend(unmapped);
                        if let (Some(w), Some(line)) = (lines.as_mut(), line) {
                            w.write_all(&line).map_err(write_err(out))?;
                        }
                    }
                    Some(Ok(Outcome::Problem(reason))) => {
                        done.problems.push((record.url.clone(), reason))
                    }
                    Some(Err(e)) => return Err(e),
                    None => done
                        .problems
                        .push((record.url.clone(), "its worker stopped (a bug)".into())),
                }
            }
            progress(handed, chosen.len());
            Ok(())
        },
    )?;
    if let Some(w) = lines {
        let tmp = w.into_inner().map_err(|e| write_err(out)(e.into_error()))?;
        tmp.persist(out).map_err(|e| write_err(out)(e.error))?;
    }
    durable(&beside).map_err(write_err(&beside))?;
    write_csv(&done.problems_file, ["url", "reason"], &done.problems)
        .map_err(write_err(&done.problems_file))?;
    done.unmapped.sort();
    done.unmapped.dedup();
    write_csv(&done.unmapped_file, ["page", "link"], &done.unmapped)
        .map_err(write_err(&done.unmapped_file))?;
    Ok(done)
}

/// Why a page is not handed to the CMS, if it is not.
fn not_exported(page: &Page) -> Option<String> {
    match page.status {
        Some(s) if (300..400).contains(&s) => {
            return Some(match &page.redirect {
                Some(to) => format!("on that date the page redirected (HTTP {s}) to {to}"),
                None => format!("on that date the page redirected (HTTP {s})"),
            });
        }
        Some(s) if !(200..300).contains(&s) => {
            return Some(format!("on that date the page answered HTTP {s}"));
        }
        _ => {}
    }
    let has_text = page.intro.is_some()
        || page
            .sections
            .iter()
            .any(|s| !s.paragraphs.is_empty() || !s.links.is_empty());
    (!has_text).then(|| "no main content (no text under the title)".to_owned())
}

/// Links as the export writes them: through the map, and the internal
/// ones without a new URL noted.
struct Links<'a> {
    map: &'a UrlMap,
    page: &'a str,
    unmapped: &'a mut Vec<(String, String)>,
    archive: &'a Archive,
    wayback: &'a str,
    /// The capture's date, for the Wayback Machine's copies.
    captured: Timestamp,
    /// Where archived documents are copied (a directory export).
    out_dir: Option<&'a Path>,
}

impl Links<'_> {
    /// Images as Markdown, each followed by a space: the Wayback Machine's
    /// raw image (`im_`) of the capture's date.
    fn images(&self, images: &[Link]) -> String {
        images
            .iter()
            .map(|i| {
                let src = format!("{}/web/{}im_/{}", self.wayback, self.captured, i.href);
                format!("![{}](<{}>) ", escape(&i.text), destination(&src))
            })
            .collect()
    }

    /// The archive's newest capture of `href`, if it holds one.
    fn archived(&self, href: &str) -> Option<CaptureRecord> {
        [href.to_owned(), crate::wayback::normalize_url(href)]
            .iter()
            .find_map(|u| self.archive.list(Some(u)).ok()?.pop())
    }

    /// A document's archived copy written beside the pages (a directory
    /// export), under the path its URL gives; its path from the output.
    fn copy(&self, href: &str, record: &CaptureRecord) -> Option<String> {
        let out = self.out_dir?;
        let path = document_path(href);
        let target = out.join(&path);
        if !target.is_file() {
            let bytes = self.archive.raw(record).ok()?;
            std::fs::create_dir_all(target.parent()?).ok()?;
            write_atomic(&target, &bytes).ok()?;
        }
        Some(path.to_string_lossy().into_owned())
    }

    fn rewrite(&mut self, href: &str) -> String {
        if let Some(new) = self.map.get(href) {
            return new.to_owned();
        }
        let host = |u: &str| {
            url::Url::parse(u).ok().and_then(|u| {
                u.host_str()
                    .map(|h| h.trim_start_matches("www.").to_ascii_lowercase())
            })
        };
        if host(href).is_some() && host(href) == host(self.page) {
            self.unmapped.push((self.page.to_owned(), href.to_owned()));
        }
        href.to_owned()
    }
}

/// The page's main content as CommonMark: the title, the intro, each
/// section's heading, paragraphs and links, and the documents it links to.
/// What the page JSON does not hold but a Markdown copy shows: which
/// paragraphs were list items and which table cells.
#[derive(Default)]
struct Layout {
    lists: HashSet<(usize, usize)>,
    cells: HashMap<(usize, usize), crate::extract::Cell>,
    /// Images by the paragraph they stand before (`None`: the intro).
    images: HashMap<Option<(usize, usize)>, Vec<Link>>,
}

/// The stored page's layout: the capture is read again, and trusted only
/// when it reads into the same sections (the same extractor).
fn layout(archive: &Archive, record: &CaptureRecord, page: &Page) -> Layout {
    let read = || {
        let original = archive.original(record).ok()?;
        let raw = archive.raw(&original).ok()?;
        let budget = std::time::Duration::from_secs(10);
        let opts = crate::archive::reparse::parse_options(&original, budget, page.redirect.clone());
        let doc = crate::parse::parse_document(&raw, &opts).ok()?;
        (doc.page.content.sections == page.content.sections).then(|| Layout {
            lists: doc.list_items.into_iter().collect(),
            cells: doc.cells.into_iter().collect(),
            images: doc.images.into_iter().collect(),
        })
    };
    read().unwrap_or_default()
}

/// One piece of a section's body.
enum Piece {
    Paragraph(String),
    Item(String),
    /// Rows of cells, the first the header.
    Table(Vec<Vec<String>>),
}

/// A section's paragraphs as pieces: list items, and runs of table cells
/// that make a table (two rows and two columns at least: a one-column
/// table is the page's layout, not data).
fn pieces(si: usize, paragraphs: Vec<String>, layout: &Layout) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut run: Vec<(String, crate::extract::Cell)> = Vec::new();
    let flush = |run: &mut Vec<(String, crate::extract::Cell)>, out: &mut Vec<Piece>| {
        let rows: std::collections::BTreeSet<u32> = run.iter().map(|(_, c)| c.0).collect();
        let cols = run.iter().map(|(_, c)| c.1).max().unwrap_or(0);
        if rows.len() >= 2 && cols >= 2 {
            let mut table: Vec<Vec<String>> = Vec::new();
            for row in &rows {
                let mut cells = vec![String::new(); usize::from(cols)];
                for (text, (r, c, _)) in run.iter() {
                    if r == row
                        && let Some(cell) = cells.get_mut(usize::from(*c).saturating_sub(1))
                    {
                        if !cell.is_empty() {
                            cell.push(' ');
                        }
                        cell.push_str(text);
                    }
                }
                table.push(cells);
            }
            out.push(Piece::Table(table));
        } else {
            out.extend(run.drain(..).map(|(text, _)| Piece::Paragraph(text)));
        }
        run.clear();
    };
    for (pi, p) in paragraphs.into_iter().enumerate() {
        match layout.cells.get(&(si, pi)) {
            Some(cell) => run.push((p, *cell)),
            None => {
                flush(&mut run, &mut out);
                out.push(if layout.lists.contains(&(si, pi)) {
                    Piece::Item(p)
                } else {
                    Piece::Paragraph(p)
                });
            }
        }
    }
    flush(&mut run, &mut out);
    out
}

fn markdown(page: &Page, layout: &Layout, links: &mut Links<'_>) -> String {
    let mut out = String::new();
    if let Some(title) = &page.title {
        out.push_str(&format!("# {}\n\n", escape(title)));
    }
    if let Some(intro) = &page.intro {
        let images = layout
            .images
            .get(&None)
            .map(|i| links.images(i))
            .unwrap_or_default();
        out.push_str(&format!("{images}{}\n\n", escape(intro)));
    }
    let mut linked: HashSet<&str> = HashSet::new();
    for (si, section) in page.sections.iter().enumerate() {
        if let Some(h) = &section.heading {
            let level = usize::from(section.level.clamp(2, 6));
            out.push_str(&format!("{} {}\n\n", "#".repeat(level), escape(h)));
        }
        // A link sits where its text is in the section's paragraphs; the
        // ones whose text is not there follow as a list.
        let mut paragraphs: Vec<String> = section.paragraphs.iter().map(|p| escape(p)).collect();
        let mut rest = Vec::new();
        for l in &section.links {
            linked.insert(&l.href);
            let text = escape(&l.text);
            let at = (!text.is_empty())
                .then(|| paragraphs.iter().position(|p| p.contains(&text)))
                .flatten();
            match at {
                Some(i) => {
                    let link = format!("[{text}](<{}>)", destination(&links.rewrite(&l.href)));
                    paragraphs[i] = paragraphs[i].replacen(&text, &link, 1);
                }
                None => rest.push(l),
            }
        }
        // Consecutive list items are one list; a table is a GFM pipe table.
        let mut in_list = false;
        // An image stands at the start of the paragraph it came before.
        for (pi, p) in paragraphs.iter_mut().enumerate() {
            if let Some(images) = layout.images.get(&Some((si, pi))) {
                *p = format!("{}{p}", links.images(images));
            }
        }
        for piece in pieces(si, paragraphs, layout) {
            let item = matches!(piece, Piece::Item(_));
            if in_list && !item {
                out.push('\n');
            }
            in_list = item;
            match piece {
                Piece::Item(p) => out.push_str(&format!("- {p}\n")),
                Piece::Paragraph(p) => out.push_str(&format!("{p}\n\n")),
                Piece::Table(rows) => {
                    for (i, row) in rows.iter().enumerate() {
                        out.push_str(&format!("| {} |\n", row.join(" | ")));
                        if i == 0 {
                            out.push_str(&format!("|{}\n", " --- |".repeat(row.len())));
                        }
                    }
                    out.push('\n');
                }
            }
        }
        if in_list {
            out.push('\n');
        }
        link_list(&mut out, rest.into_iter(), links);
    }
    let documents: Vec<&Link> = page
        .attachments
        .iter()
        .filter(|a| !linked.contains(a.href.as_str()))
        .collect();
    if !documents.is_empty() {
        out.push_str("## Dokument\n\n");
        link_list(&mut out, documents.into_iter(), links);
    }
    out
}

fn link_list<'a>(out: &mut String, list: impl Iterator<Item = &'a Link>, links: &mut Links<'_>) {
    let mut any = false;
    for l in list {
        let text = if l.text.is_empty() { &l.href } else { &l.text };
        out.push_str(&format!(
            "- [{}](<{}>)\n",
            escape(text),
            destination(&links.rewrite(&l.href))
        ));
        any = true;
    }
    if any {
        out.push('\n');
    }
}

/// A link destination inside `<…>`: no line break, no unescaped angle bracket.
fn destination(href: &str) -> String {
    href.chars()
        .map(|c| match c {
            '<' => "%3C".to_owned(),
            '>' => "%3E".to_owned(),
            ' ' => "%20".to_owned(),
            c if c.is_control() => String::new(),
            c => c.to_string(),
        })
        .collect()
}

/// Page text as CommonMark text: every character that could start markup
/// escaped (CommonMark lets any ASCII punctuation be escaped with `\`).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '!' | '|' | '&' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    // What starts a block at the start of a line: a list marker, a
    // heading underline, an ordered list's number.
    let starts_block = out.starts_with(['+', '-', '='])
        || out.split_once(['.', ')']).is_some_and(|(n, _)| {
            !n.is_empty() && n.len() <= 9 && n.bytes().all(|b| b.is_ascii_digit())
        });
    if starts_block {
        let at = out.find(|c: char| !c.is_ascii_digit()).unwrap_or(0);
        out.insert(at, '\\');
    }
    out
}

/// YAML front matter. Every value is written as JSON, which YAML 1.2 reads
/// as it is: no quoting rule of YAML's to get wrong.
/// Each document the page links to, with where a copy is: in the archive
/// (`archived`), else the Wayback Machine's copy nearest the capture. Worked
/// out when exporting, so stored pages never drift.
fn attachment_copies(page: &Page, record: &CaptureRecord, links: &mut Links<'_>) -> Vec<Value> {
    page.attachments
        .iter()
        .map(|l| {
            let archived = links.archived(&l.href);
            let copy = archived.as_ref().and_then(|r| links.copy(&l.href, r));
            json!({
                "text": l.text,
                "href": links.rewrite(&l.href),
                "archived": archived.is_some(),
                "copy": copy,
                "wayback": format!("{}/web/{}/{}", links.wayback, record.timestamp, l.href),
            })
        })
        .collect()
}

fn front_matter(
    page: &Page,
    record: &CaptureRecord,
    attachments: Vec<Value>,
    links: &mut Links<'_>,
) -> String {
    let breadcrumb: Vec<Value> = page
        .breadcrumb
        .iter()
        .map(|l| json!({"text": l.text, "href": links.rewrite(&l.href)}))
        .collect();
    let fields: BTreeMap<usize, (&str, Value)> = [
        ("title", json!(page.title)),
        (
            // The address the page is archived under, as the file's path is.
            "url",
            json!(record.url),
        ),
        ("captured", json!(record.timestamp.iso())),
        ("updated", json!(page.updated)),
        ("published", json!(page.published)),
        ("breadcrumb", Value::Array(breadcrumb)),
        ("contacts", json!(page.contacts)),
        ("attachments", Value::Array(attachments)),
    ]
    .into_iter()
    .enumerate()
    .collect();
    let mut out = String::from("---\n");
    for (_, (k, v)) in fields {
        out.push_str(&format!("{k}: {v}\n"));
    }
    out.push_str("---\n\n");
    out
}

/// File names for pages: the old URL's path, percent-decoded, under its
/// host; a trailing `/` is `index.md`, a page name loses its web extension
/// (`.html`, `.aspx`, …) for `.md`; a query string, or a name another page
/// took (compared without case, as some file systems do), adds `-` and 8
/// hex digits of the URL's SHA-256.
#[derive(Default)]
struct Names {
    taken: HashSet<String>,
}

const WEB_EXTENSIONS: &[&str] = &[
    ".html", ".htm", ".xhtml", ".shtml", ".aspx", ".asp", ".php", ".jsp",
];

impl Names {
    fn path_for(&mut self, url: &str) -> PathBuf {
        let UrlPath {
            mut parts,
            directory,
            query,
        } = url_path(url);
        let last = match parts.len() {
            n if n > 1 && !directory => parts.pop().unwrap_or_default(),
            _ => "index".to_owned(),
        };
        let lower = last.to_ascii_lowercase();
        let stem = WEB_EXTENSIONS
            .iter()
            .find(|e| lower.ends_with(*e))
            .map_or(last.as_str(), |e| &last[..last.len() - e.len()]);
        let mut name = stem.to_owned();
        if query {
            name = format!("{name}-{}", short_hash(url));
        }
        let dir = parts.join("/");
        let mut file = format!("{dir}/{name}.md");
        if !self.taken.insert(file.to_lowercase()) {
            file = format!("{dir}/{name}-{}.md", short_hash(url));
            self.taken.insert(file.to_lowercase());
        }
        PathBuf::from(file)
    }
}

/// A URL as a path: its host, then its path's segments, each
/// percent-decoded and made safe as one path segment.
struct UrlPath {
    parts: Vec<String>,
    /// The path ends with `/` (or is empty).
    directory: bool,
    query: bool,
}

fn url_path(url: &str) -> UrlPath {
    let parsed = url::Url::parse(url).ok();
    let host = parsed
        .as_ref()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "local".to_owned());
    let path = parsed
        .as_ref()
        .map(|u| u.path().to_owned())
        .unwrap_or_default();
    let mut parts = vec![safe(&host)];
    parts.extend(
        path.split('/')
            .filter(|s| !s.is_empty())
            .map(|s| safe(&decode(s))),
    );
    UrlPath {
        parts,
        directory: path.is_empty() || path.ends_with('/'),
        query: parsed.as_ref().is_some_and(|u| u.query().is_some()),
    }
}

/// 8 hex digits of the URL's SHA-256, to tell apart names that clash.
pub(crate) fn short_hash(url: &str) -> String {
    use sha2::Digest;
    data_encoding::HEXLOWER.encode(&sha2::Sha256::digest(url.as_bytes()))[..8].to_owned()
}

/// Where a document's copy goes: its URL's host and path, percent-decoded,
/// its name kept; a query string adds `-` and 8 hex digits of the URL's
/// SHA-256 before the extension.
fn document_path(url: &str) -> PathBuf {
    let UrlPath {
        mut parts, query, ..
    } = url_path(url);
    if parts.len() == 1 {
        parts.push("index".into());
    }
    if query && let Some(last) = parts.last_mut() {
        let hash = short_hash(url);
        *last = match last.rsplit_once('.') {
            Some((stem, ext)) => format!("{stem}-{hash}.{ext}"),
            None => format!("{last}-{hash}"),
        };
    }
    parts.iter().collect()
}

fn decode(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .into_owned()
}

/// A path segment that stays one segment and names no special place.
fn safe(segment: &str) -> String {
    let s: String = segment
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() || c == ':' {
                '_'
            } else {
                c
            }
        })
        .collect();
    let s = s.trim_start_matches('.').to_owned();
    if s.is_empty() { "_".to_owned() } else { s }
}

/// Writes a file whole or not at all (a temporary file renamed). Made
/// durable once, for the whole export, by [`durable`]: a sync per file cost
/// more than reading and writing the pages.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = crate::archive::temp_file_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Every file written on the file system of `dir` made durable: one
/// `syncfs` on Linux; elsewhere, a sync of `dir`.
pub(crate) fn durable(dir: &Path) -> std::io::Result<()> {
    let d = std::fs::File::open(dir)?;
    #[cfg(target_os = "linux")]
    {
        rustix::fs::syncfs(&d).map_err(std::io::Error::from)
    }
    #[cfg(not(target_os = "linux"))]
    {
        d.sync_all()
    }
}

/// What exporting one page needs.
struct Job<'a> {
    archive: &'a Archive,
    opts: &'a ExportOptions,
    /// The output directory (Markdown files); `None` for JSON Lines.
    out: Option<&'a Path>,
}

/// What became of one page.
enum Outcome {
    Exported {
        unmapped: Vec<(String, String)>,
        /// Its JSON line (a JSON Lines export).
        line: Option<Vec<u8>>,
    },
    /// Why it was not exported.
    Problem(String),
}

impl Job<'_> {
    /// One page: its Markdown file written, or its JSON line made.
    fn page(&self, record: &CaptureRecord, path: Option<&Path>) -> Result<Outcome, MigrateError> {
        let write_err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| MigrateError::Write { path, source }
        };
        let page = match self.archive.page(record) {
            Ok(p) => p,
            Err(e) => return Ok(Outcome::Problem(crate::error::chain(&e))),
        };
        if let Some(reason) = not_exported(&page) {
            return Ok(Outcome::Problem(reason));
        }
        let mut unmapped = Vec::new();
        let mut links = Links {
            map: &self.opts.map,
            page: &record.url,
            unmapped: &mut unmapped,
            archive: self.archive,
            wayback: self.opts.wayback.trim_end_matches('/'),
            captured: record.timestamp,
            out_dir: self.out,
        };
        let layout = layout(self.archive, record, &page);
        let body = markdown(&page, &layout, &mut links);
        let documents = attachment_copies(&page, record, &mut links);
        let line = match path {
            Some(path) => {
                let text = format!(
                    "{}{body}",
                    front_matter(&page, record, documents, &mut links)
                );
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(write_err(dir))?;
                }
                write_atomic(path, text.as_bytes()).map_err(write_err(path))?;
                None
            }
            None => {
                let mut value = serde_json::to_value(&page).unwrap_or(Value::Null);
                if let Value::Object(o) = &mut value {
                    let capture = json!({"timestamp": record.timestamp, "sha256": record.sha256, "url": record.url});
                    o.insert("capture".into(), capture);
                    o.insert("markdown".into(), Value::String(body));
                    o.insert("attachment_copies".into(), Value::Array(documents));
                }
                let mut line = serde_json::to_vec(&value).unwrap_or_default();
                line.push(b'\n');
                Some(line)
            }
        };
        Ok(Outcome::Exported { unmapped, line })
    }
}

fn write_csv(path: &Path, header: [&str; 2], rows: &[(String, String)]) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header)?;
    for (a, b) in rows {
        w.write_record([a, b])?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    write_atomic(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_old_path() {
        let mut n = Names::default();
        let p = |n: &mut Names, u: &str| n.path_for(u).to_string_lossy().into_owned();
        assert_eq!(
            p(&mut n, "http://www.karlskrona.se/sv/"),
            "www.karlskrona.se/sv/index.md"
        );
        assert_eq!(
            p(&mut n, "http://www.karlskrona.se/sv/Om-kommunen/"),
            "www.karlskrona.se/sv/Om-kommunen/index.md"
        );
        assert_eq!(
            p(&mut n, "http://www.karlskrona.se/sv/V%C3%A4norter.aspx"),
            "www.karlskrona.se/sv/Vänorter.md"
        );
        let q = p(&mut n, "http://www.karlskrona.se/sv/nyhet.asp?id=7");
        assert!(
            q.starts_with("www.karlskrona.se/sv/nyhet-")
                && q.ends_with(".md")
                && q.len() == "www.karlskrona.se/sv/nyhet-12345678.md".len(),
            "{q}"
        );
        // A clash (here only by case) gets the hash too.
        let c = p(&mut n, "http://www.karlskrona.se/sv/vänorter.html");
        assert!(c.starts_with("www.karlskrona.se/sv/vänorter-"), "{c}");
        assert_eq!(
            p(&mut n, "http://www.karlskrona.se/sv/..%2F..%2Fetc/x"),
            "www.karlskrona.se/sv/_.._etc/x.md"
        );
    }

    #[test]
    fn text_never_becomes_markup() {
        assert_eq!(
            escape("1. maj *firas* [här]"),
            "1\\. maj \\*firas\\* \\[här\\]"
        );
        assert_eq!(escape("- inte en lista"), "\\- inte en lista");
        assert_eq!(escape("<script>&amp;"), "\\<script\\>\\&amp;");
        assert_eq!(escape("Tel 0455-30 30 00"), "Tel 0455-30 30 00");
        assert_eq!(destination("http://a.se/x y>z"), "http://a.se/x%20y%3Ez");
    }
}
