//! The desktop around the app: opening files with the user's programs, the window
//! icon, the start-at-login entry, the tray and notifications.

pub mod autostart;
pub mod notify;
pub mod tray;

use std::path::Path;

/// Open a file or folder with the desktop's default program, without waiting.
pub fn open(path: &Path) {
    let spawned = std::process::Command::new("xdg-open")
        .arg(path)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if let Err(e) = spawned {
        tracing::warn!(error = %e, path = %path.display(), "cannot open with the desktop's program");
    }
}

/// The window icon: the app icon at 64 px, as raw RGBA (made from
/// `assets/icons/ferry-64.png`, so no image decoder is built in).
pub fn app_icon() -> Option<iced::window::Icon> {
    iced::window::icon::from_rgba(
        include_bytes!("../assets/icons/ferry-64.rgba").to_vec(),
        64,
        64,
    )
    .ok()
}
