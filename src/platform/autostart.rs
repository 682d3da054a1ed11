//! Start at login: an XDG autostart entry that runs `ferry agent` (tray, no window).

use std::path::PathBuf;

fn entry_path() -> Option<PathBuf> {
    Some(dirs::config_dir()?.join("autostart").join("ferry.desktop"))
}

/// Write or remove the entry.
pub fn set(enabled: bool) -> std::io::Result<()> {
    let path = entry_path().ok_or_else(|| std::io::Error::other("no config directory"))?;
    if !enabled {
        return match std::fs::remove_file(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            other => other,
        };
    }
    let exe = std::env::current_exe()?;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&path, entry(&exe.to_string_lossy()))
}

fn entry(exe: &str) -> String {
    // Exec arguments with spaces are quoted (Desktop Entry spec, "Exec key").
    let quoted = if exe.contains([' ', '"', '\\']) {
        format!("\"{}\"", exe.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        exe.to_owned()
    };
    format!(
        "[Desktop Entry]\nType=Application\nName=Ferry\nComment=Background downloads and uploads\nExec={quoted} agent\nIcon=ferry\nTerminal=false\nX-GNOME-Autostart-enabled=true\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_entry_runs_the_agent_and_quotes_odd_paths() {
        assert!(entry("/usr/bin/ferry").contains("\nExec=/usr/bin/ferry agent\n"));
        assert!(entry("/opt/my apps/ferry").contains("\nExec=\"/opt/my apps/ferry\" agent\n"));
    }
}
