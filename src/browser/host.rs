//! `ferry native-host`: what the browser starts when our extension connects. Each
//! message it reads is answered with one message; a download handed over becomes
//! an operation in the agent (started if none runs), with the page's cookies,
//! Referer and User-Agent so the server answers Ferry as it answered the browser.
//! The cookies go where the command line's go: the secret store, never the
//! database or the log. Whatever goes wrong is answered as an error message and
//! the host keeps reading: the extension then lets the browser keep the download.

use serde::{Deserialize, Serialize};

use super::native::{self, Frame, MAX_FROM_BROWSER};
use crate::cli::{Endpoint, Exit};
use crate::engine::{Header, Request, Status};
use crate::ipc::{Client, ClientError};

/// What the extension sends.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum FromBrowser {
    /// Is Ferry there? (The agent is started if it is not.)
    Ping,
    /// A download the browser started, to be done by Ferry instead.
    Download(Handoff),
}

/// A download as the browser saw it.
#[derive(Debug, Deserialize)]
struct Handoff {
    /// The address the page asked for (before redirects: a signed address it
    /// redirects to may expire, the page's own usually does not).
    url: String,
    /// The page that started it.
    #[serde(default)]
    referrer: Option<String>,
    #[serde(default)]
    user_agent: Option<String>,
    /// The cookies the browser would send to `url`.
    #[serde(default)]
    cookies: Vec<Cookie>,
    /// The file's name as the browser chose it, and its size when known: a
    /// download waiting for a new address with the same name and size is
    /// continued from this address instead of started again.
    #[serde(default)]
    filename: Option<String>,
    #[serde(default)]
    size: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct Cookie {
    name: String,
    value: String,
}

/// What the host answers.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ToBrowser {
    Pong {
        version: &'static str,
    },
    /// The download is Ferry's now (`attached`: it was already there, unfinished,
    /// and continues).
    Added {
        id: String,
        name: String,
        attached: bool,
    },
    Error {
        message: String,
    },
}

/// Serve the browser until it closes the port.
pub async fn run(endpoint: &Endpoint) -> Exit {
    let mut input = tokio::io::stdin();
    let mut output = tokio::io::stdout();
    let mut agent: Option<Client> = None;
    loop {
        let answer = match native::read_frame(&mut input).await {
            Ok(Frame::Closed) => return Exit::Done,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read from the browser");
                return Exit::Done;
            }
            Ok(Frame::TooLong(length)) => ToBrowser::Error {
                message: format!(
                    "a message of {length} bytes is more than the {MAX_FROM_BROWSER} this host takes"
                ),
            },
            Ok(Frame::Message(bytes)) => answer(endpoint, &mut agent, &bytes).await,
        };
        let bytes = serde_json::to_vec(&answer).unwrap_or_default();
        if let Err(e) = native::write_frame(&mut output, &bytes).await {
            tracing::warn!(error = %e, "cannot answer the browser");
            return Exit::Done;
        }
    }
}

async fn answer(endpoint: &Endpoint, agent: &mut Option<Client>, bytes: &[u8]) -> ToBrowser {
    let message = match serde_json::from_slice::<FromBrowser>(bytes) {
        Ok(message) => message,
        Err(e) => {
            return ToBrowser::Error {
                message: format!("not a message this host understands: {e}"),
            };
        }
    };
    let (request, file) = match message {
        FromBrowser::Ping => (None, None),
        FromBrowser::Download(handoff) => {
            let file = handoff
                .filename
                .clone()
                .filter(|n| !n.is_empty())
                .map(|name| (name, handoff.size.filter(|s| *s > 0)));
            (Some(request_for(handoff)), file)
        }
    };
    // An agent that went away since the last message is reached again once.
    for _ in 0..2 {
        let client = match agent {
            Some(client) => client,
            None => match endpoint.connect().await {
                Ok(client) => agent.insert(client),
                Err(_) => {
                    return ToBrowser::Error {
                        message: "Ferry's agent cannot be reached".into(),
                    };
                }
            },
        };
        let Some(request) = &request else {
            return ToBrowser::Pong {
                version: env!("CARGO_PKG_VERSION"),
            };
        };
        if let Some((name, size)) = &file
            && let Some(continued) = continue_waiting(client, name, *size, &request.url).await
        {
            return continued;
        }
        match client.create(request.clone()).await {
            Ok((snapshot, attached)) => {
                return ToBrowser::Added {
                    id: snapshot.id.to_string(),
                    name: snapshot.display_name(),
                    attached,
                };
            }
            Err(ClientError::Ipc(e)) => {
                tracing::warn!(error = %e, "the agent went away; reaching it again");
                *agent = None;
            }
            Err(e) => {
                return ToBrowser::Error {
                    message: e.to_string(),
                };
            }
        }
    }
    ToBrowser::Error {
        message: "Ferry's agent went away".into(),
    }
}

/// The same file downloaded again in the browser (its old link expired): the
/// download waiting for a new address under that name (and size, when the
/// browser knows it) continues from this one, if it serves the same file.
async fn continue_waiting(
    client: &mut Client,
    name: &str,
    size: Option<u64>,
    url: &str,
) -> Option<ToBrowser> {
    let waiting = client.list().await.ok()?.into_iter().find(|s| {
        s.status == Status::NeedsNewAddress
            && s.display_name() == name
            && size.is_none_or(|size| s.total == Some(size))
    })?;
    let id = waiting.id.to_string();
    match client.refresh(id.clone(), url.to_owned()).await {
        Ok(_) => Some(ToBrowser::Added {
            id,
            name: waiting.display_name(),
            attached: true,
        }),
        Err(e) => {
            tracing::info!(%id, error = %e, "not the waiting download's file; a new download");
            None
        }
    }
}

/// The request that asks the server what the browser asked it.
fn request_for(handoff: Handoff) -> Request {
    let mut request = Request::download(handoff.url, None);
    if let Some(referrer) = handoff.referrer.filter(|r| !r.is_empty()) {
        request.headers.push(Header {
            name: "Referer".into(),
            value: referrer,
        });
    }
    if let Some(agent) = handoff.user_agent.filter(|a| !a.is_empty()) {
        request.headers.push(Header {
            name: "User-Agent".into(),
            value: agent,
        });
    }
    request.cookies = handoff
        .cookies
        .into_iter()
        .map(|c| format!("{}={}", c.name, c.value))
        .collect();
    request
}
