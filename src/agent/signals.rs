//! SIGTERM and SIGINT, heard from the agent's start on.

/// SIGTERM and SIGINT, listened for from the agent's first moment: a service
/// manager's stop or a Ctrl-C during start-up (a large database, recovery after a
/// crash) must stop it too, not wait for it.
#[derive(Debug)]
pub(super) struct StopSignals {
    terminate: Option<tokio::signal::unix::Signal>,
    interrupt: Option<tokio::signal::unix::Signal>,
}

impl StopSignals {
    pub(super) fn listen() -> Self {
        use tokio::signal::unix::{SignalKind, signal};
        let listen = |kind: SignalKind, name: &str| match signal(kind) {
            Ok(signal) => Some(signal),
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for {name}");
                None
            }
        };
        Self {
            terminate: listen(SignalKind::terminate(), "SIGTERM"),
            interrupt: listen(SignalKind::interrupt(), "SIGINT"),
        }
    }

    /// Resolves when either signal arrives.
    pub(super) async fn received(&mut self) {
        async fn one(signal: Option<&mut tokio::signal::unix::Signal>) {
            match signal {
                Some(signal) => {
                    signal.recv().await;
                }
                None => std::future::pending().await,
            }
        }
        tokio::select! {
            () = one(self.terminate.as_mut()) => {}
            () = one(self.interrupt.as_mut()) => {}
        }
    }
}
