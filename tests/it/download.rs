//! HTTP downloads through the engine's public API, against the test server.

use crate::support;

use std::time::Duration;

use ferry::engine::{ErrorStatus, Event, Request, Status};
use support::server::{Fault, Resource, TestServer};
use support::*;

const MIB: usize = 1024 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downloads_of_0_b_1_mib_and_64_mib_are_byte_exact() {
    let Fixture {
        dir,
        server,
        engine,
        mut events,
    } = Fixture::start().await;
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();

    let mut ids = Vec::new();
    for (name, len) in [("empty.bin", 0), ("one.bin", MIB), ("big.bin", 64 * MIB)] {
        let body = data(len, len as u64);
        server.put(&format!("/{name}"), Resource::new(body.clone()));
        let created = engine
            .create(Request::download(
                server.url(&format!("/{name}")),
                Some(out.join(name)),
            ))
            .await
            .unwrap();
        ids.push((created.id, name, sha256(&body), len));
    }
    for (id, name, hash, len) in ids {
        let done = wait_finished(&engine, &mut events, id).await;
        assert_eq!(done.status, Status::Completed, "{name}: {:?}", done.error);
        assert_eq!(done.bytes, len as u64);
        assert_eq!(done.total, Some(len as u64));
        assert_eq!(sha256_file(&out.join(name)), hash, "{name}");
    }
    assert_eq!(
        files_in(&out),
        ["big.bin", "empty.bin", "one.bin"],
        "no .part left"
    );
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunked_response_of_unknown_length_completes() {
    let Fixture {
        dir,
        server,
        engine,
        mut events,
    } = Fixture::start().await;
    let body = data(3 * MIB + 17, 7);
    let mut resource = Resource::new(body.clone());
    resource.chunked = true;
    server.put("/stream", resource);
    let dest = dir.path().join("stream.bin");
    let done = run_to_end(
        &engine,
        &mut events,
        Request::download(server.url("/stream"), Some(dest.clone())),
    )
    .await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    assert_eq!(done.total, Some(body.len() as u64));
    assert_eq!(sha256_file(&dest), sha256(&body));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_then_resume_continues_from_the_checkpoint() {
    let Fixture {
        dir,
        server,
        engine,
        mut events,
    } = Fixture::start().await;
    let body = data(8 * MIB, 3);
    server.put("/f", Resource::new(body.clone()).rate(4 * MIB as u64));
    let dest = dir.path().join("f.bin");
    let id = engine
        .create(Request::download(server.url("/f"), Some(dest.clone())))
        .await
        .unwrap()
        .id;

    wait_bytes(&engine, &mut events, id, 2 * MIB as u64).await;
    engine.pause(id).await.unwrap();
    let paused = engine.get(id).unwrap();
    assert_eq!(paused.status, Status::PausedByApplication);
    assert!(paused.bytes >= 2 * MIB as u64 && paused.bytes < body.len() as u64);
    let part = dest.with_file_name("f.bin.part");
    assert_eq!(
        std::fs::metadata(&part).unwrap().len(),
        paused.bytes,
        "the .part holds exactly the checkpoint"
    );
    assert!(
        std::fs::read(&part).unwrap()[..] == body[..paused.bytes as usize],
        "the .part is a prefix of the body"
    );

    engine.resume(id).await.unwrap();
    let done = wait_finished(&engine, &mut events, id).await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    assert_eq!(sha256_file(&dest), sha256(&body));
    let seen = server.seen("/f");
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].range_start(), None);
    assert_eq!(
        seen[1].range_start(),
        Some(paused.bytes),
        "resumed where it paused"
    );
    assert_eq!(seen[1].header("if-range"), Some("\"v1\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_removes_the_part_and_restart_begins_at_zero() {
    let Fixture {
        dir,
        server,
        engine,
        mut events,
    } = Fixture::start().await;
    let body = data(8 * MIB, 4);
    server.put("/f", Resource::new(body.clone()).rate(4 * MIB as u64));

    let dest = dir.path().join("a.bin");
    let id = engine
        .create(Request::download(server.url("/f"), Some(dest.clone())))
        .await
        .unwrap()
        .id;
    wait_bytes(&engine, &mut events, id, MIB as u64).await;
    engine.cancel(id).await.unwrap();
    assert_eq!(engine.get(id).unwrap().status, Status::Canceled);
    assert!(
        files_in(dir.path()).iter().all(|f| !f.starts_with("a.bin")),
        "{:?}",
        files_in(dir.path())
    );

    let dest = dir.path().join("b.bin");
    let id = engine
        .create(Request::download(server.url("/f"), Some(dest.clone())))
        .await
        .unwrap()
        .id;
    wait_bytes(&engine, &mut events, id, MIB as u64).await;
    engine.restart(id).await.unwrap();
    let done = wait_finished(&engine, &mut events, id).await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    assert_eq!(sha256_file(&dest), sha256(&body));
    let last = server.seen("/f").pop().unwrap();
    assert_eq!(
        last.range_start(),
        None,
        "a restart asks for the whole resource"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_ignores_range_makes_the_file_start_over() {
    let Fixture {
        dir,
        server,
        engine,
        mut events,
    } = Fixture::start().await;
    let body = data(6 * MIB, 5);
    let mut resource = Resource::new(body.clone()).rate(4 * MIB as u64);
    resource.ranges = false;
    server.put("/f", resource);
    let dest = dir.path().join("f.bin");
    let id = engine
        .create(Request::download(server.url("/f"), Some(dest.clone())))
        .await
        .unwrap()
        .id;
    let at = wait_bytes(&engine, &mut events, id, MIB as u64).await;
    engine.pause(id).await.unwrap();
    engine.resume(id).await.unwrap();
    let done = wait_finished(&engine, &mut events, id).await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    assert_eq!(sha256_file(&dest), sha256(&body));
    let seen = server.seen("/f");
    assert!(
        seen[1].range_start().unwrap() >= at,
        "it did ask for the rest"
    );
    println!(
        "reliability: server ignores Range on resume (200 instead of 206) | 1 | started over from zero, byte-exact"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_etag_between_attempts_restarts_from_zero() {
    for honours_if_range in [true, false] {
        let Fixture {
            dir,
            server,
            engine,
            mut events,
        } = Fixture::start().await;
        let old = data(6 * MIB, 6);
        let new = data(6 * MIB, 60);
        server.put("/f", Resource::new(old).rate(4 * MIB as u64));
        let dest = dir.path().join("f.bin");
        let id = engine
            .create(Request::download(server.url("/f"), Some(dest.clone())))
            .await
            .unwrap()
            .id;
        wait_bytes(&engine, &mut events, id, MIB as u64).await;
        engine.pause(id).await.unwrap();
        server.update("/f", |r| {
            r.body = new.clone().into();
            r.etag = Some("\"v2\"".into());
            r.last_modified = Some("Tue, 03 Jan 2023 10:00:00 GMT".into());
            r.if_range = honours_if_range;
            r.rate = None;
        });
        engine.resume(id).await.unwrap();
        let done = wait_finished(&engine, &mut events, id).await;
        assert_eq!(done.status, Status::Completed, "{:?}", done.error);
        assert_eq!(
            sha256_file(&dest),
            sha256(&new),
            "honours If-Range: {honours_if_range}"
        );
        assert_eq!(done.validators.etag.as_deref(), Some("\"v2\""));
        engine.shutdown().await;
    }
    println!(
        "reliability: file changed between attempts (new ETag) | 1 | started over from zero, the new version byte-exact"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_dropped_twice_mid_body_completes_after_retries() {
    let Fixture {
        dir,
        server,
        engine,
        mut events,
    } = Fixture::start().await;
    let body = data(4 * MIB, 8);
    server.put(
        "/f",
        Resource::new(body.clone())
            .fault(Fault::DropAfter(MIB as u64))
            .fault(Fault::DropAfter(MIB as u64)),
    );
    let dest = dir.path().join("f.bin");
    let done = run_to_end(
        &engine,
        &mut events,
        Request::download(server.url("/f"), Some(dest.clone())),
    )
    .await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    assert_eq!(sha256_file(&dest), sha256(&body));
    let seen = server.seen("/f");
    assert_eq!(seen.len(), 3);
    assert!(
        seen[1].range_start().unwrap() > 0
            && seen[2].range_start().unwrap() > seen[1].range_start().unwrap()
    );
    println!(
        "reliability: connection dropped twice mid-body | 1 | resumed with Range each time, byte-exact"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_found_fails_at_once_without_retrying() {
    let Fixture {
        dir: _dir,
        server,
        engine,
        mut events,
    } = Fixture::start().await;
    let done = run_to_end(
        &engine,
        &mut events,
        Request::download(server.url("/missing"), None),
    )
    .await;
    assert_eq!(done.status, Status::Error);
    let error = done.error.unwrap();
    assert_eq!(error.status, ErrorStatus::NotFound);
    assert_eq!(error.http_status, Some(404));
    assert_eq!(done.attempts, 0);
    assert_eq!(server.seen("/missing").len(), 1);
    assert!(files_in(&engine.options().download_dir).is_empty());

    // Saved as a named file: no empty `.part` left behind either.
    let named = engine.options().download_dir.join("named.bin");
    let done = run_to_end(
        &engine,
        &mut events,
        Request::download(server.url("/missing-too"), Some(named)),
    )
    .await;
    assert_eq!(done.error.unwrap().status, ErrorStatus::NotFound);
    assert!(
        files_in(&engine.options().download_dir).is_empty(),
        "{:?}",
        files_in(&engine.options().download_dir)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_unavailable_with_retry_after_is_retried_after_the_delay() {
    let Fixture {
        dir,
        server,
        engine,
        mut events,
    } = Fixture::start().await;
    let body = data(1000, 9);
    let busy = Fault::Status(503, vec![("Retry-After".into(), "1".into())]);
    server.put("/f", Resource::new(body.clone()).fault(busy));
    let dest = dir.path().join("f.bin");
    let done = run_to_end(
        &engine,
        &mut events,
        Request::download(server.url("/f"), Some(dest.clone())),
    )
    .await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    let seen = server.seen("/f");
    assert_eq!(seen.len(), 2);
    let waited = seen[1].at.duration_since(seen[0].at);
    assert!(waited >= Duration::from_secs(1), "retried after {waited:?}");
    assert_eq!(sha256_file(&dest), sha256(&body));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_body_times_out() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start().await;
    server.put(
        "/f",
        Resource::new(data(MIB, 10)).fault(Fault::StallAfter(1000)),
    );
    let mut options = options(dir.path());
    options.timeouts.stall = Duration::from_millis(500);
    options.retry.max_retries = 0;
    let engine = open(options).await;
    let mut events = engine.subscribe();
    let started = std::time::Instant::now();
    let done = run_to_end(
        &engine,
        &mut events,
        Request::download(server.url("/f"), None),
    )
    .await;
    assert_eq!(done.status, Status::Error);
    assert_eq!(done.error.unwrap().status, ErrorStatus::Timeout);
    assert!(started.elapsed() >= Duration::from_millis(500));
    assert_eq!(done.bytes, 1000, "what arrived before the stall is kept");
    println!(
        "reliability: body stops (connection kept open) | 1 | Timeout; the bytes that arrived kept for a resume"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_from_content_disposition_land_safely_in_the_folder() {
    let Fixture {
        dir,
        server,
        engine,
        mut events,
    } = Fixture::start().await;
    let folder = dir.path().join("in");
    std::fs::create_dir(&folder).unwrap();
    let cases = [
        ("attachment; filename*=UTF-8''na%C3%AFve.txt", "naïve.txt"),
        ("attachment; filename=\"../../etc/passwd\"", "passwd"),
        ("attachment; filename=\"a/b\\\\c.txt\"", "c.txt"),
        (
            "attachment; filename*=UTF-8''bad%01name%0A.txt",
            "bad_name_.txt",
        ),
        ("attachment; filename=\"tab\tname.txt\"", "tab_name.txt"),
        ("attachment; filename=\"\"", "n6"),
    ];
    for (i, (disposition, expected)) in cases.iter().enumerate() {
        let path = format!("/n{i}");
        let body = data(100 + i, i as u64);
        server.put(&path, Resource::new(body.clone()).disposition(disposition));
        let done = run_to_end(
            &engine,
            &mut events,
            Request::download(server.url(&path), Some(folder.clone())),
        )
        .await;
        assert_eq!(
            done.status,
            Status::Completed,
            "{disposition}: {:?}",
            done.error
        );
        let destination = done.destination.unwrap();
        assert_eq!(destination.parent().unwrap(), folder, "{disposition}");
        let name = destination
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let wanted = if *expected == "n6" {
            format!("n{i}")
        } else {
            expected.to_string()
        };
        assert_eq!(name, wanted, "{disposition}");
        assert_eq!(sha256_file(&destination), sha256(&body));
    }
    assert!(!dir.path().join("etc").exists());
    println!(
        "reliability: hostile Content-Disposition names (../, \\, NUL, hidden) | 1 | one safe name inside the chosen folder"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_existing_file_is_never_overwritten_unless_asked() {
    let Fixture {
        dir,
        server,
        engine,
        mut events,
    } = Fixture::start().await;
    let body = data(5000, 11);
    server.put("/f", Resource::new(body.clone()));
    let dest = dir.path().join("report.pdf");
    std::fs::write(&dest, b"mine").unwrap();

    let done = run_to_end(
        &engine,
        &mut events,
        Request::download(server.url("/f"), Some(dest.clone())),
    )
    .await;
    assert_eq!(
        done.destination.as_deref(),
        Some(dir.path().join("report (1).pdf").as_path())
    );
    assert_eq!(std::fs::read(&dest).unwrap(), b"mine");
    assert_eq!(
        sha256_file(&dir.path().join("report (1).pdf")),
        sha256(&body)
    );

    let request = Request::download(server.url("/f"), Some(dest.clone())).overwrite(true);
    let done = run_to_end(&engine, &mut events, request).await;
    assert_eq!(done.destination.as_deref(), Some(dest.as_path()));
    assert_eq!(sha256_file(&dest), sha256(&body));
    println!(
        "reliability: server-chosen name of an existing file | 1 | saved as name (1).ext; the existing file untouched"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_are_followed_and_loops_end_in_an_error() {
    let Fixture {
        dir,
        server,
        engine,
        mut events,
    } = Fixture::start().await;
    let body = data(777, 12);
    server.put("/real", Resource::new(body.clone()));
    server.put("/hop1", Resource::redirect("/hop2"));
    server.put("/hop2", Resource::redirect("/real"));
    server.put("/loop", Resource::redirect("/loop"));

    let folder = dir.path().join("in");
    std::fs::create_dir(&folder).unwrap();
    let done = run_to_end(
        &engine,
        &mut events,
        Request::download(server.url("/hop1"), Some(folder.clone())),
    )
    .await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    assert_eq!(
        done.destination.unwrap(),
        folder.join("real"),
        "named after the final URL"
    );

    let done = run_to_end(
        &engine,
        &mut events,
        Request::download(server.url("/loop"), None),
    )
    .await;
    assert_eq!(done.status, Status::Error);
    assert_eq!(done.error.unwrap().status, ErrorStatus::TooManyRedirects);
    assert_eq!(
        server.seen("/loop").len(),
        11,
        "the first request and 10 redirects"
    );
    println!("reliability: redirect loop | 1 | TooManyRedirects after 10 hops, nothing written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_engine_reopened_after_shutdown_resumes_with_a_range() {
    let Fixture {
        dir,
        server,
        engine,
        mut events,
    } = Fixture::start().await;
    let body = data(8 * MIB, 13);
    server.put("/f", Resource::new(body.clone()).rate(4 * MIB as u64));
    let dest = dir.path().join("f.bin");
    let id = {
        let id = engine
            .create(Request::download(server.url("/f"), Some(dest.clone())))
            .await
            .unwrap()
            .id;
        wait_bytes(&engine, &mut events, id, 2 * MIB as u64).await;
        engine.shutdown().await;
        id
    };
    let engine = open(options(dir.path())).await;
    let mut events = engine.subscribe();
    let done = wait_finished(&engine, &mut events, id).await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    assert_eq!(sha256_file(&dest), sha256(&body));
    let seen = server.seen("/f");
    assert!(seen.last().unwrap().range_start().unwrap() >= 2 * MIB as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_global_limit_queues_operations_in_creation_order() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start().await;
    let mut options = options(dir.path());
    options.max_running = 2;
    let engine = open(options).await;
    let mut events = engine.subscribe();
    let mut ids = Vec::new();
    for i in 0..5 {
        let path = format!("/q{i}");
        server.put(&path, Resource::new(data(MIB, i)).rate(8 * MIB as u64));
        ids.push(
            engine
                .create(Request::download(server.url(&path), None))
                .await
                .unwrap()
                .id,
        );
    }
    let mut max_running = 0;
    within(60, async {
        while !ids
            .iter()
            .all(|id| engine.get(*id).unwrap().status.is_finished())
        {
            let running = engine
                .list()
                .iter()
                .filter(|s| s.status == Status::Running)
                .count();
            max_running = max_running.max(running);
            events.recv().await;
        }
    })
    .await;
    assert_eq!(max_running, 2);
    let first_seen: Vec<_> = (0..5)
        .map(|i| server.seen(&format!("/q{i}"))[0].at)
        .collect();
    assert!(first_seen.windows(2).all(|w| w[0] <= w[1]), "FIFO order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_requests_are_refused_and_nothing_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open(options(dir.path())).await;
    for url in ["not-a-url", "gopher://x/", "http://"] {
        let err = engine
            .create(Request::download(url, None))
            .await
            .unwrap_err();
        assert!(
            matches!(err, ferry::engine::EngineError::Invalid(_)),
            "{url}: {err}"
        );
    }
    let missing = dir.path().join("no/such/dir/f.bin");
    assert!(
        engine
            .create(Request::download("http://127.0.0.1:1/f", Some(missing)))
            .await
            .is_err()
    );
    let bad_header = Request::download("http://127.0.0.1:1/f", None).header("Bad Name", "x");
    assert!(engine.create(bad_header).await.is_err());
    assert!(engine.list().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn response_headers_time_out_counted_from_the_connection() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start().await;
    server.put("/f", Resource::new(data(100, 14)).fault(Fault::Silent));
    let mut options = options(dir.path());
    options.timeouts.response = Duration::from_millis(400);
    options.retry.max_retries = 0;
    let engine = open(options).await;
    let mut events = engine.subscribe();
    let started = std::time::Instant::now();
    let done = run_to_end(
        &engine,
        &mut events,
        Request::download(server.url("/f"), None),
    )
    .await;
    let error = done.error.unwrap();
    assert_eq!(error.status, ErrorStatus::Timeout, "{}", error.message);
    assert!(error.message.contains("no response"), "{}", error.message);
    assert!(started.elapsed() >= Duration::from_millis(400));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connecting_gets_the_connect_timeout_not_the_response_timeout() {
    // A listener whose accept queue is full drops new SYNs: connecting hangs.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(0).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut fillers = Vec::new();
    for _ in 0..4 {
        if let Ok(Ok(stream)) = tokio::time::timeout(
            Duration::from_millis(200),
            tokio::net::TcpStream::connect(addr),
        )
        .await
        {
            fillers.push(stream);
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let mut options = options(dir.path());
    options.timeouts.connect = Duration::from_millis(1500);
    options.timeouts.response = Duration::from_millis(300);
    options.retry.max_retries = 0;
    let engine = open(options).await;
    let mut events = engine.subscribe();
    let started = std::time::Instant::now();
    let done = run_to_end(
        &engine,
        &mut events,
        Request::download(format!("http://{addr}/f"), None),
    )
    .await;
    let elapsed = started.elapsed();
    let error = done.error.unwrap();
    assert_eq!(error.status, ErrorStatus::Timeout, "{}", error.message);
    assert!(
        elapsed >= Duration::from_millis(1400),
        "gave up after {elapsed:?}: {}",
        error.message
    );
    drop(fillers);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_come_in_order_and_progress_is_throttled() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start().await;
    let body = data(4 * MIB, 15);
    server.put("/f", Resource::new(body.clone()).rate(4 * MIB as u64));
    let options = options(dir.path());
    let interval = options.progress_interval;
    let engine = open(options).await;
    let mut events = engine.subscribe();
    let started = std::time::Instant::now();
    let id = engine
        .create(Request::download(server.url("/f"), None))
        .await
        .unwrap()
        .id;

    let mut seen = Vec::new();
    within(30, async {
        loop {
            let event = events.recv().await.unwrap();
            let done = matches!(&event, Event::StatusChanged { snapshot } if snapshot.status.is_finished());
            seen.push(event);
            if done {
                break;
            }
        }
    })
    .await;
    let elapsed = started.elapsed();
    let statuses: Vec<Status> = seen
        .iter()
        .filter_map(|e| match e {
            Event::StatusChanged { snapshot } => Some(snapshot.status),
            _ => None,
        })
        .collect();
    assert!(matches!(seen[0], Event::Added { .. }), "{:?}", seen[0]);
    // Running is said again once the download knows its file, with the file.
    assert_eq!(
        statuses,
        [Status::Running, Status::Running, Status::Completed]
    );
    let named = seen.iter().find_map(|e| match e {
        Event::StatusChanged { snapshot } if snapshot.destination.is_some() => Some(snapshot),
        _ => None,
    });
    assert_eq!(
        named.map(|s| s.status),
        Some(Status::Running),
        "the file is known while it runs"
    );
    let progress: Vec<u64> = seen
        .iter()
        .filter_map(|e| match e {
            Event::Progress {
                id: of,
                bytes,
                total,
                ..
            } if *of == id => {
                // A tick may come before the response headers: nothing counted, size
                // unknown. Once bytes arrive the size is known.
                if *bytes > 0 {
                    assert_eq!(*total, Some(body.len() as u64));
                } else {
                    assert!(total.is_none() || *total == Some(body.len() as u64));
                }
                Some(*bytes)
            }
            _ => None,
        })
        .collect();
    assert!(
        progress.windows(2).all(|w| w[0] <= w[1]),
        "progress only grows"
    );
    let ceiling = (elapsed.as_secs_f64() / interval.as_secs_f64()).ceil() as usize + 2;
    assert!(progress.len() >= 5, "{} progress events", progress.len());
    assert!(
        progress.len() <= ceiling,
        "{} progress events in {elapsed:?}",
        progress.len()
    );
    let Event::StatusChanged { snapshot } = seen.last().unwrap() else {
        unreachable!()
    };
    assert_eq!(snapshot.bytes, body.len() as u64);
}

/// A small tmpfs mounted for one test; unmounted on drop.
struct SmallDisk {
    path: std::path::PathBuf,
}

impl SmallDisk {
    /// `None` (with the reason printed) where this process may not mount.
    fn mount(parent: &std::path::Path, size: &str) -> Option<Self> {
        let path = parent.join("small-disk");
        std::fs::create_dir(&path).unwrap();
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&path)
            .stderr(std::process::Stdio::null())
            .status();
        if status.is_ok_and(|s| s.success()) {
            Some(Self { path })
        } else {
            println!("skipped: cannot mount a tmpfs here (needs root)");
            None
        }
    }

    fn resize(&self, size: &str) {
        let status = std::process::Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.path)
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(&self.path)
            .status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_larger_than_the_disk_is_refused_before_a_byte_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let Some(disk) = SmallDisk::mount(dir.path(), "3m") else {
        return;
    };
    let server = TestServer::start().await;
    let body = data(6 * MIB, 17);
    server.put("/f", Resource::new(body.clone()));
    let engine = open(options(dir.path())).await;
    let mut events = engine.subscribe();
    let dest = disk.path.join("f.bin");
    let failed = run_to_end(
        &engine,
        &mut events,
        Request::download(server.url("/f"), Some(dest.clone())),
    )
    .await;
    assert_eq!(failed.status, Status::Error);
    let error = failed.error.clone().unwrap();
    assert_eq!(error.status, ErrorStatus::DiskFull, "{}", error.message);
    assert!(
        error.message.contains("reserving space"),
        "{}",
        error.message
    );
    assert_eq!(failed.bytes, 0, "the size was known: nothing was written");
    assert!(!dest.exists(), "nothing under the final name");

    disk.resize("16m");
    engine.resume(failed.id).await.unwrap();
    let done = wait_finished(&engine, &mut events, failed.id).await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    assert_eq!(sha256_file(&dest), sha256(&body));
    engine.shutdown().await;
    println!(
        "reliability: a file larger than the free space | 1 | DiskFull before the first byte (preallocation)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_stops_with_disk_full_and_resumes_once_there_is_room() {
    let dir = tempfile::tempdir().unwrap();
    let Some(disk) = SmallDisk::mount(dir.path(), "3m") else {
        return;
    };
    let server = TestServer::start().await;
    let body = data(6 * MIB, 16);
    // No length announced: no space can be reserved, the disk fills mid-way.
    let mut resource = Resource::new(body.clone());
    resource.chunked = true;
    server.put("/f", resource);
    let engine = open(options(dir.path())).await;
    let mut events = engine.subscribe();
    let dest = disk.path.join("f.bin");
    let failed = run_to_end(
        &engine,
        &mut events,
        Request::download(server.url("/f"), Some(dest.clone())),
    )
    .await;
    assert_eq!(failed.status, Status::Error);
    let error = failed.error.clone().unwrap();
    assert_eq!(error.status, ErrorStatus::DiskFull, "{}", error.message);
    assert!(!dest.exists(), "nothing under the final name");
    let part = disk.path.join("f.bin.part");
    let kept = std::fs::read(&part).unwrap();
    assert!(
        failed.bytes <= kept.len() as u64 && failed.bytes > 0,
        "checkpoint {} of {}",
        failed.bytes,
        kept.len()
    );
    assert!(
        kept[..failed.bytes as usize] == body[..failed.bytes as usize],
        "the kept prefix is right"
    );

    disk.resize("16m");
    engine.resume(failed.id).await.unwrap();
    let done = wait_finished(&engine, &mut events, failed.id).await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    assert_eq!(sha256_file(&dest), sha256(&body));
    let resumed_at = server.seen("/f").last().unwrap().range_start();
    assert_eq!(
        resumed_at,
        Some(failed.bytes),
        "resumed from the checkpoint"
    );
    engine.shutdown().await;
    println!(
        "reliability: disk full mid-download (3 MiB tmpfs) | 1 | stopped with Error/DiskFull, the checked prefix kept, nothing under the final name; completed byte-exact after space was freed and it was resumed"
    );
}

/// A signed address redirects to a CDN on another host: the token in its query
/// must not travel there in a Referer (nor to the same host, where nothing needs it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_sends_no_referer_with_the_signed_address() {
    let dir = tempfile::tempdir().unwrap();
    let site = TestServer::start().await;
    let cdn = TestServer::start_on("127.0.0.2:0".parse().unwrap()).await;
    let body = data(4096, 91);
    cdn.put("/file.bin", Resource::new(body.clone()));
    site.put("/local.bin", Resource::new(body.clone()));
    site.put("/signed", Resource::redirect(&cdn.url("/file.bin")));
    site.put("/same-host", Resource::redirect("/local.bin"));
    let engine = open(options(dir.path())).await;
    let mut events = engine.subscribe();

    for (path, landed) in [("/signed", &cdn), ("/same-host", &site)] {
        let url = format!("{}?token=SECRET-{}", site.url(path), path.len());
        let done = run_to_end(&engine, &mut events, Request::download(url, None)).await;
        assert_eq!(done.status, Status::Completed, "{:?}", done.error);
        assert_eq!(sha256_file(&done.destination.unwrap()), sha256(&body));
        let target = if path == "/signed" {
            "/file.bin"
        } else {
            "/local.bin"
        };
        let seen = landed.seen(target);
        assert_eq!(seen.len(), 1);
        assert_eq!(
            seen[0].header("referer"),
            None,
            "{path}: {:?}",
            seen[0].headers
        );
    }

    // A Referer the user gives goes as given (a site that checks it).
    let request = Request::download(site.url("/signed?token=x"), None)
        .header("Referer", "https://site.example/page");
    let done = run_to_end(&engine, &mut events, request.duplicate(true)).await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    let last = cdn.seen("/file.bin").pop().unwrap();
    assert_eq!(last.header("referer"), Some("https://site.example/page"));
}

/// The same download asked for again while it has not ended is the same
/// operation: paused or failed, it is resumed; completed, a new one gets a free name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_request_again_attaches_to_the_unfinished_operation() {
    let Fixture {
        dir,
        server,
        engine,
        mut events,
    } = Fixture::start().await;
    let body = data(6 * MIB, 92);
    server.put("/big.iso", Resource::new(body.clone()).rate(2 * MIB as u64));
    let dest = dir.path().join("downloads").join("big.iso");
    let request = || Request::download(server.url("/big.iso"), Some(dest.clone()));

    let first = engine.submit(request()).await.unwrap();
    assert!(!first.attached);
    let id = first.snapshot.id;
    wait_bytes(&engine, &mut events, id, MIB as u64).await;
    engine.pause(id).await.unwrap();

    // Again, twice at once: both get the first operation, resumed.
    let (a, b) = tokio::join!(engine.submit(request()), engine.submit(request()));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(a.attached && b.attached);
    assert_eq!((a.snapshot.id, b.snapshot.id), (id, id));
    assert!(a.snapshot.bytes >= MIB as u64, "its progress is kept");
    assert_ne!(engine.get(id).unwrap().status, Status::PausedByApplication);
    assert_eq!(engine.list().len(), 1);

    // --new makes a second one, under a free name.
    let second = engine.submit(request().duplicate(true)).await.unwrap();
    assert!(!second.attached);
    assert_ne!(second.snapshot.id, id);
    engine.cancel(second.snapshot.id).await.unwrap();

    let done = wait_finished(&engine, &mut events, id).await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    assert_eq!(sha256_file(&dest), sha256(&body));

    // Completed, its file there: the same request is a new download, `big (1).iso`.
    let again = engine.submit(request()).await.unwrap();
    assert!(!again.attached);
    assert_eq!(
        again.snapshot.destination.as_deref(),
        Some(dest.with_file_name("big (1).iso").as_path())
    );
    engine.cancel(again.snapshot.id).await.unwrap();

    // Failed: asked again, it is tried again (same operation).
    let missing = Request::download(server.url("/gone.bin"), None);
    let failed = run_to_end(&engine, &mut events, missing.clone()).await;
    assert_eq!(failed.status, Status::Error);
    server.put("/gone.bin", Resource::new(data(1000, 93)));
    let retried = engine.submit(missing).await.unwrap();
    assert!(retried.attached);
    assert_eq!(retried.snapshot.id, failed.id);
    let done = wait_finished(&engine, &mut events, failed.id).await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
}

/// The same download asked for again without the credentials it was created
/// with keeps them (a rerun of the same command); given anew, they replace them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attached_request_keeps_what_it_leaves_out() {
    use ferry::engine::request::Auth;
    let Fixture {
        dir: _dir,
        server,
        engine,
        mut events,
    } = Fixture::start().await;
    let body = data(3 * MIB, 94);
    server.put(
        "/private.bin",
        Resource::new(body.clone())
            .rate(MIB as u64)
            .basic_auth("alice", "pw-1"),
    );
    let with = |password: &str| {
        let mut request = Request::download(server.url("/private.bin"), None);
        request.auth = Some(Auth {
            user: "alice".into(),
            password: password.into(),
        });
        request
    };
    let id = engine.create(with("pw-1")).await.unwrap().id;
    wait_bytes(&engine, &mut events, id, 512 * 1024).await;
    engine.pause(id).await.unwrap();
    // Rerun without credentials: attached, and the password is still there.
    let again = engine
        .submit(Request::download(server.url("/private.bin"), None))
        .await
        .unwrap();
    assert!(again.attached);
    wait_bytes(&engine, &mut events, id, MIB as u64 + 512 * 1024).await;
    engine.pause(id).await.unwrap();
    // The password changed on the server; given anew, it replaces the old one.
    server.update("/private.bin", |r| {
        *r = Resource::new(body.clone()).basic_auth("alice", "pw-2");
    });
    assert!(engine.submit(with("pw-2")).await.unwrap().attached);
    let done = wait_finished(&engine, &mut events, id).await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    assert_eq!(sha256_file(&done.destination.unwrap()), sha256(&body));
}

/// After `shutdown` nothing of the engine keeps running: its runtime counts no live
/// task once the engine is dropped (a running download, the network follower, the
/// savers and tickers included). The server lives in a runtime of its own.
#[test]
fn an_engine_shut_down_leaves_no_task_running() {
    let server_runtime = tokio::runtime::Runtime::new().unwrap();
    let server = server_runtime.block_on(TestServer::start());
    server.put(
        "/slow.bin",
        Resource::new(data(8 * MIB, 9)).rate(MIB as u64),
    );
    let engine_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    engine_runtime.block_on(async {
        let engine = open(options(dir.path())).await;
        let network = ferry::engine::FixedConditions::new(ferry::engine::Conditions::default());
        engine.follow_network(&network);
        let mut events = engine.subscribe();
        let id = engine
            .create(Request::download(server.url("/slow.bin"), None))
            .await
            .unwrap()
            .id;
        wait_bytes(&engine, &mut events, id, MIB as u64).await;
        let running = tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks();
        assert!(running > 0, "the count sees the engine's tasks");
        engine.shutdown().await;
    });
    let metrics = engine_runtime.metrics();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while metrics.num_alive_tasks() > 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(metrics.num_alive_tasks(), 0, "tasks left after shutdown");
}
