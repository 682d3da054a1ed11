//! What an operation's requests carry besides its plain headers: the server's
//! credentials (basic authentication), credential headers, and its own cookie jar.
//!
//! The jar is per operation although the HTTP client is shared: the client's cookie
//! store reads the jar of the operation whose request it is handling from a
//! task-local, so cookies given at creation go out with every request of that
//! operation, and cookies its server sets (on a redirect, say) are kept for it and
//! for no other. reqwest itself drops `Authorization`, `Cookie` and
//! `Proxy-Authorization` when a redirect leaves the host.

use std::sync::Arc;

use reqwest::RequestBuilder;
use reqwest::cookie::{CookieStore, Jar};
use reqwest::header::{HeaderMap, HeaderValue};

use super::custom_headers;
use crate::engine::operation::Snapshot;
use crate::engine::secrets::Secrets;

tokio::task_local! {
    static JAR: Arc<Jar>;
}

/// The credentials and cookies of one operation, ready for its requests.
#[derive(Debug, Default)]
pub struct Access {
    basic: Option<(String, Option<String>)>,
    headers: HeaderMap,
    jar: Arc<Jar>,
}

impl Access {
    pub fn new(snapshot: &Snapshot, secrets: &Secrets) -> Self {
        let jar = Jar::default();
        if let Ok(url) = reqwest::Url::parse(&snapshot.url) {
            for cookie in &secrets.cookies {
                jar.add_cookie_str(cookie, &url);
            }
        }
        Self {
            basic: snapshot
                .secrets
                .user
                .clone()
                .map(|user| (user, secrets.password.clone())),
            headers: custom_headers(&secrets.headers),
            jar: Arc::new(jar),
        }
    }

    /// Whether the requests carry any credentials for the server.
    pub fn has_credentials(&self) -> bool {
        self.basic.is_some() || self.headers.contains_key(reqwest::header::AUTHORIZATION)
    }

    /// Add the credentials to a request (an explicit `Authorization` header wins).
    pub fn apply(&self, mut request: RequestBuilder) -> RequestBuilder {
        request = request.headers(self.headers.clone());
        if let (Some((user, password)), false) = (
            &self.basic,
            self.headers.contains_key(reqwest::header::AUTHORIZATION),
        ) {
            request = request.basic_auth(user, password.as_deref());
        }
        request
    }

    /// Run `future` (a request being sent) with this operation's cookie jar.
    pub async fn with_cookies<F: Future>(&self, future: F) -> F::Output {
        JAR.scope(Arc::clone(&self.jar), future).await
    }
}

/// The shared client's cookie store: the jar of the operation at hand, if any.
#[derive(Debug)]
pub struct OperationCookies;

impl CookieStore for OperationCookies {
    fn set_cookies(&self, headers: &mut dyn Iterator<Item = &HeaderValue>, url: &reqwest::Url) {
        let _ = JAR.try_with(|jar| jar.set_cookies(headers, url));
    }

    fn cookies(&self, url: &reqwest::Url) -> Option<HeaderValue> {
        JAR.try_with(|jar| jar.cookies(url)).ok().flatten()
    }
}
