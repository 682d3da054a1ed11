//! When done (F25): what happens once everything is done: Ferry quits, or the
//! computer suspends or powers off (through logind). Set for the whole queue,
//! once (it goes back to nothing when it fires: a power off that stayed set
//! would end tomorrow's first download too), or for a group (its own
//! `when_done`, done after its program). A countdown comes first, a minute by
//! default, which the notification, the window, the tray and `ferry when-done
//! nothing` can cancel.
//!
//! The queue is done when no transfer goes on by itself any more (running,
//! queued, waiting for the network or its hours) after at least one did while
//! it was set: setting it with nothing to do waits for the next transfer.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, watch};

use crate::engine::time::{Millis, now_millis};
use crate::engine::{Engine, Event, WhenDone};

/// What set off a countdown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Why {
    /// Every transfer is done.
    Queue,
    /// This group is done.
    Group { name: String },
}

/// A when-done counting down.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub what: WhenDone,
    pub why: Why,
    /// When it happens, unless cancelled.
    pub at: Millis,
}

/// Where when-done stands, as every front end shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// What happens once the queue is done (once).
    pub armed: WhenDone,
    #[serde(default)]
    pub pending: Option<Pending>,
    /// The last one that could not be done, and why (logind refused…).
    #[serde(default)]
    pub failed: Option<(WhenDone, String)>,
}

/// The agent's when-done, shared by its front ends. Cheap to clone.
#[derive(Clone, Debug)]
pub struct WhenDoneHandle {
    state: Arc<watch::Sender<State>>,
}

impl Default for WhenDoneHandle {
    fn default() -> Self {
        Self::new()
    }
}

impl WhenDoneHandle {
    pub fn new() -> Self {
        Self {
            state: Arc::new(watch::Sender::new(State::default())),
        }
    }

    pub fn state(&self) -> State {
        self.state.borrow().clone()
    }

    /// Every change, as it happens.
    pub fn watch(&self) -> watch::Receiver<State> {
        self.state.subscribe()
    }

    /// What happens once the queue is done. `Nothing` also cancels a countdown
    /// (the user changed their mind).
    pub fn set(&self, what: WhenDone) {
        self.state.send_modify(|state| {
            state.armed = what;
            if what == WhenDone::Nothing {
                state.pending = None;
            }
        });
    }

    /// Stop a countdown; false when none ran.
    pub fn cancel(&self) -> bool {
        self.state.send_if_modified(|state| {
            let cancelled = state.pending.take();
            if let Some(pending) = &cancelled {
                tracing::info!(what = pending.what.as_str(), "when-done cancelled");
            }
            cancelled.is_some()
        })
    }

    /// Start counting down to `what`. One already counting down stays unless
    /// this one goes further (a power off over a suspend).
    fn start(&self, what: WhenDone, why: Why, delay: Duration) {
        let at = now_millis().saturating_add(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX));
        self.state.send_if_modified(|state| {
            if state.pending.as_ref().is_some_and(|p| p.what >= what) {
                return false;
            }
            tracing::info!(what = what.as_str(), ?why, "when-done counting down");
            state.pending = Some(Pending { what, why, at });
            true
        });
    }

    /// The countdown that has run out, taken.
    fn take_due(&self) -> Option<Pending> {
        let mut due = None;
        self.state.send_if_modified(|state| {
            if state.pending.as_ref().is_some_and(|p| p.at <= now_millis()) {
                due = state.pending.take();
            }
            due.is_some()
        });
        due
    }

    fn failed(&self, what: WhenDone, why: String) {
        self.state
            .send_modify(|state| state.failed = Some((what, why)));
    }
}

/// Whether the queue has just become done while a when-done was set.
#[derive(Debug, Default)]
struct QueueWatch {
    /// Something went on while it was set.
    busy: bool,
}

impl QueueWatch {
    /// `pending`: the transfers that go on by themselves now.
    fn done(&mut self, armed: WhenDone, pending: usize) -> bool {
        if armed == WhenDone::Nothing {
            self.busy = false;
            return false;
        }
        if pending > 0 {
            self.busy = true;
            return false;
        }
        std::mem::take(&mut self.busy)
    }
}

/// What the countdown ends in. Quit is the agent's; the rest logind's.
async fn perform(what: WhenDone, quit: &Notify) -> Result<(), String> {
    match what {
        WhenDone::Nothing => Ok(()),
        WhenDone::Quit => {
            quit.notify_one();
            Ok(())
        }
        WhenDone::Suspend | WhenDone::PowerOff => crate::system::login::perform(what).await,
    }
}

