//! Resumable uploads with the tus 1.0.0 protocol (<https://tus.io/protocols/resumable-upload>):
//! creation (`POST` with `Upload-Length` and `Upload-Metadata`), the upload's URL
//! persisted before any byte is sent, `PATCH` in chunks from the offset the server
//! confirmed, `HEAD` to learn that offset after any interruption, and termination
//! (`DELETE`) on cancel.

use base64::Engine as _;
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Response, StatusCode, Url};

use super::body::{check_unchanged, file_body};
use super::response::http_error;
use super::upload::{content_type, file_name};
use super::{Interrupt, capture_response, custom_headers};
use crate::engine::error::{ErrorStatus, TransferError};
use crate::engine::http::HttpContext;
use crate::engine::operation::{Header, Snapshot, Source, Validators};
use crate::engine::run::{Checkpoint, RunEnd};

const TUS_VERSION: &str = "1.0.0";
/// Bytes per `PATCH`: large enough that requests are few, small enough that the
/// server confirms progress often.
const CHUNK: u64 = 16 * 1024 * 1024;

pub(super) async fn run(context: &mut HttpContext<'_>, snapshot: Snapshot) -> RunEnd {
    let mut upload = match Upload::new(context, &snapshot) {
        Ok(upload) => upload,
        Err(error) => return RunEnd::Failed(error),
    };
    match upload.run().await {
        Ok(bytes) => RunEnd::Completed { bytes },
        Err(Interrupt::Stop(stop)) => {
            if stop.keeps_progress() {
                upload.checkpoint().await;
            }
            RunEnd::Stopped
        }
        Err(Interrupt::Fail(error)) => {
            upload.checkpoint().await;
            RunEnd::Failed(error)
        }
    }
}

/// Ask the server to forget an upload (the termination extension); best effort.
pub(crate) async fn terminate(client: reqwest::Client, url: String, headers: Vec<Header>) {
    let request = client
        .delete(&url)
        .headers(custom_headers(&headers))
        .header("Tus-Resumable", TUS_VERSION)
        .timeout(std::time::Duration::from_secs(30));
    match request.send().await {
        Ok(response) => {
            tracing::info!(status = response.status().as_u16(), "tus upload terminated");
        }
        Err(e) => tracing::warn!(error = %TransferError::from_reqwest(e), "tus termination failed"),
    }
}

struct Upload<'a, 'b> {
    context: &'a mut HttpContext<'b>,
    endpoint: Url,
    headers: HeaderMap,
    source: Source,
    /// The upload's own URL, once created.
    url: Option<Url>,
    /// What the server confirmed it holds.
    offset: u64,
    recorded: u64,
    last_checkpoint: std::time::Instant,
}

impl<'a, 'b> Upload<'a, 'b> {
    fn new(context: &'a mut HttpContext<'b>, snapshot: &Snapshot) -> Result<Self, TransferError> {
        let plan = snapshot
            .upload
            .as_ref()
            .ok_or_else(|| TransferError::new(ErrorStatus::Unknown, "not an upload"))?;
        let invalid = |e: <Url as std::str::FromStr>::Err| {
            TransferError::new(ErrorStatus::Unknown, format!("stored URL is invalid: {e}"))
        };
        let endpoint = Url::parse(&snapshot.url).map_err(invalid)?;
        let url = plan
            .tus_url
            .as_deref()
            .map(Url::parse)
            .transpose()
            .map_err(invalid)?;
        Ok(Self {
            context,
            endpoint,
            headers: custom_headers(&snapshot.headers),
            source: plan.sources[0].clone(),
            url,
            offset: snapshot.bytes,
            recorded: snapshot.bytes,
            last_checkpoint: std::time::Instant::now(),
        })
    }

    async fn run(&mut self) -> Result<u64, Interrupt> {
        check_unchanged(&self.source).map_err(|p| p.to_transfer_error())?;
        let size = self.source.size;
        self.context.live().set_total(Some(size));
        self.offset = match self.url.clone() {
            Some(url) => match self.server_offset(&url).await? {
                Some(offset) => offset,
                None => {
                    tracing::warn!(id = %self.context.id(), "the server forgot the upload; starting it again");
                    self.create().await?
                }
            },
            None => self.create().await?,
        };
        self.context.live().set_bytes(self.offset);
        let mut resynced = false;
        let mut last = None;
        while self.offset < size || last.is_none() {
            let url = self.url.clone().expect("created above");
            let response = self.patch(&url).await?;
            match response.status() {
                StatusCode::NO_CONTENT | StatusCode::OK => {
                    let confirmed = upload_offset(&response)
                        .filter(|o| *o > self.offset || (*o == size && self.offset == size))
                        .filter(|o| *o <= size)
                        .ok_or_else(|| {
                            TransferError::new(
                                ErrorStatus::InvalidResponse,
                                "the server confirmed no progress for a PATCH",
                            )
                        })?;
                    self.offset = confirmed;
                    self.context.live().set_bytes(confirmed);
                    last = Some(response);
                    resynced = false;
                    if self.last_checkpoint.elapsed() >= self.context.options().checkpoint_interval
                    {
                        self.checkpoint().await;
                    }
                }
                StatusCode::CONFLICT if !resynced => {
                    // Our offset and the server's disagree: ask it, once.
                    resynced = true;
                    self.offset = self.server_offset(&url).await?.ok_or_else(|| {
                        TransferError::new(
                            ErrorStatus::InvalidResponse,
                            "the upload vanished during a conflict",
                        )
                    })?;
                    self.context.live().set_bytes(self.offset);
                }
                _ => {
                    let error = http_error(&response);
                    let kept = capture_response(self.context, response).await;
                    self.context.record_response(kept).await?;
                    return Err(error.into());
                }
            }
        }
        if let Some(response) = last {
            let kept = capture_response(self.context, response).await;
            self.context.record_response(kept).await?;
        }
        check_unchanged(&self.source).map_err(|_| {
            TransferError::new(
                ErrorStatus::SourceChanged,
                format!(
                    "{} changed while it was being uploaded",
                    self.source.path.display()
                ),
            )
        })?;
        Ok(size)
    }

