//! The agent's socket protocol: JSON lines over a Unix socket. The client opens
//! with `hello` (the protocol version); each request gets one response line, except
//! `watch`, which turns the connection into a stream of events.

use std::path::Path;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};

mod calls;

pub use calls::{Changed, ClientError};

use crate::engine::{self, EngineError, Event, Snapshot};

/// A place in the queue, the other operation named by its id (or a unique
/// start of it), as [`engine::Place`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Spot {
    First,
    Last,
    Up,
    Down,
    Before(String),
    After(String),
}

/// Bumped on any incompatible change of the types below (2: `create` answers
/// `created`, saying whether the request attached to an unfinished operation;
/// 3: `handoff`, `links` and `start_over`; 6: `when_done`; 7: `move`).
pub const PROTOCOL: u32 = 7;
/// Longest request line the agent accepts; a longer one is a protocol error.
pub const MAX_LINE: usize = 1 << 20;
/// Longest answer line a client accepts: `list` with tens of thousands of
/// operations is one line of many MiB.
pub const MAX_ANSWER_LINE: usize = 1 << 30;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    Hello {
        protocol: u32,
    },
    Create {
        request: Box<engine::Request>,
    },
    List,
    Show {
        id: String,
    },
    Pause {
        target: Target,
    },
    Resume {
        target: Target,
    },
    Cancel {
        id: String,
    },
    Restart {
        id: String,
    },
    /// Continue a download from a new address, if it serves the same file.
    Refresh {
        id: String,
        url: String,
    },
    /// Start a download again from byte zero at a new address (the file there
    /// is another one, and the user wants it).
    StartOver {
        id: String,
        url: String,
    },
    Remove {
        id: String,
    },
    /// Snapshots of the given operations (all when empty), then their events.
    Watch {
        ids: Vec<String>,
    },
    /// Change when an operation may use the network.
    SetPolicy {
        id: String,
        policy: engine::CostPolicy,
    },
    SetPriority {
        id: String,
        priority: engine::Priority,
    },
    /// Move a waiting operation to another place in the queue.
    Move {
        id: String,
        place: Spot,
    },
    /// A bandwidth limit in bytes per second (`None`: none), for one operation or,
    /// without an id, for all transfers together until the agent stops.
    SetLimit {
        #[serde(default)]
        id: Option<String>,
        limit: Option<u64>,
    },
    /// The traffic of each day of the last year.
    Stats,
    /// The schedule's rules.
    Schedule,
    /// Replace the schedule's rules (the caller keeps the config file).
    SetSchedule {
        rules: Vec<engine::schedule::Rule>,
    },
    CreateGroup {
        name: String,
        behavior: engine::Behavior,
        #[serde(default)]
        action: Option<engine::Action>,
        /// What the computer does once the group is done.
        #[serde(default)]
        when_done: engine::WhenDone,
    },
    EnableGroup {
        name: String,
    },
    Groups,
    ShowGroup {
        name: String,
    },
    /// The network and power conditions the agent sees, and the metered traffic.
    Status,
    /// A download's bytes from `offset` on, as they arrive: after a `Reading`
    /// answer the connection carries raw bytes until the agent closes it.
    Read {
        id: String,
        #[serde(default)]
        offset: u64,
    },
    /// What happens once every transfer is done, after setting it to `set`
    /// (`nothing` also cancels a countdown).
    WhenDone {
        #[serde(default)]
        set: Option<engine::WhenDone>,
    },
    /// Checkpoint everything and exit.
    Quit,
    /// Open the desktop window of the agent (or bring it forward).
    ShowWindow,
    /// A download the browser handed over: it continues the download waiting
    /// for a new address that has this file's name (and size), else it is put
    /// to the user in the window (unless they add without asking) and created.
    Handoff {
        request: Box<engine::Request>,
        /// The file's name and size as the browser knows them.
        #[serde(default)]
        file: Option<HandedFile>,
        /// The browser asks for the question in the window even when the user
        /// chose to add without asking.
        #[serde(default)]
        ask: bool,
    },
    /// Links from a page ("Download all links with Ferry"): the window lists
    /// them for the user to pick from.
    Links {
        requests: Vec<engine::Request>,
    },
}

/// A handed-over file as the browser named it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandedFile {
    pub name: String,
    #[serde(default)]
    pub size: Option<u64>,
}

/// What became of a handed-over download.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Handover {
    /// Ferry has it: a new operation, or the unfinished one that already did the
    /// same (`attached`).
    Added {
        snapshot: Box<Snapshot>,
        attached: bool,
    },
    /// A download that waited for a new address continues from this one.
    Continued { snapshot: Box<Snapshot> },
    /// The user said no in the window: the browser keeps it.
    Declined,
}

