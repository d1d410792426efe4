//! `reparse`: every capture's page JSON read again from its record, after
//! the extractor improved. The page names the record's payload, as at import.

use std::time::Duration;

use super::{Archive, ArchiveError, Lock, RecordType};
use crate::{ParseOptions, parse_page};

/// What a reparse did: pages rewritten, and `URL@TIMESTAMP: why` of each
/// that could not be.
#[derive(Debug, Default)]
pub struct Reparsed {
    pub done: usize,
    pub failed: Vec<String>,
}

/// How a stored capture is parsed again: as it was at import or download.
pub fn parse_options(
    record: &super::CaptureRecord,
    budget: Duration,
    redirect: Option<String>,
) -> ParseOptions {
    ParseOptions {
        url: record
            .original_url
            .clone()
            .or_else(|| Some(record.url.clone())),
        charset: record
            .content_type
            .as_deref()
            .and_then(crate::fetch::charset_of),
        kind: record.kind,
        timestamp: Some(record.timestamp),
        budget: Some(budget),
        status: record.status,
        redirect,
    }
}

impl Archive {
    /// Rewrites every capture's page JSON; `budget` bounds each parse.
    /// `Err` only when the archive cannot be listed.
    pub fn reparse(&self, lock: &Lock, budget: Duration) -> Result<Reparsed, ArchiveError> {
        let mut out = Reparsed::default();
        // A revisit shares its original's page JSON.
        for record in self
            .list(None)?
            .iter()
            .filter(|r| r.record != RecordType::Revisit && !r.attachment)
        {
            let result = self.raw(record).map_err(|e| e.to_string()).and_then(|raw| {
                // A redirect's target and a crawler's cut are in the
                // record's head, which the page JSON already read.
                let before = self.page(record).ok();
                let redirect = before.as_ref().and_then(|p| p.content.redirect.clone());
                let opts = parse_options(record, budget, redirect);
                let mut page = parse_page(&raw, &opts).map_err(|e| e.to_string())?;
                page.warnings.extend(
                    before
                        .into_iter()
                        .flat_map(|p| p.warnings)
                        .filter(|w| w.starts_with(crate::parse::CUT_SHORT)),
                );
                // Parsed from the decoded body; it names the bytes received.
                page.source.sha256.clone_from(&record.sha256);
                page.source.sha1.clone_from(&record.sha1);
                self.rewrite_page(lock, record, &page)
                    .map_err(|e| crate::error::chain(&e))
            });
            match result {
                Ok(()) => out.done += 1,
                Err(e) => out
                    .failed
                    .push(format!("{}@{}: {e}", record.url, record.timestamp)),
            }
        }
        Ok(out)
    }
}
