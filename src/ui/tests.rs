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
use iced_test::simulator;
use tokio::sync::Notify;

use ferry::config::{Config, Language};
use ferry::engine::{Engine, Options, Status};

use super::backend::{Backend, Feedback};
use super::{App, Message, Reply, Screen, Setup};
use server::{Resource, TestServer};

mod live;
use live::LiveWindow;

type Feed = std::pin::Pin<Box<dyn futures_util::Stream<Item = Feedback<Reply>> + Send>>;

/// An app over a real engine, with the stream its subscription would read.
struct Harness {
    app: App,
    feed: Feed,
    /// What the engine believes about the network; tests change it.
    network: ferry::engine::FixedConditions,
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
        let backend = Backend::new(engine, runtime.handle().clone());
        let feed: Feed = Box::pin(backend.feed().stream());
        let config = Config {
            language,
            download_dir: Some(dir.path().join("downloads")),
            ..Config::default()
        };
        let (app, _) = App::new(Setup {
            backend,
            config,
            config_path: dir.path().join("config.toml"),
            quit: Arc::new(Notify::new()),
            open_window: false,
            notifier: crate::platform::notify::Notifier::new(runtime.handle().clone()),
            tray_host: false,
        });
        Self {
            app,
            feed,
            network,
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

#[test]
fn a_download_from_the_form_shows_its_name_then_completed() {
    let mut h = Harness::new(Language::English);
    let server = h.runtime.block_on(TestServer::start());
    let body = vec![7u8; 300_000];
    server.put("/files/report.pdf", Resource::new(body.clone()));
    let url = server.url("/files/report.pdf");

    assert!(h.shows("No transfers yet."));
    h.click("New download");
    h.type_addresses(&url);
    h.click("Download");
    h.pump_until("the download to complete", |app| {
        app.transfers()
            .rows()
            .first()
            .is_some_and(|s| s.status == Status::Completed)
    });
    assert!(h.shows("report.pdf"), "the row shows the file name");
    assert!(h.shows("Completed"), "the row shows its status in words");
    assert!(
        h.shows("Open") && h.shows("Show in folder"),
        "a completed row offers to open it"
    );
    let file = h.dir().join("downloads/report.pdf");
    assert!(std::fs::read(file).unwrap() == body);
}

/// A fresh install has no `~/Downloads`: the form's folder is made and the file
/// lands inside it, not saved as a file named `Downloads` (and the next download
/// goes there too).
#[test]
fn a_download_into_a_missing_folder_makes_the_folder() {
    let mut h = Harness::new(Language::English);
    let server = h.runtime.block_on(TestServer::start());
    let body = vec![5u8; 200_000];
    server.put("/files/one.bin", Resource::new(body.clone()));
    server.put("/files/two.bin", Resource::new(body.clone()));
    let folder = h.dir().join("home/Downloads");
    for (name, count) in [("one.bin", 1), ("two.bin", 2)] {
        let url = server.url(&format!("/files/{name}"));
        h.click("New download");
        let _ = h.app.update(Message::NewDownload(
            super::new_download::Message::FolderChosen(Some(folder.clone())),
        ));
        h.interact(|ui| {
            ui.click(widget::Id::from(super::new_download::URLS))
                .expect("the address box");
            ui.typewrite(&url);
        });
        h.click("Download");
        h.pump_until("the download to complete", |app| {
            let rows = app.transfers().rows();
            rows.len() == count && rows.iter().all(|s| s.status == Status::Completed)
        });
        assert!(folder.is_dir(), "the folder was made");
        assert!(
            std::fs::read(folder.join(name)).unwrap() == body,
            "{name} inside it"
        );
    }
}

/// An address pasted again while its download has not ended selects that row
/// and says so, instead of adding a copy (`file (1).bin`).
#[test]
fn an_address_already_in_the_list_selects_its_row_instead_of_a_copy() {
    let mut h = Harness::new(Language::English);
    let server = h.runtime.block_on(TestServer::start());
    server.put("/big.bin", Resource::new(vec![1u8; 8 << 20]).rate(1 << 20));
    let url = server.url("/big.bin");
    let engine = h.app.backend.engine.clone();
    let first = h
        .runtime
        .block_on(engine.create(ferry::engine::Request::download(url.clone(), None)))
        .unwrap();
    h.runtime.block_on(engine.pause(first.id)).unwrap();
    h.pump_until("the row", |app| app.transfers().rows().len() == 1);

    h.click("New download");
    h.type_addresses(&url);
    h.click("Download");
    h.pump_until("the answer", |app| app.transfers().notice.is_some());
    assert_eq!(h.app.transfers().rows().len(), 1, "no second copy");
    assert_eq!(
        h.app.transfers().selected,
        Some(first.id),
        "its row is selected"
    );
    assert!(
        h.shows("“big.bin” is already in the list and not finished: it continues there."),
        "the user is told"
    );
    h.pump_until("resumed", |app| {
        app.transfers().rows()[0].status != Status::PausedByApplication
    });
}

/// A command's answer (the tray's Pause all) is not a form's answer: the form the
/// user is filling stays open.
#[test]
fn pause_all_from_the_tray_leaves_a_half_filled_form_open() {
    let mut h = Harness::new(Language::English);
    h.click("New download");
    h.type_addresses("https://example.org/half-typed");
    let _ = h.app.update(Message::Feedback(Feedback::Reply(Reply::Tray(
        crate::platform::tray::Action::PauseAll,
    ))));
    // Let the engine's answer arrive, then check the form is still there.
    let next = h
        .runtime
        .block_on(async { tokio::time::timeout(Duration::from_secs(2), h.feed.next()).await });
    if let Ok(Some(feedback)) = next {
        let _ = h.app.update(Message::Feedback(feedback));
    }
    assert!(
        matches!(h.app.screen, Screen::NewDownload(_)),
        "the form is still open, with what was typed"
    );
}

#[test]
fn an_invalid_address_is_flagged_in_the_form_with_the_reason() {
    let mut h = Harness::new(Language::English);
    h.click("New download");
    h.type_addresses("gopher://example.org/x");
    h.click("Download");
    assert!(
        h.shows("Line 1: unsupported URL scheme \"gopher\": Ferry transfers over http, https, ftp and ftps"),
        "the form says what is wrong"
    );
    assert!(h.app.transfers().rows().is_empty(), "nothing was created");
}

/// Where a text's bounds are in the current view (at the default size).
fn bounds_of(h: &mut Harness, label: &str) -> iced::Rectangle {
    let mut ui = simulator(h.app.view(h.window));
    let found = ui.find(label).unwrap_or_else(|e| panic!("{label}: {e}"));
    iced_test::selector::Bounded::bounds(&found)
}

/// Nothing jumps under the pointer: a problem line appears below the form's
/// buttons, and after Cancel the row's last button is not Remove.
#[test]
fn buttons_stay_where_the_pointer_is() {
    let mut h = Harness::new(Language::English);
    h.click("New download");
    let before = bounds_of(&mut h, "Download");
    h.type_addresses("gopher://x/");
    h.click("Download");
    assert!(h.shows(
        "Line 1: unsupported URL scheme \"gopher\": Ferry transfers over http, https, ftp and ftps"
    ));
    assert_eq!(
        bounds_of(&mut h, "Download"),
        before,
        "the button did not move"
    );
    h.app.screen = Screen::Transfers;

    let (_server, id) = h.running_download();
    h.pump_until("some bytes", |app| {
        app.transfers().get(id).is_some_and(|s| s.bytes > 0)
    });
    let cancel = bounds_of(&mut h, "Cancel");
    let part = h.dir().join("downloads/slow.bin.part");
    // With bytes to lose, the first Cancel only asks, and nothing moves.
    h.click("Cancel");
    let Some(notice) = h.app.transfers.notice.clone() else {
        panic!("Cancel asks first");
    };
    assert!(
        notice.starts_with("Cancel again to stop “slow.bin” for good: the ")
            && notice.ends_with(" done so far will be deleted."),
        "{notice}"
    );
    assert!(h.shows(&notice));
    assert_eq!(bounds_of(&mut h, "Cancel"), cancel, "Cancel did not move");
    h.pump_until("bytes keep coming", |app| {
        app.transfers().get(id).is_some_and(|s| s.bytes > 1 << 20)
    });
    assert_eq!(h.status_of("slow.bin"), Some(Status::Running));
    assert!(part.exists(), "the partial file is kept");
    h.click("Cancel");
    h.pump_until("canceled", |app| {
        app.transfers()
            .get(id)
            .is_some_and(|s| s.status == Status::Canceled)
    });
    assert!(!part.exists(), "the partial file is gone once confirmed");
    let remove = bounds_of(&mut h, "Remove");
    assert!(
        !remove.contains(cancel.center()),
        "Remove {remove:?} is where Cancel {cancel:?} was"
    );
}

/// "Save as…" with several addresses is said, not dropped; a typed folder is
/// used; where no picker can open, the form says to type the path; an upload's
/// file can be added by its path.
#[test]
fn paths_can_be_typed_and_choices_are_never_dropped() {
    let mut h = Harness::new(Language::English);
    let server = h.runtime.block_on(TestServer::start());
    server.put("/a.bin", Resource::new(vec![2u8; 3000]));
    h.click("New download");
    let _ = h.app.update(Message::NewDownload(
        super::new_download::Message::SaveAsChosen(Some(h.dir().join("one.bin"))),
    ));
    let _ = h.app.update(Message::NewDownload(
        super::new_download::Message::UrlsEdited(widget::text_editor::Action::Edit(
            widget::text_editor::Edit::Paste(Arc::new(
                "http://127.0.0.1:1/a\nhttp://127.0.0.1:1/b".to_owned(),
            )),
        )),
    ));
    h.click("Download");
    assert!(
        h.shows("“Save as…” names one file: keep one address, or choose a folder for several.")
    );
    assert!(h.app.transfers().rows().is_empty(), "nothing created");
    let _ = h
        .app
        .update(Message::NewDownload(super::new_download::Message::NoPicker));
    assert!(h.shows("No file dialog can open here: type the folder above."));
    // Typed: a folder that does not exist yet.
    let typed = h.dir().join("typed/here");
    let _ = h.app.update(Message::NewDownload(
        super::new_download::Message::FolderTyped(typed.display().to_string()),
    ));
    let url = server.url("/a.bin");
    for action in [
        widget::text_editor::Action::SelectAll,
        widget::text_editor::Action::Edit(widget::text_editor::Edit::Paste(Arc::new(url))),
    ] {
        let _ = h.app.update(Message::NewDownload(
            super::new_download::Message::UrlsEdited(action),
        ));
    }
    h.click("Download");
    h.pump_until("completed", |app| {
        app.transfers().rows().len() == 1 && app.transfers().rows()[0].status == Status::Completed
    });
    assert!(std::fs::read(typed.join("a.bin")).unwrap() == vec![2u8; 3000]);

    h.click("New upload");
    let file = h.dir().join("typed.txt");
    std::fs::write(&file, b"typed").unwrap();
    let _ = h
        .app
        .update(Message::Upload(super::upload::Message::PathTyped(
            file.display().to_string(),
        )));
    let _ = h
        .app
        .update(Message::Upload(super::upload::Message::AddTyped));
    assert!(h.shows("typed.txt"), "the typed file is listed");
}

/// Enter in a field of the form sends it ("bob", Tab, "secret", Enter).
#[test]
fn enter_in_a_field_sends_the_form() {
    let mut h = Harness::new(Language::English);
    let server = h.runtime.block_on(TestServer::start());
    server.put(
        "/private.bin",
        Resource::new(vec![4u8; 5000]).basic_auth("bob", "secret"),
    );
    h.click("New download");
    h.type_addresses(&server.url("/private.bin"));
    let _ = h.app.update(Message::NewDownload(
        super::new_download::Message::Advanced(super::advanced::Message::Toggle(true)),
    ));
    let _ = h.app.update(Message::NewDownload(
        super::new_download::Message::Advanced(super::advanced::Message::UserChanged("bob".into())),
    ));
    h.interact(|ui| {
        ui.click(widget::Id::from(super::advanced::PASSWORD))
            .expect("the password field");
        ui.typewrite("secret");
        ui.tap_key(iced::keyboard::key::Named::Enter);
    });
    h.pump_until("the download to complete", |app| {
        app.transfers()
            .rows()
            .first()
            .is_some_and(|s| s.status == Status::Completed)
    });
}

/// In French, the reason a form gives is French too, not the engine's English.
#[test]
fn a_refusal_in_a_french_form_is_french() {
    let mut h = Harness::new(Language::French);
    h.click("Nouveau téléchargement");
    h.type_addresses("gopher://example.org/x");
    h.click("Télécharger");
    let Screen::NewDownload(state) = &h.app.screen else {
        panic!("the form stays");
    };
    assert_eq!(
        state.problems,
        vec!["Ligne 1 : schéma d’adresse \"gopher\" non pris en charge : Ferry transfère en http, https, ftp et ftps".to_owned()]
    );
}

#[test]
fn pause_and_resume_buttons_change_the_status_text() {
    let mut h = Harness::new(Language::English);
    let server = h.runtime.block_on(TestServer::start());
    server.put("/slow.bin", Resource::new(vec![1u8; 8 << 20]).rate(2 << 20));
    let url = server.url("/slow.bin");
    let engine = h.app.backend.engine.clone();
    h.runtime
        .block_on(engine.create(ferry::engine::Request::download(url, None)))
        .unwrap();
    h.pump_until("running", |app| {
        app.transfers()
            .rows()
            .first()
            .is_some_and(|s| s.status == Status::Running)
    });
    assert!(h.shows("Running"));
    h.click("Pause");
    h.pump_until("paused", |app| {
        app.transfers()
            .rows()
            .first()
            .is_some_and(|s| s.status == Status::PausedByApplication)
    });
    assert!(h.shows("Paused"));
    h.click("Resume");
    h.pump_until("running again", |app| {
        app.transfers()
            .rows()
            .first()
            .is_some_and(|s| s.status != Status::PausedByApplication)
    });
    assert!(!h.shows("Paused"));
    assert_ne!(h.status_of("slow.bin"), Some(Status::PausedByApplication));
}

#[test]
fn the_upload_form_lists_picked_files_and_creates_one_multipart_operation() {
    let mut h = Harness::new(Language::English);
    let server = h.runtime.block_on(TestServer::start());
    server.sink("/upload", uploads::Sink::ok("thanks"));
    let a = h.dir().join("a.txt");
    let b = h.dir().join("b.jpg");
    std::fs::write(&a, b"first").unwrap();
    std::fs::write(&b, vec![9u8; 2048]).unwrap();

    h.click("New upload");
    // The OS dialog is not driven: its answer arrives as the message it would send.
    let _ = h
        .app
        .update(Message::Upload(super::upload::Message::FilesPicked(vec![
            a, b,
        ])));
    assert!(h.shows("a.txt") && h.shows("b.jpg"), "the files are listed");
    assert!(h.shows("2.0 KiB"), "with their sizes");
    assert!(h.shows("2 files, 2.0 KiB"));
    let url = server.url("/upload");
    h.interact(|ui| {
        ui.click(widget::Id::from(super::upload::URL))
            .expect("the address field");
        ui.typewrite(&url);
    });
    h.click("Upload");
    h.pump_until("the upload to complete", |app| {
        app.transfers()
            .rows()
            .first()
            .is_some_and(|s| s.status == Status::Completed)
    });
    assert_eq!(
        h.app.transfers().rows().len(),
        1,
        "one operation for both files"
    );
    let received = server.received("/upload");
    assert_eq!(received.len(), 1);
    let content_type = received[0].header("content-type").unwrap();
    assert!(
        content_type.starts_with("multipart/form-data"),
        "{content_type}"
    );
    let body = String::from_utf8_lossy(received[0].body.as_ref().unwrap()).into_owned();
    assert!(body.contains("filename=\"a.txt\"") && body.contains("filename=\"b.jpg\""));
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

/// PUT from the form stores the file itself, byte for byte: choosing PUT leaves
/// the multipart mode (whose envelope would be stored as the file).
#[test]
fn a_put_from_the_form_stores_the_file_itself() {
    let mut h = Harness::new(Language::English);
    let server = h.runtime.block_on(TestServer::start());
    server.sink("/dav/up/big.mp4", uploads::Sink::ok("stored"));
    let file = h.dir().join("big.mp4");
    let body: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&file, &body).unwrap();
    h.click("New upload");
    choose_upload(
        &mut h,
        ferry::engine::Method::Put,
        super::upload::Mode::Multipart,
    );
    // Multipart asked for: the method goes back to POST, never PUT + multipart.
    let _ = h
        .app
        .update(Message::Upload(super::upload::Message::MethodPicked(
            super::upload::methods()
                .into_iter()
                .find(|c| c.value == ferry::engine::Method::Put)
                .unwrap(),
        )));
    upload_from_the_form(&mut h, &server.url("/dav/up/big.mp4"), vec![file]);
    let received = server.received("/dav/up/big.mp4");
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].method, "PUT");
    assert!(
        received[0].body.as_deref() == Some(&body[..]),
        "the server holds the file itself"
    );
    assert_eq!(h.app.transfers().rows()[0].status, Status::Completed);
}

