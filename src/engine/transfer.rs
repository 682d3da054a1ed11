//! Which protocol moves an operation's bytes: the one place that switches on it.
//! A run gets what its protocol needs (HTTP: the clients of its configuration and
//! its credentials as HTTP applies them; FTP: its secrets for the login), and
//! what a cancel or restart must undo on the server is undone here too.

use std::sync::Arc;

use super::error::{ErrorStatus, TransferError};
use super::operation::{Protocol, Snapshot, Status, Validators};
use super::run::{RunContext, RunEnd};
use super::secrets::Secrets;
use super::{Inner, ftp, http};

/// How one attempt ended, and where to ask whether the network is there when it
/// failed as if it were not (the proxy, when one is used; `None`: the failure
/// came before any connection was tried).
pub(super) struct Attempt {
    pub end: RunEnd,
    pub reach: Option<String>,
}

/// The operation's secrets (passwords, credential headers, cookies); the store is
/// asked only when the operation has some.
async fn secrets_of(inner: &Inner, snapshot: &Snapshot) -> Secrets {
    if snapshot.secrets.is_empty() {
        Secrets::default()
    } else {
        inner.secrets.get(snapshot.id).await
    }
}

/// One attempt of `snapshot`, by its protocol.
pub(super) async fn run(inner: &Inner, context: &mut RunContext, snapshot: Snapshot) -> Attempt {
    let secrets = secrets_of(inner, &snapshot).await;
    match snapshot.protocol() {
        Protocol::Ftp => {
            let reach = Some(snapshot.url.clone());
            let end = ftp::run(context, snapshot, &secrets).await;
            Attempt { end, reach }
        }
        Protocol::Http => run_http(inner, context, snapshot, &secrets).await,
    }
}

async fn run_http(
    inner: &Inner,
    context: &mut RunContext,
    snapshot: Snapshot,
    secrets: &Secrets,
) -> Attempt {
    let access = Arc::new(http::access::Access::new(&snapshot, secrets));
    let (clients, proxy) = match inner
        .clients
        .for_operation(&inner.options, &snapshot, secrets)
    {
        Ok(found) => found,
        Err(error) => {
            return Attempt {
                end: RunEnd::Failed(error),
                reach: None,
            };
        }
    };
    // Through a proxy, the proxy is what must answer for the network to be there.
    let reach = Some(proxy.unwrap_or_else(|| snapshot.url.clone()));
    let mut http_context = http::HttpContext::new(context, clients, Arc::clone(&access));
    let mut end = http::run(&mut http_context, snapshot).await;
    if let RunEnd::Failed(error) = &mut end
        && error.status == ErrorStatus::Unauthorized
        && !access.has_credentials()
    {
        error.message = format!(
            "{}: the server needs a user name and password",
            error.message
        );
    }
    Attempt { end, reach }
}

/// The validators of `url` when it serves the file `snapshot` was fetching (see
/// `http::same_file`); an error saying why not otherwise.
pub(super) async fn same_file(
    inner: &Inner,
    snapshot: &Snapshot,
    url: &reqwest::Url,
) -> Result<Validators, TransferError> {
    if snapshot.protocol() != Protocol::Http || Protocol::of_scheme(url.scheme()) != Protocol::Http
    {
        return Err(TransferError::new(
            ErrorStatus::Unknown,
            "a new address can be given to HTTP(S) downloads only, for now",
        ));
    }
    let secrets = secrets_of(inner, snapshot).await;
    let access = Arc::new(http::access::Access::new(snapshot, &secrets));
    let (clients, _) = inner
        .clients
        .for_operation(&inner.options, snapshot, &secrets)?;
    http::same_file(&inner.options, &clients, access, snapshot, url).await
}

/// What `snapshot`'s address serves (see `http::inspect`): an operation not
/// created yet, with its credentials, cookies, headers and proxy.
pub(super) async fn inspect(
    inner: &Inner,
    snapshot: &Snapshot,
    secrets: &Secrets,
) -> Result<http::Inspection, TransferError> {
    if snapshot.protocol() != Protocol::Http {
        return Err(TransferError::new(
            ErrorStatus::ProtocolNotSupported,
            "only HTTP(S) addresses can be checked before they are added, for now",
        ));
    }
    let access = Arc::new(http::access::Access::new(snapshot, secrets));
    let (clients, _) = inner
        .clients
        .for_operation(&inner.options, snapshot, secrets)?;
    http::inspect(&inner.options, &clients, access, snapshot).await
}

/// What a cancel leaves on the server, dropped in the background (best effort):
/// a tus upload is terminated, an FTP upload's partial file deleted.
pub(super) fn abandon_remote(inner: &Arc<Inner>, snapshot: &Snapshot) {
    terminate_tus_upload(inner, snapshot);
    let ftp_started = snapshot.upload.as_ref().is_some_and(|u| u.ftp_started);
    if !ftp_started || snapshot.status == Status::Completed {
        return;
    }
    let inner = Arc::clone(inner);
    let snapshot = snapshot.clone();
    tokio::spawn(async move {
        let secrets = secrets_of(&inner, &snapshot).await;
        ftp::abandon_upload(inner.options.clone(), snapshot, secrets).await;
    });
}

/// A restart sends everything again: a tus upload's server-side copy is dropped
/// (an FTP upload's file is overwritten by the next `STOR` anyway).
pub(super) fn forget_remote(inner: &Inner, snapshot: &Snapshot) {
    terminate_tus_upload(inner, snapshot);
}

/// Ask a tus server to drop the upload (the server expires abandoned uploads
/// anyway).
fn terminate_tus_upload(inner: &Inner, snapshot: &Snapshot) {
    let Some(url) = snapshot.upload.as_ref().and_then(|u| u.tus_url.clone()) else {
        return;
    };
    tokio::spawn(http::terminate_tus_upload(
        inner.clients.shared.whole.clone(),
        url,
        snapshot.headers.clone(),
    ));
}
