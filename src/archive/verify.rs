//! `verify`: every index line is checked against the segment it names —
//! the record is there, whole, of the URL the line says, its block and
//! payload digests hold — and each capture's page JSON is there, reads as a
//! page, and names the same payload. Nothing is written.

use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{Archive, ArchiveError, CaptureRecord, RecordType, index, segment};
use crate::model::Page;
use crate::timestamp::Timestamp;

/// What is wrong with one stored thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// An index line that cannot be read as one.
    DamagedIndex,
    /// The segment an index line names is gone.
    MissingSegment,
    /// A record that is cut short, does not inflate, is of another URL or
    /// whose bytes no longer match their digests.
    DamagedRecord,
    /// A capture's page JSON is gone.
    MissingPage,
    /// A capture's page JSON does not read as a page.
    DamagedPage,
    /// The page JSON was made from other bytes than the capture's.
    PageMismatch,
    /// A file that could not be read at all (permissions, I/O).
    Unreadable,
    /// Not damage: a damaged record of a capture that a later good copy
    /// (a re-import, a re-fetch) replaces.
    Superseded,
}

/// One problem, naming the file and, where known, the capture.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub problem: ProblemKind,
    pub path: PathBuf,
    pub url: Option<String>,
    pub timestamp: Option<Timestamp>,
    pub sha256: Option<String>,
    pub detail: String,
}

/// What a run of [`Archive::verify`] found.
#[derive(Debug, Default)]
pub struct Report {
    pub captures: usize,
    pub problems: Vec<Problem>,
}

impl Report {
    /// Whether anything is damaged (a superseded record is not).
    pub fn damaged(&self) -> bool {
        self.problems
            .iter()
            .any(|p| p.problem != ProblemKind::Superseded)
    }
}

impl Archive {
    /// Checks every index line. `Err` only when the archive itself cannot
    /// be walked; every damage found is a [`Problem`].
    pub fn verify(&self) -> Result<Report, ArchiveError> {
        let mut report = Report::default();
        let mut records: Vec<CaptureRecord> = Vec::new();
        for path in segment::index_files(self.root())? {
            let lines = match super::index_lines(&path) {
                Ok(l) => l,
                Err(e) => {
                    report.problems.push(bare(
                        ProblemKind::Unreadable,
                        &path,
                        crate::error::chain(&e),
                    ));
                    continue;
                }
            };
            for (n, line) in lines.iter().enumerate() {
                match index::parse(line) {
                    Ok(r) => records.push(r),
                    Err(reason) => report.problems.push(bare(
                        ProblemKind::DamagedIndex,
                        &path,
                        format!("line {}: {reason}", n + 1),
                    )),
                }
            }
        }
        // The records of one capture, oldest stored first: all but a good
        // last one are superseded when they are damaged.
        let mut groups: HashMap<(String, Timestamp, String, RecordType), Vec<CaptureRecord>> =
            HashMap::new();
        for r in records {
            groups
                .entry((r.url.clone(), r.timestamp, r.sha256.clone(), r.record))
                .or_default()
                .push(r);
        }
        let mut keys: Vec<_> = groups.keys().cloned().collect();
        keys.sort();
        for key in keys {
            let Some(mut group) = groups.remove(&key) else {
                continue;
            };
            super::order_stored(&mut group);
            report.captures += 1;
            let outcomes: Vec<Vec<Problem>> = group.iter().map(|r| self.check_record(r)).collect();
            let good = outcomes.iter().rposition(Vec::is_empty);
            for (i, problems) in outcomes.into_iter().enumerate() {
                match good {
                    Some(g) if i < g => {
                        report.problems.extend(problems.into_iter().map(|mut p| {
                            p.detail = format!("{} (a later copy replaces it)", p.detail);
                            p.problem = ProblemKind::Superseded;
                            p
                        }))
                    }
                    _ => report.problems.extend(problems),
                }
            }
            if let Some(last) = group.last()
                && last.record != RecordType::Revisit
                && !last.attachment
            {
                report.problems.extend(self.check_page(last));
            }
        }
        Ok(report)
    }

