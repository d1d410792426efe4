//! Removes what the Wayback Machine adds to a page it replays.
//!
//! View mode adds a script block to `<head>` (ending in
//! `<!-- End Wayback Rewrite JS Include -->`), a toolbar after `<body>`
//! (between `BEGIN/END WAYBACK TOOLBAR INSERT` comments), trailing
//! `FILE ARCHIVED ON` and `playback timings` comments, and rewrites every URL to
//! `/web/<timestamp><flag>/<original>`. All of these are ASCII, so they are cut
//! from the raw bytes before decoding: that also brings a `<meta charset>` the
//! head block pushed past the prescan's 1024 bytes back into reach. URLs are
//! unwrapped later, per attribute, by [`unwrap_url`].

use regex::Regex;
use regex::bytes::Regex as BytesRegex;
use std::borrow::Cow;
use std::sync::LazyLock;

const TOOLBAR_BEGIN: &[u8] = b"<!-- BEGIN WAYBACK TOOLBAR INSERT -->";
const TOOLBAR_END: &[u8] = b"<!-- END WAYBACK TOOLBAR INSERT -->";
const HEAD_END: &[u8] = b"<!-- End Wayback Rewrite JS Include -->";

/// The raw bytes with the Wayback additions cut out, and what they told.
#[derive(Debug, Clone)]
pub struct Cleaned<'a> {
    pub bytes: Cow<'a, [u8]>,
    /// Whether anything was removed.
    pub removed: bool,
    /// The capture's timestamp, when the copy shows it.
    pub timestamp: Option<crate::timestamp::Timestamp>,
    /// The archived page's own URL, when the copy shows it.
    pub original_url: Option<String>,
}

static WOMBAT: LazyLock<BytesRegex> = LazyLock::new(|| {
    BytesRegex::new(r#"__wm\.wombat\(\s*"([^"\s]+)"\s*,\s*"(\d{14})""#).expect("static regex")
});
static TOOLBAR_BT: LazyLock<BytesRegex> = LazyLock::new(|| {
    BytesRegex::new(r#"__wm\.bt\(\s*[\d\s,]+"[^"]*"\s*,\s*"([^"\s]+)"\s*,\s*"(\d{14})?"#)
        .expect("static regex")
});
static WB_INIT: LazyLock<BytesRegex> = LazyLock::new(|| {
    BytesRegex::new(r#"WB_wombat_Init\(\s*["'][^"']*["']\s*,\s*["'](\d{14})["']"#)
        .expect("static regex")
});
static CURRENT_URL: LazyLock<BytesRegex> =
    LazyLock::new(|| BytesRegex::new(r#"wbCurrentUrl\s*=\s*"([^"\s]+)""#).expect("static regex"));
static ARCHIVED_ON: LazyLock<BytesRegex> = LazyLock::new(|| {
    BytesRegex::new(r"<!--\s*FILE ARCHIVED ON (\d{1,2}):(\d{2}):(\d{2}) ([A-Za-z]{3}) (\d{1,2}), (\d{4})[^>]*?-->")
        .expect("static regex")
});
static PLAYBACK: LazyLock<BytesRegex> =
    LazyLock::new(|| BytesRegex::new(r"<!--\s*playback timings[^>]*?-->").expect("static regex"));
static LINK_TS: LazyLock<BytesRegex> =
    LazyLock::new(|| BytesRegex::new(r"/web/(\d{14})/https?:").expect("static regex"));
static WAYBACK_URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:(?:https?:)?//(?:web\.|wayback\.)?archive\.org)?/web/\d{1,14}(?:[a-z]{2}_|\*)?/+(.+)$")
        .expect("static regex")
});
static WAYBACK_IN_TEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:https?:)?//web\.archive\.org/web/\d{1,14}(?:[a-z]{2}_)?/")
        .expect("static regex")
});

