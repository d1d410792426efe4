//! `sidarkiv site-report DIR`: the archive's history as a static website
//! for editors — a start page (what changed in the period, every page),
//! one page per archived URL (its timeline, its contacts and networks),
//! one page per change (the change report), and a readable copy of each
//! capture, sanitised with an allowlist (ammonia): no scripts, forms,
//! frames, objects, event handlers, `javascript:` or `data:` URLs, `<base>`,
//! meta refresh or CSS.
//!
//! Plain files, no scripts at all. Only the start page carries the
//! generation date; every other page depends on the archive alone, so a
//! re-run rewrites only what the archive changed, and a site published
//! from git changes only there.

use minijinja::{Environment, UndefinedBehavior, context};
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use thiserror::Error;

use super::words::{Lang, labels, summary_line, t};
use crate::archive::{Archive, ArchiveError, CaptureRecord, RecordType, select};
use crate::model::Page;
use crate::timestamp::Timestamp;

#[derive(Debug, Error)]
pub enum SiteError {
    #[error("cannot read the archive")]
    Archive(#[from] ArchiveError),
    #[error("rendering the site failed: {0}")]
    Template(#[from] minijinja::Error),
    #[error(transparent)]
    Report(#[from] super::ReportError),
    #[error("cannot write {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("a worker building the site stopped (a bug)")]
    Worker,
}

/// What to build.
#[derive(Debug, Clone)]
pub struct SiteOptions {
    /// The start page lists changes captured on or after this.
    pub since: Option<Timestamp>,
    pub lang: Lang,
    /// The Wayback Machine links go to (images as `im_`).
    pub wayback: String,
}

/// What a build did.
#[derive(Debug, Default, Serialize)]
pub struct SiteWritten {
    pub pages: usize,
    pub changes: usize,
    pub copies: usize,
    /// Files written because they were new or different.
    pub written: usize,
    /// Files already there with the same bytes.
    pub unchanged: usize,
}

/// One archived URL: its file name stem, its captures, oldest first.
struct UrlPages<'a> {
    url: &'a str,
    slug: String,
    captures: &'a [CaptureRecord],
}

/// A row of a page's timeline.
#[derive(Serialize)]
struct Row {
    date: String,
    updated: String,
    answer: String,
    what: String,
    change_href: Option<String>,
    copy_href: Option<String>,
}

/// A line of the start page's changes.
#[derive(Serialize)]
struct ChangeLine {
    at: Timestamp,
    date: String,
    title: String,
    page_href: String,
    kind: &'static str,
    kind_label: String,
    summary: String,
    change_href: Option<String>,
    updated: String,
}

#[derive(Serialize)]
struct PageLine {
    title: String,
    href: String,
    url_parts: Vec<String>,
    captures: usize,
}

const CSS: &str = include_str!("templates/site.css");
const INDEX: &str = include_str!("templates/site_index.html");
const PAGE: &str = include_str!("templates/site_page.html");
const COPY: &str = include_str!("templates/site_copy.html");

/// Builds (or brings up to date) the site in `dir`.
pub fn write_site(
    archive: &Archive,
    dir: &Path,
    opts: &SiteOptions,
) -> Result<SiteWritten, SiteError> {
    let mut env = Environment::new();
    // A label missing from the words table is an error, not an empty space.
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    env.add_template("index.html", INDEX)?;
    env.add_template("page.html", PAGE)?;
    env.add_template("copy.html", COPY)?;
    let lang = opts.lang;
    let l = labels(lang);

    let records = archive.list_pages()?;
    let urls: Vec<UrlPages<'_>> = records
        .chunk_by(|a, b| a.url == b.url)
        .map(|captures| UrlPages {
            url: &captures[0].url,
            slug: slug(&captures[0].url),
            captures,
        })
        .collect();
    let by_url: HashMap<&str, &UrlPages<'_>> = urls.iter().map(|u| (u.url, u)).collect();
    let build = Build {
        archive,
        by_url: &by_url,
        opts,
        env: &env,
        l: &l,
    };
    let mut out = Output::new(dir)?;
    let mut done = SiteWritten::default();
    let mut changes: Vec<ChangeLine> = Vec::new();
    let mut page_lines: Vec<PageLine> = Vec::new();

    crate::par::in_order(
        &urls,
        |u| url_site(&build, u),
        |_, results| {
            for result in results {
                let site = result.ok_or(SiteError::Worker)??;
                for (name, html) in &site.files {
                    out.write(name, html.as_bytes(), &mut done)?;
                }
                done.copies += site.copies;
                done.changes += site.change_pages;
                changes.extend(site.changes);
                if let Some(line) = site.line {
                    done.pages += 1;
                    page_lines.push(line);
                }
            }
            Ok::<(), SiteError>(())
        },
    )?;
    changes.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| a.title.cmp(&b.title)));
    let now = Timestamp::now();
    let generated = format!(
        "{} {} {} UTC",
        t("generated", lang),
        now.date(),
        &now.iso()[11..16]
    );
    let first = records.iter().map(|r| r.timestamp).min();
    let last = records.iter().map(|r| r.timestamp).max();
    let period = opts
        .since
        .or(first)
        .zip(last)
        .map(|(a, b)| format!("{} {} – {}", t("period", lang), a.date(), b.date()));
    let html = env.get_template("index.html")?.render(context! {
        lang => lang.code(),
        css => CSS,
        l => &l,
        generated => generated,
        period => period,
        changes => changes,
        pages => page_lines,
    })?;
    out.write("index.html", html.as_bytes(), &mut done)?;
    out.finish()?;
    Ok(done)
}

