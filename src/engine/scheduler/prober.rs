//! Operations waiting for a lost network: checked with a growing delay, queued
//! again when their server answers.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::super::Inner;
use super::super::operation::{OperationId, Status};
use super::super::options::MAX_PROBE_INTERVAL;
use super::super::probe::{self, Reach};
use super::attempt::PROBE_TIMEOUT;

/// Check, with a growing delay, whether operations waiting for a lost network can
/// reach their servers again; queue those that can. Nothing is checked while the
/// system says it is offline; everything is checked at once when it comes back.
pub(super) async fn probe_loop(inner: Arc<Inner>, mut shutdown: watch::Receiver<bool>) {
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