/// Cuts the Wayback additions out of `bytes` and reads the capture's timestamp
/// and URL from them. A page without additions is returned borrowed.
pub fn strip_wayback(bytes: &[u8]) -> Cleaned<'_> {
    // Every addition names the archive or its scripts; most pages have none.
    let marked = [
        "__wm",
        "WB_wombat",
        "wbCurrentUrl",
        "FILE ARCHIVED ON",
        "playback timings",
        "WAYBACK",
        "Wayback",
    ]
    .iter()
    .any(|m| memchr::memmem::find(bytes, m.as_bytes()).is_some());
    if !marked {
        return Cleaned {
            bytes: Cow::Borrowed(bytes),
            removed: false,
            timestamp: None,
            original_url: None,
        };
    }
    let mut cuts: Vec<(usize, usize)> = Vec::new();
    let mut timestamp = None;
    let mut original_url = None;

    for re in [&*WOMBAT, &*TOOLBAR_BT] {
        if let Some(c) = re.captures(bytes) {
            original_url = original_url.or_else(|| ascii(&c[1]));
            timestamp = timestamp.or_else(|| c.get(2).and_then(|m| ascii(m.as_bytes())));
        }
    }
    if let Some(c) = WB_INIT.captures(bytes) {
        timestamp = timestamp.or_else(|| ascii(&c[1]));
    }
    if let Some(c) = CURRENT_URL.captures(bytes) {
        original_url = original_url.or_else(|| ascii(&c[1]));
    }
    if let Some(c) = ARCHIVED_ON.captures(bytes) {
        timestamp = timestamp.or_else(|| archived_on_timestamp(&c));
        cuts.push(span(&c));
    }
    if let Some(m) = PLAYBACK.find(bytes) {
        cuts.push((m.start(), m.end()));
    }
    if let Some(begin) = find(bytes, 0, TOOLBAR_BEGIN)
        && let Some(end) = find(bytes, begin, TOOLBAR_END)
    {
        cuts.push((begin, end + TOOLBAR_END.len()));
    }
    if let Some(end) = find(bytes, 0, HEAD_END) {
        let start = head_insert_start(&bytes[..end]).unwrap_or(end);
        cuts.push((start, end + HEAD_END.len()));
    }
    if timestamp.is_none() && !cuts.is_empty() {
        timestamp = most_common_link_timestamp(bytes);
    }
    let original_url = original_url.map(|u| unwrap_url(&u).unwrap_or(u));
    let timestamp = timestamp.and_then(|t: String| t.parse().ok());

    if cuts.is_empty() {
        return Cleaned {
            bytes: Cow::Borrowed(bytes),
            removed: false,
            timestamp,
            original_url,
        };
    }
    cuts.sort_unstable();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    for (start, end) in cuts {
        if start > at {
            out.extend_from_slice(&bytes[at..start]);
        }
        at = at.max(end);
    }
    out.extend_from_slice(&bytes[at.min(bytes.len())..]);
    Cleaned {
        bytes: Cow::Owned(out),
        removed: true,
        timestamp,
        original_url,
    }
}

/// Where Wayback's head block starts: right after `<head ...>`, provided the
/// stretch up to the end marker holds none of the page's own head content.
fn head_insert_start(before_marker: &[u8]) -> Option<usize> {
    let head = rfind_ci(before_marker, b"<head")?;
    let start = head + before_marker[head..].iter().position(|&c| c == b'>')? + 1;
    let between = &before_marker[start..];
    let owns_page_content =
        find_ci(between, b"<title").is_some() || find_ci(between, b"<meta").is_some();
    (!owns_page_content).then_some(start)
}

fn archived_on_timestamp(c: &regex::bytes::Captures<'_>) -> Option<String> {
    const MONTHS: [&[u8]; 12] = [
        b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov",
        b"dec",
    ];
    let month = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(&c[4]))? + 1;
    let num = |i: usize| std::str::from_utf8(&c[i]).ok()?.parse::<u32>().ok();
    Some(format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        num(6)?,
        month,
        num(5)?,
        num(1)?,
        num(2)?,
        num(3)?
    ))
}

fn most_common_link_timestamp(bytes: &[u8]) -> Option<String> {
    let mut counts: Vec<(&[u8], usize)> = Vec::new();
    for c in LINK_TS.captures_iter(bytes) {
        let ts = c.get(1)?.as_bytes();
        match counts.iter_mut().find(|(t, _)| *t == ts) {
            Some((_, n)) => *n += 1,
            None => counts.push((ts, 1)),
        }
    }
    counts
        .into_iter()
        .max_by_key(|&(_, n)| n)
        .and_then(|(t, _)| ascii(t))
}

/// The original URL inside a Wayback-rewritten one (`/web/20100426093512/http://…`,
/// `https://web.archive.org/web/20100426093512im_/…`); `None` for any other URL.
pub fn unwrap_url(href: &str) -> Option<String> {
    let rest = WAYBACK_URL.captures(href.trim())?.get(1)?.as_str();
    let lower = rest.get(..8).unwrap_or(rest).to_ascii_lowercase();
    for scheme in ["https:", "http:"] {
        if lower.starts_with(scheme) {
            let after = rest[scheme.len()..].trim_start_matches('/');
            return Some(format!("{scheme}//{after}"));
        }
    }
    if let Some(after) = rest.strip_prefix("//") {
        return Some(format!("http://{after}"));
    }
    // A scheme-less remainder must at least start with a host name.
    let host = rest.split('/').next().unwrap_or("");
    (host.contains('.') && !host.contains(char::is_whitespace)).then(|| format!("http://{rest}"))
}

