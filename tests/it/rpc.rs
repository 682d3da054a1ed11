//! aria2's JSON-RPC: calls over HTTP and WebSocket drive real downloads from a
//! local server; the secret, the Origin check and the bounds hold against bad
//! input; notifications arrive with the GID.

use std::sync::Arc;

use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::support;
use support::server::{self, Resource};
use support::*;

const SECRET: &str = "correct horse battery staple";

async fn json_of(answer: reqwest::Response) -> Value {
    let bytes = answer.bytes().await.unwrap();
    serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&bytes)))
}

/// An RPC over a fresh engine, and a client for it.
struct Rpc {
    fixture: Fixture,
    listening: ferry::rpc::Listening,
    http: reqwest::Client,
    quit: Arc<tokio::sync::Notify>,
}

impl Rpc {
    async fn start() -> Self {
        Self::with_origins(Vec::new()).await
    }

    async fn with_origins(allowed_origins: Vec<String>) -> Self {
        let fixture = Fixture::start().await;
        let quit = Arc::new(tokio::sync::Notify::new());
        let settings = ferry::rpc::Settings {
            listen: "127.0.0.1:0".parse().unwrap(),
            secret: SECRET.into(),
            allowed_origins,
        };
        let listening = ferry::rpc::start(settings, fixture.engine.clone(), Arc::clone(&quit))
            .await
            .unwrap();
        Self {
            fixture,
            listening,
            http: reqwest::Client::new(),
            quit,
        }
    }

    fn url(&self) -> String {
        format!("http://{}/jsonrpc", self.listening.address)
    }

