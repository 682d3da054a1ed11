//! The desktop app: an iced daemon (it lives on with no window) in the agent's
//! process. `App` owns the screens and dispatches; each screen has its own state,
//! messages and view. Engine commands go through [`backend::Backend`], whose
//! answers and the engine's events come back as messages.

mod adding;
pub mod address_checks;
pub mod advanced;
pub mod backend;
pub mod change_address;
mod desktop;
pub mod details;
pub mod folder;
pub mod form;
pub mod format;
mod from_browser;
pub mod geometry;
pub mod handoff;
mod header;
mod keys;
pub mod launch;
pub mod layout;
pub mod links;
pub mod new_download;
mod picked_keys;
mod rows;
pub mod selection;
pub mod settings;
pub mod shortcuts;
pub mod speed_graph;
pub mod speed_history;
pub mod theme;
pub mod transfers;
pub mod upload;
mod when_done;

#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;

use iced::widget::{column, container};
use iced::{Element, Subscription, Task, keyboard, window};
use tokio::sync::Notify;

use ferry::agent::{Answer, Offer};
use ferry::config::{self, Config};
use ferry::engine::{EngineError, OperationId, Request, Snapshot, Submitted};

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
    /// A download continues from the new address it was given.
    Refreshed(OperationId),
    /// Open or Show in folder could not (no program, the file gone).
    OpenFailed { name: String, reason: String },
    /// The engine refused a request (the reason in English, from the engine).
    Refused(Arc<EngineError>),
    /// The whole list, after a resync.
    Snapshots(Vec<Snapshot>),
    /// A command failed after it was accepted (shown in the log only).
    Failed(String),
    /// Another `ferry` asked for the window.
    ShowWindow,
    /// The browser handed over a download: ask the user (or add it at once).
    Offer(Arc<Offer>),
    /// What the window made of a download from the browser.
    OfferSubmitted {
        offer: Arc<Offer>,
        result: Result<Box<Submitted>, Arc<EngineError>>,
    },
    /// A download from the browser nobody answered in time: the browser has it.
    OfferWithdrawn(Arc<Offer>),
    /// Links from a page, to pick from.
    Links(Vec<Request>),
    /// What an address of the new-download form serves.
    Checked {
        url: String,
        found: Result<Box<ferry::engine::Inspection>, Arc<EngineError>>,
    },
    /// A click in the tray's menu.
    Tray(tray::Action),
    /// What happens once every transfer is done changed (or its countdown).
    WhenDone(ferry::agent::when_done::State),
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
    Settings(Box<settings::State>),
    ChangeAddress(change_address::State),
    /// A download from the browser, put to the user.
    Handoff(handoff::State),
    /// Links from a page.
    Links(links::State),
    /// The keyboard shortcuts.
    Shortcuts,
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
    ChangeAddress(change_address::Message),
    Handoff(handoff::Message),
    Links(links::Message),
    Shortcuts(shortcuts::Message),
    /// Open the keyboard shortcuts (F1).
    OpenShortcuts,
    /// Open the new-download form.
    OpenNewDownload,
    /// Open the new-upload form.
    OpenUpload,
    OpenSettings,
    /// A key pressed that no widget took.
    Key(keyboard::Key, keyboard::Modifiers),
    /// Ctrl, Shift… held or let go (for clicks that pick rows).
    Modifiers(keyboard::Modifiers),
    /// A file was dropped on the window: upload it.
    FileDropped(PathBuf),
    /// The window was closed; transfers go on.
    WindowClosed(window::Id),
    /// The window got this size, or moved here (remembered for the next run).
    WindowResized(iced::Size),
    WindowMoved(iced::Point),
    /// The desktop said it prefers light or dark windows.
    Appearance(platform::appearance::Scheme),
    /// Stop the when-done countdown.
    CancelWhenDone,
    /// A second went by while a countdown is on screen (the when-done's, a
    /// retry's in details): it is shown in seconds.
    Second,
    /// Checkpoint everything and exit (Ctrl+Q, the tray's Quit).
    Quit,
    /// Write the window's size, place and layout if they changed (a moment
    /// after each change: `ferry quit`, a logout's SIGTERM or a crash end the
    /// app without a word to the window).
    SaveGeometry,
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
    /// What happens once every transfer is done (the agent's).
    pub when_done: ferry::agent::WhenDoneHandle,
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
    /// Downloads from the browser waiting for the dialog (one is on screen).
    offers: VecDeque<Arc<Offer>>,
    /// Links from a page that came while a download from the browser was asked
    /// about: shown once no question is left.
    links_waiting: Option<Vec<Request>>,
    /// The window's size and place, remembered for the next run.
    geometry: geometry::Geometry,
    /// What window.toml holds now, and whether a save is on its way.
    geometry_saved: geometry::Geometry,
    geometry_save_due: bool,
    /// The desktop's light or dark preference, for the "System" theme.
    appearance: platform::appearance::Scheme,
    when_done: ferry::agent::WhenDoneHandle,
    /// Its state as last heard.
    when_done_state: ferry::agent::when_done::State,
}

