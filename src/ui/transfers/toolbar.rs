//! Above the list: the filters when there is no sidebar (tabs and pick lists),
//! the search box, the order and its direction, Pause all and Resume all, and
//! the toggles of the details pane and the sidebar.

use iced::widget::{pick_list, row, text_input};
use iced::{Alignment, Element, Length};
use lucide_icons::Icon;

use super::view::tab;
use super::{Message, SEARCH, Transfers, choosing, sidebar};
use crate::i18n::{Tr, tr};
use crate::ui::theme::{self, size, space};

impl Transfers {
    /// The sidebar shows: the window is wide enough and the user keeps it.
    pub fn has_sidebar(&self) -> bool {
        self.wide && !self.sidebar_hidden
    }

    /// Above the list: the filters of a narrow window, the search box, the
    /// order, Pause all and Resume all.
    pub(super) fn toolbar<'a>(&'a self, tr: &Tr) -> Element<'a, Message> {
        // A wide window has the filters in the sidebar; a narrow one, above
        // the list.
        let tabs = if self.has_sidebar() {
            row![]
        } else {
            choosing::TABS
                .into_iter()
                .fold(row![].spacing(space::XS), |tabs, filter| {
                    tabs.push(tab(sidebar::label(tr, filter), filter, self.filter))
                })
        };
        let sorts = Self::sort_choices(tr);
        let sort = sorts.iter().find(|c| c.value == self.sort).cloned();
        let mut tabs = row![
            tabs,
            text_input(&tr!(tr, "search-placeholder"), &self.search)
                .id(SEARCH)
                .on_input(Message::Search)
                .icon(text_input::Icon {
                    font: theme::ICON_FONT,
                    code_point: char::from(Icon::Search),
                    size: Some(size::BODY.into()),
                    spacing: space::S,
                    side: text_input::Side::Left,
                })
                .size(size::BODY)
                .padding([space::XS + 1.0, space::S])
                .style(theme::field)
                .width(Length::Fixed(220.0)),
            pick_list(sorts, sort, Message::Sort)
                .text_size(size::BODY)
                .style(theme::choice),
            theme::toggle(
                if self.reversed {
                    Icon::ArrowUpNarrowWide
                } else {
                    Icon::ArrowDownWideNarrow
                },
                tr!(tr, "sort-reverse"),
                self.reversed,
                Message::Reverse,
            ),
        ]
        .spacing(space::S)
        .align_y(Alignment::Center);
        let categories = self.category_choices(tr);
        if !self.has_sidebar() && (categories.len() > 2 || self.category.is_some()) {
            let selected = categories
                .iter()
                .find(|c| c.value == self.category)
                .cloned();
            tabs = tabs.push(
                pick_list(categories, selected, Message::Category)
                    .text_size(size::BODY)
                    .style(theme::choice),
            );
        }
        let groups = self.group_choices(tr);
        if !self.has_sidebar() && groups.len() > 1 {
            let selected = groups.iter().find(|c| c.value == self.group).cloned();
            tabs = tabs.push(
                pick_list(groups, selected, Message::Group)
                    .text_size(size::BODY)
                    .style(theme::choice),
            );
        }
        if !self.rows.is_empty() {
            for (which, label, message) in [
                (
                    Icon::CirclePause,
                    tr!(tr, "tray-pause-all"),
                    Message::PauseAll,
                ),
                (
                    Icon::CirclePlay,
                    tr!(tr, "tray-resume-all"),
                    Message::ResumeAll,
                ),
            ] {
                // Icons, their words in a tooltip: with the words, French
                // wrapped the toolbar at the default width.
                tabs = tabs.push(theme::icon_button(which, label, message));
            }
        }
        for toggle in self.toggles(tr) {
            tabs = tabs.push(toggle);
        }
        tabs.wrap().vertical_spacing(6).into()
    }

    /// The toggles of the details pane and (in a wide window) the sidebar.
    fn toggles<'a>(&self, tr: &Tr) -> Vec<Element<'a, Message>> {
        let words = if self.pane {
            tr!(tr, "pane-hide")
        } else {
            tr!(tr, "pane-show")
        };
        let mut toggles = vec![theme::toggle(
            Icon::PanelBottom,
            words,
            self.pane,
            Message::TogglePane,
        )];
        if self.wide {
            let words = if self.sidebar_hidden {
                tr!(tr, "sidebar-show")
            } else {
                tr!(tr, "sidebar-hide")
            };
            toggles.push(theme::toggle(
                Icon::PanelLeft,
                words,
                !self.sidebar_hidden,
                Message::ToggleSidebar,
            ));
        }
        toggles
    }
}
