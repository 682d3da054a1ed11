//! The desktop around the app: opening files with the user's programs, the window
//! icon, the start-at-login entry, the tray and notifications.

pub mod appearance;
pub mod autostart;
pub mod notify;
pub mod tray;

use std::path::Path;

/// Open a file or folder with the desktop's default program, without waiting.
/// Open `path` with the desktop's program for it (a folder: the file manager),
/// through `xdg-open`, and wait for it to say whether it could: the error is
/// the user's to see, and a waited-for child leaves no zombie behind.
pub async fn open(path: &Path) -> Result<(), String> {
    let status = tokio::process::Command::new("xdg-open")
        .arg(path)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .await
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => "xdg-open is not installed".to_owned(),
            _ => e.to_string(),
        })?;
    match status.code() {
        Some(0) => Ok(()),
        // xdg-open's own exit codes (xdg-utils).
        Some(2) => Err("the file is not there".to_owned()),
        Some(3) => Err("no program to open it with".to_owned()),
        _ => Err(format!("xdg-open failed ({status})")),
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
