//! "Change address…": a download whose link expired continues from a new
//! address, once Ferry has checked that it serves the same file. When it serves
//! another file, the user may start over from it.

use iced::widget::{Space, button, column, row, text};
use iced::{Element, Fill};

use ferry::engine::OperationId;

use crate::i18n::{Tr, tr};
use crate::ui::theme;

/// The address field (focused on open).
pub const URL: &str = "change-address-url";

#[derive(Debug)]
pub struct State {
    pub id: OperationId,
    name: String,
    url: String,
    /// Why the last address was refused, in the user's words.
    pub problem: Option<String>,
    /// Asked, not answered yet (the check goes over the network).
    checking: bool,
    /// The address was refused as another file: starting over from it is offered.
    other_file: bool,
}

#[derive(Clone, Debug)]
pub enum Message {
    UrlChanged(String),
    Submit,
    /// Download the new address's file from the start instead.
    StartOver,
    Close,
}

/// What the parent must do after an update.
pub enum Action {
    None,
    /// Ask the engine to continue `id` from this address.
    Refresh(OperationId, String),
    /// Ask the engine to start `id` over from this address.
    StartOver(OperationId, String),
    Close,
}

impl State {
    pub fn new(id: OperationId, name: String) -> Self {
        Self {
            id,
            name,
            url: String::new(),
            problem: None,
            checking: false,
            other_file: false,
        }
    }

    pub fn update(&mut self, message: Message) -> Action {
        match message {
            Message::UrlChanged(url) => {
                self.url = url;
                self.problem = None;
                self.other_file = false;
                Action::None
            }
            Message::Submit if self.url.trim().is_empty() || self.checking => Action::None,
            Message::Submit => {
                self.checking = true;
                self.problem = None;
                Action::Refresh(self.id, self.url.trim().to_owned())
            }
            Message::StartOver if self.checking || !self.other_file => Action::None,
            Message::StartOver => {
                self.checking = true;
                self.problem = None;
                Action::StartOver(self.id, self.url.trim().to_owned())
            }
            Message::Close => Action::Close,
        }
    }

    /// The engine refused the address; `other_file`: because it serves
    /// another file (then starting over from it is offered).
    pub fn refused(&mut self, reason: String, other_file: bool) {
        self.checking = false;
        self.problem = Some(reason);
        self.other_file = other_file;
    }

    pub fn view(&self, tr: &Tr) -> Element<'_, Message> {
        let submit = button(text(tr!(tr, "change-address-continue"))).on_press_maybe(
            (!self.url.trim().is_empty() && !self.checking).then_some(Message::Submit),
        );
        let mut page = column![
            text(tr!(tr, "change-address-title", name = self.name.clone())).size(22),
            text(tr!(tr, "change-address-explain")).size(14),
            theme::text_box("https://…", &self.url)
                .id(URL)
                .on_input(Message::UrlChanged)
                .on_submit(Message::Submit),
            row![
                button(text(tr!(tr, "back")))
                    .style(theme::secondary)
                    .on_press(Message::Close),
                Space::new().width(Fill),
                submit,
            ],
        ]
        .spacing(12)
        .max_width(720);
        if self.checking {
            page = page.push(text(tr!(tr, "change-address-checking")).size(14));
        }
        if let Some(problem) = &self.problem {
            page = page.push(text(problem.clone()).size(14).style(text::danger));
        }
        if self.other_file {
            page = page.push(text(tr!(tr, "change-address-other-file")).size(14));
            page = page.push(
                button(text(tr!(tr, "change-address-start-over")))
                    .style(theme::danger)
                    .on_press(Message::StartOver),
            );
        }
        page.into()
    }
}
