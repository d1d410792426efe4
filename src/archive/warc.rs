//! WARC 1.1 reading (for `import`) and writing (for `export`).
//!
//! Written by hand: the format is a header block and a length-prefixed body,
//! and the Rust WARC crates we know of are unmaintained; `warcio` checks our
//! output in the test suite.

use flate2::read::MultiGzDecoder;
use std::io::{self, BufRead, BufReader, Read, Write};

/// The gzip level of a record. On the import bench's 10,000 pages, zlib-rs
/// at level 1 compresses in 1.1 s of CPU what level 3 took 2.2 s, with
/// segments a third larger than level 3's (72 MB against 54 MB for 213 MB
/// of pages); level 6 took about twice level 3's time on 2,000 of them. On
/// two cores compression was the import's largest cost after parsing.
pub const LEVEL: flate2::Compression = flate2::Compression::new(1);

/// Longest header line and most header lines a record may have.
const MAX_HEADER_LINE: u64 = 64 * 1024;
const MAX_HEADERS: usize = 1024;

/// One WARC record: its headers (names as written) and its block.
#[derive(Debug, Clone)]
pub struct Record {
    /// The header block as read, version line and blank line included: with
    /// the block and a CRLF CRLF, the record byte for byte.
    pub head: Vec<u8>,
    pub headers: Vec<(String, String)>,
    pub block: Vec<u8>,
    /// Bytes passed over before this record because they did not read as
    /// one: the rest of a record whose Content-Length was too short.
    pub skipped_before: u64,
    /// What is wrong with this record, when it was read anyway.
    pub damage: Option<String>,
}

impl Record {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Reads records one at a time; a `.gz` file (one gzip member per record, or
/// one for all) is decompressed on the fly. Memory holds one record.
pub struct Reader {
    inner: Box<dyn BufRead + Send>,
    max_block: u64,
}

impl Reader {
    pub fn new(read: impl Read + Send + 'static, gzipped: bool, max_block: u64) -> Reader {
        let inner: Box<dyn BufRead + Send> = if gzipped {
            Box::new(BufReader::new(MultiGzDecoder::new(read)))
        } else {
            Box::new(BufReader::new(read))
        };
        Reader { inner, max_block }
    }

    /// Reads on to the next line that starts a record (`WARC/`), counting
    /// the bytes passed over, and returns that line. The bytes are a
    /// block's, not text: read as bytes, at most `max_block` of them.
    fn skip_to_record(&mut self, skipped: &mut u64) -> io::Result<String> {
        let mut raw = Vec::new();
        loop {
            raw.clear();
            let n = (&mut self.inner)
                .take(MAX_HEADER_LINE)
                .read_until(b'\n', &mut raw)?;
            if n == 0 {
                return Err(bad(format!(
                    "the last {skipped} bytes do not read as a record"
                )));
            }
            if raw.starts_with(b"WARC/") {
                return Ok(String::from_utf8_lossy(&raw).into_owned());
            }
            *skipped += n as u64;
            if *skipped > self.max_block {
                return Err(bad(format!(
                    "{skipped} bytes that do not read as a record (expected a WARC/1.x version line)"
                )));
            }
        }
    }

    /// One header line, at most [`MAX_HEADER_LINE`] bytes: a hostile file
    /// without line breaks must not be read into memory whole.
    fn read_line(&mut self, line: &mut String) -> io::Result<usize> {
        let n = (&mut self.inner).take(MAX_HEADER_LINE).read_line(line)?;
        if n as u64 == MAX_HEADER_LINE && !line.ends_with('\n') {
            return Err(bad(format!(
                "a header line longer than {MAX_HEADER_LINE} bytes"
            )));
        }
        Ok(n)
    }

    /// The next record; `Ok(None)` at the end.
    pub fn next_record(&mut self) -> io::Result<Option<Record>> {
        // The blank lines between records, then the version line. Read as
        // bytes: what is here may be the rest of a block, not text.
        let mut raw = Vec::new();
        loop {
            raw.clear();
            let n = (&mut self.inner)
                .take(MAX_HEADER_LINE)
                .read_until(b'\n', &mut raw)?;
            if n == 0 {
                return Ok(None);
            }
            if !raw.iter().all(u8::is_ascii_whitespace) {
                break;
            }
        }
        // A record whose Content-Length was too short leaves the rest of
        // its block here: read on to the next version line, as warcio does,
        // rather than give up on every record after it.
        let mut skipped_before = 0u64;
        let mut line = if raw.starts_with(b"WARC/") {
            String::from_utf8_lossy(&raw).into_owned()
        } else {
            skipped_before = raw.len() as u64;
            self.skip_to_record(&mut skipped_before)?
        };
        let mut headers = Vec::new();
        let mut head = line.clone().into_bytes();
        loop {
            line.clear();
            if self.read_line(&mut line)? == 0 {
                return Err(bad("the file ends inside a record's headers".into()));
            }
            head.extend_from_slice(line.as_bytes());
            if headers.len() >= MAX_HEADERS {
                return Err(bad(format!(
                    "a record with more than {MAX_HEADERS} header lines"
                )));
            }
            let l = line.trim_end_matches(['\r', '\n']);
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                headers.push((k.trim().to_owned(), v.trim().to_owned()));
            }
        }
        let len: u64 = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("Content-Length"))
            .and_then(|(_, v)| v.parse().ok())
            .ok_or_else(|| bad("a record without a valid Content-Length".into()))?;
        if len > self.max_block {
            return Err(bad(format!(
                "a record of {len} bytes is larger than the limit of {}",
                self.max_block
            )));
        }
        let mut block = Vec::with_capacity(len as usize);
        (&mut self.inner).take(len).read_to_end(&mut block)?;
        if (block.len() as u64) < len {
            return Err(bad(format!(
                "a record is cut short: {} of {len} bytes",
                block.len()
            )));
        }
        Ok(Some(Record {
            head,
            headers,
            block,
            skipped_before,
            damage: None,
        }))
    }
}

