//! Whole screens: rendering, sizes, settings, language.

use super::*;

/// The download folder can be typed in the settings too.
#[test]
fn the_settings_folder_can_be_typed() {
    let mut h = Harness::new(Language::English);
    h.click("Settings");
    let folder = h.dir().join("elsewhere");
    let _ = h.app.update(Message::Settings(
        crate::ui::settings::Message::FolderTyped(folder.display().to_string()),
    ));
    h.click("Save");
    assert_eq!(h.app.config.download_dir.as_deref(), Some(folder.as_path()));
    let saved = std::fs::read_to_string(h.dir().join("config.toml")).unwrap();
    assert!(saved.contains("elsewhere"), "{saved}");
}

/// Each kind of file's folder and extensions are edited in the settings; a
/// folder that is not a full path is said, and the file read back has them.
#[test]
fn the_kinds_of_file_are_edited_in_settings() {
    use crate::ui::settings::Message as S;
    use ferry::engine::Category;
    let mut h = Harness::new(Language::English);
    h.click("Settings");
    assert!(h.shows("Kinds of file"));
    let videos = h.dir().join("Videos");
    for message in [
        S::CategoryFolder(Category::Music, "Music".into()),
        S::CategoryFolder(Category::Videos, videos.display().to_string()),
        S::CategoryExtensions(Category::Videos, "mkv, .TS ".into()),
    ] {
        let _ = h.app.update(Message::Settings(message));
    }
    assert!(h.shows("Music: the folder must be a full path (starting with /)."));
    // The text stays as typed (a trailing space is kept for the next word).
    assert!(h.shows("mkv, .TS "));
    let _ = h.app.update(Message::Settings(S::CategoryFolder(
        Category::Music,
        String::new(),
    )));
    h.click("Save");
    let saved = std::fs::read_to_string(h.dir().join("config.toml")).unwrap();
    let loaded = ferry::config::parse(&saved, Path::new("config.toml"));
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let rules = loaded.config.engine_options("/d".into()).categories;
    assert_eq!(rules.folder(Category::Videos), Some(videos.as_path()));
    assert_eq!(rules.of("clip.ts", None), Category::Videos);
    assert_eq!(rules.of("clip.mp4", None), Category::Other);
    assert_eq!(rules.folder(Category::Music), None);
}

