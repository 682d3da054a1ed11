//! The keyboard shortcuts, listed on a screen of their own (F1, or the "?"
//! button): every action of the list and the forms can be reached without the
//! mouse, and this is where a user finds how.

use iced::widget::{button, column, container, row, text};
use iced::{Element, Length};

use super::layout;
use crate::i18n::{Tr, tr};

#[derive(Debug, Clone, Copy)]
pub enum Message {
    Back,
}

/// The keys (as the user's keyboard names them) and what each does, in the
/// screen's language.
pub fn lines(tr: &Tr) -> Vec<(String, String)> {
    let same = |keys: &str| keys.to_owned();
    vec![
        (same("Ctrl+N"), tr!(tr, "shortcut-new-download")),
        (same("Ctrl+U"), tr!(tr, "shortcut-new-upload")),
        (same("Ctrl+V"), tr!(tr, "shortcut-paste")),
        (same("Ctrl+F"), tr!(tr, "shortcut-search")),
        (same("Ctrl+A"), tr!(tr, "shortcut-select-all")),
        (same("Ctrl+I"), tr!(tr, "shortcut-pane")),
        (same("Ctrl+B"), tr!(tr, "shortcut-sidebar")),
        (tr!(tr, "keys-ctrl-click"), tr!(tr, "shortcut-pick-one")),
        (tr!(tr, "keys-shift-click"), tr!(tr, "shortcut-pick-range")),
        (tr!(tr, "keys-arrows"), tr!(tr, "shortcut-arrows")),
        (
            tr!(tr, "keys-shift-arrows"),
            tr!(tr, "shortcut-shift-arrows"),
        ),
        (tr!(tr, "keys-enter"), tr!(tr, "shortcut-details")),
        (tr!(tr, "keys-menu"), tr!(tr, "shortcut-menu")),
        (tr!(tr, "keys-alt-arrows"), tr!(tr, "shortcut-move")),
        (same("Ctrl+1 … Ctrl+5"), tr!(tr, "shortcut-states")),
        (same("Ctrl+O"), tr!(tr, "shortcut-order")),
        (same("Ctrl+R"), tr!(tr, "shortcut-reverse")),
        (same("Ctrl+K"), tr!(tr, "shortcut-kind")),
        (same("Ctrl+G"), tr!(tr, "shortcut-group")),
        (same("Ctrl+L"), tr!(tr, "shortcut-limit")),
        (same("Ctrl+D"), tr!(tr, "shortcut-when-done")),
        (same("Ctrl+,"), tr!(tr, "shortcut-settings")),
        (tr!(tr, "keys-space"), tr!(tr, "shortcut-pause-resume")),
        (tr!(tr, "keys-delete"), tr!(tr, "shortcut-remove")),
        (tr!(tr, "keys-shift-delete"), tr!(tr, "shortcut-cancel")),
        (same("Ctrl+P"), tr!(tr, "shortcut-priority")),
        (same("Ctrl+M"), tr!(tr, "shortcut-policy")),
        (tr!(tr, "keys-escape"), tr!(tr, "shortcut-escape")),
        (tr!(tr, "keys-tab"), tr!(tr, "shortcut-tab")),
        (tr!(tr, "keys-ctrl-enter"), tr!(tr, "shortcut-send")),
        (same("Ctrl+Q"), tr!(tr, "shortcut-quit")),
        (same("F1"), tr!(tr, "shortcut-help")),
    ]
}

pub fn view<'a>(tr: &Tr) -> Element<'a, Message> {
    let mut table = column![text(tr!(tr, "shortcuts-title")).size(20)].spacing(8);
    for (keys, what) in lines(tr) {
        table = table.push(
            row![
                container(text(keys).size(14).font(iced::Font::MONOSPACE))
                    .width(Length::Fixed(190.0)),
                text(what).size(14),
            ]
            .spacing(12),
        );
    }
    let back = button(text(tr!(tr, "back")))
        .style(super::theme::secondary)
        .on_press(Message::Back);
    layout::form_with_actions(table, back)
}
