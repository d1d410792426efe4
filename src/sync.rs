//! The scheduled job for one tracked page: ask CDX for captures newer than the
//! newest one stored (the cursor), download them oldest first, store them,
//! parse them, diff each against the capture before it.
//!
//! Idempotent: the cursor and the per-URL digests mean a second run fetches
//! nothing. Resumable: captures are stored one by one, oldest first, and a
//! page stops at its first failed capture, so the cursor never passes a
//! capture that was not stored and the next run picks up exactly there.

use serde::Serialize;
use std::collections::{HashMap, HashSet};
use thiserror::Error;
use tracing::{info, warn};

use crate::archive::{Archive, ArchiveError, Capture, CaptureRecord, Lock, RecordType, StoreMeta};
use crate::config::TrackedPage;
use crate::diff::{PageDiff, Summary, diff};
use crate::error::chain;
use crate::fetch::{FetchError, Fetcher, Kind, ReadError};
use crate::model::Page;
use crate::model::SourceKind;
use crate::timestamp::Timestamp;
use crate::wayback;
use crate::wayback::WaybackError;

/// Why a tracked page stopped early. Each names the step; the cause says why.
#[derive(Debug, Error)]
pub enum SyncError {
    #[error("cannot read what the archive holds of this page")]
    Archive(#[source] ArchiveError),
    #[error("the CDX listing failed")]
    Cdx(#[source] FetchError),
    #[error("CDX: {url} answered HTTP {status}")]
    CdxStatus { url: String, status: u16 },
    #[error("CDX: {url}: unreadable answer")]
    CdxBody {
        url: String,
        #[source]
        source: WaybackError,
    },
    #[error("capture {timestamp}")]
    Capture {
        timestamp: Timestamp,
        #[source]
        source: FetchError,
    },
    #[error("capture {timestamp}")]
    Read {
        timestamp: Timestamp,
        #[source]
        source: ReadError,
    },
    #[error("capture {timestamp} cannot be stored")]
    Store {
        timestamp: Timestamp,
        #[source]
        source: ArchiveError,
    },
    /// The rows could not be handed on (the CLI's stdout closed or failed).
    #[error("cannot write the listing")]
    Output(#[from] std::io::Error),
}

impl SyncError {
    /// The store failed: the archive itself (disk, permissions), not the page.
    pub fn is_storage(&self) -> bool {
        matches!(self, SyncError::Store { .. } | SyncError::Archive(_))
    }
}

fn error_text<S: serde::Serializer>(e: &Option<SyncError>, s: S) -> Result<S::Ok, S::Error> {
    match e {
        Some(e) => s.serialize_some(&chain(e)),
        None => s.serialize_none(),
    }
}

/// CDX rows asked for per request; more come through resume keys.
pub const CDX_PAGE_ROWS: usize = 1000;

/// What happened to one tracked page.
#[derive(Debug, Serialize)]
pub struct PageOutcome {
    pub url: String,
    /// Captures CDX listed after the cursor.
    pub captures_found: usize,
    /// Distinct payloads among them not stored yet: the downloads.
    pub captures_new: usize,
    pub captures_stored: usize,
    /// Captures listed with a payload already stored: revisit records
    /// written from the listing, nothing downloaded.
    pub revisits_stored: usize,
    /// New captures left for a later run when `--max-captures` was reached.
    pub captures_remaining: usize,
    /// Documents the new captures link to, stored (`download_attachments`).
    pub attachments_stored: usize,
    /// The listing looked for captures from here (the cursor, or the
    /// page's `from`): what a report of the run covers.
    #[serde(skip)]
    pub looked_from: Option<Timestamp>,
    pub changes: Vec<ChangeSummary>,
    /// Captures listed but not kept, and why: the archive cannot serve
    /// them (excluded, not a capture, too large). A fact, not a failure.
    pub warnings: Vec<String>,
    /// Why the page stopped early, if it did.
    #[serde(serialize_with = "error_text")]
    pub error: Option<SyncError>,
}

/// One diff between consecutive captures, in brief.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeSummary {
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub summary: Summary,
}

/// A diff found in this run, with the page's title, for the report.
pub struct FoundDiff {
    pub title: Option<String>,
    pub diff: PageDiff,
}

impl FoundDiff {
    /// Titled by the page as it is, or as it was when it is now a redirect
    /// or gone; a 404 page's "Not found" is no name for it (the report
    /// then names the address).
    pub fn new(before: &Page, after: &Page, diff: PageDiff) -> FoundDiff {
        let title = |p: &Page| {
            p.title
                .clone()
                .filter(|_| p.status.is_none_or(|s| (200..300).contains(&s)))
        };
        FoundDiff {
            title: title(after).or_else(|| title(before)),
            diff,
        }
    }
}

/// How many new captures a run may still store (`sync --max-captures`);
/// `None`: no limit.
pub type Budget = Option<usize>;

pub async fn sync_page(
    fetcher: &Fetcher,
    archive: &Archive,
    lock: &Lock,
    page: &TrackedPage,
    diffs: &mut Vec<FoundDiff>,
    budget: &mut Budget,
) -> PageOutcome {
    let ctx = Ctx {
        fetcher,
        archive,
        lock,
    };
    sync_listed(&ctx, page, None, diffs, budget).await
}

/// What every step of a run uses.
struct Ctx<'a> {
    fetcher: &'a Fetcher,
    archive: &'a Archive,
    lock: &'a Lock,
}

/// As [`sync_page`], with the page's captures already listed (a site's
/// listing), or `None` to ask CDX for them.
async fn sync_listed(
    ctx: &Ctx<'_>,
    page: &TrackedPage,
    listed: Option<Vec<wayback::CdxRow>>,
    diffs: &mut Vec<FoundDiff>,
    budget: &mut Budget,
) -> PageOutcome {
    let mut outcome = PageOutcome {
        url: page.url.clone(),
        captures_found: 0,
        captures_new: 0,
        captures_stored: 0,
        revisits_stored: 0,
        captures_remaining: 0,
        attachments_stored: 0,
        looked_from: None,
        changes: Vec::new(),
        warnings: Vec::new(),
        error: None,
    };
    let result = run(ctx, page, listed, diffs, budget, &mut outcome).await;
    if let Err(e) = result {
        warn!(url = %page.url, "{}", chain(&e));
        outcome.error = Some(e);
    }
    outcome
}

/// Why a listed capture is passed over: `id_` answers with another
/// capture (`served`, a CDX digest) of the same second.
fn served_another(row: &wayback::CdxRow, served: &str) -> String {
    format!(
        "capture {} with digest {} skipped: the archive serves only another capture of the same second (digest {served}) at this address",
        row.timestamp, row.digest
    )
}

/// A capture the archive will never serve (excluded, not a capture, too
/// large, a redirect loop): skipped with a warning, so that one such row
/// does not hold the page back on every run.
fn unservable(e: &FetchError) -> bool {
    !matches!(e, FetchError::GaveUp { .. } | FetchError::Client { .. })
}

async fn run(
    ctx: &Ctx<'_>,
    page: &TrackedPage,
    listed: Option<Vec<wayback::CdxRow>>,
    diffs: &mut Vec<FoundDiff>,
    budget: &mut Budget,
    outcome: &mut PageOutcome,
) -> Result<(), SyncError> {
    let Ctx {
        fetcher,
        archive,
        lock,
    } = *ctx;
    let stored = archive.list(Some(&page.url)).map_err(SyncError::Archive)?;
    let cursor = stored.iter().map(|c| c.timestamp).max();
    // The payloads stored for this URL, by their CDX digest: a row with one
    // of them is a revisit, written from the row without downloading.
    let mut known: HashMap<String, CaptureRecord> = stored
        .iter()
        .filter(|c| c.record != RecordType::Revisit)
        .map(|c| (c.sha1.clone(), c.clone()))
        .collect();
    let mut previous: Option<Page> = match stored.last() {
        Some(last) => Some(archive.page(last).map_err(SyncError::Archive)?),
        None => None,
    };
    // The captures of the cursor's own second that are stored: a second
    // can hold two captures, and a run may have stopped between them.
    let at_cursor: HashSet<&str> = stored
        .iter()
        .filter(|c| Some(c.timestamp) == cursor)
        .map(|c| c.sha1.as_str())
        .collect();
    // What `id_` serves at the cursor's second, when a capture of it was
    // downloaded: the archive serves one capture per second, so another
    // digest listed there cannot be had, and asking again each run would
    // only download this one again.
    let served_at_cursor = stored
        .iter()
        .find(|c| {
            Some(c.timestamp) == cursor
                && c.kind == SourceKind::Wayback
                && c.record != RecordType::Revisit
        })
        .map(|c| c.sha1.clone());
    let from = cursor.or(page.from);
    outcome.looked_from = from;
    let rows = match listed {
        Some(rows) => rows,
        None => list_captures(fetcher, &page.url, from, page.to).await?,
    };
    let mut rows: Vec<_> = rows
        .into_iter()
        .filter(|r| match cursor {
            Some(c) => {
                r.timestamp > c || (r.timestamp == c && !at_cursor.contains(r.digest.as_str()))
            }
            None => true,
        })
        .collect();
    if let (Some(c), Some(served)) = (cursor, &served_at_cursor) {
        rows.retain(|r| {
            let out_of_reach = r.timestamp == c && !known.contains_key(&r.digest);
            if out_of_reach {
                let text = served_another(r, served);
                warn!(url = %page.url, "{text}");
                outcome.warnings.push(text);
            }
            !out_of_reach
        });
    }
    // Digests listed per second: `id_` serves one capture per second, so
    // the others of a second may be out of reach.
    let mut per_second: HashMap<Timestamp, HashSet<&str>> = HashMap::new();
    for r in &rows {
        per_second
            .entry(r.timestamp)
            .or_default()
            .insert(r.digest.as_str());
    }
    outcome.captures_found = rows.len();
    let mut unseen = HashSet::new();
    // Downloads to come: each payload not stored yet, once; each redirect.
    outcome.captures_new = rows
        .iter()
        .filter(|r| {
            r.statuscode.starts_with('3')
                || (!known.contains_key(&r.digest) && unseen.insert(r.digest.clone()))
        })
        .count();
    let total = rows.len();
    for (done, row) in rows.iter().enumerate() {
        let listed_status: Option<u16> = row.statuscode.parse().ok();
        // A redirect's meaning is in its Location, which the listing does
        // not give: it is downloaded, never written as a revisit.
        let redirect = listed_status.is_some_and(|s| (300..400).contains(&s));
        if let Some(original) = known.get(&row.digest).filter(|_| !redirect) {
            let timestamp = row.timestamp;
            let meta = StoreMeta {
                url: page.url.clone(),
                timestamp,
                kind: SourceKind::Wayback,
                original_url: Some(wayback::normalize_url(&row.original)),
            };
            // A revisit row of the archive's own (`warc/revisit`, status
            // `-`) answers as the capture it repeats.
            let (status, mime) = match listed_status {
                Some(s) if row.mimetype != "warc/revisit" => (
                    Some(s),
                    Some(row.mimetype.as_str()).filter(|m| !m.is_empty() && *m != "-"),
                ),
                _ => (original.status, None),
            };
            let result = Capture::seen_again(original, meta, status, mime)
                .and_then(|c| archive.store_batch(lock, vec![c]))
                .map_err(|source| SyncError::Store { timestamp, source })?;
            if let Some(stored) = result.into_iter().next().filter(|s| s.new) {
                outcome.revisits_stored += 1;
                let now = archive
                    .page(&stored.record)
                    .map_err(|source| SyncError::Store { timestamp, source })?;
                note_change(&mut previous, now, outcome, diffs);
            }
            continue;
        }
        // Oldest first and the cursor after the last stored: the next run
        // goes on from here.
        if *budget == Some(0) {
            outcome.captures_remaining = total - done;
            break;
        }
        let capture = match fetcher.capture(&row.original, row.timestamp).await {
            Ok(c) => c,
            Err(e) if unservable(&e) => {
                let text = format!("capture {} skipped: {}", row.timestamp, chain(&e));
                warn!(url = %page.url, "{text}");
                outcome.warnings.push(text);
                continue;
            }
            Err(source) => {
                return Err(SyncError::Capture {
                    timestamp: row.timestamp,
                    source,
                });
            }
        };
        let timestamp = capture.timestamp.unwrap_or(row.timestamp);
        let mut parsed = capture
            .page(SourceKind::Wayback, fetcher.settings())
            .map_err(|source| SyncError::Read { timestamp, source })?;
        let sha1 = crate::archive::warc::sha1_digest(&capture.body);
        let sha1 = sha1.trim_start_matches("sha1:");
        let same_second = per_second.get(&row.timestamp);
        if row.digest != sha1 && same_second.is_some_and(|d| d.len() > 1 && d.contains(sha1)) {
            // The archive served the other capture of this second.
            let text = served_another(row, sha1);
            warn!(url = %page.url, "{text}");
            outcome.warnings.push(text);
            continue;
        }
        if !row.digest.is_empty() && row.digest != sha1 {
            parsed.warnings.push(format!(
                "the CDX digest {} differs from the bytes received ({sha1}); the archive may have recompressed them",
                row.digest
            ));
        }
        let (meta, received) =
            capture.into_stored(page.url.clone(), timestamp, SourceKind::Wayback);
        let result = archive
            .store(lock, received, &parsed, meta)
            .map_err(|source| SyncError::Store { timestamp, source })?;
        if result.record.record != RecordType::Revisit {
            known.insert(result.record.sha1.clone(), result.record.clone());
        }
        if !result.new {
            continue;
        }
        outcome.captures_stored += 1;
        if let Some(left) = budget.as_mut() {
            *left = left.saturating_sub(1);
        }
        info!(url = %page.url, timestamp = %result.record.timestamp, "stored");
        if fetcher.settings().download_attachments {
            store_attachments(ctx, &parsed, timestamp, outcome).await;
        }
        if !parsed.is_compared() {
            let text = format!(
                "capture {timestamp}: the site answered HTTP {} when it was captured; stored, not compared with the captures around it",
                capture_status(&parsed)
            );
            warn!(url = %page.url, "{text}");
            outcome.warnings.push(text);
        }
        note_change(&mut previous, parsed, outcome, diffs);
    }
    Ok(())
}

/// The documents `page` links to (PDF, Word, …) that the archive does not
/// hold yet, fetched from the Wayback Machine near the page's date and
/// stored as received, unparsed. One that cannot be had is a warning.
async fn store_attachments(
    ctx: &Ctx<'_>,
    page: &Page,
    timestamp: Timestamp,
    outcome: &mut PageOutcome,
) {
    let Ctx {
        fetcher,
        archive,
        lock,
    } = *ctx;
    for link in &page.attachments {
        let url = link.href.as_str();
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            continue;
        }
        match archive.list(Some(url)) {
            Ok(stored) if stored.is_empty() => {}
            _ => continue,
        }
        let mut warn_of = |why: String| {
            let text = format!("attachment {url}: {why}");
            warn!(page = %page.url.as_deref().unwrap_or(""), "{text}");
            outcome.warnings.push(text);
        };
        let capture = match fetcher.capture(url, timestamp).await {
            Ok(c) => c,
            Err(e) => {
                warn_of(format!("not stored: {}", chain(&e)));
                continue;
            }
        };
        if !(200..300).contains(&capture.status) {
            warn_of(format!(
                "the archive's copy answered HTTP {}; not stored",
                capture.status
            ));
            continue;
        }
        let at = capture.timestamp.unwrap_or(timestamp);
        let (meta, received) = capture.into_stored(url.to_owned(), at, SourceKind::Wayback);
        match Capture::attachment(received, meta).and_then(|c| archive.store_batch(lock, vec![c])) {
            Ok(stored) if stored.iter().any(|s| s.new) => outcome.attachments_stored += 1,
            Ok(_) => {}
            Err(e) => warn_of(format!("cannot be stored: {}", chain(&e))),
        }
    }
}

