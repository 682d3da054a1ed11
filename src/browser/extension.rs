//! The extension itself, built into the program: `ferry browser install` writes
//! it unpacked into the data directory, once per browser family (Chromium's
//! manifest, or Firefox's as `manifest.json`), so a user without this
//! repository can load it (Chromium: "Load unpacked"; Firefox: a temporary
//! add-on) and the extension always matches the host that answers it.

use std::path::{Path, PathBuf};

use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "assets/browser/"]
struct Files;

/// A browser family's copy of the extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    Chromium,
    Firefox,
}

impl Flavor {
    /// The manifest this family reads (as `manifest.json`).
    fn manifest(self) -> &'static str {
        match self {
            Self::Chromium => "manifest.json",
            Self::Firefox => "manifest.firefox.json",
        }
    }
}

/// Where `install` puts a family's copy.
pub fn folder(data_dir: &Path, flavor: Flavor) -> PathBuf {
    let name = match flavor {
        Flavor::Chromium => "chromium",
        Flavor::Firefox => "firefox",
    };
    data_dir.join("extension").join(name)
}

/// Write both copies (replacing older ones); their folders.
pub fn write(data_dir: &Path) -> std::io::Result<[PathBuf; 2]> {
    Ok([
        write_flavor(data_dir, Flavor::Chromium)?,
        write_flavor(data_dir, Flavor::Firefox)?,
    ])
}

fn write_flavor(data_dir: &Path, flavor: Flavor) -> std::io::Result<PathBuf> {
    let folder = folder(data_dir, flavor);
    match std::fs::remove_dir_all(&folder) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    for name in Files::iter() {
        let target = if name.starts_with("manifest") {
            if name != flavor.manifest() {
                continue;
            }
            folder.join("manifest.json")
        } else {
            folder.join(name.as_ref())
        };
        let Some(file) = Files::get(&name) else {
            continue;
        };
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&target, file.data)?;
    }
    Ok(folder)
}

/// Remove both copies.
pub fn remove(data_dir: &Path) -> std::io::Result<()> {
    match std::fs::remove_dir_all(data_dir.join("extension")) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_family_gets_its_own_manifest_and_every_other_file() {
        let dir = tempfile::tempdir().unwrap();
        let [chromium, firefox] = write(dir.path()).unwrap();
        let read = |folder: &Path| -> serde_json::Value {
            serde_json::from_slice(&std::fs::read(folder.join("manifest.json")).unwrap()).unwrap()
        };
        assert!(
            read(&chromium)["key"].is_string(),
            "Chromium's id comes from its key"
        );
        assert_eq!(
            read(&firefox)["browser_specific_settings"]["gecko"]["id"],
            crate::browser::FIREFOX_EXTENSION_ID
        );
        for folder in [&chromium, &firefox] {
            assert!(!folder.join("manifest.firefox.json").exists());
            for file in ["background.js", "page.js", "_locales/fr/messages.json"] {
                assert!(
                    folder.join(file).is_file(),
                    "{file} in {}",
                    folder.display()
                );
            }
        }
        remove(dir.path()).unwrap();
        assert!(!chromium.exists() && !firefox.exists());
    }
}