/// What one archived URL adds to the site: its files, in the order they
/// are written, and its lines on the start page.
#[derive(Default)]
struct UrlSite {
    files: Vec<(String, String)>,
    changes: Vec<ChangeLine>,
    line: Option<PageLine>,
    copies: usize,
    change_pages: usize,
}

/// What every URL's part of the site is built from, made once.
struct Build<'a> {
    archive: &'a Archive,
    by_url: &'a HashMap<&'a str, &'a UrlPages<'a>>,
    opts: &'a SiteOptions,
    env: &'a Environment<'a>,
    /// The words of the site's language, by label.
    l: &'a std::collections::BTreeMap<&'static str, &'static str>,
}

/// The timeline page of one URL, a page per change and a readable copy
/// per capture; worked out on any core, written in order by the caller.
fn url_site(build: &Build<'_>, u: &UrlPages<'_>) -> Result<UrlSite, SiteError> {
    let Build {
        archive,
        opts,
        env,
        l,
        ..
    } = *build;
    let lang = opts.lang;
    let mut site = UrlSite::default();
    let page_href = format!("pages/{}.html", u.slug);
    let mut rows = Vec::new();
    let mut previous: Option<Page> = None;
    let mut latest: Option<Page> = None;
    for (i, record) in u.captures.iter().enumerate() {
        let page = archive.page(record).ok();
        let copy = copy_name(record, archive);
        let mut row = Row {
            date: when(record.timestamp),
            updated: page
                .as_ref()
                .and_then(|p| p.updated.clone())
                .unwrap_or_default(),
            answer: answer(record, page.as_ref(), l),
            what: String::new(),
            change_href: None,
            copy_href: copy.as_ref().map(|c| format!("../copies/{c}")),
        };
        if record.record != RecordType::Revisit
            && let (Some(name), Some(p)) = (&copy, &page)
        {
            let html = readable_copy(build, record, p, u)?;
            site.files.push((format!("copies/{name}"), html));
            site.copies += 1;
        }
        let Some(p) = page else {
            rows.push(row);
            continue;
        };
        if !p.is_compared() {
            row.what = t("site_not_compared", lang).to_owned();
            rows.push(row);
            continue;
        }
        let in_period = opts.since.is_none_or(|s| record.timestamp >= s);
        match &previous {
            None => {
                row.what = t("site_first", lang).to_owned();
                if i == 0 && in_period {
                    site.changes.push(ChangeLine {
                        at: record.timestamp,
                        date: record.timestamp.date(),
                        title: title_of(&p, u.url),
                        page_href: page_href.clone(),
                        kind: "added",
                        kind_label: t("site_added", lang).to_owned(),
                        summary: String::new(),
                        change_href: None,
                        updated: p.updated.clone().unwrap_or_default(),
                    });
                }
            }
            Some(prev) => {
                let d = crate::diff::diff(prev, &p);
                if d.changed {
                    let name = format!(
                        "{}-{}-{}.html",
                        u.slug,
                        d.from.timestamp.map(|t| t.to_string()).unwrap_or_default(),
                        record.timestamp
                    );
                    let found = crate::sync::FoundDiff::new(prev, &p, d);
                    let summary = summary_line(&found.diff.summary, lang);
                    let nav = super::Nav {
                        href: format!("../{page_href}"),
                        text: t("site_back_to_page", lang).to_owned(),
                        label: t("site_nav", lang).to_owned(),
                    };
                    let html =
                        super::html_with_nav(&found.diff, found.title.as_deref(), lang, nav)?;
                    site.files.push((format!("changes/{name}"), html));
                    site.change_pages += 1;
                    row.what.clone_from(&summary);
                    row.change_href = Some(format!("../changes/{name}"));
                    if in_period {
                        let (kind, label) = kind_of(prev, &p);
                        site.changes.push(ChangeLine {
                            at: record.timestamp,
                            date: record.timestamp.date(),
                            title: found.title.clone().unwrap_or_else(|| u.url.to_owned()),
                            page_href: page_href.clone(),
                            kind,
                            kind_label: t(label, lang).to_owned(),
                            summary,
                            change_href: Some(format!("changes/{name}")),
                            updated: p.updated.clone().unwrap_or_default(),
                        });
                    }
                } else {
                    row.what = t(
                        if record.record == RecordType::Revisit {
                            "site_same"
                        } else {
                            "site_no_change"
                        },
                        lang,
                    )
                    .to_owned();
                }
            }
        }
        rows.push(row);
        previous = Some(p.clone());
        latest = Some(p);
    }
    let title = latest
        .as_ref()
        .map_or_else(|| u.url.to_owned(), |p| title_of(p, u.url));
    let contacts: Vec<String> = latest
        .as_ref()
        .map(|p| {
            p.contacts
                .iter()
                .map(|c| {
                    let phones: Vec<&str> = c.phones.iter().map(|p| p.display.as_str()).collect();
                    [
                        Some(c.name.clone()),
                        c.role.clone(),
                        (!phones.is_empty()).then(|| phones.join(", ")),
                    ]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(", ")
                })
                .collect()
        })
        .unwrap_or_default();
    let networks: Vec<String> = latest
        .as_ref()
        .map(|p| {
            p.networks
                .iter()
                .map(|n| match &n.acronym {
                    Some(a) => format!("{} ({a})", n.name),
                    None => n.name.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    let html = env.get_template("page.html")?.render(context! {
        lang => lang.code(),
        css => CSS,
        l => l,
        title => &title,
        url_parts => url_parts(u.url),
        captures => rows,
        contacts => contacts,
        networks => networks,
    })?;
    site.files.push((page_href.clone(), html));
    site.line = Some(PageLine {
        title,
        href: page_href,
        url_parts: url_parts(u.url),
        captures: u.captures.len(),
    });
    Ok(site)
}

fn title_of(page: &Page, url: &str) -> String {
    page.title.clone().unwrap_or_else(|| url.to_owned())
}

/// "2011-03-15 10:15".
fn when(ts: Timestamp) -> String {
    let s = ts.as_str();
    format!("{} {}:{}", ts.date(), &s[8..10], &s[10..12])
}

fn url_parts(url: &str) -> Vec<String> {
    url.split_inclusive(['/', '?', '&'])
        .map(str::to_owned)
        .collect()
}

/// A page's file name stem: its last path segment, made safe, and 8 hex
/// digits of its URL's SHA-256 (two pages never share a name).
fn slug(url: &str) -> String {
    let last = url
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("")
        .split(['?', '#'])
        .next()
        .unwrap_or("");
    let name: String = last
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(40)
        .collect();
    let name = name.trim_matches('-');
    let hash = crate::migrate::short_hash(url);
    if name.is_empty() || name.contains("www") {
        format!("sida-{hash}")
    } else {
        format!("{name}-{hash}")
    }
}

/// The file of a capture's readable copy (a revisit's is its original's).
fn copy_name(record: &CaptureRecord, archive: &Archive) -> Option<String> {
    let original = archive.original(record).ok()?;
    Some(format!(
        "{}-{}.html",
        slug(&original.url),
        original.timestamp
    ))
}

/// What the site answered, in words.
fn answer(
    record: &CaptureRecord,
    page: Option<&Page>,
    l: &std::collections::BTreeMap<&'static str, &'static str>,
) -> String {
    let word = |k: &str| l.get(k).copied().unwrap_or_default();
    match record.status {
        None | Some(200..=299) => word("site_ok").to_owned(),
        Some(s @ 300..=399) => match page.and_then(|p| p.redirect.as_deref()) {
            Some(to) => format!("{} {to} ({s})", word("site_redirect")),
            None => format!("{} ({s})", word("site_redirect")),
        },
        Some(s @ (404 | 410)) => format!("{} ({s})", word("site_gone")),
        Some(s) => format!("{} ({s})", word("site_error")),
    }
}

/// What kind of change, for the start page.
fn kind_of(before: &Page, after: &Page) -> (&'static str, &'static str) {
    let class = |p: &Page| match p.status {
        Some(300..=399) => 1,
        Some(404 | 410) => 2,
        _ => 0,
    };
    match (class(before), class(after)) {
        (_, 2) => ("removed", "site_removed"),
        (_, 1) => ("moved", "site_moved"),
        (1 | 2, 0) => ("added", "site_back"),
        _ => ("changed", "site_changed"),
    }
}

/// A capture's readable copy: its bytes decoded, the Wayback Machine's
/// additions cut, sanitised with an allowlist; links to archived pages go
/// to their copy of that time, other links and images to the Wayback
/// Machine.
fn readable_copy(
    build: &Build<'_>,
    record: &CaptureRecord,
    page: &Page,
    u: &UrlPages<'_>,
) -> Result<String, SiteError> {
    let Build {
        archive,
        by_url,
        opts,
        env,
        l,
    } = *build;
    let raw = archive.raw(record)?;
    let cleaned = crate::clean::strip_wayback(&raw);
    let charset = record
        .content_type
        .as_deref()
        .and_then(crate::fetch::charset_of);
    let text = crate::decode::decode(&cleaned.bytes, charset.as_deref(), Some(b"se")).text;
    let base = record.original_url.as_deref().unwrap_or(&record.url);
    let wayback = opts.wayback.trim_end_matches('/');
    let ts = record.timestamp;
    let body = sanitize(&text, base, |url, image| {
        let url = crate::clean::unwrap_url(url).unwrap_or_else(|| url.to_owned());
        if image {
            return format!("{wayback}/web/{ts}im_/{url}");
        }
        let key = url.split('#').next().unwrap_or(&url);
        let target = by_url
            .get(key)
            .or_else(|| by_url.get(crate::wayback::normalize_url(key).as_str()));
        if let Some(t) = target
            && let Some(chosen) = select::as_of(t.captures, Some(ts))
            && let Some(copy) = copy_name(chosen.record, archive)
        {
            return copy;
        }
        format!("{wayback}/web/{ts}/{url}")
    });
    Ok(env.get_template("copy.html")?.render(context! {
        lang => opts.lang.code(),
        l => l,
        title => title_of(page, u.url),
        url => u.url,
        date => when(record.timestamp),
        page_href => format!("../pages/{}.html", u.slug),
        body => body,
    })?)
}

/// `html` through ammonia's allowlist (its defaults: no scripts, styles,
/// forms, frames, objects or embeds, no event handlers, only safe URL
/// schemes), every link and image address made absolute against `base`
/// and then given by `rewrite(url, is_image)`. An image without a text
/// gets its file name as one, so that a reader (and a screen reader)
/// knows something is there.
fn sanitize(html: &str, base: &str, rewrite: impl Fn(&str, bool) -> String) -> String {
    let with_alt = IMG.replace_all(html, |c: &regex::Captures<'_>| {
        let tag = &c[0];
        if HAS_ALT.is_match(tag) {
            return tag.to_owned();
        }
        let src = SRC
            .captures(tag)
            .map(|s| s[1].trim_matches(['"', '\'']).to_owned())
            .unwrap_or_default();
        let name = src
            .rsplit('/')
            .next()
            .unwrap_or("")
            .split('?')
            .next()
            .unwrap_or("");
        let alt = if name.is_empty() { "bild" } else { name };
        let alt: String = alt
            .chars()
            .filter(|c| !matches!(c, '"' | '<' | '>' | '&'))
            .collect();
        format!("<img alt=\"{alt}\"{}", &tag[4..])
    });
    let mut b = ammonia::Builder::default();
    // The page's own <title> is the banner's business, not body text.
    b.add_clean_content_tags(["title"]);
    match url::Url::parse(base) {
        Ok(base) => b.url_relative(ammonia::UrlRelative::RewriteWithBase(base)),
        Err(_) => b.url_relative(ammonia::UrlRelative::Deny),
    };
    let clean = b.clean(&with_alt).to_string();
    // ammonia writes attributes double-quoted, `&` as `&amp;`: the
    // addresses are read back from its output and rewritten there.
    ATTR.replace_all(&clean, |c: &regex::Captures<'_>| {
        let (name, value) = (&c[1], c[2].replace("&amp;", "&"));
        if !(value.starts_with("http://") || value.starts_with("https://")) {
            return c[0].to_owned();
        }
        let url = rewrite(&value, name == "src");
        format!(
            "{name}=\"{}\"",
            url.replace('&', "&amp;").replace('"', "&quot;")
        )
    })
    .into_owned()
}

static ATTR: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r#"\b(href|src)="([^"]*)""#).expect("static regex")
});

