//! The details pane below the list, and the bar between them that a drag moves
//! (the share is remembered with the window's size).

use iced::widget::{Space, container, mouse_area, text};
use iced::{Element, Fill, FillPortion, Length, Point, mouse};

use super::{Message, Transfers};
use crate::i18n::{Tr, tr};
use crate::ui::theme::{self, size, space};

/// The share of the list and pane's height the pane takes at first.
pub const DEFAULT_SHARE: f32 = 0.4;
/// The least and most it may take: neither the list nor the pane vanishes.
const SHARES: std::ops::RangeInclusive<f32> = 0.2..=0.75;
/// How tall the bar between them is.
const HANDLE: f32 = 8.0;
/// A pane narrower than this puts the activity under the facts: two columns
/// would leave each value a few words wide.
const NARROW: f32 = 760.0;

/// A drag of the bar under way: where it started and the share then.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Drag {
    from_y: Option<f32>,
    share: f32,
    /// How tall the list and the pane are together.
    together: f32,
}

/// A share within bounds (a broken file's NaN is the default).
pub fn clamp_share(share: f32) -> f32 {
    if share.is_finite() {
        share.clamp(*SHARES.start(), *SHARES.end())
    } else {
        DEFAULT_SHARE
    }
}

impl Transfers {
    /// The heights of the list and the pane, as portions of what they share.
    pub(super) fn split(&self) -> (Length, Length) {
        let pane = (self.pane_share * 1000.0) as u16;
        (FillPortion(1000 - pane), FillPortion(pane))
    }

    /// The bar was pressed: a drag starts. The list's height in view and its
    /// share tell how tall both are together.
    pub(super) fn start_drag(&mut self) {
        self.drag = Some(Drag {
            from_y: None,
            share: self.pane_share,
            together: self.viewport.1 / (1.0 - self.pane_share).max(0.01) + HANDLE,
        });
    }

    /// The pointer moved to `at` (the page's coordinates) while dragging: the
    /// pane grows as much as the bar went up (the first move is where it starts).
    pub(super) fn drag_to(&mut self, at: Point) {
        let Some(drag) = self.drag.as_mut() else {
            return;
        };
        let from = *drag.from_y.get_or_insert(at.y);
        if drag.together > 1.0 {
            self.pane_share = clamp_share(drag.share + (from - at.y) / drag.together);
        }
    }

    /// Between the list and the pane: the bar a drag moves.
    pub(super) fn handle<'a>(&self) -> Element<'a, Message> {
        let dragging = self.drag.is_some();
        mouse_area(
            container(
                container(Space::new().width(48).height(3))
                    .style(move |theme| theme::grip(theme, dragging)),
            )
            .center_x(Fill)
            .center_y(Length::Fixed(HANDLE)),
        )
        .interaction(mouse::Interaction::ResizingVertically)
        .on_press(Message::PaneDrag)
        .into()
    }

    /// How wide the pane is: the window's width but its margins and the
    /// sidebar's.
    fn pane_width(&self) -> f32 {
        let sidebar = if self.has_sidebar() {
            super::sidebar::WIDTH + 16.0
        } else {
            0.0
        };
        self.window_width - 2.0 * space::L - sidebar
    }

    /// Below the list: the picked row's details, or how to get them.
    pub(super) fn pane<'a>(&'a self, tr: &Tr) -> Element<'a, Message> {
        let content: Element<'a, Message> = match self.selected.and_then(|id| self.get(id)) {
            Some(s) => {
                let lately = self.lately(s.id);
                use crate::ui::details::Place;
                let place = if self.pane_width() < NARROW {
                    Place::NarrowPane
                } else {
                    Place::Pane
                };
                crate::ui::details::view(tr, s, &lately, place).map(Message::Pane)
            }
            None => container(
                text(tr!(tr, "pane-pick-a-row"))
                    .size(size::BODY)
                    .style(theme::muted),
            )
            .center(Fill)
            .into(),
        };
        container(content)
            .padding(space::M)
            .width(Fill)
            .height(Fill)
            .style(theme::panel)
            .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_stay_within_bounds() {
        assert_eq!(clamp_share(0.05), 0.2);
        assert_eq!(clamp_share(0.9), 0.75);
        assert_eq!(clamp_share(0.5), 0.5);
        assert_eq!(clamp_share(f32::NAN), DEFAULT_SHARE);
    }
}