/// "One upload per file" to a target ending in `/`: each file under its own name
/// there, as the command line does.
#[test]
fn one_upload_per_file_to_a_folder_target_stores_each_under_its_name() {
    let mut h = Harness::new(Language::English);
    let server = h.runtime.block_on(TestServer::start());
    let names = ["a.txt", "b c.jpg", "ünï.bin"];
    let mut files = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let path = h.dir().join(name);
        std::fs::write(&path, vec![i as u8 + 1; 1000 + i]).unwrap();
        files.push(path);
    }
    for path in ["/dav/a.txt", "/dav/b%20c.jpg", "/dav/%C3%BCn%C3%AF.bin"] {
        server.sink(path, uploads::Sink::ok("stored"));
    }
    h.click("New upload");
    choose_upload(
        &mut h,
        ferry::engine::Method::Put,
        super::upload::Mode::Separate,
    );
    upload_from_the_form(&mut h, &server.url("/dav/"), files);
    for (i, path) in ["/dav/a.txt", "/dav/b%20c.jpg", "/dav/%C3%BCn%C3%AF.bin"]
        .iter()
        .enumerate()
    {
        let received = server.received(path);
        assert_eq!(received.len(), 1, "{path}");
        assert!(
            received[0].body.as_deref() == Some(&vec![i as u8 + 1; 1000 + i][..]),
            "{path}"
        );
    }
    assert!(
        h.app
            .transfers()
            .rows()
            .iter()
            .all(|s| s.status == Status::Completed),
        "{:?}",
        h.app
            .transfers()
            .rows()
            .iter()
            .map(|s| (&s.url, s.status, &s.error))
            .collect::<Vec<_>>()
    );
}

