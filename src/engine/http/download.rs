//! HTTP(S) downloads: one run of one operation, from the request (ranged when
//! resuming) to every byte synced in `<destination>.part`.
//!
//! Resuming never splices two versions of a resource: the range request carries
//! `If-Range`, and a `200` instead of `206`, changed validators or a changed length
//! start the file again from zero.

use std::path::PathBuf;
use std::time::Instant;

use reqwest::header::{self, HeaderMap};
use reqwest::{Response, StatusCode, Url};
use tokio::task::JoinHandle;

use super::response::{changed, content_range, http_error, validators_of};
use super::{Interrupt, seconds};
use crate::engine::error::{ErrorStatus, TransferError};
use crate::engine::filename;
use crate::engine::operation::{Snapshot, Validators, part_path};
use crate::engine::part_file::PartFile;
use crate::engine::run::{Checkpoint, RunContext, RunEnd};

/// Run one attempt of a download.
pub async fn run(context: &mut RunContext, snapshot: Snapshot) -> RunEnd {
    let mut download = match Download::new(context, &snapshot) {
        Ok(download) => download,
        Err(error) => return RunEnd::Failed(error),
    };
    let result = download.run(&snapshot).await;
    match result {
        Ok(bytes) => RunEnd::Completed { bytes },
        Err(Interrupt::Stop(stop)) => {
            if stop.keeps_progress() {
                download.final_checkpoint().await;
            }
            RunEnd::Stopped
        }
        Err(Interrupt::Fail(error)) => {
            download.final_checkpoint().await;
            RunEnd::Failed(error)
        }
    }
}

/// What the first response of a run means for the bytes already on disk.
enum Plan {
    /// Append this body at the current offset.
    Continue(Response),
    /// This body is the whole resource: write it from byte zero.
    FromZero(Response),
    /// Everything is already here.
    AlreadyComplete,
    /// The server has another version: ask again for the whole resource.
    AskAgainFromZero(&'static str),
}

struct Download<'a> {
    context: &'a mut RunContext,
    url: Url,
    headers: HeaderMap,
    destination: Option<PathBuf>,
    part: Option<PartFile>,
    /// What the store knows; `bytes` only ever holds synced data.
    recorded: Checkpoint,
    total: Option<u64>,
    validators: Validators,
    last_checkpoint: Instant,
    /// When the last background sync started, and the offset it covered.
    last_sync: Instant,
    synced_from: u64,
    /// A checkpoint being synced and committed in the background.
    pending: Option<JoinHandle<Result<(), TransferError>>>,
}

impl<'a> Download<'a> {
    fn new(context: &'a mut RunContext, snapshot: &Snapshot) -> Result<Self, TransferError> {
        let url = Url::parse(&snapshot.url).map_err(|e| {
            TransferError::new(ErrorStatus::Unknown, format!("stored URL is invalid: {e}"))
        })?;
        let headers = super::custom_headers(&snapshot.headers);
        let recorded = Checkpoint {
            bytes: snapshot.bytes,
            total: snapshot.total,
            validators: snapshot.validators.clone(),
        };
        Ok(Self {
            context,
            url,
            headers,
            destination: snapshot.destination.clone(),
            part: None,
            total: snapshot.total,
            validators: snapshot.validators.clone(),
            recorded,
            last_checkpoint: Instant::now(),
            last_sync: Instant::now(),
            synced_from: snapshot.bytes,
            pending: None,
        })
    }

    /// Returns the number of bytes in the synced `.part` when the body is complete.
    async fn run(&mut self, snapshot: &Snapshot) -> Result<u64, Interrupt> {
        let mut offset = 0;
        if let Some(destination) = &self.destination {
            let path = part_path(destination);
            let (part, resume_at) = PartFile::open(&path, snapshot.bytes)
                .await
                .map_err(|e| TransferError::io(&format!("opening {}", path.display()), &e))?;
            offset = resume_at;
            self.part = Some(part);
        }
        if offset == 0 {
            self.validators = Validators::default();
            self.total = None;
        }
        self.context.live().set_bytes(offset);

        let mut asked_again = false;
        let response = loop {
            let response = self.request(offset).await?;
            match self.plan(response, offset)? {
                Plan::Continue(response) => break response,
                Plan::FromZero(response) => {
                    if offset > 0 {
                        tracing::warn!(id = %self.context.id(), "server sent the whole resource instead of the rest; restarting from zero");
                        self.truncate_to_zero().await?;
                    }
                    break response;
                }
                Plan::AlreadyComplete => return self.finish(offset).await,
                Plan::AskAgainFromZero(why) => {
                    if asked_again {
                        return Err(TransferError::new(
                            ErrorStatus::InvalidResponse,
                            format!("the server keeps answering inconsistently ({why})"),
                        )
                        .into());
                    }
                    tracing::warn!(id = %self.context.id(), reason = why, "restarting from zero");
                    asked_again = true;
                    offset = 0;
                    self.truncate_to_zero().await?;
                }
            }
        };
        self.accept(&response).await?;
        self.stream(response).await?;
        let end = self.part_mut().flush().await.map_err(write_error)?;
        if let Some(total) = self.total.filter(|t| *t != end) {
            return Err(TransferError::new(
                ErrorStatus::InvalidResponse,
                format!("the server ended the body after {end} of {total} bytes"),
            )
            .into());
        }
        self.finish(end).await
    }