/// Removes absolute Wayback prefixes from running text ("Länk till sidan: https://web.archive.org/web/…/http://…").
pub fn unwrap_in_text(text: &str) -> Cow<'_, str> {
    if text.contains("archive.org/web/") {
        WAYBACK_IN_TEXT.replace_all(text, "")
    } else {
        Cow::Borrowed(text)
    }
}

fn span(c: &regex::bytes::Captures<'_>) -> (usize, usize) {
    c.get(0).map_or((0, 0), |m| (m.start(), m.end()))
}

fn ascii(b: &[u8]) -> Option<String> {
    std::str::from_utf8(b).ok().map(str::to_owned)
}

fn find(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay.get(from..)?, needle).map(|p| p + from)
}

fn find_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

fn rfind_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len())
        .rposition(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unwraps_every_rewritten_form() {
        let page = "http://www.karlskrona.se/sv/";
        for href in [
            "/web/20100426093512/http://www.karlskrona.se/sv/",
            "https://web.archive.org/web/20100426093512/http://www.karlskrona.se/sv/",
            "http://web.archive.org/web/20100426093512im_/http://www.karlskrona.se/sv/",
            "//web.archive.org/web/20100426093512js_/http://www.karlskrona.se/sv/",
            "/web/20100426093512cs_/http:/www.karlskrona.se/sv/",
            "/web/2010/www.karlskrona.se/sv/",
        ] {
            assert_eq!(unwrap_url(href).as_deref(), Some(page), "{href}");
        }
        assert_eq!(unwrap_url("/sv/Om-kommunen/"), None);
        assert_eq!(
            unwrap_url("/web/2010/rapport/"),
            None,
            "a site's own /web/ path stays"
        );
    }

    #[test]
    fn unwraps_text() {
        assert_eq!(
            unwrap_in_text(
                "Länk till sidan: https://web.archive.org/web/20100426093512/http://www.karlskrona.se/x/"
            ),
            "Länk till sidan: http://www.karlskrona.se/x/"
        );
    }

    #[test]
    fn strips_view_mode_and_keeps_timestamp() {
        let page = b"<html><head>\n<script src=\"//archive.org/includes/analytics.js\"></script>\n\
<script>__wm.wombat(\"http://www.karlskrona.se/\",\"20100426093512\",\"https://web.archive.org/\");</script>\n\
<!-- End Wayback Rewrite JS Include -->\n<title>T</title></head><body>\n\
<!-- BEGIN WAYBACK TOOLBAR INSERT -->toolbar<!-- END WAYBACK TOOLBAR INSERT -->\n<p>Text</p></body></html>\n\
<!--\n     FILE ARCHIVED ON 9:35:12 Apr 26, 2010 AND RETRIEVED FROM THE\n     INTERNET ARCHIVE ON 14:02:11 Nov 20, 2026.\n-->\n\
<!--\nplayback timings (ms):\n  captures_list: 0.563\n-->";
        let c = strip_wayback(page);
        let text = String::from_utf8_lossy(&c.bytes);
        assert!(c.removed);
        assert!(c.timestamp.is_some_and(|t| t == "20100426093512"));
        assert_eq!(c.original_url.as_deref(), Some("http://www.karlskrona.se/"));
        for gone in [
            "toolbar",
            "analytics",
            "wombat",
            "FILE ARCHIVED",
            "playback",
            "End Wayback",
        ] {
            assert!(!text.contains(gone), "{gone} left in {text}");
        }
        assert!(text.contains("<title>T</title>") && text.contains("<p>Text</p>"));
    }

    #[test]
    fn timestamp_from_archived_on_comment_alone() {
        let c = strip_wayback(
            b"<p>x</p><!-- FILE ARCHIVED ON 3:42:17 Mar 22, 2015 AND RETRIEVED FROM THE ... -->",
        );
        assert!(c.timestamp.is_some_and(|t| t == "20150322034217"));
    }

    #[test]
    fn plain_page_is_borrowed() {
        let c = strip_wayback(b"<html><head><title>x</title></head></html>");
        assert!(matches!(c.bytes, Cow::Borrowed(_)) && !c.removed && c.timestamp.is_none());
    }
}
