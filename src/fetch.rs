//! HTTP, politely: one `reqwest` client (rustls, keep-alive; bodies kept as received, never asked for compressed),
//! rate limits per kind of request, retries with backoff, timeouts and a cap
//! on body size enforced while streaming.
//!
//! Redirects are not followed by reqwest: the Memento rules in
//! [`Fetcher::capture`] decide what a redirect means.

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::header::{HeaderMap, LOCATION, RETRY_AFTER};
use std::collections::HashSet;
use std::num::NonZeroU32;
use std::time::Duration;
use thiserror::Error;
use tracing::{debug, info, warn};
use url::Url;

use crate::config::Settings;
use crate::timestamp::Timestamp;
use crate::wayback;

/// Site redirects followed at most, for captures and live pages.
const MAX_HOPS: usize = 5;
/// First backoff step; doubled per retry, with jitter, capped at [`BACKOFF_MAX`].
const BACKOFF_BASE: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(30);

#[derive(Debug, Error)]
pub enum FetchError {
    #[error("{url}: excluded from the Wayback Machine ({detail})")]
    Excluded { url: String, detail: String },
    #[error("{url}: the body is larger than max_body_bytes ({limit} bytes); stopped reading")]
    TooLarge { url: String, limit: u64 },
    #[error("{url}: gave up after {attempts} attempt(s)")]
    GaveUp {
        url: String,
        attempts: u32,
        #[source]
        last: NetError,
    },
    #[error("{url}: {reason}")]
    Protocol { url: String, reason: String },
    #[error("{url}: cannot build the HTTP client")]
    Client {
        url: String,
        #[source]
        source: reqwest::Error,
    },
}

/// Why a downloaded capture could not be read into a page.
#[derive(Debug, Error)]
pub enum ReadError {
    /// Its Content-Encoding could not be undone within the size limit.
    #[error("{0}")]
    Body(String),
    #[error("cannot be parsed")]
    Parse(#[source] crate::ParseError),
}

/// What went wrong with one request, by kind, so that an operator reads
/// "the host name did not resolve" rather than a client library's wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum NetKind {
    #[error("the host name did not resolve (DNS)")]
    Dns,
    #[error("the connection was refused")]
    Refused,
    #[error("cannot connect")]
    Connect,
    #[error("the TLS handshake failed")]
    Tls,
    #[error("timed out")]
    Timeout,
    #[error("the connection was reset")]
    Reset,
    #[error("the server answered 429 Too Many Requests")]
    RateLimited,
    #[error("the server answered with an error status")]
    ServerError,
    #[error("the body was cut short")]
    Truncated,
    #[error("the request failed")]
    Other,
}

/// One failed request: its kind, a detail, and the cause below the HTTP
/// client's own wrapper (which repeats the URL the error already names).
#[derive(Debug)]
pub struct NetError {
    pub kind: NetKind,
    /// What the kind leaves out: a status code, byte counts.
    pub detail: Option<String>,
    source: Option<reqwest::Error>,
}

impl NetError {
    fn new(kind: NetKind, detail: Option<String>) -> NetError {
        NetError {
            kind,
            detail,
            source: None,
        }
    }

    /// Classifies a client error by what its cause chain says it was.
    fn from_reqwest(e: reqwest::Error) -> NetError {
        let kind = net_kind(&e);
        NetError {
            kind,
            detail: None,
            source: Some(e),
        }
    }
}

impl std::fmt::Display for NetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.detail {
            Some(d) => write!(f, "{} ({d})", self.kind),
            None => write!(f, "{}", self.kind),
        }
    }
}

impl std::error::Error for NetError {
    /// The innermost cause (the resolver's or the socket's own message);
    /// reqwest's and hyper's wrappers in between say nothing new.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        let mut cause: &(dyn std::error::Error + 'static) = self.source.as_ref()?;
        while let Some(next) = cause.source() {
            cause = next;
        }
        Some(cause)
    }
}

