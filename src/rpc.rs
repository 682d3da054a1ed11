//! aria2's JSON-RPC (F23), so what speaks it drives Ferry: the AriaNg web UI,
//! Aria2App, the "aria2" browser extensions, dashboards and Python's `aria2p`.
//! Off unless `rpc_listen` is set, and never without `rpc_secret`; loopback
//! unless the user names another address. Operations made through it are
//! ordinary Ferry operations (the window, `ferry list`, policies, groups).
//!
//! - [`http`]: the listener: HTTP POST/GET and WebSocket on `/jsonrpc`, bounded.
//! - [`jsonrpc`]: JSON-RPC 2.0 envelopes, batches and errors.
//! - [`methods`]: the aria2 methods, on the engine.
//! - [`aria2`]: Ferry's operations in aria2's words (GIDs, statuses, options).
//! - [`notify`]: engine events as aria2 notifications.

mod aria2;
mod http;
mod jsonrpc;
mod methods;
mod notify;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::{Notify, Semaphore};

use crate::config::Config;
use crate::engine::Engine;

/// The most connections served at once; more are turned away.
const MAX_CONNECTIONS: usize = 64;

/// Where and how the RPC listens.
#[derive(Clone, Debug)]
pub struct Settings {
    pub listen: SocketAddr,
    pub secret: String,
    /// Origins of pages allowed to call (a web-hosted AriaNg); a request with any
    /// other `Origin` is refused, one without (a script, an app) is not asked.
    pub allowed_origins: Vec<String>,
}

impl Settings {
    /// The settings' RPC: `Ok(None)` when it is off, `Err` (why) when it is asked
    /// for but cannot be (no secret, not an address).
    pub fn from_config(config: &Config) -> Result<Option<Self>, String> {
        let Some(listen) = config
            .rpc_listen
            .as_deref()
            .filter(|l| !l.trim().is_empty())
        else {
            return Ok(None);
        };
        let listen: SocketAddr = listen.trim().parse().map_err(|_| {
            format!("rpc_listen = {listen:?} is not an address and port (such as 127.0.0.1:6800); the RPC is off")
        })?;
        let secret = config.rpc_secret.clone().unwrap_or_default();
        if secret.trim().is_empty() {
            return Err(
                "rpc_listen is set but rpc_secret is not: the RPC stays off until it has a secret"
                    .to_owned(),
            );
        }
        Ok(Some(Self {
            listen,
            secret,
            allowed_origins: config.rpc_allowed_origins.clone(),
        }))
    }
}

/// What every connection shares.
struct Shared {
    context: methods::Context,
    allowed_origins: Vec<String>,
    /// Listening on loopback only: a request must name this machine as its
    /// `Host` (a web page that rebinds its own name to 127.0.0.1 does not).
    loopback: bool,
}

impl Shared {
    /// A `Host` a request to this listener may carry: on loopback, an address
    /// or `localhost` only, so a page that rebinds its own name to 127.0.0.1
    /// (DNS rebinding) is refused before the secret is even looked at.
    fn host_allowed(&self, host: Option<&str>) -> bool {
        let Some(host) = host else {
            return true;
        };
        if !self.loopback {
            return true;
        }
        let name = match host.strip_prefix('[') {
            Some(rest) => rest.split(']').next().unwrap_or(""),
            None => host.rsplit_once(':').map_or(host, |(name, _)| name),
        };
        name.eq_ignore_ascii_case("localhost") || name.parse::<std::net::IpAddr>().is_ok()
    }

    fn origin_allowed(&self, origin: &str) -> bool {
        self.allowed_origins
            .iter()
            .any(|allowed| allowed.trim_end_matches('/') == origin.trim_end_matches('/'))
    }
}

/// The RPC, listening; it stops when this is dropped.
#[derive(Debug)]
pub struct Listening {
    pub address: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Listening {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Listen; `quit` is notified by `aria2.shutdown`.
pub async fn start(
    settings: Settings,
    engine: Engine,
    quit: Arc<Notify>,
) -> std::io::Result<Listening> {
    let listener = TcpListener::bind(settings.listen).await?;
    let address = listener.local_addr()?;
    if !address.ip().is_loopback() {
        tracing::warn!(%address, "the aria2 RPC listens beyond this machine: anyone who can reach it and knows the secret can download to it");
    }
    tracing::info!(%address, "aria2 RPC listening");
    let shared = Arc::new(Shared {
        context: methods::Context::new(engine, settings.secret, quit),
        allowed_origins: settings.allowed_origins,
        loopback: address.ip().is_loopback(),
    });
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
                // Too many at once: told so and closed, the others go on.
                tokio::spawn(http::too_busy(stream));
                continue;
            };
            let shared = Arc::clone(&shared);
            tokio::spawn(async move {
                http::serve(shared, stream).await;
                drop(slot);
            });
        }
    });
    Ok(Listening { address, task })
}
