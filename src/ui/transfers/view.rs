//! How one row of the list, a filter tab and the empty list look.

use iced::widget::{Space, button, column, container, progress_bar, row, text};
use iced::{Alignment, Element, Fill, Length};

use ferry::engine::{Snapshot, Status};

use super::actions::{RowAction, action_label, actions_for};
use super::{Filter, Message, ROW_HEIGHT};
use crate::i18n::{Tr, tr};
use crate::ui::format;

pub(super) fn tab<'a>(label: String, filter: Filter, current: Filter) -> Element<'a, Message> {
    let style = if filter == current {
        button::primary
    } else {
        button::secondary
    };
    button(text(label).size(14))
        .style(style)
        .on_press(Message::Filter(filter))
        .into()
}

pub(super) fn empty_state<'a>(tr: &Tr) -> Element<'a, Message> {
    container(
        column![
            text(tr!(tr, "transfers-empty")).size(20),
            text(tr!(tr, "transfers-empty-hint")).size(14),
        ]
        .spacing(8)
        .align_x(Alignment::Center),
    )
    .center(Fill)
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
    let name = button(text(format::name(tr, s)).size(15))
        .style(button::text)
        .padding(0)
        .on_press(Message::Row(s.id, RowAction::Details));
    let mut heading = row![name, Space::new().width(Fill)]
        .spacing(8)
        .align_y(Alignment::Center);
    if let Some(group) = &s.group {
        heading = heading.push(text(group).size(12).style(text::secondary));
    }
    heading = heading.push(text(format::status(tr, s)).size(13));
    let info = column![
        heading,
        progress_bar(0.0..=1.0, fraction.clamp(0.0, 1.0)).girth(6),
        text(figures).size(12),
    ]
    .spacing(4)
    .width(Fill);
    // A fixed width keeps the progress bars of all rows aligned.
    let mut actions = row![Space::new().width(Fill)]
        .spacing(4)
        .width(Length::Fixed(280.0));
    for &action in actions_for(s.status) {
        actions = actions.push(
            button(text(action_label(tr, action)).size(12))
                .style(button::secondary)
                .on_press(Message::Row(s.id, action)),
        );
    }
    let row = container(row![info, actions].spacing(12).align_y(Alignment::Center))
        .padding([6, 4])
        .height(Length::Fixed(ROW_HEIGHT));
    if selected {
        row.style(container::rounded_box).into()
    } else {
        row.into()
    }
}
