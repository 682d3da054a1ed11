//! The menu a right click on a row opens, where the pointer is: what the row's
//! buttons do, and what has no room on the row (copy the address, move in the
//! queue, a speed limit of its own, details). A click anywhere else, Escape or
//! a choice closes it. The Menu key opens it too; the arrows then light an
//! entry and Enter chooses it.

use iced::widget::{
    Space, button, column, container, mouse_area, opaque, pick_list, pin, row, text,
};
use iced::{Element, Fill, Point};

use ferry::engine::{OperationId, Snapshot, Status};

use super::order::QueueSpot;

use super::Message;
use super::actions::{RowAction, action_label, actions_for};
use crate::i18n::{Tr, tr};
use crate::ui::form::Choice;
use crate::ui::theme;
use lucide_icons::Icon;

/// Room the menu needs at most, to keep it inside the list near its edges.
const WIDTH: f32 = 260.0;
const ENTRY_HEIGHT: f32 = 30.0;

/// An open menu: for which row, where (in the list's coordinates), and the
/// entry the keyboard lit (Enter chooses it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Menu {
    pub id: OperationId,
    pub at: Point,
    pub lit: Option<usize>,
}

/// What the menu offers.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    /// What one of the row's buttons does (or Open, Show in folder, Details).
    Row(RowAction),
    CopyAddress,
    /// One place up or down in the queue.
    MoveUp,
    MoveDown,
    /// Its own speed limit (KiB/s, 0: none).
    Limit(Choice<u64>),
}

/// The entries for a row in this state and at this place in the queue, in order.
pub fn entries(s: &Snapshot, queue: Option<QueueSpot>) -> Vec<Entry> {
    let mut entries: Vec<Entry> = actions_for(s.status)
        .iter()
        .map(|action| Entry::Row(*action))
        .collect();
    // A new address for a download that is not running nor ended (paused,
    // failed, waiting): its link moved, or the user found a mirror.
    let takes_address = s.kind == ferry::engine::Kind::Download
        && !matches!(
            s.status,
            Status::Running | Status::Completed | Status::Canceled
        );
    if takes_address && !entries.contains(&Entry::Row(RowAction::ChangeAddress)) {
        entries.push(Entry::Row(RowAction::ChangeAddress));
    }
    entries.push(Entry::CopyAddress);
    if let Some(spot) = queue {
        if spot.before.is_some() {
            entries.push(Entry::MoveUp);
        }
        if spot.after.is_some() {
            entries.push(Entry::MoveDown);
        }
    }
    entries.push(Entry::Row(RowAction::Details));
    entries
}

fn label(tr: &Tr, entry: &Entry) -> String {
    match entry {
        Entry::Row(action) => action_label(tr, *action),
        Entry::CopyAddress => tr!(tr, "menu-copy-address"),
        Entry::MoveUp => tr!(tr, "menu-move-up"),
        Entry::MoveDown => tr!(tr, "menu-move-down"),
        Entry::Limit(choice) => choice.label.clone(),
    }
}

/// The layers to put over the list: one that closes the menu on a click
/// elsewhere, then the menu at `menu.at` kept inside `size` (the list's width
/// and height). Pushed onto the stack the list always sits in: a list whose
/// place in the widget tree changed would lose its scroll position (and its
/// reset would close the menu at once).
pub fn layers<'a>(
    tr: &Tr,
    menu: Menu,
    s: &Snapshot,
    entries: &[Entry],
    size: (f32, f32),
) -> [Element<'a, Message>; 2] {
    let mut items = column![].spacing(2).width(WIDTH);
    for (index, entry) in entries.iter().enumerate() {
        let lit = menu.lit == Some(index);
        let which = match entry {
            Entry::Row(action) => super::view::action_icon(*action),
            Entry::CopyAddress => Icon::Copy,
            Entry::MoveUp => Icon::ArrowUp,
            Entry::MoveDown => Icon::ArrowDown,
            Entry::Limit(_) => Icon::Gauge,
        };
        items = items.push(
            button(
                row![theme::icon(which).size(13), text(label(tr, entry)).size(13)]
                    .spacing(theme::space::S)
                    .align_y(iced::Alignment::Center),
            )
            .style(theme::nav(lit))
            .width(Fill)
            .on_press(Message::Menu(entry.clone())),
        );
    }
    let mut height = entries.len() as f32 * ENTRY_HEIGHT;
    if !s.status.is_finished() {
        let kib = s.limit.map_or(0, |bytes| bytes / 1024);
        let limits = crate::ui::settings::limits(tr, kib);
        let current = limits.iter().find(|c| c.value == kib).cloned();
        items = items.push(
            row![
                text(tr!(tr, "menu-limit")).size(13),
                pick_list(limits, current, |choice| Message::Menu(Entry::Limit(
                    choice
                )))
                .text_size(13)
                .style(theme::choice),
            ]
            .spacing(6)
            .padding([2, 10])
            .align_y(iced::Alignment::Center),
        );
        height += ENTRY_HEIGHT + 8.0;
    }
    let panel = container(items).padding(4).style(theme::tip);
    let x = menu.at.x.min(size.0 - WIDTH - 12.0).max(0.0);
    let y = menu.at.y.min(size.1 - height - 12.0).max(0.0);
    [
        mouse_area(Space::new().width(Fill).height(Fill))
            .on_press(Message::CloseMenu)
            .on_right_press(Message::CloseMenu)
            .into(),
        pin(opaque(panel)).x(x).y(y).into(),
    ]
}
