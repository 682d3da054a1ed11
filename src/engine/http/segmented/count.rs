//! How many connections a segmented download uses. A fixed count is what the user
//! asked. Otherwise the count is found by measuring: start with one, double while
//! the total throughput rises with it (quadruple while it rises nearly in
//! proportion), and when a step brings too little, try halfway back once, then
//! keep the last count that paid — on loopback one connection is fastest, a
//! server that holds each connection to a rate wants many.
//!
//! The count only changes between measurements taken with every connection
//! receiving, after a moment to settle (a new connection starts slowly), so a
//! connection being set up or finishing its part is never judged. A measurement
//! lasts until it has seen enough bytes (or long enough, on a slow link) to tell a
//! real gain from the noise of a lossy link. A count given up for bringing too
//! little is tried again later: conditions change, and one noisy measurement
//! should not decide a long download.

use std::time::{Duration, Instant};

/// Time given to new connections before measuring.
const SETTLE: Duration = Duration::from_millis(150);
/// A measurement lasts at least this long and until it saw `WINDOW_BYTES`, or
/// at most `MAX_WINDOW`.
const MIN_WINDOW: Duration = Duration::from_millis(250);
const WINDOW_BYTES: u64 = 4 << 20;
const MAX_WINDOW: Duration = Duration::from_secs(3);
/// After going back for lack of gain, try more again this much later.
const REPROBE: Duration = Duration::from_secs(30);
/// The share of the ideal gain a step must bring to be kept: doubling the
/// connections must bring 1.25 times the throughput.
const MIN_GAIN_SHARE: f64 = 0.25;
/// A step that brought this share of the ideal gain or more is followed by a
/// bigger one.
const FAST_GAIN_SHARE: f64 = 0.75;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Exactly this many (as the host accepts).
    Fixed(usize),
    /// Found by measuring, never more than this.
    Adaptive { ceiling: usize },
}

/// The count, and the measurement that will decide the next.
#[derive(Debug)]
pub(crate) struct Count {
    target: usize,
    ceiling: usize,
    settled: bool,
    /// The count before the last step, and the throughput it gave.
    before: Option<(usize, f64)>,
    /// A step that could not be taken (the host had no connection to spare):
    /// try it again after the next measurement rather than judge it.
    blocked: bool,
    /// Trying halfway back after a step too far: whatever it shows is final.
    narrowing: bool,
    window: Option<Window>,
    /// When to try more connections again after a step that did not pay.
    reprobe_at: Option<Instant>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    from: Instant,
    bytes: u64,
    measuring: bool,
}

impl Count {
    /// `running`: connections already at work when the run starts.
    pub(crate) fn new(mode: Mode, running: usize) -> Self {
        match mode {
            Mode::Fixed(count) => Self {
                target: count.max(1),
                ceiling: count.max(1),
                settled: true,
                before: None,
                blocked: false,
                narrowing: false,
                window: None,
                reprobe_at: None,
            },
            Mode::Adaptive { ceiling } => Self {
                target: running.clamp(1, ceiling.max(1)),
                ceiling: ceiling.max(1),
                settled: ceiling <= 1,
                before: None,
                blocked: false,
                narrowing: false,
                window: None,
                reprobe_at: None,
            },
        }
    }

    /// Connections wanted now.
    pub(crate) fn target(&self) -> usize {
        self.target
    }

    /// Look at the download: `bytes` received so far, `receiving` connections
    /// receiving a body now. Returns a new count when it is time to change.
    pub(crate) fn observe(&mut self, now: Instant, bytes: u64, receiving: usize) -> Option<usize> {
        if self.reprobe_at.is_some_and(|at| now >= at) {
            self.reprobe_at = None;
            self.settled = false;
            self.before = None;
            self.narrowing = false;
        }
        if self.settled {
            return None;
        }
        if receiving < self.target {
            self.window = None;
            return None;
        }
        let window = self.window.get_or_insert(Window {
            from: now,
            bytes,
            measuring: false,
        });
        let elapsed = now.saturating_duration_since(window.from);
        if !window.measuring {
            if elapsed >= SETTLE {
                *window = Window {
                    from: now,
                    bytes,
                    measuring: true,
                };
            }
            return None;
        }
        let seen = bytes.saturating_sub(window.bytes);
        if elapsed < MIN_WINDOW || (seen < WINDOW_BYTES && elapsed < MAX_WINDOW) {
            return None;
        }
        let speed = seen as f64 / elapsed.as_secs_f64();
        self.window = None;
        self.judge(now, speed)
    }