    /// POST a body; the answer's JSON.
    async fn post(&self, body: &Value) -> Value {
        json_of(
            self.http
                .post(self.url())
                .body(body.to_string())
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Call a method with the secret; its result (panics on an error).
    async fn call(&self, method: &str, params: Value) -> Value {
        let answer = self.try_call(method, params).await;
        assert!(answer.get("error").is_none(), "{method}: {answer}");
        answer["result"].clone()
    }

    async fn try_call(&self, method: &str, mut params: Value) -> Value {
        params
            .as_array_mut()
            .unwrap()
            .insert(0, json!(format!("token:{SECRET}")));
        self.post(&json!({"jsonrpc": "2.0", "id": "t", "method": method, "params": params}))
            .await
    }

    async fn status_of(&self, gid: &str) -> Value {
        self.call("aria2.tellStatus", json!([gid])).await
    }

    /// Poll until the download's status is `word`.
    async fn until(&self, gid: &str, word: &str) -> Value {
        within(60, async {
            loop {
                let status = self.status_of(gid).await;
                if status["status"] == word {
                    return status;
                }
                assert!(
                    status["status"] != "error" || word == "error",
                    "failed: {status}"
                );
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        })
        .await
    }
}

/// A download added with a Cookie header, a Referer and a file name arrives byte
/// for byte, the server sees both, and the lists, options and statistics say
/// so in aria2's types (numbers as strings, 16-digit GIDs).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_uri_with_headers_downloads_and_is_listed_in_aria2_terms() {
    let rpc = Rpc::start().await;
    let body = data(3 << 20, 81);
    rpc.fixture.server.put(
        "/dl/file.bin",
        Resource::new(body.clone())
            .require("cookie", "session=abc")
            .require("referer", "http://site.test/page"),
    );
    let dir = rpc.fixture.dir.path().join("from-rpc");
    let gid = rpc
        .call(
            "aria2.addUri",
            json!([[rpc.fixture.server.url("/dl/file.bin")], {
                "dir": dir.display().to_string(),
                "out": "renamed.bin",
                "header": ["Cookie: session=abc"],
                "referer": "http://site.test/page",
                "split": "2",
            }]),
        )
        .await;
    let gid = gid.as_str().unwrap().to_owned();
    assert_eq!(gid.len(), 16);
    assert!(gid.bytes().all(|b| b.is_ascii_hexdigit()));
    let done = rpc.until(&gid, "complete").await;
    assert_eq!(done["totalLength"], (3 << 20).to_string());
    assert_eq!(done["completedLength"], (3 << 20).to_string());
    assert_eq!(done["dir"], dir.display().to_string());
    assert_eq!(
        done["files"][0]["path"],
        dir.join("renamed.bin").display().to_string()
    );
    assert_eq!(sha256_file(&dir.join("renamed.bin")), sha256(&body));
    let seen = rpc.fixture.server.seen("/dl/file.bin");
    assert!(
        seen.iter()
            .all(|s| s.header("cookie") == Some("session=abc"))
    );

    // The cookie went to the secret store, not the database.
    let db = std::fs::read(rpc.fixture.dir.path().join("data/ferry.redb")).unwrap_or_default();
    assert!(!db.windows(11).any(|w| w == b"session=abc"));

    let short = rpc
        .call("aria2.tellStatus", json!([&gid[..6], ["gid", "status"]]))
        .await;
    assert_eq!(
        short,
        json!({"gid": gid, "status": "complete"}),
        "a prefix, and keys"
    );
    let stopped = rpc.call("aria2.tellStopped", json!([0, 10, ["gid"]])).await;
    assert_eq!(stopped, json!([{"gid": gid}]));
    assert_eq!(rpc.call("aria2.tellActive", json!([])).await, json!([]));
    let stat = rpc.call("aria2.getGlobalStat", json!([])).await;
    assert_eq!(stat["numStopped"], "1");
    assert_eq!(stat["numActive"], "0");
    let options = rpc.call("aria2.getOption", json!([gid])).await;
    assert_eq!(options["out"], "renamed.bin");
    assert_eq!(
        rpc.call("aria2.getUris", json!([gid])).await[0]["uri"],
        rpc.fixture.server.url("/dl/file.bin")
    );

    assert_eq!(rpc.call("aria2.purgeDownloadResult", json!([])).await, "OK");
    assert_eq!(
        rpc.call("aria2.tellStopped", json!([0, 10])).await,
        json!([])
    );
    assert!(dir.join("renamed.bin").exists(), "the file stays");
    let gone = rpc.try_call("aria2.tellStatus", json!([gid])).await;
    assert_eq!(gone["error"]["code"], 1, "{gone}");
}

/// Pause, the waiting list, unpause, a global limit, a queue move, several
/// calls at once (system.multicall and a batch), and remove.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_unpause_limits_and_batches() {
    let rpc = Rpc::start().await;
    let body = data(4 << 20, 82);
    rpc.fixture
        .server
        .put("/slow.bin", Resource::new(body.clone()).rate(1 << 20));
    let url = rpc.fixture.server.url("/slow.bin");
    let gid = rpc
        .call("aria2.addUri", json!([[url], {"pause": "true"}]))
        .await;
    let gid = gid.as_str().unwrap().to_owned();
    assert_eq!(rpc.status_of(&gid).await["status"], "paused");
    let waiting = rpc
        .call("aria2.tellWaiting", json!([0, 5, ["gid", "status"]]))
        .await;
    assert_eq!(waiting, json!([{"gid": gid, "status": "paused"}]));
    assert_eq!(
        rpc.call("aria2.changePosition", json!([gid, 0, "POS_SET"]))
            .await,
        0
    );

    assert_eq!(
        rpc.call(
            "aria2.changeGlobalOption",
            json!([{"max-overall-download-limit": "512K", "max-concurrent-downloads": "3"}])
        )
        .await,
        "OK"
    );
    let global = rpc.call("aria2.getGlobalOption", json!([])).await;
    assert_eq!(
        global["max-overall-download-limit"],
        (512 * 1024).to_string()
    );
    assert_eq!(global["max-concurrent-downloads"], "3");
    assert_eq!(rpc.fixture.engine.limit(), Some(512 * 1024));

    assert_eq!(rpc.call("aria2.unpause", json!([gid])).await, gid);
    rpc.until(&gid, "active").await;
    let servers = rpc.call("aria2.getServers", json!([gid])).await;
    assert_eq!(servers[0]["servers"][0]["uri"], url);

    let token = format!("token:{SECRET}");
    let multi = rpc
        .call(
            "system.multicall",
            json!([[
                {"methodName": "aria2.tellStatus", "params": [token, gid, ["status"]]},
                {"methodName": "aria2.getVersion", "params": [token]},
                {"methodName": "aria2.tellStatus", "params": ["token:wrong", gid]},
            ]]),
        )
        .await;
    assert_eq!(multi[0], json!([{"status": "active"}]));
    assert!(multi[1][0]["version"].is_string());
    assert_eq!(multi[2]["message"], "Unauthorized");

    let batch = rpc
        .post(&json!([
            {"jsonrpc": "2.0", "id": 1, "method": "aria2.pause", "params": [token, gid]},
            {"jsonrpc": "2.0", "id": 2, "method": "aria2.getSessionInfo", "params": [token]},
        ]))
        .await;
    assert_eq!(batch[0]["result"], gid);
    assert!(batch[1]["result"]["sessionId"].is_string());
    rpc.until(&gid, "paused").await;
    assert_eq!(rpc.call("aria2.unpauseAll", json!([])).await, "OK");
    rpc.until(&gid, "active").await;
    assert_eq!(rpc.call("aria2.remove", json!([gid])).await, gid);
    rpc.until(&gid, "removed").await;
    assert!(
        !rpc.fixture
            .dir
            .path()
            .join("downloads/slow.bin.part")
            .exists()
    );
}

/// A wrong or missing secret, a page from elsewhere, oversized and malformed
/// requests: each gets its error and creates nothing; the RPC goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_secrets_origins_and_malformed_requests_are_refused() {
    let rpc = Rpc::with_origins(vec!["https://ariang.example".into()]).await;
    rpc.fixture
        .server
        .put("/f.bin", Resource::new(vec![1u8; 1000]));
    let url = rpc.fixture.server.url("/f.bin");
    for params in [
        json!([[url]]),
        json!(["token:nope", [url]]),
        json!(["token:", [url]]),
    ] {
        let answer = rpc
            .post(&json!({"jsonrpc": "2.0", "id": 1, "method": "aria2.addUri", "params": params}))
            .await;
        assert_eq!(answer["error"]["code"], 1, "{answer}");
        assert_eq!(answer["error"]["message"], "Unauthorized");
    }
    assert!(rpc.fixture.engine.list().is_empty(), "nothing created");
    assert!(rpc.fixture.server.seen("/f.bin").is_empty());

