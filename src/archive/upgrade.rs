//! `upgrade`: an archive in the layout before WARC segments (raw bodies in
//! `objects/<aa>/<sha256>`, an index `captures.json` per URL) becomes one in
//! today's. Each body becomes a record: a `resource` for a local file, a
//! `response` with a rebuilt status line and Content-Type otherwise, marked
//! as reconstructed since its original headers were never kept. The page
//! JSON, unchanged, moves from its URL's folder to its host's. The old
//! files go only once every capture is stored and listed; a capture that
//! cannot be read keeps them all.

use serde::Deserialize;
use std::fs;
use std::path::{Path, PathBuf};

use super::{Archive, ArchiveError, Capture, Received, StoreMeta, io};
use crate::model::{Page, SourceKind};
use crate::timestamp::Timestamp;

/// Whether `root` holds an archive in the old layout.
pub fn is_old_layout(root: &Path) -> bool {
    root.join("objects").is_dir()
}

#[derive(Deserialize)]
struct OldIndex {
    captures: Vec<OldRecord>,
}

#[derive(Deserialize)]
struct OldRecord {
    url: String,
    timestamp: Timestamp,
    sha256: String,
    kind: SourceKind,
    original_url: Option<String>,
    status: u16,
    content_type: Option<String>,
}

/// What an upgrade did.
#[derive(Debug, Default, serde::Serialize)]
pub struct Upgraded {
    pub captures: usize,
    pub responses: usize,
    pub resources: usize,
    pub revisits: usize,
}

/// Converts the archive at `root`; `Ok` with nothing done when it is
/// already in today's layout.
pub fn upgrade(root: &Path) -> Result<Upgraded, ArchiveError> {
    let mut done = Upgraded::default();
    if !is_old_layout(root) {
        return Ok(done);
    }
    let archive = Archive::open_any(root)?;
    let lock = archive.lock()?;
    let mut indexes: Vec<PathBuf> = Vec::new();
    let mut old_pages: Vec<PathBuf> = Vec::new();
    let pages = root.join("pages");
    for entry in walkdir::WalkDir::new(&pages).min_depth(3).max_depth(3) {
        let entry = entry.map_err(|e| ArchiveError::Io {
            path: pages.clone(),
            source: e.into(),
        })?;
        if entry.file_name() == "captures.json" {
            indexes.push(entry.into_path());
        }
    }
    indexes.sort();
    for index_path in &indexes {
        let bytes = fs::read(index_path).map_err(io(index_path))?;
        let index: OldIndex =
            serde_json::from_slice(&bytes).map_err(|e| ArchiveError::Damaged {
                path: index_path.clone(),
                reason: e.to_string(),
            })?;
        let mut batch = Vec::new();
        for old in index.captures {
            old_pages.push(old_page_path(root, &old));
            batch.push(convert(root, old)?);
        }
        for stored in archive.store_batch(&lock, batch)? {
            done.captures += 1;
            match stored.record.record {
                super::RecordType::Response => done.responses += 1,
                super::RecordType::Resource => done.resources += 1,
                super::RecordType::Revisit => done.revisits += 1,
            }
        }
    }
    drop(lock);
    archive.finish()?;
    // Every capture is in a segment and listed: the old files can go.
    for index_path in &indexes {
        fs::remove_file(index_path).map_err(io(index_path))?;
    }
    // The page JSON is now beside the others in its host's folder.
    for page in &old_pages {
        fs::remove_file(page).map_err(io(page))?;
    }
    for index_path in &indexes {
        if let Some(dir) = index_path.parent() {
            let _ = fs::remove_dir(dir);
        }
    }
    let objects = root.join("objects");
    fs::remove_dir_all(&objects).map_err(io(&objects))?;
    Ok(done)
}

/// Where the old layout kept a capture's page JSON: a folder per URL.
fn old_page_path(root: &Path, old: &OldRecord) -> PathBuf {
    let (host, slug) = super::url_key(&old.url);
    let name = format!(
        "{}-{}.json",
        old.timestamp,
        old.sha256.get(..12).unwrap_or(&old.sha256)
    );
    root.join("pages").join(host).join(slug).join(name)
}

fn convert(root: &Path, old: OldRecord) -> Result<Capture, ArchiveError> {
    // The digest names a file: it must be one, not a path.
    if old.sha256.len() != 64 || !old.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ArchiveError::Damaged {
            path: root.join("pages"),
            reason: format!("{:?} is not a sha256", old.sha256),
        });
    }
    let object = root
        .join("objects")
        .join(old.sha256.get(..2).unwrap_or("00"))
        .join(&old.sha256);
    let body = fs::read(&object).map_err(io(&object))?;
    let page_path = old_page_path(root, &old);
    let page_bytes = fs::read(&page_path).map_err(io(&page_path))?;
    let mut page: Page =
        serde_json::from_slice(&page_bytes).map_err(|e| ArchiveError::Damaged {
            path: page_path.clone(),
            reason: e.to_string(),
        })?;
    // The page JSON of that layout had no status; its index did.
    if old.kind != SourceKind::File {
        page.status = Some(old.status);
    }
    let received = if old.kind == SourceKind::File {
        Received::Document {
            content_type: old.content_type.unwrap_or_else(|| "text/html".into()),
            body,
        }
    } else {
        let reason = reqwest::StatusCode::from_u16(old.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("");
        let mut headers = Vec::new();
        if let Some(ct) = old.content_type {
            headers.push(("Content-Type".to_owned(), ct));
        }
        headers.push(("Content-Length".to_owned(), body.len().to_string()));
        Received::Http {
            status_line: format!("HTTP/1.1 {} {reason}", old.status),
            headers,
            body,
        }
    };
    let meta = StoreMeta {
        url: old.url,
        timestamp: old.timestamp,
        kind: old.kind,
        original_url: old.original_url,
    };
    let capture = Capture::new(received, &page, meta)?.reconstructed();
    if capture.sha256() != old.sha256 {
        return Err(ArchiveError::Damaged {
            path: object,
            reason: format!("content hashes to {}", capture.sha256()),
        });
    }
    Ok(capture)
}
