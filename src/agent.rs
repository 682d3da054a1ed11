//! The agent: the one process per data directory that owns the database and runs
//! transfers. It holds a lock file (a second agent exits with a clear message),
//! serves the engine on a Unix socket (mode 0600) and checkpoints everything when
//! asked to quit or sent SIGTERM/SIGINT.

mod answer;
mod completion;
mod handoff;
mod signals;
pub mod when_done;

pub use handoff::{Answer, Offer};
pub use when_done::WhenDoneHandle;

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use tokio::io::BufReader;
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::Notify;

use crate::config;
use crate::data_dir::{InstanceLock, lock_instance, socket_path};
use crate::engine::{self, Engine, Event, OperationId};
use crate::ipc::{self, ErrorCode, PROTOCOL, Request, Response};
use signals::StopSignals;

/// Whether the process at the other end of `stream` runs as this user. The
/// socket is private already; this holds even if its folder's mode is changed.
fn is_own_user(stream: &UnixStream) -> bool {
    let own = rustix::process::getuid().as_raw();
    match stream.peer_cred() {
        Ok(peer) if peer.uid() == own => true,
        Ok(peer) => {
            tracing::warn!(
                uid = peer.uid(),
                pid = peer.pid(),
                "refused a connection from another user"
            );
            false
        }
        Err(e) => {
            tracing::warn!(error = %e, "refused a connection whose user is unknown");
            false
        }
    }
}

/// Tell a client of another user why it is refused (once it said hello, so it
/// is listening), and hang up.
async fn refuse(stream: UnixStream) {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(2),
        ipc::read_line(&mut reader),
    )
    .await;
    let response = Response::error(
        ErrorCode::Forbidden,
        "this agent belongs to another user; connections from other users are refused",
    );
    let _ = ipc::write_line(&mut write, &response).await;
}

/// Run the agent without a window until `quit`, SIGTERM or SIGINT.
pub async fn run(data_dir: PathBuf, config_path: PathBuf) -> anyhow::Result<()> {
    if let Some(agent) = Agent::start(data_dir, config_path).await? {
        agent.serve(None, Arc::new(Notify::new())).await;
    }
    Ok(())
}

/// What the agent asks of a desktop app living in its process.
pub trait Desktop: Send + Sync {
    /// Open the window, or bring it forward.
    fn show_window(&self);
    /// Put a download from the browser to the user; the answer goes back
    /// through the offer (one dropped unanswered means no).
    fn offer(&self, offer: Arc<Offer>);
    /// An offer nobody answered in time: the browser has its download back.
    fn withdraw(&self, _offer: Arc<Offer>) {}
    /// List links from a page for the user to pick from.
    fn pick_links(&self, requests: Vec<engine::Request>);
}

/// An agent that owns its data directory and engine, ready to serve.
#[derive(Debug)]
pub struct Agent {
    engine: Engine,
    /// Feeds the engine the network and power conditions while the agent lives.
    _monitor: Box<dyn engine::NetworkMonitor>,
    config: config::Config,
    notices: Vec<String>,
    listener: UnixListener,
    socket: PathBuf,
    signals: StopSignals,
    when_done: WhenDoneHandle,
    _lock: InstanceLock,
}

