//! Servers that break the rules, and what Ferry makes of them: the file, byte for
//! byte, or a clear error status — never a wrong file under its final name.
//!
//! Each test prints one `reliability:` line (fault, runs, outcome); the README's
//! Reliability table is made from them (`tests/reliability.sh`).

use crate::support;

use std::path::Path;
use std::time::{Duration, Instant};

use ferry::engine::{ErrorStatus, Options, Request, Snapshot, Status};
use support::server::{Fault, Resource, TestServer};
use support::*;

const MIB: usize = 1024 * 1024;

/// Short timeouts, one retry: a fault shows its outcome in seconds.
fn quick(dir: &Path) -> Options {
    let mut options = options(dir);
    options.timeouts.stall = Duration::from_secs(2);
    options.timeouts.response = Duration::from_secs(3);
    options.retry.max_retries = 1;
    options
}

fn report(fault: &str, outcome: &str) {
    println!("reliability: {fault} | 1 | {outcome}");
}

/// Download `path` from `server` into `dir/f.bin` until it ends.
async fn download(dir: &Path, options: Options, server: &TestServer, path: &str) -> Snapshot {
    let engine = open(options).await;
    let mut events = engine.subscribe();
    let dest = dir.join("f.bin");
    let done = run_to_end(
        &engine,
        &mut events,
        Request::download(server.url(path), Some(dest)),
    )
    .await;
    engine.shutdown().await;
    done
}

