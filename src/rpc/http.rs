//! The RPC's listener, connection by connection: HTTP/1.1 requests on
//! `/jsonrpc` (POST with a JSON body, or GET with aria2's base64 `params`),
//! and WebSocket connections upgraded from a GET there. Bounded everywhere: a
//! request head of 16 KiB, a body or WebSocket message of 2 MiB, 64
//! connections; a page's `Origin` must be on the allow-list.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

use super::jsonrpc::{self, Incoming, RpcError};
use super::{Shared, methods, notify};

/// The longest request head read.
const MAX_HEAD: usize = 16 * 1024;
/// The largest body, or WebSocket message (aria2's `rpc-max-request-size`).
pub(super) const MAX_BODY: usize = 2 * 1024 * 1024;
/// A connection that sends nothing for this long is closed.
const IDLE: Duration = Duration::from_secs(60);

/// A request head, parsed.
struct Head {
    method: String,
    path: String,
    query: Option<String>,
    headers: Vec<(String, String)>,
    keep_alive: bool,
}

impl Head {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Serve one connection until it closes (or turns into a WebSocket, served
/// until that closes).
pub(super) async fn serve(shared: Arc<Shared>, mut stream: TcpStream) {
    let mut buffer = Vec::new();
    loop {
        let head = match tokio::time::timeout(IDLE, read_head(&mut stream, &mut buffer)).await {
            Ok(Ok(Some(head))) => head,
            Ok(Ok(None)) | Err(_) => return,
            Ok(Err(status)) => {
                let _ = respond(&mut stream, status, None, &error_body(status), false).await;
                return;
            }
        };
        if !shared.host_allowed(head.header("host")) {
            tracing::warn!(host = ?head.header("host"), "refused an RPC request for a name that is not this machine's");
            let _ = respond(&mut stream, 403, None, &error_body(421), false).await;
            return;
        }
        let origin = head.header("origin").map(str::to_owned);
        if let Some(origin) = &origin
            && !shared.origin_allowed(origin)
        {
            tracing::warn!(%origin, "refused an RPC request from a page whose origin is not allowed");
            let _ = respond(&mut stream, 403, None, &error_body(403), false).await;
            return;
        }
        if head.path != "/jsonrpc" {
            let _ = respond(&mut stream, 404, origin.as_deref(), &error_body(404), false).await;
            return;
        }
        let answer = match head.method.as_str() {
            "OPTIONS" => {
                // A preflight for an allowed page (a web-hosted AriaNg).
                let _ = respond(&mut stream, 204, origin.as_deref(), b"", head.keep_alive).await;
                if head.keep_alive {
                    continue;
                }
                return;
            }
            "GET"
                if head
                    .header("upgrade")
                    .is_some_and(|u| u.eq_ignore_ascii_case("websocket")) =>
            {
                websocket(shared, stream, &head, buffer).await;
                return;
            }
            "GET" => get_call(&shared, head.query.as_deref()).await,
            "POST" => {
                let Some(length) = head
                    .header("content-length")
                    .and_then(|l| l.trim().parse::<usize>().ok())
                else {
                    let _ =
                        respond(&mut stream, 411, origin.as_deref(), &error_body(411), false).await;
                    return;
                };
                if length > MAX_BODY {
                    let _ =
                        respond(&mut stream, 413, origin.as_deref(), &error_body(413), false).await;
                    return;
                }
                match read_body(&mut stream, &mut buffer, length).await {
                    Ok(body) => answer_body(&shared, &body).await,
                    Err(_) => return,
                }
            }
            _ => {
                let _ = respond(&mut stream, 405, origin.as_deref(), &error_body(405), false).await;
                return;
            }
        };
        let body = serde_json::to_vec(&answer).unwrap_or_default();
        if respond(&mut stream, 200, origin.as_deref(), &body, head.keep_alive)
            .await
            .is_err()
            || !head.keep_alive
        {
            return;
        }
    }
}

/// Turn a connection away: every slot is taken.
pub(super) async fn too_busy(mut stream: TcpStream) {
    let _ = tokio::time::timeout(
        Duration::from_secs(5),
        respond(&mut stream, 503, None, &error_body(503), false),
    )
    .await;
}

/// Read until a whole head is in `buffer`; what follows it stays there.
/// `Ok(None)`: the client closed; `Err(status)`: a head to refuse.
async fn read_head(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Result<Option<Head>, u16> {
    loop {
        if let Some(end) = find_end_of_head(buffer) {
            let head = parse_head(&buffer[..end])?;
            buffer.drain(..end);
            return Ok(Some(head));
        }
        if buffer.len() > MAX_HEAD {
            return Err(431);
        }
        let mut chunk = [0u8; 8192];
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return Ok(None),
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
}

fn find_end_of_head(buffer: &[u8]) -> Option<usize> {
    buffer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|at| at + 4)
}

fn parse_head(bytes: &[u8]) -> Result<Head, u16> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(bytes) {
        Ok(httparse::Status::Complete(_)) => {}
        _ => return Err(400),
    }
    let target = request.path.unwrap_or("/");
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path.to_owned(), Some(query.to_owned())),
        None => (target.to_owned(), None),
    };
    let headers: Vec<(String, String)> = request
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_owned(),
                String::from_utf8_lossy(h.value).trim().to_owned(),
            )
        })
        .collect();
    let connection = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("connection"))
        .map(|(_, v)| v.to_ascii_lowercase());
    let keep_alive = match request.version {
        Some(1) => !connection.as_deref().is_some_and(|c| c.contains("close")),
        _ => connection
            .as_deref()
            .is_some_and(|c| c.contains("keep-alive")),
    };
    Ok(Head {
        method: request.method.unwrap_or("").to_owned(),
        path,
        query,
        headers,
        keep_alive,
    })
}

