//! Downloads from the browser, as the agent takes them: a file that a download
//! waiting for a new address was fetching continues that download; anything
//! else is put to the user in the window (who may change where it goes, or let
//! the browser keep it) and then created. Without a window it is created as
//! the browser sent it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::oneshot;

use super::Desktop;
use crate::engine::{self, Engine, Snapshot, Status};
use crate::ipc::{HandedFile, Handover, Response};

/// How long a question in the window may wait for the user. The browser holds
/// its paused copy meanwhile; after this it gets it back. Under Chromium's 5
/// minutes: an extension's service worker still waiting after those is stopped,
/// and nobody would resume or drop the browser's copy.
const ANSWER_WITHIN: Duration = Duration::from_secs(4 * 60);

/// A handed-over download, put to the user.
#[derive(Debug)]
pub struct Offer {
    pub request: engine::Request,
    pub file: Option<HandedFile>,
    /// The browser asked for the question even if the user adds without asking.
    pub ask: bool,
    answer: Mutex<Option<oneshot::Sender<Answer>>>,
}

/// The user's answer to an [`Offer`].
#[derive(Debug)]
pub enum Answer {
    /// Download it, as given (the user adds without asking: the agent creates it).
    Add(Box<engine::Request>),
    /// The window created it, as the user set it (folder, name, policy…).
    Added(Box<engine::Submitted>),
    /// Let the browser keep it.
    Decline,
}

impl Offer {
    fn new(
        request: engine::Request,
        file: Option<HandedFile>,
        ask: bool,
    ) -> (Self, oneshot::Receiver<Answer>) {
        let (sender, receiver) = oneshot::channel();
        let offer = Self {
            request,
            file,
            ask,
            answer: Mutex::new(Some(sender)),
        };
        (offer, receiver)
    }

    /// Answer it (the first answer counts; an offer dropped unanswered declines).
    pub fn answer(&self, answer: Answer) {
        let sender = self.answer.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(sender) = sender {
            let _ = sender.send(answer);
        }
    }

    /// Whether it was answered already (or the agent stopped waiting).
    pub fn is_settled(&self) -> bool {
        self.answer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .is_none_or(oneshot::Sender::is_closed)
    }

    /// An offer for tests of the window, and the receiving end of its answer.
    #[doc(hidden)]
    pub fn for_test(
        request: engine::Request,
        file: Option<HandedFile>,
        ask: bool,
    ) -> (Self, oneshot::Receiver<Answer>) {
        Self::new(request, file, ask)
    }
}

/// Take a download from the browser (see the module's comment).
pub(super) async fn take(
    engine: &Engine,
    desktop: Option<&Arc<dyn Desktop>>,
    request: engine::Request,
    file: Option<HandedFile>,
    ask: bool,
) -> Response {
    // Checked before anything is asked: a bad address is not put to the user.
    if let Err(e) = engine::check_url(&request.url) {
        return Response::from(&engine::EngineError::from(e));
    }
    if let Some(file) = &file
        && let Some(snapshot) = continue_waiting(engine, file, &request.url).await
    {
        return Response::HandedOver {
            handover: Handover::Continued {
                snapshot: Box::new(snapshot),
            },
        };
    }
    let request = match desktop {
        None => request,
        Some(desktop) => {
            let (offer, answer) = Offer::new(request, file, ask);
            let offer = Arc::new(offer);
            desktop.offer(Arc::clone(&offer));
            match tokio::time::timeout(ANSWER_WITHIN, answer).await {
                Ok(Ok(Answer::Add(request))) => *request,
                Ok(Ok(Answer::Added(submitted))) => return added(*submitted),
                Ok(Ok(Answer::Decline) | Err(_)) => {
                    return Response::HandedOver {
                        handover: Handover::Declined,
                    };
                }
                Err(_) => {
                    tracing::info!(url = %engine::redact_url(&offer.request.url), "no answer in time: the browser keeps the download");
                    desktop.withdraw(offer);
                    return Response::HandedOver {
                        handover: Handover::Declined,
                    };
                }
            }
        }
    };
    match engine.submit(request).await {
        Ok(submitted) => added(submitted),
        Err(e) => Response::from(&e),
    }
}

fn added(submitted: engine::Submitted) -> Response {
    Response::HandedOver {
        handover: Handover::Added {
            snapshot: Box::new(submitted.snapshot),
            attached: submitted.attached,
        },
    }
}

/// The same file downloaded again in the browser (its old link expired): the
/// download waiting for a new address under that name (and size, when the
/// browser knows it) continues from this one, if it serves the same file.
async fn continue_waiting(engine: &Engine, file: &HandedFile, url: &str) -> Option<Snapshot> {
    let size = file.size.filter(|s| *s > 0);
    let waiting = engine.list().into_iter().find(|s| {
        s.status == Status::NeedsNewAddress
            && s.display_name() == file.name
            && size.is_none_or(|size| s.total == Some(size))
    })?;
    match engine.refresh(waiting.id, url).await {
        Ok(snapshot) => Some(snapshot),
        Err(e) => {
            tracing::info!(id = %waiting.id, error = %e, "not the waiting download's file; a new download");
            None
        }
    }
}