/// The download folder can be typed in the settings too.
#[test]
fn the_settings_folder_can_be_typed() {
    let mut h = Harness::new(Language::English);
    h.click("Settings");
    let folder = h.dir().join("elsewhere");
    let _ = h
        .app
        .update(Message::Settings(super::settings::Message::FolderTyped(
            folder.display().to_string(),
        )));
    h.click("Save");
    assert_eq!(h.app.config.download_dir.as_deref(), Some(folder.as_path()));
    let saved = std::fs::read_to_string(h.dir().join("config.toml")).unwrap();
    assert!(saved.contains("elsewhere"), "{saved}");
}

#[test]
fn switching_the_language_in_settings_shows_french() {
    let mut h = Harness::new(Language::English);
    h.click("Settings");
    assert!(h.shows("Language"));
    h.click("Français");
    h.click("Save");
    assert!(h.shows("Réglages"), "the settings title is French");
    assert!(h.shows("Nouveau téléchargement"), "so is the top bar");
    let saved = std::fs::read_to_string(h.dir().join("config.toml")).unwrap();
    assert!(saved.contains("language = \"fr\""), "{saved}");
}

/// Render the main screens with the headless renderer, as the README shows them:
/// the list with transfers in several states, the upload form with files, and
/// the settings in French. The PNGs go to `target/screenshots/`.
#[test]
fn the_screens_render() {
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    // The snapshot API compares with an existing file: start from none.
    let _ = std::fs::remove_dir_all(&out);
    let mut h = Harness::new(Language::English);
    let server = h.runtime.block_on(TestServer::start());
    server.put(
        "/iso/debian-13.2-amd64-netinst.iso",
        Resource::new(vec![3u8; 6 << 20]),
    );
    server.put(
        "/video/conference-keynote.mkv",
        Resource::new(vec![4u8; 64 << 20]).rate(4 << 20),
    );
    server.put(
        "/photos/holiday-2026.zip",
        Resource::new(vec![5u8; 32 << 20]).rate(4 << 20),
    );
    let engine = h.app.backend.engine.clone();
    let create = |path: &str| {
        h.runtime
            .block_on(engine.create(ferry::engine::Request::download(server.url(path), None)))
            .unwrap()
            .id
    };
    create("/iso/debian-13.2-amd64-netinst.iso");
    let keynote = create("/video/conference-keynote.mkv");
    let photos = create("/photos/holiday-2026.zip");
    create("/missing/report-q3.pdf");
    h.pump_until("the list to settle", |app| {
        let rows = app.transfers().rows();
        rows.len() == 4
            && rows[0].status == Status::Completed
            && rows[3].status == Status::Error
            && rows[1].bytes > (4 << 20)
            && rows[2].bytes > (4 << 20)
    });
    h.runtime.block_on(engine.pause(photos)).unwrap();
    h.pump_until("the pause", |app| {
        app.transfers()
            .get(photos)
            .is_some_and(|s| s.status == Status::PausedByApplication)
            && app.transfers().get(keynote).is_some_and(|s| s.speed > 0.0)
    });
    let mut shots = Vec::new();
    let mut shoot = |h: &mut Harness, name: &str| {
        let path = out.join(name);
        let snapshot = simulator(h.app.view(h.window))
            .snapshot(&iced::Theme::Light)
            .unwrap();
        assert!(snapshot.matches_image(&path).unwrap());
        shots.push(path);
    };
    shoot(&mut h, "transfers");

    h.click("New upload");
    let files: Vec<_> = [
        ("slides.pdf", 1_250_000),
        ("recording.wav", 48_000_000),
        ("notes.txt", 2_300),
    ]
    .iter()
    .map(|(name, size)| {
        let path = h.dir().join(name);
        std::fs::write(&path, vec![0u8; *size]).unwrap();
        path
    })
    .collect();
    let _ = h
        .app
        .update(Message::Upload(super::upload::Message::FilesPicked(files)));
    shoot(&mut h, "upload");

    let _ = h.app.update(Message::OpenSettings);
    h.click("Français");
    h.click("Save");
    shoot(&mut h, "settings-fr");
    for shot in std::fs::read_dir(&out).unwrap().flatten() {
        assert!(
            shot.metadata().unwrap().len() > 10_000,
            "{} looks empty",
            shot.path().display()
        );
    }
    assert!(shots.len() == 3);
}

