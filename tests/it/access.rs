//! Credentials, proxies, cookies and custom headers, through the `ferry` program:
//! what reaches the servers, and where secrets never end up (the database, the log,
//! `ferry show --json`).

use crate::support;

use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use support::program::{Ferry, text};
use support::proxy::TestProxy;
use support::server::{Resource, TestServer};
use support::*;

const PASSWORD: &str = "correct-horse-battery";

/// `ferry get … --detach` with `PW` holding the password; the id.
async fn get(ferry: &Ferry, args: &[&str]) -> String {
    let mut all = vec!["get"];
    all.extend_from_slice(args);
    all.push("--detach");
    let out = ferry
        .command(&all)
        .env("PW", PASSWORD)
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{all:?}: {}", text(&out.stderr));
    text(&out.stdout).trim().to_owned()
}

async fn wait(ferry: &Ferry, id: &str) -> Value {
    let _ = ferry.run(&["wait", id]).await;
    ferry.json(&["show", id, "--json"]).await
}

/// Every file under the data directory, as bytes, with its name.
fn data_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_authentication_works_and_the_password_is_kept_out_of_sight() {
    let ferry = Ferry::new();
    let server = TestServer::start().await;
    let body = data(100_000, 81);
    server.put(
        "/private/report.pdf",
        Resource::new(body.clone()).basic_auth("alice", PASSWORD),
    );
    let url = server.url("/private/report.pdf");

    // Without credentials: Unauthorized, saying what is missing.
    let out = ferry.run(&["get", &url]).await;
    assert_eq!(out.status.code(), Some(1));
    let refused = ferry.json(&["list", "--json"]).await[0].clone();
    assert_eq!(refused["status"], "Error");
    assert_eq!(refused["error"]["status"], "Unauthorized");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("needs a user name and password"),
        "{message}"
    );

    // With them (the password from the environment).
    let id = get(&ferry, &[&url, "--user", "alice", "--password-env", "PW"]).await;
    let done = wait(&ferry, &id).await;
    assert_eq!(done["status"], "Completed", "{done}");
    assert_eq!(
        sha256_file(Path::new(done["destination"].as_str().unwrap())),
        sha256(&body)
    );

    // In the URL: accepted, and the stored URL no longer has them.
    let embedded = url.replace("http://", &format!("http://alice:{PASSWORD}@"));
    let id = get(&ferry, &[&embedded]).await;
    let done = wait(&ferry, &id).await;
    assert_eq!(done["status"], "Completed", "{done}");
    assert_eq!(done["url"], url.as_str());
    assert_eq!(done["secrets"]["user"], "alice");

    // Nowhere in the database, the log or what `show` prints.
    let shown = ferry.run(&["show", &id]).await;
    assert!(!contains(&shown.stdout, PASSWORD));
    let listed = ferry.run(&["list", "--json"]).await;
    assert!(!contains(&listed.stdout, PASSWORD));
    let quit = ferry.run(&["quit"]).await;
    assert!(quit.status.success());
    let files = data_files(&ferry.data_dir());
    for (name, bytes) in &files {
        if name == "secrets.json" {
            continue;
        }
        assert!(!contains(bytes, PASSWORD), "the password is in {name}");
    }
    assert!(files.iter().any(|(name, _)| name == "ferry.redb"));
    assert!(files.iter().any(|(name, _)| name == "ferry.log"));
    // Without a system keyring it is in a file only the user can read.
    use std::os::unix::fs::PermissionsExt as _;
    let secrets = ferry.data_dir().join("secrets.json");
    let mode = std::fs::metadata(&secrets).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert!(contains(&std::fs::read(&secrets).unwrap(), PASSWORD));

    // Removing the operations forgets their secrets.
    let listed = ferry.json(&["list", "--json"]).await;
    for operation in listed.as_array().unwrap() {
        let id = operation["id"].as_str().unwrap();
        assert!(ferry.run(&["remove", id]).await.status.success());
    }
    assert!(!contains(&std::fs::read(&secrets).unwrap(), PASSWORD));
    println!(
        "reliability: a password in a request (Basic auth) | 1 | absent from redb, the log, show and list --json; kept in a 0600 file, forgotten on remove"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_that_wants_credentials_relays_only_with_them() {
    let ferry = Ferry::new();
    let server = TestServer::start().await;
    let proxy = TestProxy::start("bob", "proxy-secret").await;
    let body = data(80_000, 82);
    server.put("/via-proxy.bin", Resource::new(body.clone()));
    let url = server.url("/via-proxy.bin");

    // No credentials for the proxy: it refuses, and the status says so.
    let id = get(&ferry, &[&url, "--proxy", &proxy.url()]).await;
    let done = wait(&ferry, &id).await;
    assert_eq!(done["status"], "Error", "{done}");
    assert_eq!(done["error"]["status"], "ProxyAuthenticationRequired");
    assert!(proxy.refused() >= 1);
    assert_eq!(proxy.relayed(), 0);
    assert!(server.seen("/via-proxy.bin").is_empty());

    // With them, through the proxy.
    let with_user = proxy.url().replace("http://", "http://bob:proxy-secret@");
    let id = get(&ferry, &[&url, "--proxy", &with_user]).await;
    let done = wait(&ferry, &id).await;
    assert_eq!(done["status"], "Completed", "{done}");
    assert_eq!(
        sha256_file(Path::new(done["destination"].as_str().unwrap())),
        sha256(&body)
    );
    assert_eq!(proxy.relayed(), 1);
    assert_eq!(server.seen("/via-proxy.bin").len(), 1);
    assert_eq!(done["proxy"], format!("{}/", proxy.url()));
    assert_eq!(done["secrets"]["proxy_user"], "bob");
    assert!(!done.to_string().contains("proxy-secret"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookies_from_the_command_line_and_a_cookies_file_reach_the_server() {
    let ferry = Ferry::new();
    let server = TestServer::start().await;
    server.put("/dl/file.bin", Resource::new(data(1000, 83)));
    let url = server.url("/dl/file.bin");
    let cookies = ferry.dir.path().join("cookies.txt");
    std::fs::write(
        &cookies,
        "# Netscape HTTP Cookie File\n\
         127.0.0.1\tFALSE\t/\tFALSE\t0\tfrom_file\tyes\n\
         127.0.0.1\tFALSE\t/other\tFALSE\t0\twrong_path\tno\n\
         elsewhere.example\tTRUE\t/\tFALSE\t0\tforeign\tno\n",
    )
    .unwrap();
    let id = get(
        &ferry,
        &[
            &url,
            "--cookie",
            "session=abc123",
            "--cookies",
            &cookies.to_string_lossy(),
        ],
    )
    .await;
    let done = wait(&ferry, &id).await;
    assert_eq!(done["status"], "Completed", "{done}");
    let seen = server.seen("/dl/file.bin");
    let cookie = seen[0].header("cookie").unwrap_or("");
    let mut sent: Vec<&str> = cookie.split("; ").collect();
    sent.sort_unstable();
    assert_eq!(sent, ["from_file=yes", "session=abc123"]);
    assert_eq!(done["secrets"]["cookies"], 2);
    assert!(!done.to_string().contains("abc123"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_survive_a_pause_and_credentials_do_not_follow_a_redirect_elsewhere() {
    let ferry = Ferry::new();
    let server = TestServer::start().await;
    let body = data(3 * 1024 * 1024, 84);
    server.put("/slow.bin", Resource::new(body.clone()).rate(1024 * 1024));
    let url = server.url("/slow.bin");
    let id = get(
        &ferry,
        &[
            &url,
            "-H",
            "X-Client: ferry-test",
            "-H",
            "Authorization: Bearer t0ken",
        ],
    )
    .await;
    within(30, async {
        loop {
            let shown = ferry.json(&["show", &id, "--json"]).await;
            if shown["bytes"].as_u64().unwrap_or(0) > 256 * 1024 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(ferry.run(&["pause", &id]).await.status.success());
    assert!(ferry.run(&["resume", &id]).await.status.success());
    let done = wait(&ferry, &id).await;
    assert_eq!(done["status"], "Completed", "{done}");
    let seen = server.seen("/slow.bin");
    assert!(
        seen.len() >= 2,
        "paused and resumed: {} requests",
        seen.len()
    );
    let resumed = seen.last().unwrap();
    assert!(resumed.range_start().is_some_and(|s| s > 0));
    assert_eq!(resumed.header("x-client"), Some("ferry-test"));
    assert_eq!(resumed.header("authorization"), Some("Bearer t0ken"));
    // The token is a secret: named, not shown.
    assert_eq!(done["secrets"]["headers"][0], "Authorization");
    assert!(!done.to_string().contains("t0ken"));

    // A redirect to another host: no Authorization, no Cookie there.
    let elsewhere = TestServer::start().await;
    elsewhere.put("/landing.bin", Resource::new(data(1000, 85)));
    let target = elsewhere
        .url("/landing.bin")
        .replace("127.0.0.1", "localhost");
    server.put(
        "/moved",
        Resource::redirect(&target).basic_auth("alice", PASSWORD),
    );
    let id = get(
        &ferry,
        &[
            &server.url("/moved"),
            "--user",
            "alice",
            "--password-env",
            "PW",
            "--cookie",
            "session=abc",
            "-H",
            "X-Client: ferry-test",
        ],
    )
    .await;
    let done = wait(&ferry, &id).await;
    assert_eq!(done["status"], "Completed", "{done}");
    // Plain http: the credentials went once the server asked for them.
    let moved = server.seen("/moved");
    assert_eq!(moved[0].header("authorization"), None);
    let first = moved.last().unwrap();
    assert!(first.header("authorization").is_some());
    assert_eq!(first.header("cookie"), Some("session=abc"));
    let landed = &elsewhere.seen("/landing.bin")[0];
    assert_eq!(landed.header("authorization"), None);
    assert_eq!(landed.header("cookie"), None);
    assert_eq!(landed.header("x-client"), Some("ferry-test"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn digest_authentication_answers_the_challenge_without_sending_the_password() {
    use ferry::engine::{ErrorStatus, Method, Request, Status};
    let Fixture {
        dir,
        server,
        engine,
        mut events,
    } = Fixture::start().await;
    let body = data(2 * 1024 * 1024, 82);
    server.put(
        "/vault/film.mkv",
        Resource::new(body.clone()).digest_auth("dora", PASSWORD),
    );
    let target = "/vault/film.mkv?v=2";
    let done = run_to_end(
        &engine,
        &mut events,
        Request::download(server.url(target), None).auth("dora", PASSWORD),
    )
    .await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    assert_eq!(
        sha256_file(done.destination.as_ref().unwrap()),
        sha256(&body)
    );
    let seen = server.seen(target);
    assert_eq!(
        seen[0].header("authorization"),
        None,
        "over plain http a GET waits for the server's challenge"
    );
    let answer = seen.last().unwrap().header("authorization").unwrap();
    assert!(answer.starts_with("Digest "), "{answer}");
    assert!(!answer.contains(PASSWORD));

    // The wrong password: refused, as such.
    let done = run_to_end(
        &engine,
        &mut events,
        Request::download(server.url("/vault/film.mkv"), None).auth("dora", "wrong"),
    )
    .await;
    assert_eq!(done.error.unwrap().status, ErrorStatus::Unauthorized);

    // A streamed upload cannot wait for the challenge: Basic goes first, and once
    // the server asks for Digest the files are read and sent again.
    let mut sink = uploads::Sink::ok("stored");
    sink.digest = Some(("dora".into(), PASSWORD.into()));
    server.sink("/vault/inbox", sink);
    let upload = data(300_000, 83);
    let file = dir.path().join("notes.bin");
    std::fs::write(&file, &upload).unwrap();
    let done = run_to_end(
        &engine,
        &mut events,
        Request::upload(server.url("/vault/inbox"), vec![file])
            .method(Method::Put)
            .auth("dora", PASSWORD),
    )
    .await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    let received = server.received("/vault/inbox");
    assert_eq!(received.len(), 2, "Basic first, then Digest");
    assert!(
        received[0]
            .header("authorization")
            .unwrap()
            .starts_with("Basic ")
    );
    assert!(
        received[1]
            .header("authorization")
            .unwrap()
            .starts_with("Digest ")
    );
    assert_eq!(received[1].sha256, sha256(&upload));
}