impl App {
    pub fn new(setup: Setup) -> (Self, Task<Message>) {
        let mut transfers = Transfers::new(setup.backend.engine.list());
        transfers.network = setup.backend.engine.network_state();
        transfers.limit = setup.backend.engine.limit();
        let tr = Tr::new(setup.config.language);
        let geometry = geometry::Geometry::load(&geometry::Geometry::path(&setup.config_path));
        let tray = setup
            .tray_host
            .then(|| desktop::new_tray(&tr, &setup.backend))
            .flatten();
        let mut app = Self {
            tr,
            backend: setup.backend,
            config: setup.config,
            config_path: setup.config_path.clone(),
            quit: setup.quit,
            transfers,
            screen: Screen::Transfers,
            window: None,
            notifier: setup.notifier,
            tray,
            drafts: Drafts::default(),
            asked: None,
            told_no_tray: false,
            offers: VecDeque::new(),
            links_waiting: None,
            geometry,
            geometry_saved: geometry,
            geometry_save_due: false,
            appearance: platform::appearance::Scheme::default(),
            when_done_state: setup.when_done.state(),
            when_done: setup.when_done,
        };
        when_done::forward(&app.when_done, &app.backend);
        app.transfers.when_done = app.when_done_state.armed;
        app.transfers.wide = app.geometry.width >= transfers::sidebar::FROM_WIDTH;
        app.transfers.window_width = app.geometry.width;
        app.transfers.pane = app.geometry.details_pane;
        app.transfers.pane_share = transfers::pane::clamp_share(app.geometry.pane_share);
        app.transfers.sidebar_hidden = app.geometry.sidebar_hidden;
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
        Some(theme::pick(self.config.theme, self.appearance))
    }

    pub fn subscription(&self) -> Subscription<Message> {
        let feed = Subscription::run_with(self.backend.feed(), |feed| feed.stream())
            .map(Message::Feedback);
        let events = iced::event::listen_with(|event, status, _window| match event {
            // A shortcut reaches the app even from a text field, but a paste
            // into one is the field's.
            iced::Event::Keyboard(keyboard::Event::KeyPressed { key, modifiers, .. })
                if status == iced::event::Status::Ignored
                    || (modifiers.command() && key != keyboard::Key::Character("v".into())) =>
            {
                Some(Message::Key(key, modifiers))
            }
            iced::Event::Keyboard(keyboard::Event::ModifiersChanged(modifiers)) => {
                Some(Message::Modifiers(modifiers))
            }
            // The end of a drag (of the pane's bar), wherever the pointer is.
            iced::Event::Mouse(iced::mouse::Event::ButtonReleased(iced::mouse::Button::Left)) => {
                Some(Message::Transfers(transfers::Message::PaneDropped))
            }
            iced::Event::Window(window::Event::FileDropped(path)) => {
                Some(Message::FileDropped(path))
            }
            iced::Event::Window(window::Event::Resized(size)) => Some(Message::WindowResized(size)),
            iced::Event::Window(window::Event::Moved(at)) => Some(Message::WindowMoved(at)),
            _ => None,
        });
        let closed = window::close_events().map(Message::WindowClosed);
        let appearance = Subscription::run(platform::appearance::follow).map(Message::Appearance);
        // A clock while the new-download form waits to check what was typed.
        let ticks = match &self.screen {
            Screen::NewDownload(form) if form.waits_to_check() => {
                iced::time::every(new_download::CHECK_AFTER / 3)
                    .map(|at| Message::NewDownload(new_download::Message::Tick(at)))
            }
            _ => Subscription::none(),
        };
        // A clock while a countdown in seconds is on screen: the when-done's,
        // or a retry's in details.
        let retry_shown = match &self.screen {
            Screen::Details(id) => self
                .transfers
                .get(*id)
                .is_some_and(|s| s.retry_at.is_some()),
            _ => false,
        };
        let countdown = if self.when_done_state.pending.is_some() || retry_shown {
            iced::time::every(std::time::Duration::from_secs(1)).map(|_| Message::Second)
        } else {
            Subscription::none()
        };
        Subscription::batch([feed, events, closed, appearance, ticks, countdown])
    }

