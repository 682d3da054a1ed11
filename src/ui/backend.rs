//! The app's link to the engine: commands run on the agent's tokio runtime and
//! report back as messages on a channel; engine events arrive the same way. The
//! app's `update` therefore never waits, and tests can pump the same channel.

use std::future::Future;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferry::engine::{Engine, Event};
use tokio::sync::mpsc;

/// Engine events are handed to the app at most this often, batched: the window
/// redraws a few times a second however many transfers report progress.
const BATCH_INTERVAL: Duration = Duration::from_millis(100);

/// What comes back from the engine side.
#[derive(Clone, Debug)]
pub enum Feedback<M> {
    /// Engine events (added, progress, status, removed, resync), in order.
    Engine(Vec<Event>),
    /// The answer to a command.
    Reply(M),
}

/// Runs engine commands and carries their answers back.
pub struct Backend<M> {
    pub engine: Engine,
    runtime: tokio::runtime::Handle,
    replies: mpsc::UnboundedSender<M>,
    /// Taken once by the subscription (or a test).
    receiver: Arc<Mutex<Option<mpsc::UnboundedReceiver<M>>>>,
}

impl<M> std::fmt::Debug for Backend<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backend").finish_non_exhaustive()
    }
}

impl<M: Send + 'static> Backend<M> {
    pub fn new(engine: Engine, runtime: tokio::runtime::Handle) -> Self {
        let (replies, receiver) = mpsc::unbounded_channel();
        Self {
            engine,
            runtime,
            replies,
            receiver: Arc::new(Mutex::new(Some(receiver))),
        }
    }

    /// Run `command` on the engine's runtime; its result comes back as a message.
    pub fn run(&self, command: impl Future<Output = M> + Send + 'static) {
        let replies = self.replies.clone();
        self.runtime.spawn(async move {
            let _ = replies.send(command.await);
        });
    }

    /// Run a task on the engine's runtime that reports through a [`Self::sender`].
    pub fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        self.runtime.spawn(task);
    }

    /// A sender for replies that come from elsewhere (the agent asking for the window).
    pub fn sender(&self) -> mpsc::UnboundedSender<M> {
        self.replies.clone()
    }

    /// The stream of everything coming back, for an iced subscription. It can be
    /// taken once; later calls get an empty stream.
    pub fn feed(&self) -> Feed<M> {
        Feed {
            engine: self.engine.clone(),
            receiver: Arc::clone(&self.receiver),
        }
    }
}

/// The data an iced subscription is built from (hashed by identity: one per app).
pub struct Feed<M> {
    engine: Engine,
    receiver: Arc<Mutex<Option<mpsc::UnboundedReceiver<M>>>>,
}

impl<M> Hash for Feed<M> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (Arc::as_ptr(&self.receiver) as usize).hash(state);
    }
}

impl<M: Send + 'static> Feed<M> {
    /// Engine events and command replies, merged.
    pub fn stream(&self) -> impl futures_util::Stream<Item = Feedback<M>> + Send + use<M> {
        let receiver = self
            .receiver
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        let start = (self.engine.subscribe(), tokio::time::Instant::now());
        let events = futures_util::stream::unfold(start, |(mut events, last)| async move {
            let mut batch = vec![events.recv().await?];
            let due = last + BATCH_INTERVAL;
            loop {
                tokio::select! {
                    event = events.recv() => match event {
                        Some(event) => batch.push(event),
                        None => break,
                    },
                    () = tokio::time::sleep_until(due) => break,
                }
            }
            Some((
                Feedback::Engine(batch),
                (events, tokio::time::Instant::now()),
            ))
        });
        let replies = futures_util::stream::unfold(receiver, |receiver| async move {
            let mut receiver = receiver?;
            let reply = receiver.recv().await?;
            Some((Feedback::Reply(reply), Some(receiver)))
        });
        futures_util::stream::select(events, replies)
    }
}
