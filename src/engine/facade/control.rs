//! Changing operations: pause, resume, cancel, restart, remove, and their
//! settings (policy, priority, speed limit), each persisted before it is applied
//! and announced.

use crate::engine::queue::{self, Place};
use crate::engine::*;

impl Engine {
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

    /// The waiting operations, next to start first (see [`queue`]).
    pub fn queue(&self) -> Vec<Snapshot> {
        let state = self.inner.lock();
        queue::ordered(state.ops.values().map(|e| &*e.snapshot))
            .into_iter()
            .cloned()
            .collect()
    }

    /// Move a waiting operation to another place in the queue (nothing changes
    /// when it is there already). Moving it next to an operation of another
    /// priority gives it that priority.
    pub async fn move_in_queue(&self, id: OperationId, place: Place) -> Result<(), EngineError> {
        self.inner.refuse_if_shutting_down()?;
        let _transition = self.inner.transitions.lock().await;
        let (planned, mut changed) = {
            let state = self.inner.lock();
            let queue = queue::ordered(state.ops.values().map(|e| &*e.snapshot));
            let ceiling = queue::rank_of_seq(state.next_seq);
            let planned = queue::plan(&queue, id, place, ceiling).map_err(|refusal| {
                let (id, action) = match (refusal, place) {
                    (queue::Refusal::NoSuchNeighbour, Place::Before(n) | Place::After(n)) => {
                        (n, "place another next to")
                    }
                    _ => (id, "move"),
                };
                match state.ops.get(&id) {
                    Some(entry) => EngineError::InvalidState {
                        id,
                        status: entry.snapshot.status,
                        action,
                    },
                    None => EngineError::NotFound(id.to_string()),
                }
            })?;
            let Some(planned) = planned else {
                return Ok(());
            };
            let changed: Vec<Snapshot> = planned
                .renumbered
                .iter()
                .filter_map(|(other, rank)| {
                    let mut s = Snapshot::clone(&state.ops.get(other)?.snapshot);
                    s.queue_rank = *rank;
                    Some(s)
                })
                .collect();
            (planned, changed)
        };
        let mut moved = self.inner.record(id)?;
        moved.priority = planned.priority;
        moved.queue_rank = planned.rank;
        if !changed.is_empty() {
            tracing::info!(others = changed.len(), "queue ranks spread again");
        }
        changed.push(moved);
        self.inner.commit_all(changed).await?;
        self.inner.wake_scheduler.notify_one();
        Ok(())
    }

