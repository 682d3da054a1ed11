//! Reaching the agent: connect to its socket, or start one in the background and
//! wait for it to answer.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use super::Exit;
use crate::agent;
use crate::ipc::{Client, IpcError};

/// How long a freshly started agent may take to answer (opening a large database,
/// recovering after a crash).
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// Where the agent of this invocation lives.
#[derive(Clone, Debug)]
pub struct Endpoint {
    pub data_dir: PathBuf,
    /// Passed on to an agent this client starts.
    pub config: Option<PathBuf>,
}

impl Endpoint {
    fn socket(&self) -> PathBuf {
        agent::socket_path(&self.data_dir)
    }

    /// Connect, starting an agent if none answers.
    pub async fn connect(&self) -> Result<Client, Exit> {
        if let Some(client) = self.connect_existing().await? {
            return Ok(client);
        }
        self.start_agent().await
    }

    /// Connect to a running agent; `None` if there is none.
    pub async fn connect_existing(&self) -> Result<Option<Client>, Exit> {
        match Client::connect(&self.socket()).await {
            Ok(client) => {
                tell_notices(&client);
                Ok(Some(client))
            }
            Err(IpcError::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
                ) =>
            {
                Ok(None)
            }
            Err(e) => {
                eprintln!("ferry: cannot talk to the agent: {e}");
                Err(Exit::Unreachable)
            }
        }
    }

    /// Wait (a few seconds at most) until no agent holds the data directory's lock.
    pub async fn wait_agent_gone(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline && agent::is_running(&self.data_dir) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn start_agent(&self) -> Result<Client, Exit> {
        let unreachable = |why: String| {
            eprintln!("ferry: cannot start the agent: {why}");
            Exit::Unreachable
        };
        agent::ensure_data_dir(&self.data_dir).map_err(|e| unreachable(e.to_string()))?;
        let exe = std::env::current_exe().map_err(|e| unreachable(e.to_string()))?;
        let stderr_path = self.data_dir.join("agent.stderr");
        let stderr = std::fs::File::create(&stderr_path).map_err(|e| unreachable(e.to_string()))?;
        let mut command = std::process::Command::new(exe);
        command.arg("agent").arg("--data-dir").arg(&self.data_dir);
        if let Some(config) = &self.config {
            command.arg("--config").arg(config);
        }
        // Its own process group: a Ctrl-C meant for this command must not stop it.
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .map_err(|e| unreachable(e.to_string()))?;

        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(client) = self.connect_existing().await? {
                return Ok(client);
            }
            if let Ok(Some(status)) = child.try_wait() {
                // Another client may have started an agent at the same moment:
                // ours lost the race for the lock, theirs answers.
                if let Some(client) = self.connect_existing().await? {
                    return Ok(client);
                }
                let said = std::fs::read_to_string(&stderr_path).unwrap_or_default();
                let said = said.trim();
                return Err(unreachable(if said.is_empty() {
                    format!("it exited with {status}")
                } else {
                    said.to_owned()
                }));
            }
            if Instant::now() > deadline {
                return Err(unreachable(format!(
                    "it did not answer within {} s (see {})",
                    START_TIMEOUT.as_secs(),
                    stderr_path.display()
                )));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn tell_notices(client: &Client) {
    for notice in &client.notices {
        eprintln!("ferry: note: {notice}");
    }
}