/// It failed with `status`, and nothing is under the final name.
fn failed_cleanly(done: &Snapshot, status: ErrorStatus) -> String {
    assert_eq!(done.status, Status::Error, "{done:?}");
    let error = done.error.clone().expect("an error");
    assert_eq!(error.status, status, "{}", error.message);
    assert!(
        !done.destination.as_ref().unwrap().exists(),
        "nothing under the final name"
    );
    error.message
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_longer_than_its_range_is_refused_and_the_file_still_comes_whole() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start().await;
    let body = data(4 * MIB, 81);
    // Cut after 1 MiB; the resumed answer then carries 1000 bytes too many.
    let resource = Resource::new(body.clone())
        .fault(Fault::DropAfter(MIB as u64))
        .fault(Fault::LongerThanRange(1000));
    server.put("/f", resource);
    let mut options = quick(dir.path());
    options.retry.max_retries = 3;
    let done = download(dir.path(), options, &server, "/f").await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    let path = done.destination.as_ref().unwrap();
    assert_eq!(std::fs::metadata(path).unwrap().len(), body.len() as u64);
    assert_eq!(sha256_file(path), sha256(&body));
    assert!(server.seen("/f").len() >= 3, "the long answer was not used");
    report(
        "206 longer than the range asked",
        "refused, asked again: file byte-exact",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_shorter_than_announced_never_completes_as_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start().await;
    let body = data(2 * MIB, 82);
    let mut resource = Resource::new(body);
    // Every answer ends after half of the body, and ranges are not served.
    resource.ranges = false;
    for _ in 0..4 {
        resource.faults.push_back(Fault::DropAfter(MIB as u64));
    }
    server.put("/f", resource);
    let done = download(dir.path(), quick(dir.path()), &server, "/f").await;
    assert_eq!(done.status, Status::Error);
    assert!(!done.destination.as_ref().unwrap().exists());
    report(
        "body shorter than Content-Length, every time",
        &format!(
            "Error/{:?}, nothing under the name",
            done.error.unwrap().status
        ),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_headers_fail_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start().await;
    let resource = Resource::new(data(1000, 83))
        .fault(Fault::ManyHeaders(10_000))
        .fault(Fault::ManyHeaders(10_000));
    server.put("/f", resource);
    let started = Instant::now();
    let done = download(dir.path(), quick(dir.path()), &server, "/f").await;
    let message = failed_cleanly(&done, ErrorStatus::InvalidResponse);
    assert!(started.elapsed() < Duration::from_secs(20));
    report(
        "10,000 response headers",
        &format!("Error/InvalidResponse ({message})"),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_header_that_never_ends_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start().await;
    let resource = Resource::new(data(1000, 84))
        .fault(Fault::EndlessHeader)
        .fault(Fault::EndlessHeader);
    server.put("/f", resource);
    let done = download(dir.path(), quick(dir.path()), &server, "/f").await;
    let message = failed_cleanly(&done, ErrorStatus::InvalidResponse);
    report(
        "a header that never ends",
        &format!("Error/InvalidResponse ({message})"),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_trickles_a_byte_a_second_times_out() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start().await;
    let resource = Resource::new(data(64 * 1024, 85))
        .fault(Fault::Trickle)
        .fault(Fault::Trickle);
    server.put("/f", resource);
    let started = Instant::now();
    let done = download(dir.path(), quick(dir.path()), &server, "/f").await;
    let message = failed_cleanly(&done, ErrorStatus::Timeout);
    assert!(message.contains("bytes received in 2.0 s"), "{message}");
    // Two attempts of 2 s each, and a short pause between.
    assert!(started.elapsed() < Duration::from_secs(15));
    report(
        "a body trickling 1 byte/s",
        &format!("Error/Timeout after the stall timeout ({message})"),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_web_page_instead_of_the_rest_never_lands_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start().await;
    let body = data(4 * MIB, 86);
    // Cut after 1 MiB; the resumed request is answered with an error page (200,
    // text/html), then the server is back.
    let resource = Resource::new(body.clone())
        .fault(Fault::DropAfter(MIB as u64))
        .fault(Fault::WebPage);
    server.put("/f", resource);
    let mut options = quick(dir.path());
    options.retry.max_retries = 3;
    let done = download(dir.path(), options, &server, "/f").await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    let path = done.destination.as_ref().unwrap();
    assert_eq!(sha256_file(path), sha256(&body), "no HTML in the file");
    // The answer after the page resumed where the file stood: the page did not
    // make it start over.
    let seen = server.seen("/f");
    assert!(seen[2].range_start().is_some_and(|s| s > 0), "{seen:?}");

    // A server that never stops answering with the page: an error, and the part
    // kept is the file's start, not the page.
    let dir = tempfile::tempdir().unwrap();
    let mut resource = Resource::new(body.clone()).fault(Fault::DropAfter(MIB as u64));
    for _ in 0..4 {
        resource.faults.push_back(Fault::WebPage);
    }
    server.put("/g", resource);
    let done = download(dir.path(), quick(dir.path()), &server, "/g").await;
    failed_cleanly(&done, ErrorStatus::ServerError);
    let part = std::fs::read(dir.path().join("f.bin.part")).unwrap();
    assert!(
        !part.is_empty() && body.starts_with(&part),
        "the part is the file's start"
    );
    report(
        "an HTML error page (200) answering a range request",
        "never written: resumed later, file byte-exact; if it persists, Error/ServerError with the part kept",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_replaced_during_a_segmented_download_ends_as_the_new_version() {
    let Fixture {
        dir,
        server,
        engine,
        mut events,
    } = Fixture::start().await;
    let old = data(16 * MIB, 87);
    let new = data(16 * MIB, 88);
    server.put("/f", Resource::new(old).rate(2 * MIB as u64));
    let dest = dir.path().join("f.bin");
    let id = engine
        .create(Request::download(server.url("/f"), Some(dest.clone())).connections(4))
        .await
        .unwrap()
        .id;
    within(30, async {
        while engine
            .get(id)
            .unwrap()
            .segments
            .iter()
            .filter(|s| s.done > 0)
            .count()
            < 4
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    engine.pause(id).await.unwrap();
    // Same size, new ETag and date.
    server.update("/f", |r| {
        r.body = new.clone().into();
        r.etag = Some("\"v2\"".into());
        r.last_modified = Some("Tue, 03 Jan 2023 10:00:00 GMT".into());
        r.rate = None;
    });
    engine.resume(id).await.unwrap();
    let done = wait_finished(&engine, &mut events, id).await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    assert_eq!(sha256_file(&dest), sha256(&new), "the new version, whole");
    engine.shutdown().await;
    report(
        "file replaced on the server (same size) during a 4-connection download",
        "started again: the new version, byte-exact",
    );
}
