//! The transfer list: one row per operation (name, group, progress, speed, time
//! left, status in words, the actions that fit the status), tabs by state and a
//! group filter, a footer with the aggregate speed and the network's state. Only the rows in view are built, so the list stays
//! fluid with ten thousand operations.

use std::collections::HashMap;
use std::time::Instant;

use iced::widget::{Space, column, container, mouse_area, row, scrollable, text};
use iced::{Element, Fill, Length};

use ferry::engine::{Category, Event, NetworkState, OperationId, Snapshot, Status};

use super::form::Choice;
use super::selection::Selection;
use super::speed_history::SpeedHistory;
use crate::i18n::{Tr, tr};

pub mod actions;
pub mod choosing;
mod filters;
mod footer;
pub mod keyboard;
pub mod menu;
mod order;
pub mod pane;
pub mod sidebar;
mod toolbar;
mod view;

pub use self::actions::{RowAction, actions_for, fits};
pub use self::order::{QueueSpot, Sort};
use self::view::{empty_state, transfer_row};

/// The search box (Ctrl+F focuses it).
pub const SEARCH: &str = "transfers-search";

/// Height of one row, in logical pixels (fixed, so visible rows are computed).
pub const ROW_HEIGHT: f32 = 76.0;
/// The space between two rows' cards (inside [`ROW_HEIGHT`]).
pub const ROW_GAP: f32 = 6.0;
/// Rows built beyond the visible ones, above and below.
const OVERSCAN: usize = 3;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Filter {
    #[default]
    All,
    /// Not ended: running or waiting (the narrow window's tab).
    Active,
    /// Moving bytes now.
    Running,
    /// Not ended and not moving bytes: queued, paused, waiting for a network.
    Waiting,
    Completed,
    Failed,
}

impl Filter {
    fn keeps(self, status: Status) -> bool {
        match self {
            Self::All => true,
            Self::Active => !status.is_finished(),
            Self::Running => status == Status::Running,
            Self::Waiting => !status.is_finished() && status != Status::Running,
            Self::Completed => status == Status::Completed,
            Self::Failed => matches!(status, Status::Error | Status::Canceled),
        }
    }
}

#[derive(Clone, Debug)]
pub enum Message {
    /// Show only the operations of this tab.
    Filter(Filter),
    /// Show only the operations of this group (`None`: every group).
    Group(Choice<Option<String>>),
    /// Show only the operations of this category (`None`: every one).
    Category(Choice<Option<Category>>),
    /// Show only the operations whose name or address has these words.
    Search(String),
    /// Order the list.
    Sort(Choice<Sort>),
    /// The order the other way round.
    Reverse,
    /// Move the picked transfers in the queue.
    BatchPriority(Choice<ferry::engine::Priority>),
    /// Change when the picked transfers may use a metered network.
    BatchPolicy(Choice<ferry::config::Policy>),
    /// The speed limit of all transfers for this run (KiB/s, 0: none).
    Limit(Choice<u64>),
    /// What happens once every transfer is done.
    WhenDone(Choice<ferry::engine::WhenDone>),
    PauseAll,
    ResumeAll,
    /// A row's button was pressed.
    Row(OperationId, RowAction),
    /// A row was clicked (outside its buttons): pick it, with the modifiers held.
    Select(OperationId),
    /// Do this to every picked row it fits.
    Batch(RowAction),
    ClearSelection,
    /// The list scrolled or was resized.
    Scrolled(scrollable::Viewport),
    /// The pointer moved over the list (where a right click opens the menu).
    Pointer(iced::Point),
    /// A row was right-clicked: its menu.
    OpenMenu(OperationId),
    /// A choice in the open menu.
    Menu(menu::Entry),
    CloseMenu,
    /// Show or hide the details pane below the list.
    TogglePane,
    /// Hide or show the sidebar of a wide window.
    ToggleSidebar,
    /// The bar between the list and the pane was pressed: a drag starts.
    PaneDrag,
    /// The pointer moved while dragging it (the page's coordinates).
    PaneDragged(iced::Point),
    /// The drag ended.
    PaneDropped,
    /// Something done in the details pane.
    Pane(super::details::Message),
}

