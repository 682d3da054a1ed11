//! The keyboard: shortcuts (Ctrl+N, Ctrl+U, Ctrl+A, Ctrl+F, Ctrl+V, Escape,
//! Space, Delete, Tab, Enter, F1; listed for the user in `shortcuts.rs`)
//! and the ask-once confirmations of Delete and Cancel.

use super::*;

impl App {
    pub(super) fn key(
        &mut self,
        key: &keyboard::Key,
        modifiers: keyboard::Modifiers,
    ) -> Task<Message> {
        use keyboard::key::Named;
        match key.as_ref() {
            keyboard::Key::Character("n") if modifiers.command() => {
                return self.open_new_download();
            }
            keyboard::Key::Character("u") if modifiers.command() => return self.open_upload(),
            keyboard::Key::Character("a")
                if modifiers.command() && matches!(self.screen, Screen::Transfers) =>
            {
                self.transfers.select_all();
            }
            keyboard::Key::Character("f")
                if modifiers.command() && matches!(self.screen, Screen::Transfers) =>
            {
                return iced::widget::operation::focus(transfers::SEARCH);
            }
            keyboard::Key::Character("i")
                if modifiers.command() && matches!(self.screen, Screen::Transfers) =>
            {
                return self.transfers_message(&transfers::Message::TogglePane);
            }
            // Addresses pasted on the list: the new-download form, with them in.
            keyboard::Key::Character("v")
                if modifiers.command() && matches!(self.screen, Screen::Transfers) =>
            {
                let open = self.open_new_download();
                let paste = iced::clipboard::read()
                    .map(|text| Message::NewDownload(new_download::Message::Pasted(text)));
                return Task::batch([open, paste]);
            }
            keyboard::Key::Named(Named::F1) => {
                return self.update(if matches!(self.screen, Screen::Shortcuts) {
                    Message::Shortcuts(shortcuts::Message::Back)
                } else {
                    Message::OpenShortcuts
                });
            }
            keyboard::Key::Character("q") if modifiers.command() => {
                return self.update(Message::Quit);
            }
            keyboard::Key::Named(Named::Space) if matches!(self.screen, Screen::Transfers) => {
                if let Some(s) = self
                    .transfers
                    .selected
                    .and_then(|id| self.transfers.get(id))
                {
                    let action = if s.status.is_paused() {
                        RowAction::Resume
                    } else {
                        RowAction::Pause
                    };
                    if transfers::actions_for(s.status).contains(&action) {
                        self.row_action(s.id, action);
                    }
                }
            }
            keyboard::Key::Named(Named::Delete) if matches!(self.screen, Screen::Transfers) => {
                self.delete_selected();
            }
            keyboard::Key::Named(Named::Tab) if !matches!(self.screen, Screen::Transfers) => {
                return if modifiers.shift() {
                    iced::widget::operation::focus_previous()
                } else {
                    iced::widget::operation::focus_next()
                };
            }
            keyboard::Key::Named(Named::Enter) if modifiers.command() => {
                // Ctrl+Enter sends the form (Enter makes a new line of addresses).
                return match &self.screen {
                    Screen::NewDownload(_) => {
                        self.new_download_message(new_download::Message::Submit)
                    }
                    Screen::Upload(_) => self.upload_message(upload::Message::Submit),
                    _ => Task::none(),
                };
            }
            // Escape leaves a screen, but not a form with something in it: the
            // Escape may have been meant for an open list, and the form's Back
            // button is there to leave it (keeping it as a draft).
            keyboard::Key::Named(Named::Escape) => {
                let filled = match &self.screen {
                    Screen::NewDownload(state) => state.is_filled(),
                    Screen::Upload(state) => state.is_filled(),
                    _ => false,
                };
                if matches!(self.screen, Screen::Transfers) && self.transfers.menu.is_some() {
                    self.transfers.menu = None;
                } else if matches!(self.screen, Screen::Transfers) {
                    self.transfers.selection.clear();
                    self.transfers.batch_asked = None;
                } else if !filled {
                    self.leave_screen();
                }
            }
            _ => {}
        }
        Task::none()
    }

    /// Delete asks first: the row's name in the notice line, and a second Delete
    /// on the same row removes it.
    pub(super) fn delete_selected(&mut self) {
        let Some(id) = self.transfers.selected else {
            return;
        };
        if self.asked.take() == Some((id, RowAction::Remove)) {
            self.transfers.notice = None;
            self.transfers.selected = None;
            self.row_action(id, RowAction::Remove);
            return;
        }
        if let Some(row) = self.transfers.get(id) {
            self.asked = Some((id, RowAction::Remove));
            self.transfers.notice = Some(tr!(
                self.tr,
                "notice-delete-again",
                name = format::name(&self.tr, row)
            ));
        }
    }

    /// Cancel throws away what was transferred (the partial file, an upload's
    /// session), so with something to lose it asks first: the notice says how
    /// much, and a second Cancel on the same row (the button did not move) does it.
    pub(super) fn ask_before_cancel(&mut self, id: OperationId) {
        let Some(row) = self.transfers.get(id) else {
            return;
        };
        if row.bytes == 0 {
            self.row_action(id, RowAction::Cancel);
            return;
        }
        self.asked = Some((id, RowAction::Cancel));
        self.transfers.notice = Some(tr!(
            self.tr,
            "notice-cancel-again",
            name = format::name(&self.tr, row),
            size = format::size(&self.tr, row.bytes)
        ));
    }
}
