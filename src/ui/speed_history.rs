//! Each transfer's speed over the last two minutes, from the engine's progress
//! events, for the graph in details: the fastest speed seen in each 2-second
//! slot (the events come a few times a second; the slot keeps its peak so a
//! short burst still shows).

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use ferry::engine::OperationId;

/// How far back the graph goes, and the width of one bar.
pub const SPAN: Duration = Duration::from_secs(120);
pub const SLOT: Duration = Duration::from_secs(2);
/// Bars in the graph.
pub const SLOTS: usize = (SPAN.as_secs() / SLOT.as_secs()) as usize;

#[derive(Debug)]
pub struct SpeedHistory {
    start: Instant,
    /// For each transfer heard from: (slot number, peak bytes per second).
    speeds: HashMap<OperationId, VecDeque<(u64, f32)>>,
}

impl Default for SpeedHistory {
    fn default() -> Self {
        Self::new(Instant::now())
    }
}

impl SpeedHistory {
    pub fn new(start: Instant) -> Self {
        Self {
            start,
            speeds: HashMap::new(),
        }
    }

    fn slot(&self, at: Instant) -> u64 {
        (at.saturating_duration_since(self.start).as_millis() / SLOT.as_millis()) as u64
    }

    /// `id` moved at `speed` bytes per second at `at`.
    pub fn record(&mut self, id: OperationId, speed: f64, at: Instant) {
        let slot = self.slot(at);
        let samples = self.speeds.entry(id).or_default();
        let speed = speed.max(0.0) as f32;
        match samples.back_mut() {
            Some((last, peak)) if *last == slot => *peak = peak.max(speed),
            _ => samples.push_back((slot, speed)),
        }
        let oldest = slot.saturating_sub(SLOTS as u64 - 1);
        while samples.front().is_some_and(|(s, _)| *s < oldest) {
            samples.pop_front();
        }
    }

    /// The transfer is gone from the list.
    pub fn forget(&mut self, id: OperationId) {
        self.speeds.remove(&id);
    }

    /// [`SLOTS`] speeds, oldest first, the last one the slot of `now`; zero
    /// where nothing was heard.
    pub fn bars(&self, id: OperationId, now: Instant) -> Vec<f64> {
        let mut bars = vec![0.0; SLOTS];
        let newest = self.slot(now);
        for (slot, peak) in self.speeds.get(&id).into_iter().flatten() {
            let age = newest.saturating_sub(*slot) as usize;
            if *slot <= newest && age < SLOTS {
                bars[SLOTS - 1 - age] = f64::from(*peak);
            }
        }
        bars
    }

    /// Transfers with a history (for the memory test of a long list).
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.speeds.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_slot_keeps_its_peak_and_old_slots_fall_off() {
        let start = Instant::now();
        let mut history = SpeedHistory::new(start);
        let id = OperationId::new();
        let at = |ms: u64| start + Duration::from_millis(ms);
        history.record(id, 100.0, at(0));
        history.record(id, 300.0, at(500));
        history.record(id, 200.0, at(1_900));
        history.record(id, 50.0, at(2_100));
        let bars = history.bars(id, at(2_500));
        assert_eq!(bars.len(), SLOTS);
        assert_eq!(&bars[SLOTS - 2..], &[300.0, 50.0]);
        assert!(bars[..SLOTS - 2].iter().all(|b| *b == 0.0));
        // Two minutes later the first slots have left the graph.
        history.record(id, 70.0, at(121_000));
        let bars = history.bars(id, at(121_000));
        assert_eq!(bars[SLOTS - 1], 70.0);
        assert_eq!(bars.iter().filter(|b| **b > 0.0).count(), 2, "{bars:?}");
        assert_eq!(bars[0], 50.0, "the slot of 2.1 s is the oldest kept");
        // Nothing heard lately: the graph runs on with zeros.
        let later = history.bars(id, at(250_000));
        assert!(later.iter().all(|b| *b == 0.0));
        history.forget(id);
        assert_eq!(history.len(), 0);
        assert!(history.bars(id, at(0)).iter().all(|b| *b == 0.0));
    }
}
