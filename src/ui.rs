//! The desktop app: an iced daemon (it lives on with no window) in the agent's
//! process. `App` owns the screens and dispatches; each screen has its own state,
//! messages and view. Engine commands go through [`backend::Backend`], whose
//! answers and the engine's events come back as messages.

pub mod advanced;
pub mod backend;
pub mod details;
pub mod form;
pub mod format;
pub mod launch;
pub mod layout;
pub mod new_download;
pub mod settings;
pub mod transfers;
pub mod upload;

#[cfg(test)]
mod tests;

use std::path::PathBuf;
use std::sync::Arc;

use iced::widget::{Space, button, column, container, row, text};
use iced::{Element, Fill, Subscription, Task, keyboard, window};
use tokio::sync::Notify;

use ferry::config::{self, Config};
use ferry::engine::{OperationId, Request, Snapshot};

use crate::i18n::{Tr, tr};
use crate::platform;
use crate::platform::notify::{Finished, Notifier, Words};
use crate::platform::tray::{self, Tray};
use backend::{Backend, Feedback};
use transfers::{RowAction, Transfers};

/// What an engine command, or the agent around the app, reports back.
#[derive(Clone, Debug)]
pub enum Reply {
    /// A form's requests were accepted: the ids of those that were already in
    /// the list, unfinished (attached to, not created again).
    Created { attached: Vec<OperationId> },
    /// A command on existing operations was carried out.
    Done,
    /// Open or Show in folder could not (no program, the file gone).
    OpenFailed { name: String, reason: String },
    /// The engine refused a request (the reason in English, from the engine).
    Refused(Arc<ferry::engine::EngineError>),
    /// The whole list, after a resync.
    Snapshots(Vec<Snapshot>),
    /// A command failed after it was accepted (shown in the log only).
    Failed(String),
    /// Another `ferry` asked for the window.
    ShowWindow,
    /// A click in the tray's menu.
    Tray(tray::Action),
    /// The agent has stopped every transfer: the app ends.
    ShutDown,
}

/// Forms the user left with something in them.
#[derive(Debug, Default)]
struct Drafts {
    download: Option<new_download::State>,
    upload: Option<upload::State>,
}

/// Where the window is.
#[derive(Debug)]
enum Screen {
    Transfers,
    NewDownload(new_download::State),
    Upload(upload::State),
    Details(OperationId),
    Settings(settings::State),
}

#[derive(Clone, Debug)]
pub enum Message {
    /// An engine event or a command's answer.
    Feedback(Feedback<Reply>),
    Transfers(transfers::Message),
    NewDownload(new_download::Message),
    Upload(upload::Message),
    Settings(settings::Message),
    Details(details::Message),
    /// Open the new-download form.
    OpenNewDownload,
    /// Open the new-upload form.
    OpenUpload,
    OpenSettings,
    /// A key pressed that no widget took.
    Key(keyboard::Key, keyboard::Modifiers),
    /// A file was dropped on the window: upload it.
    FileDropped(PathBuf),
    /// The window was closed; transfers go on.
    WindowClosed(window::Id),
    /// Checkpoint everything and exit (Ctrl+Q, the tray's Quit).
    Quit,
}

/// Everything the app starts from.
pub struct Setup {
    pub backend: Backend<Reply>,
    pub config: Config,
    pub config_path: PathBuf,
    /// Notified to stop the agent (and then the app).
    pub quit: Arc<Notify>,
    /// Open the window at start (`ferry`) or not (`ferry agent`).
    pub open_window: bool,
    pub notifier: Notifier,
    /// A tray host is there to show our icon.
    pub tray_host: bool,
}

pub struct App {
    backend: Backend<Reply>,
    tr: Tr,
    config: Config,
    config_path: PathBuf,
    quit: Arc<Notify>,
    pub(crate) transfers: Transfers,
    screen: Screen,
    window: Option<window::Id>,
    notifier: Notifier,
    tray: Option<Tray>,
    /// Forms left half filled, given back when opened again.
    drafts: Drafts,
    /// What a first Delete or Cancel asked about; the same again does it.
    asked: Option<(OperationId, RowAction)>,
    /// Said once, when the window closes with no tray to get it back from.
    told_no_tray: bool,
}

