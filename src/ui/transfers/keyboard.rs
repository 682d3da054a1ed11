//! The list without a mouse: the arrows, Page Up/Down, Home and End move the
//! picked row (with Shift, the picked range grows, as Shift+click does), the
//! list scrolls to keep it in view; the Menu key or Shift+F10 opens its menu at
//! the row, where the arrows move and Enter chooses.

use iced::Point;
use iced::widget::scrollable::AbsoluteOffset;

use ferry::engine::OperationId;

use super::menu::{self, Menu};
use super::{ROW_HEIGHT, Transfers};

/// The list's scrollable, for keeping the picked row in view.
pub const LIST: &str = "transfers-list";

/// Where a key moves the picked row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Up,
    Down,
    PageUp,
    PageDown,
    First,
    Last,
}

impl Transfers {
    /// Move the picked row (`extend`: the picked range grows from where it
    /// started). The offset to scroll the list to, when the row left the view.
    pub fn step(&mut self, step: Step, extend: bool) -> Option<AbsoluteOffset> {
        let shown: Vec<OperationId> = self.shown().iter().map(|s| s.id).collect();
        let last = shown.len().checked_sub(1)?;
        let here = self
            .selected
            .and_then(|id| shown.iter().position(|s| *s == id));
        let page = ((self.viewport.1 / ROW_HEIGHT) as usize).max(1);
        let to = match (step, here) {
            (Step::First, _) | (Step::Down | Step::PageDown, None) => 0,
            (Step::Last, _) | (Step::Up | Step::PageUp, None) => last,
            (Step::Up, Some(i)) => i.saturating_sub(1),
            (Step::Down, Some(i)) => (i + 1).min(last),
            (Step::PageUp, Some(i)) => i.saturating_sub(page),
            (Step::PageDown, Some(i)) => (i + page).min(last),
        };
        let id = shown[to];
        let modifiers = if extend {
            iced::keyboard::Modifiers::SHIFT
        } else {
            iced::keyboard::Modifiers::empty()
        };
        self.selection.click(id, modifiers, &shown);
        self.selected = Some(id);
        self.menu = None;
        self.scroll_to_show(to)
    }

    /// The offset that brings row `index` into view, if it is out of it.
    fn scroll_to_show(&self, index: usize) -> Option<AbsoluteOffset> {
        let (offset, height) = self.viewport;
        let top = index as f32 * ROW_HEIGHT;
        let y = if top < offset {
            top
        } else if top + ROW_HEIGHT > offset + height {
            top + ROW_HEIGHT - height
        } else {
            return None;
        };
        Some(AbsoluteOffset { x: 0.0, y })
    }

    /// The Menu key: the picked row's menu, at the row, its first entry lit.
    pub fn open_menu_at_row(&mut self) {
        let Some(id) = self.selected else {
            return;
        };
        let shown = self.shown();
        let Some(index) = shown.iter().position(|s| s.id == id) else {
            return;
        };
        let y = index as f32 * ROW_HEIGHT - self.viewport.0 + ROW_HEIGHT / 2.0;
        self.menu = Some(Menu {
            id,
            at: Point::new(48.0, y.max(0.0)),
            lit: Some(0),
        });
    }

    /// An arrow while the menu is open: light the entry above or below.
    pub fn step_menu(&mut self, down: bool) {
        let Some(open) = self.menu else {
            return;
        };
        let Some(count) = self.menu_entries(open.id).map(|e| e.len()) else {
            return;
        };
        let lit = match (open.lit, down) {
            (None, true) => 0,
            (None, false) => count - 1,
            (Some(i), true) => (i + 1) % count,
            (Some(i), false) => (i + count - 1) % count,
        };
        self.menu = Some(Menu {
            lit: Some(lit),
            ..open
        });
    }

    /// What the menu of `id` offers.
    pub fn menu_entries(&self, id: OperationId) -> Option<Vec<menu::Entry>> {
        let s = self.get(id)?;
        Some(menu::entries(s, self.queue_spot(id)))
    }

    /// Enter in the open menu: its lit entry.
    pub fn lit_entry(&self) -> Option<menu::Entry> {
        let open = self.menu?;
        self.menu_entries(open.id)?.into_iter().nth(open.lit?)
    }
}