    // A page from elsewhere is refused; the allowed one gets CORS headers.
    let from = |origin: &str| {
        rpc.http
            .post(rpc.url())
            .header("Origin", origin)
            .body(r#"{"jsonrpc":"2.0","id":1,"method":"system.listMethods"}"#)
            .send()
    };
    let refused = from("https://evil.example").await.unwrap();
    assert_eq!(refused.status(), 403);
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    let allowed = from("https://ariang.example").await.unwrap();
    assert_eq!(allowed.status(), 200);
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://ariang.example"
    );

    // A page that rebound its own name to 127.0.0.1 (DNS rebinding) still
    // says its name as Host: refused; this machine's names are not.
    let rebound = rpc
        .http
        .post(rpc.url())
        .header("Host", "attacker.example:6800")
        .body(r#"{"jsonrpc":"2.0","id":1,"method":"system.listMethods"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status(), 403);
    assert!(
        json_of(rebound).await["error"]["message"]
            .as_str()
            .unwrap()
            .contains("loopback")
    );
    for host in ["localhost:6800", "127.0.0.1", "[::1]:6800"] {
        let answer = rpc
            .http
            .post(rpc.url())
            .header("Host", host)
            .body(r#"{"jsonrpc":"2.0","id":1,"method":"system.listMethods"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200, "{host}");
    }

    // 10 MB: refused by its length, unread.
    let huge = rpc
        .http
        .post(rpc.url())
        .body(vec![b' '; 10 << 20])
        .send()
        .await;
    if let Ok(answer) = huge {
        assert_eq!(answer.status(), 413);
    }
    let code = |answer: &Value| answer["error"]["code"].as_i64().unwrap();
    let raw = |body: &'static str| rpc.http.post(rpc.url()).body(body).send();
    let answer = json_of(raw("{not json").await.unwrap()).await;
    assert_eq!(code(&answer), -32700);
    let many = format!(
        "[{}]",
        vec![r#"{"jsonrpc":"2.0","id":1,"method":"system.listMethods"}"#; 10_000].join(",")
    );
    let answer = json_of(rpc.http.post(rpc.url()).body(many).send().await.unwrap()).await;
    assert_eq!(code(&answer), -32600, "{answer}");
    let answer = rpc.try_call("aria2.frobnicate", json!([])).await;
    assert_eq!(code(&answer), -32601);
    let answer = rpc.try_call("aria2.addUri", json!(["not a list"])).await;
    assert_eq!(code(&answer), -32602);
    let answer = rpc.try_call("aria2.tellWaiting", json!(["zero", 5])).await;
    assert_eq!(code(&answer), -32602);
    let answer = rpc.try_call("aria2.addTorrent", json!(["AAAA"])).await;
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not supported")
    );
    let answer = rpc
        .try_call("aria2.addUri", json!([["file:///etc/passwd"]]))
        .await;
    assert_eq!(code(&answer), 1, "{answer}");
    assert!(
        rpc.fixture.engine.list().is_empty(),
        "still nothing created"
    );

    // Still answering, also in aria2's GET form.
    use base64::Engine as _;
    let params = base64::engine::general_purpose::STANDARD
        .encode(json!([format!("token:{SECRET}")]).to_string());
    let answer = json_of(
        rpc.http
            .get(format!(
                "{}?method=aria2.getVersion&id=g&params={params}",
                rpc.url()
            ))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(answer["id"], "g");
    assert!(answer["result"]["version"].is_string(), "{answer}");
    drop(rpc.quit);
}

/// Over a WebSocket: calls answered, and each change pushed with the GID:
/// start and complete for one download; start, pause and stop for another.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_client_hears_each_change_with_its_gid() {
    let rpc = Rpc::start().await;
    rpc.fixture
        .server
        .put("/ws.bin", Resource::new(data(2 << 20, 83)).rate(4 << 20));
    let stream = tokio::net::TcpStream::connect(rpc.listening.address)
        .await
        .unwrap();
    let url = format!("ws://{}/jsonrpc", rpc.listening.address);
    let (mut socket, _) = tokio_tungstenite::client_async(url, stream).await.unwrap();
    let add = json!({
        "jsonrpc": "2.0", "id": "add", "method": "aria2.addUri",
        "params": [format!("token:{SECRET}"), [rpc.fixture.server.url("/ws.bin")]],
    });
    socket.send(Message::text(add.to_string())).await.unwrap();
    let mut gid = None;
    let mut heard = Vec::new();
    within(60, async {
        while !heard
            .iter()
            .any(|(m, _): &(String, String)| m == "aria2.onDownloadComplete")
        {
            let Some(Ok(Message::Text(text))) = socket.next().await else {
                panic!("the socket closed");
            };
            let message: Value = serde_json::from_str(&text).unwrap();
            if message["id"] == "add" {
                gid = Some(message["result"].as_str().unwrap().to_owned());
            } else if let Some(method) = message["method"].as_str() {
                heard.push((
                    method.to_owned(),
                    message["params"][0]["gid"].as_str().unwrap().to_owned(),
                ));
            }
        }
    })
    .await;
    let gid = gid.expect("the call was answered");
    assert_eq!(
        heard,
        vec![
            ("aria2.onDownloadStart".to_owned(), gid.clone()),
            ("aria2.onDownloadComplete".to_owned(), gid),
        ]
    );

    // A slow one paused, then removed: onDownloadPause, onDownloadStop.
    rpc.fixture
        .server
        .put("/slow.bin", Resource::new(data(8 << 20, 85)).rate(1 << 20));
    let slow = rpc
        .call(
            "aria2.addUri",
            json!([[rpc.fixture.server.url("/slow.bin")]]),
        )
        .await;
    let slow = slow.as_str().unwrap().to_owned();
    rpc.until(&slow, "active").await;
    rpc.call("aria2.pause", json!([slow])).await;
    rpc.until(&slow, "paused").await;
    rpc.call("aria2.remove", json!([slow])).await;
    let mut heard = Vec::new();
    within(60, async {
        while !heard.contains(&"aria2.onDownloadStop".to_owned()) {
            let Some(Ok(Message::Text(text))) = socket.next().await else {
                panic!("the socket closed");
            };
            let message: Value = serde_json::from_str(&text).unwrap();
            if message["params"][0]["gid"] == slow.as_str() {
                heard.push(message["method"].as_str().unwrap().to_owned());
            }
        }
    })
    .await;
    assert_eq!(
        heard,
        [
            "aria2.onDownloadStart",
            "aria2.onDownloadPause",
            "aria2.onDownloadStop"
        ]
    );
}

/// 64 connections at once: the next one is told the RPC is busy (503 with a
/// JSON-RPC error) and closed; once one closes, calls are answered again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_bound_are_turned_away_with_a_reason() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let rpc = Rpc::start().await;
    let mut open = Vec::new();
    for _ in 0..64 {
        open.push(
            tokio::net::TcpStream::connect(rpc.listening.address)
                .await
                .unwrap(),
        );
    }
    // Each of the 64 has been accepted once a call on it is answered.
    for stream in &mut open {
        let body = r#"{"jsonrpc":"2.0","id":1,"method":"system.listMethods"}"#;
        let request = format!(
            "POST /jsonrpc HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = [0u8; 12];
        stream.read_exact(&mut answer).await.unwrap();
        assert_eq!(&answer, b"HTTP/1.1 200");
    }
    let mut extra = tokio::net::TcpStream::connect(rpc.listening.address)
        .await
        .unwrap();
    let mut answer = String::new();
    within(10, extra.read_to_string(&mut answer)).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("connections are open already"), "{answer}");
    open.clear();
    within(10, async {
        loop {
            let answer = rpc
                .http
                .post(rpc.url())
                .body(r#"{"jsonrpc":"2.0","id":1,"method":"system.listMethods"}"#)
                .send()
                .await;
            if answer.is_ok_and(|a| a.status() == 200) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    })
    .await;
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn listens(port: u16) -> bool {
    std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
}

/// The agent answers the RPC only when its settings name an address and a
/// secret: off by default, off (and the first client told why) without a
/// secret; with both it listens, and `aria2.shutdown` stops the agent after its
/// checkpoints, as `ferry quit` does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_listens_only_when_told_to_and_with_a_secret() {
    use support::program::{Ferry, text};
    let aria2_port_was_free = std::net::TcpListener::bind("127.0.0.1:6800").is_ok();
    let ferry = Ferry::new();
    assert!(ferry.run(&["list"]).await.status.success());
    if aria2_port_was_free {
        assert!(!listens(6800), "nothing listens on aria2's port by default");
    }

    let port = free_port();
    let ferry = Ferry::with_config(&format!("rpc_listen = \"127.0.0.1:{port}\""));
    let out = ferry.run(&["list"]).await;
    assert!(out.status.success());
    assert!(
        text(&out.stderr).contains("rpc_secret"),
        "the user hears why: {}",
        text(&out.stderr)
    );
    assert!(!listens(port), "no RPC without a secret");

    let port = free_port();
    let ferry = Ferry::with_config(&format!(
        "rpc_listen = \"127.0.0.1:{port}\"\nrpc_secret = \"{SECRET}\""
    ));
    assert!(ferry.run(&["list"]).await.status.success());
    let pid = ferry.agent_pid().expect("an agent runs");
    assert!(listens(port));
    let answer = json_of(
        reqwest::Client::new()
            .post(format!("http://127.0.0.1:{port}/jsonrpc"))
            .body(
                json!({"jsonrpc": "2.0", "id": 1, "method": "aria2.shutdown",
                       "params": [format!("token:{SECRET}")]})
                .to_string(),
            )
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(answer["result"], "OK", "{answer}");
    within(30, async {
        while std::path::Path::new(&format!("/proc/{pid}")).exists() {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(!listens(port));
}

/// The Python that has `aria2p` (`.ci/run` makes it: `target/aria2p`), if any.
fn aria2p_python() -> Option<std::path::PathBuf> {
    let python = std::env::var_os("FERRY_ARIA2P_PYTHON")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/aria2p/bin/python")
        });
    python.exists().then_some(python)
}

/// aria2p, a client nobody here wrote, drives Ferry as it drives aria2: a URI
/// with a Cookie header and a Referer under a global limit, watched, paused,
/// unpaused, the limit lifted, listed active, waiting and stopped, three paused
/// ones moved in the queue (top, down, bottom, up), removed and purged
/// (tests/rpc/aria2p_drive.py). The file is byte-exact and the server saw
/// both headers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aria2p_drives_a_download_through_ferry() {
    use support::program::{Ferry, text};
    let Some(python) = aria2p_python() else {
        println!(
            "skipped: no aria2p (python3 -m venv target/aria2p && target/aria2p/bin/pip install aria2p==0.12.3)"
        );
        return;
    };
    let port = free_port();
    let ferry = Ferry::with_config(&format!(
        "rpc_listen = \"127.0.0.1:{port}\"\nrpc_secret = \"{SECRET}\""
    ));
    assert!(ferry.run(&["list"]).await.status.success());
    let server = server::TestServer::start().await;
    let body = data(1536 * 1024, 84);
    server.put(
        "/pub/big.bin",
        Resource::new(body.clone())
            .require("cookie", "session=from-aria2p")
            .require("referer", "http://page.test/list.html"),
    );
    let folder = ferry.dir.path().join("aria2p");
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/rpc/aria2p_drive.py");
    let out = within(
        120,
        tokio::process::Command::new(&python)
            .arg(&script)
            .arg(port.to_string())
            .arg(SECRET)
            .arg(server.url("/pub/big.bin"))
            .arg(&folder)
            .output(),
    )
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "aria2p: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let seen: Value = serde_json::from_slice(&out.stdout).unwrap();
    let gid = seen["gid"].as_str().unwrap();
    assert_eq!(seen["limit"], (512 * 1024).to_string());
    for list in ["active", "waiting", "stopped", "listed"] {
        assert_eq!(seen[list], json!([gid]), "{list}: {seen}");
    }
    assert_eq!(seen["completed_length"], body.len());
    assert_eq!(seen["total_length"], body.len());
    assert_eq!(seen["after_purge"], json!([]));
    // [a b c] → top c [c a b] 0 → down c [a c b] 1 → bottom a [c b a] 2 → up b [b c a] 0.
    assert_eq!(seen["queue_added"], true, "{seen}");
    assert_eq!(seen["moves"], json!([0, 1, 2, 0]), "{seen}");
    assert_eq!(seen["queue_moved"], true, "{seen}");
    assert_eq!(sha256_file(&folder.join("via-aria2p.bin")), sha256(&body));
    let requests = server.seen("/pub/big.bin");
    assert!(!requests.is_empty());
    assert!(
        requests
            .iter()
            .all(|r| r.header("cookie") == Some("session=from-aria2p")
                && r.header("referer") == Some("http://page.test/list.html"))
    );
    // An ordinary Ferry operation: `ferry list` knew it until the purge.
    assert_eq!(ferry.json(&["list", "--json"]).await, json!([]));
}

/// `changeUri` is Ferry's link refresh: a download whose address expired shows
/// as `error` saying so, and continues from the new address it is given (the
/// same file), byte for byte; another file there is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn change_uri_continues_a_download_whose_address_expired() {
    let rpc = Rpc::start().await;
    let body = data(3 << 20, 86);
    rpc.fixture.server.put(
        "/signed/v1/disk.img",
        Resource::expiring(body.clone(), 1 << 20),
    );
    let old = rpc.fixture.server.url("/signed/v1/disk.img");
    let gid = rpc.call("aria2.addUri", json!([[old]])).await;
    let gid = gid.as_str().unwrap().to_owned();
    let waiting = rpc.until(&gid, "error").await;
    assert_eq!(waiting["errorCode"], "24", "{waiting}");
    assert!(
        waiting["errorMessage"]
            .as_str()
            .unwrap()
            .contains("changeUri"),
        "{waiting}"
    );
    let other = Resource::elsewhere(data(3 << 20, 87));
    rpc.fixture.server.put("/signed/v2/other.img", other);
    let refused = rpc
        .try_call(
            "aria2.changeUri",
            json!([
                gid,
                1,
                [old],
                [rpc.fixture.server.url("/signed/v2/other.img")]
            ]),
        )
        .await;
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("different file"),
        "{refused}"
    );
    rpc.fixture
        .server
        .put("/signed/v2/disk.img", Resource::elsewhere(body.clone()));
    let changed = rpc
        .call(
            "aria2.changeUri",
            json!([
                gid,
                1,
                [old],
                [rpc.fixture.server.url("/signed/v2/disk.img")]
            ]),
        )
        .await;
    assert_eq!(changed, json!([1, 1]));
    let done = rpc.until(&gid, "complete").await;
    assert_eq!(
        done["files"][0]["uris"][0]["uri"],
        rpc.fixture.server.url("/signed/v2/disk.img")
    );
    let path = done["files"][0]["path"].as_str().unwrap();
    assert_eq!(sha256_file(std::path::Path::new(path)), sha256(&body));
}
