//! Bytes → text, in the WHATWG order: BOM, transport charset, `<meta>` prescan,
//! detection, default.
//!
//! Old karlskrona.se pages declare ISO-8859-1 and contain windows-1252 bytes, or
//! declare UTF-8 and are not. A declared label is therefore checked against the
//! bytes before it is trusted; a label that does not fit sends the bytes to
//! `chardetng`. Decoding never fails: malformed sequences become U+FFFD and are
//! counted, so a migration can be reviewed.

use encoding_rs::{DecoderResult, Encoding, UTF_8, WINDOWS_1252};

/// How the encoding was chosen (the page JSON's `encoding_source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodingSource {
    Bom,
    Http,
    Meta,
    Detected,
    Default,
}

impl EncodingSource {
    pub fn as_str(self) -> &'static str {
        match self {
            EncodingSource::Bom => "bom",
            EncodingSource::Http => "http",
            EncodingSource::Meta => "meta",
            EncodingSource::Detected => "detected",
            EncodingSource::Default => "default",
        }
    }
}

/// The result of decoding one document.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub text: String,
    pub encoding: &'static Encoding,
    pub source: EncodingSource,
    /// Malformed byte sequences replaced by U+FFFD.
    pub errors: u64,
}

/// How many bytes the detector looks at; as in xh, enough for a page's text.
const DETECT_LIMIT: usize = 64 * 1024;
/// The WHATWG prescan only looks at the first 1024 bytes.
const PRESCAN_LIMIT: usize = 1024;

/// Decodes `bytes`. `transport` is a charset label from outside the document
/// (an HTTP `Content-Type`, `--charset`); `tld` is the host's top-level domain
/// (`b"se"`), a hint for the detector.
pub fn decode(bytes: &[u8], transport: Option<&str>, tld: Option<&[u8]>) -> Decoded {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        return finish(&bytes[bom_len..], encoding, EncodingSource::Bom);
    }
    let declared = transport
        .and_then(|label| Encoding::for_label(label.trim().as_bytes()))
        .map(|e| (e, EncodingSource::Http))
        .or_else(|| prescan(bytes).map(|e| (e, EncodingSource::Meta)))
        .or_else(|| late_meta(bytes).map(|e| (e, EncodingSource::Meta)));
    if let Some((encoding, source)) = declared
        && label_fits(encoding, bytes)
    {
        return finish(bytes, encoding, source);
    }
    if bytes.is_ascii() {
        return finish(bytes, WINDOWS_1252, EncodingSource::Default);
    }
    finish(bytes, detect(bytes, tld), EncodingSource::Detected)
}

fn detect(bytes: &[u8], tld: Option<&[u8]>) -> &'static Encoding {
    let mut detector = chardetng::EncodingDetector::new();
    let sample = &bytes[..bytes.len().min(DETECT_LIMIT)];
    detector.feed(sample, sample.len() == bytes.len());
    detector.guess(tld, true)
}

/// Whether a declared encoding is believable for these bytes. Declared UTF-8
/// must be valid UTF-8 (a sequence cut off at the very end is a truncated
/// capture, not a wrong label); a declared legacy single-byte encoding is not
/// believed when the bytes are valid UTF-8 with multi-byte sequences, which
/// Latin-1 text practically never forms by chance.
fn label_fits(encoding: &'static Encoding, bytes: &[u8]) -> bool {
    let utf8 = match std::str::from_utf8(bytes) {
        Ok(_) => Utf8::Valid,
        Err(e) if e.error_len().is_none() => Utf8::Valid,
        Err(_) => Utf8::Invalid,
    };
    if encoding == UTF_8 {
        return utf8 == Utf8::Valid;
    }
    let single_byte = encoding.is_single_byte();
    !(single_byte && utf8 == Utf8::Valid && !bytes.is_ascii())
}

#[derive(PartialEq)]
enum Utf8 {
    Valid,
    Invalid,
}

fn finish(bytes: &[u8], encoding: &'static Encoding, source: EncodingSource) -> Decoded {
    let (text, errors) = decode_counting(encoding, bytes);
    Decoded {
        text,
        encoding,
        source,
        errors,
    }
}

/// Decodes like `Encoding::decode_without_bom_handling` but counts the
/// replacements, which encoding_rs only reports as a bool.
fn decode_counting(encoding: &'static Encoding, mut bytes: &[u8]) -> (String, u64) {
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let capacity = decoder
        .max_utf8_buffer_length_without_replacement(bytes.len())
        .unwrap_or(bytes.len());
    let mut out = String::with_capacity(capacity);
    let mut errors = 0u64;
    loop {
        let (result, read) = decoder.decode_to_string_without_replacement(bytes, &mut out, true);
        bytes = &bytes[read..];
        match result {
            DecoderResult::InputEmpty => break,
            DecoderResult::OutputFull => out.reserve(bytes.len().max(16) * 3),
            DecoderResult::Malformed(_, _) => {
                errors += 1;
                out.push('\u{FFFD}');
            }
        }
    }
    (out, errors)
}

