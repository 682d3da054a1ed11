//! The forms that add transfers, as the app drives them: opening the
//! new-download and upload forms (a half-filled one given back as it was
//! left), their messages, asking what an address serves, creating what they
//! make, and a file dropped on the window.

use super::*;

impl App {
    /// The new-download form, as it was left if it was left half filled, with
    /// the addresses box focused so typing goes there.
    pub(super) fn open_new_download(&mut self) -> Task<Message> {
        self.leave_screen();
        let focus = iced::widget::operation::focus(new_download::URLS);
        if let Some(draft) = self.drafts.download.take() {
            self.screen = Screen::NewDownload(draft);
            return focus;
        }
        let (state, task) =
            new_download::State::new(self.download_dir(), self.config.default_policy);
        self.screen = Screen::NewDownload(state);
        Task::batch([task.map(Message::NewDownload), focus])
    }

    /// The upload form, as it was left, its address field focused.
    pub(super) fn open_upload(&mut self) -> Task<Message> {
        self.leave_screen();
        let state = self
            .drafts
            .upload
            .take()
            .unwrap_or_else(|| upload::State::new(self.config.default_policy));
        self.screen = Screen::Upload(state);
        iced::widget::operation::focus(upload::URL)
    }

    /// Back to the list; a form with something in it is kept as a draft.
    pub(super) fn leave_screen(&mut self) {
        match std::mem::replace(&mut self.screen, Screen::Transfers) {
            Screen::NewDownload(state) if state.is_filled() && !state.submitting => {
                self.drafts.download = Some(state);
            }
            Screen::Upload(state) if state.is_filled() && !state.submitting => {
                self.drafts.upload = Some(state);
            }
            _ => {}
        }
    }

    pub(super) fn new_download_message(&mut self, message: new_download::Message) -> Task<Message> {
        let Screen::NewDownload(state) = &mut self.screen else {
            return Task::none();
        };
        let action = state.update(message, &self.tr);
        for request in state.take_checks() {
            self.check_address(request);
        }
        match action {
            new_download::Action::None => Task::none(),
            new_download::Action::Run(task) => task.map(Message::NewDownload),
            new_download::Action::Submit(requests) => {
                self.create(requests);
                Task::none()
            }
            new_download::Action::Close => {
                self.leave_screen();
                Task::none()
            }
        }
    }

    pub(super) fn upload_message(&mut self, message: upload::Message) -> Task<Message> {
        let Screen::Upload(state) = &mut self.screen else {
            return Task::none();
        };
        match state.update(message, &self.tr) {
            upload::Action::None => Task::none(),
            upload::Action::Run(task) => task.map(Message::Upload),
            upload::Action::Submit(requests) => {
                self.create(requests);
                Task::none()
            }
            upload::Action::Close => {
                self.leave_screen();
                Task::none()
            }
        }
    }

    /// Create every request in order; the first refusal stops the rest. A
    /// request for what is already in the list, unfinished, attaches to it.
    /// Ask the engine what a form's address serves; the answer comes back as
    /// [`Reply::Checked`].
    pub(super) fn check_address(&self, request: Request) {
        let engine = self.backend.engine.clone();
        self.backend.run(async move {
            let url = request.url.clone();
            let found = engine.inspect(request).await;
            Reply::Checked {
                url,
                found: found.map(Box::new).map_err(Arc::new),
            }
        });
    }

    pub(super) fn create(&self, requests: Vec<Request>) {
        let engine = self.backend.engine.clone();
        self.backend.run(async move {
            let mut attached = Vec::new();
            for request in requests {
                match engine.submit(request).await {
                    Ok(submitted) if submitted.attached => attached.push(submitted.snapshot.id),
                    Ok(_) => {}
                    Err(e) => return Reply::Refused(Arc::new(e)),
                }
            }
            Reply::Created { attached }
        });
    }

    /// Addresses that were already in the list: select the (first) row and say
    /// so, instead of a second copy.
    pub(super) fn show_attached(&mut self, attached: &[OperationId]) {
        let Some(first) = attached.first().and_then(|id| self.transfers.get(*id)) else {
            self.transfers.notice = None;
            return;
        };
        let notice = tr!(
            self.tr,
            "notice-already-in-list",
            name = format::name(&self.tr, first),
            count = attached.len()
        );
        self.transfers.selected = Some(first.id);
        self.transfers.filter = transfers::Filter::All;
        self.transfers.group = None;
        self.transfers.notice = Some(notice);
    }

    pub(super) fn file_dropped(&mut self, path: PathBuf) {
        if !matches!(self.screen, Screen::Upload(_)) {
            let _ = self.open_upload();
        }
        if let Screen::Upload(state) = &mut self.screen {
            let _ = state.update(upload::Message::FilesPicked(vec![path]), &self.tr);
        }
    }
}
