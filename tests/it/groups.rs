//! Transfer groups (serialized, parallel), priorities, and completion groups whose
//! action runs once every transfer has ended: with the agent, across its death, and
//! with retries of a failing action.

use crate::support;

use std::path::Path;
use std::time::Duration;

use ferry::engine::{
    Action, ActionState, Behavior, ErrorStatus, Priority, Request, Snapshot, Status, WhenDone,
};
use serde_json::Value;
use support::program::{Ferry, text};
use support::server::{Resource, TestServer};
use support::*;

const KIB: usize = 1024;

/// Three slow-ish downloads in `group`, each with its own body; returns their bodies.
async fn three_in_group(
    engine: &ferry::engine::Engine,
    server: &TestServer,
    group: &str,
) -> Vec<(ferry::engine::OperationId, Vec<u8>)> {
    let mut created = Vec::new();
    for (n, name) in ["a", "b", "c"].into_iter().enumerate() {
        let body = data(256 * KIB, 70 + n as u64);
        server.put(
            &format!("/{group}/{name}"),
            Resource::new(body.clone()).rate(1024 * 1024),
        );
        let request = Request::download(server.url(&format!("/{group}/{name}")), None).group(group);
        created.push((engine.create(request).await.unwrap().id, body));
    }
    created
}

async fn all_complete(
    engine: &ferry::engine::Engine,
    events: &mut ferry::engine::Subscription,
    created: &[(ferry::engine::OperationId, Vec<u8>)],
) {
    for (id, body) in created {
        let done = wait_finished(engine, events, *id).await;
        assert_eq!(done.status, Status::Completed, "{:?}", done.error);
        assert_eq!(
            sha256_file(done.destination.as_ref().unwrap()),
            sha256(body)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_serialized_group_runs_one_at_a_time_in_creation_order() {
    let Fixture {
        dir: _dir,
        server,
        engine,
        mut events,
    } = Fixture::start().await;
    engine
        .create_group("nightly", Behavior::Serialized, None, WhenDone::Nothing)
        .await
        .unwrap();
    let created = three_in_group(&engine, &server, "nightly").await;
    all_complete(&engine, &mut events, &created).await;

    assert_eq!(server.peak_concurrent_bodies(), 1, "no two at once");
    let order: Vec<String> = server
        .seen_all()
        .into_iter()
        .map(|seen| seen.path)
        .collect();
    assert_eq!(order, ["/nightly/a", "/nightly/b", "/nightly/c"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parallel_group_overlaps() {
    let Fixture {
        dir: _dir,
        server,
        engine,
        mut events,
    } = Fixture::start().await;
    engine
        .create_group("batch", Behavior::Parallel, None, WhenDone::Nothing)
        .await
        .unwrap();
    let created = three_in_group(&engine, &server, "batch").await;
    all_complete(&engine, &mut events, &created).await;
    assert!(
        server.peak_concurrent_bodies() >= 2,
        "peak {}",
        server.peak_concurrent_bodies()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn priority_orders_the_queue_and_groups_must_exist() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start().await;
    let mut options = options(dir.path());
    options.max_running = 1;
    let engine = open(options).await;
    let mut events = engine.subscribe();

    // The one slot is busy while the others queue up.
    server.put("/busy", Resource::new(data(128 * KIB, 1)).rate(256 * 1024));
    let busy = engine
        .create(Request::download(server.url("/busy"), None))
        .await
        .unwrap()
        .id;
    wait_status(&engine, &mut events, busy, Status::Running).await;
    let mut ids = Vec::new();
    for (name, priority) in [
        ("low", Priority::Low),
        ("normal", Priority::Normal),
        ("high", Priority::High),
    ] {
        server.put(&format!("/{name}"), Resource::new(data(4 * KIB, 2)));
        let request = Request::download(server.url(&format!("/{name}")), None).priority(priority);
        ids.push(engine.create(request).await.unwrap().id);
    }
    for id in &ids {
        wait_finished(&engine, &mut events, *id).await;
    }
    let order: Vec<String> = server.seen_all().into_iter().map(|s| s.path).collect();
    assert_eq!(order, ["/busy", "/high", "/normal", "/low"]);

    let unknown = engine
        .create(Request::download(server.url("/low"), None).group("nope"))
        .await
        .unwrap_err();
    assert!(unknown.to_string().contains("no group named"), "{unknown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enabled_group_becomes_due_once_all_have_ended_and_then_closes() {
    let Fixture {
        dir: _dir,
        server,
        engine,
        mut events,
    } = Fixture::start().await;
    let action = Action {
        program: "/bin/true".into(),
        args: vec![],
    };
    engine
        .create_group("g", Behavior::Parallel, Some(action), WhenDone::Nothing)
        .await
        .unwrap();
    server.put("/one", Resource::new(data(64 * KIB, 3)).rate(256 * 1024));
    let one = engine
        .create(Request::download(server.url("/one"), None).group("g"))
        .await
        .unwrap()
        .id;
    let missing = engine
        .create(Request::download(server.url("/missing"), None).group("g"))
        .await
        .unwrap()
        .id;
    // Not enabled: nothing is due even when everything has ended.
    wait_finished(&engine, &mut events, missing).await;
    wait_finished(&engine, &mut events, one).await;
    assert_eq!(
        engine.group("g").unwrap().action_state,
        ActionState::Waiting
    );

    let enabled = engine.enable_group("g").await.unwrap();
    assert!(matches!(enabled.action_state, ActionState::Due { .. }));
    let (due, _) = engine.due_action();
    let (group, results) = due.expect("the action is due");
    assert_eq!(group.name, "g");
    let statuses: Vec<Status> = results.operations.iter().map(|o| o.status).collect();
    assert_eq!(statuses, [Status::Completed, Status::Error]);
    let error = results.operations[1].error.as_ref().unwrap();
    assert_eq!(error.status, ErrorStatus::NotFound);

    // Closed: no new member once the action is on its way.
    let late = engine
        .create(Request::download(server.url("/one"), None).group("g"))
        .await
        .unwrap_err();
    assert!(late.to_string().contains("enabled"), "{late}");
}

/// The `run-*.json` files the test action wrote, one per run, parsed.
fn runs_recorded(dir: &Path) -> Vec<Value> {
    let mut runs: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("run-"))
        .map(|e| std::fs::read(e.path()).unwrap())
        .collect();
    runs.sort();
    runs.iter()
        .map(|bytes| serde_json::from_slice(bytes).expect("the action received JSON"))
        .collect()
}

/// An action that stores its input and `FERRY_GROUP` in `out`, one file per run.
fn recording_action(out: &Path) -> Vec<String> {
    vec![
        "/bin/sh".into(),
        "-c".into(),
        r#"f="$0/run-$(date +%s%N)-$$.json"; cat > "$f.tmp" && echo "$FERRY_GROUP" > "$0/group-name" && mv "$f.tmp" "$f""#.into(),
        out.to_string_lossy().into_owned(),
    ]
}

async fn group_json(ferry: &Ferry, name: &str) -> Value {
    ferry.json(&["group", "show", name, "--json"]).await
}

async fn wait_action_state(ferry: &Ferry, name: &str, state: &str) -> Value {
    within(60, async {
        loop {
            let shown = group_json(ferry, name).await;
            if shown["group"]["action_state"]["state"] == state {
                return shown;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_action_runs_once_with_the_results_after_enabling() {
    let ferry = Ferry::new();
    let server = TestServer::start().await;
    let out = ferry.dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let mut create = vec!["group", "create", "photos", "--on-complete"];
    let action = recording_action(&out);
    create.extend(action.iter().map(String::as_str));
    let created = ferry.run(&create).await;
    assert!(created.status.success(), "{}", text(&created.stderr));

    let bodies = [data(100 * KIB, 11), data(200 * KIB, 12)];
    server.put("/a.jpg", Resource::new(bodies[0].clone()));
    server.put("/b.jpg", Resource::new(bodies[1].clone()).rate(512 * 1024));
    let mut ids = Vec::new();
    for path in ["/a.jpg", "/b.jpg", "/gone.jpg"] {
        let out = ferry
            .run(&["get", &server.url(path), "--group", "photos", "--detach"])
            .await;
        assert!(out.status.success(), "{}", text(&out.stderr));
        ids.push(text(&out.stdout).trim().to_owned());
    }
    let enabled = ferry.run(&["group", "enable", "photos"]).await;
    assert!(enabled.status.success(), "{}", text(&enabled.stderr));

    let shown = wait_action_state(&ferry, "photos", "succeeded").await;
    assert_eq!(shown["group"]["runs"].as_array().unwrap().len(), 1);
    let runs = runs_recorded(&out);
    assert_eq!(runs.len(), 1, "the action ran exactly once");
    let results = &runs[0];
    assert_eq!(results["group"], "photos");
    let operations = results["operations"].as_array().unwrap();
    assert_eq!(operations.len(), 3);
    let completed: Vec<&Value> = operations
        .iter()
        .filter(|o| o["status"] == "Completed")
        .collect();
    assert_eq!(completed.len(), 2);
    for (operation, body) in completed.iter().zip(&bodies) {
        let destination = operation["destination"].as_str().unwrap();
        assert_eq!(sha256_file(Path::new(destination)), sha256(body));
        assert_eq!(operation["bytes"], body.len() as u64);
    }
    let failed: Vec<&Value> = operations
        .iter()
        .filter(|o| o["status"] == "Error")
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["error"]["status"], "NotFound");
    assert_eq!(failed[0]["id"], ids[2].as_str());
    assert_eq!(
        std::fs::read_to_string(out.join("group-name"))
            .unwrap()
            .trim(),
        "photos"
    );

    // Nothing runs it a second time: not a restart of the agent either.
    let quit = ferry.run(&["quit"]).await;
    assert!(quit.status.success());
    let listed = ferry.json(&["group", "list", "--json"]).await;
    assert_eq!(listed[0]["action_state"]["state"], "succeeded");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(runs_recorded(&out).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_due_when_the_agent_died_runs_at_the_next_start_once() {
    let ferry = Ferry::new();
    let server = TestServer::start().await;
    let out = ferry.dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    server.put("/x", Resource::new(data(50 * KIB, 21)));

    // Transfers end and the group is enabled while no agent runs the action: the
    // engine alone, as if the agent died right after recording that it was due.
    {
        let mut options = options(ferry.dir.path());
        options.data_dir = ferry.data_dir();
        let engine = open(options).await;
        let mut events = engine.subscribe();
        let words = recording_action(&out);
        let action = Action {
            program: words[0].clone(),
            args: words[1..].to_vec(),
        };
        engine
            .create_group("late", Behavior::Parallel, Some(action), WhenDone::Nothing)
            .await
            .unwrap();
        let done: Snapshot = run_to_end(
            &engine,
            &mut events,
            Request::download(server.url("/x"), None).group("late"),
        )
        .await;
        assert_eq!(done.status, Status::Completed);
        let group = engine.enable_group("late").await.unwrap();
        assert!(matches!(group.action_state, ActionState::Due { .. }));
        engine.shutdown().await;
    }
    assert!(runs_recorded(&out).is_empty());

    // The next agent runs it, once.
    wait_action_state(&ferry, "late", "succeeded").await;
    assert_eq!(runs_recorded(&out).len(), 1);
    let quit = ferry.run(&["quit"]).await;
    assert!(quit.status.success());
    wait_action_state(&ferry, "late", "succeeded").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(runs_recorded(&out).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_killed_with_the_agent_runs_again_at_the_next_start() {
    let ferry = Ferry::new();
    let out = ferry.dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    // The first run marks that it started, then hangs; later runs finish.
    let script =
        r#"if [ ! -e "$0/started" ]; then touch "$0/started"; sleep 60; fi; touch "$0/finished""#;
    let created = ferry
        .run(&[
            "group",
            "create",
            "slow",
            "--on-complete",
            "/bin/sh",
            "-c",
            script,
            &out.to_string_lossy(),
        ])
        .await;
    assert!(created.status.success(), "{}", text(&created.stderr));
    // No transfers: enabling makes the action due at once.
    let enabled = ferry.run(&["group", "enable", "slow"]).await;
    assert!(enabled.status.success(), "{}", text(&enabled.stderr));
    within(30, async {
        while !out.join("started").exists() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    let pid = ferry.agent_pid().expect("an agent runs");
    let killed = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    // The next agent (started by the next command) finds it marked running and
    // runs it again.
    let shown = wait_action_state(&ferry, "slow", "succeeded").await;
    assert!(out.join("finished").exists());
    assert_eq!(shown["group"]["runs"].as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_action_is_retried_then_marked_failed() {
    let ferry = Ferry::with_config("[completion]\nretries = 2\nretry_delay = 0.2\n");
    let created = ferry
        .run(&[
            "group",
            "create",
            "broken",
            "--on-complete",
            "/bin/sh",
            "-c",
            "echo cannot import; exit 1",
        ])
        .await;
    assert!(created.status.success(), "{}", text(&created.stderr));
    let enabled = ferry.run(&["group", "enable", "broken"]).await;
    assert!(enabled.status.success());
    let shown = wait_action_state(&ferry, "broken", "failed").await;
    let runs = shown["group"]["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 3, "the first run and two retries");
    for run in runs {
        assert_eq!(run["exit_code"], 1);
        assert_eq!(run["output"].as_str().unwrap().trim(), "cannot import");
    }
    let page = ferry.run(&["group", "show", "broken"]).await;
    let page = text(&page.stdout);
    assert!(page.contains("failed after 3 run(s)"), "{page}");
    assert!(page.contains("cannot import"), "{page}");
}