impl App {
    pub fn new(setup: Setup) -> (Self, Task<Message>) {
        let mut transfers = Transfers::new(setup.backend.engine.list());
        transfers.network = setup.backend.engine.network_state();
        let tr = Tr::new(setup.config.language);
        let tray = setup
            .tray_host
            .then(|| new_tray(&tr, &setup.backend))
            .flatten();
        let mut app = Self {
            tr,
            backend: setup.backend,
            config: setup.config,
            config_path: setup.config_path,
            quit: setup.quit,
            transfers,
            screen: Screen::Transfers,
            window: None,
            notifier: setup.notifier,
            tray,
            drafts: Drafts::default(),
            asked: None,
            told_no_tray: false,
        };
        app.refresh_tray();
        let task = if setup.open_window {
            app.show_window()
        } else {
            Task::none()
        };
        (app, task)
    }

    pub fn title(&self, _window: window::Id) -> String {
        tr!(self.tr, "app-title")
    }

    pub fn theme(&self, _window: window::Id) -> Option<iced::Theme> {
        match self.config.theme {
            config::Theme::System => None,
            config::Theme::Light => Some(iced::Theme::Light),
            config::Theme::Dark => Some(iced::Theme::Dark),
        }
    }

    pub fn subscription(&self) -> Subscription<Message> {
        let feed = Subscription::run_with(self.backend.feed(), |feed| feed.stream())
            .map(Message::Feedback);
        let events = iced::event::listen_with(|event, status, _window| match event {
            iced::Event::Keyboard(keyboard::Event::KeyPressed { key, modifiers, .. })
                if status == iced::event::Status::Ignored || modifiers.command() =>
            {
                Some(Message::Key(key, modifiers))
            }
            iced::Event::Window(window::Event::FileDropped(path)) => {
                Some(Message::FileDropped(path))
            }
            _ => None,
        });
        let closed = window::close_events().map(Message::WindowClosed);
        Subscription::batch([feed, events, closed])
    }

    pub fn update(&mut self, message: Message) -> Task<Message> {
        match message {
            Message::Feedback(Feedback::Engine(events)) => {
                for event in &events {
                    self.engine_event(event);
                }
                self.refresh_tray();
            }
            Message::Feedback(Feedback::Reply(reply)) => return self.reply(reply),
            Message::Transfers(message) => self.transfers_message(&message),
            Message::NewDownload(message) => return self.new_download_message(message),
            Message::Upload(message) => return self.upload_message(message),
            Message::Settings(message) => return self.settings_message(message),
            Message::Details(details::Message::Close) => self.screen = Screen::Transfers,
            Message::Details(details::Message::Policy(policy)) => {
                if let Screen::Details(id) = self.screen {
                    self.set_policy(id, policy);
                }
            }
            Message::OpenNewDownload => return self.open_new_download(),
            Message::OpenUpload => return self.open_upload(),
            Message::OpenSettings => {
                self.leave_screen();
                self.screen = Screen::Settings(settings::State::new(self.config.clone()));
            }
            Message::Key(key, modifiers) => return self.key(&key, modifiers),
            Message::FileDropped(path) => self.file_dropped(path),
            Message::WindowClosed(id) => self.window_closed(id),
            Message::Quit => self.quit.notify_one(),
        }
        Task::none()
    }

