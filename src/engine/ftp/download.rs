//! FTP(S) downloads: `SIZE` and `MDTM` are the version of the file, `REST`
//! resumes, and the bytes go through the same checkpointing sink as HTTP.
//!
//! Resuming never splices two versions: a size or modification time that changed
//! since the last run starts the file again from zero.

use tokio::io::AsyncReadExt as _;

use super::{
    DataCommand, Interrupt, connect, connection_error, ftp_error, open_data, quit, remote_path,
    step,
};
use crate::engine::error::{ErrorStatus, TransferError};
use crate::engine::filename;
use crate::engine::operation::{Snapshot, Validators, part_path};
use crate::engine::run::{RunContext, RunEnd};
use crate::engine::secrets::Secrets;
use crate::engine::sink::Sink;
use crate::engine::stall::StallWatch;

pub(super) async fn run(context: &mut RunContext, snapshot: Snapshot, secrets: &Secrets) -> RunEnd {
    let mut sink = Sink::new(&snapshot);
    let result = download(context, &snapshot, secrets, &mut sink).await;
    match result {
        Ok(bytes) => RunEnd::Completed { bytes },
        Err(Interrupt::Stop(stop)) => {
            if stop.keeps_progress() {
                sink.final_checkpoint(context).await;
            }
            RunEnd::Stopped
        }
        Err(Interrupt::Fail(error)) => {
            sink.final_checkpoint(context).await;
            RunEnd::Failed(error)
        }
    }
}

async fn download(
    context: &mut RunContext,
    snapshot: &Snapshot,
    secrets: &Secrets,
    sink: &mut Sink,
) -> Result<u64, Interrupt> {
    let (url, path) = remote_path(snapshot)?;
    if path.ends_with('/') || path.is_empty() {
        return Err(not_a_file(&path).into());
    }
    let mut ftp = connect(context, &url, snapshot, secrets).await?;

    // Some servers answer SIZE for a folder too: a CWD that succeeds is the only
    // reliable sign, and costs one round trip per attempt.
    if step(context, ftp.cwd(&path)).await?.is_ok() {
        return Err(not_a_file(&path).into());
    }
    let size = step(context, ftp.size(&path))
        .await?
        .map_err(|e| ftp_error(e, "asking the size of the file"))? as u64;
    let modified = step(context, ftp.mdtm(&path))
        .await?
        .ok()
        .map(|time| time.to_string());

    let destination = match &snapshot.destination {
        Some(destination) => destination.clone(),
        None => {
            let name = filename::choose(None, &url);
            context.claim_destination(&name, None).await?
        }
    };
    let mut offset = sink.open(&part_path(&destination), snapshot.bytes).await?;
    let same_version = sink.total == Some(size) && sink.validators.last_modified == modified;
    if offset > 0 && !same_version {
        tracing::warn!(id = %context.id(), "the file changed on the server; restarting from zero");
        sink.truncate_to_zero(context).await?;
        offset = 0;
    }
    sink.total = Some(size);
    sink.validators = Validators {
        last_modified: modified,
        ..Validators::default()
    };
    context.live().set_total(Some(size));
    context.live().set_bytes(offset);
    sink.record(context).await?;
    if offset >= size {
        return Ok(sink.finish(offset).await?);
    }

    let rest = (offset > 0).then_some(offset);
    let mut stream = open_data(context, &mut ftp, rest, DataCommand::Retrieve(&path)).await?;
    let mut stall = StallWatch::new(context.options().timeouts.stall);
    let pace = context.pace();
    let mut buffer = vec![0u8; 256 * 1024];
    loop {
        let want = pace.chunk(buffer.len());
        let read = tokio::select! {
            biased;
            stop = context.stopped() => return Err(Interrupt::Stop(stop)),
            read = tokio::time::timeout(stall.remaining(), stream.read(&mut buffer[..want])) => read,
        };
        let n = match read {
            Err(_) => return Err(stall.error().into()),
            Ok(Err(e)) => return Err(connection_error(&e, "receiving the file").into()),
            Ok(Ok(0)) => break,
            Ok(Ok(n)) => n,
        };
        stall.saw(n);
        if sink.position() + n as u64 > size {
            return Err(TransferError::new(
                ErrorStatus::InvalidResponse,
                format!("the server sent more than the {size} bytes it announced"),
            )
            .into());
        }
        tokio::select! {
            biased;
            stop = context.stopped() => return Err(Interrupt::Stop(stop)),
            () = pace.take(n as u64) => {}
        }
        sink.write(context, &buffer[..n]).await?;
    }
    step(context, stream.finish())
        .await?
        .map_err(|e| ftp_error(e, "finishing the transfer"))?;
    let end = sink.flush().await?;
    if end != size {
        return Err(TransferError::new(
            ErrorStatus::InvalidResponse,
            format!("the server ended the file after {end} of {size} bytes"),
        )
        .into());
    }
    quit(&mut ftp).await;
    Ok(sink.finish(end).await?)
}

fn not_a_file(path: &str) -> TransferError {
    TransferError::new(
        ErrorStatus::IsADirectory,
        format!("{path} is a folder on the server, not a file: give the address of a file"),
    )
}
