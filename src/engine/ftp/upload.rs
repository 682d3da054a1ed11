//! FTP(S) uploads (beyond the seed, which only downloads over FTP): `STOR` from the
//! first byte; after a pause, a lost network or a killed agent, `SIZE` tells how
//! much the server holds and `APPE` (or `REST` + `STOR` where APPE is refused)
//! sends the rest. The source file is checked against the version recorded at
//! creation before and after, so the server never keeps a mix of two versions.

use std::io::SeekFrom;
use std::time::Instant;

use suppaftp::tokio::AsyncRustlsFtpStream;
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _, AsyncWriteExt as _};

use super::{
    DataCommand, Interrupt, connect, connection_error, ftp_error, open_data, open_session, quit,
    remote_path, step, within,
};
use crate::engine::error::{ErrorStatus, TransferError};
use crate::engine::http::check_source_unchanged;
use crate::engine::operation::{Snapshot, Source, Validators};
use crate::engine::options::Options;
use crate::engine::run::{Checkpoint, RunContext, RunEnd};
use crate::engine::secrets::Secrets;

/// Bytes read from the file per write to the data connection.
const CHUNK: usize = 256 * 1024;

pub(super) async fn run(context: &mut RunContext, snapshot: Snapshot, secrets: &Secrets) -> RunEnd {
    match upload(context, &snapshot, secrets).await {
        Ok(bytes) => RunEnd::Completed { bytes },
        Err(Interrupt::Stop(stop)) => {
            if stop.keeps_progress() {
                final_checkpoint(context, &snapshot).await;
            }
            RunEnd::Stopped
        }
        Err(Interrupt::Fail(error)) => {
            final_checkpoint(context, &snapshot).await;
            RunEnd::Failed(error)
        }
    }
}

async fn final_checkpoint(context: &RunContext, snapshot: &Snapshot) {
    let total = snapshot.upload.as_ref().map_or(0, |u| u.total());
    checkpoint(context, context.live().bytes(), total).await;
}

/// Delete what a canceled upload left on the server (best effort, in the
/// background: the operation is canceled whatever happens here).
pub(crate) async fn abandon(options: Options, snapshot: Snapshot, secrets: Secrets) {
    let started = snapshot.upload.as_ref().is_some_and(|u| u.ftp_started);
    if !started {
        return;
    }
    let Ok((url, path)) = remote_path(&snapshot) else {
        return;
    };
    let user = snapshot.secrets.user.as_deref();
    let deleted = async {
        let mut ftp = open_session(&url, user, secrets.password.as_deref(), &options).await?;
        let answer = within(&options, ftp.rm(&path)).await?;
        quit(&mut ftp).await;
        answer.map_err(|e| ftp_error(e, "deleting the partial upload"))
    };
    match deleted.await {
        Ok(()) => tracing::info!(id = %snapshot.id, "partial FTP upload deleted"),
        Err(e) => {
            tracing::warn!(id = %snapshot.id, error = %e, "cannot delete the partial FTP upload");
        }
    }
}

async fn upload(
    context: &mut RunContext,
    snapshot: &Snapshot,
    secrets: &Secrets,
) -> Result<u64, Interrupt> {
    let plan = snapshot
        .upload
        .as_ref()
        .ok_or_else(|| TransferError::new(ErrorStatus::Unknown, "not an upload"))?;
    let source = plan.sources[0].clone();
    check_source_unchanged(&source).map_err(|p| p.to_transfer_error())?;
    let size = source.size;
    context.live().set_total(Some(size));
    context.live().set_bytes(0);
    let (url, path) = remote_path(snapshot)?;
    let mut ftp = connect(context, &url, snapshot, secrets).await?;

    let held = if plan.ftp_started {
        held_by_server(context, &mut ftp, &path, size).await?
    } else {
        context.record_ftp_started().await?;
        0
    };
    context.live().set_bytes(held);
    let mut stream = open_upload(context, &mut ftp, &path, held).await?;
    send(context, &mut stream, &source, held).await?;
    step(context, stream.finish())
        .await?
        .map_err(|e| ftp_error(e, "finishing the upload"))?;

    // The server's copy must be whole, and of one version of the file.
    if let Ok(stored) = step(context, ftp.size(&path)).await?
        && stored as u64 != size
    {
        return Err(TransferError::new(
            ErrorStatus::InvalidResponse,
            format!("the server kept {stored} of the {size} bytes sent"),
        )
        .into());
    }
    if let Err(problem) = check_source_unchanged(&source) {
        let _ = step(context, ftp.rm(&path)).await;
        return Err(TransferError::new(
            ErrorStatus::SourceChanged,
            format!(
                "{} changed while it was being uploaded ({problem}); the server's copy was deleted",
                source.path.display()
            ),
        )
        .into());
    }
    quit(&mut ftp).await;
    Ok(size)
}

