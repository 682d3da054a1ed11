//! Where browsers look for native-messaging hosts, and what we put there: a
//! manifest naming our host, allowed for our extension only, whose `path` is a
//! small launcher in the data directory (browsers run `path` with arguments of
//! their own, so it cannot be `ferry native-host` itself).

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use super::{CHROMIUM_EXTENSION_ID, FIREFOX_EXTENSION_ID, HOST_NAME};

/// A browser whose native-messaging folder we know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Browser {
    pub name: &'static str,
    /// Its profile folder, relative to the config home (Chromium family) or home
    /// (Firefox): present when the browser was run.
    profile: &'static str,
    family: Family,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Family {
    Chromium,
    Firefox,
}

pub const BROWSERS: &[Browser] = &[
    Browser {
        name: "Firefox",
        profile: ".mozilla",
        family: Family::Firefox,
    },
    Browser {
        name: "Chromium",
        profile: "chromium",
        family: Family::Chromium,
    },
    Browser {
        name: "Google Chrome",
        profile: "google-chrome",
        family: Family::Chromium,
    },
    Browser {
        name: "Google Chrome Beta",
        profile: "google-chrome-beta",
        family: Family::Chromium,
    },
    Browser {
        name: "Microsoft Edge",
        profile: "microsoft-edge",
        family: Family::Chromium,
    },
    Browser {
        name: "Brave",
        profile: "BraveSoftware/Brave-Browser",
        family: Family::Chromium,
    },
    Browser {
        name: "Vivaldi",
        profile: "vivaldi",
        family: Family::Chromium,
    },
    Browser {
        name: "Opera",
        profile: "opera",
        family: Family::Chromium,
    },
];

/// The folders a user's browsers live in.
#[derive(Clone, Debug)]
pub struct Homes {
    pub home: PathBuf,
    /// `$XDG_CONFIG_HOME`, else `~/.config`.
    pub config: PathBuf,
}

impl Homes {
    pub fn of_user() -> Option<Self> {
        let home = dirs::home_dir()?;
        let config = dirs::config_dir().unwrap_or_else(|| home.join(".config"));
        Some(Self { home, config })
    }
}

impl Browser {
    fn profile(&self, homes: &Homes) -> PathBuf {
        match self.family {
            Family::Firefox => homes.home.join(self.profile),
            Family::Chromium => homes.config.join(self.profile),
        }
    }

    /// Whether the browser has been run by this user (its profile folder exists).
    pub fn present(&self, homes: &Homes) -> bool {
        self.profile(homes).is_dir()
    }

    pub fn manifest_path(&self, homes: &Homes) -> PathBuf {
        let folder = match self.family {
            Family::Firefox => self.profile(homes).join("native-messaging-hosts"),
            Family::Chromium => self.profile(homes).join("NativeMessagingHosts"),
        };
        folder.join(format!("{HOST_NAME}.json"))
    }

    fn manifest(&self, launcher: &Path) -> serde_json::Value {
        let mut manifest = serde_json::json!({
            "name": HOST_NAME,
            "description": "Ferry: downloads handed over by the browser",
            "path": launcher,
            "type": "stdio",
        });
        match self.family {
            Family::Chromium => {
                manifest["allowed_origins"] =
                    serde_json::json!([format!("chrome-extension://{CHROMIUM_EXTENSION_ID}/")]);
            }
            Family::Firefox => {
                manifest["allowed_extensions"] = serde_json::json!([FIREFOX_EXTENSION_ID]);
            }
        }
        manifest
    }
}

/// The launcher browsers run: `ferry native-host` with this data directory (and
/// settings file, if one was named).
pub fn launcher_path(data_dir: &Path) -> PathBuf {
    data_dir.join("native-host")
}

fn launcher_script(ferry: &Path, data_dir: &Path, config: Option<&Path>) -> String {
    let quote = |path: &Path| format!("'{}'", path.display().to_string().replace('\'', r"'\''"));
    let config = config
        .map(|c| format!(" --config {}", quote(c)))
        .unwrap_or_default();
    format!(
        "#!/bin/sh\n# Written by `ferry browser install`: browsers start Ferry's native-messaging host with this.\nexec {} --data-dir {}{config} native-host \"$@\"\n",
        quote(ferry),
        quote(data_dir)
    )
}

/// What `install` did for one browser.
#[derive(Debug)]
pub struct Installed {
    pub browser: Browser,
    pub manifest: PathBuf,
}

