//! What the mouse chooses, the keyboard reaches too: the queue's order and
//! moves in it (Alt+arrows, Home, End), the states (Ctrl+1…), the order, the
//! kinds and groups (Ctrl+O, K, G), the footer's speed limit and when-done
//! (Ctrl+L, D), Settings (Ctrl+,); each reaches the engine or the agent.

use super::*;
use crate::ui::transfers::{Filter, Sort};
use ferry::engine::{OperationId, WhenDone};
use iced::keyboard::{Key, Modifiers, key::Named};

fn press(h: &mut Harness, key: Named, modifiers: Modifiers) {
    let _ = h.app.update(Message::Key(Key::Named(key), modifiers));
}

fn ctrl(h: &mut Harness, c: &str) {
    let _ = h
        .app
        .update(Message::Key(Key::Character(c.into()), Modifiers::CTRL));
}

fn ctrl_shift(h: &mut Harness, c: &str) {
    let shifted = c.to_uppercase();
    let _ = h.app.update(Message::Key(
        Key::Character(shifted.as_str().into()),
        Modifiers::CTRL | Modifiers::SHIFT,
    ));
}

/// Paused downloads (never fetched) named `names`, seen by the window.
fn paused(h: &mut Harness, names: &[&str]) -> Vec<OperationId> {
    names
        .iter()
        .map(|name| {
            let mut request =
                ferry::engine::Request::download(format!("http://127.0.0.1:1/{name}"), None);
            request.paused = true;
            h.create_until(request, Status::PausedByApplication)
        })
        .collect()
}

#[test]
fn the_queue_is_shown_in_its_order_and_moved_from_the_keyboard() {
    let mut h = Harness::new(Language::English);
    let ids = paused(&mut h, &["a.bin", "b.bin", "c.bin", "d.bin"]);
    let engine = h.app.backend.engine.clone();
    ctrl(&mut h, "o");
    assert_eq!(
        h.app.transfers().sort,
        Sort::Queue,
        "Ctrl+O: the next order"
    );
    let labels: Vec<String> = crate::ui::transfers::Transfers::sort_choices(&h.app.tr)
        .into_iter()
        .map(|c| c.label)
        .collect();
    assert_eq!(labels[1], "Queue order", "the pick list's second");
    // The last row, picked with End, to the front with Alt+Home.
    press(&mut h, Named::End, Modifiers::empty());
    assert_eq!(h.app.transfers().selected, Some(ids[3]));
    let moves = [
        (Named::Home, ["d.bin", "a.bin", "b.bin", "c.bin"]),
        (Named::ArrowDown, ["a.bin", "d.bin", "b.bin", "c.bin"]),
        (Named::End, ["a.bin", "b.bin", "c.bin", "d.bin"]),
        (Named::ArrowUp, ["a.bin", "b.bin", "d.bin", "c.bin"]),
    ];
    for (key, order) in moves {
        press(&mut h, key, Modifiers::ALT);
        h.pump_until(&format!("{order:?} after Alt+{key:?}"), |app| {
            shown_names(app) == order
        });
        let queued: Vec<String> = engine.queue().iter().map(|s| s.display_name()).collect();
        assert_eq!(queued, order, "the engine's queue");
        assert_eq!(h.app.transfers().selected, Some(ids[3]), "still picked");
    }
    // Its place, in the details pane.
    ctrl(&mut h, "i");
    assert!(h.shows("In the queue"));
    assert!(h.shows("3 of 4"), "d.bin is third of four");
    // Added order again (Shift: back), the rows as created.
    ctrl_shift(&mut h, "o");
    assert_eq!(h.app.transfers().sort, Sort::Added);
    assert_eq!(shown_names(&h.app), ["a.bin", "b.bin", "c.bin", "d.bin"]);
    // Ctrl+R: the other way round, newest first; again, as before.
    ctrl(&mut h, "r");
    assert_eq!(shown_names(&h.app), ["d.bin", "c.bin", "b.bin", "a.bin"]);
    ctrl(&mut h, "r");
    assert_eq!(shown_names(&h.app), ["a.bin", "b.bin", "c.bin", "d.bin"]);
    // The keys are listed.
    let lines = crate::ui::shortcuts::lines(&h.app.tr);
    for keys in [
        "Alt+↑ ↓, Alt+Home, Alt+End",
        "Ctrl+O",
        "Ctrl+R",
        "Ctrl+L",
        "Ctrl+,",
    ] {
        assert!(lines.iter().any(|(k, _)| k == keys), "{keys} listed");
    }
}

