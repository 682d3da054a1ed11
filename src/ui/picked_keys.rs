//! The keys that act on the picked transfers, one or several, as the buttons of
//! a row and of the batch bar do: Space gets them going or stops them, Delete
//! removes and Shift+Delete cancels (each asks once), Ctrl+P and Ctrl+M step
//! their priority and their policy on metered networks.

use super::*;

impl App {
    /// Space: stop what may run; else resume what is paused; else retry what
    /// failed. On several picked rows, each the step fits.
    pub(super) fn space_on_picked(&mut self) {
        use RowAction::{Pause, Resume, Retry};
        if self.transfers.selection.len() > 1 {
            let fits_one = |action| {
                !self
                    .transfers
                    .picked_where(|s| transfers::fits(action, s.status))
                    .is_empty()
            };
            if let Some(action) = [Pause, Resume, Retry].into_iter().find(|a| fits_one(*a)) {
                self.batch(action);
            }
            return;
        }
        let Some(s) = self
            .transfers
            .selected
            .and_then(|id| self.transfers.get(id))
        else {
            return;
        };
        let id = s.id;
        let fitting = [Pause, Resume, Retry]
            .into_iter()
            .find(|a| transfers::actions_for(s.status).contains(a));
        if let Some(action) = fitting {
            self.row_action(id, action);
        }
    }

    /// Delete removes, Shift+Delete cancels the picked rows (several: the
    /// batch's, asked once; one: the row's).
    pub(super) fn delete_on_picked(&mut self, cancel: bool) -> Task<Message> {
        if self.transfers.selection.len() > 1 {
            let action = if cancel {
                RowAction::Cancel
            } else {
                RowAction::Remove
            };
            let fitting = self
                .transfers
                .picked_where(|s| transfers::fits(action, s.status));
            if fitting.is_empty() && !cancel {
                // Remove takes ended transfers only (as the batch bar's):
                // say how to end them rather than do nothing.
                self.transfers.notice = Some(tr!(self.tr, "notice-cancel-first"));
            } else {
                self.batch(action);
            }
            return Task::none();
        }
        if !cancel {
            self.delete_selected();
            return Task::none();
        }
        match self.transfers.selected {
            Some(id)
                if self
                    .transfers
                    .get(id)
                    .is_some_and(|s| transfers::fits(RowAction::Cancel, s.status)) =>
            {
                self.transfers_message(&transfers::Message::Row(id, RowAction::Cancel))
            }
            _ => Task::none(),
        }
    }

    /// Ctrl+P: the priority after (`back`: before) the first picked row's, for
    /// every picked row that has not ended.
    pub(super) fn step_priority(&mut self, back: bool) -> Task<Message> {
        let Some(current) = self.first_picked().map(|s| s.priority) else {
            return Task::none();
        };
        let choices = transfers::actions::priority_choices(&self.tr);
        match transfers::choosing::next(choices, &current, back) {
            Some(choice) => self.transfers_message(&transfers::Message::BatchPriority(choice)),
            None => Task::none(),
        }
    }

    /// Ctrl+M: the policy on metered networks after (`back`: before) the first
    /// picked row's, for every picked row that has not ended.
    pub(super) fn step_policy(&mut self, back: bool) -> Task<Message> {
        let Some(current) = self.first_picked().map(|s| config::Policy::from(s.policy)) else {
            return Task::none();
        };
        let choices = new_download::policy_choices(&self.tr);
        match transfers::choosing::next(choices, &current, back) {
            Some(choice) => self.transfers_message(&transfers::Message::BatchPolicy(choice)),
            None => Task::none(),
        }
    }

    /// The first picked row that has not ended, in the list's order.
    fn first_picked(&self) -> Option<&Snapshot> {
        let picked = self.transfers.picked_where(|s| !s.status.is_finished());
        self.transfers
            .shown()
            .into_iter()
            .find(|s| picked.contains(&s.id))
    }
}
