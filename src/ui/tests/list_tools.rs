//! The list's tools: kinds, search and order, picking rows and acting on them,
//! the footer's limit, and the details' speed graph and parts.

use super::*;
use lucide_icons::Icon;

#[test]
fn categories_count_filter_the_list_and_show_in_details() {
    let mut h = Harness::new(Language::French);
    let server = h.runtime.block_on(TestServer::start());
    for path in ["/a.mkv", "/b.mp4", "/c.pdf", "/d.bin"] {
        server.put(path, Resource::new(vec![1u8; 1000]).rate(200));
    }
    let engine = h.app.backend.engine.clone();
    h.runtime.block_on(async {
        for path in ["/a.mkv", "/b.mp4", "/c.pdf", "/d.bin"] {
            let request = ferry::engine::Request::download(server.url(path), None);
            engine.create(request).await.unwrap();
        }
    });
    h.pump_until("four rows", |app| app.transfers().rows().len() == 4);
    let labels: Vec<String> = h
        .app
        .transfers()
        .category_choices(&h.app.tr)
        .into_iter()
        .map(|c| c.label)
        .collect();
    assert_eq!(
        labels,
        [
            "Tous les types",
            "Vidéos (2)",
            "Documents (1)",
            "Autres (1)"
        ]
    );
    let videos = h
        .app
        .transfers()
        .category_choices(&h.app.tr)
        .into_iter()
        .find(|c| c.value == Some(ferry::engine::Category::Videos))
        .unwrap();
    let _ = h
        .app
        .update(Message::Transfers(crate::ui::transfers::Message::Category(
            videos,
        )));
    assert!(h.shows("a.mkv") && h.shows("b.mp4"));
    assert!(!h.shows("c.pdf") && !h.shows("d.bin"), "filtered out");
    h.click("a.mkv");
    assert!(h.shows("Type") && h.shows("Vidéos"), "details say the kind");
}

/// Details of a segmented download: the speed graph and the parts bar, both fed
/// by the engine's events (the model is checked, and that the screen has them).
#[test]
fn details_draw_the_speed_lately_and_the_parts_from_engine_events() {
    let mut h = Harness::new(Language::French);
    let server = h.runtime.block_on(TestServer::start());
    server.put("/big.iso", Resource::new(vec![7u8; 24 << 20]).rate(2 << 20));
    let engine = h.app.backend.engine.clone();
    let mut request = ferry::engine::Request::download(server.url("/big.iso"), None);
    request.connections = Some(4);
    let id = h.runtime.block_on(engine.create(request)).unwrap().id;
    h.pump_until("parts on disk and a speed heard", |app| {
        let parts = app
            .transfers()
            .get(id)
            .map_or(0, |s| s.segments.iter().filter(|p| p.done > 0).count());
        let bars = app.transfers().speeds.bars(id, Instant::now());
        let working = app.transfers().fetching.get(&id).map_or(0, Vec::len);
        parts == 4 && working == 4 && bars.iter().any(|b| *b > 0.0)
    });
    let bars = h.app.transfers().speeds.bars(id, Instant::now());
    assert_eq!(bars.len(), crate::ui::speed_history::SLOTS);
    let peak = bars.iter().copied().fold(0.0, f64::max);
    // Four connections at 2 MiB/s each: about 8 MiB/s, never more than the server gives.
    assert!(peak > 1.0e6 && peak < 9.5 * 1048576.0, "{peak}");
    h.click("big.iso");
    assert!(h.shows("Vitesse, 2 dernières minutes"));
    assert!(h.shows("Parties"));
    let done = h.app.transfers().get(id).map_or(0, |s| {
        s.segments
            .iter()
            .filter(|p| p.done >= p.end - p.start)
            .count()
    });
    // Where the connections are, from the same events: four at work, each
    // inside a part past its bytes on disk.
    let fetching = h
        .app
        .transfers()
        .fetching
        .get(&id)
        .cloned()
        .unwrap_or_default();
    let segments = h.app.transfers().get(id).unwrap().segments.clone();
    assert_eq!(fetching.len(), 4, "{fetching:?}");
    for at in &fetching {
        assert!(
            segments
                .iter()
                .any(|p| (p.start + p.done..=p.end).contains(at)),
            "{at} in {segments:?}"
        );
    }
    // French counts 0 and 1 in the singular.
    let complete = if done <= 1 { "terminée" } else { "terminées" };
    assert!(h.shows(&format!(
        "4 parties, {done} {complete}, 4 connexions au travail (foncé : sûr sur le disque ; clair : reçu ; le trait : où en est une connexion)"
    )));
    h.runtime.block_on(engine.pause(id)).unwrap();
}

