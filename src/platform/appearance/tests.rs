//! The desktop's light or dark preference read from a fake XDG desktop portal on
//! a private session bus: both versions of its Settings interface, its change
//! signal, and no portal at all.

#[path = "../../../tests/support/bus.rs"]
mod bus;

use std::time::Duration;

use super::{self as appearance, Scheme};
use bus::{found, private_bus};
use futures_util::StreamExt;
use zbus::object_server::SignalEmitter;
use zbus::{OwnedVariant, Variant};

const PATH: &str = "/org/freedesktop/portal/desktop";

/// The portal's Settings, version 2: `ReadOne` answers the value itself.
struct PortalV2 {
    scheme: u32,
}

#[zbus::interface(name = "org.freedesktop.portal.Settings")]
impl PortalV2 {
    fn read_one(&self, namespace: &str, key: &str) -> zbus::fdo::Result<OwnedVariant> {
        if (namespace, key) == ("org.freedesktop.appearance", "color-scheme") {
            Ok(OwnedVariant::from(self.scheme))
        } else {
            Err(zbus::fdo::Error::Failed(
                "Requested setting not found".into(),
            ))
        }
    }

    #[zbus(signal)]
    async fn setting_changed(
        emitter: &SignalEmitter<'_>,
        namespace: &str,
        key: &str,
        value: Variant<'_>,
    ) -> zbus::Result<()>;
}

/// Version 1: only `Read`, whose answer is the value wrapped in a second variant.
struct PortalV1;

#[zbus::interface(name = "org.freedesktop.portal.Settings")]
impl PortalV1 {
    fn read(&self, _namespace: &str, _key: &str) -> OwnedVariant {
        OwnedVariant::try_from(Variant::Variant(Box::new(Variant::U32(1)))).unwrap()
    }
}

async fn connect(address: &str) -> zbus::Connection {
    zbus::connection::Builder::address(address)
        .build()
        .await
        .unwrap()
}

fn bus() -> Option<(bus::Killed, String)> {
    if !found("dbus-daemon") {
        println!("skipped: dbus-daemon is not installed (apt-get install dbus-daemon)");
        return None;
    }
    private_bus()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_portal_says_dark_then_light_and_the_window_hears_it() {
    let Some((_bus, address)) = bus() else { return };
    let portal = zbus::connection::Builder::address(address.as_str())
        .name("org.freedesktop.portal.Desktop")
        .serve_at(PATH, PortalV2 { scheme: 1 })
        .build()
        .await
        .unwrap();
    let app = connect(&address).await;
    assert_eq!(appearance::read(&app).await, Scheme::Dark);

    let mut changes = appearance::changes(&app).await.unwrap();
    let emitter = SignalEmitter::new(&portal, PATH).unwrap();
    // Another setting of the same namespace is not a change of scheme.
    PortalV2::setting_changed(
        &emitter,
        "org.freedesktop.appearance",
        "accent-color",
        Variant::from((0.1f64, 0.2f64, 0.3f64)),
    )
    .await
    .unwrap();
    PortalV2::setting_changed(
        &emitter,
        "org.freedesktop.appearance",
        "color-scheme",
        Variant::from(2u32),
    )
    .await
    .unwrap();
    let next = tokio::time::timeout(Duration::from_secs(10), changes.next())
        .await
        .expect("the change arrives");
    assert_eq!(next, Some(Scheme::Light));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_portal_answers_through_read() {
    let Some((_bus, address)) = bus() else { return };
    let _portal = zbus::connection::Builder::address(address.as_str())
        .name("org.freedesktop.portal.Desktop")
        .serve_at(PATH, PortalV1)
        .build()
        .await
        .unwrap();
    let app = connect(&address).await;
    assert_eq!(appearance::read(&app).await, Scheme::Dark);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_portal_is_no_preference() {
    let Some((_bus, address)) = bus() else { return };
    let app = connect(&address).await;
    assert_eq!(appearance::read(&app).await, Scheme::NoPreference);
}

#[test]
fn the_number_is_found_inside_its_variants() {
    assert_eq!(Scheme::of(&Variant::U32(1)), Scheme::Dark);
    assert_eq!(Scheme::of(&Variant::U32(2)), Scheme::Light);
    assert_eq!(Scheme::of(&Variant::U32(0)), Scheme::NoPreference);
    let twice = Variant::Variant(Box::new(Variant::Variant(Box::new(Variant::U32(1)))));
    assert_eq!(Scheme::of(&twice), Scheme::Dark);
    assert_eq!(Scheme::of(&Variant::from("dark")), Scheme::NoPreference);
}
