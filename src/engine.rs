//! The engine: one handle, cheap to clone, that creates, controls, lists and reports
//! on operations. It persists every status change before announcing it and knows
//! nothing of windows, sockets or languages.
//!
//! ```no_run
//! # async fn demo() -> Result<(), ferry::engine::EngineError> {
//! use ferry::engine::{Engine, Options, Request};
//! let engine = Engine::open(Options::new("/tmp/ferry-data".into())).await?;
//! let mut events = engine.subscribe();
//! let snapshot = engine.create(Request::download("https://example.org/a.iso", None)).await?;
//! engine.pause(snapshot.id).await?;
//! engine.resume(snapshot.id).await?;
//! # Ok(()) }
//! ```

pub mod boot;
mod connect_watch;
pub mod error;
pub mod event;
pub mod filename;
mod ftp;
pub mod group;
pub mod hosts;
pub mod http;
pub mod integrity;
mod network;
pub mod operation;
mod options;
pub mod pace;
pub mod part_file;
pub mod policy;
pub mod probe;
pub mod progress;
pub mod reader;
mod recovery;
pub mod run;
mod scheduler;
pub mod secrets;
mod sink;
mod stall;
pub mod store;
pub mod time;
mod transfer;
pub mod validate;
pub(crate) mod written;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{Notify, broadcast, watch};

pub use error::{ErrorInfo, ErrorStatus, InvalidRequest, TransferError};
pub use event::Event;
pub use group::{Action, ActionRun, ActionState, Behavior, Group, Results};
pub use integrity::{Algorithm as ChecksumAlgorithm, Checksum};
pub use network::DataUsage;
pub use operation::{
    CostPolicy, FormField, Header, Kind, MAX_CONNECTIONS, Method, OperationId, Priority, Request,
    Segment, ServerResponse, Snapshot, Source, Status, Target, UploadMode, UploadSpec, UploadState,
    Validators,
};
pub use options::{
    DEFAULT_CONNECTIONS_PER_HOST, Options, RetryPolicy, Timeouts, default_download_dir,
};
pub use policy::{Conditions, DataLimit, FixedConditions, NetworkMonitor, NetworkState};
pub use reader::{PrefixReader, ReadError};

/// Why an engine call failed.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Invalid(#[from] InvalidRequest),
    #[error("no operation matches {0:?}")]
    NotFound(String),
    #[error("{0:?} matches several operations; give more of the id")]
    Ambiguous(String),
    #[error("operation {id} is {status}: cannot {action} it")]
    InvalidState {
        id: OperationId,
        status: Status,
        action: &'static str,
    },
    #[error("the engine is shutting down")]
    ShuttingDown,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot set up the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
    #[error(transparent)]
    Secrets(#[from] secrets::SecretError),
}

/// Check a proxy URL as `create` would.
pub fn validate_proxy(proxy: &str) -> Result<(), InvalidRequest> {
    validate::proxy(proxy).map(|_| ())
}

pub use validate::upload_url_for_file;

/// Check a URL as `create` would, to flag it in a form before submitting.
pub fn check_url(url: &str) -> Result<(), InvalidRequest> {
    validate::url(url).map(|_| ())
}
use progress::Live;
use run::Stop;
use store::{Store, StoreError};

/// The engine handle.
#[derive(Clone, Debug)]
pub struct Engine {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    options: Options,
    store: Store,
    state: Mutex<State>,
    /// Held while a status change is persisted and applied, so changes to one
    /// operation reach the store and the subscribers in the order they were made.
    transitions: tokio::sync::Mutex<()>,
    events: broadcast::Sender<Event>,
    wake_scheduler: Notify,
    clients: http::ClientCache,
    /// For the user: a damaged database moved aside, unusable certificates…
    notices: Vec<String>,
    shutting_down: watch::Sender<bool>,
    /// The scheduler and the progress ticker, awaited by `shutdown`.
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    /// Operations running at once; the settings can change it live.
    max_running: std::sync::atomic::AtomicUsize,
    /// The conditions operations run under, and the month's metered traffic.
    network: network::Network,
    /// The bandwidth limit for all transfers together.
    global_limit: Arc<pace::Bucket>,
    /// Check now for the network of operations that lost it.
    wake_prober: Notify,
    /// Passwords, credential headers and cookies, out of the database.
    secrets: secrets::SecretStore,
    /// Connections open to each host, and how many hosts were seen to accept.
    hosts: hosts::Hosts,
    /// This boot of the machine (see [`boot`]), when it can be told.
    boot: Option<u64>,
}

#[derive(Debug, Default)]
struct State {
    ops: HashMap<OperationId, Entry>,
    groups: BTreeMap<String, Group>,
    next_seq: u64,
}

#[derive(Debug)]
struct Entry {
    /// Boxed: the table holds tens of thousands of entries, and a small bucket
    /// keeps its spare capacity small.
    snapshot: Box<Snapshot>,
    run: Option<RunHandle>,
}

/// The engine's side of a running transfer.
#[derive(Debug)]
struct RunHandle {
    stop: watch::Sender<Stop>,
    live: Arc<Live>,
    done: watch::Receiver<bool>,
    /// The operation's own bandwidth limit, changed live.
    limit: Arc<pace::Bucket>,
}

