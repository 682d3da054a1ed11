//! The app's desktop presence: notifications, the tray icon and its menu, and
//! the window shown, hidden or brought forward.

use super::*;

impl App {
    /// A notification for a transfer that just completed or failed (not for a
    /// cancel: the user did that).
    pub(super) fn notify_finished(&self, s: &Snapshot) {
        use ferry::engine::{Kind, Status};
        if !self.config.notifications || s.status == Status::Canceled {
            return;
        }
        let tr = &self.tr;
        let succeeded = s.status == Status::Completed;
        let title = match (succeeded, s.kind) {
            (true, Kind::Download) => tr!(tr, "notification-download-finished"),
            (true, Kind::Upload) => tr!(tr, "notification-upload-finished"),
            (false, _) => tr!(tr, "notification-failed"),
        };
        let body = if succeeded {
            format::name(tr, s)
        } else {
            format!("{}: {}", format::name(tr, s), format::status(tr, s))
        };
        let finished = Finished {
            succeeded,
            title,
            body,
            file: s.destination.clone(),
        };
        let words = Words {
            many_finished: |tr, count| tr!(tr, "notification-many-finished", count = count),
            many_failed: |tr, count| tr!(tr, "notification-many-failed", count = count),
            open: tr!(tr, "notification-open"),
            show_in_folder: tr!(tr, "notification-show-in-folder"),
        };
        self.notifier.finished(finished, tr, &words);
    }

    /// The tray's icon and tooltip from the transfers' state (sent only when
    /// they change).
    pub(super) fn refresh_tray(&mut self) {
        use ferry::engine::Status;
        let Some(tray) = self.tray.as_mut() else {
            return;
        };
        let rows = self.transfers.rows();
        let running: Vec<&Snapshot> = rows
            .iter()
            .filter(|s| s.status == Status::Running)
            .collect();
        let state = if !running.is_empty() {
            tray::State::Active
        } else if rows.iter().any(|s| s.status.is_paused()) {
            tray::State::Paused
        } else if rows.iter().any(|s| s.status == Status::Error) {
            tray::State::Error
        } else {
            tray::State::Idle
        };
        let tooltip = if running.is_empty() {
            tr!(self.tr, "tray-tooltip-idle")
        } else {
            let done: u64 = running.iter().map(|s| s.bytes).sum();
            let total: u64 = running.iter().map(|s| s.total.unwrap_or(s.bytes)).sum();
            let percent: u64 = done.saturating_mul(100).checked_div(total).unwrap_or(0);
            tr!(
                self.tr,
                "tray-tooltip-active",
                active = running.len(),
                percent = percent
            )
        };
        tray.show(state, tooltip);
    }

    pub(super) fn window_closed(&mut self, id: window::Id) {
        if self.window != Some(id) {
            return;
        }
        self.window = None;
        self.save_geometry();
        if self.tray.is_none() && !self.told_no_tray {
            self.told_no_tray = true;
            self.notifier.plain(
                tr!(self.tr, "app-title"),
                tr!(self.tr, "notification-no-tray"),
            );
        }
    }

    /// Remember the window's size and place for the next run (best effort).
    pub(super) fn save_geometry(&mut self) {
        let path = geometry::Geometry::path(&self.config_path);
        match self.geometry.save(&path) {
            Ok(()) => self.geometry_saved = self.geometry,
            Err(e) => tracing::debug!(error = %e, "cannot remember the window's size"),
        }
    }

    /// The window's size, place or layout changed: saved a second later (a
    /// drag of its edge sends many sizes: one write a second at most).
    pub(super) fn geometry_changed(&mut self) -> Task<Message> {
        if self.geometry == self.geometry_saved || self.geometry_save_due {
            return Task::none();
        }
        self.geometry_save_due = true;
        // Lazy: the timer is made where the task runs, on the runtime.
        Task::perform(
            async { tokio::time::sleep(std::time::Duration::from_secs(1)).await },
            |()| Message::SaveGeometry,
        )
    }

    pub(super) fn tray_action(&mut self, action: tray::Action) -> Task<Message> {
        let engine = self.backend.engine.clone();
        match action {
            tray::Action::Show => return self.show_window(),
            tray::Action::PauseAll => self.backend.run(async move {
                match engine.pause_all().await {
                    Ok(_) => Reply::Done,
                    Err(e) => Reply::Failed(e.to_string()),
                }
            }),
            tray::Action::ResumeAll => self.backend.run(async move {
                match engine.resume_all().await {
                    Ok(_) => Reply::Done,
                    Err(e) => Reply::Failed(e.to_string()),
                }
            }),
            tray::Action::WhenDone(what) => {
                self.set_when_done(what);
                // A click toggled its own item: the checks follow the state.
                if let Some(tray) = &self.tray {
                    tray.when_done(self.when_done.state().armed);
                }
            }
            tray::Action::Quit => self.quit.notify_one(),
        }
        Task::none()
    }

    pub(super) fn show_window(&mut self) -> Task<Message> {
        if let Some(id) = self.window {
            return window::gain_focus(id);
        }
        let (id, open) = window::open(window::Settings {
            icon: platform::app_icon(),
            ..self.geometry.settings()
        });
        self.window = Some(id);
        open.discard()
    }
}

pub(super) fn tray_labels(tr: &Tr) -> tray::Labels {
    tray::Labels {
        show: tr!(tr, "tray-show"),
        pause_all: tr!(tr, "tray-pause-all"),
        resume_all: tr!(tr, "tray-resume-all"),
        when_done: tr!(tr, "when-done"),
        when_done_choices: ferry::engine::WhenDone::ALL.map(|w| when_done::label(tr, w)),
        quit: tr!(tr, "tray-quit"),
    }
}

/// The tray icon, its clicks sent to the app as replies; `None` (logged) if it
/// cannot be made.
pub(super) fn new_tray(tr: &Tr, backend: &Backend<Reply>) -> Option<Tray> {
    let replies = backend.sender();
    match Tray::new(&tray_labels(tr), move |action| {
        let _ = replies.send(Reply::Tray(action));
    }) {
        Ok(tray) => Some(tray),
        Err(e) => {
            tracing::warn!(error = %e, "no tray icon");
            None
        }
    }
}
