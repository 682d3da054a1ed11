//! How many connections a segmented download uses. A fixed count is what the user
//! asked. Otherwise the count is found by measuring.
//!
//! The first connection gets a short look (a few hundredths of a second of
//! bytes). When the rest of the file would take over half a second at that
//! speed, the count goes to 16 at once (aria2's most): a server that holds each
//! connection to a rate (or a long, lossy link) rewards many connections, and
//! finding that out one doubling at a time costs most of a short download. Otherwise it doubles
//! while the total throughput rises with it. Either way, a step that brought
//! nearly in proportion is followed by a bigger one, up to the ceiling (32 by
//! default): a host that keeps rewarding connections gets more than aria2 gives.
//!
//! A step that brings too little is not simply undone: the throughput it did
//! bring, at the per-connection speed of the count before, says how many
//! connections it takes (one more for the noise); that count is tried, kept if
//! it pays, else the count before is kept. On loopback one connection is
//! fastest and stays alone; a server that serves three connections' worth gets
//! about four.
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
/// The first look at the first connections: shorter, since it only has to tell
/// a download of seconds from one of a moment.
const FIRST_SETTLE: Duration = Duration::from_millis(20);
const FIRST_WINDOW: Duration = Duration::from_millis(60);
/// When the rest would take longer than this at the first look's speed, go to
/// `JUMP_TO` connections at once. Short: finding the count by doubling takes
/// about 0.4 s a step, so a server that gives each connection 60 MiB/s served
/// 100 MiB in 0.65 s by steps and 0.25 s to aria2c -x16 (nginx, `limit_rate`);
/// where many do not pay, the look at them costs a fraction of a second.
const JUMP_WHEN_LEFT: Duration = Duration::from_millis(500);
const JUMP_TO: usize = 16;
/// ... and when that much is left at least: less, and the parts of so many
/// connections would be too small to be worth their requests.
const JUMP_MIN_LEFT: u64 = 16 << 20;
/// A connection this fast (a local network, loopback) that will finish in
/// under `ALONE_WHEN_LEFT` stays alone: a look at more would cost more than it
/// could win (on loopback, a GiB took 1.75 s with the look and 1.46 s without).
const FAST_ALONE: f64 = 128.0 * 1024.0 * 1024.0;
const ALONE_WHEN_LEFT: Duration = Duration::from_secs(2);
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
    /// The file's size, to tell how long the rest would take.
    total: u64,
    settled: bool,
    /// The first look is taken (it is shorter than the others).
    looked: bool,
    /// The count before the last step, and the throughput it gave.
    before: Option<(usize, f64)>,
    /// A step that could not be taken (the host had no connection to spare):
    /// try it again after the next measurement rather than judge it.
    blocked: bool,
    /// Trying a count between `before` and a step that brought too little:
    /// whatever it shows is final.
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
    /// `running`: connections already at work when the run starts; `total`: the
    /// file's size.
    pub(crate) fn new(mode: Mode, running: usize, total: u64) -> Self {
        let (target, ceiling, settled) = match mode {
            Mode::Fixed(count) => (count.max(1), count.max(1), true),
            Mode::Adaptive { ceiling } => {
                let ceiling = ceiling.max(1);
                (running.clamp(1, ceiling), ceiling, ceiling <= 1)
            }
        };
        Self {
            target,
            ceiling,
            total,
            settled,
            looked: false,
            before: None,
            blocked: false,
            narrowing: false,
            window: None,
            reprobe_at: None,
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
        let (settle, min_window, window_bytes) = if self.looked {
            (SETTLE, MIN_WINDOW, WINDOW_BYTES)
        } else {
            (FIRST_SETTLE, FIRST_WINDOW, 0)
        };
        let window = self.window.get_or_insert(Window {
            from: now,
            bytes,
            measuring: false,
        });
        let elapsed = now.saturating_duration_since(window.from);
        if !window.measuring {
            if elapsed >= settle {
                *window = Window {
                    from: now,
                    bytes,
                    measuring: true,
                };
            }
            return None;
        }
        let seen = bytes.saturating_sub(window.bytes);
        if elapsed < min_window || (seen < window_bytes && elapsed < MAX_WINDOW) {
            return None;
        }
        let speed = seen as f64 / elapsed.as_secs_f64();
        self.window = None;
        let left = self.total.saturating_sub(bytes);
        self.judge(now, speed, left)
    }

    fn judge(&mut self, now: Instant, speed: f64, left: u64) -> Option<usize> {
        let first = !std::mem::replace(&mut self.looked, true);
        if self.blocked {
            self.blocked = false;
            return self.grow(false);
        }
        let Some((count, before)) = self.before else {
            self.before = Some((self.target, speed));
            let takes = |horizon: Duration| left as f64 > speed * horizon.as_secs_f64();
            if first && speed >= FAST_ALONE && !takes(ALONE_WHEN_LEFT) {
                return self.settle(now, self.target);
            }
            if first && takes(JUMP_WHEN_LEFT) && left >= JUMP_MIN_LEFT {
                tracing::debug!(speed, left, "a long download: many connections at once");
                return self.jump();
            }
            return self.grow(false);
        };
        let gain = speed / before.max(1.0);
        let ideal = self.target as f64 / count as f64 - 1.0;
        let pays = gain >= 1.0 + MIN_GAIN_SHARE * ideal;
        if self.narrowing {
            self.narrowing = false;
            let keep = if pays { self.target } else { count };
            return self.settle(now, keep);
        }
        if !pays {
            // The connections it takes to bring what the step brought, at the
            // old count's speed per connection (one more for the noise), when
            // that is worth a try at all.
            let needed = if gain >= 1.0 + MIN_GAIN_SHARE {
                (count as f64 * gain).ceil() as usize + 1
            } else {
                count
            };
            tracing::debug!(
                from = count,
                to = self.target,
                speed,
                before,
                needed,
                "more connections brought too little"
            );
            if needed > count && needed < self.target {
                self.narrowing = true;
                self.target = needed;
                return Some(needed);
            }
            return self.settle(now, count);
        }
        let fast = gain >= 1.0 + FAST_GAIN_SHARE * ideal;
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

    fn jump(&mut self) -> Option<usize> {
        if self.target >= JUMP_TO.min(self.ceiling) {
            return self.grow(false);
        }
        self.target = JUMP_TO.min(self.ceiling);
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
    /// A file long enough for the first look to go to the ceiling at once.
    const LONG: u64 = 1 << 40;

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

    fn adaptive(ceiling: usize, total: u64) -> Count {
        Count::new(Mode::Adaptive { ceiling }, 1, total)
    }

    #[test]
    fn a_long_download_from_a_server_that_holds_each_connection_gets_many_at_once() {
        // 100 MiB at 10 MiB/s a connection: ten seconds alone.
        let mut count = adaptive(16, 100 << 20);
        let seen = settle(&mut count, |n| n as f64 * 10.0 * MIB);
        assert_eq!(seen, vec![1, 16]);
        assert!(count.settled);
        // Under a higher ceiling, 16 first; twice as many pay as much again.
        let mut count = adaptive(32, 100 << 20);
        let seen = settle(&mut count, |n| n as f64 * 10.0 * MIB);
        assert_eq!(seen, vec![1, 16, 32]);
        // A host that gives no more with 32 keeps 16.
        let mut count = adaptive(32, 100 << 20);
        let seen = settle(&mut count, |n| n.min(16) as f64 * 10.0 * MIB);
        assert_eq!(seen, vec![1, 16, 32, 16]);
        // Half a second's worth left at the first look is enough to go to many:
        // 30 MiB at 20 MiB/s a connection.
        let mut count = adaptive(8, 30 << 20);
        let seen = settle(&mut count, |n| n as f64 * 20.0 * MIB);
        assert_eq!(seen, vec![1, 8]);
        // Too little left for many parts (8 MiB): it grows by measuring.
        let mut count = adaptive(16, 8 << 20);
        let seen = settle(&mut count, |n| n as f64 * 4.0 * MIB);
        assert_eq!(seen[1], 2, "{seen:?}");
        // A download of a moment grows by measuring: twice the speed with two,
        // so the next step is bigger.
        let mut count = adaptive(8, 10 << 20);
        let seen = settle(&mut count, |n| n as f64 * 30.0 * MIB);
        assert_eq!(seen, vec![1, 2, 8]);
    }

    #[test]
    fn where_one_connection_is_as_fast_it_goes_back_to_one() {
        // A GiB over loopback: under two seconds alone, and fast: no look at more.
        let mut count = adaptive(16, 1 << 30);
        let seen = settle(&mut count, |n| if n == 1 { 600.0 } else { 450.0 } * MIB);
        assert_eq!(seen, vec![1]);
        assert!(count.settled);
        // Slower, it looks at many, and goes back.
        let mut count = adaptive(16, 100 << 20);
        let seen = settle(&mut count, |n| if n == 1 { 60.0 } else { 45.0 } * MIB);
        assert_eq!(seen, vec![1, 16, 1]);
        assert_eq!(count.target(), 1);
        // A slow link that more connections do not speed up: one again, after
        // one look at the ceiling.
        let mut count = adaptive(16, LONG);
        let seen = settle(&mut count, |n| if n == 1 { 10.0 } else { 9.5 } * MIB);
        assert_eq!(seen, vec![1, 16, 1]);
    }

    #[test]
    fn it_stops_about_where_the_gain_stops() {
        // The server serves 3 connections' worth at most: 16 bring 3 times the
        // speed of one, so 3 would do; one more for the noise, and 4 pay.
        let mut count = adaptive(16, LONG);
        let seen = settle(&mut count, |n| n.min(3) as f64 * 10.0 * MIB);
        assert_eq!(seen, vec![1, 16, 4]);
        assert_eq!(count.target(), 4);
        // Room for 1.5 times one connection's speed: 8 bring 1.5 times, 3 the same.
        let mut count = adaptive(8, LONG);
        let speed = |n| {
            MIB * match n {
                1 => 10.0,
                2 => 14.0,
                _ => 15.0,
            }
        };
        assert_eq!(settle(&mut count, speed), vec![1, 8, 3]);
        // A count that does not pay even there: back to the one before.
        let mut count = adaptive(8, LONG);
        let speed = |n| {
            MIB * match n {
                1 => 10.0,
                8 => 16.0,
                _ => 10.5,
            }
        };
        assert_eq!(settle(&mut count, speed), vec![1, 8, 3, 1]);
        // Growing by steps, a step too far goes back when in between is no better.
        let mut count = adaptive(8, 5 << 20);
        assert_eq!(settle(&mut count, speed), vec![1, 2, 1]);
    }

    #[test]
    fn a_count_given_up_is_tried_again_later() {
        let mut count = adaptive(8, LONG);
        assert_eq!(
            settle(&mut count, |n| if n == 1 { 10.0 } else { 9.0 } * MIB),
            vec![1, 8, 1]
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
    fn the_first_look_is_quick_and_a_slow_link_is_measured_longer() {
        let mut count = adaptive(8, LONG);
        let start = Instant::now();
        // 100 KiB/s a connection.
        let mut bytes = 0;
        let mut jumped = None;
        let mut settled = None;
        for i in 1..200u64 {
            let now = start + Duration::from_millis(50 * i);
            bytes += count.target() as u64 * 5 * 1024;
            if count.observe(now, bytes, count.target()).is_some() {
                jumped.get_or_insert(now - start);
            }
            if count.settled {
                settled = Some(now - start);
                break;
            }
        }
        let jumped = jumped.expect("a first verdict");
        assert!(jumped <= Duration::from_millis(200), "{jumped:?}");
        // 800 KiB/s with all eight: no verdict before MAX_WINDOW.
        let judged = settled.expect("a verdict in the end") - jumped;
        assert!(
            judged >= SETTLE + MAX_WINDOW && judged < SETTLE + MAX_WINDOW + Duration::from_secs(1),
            "{judged:?}"
        );
    }

    #[test]
    fn connections_still_starting_are_not_judged() {
        let mut count = adaptive(8, LONG);
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
        let mut count = Count::new(Mode::Adaptive { ceiling: 8 }, 4, LONG);
        count.refused(2);
        assert_eq!(count.target(), 2);
        assert!(count.settled);
        let mut fixed = Count::new(Mode::Fixed(4), 1, LONG);
        assert_eq!(fixed.target(), 4);
        assert_eq!(settle(&mut fixed, |n| n as f64 * MIB), vec![4]);
    }

    #[test]
    fn a_step_the_host_could_not_give_is_tried_again() {
        let mut count = adaptive(8, 0);
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
        // A jump the host gave in part is judged as what it gave.
        let mut count = adaptive(16, LONG);
        assert_eq!(
            std::iter::repeat_with(|| tick(&mut count, 1)).find_map(|x| x),
            Some(16)
        );
        count.reached(5);
        assert_eq!(count.target(), 5);
    }
}
