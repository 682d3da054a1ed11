//! A small HTTP/1.1 server on 127.0.0.1 for the tests, written on raw sockets so
//! that it can misbehave on purpose: ignore ranges, change the resource, drop the
//! connection mid-body, stall, answer with errors, pace its output.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;

use super::uploads;

/// A misbehaviour for one request, taken in order.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Close the connection after this many body bytes.
    DropAfter(u64),
    /// Send this many body bytes, then nothing, forever.
    StallAfter(u64),
    /// Answer with this status and these headers, no body.
    Status(u16, Vec<(String, String)>),
    /// Read the request, then say nothing, forever.
    Silent,
    /// Send this answer's body at this many bytes per second.
    Rate(u64),
    /// Answer 200 with this many extra headers.
    ManyHeaders(usize),
    /// Start a header and never finish it.
    EndlessHeader,
    /// Send the body one byte a second.
    Trickle,
    /// Send this many bytes more than the range asked for (and announce them).
    LongerThanRange(u64),
    /// Answer 200 with a small web page, whatever was asked.
    WebPage,
}

#[derive(Clone, Debug)]
pub struct Resource {
    pub body: Arc<Vec<u8>>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub content_disposition: Option<String>,
    /// `Content-Type` of every answer with a body (else `application/octet-stream`).
    pub content_type: Option<String>,
    /// Serve `Range` requests (else always 200 with the whole body).
    pub ranges: bool,
    /// Honour `If-Range` (a broken server sends the range of the new version).
    pub if_range: bool,
    /// Send without `Content-Length`, chunked.
    pub chunked: bool,
    /// Body bytes per second, per response.
    pub rate: Option<u64>,
    /// With a rate: bytes written ahead of it (a server that fills the socket
    /// as far as its pace allows plus this, as nginx's `limit_rate` does).
    pub ahead: u64,
    /// A redirect to this location instead of a body.
    pub redirect: Option<String>,
    /// The `Authorization` value required (else 401 with a basic challenge).
    pub authorization: Option<String>,
    /// Digest authentication required with this user and password.
    pub digest: Option<(String, String)>,
    /// More headers for answers that carry the whole body (200).
    pub whole_headers: Vec<(String, String)>,
    /// Request headers the answer needs, as (lower-case name, value the header
    /// must contain); without them, 403 (a file host checking its cookie and
    /// Referer).
    pub required: Vec<(String, String)>,
    /// Bodies sent at once at most: one more is answered 429 (Retry-After: 1).
    pub max_bodies: Option<u64>,
    /// Body bytes per second for all its answers together (a server whose link,
    /// not its connections, is the limit).
    pub shared_rate: Option<Arc<SharedRate>>,
    pub faults: VecDeque<Fault>,
}

impl Resource {
    pub fn new(body: Vec<u8>) -> Self {
        Self {
            body: Arc::new(body),
            etag: Some("\"v1\"".to_owned()),
            last_modified: Some("Mon, 02 Jan 2023 10:00:00 GMT".to_owned()),
            content_disposition: None,
            content_type: None,
            ranges: true,
            if_range: true,
            chunked: false,
            rate: None,
            ahead: 0,
            redirect: None,
            authorization: None,
            digest: None,
            whole_headers: Vec::new(),
            required: Vec::new(),
            max_bodies: None,
            shared_rate: None,
            faults: VecDeque::new(),
        }
    }

    /// Require basic authentication with this user and password.
    pub fn basic_auth(mut self, user: &str, password: &str) -> Self {
        use base64::Engine as _;
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        self.authorization = Some(format!("Basic {token}"));
        self
    }

    /// Require Digest authentication (SHA-256) with this user and password.
    pub fn digest_auth(mut self, user: &str, password: &str) -> Self {
        self.digest = Some((user.to_owned(), password.to_owned()));
        self
    }

    pub fn redirect(to: &str) -> Self {
        let mut r = Self::new(Vec::new());
        r.redirect = Some(to.to_owned());
        r
    }

    pub fn rate(mut self, bytes_per_sec: u64) -> Self {
        self.rate = Some(bytes_per_sec);
        self
    }

