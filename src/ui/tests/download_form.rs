//! The new-download form, end to end: what is typed reaches the server and the
//! bytes land where the user asked.

use super::*;

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
        h.shows(&glyph(lucide_icons::Icon::ExternalLink))
            && h.shows(&glyph(lucide_icons::Icon::FolderOpen)),
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
            crate::ui::new_download::Message::FolderChosen(Some(folder.clone())),
        ));
        h.interact(|ui| {
            ui.click(widget::Id::from(crate::ui::new_download::URLS))
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
        crate::ui::new_download::Message::SaveAsChosen(Some(h.dir().join("one.bin"))),
    ));
    let _ = h.app.update(Message::NewDownload(
        crate::ui::new_download::Message::UrlsEdited(widget::text_editor::Action::Edit(
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
    let _ = h.app.update(Message::NewDownload(
        crate::ui::new_download::Message::NoPicker,
    ));
    assert!(h.shows("No file dialog can open here: type the folder above."));
    // Typed: a folder that does not exist yet.
    let typed = h.dir().join("typed/here");
    let _ = h.app.update(Message::NewDownload(
        crate::ui::new_download::Message::FolderTyped(typed.display().to_string()),
    ));
    let url = server.url("/a.bin");
    for action in [
        widget::text_editor::Action::SelectAll,
        widget::text_editor::Action::Edit(widget::text_editor::Edit::Paste(Arc::new(url))),
    ] {
        let _ = h.app.update(Message::NewDownload(
            crate::ui::new_download::Message::UrlsEdited(action),
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
        .update(Message::Upload(crate::ui::upload::Message::PathTyped(
            file.display().to_string(),
        )));
    let _ = h
        .app
        .update(Message::Upload(crate::ui::upload::Message::AddTyped));
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
        crate::ui::new_download::Message::Advanced(crate::ui::advanced::Message::Toggle(true)),
    ));
    let _ = h.app.update(Message::NewDownload(
        crate::ui::new_download::Message::Advanced(crate::ui::advanced::Message::UserChanged(
            "bob".into(),
        )),
    ));
    h.interact(|ui| {
        ui.click(widget::Id::from(crate::ui::advanced::PASSWORD))
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
fn credentials_in_the_advanced_part_reach_the_server() {
    use crate::ui::advanced::Message as Advanced;
    use crate::ui::new_download::Message as Form;
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
        .update(Message::Upload(crate::ui::upload::Message::FilesPicked(
            vec![file],
        )));
    h.interact(|ui| {
        ui.click(widget::Id::from(crate::ui::upload::URL))
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
        Some(widget::Id::from(crate::ui::new_download::URLS)),
        "Ctrl+N focuses the address box"
    );
    live.typewrite(&mut h, &server.url("/private/notes.txt"));
    live.update(
        &mut h,
        Message::NewDownload(crate::ui::new_download::Message::Advanced(
            crate::ui::advanced::Message::Toggle(true),
        )),
    );
    live.run(&mut h, widget::operation::focus(crate::ui::advanced::USER));
    live.typewrite(&mut h, "bob");
    live.key(&mut h, Key::Named(Named::Tab), Modifiers::empty());
    assert_eq!(
        live.focused(&h),
        Some(widget::Id::from(crate::ui::advanced::PASSWORD)),
        "Tab moves from the user to the password"
    );
    live.key(&mut h, Key::Named(Named::Tab), Modifiers::SHIFT);
    assert_eq!(
        live.focused(&h),
        Some(widget::Id::from(crate::ui::advanced::USER)),
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
        Some(widget::Id::from(crate::ui::upload::URL)),
        "Ctrl+U focuses the upload address"
    );
}

/// Ctrl+V on the list opens the form with every address the clipboard holds
/// (lines that are not addresses are left out); both downloads land on disk.
#[test]
fn links_pasted_on_the_list_become_downloads() {
    use iced::keyboard::{Key, Modifiers};
    let mut h = Harness::new(Language::English);
    let server = h.runtime.block_on(TestServer::start());
    server.put("/one.bin", Resource::new(vec![1u8; 50_000]));
    server.put("/two.bin", Resource::new(vec![2u8; 60_000]));
    assert!(h.shows(
        "Paste links here (Ctrl+V) or use New download; drop files on this window to upload them; with Ferry's browser extension (ferry browser install), the browser hands its downloads over."
    ));
    // From the settings or the shortcuts too, where no field took it.
    for open in [Message::OpenSettings, Message::OpenShortcuts] {
        let _ = h.app.update(open);
        let _ = h
            .app
            .update(Message::Key(Key::Character("v".into()), Modifiers::CTRL));
        assert!(matches!(h.app.screen, Screen::NewDownload(_)));
        h.click("Back");
    }
    let _ = h
        .app
        .update(Message::Key(Key::Character("v".into()), Modifiers::CTRL));
    assert!(matches!(h.app.screen, Screen::NewDownload(_)));
    // What the clipboard read gives (the simulator has no clipboard).
    let clipboard = format!(
        "{}\nnot an address\n  {}  \n{}\n",
        server.url("/one.bin"),
        server.url("/two.bin"),
        server.url("/one.bin")
    );
    let _ = h.app.update(Message::NewDownload(
        crate::ui::new_download::Message::Pasted(Some(clipboard)),
    ));
    h.click("Download");
    h.pump_until("both complete", |app| {
        app.transfers().rows().len() == 2
            && app
                .transfers()
                .rows()
                .iter()
                .all(|s| s.status == Status::Completed)
    });
    let downloads = h.dir().join("downloads");
    assert_eq!(
        std::fs::read(downloads.join("one.bin")).unwrap(),
        vec![1u8; 50_000]
    );
    assert_eq!(
        std::fs::read(downloads.join("two.bin")).unwrap(),
        vec![2u8; 60_000]
    );
}

/// The form asks each address what it serves before anything is created, and
/// shows it: name (the server's), size, kind, whether it can resume; an address
/// that fails says why. Typing checks once the typing pauses, not at every key.
#[test]
fn the_form_checks_each_address_before_creating_it() {
    use crate::ui::address_checks::Found;
    use crate::ui::new_download::Message as Form;
    let mut h = Harness::new(Language::English);
    let server = h.runtime.block_on(TestServer::start());
    server.put(
        "/dl.php",
        Resource::new(vec![7u8; 3 << 20])
            .disposition("attachment; filename=\"keynote.mkv\"")
            .media_type("video/x-matroska"),
    );
    let mut plain = Resource::new(vec![1u8; 2048]);
    plain.ranges = false;
    server.put("/notes.txt", plain);

    // Typed: nothing is asked until the box has rested.
    h.click("New download");
    let typed = server.url("/dl.php");
    h.type_addresses(&typed);
    let now = Instant::now();
    let _ = h.app.update(Message::NewDownload(Form::Tick(now)));
    assert!(server.seen("/dl.php").is_empty(), "not while typing");
    let rested = now + crate::ui::new_download::CHECK_AFTER;
    let _ = h.app.update(Message::NewDownload(Form::Tick(rested)));
    let answered = |app: &App, url: &str| {
        matches!(&app.screen, Screen::NewDownload(form)
            if form.checks.get(url).is_some_and(|f| *f != Found::Checking))
    };
    h.pump_until("the check", |app| answered(app, &typed));
    assert!(h.shows("keynote.mkv · 3.0 MiB · Videos · can resume"));
    assert_eq!(server.seen("/dl.php").len(), 1, "asked once");

    // Pasted: checked at once, each.
    let notes = server.url("/notes.txt");
    let gone = server.url("/gone.zip");
    let _ = h.app.update(Message::NewDownload(Form::Pasted(Some(format!(
        "{notes}\n{gone}\n"
    )))));
    h.pump_until("both checks", |app| {
        answered(app, &notes) && answered(app, &gone)
    });
    assert!(h.shows(
        "notes.txt · 2.0 KiB · Documents · cannot resume: a pause or a lost network starts it over"
    ));
    assert!(h.shows(&format!("{gone}: not found on the server")));
    assert_eq!(server.seen("/dl.php").len(), 1, "an address is asked once");
    assert!(h.app.transfers().rows().is_empty(), "nothing created yet");
    assert!(
        !h.dir().join("downloads/keynote.mkv").exists(),
        "nothing written yet"
    );
}