/// Picking rows with Ctrl and Shift, Ctrl+A and Escape, and acting on the picked
/// rows from the batch bar: Pause and Resume at once, Cancel after asking once.
#[test]
fn rows_picked_with_ctrl_and_shift_are_paused_resumed_and_canceled_together() {
    use crate::ui::transfers::{Message as List, RowAction};
    use iced::keyboard::{Key, Modifiers, key::Named};
    let mut h = Harness::new(Language::English);
    let server = h.runtime.block_on(TestServer::start());
    let engine = h.app.backend.engine.clone();
    let names = ["a.bin", "b.bin", "c.bin", "d.bin", "e.bin"];
    let ids: Vec<_> = names
        .iter()
        .map(|name| {
            let path = format!("/{name}");
            server.put(&path, Resource::new(vec![9u8; 400_000]).rate(20_000));
            let request = ferry::engine::Request::download(server.url(&path), None);
            h.runtime.block_on(engine.create(request)).unwrap().id
        })
        .collect();
    h.pump_until("five rows", |app| app.transfers().rows().len() == 5);
    let pick = |h: &mut Harness, i: usize, modifiers: Modifiers| {
        let _ = h.app.update(Message::Modifiers(modifiers));
        let _ = h.app.update(Message::Transfers(List::Select(ids[i])));
    };
    pick(&mut h, 0, Modifiers::empty());
    pick(&mut h, 2, Modifiers::SHIFT);
    pick(&mut h, 4, Modifiers::CTRL);
    let picked: Vec<bool> = ids
        .iter()
        .map(|id| h.app.transfers().selection.contains(*id))
        .collect();
    assert_eq!(picked, [true, true, true, false, true]);
    assert!(h.shows("4 selected"));
    // The batch bar fits the smallest window (its buttons wrap).
    {
        let mut ui = iced_test::Simulator::with_size(
            iced_test::core::Settings::default(),
            (640.0, 420.0),
            h.app.view(h.window),
        );
        let clear = ui.find("Clear selection").expect("the batch bar");
        let bounds = iced_test::selector::Bounded::visible_bounds(&clear).expect("visible");
        assert!(bounds.x + bounds.width <= 640.0, "{bounds:?}");
    }

    let _ = h
        .app
        .update(Message::Transfers(List::Batch(RowAction::Pause)));
    h.pump_until("four paused, one not", |app| {
        let paused = |i: usize| {
            app.transfers()
                .get(ids[i])
                .is_some_and(|s| s.status == Status::PausedByApplication)
        };
        [0, 1, 2, 4].into_iter().all(paused) && !paused(3)
    });
    let _ = h
        .app
        .update(Message::Transfers(List::Batch(RowAction::Resume)));
    h.pump_until("none paused", |app| {
        ids.iter().all(|id| {
            app.transfers()
                .get(*id)
                .is_some_and(|s| !s.status.is_paused())
        })
    });

    // Ctrl+A picks every row shown; Cancel asks once, then cancels them all.
    let _ = h
        .app
        .update(Message::Key(Key::Character("a".into()), Modifiers::CTRL));
    assert_eq!(h.app.transfers().selection.len(), 5);
    let _ = h
        .app
        .update(Message::Transfers(List::Batch(RowAction::Cancel)));
    assert!(
        h.shows("Cancel again to stop 5 transfers for good: their partial files will be deleted.")
    );
    assert!(
        ids.iter().all(|id| h
            .app
            .transfers()
            .get(*id)
            .is_some_and(|s| s.status != Status::Canceled)),
        "asked, not done"
    );
    let _ = h
        .app
        .update(Message::Transfers(List::Batch(RowAction::Cancel)));
    h.pump_until("all canceled", |app| {
        ids.iter().all(|id| {
            app.transfers()
                .get(*id)
                .is_some_and(|s| s.status == Status::Canceled)
        })
    });
    // Escape lets go of the rows.
    let _ = h
        .app
        .update(Message::Key(Key::Named(Named::Escape), Modifiers::empty()));
    assert_eq!(h.app.transfers().selection.len(), 0);
    assert!(!h.shows("5 selected"));
}