impl Agent {
    /// Take the data directory's lock, load the settings, open the engine and
    /// listen on the socket. `None`: SIGTERM or SIGINT came while it was opening;
    /// nothing was running yet and the store is consistent at every commit, so
    /// there is nothing to serve or to checkpoint.
    pub async fn start(data_dir: PathBuf, config_path: PathBuf) -> anyhow::Result<Option<Self>> {
        let mut signals = StopSignals::listen();
        let lock = lock_instance(&data_dir)?;
        let loaded = config::load(&config_path);
        for warning in &loaded.warnings {
            tracing::warn!("{warning}");
        }
        let options = loaded.config.engine_options(data_dir.clone());
        let engine = tokio::select! {
            engine = Engine::open(options) => engine?,
            () = signals.received() => {
                tracing::info!("stopped while starting");
                return Ok(None);
            }
        };
        let monitor = crate::system::monitor().await;
        engine.follow_network(monitor.as_ref());
        let mut notices = loaded.warnings.clone();
        notices.extend(engine.notices());

        let socket = socket_path(&data_dir);
        let _ = std::fs::remove_file(&socket);
        let listener = UnixListener::bind(&socket)
            .with_context(|| format!("cannot listen on {}", socket.display()))?;
        std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o600))?;
        tracing::info!(socket = %socket.display(), pid = std::process::id(), "agent ready");
        Ok(Some(Self {
            engine,
            _monitor: monitor,
            config: loaded.config,
            notices,
            listener,
            socket,
            signals,
            when_done: WhenDoneHandle::new(),
            _lock: lock,
        }))
    }

    pub fn engine(&self) -> Engine {
        self.engine.clone()
    }

    /// What happens once everything is done, for the window and the tray.
    pub fn when_done(&self) -> WhenDoneHandle {
        self.when_done.clone()
    }

    /// The settings the agent started with.
    pub fn config(&self) -> &config::Config {
        &self.config
    }

    /// The aria2 RPC, when the settings ask for it; what keeps it from starting
    /// is logged and told to the first client.
    async fn start_rpc(&mut self, quit: &Arc<Notify>) -> Option<crate::rpc::Listening> {
        let settings = match crate::rpc::Settings::from_config(&self.config) {
            Ok(settings) => settings?,
            Err(why) => {
                tracing::warn!("{why}");
                self.notices.push(why);
                return None;
            }
        };
        let address = settings.listen;
        match crate::rpc::start(settings, self.engine.clone(), Arc::clone(quit)).await {
            Ok(listening) => Some(listening),
            Err(e) => {
                let why = format!("the aria2 RPC cannot listen on {address}: {e}");
                tracing::warn!("{why}");
                self.notices.push(why);
                None
            }
        }
    }

    /// Serve clients until `quit` is notified (or `ferry quit`, SIGTERM, SIGINT),
    /// then checkpoint every transfer and release the data directory.
    pub async fn serve(mut self, desktop: Option<Arc<dyn Desktop>>, quit: Arc<Notify>) {
        let rpc = self.start_rpc(&quit).await;
        let shared = Arc::new(Shared {
            engine: self.engine.clone(),
            notices: Mutex::new(std::mem::take(&mut self.notices)),
            quit,
            desktop,
            when_done: self.when_done.clone(),
        });
        let (stop_actions, actions_stopped) = tokio::sync::watch::channel(false);
        let retry = completion::Retry {
            retries: self.config.completion.retries,
            delay: self.config.completion.retry_delay(),
        };
        let when_done = tokio::spawn(when_done::run(
            self.engine.clone(),
            self.when_done.clone(),
            self.config.completion.when_done_delay(),
            Arc::clone(&shared.quit),
            actions_stopped.clone(),
        ));
        let actions = tokio::spawn(completion::run(self.engine.clone(), retry, actions_stopped));
        loop {
            tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok((stream, _)) if is_own_user(&stream) => {
                        tokio::spawn(serve(Arc::clone(&shared), stream));
                    }
                    Ok((stream, _)) => {
                        tokio::spawn(refuse(stream));
                    }
                    Err(e) => tracing::warn!(error = %e, "accept failed"),
                },
                () = shared.quit.notified() => break,
                () = self.signals.received() => break,
            }
        }
        tracing::info!("agent quitting");
        // Stop accepting first, so no new client talks to an engine that is stopping.
        drop(rpc);
        drop(self.listener);
        let _ = std::fs::remove_file(&self.socket);
        stop_actions.send_replace(true);
        let _ = actions.await;
        let _ = when_done.await;
        self.engine.shutdown().await;
    }
}

struct Shared {
    engine: Engine,
    /// Told to the first client that connects, then forgotten.
    notices: Mutex<Vec<String>>,
    quit: Arc<Notify>,
    desktop: Option<Arc<dyn Desktop>>,
    when_done: WhenDoneHandle,
}

