//! The Wayback Machine's interfaces: the CDX API that lists captures and the
//! raw (`id_`) capture URLs, with the Memento rules that tell a capture from
//! the archive's own redirects and errors.

use serde::{Deserialize, Serialize};
use std::sync::LazyLock;
use thiserror::Error;
use url::Url;

use crate::timestamp::Timestamp;

/// The CDX fields sidarkiv asks for, in this order.
pub const CDX_FIELDS: &str = "timestamp,original,mimetype,statuscode,digest,length";

/// One capture as the CDX API lists it; values other than the timestamp
/// are strings, as CDX gives them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CdxRow {
    pub timestamp: Timestamp,
    pub original: String,
    pub mimetype: String,
    pub statuscode: String,
    pub digest: String,
    pub length: String,
}

/// One page of a CDX answer.
#[derive(Debug, Clone, Default)]
pub struct CdxPage {
    pub rows: Vec<CdxRow>,
    /// Pass back as `resumeKey=` to get the next page.
    pub resume_key: Option<String>,
    /// Rows that could not be read (wrong length, missing fields).
    pub skipped: usize,
}

#[derive(Debug, Error)]
pub enum WaybackError {
    #[error("the CDX answer is not JSON: {0}")]
    NotJson(#[source] serde_json::Error),
    #[error("the CDX answer is not a JSON array of string rows")]
    Shape,
    #[error("the CDX header row lacks the field {0:?}")]
    MissingField(&'static str),
}

/// What to ask the CDX API for: every capture of `url` between the
/// timestamp prefixes `from` and `to`, never collapsed (a page that returns
/// to an earlier text lists that digest again), narrowed only by the
/// user's `cdx_filter` expressions.
#[derive(Debug, Clone, Copy)]
pub struct CdxQuery<'a> {
    pub url: &'a str,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub filters: &'a [String],
    /// Every URL under `url` (`matchType=prefix`), not only `url` itself.
    pub prefix: bool,
}

/// The CDX fields a filter expression may name.
const FILTER_FIELDS: &[&str] = &[
    "urlkey",
    "timestamp",
    "original",
    "mimetype",
    "statuscode",
    "digest",
    "length",
    "redirect",
    "robotflags",
    "offset",
    "filename",
];

/// Checks one CDX filter expression (`[!][~]field:regex`, as the Wayback
/// CDX server reads it), so that a typo is an error before any request.
pub fn check_filter(expr: &str) -> Result<(), &'static str> {
    let body = expr.strip_prefix('!').unwrap_or(expr);
    let body = body.strip_prefix('~').unwrap_or(body);
    let Some((field, pattern)) = body.split_once(':') else {
        return Err(
            "a CDX filter: [!][~]field:regex, e.g. statuscode:200 or !mimetype:warc/revisit",
        );
    };
    if !FILTER_FIELDS.contains(&field) {
        return Err(
            "a CDX filter on a CDX field (urlkey, timestamp, original, mimetype, statuscode, digest, length, …)",
        );
    }
    if regex::Regex::new(pattern).is_err() || expr.chars().any(char::is_control) {
        return Err("a CDX filter whose pattern is a regular expression");
    }
    Ok(())
}

pub fn cdx_url(base: &Url, query: &CdxQuery<'_>, limit: usize, resume: Option<&str>) -> Url {
    let mut q = base.clone();
    q.set_path(&format!(
        "{}/cdx/search/cdx",
        base.path().trim_end_matches('/')
    ));
    {
        let mut pairs = q.query_pairs_mut();
        pairs.clear();
        pairs.append_pair("url", query.url);
        if query.prefix {
            pairs.append_pair("matchType", "prefix");
        }
        pairs.append_pair("output", "json");
        pairs.append_pair("fl", CDX_FIELDS);
        if let Some(f) = query.from {
            pairs.append_pair("from", f.as_str());
        }
        if let Some(t) = query.to {
            pairs.append_pair("to", t.as_str());
        }
        for f in query.filters {
            pairs.append_pair("filter", f);
        }
        pairs.append_pair("limit", &limit.to_string());
        pairs.append_pair("showResumeKey", "true");
        if let Some(r) = resume {
            pairs.append_pair("resumeKey", r);
        }
    }
    q
}

/// Reads a CDX JSON answer: a header row of field names, then one row per
/// capture; with paging, an empty row and then `[resume key]`.
pub fn parse_cdx(body: &[u8]) -> Result<CdxPage, WaybackError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(CdxPage::default());
    }
    let rows: Vec<Vec<String>> = serde_json::from_slice(body).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => WaybackError::Shape,
        _ => WaybackError::NotJson(e),
    })?;
    let mut page = CdxPage::default();
    let Some((header, rest)) = rows.split_first() else {
        return Ok(page);
    };
    let col = |name: &'static str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or(WaybackError::MissingField(name))
    };
    let idx = [
        col("timestamp")?,
        col("original")?,
        col("mimetype")?,
        col("statuscode")?,
        col("digest")?,
        col("length")?,
    ];
    let mut rest = rest;
    if let [body @ .., empty, key] = rest
        && empty.is_empty()
        && key.len() == 1
    {
        page.resume_key = Some(key[0].clone());
        rest = body;
    }
    for row in rest {
        let get = |i: usize| row.get(idx[i]).cloned();
        let timestamp = row.get(idx[0]).and_then(|t| Timestamp::parse(t).ok());
        match (timestamp, get(1), get(2), get(3), get(4), get(5)) {
            (
                Some(timestamp),
                Some(original),
                Some(mimetype),
                Some(statuscode),
                Some(digest),
                Some(length),
            ) => page.rows.push(CdxRow {
                timestamp,
                original,
                mimetype,
                statuscode,
                digest,
                length,
            }),
            _ => page.skipped += 1,
        }
    }
    Ok(page)
}

