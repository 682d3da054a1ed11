//! The receiving side of uploads for the test server: plain endpoints ("sinks")
//! that hash what they receive and answer as told, and a tus 1.0.0 server written
//! from the protocol text (https://tus.io/protocols/resumable-upload): OPTIONS,
//! creation (POST), HEAD, PATCH and termination (DELETE).

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};

use super::server::{Seen, write_head};

/// A plain upload endpoint.
#[derive(Clone, Debug)]
pub struct Sink {
    pub status: u16,
    /// The answer's body.
    pub answer: String,
    /// Request body bytes per second read (to make an upload slow enough to interrupt).
    pub read_rate: Option<u64>,
    /// Keep whole bodies (else only their length and hash).
    pub keep: bool,
    /// For the next requests, one each: read this many body bytes, then hang up.
    pub cuts: std::collections::VecDeque<u64>,
    /// Digest authentication required with this user and password (checked once
    /// the body is read: a 401 then).
    pub digest: Option<(String, String)>,
}

impl Sink {
    pub fn ok(answer: &str) -> Self {
        Self {
            status: 201,
            answer: answer.to_owned(),
            read_rate: None,
            keep: true,
            cuts: std::collections::VecDeque::new(),
            digest: None,
        }
    }
}

/// One request body as a sink received it.
#[derive(Clone, Debug)]
pub struct Received {
    pub method: String,
    pub headers: Vec<(String, String)>,
    pub len: u64,
    pub sha256: String,
    pub body: Option<Vec<u8>>,
    /// The whole announced body arrived.
    pub complete: bool,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A tus server's settings.
#[derive(Clone, Debug, Default)]
pub struct Tus {
    pub max_size: Option<u64>,
    pub read_rate: Option<u64>,
}

/// One upload a tus server holds.
#[derive(Clone, Debug)]
pub struct TusUpload {
    pub id: String,
    pub length: u64,
    pub data: Vec<u8>,
    pub metadata: String,
    pub terminated: bool,
    /// A PATCH is being read: HEAD and other PATCHes wait for it, as a real
    /// server's per-upload lock makes them, so two bodies never interleave.
    pub locked: bool,
}

#[derive(Default)]
pub struct Uploads {
    sinks: Mutex<HashMap<String, (Sink, Vec<Received>)>>,
    tus: Mutex<Option<(String, Tus)>>,
    tus_uploads: Mutex<Vec<TusUpload>>,
    /// PATCH requests refused for an offset the server did not hold.
    tus_conflicts: std::sync::atomic::AtomicU64,
}

impl Uploads {
    pub fn add_sink(&self, path: &str, sink: Sink) {
        self.sinks
            .lock()
            .unwrap()
            .insert(path.to_owned(), (sink, Vec::new()));
    }

    pub fn received(&self, path: &str) -> Vec<Received> {
        self.sinks
            .lock()
            .unwrap()
            .get(path)
            .map(|(_, r)| r.clone())
            .unwrap_or_default()
    }

    pub fn set_tus(&self, prefix: &str, tus: Tus) {
        *self.tus.lock().unwrap() = Some((prefix.to_owned(), tus));
    }

    pub fn set_sink_rate(&self, path: &str, rate: Option<u64>) {
        if let Some((sink, _)) = self.sinks.lock().unwrap().get_mut(path) {
            sink.read_rate = rate;
        }
    }

    pub fn set_tus_rate(&self, rate: Option<u64>) {
        if let Some((_, tus)) = self.tus.lock().unwrap().as_mut() {
            tus.read_rate = rate;
        }
    }

    pub fn tus_uploads(&self) -> Vec<TusUpload> {
        self.tus_uploads.lock().unwrap().clone()
    }

