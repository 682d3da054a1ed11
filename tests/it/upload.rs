//! Uploads through the engine's public API: plain PUT/POST, multipart, tus, and
//! their lifecycle, against the test server's upload endpoints.

use crate::support;

use std::path::{Path, PathBuf};

use ferry::engine::{ErrorStatus, FormField, Method, Request, Status, UploadMode};
use support::server::TestServer;
use support::uploads::{Sink, Tus};
use support::*;

const MIB: usize = 1024 * 1024;

fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_and_post_of_0_b_1_mib_and_200_mib_arrive_whole() {
    let Fixture {
        dir,
        server,
        engine,
        mut events,
    } = Fixture::start().await;
    let mut sink = Sink::ok("stored");
    sink.keep = false;
    server.sink("/put", sink.clone());
    server.sink("/post", sink);

    for (name, len) in [("empty.bin", 0), ("one.pdf", MIB), ("big.iso", 200 * MIB)] {
        let body = data(len, len as u64 + 1);
        let file = write_file(dir.path(), name, &body);
        for (method, path) in [(Method::Put, "/put"), (Method::Post, "/post")] {
            let request = Request::upload(server.url(path), vec![file.clone()]).method(method);
            let done = run_to_end(&engine, &mut events, request).await;
            assert_eq!(
                done.status,
                Status::Completed,
                "{name} {method:?}: {:?}",
                done.error
            );
            assert_eq!(done.bytes, len as u64);
            let got = server.received(path).pop().unwrap();
            assert!(got.complete);
            assert_eq!(got.method, format!("{method:?}").to_uppercase());
            assert_eq!(got.len, len as u64, "{name}");
            assert_eq!(got.sha256, sha256(&body), "{name} {method:?}");
            assert_eq!(got.header("content-length"), Some(len.to_string().as_str()));
            assert!(
                got.header("transfer-encoding").is_none(),
                "a length, not chunks"
            );
            assert!(got.header("content-disposition").unwrap().contains(name));
            let response = done.response.expect("the answer is kept");
            assert_eq!(response.status, 201);
            assert_eq!(response.body, "stored");
            assert!(
                response
                    .headers
                    .iter()
                    .any(|h| h.name == "x-test" && h.value == "kept")
            );
        }
    }
    let pdf = server
        .received("/put")
        .into_iter()
        .find(|r| r.len == MIB as u64)
        .unwrap();
    assert_eq!(pdf.header("content-type"), Some("application/pdf"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_callers_headers_replace_the_guessed_ones() {
    let Fixture {
        dir,
        server,
        engine,
        mut events,
    } = Fixture::start().await;
    server.sink("/up", Sink::ok(""));
    let file = write_file(dir.path(), "a.pdf", b"%PDF");
    let request = Request::upload(server.url("/up"), vec![file])
        .header("Content-Type", "application/x-custom")
        .header("Content-Disposition", "inline")
        .header("X-Token", "t");
    let id = engine.create(request).await.unwrap().id;
    assert_eq!(
        wait_finished(&engine, &mut events, id).await.status,
        Status::Completed
    );
    let got = server.received("/up").pop().unwrap();
    assert_eq!(got.header("content-type"), Some("application/x-custom"));
    assert_eq!(got.header("content-disposition"), Some("inline"));
    assert_eq!(got.header("x-token"), Some("t"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipart_of_three_files_and_a_text_field_parses_as_sent() {
    for field in [None, Some("photos".to_owned())] {
        let Fixture {
            dir,
            server,
            engine,
            mut events,
        } = Fixture::start().await;
        server.sink("/form", Sink::ok("ok"));
        let files: Vec<(PathBuf, Vec<u8>, &str)> = [
            ("a.jpg", "image/jpeg"),
            ("b.txt", "text/plain"),
            ("c.bin", "application/octet-stream"),
        ]
        .iter()
        .enumerate()
        .map(|(i, (name, mime))| {
            let body = data(100_000 + i * 7, i as u64);
            (write_file(dir.path(), name, &body), body, *mime)
        })
        .collect();
        let mode = UploadMode::Multipart {
            field: field.clone(),
            form: vec![FormField {
                name: "album".into(),
                value: "trip".into(),
            }],
        };
        let request = Request::upload(
            server.url("/form"),
            files.iter().map(|f| f.0.clone()).collect(),
        )
        .mode(mode);
        let done = run_to_end(&engine, &mut events, request).await;
        assert_eq!(done.status, Status::Completed, "{:?}", done.error);
        assert_eq!(
            done.bytes,
            files.iter().map(|f| f.1.len() as u64).sum::<u64>()
        );

        let got = server.received("/form").pop().unwrap();
        let content_type = got.header("content-type").unwrap();
        let boundary = multer::parse_boundary(content_type).unwrap();
        let body = bytes::Bytes::from(got.body.unwrap());
        let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(body) });
        let mut multipart = multer::Multipart::new(stream, boundary);
        let mut parts = Vec::new();
        while let Some(part) = multipart.next_field().await.unwrap() {
            let name = part.name().unwrap().to_owned();
            let file_name = part.file_name().map(str::to_owned);
            let mime = part.content_type().map(|m| m.essence_str().to_owned());
            let bytes = part.bytes().await.unwrap().to_vec();
            parts.push((name, file_name, mime, bytes));
        }
        assert_eq!(parts.len(), 4);
        assert_eq!(parts[0].0, "album");
        assert_eq!(parts[0].3, b"trip");
        for (i, (path, body, mime)) in files.iter().enumerate() {
            let part = &parts[i + 1];
            let wanted_name = field.clone().unwrap_or_else(|| format!("File{i}"));
            assert_eq!(part.0, wanted_name);
            assert_eq!(part.1.as_deref(), path.file_name().unwrap().to_str());
            assert_eq!(part.2.as_deref(), Some(*mime));
            assert!(part.3 == *body, "contents of {}", path.display());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_ends_in_error_with_the_answer_kept() {
    let Fixture {
        dir,
        server,
        engine,
        mut events,
    } = Fixture::start().await;
    let mut sink = Sink::ok("{\"error\": \"quota exceeded\"}");
    sink.status = 403;
    server.sink("/up", sink);
    let file = write_file(dir.path(), "a.txt", b"hello");
    let done = run_to_end(
        &engine,
        &mut events,
        Request::upload(server.url("/up"), vec![file]),
    )
    .await;
    assert_eq!(done.status, Status::Error);
    let error = done.error.unwrap();
    assert_eq!(error.status, ErrorStatus::Forbidden);
    assert_eq!(error.http_status, Some(403));
    assert_eq!(done.attempts, 0, "a 403 is not retried");
    let response = done.response.unwrap();
    assert_eq!(response.status, 403);
    assert!(response.body.contains("quota exceeded"));
    assert_eq!(server.received("/up").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_plain_upload_starts_over_and_arrives_whole() {
    let Fixture {
        dir,
        server,
        engine,
        mut events,
    } = Fixture::start().await;
    let mut sink = Sink::ok("done");
    sink.read_rate = Some(2 * MIB as u64);
    sink.keep = false;
    server.sink("/up", sink);
    let body = data(24 * MIB, 40);
    let file = write_file(dir.path(), "v.bin", &body);
    let id = engine
        .create(Request::upload(server.url("/up"), vec![file]))
        .await
        .unwrap()
        .id;
    wait_bytes(&engine, &mut events, id, 8 * MIB as u64).await;
    engine.pause(id).await.unwrap();
    let paused = engine.get(id).unwrap();
    assert_eq!(paused.status, Status::PausedByApplication);
    assert_eq!(paused.bytes, 0, "a plain upload keeps no progress");
    server.update_sink_rate("/up", None);
    engine.resume(id).await.unwrap();
    let done = wait_finished(&engine, &mut events, id).await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    // The server may still be reading what was in flight when the first attempt was cut.
    let received = within(30, async {
        loop {
            let received = server.received("/up");
            if received.len() == 2 {
                return received;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await;
    let complete: Vec<_> = received.iter().filter(|r| r.complete).collect();
    assert_eq!(complete.len(), 1, "one complete body");
    assert_eq!(complete[0].sha256, sha256(&body));
    assert!(
        received.iter().any(|r| !r.complete),
        "the first attempt was cut"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_changed_mid_upload_fails_with_source_changed() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start().await;
    let mut sink = Sink::ok("done");
    sink.read_rate = Some(2 * MIB as u64);
    server.sink("/up", sink);
    let mut options = options(dir.path());
    options.retry.max_retries = 0;
    let engine = open(options).await;
    let mut events = engine.subscribe();
    // Larger than what socket buffers hold, so the change lands while it is being read.
    let file = write_file(dir.path(), "v.bin", &data(24 * MIB, 41));
    let id = engine
        .create(Request::upload(server.url("/up"), vec![file.clone()]))
        .await
        .unwrap()
        .id;
    wait_bytes(&engine, &mut events, id, 8 * MIB as u64).await;
    // Rewrite the file in place: same size, other bytes and a new modification time.
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(&file, data(24 * MIB, 42)).unwrap();
    let done = wait_finished(&engine, &mut events, id).await;
    assert_eq!(done.status, Status::Error);
    assert_eq!(done.error.unwrap().status, ErrorStatus::SourceChanged);
    assert!(
        server.received("/up").iter().all(|r| !r.complete),
        "the server never got a whole body"
    );
    println!(
        "reliability: upload source file changed mid-upload | 1 | SourceChanged, nothing claimed as sent"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_that_vanished_before_its_turn_fails_with_source_missing() {
    let Fixture {
        dir,
        server,
        engine,
        mut events,
    } = Fixture::start().await;
    server.sink("/up", Sink::ok(""));
    let file = write_file(dir.path(), "v.bin", b"data");
    let id = engine
        .create(Request::upload(server.url("/up"), vec![file.clone()]))
        .await
        .unwrap()
        .id;
    engine.pause(id).await.unwrap();
    std::fs::remove_file(&file).unwrap();
    engine.resume(id).await.unwrap();
    let done = wait_finished(&engine, &mut events, id).await;
    assert_eq!(done.error.unwrap().status, ErrorStatus::SourceMissing);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_uploads_are_refused_at_creation() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open(options(dir.path())).await;
    let file = write_file(dir.path(), "a.txt", b"a");
    let url = "http://127.0.0.1:9/up";
    let cases = [
        Request::upload(url, vec![dir.path().join("missing.txt")]),
        Request::upload(url, vec![dir.path().to_owned()]),
        Request::upload(url, vec![]),
        Request::upload("ftp://127.0.0.1/up", vec![file.clone()]).mode(UploadMode::Tus),
        Request::upload(url, vec![file.clone(), file.clone()]),
        Request::upload(url, vec![file.clone()]).mode(UploadMode::Multipart {
            field: Some("bad\"name".into()),
            form: vec![],
        }),
    ];
    for request in cases {
        let err = engine.create(request.clone()).await.unwrap_err();
        assert!(
            matches!(err, ferry::engine::EngineError::Invalid(_)),
            "{request:?}: {err}"
        );
    }
    assert!(engine.list().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tus_upload_arrives_whole_with_its_metadata() {
    let Fixture {
        dir,
        server,
        engine,
        mut events,
    } = Fixture::start().await;
    server.tus("/files/", Tus::default());
    let body = data(40 * MIB + 3, 43);
    let file = write_file(dir.path(), "movie.mkv", &body);
    let request = Request::upload(server.url("/files/"), vec![file]).mode(UploadMode::Tus);
    let done = run_to_end(&engine, &mut events, request).await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    let uploads = server.tus_uploads();
    assert_eq!(uploads.len(), 1);
    assert_eq!(uploads[0].length, body.len() as u64);
    assert!(uploads[0].data == body, "assembled bytes match");
    assert!(
        uploads[0].metadata.contains("filename bW92aWUubWt2"),
        "{}",
        uploads[0].metadata
    );
    let tus_url = done.upload.unwrap().tus_url.unwrap();
    assert!(tus_url.ends_with("/files/u1"), "{tus_url}");
    let patches: Vec<_> = server
        .seen("/files/u1")
        .into_iter()
        .filter(|s| s.method == "PATCH")
        .collect();
    assert_eq!(patches.len(), 3, "in 16 MiB chunks");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tus_resumes_from_the_servers_offset_and_terminates_on_cancel() {
    let Fixture {
        dir,
        server,
        engine,
        mut events,
    } = Fixture::start().await;
    server.tus(
        "/files/",
        Tus {
            read_rate: Some(4 * MIB as u64),
            ..Tus::default()
        },
    );
    let body = data(16 * MIB, 44);
    let file = write_file(dir.path(), "a.bin", &body);
    let id = engine
        .create(Request::upload(server.url("/files/"), vec![file.clone()]).mode(UploadMode::Tus))
        .await
        .unwrap()
        .id;
    wait_bytes(&engine, &mut events, id, 8 * MIB as u64).await;
    engine.pause(id).await.unwrap();
    let held = settled_tus_offset(&server, 0).await;
    assert!(
        held > 0 && held < body.len() as u64,
        "the server kept part of the interrupted PATCH: {held}"
    );
    server.set_tus_rate(None);
    engine.resume(id).await.unwrap();
    let done = wait_finished(&engine, &mut events, id).await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    assert!(server.tus_uploads()[0].data == body);
    let seen = server.seen("/files/u1");
    let head = seen
        .iter()
        .position(|s| s.method == "HEAD")
        .expect("asked for the offset");
    let resumed = &seen[head + 1];
    assert_eq!(resumed.method, "PATCH");
    assert_eq!(
        resumed.header("upload-offset"),
        Some(held.to_string().as_str())
    );

    // Cancel a second one mid-way: the server is told to forget it.
    server.set_tus_rate(Some(MIB as u64));
    let id = engine
        .create(Request::upload(server.url("/files/"), vec![file]).mode(UploadMode::Tus))
        .await
        .unwrap()
        .id;
    wait_bytes(&engine, &mut events, id, MIB as u64 / 2).await;
    engine.cancel(id).await.unwrap();
    within(10, async {
        while !server.tus_uploads()[1].terminated {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tus_refuses_an_upload_larger_than_the_server_takes() {
    let Fixture {
        dir,
        server,
        engine,
        mut events,
    } = Fixture::start().await;
    server.tus(
        "/files/",
        Tus {
            max_size: Some(1000),
            ..Tus::default()
        },
    );
    let file = write_file(dir.path(), "a.bin", &data(1001, 45));
    let done = run_to_end(
        &engine,
        &mut events,
        Request::upload(server.url("/files/"), vec![file]).mode(UploadMode::Tus),
    )
    .await;
    let error = done.error.unwrap();
    assert_eq!(
        error.status,
        ErrorStatus::PayloadTooLarge,
        "{}",
        error.message
    );
    assert!(server.tus_uploads().is_empty(), "nothing was created");
}

/// The bytes the tus server holds for upload `index`, once it has finished reading
/// what was in flight when a PATCH was cut.
async fn settled_tus_offset(server: &TestServer, index: usize) -> u64 {
    within(30, async {
        let mut last = u64::MAX;
        loop {
            let now = server.tus_uploads()[index].data.len() as u64;
            if now == last {
                return now;
            }
            last = now;
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_response_timeout_counts_from_the_end_of_a_long_body() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start().await;
    let mut sink = Sink::ok("done");
    sink.read_rate = Some(4 * MIB as u64);
    sink.keep = false;
    server.sink("/up", sink);
    let mut options = options(dir.path());
    // Shorter than the body takes, longer than what socket buffers hold at the end.
    options.timeouts.response = std::time::Duration::from_secs(3);
    options.retry.max_retries = 0;
    let engine = open(options).await;
    let mut events = engine.subscribe();
    let body = data(28 * MIB, 46);
    let file = write_file(dir.path(), "slow.bin", &body);
    let done = run_to_end(
        &engine,
        &mut events,
        Request::upload(server.url("/up"), vec![file]),
    )
    .await;
    assert_eq!(
        done.status,
        Status::Completed,
        "a 7 s body outlives a 3 s response timeout: {:?}",
        done.error
    );
    assert_eq!(server.received("/up")[0].sha256, sha256(&body));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_cut_mid_upload_is_retried_from_zero_and_cancel_stops_it() {
    let Fixture {
        dir,
        server,
        engine,
        mut events,
    } = Fixture::start().await;
    let mut sink = Sink::ok("done");
    sink.keep = false;
    sink.cuts = [MIB as u64, 2 * MIB as u64].into();
    server.sink("/up", sink);
    let body = data(4 * MIB, 47);
    let file = write_file(dir.path(), "a.bin", &body);
    let done = run_to_end(
        &engine,
        &mut events,
        Request::upload(server.url("/up"), vec![file.clone()]),
    )
    .await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    let received = server.received("/up");
    assert_eq!(received.len(), 3, "two cut attempts, then a whole one");
    assert!(received[2].complete && received[2].sha256 == sha256(&body));
    assert_eq!(done.attempts, 2, "each cut used a retry");

    server.update_sink_rate("/up", Some(MIB as u64));
    let id = engine
        .create(Request::upload(server.url("/up"), vec![file]))
        .await
        .unwrap()
        .id;
    wait_bytes(&engine, &mut events, id, MIB as u64 / 2).await;
    engine.cancel(id).await.unwrap();
    let canceled = engine.get(id).unwrap();
    assert_eq!(canceled.status, Status::Canceled);
    assert!(canceled.response.is_none());
    println!("reliability: connection cut mid-upload | 1 | sent again from zero, arrived whole");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarting_an_upload_sends_it_again_from_zero() {
    let Fixture {
        dir,
        server,
        engine,
        mut events,
    } = Fixture::start().await;
    server.tus(
        "/files/",
        Tus {
            read_rate: Some(2 * MIB as u64),
            ..Tus::default()
        },
    );
    let body = data(12 * MIB, 48);
    let file = write_file(dir.path(), "a.bin", &body);
    let id = engine
        .create(Request::upload(server.url("/files/"), vec![file]).mode(UploadMode::Tus))
        .await
        .unwrap()
        .id;
    wait_bytes(&engine, &mut events, id, 6 * MIB as u64).await;
    engine.pause(id).await.unwrap();
    settled_tus_offset(&server, 0).await;
    server.set_tus_rate(None);
    engine.restart(id).await.unwrap();
    let done = wait_finished(&engine, &mut events, id).await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    within(10, async {
        while !server.tus_uploads()[0].terminated {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await;
    let uploads = server.tus_uploads();
    assert_eq!(uploads.len(), 2, "a new upload was created");
    assert!(uploads[1].data == body);
    assert!(done.upload.unwrap().tus_url.unwrap().ends_with("/files/u2"));
}