fn capture_status(page: &Page) -> String {
    page.status
        .map_or_else(|| "?".to_owned(), |s| s.to_string())
}

/// A change from the previous capture's page to this one, if any, for the
/// summary and the report. Consecutive captures are compared, so a page
/// that goes back to an earlier text shows a change back. An answer that
/// says nothing about the page (an archived 429 or 503) is not compared:
/// the next capture is compared with the one before it.
fn note_change(
    previous: &mut Option<Page>,
    now: Page,
    outcome: &mut PageOutcome,
    diffs: &mut Vec<FoundDiff>,
) {
    if !now.is_compared() {
        return;
    }
    let Some(prev) = previous.replace(now) else {
        return;
    };
    let Some(now) = previous.as_ref() else {
        return;
    };
    let d = diff(&prev, now);
    if d.changed {
        outcome.changes.push(ChangeSummary {
            from: d.from.timestamp,
            to: d.to.timestamp,
            summary: d.summary.clone(),
        });
        diffs.push(FoundDiff::new(&prev, now, d));
    }
}

/// Every capture CDX lists for `url` in the range, oldest first.
pub async fn list_captures(
    fetcher: &Fetcher,
    url: &str,
    from: Option<Timestamp>,
    to: Option<Timestamp>,
) -> Result<Vec<wayback::CdxRow>, SyncError> {
    let mut rows = Vec::new();
    let query = wayback::CdxQuery {
        url,
        from,
        to,
        filters: &fetcher.settings().cdx_filter,
        prefix: false,
    };
    each_cdx_page(fetcher, &query, |page| {
        rows.extend(page);
        Ok(())
    })
    .await?;
    rows.sort_by_key(|r| r.timestamp);
    Ok(rows)
}

