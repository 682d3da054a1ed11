//! The network state the scheduler obeys: the monitor's conditions plus the data
//! budget, which Ferry counts itself because the system does not know it.

use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use super::policy::{Conditions, DataLimit, NetworkState};
use super::time::Millis;

/// The month's metered traffic against the budget, for `ferry status` and settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataUsage {
    /// The calendar month counted (UTC), as `yyyymm`.
    pub month: u64,
    /// Bytes moved while the network was metered.
    pub bytes: u64,
    pub budget: Option<u64>,
}

#[derive(Debug)]
pub(super) struct Network {
    state: watch::Sender<NetworkState>,
    tracked: Mutex<Tracked>,
}

#[derive(Debug)]
struct Tracked {
    conditions: Conditions,
    usage: DataUsage,
    /// The byte count last written to the store.
    saved: Option<(u64, u64)>,
}

impl Network {
    /// Start from the stored count (`yyyymm`, bytes), if any.
    pub(super) fn new(stored: Option<(u64, u64)>, budget: Option<u64>, now: Millis) -> Self {
        let month = month_of(now);
        let bytes = match stored {
            Some((stored_month, bytes)) if stored_month == month => bytes,
            _ => 0,
        };
        let tracked = Tracked {
            conditions: Conditions::default(),
            usage: DataUsage {
                month,
                bytes,
                budget,
            },
            saved: stored,
        };
        Self {
            state: watch::Sender::new(tracked.state()),
            tracked: Mutex::new(tracked),
        }
    }

    pub(super) fn state(&self) -> NetworkState {
        *self.state.borrow()
    }

    pub(super) fn subscribe(&self) -> watch::Receiver<NetworkState> {
        self.state.subscribe()
    }

    pub(super) fn usage(&self) -> DataUsage {
        self.lock().usage
    }

    /// Apply new conditions; the new state when it changed.
    pub(super) fn set_conditions(&self, conditions: Conditions) -> Option<NetworkState> {
        self.update(|t| t.conditions = conditions)
    }

    pub(super) fn set_budget(&self, budget: Option<u64>) -> Option<NetworkState> {
        self.update(|t| t.usage.budget = budget)
    }

    /// Count `bytes` moved just now, if the network is metered; a new month starts
    /// from zero.
    pub(super) fn count(&self, bytes: u64, now: Millis) -> Option<NetworkState> {
        self.update(|t| {
            let month = month_of(now);
            if t.usage.month != month {
                t.usage.month = month;
                t.usage.bytes = 0;
            }
            if t.conditions.metered {
                t.usage.bytes = t.usage.bytes.saturating_add(bytes);
            }
        })
    }

    /// The count to write to the store, when it changed since it was last written.
    pub(super) fn unsaved(&self) -> Option<(u64, u64)> {
        let mut tracked = self.lock();
        let current = (tracked.usage.month, tracked.usage.bytes);
        (tracked.saved != Some(current)).then(|| {
            tracked.saved = Some(current);
            current
        })
    }

    fn update(&self, change: impl FnOnce(&mut Tracked)) -> Option<NetworkState> {
        let mut tracked = self.lock();
        change(&mut tracked);
        let state = tracked.state();
        // Sent under the lock, so two updates cannot reach watchers out of order.
        let changed = self.state.send_if_modified(|current| {
            let changed = *current != state;
            *current = state;
            changed
        });
        changed.then_some(state)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Tracked> {
        self.tracked
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Tracked {
    fn state(&self) -> NetworkState {
        NetworkState {
            conditions: self.conditions,
            data_limit: DataLimit::of(self.usage.bytes, self.usage.budget),
        }
    }
}

/// The calendar month (UTC) of a time, as `yyyymm`.
pub(super) fn month_of(millis: Millis) -> u64 {
    let (year, month, _) = super::time::utc_date(millis);
    u64::try_from(year).unwrap_or(0) * 100 + u64::from(month)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: Millis = 86_400_000;

    #[test]
    fn months_are_calendar_months() {
        assert_eq!(month_of(0), 197_001);
        // 2026-11-24, and the last day of February in a leap year.
        assert_eq!(month_of(20_781 * DAY), 202_611);
        assert_eq!(month_of(19_782 * DAY), 202_402);
        assert_eq!(month_of(19_783 * DAY), 202_403);
    }

    #[test]
    fn only_metered_bytes_count_and_a_new_month_starts_at_zero() {
        let now = 20_781 * DAY;
        let network = Network::new(Some((month_of(now), 800)), Some(1000), now);
        assert_eq!(network.usage().bytes, 800);
        assert_eq!(network.count(500, now), None, "unmetered: not counted");
        let metered = Conditions {
            metered: true,
            ..Conditions::default()
        };
        assert!(network.set_conditions(metered).is_some());
        let state = network.count(100, now).expect("the limit is approached");
        assert_eq!(state.data_limit, DataLimit::Approaching);
        assert_eq!(network.count(100, now).unwrap().data_limit, DataLimit::Over);
        assert_eq!(network.unsaved(), Some((202_611, 1000)));
        assert_eq!(network.unsaved(), None);
        let next_month = now + 10 * DAY;
        assert_eq!(
            network.count(1, next_month).unwrap().data_limit,
            DataLimit::Under
        );
        assert_eq!(network.usage().bytes, 1);
    }

    #[test]
    fn a_stored_count_from_another_month_is_not_carried_over() {
        let now = 20_781 * DAY;
        let network = Network::new(Some((202_610, 5000)), Some(1000), now);
        assert_eq!(network.usage().bytes, 0);
        assert_eq!(network.state().data_limit, DataLimit::Under);
    }
}
