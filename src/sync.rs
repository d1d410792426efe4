//! The scheduled job for one tracked page: ask CDX for captures newer than the
//! newest one stored (the cursor), download them oldest first, store them,
//! parse them, diff each against the capture before it.
//!
//! Idempotent: the cursor and the per-URL digests mean a second run fetches
//! nothing. Resumable: captures are stored one by one, oldest first, and a
//! page stops at its first failed capture, so the cursor never passes a
//! capture that was not stored and the next run picks up exactly there.

use data_encoding::BASE32;
use serde::Serialize;
use sha1::{Digest, Sha1};
use std::collections::HashSet;
use tracing::{info, warn};

use crate::archive::{Archive, Lock, StoreMeta};
use crate::config::PageConfig;
use crate::diff::{PageDiff, Summary, diff};
use crate::fetch::{Fetcher, Kind};
use crate::model::Page;
use crate::{ParseOptions, parse_page, wayback};

/// CDX rows asked for per request; more come through resume keys.
pub const CDX_PAGE_ROWS: usize = 1000;

/// What happened to one tracked page.
#[derive(Debug, Clone, Serialize)]
pub struct PageOutcome {
    pub url: String,
    /// Distinct captures (by digest) CDX listed after the cursor.
    pub captures_found: usize,
    /// Of those, the ones not stored yet.
    pub captures_new: usize,
    pub captures_stored: usize,
    pub changes: Vec<ChangeSummary>,
    /// Why the page stopped early, if it did.
    pub error: Option<String>,
}

/// One diff between consecutive captures, in brief.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeSummary {
    pub from: Option<String>,
    pub to: Option<String>,
    pub summary: Summary,
}

/// A diff found in this run, with the page's title, for the report.
pub struct FoundDiff {
    pub title: Option<String>,
    pub diff: PageDiff,
}

pub async fn sync_page(
    fetcher: &Fetcher,
    archive: &Archive,
    lock: &Lock,
    page: &PageConfig,
    diffs: &mut Vec<FoundDiff>,
) -> PageOutcome {
    let mut outcome = PageOutcome {
        url: page.url.clone(),
        captures_found: 0,
        captures_new: 0,
        captures_stored: 0,
        changes: Vec::new(),
        error: None,
    };
    if let Err(e) = run(fetcher, archive, lock, page, diffs, &mut outcome).await {
        warn!(url = %page.url, "{e}");
        outcome.error = Some(e);
    }
    outcome
}

async fn run(
    fetcher: &Fetcher,
    archive: &Archive,
    lock: &Lock,
    page: &PageConfig,
    diffs: &mut Vec<FoundDiff>,
    outcome: &mut PageOutcome,
) -> Result<(), String> {
    let stored = archive.list(Some(&page.url)).map_err(|e| e.to_string())?;
    let cursor = stored.iter().map(|c| c.timestamp.clone()).max();
    let mut known: HashSet<String> = stored.iter().map(|c| c.sha1.clone()).collect();
    let mut previous: Option<Page> = match stored.last() {
        Some(last) => Some(archive.page(last).map_err(|e| e.to_string())?),
        None => None,
    };
    let from = match (&cursor, &page.from) {
        (Some(c), _) => Some(c.clone()),
        (None, f) => f.clone(),
    };
    let rows = list_captures(fetcher, &page.url, from.as_deref(), page.to.as_deref()).await?;
    let mut seen = HashSet::new();
    let rows: Vec<_> = rows
        .into_iter()
        .filter(|r| cursor.as_ref().is_none_or(|c| &r.timestamp > c))
        .filter(|r| seen.insert(r.digest.clone()))
        .collect();
    outcome.captures_found = rows.len();
    let rows: Vec<_> = rows
        .into_iter()
        .filter(|r| !known.contains(&r.digest))
        .collect();
    outcome.captures_new = rows.len();
    for row in rows {
        let capture = fetcher
            .capture(&row.original, &row.timestamp)
            .await
            .map_err(|e| format!("capture {}: {e}", row.timestamp))?;
        let timestamp = capture
            .timestamp
            .clone()
            .unwrap_or_else(|| row.timestamp.clone());
        let opts = ParseOptions {
            url: Some(capture.original_url.clone()),
            charset: capture.charset.clone(),
            kind: "wayback".into(),
            timestamp: Some(timestamp.clone()),
            budget: Some(fetcher.settings().page_time_budget),
        };
        let mut parsed =
            parse_page(&capture.body, &opts).map_err(|e| format!("capture {timestamp}: {e}"))?;
        let sha1 = BASE32.encode(&Sha1::digest(&capture.body));
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
            kind: "wayback".into(),
            original_url: Some(capture.original_url.clone()),
            status: capture.status,
            content_type: capture.content_type.clone(),
        };
        let result = archive
            .store(lock, &capture.body, &parsed, meta)
            .map_err(|e| e.to_string())?;
        known.insert(sha1);
        if !result.new {
            continue;
        }
        outcome.captures_stored += 1;
        info!(url = %page.url, timestamp = %result.record.timestamp, "stored");
        if let Some(prev) = &previous {
            let d = diff(prev, &parsed);
            if d.changed {
                outcome.changes.push(ChangeSummary {
                    from: d.from.timestamp.clone(),
                    to: d.to.timestamp.clone(),
                    summary: d.summary.clone(),
                });
                diffs.push(FoundDiff {
                    title: parsed.title.clone().or_else(|| prev.title.clone()),
                    diff: d,
                });
            }
        }
        previous = Some(parsed);
    }
    Ok(())
}

/// Every capture CDX lists for `url` in the range, oldest first.
pub async fn list_captures(
    fetcher: &Fetcher,
    url: &str,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<Vec<wayback::CdxRow>, String> {
    let mut rows = Vec::new();
    each_cdx_page(fetcher, url, from, to, |page| {
        rows.extend(page);
        Ok(())
    })
    .await?;
    rows.sort_by(|a, b| a.timestamp.cmp(&b.timestamp));
    Ok(rows)
}

/// Pages through a CDX listing by resume key, handing each page's rows to
/// `on_page` as it arrives.
pub async fn each_cdx_page(
    fetcher: &Fetcher,
    url: &str,
    from: Option<&str>,
    to: Option<&str>,
    mut on_page: impl FnMut(Vec<wayback::CdxRow>) -> Result<(), String>,
) -> Result<(), String> {
    let base = &fetcher.settings().wayback;
    let mut resume: Option<String> = None;
    loop {
        let q = wayback::cdx_url(base, url, from, to, CDX_PAGE_ROWS, resume.as_deref());
        let r = fetcher
            .get(Kind::Cdx, q.as_str())
            .await
            .map_err(|e| format!("CDX: {e}"))?;
        if r.status != 200 {
            return Err(format!("CDX: {q} answered {}", r.status));
        }
        let page = wayback::parse_cdx(&r.body).map_err(|e| format!("CDX: {q}: {e}"))?;
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