/// Every operation as the engine last reported it, in creation order.
#[derive(Debug, Default)]
pub struct Transfers {
    rows: Vec<Snapshot>,
    index: HashMap<OperationId, usize>,
    pub filter: Filter,
    /// Only this group's operations, when set.
    pub group: Option<String>,
    /// Only this category's operations, when set.
    pub category: Option<Category>,
    /// Words the name or address must have (any case), as typed.
    pub search: String,
    pub sort: Sort,
    /// The order runs the other way (Z to A, smallest first, newest first…).
    pub reversed: bool,
    /// The speed limit in force for all transfers, bytes per second.
    pub limit: Option<u64>,
    /// What happens once every transfer is done, as the agent has it.
    pub when_done: ferry::engine::WhenDone,
    /// The conditions the engine reports, for the footer.
    pub network: NetworkState,
    /// Visible part of the list: offset from the top and height.
    viewport: (f32, f32),
    /// The list's width, and where the pointer was last over it.
    width: f32,
    pointer: iced::Point,
    /// A row's menu, open where it was right-clicked.
    pub menu: Option<menu::Menu>,
    /// The window is wide enough for the sidebar.
    pub wide: bool,
    /// The window's width (the pane lays itself out by it).
    pub window_width: f32,
    /// The user hid the sidebar (a wide window then has the narrow one's
    /// filters above the list).
    pub sidebar_hidden: bool,
    /// The picked row's details show below the list.
    pub pane: bool,
    /// The share of the height the pane takes.
    pub pane_share: f32,
    /// The bar between list and pane is being dragged.
    drag: Option<pane::Drag>,
    /// The row Space and Delete act on, shown highlighted.
    pub selected: Option<OperationId>,
    /// A line for the user above the list (an address that was already there).
    pub notice: Option<String>,
    /// Each transfer's speed lately, for the graph in details.
    pub speeds: SpeedHistory,
    /// Where the connections of each segmented download were at its last
    /// checkpoint, for its parts bar.
    pub fetching: HashMap<OperationId, Vec<u64>>,
    /// The rows picked to act on together.
    pub selection: Selection,
    /// The keyboard modifiers held now (a click with Ctrl or Shift).
    pub modifiers: iced::keyboard::Modifiers,
    /// A batch Cancel or Remove asked once: the same again does it.
    pub batch_asked: Option<RowAction>,
}

impl Transfers {
    pub fn new(mut rows: Vec<Snapshot>) -> Self {
        rows.sort_by_key(|s| s.seq);
        let mut transfers = Self {
            rows,
            viewport: (0.0, 900.0),
            width: 900.0,
            window_width: 980.0,
            pane_share: pane::DEFAULT_SHARE,
            ..Self::default()
        };
        transfers.reindex();
        transfers
    }

    /// Every operation, in creation order.
    pub fn rows(&self) -> &[Snapshot] {
        &self.rows
    }

    pub fn get(&self, id: OperationId) -> Option<&Snapshot> {
        self.index.get(&id).map(|&i| &self.rows[i])
    }

    /// Replace everything (after a resync).
    pub fn reset(&mut self, rows: Vec<Snapshot>) {
        let mut fresh = Self::new(rows);
        fresh.filter = self.filter;
        fresh.group = self.group.take();
        fresh.category = self.category;
        fresh.search = std::mem::take(&mut self.search);
        fresh.sort = self.sort;
        fresh.reversed = self.reversed;
        fresh.limit = self.limit;
        fresh.network = self.network;
        fresh.viewport = self.viewport;
        fresh.width = self.width;
        fresh.wide = self.wide;
        fresh.window_width = self.window_width;
        fresh.sidebar_hidden = self.sidebar_hidden;
        fresh.pane = self.pane;
        fresh.pane_share = self.pane_share;
        fresh.pointer = self.pointer;
        fresh.menu = self.menu.filter(|m| fresh.index.contains_key(&m.id));
        fresh.selected = self.selected.filter(|id| fresh.index.contains_key(id));
        fresh.notice = self.notice.take();
        fresh.speeds = std::mem::take(&mut self.speeds);
        fresh.selection = std::mem::take(&mut self.selection);
        fresh.modifiers = self.modifiers;
        *self = fresh;
    }

