//! The tray icon (a StatusNotifierItem through tray-icon's ksni back end: no GTK):
//! an icon per state, the aggregate progress in the tooltip, and a menu with Show,
//! Pause all, Resume all, When done (nothing, quit, suspend, power off: one
//! checked) and Quit. Menu clicks, and a left click on the icon (Show), are
//! handed to a callback.
//!
//! With a session bus but no tray host, tray-icon builds an icon nobody shows, so
//! the host is looked for first ([`host_available`]).

use std::time::Duration;

use ferry::engine::WhenDone;
use tray_icon::menu::{
    CheckMenuItem, Menu, MenuEvent, MenuId, MenuItem, PredefinedMenuItem, Submenu,
};
use tray_icon::{Icon, MouseButton, TrayIcon, TrayIconBuilder, TrayIconEvent};

/// What the tray's menu asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Show,
    PauseAll,
    ResumeAll,
    /// What happens once every transfer is done.
    WhenDone(WhenDone),
    Quit,
}

/// The icon shown, from the transfers' state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Idle,
    Active,
    Paused,
    Error,
}

/// The menu's words, in the app's language.
#[derive(Clone, Debug)]
pub struct Labels {
    pub show: String,
    pub pause_all: String,
    pub resume_all: String,
    /// The submenu's title, then each choice in [`WhenDone::ALL`]'s order.
    pub when_done: String,
    pub when_done_choices: [String; 4],
    pub quit: String,
}

pub struct Tray {
    icon: TrayIcon,
    items: [MenuItem; 4],
    when_done: Submenu,
    when_done_items: [CheckMenuItem; 4],
    shown: Option<(State, String)>,
}

impl std::fmt::Debug for Tray {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tray").field("shown", &self.shown).finish()
    }
}

/// Whether a tray host (a StatusNotifierWatcher with a host) is on the session
/// bus; false without a bus, without a watcher, or after a second.
pub async fn host_available() -> bool {
    let check = async {
        let connection = zbus::Connection::session().await.ok()?;
        let proxy = zbus::Proxy::new(
            &connection,
            "org.kde.StatusNotifierWatcher",
            "/StatusNotifierWatcher",
            "org.kde.StatusNotifierWatcher",
        )
        .await
        .ok()?;
        proxy
            .get_property::<bool>("IsStatusNotifierHostRegistered")
            .await
            .ok()
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(1), check).await,
        Ok(Some(true))
    )
}

fn icon(state: State) -> Option<Icon> {
    let rgba: &[u8] = match state {
        State::Idle => include_bytes!("../../assets/icons/tray-idle-32.rgba"),
        State::Active => include_bytes!("../../assets/icons/tray-active-32.rgba"),
        State::Paused => include_bytes!("../../assets/icons/tray-paused-32.rgba"),
        State::Error => include_bytes!("../../assets/icons/tray-error-32.rgba"),
    };
    Icon::from_rgba(rgba.to_vec(), 32, 32).ok()
}

impl Tray {
    /// Put the icon in the tray; `on_action` gets every menu click (on another thread).
    pub fn new(
        labels: &Labels,
        on_action: impl Fn(Action) + Send + Sync + 'static,
    ) -> Result<Self, String> {
        let items = [
            MenuItem::new(&labels.show, true, None),
            MenuItem::new(&labels.pause_all, true, None),
            MenuItem::new(&labels.resume_all, true, None),
            MenuItem::new(&labels.quit, true, None),
        ];
        let when_done_items = labels
            .when_done_choices
            .clone()
            .map(|label| CheckMenuItem::new(label, true, false, None));
        when_done_items[0].set_checked(true);
        let when_done = Submenu::new(&labels.when_done, true);
        for item in &when_done_items {
            when_done.append(item).map_err(|e| e.to_string())?;
        }
        let menu = Menu::new();
        menu.append_items(&[
            &items[0],
            &PredefinedMenuItem::separator(),
            &items[1],
            &items[2],
            &when_done,
            &PredefinedMenuItem::separator(),
            &items[3],
        ])
        .map_err(|e| e.to_string())?;
        let mut ids: Vec<(MenuId, Action)> = vec![
            (items[0].id().clone(), Action::Show),
            (items[1].id().clone(), Action::PauseAll),
            (items[2].id().clone(), Action::ResumeAll),
            (items[3].id().clone(), Action::Quit),
        ];
        ids.extend(
            when_done_items
                .iter()
                .zip(WhenDone::ALL)
                .map(|(item, what)| (item.id().clone(), Action::WhenDone(what))),
        );
        let on_action = std::sync::Arc::new(on_action);
        let on_menu = std::sync::Arc::clone(&on_action);
        MenuEvent::set_event_handler(Some(move |event: MenuEvent| {
            if let Some((_, action)) = ids.iter().find(|(id, _)| *id == event.id) {
                on_menu(*action);
            }
        }));
        // A left click on the icon (the item's Activate) shows the window, as
        // every tray app does; the menu stays on the right button.
        TrayIconEvent::set_event_handler(Some(move |event: TrayIconEvent| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                ..
            } = event
            {
                on_action(Action::Show);
            }
        }));
        let mut builder = TrayIconBuilder::new()
            .with_id("ferry")
            .with_title("Ferry")
            .with_tooltip("Ferry")
            .with_menu(Box::new(menu));
        if let Some(icon) = icon(State::Idle) {
            builder = builder.with_icon(icon);
        }
        let icon = builder.build().map_err(|e| e.to_string())?;
        Ok(Self {
            icon,
            items,
            when_done,
            when_done_items,
            shown: None,
        })
    }

    /// Show this state and tooltip (only what changed is sent).
    pub fn show(&mut self, state: State, tooltip: String) {
        if self
            .shown
            .as_ref()
            .is_some_and(|(s, t)| *s == state && *t == tooltip)
        {
            return;
        }
        if self.shown.as_ref().is_none_or(|(s, _)| *s != state) {
            let _ = self.icon.set_icon(icon(state));
        }
        let _ = self.icon.set_tooltip(Some(&tooltip));
        self.shown = Some((state, tooltip));
    }

    /// Check what is set to happen once every transfer is done (a click
    /// toggles its own item: this puts the one check where it belongs).
    pub fn when_done(&self, armed: WhenDone) {
        for (item, what) in self.when_done_items.iter().zip(WhenDone::ALL) {
            item.set_checked(what == armed);
        }
    }

    /// New words for the menu (the language changed).
    pub fn relabel(&self, labels: &Labels) {
        for (item, text) in self.items.iter().zip([
            &labels.show,
            &labels.pause_all,
            &labels.resume_all,
            &labels.quit,
        ]) {
            item.set_text(text);
        }
        self.when_done.set_text(&labels.when_done);
        for (item, text) in self.when_done_items.iter().zip(&labels.when_done_choices) {
            item.set_text(text);
        }
    }
}
