//! What a running transfer may ask of the engine: its settings, its live counters,
//! whether it was told to stop, and to record checkpoints and its destination.
//! Transfer code (http.rs, later ftp.rs) sees only this, never the engine's state.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::watch;

use super::error::{ErrorStatus, TransferError};
use super::operation::{self, OperationId, Segment, ServerResponse, Snapshot, Target, Validators};
use super::progress::Live;
use super::time;
use super::{Inner, Options};

/// Why a running transfer is asked to stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Stop {
    None,
    /// Checkpoint and stop; the operation becomes `PausedByApplication`.
    Pause,
    /// Stop at once; the `.part` is deleted.
    Cancel,
    /// Stop at once; progress is reset and the operation queued again.
    Restart,
    /// Checkpoint and stop; the agent is quitting and the next start resumes it.
    Shutdown,
    /// Checkpoint and stop; the network or power conditions forbid running now, and
    /// the operation waits in this paused status until they allow it again.
    Wait(operation::Status),
}

impl Stop {
    /// Whether the transfer must record its progress before it stops.
    pub(super) fn keeps_progress(self) -> bool {
        matches!(self, Self::Pause | Self::Shutdown | Self::Wait(_))
    }
}

/// How a run ended, as the transfer reports it.
#[derive(Debug)]
pub(super) enum RunEnd {
    /// Every byte is in the `.part` file, synced.
    Completed {
        bytes: u64,
    },
    /// It honoured a stop request (after checkpointing when the request asks for it).
    Stopped,
    Failed(TransferError),
}

/// Progress that is safe to record: the bytes below `bytes` are synced to disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Checkpoint {
    pub bytes: u64,
    pub total: Option<u64>,
    pub validators: Validators,
}

/// Why a run ends early: a stop asked for, or a failure.
#[derive(Debug)]
pub(super) enum Interrupt {
    Stop(Stop),
    Fail(TransferError),
}

impl From<TransferError> for Interrupt {
    fn from(error: TransferError) -> Self {
        Self::Fail(error)
    }
}

/// The engine, as one running transfer sees it.
#[derive(Debug)]
pub(super) struct RunContext {
    pub(super) inner: Arc<Inner>,
    pub(super) id: OperationId,
    pub(super) live: Arc<Live>,
    pub(super) stop: watch::Receiver<Stop>,
    /// The bandwidth limits its bytes go through.
    pub(super) pace: super::pace::Pace,
}

impl RunContext {
    pub(super) fn id(&self) -> OperationId {
        self.id
    }

    pub(super) fn options(&self) -> &Options {
        &self.inner.options
    }

    /// The bandwidth limits (own and global), for a loop or a body stream.
    pub(super) fn pace(&self) -> super::pace::Pace {
        self.pace.clone()
    }

    pub(super) fn live(&self) -> &Live {
        &self.live
    }

    /// The live counters, for a request body that counts what it sends.
    pub(super) fn live_handle(&self) -> Arc<Live> {
        Arc::clone(&self.live)
    }

    /// Keep the server's answer with the operation (persisted now, shown by `show`).
    pub(super) async fn record_response(
        &self,
        response: ServerResponse,
    ) -> Result<(), TransferError> {
        self.inner
            .update_record(self.id, |s| s.response = Some(response))
            .await
    }

    /// tus: remember (or forget) the upload's own URL, before sending any byte to it.
    pub(super) async fn record_tus_url(&self, url: Option<String>) -> Result<(), TransferError> {
        self.inner
            .update_record(self.id, |s| {
                if let Some(upload) = &mut s.upload {
                    upload.tus_url = url;
                }
            })
            .await
    }

    /// A segmented download: its parts and the bytes synced of each (call only
    /// with data already synced to disk), and where its connections are now
    /// (announced, not kept).
    pub(super) async fn record_segments(
        &self,
        segments: Vec<Segment>,
        fetching: Vec<u64>,
        total: u64,
        validators: Validators,
    ) -> Result<(), TransferError> {
        let bytes = segments.iter().map(|s| s.done).sum();
        let parts = segments.clone();
        self.inner
            .update_record(self.id, |s| {
                s.segments = segments;
                s.bytes = bytes;
                s.total = Some(total);
                s.validators = validators;
            })
            .await?;
        self.inner.announce(super::event::Event::Parts {
            id: self.id,
            segments: parts,
            fetching,
        });
        Ok(())
    }

    /// The connections open to each host, and what hosts were seen to accept.
    pub(super) fn hosts(&self) -> &super::hosts::Hosts {
        &self.inner.hosts
    }

    /// Remember that `host` accepts no more than `cap` connections at once (for a
    /// day, or as long as its `Retry-After` said if longer).
    pub(super) async fn lower_host_cap(
        &self,
        host: &str,
        cap: usize,
        retry_after: Option<std::time::Duration>,
    ) {
        let learned = self.inner.hosts.lower(host, cap, retry_after);
        tracing::info!(host, cap = learned.cap, "the host refuses more connections");
        // Remembered across restarts too (best effort: losing it costs one refusal).
        if let Err(e) = self.inner.store.put_host_cap(host, learned).await {
            tracing::warn!(host, error = %e, "cannot record the host's connection cap");
        }
    }

    /// FTP: remember that the file on the server is ours, before sending any byte.
    pub(super) async fn record_ftp_started(&self) -> Result<(), TransferError> {
        self.inner
            .update_record(self.id, |s| {
                if let Some(upload) = &mut s.upload {
                    upload.ftp_started = true;
                }
            })
            .await
    }