    /// Apply one engine event. Returns false for `Resync`: the caller must
    /// read the whole list again.
    pub fn apply(&mut self, event: &Event) -> bool {
        match event {
            Event::Added { snapshot } | Event::StatusChanged { snapshot } => {
                // No connection works on a transfer that stopped.
                if snapshot.status != Status::Running {
                    self.fetching.remove(&snapshot.id);
                }
                self.upsert((**snapshot).clone());
            }
            Event::Progress {
                id,
                bytes,
                total,
                speed,
                eta_secs,
            } => {
                if let Some(&i) = self.index.get(id) {
                    let row = &mut self.rows[i];
                    row.bytes = *bytes;
                    row.total = total.or(row.total);
                    row.speed = *speed;
                    row.eta_secs = *eta_secs;
                    self.speeds.record(*id, *speed, Instant::now());
                }
            }
            Event::Parts {
                id,
                segments,
                fetching,
            } => {
                if let Some(&i) = self.index.get(id) {
                    self.rows[i].segments.clone_from(segments);
                    self.fetching.insert(*id, fetching.clone());
                }
            }
            Event::Removed { id } => {
                self.speeds.forget(*id);
                self.fetching.remove(id);
                self.selection.forget(*id);
                if self.menu.is_some_and(|m| m.id == *id) {
                    self.menu = None;
                }
                if self.selected == Some(*id) {
                    self.selected = None;
                }
                if self.index.remove(id).is_some() {
                    self.rows.retain(|s| s.id != *id);
                    self.reindex();
                }
            }
            Event::NetworkChanged { state } => self.network = *state,
            Event::GroupChanged { .. } => {}
            Event::Resync => return false,
        }
        true
    }

    fn upsert(&mut self, snapshot: Snapshot) {
        match self.index.get(&snapshot.id) {
            Some(&i) => self.rows[i] = snapshot,
            None => {
                // New operations come last (creation order) nearly always.
                let at = self.rows.partition_point(|s| s.seq < snapshot.seq);
                self.rows.insert(at, snapshot);
                self.reindex();
            }
        }
    }

