//! Segmented downloads: the file split into parts fetched over several connections
//! and written in place, for servers that serve ranges of a file of known size.
//!
//! Crash safety follows the single-connection rules, per part: a part's `done` in
//! the store only ever covers bytes already synced, so after a kill each part
//! resumes from its own checkpoint. A connection that finishes its part takes over
//! half of the largest one still running, so the connections end together.
//!
//! This run also decides how many connections work ([`count`]), within what the
//! host gives ([`crate::engine::hosts`]), and makes way for a reader waiting far
//! ahead of every connection (`ferry cat --offset`).

mod connection;
pub(super) mod count;
mod slots;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use reqwest::header::HeaderMap;
use reqwest::{Response, Url};
use tokio::task::JoinSet;

use self::connection::{Shared, Table};
use self::count::{Count, Mode};
use self::slots::Slots;
pub(super) use self::slots::split;
use super::Interrupt;
use crate::engine::error::{ErrorStatus, TransferError};
use crate::engine::hosts;
use crate::engine::http::HttpContext;
use crate::engine::operation::{Segment, Validators};
use crate::engine::part_file;

/// Below this, one connection does as well: no split.
pub(super) const MIN_SIZE: u64 = 4 << 20;
/// How often the run looks at its connections (count, reader, refusals).
const TICK: Duration = Duration::from_millis(50);
/// How often the parts' written positions are saved for a restart in the same
/// boot (see `engine/written.rs`): about what a crash makes it fetch again (at
/// 25 MiB/s, 250 KiB). A save is one small write to the page cache.
const SAVE_WRITTEN: Duration = Duration::from_millis(10);
/// A reader this close ahead of a connection waits for it rather than get a
/// connection of its own.
const READER_LOOKAHEAD: u64 = 2 << 20;

/// Everything a segmented run needs.
#[derive(Debug)]
pub(super) struct Setup {
    pub url: Url,
    pub headers: HeaderMap,
    pub part: PathBuf,
    pub total: u64,
    pub validators: Validators,
    pub segments: Vec<Segment>,
    pub mode: Mode,
    /// The connection count, as measured so far.
    pub count: Count,
    /// An answer already running for the first part, from where that part
    /// resumes (a fresh download's first request, or a stream handed over),
    /// and its connection's place at the host if counted already.
    pub first: Option<(Response, Option<hosts::HostConnection>)>,
}