impl Entry {
    /// The snapshot with live figures filled in.
    fn view(&self) -> Snapshot {
        let mut snapshot = (*self.snapshot).clone();
        if let Some(run) = &self.run {
            snapshot.bytes = run.live.bytes();
            snapshot.total = run.live.total().or(snapshot.total);
            snapshot.speed = run.live.speed();
            snapshot.eta_secs = run.live.eta_secs();
        }
        snapshot
    }
}

impl Engine {
    /// Open the store in `options.data_dir`, recover every operation (cut `.part`
    /// files back to their checkpoints, finish interrupted renames) and start
    /// running what was running or queued.
    pub async fn open(options: Options) -> Result<Self, EngineError> {
        std::fs::create_dir_all(&options.data_dir).map_err(|e| {
            EngineError::Store(StoreError::Open {
                path: options.data_dir.clone(),
                source: redb::Error::Io(e),
            })
        })?;
        let db_path = options.database_path();
        let opened = tokio::task::spawn_blocking(move || Store::open(&db_path))
            .await
            .map_err(|_| StoreError::TaskFailed)??;
        for notice in &opened.notices {
            tracing::warn!("{notice}");
        }
        let mut records = opened.records;
        let groups = restore_groups(&opened.store, opened.groups).await?;
        let boot = recover(&options, &opened.store, opened.boot, &mut records).await?;
        // Saturating: a damaged record may carry any number.
        let next_seq = records
            .iter()
            .map(|r| r.seq.saturating_add(1))
            .max()
            .unwrap_or(1);
        let ops = records
            .into_iter()
            .map(|snapshot| {
                (
                    snapshot.id,
                    Entry {
                        snapshot,
                        run: None,
                    },
                )
            })
            .collect();
        let (clients, tls_warnings) =
            http::build_clients(&options, None, false).map_err(EngineError::Client)?;
        for warning in &tls_warnings {
            tracing::warn!("{warning}");
        }
        let (secrets, secrets_notice) =
            secrets::SecretStore::open(&options.data_dir, options.secret_backend).await;
        if let Some(notice) = &secrets_notice {
            tracing::warn!("{notice}");
        }
        let (events, _) = broadcast::channel(4096);
        let max_running = options.max_running.max(1);
        let limit = options.limit;
        let network =
            network::Network::new(opened.metered, options.data_budget, time::now_millis());
        let group_names: Vec<String> = groups.keys().cloned().collect();
        let inner = Arc::new(Inner {
            options,
            store: opened.store,
            state: Mutex::new(State {
                ops,
                groups,
                next_seq,
            }),
            transitions: tokio::sync::Mutex::new(()),
            events,
            wake_scheduler: Notify::new(),
            clients: http::ClientCache::new(clients),
            notices: opened
                .notices
                .iter()
                .map(ToString::to_string)
                .chain(tls_warnings)
                .chain(secrets_notice)
                .collect(),
            shutting_down: watch::Sender::new(false),
            tasks: Mutex::new(Vec::new()),
            max_running: std::sync::atomic::AtomicUsize::new(max_running),
            network,
            global_limit: Arc::new(pace::Bucket::new(limit)),
            wake_prober: Notify::new(),
            secrets,
            hosts: hosts::Hosts::new(opened.host_caps),
            boot,
        });
        // Operations may have ended while the agent was away from a group's action.
        for name in group_names {
            inner.check_group(&name).await?;
        }
        let tasks = scheduler::spawn(&inner);
        *inner
            .tasks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = tasks;
        Ok(Self { inner })
    }

    pub fn options(&self) -> &Options {
        &self.inner.options
    }

    /// Change how many operations run at once; more start at once if allowed, and
    /// running ones above a lower limit finish undisturbed.
    pub fn set_max_running(&self, max: usize) {
        self.inner
            .max_running
            .store(max.max(1), std::sync::atomic::Ordering::Relaxed);
        self.inner.wake_scheduler.notify_one();
    }

    /// Follow the conditions `monitor` reports: operations pause and resume as they
    /// change. Without a monitor the engine assumes online, unmetered, on mains.
    pub fn follow_network(&self, monitor: &dyn NetworkMonitor) {
        let mut conditions = monitor.watch();
        let inner = Arc::clone(&self.inner);
        let mut shutdown = inner.shutting_down.subscribe();
        let task = tokio::spawn(async move {
            // Already stopping: `changed` would not tell it again.
            while !*shutdown.borrow() {
                let current = *conditions.borrow_and_update();
                if let Some(state) = inner.network.set_conditions(current) {
                    tracing::info!(?state, "network conditions changed");
                    inner.network_changed(state);
                }
                tokio::select! {
                    changed = conditions.changed() => if changed.is_err() { return },
                    _ = shutdown.changed() => return,
                }
            }
        });
        self.inner
            .tasks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(task);
    }

    /// The conditions operations run under now.
    pub fn network_state(&self) -> NetworkState {
        self.inner.network.state()
    }