    /// The stop request so far (`Stop::None` while none).
    pub(super) fn stop_requested(&self) -> Stop {
        *self.stop.borrow()
    }

    /// Resolves when a stop is requested; never if the engine forgets the run.
    pub(super) async fn stopped(&mut self) -> Stop {
        let stop = self.stop.wait_for(|s| *s != Stop::None).await.map(|s| *s);
        match stop {
            Ok(stop) => stop,
            Err(_) => std::future::pending().await,
        }
    }

    /// Record progress. Call only with bytes already synced to disk.
    pub(super) async fn checkpoint(&self, checkpoint: Checkpoint) -> Result<(), TransferError> {
        self.recorder().checkpoint(checkpoint).await
    }

    /// This boot, when it can be told (see `engine/boot.rs`).
    pub(super) fn boot(&self) -> Option<u64> {
        self.inner.boot
    }

    /// The parts are recorded durably for good (the run ended): drop what
    /// [`RunContext::save_written`] kept.
    pub(super) async fn forget_written(&self) {
        super::written::forget(&self.inner.options.data_dir, self.id).await;
    }

    /// A handle that records checkpoints from another task (a background sync).
    pub(super) fn recorder(&self) -> Recorder {
        Recorder {
            inner: Arc::clone(&self.inner),
            id: self.id,
        }
    }

    /// For a download into a folder: reserve a free file name built from `name` and
    /// create its `.part`, so no other operation or program takes it. The
    /// server's `media_type` helps tell its category, whose folder it may go to.
    pub(super) async fn claim_destination(
        &self,
        name: &str,
        media_type: Option<&str>,
    ) -> Result<PathBuf, TransferError> {
        self.inner
            .claim_destination(self.id, name, media_type)
            .await
    }
}

/// Records the checkpoints of one operation; cheap to clone, `Send`.
#[derive(Clone, Debug)]
pub(super) struct Recorder {
    inner: Arc<Inner>,
    id: OperationId,
}

impl Recorder {
    /// Record progress. Call only with bytes already synced to disk.
    pub(super) async fn checkpoint(&self, checkpoint: Checkpoint) -> Result<(), TransferError> {
        self.inner
            .update_record(self.id, |s| {
                s.bytes = checkpoint.bytes;
                s.total = checkpoint.total;
                s.validators = checkpoint.validators;
            })
            .await
    }
}

/// The engine's side of the requests above.
impl Inner {
    /// Change a running operation's record and persist it (no event: its status
    /// is unchanged).
    async fn update_record(
        &self,
        id: OperationId,
        change: impl FnOnce(&mut Snapshot),
    ) -> Result<(), TransferError> {
        let _transition = self.transitions.lock().await;
        let Some(mut snapshot) = self.stored(id) else {
            return Ok(());
        };
        change(&mut snapshot);
        snapshot.updated_at = time::now_millis();
        self.store
            .put(&snapshot)
            .await
            .map_err(|e| TransferError::new(ErrorStatus::FileSystemError, e.to_string()))?;
        if let Some(entry) = self.lock().ops.get_mut(&id) {
            *entry.snapshot = snapshot;
        }
        Ok(())
    }

    async fn claim_destination(
        &self,
        id: OperationId,
        name: &str,
        media_type: Option<&str>,
    ) -> Result<PathBuf, TransferError> {
        let _transition = self.transitions.lock().await;
        let mut snapshot = self
            .stored(id)
            .ok_or_else(|| TransferError::new(ErrorStatus::Unknown, "operation vanished"))?;
        let Some(Target::Folder(folder)) = &snapshot.target else {
            return snapshot
                .destination
                .clone()
                .ok_or_else(|| TransferError::new(ErrorStatus::Unknown, "no destination"));
        };
        let categories = &self.options.categories;
        if !snapshot.category_chosen {
            snapshot.category = categories.of(name, media_type);
        }
        // The default folder gives way to the category's, when it has one.
        let folder = match categories.folder(snapshot.category) {
            Some(own) if *folder == self.options.download_dir => {
                let own = own.to_owned();
                tokio::fs::create_dir_all(&own)
                    .await
                    .map_err(|e| TransferError::io(&format!("creating {}", own.display()), &e))?;
                own
            }
            _ => folder.clone(),
        };
        let wanted = folder.join(name);
        let path = loop {
            let candidate = self.lock().free_destination(&wanted, id);
            let part = operation::part_path(&candidate);
            match super::part_file::part_options()
                .write(true)
                .create_new(true)
                .open(&part)
            {
                Ok(_) => break candidate,
                // Another program took the name since we looked: look again.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => {
                    return Err(TransferError::io(
                        &format!("creating {}", part.display()),
                        &e,
                    ));
                }
            }
        };
        snapshot.destination = Some(path.clone());
        self.store
            .put(&snapshot)
            .await
            .map_err(|e| TransferError::new(ErrorStatus::FileSystemError, e.to_string()))?;
        if let Some(entry) = self.lock().ops.get_mut(&id) {
            *entry.snapshot = snapshot.clone();
        }
        // The window shows where it goes (and its kind) while it runs.
        self.announce(super::event::Event::StatusChanged {
            snapshot: Box::new(snapshot),
        });
        Ok(path)
    }
}