static IMG: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new(r"(?i)<img\b[^>]*>").expect("static regex"));

static HAS_ALT: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new(r"(?i)\salt\s*=").expect("static regex"));

static SRC: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r#"(?i)\bsrc\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)"#).expect("static regex")
});

/// Files written only when new or different, then made durable at once.
struct Output<'a> {
    dir: &'a Path,
}

impl<'a> Output<'a> {
    fn new(dir: &'a Path) -> Result<Output<'a>, SiteError> {
        for sub in ["", "pages", "changes", "copies"] {
            let d = dir.join(sub);
            std::fs::create_dir_all(&d).map_err(|source| SiteError::Write { path: d, source })?;
        }
        Ok(Output { dir })
    }

    fn write(&mut self, name: &str, bytes: &[u8], done: &mut SiteWritten) -> Result<(), SiteError> {
        let path = self.dir.join(name);
        if std::fs::read(&path).is_ok_and(|old| old == bytes) {
            done.unchanged += 1;
            return Ok(());
        }
        crate::migrate::write_atomic(&path, bytes).map_err(|source| SiteError::Write {
            path: path.clone(),
            source,
        })?;
        done.written += 1;
        Ok(())
    }

    fn finish(self) -> Result<(), SiteError> {
        crate::migrate::durable(self.dir).map_err(|source| SiteError::Write {
            path: self.dir.to_path_buf(),
            source,
        })
    }
}
