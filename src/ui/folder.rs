//! A folder field: typed, or chosen in the system's picker when there is one
//! (a picker that answers nothing at once means there is none here, and the
//! field says to type the path).

use std::path::PathBuf;

use iced::widget::{button, column, row, text};
use iced::{Alignment, Element, Fill, Task};

use crate::i18n::{Tr, tr};
use crate::ui::theme;

#[derive(Debug)]
pub struct Folder {
    pub path: PathBuf,
    no_picker: bool,
}

#[derive(Clone, Debug)]
pub enum Message {
    Typed(String),
    Choose,
    Chosen(Option<PathBuf>),
    NoPicker,
    /// Enter in the field: the form it belongs to is sent.
    Submit,
}

impl Folder {
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            no_picker: false,
        }
    }

    /// `Message::Submit` is the parent's to act on.
    pub fn update(&mut self, message: Message) -> Task<Message> {
        match message {
            Message::Typed(typed) => self.path = PathBuf::from(typed),
            Message::Choose => {
                let dialog = rfd::AsyncFileDialog::new()
                    .set_directory(&self.path)
                    .pick_folder();
                return Task::perform(super::new_download::timed(dialog), |(picked, quick)| {
                    match picked {
                        None if quick => Message::NoPicker,
                        picked => Message::Chosen(picked.map(|h| h.path().to_owned())),
                    }
                });
            }
            Message::Chosen(Some(path)) => self.path = path,
            Message::NoPicker => self.no_picker = true,
            Message::Chosen(None) | Message::Submit => {}
        }
        Task::none()
    }

    pub fn view<'a>(&self, tr: &Tr) -> Element<'a, Message> {
        let field = row![
            text(tr!(tr, "download-folder")).size(14),
            theme::text_box("", &self.path.display().to_string())
                .on_input(Message::Typed)
                .on_submit(Message::Submit)
                .size(14)
                .width(Fill),
            button(text(tr!(tr, "download-choose-folder")).size(13))
                .style(theme::secondary)
                .on_press(Message::Choose),
        ]
        .spacing(8)
        .align_y(Alignment::Center);
        if self.no_picker {
            column![field, text(tr!(tr, "download-no-picker")).size(13)]
                .spacing(4)
                .into()
        } else {
            field.into()
        }
    }
}
