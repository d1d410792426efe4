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

use crate::archive::{
    Archive, ArchiveError, Capture, CaptureRecord, Lock, Received, RecordType, StoreMeta,
};
use crate::config::TrackedPage;
use crate::diff::{PageDiff, Summary, diff};
use crate::error::chain;
use crate::fetch::{FetchError, Fetcher, Kind};
use crate::model::Page;
use crate::model::SourceKind;
use crate::timestamp::Timestamp;
use crate::wayback::WaybackError;
use crate::{ParseError, ParseOptions, parse_page, wayback};

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
    #[error("capture {timestamp}: {reason}")]
    Body {
        timestamp: Timestamp,
        reason: String,
    },
    #[error("capture {timestamp} cannot be parsed")]
    Parse {
        timestamp: Timestamp,
        #[source]
        source: ParseError,
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
    let mut outcome = PageOutcome {
        url: page.url.clone(),
        captures_found: 0,
        captures_new: 0,
        captures_stored: 0,
        revisits_stored: 0,
        captures_remaining: 0,
        changes: Vec::new(),
        warnings: Vec::new(),
        error: None,
    };
    if let Err(e) = run(fetcher, archive, lock, page, diffs, budget, &mut outcome).await {
        warn!(url = %page.url, "{}", chain(&e));
        outcome.error = Some(e);
    }
    outcome
}

/// A capture the archive will never serve (excluded, not a capture, too
/// large, a redirect loop): skipped with a warning, so that one such row
/// does not hold the page back on every run.
fn unservable(e: &FetchError) -> bool {
    !matches!(e, FetchError::GaveUp { .. } | FetchError::Client { .. })
}

async fn run(
    fetcher: &Fetcher,
    archive: &Archive,
    lock: &Lock,
    page: &TrackedPage,
    diffs: &mut Vec<FoundDiff>,
    budget: &mut Budget,
    outcome: &mut PageOutcome,
) -> Result<(), SyncError> {
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
    let from = cursor.or(page.from);
    let rows = list_captures(fetcher, &page.url, from, page.to).await?;
    let rows: Vec<_> = rows
        .into_iter()
        .filter(|r| cursor.as_ref().is_none_or(|c| &r.timestamp > c))
        .collect();
    outcome.captures_found = rows.len();
    let mut unseen = HashSet::new();
    outcome.captures_new = rows
        .iter()
        .filter(|r| !known.contains_key(&r.digest) && unseen.insert(r.digest.clone()))
        .count();
    let total = rows.len();
    for (done, row) in rows.into_iter().enumerate() {
        if let Some(original) = known.get(&row.digest) {
            let timestamp = row.timestamp;
            let meta = StoreMeta {
                url: page.url.clone(),
                timestamp,
                kind: SourceKind::Wayback,
                original_url: Some(wayback::normalize_url(&row.original)),
            };
            let mime = Some(row.mimetype.as_str()).filter(|m| !m.is_empty() && *m != "-");
            let result = Capture::seen_again(original, meta, row.statuscode.parse().ok(), mime)
                .and_then(|c| archive.store_batch(lock, vec![c]))
                .map_err(|source| SyncError::Store { timestamp, source })?;
            if let Some(stored) = result.into_iter().next().filter(|s| s.new) {
                outcome.revisits_stored += 1;
                let now = archive
                    .page(&stored.record)
                    .map_err(|source| SyncError::Store { timestamp, source })?;
                note_change(previous.as_ref(), &now, outcome, diffs);
                previous = Some(now);
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
        let opts = ParseOptions {
            url: Some(capture.original_url.clone()),
            charset: capture.charset.clone(),
            kind: SourceKind::Wayback,
            timestamp: Some(timestamp),
            budget: Some(fetcher.settings().page_time_budget),
            status: Some(capture.status),
            redirect: None,
        };
        let body = capture
            .decoded_body(fetcher.settings().max_body_bytes)
            .map_err(|reason| SyncError::Body { timestamp, reason })?;
        let mut parsed =
            parse_page(&body, &opts).map_err(|source| SyncError::Parse { timestamp, source })?;
        let sha1 = crate::archive::warc::sha1_digest(&capture.body);
        let sha1 = sha1.trim_start_matches("sha1:");
        if !row.digest.is_empty() && row.digest != sha1 {
            parsed.warnings.push(format!(
                "the CDX digest {} differs from the bytes received ({sha1}); the archive may have recompressed them",
                row.digest
            ));
        }
        if capture.status != 200 {
            parsed.warnings.push(format!(
                "the page answered with HTTP status {} when it was captured",
                capture.status
            ));
        }
        let meta = StoreMeta {
            url: page.url.clone(),
            timestamp,
            kind: SourceKind::Wayback,
            original_url: Some(capture.original_url.clone()),
        };
        let received = Received::Http {
            status_line: capture.status_line,
            headers: capture.headers,
            body: capture.body,
        };
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
        note_change(previous.as_ref(), &parsed, outcome, diffs);
        previous = Some(parsed);
    }
    Ok(())
}

/// A change from the previous capture's page to this one, if any, for the
/// summary and the report. Consecutive captures are compared, so a page
/// that goes back to an earlier text shows a change back.
fn note_change(
    previous: Option<&Page>,
    now: &Page,
    outcome: &mut PageOutcome,
    diffs: &mut Vec<FoundDiff>,
) {
    let Some(prev) = previous else {
        return;
    };
    let d = diff(prev, now);
    if d.changed {
        outcome.changes.push(ChangeSummary {
            from: d.from.timestamp,
            to: d.to.timestamp,
            summary: d.summary.clone(),
        });
        diffs.push(FoundDiff {
            title: now.title.clone().or_else(|| prev.title.clone()),
            diff: d,
        });
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
        every: false,
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
