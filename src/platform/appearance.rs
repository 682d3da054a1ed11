//! Whether the desktop wants light or dark windows, as the XDG desktop portal
//! says it (`org.freedesktop.appearance` `color-scheme`, answered by GNOME, KDE
//! and the other portal back-ends), and each time the user changes it. With no
//! portal (a bare X server, an old desktop) there is no preference, which the
//! window reads as light.
//!
//! Why not iced's own detection: on Linux it needs `mundy`, a second D-Bus stack
//! beside the zbus we already have, and it cannot be tested on a private bus.

use futures_util::stream::{self, BoxStream, StreamExt};
use zbus::{OwnedVariant, Variant};

const PORTAL: &str = "org.freedesktop.portal.Desktop";
const PATH: &str = "/org/freedesktop/portal/desktop";
const SETTINGS: &str = "org.freedesktop.portal.Settings";
const NAMESPACE: &str = "org.freedesktop.appearance";
const KEY: &str = "color-scheme";

/// The desktop's preference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Scheme {
    #[default]
    NoPreference,
    Dark,
    Light,
}

impl Scheme {
    /// The portal's number (0 none, 1 dark, 2 light), found inside however many
    /// variants wrap it: `Read` wraps it twice, `ReadOne` and the signal once.
    fn of(value: &Variant<'_>) -> Self {
        match value {
            Variant::Variant(inner) => Self::of(inner),
            Variant::U32(1) => Self::Dark,
            Variant::U32(2) => Self::Light,
            _ => Self::NoPreference,
        }
    }
}

/// The preference now; no preference if the portal does not answer.
pub async fn read(connection: &zbus::Connection) -> Scheme {
    // `ReadOne` is the portal's version 2; `Read` is all older ones have.
    for method in ["ReadOne", "Read"] {
        let reply = connection
            .call_method(
                Some(PORTAL),
                PATH,
                Some(SETTINGS),
                method,
                &(NAMESPACE, KEY),
            )
            .await;
        match reply {
            Ok(reply) => match reply.body().deserialize::<OwnedVariant>() {
                Ok(value) => return Scheme::of(&value),
                Err(e) => tracing::debug!(error = %e, method, "the portal's color scheme"),
            },
            Err(e) => tracing::debug!(error = %e, method, "no color scheme from the portal"),
        }
    }
    Scheme::NoPreference
}

/// Each change of the preference, as the portal signals it.
pub async fn changes(connection: &zbus::Connection) -> zbus::Result<BoxStream<'static, Scheme>> {
    let rule = zbus::MatchRule::builder()
        .msg_type(zbus::message::Type::Signal)
        .path(PATH)
        .interface(SETTINGS)
        .member("SettingChanged")
        .build()?;
    let signals = zbus::MessageStream::for_match_rule(rule, connection, None).await?;
    Ok(signals
        .filter_map(|message| async move {
            let message = message.ok()?;
            let (namespace, key, value): (String, String, OwnedVariant) =
                message.body().deserialize().ok()?;
            (namespace == NAMESPACE && key == KEY).then(|| Scheme::of(&value))
        })
        .boxed())
}

/// The preference on the session bus now, then each change. Without a session
/// bus: no preference, once.
pub fn follow() -> BoxStream<'static, Scheme> {
    stream::once(async {
        let Ok(connection) = zbus::Connection::session().await else {
            return stream::iter([Scheme::NoPreference]).boxed();
        };
        // Listen before reading, so that a change in between is not lost.
        let changes = changes(&connection)
            .await
            .unwrap_or_else(|_| stream::empty().boxed());
        // (The signal stream keeps the connection open.)
        let now = read(&connection).await;
        stream::iter([now]).chain(changes).boxed()
    })
    .flatten()
    .boxed()
}

#[cfg(test)]
mod tests;
