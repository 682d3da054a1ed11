//! What an address serves, asked before a download is created (the window's
//! form shows it): the file's name, size and type, and whether a download of it
//! could resume. One GET of the first byte (`Range: bytes=0-0`), not a HEAD:
//! too many servers answer HEAD differently from GET (no `Content-Disposition`,
//! 405, another length), and the ranged answer says whether ranges are honoured.

use std::sync::Arc;

use reqwest::header::{CONTENT_DISPOSITION, RANGE};
use tokio::sync::watch;

use super::response::{content_range, http_error, media_type};
use super::{Clients, Requester, access::Access, custom_headers};
use crate::engine::category::Category;
use crate::engine::error::{ErrorStatus, TransferError};
use crate::engine::filename;
use crate::engine::operation::Snapshot;
use crate::engine::options::Options;
use crate::engine::progress::Live;
use crate::engine::run::{Interrupt, Stop};

/// What the server said about the file at an address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inspection {
    /// The address the answer came from, after redirects.
    pub url: String,
    /// The name the file would be saved under (the server's
    /// `Content-Disposition`, else the address's last segment).
    pub name: String,
    pub size: Option<u64>,
    /// `video/mp4`, without parameters.
    pub media_type: Option<String>,
    /// The kind of file the download would be filed under.
    pub category: Category,
    /// The server honours ranges: a pause, a lost network or a crash continues
    /// where it stopped, and the download can use several connections.
    pub resumable: bool,
}

pub(crate) async fn inspect(
    options: &Options,
    clients: &Clients,
    access: Arc<Access>,
    snapshot: &Snapshot,
) -> Result<Inspection, TransferError> {
    let url = reqwest::Url::parse(&snapshot.url)
        .map_err(|e| TransferError::new(ErrorStatus::BadRequest, e.to_string()))?;
    let (_keep, stop) = watch::channel(Stop::None);
    let mut requester = Requester {
        access,
        timeout: options.timeouts.response,
        live: Arc::new(Live::new(0, None)),
        stop,
    };
    let request = clients
        .whole
        .get(url)
        .headers(custom_headers(&snapshot.headers))
        .header(RANGE, "bytes=0-0");
    let response = requester
        .send(request)
        .await
        .map_err(|interrupt| match interrupt {
            Interrupt::Fail(error) => error,
            Interrupt::Stop(_) => TransferError::new(ErrorStatus::Unknown, "stopped"),
        })?;
    let status = response.status();
    if !status.is_success() {
        return Err(http_error(&response));
    }
    let range = content_range(&response);
    let resumable = status == reqwest::StatusCode::PARTIAL_CONTENT && range.is_some();
    let size = match range {
        Some(range) => range.total,
        // A server that ignored the range sends the whole file: its length.
        None => response.content_length(),
    };
    let disposition = response
        .headers()
        .get(CONTENT_DISPOSITION)
        .and_then(|v| v.to_str().ok());
    let media_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(media_type);
    // (The kind of file is the engine's to tell, from its rules.)
    // The answer is dropped unread: a server that ignored the range closes
    // with the rest of its file unsent.
    Ok(Inspection {
        url: response.url().to_string(),
        name: filename::choose(disposition, response.url()),
        size,
        media_type,
        category: Category::Other,
        resumable,
    })
}
