//! Segmented downloads: the file split into parts fetched over several connections
//! and written in place, for servers that serve ranges of a file of known size.
//!
//! Crash safety follows the single-connection rules, per segment: a segment's
//! `done` in the store only ever covers bytes already synced, so after a kill each
//! segment resumes from its own checkpoint. A connection that finishes its segment
//! takes over half of the largest one still running (the other connection stops
//! where the new one starts), so the connections end together.

use std::os::unix::fs::FileExt as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use futures_util::StreamExt as _;
use futures_util::stream::FuturesUnordered;
use reqwest::header::{self, HeaderMap};
use reqwest::{Response, StatusCode, Url};

use super::response::{changed, content_range, validators_of};
use super::{Interrupt, Requester, seconds};
use crate::engine::error::{ErrorStatus, TransferError};
use crate::engine::operation::{Segment, Validators};
use crate::engine::pace::Pace;
use crate::engine::progress::Live;
use crate::engine::run::RunContext;

/// Below this, one connection does as well: no split.
pub const MIN_SIZE: u64 = 4 << 20;
/// A running segment is split only when this much or more is left of it.
const MIN_STEAL: u64 = 2 << 20;
/// Bytes a connection gathers before one positioned write.
const WRITE_BYTES: usize = 1 << 20;

/// Everything a segmented run needs.
#[derive(Debug)]
pub struct Setup {
    pub url: Url,
    pub headers: HeaderMap,
    pub part: PathBuf,
    pub total: u64,
    pub validators: Validators,
    pub segments: Vec<Segment>,
    pub connections: usize,
    /// An answer already running from byte 0 (the first request of a fresh
    /// download); it serves the first segment.
    pub first: Option<Response>,
}

/// How hosts are told apart for their connection caps.
pub fn host_key(url: &Url) -> String {
    format!(
        "{}:{}",
        url.host_str().unwrap_or(""),
        url.port_or_known_default().unwrap_or(0)
    )
}

/// `total` bytes in `count` segments of nearly equal size.
pub fn split(total: u64, count: usize) -> Vec<Segment> {
    let count = (count as u64).clamp(1, (total / MIN_STEAL).max(1));
    let size = total.div_ceil(count);
    (0..count)
        .map(|i| Segment {
            start: i * size,
            end: ((i + 1) * size).min(total),
            done: 0,
        })
        .filter(|s| s.start < s.end)
        .collect()
}

/// Download the rest of every segment; the file's size when all are synced.
pub async fn run(context: &mut RunContext, mut setup: Setup) -> Result<u64, Interrupt> {
    let file = open(&setup.part, setup.total).await?;
    context
        .record_segments(
            setup.segments.clone(),
            setup.total,
            setup.validators.clone(),
        )
        .await?;
    let shared = Arc::new(Shared {
        slots: Mutex::new(
            setup
                .segments
                .iter()
                .map(|s| Slot {
                    start: s.start,
                    end: s.end,
                    written: s.done,
                    reached: s.start + s.done,
                    busy: false,
                })
                .collect(),
        ),
        file,
        url: setup.url.clone(),
        headers: setup.headers.clone(),
        total: setup.total,
        validators: setup.validators.clone(),
        live: context.live_handle(),
        pace: context.pace(),
        stall: context.options().timeouts.stall,
        client: context.client().clone(),
        changed: AtomicBool::new(false),
        working: AtomicUsize::new(0),
        receiving: AtomicUsize::new(0),
        allowed: AtomicUsize::new(setup.connections.max(1)),
        refused_beyond: AtomicUsize::new(0),
    });
    let done: u64 = setup.segments.iter().map(|s| s.done).sum();
    context.live().set_total(Some(setup.total));
    context.live().set_bytes(done);

    let mut workers = FuturesUnordered::new();
    let first = setup.first.take();
    if first.is_some() {
        shared.lock()[0].busy = true;
    }
    let mut first = first.map(|response| (0, response));
    for _ in 0..setup.connections.max(1) {
        let shared = Arc::clone(&shared);
        let requester = context.requester();
        let start = first.take();
        workers.push(async move { shared.work(requester, start).await });
    }
    let interval = context.options().checkpoint_interval;
    let mut last_checkpoint = Instant::now();
    let result = loop {
        let tick = tokio::time::sleep(interval.saturating_sub(last_checkpoint.elapsed()));
        tokio::select! {
            ended = workers.next() => match ended {
                None => break Ok(()),
                Some(Ok(())) => {}
                Some(Err(interrupt)) => break Err(interrupt),
            },
            () = tick => {
                last_checkpoint = Instant::now();
                if let Err(e) = checkpoint(context, &shared).await {
                    break Err(e.into());
                }
            }
        }
    };
    drop(workers);
    let refused_beyond = shared.refused_beyond.load(Ordering::Relaxed);
    if refused_beyond > 0 {
        context
            .lower_host_cap(&host_key(&setup.url), refused_beyond)
            .await;
    }
    if shared.changed.load(Ordering::Relaxed) {
        // The next attempt starts again from zero, in one piece.
        tracing::warn!(id = %context.id(), "the file changed on the server; starting again");
        context
            .record_segments(Vec::new(), setup.total, Validators::default())
            .await?;
        return result.map(|()| setup.total);
    }
    let recorded = checkpoint(context, &shared).await;
    result?;
    recorded?;
    // Every connection has stopped: the parts must meet, or the file has holes.
    let missing: u64 = shared
        .lock()
        .iter()
        .map(|s| (s.end - s.start).saturating_sub(s.written))
        .sum();
    if missing > 0 {
        return Err(TransferError::new(
            ErrorStatus::InvalidResponse,
            format!("{missing} bytes of the file are still missing"),
        )
        .into());
    }
    Ok(setup.total)
}