    /// Send the request for everything from `offset` on.
    async fn request(&mut self, offset: u64) -> Result<Response, Interrupt> {
        let mut request = self
            .context
            .client()
            .get(self.url.clone())
            .headers(self.headers.clone());
        if offset > 0 {
            request = request.header(header::RANGE, format!("bytes={offset}-"));
            if let Some(validator) = self.validators.if_range() {
                request = request.header(header::IF_RANGE, validator);
            }
        }
        super::send(self.context, request).await
    }

    fn plan(&self, response: Response, offset: u64) -> Result<Plan, TransferError> {
        let status = response.status();
        let validators = validators_of(&response);
        if status == StatusCode::PARTIAL_CONTENT {
            let range = content_range(&response).ok_or_else(|| {
                TransferError::new(
                    ErrorStatus::InvalidResponse,
                    "a 206 answer without a valid Content-Range",
                )
            })?;
            if range.start != offset {
                return if offset == 0 {
                    Err(TransferError::new(
                        ErrorStatus::InvalidResponse,
                        format!(
                            "asked for the whole resource, got bytes from {}",
                            range.start
                        ),
                    ))
                } else {
                    Ok(Plan::AskAgainFromZero(
                        "the server sent another range than asked",
                    ))
                };
            }
            if offset > 0 && changed(&self.validators, &validators) {
                return Ok(Plan::AskAgainFromZero("the resource changed on the server"));
            }
            if offset > 0
                && self.total.is_some()
                && range.total.is_some()
                && self.total != range.total
            {
                return Ok(Plan::AskAgainFromZero(
                    "the resource changed size on the server",
                ));
            }
            return Ok(Plan::Continue(response));
        }
        if status.is_success() {
            return Ok(Plan::FromZero(response));
        }
        if status == StatusCode::RANGE_NOT_SATISFIABLE && offset > 0 {
            let size = content_range(&response).and_then(|r| r.total);
            let same = size == Some(offset) && self.total.is_none_or(|t| t == offset);
            return Ok(if same {
                Plan::AlreadyComplete
            } else {
                Plan::AskAgainFromZero("the server cannot serve the rest of the resource")
            });
        }
        Err(http_error(&response))
    }

    /// Take the response's facts: validators, length, and for a folder target the
    /// file name; record them before writing any byte of this version.
    async fn accept(&mut self, response: &Response) -> Result<(), Interrupt> {
        let offset = self.part.as_ref().map_or(0, PartFile::position);
        self.validators = validators_of(response);
        self.total = if response.status() == StatusCode::PARTIAL_CONTENT {
            content_range(response).and_then(|r| r.total)
        } else {
            response.content_length()
        };
        self.context.live().set_total(self.total);
        if self.part.is_none() {
            let disposition = response
                .headers()
                .get(header::CONTENT_DISPOSITION)
                .and_then(|v| v.to_str().ok());
            let name = filename::choose(disposition, response.url());
            let destination = self.context.claim_destination(&name).await?;
            let path = part_path(&destination);
            let (part, _) = PartFile::open(&path, 0)
                .await
                .map_err(|e| TransferError::io(&format!("opening {}", path.display()), &e))?;
            self.destination = Some(destination);
            self.part = Some(part);
        }
        let checkpoint = Checkpoint {
            bytes: offset,
            total: self.total,
            validators: self.validators.clone(),
        };
        if checkpoint != self.recorded {
            self.context.checkpoint(checkpoint.clone()).await?;
            self.recorded = checkpoint;
        }
        Ok(())
    }