    /// This month's traffic on metered networks, and the budget.
    pub fn data_usage(&self) -> DataUsage {
        self.inner.network.usage()
    }

    /// Bytes per second for all transfers together (`None`: unlimited).
    pub fn limit(&self) -> Option<u64> {
        self.inner.global_limit.rate()
    }

    /// Change the limit for all transfers together, at once.
    pub fn set_limit(&self, limit: Option<u64>) {
        self.inner.global_limit.set_rate(limit);
    }

    /// Change one operation's own limit: at once if it runs, and for its later runs.
    pub async fn set_operation_limit(
        &self,
        id: OperationId,
        limit: Option<u64>,
    ) -> Result<(), EngineError> {
        let limit = limit.filter(|l| *l > 0);
        self.change(id, |s| s.limit = limit).await?;
        if let Some(run) = self.inner.lock().ops.get(&id).and_then(|e| e.run.as_ref()) {
            run.limit.set_rate(limit);
        }
        Ok(())
    }

    /// Change the monthly budget for metered networks (`None`: no budget).
    pub fn set_data_budget(&self, budget: Option<u64>) {
        if let Some(state) = self.inner.network.set_budget(budget) {
            self.inner.network_changed(state);
        }
    }

    /// What the user should be told about opening the store (a damaged database
    /// moved aside, unreadable records), in English, for logs and the CLI.
    pub fn notices(&self) -> Vec<String> {
        self.inner.notices.clone()
    }

    pub fn subscribe(&self) -> Subscription {
        Subscription {
            receiver: self.inner.events.subscribe(),
        }
    }

    /// Every operation in creation order, read from memory.
    pub fn list(&self) -> Vec<Snapshot> {
        let state = self.inner.lock();
        let mut all: Vec<Snapshot> = state.ops.values().map(Entry::view).collect();
        all.sort_by_key(|s| s.seq);
        all
    }

    pub fn get(&self, id: OperationId) -> Option<Snapshot> {
        self.inner.lock().ops.get(&id).map(Entry::view)
    }

    /// Find an operation from its id or a unique prefix of it.
    pub fn resolve(&self, text: &str) -> Result<OperationId, EngineError> {
        let state = self.inner.lock();
        if let Ok(id) = text.parse::<OperationId>()
            && state.ops.contains_key(&id)
        {
            return Ok(id);
        }
        let mut found = state.ops.keys().filter(|id| id.matches_prefix(text));
        match (found.next(), found.next()) {
            (Some(id), None) => Ok(*id),
            (Some(_), Some(_)) => Err(EngineError::Ambiguous(text.to_owned())),
            (None, _) => Err(EngineError::NotFound(text.to_owned())),
        }
    }

    /// Validate and persist a new operation; it runs when a slot is free. The
    /// same request as an unfinished operation attaches to it (see [`Engine::submit`]).
    pub async fn create(&self, request: Request) -> Result<Snapshot, EngineError> {
        self.submit(request)
            .await
            .map(|submitted| submitted.snapshot)
    }

    /// Create an operation, or attach to the unfinished one that already does the
    /// same (same kind, address and destination — or target and files for an
    /// upload): a rerun after a crash, or two clients asking at once, get one
    /// operation. An attached operation that was paused or failed is resumed.
    /// [`Request::duplicate`] asks for a second operation all the same.
    pub async fn submit(&self, mut request: Request) -> Result<Submitted, EngineError> {
        self.inner.refuse_if_shutting_down()?;
        validate::sizes(&request)?;
        let mut url = validate::url(&request.url)?;
        validate::headers(&request)?;
        if request.insecure && validate::is_ftp(&url) {
            return Err(InvalidRequest::InsecureFtp.into());
        }
        if let Some(checksum) = &mut request.checksum {
            *checksum = Checksum::parse(checksum.algorithm, &checksum.hex)?;
        }
        let (secrets, summary, proxy) = validate::secrets(&mut request, &mut url)?;
        if let Some(name) = &request.group {
            let state = self.inner.lock();
            let group = state
                .groups
                .get(name)
                .ok_or_else(|| InvalidRequest::NoSuchGroup(name.clone()))?;
            if !group.accepts_members() {
                return Err(InvalidRequest::GroupClosed(name.clone()).into());
            }
        }
        let (target, upload) = match request.kind {
            Kind::Download => {
                let target = validate::target(
                    request.destination.as_deref(),
                    request.into_folder,
                    &self.inner.options.download_dir,
                )?;
                (Some(target), None)
            }
            Kind::Upload => {
                let upload = validate::upload(request.upload.as_ref())?;
                if validate::is_ftp(&url) {
                    validate::ftp_upload(&mut url, &upload)?;
                }
                (None, Some(upload))
            }
        };

        let _transition = self.inner.transitions.lock().await;
        if !request.duplicate {
            let twin =
                self.inner
                    .lock()
                    .unfinished_twin(url.as_str(), target.as_ref(), upload.as_ref());
            if let Some(twin) = twin {
                let access = Access {
                    headers: request.headers,
                    secrets,
                    summary,
                    proxy,
                    insecure: request.insecure,
                };
                return self.inner.attach(twin, access).await;
            }
        }
        let snapshot = {
            let mut state = self.inner.lock();
            let seq = state.next_seq;
            state.next_seq = seq.saturating_add(1);
            let mut snapshot = Snapshot::new(seq, &request, url.to_string(), target);
            if let (Some(Target::File(path)), false) = (&snapshot.target, snapshot.overwrite) {
                snapshot.destination = Some(state.free_destination(path, snapshot.id));
            }
            snapshot.total = upload.as_ref().map(UploadState::total);
            snapshot.upload = upload;
            snapshot.secrets = summary;
            snapshot.proxy = proxy;
            snapshot
        };
        if !secrets.is_empty() {
            self.inner.secrets.put(snapshot.id, &secrets).await?;
        }
        self.inner.store.put(&snapshot).await?;
        if snapshot.insecure {
            tracing::warn!(id = %snapshot.id, url = %redact_url(&snapshot.url), "TLS certificate checks are off for this operation (--insecure)");
        }
        self.inner.lock().ops.insert(
            snapshot.id,
            Entry {
                snapshot: Box::new(snapshot.clone()),
                run: None,
            },
        );
        tracing::info!(id = %snapshot.id, url = %redact_url(&snapshot.url), "operation created");
        self.inner.announce(Event::Added {
            snapshot: Box::new(snapshot.clone()),
        });
        self.inner.wake_scheduler.notify_one();
        Ok(Submitted {
            snapshot,
            attached: false,
        })
    }

