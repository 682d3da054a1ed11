//! FTP and FTPS against libunftp started by the tests. Downloads: anonymous and
//! with a user, resumed with `REST` after a pause, a file changed across a restart,
//! the failures a user meets (missing file, wrong password, a folder), explicit
//! TLS. Uploads: `STOR` into a folder, resumed with `APPE` after a pause, the
//! partial file deleted on cancel.

use crate::support;

use std::time::Duration;

use ferry::engine::{ErrorStatus, Request, Status, UploadMode};
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
    // Boxed: the future of a whole run is large.
    let done = within(
        60,
        Box::pin(run_to_end(
            &engine,
            &mut events,
            Request::download(url, None).auth("dave", "tls-pass"),
        )),
    )
    .await;
    assert_eq!(done.error.unwrap().status, ErrorStatus::CertificateInvalid);
    tokio::time::sleep(Duration::from_millis(10)).await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_into_a_folder_lands_whole_under_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("served");
    std::fs::create_dir_all(root.join("incoming")).unwrap();
    let body = data(5 * MIB + 3, 96);
    let file = dir.path().join("report 2026.pdf");
    std::fs::write(&file, &body).unwrap();
    let ftp = TestFtp::start(&root, Some(("erin", "up-pass")), false).await;
    let engine = open(options(dir.path())).await;
    let mut events = engine.subscribe();

    let done = run_to_end(
        &engine,
        &mut events,
        Request::upload(ftp.url("/incoming/"), vec![file.clone()]).auth("erin", "up-pass"),
    )
    .await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    assert_eq!(done.bytes, body.len() as u64);
    let stored = root.join("incoming/report 2026.pdf");
    assert_eq!(sha256_file(&stored), sha256(&body));

    // Multipart and tus are HTTP's: refused before anything is created.
    let refused = engine
        .create(Request::upload(ftp.url("/incoming/"), vec![file.clone()]).mode(UploadMode::Tus))
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("FTP"), "{refused}");
    // A folder the server does not have: a clear failure.
    let done = run_to_end(
        &engine,
        &mut events,
        Request::upload(ftp.url("/nowhere/"), vec![file]).auth("erin", "up-pass"),
    )
    .await;
    assert_eq!(done.status, Status::Error);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_upload_sends_only_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("served");
    std::fs::create_dir_all(&root).unwrap();
    let body = data(96 * MIB, 97);
    let file = dir.path().join("big.bin");
    std::fs::write(&file, &body).unwrap();
    let ftp = TestFtp::start(&root, None, false).await;
    let engine = open(options(dir.path())).await;
    let mut events = engine.subscribe();
    let id = engine
        .create(Request::upload(ftp.url("/big.bin"), vec![file]))
        .await
        .unwrap()
        .id;
    wait_bytes(&engine, &mut events, id, MIB as u64).await;
    engine.pause(id).await.unwrap();
    assert_eq!(engine.get(id).unwrap().status, Status::PausedByApplication);
    // Let the server write down what it got before the connection closed.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let held = std::fs::metadata(root.join("big.bin")).unwrap().len();
    assert!(
        held > 0 && held < body.len() as u64,
        "the server holds {held}"
    );

    engine.resume(id).await.unwrap();
    let done = wait_finished(&engine, &mut events, id).await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    assert_eq!(sha256_file(&root.join("big.bin")), sha256(&body));
    let (_, last) = ftp.received().last().cloned().expect("a completed upload");
    assert!(
        last <= body.len() as u64 - held,
        "the resumed upload sent {last} bytes; the server held {held} of {}",
        body.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_canceled_upload_leaves_nothing_on_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("served");
    std::fs::create_dir_all(&root).unwrap();
    let file = dir.path().join("abandoned.bin");
    std::fs::write(&file, data(96 * MIB, 98)).unwrap();
    let ftp = TestFtp::start(&root, None, false).await;
    let engine = open(options(dir.path())).await;
    let mut events = engine.subscribe();
    let id = engine
        .create(Request::upload(ftp.url("/abandoned.bin"), vec![file]))
        .await
        .unwrap()
        .id;
    wait_bytes(&engine, &mut events, id, MIB as u64).await;
    engine.cancel(id).await.unwrap();
    assert_eq!(engine.get(id).unwrap().status, Status::Canceled);
    let partial = root.join("abandoned.bin");
    within(20, async {
        while partial.exists() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
}
