//! HTTP(S) with reqwest: the shared client (connection pool, timeouts, redirect
//! rules, extra roots), what every request of a run needs (custom headers, the
//! response timeout, honouring a stop), and the choice of transfer for a run.

pub(super) mod access;
mod body;
mod clients;
mod download;
mod inspect;
mod response;
mod same_file;
mod segmented;
mod tus;
mod upload;

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{RequestBuilder, Response};

use super::connect_watch;
use super::error::{ErrorStatus, TransferError};
use super::operation::{Header, Kind, ServerResponse, Snapshot, UploadMode};
use super::run::{Interrupt, RunContext, RunEnd, Stop};

/// A run as HTTP sees it: the engine's side of the run, plus the clients and the
/// credentials of this operation (which only HTTP runs get).
#[derive(Debug)]
pub(super) struct HttpContext<'a> {
    run: &'a mut RunContext,
    clients: Clients,
    access: Arc<access::Access>,
}

impl<'a> HttpContext<'a> {
    pub(super) fn new(
        run: &'a mut RunContext,
        clients: Clients,
        access: Arc<access::Access>,
    ) -> Self {
        Self {
            run,
            clients,
            access,
        }
    }

    pub(super) fn client(&self) -> &reqwest::Client {
        &self.clients.whole
    }

    /// HTTP/1.1 only, for the parts of a segmented download.
    pub(super) fn parts_client(&self) -> &reqwest::Client {
        &self.clients.parts
    }

    /// The operation's credentials and cookies.
    pub(super) fn access(&self) -> Arc<access::Access> {
        Arc::clone(&self.access)
    }
}

impl std::ops::Deref for HttpContext<'_> {
    type Target = RunContext;

    fn deref(&self) -> &RunContext {
        self.run
    }
}

impl std::ops::DerefMut for HttpContext<'_> {
    fn deref_mut(&mut self) -> &mut RunContext {
        self.run
    }
}

/// Run one attempt of whatever `snapshot` is.
pub(super) async fn run(context: &mut HttpContext<'_>, snapshot: Snapshot) -> RunEnd {
    let tus = snapshot
        .upload
        .as_ref()
        .is_some_and(|u| u.mode == UploadMode::Tus);
    match (snapshot.kind, tus) {
        (Kind::Download, _) => download::run(context, snapshot).await,
        (Kind::Upload, false) => upload::run(context, snapshot).await,
        (Kind::Upload, true) => tus::run(context, snapshot).await,
    }
}

pub(crate) use body::check_unchanged as check_source_unchanged;
pub(super) use clients::{ClientCache, Clients, build_clients};
pub use inspect::Inspection;
pub(crate) use inspect::inspect;
pub(crate) use same_file::check as same_file;
pub(super) use tus::terminate as terminate_tus_upload;

/// The operation's own headers (validated at creation; anything unusable skipped).
fn custom_headers(headers: &[Header]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for h in headers {
        let name = HeaderName::from_bytes(h.name.as_bytes());
        let value = HeaderValue::from_str(&h.value);
        if let (Ok(name), Ok(value)) = (name, value) {
            map.append(name, value);
        }
    }
    map
}

/// Send a request: connect within the connect timeout, get the response headers
/// within the response timeout after the request went out, and give up at once on
/// a stop.
async fn send(
    context: &mut HttpContext<'_>,
    request: RequestBuilder,
) -> Result<Response, Interrupt> {
    context.requester().send(request).await
}

/// What sending a request of a run needs, apart from the run itself, so that the
/// connections of a segmented download send at once.
#[derive(Clone, Debug)]
struct Requester {
    access: Arc<access::Access>,
    timeout: Duration,
    live: Arc<crate::engine::progress::Live>,
    stop: tokio::sync::watch::Receiver<Stop>,
}

impl HttpContext<'_> {
    fn requester(&self) -> Requester {
        Requester {
            access: self.access(),
            timeout: self.options().timeouts.response,
            live: self.live_handle(),
            stop: self.stop.clone(),
        }
    }
}

impl Requester {
    /// Resolves when a stop is requested; never if the engine forgets the run.
    async fn stopped(&mut self) -> Stop {
        let stop = self.stop.wait_for(|s| *s != Stop::None).await.map(|s| *s);
        match stop {
            Ok(stop) => stop,
            Err(_) => std::future::pending().await,
        }
    }

    /// Send `request` with the operation's credentials and cookies: the answer's
    /// head within the response timeout, given up at once on a stop.
    async fn send(&mut self, request: RequestBuilder) -> Result<Response, Interrupt> {
        let access = Arc::clone(&self.access);
        let (client, request) = access.apply(request).build_split();
        let mut request = request.map_err(TransferError::from_reqwest)?;
        let repeatable = request.try_clone().is_some();
        access.authorize(&mut request, repeatable);
        let answered = request
            .headers()
            .contains_key(reqwest::header::AUTHORIZATION);
        let again = request.try_clone();
        let response = self.execute(&client, request).await?;
        if response.status() != reqwest::StatusCode::UNAUTHORIZED
            || !access.learn(&response, answered)
        {
            return Ok(response);
        }
        // The server said how it wants the credentials: once more, answering it.
        match again {
            Some(mut request) => {
                access.authorize(&mut request, true);
                self.execute(&client, request).await
            }
            None => Ok(response),
        }
    }

    /// Send one request with the operation's cookies, under the response timeout.
    async fn execute(
        &mut self,
        client: &reqwest::Client,
        request: reqwest::Request,
    ) -> Result<Response, Interrupt> {
        let timeout = self.timeout;
        let live = Arc::clone(&self.live);
        let client = client.clone();
        let access = Arc::clone(&self.access);
        // `execute` reads the cookie store when called, not when polled: call it
        // inside the future that runs with the operation's jar.
        let send = access.with_cookies(connect_watch::with_response_timeout(
            async move { client.execute(request).await },
            timeout,
            move || live.bytes(),
        ));
        let response = tokio::select! {
            stop = self.stopped() => return Err(Interrupt::Stop(stop)),
            sent = send => sent,
        };
        match response {
            Err(()) => Err(TransferError::new(
                ErrorStatus::Timeout,
                format!(
                    "no response from the server within {} of sending the request",
                    seconds(timeout)
                ),
            )
            .into()),
            Ok(Err(error)) => Err(TransferError::from_reqwest(error).into()),
            Ok(Ok(response)) => Ok(response),
        }
    }
}

/// How much of an answer's body is kept with the operation.
const KEPT_BODY_BYTES: usize = 64 * 1024;

/// The status, headers and first 64 KiB of the body of an answer. A body that
/// stalls or breaks leaves what arrived.
async fn capture_response(context: &HttpContext<'_>, mut response: Response) -> ServerResponse {
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| Header {
            name: name.as_str().to_owned(),
            value: String::from_utf8_lossy(value.as_bytes()).into_owned(),
        })
        .collect();
    let status = response.status().as_u16();
    let stall = context.options().timeouts.stall;
    let mut body = Vec::new();
    let mut truncated = false;
    while let Ok(Ok(Some(chunk))) = tokio::time::timeout(stall, response.chunk()).await {
        let room = KEPT_BODY_BYTES - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            truncated = true;
            break;
        }
        body.extend_from_slice(&chunk);
    }
    ServerResponse {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        truncated,
    }
}

fn seconds(duration: Duration) -> String {
    format!("{:.1} s", duration.as_secs_f64())
}
