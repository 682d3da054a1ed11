//! How one row of the list, a filter tab and the empty list look.

use iced::widget::{Space, button, column, container, progress_bar, row, text};
use iced::{Alignment, Element, Fill, Length};
use lucide_icons::Icon;

use ferry::engine::{Category, Kind, Snapshot, Status};

use super::actions::{RowAction, action_label, actions_for};
use super::{Filter, Message, ROW_GAP, ROW_HEIGHT};
use crate::i18n::{Tr, tr};
use crate::ui::format;
use crate::ui::theme::{self, size, space};

/// Room for a row's actions when they are icons (three at most), the same in
/// every row so that the progress bars line up. A row with a worded action
/// (Run anyway, Change address) takes what its words need.
const ACTIONS_WIDTH: f32 = 110.0;

pub(super) fn tab<'a>(label: String, filter: Filter, current: Filter) -> Element<'a, Message> {
    button(text(label).size(size::BODY))
        .style(theme::nav(filter == current))
        .padding([space::XS, space::M])
        .on_press(Message::Filter(filter))
        .into()
}

pub(super) fn empty_state<'a>(tr: &Tr) -> Element<'a, Message> {
    container(
        column![
            container(theme::icon(Icon::Download).size(32))
                .padding(space::L)
                .style(theme::badge(Category::Documents)),
            text(tr!(tr, "transfers-empty")).size(20),
            text(tr!(tr, "transfers-empty-hint"))
                .size(size::BODY)
                .style(theme::muted)
                .align_x(Alignment::Center),
        ]
        .spacing(space::S)
        .max_width(560)
        .align_x(Alignment::Center),
    )
    .center(Fill)
    .into()
}

/// The icon a row's button shows for an action.
pub(super) fn action_icon(action: RowAction) -> Icon {
    match action {
        RowAction::Pause => Icon::Pause,
        RowAction::Resume => Icon::Play,
        RowAction::Cancel => Icon::X,
        RowAction::Retry => Icon::RotateCw,
        RowAction::RunAnyway => Icon::Zap,
        RowAction::Open => Icon::ExternalLink,
        RowAction::ShowInFolder => Icon::FolderOpen,
        RowAction::Remove => Icon::Trash2,
        RowAction::Details => Icon::Info,
        RowAction::ChangeAddress => Icon::Link,
    }
}

/// What a row shows on the left: its kind of file (an upload, its arrow).
fn kind_badge<'a>(s: &Snapshot) -> Element<'a, Message> {
    let which = match s.kind {
        Kind::Upload => Icon::Upload,
        Kind::Download => theme::category_icon(s.category),
    };
    container(theme::icon(which).size(18))
        .center(Length::Fixed(36.0))
        .style(theme::badge(s.category))
        .into()
}

pub(super) fn transfer_row<'a>(tr: &Tr, s: &'a Snapshot, selected: bool) -> Element<'a, Message> {
    let fraction = match s.total {
        Some(0) => 1.0,
        Some(total) => (s.bytes as f64 / total as f64) as f32,
        None if s.status == Status::Completed => 1.0,
        None => 0.0,
    };
    let mut figures = format::progress(tr, s.bytes, s.total);
    if s.status == Status::Running {
        figures.push_str(" · ");
        figures.push_str(&format::speed(tr, s.speed));
        if let Some(eta) = s.eta_secs {
            figures.push_str(" · ");
            figures.push_str(&tr!(tr, "time-left", time = format::duration(tr, eta)));
        }
    }
    let name = button(text(format::name(tr, s)).size(size::HEADING))
        .style(button::text)
        .padding(0)
        .on_press(Message::Row(s.id, RowAction::Details));
    let mut heading = row![name, Space::new().width(Fill)]
        .spacing(space::S)
        .align_y(Alignment::Center);
    if let Some(group) = &s.group {
        heading = heading.push(
            row![
                theme::icon(Icon::Tag).size(size::SMALL),
                text(group).size(size::SMALL)
            ]
            .spacing(space::XS)
            .align_y(Alignment::Center),
        );
    }
    heading = heading.push(
        text(format::status(tr, s))
            .size(13)
            .style(theme::status_text(s.status)),
    );
    let info = column![
        heading,
        progress_bar(0.0..=1.0, fraction.clamp(0.0, 1.0))
            .girth(5)
            .style(theme::progress(s.status)),
        text(figures).size(size::SMALL).style(theme::muted),
    ]
    .spacing(space::XS)
    .width(Fill);
    // A fixed width keeps the progress bars of all rows aligned. The usual
    // actions are icons (their words in a tooltip and the right-click menu);
    // the two that get a stuck transfer going again keep their words.
    let worded =
        |action: &RowAction| matches!(action, RowAction::RunAnyway | RowAction::ChangeAddress);
    let width = if actions_for(s.status).iter().any(worded) {
        Length::Shrink
    } else {
        Length::Fixed(ACTIONS_WIDTH)
    };
    let mut actions = row![Space::new().width(Fill)]
        .spacing(2)
        .align_y(Alignment::Center)
        .width(width);
    for &action in actions_for(s.status) {
        let label = action_label(tr, action);
        let press = Message::Row(s.id, action);
        actions = actions.push(if worded(&action) {
            button(theme::labelled(action_icon(action), label))
                .style(theme::secondary)
                .padding([space::XS, space::S])
                .on_press(press)
                .into()
        } else {
            theme::icon_button(action_icon(action), label, press)
        });
    }
    let card = container(
        row![kind_badge(s), info, actions]
            .spacing(space::M)
            .align_y(Alignment::Center),
    )
    .padding([space::S, space::M])
    .height(Fill)
    .style(theme::card(selected));
    // The gap below is part of the row, so that every row is ROW_HEIGHT tall
    // and the list can tell which rows are in view.
    container(card)
        .padding(iced::Padding::ZERO.bottom(ROW_GAP))
        .height(Length::Fixed(ROW_HEIGHT))
        .into()
}
