//! The sidebar of a wide window: the list's states, kinds of file and groups,
//! each with how many transfers it holds; a click shows only those. A narrow
//! window keeps the same filters above the list (tabs and pick lists).

use iced::widget::{Space, button, column, container, row, scrollable, text};
use iced::{Alignment, Element, Fill, Length};
use lucide_icons::Icon;

use ferry::engine::Snapshot;

use super::{Filter, Message, Transfers};
use crate::i18n::{Tr, tr};
use crate::ui::form::Choice;
use crate::ui::format;
use crate::ui::theme::{self, size, space};

/// The window width from which the sidebar shows (below, the list needs the
/// room: a row's buttons take 280 px).
pub const FROM_WIDTH: f32 = 860.0;
pub const WIDTH: f32 = 200.0;

/// The states the sidebar offers, in order.
pub const STATES: [Filter; 5] = [
    Filter::All,
    Filter::Running,
    Filter::Waiting,
    Filter::Completed,
    Filter::Failed,
];

pub fn label(tr: &Tr, filter: Filter) -> String {
    match filter {
        Filter::All => tr!(tr, "filter-all"),
        Filter::Active => tr!(tr, "filter-active"),
        Filter::Running => tr!(tr, "filter-running"),
        Filter::Waiting => tr!(tr, "filter-waiting"),
        Filter::Completed => tr!(tr, "filter-completed"),
        Filter::Failed => tr!(tr, "filter-failed"),
    }
}

/// How many of `rows` each state holds, in the order of [`STATES`].
pub fn counts(rows: &[Snapshot]) -> [usize; 5] {
    STATES.map(|filter| rows.iter().filter(|s| filter.keeps(s.status)).count())
}

/// The icon beside a state.
fn state_icon(filter: Filter) -> Icon {
    match filter {
        Filter::All => Icon::List,
        Filter::Active | Filter::Running => Icon::Download,
        Filter::Waiting => Icon::Clock,
        Filter::Completed => Icon::CircleCheck,
        Filter::Failed => Icon::CircleAlert,
    }
}

/// One line: an icon, the label, its count on the right; tinted when in force.
fn entry<'a>(
    which: Icon,
    label: String,
    count: usize,
    on: bool,
    message: Message,
) -> Element<'a, Message> {
    button(
        row![
            theme::icon(which).size(size::BODY),
            text(label).size(size::BODY),
            Space::new().width(Fill),
            text(count.to_string()).size(size::SMALL),
        ]
        .spacing(space::S)
        .align_y(Alignment::Center),
    )
    .style(theme::nav(on))
    .width(Fill)
    .padding([space::XS + 1.0, space::S])
    .on_press(message)
    .into()
}

fn heading<'a>(label: String) -> Element<'a, Message> {
    container(text(label).size(size::SMALL).style(theme::muted))
        .padding([0.0, space::S])
        .into()
}

pub fn view<'a>(transfers: &Transfers, tr: &Tr) -> Element<'a, Message> {
    let mut side = column![].spacing(2).width(Length::Fixed(WIDTH));
    for (filter, count) in STATES.into_iter().zip(counts(&transfers.rows)) {
        side = side.push(entry(
            state_icon(filter),
            label(tr, filter),
            count,
            transfers.filter == filter,
            Message::Filter(filter),
        ));
    }
    let kinds = transfers.category_counts();
    if !kinds.is_empty() {
        side = side.push(Space::new().height(space::M));
        side = side.push(heading(tr!(tr, "sidebar-kinds")));
        for (category, count) in kinds {
            let on = transfers.category == Some(category);
            // A second click on the kind in force shows every kind again.
            let value = if on { None } else { Some(category) };
            side = side.push(entry(
                theme::category_icon(category),
                format::category(tr, category),
                count,
                on,
                Message::Category(Choice {
                    value,
                    label: String::new(),
                }),
            ));
        }
    }
    let groups = transfers.group_counts();
    if !groups.is_empty() {
        side = side.push(Space::new().height(space::M));
        side = side.push(heading(tr!(tr, "sidebar-groups")));
        for (name, count) in groups {
            let on = transfers.group.as_ref() == Some(name);
            let value = if on { None } else { Some(name.clone()) };
            side = side.push(entry(
                Icon::Tag,
                name.clone(),
                count,
                on,
                Message::Group(Choice {
                    value,
                    label: String::new(),
                }),
            ));
        }
    }
    container(
        scrollable(side)
            .direction(crate::ui::layout::beside())
            .height(Fill),
    )
    .padding(space::S)
    .style(theme::panel)
    .into()
}
