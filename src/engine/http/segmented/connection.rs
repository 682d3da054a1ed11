//! One connection of a segmented download: it takes a part, asks for its range,
//! writes what arrives in place, and takes the next part until none is left — or
//! it is told to leave (fewer connections wanted, a reader waiting elsewhere, the
//! server turning it away).

use std::os::unix::fs::FileExt as _;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use reqwest::header::{self, HeaderMap};
use reqwest::{Response, StatusCode, Url};

use super::slots::Slots;
use crate::engine::error::{ErrorStatus, TransferError};
use crate::engine::hosts::HostConnection;
use crate::engine::http::response::{
    changed, content_range, error_page_instead_of, http_error, validators_of,
};
use crate::engine::http::{Interrupt, Requester};
use crate::engine::operation::Validators;
use crate::engine::pace::Pace;
use crate::engine::progress::Live;
use crate::engine::stall::StallWatch;

/// Bytes a connection gathers before one positioned write.
const WRITE_BYTES: usize = 1 << 20;
/// The longest received bytes wait before they are written: once written they
/// survive the agent being killed (`engine/written.rs`), gathered they are lost.
const WRITE_AGE: Duration = Duration::from_millis(10);
/// A connection's first request asks for this much of its part at most.
const FIRST_REQUEST: u64 = 4 << 20;
/// Later requests ask for what this connection fetches in this long, or in
/// `REQUEST_PER_WAIT` times its last wait for an answer if longer: one idle
/// round trip a request costs a twentieth of its time on a long link.
const REQUEST_SPAN: Duration = Duration::from_millis(250);
const REQUEST_PER_WAIT: u32 = 20;
const MIN_REQUEST: u64 = 1 << 20;
const MAX_REQUEST: u64 = 64 << 20;

/// The parts, and how many connections work on them: changed together, under one
/// lock, so a connection leaving and one finding nothing to take cannot both
/// think the other stays.
#[derive(Debug)]
pub(super) struct Table {
    pub slots: Slots,
    pub working: usize,
    /// Of those, connections on their way out (writing what they gathered).
    pub leaving: usize,
}

impl Table {
    fn staying(&self) -> usize {
        self.working - self.leaving
    }
}

/// A host turned a connection away while this many others received.
#[derive(Debug, Clone, Copy)]
pub(super) struct Refusal {
    pub working: usize,
    pub retry_after: Option<Duration>,
}

/// What the connections of one download share.
#[derive(Debug)]
pub(super) struct Shared {
    pub table: Mutex<Table>,
    pub file: Arc<std::fs::File>,
    pub url: Url,
    pub headers: HeaderMap,
    pub total: u64,
    pub validators: Validators,
    pub live: Arc<Live>,
    pub pace: Pace,
    pub stall: Duration,
    pub client: reqwest::Client,
    /// The server changed the file: what is on disk is of no use.
    pub changed: AtomicBool,
    /// Connections receiving a body now, and how many may work.
    pub receiving: AtomicUsize,
    pub allowed: AtomicUsize,
    /// The latest refusal, for the run to act on.
    pub refusal: Mutex<Option<Refusal>>,
}

/// How much of its part a connection asks for in one request, from how fast
/// its last one came.
#[derive(Debug, Clone, Copy)]
struct RequestSize(u64);

impl RequestSize {
    fn new() -> Self {
        Self(FIRST_REQUEST)
    }

    /// A request's body brought `bytes` in `took`, after `waited` for its answer.
    fn measured(&mut self, bytes: u64, waited: Duration, took: Duration) {
        if bytes < MIN_REQUEST / 2 || took.is_zero() {
            return; // too little to tell
        }
        let speed = bytes as f64 / took.as_secs_f64();
        let span = REQUEST_SPAN.max(waited * REQUEST_PER_WAIT);
        self.0 = ((speed * span.as_secs_f64()) as u64).clamp(MIN_REQUEST, MAX_REQUEST);
    }
}

/// Why a connection stopped filling its part.
enum Leave {
    /// It goes back to taking parts (its part is done, or it gave it up).
    Next,
    /// Its request is answered and its part goes on: it asks for more.
    More,
    /// It stops working: fewer connections are wanted, or the server refused it.
    Stop,
    Interrupt(Interrupt),
}

impl<T: Into<Interrupt>> From<T> for Leave {
    fn from(interrupt: T) -> Self {
        Self::Interrupt(interrupt.into())
    }
}

