//! Desktop notifications (notify-rust over the session bus): one when a transfer
//! finishes or fails, several finishing together grouped into one, "Open" and
//! "Show in folder" on a finished download where the server offers actions.
//! Without a notification server this logs once and carries on.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use notify_rust::Notification;

/// Finishes this close together make one notification.
const GROUPING: Duration = Duration::from_millis(1500);

/// One finished transfer, with its words already in the user's language.
#[derive(Clone, Debug)]
pub struct Finished {
    pub succeeded: bool,
    /// "Download finished", "Transfer failed"…
    pub title: String,
    /// The file name, and the reason for a failure.
    pub body: String,
    /// A downloaded file, for the Open / Show in folder actions.
    pub file: Option<PathBuf>,
}

/// Words the notifier needs besides each transfer's own.
#[derive(Clone, Debug)]
pub struct Words {
    /// "3 transfers finished" for a count.
    pub many_finished: fn(&crate::i18n::Tr, usize) -> String,
    /// "3 transfers failed" for a count.
    pub many_failed: fn(&crate::i18n::Tr, usize) -> String,
    pub open: String,
    pub show_in_folder: String,
}

#[derive(Clone)]
pub struct Notifier {
    runtime: tokio::runtime::Handle,
    pending: Arc<Mutex<Vec<Finished>>>,
    flushing: Arc<AtomicBool>,
    warned: Arc<AtomicBool>,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier").finish_non_exhaustive()
    }
}

impl Notifier {
    pub fn new(runtime: tokio::runtime::Handle) -> Self {
        Self {
            runtime,
            pending: Arc::new(Mutex::new(Vec::new())),
            flushing: Arc::new(AtomicBool::new(false)),
            warned: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Queue a finished transfer; it is shown with any others that finish
    /// within a moment of it.
    pub fn finished(&self, finished: Finished, tr: &crate::i18n::Tr, words: &Words) {
        self.pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(finished);
        if self.flushing.swap(true, Ordering::AcqRel) {
            return;
        }
        let this = self.clone();
        let tr = tr.clone();
        let words = words.clone();
        self.runtime.spawn(async move {
            tokio::time::sleep(GROUPING).await;
            this.flushing.store(false, Ordering::Release);
            let batch =
                std::mem::take(&mut *this.pending.lock().unwrap_or_else(|p| p.into_inner()));
            this.show_batch(batch, &tr, &words).await;
        });
    }

    /// A notification of its own (no grouping).
    pub fn plain(&self, summary: String, body: String) {
        let this = self.clone();
        self.runtime.spawn(async move {
            let mut notification = Notification::new();
            notification
                .appname("Ferry")
                .icon("ferry")
                .summary(&summary)
                .body(&body);
            this.send(notification, None).await;
        });
    }

    /// A notification with one action (a countdown's Cancel): `on_action` runs
    /// if the user picks it. It is taken down when `until` completes first (the
    /// countdown ended or was cancelled elsewhere), and expires after
    /// `shown_for`.
    pub fn with_action(
        &self,
        summary: String,
        body: String,
        action: (&'static str, String),
        shown_for: Duration,
        until: impl Future<Output = ()> + Send + 'static,
        on_action: impl FnOnce() + Send + 'static,
    ) {
        let this = self.clone();
        self.runtime.spawn(async move {
            let mut notification = Notification::new();
            notification
                .appname("Ferry")
                .icon("ferry")
                .summary(&summary)
                .body(&body)
                .action(action.0, &action.1)
                .timeout(notify_rust::Timeout::Milliseconds(
                    u32::try_from(shown_for.as_millis()).unwrap_or(u32::MAX),
                ));
            let handle = match notification.show_async().await {
                Ok(handle) => handle,
                Err(e) => return this.no_server(&e),
            };
            let picked = handle.wait_for_action_async(|response| {
                if matches!(response, notify_rust::NotificationResponse::Action(key) if key == action.0)
                {
                    on_action();
                }
            });
            tokio::select! {
                () = picked => {}
                () = until => handle.close_async().await,
            }
        });
    }

    fn no_server(&self, e: &notify_rust::error::Error) {
        if !self.warned.swap(true, Ordering::Relaxed) {
            tracing::warn!(error = %e, "no desktop notifications (no notification server?)");
        }
    }

    async fn show_batch(&self, batch: Vec<Finished>, tr: &crate::i18n::Tr, words: &Words) {
        let (done, failed): (Vec<Finished>, Vec<Finished>) =
            batch.into_iter().partition(|f| f.succeeded);
        for group in [done, failed] {
            match group.as_slice() {
                [] => {}
                [one] => {
                    let mut notification = Notification::new();
                    notification
                        .appname("Ferry")
                        .icon("ferry")
                        .summary(&one.title)
                        .body(&one.body);
                    let file = one.file.clone().filter(|_| one.succeeded);
                    if file.is_some() {
                        notification.action("open", &words.open);
                        notification.action("show-in-folder", &words.show_in_folder);
                    }
                    self.send(notification, file).await;
                }
                many => {
                    let summary = if many[0].succeeded {
                        (words.many_finished)(tr, many.len())
                    } else {
                        (words.many_failed)(tr, many.len())
                    };
                    let body = many
                        .iter()
                        .map(|f| f.body.as_str())
                        .collect::<Vec<_>>()
                        .join("\n");
                    let mut notification = Notification::new();
                    notification
                        .appname("Ferry")
                        .icon("ferry")
                        .summary(&summary)
                        .body(&body);
                    self.send(notification, None).await;
                }
            }
        }
    }

    /// Send; with a file, wait (on a thread) for the user's action on it.
    async fn send(&self, notification: Notification, file: Option<PathBuf>) {
        match notification.show_async().await {
            Ok(handle) => {
                if let Some(file) = file {
                    let runtime = self.runtime.clone();
                    std::thread::spawn(move || {
                        handle.wait_for_action(|action| {
                            let target = match action {
                                "open" | "default" => file.clone(),
                                "show-in-folder" => {
                                    file.parent().unwrap_or(&file).to_path_buf()
                                }
                                _ => return,
                            };
                            runtime.spawn(async move {
                                if let Err(reason) = super::open(&target).await {
                                    tracing::warn!(path = %target.display(), %reason, "cannot open");
                                }
                            });
                        });
                    });
                }
            }
            Err(e) => self.no_server(&e),
        }
    }
}