#[test]
fn ten_thousand_operations_build_only_the_rows_in_view() {
    let mut h = Harness::new(Language::English);
    let engine = h.app.backend.engine.clone();
    let request = ferry::engine::Request::download("http://127.0.0.1:9/file-00000.bin", None);
    let mut one = h.runtime.block_on(engine.create(request)).unwrap();
    h.runtime.block_on(engine.pause(one.id)).unwrap();
    one.status = Status::PausedByApplication;
    // The list as the engine would report ten thousand of them.
    let rows: Vec<_> = (0..10_000u64)
        .map(|i| {
            let mut s = one.clone();
            s.id = ferry::engine::OperationId::new();
            s.seq = i + 1;
            s.url = format!("http://127.0.0.1:9/file-{i:05}.bin");
            s
        })
        .collect();
    h.app.transfers.reset(rows);
    let started = Instant::now();
    let mut ui = simulator(h.app.view(h.window));
    assert!(
        ui.find("file-00000.bin").is_ok(),
        "the first rows are built"
    );
    assert!(ui.find("file-09999.bin").is_err(), "rows far below are not");
    assert!(ui.find("10000 transfers").is_ok());
    println!(
        "view of 10,000 operations built and laid out in {:?}",
        started.elapsed()
    );
}

#[test]
fn keyboard_shortcuts_open_forms_and_control_the_selected_row() {
    use iced::keyboard::{Key, Modifiers, key::Named};
    let mut h = Harness::new(Language::English);
    let _ = h
        .app
        .update(Message::Key(Key::Character("n".into()), Modifiers::CTRL));
    assert!(
        h.shows("New download") && h.shows("Addresses"),
        "Ctrl+N opens the download form"
    );
    let _ = h
        .app
        .update(Message::Key(Key::Named(Named::Escape), Modifiers::empty()));
    assert!(h.shows("No transfers yet."), "Escape goes back");
    let _ = h
        .app
        .update(Message::Key(Key::Character("u".into()), Modifiers::CTRL));
    assert!(h.shows("Upload to"), "Ctrl+U opens the upload form");
    let _ = h
        .app
        .update(Message::Key(Key::Named(Named::Escape), Modifiers::empty()));

    let (_server, id) = h.running_download();
    // Select the row (its name opens the details; Escape comes back), then Space.
    h.click("slow.bin");
    assert!(h.shows("Address"), "the details screen");
    let _ = h
        .app
        .update(Message::Key(Key::Named(Named::Escape), Modifiers::empty()));
    let _ = h
        .app
        .update(Message::Key(Key::Named(Named::Space), Modifiers::empty()));
    h.pump_until("paused by Space", |app| {
        app.transfers()
            .get(id)
            .is_some_and(|s| s.status == Status::PausedByApplication)
    });
    // Delete asks first, naming the row; a second Delete removes it.
    let _ = h
        .app
        .update(Message::Key(Key::Named(Named::Delete), Modifiers::empty()));
    assert!(
        h.shows("Press Delete again to remove “slow.bin” from the list."),
        "Delete asks first"
    );
    assert!(h.app.transfers().get(id).is_some(), "nothing removed yet");
    let _ = h
        .app
        .update(Message::Key(Key::Named(Named::Delete), Modifiers::empty()));
    h.pump_until("removed by Delete", |app| app.transfers().get(id).is_none());
}

