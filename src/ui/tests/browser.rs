//! What the browser extension brings to the window: the hand-off dialog (asked,
//! declined, queued, added without asking) and the list of a page's links.

use super::*;
use crate::ui::{handoff, links};
use ferry::agent::{Answer, Offer};
use ferry::engine::Request;
use ferry::ipc::HandedFile;
use tokio::sync::oneshot;

/// `len` bytes that differ from one place to the next.
fn bytes(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ (i >> 9) as u8)
        .collect()
}

/// A download as the native host passes it on: the page's cookie and Referer.
fn handed_over(server: &TestServer, path: &str) -> Request {
    let mut request = Request::download(server.url(path), None);
    request.cookies = vec!["session=from-the-browser".into()];
    request.headers.push(ferry::engine::Header {
        name: "Referer".into(),
        value: server.url("/page.html"),
    });
    request
}

fn offer(
    h: &mut Harness,
    request: Request,
    file: Option<HandedFile>,
    ask: bool,
) -> oneshot::Receiver<Answer> {
    let (offer, answer) = Offer::for_test(request, file, ask);
    let _ = h
        .app
        .update(Message::Feedback(Feedback::Reply(Reply::Offer(Arc::new(
            offer,
        )))));
    answer
}

/// The answer the agent would get, once the window has given it.
fn answer_of(h: &mut Harness, mut answer: oneshot::Receiver<Answer>) -> Answer {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match answer.try_recv() {
            Ok(answer) => return answer,
            Err(oneshot::error::TryRecvError::Closed) => panic!("the offer was dropped"),
            Err(oneshot::error::TryRecvError::Empty) => {}
        }
        assert!(Instant::now() < deadline, "no answer from the window");
        let next = h.runtime.block_on(async {
            tokio::time::timeout(Duration::from_millis(100), h.feed.next()).await
        });
        if let Ok(Some(feedback)) = next {
            let _ = h.app.update(Message::Feedback(feedback));
        }
    }
}

/// The dialog names the file and its size; the user renames it and picks
/// another folder (made, as it did not exist); Ferry downloads it there with
/// the browser's cookie and Referer, and the agent hears "added".
#[test]
fn a_download_from_the_browser_is_asked_about_and_goes_where_the_user_says() {
    let mut h = Harness::new(Language::English);
    let server = h.runtime.block_on(TestServer::start());
    let body = bytes(2 << 20, 41);
    server.put("/dl/big.iso", Resource::new(body.clone()));
    let file = HandedFile {
        name: "big.iso".into(),
        size: Some(2 << 20),
    };
    std::fs::write(h.dir().join("downloads/big.iso"), b"another file").unwrap();
    let answer = offer(
        &mut h,
        handed_over(&server, "/dl/big.iso"),
        Some(file),
        false,
    );
    assert!(matches!(h.app.screen, Screen::Handoff(_)));
    assert!(h.shows("Download from the browser"));
    assert!(h.shows("Size: 2.0 MiB"), "the size the browser knew");
    assert!(h.shows("Let the browser download it"));
    let exists = "“big.iso” is already in this folder: the new file gets a name of its own, nothing is overwritten.";
    assert!(h.shows(exists), "the user hears of the file already there");

    let folder = h.dir().join("isos/new");
    let _ = h.app.update(Message::Handoff(handoff::Message::NameTyped(
        "debian.iso".into(),
    )));
    let _ = h.app.update(Message::Handoff(handoff::Message::Folder(
        crate::ui::folder::Message::Typed(folder.display().to_string()),
    )));
    assert!(!h.shows(exists));
    h.click("Download");
    let Answer::Added(submitted) = answer_of(&mut h, answer) else {
        panic!("the agent is told it was added");
    };
    let id = submitted.snapshot.id;
    assert!(
        matches!(h.app.screen, Screen::Transfers),
        "back to the list"
    );
    h.pump_until("the download to end", |app| {
        app.transfers()
            .get(id)
            .is_some_and(|s| s.status.is_finished())
    });
    assert_eq!(h.status_of("debian.iso"), Some(Status::Completed));
    assert!(
        std::fs::read(folder.join("debian.iso")).unwrap() == body,
        "the file is the server's, byte for byte"
    );
    let seen = server.seen("/dl/big.iso");
    let request = seen.last().unwrap();
    assert_eq!(request.header("cookie"), Some("session=from-the-browser"));
    assert_eq!(
        request.header("referer"),
        Some(server.url("/page.html").as_str())
    );
}