/// Watch the engine for a done queue and done groups, count down, and do what
/// is due, until `shutdown` turns true (the agent runs it while it serves).
pub async fn run(
    engine: Engine,
    handle: WhenDoneHandle,
    delay: Duration,
    quit: Arc<Notify>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut events = engine.subscribe();
    let mut changes = handle.watch();
    let mut queue = QueueWatch::default();
    // Groups already done before this start do not fire again.
    let mut done_groups: HashSet<String> = engine
        .groups()
        .into_iter()
        .filter(|g| g.is_done())
        .map(|g| g.name)
        .collect();
    loop {
        let next = handle.state().pending.map(|p| p.at);
        let countdown = async {
            match next {
                Some(at) => {
                    tokio::time::sleep(Duration::from_millis(at.saturating_sub(now_millis())))
                        .await;
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            event = events.recv() => match event {
                None => return,
                Some(Event::GroupChanged { group }) => {
                    if group.is_done() && done_groups.insert(group.name.clone())
                        && group.when_done != WhenDone::Nothing
                    {
                        handle.start(group.when_done, Why::Group { name: group.name }, delay);
                    }
                }
                Some(Event::Added { .. } | Event::StatusChanged { .. } | Event::Removed { .. } | Event::Resync) => {
                    check_queue(&engine, &handle, &mut queue, delay);
                }
                Some(_) => {}
            },
            changed = changes.changed() => {
                if changed.is_err() {
                    return;
                }
                // Just set: what runs now counts.
                check_queue(&engine, &handle, &mut queue, delay);
            }
            () = countdown => {
                if let Some(due) = handle.take_due() {
                    tracing::info!(what = due.what.as_str(), why = ?due.why, "when-done");
                    if let Err(why) = perform(due.what, &quit).await {
                        tracing::warn!(what = due.what.as_str(), %why, "when-done failed");
                        handle.failed(due.what, why);
                    }
                }
            }
            _ = shutdown.changed() => return,
        }
    }
}

fn check_queue(engine: &Engine, handle: &WhenDoneHandle, queue: &mut QueueWatch, delay: Duration) {
    let armed = handle.state().armed;
    if queue.done(armed, engine.pending()) {
        // Once: the next queue does not power the computer off too.
        handle
            .state
            .send_modify(|state| state.armed = WhenDone::Nothing);
        handle.start(armed, Why::Queue, delay);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_queue_is_done_once_after_work_while_set() {
        let mut queue = QueueWatch::default();
        assert!(
            !queue.done(WhenDone::Suspend, 0),
            "nothing ran: wait for work"
        );
        assert!(!queue.done(WhenDone::Suspend, 2));
        assert!(!queue.done(WhenDone::Suspend, 1));
        assert!(queue.done(WhenDone::Suspend, 0), "the last one ended");
        assert!(!queue.done(WhenDone::Suspend, 0), "once");
        assert!(!queue.done(WhenDone::Nothing, 3));
        assert!(!queue.done(WhenDone::Nothing, 0), "not set: never");
        assert!(!queue.done(WhenDone::Quit, 1));
        assert!(!queue.done(WhenDone::Nothing, 1), "unset while busy");
        assert!(
            !queue.done(WhenDone::Quit, 0),
            "set again with nothing running"
        );
    }

    #[test]
    fn a_countdown_is_cancelled_or_taken_over_by_a_stronger_one() {
        let handle = WhenDoneHandle::new();
        let hour = Duration::from_secs(3600);
        handle.start(WhenDone::Suspend, Why::Queue, hour);
        handle.start(WhenDone::Quit, Why::Queue, hour);
        assert_eq!(handle.state().pending.unwrap().what, WhenDone::Suspend);
        let group = Why::Group { name: "g".into() };
        handle.start(WhenDone::PowerOff, group.clone(), hour);
        let pending = handle.state().pending.unwrap();
        assert_eq!((pending.what, pending.why), (WhenDone::PowerOff, group));
        assert!(handle.take_due().is_none(), "not before its time");
        assert!(handle.cancel());
        assert!(!handle.cancel(), "nothing left to cancel");
        handle.start(WhenDone::Quit, Why::Queue, Duration::ZERO);
        assert_eq!(handle.take_due().unwrap().what, WhenDone::Quit);
        assert_eq!(handle.state().pending, None);
        handle.set(WhenDone::Suspend);
        handle.start(WhenDone::Suspend, Why::Queue, hour);
        handle.set(WhenDone::Nothing);
        assert_eq!(handle.state(), State::default(), "nothing also cancels");
    }
}