#[test]
fn states_kinds_groups_limit_and_when_done_from_the_keyboard() {
    let mut h = Harness::new(Language::English);
    let engine = h.app.backend.engine.clone();
    h.runtime
        .block_on(engine.create_group(
            "night",
            ferry::engine::Behavior::Parallel,
            None,
            WhenDone::Nothing,
        ))
        .unwrap();
    paused(&mut h, &["film.mp4", "notes.zip"]);
    let mut request =
        ferry::engine::Request::download("http://127.0.0.1:1/song.mp3", None).group("night");
    request.paused = true;
    h.create_until(request, Status::PausedByApplication);

    // A narrow window's tabs: Ctrl+2 is Active; a wide one's sidebar: Running.
    let _ = h
        .app
        .update(Message::WindowResized(iced::Size::new(700.0, 600.0)));
    ctrl(&mut h, "2");
    assert_eq!(h.app.transfers().filter, Filter::Active);
    let _ = h
        .app
        .update(Message::WindowResized(iced::Size::new(1200.0, 800.0)));
    ctrl(&mut h, "2");
    assert_eq!(h.app.transfers().filter, Filter::Running);
    assert!(shown_names(&h.app).is_empty(), "nothing runs");
    ctrl(&mut h, "3");
    assert_eq!(h.app.transfers().filter, Filter::Waiting);
    assert_eq!(shown_names(&h.app).len(), 3);
    ctrl(&mut h, "1");

    // Kinds: the first kind offered, then the next, then all again.
    ctrl(&mut h, "k");
    let first = h.app.transfers().category.expect("a kind");
    assert_eq!(shown_names(&h.app).len(), 1, "one file of {first:?}");
    ctrl(&mut h, "k");
    assert_ne!(h.app.transfers().category, Some(first));
    ctrl_shift(&mut h, "k");
    ctrl_shift(&mut h, "k");
    assert_eq!(h.app.transfers().category, None, "back to every kind");
    // Groups.
    ctrl(&mut h, "g");
    assert_eq!(h.app.transfers().group.as_deref(), Some("night"));
    assert_eq!(shown_names(&h.app), ["song.mp3"]);
    ctrl(&mut h, "g");
    assert_eq!(h.app.transfers().group, None);

    // The footer's limit: the next one for the engine, and off again.
    assert_eq!(engine.limit(), None);
    ctrl(&mut h, "l");
    let limit = engine.limit().expect("Ctrl+L sets a limit");
    assert_eq!(h.app.transfers().limit, Some(limit));
    ctrl(&mut h, "l");
    assert!(engine.limit().unwrap() > limit, "the next is higher");
    ctrl_shift(&mut h, "l");
    ctrl_shift(&mut h, "l");
    assert_eq!(engine.limit(), None, "Shift steps back to none");

    // When done: the agent has the next choice.
    ctrl(&mut h, "d");
    let armed = h.app.when_done.state().armed;
    assert_ne!(armed, WhenDone::Nothing);
    ctrl_shift(&mut h, "d");
    assert_eq!(h.app.when_done.state().armed, WhenDone::Nothing);

    ctrl(&mut h, ",");
    assert!(matches!(h.app.screen, Screen::Settings(_)));
}

