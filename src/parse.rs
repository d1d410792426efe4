//! The whole read of one document: clean → decode → extract → [`Page`].

use data_encoding::{BASE32, HEXLOWER};
use sha1::{Digest, Sha1};
use sha2::Sha256;

use crate::clean::strip_wayback;
use crate::decode::decode;
use crate::error::ParseError;
use crate::extract::extract;
use crate::model::{PAGE_SCHEMA, Page, Source, SourceKind};
use crate::timestamp::Timestamp;

/// What is known about a document from outside its bytes.
#[derive(Debug, Clone, Default)]
pub struct ParseOptions {
    /// The page's original URL (not a Wayback URL), when known.
    pub url: Option<String>,
    /// A transport charset label (HTTP `Content-Type`, `--charset`).
    pub charset: Option<String>,
    /// Where the bytes came from. A Wayback view-mode copy read from a
    /// file or standard input is reported as `wayback`.
    pub kind: SourceKind,
    /// A Wayback timestamp known from outside (CDX, a WARC record).
    pub timestamp: Option<Timestamp>,
    /// How long the parse may take (`page_time_budget_seconds`); `None`: no limit.
    pub budget: Option<std::time::Duration>,
    /// The capture's HTTP status, when the bytes came with one.
    pub status: Option<u16>,
    /// Where a 3xx answer pointed (its `Location`), when it did.
    pub redirect: Option<String>,
}

/// How much of the start is checked for signs of a binary file.
const SNIFF_LEN: usize = 8 * 1024;

/// A page, with what the page JSON does not hold but a Markdown copy
/// shows: which paragraphs were list items.
#[derive(Debug, Clone)]
pub struct Document {
    pub page: Page,
    /// `(section, paragraph)` indexes of the paragraphs that were list items.
    pub list_items: Vec<(usize, usize)>,
    /// The paragraphs that were table cells: `((section, paragraph), (row, column, header))`.
    pub cells: crate::extract::Cells,
    /// The main text's images, by the paragraph they stand before (`None`: the intro).
    pub images: crate::extract::Images<crate::model::Link>,
}

/// The warning of a capture a crawler cut short (`WARC-Truncated`): it
/// comes from the record, not the bytes, so a re-parse keeps it as read.
pub const CUT_SHORT: &str = "the crawler cut this capture short";

/// [`CUT_SHORT`] with the crawler's reason (`length`, `time`, …).
pub fn cut_short(why: &str) -> String {
    format!("{CUT_SHORT} (WARC-Truncated: {why}); the page may be incomplete")
}

/// Reads one HTML document into the page model. Fails only on input that is
/// not a text document at all (empty, an image, random bytes); everything
/// else yields a page, with warnings for what could not be read.
pub fn parse_page(bytes: &[u8], opts: &ParseOptions) -> Result<Page, ParseError> {
    parse_document(bytes, opts).map(|d| d.page)
}

/// As [`parse_page`], with the document's list items.
pub fn parse_document(bytes: &[u8], opts: &ParseOptions) -> Result<Document, ParseError> {
    let deadline = opts.budget.map(|b| std::time::Instant::now() + b);
    // A redirect or an error page may have no body: the answer is the fact.
    let answer_only = opts.status.is_some_and(|s| !(200..300).contains(&s));
    if !(answer_only && bytes.iter().all(u8::is_ascii_whitespace)) {
        check_is_text(bytes)?;
    }
    let cleaned = strip_wayback(bytes);
    let source_url = opts.url.clone().or_else(|| cleaned.original_url.clone());
    let tld = source_url.as_deref().and_then(tld_of);
    let decoded = decode(
        &cleaned.bytes,
        opts.charset.as_deref(),
        Some(tld.as_deref().unwrap_or(b"se")),
    );
    let mut ex = extract(&decoded.text, source_url.as_deref(), deadline)?;
    ex.content.status = opts.status;
    ex.content.redirect = opts.redirect.clone();

    // What a redirect or an error page lacks (a title, a date) is no news:
    // one line says what the answer was instead.
    let mut warnings = match opts.status {
        Some(s) if answer_only => vec![status_warning(s, opts.redirect.as_deref())],
        _ => ex.warnings,
    };
    if decoded.errors > 0 {
        warnings.push(format!(
            "{} byte sequence(s) are not valid {} and were replaced by \u{FFFD}",
            decoded.errors,
            decoded.encoding.name()
        ));
    }
    if !answer_only && looks_truncated(&decoded.text) {
        warnings.push("the document looks truncated: it has no closing </body> or </html>".into());
    }
    let wayback = cleaned.removed || ex.urls_unwrapped > 0;
    let kind = match opts.kind {
        SourceKind::File | SourceKind::Stdin if wayback => SourceKind::Wayback,
        kind => kind,
    };
    let page = Page {
        schema: PAGE_SCHEMA.to_owned(),
        content: ex.content,
        source: Source {
            kind,
            original_url: source_url,
            timestamp: opts.timestamp.or(cleaned.timestamp),
            sha1: BASE32.encode(&Sha1::digest(bytes)),
            sha256: HEXLOWER.encode(&Sha256::digest(bytes)),
            encoding: decoded.encoding.name().to_owned(),
            encoding_source: decoded.source.as_str().to_owned(),
            decode_errors: decoded.errors,
            wayback_artifacts_removed: wayback,
        },
        warnings,
    };
    Ok(Document {
        page,
        list_items: ex.list_items,
        cells: ex.cells,
        images: ex.images,
    })
}