    fn check_record(&self, record: &CaptureRecord) -> Vec<Problem> {
        let path = segment::warcs(self.root()).join(&record.location.filename);
        let kind_of = |e: &ArchiveError| match e {
            ArchiveError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                ProblemKind::MissingSegment
            }
            ArchiveError::Io { .. } => ProblemKind::Unreadable,
            _ => ProblemKind::DamagedRecord,
        };
        // Read once: a record holding a payload with its payload checked.
        let read = match record.record {
            RecordType::Revisit => self.record(record),
            _ => self.checked(record).map(|(rec, _)| rec),
        };
        let rec = match read {
            Ok(r) => r,
            Err(e) => return vec![about(record, kind_of(&e), &path, crate::error::chain(&e))],
        };
        if let Some(declared) = rec
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("WARC-Block-Digest"))
            .map(|(_, v)| v.as_str())
            && let Some(actual) = block_digest(declared, &rec.block)
            && !declared.eq_ignore_ascii_case(&actual)
        {
            return vec![about(
                record,
                ProblemKind::DamagedRecord,
                &path,
                format!(
                    "the record at offset {} has block digest {actual}, its header says {declared}",
                    record.location.offset
                ),
            )];
        }
        if record.record == RecordType::Revisit
            && let Err(e) = self.original(record)
        {
            return vec![about(record, kind_of(&e), &path, crate::error::chain(&e))];
        }
        Vec::new()
    }

    fn check_page(&self, record: &CaptureRecord) -> Vec<Problem> {
        let page_path = self.page_path(&record.url, &record.timestamp, &record.sha256);
        let problem = |kind, detail: String| about(record, kind, &page_path, detail);
        match std::fs::read(&page_path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => vec![problem(
                ProblemKind::MissingPage,
                "the page JSON of this capture is gone (`sidarkiv reparse` rebuilds it from the record)".into(),
            )],
            Err(e) => vec![problem(ProblemKind::Unreadable, e.to_string())],
            Ok(bytes) => match serde_json::from_slice::<Page>(&bytes) {
                Err(e) => vec![problem(ProblemKind::DamagedPage, e.to_string())],
                Ok(page) if page.source.sha256 != record.sha256 => vec![problem(
                    ProblemKind::PageMismatch,
                    format!("the page JSON was read from other bytes ({})", page.source.sha256),
                )],
                Ok(_) => Vec::new(),
            },
        }
    }
}

/// The block's digest in the algorithm and encoding `declared` uses
/// (`sha1:` base32, `sha256:` hex or base32); None for one we do not know.
fn block_digest(declared: &str, block: &[u8]) -> Option<String> {
    use sha1::Digest as _;
    let (algo, value) = declared.split_once(':')?;
    match algo.to_ascii_lowercase().as_str() {
        "sha1" => Some(format!(
            "{algo}:{}",
            data_encoding::BASE32.encode(&sha1::Sha1::digest(block))
        )),
        "sha256" => {
            let d = sha2::Sha256::digest(block);
            let encoded = if value.len() == 64 {
                data_encoding::HEXLOWER.encode(&d)
            } else {
                data_encoding::BASE32.encode(&d)
            };
            Some(format!("{algo}:{encoded}"))
        }
        _ => None,
    }
}

fn about(record: &CaptureRecord, kind: ProblemKind, path: &Path, detail: String) -> Problem {
    Problem {
        problem: kind,
        path: path.to_path_buf(),
        url: Some(record.url.clone()),
        timestamp: Some(record.timestamp),
        sha256: Some(record.sha256.clone()),
        detail,
    }
}

fn bare(kind: ProblemKind, path: &Path, detail: String) -> Problem {
    Problem {
        problem: kind,
        path: path.to_path_buf(),
        url: None,
        timestamp: None,
        sha256: None,
        detail,
    }
}
