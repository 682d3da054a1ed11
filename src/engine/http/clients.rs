//! The HTTP clients: one shared pair for the usual configuration, and one pair per
//! proxy (with its credentials) or `--insecure` operation, built on first use and
//! kept, so each keeps its connection pool.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use super::super::error::{ErrorStatus, RedirectRefused, TransferError};
use super::super::operation::Snapshot;
use super::super::secrets::Secrets;
use super::super::{Options, connect_watch, redact_url, validate};
use super::access;

/// The clients of one configuration (proxy and settings): each keeps its own
/// connection pool.
#[derive(Clone, Debug)]
pub(crate) struct Clients {
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
pub(crate) fn build_clients(
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

/// The shared clients and those of other configurations, by configuration.
#[derive(Debug)]
pub(crate) struct ClientCache {
    pub shared: Clients,
    by_configuration: Mutex<HashMap<String, Clients>>,
}

impl ClientCache {
    pub(crate) fn new(shared: Clients) -> Self {
        Self {
            shared,
            by_configuration: Mutex::new(HashMap::new()),
        }
    }

    /// The client for an operation's requests, and the proxy it goes through (its
    /// own, else the global setting, else the shared client with the environment's).
    pub(crate) fn for_operation(
        &self,
        options: &Options,
        snapshot: &Snapshot,
        secrets: &Secrets,
    ) -> Result<(Clients, Option<String>), TransferError> {
        let proxy = match (&snapshot.proxy, &options.proxy) {
            (Some(url), _) => Some((
                url.clone(),
                snapshot.secrets.proxy_user.clone(),
                secrets.proxy_password.clone(),
            )),
            (None, Some(global)) => Some(validate::proxy(global).map_err(|e| {
                TransferError::new(ErrorStatus::ProxyAuthenticationRequired, e.to_string())
            })?),
            (None, None) => None,
        };
        if proxy.is_none() && !snapshot.insecure {
            return Ok((self.shared.clone(), None));
        }
        let key = match &proxy {
            Some((url, user, password)) => format!(
                "{url}\n{}\n{}\n{}",
                user.as_deref().unwrap_or(""),
                password.as_deref().unwrap_or(""),
                snapshot.insecure
            ),
            None => "insecure".to_owned(),
        };
        let url = proxy.as_ref().map(|(url, _, _)| url.clone());
        if let Some(client) = self.lock().get(&key) {
            return Ok((client.clone(), url));
        }
        let (client, _) = build_clients(
            options,
            proxy
                .as_ref()
                .map(|(url, user, password)| (url.as_str(), user.as_deref(), password.as_deref())),
            snapshot.insecure,
        )
        .map_err(|e| {
            let through = url
                .as_deref()
                .map(|u| format!(" through the proxy {}", redact_url(u)))
                .unwrap_or_default();
            TransferError::new(
                ErrorStatus::CannotConnect,
                format!("cannot make a client{through}: {e}"),
            )
        })?;
        self.lock().insert(key, client.clone());
        Ok((client, url))
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Clients>> {
        self.by_configuration
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
