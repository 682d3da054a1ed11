//! The parts of a segmented download and who works on each: which part a free
//! connection takes next, splitting a running part in two, and making way for a
//! reader that waits far ahead of every connection.
//!
//! A part's `written` bytes (from its start) are in the file; `reached` also counts
//! the bytes its connection gathered for the next write. Only `written` is ever
//! checkpointed.
//!
//! A connection asks for its part a bounded range at a time (`asked`: where its
//! request ends). A part is split beyond that end when it can: a server writes
//! ahead what was asked, and a request cut short closes its connection with
//! those bytes lost (on nginx at 60 MiB/s a connection, 2–3 MiB each time).

use std::time::{Duration, Instant};

use crate::engine::operation::Segment;

/// A running part is split only when this much or more is left of it: below,
/// a new request costs more than the wait for its connection to finish. Small,
/// so the last parts do not leave one connection working alone while the others
/// idle (at 10 MiB/s a connection, half a MiB is 50 ms).
pub(super) const MIN_STEAL: u64 = 512 << 10;
/// A file is cut into parts no smaller than this when the count is fixed.
const MIN_PART: u64 = 2 << 20;
/// A bounded request is cut only when its rest would take its connection
/// longer than this: a server writes ahead, so a cut loses what it sent.
const CUT_AFTER: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Slot {
    pub start: u64,
    pub end: u64,
    pub written: u64,
    pub reached: u64,
    pub busy: bool,
    /// Where the running request ends (`reached` when none runs).
    pub asked: u64,
    /// When the running request was asked and from where, if it is bounded
    /// (`None`: none runs, or it runs to the end of the file).
    pub request: Option<(Instant, u64)>,
    /// Its connection should leave it for a part a reader waits for.
    pub yield_now: bool,
}

impl Slot {
    fn new(start: u64, end: u64, written: u64, busy: bool) -> Self {
        Self {
            start,
            end,
            written,
            reached: start + written,
            asked: start + written,
            request: None,
            busy,
            yield_now: false,
        }
    }

    /// Bytes nobody has fetched yet.
    pub(super) fn left(&self) -> u64 {
        self.end.saturating_sub(self.reached)
    }

    /// What another connection could take of it: past its running request, or
    /// all it has left where cutting into the request pays (it runs to the end
    /// of the file, or its rest would take long at the speed it comes).
    fn stealable(&self, now: Instant) -> u64 {
        let beyond = self.end.saturating_sub(self.asked.max(self.reached));
        if beyond >= MIN_STEAL {
            return beyond;
        }
        let cut_pays = match self.request {
            None => true,
            Some((asked_at, from)) => {
                let came = self.reached.saturating_sub(from) as f64;
                let took = now.saturating_duration_since(asked_at).as_secs_f64();
                let rest = self.asked.min(self.end).saturating_sub(self.reached) as f64;
                // Unknown speed (nothing came yet): slow enough once it is late.
                came == 0.0 && took >= CUT_AFTER.as_secs_f64()
                    || came > 0.0 && rest * took / came > CUT_AFTER.as_secs_f64()
            }
        };
        if cut_pays { self.left() } else { 0 }
    }

    /// Where the next byte of this part goes when its connection starts again.
    pub(super) fn resume_at(&self) -> u64 {
        self.start + self.written
    }
}

/// Every part of one download.
#[derive(Debug, Default)]
pub(super) struct Slots {
    slots: Vec<Slot>,
}

impl Slots {
    pub(super) fn new(segments: &[Segment]) -> Self {
        Self {
            slots: segments
                .iter()
                .map(|s| Slot::new(s.start, s.end, s.done, false))
                .collect(),
        }
    }

    pub(super) fn get(&self, index: usize) -> &Slot {
        &self.slots[index]
    }

    pub(super) fn get_mut(&mut self, index: usize) -> &mut Slot {
        &mut self.slots[index]
    }

    /// What is safe to checkpoint: each part's written bytes.
    pub(super) fn segments(&self) -> Vec<Segment> {
        self.slots
            .iter()
            .map(|s| Segment {
                start: s.start,
                end: s.end,
                done: s.written,
            })
            .collect()
    }

    /// Where each connection is now: how far its part has been fetched (an
    /// offset in the file), for the parts a connection works on.
    pub(super) fn fetching(&self) -> Vec<u64> {
        self.slots
            .iter()
            .filter(|s| s.busy)
            .map(|s| s.reached)
            .collect()
    }

