//! `export --warc`: the archive as one WARC file. Each capture's record is
//! copied byte for byte (its digests stay the source's); each page JSON
//! follows as a `metadata` record about a `urn:sidarkiv:page:` URI, so that
//! indexers and replay tools never take it for the page.

use std::io::Write;

use super::{Archive, ArchiveError, RecordType, io, warc};

/// What an export wrote.
#[derive(Debug, Default, serde::Serialize)]
pub struct Exported {
    pub captures: usize,
    pub revisits: usize,
    pub pages: usize,
}

impl Archive {
    /// Writes every capture, URL by URL and oldest first, to `out`; each
    /// record its own gzip member with `gzip`. `filename` goes into the
    /// `warcinfo` record.
    pub fn export_warc(
        &self,
        out: &mut impl Write,
        gzip: bool,
        filename: &str,
    ) -> Result<Exported, ArchiveError> {
        let records = self.list(None)?;
        let failed = |e: std::io::Error| io(std::path::Path::new(filename))(e);
        let info = format!(
            "software: sidarkiv/{}\r\nformat: WARC File Format 1.1\r\nconformsTo: https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/\r\ncaptures: {}\r\n",
            env!("CARGO_PKG_VERSION"),
            records.len()
        );
        warc::write_record(
            out,
            &[
                ("WARC-Type", "warcinfo".into()),
                ("WARC-Record-ID", warc::record_id(info.as_bytes())),
                ("WARC-Date", crate::Timestamp::now().iso()),
                ("WARC-Filename", filename.to_owned()),
                ("Content-Type", "application/warc-fields".into()),
            ],
            info.as_bytes(),
            gzip,
        )
        .map_err(failed)?;
        let mut done = Exported::default();
        for record in &records {
            let bytes = self.record_bytes(record)?;
            if gzip {
                let mut gz = flate2::write::GzEncoder::new(&mut *out, warc::LEVEL);
                gz.write_all(&bytes)
                    .and_then(|()| gz.finish().map(drop))
                    .map_err(failed)?;
            } else {
                out.write_all(&bytes).map_err(failed)?;
            }
            done.captures += 1;
            if record.record == RecordType::Revisit {
                done.revisits += 1;
                continue;
            }
            // A document a page links to has no page JSON to describe.
            if record.attachment {
                continue;
            }
            let id = self
                .record(record)?
                .headers
                .into_iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("WARC-Record-ID"))
                .map(|(_, v)| v);
            let mut json = serde_json::to_vec_pretty(&self.page(record)?).map_err(|e| {
                ArchiveError::Damaged {
                    path: self.page_path(&record.url, &record.timestamp, &record.sha256),
                    reason: e.to_string(),
                }
            })?;
            json.push(b'\n');
            let about = format!("urn:sidarkiv:page:{}:{}", record.timestamp, record.sha256);
            let mut fields = vec![
                ("WARC-Type", "metadata".to_owned()),
                ("WARC-Record-ID", warc::record_id(about.as_bytes())),
                ("WARC-Date", record.timestamp.iso()),
                ("WARC-Target-URI", about),
                ("Content-Type", "application/json".to_owned()),
                ("WARC-Block-Digest", warc::sha1_digest(&json)),
            ];
            if let Some(id) = id {
                fields.push(("WARC-Refers-To", id));
            }
            warc::write_record(out, &fields, &json, gzip).map_err(failed)?;
            done.pages += 1;
        }
        Ok(done)
    }
}
