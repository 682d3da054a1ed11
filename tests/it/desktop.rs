//! The desktop services on a private D-Bus session bus started by the test: a fake
//! notification server records `Notify` calls (and can press a notification's
//! button), a fake StatusNotifierWatcher records the tray item that registers, a
//! fake logind (the same bus, given as the system bus) records suspends. `ferry
//! agent` runs under Xvfb (its app with no window). Skipped, with the reason
//! printed, where dbus-daemon or Xvfb is missing (`.ci/run` installs both).

use crate::support;

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::bus::{Killed, found, private_bus};
use support::server::{Resource, TestServer};
use support::*;
use zbus::OwnedVariant;

/// Whether the X server at `display` has a window with this title.
fn x_window_named(display: &str, title: &str) -> bool {
    Command::new("xwininfo")
        .args(["-display", display, "-root", "-tree"])
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).contains(&format!("\"{title}\"")))
}

/// What the fake notification server was asked to show.
#[derive(Clone, Debug)]
struct Shown {
    summary: String,
    body: String,
    actions: Vec<String>,
}

/// The first notification shown that `wanted` picks, waiting up to 30 s for it.
async fn first_shown(shown: &Mutex<Vec<Shown>>, wanted: impl Fn(&Shown) -> bool) -> Shown {
    within(30, async {
        loop {
            if let Some(n) = shown.lock().unwrap().iter().find(|n| wanted(n)).cloned() {
                return n;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
}

struct Notifications {
    shown: Arc<Mutex<Vec<Shown>>>,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl Notifications {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        _app_name: String,
        _replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        actions: Vec<String>,
        _hints: HashMap<String, OwnedVariant>,
        _expire_timeout: i32,
    ) -> u32 {
        let mut shown = self.shown.lock().unwrap();
        shown.push(Shown {
            summary,
            body,
            actions,
        });
        shown.len() as u32
    }

    fn get_capabilities(&self) -> Vec<String> {
        vec!["body".into(), "actions".into()]
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        (
            "fake".into(),
            "ferry-tests".into(),
            "1".into(),
            "1.2".into(),
        )
    }

    fn close_notification(&self, _id: u32) {}

    /// The user pressed a button of notification `id`.
    #[zbus(signal)]
    async fn action_invoked(
        emitter: &zbus::object_server::SignalEmitter<'_>,
        id: u32,
        action_key: &str,
    ) -> zbus::Result<()>;
}

/// logind's suspend, counted.
struct Login {
    suspends: Arc<Mutex<u32>>,
}

#[zbus::interface(name = "org.freedesktop.login1.Manager")]
impl Login {
    fn suspend(&self, _interactive: bool) {
        *self.suspends.lock().unwrap() += 1;
    }
}

struct Watcher {
    items: Arc<Mutex<Vec<String>>>,
}

#[zbus::interface(name = "org.kde.StatusNotifierWatcher")]
impl Watcher {
    #[allow(clippy::needless_pass_by_value)] // the interface macro hands the header by value
    fn register_status_notifier_item(
        &self,
        service: String,
        #[zbus(header)] header: zbus::message::Header<'_>,
    ) {
        // An item may register with its bus name or with an object path.
        let sender = header.sender().map(|s| s.to_string()).unwrap_or_default();
        let entry = if service.starts_with('/') {
            format!("{sender}{service}")
        } else {
            service
        };
        self.items.lock().unwrap().push(entry);
    }

    fn register_status_notifier_host(&self, _service: String) {}

    #[zbus(property)]
    fn is_status_notifier_host_registered(&self) -> bool {
        true
    }

    #[zbus(property)]
    fn registered_status_notifier_items(&self) -> Vec<String> {
        self.items.lock().unwrap().clone()
    }

    #[zbus(property)]
    fn protocol_version(&self) -> i32 {
        0
    }
}

/// Every item of a dbusmenu layout with a `label`, depth first: (id, label).
fn labels(node: &zbus::Variant<'_>, out: &mut Vec<(i32, String)>) {
    let node = match node {
        zbus::Variant::Variant(inner) => inner.as_ref(),
        other => other,
    };
    let zbus::Variant::Structure(structure) = node else {
        return;
    };
    let fields = structure.fields();
    let id = match fields.first() {
        Some(zbus::Variant::I32(id)) => *id,
        _ => -1,
    };
    if let Some(zbus::Variant::Dict(props)) = fields.get(1) {
        for (key, value) in props.iter() {
            if matches!(key, zbus::Variant::Str(k) if k.as_str() == "label") {
                let value = match value {
                    zbus::Variant::Variant(inner) => inner.as_ref(),
                    other => other,
                };
                if let zbus::Variant::Str(label) = value {
                    out.push((id, label.as_str().to_owned()));
                }
            }
        }
    }
    if let Some(zbus::Variant::Array(children)) = fields.get(2) {
        for child in children.iter() {
            labels(child, out);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_and_the_tray_on_a_private_session_bus() {
    for program in ["dbus-daemon", "Xvfb"] {
        if !found(program) {
            println!("skipped: {program} is not installed (apt-get install dbus-daemon xvfb)");
            return;
        }
    }
    let Some((_bus, address)) = private_bus() else {
        println!("skipped: dbus-daemon would not start here");
        return;
    };
    let Some(xvfb) = x11::Xvfb::start(1024, 768) else {
        println!("skipped: Xvfb would not start here");
        return;
    };
    let shown = Arc::new(Mutex::new(Vec::new()));
    let items = Arc::new(Mutex::new(Vec::new()));
    let suspends = Arc::new(Mutex::new(0));
    let services = zbus::connection::Builder::address(address.as_str())
        .name("org.freedesktop.Notifications")
        .name("org.kde.StatusNotifierWatcher")
        .name("org.freedesktop.login1")
        .serve_at(
            "/org/freedesktop/login1",
            Login {
                suspends: Arc::clone(&suspends),
            },
        )
        .serve_at(
            "/org/freedesktop/Notifications",
            Notifications {
                shown: Arc::clone(&shown),
            },
        )
        .serve_at(
            "/StatusNotifierWatcher",
            Watcher {
                items: Arc::clone(&items),
            },
        )
        .build()
        .await
        .expect("the fake services are on the bus");

    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "download_dir = {:?}\nlanguage = \"en\"\n[completion]\nwhen_done_delay = 4.0\n",
            dir.path()
        ),
    )
    .unwrap();
    let ferry = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ferry"));
        command
            .args(args)
            .env("DISPLAY", &xvfb.display)
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("FERRY_HEADLESS")
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            // The fake logind is on the same bus: never the machine's own.
            .env("DBUS_SYSTEM_BUS_ADDRESS", &address)
            .env("FERRY_DATA_DIR", &data_dir)
            .env("FERRY_CONFIG", &config);
        command
    };
    let mut agent = Killed(
        ferry(&["agent"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("ferry agent starts"),
    );

    // The tray item registers, with the four menu entries.
    let item = within(30, async {
        loop {
            if let Some(item) = items.lock().unwrap().first().cloned() {
                return item;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    let (destination, path) = match item.find('/') {
        Some(i) => (item[..i].to_owned(), item[i..].to_owned()),
        None => (item.clone(), "/StatusNotifierItem".to_owned()),
    };
    let sni = zbus::Proxy::new(
        &services,
        destination.as_str(),
        path.as_str(),
        "org.kde.StatusNotifierItem",
    )
    .await
    .unwrap();
    let title: String = sni.get_property("Title").await.unwrap();
    assert_eq!(title, "Ferry");
    let menu_path: zbus::OwnedObjectPath = sni.get_property("Menu").await.unwrap();
    let menu = zbus::Proxy::new(
        &services,
        destination.as_str(),
        menu_path.as_str(),
        "com.canonical.dbusmenu",
    )
    .await
    .unwrap();
    type Layout = (i32, HashMap<String, OwnedVariant>, Vec<OwnedVariant>);
    let (_revision, (_id, _props, children)): (u32, Layout) = menu
        .call("GetLayout", &(0i32, -1i32, Vec::<String>::new()))
        .await
        .expect("the menu layout");
    let mut found_labels = Vec::new();
    for child in &children {
        labels(child, &mut found_labels);
    }
    for wanted in [
        "Show Ferry",
        "Pause all",
        "Resume all",
        "When done",
        "Do nothing",
        "Suspend",
        "Power off",
        "Quit",
    ] {
        assert!(
            found_labels.iter().any(|(_, l)| l == wanted),
            "{wanted:?} in {found_labels:?}"
        );
    }
    let quit_item = found_labels.iter().find(|(_, l)| l == "Quit").unwrap().0;

    // A left click on the icon (the item's Activate) opens the window.
    sni.call::<_, _, ()>("Activate", &(10i32, 10i32))
        .await
        .expect("the item takes the click");
    if found("xwininfo") {
        within(30, async {
            while !x_window_named(&xvfb.display, "Ferry") {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
        .await;
    } else {
        println!("not checked: xwininfo is not installed (apt-get install x11-utils)");
    }

    // A completed download is announced with its file name.
    let server = TestServer::start().await;
    server.put("/files/holiday.jpg", Resource::new(data(50_000, 61)));
    let out = ferry(&["get", &server.url("/files/holiday.jpg")])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let notification = first_shown(&shown, |n| n.body.contains("holiday.jpg")).await;
    assert_eq!(notification.summary, "Download finished");
    assert!(
        notification.actions.contains(&"open".to_owned()),
        "{:?}",
        notification.actions
    );

    // Several finishing together make one notification.
    let mut ids = Vec::new();
    for i in 0..3 {
        let path = format!("/files/batch-{i}.bin");
        server.put(&path, Resource::new(data(10_000, 62 + i)));
        let out = ferry(&["get", &server.url(&path), "--detach"])
            .output()
            .unwrap();
        ids.push(String::from_utf8_lossy(&out.stdout).trim().to_owned());
    }
    let mut wait = ferry(&["wait"]);
    wait.args(&ids);
    assert!(wait.output().unwrap().status.success());
    let grouped = first_shown(&shown, |n| n.summary.contains("transfers finished")).await;
    assert_eq!(grouped.summary, "3 transfers finished");
    for i in 0..3 {
        assert!(
            grouped.body.contains(&format!("batch-{i}.bin")),
            "{}",
            grouped.body
        );
    }
    assert_eq!(
        shown.lock().unwrap().len(),
        2,
        "one for the first, one for the three"
    );

    // A failure is announced with its reason, never with the URL's password.
    let with_password = server
        .url("/files/missing.bin")
        .replace("http://", "http://alice:Sekr1t-pw@");
    let out = ferry(&["get", &with_password]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let failed = first_shown(&shown, |n| n.body.contains("missing.bin")).await;
    assert_eq!(failed.summary, "Transfer failed");
    for n in shown.lock().unwrap().iter() {
        assert!(
            !n.body.contains("Sekr1t") && !n.summary.contains("Sekr1t"),
            "{n:?}"
        );
    }
    println!(
        "reliability: a password in the URL of a failing download | 1 | the failure notification names the file and reason, never the password"
    );

    // When done from the tray's menu: Suspend, once every transfer is done; the
    // countdown's notification has a Cancel, and pressing it keeps the
    // computer awake.
    let suspend_item = found_labels.iter().find(|(_, l)| l == "Suspend").unwrap().0;
    menu.call::<_, _, ()>(
        "Event",
        &(suspend_item, "clicked", zbus::Variant::from(0i32), 0u32),
    )
    .await
    .expect("the menu takes the click");
    let armed = within(30, async {
        loop {
            let out = ferry(&["when-done", "--json"]).output().unwrap();
            let state: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            if state["armed"] == "suspend" {
                return state;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(armed["pending"].is_null(), "{armed}");
    server.put("/files/last.bin", Resource::new(data(10_000, 70)));
    let out = ferry(&["get", &server.url("/files/last.bin")])
        .output()
        .unwrap();
    assert!(out.status.success());
    let countdown = first_shown(&shown, |n| {
        n.summary.starts_with("The computer suspends in")
    })
    .await;
    assert_eq!(countdown.body, "Every transfer is done.");
    assert!(
        countdown.actions.contains(&"cancel".to_owned()),
        "{:?}",
        countdown.actions
    );
    let id = shown
        .lock()
        .unwrap()
        .iter()
        .position(|n| n.summary == countdown.summary)
        .unwrap() as u32
        + 1;
    let emitter =
        zbus::object_server::SignalEmitter::new(&services, "/org/freedesktop/Notifications")
            .unwrap();
    Notifications::action_invoked(&emitter, id, "cancel")
        .await
        .unwrap();
    within(30, async {
        loop {
            let out = ferry(&["when-done", "--json"]).output().unwrap();
            let state: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            if state["pending"].is_null() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(
        *suspends.lock().unwrap(),
        0,
        "cancelled from the notification"
    );

    // Quit from the tray's menu: the agent checkpoints and exits.
    menu.call::<_, _, ()>(
        "Event",
        &(quit_item, "clicked", zbus::Variant::from(0i32), 0u32),
    )
    .await
    .expect("the menu takes the click");
    let lock = data_dir.join("agent.lock");
    within(30, async {
        while ferry::data_dir::is_running(&data_dir) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(
        lock.exists() && !data_dir.join("agent.sock").exists(),
        "the agent left cleanly"
    );
    let status = within(10, async {
        loop {
            if let Some(status) = agent.0.try_wait().unwrap() {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(status.success(), "the agent exited with {status}");
}