    /// Bytes of the file not written yet.
    pub(super) fn missing(&self) -> u64 {
        self.slots
            .iter()
            .map(|s| (s.end - s.start).saturating_sub(s.written))
            .sum()
    }

    /// Its connection stopped: what it gathered but did not write is fetched again.
    pub(super) fn release(&mut self, index: usize) {
        let slot = &mut self.slots[index];
        slot.busy = false;
        slot.yield_now = false;
        slot.reached = slot.resume_at();
        slot.asked = slot.reached;
        slot.request = None;
    }

    /// The part a free connection takes: the one a reader waits in, else the
    /// earliest nobody works on, else the second half of the running one with
    /// the most left.
    pub(super) fn claim(&mut self, wanted: Option<u64>) -> Option<usize> {
        let free = |s: &Slot| !s.busy && s.left() > 0;
        let waited_in = wanted.and_then(|at| {
            self.slots
                .iter()
                .position(|s| free(s) && s.resume_at() <= at && at < s.end)
        });
        let earliest = || {
            self.slots
                .iter()
                .enumerate()
                .filter(|(_, s)| free(s))
                .min_by_key(|(_, s)| s.start)
                .map(|(i, _)| i)
        };
        if let Some(index) = waited_in.or_else(earliest) {
            self.slots[index].busy = true;
            return Some(index);
        }
        let now = Instant::now();
        let (index, _) = self
            .slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.busy)
            .map(|(i, s)| (i, s.stealable(now)))
            .filter(|(_, stealable)| *stealable >= MIN_STEAL)
            .max_by_key(|(_, stealable)| *stealable)?;
        // Past the running request when enough is left there; else into it
        // (`stealable` said it pays), its connection losing what the server
        // sent ahead.
        let victim = &self.slots[index];
        let middle = victim.reached + victim.left() / 2;
        let at = if victim.end.saturating_sub(victim.asked) >= MIN_STEAL {
            middle.max(victim.asked)
        } else {
            middle
        };
        Some(self.split(index, at, true))
    }

    /// Cut part `index` at `at`; the new part (from `at` on) is returned.
    fn split(&mut self, index: usize, at: u64, busy: bool) -> usize {
        let victim = &mut self.slots[index];
        let end = victim.end;
        victim.end = at;
        self.slots.push(Slot::new(at, end, 0, busy));
        self.slots.len() - 1
    }

    /// A reader waits at `at`. Unless a connection will get there within
    /// `lookahead` bytes, make a free part start there and ask one connection to
    /// leave its part for it. Returns whether a connection was asked.
    pub(super) fn make_way(&mut self, at: u64, lookahead: u64) -> bool {
        let Some(index) = self.slots.iter().position(|s| s.start <= at && at < s.end) else {
            return false;
        };
        let slot = &self.slots[index];
        if at < slot.reached || (slot.busy && at - slot.reached <= lookahead) {
            return false;
        }
        if self.slots.iter().any(|s| s.yield_now) {
            return false; // one is already on its way
        }
        let waiting = if slot.busy {
            self.split(index, at, false)
        } else {
            index
        };
        // The connection whose bytes the reader needs last: one before the reader
        // (the most left), else the one furthest after it.
        let before = self
            .slots
            .iter()
            .enumerate()
            .filter(|(i, s)| s.busy && *i != waiting && s.start < at)
            .max_by_key(|(_, s)| s.left())
            .map(|(i, _)| i);
        let after = || {
            self.slots
                .iter()
                .enumerate()
                .filter(|(i, s)| s.busy && *i != waiting)
                .max_by_key(|(_, s)| s.start)
                .map(|(i, _)| i)
        };
        match before.or_else(after) {
            Some(leaving) => {
                self.slots[leaving].yield_now = true;
                true
            }
            None => false,
        }
    }
}