    pub fn view(&self, _window: window::Id) -> Element<'_, Message> {
        let tr = &self.tr;
        let body: Element<'_, Message> = match &self.screen {
            Screen::Transfers => self.transfers.view(tr).map(Message::Transfers),
            Screen::NewDownload(state) => state.view(tr).map(Message::NewDownload),
            Screen::Upload(state) => state.view(tr).map(Message::Upload),
            Screen::Settings(state) => {
                let usage = self.backend.engine.data_usage();
                let used = tr!(
                    tr,
                    "settings-data-used",
                    size = format::size(tr, usage.bytes)
                );
                state
                    .view(tr, &self.download_dir().display().to_string(), used)
                    .map(Message::Settings)
            }
            Screen::Details(id) => match self.transfers.get(*id) {
                Some(snapshot) => details::view(tr, snapshot).map(Message::Details),
                None => self.transfers.view(tr).map(Message::Transfers),
            },
        };
        let bar = row![
            text(tr!(tr, "app-title")).size(24),
            Space::new().width(Fill),
            button(text(tr!(tr, "action-new-download"))).on_press(Message::OpenNewDownload),
            button(text(tr!(tr, "action-new-upload"))).on_press(Message::OpenUpload),
            button(text(tr!(tr, "action-settings")))
                .style(button::secondary)
                .on_press(Message::OpenSettings),
        ]
        .spacing(8)
        .align_y(iced::Alignment::Center);
        container(column![bar, body].spacing(16)).padding(16).into()
    }

    #[cfg(test)]
    pub fn transfers(&self) -> &Transfers {
        &self.transfers
    }

    fn download_dir(&self) -> PathBuf {
        self.config
            .download_dir
            .clone()
            .unwrap_or_else(|| self.backend.engine.options().download_dir.clone())
    }

    fn engine_event(&mut self, event: &ferry::engine::Event) {
        if let ferry::engine::Event::StatusChanged { snapshot } = event {
            let was_running = self
                .transfers
                .get(snapshot.id)
                .is_some_and(|s| !s.status.is_finished());
            if was_running && snapshot.status.is_finished() {
                self.notify_finished(snapshot);
            }
        }
        if !self.transfers.apply(event) {
            let engine = self.backend.engine.clone();
            self.backend
                .run(async move { Reply::Snapshots(engine.list()) });
        }
    }

    /// A notification for a transfer that just completed or failed (not for a
    /// cancel: the user did that).
    fn notify_finished(&self, s: &Snapshot) {
        use ferry::engine::{Kind, Status};
        if !self.config.notifications || s.status == Status::Canceled {
            return;
        }
        let tr = &self.tr;
        let succeeded = s.status == Status::Completed;
        let title = match (succeeded, s.kind) {
            (true, Kind::Download) => tr!(tr, "notification-download-finished"),
            (true, Kind::Upload) => tr!(tr, "notification-upload-finished"),
            (false, _) => tr!(tr, "notification-failed"),
        };
        let body = if succeeded {
            format::name(tr, s)
        } else {
            format!("{}: {}", format::name(tr, s), format::status(tr, s))
        };
        let finished = Finished {
            succeeded,
            title,
            body,
            file: s.destination.clone(),
        };
        let words = Words {
            many_finished: |tr, count| tr!(tr, "notification-many-finished", count = count),
            many_failed: |tr, count| tr!(tr, "notification-many-failed", count = count),
            open: tr!(tr, "notification-open"),
            show_in_folder: tr!(tr, "notification-show-in-folder"),
        };
        self.notifier.finished(finished, tr, &words);
    }

    /// The tray's icon and tooltip from the transfers' state (sent only when
    /// they change).
    fn refresh_tray(&mut self) {
        use ferry::engine::Status;
        let Some(tray) = self.tray.as_mut() else {
            return;
        };
        let rows = self.transfers.rows();
        let running: Vec<&Snapshot> = rows
            .iter()
            .filter(|s| s.status == Status::Running)
            .collect();
        let state = if !running.is_empty() {
            tray::State::Active
        } else if rows.iter().any(|s| s.status.is_paused()) {
            tray::State::Paused
        } else if rows.iter().any(|s| s.status == Status::Error) {
            tray::State::Error
        } else {
            tray::State::Idle
        };
        let tooltip = if running.is_empty() {
            tr!(self.tr, "tray-tooltip-idle")
        } else {
            let done: u64 = running.iter().map(|s| s.bytes).sum();
            let total: u64 = running.iter().map(|s| s.total.unwrap_or(s.bytes)).sum();
            let percent: u64 = done.saturating_mul(100).checked_div(total).unwrap_or(0);
            tr!(
                self.tr,
                "tray-tooltip-active",
                active = running.len(),
                percent = percent
            )
        };
        tray.show(state, tooltip);
    }

    fn window_closed(&mut self, id: window::Id) {
        if self.window != Some(id) {
            return;
        }
        self.window = None;
        if self.tray.is_none() && !self.told_no_tray {
            self.told_no_tray = true;
            self.notifier.plain(
                tr!(self.tr, "app-title"),
                tr!(self.tr, "notification-no-tray"),
            );
        }
    }

    fn tray_action(&mut self, action: tray::Action) -> Task<Message> {
        let engine = self.backend.engine.clone();
        match action {
            tray::Action::Show => return self.show_window(),
            tray::Action::PauseAll => self.backend.run(async move {
                match engine.pause_all().await {
                    Ok(_) => Reply::Done,
                    Err(e) => Reply::Failed(e.to_string()),
                }
            }),
            tray::Action::ResumeAll => self.backend.run(async move {
                match engine.resume_all().await {
                    Ok(_) => Reply::Done,
                    Err(e) => Reply::Failed(e.to_string()),
                }
            }),
            tray::Action::Quit => self.quit.notify_one(),
        }
        Task::none()
    }

    fn reply(&mut self, reply: Reply) -> Task<Message> {
        match reply {
            Reply::Created { attached } => {
                if matches!(self.screen, Screen::NewDownload(_) | Screen::Upload(_)) {
                    self.screen = Screen::Transfers;
                }
                self.show_attached(&attached);
            }
            Reply::Done => {}
            Reply::OpenFailed { name, reason } => {
                self.transfers.notice = Some(tr!(
                    self.tr,
                    "notice-open-failed",
                    name = name,
                    reason = reason
                ));
            }
            Reply::Refused(error) => {
                let reason = format::refusal(&self.tr, &error);
                match &mut self.screen {
                    Screen::NewDownload(state) => state.refused(reason),
                    Screen::Upload(state) => state.refused(reason),
                    _ => tracing::warn!("{error}"),
                }
            }
            Reply::Snapshots(rows) => self.transfers.reset(rows),
            Reply::Failed(reason) => tracing::warn!("{reason}"),
            Reply::ShowWindow => return self.show_window(),
            Reply::Tray(action) => return self.tray_action(action),
            Reply::ShutDown => return iced::exit(),
        }
        Task::none()
    }

    fn transfers_message(&mut self, message: &transfers::Message) {
        if let transfers::Message::Row(id, action) = message {
            self.transfers.selected = Some(*id);
            self.transfers.notice = None;
            let asked = self.asked.take();
            if *action == RowAction::Cancel && asked != Some((*id, RowAction::Cancel)) {
                self.ask_before_cancel(*id);
            } else {
                self.row_action(*id, *action);
            }
        }
        self.transfers.update(message);
    }

    fn row_action(&mut self, id: OperationId, action: RowAction) {
        let engine = self.backend.engine.clone();
        let done = |result: Result<(), ferry::engine::EngineError>| match result {
            Ok(()) => Reply::Done,
            Err(e) => Reply::Failed(e.to_string()),
        };
        match action {
            RowAction::Pause => self
                .backend
                .run(async move { done(engine.pause(id).await) }),
            RowAction::Resume => self
                .backend
                .run(async move { done(engine.resume(id).await) }),
            RowAction::Cancel => self
                .backend
                .run(async move { done(engine.cancel(id).await) }),
            RowAction::Retry => self
                .backend
                .run(async move { done(engine.restart(id).await) }),
            RowAction::RunAnyway => self.set_policy(id, ferry::engine::CostPolicy::Always),
            RowAction::Remove => self
                .backend
                .run(async move { done(engine.remove(id).await) }),
            RowAction::Details => self.screen = Screen::Details(id),
            RowAction::Open | RowAction::ShowInFolder => {
                let Some(path) = self.transfers.get(id).and_then(|s| s.destination.clone()) else {
                    return;
                };
                let target = match action {
                    RowAction::Open => path,
                    _ => path.parent().map(PathBuf::from).unwrap_or(path),
                };
                let name = self
                    .transfers
                    .get(id)
                    .map(Snapshot::display_name)
                    .unwrap_or_default();
                self.backend.run(async move {
                    match platform::open(&target).await {
                        Ok(()) => Reply::Done,
                        Err(reason) => Reply::OpenFailed { name, reason },
                    }
                });
            }
        }
    }

    fn set_policy(&self, id: OperationId, policy: ferry::engine::CostPolicy) {
        let engine = self.backend.engine.clone();
        self.backend.run(async move {
            match engine.set_policy(id, policy).await {
                Ok(()) => Reply::Done,
                Err(e) => Reply::Failed(e.to_string()),
            }
        });
    }

    /// The new-download form, as it was left if it was left half filled, with
    /// the addresses box focused so typing goes there.
    fn open_new_download(&mut self) -> Task<Message> {
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
    fn open_upload(&mut self) -> Task<Message> {
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
    fn leave_screen(&mut self) {
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

    fn new_download_message(&mut self, message: new_download::Message) -> Task<Message> {
        let Screen::NewDownload(state) = &mut self.screen else {
            return Task::none();
        };
        match state.update(message, &self.tr) {
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

    fn upload_message(&mut self, message: upload::Message) -> Task<Message> {
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
    fn create(&self, requests: Vec<Request>) {
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
    fn show_attached(&mut self, attached: &[OperationId]) {
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

    fn settings_message(&mut self, message: settings::Message) -> Task<Message> {
        let Screen::Settings(state) = &mut self.screen else {
            return Task::none();
        };
        match state.update(message) {
            settings::Action::None => Task::none(),
            settings::Action::Run(task) => task.map(Message::Settings),
            settings::Action::Submit(config) => {
                self.apply_settings(*config);
                Task::none()
            }
            settings::Action::Close => {
                self.screen = Screen::Transfers;
                Task::none()
            }
        }
    }

    /// Use the new settings now and keep them in the config file.
    fn apply_settings(&mut self, config: Config) {
        if config.language != self.config.language {
            self.tr = Tr::new(config.language);
            if let Some(tray) = &self.tray {
                tray.relabel(&tray_labels(&self.tr));
            }
        }
        self.backend.engine.set_max_running(config.max_running);
        self.backend
            .engine
            .set_data_budget((config.data_budget_mib > 0).then_some(config.data_budget_mib << 20));
        self.backend.engine.set_limit(config.speed_limit());
        if config.autostart != self.config.autostart
            && let Err(e) = platform::autostart::set(config.autostart)
        {
            tracing::warn!(error = %e, "cannot change the start-at-login entry");
        }
        if let Err(e) = config::save(&self.config_path, &config) {
            tracing::warn!(error = %e, path = %self.config_path.display(), "cannot save the settings");
        }
        self.config = config;
    }

    fn key(&mut self, key: &keyboard::Key, modifiers: keyboard::Modifiers) -> Task<Message> {
        use keyboard::key::Named;
        match key.as_ref() {
            keyboard::Key::Character("n") if modifiers.command() => {
                return self.open_new_download();
            }
            keyboard::Key::Character("u") if modifiers.command() => return self.open_upload(),
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
                if !filled {
                    self.leave_screen();
                }
            }
            _ => {}
        }
        Task::none()
    }

    /// Delete asks first: the row's name in the notice line, and a second Delete
    /// on the same row removes it.
    fn delete_selected(&mut self) {
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
    fn ask_before_cancel(&mut self, id: OperationId) {
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

    fn file_dropped(&mut self, path: PathBuf) {
        if !matches!(self.screen, Screen::Upload(_)) {
            let _ = self.open_upload();
        }
        if let Screen::Upload(state) = &mut self.screen {
            let _ = state.update(upload::Message::FilesPicked(vec![path]), &self.tr);
        }
    }

    fn show_window(&mut self) -> Task<Message> {
        if let Some(id) = self.window {
            return window::gain_focus(id);
        }
        let (id, open) = window::open(window::Settings {
            size: iced::Size::new(980.0, 680.0),
            min_size: Some(iced::Size::new(640.0, 420.0)),
            icon: platform::app_icon(),
            ..window::Settings::default()
        });
        self.window = Some(id);
        open.discard()
    }
}

fn tray_labels(tr: &Tr) -> tray::Labels {
    tray::Labels {
        show: tr!(tr, "tray-show"),
        pause_all: tr!(tr, "tray-pause-all"),
        resume_all: tr!(tr, "tray-resume-all"),
        quit: tr!(tr, "tray-quit"),
    }
}

/// The tray icon, its clicks sent to the app as replies; `None` (logged) if it
/// cannot be made.
fn new_tray(tr: &Tr, backend: &Backend<Reply>) -> Option<Tray> {
    let replies = backend.sender();
    match Tray::new(&tray_labels(tr), move |action| {
        let _ = replies.send(Reply::Tray(action));
    }) {
        Ok(tray) => Some(tray),
        Err(e) => {
            tracing::warn!(error = %e, "no tray icon");
            None
        }
    }
}
