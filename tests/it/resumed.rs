//! A rerun after a crash that the resumed transfer beat to the end: the agent
//! that the rerun starts resumes the download at once and may finish it before
//! the rerun's request arrives (what was fetched is in the page cache). That
//! request gets the finished transfer, not a second copy `big (1).iso`; a later
//! one, asked for anew, does get a second copy.

use crate::support;

use ferry::engine::{Request, Status};
use support::server::{Resource, TestServer};
use support::*;

const MIB: usize = 1 << 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_request_after_a_restart_gets_what_the_restart_finished() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start().await;
    let options = options(dir.path());
    let body = data(4 * MIB, 94);
    server.put("/big.iso", Resource::new(body.clone()).rate(MIB as u64));
    let dest = dir.path().join("downloads").join("big.iso");
    let request = || Request::download(server.url("/big.iso"), Some(dest.clone()));

    let engine = open(options.clone()).await;
    let mut events = engine.subscribe();
    let id = engine.submit(request()).await.unwrap().snapshot.id;
    wait_bytes(&engine, &mut events, id, MIB as u64 / 2).await;
    engine.shutdown().await;

    // Fast now: the resumed transfer ends before anyone asks for it.
    server.put("/big.iso", Resource::new(body.clone()));
    let engine = open(options).await;
    let mut events = engine.subscribe();
    let done = wait_finished(&engine, &mut events, id).await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);

    let rerun = engine.submit(request()).await.unwrap();
    assert!(rerun.attached, "the rerun gets the transfer it asked for");
    assert_eq!(rerun.snapshot.id, id);
    assert_eq!(rerun.snapshot.status, Status::Completed);
    assert_eq!(engine.list().len(), 1);
    assert_eq!(sha256_file(&dest), sha256(&body));
    assert!(!dest.with_file_name("big (1).iso").exists());

    // Asked for again: a new download, as for any completed one.
    let later = engine.submit(request()).await.unwrap();
    assert!(!later.attached);
    assert_eq!(
        later.snapshot.destination.as_deref(),
        Some(dest.with_file_name("big (1).iso").as_path())
    );
    engine.cancel(later.snapshot.id).await.unwrap();
}

/// Asked for while it still ran after the restart, it was attached to then:
/// once completed, the same request is a new download.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_asked_for_after_the_restart_is_not_attached_again_once_done() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start().await;
    let options = options(dir.path());
    let body = data(3 * MIB, 95);
    server.put("/f.bin", Resource::new(body.clone()).rate(2 * MIB as u64));
    let dest = dir.path().join("downloads").join("f.bin");
    let request = || Request::download(server.url("/f.bin"), Some(dest.clone()));

    let engine = open(options.clone()).await;
    let mut events = engine.subscribe();
    let id = engine.submit(request()).await.unwrap().snapshot.id;
    wait_bytes(&engine, &mut events, id, MIB as u64 / 2).await;
    engine.shutdown().await;

    let engine = open(options).await;
    let mut events = engine.subscribe();
    let attached = engine.submit(request()).await.unwrap();
    assert!(attached.attached && attached.snapshot.id == id);
    let done = wait_finished(&engine, &mut events, id).await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    let again = engine.submit(request()).await.unwrap();
    assert!(!again.attached, "its rerun was the request before");
    engine.cancel(again.snapshot.id).await.unwrap();
}

/// Beside an older completed copy of the same request, the rerun still gets the
/// one the restart finished (not the old one, not a third copy).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rerun_finds_the_resumed_copy_beside_an_older_one() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start().await;
    let options = options(dir.path());
    let body = data(3 * MIB, 96);
    let dest = dir.path().join("downloads").join("f.bin");
    let request = || Request::download(server.url("/f.bin"), Some(dest.clone()));
    server.put("/f.bin", Resource::new(body.clone()));
    let engine = open(options.clone()).await;
    let mut events = engine.subscribe();
    let old = run_to_end(&engine, &mut events, request()).await;
    assert_eq!(old.status, Status::Completed, "{:?}", old.error);

    // The second copy, `f (1).bin`, stopped with the engine half-way.
    server.put("/f.bin", Resource::new(body.clone()).rate(MIB as u64));
    let second = engine.submit(request()).await.unwrap().snapshot.id;
    wait_bytes(&engine, &mut events, second, MIB as u64 / 2).await;
    engine.shutdown().await;

    server.put("/f.bin", Resource::new(body.clone()));
    let engine = open(options).await;
    let mut events = engine.subscribe();
    wait_finished(&engine, &mut events, second).await;
    let rerun = engine.submit(request()).await.unwrap();
    assert!(rerun.attached);
    assert_eq!(rerun.snapshot.id, second);
    assert_eq!(engine.list().len(), 2);
    assert!(!dest.with_file_name("f (2).bin").exists());
}
