//! Connections per host, for segmented downloads: how many are open to each host
//! (shared by every download to it), and how many a host was seen to accept before
//! it turned more away (403/429/503 that came only with more connections).
//!
//! A learned cap is remembered for a day, or for as long as the server's
//! `Retry-After` asked if that is longer, and then forgotten: servers change their
//! rules, and a refusal under a moment's load should not hold every later download
//! back for good.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use super::time::{Millis, now_millis};

/// How long a host's refusal of more connections is remembered at least.
pub(super) const CAP_MEMORY: Duration = Duration::from_secs(24 * 60 * 60);

/// How hosts are told apart: host name and port.
pub(super) fn key(url: &reqwest::Url) -> String {
    format!(
        "{}:{}",
        url.host_str().unwrap_or(""),
        url.port_or_known_default().unwrap_or(0)
    )
}

/// A cap learned from a host, and until when it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LearnedCap {
    pub cap: usize,
    pub until: Millis,
}

#[derive(Debug, Default)]
struct Host {
    open: usize,
    learned: Option<LearnedCap>,
}

impl Host {
    /// The cap learned from it, while it holds.
    fn cap(&self, now: Millis) -> Option<usize> {
        self.learned
            .filter(|cap| cap.until > now)
            .map(|cap| cap.cap)
    }
}

/// Every host's open connections and learned cap; cheap to clone.
#[derive(Clone, Debug, Default)]
pub(super) struct Hosts {
    hosts: Arc<Mutex<HashMap<String, Host>>>,
}

/// One connection counted against its host while it lives.
#[derive(Debug)]
pub(super) struct HostConnection {
    hosts: Hosts,
    key: String,
}

impl Drop for HostConnection {
    fn drop(&mut self) {
        if let Some(host) = self.hosts.lock().get_mut(&self.key) {
            host.open = host.open.saturating_sub(1);
        }
    }
}

