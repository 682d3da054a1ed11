//! The browser's side door: our WebExtension hands downloads to Ferry through a
//! native-messaging host (`ferry native-host`, started by the browser), which
//! forwards them to the agent over its socket like any other client.
//!
//! - [`native`]: the wire format (a 32-bit native-endian length, then UTF-8 JSON).
//! - [`host`]: the host's loop: one message in, one answer out, for as long as the
//!   browser keeps the port open.
//! - [`install`]: the host manifests each browser looks for, and the small launcher
//!   they name.
//! - [`extension`]: the extension, built in, written unpacked for each browser family.

pub mod extension;
pub mod host;
pub mod install;
pub mod native;

/// The host's name, as the extension's `connectNative` and the manifests say it.
pub const HOST_NAME: &str = "org.ferry.host";

/// Our extension's id in Chromium-family browsers: fixed by the `key` in its
/// manifest (`assets/browser/manifest.json`).
pub const CHROMIUM_EXTENSION_ID: &str = "alnodoobdeobidkhondbbpgffdbjcmni";

/// Our extension's id in Firefox (`browser_specific_settings.gecko.id`).
pub const FIREFOX_EXTENSION_ID: &str = "browser@ferry.invalid";