    /// Write this many bytes ahead of the rate.
    pub fn ahead(mut self, bytes: u64) -> Self {
        self.ahead = bytes;
        self
    }

    /// All answers together at this many bytes per second.
    pub fn shared_rate(mut self, bytes_per_sec: u64) -> Self {
        self.shared_rate = Some(Arc::new(SharedRate {
            rate: bytes_per_sec,
            next: Mutex::new(Instant::now()),
        }));
        self
    }

    pub fn fault(mut self, fault: Fault) -> Self {
        self.faults.push_back(fault);
        self
    }

    /// A signed address that expires after `after` bytes (at 2 MiB/s): the
    /// connection drops, and the next requests are refused (403).
    pub fn expiring(body: Vec<u8>, after: u64) -> Self {
        Self::new(body)
            .rate(2 * 1024 * 1024)
            .fault(Fault::DropAfter(after))
            .fault(Fault::Status(403, vec![]))
            .fault(Fault::Status(403, vec![]))
            .fault(Fault::Status(403, vec![]))
            .fault(Fault::Status(403, vec![]))
    }

    /// Bytes from another node: another ETag and date, so only the bytes can
    /// say whether it is the same file as elsewhere.
    pub fn elsewhere(body: Vec<u8>) -> Self {
        let mut resource = Self::new(body);
        resource.etag = Some("\"cdn-node-2\"".into());
        resource.last_modified = Some("Tue, 03 Jan 2023 11:00:00 GMT".into());
        resource
    }

    /// Answer 403 unless the request's `name` header contains `value`.
    pub fn require(mut self, name: &str, value: &str) -> Self {
        self.required
            .push((name.to_ascii_lowercase(), value.to_owned()));
        self
    }

    /// A header on the answer (with the whole body).
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.whole_headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn media_type(mut self, value: &str) -> Self {
        self.content_type = Some(value.to_owned());
        self
    }

    pub fn disposition(mut self, value: &str) -> Self {
        self.content_disposition = Some(value.to_owned());
        self
    }
}

/// A rate shared by several answers: each piece sent books the next free time
/// on one clock.
#[derive(Debug)]
pub struct SharedRate {
    rate: u64,
    next: Mutex<Instant>,
}

impl SharedRate {
    /// When a piece of `len` bytes may go.
    fn book(&self, len: usize) -> Instant {
        let mut next = self.next.lock().unwrap();
        let start = (*next).max(Instant::now());
        *next = start + Duration::from_secs_f64(len as f64 / self.rate as f64);
        start
    }
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub at: Instant,
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The start of a `Range: bytes=N-` header.
    pub fn range_start(&self) -> Option<u64> {
        self.header("range")?
            .strip_prefix("bytes=")?
            .split('-')
            .next()?
            .parse()
            .ok()
    }

    /// The last byte of a `Range: bytes=N-M` header (`None`: to the end).
    pub fn range_end(&self) -> Option<u64> {
        self.header("range")?
            .strip_prefix("bytes=")?
            .split_once('-')?
            .1
            .trim()
            .parse()
            .ok()
    }
}

#[derive(Default)]
struct State {
    resources: Mutex<HashMap<String, Resource>>,
    uploads: uploads::Uploads,
    seen: Mutex<Vec<Seen>>,
    body_bytes: AtomicU64,
    /// Bodies being sent now, and the most ever sent at once.
    sending: AtomicU64,
    peak_sending: AtomicU64,
    /// When each body was being sent: from its admission to its end (sent, or
    /// its client gone).
    sent_during: Mutex<Vec<(Instant, Instant)>>,
    /// Requests answered 429 for too many bodies at once.
    refused: AtomicU64,
    /// A connection carries the next request after a body sent whole.
    keep_alive: std::sync::atomic::AtomicBool,
    /// TCP connections accepted.
    accepted: AtomicU64,
}

pub struct TestServer {
    addr: SocketAddr,
    tls: bool,
    state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
    /// Every connection being served, so `kill` can end them all.
    connections: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.kill();
    }
}