fn net_kind(e: &reqwest::Error) -> NetKind {
    let mut chain: Vec<&(dyn std::error::Error + 'static)> = Vec::new();
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        chain.push(c);
        cause = c.source();
    }
    let io_kind = chain
        .iter()
        .find_map(|c| c.downcast_ref::<std::io::Error>())
        .map(std::io::Error::kind);
    let said = |words: &[&str]| {
        chain.iter().any(|c| {
            let text = c.to_string().to_ascii_lowercase();
            words.iter().any(|w| text.contains(w))
        })
    };
    use std::io::ErrorKind as K;
    if e.is_timeout() || io_kind == Some(K::TimedOut) {
        NetKind::Timeout
    } else if io_kind == Some(K::ConnectionRefused) {
        NetKind::Refused
    } else if said(&[
        "dns error",
        "failed to lookup address",
        "name or service not known",
    ]) {
        NetKind::Dns
    } else if said(&["certificate", "tls", "handshake"]) {
        NetKind::Tls
    } else if matches!(
        io_kind,
        Some(K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof)
    ) || said(&["connection closed", "connection reset"])
    {
        NetKind::Reset
    } else if e.is_connect() {
        NetKind::Connect
    } else {
        NetKind::Other
    }
}

/// Which rate limit a request counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Cdx,
    Capture,
}

/// One HTTP answer, body read in full.
#[derive(Debug, Clone)]
pub struct Response {
    pub url: String,
    pub status: u16,
    /// `HTTP/1.1 200 OK`, as far as the client tells: the version, the
    /// code and its standard reason phrase.
    pub status_line: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A capture (or live page) as downloaded.
#[derive(Debug, Clone)]
pub struct Capture {
    /// The page URL as the site had it (after site redirects).
    pub original_url: String,
    /// The capture time; `None` for a live page.
    pub timestamp: Option<Timestamp>,
    /// The HTTP status the site answered with at crawl time.
    pub status: u16,
    /// The answer as received, for the archive: its status line and every
    /// header (the archive's own and the site's as `x-archive-orig-*`).
    pub status_line: String,
    pub headers: Vec<(String, String)>,
    /// Where an archived 3xx pointed, as the site wrote it (not a Wayback URL).
    pub redirect: Option<String>,
    /// The charset of the original `Content-Type`, for decode.
    pub charset: Option<String>,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

impl Capture {
    /// The body to parse: its Content-Encoding (the client asks for none,
    /// but a server may send one anyway) undone, at most `limit` bytes.
    pub fn decoded_body(&self, limit: u64) -> Result<std::borrow::Cow<'_, [u8]>, String> {
        let coding = self
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-encoding"))
            .map(|(_, v)| v.as_str());
        crate::archive::warc::decode_body(coding, &self.body, limit)
    }

    /// What the archive stores of it, under `url` at `timestamp`.
    pub fn into_stored(
        self,
        url: String,
        timestamp: Timestamp,
        kind: crate::model::SourceKind,
    ) -> (crate::archive::StoreMeta, crate::archive::Received) {
        let meta = crate::archive::StoreMeta {
            url,
            timestamp,
            kind,
            original_url: Some(self.original_url),
        };
        let received = crate::archive::Received::Http {
            status_line: self.status_line,
            headers: self.headers,
            body: self.body,
        };
        (meta, received)
    }

    /// The capture read into a page, with its HTTP status and redirect.
    pub fn page(
        &self,
        kind: crate::model::SourceKind,
        settings: &Settings,
    ) -> Result<crate::model::Page, ReadError> {
        let opts = crate::ParseOptions {
            url: Some(self.original_url.clone()),
            charset: self.charset.clone(),
            kind,
            timestamp: self.timestamp,
            budget: Some(settings.page_time_budget),
            status: Some(self.status),
            redirect: self.redirect.clone(),
        };
        let body = self
            .decoded_body(settings.max_body_bytes)
            .map_err(ReadError::Body)?;
        crate::parse_page(&body, &opts).map_err(ReadError::Parse)
    }
}

/// Headers as received, for a record. The body is kept with its chunks
/// joined, so a `Transfer-Encoding` would misdescribe it: it is kept under
/// another name, as a note of how the body came.
fn received_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| {
            let name = if k == reqwest::header::TRANSFER_ENCODING {
                "x-sidarkiv-transfer-encoding".to_owned()
            } else {
                k.as_str().to_owned()
            };
            (name, String::from_utf8_lossy(v.as_bytes()).into_owned())
        })
        .collect()
}

/// The HTTP client with its politeness rules.
pub struct Fetcher {
    client: reqwest::Client,
    settings: Settings,
    cdx: Option<DefaultDirectRateLimiter>,
    captures: Option<DefaultDirectRateLimiter>,
}

