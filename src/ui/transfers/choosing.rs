//! The list's choices from the keyboard: Ctrl+1… shows a state (the sidebar's
//! entries, or a narrow window's tabs), and one key each steps through the
//! order, the kinds of file, the groups, the speed limit and what happens
//! when all is done (with Shift, backwards). Each gives the message the
//! mouse's choice would, so both take one path.

use super::{Filter, Message, Transfers, sidebar};
use crate::i18n::Tr;
use crate::ui::form::Choice;

/// A narrow window's tabs (the sidebar shows [`sidebar::STATES`]).
pub const TABS: [Filter; 4] = [
    Filter::All,
    Filter::Active,
    Filter::Completed,
    Filter::Failed,
];

/// What a choosing key steps through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Choosing {
    Order,
    Kind,
    Group,
    Limit,
    WhenDone,
}

/// The choice after (`back`: before) the one equal to `current`, wrapping; the
/// first when none is.
pub fn next<T: PartialEq>(choices: Vec<Choice<T>>, current: &T, back: bool) -> Option<Choice<T>> {
    let count = choices.len();
    let here = choices.iter().position(|c| c.value == *current);
    let to = match (here, back) {
        (None, _) => 0,
        (Some(i), false) => (i + 1) % count.max(1),
        (Some(i), true) => (i + count - 1) % count,
    };
    choices.into_iter().nth(to)
}

impl Transfers {
    /// The states the window offers now, in the order Ctrl+1… picks them.
    pub fn states_offered(&self) -> &'static [Filter] {
        if self.has_sidebar() {
            &sidebar::STATES
        } else {
            &TABS
        }
    }

    /// Ctrl+`digit`: the state at that place (1 is the first).
    pub fn state_key(&self, digit: usize) -> Option<Message> {
        let filter = *self.states_offered().get(digit.checked_sub(1)?)?;
        Some(Message::Filter(filter))
    }

    /// The next choice of `what`, as the message its pick list would send.
    pub fn next_choice(&self, tr: &Tr, what: Choosing, back: bool) -> Option<Message> {
        match what {
            Choosing::Order => next(Self::sort_choices(tr), &self.sort, back).map(Message::Sort),
            Choosing::Kind => {
                next(self.category_choices(tr), &self.category, back).map(Message::Category)
            }
            Choosing::Group => next(self.group_choices(tr), &self.group, back).map(Message::Group),
            Choosing::Limit => {
                let kib = self.limit.map_or(0, |bytes| bytes / 1024);
                next(crate::ui::settings::limits(tr, kib), &kib, back).map(Message::Limit)
            }
            Choosing::WhenDone => next(crate::ui::when_done::choices(tr), &self.when_done, back)
                .map(Message::WhenDone),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choices(values: &[u8]) -> Vec<Choice<u8>> {
        values
            .iter()
            .map(|v| Choice {
                value: *v,
                label: v.to_string(),
            })
            .collect()
    }

    #[test]
    fn steps_wrap_both_ways_and_start_at_the_first() {
        let value = |c: Option<Choice<u8>>| c.map(|c| c.value);
        assert_eq!(value(next(choices(&[1, 2, 3]), &2, false)), Some(3));
        assert_eq!(value(next(choices(&[1, 2, 3]), &3, false)), Some(1));
        assert_eq!(value(next(choices(&[1, 2, 3]), &1, true)), Some(3));
        assert_eq!(value(next(choices(&[1, 2, 3]), &9, true)), Some(1));
        assert_eq!(value(next(choices(&[]), &9, false)), None);
    }
}