impl Shared {
    pub(super) fn lock(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Count a connection about to start [`work`].
    pub(super) fn enlist(&self) {
        self.lock().working += 1;
    }
}

/// One connection: fill parts until none is left to take or it is told to leave.
/// `start`: a part it holds already, and the answer running for it. It must have
/// been [`Shared::enlist`]ed; it counts against its host while it works.
pub(super) async fn work(
    shared: Arc<Shared>,
    requester: Requester,
    _host: HostConnection,
    start: Option<(usize, Response)>,
) -> Result<(), Interrupt> {
    shared.work(requester, start).await
}

impl Shared {
    async fn work(
        &self,
        mut requester: Requester,
        mut start: Option<(usize, Response)>,
    ) -> Result<(), Interrupt> {
        let mut size = RequestSize::new();
        loop {
            let (index, response) = match start.take() {
                Some((index, response)) => (index, Some(response)),
                None => {
                    let mut table = self.lock();
                    let index = if table.staying() > self.allowed.load(Ordering::SeqCst) {
                        None
                    } else {
                        table.slots.claim(self.live.wanted())
                    };
                    let Some(index) = index else {
                        table.working -= 1;
                        return Ok(());
                    };
                    (index, None)
                }
            };
            match self.fill(&mut requester, index, response, &mut size).await {
                Leave::Next | Leave::More => {
                    let mut table = self.lock();
                    table.slots.release(index);
                }
                Leave::Stop => return Ok(()),
                Leave::Interrupt(interrupt) => {
                    let mut table = self.lock();
                    table.slots.release(index);
                    table.working -= 1;
                    return Err(interrupt);
                }
            }
        }
    }

    /// Fetch the rest of part `index`, from `response` if one is running already
    /// (it runs to the part's end), else a bounded range at a time.
    async fn fill(
        &self,
        requester: &mut Requester,
        index: usize,
        mut response: Option<Response>,
        size: &mut RequestSize,
    ) -> Leave {
        loop {
            let (from, to) = {
                let mut table = self.lock();
                let slot = table.slots.get_mut(index);
                let from = slot.resume_at();
                if response.is_some() {
                    slot.asked = slot.end;
                    slot.request = None;
                } else {
                    slot.asked = slot.end.min(from.saturating_add(size.0));
                    slot.request = Some((Instant::now(), from));
                }
                (from, slot.asked)
            };
            if from >= to {
                return Leave::Next;
            }
            let asked_at = Instant::now();
            let response = match response.take() {
                Some(response) => response,
                None => match self.request(requester, index, from, to).await {
                    Ok(response) => response,
                    Err(leave) => return leave,
                },
            };
            let waited = asked_at.elapsed();
            self.receiving.fetch_add(1, Ordering::SeqCst);
            let received = self.receive(requester, index, from, response).await;
            self.receiving.fetch_sub(1, Ordering::SeqCst);
            let reached = self.lock().slots.get(index).reached;
            size.measured(
                reached.saturating_sub(from),
                waited,
                asked_at.elapsed().saturating_sub(waited),
            );
            if !matches!(received, Leave::More) {
                return received;
            }
        }
    }

    /// Write the body of `response`, which starts at `from`, into part `index`.
    async fn receive(
        &self,
        requester: &mut Requester,
        index: usize,
        from: u64,
        mut response: Response,
    ) -> Leave {
        let mut gathered: Vec<u8> = Vec::with_capacity(WRITE_BYTES);
        let mut gathered_since = Instant::now();
        let mut at = from;
        let mut stall = StallWatch::new(self.stall);
        loop {
            let next = tokio::select! {
                biased;
                stop = requester.stopped() => return Interrupt::Stop(stop).into(),
                next = tokio::time::timeout(stall.remaining(), response.chunk()) => next,
            };
            let chunk = match next {
                Err(_) => return stall.error().into(),
                Ok(Err(error)) => return TransferError::from_reqwest(error).into(),
                Ok(Ok(None)) => {
                    return TransferError::new(
                        ErrorStatus::InvalidResponse,
                        "the server ended a part of the file early",
                    )
                    .into();
                }
                Ok(Ok(Some(chunk))) => chunk,
            };
            stall.saw(chunk.len());
            // The end may have moved: another connection took over the rest.
            let (take, end, leave) = {
                let mut table = self.lock();
                let allowed = self.allowed.load(Ordering::SeqCst);
                let retire = table.staying() > allowed;
                if retire {
                    table.leaving += 1;
                }
                let slot = table.slots.get_mut(index);
                let end = slot.end.min(slot.asked);
                let take = (chunk.len() as u64).min(end.saturating_sub(slot.reached));
                slot.reached += take;
                let leave = if retire {
                    Some(Leave::Stop)
                } else if slot.yield_now {
                    Some(Leave::Next)
                } else {
                    None
                };
                (take as usize, end, leave)
            };
            tokio::select! {
                biased;
                stop = requester.stopped() => return Interrupt::Stop(stop).into(),
                () = self.pace.take(take as u64) => {}
            }
            if gathered.is_empty() {
                gathered_since = Instant::now();
            }
            gathered.extend_from_slice(&chunk[..take]);
            self.live.add_bytes(take as u64);
            let finished = at + gathered.len() as u64 >= end;
            let aged = gathered_since.elapsed() >= WRITE_AGE;
            if gathered.len() >= WRITE_BYTES || finished || leave.is_some() || aged {
                gathered = match self.write(index, at, gathered).await {
                    Ok(buffer) => buffer,
                    Err(interrupt) => {
                        if leave.is_some_and(|l| matches!(l, Leave::Stop)) {
                            self.lock().leaving -= 1;
                        }
                        return interrupt.into();
                    }
                };
                at = self.lock().slots.get(index).resume_at();
            }
            if let Some(leave) = leave {
                if matches!(leave, Leave::Stop) {
                    // Released and uncounted at once: whoever looks for a part
                    // next finds this one.
                    let mut table = self.lock();
                    table.slots.release(index);
                    table.working -= 1;
                    table.leaving -= 1;
                }
                return leave;
            }
            if finished {
                let more = self.lock().slots.get(index).end > end;
                if !more {
                    return Leave::Next;
                }
                // Read the answer's end, so its connection can carry the next
                // request (else it is closed with the answer).
                let _ = tokio::time::timeout(stall.remaining(), response.chunk()).await;
                return Leave::More;
            }
        }
    }