/// The WHATWG "prescan a byte stream to determine its encoding" over the first
/// 1024 bytes. Written by hand: html5ever and encoding_rs do not expose it.
pub fn prescan(bytes: &[u8]) -> Option<&'static Encoding> {
    prescan_within(bytes, PRESCAN_LIMIT)
}

/// A `<meta charset>` past the first 1024 bytes. A browser's tree builder
/// meets it while parsing and re-reads the page in that encoding ("change the
/// encoding"); scanning on with the prescan rules gives the same answer
/// without a second parse.
fn late_meta(bytes: &[u8]) -> Option<&'static Encoding> {
    if bytes.len() <= PRESCAN_LIMIT {
        return None;
    }
    prescan_within(bytes, DETECT_LIMIT)
}

fn prescan_within(bytes: &[u8], limit: usize) -> Option<&'static Encoding> {
    let b = &bytes[..bytes.len().min(limit)];
    let mut pos = 0;
    while pos < b.len() {
        let rest = &b[pos..];
        if rest.starts_with(b"<!--") {
            pos = find(b, pos + 2, b"-->")? + 3;
        } else if starts_with_ci(rest, b"<meta")
            && rest.get(5).is_some_and(|&c| is_space(c) || c == b'/')
        {
            pos += 5;
            if let Some(encoding) = meta_charset(b, &mut pos)? {
                return Some(encoding);
            }
        } else if rest.len() >= 2
            && rest[0] == b'<'
            && (rest[1].is_ascii_alphabetic()
                || (rest[1] == b'/' && rest.get(2).is_some_and(u8::is_ascii_alphabetic)))
        {
            while pos < b.len() && !is_space(b[pos]) && b[pos] != b'>' {
                pos += 1;
            }
            while attribute(b, &mut pos)?.is_some() {}
        } else if rest.starts_with(b"<!") || rest.starts_with(b"</") || rest.starts_with(b"<?") {
            pos = find(b, pos, b">")? + 1;
        } else {
            pos += 1;
        }
    }
    None
}

/// The attributes of one `<meta>`; `None` when the prescan ran out of bytes,
/// `Some(None)` when this meta declares nothing usable.
fn meta_charset(b: &[u8], pos: &mut usize) -> Option<Option<&'static Encoding>> {
    let mut seen: Vec<Vec<u8>> = Vec::new();
    let mut got_pragma = false;
    let mut need_pragma: Option<bool> = None;
    let mut charset: Option<&'static Encoding> = None;
    while let Some((name, value)) = attribute(b, pos)? {
        if seen.contains(&name) {
            continue;
        }
        match name.as_slice() {
            b"http-equiv" if value == b"content-type" => got_pragma = true,
            b"content" if charset.is_none() => {
                if let Some(encoding) = charset_from_content(&value) {
                    charset = Some(encoding);
                    need_pragma = Some(true);
                }
            }
            b"charset" => {
                charset = Encoding::for_label(&value);
                need_pragma = Some(false);
            }
            _ => {}
        }
        seen.push(name);
    }
    let usable = match need_pragma {
        None => false,
        Some(true) => got_pragma,
        Some(false) => true,
    };
    let charset = charset.filter(|_| usable).map(|e| {
        if e == encoding_rs::UTF_16BE || e == encoding_rs::UTF_16LE {
            UTF_8
        } else if e == encoding_rs::X_USER_DEFINED {
            WINDOWS_1252
        } else {
            e
        }
    });
    Some(charset)
}

/// A lower-cased attribute name and value.
type Attribute = (Vec<u8>, Vec<u8>);

/// WHATWG "get an attribute". `None`: out of bytes; `Some(None)`: no more
/// attributes (at `>`).
fn attribute(b: &[u8], pos: &mut usize) -> Option<Option<Attribute>> {
    while is_space(*b.get(*pos)?) || b[*pos] == b'/' {
        *pos += 1;
    }
    if b[*pos] == b'>' {
        return Some(None);
    }
    let mut name = Vec::new();
    let mut value = Vec::new();
    loop {
        let c = *b.get(*pos)?;
        if c == b'=' && !name.is_empty() {
            *pos += 1;
            break;
        } else if is_space(c) {
            while is_space(*b.get(*pos)?) {
                *pos += 1;
            }
            if b[*pos] != b'=' {
                return Some(Some((name, value)));
            }
            *pos += 1;
            break;
        } else if c == b'/' || c == b'>' {
            return Some(Some((name, value)));
        }
        name.push(c.to_ascii_lowercase());
        *pos += 1;
    }
    while is_space(*b.get(*pos)?) {
        *pos += 1;
    }
    let c = *b.get(*pos)?;
    if c == b'"' || c == b'\'' {
        *pos += 1;
        loop {
            let d = *b.get(*pos)?;
            *pos += 1;
            if d == c {
                return Some(Some((name, value)));
            }
            value.push(d.to_ascii_lowercase());
        }
    }
    if c == b'>' {
        return Some(Some((name, value)));
    }
    loop {
        let d = *b.get(*pos)?;
        if is_space(d) || d == b'>' {
            return Some(Some((name, value)));
        }
        value.push(d.to_ascii_lowercase());
        *pos += 1;
    }
}