    /// Change when an operation may use the network; a waiting one is reconsidered
    /// at once, and a running one stops if the new policy forbids it now.
    pub async fn set_policy(&self, id: OperationId, policy: CostPolicy) -> Result<(), EngineError> {
        self.change(id, |s| s.policy = policy).await
    }

    /// Change where a queued operation stands in the queue.
    pub async fn set_priority(
        &self,
        id: OperationId,
        priority: Priority,
    ) -> Result<(), EngineError> {
        self.change(id, |s| s.priority = priority).await
    }

    async fn change(
        &self,
        id: OperationId,
        edit: impl FnOnce(&mut Snapshot),
    ) -> Result<(), EngineError> {
        self.inner.refuse_if_shutting_down()?;
        let _transition = self.inner.transitions.lock().await;
        // The stored record, not the live view: a running operation's progress
        // is recorded by its checkpoints.
        let mut snapshot = self
            .inner
            .lock()
            .ops
            .get(&id)
            .map(|e| Snapshot::clone(&e.snapshot))
            .ok_or_else(|| EngineError::NotFound(id.to_string()))?;
        edit(&mut snapshot);
        self.inner.commit(snapshot).await?;
        self.inner.wake_scheduler.notify_one();
        Ok(())
    }

    /// Create a group that operations can then join with [`Request::group`].
    pub async fn create_group(
        &self,
        name: &str,
        behavior: Behavior,
        action: Option<Action>,
    ) -> Result<Group, EngineError> {
        self.inner.refuse_if_shutting_down()?;
        group::check_name(name).map_err(|reason| InvalidRequest::InvalidGroupName {
            name: name.to_owned(),
            reason,
        })?;
        if action.as_ref().is_some_and(|a| a.program.trim().is_empty()) {
            return Err(InvalidRequest::EmptyAction.into());
        }
        let _transition = self.inner.transitions.lock().await;
        if self.inner.lock().groups.contains_key(name) {
            return Err(InvalidRequest::GroupExists(name.to_owned()).into());
        }
        let group = Group::new(name.to_owned(), behavior, action);
        self.inner.commit_group(group.clone()).await?;
        tracing::info!(group = %name, ?behavior, "group created");
        Ok(group)
    }

    /// Enable a group: once all its operations have ended, its action runs.
    pub async fn enable_group(&self, name: &str) -> Result<Group, EngineError> {
        self.inner.refuse_if_shutting_down()?;
        let _transition = self.inner.transitions.lock().await;
        let mut group = self.group_named(name)?;
        if !group.enabled {
            group.enabled = true;
            self.inner.commit_group(group).await?;
            self.inner.check_group(name).await?;
        }
        self.group_named(name)
    }

    /// Every group, by name.
    pub fn groups(&self) -> Vec<Group> {
        self.inner.lock().groups.values().cloned().collect()
    }

    pub fn group(&self, name: &str) -> Option<Group> {
        self.inner.lock().groups.get(name).cloned()
    }

    fn group_named(&self, name: &str) -> Result<Group, EngineError> {
        self.group(name)
            .ok_or_else(|| InvalidRequest::NoSuchGroup(name.to_owned()).into())
    }

    /// The operations of a group, in creation order.
    pub fn members(&self, name: &str) -> Vec<Snapshot> {
        self.list()
            .into_iter()
            .filter(|s| s.group.as_deref() == Some(name))
            .collect()
    }

    /// A completion action due now (with the results it receives), and otherwise
    /// when the next one is due.
    pub fn due_action(&self) -> (Option<(Group, Results)>, Option<time::Millis>) {
        let now = time::now_millis();
        let mut next = None;
        for group in self.groups() {
            if let ActionState::Due { at } = group.action_state {
                if at <= now {
                    let results = Results::new(&group.name, &self.members(&group.name));
                    return (Some((group, results)), None);
                }
                next = Some(next.map_or(at, |n: u64| n.min(at)));
            }
        }
        (None, next)
    }

