//! The agent killed with SIGKILL at random moments of one transfer, again and again:
//! the file still comes whole, and each restart sends again at most what arrived
//! since the last checkpoint.
//!
//! `FERRY_KILLS` sets the number of kills (10 by default; `tests/kill-loop.sh` runs
//! 50), `FERRY_SEED` the moments (printed, so a failure can be replayed).

mod support;

use std::time::Duration;

use serde_json::Value;
use support::program::{Ferry, text};
use support::server::{Resource, TestServer};
use support::*;

const MIB: u64 = 1024 * 1024;

fn kills() -> u32 {
    std::env::var("FERRY_KILLS")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or(10)
}

/// Pseudo-random moments (xorshift), from `FERRY_SEED` or the clock.
struct Moments(u64);

impl Moments {
    fn new(test: &str) -> Self {
        let seed = std::env::var("FERRY_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
                    | 1
            });
        println!("{test}: FERRY_SEED={seed}");
        Self(seed)
    }

    /// A delay between 0 and `max_ms`: some kills land while the agent is still
    /// starting and recovering, most while bytes flow.
    fn next(&mut self, max_ms: u64) -> Duration {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        Duration::from_millis(self.0 % (max_ms + 1))
    }
}

async fn show(ferry: &Ferry, id: &str) -> Value {
    ferry.json(&["show", id, "--json"]).await
}

/// Kill the agent `kills()` times at random moments while `id` runs (each `show`
/// starts a new agent, which resumes it); the number of kills made before it ended.
async fn kill_repeatedly(ferry: &Ferry, id: &str, moments: &mut Moments) -> u32 {
    let mut made = 0;
    for _ in 0..kills() {
        let shown = show(ferry, id).await;
        if shown["status"] == "Completed" {
            break;
        }
        tokio::time::sleep(moments.next(1200)).await;
        ferry.kill_agent().await;
        made += 1;
    }
    made
}

fn report(fault: &str, runs: u32, outcome: &str) {
    println!("reliability: {fault} | {runs} | {outcome}");
}

async fn get_detached(ferry: &Ferry, url: &str, dest: &std::path::Path, extra: &[&str]) -> String {
    let mut args = vec!["get", url, "-o", dest.to_str().unwrap(), "--detach"];
    args.extend_from_slice(extra);
    let out = ferry.run(&args).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout).trim().to_owned()
}

async fn wait_completed(ferry: &Ferry, id: &str) {
    let out = ferry.run(&["wait", id]).await;
    assert!(
        out.status.success(),
        "{}\n{}",
        text(&out.stderr),
        show(ferry, id).await
    );
}