fn bad(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// An HTTP response block split into status, headers and body; a chunked
/// body is joined.
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as a browser would read it: its `Content-Encoding` (gzip,
    /// deflate, br) undone, at most `limit` bytes once decompressed. Crawlers
    /// that ask for compression (Heritrix, browser-based ones) store the
    /// compressed bytes. A body that does not decode but is plainly markup
    /// (some tools decompress and keep the header; some servers send a bogus
    /// coding) is taken as it is.
    pub fn into_decoded_body(self, limit: u64) -> Result<Vec<u8>, String> {
        let coding = self.header("Content-Encoding").map(str::to_owned);
        match decode_body(coding.as_deref(), &self.body, limit)? {
            std::borrow::Cow::Owned(out) => Ok(out),
            std::borrow::Cow::Borrowed(_) => Ok(self.body),
        }
    }
}

/// A body as a browser reads it, given its `Content-Encoding` (see
/// [`HttpResponse::into_decoded_body`]); borrowed when nothing is undone.
pub fn decode_body<'a>(
    coding: Option<&str>,
    body: &'a [u8],
    limit: u64,
) -> Result<std::borrow::Cow<'a, [u8]>, String> {
    let coding = coding
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    match decode_content(&coding, body, limit) {
        Ok(Some(out)) => Ok(std::borrow::Cow::Owned(out)),
        Ok(None) => Ok(std::borrow::Cow::Borrowed(body)),
        Err(_) if looks_like_markup(body) => Ok(std::borrow::Cow::Borrowed(body)),
        Err(e) => Err(e),
    }
}

/// Undoes one content coding, at most `limit` bytes of it; None for identity.
fn decode_content(coding: &str, body: &[u8], limit: u64) -> Result<Option<Vec<u8>>, String> {
    let reader: Box<dyn Read + '_> = match coding {
        "" | "identity" | "none" => return Ok(None),
        "gzip" | "x-gzip" => Box::new(MultiGzDecoder::new(body)),
        // "deflate" is zlib by the RFC, raw deflate in practice as often.
        "deflate" if body.first().is_some_and(|b| b & 0x0f == 8) => {
            Box::new(flate2::read::ZlibDecoder::new(body))
        }
        "deflate" => Box::new(flate2::read::DeflateDecoder::new(body)),
        "br" => Box::new(brotli_decompressor::Decompressor::new(body, 4096)),
        other => return Err(format!("unsupported Content-Encoding {other:?}")),
    };
    let mut out = Vec::new();
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| format!("Content-Encoding {coding}: {e}"))?;
    if out.len() as u64 > limit {
        return Err(format!(
            "larger than max_body_bytes ({limit} bytes) once decompressed"
        ));
    }
    Ok(Some(out))
}

