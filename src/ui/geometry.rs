//! The window's size and position, remembered across runs in `window.toml`
//! beside the config file: state, not a setting, so it is not in the config.
//! Written when the window closes and when Ferry quits; a missing or broken file
//! means the default size.

use std::path::{Path, PathBuf};

use iced::{Point, Size, window};
use serde::{Deserialize, Serialize};

/// The size a first window opens at, and the least it may be.
const DEFAULT: Size = Size::new(980.0, 680.0);
pub const MIN: Size = Size::new(640.0, 420.0);

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Geometry {
    pub width: f32,
    pub height: f32,
    /// Where the window was (not every system tells: Wayland does not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<f32>,
    /// The details pane below the list is open.
    #[serde(default)]
    pub details_pane: bool,
    /// The share of the height the pane takes when open.
    #[serde(default = "default_pane_share")]
    pub pane_share: f32,
    /// The user hid the sidebar of a wide window.
    #[serde(default)]
    pub sidebar_hidden: bool,
}

fn default_pane_share() -> f32 {
    super::transfers::pane::DEFAULT_SHARE
}

impl Default for Geometry {
    fn default() -> Self {
        Self {
            width: DEFAULT.width,
            height: DEFAULT.height,
            x: None,
            y: None,
            details_pane: false,
            pane_share: default_pane_share(),
            sidebar_hidden: false,
        }
    }
}

impl Geometry {
    /// The file beside the config file at `config`.
    pub fn path(config: &Path) -> PathBuf {
        config.with_file_name("window.toml")
    }

    /// What `path` remembers; the default if nothing usable.
    pub fn load(path: &Path) -> Self {
        std::fs::read_to_string(path)
            .ok()
            .and_then(|text| toml::from_str::<Self>(&text).ok())
            .filter(|g| g.width.is_finite() && g.height.is_finite())
            .unwrap_or_default()
    }

    /// Write it (atomically: a temporary file renamed over the old one).
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let text = toml::to_string(self).map_err(std::io::Error::other)?;
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let temporary = path.with_extension("toml.tmp");
        std::fs::write(&temporary, text)?;
        std::fs::rename(&temporary, path)
    }

    pub fn resized(&mut self, size: Size) {
        self.width = size.width;
        self.height = size.height;
    }

    pub fn moved(&mut self, at: Point) {
        self.x = Some(at.x);
        self.y = Some(at.y);
    }

    /// The settings a window opens with: this size (never below the least), at
    /// this place when known.
    pub fn settings(&self) -> window::Settings {
        window::Settings {
            size: Size::new(self.width.max(MIN.width), self.height.max(MIN.height)),
            min_size: Some(MIN),
            position: match (self.x, self.y) {
                (Some(x), Some(y)) => window::Position::Specific(Point::new(x, y)),
                _ => window::Position::default(),
            },
            ..window::Settings::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_across_runs_and_never_below_the_least() {
        let dir = tempfile::tempdir().unwrap();
        let path = Geometry::path(&dir.path().join("ferry/config.toml"));
        assert_eq!(Geometry::load(&path), Geometry::default(), "nothing yet");
        let mut geometry = Geometry::default();
        geometry.resized(Size::new(1400.0, 900.0));
        geometry.moved(Point::new(30.0, 40.0));
        geometry.save(&path).unwrap();
        let loaded = Geometry::load(&path);
        assert_eq!(loaded, geometry);
        let settings = loaded.settings();
        assert_eq!(settings.size, Size::new(1400.0, 900.0));
        assert!(
            matches!(settings.position, window::Position::Specific(p) if p == Point::new(30.0, 40.0)),
            "{:?}",
            settings.position
        );
        // Too small (a size from another screen) or a broken file.
        let mut tiny = Geometry::default();
        tiny.resized(Size::new(100.0, 50.0));
        assert_eq!(tiny.settings().size, MIN);
        std::fs::write(&path, "width = \"wide\"").unwrap();
        assert_eq!(Geometry::load(&path), Geometry::default());
    }
}
