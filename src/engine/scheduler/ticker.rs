//! Progress of running operations, published a few times a second, and the bytes
//! they move counted against a metered network's budget.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::super::Inner;
use super::super::event::Event;
use super::super::operation::OperationId;
use super::super::progress::Sampler;
use super::super::time;

/// Publish progress of running operations a few times a second, and count the
/// bytes they move while the network is metered.
pub(super) async fn tick_loop(inner: Arc<Inner>, mut shutdown: watch::Receiver<bool>) {
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
pub(in super::super) async fn save_usage(inner: &Inner) {
    if let Some((month, bytes)) = inner.network.unsaved()
        && let Err(e) = inner.store.put_metered(month, bytes).await
    {
        tracing::warn!(error = %e, "cannot record the metered traffic");
    }
}
