//! One run of one operation: started under the transition lock, driven by its
//! protocol (see [`super::super::transfer`]), checked, and turned into the next
//! status (completed and renamed, paused, canceled, queued for a retry after a
//! backoff, waiting for the network, or failed).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::super::error::{ErrorInfo, ErrorStatus, TransferError};
use super::super::event::Event;
use super::super::operation::{Kind, OperationId, Snapshot, Status, Validators};
use super::super::options::RetryPolicy;
use super::super::pace::{Bucket, Pace};
use super::super::probe::{self, Reach};
use super::super::progress::Live;
use super::super::run::{Checkpoint, RunContext, RunEnd, Stop};
use super::super::time;
use super::super::transfer::{self, Attempt};
use super::super::{Inner, RunHandle, integrity};

pub(super) async fn start(inner: &Arc<Inner>, mut snapshot: Snapshot) {
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
    let scoped = Arc::new(std::sync::RwLock::new(
        inner
            .scoped_limits
            .for_facts(&super::super::schedule::Facts::of(&snapshot)),
    ));
    {
        let mut state = inner.lock();
        if let Some(entry) = state.ops.get_mut(&id) {
            entry.run = Some(RunHandle {
                stop: stop_tx,
                live: Arc::clone(&live),
                done: done_rx,
                limit: Arc::clone(&limit),
                scoped: Arc::clone(&scoped),
            });
            // Traffic is counted from where the run starts (under the same
            // lock as the ticker's count, which drops what has no run).
            inner.counted.start(id, snapshot.bytes);
        }
    }
    let context = RunContext {
        inner: Arc::clone(inner),
        id,
        live,
        stop: stop_rx,
        pace: Pace::new(limit, Arc::clone(&inner.global_limit), scoped),
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
        let mut last = None;
        let current = inner.lock().ops.get_mut(&id).map(|entry| {
            if let Some(run) = entry.run.take() {
                last = Some((entry.snapshot.kind, run.live.bytes(), entry.snapshot.bytes));
            }
            Snapshot::clone(&entry.snapshot)
        });
        // The bytes moved since the last tick, which no longer sees this run.
        if let Some((kind, bytes, started_at)) = last {
            super::ticker::count_end(&inner, id, kind, bytes, started_at);
        }
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
pub(super) const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

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
) -> Result<(), super::super::StoreError> {
    match (end, stop) {
        (RunEnd::Completed { bytes }, _) => return complete(inner, snapshot, bytes).await,
        (_, Stop::Shutdown) => {
            // Stays `Running` in the store: the next start resumes it.
            return Ok(());
        }
        (_, Stop::Wait(status)) => {
            snapshot.status = status;
            if status == Status::PausedBySchedule {
                snapshot.waits_until = super::opens_for(inner, &snapshot);
            }
        }
        (RunEnd::Failed(error), Stop::None) if network_lost => {
            tracing::warn!(id = %snapshot.id, error = %error.message, "the network is gone; waiting for it");
            snapshot.record_failure(ErrorInfo::from(&error));
            snapshot.status = Status::PausedNoNetwork;
            snapshot.retry_at = None;
        }
        (_, Stop::Pause) => snapshot.status = Status::PausedByApplication,
        (_, Stop::Cancel) => inner.cancel_in_place(&mut snapshot),
        (_, Stop::Restart) => inner.reset_for_restart(&mut snapshot),
        (RunEnd::Failed(error), Stop::None) => {
            after_failure(&inner.options.retry, &mut snapshot, &error);
        }
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
fn after_failure(policy: &RetryPolicy, snapshot: &mut Snapshot, error: &TransferError) {
    if snapshot.bytes >= snapshot.high_water.saturating_add(FRESH_PROGRESS) {
        // Got well further than ever before: this is not the same failure
        // repeating (a few bytes more each time, a trickle, would be).
        snapshot.high_water = snapshot.bytes;
        snapshot.attempts = 0;
    }
    snapshot.record_failure(ErrorInfo::from(error));
    if address_expired(snapshot, error) {
        tracing::warn!(id = %snapshot.id, status = ?error.status, error = %error.message, "the address stopped serving the file; waiting for a new one");
        snapshot.status = Status::NeedsNewAddress;
        snapshot.retry_at = None;
        return;
    }
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

/// A download that had bytes and is now refused (403), gone (404, 410), or
/// asked to log in (401) though it was given no login of its own: a signed
/// address that expired, a file host's session (cookie, token) that ended. Its
/// bytes stay for the same file at a new address. (A 401 for a download with
/// its own user and password is a login that stopped working: a failure.)
fn address_expired(snapshot: &Snapshot, error: &TransferError) -> bool {
    let own_login = snapshot.secrets.user.is_some();
    let refused = match error.status {
        ErrorStatus::Forbidden | ErrorStatus::NotFound | ErrorStatus::Gone => true,
        ErrorStatus::Unauthorized => !own_login,
        _ => false,
    };
    let has_bytes = snapshot.bytes > 0 || snapshot.segments.iter().any(|s| s.done > 0);
    refused && snapshot.kind == Kind::Download && has_bytes
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
) -> Result<(), super::super::StoreError> {
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

    let renamed = tokio::task::spawn_blocking(move || {
        super::super::part_file::rename_durably(&part, &destination)
    })
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
            snapshot.record_failure(ErrorInfo::from(&error));
            inner.commit(snapshot).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::request::Request;
    use super::*;

    fn failing(bytes: u64, high_water: u64, attempts: u32) -> Snapshot {
        let request = Request::download("http://127.0.0.1:9/f", None);
        let mut s = Snapshot::new(1, &request, request.url.clone(), None);
        s.bytes = bytes;
        s.high_water = high_water;
        s.attempts = attempts;
        s
    }

    #[test]
    fn a_retryable_failure_queues_a_retry_after_a_backoff() {
        let policy = RetryPolicy::default();
        let mut s = failing(0, 0, 1);
        let before = time::now_millis();
        after_failure(
            &policy,
            &mut s,
            &TransferError::new(ErrorStatus::Timeout, "slow"),
        );
        assert_eq!(s.status, Status::Idle);
        assert_eq!(s.attempts, 2);
        let at = s.retry_at.expect("a retry time");
        // The second retry waits twice the base delay.
        assert!(
            at >= before + 4_000 && at <= time::now_millis() + 4_000,
            "{at}"
        );
        assert_eq!(
            s.error.as_ref().map(|e| e.status),
            Some(ErrorStatus::Timeout)
        );
    }

    #[test]
    fn a_final_failure_or_spent_retries_fail_for_good() {
        let policy = RetryPolicy::default();
        let mut s = failing(0, 0, 0);
        after_failure(
            &policy,
            &mut s,
            &TransferError::new(ErrorStatus::NotFound, "404"),
        );
        assert_eq!((s.status, s.retry_at.is_none()), (Status::Error, true));
        assert!(s.finished_at.is_some());

        let mut s = failing(0, 0, policy.max_retries);
        after_failure(
            &policy,
            &mut s,
            &TransferError::new(ErrorStatus::Timeout, "slow"),
        );
        assert_eq!(s.status, Status::Error, "no retry left");
    }

    #[test]
    fn a_refusal_after_bytes_waits_for_a_new_address_and_keeps_them() {
        let policy = RetryPolicy::default();
        let forbidden =
            TransferError::new(ErrorStatus::Forbidden, "the server answered 403 Forbidden");
        let mut s = failing(5 << 20, 5 << 20, 0);
        after_failure(&policy, &mut s, &forbidden);
        assert_eq!(s.status, Status::NeedsNewAddress);
        assert_eq!((s.retry_at, s.finished_at, s.bytes), (None, None, 5 << 20));
        // A session that ended (401, no login of its own) waits too; a login
        // of its own that stopped working does not.
        let unauthorized = TransferError::new(ErrorStatus::Unauthorized, "401");
        let mut s = failing(5 << 20, 5 << 20, 0);
        after_failure(&policy, &mut s, &unauthorized);
        assert_eq!(s.status, Status::NeedsNewAddress);
        let mut s = failing(5 << 20, 5 << 20, 0);
        s.secrets.user = Some("bob".into());
        after_failure(&policy, &mut s, &unauthorized);
        assert_eq!(s.status, Status::Error);
        // Before any byte, a 404 is a plain failure.
        let mut s = failing(0, 0, 0);
        after_failure(
            &policy,
            &mut s,
            &TransferError::new(ErrorStatus::NotFound, "404"),
        );
        assert_eq!(s.status, Status::Error);
    }

    #[test]
    fn getting_well_further_than_before_gives_the_retries_back() {
        let policy = RetryPolicy::default();
        let error = TransferError::new(ErrorStatus::ConnectionReset, "reset");
        let mut s = failing(1 << 20, 1000, policy.max_retries);
        after_failure(&policy, &mut s, &error);
        assert_eq!((s.status, s.attempts), (Status::Idle, 1));
        assert_eq!(s.high_water, 1 << 20);
        // A trickle (less than 64 KiB further) is the same failure repeating.
        let mut s = failing(1000 + FRESH_PROGRESS - 1, 1000, policy.max_retries);
        after_failure(&policy, &mut s, &error);
        assert_eq!(s.status, Status::Error);
    }
}
