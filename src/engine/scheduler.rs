//! Who runs: queued operations start by priority, then creation order, while fewer
//! than `max_running` run, one at a time within a serialized group, and only where
//! the network and power conditions allow (operations that may not run wait in a
//! paused status that says why, and come back by themselves). A run's end is turned
//! into the next status (completed, paused, canceled, queued for a retry after a
//! backoff, waiting for the network, or failed); a ticker publishes progress and
//! counts metered traffic.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::error::{ErrorInfo, ErrorStatus, TransferError};
use super::event::Event;
use super::group::Behavior;
use super::operation::{Kind, OperationId, Snapshot, Status, Validators};
use super::options::MAX_PROBE_INTERVAL;
use super::pace::{Bucket, Pace};
use super::policy::{self, Gate, NetworkState};
use super::probe::{self, Reach};
use super::progress::{Live, Sampler};
use super::run::{Checkpoint, RunContext, RunEnd, Stop};
use super::time;
use super::time::Millis;
use super::transfer::{self, Attempt};
use super::{Inner, RunHandle, State, integrity};

/// Start the scheduler, the progress ticker and the network prober; all end at
/// shutdown. Each hears of the shutdown through a receiver made here, before the
/// engine is handed out: one made inside a task that first runs after the
/// shutdown began would take `true` as already seen and wait for ever.
pub(super) fn spawn(inner: &Arc<Inner>) -> Vec<tokio::task::JoinHandle<()>> {
    let shutdown = || inner.shutting_down.subscribe();
    vec![
        tokio::spawn(schedule_loop(Arc::clone(inner), shutdown())),
        tokio::spawn(tick_loop(Arc::clone(inner), shutdown())),
        tokio::spawn(probe_loop(Arc::clone(inner), shutdown())),
    ]
}

