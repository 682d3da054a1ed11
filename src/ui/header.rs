//! The bar at the top of every screen: the app's name, New download, New
//! upload, Settings and the shortcuts.

use iced::widget::{Space, button, row, text};
use iced::{Element, Fill};
use lucide_icons::Icon;

use super::{App, Message, theme};
use crate::i18n::tr;

impl App {
    pub(super) fn header(&self) -> Element<'_, Message> {
        let tr = &self.tr;
        row![
            theme::icon(Icon::Ship)
                .size(theme::size::TITLE)
                .style(|t: &iced::Theme| text::Style {
                    color: Some(t.extended_palette().primary.base.color)
                }),
            text(tr!(tr, "app-title")).size(theme::size::TITLE),
            Space::new().width(Fill),
            button(theme::labelled(
                Icon::Download,
                tr!(tr, "action-new-download")
            ))
            .style(theme::primary)
            .padding([6, 14])
            .on_press(Message::OpenNewDownload),
            self.header_button(
                Icon::Upload,
                tr!(tr, "action-new-upload"),
                Message::OpenUpload
            ),
            self.header_button(
                Icon::Settings,
                tr!(tr, "action-settings"),
                Message::OpenSettings
            ),
            theme::icon_button(
                Icon::CircleHelp,
                tr!(tr, "shortcuts-tooltip"),
                Message::OpenShortcuts
            ),
        ]
        .spacing(theme::space::S)
        .align_y(iced::Alignment::Center)
        .into()
    }

    /// A button of the header: icon and words in a wide window, the icon alone
    /// (its words in a tooltip) in a narrow one, where French words overflow.
    fn header_button<'a>(
        &self,
        which: Icon,
        words: String,
        press: Message,
    ) -> Element<'a, Message> {
        if !self.transfers.wide {
            return theme::icon_button(which, words, press);
        }
        button(theme::labelled(which, words))
            .style(theme::secondary)
            .padding([6, 14])
            .on_press(press)
            .into()
    }
}