    /// Record that a group's action is starting: if the agent dies before it is
    /// known to have ended, it runs again at the next start.
    pub async fn action_started(&self, name: &str) -> Result<(), EngineError> {
        let _transition = self.inner.transitions.lock().await;
        let mut group = self.group_named(name)?;
        group.action_state = ActionState::Running {
            since: time::now_millis(),
        };
        self.inner.commit_group(group).await?;
        Ok(())
    }

    /// Record how a run of a group's action ended; `retry_at` makes a failed run
    /// due again then, else a failure is final.
    pub async fn action_finished(
        &self,
        name: &str,
        run: ActionRun,
        retry_at: Option<time::Millis>,
    ) -> Result<Group, EngineError> {
        let _transition = self.inner.transitions.lock().await;
        let mut group = self.group_named(name)?;
        group.action_state = match (run.succeeded(), retry_at) {
            (true, _) => ActionState::Succeeded,
            (false, Some(at)) => ActionState::Due { at },
            (false, None) => ActionState::Failed,
        };
        group.runs.push(run);
        self.inner.commit_group(group.clone()).await?;
        Ok(group)
    }

    /// Stop an operation, keeping its progress; it stays paused until resumed.
    pub async fn pause(&self, id: OperationId) -> Result<(), EngineError> {
        self.control(id, Stop::Pause).await
    }

    /// Queue a paused or failed operation again; it continues from its checkpoint.
    pub async fn resume(&self, id: OperationId) -> Result<(), EngineError> {
        self.inner.refuse_if_shutting_down()?;
        let _transition = self.inner.transitions.lock().await;
        let snapshot = self.inner.snapshot_of(id)?;
        self.inner.requeue(snapshot).await
    }

    /// Stop an operation for good and delete its partial data.
    pub async fn cancel(&self, id: OperationId) -> Result<(), EngineError> {
        self.control(id, Stop::Cancel).await
    }

    /// Start an operation again from byte zero.
    pub async fn restart(&self, id: OperationId) -> Result<(), EngineError> {
        self.control(id, Stop::Restart).await
    }

    /// Forget an operation (canceling it first if it has not ended). A completed
    /// download's file stays; a failed one's partial data is deleted.
    pub async fn remove(&self, id: OperationId) -> Result<(), EngineError> {
        let status = self.inner.snapshot_of(id)?.status;
        if !matches!(status, Status::Completed | Status::Canceled) {
            self.control(id, Stop::Cancel).await?;
        }
        let _transition = self.inner.transitions.lock().await;
        self.inner.store.delete(id).await?;
        let removed = self.inner.lock().ops.remove(&id);
        if removed
            .as_ref()
            .is_some_and(|e| !e.snapshot.secrets.is_empty())
            && let Err(e) = self.inner.secrets.delete(id).await
        {
            tracing::warn!(%id, error = %e, "cannot forget the operation's secrets");
        }
        self.inner.announce(Event::Removed { id });
        if let Some(name) = removed.and_then(|e| e.snapshot.group) {
            self.inner.check_group(&name).await?;
        }
        Ok(())
    }

    /// Pause every operation that has not ended; returns how many were paused.
    pub async fn pause_all(&self) -> Result<usize, EngineError> {
        let ids = self.ids_where(|s| !s.is_finished() && s != Status::PausedByApplication);
        for id in &ids {
            self.pause(*id).await?;
        }
        Ok(ids.len())
    }

    /// Resume every paused operation; returns how many were resumed.
    pub async fn resume_all(&self) -> Result<usize, EngineError> {
        let ids = self.ids_where(Status::is_paused);
        for id in &ids {
            self.resume(*id).await?;
        }
        Ok(ids.len())
    }