    pub fn update(&mut self, message: Message) -> Task<Message> {
        // The limit in force is the engine's: `ferry limit`, the RPC and
        // Settings change it too.
        self.transfers.limit = self.backend.engine.limit();
        match message {
            Message::Feedback(Feedback::Engine(events)) => {
                for event in &events {
                    self.engine_event(event);
                }
                self.refresh_tray();
            }
            Message::Feedback(Feedback::Reply(reply)) => return self.reply(reply),
            Message::Transfers(message) => return self.transfers_message(&message),
            Message::NewDownload(message) => return self.new_download_message(message),
            Message::Upload(message) => return self.upload_message(message),
            Message::Settings(message) => return self.settings_message(message),
            Message::Details(details::Message::Close) => self.screen = Screen::Transfers,
            Message::Details(details::Message::Policy(policy)) => {
                if let Screen::Details(id) = self.screen {
                    self.set_policy(id, policy);
                }
            }
            Message::ChangeAddress(message) => self.change_address_message(message),
            Message::Handoff(message) => return self.handoff_message(message),
            Message::Links(message) => return self.links_message(message),
            Message::OpenNewDownload => return self.open_new_download(),
            Message::OpenUpload => return self.open_upload(),
            Message::OpenShortcuts => {
                self.leave_screen();
                self.screen = Screen::Shortcuts;
            }
            Message::Shortcuts(shortcuts::Message::Back) => self.leave_screen(),
            Message::OpenSettings => {
                self.leave_screen();
                // The schedule as the agent holds it (`ferry schedule` may
                // have changed it since).
                let mut config = self.config.clone();
                config.schedule = self.backend.engine.schedule();
                let groups = self
                    .backend
                    .engine
                    .groups()
                    .into_iter()
                    .map(|g| g.name)
                    .collect();
                self.screen = Screen::Settings(Box::new(settings::State::new(config, groups)));
            }
            Message::Key(key, modifiers) => return self.key(&key, modifiers),
            Message::Modifiers(modifiers) => self.transfers.modifiers = modifiers,
            Message::FileDropped(path) => self.file_dropped(path),
            Message::WindowClosed(id) => self.window_closed(id),
            Message::WindowResized(size) => {
                self.geometry.resized(size);
                self.transfers.wide = size.width >= transfers::sidebar::FROM_WIDTH;
                self.transfers.window_width = size.width;
                return self.geometry_changed();
            }
            Message::WindowMoved(at) => {
                self.geometry.moved(at);
                return self.geometry_changed();
            }
            Message::SaveGeometry => {
                self.geometry_save_due = false;
                if self.geometry != self.geometry_saved {
                    self.save_geometry();
                }
            }
            Message::Appearance(scheme) => self.appearance = scheme,
            Message::CancelWhenDone => {
                self.when_done.cancel();
            }
            Message::Second => {}
            Message::Quit => {
                self.save_geometry();
                self.quit.notify_one();
            }
        }
        Task::none()
    }

