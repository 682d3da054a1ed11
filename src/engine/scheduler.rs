//! Who runs: queued operations start by priority, then creation order, while fewer
//! than `max_running` run, one at a time within a serialized group, and only where
//! the network and power conditions allow (operations that may not run wait in a
//! paused status that says why, and come back by themselves).
//!
//! Beside it: [`attempt`] (one run's life, from its start to its next status),
//! [`ticker`] (progress and metered traffic) and [`prober`] (is the network back
//! for what waits for it).

mod attempt;
mod prober;
mod ticker;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::group::Behavior;
use super::operation::{OperationId, Snapshot, Status};
use super::policy::{self, Gate, NetworkState};
use super::run::Stop;
use super::schedule;
use super::time;
use super::time::Millis;
use super::{Inner, State};
use attempt::start;

pub(super) use ticker::{Counted, save_usage};

/// Start the scheduler, the progress ticker and the network prober; all end at
/// shutdown. Each hears of the shutdown through a receiver made here, before the
/// engine is handed out: one made inside a task that first runs after the
/// shutdown began would take `true` as already seen and wait for ever.
pub(super) fn spawn(inner: &Arc<Inner>) -> Vec<tokio::task::JoinHandle<()>> {
    let shutdown = || inner.shutting_down.subscribe();
    vec![
        tokio::spawn(schedule_loop(Arc::clone(inner), shutdown())),
        tokio::spawn(ticker::tick_loop(Arc::clone(inner), shutdown())),
        tokio::spawn(prober::probe_loop(Arc::clone(inner), shutdown())),
    ]
}

/// With schedule rules, how often their windows are looked at again (they are
/// to the minute; a clock that jumps is caught up within this).
const SCHEDULE_LOOK: Duration = Duration::from_secs(15);

