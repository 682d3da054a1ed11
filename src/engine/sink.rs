//! Where a download's bytes go, whatever the protocol: the `.part` file, written
//! in order, synced in the background, and checkpointed — data synced first, then
//! its length committed to the store, never the other way round.

use std::path::Path;
use std::time::Instant;

use tokio::task::JoinHandle;

use super::error::{ErrorStatus, TransferError};
use super::operation::{Snapshot, Validators};
use super::part_file::PartFile;
use super::run::{Checkpoint, RunContext};

/// Unsynced data that starts a background sync even before a checkpoint is due.
/// Measured on the 1 GiB benchmark: 8–32 MiB keep the disk streaming; one sync a
/// second stalls the writes behind it (about 1.6× curl's time instead of 1.1–1.2×).
const SYNC_EVERY_BYTES: u64 = 16 << 20;

#[derive(Debug)]
pub(super) struct Sink {
    part: Option<PartFile>,
    /// What the store knows; `bytes` only ever holds synced data.
    recorded: Checkpoint,
    /// The size and version of what is being written, as the server told them.
    pub total: Option<u64>,
    pub validators: Validators,
    last_checkpoint: Instant,
    /// When the last background sync started, and the offset it covered.
    last_sync: Instant,
    synced_from: u64,
    /// A checkpoint being synced and committed in the background.
    pending: Option<JoinHandle<Result<(), TransferError>>>,
}

impl Sink {
    /// Nothing open yet; what the store recorded last.
    pub(super) fn new(snapshot: &Snapshot) -> Self {
        Self {
            part: None,
            recorded: Checkpoint {
                bytes: snapshot.bytes,
                total: snapshot.total,
                validators: snapshot.validators.clone(),
            },
            total: snapshot.total,
            validators: snapshot.validators.clone(),
            last_checkpoint: Instant::now(),
            last_sync: Instant::now(),
            synced_from: snapshot.bytes,
            pending: None,
        }
    }

    pub(super) fn is_open(&self) -> bool {
        self.part.is_some()
    }

    /// Open the `.part` file at `path`, cut back to `offset`; the offset writing
    /// resumes at.
    pub(super) async fn open(&mut self, path: &Path, offset: u64) -> Result<u64, TransferError> {
        let (part, resume_at) = PartFile::open(path, offset)
            .await
            .map_err(|e| TransferError::io(&format!("opening {}", path.display()), &e))?;
        self.part = Some(part);
        self.synced_from = resume_at;
        Ok(resume_at)
    }

    /// Where the next byte goes.
    pub(super) fn position(&self) -> u64 {
        self.part.as_ref().map_or(0, PartFile::position)
    }

    /// Record the current offset, size and validators if the store has other ones
    /// (done before writing any byte of a new version).
    pub(super) async fn record(&mut self, context: &RunContext) -> Result<(), TransferError> {
        let checkpoint = Checkpoint {
            bytes: self.position(),
            total: self.total,
            validators: self.validators.clone(),
        };
        if checkpoint != self.recorded {
            context.checkpoint(checkpoint.clone()).await?;
            self.recorded = checkpoint;
        }
        if let (Some(total), Some(part)) = (self.total, &self.part) {
            part.reserve(total)
                .await
                .map_err(|e| TransferError::io("reserving space for the file", &e))?;
        }
        Ok(())
    }

    /// Append `data`, count it, and checkpoint in the background when due.
    pub(super) async fn write(
        &mut self,
        context: &RunContext,
        data: &[u8],
    ) -> Result<(), TransferError> {
        self.part_mut().write(data).await.map_err(write_error)?;
        context.live().add_bytes(data.len() as u64);
        let unsynced = self.part_mut().position().saturating_sub(self.synced_from);
        if unsynced >= SYNC_EVERY_BYTES
            || self.last_sync.elapsed() >= context.options().checkpoint_interval
        {
            self.checkpoint_in_background(context).await?;
        }
        Ok(())
    }

    /// Everything written so far reaches the file; the end offset.
    pub(super) async fn flush(&mut self) -> Result<u64, TransferError> {
        self.part_mut().flush().await.map_err(write_error)
    }

