//! A thousand small downloads created at once through the agent's socket: every
//! one completes byte-exact, the agent's memory stays flat and `ferry list` keeps
//! answering while they run.

use crate::support;

use std::time::{Duration, Instant};

use support::program::Ferry;
use support::server::{Resource, TestServer};
use support::*;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const COUNT: usize = 1000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_small_downloads_at_once_all_complete_and_the_agent_stays_small() {
    let ferry = Ferry::new();
    let server = TestServer::start().await;
    let bodies: Vec<Vec<u8>> = (0..COUNT).map(|i| data(16 << 10, 400 + i as u64)).collect();
    for (i, body) in bodies.iter().enumerate() {
        server.put(&format!("/f/{i}"), Resource::new(body.clone()));
    }
    let started = ferry.json(&["status", "--json"]).await;
    assert!(started.is_object(), "{started}");
    let pid = ferry.agent_pid().expect("an agent runs");
    let idle_kib = proc_status_kib(pid, "VmRSS:");

    // All at once: one connection, every request written before any answer is read.
    let socket = ferry.data_dir().join("agent.sock");
    let stream = tokio::net::UnixStream::connect(&socket).await.unwrap();
    let (read, mut write) = stream.into_split();
    let mut lines = String::from("{\"op\":\"hello\",\"protocol\":1}\n");
    for i in 0..COUNT {
        let dest = ferry.downloads().join(format!("f{i}.bin"));
        let request = serde_json::json!({"op": "create", "request": {
            "kind": "download", "url": server.url(&format!("/f/{i}")), "destination": dest}});
        lines.push_str(&request.to_string());
        lines.push('\n');
    }
    let writer = tokio::spawn(async move {
        write.write_all(lines.as_bytes()).await.unwrap();
        write
    });
    let mut reader = BufReader::new(read);
    let mut answer = String::new();
    within(60, async {
        for _ in 0..=COUNT {
            answer.clear();
            reader.read_line(&mut answer).await.unwrap();
            assert!(
                !answer.starts_with("{\"type\":\"error\""),
                "a create was refused: {answer}"
            );
        }
    })
    .await;
    drop(writer.await.unwrap());

    // While they run, `ferry list` answers and the agent's memory is sampled.
    let mut slowest_list = Duration::ZERO;
    let mut peak_kib = 0;
    within(300, async {
        loop {
            let asked = Instant::now();
            let listed = ferry.json(&["list", "--json"]).await;
            slowest_list = slowest_list.max(asked.elapsed());
            peak_kib = peak_kib.max(proc_status_kib(pid, "VmRSS:"));
            let all = listed.as_array().unwrap();
            assert_eq!(all.len(), COUNT, "every operation is listed");
            assert!(
                all.iter().all(|o| o["status"] != "Error"),
                "{:?}",
                all.iter().find(|o| o["status"] == "Error")
            );
            if all.iter().all(|o| o["status"] == "Completed") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await;
    assert_eq!(ferry.agent_pid(), Some(pid), "the same agent throughout");
    for (i, body) in bodies.iter().enumerate() {
        let path = ferry.downloads().join(format!("f{i}.bin"));
        assert_eq!(sha256_file(&path), sha256(body), "{}", path.display());
    }
    let done_kib = proc_status_kib(pid, "VmRSS:");
    println!(
        "{COUNT} downloads: agent RSS idle {idle_kib} KiB, peak {peak_kib} KiB, after {done_kib} KiB; slowest `ferry list` {slowest_list:?}"
    );
    // Flat: a thousand finished operations cost their records, not their transfers.
    assert!(
        peak_kib <= idle_kib + 24 * 1024,
        "peak {peak_kib} KiB against {idle_kib} KiB idle"
    );
    assert!(
        slowest_list < Duration::from_secs(5),
        "`ferry list` took {slowest_list:?}"
    );
    println!(
        "reliability: {COUNT} small downloads created at once | 1 | all byte-exact; agent RSS {} → {} MiB at peak; `ferry list` answered in ≤ {} ms",
        idle_kib / 1024,
        peak_kib / 1024,
        slowest_list.as_millis()
    );
}
