//! HTTP(S) with reqwest: the shared client (connection pool, timeouts, redirect
//! rules, extra roots), what every request of a run needs (custom headers, the
//! response timeout, honouring a stop), and the choice of transfer for a run.

pub mod access;
mod body;
mod download;
mod response;
mod segmented;
mod tus;
mod upload;

use std::path::PathBuf;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{RequestBuilder, Response};

use super::connect_watch;
use super::error::{ErrorStatus, RedirectRefused, TransferError};
use super::operation::{Header, Kind, ServerResponse, Snapshot, UploadMode};
use super::run::{Interrupt, RunContext, RunEnd, Stop};
use super::{Options, redact_url};

/// The clients of one configuration (proxy and settings): each keeps its own
/// connection pool.
#[derive(Clone, Debug)]
pub struct Clients {
    /// For every request but the extra parts of a segmented download.
    pub whole: reqwest::Client,
    /// HTTP/1.1 only: the parts of a segmented download each get a TCP
    /// connection of their own, where HTTP/2 would make them streams of one.
    pub parts: reqwest::Client,
}

/// Also returns what went wrong with the extra root certificates (unreadable
/// files are skipped, so one bad path does not stop every download).
///
/// `proxy`: (URL, user, password) of a proxy for every request; `None` leaves the
/// environment's (`HTTP_PROXY`, `HTTPS_PROXY`, `NO_PROXY`). `insecure`: accept any
/// certificate (one operation's `--insecure`, never the shared clients).
pub fn build_clients(
    options: &Options,
    proxy: Option<(&str, Option<&str>, Option<&str>)>,
    insecure: bool,
) -> reqwest::Result<(Clients, Vec<String>)> {
    // Each build reads the system's certificate authorities: side by side, they
    // cost the agent's start one read, not two.
    let build = |http1_only| build_client(options, proxy, insecure, http1_only);
    let (whole, parts) = std::thread::scope(|scope| {
        let parts = scope.spawn(|| build(true));
        let whole = build(false);
        (whole, parts.join())
    });
    let (whole, warnings) = whole?;
    let (parts, _) = parts.unwrap_or_else(|_| build(true))?;
    Ok((Clients { whole, parts }, warnings))
}

fn build_client(
    options: &Options,
    proxy: Option<(&str, Option<&str>, Option<&str>)>,
    insecure: bool,
    http1_only: bool,
) -> reqwest::Result<(reqwest::Client, Vec<String>)> {
    let max_redirects = options.max_redirects;
    let allow_downgrade = options.allow_https_downgrade;
    let policy = reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() > max_redirects {
            return attempt.error(RedirectRefused::TooMany(max_redirects));
        }
        let downgrade = attempt.url().scheme() == "http"
            && attempt.previous().iter().any(|u| u.scheme() == "https");
        if downgrade && !allow_downgrade {
            let to = redact_url(attempt.url().as_str());
            return attempt.error(RedirectRefused::Downgrade(to));
        }
        attempt.follow()
    });
    let (roots, warnings) = extra_roots(&options.extra_root_certificates);
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("Ferry/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(options.timeouts.connect)
        .connector_layer(connect_watch::Layer)
        .redirect(policy)
        // reqwest's own Referer on a redirect is the whole previous address, query
        // (and any token in it) included, sent to whatever host the redirect
        // names. It offers no hook to cut it to the origin per target, so none is
        // sent: stricter than a browser's strict-origin-when-cross-origin, and a
        // Referer the user gives (-H, the browser's hand-off) still goes as given.
        .referer(false)
        .cookie_provider(std::sync::Arc::new(access::OperationCookies))
        .tls_certs_merge(roots);
    if http1_only {
        builder = builder.http1_only();
    }
    if insecure {
        builder = builder.tls_danger_accept_invalid_certs(true);
    }
    if let Some((url, user, password)) = proxy {
        let mut proxy = reqwest::Proxy::all(url)?;
        if let Some(user) = user {
            proxy = proxy.basic_auth(user, password.unwrap_or(""));
        }
        builder = builder.proxy(proxy);
    }
    Ok((builder.build()?, warnings))
}

/// Certificates (PEM bundles) trusted besides the system's.
fn extra_roots(paths: &[PathBuf]) -> (Vec<reqwest::Certificate>, Vec<String>) {
    let mut roots = Vec::new();
    let mut warnings = Vec::new();
    for path in paths {
        let loaded = std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|pem| reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| e.to_string()));
        match loaded {
            Ok(certs) if !certs.is_empty() => roots.extend(certs),
            Ok(_) => warnings.push(format!("no certificate in {}; ignored", path.display())),
            Err(e) => warnings.push(format!(
                "cannot use the certificates in {}: {e}; ignored",
                path.display()
            )),
        }
    }
    (roots, warnings)
}

/// Run one attempt of whatever `snapshot` is.
pub async fn run(context: &mut RunContext, snapshot: Snapshot) -> RunEnd {
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
pub use tus::terminate as terminate_tus_upload;

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
async fn send(context: &mut RunContext, request: RequestBuilder) -> Result<Response, Interrupt> {
    context.requester().send(request).await
}

/// What sending a request of a run needs, apart from the run itself, so that the
/// connections of a segmented download send at once.
#[derive(Clone, Debug)]
struct Requester {
    access: std::sync::Arc<access::Access>,
    timeout: Duration,
    live: std::sync::Arc<crate::engine::progress::Live>,
    stop: tokio::sync::watch::Receiver<Stop>,
}

impl RunContext {
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
        let access = std::sync::Arc::clone(&self.access);
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
        let live = std::sync::Arc::clone(&self.live);
        let client = client.clone();
        let access = std::sync::Arc::clone(&self.access);
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
async fn capture_response(context: &RunContext, mut response: Response) -> ServerResponse {
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