    /// Edit one operation's settings: persisted, applied and announced (see
    /// `Inner::commit`), then the scheduler reconsiders it.
    pub(in crate::engine) async fn change(
        &self,
        id: OperationId,
        edit: impl FnOnce(&mut Snapshot),
    ) -> Result<(), EngineError> {
        self.inner.refuse_if_shutting_down()?;
        let _transition = self.inner.transitions.lock().await;
        let mut snapshot = self.inner.record(id)?;
        edit(&mut snapshot);
        self.inner.commit(snapshot).await?;
        self.inner.wake_scheduler.notify_one();
        Ok(())
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

    /// Start a download again from byte zero at a new address: what the user
    /// asks for when [`Engine::refresh`] found that the new address serves
    /// another file and that file is the one they want. What was fetched from
    /// the old address is deleted.
    pub async fn start_over(&self, id: OperationId, url: &str) -> Result<Snapshot, EngineError> {
        self.inner.refuse_if_shutting_down()?;
        let url = validate::url(url)?;
        let _transition = self.inner.transitions.lock().await;
        let mut snapshot = self.inner.record(id)?;
        takes_a_new_address(&snapshot)?;
        tracing::info!(%id, url = %redact_url(url.as_str()), "starting over from a new address");
        snapshot.url = url.to_string();
        // Nothing the old answers said holds for another file.
        snapshot.validators = Validators::default();
        self.inner
            .apply_stop_to_idle(snapshot, Stop::Restart)
            .await?;
        self.inner.snapshot_of(id)
    }

    /// Continue a download from a new address (its link expired, the file moved),
    /// once that address proves to serve the same file; what was fetched stays.
    /// Refused, with the reason, when it serves another file or is unreachable.
    /// A download with nothing fetched yet simply takes the new address.
    pub async fn refresh(&self, id: OperationId, url: &str) -> Result<Snapshot, EngineError> {
        self.inner.refuse_if_shutting_down()?;
        let url = validate::url(url)?;
        let snapshot = self.inner.record(id)?;
        takes_a_new_address(&snapshot)?;
        // Nothing fetched yet (it failed or was paused before its first byte):
        // nothing to keep, so nothing to prove; it starts at the new address.
        let fetched = snapshot.bytes > 0 || snapshot.segments.iter().any(|s| s.done > 0);
        // Asked without the transition lock: the check goes over the network.
        let validators = if fetched {
            transfer::same_file(&self.inner, &snapshot, &url)
                .await
                .map_err(EngineError::Refresh)?
        } else {
            Validators::default()
        };
        let _transition = self.inner.transitions.lock().await;
        let mut snapshot = self.inner.record(id)?;
        // Checked again: it may have been resumed or canceled meanwhile.
        takes_a_new_address(&snapshot)?;
        tracing::info!(%id, url = %redact_url(url.as_str()), "continuing from a new address");
        snapshot.url = url.to_string();
        snapshot.validators = Validators {
            // A digest the user or the old answer gave still names the file.
            digest: snapshot.validators.digest.take(),
            ..validators
        };
        snapshot.status = Status::Idle;
        snapshot.attempts = 0;
        snapshot.retry_at = None;
        snapshot.error = None;
        snapshot.finished_at = None;
        self.inner.commit(snapshot.clone()).await?;
        self.inner.wake_scheduler.notify_one();
        Ok(snapshot)
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

    pub(in crate::engine) fn ids_where(&self, keep: impl Fn(Status) -> bool) -> Vec<OperationId> {
        self.list()
            .into_iter()
            .filter(|s| keep(s.status))
            .map(|s| s.id)
            .collect()
    }

    /// Pause, cancel or restart: a running operation is told to stop and the call
    /// waits until its run has ended and the new status is persisted; any other is
    /// changed directly.
    pub(in crate::engine) async fn control(
        &self,
        id: OperationId,
        stop: Stop,
    ) -> Result<(), EngineError> {
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
    /// An operation waiting for the network can reach its server again: queue it,
    /// with its retries untouched.
    pub(in crate::engine) async fn network_is_back(&self, id: OperationId) {
        let _transition = self.transitions.lock().await;
        let snapshot = self.stored(id);
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
    pub(in crate::engine) async fn requeue(
        &self,
        mut snapshot: Snapshot,
    ) -> Result<(), EngineError> {
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

    /// Pause, cancel or restart an operation that is not running.
    pub(in crate::engine) async fn apply_stop_to_idle(
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
    pub(in crate::engine) fn cancel_in_place(self: &Arc<Self>, snapshot: &mut Snapshot) {
        remove_part(snapshot);
        written::forget_now(&self.options.data_dir, snapshot.id);
        transfer::abandon_remote(self, snapshot);
        snapshot.status = Status::Canceled;
        snapshot.retry_at = None;
        snapshot.finished_at = Some(time::now_millis());
    }

    pub(in crate::engine) fn reset_for_restart(&self, snapshot: &mut Snapshot) {
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

pub(in crate::engine) fn invalid_state(snapshot: &Snapshot, action: &'static str) -> EngineError {
    EngineError::InvalidState {
        id: snapshot.id,
        status: snapshot.status,
        action,
    }
}

pub(in crate::engine) fn remove_part(snapshot: &Snapshot) {
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

/// A download that is not running and has not ended can be given a new address.
fn takes_a_new_address(snapshot: &Snapshot) -> Result<(), EngineError> {
    let ended_or_busy = matches!(
        snapshot.status,
        Status::Running | Status::Completed | Status::Canceled
    );
    if snapshot.kind != Kind::Download || ended_or_busy {
        return Err(invalid_state(snapshot, "give a new address to"));
    }
    Ok(())
}