/// Two downloads at once: one dialog, the other waiting its turn (said). The
/// first is left to the browser (no operation), the second starts later:
/// created paused.
#[test]
fn declined_downloads_stay_with_the_browser_and_the_next_one_is_asked() {
    let mut h = Harness::new(Language::English);
    let server = h.runtime.block_on(TestServer::start());
    server.put("/a.zip", Resource::new(vec![1u8; 300 << 10]));
    server.put("/b.zip", Resource::new(vec![2u8; 300 << 10]));
    let first = offer(&mut h, handed_over(&server, "/a.zip"), None, false);
    let second = offer(&mut h, handed_over(&server, "/b.zip"), None, false);
    assert!(h.shows("One more download from the browser waits for an answer."));
    assert!(h.shows("Size: unknown until it starts"));
    h.click("Let the browser download it");
    assert!(matches!(answer_of(&mut h, first), Answer::Decline));
    assert!(
        matches!(&h.app.screen, Screen::Handoff(state) if state.offer.request.url.ends_with("/b.zip")),
        "the second one is asked now"
    );
    assert!(!h.shows("One more download from the browser waits for an answer."));
    h.click("Start now");
    h.click("Download");
    let Answer::Added(submitted) = answer_of(&mut h, second) else {
        panic!("added");
    };
    assert_eq!(submitted.snapshot.status, Status::PausedByApplication);
    assert_eq!(submitted.snapshot.display_name(), "b.zip");
    let all = h.app.backend.engine.list();
    assert_eq!(
        all.len(),
        1,
        "nothing was made of the declined one: {all:?}"
    );
    assert!(server.seen("/a.zip").is_empty() && server.seen("/b.zip").is_empty());
}

/// "Add without asking" in the settings: the download is added at once (no
/// dialog), unless the extension asks for the question.
#[test]
fn without_asking_a_download_is_added_at_once_unless_the_browser_asks() {
    let mut h = Harness::new(Language::English);
    h.click("Settings");
    assert!(h.shows("Ask before adding a download from the browser"));
    let _ = h.app.update(Message::Settings(
        crate::ui::settings::Message::AskForBrowserDownloads(false),
    ));
    h.click("Save");
    assert!(!h.app.config.ask_for_browser_downloads);
    let _ = h
        .app
        .update(Message::Settings(crate::ui::settings::Message::Close));
    let server = h.runtime.block_on(TestServer::start());
    server.put("/c.bin", Resource::new(vec![3u8; 1 << 20]));
    let answer = offer(&mut h, handed_over(&server, "/c.bin"), None, false);
    assert!(matches!(h.app.screen, Screen::Transfers), "no dialog");
    let Answer::Add(request) = answer_of(&mut h, answer) else {
        panic!("added as the browser sent it, for the agent to create");
    };
    assert_eq!(request.cookies, ["session=from-the-browser"]);
    let asked = offer(&mut h, handed_over(&server, "/c.bin"), None, true);
    assert!(
        matches!(h.app.screen, Screen::Handoff(_)),
        "asked after all"
    );
    h.click("Let the browser download it");
    assert!(matches!(answer_of(&mut h, asked), Answer::Decline));
}