/// Download `resource` over `connections`, killing the agent along the way; once it
/// completed byte-exact: the `Ferry`, the kills made and the bytes sent twice.
async fn download_killed(
    moments: &mut Moments,
    resource: Resource,
    connections: &str,
) -> (Ferry, u32, u64) {
    let ferry = Ferry::new();
    let server = TestServer::start().await;
    let body = resource.body.clone();
    server.put("/big.iso", resource);
    let dest = ferry.downloads().join("big.iso");
    let url = server.url("/big.iso");
    let id = get_detached(&ferry, &url, &dest, &["--connections", connections]).await;
    let made = kill_repeatedly(&ferry, &id, moments).await;
    wait_completed(&ferry, &id).await;
    assert_eq!(sha256_file(&dest), sha256(&body));
    let sent_twice = server.body_bytes_sent() - body.len() as u64;
    (ferry, made, sent_twice)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_killed_again_and_again_comes_whole() {
    let mut moments = Moments::new("single");
    let rate = 2 * MIB;
    let body = data(8 * MIB as usize + kills() as usize * MIB as usize, 301);
    let (ferry, made, sent_twice) =
        download_killed(&mut moments, Resource::new(body).rate(rate), "1").await;
    assert!(
        !ferry.downloads().join("big.iso.part").exists(),
        "no partial file left"
    );
    println!("single: {made} kills, {sent_twice} bytes sent twice");
    // One checkpoint interval (1 s) at the server's rate, plus a write buffer, per kill.
    assert!(
        sent_twice <= u64::from(made) * (rate + MIB),
        "{sent_twice} bytes sent twice over {made} kills"
    );
    report(
        "agent killed (SIGKILL) at random moments of one download",
        made,
        &format!(
            "byte-exact; {:.1} MiB sent twice in all",
            sent_twice as f64 / MIB as f64
        ),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_segmented_download_killed_again_and_again_comes_whole() {
    let mut moments = Moments::new("segmented");
    // The server shares its rate among the connections, as a link would.
    let rate = 4 * MIB;
    let body = data(16 * MIB as usize + 2 * kills() as usize * MIB as usize, 302);
    let (_ferry, made, sent_twice) =
        download_killed(&mut moments, Resource::new(body).shared_rate(rate), "4").await;
    println!("segmented: {made} kills, {sent_twice} bytes sent twice");
    // One checkpoint interval at the link's rate, plus a write buffer per connection.
    assert!(
        sent_twice <= u64::from(made) * (rate + 4 * MIB),
        "{sent_twice} bytes sent twice over {made} kills"
    );
    report(
        "agent killed (SIGKILL) at random moments of a 4-connection download",
        made,
        &format!(
            "byte-exact; {:.1} MiB sent twice in all",
            sent_twice as f64 / MIB as f64
        ),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tus_upload_killed_again_and_again_arrives_whole() {
    use support::uploads::Tus;
    let mut moments = Moments::new("tus");
    let ferry = Ferry::new();
    let server = TestServer::start().await;
    server.tus(
        "/files/",
        Tus {
            read_rate: Some(2 * MIB),
            ..Tus::default()
        },
    );
    let body = data(8 * MIB as usize + kills() as usize * MIB as usize, 303);
    let file = ferry.dir.path().join("tus.bin");
    std::fs::write(&file, &body).unwrap();
    let out = ferry
        .run(&[
            "upload",
            &server.url("/files/"),
            file.to_str().unwrap(),
            "--tus",
            "--detach",
        ])
        .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let id = text(&out.stdout).trim().to_owned();

    let made = kill_repeatedly(&ferry, &id, &mut moments).await;
    wait_completed(&ferry, &id).await;
    let uploads = server.tus_uploads();
    assert_eq!(uploads.len(), 1, "no second upload was created");
    assert!(uploads[0].data == body, "the assembled file is whole");
    // Every restart asked the server where it stood and went on from there: no
    // PATCH at an offset the server did not hold.
    let seen = server.seen(&format!("/files/{}", uploads[0].id));
    let patches = seen.iter().filter(|s| s.method == "PATCH").count();
    let conflicts = server.tus_conflicts();
    assert_eq!(conflicts, 0, "{conflicts} PATCHes at a wrong offset");
    println!("tus: {made} kills, {patches} PATCH requests");
    report(
        "agent killed (SIGKILL) at random moments of a tus upload",
        made,
        "arrived whole; every restart resumed at the server's offset",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_replaced_while_the_agent_was_dead_comes_as_the_new_version() {
    let ferry = Ferry::new();
    let server = TestServer::start().await;
    let old = data(12 * MIB as usize, 304);
    let new = data(12 * MIB as usize, 305);
    server.put("/f.bin", Resource::new(old).rate(2 * MIB));
    let dest = ferry.downloads().join("f.bin");
    let id = get_detached(
        &ferry,
        &server.url("/f.bin"),
        &dest,
        &["--connections", "1"],
    )
    .await;
    within(30, async {
        while show(&ferry, &id).await["bytes"].as_u64().unwrap() < 4 * MIB {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    ferry.kill_agent().await;
    // Same size; a new ETag and date.
    server.update("/f.bin", |r| {
        r.body = new.clone().into();
        r.etag = Some("\"v2\"".into());
        r.last_modified = Some("Tue, 03 Jan 2023 10:00:00 GMT".into());
        r.rate = None;
    });
    wait_completed(&ferry, &id).await;
    assert_eq!(sha256_file(&dest), sha256(&new), "the new version, whole");
    report(
        "file replaced on the server (same size) while the agent was killed",
        1,
        "started again: the new version, byte-exact",
    );
}
