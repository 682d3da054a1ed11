//! Scale: many queued operations in one agent — its memory per queued operation,
//! how fast they are created, and how soon after a start `ferry list` answers
//! with all of them.
//!
//! The operations point at a server that accepts connections and never answers,
//! so the few that run wait and the rest stay queued.

use std::path::Path;
use std::time::{Duration, Instant};

use ferry::engine;
use ferry::ipc::{self, Client};

use super::measure::{Agent, rss_kib};

pub struct Figures {
    pub operations: usize,
    pub rss_before_kib: u64,
    pub rss_after_kib: u64,
    pub rss_restarted_kib: u64,
    pub create_secs: f64,
    pub first_list_ms: f64,
    pub list_ms: f64,
    /// The same after a SIGKILL while four of them ran.
    pub first_list_after_crash_ms: f64,
}

pub fn run(dir: &Path, operations: usize) -> Figures {
    // A listener that never accepts: connections wait in its backlog.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("listener");
    let port = silent.local_addr().expect("address").port();
    let settings = format!("download_dir = {:?}\nmax_running = 4\n", dir.join("out"));
    std::fs::create_dir_all(dir.join("out")).expect("folder");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");

    let agent = Agent::start(dir, &settings, None);
    let socket = agent.data_dir.join("agent.sock");
    std::thread::sleep(Duration::from_millis(500));
    let rss_before_kib = rss_kib(agent.pid());
    let started = Instant::now();
    runtime.block_on(async {
        let mut client = Client::connect(&socket).await.expect("agent answers");
        for i in 0..operations {
            let url = format!("http://127.0.0.1:{port}/queued/{i}.bin");
            let request = engine::Request::download(url, None);
            let answer = client
                .call(&ipc::Request::Create {
                    request: Box::new(request),
                })
                .await
                .expect("create");
            assert!(
                matches!(answer, ipc::Response::Created { .. }),
                "{answer:?}"
            );
        }
    });
    let create_secs = started.elapsed().as_secs_f64();
    std::thread::sleep(Duration::from_millis(500));
    let rss_after_kib = rss_kib(agent.pid());
    agent.quit();

    // Started again with all of them in its database: how soon does it answer?
    let first_list = || {
        let started = Instant::now();
        let agent = Agent::start(dir, &settings, None);
        let count = runtime.block_on(async {
            loop {
                if let Ok(mut client) = Client::connect(&socket).await
                    && let Ok(ipc::Response::Snapshots { snapshots }) =
                        client.call(&ipc::Request::List).await
                {
                    return snapshots.len();
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        });
        assert_eq!(count, operations, "every operation listed");
        (agent, started.elapsed().as_secs_f64() * 1000.0)
    };
    let (agent, first_list_ms) = first_list();
    std::thread::sleep(Duration::from_millis(500));
    let rss_restarted_kib = rss_kib(agent.pid());
    let started = Instant::now();
    let listed = agent
        .command(&["list", "--json"])
        .output()
        .expect("ferry list");
    let list_ms = started.elapsed().as_secs_f64() * 1000.0;
    assert!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    // Killed while four of them run, then started again: recovery included.
    agent.kill();
    let (agent, first_list_after_crash_ms) = first_list();
    agent.quit();
    drop(silent);
    Figures {
        operations,
        rss_before_kib,
        rss_after_kib,
        rss_restarted_kib,
        create_secs,
        first_list_ms,
        list_ms,
        first_list_after_crash_ms,
    }
}

pub fn print(figures: &Figures) {
    let per_op = |kib: u64| {
        (kib.saturating_sub(figures.rss_before_kib)) as f64 * 1024.0 / figures.operations as f64
    };
    println!();
    println!("{} queued operations in one agent", figures.operations);
    println!(
        "agent RSS: {:.1} MiB empty, {:.1} MiB after creating them ({:.0} B each), {:.1} MiB restarted with them ({:.0} B each)",
        figures.rss_before_kib as f64 / 1024.0,
        figures.rss_after_kib as f64 / 1024.0,
        per_op(figures.rss_after_kib),
        figures.rss_restarted_kib as f64 / 1024.0,
        per_op(figures.rss_restarted_kib),
    );
    println!(
        "created over one connection in {:.1} s ({:.0} per second)",
        figures.create_secs,
        figures.operations as f64 / figures.create_secs
    );
    println!(
        "from the agent's start to the first `list` answer: {:.0} ms; `ferry list --json` (a process) then: {:.0} ms",
        figures.first_list_ms, figures.list_ms
    );
    println!(
        "after a SIGKILL with four of them running: the first `list` answer {:.0} ms after the agent's start",
        figures.first_list_after_crash_ms
    );
}
