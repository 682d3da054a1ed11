//! When a body counts as stalled: no byte for the stall timeout, or so few that
//! it might as well be none. A server trickling one byte a second keeps a plain
//! "no byte for two minutes" timer happy for ever while the download never ends.

use std::time::{Duration, Instant};

use super::error::{ErrorStatus, TransferError};

/// Less than this within the stall timeout is a stall.
pub(super) const MIN_PROGRESS: u64 = 1024;

/// Watches one body.
#[derive(Debug)]
pub(super) struct StallWatch {
    limit: Duration,
    since: Instant,
    bytes: u64,
}

impl StallWatch {
    pub(super) fn new(limit: Duration) -> Self {
        Self {
            limit,
            since: Instant::now(),
            bytes: 0,
        }
    }

    /// How long the next read may wait before the body counts as stalled.
    pub(super) fn remaining(&self) -> Duration {
        self.limit.saturating_sub(self.since.elapsed())
    }

    /// `bytes` arrived.
    pub(super) fn saw(&mut self, bytes: usize) {
        self.bytes += bytes as u64;
        if self.bytes >= MIN_PROGRESS {
            self.since = Instant::now();
            self.bytes = 0;
        }
    }

    /// The failure once `remaining` ran out.
    pub(super) fn error(&self) -> TransferError {
        let what = if self.bytes == 0 {
            "no data received".to_owned()
        } else {
            format!("only {} bytes received", self.bytes)
        };
        TransferError::new(
            ErrorStatus::Timeout,
            format!("{what} in {:.1} s", self.limit.as_secs_f64()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trickle_runs_the_clock_and_a_kilobyte_resets_it() {
        let mut watch = StallWatch::new(Duration::from_secs(60));
        watch.since -= Duration::from_secs(30);
        for _ in 0..30 {
            watch.saw(1);
        }
        assert!(
            watch.remaining() <= Duration::from_secs(30),
            "a trickle is no progress"
        );
        assert!(
            watch.error().message.contains("only 30 bytes"),
            "{}",
            watch.error().message
        );
        watch.saw(2000);
        assert!(watch.remaining() > Duration::from_secs(59));
        assert_eq!(watch.error().status, ErrorStatus::Timeout);
    }
}
