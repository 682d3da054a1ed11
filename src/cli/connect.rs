//! Reaching the agent: connect to its socket, wait for one that is starting, or
//! start one in the background and wait for it to answer.
//!
//! An agent holds its data directory's lock from its first moment, but answers on
//! the socket only once its database is open (which takes a while after a crash or
//! with a large database). So "nothing answers" means "start one" only when the
//! lock is free; while it is held, the agent is on its way and the client waits.

use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use super::Exit;
use crate::data_dir;
use crate::ipc::{Client, IpcError};

/// How long a starting agent may take to answer (opening a large database,
/// recovering after a crash).
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// Between two tries while waiting for an agent.
const POLL: Duration = Duration::from_millis(20);
/// Agents this client starts at most in one connection: one normally, more only
/// when another client's agent took the lock and then went away.
const MAX_STARTS: u32 = 3;

/// Where the agent of this invocation lives.
#[derive(Clone, Debug)]
pub struct Endpoint {
    pub data_dir: PathBuf,
    /// Passed on to an agent this client starts.
    pub config: Option<PathBuf>,
}

/// One try at the socket.
enum Attempt {
    Connected(Client),
    /// No socket, refused, or the connection broke during the hello: an agent
    /// that is not there, starting, or stopping.
    NotYet,
}

impl Endpoint {
    fn socket(&self) -> PathBuf {
        data_dir::socket_path(&self.data_dir)
    }

    /// Connect, waiting for an agent that is starting, or starting one if none is.
    pub async fn connect(&self) -> Result<Client, Exit> {
        let deadline = Instant::now() + START_TIMEOUT;
        let mut started: Option<Child> = None;
        let mut starts = 0;
        loop {
            if let Attempt::Connected(client) = self.attempt().await? {
                return Ok(client);
            }
            let ours_ended = match started.as_mut() {
                Some(child) => child.try_wait().ok().flatten(),
                None => None,
            };
            if !data_dir::is_running(&self.data_dir) {
                // The lock is free: nobody is starting. Ours (if any) is just
                // spawned and not locked yet, or it has ended.
                match (&started, ours_ended) {
                    (None, _) => {}
                    (Some(_), None) => {
                        if Instant::now() > deadline {
                            return Err(self.gave_up());
                        }
                        tokio::time::sleep(POLL).await;
                        continue;
                    }
                    (Some(_), Some(status)) if starts >= MAX_STARTS => {
                        return Err(self.agent_failed(status));
                    }
                    (Some(_), Some(status)) => {
                        // It ended: it lost the lock to another agent that has
                        // gone since, or it failed. What it said decides.
                        if !self.lost_the_race() {
                            return Err(self.agent_failed(status));
                        }
                    }
                }
                started = Some(self.spawn_agent()?);
                starts += 1;
            }
            if Instant::now() > deadline {
                return Err(self.gave_up());
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Connect to the running agent, waiting for one that is still starting;
    /// `None` if there is none (its lock is free).
    pub async fn connect_existing(&self) -> Result<Option<Client>, Exit> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Attempt::Connected(client) = self.attempt().await? {
                return Ok(Some(client));
            }
            if !data_dir::is_running(&self.data_dir) {
                return Ok(None);
            }
            if Instant::now() > deadline {
                return Err(self.gave_up());
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Connect to an agent that answers now, without waiting or starting one.
    pub async fn connect_now(&self) -> Result<Option<Client>, Exit> {
        match self.attempt().await? {
            Attempt::Connected(client) => Ok(Some(client)),
            Attempt::NotYet => Ok(None),
        }
    }

    async fn attempt(&self) -> Result<Attempt, Exit> {
        match Client::connect(&self.socket()).await {
            Ok(client) => {
                tell_notices(&client);
                Ok(Attempt::Connected(client))
            }
            Err(IpcError::Closed) => Ok(Attempt::NotYet),
            Err(IpcError::Io(e)) if not_there_yet(&e) => Ok(Attempt::NotYet),
            Err(e) => {
                eprintln!("ferry: cannot talk to the agent: {e}");
                Err(Exit::Unreachable)
            }
        }
    }

    /// The pid written in the lock of an agent that holds it (starting or running).
    pub fn agent_pid(&self) -> Option<u32> {
        data_dir::running_pid(&self.data_dir)
    }

    fn stderr_path(&self) -> PathBuf {
        self.data_dir.join("agent.stderr")
    }

    fn spawn_agent(&self) -> Result<Child, Exit> {
        let failed = |why: String| {
            eprintln!("ferry: cannot start the agent: {why}");
            Exit::Unreachable
        };
        data_dir::ensure_data_dir(&self.data_dir).map_err(|e| failed(e.to_string()))?;
        let exe = std::env::current_exe().map_err(|e| failed(e.to_string()))?;
        let stderr =
            std::fs::File::create(self.stderr_path()).map_err(|e| failed(e.to_string()))?;
        let mut command = std::process::Command::new(exe);
        command.arg("agent").arg("--data-dir").arg(&self.data_dir);
        if let Some(config) = &self.config {
            command.arg("--config").arg(config);
        }
        // Its own process group: a Ctrl-C meant for this command must not stop it.
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .map_err(|e| failed(e.to_string()))
    }

    /// Whether the agent this client started exited because another one held the
    /// lock (another client started one at the same moment).
    fn lost_the_race(&self) -> bool {
        std::fs::read_to_string(self.stderr_path())
            .is_ok_and(|said| said.contains(data_dir::ALREADY_RUNNING))
    }

    fn agent_failed(&self, status: std::process::ExitStatus) -> Exit {
        let said = std::fs::read_to_string(self.stderr_path()).unwrap_or_default();
        let said = said.trim();
        if said.is_empty() {
            eprintln!("ferry: cannot start the agent: it exited with {status}");
        } else {
            eprintln!("ferry: cannot start the agent: {said}");
        }
        Exit::Unreachable
    }

    fn gave_up(&self) -> Exit {
        eprintln!(
            "ferry: the agent did not answer within {} s (see {})",
            START_TIMEOUT.as_secs(),
            self.stderr_path().display()
        );
        Exit::Unreachable
    }
}

/// Errors that mean the agent is not listening (yet, or any more), as opposed to
/// a socket this user cannot use.
fn not_there_yet(error: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    matches!(
        error.kind(),
        ErrorKind::NotFound
            | ErrorKind::ConnectionRefused
            | ErrorKind::ConnectionReset
            | ErrorKind::ConnectionAborted
            | ErrorKind::BrokenPipe
            | ErrorKind::UnexpectedEof
    )
}

fn tell_notices(client: &Client) {
    for notice in &client.notices {
        eprintln!("ferry: note: {notice}");
    }
}