/// Pages through a CDX listing by resume key, handing each page's rows to
/// `on_page` as it arrives.
pub async fn each_cdx_page(
    fetcher: &Fetcher,
    query: &wayback::CdxQuery<'_>,
    mut on_page: impl FnMut(Vec<wayback::CdxRow>) -> Result<(), SyncError>,
) -> Result<(), SyncError> {
    let base = &fetcher.settings().wayback;
    let mut resume: Option<String> = None;
    loop {
        let q = wayback::cdx_url(base, query, CDX_PAGE_ROWS, resume.as_deref());
        let r = fetcher
            .get(Kind::Cdx, q.as_str())
            .await
            .map_err(SyncError::Cdx)?;
        if r.status != 200 {
            return Err(SyncError::CdxStatus {
                url: q.to_string(),
                status: r.status,
            });
        }
        let page = wayback::parse_cdx(&r.body).map_err(|source| SyncError::CdxBody {
            url: q.to_string(),
            source,
        })?;
        if page.skipped > 0 {
            warn!(url = %q, rows = page.skipped, "unreadable CDX rows skipped");
        }
        on_page(page.rows)?;
        match page.resume_key {
            Some(k) if Some(&k) != resume.as_ref() => resume = Some(k),
            _ => return Ok(()),
        }
    }
}

