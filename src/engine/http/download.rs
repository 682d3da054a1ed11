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

use super::response::{changed, content_range, error_page_instead_of, http_error, validators_of};
use super::segmented::count::{Count, Mode};
use super::{Interrupt, segmented};
use crate::engine::error::{ErrorStatus, TransferError};
use crate::engine::hosts;
use crate::engine::http::HttpContext;
use crate::engine::operation::{Segment, Snapshot, Validators, part_path};
use crate::engine::run::RunEnd;
use crate::engine::sink::Sink;
use crate::engine::stall::StallWatch;
use crate::engine::{filename, integrity};

/// Run one attempt of a download.
pub(super) async fn run(context: &mut HttpContext<'_>, snapshot: Snapshot) -> RunEnd {
    if !snapshot.segments.is_empty() {
        return match resume_segmented(context, &snapshot) {
            Ok(setup) => run_segmented(context, setup).await,
            Err(error) => RunEnd::Failed(error),
        };
    }
    let mut download = match Download::new(context, &snapshot) {
        Ok(download) => download,
        Err(error) => return RunEnd::Failed(error),
    };
    let result = download.run(&snapshot).await;
    match result {
        Ok(Outcome::Done(bytes)) => RunEnd::Completed { bytes },
        Ok(Outcome::Segmented(setup)) => {
            drop(download);
            run_segmented(context, setup).await
        }
        Err(Interrupt::Stop(stop)) => {
            if stop.keeps_progress() {
                download.sink.final_checkpoint(download.context).await;
            }
            RunEnd::Stopped
        }
        Err(Interrupt::Fail(error)) => {
            download.sink.final_checkpoint(download.context).await;
            RunEnd::Failed(error)
        }
    }
}

/// How a run's first part ended.
enum Outcome {
    /// The whole body is synced: this many bytes.
    Done(u64),
    /// The server serves ranges of a file large enough: go on over several
    /// connections.
    Segmented(Box<segmented::Setup>),
}

async fn run_segmented(context: &mut HttpContext<'_>, setup: Box<segmented::Setup>) -> RunEnd {
    match segmented::run(context, *setup).await {
        Ok(bytes) => RunEnd::Completed { bytes },
        Err(Interrupt::Stop(_)) => RunEnd::Stopped,
        Err(Interrupt::Fail(error)) => RunEnd::Failed(error),
    }
}

/// The segments recorded by an earlier run, to be finished.
fn resume_segmented(
    context: &HttpContext<'_>,
    snapshot: &Snapshot,
) -> Result<Box<segmented::Setup>, TransferError> {
    let invalid = |what: &str| TransferError::new(ErrorStatus::Unknown, what.to_owned());
    let url = Url::parse(&snapshot.url).map_err(|_| invalid("stored URL is invalid"))?;
    let destination = snapshot
        .destination
        .as_deref()
        .ok_or_else(|| invalid("a segmented download without a destination"))?;
    let total = snapshot
        .total
        .ok_or_else(|| invalid("a segmented download without a size"))?;
    let mode = mode(context, snapshot);
    Ok(Box::new(segmented::Setup {
        url,
        headers: super::custom_headers(&snapshot.headers),
        part: part_path(destination),
        total,
        validators: snapshot.validators.clone(),
        segments: snapshot.segments.clone(),
        mode,
        // A resumed download starts again with two.
        count: Count::new(mode, 2, total),
        first: None,
    }))
}

/// How many connections this download uses: the count it asks (or the
/// settings'), else found by measuring up to the per-host setting; never more
/// than its host was seen to accept.
fn mode(context: &HttpContext<'_>, snapshot: &Snapshot) -> Mode {
    let cap = Url::parse(&snapshot.url)
        .ok()
        .and_then(|url| context.hosts().learned(&hosts::key(&url)))
        .unwrap_or(usize::MAX);
    let options = context.options();
    match snapshot.connections.or(options.connections) {
        Some(asked) => Mode::Fixed(usize::from(asked.max(1)).min(cap)),
        None => Mode::Adaptive {
            ceiling: usize::from(options.connections_per_host.max(1)).min(cap),
        },
    }
}