/// At the smallest window size, with the Advanced part open, every form scrolls
/// to its submit button.
#[test]
fn forms_scroll_to_their_buttons_at_the_smallest_size() {
    use iced::mouse::ScrollDelta;
    let mut h = Harness::new(Language::English);
    for (open, submit) in [
        (Message::OpenUpload, "Upload"),
        (Message::OpenNewDownload, "Download"),
        (Message::OpenSettings, "Save"),
    ] {
        let _ = h.app.update(open);
        let _ = h.app.update(match submit {
            "Upload" => Message::Upload(super::upload::Message::Advanced(
                super::advanced::Message::Toggle(true),
            )),
            "Download" => Message::NewDownload(super::new_download::Message::Advanced(
                super::advanced::Message::Toggle(true),
            )),
            _ => Message::OpenSettings,
        });
        let messages: Vec<Message> = {
            let mut ui = iced_test::Simulator::with_size(
                iced_test::core::Settings::default(),
                (640.0, 420.0),
                h.app.view(h.window),
            );
            ui.point_at(iced::Point::new(320.0, 300.0));
            let _ = ui.simulate([iced::Event::Mouse(iced::mouse::Event::WheelScrolled {
                delta: ScrollDelta::Pixels { x: 0.0, y: -5000.0 },
            })]);
            let target = ui.find(submit).expect("the submit button");
            let bounds = iced_test::selector::Bounded::visible_bounds(&target).expect("visible");
            assert!(
                bounds.y + bounds.height <= 420.0,
                "{submit}: {bounds:?} is below a 420 px window"
            );
            ui.click(submit).expect("the button can be clicked");
            ui.into_messages().collect()
        };
        assert!(!messages.is_empty(), "{submit} answered the click");
        let _ = h.app.update(Message::Key(
            iced::keyboard::Key::Named(iced::keyboard::key::Named::Escape),
            iced::keyboard::Modifiers::empty(),
        ));
        h.app.screen = Screen::Transfers;
    }
}

/// The list's scrollbar has a lane of its own: it never covers a row's last
/// button once the list scrolls.
#[test]
fn the_list_scrollbar_leaves_the_row_buttons_uncovered() {
    let mut h = Harness::new(Language::English);
    let engine = h.app.backend.engine.clone();
    for i in 0..20 {
        let request =
            ferry::engine::Request::download(format!("http://127.0.0.1:1/f{i}.bin"), None);
        let id = h.runtime.block_on(engine.create(request)).unwrap().id;
        h.runtime.block_on(engine.pause(id)).unwrap();
    }
    h.pump_until("20 rows", |app| app.transfers().rows().len() == 20);
    let mut ui = iced_test::Simulator::with_size(
        iced_test::core::Settings::default(),
        (640.0, 420.0),
        h.app.view(h.window),
    );
    // A paused row's last button.
    let remove = ui.find("Cancel").expect("a row's Cancel button");
    let bounds = iced_test::selector::Bounded::bounds(&remove);
    // The label, its button's padding (5), then the scrollbar's lane: 10 wide,
    // 4 apart, inside the window's padding (16).
    let button_end = bounds.x + bounds.width + 5.0;
    assert!(
        button_end <= 640.0 - 16.0 - 10.0 - 4.0,
        "the button ends at {button_end}, under the scrollbar"
    );
}

