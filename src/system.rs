//! The system services that say what the network and power are doing, read over
//! the system D-Bus (found through `DBUS_SYSTEM_BUS_ADDRESS`, else the standard
//! socket): NetworkManager for online and metered, ModemManager for roaming,
//! power-profiles-daemon for the power saver.
//!
//! Every service is optional: one that is missing is logged once and its part of
//! the conditions keeps the safe default (online, unmetered, not roaming, no power
//! saver). The engine sees only [`NetworkMonitor`]. [`login`] asks logind to
//! suspend or power off.

pub mod login;

use std::collections::HashSet;
use std::time::Duration;

use futures_util::StreamExt as _;
use tokio::sync::watch;

use crate::engine::{Conditions, FixedConditions, NetworkMonitor};

const NETWORK_MANAGER: &str = "org.freedesktop.NetworkManager";
const NETWORK_MANAGER_PATH: &str = "/org/freedesktop/NetworkManager";
const MODEM_MANAGER: &str = "org.freedesktop.ModemManager1";
const MODEM_MANAGER_PATH: &str = "/org/freedesktop/ModemManager1";
const MODEM_3GPP: &str = "org.freedesktop.ModemManager1.Modem.Modem3gpp";
/// power-profiles-daemon under its current name, then its historical one.
const POWER_PROFILES: [(&str, &str, &str); 2] = [
    (
        "org.freedesktop.UPower.PowerProfiles",
        "/org/freedesktop/UPower/PowerProfiles",
        "org.freedesktop.UPower.PowerProfiles",
    ),
    (
        "net.hadess.PowerProfiles",
        "/net/hadess/PowerProfiles",
        "net.hadess.PowerProfiles",
    ),
];

/// Read everything again at least this often, in case a signal was missed.
const REFRESH: Duration = Duration::from_secs(60);
/// Signals often come in bursts (several properties, several services): read once.
const SETTLE: Duration = Duration::from_millis(100);

/// The conditions as the system bus tells them, kept up to date in the background.
#[derive(Debug)]
pub struct SystemMonitor {
    conditions: watch::Sender<Conditions>,
    task: tokio::task::JoinHandle<()>,
}

impl NetworkMonitor for SystemMonitor {
    fn watch(&self) -> watch::Receiver<Conditions> {
        self.conditions.subscribe()
    }
}

impl Drop for SystemMonitor {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The system's monitor, or fixed defaults where there is no system bus.
pub async fn monitor() -> Box<dyn NetworkMonitor> {
    match zbus::Connection::system().await {
        Ok(connection) => Box::new(SystemMonitor::start(connection).await),
        Err(e) => {
            tracing::info!(error = %e, "no system bus: assuming online, unmetered, no power saver; a lost network is found from failed connections");
            Box::new(FixedConditions::new(Conditions::default()))
        }
    }
}

impl SystemMonitor {
    /// Read the conditions once, then follow the services' signals.
    pub async fn start(connection: zbus::Connection) -> Self {
        let mut reader = Reader::new(connection.clone());
        let first = reader.read().await;
        tracing::info!(conditions = ?first, "network and power conditions");
        let conditions = watch::Sender::new(first);
        let task = tokio::spawn(follow(connection, reader, conditions.clone()));
        Self { conditions, task }
    }
}

async fn follow(
    connection: zbus::Connection,
    mut reader: Reader,
    conditions: watch::Sender<Conditions>,
) {
    let rules = [
        // A property of any of the services changed.
        zbus::MatchRule::builder()
            .msg_type(zbus::message::Type::Signal)
            .interface("org.freedesktop.DBus.Properties")
            .member("PropertiesChanged")
            .build(),
        // A service appeared or went away.
        zbus::MatchRule::builder()
            .msg_type(zbus::message::Type::Signal)
            .interface("org.freedesktop.DBus")
            .member("NameOwnerChanged")
            .build(),
    ];
    let mut streams = Vec::new();
    for rule in rules {
        match rule {
            Ok(rule) => match zbus::MessageStream::for_match_rule(rule, &connection, None).await {
                Ok(stream) => streams.push(stream),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot follow system bus signals; reading every minute");
                }
            },
            Err(e) => tracing::warn!(error = %e, "bad match rule"),
        }
    }
    let mut signals = futures_util::stream::select_all(streams);
    loop {
        tokio::select! {
            signal = signals.next(), if !signals.is_empty() => {
                if signal.is_none() {
                    return;
                }
                // Let the burst settle, then read once.
                tokio::time::sleep(SETTLE).await;
                while let Ok(Some(_)) = tokio::time::timeout(Duration::ZERO, signals.next()).await {}
            }
            () = tokio::time::sleep(REFRESH) => {}
        }
        let current = reader.read().await;
        conditions.send_if_modified(|old| {
            let changed = *old != current;
            if changed {
                tracing::info!(conditions = ?current, "network and power conditions changed");
                *old = current;
            }
            changed
        });
    }
}

