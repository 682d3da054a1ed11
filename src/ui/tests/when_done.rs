//! When done in the window: the footer's choice reaches the agent, the
//! countdown shows under the header once the queue is done, Cancel stops it,
//! and without Cancel Ferry quits (the quit the agent waits for).

use super::*;
use crate::ui::form::Choice;
use crate::ui::when_done::countdown;
use ferry::engine::WhenDone;
use ferry::engine::time::now_millis;

fn choose(h: &mut Harness, what: WhenDone) {
    let _ = h.app.update(Message::Transfers(
        super::super::transfers::Message::WhenDone(Choice {
            value: what,
            label: String::new(),
        }),
    ));
}

/// Download a small file to its end.
fn download_one(h: &mut Harness, server: &TestServer, path: &str) {
    server.put(path, Resource::new(vec![3u8; 50_000]));
    let request = ferry::engine::Request::download(server.url(path), None);
    h.create_until(request, Status::Completed);
}

/// Whether the quit was asked for within `secs`.
fn quits_within(h: &Harness, secs: f64) -> bool {
    let quit = Arc::clone(&h.quit);
    h.runtime
        .block_on(async {
            tokio::time::timeout(Duration::from_secs_f64(secs), quit.notified()).await
        })
        .is_ok()
}

#[test]
fn the_queue_done_counts_down_cancel_stops_it_and_otherwise_ferry_quits() {
    let mut h = Harness::new(Language::English);
    assert!(h.shows("When done"), "the footer offers it");
    assert_eq!(h.app.transfers().when_done, WhenDone::Nothing);
    choose(&mut h, WhenDone::Quit);
    assert_eq!(
        h.app.when_done.state().armed,
        WhenDone::Quit,
        "the agent has it"
    );
    h.pump_until("the footer to show it", |app| {
        app.transfers().when_done == WhenDone::Quit
    });

    let server = h.runtime.block_on(TestServer::start());
    download_one(&mut h, &server, "/one.bin");
    h.pump_until("the countdown", |app| app.when_done_state.pending.is_some());
    let tr = h.app.tr.clone();
    let pending = h.app.when_done_state.pending.clone().unwrap();
    let words = countdown(&tr, &pending, now_millis());
    let shown = h.shows(&words) || h.shows(&countdown(&tr, &pending, now_millis()));
    assert!(shown, "{words}");
    assert!(words.starts_with("Ferry quits in "), "{words}");
    assert_eq!(
        h.app.when_done_state.armed,
        WhenDone::Nothing,
        "once: it goes back to nothing as it fires"
    );
    h.click("Cancel");
    h.pump_until("the countdown to stop", |app| {
        app.when_done_state.pending.is_none()
    });
    assert!(!h.shows(&words));
    assert!(
        !quits_within(&h, WHEN_DONE_DELAY.as_secs_f64() + 1.0),
        "cancelled in time: Ferry stays"
    );

    // Set again, and let it run out.
    choose(&mut h, WhenDone::Quit);
    download_one(&mut h, &server, "/two.bin");
    assert!(
        quits_within(&h, WHEN_DONE_DELAY.as_secs_f64() + 10.0),
        "not cancelled: Ferry quits"
    );
}
