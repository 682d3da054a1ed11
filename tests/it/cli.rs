//! The `ferry` binary end to end: client commands, the agent they start, its socket,
//! its database, and what happens when it is killed.

use crate::support;

use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use support::program::{Ferry, text};
use support::server::{Resource, TestServer};
use support::*;

const MIB: usize = 1024 * 1024;

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_prints_the_path_and_json_carries_the_documented_fields() {
    let ferry = Ferry::new();
    let server = TestServer::start().await;
    let body = data(3 * MIB, 21);
    server.put("/files/report.pdf", Resource::new(body.clone()));
    let folder = format!("{}/", ferry.downloads().display());

    let out = ferry
        .run(&["get", &server.url("/files/report.pdf"), "-o", &folder])
        .await;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let path = PathBuf::from(text(&out.stdout).trim());
    assert_eq!(path, ferry.downloads().join("report.pdf"));
    assert_eq!(sha256_file(&path), sha256(&body));

    let out = ferry
        .run(&["get", &server.url("/missing"), "-o", &folder])
        .await;
    assert_eq!(code(&out), 1, "a failed transfer exits 1");
    assert!(
        text(&out.stderr).contains("NotFound"),
        "{}",
        text(&out.stderr)
    );

    // A folder that does not exist yet, named with a trailing slash: made, as
    // curl --create-dirs and wget -P do.
    let new_folder = ferry.dir.path().join("new/folder");
    let out = ferry
        .run(&[
            "get",
            &server.url("/files/report.pdf"),
            "-o",
            &format!("{}/", new_folder.display()),
        ])
        .await;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert_eq!(
        PathBuf::from(text(&out.stdout).trim()),
        new_folder.join("report.pdf")
    );
    assert_eq!(sha256_file(&new_folder.join("report.pdf")), sha256(&body));

    let list = ferry.json(&["list", "--json"]).await;
    let rows = list.as_array().unwrap();
    assert_eq!(rows.len(), 3);
    let done = &rows[0];
    for field in [
        "id",
        "kind",
        "url",
        "destination",
        "status",
        "bytes",
        "total",
        "error",
        "group",
        "policy",
    ] {
        assert!(done.get(field).is_some(), "missing {field} in {done}");
    }
    assert_eq!(done["kind"], "download");
    assert_eq!(done["status"], "Completed");
    assert_eq!(done["bytes"], body.len() as u64);
    assert_eq!(done["total"], body.len() as u64);
    assert_eq!(done["destination"], path.display().to_string());
    assert_eq!(done["policy"], "Default");
    assert!(done["error"].is_null() && done["group"].is_null());

    let failed_id = rows[1]["id"].as_str().unwrap();
    let shown = ferry.json(&["show", &failed_id[..6], "--json"]).await;
    assert_eq!(shown["id"], failed_id);
    assert_eq!(shown["status"], "Error");
    assert_eq!(shown["error"]["status"], "NotFound");
    assert!(shown["error"]["message"].as_str().unwrap().contains("404"));

    let out = ferry.run(&["show", failed_id]).await;
    assert!(
        text(&out.stdout).contains("Failed (NotFound)"),
        "{}",
        text(&out.stdout)
    );
    let out = ferry.run(&["list"]).await;
    assert!(
        text(&out.stdout).contains("report.pdf"),
        "{}",
        text(&out.stdout)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_input_exits_2_with_a_reason_and_keeps_nothing() {
    let ferry = Ferry::new();
    let read_only = ReadOnlyDir::new(ferry.dir.path());
    let into_read_only = format!("{}/", read_only.path.display());
    let cases: [(&[&str], &str); 4] = [
        (&["get", "not-a-url"], "not a valid URL"),
        (&["get", "gopher://x/"], "unsupported URL scheme"),
        (
            &["get", "http://127.0.0.1:9/f", "-o", &into_read_only],
            "cannot write",
        ),
        (
            &["get", "http://127.0.0.1:9/f", "-H", "no colon"],
            "invalid header",
        ),
    ];
    for (args, reason) in cases {
        let out = ferry.run(args).await;
        assert_eq!(code(&out), 2, "{args:?}: {}", text(&out.stderr));
        let stderr = text(&out.stderr);
        assert!(stderr.contains(reason), "{args:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    }
    assert_eq!(ferry.json(&["list", "--json"]).await, serde_json::json!([]));
    assert_eq!(
        code(&ferry.run(&["pause", "0123abcd"]).await),
        2,
        "unknown id"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_survives_the_agent_being_killed() {
    let ferry = Ferry::new();
    let server = TestServer::start().await;
    let body = data(16 * MIB, 22);
    server.put("/big.iso", Resource::new(body.clone()).rate(4 * MIB as u64));
    let dest = ferry.downloads().join("big.iso");

    let out = ferry
        .run(&[
            "get",
            &server.url("/big.iso"),
            "-o",
            dest.to_str().unwrap(),
            "--detach",
        ])
        .await;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let id = text(&out.stdout).trim().to_owned();
    let pid = ferry.agent_pid().expect("an agent was started");

    // Kill it hard once a good part has arrived.
    within(30, async {
        loop {
            let shown = ferry.json(&["show", &id, "--json"]).await;
            if shown["bytes"].as_u64().unwrap() >= 6 * MIB as u64 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    ferry.kill_agent().await;

    // The next command starts a new agent, which resumes from the checkpoint.
    let out = ferry.run(&["wait", &id]).await;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert_ne!(ferry.agent_pid(), Some(pid), "a new agent");
    assert_eq!(sha256_file(&dest), sha256(&body));
    let seen = server.seen("/big.iso");
    let resumed_at = seen
        .last()
        .unwrap()
        .range_start()
        .expect("resumed with a Range");
    assert!(resumed_at > 0);
    let sent_twice = server.body_bytes_sent() - body.len() as u64;
    println!("bytes sent twice after kill -9: {sent_twice} (resumed at {resumed_at})");
    assert!(
        sent_twice <= 8 * MIB as u64,
        "{sent_twice} bytes sent twice"
    );
    println!(
        "reliability: agent SIGKILLed mid-download (CLI) | 1 | a new agent resumed with Range, byte-exact"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_database_is_moved_aside_and_the_user_is_told() {
    let ferry = Ferry::new();
    std::fs::create_dir_all(ferry.data_dir()).unwrap();
    let junk = data(100_000, 23);
    std::fs::write(ferry.data_dir().join("ferry.redb"), &junk).unwrap();

    let out = ferry.run(&["list"]).await;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("damaged") && stderr.contains("moved"),
        "{stderr}"
    );
    let aside: Vec<String> = files_in(&ferry.data_dir())
        .into_iter()
        .filter(|f| f.starts_with("ferry.redb.corrupt-"))
        .collect();
    assert_eq!(aside.len(), 1, "{:?}", files_in(&ferry.data_dir()));
    assert!(std::fs::read(ferry.data_dir().join(&aside[0])).unwrap() == junk);
    assert!(text(&out.stdout).contains("No transfers"));
    // Told once: the next command is quiet.
    assert!(!text(&ferry.run(&["list"]).await.stderr).contains("damaged"));
    println!(
        "reliability: database file overwritten with garbage | 1 | moved aside whole, the user told, a fresh database"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_agent_per_data_directory_and_quit_checkpoints() {
    let ferry = Ferry::new();
    let server = TestServer::start().await;
    let body = data(8 * MIB, 24);
    server.put("/f", Resource::new(body.clone()).rate(4 * MIB as u64));
    let dest = ferry.downloads().join("f.bin");
    let out = ferry
        .run(&[
            "get",
            &server.url("/f"),
            "-o",
            dest.to_str().unwrap(),
            "--detach",
        ])
        .await;
    let id = text(&out.stdout).trim().to_owned();
    let first = ferry.agent_pid().unwrap();

    let second = ferry.run(&["agent"]).await;
    assert_ne!(code(&second), 0);
    assert!(
        text(&second.stderr).contains("already running"),
        "{}",
        text(&second.stderr)
    );
    let socket = ferry.data_dir().join("agent.sock");
    let mode = std::fs::metadata(&socket).unwrap().mode() & 0o777;
    assert_eq!(mode, 0o600, "socket mode {mode:o}");

    tokio::time::sleep(Duration::from_millis(700)).await;
    let out = ferry.run(&["quit"]).await;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    within(10, async {
        while Path::new(&format!("/proc/{first}")).exists() && !is_zombie(first) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(!socket.exists());

    let shown = ferry.json(&["show", &id, "--json"]).await;
    assert_ne!(ferry.agent_pid(), Some(first));
    assert!(
        shown["bytes"].as_u64().unwrap() > 0,
        "progress was checkpointed: {shown}"
    );
    let out = ferry.run(&["wait", &id]).await;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert_eq!(sha256_file(&dest), sha256(&body));
    assert!(server.seen("/f").last().unwrap().range_start().unwrap() > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_resume_cancel_and_restart_from_the_command_line() {
    let ferry = Ferry::new();
    let server = TestServer::start().await;
    server.put("/f", Resource::new(data(8 * MIB, 25)).rate(2 * MIB as u64));
    let out = ferry.run(&["get", &server.url("/f"), "--detach"]).await;
    let id = text(&out.stdout).trim().to_owned();
    let short = &id[..8];

    assert_eq!(code(&ferry.run(&["pause", short]).await), 0);
    assert_eq!(
        ferry.json(&["show", short, "--json"]).await["status"],
        "PausedByApplication"
    );
    assert_eq!(code(&ferry.run(&["resume", "--all"]).await), 0);
    let status = ferry.json(&["show", short, "--json"]).await["status"].clone();
    assert!(status == "Running" || status == "Idle", "{status}");
    assert_eq!(code(&ferry.run(&["cancel", short]).await), 0);
    assert_eq!(
        ferry.json(&["show", short, "--json"]).await["status"],
        "Canceled"
    );
    let out = ferry.run(&["pause", short]).await;
    assert_eq!(code(&out), 2, "pausing a canceled operation is refused");
    assert!(
        text(&out.stderr).contains("Canceled"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(code(&ferry.run(&["restart", short]).await), 0);
    let status = ferry.json(&["show", short, "--json"]).await["status"].clone();
    assert!(status == "Running" || status == "Idle", "{status}");
    assert_eq!(code(&ferry.run(&["remove", short]).await), 0);
    assert_eq!(ferry.json(&["list", "--json"]).await, serde_json::json!([]));
    assert!(
        files_in(&ferry.downloads()).is_empty(),
        "{:?}",
        files_in(&ferry.downloads())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_and_completions() {
    let ferry = Ferry::new();
    for command in [
        "get", "list", "show", "pause", "resume", "cancel", "restart", "wait", "agent", "quit",
    ] {
        let out = ferry.run(&[command, "--help"]).await;
        assert_eq!(code(&out), 0);
        assert!(
            text(&out.stdout).contains("Example"),
            "{command} --help has an example"
        );
    }
    for shell in ["bash", "zsh", "fish"] {
        let out = ferry.run(&["completions", shell]).await;
        assert_eq!(code(&out), 0);
        assert!(text(&out.stdout).contains("ferry"));
    }
    assert_eq!(code(&ferry.run(&["get"]).await), 2, "usage errors exit 2");
}

/// A folder nobody can write into, even root: a read-only tmpfs when we may mount,
/// else a mode-0555 folder (enough for other users).
struct ReadOnlyDir {
    path: PathBuf,
    mounted: bool,
}

impl ReadOnlyDir {
    fn new(parent: &Path) -> Self {
        let path = parent.join("read-only");
        std::fs::create_dir(&path).unwrap();
        let root = std::fs::metadata("/proc/self")
            .map(|m| m.uid() == 0)
            .unwrap_or(false);
        if root {
            let mounted = std::process::Command::new("mount")
                .args(["-t", "tmpfs", "-o", "ro,size=64k", "tmpfs"])
                .arg(&path)
                .status()
                .is_ok_and(|s| s.success());
            if mounted {
                return Self { path, mounted };
            }
            // No mount allowed: /proc refuses new files to everyone.
            return Self {
                path: PathBuf::from("/proc"),
                mounted: false,
            };
        }
        let mut perms = std::fs::metadata(&path).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o555);
        std::fs::set_permissions(&path, perms).unwrap();
        Self {
            path,
            mounted: false,
        }
    }
}

impl Drop for ReadOnlyDir {
    fn drop(&mut self) {
        if self.mounted {
            let _ = std::process::Command::new("umount")
                .arg(&self.path)
                .status();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_reach_the_logs() {
    let ferry = Ferry::new();
    let server = TestServer::start().await;
    let with_credentials = server
        .url("/missing")
        .replace("http://", "http://someone:s3cret-pass@");
    let refused = "http://someone:s3cret-pass@127.0.0.1:1/x";
    for url in [with_credentials.as_str(), refused] {
        let out = ferry
            .command(&[
                "get",
                url,
                "-H",
                "Authorization: Bearer tok-SECRET",
                "-H",
                "Cookie: sid=cookie-SECRET",
            ])
            .env("RUST_LOG", "debug")
            .output()
            .await
            .unwrap();
        assert_eq!(code(&out), 1, "{}", text(&out.stderr));
        let shown = text(&out.stderr);
        assert!(
            !shown.contains("s3cret") && !shown.contains("SECRET"),
            "{shown}"
        );
    }
    let log = std::fs::read_to_string(ferry.data_dir().join("ferry.log")).unwrap();
    let agent_stderr = std::fs::read_to_string(ferry.data_dir().join("agent.stderr")).unwrap();
    assert!(
        log.contains("operation failed"),
        "the log has the failures: {log}"
    );
    for (name, text) in [("ferry.log", &log), ("agent.stderr", &agent_stderr)] {
        for secret in ["s3cret-pass", "tok-SECRET", "cookie-SECRET"] {
            assert!(!text.contains(secret), "{secret} in {name}:\n{text}");
        }
    }
    let seen = server.seen("/missing");
    assert_eq!(
        seen[0].header("authorization"),
        Some("Bearer tok-SECRET"),
        "the header was sent"
    );
    println!(
        "reliability: passwords, tokens and cookies of failing requests | 1 | absent from the log and the agent's stderr"
    );
}

/// Peak resident memory of a live process, in KiB.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_200_mib_upload_keeps_the_agent_small_and_shows_the_answer() {
    use support::uploads::Sink;
    let ferry = Ferry::new();
    let server = TestServer::start().await;
    let mut sink = Sink::ok("{\"id\": 42}");
    sink.keep = false;
    server.sink("/up", sink);
    let body = data(200 * MIB, 51);
    let file = ferry.dir.path().join("big.bin");
    std::fs::write(&file, &body).unwrap();

    // Start the agent first, so its peak memory is this upload's.
    assert_eq!(code(&ferry.run(&["list"]).await), 0);
    let pid = ferry.agent_pid().unwrap();
    let started = std::time::Instant::now();
    let out = ferry
        .run(&[
            "upload",
            &server.url("/up"),
            file.to_str().unwrap(),
            "--method",
            "put",
        ])
        .await;
    let elapsed = started.elapsed();
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout).trim(),
        "{\"id\": 42}",
        "the answer is printed"
    );
    let got = server.received("/up").pop().unwrap();
    assert_eq!(got.sha256, sha256(&body));
    let peak_mib = proc_status_kib(pid, "VmHWM:") / 1024;
    println!(
        "200 MiB upload: agent peak RSS {peak_mib} MiB, {:.0} MiB/s on loopback (debug build)",
        200.0 / elapsed.as_secs_f64()
    );
    assert!(peak_mib < 100, "the agent peaked at {peak_mib} MiB");

    let list = ferry.json(&["list", "--json"]).await;
    let shown = &list[0];
    assert_eq!(shown["kind"], "upload");
    assert_eq!(shown["status"], "Completed");
    assert_eq!(shown["response"]["status"], 201);
    assert_eq!(shown["response"]["body"], "{\"id\": 42}");
    let out = ferry.run(&["show", shown["id"].as_str().unwrap()]).await;
    assert!(
        text(&out.stdout).contains("response     201"),
        "{}",
        text(&out.stdout)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_survive_the_agent_being_killed() {
    use support::uploads::{Sink, Tus};
    let ferry = Ferry::new();
    let server = TestServer::start().await;
    let mut sink = Sink::ok("ok");
    sink.keep = false;
    sink.read_rate = Some(4 * MIB as u64);
    server.sink("/plain", sink);
    server.tus(
        "/files/",
        Tus {
            read_rate: Some(4 * MIB as u64),
            ..Tus::default()
        },
    );
    let plain_body = data(24 * MIB, 52);
    let tus_body = data(24 * MIB, 53);
    let plain = ferry.dir.path().join("plain.bin");
    let tus = ferry.dir.path().join("tus.bin");
    std::fs::write(&plain, &plain_body).unwrap();
    std::fs::write(&tus, &tus_body).unwrap();

    let mut ids = Vec::new();
    for args in [
        vec![
            "upload",
            &server.url("/plain") as &str,
            plain.to_str().unwrap(),
            "--detach",
        ],
        vec![
            "upload",
            &server.url("/files/") as &str,
            tus.to_str().unwrap(),
            "--tus",
            "--detach",
        ],
    ] {
        let out = ferry.run(&args).await;
        assert_eq!(code(&out), 0, "{}", text(&out.stderr));
        ids.push(text(&out.stdout).trim().to_owned());
    }
    // Kill the agent once the tus server confirmed part of the file.
    within(60, async {
        loop {
            let shown = ferry.json(&["show", &ids[1], "--json"]).await;
            if shown["bytes"].as_u64().unwrap() >= 8 * MIB as u64 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    ferry.kill_agent().await;
    server.update_sink_rate("/plain", None);
    server.set_tus_rate(None);

    let out = ferry.run(&["wait", &ids[0], &ids[1]]).await;
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    // The plain upload started over and one whole, correct body arrived.
    let received = server.received("/plain");
    assert!(
        received
            .iter()
            .any(|r| r.complete && r.sha256 == sha256(&plain_body))
    );
    assert!(
        received
            .iter()
            .all(|r| !r.complete || r.sha256 == sha256(&plain_body))
    );
    // The tus upload asked where it stood and went on from there.
    let uploads = server.tus_uploads();
    assert_eq!(uploads.len(), 1, "no second upload was created");
    assert!(uploads[0].data == tus_body, "the assembled file is whole");
    let seen = server.seen("/files/u1");
    let head = seen
        .iter()
        .rposition(|s| s.method == "HEAD")
        .expect("a HEAD after the restart");
    let next = &seen[head + 1];
    assert_eq!(next.method, "PATCH");
    let resumed_at: u64 = next.header("upload-offset").unwrap().parse().unwrap();
    assert!(resumed_at > 0, "resumed from the server's offset");
    println!("tus resumed at {resumed_at} of {} bytes", tus_body.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_input_errors_exit_2() {
    let ferry = Ferry::new();
    let file = ferry.dir.path().join("a.txt");
    std::fs::write(&file, b"a").unwrap();
    let folder = ferry.dir.path().to_str().unwrap().to_owned();
    let missing = ferry.dir.path().join("missing.txt");
    let cases: [(&[&str], &str); 4] = [
        (
            &["upload", "http://127.0.0.1:9/up", missing.to_str().unwrap()],
            "does not exist",
        ),
        (&["upload", "http://127.0.0.1:9/up", &folder], "not a file"),
        (
            &["upload", "gopher://x/", file.to_str().unwrap()],
            "unsupported URL scheme",
        ),
        (
            &[
                "upload",
                "http://127.0.0.1:9/up",
                file.to_str().unwrap(),
                "--multipart",
                "--form",
                "novalue",
            ],
            "name=value",
        ),
    ];
    for (args, reason) in cases {
        let out = ferry.run(args).await;
        assert_eq!(code(&out), 2, "{args:?}: {}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains(reason),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    assert_eq!(
        code(&ferry.run(&["upload", "http://127.0.0.1:9/up"]).await),
        2,
        "no file"
    );
    assert_eq!(ferry.json(&["list", "--json"]).await, serde_json::json!([]));
}
