//! The seed gives a request five minutes to connect and, once connected, two
//! minutes to receive the response headers. reqwest has one connect timeout but no
//! "headers after connecting" timeout, so a connector layer reports to the request
//! that started it when its connection is being set up and when it is ready.
//!
//! The report goes through a task-local: the connector runs inside the request's
//! own future (hyper-util polls it in place), and a connection that finishes in the
//! background after a pooled one was used instead simply reports to nobody.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

tokio::task_local! {
    static WATCH: Arc<ConnectWatch>;
}

/// What one request learned about its connection.
#[derive(Debug, Default)]
pub(super) struct ConnectWatch {
    connecting: AtomicBool,
    connected_at: Mutex<Option<Instant>>,
}

impl ConnectWatch {
    fn started(&self) {
        self.connecting.store(true, Ordering::Relaxed);
    }

    fn finished(&self) {
        *self
            .connected_at
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Instant::now());
        self.connecting.store(false, Ordering::Relaxed);
    }

    fn connecting(&self) -> bool {
        self.connecting.load(Ordering::Relaxed)
    }

    fn connected_at(&self) -> Option<Instant> {
        *self
            .connected_at
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Run `send` (a request's future); resolves to `Err(())` when the response headers
/// have not arrived `response_timeout` after the request went out: counted from
/// when the connection was ready (or the start, for a reused connection) and from
/// the last progress of the request body (`sent` counts its bytes), so a long
/// upload is not cut while its body is still going out. Connecting itself is
/// bounded by the client's connect timeout.
pub(super) async fn with_response_timeout<T>(
    send: impl Future<Output = T>,
    response_timeout: Duration,
    sent: impl Fn() -> u64,
) -> Result<T, ()> {
    let watch = Arc::new(ConnectWatch::default());
    let started = Instant::now();
    let send = WATCH.scope(Arc::clone(&watch), send);
    let deadline = async {
        let mut last_sent = (sent(), started);
        loop {
            let now = Instant::now();
            if watch.connecting() {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
            let count = sent();
            if count != last_sent.0 {
                last_sent = (count, now);
            }
            let since = watch.connected_at().unwrap_or(started).max(last_sent.1);
            let due = since + response_timeout;
            if now >= due {
                return;
            }
            tokio::time::sleep((due - now).min(Duration::from_millis(100))).await;
        }
    };
    tokio::select! {
        result = send => Ok(result),
        () = deadline => Err(()),
    }
}

/// The connector layer that reports to [`with_response_timeout`].
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Layer;

impl<S> tower_layer::Layer<S> for Layer {
    type Service = Service<S>;
    fn layer(&self, inner: S) -> Self::Service {
        Service { inner }
    }
}

#[derive(Clone, Debug)]
pub(super) struct Service<S> {
    inner: S,
}

impl<S, Request> tower_service::Service<Request> for Service<S>
where
    S: tower_service::Service<Request>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let watch = WATCH.try_with(Arc::clone).ok();
        if let Some(watch) = &watch {
            watch.started();
        }
        let connecting = self.inner.call(request);
        Box::pin(async move {
            let result = connecting.await;
            if let Some(watch) = watch {
                watch.finished();
            }
            result
        })
    }
}