/// How much of our earlier attempt the server holds; zero (start again) when it
/// has nothing, or more than the file.
async fn held_by_server(
    context: &mut RunContext,
    ftp: &mut AsyncRustlsFtpStream,
    path: &str,
    size: u64,
) -> Result<u64, Interrupt> {
    match step(context, ftp.size(path)).await? {
        Ok(held) if held as u64 <= size => Ok(held as u64),
        Ok(held) => {
            tracing::warn!(id = %context.id(), held, size, "the server holds more than the file; starting again");
            Ok(0)
        }
        Err(_) => Ok(0),
    }
}

/// `STOR` from zero; from an offset, `APPE`, or `REST` + `STOR` for a server that
/// does not know APPE.
async fn open_upload(
    context: &mut RunContext,
    ftp: &mut AsyncRustlsFtpStream,
    path: &str,
    held: u64,
) -> Result<super::Transfer, Interrupt> {
    if held == 0 {
        return open_data(context, ftp, None, DataCommand::Store(path)).await;
    }
    match open_data(context, ftp, None, DataCommand::Append(path)).await {
        Err(Interrupt::Fail(error)) if error.status == ErrorStatus::UnexpectedStatusCode => {
            tracing::debug!(id = %context.id(), error = %error, "APPE refused; trying REST and STOR");
            open_data(context, ftp, Some(held), DataCommand::Store(path)).await
        }
        opened => opened,
    }
}

/// The file from `offset` to its end, onto the data connection, counted as it goes
/// and checkpointed now and then (for display: a restart asks the server anyway).
async fn send(
    context: &mut RunContext,
    stream: &mut super::Transfer,
    source: &Source,
    offset: u64,
) -> Result<(), Interrupt> {
    let unreadable = |e: std::io::Error| {
        TransferError::new(
            ErrorStatus::SourceMissing,
            format!("cannot read {}: {e}", source.path.display()),
        )
    };
    let mut file = tokio::fs::File::open(&source.path)
        .await
        .map_err(unreadable)?;
    file.seek(SeekFrom::Start(offset))
        .await
        .map_err(unreadable)?;
    let stall = context.options().timeouts.stall;
    let interval = context.options().checkpoint_interval;
    let mut last_checkpoint = Instant::now();
    let mut buffer = vec![0u8; CHUNK];
    let mut position = offset;
    let pace = context.pace();
    while position < source.size {
        let chunk = pace.chunk(CHUNK);
        let want = usize::try_from(source.size - position)
            .unwrap_or(chunk)
            .min(chunk);
        let n = file.read(&mut buffer[..want]).await.map_err(unreadable)?;
        if n == 0 {
            return Err(TransferError::new(
                ErrorStatus::SourceChanged,
                format!(
                    "{} got shorter while it was being uploaded",
                    source.path.display()
                ),
            )
            .into());
        }
        tokio::select! {
            biased;
            stop = context.stopped() => return Err(Interrupt::Stop(stop)),
            () = pace.take(n as u64) => {}
        }
        let written = tokio::select! {
            biased;
            stop = context.stopped() => return Err(Interrupt::Stop(stop)),
            written = tokio::time::timeout(stall, stream.write_all(&buffer[..n])) => written,
        };
        match written {
            Err(_) => {
                return Err(TransferError::new(
                    ErrorStatus::Timeout,
                    format!("the server took nothing for {} s", stall.as_secs_f64()),
                )
                .into());
            }
            Ok(Err(e)) => return Err(connection_error(&e, "sending the file").into()),
            Ok(Ok(())) => {}
        }
        position += n as u64;
        context.live().set_bytes(position);
        if last_checkpoint.elapsed() >= interval {
            last_checkpoint = Instant::now();
            checkpoint(context, position, source.size).await;
        }
    }
    Ok(())
}

/// Record the bytes sent so far (for display and retry accounting).
async fn checkpoint(context: &RunContext, bytes: u64, total: u64) {
    let checkpoint = Checkpoint {
        bytes,
        total: Some(total),
        validators: Validators::default(),
    };
    if let Err(e) = context.checkpoint(checkpoint).await {
        tracing::warn!(id = %context.id(), error = %e, "cannot record a checkpoint");
    }
}
