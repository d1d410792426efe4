//! The CDXJ index: one line per capture, `<SURT key> <timestamp> <JSON>`,
//! sorted, as pywb reads and cdxj-indexer writes it. The JSON holds the
//! fields those tools use (`url`, `mime`, `status`, `digest`, `length`,
//! `offset`, `filename`) and sidarkiv's own beside them, which they ignore.

use serde::{Deserialize, Serialize};

use super::{CaptureRecord, Location, RecordType};
use crate::model::SourceKind;
use crate::timestamp::Timestamp;

/// The JSON block of one line.
#[derive(Debug, Serialize, Deserialize)]
struct Fields {
    url: String,
    mime: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<String>,
    digest: String,
    length: String,
    offset: String,
    filename: String,
    sha256: String,
    record: RecordType,
    kind: SourceKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    original_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    content_type: Option<String>,
    stored_at: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    reconstructed: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    attachment: bool,
}

/// The index line of a record, newline included.
pub(super) fn line(r: &CaptureRecord) -> String {
    let mime = match r.record {
        RecordType::Revisit => "warc/revisit".to_owned(),
        _ => r
            .content_type
            .as_deref()
            .and_then(|c| c.split(';').next())
            .map(|c| c.trim().to_ascii_lowercase())
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| "unk".into()),
    };
    let fields = Fields {
        url: r.url.clone(),
        mime,
        status: r.status.map(|s| s.to_string()),
        digest: format!("sha1:{}", r.sha1),
        length: r.location.length.to_string(),
        offset: r.location.offset.to_string(),
        filename: r.location.filename.clone(),
        sha256: r.sha256.clone(),
        record: r.record,
        kind: r.kind,
        original_url: r.original_url.clone(),
        content_type: r.content_type.clone(),
        stored_at: r.stored_at.clone(),
        reconstructed: r.reconstructed,
        attachment: r.attachment,
    };
    // Serialising plain strings and numbers cannot fail.
    let json = serde_json::to_string(&fields).unwrap_or_default();
    format!("{} {} {json}\n", super::surt::surt(&r.url), r.timestamp)
}

/// One line read back; `Err` says why it is not one.
pub(super) fn parse(line: &str) -> Result<CaptureRecord, String> {
    let mut parts = line.splitn(3, ' ');
    let (Some(_key), Some(ts), Some(json)) = (parts.next(), parts.next(), parts.next()) else {
        return Err("not `<key> <timestamp> <json>`".into());
    };
    let timestamp = Timestamp::parse(ts).map_err(|e| e.to_string())?;
    let f: Fields = serde_json::from_str(json).map_err(|e| e.to_string())?;
    let number = |s: &str, what: &str| {
        s.parse::<u64>()
            .map_err(|_| format!("{what} {s:?} is not a number"))
    };
    Ok(CaptureRecord {
        url: f.url,
        timestamp,
        sha1: f
            .digest
            .strip_prefix("sha1:")
            .unwrap_or(&f.digest)
            .to_owned(),
        sha256: f.sha256,
        kind: f.kind,
        original_url: f.original_url,
        status: f.status.and_then(|s| s.parse().ok()),
        content_type: f.content_type,
        stored_at: f.stored_at,
        record: f.record,
        location: Location {
            offset: number(&f.offset, "offset")?,
            length: number(&f.length, "length")?,
            filename: f.filename,
        },
        reconstructed: f.reconstructed,
        attachment: f.attachment,
    })
}
