//! Traffic history (F27): bytes per day, downloaded and uploaded, metered ones
//! counted only on a metered network, kept across a restart; `ferry stats`.

use crate::support;

use ferry::engine::schedule::Clock;
use ferry::engine::{Conditions, DayTraffic, FixedConditions, Method, Request, Status};
use support::program::{Ferry, text};
use support::server::{Resource, TestServer};
use support::uploads;
use support::*;

const MIB: usize = 1024 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_days_traffic_is_counted_metered_apart_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start().await;
    let mut options = options(dir.path());
    // A fixed day, in UTC (no tz database needed).
    options.clock = Clock::new(|| {
        let civil: jiff::civil::DateTime = "2026-05-05T12:00".parse().unwrap();
        civil.to_zoned_datetime(jiff::tz::TimeZone::UTC).unwrap()
    });
    let engine = open(options.clone()).await;
    let mut events = engine.subscribe();
    let network = FixedConditions::new(Conditions {
        metered: true,
        ..Conditions::default()
    });
    engine.follow_network(&network);
    within(10, async {
        while !engine.network_state().conditions.metered {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await;

    server.put("/phone.bin", Resource::new(data(MIB, 81)));
    let done = run_to_end(
        &engine,
        &mut events,
        Request::download(server.url("/phone.bin"), None),
    )
    .await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);

    network.set(Conditions::default());
    within(10, async {
        while engine.network_state().conditions.metered {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await;
    server.put("/home.bin", Resource::new(data(2 * MIB, 82)));
    let done = run_to_end(
        &engine,
        &mut events,
        Request::download(server.url("/home.bin"), None),
    )
    .await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);
    server.sink("/inbox", uploads::Sink::ok("ok"));
    let file = dir.path().join("up.bin");
    std::fs::write(&file, data(MIB / 2, 83)).unwrap();
    let done = run_to_end(
        &engine,
        &mut events,
        Request::upload(server.url("/inbox"), vec![file]).method(Method::Put),
    )
    .await;
    assert_eq!(done.status, Status::Completed, "{:?}", done.error);

    let expected = vec![DayTraffic {
        day: 20_260_505,
        downloaded: 3 * MIB as u64,
        uploaded: MIB as u64 / 2,
        downloaded_metered: MIB as u64,
        uploaded_metered: 0,
    }];
    assert_eq!(engine.traffic(), expected);
    engine.shutdown().await;
    drop(engine);
    let engine = open(options).await;
    assert_eq!(engine.traffic(), expected, "kept across a restart");
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ferry_stats_shows_the_days_traffic() {
    let ferry = Ferry::new();
    let server = TestServer::start().await;
    server.put("/a.bin", Resource::new(data(MIB, 84)));
    let dest = ferry.downloads().join("a.bin");
    let out = ferry
        .run(&["get", &server.url("/a.bin"), "-o", dest.to_str().unwrap()])
        .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = ferry.run(&["stats", "--json"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let days: Vec<DayTraffic> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(days.len(), 1, "{days:?}");
    assert_eq!(days[0].downloaded, MIB as u64);
    let out = ferry.run(&["stats"]).await;
    let shown = text(&out.stdout);
    assert!(
        shown.contains("down    1.0 MiB") && shown.contains("total"),
        "{shown}"
    );
}
