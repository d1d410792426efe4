//! `verify`: every capture the index lists is checked against what is
//! stored for it — the raw bytes hash to their address, the page JSON is
//! there, reads as a page, and names the same bytes. Nothing is written.

use serde::Serialize;
use std::path::{Path, PathBuf};

use super::{Archive, ArchiveError, CaptureRecord};
use crate::model::Page;
use crate::timestamp::Timestamp;

/// What is wrong with one stored thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// An index file that cannot be read as one.
    DamagedIndex,
    /// A capture's raw bytes are gone.
    MissingObject,
    /// A capture's raw bytes no longer hash to their address.
    DamagedObject,
    /// A capture's page JSON is gone.
    MissingPage,
    /// A capture's page JSON does not read as a page.
    DamagedPage,
    /// The page JSON was made from other bytes than the capture's.
    PageMismatch,
    /// A file that could not be read at all (permissions, I/O).
    Unreadable,
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

impl Archive {
    /// Checks every listed capture. `Err` only when the archive itself
    /// cannot be walked; every damage found is a [`Problem`].
    pub fn verify(&self) -> Result<Report, ArchiveError> {
        let mut report = Report::default();
        for index in self.index_files()? {
            match self.read_index(&index) {
                Ok(Some(i)) => {
                    for record in &i.captures {
                        report.captures += 1;
                        report.problems.extend(self.check(record));
                    }
                }
                Ok(None) => {}
                Err(e) => report.problems.push(Problem {
                    problem: ProblemKind::DamagedIndex,
                    path: index.clone(),
                    url: None,
                    timestamp: None,
                    sha256: None,
                    detail: crate::error::chain(&e),
                }),
            }
        }
        Ok(report)
    }

    fn check(&self, record: &CaptureRecord) -> Vec<Problem> {
        let problem = |kind, path: &Path, detail: String| Problem {
            problem: kind,
            path: path.to_path_buf(),
            url: Some(record.url.clone()),
            timestamp: Some(record.timestamp),
            sha256: Some(record.sha256.clone()),
            detail,
        };
        let mut out = Vec::new();
        let object = self.object_path(&record.sha256);
        match self.raw(record) {
            Ok(_) => {}
            Err(ArchiveError::Io { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                out.push(problem(
                    ProblemKind::MissingObject,
                    &object,
                    "the raw bytes of this capture are gone".into(),
                ));
            }
            Err(ArchiveError::Damaged { reason, .. }) => {
                out.push(problem(ProblemKind::DamagedObject, &object, reason));
            }
            Err(e) => out.push(problem(
                ProblemKind::Unreadable,
                &object,
                crate::error::chain(&e),
            )),
        }
        let page_path = self.page_path(&record.url, &record.timestamp, &record.sha256);
        match std::fs::read(&page_path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => out.push(problem(
                ProblemKind::MissingPage,
                &page_path,
                "the page JSON of this capture is gone (`sidarkiv reparse` rebuilds it from the raw bytes)".into(),
            )),
            Err(e) => out.push(problem(ProblemKind::Unreadable, &page_path, e.to_string())),
            Ok(bytes) => match serde_json::from_slice::<Page>(&bytes) {
                Err(e) => out.push(problem(ProblemKind::DamagedPage, &page_path, e.to_string())),
                Ok(page) if page.source.sha256 != record.sha256 => out.push(problem(
                    ProblemKind::PageMismatch,
                    &page_path,
                    format!("the page JSON was read from other bytes ({})", page.source.sha256),
                )),
                Ok(_) => {}
            },
        }
        out
    }
}
