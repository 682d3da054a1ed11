//! Segmented downloads: one file over several connections, written in place, each
//! segment checkpointed on its own, so that a killed agent resumes every segment.

use crate::support;

use std::path::Path;
use std::time::Duration;

use ferry::engine::{Request, Status};
use support::program::{Ferry, text};
use support::server::{Fault, Resource, Seen, TestServer};
use support::*;

const MIB: usize = 1024 * 1024;

/// `Range: bytes=a-b` (b inclusive; open-ended: the end of the file).
fn range(seen: &Seen, len: u64) -> Option<(u64, u64)> {
    let spec = seen.header("range")?.strip_prefix("bytes=")?;
    let (from, to) = spec.split_once('-')?;
    let to = if to.is_empty() {
        len
    } else {
        to.parse::<u64>().ok()? + 1
    };
    Some((from.parse().ok()?, to))
}

/// The ranges asked for cover the whole file.
fn covered(ranges: &[(u64, u64)], len: u64) -> bool {
    let mut sorted = ranges.to_vec();
    sorted.sort_unstable();
    let mut reach = 0;
    for (from, to) in sorted {
        if from > reach {
            return false;
        }
        reach = reach.max(to);
    }
    reach >= len
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_comes_whole_over_four_connections() {
    let Fixture {
        dir: _dir,
        server,
        engine,
        mut events,
    } = Fixture::start().await;
    let body = data(64 * MIB, 51);
    // Each connection is held to 24 MiB/s, so the four run side by side.
    server.put(
        "/disk.img",
        Resource::new(body.clone()).rate(24 * MIB as u64),
    );
    let done = run_to_end(
        &engine,
        &mut events,
        Request::download(server.url("/disk.img"), None).connections(4),
    )
    .await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    assert_eq!(
        sha256_file(done.destination.as_ref().unwrap()),
        sha256(&body)
    );

    let len = body.len() as u64;
    let seen = server.seen("/disk.img");
    let ranges: Vec<(u64, u64)> = seen.iter().filter_map(|s| range(s, len)).collect();
    assert_eq!(ranges.len(), seen.len(), "every request asked for a range");
    assert_eq!(ranges[0], (0, len), "the first asks from byte 0 on");
    assert!(ranges.len() >= 4, "{ranges:?}");
    assert!(covered(&ranges, len), "{ranges:?}");
    let mut starts: Vec<u64> = ranges.iter().map(|r| r.0).collect();
    starts.sort_unstable();
    starts.dedup();
    assert_eq!(
        starts.len(),
        ranges.len(),
        "no part asked twice: {ranges:?}"
    );
    assert!(
        server.peak_concurrent_bodies() >= 3,
        "connections ran side by side: {}",
        server.peak_concurrent_bodies()
    );
    // What was sent beyond the file: parts cut short when another connection
    // took over their end.
    let extra = server.body_bytes_sent().saturating_sub(len);
    println!(
        "segmented: {} requests, {extra} bytes sent beyond the file",
        ranges.len()
    );
}

/// Each checkpoint tells where the connections are: one position per
/// connection at work, each inside its own part, at or past what is on disk.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_parts_event_says_where_each_connection_is() {
    use ferry::engine::Event;
    let Fixture {
        dir: _dir,
        server,
        engine,
        mut events,
    } = Fixture::start().await;
    server.put(
        "/film.mkv",
        Resource::new(data(16 * MIB, 52)).rate(2 * MIB as u64),
    );
    let id = engine
        .create(Request::download(server.url("/film.mkv"), None).connections(4))
        .await
        .unwrap()
        .id;
    let (segments, fetching) = within(60, async {
        loop {
            if let Some(Event::Parts {
                id: of,
                segments,
                fetching,
            }) = events.recv().await
                && of == id
                && fetching.len() == 4
            {
                return (segments, fetching);
            }
        }
    })
    .await;
    let mut parts_at_work = Vec::new();
    for at in &fetching {
        let part = segments
            .iter()
            .position(|p| (p.start + p.done..=p.end).contains(at))
            .unwrap_or_else(|| panic!("{at} in no part past its bytes on disk: {segments:?}"));
        parts_at_work.push(part);
    }
    parts_at_work.sort_unstable();
    parts_at_work.dedup();
    assert_eq!(
        parts_at_work.len(),
        4,
        "one connection a part: {fetching:?} {segments:?}"
    );
    engine.cancel(id).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_agent_resumes_every_segment() {
    let ferry = Ferry::new();
    let server = TestServer::start().await;
    let body = data(32 * MIB, 52);
    server.put("/big.iso", Resource::new(body.clone()).rate(2 * MIB as u64));
    let dest = ferry.downloads().join("big.iso");
    let out = ferry
        .run(&[
            "get",
            &server.url("/big.iso"),
            "-o",
            dest.to_str().unwrap(),
            "--connections",
            "4",
            "--detach",
        ])
        .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let id = text(&out.stdout).trim().to_owned();

    within(60, async {
        loop {
            // Kill it once every part has a checkpoint of its own.
            let shown = ferry.json(&["show", &id, "--json"]).await;
            let segments = shown["segments"].as_array().cloned().unwrap_or_default();
            let done: Vec<u64> = segments
                .iter()
                .map(|s| s["done"].as_u64().unwrap())
                .collect();
            if done.len() >= 4 && done.iter().all(|d| *d > 0) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    let before = server.seen("/big.iso").len();
    ferry.kill_agent().await;

    let out = ferry.run(&["wait", &id]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(sha256_file(&dest), sha256(&body));
    let len = body.len() as u64;
    let resumed: Vec<(u64, u64)> = server.seen("/big.iso")[before..]
        .iter()
        .filter_map(|s| range(s, len))
        .collect();
    assert!(resumed.len() >= 4, "each segment resumed: {resumed:?}");
    assert!(
        resumed.iter().all(|r| r.0 > 0),
        "none from zero: {resumed:?}"
    );
    let sent_twice = server.body_bytes_sent().saturating_sub(len);
    println!("segmented kill -9: {sent_twice} bytes sent twice");
    // One checkpoint interval (1 s at 2 MiB/s) and one write buffer per connection.
    assert!(
        sent_twice <= 4 * 3 * MIB as u64,
        "{sent_twice} bytes sent twice"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fast_connections_take_over_from_a_slow_one() {
    let Fixture {
        dir: _dir,
        server,
        engine,
        mut events,
    } = Fixture::start().await;
    let body = data(32 * MIB, 53);
    let mut resource = Resource::new(body.clone()).rate(32 * MIB as u64);
    // The first connection (the first segment) crawls.
    resource.faults.push_back(Fault::Rate(MIB as u64 / 2));
    server.put("/uneven.bin", resource);
    let done = run_to_end(
        &engine,
        &mut events,
        Request::download(server.url("/uneven.bin"), None).connections(4),
    )
    .await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    assert_eq!(
        sha256_file(done.destination.as_ref().unwrap()),
        sha256(&body)
    );
    let len = body.len() as u64;
    let ranges: Vec<(u64, u64)> = server
        .seen("/uneven.bin")
        .iter()
        .filter_map(|s| range(s, len))
        .collect();
    // The slow first segment (0–8 MiB) was split: parts of it asked by others.
    let first_end = 8 * MIB as u64;
    assert!(
        ranges.iter().any(|r| r.0 > 0 && r.0 < first_end),
        "{ranges:?}"
    );
    assert!(covered(&ranges, len), "{ranges:?}");
}

/// Options that let the download find its connection count.
fn adaptive(dir: &Path) -> ferry::engine::Options {
    let mut options = options(dir);
    options.connections = None;
    options
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_that_refuses_a_third_connection_gets_two_and_is_remembered() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start().await;
    let body = data(24 * MIB, 54);
    let mut resource = Resource::new(body.clone()).rate(4 * MIB as u64);
    resource.max_bodies = Some(2);
    server.put("/first.bin", resource.clone());
    server.put("/second.bin", resource);
    let engine = open(adaptive(dir.path())).await;
    let mut events = engine.subscribe();

    // Finding its count, it goes 1, 2, 4: the 3rd and 4th are turned away.
    let done = run_to_end(
        &engine,
        &mut events,
        Request::download(server.url("/first.bin"), None),
    )
    .await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    assert_eq!(
        sha256_file(done.destination.as_ref().unwrap()),
        sha256(&body)
    );
    assert!(server.refused() >= 1, "the server turned connections away");
    assert!(server.peak_concurrent_bodies() <= 2);

    // The host's limit is remembered, across a restart too: the next download,
    // though it asks for 4, asks no more of it.
    let refused = server.refused();
    engine.shutdown().await;
    let engine = open(adaptive(dir.path())).await;
    let mut events = engine.subscribe();
    let done = run_to_end(
        &engine,
        &mut events,
        Request::download(server.url("/second.bin"), None).connections(4),
    )
    .await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    assert_eq!(server.refused(), refused, "nothing refused the second time");
    println!(
        "reliability: server answers 429 beyond 2 connections | 1 | completed byte-exact with 2; the cap remembered for the host"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_count_grows_against_a_server_that_holds_each_connection() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start().await;
    let body = data(48 * MIB, 55);
    server.put(
        "/held.bin",
        Resource::new(body.clone()).rate(4 * MIB as u64),
    );
    let engine = open(adaptive(dir.path())).await;
    let mut events = engine.subscribe();
    let done = run_to_end(
        &engine,
        &mut events,
        Request::download(server.url("/held.bin"), None),
    )
    .await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    assert_eq!(
        sha256_file(done.destination.as_ref().unwrap()),
        sha256(&body)
    );
    let peak = server.peak_concurrent_bodies();
    println!("adaptive, 4 MiB/s per connection: up to {peak} connections");
    // Each doubling brought twice the throughput: it went on towards the cap
    // (not past it, but for the moment a replaced connection is noticed).
    let cap = u64::from(ferry::engine::DEFAULT_CONNECTIONS_PER_HOST);
    assert!(peak >= 4, "{peak} connections at once");
    let lasting = server.peak_bodies_lasting(Duration::from_millis(100));
    assert!(lasting <= cap, "{lasting} connections at once");
    let len = body.len() as u64;
    let ranges: Vec<(u64, u64)> = server
        .seen("/held.bin")
        .iter()
        .filter_map(|s| range(s, len))
        .collect();
    assert!(covered(&ranges, len), "{ranges:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_count_goes_back_to_one_where_more_bring_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = std::sync::Arc::new(TestServer::start().await);
    let body = data(48 * MIB, 56);
    // The server's link is the limit: 8 MiB/s whatever the connections. Six
    // seconds on one connection: long enough for one look at the ceiling.
    server.put(
        "/link.bin",
        Resource::new(body.clone()).shared_rate(8 * MIB as u64),
    );
    let engine = open(adaptive(dir.path())).await;
    let mut events = engine.subscribe();
    // How many bodies the server sends, every 20 ms, from 4 s on: the look and
    // its verdict take under a second (at most 3.5 s however slow the machine).
    let sampling = {
        let server = std::sync::Arc::clone(&server);
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(4)).await;
            let mut most = 0;
            for _ in 0..50 {
                most = most.max(server.bodies_now());
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            most
        })
    };
    let done = run_to_end(
        &engine,
        &mut events,
        Request::download(server.url("/link.bin"), None),
    )
    .await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    assert_eq!(
        sha256_file(done.destination.as_ref().unwrap()),
        sha256(&body)
    );
    let peak = server.peak_bodies_lasting(Duration::from_millis(100));
    let cap = u64::from(ferry::engine::DEFAULT_CONNECTIONS_PER_HOST);
    println!("a shared 8 MiB/s: up to {peak} connections at once");
    assert!(peak <= cap, "{peak} connections at once");
    let later = sampling.await.unwrap();
    assert_eq!(later, 1, "{later} connections after the look");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downloads_to_one_host_share_its_connections() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start().await;
    let first = data(32 * MIB, 57);
    let second = data(32 * MIB, 58);
    server.put("/a.bin", Resource::new(first.clone()).rate(3 * MIB as u64));
    server.put("/b.bin", Resource::new(second.clone()).rate(3 * MIB as u64));
    let mut options = adaptive(dir.path());
    options.connections_per_host = 4;
    let engine = open(options).await;
    let mut events = engine.subscribe();
    let a = engine
        .create(Request::download(server.url("/a.bin"), None))
        .await
        .unwrap()
        .id;
    let b = engine
        .create(Request::download(server.url("/b.bin"), None))
        .await
        .unwrap()
        .id;
    let done_a = wait_finished(&engine, &mut events, a).await;
    let done_b = wait_finished(&engine, &mut events, b).await;
    for (done, body) in [(done_a, &first), (done_b, &second)] {
        assert_eq!(done.status, Status::Completed, "{:?}", done.error);
        assert_eq!(
            sha256_file(done.destination.as_ref().unwrap()),
            sha256(body)
        );
    }
    // A part cut short is replaced at once; the server notices the hang-up a
    // moment later (on a loaded machine, both were counted: 5). Bodies that
    // overlapped for more than 100 ms are Ferry's doing.
    let peak = server.peak_bodies_lasting(Duration::from_millis(100));
    println!(
        "two downloads, 4 connections per host: up to {peak} at once ({} counting the moments a connection was being replaced)",
        server.peak_concurrent_bodies()
    );
    assert!((3..=4).contains(&peak), "{peak} connections at once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_far_ahead_gets_a_connection_of_its_own() {
    let Fixture {
        dir: _dir,
        server,
        engine,
        mut events,
    } = Fixture::start().await;
    let body = data(16 * MIB, 59);
    server.put("/film.mkv", Resource::new(body.clone()).rate(MIB as u64));
    let id = engine
        .create(Request::download(server.url("/film.mkv"), None).connections(2))
        .await
        .unwrap()
        .id;
    // Two parts, 0–8 and 8–16 MiB; the reader starts at 14 MiB, far from both.
    within(30, async {
        while engine.get(id).unwrap().segments.len() < 2 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    let offset = 14 * MIB as u64;
    let mut reader = engine.read(id, offset).unwrap();
    let mut read = Vec::new();
    within(60, async {
        while read.len() < body.len() - offset as usize {
            match reader.next().await.unwrap() {
                Some(bytes) => read.extend_from_slice(&bytes),
                None => break,
            }
        }
    })
    .await;
    let still = engine.get(id).unwrap().status;
    assert!(
        read == body[offset as usize..],
        "the reader got the file's bytes"
    );
    // Its part came first: it was there long before the whole file.
    assert_ne!(
        still,
        Status::Completed,
        "the reader waited for the whole file"
    );
    drop(reader);
    let done = wait_finished(&engine, &mut events, id).await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    assert_eq!(
        sha256_file(done.destination.as_ref().unwrap()),
        sha256(&body)
    );
    let starts: Vec<u64> = server
        .seen("/film.mkv")
        .iter()
        .filter_map(Seen::range_start)
        .collect();
    assert!(
        starts.contains(&offset),
        "a request from the reader's offset: {starts:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parts_are_asked_a_bounded_range_at_a_time_and_split_between_requests() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start().await;
    server.keep_alive();
    let body = data(48 * MIB, 57);
    // Each connection held to 8 MiB/s, the server 2 MiB ahead of that: a
    // request cut short loses up to 2 MiB with its connection. Six seconds on
    // one: the count goes to many at once, each new one taking half a part.
    server.put(
        "/ahead.bin",
        Resource::new(body.clone())
            .rate(8 * MIB as u64)
            .ahead(2 * MIB as u64),
    );
    let engine = open(adaptive(dir.path())).await;
    let mut events = engine.subscribe();
    let done = run_to_end(
        &engine,
        &mut events,
        Request::download(server.url("/ahead.bin"), None),
    )
    .await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    assert_eq!(
        sha256_file(done.destination.as_ref().unwrap()),
        sha256(&body)
    );
    let len = body.len() as u64;
    let ranges: Vec<(u64, u64)> = server
        .seen("/ahead.bin")
        .iter()
        .filter_map(|s| range(s, len))
        .collect();
    assert!(covered(&ranges, len), "{ranges:?}");
    // After the first (from byte 0 to the end), every request asks for a
    // bounded range, and connections carry several.
    assert!(
        ranges[1..].iter().all(|r| r.1 - r.0 <= 64 * MIB as u64),
        "{ranges:?}"
    );
    let connections = server.connections_accepted();
    assert!(
        (connections as usize) < ranges.len(),
        "{} requests over {connections} connections",
        ranges.len()
    );
    // What crossed the wire beyond the file: the first request, cut where
    // the second part starts, and at most one more cut (the last part, too
    // short to wait for); every other split fell between requests.
    let extra = server.body_bytes_sent().saturating_sub(len);
    println!(
        "bounded requests: {} requests over {connections} connections, {extra} bytes beyond the file",
        ranges.len()
    );
    assert!(extra <= 5 * MIB as u64, "{extra} bytes beyond the file");
}