impl Hosts {
    /// Start with caps remembered from earlier runs (expired ones are dropped).
    pub(super) fn new(learned: impl IntoIterator<Item = (String, LearnedCap)>) -> Self {
        let now = now_millis();
        let hosts = learned
            .into_iter()
            .filter(|(_, cap)| cap.until > now)
            .map(|(key, cap)| {
                (
                    key,
                    Host {
                        open: 0,
                        learned: Some(cap),
                    },
                )
            })
            .collect();
        Self {
            hosts: Arc::new(Mutex::new(hosts)),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Host>> {
        self.hosts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The connections `key` accepts at most, if it refused more lately.
    pub(super) fn learned(&self, key: &str) -> Option<usize> {
        let now = now_millis();
        self.lock().get(key).and_then(|h| h.cap(now))
    }

    /// Connections open to `key` now.
    #[cfg(test)]
    pub(super) fn open(&self, key: &str) -> usize {
        self.lock().get(key).map_or(0, |h| h.open)
    }

    /// How many connections a download holding `mine` of those open to `key`
    /// may hold, under `limit` and the host's learned cap: what the others leave
    /// it, and always one (a download's first connection opens whatever the
    /// others hold, so the one with more gives way).
    pub(super) fn room(&self, key: &str, mine: usize, limit: usize) -> usize {
        let now = now_millis();
        let hosts = self.lock();
        let Some(host) = hosts.get(key) else {
            return limit.max(1);
        };
        let learned = host.cap(now).unwrap_or(usize::MAX);
        let others = host.open.saturating_sub(mine);
        limit.min(learned).saturating_sub(others).max(1)
    }

    /// Count a connection that opens whatever the others do (a download's first).
    pub(super) fn connect(&self, key: &str) -> HostConnection {
        self.lock().entry(key.to_owned()).or_default().open += 1;
        HostConnection {
            hosts: self.clone(),
            key: key.to_owned(),
        }
    }

    /// Count one more connection to `key` if fewer than `limit` (and fewer than
    /// the host's learned cap) are open.
    pub(super) fn try_connect(&self, key: &str, limit: usize) -> Option<HostConnection> {
        let now = now_millis();
        let mut hosts = self.lock();
        let host = hosts.entry(key.to_owned()).or_default();
        let learned = host.cap(now).unwrap_or(usize::MAX);
        if host.open >= limit.min(learned) {
            return None;
        }
        host.open += 1;
        drop(hosts);
        Some(HostConnection {
            hosts: self.clone(),
            key: key.to_owned(),
        })
    }

    /// `key` turned a connection away while `cap` others worked: remember it (the
    /// lowest cap seen wins) for a day, or as long as `retry_after` if longer.
    /// Returns what to persist.
    pub(super) fn lower(&self, key: &str, cap: usize, retry_after: Option<Duration>) -> LearnedCap {
        let memory = retry_after.map_or(CAP_MEMORY, |r| r.max(CAP_MEMORY));
        let now = now_millis();
        let until = now.saturating_add(u64::try_from(memory.as_millis()).unwrap_or(u64::MAX));
        let mut hosts = self.lock();
        let host = hosts.entry(key.to_owned()).or_default();
        let cap = match host.learned.filter(|c| c.until > now) {
            Some(old) => LearnedCap {
                cap: old.cap.min(cap.max(1)),
                until: old.until.max(until),
            },
            None => LearnedCap {
                cap: cap.max(1),
                until,
            },
        };
        host.learned = Some(cap);
        cap
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_are_counted_per_host_and_released_on_drop() {
        let hosts = Hosts::default();
        let first = hosts.connect("a:80");
        let second = hosts.try_connect("a:80", 2).expect("under the limit");
        assert!(hosts.try_connect("a:80", 2).is_none(), "at the limit");
        assert!(hosts.try_connect("b:80", 2).is_some(), "another host");
        drop(second);
        assert_eq!(hosts.open("a:80"), 1);
        assert!(hosts.try_connect("a:80", 2).is_some());
        drop(first);
    }

    #[test]
    fn a_download_has_room_for_what_the_others_leave_and_one_at_least() {
        let hosts = Hosts::default();
        assert_eq!(hosts.room("a:80", 0, 4), 4);
        let mine: Vec<_> = (0..4).map(|_| hosts.connect("a:80")).collect();
        assert_eq!(hosts.room("a:80", 4, 4), 4);
        // Another download's first connection: this one has room for three.
        let theirs = hosts.connect("a:80");
        assert_eq!(hosts.room("a:80", 4, 4), 3);
        assert_eq!(hosts.room("a:80", 1, 4), 1, "one at least");
        drop(theirs);
        assert_eq!(hosts.room("a:80", 4, 4), 4);
        hosts.lower("a:80", 2, None);
        assert_eq!(hosts.room("a:80", 4, 4), 2, "the learned cap holds");
        drop(mine);
    }

    #[test]
    fn a_learned_cap_holds_below_the_limit_and_the_lowest_wins() {
        let hosts = Hosts::default();
        let _one = hosts.connect("a:80");
        let cap = hosts.lower("a:80", 1, None);
        assert_eq!(cap.cap, 1);
        assert!(cap.until >= now_millis() + CAP_MEMORY.as_millis() as u64 - 1000);
        assert!(hosts.try_connect("a:80", 8).is_none());
        assert_eq!(hosts.lower("a:80", 3, None).cap, 1, "the lowest stays");
        // A Retry-After longer than a day keeps it longer.
        let long = Duration::from_secs(3 * 24 * 3600);
        assert!(hosts.lower("a:80", 2, Some(long)).until > cap.until);
    }

    #[test]
    fn expired_caps_are_forgotten() {
        let hosts = Hosts::new([
            (
                "old:80".to_owned(),
                LearnedCap {
                    cap: 1,
                    until: now_millis() - 1,
                },
            ),
            (
                "new:80".to_owned(),
                LearnedCap {
                    cap: 2,
                    until: now_millis() + 60_000,
                },
            ),
        ]);
        assert_eq!(hosts.learned("old:80"), None);
        assert_eq!(hosts.learned("new:80"), Some(2));
    }
}
