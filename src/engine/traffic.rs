//! Traffic history (F27): the bytes transfers moved each day, downloaded and
//! uploaded, on metered networks and not; kept a year in the store. Days are
//! the local calendar's (the engine's clock).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// One day's bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayTraffic {
    /// The day, as `yyyymmdd`.
    pub day: u32,
    pub downloaded: u64,
    pub uploaded: u64,
    /// Of those, what moved while the network was metered.
    pub downloaded_metered: u64,
    pub uploaded_metered: u64,
}

impl DayTraffic {
    pub fn total(&self) -> u64 {
        self.downloaded.saturating_add(self.uploaded)
    }

    pub fn metered(&self) -> u64 {
        self.downloaded_metered
            .saturating_add(self.uploaded_metered)
    }

    /// The day as a date (`None` for a number that is not one).
    pub fn date(&self) -> Option<jiff::civil::Date> {
        let year = i16::try_from(self.day / 10_000).ok()?;
        let month = i8::try_from(self.day / 100 % 100).ok()?;
        let day = i8::try_from(self.day % 100).ok()?;
        jiff::civil::Date::new(year, month, day).ok()
    }
}

/// A year of days, as `yyyymmdd` numbers go: the same date a year before.
const KEPT: u32 = 10_000;

/// The days counted, and those changed since they were last written.
#[derive(Debug, Default)]
pub(super) struct Traffic {
    days: Mutex<(BTreeMap<u32, DayTraffic>, BTreeSet<u32>)>,
}

impl Traffic {
    pub(super) fn new(loaded: Vec<DayTraffic>) -> Self {
        let days = loaded.into_iter().map(|d| (d.day, d)).collect();
        Self {
            days: Mutex::new((days, BTreeSet::new())),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (BTreeMap<u32, DayTraffic>, BTreeSet<u32>)> {
        self.days
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Count what moved on `day`; days older than a year before it go.
    pub(super) fn add(&self, day: u32, downloaded: u64, uploaded: u64, metered: bool) {
        if downloaded == 0 && uploaded == 0 {
            return;
        }
        let mut guard = self.lock();
        let (days, unsaved) = &mut *guard;
        let counts = days.entry(day).or_insert(DayTraffic {
            day,
            ..DayTraffic::default()
        });
        counts.downloaded = counts.downloaded.saturating_add(downloaded);
        counts.uploaded = counts.uploaded.saturating_add(uploaded);
        if metered {
            counts.downloaded_metered = counts.downloaded_metered.saturating_add(downloaded);
            counts.uploaded_metered = counts.uploaded_metered.saturating_add(uploaded);
        }
        unsaved.insert(day);
        days.retain(|d, _| *d + KEPT > day);
    }

    /// Every day counted, oldest first.
    pub(super) fn days(&self) -> Vec<DayTraffic> {
        self.lock().0.values().copied().collect()
    }

    /// The days to write (taken once), and the first day kept.
    pub(super) fn unsaved(&self) -> (Vec<DayTraffic>, Option<u32>) {
        let mut guard = self.lock();
        let (days, unsaved) = &mut *guard;
        let changed = std::mem::take(unsaved)
            .into_iter()
            .filter_map(|d| days.get(&d).copied())
            .collect();
        (changed, days.keys().next().copied())
    }
}

/// `yyyymmdd` of a date.
pub(super) fn day_number(date: jiff::civil::Date) -> u32 {
    let year = u32::try_from(date.year()).unwrap_or(0);
    let month = u32::try_from(date.month()).unwrap_or(0);
    let day = u32::try_from(date.day()).unwrap_or(0);
    year * 10_000 + month * 100 + day
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_add_up_split_by_direction_and_network_and_last_a_year() {
        let traffic = Traffic::default();
        traffic.add(20_260_505, 100, 0, false);
        traffic.add(20_260_505, 50, 7, true);
        traffic.add(20_260_506, 0, 0, true);
        let days = traffic.days();
        assert_eq!(days.len(), 1, "a day with nothing moved is not a day");
        assert_eq!(
            days[0],
            DayTraffic {
                day: 20_260_505,
                downloaded: 150,
                uploaded: 7,
                downloaded_metered: 50,
                uploaded_metered: 7,
            }
        );
        let (unsaved, _) = traffic.unsaved();
        assert_eq!(unsaved.len(), 1);
        assert!(traffic.unsaved().0.is_empty(), "taken once");
        traffic.add(20_270_505, 1, 0, false);
        assert_eq!(traffic.days().len(), 1, "a year later the old day is gone");
        assert_eq!(traffic.unsaved().1, Some(20_270_505));
        let date = jiff::civil::date(2026, 12, 6);
        assert_eq!(day_number(date), 20_261_206);
        assert_eq!(days[0].date(), Some(jiff::civil::date(2026, 5, 5)));
        let odd = DayTraffic {
            day: 20_261_340,
            ..DayTraffic::default()
        };
        assert_eq!(odd.date(), None, "no 40th of the 13th month");
    }
}