/// One operation (by id or unique id prefix) or all of them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    All,
    Id(String),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Response {
    Welcome {
        protocol: u32,
        version: String,
        pid: u32,
        /// Things the user should hear about (a damaged database moved aside…).
        notices: Vec<String>,
    },
    Snapshot {
        snapshot: Box<Snapshot>,
    },
    /// The answer to `create`: the new operation, or the unfinished one that
    /// already did the same (`attached`).
    Created {
        snapshot: Box<Snapshot>,
        attached: bool,
    },
    /// Raw bytes follow, until the connection closes.
    Reading {
        total: Option<u64>,
    },
    Snapshots {
        snapshots: Vec<Snapshot>,
    },
    /// How many operations a `--all` request changed.
    Count {
        count: usize,
    },
    Group {
        group: Box<engine::Group>,
        /// Its operations, in creation order.
        members: Vec<Snapshot>,
    },
    Groups {
        groups: Vec<engine::Group>,
    },
    Schedule {
        rules: Vec<engine::schedule::Rule>,
    },
    Stats {
        days: Vec<engine::DayTraffic>,
    },
    WhenDone {
        state: Box<crate::agent::when_done::State>,
    },
    Status {
        network: engine::NetworkState,
        usage: engine::DataUsage,
    },
    Done,
    /// The answer to `handoff`.
    HandedOver {
        handover: Handover,
    },
    Event {
        event: Event,
    },
    Error {
        code: ErrorCode,
        message: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request can never succeed as given (bad URL, unwritable folder…).
    InvalidInput,
    NotFound,
    Ambiguous,
    /// Not possible in the operation's current status.
    InvalidState,
    ShuttingDown,
    /// The line was not a request of this protocol.
    Protocol,
    /// A window was asked of an agent that has no display.
    NoDisplay,
    /// The client runs as another user than the agent.
    Forbidden,
    Internal,
}

impl Response {
    pub fn error(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Error {
            code,
            message: message.into(),
        }
    }
}

impl From<&EngineError> for Response {
    fn from(error: &EngineError) -> Self {
        let code = match error {
            EngineError::Invalid(_) | EngineError::Refresh(_) | EngineError::Inspect(_) => {
                ErrorCode::InvalidInput
            }
            EngineError::NotFound(_) => ErrorCode::NotFound,
            EngineError::Ambiguous(_) => ErrorCode::Ambiguous,
            EngineError::InvalidState { .. } => ErrorCode::InvalidState,
            EngineError::ShuttingDown => ErrorCode::ShuttingDown,
            EngineError::Store(_) | EngineError::Client(_) | EngineError::Secrets(_) => {
                ErrorCode::Internal
            }
        };
        Self::error(code, error.to_string())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IpcError {
    #[error("the agent closed the connection")]
    Closed,
    #[error("connection to the agent failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("the agent sent something this client does not understand: {0}")]
    Decode(#[from] serde_json::Error),
    #[error(
        "the agent speaks protocol {agent}, this client {client}; restart the agent (`ferry quit`)"
    )]
    Version { agent: u32, client: u32 },
    #[error("the agent refused the connection: {0}")]
    Refused(String),
    #[error("unexpected answer from the agent: {0:?}")]
    Unexpected(Box<Response>),
}

/// Read one request line of at most [`MAX_LINE`] bytes; `None` at end of stream.
pub async fn read_line<R: AsyncBufRead + Unpin>(reader: &mut R) -> std::io::Result<Option<String>> {
    read_line_of_at_most(reader, MAX_LINE).await
}

async fn read_line_of_at_most<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    max: usize,
) -> std::io::Result<Option<String>> {
    let mut buf = Vec::new();
    let n = reader
        .take(max as u64 + 1)
        .read_until(b'\n', &mut buf)
        .await?;
    if n == 0 {
        return Ok(None);
    }
    if buf.last() != Some(&b'\n') && buf.len() > max {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "line too long",
        ));
    }
    String::from_utf8(buf)
        .map(|s| Some(s.trim_end().to_owned()))
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

/// Write `value` as one JSON line.
pub async fn write_line<W: AsyncWriteExt + Unpin, T: Serialize>(
    writer: &mut W,
    value: &T,
) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(value).map_err(std::io::Error::other)?;
    line.push(b'\n');
    writer.write_all(&line).await?;
    writer.flush().await
}