/// Several picked rows (Shift+arrows) move in the queue together, keeping
/// their order; Ctrl+P and Ctrl+M change their priority and policy; Space
/// pauses and resumes them; Shift+Delete then Delete, each pressed twice,
/// cancel and remove them.
#[test]
fn several_picked_rows_act_together_from_the_keyboard() {
    use ferry::engine::{CostPolicy, Priority};
    let mut h = Harness::new(Language::English);
    let ids = paused(&mut h, &["a.bin", "b.bin", "c.bin", "d.bin"]);
    let engine = h.app.backend.engine.clone();
    let queue = |engine: &Engine| -> Vec<String> {
        engine.queue().iter().map(|s| s.display_name()).collect()
    };
    // c and d picked: the third row, then Shift+Down.
    press(&mut h, Named::Home, Modifiers::empty());
    press(&mut h, Named::ArrowDown, Modifiers::empty());
    press(&mut h, Named::ArrowDown, Modifiers::empty());
    press(&mut h, Named::ArrowDown, Modifiers::SHIFT);
    assert_eq!(h.app.transfers().selection.len(), 2);
    press(&mut h, Named::Home, Modifiers::ALT);
    h.pump_until("c and d first", |_| {
        queue(&engine) == ["c.bin", "d.bin", "a.bin", "b.bin"]
    });
    press(&mut h, Named::ArrowDown, Modifiers::ALT);
    h.pump_until("c and d one down", |_| {
        queue(&engine) == ["a.bin", "c.bin", "d.bin", "b.bin"]
    });

    // Normal → Low for both, Default → Always for both; a and b keep theirs.
    ctrl(&mut h, "p");
    ctrl(&mut h, "m");
    h.pump_until("their priority and policy, in the window", |app| {
        [ids[2], ids[3]].iter().all(|id| {
            app.transfers()
                .get(*id)
                .is_some_and(|s| s.priority == Priority::Low && s.policy == CostPolicy::Always)
        })
    });
    for id in [ids[2], ids[3]] {
        let s = engine.get(id).unwrap();
        assert_eq!((s.priority, s.policy), (Priority::Low, CostPolicy::Always));
    }
    for id in [ids[0], ids[1]] {
        let s = engine.get(id).unwrap();
        assert_eq!(
            (s.priority, s.policy),
            (Priority::Normal, CostPolicy::Default)
        );
    }
    ctrl_shift(&mut h, "p");
    h.pump_until("Normal again", |_| {
        engine
            .get(ids[2])
            .is_some_and(|s| s.priority == Priority::Normal)
    });

    // Space resumes both (paused, they cannot be paused), Space pauses them.
    let status = |h: &Harness, i: usize| h.app.transfers().get(ids[i]).unwrap().status;
    press(&mut h, Named::Space, Modifiers::empty());
    h.pump_until("both resumed", |app| {
        [ids[2], ids[3]]
            .iter()
            .all(|id| app.transfers().get(*id).unwrap().status != Status::PausedByApplication)
    });
    assert_eq!(
        status(&h, 0),
        Status::PausedByApplication,
        "a is not picked"
    );
    press(&mut h, Named::Space, Modifiers::empty());
    h.pump_until("both paused again", |app| {
        [ids[2], ids[3]]
            .iter()
            .all(|id| app.transfers().get(*id).unwrap().status == Status::PausedByApplication)
    });

    // Delete on unfinished ones says how to end them first.
    press(&mut h, Named::Delete, Modifiers::empty());
    assert!(
        h.shows("None of the transfers picked has ended: Shift+Delete cancels them, then Delete removes them.")
    );
    assert_eq!(h.app.transfers().rows().len(), 4);
    // Shift+Delete asks once, then cancels both; Delete the same, removes them.
    press(&mut h, Named::Delete, Modifiers::SHIFT);
    assert!(h.app.transfers().notice.is_some(), "asked first");
    assert_eq!(status(&h, 2), Status::PausedByApplication);
    press(&mut h, Named::Delete, Modifiers::SHIFT);
    h.pump_until("both canceled", |app| {
        [ids[2], ids[3]]
            .iter()
            .all(|id| app.transfers().get(*id).unwrap().status == Status::Canceled)
    });
    assert_eq!(queue(&engine), ["a.bin", "b.bin"]);
    press(&mut h, Named::Delete, Modifiers::empty());
    assert_eq!(h.app.transfers().rows().len(), 4, "asked first");
    press(&mut h, Named::Delete, Modifiers::empty());
    h.pump_until("two left", |app| app.transfers().rows().len() == 2);
}
