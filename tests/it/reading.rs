//! Reading a download while it downloads: from the engine, and `ferry cat` through
//! the agent, on a throttled server, the reader gets exactly the file's bytes.

use crate::support;

use ferry::engine::{Request, Status};
use support::program::{Ferry, text};
use support::server::{Resource, TestServer};
use support::*;

const MIB: usize = 1024 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_from_the_start_gets_the_whole_file_as_it_arrives() {
    let Fixture {
        dir: _dir,
        server,
        engine,
        mut events,
    } = Fixture::start().await;
    let body = data(6 * MIB + 123, 41);
    server.put(
        "/film.mkv",
        Resource::new(body.clone()).rate(3 * MIB as u64),
    );
    let id = engine
        .create(Request::download(server.url("/film.mkv"), None))
        .await
        .unwrap()
        .id;
    let mut reader = engine.read(id, 0).unwrap();
    let mut read = Vec::new();
    let mut while_running = 0;
    while let Some(bytes) = within(60, reader.next()).await.unwrap() {
        if engine.get(id).unwrap().status == Status::Running {
            while_running += bytes.len();
        }
        read.extend_from_slice(&bytes);
    }
    assert_eq!(read.len(), body.len());
    assert_eq!(sha256(&read), sha256(&body));
    assert!(
        while_running >= MIB,
        "only {while_running} bytes read while it ran"
    );
    let done = wait_finished(&engine, &mut events, id).await;
    assert_eq!(done.status, Status::Completed);

    // From an offset, once complete: the rest.
    let mut reader = engine.read(id, 5 * MIB as u64).unwrap();
    let mut rest = Vec::new();
    while let Some(bytes) = reader.next().await.unwrap() {
        rest.extend_from_slice(&bytes);
    }
    assert_eq!(rest, body[5 * MIB..]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ferry_cat_writes_a_segmented_download_while_it_arrives() {
    let ferry = Ferry::new();
    let server = TestServer::start().await;
    let body = data(12 * MIB, 42);
    server.put(
        "/show.mkv",
        Resource::new(body.clone()).rate(4 * MIB as u64),
    );
    let out = ferry
        .run(&[
            "get",
            &server.url("/show.mkv"),
            "--connections",
            "3",
            "--detach",
        ])
        .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let id = text(&out.stdout).trim().to_owned();
    let out = within(120, ferry.run(&["cat", &id])).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(out.stdout.len(), body.len());
    assert_eq!(sha256(&out.stdout), sha256(&body));

    let missing = ferry.run(&["cat", "nope"]).await;
    assert!(!missing.status.success());
}
