//! A row's menu (right click): where it opens, what it offers for a state, and
//! that its choices reach the engine.

use super::*;
use crate::ui::transfers::Message as List;
use crate::ui::transfers::menu::Entry;

#[test]
fn a_right_click_opens_a_menu_whose_choices_reach_the_engine() {
    use iced::keyboard::{Key, Modifiers, key::Named};
    let mut h = Harness::new(Language::French);
    let server = h.runtime.block_on(TestServer::start());
    server.put("/slow.bin", Resource::new(vec![9u8; 400_000]).rate(20_000));
    let engine = h.app.backend.engine.clone();
    // Two waiting: the second can move up, not down.
    let mut request = ferry::engine::Request::download(server.url("/first.bin"), None);
    request.paused = true;
    let first = h.runtime.block_on(engine.create(request)).unwrap().id;
    let mut request = ferry::engine::Request::download(server.url("/slow.bin"), None);
    request.paused = true;
    let id = h.runtime.block_on(engine.create(request)).unwrap().id;
    h.pump_until("the rows", |app| app.transfers().rows().len() == 2);

    // The pointer over the list, then a right click on the row.
    let _ = h
        .app
        .update(Message::Transfers(List::Pointer(iced::Point::new(
            120.0, 40.0,
        ))));
    let _ = h.app.update(Message::Transfers(List::OpenMenu(id)));
    let open = h.app.transfers().menu.expect("the menu is open");
    assert_eq!((open.id, open.at), (id, iced::Point::new(120.0, 40.0)));
    for entry in [
        "Reprendre",
        "Annuler",
        "Copier l’adresse",
        "Avancer dans la file",
        "Détails",
        "Sa propre limite",
    ] {
        assert!(h.shows(entry), "the menu offers {entry}");
    }
    assert!(!h.shows("Reculer dans la file"), "it is last already");

    // Up in the queue: first now, for the engine; the menu closes.
    h.click("Avancer dans la file");
    assert!(h.app.transfers().menu.is_none(), "a choice closes the menu");
    h.pump_until("first in the queue", |app| {
        app.transfers().queue_spot(id).is_some_and(|q| q.place == 1)
    });
    let queue: Vec<_> = engine.queue().iter().map(|s| s.id).collect();
    assert_eq!(queue, [id, first], "the engine's queue");
    let _ = h.app.update(Message::Transfers(List::OpenMenu(id)));
    assert!(h.shows("Reculer dans la file") && !h.shows("Avancer dans la file"));
    let _ = h.app.update(Message::Transfers(List::CloseMenu));
    // Its own limit, from the menu's pick list.
    let _ = h.app.update(Message::Transfers(List::OpenMenu(id)));
    let one_mib = crate::ui::settings::limits(&h.app.tr, 0)
        .into_iter()
        .find(|c| c.value == 1024)
        .unwrap();
    let _ = h
        .app
        .update(Message::Transfers(List::Menu(Entry::Limit(one_mib))));
    h.pump_until("its own limit", |_| {
        engine.get(id).is_some_and(|s| s.limit == Some(1 << 20))
    });
    // Escape closes the menu and keeps the row picked; a click elsewhere too.
    let _ = h.app.update(Message::Transfers(List::OpenMenu(id)));
    let _ = h
        .app
        .update(Message::Key(Key::Named(Named::Escape), Modifiers::empty()));
    assert!(h.app.transfers().menu.is_none());
    assert_eq!(h.app.transfers().selected, Some(id));
    // Details from the menu: its screen.
    let _ = h.app.update(Message::Transfers(List::OpenMenu(id)));
    h.click("Détails");
    assert!(h.shows("Adresse"), "the details screen");
}

#[test]
fn the_menu_offers_what_fits_the_state() {
    use crate::ui::transfers::QueueSpot;
    use crate::ui::transfers::RowAction;
    use crate::ui::transfers::menu::entries;
    let mut h = Harness::new(Language::English);
    let server = h.runtime.block_on(TestServer::start());
    server.put("/done.bin", Resource::new(vec![1u8; 1000]));
    let engine = h.app.backend.engine.clone();
    let request = ferry::engine::Request::download(server.url("/done.bin"), None);
    let id = h.runtime.block_on(engine.create(request)).unwrap().id;
    h.pump_until("completed", |app| {
        app.transfers()
            .get(id)
            .is_some_and(|s| s.status == Status::Completed)
    });
    let mut s = h.app.transfers().get(id).unwrap().clone();
    assert_eq!(
        entries(&s, None),
        [
            Entry::Row(RowAction::Open),
            Entry::Row(RowAction::ShowInFolder),
            Entry::Row(RowAction::Remove),
            Entry::CopyAddress,
            Entry::Row(RowAction::Details),
        ],
        "nothing to move or limit once ended"
    );
    s.status = Status::PausedByApplication;
    let first = QueueSpot {
        before: None,
        after: Some(id),
        place: 1,
        of: 2,
    };
    assert!(
        !entries(&s, Some(first)).contains(&Entry::MoveUp),
        "already first"
    );
    assert!(entries(&s, Some(first)).contains(&Entry::MoveDown));
    let last = QueueSpot {
        before: Some(id),
        after: None,
        place: 2,
        of: 2,
    };
    assert!(entries(&s, Some(last)).contains(&Entry::MoveUp));
    assert!(
        !entries(&s, Some(last)).contains(&Entry::MoveDown),
        "already last"
    );
}

