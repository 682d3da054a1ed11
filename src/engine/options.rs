//! What the engine is told at start: where its data lives, where downloads go, how
//! many run at once, timeouts, retries and checkpoint cadence.

use std::path::PathBuf;
use std::time::Duration;

/// Network timeouts (F13). Defaults follow the seed.
#[derive(Clone, Debug, PartialEq)]
pub struct Timeouts {
    /// Establishing a connection (TCP and TLS).
    pub connect: Duration,
    /// From sending the request to the response headers.
    pub response: Duration,
    /// With no byte of the body arriving.
    pub stall: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(5 * 60),
            response: Duration::from_secs(2 * 60),
            stall: Duration::from_secs(2 * 60),
        }
    }
}

/// Automatic retries after a failure that may be temporary (F13).
#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt; an attempt that gets further than any before
    /// it gives the operation its retries back.
    pub max_retries: u32,
    /// Wait before the first retry; doubled for each further one.
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// Longest `Retry-After` honoured; a server asking for more is waited this long.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            base_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(5 * 60),
            max_retry_after: Duration::from_secs(6 * 60 * 60),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `attempt` (1-based).
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(asked) = retry_after {
            return asked.min(self.max_retry_after);
        }
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }
}

/// Everything the engine needs to know; `Options::new(data_dir)` gives the defaults.
#[derive(Clone, Debug)]
pub struct Options {
    /// Holds the database (`ferry.redb`).
    pub data_dir: PathBuf,
    /// Where downloads without a destination go.
    pub download_dir: PathBuf,
    /// What kind of file each download is, and the folders by kind that
    /// replace `download_dir`.
    pub categories: super::category::Categories,
    /// Operations running at once; the rest wait in creation order.
    pub max_running: usize,
    pub timeouts: Timeouts,
    pub retry: RetryPolicy,
    /// How often a running download records its progress (data synced first).
    pub checkpoint_interval: Duration,
    /// How often `Progress` events are published.
    pub progress_interval: Duration,
    pub max_redirects: usize,
    /// Follow a redirect from https to plain http.
    pub allow_https_downgrade: bool,
    /// PEM files of certificate authorities trusted besides the system's.
    pub extra_root_certificates: Vec<PathBuf>,
    /// Bytes a month that may be moved on metered networks (`None`: no budget).
    pub data_budget: Option<u64>,
    /// Bytes per second for all transfers together (`None`: unlimited).
    pub limit: Option<u64>,
    /// Schedule rules (F25): when transfers may run, and how fast.
    pub schedule: Vec<super::schedule::Rule>,
    /// The clock and time zone the schedule is read on.
    pub clock: super::schedule::Clock,
    /// Connections one download uses where the server serves ranges: `None`
    /// finds the count by measuring throughput (up to `connections_per_host`),
    /// `Some(n)` uses `n`. An operation may fix its own.
    pub connections: Option<u8>,
    /// Connections that downloads finding their count may open to one host, all
    /// of them together.
    pub connections_per_host: u8,
    /// Where passwords and cookies are kept.
    pub secret_backend: super::secrets::Backend,
    /// A proxy for operations that name none (URL, credentials inside if needed);
    /// `None`: the environment's.
    pub proxy: Option<String>,
    /// How soon an operation that lost its network first checks whether it is back;
    /// the wait doubles after every failed check, up to [`MAX_PROBE_INTERVAL`].
    pub probe_interval: Duration,
    /// Where the kernel tells which boot this is (a test points it elsewhere to
    /// play a reboot).
    pub boot_id_path: PathBuf,
}

/// Connections to one host for downloads that find their count. A long
/// download goes to 16 at once (aria2's most) and further only where 16 paid.
pub const DEFAULT_CONNECTIONS_PER_HOST: u8 = 32;

/// The longest wait between two checks for a lost network.
pub(super) const MAX_PROBE_INTERVAL: Duration = Duration::from_secs(30);

impl Options {
    pub fn new(data_dir: PathBuf) -> Self {
        Self {
            data_dir,
            download_dir: default_download_dir(),
            categories: super::category::Categories::default(),
            max_running: 4,
            timeouts: Timeouts::default(),
            retry: RetryPolicy::default(),
            checkpoint_interval: Duration::from_secs(1),
            progress_interval: Duration::from_millis(200),
            max_redirects: 10,
            allow_https_downgrade: false,
            extra_root_certificates: Vec::new(),
            data_budget: None,
            limit: None,
            schedule: Vec::new(),
            clock: super::schedule::Clock::system(),
            connections: None,
            connections_per_host: DEFAULT_CONNECTIONS_PER_HOST,
            secret_backend: super::secrets::Backend::Auto,
            proxy: None,
            probe_interval: Duration::from_secs(1),
            boot_id_path: PathBuf::from(super::boot::KERNEL_BOOT_ID),
        }
    }

    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("ferry.redb")
    }
}

/// The user's Downloads folder (XDG user dirs), else `~/Downloads`.
pub fn default_download_dir() -> PathBuf {
    dirs::download_dir()
        .or_else(|| dirs::home_dir().map(|home| home.join("Downloads")))
        .unwrap_or_else(|| PathBuf::from("."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_and_honours_retry_after() {
        let policy = RetryPolicy {
            base_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(10),
            ..RetryPolicy::default()
        };
        assert_eq!(policy.delay(1, None), Duration::from_secs(2));
        assert_eq!(policy.delay(2, None), Duration::from_secs(4));
        assert_eq!(policy.delay(3, None), Duration::from_secs(8));
        assert_eq!(policy.delay(4, None), Duration::from_secs(10));
        assert_eq!(policy.delay(40, None), Duration::from_secs(10));
        assert_eq!(
            policy.delay(3, Some(Duration::from_secs(1))),
            Duration::from_secs(1)
        );
    }
}
