//! Bandwidth limits: per operation and for everything together, changed live, on
//! downloads and uploads, from the engine and the command line. Only lower bounds
//! on time are asserted, so a slow machine cannot make them fail.

use crate::support;

use std::time::{Duration, Instant};

use ferry::engine::{Method, Request, Status};
use support::program::{Ferry, text};
use support::server::{Resource, TestServer};
use support::*;

const MIB: usize = 1024 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operations_own_limit_holds_its_download_and_upload_down() {
    let Fixture {
        dir,
        server,
        engine,
        mut events,
    } = Fixture::start().await;
    let body = data(10 * MIB, 61);
    server.put("/ten.bin", Resource::new(body.clone()));

    let started = Instant::now();
    let done = run_to_end(
        &engine,
        &mut events,
        Request::download(server.url("/ten.bin"), None).limit(Some(2_000_000)),
    )
    .await;
    let took = started.elapsed();
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    assert_eq!(
        sha256_file(done.destination.as_ref().unwrap()),
        sha256(&body)
    );
    assert!(
        took >= Duration::from_millis(4500),
        "10 MiB at 2 MB/s in {took:?}"
    );

    server.sink("/inbox", uploads::Sink::ok("ok"));
    let upload = data(3 * MIB, 62);
    let file = dir.path().join("up.bin");
    std::fs::write(&file, &upload).unwrap();
    let started = Instant::now();
    let done = run_to_end(
        &engine,
        &mut events,
        Request::upload(server.url("/inbox"), vec![file])
            .method(Method::Put)
            .limit(Some(MIB as u64)),
    )
    .await;
    let took = started.elapsed();
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    assert_eq!(server.received("/inbox")[0].sha256, sha256(&upload));
    assert!(
        took >= Duration::from_millis(2500),
        "3 MiB at 1 MiB/s in {took:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_limit_for_all_transfers_changes_while_they_run() {
    let Fixture {
        dir: _dir,
        server,
        engine,
        mut events,
    } = Fixture::start().await;
    let body = data(40 * MIB, 63);
    server.put("/forty.bin", Resource::new(body.clone()));
    engine.set_limit(Some(MIB as u64));
    assert_eq!(engine.limit(), Some(MIB as u64));

    let started = Instant::now();
    let id = engine
        .create(Request::download(server.url("/forty.bin"), None))
        .await
        .unwrap()
        .id;
    wait_bytes(&engine, &mut events, id, 2 * MIB as u64).await;
    let limited = started.elapsed();
    assert!(
        limited >= Duration::from_millis(1500),
        "2 MiB at 1 MiB/s in {limited:?}"
    );

    // Lifted: the rest comes at full speed, far sooner than the 38 s it would take.
    engine.set_limit(None);
    let done = wait_finished(&engine, &mut events, id).await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    assert_eq!(
        sha256_file(done.destination.as_ref().unwrap()),
        sha256(&body)
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_sets_and_lifts_limits() {
    let ferry = Ferry::new();
    let server = TestServer::start().await;
    let body = data(30 * MIB, 64);
    server.put("/thirty.bin", Resource::new(body.clone()));
    let out_dir = ferry.downloads();
    let out = ferry
        .run(&[
            "get",
            &server.url("/thirty.bin"),
            "-o",
            &format!("{}/", out_dir.display()),
            "--limit",
            "1M",
            "--detach",
        ])
        .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let id = text(&out.stdout).trim().to_owned();
    let shown = ferry.json(&["show", &id, "--json"]).await;
    assert_eq!(shown["limit"], 1024 * 1024);

    assert!(ferry.run(&["limit", "5M"]).await.status.success());
    let out = ferry.run(&["limit", "off", &id]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(ferry.run(&["limit", "off"]).await.status.success());
    let _ = ferry.run(&["wait", &id]).await;
    let done = ferry.json(&["show", &id, "--json"]).await;
    assert_eq!(done["status"], "Completed", "{done}");
    assert_eq!(done["limit"], serde_json::Value::Null);
    assert_eq!(sha256_file(&out_dir.join("thirty.bin")), sha256(&body));
    let refused = ferry.run(&["limit", "fast"]).await;
    assert!(!refused.status.success());
}
