//! The agent runs all day in the user's session: what it exposes locally. Its
//! socket and data are the user's alone, other users are refused even if the
//! folder is opened to them, every request is bounded, partial files are
//! private, and completion actions never go through a shell.

use crate::support;

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::time::Duration;

use ferry::engine::{Request, Status};
use support::program::{Ferry, text};
use support::server::{Resource, TestServer};
use support::*;
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn umask() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find_map(|l| l.strip_prefix("Umask:"))
        .unwrap();
    u32::from_str_radix(line.trim(), 8).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_socket_and_the_data_directory_are_private() {
    let ferry = Ferry::new();
    // A data directory that exists already, open to all.
    std::fs::create_dir_all(ferry.data_dir()).unwrap();
    std::fs::set_permissions(ferry.data_dir(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = ferry.run(&["status"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(mode(&ferry.data_dir()), 0o700);
    assert_eq!(mode(&ferry.data_dir().join("agent.sock")), 0o600);
    println!(
        "reliability: socket and data directory | 1 | 0600 socket in a 0700 folder (a 0755 one is tightened)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_user_is_refused_even_through_an_open_socket() {
    let ferry = Ferry::new();
    let out = ferry.run(&["status"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Open the way on purpose: only the peer check stands.
    std::fs::set_permissions(ferry.data_dir(), std::fs::Permissions::from_mode(0o711)).unwrap();
    let socket = ferry.data_dir().join("agent.sock");
    std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o666)).unwrap();
    let exe = env!("CARGO_BIN_EXE_ferry");
    let nobody = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(exe)
        .args(["status"])
        .env("FERRY_DATA_DIR", ferry.data_dir())
        .env("HOME", "/nonexistent")
        .output();
    let out = match nobody {
        Ok(out)
            if !text(&out.stderr).contains("Permission denied") || out.status.code() == Some(3) =>
        {
            out
        }
        Ok(out) => {
            println!(
                "skipped: uid 65534 cannot run the test binary here: {}",
                text(&out.stderr)
            );
            return;
        }
        Err(e) => {
            println!("skipped: cannot run as another user (setpriv: {e})");
            return;
        }
    };
    if text(&out.stderr).contains("Operation not permitted") {
        println!("skipped: this process may not change its user");
        return;
    }
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("belongs to another user"),
        "{}",
        text(&out.stderr)
    );
    let log = std::fs::read_to_string(ferry.data_dir().join("ferry.log")).unwrap();
    assert!(
        log.contains("refused a connection from another user"),
        "{log}"
    );
    // The owner still gets in.
    let out = ferry.run(&["status"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    println!(
        "reliability: a client of another user | 1 | refused by peer credentials (exit 3), logged"
    );
}

/// One request line on the socket; the answer line.
async fn raw_call(socket: &Path, lines: &[String]) -> Vec<String> {
    let stream = tokio::net::UnixStream::connect(socket).await.unwrap();
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    let mut answers = Vec::new();
    for line in lines {
        // A write may fail when the agent hangs up on an oversized line; its answer,
        // sent before hanging up, is still there to read.
        let sent =
            write.write_all(line.as_bytes()).await.is_ok() && write.write_all(b"\n").await.is_ok();
        let mut answer = String::new();
        match within(10, reader.read_line(&mut answer)).await {
            Ok(n) if n > 0 => answers.push(answer),
            _ => break,
        }
        if !sent {
            break;
        }
    }
    answers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_on_the_socket_are_checked_and_bounded() {
    let ferry = Ferry::new();
    let out = ferry.run(&["status"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let socket = ferry.data_dir().join("agent.sock");
    let hello = r#"{"op":"hello","protocol":1}"#.to_owned();
    let create = |request: serde_json::Value| {
        serde_json::json!({"op": "create", "request": request}).to_string()
    };
    let headers: Vec<serde_json::Value> = (0..1000)
        .map(|i| serde_json::json!({"name": format!("X-{i}"), "value": "v"}))
        .collect();
    let answers = raw_call(
        &socket,
        &[
            hello.clone(),
            create(serde_json::json!({"kind": "download", "url": "http://127.0.0.1:1/a", "destination": "relative/a.bin"})),
            create(serde_json::json!({"kind": "download", "url": "http://127.0.0.1:1/a", "headers": headers})),
            create(serde_json::json!({"kind": "download", "url": format!("http://127.0.0.1:1/{}", "a".repeat(20_000))})),
            r#"{"op":"format_disk"}"#.to_owned(),
        ],
    )
    .await;
    assert_eq!(answers.len(), 5, "{answers:?}");
    let [_, relative, many, long, unknown] = &answers[..] else {
        unreachable!()
    };
    assert!(
        relative.contains("invalid_input") && relative.contains("absolute"),
        "{relative}"
    );
    assert!(
        many.contains("invalid_input") && many.contains("too many headers"),
        "{many}"
    );
    assert!(
        long.contains("invalid_input") && long.contains("too long"),
        "{long}"
    );
    assert!(unknown.contains("protocol"), "{unknown}");
    // A line longer than the agent reads: refused, the connection closed.
    let huge = format!(r#"{{"op":"show","id":"{}"}}"#, "a".repeat(2 << 20));
    let answers = raw_call(&socket, &[hello, huge]).await;
    assert_eq!(answers.len(), 2, "{answers:?}");
    assert!(
        answers[1].contains("protocol") && answers[1].contains("too long"),
        "{}",
        answers[1]
    );
    // Nothing was created; the agent still answers.
    let listed = ferry.json(&["list", "--json"]).await;
    assert_eq!(listed.as_array().unwrap().len(), 0, "{listed}");
    println!(
        "reliability: malformed and oversized requests on the socket | 1 | refused with a reason, nothing created, agent unharmed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partial_file_is_private_and_the_finished_one_gets_the_usual_mode() {
    let Fixture {
        dir,
        server,
        engine,
        mut events,
    } = Fixture::start().await;
    let body = data(2 << 20, 91);
    server.put("/f", Resource::new(body.clone()).rate(1 << 20));
    let dest = dir.path().join("private.bin");
    let id = engine
        .create(Request::download(server.url("/f"), Some(dest.clone())))
        .await
        .unwrap()
        .id;
    wait_bytes(&engine, &mut events, id, 256 << 10).await;
    assert_eq!(mode(&dir.path().join("private.bin.part")), 0o600);
    let done = wait_finished(&engine, &mut events, id).await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    assert_eq!(mode(&dest), 0o666 & !umask());
    assert_eq!(sha256_file(&dest), sha256(&body));
    engine.shutdown().await;
    println!(
        "reliability: file modes | 1 | .part 0600 while downloading, 0666 less the umask once complete"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_completion_action_gets_its_arguments_as_they_are_never_through_a_shell() {
    let ferry = Ferry::new();
    let server = TestServer::start().await;
    server.put("/f", Resource::new(data(1000, 92)));
    let marker = ferry.dir.path().join("pwned");
    let injection = format!("$(touch {})", marker.display());
    let semicolon = format!("; touch {}", marker.display());
    let out = ferry
        .run(&[
            "group",
            "create",
            "safe",
            "--on-complete",
            "/bin/echo",
            &injection,
            &semicolon,
        ])
        .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = ferry
        .run(&["get", &server.url("/f"), "--group", "safe", "--detach"])
        .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = ferry.run(&["group", "enable", "safe"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = within(30, async {
        loop {
            let shown = ferry.json(&["group", "show", "safe", "--json"]).await;
            if shown["group"]["action_state"]["state"] == "succeeded" {
                return shown;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    assert!(!marker.exists(), "nothing ran the arguments: {shown}");
    let output = shown["group"]["runs"][0]["output"].as_str().unwrap();
    assert_eq!(
        output.trim(),
        format!("{injection} {semicolon}"),
        "echo printed them as they are"
    );
    println!(
        "reliability: shell syntax in a completion action's arguments | 1 | passed as they are, never run"
    );
}