    fn judge(&mut self, now: Instant, speed: f64) -> Option<usize> {
        if self.blocked {
            self.blocked = false;
            return self.grow(false);
        }
        let Some((count, before)) = self.before else {
            self.before = Some((self.target, speed));
            return self.grow(false);
        };
        let ideal = self.target as f64 / count as f64 - 1.0;
        let pays = speed >= before * (1.0 + MIN_GAIN_SHARE * ideal);
        if self.narrowing {
            self.narrowing = false;
            let keep = if pays { self.target } else { count };
            return self.settle(now, keep);
        }
        if !pays {
            tracing::debug!(
                from = count,
                to = self.target,
                speed,
                before,
                "more connections brought too little"
            );
            let halfway = (count + self.target) / 2;
            if halfway > count {
                self.narrowing = true;
                self.target = halfway;
                return Some(halfway);
            }
            return self.settle(now, count);
        }
        let fast = speed >= before * (1.0 + FAST_GAIN_SHARE * ideal);
        self.before = Some((self.target, speed));
        self.grow(fast)
    }

    /// Stay at `count`; try more again some time later.
    fn settle(&mut self, now: Instant, count: usize) -> Option<usize> {
        self.settled = true;
        self.reprobe_at = Some(now + REPROBE);
        let changed = count != self.target;
        self.target = count;
        changed.then_some(count)
    }

    fn grow(&mut self, fast: bool) -> Option<usize> {
        if self.target >= self.ceiling {
            self.settled = true;
            return None;
        }
        let factor = if fast { 4 } else { 2 };
        self.target = (self.target * factor).min(self.ceiling);
        Some(self.target)
    }

    /// After a step up, the connections the host actually gave.
    pub(crate) fn reached(&mut self, count: usize) {
        let count = count.max(1);
        if count < self.target {
            if self.before.is_some_and(|(before, _)| count <= before) {
                // Nothing gained: the measurement at the old count still stands.
                self.blocked = true;
            }
            self.target = count;
        }
    }