    /// A ranged request for `from..to`, answered with exactly that range of the
    /// version being downloaded.
    async fn request(
        &self,
        requester: &mut Requester,
        index: usize,
        from: u64,
        to: u64,
    ) -> Result<Response, Leave> {
        let mut request = self
            .client
            .get(self.url.clone())
            .headers(self.headers.clone())
            .header(header::RANGE, format!("bytes={from}-{}", to - 1));
        if let Some(validator) = self.validators.if_range() {
            request = request.header(header::IF_RANGE, validator);
        }
        let response = requester.send(request).await?;
        if !response.status().is_success() {
            let error = http_error(&response);
            if self.crowded(&error) {
                tracing::info!(
                    status = error.http_status,
                    "the server refuses one more connection"
                );
                let mut table = self.lock();
                table.slots.release(index);
                table.working -= 1;
                return Err(Leave::Stop);
            }
            return Err(error.into());
        }
        if let Some(error) = error_page_instead_of(&self.validators, &validators_of(&response)) {
            return Err(error.into());
        }
        let range = content_range(&response);
        let same = response.status() == StatusCode::PARTIAL_CONTENT
            && range
                .as_ref()
                .is_some_and(|r| r.start == from && r.total.is_none_or(|t| t == self.total))
            && !changed(&self.validators, &validators_of(&response));
        if !same {
            self.changed.store(true, Ordering::Relaxed);
            return Err(TransferError::new(
                ErrorStatus::InvalidResponse,
                "the server changed the file or stopped serving parts of it",
            )
            .into());
        }
        Ok(response)
    }

    /// The server turned this connection away while others receive: there are
    /// more than it accepts. This one stops; its part goes to the others.
    fn crowded(&self, error: &TransferError) -> bool {
        let refusal = matches!(error.http_status, Some(403 | 429 | 503));
        let others = self.receiving.load(Ordering::SeqCst);
        if !refusal || others == 0 {
            return false;
        }
        self.allowed.fetch_min(others, Ordering::SeqCst);
        let mut latest = self.refusal.lock().unwrap_or_else(PoisonError::into_inner);
        if latest.is_none_or(|r| others < r.working) {
            *latest = Some(Refusal {
                working: others,
                retry_after: error.retry_after,
            });
        }
        true
    }

    /// Write `bytes` at `at` (part `index` continues there); the buffer back.
    async fn write(&self, index: usize, at: u64, bytes: Vec<u8>) -> Result<Vec<u8>, Interrupt> {
        if bytes.is_empty() {
            return Ok(bytes);
        }
        let file = Arc::clone(&self.file);
        let mut bytes =
            tokio::task::spawn_blocking(move || file.write_all_at(&bytes, at).map(|()| bytes))
                .await
                .unwrap_or_else(|e| Err(std::io::Error::other(e)))
                .map_err(|e| TransferError::io("writing the partial file", &e))?;
        self.lock().slots.get_mut(index).written += bytes.len() as u64;
        bytes.clear();
        Ok(bytes)
    }
}
