//! A download whose link expired, in the window: "Change address…" continues it
//! from a new address serving the same file, or starts over from one serving
//! another.

use super::*;

/// A download of `body` from `/old/film.mkv` whose link expires after 1 MiB,
/// seen waiting for a new address.
fn expired_download(
    h: &mut Harness,
    server: &TestServer,
    body: &[u8],
) -> ferry::engine::OperationId {
    server.put("/old/film.mkv", Resource::expiring(body.to_vec(), 1 << 20));
    let request = ferry::engine::Request::download(server.url("/old/film.mkv"), None);
    h.create_until(request, Status::NeedsNewAddress)
}

/// The same bytes as `body` from another node, or another file (`flip`).
fn elsewhere(body: &[u8], flip: u8) -> Resource {
    Resource::elsewhere(body.iter().map(|b| b ^ flip).collect())
}

/// Type an address in "Change address…" and send it with `button`.
fn change_address(h: &mut Harness, url: String, button: &str) {
    let _ = h.app.update(Message::ChangeAddress(
        crate::ui::change_address::Message::UrlChanged(url),
    ));
    h.click(button);
}

/// A download whose link expired offers "Change address…": another file is
/// refused in French, the same file from a new address continues it.
#[test]
fn a_download_waiting_for_an_address_continues_from_one_typed_in_the_window() {
    let mut h = Harness::new(Language::French);
    let server = h.runtime.block_on(TestServer::start());
    let body: Vec<u8> = (0..3 << 20).map(|i: u32| (i % 251) as u8).collect();
    let id = expired_download(&mut h, &server, &body);
    let row = h.app.transfers().get(id).unwrap().clone();
    let said = crate::ui::format::status(&h.app.tr, &row);
    assert_eq!(said, "Nouvelle adresse nécessaire");
    assert!(h.shows(&said), "the row says why");
    h.click("Changer d’adresse…");
    assert!(h.shows("Une nouvelle adresse pour « film.mkv »"));

    server.put("/new/other.mkv", elsewhere(&body, 1));
    change_address(&mut h, server.url("/new/other.mkv"), "Continuer");
    h.pump_until(
        "the refusal",
        |app| matches!(&app.screen, Screen::ChangeAddress(state) if state.problem.is_some()),
    );
    assert!(
        h.shows("La nouvelle adresse sert un autre fichier ; le téléchargement garde ce qu’il a.")
    );

    server.put("/new/film.mkv", elsewhere(&body, 0));
    change_address(&mut h, server.url("/new/film.mkv"), "Continuer");
    h.pump_until("back to the list, completed", |app| {
        matches!(app.screen, Screen::Transfers)
            && app
                .transfers()
                .get(id)
                .is_some_and(|s| s.status == Status::Completed)
    });
    let file = h.dir().join("downloads/film.mkv");
    assert_eq!(std::fs::read(file).unwrap(), body);
}

/// Another file at the new address, and it is the one the user wants: "Start
/// over from this address" downloads it from byte zero in place of the old one.
#[test]
fn a_download_can_start_over_from_an_address_that_serves_another_file() {
    let mut h = Harness::new(Language::English);
    let server = h.runtime.block_on(TestServer::start());
    let body: Vec<u8> = (0..3 << 20).map(|i: u32| (i % 241) as u8).collect();
    let id = expired_download(&mut h, &server, &body);
    h.click("Change address…");
    assert!(
        !h.shows("Start over from this address"),
        "not before a refusal"
    );
    server.put("/v2/film.mkv", elsewhere(&body, 7));
    change_address(&mut h, server.url("/v2/film.mkv"), "Continue");
    h.pump_until(
        "the refusal",
        |app| matches!(&app.screen, Screen::ChangeAddress(state) if state.problem.is_some()),
    );
    h.click("Start over from this address");
    h.pump_until("back to the list, completed", |app| {
        matches!(app.screen, Screen::Transfers)
            && app
                .transfers()
                .get(id)
                .is_some_and(|s| s.status == Status::Completed)
    });
    let file = std::fs::read(h.dir().join("downloads/film.mkv")).unwrap();
    assert!(
        file.iter().zip(&body).all(|(new, old)| *new == old ^ 7) && file.len() == body.len(),
        "the new address's file, whole"
    );
    assert!(!h.dir().join("downloads/film.mkv.part").exists());
}

/// A download that failed (its address answers 404) is given a new address
/// from its menu, and completes from there.
#[test]
fn a_failed_download_takes_a_new_address_from_its_menu() {
    use crate::ui::transfers::Message as List;
    use crate::ui::transfers::RowAction;
    use crate::ui::transfers::menu::{Entry, entries};
    let mut h = Harness::new(Language::English);
    let server = h.runtime.block_on(TestServer::start());
    let body: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    server.put("/mirror/report.pdf", Resource::new(body.clone()));
    let request = ferry::engine::Request::download(server.url("/gone/report.pdf"), None);
    let id = h.create_until(request, Status::Error);
    let s = h.app.transfers().get(id).unwrap().clone();
    let change = Entry::Row(RowAction::ChangeAddress);
    assert!(
        entries(&s, None).contains(&change),
        "{:?}",
        entries(&s, None)
    );
    let _ = h.app.update(Message::Transfers(List::OpenMenu(id)));
    let _ = h.app.update(Message::Transfers(List::Menu(change)));
    assert!(matches!(h.app.screen, Screen::ChangeAddress(_)));
    change_address(&mut h, server.url("/mirror/report.pdf"), "Continue");
    h.pump_until("completed from the new address", |app| {
        app.transfers()
            .get(id)
            .is_some_and(|s| s.status == Status::Completed)
    });
    let done = h.app.transfers().get(id).unwrap();
    assert_eq!(
        std::fs::read(done.destination.as_ref().unwrap()).unwrap(),
        body
    );
}