/// Reads the services' properties; remembers which ones were missing so each is
/// logged once.
struct Reader {
    connection: zbus::Connection,
    missing_logged: HashSet<&'static str>,
}

impl Reader {
    fn new(connection: zbus::Connection) -> Self {
        Self {
            connection,
            missing_logged: HashSet::new(),
        }
    }

    async fn read(&mut self) -> Conditions {
        let mut conditions = Conditions::default();
        match self.network_manager().await {
            Ok((online, metered)) => {
                conditions.online = online;
                conditions.metered = metered;
            }
            Err(e) => self.missing("NetworkManager", &e),
        }
        match self.roaming().await {
            Ok(roaming) => conditions.roaming = roaming,
            Err(e) => self.missing("ModemManager", &e),
        }
        match self.power_saver().await {
            Ok(on) => conditions.power_saver = on,
            Err(e) => self.missing("power-profiles-daemon", &e),
        }
        conditions
    }

    fn missing(&mut self, service: &'static str, error: &zbus::Error) {
        if self.missing_logged.insert(service) {
            tracing::info!(service, error = %error, "system service not available; using its defaults");
        }
    }

    async fn proxy(
        &self,
        destination: &'static str,
        path: &str,
        interface: &'static str,
    ) -> zbus::Result<zbus::Proxy<'static>> {
        zbus::proxy::Builder::new(&self.connection)
            .destination(destination)
            .path(path.to_owned())
            .interface(interface)
            .cache_properties(zbus::proxy::CacheProperties::No)
            .build()
            .await
    }

    /// (online, metered) from NetworkManager's global state and the metered flag of
    /// its primary connection.
    async fn network_manager(&self) -> zbus::Result<(bool, bool)> {
        let nm = self
            .proxy(NETWORK_MANAGER, NETWORK_MANAGER_PATH, NETWORK_MANAGER)
            .await?;
        let state: u32 = nm.get_property("State").await?;
        let connectivity: u32 = nm.get_property("Connectivity").await?;
        let metered: u32 = nm.get_property("Metered").await?;
        Ok((is_online(state, connectivity), is_metered(metered)))
    }

    /// Whether any modem is registered on a roaming network.
    async fn roaming(&self) -> zbus::Result<bool> {
        let manager = zbus::fdo::ObjectManagerProxy::builder(&self.connection)
            .destination(MODEM_MANAGER)
            .path(MODEM_MANAGER_PATH)
            .build()
            .await?;
        let objects = manager.get_managed_objects().await?;
        for (path, interfaces) in objects {
            if !interfaces.keys().any(|name| name.as_str() == MODEM_3GPP) {
                continue;
            }
            let modem = self.proxy(MODEM_MANAGER, path.as_str(), MODEM_3GPP).await?;
            let registration: u32 = modem.get_property("RegistrationState").await?;
            if is_roaming(registration) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    async fn power_saver(&self) -> zbus::Result<bool> {
        let mut last_error = None;
        for (name, path, interface) in POWER_PROFILES {
            let profile: zbus::Result<String> = match self.proxy(name, path, interface).await {
                Ok(proxy) => proxy.get_property("ActiveProfile").await,
                Err(e) => Err(e),
            };
            match profile {
                Ok(profile) => return Ok(profile == "power-saver"),
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or(zbus::Error::Unsupported))
    }
}

/// NetworkManager's `NMState` and `NMConnectivityState`: offline while asleep,
/// disconnected or (dis)connecting, or when connectivity is known to be none. A
/// network without internet access ("limited", a captive portal) still reaches
/// local servers, so it counts as online.
fn is_online(state: u32, connectivity: u32) -> bool {
    const ASLEEP_TO_CONNECTING: std::ops::RangeInclusive<u32> = 10..=40;
    const CONNECTIVITY_NONE: u32 = 1;
    !ASLEEP_TO_CONNECTING.contains(&state) && connectivity != CONNECTIVITY_NONE
}

/// `NMMetered`: yes (1) or guessed yes (3).
fn is_metered(metered: u32) -> bool {
    matches!(metered, 1 | 3)
}

/// `MMModem3gppRegistrationState`: roaming (5), roaming for SMS only (7), roaming
/// with CSFB not preferred (10).
fn is_roaming(registration: u32) -> bool {
    matches!(registration, 5 | 7 | 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_manager_states() {
        // CONNECTED_GLOBAL with full connectivity; CONNECTED_SITE with limited.
        assert!(is_online(70, 4));
        assert!(is_online(60, 3));
        // Unknown state, unknown connectivity: assume online.
        assert!(is_online(0, 0));
        // DISCONNECTED, ASLEEP, CONNECTING; or connectivity NONE.
        assert!(!is_online(20, 4));
        assert!(!is_online(10, 0));
        assert!(!is_online(40, 0));
        assert!(!is_online(70, 1));
        assert!(is_metered(1) && is_metered(3));
        assert!(!is_metered(0) && !is_metered(2) && !is_metered(4));
        assert!(is_roaming(5) && !is_roaming(1));
    }
}