async fn serve(shared: Arc<Shared>, stream: UnixStream) {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    let mut greeted = false;
    loop {
        let line = match ipc::read_line(&mut reader).await {
            Ok(Some(line)) => line,
            Ok(None) => return,
            Err(e) => {
                let _ = ipc::write_line(
                    &mut write,
                    &Response::error(ErrorCode::Protocol, e.to_string()),
                )
                .await;
                return;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        let request = match serde_json::from_str::<Request>(&line) {
            Ok(request) => request,
            Err(e) => {
                let response = Response::error(ErrorCode::Protocol, format!("not a request: {e}"));
                if ipc::write_line(&mut write, &response).await.is_err() {
                    return;
                }
                continue;
            }
        };
        let response = match request {
            Request::Hello { .. } => {
                greeted = true;
                let notices =
                    std::mem::take(&mut *shared.notices.lock().unwrap_or_else(|p| p.into_inner()));
                Response::Welcome {
                    protocol: PROTOCOL,
                    version: env!("CARGO_PKG_VERSION").to_owned(),
                    pid: std::process::id(),
                    notices,
                }
            }
            _ if !greeted => Response::error(ErrorCode::Protocol, "say hello first"),
            Request::Watch { ids } => {
                watch(&shared.engine, &ids, &mut reader, &mut write).await;
                return;
            }
            Request::Read { id, offset } => {
                stream_download(&shared.engine, &id, offset, &mut write).await;
                return;
            }
            Request::ShowWindow => match &shared.desktop {
                Some(desktop) => {
                    desktop.show_window();
                    Response::Done
                }
                None => Response::error(
                    ErrorCode::NoDisplay,
                    "this agent runs without a display; quit it (ferry quit) and run ferry from the desktop",
                ),
            },
            Request::Handoff { request, file, ask } => {
                handoff::take(&shared.engine, shared.desktop.as_ref(), *request, file, ask).await
            }
            Request::Links { requests } => match &shared.desktop {
                Some(desktop) => {
                    desktop.pick_links(requests);
                    Response::Done
                }
                None => Response::error(
                    ErrorCode::NoDisplay,
                    "this agent runs without a display: there is no window to pick links in",
                ),
            },
            Request::WhenDone { set } => {
                if let Some(what) = set {
                    shared.when_done.set(what);
                }
                Response::WhenDone {
                    state: Box::new(shared.when_done.state()),
                }
            }
            Request::Quit => {
                let _ = ipc::write_line(&mut write, &Response::Done).await;
                shared.quit.notify_one();
                // Keep the connection open: the client sees it close when we exit,
                // after every checkpoint.
                std::future::pending::<()>().await;
                return;
            }
            other => answer::dispatch(&shared.engine, other).await,
        };
        if ipc::write_line(&mut write, &response).await.is_err() {
            return;
        }
    }
}

/// Send a download's bytes from `offset` on as they arrive, then hang up. A client
/// that hangs up first ends it; whether the download completed, it asks apart.
async fn stream_download<W: tokio::io::AsyncWrite + Unpin>(
    engine: &Engine,
    id: &str,
    offset: u64,
    write: &mut W,
) {
    use tokio::io::AsyncWriteExt as _;
    let reader = engine
        .resolve(id)
        .map_err(engine::ReadError::from)
        .and_then(|id| engine.read(id, offset));
    let mut reader = match reader {
        Ok(reader) => reader,
        Err(engine::ReadError::Engine(e)) => {
            let _ = ipc::write_line(write, &Response::from(&e)).await;
            return;
        }
        Err(e) => {
            let response = Response::error(ErrorCode::InvalidInput, e.to_string());
            let _ = ipc::write_line(write, &response).await;
            return;
        }
    };
    let total = reader.total();
    if ipc::write_line(write, &Response::Reading { total })
        .await
        .is_err()
    {
        return;
    }
    loop {
        match reader.next().await {
            Ok(Some(bytes)) => {
                if write.write_all(&bytes).await.is_err() {
                    return;
                }
            }
            Ok(None) => break,
            Err(e) => {
                tracing::info!(id, error = %e, "reading stopped");
                break;
            }
        }
    }
    let _ = write.shutdown().await;
}

/// Stream the snapshots of `ids` (all operations when empty), then their events,
/// until the client hangs up.
async fn watch(
    engine: &Engine,
    ids: &[String],
    reader: &mut BufReader<tokio::net::unix::OwnedReadHalf>,
    write: &mut tokio::net::unix::OwnedWriteHalf,
) {
    // Subscribe before reading the snapshots, so no change falls in between.
    let mut events = engine.subscribe();
    let wanted: Option<Vec<OperationId>> = if ids.is_empty() {
        None
    } else {
        match ids.iter().map(|id| engine.resolve(id)).collect() {
            Ok(ids) => Some(ids),
            Err(e) => {
                let _ = ipc::write_line(write, &Response::from(&e)).await;
                return;
            }
        }
    };
    let concerns = |id: Option<OperationId>| match (&wanted, id) {
        (None, _) | (_, None) => true,
        (Some(wanted), Some(id)) => wanted.contains(&id),
    };
    let snapshots = |engine: &Engine| -> Vec<engine::Snapshot> {
        engine
            .list()
            .into_iter()
            .filter(|s| concerns(Some(s.id)))
            .collect()
    };
    if ipc::write_line(
        write,
        &Response::Snapshots {
            snapshots: snapshots(engine),
        },
    )
    .await
    .is_err()
    {
        return;
    }
    loop {
        let event = tokio::select! {
            event = events.recv() => event,
            // Anything from the client (or its hanging up) ends the stream.
            _ = ipc::read_line(reader) => return,
        };
        let response = match event {
            None => return,
            Some(Event::Resync) => Response::Snapshots {
                snapshots: snapshots(engine),
            },
            Some(event) if concerns(event.id()) => Response::Event { event },
            Some(_) => continue,
        };
        if ipc::write_line(write, &response).await.is_err() {
            return;
        }
    }
}
