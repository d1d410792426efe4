//! ARC, the Internet Archive's format before WARC (old crawls are full of
//! it), read as WARC records: each ARC record becomes the `response` (or
//! `resource`) record warcio's `arc2warc` would make, its block byte for
//! byte, so that the rest of the import sees one format.
//!
//! Written by hand for the same reason as the WARC reader: no maintained
//! Rust crate reads ARC. The layout is a header line (`URL IP-address
//! Archive-date Content-type Archive-length`, version 1; version 2 lines
//! have ten fields and the length last), then that many bytes, then a
//! newline. The first record (`filedesc://…`) describes the file.

use std::io::{self, BufRead, BufReader, Read};

use super::warc::{self, Record};
use crate::timestamp::Timestamp;

const MAX_LINE: u64 = 64 * 1024;

/// Reads ARC records one at a time as WARC records; `.arc.gz` (a gzip
/// member per record) is decompressed on the fly.
pub struct Reader {
    inner: Box<dyn BufRead + Send>,
    max_block: u64,
    /// Version 2 header lines have ten fields (from the `filedesc` record).
    version2: bool,
    /// Records read, for deterministic record IDs.
    n: u64,
    /// The file's name, part of each record ID.
    name: String,
}

impl Reader {
    pub fn new(
        read: impl Read + Send + 'static,
        gzipped: bool,
        max_block: u64,
        name: &str,
    ) -> Reader {
        let inner: Box<dyn BufRead + Send> = if gzipped {
            Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(read)))
        } else {
            Box::new(BufReader::new(read))
        };
        Reader {
            inner,
            max_block,
            version2: false,
            n: 0,
            name: name.to_owned(),
        }
    }

    fn line(&mut self) -> io::Result<Vec<u8>> {
        let mut raw = Vec::new();
        (&mut self.inner)
            .take(MAX_LINE)
            .read_until(b'\n', &mut raw)?;
        Ok(raw)
    }

    /// The next record as a WARC record; `Ok(None)` at the end. A header
    /// line that does not read (a bad length) is an `InvalidData` error
    /// after which reading goes on at the next line, as warcio does.
    pub fn next_record(&mut self) -> io::Result<Option<Record>> {
        let line = loop {
            let raw = self.line()?;
            if raw.is_empty() {
                return Ok(None);
            }
            if !raw.iter().all(u8::is_ascii_whitespace) {
                break raw;
            }
        };
        self.n += 1;
        let text = String::from_utf8_lossy(&line).trim_end().to_owned();
        let filedesc = text.starts_with("filedesc://");
        let fields: Vec<&str> = text.split(' ').filter(|f| !f.is_empty()).collect();
        let parsed = if self.version2 && fields.len() >= 10 {
            // URL IP date type code checksum location offset filename length
            Some((
                fields[0].to_owned(),
                fields[1],
                fields[2],
                fields[3],
                fields[fields.len() - 1],
            ))
        } else if fields.len() >= 5 {
            // A URL may hold spaces: the last four fields are fixed.
            let k = fields.len();
            Some((
                fields[..k - 4].join(" "),
                fields[k - 4],
                fields[k - 3],
                fields[k - 2],
                fields[k - 1],
            ))
        } else {
            None
        };
        let Some((url, ip, date, content_type, length)) = parsed else {
            return Err(bad(format!(
                "an ARC header line with {} fields, not 5: {text:?}",
                fields.len()
            )));
        };
        let (ip, date, content_type) = (ip.to_owned(), date.to_owned(), content_type.to_owned());
        // A length that is no number (`-1`, `abc`) reads as an empty record,
        // reported as damaged, and reading goes on at the next line.
        let mut damage = None;
        let length: u64 = length.parse().unwrap_or_else(|_| {
            damage = Some(format!(
                "the ARC record of {url} has the length {length:?}, not a byte count; read as empty"
            ));
            0
        });
        if length > self.max_block {
            io::copy(&mut (&mut self.inner).take(length), &mut io::sink())?;
            return Err(bad(format!(
                "an ARC record of {length} bytes is larger than the limit of {}",
                self.max_block
            )));
        }
        let mut consumed = 0u64;
        if filedesc {
            // The version line and the field list belong to the length.
            let version = self.line()?;
            self.version2 = version.starts_with(b"2 ");
            consumed += version.len() as u64;
            consumed += self.line()?.len() as u64;
        }
        let mut block = Vec::with_capacity(length.saturating_sub(consumed) as usize);
        (&mut self.inner)
            .take(length.saturating_sub(consumed))
            .read_to_end(&mut block)?;
        if (block.len() as u64) < length.saturating_sub(consumed) {
            return Err(bad(format!(
                "an ARC record of {url} is cut short: {} of {length} bytes",
                block.len()
            )));
        }
        let when = date
            .get(..14)
            .and_then(|d| Timestamp::parse(d).ok())
            .map(|t| t.iso())
            .unwrap_or_default();
        // As warcio's arc2warc: every record after the first is a response.
        let http = block.starts_with(b"HTTP/");
        let kind = if filedesc { "warcinfo" } else { "response" };
        let mut headers: Vec<(&str, String)> = vec![
            ("WARC-Type", kind.to_owned()),
            (
                "WARC-Record-ID",
                warc::record_id(format!("arc\n{}\n{}", self.name, self.n).as_bytes()),
            ),
            ("WARC-Date", when),
            ("WARC-Target-URI", url.clone()),
        ];
        if !ip.is_empty() && ip != "-" {
            headers.push(("WARC-IP-Address", ip));
        }
        headers.push((
            "Content-Type",
            if http {
                "application/http;msgtype=response".to_owned()
            } else {
                content_type
            },
        ));
        headers.push((
            "WARC-Sidarkiv-Converted-From",
            format!("ARC record {} of {}", self.n, self.name),
        ));
        // A WARC head the way `warc::write_record` writes one, so the
        // stored record reads like any other.
        let head = warc::head(&headers, block.len() as u64);
        let headers = headers
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .chain([("Content-Length".to_owned(), block.len().to_string())])
            .collect();
        Ok(Some(Record {
            head,
            headers,
            block,
            skipped_before: 0,
            damage,
        }))
    }
}

