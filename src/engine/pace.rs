//! Bandwidth limits: token buckets, one for everything the engine moves and one per
//! operation, changed live. A transfer takes tokens for the bytes it is about to
//! pass on and sleeps off any debt, so reading from (or writing to) the socket
//! slows down and TCP's flow control slows the other side.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

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

/// The buckets one operation's bytes go through: its own and the engine's.
#[derive(Clone, Debug)]
pub(super) struct Pace {
    own: Arc<Bucket>,
    global: Arc<Bucket>,
}

impl Pace {
    pub(super) fn new(own: Arc<Bucket>, global: Arc<Bucket>) -> Self {
        Self { own, global }
    }

    /// How many bytes to pass on at a time, at most `max`: about a tenth of a
    /// second's worth under a limit, so that slow transfers flow instead of lurching.
    pub(super) fn chunk(&self, max: usize) -> usize {
        let rate = match (self.own.rate(), self.global.rate()) {
            (Some(a), Some(b)) => a.min(b),
            (Some(r), None) | (None, Some(r)) => r,
            (None, None) => return max,
        };
        usize::try_from(rate / 10)
            .unwrap_or(max)
            .clamp(MIN_BURST_BYTES as usize, max.max(MIN_BURST_BYTES as usize))
    }

    /// Wait until `bytes` may pass under both limits.
    pub(super) async fn take(&self, bytes: u64) {
        let wait = self.own.debit(bytes).max(self.global.debit(bytes));
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