fn limiter(per: Duration) -> DefaultDirectRateLimiter {
    let quota = Quota::with_period(per).unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN));
    RateLimiter::direct(quota.allow_burst(NonZeroU32::MIN))
}

/// Outcome of one attempt, before the retry rules.
enum Attempt {
    Done(Response),
    /// 429 or a refused connection: wait this long (or the configured wait).
    Slow(Option<Duration>, NetError),
    /// 5xx, reset, timeout, short body: back off and retry.
    Transient(NetError),
    Fatal(FetchError),
}

impl Fetcher {
    pub fn new(settings: &Settings) -> Result<Fetcher, FetchError> {
        let client = reqwest::Client::builder()
            .user_agent(&settings.user_agent)
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::none())
            // Bodies are kept as received; nothing asks for them compressed.
            .no_gzip()
            .no_brotli()
            .pool_max_idle_per_host(1)
            .tcp_nodelay(true)
            .build()
            .map_err(|source| FetchError::Client {
                url: settings.wayback.to_string(),
                source,
            })?;
        Ok(Fetcher {
            client,
            cdx: settings
                .cdx_per_minute
                .map(|n| limiter(Duration::from_secs_f64(60.0 / n))),
            captures: settings
                .captures_per_second
                .map(|n| limiter(Duration::from_secs_f64(1.0 / n))),
            settings: settings.clone(),
        })
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// GET `url` under the rules for `kind`: rate limit, retries, size cap.
    pub async fn get(&self, kind: Kind, url: &str) -> Result<Response, FetchError> {
        let mut attempts = 0;
        loop {
            attempts += 1;
            let limiter = match kind {
                Kind::Cdx => &self.cdx,
                Kind::Capture => &self.captures,
            };
            if let Some(l) = limiter {
                l.until_ready().await;
            }
            let (wait, last) = match self.attempt(url).await {
                Attempt::Done(r) => return Ok(r),
                Attempt::Fatal(e) => return Err(e),
                Attempt::Slow(after, why) => (after.unwrap_or(self.settings.rate_limit_wait), why),
                // A name that does not resolve now will not in a second: one more try, not six.
                Attempt::Transient(why) if why.kind == NetKind::Dns && attempts >= 2 => {
                    return Err(FetchError::GaveUp {
                        url: url.to_owned(),
                        attempts,
                        last: why,
                    });
                }
                Attempt::Transient(why) => (backoff(attempts), why),
            };
            if attempts > self.settings.max_retries {
                return Err(FetchError::GaveUp {
                    url: url.to_owned(),
                    attempts,
                    last,
                });
            }
            warn!(
                url,
                attempt = attempts,
                wait_ms = wait.as_millis() as u64,
                "{}; retrying",
                crate::error::chain(&last)
            );
            tokio::time::sleep(wait).await;
        }
    }