/// The window's size and place are written when it closes, for the next run.
#[test]
fn the_window_remembers_its_size_and_place() {
    use crate::ui::geometry::Geometry;
    let mut h = Harness::new(Language::English);
    // As if the window were open (the harness draws without one).
    h.app.window = Some(h.window);
    let _ = h
        .app
        .update(Message::WindowResized(iced::Size::new(1400.0, 900.0)));
    let _ = h
        .app
        .update(Message::WindowMoved(iced::Point::new(20.0, 30.0)));
    let _ = h.app.update(Message::WindowClosed(h.window));
    let remembered = Geometry::load(&h.dir().join("window.toml"));
    assert_eq!((remembered.width, remembered.height), (1400.0, 900.0));
    assert_eq!((remembered.x, remembered.y), (Some(20.0), Some(30.0)));
    assert_eq!(
        remembered.settings().size,
        iced::Size::new(1400.0, 900.0),
        "the next window opens at that size"
    );
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
        // A rate for the whole server answer (more connections do not speed it
        // up): still running when the screen is taken.
        Resource::new(vec![4u8; 64 << 20]).shared_rate(4 << 20),
    );
    server.put(
        "/photos/holiday-2026.zip",
        Resource::new(vec![5u8; 32 << 20]).shared_rate(4 << 20),
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
    let mut shoot = |h: &mut Harness, name: &str, theme: &iced::Theme| {
        let path = out.join(name);
        let snapshot = simulator(h.app.view(h.window)).snapshot(theme).unwrap();
        assert!(snapshot.matches_image(&path).unwrap());
        shots.push(path);
    };
    let light = crate::ui::theme::light();
    shoot(&mut h, "transfers", &light);
    shoot(&mut h, "transfers-dark", &crate::ui::theme::dark());

    // Details of the running download: its speed lately and its parts.
    h.pump_until("its parts on disk", |app| {
        app.transfers()
            .get(keynote)
            .is_some_and(|s| s.segments.iter().any(|p| p.done > 0))
    });
    h.click("conference-keynote.mkv");
    shoot(&mut h, "details", &light);
    h.click("Back");
    // The same below the list, in the pane.
    let _ = h.app.update(Message::Transfers(
        crate::ui::transfers::Message::TogglePane,
    ));
    shoot(&mut h, "transfers-pane", &light);
    let _ = h.app.update(Message::Transfers(
        crate::ui::transfers::Message::TogglePane,
    ));

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
        .update(Message::Upload(crate::ui::upload::Message::FilesPicked(
            files,
        )));
    shoot(&mut h, "upload", &light);

    let _ = h.app.update(Message::OpenSettings);
    h.click("Français");
    h.click("Save");
    shoot(&mut h, "settings-fr", &light);
    for shot in std::fs::read_dir(&out).unwrap().flatten() {
        assert!(
            shot.metadata().unwrap().len() > 10_000,
            "{} looks empty",
            shot.path().display()
        );
    }
    assert!(shots.len() == 6);
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
            "Upload" => Message::Upload(crate::ui::upload::Message::Advanced(
                crate::ui::advanced::Message::Toggle(true),
            )),
            "Download" => Message::NewDownload(crate::ui::new_download::Message::Advanced(
                crate::ui::advanced::Message::Toggle(true),
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

/// The aria2 RPC is set in the settings: an address without a secret is said
/// to leave it off; with both, they are saved to the config file.
#[test]
fn the_rpc_is_set_in_the_settings() {
    use crate::ui::settings::Message as S;
    let mut h = Harness::new(Language::English);
    h.click("Settings");
    assert!(h.shows("aria2 RPC address (empty: off)"));
    let _ = h
        .app
        .update(Message::Settings(S::RpcListen("localhost".into())));
    assert!(h.shows(
        "“localhost” is not an address and port such as 127.0.0.1:6800: the RPC stays off."
    ));
    let _ = h
        .app
        .update(Message::Settings(S::RpcListen("127.0.0.1:6800".into())));
    assert!(h.shows("The RPC needs a secret: it stays off without one."));
    let _ = h
        .app
        .update(Message::Settings(S::RpcSecret("s3cret".into())));
    assert!(!h.shows("The RPC needs a secret: it stays off without one."));
    h.click("Save");
    assert_eq!(h.app.config.rpc_listen.as_deref(), Some("127.0.0.1:6800"));
    let saved = std::fs::read_to_string(h.dir().join("config.toml")).unwrap();
    assert!(
        saved.contains("rpc_listen = \"127.0.0.1:6800\"")
            && saved.contains("rpc_secret = \"s3cret\""),
        "{saved}"
    );
    let loaded = ferry::config::load(&h.dir().join("config.toml"));
    assert!(
        ferry::rpc::Settings::from_config(&loaded.config)
            .unwrap()
            .is_some(),
        "the agent will start it"
    );
}

/// The schedule is edited in the settings: a wrong time is refused with the
/// reason, rules show in words, Save gives them to the engine and the config
/// file, and a rule removed is gone.
#[test]
fn the_schedule_is_edited_in_the_settings() {
    use crate::ui::form::Choice;
    use crate::ui::settings::Message as S;
    use crate::ui::settings::schedule::{Does, Edit};
    use ferry::engine::Category;
    use ferry::engine::schedule::{Effect, Scope};
    let mut h = Harness::new(Language::English);
    let engine = h.app.backend.engine.clone();
    h.runtime
        .block_on(engine.create_group(
            "night",
            ferry::engine::Behavior::Parallel,
            None,
            ferry::engine::WhenDone::Nothing,
        ))
        .unwrap();
    h.click("Settings");
    assert!(h.shows("Schedule"));
    let edit = |h: &mut Harness, edits: Vec<Edit>| {
        for e in edits {
            let _ = h.app.update(Message::Settings(S::Schedule(e)));
        }
    };
    edit(
        &mut h,
        vec![
            Edit::From("25:00".into()),
            Edit::To("07:00".into()),
            Edit::Add,
        ],
    );
    assert!(h.shows("“25:00” is not a time of day (HH:MM)."));
    edit(
        &mut h,
        vec![
            Edit::From("01:00".into()),
            Edit::Days("mon-fri".into()),
            Edit::AppliesTo(Choice {
                value: Scope::Category(Category::Videos),
                label: String::new(),
            }),
            Edit::Add,
        ],
    );
    assert!(h.shows("01:00–07:00, Mon, Tue, Wed, Thu, Fri: Videos run only then"));
    edit(
        &mut h,
        vec![
            Edit::From("09:00".into()),
            Edit::To("18:00".into()),
            Edit::Does(Choice {
                value: Does::Limit,
                label: String::new(),
            }),
            Edit::Kib("2048".into()),
            Edit::Add,
        ],
    );
    assert!(h.shows("09:00–18:00, every day: all transfers at most 2048 KiB/s then"));
    // A group's rule, the group picked among those there are.
    let scopes = crate::ui::settings::schedule::scopes(&h.app.tr, &["night".to_owned()]);
    let night = scopes
        .into_iter()
        .find(|c| c.value == Scope::Group("night".into()))
        .expect("the group is offered");
    assert_eq!(night.label, "group night");
    edit(
        &mut h,
        vec![
            Edit::From("22:00".into()),
            Edit::To("06:00".into()),
            Edit::AppliesTo(night),
            Edit::Does(Choice {
                value: Does::Limit,
                label: String::new(),
            }),
            Edit::Kib("512".into()),
            Edit::Add,
        ],
    );
    assert!(h.shows("22:00–06:00, every day: group night at most 512 KiB/s then"));
    assert!(
        h.app.backend.engine.schedule().is_empty(),
        "not before Save"
    );
    h.click("Save");
    let rules = h.app.backend.engine.schedule();
    assert_eq!(rules.len(), 3);
    assert_eq!(rules[2].applies_to, Scope::Group("night".into()));
    let saved = std::fs::read_to_string(h.dir().join("config.toml")).unwrap();
    let loaded = ferry::config::parse(&saved, Path::new("config.toml"));
    assert_eq!(loaded.config.schedule, rules, "{saved}");

    edit(&mut h, vec![Edit::Remove(0)]);
    h.click("Save");
    let rules = h.app.backend.engine.schedule();
    assert_eq!(rules.len(), 2);
    assert_eq!(rules[0].effect, Effect::Limit { kib: 2048 });
}

/// Settings show the traffic of the last 30 days under the data budget, the
/// metered part apart, from what the engine counted: a download on an
/// unmetered network and one on a metered network (run anyway).
#[test]
fn the_settings_chart_the_days_traffic_metered_apart() {
    use ferry::engine::{Conditions, CostPolicy, Request};
    let mut h = Harness::new(Language::English);
    let server = h.runtime.block_on(TestServer::start());
    server.put("/free.bin", Resource::new(vec![1u8; 300_000]));
    server.put("/paid.bin", Resource::new(vec![2u8; 100_000]));
    let engine = h.app.backend.engine.clone();
    h.create_until(
        Request::download(server.url("/free.bin"), None),
        Status::Completed,
    );
    h.network.set(Conditions {
        metered: true,
        ..Conditions::default()
    });
    h.create_until(
        Request::download(server.url("/paid.bin"), None).policy(CostPolicy::Always),
        Status::Completed,
    );
    h.click("Settings");
    let tr = &h.app.tr;
    let words = format!(
        "Last 30 days: {} moved, {} of it on metered networks",
        crate::ui::format::size(tr, 400_000),
        crate::ui::format::size(tr, 100_000)
    );
    assert!(h.shows(&words), "{words}");
    let today = engine.options().clock.now().date();
    let bars = crate::ui::settings::traffic::bars(&engine.traffic(), today);
    assert_eq!(bars.len(), 30);
    assert_eq!(bars[29].date, today);
    assert_eq!((bars[29].total, bars[29].metered), (400_000, 100_000));
    assert!(bars[..29].iter().all(|b| b.total == 0));
}