/// WHATWG "extract a character encoding from a meta element" (the `content`
/// attribute of an http-equiv meta).
fn charset_from_content(s: &[u8]) -> Option<&'static Encoding> {
    let mut pos = 0;
    loop {
        pos = find_ci(s, pos, b"charset")? + 7;
        while s.get(pos).is_some_and(|&c| is_space(c)) {
            pos += 1;
        }
        if s.get(pos) != Some(&b'=') {
            continue;
        }
        pos += 1;
        while s.get(pos).is_some_and(|&c| is_space(c)) {
            pos += 1;
        }
        let c = *s.get(pos)?;
        if c == b'"' || c == b'\'' {
            let end = s[pos + 1..].iter().position(|&d| d == c)?;
            return Encoding::for_label(&s[pos + 1..pos + 1 + end]);
        }
        let end = s[pos..]
            .iter()
            .position(|&d| is_space(d) || d == b';')
            .map_or(s.len(), |e| pos + e);
        return Encoding::for_label(&s[pos..end]);
    }
}

fn is_space(c: u8) -> bool {
    matches!(c, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

fn starts_with_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.len() >= needle.len() && hay[..needle.len()].eq_ignore_ascii_case(needle)
}

fn find(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn find_ci(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
        .map(|p| p + from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(bytes: &[u8], transport: Option<&str>) -> (&'static str, &'static str) {
        let d = decode(bytes, transport, Some(b"se"));
        (d.encoding.name(), d.source.as_str())
    }

    /// The encoding decisions, one row per rule.
    #[test]
    fn decision_table() {
        let latin1_meta = b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-1\"><p>K\xf6p \x96 n\xe4t</p>";
        let utf8_meta_cp1252 = b"<meta charset=\"utf-8\"><p>Kommunen \xe4r medlem i ett flertal n\xe4tverk f\xf6r att utveckla</p>";
        type Case<'a> = (&'a [u8], Option<&'a str>, (&'a str, &'a str));
        let cases: &[Case] = &[
            (
                b"\xef\xbb\xbf<meta charset=iso-8859-1><p>\xc3\xb6</p>",
                None,
                ("UTF-8", "bom"),
            ),
            (b"\xff\xfe<\x00p\x00>\x00", None, ("UTF-16LE", "bom")),
            (latin1_meta, None, ("windows-1252", "meta")),
            (latin1_meta, Some("windows-1250"), ("windows-1250", "http")),
            (
                latin1_meta,
                Some("no-such-charset"),
                ("windows-1252", "meta"),
            ),
            (utf8_meta_cp1252, None, ("windows-1252", "detected")),
            (
                utf8_meta_cp1252,
                Some("utf-8"),
                ("windows-1252", "detected"),
            ),
            (b"<p>plain ascii</p>", None, ("windows-1252", "default")),
            (
                b"<p>Sm\xe5 \xf6ar i sk\xe4rg\xe5rden</p>",
                None,
                ("windows-1252", "detected"),
            ),
            (
                b"<meta charset=iso-8859-1><p>\xc3\xb6ar och \xc3\xa4ngar</p>",
                None,
                ("UTF-8", "detected"),
            ),
            (b"<meta charset=utf-16><p>x</p>", None, ("UTF-8", "meta")),
        ];
        for (bytes, transport, want) in cases {
            assert_eq!(
                name(bytes, *transport),
                *want,
                "input {:?}",
                String::from_utf8_lossy(bytes)
            );
        }
    }

    #[test]
    fn windows_1252_c1_bytes_are_punctuation() {
        let d = decode(
            b"<meta charset=iso-8859-1>juli\x96augusti \x92x\x92",
            None,
            None,
        );
        assert!(d.text.ends_with("juli\u{2013}augusti \u{2019}x\u{2019}"));
        assert_eq!(d.errors, 0);
    }

    #[test]
    fn malformed_sequences_are_counted() {
        let d = decode(b"\xef\xbb\xbfa\xffb\xfec", None, None);
        assert_eq!(d.text, "a\u{FFFD}b\u{FFFD}c");
        assert_eq!(d.errors, 2);
    }

    #[test]
    fn truncated_utf8_still_counts_as_utf8() {
        let d = decode(b"<meta charset=utf-8><p>\xc3\xb6\xc3", None, None);
        assert_eq!((d.encoding, d.source), (UTF_8, EncodingSource::Meta));
        assert_eq!(d.errors, 1);
    }

    #[test]
    fn prescan_stops_at_1024_bytes() {
        let mut page = vec![b' '; 1020];
        page.extend_from_slice(b"<meta charset=iso-8859-2>");
        assert_eq!(prescan(&page), None);
    }

    #[test]
    fn prescan_skips_comments_and_needs_pragma() {
        assert_eq!(
            prescan(b"<!-- <meta charset=koi8-r> --><meta charset=koi8-u>"),
            Encoding::for_label(b"koi8-u")
        );
        assert_eq!(
            prescan(b"<meta content=\"text/html; charset=koi8-r\">"),
            None
        );
        assert_eq!(
            prescan(b"<meta content='text/html; charset=gb18030' http-equiv='Content-Type'>"),
            Some(encoding_rs::GB18030)
        );
    }
}
