//! Live progress: transfer tasks count bytes in atomics; one ticker turns the counts
//! into speeds and throttled `Progress` events, so a fast transfer never sends one
//! message per chunk.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::operation::OperationId;

const UNKNOWN: u64 = u64::MAX;
/// Speed is averaged over this window: steady enough to read, quick to follow changes.
const SPEED_WINDOW: Duration = Duration::from_secs(3);

/// Counters of one running operation, written by its transfer task.
#[derive(Debug)]
pub(super) struct Live {
    bytes: AtomicU64,
    total: AtomicU64,
    speed_bits: AtomicU64,
    /// Where a reader waits for bytes (`UNKNOWN`: none waits).
    wanted: AtomicU64,
}

impl Live {
    pub(super) fn new(bytes: u64, total: Option<u64>) -> Self {
        Self {
            bytes: AtomicU64::new(bytes),
            total: AtomicU64::new(total.unwrap_or(UNKNOWN)),
            speed_bits: AtomicU64::new(0f64.to_bits()),
            wanted: AtomicU64::new(UNKNOWN),
        }
    }

    pub(super) fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    pub(super) fn set_bytes(&self, bytes: u64) {
        self.bytes.store(bytes, Ordering::Relaxed);
    }

    pub(super) fn add_bytes(&self, n: u64) {
        self.bytes.fetch_add(n, Ordering::Relaxed);
    }

    pub(super) fn total(&self) -> Option<u64> {
        match self.total.load(Ordering::Relaxed) {
            UNKNOWN => None,
            total => Some(total),
        }
    }

    pub(super) fn set_total(&self, total: Option<u64>) {
        self.total
            .store(total.unwrap_or(UNKNOWN), Ordering::Relaxed);
    }

    /// A reader waits for the bytes at this offset (`None`: it no longer waits).
    pub(super) fn set_wanted(&self, offset: Option<u64>) {
        self.wanted
            .store(offset.unwrap_or(UNKNOWN), Ordering::Relaxed);
    }

    /// Where a reader waits, if one does.
    pub(super) fn wanted(&self) -> Option<u64> {
        match self.wanted.load(Ordering::Relaxed) {
            UNKNOWN => None,
            offset => Some(offset),
        }
    }

    /// Bytes per second, as the ticker last measured it.
    pub(super) fn speed(&self) -> f64 {
        f64::from_bits(self.speed_bits.load(Ordering::Relaxed))
    }

    fn set_speed(&self, speed: f64) {
        self.speed_bits.store(speed.to_bits(), Ordering::Relaxed);
    }

    /// Seconds left at the current speed, when both the total and a speed are known.
    pub(super) fn eta_secs(&self) -> Option<u64> {
        eta_secs(self.bytes(), self.total(), self.speed())
    }
}

pub(super) fn eta_secs(bytes: u64, total: Option<u64>, speed: f64) -> Option<u64> {
    let remaining = total?.saturating_sub(bytes);
    (speed >= 1.0).then(|| (remaining as f64 / speed).ceil() as u64)
}

/// What the ticker remembers of each operation between ticks.
#[derive(Debug, Default)]
pub(super) struct Sampler {
    samples: HashMap<OperationId, Samples>,
}

#[derive(Debug, Default)]
struct Samples {
    points: VecDeque<(Instant, u64)>,
    /// Bytes, total and speed as last published.
    published: Option<(u64, Option<u64>, f64)>,
}

impl Sampler {
    /// Record `live`'s count at `now`, update its speed, and say whether anything
    /// worth publishing changed since the last time it was published.
    pub(super) fn observe(&mut self, id: OperationId, live: &Live, now: Instant) -> bool {
        let entry = self.samples.entry(id).or_default();
        let bytes = live.bytes();
        entry.points.push_back((now, bytes));
        while entry
            .points
            .front()
            .is_some_and(|(t, _)| now.duration_since(*t) > SPEED_WINDOW)
        {
            entry.points.pop_front();
        }
        let (t0, b0) = entry.points.front().copied().unwrap_or((now, bytes));
        let elapsed = now.duration_since(t0).as_secs_f64();
        // A restart from zero makes the count go down: no speed until it climbs again.
        let speed = if elapsed > 0.0 && bytes >= b0 {
            (bytes - b0) as f64 / elapsed
        } else {
            0.0
        };
        live.set_speed(speed);
        let current = (bytes, live.total(), speed);
        let changed = entry.published != Some(current);
        if changed {
            entry.published = Some(current);
        }
        changed
    }

    /// Forget operations that are no longer running.
    pub(super) fn retain(&mut self, running: impl Fn(&OperationId) -> bool) {
        self.samples.retain(|id, _| running(id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speed_is_bytes_over_the_window() {
        let live = Live::new(0, Some(10_000));
        let mut sampler = Sampler::default();
        let id = OperationId::new();
        let t0 = Instant::now();
        assert!(sampler.observe(id, &live, t0));
        live.add_bytes(1000);
        assert!(sampler.observe(id, &live, t0 + Duration::from_secs(1)));
        assert!((live.speed() - 1000.0).abs() < 1e-6);
        assert_eq!(live.eta_secs(), Some(9));
        // Nothing moved for longer than the window: speed falls to zero once, then quiet.
        assert!(sampler.observe(id, &live, t0 + Duration::from_secs(5)));
        assert_eq!(live.speed(), 0.0);
        assert!(!sampler.observe(id, &live, t0 + Duration::from_secs(9)));
    }

    #[test]
    fn eta_needs_a_total_and_a_speed() {
        assert_eq!(eta_secs(5, None, 10.0), None);
        assert_eq!(eta_secs(5, Some(10), 0.0), None);
        assert_eq!(eta_secs(5, Some(10), 2.0), Some(3));
    }
}