/// Open on a file that is gone says why in the window, instead of nothing.
#[test]
fn a_failed_open_is_reported() {
    let mut h = Harness::new(Language::English);
    let server = h.runtime.block_on(TestServer::start());
    server.put("/files/gone.pdf", Resource::new(vec![1u8; 1000]));
    let engine = h.app.backend.engine.clone();
    let done = h
        .runtime
        .block_on(engine.create(ferry::engine::Request::download(
            server.url("/files/gone.pdf"),
            None,
        )))
        .unwrap();
    h.pump_until("completed", |app| {
        app.transfers()
            .get(done.id)
            .is_some_and(|s| s.status == Status::Completed)
    });
    let path = h
        .app
        .transfers()
        .get(done.id)
        .unwrap()
        .destination
        .clone()
        .unwrap();
    std::fs::remove_file(path).unwrap();
    h.click("Open");
    h.pump_until("the failure", |app| app.transfers().notice.is_some());
    let notice = h.app.transfers().notice.clone().unwrap();
    assert!(notice.starts_with("Cannot open “gone.pdf”: "), "{notice}");
}

/// Escape never throws a filled form away (it may have been meant for an open
/// list): the form stays; its Back button leaves it as a draft, given back
/// when the form is opened again. An empty form is left at once.
#[test]
fn a_filled_form_survives_escape_and_cancel() {
    use iced::keyboard::{Key, Modifiers, key::Named};
    let mut h = Harness::new(Language::English);
    let escape = |h: &mut Harness| {
        let _ = h
            .app
            .update(Message::Key(Key::Named(Named::Escape), Modifiers::empty()));
    };
    h.click("New upload");
    let file = h.dir().join("keep.txt");
    std::fs::write(&file, b"keep").unwrap();
    let _ = h
        .app
        .update(Message::Upload(super::upload::Message::FilesPicked(vec![
            file,
        ])));
    h.interact(|ui| {
        ui.click(widget::Id::from(super::upload::URL))
            .expect("the address field");
        ui.typewrite("https://example.org/up");
    });
    escape(&mut h);
    assert!(matches!(h.app.screen, Screen::Upload(_)), "still there");
    assert!(h.shows("keep.txt"));
    h.click("Back");
    assert!(matches!(h.app.screen, Screen::Transfers));
    h.click("New upload");
    assert!(h.shows("keep.txt"), "the draft comes back");
    // A download form with nothing typed: Escape leaves it.
    h.click("New download");
    escape(&mut h);
    assert!(matches!(h.app.screen, Screen::Transfers));
}

#[test]
fn a_dropped_file_opens_the_upload_form_with_it_and_the_clipboard_is_offered() {
    let mut h = Harness::new(Language::English);
    let file = h.dir().join("dropped.txt");
    std::fs::write(&file, b"x").unwrap();
    let _ = h.app.update(Message::FileDropped(file));
    assert!(h.shows("Upload to") && h.shows("dropped.txt"));

    h.click("New download");
    let url = "https://example.org/from-the-clipboard.iso";
    let _ = h.app.update(Message::NewDownload(
        super::new_download::Message::ClipboardRead(Some(url.into())),
    ));
    let offer = format!("Use the address in the clipboard: {url}");
    assert!(h.shows(&offer));
    h.click(&offer);
    assert!(!h.shows(&offer), "taken");
    // Not in the clipboard: no offer for text that is not an address.
    let _ = h.app.update(Message::NewDownload(
        super::new_download::Message::ClipboardRead(Some("hello".into())),
    ));
    assert!(!h.shows("Use the address in the clipboard: hello"));
}

#[test]
fn engine_events_reach_the_window_at_most_ten_times_a_second() {
    let mut h = Harness::new(Language::English);
    let server = h.runtime.block_on(TestServer::start());
    let engine = h.app.backend.engine.clone();
    for i in 0..4 {
        let path = format!("/f{i}");
        server.put(&path, Resource::new(vec![1u8; 8 << 20]).rate(2 << 20));
        h.runtime
            .block_on(engine.create(ferry::engine::Request::download(server.url(&path), None)))
            .unwrap();
    }
    let started = Instant::now();
    let (mut batches, mut events) = (0usize, 0usize);
    while started.elapsed() < Duration::from_millis(2000) {
        let next = h.runtime.block_on(async {
            tokio::time::timeout(Duration::from_millis(200), h.feed.next()).await
        });
        if let Ok(Some(Feedback::Engine(batch))) = next {
            batches += 1;
            events += batch.len();
        }
    }
    let most = (started.elapsed().as_secs_f64() / 0.1).ceil() as usize + 1;
    println!(
        "{events} engine events in {batches} batches over {:?}",
        started.elapsed()
    );
    assert!(
        batches <= most,
        "{batches} batches, at most {most} expected"
    );
    assert!(events > batches, "several events share a batch");
}

