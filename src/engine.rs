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

mod boot;
pub mod category;
mod connect_watch;
mod error;
mod event;
mod facade;
pub mod filename;
mod ftp;
pub mod group;
mod hosts;
mod http;
pub mod integrity;
mod network;
mod operation;
mod options;
mod pace;
mod part_file;
mod policy;
mod probe;
mod progress;
pub mod queue;
mod reader;
mod recovery;
pub mod request;
mod run;
pub mod schedule;
mod scheduler;
pub mod secrets;
mod sink;
mod stall;
pub mod store;
pub mod time;
mod traffic;
mod transfer;
pub mod validate;
pub(crate) mod written;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{Notify, broadcast, watch};

pub use category::{Categories, Category};
pub use error::{ErrorInfo, ErrorStatus, FAILURES_KEPT, Failure, InvalidRequest, TransferError};
pub use event::Event;
pub use facade::Submitted;
pub use group::{Action, ActionRun, ActionState, Behavior, Group, Results, WhenDone};
pub use http::Inspection;
pub use integrity::{Algorithm as ChecksumAlgorithm, Checksum};
pub use network::DataUsage;
pub use operation::{
    CostPolicy, FormField, Header, Kind, MAX_CONNECTIONS, Method, OperationId, Priority, Segment,
    ServerResponse, Snapshot, Source, Status, Target, UploadMode, UploadSpec, UploadState,
    Validators,
};
pub use options::{
    DEFAULT_CONNECTIONS_PER_HOST, Options, RetryPolicy, Timeouts, default_download_dir,
};
pub use policy::{Conditions, DataLimit, FixedConditions, NetworkMonitor, NetworkState};
pub use queue::Place;
pub use reader::{PrefixReader, ReadError};
pub use request::Request;
pub use traffic::DayTraffic;

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
    /// A new address was refused: it serves another file, or could not be asked.
    #[error("{}", .0.message)]
    Refresh(TransferError),
    /// An address could not be checked before it was added.
    #[error("{}", .0.message)]
    Inspect(TransferError),
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

/// A plain mutex's data, even after a panic elsewhere left it poisoned.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

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
    /// The schedule's limits for part of the transfers (a group, a kind…).
    scoped_limits: pace::ScopedLimits,
    /// The limit the user set; the one in force is the lower of it and the
    /// schedule's.
    user_limit: Mutex<Option<u64>>,
    /// The schedule's rules, as last set.
    schedule: Mutex<Vec<schedule::Rule>>,
    /// Bytes moved each day.
    traffic: traffic::Traffic,
    /// What the traffic count last saw of each run.
    counted: scheduler::Counted,
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
    /// Operations that had not ended when the engine opened (it resumed them)
    /// and that no request has asked for since: the first request for one that
    /// has completed meanwhile is the rerun after the crash, and attaches.
    resumed: std::collections::HashSet<OperationId>,
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
    /// The schedule's limits it shares with others of its scopes.
    scoped: pace::ScopedBuckets,
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

    /// Change the limit for all transfers together, at once (a schedule's
    /// lower limit, while its window is open, still holds).
    pub fn set_limit(&self, limit: Option<u64>) {
        *lock(&self.inner.user_limit) = limit;
        self.inner.apply_limits();
    }

    /// The bytes transfers moved each day of the last year, oldest first (F27).
    pub fn traffic(&self) -> Vec<DayTraffic> {
        self.inner.traffic.days()
    }

    /// The schedule's rules (F25).
    pub fn schedule(&self) -> Vec<schedule::Rule> {
        lock(&self.inner.schedule).clone()
    }

    /// Replace the schedule's rules; they apply at once.
    pub fn set_schedule(&self, rules: Vec<schedule::Rule>) {
        *lock(&self.inner.schedule) = rules;
        self.recheck_schedule();
    }

    /// Read the clock again now (it jumped: a resume from suspend, another
    /// time zone, a test's clock moved).
    pub fn recheck_schedule(&self) {
        self.inner.apply_limits();
        self.inner.wake_scheduler.notify_one();
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

    /// How many operations are not done yet and will go on by themselves:
    /// running, queued, or waiting for the network, their hours or a retry
    /// (not those paused by the user or waiting for a new address).
    pub fn pending(&self) -> usize {
        self.inner
            .lock()
            .ops
            .values()
            .filter(|e| e.snapshot.status.goes_on_by_itself())
            .count()
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
}

impl Inner {
    /// The limits in force: for all transfers the user's, or a schedule's open
    /// window's when lower; for part of them, the schedule's (each running
    /// transfer is given the buckets of the scopes it is in).
    fn apply_limits(&self) {
        let rules = lock(&self.schedule).clone();
        let now = self.options.clock.now();
        self.scoped_limits
            .apply(&schedule::scoped_limits(&rules, &now));
        for entry in self.lock().ops.values() {
            if let Some(run) = &entry.run {
                let buckets = self
                    .scoped_limits
                    .for_facts(&schedule::Facts::of(&entry.snapshot));
                *run.scoped
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = buckets;
            }
        }
        let scheduled = schedule::limit_for_all(&rules, &now);
        let user = *lock(&self.user_limit);
        let limit = match (user, scheduled) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if self.global_limit.rate() != limit {
            tracing::info!(?limit, ?scheduled, "the limit for all transfers");
            self.global_limit.set_rate(limit);
        }
    }

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

    /// The stored record of `id`, not the live view: what a change starts from
    /// and what `commit` replaces (a running operation's progress is recorded by
    /// its checkpoints).
    fn stored(&self, id: OperationId) -> Option<Snapshot> {
        self.lock()
            .ops
            .get(&id)
            .map(|e| Snapshot::clone(&e.snapshot))
    }

    /// The stored record of an operation, or why there is none.
    fn record(&self, id: OperationId) -> Result<Snapshot, EngineError> {
        self.stored(id)
            .ok_or_else(|| EngineError::NotFound(id.to_string()))
    }

    fn announce(&self, event: Event) {
        // No subscriber is fine: nobody is watching.
        let _ = self.events.send(event);
    }

    /// Persist a new version of an operation, then apply and announce it. Callers
    /// hold `transitions`.
    async fn commit(&self, mut snapshot: Snapshot) -> Result<(), StoreError> {
        Self::stamp(&mut snapshot);
        self.store.put(&snapshot).await?;
        self.applied(snapshot).await
    }

    /// `commit` for several operations at once, persisted in one transaction.
    async fn commit_all(&self, mut snapshots: Vec<Snapshot>) -> Result<(), StoreError> {
        snapshots.iter_mut().for_each(Self::stamp);
        self.store.put_all(&snapshots).await?;
        for snapshot in snapshots {
            self.applied(snapshot).await?;
        }
        Ok(())
    }

    /// What every new version of a record gets: its time, and no live figures.
    fn stamp(snapshot: &mut Snapshot) {
        snapshot.updated_at = time::now_millis();
        if snapshot.status != Status::PausedBySchedule {
            snapshot.waits_until = None;
        }
        snapshot.speed = 0.0;
        snapshot.eta_secs = None;
    }

    /// A persisted version of an operation: apply it and tell everyone.
    async fn applied(&self, snapshot: Snapshot) -> Result<(), StoreError> {
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

    /// Tell subscribers, the scheduler and the prober that the conditions changed.
    fn network_changed(&self, state: NetworkState) {
        self.announce(Event::NetworkChanged { state });
        self.wake_scheduler.notify_one();
        self.wake_prober.notify_one();
    }
}

impl State {}

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