/// Write the launcher, the extension (unpacked, see [`super::extension`]) and
/// the manifest of every browser present (every browser we know with `all`).
pub fn install(
    homes: &Homes,
    ferry: &Path,
    data_dir: &Path,
    config: Option<&Path>,
    all: bool,
) -> std::io::Result<Vec<Installed>> {
    crate::data_dir::ensure_data_dir(data_dir)?;
    let launcher = launcher_path(data_dir);
    std::fs::write(&launcher, launcher_script(ferry, data_dir, config))?;
    std::fs::set_permissions(&launcher, std::fs::Permissions::from_mode(0o700))?;
    super::extension::write(data_dir)?;
    let mut done = Vec::new();
    for browser in BROWSERS.iter().filter(|b| all || b.present(homes)) {
        let manifest = browser.manifest_path(homes);
        if let Some(folder) = manifest.parent() {
            std::fs::create_dir_all(folder)?;
        }
        let text = serde_json::to_string_pretty(&browser.manifest(&launcher))
            .map_err(std::io::Error::other)?;
        std::fs::write(&manifest, text + "\n")?;
        done.push(Installed {
            browser: *browser,
            manifest,
        });
    }
    Ok(done)
}

/// Remove our manifests (only files that name our host), the launcher and the
/// extension's copies; the manifests removed.
pub fn uninstall(homes: &Homes, data_dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    for browser in BROWSERS {
        let manifest = browser.manifest_path(homes);
        if names_our_host(&manifest) {
            std::fs::remove_file(&manifest)?;
            removed.push(manifest);
        }
    }
    match std::fs::remove_file(launcher_path(data_dir)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    super::extension::remove(data_dir)?;
    Ok(removed)
}

fn names_our_host(manifest: &Path) -> bool {
    std::fs::read(manifest)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .is_some_and(|m| m["name"] == HOST_NAME)
}

/// What `check` finds for one browser.
#[derive(Debug, PartialEq, Eq)]
pub enum Found {
    /// The browser has no profile here and no manifest of ours.
    Absent,
    /// The browser is here; our manifest is not.
    NotInstalled,
    /// Our manifest is there and usable.
    Ready,
    /// Our manifest is there but cannot work; why.
    Broken(String),
}

pub fn check(homes: &Homes, browser: &Browser) -> Found {
    let manifest = browser.manifest_path(homes);
    if !manifest.exists() {
        return if browser.present(homes) {
            Found::NotInstalled
        } else {
            Found::Absent
        };
    }
    let Some(value) = std::fs::read(&manifest)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
    else {
        return Found::Broken(format!("{} is not JSON", manifest.display()));
    };
    let expected = browser.manifest(Path::new(value["path"].as_str().unwrap_or("")));
    if value != expected {
        return Found::Broken(format!(
            "{} does not name Ferry's host for our extension",
            manifest.display()
        ));
    }
    let launcher = PathBuf::from(value["path"].as_str().unwrap_or(""));
    let runnable = std::fs::metadata(&launcher).is_ok_and(|m| m.permissions().mode() & 0o100 != 0);
    if !runnable {
        return Found::Broken(format!("the launcher {} is missing", launcher.display()));
    }
    match ferry_of_launcher(&launcher) {
        Some(ferry) if ferry.exists() => Found::Ready,
        Some(ferry) => Found::Broken(format!(
            "the launcher runs {}, which is not there any more (run `ferry browser install` again)",
            ferry.display()
        )),
        None => Found::Broken(format!("{} is not Ferry's launcher", launcher.display())),
    }
}

/// The program a launcher we wrote runs.
fn ferry_of_launcher(launcher: &Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(launcher).ok()?;
    let line = text.lines().find(|l| l.starts_with("exec '"))?;
    let rest = &line["exec '".len()..];
    let end = rest.find("' --data-dir")?;
    Some(PathBuf::from(rest[..end].replace(r"'\''", "'")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_launcher_quotes_paths_and_names_its_program() {
        let dir = tempfile::tempdir().unwrap();
        let launcher = dir.path().join("native-host");
        let ferry = Path::new("/opt/it's here/ferry");
        let script = launcher_script(ferry, Path::new("/data dir"), None);
        assert!(
            script.contains(r"exec '/opt/it'\''s here/ferry' --data-dir '/data dir' native-host")
        );
        std::fs::write(&launcher, script).unwrap();
        assert_eq!(ferry_of_launcher(&launcher).as_deref(), Some(ferry));
    }
}