#[test]
fn credentials_in_the_advanced_part_reach_the_server() {
    use super::advanced::Message as Advanced;
    use super::new_download::Message as Form;
    let mut h = Harness::new(Language::English);
    let server = h.runtime.block_on(TestServer::start());
    server.put(
        "/private/data.csv",
        Resource::new(b"a,b\n".to_vec()).basic_auth("alice", "s3cret"),
    );
    let url = server.url("/private/data.csv");
    h.click("New download");
    h.type_addresses(&url);
    for message in [
        Advanced::Toggle(true),
        Advanced::UserChanged("alice".into()),
        Advanced::PasswordChanged("s3cret".into()),
        Advanced::CookiesChanged("session=abc; theme=dark".into()),
    ] {
        let _ = h.app.update(Message::NewDownload(Form::Advanced(message)));
    }
    assert!(h.shows("User name") && h.shows("Password"));
    h.click("Download");
    h.pump_until("the download", |app| {
        app.transfers()
            .rows()
            .first()
            .is_some_and(|s| s.status == Status::Completed)
    });
    let seen = server.seen("/private/data.csv");
    assert_eq!(
        seen.last().unwrap().header("authorization"),
        Some("Basic YWxpY2U6czNjcmV0")
    );
    let mut cookies: Vec<&str> = seen
        .last()
        .unwrap()
        .header("cookie")
        .unwrap_or("")
        .split("; ")
        .collect();
    cookies.sort_unstable();
    assert_eq!(cookies, ["session=abc", "theme=dark"]);
    // Details name the user and the cookies, never the password.
    h.click("data.csv");
    assert!(h.shows("alice · ●●●●●● (kept secret)"));
    assert!(h.shows("2 (kept secret)"));
    let page = format!("{:?}", h.app.transfers().rows()[0]);
    assert!(!page.contains("s3cret"), "the snapshot holds no password");
}

#[test]
fn the_upload_form_sends_credentials_and_cookies_from_its_advanced_part() {
    use super::advanced::Message as Advanced;
    let mut h = Harness::new(Language::English);
    let server = h.runtime.block_on(TestServer::start());
    server.sink("/inbox", uploads::Sink::ok("stored"));
    let file = h.dir().join("notes.txt");
    std::fs::write(&file, b"private notes").unwrap();
    h.click("New upload");
    let _ = h
        .app
        .update(Message::Upload(super::upload::Message::FilesPicked(vec![
            file,
        ])));
    let url = server.url("/inbox");
    h.interact(|ui| {
        ui.click(widget::Id::from(super::upload::URL))
            .expect("the address field");
        ui.typewrite(&url);
    });
    h.click("Advanced");
    assert!(h.shows("User name") && h.shows("Proxy") && h.shows("Cookies"));
    for message in [
        Advanced::UserChanged("bob".into()),
        Advanced::PasswordChanged("hunter2".into()),
        Advanced::CookiesChanged("upload_session=42".into()),
    ] {
        let _ = h
            .app
            .update(Message::Upload(super::upload::Message::Advanced(message)));
    }
    h.click("Upload");
    h.pump_until("the upload to complete", |app| {
        app.transfers()
            .rows()
            .first()
            .is_some_and(|s| s.status == Status::Completed)
    });
    let received = server.received("/inbox");
    assert_eq!(
        received[0].header("authorization"),
        Some("Basic Ym9iOmh1bnRlcjI=")
    );
    assert_eq!(received[0].header("cookie"), Some("upload_session=42"));

    // A proxy the engine cannot use is flagged in the form, and nothing is created.
    h.click("New upload");
    let _ = h
        .app
        .update(Message::Upload(super::upload::Message::FilesPicked(vec![
            h.dir().join("notes.txt"),
        ])));
    h.interact(|ui| {
        ui.click(widget::Id::from(super::upload::URL))
            .expect("the address field");
        ui.typewrite(&url);
    });
    h.click("Advanced");
    let _ = h
        .app
        .update(Message::Upload(super::upload::Message::Advanced(
            Advanced::ProxyChanged("gopher://proxy:70".into()),
        )));
    h.click("Upload");
    assert!(
        h.shows(
            "invalid proxy gopher://proxy:70: the scheme must be http, https, socks5 or socks5h"
        ),
        "the form says what is wrong with the proxy"
    );
    assert_eq!(h.app.transfers().rows().len(), 1, "nothing new was created");
}

#[test]
fn a_metered_network_shows_why_a_row_waits_and_run_anyway_lets_it_go() {
    let mut h = Harness::new(Language::English);
    let server = h.runtime.block_on(TestServer::start());
    let body = vec![9u8; 2 << 20];
    server.put("/careful.bin", Resource::new(body.clone()).rate(4 << 20));
    assert!(h.shows("Online"));

    h.network.set(ferry::engine::Conditions {
        metered: true,
        ..ferry::engine::Conditions::default()
    });
    h.pump_until("the footer to hear of it", |app| {
        app.transfers().network.conditions.metered
    });
    assert!(h.shows("Metered network"));

    let engine = h.app.backend.engine.clone();
    let request = ferry::engine::Request::download(server.url("/careful.bin"), None)
        .policy(ferry::engine::CostPolicy::UnrestrictedOnly);
    h.runtime.block_on(engine.create(request)).unwrap();
    h.pump_until("the row to wait", |app| {
        app.transfers()
            .rows()
            .first()
            .is_some_and(|s| s.status == Status::PausedCostedNetwork)
    });
    assert!(h.shows("Paused: metered network"));
    h.click("Run anyway");
    h.pump_until("completed", |app| {
        app.transfers()
            .rows()
            .first()
            .is_some_and(|s| s.status == Status::Completed)
    });
    let row = h.app.transfers().rows()[0].clone();
    assert_eq!(row.policy, ferry::engine::CostPolicy::Always);
    assert_eq!(std::fs::read(row.destination.unwrap()).unwrap(), body);

    h.network.set(ferry::engine::Conditions {
        online: false,
        ..ferry::engine::Conditions::default()
    });
    h.pump_until("offline", |app| !app.transfers().network.conditions.online);
    assert!(h.shows("Offline"));
}

