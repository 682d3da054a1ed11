//! The README's screenshots, of the real window under Xvfb, driven as a user
//! drives it (the pointer over it, keys pressed with xdotool): the list in the
//! light and the dark theme, the details pane of a segmented download, its
//! details screen, and Settings in French. Written to target/screenshots-x11
//! (copied to assets/screenshots by hand, once looked at). Each is checked: not
//! blank, the dark one dark and the light one light, and each screen reached by
//! a key different from the one before it. Skipped, with the reason printed,
//! where Xvfb, ImageMagick or xdotool is missing (`.ci/run` installs them).

use crate::support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::bus::found;
use support::program::Ferry;
use support::server::{Resource, TestServer};
use support::x11::{Xvfb, image_difference, image_figure};
use support::*;

/// The window fills the screen: a screenshot of the screen is one of it.
const WIDTH: u32 = 1100;
const HEIGHT: u32 = 700;
const MIB: usize = 1 << 20;

/// The window of `ferry` on `xvfb`, as the agent; ended with `ferry quit`.
async fn open_window(ferry: &Ferry, xvfb: &Xvfb) -> tokio::process::Child {
    let _ = std::fs::remove_file(ferry.data_dir().join("agent.sock"));
    let child = ferry
        .command(&[])
        .env("DISPLAY", &xvfb.display)
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("FERRY_HEADLESS")
        // No session bus: no tray, no notifications, no portal.
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("ferry starts");
    within(60, async {
        while !ferry.data_dir().join("agent.sock").exists() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    child
}

async fn quit(ferry: &Ferry, mut window: tokio::process::Child) {
    assert!(ferry.run(&["quit"]).await.status.success());
    let status = within(30, window.wait()).await.unwrap();
    assert!(status.success(), "the window ended with {status}");
}

/// Keys as the user presses them, to the window (given the keyboard first:
/// with no window manager, nobody else does), the pointer in a corner where it
/// brings up no tooltip.
fn keys(xvfb: &Xvfb, keys: &[&str]) {
    let xdotool = |args: &[&str]| {
        Command::new("xdotool")
            .args(args)
            .env("DISPLAY", &xvfb.display)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    let (x, y) = ((WIDTH - 1).to_string(), (HEIGHT - 1).to_string());
    let focus = [
        "mousemove",
        &x,
        &y,
        "search",
        "--sync",
        "--name",
        "^Ferry$",
        "windowfocus",
        "--sync",
    ];
    // The window may not be shown yet (focus on it is refused until it is).
    let deadline = Instant::now() + Duration::from_secs(30);
    while !xdotool(&focus) {
        assert!(Instant::now() < deadline, "xdotool {focus:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
    if !keys.is_empty() {
        let mut press = vec!["key", "--delay", "150"];
        press.extend_from_slice(keys);
        assert!(xdotool(&press), "xdotool {press:?}");
    }
}

/// Take screenshots into `out/name.png` until `good` holds for one (30 s at
/// most: the window draws the state it was brought to).
fn shoot(xvfb: &Xvfb, out: &Path, name: &str, good: impl Fn(&Path) -> bool) -> PathBuf {
    let shot = out.join(format!("{name}.png"));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if xvfb.screenshot(&shot) && good(&shot) {
            return shot;
        }
        assert!(Instant::now() < deadline, "{name}: never as expected");
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// `ferry list --json`'s operation named `name`.
async fn listed(ferry: &Ferry, name: &str) -> Value {
    let list = ferry.json(&["list", "--json"]).await;
    list.as_array()
        .unwrap()
        .iter()
        .find(|s| {
            s["url"]
                .as_str()
                .is_some_and(|u| u.ends_with(&format!("/{name}")))
        })
        .cloned()
        .unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_screenshots_of_the_real_window() {
    for program in ["Xvfb", "import", "convert", "xdotool"] {
        if !found(program) {
            println!(
                "skipped: {program} is not installed (apt-get install xvfb imagemagick xdotool)"
            );
            return;
        }
    }
    let Some(xvfb) = Xvfb::start(WIDTH, HEIGHT) else {
        println!("skipped: Xvfb would not start here");
        return;
    };
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots-x11");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    let ferry = Ferry::with_config("language = \"en\"\ntheme = \"light\"");
    std::fs::write(
        ferry.dir.path().join("window.toml"),
        format!("width = {WIDTH}\nheight = {HEIGHT}\nx = 0\ny = 0\n"),
    )
    .unwrap();
    let server = TestServer::start().await;
    server.put(
        "/iso/debian-13.2-amd64-netinst.iso",
        Resource::new(data(6 * MIB, 1)),
    );
    // A rate for the whole answer (more connections do not speed it up):
    // still running, in parts, when the screens are taken.
    server.put(
        "/video/conference-keynote.mkv",
        Resource::new(data(160 * MIB, 2)).shared_rate(3 << 20),
    );
    server.put(
        "/photos/holiday-2026.zip",
        Resource::new(data(32 * MIB, 3)).shared_rate(4 << 20),
    );

    let window = open_window(&ferry, &xvfb).await;
    let mut ids = Vec::new();
    for path in [
        "/iso/debian-13.2-amd64-netinst.iso",
        "/video/conference-keynote.mkv",
        "/photos/holiday-2026.zip",
        "/missing/report-q3.pdf",
    ] {
        let out = ferry.run(&["get", &server.url(path), "--detach"]).await;
        assert!(out.status.success(), "{}", program::text(&out.stderr));
        ids.push(program::text(&out.stdout).trim().to_owned());
    }
    within(60, async {
        loop {
            let photos = listed(&ferry, "holiday-2026.zip").await;
            if photos["bytes"].as_u64().unwrap_or(0) > 4 * MIB as u64 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    assert!(ferry.run(&["pause", &ids[2]]).await.status.success());
    within(60, async {
        loop {
            let iso = listed(&ferry, "debian-13.2-amd64-netinst.iso").await;
            let pdf = listed(&ferry, "report-q3.pdf").await;
            let keynote = listed(&ferry, "conference-keynote.mkv").await;
            let parts_on_disk = keynote["segments"]
                .as_array()
                .is_some_and(|parts| parts.iter().any(|p| p["done"].as_u64() > Some(0)));
            // Some seconds of speed for the graph.
            let fetched = keynote["bytes"].as_u64().unwrap_or(0) > 20 * MIB as u64;
            if iso["status"] == "Completed" && pdf["status"] == "Error" && parts_on_disk && fetched
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;

    keys(&xvfb, &[]);
    let light = shoot(&xvfb, &out, "transfers", |shot| {
        image_figure(shot, "standard_deviation") > 0.05
    });
    // The keynote (second row) picked from the keyboard, the pane opened.
    keys(&xvfb, &["Down", "Down", "ctrl+i"]);
    let pane = shoot(&xvfb, &out, "transfers-pane", |shot| {
        image_difference(shot, &light) > 0.01
    });
    // The pane closed again (it is remembered), the details screen.
    keys(&xvfb, &["ctrl+i", "Return"]);
    let details = shoot(&xvfb, &out, "details", |shot| {
        image_difference(shot, &pane) > 0.01 && image_difference(shot, &light) > 0.01
    });
    keys(&xvfb, &["Escape"]);
    quit(&ferry, window).await;

    ferry.configure("language = \"en\"\ntheme = \"dark\"");
    let window = open_window(&ferry, &xvfb).await;
    keys(&xvfb, &[]);
    let dark = shoot(&xvfb, &out, "transfers-dark", |shot| {
        image_figure(shot, "mean") < 0.3 && image_figure(shot, "standard_deviation") > 0.05
    });
    quit(&ferry, window).await;

    ferry.configure("language = \"fr\"\ntheme = \"light\"");
    let window = open_window(&ferry, &xvfb).await;
    keys(&xvfb, &[]);
    let list_fr = shoot(&xvfb, &out, "transfers-fr", |shot| {
        image_figure(shot, "standard_deviation") > 0.05
    });
    keys(&xvfb, &["ctrl+comma"]);
    let settings = shoot(&xvfb, &out, "settings-fr", |shot| {
        image_difference(shot, &list_fr) > 0.01
    });
    quit(&ferry, window).await;

    let light_mean = image_figure(&light, "mean");
    assert!(light_mean > 0.7, "the light theme is light: {light_mean}");
    for shot in [&light, &pane, &details, &dark, &settings] {
        let (width, height) = (
            image_figure(shot, "w") as u32,
            image_figure(shot, "h") as u32,
        );
        assert_eq!((width, height), (WIDTH, HEIGHT), "{}", shot.display());
    }
    println!("screenshots in {}", out.display());
}