    async fn stream(&mut self, mut response: Response) -> Result<(), Interrupt> {
        let stall = self.context.options().timeouts.stall;
        loop {
            let next = tokio::select! {
                biased;
                stop = self.context.stopped() => return Err(Interrupt::Stop(stop)),
                next = tokio::time::timeout(stall, response.chunk()) => next,
            };
            let chunk = match next {
                Err(_) => {
                    return Err(TransferError::new(
                        ErrorStatus::Timeout,
                        format!("no data received for {}", seconds(stall)),
                    )
                    .into());
                }
                Ok(Err(error)) => return Err(TransferError::from_reqwest(error).into()),
                Ok(Ok(None)) => return Ok(()),
                Ok(Ok(Some(chunk))) => chunk,
            };
            let position = self.part_mut().position();
            if let Some(total) = self.total
                && position + chunk.len() as u64 > total
            {
                return Err(TransferError::new(
                    ErrorStatus::InvalidResponse,
                    format!("the server sent more than the {total} bytes it announced"),
                )
                .into());
            }
            self.part_mut().write(&chunk).await.map_err(write_error)?;
            self.context.live().add_bytes(chunk.len() as u64);
            let unsynced = self.part_mut().position().saturating_sub(self.synced_from);
            if unsynced >= SYNC_EVERY_BYTES
                || self.last_sync.elapsed() >= self.context.options().checkpoint_interval
            {
                self.checkpoint_in_background().await?;
            }
        }
    }

    /// Sync what is written, beside the next writes, and record it when a
    /// checkpoint is due. Syncing small amounts often keeps the disk busy all along
    /// instead of stalling the writes behind one large sync; the store still gets at
    /// most one commit per checkpoint interval.
    async fn checkpoint_in_background(&mut self) -> Result<(), Interrupt> {
        if self.pending.as_ref().is_some_and(|p| !p.is_finished()) {
            return Ok(());
        }
        self.settle().await?;
        let part = self.part.as_mut().expect("a part file while streaming");
        let bytes = part.flush().await.map_err(write_error)?;
        let file = part.sync_handle();
        self.synced_from = bytes;
        self.last_sync = Instant::now();
        let commit = self.last_checkpoint.elapsed() >= self.context.options().checkpoint_interval;
        let checkpoint = Checkpoint {
            bytes,
            total: self.total,
            validators: self.validators.clone(),
        };
        let recorder = commit.then(|| self.context.recorder());
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
    async fn final_checkpoint(&mut self) {
        if let Err(e) = self.settle().await {
            tracing::warn!(id = %self.context.id(), error = %e, "background checkpoint failed");
        }
        let Some(part) = self.part.as_mut() else {
            return;
        };
        // A failed flush (a full disk) still leaves the earlier writes to record.
        let _ = part.flush().await;
        let bytes = match part.sync_written().await {
            Ok(bytes) => bytes,
            Err(e) => {
                tracing::warn!(id = %self.context.id(), error = %e, "cannot sync partial data");
                return;
            }
        };
        let checkpoint = Checkpoint {
            bytes,
            total: self.total,
            validators: self.validators.clone(),
        };
        if checkpoint != self.recorded {
            match self.context.checkpoint(checkpoint.clone()).await {
                Ok(()) => self.recorded = checkpoint,
                Err(e) => {
                    tracing::warn!(id = %self.context.id(), error = %e, "cannot record a checkpoint");
                }
            }
        }
    }

    async fn truncate_to_zero(&mut self) -> Result<(), TransferError> {
        self.settle().await?;
        self.validators = Validators::default();
        self.total = None;
        self.synced_from = 0;
        self.context.live().set_bytes(0);
        if let Some(part) = self.part.as_mut() {
            part.truncate_to_zero().await.map_err(write_error)?;
            let checkpoint = Checkpoint {
                bytes: 0,
                total: None,
                validators: Validators::default(),
            };
            self.context.checkpoint(checkpoint.clone()).await?;
            self.recorded = checkpoint;
        }
        Ok(())
    }

    /// The body is complete: make it durable and report its size.
    async fn finish(&mut self, bytes: u64) -> Result<u64, Interrupt> {
        self.settle().await?;
        if let Some(part) = self.part.as_mut() {
            let synced = part.sync().await.map_err(write_error)?;
            debug_assert_eq!(synced, bytes);
        } else {
            // An empty body and no name yet cannot happen: `accept` claims one.
            return Err(TransferError::new(
                ErrorStatus::Unknown,
                "no destination for the download",
            )
            .into());
        }
        Ok(bytes)
    }

    fn part_mut(&mut self) -> &mut PartFile {
        self.part.as_mut().expect("a part file while streaming")
    }
}

/// Unsynced data that starts a background sync even before a checkpoint is due.
/// Measured on the 1 GiB benchmark: 8–32 MiB keep the disk streaming; one sync a
/// second stalls the writes behind it (about 1.6× curl's time instead of 1.1–1.2×).
const SYNC_EVERY_BYTES: u64 = 16 << 20;

#[allow(clippy::needless_pass_by_value)] // shaped for `map_err`
fn write_error(error: std::io::Error) -> TransferError {
    TransferError::io("writing the partial file", &error)
}