/// Refuses what is not a text document: empty input, known binary formats,
/// and bytes with many control characters (unless a UTF-16 BOM explains
/// them). A stray NUL is no reason: the HTML standard reads past it.
fn check_is_text(bytes: &[u8]) -> Result<(), ParseError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ParseError::Empty);
    }
    const MAGIC: &[(&[u8], &str)] = &[
        (b"\x89PNG", "a PNG image"),
        (b"GIF8", "a GIF image"),
        (b"\xff\xd8\xff", "a JPEG image"),
        (b"%PDF", "a PDF document"),
        (b"PK\x03\x04", "a ZIP archive"),
        (b"\x1f\x8b", "gzip-compressed data"),
        (b"RIFF", "a RIFF (WebP/WAV/AVI) file"),
        (b"\x7fELF", "an executable"),
        (b"WARC/", "a WARC file (use `sidarkiv import`)"),
    ];
    if let Some((_, what)) = MAGIC.iter().find(|(m, _)| bytes.starts_with(m)) {
        return Err(ParseError::Binary((*what).into()));
    }
    if bytes.starts_with(b"\xff\xfe") || bytes.starts_with(b"\xfe\xff") {
        return Ok(());
    }
    let head = &bytes[..bytes.len().min(SNIFF_LEN)];
    let control = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | b'\x0c'))
        .count();
    // A few stray control bytes (a NUL typed into a CMS) are a text's; a
    // share of them is a binary file's.
    if control > 8 && control * 100 > head.len() {
        return Err(ParseError::Binary(format!(
            "{control} of its first {} bytes are control characters",
            head.len()
        )));
    }
    Ok(())
}

fn status_warning(status: u16, redirect: Option<&str>) -> String {
    let what = match (status, redirect) {
        (300..=399, Some(to)) => format!("a redirect to {to}"),
        (300..=399, None) => "a redirect without a target".to_owned(),
        (404 | 410, _) => "the page was gone".to_owned(),
        (429, _) => "the site refused the crawler (too many requests)".to_owned(),
        (400..=499, _) => "the site refused the request".to_owned(),
        _ => "a server error".to_owned(),
    };
    format!("the page answered with HTTP status {status} when it was captured: {what}")
}

fn looks_truncated(text: &str) -> bool {
    let tail_start = text.len().saturating_sub(4096);
    let mut start = tail_start;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    let tail = text[start..].to_ascii_lowercase();
    !tail.contains("</html") && !tail.contains("</body")
}

fn tld_of(url: &str) -> Option<Vec<u8>> {
    let host = url::Url::parse(url).ok()?.host_str()?.to_owned();
    let tld = host.rsplit('.').next()?;
    (tld.len() == 2 && tld.chars().all(|c| c.is_ascii_alphabetic()))
        .then(|| tld.to_ascii_lowercase().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fixture_pieces() -> Vec<String> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/karlskrona-2010-wayback-view.html"
        );
        let bytes = std::fs::read(path).expect("fixture");
        let text = crate::decode::decode(&bytes, None, None).text;
        // Cut at every tag start: pieces are tags and text runs, reshuffled below.
        text.split_inclusive('>').map(str::to_owned).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
            let _ = parse_page(&bytes, &ParseOptions::default());
        }

        #[test]
        fn never_panics_on_html_built_from_fixture_pieces(
            picks in proptest::collection::vec((any::<proptest::sample::Index>(), 0usize..4), 0..400)
        ) {
            let pieces = fixture_pieces();
            let mut html = String::new();
            for (pick, mangle) in picks {
                let piece = pick.get(&pieces);
                match mangle {
                    0 => html.push_str(piece),
                    1 => html.push_str(&piece[..piece.len() / 2 * usize::from(piece.is_char_boundary(piece.len() / 2))]),
                    2 => html.push_str(&piece.replace('>', "")),
                    _ => html.push_str(&piece.to_uppercase()),
                }
            }
            let page = parse_page(html.as_bytes(), &ParseOptions::default());
            if let Ok(page) = page {
                prop_assert!(serde_json::to_string(&page).is_ok());
            }
        }
    }

    #[test]
    fn binary_inputs_are_refused_with_a_reason() {
        assert!(matches!(
            parse_page(b"", &ParseOptions::default()),
            Err(ParseError::Empty)
        ));
        assert!(matches!(
            parse_page(b"GIF89a\x01\x00", &ParseOptions::default()),
            Err(ParseError::Binary(_))
        ));
        assert!(parse_page(b"<p>a\0b</p>", &ParseOptions::default()).is_ok());
        assert!(matches!(
            parse_page(&[0u8; 64], &ParseOptions::default()),
            Err(ParseError::Binary(_))
        ));
        assert!(parse_page(b"\xff\xfe<\0p\0>\0x\0", &ParseOptions::default()).is_ok());
    }

    #[test]
    fn an_empty_redirect_or_error_is_a_page() {
        let opts = ParseOptions {
            status: Some(301),
            redirect: Some("http://www.karlskrona.se/ny/".into()),
            ..ParseOptions::default()
        };
        let page = parse_page(b"", &opts).expect("a redirect without a body");
        assert_eq!(page.content.status, Some(301));
        assert_eq!(
            page.content.redirect.as_deref(),
            Some("http://www.karlskrona.se/ny/")
        );
        assert_eq!(page.warnings.len(), 1, "{:?}", page.warnings);
        assert!(page.warnings[0].contains("a redirect to http://www.karlskrona.se/ny/"));
        let gone = ParseOptions {
            status: Some(404),
            ..ParseOptions::default()
        };
        let page =
            parse_page(b"<html><title>Hittades inte</title></html>", &gone).expect("a 404 page");
        assert_eq!(page.content.title.as_deref(), Some("Hittades inte"));
        assert!(page.warnings[0].contains("404"), "{:?}", page.warnings);
        let ok = ParseOptions {
            status: Some(200),
            ..ParseOptions::default()
        };
        assert!(matches!(parse_page(b" ", &ok), Err(ParseError::Empty)));
    }
}
