//! Schedules (F25) on an engine whose clock the test moves by hand (no real
//! waiting): a window opening and closing starts and holds transfers with the
//! status a user sees and the time they will run; "run anyway" passes; a limit
//! window changes the live rate.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ferry::engine::schedule::{Clock, Effect, Rule, Scope};
use ferry::engine::{CostPolicy, Engine, Request, Status};
use jiff::ZonedDateTime;
use jiff::tz::TimeZone;

use crate::support;
use support::server::{Resource, TestServer};
use support::*;

const MIB: usize = 1024 * 1024;

/// A clock the test sets; the engine reads it (in UTC: no tz database needed).
#[derive(Clone)]
struct HandClock(Arc<Mutex<ZonedDateTime>>);

impl HandClock {
    fn at(utc: &str) -> Self {
        Self(Arc::new(Mutex::new(time(utc))))
    }

    fn set(&self, engine: &Engine, utc: &str) {
        *self.0.lock().unwrap() = time(utc);
        engine.recheck_schedule();
    }

    fn clock(&self) -> Clock {
        let now = Arc::clone(&self.0);
        Clock::new(move || now.lock().unwrap().clone())
    }
}

fn time(utc: &str) -> ZonedDateTime {
    let civil: jiff::civil::DateTime = utc.parse().unwrap();
    civil.to_zoned_datetime(TimeZone::UTC).unwrap()
}

fn millis(utc: &str) -> u64 {
    u64::try_from(time(utc).timestamp().as_millisecond()).unwrap()
}

fn rule(from: &str, to: &str, effect: Effect) -> Rule {
    Rule {
        days: Vec::new(),
        from: from.parse().unwrap(),
        to: to.parse().unwrap(),
        applies_to: Scope::All,
        effect,
    }
}

async fn engine_with(dir: &std::path::Path, clock: &HandClock, rules: Vec<Rule>) -> Engine {
    let mut options = options(dir);
    options.clock = clock.clock();
    options.schedule = rules;
    open(options).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_night_window_holds_a_download_until_it_opens_and_stops_it_when_it_closes() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start().await;
    let clock = HandClock::at("2026-05-05T12:00");
    let engine = engine_with(
        dir.path(),
        &clock,
        vec![rule("01:00", "07:00", Effect::MayRun)],
    )
    .await;
    let mut events = engine.subscribe();
    let body = data(8 * MIB, 91);
    server.put(
        "/night.iso",
        Resource::new(body.clone()).rate(2 * MIB as u64),
    );

    let id = engine
        .create(Request::download(server.url("/night.iso"), None))
        .await
        .unwrap()
        .id;
    let held = wait_status(&engine, &mut events, id, Status::PausedBySchedule).await;
    assert_eq!(
        held.waits_until,
        Some(millis("2026-05-06T01:00")),
        "tonight at 01:00"
    );
    assert_eq!(held.bytes, 0);
    assert!(
        server.seen("/night.iso").is_empty(),
        "nothing asked before its hours"
    );

    // 01:00: it runs. 07:00 comes in the middle: it stops and waits for the
    // next night, with what it fetched kept.
    clock.set(&engine, "2026-05-06T01:00");
    wait_bytes(&engine, &mut events, id, MIB as u64).await;
    clock.set(&engine, "2026-05-06T07:00");
    let stopped = wait_status(&engine, &mut events, id, Status::PausedBySchedule).await;
    assert_eq!(stopped.waits_until, Some(millis("2026-05-07T01:00")));
    assert!(stopped.bytes >= MIB as u64, "kept: {}", stopped.bytes);

    // Run anyway (the metered policy Always): it runs outside its hours.
    engine.set_policy(id, CostPolicy::Always).await.unwrap();
    let done = wait_finished(&engine, &mut events, id).await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    assert_eq!(done.waits_until, None);
    assert_eq!(
        sha256_file(done.destination.as_ref().unwrap()),
        sha256(&body)
    );
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_limit_window_changes_the_live_rate() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start().await;
    let clock = HandClock::at("2026-05-05T10:00");
    let engine = engine_with(
        dir.path(),
        &clock,
        vec![rule("09:00", "18:00", Effect::Limit { kib: 1024 })],
    )
    .await;
    let mut events = engine.subscribe();
    assert_eq!(engine.limit(), Some(MIB as u64), "the window is open");
    // The user's own higher limit does not lift it; a lower one wins.
    engine.set_limit(Some(4 * MIB as u64));
    assert_eq!(engine.limit(), Some(MIB as u64));

    let body = data(30 * MIB, 92);
    server.put("/day.bin", Resource::new(body.clone()));
    let started = Instant::now();
    let id = engine
        .create(Request::download(server.url("/day.bin"), None))
        .await
        .unwrap()
        .id;
    wait_bytes(&engine, &mut events, id, 2 * MIB as u64).await;
    let limited = started.elapsed();
    assert!(
        limited >= Duration::from_millis(1500),
        "2 MiB at 1 MiB/s in {limited:?}"
    );
    // 18:00: the window closes; the user's 4 MiB/s holds again, then none.
    clock.set(&engine, "2026-05-05T18:00");
    assert_eq!(engine.limit(), Some(4 * MIB as u64));
    engine.set_limit(None);
    assert_eq!(engine.limit(), None);
    let done = wait_finished(&engine, &mut events, id).await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    assert_eq!(
        sha256_file(done.destination.as_ref().unwrap()),
        sha256(&body)
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the rest at full speed: {:?}",
        started.elapsed()
    );
    engine.shutdown().await;
}