    async fn attempt(&self, url: &str) -> Attempt {
        let resp = match self.client.get(url).send().await {
            Ok(r) => r,
            Err(e) => return classify(e),
        };
        let status = resp.status().as_u16();
        let version = resp.version();
        let headers = resp.headers().clone();
        let memento = headers.contains_key("memento-datetime");
        // A 429 with Memento-Datetime is the site's answer to the crawler,
        // archived years ago: a fact about the page, not the archive
        // asking us to slow down.
        if status == 429 && !memento {
            let after = headers
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<f64>().ok())
                .filter(|s| s.is_finite() && *s >= 0.0)
                .map(Duration::from_secs_f64);
            return Attempt::Slow(after, NetError::new(NetKind::RateLimited, None));
        }
        if status == 403 {
            let err = headers
                .get("x-archive-wayback-runtime-error")
                .and_then(|v| v.to_str().ok());
            if wayback::is_exclusion(err) {
                return Attempt::Fatal(FetchError::Excluded {
                    url: url.to_owned(),
                    detail: err.unwrap_or("").to_owned(),
                });
            }
        }
        if status >= 500 && !memento {
            return Attempt::Transient(NetError::new(
                NetKind::ServerError,
                Some(format!("HTTP {status}")),
            ));
        }
        let declared = resp.content_length();
        let limit = self.settings.max_body_bytes;
        if declared.is_some_and(|n| n > limit) {
            return Attempt::Fatal(FetchError::TooLarge {
                url: url.to_owned(),
                limit,
            });
        }
        let mut resp = resp;
        let mut body = Vec::with_capacity(declared.unwrap_or(0).min(limit) as usize);
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() as u64 + chunk.len() as u64 > limit {
                        return Attempt::Fatal(FetchError::TooLarge {
                            url: url.to_owned(),
                            limit,
                        });
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => {
                    let mut err = NetError::from_reqwest(e);
                    err.detail = Some(format!("after {} bytes of the body", body.len()));
                    return Attempt::Transient(err);
                }
            }
        }
        if let Some(n) = declared
            && (body.len() as u64) < n
        {
            return Attempt::Transient(NetError::new(
                NetKind::Truncated,
                Some(format!("{} of {n} bytes", body.len())),
            ));
        }
        Attempt::Done(Response {
            url: url.to_owned(),
            status,
            status_line: format!(
                "{version:?} {status} {}",
                reqwest::StatusCode::from_u16(status)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or("")
            )
            .trim_end()
            .to_owned(),
            headers,
            body,
        })
    }

    /// Downloads the capture of `original` nearest to `timestamp` in raw mode.
    ///
    /// Memento rules: a response is a capture only with `Memento-Datetime`; a
    /// 3xx without it is the archive pointing at the nearest capture (followed,
    /// at most five hops, loops refused, its timestamp recorded); a 3xx with
    /// it is a redirect the site made at crawl time: that is the capture,
    /// with where it pointed, not followed; an archived 4xx/5xx is returned
    /// as the page's status, not retried.
    pub async fn capture(
        &self,
        original: &str,
        timestamp: Timestamp,
    ) -> Result<Capture, FetchError> {
        let mut url = wayback::capture_url(&self.settings.wayback, timestamp, original);
        let mut seen = HashSet::new();
        let mut hops = 0;
        loop {
            if !seen.insert(url.clone()) {
                return Err(protocol(&url, "redirect loop"));
            }
            let r = self.get(Kind::Capture, &url).await?;
            let memento = r.header("memento-datetime").map(str::to_owned);
            if (300..400).contains(&r.status) && memento.is_none() {
                let next = self.follow(&r)?;
                debug!(from = %url, to = %next, "the archive redirects to a capture");
                hops += 1;
                if hops > MAX_HOPS {
                    return Err(protocol(&url, "more than 5 redirects"));
                }
                url = next;
                continue;
            }
            let Some(memento) = memento else {
                // The archive's exclusion page is served as a plain 200.
                if wayback::is_exclusion_page(&r.body) {
                    return Err(FetchError::Excluded {
                        url: url.clone(),
                        detail: "the archive's answer says the URL has been excluded".into(),
                    });
                }
                return Err(protocol(
                    &url,
                    &format!(
                        "answer {} without Memento-Datetime: not a Wayback capture",
                        r.status
                    ),
                ));
            };
            // The exact timestamp is in the URL we ended at, else in Memento-Datetime.
            let (ts, orig) = match wayback::split_capture_url(&url) {
                Some(found) => found,
                None => (
                    wayback::memento_timestamp(&memento).unwrap_or(timestamp),
                    original.to_owned(),
                ),
            };
            let content_type = r
                .header("x-archive-orig-content-type")
                .or(r.header("content-type"))
                .map(str::to_owned);
            let status = r
                .header("x-archive-orig-status")
                .and_then(|s| s.split_whitespace().next()?.parse().ok())
                .unwrap_or(r.status);
            // As the Wayback Machine's own key sees it: host case and a
            // default port (`:80` from the CDX `original`) do not make another page.
            let orig = wayback::normalize_url(&orig);
            let redirect = (300..400)
                .contains(&status)
                .then(|| archived_location(&r, &orig))
                .flatten();
            info!(url = %orig, timestamp = %ts, status, bytes = r.body.len(), "capture");
            return Ok(Capture {
                original_url: orig,
                timestamp: Some(ts),
                status,
                redirect,
                status_line: r.status_line,
                headers: received_headers(&r.headers),
                charset: content_type.as_deref().and_then(charset_of),
                content_type,
                body: r.body,
            });
        }
    }

    /// Downloads a live page, following up to five redirects.
    pub async fn live(&self, url: &str) -> Result<Capture, FetchError> {
        let mut url = url.to_owned();
        let mut seen = HashSet::new();
        for _ in 0..=MAX_HOPS {
            if !seen.insert(url.clone()) {
                return Err(protocol(&url, "redirect loop"));
            }
            let r = self.get(Kind::Capture, &url).await?;
            if (300..400).contains(&r.status) {
                url = self.follow(&r)?;
                continue;
            }
            let content_type = r.header("content-type").map(str::to_owned);
            return Ok(Capture {
                original_url: url,
                timestamp: None,
                status: r.status,
                redirect: None,
                status_line: r.status_line,
                headers: received_headers(&r.headers),
                charset: content_type.as_deref().and_then(charset_of),
                content_type,
                body: r.body,
            });
        }
        Err(protocol(&url, "more than 5 redirects"))
    }

    /// Where a redirect points, as an absolute URL. A Wayback URL on another
    /// host is brought back to the configured base.
    fn follow(&self, r: &Response) -> Result<String, FetchError> {
        let location = r
            .headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| protocol(&r.url, &format!("redirect {} without Location", r.status)))?;
        let base = Url::parse(&r.url).map_err(|e| protocol(&r.url, &e.to_string()))?;
        let next = base
            .join(location)
            .map_err(|e| protocol(&r.url, &format!("bad Location {location:?}: {e}")))?;
        if let Some((ts, orig)) = wayback::split_capture_url(next.as_str())
            && next.path().starts_with("/web/")
        {
            return Ok(wayback::capture_url(&self.settings.wayback, ts, &orig));
        }
        Ok(next.to_string())
    }
}

