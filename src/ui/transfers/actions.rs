//! What a row's buttons ask for, which fit a status, and the bar that acts on
//! many picked rows at once.

use iced::widget::{Space, button, container, pick_list, row, text};
use iced::{Alignment, Element, Fill};

use ferry::config::Policy;
use ferry::engine::{Priority, Status};

use super::Message;
use crate::i18n::{Tr, tr};
use crate::ui::form::Choice;
use crate::ui::theme;

/// What a row's buttons ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowAction {
    Pause,
    Resume,
    Cancel,
    /// Start a failed or canceled operation again.
    Retry,
    /// Let an operation waiting for an unmetered network (or the end of the power
    /// saver) run now: its policy becomes `Always`.
    RunAnyway,
    Open,
    ShowInFolder,
    Remove,
    Details,
    /// Give a download that waits for a new address one.
    ChangeAddress,
}

/// What the batch bar offers; each applies to the picked rows it fits.
const BATCH_ACTIONS: [RowAction; 5] = [
    RowAction::Pause,
    RowAction::Resume,
    RowAction::Retry,
    RowAction::Cancel,
    RowAction::Remove,
];

/// Whether `action` fits a row in `status` (the batch skips the rows it does not).
pub fn fits(action: RowAction, status: Status) -> bool {
    match action {
        // Pause fits wherever it may still run (queued, waiting for a network).
        RowAction::Pause => !status.is_settled() && status != Status::PausedByApplication,
        _ => actions_for(status).contains(&action),
    }
}

/// The buttons that make sense for a status.
pub fn actions_for(status: Status) -> &'static [RowAction] {
    use RowAction::*;
    match status {
        Status::Idle | Status::Running => &[Pause, Cancel],
        Status::PausedByApplication | Status::PausedNoNetwork => &[Resume, Cancel],
        Status::PausedCostedNetwork | Status::PausedSystemPolicy | Status::PausedBySchedule => {
            &[RunAnyway, Pause, Cancel]
        }
        // Two buttons, to fit a narrow window in French; `ferry resume` still
        // tries the old address again.
        Status::NeedsNewAddress => &[ChangeAddress, Cancel],
        Status::Completed => &[Open, ShowInFolder, Remove],
        // Remove is never where Cancel was: a second click on the same spot
        // must not throw the transfer away.
        Status::Canceled | Status::Error => &[Remove, Retry],
    }
}

pub(super) fn action_label(tr: &Tr, action: RowAction) -> String {
    match action {
        RowAction::Pause => tr!(tr, "action-pause"),
        RowAction::Resume => tr!(tr, "action-resume"),
        RowAction::Cancel => tr!(tr, "action-cancel"),
        RowAction::ChangeAddress => tr!(tr, "action-change-address"),
        RowAction::Retry => tr!(tr, "action-retry"),
        RowAction::RunAnyway => tr!(tr, "action-run-anyway"),
        RowAction::Open => tr!(tr, "action-open"),
        RowAction::ShowInFolder => tr!(tr, "action-show-in-folder"),
        RowAction::Remove => tr!(tr, "action-remove"),
        RowAction::Details => tr!(tr, "action-details"),
    }
}

/// The bar of actions on the `picked` rows, when more than one is picked.
pub(super) fn batch_bar<'a>(tr: &Tr, picked: usize) -> Option<Element<'a, Message>> {
    if picked < 2 {
        return None;
    }
    let mut bar = row![
        text(tr!(tr, "batch-selected", count = picked)).size(14),
        Space::new().width(8),
    ]
    .spacing(6)
    .align_y(Alignment::Center);
    for action in BATCH_ACTIONS {
        bar = bar.push(
            button(theme::labelled(
                super::view::action_icon(action),
                action_label(tr, action),
            ))
            .style(theme::secondary)
            .padding([theme::space::XS, theme::space::S])
            .on_press(Message::Batch(action)),
        );
    }
    // Where they stand in the queue, and whether they may use a metered
    // network: a pick list each, nothing picked (it is a command, not a state).
    bar = bar.push(
        pick_list(
            priority_choices(tr),
            None::<Choice<Priority>>,
            Message::BatchPriority,
        )
        .placeholder(tr!(tr, "batch-priority"))
        .text_size(12)
        .style(theme::choice),
    );
    bar = bar.push(
        pick_list(
            crate::ui::new_download::policy_choices(tr),
            None::<Choice<Policy>>,
            Message::BatchPolicy,
        )
        .placeholder(tr!(tr, "batch-policy"))
        .text_size(12)
        .style(theme::choice),
    );
    bar = bar.push(
        button(text(tr!(tr, "batch-clear")).size(12))
            .style(theme::ghost)
            .on_press(Message::ClearSelection),
    );
    // Wrapped: a narrow window puts the buttons on a second line.
    Some(
        container(bar.wrap().vertical_spacing(6))
            .padding([4, 8])
            .width(Fill)
            .style(theme::panel)
            .into(),
    )
}

/// The priorities, highest first, in the screen's language.
pub fn priority_choices(tr: &Tr) -> Vec<Choice<Priority>> {
    [Priority::High, Priority::Normal, Priority::Low]
        .into_iter()
        .map(|priority| Choice {
            value: priority,
            label: match priority {
                Priority::High => tr!(tr, "priority-high"),
                Priority::Normal => tr!(tr, "priority-normal"),
                Priority::Low => tr!(tr, "priority-low"),
            },
        })
        .collect()
}