    /// Sync what is written, beside the next writes, and record it when a
    /// checkpoint is due. Syncing small amounts often keeps the disk busy all along
    /// instead of stalling the writes behind one large sync; the store still gets at
    /// most one commit per checkpoint interval.
    async fn checkpoint_in_background(
        &mut self,
        context: &RunContext,
    ) -> Result<(), TransferError> {
        if self.pending.as_ref().is_some_and(|p| !p.is_finished()) {
            return Ok(());
        }
        self.settle().await?;
        let part = self.part_mut();
        let bytes = part.flush().await.map_err(write_error)?;
        let file = part.sync_handle();
        self.synced_from = bytes;
        self.last_sync = Instant::now();
        let commit = self.last_checkpoint.elapsed() >= context.options().checkpoint_interval;
        let checkpoint = Checkpoint {
            bytes,
            total: self.total,
            validators: self.validators.clone(),
        };
        let recorder = commit.then(|| context.recorder());
        if commit {
            self.recorded = checkpoint.clone();
            self.last_checkpoint = Instant::now();
        }
        self.pending = Some(tokio::spawn(async move {
            tokio::task::spawn_blocking(move || file.sync_data())
                .await
                .map_err(std::io::Error::other)
                .and_then(|r| r)
                .map_err(|e| TransferError::io("syncing the partial file", &e))?;
            match recorder {
                Some(recorder) => recorder.checkpoint(checkpoint).await,
                None => Ok(()),
            }
        }));
        Ok(())
    }

    /// Wait for the background checkpoint, so checkpoints land in order.
    async fn settle(&mut self) -> Result<(), TransferError> {
        match self.pending.take() {
            Some(pending) => pending
                .await
                .map_err(|e| TransferError::new(ErrorStatus::Unknown, e.to_string()))?,
            None => Ok(()),
        }
    }

    /// On any stop or failure: record whatever reached the disk.
    pub(super) async fn final_checkpoint(&mut self, context: &RunContext) {
        if let Err(e) = self.settle().await {
            tracing::warn!(id = %context.id(), error = %e, "background checkpoint failed");
        }
        let Some(part) = self.part.as_mut() else {
            return;
        };
        // A failed flush (a full disk) still leaves the earlier writes to record.
        let _ = part.flush().await;
        let bytes = match part.sync_written().await {
            Ok(bytes) => bytes,
            Err(e) => {
                tracing::warn!(id = %context.id(), error = %e, "cannot sync partial data");
                return;
            }
        };
        let checkpoint = Checkpoint {
            bytes,
            total: self.total,
            validators: self.validators.clone(),
        };
        if checkpoint != self.recorded {
            match context.checkpoint(checkpoint.clone()).await {
                Ok(()) => self.recorded = checkpoint,
                Err(e) => {
                    tracing::warn!(id = %context.id(), error = %e, "cannot record a checkpoint");
                }
            }
        }
    }

    /// Throw away what is written (another version is coming), and record that.
    pub(super) async fn truncate_to_zero(
        &mut self,
        context: &RunContext,
    ) -> Result<(), TransferError> {
        self.settle().await?;
        self.validators = Validators::default();
        self.total = None;
        self.synced_from = 0;
        context.live().set_bytes(0);
        if let Some(part) = self.part.as_mut() {
            part.truncate_to_zero().await.map_err(write_error)?;
            let checkpoint = Checkpoint {
                bytes: 0,
                total: None,
                validators: Validators::default(),
            };
            context.checkpoint(checkpoint.clone()).await?;
            self.recorded = checkpoint;
        }
        Ok(())
    }

    /// Another writer takes over the file: every byte so far is synced (the new
    /// writer may record it at once) and no background checkpoint is left
    /// running. The offset reached.
    pub(super) async fn hand_over(&mut self) -> Result<u64, TransferError> {
        self.settle().await?;
        self.part_mut().sync().await.map_err(write_error)
    }

    /// The body is complete: make it durable and report its size.
    pub(super) async fn finish(&mut self, bytes: u64) -> Result<u64, TransferError> {
        self.settle().await?;
        let Some(part) = self.part.as_mut() else {
            // An empty body and no name yet cannot happen: a name is claimed first.
            return Err(TransferError::new(
                ErrorStatus::Unknown,
                "no destination for the download",
            ));
        };
        let synced = part.sync().await.map_err(write_error)?;
        debug_assert_eq!(synced, bytes);
        Ok(bytes)
    }

    fn part_mut(&mut self) -> &mut PartFile {
        self.part.as_mut().expect("a part file while writing")
    }
}

#[allow(clippy::needless_pass_by_value)] // shaped for `map_err`
fn write_error(error: std::io::Error) -> TransferError {
    TransferError::io("writing the partial file", &error)
}
