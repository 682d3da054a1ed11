//! Before a download continues from a new address: does that address serve the
//! same file? The length must match; then an ETag or Last-Modified equal to the
//! old one settles it, and otherwise (another CDN node, a file host that names
//! versions its own way) the first and the last bytes Ferry already has are
//! compared with the same ranges from the new address.

use std::sync::Arc;

use reqwest::Url;
use reqwest::header::RANGE;
use tokio::sync::watch;

use super::response::{content_range, http_error, validators_of};
use super::{Clients, Requester, access::Access, custom_headers};
use crate::engine::error::{ErrorStatus, TransferError};
use crate::engine::operation::{Snapshot, Validators};
use crate::engine::options::Options;
use crate::engine::progress::Live;
use crate::engine::run::{Interrupt, Stop};

/// How much of the start, and of the end of what Ferry has, is compared.
const COMPARED: u64 = 64 * 1024;

/// The new address's validators when it serves the file `snapshot` was fetching.
pub(crate) async fn check(
    options: &Options,
    clients: &Clients,
    access: Arc<Access>,
    snapshot: &Snapshot,
    url: &Url,
) -> Result<Validators, TransferError> {
    let (_keep, stop) = watch::channel(Stop::None);
    let mut requester = Requester {
        access,
        timeout: options.timeouts.response,
        live: Arc::new(Live::new(0, None)),
        stop,
    };
    let response = ranged(&mut requester, clients, snapshot, url, 0, COMPARED).await?;
    let total = match content_range(&response) {
        Some(range) => range.total,
        None => response.content_length(),
    };
    if let (Some(had), Some(now)) = (snapshot.total, total)
        && had != now
    {
        return Err(different(&format!("{now} bytes, not {had}")));
    }
    let now = validators_of(&response);
    let held = &snapshot.validators;
    let same_version = (held.etag.is_some() && held.etag == now.etag)
        || (held.last_modified.is_some() && held.last_modified == now.last_modified);
    if same_version {
        return Ok(now);
    }
    // Compare the start of the file, as far as Ferry has it from byte 0.
    let have = match snapshot.segments.first() {
        Some(first) if first.start == 0 => first.done,
        Some(_) => 0,
        None => snapshot.bytes,
    }
    .min(COMPARED);
    let honours_ranges = content_range(&response).is_some();
    let body = body_of(response, have).await?;
    let compared = have.min(body.len() as u64) as usize;
    if compared == 0 {
        return Err(different(
            "nothing to compare it with (no bytes from the start yet, and no ETag or Last-Modified in common)",
        ));
    }
    let part = snapshot
        .part_path()
        .ok_or_else(|| TransferError::new(ErrorStatus::Unknown, "no partial file"))?;
    if read_held(&part, 0, compared).await? != body[..compared] {
        return Err(different(&format!(
            "its first {compared} bytes differ from those already fetched"
        )));
    }
    // And the end of what Ferry has (the start alone cannot tell two versions
    // apart whose headers are the same: a log, an image rebuilt with a new tail).
    if let Some((offset, len)) = last_held(snapshot).filter(|&(offset, len)| offset + len > have)
        && honours_ranges
    {
        let response = ranged(&mut requester, clients, snapshot, url, offset, len).await?;
        let body = match content_range(&response) {
            Some(range) if range.start == offset => body_of(response, len).await?,
            _ => return Err(different("it no longer answers ranged requests")),
        };
        if body.len() as u64 != len || read_held(&part, offset, body.len()).await? != body {
            return Err(different(&format!(
                "its bytes {offset}–{} differ from those already fetched",
                offset + len - 1
            )));
        }
    }
    Ok(now)
}

fn different(why: &str) -> TransferError {
    TransferError::new(
        ErrorStatus::SourceChanged,
        format!("the new address serves a different file: {why}"),
    )
}

/// `len` bytes from `offset` at the new address, asked as a ranged GET.
async fn ranged(
    requester: &mut Requester,
    clients: &Clients,
    snapshot: &Snapshot,
    url: &Url,
    offset: u64,
    len: u64,
) -> Result<reqwest::Response, TransferError> {
    let request = clients
        .whole
        .get(url.clone())
        .headers(custom_headers(&snapshot.headers))
        .header(RANGE, format!("bytes={offset}-{}", offset + len - 1));
    let response = requester
        .send(request)
        .await
        .map_err(|interrupt| match interrupt {
            Interrupt::Fail(error) => error,
            Interrupt::Stop(_) => TransferError::new(ErrorStatus::Unknown, "stopped"),
        })?;
    if !response.status().is_success() {
        return Err(http_error(&response));
    }
    Ok(response)
}

/// The last bytes Ferry has (at most [`COMPARED`]): the end of the part that
/// reached furthest, or of the single stream.
fn last_held(snapshot: &Snapshot) -> Option<(u64, u64)> {
    let end_of_run = |start: u64, done: u64| {
        let len = done.min(COMPARED);
        (start + done - len, len)
    };
    let held = if snapshot.segments.is_empty() {
        (snapshot.bytes > 0).then(|| end_of_run(0, snapshot.bytes))
    } else {
        snapshot
            .segments
            .iter()
            .filter(|s| s.done > 0)
            .max_by_key(|s| s.start + s.done)
            .map(|s| end_of_run(s.start, s.done))
    };
    held.filter(|&(_, len)| len > 0)
}

/// At most `len` bytes of the answer's body: a server that ignores the range
/// sends the whole file, which is not read.
async fn body_of(mut response: reqwest::Response, len: u64) -> Result<Vec<u8>, TransferError> {
    let mut body = Vec::new();
    while (body.len() as u64) < len {
        match response
            .chunk()
            .await
            .map_err(TransferError::from_reqwest)?
        {
            Some(chunk) => body.extend_from_slice(&chunk),
            None => break,
        }
    }
    Ok(body)
}

/// `len` bytes of the partial file from `offset`.
async fn read_held(
    path: &std::path::Path,
    offset: u64,
    len: usize,
) -> Result<Vec<u8>, TransferError> {
    use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _};
    let mut file = tokio::fs::File::open(path)
        .await
        .map_err(|e| TransferError::io(&format!("reading {}", path.display()), &e))?;
    file.seek(std::io::SeekFrom::Start(offset))
        .await
        .map_err(|e| TransferError::io(&format!("reading {}", path.display()), &e))?;
    let mut buffer = vec![0u8; len];
    file.read_exact(&mut buffer)
        .await
        .map_err(|e| TransferError::io(&format!("reading {}", path.display()), &e))?;
    Ok(buffer)
}
