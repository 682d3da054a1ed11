//! When done (F25) against a fake logind (`org.freedesktop.login1`) on a private
//! bus that the agent takes for its system bus: once the queue is done the
//! computer is suspended exactly once after the countdown, not at all when the
//! user cancels in time, and a group's own when-done powers it off once the
//! group is done. Skipped, with the reason printed, without dbus-daemon.

use crate::support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use support::bus::{found, private_bus};
use support::program::{Ferry, text};
use support::server::{Resource, TestServer};
use support::*;

/// Seconds between the countdown's start and the suspend (the config's).
const DELAY: f64 = 3.0;

/// What logind was asked: (method, interactive).
type Calls = Arc<Mutex<Vec<(String, bool)>>>;

struct Login {
    calls: Calls,
}

#[zbus::interface(name = "org.freedesktop.login1.Manager")]
impl Login {
    fn suspend(&self, interactive: bool) {
        self.calls
            .lock()
            .unwrap()
            .push(("Suspend".into(), interactive));
    }

    fn power_off(&self, interactive: bool) {
        self.calls
            .lock()
            .unwrap()
            .push(("PowerOff".into(), interactive));
    }
}

async fn when_done(ferry: &Ferry) -> Value {
    ferry.json(&["when-done", "--json"]).await
}

/// Wait until a countdown runs.
async fn counting_down(ferry: &Ferry) -> Value {
    within(30, async {
        loop {
            let state = when_done(ferry).await;
            if !state["pending"].is_null() {
                return state;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
}

async fn calls_after(calls: &Calls, secs: f64) -> Vec<(String, bool)> {
    tokio::time::sleep(Duration::from_secs_f64(secs)).await;
    calls.lock().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_done_queue_suspends_once_unless_cancelled_and_a_group_powers_off() {
    if !found("dbus-daemon") {
        println!("skipped: dbus-daemon is not installed (apt-get install dbus-daemon)");
        return;
    }
    let Some((_bus, address)) = private_bus() else {
        println!("skipped: dbus-daemon would not start here");
        return;
    };
    let calls: Calls = Arc::default();
    let _login = zbus::connection::Builder::address(address.as_str())
        .name("org.freedesktop.login1")
        .serve_at(
            "/org/freedesktop/login1",
            Login {
                calls: Arc::clone(&calls),
            },
        )
        .build()
        .await
        .expect("the fake logind is on the bus");
    let server = TestServer::start().await;
    for name in ["a", "b", "c", "d"] {
        server.put(
            &format!("/{name}.bin"),
            Resource::new(data(200_000, u64::from(name.as_bytes()[0]))),
        );
    }

    let ferry = Ferry::with_config(&format!("[completion]\nwhen_done_delay = {DELAY}\n"));
    let _agent = ferry.agent_on_system_bus(&address).await;

    // Set with nothing to do: it waits for the next transfer.
    let out = ferry.run(&["when-done", "suspend"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("When every transfer is done: the computer suspends (once;"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        calls_after(&calls, 0.5).await.is_empty(),
        "nothing ran yet: nothing to be done with"
    );
    let out = ferry.run(&["get", &server.url("/a.bin")]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let state = counting_down(&ferry).await;
    assert_eq!(state["pending"]["what"], "suspend", "{state}");
    assert_eq!(state["pending"]["why"]["by"], "queue", "{state}");
    assert_eq!(
        state["armed"], "nothing",
        "once: back to nothing as it fires"
    );
    let listing = text(&ferry.run(&["when-done"]).await.stdout);
    assert!(
        listing.contains("the computer suspends (every transfer is done)"),
        "{listing}"
    );
    assert!(
        calls.lock().unwrap().is_empty(),
        "not before the countdown ends"
    );
    let seen = calls_after(&calls, DELAY + 1.5).await;
    assert_eq!(seen, [("Suspend".to_owned(), true)], "once, interactive");

    // The next download does not suspend again: it was once.
    let out = ferry.run(&["get", &server.url("/b.bin")]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(calls_after(&calls, DELAY + 1.0).await.len(), 1);

    // Set again and cancelled in time.
    ferry.run(&["when-done", "suspend"]).await;
    let out = ferry.run(&["get", &server.url("/c.bin")]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    counting_down(&ferry).await;
    let out = ferry.run(&["when-done", "nothing"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(when_done(&ferry).await["pending"].is_null());
    assert_eq!(
        calls_after(&calls, DELAY + 1.0).await.len(),
        1,
        "cancelled: no second suspend"
    );

    // A group's own: the computer powers off once the group is done.
    let out = ferry
        .run(&["group", "create", "night", "--when-done", "power-off"])
        .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = ferry
        .run(&["get", &server.url("/d.bin"), "--group", "night"])
        .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        calls_after(&calls, 0.5).await.len(),
        1,
        "the group is not enabled yet"
    );
    let out = ferry.run(&["group", "enable", "night"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let state = counting_down(&ferry).await;
    assert_eq!(state["pending"]["what"], "power_off", "{state}");
    assert_eq!(state["pending"]["why"]["name"], "night", "{state}");
    let seen = calls_after(&calls, DELAY + 1.5).await;
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(seen[1], ("PowerOff".to_owned(), true));
    let group = ferry.json(&["group", "show", "night", "--json"]).await;
    assert_eq!(group["group"]["when_done"], "power_off", "{group}");
}
