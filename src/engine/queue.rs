//! The queue's order: which waiting operation starts next, and moving one to
//! another place in it.
//!
//! Operations wait in priority classes (high first); within a class they keep a
//! rank, by default their creation order. A rank is the creation sequence shifted
//! left by [`RANK_SHIFT`] bits, so a moved operation finds a free rank between its
//! two new neighbours without touching them; only after some thirty moves into
//! the same gap are the class's waiting operations given evenly spread ranks
//! again. A new operation's rank is above every rank given so far: it queues last.

use std::cmp::Reverse;

use serde::{Deserialize, Serialize};

use super::operation::{OperationId, Priority, Snapshot, Status};

/// How far apart the ranks of two operations created one after the other are,
/// as a power of two.
const RANK_SHIFT: u32 = 32;

/// Where to put an operation in the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Place {
    /// Before every other waiting operation.
    First,
    /// After every other waiting operation.
    Last,
    /// One place nearer the front.
    Up,
    /// One place nearer the end.
    Down,
    /// Just before this one.
    Before(OperationId),
    /// Just after this one.
    After(OperationId),
}

/// An operation in this state waits in the queue: it has not ended and is not
/// running (a paused one keeps its place for when it is resumed).
pub fn is_queued(status: Status) -> bool {
    !status.is_finished() && status != Status::Running
}

/// The rank a sequence number gives (where an operation never moved stands).
pub(crate) fn rank_of_seq(seq: u64) -> u64 {
    seq.checked_shl(RANK_SHIFT)
        .filter(|_| seq < 1 << (64 - RANK_SHIFT))
        .unwrap_or(u64::MAX)
}

impl Snapshot {
    /// Its rank within its priority class.
    pub fn rank(&self) -> u64 {
        if self.queue_rank == 0 {
            rank_of_seq(self.seq)
        } else {
            self.queue_rank
        }
    }

    /// What the queue is sorted by: priority, then rank (then creation, so the
    /// order is total).
    pub fn queue_key(&self) -> (Reverse<Priority>, u64, u64) {
        (Reverse(self.priority), self.rank(), self.seq)
    }
}

/// The waiting operations among `operations`, next to start first.
pub fn ordered<'a>(operations: impl IntoIterator<Item = &'a Snapshot>) -> Vec<&'a Snapshot> {
    let mut queue: Vec<&Snapshot> = operations
        .into_iter()
        .filter(|s| is_queued(s.status))
        .collect();
    queue.sort_by_key(|s| s.queue_key());
    queue
}

/// What a move changes: the moved operation's priority and rank, and the ranks
/// of others when its new neighbours left no room between them.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Move {
    pub priority: Priority,
    pub rank: u64,
    pub renumbered: Vec<(OperationId, u64)>,
}

/// Why an operation cannot move.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// It is running or has ended: it has no place in the queue.
    NotWaiting,
    /// The neighbour named is not waiting.
    NoSuchNeighbour,
}

