//! Layout pieces every screen shares.

use iced::widget::scrollable::{Direction, Scrollbar};
use iced::widget::{column, container, scrollable};
use iced::{Element, Fill};

/// The widest a form grows: fields stay readable on a large window.
const FORM_WIDTH: f32 = 720.0;

/// A vertical scrollbar beside the content (it takes its own room) instead of
/// over it, where it would hide the last button of a row or a field's end.
pub fn beside() -> Direction {
    Direction::Vertical(Scrollbar::new().spacing(4))
}

/// A form that scrolls when the window is too small for it, so its buttons stay
/// reachable at any size.
pub fn scrolling_form<'a, M: 'a>(form: impl Into<Element<'a, M>>) -> Element<'a, M> {
    scrollable(container(form).max_width(FORM_WIDTH))
        .direction(beside())
        .width(Fill)
        .height(Fill)
        .into()
}

/// A long form that scrolls above its buttons, which stay in view.
pub fn form_with_actions<'a, M: 'a>(
    form: impl Into<Element<'a, M>>,
    actions: impl Into<Element<'a, M>>,
) -> Element<'a, M> {
    column![
        scrolling_form(form),
        container(actions).max_width(FORM_WIDTH)
    ]
    .spacing(10)
    .into()
}