/// `total` bytes in `count` parts of nearly equal size (fewer for small files).
pub(crate) fn split(total: u64, count: usize) -> Vec<Segment> {
    let count = (count as u64).clamp(1, (total / MIN_PART).max(1));
    let size = total.div_ceil(count);
    (0..count)
        .map(|i| Segment {
            start: i * size,
            end: ((i + 1) * size).min(total),
            done: 0,
        })
        .filter(|s| s.start < s.end)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;

    fn segment(start: u64, end: u64, done: u64) -> Segment {
        Segment { start, end, done }
    }

    #[test]
    fn a_split_covers_the_file_once() {
        let parts = split(64 * MIB, 4);
        assert_eq!(parts.len(), 4);
        assert_eq!(parts[0].start, 0);
        assert_eq!(parts[3].end, 64 * MIB);
        for pair in parts.windows(2) {
            assert_eq!(pair[0].end, pair[1].start);
        }
        // Small files get fewer parts.
        assert_eq!(split(3 * MIB, 8).len(), 1);
        assert_eq!(split(4 * MIB + 1, 8).len(), 2);
    }

    #[test]
    fn free_parts_go_first_earliest_first_then_halves_of_the_largest() {
        let mut slots = Slots::new(&[segment(0, 10 * MIB, 0)]);
        assert_eq!(slots.claim(None), Some(0));
        // Nothing free: the second half of the running part.
        let second = slots.claim(None).unwrap();
        assert_eq!(slots.get(0).end, 5 * MIB);
        assert_eq!(
            (slots.get(second).start, slots.get(second).end),
            (5 * MIB, 10 * MIB)
        );
        // A released part comes back first, from what was written.
        slots.get_mut(0).written = MIB;
        slots.get_mut(0).reached = 2 * MIB;
        slots.release(0);
        assert_eq!(slots.get(0).reached, MIB);
        assert_eq!(slots.claim(None), Some(0));
        // Parts too small to split are left to their connection.
        let mut small = Slots::new(&[segment(0, MIN_STEAL - 1, 0)]);
        assert_eq!(small.claim(None), Some(0));
        assert_eq!(small.claim(None), None);
    }

    #[test]
    fn a_part_is_split_past_its_request_and_a_request_cut_only_when_slow() {
        let mut slots = Slots::new(&[segment(0, 16 * MIB, 0)]);
        assert_eq!(slots.claim(None), Some(0));
        let asked_at = Instant::now();
        {
            let slot = slots.get_mut(0);
            slot.asked = 12 * MIB;
            slot.request = Some((asked_at, 0));
            slot.reached = MIB;
        }
        // The middle of what is left falls inside the request: the cut is at
        // its end, the request untouched.
        let second = slots.claim(None).unwrap();
        assert_eq!(slots.get(0).end, 12 * MIB);
        assert_eq!(slots.get(second).start, 12 * MIB);
        // Nothing left past the request: a request that comes fast is left
        // alone (its rest takes a moment), one that crawls is cut.
        let mut slots = Slots::new(&[segment(0, 4 * MIB, 0)]);
        assert_eq!(slots.claim(None), Some(0));
        let long_ago = Instant::now() - Duration::from_secs(2);
        {
            let slot = slots.get_mut(0);
            slot.asked = 4 * MIB;
            slot.request = Some((Instant::now(), 0));
            slot.reached = MIB;
        }
        assert_eq!(slots.claim(None), None, "a fast request is not cut");
        slots.get_mut(0).request = Some((long_ago, 0));
        let second = slots.claim(None).expect("a slow request is cut");
        assert_eq!(slots.get(second).start, MIB + 3 * MIB / 2);
    }

    #[test]
    fn a_reader_far_ahead_gets_a_part_of_its_own() {
        let mut slots = Slots::new(&[segment(0, 16 * MIB, 0), segment(16 * MIB, 32 * MIB, 0)]);
        assert_eq!(slots.claim(None), Some(0));
        assert_eq!(slots.claim(None), Some(1));
        slots.get_mut(1).reached = 17 * MIB;
        // Close to a connection: nothing to do.
        assert!(!slots.make_way(18 * MIB, 2 * MIB));
        // Far ahead: the part is cut there, and a connection asked to come.
        assert!(slots.make_way(28 * MIB, 2 * MIB));
        assert_eq!(slots.get(1).end, 28 * MIB);
        assert!(
            slots.get(0).yield_now,
            "the part before the reader gives way"
        );
        assert!(!slots.make_way(28 * MIB, 2 * MIB), "asked once");
        slots.release(0);
        let taken = slots.claim(Some(28 * MIB)).unwrap();
        assert_eq!(slots.get(taken).start, 28 * MIB);
        assert_eq!(slots.get(taken).end, 32 * MIB);
        assert_eq!(slots.missing(), 32 * MIB);
    }
}
