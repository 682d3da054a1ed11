//! The data directory's layout and its one agent: where the database, the socket
//! and the lock live, and whether an agent holds the lock. Shared by the agent,
//! the command line and the window, so none has to ask another for a path.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::Context as _;

pub fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join("agent.sock")
}

pub fn lock_path(data_dir: &Path) -> PathBuf {
    data_dir.join("agent.lock")
}

/// The platform's data directory for Ferry (`$XDG_DATA_HOME/ferry`).
pub fn default_data_dir() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("ferry")
}

/// Create the data directory, private to the user; one that exists already is
/// made private (it holds the socket that controls every transfer, and the
/// database).
pub fn ensure_data_dir(data_dir: &Path) -> std::io::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(data_dir)?;
    let mode = std::fs::metadata(data_dir)?.permissions().mode();
    if mode & 0o077 != 0 {
        tracing::warn!(
            dir = %data_dir.display(),
            mode = format!("{:o}", mode & 0o777),
            "the data directory was open to others; it is now private (0700)"
        );
        std::fs::set_permissions(data_dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// How an agent that finds the lock taken starts its message (clients look for it).
pub const ALREADY_RUNNING: &str = "another Ferry agent";

/// Held for the agent's lifetime; the OS releases it however the process ends.
#[derive(Debug)]
pub struct InstanceLock {
    _file: File,
}

/// Become the one agent of `data_dir`, or say who already is.
pub fn lock_instance(data_dir: &Path) -> anyhow::Result<InstanceLock> {
    let path = lock_path(data_dir);
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let pid = std::fs::read_to_string(&path).unwrap_or_default();
            anyhow::bail!(
                "{ALREADY_RUNNING} (pid {}) is already running for {}",
                pid.trim(),
                data_dir.display()
            );
        }
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(e).with_context(|| format!("cannot lock {}", path.display()));
        }
    }
    file.set_len(0)?;
    write!(file, "{}", std::process::id())?;
    Ok(InstanceLock { _file: file })
}

/// Whether an agent holds the lock of `data_dir` (without disturbing it).
pub fn is_running(data_dir: &Path) -> bool {
    let Ok(file) = File::open(lock_path(data_dir)) else {
        return false;
    };
    match file.try_lock_shared() {
        Ok(()) => false,
        Err(std::fs::TryLockError::WouldBlock) => true,
        Err(std::fs::TryLockError::Error(_)) => false,
    }
}

/// The pid of the agent holding the lock of `data_dir`, if one does and has
/// written it.
pub fn running_pid(data_dir: &Path) -> Option<u32> {
    if !is_running(data_dir) {
        return None;
    }
    std::fs::read_to_string(lock_path(data_dir))
        .ok()?
        .trim()
        .parse()
        .ok()
}
