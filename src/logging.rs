//! Logging: the agent writes `ferry.log` in its data directory (info and above);
//! every process writes to stderr what `RUST_LOG` asks (warnings by default).
//! Nothing logged carries a password, an `Authorization` or `Cookie` value, or the
//! credentials of a URL: the engine logs URLs through `engine::redact_url` and never
//! logs header values.

use std::fs::OpenOptions;
use std::path::Path;
use std::sync::Mutex;

use tracing_subscriber::filter::{EnvFilter, LevelFilter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, fmt};

/// A log file past this size is rotated (`ferry.log.1`) when the agent starts.
const ROTATE_BYTES: u64 = 10 * 1024 * 1024;

fn stderr_filter() -> EnvFilter {
    EnvFilter::builder()
        .with_default_directive(LevelFilter::WARN.into())
        .from_env_lossy()
}

/// For client commands: stderr only.
pub fn init_client() {
    let _ = tracing_subscriber::registry()
        .with(
            fmt::layer()
                .with_writer(std::io::stderr)
                .with_filter(stderr_filter()),
        )
        .try_init();
}

/// For the agent: `data_dir/ferry.log` plus stderr. If the file cannot be opened,
/// stderr alone, and the reason is returned so the caller can report it.
pub fn init_agent(data_dir: &Path) -> Result<(), std::io::Error> {
    let path = data_dir.join("ferry.log");
    if std::fs::metadata(&path).is_ok_and(|m| m.len() > ROTATE_BYTES) {
        let _ = std::fs::rename(&path, data_dir.join("ferry.log.1"));
    }
    let file = OpenOptions::new().create(true).append(true).open(&path);
    let stderr = fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(stderr_filter());
    match file {
        Ok(file) => {
            let file_layer = fmt::layer()
                .with_ansi(false)
                .with_writer(Mutex::new(file))
                .with_filter(LevelFilter::INFO);
            let _ = tracing_subscriber::registry()
                .with(stderr)
                .with(file_layer)
                .try_init();
            Ok(())
        }
        Err(e) => {
            let _ = tracing_subscriber::registry().with(stderr).try_init();
            Err(e)
        }
    }
}
