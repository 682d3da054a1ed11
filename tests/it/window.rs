//! Smoke test of the real window under Xvfb: `ferry` opens a window that draws
//! something (a screenshot of the screen is not blank), a second `ferry` asks the
//! first for its window and exits 0 without starting another agent, and `ferry
//! quit` ends the app. Skipped, with the reason printed, where Xvfb or ImageMagick
//! is missing (`.ci/run` installs both).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::bus::found;
use crate::support::x11::{Xvfb, image_figure};

struct Ferry<'a> {
    data: &'a Path,
    config: &'a Path,
    display: &'a str,
}

impl Ferry<'_> {
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ferry"));
        command
            .args(args)
            .env("DISPLAY", self.display)
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("FERRY_HEADLESS")
            .env("FERRY_DATA_DIR", self.data)
            .env("FERRY_CONFIG", self.config)
            // No session bus: the app must live without tray and notifications.
            .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
            .env("LANG", "en_US.UTF-8");
        command
    }

    fn agent_pid(&self) -> Option<u32> {
        std::fs::read_to_string(self.data.join("agent.lock"))
            .ok()?
            .trim()
            .parse()
            .ok()
    }
}

/// Standard deviation of the screen's pixels (0 for a uniform, blank screen).
fn screen_variation(xvfb: &Xvfb, shot: &Path) -> f64 {
    if !xvfb.screenshot(shot) {
        return 0.0;
    }
    image_figure(shot, "standard_deviation")
}

#[test]
fn ferry_opens_a_window_and_a_second_ferry_shows_it() {
    for program in ["Xvfb", "import", "convert"] {
        if !found(program) {
            println!("skipped: {program} is not installed (apt-get install xvfb imagemagick)");
            return;
        }
    }
    let Some(xvfb) = Xvfb::start(1280, 800) else {
        println!("skipped: Xvfb would not start here");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, format!("download_dir = {:?}\n", dir.path())).unwrap();
    let ferry = Ferry {
        data: &data,
        config: &config,
        display: &xvfb.display,
    };
    let mut app = ferry
        .command(&[])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("ferry starts");

    let shot = dir.path().join("window.png");
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut variation = 0.0;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = app.try_wait() {
            panic!("ferry exited early: {status}");
        }
        variation = screen_variation(&xvfb, &shot);
        if variation > 0.01 && data.join("agent.sock").exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    println!(
        "screenshot {} (pixel standard deviation {variation:.3})",
        shot.display()
    );
    assert!(variation > 0.01, "the screen stayed blank");
    let first = ferry
        .agent_pid()
        .expect("the window's process is the agent");
    assert_eq!(first, app.id());

    let again = ferry.command(&[]).output().expect("second ferry runs");
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(ferry.agent_pid(), Some(first), "no second agent");
    assert!(
        app.try_wait().unwrap().is_none(),
        "the first is still running"
    );

    let quit = ferry.command(&["quit"]).output().expect("ferry quit runs");
    assert!(
        quit.status.success(),
        "{}",
        String::from_utf8_lossy(&quit.stderr)
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(Some(status)) = app.try_wait() {
            assert!(status.success(), "the app ended with {status}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the app did not end after ferry quit"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