/// Download the rest of every part; the file's size when all are synced.
#[expect(
    clippy::too_many_lines,
    reason = "one control loop (workers, checkpoints, refusals, the reader's wishes, the connection count) reads best whole; its steps are functions already"
)]
pub(super) async fn run(context: &mut HttpContext<'_>, setup: Setup) -> Result<u64, Interrupt> {
    let Setup {
        url,
        headers,
        part,
        total,
        validators,
        segments,
        mode,
        mut count,
        first,
    } = setup;
    let file = open(&part, total).await?;
    context
        .record_segments(segments.clone(), Vec::new(), total, validators.clone())
        .await?;
    let shared = Arc::new(Shared {
        table: Mutex::new(Table {
            slots: Slots::new(&segments),
            working: 0,
            leaving: 0,
        }),
        file,
        url: url.clone(),
        headers,
        total,
        validators,
        live: context.live_handle(),
        pace: context.pace(),
        stall: context.options().timeouts.stall,
        client: context.parts_client().clone(),
        changed: AtomicBool::new(false),
        receiving: AtomicUsize::new(0),
        allowed: AtomicUsize::new(count.target()),
        refusal: Mutex::new(None),
    });
    let done: u64 = segments.iter().map(|s| s.done).sum();
    context.live().set_total(Some(total));
    context.live().set_bytes(done);

    let host = hosts::key(&url);
    let per_host = match mode {
        Mode::Adaptive { ceiling } => ceiling,
        Mode::Fixed(_) => usize::MAX,
    };
    let (start, held) = match first {
        Some((response, held)) => {
            shared.lock().slots.get_mut(0).busy = true;
            (Some((0, response)), held)
        }
        None => (None, None),
    };
    // Dropping the set stops every connection.
    let mut workers = JoinSet::new();
    shared.enlist();
    workers.spawn(connection::work(
        Arc::clone(&shared),
        context.requester(),
        held.unwrap_or_else(|| context.hosts().connect(&host)),
        start,
    ));
    let working = add_connections(
        context,
        &shared,
        &mut workers,
        &host,
        per_host,
        count.target(),
    );
    count.reached(working);

    let mut room = per_host;
    let interval = context.options().checkpoint_interval;
    let mut last_checkpoint = Instant::now();
    let saver = spawn_saver(context, &shared);
    let mut ticks = tokio::time::interval(TICK);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let result = loop {
        tokio::select! {
            ended = workers.join_next() => match ended {
                None => break Ok(()),
                Some(Ok(Ok(()))) => {}
                Some(Ok(Err(interrupt))) => break Err(interrupt),
                Some(Err(failed)) => break Err(TransferError::new(
                    ErrorStatus::Unknown,
                    format!("a connection stopped unexpectedly: {failed}"),
                ).into()),
            },
            _ = ticks.tick() => {
                if last_checkpoint.elapsed() >= interval {
                    last_checkpoint = Instant::now();
                    if let Err(e) = checkpoint(context, &shared).await {
                        break Err(e.into());
                    }
                }
                take_refusal(context, &shared, &host, &mut count).await;
                if let Some(at) = context.live().wanted() {
                    shared.lock().slots.make_way(at, READER_LOOKAHEAD);
                }
                let receiving = shared.receiving.load(Ordering::SeqCst);
                let observed = count.observe(Instant::now(), context.live().bytes(), receiving);
                if let Some(target) = observed {
                    let target = target.min(room);
                    shared.allowed.store(target, Ordering::SeqCst);
                    let working = add_connections(context, &shared, &mut workers, &host, per_host, target);
                    count.reached(working.min(target));
                    shared.allowed.store(count.target(), Ordering::SeqCst);
                    tracing::debug!(id = %context.id(), connections = count.target(), "connections");
                }
                share_host(context, &shared, &mut workers, &host, per_host, &count, &mut room);
            }
        }
    };
    drop(workers);
    if let Some(saver) = saver {
        // Stopped before anything is forgotten.
        saver.stop().await;
    }
    take_refusal(context, &shared, &host, &mut count).await;
    if shared.changed.load(Ordering::Relaxed) {
        // The next attempt starts again from zero, in one piece.
        tracing::warn!(id = %context.id(), "the file changed on the server; starting again");
        context.forget_written().await;
        context
            .record_segments(Vec::new(), Vec::new(), total, Validators::default())
            .await?;
        return result.map(|()| total);
    }
    let recorded = checkpoint(context, &shared).await;
    if recorded.is_ok() {
        // Everything written is synced and recorded now.
        context.forget_written().await;
    }
    result?;
    recorded?;
    // Every connection has stopped: the parts must meet, or the file has holes.
    let missing = shared.lock().slots.missing();
    if missing > 0 {
        return Err(TransferError::new(
            ErrorStatus::InvalidResponse,
            format!("{missing} bytes of the file are still missing"),
        )
        .into());
    }
    Ok(total)
}

/// Open connections until `target` work, as far as the host gives them; how many
/// work then.
fn add_connections(
    context: &HttpContext<'_>,
    shared: &Arc<Shared>,
    workers: &mut JoinSet<Result<(), Interrupt>>,
    host: &str,
    per_host: usize,
    target: usize,
) -> usize {
    let mut working = shared.lock().working;
    while working < target {
        let Some(connection) = context.hosts().try_connect(host, per_host) else {
            break;
        };
        shared.enlist();
        workers.spawn(connection::work(
            Arc::clone(shared),
            context.requester(),
            connection,
            None,
        ));
        working += 1;
    }
    working
}

