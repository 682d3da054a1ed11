//! The app driven headless with iced_test, over a real engine in a temporary data
//! directory and a local HTTP server: clicks and typing go through the real
//! widgets; the messages they produce are fed to `App::update`, and engine
//! replies are pumped from the same channel the app's subscription reads.

#[path = "../../tests/support/digest.rs"]
#[allow(dead_code)]
mod digest;
#[path = "../../tests/support/server.rs"]
#[allow(dead_code)]
mod server;
#[path = "../../tests/support/uploads.rs"]
#[allow(dead_code)]
mod uploads;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use iced::widget;
use iced::window;
use tokio::sync::Notify;

use ferry::config::{Config, Language};
use ferry::engine::{Engine, Options, Status};

use super::backend::{Backend, Feedback};
use super::{App, Message, Reply, Screen, Setup};
use server::{Resource, TestServer};

/// A headless window on `view`, with the icon font loaded (fonts load into a
/// global font system, so the first call is the one that matters).
fn simulator(view: iced::Element<'_, Message>) -> iced_test::Simulator<'_, Message> {
    let settings = iced_test::core::Settings {
        fonts: vec![super::theme::ICON_FONT_BYTES.into()],
        ..iced_test::core::Settings::default()
    };
    iced_test::Simulator::with_settings(settings, view)
}

/// What an icon button shows, to find it as a user finds it by its picture.
fn glyph(icon: lucide_icons::Icon) -> String {
    char::from(icon).to_string()
}

mod browser;
mod change_address;
mod download_form;
mod keyboard_reach;
mod list;
mod list_tools;
mod live;
mod menu;
mod pane;
mod screens;
mod upload_form;
mod when_done;
use live::LiveWindow;

/// The when-done countdown in the window's tests.
const WHEN_DONE_DELAY: Duration = Duration::from_secs(2);

type Feed = std::pin::Pin<Box<dyn futures_util::Stream<Item = Feedback<Reply>> + Send>>;

/// An app over a real engine, with the stream its subscription would read.
struct Harness {
    app: App,
    feed: Feed,
    /// What the engine believes about the network; tests change it.
    network: ferry::engine::FixedConditions,
    /// What the app notifies to stop the agent (a when-done's quit too).
    quit: Arc<Notify>,
    _stop_when_done: tokio::sync::watch::Sender<bool>,
    runtime: tokio::runtime::Runtime,
    window: window::Id,
    _dir: tempfile::TempDir,
}

impl Harness {
    fn new(language: Language) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        let mut options = Options::new(dir.path().join("data"));
        options.download_dir = dir.path().join("downloads");
        options.secret_backend = ferry::engine::secrets::Backend::File;
        std::fs::create_dir_all(&options.download_dir).unwrap();
        let engine = runtime.block_on(Engine::open(options)).unwrap();
        let network = ferry::engine::FixedConditions::new(ferry::engine::Conditions::default());
        {
            let _runtime = runtime.enter();
            engine.follow_network(&network);
        }
        let engine_for_when_done = engine.clone();
        let backend = Backend::new(engine, runtime.handle().clone());
        let feed: Feed = Box::pin(backend.feed().stream());
        let config = Config {
            language,
            download_dir: Some(dir.path().join("downloads")),
            ..Config::default()
        };
        let quit = Arc::new(Notify::new());
        // The agent's when-done, run as the agent runs it (a short countdown).
        let when_done = ferry::agent::WhenDoneHandle::new();
        let (stop_when_done, when_done_stopped) = tokio::sync::watch::channel(false);
        runtime.spawn(ferry::agent::when_done::run(
            engine_for_when_done,
            when_done.clone(),
            WHEN_DONE_DELAY,
            Arc::clone(&quit),
            when_done_stopped,
        ));
        let (app, _) = App::new(Setup {
            backend,
            config,
            config_path: dir.path().join("config.toml"),
            quit: Arc::clone(&quit),
            open_window: false,
            notifier: crate::platform::notify::Notifier::new(runtime.handle().clone()),
            tray_host: false,
            when_done,
        });
        Self {
            app,
            feed,
            network,
            quit,
            _stop_when_done: stop_when_done,
            runtime,
            window: window::Id::unique(),
            _dir: dir,
        }
    }

    fn dir(&self) -> &Path {
        self._dir.path()
    }

    /// Interact with the current view, then apply the messages it produced.
    fn interact(&mut self, act: impl FnOnce(&mut iced_test::Simulator<'_, Message>)) {
        let messages: Vec<Message> = {
            let mut ui = simulator(self.app.view(self.window));
            act(&mut ui);
            ui.into_messages().collect()
        };
        for message in messages {
            let _ = self.app.update(message);
        }
    }

    /// A slow download (8 MiB at 1 MiB/s), created and seen running; its server
    /// must be kept alive while the test needs it.
    fn running_download(&mut self) -> (TestServer, ferry::engine::OperationId) {
        let server = self.runtime.block_on(TestServer::start());
        server.put("/slow.bin", Resource::new(vec![1u8; 8 << 20]).rate(1 << 20));
        let engine = self.app.backend.engine.clone();
        let request = ferry::engine::Request::download(server.url("/slow.bin"), None);
        let id = self.runtime.block_on(engine.create(request)).unwrap().id;
        self.pump_until("running", |app| {
            app.transfers()
                .get(id)
                .is_some_and(|s| s.status == Status::Running)
        });
        (server, id)
    }

    /// Create `request` and feed the app the engine's events until the window
    /// sees it in `status`.
    fn create_until(
        &mut self,
        request: ferry::engine::Request,
        status: Status,
    ) -> ferry::engine::OperationId {
        let engine = self.app.backend.engine.clone();
        let id = self.runtime.block_on(engine.create(request)).unwrap().id;
        self.pump_until(&format!("{status:?}"), |app| {
            app.transfers().get(id).is_some_and(|s| s.status == status)
        });
        id
    }

    /// Type into the new-download form's address box.
    fn type_addresses(&mut self, text: &str) {
        self.interact(|ui| {
            ui.click(widget::Id::from(super::new_download::URLS))
                .expect("the address box");
            ui.typewrite(text);
        });
    }

    fn click(&mut self, label: &str) {
        self.interact(|ui| {
            ui.click(label)
                .unwrap_or_else(|e| panic!("cannot click {label:?}: {e}"));
        });
    }

    /// Whether the current view shows this exact text.
    fn shows(&mut self, label: &str) -> bool {
        simulator(self.app.view(self.window)).find(label).is_ok()
    }

    /// Feed the app what the engine sends until `done` holds.
    fn pump_until(&mut self, what: &str, done: impl Fn(&App) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !done(&self.app) {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            let next = self.runtime.block_on(async {
                tokio::time::timeout(Duration::from_millis(200), self.feed.next()).await
            });
            if let Ok(Some(feedback)) = next {
                let _ = self.app.update(Message::Feedback(feedback));
            }
        }
    }

    fn status_of(&self, name: &str) -> Option<Status> {
        self.app
            .transfers()
            .rows()
            .iter()
            .find(|s| s.display_name() == name)
            .map(|s| s.status)
    }
}

/// The names of the rows the list shows, in its order.
fn shown_names(app: &App) -> Vec<String> {
    app.transfers()
        .shown()
        .iter()
        .map(|s| s.display_name())
        .collect()
}

/// Where a text's bounds are in the current view (at the default size).
fn bounds_of(h: &mut Harness, label: &str) -> iced::Rectangle {
    let mut ui = simulator(h.app.view(h.window));
    let found = ui.find(label).unwrap_or_else(|e| panic!("{label}: {e}"));
    iced_test::selector::Bounded::bounds(&found)
}

/// Pick a method and a send mode in the upload form, as the pick lists would.
fn choose_upload(h: &mut Harness, method: ferry::engine::Method, mode: super::upload::Mode) {
    let method = super::upload::methods()
        .into_iter()
        .find(|c| c.value == method)
        .unwrap();
    let _ = h
        .app
        .update(Message::Upload(super::upload::Message::MethodPicked(
            method,
        )));
    let mode = super::upload::modes(&h.app.tr)
        .into_iter()
        .find(|c| c.value == mode)
        .unwrap();
    let _ = h
        .app
        .update(Message::Upload(super::upload::Message::ModePicked(mode)));
}

/// Fill the upload form with `files` and `url` and send it; wait until every
/// operation has ended.
fn upload_from_the_form(h: &mut Harness, url: &str, files: Vec<std::path::PathBuf>) {
    let count = files.len();
    let _ = h
        .app
        .update(Message::Upload(super::upload::Message::FilesPicked(files)));
    h.interact(|ui| {
        ui.click(widget::Id::from(super::upload::URL))
            .expect("the address field");
        ui.typewrite(url);
    });
    h.click("Upload");
    h.pump_until("the uploads to end", |app| {
        let rows = app.transfers().rows();
        rows.len() >= count && rows.iter().all(|s| s.status.is_finished())
    });
}