/// What happened to one `[[site]]`: the URLs its listing named, and each
/// page's outcome.
#[derive(Debug, Serialize)]
pub struct SiteOutcome {
    pub prefix: String,
    /// HTML pages found under the prefix (URLs the archive's key counts as one, once).
    pub urls_found: usize,
    /// Of those, left out by `include` / `exclude`.
    pub urls_excluded: usize,
    /// Pages not reached because `--max-captures` was used up.
    pub urls_not_reached: usize,
    #[serde(serialize_with = "error_text")]
    pub error: Option<SyncError>,
    #[serde(skip)]
    pub pages: Vec<PageOutcome>,
}

/// One page of a site: the URL it is archived under, and its captures.
struct SitePage {
    url: String,
    rows: Vec<wayback::CdxRow>,
}

/// Archives every HTML page under a site's prefix: one CDX listing of every
/// capture under it (paged by resume key), grouped by the archive's own key
/// (SURT: scheme, `www.`, default port and host case do not make another
/// page), each page then archived as a `[[page]]` is, from its rows. One
/// listing finds the pages and their captures alike: a CDX question per
/// page would take a 20,000-page site 14 hours at 24 a minute.
pub async fn sync_site(
    fetcher: &Fetcher,
    archive: &Archive,
    lock: &Lock,
    site: &crate::config::TrackedSite,
    diffs: &mut Vec<FoundDiff>,
    budget: &mut Budget,
) -> SiteOutcome {
    let mut outcome = SiteOutcome {
        prefix: site.prefix.clone(),
        urls_found: 0,
        urls_excluded: 0,
        urls_not_reached: 0,
        error: None,
        pages: Vec::new(),
    };
    let pages = match site_pages(fetcher, archive, site).await {
        Ok(p) => p,
        Err(e) => {
            warn!(prefix = %site.prefix, "{}", chain(&e));
            outcome.error = Some(e);
            return outcome;
        }
    };
    outcome.urls_found = pages.len();
    let (wanted, excluded): (Vec<SitePage>, Vec<SitePage>) =
        pages.into_iter().partition(|p| site.wants(&p.url));
    outcome.urls_excluded = excluded.len();
    info!(prefix = %site.prefix, pages = wanted.len(), excluded = excluded.len(), "site listed");
    let total = wanted.len();
    for (done, page) in wanted.into_iter().enumerate() {
        if *budget == Some(0) {
            outcome.urls_not_reached = total - done;
            break;
        }
        let tracked = TrackedPage {
            url: page.url,
            from: site.from,
            to: site.to,
        };
        let ctx = Ctx {
            fetcher,
            archive,
            lock,
        };
        let result = sync_listed(&ctx, &tracked, Some(page.rows), diffs, budget).await;
        outcome.pages.push(result);
    }
    outcome
}