    /// The host turned a connection away while `working` others worked: that many
    /// at most, for good.
    pub(crate) fn refused(&mut self, working: usize) {
        self.ceiling = working.max(1);
        self.target = self.target.min(self.ceiling);
        self.settled = true;
        self.reprobe_at = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: f64 = 1024.0 * 1024.0;

    /// Drive `count` against a server whose throughput for n connections is
    /// `speed(n)`, until it settles; the counts it went through.
    fn settle(count: &mut Count, speed: impl Fn(usize) -> f64) -> Vec<usize> {
        let mut now = Instant::now();
        let mut bytes = 0.0;
        let mut seen = vec![count.target()];
        for _ in 0..400 {
            let step = Duration::from_millis(50);
            now += step;
            bytes += speed(count.target()) * step.as_secs_f64();
            let receiving = count.target();
            if let Some(next) = count.observe(now, bytes as u64, receiving) {
                seen.push(next);
            }
            if count.settled {
                break;
            }
        }
        seen
    }

    #[test]
    fn a_server_that_holds_each_connection_gets_the_ceiling() {
        let mut count = Count::new(Mode::Adaptive { ceiling: 8 }, 1);
        let seen = settle(&mut count, |n| n as f64 * 20.0 * MIB);
        // Twice the speed with two: the next step is bigger.
        assert_eq!(seen, vec![1, 2, 8]);
        assert!(count.settled);
    }

    #[test]
    fn where_one_connection_is_as_fast_it_goes_back_to_one() {
        let mut count = Count::new(Mode::Adaptive { ceiling: 8 }, 1);
        let seen = settle(&mut count, |n| if n == 1 { 600.0 } else { 450.0 } * MIB);
        assert_eq!(seen, vec![1, 2, 1]);
        assert_eq!(count.target(), 1);
    }

    #[test]
    fn it_stops_where_the_gain_stops() {
        // The server serves 3 connections' worth at most.
        let mut count = Count::new(Mode::Adaptive { ceiling: 16 }, 1);
        let seen = settle(&mut count, |n| n.min(3) as f64 * 10.0 * MIB);
        // 1 → 2 doubles, so 2 → 8; that brings 1.5× for 4× the connections: too
        // little, halfway back (5) keeps the 1.5×.
        assert_eq!(seen, vec![1, 2, 8, 5]);
        assert_eq!(count.target(), 5);
        // A server with room for 4 only at 2.5× of one, at 8 no better.
        let mut count = Count::new(Mode::Adaptive { ceiling: 8 }, 1);
        let seen = settle(&mut count, |n| match n {
            1 => 10.0,
            2 => 14.0,
            _ => 15.0,
        } * MIB);
        // 2 brings 1.4× (pays, not fast): 4 brings 1.07×: too little; halfway is 3.
        assert_eq!(seen, vec![1, 2, 4, 3, 2]);
    }

    #[test]
    fn a_count_given_up_is_tried_again_later() {
        let mut count = Count::new(Mode::Adaptive { ceiling: 8 }, 1);
        assert_eq!(
            settle(&mut count, |n| if n == 1 { 10.0 } else { 9.0 } * MIB),
            vec![1, 2, 1]
        );
        let later = Instant::now() + REPROBE + Duration::from_secs(1);
        // Now the link rewards more connections: the next try keeps them.
        let mut bytes = 0;
        let mut grown = Vec::new();
        for i in 0..200 {
            let now = later + Duration::from_millis(50 * i);
            bytes += (count.target() as u64) * MIB as u64 / 2;
            grown.extend(count.observe(now, bytes, count.target()));
        }
        assert_eq!(grown, vec![2, 8]);
    }

    #[test]
    fn a_slow_link_is_measured_longer() {
        let mut count = Count::new(Mode::Adaptive { ceiling: 8 }, 1);
        let start = Instant::now();
        // 100 KiB/s: no verdict before MAX_WINDOW (plus the settling time).
        let mut first = None;
        for i in 1..200u64 {
            let now = start + Duration::from_millis(50 * i);
            if count.observe(now, i * 5 * 1024, 1).is_some() {
                first = Some(now - start);
                break;
            }
        }
        let first = first.expect("a verdict in the end");
        assert!(
            first >= MAX_WINDOW && first < MAX_WINDOW + Duration::from_secs(1),
            "{first:?}"
        );
    }

    #[test]
    fn connections_still_starting_are_not_judged() {
        let mut count = Count::new(Mode::Adaptive { ceiling: 8 }, 1);
        let start = Instant::now();
        // One connection receiving while two are wanted: no measurement.
        count.target = 2;
        for i in 1..40 {
            let now = start + Duration::from_millis(50 * i);
            assert_eq!(count.observe(now, i * 1_000_000, 1), None);
        }
    }

    #[test]
    fn a_refusal_ends_the_growth_and_a_fixed_count_never_moves() {
        let mut count = Count::new(Mode::Adaptive { ceiling: 8 }, 4);
        count.refused(2);
        assert_eq!(count.target(), 2);
        assert!(count.settled);
        let mut fixed = Count::new(Mode::Fixed(4), 1);
        assert_eq!(fixed.target(), 4);
        assert_eq!(settle(&mut fixed, |n| n as f64 * MIB), vec![4]);
    }

    #[test]
    fn a_step_the_host_could_not_give_is_tried_again() {
        let mut count = Count::new(Mode::Adaptive { ceiling: 8 }, 1);
        let mut now = Instant::now();
        let mut bytes = 0;
        let mut tick = |count: &mut Count, receiving| {
            now += Duration::from_millis(50);
            bytes += 1_000_000;
            count.observe(now, bytes, receiving)
        };
        let grown = std::iter::repeat_with(|| tick(&mut count, 1)).find_map(|x| x);
        assert_eq!(grown, Some(2));
        // The host had no second connection to give.
        count.reached(1);
        let again = std::iter::repeat_with(|| tick(&mut count, 1)).find_map(|x| x);
        assert_eq!(
            again,
            Some(2),
            "asks again instead of judging one against one"
        );
    }
}
