//! The list's order and its search: which rows the search box keeps, and how
//! the rows are sorted.

use std::cmp::Reverse;

use ferry::engine::{OperationId, Priority, Snapshot, Status, queue};

use crate::i18n::{Tr, tr};
use crate::ui::form::Choice;

/// The order of the list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sort {
    /// As they were added, oldest first.
    #[default]
    Added,
    /// By name, A to Z (case and accents as written).
    Name,
    /// Largest first (unknown sizes last).
    Size,
    /// Running, then waiting, paused, needing the user, failed, done.
    Status,
    /// Running, then the waiting ones as they will start, then the ended ones.
    Queue,
}

impl Sort {
    const ALL: [Self; 5] = [
        Self::Added,
        Self::Queue,
        Self::Name,
        Self::Size,
        Self::Status,
    ];
}

/// Where a status sorts: what moves first, what is over last.
fn status_rank(status: Status) -> u8 {
    match status {
        Status::Running => 0,
        Status::Idle => 1,
        Status::PausedNoNetwork
        | Status::PausedCostedNetwork
        | Status::PausedSystemPolicy
        | Status::PausedBySchedule => 2,
        Status::PausedByApplication => 3,
        Status::NeedsNewAddress => 4,
        Status::Error => 5,
        Status::Canceled => 6,
        Status::Completed => 7,
    }
}

/// The orders offered, in the screen's language.
pub(super) fn choices(tr: &Tr) -> Vec<Choice<Sort>> {
    Sort::ALL
        .into_iter()
        .map(|sort| Choice {
            value: sort,
            label: match sort {
                Sort::Added => tr!(tr, "sort-added"),
                Sort::Name => tr!(tr, "sort-name"),
                Sort::Size => tr!(tr, "sort-size"),
                Sort::Status => tr!(tr, "sort-status"),
                Sort::Queue => tr!(tr, "sort-queue"),
            },
        })
        .collect()
}

/// Put `rows` in `sort`'s order (stable: rows that tie keep the order added).
pub(super) fn sort(rows: &mut [&Snapshot], sort: Sort) {
    match sort {
        Sort::Added => {}
        Sort::Name => rows.sort_by_cached_key(|s| s.display_name().to_lowercase()),
        Sort::Size => rows.sort_by_key(|s| Reverse(s.total)),
        Sort::Status => rows.sort_by_key(|s| status_rank(s.status)),
        Sort::Queue => rows.sort_by_key(|s| {
            let after_all = (Reverse(Priority::Low), u64::MAX, u64::MAX);
            match s.status {
                Status::Running => (0, after_all),
                status if queue::is_queued(status) => (1, s.queue_key()),
                _ => (2, after_all),
            }
        }),
    }
}

/// Where a waiting transfer stands in the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueSpot {
    /// The waiting transfer just before it, and just after it.
    pub before: Option<OperationId>,
    pub after: Option<OperationId>,
    /// Its place, from 1, among `of` waiting.
    pub place: usize,
    pub of: usize,
}

/// Where `id` stands in the queue of `rows`, if it waits (one pass, no sort:
/// the menu asks while it is open).
pub fn queue_spot(rows: &[Snapshot], id: OperationId) -> Option<QueueSpot> {
    let me = rows.iter().find(|s| s.id == id)?;
    if !queue::is_queued(me.status) {
        return None;
    }
    let mine = me.queue_key();
    let mut spot = QueueSpot {
        before: None,
        after: None,
        place: 1,
        of: 0,
    };
    let (mut before, mut after) = (None, None);
    for s in rows.iter().filter(|s| queue::is_queued(s.status)) {
        spot.of += 1;
        let key = s.queue_key();
        if key < mine {
            spot.place += 1;
            if before.is_none_or(|(k, _)| key > k) {
                before = Some((key, s.id));
            }
        } else if key > mine && after.is_none_or(|(k, _)| key < k) {
            after = Some((key, s.id));
        }
    }
    spot.before = before.map(|(_, id)| id);
    spot.after = after.map(|(_, id)| id);
    Some(spot)
}

/// The words typed in the search box, any case.
pub(super) struct Search {
    words: Vec<String>,
}

impl Search {
    pub(super) fn new(typed: &str) -> Self {
        Self {
            words: typed.split_whitespace().map(str::to_lowercase).collect(),
        }
    }

    /// Every word is in the row's name or its address (nothing typed: all rows).
    pub(super) fn finds(&self, s: &Snapshot) -> bool {
        if self.words.is_empty() {
            return true;
        }
        let name = s.display_name().to_lowercase();
        let url = s.url.to_lowercase();
        self.words
            .iter()
            .all(|w| name.contains(w) || url.contains(w))
    }
}
