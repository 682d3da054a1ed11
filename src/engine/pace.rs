//! Bandwidth limits: token buckets, one for everything the engine moves, one per
//! operation, and one per part of the transfers a schedule limits (a group, a
//! kind of file, a policy: its transfers share it), changed live. A transfer
//! takes tokens for the bytes it is about to pass on and sleeps off any debt, so
//! reading from (or writing to) the socket slows down and TCP's flow control
//! slows the other side.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use super::schedule::{Facts, Scope};

/// How long a bucket may save up: a short burst after an idle moment, no more.
const BURST: Duration = Duration::from_millis(100);
/// The smallest burst, so that small limits still let a socket read through.
const MIN_BURST_BYTES: f64 = 16.0 * 1024.0;

#[derive(Debug)]
pub(super) struct Bucket {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// Bytes per second; `None`: unlimited.
    rate: Option<u64>,
    /// Tokens in hand; negative while in debt.
    tokens: f64,
    refilled: Instant,
}

impl Bucket {
    pub(super) fn new(rate: Option<u64>) -> Self {
        Self {
            state: Mutex::new(State {
                rate: rate.filter(|r| *r > 0),
                tokens: 0.0,
                refilled: Instant::now(),
            }),
        }
    }

    pub(super) fn rate(&self) -> Option<u64> {
        self.lock().rate
    }

    /// A new limit, from now on (`None` or 0: unlimited).
    pub(super) fn set_rate(&self, rate: Option<u64>) {
        let mut state = self.lock();
        state.rate = rate.filter(|r| *r > 0);
        state.tokens = state.tokens.max(0.0);
        state.refilled = Instant::now();
    }

    /// Account for `bytes` and say how long to wait before passing them on.
    fn debit(&self, bytes: u64) -> Duration {
        let mut state = self.lock();
        let Some(rate) = state.rate else {
            return Duration::ZERO;
        };
        let rate = rate as f64;
        let now = Instant::now();
        let burst = (rate * BURST.as_secs_f64()).max(MIN_BURST_BYTES);
        let earned = now.duration_since(state.refilled).as_secs_f64() * rate;
        state.tokens = (state.tokens + earned).min(burst);
        state.refilled = now;
        state.tokens -= bytes as f64;
        if state.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-state.tokens / rate)
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The shared buckets of the schedule's limits for part of the transfers, one
/// per scope a limit rule names (kept while the engine runs: a run holds its
/// scopes' buckets, and a scope's window opens and closes by the hour).
#[derive(Debug, Default)]
pub(super) struct ScopedLimits {
    buckets: Mutex<HashMap<Scope, Arc<Bucket>>>,
}

impl ScopedLimits {
    /// The rates in force now, for every scope a limit rule names; the scopes
    /// no rule names any more go unlimited.
    pub(super) fn apply(&self, limits: &[(Scope, Option<u64>)]) {
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        for (scope, bucket) in buckets.iter() {
            if !limits.iter().any(|(s, _)| s == scope) && bucket.rate().is_some() {
                bucket.set_rate(None);
            }
        }
        for (scope, rate) in limits {
            let bucket = buckets
                .entry(scope.clone())
                .or_insert_with(|| Arc::new(Bucket::new(None)));
            if bucket.rate() != *rate {
                tracing::info!(?scope, limit = ?rate, "a schedule's limit for part of the transfers");
                bucket.set_rate(*rate);
            }
        }
    }

    /// The buckets of the scopes a transfer with `facts` is in.
    pub(super) fn for_facts(&self, facts: &Facts<'_>) -> Vec<Arc<Bucket>> {
        self.buckets
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter(|(scope, _)| scope.holds(facts))
            .map(|(_, bucket)| Arc::clone(bucket))
            .collect()
    }
}

/// The buckets a run's scopes share, replaced when the schedule changes.
pub(super) type ScopedBuckets = Arc<RwLock<Vec<Arc<Bucket>>>>;

/// The buckets one operation's bytes go through: its own, the engine's, and
/// those of the schedule's scopes it is in.
#[derive(Clone, Debug)]
pub(super) struct Pace {
    own: Arc<Bucket>,
    global: Arc<Bucket>,
    scoped: ScopedBuckets,
}

impl Pace {
    pub(super) fn new(own: Arc<Bucket>, global: Arc<Bucket>, scoped: ScopedBuckets) -> Self {
        Self {
            own,
            global,
            scoped,
        }
    }

    fn scoped(&self) -> std::sync::RwLockReadGuard<'_, Vec<Arc<Bucket>>> {
        self.scoped.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// How many bytes to pass on at a time, at most `max`: about a tenth of a
    /// second's worth under a limit, so that slow transfers flow instead of lurching.
    pub(super) fn chunk(&self, max: usize) -> usize {
        let rate = [self.own.rate(), self.global.rate()]
            .into_iter()
            .chain(self.scoped().iter().map(|b| b.rate()))
            .flatten()
            .min();
        let Some(rate) = rate else {
            return max;
        };
        usize::try_from(rate / 10)
            .unwrap_or(max)
            .clamp(MIN_BURST_BYTES as usize, max.max(MIN_BURST_BYTES as usize))
    }

    /// Wait until `bytes` may pass under every limit.
    pub(super) async fn take(&self, bytes: u64) {
        let mut wait = self.own.debit(bytes).max(self.global.debit(bytes));
        for bucket in self.scoped().iter() {
            wait = wait.max(bucket.debit(bytes));
        }
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debt_turns_into_waiting_at_the_rate() {
        let bucket = Bucket::new(Some(1_000_000));
        // A new bucket has nothing in hand.
        let wait = bucket.debit(1_000_000);
        assert!(
            (0.99..=1.01).contains(&wait.as_secs_f64()),
            "{wait:?} for 1 MB at 1 MB/s"
        );
        bucket.set_rate(None);
        assert_eq!(bucket.debit(u64::MAX / 2), Duration::ZERO);
    }
}