/// The most connections `mode` may use.
fn most(mode: Mode) -> usize {
    match mode {
        Mode::Fixed(count) => count,
        Mode::Adaptive { ceiling } => ceiling,
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

struct Download<'a, 'b> {
    context: &'a mut HttpContext<'b>,
    url: Url,
    headers: HeaderMap,
    destination: Option<PathBuf>,
    sink: Sink,
    mode: Mode,
    /// This download's connection, counted against its host from the first
    /// request: the host's limit holds for downloads still on one stream too.
    host: Option<hosts::HostConnection>,
}

impl<'a, 'b> Download<'a, 'b> {
    fn new(context: &'a mut HttpContext<'b>, snapshot: &Snapshot) -> Result<Self, TransferError> {
        let url = Url::parse(&snapshot.url).map_err(|e| {
            TransferError::new(ErrorStatus::Unknown, format!("stored URL is invalid: {e}"))
        })?;
        let headers = super::custom_headers(&snapshot.headers);
        let mode = mode(context, snapshot);
        Ok(Self {
            context,
            url,
            headers,
            destination: snapshot.destination.clone(),
            sink: Sink::new(snapshot),
            mode,
            host: None,
        })
    }

    /// The number of bytes in the synced `.part` when the body is complete, or the
    /// hand-over to a segmented run.
    async fn run(&mut self, snapshot: &Snapshot) -> Result<Outcome, Interrupt> {
        let mut offset = 0;
        if let Some(destination) = &self.destination {
            offset = self
                .sink
                .open(&part_path(destination), snapshot.bytes)
                .await?;
        }
        if offset == 0 {
            self.sink.validators = Validators::default();
            self.sink.total = None;
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
                        self.sink.truncate_to_zero(self.context).await?;
                    }
                    break response;
                }
                Plan::AlreadyComplete => return Ok(Outcome::Done(self.sink.finish(offset).await?)),
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
                    self.sink.truncate_to_zero(self.context).await?;
                }
            }
        };
        self.accept(&response).await?;
        let splittable = offset == 0
            && response.status() == StatusCode::PARTIAL_CONTENT
            && self.sink.total.is_some_and(|t| t >= segmented::MIN_SIZE)
            && self.destination.is_some();
        // A fixed count splits at once; a count to be found starts as one plain
        // stream (the fastest way for one connection) and splits when measuring
        // says a second connection may pay.
        let mut count = match self.mode {
            Mode::Fixed(n) if splittable && n > 1 => {
                let count = Count::new(self.mode, 1, self.sink.total.unwrap_or(0));
                let setup = self.split_setup(vec![], count, response);
                return Ok(Outcome::Segmented(setup));
            }
            Mode::Adaptive { ceiling } if splittable && ceiling > 1 => {
                Some(Count::new(self.mode, 1, self.sink.total.unwrap_or(0)))
            }
            _ => None,
        };
        if let Some(response) = self.stream(response, count.as_mut()).await? {
            let position = self.sink.hand_over().await?;
            let total = self.sink.total.unwrap_or(position);
            let parts = vec![Segment {
                start: 0,
                end: total,
                done: position,
            }];
            let count = count.expect("only a count hands over");
            return Ok(Outcome::Segmented(self.split_setup(parts, count, response)));
        }
        let end = self.sink.flush().await?;
        if let Some(total) = self.sink.total.filter(|t| *t != end) {
            return Err(TransferError::new(
                ErrorStatus::InvalidResponse,
                format!("the server ended the body after {end} of {total} bytes"),
            )
            .into());
        }
        Ok(Outcome::Done(self.sink.finish(end).await?))
    }

    /// Go on over several connections: `parts` so far (none: split the file for
    /// a fixed count), `response` running for the first part.
    fn split_setup(
        &mut self,
        parts: Vec<Segment>,
        count: Count,
        response: Response,
    ) -> Box<segmented::Setup> {
        let total = self.sink.total.unwrap_or(0);
        let segments = match (parts.is_empty(), self.mode) {
            (true, Mode::Fixed(n)) => segmented::split(total, n),
            (true, Mode::Adaptive { .. }) => segmented::split(total, 1),
            (false, _) => parts,
        };
        Box::new(segmented::Setup {
            url: self.url.clone(),
            headers: self.headers.clone(),
            part: part_path(self.destination.as_ref().expect("splittable")),
            total,
            validators: self.sink.validators.clone(),
            segments,
            mode: self.mode,
            count,
            first: Some((response, self.host.take())),
        })
    }

    /// Send the request for everything from `offset` on.
    async fn request(&mut self, offset: u64) -> Result<Response, Interrupt> {
        if self.host.is_none() {
            self.host = Some(self.context.hosts().connect(&hosts::key(&self.url)));
        }
        let mut request = self
            .context
            .client()
            .get(self.url.clone())
            .headers(self.headers.clone());
        // Asking for a range from the start tells whether the server serves parts.
        if offset > 0 || most(self.mode) > 1 {
            request = request.header(header::RANGE, format!("bytes={offset}-"));
            if let Some(validator) = self.sink.validators.if_range() {
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
            if offset > 0 && changed(&self.sink.validators, &validators) {
                return Ok(Plan::AskAgainFromZero("the resource changed on the server"));
            }
            if offset > 0
                && self.sink.total.is_some()
                && range.total.is_some()
                && self.sink.total != range.total
            {
                return Ok(Plan::AskAgainFromZero(
                    "the resource changed size on the server",
                ));
            }
            return Ok(Plan::Continue(response));
        }
        if status.is_success() {
            if offset > 0
                && let Some(error) = error_page_instead_of(&self.sink.validators, &validators)
            {
                return Err(error);
            }
            return Ok(Plan::FromZero(response));
        }
        if status == StatusCode::RANGE_NOT_SATISFIABLE && offset > 0 {
            let size = content_range(&response).and_then(|r| r.total);
            let same = size == Some(offset) && self.sink.total.is_none_or(|t| t == offset);
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
        let partial = response.status() == StatusCode::PARTIAL_CONTENT;
        let held = std::mem::take(&mut self.sink.validators);
        self.sink.validators = validators_of(response);
        // A 206 continues the version held: its digest, unless it says one itself,
        // and its media type.
        self.sink.validators.digest = integrity::announced(response.headers(), !partial)
            .or(if partial { held.digest } else { None });
        if partial && held.content_type.is_some() {
            self.sink.validators.content_type = held.content_type;
        }
        self.sink.total = if response.status() == StatusCode::PARTIAL_CONTENT {
            content_range(response).and_then(|r| r.total)
        } else {
            response.content_length()
        };
        self.context.live().set_total(self.sink.total);
        if !self.sink.is_open() {
            let disposition = response
                .headers()
                .get(header::CONTENT_DISPOSITION)
                .and_then(|v| v.to_str().ok());
            let name = filename::choose(disposition, response.url());
            let media_type = self.sink.validators.content_type.clone();
            let destination = self
                .context
                .claim_destination(&name, media_type.as_deref())
                .await?;
            self.sink.open(&part_path(&destination), 0).await?;
            self.destination = Some(destination);
        }
        self.sink.record(self.context).await?;
        Ok(())
    }

    /// Write the body to the end; or, when `count` asks for more connections,
    /// stop between two chunks and give the rest of the answer back.
    async fn stream(
        &mut self,
        mut response: Response,
        mut count: Option<&mut Count>,
    ) -> Result<Option<Response>, Interrupt> {
        let mut stall = StallWatch::new(self.context.options().timeouts.stall);
        let pace = self.context.pace();
        loop {
            let next = tokio::select! {
                biased;
                stop = self.context.stopped() => return Err(Interrupt::Stop(stop)),
                next = tokio::time::timeout(stall.remaining(), response.chunk()) => next,
            };
            let chunk = match next {
                Err(_) => return Err(stall.error().into()),
                Ok(Err(error)) => return Err(TransferError::from_reqwest(error).into()),
                Ok(Ok(None)) => return Ok(None),
                Ok(Ok(Some(chunk))) => chunk,
            };
            stall.saw(chunk.len());
            let position = self.sink.position();
            if let Some(total) = self.sink.total
                && position + chunk.len() as u64 > total
            {
                return Err(TransferError::new(
                    ErrorStatus::InvalidResponse,
                    format!("the server sent more than the {total} bytes it announced"),
                )
                .into());
            }
            // Under a bandwidth limit, wait before reading on: the socket's buffers
            // fill and the server slows down.
            tokio::select! {
                biased;
                stop = self.context.stopped() => return Err(Interrupt::Stop(stop)),
                () = pace.take(chunk.len() as u64) => {}
            }
            self.sink.write(self.context, &chunk).await?;
            if let Some(count) = count.as_deref_mut()
                && count
                    .observe(Instant::now(), self.context.live().bytes(), 1)
                    .is_some()
            {
                return Ok(Some(response));
            }
        }
    }
}
