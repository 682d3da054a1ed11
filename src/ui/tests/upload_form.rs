//! The upload form, end to end: the server holds exactly the picked files.

use super::*;

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
        .update(Message::Upload(crate::ui::upload::Message::FilesPicked(
            vec![a, b],
        )));
    assert!(h.shows("a.txt") && h.shows("b.jpg"), "the files are listed");
    assert!(h.shows("2.0 KiB"), "with their sizes");
    assert!(h.shows("2 files, 2.0 KiB"));
    let url = server.url("/upload");
    h.interact(|ui| {
        ui.click(widget::Id::from(crate::ui::upload::URL))
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
        crate::ui::upload::Mode::Multipart,
    );
    // Multipart asked for: the method goes back to POST, never PUT + multipart.
    let _ = h
        .app
        .update(Message::Upload(crate::ui::upload::Message::MethodPicked(
            crate::ui::upload::methods()
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
        crate::ui::upload::Mode::Separate,
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
        crate::ui::new_download::Message::ClipboardRead(Some(url.into())),
    ));
    let offer = format!("Use the address in the clipboard: {url}");
    assert!(h.shows(&offer));
    h.click(&offer);
    assert!(!h.shows(&offer), "taken");
    // Not in the clipboard: no offer for text that is not an address.
    let _ = h.app.update(Message::NewDownload(
        crate::ui::new_download::Message::ClipboardRead(Some("hello".into())),
    ));
    assert!(!h.shows("Use the address in the clipboard: hello"));
}

#[test]
fn the_upload_form_sends_credentials_and_cookies_from_its_advanced_part() {
    use crate::ui::advanced::Message as Advanced;
    let mut h = Harness::new(Language::English);
    let server = h.runtime.block_on(TestServer::start());
    server.sink("/inbox", uploads::Sink::ok("stored"));
    let file = h.dir().join("notes.txt");
    std::fs::write(&file, b"private notes").unwrap();
    h.click("New upload");
    let _ = h
        .app
        .update(Message::Upload(crate::ui::upload::Message::FilesPicked(
            vec![file],
        )));
    let url = server.url("/inbox");
    h.interact(|ui| {
        ui.click(widget::Id::from(crate::ui::upload::URL))
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
            .update(Message::Upload(crate::ui::upload::Message::Advanced(
                message,
            )));
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
        .update(Message::Upload(crate::ui::upload::Message::FilesPicked(
            vec![h.dir().join("notes.txt")],
        )));
    h.interact(|ui| {
        ui.click(widget::Id::from(crate::ui::upload::URL))
            .expect("the address field");
        ui.typewrite(&url);
    });
    h.click("Advanced");
    let _ = h
        .app
        .update(Message::Upload(crate::ui::upload::Message::Advanced(
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
