//! Suspend and power off through logind (`org.freedesktop.login1` on the system
//! bus, found through `DBUS_SYSTEM_BUS_ADDRESS` else the standard socket). The
//! calls are interactive: polkit decides, and may ask the user.

use crate::engine::WhenDone;

const LOGIN: &str = "org.freedesktop.login1";
const LOGIN_PATH: &str = "/org/freedesktop/login1";
const MANAGER: &str = "org.freedesktop.login1.Manager";

/// Ask logind to suspend or power off the computer; `Err` says why it did not
/// (no system bus, no logind, refused by polkit…). Anything else is not the
/// computer's to do and succeeds at once.
pub async fn perform(what: WhenDone) -> Result<(), String> {
    let method = match what {
        WhenDone::Suspend => "Suspend",
        WhenDone::PowerOff => "PowerOff",
        WhenDone::Nothing | WhenDone::Quit => return Ok(()),
    };
    let connection = zbus::Connection::system()
        .await
        .map_err(|e| format!("no system bus: {e}"))?;
    let proxy = zbus::Proxy::new(&connection, LOGIN, LOGIN_PATH, MANAGER)
        .await
        .map_err(|e| format!("logind cannot be reached: {e}"))?;
    // `true`: interactive, so polkit may ask for a password rather than refuse.
    proxy
        .call_method(method, &(true,))
        .await
        .map(drop)
        .map_err(|e| format!("logind refused {method}: {e}"))
}
