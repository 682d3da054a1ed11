//! `ferry native-host`: what the browser starts when our extension connects. Each
//! message it reads is answered with one message. A download handed over goes
//! to the agent (started if none runs), with the page's cookies, Referer and
//! User-Agent so the server answers Ferry as it answered the browser; the agent
//! continues a download waiting for that file's new address, or asks the user
//! in its window, or adds it (see `agent::handoff`). A page's links go to the
//! window to pick from. The cookies go where the command line's go: the secret
//! store, never the database or the log. Whatever goes wrong is answered as an
//! error message and the host keeps reading: the extension then lets the browser
//! keep the download.

use serde::{Deserialize, Serialize};

use super::native::{self, Frame, MAX_FROM_BROWSER};
use crate::cli::{Endpoint, Exit};
use crate::engine::{Header, Request};
use crate::ipc::{Client, ClientError, HandedFile, Handover};

/// What the extension sends.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum FromBrowser {
    /// Is Ferry there? (The agent is started if it is not.)
    Ping,
    /// A download the browser started, to be done by Ferry instead.
    Download(Handoff),
    /// Links from a page, for the user to pick from in Ferry's window.
    Links(Links),
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
    /// The user wants to be asked in the window, even if Ferry is set to add
    /// without asking.
    #[serde(default)]
    ask: bool,
}

/// The links of a page (or of a selection in it).
#[derive(Debug, Deserialize)]
struct Links {
    links: Vec<Link>,
    #[serde(default)]
    referrer: Option<String>,
    #[serde(default)]
    user_agent: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Link {
    url: String,
    /// The cookies the browser would send to `url`.
    #[serde(default)]
    cookies: Vec<Cookie>,
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
    /// The user let the browser keep it.
    Declined,
    /// The links are listed in Ferry's window.
    Listed {
        count: usize,
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
        let answered = match &message {
            FromBrowser::Ping => {
                return ToBrowser::Pong {
                    version: env!("CARGO_PKG_VERSION"),
                };
            }
            FromBrowser::Download(handoff) => {
                let file = handoff
                    .filename
                    .clone()
                    .filter(|n| !n.is_empty())
                    .map(|name| HandedFile {
                        name,
                        size: handoff.size.filter(|s| *s > 0),
                    });
                client
                    .hand_over(request_for(handoff), file, handoff.ask)
                    .await
                    .map(|handover| match handover {
                        Handover::Added { snapshot, attached } => ToBrowser::Added {
                            id: snapshot.id.to_string(),
                            name: snapshot.display_name(),
                            attached,
                        },
                        Handover::Continued { snapshot } => ToBrowser::Added {
                            id: snapshot.id.to_string(),
                            name: snapshot.display_name(),
                            attached: true,
                        },
                        Handover::Declined => ToBrowser::Declined,
                    })
            }
            FromBrowser::Links(links) => {
                let requests = requests_for(links);
                let count = requests.len();
                client
                    .offer_links(requests)
                    .await
                    .map(|()| ToBrowser::Listed { count })
            }
        };
        match answered {
            Ok(answer) => return answer,
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

/// One request per link, each with the page as Referer and its own cookies.
fn requests_for(links: &Links) -> Vec<Request> {
    links
        .links
        .iter()
        .map(|link| {
            request_with(
                &link.url,
                links.referrer.as_deref(),
                links.user_agent.as_deref(),
                &link.cookies,
            )
        })
        .collect()
}

/// The request that asks the server what the browser asked it.
fn request_for(handoff: &Handoff) -> Request {
    request_with(
        &handoff.url,
        handoff.referrer.as_deref(),
        handoff.user_agent.as_deref(),
        &handoff.cookies,
    )
}

fn request_with(
    url: &str,
    referrer: Option<&str>,
    user_agent: Option<&str>,
    cookies: &[Cookie],
) -> Request {
    let mut request = Request::download(url, None);
    if let Some(referrer) = referrer.filter(|r| !r.is_empty()) {
        request.headers.push(Header {
            name: "Referer".into(),
            value: referrer.to_owned(),
        });
    }
    if let Some(agent) = user_agent.filter(|a| !a.is_empty()) {
        request.headers.push(Header {
            name: "User-Agent".into(),
            value: agent.to_owned(),
        });
    }
    request.cookies = cookies
        .iter()
        .map(|c| format!("{}={}", c.name, c.value))
        .collect();
    request
}
