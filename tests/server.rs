//! A real HTTP/1.1 server on 127.0.0.1 for tests, written on std's sockets so
//! that it can misbehave the way the Wayback Machine does: 429s, 5xx, reset
//! connections, truncated bodies, slow answers, refused connections.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Hit {
    /// Path and query, as sent.
    pub target: String,
    pub headers: HashMap<String, String>,
    pub at: Instant,
    /// Which TCP connection carried it (numbered from 0).
    pub connection: usize,
}

/// What to answer.
pub enum Reply {
    Full {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Declares `declared` bytes in Content-Length, sends `body`, then closes.
    Truncated { declared: usize, body: Vec<u8> },
    /// Closes the connection without answering.
    Reset,
    /// Waits, then answers.
    Slow(Duration, Box<Reply>),
    /// A chunked body of `bytes` bytes, never declared up front.
    Chunked { bytes: usize },
}

impl Reply {
    pub fn ok(body: impl Into<Vec<u8>>, headers: &[(&str, &str)]) -> Reply {
        Reply::status(200, body, headers)
    }

    pub fn status(status: u16, body: impl Into<Vec<u8>>, headers: &[(&str, &str)]) -> Reply {
        Reply::Full {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            body: body.into(),
        }
    }
}

/// The handler gets the request and how many times this target was asked before.
pub type Handler = dyn Fn(&Hit, usize) -> Reply + Send + Sync;

pub struct Server {
    pub base: String,
    hits: Arc<Mutex<Vec<Hit>>>,
}

impl Server {
    pub fn start(handler: impl Fn(&Hit, usize) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        Server::serve(listener, Arc::new(handler))
    }

    /// A server whose port refuses connections until `delay` has passed.
    pub fn start_after(
        delay: Duration,
        handler: impl Fn(&Hit, usize) -> Reply + Send + Sync + 'static,
    ) -> Server {
        let port = TcpListener::bind("127.0.0.1:0")
            .expect("bind")
            .local_addr()
            .expect("addr")
            .port();
        let hits = Arc::new(Mutex::new(Vec::new()));
        let server = Server {
            base: format!("http://127.0.0.1:{port}"),
            hits: hits.clone(),
        };
        let handler: Arc<Handler> = Arc::new(handler);
        thread::spawn(move || {
            thread::sleep(delay);
            let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind later");
            accept(listener, handler, hits);
        });
        server
    }

    fn serve(listener: TcpListener, handler: Arc<Handler>) -> Server {
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let hits = Arc::new(Mutex::new(Vec::new()));
        let h = hits.clone();
        thread::spawn(move || accept(listener, handler, h));
        Server { base, hits }
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.hits.lock().expect("hits").clone()
    }
}

/// How late a request may arrive on a machine busy with other work: seen
/// up to 110 ms on two cores running two test suites at once.
const ARRIVAL_JITTER: Duration = Duration::from_millis(200);

/// Whether `hits` kept to one request per `period`. Arrival times jitter
/// (a first connection, a busy core), so each span may fall short of its
/// requests' share by half a period and [`ARRIVAL_JITTER`]; over a run of
/// many requests the rate still shows, and a burst of them fails.
pub fn keeps_rate(hits: &[Hit], period: Duration) -> Result<(), String> {
    let slack = period / 2 + ARRIVAL_JITTER;
    for (i, first) in hits.iter().enumerate() {
        for (n, later) in hits[i + 1..].iter().enumerate() {
            let span = later.at.duration_since(first.at);
            let due = period * (n as u32 + 1);
            if span + slack < due {
                return Err(format!(
                    "{} requests within {span:?}, due no sooner than {due:?}",
                    n + 2
                ));
            }
        }
    }
    Ok(())
}

fn accept(listener: TcpListener, handler: Arc<Handler>, hits: Arc<Mutex<Vec<Hit>>>) {
    let connections = Arc::new(AtomicUsize::new(0));
    let seen: Arc<Mutex<HashMap<String, usize>>> = Arc::new(Mutex::new(HashMap::new()));
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let id = connections.fetch_add(1, Ordering::SeqCst);
        let (handler, hits, seen) = (handler.clone(), hits.clone(), seen.clone());
        thread::spawn(move || connection(stream, id, &*handler, &hits, &seen));
    }
}

fn connection(
    stream: TcpStream,
    id: usize,
    handler: &Handler,
    hits: &Mutex<Vec<Hit>>,
    seen: &Mutex<HashMap<String, usize>>,
) {
    // Head and body go out in separate writes: without this, Nagle and the
    // client's delayed ACK add 40 ms to every answer on a kept-alive connection.
    let _ = stream.set_nodelay(true);
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut stream = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let target = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
        let mut headers = HashMap::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
            }
        }
        let hit = Hit {
            target: target.clone(),
            headers,
            at: Instant::now(),
            connection: id,
        };
        hits.lock().expect("hits").push(hit.clone());
        let n = {
            let mut seen = seen.lock().expect("seen");
            let n = seen.entry(target).or_insert(0);
            *n += 1;
            *n - 1
        };
        if !answer(&mut stream, handler(&hit, n)) {
            return;
        }
    }
}

/// Writes the reply; false when the connection is to be closed.
fn answer(stream: &mut TcpStream, reply: Reply) -> bool {
    match reply {
        Reply::Full {
            status,
            headers,
            body,
        } => {
            let mut head = format!(
                "HTTP/1.1 {status} {}\r\nContent-Length: {}\r\n",
                reason(status),
                body.len()
            );
            for (k, v) in headers {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str("\r\n");
            stream.write_all(head.as_bytes()).is_ok() && stream.write_all(&body).is_ok()
        }
        Reply::Truncated { declared, body } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {declared}\r\nMemento-Datetime: Mon, 26 Apr 2010 09:35:12 GMT\r\n\r\n"
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
            let _ = stream.flush();
            let _ = stream.shutdown(std::net::Shutdown::Both);
            false
        }
        Reply::Reset => {
            let _ = stream.shutdown(std::net::Shutdown::Both);
            false
        }
        Reply::Slow(delay, then) => {
            thread::sleep(delay);
            answer(stream, *then)
        }
        Reply::Chunked { bytes } => {
            let head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nMemento-Datetime: Mon, 26 Apr 2010 09:35:12 GMT\r\n\r\n";
            if stream.write_all(head.as_bytes()).is_err() {
                return false;
            }
            let chunk = vec![b'x'; 64 * 1024];
            let mut sent = 0;
            while sent < bytes {
                let n = chunk.len().min(bytes - sent);
                if stream.write_all(format!("{n:x}\r\n").as_bytes()).is_err()
                    || stream.write_all(&chunk[..n]).is_err()
                    || stream.write_all(b"\r\n").is_err()
                {
                    return false; // the client stopped reading: what we want
                }
                sent += n;
            }
            stream.write_all(b"0\r\n\r\n").is_ok()
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        503 => "Service Unavailable",
        _ => "Status",
    }
}