/// A page's links: listed once each, narrowed to a file type, one unchecked;
/// what is checked and shown is downloaded into the chosen folder, with each
/// link's cookies.
#[test]
fn links_from_a_page_are_filtered_checked_and_downloaded() {
    let mut h = Harness::new(Language::English);
    let server = h.runtime.block_on(TestServer::start());
    let iso = bytes(600 << 10, 42);
    server.put("/pub/one.iso", Resource::new(iso.clone()));
    server.put("/pub/two.iso", Resource::new(vec![7u8; 1000]));
    server.put("/pub/readme.txt", Resource::new(vec![8u8; 1000]));
    let requests = [
        "/pub/one.iso",
        "/pub/two.iso",
        "/pub/readme.txt",
        "/pub/one.iso",
    ]
    .into_iter()
    .map(|path| handed_over(&server, path))
    .collect();
    let _ = h
        .app
        .update(Message::Feedback(Feedback::Reply(Reply::Links(requests))));
    assert!(h.shows("3 links from the page"), "each link once");
    assert!(h.shows("Download 3 files"));
    h.interact(|ui| {
        ui.click(widget::Id::from(links::FILTER))
            .expect("the filter");
        ui.typewrite(".iso");
    });
    assert!(h.shows("2 shown, 2 checked"));
    h.click("two.iso");
    assert!(h.shows("2 shown, 1 checked"));
    let folder = h.dir().join("from-the-page");
    let _ = h.app.update(Message::Links(links::Message::Folder(
        crate::ui::folder::Message::Typed(folder.display().to_string()),
    )));
    h.click("Download 1 file");
    h.pump_until("the download to end", |app| {
        let rows = app.transfers().rows();
        !rows.is_empty() && rows.iter().all(|s| s.status.is_finished())
    });
    assert!(matches!(h.app.screen, Screen::Transfers));
    let all = h.app.backend.engine.list();
    assert_eq!(all.len(), 1, "{all:?}");
    assert!(std::fs::read(folder.join("one.iso")).unwrap() == iso);
    let seen = server.seen("/pub/one.iso");
    assert_eq!(
        seen.last().unwrap().header("cookie"),
        Some("session=from-the-browser")
    );
    assert!(server.seen("/pub/two.iso").is_empty());
    assert!(server.seen("/pub/readme.txt").is_empty());
}

/// A question nobody answered in time (the agent gave the browser its download
/// back): it leaves the window, the next one is asked, and when none is left
/// the list says what became of it.
#[test]
fn a_question_nobody_answered_in_time_leaves_the_window() {
    let mut h = Harness::new(Language::English);
    let server = h.runtime.block_on(TestServer::start());
    let first = Offer::for_test(handed_over(&server, "/late.iso"), None, false);
    let second = Offer::for_test(handed_over(&server, "/next.iso"), None, false);
    let (first, second) = (Arc::new(first.0), Arc::new(second.0));
    for offer in [&first, &second] {
        let _ = h.app.update(Message::Feedback(Feedback::Reply(Reply::Offer(
            Arc::clone(offer),
        ))));
    }
    let _ = h
        .app
        .update(Message::Feedback(Feedback::Reply(Reply::OfferWithdrawn(
            Arc::clone(&second),
        ))));
    assert!(
        matches!(&h.app.screen, Screen::Handoff(s) if Arc::ptr_eq(&s.offer, &first)),
        "a waiting one withdrawn: the shown one stays"
    );
    assert!(!h.shows("One more download from the browser waits for an answer."));
    let _ = h
        .app
        .update(Message::Feedback(Feedback::Reply(Reply::OfferWithdrawn(
            Arc::clone(&first),
        ))));
    assert!(matches!(h.app.screen, Screen::Transfers));
    assert!(h.shows("No answer in time: the browser downloads “late.iso” itself."));
    assert!(h.app.backend.engine.list().is_empty());
}

/// Links from a page that come while a download from the browser is asked
/// about wait for the answer: the question stays, then the links are listed.
#[test]
fn links_wait_for_the_question_on_screen() {
    let mut h = Harness::new(Language::English);
    let server = h.runtime.block_on(TestServer::start());
    let asked = offer(&mut h, handed_over(&server, "/asked.iso"), None, false);
    let links = vec![handed_over(&server, "/pub/a.iso")];
    let _ = h
        .app
        .update(Message::Feedback(Feedback::Reply(Reply::Links(links))));
    assert!(
        matches!(h.app.screen, Screen::Handoff(_)),
        "the question stays"
    );
    h.click("Let the browser download it");
    assert!(matches!(answer_of(&mut h, asked), Answer::Decline));
    assert!(matches!(h.app.screen, Screen::Links(_)));
    assert!(h.shows("One link from the page"));
}