fn bad(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARC: &[u8] = b"filedesc://test.arc 0.0.0.0 20100426093512 text/plain 74\n\
1 0 sidarkiv test\n\
URL IP-address Archive-date Content-type Archive-length\n\
\n\
http://www.karlskrona.se/sv/ 10.0.0.1 20100426093512 text/html 52\n\
HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<p>x</p>\n\
http://www.karlskrona.se/a b.html 10.0.0.1 20100426093513 text/html -1\n\
\n\
http://www.karlskrona.se/logo.gif 10.0.0.1 2010042609351400 image/gif 3\n\
GIF\n";

    #[test]
    fn reads_records_as_warc_and_goes_on_after_a_bad_length() {
        let mut r = Reader::new(
            std::io::Cursor::new(ARC.to_vec()),
            false,
            1 << 20,
            "test.arc",
        );
        let info = r.next_record().expect("reads").expect("filedesc");
        assert_eq!(info.header("WARC-Type"), Some("warcinfo"));
        let page = r.next_record().expect("reads").expect("a response");
        assert_eq!(page.header("WARC-Type"), Some("response"));
        assert_eq!(
            page.header("WARC-Target-URI"),
            Some("http://www.karlskrona.se/sv/")
        );
        assert_eq!(page.header("WARC-Date"), Some("2010-04-26T09:35:12Z"));
        assert!(
            page.block.ends_with(b"<p>x</p>"),
            "{:?}",
            String::from_utf8_lossy(&page.block)
        );
        let head = String::from_utf8_lossy(&page.head).into_owned();
        assert!(
            head.starts_with("WARC/1.1\r\n") && head.ends_with("Content-Length: 52\r\n\r\n"),
            "{head}"
        );
        let empty = r.next_record().expect("reads").expect("length -1");
        let damage = empty.damage.unwrap_or_default();
        assert!(
            damage.contains("a b.html") && damage.contains("-1"),
            "{damage}"
        );
        let gif = r.next_record().expect("reads").expect("a record");
        assert_eq!(gif.header("WARC-Type"), Some("response"));
        assert_eq!(gif.header("Content-Type"), Some("image/gif"));
        assert_eq!(gif.block, b"GIF");
        assert!(r.next_record().expect("end").is_none());
    }
}