/// Plan moving `moved` to `place` in `queue` (the waiting operations in order,
/// `moved` among them); `None` when it is there already. `ceiling` is above
/// every rank given so far and at most the rank the next new operation gets.
pub(crate) fn plan(
    queue: &[&Snapshot],
    moved: OperationId,
    place: Place,
    ceiling: u64,
) -> Result<Option<Move>, Refusal> {
    let Some(from) = queue.iter().position(|s| s.id == moved) else {
        return Err(Refusal::NotWaiting);
    };
    let current = queue[from];
    let others: Vec<&Snapshot> = queue.iter().copied().filter(|s| s.id != moved).collect();
    let position_of = |id: OperationId| {
        others
            .iter()
            .position(|s| s.id == id)
            .ok_or(Refusal::NoSuchNeighbour)
    };
    let at = match place {
        Place::First => 0,
        Place::Last => others.len(),
        Place::Before(id) => position_of(id)?,
        Place::After(id) => position_of(id)? + 1,
        Place::Up => from.saturating_sub(1),
        Place::Down => (from + 1).min(others.len()),
    };
    if at == from {
        return Ok(None);
    }
    let left = at.checked_sub(1).map(|i| others[i]);
    let right = others.get(at).copied();
    // It joins a neighbour's class (its own if it is one of the two), so that it
    // sorts between them.
    let priority = match (left, right) {
        (Some(l), Some(r)) if current.priority == l.priority || current.priority == r.priority => {
            current.priority
        }
        (_, Some(r)) => r.priority,
        (Some(l), None) => l.priority,
        (None, None) => current.priority,
    };
    let low = left
        .filter(|l| l.priority == priority)
        .map_or(0, |l| l.rank());
    let high = right
        .filter(|r| r.priority == priority)
        .map_or(ceiling, |r| r.rank());
    if high > low.saturating_add(1) {
        return Ok(Some(Move {
            priority,
            rank: low + (high - low) / 2,
            renumbered: Vec::new(),
        }));
    }
    // No room: spread the class's waiting operations, the moved one at its new
    // place, evenly below the ceiling.
    let mut class: Vec<OperationId> = others
        .iter()
        .filter(|s| s.priority == priority)
        .map(|s| s.id)
        .collect();
    let before = others[..at]
        .iter()
        .filter(|s| s.priority == priority)
        .count();
    class.insert(before, moved);
    let step = ceiling / (class.len() as u64 + 1);
    let mut renumbered: Vec<(OperationId, u64)> = class
        .iter()
        .enumerate()
        .map(|(k, id)| (*id, step * (k as u64 + 1)))
        .collect();
    let (_, rank) = renumbered.remove(before);
    Ok(Some(Move {
        priority,
        rank,
        renumbered,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Request;

    fn op(seq: u64, priority: Priority) -> Snapshot {
        let request = Request::download(format!("http://127.0.0.1/{seq}"), None);
        let mut s = Snapshot::new(seq, &request, request.url.clone(), None);
        s.status = Status::Idle;
        s.priority = priority;
        s
    }

    /// Apply a plan to `ops` as the engine does.
    fn apply(ops: &mut [Snapshot], moved: OperationId, plan: &Move) {
        for s in ops.iter_mut() {
            if s.id == moved {
                s.priority = plan.priority;
                s.queue_rank = plan.rank;
            } else if let Some((_, rank)) = plan.renumbered.iter().find(|(id, _)| *id == s.id) {
                s.queue_rank = *rank;
            }
        }
    }

    fn seqs(ops: &[Snapshot]) -> Vec<u64> {
        ordered(ops).iter().map(|s| s.seq).collect()
    }

    fn ceiling(ops: &[Snapshot]) -> u64 {
        rank_of_seq(ops.iter().map(|s| s.seq).max().unwrap_or(0) + 1)
    }

    fn mv(ops: &mut [Snapshot], seq: u64, place: impl Fn(&[Snapshot]) -> Place) {
        let id = ops.iter().find(|s| s.seq == seq).unwrap().id;
        let place = place(ops);
        if let Some(planned) = plan(&ordered(&*ops), id, place, ceiling(ops)).unwrap() {
            apply(ops, id, &planned);
        }
    }

    fn id(ops: &[Snapshot], seq: u64) -> OperationId {
        ops.iter().find(|s| s.seq == seq).unwrap().id
    }

    #[test]
    fn the_queue_is_priority_then_creation_and_skips_running_and_ended() {
        let mut ops: Vec<Snapshot> = (1..=5).map(|n| op(n, Priority::Normal)).collect();
        ops[3].priority = Priority::High;
        ops[1].status = Status::Running;
        ops[2].status = Status::Completed;
        ops[4].status = Status::PausedByApplication;
        assert_eq!(seqs(&ops), [4, 1, 5]);
    }

    #[test]
    fn moves_land_where_asked() {
        let mut ops: Vec<Snapshot> = (1..=5).map(|n| op(n, Priority::Normal)).collect();
        mv(&mut ops, 4, |_| Place::First);
        assert_eq!(seqs(&ops), [4, 1, 2, 3, 5]);
        mv(&mut ops, 1, |_| Place::Last);
        assert_eq!(seqs(&ops), [4, 2, 3, 5, 1]);
        mv(&mut ops, 5, |o| Place::Before(id(o, 2)));
        assert_eq!(seqs(&ops), [4, 5, 2, 3, 1]);
        mv(&mut ops, 4, |o| Place::After(id(o, 3)));
        assert_eq!(seqs(&ops), [5, 2, 3, 4, 1]);
        mv(&mut ops, 3, |_| Place::Up);
        assert_eq!(seqs(&ops), [5, 3, 2, 4, 1]);
        mv(&mut ops, 5, |_| Place::Down);
        assert_eq!(seqs(&ops), [3, 5, 2, 4, 1]);
        // Up from the front and down from the end change nothing.
        let (first, last) = (id(&ops, 3), id(&ops, 1));
        let queue = ordered(&ops);
        assert_eq!(plan(&queue, first, Place::Up, ceiling(&ops)), Ok(None));
        assert_eq!(plan(&queue, last, Place::Down, ceiling(&ops)), Ok(None));
        assert_eq!(plan(&queue, last, Place::Last, ceiling(&ops)), Ok(None));
        // A new operation still comes last.
        ops.push(op(6, Priority::Normal));
        assert_eq!(seqs(&ops), [3, 5, 2, 4, 1, 6]);
    }

    #[test]
    fn moving_past_another_class_takes_its_priority() {
        let mut ops = vec![
            op(1, Priority::High),
            op(2, Priority::Normal),
            op(3, Priority::Low),
        ];
        mv(&mut ops, 3, |_| Place::First);
        assert_eq!(seqs(&ops), [3, 1, 2]);
        assert_eq!(ops[2].priority, Priority::High);
        mv(&mut ops, 1, |_| Place::Last);
        assert_eq!(seqs(&ops), [3, 2, 1]);
        assert_eq!(ops[0].priority, Priority::Normal);
        // Between two classes it keeps its own when it is one of them.
        mv(&mut ops, 2, |o| Place::After(id(o, 1)));
        assert_eq!(seqs(&ops), [3, 1, 2]);
        assert_eq!(ops[1].priority, Priority::Normal);
    }

    #[test]
    fn a_gap_used_up_spreads_the_class_again() {
        let mut ops: Vec<Snapshot> = (0..4).map(|n| op(n, Priority::Normal)).collect();
        let mut spread = false;
        // Seq 0 ranks 0: the first move to the front already finds no room.
        for round in 0..80 {
            let seq = if round % 2 == 0 { 3 } else { 2 };
            let before = ordered(&ops)[0].id;
            let id = id(&ops, seq);
            let planned = plan(&ordered(&ops), id, Place::Before(before), ceiling(&ops))
                .unwrap()
                .expect("it moves");
            spread |= !planned.renumbered.is_empty();
            apply(&mut ops, id, &planned);
            assert_eq!(ordered(&ops)[0].seq, seq, "round {round}");
        }
        assert!(spread, "eighty moves into one gap spread the ranks");
        ops.push(op(4, Priority::Normal));
        assert_eq!(ordered(&ops).last().unwrap().seq, 4);
    }

    #[test]
    fn only_waiting_operations_move() {
        let mut ops = vec![op(1, Priority::Normal), op(2, Priority::Normal)];
        ops[1].status = Status::Running;
        let queue = ordered(&ops);
        assert_eq!(
            plan(&queue, ops[1].id, Place::First, 1 << 40),
            Err(Refusal::NotWaiting)
        );
        assert_eq!(
            plan(&queue, ops[0].id, Place::Before(ops[1].id), 1 << 40),
            Err(Refusal::NoSuchNeighbour)
        );
    }
}
