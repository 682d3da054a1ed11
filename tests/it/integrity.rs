//! A finished download is checked before it gets its name: against the checksum
//! the user gave and the digest the server announced (also across a pause, when
//! the rest comes as a 206 that announces nothing). A mismatch ends in
//! `ChecksumMismatch` with the file kept aside, never under its final name.

use crate::support;

use base64::Engine as _;
use ferry::engine::{Checksum, ChecksumAlgorithm, ErrorStatus, Request, Status};
use sha2::Digest as _;
use support::server::Resource;
use support::*;

const MIB: usize = 1024 * 1024;

fn sha512(bytes: &[u8]) -> String {
    format!("{:x}", sha2::Sha512::digest(bytes))
}

fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_given_checksum_lets_the_right_file_through_and_keeps_a_wrong_one_aside() {
    let Fixture {
        dir,
        server,
        engine,
        mut events,
    } = Fixture::start().await;
    let body = data(3 * MIB + 5, 71);
    server.put("/release.tar", Resource::new(body.clone()));
    let folder = dir.path().join("downloads");
    std::fs::create_dir_all(&folder).unwrap();
    let sum = |algorithm, hex: &str| Checksum::parse(algorithm, hex).unwrap();

    let right = sum(ChecksumAlgorithm::Sha256, &sha256(&body).to_uppercase());
    let done = run_to_end(
        &engine,
        &mut events,
        Request::download(server.url("/release.tar"), Some(folder.join("good.tar")))
            .checksum(right),
    )
    .await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    assert_eq!(sha256_file(&folder.join("good.tar")), sha256(&body));

    let done = run_to_end(
        &engine,
        &mut events,
        Request::download(server.url("/release.tar"), Some(folder.join("good512.tar")))
            .checksum(sum(ChecksumAlgorithm::Sha512, &sha512(&body))),
    )
    .await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);

    let wrong = sum(ChecksumAlgorithm::Sha256, &sha256(b"another file"));
    let done = run_to_end(
        &engine,
        &mut events,
        Request::download(server.url("/release.tar"), Some(folder.join("bad.tar"))).checksum(wrong),
    )
    .await;
    assert_eq!(done.status, Status::Error);
    let error = done.error.unwrap();
    assert_eq!(error.status, ErrorStatus::ChecksumMismatch);
    assert!(
        !folder.join("bad.tar").exists(),
        "nothing under the final name"
    );
    assert!(!folder.join("bad.tar.part").exists());
    let aside = folder.join("bad.tar.checksum-mismatch");
    assert_eq!(
        sha256_file(&aside),
        sha256(&body),
        "the bytes are kept aside"
    );
    assert!(
        error.message.contains("checksum-mismatch"),
        "{}",
        error.message
    );

    // A checksum that is not one is refused before anything is created.
    let mut request = Request::download(server.url("/release.tar"), None);
    request.checksum = Some(Checksum {
        algorithm: ChecksumAlgorithm::Sha256,
        hex: "not hex".into(),
    });
    assert!(engine.create(request).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn digests_the_server_announces_are_checked_even_after_a_resume() {
    let Fixture {
        dir: _dir,
        server,
        engine,
        mut events,
    } = Fixture::start().await;
    let body = data(2 * MIB, 72);
    let md5 = md5_of(&body);
    let mut honest = Resource::new(body.clone());
    honest.whole_headers = vec![("Content-MD5".into(), base64(&md5))];
    server.put("/honest.bin", honest);
    let mut lying = Resource::new(body.clone());
    let other = sha2::Sha256::digest(b"not this file");
    lying.whole_headers = vec![(
        "Repr-Digest".into(),
        format!("sha-256=:{}:", base64(&other)),
    )];
    server.put("/lying.bin", lying);

    let done = run_to_end(
        &engine,
        &mut events,
        Request::download(server.url("/honest.bin"), None),
    )
    .await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    let done = run_to_end(
        &engine,
        &mut events,
        Request::download(server.url("/lying.bin"), None),
    )
    .await;
    assert_eq!(done.error.unwrap().status, ErrorStatus::ChecksumMismatch);

    // The digest comes with the first answer only; the rest, after a pause, is a
    // 206 that says nothing: the first answer's digest still decides.
    let slow_body = data(4 * MIB, 73);
    let mut slow = Resource::new(slow_body.clone());
    slow.rate = Some(4 * MIB as u64);
    slow.whole_headers = vec![(
        "Digest".into(),
        format!(
            "SHA-256={}",
            base64(&sha2::Sha256::digest(b"something else"))
        ),
    )];
    server.put("/slow.bin", slow);
    let id = engine
        .create(Request::download(server.url("/slow.bin"), None))
        .await
        .unwrap()
        .id;
    wait_bytes(&engine, &mut events, id, MIB as u64 / 2).await;
    engine.pause(id).await.unwrap();
    engine.resume(id).await.unwrap();
    let done = wait_finished(&engine, &mut events, id).await;
    let resumed = server.seen("/slow.bin");
    assert!(
        resumed.last().unwrap().range_start().is_some(),
        "the rest was asked with a range"
    );
    assert_eq!(done.error.unwrap().status, ErrorStatus::ChecksumMismatch);
}

fn md5_of(bytes: &[u8]) -> Vec<u8> {
    use md5::Digest as _;
    md5::Md5::digest(bytes).to_vec()
}
