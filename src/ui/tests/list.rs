//! The list of transfers: rows, their buttons, keyboard, details, filters.

use super::*;
use lucide_icons::Icon;

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
    let cancel = bounds_of(&mut h, &glyph(Icon::X));
    let part = h.dir().join("downloads/slow.bin.part");
    // With bytes to lose, the first Cancel only asks, and nothing moves.
    h.click(&glyph(Icon::X));
    let Some(notice) = h.app.transfers.notice.clone() else {
        panic!("Cancel asks first");
    };
    assert!(
        notice.starts_with("Cancel again to stop “slow.bin” for good: the ")
            && notice.ends_with(" done so far will be deleted."),
        "{notice}"
    );
    assert!(h.shows(&notice));
    assert_eq!(
        bounds_of(&mut h, &glyph(Icon::X)),
        cancel,
        "Cancel did not move"
    );
    h.pump_until("bytes keep coming", |app| {
        app.transfers().get(id).is_some_and(|s| s.bytes > 1 << 20)
    });
    assert_eq!(h.status_of("slow.bin"), Some(Status::Running));
    assert!(part.exists(), "the partial file is kept");
    h.click(&glyph(Icon::X));
    h.pump_until("canceled", |app| {
        app.transfers()
            .get(id)
            .is_some_and(|s| s.status == Status::Canceled)
    });
    assert!(!part.exists(), "the partial file is gone once confirmed");
    let remove = bounds_of(&mut h, &glyph(Icon::Trash2));
    assert!(
        !remove.contains(cancel.center()),
        "Remove {remove:?} is where Cancel {cancel:?} was"
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
    h.click(&glyph(Icon::Pause));
    h.pump_until("paused", |app| {
        app.transfers()
            .rows()
            .first()
            .is_some_and(|s| s.status == Status::PausedByApplication)
    });
    assert!(h.shows("Paused"));
    h.click(&glyph(Icon::Play));
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
    let cancel = ui.find(glyph(Icon::X)).expect("a row's Cancel button");
    let bounds = iced_test::selector::Bounded::bounds(&cancel);
    // The icon, its button's padding (6), then the scrollbar's lane: 10 wide,
    // 4 apart, inside the window's padding (16).
    let button_end = bounds.x + bounds.width + 6.0;
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
    h.click(&glyph(Icon::ExternalLink));
    h.pump_until("the failure", |app| app.transfers().notice.is_some());
    let notice = h.app.transfers().notice.clone().unwrap();
    assert!(notice.starts_with("Cannot open “gone.pdf”: "), "{notice}");
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
            .create_group(
                "photos",
                ferry::engine::Behavior::Parallel,
                None,
                ferry::engine::WhenDone::Nothing,
            )
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
            .find(|c| c.value.as_deref() == Some("photos"))
            .unwrap()
    };
    let _ = h
        .app
        .update(Message::Transfers(crate::ui::transfers::Message::Group(
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
        .update(Message::Details(crate::ui::details::Message::Policy(
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
        .update(Message::Details(crate::ui::details::Message::Close));
    h.click("refused.bin");
    assert!(
        h.shows("Détail technique (en anglais)"),
        "the engine's words"
    );
}

#[test]
fn f1_lists_every_shortcut_in_the_users_language() {
    use iced::keyboard::{Key, Modifiers, key::Named};
    let mut h = Harness::new(Language::French);
    let f1 = || Message::Key(Key::Named(Named::F1), Modifiers::empty());
    let _ = h.app.update(f1());
    assert!(h.shows("Raccourcis clavier"), "F1 opens the list");
    // Every line is there, in French, and each shortcut it names is one the
    // keyboard handler knows (the list is written from keys.rs).
    let lines = crate::ui::shortcuts::lines(&h.app.tr);
    assert_eq!(lines.len(), 32);
    for (keys, what) in &lines {
        assert!(h.shows(keys), "{keys} is listed");
        assert!(h.shows(what), "{what} is listed");
    }
    assert!(h.shows("Chercher dans la liste") && h.shows("Échap") && h.shows("Maj+clic"));
    assert!(h.shows("Touche Menu, Maj+F10") && h.shows("Maj+↑ ↓"));
    // F1 again, or Back, goes back to the list.
    let _ = h.app.update(f1());
    assert!(h.shows("Aucun transfert pour l’instant."), "F1 closes it");
    h.click(&glyph(Icon::CircleHelp));
    assert!(h.shows("Raccourcis clavier"), "the ? button opens it");
    h.click("Retour");
    assert!(!h.shows("Raccourcis clavier"), "Back closes it");
}

/// A transfer a schedule holds back says until when, on the local clock, and
/// Run anyway lets it go.
#[test]
fn a_row_held_by_a_schedule_says_until_when_and_runs_anyway() {
    use ferry::engine::schedule::{Effect, Rule, Scope, TimeOfDay};
    let mut h = Harness::new(Language::English);
    let server = h.runtime.block_on(TestServer::start());
    server.put("/later.bin", Resource::new(vec![5u8; 100_000]));
    // A window that opens in two hours, local time.
    let now = jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::system());
    let hour = |h: i8| TimeOfDay::new(((now.hour() + h) % 24) as u16, 0).unwrap();
    let engine = h.app.backend.engine.clone();
    engine.set_schedule(vec![Rule {
        days: Vec::new(),
        from: hour(2),
        to: hour(3),
        applies_to: Scope::All,
        effect: Effect::MayRun,
    }]);
    let id = h
        .runtime
        .block_on(engine.create(ferry::engine::Request::download(
            server.url("/later.bin"),
            None,
        )))
        .unwrap()
        .id;
    h.pump_until("held", |app| {
        app.transfers()
            .get(id)
            .is_some_and(|s| s.status == Status::PausedBySchedule && s.waits_until.is_some())
    });
    let until = h.app.transfers().get(id).unwrap().waits_until.unwrap();
    let words = format!(
        "Waiting until {}",
        crate::ui::format::local_when(&h.app.tr, until)
    );
    assert!(words.ends_with(":00"), "{words}");
    assert!(h.shows(&words), "{words}");
    assert!(server.seen("/later.bin").is_empty());
    h.click("Run anyway");
    h.pump_until("done", |app| {
        app.transfers()
            .get(id)
            .is_some_and(|s| s.status == Status::Completed)
    });
    assert_eq!(
        std::fs::read(h.dir().join("downloads/later.bin")).unwrap(),
        vec![5u8; 100_000]
    );
}

/// Details list the failures before the last one, each with its time and the
/// retry it was, and say when the next attempt comes.
#[test]
fn details_show_the_last_failures_and_the_next_attempt() {
    let mut h = Harness::new(Language::English);
    let server = h.runtime.block_on(TestServer::start());
    let busy = || server::Fault::Status(503, vec![("Retry-After".to_owned(), "1".to_owned())]);
    server.put(
        "/busy.bin",
        Resource::new(vec![6u8; 10_000]).fault(busy()).fault(busy()),
    );
    let engine = h.app.backend.engine.clone();
    let request = ferry::engine::Request::download(server.url("/busy.bin"), None);
    let id = h.runtime.block_on(engine.create(request)).unwrap().id;
    h.pump_until("a retry waiting", |app| {
        app.transfers()
            .get(id)
            .is_some_and(|s| s.status == Status::Idle && s.retry_at.is_some())
    });
    let _ = h
        .app
        .update(Message::Transfers(crate::ui::transfers::Message::Row(
            id,
            crate::ui::transfers::RowAction::Details,
        )));
    assert!(h.shows("Next attempt"), "while it waits for its retry");
    assert!(h.shows("Last error"));
    h.pump_until("completed after two failures", |app| {
        app.transfers()
            .get(id)
            .is_some_and(|s| s.status == Status::Completed)
    });
    let s = h.app.transfers().get(id).unwrap().clone();
    let earlier = crate::ui::details::earlier_failures(&s);
    let attempts: Vec<u32> = earlier.iter().map(|f| f.attempt).collect();
    assert_eq!(attempts, [0, 1], "the first try, then the first retry");
    assert!(earlier.iter().all(|f| f.error.http_status == Some(503)));
    assert!(h.shows("Earlier failures") && !h.shows("Next attempt"));
    assert!(!h.shows("Last error"), "completed: no error stands");
}