/// The `.part`, as long as the file (sparse where nothing is written yet).
async fn open(part: &std::path::Path, total: u64) -> Result<Arc<std::fs::File>, TransferError> {
    let part = part.to_owned();
    tokio::task::spawn_blocking(move || {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(&part)?;
        if file.metadata()?.len() < total {
            file.set_len(total)?;
        }
        Ok(Arc::new(file))
    })
    .await
    .unwrap_or_else(|e| Err(std::io::Error::other(e)))
    .map_err(|e: std::io::Error| TransferError::io("opening the partial file", &e))
}

/// Sync what the connections wrote, then record it.
async fn checkpoint(context: &RunContext, shared: &Shared) -> Result<(), TransferError> {
    let segments: Vec<Segment> = shared
        .lock()
        .iter()
        .map(|s| Segment {
            start: s.start,
            end: s.end,
            done: s.written,
        })
        .collect();
    let file = Arc::clone(&shared.file);
    tokio::task::spawn_blocking(move || file.sync_data())
        .await
        .unwrap_or_else(|e| Err(std::io::Error::other(e)))
        .map_err(|e| TransferError::io("syncing the partial file", &e))?;
    context
        .record_segments(segments, shared.total, shared.validators.clone())
        .await
}

/// Why a connection stopped filling its segment.
enum Refusal {
    /// The server wants fewer connections: this one ends, the download goes on.
    Crowded,
    Interrupt(Interrupt),
}

impl<T: Into<Interrupt>> From<T> for Refusal {
    fn from(interrupt: T) -> Self {
        Self::Interrupt(interrupt.into())
    }
}

#[derive(Debug)]
struct Slot {
    start: u64,
    end: u64,
    /// Written to the file, from `start` on.
    written: u64,
    /// Where the connection's next byte goes (written, plus gathered for the
    /// next write).
    reached: u64,
    busy: bool,
}

impl Slot {
    fn left(&self) -> u64 {
        self.end.saturating_sub(self.reached)
    }
}

#[derive(Debug)]
struct Shared {
    slots: Mutex<Vec<Slot>>,
    file: Arc<std::fs::File>,
    url: Url,
    headers: HeaderMap,
    total: u64,
    validators: Validators,
    live: Arc<Live>,
    pace: Pace,
    stall: std::time::Duration,
    client: reqwest::Client,
    /// The server changed the file: what is on disk is of no use.
    changed: AtomicBool,
    /// Connections at work now, those receiving a body, and how many may work.
    working: AtomicUsize,
    receiving: AtomicUsize,
    allowed: AtomicUsize,
    /// A host refused a connection beyond this many (0: none refused).
    refused_beyond: AtomicUsize,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Slot>> {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// One connection: fill segments until none is left to take, or the server
    /// refuses this many connections.
    async fn work(
        &self,
        mut requester: Requester,
        mut start: Option<(usize, Response)>,
    ) -> Result<(), Interrupt> {
        self.working.fetch_add(1, Ordering::SeqCst);
        let result = async {
            loop {
                if self.working.load(Ordering::SeqCst) > self.allowed.load(Ordering::SeqCst) {
                    return Ok(());
                }
                let (index, response) = match start.take() {
                    Some((index, response)) => (index, Some(response)),
                    None => match self.claim() {
                        Some(index) => (index, None),
                        None => return Ok(()),
                    },
                };
                let filled = self.fill(&mut requester, index, response).await;
                self.lock()[index].busy = false;
                match filled {
                    Ok(()) => {}
                    Err(Refusal::Crowded) => return Ok(()),
                    Err(Refusal::Interrupt(interrupt)) => return Err(interrupt),
                }
            }
        }
        .await;
        self.working.fetch_sub(1, Ordering::SeqCst);
        result
    }

    /// The server turned this connection away while others work: there are more
    /// than it accepts. This one stops; its part goes to the others.
    fn crowded(&self, error: &TransferError) -> bool {
        let refusal = matches!(error.http_status, Some(403 | 429 | 503));
        let others = self.receiving.load(Ordering::SeqCst);
        if !refusal || others == 0 {
            return false;
        }
        self.allowed.store(others, Ordering::SeqCst);
        let previous = self.refused_beyond.load(Ordering::SeqCst);
        if previous == 0 || others < previous {
            self.refused_beyond.store(others, Ordering::SeqCst);
        }
        true
    }

    /// A segment nobody works on, else the second half of the one with the most
    /// left.
    fn claim(&self) -> Option<usize> {
        let mut slots = self.lock();
        if let Some(index) = slots.iter().position(|s| !s.busy && s.left() > 0) {
            slots[index].busy = true;
            return Some(index);
        }
        let (index, left) = slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.busy)
            .map(|(i, s)| (i, s.left()))
            .max_by_key(|(_, left)| *left)?;
        if left < MIN_STEAL {
            return None;
        }
        let victim = &mut slots[index];
        let middle = victim.reached + left / 2;
        let end = victim.end;
        victim.end = middle;
        slots.push(Slot {
            start: middle,
            end,
            written: 0,
            reached: middle,
            busy: true,
        });
        Some(slots.len() - 1)
    }