/// The HTML pages under a site's prefix, each with its captures, in URL order.
async fn site_pages(
    fetcher: &Fetcher,
    archive: &Archive,
    site: &crate::config::TrackedSite,
) -> Result<Vec<SitePage>, SyncError> {
    let query = wayback::CdxQuery {
        url: &site.prefix,
        from: site.from,
        to: site.to,
        filters: &fetcher.settings().cdx_filter,
        prefix: true,
    };
    let mut groups: std::collections::BTreeMap<String, Vec<wayback::CdxRow>> = Default::default();
    each_cdx_page(fetcher, &query, |rows| {
        for row in rows {
            let key = crate::archive::surt::surt(&row.original);
            groups.entry(key).or_default().push(row);
        }
        Ok(())
    })
    .await?;
    let mut pages = Vec::new();
    for (_, mut rows) in groups {
        // A page: some capture of it was HTML. Images, PDFs and scripts
        // under the prefix are not pages.
        if !rows
            .iter()
            .any(|r| r.mimetype.to_ascii_lowercase().contains("html"))
        {
            continue;
        }
        rows.sort_by_key(|r| r.timestamp);
        // The form already archived, else the most frequent one.
        let mut forms: HashMap<String, usize> = HashMap::new();
        for r in &rows {
            *forms
                .entry(wayback::normalize_url(&r.original))
                .or_default() += 1;
        }
        let mut forms: Vec<(String, usize)> = forms.into_iter().collect();
        forms.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let Some((mut url, _)) = forms.first().cloned() else {
            continue;
        };
        for (form, _) in &forms {
            if !archive
                .list(Some(form))
                .map_err(SyncError::Archive)?
                .is_empty()
            {
                url.clone_from(form);
                break;
            }
        }
        pages.push(SitePage { url, rows });
    }
    pages.sort_by(|a, b| a.url.cmp(&b.url));
    Ok(pages)
}
