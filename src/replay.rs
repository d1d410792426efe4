//! Offline mode: a Wayback-compatible server on 127.0.0.1 that replays
//! responses recorded in a WARC file — CDX answers and raw captures — so that
//! `sync --offline` runs the very same pipeline (HTTP client, Memento rules,
//! decode, archive) with no network.
//!
//! CDX answers are filtered by the request's `from` / `to`, as the real API
//! does, so a second offline run sees only what is newer than its cursor.
//! The server is hand-written on tokio: it answers our own client on loopback
//! with a handful of recorded responses, less code than wiring a framework.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use thiserror::Error;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::archive::warc::{self, Reader};

#[derive(Debug, Error)]
pub enum ReplayError {
    #[error("cannot read the recording {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the recording {0} holds no recorded responses")]
    Empty(String),
}

/// One recorded answer.
#[derive(Debug, Clone)]
struct Recorded {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// The responses of a recording, by request path and query.
#[derive(Debug, Default)]
pub struct Recording {
    by_target: HashMap<String, Recorded>,
    /// CDX answers by their `url` parameter.
    cdx: HashMap<String, Recorded>,
}

impl Recording {
    pub fn load(path: &Path) -> Result<Recording, ReplayError> {
        let name = path.display().to_string();
        let err = |source| ReplayError::Read {
            path: name.clone(),
            source,
        };
        let file = std::fs::File::open(path).map_err(err)?;
        let gz = name.ends_with(".gz");
        let mut reader = Reader::new(file, gz, 100_000_000);
        let mut rec = Recording::default();
        while let Some(record) = reader.next_record().map_err(err)? {
            if record.header("WARC-Type") != Some("response") {
                continue;
            }
            let Some(uri) = record
                .header("WARC-Target-URI")
                .and_then(|u| url::Url::parse(u.trim_matches(['<', '>'])).ok())
            else {
                continue;
            };
            let Some(http) = warc::parse_http_response(&record.block) else {
                continue;
            };
            let recorded = Recorded {
                status: http.status,
                headers: http
                    .headers
                    .into_iter()
                    .filter(|(k, _)| !is_hop_header(k))
                    .collect(),
                body: http.body,
            };
            if uri.path().ends_with("/cdx/search/cdx")
                && let Some((_, u)) = uri.query_pairs().find(|(k, _)| k == "url")
            {
                rec.cdx.insert(u.into_owned(), recorded.clone());
            }
            let target = match uri.query() {
                Some(q) => format!("{}?{q}", uri.path()),
                None => uri.path().to_owned(),
            };
            rec.by_target.insert(target, recorded);
        }
        if rec.by_target.is_empty() {
            return Err(ReplayError::Empty(name));
        }
        Ok(rec)
    }

    /// The answer to one request target.
    fn answer(&self, target: &str) -> Recorded {
        let parsed = url::Url::parse(&format!("http://replay{target}")).ok();
        if let Some(u) = parsed
            .as_ref()
            .filter(|u| u.path().ends_with("/cdx/search/cdx"))
        {
            let q: HashMap<String, String> = u
                .query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            return match q.get("url").and_then(|url| self.cdx.get(url)) {
                Some(recorded) => filter_cdx(recorded, q.get("from"), q.get("to")),
                None => Recorded {
                    status: 200,
                    headers: vec![("Content-Type".into(), "application/json".into())],
                    body: b"[]".to_vec(),
                },
            };
        }
        self.by_target
            .get(target)
            .cloned()
            .unwrap_or_else(|| Recorded {
                status: 404,
                headers: vec![("Content-Type".into(), "text/plain".into())],
                body: b"not in the recording".to_vec(),
            })
    }
}

fn is_hop_header(name: &str) -> bool {
    [
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
    ]
    .iter()
    .any(|h| name.eq_ignore_ascii_case(h))
}

/// Keeps the rows whose timestamp lies within `from`..=`to` (prefixes, as CDX reads them).
fn filter_cdx(recorded: &Recorded, from: Option<&String>, to: Option<&String>) -> Recorded {
    let Ok(rows) = serde_json::from_slice::<Vec<Vec<String>>>(&recorded.body) else {
        return recorded.clone();
    };
    let Some((header, rest)) = rows.split_first() else {
        return recorded.clone();
    };
    let ts_col = header.iter().position(|h| h == "timestamp").unwrap_or(0);
    let lo = from.map(|f| format!("{f:0<14}"));
    let hi = to.map(|t| format!("{t:9<14}"));
    let mut kept = vec![header.clone()];
    for row in rest.iter().filter(|r| !r.is_empty() && r.len() > ts_col) {
        let ts = &row[ts_col];
        if lo.as_ref().is_none_or(|lo| ts >= lo) && hi.as_ref().is_none_or(|hi| ts <= hi) {
            kept.push(row.clone());
        }
    }
    Recorded {
        body: serde_json::to_vec(&kept).unwrap_or_else(|_| b"[]".to_vec()),
        ..recorded.clone()
    }
}

/// Serves `recording` on 127.0.0.1 until the runtime ends; returns the base URL.
pub async fn serve(recording: Recording) -> std::io::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let recording = Arc::new(recording);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let recording = recording.clone();
            tokio::spawn(async move {
                let _ = stream.set_nodelay(true);
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read);
                loop {
                    let mut request = String::new();
                    if lines.read_line(&mut request).await.unwrap_or(0) == 0 {
                        return;
                    }
                    loop {
                        let mut header = String::new();
                        if lines.read_line(&mut header).await.unwrap_or(0) == 0 {
                            return;
                        }
                        if header.trim().is_empty() {
                            break;
                        }
                    }
                    let target = request.split_whitespace().nth(1).unwrap_or("/");
                    let r = recording.answer(target);
                    let mut head = format!(
                        "HTTP/1.1 {} Recorded\r\nContent-Length: {}\r\n",
                        r.status,
                        r.body.len()
                    );
                    for (k, v) in &r.headers {
                        head.push_str(&format!("{k}: {v}\r\n"));
                    }
                    head.push_str("\r\n");
                    if write.write_all(head.as_bytes()).await.is_err()
                        || write.write_all(&r.body).await.is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    Ok(base)
}
