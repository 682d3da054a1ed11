//! What an operation's requests carry besides its plain headers: the server's
//! credentials, credential headers, and its own cookie jar.
//!
//! Credentials follow the server's challenge (`WWW-Authenticate`), Basic or
//! Digest, through `http-auth`. Over https, and for a body that cannot be sent
//! twice (a streamed upload), Basic goes with the first request, as curl does with
//! `-u`; over plain http a request that can be repeated waits for the challenge,
//! so a Digest server never sees the password.
//!
//! The jar is per operation although the HTTP client is shared: the client's cookie
//! store reads the jar of the operation whose request it is handling from a
//! task-local, so cookies given at creation go out with every request of that
//! operation, and cookies its server sets (on a redirect, say) are kept for it and
//! for no other. reqwest itself drops `Authorization`, `Cookie` and
//! `Proxy-Authorization` when a redirect leaves the host.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use reqwest::RequestBuilder;
use reqwest::cookie::{CookieStore, Jar};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue, WWW_AUTHENTICATE};

use super::custom_headers;
use crate::engine::operation::Snapshot;
use crate::engine::secrets::Secrets;

tokio::task_local! {
    static JAR: Arc<Jar>;
}

/// The credentials and cookies of one operation, ready for its requests.
#[derive(Debug, Default)]
pub(crate) struct Access {
    /// The server's user and password.
    login: Option<(String, String)>,
    headers: HeaderMap,
    jar: Arc<Jar>,
    /// The server's last challenge, answered on every later request of the run.
    challenge: Mutex<Option<http_auth::PasswordClient>>,
    /// How many challenges were learned (a caller that cannot repeat its request
    /// itself sees whether repeating it would now be answered).
    challenges: AtomicUsize,
}

impl Access {
    pub(crate) fn new(snapshot: &Snapshot, secrets: &Secrets) -> Self {
        let jar = Jar::default();
        if let Ok(url) = reqwest::Url::parse(&snapshot.url) {
            for cookie in &secrets.cookies {
                jar.add_cookie_str(cookie, &url);
            }
        }
        Self {
            login: snapshot
                .secrets
                .user
                .clone()
                .map(|user| (user, secrets.password.clone().unwrap_or_default())),
            headers: custom_headers(&secrets.headers),
            jar: Arc::new(jar),
            challenge: Mutex::default(),
            challenges: AtomicUsize::new(0),
        }
    }

    /// Whether the requests carry any credentials for the server.
    pub(crate) fn has_credentials(&self) -> bool {
        self.login.is_some() || self.headers.contains_key(AUTHORIZATION)
    }

    /// Add the operation's credential headers (an explicit `Authorization` wins
    /// over the user and password).
    pub(crate) fn apply(&self, request: RequestBuilder) -> RequestBuilder {
        request.headers(self.headers.clone())
    }

    /// Answer the server's challenge, if one is known; else send Basic at once
    /// where waiting for a challenge would cost too much or protect nothing.
    pub(crate) fn authorize(&self, request: &mut reqwest::Request, repeatable: bool) {
        let Some((user, password)) = &self.login else {
            return;
        };
        if request.headers().contains_key(AUTHORIZATION) {
            return;
        }
        let mut challenge = self
            .challenge
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let answer = match challenge.as_mut() {
            Some(client) => {
                let url = request.url();
                let uri = match url.query() {
                    Some(query) => format!("{}?{query}", url.path()),
                    None => url.path().to_owned(),
                };
                let body = request.body().and_then(reqwest::Body::as_bytes);
                let method = request.method().as_str().to_owned();
                client
                    .respond(&http_auth::PasswordParams {
                        username: user,
                        password,
                        uri: &uri,
                        method: &method,
                        body: body.or(Some(&[])),
                    })
                    .map_err(|e| tracing::warn!(error = %e, "cannot answer the server's challenge"))
                    .ok()
            }
            None if request.url().scheme() == "https" || !repeatable => {
                Some(http_auth::basic::encode_credentials(user, password))
            }
            None => None,
        };
        if let Some(value) = answer.and_then(|a| HeaderValue::from_str(&a).ok()) {
            let mut value = value;
            value.set_sensitive(true);
            request.headers_mut().insert(AUTHORIZATION, value);
        }
    }

    /// Learn the challenge of a 401 answer to a request that carried credentials
    /// (`answered`) or not; whether the request is worth repeating. A Basic
    /// challenge to Basic credentials is a refusal: they are wrong.
    pub(crate) fn learn(&self, response: &reqwest::Response, answered: bool) -> bool {
        if self.login.is_none() || self.headers.contains_key(AUTHORIZATION) {
            return false;
        }
        let challenges = response.headers().get_all(WWW_AUTHENTICATE);
        match http_auth::PasswordClient::try_from(challenges) {
            Ok(http_auth::PasswordClient::Basic(_)) if answered => false,
            Ok(client) => {
                *self
                    .challenge
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = Some(client);
                self.challenges.fetch_add(1, Ordering::Relaxed);
                true
            }
            Err(e) => {
                tracing::debug!(error = %e, "no challenge Ferry can answer");
                false
            }
        }
    }

    /// How many challenges were learned so far.
    pub(crate) fn challenges_learned(&self) -> usize {
        self.challenges.load(Ordering::Relaxed)
    }

    /// Run `future` (a request being sent) with this operation's cookie jar.
    pub(crate) async fn with_cookies<F: Future>(&self, future: F) -> F::Output {
        JAR.scope(Arc::clone(&self.jar), future).await
    }
}

/// The shared client's cookie store: the jar of the operation at hand, if any.
#[derive(Debug)]
pub(crate) struct OperationCookies;

impl CookieStore for OperationCookies {
    fn set_cookies(&self, headers: &mut dyn Iterator<Item = &HeaderValue>, url: &reqwest::Url) {
        let _ = JAR.try_with(|jar| jar.set_cookies(headers, url));
    }

    fn cookies(&self, url: &reqwest::Url) -> Option<HeaderValue> {
        JAR.try_with(|jar| jar.cookies(url)).ok().flatten()
    }
}
