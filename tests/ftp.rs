//! FTP and FTPS downloads against libunftp started by the tests: anonymous and with
//! a user, resumed with `REST` after a pause, the failures a user meets (missing
//! file, wrong password, a folder), and explicit TLS.

mod support;

use std::time::Duration;

use ferry::engine::{ErrorStatus, Request, Status};
use support::ftp::TestFtp;
use support::server::TestServer;
use support::*;

const MIB: usize = 1024 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_and_user_downloads_land_whole() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("served");
    std::fs::create_dir_all(root.join("pub")).unwrap();
    let body = data(3 * MIB + 17, 91);
    std::fs::write(root.join("pub/image.iso"), &body).unwrap();
    let anonymous = TestFtp::start(&root, None, false).await;
    let private = TestFtp::start(&root, Some(("carol", "ftp-pass")), false).await;
    let engine = open(options(dir.path())).await;
    let mut events = engine.subscribe();

    let done = run_to_end(
        &engine,
        &mut events,
        Request::download(anonymous.url("/pub/image.iso"), None),
    )
    .await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    let path = done.destination.unwrap();
    assert_eq!(path.file_name().unwrap(), "image.iso");
    assert_eq!(sha256_file(&path), sha256(&body));

    let done = run_to_end(
        &engine,
        &mut events,
        Request::download(private.url("/pub/image.iso"), None).auth("carol", "ftp-pass"),
    )
    .await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    assert_eq!(
        sha256_file(done.destination.as_ref().unwrap()),
        sha256(&body)
    );

    // The wrong password, a missing file, a folder: each says what it is.
    let done = run_to_end(
        &engine,
        &mut events,
        Request::download(private.url("/pub/image.iso"), None).auth("carol", "wrong"),
    )
    .await;
    assert_eq!(done.error.unwrap().status, ErrorStatus::Unauthorized);
    let done = run_to_end(
        &engine,
        &mut events,
        Request::download(anonymous.url("/pub/missing.iso"), None),
    )
    .await;
    assert_eq!(done.error.unwrap().status, ErrorStatus::NotFound);
    let done = run_to_end(
        &engine,
        &mut events,
        Request::download(anonymous.url("/pub"), None),
    )
    .await;
    let error = done.error.unwrap();
    assert_eq!(error.status, ErrorStatus::IsADirectory, "{}", error.message);
    assert!(error.message.contains("folder"), "{}", error.message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_download_resumes_with_rest() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("served");
    std::fs::create_dir_all(&root).unwrap();
    let body = data(96 * MIB, 92);
    std::fs::write(root.join("big.bin"), &body).unwrap();
    let ftp = TestFtp::start(&root, None, false).await;
    let engine = open(options(dir.path())).await;
    let mut events = engine.subscribe();
    let id = engine
        .create(Request::download(ftp.url("/big.bin"), None))
        .await
        .unwrap()
        .id;
    wait_bytes(&engine, &mut events, id, MIB as u64).await;
    engine.pause(id).await.unwrap();
    let paused = engine.get(id).unwrap();
    assert_eq!(paused.status, Status::PausedByApplication);
    assert!(
        paused.bytes > 0 && paused.bytes < body.len() as u64,
        "{}",
        paused.bytes
    );
    engine.resume(id).await.unwrap();
    let done = wait_finished(&engine, &mut events, id).await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    assert_eq!(
        sha256_file(done.destination.as_ref().unwrap()),
        sha256(&body)
    );
    // The server sent the rest only: the completed RETR started at an offset.
    let sent = ftp.sent();
    let (_, last) = sent.last().expect("a completed RETR");
    assert!(
        *last < body.len() as u64 && *last >= body.len() as u64 - paused.bytes,
        "last RETR sent {last} of {} after a pause at {}",
        body.len(),
        paused.bytes
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ftps_with_explicit_tls_checks_the_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("served");
    std::fs::create_dir_all(&root).unwrap();
    let body = data(MIB, 93);
    std::fs::write(root.join("secret.bin"), &body).unwrap();
    let ftp = TestFtp::start(&root, Some(("dave", "tls-pass")), true).await;
    let url = format!("ftps://localhost:{}/secret.bin", ftp.port);

    // Trusting the test authority: it works.
    let mut options = options(dir.path());
    options.extra_root_certificates = vec![TestServer::ca_path()];
    let engine = open(options).await;
    let mut events = engine.subscribe();
    let done = run_to_end(
        &engine,
        &mut events,
        Request::download(url.clone(), None).auth("dave", "tls-pass"),
    )
    .await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    assert_eq!(
        sha256_file(done.destination.as_ref().unwrap()),
        sha256(&body)
    );
    engine.shutdown().await;

    // Not trusting it: refused, as a certificate problem.
    let other = tempfile::tempdir().unwrap();
    let engine = open(support::options(other.path())).await;
    let mut events = engine.subscribe();
    let done = within(
        60,
        run_to_end(
            &engine,
            &mut events,
            Request::download(url, None).auth("dave", "tls-pass"),
        ),
    )
    .await;
    assert_eq!(done.error.unwrap().status, ErrorStatus::CertificateInvalid);
    tokio::time::sleep(Duration::from_millis(10)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ftp_upload_is_refused_with_a_clear_reason() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("up.txt");
    std::fs::write(&file, b"hello").unwrap();
    let engine = open(options(dir.path())).await;
    let refused = engine
        .create(Request::upload("ftp://127.0.0.1:1/up.txt", vec![file]))
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("FTP"), "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_changed_on_the_server_across_a_restart_is_fetched_again_whole() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("served");
    std::fs::create_dir_all(&root).unwrap();
    let old = data(64 * MIB, 94);
    let served = root.join("changing.bin");
    std::fs::write(&served, &old).unwrap();
    let ftp = TestFtp::start(&root, None, false).await;

    // Part of the old version is on disk when the engine stops.
    let engine = open(options(dir.path())).await;
    let mut events = engine.subscribe();
    let id = engine
        .create(Request::download(ftp.url("/changing.bin"), None))
        .await
        .unwrap()
        .id;
    wait_bytes(&engine, &mut events, id, MIB as u64).await;
    engine.shutdown().await;

    // Same size, new bytes, a later modification time.
    let new = data(64 * MIB, 95);
    std::fs::write(&served, &new).unwrap();
    let later = std::time::SystemTime::now() + Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&served)
        .unwrap()
        .set_modified(later)
        .unwrap();

    let engine = open(options(dir.path())).await;
    let mut events = engine.subscribe();
    let done = wait_finished(&engine, &mut events, id).await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    assert_eq!(
        sha256_file(done.destination.as_ref().unwrap()),
        sha256(&new)
    );
    // The whole new version was sent, from byte zero.
    let (_, last) = ftp.sent().last().cloned().expect("a completed RETR");
    assert_eq!(last, new.len() as u64);
}