/// The list sorts by name, size and status, and the search box keeps the rows
/// whose name or address has every word typed.
#[test]
fn the_list_sorts_and_searches() {
    use crate::ui::transfers::{Message as List, Sort, Transfers};
    let mut h = Harness::new(Language::English);
    let server = h.runtime.block_on(TestServer::start());
    let engine = h.app.backend.engine.clone();
    for (path, size) in [
        ("/docs/b-report.pdf", 3000),
        ("/media/a-movie.mkv", 1000),
        ("/media/c-song.mp3", 2000),
    ] {
        server.put(path, Resource::new(vec![1u8; size]));
    }
    for path in [
        "/docs/b-report.pdf",
        "/media/a-movie.mkv",
        "/media/c-song.mp3",
        "/gone/d-missing.iso",
    ] {
        let request = ferry::engine::Request::download(server.url(path), None);
        h.runtime.block_on(engine.create(request)).unwrap();
    }
    h.pump_until("all ended", |app| {
        app.transfers().rows().len() == 4
            && app
                .transfers()
                .rows()
                .iter()
                .all(|s| s.status.is_finished())
    });
    let order = |h: &Harness| shown_names(&h.app);
    assert_eq!(
        order(&h),
        ["b-report.pdf", "a-movie.mkv", "c-song.mp3", "d-missing.iso"],
        "as added"
    );
    let sort_by = |h: &mut Harness, sort: Sort| {
        let choice = Transfers::sort_choices(&h.app.tr)
            .into_iter()
            .find(|c| c.value == sort)
            .unwrap();
        let _ = h.app.update(Message::Transfers(List::Sort(choice)));
    };
    sort_by(&mut h, Sort::Name);
    assert_eq!(
        order(&h),
        ["a-movie.mkv", "b-report.pdf", "c-song.mp3", "d-missing.iso"]
    );
    sort_by(&mut h, Sort::Size);
    assert_eq!(
        order(&h),
        ["b-report.pdf", "c-song.mp3", "a-movie.mkv", "d-missing.iso"],
        "largest first, unknown last"
    );
    sort_by(&mut h, Sort::Status);
    assert_eq!(
        order(&h)[0],
        "d-missing.iso",
        "the failed one before the done ones"
    );

    let _ = h
        .app
        .update(Message::Transfers(List::Search("SONG".into())));
    assert_eq!(order(&h), ["c-song.mp3"]);
    assert!(h.shows("c-song.mp3") && !h.shows("a-movie.mkv"));
    // Words of the address count too, each must be there.
    let _ = h
        .app
        .update(Message::Transfers(List::Search("media mkv".into())));
    assert_eq!(order(&h), ["a-movie.mkv"]);
    let _ = h
        .app
        .update(Message::Transfers(List::Search(String::new())));
    assert_eq!(order(&h).len(), 4);
}

/// The footer changes the speed limit in force for this run, and the list's
/// Pause all / Resume all reach every transfer.
#[test]
fn the_footer_limit_and_pause_all_reach_the_engine() {
    use crate::ui::transfers::Message as List;
    let mut h = Harness::new(Language::French);
    let server = h.runtime.block_on(TestServer::start());
    let engine = h.app.backend.engine.clone();
    for path in ["/a.bin", "/b.bin"] {
        server.put(path, Resource::new(vec![3u8; 400_000]).rate(20_000));
        let request = ferry::engine::Request::download(server.url(path), None);
        h.runtime.block_on(engine.create(request)).unwrap();
    }
    h.pump_until("two rows", |app| app.transfers().rows().len() == 2);
    assert!(h.shows("Limite"), "the footer says the limit");
    let two_mib = crate::ui::settings::limits(&h.app.tr, 0)
        .into_iter()
        .find(|c| c.value == 2048)
        .unwrap();
    let _ = h.app.update(Message::Transfers(List::Limit(two_mib)));
    assert_eq!(engine.limit(), Some(2 << 20));
    assert_eq!(h.app.transfers().limit, Some(2 << 20));

    h.click(&glyph(Icon::CirclePause));
    h.pump_until("both paused", |app| {
        app.transfers()
            .rows()
            .iter()
            .all(|s| s.status == Status::PausedByApplication)
    });
    h.click(&glyph(Icon::CirclePlay));
    h.pump_until("none paused", |app| {
        app.transfers().rows().iter().all(|s| !s.status.is_paused())
    });
    let none = crate::ui::settings::limits(&h.app.tr, 2048)
        .into_iter()
        .find(|c| c.value == 0)
        .unwrap();
    let _ = h.app.update(Message::Transfers(List::Limit(none)));
    assert_eq!(engine.limit(), None);
    // Changed elsewhere (`ferry limit 1M`): the footer follows.
    engine.set_limit(Some(1 << 20));
    h.pump_until("the footer follows", |app| {
        app.transfers().limit == Some(1 << 20)
    });
    // (A pick list draws its choice itself: the model is what can be read.)
}

