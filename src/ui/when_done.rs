//! When done in the window (F25): the footer's choice of what happens once every
//! transfer is done, the countdown under the header on every screen with its
//! Cancel, the countdown's notification (with a Cancel of its own), a failure's
//! notification and the tray's checks. The agent's [`WhenDoneHandle`] holds the
//! state; the window follows its changes.

use std::time::Duration;

use iced::widget::{button, container, row, text};
use iced::{Alignment, Element, Fill};
use lucide_icons::Icon;

use ferry::agent::WhenDoneHandle;
use ferry::agent::when_done::{Pending, State, Why};
use ferry::engine::WhenDone;
use ferry::engine::time::now_millis;

use super::form::Choice;
use super::{App, Message, Reply, theme};
use crate::i18n::{Tr, tr};

/// The choices, in the order the footer and the tray list them.
pub fn choices(tr: &Tr) -> Vec<Choice<WhenDone>> {
    WhenDone::ALL
        .into_iter()
        .map(|value| Choice {
            value,
            label: label(tr, value),
        })
        .collect()
}

pub fn label(tr: &Tr, what: WhenDone) -> String {
    match what {
        WhenDone::Nothing => tr!(tr, "when-done-nothing"),
        WhenDone::Quit => tr!(tr, "when-done-quit"),
        WhenDone::Suspend => tr!(tr, "when-done-suspend"),
        WhenDone::PowerOff => tr!(tr, "when-done-power-off"),
    }
}

fn seconds_left(pending: &Pending, now: u64) -> u64 {
    pending.at.saturating_sub(now).div_ceil(1000)
}

/// "The computer suspends in 42 s: every transfer is done."
pub fn countdown(tr: &Tr, pending: &Pending, now: u64) -> String {
    let what = pending.what.as_str();
    let seconds = seconds_left(pending, now);
    match &pending.why {
        Why::Queue => tr!(
            tr,
            "when-done-countdown-queue",
            what = what,
            seconds = seconds
        ),
        Why::Group { name } => tr!(
            tr,
            "when-done-countdown-group",
            what = what,
            seconds = seconds,
            group = name.as_str()
        ),
    }
}

/// The countdown as a band with its Cancel.
fn band<'a>(tr: &Tr, pending: &Pending) -> Element<'a, Message> {
    let words = countdown(tr, pending, now_millis());
    let line = row![
        theme::icon(Icon::Timer).size(theme::size::BODY),
        text(words).size(theme::size::BODY).width(Fill),
        button(text(tr!(tr, "action-cancel")).size(13))
            .style(theme::primary)
            .on_press(Message::CancelWhenDone),
    ]
    .spacing(theme::space::S)
    .align_y(Alignment::Center);
    container(line)
        .padding([theme::space::XS, theme::space::M])
        .width(Fill)
        .style(theme::panel)
        .into()
}

impl App {
    /// The countdown's band, when one runs.
    pub(super) fn when_done_band(&self) -> Option<Element<'_, Message>> {
        let pending = self.when_done_state.pending.as_ref()?;
        Some(band(&self.tr, pending))
    }

    /// Set what happens once every transfer is done. The footer shows it at
    /// once (the agent's word that it has it follows), so that a second step
    /// from the keyboard starts from it.
    pub(super) fn set_when_done(&mut self, what: WhenDone) {
        self.when_done.set(what);
        self.transfers.when_done = what;
    }

    /// The agent's when-done changed: the footer and tray follow, a new
    /// countdown is notified (its Cancel cancels it), a failure is told.
    pub(super) fn when_done_changed(&mut self, state: State) {
        let before = std::mem::replace(&mut self.when_done_state, state);
        let now = &self.when_done_state;
        self.transfers.when_done = now.armed;
        if let Some(tray) = &self.tray {
            tray.when_done(now.armed);
        }
        if let Some(pending) = &now.pending
            && before.pending.as_ref().map(|p| p.at) != Some(pending.at)
        {
            self.notify_countdown(pending);
        }
        if let Some((what, why)) = &now.failed
            && before.failed != now.failed
        {
            self.notifier.plain(
                tr!(self.tr, "when-done-failed", what = what.as_str()),
                why.clone(),
            );
        }
    }

    fn notify_countdown(&self, pending: &Pending) {
        let tr = &self.tr;
        let summary = tr!(
            tr,
            "when-done-notification",
            what = pending.what.as_str(),
            seconds = seconds_left(pending, now_millis())
        );
        let body = match &pending.why {
            Why::Queue => tr!(tr, "when-done-notification-queue"),
            Why::Group { name } => {
                tr!(tr, "when-done-notification-group", group = name.as_str())
            }
        };
        let shown_for = Duration::from_millis(pending.at.saturating_sub(now_millis()));
        // Taken down once this countdown is over, however it ended.
        let mut changes = self.when_done.watch();
        let at = pending.at;
        let over = async move {
            let _ = changes
                .wait_for(|s| s.pending.as_ref().map(|p| p.at) != Some(at))
                .await;
        };
        let handle = self.when_done.clone();
        self.notifier.with_action(
            summary,
            body,
            ("cancel", tr!(tr, "action-cancel")),
            shown_for,
            over,
            move || {
                handle.cancel();
            },
        );
    }
}

/// Send every change of the agent's when-done to the app as a reply.
pub fn forward(handle: &WhenDoneHandle, backend: &super::backend::Backend<Reply>) {
    let mut changes = handle.watch();
    let replies = backend.sender();
    backend.spawn(async move {
        while changes.changed().await.is_ok() {
            let state = changes.borrow_and_update().clone();
            if replies.send(Reply::WhenDone(state)).is_err() {
                return;
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry::config::Language;

    #[test]
    fn the_countdown_in_words() {
        let pending = Pending {
            what: WhenDone::Suspend,
            why: Why::Queue,
            at: 60_000,
        };
        let en = Tr::new(Language::English);
        assert_eq!(
            countdown(&en, &pending, 1),
            "The computer suspends in 60 s: every transfer is done."
        );
        let group = Pending {
            what: WhenDone::PowerOff,
            why: Why::Group {
                name: "nuit".into(),
            },
            at: 60_000,
        };
        let fr = Tr::new(Language::French);
        assert_eq!(
            countdown(&fr, &group, 58_000),
            "L’ordinateur s’éteint dans 2 s : le groupe « nuit » est fini."
        );
        assert_eq!(
            choices(&fr)
                .iter()
                .map(|c| c.label.as_str())
                .collect::<Vec<_>>(),
            [
                "Ne rien faire",
                "Quitter Ferry",
                "Mettre en veille",
                "Éteindre"
            ]
        );
    }
}