/// A limit window for a group: its transfers share the limit, the others and
/// the limit for all transfers are untouched; a rule added while one runs
/// applies to it at once, and a removed one lets it go.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_groups_limit_window_holds_its_transfers_together_only() {
    use ferry::engine::{Behavior, WhenDone};
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start().await;
    let clock = HandClock::at("2026-05-05T10:00");
    let night = Rule {
        applies_to: Scope::Group("night".into()),
        ..rule("09:00", "18:00", Effect::Limit { kib: 1024 })
    };
    let engine = engine_with(dir.path(), &clock, vec![night.clone()]).await;
    assert_eq!(engine.limit(), None, "not a limit for all transfers");
    engine
        .create_group("night", Behavior::Parallel, None, WhenDone::Nothing)
        .await
        .unwrap();
    let mut events = engine.subscribe();
    let bodies: Vec<Vec<u8>> = (0..3).map(|i| data(20 * MIB, 120 + i)).collect();
    for (i, body) in bodies.iter().enumerate() {
        server.put(&format!("/{i}.bin"), Resource::new(body.clone()));
    }
    let started = Instant::now();
    let mut grouped = Vec::new();
    for i in 0..2 {
        let request = Request::download(server.url(&format!("/{i}.bin")), None).group("night");
        grouped.push(engine.create(request).await.unwrap().id);
    }
    let other = engine
        .create(Request::download(server.url("/2.bin"), None))
        .await
        .unwrap()
        .id;
    let done = wait_finished(&engine, &mut events, other).await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    let elapsed = started.elapsed().as_secs_f64();
    let together: u64 = grouped
        .iter()
        .map(|id| engine.get(*id).unwrap().bytes)
        .sum();
    // What 1 MiB/s allows in that time, plus a burst and a chunk each.
    let allowed = (elapsed * MIB as f64) as u64 + (512 << 10);
    assert!(
        together <= allowed,
        "the group moved {together} B in {elapsed:.2} s beside a 20 MiB download outside it"
    );
    // Together: 2 MiB at 1 MiB/s.
    let shared = async {
        loop {
            let sum: u64 = grouped
                .iter()
                .map(|id| engine.get(*id).unwrap().bytes)
                .sum();
            if sum >= 2 * MIB as u64 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    within(60, shared).await;
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "2 MiB between them at 1 MiB/s in {:?}",
        started.elapsed()
    );
    // The rule removed: they go on at full speed and arrive whole.
    engine.set_schedule(Vec::new());
    for (id, body) in grouped.iter().zip(&bodies) {
        let done = wait_finished(&engine, &mut events, *id).await;
        assert_eq!(done.status, Status::Completed, "{:?}", done.error);
        assert_eq!(
            sha256_file(done.destination.as_ref().unwrap()),
            sha256(body)
        );
    }

    // Added while one of the group runs: it slows down at once.
    let slow = data(40 * MIB, 130);
    server.put(
        "/late.bin",
        Resource::new(slow.clone()).rate(4 * MIB as u64),
    );
    let id = engine
        .create(Request::download(server.url("/late.bin"), None).group("night"))
        .await
        .unwrap()
        .id;
    wait_bytes(&engine, &mut events, id, MIB as u64).await;
    engine.set_schedule(vec![Rule {
        effect: Effect::Limit { kib: 256 },
        ..night
    }]);
    let (before, from) = (engine.get(id).unwrap().bytes, Instant::now());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let moved = engine.get(id).unwrap().bytes - before;
    let allowed = (from.elapsed().as_secs_f64() * 256.0 * 1024.0) as u64 + (1 << 20);
    assert!(
        moved <= allowed,
        "{moved} B in 1.5 s under 256 KiB/s (4 MiB/s without)"
    );
    engine.cancel(id).await.unwrap();
    engine.shutdown().await;
}

/// `ferry schedule` adds, lists and removes rules; they are kept in the config
/// file and the agent applies them at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ferry_schedule_keeps_rules_in_the_config_file() {
    use support::program::{Ferry, text};
    let ferry = Ferry::new();
    for args in [
        &[
            "schedule", "add", "01:00", "07:00", "--group", "night", "--only",
        ][..],
        &[
            "schedule", "add", "09:00", "18:00", "--days", "mon-fri", "--limit", "2M",
        ][..],
    ] {
        let out = ferry.run(args).await;
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let out = ferry.run(&["schedule", "list", "--json"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let rules: Vec<Rule> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rules.len(), 2);
    assert_eq!(rules[0].applies_to, Scope::Group("night".into()));
    assert_eq!(rules[0].effect, Effect::MayRun);
    assert_eq!(rules[1].effect, Effect::Limit { kib: 2048 });
    assert_eq!(rules[1].days.len(), 5);
    let file = std::fs::read_to_string(ferry.dir.path().join("config.toml")).unwrap();
    assert_eq!(file.matches("[[schedule]]").count(), 2, "{file}");
    let loaded = ferry::config::parse(&file, std::path::Path::new("config.toml"));
    assert_eq!(loaded.config.schedule, rules, "the file says the same");

    let out = ferry.run(&["schedule", "list"]).await;
    let listing = text(&out.stdout);
    assert!(
        listing.contains("1  01:00-07:00 every day: group night run only then")
            && listing.contains(
                "2  09:00-18:00 mon,tue,wed,thu,fri: all transfers at most 2048 KiB/s then"
            ),
        "{listing}"
    );

    let bad = ferry
        .run(&["schedule", "add", "25:00", "07:00", "--only"])
        .await;
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr).contains("not a time of day"),
        "{}",
        text(&bad.stderr)
    );
    let out = ferry.run(&["schedule", "remove", "1"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = ferry.run(&["schedule", "list", "--json"]).await;
    let rules: Vec<Rule> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].effect, Effect::Limit { kib: 2048 });
    let missing = ferry.run(&["schedule", "remove", "5"]).await;
    assert!(!missing.status.success());
}