/// The batch bar moves the picked transfers in the queue and changes their
/// metered-network policy; a transfer that has ended is left as it is.
#[test]
fn picked_rows_get_a_priority_and_a_policy_together() {
    use crate::ui::transfers::Message as List;
    use ferry::engine::{CostPolicy, Priority};
    use iced::keyboard::Modifiers;
    let mut h = Harness::new(Language::French);
    let server = h.runtime.block_on(TestServer::start());
    let engine = h.app.backend.engine.clone();
    server.put("/done.bin", Resource::new(vec![1u8; 1000]));
    let done = ferry::engine::Request::download(server.url("/done.bin"), None);
    let done = h.runtime.block_on(engine.create(done)).unwrap().id;
    h.pump_until("one completed", |app| {
        app.transfers()
            .get(done)
            .is_some_and(|s| s.status == Status::Completed)
    });
    let mut ids = vec![done];
    for name in ["a.bin", "b.bin"] {
        let path = format!("/{name}");
        server.put(&path, Resource::new(vec![9u8; 400_000]).rate(20_000));
        let mut request = ferry::engine::Request::download(server.url(&path), None);
        request.paused = true;
        ids.push(h.runtime.block_on(engine.create(request)).unwrap().id);
    }
    h.pump_until("three rows", |app| app.transfers().rows().len() == 3);
    for id in &ids {
        let _ = h.app.update(Message::Modifiers(Modifiers::CTRL));
        let _ = h.app.update(Message::Transfers(List::Select(*id)));
    }
    assert_eq!(h.app.transfers().selection.len(), 3);

    let high = crate::ui::transfers::actions::priority_choices(&h.app.tr)
        .into_iter()
        .find(|c| c.value == Priority::High)
        .unwrap();
    assert_eq!(high.label, "Haute (en tête de file)");
    let _ = h.app.update(Message::Transfers(List::BatchPriority(high)));
    let always = crate::ui::new_download::policy_choices(&h.app.tr)
        .into_iter()
        .find(|c| c.value == ferry::config::Policy::Always)
        .unwrap();
    let _ = h.app.update(Message::Transfers(List::BatchPolicy(always)));
    h.pump_until("both changed in the engine", |_| {
        ids[1..].iter().all(|id| {
            let s = engine.get(*id).unwrap();
            s.priority == Priority::High && s.policy == CostPolicy::Always
        })
    });
    let finished = engine.get(done).unwrap();
    assert_eq!(finished.priority, Priority::Normal, "the ended one is left");
    assert_ne!(finished.policy, CostPolicy::Always);
}

