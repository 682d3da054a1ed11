//! Bytes on the wire when a segmented download is interrupted: the body bytes
//! the server sent over the file's size, for one pause (resumed half a second
//! later) and for one crash (agent and client killed, the same command run
//! again). What a metered user pays beyond the file is what was in flight on the
//! connections dropped, plus what was received but not yet written.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::measure::{Agent, pseudo_random, sha256_hex};
use super::server::{Resource, TestServer};

const MIB: u64 = 1024 * 1024;

pub struct Figures {
    pub mib: u64,
    pub rate_mib: u64,
    pub paused: f64,
    pub killed: f64,
}

pub fn run(dir: &Path, server: &TestServer, mib: u64, rate_mib: u64) -> Figures {
    let total = mib * MIB;
    let body = pseudo_random(total);
    let digest = sha256_hex(&body);
    server.put("/interrupted.bin", Resource::new(body).rate(rate_mib * MIB));
    let url = server.url("/interrupted.bin");
    let out = dir.join("interrupted.bin");
    let get = |agent: &Agent| -> Command {
        let mut command = agent.command(&["get", &url, "-o", out.to_str().expect("UTF-8")]);
        command.stdout(Stdio::null()).stderr(Stdio::null());
        command
    };

    let _ = std::fs::remove_file(&out);
    let pause_dir = dir.join("paused");
    let crash_dir = dir.join("killed");
    for folder in [&pause_dir, &crash_dir] {
        std::fs::create_dir_all(folder).expect("folder");
    }
    let agent = Agent::start(&pause_dir, "", None);
    let before = server.body_bytes_sent();
    let mut client = get(&agent).spawn().expect("ferry get");
    wait_sent(server, before + total * 2 / 5);
    let id = running(&agent);
    succeeds(&mut agent.command(&["pause", &id]));
    std::thread::sleep(Duration::from_millis(500));
    succeeds(&mut agent.command(&["resume", &id]));
    succeeds(&mut agent.command(&["wait", &id]));
    finish(&mut client);
    check(&out, &digest);
    let paused = (server.body_bytes_sent() - before) as f64 / total as f64;
    agent.quit();

    let _ = std::fs::remove_file(&out);
    let agent = Agent::start(&crash_dir, "", None);
    let before = server.body_bytes_sent();
    let mut client = get(&agent).spawn().expect("ferry get");
    wait_sent(server, before + total * 2 / 5);
    let _ = client.kill();
    let _ = client.wait();
    agent.kill();
    let agent = Agent::start(&crash_dir, "", None);
    succeeds(&mut get(&agent));
    check(&out, &digest);
    let killed = (server.body_bytes_sent() - before) as f64 / total as f64;
    agent.quit();
    let _ = std::fs::remove_file(&out);
    Figures {
        mib,
        rate_mib,
        paused,
        killed,
    }
}

pub fn print(figures: &Figures) {
    println!();
    println!(
        "{} MiB segmented download, each connection held to {} MiB/s, interrupted at 40 %: bytes sent over the file's size",
        figures.mib, figures.rate_mib
    );
    println!(
        "one pause: {:.3}; one crash (agent and client killed, the command run again): {:.3}",
        figures.paused, figures.killed
    );
}

fn wait_sent(server: &TestServer, bytes: u64) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while server.body_bytes_sent() < bytes {
        assert!(Instant::now() < deadline, "the download does not progress");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// The operation running now.
fn running(agent: &Agent) -> String {
    let listed = agent
        .command(&["list", "--json"])
        .output()
        .expect("ferry list");
    let list: serde_json::Value = serde_json::from_slice(&listed.stdout).expect("JSON list");
    list.as_array()
        .into_iter()
        .flatten()
        .find(|op| op["status"] == "Running")
        .and_then(|op| op["id"].as_str())
        .expect("a running operation")
        .to_owned()
}

fn succeeds(command: &mut Command) {
    let output = command.output().expect("ferry runs");
    assert!(
        output.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The first client, which may have ended at the pause.
fn finish(client: &mut Child) {
    let _ = client.wait();
}

fn check(out: &Path, digest: &str) {
    let written = std::fs::read(out)
        .map(|b| sha256_hex(&b))
        .unwrap_or_default();
    assert_eq!(
        written, digest,
        "the interrupted download wrote other bytes"
    );
}
