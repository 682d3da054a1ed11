//! An X server of a test's own (Xvfb) and screenshots of it (ImageMagick).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::bus::Killed;

/// Xvfb on a free display, killed on drop.
pub struct Xvfb {
    _server: Killed,
    pub display: String,
}

impl Xvfb {
    /// A screen of `width`×`height`; `None` when Xvfb will not start.
    pub fn start(width: u32, height: u32) -> Option<Self> {
        let screen = format!("{width}x{height}x24");
        for n in 0..20u32 {
            let number = 140 + (std::process::id() % 400) + n * 211;
            if Path::new(&format!("/tmp/.X{number}-lock")).exists() {
                continue;
            }
            let display = format!(":{number}");
            let child = Command::new("Xvfb")
                .args([
                    display.as_str(),
                    "-screen",
                    "0",
                    &screen,
                    "-nolisten",
                    "tcp",
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .ok()?;
            let mut server = Killed(child);
            for _ in 0..200 {
                if Path::new(&format!("/tmp/.X11-unix/X{number}")).exists() {
                    return Some(Self {
                        _server: server,
                        display,
                    });
                }
                if let Ok(Some(_)) = server.0.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        None
    }

    /// The whole screen into `shot` (a PNG); false if it could not be taken.
    pub fn screenshot(&self, shot: &Path) -> bool {
        Command::new("import")
            .args(["-display", &self.display, "-window", "root"])
            .arg(shot)
            .status()
            .is_ok_and(|s| s.success())
    }
}

/// An ImageMagick `fx` figure of an image: `standard_deviation` (0 for a blank
/// one), `mean` (0 black, 1 white).
pub fn image_figure(shot: &Path, fx: &str) -> f64 {
    convert_figure(&[shot.as_os_str()], &[], fx)
}

/// How much two images of one size differ: the mean of their difference (0:
/// the same pixels).
pub fn image_difference(a: &Path, b: &Path) -> f64 {
    convert_figure(
        &[a.as_os_str(), b.as_os_str()],
        &["-compose", "difference", "-composite"],
        "mean",
    )
}

/// `convert IMAGES... STEPS... -format %[fx:FX] info:`, as a number.
fn convert_figure(images: &[&std::ffi::OsStr], steps: &[&str], fx: &str) -> f64 {
    let out = Command::new("convert")
        .args(images)
        .args(steps)
        .args(["-format", &format!("%[fx:{fx}]"), "info:"])
        .output()
        .expect("convert runs");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0.0)
}