    /// Checkpoint every running operation and stop. They stay `Running` in the store,
    /// so the next [`Engine::open`] resumes them.
    pub async fn shutdown(&self) {
        self.inner.shutting_down.send_replace(true);
        let runs: Vec<watch::Receiver<bool>> = {
            let state = self.inner.lock();
            state
                .ops
                .values()
                .filter_map(|entry| entry.run.as_ref())
                .map(|run| {
                    run.stop.send_replace(Stop::Shutdown);
                    run.done.clone()
                })
                .collect()
        };
        for mut done in runs {
            let _ = tokio::time::timeout(Duration::from_secs(15), done.wait_for(|d| *d)).await;
        }
        let tasks = std::mem::take(
            &mut *self
                .inner
                .tasks
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        for task in tasks {
            let _ = task.await;
        }
        scheduler::save_usage(&self.inner).await;
        // Hold the transition lock so no write is under way, then let the file go:
        // another engine (the next agent) may open it at once.
        let _transition = self.inner.transitions.lock().await;
        self.inner.store.close().await;
        tracing::info!("engine stopped");
    }

    fn ids_where(&self, keep: impl Fn(Status) -> bool) -> Vec<OperationId> {
        self.list()
            .into_iter()
            .filter(|s| keep(s.status))
            .map(|s| s.id)
            .collect()
    }

    /// Pause, cancel or restart: a running operation is told to stop and the call
    /// waits until its run has ended and the new status is persisted; any other is
    /// changed directly.
    async fn control(&self, id: OperationId, stop: Stop) -> Result<(), EngineError> {
        self.inner.refuse_if_shutting_down()?;
        let waiting = {
            let _transition = self.inner.transitions.lock().await;
            let snapshot = self.inner.snapshot_of(id)?;
            let running = {
                let state = self.inner.lock();
                state.ops.get(&id).and_then(|e| e.run.as_ref()).map(|run| {
                    run.stop.send_replace(stop);
                    run.done.clone()
                })
            };
            match running {
                Some(done) => Some(done),
                None => {
                    self.inner.apply_stop_to_idle(snapshot, stop).await?;
                    None
                }
            }
        };
        if let Some(mut done) = waiting {
            let _ = done.wait_for(|d| *d).await;
        }
        Ok(())
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data behind; keep serving.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn refuse_if_shutting_down(&self) -> Result<(), EngineError> {
        if *self.shutting_down.borrow() {
            Err(EngineError::ShuttingDown)
        } else {
            Ok(())
        }
    }

    fn snapshot_of(&self, id: OperationId) -> Result<Snapshot, EngineError> {
        self.lock()
            .ops
            .get(&id)
            .map(Entry::view)
            .ok_or_else(|| EngineError::NotFound(id.to_string()))
    }

    fn announce(&self, event: Event) {
        // No subscriber is fine: nobody is watching.
        let _ = self.events.send(event);
    }

    /// Persist a new version of an operation, then apply and announce it. Callers
    /// hold `transitions`.
    async fn commit(&self, mut snapshot: Snapshot) -> Result<(), StoreError> {
        snapshot.updated_at = time::now_millis();
        snapshot.speed = 0.0;
        snapshot.eta_secs = None;
        self.store.put(&snapshot).await?;
        if let Some(entry) = self.lock().ops.get_mut(&snapshot.id) {
            *entry.snapshot = snapshot.clone();
        }
        tracing::info!(id = %snapshot.id, status = %snapshot.status, "status changed");
        if snapshot.status == Status::PausedNoNetwork {
            self.wake_prober.notify_one();
        }
        let ended_in_group = snapshot
            .group
            .clone()
            .filter(|_| snapshot.status.is_finished());
        self.announce(Event::StatusChanged {
            snapshot: Box::new(snapshot),
        });
        if let Some(name) = ended_in_group {
            self.check_group(&name).await?;
        }
        Ok(())
    }

    /// Persist a group, then apply and announce it. Callers hold `transitions`.
    async fn commit_group(&self, group: Group) -> Result<(), StoreError> {
        self.store.put_group(&group).await?;
        self.lock().groups.insert(group.name.clone(), group.clone());
        self.announce(Event::GroupChanged {
            group: Box::new(group),
        });
        Ok(())
    }

    /// Make a group's action due if the group is enabled and all its operations
    /// have ended. Callers hold `transitions` (or nothing else runs yet).
    async fn check_group(&self, name: &str) -> Result<(), StoreError> {
        let due = {
            let state = self.lock();
            let Some(group) = state.groups.get(name) else {
                return Ok(());
            };
            let members: Vec<&Snapshot> = state
                .ops
                .values()
                .map(|e| &*e.snapshot)
                .filter(|s| s.group.as_deref() == Some(name))
                .collect();
            group.action_becomes_due(&members).then(|| group.clone())
        };
        if let Some(mut group) = due {
            tracing::info!(group = %name, "every operation of the group has ended; its action is due");
            group.action_state = ActionState::Due {
                at: time::now_millis(),
            };
            self.commit_group(group).await?;
        }
        Ok(())
    }

    /// Tell subscribers, the scheduler and the prober that the conditions changed.
    fn network_changed(&self, state: NetworkState) {
        self.announce(Event::NetworkChanged { state });
        self.wake_scheduler.notify_one();
        self.wake_prober.notify_one();
    }

    /// An operation waiting for the network can reach its server again: queue it,
    /// with its retries untouched.
    async fn network_is_back(&self, id: OperationId) {
        let _transition = self.transitions.lock().await;
        let snapshot = self
            .lock()
            .ops
            .get(&id)
            .map(|e| Snapshot::clone(&e.snapshot));
        let Some(mut snapshot) = snapshot.filter(|s| s.status == Status::PausedNoNetwork) else {
            return;
        };
        tracing::info!(%id, "the network is back");
        snapshot.status = Status::Idle;
        snapshot.error = None;
        if let Err(e) = self.commit(snapshot).await {
            tracing::error!(%id, error = %e, "cannot record the return of the network");
        }
        self.wake_scheduler.notify_one();
    }

    /// Queue a paused or failed operation again, with fresh retries. Callers hold
    /// `transitions`.
    async fn requeue(&self, mut snapshot: Snapshot) -> Result<(), EngineError> {
        match snapshot.status {
            Status::Idle | Status::Running => return Ok(()),
            Status::Completed | Status::Canceled => {
                return Err(invalid_state(&snapshot, "resume"));
            }
            _ => {}
        }
        snapshot.status = Status::Idle;
        snapshot.attempts = 0;
        snapshot.retry_at = None;
        snapshot.error = None;
        snapshot.finished_at = None;
        self.commit(snapshot).await?;
        self.wake_scheduler.notify_one();
        Ok(())
    }

    /// A request found its twin: the user's pause or a failure is undone (that is
    /// what asking again means), a wait for the network or a policy is left as it
    /// is. Credentials, headers, cookies and proxy given now replace the old ones
    /// (a login that failed, cookies refreshed), from the next attempt on; what
    /// the new request leaves out is kept.
    /// Callers hold `transitions`.
    async fn attach(&self, id: OperationId, access: Access) -> Result<Submitted, EngineError> {
        // The stored record, not the live view: `commit` replaces it.
        let mut stored = self
            .lock()
            .ops
            .get(&id)
            .map(|e| Snapshot::clone(&e.snapshot))
            .ok_or_else(|| EngineError::NotFound(id.to_string()))?;
        tracing::info!(%id, status = %stored.status, "the same request again: attached to the unfinished operation");
        // What the new request gives replaces what the operation had; what it
        // leaves out is kept (the same command rerun without --user still has
        // the password it was given).
        let mut changed = false;
        if !access.secrets.is_empty() {
            self.secrets.put(id, &access.secrets).await?;
            stored.secrets = access.summary;
            changed = true;
        }
        if !access.headers.is_empty() && stored.headers != access.headers {
            stored.headers = access.headers;
            changed = true;
        }
        if access.proxy.is_some() && stored.proxy != access.proxy {
            stored.proxy = access.proxy;
            changed = true;
        }
        if access.insecure && !stored.insecure {
            stored.insecure = true;
            changed = true;
        }
        if changed {
            self.commit(stored).await?;
        }
        let snapshot = self.snapshot_of(id)?;
        if matches!(snapshot.status, Status::PausedByApplication | Status::Error) {
            self.requeue(snapshot).await?;
        }
        Ok(Submitted {
            snapshot: self.snapshot_of(id)?,
            attached: true,
        })
    }

    /// Pause, cancel or restart an operation that is not running.
    async fn apply_stop_to_idle(
        self: &Arc<Self>,
        mut snapshot: Snapshot,
        stop: Stop,
    ) -> Result<(), EngineError> {
        match (stop, snapshot.status) {
            (Stop::Pause, Status::PausedByApplication) | (Stop::Cancel, Status::Canceled) => {
                return Ok(());
            }
            (Stop::Pause, s) if s.is_finished() => return Err(invalid_state(&snapshot, "pause")),
            (Stop::Cancel, Status::Completed) => return Err(invalid_state(&snapshot, "cancel")),
            _ => {}
        }
        match stop {
            Stop::Pause => snapshot.status = Status::PausedByApplication,
            Stop::Cancel => self.cancel_in_place(&mut snapshot),
            Stop::Restart => self.reset_for_restart(&mut snapshot),
            Stop::None | Stop::Shutdown | Stop::Wait(_) => return Ok(()),
        }
        self.commit(snapshot).await?;
        self.wake_scheduler.notify_one();
        Ok(())
    }

    /// Canceled: partial data deleted, a tus upload terminated on the server.
    fn cancel_in_place(self: &Arc<Self>, snapshot: &mut Snapshot) {
        remove_part(snapshot);
        written::forget_now(&self.options.data_dir, snapshot.id);
        transfer::abandon_remote(self, snapshot);
        snapshot.status = Status::Canceled;
        snapshot.retry_at = None;
        snapshot.finished_at = Some(time::now_millis());
    }

    fn reset_for_restart(&self, snapshot: &mut Snapshot) {
        remove_part(snapshot);
        written::forget_now(&self.options.data_dir, snapshot.id);
        transfer::forget_remote(self, snapshot);
        snapshot.reset_progress();
        if let (Some(Target::File(path)), false) = (&snapshot.target, snapshot.overwrite) {
            let path = path.clone();
            snapshot.destination = Some(self.lock().free_destination(&path, snapshot.id));
        }
        snapshot.status = Status::Idle;
        snapshot.attempts = 0;
        snapshot.retry_at = None;
        snapshot.error = None;
        snapshot.finished_at = None;
    }
}

impl State {
    /// The unfinished operation that does what a new request asks (same address
    /// and download target, or same upload target, method, mode and files), if
    /// any; the oldest when there are several.
    fn unfinished_twin(
        &self,
        url: &str,
        target: Option<&Target>,
        upload: Option<&UploadState>,
    ) -> Option<OperationId> {
        let same_upload = |mine: &UploadState, theirs: &UploadState| {
            mine.method == theirs.method
                && mine.mode == theirs.mode
                && mine.sources.len() == theirs.sources.len()
                && mine
                    .sources
                    .iter()
                    .zip(&theirs.sources)
                    .all(|(a, b)| a.path == b.path)
        };
        self.ops
            .values()
            .map(|entry| &*entry.snapshot)
            // A failed operation can still be resumed; completed or canceled ones
            // cannot, and a new request for them is a new operation.
            .filter(|s| !matches!(s.status, Status::Completed | Status::Canceled))
            .filter(|s| s.url == url && s.target.as_ref() == target)
            .filter(|s| match (upload, &s.upload) {
                (None, None) => true,
                (Some(mine), Some(theirs)) => same_upload(mine, theirs),
                _ => false,
            })
            .min_by_key(|s| s.seq)
            .map(|s| s.id)
    }

    /// `path`, or the first `path (n)` that no file, no `.part` and no other
    /// unfinished operation already uses.
    /// The owner's own destination stays free for it even though its `.part` exists.
    fn free_destination(&self, path: &Path, owner: OperationId) -> PathBuf {
        let own = self
            .ops
            .get(&owner)
            .and_then(|entry| entry.snapshot.destination.as_deref());
        filename::free_variant(path, |candidate| {
            let claimed = self.ops.values().any(|entry| {
                entry.snapshot.id != owner
                    && !entry.snapshot.status.is_finished()
                    && entry.snapshot.destination.as_deref() == Some(candidate)
            });
            let part_taken = own != Some(candidate) && operation::part_path(candidate).exists();
            !claimed && !part_taken && !candidate.exists()
        })
    }
}

/// Groups by name; an action the last agent left running runs again.
async fn restore_groups(
    store: &Store,
    groups: Vec<Group>,
) -> Result<BTreeMap<String, Group>, StoreError> {
    let mut groups: BTreeMap<String, Group> =
        groups.into_iter().map(|g| (g.name.clone(), g)).collect();
    for group in groups.values_mut() {
        if let ActionState::Running { .. } = group.action_state {
            tracing::warn!(group = %group.name, "a completion action was interrupted; it runs again");
            group.action_state = ActionState::Due {
                at: time::now_millis(),
            };
            store.put_group(group).await?;
        }
    }
    Ok(groups)
}

/// Bring the records in line with the files they describe (see [`recovery`] and
/// [`written`]): in the boot that wrote them, what was written is kept; after a
/// machine restart every `.part` is cut back to its checkpoint. Returns this boot.
async fn recover(
    options: &Options,
    store: &Store,
    recovered_in: Option<u64>,
    records: &mut [Box<Snapshot>],
) -> Result<Option<u64>, StoreError> {
    let boot = boot::current(&options.boot_id_path);
    let same_boot = boot.is_some() && boot == recovered_in;
    written::apply_at_start(&options.data_dir, boot, same_boot, records);
    for record in records.iter_mut() {
        if recovery::reconcile(record, same_boot) {
            store.put(record).await?;
        }
    }
    if let Some(boot) = boot.filter(|_| !same_boot) {
        // Every `.part` is cut back to its checkpoint now: from here on, what
        // is written stays until the machine restarts.
        store.put_boot(boot).await?;
    }
    Ok(boot)
}

fn invalid_state(snapshot: &Snapshot, action: &'static str) -> EngineError {
    EngineError::InvalidState {
        id: snapshot.id,
        status: snapshot.status,
        action,
    }
}

fn remove_part(snapshot: &Snapshot) {
    if let Some(part) = snapshot.part_path() {
        match std::fs::remove_file(&part) {
            Ok(()) => tracing::debug!(path = %part.display(), "removed partial data"),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(path = %part.display(), error = %e, "cannot remove partial data");
            }
        }
    }
}

/// The URL without user name and password, for logs.
pub fn redact_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) if !parsed.username().is_empty() || parsed.password().is_some() => {
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.to_string()
        }
        Ok(_) => url.to_owned(),
        Err(_) => "<invalid URL>".to_owned(),
    }
}