/// Whether a body sent without a type is an HTML page, as a browser
/// sniffs it (WHATWG MIME sniffing's HTML patterns, in short): it opens,
/// after a BOM and white space, with `<!DOCTYPE HTML`, `<html`, `<head`,
/// `<body`, `<title` or a comment. Old servers often sent no type.
pub fn sniffs_as_html(body: &[u8]) -> bool {
    let body = body.strip_prefix(b"\xef\xbb\xbf").unwrap_or(body);
    let Some(start) = body.iter().position(|b| !b.is_ascii_whitespace()) else {
        return false;
    };
    let head = &body[start..body.len().min(start + 16)];
    [
        "<!doctype html",
        "<html",
        "<head",
        "<body",
        "<title",
        "<!--",
    ]
    .iter()
    .any(|p| head.len() >= p.len() && head[..p.len()].eq_ignore_ascii_case(p.as_bytes()))
}

/// Whether bytes start like an HTML document (after whitespace and a BOM).
fn looks_like_markup(body: &[u8]) -> bool {
    let body = body.strip_prefix(b"\xef\xbb\xbf").unwrap_or(body);
    body.iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'<')
}

/// Where an HTTP message's head ends and its body starts: at its first
/// empty line, whatever the line ends (`\r\n`, `\n`, and the `\r\r\n`
/// some old crawlers wrote); a block without an empty line is all head,
/// with an empty body (its length left the blank line out, or cut the last
/// header short), as warcio reads it.
pub fn http_head_end(block: &[u8]) -> Option<(usize, usize)> {
    let mut start = 0;
    for nl in memchr::memchr_iter(b'\n', block) {
        if block[start..nl].iter().all(|&b| b == b'\r') {
            return Some((start, nl + 1));
        }
        start = nl + 1;
    }
    (!block.is_empty()).then_some((block.len(), block.len()))
}

/// An HTTP response's status and headers, without copying its body.
pub fn parse_http_head(block: &[u8]) -> Option<HttpResponse> {
    let (_, body) = http_head_end(block)?;
    parse_http_response(&block[..body])
}

pub fn parse_http_response(block: &[u8]) -> Option<HttpResponse> {
    let end = http_head_end(block)?;
    let head = std::str::from_utf8(&block[..end.0]).ok()?;
    let mut lines = head.lines();
    let status_line = lines.next()?;
    if !status_line.starts_with("HTTP/") {
        return None;
    }
    let status = status_line.split_whitespace().nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| {
            (
                k.trim().to_owned(),
                v.trim_matches([' ', '\t', '\r']).to_owned(),
            )
        })
        .collect();
    let mut body = block[end.1..].to_vec();
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("Transfer-Encoding") && v.to_ascii_lowercase().contains("chunked")
    });
    if chunked && let Some(joined) = dechunk(&body) {
        body = joined;
    }
    Some(HttpResponse {
        status,
        headers,
        body,
    })
}

fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(data.len());
    loop {
        let nl = memchr::memchr(b'\n', data)?;
        let size_line = std::str::from_utf8(&data[..nl]).ok()?.trim();
        let size = usize::from_str_radix(size_line.split(';').next()?.trim(), 16).ok()?;
        data = &data[nl + 1..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size..)?;
        data = data
            .strip_prefix(b"\r\n")
            .or_else(|| data.strip_prefix(b"\n"))
            .unwrap_or(data);
    }
}

/// A record's header block: the version line, `headers`, the
/// Content-Length and the blank line.
pub fn head(headers: &[(&str, String)], block_len: u64) -> Vec<u8> {
    let mut head = String::from("WARC/1.1\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!("Content-Length: {block_len}\r\n\r\n"));
    head.into_bytes()
}

/// Writes one record; with `gzip`, as its own gzip member.
pub fn write_record(
    out: &mut impl Write,
    headers: &[(&str, String)],
    block: &[u8],
    gzip: bool,
) -> io::Result<()> {
    let head = head(headers, block.len() as u64);
    if gzip {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), LEVEL);
        gz.write_all(&head)?;
        gz.write_all(block)?;
        gz.write_all(b"\r\n\r\n")?;
        out.write_all(&gz.finish()?)
    } else {
        out.write_all(&head)?;
        out.write_all(block)?;
        out.write_all(b"\r\n\r\n")
    }
}

/// A `WARC-*-Digest` value: `sha1:` and the base32 SHA-1.
pub fn sha1_digest(bytes: &[u8]) -> String {
    use sha1::Digest;
    format!(
        "sha1:{}",
        data_encoding::BASE32.encode(&sha1::Sha1::digest(bytes))
    )
}