/// A wide window shows the states, kinds and groups in a sidebar, each with its
/// count; a click filters the list, a second click on a kind shows all again.
/// A narrow one keeps the tabs above the list.
#[test]
fn the_sidebar_counts_and_filters_by_state_kind_and_group() {
    let mut h = Harness::new(Language::French);
    let server = h.runtime.block_on(TestServer::start());
    let engine = h.app.backend.engine.clone();
    server.put("/done.pdf", Resource::new(vec![1u8; 1000]));
    server.put("/film.mkv", Resource::new(vec![2u8; 400_000]).rate(20_000));
    server.put(
        "/paused.zip",
        Resource::new(vec![3u8; 400_000]).rate(20_000),
    );
    h.runtime.block_on(async {
        engine
            .create_group(
                "soir",
                ferry::engine::Behavior::Parallel,
                None,
                ferry::engine::WhenDone::Nothing,
            )
            .await
            .unwrap();
        let done = ferry::engine::Request::download(server.url("/done.pdf"), None);
        engine.create(done).await.unwrap();
        let film = ferry::engine::Request::download(server.url("/film.mkv"), None);
        engine.create(film.group("soir")).await.unwrap();
        let mut paused = ferry::engine::Request::download(server.url("/paused.zip"), None);
        paused.paused = true;
        engine.create(paused).await.unwrap();
    });
    h.pump_until("one done, one running, one paused", |app| {
        let rows = app.transfers().rows();
        rows.len() == 3
            && rows[0].status == Status::Completed
            && rows[1].status == Status::Running
            && rows[2].status == Status::PausedByApplication
    });
    assert!(h.app.transfers().wide, "the default window is wide");
    let counts = crate::ui::transfers::sidebar::counts(h.app.transfers().rows());
    assert_eq!(
        counts,
        [3, 1, 1, 1, 0],
        "all, running, waiting, done, failed"
    );
    for label in ["Tous", "En cours", "En attente", "Terminés", "En échec"] {
        assert!(h.shows(label), "the sidebar lists {label}");
    }
    assert!(h.shows("Types de fichier") && h.shows("Vidéos") && h.shows("Archives"));
    assert!(h.shows("Groupes") && h.shows("soir"));

    h.click("En attente");
    let names = |h: &Harness| shown_names(&h.app);
    assert_eq!(names(&h), ["paused.zip"]);
    h.click("Tous");
    h.click("Vidéos");
    assert_eq!(names(&h), ["film.mkv"]);
    h.click("Vidéos");
    assert_eq!(names(&h).len(), 3, "a second click shows every kind");
    h.click("soir");
    assert_eq!(names(&h), ["film.mkv"]);
    h.click("soir");

    // Narrow: no sidebar, the tabs and pick lists above the list.
    let _ = h
        .app
        .update(Message::WindowResized(iced::Size::new(640.0, 480.0)));
    assert!(!h.app.transfers().wide);
    assert!(!h.shows("Types de fichier") && !h.shows("En attente"));
    assert!(h.shows("En cours") && h.shows("Terminés"), "the tabs");
    // The header keeps the words of its main action; the others are icons,
    // and every one of them fits in the window.
    assert!(h.shows("Nouveau téléchargement") && !h.shows("Réglages"));
    let sim_settings = iced_test::core::Settings::default();
    let mut ui =
        iced_test::Simulator::with_size(sim_settings, (640.0, 480.0), h.app.view(h.window));
    for icon in [Icon::Upload, Icon::Settings, Icon::CircleHelp] {
        let found = ui.find(glyph(icon)).expect("a header icon");
        let bounds = iced_test::selector::Bounded::bounds(&found);
        assert!(
            bounds.x + bounds.width <= 640.0 - 16.0,
            "{icon:?} at {bounds:?}"
        );
    }
    // The footer too: its last piece (the network's icon, its words in a
    // tooltip) ends inside the window, after the limit and when-done choices.
    let found = ui
        .find(glyph(Icon::Wifi))
        .expect("the footer's network icon");
    let bounds = iced_test::selector::Bounded::bounds(&found);
    // A row that runs out of room squeezes its last pieces to nothing.
    assert!(
        bounds.width > 10.0 && bounds.x + bounds.width <= 640.0 - 16.0 - 12.0,
        "the footer runs out of the window: {bounds:?}"
    );
    assert!(ui.find("Une fois fini").is_err(), "icons only");
}

/// Ctrl+I (or the toolbar's toggle) shows the picked row's details below the
/// list; its metered-network policy changes from there; the pane is remembered
/// with the window for the next run.
#[test]
fn the_details_pane_shows_the_picked_row_and_is_remembered() {
    use crate::ui::details;
    use crate::ui::geometry::Geometry;
    use ferry::engine::CostPolicy;
    use iced::keyboard::{Key, Modifiers};
    let mut h = Harness::new(Language::English);
    let (_server, id) = h.running_download();
    let hint = "Click a transfer to see its details here.";
    assert!(!h.shows(hint) && !h.shows("Address"), "no pane at first");
    let _ = h
        .app
        .update(Message::Key(Key::Character("i".into()), Modifiers::CTRL));
    assert!(h.app.transfers().pane, "Ctrl+I opens it");
    h.app.transfers.selected = None;
    assert!(h.shows(hint), "nothing picked: it says what to do");
    let _ = h
        .app
        .update(Message::Transfers(crate::ui::transfers::Message::Select(
            id,
        )));
    assert!(
        h.shows("Address") && h.shows("Speed, last 2 minutes"),
        "the picked row's details"
    );
    assert!(
        matches!(h.app.screen, Screen::Transfers),
        "beside the list, not instead of it"
    );
    let _ = h
        .app
        .update(Message::Transfers(crate::ui::transfers::Message::Pane(
            details::Message::Policy(CostPolicy::UnrestrictedOnly),
        )));
    let engine = h.app.backend.engine.clone();
    h.pump_until("the policy", |_| {
        engine
            .get(id)
            .is_some_and(|s| s.policy == CostPolicy::UnrestrictedOnly)
    });
    // The toolbar's toggle closes and opens it.
    h.click(&glyph(Icon::PanelBottom));
    assert!(!h.app.transfers().pane && !h.shows("Address"));
    h.click(&glyph(Icon::PanelBottom));
    assert!(h.app.transfers().pane);
    h.app.window = Some(h.window);
    let _ = h.app.update(Message::WindowClosed(h.window));
    assert!(Geometry::load(&h.dir().join("window.toml")).details_pane);
}
