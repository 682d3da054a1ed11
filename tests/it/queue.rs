//! The queue's order: moves decide which waiting operation starts next, keep
//! across a restart, and are refused for what does not wait.

use crate::support;

use ferry::engine::{EngineError, OperationId, Place, Request, Status};
use support::server::{Resource, TestServer};
use support::*;

const KIB: usize = 1024;

fn names(engine: &ferry::engine::Engine) -> Vec<String> {
    engine.queue().iter().map(|s| s.display_name()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moves_decide_what_starts_next_and_outlive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start().await;
    let mut options = options(dir.path());
    options.max_running = 1;
    let engine = open(options.clone()).await;

    // Four paused downloads, in the queue as created.
    let mut ids: Vec<OperationId> = Vec::new();
    for name in ["a", "b", "c", "d"] {
        server.put(&format!("/{name}"), Resource::new(data(8 * KIB, 3)));
        let mut request = Request::download(
            server.url(&format!("/{name}")),
            dir.path().join("downloads").join(name),
        );
        request.paused = true;
        ids.push(engine.create(request).await.unwrap().id);
    }
    let [a, b, c, d] = ids[..] else {
        unreachable!()
    };
    assert_eq!(names(&engine), ["a", "b", "c", "d"]);
    for (id, place, after) in [
        (d, Place::First, ["d", "a", "b", "c"]),
        (a, Place::Last, ["d", "b", "c", "a"]),
        (c, Place::Up, ["d", "c", "b", "a"]),
        (b, Place::After(a), ["d", "c", "a", "b"]),
        (d, Place::Up, ["d", "c", "a", "b"]),
    ] {
        engine.move_in_queue(id, place).await.unwrap();
        assert_eq!(names(&engine), after, "after {place:?}");
    }

    // The order is in the database: the next start has it.
    engine.shutdown().await;
    let engine = open(options).await;
    let mut events = engine.subscribe();
    assert_eq!(names(&engine), ["d", "c", "a", "b"]);

    // One slot, held while all four are resumed: then they start in the
    // queue's order, each byte-exact.
    server.put("/busy", Resource::new(data(256 * KIB, 4)).rate(256 * 1024));
    let busy = engine
        .create(Request::download(server.url("/busy"), None))
        .await
        .unwrap()
        .id;
    wait_status(&engine, &mut events, busy, Status::Running).await;
    let refused = engine.move_in_queue(busy, Place::First).await.unwrap_err();
    assert!(
        matches!(refused, EngineError::InvalidState { id, .. } if id == busy),
        "{refused}"
    );
    let beside_running = engine.move_in_queue(a, Place::Before(busy)).await;
    assert!(beside_running.is_err(), "a running one has no place");
    for id in [a, b, c, d] {
        engine.resume(id).await.unwrap();
    }
    for id in [a, b, c, d] {
        let done = wait_finished(&engine, &mut events, id).await;
        assert_eq!(done.status, Status::Completed, "{:?}", done.error);
        assert_eq!(
            sha256_file(done.destination.as_ref().unwrap()),
            sha256(&data(8 * KIB, 3))
        );
    }
    let order: Vec<String> = server.seen_all().into_iter().map(|s| s.path).collect();
    assert_eq!(order, ["/busy", "/d", "/c", "/a", "/b"]);
}

/// Moved next to one of another priority, an operation takes that priority:
/// to the front of a queue headed by a high one, it is high too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_move_past_a_priority_takes_it() {
    let Fixture {
        dir,
        server,
        engine,
        ..
    } = Fixture::start().await;
    let mut ids = Vec::new();
    for (name, priority) in [
        ("high", ferry::engine::Priority::High),
        ("low", ferry::engine::Priority::Low),
    ] {
        server.put(&format!("/{name}"), Resource::new(data(KIB, 5)));
        let mut request = Request::download(
            server.url(&format!("/{name}")),
            dir.path().join("downloads").join(name),
        )
        .priority(priority);
        request.paused = true;
        ids.push(engine.create(request).await.unwrap().id);
    }
    assert_eq!(names(&engine), ["high", "low"]);
    engine.move_in_queue(ids[1], Place::First).await.unwrap();
    assert_eq!(names(&engine), ["low", "high"]);
    assert_eq!(
        engine.get(ids[1]).unwrap().priority,
        ferry::engine::Priority::High
    );
}

/// `ferry move` and `ferry list --queue`, as a script uses them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_moves_and_lists_the_queue() {
    use support::program::{Ferry, text};
    let ferry = Ferry::new();
    let server = TestServer::start().await;
    let mut ids = Vec::new();
    for name in ["a", "b", "c"] {
        server.put(
            &format!("/{name}"),
            Resource::new(data(8 << 20, 6)).rate(1 << 20),
        );
        let out = ferry
            .run(&["get", &server.url(&format!("/{name}")), "--detach"])
            .await;
        assert!(out.status.success(), "{}", text(&out.stderr));
        ids.push(text(&out.stdout).trim()[..8].to_owned());
    }
    assert!(ferry.run(&["pause", "--all"]).await.status.success());
    let queue = async || -> Vec<String> {
        let listed = ferry.json(&["list", "--queue", "--json"]).await;
        listed
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap()[..8].to_owned())
            .collect()
    };
    assert_eq!(queue().await, ids);
    let (a, b, c) = (ids[0].as_str(), ids[1].as_str(), ids[2].as_str());
    for args in [["move", c, "first"].as_slice(), &["move", a, "after", b]] {
        let out = ferry.run(args).await;
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
    }
    assert_eq!(queue().await, [c, b, a]);

    // Before/after need the other one; the others take none.
    for args in [
        ["move", a, "before"].as_slice(),
        &["move", a, "up", b],
        &["move", a, "sideways"],
    ] {
        let out = ferry.run(args).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!text(&out.stderr).is_empty());
    }
    let out = ferry.run(&["move", a, "before", "ffffffff"]).await;
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("ffffffff"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(queue().await, [c, b, a], "nothing moved");
}
