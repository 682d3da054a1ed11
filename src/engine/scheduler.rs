//! Who runs: queued operations start in creation order while fewer than
//! `max_running` run; a run's end is turned into the next status (completed, paused,
//! canceled, queued for a retry after a backoff, or failed); a ticker publishes
//! progress.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::error::{ErrorInfo, TransferError};
use super::operation::{self, Event, Millis, Snapshot, Status};
use super::progress::{Live, Sampler};
use super::run::{RunContext, RunEnd, Stop};
use super::{Inner, RunHandle, State, http};

/// Start the scheduler and the progress ticker; both end at shutdown.
pub(super) fn spawn(inner: &Arc<Inner>) -> Vec<tokio::task::JoinHandle<()>> {
    vec![
        tokio::spawn(schedule_loop(Arc::clone(inner))),
        tokio::spawn(tick_loop(Arc::clone(inner))),
    ]
}

async fn schedule_loop(inner: Arc<Inner>) {
    let mut shutdown = inner.shutting_down.subscribe();
    while !*shutdown.borrow() {
        let next_retry = start_eligible(&inner).await;
        let sleep = async {
            match next_retry {
                Some(at) => {
                    let wait = Duration::from_millis(at.saturating_sub(operation::now_millis()));
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

/// Start what may start; returns when the earliest waiting retry is due.
async fn start_eligible(inner: &Arc<Inner>) -> Option<Millis> {
    let _transition = inner.transitions.lock().await;
    loop {
        if *inner.shutting_down.borrow() {
            return None;
        }
        let max_running = inner.max_running.load(std::sync::atomic::Ordering::Relaxed);
        let (candidate, next_retry) = pick(&inner.lock(), max_running);
        let Some(snapshot) = candidate else {
            return next_retry;
        };
        start(inner, snapshot).await;
    }
}

/// The first queued operation (by creation order) whose retry time has come, if a
/// slot is free; and the time of the earliest retry not yet due.
fn pick(state: &State, max_running: usize) -> (Option<Snapshot>, Option<Millis>) {
    let running = state.ops.values().filter(|e| e.run.is_some()).count();
    if running >= max_running.max(1) {
        return (None, None);
    }
    let now = operation::now_millis();
    let mut next_retry: Option<Millis> = None;
    let mut best: Option<&Snapshot> = None;
    for entry in state.ops.values() {
        let s = &entry.snapshot;
        if s.status != Status::Idle || entry.run.is_some() {
            continue;
        }
        match s.retry_at {
            Some(at) if at > now => next_retry = Some(next_retry.map_or(at, |n| n.min(at))),
            _ => {
                if best.is_none_or(|b| s.seq < b.seq) {
                    best = Some(s);
                }
            }
        }
    }
    (best.cloned(), next_retry)
}

async fn start(inner: &Arc<Inner>, mut snapshot: Snapshot) {
    let id = snapshot.id;
    snapshot.status = Status::Running;
    snapshot.retry_at = None;
    if let Err(e) = inner.commit(snapshot.clone()).await {
        tracing::error!(%id, error = %e, "cannot record the start of an operation; trying again later");
        if let Some(entry) = inner.lock().ops.get_mut(&id) {
            entry.snapshot.retry_at = Some(operation::now_millis() + 10_000);
        }
        return;
    }
    let live = Arc::new(Live::new(snapshot.bytes, snapshot.total));
    let (stop_tx, stop_rx) = watch::channel(Stop::None);
    let (done_tx, done_rx) = watch::channel(false);
    if let Some(entry) = inner.lock().ops.get_mut(&id) {
        entry.run = Some(RunHandle {
            stop: stop_tx,
            live: Arc::clone(&live),
            done: done_rx,
        });
    }
    let context = RunContext {
        inner: Arc::clone(inner),
        id,
        live,
        stop: stop_rx,
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
    let end = http::run(&mut context, snapshot).await;
    let stop = context.stop_requested();
    drop(context);
    {
        let _transition = inner.transitions.lock().await;
        let current = inner.lock().ops.get_mut(&id).map(|entry| {
            entry.run = None;
            entry.snapshot.clone()
        });
        if let Some(current) = current
            && let Err(e) = finish(&inner, current, end, stop).await
        {
            tracing::error!(%id, error = %e, "cannot record the end of a run");
        }
    }
    done.send_replace(true);
    inner.wake_scheduler.notify_one();
}

async fn finish(
    inner: &Inner,
    mut snapshot: Snapshot,
    end: RunEnd,
    stop: Stop,
) -> Result<(), super::StoreError> {
    match (end, stop) {
        (RunEnd::Completed { bytes }, _) => return complete(inner, snapshot, bytes).await,
        (_, Stop::Shutdown) => {
            // Stays `Running` in the store: the next start resumes it.
            return Ok(());
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

/// Queue a retry after a backoff, or fail for good.
fn after_failure(inner: &Inner, snapshot: &mut Snapshot, error: &TransferError) {
    let policy = &inner.options.retry;
    if snapshot.bytes > snapshot.high_water {
        // Got further than ever before: this is not the same failure repeating.
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
        snapshot.retry_at = Some(
            operation::now_millis() + u64::try_from(delay.as_millis()).unwrap_or(u64::MAX / 2),
        );
    } else {
        tracing::warn!(id = %snapshot.id, status = ?error.status, error = %error.message, "operation failed");
        snapshot.status = Status::Error;
        snapshot.retry_at = None;
        snapshot.finished_at = Some(operation::now_millis());
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
    snapshot.finished_at = Some(operation::now_millis());
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
    snapshot.updated_at = operation::now_millis();
    inner.store.put(&snapshot).await?;

    let renamed = tokio::task::spawn_blocking(move || rename_durably(&part, &destination))
        .await
        .unwrap_or_else(|e| Err(std::io::Error::other(e)));
    match renamed {
        Ok(()) => {
            tracing::info!(id = %snapshot.id, bytes, "download completed");
            if let Some(entry) = inner.lock().ops.get_mut(&snapshot.id) {
                entry.snapshot = snapshot.clone();
            }
            inner.announce(Event::StatusChanged {
                snapshot: Box::new(snapshot),
            });
            Ok(())
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
    std::fs::rename(from, to)?;
    if let Some(parent) = to.parent() {
        // The rename itself must survive a power cut, not only the data.
        std::fs::File::open(parent)?.sync_all()?;
    }
    Ok(())
}

/// Publish progress of running operations a few times a second.
async fn tick_loop(inner: Arc<Inner>) {
    let mut sampler = Sampler::default();
    let mut interval = tokio::time::interval(inner.options.progress_interval);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut shutdown = inner.shutting_down.subscribe();
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = shutdown.changed() => return,
        }
        let now = Instant::now();
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
