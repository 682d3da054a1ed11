//! Progress of running operations, published a few times a second, and the bytes
//! they move counted against a metered network's budget.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::super::Inner;
use super::super::event::Event;
use super::super::operation::{Kind, OperationId};
use super::super::progress::Sampler;
use super::super::time;
use super::super::traffic::day_number;

/// Publish progress of running operations a few times a second, and count the
/// bytes they move while the network is metered.
pub(super) async fn tick_loop(inner: Arc<Inner>, mut shutdown: watch::Receiver<bool>) {
    let mut sampler = Sampler::default();
    let mut last_saved = Instant::now();
    let mut interval = tokio::time::interval(inner.options.progress_interval);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = shutdown.changed() => return,
        }
        let now = Instant::now();
        let (downloaded, uploaded) = count_moved(&inner);
        record(&inner, downloaded, uploaded);
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

/// How many bytes each running operation had when its traffic was last counted.
#[derive(Debug, Default)]
pub(in super::super) struct Counted(Mutex<HashMap<OperationId, u64>>);

impl Counted {
    /// A run starts with `bytes` already there.
    pub(super) fn start(&self, id: OperationId, bytes: u64) {
        self.lock().insert(id, bytes);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<OperationId, u64>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Count bytes moved against the metered budget and in the day's traffic.
fn record(inner: &Inner, downloaded: u64, uploaded: u64) {
    let moved = downloaded.saturating_add(uploaded);
    if let Some(state) = inner.network.count(moved, time::now_millis()) {
        inner.network_changed(state);
    }
    if moved > 0 {
        let today = day_number(inner.options.clock.now().date());
        let metered = inner.network.state().conditions.metered;
        inner.traffic.add(today, downloaded, uploaded, metered);
    }
}

/// A run ended with `bytes`: what it moved since it was last counted (the
/// ticker no longer sees it).
pub(super) fn count_end(inner: &Inner, id: OperationId, kind: Kind, bytes: u64, started_at: u64) {
    let before = inner.counted.lock().remove(&id).unwrap_or(started_at);
    let moved = bytes.saturating_sub(before);
    match kind {
        Kind::Download => record(inner, moved, 0),
        Kind::Upload => record(inner, 0, moved),
    }
}

/// Bytes downloaded and uploaded by running operations since the last call.
fn count_moved(inner: &Inner) -> (u64, u64) {
    let state = inner.lock();
    let mut counted = inner.counted.lock();
    counted.retain(|id, _| state.ops.get(id).is_some_and(|e| e.run.is_some()));
    let (mut downloaded, mut uploaded) = (0u64, 0u64);
    for (id, entry) in &state.ops {
        let Some(run) = &entry.run else { continue };
        let now = run.live.bytes();
        // First seen: count from where the run started.
        let before = counted.insert(*id, now).unwrap_or(entry.snapshot.bytes);
        // A restart from zero moves the count back: nothing to add.
        let moved = now.saturating_sub(before);
        match entry.snapshot.kind {
            Kind::Download => downloaded += moved,
            Kind::Upload => uploaded += moved,
        }
    }
    (downloaded, uploaded)
}

/// Write the month's metered traffic and the days' traffic if they changed.
pub(in super::super) async fn save_usage(inner: &Inner) {
    if let Some((month, bytes)) = inner.network.unsaved()
        && let Err(e) = inner.store.put_metered(month, bytes).await
    {
        tracing::warn!(error = %e, "cannot record the metered traffic");
    }
    let (days, first_kept) = inner.traffic.unsaved();
    if !days.is_empty()
        && let Err(e) = inner.store.put_traffic(days, first_kept).await
    {
        tracing::warn!(error = %e, "cannot record the traffic history");
    }
}