async fn read_body(
    stream: &mut TcpStream,
    buffer: &mut Vec<u8>,
    length: usize,
) -> std::io::Result<Vec<u8>> {
    while buffer.len() < length {
        let mut chunk = vec![0u8; (length - buffer.len()).min(64 * 1024)];
        let n = tokio::time::timeout(IDLE, stream.read(&mut chunk))
            .await
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))??;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    Ok(buffer.drain(..length).collect())
}

async fn respond(
    stream: &mut TcpStream,
    status: u16,
    origin: Option<&str>,
    body: &[u8],
    keep_alive: bool,
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        411 => "Length Required",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "",
    };
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json-rpc\r\nContent-Length: {}\r\nCache-Control: no-store\r\n",
        body.len()
    );
    // Only an allowed page's origin gets here (others were refused above).
    if let Some(origin) = origin {
        head.push_str(&format!(
            "Access-Control-Allow-Origin: {origin}\r\nVary: Origin\r\nAccess-Control-Allow-Methods: POST, GET, OPTIONS\r\nAccess-Control-Allow-Headers: Content-Type\r\n"
        ));
    }
    head.push_str(if keep_alive {
        "Connection: keep-alive\r\n\r\n"
    } else {
        "Connection: close\r\n\r\n"
    });
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    stream.flush().await
}

/// What a refused request's body says, as a JSON-RPC error.
fn error_body(status: u16) -> Vec<u8> {
    let error = match status {
        403 => RpcError::invalid_request("this page's origin is not allowed (rpc_allowed_origins)"),
        421 => RpcError::invalid_request(
            "the RPC listens on loopback: call it as 127.0.0.1, [::1] or localhost",
        ),
        404 => RpcError::invalid_request("the RPC is at /jsonrpc"),
        411 => RpcError::invalid_request("a request body needs a Content-Length"),
        413 => RpcError::invalid_request(format!("a request is at most {MAX_BODY} bytes")),
        503 => RpcError::aria2(format!(
            "{} connections are open already: try again when one closes",
            super::MAX_CONNECTIONS
        )),
        _ => RpcError::invalid_request("not a request this server takes"),
    };
    serde_json::to_vec(&jsonrpc::answer(Value::Null, Err(error))).unwrap_or_default()
}

/// Every call in a body, answered.
pub(super) async fn answer_body(shared: &Shared, body: &[u8]) -> Value {
    match jsonrpc::parse(body) {
        Incoming::Broken(error) => jsonrpc::answer(Value::Null, Err(error)),
        Incoming::One(call) => answer_call(shared, call).await,
        Incoming::Batch(calls) => {
            let mut answers = Vec::with_capacity(calls.len());
            for call in calls {
                answers.push(answer_call(shared, call).await);
            }
            Value::Array(answers)
        }
    }
}

async fn answer_call(shared: &Shared, call: Result<jsonrpc::Call, (Value, RpcError)>) -> Value {
    match call {
        Ok(call) => {
            let result = methods::call(&shared.context, &call.method, call.params).await;
            jsonrpc::answer(call.id, result)
        }
        Err((id, error)) => jsonrpc::answer(id, Err(error)),
    }
}

/// aria2's GET form: `?method=M&id=I&params=BASE64(JSON array)`.
async fn get_call(shared: &Shared, query: Option<&str>) -> Value {
    let mut method = None;
    let mut id = Value::Null;
    let mut params = Value::Array(Vec::new());
    for pair in query.unwrap_or("").split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_encoding::percent_decode_str(value)
            .decode_utf8_lossy()
            .into_owned();
        match key {
            "method" => method = Some(value),
            "id" => id = Value::String(value),
            "params" => {
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(value.as_bytes())
                    .ok()
                    .and_then(|bytes| serde_json::from_slice(&bytes).ok());
                match decoded {
                    Some(value) => params = value,
                    None => {
                        return jsonrpc::answer(
                            id,
                            Err(RpcError::parse("params must be base64 of a JSON array")),
                        );
                    }
                }
            }
            _ => {}
        }
    }
    let Some(method) = method else {
        return jsonrpc::answer(id, Err(RpcError::invalid_request("no method")));
    };
    let call = serde_json::json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
    answer_call(shared, jsonrpc::call(call)).await
}

/// Upgrade to a WebSocket: calls in text messages, each answered; aria2's
/// notifications pushed as the engine's events come.
async fn websocket(shared: Arc<Shared>, mut stream: TcpStream, head: &Head, read: Vec<u8>) {
    let Some(key) = head.header("sec-websocket-key") else {
        let _ = respond(&mut stream, 400, None, &error_body(400), false).await;
        return;
    };
    let accept = tokio_tungstenite::tungstenite::handshake::derive_accept_key(key.as_bytes());
    let answer = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
    );
    if stream.write_all(answer.as_bytes()).await.is_err() {
        return;
    }
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_BODY))
        .max_frame_size(Some(MAX_BODY));
    let mut socket =
        WebSocketStream::from_partially_read(stream, read, Role::Server, Some(config)).await;
    let mut events = shared.context.engine.subscribe();
    let mut told = notify::Told::default();
    loop {
        tokio::select! {
            message = socket.next() => {
                let text = match message {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Binary(bytes))) => match String::from_utf8(bytes.to_vec()) {
                        Ok(text) => text.into(),
                        Err(_) => return,
                    },
                    Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
                    Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                };
                let answer = answer_body(&shared, text.as_bytes()).await;
                if socket.send(Message::text(answer.to_string())).await.is_err() {
                    return;
                }
            }
            event = events.recv() => {
                let Some(event) = event else { return };
                for notification in told.notifications(&event) {
                    if socket.send(Message::text(notification.to_string())).await.is_err() {
                        return;
                    }
                }
            }
        }
    }
}