/// The raw capture URL: the original bytes without Wayback's additions.
pub fn capture_url(base: &Url, timestamp: Timestamp, original: &str) -> String {
    format!(
        "{}/web/{timestamp}id_/{original}",
        base.as_str().trim_end_matches('/')
    )
}

static WEB_PATH: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"/web/([0-9]{14})(?:[a-z]{2}_)?/(.+)$").expect("static regex")
});

/// The timestamp and original URL inside a capture URL (`…/web/<ts>id_/<url>`).
pub fn split_capture_url(url: &str) -> Option<(Timestamp, String)> {
    let c = WEB_PATH.captures(url)?;
    let timestamp = Timestamp::parse(&c[1]).ok()?;
    let original = crate::clean::unwrap_url(&format!("/web/{}/{}", &c[1], &c[2]))?;
    Some((timestamp, original))
}

/// `Memento-Datetime: Mon, 26 Apr 2010 09:35:12 GMT` as a timestamp.
pub fn memento_timestamp(value: &str) -> Option<Timestamp> {
    let t = jiff::fmt::rfc2822::parse(value.trim()).ok()?;
    Some(Timestamp::from_jiff(t.timestamp()))
}

/// Whether an answer without `Memento-Datetime` is the archive's page
/// saying the URL "has been excluded from the Wayback Machine".
pub fn is_exclusion_page(body: &[u8]) -> bool {
    let head = &body[..body.len().min(64 * 1024)];
    let text = String::from_utf8_lossy(head).to_lowercase();
    text.contains("has been excluded")
}

/// A URL as the Wayback Machine's SURT key compares it, for display: host
/// in lower case, no default port. `www.` and the scheme stay as written.
pub fn normalize_url(url: &str) -> String {
    Url::parse(url).map_or_else(|_| url.to_owned(), String::from)
}

/// Whether a 403 says the site is excluded from the Wayback Machine.
pub fn is_exclusion(runtime_error: Option<&str>) -> bool {
    runtime_error.is_some_and(|e| {
        let e = e.to_ascii_lowercase();
        e.contains("accesscontrolexception") || e.contains("excluded") || e.contains("blocked")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("a test timestamp")
    }

    #[test]
    fn query_url_has_every_parameter() {
        let base = Url::parse("http://127.0.0.1:8080").expect("url");
        let q = cdx_url(
            &base,
            &CdxQuery {
                url: "http://www.karlskrona.se/sv/",
                from: Some(ts("20090101000000")),
                to: Some(ts("20121231235959")),
                filters: &[
                    "statuscode:200".to_owned(),
                    "!mimetype:warc/revisit".to_owned(),
                ],
                prefix: false,
            },
            500,
            Some("k 1"),
        );
        assert_eq!(
            q.as_str(),
            "http://127.0.0.1:8080/cdx/search/cdx?url=http%3A%2F%2Fwww.karlskrona.se%2Fsv%2F&output=json\
             &fl=timestamp%2Coriginal%2Cmimetype%2Cstatuscode%2Cdigest%2Clength&from=20090101000000&to=20121231235959\
             &filter=statuscode%3A200&filter=%21mimetype%3Awarc%2Frevisit&limit=500&showResumeKey=true&resumeKey=k+1"
        );
    }

    #[test]
    fn parses_rows_and_resume_key() {
        let body = br#"[["timestamp","original","mimetype","statuscode","digest","length"],
            ["20100426093512","http://www.karlskrona.se/","text/html","200","ABC","1234"],
            ["2010","short"],
            [],
            ["se,karlskrona)/ 20100426093512"]]"#;
        let page = parse_cdx(body).expect("parses");
        assert_eq!(page.rows.len(), 1);
        assert_eq!(page.skipped, 1);
        assert_eq!(
            page.resume_key.as_deref(),
            Some("se,karlskrona)/ 20100426093512")
        );
        assert!(parse_cdx(b"[]").expect("empty").rows.is_empty());
        assert!(parse_cdx(b"").expect("blank").rows.is_empty());
        assert!(parse_cdx(b"<html>").is_err());
        assert!(parse_cdx(b"[[\"original\"]]").is_err());
        assert!(matches!(parse_cdx(b"[[1, 2]]"), Err(WaybackError::Shape)));
        assert!(matches!(
            parse_cdx(b"[[\"a\""),
            Err(WaybackError::NotJson(_))
        ));
    }

    #[test]
    fn capture_urls_and_mementos() {
        let base = Url::parse("https://web.archive.org/").expect("url");
        let u = capture_url(&base, ts("20100426093512"), "http://www.karlskrona.se/sv/");
        assert_eq!(
            u,
            "https://web.archive.org/web/20100426093512id_/http://www.karlskrona.se/sv/"
        );
        assert_eq!(
            split_capture_url(&u),
            Some((ts("20100426093512"), "http://www.karlskrona.se/sv/".into()))
        );
        assert_eq!(
            memento_timestamp("Mon, 26 Apr 2010 09:35:12 GMT"),
            Some(ts("20100426093512"))
        );
        assert!(is_exclusion(Some(
            "AdministrativeAccessControlException: Blocked Site Error"
        )));
        assert!(!is_exclusion(None));
    }

    #[test]
    fn filters_are_checked() {
        for good in [
            "statuscode:200",
            "!statuscode:[45]..",
            "~original:.*\\.html$",
            "!mimetype:warc/revisit",
        ] {
            assert_eq!(check_filter(good), Ok(()), "{good}");
        }
        for bad in [
            "statuscode",
            "status:200",
            "statuscode:(",
            "",
            "statuscode:2\n00",
        ] {
            assert!(check_filter(bad).is_err(), "{bad}");
        }
    }
}