/// How a request reaches its server: what an attached request brings anew.
#[derive(Debug)]
struct Access {
    headers: Vec<Header>,
    secrets: secrets::Secrets,
    summary: operation::SecretSummary,
    proxy: Option<String>,
    insecure: bool,
}

/// What [`Engine::submit`] did.
#[derive(Clone, Debug)]
pub struct Submitted {
    /// The operation, as it is now.
    pub snapshot: Snapshot,
    /// An unfinished operation already did the same: this is that one.
    pub attached: bool,
}

/// A stream of engine events. A subscriber that falls behind gets `Event::Resync`
/// and should read [`Engine::list`] again.
#[derive(Debug)]
pub struct Subscription {
    receiver: broadcast::Receiver<Event>,
}

impl Subscription {
    /// The next event, or `None` once the engine is gone.
    pub async fn recv(&mut self) -> Option<Event> {
        match self.receiver.recv().await {
            Ok(event) => Some(event),
            Err(broadcast::error::RecvError::Lagged(_)) => Some(Event::Resync),
            Err(broadcast::error::RecvError::Closed) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_removes_credentials_only() {
        assert_eq!(redact_url("http://u:p@h/x"), "http://h/x");
        assert_eq!(redact_url("https://h/x?a=1"), "https://h/x?a=1");
    }
}