async fn schedule_loop(inner: Arc<Inner>, mut shutdown: watch::Receiver<bool>) {
    while !*shutdown.borrow() {
        let next_retry = start_eligible(&inner).await;
        let scheduled = !super::lock(&inner.schedule).is_empty();
        let sleep = async {
            let retry =
                next_retry.map(|at| Duration::from_millis(at.saturating_sub(time::now_millis())));
            match (retry, scheduled) {
                (Some(wait), true) => tokio::time::sleep(wait.min(SCHEDULE_LOOK)).await,
                (Some(wait), false) => tokio::time::sleep(wait).await,
                (None, true) => tokio::time::sleep(SCHEDULE_LOOK).await,
                (None, false) => std::future::pending().await,
            }
        };
        tokio::select! {
            () = inner.wake_scheduler.notified() => {}
            () = sleep => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// Apply the network conditions, then start what may start; returns when the
/// earliest waiting retry is due.
async fn start_eligible(inner: &Arc<Inner>) -> Option<Millis> {
    let _transition = inner.transitions.lock().await;
    enforce_conditions(inner).await;
    loop {
        if *inner.shutting_down.borrow() {
            return None;
        }
        let max_running = inner.max_running.load(std::sync::atomic::Ordering::Relaxed);
        let network = inner.network.state();
        let (candidate, next_retry) = pick(&inner.lock(), max_running, &network);
        let Some(snapshot) = candidate else {
            return next_retry;
        };
        start(inner, snapshot).await;
    }
}

/// Move every unfinished operation to where the conditions put it: running ones
/// that may not run are told to stop, queued ones wait with the reason, and those
/// waiting for conditions that have cleared are queued again. Operations waiting
/// for a lost network come back through the prober, not here: only a server that
/// answers says the network is back. Callers hold `transitions`.
async fn enforce_conditions(inner: &Inner) {
    if *inner.shutting_down.borrow() {
        return;
    }
    inner.apply_limits();
    let network = inner.network.state();
    let rules = super::lock(&inner.schedule).clone();
    let now = inner.options.clock.now();
    let moves: Vec<Snapshot> = {
        let state = inner.lock();
        let mut moves = Vec::new();
        for entry in state.ops.values() {
            let snapshot: &Snapshot = &entry.snapshot;
            let (gate, waits_until) = decide(snapshot, &network, &rules, &now);
            if let Some(run) = &entry.run {
                if let Gate::Wait(status) = gate
                    && *run.stop.borrow() == Stop::None
                {
                    run.stop.send_replace(Stop::Wait(status));
                }
                continue;
            }
            let next = match (snapshot.status, gate) {
                (Status::Idle, Gate::Wait(status)) => status,
                (
                    Status::PausedCostedNetwork
                    | Status::PausedSystemPolicy
                    | Status::PausedBySchedule,
                    Gate::Wait(status),
                ) => status,
                (
                    Status::PausedCostedNetwork
                    | Status::PausedSystemPolicy
                    | Status::PausedBySchedule,
                    Gate::Run,
                ) => Status::Idle,
                _ => continue,
            };
            let waits_until = waits_until.filter(|_| next == Status::PausedBySchedule);
            if next != snapshot.status || waits_until != snapshot.waits_until {
                let mut moved = snapshot.clone();
                moved.status = next;
                moved.waits_until = waits_until;
                moves.push(moved);
            }
        }
        moves
    };
    for snapshot in moves {
        let (id, status) = (snapshot.id, snapshot.status);
        tracing::info!(%id, %status, "network, power or schedule conditions changed");
        if let Err(e) = inner.commit(snapshot).await {
            tracing::error!(%id, error = %e, "cannot record a wait for the network");
        }
    }
}

/// Whether `snapshot` may run under the network conditions, then the schedule
/// (`rules` read at `now`); when the schedule holds it back, also when it may
/// run next.
fn decide(
    snapshot: &Snapshot,
    network: &NetworkState,
    rules: &[schedule::Rule],
    now: &jiff::ZonedDateTime,
) -> (Gate, Option<Millis>) {
    let gate = policy::decide(snapshot.policy, network);
    if gate != Gate::Run || rules.is_empty() {
        return (gate, None);
    }
    let facts = schedule::Facts::of(snapshot);
    if schedule::gate(rules, &facts, now).may_run {
        return (Gate::Run, None);
    }
    let opens = schedule::opens_at(rules, &facts, now)
        .and_then(|at| u64::try_from(at.timestamp().as_millisecond()).ok());
    (Gate::Wait(Status::PausedBySchedule), opens)
}

/// When the schedule, read now, lets `snapshot` run next.
fn opens_for(inner: &Inner, snapshot: &Snapshot) -> Option<Millis> {
    let rules = super::lock(&inner.schedule).clone();
    let now = inner.options.clock.now();
    decide(snapshot, &inner.network.state(), &rules, &now).1
}

/// The queued operation to start next, if a slot is free: first in the queue's
/// order (priority, then place: see `queue`), skipping operations the conditions forbid, retries not yet
/// due, and serialized groups that are busy or whose earlier operation is still
/// queued. Also the time of the earliest retry not yet due.
fn pick(
    state: &State,
    max_running: usize,
    network: &NetworkState,
) -> (Option<Snapshot>, Option<Millis>) {
    let running = state.ops.values().filter(|e| e.run.is_some()).count();
    if running >= max_running.max(1) {
        return (None, None);
    }
    let serialized_heads = serialized_heads(state);
    let now = time::now_millis();
    let mut next_retry: Option<Millis> = None;
    let mut best: Option<&Snapshot> = None;
    for entry in state.ops.values() {
        let s = &entry.snapshot;
        if s.status != Status::Idle || entry.run.is_some() {
            continue;
        }
        if policy::decide(s.policy, network) != Gate::Run {
            continue;
        }
        if let Some(group) = &s.group
            && let Some(head) = serialized_heads.get(group.as_str())
            && *head != Some(s.id)
        {
            continue;
        }
        match s.retry_at {
            Some(at) if at > now => next_retry = Some(next_retry.map_or(at, |n| n.min(at))),
            _ => {
                if best.is_none_or(|b| s.queue_key() < b.queue_key()) {
                    best = Some(s);
                }
            }
        }
    }
    (best.cloned(), next_retry)
}

/// For each serialized group, the one operation that may start: the first of it
/// in the queue, unless one of the group is already running (then none).
fn serialized_heads(state: &State) -> HashMap<&str, Option<OperationId>> {
    let serialized: HashSet<&str> = state
        .groups
        .values()
        .filter(|g| g.behavior == Behavior::Serialized)
        .map(|g| g.name.as_str())
        .collect();
    let mut heads: HashMap<&str, Option<&Snapshot>> = HashMap::new();
    let mut busy: HashSet<&str> = HashSet::new();
    for entry in state.ops.values() {
        let s = &entry.snapshot;
        let Some(group) = s.group.as_deref().filter(|g| serialized.contains(g)) else {
            continue;
        };
        if entry.run.is_some() || s.status == Status::Running {
            busy.insert(group);
        }
        if s.status == Status::Idle {
            let head = heads.entry(group).or_default();
            if head.is_none_or(|h| s.queue_key() < h.queue_key()) {
                *head = Some(s);
            }
        }
    }
    serialized
        .into_iter()
        .map(|group| {
            let head = heads.get(group).copied().flatten().map(|s| s.id);
            (group, if busy.contains(group) { None } else { head })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::super::group::Group;
    use super::super::operation::Priority;
    use super::super::pace::Bucket;
    use super::super::progress::Live;
    use super::super::request::Request;
    use super::super::{Entry, RunHandle};
    use super::*;

    fn op(seq: u64, status: Status) -> Snapshot {
        let request = Request::download(format!("http://127.0.0.1:9/{seq}"), None);
        let mut s = Snapshot::new(seq, &request, request.url.clone(), None);
        s.status = status;
        s
    }

    fn running() -> RunHandle {
        RunHandle {
            stop: watch::channel(Stop::None).0,
            live: Arc::new(Live::new(0, None)),
            done: watch::channel(false).1,
            limit: Arc::new(Bucket::new(None)),
            scoped: Arc::default(),
        }
    }

    fn state(ops: Vec<(Snapshot, bool)>, groups: Vec<Group>) -> State {
        State {
            ops: ops
                .into_iter()
                .map(|(snapshot, run)| {
                    let entry = Entry {
                        snapshot: Box::new(snapshot),
                        run: run.then(running),
                    };
                    (entry.snapshot.id, entry)
                })
                .collect(),
            groups: groups
                .into_iter()
                .map(|g| (g.name.clone(), g))
                .collect::<BTreeMap<_, _>>(),
            next_seq: 100,
            resumed: HashSet::new(),
        }
    }

    fn picked(state: &State, max_running: usize) -> Option<u64> {
        pick(state, max_running, &NetworkState::default())
            .0
            .map(|s| s.seq)
    }

    #[test]
    fn priority_first_then_creation_order() {
        let mut high = op(3, Status::Idle);
        high.priority = Priority::High;
        let s = state(
            vec![
                (op(2, Status::Idle), false),
                (high, false),
                (op(1, Status::Idle), false),
            ],
            vec![],
        );
        assert_eq!(picked(&s, 4), Some(3));
        let s = state(
            vec![(op(2, Status::Idle), false), (op(1, Status::Idle), false)],
            vec![],
        );
        assert_eq!(picked(&s, 4), Some(1));
    }

    #[test]
    fn nothing_starts_beyond_the_limit_and_retries_wait_their_time() {
        let s = state(
            vec![(op(1, Status::Running), true), (op(2, Status::Idle), false)],
            vec![],
        );
        assert_eq!(picked(&s, 1), None, "one runs already");
        assert_eq!(picked(&s, 2), Some(2));

        let mut later = op(3, Status::Idle);
        let at = time::now_millis() + 60_000;
        later.retry_at = Some(at);
        let s = state(vec![(later, false)], vec![]);
        assert_eq!(pick(&s, 4, &NetworkState::default()), (None, Some(at)));
    }

    #[test]
    fn a_serialized_group_runs_its_earliest_one_at_a_time() {
        let group = Group::new("night".into(), Behavior::Serialized, None);
        let member = |seq, status| {
            let mut s = op(seq, status);
            s.group = Some("night".into());
            s
        };
        let s = state(
            vec![
                (member(5, Status::Idle), false),
                (member(4, Status::Idle), false),
                (op(6, Status::Idle), false),
            ],
            vec![group.clone()],
        );
        let heads = serialized_heads(&s);
        let head = heads["night"].expect("a head");
        assert_eq!(s.ops[&head].snapshot.seq, 4);
        assert_eq!(picked(&s, 4), Some(4));

        let s = state(
            vec![
                (member(4, Status::Running), true),
                (member(5, Status::Idle), false),
                (op(6, Status::Idle), false),
            ],
            vec![group],
        );
        assert_eq!(serialized_heads(&s)["night"], None, "busy");
        assert_eq!(picked(&s, 4), Some(6), "others still start");
    }
}