/// Keep to this download's share of its host: fewer connections while another
/// download's first one pushes the host over its limit, and back up to the
/// count when that one ends. `room`: the share at the last look.
fn share_host(
    context: &HttpContext<'_>,
    shared: &Arc<Shared>,
    workers: &mut JoinSet<Result<(), Interrupt>>,
    host: &str,
    per_host: usize,
    count: &Count,
    room: &mut usize,
) {
    let working = shared.lock().working;
    let now = context.hosts().room(host, working, per_host);
    let grew = now > *room;
    *room = now;
    let allowed = count.target().min(now);
    shared.allowed.store(allowed, Ordering::SeqCst);
    if grew && working < allowed {
        add_connections(context, shared, workers, host, per_host, allowed);
    }
}

/// A connection was turned away: no more than the others from now on, and the
/// host remembers it.
async fn take_refusal(context: &HttpContext<'_>, shared: &Shared, host: &str, count: &mut Count) {
    let refusal = shared
        .refusal
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    if let Some(refusal) = refusal {
        count.refused(refusal.working);
        shared.allowed.store(count.target(), Ordering::SeqCst);
        context
            .lower_host_cap(host, refusal.working, refusal.retry_after)
            .await;
    }
}

/// The `.part`, as long as the file, its blocks reserved where the file system
/// can (else sparse where nothing is written yet).
async fn open(part: &std::path::Path, total: u64) -> Result<Arc<std::fs::File>, TransferError> {
    let part = part.to_owned();
    tokio::task::spawn_blocking(move || {
        let file = part_file::part_options()
            .write(true)
            .create(true)
            .truncate(false)
            .open(&part)?;
        part_file::preallocate(&file, total, false)?;
        if file.metadata()?.len() < total {
            file.set_len(total)?;
        }
        Ok(Arc::new(file))
    })
    .await
    .unwrap_or_else(|e| Err(std::io::Error::other(e)))
    .map_err(|e: std::io::Error| TransferError::io("reserving space for the file", &e))
}

/// Save the parts' written positions every [`SAVE_WRITTEN`] for a restart in the
/// same boot (`engine/written.rs`), in a task of its own: a durable checkpoint
/// that takes long (a sync on a busy disk) must not hold the saves back.
/// `None` where the boot cannot be told.
fn spawn_saver(context: &HttpContext<'_>, shared: &Arc<Shared>) -> Option<Saver> {
    use crate::engine::written;
    let boot = context.boot()?;
    let data_dir = context.options().data_dir.clone();
    let id = context.id();
    let shared = Arc::clone(shared);
    let part = {
        use std::os::unix::fs::MetadataExt as _;
        shared.file.metadata().map_or(0, |m| m.ino())
    };
    Some(Saver(tokio::spawn(async move {
        let mut saves = tokio::time::interval(SAVE_WRITTEN);
        saves.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut saved = 0;
        loop {
            saves.tick().await;
            let segments = shared.lock().slots.segments();
            let done: u64 = segments.iter().map(|s| s.done).sum();
            if done == saved {
                continue;
            }
            saved = done;
            let positions = written::Written {
                boot,
                total: shared.total,
                validators: shared.validators.clone(),
                segments,
                part,
            };
            if let Err(e) = written::save(&data_dir, id, &positions).await {
                tracing::debug!(%id, error = %e, "cannot save how far the parts wrote");
            }
        }
    })))
}

/// The saving task; it ends with the run, however the run ends.
#[derive(Debug)]
struct Saver(tokio::task::JoinHandle<()>);

impl Saver {
    async fn stop(mut self) {
        self.0.abort();
        let _ = (&mut self.0).await;
    }
}

impl Drop for Saver {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Sync what the connections wrote, then record it.
async fn checkpoint(context: &HttpContext<'_>, shared: &Shared) -> Result<(), TransferError> {
    let (segments, fetching) = {
        let table = shared.lock();
        (table.slots.segments(), table.slots.fetching())
    };
    let file = Arc::clone(&shared.file);
    tokio::task::spawn_blocking(move || file.sync_data())
        .await
        .unwrap_or_else(|e| Err(std::io::Error::other(e)))
        .map_err(|e| TransferError::io("syncing the partial file", &e))?;
    context
        .record_segments(segments, fetching, shared.total, shared.validators.clone())
        .await
}