async fn schedule_loop(inner: Arc<Inner>, mut shutdown: watch::Receiver<bool>) {
    while !*shutdown.borrow() {
        let next_retry = start_eligible(&inner).await;
        let sleep = async {
            match next_retry {
                Some(at) => {
                    let wait = Duration::from_millis(at.saturating_sub(time::now_millis()));
                    tokio::time::sleep(wait).await;
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = inner.wake_scheduler.notified() => {}
            () = sleep => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// Apply the network conditions, then start what may start; returns when the
/// earliest waiting retry is due.
async fn start_eligible(inner: &Arc<Inner>) -> Option<Millis> {
    let _transition = inner.transitions.lock().await;
    enforce_conditions(inner).await;
    loop {
        if *inner.shutting_down.borrow() {
            return None;
        }
        let max_running = inner.max_running.load(std::sync::atomic::Ordering::Relaxed);
        let network = inner.network.state();
        let (candidate, next_retry) = pick(&inner.lock(), max_running, &network);
        let Some(snapshot) = candidate else {
            return next_retry;
        };
        start(inner, snapshot).await;
    }
}

/// Move every unfinished operation to where the conditions put it: running ones
/// that may not run are told to stop, queued ones wait with the reason, and those
/// waiting for conditions that have cleared are queued again. Operations waiting
/// for a lost network come back through the prober, not here: only a server that
/// answers says the network is back. Callers hold `transitions`.
async fn enforce_conditions(inner: &Inner) {
    if *inner.shutting_down.borrow() {
        return;
    }
    let network = inner.network.state();
    let moves: Vec<Snapshot> = {
        let state = inner.lock();
        let mut moves = Vec::new();
        for entry in state.ops.values() {
            let snapshot: &Snapshot = &entry.snapshot;
            let gate = policy::decide(snapshot.policy, &network);
            if let Some(run) = &entry.run {
                if let Gate::Wait(status) = gate
                    && *run.stop.borrow() == Stop::None
                {
                    run.stop.send_replace(Stop::Wait(status));
                }
                continue;
            }
            let next = match (snapshot.status, gate) {
                (Status::Idle, Gate::Wait(status)) => status,
                (Status::PausedCostedNetwork | Status::PausedSystemPolicy, Gate::Wait(status)) => {
                    status
                }
                (Status::PausedCostedNetwork | Status::PausedSystemPolicy, Gate::Run) => {
                    Status::Idle
                }
                _ => continue,
            };
            if next != snapshot.status {
                let mut moved = snapshot.clone();
                moved.status = next;
                moves.push(moved);
            }
        }
        moves
    };
    for snapshot in moves {
        let (id, status) = (snapshot.id, snapshot.status);
        tracing::info!(%id, %status, "network or power conditions changed");
        if let Err(e) = inner.commit(snapshot).await {
            tracing::error!(%id, error = %e, "cannot record a wait for the network");
        }
    }
}

/// The queued operation to start next, if a slot is free: highest priority first,
/// then creation order, skipping operations the conditions forbid, retries not yet
/// due, and serialized groups that are busy or whose earlier operation is still
/// queued. Also the time of the earliest retry not yet due.
fn pick(
    state: &State,
    max_running: usize,
    network: &NetworkState,
) -> (Option<Snapshot>, Option<Millis>) {
    let running = state.ops.values().filter(|e| e.run.is_some()).count();
    if running >= max_running.max(1) {
        return (None, None);
    }
    let serialized_heads = serialized_heads(state);
    let now = time::now_millis();
    let mut next_retry: Option<Millis> = None;
    let mut best: Option<&Snapshot> = None;
    for entry in state.ops.values() {
        let s = &entry.snapshot;
        if s.status != Status::Idle || entry.run.is_some() {
            continue;
        }
        if policy::decide(s.policy, network) != Gate::Run {
            continue;
        }
        if let Some(group) = &s.group
            && let Some(head) = serialized_heads.get(group.as_str())
            && *head != Some(s.id)
        {
            continue;
        }
        match s.retry_at {
            Some(at) if at > now => next_retry = Some(next_retry.map_or(at, |n| n.min(at))),
            _ => {
                let first = |b: &Snapshot| (std::cmp::Reverse(b.priority), b.seq);
                if best.is_none_or(|b| first(s) < first(b)) {
                    best = Some(s);
                }
            }
        }
    }
    (best.cloned(), next_retry)
}

/// For each serialized group, the one operation that may start: the earliest one
/// still queued, unless one of the group is already running (then none).
fn serialized_heads(state: &State) -> HashMap<&str, Option<OperationId>> {
    let serialized: HashSet<&str> = state
        .groups
        .values()
        .filter(|g| g.behavior == Behavior::Serialized)
        .map(|g| g.name.as_str())
        .collect();
    let mut heads: HashMap<&str, Option<&Snapshot>> = HashMap::new();
    let mut busy: HashSet<&str> = HashSet::new();
    for entry in state.ops.values() {
        let s = &entry.snapshot;
        let Some(group) = s.group.as_deref().filter(|g| serialized.contains(g)) else {
            continue;
        };
        if entry.run.is_some() || s.status == Status::Running {
            busy.insert(group);
        }
        if s.status == Status::Idle {
            let head = heads.entry(group).or_default();
            if head.is_none_or(|h| s.seq < h.seq) {
                *head = Some(s);
            }
        }
    }
    serialized
        .into_iter()
        .map(|group| {
            let head = heads.get(group).copied().flatten().map(|s| s.id);
            (group, if busy.contains(group) { None } else { head })
        })
        .collect()
}

async fn start(inner: &Arc<Inner>, mut snapshot: Snapshot) {
    let id = snapshot.id;
    snapshot.status = Status::Running;
    snapshot.retry_at = None;
    if let Err(e) = inner.commit(snapshot.clone()).await {
        tracing::error!(%id, error = %e, "cannot record the start of an operation; trying again later");
        if let Some(entry) = inner.lock().ops.get_mut(&id) {
            entry.snapshot.retry_at = Some(time::now_millis() + 10_000);
        }
        return;
    }
    let live = Arc::new(Live::new(snapshot.bytes, snapshot.total));
    let (stop_tx, stop_rx) = watch::channel(Stop::None);
    let (done_tx, done_rx) = watch::channel(false);
    let limit = Arc::new(Bucket::new(snapshot.limit));
    if let Some(entry) = inner.lock().ops.get_mut(&id) {
        entry.run = Some(RunHandle {
            stop: stop_tx,
            live: Arc::clone(&live),
            done: done_rx,
            limit: Arc::clone(&limit),
        });
    }
    let context = RunContext {
        inner: Arc::clone(inner),
        id,
        live,
        stop: stop_rx,
        pace: Pace::new(limit, Arc::clone(&inner.global_limit)),
    };
    tokio::spawn(drive(Arc::clone(inner), snapshot, context, done_tx));
}

/// One run of one operation, from start to its next status.
async fn drive(
    inner: Arc<Inner>,
    snapshot: Snapshot,
    mut context: RunContext,
    done: watch::Sender<bool>,
) {
    let id = snapshot.id;
    let kind = snapshot.kind;
    let Attempt { mut end, reach } = transfer::run(&inner, &mut context, snapshot).await;
    if matches!(end, RunEnd::Completed { .. })
        && kind == Kind::Download
        && let Err(error) = check_integrity(&inner, &context).await
    {
        end = RunEnd::Failed(error);
    }
    let stop = context.stop_requested();
    drop(context);
    // A failure that looks like the network may be the network: ask before
    // spending a retry on it.
    let network_lost = match &end {
        RunEnd::Failed(error) if stop == Stop::None && may_be_network(error.status) => {
            match reach {
                Some(url) => {
                    probe::reach(&url, inner.options.timeouts.connect.min(PROBE_TIMEOUT)).await
                        == Reach::NoNetwork
                }
                None => false,
            }
        }
        _ => false,
    };
    conclude(inner, id, end, stop, network_lost, done).await;
}

/// A finished download is checked before it gets its name. One that fails its
/// checksum is moved aside, and its next attempt starts from zero.
async fn check_integrity(inner: &Inner, context: &RunContext) -> Result<(), TransferError> {
    let Ok(snapshot) = inner.snapshot_of(context.id()) else {
        return Ok(());
    };
    let mut wanted = Vec::new();
    if let Some(checksum) = &snapshot.checksum {
        wanted.push((checksum.clone(), "the checksum given"));
    }
    if let Some(digest) = &snapshot.validators.digest {
        wanted.push((digest.clone(), "the server"));
    }
    let (Some(part), Some(destination)) = (snapshot.part_path(), snapshot.destination.clone())
    else {
        return Ok(());
    };
    let Err(mut error) = integrity::verify(part.clone(), wanted).await else {
        return Ok(());
    };
    if error.status == ErrorStatus::ChecksumMismatch {
        let aside = integrity::aside_path(&destination);
        match tokio::fs::rename(&part, &aside).await {
            Ok(()) => {
                error.message =
                    format!("{}; the file is kept as {}", error.message, aside.display());
            }
            Err(e) => {
                tracing::warn!(id = %snapshot.id, error = %e, "cannot keep the mismatched file aside");
            }
        }
        let from_zero = Checkpoint {
            bytes: 0,
            total: None,
            validators: Validators::default(),
        };
        if let Err(e) = context.checkpoint(from_zero).await {
            tracing::warn!(id = %snapshot.id, error = %e, "cannot record the restart from zero");
        }
    }
    Err(error)
}

/// Record how a run ended and let the scheduler start what comes next.
async fn conclude(
    inner: Arc<Inner>,
    id: OperationId,
    end: RunEnd,
    stop: Stop,
    network_lost: bool,
    done: watch::Sender<bool>,
) {
    {
        let _transition = inner.transitions.lock().await;
        let current = inner.lock().ops.get_mut(&id).map(|entry| {
            entry.run = None;
            Snapshot::clone(&entry.snapshot)
        });
        if let Some(current) = current
            && let Err(e) = finish(&inner, current, end, stop, network_lost).await
        {
            tracing::error!(%id, error = %e, "cannot record the end of a run");
        }
    }
    done.send_replace(true);
    inner.wake_scheduler.notify_one();
}

/// How long a check for the network may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// Failures a lost network produces (and other things too, which the probe tells apart).
fn may_be_network(status: ErrorStatus) -> bool {
    matches!(
        status,
        ErrorStatus::Timeout
            | ErrorStatus::CannotConnect
            | ErrorStatus::HostNameNotResolved
            | ErrorStatus::ConnectionReset
    )
}

async fn finish(
    inner: &Arc<Inner>,
    mut snapshot: Snapshot,
    end: RunEnd,
    stop: Stop,
    network_lost: bool,
) -> Result<(), super::StoreError> {
    match (end, stop) {
        (RunEnd::Completed { bytes }, _) => return complete(inner, snapshot, bytes).await,
        (_, Stop::Shutdown) => {
            // Stays `Running` in the store: the next start resumes it.
            return Ok(());
        }
        (_, Stop::Wait(status)) => snapshot.status = status,
        (RunEnd::Failed(error), Stop::None) if network_lost => {
            tracing::warn!(id = %snapshot.id, error = %error.message, "the network is gone; waiting for it");
            snapshot.error = Some(ErrorInfo::from(&error));
            snapshot.status = Status::PausedNoNetwork;
            snapshot.retry_at = None;
        }
        (_, Stop::Pause) => snapshot.status = Status::PausedByApplication,
        (_, Stop::Cancel) => inner.cancel_in_place(&mut snapshot),
        (_, Stop::Restart) => inner.reset_for_restart(&mut snapshot),
        (RunEnd::Failed(error), Stop::None) => after_failure(inner, &mut snapshot, &error),
        (RunEnd::Stopped, Stop::None) => {
            tracing::error!(id = %snapshot.id, "a run stopped without being asked to; queueing it again");
            snapshot.status = Status::Idle;
        }
    }
    inner.commit(snapshot).await
}

/// Progress past the furthest point reached before that gives a failing
/// operation its retries back.
const FRESH_PROGRESS: u64 = 64 * 1024;

/// Queue a retry after a backoff, or fail for good.
fn after_failure(inner: &Inner, snapshot: &mut Snapshot, error: &TransferError) {
    let policy = &inner.options.retry;
    if snapshot.bytes >= snapshot.high_water.saturating_add(FRESH_PROGRESS) {
        // Got well further than ever before: this is not the same failure
        // repeating (a few bytes more each time, a trickle, would be).
        snapshot.high_water = snapshot.bytes;
        snapshot.attempts = 0;
    }
    snapshot.error = Some(ErrorInfo::from(error));
    if error.status.is_retryable() && snapshot.attempts < policy.max_retries {
        snapshot.attempts += 1;
        let delay = policy.delay(snapshot.attempts, error.retry_after);
        tracing::warn!(
            id = %snapshot.id,
            status = ?error.status,
            error = %error.message,
            attempt = snapshot.attempts,
            delay_ms = delay.as_millis() as u64,
            "attempt failed; retrying"
        );
        snapshot.status = Status::Idle;
        snapshot.retry_at =
            Some(time::now_millis() + u64::try_from(delay.as_millis()).unwrap_or(u64::MAX / 2));
    } else {
        tracing::warn!(id = %snapshot.id, status = ?error.status, error = %error.message, "operation failed");
        snapshot.status = Status::Error;
        snapshot.retry_at = None;
        snapshot.finished_at = Some(time::now_millis());
        remove_empty_part(snapshot);
    }
}

/// A download that failed before its first byte (a 404) leaves no empty `.part`
/// behind; one with data keeps it for a resume.
fn remove_empty_part(snapshot: &Snapshot) {
    let Some(part) = snapshot.part_path() else {
        return;
    };
    if snapshot.bytes == 0 && std::fs::metadata(&part).is_ok_and(|m| m.len() == 0) {
        let _ = std::fs::remove_file(&part);
    }
}

/// Record the completion; for a download, then move the `.part` to its final
/// name. If the agent dies in between, start-up recovery finishes the rename.
async fn complete(
    inner: &Inner,
    mut snapshot: Snapshot,
    bytes: u64,
) -> Result<(), super::StoreError> {
    snapshot.bytes = bytes;
    snapshot.total = Some(bytes);
    snapshot.status = Status::Completed;
    snapshot.error = None;
    snapshot.retry_at = None;
    snapshot.finished_at = Some(time::now_millis());
    let (Some(part), Some(wanted)) = (snapshot.part_path(), snapshot.destination.clone()) else {
        tracing::info!(id = %snapshot.id, bytes, "upload completed");
        return inner.commit(snapshot).await;
    };
    let destination = if snapshot.overwrite {
        wanted
    } else {
        inner.lock().free_destination(&wanted, snapshot.id)
    };
    snapshot.destination = Some(destination.clone());
    snapshot.updated_at = time::now_millis();
    inner.store.put(&snapshot).await?;

    let renamed = tokio::task::spawn_blocking(move || rename_durably(&part, &destination))
        .await
        .unwrap_or_else(|e| Err(std::io::Error::other(e)));
    match renamed {
        Ok(()) => {
            tracing::info!(id = %snapshot.id, bytes, "download completed");
            if let Some(entry) = inner.lock().ops.get_mut(&snapshot.id) {
                *entry.snapshot = snapshot.clone();
            }
            let group = snapshot.group.clone();
            inner.announce(Event::StatusChanged {
                snapshot: Box::new(snapshot),
            });
            match group {
                Some(name) => inner.check_group(&name).await,
                None => Ok(()),
            }
        }
        Err(e) => {
            let error = TransferError::io("moving the finished download to its name", &e);
            snapshot.status = Status::Error;
            snapshot.error = Some(ErrorInfo::from(&error));
            inner.commit(snapshot).await
        }
    }
}

fn rename_durably(from: &std::path::Path, to: &std::path::Path) -> std::io::Result<()> {
    super::part_file::publish(from)?;
    std::fs::rename(from, to)?;
    if let Some(parent) = to.parent() {
        // The rename itself must survive a power cut, not only the data.
        std::fs::File::open(parent)?.sync_all()?;
    }
    Ok(())
}

/// Publish progress of running operations a few times a second, and count the
/// bytes they move while the network is metered.
async fn tick_loop(inner: Arc<Inner>, mut shutdown: watch::Receiver<bool>) {
    let mut sampler = Sampler::default();
    let mut counted: HashMap<OperationId, u64> = HashMap::new();
    let mut last_saved = Instant::now();
    let mut interval = tokio::time::interval(inner.options.progress_interval);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = shutdown.changed() => return,
        }
        let now = Instant::now();
        let moved = count_moved(&inner, &mut counted);
        if let Some(state) = inner.network.count(moved, time::now_millis()) {
            inner.network_changed(state);
        }
        if now.duration_since(last_saved) >= USAGE_SAVE_INTERVAL {
            last_saved = now;
            save_usage(&inner).await;
        }
        let events: Vec<Event> = {
            let state = inner.lock();
            sampler.retain(|id| state.ops.get(id).is_some_and(|e| e.run.is_some()));
            state
                .ops
                .iter()
                .filter_map(|(id, entry)| {
                    let run = entry.run.as_ref()?;
                    sampler
                        .observe(*id, &run.live, now)
                        .then(|| Event::Progress {
                            id: *id,
                            bytes: run.live.bytes(),
                            total: run.live.total(),
                            speed: run.live.speed(),
                            eta_secs: run.live.eta_secs(),
                        })
                })
                .collect()
        };
        for event in events {
            inner.announce(event);
        }
    }
}

/// How often the month's metered traffic is written to the store.
const USAGE_SAVE_INTERVAL: Duration = Duration::from_secs(5);

/// Bytes moved by running operations since the last call.
fn count_moved(inner: &Inner, counted: &mut HashMap<OperationId, u64>) -> u64 {
    let state = inner.lock();
    counted.retain(|id, _| state.ops.get(id).is_some_and(|e| e.run.is_some()));
    let mut moved = 0;
    for (id, entry) in &state.ops {
        let Some(run) = &entry.run else { continue };
        let now = run.live.bytes();
        // First seen: count from where the run started.
        let before = counted.insert(*id, now).unwrap_or(entry.snapshot.bytes);
        // A restart from zero moves the count back: nothing to add.
        moved += now.saturating_sub(before);
    }
    moved
}

/// Write the month's metered traffic if it changed.
pub(super) async fn save_usage(inner: &Inner) {
    if let Some((month, bytes)) = inner.network.unsaved()
        && let Err(e) = inner.store.put_metered(month, bytes).await
    {
        tracing::warn!(error = %e, "cannot record the metered traffic");
    }
}

/// Check, with a growing delay, whether operations waiting for a lost network can
/// reach their servers again; queue those that can. Nothing is checked while the
/// system says it is offline; everything is checked at once when it comes back.
async fn probe_loop(inner: Arc<Inner>, mut shutdown: watch::Receiver<bool>) {
    let mut network = inner.network.subscribe();
    // When each waiting operation is checked next, and the delay after that.
    let mut schedule: HashMap<OperationId, (Instant, Duration)> = HashMap::new();
    let mut checks = tokio::task::JoinSet::new();
    loop {
        let online = network.borrow_and_update().conditions.online;
        let waiting: Vec<(OperationId, String)> = inner
            .lock()
            .ops
            .values()
            .filter(|e| e.snapshot.status == Status::PausedNoNetwork && e.run.is_none())
            .map(|e| (e.snapshot.id, e.snapshot.url.clone()))
            .collect();
        schedule.retain(|id, _| waiting.iter().any(|(w, _)| w == id));
        let now = Instant::now();
        let mut next_wake: Option<Instant> = None;
        if online {
            for (id, url) in waiting {
                let (due, delay) = *schedule
                    .entry(id)
                    .or_insert((now, inner.options.probe_interval));
                if due > now {
                    next_wake = Some(next_wake.map_or(due, |w| w.min(due)));
                    continue;
                }
                let next_delay = (delay * 2).min(MAX_PROBE_INTERVAL);
                // Marked far ahead while the check runs; its result sets the real time.
                schedule.insert(id, (now + Duration::from_secs(3600), delay));
                checks.spawn(async move {
                    let reach = probe::reach(&url, PROBE_TIMEOUT).await;
                    (id, reach, delay, next_delay)
                });
            }
        }
        let sleep = async {
            match next_wake {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = sleep => {}
            () = inner.wake_prober.notified() => {}
            changed = network.changed() => {
                if changed.is_err() {
                    return;
                }
                if network.borrow().conditions.online && !online {
                    // Back online: check everything now.
                    schedule.clear();
                }
            }
            Some(Ok((id, reach, delay, next_delay))) = checks.join_next() => {
                if reach != Reach::NoNetwork {
                    schedule.remove(&id);
                    inner.network_is_back(id).await;
                } else {
                    tracing::debug!(%id, ?reach, retry_in_ms = delay.as_millis() as u64, "the network is still gone");
                    schedule.insert(id, (Instant::now() + delay, next_delay));
                }
            }
            _ = shutdown.changed() => return,
        }
    }
}