/// Where an archived redirect pointed, as the site wrote it: the archive
/// rewrites `Location` into its own `/web/<timestamp>id_/<url>` form, and
/// may keep the site's as `x-archive-orig-location`.
fn archived_location(r: &Response, original: &str) -> Option<String> {
    let target = r
        .header("x-archive-orig-location")
        .or(r.header("location"))?
        .trim();
    let absolute = Url::parse(&r.url)
        .ok()
        .and_then(|base| base.join(target).ok())
        .map(String::from);
    if let Some((_, orig)) = absolute.as_deref().and_then(wayback::split_capture_url) {
        return Some(wayback::normalize_url(&orig));
    }
    // The site's own Location, relative to the page.
    Url::parse(original)
        .ok()
        .and_then(|base| base.join(target).ok())
        .map(|u| wayback::normalize_url(u.as_str()))
}

fn protocol(url: &str, reason: &str) -> FetchError {
    FetchError::Protocol {
        url: url.to_owned(),
        reason: reason.to_owned(),
    }
}

/// A refused connection is the archive's rate limit; anything else is transient.
fn classify(e: reqwest::Error) -> Attempt {
    if e.is_builder() {
        return Attempt::Fatal(FetchError::Protocol {
            url: e.url().map(|u| u.to_string()).unwrap_or_default(),
            reason: format!("invalid request: {}", crate::error::chain(&e)),
        });
    }
    let err = NetError::from_reqwest(e);
    match err.kind {
        NetKind::Refused => Attempt::Slow(None, err),
        _ => Attempt::Transient(err),
    }
}

/// Exponential backoff with jitter (×0.5–1.5), so retries of many clients spread out.
fn backoff(attempt: u32) -> Duration {
    let exp = BACKOFF_BASE.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
    exp.min(BACKOFF_MAX).mul_f64(0.5 + fastrand::f64())
}

/// The charset parameter of a `Content-Type` value.
pub fn charset_of(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches(['"', '\'']).to_owned())
            .filter(|v| !v.is_empty())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charset_from_content_type() {
        assert_eq!(
            charset_of("text/html; charset=ISO-8859-1").as_deref(),
            Some("ISO-8859-1")
        );
        assert_eq!(
            charset_of("text/html;Charset=\"utf-8\"").as_deref(),
            Some("utf-8")
        );
        assert_eq!(charset_of("text/html"), None);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(backoff(1) <= Duration::from_millis(750));
        assert!(backoff(3) >= Duration::from_secs(1));
        assert!(backoff(30) <= BACKOFF_MAX.mul_f64(1.5));
    }
}
