//! `ferry browser install|uninstall|check`: the native-messaging manifests our
//! extension needs (see [`crate::browser::install`]).

use super::{BrowserCommand, Endpoint, Exit};

pub(super) fn run(command: &BrowserCommand, endpoint: &Endpoint) -> Exit {
    use crate::browser::install::{self, BROWSERS, Found, Homes};
    let Some(homes) = Homes::of_user() else {
        eprintln!("ferry: no home folder: browsers cannot be found");
        return Exit::Failed;
    };
    match command {
        BrowserCommand::Install { all } => {
            let ferry = match std::env::current_exe() {
                Ok(path) => path,
                Err(e) => {
                    eprintln!("ferry: cannot tell where this program is: {e}");
                    return Exit::Failed;
                }
            };
            match install::install(
                &homes,
                &ferry,
                &endpoint.data_dir,
                endpoint.config.as_deref(),
                *all,
            ) {
                Ok(done) if done.is_empty() => {
                    eprintln!("ferry: no browser found (run one once, or use --all)");
                    Exit::Failed
                }
                Ok(done) => {
                    for installed in done {
                        println!(
                            "{}: {}",
                            installed.browser.name,
                            installed.manifest.display()
                        );
                    }
                    use crate::browser::extension::{Flavor, folder};
                    println!(
                        "The extension, to load in Chromium-family browsers (chrome://extensions, Developer mode, Load unpacked): {}",
                        folder(&endpoint.data_dir, Flavor::Chromium).display()
                    );
                    println!(
                        "and in Firefox (about:debugging, This Firefox, Load Temporary Add-on): {}",
                        folder(&endpoint.data_dir, Flavor::Firefox)
                            .join("manifest.json")
                            .display()
                    );
                    Exit::Done
                }
                Err(e) => {
                    eprintln!("ferry: cannot install the browser host: {e}");
                    Exit::Failed
                }
            }
        }
        BrowserCommand::Uninstall => match install::uninstall(&homes, &endpoint.data_dir) {
            Ok(removed) => {
                for path in removed {
                    println!("removed {}", path.display());
                }
                Exit::Done
            }
            Err(e) => {
                eprintln!("ferry: cannot uninstall the browser host: {e}");
                Exit::Failed
            }
        },
        BrowserCommand::Check => {
            let mut ready = 0;
            for browser in BROWSERS {
                let found = install::check(&homes, browser);
                let said = match &found {
                    Found::Absent => continue,
                    Found::NotInstalled => "not connected (run `ferry browser install`)".to_owned(),
                    Found::Ready => {
                        ready += 1;
                        "ready".to_owned()
                    }
                    Found::Broken(why) => format!("broken: {why}"),
                };
                println!("{}: {said}", browser.name);
            }
            if ready > 0 { Exit::Done } else { Exit::Failed }
        }
    }
}
