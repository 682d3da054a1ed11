//! Shared test helpers: the misbehaving HTTP server, deterministic data, hashes, and
//! ways to wait for the engine without sleeping blindly.
#![allow(dead_code)]

pub mod bus;
pub mod digest;
pub mod ftp;
pub mod program;
pub mod proxy;
pub mod server;
pub mod uploads;
pub mod x11;

use std::path::{Path, PathBuf};
use std::time::Duration;

use ferry::engine::{Engine, Event, OperationId, Options, Snapshot, Status, Subscription};
use sha2::{Digest, Sha256};

/// `len` bytes that look random and are the same for the same seed.
pub fn data(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

pub fn sha256(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

pub fn sha256_file(path: &Path) -> String {
    sha256(&std::fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display())))
}

/// Options for an engine in `dir`: downloads land in `dir/downloads`, timeouts and
/// retry delays are short so failures show quickly.
pub fn options(dir: &Path) -> Options {
    let mut options = Options::new(dir.join("data"));
    options.download_dir = dir.join("downloads");
    std::fs::create_dir_all(&options.download_dir).unwrap();
    options.retry.base_delay = Duration::from_millis(50);
    options.retry.max_delay = Duration::from_millis(200);
    options.timeouts.connect = Duration::from_secs(5);
    options.timeouts.response = Duration::from_secs(5);
    options.timeouts.stall = Duration::from_secs(5);
    options.progress_interval = Duration::from_millis(50);
    // Never the developer's own keyring.
    options.secret_backend = ferry::engine::secrets::Backend::File;
    // One connection, so a test of a download's requests sees them in order; the
    // count found by measuring is tested in segmented.rs.
    options.connections = Some(1);
    options
}

/// What most engine tests start with: a temporary folder, a test server, an engine
/// with `options(dir)` and a subscription opened before anything is created.
pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub server: server::TestServer,
    pub engine: Engine,
    pub events: Subscription,
}

impl Fixture {
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let server = server::TestServer::start().await;
        let engine = open(options(dir.path())).await;
        let events = engine.subscribe();
        Self {
            dir,
            server,
            engine,
            events,
        }
    }
}

pub async fn open(options: Options) -> Engine {
    Engine::open(options).await.expect("engine opens")
}

/// Run `future` under a deadline, so a hung test fails instead of blocking CI.
pub async fn within<T>(secs: u64, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(secs), future)
        .await
        .unwrap_or_else(|_| panic!("timed out after {secs} s"))
}

/// Wait until `id` has `status`, checking each event.
pub async fn wait_status(
    engine: &Engine,
    events: &mut Subscription,
    id: OperationId,
    status: Status,
) -> Snapshot {
    within(60, async {
        loop {
            if let Some(s) = engine.get(id) {
                if s.status == status {
                    return s;
                }
                if s.status.is_finished() {
                    panic!(
                        "expected {status:?}, operation ended {:?}: {:?}",
                        s.status, s.error
                    );
                }
            }
            events.recv().await.expect("engine alive");
        }
    })
    .await
}

/// Create an operation and wait until it has ended.
pub async fn run_to_end(
    engine: &Engine,
    events: &mut Subscription,
    request: ferry::engine::Request,
) -> Snapshot {
    let id = engine.create(request).await.expect("created").id;
    wait_finished(engine, events, id).await
}

/// Wait until `id` has ended (completed, canceled or failed).
pub async fn wait_finished(
    engine: &Engine,
    events: &mut Subscription,
    id: OperationId,
) -> Snapshot {
    within(60, async {
        loop {
            if let Some(s) = engine.get(id).filter(|s| s.status.is_finished()) {
                return s;
            }
            events.recv().await.expect("engine alive");
        }
    })
    .await
}

/// Wait until at least `bytes` of `id` have arrived.
pub async fn wait_bytes(
    engine: &Engine,
    events: &mut Subscription,
    id: OperationId,
    bytes: u64,
) -> u64 {
    within(60, async {
        loop {
            if let Some(s) = engine.get(id) {
                if s.bytes >= bytes {
                    return s.bytes;
                }
                assert!(!s.status.is_finished(), "ended early: {:?}", s.error);
            }
            match events.recv().await.expect("engine alive") {
                Event::Progress { .. } | Event::StatusChanged { .. } | Event::Resync => {}
                _ => {}
            }
        }
    })
    .await
}

/// Every file in `dir` (names only, sorted).
pub fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

pub fn path_in(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}

/// Whether process `pid` has exited and waits to be reaped.
pub fn is_zombie(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.contains(") Z "))
}

/// A `kB` field of `/proc/PID/status` (`VmRSS:`, `VmHWM:`), 0 when unreadable.
pub fn proc_status_kib(pid: i32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}