    pub fn tus_conflicts(&self) -> u64 {
        self.tus_conflicts
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    fn tus_prefix(&self) -> Option<(String, Tus)> {
        self.tus.lock().unwrap().clone()
    }
}

/// Whether this request is for an upload endpoint.
pub fn handles(uploads: &Uploads, seen: &Seen, path: &str) -> bool {
    let sink = matches!(seen.method.as_str(), "POST" | "PUT")
        && uploads.sinks.lock().unwrap().contains_key(path);
    let tus = uploads
        .tus_prefix()
        .is_some_and(|(prefix, _)| path.starts_with(&prefix));
    sink || tus
}

pub async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    uploads: &Uploads,
    seen: &Seen,
    path: &str,
    leftover: Vec<u8>,
    stream: &mut S,
) {
    if let Some((prefix, tus)) = uploads
        .tus_prefix()
        .filter(|(p, _)| path.starts_with(p.as_str()))
    {
        let id = path[prefix.len()..].to_owned();
        let _ = serve_tus(uploads, &prefix, &tus, &id, seen, leftover, stream).await;
        return;
    }
    let (sink, cut) = {
        let mut sinks = uploads.sinks.lock().unwrap();
        let Some((sink, _)) = sinks.get_mut(path) else {
            return;
        };
        let cut = sink.cuts.pop_front();
        (sink.clone(), cut)
    };
    let mut hasher = Sha256::new();
    let mut kept = Vec::new();
    let (len, complete) = {
        let mut body = Body::new(seen, leftover, stream, sink.read_rate);
        let mut len = 0u64;
        let complete = loop {
            match body.next().await {
                Ok(Some(chunk)) => {
                    hasher.update(&chunk);
                    len += chunk.len() as u64;
                    if sink.keep {
                        kept.extend_from_slice(&chunk);
                    }
                    if cut.is_some_and(|cut| len >= cut) {
                        break false;
                    }
                }
                Ok(None) => break true,
                Err(_) => break false,
            }
        };
        (len, complete)
    };
    let received = Received {
        method: seen.method.clone(),
        headers: seen.headers.clone(),
        len,
        sha256: format!("{:x}", hasher.finalize()),
        body: sink.keep.then_some(kept),
        complete,
    };
    if let Some((_, list)) = uploads.sinks.lock().unwrap().get_mut(path) {
        list.push(received);
    }
    if complete
        && let Some((user, password)) = &sink.digest
        && !super::digest::verifies(
            seen.header("authorization"),
            &seen.method,
            &seen.path,
            user,
            password,
        )
    {
        super::digest::refuse(stream).await;
        return;
    }
    if complete {
        let headers = vec![
            ("Content-Type".into(), "text/plain".into()),
            ("Content-Length".into(), sink.answer.len().to_string()),
            ("X-Test".into(), "kept".into()),
        ];
        if write_head(stream, sink.status, "Answer", &headers)
            .await
            .is_ok()
        {
            let _ = stream.write_all(sink.answer.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
    }
}

/// One request, as the tus protocol describes the server's side of it.
#[expect(
    clippy::too_many_lines,
    reason = "the server's side of the tus protocol, one arm per method, read against the spec"
)]
async fn serve_tus<S: AsyncRead + AsyncWrite + Unpin>(
    uploads: &Uploads,
    prefix: &str,
    tus: &Tus,
    id: &str,
    seen: &Seen,
    leftover: Vec<u8>,
    stream: &mut S,
) -> std::io::Result<()> {
    let resumable = ("Tus-Resumable".to_owned(), "1.0.0".to_owned());
    let empty = ("Content-Length".to_owned(), "0".to_owned());
    // Every request but OPTIONS must say which version it speaks.
    if seen.method != "OPTIONS" && seen.header("tus-resumable") != Some("1.0.0") {
        let headers = [("Tus-Version".into(), "1.0.0".into()), empty.clone()];
        return write_head(stream, 412, "Precondition Failed", &headers).await;
    }
    let find = |id: &str| {
        uploads
            .tus_uploads
            .lock()
            .unwrap()
            .iter()
            .position(|u| u.id == id && !u.terminated)
    };
    match (seen.method.as_str(), id.is_empty()) {
        ("OPTIONS", _) => {
            let mut headers = vec![
                resumable,
                ("Tus-Version".into(), "1.0.0".into()),
                ("Tus-Extension".into(), "creation,termination".into()),
                empty,
            ];
            if let Some(max) = tus.max_size {
                headers.push(("Tus-Max-Size".into(), max.to_string()));
            }
            write_head(stream, 204, "No Content", &headers).await
        }
        ("POST", true) => {
            let Some(length) = seen
                .header("upload-length")
                .and_then(|v| v.parse::<u64>().ok())
            else {
                return write_head(stream, 400, "Bad Request", &[resumable, empty]).await;
            };
            if tus.max_size.is_some_and(|max| length > max) {
                return write_head(stream, 413, "Request Entity Too Large", &[resumable, empty])
                    .await;
            }
            let new_id = {
                let mut all = uploads.tus_uploads.lock().unwrap();
                let new_id = format!("u{}", all.len() + 1);
                all.push(TusUpload {
                    id: new_id.clone(),
                    length,
                    data: Vec::new(),
                    metadata: seen.header("upload-metadata").unwrap_or("").to_owned(),
                    terminated: false,
                    locked: false,
                });
                new_id
            };
            // A relative Location, as servers commonly send.
            let location = ("Location".to_owned(), format!("{prefix}{new_id}"));
            write_head(stream, 201, "Created", &[resumable, location, empty]).await
        }
        ("HEAD", false) => match find(id) {
            Some(index) => {
                wait_unlocked(uploads, index, false).await;
                let (offset, length) = {
                    let all = uploads.tus_uploads.lock().unwrap();
                    (all[index].data.len(), all[index].length)
                };
                let headers = [
                    resumable,
                    ("Upload-Offset".into(), offset.to_string()),
                    ("Upload-Length".into(), length.to_string()),
                    ("Cache-Control".into(), "no-store".into()),
                ];
                write_head(stream, 200, "OK", &headers).await
            }
            None => write_head(stream, 404, "Not Found", &[resumable, empty]).await,
        },
        ("PATCH", false) => {
            let Some(index) = find(id) else {
                return write_head(stream, 404, "Not Found", &[resumable, empty]).await;
            };
            if seen.header("content-type") != Some("application/offset+octet-stream") {
                return write_head(stream, 415, "Unsupported Media Type", &[resumable, empty])
                    .await;
            }
            wait_unlocked(uploads, index, true).await;
            let unlock = Unlock { uploads, index };
            let offset = seen
                .header("upload-offset")
                .and_then(|v| v.parse::<usize>().ok());
            let current = uploads.tus_uploads.lock().unwrap()[index].data.len();
            if offset != Some(current) {
                drop(unlock);
                uploads
                    .tus_conflicts
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                return write_head(stream, 409, "Conflict", &[resumable, empty]).await;
            }
            // Bytes are kept as they arrive: an interrupted PATCH still counts.
            let mut body = Body::new(seen, leftover, stream, tus.read_rate);
            let mut complete = true;
            loop {
                match body.next().await {
                    Ok(Some(chunk)) => {
                        let mut all = uploads.tus_uploads.lock().unwrap();
                        let upload = &mut all[index];
                        let room = (upload.length as usize).saturating_sub(upload.data.len());
                        upload
                            .data
                            .extend_from_slice(&chunk[..chunk.len().min(room)]);
                    }
                    Ok(None) => break,
                    Err(_) => {
                        complete = false;
                        break;
                    }
                }
            }
            drop(body);
            drop(unlock);
            if !complete {
                return Ok(());
            }
            let offset = uploads.tus_uploads.lock().unwrap()[index].data.len();
            let headers = [resumable, ("Upload-Offset".into(), offset.to_string())];
            write_head(stream, 204, "No Content", &headers).await
        }
        ("DELETE", false) => match find(id) {
            Some(index) => {
                uploads.tus_uploads.lock().unwrap()[index].terminated = true;
                write_head(stream, 204, "No Content", &[resumable, empty]).await
            }
            None => write_head(stream, 404, "Not Found", &[resumable, empty]).await,
        },
        _ => write_head(stream, 405, "Method Not Allowed", &[resumable, empty]).await,
    }
}

/// Wait until no PATCH holds upload `index`; take the lock if asked.
async fn wait_unlocked(uploads: &Uploads, index: usize, take: bool) {
    loop {
        {
            let mut all = uploads.tus_uploads.lock().unwrap();
            if !all[index].locked {
                all[index].locked = take;
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Releases a PATCH's lock however the request ends.
struct Unlock<'u> {
    uploads: &'u Uploads,
    index: usize,
}

impl Drop for Unlock<'_> {
    fn drop(&mut self) {
        self.uploads.tus_uploads.lock().unwrap()[self.index].locked = false;
    }
}

/// A request body, by `Content-Length` or chunked, read at most `rate` bytes a second.
struct Body<'s, S> {
    reader: BufReader<tokio::io::Chain<Cursor<Vec<u8>>, &'s mut S>>,
    remaining: Option<u64>,
    chunked: bool,
    finished: bool,
    rate: Option<u64>,
    started: Instant,
    read: u64,
}

impl<'s, S: AsyncRead + Unpin> Body<'s, S> {
    fn new(seen: &Seen, leftover: Vec<u8>, stream: &'s mut S, rate: Option<u64>) -> Self {
        let chunked = seen
            .header("transfer-encoding")
            .is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
        let remaining = seen.header("content-length").and_then(|v| v.parse().ok());
        Self {
            reader: BufReader::new(Cursor::new(leftover).chain(stream)),
            remaining: if chunked {
                None
            } else {
                Some(remaining.unwrap_or(0))
            },
            chunked,
            finished: false,
            rate,
            started: Instant::now(),
            read: 0,
        }
    }

    /// The next piece; `None` at the end; an error if the client went away early.
    async fn next(&mut self) -> std::io::Result<Option<Vec<u8>>> {
        if self.finished {
            return Ok(None);
        }
        let piece = if self.chunked {
            self.next_chunked().await?
        } else {
            self.next_sized().await?
        };
        match piece {
            None => {
                self.finished = true;
                Ok(None)
            }
            Some(piece) => {
                self.read += piece.len() as u64;
                if let Some(rate) = self.rate {
                    let due =
                        self.started + Duration::from_secs_f64(self.read as f64 / rate as f64);
                    tokio::time::sleep_until(due.into()).await;
                }
                Ok(Some(piece))
            }
        }
    }

    async fn next_sized(&mut self) -> std::io::Result<Option<Vec<u8>>> {
        let remaining = self.remaining.unwrap_or(0);
        if remaining == 0 {
            return Ok(None);
        }
        let step = match self.rate {
            Some(rate) => (rate / 20).clamp(1, 64 * 1024),
            None => 64 * 1024,
        };
        let mut buf = vec![0u8; remaining.min(step) as usize];
        let n = self.reader.read(&mut buf).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.truncate(n);
        self.remaining = Some(remaining - n as u64);
        Ok(Some(buf))
    }

    async fn next_chunked(&mut self) -> std::io::Result<Option<Vec<u8>>> {
        let mut line = String::new();
        if self.reader.read_line(&mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let size_text = line.trim().split(';').next().unwrap_or("");
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidData))?;
        if size == 0 {
            // Trailers, then the blank line.
            loop {
                line.clear();
                if self.reader.read_line(&mut line).await? == 0 || line.trim().is_empty() {
                    return Ok(None);
                }
            }
        }
        let mut buf = vec![0u8; size];
        self.reader.read_exact(&mut buf).await?;
        let mut crlf = [0u8; 2];
        self.reader.read_exact(&mut crlf).await?;
        Ok(Some(buf))
    }
}