/// A record ID derived from content, so that exporting the same archive twice
/// gives the same file: `urn:uuid:` with a name-based (v5-style) UUID.
pub fn record_id(seed: &[u8]) -> String {
    use sha1::Digest;
    let h = sha1::Sha1::digest(seed);
    let mut b = [0u8; 16];
    b.copy_from_slice(&h[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let x = data_encoding::HEXLOWER.encode(&b);
    format!(
        "<urn:uuid:{}-{}-{}-{}-{}>",
        &x[..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_reads_back_plain_and_gzip() {
        for gzip in [false, true] {
            let mut buf = Vec::new();
            let body = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<p>K\xf6p</p>";
            write_record(
                &mut buf,
                &[
                    ("WARC-Type", "response".into()),
                    ("WARC-Target-URI", "http://x.se/".into()),
                ],
                body,
                gzip,
            )
            .expect("write");
            write_record(&mut buf, &[("WARC-Type", "metadata".into())], b"{}", gzip)
                .expect("write");
            let mut r = Reader::new(io::Cursor::new(buf), gzip, 1 << 20);
            let first = r.next_record().expect("read").expect("record");
            assert_eq!(first.header("warc-type"), Some("response"));
            let http = parse_http_response(&first.block).expect("http");
            assert_eq!(
                (http.status, http.body.as_slice()),
                (200, &b"<p>K\xf6p</p>"[..])
            );
            assert!(r.next_record().expect("read").is_some());
            assert!(r.next_record().expect("read").is_none());
        }
    }

    #[test]
    fn a_compressed_body_is_bounded_once_decompressed() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&vec![b' '; 1 << 20]).expect("gzip");
        let mut block = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n".to_vec();
        block.extend(gz.finish().expect("gzip"));
        let http = || parse_http_response(&block).expect("http");
        assert!(
            block.len() < 4096,
            "a small file that inflates a thousandfold"
        );
        let err = http().into_decoded_body(64 * 1024).expect_err("bounded");
        assert!(err.contains("max_body_bytes"), "{err}");
        assert_eq!(
            http().into_decoded_body(1 << 20).expect("fits").len(),
            1 << 20
        );
        let odd = parse_http_response(b"HTTP/1.1 200 OK\r\nContent-Encoding: compress\r\n\r\nxyz")
            .expect("http");
        assert!(odd.into_decoded_body(100).is_err());
        let bogus =
            parse_http_response(b"HTTP/1.1 200 OK\r\nContent-Encoding: utf-8\r\n\r\n <html>")
                .expect("http");
        assert_eq!(bogus.into_decoded_body(100).expect("as it is"), b" <html>");
    }

    #[test]
    fn heads_end_at_the_first_empty_line_whatever_the_line_ends() {
        let h =
            parse_http_response(b"HTTP/1.0 302 \r\r\nLocation: http://a/b\r\r\n\r\r\nbody\r\n\r\n")
                .expect("CR CR LF");
        assert_eq!(
            (h.status, h.header("Location"), &h.body[..]),
            (302, Some("http://a/b"), &b"body\r\n\r\n"[..])
        );
        // A head ended by \n\n is not cut at a \r\n\r\n inside the body.
        let h = parse_http_response(b"HTTP/1.1 200 OK\nA: b\n\nx\r\n\r\ny").expect("LF");
        assert_eq!(h.body, b"x\r\n\r\ny");
        assert_eq!(http_head_end(b"HTTP/1.1 200 OK\r\n"), Some((17, 17)));
        assert_eq!(http_head_end(b"HTTP/1.1 200 OK\r\nA: b"), Some((21, 21)));
        assert_eq!(http_head_end(b""), None);
    }

    #[test]
    fn chunked_bodies_are_joined_and_bad_input_is_an_error() {
        let http = parse_http_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n").expect("http");
        assert_eq!(http.body, b"abcde");
        let mut r = Reader::new(io::Cursor::new(b"not a warc".to_vec()), false, 1 << 20);
        assert!(r.next_record().is_err());
        let endless = [b"WARC/1.1\r\nX: ".to_vec(), vec![b'a'; 200_000]].concat();
        let mut r = Reader::new(io::Cursor::new(endless), false, 1 << 20);
        let err = r
            .next_record()
            .expect_err("a header line without end is refused");
        assert!(err.to_string().contains("longer than"), "{err}");
        let mut r = Reader::new(
            io::Cursor::new(b"WARC/1.1\r\nContent-Length: 100\r\n\r\nshort".to_vec()),
            false,
            1 << 20,
        );
        assert!(r.next_record().is_err());
    }

    #[test]
    fn record_ids_are_stable_uuids() {
        let id = record_id(b"x");
        assert_eq!(id, record_id(b"x"));
        assert_eq!(id.len(), "<urn:uuid:>".len() + 36);
    }
}