fn accept(
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    state: Arc<State>,
    connections: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            state.accepted.fetch_add(1, Ordering::Relaxed);
            let state = Arc::clone(&state);
            let served = match &tls {
                None => tokio::spawn(serve(state, stream)),
                Some(acceptor) => {
                    let acceptor = acceptor.clone();
                    tokio::spawn(async move {
                        if let Ok(stream) = acceptor.accept(stream).await {
                            serve(state, stream).await;
                        }
                    })
                }
            };
            let mut connections = connections.lock().unwrap();
            connections.retain(|c| !c.is_finished());
            connections.push(served.abort_handle());
        }
    })
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(None).await
    }

    /// An HTTPS server with the certificate for `localhost` in `tls/` (signed by
    /// `tls/ca.pem`). Its `url` uses the name `localhost`.
    pub async fn start_tls() -> Self {
        use tokio_rustls::rustls::pki_types::pem::PemObject;
        use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/tls");
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_file_iter(dir.join("localhost.pem"))
                .unwrap()
                .map(Result::unwrap)
                .collect();
        let key = PrivateKeyDer::from_pem_file(dir.join("localhost.key")).unwrap();
        let config = tokio_rustls::rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap();
        Self::start_with(Some(tokio_rustls::TlsAcceptor::from(Arc::new(config)))).await
    }

    /// A plain HTTP server on `address` (a namespace's address, say).
    pub async fn start_on(address: SocketAddr) -> Self {
        Self::start_bound(TcpListener::bind(address).await.unwrap(), None)
    }

    async fn start_with(tls: Option<tokio_rustls::TlsAcceptor>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::start_bound(listener, tls)
    }

    /// A plain HTTP server on a listener made elsewhere (inside a network
    /// namespace, say).
    pub fn start_listening(listener: std::net::TcpListener) -> Self {
        listener.set_nonblocking(true).unwrap();
        Self::start_bound(TcpListener::from_std(listener).unwrap(), None)
    }

    fn start_bound(listener: TcpListener, tls: Option<tokio_rustls::TlsAcceptor>) -> Self {
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(State::default());
        let connections = Arc::default();
        let is_tls = tls.is_some();
        let task = accept(listener, tls, Arc::clone(&state), Arc::clone(&connections));
        Self {
            addr,
            tls: is_tls,
            state,
            task,
            connections,
        }
    }

    /// The server process dies: it stops listening and every connection ends.
    /// What it stored (uploads, tus offsets) is kept, as on a disk.
    pub fn kill(&self) {
        self.task.abort();
        for connection in self.connections.lock().unwrap().drain(..) {
            connection.abort();
        }
    }

    /// Back after `kill`, on `listener` (bound to the same address), with what it
    /// had stored.
    pub fn revive(&mut self, listener: std::net::TcpListener) {
        listener.set_nonblocking(true).unwrap();
        let listener = TcpListener::from_std(listener).unwrap();
        assert_eq!(listener.local_addr().unwrap(), self.addr);
        self.task = accept(
            listener,
            None,
            Arc::clone(&self.state),
            Arc::clone(&self.connections),
        );
    }

    pub fn url(&self, path: &str) -> String {
        if self.tls {
            format!("https://localhost:{}{path}", self.addr.port())
        } else {
            format!("http://{}{path}", self.addr)
        }
    }

    /// The same resource by IP address: over TLS, a name the certificate does not have.
    pub fn url_by_ip(&self, path: &str) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}{path}", self.addr)
    }

    /// The test CA that signed the HTTPS server's certificate.
    pub fn ca_path() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/tls/ca.pem")
    }

    pub fn put(&self, path: &str, resource: Resource) {
        self.state
            .resources
            .lock()
            .unwrap()
            .insert(path.to_owned(), resource);
    }

    /// Change a resource in place (a new version, a new fault…).
    pub fn update(&self, path: &str, change: impl FnOnce(&mut Resource)) {
        let mut resources = self.state.resources.lock().unwrap();
        change(resources.get_mut(path).expect("no such resource"));
    }

    /// Every request so far for `path`.
    pub fn seen(&self, path: &str) -> Vec<Seen> {
        self.state
            .seen
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.path == path)
            .cloned()
            .collect()
    }

    /// Make `path` accept uploads (POST, PUT) and answer as `sink` says.
    pub fn sink(&self, path: &str, sink: uploads::Sink) {
        self.state.uploads.add_sink(path, sink);
    }

    /// What `path` received, one entry per request.
    pub fn received(&self, path: &str) -> Vec<uploads::Received> {
        self.state.uploads.received(path)
    }

    /// Serve the tus protocol under `prefix` (e.g. `/files/`).
    pub fn tus(&self, prefix: &str, tus: uploads::Tus) {
        self.state.uploads.set_tus(prefix, tus);
    }

    /// Change how fast a sink reads request bodies.
    pub fn update_sink_rate(&self, path: &str, rate: Option<u64>) {
        self.state.uploads.set_sink_rate(path, rate);
    }

    /// Change how fast the tus server reads `PATCH` bodies.
    pub fn set_tus_rate(&self, rate: Option<u64>) {
        self.state.uploads.set_tus_rate(rate);
    }

    /// The bytes a tus server assembled for each upload it knows.
    pub fn tus_conflicts(&self) -> u64 {
        self.state.uploads.tus_conflicts()
    }

    pub fn tus_uploads(&self) -> Vec<uploads::TusUpload> {
        self.state.uploads.tus_uploads()
    }

    /// Every request so far, in the order they arrived.
    pub fn seen_all(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    /// Requests turned away for too many bodies at once.
    pub fn refused(&self) -> u64 {
        self.state.refused.load(Ordering::Relaxed)
    }

    /// Response bodies being sent now.
    pub fn bodies_now(&self) -> u64 {
        self.state.sending.load(Ordering::Relaxed)
    }

    /// The most response bodies that were ever being sent at the same time.
    pub fn peak_concurrent_bodies(&self) -> u64 {
        self.state.peak_sending.load(Ordering::Relaxed)
    }

    /// The most bodies sent at the same time for longer than `grace`. A
    /// client that drops a connection and opens another at once is seen by
    /// this server a moment late (its hang-up is noticed when its task next
    /// runs): `peak_concurrent_bodies` may count both, this does not, and a
    /// client that really holds one connection too many is still counted.
    pub fn peak_bodies_lasting(&self, grace: Duration) -> u64 {
        let mut edges: Vec<(Instant, i64)> = Vec::new();
        for (from, to) in self.state.sent_during.lock().unwrap().iter() {
            if let Some(end) = to.checked_sub(grace).filter(|end| end > from) {
                edges.push((*from, 1));
                edges.push((end, -1));
            }
        }
        // At the same instant an end goes before a start.
        edges.sort_by_key(|(at, step)| (*at, *step));
        let (mut now, mut peak) = (0i64, 0i64);
        for (_, step) in edges {
            now += step;
            peak = peak.max(now);
        }
        u64::try_from(peak).unwrap_or(0)
    }

    /// Body bytes written to sockets, all responses together.
    pub fn body_bytes_sent(&self) -> u64 {
        self.state.body_bytes.load(Ordering::Relaxed)
    }

    /// From now on a connection carries more requests after a body sent whole
    /// (as real servers do; by default each answer closes its connection).
    pub fn keep_alive(&self) {
        self.state.keep_alive.store(true, Ordering::Relaxed);
    }

    /// TCP connections accepted so far.
    pub fn connections_accepted(&self) -> u64 {
        self.state.accepted.load(Ordering::Relaxed)
    }
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(state: Arc<State>, mut stream: S) {
    while let Some((seen, leftover)) = read_request(&mut stream).await {
        if !answer(&state, &mut stream, seen, leftover).await {
            return;
        }
    }
}

/// Answer one request; whether the connection may carry another.
async fn answer<S: AsyncRead + AsyncWrite + Unpin>(
    state: &Arc<State>,
    mut stream: &mut S,
    seen: Seen,
    leftover: Vec<u8>,
) -> bool {
    state.seen.lock().unwrap().push(seen.clone());
    let path = seen.path.split('?').next().unwrap_or("").to_owned();
    if uploads::handles(&state.uploads, &seen, &path) {
        uploads::serve(&state.uploads, &seen, &path, leftover, &mut stream).await;
        return false;
    }
    let (resource, fault) = {
        let mut resources = state.resources.lock().unwrap();
        match resources.get_mut(&path) {
            Some(r) => {
                let fault = r.faults.pop_front();
                (Some(r.clone()), fault)
            }
            None => (None, None),
        }
    };
    let Some(resource) = resource else {
        let _ = write_head(
            &mut stream,
            404,
            "Not Found",
            &[("Content-Length".into(), "0".into())],
        )
        .await;
        return false;
    };
    if let Some(wanted) = &resource.authorization
        && seen.header("authorization") != Some(wanted.as_str())
    {
        let headers = vec![
            ("WWW-Authenticate".into(), "Basic realm=\"test\"".into()),
            ("Content-Length".into(), "0".into()),
        ];
        let _ = write_head(&mut stream, 401, "Unauthorized", &headers).await;
        return false;
    }
    if resource.required.iter().any(|(name, value)| {
        !seen
            .header(name)
            .is_some_and(|h| h.contains(value.as_str()))
    }) {
        let headers = vec![("Content-Length".into(), "0".into())];
        let _ = write_head(&mut stream, 403, "Forbidden", &headers).await;
        return false;
    }
    if let Some((user, password)) = &resource.digest
        && !super::digest::verifies(
            seen.header("authorization"),
            &seen.method,
            &seen.path,
            user,
            password,
        )
    {
        super::digest::refuse(&mut stream).await;
        return false;
    }
    if let Some(Fault::Silent) = &fault {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        return false;
    }
    if let Some(fault @ (Fault::ManyHeaders(_) | Fault::EndlessHeader | Fault::WebPage)) = &fault {
        let _ = misbehave(&mut stream, fault).await;
        return false;
    }
    if let Some(Fault::Status(code, headers)) = &fault {
        let mut headers = headers.clone();
        headers.push(("Content-Length".into(), "0".into()));
        let _ = write_head(&mut stream, *code, "Fault", &headers).await;
        return false;
    }
    if let Some(location) = &resource.redirect {
        let headers = vec![
            ("Location".into(), location.clone()),
            ("Content-Length".into(), "0".into()),
        ];
        let _ = write_head(&mut stream, 302, "Found", &headers).await;
        return false;
    }

    admit_and_send(state, stream, &seen, &resource, fault).await
}

/// Admit a body (or turn it away past the resource's limit) and send it,
/// counting it while it is sent; whether the connection may carry another
/// request.
async fn admit_and_send<S: AsyncRead + AsyncWrite + Unpin>(
    state: &State,
    mut stream: &mut S,
    seen: &Seen,
    resource: &Resource,
    fault: Option<Fault>,
) -> bool {
    // Admitted here, counted until its body is sent: a limit on bodies at once
    // holds even when requests arrive together.
    let now = state.sending.fetch_add(1, Ordering::SeqCst) + 1;
    if resource.max_bodies.is_some_and(|max| now > max) {
        state.sending.fetch_sub(1, Ordering::SeqCst);
        state.refused.fetch_add(1, Ordering::SeqCst);
        let headers = vec![
            ("Retry-After".into(), "1".into()),
            ("Content-Length".into(), "0".into()),
        ];
        let _ = write_head(&mut stream, 429, "Too Many Requests", &headers).await;
        return false;
    }
    state.peak_sending.fetch_max(now, Ordering::SeqCst);
    let admitted = Instant::now();
    let kept = serve_body(state, stream, seen, resource, fault).await;
    state.sending.fetch_sub(1, Ordering::SeqCst);
    state
        .sent_during
        .lock()
        .unwrap()
        .push((admitted, Instant::now()));
    kept
}

/// Send the resource (or the range asked); whether the connection may carry
/// another request.
async fn serve_body<S: AsyncRead + AsyncWrite + Unpin>(
    state: &State,
    stream: &mut S,
    seen: &Seen,
    resource: &Resource,
    fault: Option<Fault>,
) -> bool {
    let len = resource.body.len() as u64;
    let content_type = resource
        .content_type
        .clone()
        .unwrap_or_else(|| "application/octet-stream".into());
    let mut headers: Vec<(String, String)> = vec![("Content-Type".into(), content_type)];
    for (name, value) in [
        ("ETag", &resource.etag),
        ("Last-Modified", &resource.last_modified),
        ("Content-Disposition", &resource.content_disposition),
    ] {
        if let Some(value) = value {
            headers.push((name.into(), value.clone()));
        }
    }
    if resource.ranges {
        headers.push(("Accept-Ranges".into(), "bytes".into()));
    }
    let mut start = 0;
    let mut end = len;
    let mut status = (200, "OK");
    if let (true, Some(wanted)) = (resource.ranges, seen.range_start()) {
        let if_range_ok = match seen.header("if-range") {
            None => true,
            Some(_) if !resource.if_range => true,
            Some(v) => {
                Some(v) == resource.etag.as_deref() || Some(v) == resource.last_modified.as_deref()
            }
        };
        if if_range_ok {
            if wanted >= len {
                headers.push(("Content-Range".into(), format!("bytes */{len}")));
                headers.push(("Content-Length".into(), "0".into()));
                let _ = write_head(stream, 416, "Range Not Satisfiable", &headers).await;
                return false;
            }
            start = wanted;
            end = seen
                .range_end()
                .map_or(len, |last| (last + 1).clamp(start + 1, len));
            status = (206, "Partial Content");
            headers.push((
                "Content-Range".into(),
                format!("bytes {start}-{}/{len}", end - 1),
            ));
        }
    }
    if status.0 == 200 {
        // A header of the resource's own replaces the default of that name.
        for (name, value) in &resource.whole_headers {
            headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
            headers.push((name.clone(), value.clone()));
        }
    }
    let extra = match (&fault, status.0) {
        (Some(Fault::LongerThanRange(n)), 206) => *n,
        _ => 0,
    };
    if resource.chunked {
        headers.push(("Transfer-Encoding".into(), "chunked".into()));
    } else {
        headers.push(("Content-Length".into(), (end - start + extra).to_string()));
    }
    let keep_alive = state.keep_alive.load(Ordering::Relaxed)
        && fault.is_none()
        && !seen
            .header("connection")
            .is_some_and(|c| c.eq_ignore_ascii_case("close"));
    if write_head_with(stream, status.0, status.1, &headers, keep_alive)
        .await
        .is_err()
    {
        return false;
    }
    let mut longer;
    let mut body = &resource.body[start as usize..end as usize];
    if extra > 0 {
        longer = body.to_vec();
        longer.resize(body.len() + extra as usize, b'#');
        body = &longer;
    }
    // A client that hangs up is noticed at once, not at the next write: the
    // count of bodies being sent stays true between paced pieces.
    // (Biased: once the body is out, a client on a kept connection may send its
    // next request, which must not be read here.)
    let (mut reader, mut writer) = tokio::io::split(&mut *stream);
    let hung_up = async move {
        let mut byte = [0u8; 1];
        while matches!(reader.read(&mut byte).await, Ok(n) if n > 0) {}
    };
    tokio::select! {
        biased;
        sent = write_body(state, &mut writer, body, resource, fault, keep_alive) => sent.is_ok() && keep_alive,
        () = hung_up => false,
    }
}

async fn write_body<S: AsyncWrite + Unpin>(
    state: &State,
    stream: &mut S,
    body: &[u8],
    resource: &Resource,
    fault: Option<Fault>,
    keep_alive: bool,
) -> std::io::Result<()> {
    let limit = match fault {
        Some(Fault::DropAfter(n)) | Some(Fault::StallAfter(n)) => Some(n as usize),
        _ => None,
    };
    let rate = match fault {
        Some(Fault::Rate(rate)) => Some(rate),
        Some(Fault::Trickle) => Some(1),
        _ => resource.rate,
    };
    // A paced body goes in pieces of at most 64 KiB, about what a real link has
    // in flight: what a killed client loses is then Ferry's doing, not the
    // server's burst size.
    let chunk_size = match rate.or(resource.shared_rate.as_ref().map(|s| s.rate)) {
        Some(rate) => (rate as usize / 20).clamp(1, 64 * 1024),
        None => 256 * 1024,
    };
    let started = Instant::now();
    let mut sent = 0usize;
    while sent < body.len() {
        let mut end = (sent + chunk_size).min(body.len());
        if let Some(limit) = limit {
            if sent >= limit {
                break;
            }
            end = end.min(limit);
        }
        let piece = &body[sent..end];
        if let Some(shared) = &resource.shared_rate {
            tokio::time::sleep_until(shared.book(piece.len()).into()).await;
        }
        if resource.chunked {
            stream
                .write_all(format!("{:x}\r\n", piece.len()).as_bytes())
                .await?;
            stream.write_all(piece).await?;
            stream.write_all(b"\r\n").await?;
        } else {
            stream.write_all(piece).await?;
        }
        state
            .body_bytes
            .fetch_add(piece.len() as u64, Ordering::Relaxed);
        sent = end;
        if let (Some(rate), true) = (rate, sent < body.len()) {
            let paced = (sent as u64).saturating_sub(resource.ahead);
            let due = started + Duration::from_secs_f64(paced as f64 / rate as f64);
            tokio::time::sleep_until(due.into()).await;
        }
    }
    match fault {
        Some(Fault::StallAfter(_)) => {
            stream.flush().await?;
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        Some(Fault::DropAfter(_)) => {
            // Close without finishing: the client sees a short body.
            stream.shutdown().await?;
        }
        _ => {
            if resource.chunked {
                stream.write_all(b"0\r\n\r\n").await?;
            }
            if keep_alive {
                stream.flush().await?;
            } else {
                stream.shutdown().await?;
            }
        }
    }
    Ok(())
}

/// Answers that break the rules of HTTP, or pretend an error page is the file.
async fn misbehave<S: AsyncWrite + Unpin>(stream: &mut S, fault: &Fault) -> std::io::Result<()> {
    match fault {
        Fault::ManyHeaders(count) => {
            let mut headers: Vec<(String, String)> = (0..*count)
                .map(|i| (format!("X-Header-{i}"), "x".to_owned()))
                .collect();
            headers.push(("Content-Length".into(), "0".into()));
            write_head(stream, 200, "OK", &headers).await
        }
        Fault::EndlessHeader => {
            stream.write_all(b"HTTP/1.1 200 OK\r\nX-Endless: ").await?;
            let piece = [b'a'; 4096];
            loop {
                stream.write_all(&piece).await?;
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
        Fault::WebPage => {
            let page = b"<html><body><h1>503 Service busy</h1></body></html>";
            let headers = vec![
                ("Content-Type".into(), "text/html; charset=utf-8".into()),
                ("Content-Length".into(), page.len().to_string()),
            ];
            write_head(stream, 200, "OK", &headers).await?;
            stream.write_all(page).await?;
            stream.shutdown().await
        }
        _ => Ok(()),
    }
}

pub(super) async fn write_head<S: AsyncWrite + Unpin>(
    stream: &mut S,
    code: u16,
    reason: &str,
    headers: &[(String, String)],
) -> std::io::Result<()> {
    write_head_with(stream, code, reason, headers, false).await
}

async fn write_head_with<S: AsyncWrite + Unpin>(
    stream: &mut S,
    code: u16,
    reason: &str,
    headers: &[(String, String)],
    keep_alive: bool,
) -> std::io::Result<()> {
    let connection = if keep_alive { "keep-alive" } else { "close" };
    let mut head = format!("HTTP/1.1 {code} {reason}\r\nConnection: {connection}\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await
}

/// The request head, and whatever of the body came with it.
async fn read_request<S: AsyncRead + Unpin>(stream: &mut S) -> Option<(Seen, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 || buf.len() > 64 * 1024 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let leftover = buf[end..].to_vec();
    let text = String::from_utf8_lossy(&buf[..end]);
    let mut lines = text.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let path = request_line.next()?.to_owned();
    let headers = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Some((
        Seen {
            at: Instant::now(),
            method,
            path,
            headers,
        },
        leftover,
    ))
}