    /// Check the server's limits, create the upload, and persist its URL.
    async fn create(&mut self) -> Result<u64, Interrupt> {
        self.check_server().await?;
        let metadata = format!(
            "filename {},filetype {}",
            base64::engine::general_purpose::STANDARD.encode(file_name(&self.source.path)),
            base64::engine::general_purpose::STANDARD.encode(content_type(&self.source.path)),
        );
        let request = self
            .context
            .client()
            .post(self.endpoint.clone())
            .headers(self.headers.clone())
            .header("Tus-Resumable", TUS_VERSION)
            .header("Upload-Length", self.source.size)
            .header("Upload-Metadata", metadata)
            .header(header::CONTENT_LENGTH, 0);
        let response = super::send(self.context, request).await?;
        if response.status() != StatusCode::CREATED {
            let error = http_error(&response);
            let kept = capture_response(self.context, response).await;
            self.context.record_response(kept).await?;
            return Err(error.into());
        }
        let location = response
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| self.endpoint.join(v).ok())
            .ok_or_else(|| {
                TransferError::new(
                    ErrorStatus::InvalidResponse,
                    "a tus creation answer without a Location",
                )
            })?;
        self.context
            .record_tus_url(Some(location.to_string()))
            .await?;
        tracing::info!(id = %self.context.id(), "tus upload created");
        self.url = Some(location);
        self.offset = 0;
        self.recorded = 0;
        Ok(0)
    }

    /// `OPTIONS`: refuse early what the server says it cannot take. A server that
    /// does not answer `OPTIONS` is given the benefit of the doubt.
    async fn check_server(&mut self) -> Result<(), Interrupt> {
        let request = self
            .context
            .client()
            .request(reqwest::Method::OPTIONS, self.endpoint.clone())
            .headers(self.headers.clone());
        let response = super::send(self.context, request).await?;
        if !response.status().is_success() {
            return Ok(());
        }
        let text = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        if let Some(versions) = text("Tus-Version")
            && !versions.split(',').any(|v| v.trim() == TUS_VERSION)
        {
            return Err(TransferError::new(
                ErrorStatus::ProtocolNotSupported,
                format!("the server speaks tus {versions}, not {TUS_VERSION}"),
            )
            .into());
        }
        if let Some(extensions) = text("Tus-Extension")
            && !extensions.split(',').any(|e| e.trim() == "creation")
        {
            return Err(TransferError::new(
                ErrorStatus::ProtocolNotSupported,
                "the tus server cannot create uploads (no creation extension)",
            )
            .into());
        }
        if let Some(max) = text("Tus-Max-Size").and_then(|m| m.trim().parse::<u64>().ok())
            && self.source.size > max
        {
            return Err(TransferError::new(
                ErrorStatus::PayloadTooLarge,
                format!(
                    "the server takes uploads of at most {max} bytes; this one has {}",
                    self.source.size
                ),
            )
            .into());
        }
        Ok(())
    }

    /// `HEAD`: the offset the server holds, or `None` if it no longer knows the upload.
    async fn server_offset(&mut self, url: &Url) -> Result<Option<u64>, Interrupt> {
        let request = self
            .context
            .client()
            .head(url.clone())
            .headers(self.headers.clone())
            .header("Tus-Resumable", TUS_VERSION);
        let response = super::send(self.context, request).await?;
        match response.status() {
            StatusCode::NOT_FOUND | StatusCode::GONE | StatusCode::FORBIDDEN => Ok(None),
            status if status.is_success() => upload_offset(&response)
                .filter(|o| *o <= self.source.size)
                .map(Some)
                .ok_or_else(|| {
                    TransferError::new(
                        ErrorStatus::InvalidResponse,
                        "a tus HEAD answer without Upload-Offset",
                    )
                    .into()
                }),
            _ => Err(http_error(&response).into()),
        }
    }

    async fn patch(&mut self, url: &Url) -> Result<Response, Interrupt> {
        let len = CHUNK.min(self.source.size - self.offset);
        let body = file_body(
            &self.source,
            self.offset,
            len,
            self.context.live_handle(),
            self.context.pace(),
        );
        let request = self
            .context
            .client()
            .patch(url.clone())
            .headers(self.headers.clone())
            .header("Tus-Resumable", TUS_VERSION)
            .header("Upload-Offset", self.offset)
            .header(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/offset+octet-stream"),
            )
            .header(header::CONTENT_LENGTH, len)
            .body(body);
        super::send(self.context, request).await
    }

    /// Record the offset the server confirmed (for display and retry accounting;
    /// a restart asks the server anyway).
    async fn checkpoint(&mut self) {
        self.last_checkpoint = std::time::Instant::now();
        if self.offset == self.recorded {
            return;
        }
        let checkpoint = Checkpoint {
            bytes: self.offset,
            total: Some(self.source.size),
            validators: Validators::default(),
        };
        match self.context.checkpoint(checkpoint).await {
            Ok(()) => self.recorded = self.offset,
            Err(e) => {
                tracing::warn!(id = %self.context.id(), error = %e, "cannot record a checkpoint");
            }
        }
    }
}

fn upload_offset(response: &Response) -> Option<u64> {
    response
        .headers()
        .get("Upload-Offset")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}