/// A connection to the agent, after the handshake.
#[derive(Debug)]
pub struct Client {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    /// What the agent said in its welcome: its version and notices.
    pub notices: Vec<String>,
    pub agent_pid: u32,
}

impl Client {
    pub async fn connect(socket: &Path) -> Result<Self, IpcError> {
        let stream = UnixStream::connect(socket).await?;
        let (read, write) = stream.into_split();
        let mut client = Self {
            reader: BufReader::new(read),
            writer: write,
            notices: Vec::new(),
            agent_pid: 0,
        };
        match client.call(&Request::Hello { protocol: PROTOCOL }).await? {
            Response::Welcome {
                protocol: PROTOCOL,
                notices,
                pid,
                ..
            } => {
                client.notices = notices;
                client.agent_pid = pid;
                Ok(client)
            }
            Response::Welcome { protocol, .. } => Err(IpcError::Version {
                agent: protocol,
                client: PROTOCOL,
            }),
            Response::Error { message, .. } => Err(IpcError::Refused(message)),
            other => Err(IpcError::Unexpected(Box::new(other))),
        }
    }

    /// Send a request without waiting for an answer (for `watch`, read with `next`).
    pub async fn send(&mut self, request: &Request) -> Result<(), IpcError> {
        write_line(&mut self.writer, request).await?;
        Ok(())
    }

    /// Send a request and read its response.
    pub async fn call(&mut self, request: &Request) -> Result<Response, IpcError> {
        write_line(&mut self.writer, request).await?;
        self.next().await?.ok_or(IpcError::Closed)
    }

    /// What is left of the connection, for the raw bytes after `Reading`.
    pub fn into_raw(self) -> BufReader<OwnedReadHalf> {
        self.reader
    }

    /// The next line from the agent (for `watch`); `None` when it hung up.
    pub async fn next(&mut self) -> Result<Option<Response>, IpcError> {
        match read_line_of_at_most(&mut self.reader, MAX_ANSWER_LINE).await? {
            Some(line) => Ok(Some(decode_answer(&line)?)),
            None => Ok(None),
        }
    }
}

/// An answer line. `list` answers can be many MiB, and serde decodes a tagged
/// enum by first copying it into a generic tree; the agent writes the tag first,
/// so that answer is decoded straight into its type.
pub fn decode_answer(line: &str) -> serde_json::Result<Response> {
    #[derive(Deserialize)]
    struct SnapshotsAnswer {
        snapshots: Vec<Snapshot>,
    }
    if line.starts_with(r#"{"type":"snapshots","#) {
        let answer: SnapshotsAnswer = serde_json::from_str(line)?;
        return Ok(Response::Snapshots {
            snapshots: answer.snapshots,
        });
    }
    serde_json::from_str(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_have_a_stable_json_shape() {
        let json = serde_json::to_string(&Request::Pause {
            target: Target::Id("ab12".into()),
        })
        .unwrap();
        assert_eq!(json, r#"{"op":"pause","target":{"id":"ab12"}}"#);
        let json = serde_json::to_string(&Request::Resume {
            target: Target::All,
        })
        .unwrap();
        assert_eq!(json, r#"{"op":"resume","target":"all"}"#);
        let back: Request = serde_json::from_str(r#"{"op":"list"}"#).unwrap();
        assert_eq!(back, Request::List);
        assert!(serde_json::from_str::<Request>(r#"{"op":"format_disk"}"#).is_err());
    }

    #[test]
    fn a_list_answer_decodes_the_fast_way_as_the_slow_one() {
        let request = engine::Request::download("http://example.org/a", None);
        let snapshot = Snapshot::new(1, &request, request.url.clone(), None);
        let answer = Response::Snapshots {
            snapshots: vec![snapshot.clone(), snapshot],
        };
        let line = serde_json::to_string(&answer).unwrap();
        assert!(line.starts_with(r#"{"type":"snapshots","#), "{line}");
        assert_eq!(decode_answer(&line).unwrap(), answer);
        let other = Response::Count { count: 3 };
        let line = serde_json::to_string(&other).unwrap();
        assert_eq!(decode_answer(&line).unwrap(), other);
    }

    #[tokio::test]
    async fn overlong_lines_are_refused() {
        let mut data: &[u8] = &vec![b'x'; MAX_LINE + 10];
        let mut reader = BufReader::new(&mut data);
        assert!(read_line(&mut reader).await.is_err());
        let mut data: &[u8] = b"{\"op\":\"list\"}\n";
        let mut reader = BufReader::new(&mut data);
        assert_eq!(
            read_line(&mut reader).await.unwrap().unwrap(),
            "{\"op\":\"list\"}"
        );
    }
}