    pub fn view(&self, _window: window::Id) -> Element<'_, Message> {
        let tr = &self.tr;
        let body: Element<'_, Message> = match &self.screen {
            Screen::Transfers => self.transfers.view(tr).map(Message::Transfers),
            Screen::NewDownload(state) => state.view(tr).map(Message::NewDownload),
            Screen::Upload(state) => state.view(tr).map(Message::Upload),
            Screen::ChangeAddress(state) => state.view(tr).map(Message::ChangeAddress),
            Screen::Handoff(state) => state.view(tr, self.offers.len()).map(Message::Handoff),
            Screen::Links(state) => state.view(tr).map(Message::Links),
            Screen::Shortcuts => shortcuts::view(tr).map(Message::Shortcuts),
            Screen::Settings(state) => {
                let usage = self.backend.engine.data_usage();
                let used = tr!(
                    tr,
                    "settings-data-used",
                    size = format::size(tr, usage.bytes)
                );
                let engine = &self.backend.engine;
                let today = engine.options().clock.now().date();
                let traffic = settings::traffic::bars(&engine.traffic(), today);
                state
                    .view(
                        tr,
                        &self.download_dir().display().to_string(),
                        used,
                        &traffic,
                    )
                    .map(Message::Settings)
            }
            Screen::Details(id) => match self.transfers.get(*id) {
                Some(snapshot) => {
                    let lately = self.transfers.lately(*id);
                    details::view(tr, snapshot, &lately, details::Place::Screen)
                        .map(Message::Details)
                }
                None => self.transfers.view(tr).map(Message::Transfers),
            },
        };
        let bar = self.header();
        let page = match self.when_done_band() {
            Some(band) => column![bar, band, body],
            None => column![bar, body],
        };
        container(page.spacing(theme::space::L))
            .padding(theme::space::L)
            .into()
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

    fn reply(&mut self, reply: Reply) -> Task<Message> {
        match reply {
            Reply::Created { attached } => {
                if matches!(
                    self.screen,
                    Screen::NewDownload(_) | Screen::Upload(_) | Screen::Links(_)
                ) {
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
            Reply::Refreshed(id) => {
                if matches!(&self.screen, Screen::ChangeAddress(state) if state.id == id) {
                    self.screen = Screen::Transfers;
                }
            }
            Reply::Refused(error) => {
                let reason = format::refusal(&self.tr, &error);
                match &mut self.screen {
                    Screen::NewDownload(state) => state.refused(reason),
                    Screen::Upload(state) => state.refused(reason),
                    Screen::ChangeAddress(state) => {
                        let other_file = matches!(&*error, EngineError::Refresh(e)
                            if e.status == ferry::engine::ErrorStatus::SourceChanged);
                        state.refused(reason, other_file);
                    }
                    Screen::Links(state) => state.refused(reason),
                    _ => tracing::warn!("{error}"),
                }
            }
            Reply::Snapshots(rows) => self.transfers.reset(rows),
            Reply::Failed(reason) => tracing::warn!("{reason}"),
            Reply::ShowWindow => return self.show_window(),
            Reply::Offer(offer) => return self.offered(offer),
            Reply::OfferSubmitted { offer, result } => return self.offer_submitted(&offer, result),
            Reply::OfferWithdrawn(offer) => return self.offer_withdrawn(&offer),
            Reply::Links(requests) => return self.open_links(requests),
            Reply::Checked { url, found } => {
                if let Screen::NewDownload(state) = &mut self.screen {
                    let found = match found {
                        Ok(found) => address_checks::Found::Serves(found),
                        Err(e) => address_checks::Found::Failed(format::refusal(&self.tr, &e)),
                    };
                    let _ = state.update(new_download::Message::Checked { url, found }, &self.tr);
                }
            }
            Reply::Tray(action) => return self.tray_action(action),
            Reply::WhenDone(state) => self.when_done_changed(state),
            Reply::ShutDown => return iced::exit(),
        }
        Task::none()
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
        // The screen started from the agent's rules: what it saves is them as
        // edited here.
        if config.schedule != self.backend.engine.schedule() {
            self.backend.engine.set_schedule(config.schedule.clone());
        }
        if config.language != self.config.language {
            self.tr = Tr::new(config.language);
            if let Some(tray) = &self.tray {
                tray.relabel(&desktop::tray_labels(&self.tr));
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
}