    fn reindex(&mut self) {
        self.index = self
            .rows
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id, i))
            .collect();
    }

    pub fn update(&mut self, message: &Message) {
        match message {
            Message::Filter(filter) => self.filter = *filter,
            Message::Group(choice) => self.group.clone_from(&choice.value),
            Message::Category(choice) => self.category = choice.value,
            Message::Search(words) => self.search.clone_from(words),
            Message::Sort(choice) => self.sort = choice.value,
            Message::Reverse => self.reversed = !self.reversed,
            Message::Scrolled(viewport) => {
                self.viewport = (viewport.absolute_offset().y, viewport.bounds().height);
                self.width = viewport.bounds().width;
                self.menu = None;
            }
            Message::Pointer(at) => self.pointer = *at,
            Message::OpenMenu(id) => {
                self.menu = Some(menu::Menu {
                    id: *id,
                    at: self.pointer,
                    lit: None,
                });
                self.selected = Some(*id);
            }
            Message::CloseMenu | Message::Menu(..) => self.menu = None,
            Message::TogglePane => self.pane = !self.pane,
            Message::ToggleSidebar => self.sidebar_hidden = !self.sidebar_hidden,
            Message::PaneDrag => self.start_drag(),
            Message::PaneDragged(at) => self.drag_to(*at),
            Message::PaneDropped => self.drag = None,
            Message::Select(id) => {
                let shown: Vec<OperationId> = self.shown().iter().map(|s| s.id).collect();
                self.selection.click(*id, self.modifiers, &shown);
                self.selected = Some(*id);
                self.batch_asked = None;
            }
            Message::ClearSelection => {
                self.selection.clear();
                self.batch_asked = None;
            }
            Message::Row(..)
            | Message::Batch(..)
            | Message::BatchPriority(..)
            | Message::BatchPolicy(..)
            | Message::Limit(..)
            | Message::WhenDone(..)
            | Message::PauseAll
            | Message::ResumeAll
            | Message::Pane(..) => {}
        }
    }

    /// The picked rows that `keep` keeps.
    pub fn picked_where(&self, keep: impl Fn(&Snapshot) -> bool) -> Vec<OperationId> {
        self.selection
            .ids()
            .into_iter()
            .filter(|id| self.get(*id).is_some_and(&keep))
            .collect()
    }

    /// What details show of a transfer's last moments: its speed, and where
    /// its connections are.
    pub fn lately(&self, id: OperationId) -> super::details::Lately<'_> {
        super::details::Lately {
            speeds: self.speeds.bars(id, Instant::now()),
            fetching: self.fetching.get(&id).map_or(&[], Vec::as_slice),
            queue: self.queue_spot(id),
        }
    }

    /// Ctrl+A: every row shown.
    pub fn select_all(&mut self) {
        let shown: Vec<OperationId> = self.shown().iter().map(|s| s.id).collect();
        self.selection.all(&shown);
    }

    pub fn view<'a>(&'a self, tr: &Tr) -> Element<'a, Message> {
        let shown = self.shown();
        let body: Element<'a, Message> = if self.rows.is_empty() {
            empty_state(tr)
        } else if shown.is_empty() {
            container(text(tr!(tr, "transfers-none-in-filter")).size(16))
                .center(Fill)
                .into()
        } else {
            self.visible_rows(tr, &shown)
        };
        // The notice goes below the list, so that rows never move under the
        // pointer when it appears (a second click on Cancel confirms). The
        // list keeps its place in the widget tree whatever comes and goes
        // around it (the batch bar, the pane): moved, it would lose its
        // scroll position.
        let mut head = column![self.toolbar(tr)].spacing(10);
        if let Some(bar) = actions::batch_bar(tr, self.selection.len()) {
            head = head.push(bar);
        }
        let (list_height, pane_height) = if self.pane {
            self.split()
        } else {
            (Fill, Fill)
        };
        let mut page = column![head, container(body).height(list_height)]
            .spacing(10)
            .height(Fill);
        if self.pane {
            page = page.push(column![self.handle(), self.pane(tr)].height(pane_height));
        }
        if let Some(notice) = &self.notice {
            page = page.push(text(notice).size(14).style(text::primary));
        }
        // Dragging the pane's bar: the pointer's moves over the page move it.
        let mut page = mouse_area(page);
        if self.drag.is_some() {
            page = page.on_move(Message::PaneDragged);
        }
        if self.has_sidebar() {
            let side = sidebar::view(self, tr);
            return column![row![side, page].spacing(16).height(Fill), self.footer(tr)]
                .spacing(10)
                .into();
        }
        column![page, self.footer(tr)].spacing(10).into()
    }

    /// Spacers stand for the rows out of view.
    fn visible_rows<'a>(&'a self, tr: &Tr, shown: &[&'a Snapshot]) -> Element<'a, Message> {
        let (offset, height) = self.viewport;
        let first = ((offset / ROW_HEIGHT) as usize)
            .saturating_sub(OVERSCAN)
            .min(shown.len());
        let count = (height / ROW_HEIGHT).ceil() as usize + 2 * OVERSCAN;
        let last = (first + count).min(shown.len());
        let mut list = column![Space::new().height(Length::Fixed(first as f32 * ROW_HEIGHT))];
        for snapshot in &shown[first..last] {
            let picked = self.selected == Some(snapshot.id) || self.selection.contains(snapshot.id);
            list = list.push(
                mouse_area(transfer_row(tr, snapshot, picked))
                    .on_press(Message::Select(snapshot.id))
                    .on_right_press(Message::OpenMenu(snapshot.id)),
            );
        }
        let below = (shown.len() - last) as f32 * ROW_HEIGHT;
        list = list.push(Space::new().height(Length::Fixed(below)));
        let list: Element<'a, Message> = mouse_area(
            scrollable(list.width(Fill))
                .id(keyboard::LIST)
                .direction(super::layout::beside())
                .on_scroll(Message::Scrolled)
                .height(Fill),
        )
        .on_move(Message::Pointer)
        .into();
        let mut layers = iced::widget::stack![list];
        if let Some((open, snapshot)) = self.menu.and_then(|m| Some((m, self.get(m.id)?))) {
            let entries = self.menu_entries(open.id).unwrap_or_default();
            let size = (self.width, self.viewport.1);
            for layer in menu::layers(tr, open, snapshot, &entries, size) {
                layers = layers.push(layer);
            }
        }
        layers.into()
    }

    /// The operations the tab, the category, the group and the search keep, in
    /// the order chosen.
    pub fn shown(&self) -> Vec<&Snapshot> {
        let search = order::Search::new(&self.search);
        let mut shown: Vec<&Snapshot> = self
            .rows
            .iter()
            .filter(|s| self.filter.keeps(s.status))
            .filter(|s| self.category.is_none_or(|c| s.category == c))
            .filter(|s| self.group.is_none() || s.group == self.group)
            .filter(|s| search.finds(s))
            .collect();
        order::sort(&mut shown, self.sort);
        if self.reversed {
            shown.reverse();
        }
        shown
    }

    /// Where a waiting transfer stands in the queue.
    pub fn queue_spot(&self, id: OperationId) -> Option<QueueSpot> {
        order::queue_spot(&self.rows, id)
    }

    /// The orders offered, in the screen's language.
    pub fn sort_choices(tr: &Tr) -> Vec<Choice<Sort>> {
        order::choices(tr)
    }
}
