//! The keyboard: shortcuts (Ctrl+N, Ctrl+U, Ctrl+A, Ctrl+F, Ctrl+V, Ctrl+,,
//! Escape, Space, Delete, Tab, Enter, F1, the arrows, Alt+arrows and the Menu
//! key on the list, Ctrl+1… and the choosing keys of `transfers::choosing`;
//! listed for the user in `shortcuts.rs`) and the ask-once confirmations of
//! Delete and Cancel.

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
            // Addresses pasted on the list (or details, settings, the
            // shortcuts: wherever no field took the paste and no form is open):
            // the new-download form, with them in.
            keyboard::Key::Character("v")
                if modifiers.command()
                    && matches!(
                        self.screen,
                        Screen::Transfers
                            | Screen::Details(_)
                            | Screen::Settings(_)
                            | Screen::Shortcuts
                    ) =>
            {
                return self.paste_addresses();
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
            keyboard::Key::Character(",") if modifiers.command() => {
                return self.update(Message::OpenSettings);
            }
            keyboard::Key::Character(c)
                if modifiers.command() && matches!(self.screen, Screen::Transfers) =>
            {
                return self.list_command(c, modifiers.shift());
            }
            keyboard::Key::Named(Named::Space) if matches!(self.screen, Screen::Transfers) => {
                self.space_on_picked();
            }
            keyboard::Key::Named(Named::Delete) if matches!(self.screen, Screen::Transfers) => {
                return self.delete_on_picked(modifiers.shift());
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
            keyboard::Key::Named(Named::Escape) => self.escape(),
            // Last: the keys above (Escape, Tab…) keep their meaning.
            keyboard::Key::Named(named) if matches!(self.screen, Screen::Transfers) => {
                return self.list_key(named, modifiers);
            }
            _ => {}
        }
        Task::none()
    }

    /// The new-download form with the clipboard's addresses in it.
    fn paste_addresses(&mut self) -> Task<Message> {
        let open = self.open_new_download();
        let paste = iced::clipboard::read()
            .map(|text| Message::NewDownload(new_download::Message::Pasted(text)));
        Task::batch([open, paste])
    }

    /// Escape leaves a screen, but not a form with something in it: the
    /// Escape may have been meant for an open list, and the form's Back
    /// button is there to leave it (keeping it as a draft). On the list it
    /// closes the menu, else lets go of the picked rows.
    fn escape(&mut self) {
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

    /// Ctrl with a letter or a digit on the list (Ctrl+N, U, V, Q and , are
    /// the window's, handled before).
    fn list_command(&mut self, c: &str, shift: bool) -> Task<Message> {
        let message = match c.to_lowercase().as_str() {
            "a" => {
                self.transfers.select_all();
                return Task::none();
            }
            "f" => return iced::widget::operation::focus(transfers::SEARCH),
            "p" => return self.step_priority(shift),
            "m" => return self.step_policy(shift),
            "i" => Some(transfers::Message::TogglePane),
            "b" if self.transfers.wide => Some(transfers::Message::ToggleSidebar),
            _ => self.list_choice_key(c, shift),
        };
        match message {
            Some(message) => self.transfers_message(&message),
            None => Task::none(),
        }
    }

    /// Ctrl+1… shows a state; Ctrl+R reverses the order; Ctrl+O, K, G, L, D
    /// step through the orders, the kinds of file, the groups, the speed limit
    /// and the when-done (`back`, with Shift: backwards).
    fn list_choice_key(&self, c: &str, back: bool) -> Option<transfers::Message> {
        use transfers::choosing::Choosing;
        if let Ok(digit) = c.parse::<usize>() {
            return self.transfers.state_key(digit);
        }
        if c.eq_ignore_ascii_case("r") {
            return Some(transfers::Message::Reverse);
        }
        let what = match c.to_lowercase().as_str() {
            "o" => Choosing::Order,
            "k" => Choosing::Kind,
            "g" => Choosing::Group,
            "l" => Choosing::Limit,
            "d" => Choosing::WhenDone,
            _ => return None,
        };
        self.transfers.next_choice(&self.tr, what, back)
    }

    /// The list's own keys: move the picked row, open its menu or details,
    /// and in the open menu move and choose.
    fn list_key(
        &mut self,
        key: keyboard::key::Named,
        modifiers: keyboard::Modifiers,
    ) -> Task<Message> {
        use keyboard::key::Named;
        use transfers::keyboard::{LIST, Step};
        let menu_open = self.transfers.menu.is_some();
        let step = match key {
            Named::ArrowUp | Named::ArrowDown if menu_open => {
                self.transfers.step_menu(key == Named::ArrowDown);
                return Task::none();
            }
            Named::Enter if menu_open => {
                return match self.transfers.lit_entry() {
                    Some(entry) => self.transfers_message(&transfers::Message::Menu(entry)),
                    None => Task::none(),
                };
            }
            Named::ArrowUp | Named::ArrowDown | Named::Home | Named::End if modifiers.alt() => {
                use super::rows::QueueMove;
                let to = match key {
                    Named::ArrowUp => QueueMove::Up,
                    Named::ArrowDown => QueueMove::Down,
                    Named::Home => QueueMove::First,
                    _ => QueueMove::Last,
                };
                return match self.transfers.selected {
                    Some(id) => self.move_in_queue(id, to),
                    None => Task::none(),
                };
            }
            Named::Enter => {
                if let Some(id) = self.transfers.selected {
                    self.row_action(id, RowAction::Details);
                }
                return Task::none();
            }
            Named::ContextMenu => {
                self.transfers.open_menu_at_row();
                return Task::none();
            }
            Named::F10 if modifiers.shift() => {
                self.transfers.open_menu_at_row();
                return Task::none();
            }
            Named::ArrowUp => Step::Up,
            Named::ArrowDown => Step::Down,
            Named::PageUp => Step::PageUp,
            Named::PageDown => Step::PageDown,
            Named::Home => Step::First,
            Named::End => Step::Last,
            _ => return Task::none(),
        };
        match self.transfers.step(step, modifiers.shift()) {
            Some(offset) => iced::widget::operation::scroll_to(LIST, offset),
            None => Task::none(),
        }
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