/// The list without a mouse: arrows pick rows (Shift grows the pick), End
/// goes to the last row, the Menu key opens the picked row's menu where the
/// arrows light an entry and Enter chooses it, Enter alone opens details.
#[test]
fn the_list_and_its_menu_work_from_the_keyboard() {
    use iced::keyboard::{Key, Modifiers, key::Named};
    let mut h = Harness::new(Language::English);
    let engine = h.app.backend.engine.clone();
    let mut ids = Vec::new();
    for i in 0..30 {
        let mut request =
            ferry::engine::Request::download(format!("http://127.0.0.1:1/f{i:02}.bin"), None);
        request.paused = true;
        ids.push(h.runtime.block_on(engine.create(request)).unwrap().id);
    }
    h.pump_until("30 rows", |app| app.transfers().rows().len() == 30);
    let press = |h: &mut Harness, key: Named, modifiers: Modifiers| {
        let _ = h.app.update(Message::Key(Key::Named(key), modifiers));
    };
    let picked = |h: &Harness| -> Vec<usize> {
        (0..ids.len())
            .filter(|i| h.app.transfers().selection.contains(ids[*i]))
            .collect()
    };
    press(&mut h, Named::ArrowDown, Modifiers::empty());
    assert_eq!(h.app.transfers().selected, Some(ids[0]), "the first row");
    press(&mut h, Named::ArrowDown, Modifiers::empty());
    press(&mut h, Named::ArrowDown, Modifiers::SHIFT);
    press(&mut h, Named::ArrowDown, Modifiers::SHIFT);
    assert_eq!(
        picked(&h),
        [1, 2, 3],
        "Shift grows the pick from where it started"
    );
    press(&mut h, Named::ArrowUp, Modifiers::empty());
    assert_eq!(picked(&h), [2]);
    press(&mut h, Named::End, Modifiers::empty());
    assert_eq!(h.app.transfers().selected, Some(ids[29]));
    // The last row is far below the view: the list is told to scroll there.
    assert!(
        h.app
            .transfers
            .step(crate::ui::transfers::keyboard::Step::Last, false)
            .is_some(),
        "scrolls to keep the picked row in view"
    );
    press(&mut h, Named::Home, Modifiers::empty());
    assert_eq!(h.app.transfers().selected, Some(ids[0]));

    // Its menu, from the keyboard: Move down is lit some steps down.
    press(&mut h, Named::ContextMenu, Modifiers::empty());
    let open = h.app.transfers().menu.expect("the Menu key opens it");
    assert_eq!((open.id, open.lit), (ids[0], Some(0)));
    let entries = h.app.transfers().menu_entries(ids[0]).unwrap();
    let down = entries.iter().position(|e| *e == Entry::MoveDown).unwrap();
    for _ in 0..down {
        press(&mut h, Named::ArrowDown, Modifiers::empty());
    }
    assert_eq!(h.app.transfers().menu.unwrap().lit, Some(down));
    assert_eq!(
        h.app.transfers().selected,
        Some(ids[0]),
        "the arrows stay in the menu"
    );
    press(&mut h, Named::Enter, Modifiers::empty());
    h.pump_until("second in the queue", |app| {
        app.transfers()
            .queue_spot(ids[0])
            .is_some_and(|q| q.place == 2)
    });
    assert_eq!(engine.queue()[0].id, ids[1], "the engine's queue too");
    assert!(h.app.transfers().menu.is_none(), "a choice closes it");
    // Shift+F10 opens it too; Up from the first entry lights the last.
    press(&mut h, Named::F10, Modifiers::SHIFT);
    press(&mut h, Named::ArrowUp, Modifiers::empty());
    let entries = h.app.transfers().menu_entries(ids[0]).unwrap();
    assert_eq!(
        entries[h.app.transfers().menu.unwrap().lit.unwrap()],
        Entry::Row(crate::ui::transfers::RowAction::Details)
    );
    press(&mut h, Named::Escape, Modifiers::empty());
    assert!(h.app.transfers().menu.is_none());
    // Enter alone: the picked row's details.
    press(&mut h, Named::ArrowDown, Modifiers::empty());
    press(&mut h, Named::Enter, Modifiers::empty());
    assert!(matches!(h.app.screen, Screen::Details(id) if id == ids[1]));
    // The keys are listed for the user.
    let lines = crate::ui::shortcuts::lines(&h.app.tr);
    assert!(lines.iter().any(|(keys, _)| keys == "Menu key, Shift+F10"));
}
