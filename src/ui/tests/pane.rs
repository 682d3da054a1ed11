//! The bar between the list and the details pane: a drag moves it (the pane
//! grows as much as the bar goes up, within bounds), and the share is kept with
//! the window's size for the next run.

use super::*;
use crate::ui::geometry::Geometry;
use crate::ui::transfers::Message as List;

/// The bar pressed, the pointer moved from `from` to `to` (heights in the
/// page), released.
fn drag(h: &mut Harness, from: f32, to: f32) {
    for message in [
        List::PaneDrag,
        List::PaneDragged(iced::Point::new(400.0, from)),
        List::PaneDragged(iced::Point::new(400.0, to)),
        List::PaneDropped,
    ] {
        let _ = h.app.update(Message::Transfers(message));
    }
}

#[test]
fn dragging_the_bar_resizes_the_pane_and_is_remembered() {
    let mut h = Harness::new(Language::English);
    let _ = h
        .app
        .update(Message::WindowResized(iced::Size::new(1000.0, 700.0)));
    let _ = h.app.update(Message::Transfers(List::TogglePane));
    let hint = "Click a transfer to see its details here.";
    let before = bounds_of(&mut h, hint).y;
    let share = h.app.transfers().pane_share;

    // Pressed, moved up 200 px, released.
    drag(&mut h, 500.0, 300.0);
    let grown = h.app.transfers().pane_share;
    assert!(grown > share + 0.1, "{share} → {grown}");
    let after = bounds_of(&mut h, hint).y;
    assert!(
        after < before - 30.0,
        "the pane's middle went up: {before} → {after}"
    );
    // Moves after the release change nothing.
    let _ = h
        .app
        .update(Message::Transfers(List::PaneDragged(iced::Point::new(
            400.0, 0.0,
        ))));
    assert_eq!(h.app.transfers().pane_share, grown);
    // A drag far down stops where the list would take everything.
    drag(&mut h, 0.0, 5000.0);
    let least = h.app.transfers().pane_share;
    assert!((0.19..0.21).contains(&least), "{least}");

    h.app.window = Some(h.window);
    let _ = h.app.update(Message::WindowClosed(h.window));
    let kept = Geometry::load(&h.dir().join("window.toml"));
    assert!(kept.details_pane);
    assert_eq!(kept.pane_share, least);
}

/// Ctrl+B (or the toolbar's toggle) hides the sidebar of a wide window: the
/// filters come above the list, as in a narrow one; kept for the next run.
#[test]
fn the_sidebar_hides_and_is_remembered() {
    use iced::keyboard::{Key, Modifiers};
    use lucide_icons::Icon;
    let mut h = Harness::new(Language::English);
    let _ = h
        .app
        .update(Message::WindowResized(iced::Size::new(1200.0, 800.0)));
    let ctrl_b = || Message::Key(Key::Character("b".into()), Modifiers::CTRL);
    assert!(
        h.shows("Running") && !h.shows("Active"),
        "the sidebar's states"
    );
    let _ = h.app.update(ctrl_b());
    assert!(h.app.transfers().sidebar_hidden);
    assert!(!h.shows("Running") && h.shows("Active"), "the tabs instead");
    h.click(&glyph(Icon::PanelLeft));
    assert!(h.shows("Running"), "the toggle brings it back");
    let _ = h.app.update(ctrl_b());
    h.app.window = Some(h.window);
    let _ = h.app.update(Message::WindowClosed(h.window));
    assert!(Geometry::load(&h.dir().join("window.toml")).sidebar_hidden);
}

/// In a narrow window the pane puts what happens (the speed graph) under the
/// facts; in a wide one, beside them.
#[test]
fn a_narrow_pane_stacks_its_columns() {
    let mut h = Harness::new(Language::English);
    let (_server, id) = h.running_download();
    let _ = h.app.update(Message::Transfers(List::Select(id)));
    let _ = h.app.update(Message::Transfers(List::TogglePane));
    h.pump_until("a speed to draw", |app| {
        app.transfers().get(id).is_some_and(|s| s.speed > 0.0)
    });
    let _ = h
        .app
        .update(Message::WindowResized(iced::Size::new(1400.0, 800.0)));
    let address = bounds_of(&mut h, "Address");
    let graph = bounds_of(&mut h, "Speed, last 2 minutes");
    assert!(graph.x > address.x + 300.0, "beside: {address:?} {graph:?}");
    let _ = h
        .app
        .update(Message::WindowResized(iced::Size::new(700.0, 600.0)));
    let address = bounds_of(&mut h, "Address");
    let graph = bounds_of(&mut h, "Speed, last 2 minutes");
    assert!(
        (graph.x - address.x).abs() < 1.0 && graph.y > address.y,
        "under: {address:?} {graph:?}"
    );
}

/// The size and layout are written a moment after they change, not only when
/// the window closes: `ferry quit` or a logout end the app without a word to
/// the window. Nothing is written when nothing changed.
#[test]
fn the_window_is_remembered_without_being_closed() {
    let mut h = Harness::new(Language::English);
    let path = h.dir().join("window.toml");
    let _ = h.app.update(Message::SaveGeometry);
    assert!(!path.exists(), "nothing changed, nothing written");
    let _ = h
        .app
        .update(Message::WindowResized(iced::Size::new(1111.0, 777.0)));
    let _ = h.app.update(Message::Transfers(List::TogglePane));
    // What the second's delay then sends.
    let _ = h.app.update(Message::SaveGeometry);
    let kept = Geometry::load(&path);
    assert_eq!((kept.width, kept.height), (1111.0, 777.0));
    assert!(kept.details_pane);
    std::fs::remove_file(&path).unwrap();
    let _ = h.app.update(Message::SaveGeometry);
    assert!(!path.exists(), "saved already: not again");
}