#[test]
fn groups_show_on_rows_filter_the_list_and_the_policy_changes_in_details() {
    let mut h = Harness::new(Language::French);
    let server = h.runtime.block_on(TestServer::start());
    server.put("/a.jpg", Resource::new(vec![1u8; 1000]).rate(200));
    server.put("/b.iso", Resource::new(vec![2u8; 1000]).rate(200));
    let engine = h.app.backend.engine.clone();
    h.runtime.block_on(async {
        engine
            .create_group("photos", ferry::engine::Behavior::Parallel, None)
            .await
            .unwrap();
        engine
            .create(ferry::engine::Request::download(server.url("/a.jpg"), None).group("photos"))
            .await
            .unwrap();
        engine
            .create(ferry::engine::Request::download(server.url("/b.iso"), None))
            .await
            .unwrap();
    });
    h.pump_until("two rows", |app| app.transfers().rows().len() == 2);
    assert!(h.shows("photos"), "the group is on its row");
    assert!(h.shows("a.jpg") && h.shows("b.iso"));

    // The filter (a pick list, whose menu the simulator does not open): every
    // group, then one.
    let only_photos = {
        let transfers = h.app.transfers();
        transfers
            .group_choices(&h.app.tr)
            .into_iter()
            .find(|c| c.group.as_deref() == Some("photos"))
            .unwrap()
    };
    let _ = h
        .app
        .update(Message::Transfers(super::transfers::Message::Group(
            only_photos,
        )));
    assert!(h.shows("a.jpg"));
    assert!(!h.shows("b.iso"), "filtered out");

    // Details: the policy of a waiting row can change.
    h.click("a.jpg");
    assert!(h.shows("Sur les réseaux limités"));
    let id = h.app.transfers().rows()[0].id;
    let _ = h
        .app
        .update(Message::Details(super::details::Message::Policy(
            ferry::engine::CostPolicy::UnrestrictedOnly,
        )));
    h.pump_until("the new policy", |app| {
        app.transfers()
            .get(id)
            .is_some_and(|s| s.policy == ferry::engine::CostPolicy::UnrestrictedOnly)
    });
}

/// The last error in details speaks the screen's language: the status in words and
/// the server's answer, not the engine's English sentence.
#[test]
fn the_last_error_in_french_details_is_french() {
    let mut h = Harness::new(Language::French);
    let server = h.runtime.block_on(TestServer::start());
    let engine = h.app.backend.engine.clone();
    let request = ferry::engine::Request::download(server.url("/gone.bin"), None);
    let id = h.runtime.block_on(engine.create(request)).unwrap().id;
    h.pump_until("failed", |app| {
        app.transfers()
            .get(id)
            .is_some_and(|s| s.status == Status::Error)
    });
    h.click("gone.bin");
    assert!(h.shows("Dernière erreur"), "the details screen");
    assert!(
        h.shows("introuvable sur le serveur\nle serveur a répondu 404 Not Found"),
        "the status in words and the server's answer"
    );
    assert!(
        !h.shows("Détail technique (en anglais)"),
        "an answer needs no English detail"
    );
    let snapshot = h.app.transfers().get(id).unwrap().clone();
    assert_eq!(
        snapshot.error.as_ref().map(|e| e.message.as_str()),
        Some("the server answered 404 Not Found"),
        "the engine's own message (for --json) is unchanged"
    );

    // A failure without an answer keeps the engine's words, labelled as such.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let request =
        ferry::engine::Request::download(format!("http://127.0.0.1:{port}/refused.bin"), None);
    let id = h.runtime.block_on(engine.create(request)).unwrap().id;
    h.pump_until("a failed attempt", |app| {
        app.transfers().get(id).is_some_and(|s| s.error.is_some())
    });
    let _ = h
        .app
        .update(Message::Details(super::details::Message::Close));
    h.click("refused.bin");
    assert!(
        h.shows("Détail technique (en anglais)"),
        "the engine's words"
    );
}

/// What a new user does with the keyboard alone: Ctrl+N, type the address, reach
/// the user field, "bob", Tab, "secret", Enter — and the server sees bob's
/// credentials. Shift+Tab goes back; Ctrl+U focuses the upload address.
#[test]
fn typing_goes_to_the_first_field_and_tab_moves_between_fields() {
    use iced::keyboard::{Key, Modifiers, key::Named};
    let mut h = Harness::new(Language::English);
    let server = h.runtime.block_on(TestServer::start());
    server.put(
        "/private/notes.txt",
        Resource::new(b"for bob only\n".to_vec()).basic_auth("bob", "secret"),
    );
    let mut live = LiveWindow::new();
    live.key(&mut h, Key::Character("n".into()), Modifiers::CTRL);
    assert_eq!(
        live.focused(&h),
        Some(widget::Id::from(super::new_download::URLS)),
        "Ctrl+N focuses the address box"
    );
    live.typewrite(&mut h, &server.url("/private/notes.txt"));
    live.update(
        &mut h,
        Message::NewDownload(super::new_download::Message::Advanced(
            super::advanced::Message::Toggle(true),
        )),
    );
    live.run(&mut h, widget::operation::focus(super::advanced::USER));
    live.typewrite(&mut h, "bob");
    live.key(&mut h, Key::Named(Named::Tab), Modifiers::empty());
    assert_eq!(
        live.focused(&h),
        Some(widget::Id::from(super::advanced::PASSWORD)),
        "Tab moves from the user to the password"
    );
    live.key(&mut h, Key::Named(Named::Tab), Modifiers::SHIFT);
    assert_eq!(
        live.focused(&h),
        Some(widget::Id::from(super::advanced::USER)),
        "Shift+Tab comes back"
    );
    live.key(&mut h, Key::Named(Named::Tab), Modifiers::empty());
    live.typewrite(&mut h, "secret");
    live.tap(&mut h, Key::Named(Named::Enter));
    // Enter in the password field sends the form.
    h.pump_until("the download", |app| {
        app.transfers()
            .rows()
            .first()
            .is_some_and(|s| s.status == Status::Completed)
    });
    assert_eq!(
        std::fs::read(h.dir().join("downloads/notes.txt")).unwrap(),
        b"for bob only\n"
    );
    let seen = server.seen("/private/notes.txt");
    assert_eq!(
        seen.last().unwrap().header("authorization"),
        Some("Basic Ym9iOnNlY3JldA=="),
        "bob:secret, not bobsecret"
    );

    live.key(&mut h, Key::Character("u".into()), Modifiers::CTRL);
    assert_eq!(
        live.focused(&h),
        Some(widget::Id::from(super::upload::URL)),
        "Ctrl+U focuses the upload address"
    );
}