    /// Fetch the rest of segment `index`, from `response` if one is running already.
    async fn fill(
        &self,
        requester: &mut Requester,
        index: usize,
        response: Option<Response>,
    ) -> Result<(), Refusal> {
        let (from, to) = {
            let slots = self.lock();
            let slot = &slots[index];
            (slot.start + slot.written, slot.end)
        };
        if from >= to {
            return Ok(());
        }
        let response = match response {
            Some(response) => response,
            None => self.request(requester, from, to).await?,
        };
        self.receiving.fetch_add(1, Ordering::SeqCst);
        let received = self.receive(requester, index, from, response).await;
        self.receiving.fetch_sub(1, Ordering::SeqCst);
        received
    }

    /// Write the body of `response`, which starts at `from`, into segment `index`.
    async fn receive(
        &self,
        requester: &mut Requester,
        index: usize,
        from: u64,
        mut response: Response,
    ) -> Result<(), Refusal> {
        let mut gathered: Vec<u8> = Vec::with_capacity(WRITE_BYTES);
        let mut at = from;
        loop {
            let next = tokio::select! {
                biased;
                stop = requester.stopped() => return Err(Interrupt::Stop(stop).into()),
                next = tokio::time::timeout(self.stall, response.chunk()) => next,
            };
            let chunk = match next {
                Err(_) => {
                    return Err(TransferError::new(
                        ErrorStatus::Timeout,
                        format!("no data received for {}", seconds(self.stall)),
                    )
                    .into());
                }
                Ok(Err(error)) => return Err(TransferError::from_reqwest(error).into()),
                Ok(Ok(None)) => {
                    return Err(TransferError::new(
                        ErrorStatus::InvalidResponse,
                        "the server ended a part of the file early",
                    )
                    .into());
                }
                Ok(Ok(Some(chunk))) => chunk,
            };
            // The end may have moved: another connection took over the rest.
            let (take, end) = {
                let mut slots = self.lock();
                let slot = &mut slots[index];
                let take = (chunk.len() as u64).min(slot.end.saturating_sub(slot.reached));
                slot.reached += take;
                (take as usize, slot.end)
            };
            tokio::select! {
                biased;
                stop = requester.stopped() => return Err(Interrupt::Stop(stop).into()),
                () = self.pace.take(take as u64) => {}
            }
            gathered.extend_from_slice(&chunk[..take]);
            self.live.add_bytes(take as u64);
            let finished = at + gathered.len() as u64 >= end;
            if gathered.len() >= WRITE_BYTES || finished {
                gathered = self.write(index, at, gathered).await?;
                at = {
                    let slots = self.lock();
                    slots[index].start + slots[index].written
                };
            }
            if finished {
                return Ok(());
            }
        }
    }

    /// A ranged request for `from..to`, answered with exactly that range of the
    /// version being downloaded.
    async fn request(
        &self,
        requester: &mut Requester,
        from: u64,
        to: u64,
    ) -> Result<Response, Refusal> {
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
            let error = super::response::http_error(&response);
            if self.crowded(&error) {
                tracing::info!(
                    status = error.http_status,
                    "the server refuses one more connection"
                );
                return Err(Refusal::Crowded);
            }
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

    /// Write `bytes` at `at` (segment `index` continues there); the buffer back.
    async fn write(&self, index: usize, at: u64, bytes: Vec<u8>) -> Result<Vec<u8>, Interrupt> {
        let file = Arc::clone(&self.file);
        let mut bytes =
            tokio::task::spawn_blocking(move || file.write_all_at(&bytes, at).map(|()| bytes))
                .await
                .unwrap_or_else(|e| Err(std::io::Error::other(e)))
                .map_err(|e| TransferError::io("writing the partial file", &e))?;
        self.lock()[index].written += bytes.len() as u64;
        bytes.clear();
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_split_covers_the_file_once() {
        let parts = split(64 << 20, 4);
        assert_eq!(parts.len(), 4);
        assert_eq!(parts[0].start, 0);
        assert_eq!(parts[3].end, 64 << 20);
        for pair in parts.windows(2) {
            assert_eq!(pair[0].end, pair[1].start);
        }
        // Small files get fewer parts.
        assert_eq!(split(3 << 20, 8).len(), 1);
        assert_eq!(split((4 << 20) + 1, 8).len(), 2);
    }
}
